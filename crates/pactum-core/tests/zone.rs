//! The agreement zone checked against a brute force written here from the
//! definitions: every outcome evaluated from the spec, the zone by filtering,
//! its frontier by pairwise comparison, concessions by their formula, and
//! blocking by crediting each party its own best option outside a set and
//! trying every outcome's choice on the set; minimal blocking sets by
//! testing every subset.

use pactum_core::zone::{Decomposition, NotAdditiveReason};
use pactum_core::{
    analyze, zone, Aggregation, AnalysisOptions, Bounds, HyperRectangle, Issue, LinearAdditive,
    OutcomeSpace, Party, Range, RectangleUtility, Scenario, Semantics, Term, UtilityFunction,
    ValueFunction, ZoneOptions,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Spec {
    radices: Vec<u32>,
    /// Per party: weights, tables (small integers, so ties are common), and
    /// the reservation value as a fraction of the party's ideal utility.
    parties: Vec<(Vec<f64>, Vec<Vec<f64>>, f64)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..=4, prop::collection::vec(2u32..=4, 2..=5))
        .prop_flat_map(|(n, radices)| {
            let radices2 = radices.clone();
            let party = move || {
                let tables = radices2
                    .iter()
                    .map(|&r| prop::collection::vec((-1i8..5).prop_map(f64::from), r as usize))
                    .collect::<Vec<_>>();
                (
                    prop::collection::vec(
                        (1u8..4).prop_map(|w| f64::from(w) / 4.0),
                        radices2.len(),
                    ),
                    tables,
                    // 0.3 to 1.1 of the ideal: the zone is empty in a good share of cases.
                    (3u8..=11).prop_map(|q| f64::from(q) / 10.0),
                )
            };
            (Just(radices), prop::collection::vec(party(), n))
        })
        .prop_map(|(radices, parties)| Spec { radices, parties })
}

/// Party `p`'s best `weight·value` on each issue.
fn best_shares(s: &Spec, p: usize) -> Vec<f64> {
    let (w, t, _) = &s.parties[p];
    w.iter()
        .zip(t)
        .map(|(&w, t)| t.iter().map(|&v| w * v).fold(f64::NEG_INFINITY, f64::max))
        .collect()
}

fn reservations(s: &Spec) -> Vec<f64> {
    (0..s.parties.len())
        .map(|p| {
            let ideal: f64 = best_shares(s, p).iter().sum();
            s.parties[p].2 * ideal
        })
        .collect()
}

fn scenario(s: &Spec) -> Scenario {
    let r = reservations(s);
    let space = OutcomeSpace::new(
        s.radices
            .iter()
            .enumerate()
            .map(|(i, &k)| Issue::integer(format!("i{i}"), 0, i64::from(k) - 1))
            .collect(),
    );
    let parties = s
        .parties
        .iter()
        .enumerate()
        .map(|(p, (w, t, _))| Party {
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
                reservation: Some(r[p]),
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

/// Every outcome as option indices, the last issue fastest.
fn outcomes(radices: &[u32]) -> Vec<Vec<u32>> {
    let total: u32 = radices.iter().product();
    (0..total)
        .map(|mut idx| {
            let mut digits = vec![0u32; radices.len()];
            for (d, &r) in digits.iter_mut().zip(radices).rev() {
                *d = idx % r;
                idx /= r;
            }
            digits
        })
        .collect()
}

/// Party `p`'s utility with the options of `digits` on the issues in `set`
/// and its own best option everywhere else (`set` = every issue: the plain
/// utility of the outcome).
fn credited(s: &Spec, p: usize, digits: &[u32], set: u32) -> f64 {
    let (w, t, _) = &s.parties[p];
    let best = best_shares(s, p);
    let mut u = 0.0;
    for k in 0..w.len() {
        u += if set & (1 << k) != 0 {
            w[k] * t[k][digits[k] as usize]
        } else {
            best[k]
        };
    }
    u
}

fn utilities(s: &Spec, digits: &[u32]) -> Vec<f64> {
    let all = (1u32 << s.radices.len()) - 1;
    (0..s.parties.len())
        .map(|p| credited(s, p, digits, all))
        .collect()
}

/// Whether the issues in `set` (a bit mask) block, tried on every outcome.
fn brute_blocks(s: &Spec, r: &[f64], set: u32) -> bool {
    !outcomes(&s.radices)
        .iter()
        .any(|d| (0..s.parties.len()).all(|p| credited(s, p, d, set) >= r[p]))
}

fn members(set: u32, l: usize) -> Vec<usize> {
    (0..l).filter(|k| set & (1 << k) != 0).collect()
}

/// Every minimal blocking set: blocking, and no proper subset blocks.
fn brute_minimal_blocking(s: &Spec, r: &[f64]) -> Vec<Vec<usize>> {
    let l = s.radices.len();
    let blocking: Vec<u32> = (0..1u32 << l).filter(|&m| brute_blocks(s, r, m)).collect();
    let mut out: Vec<Vec<usize>> = blocking
        .iter()
        .filter(|&&m| !blocking.iter().any(|&o| o != m && o & m == o))
        .map(|&m| members(m, l))
        .collect();
    out.sort();
    out
}

fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
}

fn check(s: &Spec) -> Result<(), TestCaseError> {
    let sc = scenario(s);
    let r = reservations(s);
    let z = zone(
        &sc,
        &ZoneOptions {
            max_blocking_sets: 10_000,
            ..Default::default()
        },
    )
    .unwrap();
    let all = outcomes(&s.radices);
    let utils: Vec<Vec<f64>> = all.iter().map(|d| utilities(s, d)).collect();
    let n = s.parties.len();
    let clears = |u: &[f64], skip: Option<usize>| (0..n).all(|j| Some(j) == skip || u[j] >= r[j]);

    prop_assert_eq!(&z.reservations, &r);
    let inside: Vec<usize> = (0..all.len())
        .filter(|&o| clears(&utils[o], None))
        .collect();
    prop_assert_eq!(z.size, inside.len() as u64);
    prop_assert_eq!(z.outcomes, all.len() as u64);

    // Packages: zone outcomes no zone outcome dominates, first of each vector.
    let mut packages: Vec<(Vec<f64>, u64)> = Vec::new();
    for &o in &inside {
        let u = &utils[o];
        if inside.iter().any(|&q| dominates(&utils[q], u)) {
            continue;
        }
        if packages.iter().any(|(v, _)| v == u) {
            continue;
        }
        packages.push((u.clone(), o as u64));
    }
    packages.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let got: Vec<(Vec<f64>, u64)> = z
        .packages
        .iter()
        .map(|p| (p.utilities.clone(), p.outcome))
        .collect();
    prop_assert_eq!(&got, &packages);

    // Nash: the packages maximising Π(u_i − r_i), within 1e-12.
    let product = |u: &[f64]| u.iter().zip(&r).map(|(u, r)| u - r).product::<f64>();
    let best = packages
        .iter()
        .map(|(u, _)| product(u))
        .fold(f64::NEG_INFINITY, f64::max);
    let nash: Vec<(Vec<f64>, u64)> = packages
        .iter()
        .filter(|(u, _)| product(u) >= best - 1e-12)
        .cloned()
        .collect();
    let got: Vec<(Vec<f64>, u64)> = z
        .nash
        .iter()
        .map(|p| (p.utilities.clone(), p.outcome))
        .collect();
    prop_assert_eq!(&got, &nash);

    // Concessions.
    for i in 0..n {
        let others: Vec<f64> = utils
            .iter()
            .filter(|u| clears(u, Some(i)))
            .map(|u| u[i])
            .collect();
        let expected = if !inside.is_empty() {
            Some(0.0)
        } else if others.is_empty() {
            None
        } else {
            Some(r[i] - others.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        };
        prop_assert_eq!(z.concessions[i], expected, "party {}", i);
        if let Some(c) = expected {
            prop_assert!(c >= 0.0);
        }
    }

    // Blocking.
    let l = s.radices.len();
    let full = (1u32 << l) - 1;
    prop_assert_eq!(z.size == 0, brute_blocks(s, &r, full));
    prop_assert!(!z.blocking_truncated);
    if z.size == 0 {
        prop_assert_eq!(&z.blocking_sets, &brute_minimal_blocking(s, &r));
        prop_assert!(!z.blocking_sets.is_empty());
        for set in &z.blocking_sets {
            let mask = set.iter().fold(0u32, |m, &k| m | 1 << k);
            prop_assert!(brute_blocks(s, &r, mask), "{:?} does not block", set);
            for &k in set {
                prop_assert!(
                    !brute_blocks(s, &r, mask & !(1 << k)),
                    "{:?} minus {} still blocks",
                    set,
                    k
                );
            }
        }
        prop_assert!(z.explanation.is_empty());
    } else {
        prop_assert!(z.blocking_sets.is_empty());
        prop_assert_eq!(z.explanation.len(), l);
    }
    prop_assert_eq!(z.not_additive, None);

    // Every blocking test agrees with the brute force, on every subset.
    let dec = Decomposition::new(&sc).unwrap();
    for m in 0..=full {
        prop_assert_eq!(
            dec.blocks(&r, &members(m, l)),
            brute_blocks(s, &r, m),
            "set {:?}",
            members(m, l)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn zone_matches_brute_force(s in spec()) {
        check(&s)?;
    }

    /// A superset of a blocking set blocks (the monotonicity the search relies on).
    #[test]
    fn blocking_is_upward_monotone(s in spec()) {
        let r = reservations(&s);
        let l = s.radices.len();
        for m in 0..1u32 << l {
            if brute_blocks(&s, &r, m) {
                for k in 0..l {
                    prop_assert!(brute_blocks(&s, &r, m | 1 << k));
                }
            }
        }
    }

    /// The zone's Nash points are the analysis's, under either semantics.
    #[test]
    fn nash_agrees_with_analysis(s in spec(), negmas in any::<bool>()) {
        let semantics = if negmas { Semantics::Negmas } else { Semantics::Genius };
        let sc = scenario(&s);
        let a = analyze(&sc, &AnalysisOptions { semantics, ..Default::default() }).unwrap();
        let z = zone(&sc, &ZoneOptions { semantics, ..Default::default() }).unwrap();
        prop_assert_eq!(z.nash, a.nash);
        prop_assert_eq!(z.size, a.rational_outcomes);
        prop_assert_eq!(z.reservations, a.reservation_used);
    }

    /// With a cap, the sets reported are minimal blocking sets, and the
    /// truncation flag is set exactly when some were left out.
    #[test]
    fn capped_enumeration_reports_truncation(s in spec(), cap in 1usize..3) {
        let sc = scenario(&s);
        let r = reservations(&s);
        let z = zone(&sc, &ZoneOptions { max_blocking_sets: cap, ..Default::default() }).unwrap();
        let all = if z.size == 0 { brute_minimal_blocking(&s, &r) } else { vec![] };
        prop_assert!(z.blocking_sets.len() <= cap);
        for set in &z.blocking_sets {
            prop_assert!(all.contains(set));
        }
        prop_assert_eq!(z.blocking_truncated, all.len() > cap);
        if !z.blocking_truncated {
            prop_assert_eq!(&z.blocking_sets, &all);
        }
    }
}

/// How often the random scenarios have an empty zone, and several minimal
/// blocking sets: the properties above must see both cases often.
#[test]
fn random_scenarios_cover_empty_zones() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut empty, mut several) = (0, 0);
    for _ in 0..200 {
        let s = spec().new_tree(&mut runner).unwrap().current();
        let r = reservations(&s);
        let l = s.radices.len();
        if brute_blocks(&s, &r, (1 << l) - 1) {
            empty += 1;
            if brute_minimal_blocking(&s, &r).len() > 1 {
                several += 1;
            }
        }
    }
    eprintln!("{empty} of 200 random scenarios have an empty zone, {several} of them several minimal blocking sets");
    assert!((40..=160).contains(&empty), "{empty} of 200 empty");
    assert!(several >= 10, "{several} of 200 with several blocking sets");
}

/// Two parties over two issues, with one hyper-rectangle each.
fn rectangles() -> (Scenario, Vec<[f64; 2]>) {
    let space = OutcomeSpace::new(vec![Issue::integer("a", 0, 2), Issue::integer("b", 0, 2)]);
    let party = |name: &str, lo: f64, hi: f64, table: Vec<f64>, r: f64| Party {
        name: name.into(),
        ufun: UtilityFunction {
            additive: LinearAdditive {
                bias: 0.0,
                terms: vec![
                    Term {
                        weight: 1.0,
                        value: ValueFunction::Table(table),
                    },
                    Term {
                        weight: 1.0,
                        value: ValueFunction::Zero,
                    },
                ],
            },
            rectangles: Some(RectangleUtility {
                weight: 1.0,
                aggregation: Aggregation::Sum,
                bounds: Bounds::Inclusive,
                max_utility: None,
                rectangles: vec![HyperRectangle {
                    utility: 4.0,
                    ranges: vec![
                        Range {
                            issue: 0,
                            min: lo,
                            max: hi,
                        },
                        Range {
                            issue: 1,
                            min: lo,
                            max: hi,
                        },
                    ],
                    excludes: false,
                }],
            }),
            reservation: Some(r),
            ..Default::default()
        },
    };
    let s = Scenario {
        name: "rectangles".into(),
        space,
        parties: vec![
            party("x", 0.0, 0.0, vec![2.0, 1.0, 0.0], 3.0),
            party("y", 2.0, 2.0, vec![0.0, 1.0, 2.0], 3.0),
        ],
    };
    // Written out by hand: x earns 4 at (0, 0), y at (2, 2); plus the tables on a.
    let mut u = Vec::new();
    for a in 0..3 {
        for b in 0..3 {
            let x = [2.0, 1.0, 0.0][a] + if a == 0 && b == 0 { 4.0 } else { 0.0 };
            let y = [0.0, 1.0, 2.0][a] + if a == 2 && b == 2 { 4.0 } else { 0.0 };
            u.push([x, y]);
        }
    }
    (s, u)
}

#[test]
fn rectangles_get_an_enumerated_zone_and_no_blocking_sets() {
    let (mut s, u) = rectangles();
    let z = zone(&s, &ZoneOptions::default()).unwrap();
    // Each party clears 3 only inside its own corner, where the other has at most 2.
    assert_eq!(z.size, 0);
    assert!(z.nash.is_empty() && z.packages.is_empty());
    assert_eq!(z.blocking_sets, Vec::<Vec<usize>>::new());
    let reason = z.not_additive.expect("a typed reason");
    assert_eq!(reason.party, 0);
    assert_eq!(reason.reason, NotAdditiveReason::Rectangles);
    assert!(reason.to_string().contains("not additive"));
    // Concessions by brute force: x's best where y clears 3 is at (2, 2) -> 0.
    let best_x = u
        .iter()
        .filter(|v| v[1] >= 3.0)
        .map(|v| v[0])
        .fold(f64::NEG_INFINITY, f64::max);
    let best_y = u
        .iter()
        .filter(|v| v[0] >= 3.0)
        .map(|v| v[1])
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(z.concessions, vec![Some(3.0 - best_x), Some(3.0 - best_y)]);

    // Lower both reservation values to 1: the zone opens (a = 1).
    s.parties[0].ufun.reservation = Some(1.0);
    s.parties[1].ufun.reservation = Some(1.0);
    let z = zone(&s, &ZoneOptions::default()).unwrap();
    let inside: Vec<usize> = (0..9)
        .filter(|&o| u[o][0] >= 1.0 && u[o][1] >= 1.0)
        .collect();
    assert_eq!(inside.len(), 3);
    assert_eq!(z.size, inside.len() as u64);
    assert!(!z.nash.is_empty());
    for p in &z.nash {
        assert!(inside.contains(&(p.outcome as usize)));
        assert_eq!(p.utilities, u[p.outcome as usize].to_vec());
    }
    assert_eq!(z.concessions, vec![Some(0.0), Some(0.0)]);
    assert!(z.explanation.is_empty());
}

#[test]
fn infinite_reservation_values_do_not_break_the_zone() {
    // NegMAS gives discounted ufuns a reservation value of −∞.
    let s = Spec {
        radices: vec![2, 3],
        parties: vec![
            (
                vec![0.5, 0.5],
                vec![vec![1.0, 0.0], vec![0.0, 1.0, 2.0]],
                0.5,
            ),
            (
                vec![0.5, 0.5],
                vec![vec![0.0, 1.0], vec![2.0, 1.0, 0.0]],
                0.5,
            ),
        ],
    };
    let mut sc = scenario(&s);
    for p in &mut sc.parties {
        p.ufun.discount = Some(0.9);
    }
    let options = ZoneOptions {
        semantics: Semantics::Negmas,
        ..Default::default()
    };
    let z = zone(&sc, &options).unwrap();
    assert_eq!(z.reservations, vec![f64::NEG_INFINITY; 2]);
    assert_eq!(z.size, 6);
    assert_eq!(z.concessions, vec![Some(0.0), Some(0.0)]);
    assert!(!z.nash.is_empty());
    let a = analyze(
        &sc,
        &AnalysisOptions {
            semantics: Semantics::Negmas,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(z.nash, a.nash);
    // Nothing blocks against −∞.
    let dec = Decomposition::new(&sc).unwrap();
    assert!(!dec.blocks(&z.reservations, &[0, 1]));
    assert_eq!(
        dec.blocking_sets(&z.reservations, 10).sets,
        Vec::<Vec<usize>>::new()
    );
}

#[test]
fn too_large_spaces_are_refused() {
    let s = Spec {
        radices: vec![4, 4],
        parties: vec![
            (vec![1.0, 1.0], vec![vec![0.0; 4], vec![0.0; 4]], 0.5),
            (vec![1.0, 1.0], vec![vec![0.0; 4], vec![0.0; 4]], 0.5),
        ],
    };
    let err = zone(
        &scenario(&s),
        &ZoneOptions {
            max_outcomes: 15,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("16 outcomes"));
}
