//! The default (GENIUS) semantics against a brute force written here: the
//! XML is read with quick-xml events directly (not pactum's reader), every
//! outcome is evaluated as GENIUS defines it, and the frontier and the
//! max-welfare points are found by exhaustive comparison.

use pactum_core::{analyze, AnalysisOptions, Semantics};
use pactum_formats::{load_folder, LoadOptions, Normalize};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;
use std::path::Path;

/// (depth, tag, attributes) of every element, in document order.
fn elements(text: &str) -> Vec<(usize, String, HashMap<String, String>)> {
    let mut r = Reader::from_str(text.trim_start_matches('\u{feff}'));
    let mut out = Vec::new();
    let mut depth = 0;
    loop {
        let ev = r.read_event().unwrap();
        match ev {
            Event::Eof => break,
            Event::End(_) => depth -= 1,
            Event::Start(ref s) | Event::Empty(ref s) => {
                let name = String::from_utf8_lossy(s.name().as_ref()).into_owned();
                let attrs = s
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                            a.unescape_value().unwrap().into_owned(),
                        )
                    })
                    .collect();
                out.push((depth, name, attrs));
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                }
            }
            _ => {}
        }
    }
    out
}

struct BruteIssue {
    index: String,
    name: String,
    values: Vec<String>,
}

fn domain_issues(text: &str) -> Vec<BruteIssue> {
    let mut issues: Vec<BruteIssue> = Vec::new();
    for (_, name, attrs) in elements(text) {
        if name == "issue" {
            issues.push(BruteIssue {
                index: attrs["index"].clone(),
                name: attrs["name"].clone(),
                values: vec![],
            });
        } else if name == "item" {
            let last = issues.last_mut().unwrap();
            let v = attrs["value"].clone();
            if !last.values.contains(&v) {
                last.values.push(v);
            }
        }
    }
    issues
}

/// Per issue (by position): weight and value → evaluation / max evaluation.
fn profile_tables(text: &str, issues: &[BruteIssue]) -> Vec<(f64, HashMap<String, f64>)> {
    let mut weights: HashMap<String, f64> = HashMap::new();
    let mut evals: HashMap<String, HashMap<String, f64>> = HashMap::new();
    let mut current = String::new();
    let mut issue_depth = usize::MAX;
    for (depth, name, attrs) in elements(text) {
        match name.as_str() {
            "weight" => {
                weights.insert(
                    attrs["index"].clone(),
                    attrs["value"].trim().parse().unwrap(),
                );
            }
            "issue" => {
                current = attrs["name"].clone();
                issue_depth = depth;
            }
            // Only an issue's own items count, not those of nested similarity functions.
            "item" if depth == issue_depth + 1 => {
                if let Some(e) = attrs.get("evaluation") {
                    evals
                        .entry(current.clone())
                        .or_default()
                        .insert(attrs["value"].clone(), e.trim().parse().unwrap());
                }
            }
            _ => {}
        }
    }
    issues
        .iter()
        .map(|i| {
            let e = &evals[&i.name];
            let max = e.values().cloned().fold(f64::NEG_INFINITY, f64::max);
            let t = i
                .values
                .iter()
                .map(|v| (v.clone(), if max < 1e-5 { 0.0 } else { e[v] / max }))
                .collect();
            (weights[&i.index], t)
        })
        .collect()
}

fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
}

/// Brute force on one discrete scenario folder; returns (frontier, max-welfare) utilities.
fn brute(dir: &Path, domain: &str, profiles: &[String]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let issues = domain_issues(&std::fs::read_to_string(dir.join(domain)).unwrap());
    let tables: Vec<_> = profiles
        .iter()
        .map(|p| profile_tables(&std::fs::read_to_string(dir.join(p)).unwrap(), &issues))
        .collect();
    let total: usize = issues.iter().map(|i| i.values.len()).product();
    let mut points: Vec<Vec<f64>> = Vec::with_capacity(total);
    for mut idx in 0..total {
        let mut choice = vec![0; issues.len()];
        for (c, i) in choice.iter_mut().zip(&issues).rev() {
            *c = idx % i.values.len();
            idx /= i.values.len();
        }
        points.push(
            tables
                .iter()
                .map(|t| {
                    let mut u = 0.0;
                    for (k, (w, table)) in t.iter().enumerate() {
                        u += w * table[&issues[k].values[choice[k]]];
                    }
                    u.min(1.0)
                })
                .collect(),
        );
    }
    // Exhaustive frontier: sort by welfare descending; a point can only be
    // dominated by one of larger or equal welfare.
    points.sort_by(|a, b| {
        b.iter()
            .sum::<f64>()
            .partial_cmp(&a.iter().sum::<f64>())
            .unwrap()
    });
    let mut frontier: Vec<Vec<f64>> = Vec::new();
    for p in &points {
        if !frontier.iter().any(|q| dominates(q, p) || q == p)
            && !points
                .iter()
                .take_while(|q| q.iter().sum::<f64>() >= p.iter().sum::<f64>())
                .any(|q| dominates(q, p))
        {
            frontier.push(p.clone());
        }
    }
    let best = frontier
        .iter()
        .map(|p| p.iter().sum::<f64>())
        .fold(f64::NEG_INFINITY, f64::max);
    let welfare = frontier
        .iter()
        .filter(|p| p.iter().sum::<f64>() >= best - 1e-12)
        .cloned()
        .collect();
    (frontier, welfare)
}

fn same_set(a: &[Vec<f64>], b: &[Vec<f64>]) -> bool {
    let close = |p: &Vec<f64>, q: &Vec<f64>| p.iter().zip(q).all(|(x, y)| (x - y).abs() < 1e-12);
    a.len() == b.len() && a.iter().all(|p| b.iter().any(|q| close(p, q)))
}

#[test]
fn genius_frontier_and_welfare_equal_brute_force() {
    let Some(root) = pactum_testkit::scenarios() else {
        return;
    };
    let mut checked = Vec::new();
    for folder in [
        "anac/y2010/EnglandZimbabwe",
        "anac/y2010/ItexvsCypress",
        "anac/y2011/Amsterdam",
        "anac/y2011/Camera",
        "anac/y2011/Car",
        "anac/y2012/HouseKeepingA",
        "anac/y2012/FitnessB",
        "anac/y2012/BarterB",
        "anac/y2012/OutfitC",
        "anac/y2012/RentalHouseC",
        "other/Jobs",
        "other/kite",
        "other/thompson",
        "anac/y2016/Caduceus",
        "anac/y2015/group2-dinner",
        "anac/y2016/Farma",
    ] {
        let dir = root.join(folder);
        let loaded =
            load_folder(&dir, &LoadOptions::default()).unwrap_or_else(|e| panic!("{folder}: {e}"));
        let a = analyze(&loaded.scenario, &AnalysisOptions::default()).unwrap();
        let profiles: Vec<String> = loaded.parties.iter().map(|p| p.profile.clone()).collect();
        let (frontier, welfare) = brute(&dir, &loaded.domain_file, &profiles);
        let ours: Vec<Vec<f64>> = a.pareto.iter().map(|p| p.utilities.clone()).collect();
        assert!(
            same_set(&ours, &frontier),
            "{folder}: frontier {} points vs brute force {}",
            ours.len(),
            frontier.len()
        );
        let ours: Vec<Vec<f64>> = a.max_welfare.iter().map(|p| p.utilities.clone()).collect();
        assert!(
            same_set(&ours, &welfare),
            "{folder}: max welfare {ours:?} vs {welfare:?}"
        );
        checked.push(folder);
    }
    assert_eq!(checked.len(), 16);
}

/// A small nonlinear scenario of our own: three integer issues 0..=4.
const NL_DOMAIN: &str = r#"<negotiation_template><utility_space number_of_issues="3"><objective index="0" name="root" type="objective">
<issue index="1" name="a" type="integer" lowerbound="0" upperbound="4"/>
<issue index="2" name="b" type="integer" lowerbound="0" upperbound="4"/>
<issue index="3" name="c" type="integer" lowerbound="0" upperbound="4"/>
</objective></utility_space></negotiation_template>"#;

/// A rectangle: its utility and its (issue index, min, max) bounds.
type Rect<'a> = (f64, &'a [(usize, i64, i64)]);

fn nl_profile(rects: &[Rect], max: f64) -> String {
    let mut s = format!("<utility_space type=\"nonlinear\"><objective index=\"0\" name=\"root\"></objective><utility maxutility=\"{max}\"><ufun type=\"PlainUfun\" weight=\"1\" aggregation=\"sum\">\n");
    for (u, bounds) in rects {
        s.push_str(&format!("<hyperRectangle utility=\"{u}\">"));
        for (i, lo, hi) in *bounds {
            s.push_str(&format!(
                "<INCLUDES index=\"{i}\" min=\"{lo}\" max=\"{hi}\"/>"
            ));
        }
        s.push_str("</hyperRectangle>\n");
    }
    s.push_str("</ufun></utility><reservation value=\"0.1\"/></utility_space>");
    s
}

#[test]
fn nonlinear_fixtures_follow_each_semantics() {
    let p1: Vec<Rect> = vec![
        (40.0, &[(1, 1, 3), (2, 0, 2)]),
        (25.0, &[(3, 2, 4)]),
        (35.0, &[(1, 0, 0), (3, 4, 4)]),
    ];
    let p2: Vec<Rect> = vec![
        (50.0, &[(1, 3, 4)]),
        (30.0, &[(2, 2, 4), (3, 0, 1)]),
        (45.0, &[(1, 0, 2), (2, 1, 3), (3, 1, 3)]),
    ];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("domain.xml"), NL_DOMAIN).unwrap();
    std::fs::write(dir.path().join("p1.xml"), nl_profile(&p1, 80.0)).unwrap();
    std::fs::write(dir.path().join("p2.xml"), nl_profile(&p2, 100.0)).unwrap();
    for (semantics, inclusive, maxes) in [
        (Semantics::Genius, true, [80.0, 100.0]),
        (Semantics::Negmas, false, [1.0, 1.0]),
    ] {
        let loaded = load_folder(
            dir.path(),
            &LoadOptions {
                semantics,
                normalize: Normalize::None,
                ..LoadOptions::default()
            },
        )
        .unwrap();
        let a = analyze(
            &loaded.scenario,
            &AnalysisOptions {
                semantics,
                max_outcomes: 1000,
            },
        )
        .unwrap();
        let mut points = Vec::new();
        for x in 0..125i64 {
            let v = [x / 25, (x / 5) % 5, x % 5];
            let u: Vec<f64> = [&p1, &p2]
                .iter()
                .zip(maxes)
                .map(|(rects, m)| {
                    let s: f64 = rects
                        .iter()
                        .filter(|(_, b)| {
                            b.iter().all(|&(i, lo, hi)| {
                                if inclusive {
                                    lo <= v[i - 1] && v[i - 1] <= hi
                                } else {
                                    lo < v[i - 1] && v[i - 1] < hi
                                }
                            })
                        })
                        .map(|(u, _)| u)
                        .sum();
                    if semantics == Semantics::Genius {
                        (s / m).min(1.0)
                    } else {
                        s
                    }
                })
                .collect();
            points.push(u);
        }
        // Every outcome's utility, through the loader and the analysis kernel.
        let mut seen = 0;
        pactum_core::Kernel::new(&loaded.scenario).scan(0..25, |i, _, u| {
            assert_eq!(u, &points[i as usize][..], "{semantics:?} outcome {i}");
            seen += 1;
        });
        assert_eq!(seen, 125);
        let rational: Vec<&Vec<f64>> = points
            .iter()
            .filter(|u| u.iter().all(|&x| x >= 0.1))
            .collect();
        let candidates: Vec<&Vec<f64>> = if semantics == Semantics::Negmas {
            rational
        } else {
            points.iter().collect()
        };
        let mut frontier: Vec<Vec<f64>> = Vec::new();
        for p in &candidates {
            if !candidates.iter().any(|q| dominates(q, p)) && !frontier.contains(p) {
                frontier.push((*p).clone());
            }
        }
        let ours: Vec<Vec<f64>> = a.pareto.iter().map(|p| p.utilities.clone()).collect();
        assert!(
            same_set(&ours, &frontier),
            "{semantics:?}: {ours:?} vs {frontier:?}"
        );
    }
}
