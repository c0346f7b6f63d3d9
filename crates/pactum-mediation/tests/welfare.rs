//! Welfare reached on the ANAC 3-party scenarios (y2015, y2016), against a
//! brute-force optimum computed here and against NegMAS's own results.

mod common;

use pactum_core::{Scenario, Semantics};
use pactum_mediation::{strategies, MediationConfig, MediationResult, Session, Trace};

const STEPS: u32 = 1000;
/// Fixed seeds: every figure below is deterministic.
const SEEDS: std::ops::Range<u64> = 0..10;

fn run(s: &Scenario, mediator: &str, seed: u64) -> MediationResult {
    Session::new(s, Semantics::Negmas, MediationConfig { steps: STEPS, seed })
        .unwrap()
        .run(
            strategies::create(mediator).unwrap().as_mut(),
            &mut Trace::default(),
        )
}

/// Welfare of the final text as a fraction of the brute-force maximum
/// (NegMAS's welfare_fraction: the final text, ratified or not; none = 0).
fn fraction(s: &Scenario, r: &MediationResult, best: f64) -> f64 {
    match &r.final_text {
        None => 0.0,
        Some(t) => {
            // Utilities evaluated directly, not as the mediation reported them.
            let w: f64 = s.parties.iter().map(|p| p.ufun.eval(&s.space, t)).sum();
            let reported: f64 = r.text_utilities.as_ref().unwrap().iter().sum();
            assert!((w - reported).abs() < 1e-12, "{w} vs reported {reported}");
            w / best
        }
    }
}

/// Mean welfare fraction over SEEDS, per scenario, for each mediator.
fn table(all: &[(String, Scenario)], mediators: &[&str]) -> Vec<Vec<f64>> {
    all.iter()
        .map(|(name, s)| {
            let best = common::max_welfare(s);
            mediators
                .iter()
                .map(|m| {
                    let fr: Vec<f64> = SEEDS
                        .map(|seed| fraction(s, &run(s, m, seed), best))
                        .collect();
                    for f in &fr {
                        assert!(*f <= 1.0 + 1e-12, "{name} {m}: {f} above the optimum");
                    }
                    fr.iter().sum::<f64>() / fr.len() as f64
                })
                .collect()
        })
        .collect()
}

#[test]
fn annealing_beats_random_veto_and_sweep_beats_annealing() {
    let Some(all) = common::three_party() else {
        return;
    };
    assert!(
        all.len() >= 6,
        "the six 3-party scenarios of y2015 and y2016: {}",
        all.len()
    );
    let ms = ["random-veto", "annealing", "sweep"];
    let t = table(&all, &ms);
    for ((name, _), row) in all.iter().zip(&t) {
        eprintln!(
            "{name:<28} veto {:.4}  annealing {:.4}  sweep {:.4}",
            row[0], row[1], row[2]
        );
        assert!(
            row[1] >= row[0],
            "{name}: annealing {} < random-veto {}",
            row[1],
            row[0]
        );
    }
    // The issue's own wording: one fixed seed, every scenario.
    for (name, s) in &all {
        let best = common::max_welfare(s);
        let veto = fraction(s, &run(s, "random-veto", 0), best);
        let annealing = fraction(s, &run(s, "annealing", 0), best);
        eprintln!("{name:<28} seed 0: veto {veto:.4}  annealing {annealing:.4}");
        assert!(
            annealing >= veto,
            "{name}, seed 0: annealing {annealing} < random-veto {veto}"
        );
    }
    let mean = |j: usize| t.iter().map(|r| r[j]).sum::<f64>() / t.len() as f64;
    assert!(
        mean(1) > mean(0),
        "annealing {} vs random-veto {}",
        mean(1),
        mean(0)
    );
    assert!(
        mean(2) >= mean(1),
        "sweep {} vs annealing {}",
        mean(2),
        mean(1)
    );
}

/// NegMAS's VetoSTMechanism and HillClimbingSTMechanism on the same six
/// scenarios (../shared/oracle/negmas-st-3party.json, 5 seeds each) against
/// pactum's random-veto and hill-climb over SEEDS. The runs cannot match
/// draw for draw (different generators), so the test compares the mean
/// welfare fraction over all scenarios and seeds: a single run's fraction
/// varies with a standard deviation of about 0.1, so NegMAS's mean over 30
/// runs has a standard error near 0.02 and ours over 60 runs near 0.013;
/// a band of 0.06 is about 2.5 standard errors of the difference. The seeds
/// are fixed, so the test is deterministic.
#[test]
fn random_veto_and_hill_climb_match_negmas_on_average() {
    let Some(all) = common::three_party() else {
        return;
    };
    let Some(oracle) = common::oracle() else {
        return;
    };
    let text = std::fs::read_to_string(oracle.join("negmas-st-3party.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let t = table(&all, &["random-veto", "hill-climb"]);
    for (j, key) in ["veto", "hill"].iter().enumerate() {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for ((name, _), row) in all.iter().zip(&t) {
            let sc = doc["scenarios"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["scenario"] == name.as_str())
                .unwrap_or_else(|| panic!("{name} not in the oracle"));
            theirs.push(
                sc["runs"][key]["summary"]["welfare_fraction_mean"]
                    .as_f64()
                    .unwrap(),
            );
            ours.push(row[j]);
        }
        let m = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        eprintln!("{key}: pactum {:.4} NegMAS {:.4}", m(&ours), m(&theirs));
        assert!(
            (m(&ours) - m(&theirs)).abs() < 0.06,
            "{key}: pactum {ours:?} NegMAS {theirs:?}"
        );
    }
}
