//! Loading a plan's scenarios once: the negotiation tables and the
//! geometry (Pareto frontier, Nash points) the metrics measure against.

use pactum_core::{analyze, AnalysisOptions};
use pactum_formats::{load_folder, LoadOptions};
use pactum_negotiate::PreparedScenario;
use rayon::prelude::*;

use crate::plan::Plan;
use crate::TournamentError;

/// Where a scenario's good outcomes are, in utility space.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Geometry {
    /// The Pareto frontier's utility vectors.
    pub frontier: Vec<[f64; 2]>,
    /// The Nash bargaining points' utility vectors.
    pub nash: Vec<[f64; 2]>,
}

impl Geometry {
    /// Euclidean distance from `p` to the nearest frontier point.
    pub fn frontier_distance(&self, p: [f64; 2]) -> f64 {
        nearest(&self.frontier, p)
    }

    /// Euclidean distance from `p` to the nearest Nash point.
    pub fn nash_distance(&self, p: [f64; 2]) -> f64 {
        nearest(&self.nash, p)
    }
}

fn nearest(points: &[[f64; 2]], p: [f64; 2]) -> f64 {
    points
        .iter()
        .map(|q| (q[0] - p[0]).hypot(q[1] - p[1]))
        .fold(f64::INFINITY, f64::min)
}

/// One scenario, ready to negotiate on.
#[derive(Debug)]
pub struct ReadyScenario {
    /// Its id (the `scenario` column).
    pub id: String,
    /// Profile file names, in file order (rotation 0 seats them so).
    pub profiles: Vec<String>,
    /// The negotiation tables.
    pub prepared: PreparedScenario,
    /// Frontier and Nash points.
    pub geometry: Geometry,
}

/// Loads and analyses every scenario of `plan`, in parallel on the current
/// rayon pool. Errors name the scenario (and, for file errors, file:line).
pub fn prepare(plan: &Plan) -> Result<Vec<ReadyScenario>, TournamentError> {
    plan.scenarios
        .par_iter()
        .map(|s| {
            let options = LoadOptions {
                semantics: plan.semantics,
                normalize: plan.normalize,
                ..LoadOptions::default()
            };
            let loaded = load_folder(&s.dir, &options)?;
            let parties = loaded.scenario.parties.len();
            if parties != 2 {
                return Err(TournamentError::NotBilateral {
                    scenario: s.id.clone(),
                    parties,
                });
            }
            let prepared =
                PreparedScenario::new(&loaded.scenario, plan.semantics).map_err(|source| {
                    TournamentError::Scenario {
                        scenario: s.id.clone(),
                        source,
                    }
                })?;
            let analysis = analyze(
                &loaded.scenario,
                &AnalysisOptions {
                    semantics: plan.semantics,
                    ..AnalysisOptions::default()
                },
            )
            .map_err(|source| TournamentError::Analysis {
                scenario: s.id.clone(),
                source,
            })?;
            let xy = |p: &pactum_core::Point| [p.utilities[0], p.utilities[1]];
            Ok(ReadyScenario {
                id: s.id.clone(),
                profiles: loaded.parties.iter().map(|p| p.profile.clone()).collect(),
                prepared,
                geometry: Geometry {
                    frontier: analysis.pareto.iter().map(xy).collect(),
                    nash: analysis.nash.iter().map(xy).collect(),
                },
            })
        })
        .collect()
}
