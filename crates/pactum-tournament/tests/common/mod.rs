//! Where the shared scenarios and NegMAS oracles are, for tests.

use std::path::PathBuf;

/// `PACTUM_SCENARIOS`, else `../shared/scenarios` beside the repository.
/// Outside CI a missing folder skips the test (returns `None`); with
/// `CI=true` it fails, so CI can never pass without running these tests.
#[allow(dead_code)]
pub fn scenarios() -> Option<PathBuf> {
    let dir = match std::env::var_os("PACTUM_SCENARIOS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/scenarios"),
    };
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but the shared scenarios are missing at {} (set PACTUM_SCENARIOS)",
            dir.display()
        );
    } else {
        eprintln!(
            "skipping: no shared scenarios at {} (set PACTUM_SCENARIOS)",
            dir.display()
        );
        None
    }
}

/// The oracle folder: `PACTUM_ORACLE`, else `oracle/` beside the scenarios.
#[allow(dead_code)]
pub fn oracle() -> Option<PathBuf> {
    let dir = match std::env::var_os("PACTUM_ORACLE") {
        Some(p) => PathBuf::from(p),
        None => scenarios()?.join("../oracle"),
    };
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but the NegMAS oracle is missing at {}",
            dir.display()
        );
    } else {
        None
    }
}
