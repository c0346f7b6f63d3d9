//! Issues, values and outcome spaces.
//!
//! An outcome is stored as one option index per issue (`u32` digits). Issue
//! values are only materialised when an outcome is shown to a person, so the
//! analysis kernels never allocate per outcome.

use std::fmt;

/// How many points a real issue is cut into when analysis has to enumerate it
/// (21, as GENIUS's `IssueReal` does).
///
/// Real issues are continuous; enumeration needs a finite grid. The grid always
/// includes both bounds, and the step count is reported with every analysis so
/// that nobody mistakes a discretised answer for a continuous one.
pub const DEFAULT_REAL_STEPS: u32 = 21;

/// The kind of values an issue takes.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueKind {
    /// A finite list of named options, in the order the domain declares them.
    Discrete(Vec<String>),
    /// Every integer in `min..=max`.
    Integer {
        /// Smallest value (inclusive).
        min: i64,
        /// Largest value (inclusive).
        max: i64,
    },
    /// A continuous interval, discretised into `steps` evenly spaced points
    /// (both bounds included) when enumerated.
    Real {
        /// Lower bound (inclusive).
        min: f64,
        /// Upper bound (inclusive).
        max: f64,
        /// Grid size used when enumeration is needed.
        steps: u32,
    },
}

/// One thing to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// The issue's name, as the domain gives it.
    pub name: String,
    /// Its values.
    pub kind: IssueKind,
}

/// A single value of an issue, for display and export.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An option of a discrete issue.
    Text(String),
    /// A value of an integer issue.
    Integer(i64),
    /// A grid point of a real issue.
    Real(f64),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(x) => write!(f, "{x}"),
        }
    }
}

impl Issue {
    /// A discrete issue.
    pub fn discrete(name: impl Into<String>, values: Vec<String>) -> Self {
        Issue {
            name: name.into(),
            kind: IssueKind::Discrete(values),
        }
    }

    /// An integer issue over `min..=max`.
    pub fn integer(name: impl Into<String>, min: i64, max: i64) -> Self {
        Issue {
            name: name.into(),
            kind: IssueKind::Integer { min, max },
        }
    }

    /// Number of options this issue contributes to enumeration.
    pub fn cardinality(&self) -> u64 {
        match &self.kind {
            IssueKind::Discrete(v) => v.len() as u64,
            IssueKind::Integer { min, max } => {
                if max < min {
                    0
                } else {
                    (*max as i128 - *min as i128 + 1).min(u64::MAX as i128) as u64
                }
            }
            IssueKind::Real { steps, .. } => u64::from(*steps),
        }
    }

    /// The numeric value of option `k` (integer and real issues; for discrete
    /// issues the option's index, which is what a numeric evaluator would see).
    pub fn numeric(&self, k: u32) -> f64 {
        match &self.kind {
            IssueKind::Discrete(_) => f64::from(k),
            IssueKind::Integer { min, .. } => (*min + i64::from(k)) as f64,
            IssueKind::Real { min, max, steps } => real_grid(*min, *max, *steps, k),
        }
    }

    /// The value of option `k`, for display.
    pub fn value(&self, k: u32) -> Value {
        match &self.kind {
            IssueKind::Discrete(v) => Value::Text(v[k as usize].clone()),
            IssueKind::Integer { min, .. } => Value::Integer(*min + i64::from(k)),
            IssueKind::Real { min, max, steps } => Value::Real(real_grid(*min, *max, *steps, k)),
        }
    }

    /// Whether the issue is a real interval (discretised for enumeration).
    pub fn is_real(&self) -> bool {
        matches!(self.kind, IssueKind::Real { .. })
    }
}

fn real_grid(min: f64, max: f64, steps: u32, k: u32) -> f64 {
    if steps <= 1 {
        return min;
    }
    if k + 1 == steps {
        return max;
    }
    min + (max - min) * f64::from(k) / f64::from(steps - 1)
}

/// The number of outcomes of a space, exact at any size.
///
/// Spaces above `u64` occur (40 issues of 10 values), so the count keeps an
/// exact decimal form for reports; analysis refuses such spaces anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeCount {
    /// Fits in 64 bits.
    Small(u64),
    /// Larger: the exact decimal digits.
    Huge(String),
}

impl OutcomeCount {
    /// The count as `u64`, if it fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            OutcomeCount::Small(n) => Some(*n),
            OutcomeCount::Huge(_) => None,
        }
    }
}

impl fmt::Display for OutcomeCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutcomeCount::Small(n) => write!(f, "{n}"),
            OutcomeCount::Huge(s) => f.write_str(s),
        }
    }
}

/// The Cartesian product of the issues. The last issue varies fastest, as in
/// NegMAS and GENIUS, so outcome index `k` is the same outcome in all three.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeSpace {
    /// The issues, in the domain file's order.
    pub issues: Vec<Issue>,
}

impl OutcomeSpace {
    /// A space over these issues.
    pub fn new(issues: Vec<Issue>) -> Self {
        OutcomeSpace { issues }
    }

    /// Exact number of outcomes.
    pub fn count(&self) -> OutcomeCount {
        let mut acc: u64 = 1;
        for (i, issue) in self.issues.iter().enumerate() {
            match acc.checked_mul(issue.cardinality()) {
                Some(v) => acc = v,
                None => return OutcomeCount::Huge(big_product(&self.issues[..], i, acc)),
            }
        }
        OutcomeCount::Small(acc)
    }

    /// Per-issue option counts.
    pub fn radices(&self) -> Vec<u32> {
        self.issues
            .iter()
            .map(|i| i.cardinality().min(u64::from(u32::MAX)) as u32)
            .collect()
    }

    /// The option indices of outcome number `index` (enumeration order).
    pub fn digits(&self, mut index: u64, out: &mut [u32]) {
        for (slot, issue) in out.iter_mut().zip(&self.issues).rev() {
            let r = issue.cardinality().max(1);
            *slot = (index % r) as u32;
            index /= r;
        }
    }

    /// The values of an outcome, for display.
    pub fn values(&self, digits: &[u32]) -> Vec<Value> {
        self.issues
            .iter()
            .zip(digits)
            .map(|(i, &k)| i.value(k))
            .collect()
    }
}

/// Exact decimal product for counts beyond `u64`: base-10^9 limbs.
fn big_product(issues: &[Issue], from: usize, acc: u64) -> String {
    const BASE: u128 = 1_000_000_000;
    let mut limbs: Vec<u128> = Vec::new();
    let mut a = u128::from(acc);
    while a > 0 {
        limbs.push(a % BASE);
        a /= BASE;
    }
    for issue in &issues[from..] {
        let m = u128::from(issue.cardinality());
        let mut carry = 0u128;
        for limb in limbs.iter_mut() {
            let v = *limb * m + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
    }
    let mut s = String::new();
    for (i, limb) in limbs.iter().rev().enumerate() {
        if i == 0 {
            s.push_str(&limb.to_string());
        } else {
            s.push_str(&format!("{limb:09}"));
        }
    }
    if s.is_empty() {
        s.push('0');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_counts_are_exact() {
        let issues = (0..40)
            .map(|i| Issue::integer(format!("i{i}"), 0, 9))
            .collect();
        let space = OutcomeSpace::new(issues);
        let expected = format!("1{}", "0".repeat(40));
        assert_eq!(space.count(), OutcomeCount::Huge(expected));
    }

    #[test]
    fn digits_follow_last_issue_fastest() {
        let space = OutcomeSpace::new(vec![Issue::integer("a", 0, 1), Issue::integer("b", 0, 2)]);
        let mut d = [0u32; 2];
        space.digits(4, &mut d);
        assert_eq!(d, [1, 1]);
        assert_eq!(space.count(), OutcomeCount::Small(6));
    }

    #[test]
    fn real_grid_hits_both_bounds() {
        let issue = Issue {
            name: "x".into(),
            kind: IssueKind::Real {
                min: 0.0,
                max: 0.3,
                steps: 4,
            },
        };
        assert_eq!(issue.numeric(0), 0.0);
        assert_eq!(issue.numeric(3), 0.3);
    }
}
