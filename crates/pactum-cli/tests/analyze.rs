//! `pactum analyze` end to end: the JSON contract, the report, and refusals.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/job-offer")
}

fn pactum(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pactum"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn json_follows_the_contract() {
    let dir = example();
    let out = pactum(&["analyze", dir.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["scenario"], "job-offer");
    assert_eq!(doc["semantics"], "genius");
    assert_eq!(doc["normalize"], "none");
    assert_eq!(doc["outcomes"], 180);
    let parties = doc["parties"].as_array().unwrap();
    assert_eq!(parties[0]["profile"], "candidate.xml");
    assert_eq!(parties[1]["discount"], 0.9);
    assert_eq!(parties[1]["reservation"], 0.4);
    assert_eq!(parties[1]["reservation_used"], 0.4);
    let issues = doc["issues"].as_array().unwrap();
    assert_eq!(issues[0]["values"].as_array().unwrap().len(), 4);
    assert_eq!(
        (issues[3]["min"].as_i64(), issues[3]["max"].as_i64()),
        (Some(0), Some(4))
    );
    // Points sorted ascending by utilities; outcome values typed per issue kind.
    let pareto = doc["pareto"].as_array().unwrap();
    let keys: Vec<Vec<f64>> = pareto
        .iter()
        .map(|p| {
            p["utilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u.as_f64().unwrap())
                .collect()
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "pareto not sorted");
    for key in [
        "pareto",
        "nash",
        "kalai_smorodinsky",
        "kalai",
        "max_welfare",
    ] {
        for p in doc[key].as_array().unwrap() {
            let o = p["outcome"].as_array().unwrap();
            assert_eq!(o.len(), 4);
            assert!(o[0].is_string() && o[3].is_i64(), "{key}: {o:?}");
        }
    }
    // The split adds up to the whole: loading and analysis, nothing else.
    let seconds = doc["seconds"].as_f64().unwrap();
    let (load, analysis) = (
        doc["timings"]["load"].as_f64().unwrap(),
        doc["timings"]["analysis"].as_f64().unwrap(),
    );
    assert!(load > 0.0 && analysis > 0.0, "{}", doc["timings"]);
    assert!((load + analysis - seconds).abs() <= 1e-12 * seconds.max(1.0));
    assert!(doc["rational_outcomes"].as_u64().unwrap() <= 180);
}

#[test]
fn negmas_json_writes_infinite_reservations_as_strings() {
    let dir = example();
    let out = pactum(&[
        "analyze",
        dir.to_str().unwrap(),
        "--json",
        "--semantics",
        "negmas",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The employer's profile is discounted: NegMAS's wrapper reserves -inf.
    assert_eq!(doc["parties"][1]["reservation_used"], "-inf");
}

#[test]
fn root_makes_the_scenario_id_relative() {
    let dir = example();
    let root = dir.parent().unwrap().parent().unwrap();
    let out = pactum(&[
        "analyze",
        dir.to_str().unwrap(),
        "--json",
        "--root",
        root.to_str().unwrap(),
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["scenario"], "scenarios/job-offer");
}

#[test]
fn report_names_the_solutions_with_values() {
    let out = pactum(&["analyze", example().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "Pareto frontier",
        "Nash",
        "Kalai-Smorodinsky",
        "Kalai (egalitarian)",
        "Max welfare",
        "Salary = ",
        "Opposition",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn too_large_spaces_are_refused_naming_limit_and_size() {
    let dir = example();
    let t = std::time::Instant::now();
    let out = pactum(&["analyze", dir.to_str().unwrap(), "--max-outcomes", "100"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("180") && err.contains("100") && err.contains("--max-outcomes"),
        "{err}"
    );
    assert!(t.elapsed().as_secs() < 10);
}

#[test]
fn normalize_needs_negmas_semantics() {
    let out = pactum(&[
        "analyze",
        example().to_str().unwrap(),
        "--normalize",
        "independent",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--semantics negmas"));
}

#[test]
fn plot_writes_svg_and_png_without_touching_json() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("a.svg");
    let png = dir.path().join("a.png");
    for file in [&svg, &png] {
        let out = pactum(&[
            "analyze",
            example().to_str().unwrap(),
            "--json",
            "--plot",
            file.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("stdout stays one JSON document");
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg") || text.starts_with("<?xml"),
        "{}",
        &text[..40]
    );
    assert!(text.contains("Nash") && text.contains("candidate.xml"));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn plot_needs_a_known_extension() {
    let out = pactum(&["analyze", example().to_str().unwrap(), "--plot", "out.pdf"]);
    assert_eq!(out.status.code(), Some(2));
}
