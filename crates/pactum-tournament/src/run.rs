//! Running a plan: worker threads take runs in order, the calling thread
//! writes rows in run order, and an existing results file is resumed.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use pactum_negotiate::{Constructor, Registry, SaoConfig, Seat, Session};

use crate::csv::{self, header, outcome_json, push_field, py_float};
use crate::plan::{read_sidecar, sidecar_path, Plan, RunSpec};
use crate::prepare::ReadyScenario;
use crate::TournamentError;

/// Hears how far a run has got; the command line draws a progress bar.
/// Every hook has a no-op default; `()` hears nothing.
pub trait Progress: Sync {
    /// Before the first negotiation: runs this process owns, and how many
    /// of them an earlier run already wrote.
    fn start(&self, _owned: u64, _already: u64) {}
    /// After each row is written.
    fn advance(&self, _rows: u64) {}
}

impl Progress for () {}

/// What a run did.
#[derive(Debug, Clone, Copy)]
pub struct RunReport {
    /// Runs this process owns (its shard, or all).
    pub owned: u64,
    /// Of those, rows already in the file from an earlier run.
    pub skipped: u64,
    /// Negotiations run now.
    pub ran: u64,
    /// When the last row was written (and flushed).
    pub finished: Instant,
}

/// Resolves the plan's negotiator names; an unknown one is an error that
/// lists the registered names.
pub fn constructors(plan: &Plan, registry: &Registry) -> Result<Vec<Constructor>, TournamentError> {
    plan.negotiators
        .iter()
        .map(|n| registry.constructor(n).map_err(TournamentError::Negotiator))
        .collect()
}

/// Runs one negotiation and formats its row (line end included).
pub fn run_row(
    plan: &Plan,
    scenarios: &[ReadyScenario],
    ctors: &[Constructor],
    spec: RunSpec,
) -> Result<String, TournamentError> {
    let sc = &scenarios[spec.scenario];
    let (a, b) = if spec.rotation == 0 { (0, 1) } else { (1, 0) };
    let seats = vec![
        Seat::new(a, (ctors[spec.first])()),
        Seat::new(b, (ctors[spec.second])()),
    ];
    let config = SaoConfig {
        steps: plan.steps,
        time_limit: plan.time_limit,
        seed: plan.seed.wrapping_add(spec.run),
    };
    let session =
        Session::new(&sc.prepared, seats, config).map_err(|source| TournamentError::Scenario {
            scenario: sc.id.clone(),
            source,
        })?;
    let r = session.run(&mut ());
    let mut row = String::with_capacity(256);
    let fields: [&str; 4] = [
        &spec.run.to_string(),
        &spec.rep.to_string(),
        &sc.id,
        &spec.rotation.to_string(),
    ];
    for f in fields {
        push_field(&mut row, f);
        row.push(',');
    }
    for f in [
        &plan.negotiators[spec.first],
        &plan.negotiators[spec.second],
        &sc.profiles[a],
        &sc.profiles[b],
    ] {
        push_field(&mut row, f);
        row.push(',');
    }
    match r.agreement {
        Some(o) => {
            row.push_str("yes,");
            push_field(&mut row, &outcome_json(&sc.prepared.values(o)));
        }
        None => row.push_str("no,"),
    }
    row.push(',');
    row.push_str(&py_float(r.utilities[0]));
    row.push(',');
    row.push_str(&py_float(r.utilities[1]));
    row.push(',');
    row.push_str(&r.steps.to_string());
    row.push(',');
    row.push_str(r.end.name());
    row.push_str(csv::LINE_END);
    Ok(row)
}

/// What an existing results file holds.
struct Existing {
    done: HashSet<u64>,
    /// Whether its rows are the first of the owned runs, in order, so new
    /// rows can simply be appended.
    in_order: bool,
}

/// Reads the run ids of `out`, cutting off a row an interrupted run left
/// half-written. Refuses files another command wrote.
fn existing(plan: &Plan, out: &Path) -> Result<Option<Existing>, TournamentError> {
    if !out.exists() {
        return Ok(None);
    }
    let sidecar = sidecar_path(out);
    if !sidecar.exists() {
        return Err(TournamentError::NotOurs {
            path: out.to_path_buf(),
        });
    }
    let theirs = read_sidecar(out)?;
    if theirs.hash() != plan.hash() {
        return Err(TournamentError::PlanMismatch {
            path: out.to_path_buf(),
            differences: differences(&theirs, plan),
        });
    }
    let file = File::open(out).map_err(|e| TournamentError::io(out, e))?;
    let mut reader = BufReader::new(file);
    let mut valid = 0u64;
    let mut done = HashSet::new();
    let mut last: Option<u64> = None;
    let mut increasing = true;
    let mut line = 0usize;
    loop {
        let rec = csv::read_record(&mut reader).map_err(|e| TournamentError::io(out, e))?;
        let Ok(Some(rec)) = rec else { break };
        line += 1;
        if line == 1 {
            if rec.raw != header() {
                return Err(TournamentError::Corrupt {
                    path: out.to_path_buf(),
                    line,
                    why: "the header is not the expected columns".into(),
                });
            }
        } else {
            let run = rec.run().filter(|&r| {
                r < plan.total()
                    && plan.shard.is_none_or(|s| s.owns(r))
                    && rec.fields.len() == csv::COLUMNS.len()
            });
            let Some(run) = run else {
                return Err(TournamentError::Corrupt {
                    path: out.to_path_buf(),
                    line,
                    why: "not a row of this tournament".into(),
                });
            };
            if !done.insert(run) {
                return Err(TournamentError::Corrupt {
                    path: out.to_path_buf(),
                    line,
                    why: format!("run {run} appears twice"),
                });
            }
            increasing &= last.is_none_or(|l| l < run);
            last = Some(run);
        }
        valid += rec.raw.len() as u64;
    }
    // Drop whatever follows the last complete row (a row cut short).
    let f = OpenOptions::new()
        .write(true)
        .open(out)
        .map_err(|e| TournamentError::io(out, e))?;
    f.set_len(valid).map_err(|e| TournamentError::io(out, e))?;
    let first_pending = plan.owned().find(|r| !done.contains(r));
    let in_order = increasing && last.is_none_or(|l| first_pending.is_none_or(|p| l < p));
    Ok(Some(Existing { done, in_order }))
}

/// Which plan fields differ, for the refusal message.
fn differences(theirs: &Plan, ours: &Plan) -> String {
    let (a, b) = (theirs.to_json(), ours.to_json());
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
        for (k, va) in a {
            let vb = &b[k];
            let (va, vb) = if k == "scenarios" {
                let ids = |v: &serde_json::Value| -> serde_json::Value {
                    v.as_array()
                        .map(|x| x.iter().map(|s| s["id"].clone()).collect())
                        .unwrap_or_default()
                };
                (ids(va), ids(vb))
            } else {
                (va.clone(), vb.clone())
            };
            if va != vb {
                out.push(format!("{k}: file has {va}, command has {vb}"));
            }
        }
    }
    if out.is_empty() {
        "the plan hash differs".into()
    } else {
        out.join("; ")
    }
}

/// Runs every owned negotiation not yet in `out` on `pool`, appending rows
/// in run order whatever order they finish in.
///
/// Workers take run numbers from a shared counter, so at any moment the
/// unfinished runs are a short window after the last row written; rows
/// finishing early wait in a small buffer (about one per worker) until
/// their turn. Memory stays flat in the number of negotiations, and the
/// file is byte-identical for any thread count.
pub fn run(
    plan: &Plan,
    scenarios: &[ReadyScenario],
    registry: &Registry,
    out: &Path,
    pool: &rayon::ThreadPool,
    progress: &dyn Progress,
) -> Result<RunReport, TournamentError> {
    plan.validate()?;
    let ctors = constructors(plan, registry)?;
    let owned = plan.owned().count() as u64;
    let prior = existing(plan, out)?;
    let file = match &prior {
        Some(_) => OpenOptions::new().append(true).open(out),
        None => {
            let sidecar = sidecar_path(out);
            let text =
                serde_json::to_string_pretty(&plan.sidecar()).expect("JSON values serialise");
            std::fs::write(&sidecar, text + "\n").map_err(|e| TournamentError::io(&sidecar, e))?;
            File::create(out)
        }
    }
    .map_err(|e| TournamentError::io(out, e))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    if prior.is_none() {
        w.write_all(header().as_bytes())
            .map_err(|e| TournamentError::io(out, e))?;
    }
    let done = prior.as_ref().map(|p| &p.done);
    let pending: Vec<u64> = plan
        .owned()
        .filter(|r| done.is_none_or(|d| !d.contains(r)))
        .collect();
    let skipped = owned - pending.len() as u64;
    progress.start(owned, skipped);

    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Result<String, TournamentError>)>();
    let mut failure: Option<TournamentError> = None;
    pool.in_place_scope(|s| {
        for _ in 0..pool.current_num_threads() {
            let tx = tx.clone();
            let (next, stop, pending, ctors) = (&next, &stop, &pending, &ctors);
            s.spawn(move |_| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= pending.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                let row = run_row(plan, scenarios, ctors, plan.spec(pending[i]));
                if tx.send((i, row)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, String> = BTreeMap::new();
        let mut want = 0usize;
        for (i, row) in rx {
            match row {
                Ok(row) => {
                    waiting.insert(i, row);
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            while let Some(row) = waiting.remove(&want) {
                if let Err(e) = w.write_all(row.as_bytes()) {
                    failure = Some(TournamentError::io(out, e));
                    break;
                }
                want += 1;
                progress.advance(1);
            }
            if failure.is_some() {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    if let Some(e) = failure {
        let _ = w.flush();
        return Err(e);
    }
    w.flush().map_err(|e| TournamentError::io(out, e))?;
    drop(w);
    if prior.as_ref().is_some_and(|p| !p.in_order) {
        crate::merge::sort_file(out)?;
    }
    Ok(RunReport {
        owned,
        skipped,
        ran: pending.len() as u64,
        finished: Instant::now(),
    })
}
