//! Pictures of an analysis in utility space: every outcome, the Pareto
//! frontier, the bargaining solutions, the disagreement point and the
//! reservation values, as SVG or PNG.
//!
//! The key design decision is that the outcome cloud is a *density grid*,
//! never a list of points. A space can hold 10^7 outcomes or more, and the
//! analysis deliberately keeps only the frontier, so the plot makes a second
//! streaming pass with the same [`pactum_core::Kernel`] and drops each
//! outcome into a cell of a fixed grid per panel (at most [`GRID`] cells a
//! side, fewer for small panels so a cell stays about 3 px wide). Memory
//! and file size are bounded by the grid, not by the space; occupied cells
//! are drawn as small grey squares shaded by a log scale of their counts.
//!
//! The SVG is written by hand (plain elements and presentation attributes,
//! no scripting, CSS or external resources), and PNG is that same SVG
//! rasterised with `resvg` using the system's fonts, so both formats show
//! exactly the same picture and nothing touches the network.
//!
//! Two parties give one panel; three or more give a scatter-plot matrix with
//! one panel per pair of parties `i < j`, each the projection of the same
//! data onto those two parties (the frontier's projection is drawn as
//! markers only, since it is no longer a curve).
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
//! let svg = pactum_plot::analysis_svg(&scenario, &analysis, "toy");
//! assert!(svg.contains("Pareto frontier"));
//! ```

#![deny(missing_docs)]

mod axis;
mod density;
mod draw;

pub use density::GRID;

use pactum_core::{Analysis, Scenario};
use resvg::{tiny_skia, usvg};

/// Why an SVG could not be turned into a PNG.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The SVG did not parse.
    #[error("the SVG could not be parsed: {0}")]
    Svg(#[from] usvg::Error),
    /// The picture is empty or too large to rasterise.
    #[error("cannot rasterise a {width}×{height} pixel picture")]
    Size {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Draws `analysis` of `scenario` in utility space as an SVG document.
///
/// Makes one streaming pass over the outcome space (in parallel, on the
/// current rayon pool) to bin outcomes; memory is bounded by the grid.
/// `scenario` must be the scenario that was analysed. `title` is plain text
/// (it is escaped here).
pub fn analysis_svg(scenario: &Scenario, analysis: &Analysis, title: &str) -> String {
    draw::render(scenario, analysis, title)
}

/// A sequence of points in utility space drawn over the picture, such as
/// one negotiator's offers in a negotiation.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Shown in the panel's corner.
    pub label: String,
    /// One utility per party, in order.
    pub points: Vec<Vec<f64>>,
}

/// [`analysis_svg`] with `tracks` overlaid on every panel (at most four
/// colours, then they repeat): how offers moved relative to the frontier.
pub fn trace_svg(
    scenario: &Scenario,
    analysis: &Analysis,
    title: &str,
    tracks: &[Track],
) -> String {
    draw::render_with(scenario, analysis, title, tracks)
}

/// Largest PNG [`svg_to_png`] makes, in pixels (about 64 MB of pixmap).
pub const MAX_PNG_PIXELS: f64 = 16e6;

/// Largest PNG [`svg_to_png_scaled`] agrees to make, in pixels.
const HARD_MAX_PNG_PIXELS: f64 = 256e6;

/// Rasterises an SVG (such as [`analysis_svg`]'s) to PNG at twice its size,
/// for sharp text on high-density screens, or smaller where that would
/// exceed [`MAX_PNG_PIXELS`].
///
/// Text uses the system's fonts; where none are installed it is left out.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>, PlotError> {
    rasterise(svg, |area| (MAX_PNG_PIXELS / area).sqrt().min(2.0))
}

/// Rasterises an SVG to PNG, `scale` pixels per SVG unit.
///
/// Text uses the system's fonts; where none are installed it is left out.
pub fn svg_to_png_scaled(svg: &str, scale: f64) -> Result<Vec<u8>, PlotError> {
    rasterise(svg, |_| scale)
}

/// Parses with the system's fonts, then renders at the scale `scale` picks
/// for the SVG's area (in square units).
fn rasterise(svg: &str, scale: impl FnOnce(f64) -> f64) -> Result<Vec<u8>, PlotError> {
    let mut options = usvg::Options::default();
    load_fonts(options.fontdb_mut());
    options.font_family = options
        .fontdb
        .family_name(&usvg::fontdb::Family::SansSerif)
        .to_string();
    let tree = usvg::Tree::from_str(svg, &options)?;
    let size = tree.size();
    let (w, h) = (f64::from(size.width()), f64::from(size.height()));
    let scale = scale(w * h);
    let (width, height) = ((w * scale).ceil(), (h * scale).ceil());
    // NaN (a bad scale) counts as too large.
    let fits = (width * height).is_finite() && width * height <= HARD_MAX_PNG_PIXELS;
    let (width, height) = (width as u32, height as u32);
    let mut pixmap = fits
        .then(|| tiny_skia::Pixmap::new(width, height))
        .flatten()
        .ok_or(PlotError::Size { width, height })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let scale = scale as f32;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PlotError::Png(e.to_string()))
}

/// Loads the system's fonts and points the generic families at an installed
/// one: otherwise text would fall back to "Times New Roman" and, where that
/// is missing, to nothing.
fn load_fonts(db: &mut usvg::fontdb::Database) {
    db.load_system_fonts();
    let installed = |db: &usvg::fontdb::Database, name: &str| {
        db.faces()
            .any(|f| f.families.iter().any(|(family, _)| family == name))
    };
    let sans = db.family_name(&usvg::fontdb::Family::SansSerif).to_string();
    if installed(db, &sans) {
        return;
    }
    let preferred = [
        "DejaVu Sans",
        "Liberation Sans",
        "Noto Sans",
        "FreeSans",
        "Arial",
        "Helvetica",
    ];
    let any = db
        .faces()
        .next()
        .and_then(|f| f.families.first())
        .map(|(n, _)| n.clone());
    if let Some(name) = preferred
        .iter()
        .find(|n| installed(db, n))
        .map(|n| n.to_string())
        .or(any)
    {
        db.set_sans_serif_family(name.clone());
        db.set_serif_family(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pactum_core::{
        analyze, AnalysisOptions, Issue, LinearAdditive, OutcomeSpace, Party, Term,
        UtilityFunction, ValueFunction,
    };
    use quick_xml::events::Event;

    fn ufun(weights: [f64; 2], a: Vec<f64>, b: Vec<f64>, reservation: f64) -> UtilityFunction {
        UtilityFunction {
            additive: LinearAdditive {
                bias: 0.0,
                terms: vec![
                    Term {
                        weight: weights[0],
                        value: ValueFunction::Table(a),
                    },
                    Term {
                        weight: weights[1],
                        value: ValueFunction::Table(b),
                    },
                ],
            },
            reservation: Some(reservation),
            ..Default::default()
        }
    }

    /// Two issues of 5 and 4 options; `parties` of them with opposed tastes.
    fn scenario(parties: usize) -> Scenario {
        let space = OutcomeSpace::new(vec![
            Issue::discrete("price", (0..5).map(|k| format!("p{k}")).collect()),
            Issue::integer("delivery", 1, 4),
        ]);
        let up5 = vec![0.0, 0.25, 0.5, 0.75, 1.0];
        let down5: Vec<f64> = up5.iter().rev().copied().collect();
        let up4 = vec![0.0, 0.4, 0.7, 1.0];
        let down4: Vec<f64> = up4.iter().rev().copied().collect();
        let all = [
            Party {
                name: "buyer <A&B>".into(),
                ufun: ufun([0.6, 0.4], down5.clone(), up4.clone(), 0.2),
            },
            Party {
                name: "seller".into(),
                ufun: ufun([0.7, 0.3], up5.clone(), down4.clone(), 0.3),
            },
            Party {
                name: "mediator".into(),
                ufun: ufun([0.5, 0.5], vec![0.2, 1.0, 0.6, 0.1, 0.0], up4, 0.1),
            },
        ];
        Scenario {
            name: "toy".into(),
            space,
            parties: all[..parties].to_vec(),
        }
    }

    fn svg_for(parties: usize) -> (Scenario, Analysis, String) {
        let s = scenario(parties);
        let a = analyze(&s, &AnalysisOptions::default()).unwrap();
        let svg = analysis_svg(&s, &a, "Toy \"deal\" & co");
        (s, a, svg)
    }

    /// Parses the whole document (balanced tags, valid entities and
    /// attributes) and counts the panels.
    fn check_xml(svg: &str) -> usize {
        let mut reader = quick_xml::Reader::from_str(svg);
        reader.config_mut().check_end_names = true;
        let mut panels = 0;
        let mut depth = 0i64;
        let mut roots = 0;
        loop {
            let event = reader.read_event().expect("well-formed XML");
            let (start, opens) = match &event {
                Event::Eof => break,
                Event::Start(e) => (e.clone(), true),
                Event::Empty(e) => (e.clone(), false),
                Event::End(_) => {
                    depth -= 1;
                    assert!(depth >= 0, "unbalanced end tag");
                    continue;
                }
                Event::GeneralRef(r) => {
                    let name = r.decode().unwrap();
                    assert!(
                        ["amp", "lt", "gt", "quot", "apos"].contains(&name.as_ref())
                            || name.starts_with('#'),
                        "unknown entity &{name};"
                    );
                    continue;
                }
                _ => continue,
            };
            if depth == 0 {
                assert_eq!(start.name().as_ref(), b"svg", "the root is <svg>");
                roots += 1;
            }
            for attr in start.attributes().with_checks(true) {
                let attr = attr.expect("well-formed attribute");
                attr.unescape_value().expect("valid escapes in attribute");
                if attr.key.as_ref() == b"class" && attr.value.as_ref() == b"panel" {
                    panels += 1;
                }
            }
            if opens {
                depth += 1;
            }
        }
        assert_eq!(roots, 1, "a single root element");
        assert_eq!(depth, 0, "balanced tags");
        panels
    }

    #[test]
    fn two_parties_one_panel_with_legend() {
        let (_, a, svg) = svg_for(2);
        assert_eq!(check_xml(&svg), 1);
        for label in [
            "outcomes (20)",
            "Pareto frontier",
            "Nash",
            "Kalai–Smorodinsky",
            "Kalai (egalitarian)",
            "max welfare",
            "disagreement point",
            "reservation values",
        ] {
            assert!(svg.contains(label), "legend lacks {label}");
        }
        assert!(svg.contains("buyer &lt;A&amp;B&gt;"), "names are escaped");
        assert!(
            svg.contains("Toy &quot;deal&quot; &amp; co"),
            "the title is escaped"
        );
        assert!(
            svg.contains("<polyline"),
            "two parties: the frontier is a line"
        );
        assert!(a.pareto.len() > 1);
    }

    #[test]
    fn three_parties_three_panels() {
        let (_, _, svg) = svg_for(3);
        assert_eq!(check_xml(&svg), 3);
        assert!(
            !svg.contains("<polyline"),
            "projected frontiers are markers only"
        );
        for label in [
            "Nash",
            "Kalai–Smorodinsky",
            "Kalai (egalitarian)",
            "max welfare",
            "mediator",
        ] {
            assert!(svg.contains(label));
        }
    }

    #[test]
    fn one_party_is_a_note_not_a_crash() {
        let (_, _, svg) = svg_for(1);
        assert_eq!(check_xml(&svg), 0);
        assert!(svg.contains("two parties or more"));
    }

    #[test]
    fn every_outcome_lands_in_a_cell() {
        let (s, a, _) = svg_for(3);
        let pairs = [(0, 1), (0, 2), (1, 2)];
        let d = density::density(&s, &a, &pairs, 50);
        for p in 0..pairs.len() {
            assert_eq!(d.grid(p).iter().sum::<u64>(), 20);
        }
    }

    #[test]
    fn png_has_signature_and_size() {
        let (_, _, svg) = svg_for(2);
        let png = svg_to_png(&svg).unwrap();
        assert!(png.len() > 1000);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height are twice the SVG's.
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert!(width > 1000 && height > 1000, "{width}×{height}");
    }

    #[test]
    fn png_size_is_capped() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="20000" height="20000"/>"#;
        assert!(matches!(
            svg_to_png_scaled(svg, 1.0),
            Err(PlotError::Size { .. })
        ));
        let small = r#"<svg xmlns="http://www.w3.org/2000/svg" width="3" height="2"/>"#;
        let png = svg_to_png_scaled(small, 1.0).unwrap();
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(width, 3);
    }

    #[test]
    fn bad_svg_is_an_error() {
        assert!(matches!(svg_to_png("<svg"), Err(PlotError::Svg(_))));
    }
}
