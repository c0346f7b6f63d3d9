//! `pactum mediate` on the bundled job-offer example (bilateral) and an
//! ANAC 3-party scenario: text, JSON, trace views, plot and errors.

use std::path::PathBuf;
use std::process::Command;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/job-offer")
}

fn pactum(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pactum"))
        .args(args)
        .output()
        .expect("pactum runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = pactum(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn bilateral_json_reports_agreement_utilities_and_counts() {
    let dir = example();
    let dir = dir.to_str().unwrap();
    for m in ["sweep", "annealing", "hill-climb", "random-veto"] {
        let doc = json(&[
            "mediate",
            dir,
            "--mediator",
            m,
            "--steps",
            "300",
            "--seed",
            "3",
            "--json",
        ]);
        let issues = doc["issues"].as_array().unwrap().len();
        assert_eq!(doc["mediator"], m);
        assert_eq!(doc["utilities"].as_array().unwrap().len(), 2);
        let proposals = doc["proposals"].as_u64().unwrap();
        assert!(proposals <= 300);
        if m != "hill-climb" {
            assert_eq!(proposals, 300, "{m}");
        }
        assert!(doc["consultations"].as_u64().unwrap() >= proposals);
        if let Some(a) = doc["agreement"].as_array() {
            assert_eq!(a.len(), issues);
            assert_eq!(doc["agreement"], doc["final_text"]);
            let w: f64 = doc["utilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u.as_f64().unwrap())
                .sum();
            assert!((w - doc["welfare"].as_f64().unwrap()).abs() < 1e-12);
        }
    }
    // A seed reproduces the run (seconds aside).
    let args = ["mediate", dir, "--steps", "200", "--seed", "5", "--json"];
    let (mut a, mut b) = (json(&args), json(&args));
    a["seconds"] = serde_json::Value::Null;
    b["seconds"] = serde_json::Value::Null;
    assert_eq!(a, b);
}

#[test]
fn the_trace_records_who_saw_what() {
    let dir = example();
    let doc = json(&[
        "mediate",
        dir.to_str().unwrap(),
        "--mediator",
        "annealing",
        "--steps",
        "50",
        "--json",
        "--trace",
    ]);
    let trace = doc["trace"].as_array().unwrap();
    let consulted = trace.iter().filter(|e| e["event"] == "consulted").count();
    assert_eq!(consulted as u64, doc["consultations"].as_u64().unwrap());
    for e in trace {
        match e["event"].as_str().unwrap() {
            "consulted" | "ratified" => assert_eq!(e["audience"], e["party"], "{e}"),
            "opened" | "adopted" => assert_eq!(e["audience"], "all", "{e}"),
            other => panic!("unknown event {other}"),
        }
    }
    let adopted = trace.iter().filter(|e| e["event"] == "adopted").count();
    assert_eq!(adopted as u64, doc["adoptions"].as_u64().unwrap());
}

#[test]
fn text_output_and_plot() {
    let dir = example();
    let tmp = tempfile::tempdir().unwrap();
    let plot = tmp.path().join("m.svg");
    let out = pactum(&[
        "mediate",
        dir.to_str().unwrap(),
        "--steps",
        "100",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("mediator sweep"), "{text}");
    assert!(
        text.lines().last().unwrap().starts_with("result: "),
        "{text}"
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..40.min(svg.len())]
    );
    assert!(svg.contains("texts held by sweep"));
}

#[test]
fn errors_name_the_problem() {
    let dir = example();
    let dir = dir.to_str().unwrap();
    let out = pactum(&["mediate", dir, "--mediator", "oracle"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown mediator \"oracle\"") && err.contains("random-veto"),
        "{err}"
    );
    let out = pactum(&["mediate", dir, "--trace"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--json"));
    let out = pactum(&["mediate", dir, "--plot", "x.pdf"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(".svg or .png"));
    let out = pactum(&["mediate", "/nonexistent-scenario-dir"]);
    assert!(!out.status.success());
}

#[test]
fn three_party_anac_scenario_with_negmas_rules() {
    let Some(dir) = pactum_testkit::scenario("anac/y2015/group2-dinner") else {
        return;
    };
    let doc = json(&[
        "mediate",
        dir.to_str().unwrap(),
        "--semantics",
        "negmas",
        "--json",
    ]);
    assert_eq!(doc["normalize"], "independent");
    assert_eq!(doc["utilities"].as_array().unwrap().len(), 3);
    assert_eq!(doc["proposals"], 1000);
    // NegMAS's maximum welfare on this scenario is 2.2582 (oracle); no text exceeds it.
    assert!(doc["welfare"].as_f64().unwrap() <= 2.258216739432356 + 1e-9);
}
