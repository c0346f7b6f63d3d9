//! `pactum tournament` end to end: the harness's columns, the summary
//! files, resume, shards merged, and the errors users see.

use std::path::{Path, PathBuf};
use std::process::Command;

fn pactum(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pactum"))
        .args(args)
        .output()
        .expect("pactum runs")
}

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/job-offer")
}

fn tournament(out: &Path, extra: &[&str]) -> std::process::Output {
    let dir = example();
    let root = dir.parent().unwrap();
    let mut args = vec![
        "tournament",
        "--scenarios",
        dir.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "--negotiators",
        "boulware,conceder,random",
        "--steps",
        "40",
        "--reps",
        "3",
        "--seed",
        "5",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = pactum(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

#[test]
fn header_is_the_harness_columns_and_summary_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.csv");
    let plot = dir.path().join("summary.svg");
    let o = tournament(&out, &["--summary-plot", plot.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "run,rep,scenario,rotation,first,second,first_profile,second_profile,agreement,outcome,first_utility,second_utility,steps,end"
    );
    // 3 negotiators: 9 ordered pairs × 2 rotations × 3 reps.
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 54);
    assert!(
        rows[0].starts_with("0,0,job-offer,0,boulware,boulware,"),
        "{}",
        rows[0]
    );
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(
        table.contains("negotiator") && table.contains("random"),
        "{table}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("results.summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["negotiations"], 54);
    assert!(summary["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(summary["negotiations_per_second"].as_f64().unwrap() > 0.0);
    let n = &summary["negotiators"][0];
    for k in [
        "mean_utility",
        "median_utility",
        "agreement_rate",
        "mean_welfare",
        "mean_pareto_distance",
        "mean_nash_distance",
        "mean_rounds",
    ] {
        assert!(n[k].is_number(), "{k}: {n}");
    }
    assert!(std::fs::read_to_string(&plot).unwrap().contains("</svg>"));
    assert!(dir.path().join("results.csv.plan.json").exists());
}

#[test]
fn resume_shards_and_merge_give_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.csv");
    tournament(&whole, &["--threads", "2"]);
    let bytes = std::fs::read(&whole).unwrap();
    // Delete the last rows, rerun: the same file.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let keep: String = text.split_inclusive("\r\n").take(20).collect();
    std::fs::write(&whole, keep).unwrap();
    let o = tournament(&whole, &["--threads", "1"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("already done"));
    assert_eq!(std::fs::read(&whole).unwrap(), bytes);
    // Shards, merged.
    let mut shards = Vec::new();
    for k in 1..=3 {
        let s = dir.path().join(format!("s{k}.csv"));
        tournament(&s, &["--shard", &format!("{k}/3")]);
        shards.push(s.to_str().unwrap().to_string());
    }
    let merged = dir.path().join("merged.csv");
    let mut args = vec!["tournament", "merge", merged.to_str().unwrap()];
    args.extend(shards.iter().map(|s| s.as_str()));
    let o = pactum(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&merged).unwrap(), bytes);
    assert!(dir.path().join("merged.summary.json").exists());
    // A different command on the same file is refused.
    let dir2 = example();
    let o = pactum(&[
        "tournament",
        "--scenarios",
        dir2.to_str().unwrap(),
        "--negotiators",
        "boulware",
        "--out",
        whole.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("different tournament"));
}

#[test]
fn unknown_negotiator_lists_the_available_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ex = example();
    let o = pactum(&[
        "tournament",
        "--scenarios",
        ex.to_str().unwrap(),
        "--negotiators",
        "boulware,tit-for-tat",
        "--out",
        dir.path().join("r.csv").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("tit-for-tat") && err.contains("boulware, linear, conceder, naive-tft"),
        "{err}"
    );
    let o = pactum(&[
        "tournament",
        "--scenarios",
        ex.to_str().unwrap(),
        "--negotiators",
        "boulware",
        "--shard",
        "4/3",
        "--out",
        dir.path().join("r.csv").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("K/N"));
}
