//! `--semantics negmas` against NegMAS 0.16.0's own analysis of the shared
//! scenarios (`oracle/negmas-analysis*.json`): same frontier, same Nash,
//! Kalai–Smorodinsky, Kalai and max-welfare points, raw and normalised.

use pactum_core::{analyze, AnalysisOptions, Point, Semantics};
use pactum_formats::{load_folder, LoadOptions, Normalize};
use serde_json::Value;

const TOL: f64 = 1e-9;

fn f(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => match s.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            _ => f64::NAN,
        },
        other => panic!("not a number: {other}"),
    }
}

fn vecs(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_array().unwrap().iter().map(f).collect())
        .collect()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= TOL || x == y)
}

/// Every point of each side lies within the tolerance of a point of the other.
fn covers(ours: &[Vec<f64>], theirs: &[Vec<f64>]) -> bool {
    ours.iter().all(|p| theirs.iter().any(|q| close(p, q)))
        && theirs.iter().all(|q| ours.iter().any(|p| close(p, q)))
}

fn utils(points: &[Point]) -> Vec<Vec<f64>> {
    points.iter().map(|p| p.utilities.clone()).collect()
}

/// Compares one scenario in one mode; returns the problems found.
fn check(entry: &Value, root: &std::path::Path, mode: &str) -> Vec<String> {
    let id = entry["scenario"].as_str().unwrap();
    let normalize = if mode == "raw" {
        Normalize::None
    } else {
        Normalize::Independent
    };
    let options = LoadOptions {
        semantics: Semantics::Negmas,
        normalize,
        ..LoadOptions::default()
    };
    let loaded = match load_folder(&root.join(id), &options) {
        Ok(l) => l,
        Err(e) => return vec![format!("{id} [{mode}]: load failed: {e}")],
    };
    let a = analyze(
        &loaded.scenario,
        &AnalysisOptions {
            semantics: Semantics::Negmas,
            max_outcomes: 10_000_000,
        },
    )
    .unwrap();
    let m = &entry["modes"][mode];
    let mut problems = Vec::new();
    let mut expect = |what: &str, ok: bool, detail: String| {
        if !ok {
            problems.push(format!("{id} [{mode}] {what}: {detail}"));
        }
    };
    let ranges = vecs(&m["utility_ranges"]);
    let ours: Vec<Vec<f64>> = a.ranges.iter().map(|&(lo, hi)| vec![lo, hi]).collect();
    expect(
        "ranges",
        covers(&ours, &ranges) && ours.len() == ranges.len(),
        format!("{ours:?} vs {ranges:?}"),
    );
    let reserved: Vec<f64> = m["reserved_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    expect(
        "reserved values",
        close(&a.reservation_used, &reserved),
        format!("{:?} vs {reserved:?}", a.reservation_used),
    );
    expect(
        "rational outcomes",
        a.rational_outcomes == m["n_rational"].as_u64().unwrap(),
        format!("{} vs {}", a.rational_outcomes, m["n_rational"]),
    );
    let frontier = vecs(&m["pareto"]["utils"]);
    let ours = utils(&a.pareto);
    if mode == "raw" {
        expect(
            "frontier size",
            ours.len() == frontier.len(),
            format!("{} vs {}", ours.len(), frontier.len()),
        );
    }
    expect(
        "frontier points",
        covers(&ours, &frontier),
        format!("{} vs {} points", ours.len(), frontier.len()),
    );
    for (key, ours) in [
        ("nash", &a.nash),
        ("kalai_smorodinsky", &a.kalai_smorodinsky),
        ("kalai", &a.kalai),
        ("max_welfare", &a.max_welfare),
    ] {
        let theirs: Vec<Vec<f64>> = m[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["utils"].as_array().unwrap().iter().map(f).collect())
            .collect();
        let ours = utils(ours);
        expect(
            key,
            covers(&ours, &theirs),
            format!("{ours:?} vs {theirs:?}"),
        );
    }
    problems
}

fn run(file: &str) {
    let Some(root) = pactum_testkit::scenarios() else {
        return;
    };
    let Some(oracle) = pactum_testkit::oracle() else {
        return;
    };
    let text = std::fs::read_to_string(oracle.join(file)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in doc["scenarios"].as_array().unwrap() {
        if entry["status"] != "ok" {
            continue;
        }
        for mode in ["raw", "normalized"] {
            problems.extend(check(entry, &root, mode));
        }
        checked += 1;
    }
    assert!(checked > 0, "no scenario with status ok in {file}");
    assert!(
        problems.is_empty(),
        "{} problems over {checked} scenarios:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!("{file}: {checked} scenarios match NegMAS in raw and normalized mode");
}

#[test]
fn bilateral_scenarios_match_negmas() {
    run("negmas-analysis.json");
}

#[test]
fn three_party_scenarios_match_negmas() {
    run("negmas-analysis-3party.json");
}
