//! Tournament runs on the shared scenarios: determinism across runs and
//! thread counts, shards merged equal a single run, resume after a cut, and
//! NegMAS's small5 oracle reproduced row for row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pactum_core::Semantics;
use pactum_formats::Normalize;
use pactum_negotiate::Registry;
use pactum_tournament::csv::{split, COLUMNS};
use pactum_tournament::{merge, prepare, run, summarize, Plan, ScenarioRef, Shard};

fn plan(root: &Path, ids: &[&str], negotiators: &[&str], semantics: Semantics) -> Plan {
    Plan {
        scenarios: ids
            .iter()
            .map(|id| ScenarioRef::new(&root.join(id), Some(root)))
            .collect(),
        negotiators: negotiators.iter().map(|s| s.to_string()).collect(),
        steps: Some(100),
        time_limit: None,
        reps: 2,
        seed: 7,
        semantics,
        normalize: if semantics == Semantics::Negmas {
            Normalize::Independent
        } else {
            Normalize::None
        },
        shard: None,
    }
}

fn run_to(plan: &Plan, out: &Path, threads: usize) -> Vec<u8> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let ready = pool.install(|| prepare(plan)).unwrap();
    run(plan, &ready, &Registry::builtin(), out, &pool, &()).unwrap();
    std::fs::read(out).unwrap()
}

const SMALL: &[&str] = &["anac/y2010/ItexvsCypress", "anac/y2012/LaptopC"];
const NEGOTIATORS: &[&str] = &["boulware", "conceder", "naive-tft", "micro", "random"];

#[test]
fn same_bytes_for_any_run_and_thread_count() {
    let Some(root) = pactum_testkit::scenarios() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = plan(&root, SMALL, NEGOTIATORS, Semantics::Genius);
    let a = run_to(&p, &dir.path().join("a.csv"), 1);
    let b = run_to(&p, &dir.path().join("b.csv"), 2);
    let c = run_to(&p, &dir.path().join("c.csv"), 2);
    assert_eq!(
        a.iter().filter(|&&b| b == b'\n').count() as u64,
        p.total() + 1
    );
    assert!(
        a == b && b == c,
        "results differ between runs or thread counts"
    );
}

#[test]
fn shards_merged_equal_a_single_run_and_resume_completes_a_cut_file() {
    let Some(root) = pactum_testkit::scenarios() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = plan(&root, SMALL, NEGOTIATORS, Semantics::Genius);
    let whole = run_to(&p, &dir.path().join("whole.csv"), 2);
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let out = dir.path().join(format!("shard{k}.csv"));
            let q = Plan {
                shard: Some(Shard { index: k, count: 3 }),
                ..p.clone()
            };
            run_to(&q, &out, 2);
            out
        })
        .collect();
    // Given in any order.
    let merged = dir.path().join("merged.csv");
    let back = merge(
        &merged,
        &[shards[2].clone(), shards[0].clone(), shards[1].clone()],
    )
    .unwrap();
    assert_eq!(back, p);
    assert!(
        std::fs::read(&merged).unwrap() == whole,
        "merged shards differ from a single run"
    );
    // A missing shard is refused.
    assert!(merge(&dir.path().join("m2.csv"), &shards[..2])
        .unwrap_err()
        .to_string()
        .contains("missing"));

    // Cut the file mid-row, as a killed run leaves it, then resume.
    let cut = dir.path().join("whole.csv");
    let keep = whole.len() * 2 / 3;
    std::fs::write(&cut, &whole[..keep]).unwrap();
    let resumed = run_to(&p, &cut, 2);
    assert!(resumed == whole, "resumed file differs");
    // A different command is refused.
    let other = Plan {
        seed: 8,
        ..p.clone()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let ready = pool.install(|| prepare(&other)).unwrap();
    let err = run(&other, &ready, &Registry::builtin(), &cut, &pool, &())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("different tournament") && err.contains("seed"),
        "{err}"
    );

    let geometry: HashMap<_, _> = ready
        .iter()
        .map(|s| (s.id.clone(), s.geometry.clone()))
        .collect();
    let s = summarize(&cut, &p, &geometry).unwrap();
    assert_eq!(s.negotiations, p.total());
    for n in &s.negotiators {
        // Each negotiator sits 2k seats per rotation pair, scenario and rep.
        assert_eq!(n.negotiations, 2 * 2 * 2 * 2 * NEGOTIATORS.len() as u64);
        assert!(n.mean_pareto_distance >= 0.0 && n.agreement_rate <= 1.0);
    }
}

/// NegMAS's names for the harness's negotiators.
fn negmas_name(pactum: &str) -> &'static str {
    match pactum {
        "boulware" => "BoulwareTBNegotiator",
        "linear" => "LinearTBNegotiator",
        "conceder" => "ConcederTBNegotiator",
        "naive-tft" => "NaiveTitForTatNegotiator",
        other => panic!("{other} is not in the oracle"),
    }
}

/// Every `tie_sensitive=false` row of the small5 oracle appears in pactum's
/// CSV with the same text in every column, except:
/// - `first`/`second`: pactum writes its command-line names
///   (`boulware`), the harness NegMAS class names (`BoulwareTBNegotiator`);
///   compared through the mapping;
/// - `seconds` and `tie_sensitive`: pactum has no timing column, and
///   tie sensitivity is a property of the oracle, not of a run.
#[test]
fn small5_oracle_rows_reproduced() {
    let Some(root) = pactum_testkit::scenarios() else {
        return;
    };
    let Some(oracle) = pactum_testkit::oracle() else {
        return;
    };
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(oracle.join("negmas-tournament-small5.json")).unwrap(),
    )
    .unwrap();
    let ids: Vec<&str> = meta["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let names: Vec<&str> = ["boulware", "linear", "conceder", "naive-tft"].to_vec();
    for (n, m) in names.iter().zip(meta["negotiators"].as_array().unwrap()) {
        assert_eq!(negmas_name(n), m.as_str().unwrap());
    }
    let mut p = plan(&root, &ids, &names, Semantics::Negmas);
    p.steps = Some(meta["steps"].as_u64().unwrap() as u32);
    p.reps = meta["reps"].as_u64().unwrap() as u32;
    p.seed = meta["seed"].as_u64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ours = String::from_utf8(run_to(&p, &dir.path().join("small5.csv"), 2)).unwrap();
    let theirs = std::fs::read_to_string(oracle.join("negmas-tournament-small5.csv")).unwrap();

    let mut lines = theirs.split("\r\n");
    let header = split(lines.next().unwrap());
    assert_eq!(&header[..COLUMNS.len() - 1], &COLUMNS[..COLUMNS.len() - 1]);
    let (c_seconds, c_tie) = (
        header.iter().position(|h| h == "seconds").unwrap(),
        header.iter().position(|h| h == "tie_sensitive").unwrap(),
    );
    let mut ours_lines = ours.split("\r\n");
    assert_eq!(ours_lines.next().unwrap(), COLUMNS.join(","));
    let by_run: HashMap<String, Vec<String>> = ours_lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f = split(l);
            (f[0].clone(), f)
        })
        .collect();
    let (mut checked, mut failures) = (0, Vec::new());
    for line in lines.filter(|l| !l.is_empty()) {
        let f = split(line);
        if f[c_tie] != "false" {
            continue;
        }
        checked += 1;
        let mine = &by_run[&f[0]];
        let mut mapped = mine.clone();
        mapped[4] = negmas_name(&mine[4]).into();
        mapped[5] = negmas_name(&mine[5]).into();
        let theirs: Vec<String> = f
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != c_seconds && *i != c_tie)
            .map(|(_, v)| v.clone())
            .collect();
        if mapped != theirs {
            failures.push(format!("ours   {mapped:?}\ntheirs {theirs:?}"));
        }
    }
    println!(
        "small5: {checked} tie-insensitive rows, {} differ",
        failures.len()
    );
    assert!(checked > 100);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
