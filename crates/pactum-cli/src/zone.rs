//! `pactum zone`: the agreement zone of a scenario folder, as a report or
//! as the JSON document described in the README.

use std::fmt::Write;
use std::time::Instant;

use anyhow::{Context, Result};
use pactum_core::zone::{NotAdditiveReason, DEFAULT_MAX_BLOCKING_SETS};
use pactum_core::{Point, Zone, ZoneOptions};
use pactum_formats::{report, Loaded};
use serde_json::{json, Map, Value as Json};

use crate::{LoadedScenario, ScenarioArgs};

/// Arguments of `pactum zone`.
#[derive(clap::Args)]
pub struct ZoneArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Print one JSON document (its fields are in the README) instead of the report.
    #[arg(long)]
    json: bool,
    /// Report at most this many minimal blocking sets.
    #[arg(long, default_value_t = DEFAULT_MAX_BLOCKING_SETS)]
    max_blocking_sets: usize,
}

/// Runs `pactum zone`.
pub fn zone(args: ZoneArgs) -> Result<()> {
    let (semantics, normalize) = args.scenario.rules()?;
    let start = Instant::now();
    let ls = args.scenario.load(semantics, normalize)?;
    let z = pactum_core::zone(
        &ls.loaded.scenario,
        &ZoneOptions {
            semantics,
            max_outcomes: args.scenario.max_outcomes,
            max_blocking_sets: args.max_blocking_sets,
        },
    )
    .with_context(|| format!("computing the zone of {}", args.scenario.dir.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    for w in &ls.loaded.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&zone_json(&ls, &z, seconds))?);
    } else {
        print!("{}", zone_text(&ls, &z, seconds));
    }
    Ok(())
}

fn issue_name(loaded: &Loaded, k: usize) -> &str {
    &loaded.scenario.space.issues[k].name
}

fn option_value(loaded: &Loaded, issue: usize, option: u32) -> pactum_core::Value {
    loaded.scenario.space.issues[issue].value(option)
}

fn reason_name(r: NotAdditiveReason) -> &'static str {
    match r {
        NotAdditiveReason::Rectangles => "rectangles",
        NotAdditiveReason::DecreasingMap => "decreasing_map",
    }
}

/// The share of the space in the zone (0 for an empty space).
fn share(z: &Zone) -> f64 {
    if z.outcomes == 0 {
        0.0
    } else {
        z.size as f64 / z.outcomes as f64
    }
}

/// The `pactum zone --json` document.
fn zone_json(ls: &LoadedScenario, z: &Zone, seconds: f64) -> Json {
    let loaded = &ls.loaded;
    let profile = |i: usize| loaded.parties[i].profile.as_str();
    let mut m = Map::new();
    m.insert("scenario".into(), json!(ls.id));
    m.insert("semantics".into(), json!(ls.semantics.name()));
    m.insert("normalize".into(), json!(ls.normalize.name()));
    m.insert("outcomes".into(), json!(z.outcomes));
    m.insert("size".into(), json!(z.size));
    m.insert("share".into(), json!(share(z)));
    m.insert("empty".into(), json!(z.is_empty()));
    m.insert(
        "parties".into(),
        Json::Array(
            (0..loaded.parties.len())
                .map(|i| {
                    json!({
                        "profile": profile(i),
                        "reservation_used": report::num(z.reservations[i]),
                        "concession": z.concessions[i].map(report::num),
                    })
                })
                .collect(),
        ),
    );
    m.insert(
        "issues".into(),
        json!(loaded
            .scenario
            .space
            .issues
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()),
    );
    m.insert("packages".into(), report::points(loaded, &z.packages));
    m.insert("nash".into(), report::points(loaded, &z.nash));
    m.insert(
        "blocking_sets".into(),
        json!(z
            .blocking_sets
            .iter()
            .map(|s| s.iter().map(|&k| issue_name(loaded, k)).collect::<Vec<_>>())
            .collect::<Vec<_>>()),
    );
    m.insert("blocking_truncated".into(), json!(z.blocking_truncated));
    m.insert(
        "not_additive".into(),
        match &z.not_additive {
            None => Json::Null,
            Some(e) => json!({
                "profile": profile(e.party),
                "reason": reason_name(e.reason),
                "message": e.to_string(),
            }),
        },
    );
    m.insert(
        "explanation".into(),
        Json::Array(
            z.explanation
                .iter()
                .map(|s| {
                    json!({
                        "issue": issue_name(loaded, s.issue),
                        "chosen": report::value(&option_value(loaded, s.issue, s.chosen)),
                        "distance": report::num(s.distance),
                        "parties": s.parties.iter().enumerate().map(|(i, p)| json!({
                            "profile": profile(i),
                            "best": report::value(&option_value(loaded, s.issue, p.best)),
                            "gives": report::num(p.gives),
                            "gets": report::num(p.gets),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        ),
    );
    m.insert("seconds".into(), json!(seconds));
    Json::Object(m)
}

fn fmt_utility(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        format!("{x}")
    }
}

fn write_point(s: &mut String, loaded: &Loaded, p: &Point) {
    let us: Vec<String> = p.utilities.iter().map(|u| format!("{u:.6}")).collect();
    let _ = writeln!(s, "  utilities ({})", us.join(", "));
    for (issue, v) in loaded
        .scenario
        .space
        .issues
        .iter()
        .zip(report::outcome_values(loaded, p))
    {
        let _ = writeln!(s, "    {} = {v}", issue.name);
    }
}

/// The human-readable report of `pactum zone`.
fn zone_text(ls: &LoadedScenario, z: &Zone, seconds: f64) -> String {
    let loaded = &ls.loaded;
    let profiles: Vec<&str> = loaded.parties.iter().map(|p| p.profile.as_str()).collect();
    let width = profiles.iter().map(|p| p.len()).max().unwrap_or(0).max(8);
    let mut s = String::new();
    let _ = writeln!(s, "Scenario   {}  (domain {})", ls.id, loaded.domain_file);
    let _ = writeln!(
        s,
        "Semantics  {}  (normalize: {})",
        ls.semantics.name(),
        ls.normalize.name()
    );
    let _ = writeln!(s, "\nReservation values used");
    for (p, &r) in profiles.iter().zip(&z.reservations) {
        let _ = writeln!(s, "  {p:<width$}  {}", fmt_utility(r));
    }
    if z.is_empty() {
        let _ = writeln!(
            s,
            "\nAgreement zone: EMPTY (no outcome of {} clears every reservation value)",
            z.outcomes
        );
        let _ = writeln!(s, "\nBlocking sets (minimal sets of issues on which no choice clears every party, even with every other issue credited to each party's liking)");
        match &z.not_additive {
            Some(e) => {
                let _ = writeln!(s, "  not computed: {e}");
            }
            None if z.blocking_sets == [Vec::<usize>::new()] => {
                let _ = writeln!(s, "  {{}}  (some party's ideal outcome is below its reservation value: no choice of issues can help)");
            }
            None => {
                for set in &z.blocking_sets {
                    let names: Vec<&str> = set.iter().map(|&k| issue_name(loaded, k)).collect();
                    let _ = writeln!(s, "  {{{}}}", names.join(", "));
                }
                if z.blocking_truncated {
                    let _ = writeln!(s, "  ... there may be more (raise --max-blocking-sets)");
                }
            }
        }
        let _ = writeln!(
            s,
            "\nSmallest concessions (how far a reservation value would have to fall, the others unchanged)"
        );
        for (p, c) in profiles.iter().zip(&z.concessions) {
            let c = match c {
                Some(c) => fmt_utility(*c),
                None => "none would do (no outcome clears the others)".into(),
            };
            let _ = writeln!(s, "  {p:<width$}  {c}");
        }
    } else {
        let _ = writeln!(
            s,
            "\nAgreement zone: {} of {} outcomes ({:.2}%)",
            z.size,
            z.outcomes,
            100.0 * share(z)
        );
        let _ = writeln!(
            s,
            "\nPackages: {} on the zone's Pareto frontier",
            z.packages.len()
        );
        for p in z.packages.iter().take(5) {
            write_point(&mut s, loaded, p);
        }
        if z.packages.len() > 5 {
            let _ = writeln!(s, "  ... and {} more (see --json)", z.packages.len() - 5);
        }
        let _ = writeln!(
            s,
            "\nNash package{}",
            if z.nash.len() == 1 { "" } else { "s" }
        );
        for p in &z.nash {
            write_point(&mut s, loaded, p);
        }
        match &z.not_additive {
            Some(e) => {
                let _ = writeln!(s, "\nPer-issue explanation not computed: {e}");
            }
            None => {
                let _ = writeln!(s, "\nWhere the distance lies (at the first Nash package; gives: utility forgone against the party's best option on the issue, gets: utility above its worst)");
                for share in &z.explanation {
                    let _ = writeln!(
                        s,
                        "  {} = {}  (distance {:.4})",
                        issue_name(loaded, share.issue),
                        option_value(loaded, share.issue, share.chosen),
                        share.distance
                    );
                    for (p, ps) in profiles.iter().zip(&share.parties) {
                        let _ = writeln!(
                            s,
                            "      {p:<width$}  gives {:.4}  gets {:.4}  (best: {})",
                            ps.gives,
                            ps.gets,
                            option_value(loaded, share.issue, ps.best)
                        );
                    }
                }
            }
        }
    }
    let _ = writeln!(s, "\nComputed in {seconds:.4} s");
    s
}
