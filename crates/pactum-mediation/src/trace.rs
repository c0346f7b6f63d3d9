//! The record of a mediation, with who saw what.
//!
//! Shuttle consultation means every exchange between the mediator and a
//! party happens on a private channel; only the opening text, adoptions and
//! the end are announced to everyone. Each [`Event`] therefore carries its
//! [`Audience`], and [`Trace::view_of`] yields exactly what one party saw.
//! Texts are kept in one flat arena, so recording does not allocate per
//! event beyond the arena's amortised growth.

use crate::party::Vote;

/// Who saw an event (the mediator sees everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Announced to every party.
    All,
    /// The mediator and this party only (a private channel).
    Party(usize),
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventKind {
    /// The mediator put down an opening text (no vote).
    Opened,
    /// The mediator showed a proposal to one party, which answered.
    Consulted {
        /// The party consulted.
        party: usize,
        /// The temperature announced with the proposal.
        temperature: f64,
        /// Its answer.
        vote: Vote,
    },
    /// The proposal became the current text.
    Adopted,
    /// At the end, one party said whether it accepts the final text as an agreement.
    Ratified {
        /// The party asked.
        party: usize,
        /// Its answer.
        accepted: bool,
    },
}

/// One entry of the trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// The proposal it belongs to (1-based; 0 before the first proposal;
    /// ratification carries the count of proposals made).
    pub proposal: u32,
    /// Who saw it.
    pub audience: Audience,
    /// What happened.
    pub kind: EventKind,
    /// Where its text (the opening, the proposal, the adopted or ratified
    /// text) starts in the arena.
    start: u32,
}

/// Every event of a mediation, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    issues: usize,
    texts: Vec<u32>,
    events: Vec<Event>,
}

impl Trace {
    /// An empty trace for texts of `issues` issues.
    pub fn new(issues: usize) -> Self {
        Trace {
            issues,
            texts: Vec::new(),
            events: Vec::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        proposal: u32,
        audience: Audience,
        kind: EventKind,
        text: &[u32],
    ) {
        debug_assert_eq!(text.len(), self.issues);
        let start = self.texts.len() as u32;
        self.texts.extend_from_slice(text);
        self.events.push(Event {
            proposal,
            audience,
            kind,
            start,
        });
    }

    /// Every event, as the mediator saw them.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The text an event is about.
    pub fn text(&self, e: &Event) -> &[u32] {
        let s = e.start as usize;
        &self.texts[s..s + self.issues]
    }

    /// What `party` saw: announcements and its own channel, nothing of any
    /// other party's exchanges.
    pub fn view_of(&self, party: usize) -> impl Iterator<Item = &Event> + '_ {
        self.events.iter().filter(move |e| match e.audience {
            Audience::All => true,
            Audience::Party(p) => p == party,
        })
    }

    /// The texts adopted (the opening text first, if any), in order: the
    /// path the single negotiating text took.
    pub fn adopted_texts(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Opened | EventKind::Adopted))
            .map(|e| self.text(e))
    }
}
