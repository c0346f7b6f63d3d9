//! A streaming Pareto frontier.
//!
//! Outcomes are offered one at a time in enumeration order; the set holds only
//! the current frontier, so memory is proportional to the frontier, never to
//! the outcome space. Comparisons are exact (as in NegMAS), and of several
//! outcomes with the same utility vector the first offered is kept, which
//! makes the result independent of thread count: chunks are merged in
//! enumeration order.

/// A point of utility space together with the outcome (enumeration index) that
/// reaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// One utility per party.
    pub utilities: Vec<f64>,
    /// Enumeration index of the outcome.
    pub outcome: u64,
}

/// The set of non-dominated utility vectors seen so far.
#[derive(Debug, Clone)]
pub struct Frontier {
    n: usize,
    /// Flat utilities, `n` per point. For two parties kept sorted by the first
    /// utility ascending (and so the second strictly descending).
    utils: Vec<f64>,
    outcomes: Vec<u64>,
}

impl Frontier {
    /// An empty frontier for `n` parties.
    pub fn new(n: usize) -> Self {
        Frontier {
            n,
            utils: Vec::new(),
            outcomes: Vec::new(),
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Whether no point has been kept.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// Offers an outcome's utility vector; returns whether it joined the frontier.
    /// Non-finite vectors must be filtered by the caller.
    #[inline]
    pub fn offer(&mut self, u: &[f64], outcome: u64) -> bool {
        debug_assert_eq!(u.len(), self.n);
        if self.n == 2 {
            self.offer2(u[0], u[1], outcome)
        } else {
            self.offer_n(u, outcome)
        }
    }

    /// Whether some point is at least `u` in every coordinate, so that every
    /// outcome whose utilities are all at most `u` would be refused. `hint`
    /// is a point to try first (the answer of the previous call, when
    /// callers ask about nearby vectors); it is updated to the covering point.
    #[inline]
    pub fn covers(&self, u: &[f64], hint: &mut usize) -> bool {
        let n = self.n;
        let len = self.outcomes.len();
        let at = |i: usize| &self.utils[n * i..n * i + n];
        if *hint < len && at(*hint).iter().zip(u).all(|(x, y)| x >= y) {
            return true;
        }
        if n == 2 {
            let pos = partition(len, |i| self.utils[2 * i] < u[0]);
            if pos < len && self.utils[2 * pos + 1] >= u[1] {
                *hint = pos;
                return true;
            }
            return false;
        }
        match (0..len).find(|&i| at(i).iter().zip(u).all(|(x, y)| x >= y)) {
            Some(i) => {
                *hint = i;
                true
            }
            None => false,
        }
    }

    fn offer2(&mut self, a: f64, b: f64, outcome: u64) -> bool {
        let len = self.outcomes.len();
        // First point whose first utility is >= a.
        let pos = partition(len, |i| self.utils[2 * i] < a);
        if pos < len && self.utils[2 * pos + 1] >= b {
            return false; // weakly dominated or tied by a point seen earlier
        }
        // Points the newcomer dominates: a run ending just before `pos` whose
        // second utility is <= b, plus the point at `pos` if it shares `a`.
        let mut end = pos;
        if pos < len && self.utils[2 * pos] == a {
            end = pos + 1;
        }
        let mut start = pos;
        while start > 0 && self.utils[2 * (start - 1) + 1] <= b {
            start -= 1;
        }
        if start == end {
            self.utils.splice(2 * start..2 * start, [a, b]);
            self.outcomes.insert(start, outcome);
        } else {
            self.utils.splice(2 * start..2 * end, [a, b]);
            self.outcomes.splice(start..end, [outcome]);
        }
        true
    }

    fn offer_n(&mut self, u: &[f64], outcome: u64) -> bool {
        let n = self.n;
        let len = self.outcomes.len();
        for i in 0..len {
            let p = &self.utils[n * i..n * i + n];
            if p.iter().zip(u).all(|(x, y)| x >= y) {
                // Move the dominator forward: dominated outcomes come in runs.
                if i > 0 {
                    self.swap(i, 0);
                }
                return false;
            }
        }
        let mut i = 0;
        while i < self.outcomes.len() {
            let p = &self.utils[n * i..n * i + n];
            if p.iter().zip(u).all(|(x, y)| x <= y) {
                self.swap_remove(i);
            } else {
                i += 1;
            }
        }
        self.utils.extend_from_slice(u);
        self.outcomes.push(outcome);
        true
    }

    fn swap(&mut self, i: usize, j: usize) {
        let n = self.n;
        for k in 0..n {
            self.utils.swap(n * i + k, n * j + k);
        }
        self.outcomes.swap(i, j);
    }

    fn swap_remove(&mut self, i: usize) {
        let n = self.n;
        let last = self.outcomes.len() - 1;
        if i != last {
            self.swap(i, last);
        }
        self.utils.truncate(n * last);
        self.outcomes.truncate(last);
    }

    /// Adds the points of a frontier built from outcomes that come *later* in
    /// enumeration order (ties keep this frontier's points).
    pub fn merge_later(&mut self, later: Frontier) {
        let n = self.n;
        // A 2-party frontier must be offered in enumeration order to keep
        // "first offered wins" for ties; order within `later` does not matter
        // for ties against `self`, and `later` holds no ties of its own.
        for (i, &o) in later.outcomes.iter().enumerate() {
            self.offer(&later.utils[n * i..n * i + n], o);
        }
    }

    /// The points, sorted ascending by utilities (lexicographically).
    pub fn into_points(self) -> Vec<Point> {
        let n = self.n;
        let mut pts: Vec<Point> = self
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, &o)| Point {
                utilities: self.utils[n * i..n * i + n].to_vec(),
                outcome: o,
            })
            .collect();
        sort_points(&mut pts);
        pts
    }
}

/// Sorts points ascending by utility vector, lexicographically, then by outcome.
pub fn sort_points(pts: &mut [Point]) {
    pts.sort_by(|a, b| {
        for (x, y) in a.utilities.iter().zip(&b.utilities) {
            match x.total_cmp(y) {
                std::cmp::Ordering::Equal => continue,
                o => return o,
            }
        }
        a.outcome.cmp(&b.outcome)
    });
}

/// The first index in `0..len` for which `pred` is false (pred must be
/// true on a prefix).
#[inline]
fn partition(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Whether `a` weakly dominates `b` (≥ everywhere, > somewhere).
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute(points: &[Vec<f64>]) -> Vec<(Vec<f64>, u64)> {
        let mut out: Vec<(Vec<f64>, u64)> = Vec::new();
        for (i, p) in points.iter().enumerate() {
            let dominated = points.iter().any(|q| dominates(q, p));
            let earlier_tie = points[..i].iter().any(|q| q == p);
            if !dominated && !earlier_tie {
                out.push((p.clone(), i as u64));
            }
        }
        out.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        out
    }

    fn grid_points(n: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
        // Small integer grids make ties and equal coordinates common.
        prop::collection::vec(prop::collection::vec(0u8..6, n), 0..80).prop_map(|v| {
            v.into_iter()
                .map(|p| p.into_iter().map(f64::from).collect())
                .collect()
        })
    }

    fn check(points: Vec<Vec<f64>>, n: usize, split: usize) {
        let split = split.min(points.len());
        let mut a = Frontier::new(n);
        for (i, p) in points[..split].iter().enumerate() {
            a.offer(p, i as u64);
        }
        let mut b = Frontier::new(n);
        for (i, p) in points[split..].iter().enumerate() {
            b.offer(p, (split + i) as u64);
        }
        a.merge_later(b);
        let got: Vec<(Vec<f64>, u64)> = a
            .into_points()
            .into_iter()
            .map(|p| (p.utilities, p.outcome))
            .collect();
        assert_eq!(got, brute(&points));
    }

    proptest! {
        #[test]
        fn two_party_frontier_equals_brute_force(points in grid_points(2), split in 0usize..80) {
            check(points, 2, split);
        }

        #[test]
        fn three_party_frontier_equals_brute_force(points in grid_points(3), split in 0usize..80) {
            check(points, 3, split);
        }

        #[test]
        fn four_party_frontier_equals_brute_force(points in grid_points(4), split in 0usize..80) {
            check(points, 4, split);
        }
    }
}
