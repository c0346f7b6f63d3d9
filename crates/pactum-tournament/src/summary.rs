//! Per-negotiator figures, computed from a results file (so a run, a
//! resumed run and a merge of shards all summarise the same way).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde::Serialize;

use crate::csv::{self, parse_py_float};
use crate::plan::Plan;
use crate::prepare::Geometry;
use crate::TournamentError;

/// One negotiator's figures over every seat it took (self-play counts
/// twice: once per seat).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NegotiatorSummary {
    /// Its name.
    pub name: String,
    /// Seats it took.
    pub negotiations: u64,
    /// Mean of its own utility.
    pub mean_utility: f64,
    /// Median of its own utility.
    pub median_utility: f64,
    /// Share of its negotiations that ended in agreement.
    pub agreement_rate: f64,
    /// Mean sum of both parties' utilities.
    pub mean_welfare: f64,
    /// Mean Euclidean distance in utility space from the result to the
    /// nearest Pareto-optimal outcome.
    pub mean_pareto_distance: f64,
    /// Mean distance from the result to the nearest Nash point.
    pub mean_nash_distance: f64,
    /// Mean rounds (the `steps` column).
    pub mean_rounds: f64,
}

/// A tournament's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Rows in the results file.
    pub negotiations: u64,
    /// Of those, agreements.
    pub agreements: u64,
    /// Per negotiator, in the plan's order.
    pub negotiators: Vec<NegotiatorSummary>,
}

#[derive(Default)]
struct Acc {
    own: Vec<f64>,
    agreements: u64,
    welfare: f64,
    pareto: f64,
    nash: f64,
    rounds: f64,
}

/// A utility as the metrics use it: a result without agreement reports the
/// reserved value, which NegMAS makes −∞ for discounted ufuns; that would
/// turn every mean into −∞, so non-finite values count as 0, the bottom of
/// the normalised range.
fn finite(u: f64) -> f64 {
    if u.is_finite() {
        u
    } else {
        0.0
    }
}

/// Summarises the results file `path` of `plan`, measuring distances
/// against each scenario's geometry (keyed by scenario id).
///
/// Keeps one float per seat for the medians; everything else streams.
pub fn summarize(
    path: &Path,
    plan: &Plan,
    geometry: &HashMap<String, Geometry>,
) -> Result<Summary, TournamentError> {
    let file = File::open(path).map_err(|e| TournamentError::io(path, e))?;
    let mut reader = BufReader::new(file);
    let index: HashMap<&str, usize> = plan
        .negotiators
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut acc: Vec<Acc> = plan.negotiators.iter().map(|_| Acc::default()).collect();
    let (mut rows, mut agreements) = (0u64, 0u64);
    let mut line = 0usize;
    let corrupt = |line: usize, why: &str| TournamentError::Corrupt {
        path: path.to_path_buf(),
        line,
        why: why.to_string(),
    };
    loop {
        let rec = csv::read_record(&mut reader).map_err(|e| TournamentError::io(path, e))?;
        let rec = match rec {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(_) => return Err(corrupt(line + 1, "the last row is cut short")),
        };
        line += 1;
        if line == 1 {
            continue;
        }
        let f = &rec.fields;
        if f.len() != csv::COLUMNS.len() {
            return Err(corrupt(line, "wrong number of columns"));
        }
        let seat = |col: usize| {
            index
                .get(f[col].as_str())
                .copied()
                .ok_or_else(|| corrupt(line, "unknown negotiator"))
        };
        let (a, b) = (seat(4)?, seat(5)?);
        let u = [
            finite(parse_py_float(&f[10]).ok_or_else(|| corrupt(line, "bad utility"))?),
            finite(parse_py_float(&f[11]).ok_or_else(|| corrupt(line, "bad utility"))?),
        ];
        let agreed = f[8] == "yes";
        let steps: f64 = f[12].parse().map_err(|_| corrupt(line, "bad steps"))?;
        let geo = geometry
            .get(f[2].as_str())
            .ok_or_else(|| corrupt(line, "scenario not in the plan"))?;
        let (pd, nd) = (geo.frontier_distance(u), geo.nash_distance(u));
        rows += 1;
        agreements += u64::from(agreed);
        for (k, who) in [a, b].into_iter().enumerate() {
            let s = &mut acc[who];
            s.own.push(u[k]);
            s.agreements += u64::from(agreed);
            s.welfare += u[0] + u[1];
            s.pareto += pd;
            s.nash += nd;
            s.rounds += steps;
        }
    }
    let negotiators = plan
        .negotiators
        .iter()
        .zip(acc)
        .map(|(name, mut s)| {
            let n = s.own.len() as f64;
            let mean = |x: f64| if n > 0.0 { x / n } else { f64::NAN };
            s.own.sort_by(f64::total_cmp);
            let median = match s.own.len() {
                0 => f64::NAN,
                k if k % 2 == 1 => s.own[k / 2],
                k => (s.own[k / 2 - 1] + s.own[k / 2]) / 2.0,
            };
            NegotiatorSummary {
                name: name.clone(),
                negotiations: s.own.len() as u64,
                mean_utility: mean(s.own.iter().sum()),
                median_utility: median,
                agreement_rate: mean(s.agreements as f64),
                mean_welfare: mean(s.welfare),
                mean_pareto_distance: mean(s.pareto),
                mean_nash_distance: mean(s.nash),
                mean_rounds: mean(s.rounds),
            }
        })
        .collect();
    Ok(Summary {
        negotiations: rows,
        agreements,
        negotiators,
    })
}

impl Summary {
    /// A fixed-width table for the terminal.
    pub fn table(&self) -> String {
        let w = self
            .negotiators
            .iter()
            .map(|n| n.name.len())
            .max()
            .unwrap_or(0)
            .max("negotiator".len());
        let mut out = format!(
            "{:<w$}  {:>6}  {:>9}  {:>8}  {:>9}  {:>8}  {:>9}  {:>9}  {:>6}\n",
            "negotiator",
            "seats",
            "mean util",
            "median",
            "agreement",
            "welfare",
            "d(pareto)",
            "d(nash)",
            "rounds"
        );
        for n in &self.negotiators {
            out.push_str(&format!(
                "{:<w$}  {:>6}  {:>9.4}  {:>8.4}  {:>8.1}%  {:>8.4}  {:>9.4}  {:>9.4}  {:>6.1}\n",
                n.name,
                n.negotiations,
                n.mean_utility,
                n.median_utility,
                100.0 * n.agreement_rate,
                n.mean_welfare,
                n.mean_pareto_distance,
                n.mean_nash_distance,
                n.mean_rounds
            ));
        }
        out
    }
}
