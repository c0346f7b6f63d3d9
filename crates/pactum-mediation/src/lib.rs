//! Single-text mediation: a mediator holds the current text (an outcome),
//! proposes changes, and each party answers accept or reject, privately.
//!
//! The key design decision is that the protocol's rules live in one place,
//! the [`Table`] a [`Mediator`] works through, and privacy is structural:
//!
//! * a [`Party`] owns its own compiled ufun, voting policy and random
//!   stream, and is shown only a [`Query`] (proposal, current text,
//!   announced temperature), so its answers cannot depend on another
//!   party's model;
//! * consultation is shuttle-style: parties are asked one at a time on
//!   private channels (until the first rejection, or all of them with
//!   [`Table::poll_each`]), and the [`Trace`] records every event with its
//!   audience, so [`Trace::view_of`] is exactly what one party saw;
//! * a text changes only by unanimous adoption, announced to all; the
//!   budget counts proposals.
//!
//! At the end every party ratifies the final text or not: the final text is
//! the agreement only if each party values it at least at its reservation
//! value (NegMAS's `VetoSTMechanism` applies the same test; its hill climber
//! takes the final text as is). Both the final text and the agreement are
//! reported.
//!
//! Mediators ([`strategies`]): NegMAS's random proposal with veto and hill
//! climbing, Klein et al.'s (2003) simulated annealing, and `sweep`,
//! pactum's own and the default, which estimates each issue's
//! welfare-maximising option from every party's annealing votes
//! (BENCHMARKS.md has the figures).
//!
//! ```
//! use pactum_core::{Issue, LinearAdditive, OutcomeSpace, Party, Scenario, Semantics, Term,
//!     UtilityFunction, ValueFunction};
//! use pactum_mediation::{strategies, MediationConfig, Session, Trace};
//!
//! let ufun = |t: Vec<f64>, u: Vec<f64>| UtilityFunction {
//!     additive: LinearAdditive { bias: 0.0, terms: vec![
//!         Term { weight: 0.5, value: ValueFunction::Table(t) },
//!         Term { weight: 0.5, value: ValueFunction::Table(u) },
//!     ] },
//!     ..Default::default()
//! };
//! let options = |n: usize| (0..n).map(|k| k.to_string()).collect::<Vec<_>>();
//! let scenario = Scenario {
//!     name: "logroll".into(),
//!     space: OutcomeSpace::new(vec![Issue::discrete("a", options(3)), Issue::discrete("b", options(3))]),
//!     parties: vec![
//!         Party { name: "x".into(), ufun: ufun(vec![0.0, 0.5, 1.0], vec![0.4, 0.2, 0.0]) },
//!         Party { name: "y".into(), ufun: ufun(vec![0.4, 0.2, 0.0], vec![0.0, 0.5, 1.0]) },
//!     ],
//! };
//! let config = MediationConfig { steps: 200, seed: 1 };
//! let session = Session::new(&scenario, Semantics::Genius, config).unwrap();
//! let mut mediator = strategies::create("sweep").unwrap();
//! let mut trace = Trace::default();
//! let result = session.run(mediator.as_mut(), &mut trace);
//! // Each side concedes the issue it cares less about: welfare 0.5 + 0.5.
//! assert_eq!(result.agreement, Some(vec![2, 2]));
//! assert_eq!(result.utilities, vec![0.5, 0.5]);
//! ```

#![deny(missing_docs)]

pub mod party;
pub mod session;
pub mod strategies;
pub mod trace;

pub use party::{OwnModel, Party, Query, Truthful, Vote, Voter};
pub use session::{EndReason, MediationConfig, MediationResult, Mediator, Session, Table};
pub use strategies::{Annealing, HillClimb, RandomVeto, Sweep, DEFAULT_MEDIATOR, MEDIATORS};
pub use trace::{Audience, Event, EventKind, Trace};

/// Why a mediation could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediationError {
    /// The name is not registered.
    #[error("unknown mediator {name:?} (available: {available})")]
    UnknownMediator {
        /// The name asked for.
        name: String,
        /// The registered names, comma-separated.
        available: String,
    },
    /// Mediation needs at least two parties.
    #[error("mediation needs at least two parties, got {0}")]
    TooFewParties(usize),
    /// Some issue has no options, so there is no text to hold.
    #[error("the outcome space is empty")]
    EmptySpace,
}
