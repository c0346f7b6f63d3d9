//! From the GENIUS file schema to core utility functions, under GENIUS's or
//! NegMAS's rules.
//!
//! GENIUS divides each discrete evaluation by the issue's largest evaluation,
//! clamps numeric evaluators to [0, 1], caps the sum at 1 and treats
//! hyper-rectangle bounds as inclusive. NegMAS 0.16.0 uses evaluations as
//! written, exclusive bounds, and (on request) its own normalisation, whose
//! exact floating-point expressions are reproduced in [`negmas`] so that
//! frontier ties come out as they do there.

use crate::error::{ErrorKind, FormatError};
use crate::genius::{Domain, DomainIssueKind, Profile, ProfileIssue};
use pactum_core::{
    Aggregation, Bounds, HyperRectangle, Issue, LinearAdditive, OutcomeSpace, Range,
    RectangleUtility, Term, UtilityFunction, ValueFunction,
};
use std::path::Path;

/// The core outcome space of a domain, real issues cut into `real_steps` points.
pub fn space(domain: &Domain, real_steps: u32) -> OutcomeSpace {
    OutcomeSpace::new(
        domain
            .issues
            .iter()
            .map(|i| match &i.kind {
                DomainIssueKind::Discrete(v) => Issue::discrete(i.name.clone(), v.clone()),
                DomainIssueKind::Integer(lo, hi) => Issue::integer(i.name.clone(), *lo, *hi),
                DomainIssueKind::Real(lo, hi) => Issue {
                    name: i.name.clone(),
                    kind: pactum_core::IssueKind::Real {
                        min: *lo,
                        max: *hi,
                        steps: real_steps,
                    },
                },
            })
            .collect(),
    )
}

fn invalid(file: &Path, line: usize, msg: String) -> FormatError {
    FormatError::at(file, line, ErrorKind::Invalid(msg))
}

/// The profile's evaluation of a domain issue: by name, preferring the one whose index also agrees.
fn profile_issue<'a>(
    profile: &'a Profile,
    name: &str,
    index: Option<i64>,
) -> Option<&'a ProfileIssue> {
    profile
        .issues
        .iter()
        .find(|p| p.name == name && (index.is_none() || p.index == index))
        .or_else(|| profile.issues.iter().find(|p| p.name == name))
}

/// Item evaluations of `pi` in the domain's option order (a later item for the
/// same value overrides an earlier one, as both GENIUS and NegMAS read them).
fn table(
    profile: &Profile,
    pi: &ProfileIssue,
    values: &[String],
    skip_missing_eval: bool,
) -> Result<Vec<f64>, FormatError> {
    values
        .iter()
        .map(|v| {
            let item = pi
                .items
                .iter()
                .rev()
                .filter(|it| !(skip_missing_eval && it.evaluation.is_none()))
                .find(|it| &it.value == v)
                .ok_or_else(|| {
                    invalid(
                        &profile.file,
                        pi.line,
                        format!(
                            "issue {:?} has no evaluation for value {v:?} of the domain",
                            pi.name
                        ),
                    )
                })?;
            item.evaluation.ok_or_else(|| {
                FormatError::at(
                    &profile.file,
                    item.line,
                    ErrorKind::MissingAttribute {
                        element: "item".into(),
                        attribute: "evaluation".into(),
                        expected: "the value's evaluation, a number".into(),
                    },
                )
            })
        })
        .collect()
}

fn weight_warning(profile: &Profile, sum: f64, warnings: &mut Vec<String>) {
    if (sum - 1.0).abs() > 1e-6 {
        warnings.push(format!(
            "{}: weights sum to {sum}, not 1; they are used as written (as GENIUS and NegMAS do)",
            profile.file.display()
        ));
    }
}

/// The ranges of a rectangle's bounds that `keep` selects, issue indices
/// resolved to positions in the domain.
fn rect_ranges(
    domain: &Domain,
    file: &Path,
    r: &crate::genius::Rect,
    keep: impl Fn(&crate::genius::RectBound) -> bool,
) -> Result<Vec<Range>, FormatError> {
    r.bounds
        .iter()
        .filter(|b| keep(b))
        .map(|b| {
            let issue = domain.issues.iter().position(|i| i.index == b.index).ok_or_else(|| {
                invalid(
                    file,
                    r.line,
                    format!("rectangle bound refers to issue index {}, which the domain does not declare", b.index),
                )
            })?;
            Ok(Range { issue, min: b.min, max: b.max })
        })
        .collect()
}

/// A profile under GENIUS 10.4's rules.
pub fn genius_ufun(
    domain: &Domain,
    profile: &Profile,
    warnings: &mut Vec<String>,
) -> Result<UtilityFunction, FormatError> {
    let file = &profile.file;
    let discount = profile.discount.filter(|d| *d > 0.0 && *d < 1.0);
    if let Some(nl) = &profile.nonlinear {
        let aggregation = match nl.aggregation.as_str() {
            "sum" => Aggregation::Sum,
            "min" => Aggregation::Min,
            "max" => Aggregation::Max,
            other => {
                return Err(FormatError::at(
                    file,
                    nl.line,
                    ErrorKind::BadAttribute {
                        element: "ufun".into(),
                        attribute: "aggregation".into(),
                        found: other.into(),
                        expected: "sum, min or max".into(),
                    },
                ))
            }
        };
        let mut rectangles = Vec::new();
        for r in &nl.rects {
            let excludes = r.bounds.iter().any(|b| b.tag == "EXCLUDES");
            let ranges = rect_ranges(domain, file, r, |b| !excludes || b.tag == "EXCLUDES")?;
            rectangles.push(HyperRectangle {
                utility: r.utility * r.weight,
                ranges,
                excludes,
            });
        }
        return Ok(UtilityFunction {
            additive: LinearAdditive::default(),
            rectangles: Some(RectangleUtility {
                // GENIUS parses the root ufun's weight but never applies it.
                weight: 1.0,
                aggregation,
                bounds: Bounds::Inclusive,
                max_utility: nl.max_utility,
                rectangles,
            }),
            cap: None,
            affine: None,
            reservation: profile.reservation,
            discount,
        });
    }
    let mut terms = Vec::new();
    let mut sum = 0.0;
    for di in &domain.issues {
        let w = profile.weights.iter().rev().find(|w| w.index == di.index).ok_or_else(|| {
            invalid(file, 1, format!("no <weight index=\"{}\"> for issue {:?} (GENIUS gives an issue without a weight no evaluator)", di.index, di.name))
        })?;
        sum += w.value;
        let pi = profile_issue(profile, &di.name, Some(di.index)).ok_or_else(|| {
            invalid(
                file,
                1,
                format!(
                    "the profile does not evaluate issue {:?} of the domain",
                    di.name
                ),
            )
        })?;
        let value = match &di.kind {
            DomainIssueKind::Discrete(values) => {
                let t = table(profile, pi, values, true)?;
                let max = pi
                    .items
                    .iter()
                    .filter_map(|i| i.evaluation)
                    .fold(f64::NEG_INFINITY, f64::max);
                if max < 0.00001 {
                    ValueFunction::Table(vec![0.0; t.len()])
                } else {
                    ValueFunction::Table(t.into_iter().map(|e| e / max).collect())
                }
            }
            DomainIssueKind::Integer(lo, _) => {
                let (offset, slope) = match &pi.evaluator {
                    Some(e) => (e.offset.unwrap_or(0.0), e.slope.unwrap_or(0.0)),
                    None => (0.0, 0.0),
                };
                ValueFunction::ClampedLinear {
                    offset,
                    slope,
                    origin: pi.lowerbound.unwrap_or(*lo as f64),
                }
            }
            DomainIssueKind::Real(..) => {
                let e = pi.evaluator.as_ref().ok_or_else(|| {
                    invalid(
                        file,
                        pi.line,
                        format!("real issue {:?} needs an <evaluator>", pi.name),
                    )
                })?;
                let p = |k: usize| e.parameters[k].unwrap_or(0.0);
                match e.ftype.as_deref() {
                    Some("linear") => ValueFunction::ClampedLinear {
                        offset: p(0),
                        slope: p(1),
                        origin: 0.0,
                    },
                    Some("constant") => ValueFunction::Linear {
                        offset: p(0),
                        slope: 0.0,
                    },
                    Some("triangular") => ValueFunction::Triangular {
                        start: p(0),
                        end: p(1),
                        middle: p(2),
                    },
                    other => {
                        return Err(FormatError::at(
                            file,
                            e.line,
                            ErrorKind::BadAttribute {
                                element: "evaluator".into(),
                                attribute: "ftype".into(),
                                found: other.unwrap_or("").into(),
                                expected: "linear, constant or triangular".into(),
                            },
                        ))
                    }
                }
            }
        };
        terms.push(Term {
            weight: w.value,
            value,
        });
    }
    weight_warning(profile, sum, warnings);
    Ok(UtilityFunction {
        additive: LinearAdditive { bias: 0.0, terms },
        rectangles: None,
        cap: Some(1.0),
        affine: None,
        reservation: profile.reservation,
        discount,
    })
}

pub mod negmas {
    //! NegMAS 0.16.0's reading of a GENIUS profile, and its independent
    //! normalisation with every floating-point step in NegMAS's order
    //! (canonical form for plain linear ufuns, the generic scale-and-shift
    //! path for discounted ones), defects included.

    use super::*;

    /// A value function as NegMAS builds it from GENIUS XML.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Vf {
        /// Item evaluations in the domain's option order.
        Table(Vec<f64>),
        /// `x·slope + offset` (NegMAS's `LinearFun`/`AffineFun`).
        Affine {
            /// Slope.
            slope: f64,
            /// Offset (0 for `LinearFun`).
            offset: f64,
        },
        /// The identity on a one-value dummy issue (value 1).
        Identity,
        /// A constant.
        Const(f64),
    }

    /// One position of NegMAS's issue list: a real issue or a dummy filling an index gap.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Slot {
        /// The domain issue, or `None` for NegMAS's `DUMMY_ISSUE`.
        pub issue: Option<usize>,
        /// The weight.
        pub weight: f64,
        /// The value function.
        pub vf: Vf,
    }

    /// A linear additive profile as NegMAS holds it, before dummy removal.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Model {
        /// Sum of weights whose index matches no position.
        pub bias: f64,
        /// Positions in NegMAS's order.
        pub slots: Vec<Slot>,
    }

    impl Vf {
        fn eval(&self, space: &OutcomeSpace, issue: Option<usize>, k: u32) -> f64 {
            match self {
                Vf::Table(t) => t[k as usize],
                Vf::Affine { slope, offset } => {
                    let x = issue.map(|i| space.issues[i].numeric(k)).unwrap_or(1.0);
                    x * slope + offset
                }
                Vf::Identity => 1.0,
                Vf::Const(c) => *c,
            }
        }

        /// Options scanned for extremes: a dummy has the one value 1.
        fn options(space: &OutcomeSpace, issue: Option<usize>) -> u32 {
            issue
                .map(|i| space.issues[i].cardinality() as u32)
                .unwrap_or(1)
        }
    }

    /// Reads a profile as NegMAS 0.16.0 does.
    pub fn model(
        domain: &Domain,
        profile: &Profile,
        warnings: &mut Vec<String>,
    ) -> Result<Model, FormatError> {
        let file = &profile.file;
        // Position = index − 1; gaps below the largest index become dummies.
        let contiguous = {
            let mut ix: Vec<i64> = domain.issues.iter().map(|i| i.index).collect();
            ix.sort_unstable();
            ix.iter().enumerate().all(|(k, &i)| i == k as i64 + 1)
        };
        let max_index = domain.issues.iter().map(|i| i.index).max().unwrap_or(0);
        let positions: Vec<Option<usize>> =
            if contiguous || domain.issues.iter().any(|i| i.index < 1) || max_index > 10_000 {
                (0..domain.issues.len()).map(Some).collect()
            } else {
                (1..=max_index)
                    .map(|ix| domain.issues.iter().position(|i| i.index == ix))
                    .collect()
            };
        let numeric_only = profile.issues.iter().all(|i| i.items.is_empty());
        let weight_at = |pos: usize| -> Option<f64> {
            profile
                .weights
                .iter()
                .rev()
                .find(|w| w.index == pos as i64 + 1)
                .map(|w| w.value)
        };
        let mut bias = 0.0;
        for w in &profile.weights {
            if w.index < 1 || w.index as usize > positions.len() {
                bias += w.value;
            }
        }
        let mut slots = Vec::new();
        let mut sum = 0.0;
        for (pos, issue) in positions.iter().enumerate() {
            let slot = match issue {
                None => {
                    if numeric_only {
                        Slot {
                            issue: None,
                            weight: 0.0,
                            vf: Vf::Const(0.0),
                        }
                    } else {
                        Slot {
                            issue: None,
                            weight: weight_at(pos).unwrap_or(1.0),
                            vf: Vf::Identity,
                        }
                    }
                }
                Some(i) => {
                    let di = &domain.issues[*i];
                    let found = profile_issue(profile, &di.name, None);
                    let weight = if found.is_none() && numeric_only {
                        0.0
                    } else {
                        weight_at(pos).unwrap_or(1.0)
                    };
                    sum += weight;
                    let vf = match found {
                        None => match &di.kind {
                            DomainIssueKind::Discrete(_) if !numeric_only => {
                                return Err(invalid(file, 1, format!("the profile does not evaluate discrete issue {:?} of the domain", di.name)))
                            }
                            _ if numeric_only => Vf::Const(0.0),
                            _ => Vf::Affine { slope: 1.0, offset: 0.0 },
                        },
                        Some(pi) => match &di.kind {
                            DomainIssueKind::Discrete(values) => Vf::Table(table(profile, pi, values, false)?),
                            _ => match &pi.evaluator {
                                Some(e) if matches!(e.ftype.as_deref(), None | Some("linear")) => Vf::Affine {
                                    slope: e.slope.unwrap_or(1.0),
                                    offset: e.offset.unwrap_or(0.0),
                                },
                                Some(e) => {
                                    return Err(FormatError::at(file, e.line, ErrorKind::BadAttribute {
                                        element: "evaluator".into(),
                                        attribute: "ftype".into(),
                                        found: e.ftype.clone().unwrap_or_default(),
                                        expected: "linear (the only numeric evaluator pactum reads under NegMAS semantics)".into(),
                                    }))
                                }
                                None => return Err(invalid(file, pi.line, format!("numeric issue {:?} has no <evaluator>", pi.name))),
                            },
                        },
                    };
                    Slot {
                        issue: Some(*i),
                        weight,
                        vf,
                    }
                }
            };
            slots.push(slot);
        }
        weight_warning(profile, sum, warnings);
        Ok(Model { bias, slots })
    }

    impl Model {
        /// `(u(worst), u(best))`, each evaluated in NegMAS's order from the bias.
        pub fn extremes(&self, space: &OutcomeSpace) -> (f64, f64) {
            let mut lo = self.bias;
            let mut hi = self.bias;
            for s in &self.slots {
                let n = Vf::options(space, s.issue);
                let terms = (0..n).map(|k| s.weight * s.vf.eval(space, s.issue, k));
                let (mn, mx) = terms.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| {
                    (a.min(t), b.max(t))
                });
                lo += mn;
                hi += mx;
            }
            (lo, hi)
        }

        /// The ufun with dummies folded into the bias (NegMAS's `remove_dummy_issues`).
        fn into_ufun(
            self,
            space: &OutcomeSpace,
            start: f64,
            reservation: Option<f64>,
            discount: Option<f64>,
        ) -> UtilityFunction {
            let mut bias = start;
            let mut terms: Vec<Option<Term>> = vec![None; space.issues.len()];
            for s in &self.slots {
                match s.issue {
                    None => bias += s.weight * s.vf.eval(space, None, 0),
                    Some(i) => {
                        let n = space.issues[i].cardinality() as u32;
                        let table = (0..n).map(|k| s.vf.eval(space, Some(i), k)).collect();
                        terms[i] = Some(Term {
                            weight: s.weight,
                            value: ValueFunction::Table(table),
                        });
                    }
                }
            }
            UtilityFunction {
                additive: LinearAdditive {
                    bias,
                    terms: terms
                        .into_iter()
                        .map(|t| {
                            t.unwrap_or(Term {
                                weight: 0.0,
                                value: ValueFunction::Zero,
                            })
                        })
                        .collect(),
                },
                rectangles: None,
                cap: None,
                affine: None,
                reservation,
                discount,
            }
        }

        /// The raw ufun (evaluations as written, no normalisation).
        pub fn raw(
            self,
            space: &OutcomeSpace,
            reservation: Option<f64>,
            discount: Option<f64>,
        ) -> UtilityFunction {
            let b = self.bias;
            self.into_ufun(space, b, reservation, discount)
        }

        /// `LinearAdditiveUtilityFunction.normalize_for`: the canonical form.
        pub fn canonical(
            mut self,
            space: &OutcomeSpace,
            reservation: f64,
            discount: Option<f64>,
        ) -> UtilityFunction {
            let mut bias = self.bias;
            for s in self.slots.iter_mut() {
                // Per-issue extremes: tables look at their first 10 values only.
                let (n, x) = match &s.vf {
                    Vf::Table(t) => {
                        let head = &t[..t.len().min(10)];
                        let mut mn = head[0];
                        let mut mx = head[0];
                        for &v in head {
                            if v < mn {
                                mn = v;
                            }
                            if v > mx {
                                mx = v;
                            }
                        }
                        (mn, mx)
                    }
                    Vf::Affine { .. } => {
                        let i = s
                            .issue
                            .expect("affine value functions belong to real issues");
                        let last = space.issues[i].cardinality() as u32 - 1;
                        let a = s.vf.eval(space, s.issue, 0);
                        let b = s.vf.eval(space, s.issue, last);
                        (a.min(b), a.max(b))
                    }
                    Vf::Identity => (1.0, 1.0),
                    Vf::Const(c) => (*c, *c),
                };
                let span;
                if (x - n).abs() < 1e-6 {
                    // A constant maps to 1, not 0, and keeps its weight.
                    s.vf = shift(&s.vf, 1.0 - n);
                    bias += s.weight * (n - 1.0);
                    span = 0.0;
                } else {
                    s.vf = shift(&s.vf, -n);
                    bias += n * s.weight;
                    span = x - n;
                }
                if span.abs() >= 1e-9 {
                    let beta = 1.0 / span;
                    if (beta - 1.0).abs() >= 1e-8 {
                        s.vf = scale(&s.vf, beta);
                        s.weight /= beta;
                    }
                }
            }
            let mut r = reservation - bias;
            let total = self.slots.iter().fold(0.0, |a, s| a + s.weight);
            if total.abs() > 1e-9 && (total - 1.0).abs() > 1e-7 {
                for s in self.slots.iter_mut() {
                    s.weight /= total;
                }
                r /= total;
            }
            self.bias = 0.0;
            self.into_ufun(space, 0.0, Some(r), discount)
        }

        /// The generic `normalize_all_for` path NegMAS takes for discounted ufuns:
        /// scale every value function by `sc/ws`, weights by `ws`, then shift
        /// every value function by `1 − sc·max`. The bias is dropped.
        pub fn generic(
            mut self,
            space: &OutcomeSpace,
            reservation: Option<f64>,
            discount: Option<f64>,
        ) -> UtilityFunction {
            let (mn, mx) = self.extremes(space);
            if mx - mn < 1e-10 || (mn.abs() < 1e-6 && (mx - 1.0).abs() < 1e-6) {
                return self.raw(space, reservation, discount);
            }
            let sc = 1.0 / (mx - mn);
            let total = self.slots.iter().fold(0.0, |a, s| a + s.weight);
            let ws = if total > 1e-6 { 1.0 / total } else { 1.0 };
            let off = 1.0 - sc * mx;
            for s in self.slots.iter_mut() {
                s.vf = shift(&scale(&s.vf, sc / ws), off);
                s.weight *= ws;
            }
            self.bias = 0.0;
            self.into_ufun(space, 0.0, reservation, discount)
        }
    }

    fn shift(vf: &Vf, o: f64) -> Vf {
        match vf {
            Vf::Table(t) => Vf::Table(t.iter().map(|m| m + o).collect()),
            Vf::Affine { slope, offset } => Vf::Affine {
                slope: *slope,
                offset: offset + o,
            },
            Vf::Identity => Vf::Affine {
                slope: 1.0,
                offset: o,
            },
            Vf::Const(c) => Vf::Const(o + c),
        }
    }

    fn scale(vf: &Vf, s: f64) -> Vf {
        match vf {
            Vf::Table(t) => Vf::Table(t.iter().map(|m| m * s).collect()),
            Vf::Affine { slope, offset } => Vf::Affine {
                slope: slope * s,
                offset: offset * s,
            },
            Vf::Identity => Vf::Affine {
                slope: s,
                offset: 0.0,
            },
            Vf::Const(c) => Vf::Const(c * s),
        }
    }

    /// A hyper-rectangle profile under NegMAS's rules.
    pub fn rectangles(
        domain: &Domain,
        profile: &Profile,
    ) -> Result<Option<UtilityFunction>, FormatError> {
        let Some(nl) = &profile.nonlinear else {
            return Ok(None);
        };
        if nl.aggregation != "sum" {
            return Err(FormatError::at(
                &profile.file,
                nl.line,
                ErrorKind::BadAttribute {
                    element: "ufun".into(),
                    attribute: "aggregation".into(),
                    found: nl.aggregation.clone(),
                    expected: "sum (NegMAS reads no other aggregation)".into(),
                },
            ));
        }
        let mut rectangles = Vec::new();
        for r in &nl.rects {
            // NegMAS reads every child as an inclusion, whatever its tag.
            let ranges = rect_ranges(domain, &profile.file, r, |_| true)?;
            rectangles.push(HyperRectangle {
                utility: r.utility,
                ranges,
                excludes: false,
            });
        }
        let discount = profile.discount;
        Ok(Some(UtilityFunction {
            additive: LinearAdditive::default(),
            rectangles: Some(RectangleUtility {
                weight: nl.weight,
                aggregation: Aggregation::Sum,
                bounds: Bounds::Exclusive,
                max_utility: None,
                rectangles,
            }),
            cap: None,
            affine: None,
            reservation: Some(profile.reservation.unwrap_or(0.0)),
            discount,
        }))
    }
}
