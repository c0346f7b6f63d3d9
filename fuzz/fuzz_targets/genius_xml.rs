//! Fuzz target `genius_xml`: arbitrary bytes through the GENIUS XML readers,
//! the conversion into core utility functions (GENIUS and NegMAS rules) and,
//! for small spaces, a full analysis. Nothing may panic; errors are fine.
//!
//! The input is used twice:
//! 1. whole, as one file: `parse_any`, then `read_domain` or `read_profile`
//!    according to the root element;
//! 2. split at the first NUL byte (or halfway when there is none) into a
//!    domain text and a profile text, which go through the conversion path.
//!
//! Nothing is written to disk.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pactum_core::{
    analyze, AnalysisOptions, OutcomeSpace, Party, Scenario, Semantics, UtilityFunction,
};
use pactum_formats::convert::{self, negmas};
use pactum_formats::genius::{self, FileKind};
use std::path::Path;

/// Spaces larger than this are built but never enumerated.
const MAX_OUTCOMES: u64 = 10_000;

/// Grid points per real issue.
const REAL_STEPS: u32 = 3;

fuzz_target!(|data: &[u8]| {
    whole_file(data);
    domain_and_profile(data);
});

fn whole_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("fuzz.xml");
    let Ok((kind, root)) = genius::parse_any(file, text) else {
        return;
    };
    match kind {
        FileKind::Domain => {
            let _ = genius::read_domain(file, &root);
        }
        FileKind::Profile => {
            let _ = genius::read_profile(file, &root);
        }
        FileKind::Other => {}
    }
}

fn domain_and_profile(data: &[u8]) {
    let (d, p) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => data.split_at(data.len() / 2),
    };
    let (Ok(d), Ok(p)) = (std::str::from_utf8(d), std::str::from_utf8(p)) else {
        return;
    };
    let domain_file = Path::new("domain.xml");
    let profile_file = Path::new("profile.xml");
    // Both readers run whatever the root element is: a wrong root must be an
    // error, not a panic.
    let domain = genius::parse_any(domain_file, d)
        .and_then(|(_, root)| genius::read_domain(domain_file, &root));
    let profile = genius::parse_any(profile_file, p)
        .and_then(|(_, root)| genius::read_profile(profile_file, &root));
    let Ok(domain) = domain else { return };
    let space = convert::space(&domain, REAL_STEPS);
    let small = space.count().as_u64().is_some_and(|n| n <= MAX_OUTCOMES);
    let Ok(profile) = profile else {
        if small {
            let _ = space.radices();
        }
        return;
    };

    let mut warnings = Vec::new();
    let genius_ufun = convert::genius_ufun(&domain, &profile, &mut warnings);
    let model = negmas::model(&domain, &profile, &mut warnings);
    let rects = negmas::rectangles(&domain, &profile);
    if !small {
        // Everything below enumerates options or outcomes.
        return;
    }

    // Every ufun the conversion path can produce for this pair.
    let mut ufuns: Vec<(Semantics, UtilityFunction)> = Vec::new();
    if let Ok(u) = genius_ufun {
        ufuns.push((Semantics::Genius, u));
    }
    if let Ok(Some(u)) = rects {
        ufuns.push((Semantics::Negmas, u));
    }
    if let Ok(m) = model {
        let _ = m.extremes(&space);
        let r = profile.reservation;
        let disc = profile.discount;
        ufuns.push((Semantics::Negmas, m.clone().raw(&space, r, disc)));
        ufuns.push((
            Semantics::Negmas,
            m.clone().canonical(&space, r.unwrap_or(0.0), disc),
        ));
        ufuns.push((Semantics::Negmas, m.generic(&space, r, disc)));
    }

    for (_, u) in &ufuns {
        eval_all(&space, u);
    }
    for (semantics, u) in &ufuns {
        // One party, two parties (against itself) and three parties.
        for n in 1..=3 {
            let scenario = Scenario {
                name: "fuzz".into(),
                space: space.clone(),
                parties: (0..n)
                    .map(|k| Party {
                        name: format!("p{k}"),
                        ufun: u.clone(),
                    })
                    .collect(),
            };
            let _ = analyze(
                &scenario,
                &AnalysisOptions {
                    semantics: *semantics,
                    max_outcomes: MAX_OUTCOMES,
                },
            );
        }
    }
    // Mixed: the GENIUS reading against each NegMAS reading, under both rules.
    if let Some((_, g)) = ufuns.iter().find(|(s, _)| *s == Semantics::Genius) {
        for (_, u) in ufuns.iter().filter(|(s, _)| *s == Semantics::Negmas) {
            let scenario = Scenario {
                name: "fuzz".into(),
                space: space.clone(),
                parties: vec![
                    Party {
                        name: "genius".into(),
                        ufun: g.clone(),
                    },
                    Party {
                        name: "negmas".into(),
                        ufun: u.clone(),
                    },
                ],
            };
            for semantics in [Semantics::Genius, Semantics::Negmas] {
                let _ = analyze(
                    &scenario,
                    &AnalysisOptions {
                        semantics,
                        max_outcomes: MAX_OUTCOMES,
                    },
                );
            }
        }
    }
}

/// Evaluates `u` on every outcome of `space` (which is small).
fn eval_all(space: &OutcomeSpace, u: &UtilityFunction) {
    let Some(n) = space.count().as_u64() else {
        return;
    };
    let mut digits = vec![0u32; space.issues.len()];
    for k in 0..n {
        space.digits(k, &mut digits);
        let _ = u.eval(space, &digits);
        let _ = space.values(&digits);
    }
}
