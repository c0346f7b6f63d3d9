//! The built-in mediators and their registry.
//!
//! | name | proposals | votes | stops |
//! |---|---|---|---|
//! | `random-veto` | a uniformly random outcome | strict comparison (T = 0) | at the budget |
//! | `hill-climb` | an untried single-issue change of the text | strict comparison | at a local optimum |
//! | `annealing` | a random single-issue change | annealers at a cooling T | at the budget |
//! | `sweep` (default) | every single-issue change, in shuffled sweeps | annealers, then T = 0 | at the budget |
//!
//! Temperatures are in utility units and assume utilities of order 1 (what
//! NegMAS's normalisation and GENIUS's profiles give).

use pactum_negotiate::Rng;

use crate::session::{Mediator, Table};
use crate::MediationError;

/// The registered names, the default first.
pub const MEDIATORS: &[&str] = &["sweep", "annealing", "hill-climb", "random-veto"];

/// The mediator `pactum mediate` uses when none is named: the best one.
pub const DEFAULT_MEDIATOR: &str = "sweep";

/// A fresh mediator by name.
pub fn create(name: &str) -> Result<Box<dyn Mediator>, MediationError> {
    Ok(match name {
        "random-veto" => Box::new(RandomVeto),
        "hill-climb" => Box::new(HillClimb),
        "annealing" => Box::new(Annealing::default()),
        "sweep" => Box::new(Sweep::default()),
        _ => {
            return Err(MediationError::UnknownMediator {
                name: name.to_string(),
                available: MEDIATORS.join(", "),
            })
        }
    })
}

fn random_text(rng: &mut Rng, radices: &[u32], out: &mut [u32]) {
    for (o, &r) in out.iter_mut().zip(radices) {
        *o = rng.below(u64::from(r)) as u32;
    }
}

/// NegMAS's `VetoSTMechanism`: every step proposes a uniformly random
/// outcome, adopted only if every party strictly prefers it to the current
/// text. There is no opening text: until a first proposal is adopted, each
/// party compares with its reservation value, as NegMAS compares with "no
/// outcome". Adopted texts are therefore strict Pareto improvements, and the
/// walk stops improving once few random outcomes dominate the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomVeto;

impl Mediator for RandomVeto {
    fn mediate(&mut self, table: &mut Table<'_>) {
        let radices = table.radices().to_vec();
        let mut proposal = vec![0; radices.len()];
        loop {
            random_text(table.rng(), &radices, &mut proposal);
            if table.poll(&proposal, 0.0).is_none() {
                break;
            }
        }
    }
}

/// Every single-issue change of `text` as `(issue, option)`, into `out`.
fn neighbours(text: &[u32], radices: &[u32], out: &mut Vec<(u32, u32)>) {
    out.clear();
    for (i, (&k, &r)) in text.iter().zip(radices).enumerate() {
        out.extend((0..r).filter(|&o| o != k).map(|o| (i as u32, o)));
    }
}

/// NegMAS's `HillClimbingSTMechanism`: opens with a random outcome; each
/// step proposes a not-yet-tried neighbour of the text (the text with one
/// issue changed to another option), drawn at random; a unanimous strict
/// improvement is adopted and the neighbourhood is rebuilt around it. When
/// every neighbour has been rejected the text is a local optimum and the
/// mediator stops, usually long before the budget: what NegMAS does.
///
/// Two details differ from NegMAS and are deliberate: every option of an
/// integer issue is a neighbour (NegMAS steps ±1 there, but its bound is
/// off by one), and neighbours are drawn uniformly (NegMAS's
/// `randint(0, n) - 1` favours the last one).
#[derive(Debug, Clone, Copy, Default)]
pub struct HillClimb;

impl Mediator for HillClimb {
    fn mediate(&mut self, table: &mut Table<'_>) {
        let radices = table.radices().to_vec();
        let mut text = vec![0; radices.len()];
        random_text(table.rng(), &radices, &mut text);
        table.open(&text);
        let mut pool = Vec::new();
        neighbours(&text, &radices, &mut pool);
        let mut proposal = text.clone();
        while !pool.is_empty() {
            let j = table.rng().below(pool.len() as u64) as usize;
            let (i, k) = pool.swap_remove(j);
            proposal.copy_from_slice(&text);
            proposal[i as usize] = k;
            match table.poll(&proposal, 0.0) {
                None => break,
                Some(true) => {
                    text.copy_from_slice(&proposal);
                    neighbours(&text, &radices, &mut pool);
                }
                Some(false) => {}
            }
        }
    }
}

/// Geometric cooling from `hot` at `x = 0` to `cold` at `x = 1`.
fn cooling(hot: f64, cold: f64, x: f64) -> f64 {
    hot * (cold / hot).powf(x.clamp(0.0, 1.0))
}

/// Simulated annealing as in Klein, Faratin, Sayama and Bar-Yam (2003),
/// "Negotiating complex contracts": the mediator opens with a random text
/// and each step proposes a random mutation of it (one random issue set to
/// another random option); it announces a temperature, every party votes as
/// an annealer (see [`crate::Truthful`]), and the mutation is adopted iff all
/// accept. The temperature cools geometrically from `hot` to `cold` over
/// the budget. Unanimous Metropolis votes make the walk sample
/// `exp(welfare/T)`, so it can cross valleys that strict voting cannot:
/// a party accepts a small loss that buys others a larger gain.
#[derive(Debug, Clone, Copy)]
pub struct Annealing {
    /// Temperature of the first proposal.
    pub hot: f64,
    /// Temperature of the last proposal.
    pub cold: f64,
}

impl Default for Annealing {
    fn default() -> Self {
        Annealing {
            hot: 0.3,
            cold: 0.003,
        }
    }
}

impl Mediator for Annealing {
    fn mediate(&mut self, table: &mut Table<'_>) {
        let radices = table.radices().to_vec();
        let movable: Vec<usize> = (0..radices.len()).filter(|&i| radices[i] > 1).collect();
        let mut proposal = vec![0; radices.len()];
        random_text(table.rng(), &radices, &mut proposal);
        table.open(&proposal);
        if movable.is_empty() {
            return;
        }
        let budget = table.budget();
        let span = f64::from(budget.saturating_sub(1).max(1));
        while table.remaining() > 0 {
            let t = cooling(self.hot, self.cold, f64::from(table.proposals()) / span);
            let rng = table.rng();
            let i = movable[rng.below(movable.len() as u64) as usize];
            let mut k = rng.below(u64::from(radices[i] - 1)) as u32;
            if let Some(text) = table.current() {
                proposal.copy_from_slice(text);
            }
            if k >= proposal[i] {
                k += 1;
            }
            proposal[i] = k;
            table.poll(&proposal, t);
        }
    }
}

/// pactum's own mediator, the default.
///
/// Ideas, each measured on the ANAC 3-party scenarios (BENCHMARKS.md):
///
/// 1. **Systematic sweeps instead of random mutations.** Each sweep proposes
///    every single-issue change of the text once, in a freshly shuffled
///    order, with the parties voting as annealers (see [`crate::Truthful`])
///    at the announced temperature.
/// 2. **Read the answer off the walk, not its last step.** Unanimous
///    Metropolis votes make the text a sample of `exp(welfare/T)`. When
///    every ufun is additive, welfare is a sum over issues, so that
///    distribution factorises by issue and each issue's most visited option
///    is its welfare-maximising option *at every temperature*: the mode can
///    be read at a temperature where the walk still mixes well (default: a
///    constant 0.1 over 95% of the budget), long before the temperature is
///    low enough for the last text itself to be reliable. That is
///    annealing's weakness: a change that costs one party much and gains
///    the others a little more freezes out early, so annealing ends wherever
///    it froze. The mediator counts, per issue and option, the proposals
///    the text spent there (after a burn-in of `count_from`), then proposes
///    only changes *towards* that mode, at the high temperature `pull`, so
///    they are accepted quickly and nothing moves away again. With
///    `stages > 1` this repeats at temperatures from `hot` to `cold`, each
///    stage starting from the last mode (measured: no better, since each
///    stage has fewer samples).
/// 3. **Polish.** At temperature 0, sweeps until a whole sweep adopts
///    nothing, then pair moves (two issues changed at once: a logroll, where
///    each party gives way on what it cares less about, can be a Pareto
///    improvement no single change is) until the budget is spent. With
///    fewer than two issues to change there are no pair moves, and the
///    mediator stops at the end of the polish, before the budget.
///
/// With nonlinear (hyper-rectangle) ufuns the per-issue mode is a
/// heuristic, not a theorem; the polish still only makes Pareto improvements.
#[derive(Debug, Clone, Copy)]
pub struct Sweep {
    /// Temperature of the first stage.
    pub hot: f64,
    /// Temperature of the last stage (geometric steps in between).
    pub cold: f64,
    /// Number of annealing stages, each followed by a pull to its mode.
    pub stages: u32,
    /// Share of the budget spent annealing.
    pub anneal: f64,
    /// Share of each stage after which visits are counted (burn-in).
    pub count_from: f64,
    /// Temperature of the moves towards the mode: high, because they only
    /// ever move the text towards it.
    pub pull: f64,
}

impl Default for Sweep {
    fn default() -> Self {
        Sweep {
            hot: 0.1,
            cold: 0.05,
            stages: 1,
            anneal: 0.95,
            count_from: 0.05,
            pull: 1.0,
        }
    }
}

fn shuffle(rng: &mut Rng, v: &mut [(u32, u32)]) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

/// Changes two distinct random issues of the current text to other options.
fn pair_move(table: &mut Table<'_>, radices: &[u32], movable: &[usize], proposal: &mut [u32]) {
    let rng = table.rng();
    let len = movable.len() as u64;
    let a = movable[rng.below(len) as usize];
    let mut b = movable[rng.below(len - 1) as usize];
    if b == a {
        b = movable[movable.len() - 1];
    }
    let ka = rng.below(u64::from(radices[a] - 1)) as u32;
    let kb = rng.below(u64::from(radices[b] - 1)) as u32;
    proposal.copy_from_slice(table.current().expect("opened"));
    proposal[a] = if ka >= proposal[a] { ka + 1 } else { ka };
    proposal[b] = if kb >= proposal[b] { kb + 1 } else { kb };
}

/// Where visits are counted: per issue, the offset of its options in `visits`.
struct Visits<'a> {
    from: f64,
    offset: &'a [usize],
    visits: &'a mut [u64],
}

/// One sweep at temperature `t`: every single-issue change of the text
/// once, in a fresh order, stopping when `stop` proposals have been made.
/// Counts the text's options after every proposal past `count.from`.
/// Returns the adoptions, or `None` once the budget is spent.
fn sweep_once(
    table: &mut Table<'_>,
    moves: &mut [(u32, u32)],
    proposal: &mut [u32],
    t: f64,
    stop: f64,
    mut count: Option<&mut Visits<'_>>,
) -> Option<u32> {
    shuffle(table.rng(), moves);
    let mut adopted = 0;
    for &(i, k) in moves.iter() {
        if f64::from(table.proposals()) >= stop {
            break;
        }
        let text = table.current().expect("opened");
        if text[i as usize] == k {
            continue;
        }
        proposal.copy_from_slice(text);
        proposal[i as usize] = k;
        adopted += u32::from(table.poll(proposal, t)?);
        if let Some(c) = count.as_deref_mut() {
            if f64::from(table.proposals()) > c.from {
                let text = table.current().expect("opened");
                for (j, &o) in text.iter().enumerate() {
                    c.visits[c.offset[j] + o as usize] += 1;
                }
            }
        }
    }
    Some(adopted)
}

impl Mediator for Sweep {
    fn mediate(&mut self, table: &mut Table<'_>) {
        // `None`: the budget ran out, which ends the mediation anywhere.
        let _ = self.run(table);
    }
}

impl Sweep {
    fn run(&self, table: &mut Table<'_>) -> Option<()> {
        let radices = table.radices().to_vec();
        let n = radices.len();
        let mut proposal = vec![0; n];
        random_text(table.rng(), &radices, &mut proposal);
        table.open(&proposal);
        let movable: Vec<usize> = (0..n).filter(|&i| radices[i] > 1).collect();
        if movable.is_empty() {
            return Some(());
        }
        let mut moves: Vec<(u32, u32)> = Vec::new();
        let mut offset = Vec::with_capacity(n);
        for (i, &r) in radices.iter().enumerate() {
            offset.push(moves.len());
            moves.extend((0..r).map(|k| (i as u32, k)));
        }
        let mut visits = vec![0u64; moves.len()];
        let mut mode = vec![0u32; n];
        let anneal = f64::from(table.budget()) * self.anneal;
        let stages = self.stages.max(1);
        for stage in 0..stages {
            let t = if stages == 1 {
                self.hot
            } else {
                cooling(
                    self.hot,
                    self.cold,
                    f64::from(stage) / f64::from(stages - 1),
                )
            };
            let begin = f64::from(table.proposals());
            let end = anneal * f64::from(stage + 1) / f64::from(stages);
            visits.fill(0);
            let mut count = Visits {
                from: begin + (end - begin) * self.count_from,
                offset: &offset,
                visits: &mut visits,
            };
            while f64::from(table.proposals()) < end {
                sweep_once(table, &mut moves, &mut proposal, t, end, Some(&mut count))?;
            }
            if visits.iter().all(|&c| c == 0) {
                continue;
            }
            // The mode of the walk, issue by issue (ties: the lower option).
            for (i, m) in mode.iter_mut().enumerate() {
                let v = &visits[offset[i]..offset[i] + radices[i] as usize];
                let best = v.iter().copied().max().unwrap_or(0);
                *m = v.iter().position(|&c| c == best).unwrap_or(0) as u32;
            }
            // Pull the text there, one issue at a time, until it is there.
            while let Some(i) = (0..n).find(|&i| table.current().expect("opened")[i] != mode[i]) {
                for j in i..n {
                    let text = table.current().expect("opened");
                    if text[j] == mode[j] {
                        continue;
                    }
                    proposal.copy_from_slice(text);
                    proposal[j] = mode[j];
                    table.poll(&proposal, self.pull)?;
                }
            }
        }
        while sweep_once(table, &mut moves, &mut proposal, 0.0, f64::INFINITY, None)? > 0 {}
        if movable.len() < 2 {
            return Some(());
        }
        while table.remaining() > 0 {
            pair_move(table, &radices, &movable, &mut proposal);
            table.poll(&proposal, 0.0)?;
        }
        Some(())
    }
}
