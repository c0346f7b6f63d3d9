//! The protocol: a mediator, a table of parties, a budget of proposals.

use pactum_core::analysis::reservation_used;
use pactum_core::{OutcomeSpace, Scenario, Semantics};
use pactum_negotiate::Rng;

use crate::party::{OwnModel, Party, Query, Vote};
use crate::trace::{Audience, EventKind, Trace};
use crate::MediationError;

/// A mediation strategy: it decides what to propose, with which announced
/// temperature, and when to stop. It reaches the parties only through the
/// [`Table`], which is where the protocol's rules (budget, private channels,
/// unanimity, the trace) are enforced, so a strategy cannot break them.
pub trait Mediator: Send {
    /// Runs the mediation until the budget is spent or the strategy stops.
    fn mediate(&mut self, table: &mut Table<'_>);
}

/// What the mediator can do, and all it can learn: the outcome space's
/// shape, the current text, the votes on its proposals, and its own random
/// stream.
pub struct Table<'a> {
    parties: &'a mut [Party],
    radices: Vec<u32>,
    current: Option<Vec<u32>>,
    budget: u32,
    proposals: u32,
    consultations: u64,
    adoptions: u32,
    rng: Rng,
    trace: &'a mut Trace,
}

impl Table<'_> {
    /// Options per issue.
    pub fn radices(&self) -> &[u32] {
        &self.radices
    }

    /// Number of parties.
    pub fn parties(&self) -> usize {
        self.parties.len()
    }

    /// The current text (`None` until one is opened or adopted).
    pub fn current(&self) -> Option<&[u32]> {
        self.current.as_deref()
    }

    /// The budget of proposals.
    pub fn budget(&self) -> u32 {
        self.budget
    }

    /// Proposals made so far.
    pub fn proposals(&self) -> u32 {
        self.proposals
    }

    /// Proposals still allowed.
    pub fn remaining(&self) -> u32 {
        self.budget - self.proposals
    }

    /// The mediator's own random stream (independent of the parties').
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Puts down an opening text without a vote, announced to all (as
    /// NegMAS's hill climber starts from a random outcome). Only allowed
    /// while there is no text: once there is one, the text changes only by
    /// unanimous adoption.
    ///
    /// # Panics
    /// If there already is a text or `text` is not an outcome of the space
    /// (a bug in the strategy, not bad input).
    pub fn open(&mut self, text: &[u32]) {
        assert!(self.current.is_none(), "the text is already open");
        self.check(text);
        self.trace
            .push(self.proposals, Audience::All, EventKind::Opened, text);
        self.current = Some(text.to_vec());
    }

    /// Proposes `proposal` at the announced `temperature` and consults the
    /// parties one at a time, each on its own channel, stopping at the first
    /// rejection (the text changes only by unanimity, so later answers could
    /// not change the decision; every consultation is counted). Adopts the
    /// proposal when all accept and announces it. Returns whether it was
    /// adopted, or `None` once the budget is spent (nothing is proposed then).
    ///
    /// # Panics
    /// If `proposal` is not an outcome of the space (a bug in the strategy).
    pub fn poll(&mut self, proposal: &[u32], temperature: f64) -> Option<bool> {
        self.consult(proposal, temperature, None)
    }

    /// As [`Table::poll`], but every party is consulted, even after a
    /// rejection, and its vote written to `votes[i]` (one slot per party).
    /// The decision is the same; the mediator learns each party's answer,
    /// still on private channels, so what it learns about a party is what
    /// that party's votes say and nothing more. (With annealer votes, a
    /// party's acceptance frequency for a change that costs it `Δu` is
    /// `exp(Δu/T)`: a mediator that asks often enough learns `Δu`
    /// statistically. [`Table::poll`] reveals the same about the first party
    /// to reject, only with fewer samples.)
    ///
    /// # Panics
    /// If `proposal` is not an outcome of the space or `votes` has not one
    /// slot per party (bugs in the strategy).
    pub fn poll_each(
        &mut self,
        proposal: &[u32],
        temperature: f64,
        votes: &mut [Vote],
    ) -> Option<bool> {
        assert_eq!(votes.len(), self.parties.len(), "one vote slot per party");
        self.consult(proposal, temperature, Some(votes))
    }

    fn consult(
        &mut self,
        proposal: &[u32],
        temperature: f64,
        mut votes: Option<&mut [Vote]>,
    ) -> Option<bool> {
        if self.proposals >= self.budget {
            return None;
        }
        self.check(proposal);
        self.proposals += 1;
        let n = self.proposals;
        let mut all = true;
        for (i, party) in self.parties.iter_mut().enumerate() {
            let vote = party.answer(&Query {
                proposal,
                current: self.current.as_deref(),
                temperature,
            });
            self.consultations += 1;
            self.trace.push(
                n,
                Audience::Party(i),
                EventKind::Consulted {
                    party: i,
                    temperature,
                    vote,
                },
                proposal,
            );
            all &= vote.accepted();
            match votes.as_deref_mut() {
                Some(v) => v[i] = vote,
                None if !all => break,
                None => {}
            }
        }
        if all {
            match &mut self.current {
                Some(c) => c.copy_from_slice(proposal),
                None => self.current = Some(proposal.to_vec()),
            }
            self.adoptions += 1;
            self.trace
                .push(n, Audience::All, EventKind::Adopted, proposal);
        }
        Some(all)
    }

    fn check(&self, text: &[u32]) {
        assert!(
            text.len() == self.radices.len() && text.iter().zip(&self.radices).all(|(k, r)| k < r),
            "not an outcome of the space: {text:?}"
        );
    }
}

/// Budget and seed of a mediation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediationConfig {
    /// The most proposals the mediator may make.
    pub steps: u32,
    /// Seeds the mediator's stream and every party's.
    pub seed: u64,
}

/// Why the mediation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Every proposal of the budget was made.
    BudgetSpent,
    /// The strategy stopped early by its own rule (the hill climber at a local optimum).
    Stopped,
}

impl EndReason {
    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            EndReason::BudgetSpent => "budget",
            EndReason::Stopped => "stopped",
        }
    }
}

/// The result of a mediation.
#[derive(Debug, Clone, PartialEq)]
pub struct MediationResult {
    /// The text standing at the end (NegMAS's agreement), if any was adopted.
    pub final_text: Option<Vec<u32>>,
    /// The final text if every party ratified it (valued it at least at its
    /// reservation value), else `None`.
    pub agreement: Option<Vec<u32>>,
    /// Each party's utility of the agreement; with no agreement, its
    /// reservation value (what it gets from none).
    pub utilities: Vec<f64>,
    /// Each party's utility of the final text, if there is one (ratified or not).
    pub text_utilities: Option<Vec<f64>>,
    /// Proposals made.
    pub proposals: u32,
    /// Private consultations (one per party asked about a proposal).
    pub consultations: u64,
    /// Proposals adopted (not counting an opening text).
    pub adoptions: u32,
    /// Why it ended.
    pub end: EndReason,
}

/// A mediation set up and ready to run.
pub struct Session {
    space: OutcomeSpace,
    parties: Vec<Party>,
    config: MediationConfig,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("parties", &self.parties.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Truthful parties for every party of `scenario`, with the reservation
    /// values `semantics` uses (NegMAS: −∞ for discounted ufuns).
    ///
    /// Discounting does not apply: every comparison is between two texts at
    /// the same moment, so a common factor `d^t` cannot change a vote.
    /// (NegMAS multiplies both sides by `d^step`, which underflows to 0
    /// after a few hundred steps at `d = 0.1` and then rejects everything;
    /// that artefact is not reproduced.)
    pub fn new(
        scenario: &Scenario,
        semantics: Semantics,
        config: MediationConfig,
    ) -> Result<Self, MediationError> {
        let reserved = reservation_used(scenario, semantics);
        let parties = scenario
            .parties
            .iter()
            .zip(reserved)
            .enumerate()
            .map(|(i, (p, r))| {
                Party::truthful(OwnModel::new(&p.ufun, &scenario.space, r), config.seed, i)
            })
            .collect();
        Session::with_parties(scenario.space.clone(), parties, config)
    }

    /// A session with parties built by the caller (other voters, other models).
    pub fn with_parties(
        space: OutcomeSpace,
        parties: Vec<Party>,
        config: MediationConfig,
    ) -> Result<Self, MediationError> {
        if parties.len() < 2 {
            return Err(MediationError::TooFewParties(parties.len()));
        }
        if space.radices().contains(&0) {
            return Err(MediationError::EmptySpace);
        }
        Ok(Session {
            space,
            parties,
            config,
        })
    }

    /// Runs `mediator`, recording into `trace`, then asks every party to
    /// ratify the final text.
    pub fn run(mut self, mediator: &mut dyn Mediator, trace: &mut Trace) -> MediationResult {
        *trace = Trace::new(self.space.issues.len());
        let mut table = Table {
            parties: &mut self.parties,
            radices: self.space.radices(),
            current: None,
            budget: self.config.steps,
            proposals: 0,
            consultations: 0,
            adoptions: 0,
            rng: Rng::new(self.config.seed),
            trace,
        };
        mediator.mediate(&mut table);
        let end = if table.proposals >= table.budget {
            EndReason::BudgetSpent
        } else {
            EndReason::Stopped
        };
        let (final_text, proposals, consultations, adoptions) = (
            table.current.take(),
            table.proposals,
            table.consultations,
            table.adoptions,
        );
        let mut agreement = None;
        if let Some(text) = &final_text {
            let mut all = true;
            for (i, p) in self.parties.iter_mut().enumerate() {
                let accepted = p.ratify(text);
                trace.push(
                    proposals,
                    Audience::Party(i),
                    EventKind::Ratified { party: i, accepted },
                    text,
                );
                all &= accepted;
            }
            if all {
                agreement = Some(text.clone());
            }
        }
        let utilities = self
            .parties
            .iter_mut()
            .map(|p| match &agreement {
                Some(t) => p.utility(t),
                None => p.reserved_value(),
            })
            .collect();
        let text_utilities = final_text
            .as_ref()
            .map(|t| self.parties.iter_mut().map(|p| p.utility(t)).collect());
        MediationResult {
            text_utilities,
            final_text,
            agreement,
            utilities,
            proposals,
            consultations,
            adoptions,
            end,
        }
    }
}
