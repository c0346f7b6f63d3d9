//! Exact analysis of a scenario's outcome space.
//!
//! One streaming pass over every outcome (in parallel chunks, merged in
//! enumeration order) yields utility ranges, the count of individually
//! rational outcomes and the Pareto frontier; the bargaining solutions are then
//! searched on the frontier alone. Memory is bounded by the frontier, not by
//! the number of outcomes.

use rayon::prelude::*;

use crate::outcome::{OutcomeCount, OutcomeSpace};
use crate::pareto::{sort_points, Frontier, Point};
use crate::scenario::Scenario;
use crate::ufun::CompiledUfun;

/// Whose rules the analysis follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semantics {
    /// GENIUS 10.4: frontier over all outcomes, disagreement point at the
    /// reservation values, solutions over frontier points that clear them.
    Genius,
    /// NegMAS 0.16.0 (`negmas.preferences.ops`): frontier over rational
    /// outcomes, its own disagreement point, its tie tolerance.
    Negmas,
}

impl Semantics {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Semantics::Genius => "genius",
            Semantics::Negmas => "negmas",
        }
    }
}

/// Tolerance within which several frontier points are all optimal.
pub const SOLUTION_TOLERANCE: f64 = 1e-12;

/// The default largest space analysis will enumerate.
pub const DEFAULT_MAX_OUTCOMES: u64 = 100_000_000;

/// Analysis settings.
#[derive(Debug, Clone, Copy)]
pub struct AnalysisOptions {
    /// Whose rules to follow.
    pub semantics: Semantics,
    /// Larger spaces are refused before any work starts.
    pub max_outcomes: u64,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            semantics: Semantics::Genius,
            max_outcomes: DEFAULT_MAX_OUTCOMES,
        }
    }
}

/// Why an analysis could not run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnalysisError {
    /// The space is larger than the configured limit.
    #[error("the outcome space has {outcomes} outcomes, more than the limit of {limit} (raise it with --max-outcomes)")]
    TooLarge {
        /// The size of the space.
        outcomes: OutcomeCount,
        /// The limit in force.
        limit: u64,
    },
    /// A scenario needs at least one party.
    #[error("the scenario has no parties")]
    NoParties,
}

/// The result of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Number of outcomes enumerated.
    pub outcomes: u64,
    /// Outcomes every party rates at or above its reservation value.
    pub rational_outcomes: u64,
    /// Per party, the smallest and largest utility over all outcomes.
    pub ranges: Vec<(f64, f64)>,
    /// Per party, the reservation value the rules use.
    pub reservation_used: Vec<f64>,
    /// Per party, the disagreement point used by Nash, KS and Kalai.
    pub disagreement: Vec<f64>,
    /// The Pareto frontier, one outcome per distinct utility vector, sorted.
    pub pareto: Vec<Point>,
    /// Nash bargaining points.
    pub nash: Vec<Point>,
    /// Kalai–Smorodinsky points.
    pub kalai_smorodinsky: Vec<Point>,
    /// Kalai (egalitarian) points.
    pub kalai: Vec<Point>,
    /// Maximum welfare points.
    pub max_welfare: Vec<Point>,
    /// Distance from the ideal point to the nearest outcome, with every
    /// party's utility scaled to its range (0: no conflict at all).
    pub opposition: f64,
}

/// The reservation value each party's rules use.
pub fn reservation_used(scenario: &Scenario, semantics: Semantics) -> Vec<f64> {
    scenario
        .parties
        .iter()
        .map(|p| {
            let u = &p.ufun;
            match semantics {
                Semantics::Genius => u.reservation.unwrap_or(0.0),
                Semantics::Negmas => match u.discount {
                    // NegMAS wraps discounted ufuns, whose reserved value is -inf.
                    Some(d) if d > 0.0 && d != 1.0 => f64::NEG_INFINITY,
                    _ => u.reservation.unwrap_or(0.0),
                },
            }
        })
        .collect()
}

/// Enumerates outcomes and evaluates every party's ufun incrementally.
pub struct Kernel<'a> {
    space: &'a OutcomeSpace,
    ufuns: Vec<CompiledUfun>,
    radices: Vec<u32>,
    any_rectangles: bool,
}

impl<'a> Kernel<'a> {
    /// Compiles the scenario's ufuns for fast enumeration.
    pub fn new(scenario: &'a Scenario) -> Self {
        let space = &scenario.space;
        let ufuns: Vec<CompiledUfun> = scenario
            .parties
            .iter()
            .map(|p| CompiledUfun::new(&p.ufun, space))
            .collect();
        let any_rectangles = ufuns.iter().any(|u| !u.is_additive());
        Kernel {
            space,
            radices: space.radices(),
            ufuns,
            any_rectangles,
        }
    }

    /// Number of rows: outcomes sharing every option but the last issue's.
    pub fn rows(&self) -> u64 {
        match self.radices.split_last() {
            None => 1,
            Some((_, rest)) => rest.iter().map(|&r| u64::from(r)).product(),
        }
    }

    /// Calls `visit(index, digits, utilities)` for every outcome in `rows`.
    ///
    /// Additive parts are kept as running prefix sums over the issues, so an
    /// outcome costs one addition per party, and the sum is formed in issue
    /// order from the bias: bit-identical to evaluating outcome by outcome.
    pub fn scan(&self, rows: std::ops::Range<u64>, mut visit: impl FnMut(u64, &[u32], &[f64])) {
        let n = self.ufuns.len();
        let l = self.radices.len();
        let mut u = vec![0.0; n];
        if l == 0 {
            if rows.start == 0 && rows.end > 0 {
                for (slot, c) in u.iter_mut().zip(&self.ufuns) {
                    *slot = c.eval_with(&[], &[]);
                }
                visit(0, &[], &u);
            }
            return;
        }
        if self.radices.contains(&0) || rows.start >= rows.end {
            return;
        }
        let last = l - 1;
        let rl = self.radices[last];
        let mut digits = vec![0u32; l];
        self.space.digits(rows.start * u64::from(rl), &mut digits);
        let mut numeric = vec![0.0; l];
        let mut prefix = vec![0.0; n * l];
        let mut dirty = 0;
        for row in rows {
            for (p, c) in self.ufuns.iter().enumerate() {
                row_prefix(c, &digits, dirty, &mut prefix[p * l..(p + 1) * l]);
            }
            if self.any_rectangles {
                for i in dirty..last {
                    numeric[i] = self.space.issues[i].numeric(digits[i]);
                }
            }
            let base = row * u64::from(rl);
            for k in 0..rl {
                digits[last] = k;
                if self.any_rectangles {
                    numeric[last] = self.space.issues[last].numeric(k);
                }
                for (p, c) in self.ufuns.iter().enumerate() {
                    let pre = if last == 0 {
                        c.bias
                    } else {
                        prefix[p * l + last - 1]
                    };
                    let mut v = pre + c.tables[last][k as usize];
                    if let Some(r) = &c.rectangles {
                        v += r.eval(&numeric);
                    }
                    u[p] = c.finish(v);
                }
                visit(base + u64::from(k), &digits, &u);
            }
            dirty = self.next_row(&mut digits);
        }
    }

    /// Whether [`Kernel::summarise_rows`] applies: every ufun additive, and
    /// every table entry and every reachable utility finite (checked on
    /// bounds: additions and the cap/affine map are monotone, so the
    /// utilities of all outcomes lie between those of the issue-wise
    /// extremes, summed in the same order).
    fn rows_summarisable(&self) -> bool {
        if self.any_rectangles || self.radices.is_empty() || self.radices.contains(&0) {
            return false;
        }
        self.ufuns.iter().all(|c| {
            let (mut lo, mut hi) = (c.bias, c.bias);
            for t in &c.tables {
                if !t.iter().all(|v| v.is_finite()) {
                    return false;
                }
                lo += t.iter().copied().fold(f64::INFINITY, f64::min);
                hi += t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            }
            [lo, hi, c.finish(lo), c.finish(hi)]
                .iter()
                .all(|v| v.is_finite())
        })
    }

    /// The scan of [`analyze`] for additive scenarios, a row at a time.
    ///
    /// Within a row only the last issue varies, so by monotonicity each
    /// party's utilities there lie between the values at the last issue's
    /// smallest and largest table entries. Those two values give the row's
    /// contribution to the ranges exactly, settle the rational count when
    /// the row is wholly above or below a reservation value, and skip the
    /// frontier for the row when an earlier point already covers the row's
    /// best corner (every outcome of the row would be refused). Outcomes are
    /// evaluated one by one only in rows that need it, with the same sums
    /// as [`Kernel::scan`], so results are bit-identical to it.
    fn summarise_rows(
        &self,
        rows: std::ops::Range<u64>,
        reservation: &[f64],
        rational_only: bool,
    ) -> Partial {
        let n = self.ufuns.len();
        let l = self.radices.len();
        let last = l - 1;
        let rl = self.radices[last];
        let mut part = Partial {
            frontier: Frontier::new(n),
            mins: vec![f64::INFINITY; n],
            maxs: vec![f64::NEG_INFINITY; n],
            rational: 0,
        };
        if rows.start >= rows.end {
            return part;
        }
        // Per party: the last issue's table and the positions of its extremes.
        let tables: Vec<&[f64]> = self.ufuns.iter().map(|c| &c.tables[last][..]).collect();
        let extremes: Vec<(f64, f64)> = tables
            .iter()
            .map(|t| {
                let lo = t.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (lo, hi)
            })
            .collect();
        let mut digits = vec![0u32; l];
        self.space.digits(rows.start * u64::from(rl), &mut digits);
        let mut prefix = vec![0.0; n * l];
        let mut pre = vec![0.0; n];
        let mut best = vec![0.0; n];
        let mut u = vec![0.0; n];
        let mut hint = 0;
        let mut dirty = 0;
        for row in rows {
            let mut all_rational = true;
            let mut none_rational = false;
            for (p, c) in self.ufuns.iter().enumerate() {
                pre[p] = row_prefix(c, &digits, dirty, &mut prefix[p * l..(p + 1) * l]);
                let a = c.finish(pre[p] + extremes[p].0);
                let b = c.finish(pre[p] + extremes[p].1);
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                if lo < part.mins[p] {
                    part.mins[p] = lo;
                }
                if hi > part.maxs[p] {
                    part.maxs[p] = hi;
                }
                best[p] = hi;
                all_rational &= lo >= reservation[p];
                // Not `hi < r`: a NaN reservation value admits no outcome.
                let best_clears = hi >= reservation[p];
                none_rational |= !best_clears;
            }
            let offers = if rational_only && none_rational {
                false
            } else {
                !part.frontier.covers(&best, &mut hint)
            };
            if !offers && none_rational {
                // Nothing to count, nothing to offer.
            } else if !offers && all_rational {
                part.rational += u64::from(rl);
            } else {
                let base = row * u64::from(rl);
                for k in 0..rl as usize {
                    let mut rational = true;
                    for p in 0..n {
                        let v = self.ufuns[p].finish(pre[p] + tables[p][k]);
                        u[p] = v;
                        rational &= v >= reservation[p];
                    }
                    part.rational += u64::from(rational);
                    if offers && (rational || !rational_only) {
                        part.frontier.offer(&u, base + k as u64);
                    }
                }
            }
            dirty = self.next_row(&mut digits);
        }
        part
    }

    /// Advances the odometer `digits` to the next row (every issue but the
    /// last) and returns the first issue whose digit changed: prefix sums
    /// before it still hold, so only the rest are recomputed.
    #[inline]
    fn next_row(&self, digits: &mut [u32]) -> usize {
        let mut i = digits.len() - 1;
        while i > 0 {
            i -= 1;
            digits[i] += 1;
            if digits[i] < self.radices[i] {
                return i;
            }
            digits[i] = 0;
        }
        0
    }

    /// Scans every chunk with `scan_chunk` and returns the results in
    /// enumeration order, so that merging them in order keeps the first of
    /// tied outcomes whatever the thread count.
    pub(crate) fn map_chunks<P: Send>(
        &self,
        scan_chunk: impl Fn(std::ops::Range<u64>) -> P + Sync + Send,
    ) -> Vec<P> {
        let chunks = self.chunks();
        // Small spaces are scanned on the calling thread: waking a thread pool
        // costs more than the whole scan.
        if chunks.len() <= 1 {
            chunks.into_iter().map(scan_chunk).collect()
        } else {
            chunks.into_par_iter().map(scan_chunk).collect()
        }
    }

    /// Splits the rows into contiguous chunks for parallel scanning.
    pub fn chunks(&self) -> Vec<std::ops::Range<u64>> {
        let rows = self.rows();
        let outcomes = rows.saturating_mul(u64::from(*self.radices.last().unwrap_or(&1)));
        let wanted = if outcomes < 1 << 16 {
            1
        } else {
            (rayon::current_num_threads() as u64 * 8).min(rows).max(1)
        };
        let per = rows.div_ceil(wanted);
        (0..wanted)
            .map(|c| (c * per).min(rows)..((c + 1) * per).min(rows))
            .filter(|r| !r.is_empty())
            .collect()
    }
}

/// Brings one party's prefix sums (`prefix[i]`: bias plus the entries of
/// issues `0..=i`) up to date from issue `dirty` on, and returns the row's
/// sum before the last issue. Only the issues the odometer moved are summed
/// again, always in issue order from the bias, so every sum is bit-identical
/// to evaluating the outcome from scratch.
#[inline]
fn row_prefix(c: &CompiledUfun, digits: &[u32], dirty: usize, prefix: &mut [f64]) -> f64 {
    let last = digits.len() - 1;
    let mut acc = if dirty == 0 {
        c.bias
    } else {
        prefix[dirty - 1]
    };
    for i in dirty..last {
        acc += c.tables[i][digits[i] as usize];
        prefix[i] = acc;
    }
    acc
}

/// What one chunk of the scan accumulates.
struct Partial {
    frontier: Frontier,
    mins: Vec<f64>,
    maxs: Vec<f64>,
    rational: u64,
}

/// The checks every exhaustive pass makes before any work: at least one
/// party, and a space no larger than `max_outcomes` (refused at once, never
/// a silent hour-long run). Returns the party count and outcome count.
pub(crate) fn admit(scenario: &Scenario, max_outcomes: u64) -> Result<(usize, u64), AnalysisError> {
    let n = scenario.parties.len();
    if n == 0 {
        return Err(AnalysisError::NoParties);
    }
    let count = scenario.space.count();
    match count.as_u64() {
        Some(c) if c <= max_outcomes => Ok((n, c)),
        _ => Err(AnalysisError::TooLarge {
            outcomes: count,
            limit: max_outcomes,
        }),
    }
}

/// Analyses a scenario exactly.
pub fn analyze(scenario: &Scenario, options: &AnalysisOptions) -> Result<Analysis, AnalysisError> {
    let (n, outcomes) = admit(scenario, options.max_outcomes)?;
    let semantics = options.semantics;
    let reservation = reservation_used(scenario, semantics);
    let kernel = Kernel::new(scenario);
    let rational_only = semantics == Semantics::Negmas;

    let by_rows = kernel.rows_summarisable();
    let scan_chunk = |rows: std::ops::Range<u64>| {
        if by_rows {
            return kernel.summarise_rows(rows, &reservation, rational_only);
        }
        let mut part = Partial {
            frontier: Frontier::new(n),
            mins: vec![f64::INFINITY; n],
            maxs: vec![f64::NEG_INFINITY; n],
            rational: 0,
        };
        kernel.scan(rows, |index, _, u| {
            let mut finite = true;
            let mut rational = true;
            for i in 0..n {
                let v = u[i];
                if v.is_finite() {
                    if v < part.mins[i] {
                        part.mins[i] = v;
                    }
                    if v > part.maxs[i] {
                        part.maxs[i] = v;
                    }
                } else {
                    finite = false;
                }
                rational &= v >= reservation[i];
            }
            if rational {
                part.rational += 1;
            }
            if finite && (rational || !rational_only) {
                part.frontier.offer(u, index);
            }
        });
        part
    };
    let partials = kernel.map_chunks(scan_chunk);

    let mut frontier = Frontier::new(n);
    let mut mins = vec![f64::INFINITY; n];
    let mut maxs = vec![f64::NEG_INFINITY; n];
    let mut rational = 0;
    for p in partials {
        frontier.merge_later(p.frontier);
        for i in 0..n {
            mins[i] = mins[i].min(p.mins[i]);
            maxs[i] = maxs[i].max(p.maxs[i]);
        }
        rational += p.rational;
    }
    let ranges: Vec<(f64, f64)> = mins.into_iter().zip(maxs).collect();
    let pareto = frontier.into_points();
    let disagreement = disagreement_point(&ranges, &reservation, semantics);
    let solutions = Solutions {
        frontier: &pareto,
        ranges: &ranges,
        reservation: &reservation,
        disagreement: &disagreement,
        semantics,
    };
    Ok(Analysis {
        outcomes,
        rational_outcomes: rational,
        nash: solutions.nash(),
        kalai_smorodinsky: solutions.kalai_smorodinsky(),
        kalai: solutions.kalai(),
        max_welfare: solutions.max_welfare(),
        opposition: opposition(&pareto, &ranges),
        pareto,
        ranges,
        reservation_used: reservation,
        disagreement,
    })
}

/// The disagreement point of each semantics.
pub fn disagreement_point(
    ranges: &[(f64, f64)],
    reservation: &[f64],
    semantics: Semantics,
) -> Vec<f64> {
    ranges
        .iter()
        .zip(reservation)
        .map(|(&(min, _), &r)| match semantics {
            Semantics::Genius => r,
            Semantics::Negmas => {
                if r.is_finite() && r >= min {
                    r
                } else {
                    min
                }
            }
        })
        .collect()
}

/// Smallest distance from the ideal point, per-party scaled to `[0, 1]` by
/// the utility ranges, to any outcome. The nearest outcome is always on the
/// frontier, so the frontier suffices.
fn opposition(frontier: &[Point], ranges: &[(f64, f64)]) -> f64 {
    frontier
        .iter()
        .map(|p| {
            p.utilities
                .iter()
                .zip(ranges)
                .map(|(&u, &(lo, hi))| {
                    let s = if hi > lo { (u - lo) / (hi - lo) } else { 1.0 };
                    (1.0 - s) * (1.0 - s)
                })
                .sum::<f64>()
                .sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}

/// The bargaining solutions, searched on the frontier (also used by
/// [`crate::zone`] on the frontier of the agreement zone).
pub(crate) struct Solutions<'a> {
    pub(crate) frontier: &'a [Point],
    pub(crate) ranges: &'a [(f64, f64)],
    pub(crate) reservation: &'a [f64],
    pub(crate) disagreement: &'a [f64],
    pub(crate) semantics: Semantics,
}

impl Solutions<'_> {
    /// NegMAS returns the whole frontier when a party's span above its
    /// disagreement point is (nearly) empty.
    fn degenerate(&self) -> bool {
        self.semantics == Semantics::Negmas
            && self
                .ranges
                .iter()
                .zip(self.disagreement)
                .any(|(&(_, hi), &d)| hi - d <= SOLUTION_TOLERANCE)
    }

    fn clears_reservation(&self, p: &Point) -> bool {
        p.utilities
            .iter()
            .zip(self.reservation)
            .all(|(u, r)| u >= r)
    }

    /// Every point whose score is within the tolerance of the best one.
    /// `score` returns `None` for points that are not candidates.
    fn best(&self, maximise: bool, score: impl Fn(&Point) -> Option<f64>) -> Vec<Point> {
        let scored: Vec<(f64, &Point)> = self
            .frontier
            .iter()
            .filter_map(|p| score(p).map(|s| (s, p)))
            .filter(|(s, _)| !s.is_nan())
            .collect();
        let Some(best) =
            scored
                .iter()
                .map(|(s, _)| *s)
                .reduce(|a, b| if maximise { a.max(b) } else { a.min(b) })
        else {
            return Vec::new();
        };
        let mut out: Vec<Point> = scored
            .into_iter()
            .filter(|(s, _)| {
                if maximise {
                    *s >= best - SOLUTION_TOLERANCE
                } else {
                    *s <= best + SOLUTION_TOLERANCE
                }
            })
            .map(|(_, p)| p.clone())
            .collect();
        sort_points(&mut out);
        out
    }

    pub(crate) fn nash(&self) -> Vec<Point> {
        if self.degenerate() {
            return self.frontier.to_vec();
        }
        let genius = self.semantics == Semantics::Genius;
        self.best(true, |p| {
            if genius && !self.clears_reservation(p) {
                return None;
            }
            let mut v = 1.0;
            for (u, d) in p.utilities.iter().zip(self.disagreement) {
                v *= u - d;
            }
            Some(v)
        })
    }

    fn kalai_smorodinsky(&self) -> Vec<Point> {
        if self.degenerate() {
            return self.frontier.to_vec();
        }
        match self.semantics {
            // GENIUS's asymmetry: Σ_{i<j} |u_i − u_j| on the utilities as they are.
            Semantics::Genius => self.best(false, |p| {
                if !self.clears_reservation(p) {
                    return None;
                }
                let u = &p.utilities;
                let mut s = 0.0;
                for i in 0..u.len() {
                    for j in i + 1..u.len() {
                        s += (u[i] - u[j]).abs();
                    }
                }
                Some(s)
            }),
            // NegMAS: spread of the gains relative to each party's span above d.
            Semantics::Negmas => self.best(false, |p| {
                if !self.clears_reservation(p) {
                    return None;
                }
                let mut hi = f64::NEG_INFINITY;
                let mut lo = f64::INFINITY;
                for ((&u, &d), &(_, max)) in
                    p.utilities.iter().zip(self.disagreement).zip(self.ranges)
                {
                    let span = max - d;
                    let a = if span != 0.0 { (u - d) / span } else { u - d };
                    hi = hi.max(a);
                    lo = lo.min(a);
                }
                Some(hi - lo)
            }),
        }
    }

    fn kalai(&self) -> Vec<Point> {
        if self.degenerate() {
            return self.frontier.to_vec();
        }
        self.best(true, |p| {
            if !self.clears_reservation(p) {
                return None;
            }
            p.utilities
                .iter()
                .zip(self.disagreement)
                .map(|(u, d)| u - d)
                .reduce(f64::min)
        })
    }

    fn max_welfare(&self) -> Vec<Point> {
        if self.semantics == Semantics::Negmas
            && self
                .ranges
                .iter()
                .any(|&(lo, hi)| hi - lo <= SOLUTION_TOLERANCE)
        {
            return self.frontier.to_vec();
        }
        self.best(true, |p| Some(p.utilities.iter().fold(0.0, |a, u| a + u)))
    }
}
