//! The party side of mediation: what a party knows and how it answers.
//!
//! Privacy is structural. A [`Party`] owns its own compiled utility function
//! ([`OwnModel`]), its own random stream and its answering policy, and the
//! only thing it is ever shown is a [`Query`]: the proposal, the current
//! text and the temperature the mediator announces. No function of the
//! party side takes another party's model, so an answer cannot depend on
//! one (the crate's tests replay a party's queries with the other parties'
//! models swapped and see identical answers).

use pactum_core::ufun::CompiledUfun;
use pactum_core::{OutcomeSpace, UtilityFunction};
use pactum_negotiate::Rng;

/// One party's own preferences, compiled against the outcome space: every
/// `weight·value(option)` product is tabulated once (`pactum_core`'s
/// [`CompiledUfun`]), so evaluating a text costs one addition per issue, in
/// the same floating-point order as the analysis (the utilities reported
/// here are bit-identical to `pactum analyze`'s).
#[derive(Debug, Clone)]
pub struct OwnModel {
    ufun: CompiledUfun,
    /// Per issue, each option's numeric value; only kept (and only filled
    /// into `scratch`) for hyper-rectangle ufuns, which need them.
    numeric: Option<Vec<Vec<f64>>>,
    scratch: Vec<f64>,
    reserved: f64,
}

impl OwnModel {
    /// Compiles `ufun` for `space`; `reserved` is the reservation value the
    /// rules use (see `pactum_core::analysis::reservation_used`).
    pub fn new(ufun: &UtilityFunction, space: &OutcomeSpace, reserved: f64) -> Self {
        let ufun = CompiledUfun::new(ufun, space);
        let numeric = (!ufun.is_additive()).then(|| {
            space
                .issues
                .iter()
                .map(|i| (0..i.cardinality() as u32).map(|k| i.numeric(k)).collect())
                .collect()
        });
        OwnModel {
            ufun,
            numeric,
            scratch: vec![0.0; space.issues.len()],
            reserved,
        }
    }

    /// The party's utility of a text (option indices per issue). Takes
    /// `&mut self` only for a scratch buffer: nothing is allocated.
    #[inline]
    pub fn utility(&mut self, text: &[u32]) -> f64 {
        if let Some(num) = &self.numeric {
            for ((slot, col), &k) in self.scratch.iter_mut().zip(num).zip(text) {
                *slot = col[k as usize];
            }
        }
        self.ufun.eval_with(text, &self.scratch)
    }

    /// The party's utility of the status quo: the current text, or its
    /// reservation value while there is none (NegMAS values "no text" so).
    #[inline]
    pub fn status_quo(&mut self, current: Option<&[u32]>) -> f64 {
        match current {
            Some(t) => self.utility(t),
            None => self.reserved,
        }
    }

    /// The reservation value: below it the party would rather have no agreement.
    pub fn reserved_value(&self) -> f64 {
        self.reserved
    }
}

/// What the mediator shows a party on its private channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Query<'a> {
    /// The proposed text.
    pub proposal: &'a [u32],
    /// The current text (`None` before any text was adopted).
    pub current: Option<&'a [u32]>,
    /// The temperature the mediator announces: 0 asks for a plain
    /// comparison; above 0 asks the party to vote as an annealer.
    pub temperature: f64,
}

/// A party's answer to a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    /// The proposal may replace the current text.
    Accept,
    /// Keep the current text.
    Reject,
}

impl Vote {
    /// Whether the vote is [`Vote::Accept`].
    pub fn accepted(self) -> bool {
        self == Vote::Accept
    }
}

/// How a party answers. It sees its own model, the query and its own random
/// stream, and nothing else; implement it to study strategic voting.
pub trait Voter: Send {
    /// The answer to one query.
    fn vote(&mut self, own: &mut OwnModel, query: &Query<'_>, rng: &mut Rng) -> Vote;
}

/// The reference voter: truthful about its own utility.
///
/// At temperature 0 it is NegMAS's `BinaryComparatorNegotiator`: accept iff
/// `u(proposal) > u(current)`, strictly. At a temperature `T > 0` it is a
/// Metropolis annealer (Klein et al. 2003): it accepts any proposal that does
/// not make it worse off, and one that costs it `Δu < 0` with probability
/// `exp(Δu/T)`. With every party voting so and the mediator adopting only
/// unanimous texts, a symmetric proposal is adopted with probability
/// `Π_i min(1, exp(Δu_i/T))`, whose ratio to the reverse move's is
/// `exp(ΣΔu_i/T)`: the walk is in detailed balance with the Boltzmann
/// distribution of *welfare*, `exp(Σ_i u_i/T)`, so cooling slowly enough
/// concentrates the text on the welfare maximum, though no party ever
/// reveals a utility.
#[derive(Debug, Clone, Copy, Default)]
pub struct Truthful;

impl Voter for Truthful {
    fn vote(&mut self, own: &mut OwnModel, q: &Query<'_>, rng: &mut Rng) -> Vote {
        let new = own.utility(q.proposal);
        let old = own.status_quo(q.current);
        if new > old {
            return Vote::Accept;
        }
        if q.temperature > 0.0 && new.is_finite() && old.is_finite() {
            // Equal utilities give exp(0) = 1: accepted without a draw.
            let d = new - old;
            if d == 0.0 || rng.next_f64() < (d / q.temperature).exp() {
                return Vote::Accept;
            }
        }
        Vote::Reject
    }
}

/// One party at the table: its own model, its voting policy and its own
/// random stream, all private.
pub struct Party {
    own: OwnModel,
    voter: Box<dyn Voter>,
    rng: Rng,
}

impl std::fmt::Debug for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Party").finish_non_exhaustive()
    }
}

impl Party {
    /// A party from its own model, policy and random stream.
    pub fn new(own: OwnModel, voter: Box<dyn Voter>, rng: Rng) -> Self {
        Party { own, voter, rng }
    }

    /// A [`Truthful`] party whose stream is seat `seat`'s share of `seed`
    /// (`Rng::for_seat`), so that adding a party never shifts another's draws.
    pub fn truthful(own: OwnModel, seed: u64, seat: usize) -> Self {
        Party::new(own, Box::new(Truthful), Rng::for_seat(seed, seat))
    }

    /// The party's answer to a query.
    pub fn answer(&mut self, query: &Query<'_>) -> Vote {
        self.voter.vote(&mut self.own, query, &mut self.rng)
    }

    /// Ratification: whether the party accepts `text` as an agreement, that
    /// is, values it at least at its reservation value (NegMAS's
    /// `is_acceptable_as_agreement`).
    pub fn ratify(&mut self, text: &[u32]) -> bool {
        self.own.utility(text) >= self.own.reserved_value()
    }

    /// The party's utility of a text, for the result reported after the
    /// mediation (never shown to the mediator or to other parties).
    pub(crate) fn utility(&mut self, text: &[u32]) -> f64 {
        self.own.utility(text)
    }

    /// The reservation value, for the result reported after the mediation.
    pub(crate) fn reserved_value(&self) -> f64 {
        self.own.reserved_value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pactum_core::{Issue, LinearAdditive, Term, ValueFunction};

    fn model(table: Vec<f64>, reserved: f64) -> OwnModel {
        let space = OutcomeSpace::new(vec![Issue::discrete(
            "x",
            (0..table.len()).map(|k| k.to_string()).collect(),
        )]);
        let ufun = UtilityFunction {
            additive: LinearAdditive {
                bias: 0.0,
                terms: vec![Term {
                    weight: 1.0,
                    value: ValueFunction::Table(table),
                }],
            },
            ..Default::default()
        };
        OwnModel::new(&ufun, &space, reserved)
    }

    #[test]
    fn comparator_is_strict_and_values_no_text_at_the_reservation() {
        let mut own = model(vec![0.2, 0.5, 0.5], 0.3);
        let mut rng = Rng::new(0);
        let q = |p: &'static [u32], c: Option<&'static [u32]>| Query {
            proposal: p,
            current: c,
            temperature: 0.0,
        };
        let mut v = |q| Truthful.vote(&mut own, &q, &mut rng);
        assert_eq!(v(q(&[1], Some(&[0]))), Vote::Accept);
        assert_eq!(v(q(&[2], Some(&[1]))), Vote::Reject, "ties are rejected");
        assert_eq!(v(q(&[0], None)), Vote::Reject, "0.2 < reservation 0.3");
        assert_eq!(v(q(&[1], None)), Vote::Accept);
    }

    #[test]
    fn annealer_accepts_losses_at_the_metropolis_rate() {
        let mut own = model(vec![0.0, 0.1], 0.0);
        let mut rng = Rng::new(3);
        let n = 20_000;
        let t = 0.1;
        let accepted = (0..n)
            .filter(|_| {
                let q = Query {
                    proposal: &[0],
                    current: Some(&[1]),
                    temperature: t,
                };
                Truthful.vote(&mut own, &q, &mut rng).accepted()
            })
            .count();
        let rate = accepted as f64 / n as f64;
        let expected = (-0.1f64 / t).exp();
        // 20,000 Bernoulli draws: standard error about 0.0034.
        assert!((rate - expected).abs() < 0.02, "{rate} vs {expected}");
    }
}
