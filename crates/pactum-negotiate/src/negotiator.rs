//! The extension point: what a strategy sees and how it answers.

use crate::prepared::{OutcomeId, PreparedUfun};
use crate::rng::Rng;

/// A negotiator's answer to the standing offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Accept the standing offer.
    Accept,
    /// Reject it; the protocol then asks for a counter-offer.
    Reject,
    /// Walk away: the negotiation ends without agreement.
    End,
}

/// Everything a negotiator may look at during one call. It holds the
/// negotiator's **own** preferences only: no strategy can read another
/// party's utilities, as in a real negotiation.
pub struct Context<'a> {
    /// The round, from 0.
    pub step: u32,
    /// Relative time in `(0, 1)`: `(step + 1)/(steps + 1)` under a step limit
    /// (NegMAS's definition), or the share of the time limit used, whichever
    /// is larger.
    pub time: f64,
    /// The standing offer, if any (the one being answered, or just rejected).
    pub offer: Option<OutcomeId>,
    /// This negotiator's seat (0 moves first).
    pub seat: usize,
    /// Number of negotiators.
    pub parties: usize,
    /// The step limit, if any.
    pub steps: Option<u32>,
    /// This negotiator's own preferences.
    pub ufun: &'a PreparedUfun,
    /// This seat's own random stream, seeded from the session's seed.
    pub rng: &'a mut Rng,
}

impl Context<'_> {
    /// The discount factor in force now (1 for undiscounted preferences).
    #[inline]
    pub fn discount(&self) -> f64 {
        self.ufun.discounting().factor(self.step, self.time)
    }

    /// The utility of `o` now, discounted if the preferences are.
    #[inline]
    pub fn utility(&self, o: OutcomeId) -> f64 {
        self.ufun.utility(o) * self.discount()
    }

    /// The utility of no agreement now: the reserved value, discounted.
    #[inline]
    pub fn reserved_value(&self) -> f64 {
        self.ufun.reserved_value() * self.discount()
    }
}

/// A negotiation strategy under the stacked alternating offers protocol.
///
/// Each round, every negotiator is called once in seat order. A negotiator
/// called with no standing offer is asked to [`propose`](Negotiator::propose);
/// otherwise it is asked to [`respond`](Negotiator::respond) and, if it
/// rejects, to propose a counter-offer in the same call. Returning `None`
/// from `propose` ends the negotiation (NegMAS: "broken").
///
/// A negotiator is created fresh for each negotiation (see
/// [`crate::Registry`]); [`start`](Negotiator::start) runs before round 0
/// and is where per-negotiation set-up belongs. Expensive per-scenario work
/// (sorting outcomes) is already done in [`PreparedUfun`].
pub trait Negotiator: Send {
    /// Called once before round 0.
    fn start(&mut self, _ctx: &mut Context<'_>) {}

    /// A proposal; `None` ends the negotiation.
    fn propose(&mut self, ctx: &mut Context<'_>) -> Option<OutcomeId>;

    /// The answer to the standing offer `offer`.
    fn respond(&mut self, ctx: &mut Context<'_>, offer: OutcomeId) -> Response;
}
