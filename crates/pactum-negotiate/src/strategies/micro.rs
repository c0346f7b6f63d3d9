//! MiCRO (monotonic concession with rational offers; NegMAS's
//! `MiCRONegotiator` with `accept_same=True`).

use std::collections::HashSet;

use crate::negotiator::{Context, Negotiator, Response};
use crate::prepared::OutcomeId;

/// Walks down its rational outcomes from the best, one new outcome per
/// offer, but only while it has made no more distinct offers than it has
/// received; otherwise it repeats one of its earlier offers at random. It
/// accepts an offer at least as good as the one it would make next.
#[derive(Debug, Clone, Default)]
pub struct Micro {
    next: usize,
    sent: Vec<OutcomeId>,
    received: HashSet<OutcomeId>,
}

impl Micro {
    /// A fresh negotiator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rank `i` (0 = best) among the rational outcomes, with its utility.
    fn at(ctx: &Context<'_>, i: usize) -> Option<(OutcomeId, f64)> {
        let u = ctx.ufun;
        let rational = u.len() - u.first_rational();
        if i >= rational {
            return None;
        }
        let p = u.len() - 1 - i;
        Some((u.sorted_outcomes()[p], u.sorted_utilities()[p]))
    }

    fn ready(&self) -> bool {
        self.sent.len() <= self.received.len()
    }
}

impl Negotiator for Micro {
    fn start(&mut self, _ctx: &mut Context<'_>) {
        *self = Self::default();
    }

    fn propose(&mut self, ctx: &mut Context<'_>) -> Option<OutcomeId> {
        match Self::at(ctx, self.next) {
            Some((o, _)) if self.ready() => {
                self.next += 1;
                self.sent.push(o);
                Some(o)
            }
            _ => {
                if self.sent.is_empty() {
                    None
                } else {
                    let k = ctx.rng.below(self.sent.len() as u64) as usize;
                    Some(self.sent[k])
                }
            }
        }
    }

    fn respond(&mut self, ctx: &mut Context<'_>, offer: OutcomeId) -> Response {
        self.received.insert(offer);
        let mine = if self.ready() {
            Self::at(ctx, self.next)
        } else if self.next > 0 {
            Self::at(ctx, self.next - 1)
        } else {
            None
        };
        let r = ctx.reserved_value();
        let floor = match mine {
            Some((o, _)) => {
                let v = ctx.utility(o);
                if r > v {
                    r
                } else {
                    v
                }
            }
            None => r,
        };
        if ctx.utility(offer) >= floor {
            Response::Accept
        } else {
            Response::Reject
        }
    }
}
