//! Search: the texts, points, stances, meetings, documents, notes (and any
//! other kind of record) the user may see that hold every word of a query,
//! with a snippet of each (API and UI).
//!
//! Two steps. The database's full-text index is a prefilter only
//! ([`RoomAccess::search_candidates`]): it names the records of the room
//! whose stored body holds every word, and keeps those of the user's view.
//! The decision and the snippet are then made here, on each candidate as
//! the user sees it (hidden names dropped, versions renumbered), from its
//! prose only: fields that name other records, parties or users are left
//! out ([`pactum_workspace::ids::is_identifier_field`]), so a word matches
//! what a record says, never what it points at. Results, snippets and
//! counts therefore come only from what the user may see, and a word that
//! occurs only in records hidden from them answers exactly as a word that
//! occurs nowhere.
//!
//! Words are split and lower-cased by [`pactum_store::words`], the rule the
//! index was built with, so the prefilter never drops a record this check
//! would accept. No accent folding: "café" is not "cafe", on either backend.

use crate::access::RoomAccess;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use pactum_store::words::{words, MAX_WORD_CHARS};
use pactum_workspace::ids::is_identifier_field;
use pactum_workspace::model::{Kind, Record};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use std::ops::Range;

mod api;
pub mod ui;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most distinct words a query may hold.
pub const MAX_TERMS: usize = 12;
/// About how long a snippet is, in characters.
const SNIPPET_CHARS: usize = 160;
/// How much of a snippet comes before its first hit, in characters.
const SNIPPET_LEAD: usize = 50;

/// Fields whose values are a closed vocabulary (`supports`, `draft`,
/// `reported`), not prose: a search for "draft" finds what says draft,
/// not every draft.
const VOCABULARY: [&str; 8] = [
    "kind",
    "status",
    "stance",
    "reliability",
    "confidentiality",
    "vote",
    "version_attribution",
    "visibility",
];

/// Kinds that are bookkeeping rather than something to find (the room's
/// metadata, preference models, sessions and votes).
const NOT_SEARCHED: [Kind; 5] = [
    Kind::Meta,
    Kind::Preference,
    Kind::PreferenceSet,
    Kind::Session,
    Kind::Vote,
];

/// A query as given and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The query, trimmed.
    pub text: String,
    /// Its distinct words, lower-cased, in order.
    pub terms: Vec<String>,
}

fn bad_q(message: String) -> ApiError {
    let mut e = ApiError::field("q", message);
    e.status = StatusCode::BAD_REQUEST;
    e
}

impl Query {
    /// Reads `?q=`: at least one word (letters or digits), at most
    /// [`MAX_QUERY_CHARS`] characters and [`MAX_TERMS`] words, none longer
    /// than [`MAX_WORD_CHARS`]; a 400 naming `q` otherwise.
    pub fn parse(q: Option<&str>) -> ApiResult<Query> {
        let text = q.unwrap_or_default().trim();
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(bad_q(format!(
                "at most {MAX_QUERY_CHARS} characters, got {}",
                text.chars().count()
            )));
        }
        let mut seen = HashSet::new();
        let terms: Vec<String> = words(text)
            .map(|(_, w)| w)
            .filter(|w| seen.insert(w.clone()))
            .collect();
        if terms.is_empty() {
            return Err(bad_q("type at least one word (letters or digits)".into()));
        }
        if terms.len() > MAX_TERMS {
            return Err(bad_q(format!(
                "at most {MAX_TERMS} different words, got {}",
                terms.len()
            )));
        }
        if let Some(long) = terms.iter().find(|t| t.chars().count() > MAX_WORD_CHARS) {
            return Err(bad_q(format!(
                "a word may be at most {MAX_WORD_CHARS} characters; {:?}… is longer",
                long.chars().take(20).collect::<String>()
            )));
        }
        Ok(Query {
            text: text.to_string(),
            terms,
        })
    }
}

/// A cut of a field around the query's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The text, with "…" where it was cut; line breaks as spaces.
    pub text: String,
    /// Byte ranges of `text` that are query words.
    pub marks: Vec<Range<usize>>,
}

impl Snippet {
    /// The snippet as runs of plain and marked text, for a template (which
    /// escapes each).
    pub fn runs(&self) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut at = 0;
        for m in &self.marks {
            if m.start > at {
                out.push((false, &self.text[at..m.start]));
            }
            out.push((true, &self.text[m.clone()]));
            at = m.end;
        }
        if at < self.text.len() {
            out.push((false, &self.text[at..]));
        }
        out
    }
}

/// One result: a record, or a point of a version.
#[derive(Debug, Clone, Serialize)]
pub struct Hit<'a> {
    /// The record's kind, or `point`.
    pub kind: String,
    /// The record's id, or the point's.
    pub id: String,
    /// What to call it.
    pub title: String,
    /// Where the query's words are.
    pub snippet: Snippet,
    /// The page that shows it.
    pub link: String,
    /// How many times the query's words occur in it.
    #[serde(skip)]
    pub score: usize,
    /// The record it is (or whose point it is), for the read's audit.
    #[serde(skip)]
    pub record: &'a Record,
}

/// Something a search finds, before it is checked: its prose fields.
struct Unit<'a> {
    kind: String,
    id: String,
    title: String,
    link: String,
    fields: Vec<&'a str>,
}

/// Every hit of `query` in what the user may see, best first: most
/// occurrences of the query's words, then by kind (texts, points,
/// amendments, stances, comments, meetings, documents, notes, then the
/// others by name), then by id, so the order is the same on every backend.
pub async fn search<'a>(
    state: &AppState,
    access: &'a RoomAccess,
    query: &Query,
) -> ApiResult<Vec<Hit<'a>>> {
    let candidates = access.search_candidates(state, &query.terms).await?;
    let mut hits = Vec::new();
    let mut seen = HashSet::new();
    for r in candidates {
        if NOT_SEARCHED.contains(&r.kind) {
            continue;
        }
        for unit in units(access, r) {
            if let Some((score, snippet)) = check(&unit, &query.terms) {
                if seen.insert((unit.kind.clone(), unit.id.clone())) {
                    hits.push(Hit {
                        kind: unit.kind,
                        id: unit.id,
                        title: unit.title,
                        snippet,
                        link: unit.link,
                        score,
                        record: r,
                    });
                }
            }
        }
    }
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| kind_rank(&a.kind).cmp(&kind_rank(&b.kind)))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(hits)
}

fn kind_rank(kind: &str) -> usize {
    const ORDER: [&str; 8] = [
        "text",
        "point",
        "amendment",
        "stance",
        "comment",
        "meeting",
        "document",
        "note",
    ];
    ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len())
}

/// The prose strings of a value, in order: every string except those of
/// identifier fields and closed vocabularies, at any depth; `skip` names
/// top-level fields left out too.
fn prose<'a>(body: &'a serde_json::Map<String, Value>, skip: &[&str], out: &mut Vec<&'a str>) {
    for (key, v) in body {
        if skip.contains(&key.as_str())
            || is_identifier_field(key)
            || VOCABULARY.contains(&key.as_str())
        {
            continue;
        }
        prose_value(v, out);
    }
}

fn prose_value<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(list) => list.iter().for_each(|x| prose_value(x, out)),
        Value::Object(o) => prose(o, &[], out),
        _ => {}
    }
}

fn first_str<'a>(body: &'a serde_json::Map<String, Value>, fields: &[&str]) -> Option<&'a str> {
    fields
        .iter()
        .filter_map(|f| body.get(*f).and_then(Value::as_str))
        .map(str::trim)
        .find(|s| !s.is_empty())
}

/// At most `n` characters of `s`, with "…" when cut.
fn clip(s: &str, n: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// What a search can find in one record: the record itself and, for a
/// version of the text, each of its points.
fn units<'a>(access: &RoomAccess, r: &'a Record) -> Vec<Unit<'a>> {
    let room = crate::ui::pages::room_path(access.room_id(), "");
    let part = |s: &str| crate::ui::urlpart(s.to_string());
    let mut out = Vec::new();
    let mut fields = Vec::new();
    if r.kind == Kind::Text {
        prose(&r.body, &["points"], &mut fields);
        let text_link = format!("{room}/texts/{}", part(&r.id));
        let title = first_str(&r.body, &["label"]).map_or_else(
            || match r.body.get("version").and_then(Value::as_u64) {
                Some(n) => format!("Version {n}"),
                None => r.id.clone(),
            },
            |l| clip(l, 80),
        );
        for p in r
            .body
            .get("points")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
        {
            let Some(pid) = p
                .get("id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            else {
                continue;
            };
            let mut pf = Vec::new();
            prose(p, &[], &mut pf);
            let number = p.get("number").and_then(Value::as_u64);
            let topic = first_str(p, &["topic"]).map(|t| clip(t, 80));
            let ptitle = match (number, topic) {
                (Some(n), Some(t)) => format!("{n}. {t} ({title})"),
                (None, Some(t)) => format!("{t} ({title})"),
                (Some(n), None) => format!("Point {n} ({title})"),
                (None, None) => format!("A point ({title})"),
            };
            out.push(Unit {
                kind: "point".into(),
                id: pid.to_string(),
                title: ptitle,
                link: format!("{text_link}#point-{}", part(pid)),
                fields: pf,
            });
        }
        out.insert(
            0,
            Unit {
                kind: r.kind.as_str().into(),
                id: r.id.clone(),
                title,
                link: text_link,
                fields,
            },
        );
        return out;
    }
    prose(&r.body, &[], &mut fields);
    let title = first_str(
        &r.body,
        &["title", "label", "name", "summary", "text", "body"],
    )
    .map_or_else(|| format!("{} {}", r.kind.as_str(), r.id), |t| clip(t, 80));
    out.push(Unit {
        kind: r.kind.as_str().into(),
        id: r.id.clone(),
        title,
        link: link_of(access, r),
        fields,
    });
    out
}

/// The page that shows a record: its own page where it has one, else the
/// version (and point) it is about, else the room.
fn link_of(access: &RoomAccess, r: &Record) -> String {
    let room = crate::ui::pages::room_path(access.room_id(), "");
    let part = |s: &str| crate::ui::urlpart(s.to_string());
    match r.kind {
        Kind::Stance => return format!("{room}/records/stances/{}", part(&r.id)),
        Kind::Meeting => return format!("{room}/meetings#meeting-{}", part(&r.id)),
        Kind::Document => return format!("{room}/documents#doc-{}", part(&r.id)),
        Kind::Note => return format!("{room}/documents#note-{}", part(&r.id)),
        _ => {}
    }
    // The view has dropped every name of a version the user may not see
    // (`pactum_workspace::references`), so a `text_id` left names one the
    // user sees (or none at all, which links to a 404 like any other).
    let about = |b: &serde_json::Map<String, Value>| {
        let text = b.get("text_id").and_then(Value::as_str)?;
        let point = b.get("point_id").and_then(Value::as_str);
        Some(match point {
            Some(p) => format!("{room}/texts/{}#point-{}", part(text), part(p)),
            None => format!("{room}/texts/{}", part(text)),
        })
    };
    about(&r.body)
        .or_else(|| {
            r.body
                .get("target")
                .and_then(Value::as_object)
                .and_then(about)
        })
        .unwrap_or(room)
}

/// Whether `unit` holds every term as a word, and if so its score and
/// snippet.
fn check(unit: &Unit<'_>, terms: &[String]) -> Option<(usize, Snippet)> {
    let mut found = vec![false; terms.len()];
    let mut score = 0;
    // The field that holds the most different terms, and its first hit.
    let mut best: Option<(usize, usize, Range<usize>)> = None;
    for (i, field) in unit.fields.iter().enumerate() {
        let mut here = vec![false; terms.len()];
        let mut first = None;
        for (range, w) in words(field) {
            if let Some(t) = terms.iter().position(|t| *t == w) {
                score += 1;
                found[t] = true;
                here[t] = true;
                first.get_or_insert(range);
            }
        }
        let n = here.iter().filter(|h| **h).count();
        if let Some(first) = first {
            if best.as_ref().is_none_or(|(_, m, _)| n > *m) {
                best = Some((i, n, first));
            }
        }
    }
    if !found.iter().all(|f| *f) {
        return None;
    }
    let (i, _, hit) = best?;
    Some((score, snippet(unit.fields[i], hit, terms)))
}

/// About [`SNIPPET_CHARS`] characters of `field` around `hit`, cut at
/// spaces where one is near, with every term in it marked.
fn snippet(field: &str, hit: Range<usize>, terms: &[String]) -> Snippet {
    let starts: Vec<usize> = field.char_indices().map(|(i, _)| i).collect();
    let at = starts.partition_point(|i| *i < hit.start);
    // A lead that would leave room unused at the end starts earlier (a
    // short field is shown whole).
    let room_after = starts.len().saturating_sub(at);
    let lead = SNIPPET_LEAD.max(SNIPPET_CHARS.saturating_sub(room_after));
    let mut from = starts.get(at.saturating_sub(lead)).copied().unwrap_or(0);
    if from > 0 {
        // Start after a space close by, rather than inside a word.
        let near = field[from..hit.start]
            .char_indices()
            .take(20)
            .find(|(_, c)| c.is_whitespace());
        if let Some((sp, c)) = near {
            from += sp + c.len_utf8();
        }
    }
    let first = starts.partition_point(|i| *i < from);
    let mut to = starts
        .get(first + SNIPPET_CHARS)
        .copied()
        .unwrap_or(field.len());
    if to < field.len() {
        if let Some(sp) = field[hit.end.min(to)..to].rfind(char::is_whitespace) {
            to = hit.end.min(to) + sp;
        }
    }
    let ellipsis = if from > 0 { "…" } else { "" };
    let mut text = String::with_capacity(to - from + 8);
    text.push_str(ellipsis);
    // Line breaks and tabs become spaces, byte for byte, so ranges hold.
    text.extend(field[from..to].chars().map(|c| {
        if matches!(c, '\n' | '\r' | '\t') {
            ' '
        } else {
            c
        }
    }));
    let marks = words(field)
        .filter(|(r, w)| r.start >= from && r.end <= to && terms.contains(w))
        .map(|(r, _)| r.start - from + ellipsis.len()..r.end - from + ellipsis.len())
        .collect();
    if to < field.len() {
        text.push('…');
    }
    Snippet { text, marks }
}

/// This feature's routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/rooms/{room}/search", get(api::search))
        .route("/rooms/{room}/search", get(ui::search))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<String> {
        Query::parse(Some(q)).unwrap().terms
    }

    #[test]
    fn queries_are_checked_and_named() {
        assert_eq!(terms("  Water, water RIGHTS "), ["water", "rights"]);
        let many: Vec<String> = (0..13).map(|i| format!("w{i}")).collect();
        for bad in ["", "   ", "?!", &many.join(" "), &"x".repeat(201)] {
            let e = Query::parse(Some(bad)).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("q"), "{bad:?}");
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
        }
        assert!(Query::parse(None).is_err());
        assert!(Query::parse(Some(&"y".repeat(101))).is_err());
    }

    #[test]
    fn a_snippet_marks_whole_words_and_says_where_it_was_cut() {
        let field = format!(
            "{} the Water rights\nof waterfalls {}",
            "lead ".repeat(30),
            "tail ".repeat(40)
        );
        let t = terms("water");
        let hit = field.find("Water").unwrap();
        let s = snippet(&field, hit..hit + 5, &t);
        assert!(
            s.text.starts_with('…') && s.text.ends_with('…'),
            "{}",
            s.text
        );
        assert!(!s.text.contains('\n'));
        let marked: Vec<&str> = s.marks.iter().map(|m| &s.text[m.clone()]).collect();
        assert_eq!(marked, ["Water"]);
        let runs = s.runs();
        assert!(runs.iter().any(|(m, t)| *m && *t == "Water"));
        assert_eq!(runs.iter().map(|(_, t)| *t).collect::<String>(), s.text);
        let whole = "Territorial questions to be discussed only after a ceasefire along the line.";
        let at = whole.find("ceasefire").unwrap();
        assert_eq!(snippet(whole, at..at + 9, &terms("ceasefire")).text, whole);
        let short = snippet("Мир и вода", 0..6, &terms("мир"));
        assert_eq!(short.text, "Мир и вода");
        assert_eq!(&short.text[short.marks[0].clone()], "Мир");
    }
}
