//! Utility functions: linear additive and hyper-rectangle, with reservation
//! value and discount factor.
//!
//! The core keeps one representation for every source format. Differences
//! between GENIUS and NegMAS (per-issue division by the largest evaluation,
//! inclusive or exclusive rectangle bounds, the `maxutility` cap) are decided
//! when a profile is converted into these types, so evaluation here is a
//! single, fixed rule: `bias + Σ weight·value(option)` in issue order, plus the
//! rectangle part, then the optional affine map.

use crate::outcome::{Issue, OutcomeSpace};

/// How a numeric issue value is turned into a value (before the weight).
#[derive(Debug, Clone, PartialEq)]
pub enum ValueFunction {
    /// One value per option, in the issue's option order.
    Table(Vec<f64>),
    /// `offset + slope·x` of the numeric value `x`.
    Linear {
        /// Value at `x = 0`.
        offset: f64,
        /// Change per unit of `x`.
        slope: f64,
    },
    /// `a0 + a1·x + a2·x²`.
    Quadratic {
        /// Constant term.
        a0: f64,
        /// Linear term.
        a1: f64,
        /// Quadratic term.
        a2: f64,
    },
    /// Rises linearly from 0 at `start` to 1 at `middle`, falls to 0 at `end`.
    Triangular {
        /// Where the value starts rising.
        start: f64,
        /// Where the value is back at 0.
        end: f64,
        /// The peak.
        middle: f64,
    },
    /// GENIUS's integer and real linear evaluators:
    /// `clamp(offset + slope·(x − origin), 0, 1)`.
    ClampedLinear {
        /// Value at `x = origin`.
        offset: f64,
        /// Change per unit of `x`.
        slope: f64,
        /// Where `offset` applies (the profile's lower bound for integers).
        origin: f64,
    },
    /// The issue does not count (contributes nothing).
    Zero,
}

impl ValueFunction {
    /// The value of option `k` of `issue`.
    pub fn eval(&self, issue: &Issue, k: u32) -> f64 {
        match self {
            ValueFunction::Table(t) => t[k as usize],
            ValueFunction::Linear { offset, slope } => offset + slope * issue.numeric(k),
            ValueFunction::Quadratic { a0, a1, a2 } => {
                let x = issue.numeric(k);
                a0 + a1 * x + a2 * x * x
            }
            ValueFunction::Triangular { start, end, middle } => {
                let x = issue.numeric(k);
                if x < *start || x >= *end {
                    0.0
                } else if x < *middle {
                    (x - start) / (middle - start)
                } else {
                    1.0 - (x - middle) / (end - middle)
                }
            }
            ValueFunction::ClampedLinear {
                offset,
                slope,
                origin,
            } => (offset + slope * (issue.numeric(k) - origin)).clamp(0.0, 1.0),
            ValueFunction::Zero => 0.0,
        }
    }
}

/// One issue's share of a linear additive utility.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The issue's weight, used as written (weights need not sum to 1).
    pub weight: f64,
    /// The issue's value function.
    pub value: ValueFunction,
}

/// `bias + Σ_i weight_i · value_i(ω_i)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinearAdditive {
    /// Constant added to every outcome.
    pub bias: f64,
    /// One term per issue, in issue order.
    pub terms: Vec<Term>,
}

/// Whether a rectangle's bounds belong to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// `min ≤ x ≤ max` (GENIUS).
    Inclusive,
    /// `min < x < max` (NegMAS 0.16.0).
    Exclusive,
}

/// How the utilities of the rectangles containing an outcome combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// Add them.
    Sum,
    /// Take the smallest.
    Min,
    /// Take the largest.
    Max,
}

/// One constraint of a rectangle: issue `issue`'s numeric value within `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Issue position.
    pub issue: usize,
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// A region of the outcome space with a utility of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct HyperRectangle {
    /// Utility earned by outcomes inside.
    pub utility: f64,
    /// Constraints that must all hold (an outcome is inside when every one does).
    pub ranges: Vec<Range>,
    /// GENIUS `EXCLUDES` rectangles pay when the outcome is *outside* the box.
    pub excludes: bool,
}

/// A nonlinear utility built from hyper-rectangles (ANAC 2014 style).
#[derive(Debug, Clone, PartialEq)]
pub struct RectangleUtility {
    /// Factor applied to every rectangle's utility.
    pub weight: f64,
    /// How contained rectangles combine.
    pub aggregation: Aggregation,
    /// Inclusive or exclusive bounds.
    pub bounds: Bounds,
    /// When set, the aggregate is divided by it and capped at 1 (GENIUS).
    pub max_utility: Option<f64>,
    /// The rectangles.
    pub rectangles: Vec<HyperRectangle>,
}

impl RectangleUtility {
    /// The rectangle part's utility at an outcome given as numeric values.
    ///
    /// Every rectangle contributes its utility when the outcome is inside and
    /// 0 otherwise; contributions are folded with the aggregation starting
    /// from 0 (sum) or ±(2³¹−1) (min, max), as GENIUS does.
    pub fn eval(&self, x: &[f64]) -> f64 {
        let mut acc = match self.aggregation {
            Aggregation::Sum => 0.0,
            Aggregation::Min => f64::from(i32::MAX),
            Aggregation::Max => -f64::from(i32::MAX),
        };
        for r in &self.rectangles {
            let holds = |c: &Range| {
                let v = x[c.issue];
                match self.bounds {
                    Bounds::Inclusive => c.min <= v && v <= c.max,
                    Bounds::Exclusive => c.min < v && v < c.max,
                }
            };
            let inside = if r.excludes {
                !r.ranges.iter().all(holds)
            } else {
                r.ranges.iter().all(holds)
            };
            let u = if inside { self.weight * r.utility } else { 0.0 };
            acc = match self.aggregation {
                Aggregation::Sum => acc + u,
                Aggregation::Min => acc.min(u),
                Aggregation::Max => acc.max(u),
            };
        }
        match self.max_utility {
            Some(m) if m != 0.0 => (acc / m).min(1.0),
            _ => acc,
        }
    }
}

/// `u' = (u - shift) · scale`, applied after evaluation (normalisation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// Subtracted first.
    pub shift: f64,
    /// Then multiplied.
    pub scale: f64,
}

/// A party's private valuation of outcomes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UtilityFunction {
    /// The linear additive part (empty terms for a purely nonlinear profile).
    pub additive: LinearAdditive,
    /// The hyper-rectangle part, if any; added to the additive part.
    pub rectangles: Option<RectangleUtility>,
    /// GENIUS caps additive utilities at this value (1); NegMAS does not.
    pub cap: Option<f64>,
    /// Applied last, when the ufun has been normalised this way.
    pub affine: Option<Affine>,
    /// The reservation value as declared, in the ufun's own units.
    pub reservation: Option<f64>,
    /// The discount factor as declared.
    pub discount: Option<f64>,
}

impl UtilityFunction {
    /// Utility of an outcome given as option indices.
    pub fn eval(&self, space: &OutcomeSpace, digits: &[u32]) -> f64 {
        let mut u = self.additive.bias;
        for ((term, issue), &k) in self.additive.terms.iter().zip(&space.issues).zip(digits) {
            u += term.weight * term.value.eval(issue, k);
        }
        if let Some(r) = &self.rectangles {
            let x: Vec<f64> = space
                .issues
                .iter()
                .zip(digits)
                .map(|(i, &k)| i.numeric(k))
                .collect();
            u += r.eval(&x);
        }
        self.finish(u)
    }

    /// Applies the cap and the affine map, if any.
    #[inline]
    pub fn finish(&self, u: f64) -> f64 {
        finish(u, self.cap, self.affine)
    }

    /// Whether the ufun is exactly a weighted sum (no rectangles).
    pub fn is_additive(&self) -> bool {
        self.rectangles.is_none()
    }
}

/// A ufun compiled against one outcome space for fast enumeration: every
/// `weight·value(option)` product is computed once, in the same floating-point
/// order as a direct evaluation, so results are bit-identical.
#[derive(Debug, Clone)]
pub struct CompiledUfun {
    pub(crate) bias: f64,
    /// `tables[i][k] = weight_i · value_i(option k)`.
    pub(crate) tables: Vec<Vec<f64>>,
    pub(crate) rectangles: Option<RectangleUtility>,
    pub(crate) cap: Option<f64>,
    pub(crate) affine: Option<Affine>,
}

#[inline]
fn finish(u: f64, cap: Option<f64>, affine: Option<Affine>) -> f64 {
    let u = match cap {
        Some(c) if u > c => c,
        _ => u,
    };
    match affine {
        Some(a) => (u - a.shift) * a.scale,
        None => u,
    }
}

impl CompiledUfun {
    /// Compiles `ufun` for `space`.
    pub fn new(ufun: &UtilityFunction, space: &OutcomeSpace) -> Self {
        let tables = space
            .issues
            .iter()
            .enumerate()
            .map(|(i, issue)| {
                let n = issue.cardinality() as u32;
                match ufun.additive.terms.get(i) {
                    Some(term) => (0..n)
                        .map(|k| term.weight * term.value.eval(issue, k))
                        .collect(),
                    None => vec![0.0; n as usize],
                }
            })
            .collect();
        CompiledUfun {
            bias: ufun.additive.bias,
            tables,
            rectangles: ufun.rectangles.clone(),
            cap: ufun.cap,
            affine: ufun.affine,
        }
    }

    /// Whether the enumeration kernel can use running prefix sums.
    pub fn is_additive(&self) -> bool {
        self.rectangles.is_none()
    }

    /// Utility of an outcome (digits plus their numeric values for rectangles).
    #[inline]
    pub fn eval_with(&self, digits: &[u32], numeric: &[f64]) -> f64 {
        let mut u = self.bias;
        for (t, &k) in self.tables.iter().zip(digits) {
            u += t[k as usize];
        }
        if let Some(r) = &self.rectangles {
            u += r.eval(numeric);
        }
        self.finish(u)
    }

    /// Applies the cap and the affine map, if any.
    #[inline]
    pub fn finish(&self, u: f64) -> f64 {
        finish(u, self.cap, self.affine)
    }

    /// The `weight·value(option)` products of one issue.
    pub fn table(&self, issue: usize) -> &[f64] {
        &self.tables[issue]
    }

    /// The bias.
    pub fn bias(&self) -> f64 {
        self.bias
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Issue;

    #[test]
    fn compiled_matches_direct_evaluation() {
        let space = OutcomeSpace::new(vec![
            Issue::discrete("a", vec!["x".into(), "y".into()]),
            Issue::integer("b", -2, 2),
        ]);
        let ufun = UtilityFunction {
            additive: LinearAdditive {
                bias: 0.1,
                terms: vec![
                    Term {
                        weight: 0.3,
                        value: ValueFunction::Table(vec![0.2, 0.9]),
                    },
                    Term {
                        weight: 0.7,
                        value: ValueFunction::Linear {
                            offset: 0.5,
                            slope: 0.1,
                        },
                    },
                ],
            },
            ..Default::default()
        };
        let c = CompiledUfun::new(&ufun, &space);
        let mut d = [0u32; 2];
        for i in 0..10 {
            space.digits(i, &mut d);
            let x: Vec<f64> = [0usize, 1]
                .iter()
                .map(|&j| space.issues[j].numeric(d[j]))
                .collect();
            assert_eq!(c.eval_with(&d, &x), ufun.eval(&space, &d));
        }
    }

    #[test]
    fn rectangle_bounds_differ_at_the_edge() {
        let mut r = RectangleUtility {
            weight: 1.0,
            aggregation: Aggregation::Sum,
            bounds: Bounds::Inclusive,
            max_utility: None,
            rectangles: vec![HyperRectangle {
                utility: 5.0,
                ranges: vec![Range {
                    issue: 0,
                    min: 1.0,
                    max: 3.0,
                }],
                excludes: false,
            }],
        };
        assert_eq!(r.eval(&[1.0]), 5.0);
        r.bounds = Bounds::Exclusive;
        assert_eq!(r.eval(&[1.0]), 0.0);
        assert_eq!(r.eval(&[2.0]), 5.0);
    }
}
