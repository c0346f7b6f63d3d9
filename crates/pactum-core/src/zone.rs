//! The agreement zone: the outcomes every party rates at or above its
//! reservation value, and, when there are none, what stands in the way.
//!
//! Two kinds of question are answered here, with two different methods:
//!
//! * **Enumeration** (any utility function, hyper-rectangles included): one
//!   streaming pass of the analysis [`Kernel`] over the whole space gives the
//!   zone's size, its Pareto frontier (the *packages*), its Nash point and
//!   every party's *smallest concession*. Memory is bounded by the zone's
//!   frontier, as in [`crate::analyze`].
//! * **Decomposition** (additive utility functions only): blocking sets and
//!   the per-issue explanation of the Nash point take a party's utility apart
//!   issue by issue, which is only exact when the utility is `bias +
//!   Σ weight·value` followed by a non-decreasing map (GENIUS's cap, an
//!   affine normalisation with a non-negative scale). For other utility
//!   functions [`Zone::not_additive`] says why, rather than giving a wrong
//!   answer.
//!
//! # Blocking sets
//!
//! A set `S` of issues *blocks* when, even if every party were credited with
//! its own best option on every issue outside `S`, no choice of options on
//! `S` would clear every party's reservation value. "Credited with its own
//! best option" is each party's most optimistic reading of the issues outside
//! `S`, taken separately for each party: party A imagines the other issues
//! settled A's way, party B imagines them settled B's way, although no single
//! outcome may do both. If the parties cannot agree on `S` even then, `S`
//! alone rules out agreement, however the other issues are settled: the talks
//! must move a reservation value or change what is on the table on `S`.
//!
//! Blocking is upward-monotone: if `S ⊆ T` and `S` blocks, `T` blocks.
//! Proof (by contraposition): suppose `T` does not block, with options
//! `a_k` on `T` clearing every party `i`, that is
//! `f_i(b_i + Σ_{k∈T} t_ik(a_k) + Σ_{k∉T} m_ik) ≥ r_i`, where `t_ik` is
//! party `i`'s `weight·value` table on issue `k`, `m_ik` its largest entry
//! and `f_i` the non-decreasing final map. Keep the options `a_k` for
//! `k ∈ S`. On `T∖S` the term `t_ik(a_k)` is replaced by `m_ik ≥ t_ik(a_k)`:
//! every term of the sum grows or stays, and so does the sum (floating-point
//! addition in a fixed order is monotone in every argument) and `f_i` of it.
//! So `a|S` clears every party with `S` in place of `T`: `S` does not block.
//!
//! Hence the zone is empty exactly when the set of all issues blocks (every
//! issue in `S`, nothing credited: the sums are then the utilities of real
//! outcomes, added in the same order as the enumeration), and `∅` blocks
//! exactly when some party's ideal outcome falls short of its reservation
//! value. A blocking set is *minimal* when no proper subset blocks; by
//! monotonicity it suffices that removing any one member opens it.
//!
//! One minimal blocking set is found with QuickXplain (Junker 2004), in
//! `O(k·log(L/k))` blocking tests for a set of `k` issues out of `L`; all of
//! them with a Reiter hitting-set tree over QuickXplain (each node removes
//! the issues on its path and looks for a minimal blocking set among the
//! rest; nodes whose removed set contains that of a node found open are
//! pruned, as are repeated removed sets, and a set already found that avoids
//! a node's removed issues is reused instead of searching again).
//!
//! A blocking test of `S` enumerates only the options of the issues in `S`
//! (at most the product of their sizes, never more than the whole space),
//! depth first in issue order, and abandons a partial choice as soon as some
//! party's optimistic bound (its partial sum plus its best entry on every
//! remaining issue) cannot reach its reservation value. Each node costs
//! `O(n)` for `n` parties. The bound is compared with a relative slack of
//! `1e-9` so that rounding can only keep a branch alive, never prune one
//! that would clear; a full choice is decided by the exact sum.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::analysis::{
    admit, disagreement_point, reservation_used, AnalysisError, Kernel, Semantics, Solutions,
    DEFAULT_MAX_OUTCOMES,
};
use crate::pareto::{Frontier, Point};
use crate::scenario::Scenario;
use crate::ufun::CompiledUfun;

/// The default cap on the number of minimal blocking sets enumerated.
pub const DEFAULT_MAX_BLOCKING_SETS: usize = 64;

/// Hitting-set tree nodes explored before giving up on proving that no
/// further minimal blocking set exists (the tree can grow exponentially
/// with the number of sets; the result is then marked truncated).
const MAX_TREE_NODES: usize = 100_000;

/// Zone settings.
#[derive(Debug, Clone, Copy)]
pub struct ZoneOptions {
    /// Whose rules set the reservation values and the disagreement point.
    pub semantics: Semantics,
    /// Larger spaces are refused before any work starts, as in analysis.
    pub max_outcomes: u64,
    /// At most this many minimal blocking sets are reported; more exist when
    /// [`Zone::blocking_truncated`] is set.
    pub max_blocking_sets: usize,
}

impl Default for ZoneOptions {
    fn default() -> Self {
        ZoneOptions {
            semantics: Semantics::Genius,
            max_outcomes: DEFAULT_MAX_OUTCOMES,
            max_blocking_sets: DEFAULT_MAX_BLOCKING_SETS,
        }
    }
}

/// What keeps a utility function from being taken apart issue by issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAdditiveReason {
    /// It has a hyper-rectangle part: the value of one issue depends on others.
    Rectangles,
    /// Its final affine map has a negative (or undefined) scale, so a better
    /// option on one issue can lower the utility.
    DecreasingMap,
}

/// Why blocking sets and the per-issue explanation were not computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("party {party}'s utility function is not additive ({}), so it cannot be taken apart issue by issue", match .reason {
    NotAdditiveReason::Rectangles => "it has hyper-rectangles",
    NotAdditiveReason::DecreasingMap => "its normalisation has a negative scale",
})]
pub struct NotAdditive {
    /// The party's seat.
    pub party: usize,
    /// What is not additive about it.
    pub reason: NotAdditiveReason,
}

/// One party's side of an issue at the Nash point, in its utility units.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyShare {
    /// The party's best option on the issue (the first, on ties).
    pub best: u32,
    /// Utility the party forgoes on this issue: its best option's share
    /// minus the chosen option's (`>= 0`).
    pub gives: f64,
    /// Utility the chosen option brings it above its worst option on this
    /// issue (`>= 0`).
    pub gets: f64,
}

/// How one issue is settled at the Nash point.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueShare {
    /// The issue's position.
    pub issue: usize,
    /// The option chosen at the Nash point.
    pub chosen: u32,
    /// What the parties together forgo on this issue (Σ of `gives`): the
    /// issues with the largest distance are where the parties pull apart.
    pub distance: f64,
    /// One entry per party, in seat order.
    pub parties: Vec<PartyShare>,
}

/// The agreement zone of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Outcomes enumerated (the size of the space).
    pub outcomes: u64,
    /// The reservation value used per party
    /// ([`crate::analysis::reservation_used`]).
    pub reservations: Vec<f64>,
    /// Outcomes every party rates at or above its reservation value.
    pub size: u64,
    /// The Pareto frontier of the zone (equally: the frontier points inside
    /// it), one outcome per distinct utility vector, sorted like analysis.
    pub packages: Vec<Point>,
    /// The Nash points of the zone: the packages maximising `Π(u_i − d_i)`,
    /// ties within [`crate::analysis::SOLUTION_TOLERANCE`]. `d` is the
    /// analysis's disagreement point (for GENIUS the reservation values), with
    /// a party's smallest utility standing in for a reservation value of
    /// `−∞`. Equal to the analysis's Nash points. Empty iff the zone is.
    pub nash: Vec<Point>,
    /// The minimal blocking sets of issues (sorted issue positions, sets
    /// sorted); empty when the zone is not, or when [`Zone::not_additive`].
    pub blocking_sets: Vec<Vec<usize>>,
    /// Whether the enumeration of blocking sets stopped before proving that
    /// there are no others.
    pub blocking_truncated: bool,
    /// Per party, how far its reservation value would have to fall for the
    /// zone to become non-empty, the others unchanged: `r_i − max{u_i(ω) :
    /// u_j(ω) ≥ r_j ∀ j ≠ i}`. `0.0` when the zone is not empty, `None` when
    /// no outcome clears the others (no concession by this party alone can
    /// open the zone).
    pub concessions: Vec<Option<f64>>,
    /// Per issue, what each party gives and gets at the (first) Nash point,
    /// sorted by distance, largest first (ties by issue position). Empty
    /// when the zone is, or when [`Zone::not_additive`].
    pub explanation: Vec<IssueShare>,
    /// Set when some utility function is not additive: blocking sets and the
    /// explanation were not computed, and this says why.
    pub not_additive: Option<NotAdditive>,
}

impl Zone {
    /// Whether no outcome clears every party's reservation value.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
}

/// What one chunk of the scan accumulates.
struct Partial {
    frontier: Frontier,
    mins: Vec<f64>,
    maxs: Vec<f64>,
    size: u64,
    /// Per party: the largest utility over outcomes clearing every other party.
    best: Vec<f64>,
    /// Per party: whether any outcome clears every other party.
    cleared: Vec<bool>,
}

/// Computes the agreement zone of a scenario.
pub fn zone(scenario: &Scenario, options: &ZoneOptions) -> Result<Zone, AnalysisError> {
    let (n, outcomes) = admit(scenario, options.max_outcomes)?;
    let semantics = options.semantics;
    let reservation = reservation_used(scenario, semantics);
    let kernel = Kernel::new(scenario);
    let r = &reservation;
    let scan_chunk = |rows: std::ops::Range<u64>| {
        let mut part = Partial {
            frontier: Frontier::new(n),
            mins: vec![f64::INFINITY; n],
            maxs: vec![f64::NEG_INFINITY; n],
            size: 0,
            best: vec![f64::NEG_INFINITY; n],
            cleared: vec![false; n],
        };
        kernel.scan(rows, |index, _, u| {
            let mut finite = true;
            let mut fails = 0;
            let mut failed = 0;
            for i in 0..n {
                let v = u[i];
                if v.is_finite() {
                    part.mins[i] = part.mins[i].min(v);
                    part.maxs[i] = part.maxs[i].max(v);
                } else {
                    finite = false;
                }
                // Not `v < r`: a NaN utility clears nothing.
                let clears = v >= r[i];
                if !clears {
                    fails += 1;
                    failed = i;
                }
            }
            match fails {
                0 => {
                    part.size += 1;
                    for i in 0..n {
                        part.cleared[i] = true;
                        if u[i] > part.best[i] {
                            part.best[i] = u[i];
                        }
                    }
                    if finite {
                        part.frontier.offer(u, index);
                    }
                }
                1 => {
                    part.cleared[failed] = true;
                    if u[failed] > part.best[failed] {
                        part.best[failed] = u[failed];
                    }
                }
                _ => {}
            }
        });
        part
    };
    let partials = kernel.map_chunks(scan_chunk);
    let mut frontier = Frontier::new(n);
    let mut mins = vec![f64::INFINITY; n];
    let mut maxs = vec![f64::NEG_INFINITY; n];
    let mut size = 0;
    let mut best = vec![f64::NEG_INFINITY; n];
    let mut cleared = vec![false; n];
    for p in partials {
        frontier.merge_later(p.frontier);
        for i in 0..n {
            mins[i] = mins[i].min(p.mins[i]);
            maxs[i] = maxs[i].max(p.maxs[i]);
            best[i] = best[i].max(p.best[i]);
            cleared[i] |= p.cleared[i];
        }
        size += p.size;
    }
    let ranges: Vec<(f64, f64)> = mins.into_iter().zip(maxs).collect();
    let packages = frontier.into_points();

    let mut disagreement = disagreement_point(&ranges, &reservation, semantics);
    for (d, &(lo, _)) in disagreement.iter_mut().zip(&ranges) {
        if !d.is_finite() {
            *d = lo;
        }
    }
    let nash = Solutions {
        frontier: &packages,
        ranges: &ranges,
        reservation: &reservation,
        disagreement: &disagreement,
        semantics,
    }
    .nash();

    let concessions = (0..n)
        .map(|i| {
            if size > 0 {
                Some(0.0)
            } else if !cleared[i] {
                None
            } else {
                let c = reservation[i] - best[i];
                // Only incomparable utilities cleared the others: no finite
                // concession opens the zone.
                Some(if c.is_nan() { f64::INFINITY } else { c })
            }
        })
        .collect();

    let mut zone = Zone {
        outcomes,
        reservations: reservation,
        size,
        packages,
        nash,
        blocking_sets: Vec::new(),
        blocking_truncated: false,
        concessions,
        explanation: Vec::new(),
        not_additive: None,
    };
    match Decomposition::new(scenario) {
        Err(e) => zone.not_additive = Some(e),
        Ok(dec) => {
            if size == 0 {
                let found = dec.blocking_sets(&zone.reservations, options.max_blocking_sets);
                zone.blocking_sets = found.sets;
                zone.blocking_truncated = found.truncated;
            } else if let Some(p) = zone.nash.first() {
                let mut digits = vec![0u32; scenario.space.issues.len()];
                scenario.space.digits(p.outcome, &mut digits);
                zone.explanation = dec.explain(&digits);
            }
        }
    }
    Ok(zone)
}

/// Minimal blocking sets, as found by [`Decomposition::blocking_sets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingSets {
    /// The sets (sorted issue positions), sorted; empty when nothing blocks.
    pub sets: Vec<Vec<usize>>,
    /// Whether the search stopped before proving there are no others.
    pub truncated: bool,
}

/// The scenario's utility functions taken apart issue by issue: what
/// blocking tests and the per-issue explanation work on.
#[derive(Debug, Clone)]
pub struct Decomposition {
    ufuns: Vec<CompiledUfun>,
    issues: usize,
    /// Options per issue.
    options: Vec<usize>,
    /// `best[i][k]`: party `i`'s largest `weight·value` on issue `k`.
    best: Vec<Vec<f64>>,
    /// `suffix[i][k]`: `Σ_{j≥k} best[i][j]` (exact reals aside), and the
    /// matching sum of absolute values, for the pruning bound and its slack.
    suffix: Vec<Vec<(f64, f64)>>,
}

impl Decomposition {
    /// Compiles the scenario's utility functions, refusing those that do not
    /// decompose.
    pub fn new(scenario: &Scenario) -> Result<Self, NotAdditive> {
        let space = &scenario.space;
        let mut ufuns = Vec::with_capacity(scenario.parties.len());
        for (party, p) in scenario.parties.iter().enumerate() {
            if !p.ufun.is_additive() {
                return Err(NotAdditive {
                    party,
                    reason: NotAdditiveReason::Rectangles,
                });
            }
            if let Some(a) = p.ufun.affine {
                // Not `scale < 0`: a NaN scale is refused too.
                let non_decreasing = a.scale >= 0.0;
                if !non_decreasing {
                    return Err(NotAdditive {
                        party,
                        reason: NotAdditiveReason::DecreasingMap,
                    });
                }
            }
            ufuns.push(CompiledUfun::new(&p.ufun, space));
        }
        let issues = space.issues.len();
        let best: Vec<Vec<f64>> = ufuns
            .iter()
            .map(|c| {
                c.tables
                    .iter()
                    .map(|t| t.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                    .collect()
            })
            .collect();
        let suffix = best
            .iter()
            .map(|b| {
                let mut s = vec![(0.0, 0.0); issues + 1];
                for k in (0..issues).rev() {
                    s[k] = (s[k + 1].0 + b[k], s[k + 1].1 + b[k].abs());
                }
                s
            })
            .collect();
        Ok(Decomposition {
            ufuns,
            issues,
            options: space.radices().iter().map(|&r| r as usize).collect(),
            best,
            suffix,
        })
    }

    /// Whether the issues in `set` block against these reservation values:
    /// no choice of options on `set` clears every party when each party is
    /// credited with its own best option on every other issue. Issue
    /// positions outside the space are ignored.
    pub fn blocks(&self, reservation: &[f64], set: &[usize]) -> bool {
        let mut in_set = vec![false; self.issues];
        for &k in set {
            if k < self.issues {
                in_set[k] = true;
            }
        }
        let n = self.ufuns.len();
        let mut prefix = vec![0.0; n * (self.issues + 1)];
        let mut prefix_abs = vec![0.0; n * (self.issues + 1)];
        for (i, c) in self.ufuns.iter().enumerate() {
            prefix[i * (self.issues + 1)] = c.bias;
            prefix_abs[i * (self.issues + 1)] = c.bias.abs();
        }
        let mut search = Search {
            dec: self,
            reservation,
            in_set: &in_set,
            prefix,
            prefix_abs,
        };
        !search.feasible(0)
    }

    /// One minimal blocking set among the issues in `allowed` (sorted), by
    /// QuickXplain; `None` when `allowed` does not block.
    pub fn minimal_blocking_set(
        &self,
        reservation: &[f64],
        allowed: &[usize],
    ) -> Option<Vec<usize>> {
        let mut memo = Memo::new(self, reservation);
        memo.quickxplain(allowed)
    }

    /// Every minimal blocking set (at most `max` of them), by a hitting-set
    /// tree over QuickXplain. Empty when the set of all issues does not
    /// block, that is when the agreement zone is not empty; `[[]]` when the
    /// empty set blocks (some party's ideal is below its reservation value).
    pub fn blocking_sets(&self, reservation: &[f64], max: usize) -> BlockingSets {
        let mut memo = Memo::new(self, reservation);
        let all: Vec<usize> = (0..self.issues).collect();
        let mut found: Vec<Vec<usize>> = Vec::new();
        let mut open: Vec<Vec<usize>> = Vec::new();
        let mut visited: HashSet<Vec<usize>> = HashSet::new();
        let mut queue: VecDeque<Vec<usize>> = VecDeque::from([Vec::new()]);
        let mut truncated = false;
        while let Some(removed) = queue.pop_front() {
            if open.iter().any(|o| is_subset(o, &removed)) {
                continue;
            }
            if !visited.insert(removed.clone()) {
                continue;
            }
            if visited.len() > MAX_TREE_NODES {
                truncated = true;
                break;
            }
            let conflict = match found.iter().find(|c| is_disjoint(c, &removed)) {
                Some(c) => c.clone(),
                None => {
                    let allowed = difference(&all, &removed);
                    match memo.quickxplain(&allowed) {
                        None => {
                            open.push(removed);
                            continue;
                        }
                        Some(c) => {
                            if found.len() >= max {
                                truncated = true;
                                break;
                            }
                            found.push(c.clone());
                            c
                        }
                    }
                }
            };
            // ∅ blocking makes it the only minimal blocking set.
            if conflict.is_empty() {
                break;
            }
            for &k in &conflict {
                queue.push_back(union(&removed, &[k]));
            }
        }
        found.sort();
        BlockingSets {
            sets: found,
            truncated,
        }
    }

    /// What each party gives and gets on each issue at the outcome `digits`
    /// (option indices of an outcome of the space), in each party's utility
    /// units (the `weight·value` shares times the normalisation's scale;
    /// GENIUS's cap at 1 is ignored, as it never binds on a valid profile).
    pub fn explain(&self, digits: &[u32]) -> Vec<IssueShare> {
        let mut out: Vec<IssueShare> = (0..self.issues)
            .map(|k| {
                let chosen = digits[k];
                let parties: Vec<PartyShare> = self
                    .ufuns
                    .iter()
                    .map(|c| {
                        let t = &c.tables[k];
                        let scale = c.affine.map_or(1.0, |a| a.scale);
                        let mut best = 0;
                        for (o, &v) in t.iter().enumerate() {
                            if v > t[best] {
                                best = o;
                            }
                        }
                        let worst = t.iter().copied().fold(f64::INFINITY, f64::min);
                        let at = t[chosen as usize];
                        PartyShare {
                            best: best as u32,
                            gives: (t[best] - at) * scale,
                            gets: (at - worst) * scale,
                        }
                    })
                    .collect();
                IssueShare {
                    issue: k,
                    chosen,
                    distance: parties.iter().map(|p| p.gives).sum(),
                    parties,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.distance
                .total_cmp(&a.distance)
                .then(a.issue.cmp(&b.issue))
        });
        out
    }
}

/// The depth-first search of one blocking test.
struct Search<'a> {
    dec: &'a Decomposition,
    reservation: &'a [f64],
    in_set: &'a [bool],
    /// Per party, `issues + 1` running sums: `prefix[i·(L+1) + k]` is the
    /// sum over issues before `k`, in issue order from the bias.
    prefix: Vec<f64>,
    prefix_abs: Vec<f64>,
}

impl Search<'_> {
    /// Whether some choice of options on the set's issues from `k` on
    /// clears every party, given the choices before `k`.
    fn feasible(&mut self, k: usize) -> bool {
        let l = self.dec.issues;
        let stride = l + 1;
        let n = self.dec.ufuns.len();
        // Optimistic bound: every remaining issue at the party's best.
        for i in 0..n {
            let c = &self.dec.ufuns[i];
            let p = self.prefix[i * stride + k];
            let r = self.reservation[i];
            if k == l {
                let clears = c.finish(p) >= r;
                if !clears {
                    return false;
                }
                continue;
            }
            let (s, s_abs) = self.dec.suffix[i][k];
            let slack = 1e-9 * (1.0 + self.prefix_abs[i * stride + k] + s_abs);
            if c.finish(p + s + slack) < r {
                return false;
            }
        }
        if k == l {
            return true;
        }
        if !self.in_set[k] {
            for i in 0..n {
                let b = self.dec.best[i][k];
                self.prefix[i * stride + k + 1] = self.prefix[i * stride + k] + b;
                self.prefix_abs[i * stride + k + 1] = self.prefix_abs[i * stride + k] + b.abs();
            }
            return self.feasible(k + 1);
        }
        for o in 0..self.dec.options[k] {
            for i in 0..n {
                let v = self.dec.ufuns[i].tables[k][o];
                self.prefix[i * stride + k + 1] = self.prefix[i * stride + k] + v;
                self.prefix_abs[i * stride + k + 1] = self.prefix_abs[i * stride + k] + v.abs();
            }
            if self.feasible(k + 1) {
                return true;
            }
        }
        false
    }
}

/// Blocking tests remembered by set, for QuickXplain and the tree.
struct Memo<'a> {
    dec: &'a Decomposition,
    reservation: &'a [f64],
    known: HashMap<Vec<usize>, bool>,
}

impl<'a> Memo<'a> {
    fn new(dec: &'a Decomposition, reservation: &'a [f64]) -> Self {
        Memo {
            dec,
            reservation,
            known: HashMap::new(),
        }
    }

    fn blocks(&mut self, set: &[usize]) -> bool {
        if let Some(&b) = self.known.get(set) {
            return b;
        }
        let b = self.dec.blocks(self.reservation, set);
        self.known.insert(set.to_vec(), b);
        b
    }

    fn quickxplain(&mut self, allowed: &[usize]) -> Option<Vec<usize>> {
        if !self.blocks(allowed) {
            return None;
        }
        if self.blocks(&[]) {
            return Some(Vec::new());
        }
        Some(self.qx(&[], false, allowed))
    }

    /// Junker's recursion: given that `base ∪ candidates` blocks, a minimal
    /// subset of `candidates` that blocks together with `base`. `added`
    /// says whether `base` grew since the caller last knew it did not block.
    fn qx(&mut self, base: &[usize], added: bool, candidates: &[usize]) -> Vec<usize> {
        if added && self.blocks(base) {
            return Vec::new();
        }
        if candidates.len() == 1 {
            return candidates.to_vec();
        }
        let (c1, c2) = candidates.split_at(candidates.len() / 2);
        let d2 = self.qx(&union(base, c1), !c1.is_empty(), c2);
        let d1 = self.qx(&union(base, &d2), !d2.is_empty(), c1);
        union(&d1, &d2)
    }
}

/// Union of two sorted sets.
fn union(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j == b.len() || (i < a.len() && a[i] < b[j]) {
            out.push(a[i]);
            i += 1;
        } else if i == a.len() || b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
            j += 1;
        }
    }
    out
}

/// Members of sorted `a` not in sorted `b`.
fn difference(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter()
        .copied()
        .filter(|x| b.binary_search(x).is_err())
        .collect()
}

fn is_subset(a: &[usize], b: &[usize]) -> bool {
    a.iter().all(|x| b.binary_search(x).is_ok())
}

fn is_disjoint(a: &[usize], b: &[usize]) -> bool {
    a.iter().all(|x| b.binary_search(x).is_err())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Issue, LinearAdditive, OutcomeSpace, Party, Term, UtilityFunction, ValueFunction};

    fn party(name: &str, tables: Vec<Vec<f64>>, reservation: f64) -> Party {
        Party {
            name: name.into(),
            ufun: UtilityFunction {
                additive: LinearAdditive {
                    bias: 0.0,
                    terms: tables
                        .into_iter()
                        .map(|t| Term {
                            weight: 0.5,
                            value: ValueFunction::Table(t),
                        })
                        .collect(),
                },
                reservation: Some(reservation),
                ..Default::default()
            },
        }
    }

    fn two_issues(parties: Vec<Party>) -> Scenario {
        Scenario {
            name: "t".into(),
            space: OutcomeSpace::new(vec![Issue::integer("a", 0, 1), Issue::integer("b", 0, 1)]),
            parties,
        }
    }

    #[test]
    fn opposed_issue_blocks_alone() {
        // Issue a: strictly opposed; issue b: both prefer option 1.
        let s = two_issues(vec![
            party("x", vec![vec![1.0, 0.0], vec![0.0, 1.0]], 0.9),
            party("y", vec![vec![0.0, 1.0], vec![0.0, 1.0]], 0.9),
        ]);
        let z = zone(&s, &ZoneOptions::default()).unwrap();
        assert!(z.is_empty());
        assert_eq!(z.blocking_sets, vec![vec![0]]);
        assert!(z.nash.is_empty() && z.explanation.is_empty());
        // Each would have to accept 0.5 instead of 0.9.
        assert_eq!(z.concessions, vec![Some(0.4), Some(0.4)]);
    }

    #[test]
    fn an_unreachable_reservation_makes_the_empty_set_block() {
        let s = two_issues(vec![
            party("x", vec![vec![1.0, 0.0], vec![0.0, 1.0]], 1.5),
            party("y", vec![vec![0.0, 1.0], vec![0.0, 1.0]], 0.0),
        ]);
        let z = zone(&s, &ZoneOptions::default()).unwrap();
        assert_eq!(z.blocking_sets, vec![Vec::<usize>::new()]);
        assert_eq!(z.concessions, vec![Some(0.5), None]);
    }

    #[test]
    fn explanation_splits_the_nash_point() {
        let s = two_issues(vec![
            party("x", vec![vec![1.0, 0.0], vec![0.0, 1.0]], 0.0),
            party("y", vec![vec![0.0, 0.6], vec![0.0, 1.0]], 0.0),
        ]);
        let z = zone(&s, &ZoneOptions::default()).unwrap();
        assert_eq!(z.size, 4);
        assert_eq!(z.concessions, vec![Some(0.0), Some(0.0)]);
        // b = 1 suits both; on a, x's option 0 gives (1.0, 0.5), product
        // 0.5, y's option 1 gives (0.5, 0.8), product 0.4.
        assert_eq!(z.nash.len(), 1);
        assert_eq!(z.nash[0].utilities, vec![1.0, 0.5]);
        let first = &z.explanation[0];
        assert_eq!((first.issue, first.chosen), (0, 0));
        assert_eq!(first.distance, 0.3);
        assert_eq!(first.parties[1].best, 1);
        assert_eq!((first.parties[1].gives, first.parties[0].gets), (0.3, 0.5));
        assert_eq!(z.explanation[1].distance, 0.0);
    }
}
