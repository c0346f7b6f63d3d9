//! Times loading and analysing one scenario many times in one process, to
//! separate warm costs from a fresh process's first-call costs.
//!
//! `cargo run --release -p pactum-formats --example load_loop -- DIR [N]`

use pactum_core::{analyze, AnalysisOptions, Semantics};
use pactum_formats::{load_folder, LoadOptions};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: load_loop DIR [N]"));
    let n: usize = args.next().map(|s| s.parse().expect("N")).unwrap_or(1000);
    let options = LoadOptions {
        semantics: Semantics::Negmas,
        ..LoadOptions::default()
    };
    let aopt = AnalysisOptions {
        semantics: Semantics::Negmas,
        ..AnalysisOptions::default()
    };
    let mut load = Vec::with_capacity(n);
    let mut anal = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let loaded = load_folder(&dir, &options).expect("load");
        let t1 = t.elapsed();
        let a = analyze(&loaded.scenario, &aopt).expect("analyze");
        anal.push(t.elapsed() - t1);
        load.push(t1);
        std::hint::black_box(a);
    }
    let first = (load[0], anal[0]);
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "first: load {:?} analyze {:?}; median: load {:?} analyze {:?}",
        first.0,
        first.1,
        med(&mut load),
        med(&mut anal)
    );
}
