//! The outcome cloud as fixed-size density grids.
//!
//! A second streaming pass over the outcome space (the same [`Kernel`] the
//! analysis uses) drops every outcome into one cell per panel. Memory is the
//! grids, never the outcomes: at most `pairs × GRID²` counters per worker
//! thread.

use pactum_core::{Analysis, Kernel, Scenario};
use rayon::prelude::*;

/// Cells per axis of the density grid of the largest panel (two parties).
/// Smaller panels use fewer cells, so that a cell stays about 3 px wide.
pub const GRID: usize = 160;

/// How one party's utilities map onto the cells of an axis.
///
/// The cells are centred so that the smallest and the largest utility each
/// sit in the middle of the first and last cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bins {
    /// Lower edge of the first cell.
    pub lo: f64,
    /// Upper edge of the last cell.
    pub hi: f64,
    /// Number of cells.
    pub cells: usize,
}

impl Bins {
    /// `cells` cells (at least 2) spanning a party's utility range (as the
    /// analysis found it).
    pub fn for_range((lo, hi): (f64, f64), cells: usize) -> Bins {
        let cells = cells.max(2);
        let (lo, hi) = if !(lo.is_finite() && hi.is_finite()) || hi < lo {
            // No finite utility at all: nothing will be binned.
            (0.0, 1.0)
        } else if hi == lo {
            (lo - 0.5, hi + 0.5)
        } else {
            let half = (hi - lo) / (2.0 * (cells - 1) as f64);
            (lo - half, hi + half)
        };
        Bins { lo, hi, cells }
    }

    /// The cell of a utility, or `None` for a non-finite one.
    #[inline]
    pub fn cell(&self, u: f64) -> Option<usize> {
        if !u.is_finite() {
            return None;
        }
        let t = (u - self.lo) / (self.hi - self.lo) * self.cells as f64;
        // `as` saturates (and maps NaN to 0), so this is a clamp to the grid.
        Some((t.max(0.0) as usize).min(self.cells - 1))
    }

    /// The lower edge of cell `k` (`k == cells` gives the upper edge of the last).
    pub fn edge(&self, k: usize) -> f64 {
        self.lo + (self.hi - self.lo) * k as f64 / self.cells as f64
    }
}

/// Per panel, how many outcomes fall in each cell.
#[derive(Debug, Clone)]
pub(crate) struct Density {
    /// One binning per party.
    pub bins: Vec<Bins>,
    /// Cells per axis (the same for every party).
    pub side: usize,
    /// `pairs.len()` grids of `side × side` counts, row-major with row `y`.
    counts: Vec<u64>,
}

impl Density {
    /// The grid of panel `p`: index `y * side + x`.
    pub fn grid(&self, p: usize) -> &[u64] {
        let cells = self.side * self.side;
        &self.counts[p * cells..(p + 1) * cells]
    }
}

/// Scans every outcome once and bins each pair's utilities into grids of
/// `side × side` cells (`side` is clamped to `2..=GRID`).
pub(crate) fn density(
    scenario: &Scenario,
    analysis: &Analysis,
    pairs: &[(usize, usize)],
    side: usize,
) -> Density {
    let side = side.clamp(2, GRID);
    let n = scenario.parties.len();
    let bins: Vec<Bins> = (0..n)
        .map(|i| {
            let range = analysis.ranges.get(i).copied();
            Bins::for_range(range.unwrap_or((f64::NAN, f64::NAN)), side)
        })
        .collect();
    let cells = side * side;
    let size = pairs.len() * cells;
    if pairs.is_empty() {
        return Density {
            bins,
            side,
            counts: Vec::new(),
        };
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
                            acc[p * cells + y * side + x] += 1;
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
    Density { bins, side, counts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_sit_in_the_middle_of_the_end_cells() {
        let b = Bins::for_range((0.2, 0.9), GRID);
        assert_eq!(b.cell(0.2), Some(0));
        assert_eq!(b.cell(0.9), Some(GRID - 1));
        let mid0 = (b.edge(0) + b.edge(1)) / 2.0;
        assert!((mid0 - 0.2).abs() < 1e-12);
        let mid_last = (b.edge(GRID - 1) + b.edge(GRID)) / 2.0;
        assert!((mid_last - 0.9).abs() < 1e-12);
    }

    #[test]
    fn degenerate_and_missing_ranges_still_bin() {
        let b = Bins::for_range((0.5, 0.5), GRID);
        assert_eq!(b.cell(0.5), Some(GRID / 2));
        assert_eq!(b.cell(f64::NEG_INFINITY), None);
        assert_eq!(b.cell(f64::NAN), None);
        let none = Bins::for_range((f64::INFINITY, f64::NEG_INFINITY), 7);
        assert_eq!((none.lo, none.hi, none.cells), (0.0, 1.0, 7));
    }
}
