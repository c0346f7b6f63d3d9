//! Test support shared by pactum's crates (a dev-dependency only).
//!
//! Tests that read the shared ANAC scenarios or NegMAS's oracle files find
//! them here, with one rule: outside CI a missing folder skips the test
//! (the functions return `None` and say so on stderr); with `CI=true` it
//! fails, so CI can never pass without running those tests. The scenario
//! files themselves stay outside the project.
//!
//! With the feature `db`, the module `db` gives the store's and the server's suites
//! their test databases under the same rule; the feature is off for the
//! crates that need no store, so their tests do not build one.

use std::path::PathBuf;

#[cfg(feature = "db")]
pub mod db;

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The shared scenarios: `PACTUM_SCENARIOS`, else `../shared/scenarios`
/// beside the repository.
pub fn scenarios() -> Option<PathBuf> {
    let dir = match std::env::var_os("PACTUM_SCENARIOS") {
        Some(p) => PathBuf::from(p),
        // This crate sits at crates/pactum-testkit, two levels below the root.
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/scenarios"),
    };
    if dir.is_dir() {
        Some(dir)
    } else if ci() {
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

/// One scenario folder by its path relative to [`scenarios`], under the
/// same rule (a missing folder skips outside CI, fails in CI).
pub fn scenario(relative: &str) -> Option<PathBuf> {
    let dir = scenarios()?.join(relative);
    if dir.is_dir() {
        Some(dir)
    } else if ci() {
        panic!("CI=true but the scenario {} is missing", dir.display());
    } else {
        eprintln!("skipping: no scenario at {}", dir.display());
        None
    }
}

/// The NegMAS oracle folder: `PACTUM_ORACLE`, else `oracle/` beside the
/// scenarios.
pub fn oracle() -> Option<PathBuf> {
    let dir = match std::env::var_os("PACTUM_ORACLE") {
        Some(p) => PathBuf::from(p),
        None => scenarios()?.join("../oracle"),
    };
    if dir.is_dir() {
        Some(dir)
    } else if ci() {
        panic!(
            "CI=true but the NegMAS oracle is missing at {}",
            dir.display()
        );
    } else {
        eprintln!("skipping: no NegMAS oracle at {}", dir.display());
        None
    }
}
