//! pactum's core: outcome spaces, utility functions and exact analysis.
//!
//! The key design decision is that analysis *streams*: outcomes are
//! enumerated as option-index odometers, each party's utility is a running
//! prefix sum over precomputed `weight·value` tables, and only the Pareto
//! frontier is kept. Memory therefore depends on the frontier, not on the
//! size of the space, and the floating-point order of every sum is fixed, so
//! results are bit-identical across thread counts and match NegMAS's own
//! left-to-right sums.
//!
//! The crate does no I/O: file formats live in `pactum-formats`, and nothing
//! here can fail for an I/O reason.
//!
//! ```
//! use pactum_core::{analyze, AnalysisOptions, Issue, OutcomeSpace, Party, Scenario,
//!     UtilityFunction, LinearAdditive, Term, ValueFunction};
//!
//! let space = OutcomeSpace::new(vec![Issue::discrete("price", vec!["low".into(), "high".into()])]);
//! let ufun = |t: Vec<f64>| UtilityFunction {
//!     additive: LinearAdditive { bias: 0.0, terms: vec![Term { weight: 1.0, value: ValueFunction::Table(t) }] },
//!     ..Default::default()
//! };
//! let scenario = Scenario {
//!     name: "toy".into(),
//!     space,
//!     parties: vec![
//!         Party { name: "buyer".into(), ufun: ufun(vec![1.0, 0.0]) },
//!         Party { name: "seller".into(), ufun: ufun(vec![0.0, 1.0]) },
//!     ],
//! };
//! let analysis = analyze(&scenario, &AnalysisOptions::default()).unwrap();
//! assert_eq!(analysis.pareto.len(), 2); // both outcomes are Pareto-optimal
//! ```

#![deny(missing_docs)]

pub mod analysis;
pub mod normalize;
pub mod outcome;
pub mod pareto;
pub mod scenario;
pub mod ufun;
pub mod zone;

pub use analysis::{analyze, Analysis, AnalysisError, AnalysisOptions, Kernel, Semantics};
pub use outcome::{Issue, IssueKind, OutcomeCount, OutcomeSpace, Value};
pub use pareto::{Frontier, Point};
pub use scenario::{Party, Scenario};
pub use ufun::{
    Affine, Aggregation, Bounds, HyperRectangle, LinearAdditive, Range, RectangleUtility, Term,
    UtilityFunction, ValueFunction,
};
pub use zone::{zone, IssueShare, NotAdditive, PartyShare, Zone, ZoneOptions};
