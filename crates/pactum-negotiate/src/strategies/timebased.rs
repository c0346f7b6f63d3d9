//! Time-based aspiration negotiators (NegMAS's `BoulwareTBNegotiator`,
//! `LinearTBNegotiator`, `ConcederTBNegotiator`; `SEMANTICS.md` §3).

use crate::negotiator::{Context, Negotiator, Response};
use crate::prepared::OutcomeId;

/// NegMAS's `UtilBasedNegotiator` tolerance below the aspiration level.
const TOLERANCE: f64 = 1e-4;

/// Concedes along `a(t) = 1 − t^e` from its best utility down to the larger
/// of its worst utility and its reserved value, whatever the other side
/// does. It offers the cheapest outcome still at or above the aspiration
/// level and accepts any offer that reaches it. With no outcome at or above
/// its reserved value it still offers its best, as NegMAS does.
#[derive(Debug, Clone)]
pub struct TimeBased {
    exponent: f64,
    lo: f64,
    hi: f64,
    from: usize,
}

impl TimeBased {
    /// A time-based negotiator with exponent `e` (> 1 concedes late, < 1 early).
    pub fn new(exponent: f64) -> Self {
        TimeBased {
            exponent,
            lo: 0.0,
            hi: 0.0,
            from: 0,
        }
    }

    /// NegMAS's Boulware: `e = 4`.
    pub fn boulware() -> Self {
        Self::new(4.0)
    }

    /// NegMAS's Linear: `e = 1`.
    pub fn linear() -> Self {
        Self::new(1.0)
    }

    /// NegMAS's Conceder: `e = 0.25`.
    pub fn conceder() -> Self {
        Self::new(0.25)
    }

    /// The aspiration level (a utility) at relative time `t`; monotone
    /// non-increasing in `t`.
    pub fn threshold(&self, t: f64) -> f64 {
        let a = 1.0 * (1.0 - t.powf(self.exponent));
        let x = (self.hi - self.lo) * a + self.lo - TOLERANCE;
        self.lo.max(self.hi.min(x))
    }
}

impl Negotiator for TimeBased {
    fn start(&mut self, ctx: &mut Context<'_>) {
        let u = ctx.ufun;
        self.hi = u.max();
        self.lo = u.min().max(u.reserved_value());
        self.from = u.first_rational();
    }

    fn propose(&mut self, ctx: &mut Context<'_>) -> Option<OutcomeId> {
        let l = self.threshold(ctx.time);
        let u = ctx.ufun;
        match u.worst_in(self.from, l, self.hi, ctx.discount()) {
            Some(p) => Some(u.sorted_outcomes()[p]),
            None => u.best(),
        }
    }

    fn respond(&mut self, ctx: &mut Context<'_>, offer: OutcomeId) -> Response {
        let v = ctx.utility(offer);
        if self.threshold(ctx.time) <= v && v <= self.hi {
            Response::Accept
        } else {
            Response::Reject
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conceder_starts_well_below_its_best() {
        let mut c = TimeBased::conceder();
        c.lo = 0.0;
        c.hi = 1.0;
        let t0 = 1.0 / 101.0;
        assert!((c.threshold(t0) - 0.684).abs() < 1e-3);
        let mut b = TimeBased::boulware();
        b.hi = 1.0;
        assert!(b.threshold(t0) > 0.999);
    }
}
