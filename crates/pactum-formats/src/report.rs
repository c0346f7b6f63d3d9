//! The analysis JSON contract (documented in the README) and the plain-text
//! report, both written from a [`Loaded`] scenario and its [`Analysis`].

use crate::{Loaded, Normalize};
use pactum_core::{Analysis, IssueKind, OutcomeCount, Point, Semantics, Value};
use serde_json::{json, Map, Value as Json};

/// A float as the oracle writes it: non-finite values become strings.
pub fn num(x: f64) -> Json {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("nan")
    } else if x > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

fn opt(x: Option<f64>) -> Json {
    x.map(num).unwrap_or(Json::Null)
}

/// An option's value as JSON: text, integer, or a number (see [`num`]).
pub fn value(v: &Value) -> Json {
    match v {
        Value::Text(s) => json!(s),
        Value::Integer(i) => json!(i),
        Value::Real(x) => num(*x),
    }
}

/// The values of a point's outcome, in issue order.
pub fn outcome_values(loaded: &Loaded, p: &Point) -> Vec<Value> {
    let space = &loaded.scenario.space;
    let mut d = vec![0u32; space.issues.len()];
    space.digits(p.outcome, &mut d);
    space.values(&d)
}

/// Points as `{"utilities": [...], "outcome": [...]}` objects.
pub fn points(loaded: &Loaded, pts: &[Point]) -> Json {
    Json::Array(
        pts.iter()
            .map(|p| {
                json!({
                    "utilities": p.utilities.iter().map(|&u| num(u)).collect::<Vec<_>>(),
                    "outcome": outcome_values(loaded, p).iter().map(value).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The outcome count: a number up to 2^53, an exact decimal string above.
pub fn count(c: &OutcomeCount) -> Json {
    match c {
        OutcomeCount::Small(n) if *n <= 1 << 53 => json!(n),
        other => json!(other.to_string()),
    }
}

/// Where an analysis's time went, in seconds.
///
/// Kept apart because the two halves answer different questions: `load`
/// (finding, reading and converting the files) is mostly the operating
/// system's cost for small scenarios, while `analysis` is the part that
/// NegMAS's own timings cover.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    /// Finding, reading and parsing the files and building the utility functions.
    pub load: f64,
    /// Enumeration, evaluation, frontier and solution points.
    pub analysis: f64,
}

impl Timings {
    /// The whole: the contract's `seconds`.
    pub fn total(&self) -> f64 {
        self.load + self.analysis
    }
}

/// The `pactum analyze --json` document.
pub fn analysis_json(
    scenario_id: &str,
    loaded: &Loaded,
    semantics: Semantics,
    normalize: Normalize,
    analysis: &Analysis,
    timings: Timings,
) -> Json {
    let mut m = Map::new();
    m.insert("scenario".into(), json!(scenario_id));
    m.insert("semantics".into(), json!(semantics.name()));
    m.insert("normalize".into(), json!(normalize.name()));
    m.insert(
        "parties".into(),
        Json::Array(
            loaded
                .parties
                .iter()
                .zip(&analysis.reservation_used)
                .map(|(p, &r)| {
                    json!({
                        "profile": p.profile,
                        "reservation": opt(p.reservation),
                        "reservation_used": num(r),
                        "discount": opt(p.discount),
                    })
                })
                .collect(),
        ),
    );
    m.insert(
        "issues".into(),
        Json::Array(
            loaded
                .scenario
                .space
                .issues
                .iter()
                .map(|i| match &i.kind {
                    IssueKind::Discrete(v) => json!({"name": i.name, "values": v}),
                    IssueKind::Integer { min, max } => {
                        json!({"name": i.name, "min": min, "max": max})
                    }
                    IssueKind::Real { min, max, steps } => {
                        json!({"name": i.name, "min": num(*min), "max": num(*max), "steps": steps})
                    }
                })
                .collect(),
        ),
    );
    m.insert("outcomes".into(), count(&loaded.scenario.space.count()));
    m.insert(
        "rational_outcomes".into(),
        json!(analysis.rational_outcomes),
    );
    m.insert("pareto".into(), points(loaded, &analysis.pareto));
    m.insert("nash".into(), points(loaded, &analysis.nash));
    m.insert(
        "kalai_smorodinsky".into(),
        points(loaded, &analysis.kalai_smorodinsky),
    );
    m.insert("kalai".into(), points(loaded, &analysis.kalai));
    m.insert("max_welfare".into(), points(loaded, &analysis.max_welfare));
    m.insert("opposition".into(), num(analysis.opposition));
    m.insert(
        "ranges".into(),
        Json::Array(
            analysis
                .ranges
                .iter()
                .map(|&(a, b)| json!([num(a), num(b)]))
                .collect(),
        ),
    );
    m.insert("seconds".into(), json!(timings.total()));
    m.insert(
        "timings".into(),
        json!({"load": timings.load, "analysis": timings.analysis}),
    );
    Json::Object(m)
}

/// The human-readable report of `pactum analyze`.
pub fn analysis_text(
    scenario_id: &str,
    loaded: &Loaded,
    semantics: Semantics,
    normalize: Normalize,
    analysis: &Analysis,
    timings: Timings,
) -> String {
    use std::fmt::Write;
    let space = &loaded.scenario.space;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Scenario   {scenario_id}  (domain {})",
        loaded.domain_file
    );
    let _ = writeln!(
        s,
        "Semantics  {}  (normalize: {})",
        semantics.name(),
        normalize.name()
    );
    let _ = writeln!(s, "\nIssues ({})", space.issues.len());
    for i in &space.issues {
        let desc = match &i.kind {
            IssueKind::Discrete(v) => format!("{} options", v.len()),
            IssueKind::Integer { min, max } => format!("integer {min}..={max}"),
            IssueKind::Real { min, max, steps } => {
                format!("real {min}..{max}, discretised into {steps} steps")
            }
        };
        let _ = writeln!(s, "  {:<40} {desc}", i.name);
    }
    let _ = writeln!(s, "\nParties ({})", loaded.parties.len());
    let _ = writeln!(
        s,
        "  {:<32} {:>12} {:>12} {:>10}  utility range",
        "profile", "reservation", "(used)", "discount"
    );
    for ((p, r), (lo, hi)) in loaded
        .parties
        .iter()
        .zip(&analysis.reservation_used)
        .zip(&analysis.ranges)
    {
        let _ = writeln!(
            s,
            "  {:<32} {:>12} {:>12} {:>10}  [{lo:.4}, {hi:.4}]",
            p.profile,
            p.reservation
                .map(|x| format!("{x}"))
                .unwrap_or_else(|| "-".into()),
            if r.is_finite() {
                format!("{r:.4}")
            } else {
                format!("{r}")
            },
            p.discount
                .map(|x| format!("{x}"))
                .unwrap_or_else(|| "-".into()),
        );
    }
    let _ = writeln!(s, "\nOutcomes              {}", space.count());
    let _ = writeln!(s, "Individually rational {}", analysis.rational_outcomes);
    let _ = writeln!(s, "Pareto frontier       {} points", analysis.pareto.len());
    let _ = writeln!(s, "Opposition            {:.4}  (distance from the ideal point to the nearest outcome, utilities scaled to [0, 1])", analysis.opposition);
    for (title, pts) in [
        ("Nash", &analysis.nash),
        ("Kalai-Smorodinsky", &analysis.kalai_smorodinsky),
        ("Kalai (egalitarian)", &analysis.kalai),
        ("Max welfare", &analysis.max_welfare),
    ] {
        let _ = writeln!(
            s,
            "\n{title}: {} point{}",
            pts.len(),
            if pts.len() == 1 { "" } else { "s" }
        );
        for p in pts.iter().take(5) {
            let us: Vec<String> = p.utilities.iter().map(|u| format!("{u:.6}")).collect();
            let _ = writeln!(s, "  utilities ({})", us.join(", "));
            for (issue, v) in space.issues.iter().zip(outcome_values(loaded, p)) {
                let _ = writeln!(s, "    {} = {v}", issue.name);
            }
        }
        if pts.len() > 5 {
            let _ = writeln!(s, "  ... and {} more (see --json)", pts.len() - 5);
        }
    }
    let _ = writeln!(
        s,
        "\nAnalysed in {:.4} s (loading {:.4} s, analysis {:.4} s)",
        timings.total(),
        timings.load,
        timings.analysis
    );
    s
}
