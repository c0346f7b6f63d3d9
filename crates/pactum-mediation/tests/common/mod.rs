//! The 3-party scenarios the mediation tests run on, and a brute-force optimum.

#[allow(unused_imports)]
pub use pactum_testkit::oracle;
use pactum_testkit::scenarios;

use pactum_core::{Scenario, Semantics};
use pactum_formats::{load_folder, LoadOptions, Normalize};

/// Every scenario folder directly under `anac/y2015` and `anac/y2016` with
/// exactly three profiles, loaded as the NegMAS oracle loads them (NegMAS
/// semantics, each ufun normalised to [0, 1] on its own), with its path
/// relative to the scenarios folder. Sorted by path.
#[allow(dead_code)]
pub fn three_party() -> Option<Vec<(String, Scenario)>> {
    let root = scenarios()?;
    let mut out = Vec::new();
    for year in ["anac/y2015", "anac/y2016"] {
        let mut dirs: Vec<_> = std::fs::read_dir(root.join(year))
            .unwrap_or_else(|e| panic!("{year}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let options = LoadOptions {
                semantics: Semantics::Negmas,
                normalize: Normalize::Independent,
                ..LoadOptions::default()
            };
            let loaded =
                load_folder(&dir, &options).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            if loaded.scenario.parties.len() == 3 {
                let name = format!("{year}/{}", dir.file_name().unwrap().to_string_lossy());
                out.push((name, loaded.scenario));
            }
        }
    }
    Some(out)
}

/// The largest welfare over every outcome, by brute force with each ufun
/// evaluated directly (not through the compiled tables mediation uses).
#[allow(dead_code)]
pub fn max_welfare(s: &Scenario) -> f64 {
    let n = s.space.count().as_u64().expect("small space");
    let mut digits = vec![0u32; s.space.issues.len()];
    let mut best = f64::NEG_INFINITY;
    for i in 0..n {
        s.space.digits(i, &mut digits);
        let w: f64 = s
            .parties
            .iter()
            .map(|p| p.ufun.eval(&s.space, &digits))
            .sum();
        best = best.max(w);
    }
    best
}
