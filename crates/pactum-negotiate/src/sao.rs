//! The stacked alternating offers protocol (NegMAS's `SAOMechanism` with its
//! defaults; `SEMANTICS.md` §2).

use std::time::{Duration, Instant};

use crate::negotiator::{Context, Negotiator, Response};
use crate::prepared::{OutcomeId, PreparedScenario};
use crate::rng::Rng;
use crate::NegotiationError;

/// Limits and seed of one negotiation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaoConfig {
    /// The step (round) limit N: at most N rounds, each calling every
    /// negotiator once.
    pub steps: Option<u32>,
    /// A wall-time limit. Runs with one are no longer reproducible, since
    /// where the clock stops depends on the machine.
    pub time_limit: Option<Duration>,
    /// Seeds every stochastic strategy (each seat gets its own stream).
    pub seed: u64,
}

impl Default for SaoConfig {
    fn default() -> Self {
        SaoConfig {
            steps: Some(100),
            time_limit: None,
            seed: 0,
        }
    }
}

/// Why a negotiation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// Everyone accepted one offer.
    Agreement,
    /// The step or time limit was reached.
    TimedOut,
    /// A negotiator walked away or had nothing to propose.
    Broken,
}

impl EndReason {
    /// The name NegMAS's harness writes in its `end` column.
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Agreement => "agreement",
            EndReason::TimedOut => "timedout",
            EndReason::Broken => "broken",
        }
    }
}

/// The result of a negotiation.
#[derive(Debug, Clone, PartialEq)]
pub struct NegotiationResult {
    /// The agreed outcome, if any.
    pub agreement: Option<OutcomeId>,
    /// Per seat: the undiscounted utility of the agreement, or without one
    /// the reserved value the rules use (−∞ for NegMAS's discounted ufuns),
    /// as NegMAS's tournament harness reports them.
    pub utilities: Vec<f64>,
    /// Rounds started: `k + 1` for an agreement (or a break) in round `k`,
    /// the step limit for a timeout.
    pub steps: u32,
    /// Why it ended.
    pub end: EndReason,
}

/// What a negotiator did in one call, as observers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// It proposed the offer (and, by SAO's rule, accepts it).
    Offer,
    /// It accepted the standing offer.
    Accept,
    /// It rejected the standing offer (an `Offer` follows unless it broke off).
    Reject,
    /// It walked away, or had nothing to propose.
    End,
}

/// One action in a negotiation.
#[derive(Debug, Clone, Copy)]
pub struct Action<'a> {
    /// The round.
    pub step: u32,
    /// Who acted.
    pub seat: usize,
    /// What it did.
    pub kind: ActionKind,
    /// The offer concerned (`None` only for `End` with no standing offer).
    pub offer: Option<OutcomeId>,
    /// Every seat's undiscounted utility of `offer` (empty without one).
    pub utilities: &'a [f64],
}

/// Watches a negotiation: traces, metrics, progress. Every hook has a no-op
/// default; `()` observes nothing.
pub trait Observer {
    /// Called for every action, in order.
    fn on_action(&mut self, _action: &Action<'_>) {}
    /// Called once at the end.
    fn on_end(&mut self, _result: &NegotiationResult) {}
}

impl Observer for () {}

/// One line of a [`Trace`].
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    /// The round.
    pub step: u32,
    /// Who acted.
    pub seat: usize,
    /// What it did.
    pub kind: ActionKind,
    /// The offer concerned.
    pub offer: Option<OutcomeId>,
    /// Every seat's undiscounted utility of the offer.
    pub utilities: Vec<f64>,
}

/// An observer that records every action and the result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The actions, in order.
    pub entries: Vec<TraceEntry>,
    /// The result, once the negotiation has ended.
    pub result: Option<NegotiationResult>,
}

impl Observer for Trace {
    fn on_action(&mut self, a: &Action<'_>) {
        self.entries.push(TraceEntry {
            step: a.step,
            seat: a.seat,
            kind: a.kind,
            offer: a.offer,
            utilities: a.utilities.to_vec(),
        });
    }
    fn on_end(&mut self, result: &NegotiationResult) {
        self.result = Some(result.clone());
    }
}

/// One seat at the table: which party's preferences, played by whom.
pub struct Seat {
    /// Index of the party in [`PreparedScenario::parties`].
    pub party: usize,
    /// The strategy.
    pub negotiator: Box<dyn Negotiator>,
}

impl Seat {
    /// Party `party` played by `negotiator`.
    pub fn new(party: usize, negotiator: Box<dyn Negotiator>) -> Self {
        Seat { party, negotiator }
    }
}

/// One SAO negotiation, ready to run.
pub struct Session<'s> {
    scenario: &'s PreparedScenario,
    seats: Vec<Seat>,
    config: SaoConfig,
}

impl<'s> Session<'s> {
    /// Checks the seating and limits. At least two seats; every party index
    /// must exist; at least one limit must be set.
    pub fn new(
        scenario: &'s PreparedScenario,
        seats: Vec<Seat>,
        config: SaoConfig,
    ) -> Result<Self, NegotiationError> {
        if seats.len() < 2 {
            return Err(NegotiationError::TooFewSeats(seats.len()));
        }
        if let Some(s) = seats.iter().find(|s| s.party >= scenario.parties.len()) {
            return Err(NegotiationError::NoSuchParty {
                party: s.party,
                parties: scenario.parties.len(),
            });
        }
        if config.steps.is_none() && config.time_limit.is_none() {
            return Err(NegotiationError::NoLimit);
        }
        Ok(Session {
            scenario,
            seats,
            config,
        })
    }

    /// Runs the negotiation to its end, telling `observer` everything.
    pub fn run(mut self, observer: &mut impl Observer) -> NegotiationResult {
        let n = self.seats.len();
        let sc = self.scenario;
        let ufuns: Vec<&crate::PreparedUfun> =
            self.seats.iter().map(|s| &*sc.parties[s.party]).collect();
        let mut rngs: Vec<Rng> = (0..n).map(|i| Rng::for_seat(self.config.seed, i)).collect();
        let steps = self.config.steps;
        let started = self.config.time_limit.map(|l| (Instant::now(), l));
        let time_at = |step: u32| -> f64 {
            let mut t = match steps {
                Some(s) => f64::from(step + 1) / (f64::from(s) + 1.0),
                None => 0.0,
            };
            if let Some((t0, limit)) = started {
                t = t.max(t0.elapsed().as_secs_f64() / limit.as_secs_f64());
            }
            t
        };
        let mut utils = vec![0.0; n];
        let fill = |utils: &mut Vec<f64>, o: OutcomeId| {
            for (slot, u) in utils.iter_mut().zip(&ufuns) {
                *slot = u.utility(o);
            }
        };
        for (seat, s) in self.seats.iter_mut().enumerate() {
            let mut ctx = Context {
                step: 0,
                time: time_at(0),
                offer: None,
                seat,
                parties: n,
                steps,
                ufun: ufuns[seat],
                rng: &mut rngs[seat],
            };
            s.negotiator.start(&mut ctx);
        }
        let mut standing: Option<OutcomeId> = None;
        let mut accepted = 0usize;
        let mut step: u32 = 0;
        let (agreement, end, final_step) = 'outer: loop {
            if steps.is_some_and(|s| step >= s) || started.is_some_and(|(t0, l)| t0.elapsed() >= l)
            {
                break (None, EndReason::TimedOut, step);
            }
            let time = time_at(step);
            for seat in 0..n {
                let mut ctx = Context {
                    step,
                    time,
                    offer: standing,
                    seat,
                    parties: n,
                    steps,
                    ufun: ufuns[seat],
                    rng: &mut rngs[seat],
                };
                let neg = &mut self.seats[seat].negotiator;
                if let Some(o) = standing {
                    match neg.respond(&mut ctx, o) {
                        Response::Accept => {
                            accepted += 1;
                            fill(&mut utils, o);
                            observer.on_action(&Action {
                                step,
                                seat,
                                kind: ActionKind::Accept,
                                offer: Some(o),
                                utilities: &utils,
                            });
                            if accepted >= n {
                                break 'outer (Some(o), EndReason::Agreement, step + 1);
                            }
                            continue;
                        }
                        Response::End => {
                            fill(&mut utils, o);
                            observer.on_action(&Action {
                                step,
                                seat,
                                kind: ActionKind::End,
                                offer: Some(o),
                                utilities: &utils,
                            });
                            break 'outer (None, EndReason::Broken, step + 1);
                        }
                        Response::Reject => {
                            fill(&mut utils, o);
                            observer.on_action(&Action {
                                step,
                                seat,
                                kind: ActionKind::Reject,
                                offer: Some(o),
                                utilities: &utils,
                            });
                        }
                    }
                }
                match neg.propose(&mut ctx) {
                    Some(p) => {
                        standing = Some(p);
                        accepted = 1;
                        fill(&mut utils, p);
                        observer.on_action(&Action {
                            step,
                            seat,
                            kind: ActionKind::Offer,
                            offer: Some(p),
                            utilities: &utils,
                        });
                    }
                    None => {
                        observer.on_action(&Action {
                            step,
                            seat,
                            kind: ActionKind::End,
                            offer: None,
                            utilities: &[],
                        });
                        break 'outer (None, EndReason::Broken, step + 1);
                    }
                }
            }
            step += 1;
        };
        let utilities = ufuns
            .iter()
            .map(|u| match agreement {
                Some(o) => u.utility(o),
                None => u.reserved_value(),
            })
            .collect();
        let result = NegotiationResult {
            agreement,
            utilities,
            steps: final_step,
            end,
        };
        observer.on_end(&result);
        result
    }
}
