//! The summary as a picture: one bar chart per figure, one bar per
//! negotiator. Hand-written SVG (plain elements, presentation attributes),
//! in the style of `pactum-plot`, so it needs no plotting dependency.

use std::fmt::Write;

use crate::summary::Summary;

const FONT: &str = "DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif";
const COLOURS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws `summary` as an SVG document titled `title` (plain text).
pub fn summary_svg(summary: &Summary, title: &str) -> String {
    type Metric = fn(&crate::summary::NegotiatorSummary) -> f64;
    let metrics: [(&str, Metric); 6] = [
        ("mean own utility", |n| n.mean_utility),
        ("median own utility", |n| n.median_utility),
        ("agreement rate", |n| n.agreement_rate),
        ("mean welfare", |n| n.mean_welfare),
        ("distance to Pareto frontier", |n| n.mean_pareto_distance),
        ("distance to Nash point", |n| n.mean_nash_distance),
    ];
    let k = summary.negotiators.len().max(1);
    let (pw, ph, gap, top) = (260.0, 200.0, 30.0, 70.0);
    let cols = 3;
    let width = cols as f64 * (pw + gap) + gap;
    let height = top + 2.0 * (ph + 60.0) + 30.0 + 20.0 * k.div_ceil(4) as f64;
    let mut out = String::new();
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="{FONT}">"#
    );
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{width:.0}" height="{height:.0}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="30" text-anchor="middle" font-size="18" font-weight="bold" fill="#222222">{}</text>"##,
        width / 2.0,
        esc(title)
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.1}" y="51" text-anchor="middle" font-size="12" fill="#555555">{} negotiations · {} agreements</text>"##,
        width / 2.0,
        summary.negotiations,
        summary.agreements
    );
    for (m, (label, get)) in metrics.iter().enumerate() {
        let x0 = gap + (m % cols) as f64 * (pw + gap);
        let y0 = top + (m / cols) as f64 * (ph + 60.0) + 20.0;
        let values: Vec<f64> = summary.negotiators.iter().map(get).collect();
        let hi = values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let hi = if hi <= 0.0 { 1.0 } else { hi * 1.1 };
        let _ = writeln!(out, r#"<g class="metric">"#);
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#222222">{}</text>"##,
            x0 + pw / 2.0,
            y0 - 6.0,
            esc(label)
        );
        let _ = writeln!(
            out,
            r##"<rect x="{x0:.1}" y="{y0:.1}" width="{pw:.1}" height="{ph:.1}" fill="none" stroke="#bbbbbb"/>"##
        );
        let slot = pw / k as f64;
        for (i, v) in values.iter().enumerate() {
            let v = if v.is_finite() { *v } else { 0.0 };
            let h = (v / hi).clamp(0.0, 1.0) * ph;
            let x = x0 + i as f64 * slot + slot * 0.15;
            let _ = writeln!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"/>"#,
                y0 + ph - h,
                slot * 0.7,
                COLOURS[i % COLOURS.len()]
            );
            let _ = writeln!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#333333">{v:.3}</text>"##,
                x + slot * 0.35,
                y0 + ph - h - 3.0
            );
        }
        out.push_str("</g>\n");
    }
    let ly = top + 2.0 * (ph + 60.0) + 10.0;
    for (i, n) in summary.negotiators.iter().enumerate() {
        let x = gap + (i % 4) as f64 * 200.0;
        let y = ly + (i / 4) as f64 * 20.0;
        let _ = writeln!(
            out,
            r##"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#222222">{}</text>"##,
            y - 10.0,
            COLOURS[i % COLOURS.len()],
            x + 18.0,
            y,
            esc(&n.name)
        );
    }
    out.push_str("</svg>\n");
    out
}
