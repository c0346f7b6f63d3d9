//! Baselines: random play, the hardliner and the pushover.

use crate::negotiator::{Context, Negotiator, Response};
use crate::prepared::OutcomeId;

/// NegMAS's `RandomNegotiator` defaults: accept with probability 0.15,
/// reject (and offer a uniformly random outcome) with 0.75, walk away with
/// 0.1. Its draws come from the seat's own seeded stream.
#[derive(Debug, Clone)]
pub struct RandomNegotiator {
    /// Probability of accepting.
    pub p_accept: f64,
    /// Probability of rejecting (the rest ends the negotiation).
    pub p_reject: f64,
}

impl Default for RandomNegotiator {
    fn default() -> Self {
        RandomNegotiator {
            p_accept: 0.15,
            p_reject: 0.75,
        }
    }
}

impl Negotiator for RandomNegotiator {
    fn propose(&mut self, ctx: &mut Context<'_>) -> Option<OutcomeId> {
        let n = ctx.ufun.len() as u64;
        Some(ctx.rng.below(n) as OutcomeId)
    }

    fn respond(&mut self, ctx: &mut Context<'_>, _offer: OutcomeId) -> Response {
        let x = ctx.rng.next_f64();
        if x < self.p_accept {
            Response::Accept
        } else if x < self.p_accept + self.p_reject {
            Response::Reject
        } else {
            Response::End
        }
    }
}

/// Offers its best outcome every time and accepts only offers as good as it
/// (NegMAS's `ToughNegotiator`).
#[derive(Debug, Clone, Default)]
pub struct Hardliner;

impl Negotiator for Hardliner {
    fn propose(&mut self, ctx: &mut Context<'_>) -> Option<OutcomeId> {
        ctx.ufun.best()
    }

    fn respond(&mut self, ctx: &mut Context<'_>, offer: OutcomeId) -> Response {
        if ctx.ufun.utility(offer) >= ctx.ufun.max() {
            Response::Accept
        } else {
            Response::Reject
        }
    }
}

/// Accepts whatever is offered; when it must propose, proposes its best
/// outcome.
#[derive(Debug, Clone, Default)]
pub struct AcceptAll;

impl Negotiator for AcceptAll {
    fn propose(&mut self, ctx: &mut Context<'_>) -> Option<OutcomeId> {
        ctx.ufun.best()
    }

    fn respond(&mut self, _ctx: &mut Context<'_>, _offer: OutcomeId) -> Response {
        Response::Accept
    }
}
