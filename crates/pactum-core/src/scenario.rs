//! A scenario: an outcome space plus one utility function per party.

use crate::outcome::OutcomeSpace;
use crate::ufun::UtilityFunction;

/// One side of the negotiation, as far as analysis is concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    /// Where the party's preferences came from (a profile's file name).
    pub name: String,
    /// The party's valuation of outcomes.
    pub ufun: UtilityFunction,
}

/// An outcome space plus one ufun per party.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's name (usually its folder).
    pub name: String,
    /// The outcomes.
    pub space: OutcomeSpace,
    /// The parties, in seat order.
    pub parties: Vec<Party>,
}
