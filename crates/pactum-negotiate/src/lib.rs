//! Negotiations under the stacked alternating offers protocol (SAO), with
//! built-in strategies faithful to NegMAS 0.16.
//!
//! The key design decision is that everything a strategy needs about its
//! own preferences is computed **once per scenario**, not per negotiation:
//! [`PreparedScenario`] enumerates the outcomes through `pactum-core`'s
//! compiled tables and keeps, per party, every outcome's utility and the
//! outcomes sorted by utility ([`PreparedUfun`], shared as an `Arc`).
//! A negotiation then only reads those tables: outcomes are `u32` ids in
//! enumeration order, a threshold search is a binary search, and the
//! protocol loop does not allocate per step. Ties among outcomes of equal
//! utility follow enumeration order (see [`prepared`]), so a run gives the
//! same result on every machine, and a seed fixes every random draw.
//!
//! The crate is pure: no I/O, no async. Scenarios come from
//! `pactum-formats`; tournaments and the command line are built on top.
//!
//! # Writing a strategy
//!
//! A [`Negotiator`] sees the round, the relative time, the standing offer
//! and its own preferences, never another party's:
//!
//! ```
//! use pactum_core::{Issue, LinearAdditive, OutcomeSpace, Party, Scenario, Semantics, Term,
//!     UtilityFunction, ValueFunction};
//! use pactum_negotiate::{Context, Negotiator, OutcomeId, PreparedScenario, Response,
//!     SaoConfig, Seat, Session, Trace, TimeBased};
//!
//! /// Asks for its best outcome until half the time is gone, then accepts
//! /// anything worth at least 0.5 to it.
//! struct Patient;
//!
//! impl Negotiator for Patient {
//!     fn propose(&mut self, ctx: &mut Context<'_>) -> Option<OutcomeId> {
//!         ctx.ufun.best()
//!     }
//!     fn respond(&mut self, ctx: &mut Context<'_>, offer: OutcomeId) -> Response {
//!         if ctx.time > 0.5 && ctx.utility(offer) >= 0.5 {
//!             Response::Accept
//!         } else {
//!             Response::Reject
//!         }
//!     }
//! }
//!
//! let prices: Vec<String> = (0..5).map(|p| p.to_string()).collect();
//! let ufun = |t: Vec<f64>| UtilityFunction {
//!     additive: LinearAdditive { bias: 0.0, terms: vec![Term { weight: 1.0, value: ValueFunction::Table(t) }] },
//!     ..Default::default()
//! };
//! let scenario = Scenario {
//!     name: "price".into(),
//!     space: OutcomeSpace::new(vec![Issue::discrete("price", prices)]),
//!     parties: vec![
//!         Party { name: "buyer".into(), ufun: ufun(vec![1.0, 0.75, 0.5, 0.25, 0.0]) },
//!         Party { name: "seller".into(), ufun: ufun(vec![0.0, 0.25, 0.5, 0.75, 1.0]) },
//!     ],
//! };
//! let prepared = PreparedScenario::new(&scenario, Semantics::Genius).unwrap();
//! let seats = vec![Seat::new(0, Box::new(Patient)), Seat::new(1, Box::new(TimeBased::linear()))];
//! let config = SaoConfig { steps: Some(20), ..SaoConfig::default() };
//! let mut trace = Trace::default();
//! let result = Session::new(&prepared, seats, config).unwrap().run(&mut trace);
//! assert!(result.agreement.is_some());
//! assert!(result.utilities[0] >= 0.5);
//! assert_eq!(trace.result.as_ref(), Some(&result));
//! ```

#![deny(missing_docs)]

pub mod negotiator;
pub mod prepared;
pub mod registry;
pub mod rng;
pub mod sao;
pub mod strategies;

pub use negotiator::{Context, Negotiator, Response};
pub use prepared::{Discounting, OutcomeId, PreparedScenario, PreparedUfun};
pub use registry::{Constructor, Registry, BUILTIN};
pub use rng::Rng;
pub use sao::{
    Action, ActionKind, EndReason, NegotiationResult, Observer, SaoConfig, Seat, Session, Trace,
    TraceEntry,
};
pub use strategies::{AcceptAll, Hardliner, Micro, NaiveTitForTat, RandomNegotiator, TimeBased};

/// Why a negotiation could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// The name is not registered.
    #[error("unknown negotiator {name:?} (available: {available})")]
    UnknownNegotiator {
        /// The name asked for.
        name: String,
        /// The registered names, comma-separated.
        available: String,
    },
    /// SAO needs at least two negotiators.
    #[error("a negotiation needs at least two seats, got {0}")]
    TooFewSeats(usize),
    /// A seat names a party the scenario does not have.
    #[error("seat plays party {party}, but the scenario has {parties} parties")]
    NoSuchParty {
        /// The party index asked for.
        party: usize,
        /// How many parties there are.
        parties: usize,
    },
    /// Neither a step limit nor a time limit: the negotiation might not end.
    #[error("a negotiation needs a step limit or a time limit")]
    NoLimit,
    /// The scenario has no parties.
    #[error("the scenario has no parties")]
    NoParties,
    /// Some issue has no values, so there is nothing to agree on.
    #[error("the outcome space is empty")]
    EmptySpace,
    /// Too many outcomes to tabulate.
    #[error("the outcome space has {outcomes} outcomes, more than the limit of {limit} for negotiations")]
    TooLarge {
        /// The size of the space.
        outcomes: String,
        /// The limit in force.
        limit: u64,
    },
}
