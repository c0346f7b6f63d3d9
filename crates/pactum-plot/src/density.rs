//! The outcome cloud as fixed-size density grids.
//!
//! A second streaming pass over the outcome space (the same [`Kernel`] the
//! analysis uses) drops every outcome into one cell per panel. Memory is the
//! grids, never the outcomes: `pairs × GRID²` counters per worker thread.

use pactum_core::{Analysis, Kernel, Scenario};
use rayon::prelude::*;

/// Cells per axis of every panel's density grid.
pub const GRID: usize = 160;

/// How one party's utilities map onto the `GRID` cells of an axis.
///
/// The cells are centred so that the smallest and the largest utility each
/// sit in the middle of the first and last cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bins {
    /// Lower edge of the first cell.
    pub lo: f64,
    /// Upper edge of the last cell.
    pub hi: f64,
}

impl Bins {
    /// Cells spanning a party's utility range (as the analysis found it).
    pub fn for_range((lo, hi): (f64, f64)) -> Bins {
        if !(lo.is_finite() && hi.is_finite()) || hi < lo {
            // No finite utility at all: nothing will be binned.
            return Bins { lo: 0.0, hi: 1.0 };
        }
        if hi == lo {
            return Bins { lo: lo - 0.5, hi: hi + 0.5 };
        }
        let half = (hi - lo) / (2.0 * (GRID - 1) as f64);
        Bins {
            lo: lo - half,
            hi: hi + half,
        }
    }

    /// The cell of a utility, or `None` for a non-finite one.
    #[inline]
    pub fn cell(&self, u: f64) -> Option<usize> {
        if !u.is_finite() {
            return None;
        }
        let t = (u - self.lo) / (self.hi - self.lo) * GRID as f64;
        // `as` saturates (and maps NaN to 0), so this is a clamp to the grid.
        Some((t.max(0.0) as usize).min(GRID - 1))
    }

    /// The lower edge of cell `k` (`k == GRID` gives the upper edge of the last).
    pub fn edge(&self, k: usize) -> f64 {
        self.lo + (self.hi - self.lo) * k as f64 / GRID as f64
    }
}

/// Per panel, how many outcomes fall in each cell.
#[derive(Debug, Clone)]
pub(crate) struct Density {
    /// One binning per party.
    pub bins: Vec<Bins>,
    /// `pairs.len()` grids of `GRID × GRID` counts, row-major with row `y`.
    counts: Vec<u64>,
}

impl Density {
    /// The grid of panel `p`: index `y * GRID + x`.
    pub fn grid(&self, p: usize) -> &[u64] {
        let cells = GRID * GRID;
        &self.counts[p * cells..(p + 1) * cells]
    }
}

/// Scans every outcome once and bins each pair's utilities.
pub(crate) fn density(scenario: &Scenario, analysis: &Analysis, pairs: &[(usize, usize)]) -> Density {
    let n = scenario.parties.len();
    let bins: Vec<Bins> = (0..n)
        .map(|i| Bins::for_range(analysis.ranges.get(i).copied().unwrap_or((f64::NAN, f64::NAN))))
        .collect();
    let cells = GRID * GRID;
    let size = pairs.len() * cells;
    if pairs.is_empty() {
        return Density { bins, counts: Vec::new() };
    }
    let kernel = Kernel::new(scenario);
    let counts = kernel
        .chunks()
        .into_par_iter()
        .fold(
            || vec![0u64; size],
            |mut acc, rows| {
                let mut cell: Vec<Option<usize>> = vec![None; n];
                kernel.scan(rows, |_, _, u| {
                    for i in 0..n {
                        cell[i] = bins[i].cell(u[i]);
                    }
                    for (p, &(i, j)) in pairs.iter().enumerate() {
                        if let (Some(x), Some(y)) = (cell[i], cell[j]) {
                            acc[p * cells + y * GRID + x] += 1;
                        }
                    }
                });
                acc
            },
        )
        .reduce_with(|mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        })
        .unwrap_or_else(|| vec![0u64; size]);
    Density { bins, counts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_sit_in_the_middle_of_the_end_cells() {
        let b = Bins::for_range((0.2, 0.9));
        assert_eq!(b.cell(0.2), Some(0));
        assert_eq!(b.cell(0.9), Some(GRID - 1));
        let mid0 = (b.edge(0) + b.edge(1)) / 2.0;
        assert!((mid0 - 0.2).abs() < 1e-12);
        let mid_last = (b.edge(GRID - 1) + b.edge(GRID)) / 2.0;
        assert!((mid_last - 0.9).abs() < 1e-12);
    }

    #[test]
    fn degenerate_and_missing_ranges_still_bin() {
        let b = Bins::for_range((0.5, 0.5));
        assert_eq!(b.cell(0.5), Some(GRID / 2));
        assert_eq!(b.cell(f64::NEG_INFINITY), None);
        assert_eq!(b.cell(f64::NAN), None);
        let none = Bins::for_range((f64::INFINITY, f64::NEG_INFINITY));
        assert_eq!(none, Bins { lo: 0.0, hi: 1.0 });
    }
}
