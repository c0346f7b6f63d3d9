//! Laws of the analysis, checked on random scenarios against a brute force
//! written here from the definitions (every outcome evaluated directly, the
//! frontier by pairwise comparison, solutions by their formulas).

use pactum_core::{
    analyze, Aggregation, AnalysisOptions, Bounds, HyperRectangle, Issue, LinearAdditive,
    OutcomeSpace, Party, Range, RectangleUtility, Scenario, Semantics, Term, UtilityFunction,
    ValueFunction,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Spec {
    radices: Vec<u32>,
    /// Per party: weights, tables (small integers, so ties are common), reservation.
    parties: Vec<(Vec<f64>, Vec<Vec<f64>>, f64)>,
    /// Per party: one optional rectangle over issue 0.
    rects: Vec<Option<(f64, f64, f64)>>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..=4, prop::collection::vec(1u32..=10, 1..=4))
        .prop_flat_map(|(n, radices)| {
            let radices2 = radices.clone();
            let party = move || {
                let tables = radices2
                    .iter()
                    .map(|&r| prop::collection::vec((0u8..5).prop_map(f64::from), r as usize))
                    .collect::<Vec<_>>();
                (
                    prop::collection::vec(
                        (1u8..4).prop_map(|w| f64::from(w) / 4.0),
                        radices2.len(),
                    ),
                    tables,
                    (0u8..6).prop_map(|r| f64::from(r) / 2.0),
                )
            };
            let parties = prop::collection::vec(party(), n);
            let rects = prop::collection::vec(
                prop::option::of((0u8..4, 0u8..4, 1u8..5).prop_map(|(a, b, u)| {
                    (f64::from(a.min(b)), f64::from(a.max(b)), f64::from(u))
                })),
                n,
            );
            (Just(radices), parties, rects)
        })
        .prop_map(|(radices, parties, rects)| Spec {
            radices,
            parties,
            rects,
        })
}

fn scenario(s: &Spec, bounds: Bounds) -> Scenario {
    let space = OutcomeSpace::new(
        s.radices
            .iter()
            .enumerate()
            .map(|(i, &r)| Issue::integer(format!("i{i}"), 0, i64::from(r) - 1))
            .collect(),
    );
    let parties = s
        .parties
        .iter()
        .zip(&s.rects)
        .enumerate()
        .map(|(p, ((w, t, r), rect))| Party {
            name: format!("p{p}"),
            ufun: UtilityFunction {
                additive: LinearAdditive {
                    bias: 0.0,
                    terms: w
                        .iter()
                        .zip(t)
                        .map(|(&weight, table)| Term {
                            weight,
                            value: ValueFunction::Table(table.clone()),
                        })
                        .collect(),
                },
                rectangles: rect.map(|(lo, hi, u)| RectangleUtility {
                    weight: 1.0,
                    aggregation: Aggregation::Sum,
                    bounds,
                    max_utility: None,
                    rectangles: vec![HyperRectangle {
                        utility: u,
                        ranges: vec![Range {
                            issue: 0,
                            min: lo,
                            max: hi,
                        }],
                        excludes: false,
                    }],
                }),
                reservation: Some(*r),
                ..Default::default()
            },
        })
        .collect();
    Scenario {
        name: "random".into(),
        space,
        parties,
    }
}

/// Every outcome's utilities, evaluated from the spec directly.
fn brute_utils(s: &Spec, bounds: Bounds) -> Vec<Vec<f64>> {
    let total: u32 = s.radices.iter().product();
    (0..total)
        .map(|mut idx| {
            let mut digits = vec![0u32; s.radices.len()];
            for (d, &r) in digits.iter_mut().zip(&s.radices).rev() {
                *d = idx % r;
                idx /= r;
            }
            s.parties
                .iter()
                .zip(&s.rects)
                .map(|((w, t, _), rect)| {
                    let mut u = 0.0;
                    for i in 0..w.len() {
                        u += w[i] * t[i][digits[i] as usize];
                    }
                    if let Some((lo, hi, val)) = rect {
                        let x = f64::from(digits[0]);
                        let inside = match bounds {
                            Bounds::Inclusive => *lo <= x && x <= *hi,
                            Bounds::Exclusive => *lo < x && x < *hi,
                        };
                        if inside {
                            u += val;
                        }
                    }
                    u
                })
                .collect()
        })
        .collect()
}

fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
}

fn same_set(a: &[Vec<f64>], b: &[Vec<f64>]) -> bool {
    let close = |p: &Vec<f64>, q: &Vec<f64>| p.iter().zip(q).all(|(x, y)| (x - y).abs() < 1e-9);
    a.iter().all(|p| b.iter().any(|q| close(p, q)))
        && b.iter().all(|q| a.iter().any(|p| close(p, q)))
}

/// All points whose score is within 1e-12 of the best (max or min).
fn argbest(
    points: &[Vec<f64>],
    score: impl Fn(&[f64]) -> Option<f64>,
    maximise: bool,
) -> Vec<Vec<f64>> {
    let scored: Vec<(f64, &Vec<f64>)> = points
        .iter()
        .filter_map(|p| score(p).map(|s| (s, p)))
        .collect();
    let Some(best) = scored
        .iter()
        .map(|x| x.0)
        .reduce(|a, b| if maximise { a.max(b) } else { a.min(b) })
    else {
        return vec![];
    };
    scored
        .into_iter()
        .filter(|(s, _)| {
            if maximise {
                *s >= best - 1e-12
            } else {
                *s <= best + 1e-12
            }
        })
        .map(|(_, p)| p.clone())
        .collect()
}

fn check(s: &Spec, semantics: Semantics) -> Result<(), TestCaseError> {
    let bounds = if semantics == Semantics::Genius {
        Bounds::Inclusive
    } else {
        Bounds::Exclusive
    };
    let sc = scenario(s, bounds);
    let a = analyze(
        &sc,
        &AnalysisOptions {
            semantics,
            max_outcomes: 1_000_000,
        },
    )
    .unwrap();
    let all = brute_utils(s, bounds);
    let r: Vec<f64> = s.parties.iter().map(|p| p.2).collect();
    let rational: Vec<Vec<f64>> = all
        .iter()
        .filter(|u| u.iter().zip(&r).all(|(x, y)| x >= y))
        .cloned()
        .collect();
    prop_assert_eq!(a.rational_outcomes as usize, rational.len());

    let candidates = if semantics == Semantics::Negmas {
        &rational
    } else {
        &all
    };
    let mut frontier: Vec<Vec<f64>> = Vec::new();
    for p in candidates {
        if !candidates.iter().any(|q| dominates(q, p)) && !frontier.contains(p) {
            frontier.push(p.clone());
        }
    }
    let ours: Vec<Vec<f64>> = a.pareto.iter().map(|p| p.utilities.clone()).collect();
    // Law: no frontier point weakly dominates another, and none repeats.
    for (i, p) in ours.iter().enumerate() {
        for (j, q) in ours.iter().enumerate() {
            prop_assert!(i == j || (!dominates(p, q) && p != q), "{p:?} vs {q:?}");
        }
    }
    // Law: every rational outcome is weakly dominated by (or equal to) a frontier point.
    for u in &rational {
        prop_assert!(
            ours.iter().any(|p| p.iter().zip(u).all(|(x, y)| x >= y)),
            "{u:?} not covered"
        );
    }
    prop_assert!(
        same_set(&ours, &frontier),
        "frontier {ours:?} vs brute {frontier:?}"
    );
    // Each outcome index reported on the frontier really has those utilities.
    for p in &a.pareto {
        prop_assert_eq!(&p.utilities, &all[p.outcome as usize]);
    }

    let n = r.len();
    let ranges: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            all.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), u| {
                    (lo.min(u[i]), hi.max(u[i]))
                })
        })
        .collect();
    let d: Vec<f64> = match semantics {
        Semantics::Genius => r.clone(),
        Semantics::Negmas => (0..n)
            .map(|i| {
                if r[i] >= ranges[i].0 {
                    r[i]
                } else {
                    ranges[i].0
                }
            })
            .collect(),
    };
    let clears = |p: &[f64]| p.iter().zip(&r).all(|(x, y)| x >= y);
    let degenerate = semantics == Semantics::Negmas && (0..n).any(|i| ranges[i].1 - d[i] <= 1e-12);
    let nash = if degenerate {
        frontier.clone()
    } else {
        argbest(
            &frontier,
            |p| {
                (semantics == Semantics::Negmas || clears(p))
                    .then(|| p.iter().zip(&d).map(|(u, d)| u - d).product())
            },
            true,
        )
    };
    let kalai = if degenerate {
        frontier.clone()
    } else {
        argbest(
            &frontier,
            |p| {
                clears(p).then(|| {
                    p.iter()
                        .zip(&d)
                        .map(|(u, d)| u - d)
                        .fold(f64::INFINITY, f64::min)
                })
            },
            true,
        )
    };
    let ks = if degenerate {
        frontier.clone()
    } else {
        argbest(
            &frontier,
            |p| {
                if !clears(p) {
                    return None;
                }
                Some(match semantics {
                    Semantics::Genius => {
                        let mut s = 0.0;
                        for i in 0..n {
                            for j in i + 1..n {
                                s += (p[i] - p[j]).abs();
                            }
                        }
                        s
                    }
                    Semantics::Negmas => {
                        let a: Vec<f64> = (0..n)
                            .map(|i| (p[i] - d[i]) / (ranges[i].1 - d[i]))
                            .collect();
                        a.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                            - a.iter().cloned().fold(f64::INFINITY, f64::min)
                    }
                })
            },
            false,
        )
    };
    let welfare_degenerate =
        semantics == Semantics::Negmas && ranges.iter().any(|(lo, hi)| hi - lo <= 1e-12);
    let welfare = if welfare_degenerate {
        frontier.clone()
    } else {
        argbest(&frontier, |p| Some(p.iter().sum()), true)
    };
    for (name, ours, brute) in [
        ("nash", &a.nash, nash),
        ("kalai", &a.kalai, kalai),
        ("ks", &a.kalai_smorodinsky, ks),
        ("welfare", &a.max_welfare, welfare),
    ] {
        let ours: Vec<Vec<f64>> = ours.iter().map(|p| p.utilities.clone()).collect();
        prop_assert!(
            same_set(&ours, &brute),
            "{name}: {ours:?} vs brute {brute:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn genius_rules_equal_brute_force(s in spec()) {
        check(&s, Semantics::Genius)?;
    }

    #[test]
    fn negmas_rules_equal_brute_force(s in spec()) {
        check(&s, Semantics::Negmas)?;
    }
}

#[test]
fn large_spaces_are_refused_at_once() {
    let space = OutcomeSpace::new(
        (0..10)
            .map(|i| Issue::integer(format!("i{i}"), 0, 9))
            .collect(),
    );
    let sc = Scenario {
        name: "big".into(),
        space,
        parties: vec![Party {
            name: "a".into(),
            ufun: UtilityFunction::default(),
        }],
    };
    let t = std::time::Instant::now();
    let err = analyze(
        &sc,
        &AnalysisOptions {
            semantics: Semantics::Genius,
            max_outcomes: 1000,
        },
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("10000000000") && msg.contains("1000"), "{msg}");
    assert!(t.elapsed().as_secs() < 5);
}
