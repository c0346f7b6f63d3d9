//! `pactum negotiate` on the bundled job-offer example: the text trace,
//! the JSON trace, the plot, and the errors users see.

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

fn negotiate(extra: &[&str]) -> std::process::Output {
    let dir = example();
    let mut args = vec![
        "negotiate",
        dir.to_str().unwrap(),
        "--negotiators",
        "boulware,conceder",
        "--steps",
        "50",
        "--seed",
        "1",
    ];
    args.extend_from_slice(extra);
    pactum(&args)
}

#[test]
fn text_trace_shows_steps_offers_utilities_and_the_result() {
    let out = negotiate(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("step") && text.contains("u0") && text.contains("u1"),
        "{text}"
    );
    assert!(text.contains("boulware") && text.contains("conceder"));
    assert!(text.contains("offer") && text.contains("reject"));
    assert!(text.contains('='), "offers as issue=value: {text}");
    assert!(
        text.lines().last().unwrap().starts_with("result: "),
        "{text}"
    );
    // A seed reproduces the run.
    assert_eq!(negotiate(&[]).stdout, text.into_bytes());
}

#[test]
fn json_trace_matches_the_result() {
    let out = negotiate(&["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let trace = doc["trace"].as_array().unwrap();
    assert!(!trace.is_empty());
    let first = &trace[0];
    assert_eq!(first["action"], "offer");
    assert!(first["offer"].is_object() && first["utilities"].as_array().unwrap().len() == 2);
    let result = &doc["result"];
    let steps = result["steps"].as_u64().unwrap();
    assert!(steps <= 50);
    if result["agreement"] == true {
        assert_eq!(result["end"], "agreement");
        let last = trace.last().unwrap();
        assert_eq!(last["action"], "accept");
        assert_eq!(last["offer"], result["outcome"]);
    }
}

#[test]
fn plot_writes_an_svg_with_both_sides_offers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.svg");
    let out = negotiate(&["--plot", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches(r#"class="track""#).count(), 2);
    assert!(svg.contains("offers of boulware") && svg.contains("Pareto frontier"));
    assert!(well_formed(&svg), "the SVG's tags do not balance");
}

/// A minimal well-formedness check: balanced tags (the picture is written
/// by hand with plain elements, no CDATA or comments).
fn well_formed(svg: &str) -> bool {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').map(|e| i + e).unwrap();
        let tag = &rest[i + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.ends_with('/') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop().as_deref() != Some(name) {
                return false;
            }
        } else {
            stack.push(tag.split_whitespace().next().unwrap().to_string());
        }
    }
    stack.is_empty()
}

#[test]
fn unknown_negotiators_list_the_available_ones() {
    let dir = example();
    let out = pactum(&[
        "negotiate",
        dir.to_str().unwrap(),
        "--negotiators",
        "boulware,bolware",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bolware") && err.contains("naive-tft") && err.contains("accept-all"),
        "{err}"
    );
}

#[test]
fn bad_scenarios_get_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(example()).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let domain = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("negotiation_template")
        })
        .unwrap();
    let text = std::fs::read_to_string(&domain).unwrap();
    std::fs::write(&domain, text.replacen("<issue ", "<issue bogus=\"\" <", 1)).unwrap();
    let out = pactum(&[
        "negotiate",
        dir.path().to_str().unwrap(),
        "--negotiators",
        "boulware,conceder",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let name = domain.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(&format!("{name}:")), "{err}");
}
