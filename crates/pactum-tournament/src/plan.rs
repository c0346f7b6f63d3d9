//! What a tournament runs: the plan, its run numbering, shards, and the
//! sidecar that ties a results file to the command that wrote it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pactum_core::Semantics;
use pactum_formats::Normalize;
use serde::{Deserialize, Serialize};

use crate::TournamentError;

/// A scenario folder and the id its rows carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRef {
    /// The `scenario` column: the folder relative to `--root` when it lies
    /// under it, else the path as given (as the harness does).
    pub id: String,
    /// Where to load it from (not part of the plan's identity, so a moved
    /// checkout still resumes and merges).
    pub dir: PathBuf,
}

impl ScenarioRef {
    /// The reference for `dir`, its id relative to `root` when possible.
    pub fn new(dir: &Path, root: Option<&Path>) -> Self {
        let relative = root.and_then(|root| {
            let (d, r) = (dir.canonicalize().ok()?, root.canonicalize().ok()?);
            let rel = d.strip_prefix(&r).ok()?;
            Some(rel.to_string_lossy().replace('\\', "/"))
        });
        let id = relative.unwrap_or_else(|| dir.to_string_lossy().into_owned());
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        ScenarioRef { id, dir }
    }
}

/// Run `K` of `N` (1-based), taking every run whose number is `K-1` mod `N`.
///
/// Interleaving rather than cutting into blocks spreads every scenario and
/// pairing evenly over the shards, so shards take about equally long even
/// when one scenario is far slower than the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which share, 1..=count.
    pub index: u64,
    /// How many shares.
    pub count: u64,
}

impl Shard {
    /// Parses `K/N`.
    pub fn parse(s: &str) -> Result<Shard, TournamentError> {
        let bad = || TournamentError::BadShard(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether run `run` belongs to this shard.
    pub fn owns(self, run: u64) -> bool {
        run % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A whole tournament, validated: every ordered pair of negotiators
/// (self-play included) × every rotation of each scenario's two profiles
/// over the seats × `reps`, in the harness's order
/// (rep, scenario, rotation, first, second).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The scenarios, in command-line order.
    pub scenarios: Vec<ScenarioRef>,
    /// Negotiator names, as registered.
    pub negotiators: Vec<String>,
    /// Step limit per negotiation.
    pub steps: Option<u32>,
    /// Wall-time limit per negotiation.
    pub time_limit: Option<Duration>,
    /// Repetitions of the whole round robin.
    pub reps: u32,
    /// Negotiation `run` is seeded with `seed + run`, as in the harness, so
    /// every row is reproducible on its own, whatever the shard or thread.
    pub seed: u64,
    /// Whose rules.
    pub semantics: Semantics,
    /// Normalisation at load time.
    pub normalize: Normalize,
    /// The share of the runs this process does; `None`: all.
    pub shard: Option<Shard>,
}

/// One negotiation of a plan, decoded from its run number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSpec {
    /// The run number (row id and seed offset).
    pub run: u64,
    /// Repetition.
    pub rep: u64,
    /// Index into [`Plan::scenarios`].
    pub scenario: usize,
    /// 0: profiles in file order on the seats; 1: swapped.
    pub rotation: usize,
    /// Index into [`Plan::negotiators`] of the first seat.
    pub first: usize,
    /// Index of the second seat's negotiator.
    pub second: usize,
}

impl Plan {
    /// Checks what can be checked without loading anything.
    pub fn validate(&self) -> Result<(), TournamentError> {
        if self.scenarios.is_empty() {
            return Err(TournamentError::Empty("scenarios"));
        }
        if self.negotiators.is_empty() {
            return Err(TournamentError::Empty("negotiators"));
        }
        if self.reps == 0 {
            return Err(TournamentError::Empty("repetitions (--reps)"));
        }
        if self.steps.is_none() && self.time_limit.is_none() {
            return Err(TournamentError::NoLimit);
        }
        Ok(())
    }

    /// Negotiations per repetition and scenario: 2 rotations × k².
    fn per_scenario(&self) -> u64 {
        let k = self.negotiators.len() as u64;
        2 * k * k
    }

    /// Negotiations in the whole tournament (all shards).
    pub fn total(&self) -> u64 {
        u64::from(self.reps) * self.scenarios.len() as u64 * self.per_scenario()
    }

    /// Decodes a run number.
    pub fn spec(&self, run: u64) -> RunSpec {
        let k = self.negotiators.len() as u64;
        let per_rep = self.scenarios.len() as u64 * self.per_scenario();
        let (rep, rem) = (run / per_rep, run % per_rep);
        let (scenario, rem) = (rem / self.per_scenario(), rem % self.per_scenario());
        let (rotation, rem) = (rem / (k * k), rem % (k * k));
        RunSpec {
            run,
            rep,
            scenario: scenario as usize,
            rotation: rotation as usize,
            first: (rem / k) as usize,
            second: (rem % k) as usize,
        }
    }

    /// The runs this process owns, in order.
    pub fn owned(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.total()).filter(move |&r| self.shard.is_none_or(|s| s.owns(r)))
    }

    /// The plan as JSON, for the sidecar and the summary.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "scenarios": self.scenarios,
            "negotiators": self.negotiators,
            "steps": self.steps,
            "time_limit": self.time_limit.map(|d| d.as_secs_f64()),
            "reps": self.reps,
            "seed": self.seed,
            "semantics": self.semantics.name(),
            "normalize": self.normalize.name(),
            "shard": self.shard.map(|s| s.to_string()),
        })
    }

    /// Reads a plan back from [`Plan::to_json`].
    pub fn from_json(v: &serde_json::Value) -> Option<Plan> {
        let semantics = match v["semantics"].as_str()? {
            "genius" => Semantics::Genius,
            "negmas" => Semantics::Negmas,
            _ => return None,
        };
        let normalize = match v["normalize"].as_str()? {
            "none" => Normalize::None,
            "independent" => Normalize::Independent,
            _ => return None,
        };
        Some(Plan {
            scenarios: serde_json::from_value(v["scenarios"].clone()).ok()?,
            negotiators: serde_json::from_value(v["negotiators"].clone()).ok()?,
            steps: serde_json::from_value(v["steps"].clone()).ok()?,
            time_limit: v["time_limit"].as_f64().map(Duration::from_secs_f64),
            reps: serde_json::from_value(v["reps"].clone()).ok()?,
            seed: v["seed"].as_u64()?,
            semantics,
            normalize,
            shard: match v["shard"].as_str() {
                Some(s) => Some(Shard::parse(s).ok()?),
                None => None,
            },
        })
    }

    /// What makes two results files comparable: everything but the folders
    /// the scenarios were loaded from and the shard.
    fn identity(&self) -> String {
        let mut v = self.to_json();
        v["shard"] = serde_json::Value::Null;
        v["scenarios"] = self.scenarios.iter().map(|s| s.id.clone()).collect();
        v.to_string()
    }

    /// Hash of the tournament, the same for all its shards.
    pub fn tournament_hash(&self) -> String {
        format!("{:016x}", fnv1a(self.identity().as_bytes()))
    }

    /// Hash of this process's share: the tournament and the shard.
    pub fn hash(&self) -> String {
        let shard = self.shard.map(|s| s.to_string()).unwrap_or_default();
        format!(
            "{:016x}",
            fnv1a(format!("{}|{shard}", self.identity()).as_bytes())
        )
    }

    /// The sidecar document written beside a results file.
    pub fn sidecar(&self) -> serde_json::Value {
        serde_json::json!({
            "format": "pactum-tournament-plan/1",
            "hash": self.hash(),
            "tournament_hash": self.tournament_hash(),
            "columns": crate::csv::COLUMNS,
            "plan": self.to_json(),
        })
    }
}

/// The sidecar's path: `results.csv` → `results.csv.plan.json`.
pub fn sidecar_path(csv: &Path) -> PathBuf {
    let mut s = csv.as_os_str().to_owned();
    s.push(".plan.json");
    PathBuf::from(s)
}

/// The summary's path: `results.csv` → `results.summary.json`.
pub fn summary_path(csv: &Path) -> PathBuf {
    csv.with_extension("summary.json")
}

/// Reads a sidecar's plan.
pub fn read_sidecar(csv: &Path) -> Result<Plan, TournamentError> {
    let path = sidecar_path(csv);
    let text = std::fs::read_to_string(&path).map_err(|e| TournamentError::io(&path, e))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| TournamentError::BadSidecar {
            path: path.clone(),
            why: e.to_string(),
        })?;
    Plan::from_json(&v["plan"]).ok_or_else(|| TournamentError::BadSidecar {
        path,
        why: "no readable plan".into(),
    })
}

/// FNV-1a, 64 bits: a stable fingerprint (not a security measure) that
/// needs no dependency and never changes between Rust versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(k: usize) -> Plan {
        Plan {
            scenarios: vec![
                ScenarioRef {
                    id: "a".into(),
                    dir: "a".into(),
                },
                ScenarioRef {
                    id: "b".into(),
                    dir: "b".into(),
                },
            ],
            negotiators: (0..k).map(|i| format!("n{i}")).collect(),
            steps: Some(10),
            time_limit: None,
            reps: 2,
            seed: 3,
            semantics: Semantics::Genius,
            normalize: Normalize::None,
            shard: None,
        }
    }

    #[test]
    fn runs_are_numbered_in_the_harness_order() {
        let p = plan(4);
        assert_eq!(p.total(), 2 * 2 * 2 * 16);
        let order: Vec<_> = (0..p.total())
            .map(|r| {
                let s = p.spec(r);
                (s.rep, s.scenario, s.rotation, s.first, s.second)
            })
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        assert_eq!(
            p.spec(33),
            RunSpec {
                run: 33,
                rep: 0,
                scenario: 1,
                rotation: 0,
                first: 0,
                second: 1
            }
        );
    }

    #[test]
    fn shards_partition_the_runs() {
        let p = plan(3);
        let mut all: Vec<u64> = (1..=3)
            .flat_map(|k| {
                let q = Plan {
                    shard: Some(Shard { index: k, count: 3 }),
                    ..p.clone()
                };
                q.owned().collect::<Vec<_>>()
            })
            .collect();
        all.sort();
        assert_eq!(all, (0..p.total()).collect::<Vec<_>>());
        assert!(Shard::parse("0/3").is_err() && Shard::parse("4/3").is_err());
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
    }

    #[test]
    fn the_sidecar_round_trips_and_hashes_ignore_folders() {
        let p = plan(2);
        assert_eq!(Plan::from_json(&p.to_json()).unwrap(), p);
        let mut moved = p.clone();
        moved.scenarios[0].dir = "/elsewhere/a".into();
        assert_eq!(moved.hash(), p.hash());
        let sharded = Plan {
            shard: Some(Shard { index: 1, count: 2 }),
            ..p.clone()
        };
        assert_ne!(sharded.hash(), p.hash());
        assert_eq!(sharded.tournament_hash(), p.tournament_hash());
        let other = Plan {
            seed: 4,
            ..p.clone()
        };
        assert_ne!(other.tournament_hash(), p.tournament_hash());
    }
}
