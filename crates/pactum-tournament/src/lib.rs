//! Tournaments of negotiations: the NegMAS harness's shape, run in
//! parallel, streamed to a CSV file that is byte-identical whatever the
//! machine, the thread count or the sharding.
//!
//! The key design decision is that **the results file is the state**. Rows
//! carry a run number that fixes everything about a negotiation (which
//! scenario, rotation, pairing and repetition, and its seed `seed + run`),
//! rows are written in run order, and a small sidecar
//! (`results.csv.plan.json`) fingerprints the plan. So an interrupted run
//! resumes by reading the run numbers already written, a shard is just the
//! runs `K-1 mod N`, merging shards is a streaming merge by run number, and
//! the summary is always recomputed from the file, whichever way it was
//! made.
//!
//! ```no_run
//! use pactum_core::Semantics;
//! use pactum_formats::Normalize;
//! use pactum_negotiate::Registry;
//! use pactum_tournament::{prepare, run, summarize, Plan, ScenarioRef};
//! use std::path::Path;
//!
//! let plan = Plan {
//!     scenarios: vec![ScenarioRef::new(Path::new("scenarios/anac/y2010/Travel"), Some(Path::new("scenarios")))],
//!     negotiators: vec!["boulware".into(), "conceder".into()],
//!     steps: Some(100),
//!     time_limit: None,
//!     reps: 1,
//!     seed: 0,
//!     semantics: Semantics::Genius,
//!     normalize: Normalize::None,
//!     shard: None,
//! };
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
//! let ready = pool.install(|| prepare(&plan)).unwrap();
//! let out = Path::new("results.csv");
//! run(&plan, &ready, &Registry::builtin(), out, &pool, &()).unwrap();
//! let geometry = ready.iter().map(|s| (s.id.clone(), s.geometry.clone())).collect();
//! println!("{}", summarize(out, &plan, &geometry).unwrap().table());
//! ```

#![deny(missing_docs)]

pub mod csv;
pub mod merge;
pub mod plan;
pub mod prepare;
pub mod run;
pub mod summary;
pub mod svg;

use std::path::{Path, PathBuf};

pub use merge::merge;
pub use plan::{summary_path, Plan, RunSpec, ScenarioRef, Shard};
pub use prepare::{prepare, Geometry, ReadyScenario};
pub use run::{run, Progress, RunReport};
pub use summary::{summarize, NegotiatorSummary, Summary};
pub use svg::summary_svg;

/// Why a tournament could not run, resume or merge.
#[derive(Debug, thiserror::Error)]
pub enum TournamentError {
    /// A scenario file is bad (the error names file and line).
    #[error(transparent)]
    Format(#[from] pactum_formats::FormatError),
    /// A negotiator name is unknown (the error lists the available ones).
    #[error(transparent)]
    Negotiator(pactum_negotiate::NegotiationError),
    /// A scenario cannot be negotiated on.
    #[error("{scenario}: {source}")]
    Scenario {
        /// The scenario id.
        scenario: String,
        /// What is wrong.
        source: pactum_negotiate::NegotiationError,
    },
    /// A scenario cannot be analysed.
    #[error("{scenario}: {source}")]
    Analysis {
        /// The scenario id.
        scenario: String,
        /// What is wrong.
        source: pactum_core::AnalysisError,
    },
    /// Tournaments pair two negotiators, one per profile.
    #[error("{scenario} has {parties} parties; tournaments are bilateral (two profiles)")]
    NotBilateral {
        /// The scenario id.
        scenario: String,
        /// Its number of parties.
        parties: usize,
    },
    /// Something the plan needs is missing.
    #[error("a tournament needs at least one of: {0}")]
    Empty(&'static str),
    /// Neither steps nor a time limit.
    #[error("a tournament needs a step limit or a time limit")]
    NoLimit,
    /// `--shard` is not `K/N`.
    #[error("bad shard {0:?}: expected K/N with 1 <= K <= N, e.g. 1/4")]
    BadShard(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The sidecar is unreadable.
    #[error("{}: not a tournament plan: {why}", path.display())]
    BadSidecar {
        /// The sidecar file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The results file exists but no plan says what wrote it.
    #[error("{} exists but has no plan sidecar (.plan.json), so it cannot be resumed; remove it or choose another --out", path.display())]
    NotOurs {
        /// The results file.
        path: PathBuf,
    },
    /// The results file belongs to a different command.
    #[error("{} holds results of a different tournament ({differences}); rerun the command that wrote it, or choose another --out", path.display())]
    PlanMismatch {
        /// The results file.
        path: PathBuf,
        /// What differs.
        differences: String,
    },
    /// A results file is malformed.
    #[error("{}:{line}: {why}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// Shards of different tournaments.
    #[error("{} and {} are shards of different tournaments", a.display(), b.display())]
    MergeMismatch {
        /// One shard.
        a: PathBuf,
        /// Another.
        b: PathBuf,
    },
    /// The shards do not cover every run.
    #[error("the shards are missing {missing} runs, from run {first} (of {total}); are all shards given and finished?")]
    Incomplete {
        /// How many are missing (at least).
        missing: u64,
        /// The first missing run.
        first: u64,
        /// Runs in the tournament.
        total: u64,
    },
}

impl TournamentError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        TournamentError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
