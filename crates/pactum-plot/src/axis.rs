//! Axis extents and "nice" tick marks.

/// One axis of a panel: the extent shown and its ticks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    /// Smallest value shown.
    pub lo: f64,
    /// Largest value shown.
    pub hi: f64,
    /// Tick positions, at multiples of 1, 2 or 5 × 10^k.
    pub ticks: Vec<f64>,
    /// Decimals needed to tell the ticks apart.
    decimals: usize,
}

/// Fraction of the data span added on both sides so markers clear the frame.
const PAD: f64 = 0.04;

impl Axis {
    /// An axis showing `lo..=hi` with a little room on both sides.
    pub fn covering(lo: f64, hi: f64) -> Axis {
        let (lo, hi) = if !(lo.is_finite() && hi.is_finite()) || hi < lo {
            (0.0, 1.0)
        } else if hi == lo {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        };
        let pad = (hi - lo) * PAD;
        let (lo, hi) = (lo - pad, hi + pad);
        let step = nice_step((hi - lo) / 5.0);
        let first = (lo / step - 1e-9).ceil() as i64;
        let last = (hi / step + 1e-9).floor() as i64;
        let ticks = (first..=last)
            .map(|k| {
                let t = k as f64 * step;
                if t.abs() < step * 1e-9 {
                    0.0
                } else {
                    t
                }
            })
            .collect();
        let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
        Axis {
            lo,
            hi,
            ticks,
            decimals,
        }
    }

    /// Where `v` lies between `lo` (0) and `hi` (1).
    pub fn frac(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }

    /// Whether `v` is finite and shown.
    pub fn contains(&self, v: f64) -> bool {
        v.is_finite() && v >= self.lo && v <= self.hi
    }

    /// A tick's label.
    pub fn label(&self, t: f64) -> String {
        format!("{:.*}", self.decimals, t)
    }
}

/// The smallest of 1, 2, 5 or 10 × 10^k not far below `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_range_gets_tenths_or_fifths() {
        let a = Axis::covering(0.0, 1.0);
        let labels: Vec<String> = a.ticks.iter().map(|&t| a.label(t)).collect();
        assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert!(a.lo < 0.0 && a.hi > 1.0);
    }

    #[test]
    fn large_and_degenerate_ranges() {
        let a = Axis::covering(0.0, 730.0);
        assert!(a.ticks.contains(&200.0));
        assert_eq!(a.label(200.0), "200");
        let d = Axis::covering(0.3, 0.3);
        assert!(d.contains(0.3));
        let bad = Axis::covering(f64::INFINITY, f64::NEG_INFINITY);
        assert_eq!((bad.lo < 0.0, bad.hi > 1.0), (true, true));
    }
}
