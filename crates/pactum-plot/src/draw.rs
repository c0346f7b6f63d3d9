//! The SVG itself, written by hand.
//!
//! Everything is drawn in absolute pixel coordinates with presentation
//! attributes only (no CSS, no `<use>`), which every viewer and `resvg`
//! render the same way.

use std::collections::HashSet;
use std::fmt::Write;

use pactum_core::{Analysis, Point, Scenario};

use crate::axis::Axis;
use crate::density::{density, Bins};

/// Font stack: the first fonts are the ones commonly installed on Linux, so
/// the PNG renderer and browsers pick the same face.
const FONT: &str = "DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif";
/// Colour of the Pareto frontier.
const FRONTIER: &str = "#1f77b4";
/// Outcome cells, from one outcome per cell to the densest cell.
const SHADES: [&str; 6] = [
    "#d2d2d2", "#c2c2c2", "#b2b2b2", "#a2a2a2", "#929292", "#828282",
];
/// Target width of a density cell in pixels.
const CELL_PX: f64 = 2.875;
/// Counts below this never reach the darkest shade, so sparse spaces are not
/// shaded by the accident of two outcomes sharing a cell.
const DENSE: f64 = 64.0;
/// How far each cell's rectangle overlaps its right and lower neighbours,
/// so that anti-aliasing leaves no hairline seams between them.
const OVERLAP: f64 = 0.3;
/// In a sparse cloud (few occupied cells) each cell is drawn at least this
/// wide, centred on the cell, so that isolated outcomes stay visible.
const SPARSE_PX: f64 = 4.5;
/// Reservation lines.
const RESERVATION: &str = "#707070";
/// Parties beyond this many get no panels (a matrix of 8 is already 28
/// panels); the subtitle says so.
pub(crate) const MAX_PARTIES: usize = 8;
/// Longest party name shown on an axis before it is shortened.
const MAX_NAME: usize = 40;

/// Marker shapes; stroke-only and of different sizes, so coinciding
/// solutions stay visible on top of each other.
#[derive(Clone, Copy)]
enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
}

/// The four bargaining solutions: legend label, colour, shape.
const SOLUTIONS: [(&str, &str, Shape); 4] = [
    ("Nash", "#d62728", Shape::Circle),
    ("Kalai–Smorodinsky", "#2ca02c", Shape::Square),
    ("Kalai (egalitarian)", "#9467bd", Shape::Triangle),
    ("max welfare", "#ff7f0e", Shape::Diamond),
];

fn solution_points(analysis: &Analysis) -> [&[Point]; 4] {
    [
        &analysis.nash,
        &analysis.kalai_smorodinsky,
        &analysis.kalai,
        &analysis.max_welfare,
    ]
}

/// One panel's plot area (pixels) and the parties on its axes.
struct Frame {
    x: f64,
    y: f64,
    size: f64,
    i: usize,
    j: usize,
}

struct Layout {
    width: f64,
    height: f64,
    frames: Vec<Frame>,
    legend: (f64, f64),
}

/// Height reserved for the title and subtitle.
const HEAD: f64 = 66.0;

fn layout(n: usize) -> Layout {
    if n == 2 {
        let (x, y, size) = (84.0, HEAD + 12.0, 460.0);
        return Layout {
            width: x + size + 24.0 + 200.0,
            height: y + size + 60.0,
            frames: vec![Frame {
                x,
                y,
                size,
                i: 0,
                j: 1,
            }],
            legend: (x + size + 24.0, y),
        };
    }
    if n < 2 {
        return Layout {
            width: 640.0,
            height: 160.0,
            frames: Vec::new(),
            legend: (0.0, 0.0),
        };
    }
    // A scatter-plot matrix: the panel of parties i < j sits in column i and
    // row j - 1; the empty upper-right corner holds the legend.
    let k = (n - 1) as f64;
    let size = (780.0 / k).clamp(170.0, 260.0);
    let (left, top, right, bottom) = (84.0, 12.0, 24.0, 60.0);
    let (sw, sh) = (left + size + right, top + size + bottom);
    let mut frames = Vec::new();
    for j in 1..n {
        for i in 0..j {
            frames.push(Frame {
                x: i as f64 * sw + left,
                y: HEAD + (j - 1) as f64 * sh + top,
                size,
                i,
                j,
            });
        }
    }
    Layout {
        width: (k * sw).max(2.0 * sw) + 8.0,
        height: HEAD + k * sh + 4.0,
        frames,
        legend: ((k - 1.0).max(1.0) * sw + left, HEAD + top),
    }
}

/// The axis of party `i`: its utility range plus its disagreement value.
fn party_axis(analysis: &Analysis, i: usize) -> Axis {
    let (mut lo, mut hi) = analysis
        .ranges
        .get(i)
        .copied()
        .unwrap_or((f64::NAN, f64::NAN));
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        (lo, hi) = (f64::INFINITY, f64::NEG_INFINITY);
    }
    if let Some(&d) = analysis.disagreement.get(i) {
        if d.is_finite() {
            lo = lo.min(d);
            hi = hi.max(d);
        }
    }
    Axis::covering(lo, hi)
}

/// What the panels drew, so the legend lists only what is there.
#[derive(Default)]
struct Drawn {
    disagreement: bool,
    reservation: bool,
}

/// The whole picture; see [`crate::analysis_svg`].
pub(crate) fn render(scenario: &Scenario, analysis: &Analysis, title: &str) -> String {
    render_with(scenario, analysis, title, &[])
}

/// Colours of overlaid tracks, in order (distinct from the solutions').
const TRACKS: [&str; 4] = ["#e6550d", "#3182bd", "#31a354", "#756bb1"];

/// The picture with `tracks` drawn over each panel; see [`crate::trace_svg`].
pub(crate) fn render_with(
    scenario: &Scenario,
    analysis: &Analysis,
    title: &str,
    tracks: &[crate::Track],
) -> String {
    let n = scenario.parties.len();
    let lay = layout(n.min(MAX_PARTIES));
    let pairs: Vec<(usize, usize)> = lay.frames.iter().map(|f| (f.i, f.j)).collect();
    let axes: Vec<Axis> = (0..n).map(|i| party_axis(analysis, i)).collect();
    let names: Vec<String> = scenario
        .parties
        .iter()
        .map(|p| shorten(&p.name, MAX_NAME))
        .collect();
    let side = lay.frames.first().map_or(2.0, |f| f.size / CELL_PX).round() as usize;
    let dens = density(scenario, analysis, &pairs, side);

    let mut body = String::with_capacity(1 << 16);
    let mut width = lay.width;
    if n >= 2 {
        let mut drawn = Drawn::default();
        for (p, f) in lay.frames.iter().enumerate() {
            let ctx = Panel {
                f,
                ax: &axes[f.i],
                ay: &axes[f.j],
                bx: dens.bins[f.i],
                by: dens.bins[f.j],
                xname: &names[f.i],
                yname: &names[f.j],
                line: n == 2,
            };
            ctx.draw(&mut body, dens.grid(p), analysis, &mut drawn);
            ctx.tracks(&mut body, tracks);
        }
        let right = legend(&mut body, lay.legend, analysis, n == 2, &drawn);
        width = width.max(right + 16.0);
    }

    let mut out = String::with_capacity(body.len() + 2048);
    let (w, h) = (width.ceil(), lay.height.ceil());
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="{FONT}">"#
    );
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{w:.0}" height="{h:.0}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="30" text-anchor="middle" font-size="18" font-weight="bold" fill="#222222">{}</text>"##,
        w / 2.0,
        esc(title)
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="51" text-anchor="middle" font-size="12" fill="#555555">{} outcomes · {} rational · {} on the Pareto frontier{}</text>"##,
        w / 2.0,
        group(analysis.outcomes),
        group(analysis.rational_outcomes),
        group(analysis.pareto.len() as u64),
        if n > MAX_PARTIES {
            format!(" · panels for the first {MAX_PARTIES} of {n} parties")
        } else {
            String::new()
        }
    );
    if n < 2 {
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="110" text-anchor="middle" font-size="14" fill="#555555">Utility space needs two parties or more; this scenario has {n}.</text>"##,
            w / 2.0
        );
    }
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

struct Panel<'a> {
    f: &'a Frame,
    ax: &'a Axis,
    ay: &'a Axis,
    bx: Bins,
    by: Bins,
    xname: &'a str,
    yname: &'a str,
    /// Connect the frontier (two parties) or show its projection as markers.
    line: bool,
}

impl Panel<'_> {
    fn px(&self, v: f64) -> f64 {
        self.f.x + self.ax.frac(v) * self.f.size
    }

    fn py(&self, v: f64) -> f64 {
        self.f.y + self.f.size - self.ay.frac(v) * self.f.size
    }

    /// The pixel position of a point's projection, if it is finite.
    fn project(&self, p: &Point) -> Option<(f64, f64)> {
        let (u, v) = (*p.utilities.get(self.f.i)?, *p.utilities.get(self.f.j)?);
        (u.is_finite() && v.is_finite()).then(|| (self.px(u), self.py(v)))
    }

    fn draw(&self, out: &mut String, grid: &[u64], analysis: &Analysis, drawn: &mut Drawn) {
        let Frame { x, y, size, i, j } = *self.f;
        let (bottom, right) = (y + size, x + size);
        let _ = writeln!(out, r#"<g class="panel" id="panel-{i}-{j}">"#);

        // Light grid lines.
        let _ = writeln!(out, r##"<g stroke="#ececec" stroke-width="1">"##);
        for &t in &self.ax.ticks {
            let px = self.px(t);
            let _ = writeln!(
                out,
                r#"<line x1="{px:.2}" y1="{y:.2}" x2="{px:.2}" y2="{bottom:.2}"/>"#
            );
        }
        for &t in &self.ay.ticks {
            let py = self.py(t);
            let _ = writeln!(
                out,
                r#"<line x1="{x:.2}" y1="{py:.2}" x2="{right:.2}" y2="{py:.2}"/>"#
            );
        }
        out.push_str("</g>\n");

        self.cells(out, grid);

        // Reservation lines.
        let mut lines = String::new();
        let r = &analysis.reservation_used;
        if let Some(&rx) = r.get(i).filter(|&&v| self.ax.contains(v)) {
            let px = self.px(rx);
            let _ = writeln!(
                lines,
                r#"<line x1="{px:.2}" y1="{y:.2}" x2="{px:.2}" y2="{bottom:.2}"/>"#
            );
        }
        if let Some(&ry) = r.get(j).filter(|&&v| self.ay.contains(v)) {
            let py = self.py(ry);
            let _ = writeln!(
                lines,
                r#"<line x1="{x:.2}" y1="{py:.2}" x2="{right:.2}" y2="{py:.2}"/>"#
            );
        }
        if !lines.is_empty() {
            drawn.reservation = true;
            let _ = writeln!(
                out,
                r#"<g stroke="{RESERVATION}" stroke-width="1.2" stroke-dasharray="6 4">"#
            );
            out.push_str(&lines);
            out.push_str("</g>\n");
        }

        self.frontier(out, &analysis.pareto);

        for ((_, colour, shape), points) in SOLUTIONS.iter().zip(solution_points(analysis)) {
            let mut seen = HashSet::new();
            let _ = writeln!(out, r#"<g fill="none" stroke="{colour}" stroke-width="2">"#);
            for (px, py) in points.iter().filter_map(|p| self.project(p)) {
                if seen.insert(pixel_key(px, py)) {
                    marker(out, *shape, px, py);
                }
            }
            out.push_str("</g>\n");
        }

        let d = &analysis.disagreement;
        if let (Some(&dx), Some(&dy)) = (d.get(i), d.get(j)) {
            if self.ax.contains(dx) && self.ay.contains(dy) {
                drawn.disagreement = true;
                let _ = writeln!(
                    out,
                    r##"<g fill="none" stroke="#111111" stroke-width="2.2">"##
                );
                marker(out, Shape::Cross, self.px(dx), self.py(dy));
                out.push_str("</g>\n");
            }
        }

        self.axes(out);
        out.push_str("</g>\n");
    }

    /// Overlaid tracks: a thin line through each track's points in order,
    /// a dot per point, its last point ringed; labels at the panel's top left.
    fn tracks(&self, out: &mut String, tracks: &[crate::Track]) {
        let Frame { x, y, i, j, .. } = *self.f;
        for (t, track) in tracks.iter().enumerate() {
            let colour = TRACKS[t % TRACKS.len()];
            let pts: Vec<(f64, f64)> = track
                .points
                .iter()
                .filter_map(|u| {
                    let (a, b) = (*u.get(i)?, *u.get(j)?);
                    (a.is_finite() && b.is_finite()).then(|| (self.px(a), self.py(b)))
                })
                .collect();
            let _ = writeln!(
                out,
                r#"<g class="track" fill="{colour}" stroke="{colour}">"#
            );
            if pts.len() > 1 {
                let path: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.2},{b:.2}")).collect();
                let _ = writeln!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke-width="1" stroke-opacity="0.6"/>"#,
                    path.join(" ")
                );
            }
            for (a, b) in &pts {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{a:.2}" cy="{b:.2}" r="2.2" stroke="none"/>"#
                );
            }
            if let Some((a, b)) = pts.last() {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{a:.2}" cy="{b:.2}" r="5" fill="none" stroke-width="1.5"/>"#
                );
            }
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" font-size="12" stroke="none">{}</text>"#,
                x + 8.0,
                y + 16.0 + 15.0 * t as f64,
                esc(&track.label)
            );
            out.push_str("</g>\n");
        }
    }

    /// Occupied density cells, shaded by a log scale of their counts.
    /// Runs of equally shaded cells in a row become one rectangle.
    fn cells(&self, out: &mut String, grid: &[u64]) {
        let max = grid.iter().copied().max().unwrap_or(0);
        if max == 0 {
            return;
        }
        let lmax = (max as f64).max(DENSE).ln();
        let top = (SHADES.len() - 1) as f64;
        let level = |c: u64| -> usize { ((c as f64).ln() / lmax * top).round() as usize };
        let side = self.bx.cells;
        let xs: Vec<f64> = (0..=side).map(|k| self.px(self.bx.edge(k))).collect();
        let ys: Vec<f64> = (0..=side).map(|k| self.py(self.by.edge(k))).collect();
        let occupied = grid.iter().filter(|&&c| c > 0).count();
        let grow = if occupied * 20 < grid.len() {
            // Half the extra size, per side.
            ((SPARSE_PX - (xs[1] - xs[0]).min(ys[0] - ys[1])) / 2.0).max(0.0)
        } else {
            0.0
        };
        let mut groups = vec![String::new(); SHADES.len()];
        for (row, counts) in grid.chunks_exact(side).enumerate() {
            let mut k = 0;
            while k < side {
                if counts[k] == 0 {
                    k += 1;
                    continue;
                }
                let l = level(counts[k]);
                let mut e = k + 1;
                while e < side && counts[e] != 0 && level(counts[e]) == l {
                    e += 1;
                }
                let _ = writeln!(
                    groups[l],
                    r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}"/>"#,
                    xs[k] - grow,
                    ys[row + 1] - grow,
                    xs[e] - xs[k] + OVERLAP + 2.0 * grow,
                    ys[row] - ys[row + 1] + OVERLAP + 2.0 * grow
                );
                k = e;
            }
        }
        let _ = writeln!(out, r#"<g class="outcomes">"#);
        for (shade, rects) in SHADES.iter().zip(&groups) {
            if !rects.is_empty() {
                let _ = writeln!(out, r#"<g fill="{shade}">"#);
                out.push_str(rects);
                out.push_str("</g>\n");
            }
        }
        out.push_str("</g>\n");
    }

    /// The frontier: a line through its points in order of the x utility
    /// (two parties), and a marker per distinct pixel.
    fn frontier(&self, out: &mut String, pareto: &[Point]) {
        let mut pts: Vec<(f64, f64)> = pareto.iter().filter_map(|p| self.project(p)).collect();
        if pts.is_empty() {
            return;
        }
        let _ = writeln!(out, r#"<g class="frontier">"#);
        if self.line {
            // Screen y grows downwards: ascending x, then descending utility.
            pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            let mut path = String::new();
            let mut last = None;
            for &(px, py) in &pts {
                let key = pixel_key(px, py);
                if last != Some(key) {
                    let _ = write!(path, "{px:.2},{py:.2} ");
                    last = Some(key);
                }
            }
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{FRONTIER}" stroke-width="1.8" stroke-linejoin="round"/>"#,
                path.trim_end()
            );
        }
        // Dots as zero-length round-capped segments of one path: a tenth of
        // the bytes of circles, which matters for large projected frontiers.
        let width = if self.line { 5.2 } else { 4.4 };
        let mut dots = String::new();
        let mut seen = HashSet::new();
        for &(px, py) in &pts {
            if seen.insert((px.round() as i64, py.round() as i64)) {
                let _ = write!(dots, "M{px:.1} {py:.1}h0");
            }
        }
        let _ = writeln!(
            out,
            r#"<path d="{dots}" fill="none" stroke="{FRONTIER}" stroke-width="{width}" stroke-linecap="round"/>"#
        );
        out.push_str("</g>\n");
    }

    /// Frame, ticks, tick labels and axis names.
    fn axes(&self, out: &mut String) {
        let Frame { x, y, size, .. } = *self.f;
        let bottom = y + size;
        let _ = writeln!(
            out,
            r##"<rect x="{x:.2}" y="{y:.2}" width="{size:.2}" height="{size:.2}" fill="none" stroke="#555555" stroke-width="1"/>"##
        );
        let _ = writeln!(out, r##"<g stroke="#555555" stroke-width="1">"##);
        for &t in &self.ax.ticks {
            let px = self.px(t);
            let _ = writeln!(
                out,
                r#"<line x1="{px:.2}" y1="{bottom:.2}" x2="{px:.2}" y2="{:.2}"/>"#,
                bottom + 5.0
            );
        }
        for &t in &self.ay.ticks {
            let py = self.py(t);
            let _ = writeln!(
                out,
                r#"<line x1="{:.2}" y1="{py:.2}" x2="{x:.2}" y2="{py:.2}"/>"#,
                x - 5.0
            );
        }
        out.push_str("</g>\n");
        let _ = writeln!(out, r##"<g font-size="11" fill="#333333">"##);
        for &t in &self.ax.ticks {
            let _ = writeln!(
                out,
                r#"<text x="{:.2}" y="{:.2}" text-anchor="middle">{}</text>"#,
                self.px(t),
                bottom + 18.0,
                self.ax.label(t)
            );
        }
        for &t in &self.ay.ticks {
            let _ = writeln!(
                out,
                r#"<text x="{:.2}" y="{:.2}" text-anchor="end">{}</text>"#,
                x - 8.0,
                self.py(t) + 4.0,
                self.ay.label(t)
            );
        }
        out.push_str("</g>\n");
        let _ = writeln!(
            out,
            r##"<text class="axis-label" x="{:.2}" y="{:.2}" text-anchor="middle" font-size="13" fill="#222222">{}</text>"##,
            x + size / 2.0,
            bottom + 40.0,
            esc(self.xname)
        );
        let _ = writeln!(
            out,
            r##"<text class="axis-label" transform="translate({:.2} {:.2}) rotate(-90)" text-anchor="middle" font-size="13" fill="#222222">{}</text>"##,
            x - 56.0,
            y + size / 2.0,
            esc(self.yname)
        );
    }
}

/// Key of a position rounded to half a pixel, to skip invisible repeats.
/// (Solution markers are few; the frontier's dots use whole pixels.)
fn pixel_key(px: f64, py: f64) -> (i64, i64) {
    ((px * 2.0).round() as i64, (py * 2.0).round() as i64)
}

/// One marker centred at `(cx, cy)`; fill and stroke come from the group.
fn marker(out: &mut String, shape: Shape, cx: f64, cy: f64) {
    let _ = match shape {
        Shape::Circle => writeln!(out, r#"<circle cx="{cx:.2}" cy="{cy:.2}" r="6.5"/>"#),
        Shape::Square => writeln!(
            out,
            r#"<rect x="{:.2}" y="{:.2}" width="13" height="13"/>"#,
            cx - 6.5,
            cy - 6.5
        ),
        Shape::Triangle => writeln!(
            out,
            r#"<path d="M{cx:.2} {:.2}L{:.2} {:.2}L{:.2} {:.2}Z"/>"#,
            cy - 10.5,
            cx + 9.5,
            cy + 6.0,
            cx - 9.5,
            cy + 6.0
        ),
        Shape::Diamond => writeln!(
            out,
            r#"<path d="M{cx:.2} {:.2}L{:.2} {cy:.2}L{cx:.2} {:.2}L{:.2} {cy:.2}Z"/>"#,
            cy - 12.0,
            cx + 12.0,
            cy + 12.0,
            cx - 12.0
        ),
        Shape::Cross => writeln!(
            out,
            r#"<path d="M{:.2} {:.2}L{:.2} {:.2}M{:.2} {:.2}L{:.2} {:.2}"/>"#,
            cx - 5.0,
            cy - 5.0,
            cx + 5.0,
            cy + 5.0,
            cx - 5.0,
            cy + 5.0,
            cx + 5.0,
            cy - 5.0
        ),
    };
}

enum Symbol {
    Cells,
    Frontier { line: bool },
    Marker(Shape, &'static str, f64),
    Reservation,
}

/// Draws the legend box with its top-left corner at `(x, y)`; returns its right edge.
fn legend(
    out: &mut String,
    (x, y): (f64, f64),
    analysis: &Analysis,
    line: bool,
    drawn: &Drawn,
) -> f64 {
    let mut entries: Vec<(Symbol, String)> = vec![
        (
            Symbol::Cells,
            format!("outcomes ({})", group(analysis.outcomes)),
        ),
        (
            Symbol::Frontier { line },
            format!("Pareto frontier ({})", group(analysis.pareto.len() as u64)),
        ),
    ];
    for ((label, colour, shape), points) in SOLUTIONS.iter().zip(solution_points(analysis)) {
        let text = match points.len() {
            0 => format!("{label} (none)"),
            1 => (*label).to_string(),
            k => format!("{label} ({} points)", group(k as u64)),
        };
        entries.push((Symbol::Marker(*shape, colour, 2.0), text));
    }
    if drawn.disagreement {
        entries.push((
            Symbol::Marker(Shape::Cross, "#111111", 2.2),
            "disagreement point".to_string(),
        ));
    }
    if drawn.reservation {
        entries.push((Symbol::Reservation, "reservation values".to_string()));
    }
    let longest = entries
        .iter()
        .map(|(_, t)| t.chars().count())
        .max()
        .unwrap_or(0);
    let width = (44.0 + 7.0 * longest as f64).max(170.0);
    let row = 26.0;
    let height = 14.0 + row * entries.len() as f64;
    let _ = writeln!(out, r#"<g class="legend">"#);
    let _ = writeln!(
        out,
        r##"<rect x="{x:.2}" y="{y:.2}" width="{width:.2}" height="{height:.2}" rx="4" fill="#ffffff" stroke="#bdbdbd"/>"##
    );
    for (k, (symbol, text)) in entries.iter().enumerate() {
        let cy = y + 19.0 + row * k as f64;
        let cx = x + 20.0;
        match symbol {
            Symbol::Cells => {
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.2}" y="{:.2}" width="9" height="9" fill="{}"/>"#,
                    cx - 4.5,
                    cy - 4.5,
                    SHADES[2]
                );
            }
            Symbol::Frontier { line } => {
                if *line {
                    let _ = writeln!(
                        out,
                        r#"<line x1="{:.2}" y1="{cy:.2}" x2="{:.2}" y2="{cy:.2}" stroke="{FRONTIER}" stroke-width="1.8"/>"#,
                        cx - 11.0,
                        cx + 11.0
                    );
                }
                let _ = writeln!(
                    out,
                    r#"<path d="M{cx:.1} {cy:.1}h0" stroke="{FRONTIER}" stroke-width="{}" stroke-linecap="round"/>"#,
                    if *line { 5.2 } else { 4.4 }
                );
            }
            Symbol::Marker(shape, colour, width) => {
                let _ = writeln!(
                    out,
                    r#"<g fill="none" stroke="{colour}" stroke-width="{width}">"#
                );
                marker(out, *shape, cx, cy);
                out.push_str("</g>\n");
            }
            Symbol::Reservation => {
                let _ = writeln!(
                    out,
                    r#"<line x1="{:.2}" y1="{cy:.2}" x2="{:.2}" y2="{cy:.2}" stroke="{RESERVATION}" stroke-width="1.2" stroke-dasharray="6 4"/>"#,
                    cx - 11.0,
                    cx + 11.0
                );
            }
        }
        let _ = writeln!(
            out,
            r##"<text x="{:.2}" y="{:.2}" font-size="12" fill="#222222">{}</text>"##,
            x + 40.0,
            cy + 4.0,
            esc(text)
        );
    }
    out.push_str("</g>\n");
    x + width
}

/// Escapes text for XML content and attributes; drops characters XML 1.0
/// cannot carry at all.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// A count with thousands separators.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(group(0), "0");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group(100), "100");
        assert_eq!(esc("a<b&\"c'>\u{1}"), "a&lt;b&amp;&quot;c&apos;&gt;");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }

    #[test]
    fn matrix_layout_has_one_frame_per_pair() {
        for n in 3..7 {
            let lay = layout(n);
            assert_eq!(lay.frames.len(), n * (n - 1) / 2);
            for f in &lay.frames {
                assert!(f.i < f.j);
                assert!(f.x + f.size < lay.width && f.y + f.size < lay.height);
            }
        }
    }
}
