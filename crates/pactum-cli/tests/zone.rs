//! `pactum zone` end to end: the JSON document against `pactum analyze
//! --json` on the same scenario, concessions checked by moving a
//! reservation value in the profile and asking again, and refusals.

use serde_json::Value;
use std::path::{Path, PathBuf};
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

fn json(args: &[&str]) -> Value {
    let out = pactum(args);
    assert!(
        out.status.success(),
        "pactum {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Checks a zone document against the analysis of the same scenario.
fn consistent_with_analysis(dir: &Path, extra: &[&str]) -> Value {
    let d = dir.to_str().unwrap();
    let mut args = vec!["zone", d, "--json"];
    args.extend(extra);
    let z = json(&args);
    let mut args = vec!["analyze", d, "--json"];
    args.extend(extra);
    let a = json(&args);

    assert_eq!(z["outcomes"], a["outcomes"]);
    assert_eq!(z["size"], a["rational_outcomes"]);
    assert_eq!(z["empty"], z["size"] == 0);
    let share = z["share"].as_f64().unwrap();
    let (size, outcomes) = (z["size"].as_f64().unwrap(), z["outcomes"].as_f64().unwrap());
    assert!((share - size / outcomes).abs() < 1e-12);
    let reservations: Vec<f64> = a["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["reservation_used"].as_f64().unwrap_or(f64::NEG_INFINITY))
        .collect();
    for (zp, ap) in z["parties"]
        .as_array()
        .unwrap()
        .iter()
        .zip(a["parties"].as_array().unwrap())
    {
        assert_eq!(zp["profile"], ap["profile"]);
        assert_eq!(zp["reservation_used"], ap["reservation_used"]);
    }
    let pareto = a["pareto"].as_array().unwrap();
    for p in z["packages"].as_array().unwrap() {
        assert!(pareto.contains(p), "package {p} is not on the frontier");
        let u = floats(&p["utilities"]);
        assert!(u.iter().zip(&reservations).all(|(u, r)| u >= r), "{u:?}");
    }
    // Every frontier point clearing the reservation values is a package.
    let clearing = pareto
        .iter()
        .filter(|p| {
            floats(&p["utilities"])
                .iter()
                .zip(&reservations)
                .all(|(u, r)| u >= r)
        })
        .count();
    assert_eq!(z["packages"].as_array().unwrap().len(), clearing);
    assert_eq!(z["nash"], a["nash"]);
    assert_eq!(
        z["empty"],
        Value::Bool(z["nash"].as_array().unwrap().is_empty())
    );
    z
}

#[test]
fn the_example_has_a_zone_and_an_explanation() {
    let z = consistent_with_analysis(&example(), &[]);
    assert_eq!(z["scenario"], "job-offer");
    assert_eq!(z["semantics"], "genius");
    assert_eq!(z["empty"], false);
    assert_eq!(z["blocking_sets"], serde_json::json!([]));
    assert_eq!(z["not_additive"], Value::Null);
    for p in z["parties"].as_array().unwrap() {
        assert_eq!(p["concession"], 0.0);
    }
    // One explanation row per issue, largest distance first, its option the Nash package's.
    let issues = z["issues"].as_array().unwrap();
    let nash = &z["nash"][0]["outcome"];
    let rows = z["explanation"].as_array().unwrap();
    assert_eq!(rows.len(), issues.len());
    let distances: Vec<f64> = rows
        .iter()
        .map(|r| r["distance"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] >= w[1]), "{distances:?}");
    for r in rows {
        let k = issues.iter().position(|i| *i == r["issue"]).unwrap();
        assert_eq!(r["chosen"], nash[k]);
        let gives: f64 = r["parties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                assert!(p["gives"].as_f64().unwrap() >= 0.0);
                assert!(p["gets"].as_f64().unwrap() >= 0.0);
                p["gives"].as_f64().unwrap()
            })
            .sum();
        assert!((gives - r["distance"].as_f64().unwrap()).abs() < 1e-12);
    }
    let out = pactum(&["zone", example().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Agreement zone: "), "{text}");
    assert!(text.contains("Nash package"), "{text}");
    assert!(text.contains("Where the distance lies"), "{text}");
}

/// The example with both reservation values replaced.
fn example_with_reservations(dir: &Path, candidate: f64, employer: f64) {
    for (file, r) in [("candidate.xml", candidate), ("employer.xml", employer)] {
        let text = std::fs::read_to_string(example().join(file)).unwrap();
        let start = text.find("<reservation value=\"").unwrap() + "<reservation value=\"".len();
        let end = start + text[start..].find('"').unwrap();
        let text = format!("{}{r:?}{}", &text[..start], &text[end..]);
        std::fs::write(dir.join(file), text).unwrap();
    }
    std::fs::copy(
        example().join("job-offer-domain.xml"),
        dir.join("job-offer-domain.xml"),
    )
    .unwrap();
}

#[test]
fn an_empty_zone_has_blocking_sets_and_concessions_that_open_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (rc, re) = (0.8, 0.8);
    example_with_reservations(tmp.path(), rc, re);
    let z = consistent_with_analysis(tmp.path(), &[]);
    assert_eq!(z["empty"], true);
    assert_eq!(z["size"], 0);
    assert_eq!(z["explanation"], serde_json::json!([]));
    let issues = z["issues"].as_array().unwrap();
    let sets = z["blocking_sets"].as_array().unwrap();
    assert!(!sets.is_empty());
    for set in sets {
        for name in set.as_array().unwrap() {
            assert!(issues.contains(name), "{name}");
        }
    }
    assert_eq!(z["blocking_truncated"], false);
    let out = pactum(&["zone", tmp.path().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("EMPTY"), "{text}");
    assert!(text.contains("Smallest concessions"), "{text}");

    // Each concession, made alone, opens the zone; a little less does not.
    let c: Vec<f64> = z["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["concession"].as_f64().expect("a concession"))
        .collect();
    assert!(c.iter().all(|&c| c > 0.0), "{c:?}");
    for (party, &c) in c.iter().enumerate() {
        for (lower, opens) in [(c + 1e-9, true), (c - 1e-6, false)] {
            let dir = tempfile::tempdir().unwrap();
            let (a, b) = if party == 0 {
                (rc - lower, re)
            } else {
                (rc, re - lower)
            };
            example_with_reservations(dir.path(), a, b);
            let z = json(&["zone", dir.path().to_str().unwrap(), "--json"]);
            assert_eq!(z["empty"], !opens, "party {party} lowering by {lower}");
        }
    }
}

#[test]
fn negmas_semantics_agree_with_analysis_too() {
    consistent_with_analysis(&example(), &["--semantics", "negmas"]);
    consistent_with_analysis(
        &example(),
        &["--semantics", "negmas", "--normalize", "independent"],
    );
}

#[test]
fn shared_scenarios_agree_with_analysis() {
    let Some(root) = pactum_testkit::scenarios() else {
        return;
    };
    let z = consistent_with_analysis(&root.join("anac/y2010/EnglandZimbabwe"), &[]);
    assert_eq!(z["empty"], false);
    // Three parties.
    let z = consistent_with_analysis(
        &root.join("anac/y2015/group2-dinner"),
        &["--semantics", "negmas"],
    );
    assert_eq!(z["parties"].as_array().unwrap().len(), 3);
    // An empty zone in the wild: one issue, reservation values of 0.5.
    let z = consistent_with_analysis(&root.join("anac/y2012/NiceOrDieC"), &[]);
    assert_eq!(z["empty"], true);
    assert_eq!(z["blocking_sets"], serde_json::json!([["NiceOrDie"]]));
}

#[test]
fn bad_input_gets_a_clear_error() {
    let out = pactum(&["zone", "no/such/folder"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/folder"), "{err}");
    let out = pactum(&[
        "zone",
        example().to_str().unwrap(),
        "--normalize",
        "independent",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--normalize applies to --semantics negmas")
    );
    let out = pactum(&["zone", example().to_str().unwrap(), "--max-outcomes", "10"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("180 outcomes"));
}
