//! Tuning harness, not a check: `cargo test --release -p pactum-mediation
//! --test tune -- --ignored --nocapture`. `TUNE_MEDIATORS` (comma-separated
//! names) and `TUNE_SEEDS` (`from..to`) choose what is run; it prints the
//! mean welfare fraction of the final text per 3-party scenario.

mod common;

use pactum_core::Semantics;
use pactum_mediation::{strategies, MediationConfig, Session, Trace};

#[test]
#[ignore = "tuning harness: prints figures, asserts nothing"]
fn welfare_by_scenario() {
    let Some(all) = common::three_party() else {
        return;
    };
    let mediators = std::env::var("TUNE_MEDIATORS").unwrap_or_else(|_| "sweep".into());
    let seeds = std::env::var("TUNE_SEEDS").unwrap_or_else(|_| "0..5".into());
    let (a, b) = seeds.split_once("..").expect("TUNE_SEEDS as from..to");
    let seeds: std::ops::Range<u64> = a.parse().unwrap()..b.parse().unwrap();
    let steps: u32 = std::env::var("TUNE_STEPS")
        .ok()
        .map_or(1000, |s| s.parse().unwrap());
    for m in mediators.split(',') {
        let mut sum = 0.0;
        let mut worst = 1.0f64;
        for (name, s) in &all {
            let best = common::max_welfare(s);
            let mut fr = 0.0;
            for seed in seeds.clone() {
                let r = Session::new(s, Semantics::Negmas, MediationConfig { steps, seed })
                    .unwrap()
                    .run(
                        strategies::create(m).unwrap().as_mut(),
                        &mut Trace::default(),
                    );
                let w: f64 = r.final_text.as_ref().map_or(0.0, |t| {
                    s.parties.iter().map(|p| p.ufun.eval(&s.space, t)).sum()
                });
                if std::env::var_os("TUNE_VERBOSE").is_some() && w / best < 0.999 {
                    eprintln!(
                        "  {m} {name} seed {seed}: {:.4} {:?}",
                        w / best,
                        r.final_text
                    );
                }
                fr += w / best;
            }
            fr /= seeds.clone().count() as f64;
            sum += fr;
            worst = worst.min(fr);
            eprintln!("{m:<10} {name:<28} {fr:.4}");
        }
        eprintln!(
            "{m:<10} mean {:.4} worst {worst:.4}",
            sum / all.len() as f64
        );
    }
}
