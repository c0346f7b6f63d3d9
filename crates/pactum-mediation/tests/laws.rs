//! Laws of the protocol on random small scenarios (2 to 4 parties, so
//! bilateral and multilateral), checked by brute force.

use pactum_core::{
    Issue, LinearAdditive, OutcomeSpace, Party, Scenario, Semantics, Term, UtilityFunction,
    ValueFunction,
};
use pactum_mediation::{
    strategies, EventKind, MediationConfig, Mediator, Session, Table, Trace, Vote, MEDIATORS,
};
use proptest::prelude::*;

fn scenario() -> impl Strategy<Value = Scenario> {
    (2usize..=4, prop::collection::vec(2u32..=4, 1..=3)).prop_flat_map(|(parties, radices)| {
        let cells: usize = radices.iter().map(|&r| r as usize).sum();
        (
            prop::collection::vec(prop::collection::vec(0u8..=10, cells), parties),
            prop::collection::vec(prop::option::of(0u8..=5), parties),
            Just(radices),
        )
            .prop_map(|(values, reservations, radices)| {
                let space = OutcomeSpace::new(
                    radices
                        .iter()
                        .enumerate()
                        .map(|(i, &r)| {
                            Issue::discrete(
                                format!("i{i}"),
                                (0..r).map(|k| k.to_string()).collect(),
                            )
                        })
                        .collect(),
                );
                let parties = values
                    .iter()
                    .zip(&reservations)
                    .enumerate()
                    .map(|(p, (v, rv))| {
                        let mut at = 0;
                        let terms = radices
                            .iter()
                            .map(|&r| {
                                let t: Vec<f64> = v[at..at + r as usize]
                                    .iter()
                                    .map(|&x| f64::from(x) / 10.0)
                                    .collect();
                                at += r as usize;
                                Term {
                                    weight: 1.0 / radices.len() as f64,
                                    value: ValueFunction::Table(t),
                                }
                            })
                            .collect();
                        Party {
                            name: format!("p{p}"),
                            ufun: UtilityFunction {
                                additive: LinearAdditive { bias: 0.0, terms },
                                reservation: rv.map(|x| f64::from(x) / 10.0),
                                ..Default::default()
                            },
                        }
                    })
                    .collect();
                Scenario {
                    name: "random".into(),
                    space,
                    parties,
                }
            })
    })
}

fn u(s: &Scenario, p: usize, t: &[u32]) -> f64 {
    s.parties[p].ufun.eval(&s.space, t)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_veto_adopts_only_strict_pareto_improvements(s in scenario(), seed in 0u64..1000, steps in 0u32..200) {
        let mut trace = Trace::default();
        let r = Session::new(&s, Semantics::Genius, MediationConfig { steps, seed }).unwrap()
            .run(strategies::create("random-veto").unwrap().as_mut(), &mut trace);
        prop_assert_eq!(r.proposals, steps);
        let mut prev: Option<Vec<u32>> = None;
        for t in trace.adopted_texts() {
            for p in 0..s.parties.len() {
                let before = match &prev {
                    Some(x) => u(&s, p, x),
                    None => s.parties[p].ufun.reservation.unwrap_or(0.0),
                };
                prop_assert!(u(&s, p, t) > before);
            }
            prev = Some(t.to_vec());
        }
        prop_assert_eq!(prev, r.final_text.clone());
        // Ratification: the agreement is the final text iff everyone clears its reservation value.
        let clears = r.final_text.as_ref().is_some_and(|t| (0..s.parties.len())
            .all(|p| u(&s, p, t) >= s.parties[p].ufun.reservation.unwrap_or(0.0)));
        prop_assert_eq!(r.agreement.is_some(), clears);
    }

    #[test]
    fn budgets_are_spent_except_by_the_hill_climber_at_a_local_optimum(s in scenario(), seed in 0u64..1000, steps in 1u32..300) {
        for &m in MEDIATORS {
            let mut trace = Trace::default();
            let r = Session::new(&s, Semantics::Genius, MediationConfig { steps, seed }).unwrap()
                .run(strategies::create(m).unwrap().as_mut(), &mut trace);
            let consulted = trace.events().iter().filter(|e| matches!(e.kind, EventKind::Consulted { .. })).count();
            prop_assert_eq!(consulted as u64, r.consultations);
            prop_assert!(r.consultations >= u64::from(r.proposals));
            let movable = s.space.issues.iter().filter(|i| i.cardinality() > 1).count();
            let may_stop = m == "hill-climb" || (m == "sweep" && movable < 2);
            if !may_stop {
                prop_assert_eq!(r.proposals, steps, "{}", m);
            } else if r.proposals < steps {
                // Stopped early: no single-issue change is a strict improvement for all.
                let t = r.final_text.clone().unwrap();
                for (i, issue) in s.space.issues.iter().enumerate() {
                    for k in 0..issue.cardinality() as u32 {
                        let mut n = t.clone();
                        n[i] = k;
                        prop_assert!((0..s.parties.len()).any(|p| u(&s, p, &n) <= u(&s, p, &t)));
                    }
                }
            }
        }
    }

    #[test]
    fn a_seed_fixes_the_mediation(s in scenario(), seed in 0u64..1000) {
        for &m in MEDIATORS {
            let go = || {
                let mut trace = Trace::default();
                let r = Session::new(&s, Semantics::Genius, MediationConfig { steps: 150, seed }).unwrap()
                    .run(strategies::create(m).unwrap().as_mut(), &mut trace);
                (r, trace)
            };
            prop_assert_eq!(go(), go());
        }
    }

    #[test]
    fn no_mediator_beats_the_brute_force_optimum(s in scenario(), seed in 0u64..1000) {
        let n = s.space.count().as_u64().unwrap();
        let mut d = vec![0u32; s.space.issues.len()];
        let best = (0..n).map(|i| { s.space.digits(i, &mut d); (0..s.parties.len()).map(|p| u(&s, p, &d)).sum::<f64>() })
            .fold(f64::NEG_INFINITY, f64::max);
        for &m in MEDIATORS {
            let r = Session::new(&s, Semantics::Genius, MediationConfig { steps: 300, seed }).unwrap()
                .run(strategies::create(m).unwrap().as_mut(), &mut Trace::default());
            if let Some(tu) = r.text_utilities {
                prop_assert!(tu.iter().sum::<f64>() <= best + 1e-12);
            }
        }
    }
}

#[test]
fn sweep_finds_the_optimum_of_a_small_bilateral_logroll() {
    // Two issues, each party cares more about a different one: the optimum
    // needs both to concede their lesser issue.
    let table = |v: [f64; 3]| ValueFunction::Table(v.to_vec());
    let space = OutcomeSpace::new(vec![
        Issue::discrete("a", vec!["0".into(), "1".into(), "2".into()]),
        Issue::discrete("b", vec!["0".into(), "1".into(), "2".into()]),
    ]);
    let party = |wa: f64, a: [f64; 3], wb: f64, b: [f64; 3]| Party {
        name: String::new(),
        ufun: UtilityFunction {
            additive: LinearAdditive {
                bias: 0.0,
                terms: vec![
                    Term {
                        weight: wa,
                        value: table(a),
                    },
                    Term {
                        weight: wb,
                        value: table(b),
                    },
                ],
            },
            ..Default::default()
        },
    };
    let s = Scenario {
        name: "logroll".into(),
        space,
        parties: vec![
            party(0.8, [0.0, 0.5, 1.0], 0.2, [1.0, 0.5, 0.0]),
            party(0.2, [1.0, 0.5, 0.0], 0.8, [0.0, 0.5, 1.0]),
        ],
    };
    for seed in 0..10 {
        let r = Session::new(&s, Semantics::Genius, MediationConfig { steps: 300, seed })
            .unwrap()
            .run(
                strategies::create("sweep").unwrap().as_mut(),
                &mut Trace::default(),
            );
        assert_eq!(r.agreement, Some(vec![2, 2]), "seed {seed}");
    }
}

/// Proposes random texts at a fixed temperature through `poll_each` and
/// records, per proposal, the votes it was given and whether it was adopted.
struct AskAll {
    temperature: f64,
    seen: Vec<(Vec<Vote>, bool)>,
}

impl Mediator for AskAll {
    fn mediate(&mut self, table: &mut Table<'_>) {
        let radices = table.radices().to_vec();
        let mut votes = vec![Vote::Reject; table.parties()];
        loop {
            let p: Vec<u32> = radices
                .iter()
                .map(|&r| table.rng().below(u64::from(r)) as u32)
                .collect();
            match table.poll_each(&p, self.temperature, &mut votes) {
                None => break,
                Some(adopted) => self.seen.push((votes.clone(), adopted)),
            }
        }
    }
}

proptest! {
    #[test]
    fn poll_each_asks_everyone_and_adopts_exactly_the_unanimous(s in scenario(), seed in 0u64..1000, steps in 0u32..100, hot in any::<bool>()) {
        let mut m = AskAll { temperature: if hot { 0.2 } else { 0.0 }, seen: Vec::new() };
        let mut trace = Trace::default();
        let r = Session::new(&s, Semantics::Genius, MediationConfig { steps, seed }).unwrap()
            .run(&mut m, &mut trace);
        let n = s.parties.len();
        prop_assert_eq!(m.seen.len() as u32, steps);
        prop_assert_eq!(r.consultations, u64::from(steps) * n as u64);
        for (k, (votes, adopted)) in m.seen.iter().enumerate() {
            let proposal = k as u32 + 1;
            // The votes returned are the ones recorded on each party's channel.
            let recorded: Vec<Vote> = trace.events().iter().filter(|e| e.proposal == proposal)
                .filter_map(|e| match e.kind { EventKind::Consulted { vote, .. } => Some(vote), _ => None })
                .collect();
            prop_assert_eq!(&recorded, votes);
            prop_assert_eq!(*adopted, votes.iter().all(|v| v.accepted()));
            let announced = trace.events().iter().any(|e| e.proposal == proposal && matches!(e.kind, EventKind::Adopted));
            prop_assert_eq!(announced, *adopted);
        }
        prop_assert_eq!(r.adoptions as usize, m.seen.iter().filter(|x| x.1).count());
    }
}
