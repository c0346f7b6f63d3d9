//! Briefings: a room as one user may see it, on one page, as Markdown or as
//! a self-contained HTML document.
//!
//! A briefing is what a delegate takes into a meeting: the timeline, the
//! current text, where every party stands on each of its points, and the
//! status of the agreement zone. It is handed to people outside the
//! workspace, so the one thing it must never do is carry a record its reader
//! may not see. [`Briefing::new`] therefore filters the records it is given
//! through [`Viewer::can_see`] itself, even though callers already pass a
//! room loaded for the user: the rule is applied where the document is
//! written, not trusted to have been applied upstream.
//!
//! Everything taken from records is escaped for the output format (HTML
//! entities; Markdown backslash escapes, so that a title holding `<script>`
//! or `|` reads as text in any renderer). The HTML has no external assets:
//! its style sheet is inline and its charts are inline SVG drawn with
//! presentation attributes only, so the same charts also render under the
//! workspace's strict content security policy ([`Briefing::html_fragment`]).

use std::collections::HashMap;
use std::fmt::Write;

use crate::body::{Meta, Party, Term, Text, Typed};
use crate::model::{stance_glyph, Cell, Kind, Matrix, PartyKind, Record, Room, TimelineItem};
use crate::visibility::{Viewer, Visibility};

/// The agreement zone as a briefing reports it, computed elsewhere (from the
/// room's preference models) and handed in as labels: the renderer does not
/// depend on how it was computed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZoneStatus {
    /// Whether no package clears every party's reservation value.
    pub empty: bool,
    /// Packages in the zone.
    pub size: u64,
    /// Packages considered.
    pub outcomes: u64,
    /// The Nash package as (issue, option) labels; empty when the zone is.
    pub package: Vec<(String, String)>,
    /// Minimal blocking sets, as issue labels (when the zone is empty).
    pub blocking_sets: Vec<Vec<String>>,
    /// A caveat to print with the status (say, that the preference models
    /// are illustrative).
    pub note: Option<String>,
}

/// What a briefing is made from.
#[derive(Debug, Clone, Copy)]
pub struct BriefingInput<'a> {
    /// The room's id.
    pub room_id: &'a str,
    /// The room's title.
    pub title: &'a str,
    /// The reader's login, printed on the briefing.
    pub user: &'a str,
    /// The reader as the visibility rule sees them.
    pub viewer: &'a Viewer,
    /// The room's records; those the viewer may not see are dropped.
    pub records: &'a [Record],
    /// The zone, when it has been computed for this reader.
    pub zone: Option<&'a ZoneStatus>,
    /// When the briefing was prepared (printed as given).
    pub prepared_at: Option<&'a str>,
}

/// One row of the timeline section.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    item: TimelineItem,
    audience: String,
}

/// A briefing, ready to be written in either format.
#[derive(Debug, Clone)]
pub struct Briefing {
    room_id: String,
    title: String,
    user: String,
    reader: String,
    prepared_at: Option<String>,
    disclaimer: Option<String>,
    timeline: Vec<Event>,
    text: Option<CurrentText>,
    matrix: Option<Matrix>,
    zone: Option<ZoneStatus>,
    shown: Vec<(Kind, String)>,
}

/// The current text as the briefing prints it.
#[derive(Debug, Clone)]
struct CurrentText {
    label: String,
    status: String,
    audience: String,
    points: Vec<(String, String)>,
}

impl CurrentText {
    /// Status (when recorded) and audience, in words.
    fn about(&self) -> String {
        if self.status.is_empty() {
            format!("seen by: {}", self.audience)
        } else {
            format!("{}; seen by: {}", self.status, self.audience)
        }
    }
}

/// The version a briefing (and any page that needs "the text") shows: the
/// highest numbered version in `room`, else its first text.
pub fn current_text(room: &Room) -> Option<&Record> {
    current_version(room).map(|t| t.record)
}

/// [`current_text`] with its typed body.
pub fn current_version(room: &Room) -> Option<Typed<'_, Text>> {
    let texts = room.versions();
    texts
        .iter()
        .rev()
        .find(|t| t.version.is_some())
        .or(texts.first())
        .copied()
}

/// An audience in words, with party names.
fn audience(v: &Visibility, names: &HashMap<&str, &str>) -> String {
    let name = |p: &str| names.get(p).copied().unwrap_or(p).to_string();
    match v {
        Visibility::Room => "whole room".into(),
        Visibility::Parties { parties } => {
            let list: Vec<String> = parties.iter().map(|p| name(p)).collect();
            format!("{} + mediator", list.join(", "))
        }
        Visibility::PartyAndMediator { party } => format!("{} + mediator", name(party)),
        Visibility::Party { party } => format!("{} only", name(party)),
        Visibility::Mediator => "mediator only".into(),
    }
}

/// A point's heading: number and title, as far as they are known.
fn heading(number: Option<u32>, title: &str, id: &str) -> String {
    match (number, title.is_empty()) {
        (Some(n), false) => format!("{n}. {title}"),
        (Some(n), true) => format!("Point {n}"),
        (None, false) => title.to_string(),
        (None, true) => id.to_string(),
    }
}

fn stance_label(s: &str) -> &'static str {
    match s {
        "accepts" => "accepts",
        "rejects" => "rejects",
        "conditional" => "conditional",
        "proposes_amendment" => "proposes amendment",
        "unknown" => "not disclosed",
        _ => "other",
    }
}

/// A glyph per stance, so that the chart does not rely on colour alone.
fn stance_colour(s: &str) -> &'static str {
    match s {
        "accepts" => "#2e7d32",
        "rejects" => "#c62828",
        "conditional" => "#f9a825",
        "proposes_amendment" => "#1565c0",
        _ => "#9e9e9e",
    }
}

const STANCES: [&str; 5] = [
    "accepts",
    "rejects",
    "conditional",
    "proposes_amendment",
    "unknown",
];

/// The stance a chart square shows: the latest dated one (undated ones
/// count as oldest), the first listed on ties, so direct stances win.
fn latest(cells: &[Cell]) -> Option<&Cell> {
    let mut best: Option<&Cell> = None;
    for c in cells {
        match best {
            Some(b) if c.date <= b.date => {}
            _ => best = Some(c),
        }
    }
    best
}

impl Briefing {
    /// Builds the briefing from the records `input.viewer` may see.
    pub fn new(input: BriefingInput<'_>) -> Briefing {
        let room = Room::new(
            input
                .records
                .iter()
                .filter(|r| input.viewer.can_see(&r.visibility))
                .cloned()
                .collect(),
        );
        let names = room.party_names();
        let mut shown: Vec<(Kind, String)> = Vec::new();
        let meta = room.each::<Meta>().next();
        let disclaimer = meta.and_then(|m| m.body.disclaimer.clone());
        if let Some(m) = meta.filter(|_| disclaimer.is_some()) {
            shown.push((Kind::Meta, m.id().to_string()));
        }
        let reader = match input.viewer.party() {
            None => "operator (every record)".to_string(),
            Some(p) => {
                let kind = room
                    .find::<Party>(p)
                    .map_or(PartyKind::Observer, |p| p.kind);
                let role = match (kind, input.viewer.is_mediator()) {
                    (_, true) => "mediator",
                    (PartyKind::Observer, _) => "observer",
                    _ => "party delegate",
                };
                format!("{}, {role}", names.get(p).copied().unwrap_or(p))
            }
        };
        let timeline: Vec<Event> = room
            .timeline()
            .into_iter()
            .filter_map(|item| {
                let rec = room.get(item.kind, &item.id)?;
                shown.push((rec.kind, rec.id.clone()));
                Some(Event {
                    audience: audience(&rec.visibility, &names),
                    item,
                })
            })
            .collect();
        let current = current_version(&room);
        let text = current.map(|t| {
            shown.push((Kind::Text, t.id().to_string()));
            CurrentText {
                label: t.label.as_deref().unwrap_or(t.id()).to_string(),
                status: t.status.as_ref().map_or("", Term::as_str).replace('_', " "),
                audience: audience(&t.record.visibility, &names),
                points: t
                    .points
                    .iter()
                    .map(|p| {
                        let body = if p.body.is_empty() {
                            p.summary.clone()
                        } else {
                            p.body.clone()
                        };
                        (heading(p.number, &p.title, &p.id), body)
                    })
                    .collect(),
            }
        });
        let matrix = current.and_then(|t| room.matrix(t.id()));
        if let Some(m) = &matrix {
            for row in &m.rows {
                for c in row.whole_text.iter().chain(row.cells.iter().flatten()) {
                    shown.push((Kind::Stance, c.stance_id.clone()));
                }
            }
        }
        shown.sort();
        shown.dedup();
        Briefing {
            room_id: input.room_id.to_string(),
            title: input.title.to_string(),
            user: input.user.to_string(),
            reader,
            prepared_at: input.prepared_at.map(str::to_string),
            disclaimer,
            timeline,
            text,
            matrix,
            zone: input.zone.cloned(),
            shown,
        }
    }

    /// The records the briefing shows (kind, id), for the read audit.
    pub fn shown(&self) -> &[(Kind, String)] {
        &self.shown
    }

    /// The briefing as Markdown.
    pub fn markdown(&self) -> String {
        self.render(Markup::Markdown)
    }

    /// The briefing as a self-contained HTML document (inline style sheet
    /// and charts, no external assets).
    pub fn html(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>Briefing: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            html(&self.title),
            self.html_fragment()
        )
    }

    /// The briefing's body, for embedding in a page (no `<style>`, no
    /// `style` attributes: it renders under a strict content security policy).
    pub fn html_fragment(&self) -> String {
        format!(
            "<article class=\"briefing\">\n{}</article>\n",
            self.render(Markup::Html)
        )
    }

    /// The one walk over the briefing's sections, so that both formats show
    /// the same sections in the same order with the same empty states; only
    /// the header and the tables are written per format.
    fn render(&self, f: Markup) -> String {
        let e = |t: &str| f.escape(t);
        let mut s = String::new();
        match f {
            Markup::Markdown => self.header_md(&mut s),
            Markup::Html => self.header_html(&mut s),
        }
        f.section(&mut s, "Timeline");
        if self.timeline.is_empty() {
            f.para(&mut s, "Nothing recorded yet.");
        } else {
            match f {
                Markup::Markdown => self.timeline_md(&mut s),
                Markup::Html => self.timeline_html(&mut s),
            }
        }
        f.section(&mut s, "Current text");
        match &self.text {
            None => f.para(&mut s, "No text yet."),
            Some(t) => f.list(
                &mut s,
                &format!("{} ({})", f.strong(&e(&t.label)), e(&t.about())),
                List::Points,
                t.points
                    .iter()
                    .map(|(head, body)| format!("{}{}", f.strong(&e(head)), opt_suffix(&e(body)))),
            ),
        }
        f.section(&mut s, "Stance matrix");
        match &self.matrix {
            Some(m) if !m.points.is_empty() && !m.rows.is_empty() => match f {
                Markup::Markdown => matrix_md(&mut s, m),
                Markup::Html => matrix_html(&mut s, m),
            },
            _ => f.para(&mut s, "No stances on the current text."),
        }
        f.section(&mut s, "Agreement zone");
        match &self.zone {
            None => f.para(&mut s, "Zone status: not computed."),
            Some(z) => {
                f.para(&mut s, &e(&zone_summary(z)));
                if !z.package.is_empty() {
                    f.list(
                        &mut s,
                        "Nash package:",
                        List::Bullets,
                        z.package.iter().map(|(i, o)| format!("{}: {}", e(i), e(o))),
                    );
                }
                if !z.blocking_sets.is_empty() {
                    f.list(
                        &mut s,
                        "Blocking sets of issues:",
                        List::Bullets,
                        z.blocking_sets.iter().map(|b| {
                            let names: Vec<String> = b.iter().map(|x| e(x)).collect();
                            format!("{{{}}}", names.join(", "))
                        }),
                    );
                }
                if let Some(n) = &z.note {
                    f.para(&mut s, &f.em(&e(n)));
                }
            }
        }
        s
    }

    fn header_md(&self, s: &mut String) {
        let e = md;
        let _ = writeln!(s, "# Briefing: {}\n", e(&self.title));
        let _ = writeln!(
            s,
            "Prepared for **{}** ({}) in room `{}`{}. It holds only what this reader may see.\n",
            e(&self.user),
            e(&self.reader),
            self.room_id.replace('`', "'"),
            self.prepared_at
                .as_deref()
                .map(|t| format!(", {}", e(t)))
                .unwrap_or_default()
        );
        if let Some(d) = &self.disclaimer {
            let _ = writeln!(s, "> {}\n", e(d));
        }
    }

    fn header_html(&self, s: &mut String) {
        let h = html;
        let _ = writeln!(s, "<h1>Briefing: {}</h1>", h(&self.title));
        let _ = writeln!(
            s,
            "<p class=\"reader\">Prepared for <strong>{}</strong> ({}) in room <code>{}</code>{}. It holds only what this reader may see.</p>",
            h(&self.user),
            h(&self.reader),
            h(&self.room_id),
            self.prepared_at
                .as_deref()
                .map(|t| format!(", {}", h(t)))
                .unwrap_or_default()
        );
        if let Some(d) = &self.disclaimer {
            let _ = writeln!(s, "<blockquote>{}</blockquote>", h(d));
        }
    }

    fn timeline_md(&self, s: &mut String) {
        let e = md;
        let _ = writeln!(s, "| When | What | Title | Detail | Audience |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for ev in &self.timeline {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                e(&when(&ev.item)),
                kind_label(ev.item.kind),
                e(&ev.item.title),
                e(&ev.item.detail),
                e(&ev.audience)
            );
        }
        s.push('\n');
    }

    fn timeline_html(&self, s: &mut String) {
        let h = html;
        if let Some(svg) = self.timeline_svg() {
            s.push_str(&svg);
        }
        let _ = writeln!(s, "<table>\n<thead><tr><th>#</th><th>When</th><th>What</th><th>Title</th><th>Detail</th><th>Audience</th></tr></thead>\n<tbody>");
        for (i, ev) in self.timeline.iter().enumerate() {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                h(&when(&ev.item)),
                kind_label(ev.item.kind),
                h(&ev.item.title),
                h(&ev.item.detail),
                h(&ev.audience)
            );
        }
        let _ = writeln!(s, "</tbody>\n</table>");
    }

    /// The dated timeline items on a day axis (meetings as circles, texts as
    /// squares), numbered like the table below it.
    fn timeline_svg(&self) -> Option<String> {
        let days: Vec<(usize, i64, Kind)> = self
            .timeline
            .iter()
            .enumerate()
            .filter_map(|(i, ev)| {
                let d = ev.item.date.as_deref().or(ev.item.not_before.as_deref())?;
                Some((i, day_number(d)?, ev.item.kind))
            })
            .collect();
        let first = days.iter().map(|d| d.1).min()?;
        let last = days.iter().map(|d| d.1).max()?;
        let (w, left, right) = (720.0, 40.0, 40.0);
        let span = (last - first).max(1) as f64;
        let x = |d: i64| left + (w - left - right) * (d - first) as f64 / span;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" width=\"{w}\" height=\"90\" viewBox=\"0 0 {w} 90\"><title>Timeline: dated meetings (circles) and texts (squares)</title>"
        );
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" y1=\"45\" x2=\"{}\" y2=\"45\" stroke=\"#555\" stroke-width=\"1\"/>",
            w - right
        );
        let date_of = |d: i64| {
            self.timeline
                .iter()
                .find_map(|ev| {
                    let s = ev.item.date.as_deref().or(ev.item.not_before.as_deref())?;
                    (day_number(s) == Some(d)).then(|| s.get(..10).unwrap_or(s).to_string())
                })
                .unwrap_or_default()
        };
        let _ = writeln!(
            s,
            "<text x=\"{left}\" y=\"85\" font-size=\"11\" font-family=\"sans-serif\" fill=\"#333\">{}</text>",
            html(&date_of(first))
        );
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"85\" font-size=\"11\" font-family=\"sans-serif\" fill=\"#333\" text-anchor=\"end\">{}</text>",
            w - right,
            html(&date_of(last))
        );
        // Items on the same day are stacked upwards.
        let mut stacked: HashMap<i64, u32> = HashMap::new();
        for (i, d, kind) in days {
            let level = stacked.entry(d).or_insert(0);
            let cx = x(d);
            let cy = 45.0 - 14.0 * f64::from(*level);
            *level += 1;
            match kind {
                Kind::Meeting => {
                    let _ = writeln!(
                        s,
                        "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"#1565c0\"/>"
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"#6a1b9a\"/>",
                        cx - 5.0,
                        cy - 5.0
                    );
                }
            }
            let _ = writeln!(
                s,
                "<text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"9\" font-family=\"sans-serif\" fill=\"#333\" text-anchor=\"middle\">{}</text>",
                cy - 8.0,
                i + 1
            );
        }
        let _ = writeln!(s, "</svg>");
        Some(s)
    }
}

/// The stance matrix as a Markdown table with its legend.
fn matrix_md(s: &mut String, m: &Matrix) {
    let e = md;
    let cols: Vec<String> = m
        .points
        .iter()
        .map(|p| match p.number {
            Some(n) => n.to_string(),
            None => e(&heading(p.number, &p.title, &p.id)),
        })
        .collect();
    let _ = writeln!(s, "| Party | Whole text | {} |", cols.join(" | "));
    let _ = writeln!(s, "|---|---|{}", "---|".repeat(cols.len()));
    for row in &m.rows {
        let cells: Vec<String> = std::iter::once(&row.whole_text)
            .chain(&row.cells)
            .map(|cs| md_cell(cs))
            .collect();
        let _ = writeln!(s, "| {} | {} |", e(&row.name), cells.join(" | "));
    }
    let _ = writeln!(
        s,
        "\n✓ accepts, ✕ rejects, ◐ conditional, ✎ proposes amendment, ? not disclosed; (i) through an issue of the point.\n"
    );
}

/// The stance matrix as a chart and an HTML table (the chart's legend
/// stands for the Markdown one).
fn matrix_html(s: &mut String, m: &Matrix) {
    let h = html;
    s.push_str(&matrix_svg(m));
    let _ = writeln!(s, "<table>\n<thead><tr><th>Party</th><th>Whole text</th>");
    for p in &m.points {
        let _ = write!(
            s,
            "<th title=\"{}\">{}</th>",
            h(&p.title),
            h(&p.number
                .map_or_else(|| heading(p.number, &p.title, &p.id), |n| n.to_string()))
        );
    }
    let _ = writeln!(s, "</tr></thead>\n<tbody>");
    for row in &m.rows {
        let _ = write!(s, "<tr><th>{}</th>", h(&row.name));
        for cells in std::iter::once(&row.whole_text).chain(&row.cells) {
            let _ = write!(s, "<td>{}</td>", html_cell(cells));
        }
        let _ = writeln!(s, "</tr>");
    }
    let _ = writeln!(s, "</tbody>\n</table>");
}

/// The two formats a briefing is written in. The shared walk
/// ([`Briefing::render`]) states the document once; these are its blocks.
#[derive(Clone, Copy)]
enum Markup {
    Markdown,
    Html,
}

/// How a list's items are marked.
#[derive(Clone, Copy)]
enum List {
    Bullets,
    /// A text's points: numbered in HTML (`<ol class="points">`); Markdown
    /// keeps bullets, since the heads carry their own numbers.
    Points,
}

impl Markup {
    fn escape(self, t: &str) -> String {
        match self {
            Markup::Markdown => md(t),
            Markup::Html => html(t),
        }
    }

    fn section(self, s: &mut String, title: &str) {
        let _ = match self {
            Markup::Markdown => writeln!(s, "## {title}\n"),
            Markup::Html => writeln!(s, "<h2>{title}</h2>"),
        };
    }

    /// A paragraph of text already escaped for this format.
    fn para(self, s: &mut String, text: &str) {
        let _ = match self {
            Markup::Markdown => writeln!(s, "{text}\n"),
            Markup::Html => writeln!(s, "<p>{text}</p>"),
        };
    }

    /// A paragraph `intro` and the list it introduces, all escaped already.
    fn list(self, s: &mut String, intro: &str, kind: List, items: impl Iterator<Item = String>) {
        let (open, close) = match kind {
            List::Bullets => ("<ul>", "</ul>"),
            List::Points => ("<ol class=\"points\">", "</ol>"),
        };
        match self {
            Markup::Markdown => {
                let _ = writeln!(s, "{intro}\n");
                for item in items {
                    let _ = writeln!(s, "- {item}");
                }
                s.push('\n');
            }
            Markup::Html => {
                let _ = writeln!(s, "<p>{intro}</p>\n{open}");
                for item in items {
                    let _ = writeln!(s, "<li>{item}</li>");
                }
                let _ = writeln!(s, "{close}");
            }
        }
    }

    fn strong(self, text: &str) -> String {
        match self {
            Markup::Markdown => format!("**{text}**"),
            Markup::Html => format!("<strong>{text}</strong>"),
        }
    }

    fn em(self, text: &str) -> String {
        match self {
            Markup::Markdown => format!("_{text}_"),
            Markup::Html => format!("<em>{text}</em>"),
        }
    }
}

/// The stance matrix as a grid: one square per party and point, coloured
/// and marked by the latest stance.
fn matrix_svg(m: &Matrix) -> String {
    let cell = 22.0;
    let label_w = 170.0;
    let top = 26.0;
    let cols = m.points.len() + 1;
    let legend_step = 120.0;
    let w = (label_w + cell * cols as f64 + 10.0).max(legend_step * STANCES.len() as f64);
    let legend_y = top + cell * m.rows.len() as f64 + 16.0;
    let hgt = legend_y + 16.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" width=\"{w:.0}\" height=\"{hgt:.0}\" viewBox=\"0 0 {w:.0} {hgt:.0}\"><title>Stance matrix: latest stance per party and point</title>"
    );
    let headers = std::iter::once("T".to_string()).chain(
        m.points
            .iter()
            .enumerate()
            .map(|(i, p)| p.number.unwrap_or(i as u32 + 1).to_string()),
    );
    for (c, label) in headers.enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" font-family=\"sans-serif\" fill=\"#333\" text-anchor=\"middle\">{}</text>",
            label_w + cell * c as f64 + cell / 2.0,
            top - 8.0,
            html(&label)
        );
    }
    for (r, row) in m.rows.iter().enumerate() {
        let y = top + cell * r as f64;
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" font-family=\"sans-serif\" fill=\"#222\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y + cell / 2.0 + 4.0,
            html(&row.name)
        );
        for (c, cells) in std::iter::once(&row.whole_text)
            .chain(&row.cells)
            .enumerate()
        {
            let x = label_w + cell * c as f64;
            match latest(cells) {
                None => {
                    let _ = writeln!(
                        s,
                        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#ffffff\" stroke=\"#dddddd\"/>",
                        cell - 2.0,
                        cell - 2.0
                    );
                }
                Some(st) => {
                    let _ = writeln!(
                        s,
                        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}</title></rect>",
                        cell - 2.0,
                        cell - 2.0,
                        stance_colour(&st.stance),
                        html(&format!("{}: {}", stance_label(&st.stance), st.summary))
                    );
                    // Dark on the light amber, white on the rest.
                    let ink = if st.stance == "conditional" {
                        "#222222"
                    } else {
                        "#ffffff"
                    };
                    let _ = writeln!(
                        s,
                        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-family=\"sans-serif\" fill=\"{ink}\" text-anchor=\"middle\">{}</text>",
                        x + (cell - 2.0) / 2.0,
                        y + cell / 2.0 + 3.0,
                        stance_glyph(&st.stance)
                    );
                }
            }
        }
    }
    let mut lx = 0.0;
    for st in STANCES {
        let _ = writeln!(
            s,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" font-family=\"sans-serif\" fill=\"#333\">{}</text>",
            legend_y - 9.0,
            stance_colour(st),
            lx + 14.0,
            legend_y,
            stance_label(st)
        );
        lx += legend_step;
    }
    let _ = writeln!(s, "</svg>");
    s
}

const STYLE: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\
blockquote{border-left:4px solid #ccc;margin:1em 0;padding:.25em 1em;color:#555}\
.chart{display:block;margin:1em 0;max-width:100%;height:auto}\n";

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Meeting => "meeting",
        Kind::Text => "text",
        _ => "record",
    }
}

fn when(item: &TimelineItem) -> String {
    match (&item.date, &item.not_before) {
        (Some(d), _) if !d.is_empty() => d.clone(),
        (_, Some(n)) if !n.is_empty() => format!("not before {n}"),
        _ => "date not reported".into(),
    }
}

fn zone_summary(z: &ZoneStatus) -> String {
    if z.empty {
        format!(
            "The agreement zone is empty: none of the {} packages clears every party's reservation value.",
            z.outcomes
        )
    } else {
        format!(
            "The agreement zone holds {} of {} packages.",
            z.size, z.outcomes
        )
    }
}

fn opt_suffix(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// One stance in a matrix cell: glyph, label and whether it came through an
/// issue of the point; the same words in both formats.
fn stance_text(c: &Cell) -> String {
    format!(
        "{} {}{}",
        stance_glyph(&c.stance),
        stance_label(&c.stance),
        if c.via.starts_with("issue:") {
            " (i)"
        } else {
            ""
        }
    )
}

/// One matrix cell in Markdown: every stance's glyph and label.
fn md_cell(cells: &[Cell]) -> String {
    cells.iter().map(stance_text).collect::<Vec<_>>().join("; ")
}

fn html_cell(cells: &[Cell]) -> String {
    cells
        .iter()
        .map(|c| {
            format!(
                "<span title=\"{}\">{}</span>",
                html(&c.summary),
                stance_text(c)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Text for HTML element content and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text for Markdown: characters that could start markup are backslash
/// escaped (CommonMark allows it for every ASCII punctuation character),
/// and line breaks become spaces so that table rows stay whole.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Days since 1970-01-01 of an ISO date's `YYYY-MM-DD` prefix.
fn day_number(s: &str) -> Option<i64> {
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: i64 = s.get(5..7)?.parse().ok()?;
    let d: i64 = s.get(8..10)?.parse().ok()?;
    if s.get(4..5)? != "-"
        || s.get(7..8)? != "-"
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(kind: Kind, id: &str, visibility: Visibility, body: serde_json::Value) -> Record {
        let mut body = body.as_object().cloned().unwrap_or_default();
        body.insert("id".into(), json!(id));
        Record {
            kind,
            id: id.into(),
            visibility,
            body,
        }
    }

    fn marker(tag: &str) -> String {
        format!("SECRET-{tag}-7f3a")
    }

    /// A room with one record of each audience, each carrying its marker.
    fn room() -> Vec<Record> {
        let party = |id: &str, kind: &str| {
            rec(
                Kind::Party,
                id,
                Visibility::Room,
                json!({"name": format!("Party {id}"), "kind": kind}),
            )
        };
        let meeting = |id: &str, v: Visibility, tag: &str| {
            rec(
                Kind::Meeting,
                id,
                v,
                json!({"title": marker(tag), "date": "2025-11-20", "place": "Geneva"}),
            )
        };
        let stance = |id: &str, party: &str, v: Visibility, tag: &str, stance: &str| {
            rec(
                Kind::Stance,
                id,
                v,
                json!({"party_id": party, "target": {"point_id": "t.p1", "text_id": "t"},
                       "stance": stance, "summary": marker(tag), "date": "2025-11-21",
                       "provenance": {"source": "press", "reliability": "reported"}}),
            )
        };
        vec![
            rec(
                Kind::Meta,
                "meta",
                Visibility::Room,
                json!({"disclaimer": "Illustrative <b>only</b> & | not a record"}),
            ),
            party("med", "mediator"),
            party("a", "party"),
            party("b", "party"),
            party("obs", "observer"),
            rec(
                Kind::Text,
                "t",
                Visibility::Room,
                json!({"label": "Plan <script>alert(1)</script>", "version": 1, "status": "published",
                       "points": [{"id": "t.p1", "number": 1, "topic": "Ceasefire | lines", "text": "Hold *fire*"}]}),
            ),
            rec(
                Kind::Text,
                "draft",
                Visibility::Mediator,
                json!({"label": marker("draft"), "version": 2, "status": "draft",
                       "points": [{"id": "draft.p1", "number": 1, "topic": marker("draft-point")}]}),
            ),
            meeting("open", Visibility::Room, "open"),
            meeting(
                "closed",
                Visibility::Parties {
                    parties: vec!["a".into()],
                },
                "closed-a",
            ),
            stance("s_room", "a", Visibility::Room, "stance-room", "accepts"),
            stance(
                "s_a",
                "a",
                Visibility::PartyAndMediator { party: "a".into() },
                "stance-a-med",
                "rejects",
            ),
            stance(
                "s_b",
                "b",
                Visibility::Party { party: "b".into() },
                "stance-b-only",
                "conditional",
            ),
            stance("s_med", "b", Visibility::Mediator, "stance-med", "accepts"),
        ]
    }

    fn render(viewer: &Viewer, records: &[Record], zone: Option<&ZoneStatus>) -> (String, String) {
        let b = Briefing::new(BriefingInput {
            room_id: "r",
            title: "Talks",
            user: "u",
            viewer,
            records,
            zone,
            prepared_at: None,
        });
        (b.markdown(), b.html())
    }

    #[test]
    fn nothing_invisible_reaches_either_format() {
        let records = room();
        let viewers = [
            Viewer::Mediator {
                party: "med".into(),
            },
            Viewer::Member { party: "a".into() },
            Viewer::Member { party: "b".into() },
            Viewer::Member {
                party: "obs".into(),
            },
        ];
        for viewer in &viewers {
            // The records are passed unfiltered: the briefing filters itself.
            let (md, html) = render(viewer, &records, None);
            for r in &records {
                let Some(m) = r
                    .body
                    .values()
                    .filter_map(|v| v.as_str())
                    .find(|s| s.starts_with("SECRET-"))
                else {
                    continue;
                };
                if !viewer.can_see(&r.visibility) {
                    assert!(!md.contains(m), "{viewer:?} sees {m} in Markdown");
                    assert!(!html.contains(m), "{viewer:?} sees {m} in HTML");
                }
            }
        }
        // And what may be seen is there: the mediator's draft is its current
        // text, the closed meeting reaches party a.
        let (md, html) = render(&viewers[0], &records, None);
        assert!(md.contains(&md_escaped(&marker("draft"))) && html.contains(&marker("draft")));
        let (md, html) = render(&viewers[1], &records, None);
        assert!(md.contains(&md_escaped(&marker("closed-a"))));
        assert!(html.contains(&marker("stance-a-med")) && html.contains(&marker("stance-room")));
        let (_, html) = render(&viewers[2], &records, None);
        assert!(html.contains(&marker("stance-b-only")));
        // The operator, above the room, gets everything.
        let (_, everything) = render(&Viewer::Operator, &records, None);
        assert!(everything.contains(&marker("draft")) && everything.contains(&marker("closed-a")));
    }

    fn md_escaped(s: &str) -> String {
        md(s)
    }

    #[test]
    fn record_text_is_escaped() {
        let records = room();
        let (md, html) = render(&Viewer::Member { party: "a".into() }, &records, None);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("Plan &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("Illustrative &lt;b&gt;only&lt;/b&gt; &amp; | not a record"));
        assert!(md.contains(r"Plan \<script\>alert(1)\</script\>"), "{md}");
        assert!(md.contains(r"Ceasefire \| lines"), "{md}");
        assert!(md.contains(r"Hold \*fire\*"), "{md}");
        // The document is self-contained.
        assert!(!html.contains("http://") || !html.contains("src="));
        assert!(!html.contains("<link") && !html.contains("<img") && !html.contains("<script"));
        assert!(html.contains("<svg") && html.contains("</html>"));
    }

    #[test]
    fn the_fragment_carries_no_inline_style() {
        let records = room();
        let b = Briefing::new(BriefingInput {
            room_id: "r",
            title: "Talks",
            user: "u",
            viewer: &Viewer::Mediator {
                party: "med".into(),
            },
            records: &records,
            zone: None,
            prepared_at: None,
        });
        let f = b.html_fragment();
        assert!(!f.contains("style=") && !f.contains("<style"));
        assert!(f.contains("<svg"));
    }

    #[test]
    fn zone_status_is_reported_or_said_to_be_missing() {
        let records = room();
        let viewer = Viewer::Member { party: "a".into() };
        let (md, html) = render(&viewer, &records, None);
        assert!(
            md.contains("Zone status: not computed.")
                && html.contains("Zone status: not computed.")
        );
        let z = ZoneStatus {
            empty: true,
            size: 0,
            outcomes: 12,
            package: vec![],
            blocking_sets: vec![vec!["Territory <east>".into(), "Security".into()]],
            note: Some("Illustrative models".into()),
        };
        let (md, html) = render(&viewer, &records, Some(&z));
        assert!(
            md.contains("empty") && md.contains(r"{Territory \<east\>, Security}"),
            "{md}"
        );
        assert!(
            html.contains("{Territory &lt;east&gt;, Security}"),
            "{html}"
        );
    }

    #[test]
    fn the_zone_section_is_written_exactly() {
        let records = room();
        let viewer = Viewer::Member { party: "a".into() };
        let z = ZoneStatus {
            empty: false,
            size: 3,
            outcomes: 12,
            package: vec![("Issue".into(), "Opt <a>".into())],
            blocking_sets: vec![vec!["Territory <east>".into(), "Security".into()]],
            note: Some("Illustrative _models_".into()),
        };
        let (md, html) = render(&viewer, &records, Some(&z));
        let md_zone = &md[md.find("## Agreement zone").unwrap()..];
        assert_eq!(
            md_zone,
            "## Agreement zone\n\nThe agreement zone holds 3 of 12 packages.\n\n\
             Nash package:\n\n- Issue: Opt \\<a\\>\n\n\
             Blocking sets of issues:\n\n- {Territory \\<east\\>, Security}\n\n\
             _Illustrative \\_models\\__\n\n"
        );
        let html_zone = &html[html.find("<h2>Agreement zone").unwrap()..];
        assert_eq!(
            html_zone,
            "<h2>Agreement zone</h2>\n<p>The agreement zone holds 3 of 12 packages.</p>\n\
             <p>Nash package:</p>\n<ul>\n<li>Issue: Opt &lt;a&gt;</li>\n</ul>\n\
             <p>Blocking sets of issues:</p>\n<ul>\n<li>{Territory &lt;east&gt;, Security}</li>\n</ul>\n\
             <p><em>Illustrative _models_</em></p>\n</article>\n</body>\n</html>\n"
        );
    }

    #[test]
    fn the_latest_stance_colours_the_square() {
        let cell = |stance: &str, date: Option<&str>| Cell {
            stance_id: stance.into(),
            stance: stance.into(),
            reliability: String::new(),
            source: String::new(),
            date: date.map(str::to_string),
            summary: String::new(),
            amendment: None,
            via: "point".into(),
        };
        let cells = [
            cell("accepts", Some("2025-11-02")),
            cell("rejects", None),
            cell("conditional", Some("2025-11-03")),
            cell("unknown", Some("2025-11-03")),
        ];
        assert_eq!(latest(&cells).unwrap().stance, "conditional");
        assert!(latest(&[]).is_none());
    }

    #[test]
    fn day_numbers_count_from_the_epoch() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(day_number("2025-11-20T10:00:00Z"), Some(20_412));
        assert_eq!(day_number("2025-13-01"), None);
        assert_eq!(day_number("soon"), None);
    }
}
