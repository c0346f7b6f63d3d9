//! Per-scenario precomputation shared by every negotiation on it.
//!
//! A tournament runs thousands of negotiations on one scenario, and every
//! built-in strategy needs the same things: each outcome's utility and the
//! outcomes sorted by utility. [`PreparedScenario::new`] computes them once
//! (one enumeration through `pactum_core::Kernel`'s compiled tables, one sort
//! per party) and hands each party's share out as an `Arc<PreparedUfun>`, so
//! negotiations only ever read them.
//!
//! **Ties.** Outcomes are sorted ascending by `(utility, enumeration index)`,
//! a total order, so every machine sees the same list. NegMAS sorts with
//! numpy's unstable `argsort`, whose order among equal utilities depends on
//! the CPU; the rules of its strategies ("first outcome at or above the
//! threshold", "the last, i.e. best, outcome") are applied to pactum's list
//! position for position. So among outcomes of equal utility, a threshold
//! search picks the one earliest in enumeration order, and "the best outcome"
//! is the one latest in enumeration order among the best.

use std::sync::Arc;

use pactum_core::{Kernel, OutcomeSpace, Scenario, Semantics, Value};

use crate::NegotiationError;

/// An outcome, as its index in enumeration order (last issue fastest).
pub type OutcomeId = u32;

/// The largest space [`PreparedScenario::new`] accepts by default: its tables
/// take 20 bytes per outcome and party.
pub const DEFAULT_MAX_OUTCOMES: u64 = 20_000_000;

/// How a party's utilities shrink as the negotiation goes on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Discounting {
    /// Utilities do not change.
    None,
    /// NegMAS: `d^k` in round `k` (0-based), and a reserved value of −∞.
    PerRound(f64),
    /// GENIUS: `d^t` at relative time `t`, reservation value discounted too.
    PerTime(f64),
}

impl Discounting {
    /// The factor in round `step` at relative time `time`.
    #[inline]
    pub fn factor(self, step: u32, time: f64) -> f64 {
        match self {
            Discounting::None => 1.0,
            Discounting::PerRound(d) => d.powi(step as i32),
            Discounting::PerTime(d) => d.powf(time),
        }
    }
}

/// One party's preferences, prepared for negotiating: what a [`crate::Negotiator`]
/// sees of its own side, and nothing of anyone else's.
#[derive(Debug, Clone)]
pub struct PreparedUfun {
    /// `utilities[o]`: the undiscounted utility of outcome `o`.
    utilities: Vec<f64>,
    /// Outcome ids sorted ascending by `(utility, id)`.
    order: Vec<OutcomeId>,
    /// `sorted[p] = utilities[order[p]]`, kept contiguous for searches.
    sorted: Vec<f64>,
    /// First position whose utility reaches the reserved value.
    first_rational: usize,
    reserved: f64,
    discounting: Discounting,
}

impl PreparedUfun {
    /// Prepares a party from its utilities (indexed by outcome id), reserved
    /// value and discounting. Useful for tests and synthetic scenarios.
    pub fn from_utilities(utilities: Vec<f64>, reserved: f64, discounting: Discounting) -> Self {
        let mut order: Vec<OutcomeId> = (0..utilities.len() as OutcomeId).collect();
        order.sort_unstable_by(|&a, &b| {
            utilities[a as usize]
                .total_cmp(&utilities[b as usize])
                .then(a.cmp(&b))
        });
        let sorted: Vec<f64> = order.iter().map(|&o| utilities[o as usize]).collect();
        let first_rational = sorted.partition_point(|&u| u < reserved);
        PreparedUfun {
            utilities,
            order,
            sorted,
            first_rational,
            reserved,
            discounting,
        }
    }

    /// Number of outcomes.
    #[inline]
    pub fn len(&self) -> usize {
        self.utilities.len()
    }

    /// Whether the space is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.utilities.is_empty()
    }

    /// Undiscounted utility of an outcome.
    #[inline]
    pub fn utility(&self, o: OutcomeId) -> f64 {
        self.utilities[o as usize]
    }

    /// Every outcome's undiscounted utility, by outcome id.
    pub fn utilities(&self) -> &[f64] {
        &self.utilities
    }

    /// The reserved value the rules use (−∞ for NegMAS's discounted ufuns),
    /// undiscounted.
    #[inline]
    pub fn reserved_value(&self) -> f64 {
        self.reserved
    }

    /// How utilities are discounted.
    pub fn discounting(&self) -> Discounting {
        self.discounting
    }

    /// Outcome ids sorted ascending by `(utility, id)` (see the module docs).
    pub fn sorted_outcomes(&self) -> &[OutcomeId] {
        &self.order
    }

    /// Utilities in the order of [`PreparedUfun::sorted_outcomes`].
    pub fn sorted_utilities(&self) -> &[f64] {
        &self.sorted
    }

    /// Position in the sorted list of the first outcome at or above the
    /// reserved value: positions from here on are the rational outcomes.
    pub fn first_rational(&self) -> usize {
        self.first_rational
    }

    /// The lowest utility over all outcomes.
    pub fn min(&self) -> f64 {
        self.sorted.first().copied().unwrap_or(f64::NAN)
    }

    /// The highest utility over all outcomes.
    pub fn max(&self) -> f64 {
        self.sorted.last().copied().unwrap_or(f64::NAN)
    }

    /// The best outcome: the last of the sorted list.
    pub fn best(&self) -> Option<OutcomeId> {
        self.order.last().copied()
    }

    /// NegMAS's `PresortingInverseUtilityFunction.worst_in((threshold, upper))`
    /// on the sorted list from position `from` (the rational part), with every
    /// utility multiplied by `scale` (a discount factor, or 1).
    ///
    /// The answer is the first position at or above `threshold` (the last
    /// position if none reaches it), unless an outcome below the threshold
    /// but within 10⁻⁶ of it is strictly nearer: then the first outcome with
    /// that utility (outcomes before `from` count after the rational ones,
    /// as NegMAS appends them unsorted). Returns a sorted-list position.
    pub fn worst_in(&self, from: usize, threshold: f64, upper: f64, scale: f64) -> Option<usize> {
        const EPS: f64 = 1e-6;
        let n = self.sorted.len();
        if from >= n {
            return None;
        }
        let at = |p: usize| self.sorted[p] * scale;
        // First position in [from, n) with at(p) >= threshold (monotone in p).
        let (mut lo, mut hi) = (from, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if at(mid) < threshold {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let i = lo.min(n - 1);
        let mut best = i;
        let mut best_diff = (at(i) - threshold).abs();
        let in_window = |v: f64| v >= threshold - EPS && v <= upper + 2.0 * EPS;
        if lo < n && i > from {
            let v = at(i - 1);
            if in_window(v) && (v - threshold).abs() < best_diff {
                best_diff = (v - threshold).abs();
                best = self.first_with(from, n, v, scale);
            }
        }
        if from > 0 {
            let w = at(from - 1);
            if in_window(w) && (w - threshold).abs() < best_diff {
                best = self.first_with(0, from, w, scale);
            }
        }
        Some(best)
    }

    /// First position in `[lo, hi)` whose scaled utility equals `v`.
    fn first_with(&self, lo: usize, hi: usize, v: f64, scale: f64) -> usize {
        let s = &self.sorted[lo..hi];
        lo + s.partition_point(|&u| u * scale < v)
    }
}

/// A scenario with every party prepared, ready for many negotiations.
#[derive(Debug, Clone)]
pub struct PreparedScenario {
    /// The outcome space, to turn outcome ids into values.
    pub space: OutcomeSpace,
    /// The parties' names (profile file names), in the scenario's order.
    pub names: Vec<String>,
    /// One prepared ufun per party, in the scenario's order.
    pub parties: Vec<Arc<PreparedUfun>>,
    /// Whose rules set reserved values and discounting.
    pub semantics: Semantics,
}

impl PreparedScenario {
    /// Prepares every party of `scenario` under `semantics`, refusing spaces
    /// larger than [`DEFAULT_MAX_OUTCOMES`].
    pub fn new(scenario: &Scenario, semantics: Semantics) -> Result<Self, NegotiationError> {
        Self::with_limit(scenario, semantics, DEFAULT_MAX_OUTCOMES)
    }

    /// As [`PreparedScenario::new`] with a limit of one's own.
    pub fn with_limit(
        scenario: &Scenario,
        semantics: Semantics,
        max_outcomes: u64,
    ) -> Result<Self, NegotiationError> {
        if scenario.parties.is_empty() {
            return Err(NegotiationError::NoParties);
        }
        let count = scenario.space.count();
        let n = match count.as_u64() {
            Some(n) if n <= max_outcomes && n <= u64::from(u32::MAX) => n as usize,
            _ => {
                return Err(NegotiationError::TooLarge {
                    outcomes: count.to_string(),
                    limit: max_outcomes,
                })
            }
        };
        if scenario.space.issues.iter().any(|i| i.cardinality() == 0) || n == 0 {
            return Err(NegotiationError::EmptySpace);
        }
        let k = scenario.parties.len();
        let mut utilities: Vec<Vec<f64>> = vec![Vec::with_capacity(n); k];
        let kernel = Kernel::new(scenario);
        kernel.scan(0..kernel.rows(), |_, _, u| {
            for (dst, &v) in utilities.iter_mut().zip(u) {
                dst.push(v);
            }
        });
        let reserved = pactum_core::analysis::reservation_used(scenario, semantics);
        let parties = scenario
            .parties
            .iter()
            .zip(utilities)
            .zip(reserved)
            .map(|((p, u), r)| {
                let discounting = match (semantics, p.ufun.discount) {
                    (Semantics::Negmas, Some(d)) if d > 0.0 && d != 1.0 => Discounting::PerRound(d),
                    (Semantics::Genius, Some(d)) if d > 0.0 && d < 1.0 => Discounting::PerTime(d),
                    _ => Discounting::None,
                };
                Arc::new(PreparedUfun::from_utilities(u, r, discounting))
            })
            .collect();
        Ok(PreparedScenario {
            space: scenario.space.clone(),
            names: scenario.parties.iter().map(|p| p.name.clone()).collect(),
            parties,
            semantics,
        })
    }

    /// Number of outcomes.
    pub fn outcomes(&self) -> usize {
        self.parties[0].len()
    }

    /// The values of an outcome, in issue order.
    pub fn values(&self, o: OutcomeId) -> Vec<Value> {
        let mut digits = vec![0u32; self.space.issues.len()];
        self.space.digits(u64::from(o), &mut digits);
        self.space.values(&digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ufun(u: &[f64], r: f64) -> PreparedUfun {
        PreparedUfun::from_utilities(u.to_vec(), r, Discounting::None)
    }

    #[test]
    fn ties_sort_by_enumeration_order() {
        let p = ufun(&[0.5, 0.2, 0.5, 0.9], 0.0);
        assert_eq!(p.sorted_outcomes(), &[1, 0, 2, 3]);
        assert_eq!(p.best(), Some(3));
    }

    #[test]
    fn worst_in_takes_the_first_at_or_above_the_threshold() {
        let p = ufun(&[0.1, 0.4, 0.4, 0.8], 0.0);
        assert_eq!(p.worst_in(0, 0.3, 0.8, 1.0), Some(1));
        // Nothing reaches: the last position.
        assert_eq!(p.worst_in(0, 0.95, 0.8, 1.0), Some(3));
        // Just below and strictly nearer: the first with that utility.
        assert_eq!(p.worst_in(0, 0.4 + 5e-7, 0.8, 1.0), Some(1));
    }

    #[test]
    fn rational_part_starts_at_the_reserved_value() {
        let p = ufun(&[0.1, 0.4, 0.6], 0.4);
        assert_eq!(p.first_rational(), 1);
        assert_eq!(p.worst_in(3, 0.5, 1.0, 1.0), None);
    }
}
