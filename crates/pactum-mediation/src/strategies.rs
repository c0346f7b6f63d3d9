//! The built-in mediators and their registry.
//!
//! | name | proposals | votes | stops |
//! |---|---|---|---|
//! | `random-veto` | a uniformly random outcome | strict comparison (T = 0) | at the budget |
//! | `hill-climb` | an untried single-issue change of the text | strict comparison | at a local optimum |
//! | `annealing` | a random single-issue change | annealers at a cooling T | at the budget |
//! | `sweep` (default) | single-issue changes in shuffled sweeps, then among each issue's contenders | annealers, every party consulted; then T = 0 | at the budget |
//!
//! Temperatures are in utility units and assume utilities of order 1 (what
//! NegMAS's normalisation and GENIUS's profiles give).

use pactum_negotiate::Rng;

use std::collections::BTreeMap;

use crate::party::Vote;
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
///    at the announced `temperature`.
/// 2. **Every vote is a measurement.** The mediator consults every party on
///    every proposal ([`Table::poll_each`]) instead of stopping at the first
///    rejection. With additive utilities, changing issue `k` from option `a`
///    to `b` costs or gains party `i` an amount `Δ_i` that does not depend on
///    the rest of the text, and an annealer accepts it with probability
///    `min(1, exp(Δ_i/T))`. So per issue and ordered option pair the mediator
///    counts proposals and each party's acceptances: the direction in which a
///    party rejects gives `Δ_i ≈ T·ln(acceptance frequency)` (smoothed), the
///    other direction only its sign. Summing over parties gives the welfare
///    change `ΔW` of each pair with a variance; a weighted least-squares fit
///    of per-option scores to all pairs of an issue, and the argmax of each
///    issue, is the estimated welfare-maximising text. Counts are kept per
///    announced temperature and the estimates combined by inverse variance.
///    This replaced reading the walk's per-issue occupancy (the previous
///    design): every proposal is a measurement, not only where the text
///    happened to stand. What the mediator learns is what annealing votes
///    reveal statistically anyway (a party's acceptance rate at a known
///    temperature is its loss); it is never told a utility, and each party
///    is still consulted on its own channel.
/// 3. **Spend proposals where the order is uncertain.** After `explore` of
///    the budget of uniform sweeps, each sweep proposes only changes among
///    each issue's contenders (options within `contender_z` standard errors
///    of the estimated best, re-estimated every 50 proposals), so near-ties
///    get the samples; and each issue's temperature moves a factor √2
///    hotter or colder to keep its adoption rate within `adoption` (a loss
///    far above `T` is almost always rejected and its size lost; far below
///    `T` it is almost always accepted and lost in the noise).
/// 4. **Pull and polish.** After `sample` of the budget the text is pulled
///    to the estimate, one issue at a time, at the high temperature `pull`
///    (those moves are accepted quickly). Then, at temperature 0, sweeps
///    until a whole sweep adopts nothing, then pair moves (two issues changed
///    at once: a logroll, where each party gives way on what it cares less
///    about, can be a Pareto improvement no single change is) until the
///    budget is spent. With fewer than two issues to change there are no
///    pair moves, and the mediator stops at the end of the polish, before
///    the budget.
///
/// With nonlinear (hyper-rectangle) ufuns the per-issue estimate is a
/// heuristic, not a theorem; the polish still only makes Pareto improvements.
#[derive(Debug, Clone, Copy)]
pub struct Sweep {
    /// The announced temperature while sampling uniformly, and every
    /// issue's first temperature after that.
    pub temperature: f64,
    /// After the uniform sampling, an issue whose changes were adopted less
    /// often than `adoption.0` at its temperature (over at least 6 of them)
    /// is sampled √2 hotter, more often than `adoption.1` √2 colder.
    pub adoption: (f64, f64),
    /// Share of the budget spent sampling.
    pub sample: f64,
    /// Share of the budget sampled uniformly (every single-issue change in
    /// each sweep); after it, sweeps propose only changes among each issue's
    /// contenders.
    pub explore: f64,
    /// An option stays a contender while its estimated welfare is within
    /// this many standard errors of its issue's best.
    pub contender_z: f64,
    /// Temperature of the moves towards the estimate: high, because they
    /// only ever move the text towards it.
    pub pull: f64,
}

impl Default for Sweep {
    fn default() -> Self {
        Sweep {
            temperature: 0.1,
            adoption: (0.1, 0.4),
            sample: 0.97,
            explore: 0.3,
            contender_z: 1.5,
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

/// One sweep at temperature 0: every single-issue change of the text once,
/// in a fresh order. Returns the adoptions, or `None` once the budget is
/// spent.
fn strict_sweep(
    table: &mut Table<'_>,
    moves: &mut [(u32, u32)],
    proposal: &mut [u32],
) -> Option<u32> {
    shuffle(table.rng(), moves);
    let mut adopted = 0;
    for &(i, k) in moves.iter() {
        let text = table.current().expect("opened");
        if text[i as usize] == k {
            continue;
        }
        proposal.copy_from_slice(text);
        proposal[i as usize] = k;
        adopted += u32::from(table.poll(proposal, 0.0)?);
    }
    Some(adopted)
}

/// Every party's votes on one ordered single-issue change `a → b`.
#[derive(Debug, Clone)]
struct PairCounts {
    proposed: u32,
    /// Per party.
    accepted: Vec<u32>,
}

/// The estimated welfare change of `a → b` and its variance, from every
/// party's votes on `a → b` and `b → a` at temperature `t`; `None` if
/// neither was proposed.
fn pair_estimate(
    ab: Option<&PairCounts>,
    ba: Option<&PairCounts>,
    parties: usize,
    t: f64,
) -> Option<(f64, f64)> {
    let proposed = |c: Option<&PairCounts>| c.map_or(0, |c| c.proposed);
    let total = proposed(ab) + proposed(ba);
    if total == 0 {
        return None;
    }
    // One direction for party i: T·ln of the smoothed acceptance frequency
    // (its loss, if it ever rejected), the delta-method variance, and
    // whether it rejected at all.
    let side = |c: Option<&PairCounts>, i: usize| {
        let (n, s) = c.map_or((0, 0), |c| (c.proposed, c.accepted[i]));
        let p = (f64::from(s) + 0.5) / (f64::from(n) + 1.0);
        let var = t * t * (1.0 - p) / ((f64::from(n) + 1.0) * p);
        (t * p.ln(), var, s < n)
    };
    let (mut d, mut var) = (0.0, 0.0);
    for i in 0..parties {
        let (l1, v1, r1) = side(ab, i);
        let (l2, v2, r2) = side(ba, i);
        match (r1, r2) {
            (true, false) => {
                d += l1;
                var += v1;
            }
            (false, true) => {
                d -= l2;
                var += v2;
            }
            // Not a truthful annealer's answers; take both at face value.
            (true, true) => {
                d += l1 - l2;
                var += v1 + v2;
            }
            // Never rejected either way: no loss of order T/total either way.
            (false, false) => {
                let m = t / (f64::from(total) + 1.0);
                var += m * m;
            }
        }
    }
    Some((d, var))
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
        let parties = table.parties();
        let mut proposal = vec![0; n];
        random_text(table.rng(), &radices, &mut proposal);
        table.open(&proposal);
        let movable: Vec<usize> = (0..n).filter(|&i| radices[i] > 1).collect();
        if movable.is_empty() {
            return Some(());
        }
        let mut moves: Vec<(u32, u32)> = Vec::new();
        for (i, &r) in radices.iter().enumerate() {
            moves.extend((0..r).map(|k| (i as u32, k)));
        }
        // Per issue, keyed by (from, to): only proposed pairs are stored, so
        // memory is bounded by the budget whatever the options per issue.
        let mut counts: Vec<BTreeMap<(u32, u32, u32), PairCounts>> = vec![BTreeMap::new(); n];
        let mut level = vec![MIDDLE; n];
        let mut rates: BTreeMap<(usize, u32), (u32, u32)> = BTreeMap::new();
        let mut votes = vec![Vote::Reject; parties];
        let stop = f64::from(table.budget()) * self.sample;
        let explore = f64::from(table.budget()) * self.explore.min(self.sample);
        let z = self.contender_z;
        let mut focus = moves.clone();
        let mut refocus_at = explore;
        'sampling: loop {
            // Uniform sweeps first; then only changes among each issue's
            // contenders (options not clearly worse than its best).
            if f64::from(table.proposals()) >= explore {
                for &i in &movable {
                    if let Some(&(p, a)) = rates.get(&(i, level[i])) {
                        if p >= 6 {
                            let f = f64::from(a) / f64::from(p);
                            if f < self.adoption.0 && level[i] > 0 {
                                level[i] -= 1;
                            } else if f > self.adoption.1 && level[i] < 2 * MIDDLE {
                                level[i] += 1;
                            }
                        }
                    }
                }
            }
            // Re-estimating costs a least-squares fit per issue: done every
            // `REFOCUS` proposals, not every (short) sweep.
            if f64::from(table.proposals()) >= refocus_at {
                refocus_at = f64::from(table.proposals()) + REFOCUS;
                focus.clear();
                for &i in &movable {
                    let (_, contenders) = estimate(&counts[i], parties, self.temperature, z);
                    if contenders.len() > 1 {
                        focus.extend(contenders.iter().map(|&k| (i as u32, k)));
                    }
                }
                if focus.is_empty() {
                    focus.extend_from_slice(&moves);
                }
            }
            shuffle(table.rng(), &mut focus);
            for &(i, k) in focus.iter() {
                if f64::from(table.proposals()) >= stop {
                    break 'sampling;
                }
                let text = table.current().expect("opened");
                let a = text[i as usize];
                if a == k {
                    continue;
                }
                proposal.copy_from_slice(text);
                proposal[i as usize] = k;
                let l = level[i as usize];
                let adopted =
                    table.poll_each(&proposal, at_level(self.temperature, l), &mut votes)?;
                if f64::from(table.proposals()) > explore {
                    let r = rates.entry((i as usize, l)).or_default();
                    r.0 += 1;
                    r.1 += u32::from(adopted);
                }
                let c = counts[i as usize]
                    .entry((a, k, l))
                    .or_insert_with(|| PairCounts {
                        proposed: 0,
                        accepted: vec![0; parties],
                    });
                c.proposed += 1;
                for (acc, v) in c.accepted.iter_mut().zip(&votes) {
                    *acc += u32::from(v.accepted());
                }
            }
        }
        let mut target = table.current().expect("opened").to_vec();
        for &i in &movable {
            if let (Some(best), _) = estimate(&counts[i], parties, self.temperature, z) {
                target[i] = best;
            }
        }
        // Pull the text there, one issue at a time, until it is there.
        while let Some(i) = (0..n).find(|&i| table.current().expect("opened")[i] != target[i]) {
            for j in i..n {
                let text = table.current().expect("opened");
                if text[j] == target[j] {
                    continue;
                }
                proposal.copy_from_slice(text);
                proposal[j] = target[j];
                table.poll(&proposal, self.pull)?;
            }
        }
        while strict_sweep(table, &mut moves, &mut proposal)? > 0 {}
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

fn least_squares_scores(r: usize, edges: &[(usize, usize, f64, f64)]) -> Vec<f64> {
    let mut m = vec![vec![0.0; r + 1]; r];
    for (o, row) in m.iter_mut().enumerate() {
        row[o] = 1e-9;
    }
    for &(a, b, d, w) in edges {
        m[a][a] += w;
        m[b][b] += w;
        m[a][b] -= w;
        m[b][a] -= w;
        m[b][r] += w * d;
        m[a][r] -= w * d;
    }
    for c in 0..r {
        let p = (c..r)
            .max_by(|&x, &y| m[x][c].abs().total_cmp(&m[y][c].abs()))
            .unwrap_or(c);
        m.swap(c, p);
        let piv = m[c][c];
        if piv.abs() < 1e-300 {
            continue;
        }
        for row in c + 1..r {
            let f = m[row][c] / piv;
            if f != 0.0 {
                for col in c..=r {
                    m[row][col] -= f * m[c][col];
                }
            }
        }
    }
    let mut v = vec![0.0; r];
    for c in (0..r).rev() {
        let mut s = m[c][r];
        for col in c + 1..r {
            s -= m[c][col] * v[col];
        }
        v[c] = if m[c][c].abs() < 1e-300 {
            0.0
        } else {
            s / m[c][c]
        };
    }
    v
}

/// One issue's estimated welfare-maximising option (`None` if no change of
/// it was proposed) and its contenders: the options whose estimated
/// welfare is within `z` standard errors of the best's (the best included).
fn estimate(
    counts: &BTreeMap<(u32, u32, u32), PairCounts>,
    parties: usize,
    t: f64,
    z: f64,
) -> (Option<u32>, Vec<u32>) {
    // Only options that were proposed from or to take part.
    let mut seen: Vec<u32> = counts.keys().flat_map(|&(a, b, _)| [a, b]).collect();
    let mut levels: Vec<u32> = counts.keys().map(|k| k.2).collect();
    levels.sort_unstable();
    levels.dedup();
    seen.sort_unstable();
    seen.dedup();
    if seen.is_empty() {
        return (None, Vec::new());
    }
    let mut edges = Vec::new();
    for (x, &a) in seen.iter().enumerate() {
        for (y, &b) in seen.iter().enumerate().skip(x + 1) {
            // Each temperature's estimate, combined by inverse variance.
            let (mut sw, mut swd) = (0.0, 0.0);
            for &l in &levels {
                let est = pair_estimate(
                    counts.get(&(a, b, l)),
                    counts.get(&(b, a, l)),
                    parties,
                    at_level(t, l),
                );
                if let Some((d, var)) = est {
                    let w = 1.0 / var.max(1e-12);
                    sw += w;
                    swd += w * d;
                }
            }
            if sw > 0.0 {
                edges.push((x, y, swd / sw, 1.0 / sw));
            }
        }
    }
    let fit: Vec<_> = edges
        .iter()
        .map(|&(x, y, d, var)| (x, y, d, 1.0 / var))
        .collect();
    let v = least_squares_scores(seen.len(), &fit);
    let best = (0..v.len()).fold(0, |m, o| if v[o] > v[m] { o } else { m });
    // The standard error of best − o: the direct pair's, or, with no direct
    // pair, unknown (a contender).
    let contenders = (0..v.len())
        .filter(|&o| {
            o == best
                || edges
                    .iter()
                    .find(|e| (e.0 == o && e.1 == best) || (e.0 == best && e.1 == o))
                    .is_none_or(|e| v[best] - v[o] < z * e.3.sqrt())
        })
        .map(|o| seen[o])
        .collect();
    (Some(seen[best]), contenders)
}

/// Proposals between two estimates of the contenders (measured: 50 gives
/// the welfare of re-estimating after every sweep at a quarter of the time).
const REFOCUS: f64 = 50.0;

/// The middle of the temperature ladder: level `MIDDLE` is the base
/// temperature, each level up or down a factor √2 colder or hotter.
const MIDDLE: u32 = 8;

fn at_level(t: f64, level: u32) -> f64 {
    t * 2f64.powf((f64::from(MIDDLE) - f64::from(level)) / 2.0)
}
