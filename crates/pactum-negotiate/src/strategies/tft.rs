//! NegMAS's `NaiveTitForTatNegotiator` with its defaults (`SEMANTICS.md` §4).

use crate::negotiator::{Context, Negotiator, Response};
use crate::prepared::OutcomeId;

/// Mirrors the other side's concession, measured in its own normalised
/// utility under a zero-sum assumption; in rounds 1 and 2 it makes the
/// smallest concessions its outcome list allows.
#[derive(Debug, Clone, Default)]
pub struct NaiveTitForTat {
    /// `(u − m)/(M − m)` with `m` floored at the reserved value.
    m: f64,
    inv_span: Option<f64>,
    degenerate: f64,
    /// NegMAS's stateful "next worse" cursor over all outcomes.
    cursor: Option<usize>,
    last_received: Option<OutcomeId>,
}

impl NaiveTitForTat {
    /// A fresh negotiator.
    pub fn new() -> Self {
        Self::default()
    }

    fn normalised(&self, u: f64) -> f64 {
        match self.inv_span {
            Some(d) => (u - self.m) * d,
            None => self.degenerate,
        }
    }

    fn next_worse(&mut self, n: usize) -> Option<usize> {
        match self.cursor {
            None => {
                self.cursor = Some(n - 1);
                Some(n - 1)
            }
            Some(0) => None,
            Some(p) => {
                self.cursor = Some(p - 1);
                Some(p - 1)
            }
        }
    }

    /// NegMAS's `KindConcessionRecommender` with kindness 0.
    fn recommend(&mut self, ctx: &Context<'_>, partner: f64) -> f64 {
        let c = if partner < 0.0 { 0.0 } else { partner };
        let r = if ctx.step == 0 {
            0.0
        } else if ctx.step >= 3 {
            c
        } else {
            let u = ctx.ufun;
            let n = u.len();
            let s = ctx.discount();
            let a = self.next_worse(n);
            let b = self.next_worse(n);
            match (a, b) {
                (Some(a), Some(b)) => {
                    let sorted = u.sorted_utilities();
                    let d = sorted[n - 1] * s - sorted[0] * s;
                    (sorted[a] * s - sorted[b] * s + 1e-12) / d
                }
                _ => f64::NAN,
            }
        };
        if !r.is_finite() || !(-1e-6..=1.0000001).contains(&r) {
            0.0
        } else {
            r
        }
    }

    /// `1 − p` where `p = 1 − n(o)` is the zero-sum model's guess of the
    /// partner's normalised utility, formed as NegMAS forms it.
    fn partner_concession(&self, ctx: &Context<'_>, o: Option<OutcomeId>) -> f64 {
        let p = match o {
            Some(o) => -self.normalised(ctx.utility(o)) + 1.0,
            None => 1.0,
        };
        1.0 - p
    }
}

impl Negotiator for NaiveTitForTat {
    fn start(&mut self, ctx: &mut Context<'_>) {
        let u = ctx.ufun;
        let r = u.reserved_value();
        let (mut mn, mut mx) = (u.min(), u.max());
        if mx < r {
            mn = f64::NEG_INFINITY;
            mx = f64::NEG_INFINITY;
        } else if mn < r {
            mn = r;
        }
        let d = mx - mn;
        self.m = mn;
        if d < 1e-5 || d.is_nan() {
            self.inv_span = None;
            self.degenerate = if mx.is_finite() { 1.0 } else { 0.0 };
        } else {
            self.inv_span = Some(1.0 / d);
        }
        self.cursor = None;
        self.last_received = None;
    }

    fn propose(&mut self, ctx: &mut Context<'_>) -> Option<OutcomeId> {
        let c = self.partner_concession(ctx, self.last_received);
        let target = 1.0 - self.recommend(ctx, c);
        let u = ctx.ufun;
        let s = ctx.discount();
        let sorted = u.sorted_utilities();
        let (lo, hi) = (sorted[0] * s, sorted[sorted.len() - 1] * s);
        let d = hi - lo;
        let (l, h) = if d < 1e-6 {
            (0.0, 0.0)
        } else {
            (target * d + lo, 1.0 * d + lo)
        };
        match u.worst_in(0, l, h, s) {
            Some(p) => Some(u.sorted_outcomes()[p]),
            None => u.best(),
        }
    }

    fn respond(&mut self, ctx: &mut Context<'_>, offer: OutcomeId) -> Response {
        self.last_received = Some(offer);
        let c = self.partner_concession(ctx, Some(offer));
        let mine = self.recommend(ctx, c);
        if self.normalised(ctx.utility(offer)) >= 1.0 - mine {
            Response::Accept
        } else {
            Response::Reject
        }
    }
}
