//! Case files: the shared case schema (`case.schema.json`) and pactum's own
//! case format.
//!
//! Import derives visibility from what a schema case file says (closed
//! meetings and what was said in them reach only their participants and the
//! mediator; preference models only their own party; the rest the whole
//! room). pactum's own format is the same layout with a `visibility` on every
//! record, so an export carries the room's confidentiality with it and a
//! mediator's export imports back to the same room, text byte for byte.

use crate::body::{Meeting, Term, TypedBody};
pub use crate::ids::{fresh_ids, IdChange, IdMap};
use crate::model::{meeting_visibility, Body, Kind, PartyKind, Record};
use crate::visibility::{Viewer, Visibility};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// The `format` tag of pactum's own case files.
pub const FORMAT: &str = "pactum-case";
/// The version of pactum's own case format this build writes.
pub const FORMAT_VERSION: u64 = 1;

/// Why a case file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// Not JSON at all.
    #[error("line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json said.
        message: String,
    },
    /// JSON, but not a case.
    #[error("{path}: {message}")]
    Field {
        /// JSON pointer to the offending value (`/stances/3/party_id`).
        path: String,
        /// What was expected.
        message: String,
    },
}

fn field(path: impl Into<String>, message: impl Into<String>) -> CaseError {
    CaseError::Field {
        path: path.into(),
        message: message.into(),
    }
}

/// A case read from a file: the room it becomes and its records.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Room id (pactum format: `room.id`; schema format: `meta.case_id`).
    pub room_id: String,
    /// Room title.
    pub title: String,
    /// Records in file order.
    pub records: Vec<Record>,
    /// Documents' files (pactum's own format only), in file order.
    pub files: Vec<CaseFile>,
}

/// A document's file as a case file carries it (`files`, base64): the
/// workspace holds no I/O, so the server hands the bytes in for an export
/// and stores them after an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFile {
    /// The document record it belongs to.
    pub document_id: String,
    /// File name.
    pub name: String,
    /// Content type (checked by the server on import).
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes [`base64_encode`]'s alphabet (padding required, no line breaks),
/// or `None` for anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let t = text.as_bytes();
    if t.len() % 4 != 0 {
        return None;
    }
    let value = |c: u8| BASE64.iter().position(|&a| a == c).map(|v| v as u32);
    let mut out = Vec::with_capacity(t.len() / 4 * 3);
    for (i, q) in t.chunks(4).enumerate() {
        let last = i + 1 == t.len() / 4;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// Reads a pactum case file's `files`: each names a document of the case.
fn case_files(root: &Map<String, Value>, records: &[Record]) -> Result<Vec<CaseFile>, CaseError> {
    let Some(list) = root.get("files") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| field("/files", "expected an array"))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let path = format!("/files/{i}");
        let f = object(v, &path)?;
        let text = |key: &str| {
            f.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| field(format!("{path}/{key}"), "missing (expected a string)"))
        };
        let document_id = text("document_id")?;
        if !records
            .iter()
            .any(|r| r.kind == Kind::Document && r.id == document_id)
        {
            return Err(field(
                format!("{path}/document_id"),
                format!("no document {document_id:?} in this case"),
            ));
        }
        if out.iter().any(|c: &CaseFile| c.document_id == document_id) {
            return Err(field(
                format!("{path}/document_id"),
                format!("document {document_id:?} has a file already"),
            ));
        }
        let bytes = base64_decode(&text("base64")?).ok_or_else(|| {
            field(
                format!("{path}/base64"),
                "expected standard base64 with padding",
            )
        })?;
        if let Some(size) = f.get("size") {
            if size.as_u64() != Some(bytes.len() as u64) {
                return Err(field(
                    format!("{path}/size"),
                    format!("expected {} (the decoded file's size)", bytes.len()),
                ));
            }
        }
        out.push(CaseFile {
            document_id,
            name: text("name")?,
            content_type: text("content_type")?,
            bytes,
        });
    }
    Ok(out)
}

/// The case-file collection that holds records of a kind.
pub(crate) fn collection(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Party => "parties",
        Kind::Issue => "issues",
        Kind::Text => "texts",
        Kind::Meeting => "meetings",
        Kind::Stance => "stances",
        Kind::Document => "documents",
        Kind::Note => "notes",
        Kind::Session => "sessions",
        Kind::Vote => "votes",
        Kind::Amendment => "amendments",
        Kind::Comment => "comments",
        Kind::Meta | Kind::Preference | Kind::PreferenceSet => return None,
    })
}

/// The kinds a case file lists in collections, with their collection, in
/// the file's order (`Kind::ALL`'s), so import and export cannot disagree.
fn collections() -> impl Iterator<Item = (Kind, &'static str)> {
    Kind::ALL
        .into_iter()
        .filter_map(|kind| collection(kind).map(|key| (kind, key)))
}

/// Room ids appear in URLs and file names: lowercase letters, digits, `-`
/// and `_`, starting with a letter or digit, at most 64 characters.
pub fn valid_room_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
}

fn room_id(id: Option<&str>, path: &str) -> Result<String, CaseError> {
    match id {
        Some(id) if valid_room_id(id) => Ok(id.to_string()),
        Some(id) => Err(field(
            path,
            format!("{id:?} is not a room id (lowercase letters, digits, - and _)"),
        )),
        None => Err(field(path, "missing (expected a string)")),
    }
}

/// Reads a case file in either format, with every record's visibility
/// derived (shared schema) or as stated (pactum's format), and every id as
/// the file gives it (an import into a room gives a schema file's records
/// fresh ids first: [`Preview::with_fresh_ids`], [`fresh_ids`]).
pub fn import(text: &str) -> Result<Case, CaseError> {
    Ok(preview(text)?.into_case())
}

/// Reads a case file without deriving anything yet.
fn parse(text: &str) -> Result<(Case, CaseFormat), CaseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| CaseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Object(root) = value else {
        return Err(field("", "expected a JSON object (a case file)"));
    };
    let (case, format) = match root.get("format") {
        Some(Value::String(f)) if f == FORMAT => (import_pactum(root)?, CaseFormat::Pactum),
        Some(other) => {
            return Err(field(
                "/format",
                format!("expected \"{FORMAT}\", found {other}"),
            ))
        }
        None => (import_schema(root)?, CaseFormat::Schema),
    };
    check_references(&case)?;
    Ok((case, format))
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, CaseError> {
    v.as_object()
        .ok_or_else(|| field(path, "expected an object"))
}

fn array<'a>(
    root: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a Vec<Value>, CaseError> {
    root.get(key)
        .ok_or_else(|| field(format!("{path}/{key}"), "missing (expected an array)"))?
        .as_array()
        .ok_or_else(|| field(format!("{path}/{key}"), "expected an array"))
}

fn id_of(body: &Map<String, Value>, path: &str) -> Result<String, CaseError> {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| field(format!("{path}/id"), "missing (expected a string id)"))?;
    if id.is_empty() || id.len() > 200 || id.chars().any(|c| c.is_control() || c == '/') {
        return Err(field(
            format!("{path}/id"),
            "expected a non-empty id without '/' or control characters",
        ));
    }
    Ok(id.to_string())
}

/// `visibility` is pactum's own field; in a schema case file it would be
/// overwritten on export, so it is refused rather than silently lost.
fn no_visibility(body: &Body, path: &str) -> Result<(), CaseError> {
    if body.contains_key("visibility") {
        return Err(field(
            format!("{path}/visibility"),
            "not a field of the case schema (pactum's own case format uses it; give \"format\": \"pactum-case\")",
        ));
    }
    Ok(())
}

fn import_schema(mut root: Map<String, Value>) -> Result<Case, CaseError> {
    for key in [
        "meta",
        "parties",
        "issues",
        "texts",
        "meetings",
        "stances",
        "illustrative_preferences",
    ] {
        if !root.contains_key(key) {
            return Err(field(
                format!("/{key}"),
                "missing (required by case.schema.json)",
            ));
        }
    }
    let meta = object(&root["meta"], "/meta")?.clone();
    no_visibility(&meta, "/meta")?;
    let room_id = room_id(meta.get("case_id").and_then(Value::as_str), "/meta/case_id")?;
    let title = meta
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or(&room_id)
        .to_string();
    let mut records = vec![Record {
        kind: Kind::Meta,
        id: "meta".into(),
        visibility: Visibility::Room,
        body: meta,
    }];

    for kind in [
        Kind::Party,
        Kind::Issue,
        Kind::Text,
        Kind::Meeting,
        Kind::Stance,
    ] {
        let key = collection(kind).expect("listed kinds have a collection");
        for (i, v) in array(&root, key, "")?.iter().enumerate() {
            let path = format!("/{key}/{i}");
            let body = object(v, &path)?.clone();
            let id = id_of(&body, &path)?;
            no_visibility(&body, &path)?;
            // Derived later, from the whole case (see `Derivation`).
            records.push(Record {
                kind,
                id,
                visibility: Visibility::Room,
                body,
            });
        }
    }

    let Some(Value::Object(mut prefs)) = root.remove("illustrative_preferences") else {
        return Err(field("/illustrative_preferences", "expected an object"));
    };
    let models = match prefs.remove("models") {
        Some(Value::Array(m)) => m,
        Some(_) => {
            return Err(field(
                "/illustrative_preferences/models",
                "expected an array",
            ))
        }
        None => {
            return Err(field(
                "/illustrative_preferences/models",
                "missing (expected an array)",
            ))
        }
    };
    no_visibility(&prefs, "/illustrative_preferences")?;
    records.push(Record {
        kind: Kind::PreferenceSet,
        id: "illustrative_preferences".into(),
        visibility: Visibility::Room,
        body: prefs,
    });
    for (i, m) in models.into_iter().enumerate() {
        let path = format!("/illustrative_preferences/models/{i}");
        let body = object(&m, &path)?.clone();
        no_visibility(&body, &path)?;
        let party = body
            .get("party_id")
            .and_then(Value::as_str)
            .ok_or_else(|| field(format!("{path}/party_id"), "missing (expected a party id)"))?
            .to_string();
        records.push(Record {
            kind: Kind::Preference,
            id: party,
            visibility: Visibility::Room,
            body,
        });
    }
    Ok(Case {
        room_id,
        title,
        records,
        files: Vec::new(),
    })
}

fn take_visibility(body: &mut Body, path: &str) -> Result<Visibility, CaseError> {
    let v = body.remove("visibility").ok_or_else(|| {
        field(
            format!("{path}/visibility"),
            "missing (pactum case files give every record's visibility)",
        )
    })?;
    serde_json::from_value(v).map_err(|e| {
        field(
            format!("{path}/visibility"),
            format!(
                "expected {{\"scope\": room|parties|party_and_mediator|party|mediator, ...}}: {e}"
            ),
        )
    })
}

fn import_pactum(mut root: Map<String, Value>) -> Result<Case, CaseError> {
    match root.get("format_version").and_then(Value::as_u64) {
        Some(FORMAT_VERSION) => {}
        _ => {
            return Err(field(
                "/format_version",
                format!("expected {FORMAT_VERSION}"),
            ))
        }
    }
    let room = object(
        root.get("room").ok_or_else(|| field("/room", "missing"))?,
        "/room",
    )?;
    let room_id = room_id(room.get("id").and_then(Value::as_str), "/room/id")?;
    let title = room
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or(&room_id)
        .to_string();
    let mut records = Vec::new();
    if let Some(meta) = root.remove("meta") {
        let Value::Object(mut body) = meta else {
            return Err(field("/meta", "expected an object"));
        };
        let visibility = take_visibility(&mut body, "/meta")?;
        records.push(Record {
            kind: Kind::Meta,
            id: "meta".into(),
            visibility,
            body,
        });
    }
    for (kind, key) in collections() {
        let Some(list) = root.remove(key) else {
            continue;
        };
        let Value::Array(list) = list else {
            return Err(field(format!("/{key}"), "expected an array"));
        };
        for (i, v) in list.into_iter().enumerate() {
            let path = format!("/{key}/{i}");
            let Value::Object(mut body) = v else {
                return Err(field(path, "expected an object"));
            };
            let id = id_of(&body, &path)?;
            let visibility = take_visibility(&mut body, &path)?;
            records.push(Record {
                kind,
                id,
                visibility,
                body,
            });
        }
    }
    if let Some(prefs) = root.remove("illustrative_preferences") {
        let Value::Object(mut prefs) = prefs else {
            return Err(field("/illustrative_preferences", "expected an object"));
        };
        let models = match prefs.remove("models") {
            Some(Value::Array(m)) => m,
            None => Vec::new(),
            Some(_) => {
                return Err(field(
                    "/illustrative_preferences/models",
                    "expected an array",
                ))
            }
        };
        if !prefs.is_empty() {
            let visibility = take_visibility(&mut prefs, "/illustrative_preferences")?;
            records.push(Record {
                kind: Kind::PreferenceSet,
                id: "illustrative_preferences".into(),
                visibility,
                body: prefs,
            });
        }
        for (i, m) in models.into_iter().enumerate() {
            let path = format!("/illustrative_preferences/models/{i}");
            let Value::Object(mut body) = m else {
                return Err(field(path, "expected an object"));
            };
            let id = body
                .get("party_id")
                .and_then(Value::as_str)
                .ok_or_else(|| field(format!("{path}/party_id"), "missing (expected a party id)"))?
                .to_string();
            let visibility = take_visibility(&mut body, &path)?;
            records.push(Record {
                kind: Kind::Preference,
                id,
                visibility,
                body,
            });
        }
    }
    let files = case_files(&root, &records)?;
    Ok(Case {
        room_id,
        title,
        records,
        files,
    })
}

/// Each record's JSON pointer in its case file, for errors.
fn record_paths(records: &[Record]) -> Vec<String> {
    let mut index: HashMap<Kind, usize> = HashMap::new();
    records
        .iter()
        .map(|r| {
            let n = index.entry(r.kind).or_insert(0);
            let path = match (r.kind, collection(r.kind)) {
                (_, Some(c)) => format!("/{c}/{n}"),
                (Kind::Preference, _) => format!("/illustrative_preferences/models/{n}"),
                (Kind::PreferenceSet, _) => "/illustrative_preferences".to_string(),
                _ => "/meta".to_string(),
            };
            *n += 1;
            path
        })
        .collect()
}

/// Cross-references the workspace relies on: unique ids, and parties, issues,
/// texts, points and meetings that exist where a record names them.
pub(crate) fn check_references(case: &Case) -> Result<(), CaseError> {
    let mut seen: HashSet<(Kind, &str)> = HashSet::new();
    let paths = record_paths(&case.records);
    for (r, path) in case.records.iter().zip(&paths) {
        if !seen.insert((r.kind, r.id.as_str())) {
            return Err(field(
                format!("{path}/id"),
                format!("duplicate id {:?}", r.id),
            ));
        }
    }
    let has = |kind: Kind, id: &str| seen.contains(&(kind, id));
    let points: HashSet<&str> = case
        .records
        .iter()
        .filter(|r| r.kind == Kind::Text)
        .flat_map(|t| {
            t.body
                .get("points")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|p| p.get("id").and_then(Value::as_str))
        .collect();
    for (r, path) in case.records.iter().zip(&paths) {
        for p in r.visibility.named_parties() {
            if !has(Kind::Party, p) {
                return Err(field(
                    format!("{path}/visibility"),
                    format!("unknown party {p:?}"),
                ));
            }
        }
        let want = |f: &str, kind: Kind| -> Result<(), CaseError> {
            match r.body.get(f) {
                Some(Value::String(id)) if !has(kind, id) => Err(field(
                    format!("{path}/{f}"),
                    format!("unknown {} {id:?}", kind.as_str()),
                )),
                _ => Ok(()),
            }
        };
        match r.kind {
            Kind::Party => {
                let kind = r.str("kind");
                if !matches!(kind, Some("party" | "mediator" | "observer")) {
                    return Err(field(
                        format!("{path}/kind"),
                        "expected party, mediator or observer",
                    ));
                }
            }
            Kind::Meeting => {
                for (j, t) in r.strs("texts_discussed").into_iter().enumerate() {
                    if !has(Kind::Text, t) {
                        return Err(field(
                            format!("{path}/texts_discussed/{j}"),
                            format!("unknown text {t:?}"),
                        ));
                    }
                }
                if let Some(ps) = r.body.get("participants").and_then(Value::as_array) {
                    for (j, p) in ps.iter().enumerate() {
                        if let Some(id) = p.get("party_id").and_then(Value::as_str) {
                            if !has(Kind::Party, id) {
                                return Err(field(
                                    format!("{path}/participants/{j}/party_id"),
                                    format!("unknown party {id:?}"),
                                ));
                            }
                        }
                    }
                }
            }
            Kind::Stance => {
                want("party_id", Kind::Party)?;
                want("meeting_id", Kind::Meeting)?;
                let stance = r.str("stance").unwrap_or_default();
                if crate::model::StanceKind::parse(stance).is_none() {
                    return Err(field(
                        format!("{path}/stance"),
                        "expected accepts, rejects, conditional, proposes_amendment or unknown",
                    ));
                }
                let target = r
                    .body
                    .get("target")
                    .and_then(Value::as_object)
                    .ok_or_else(|| {
                        field(format!("{path}/target"), "missing (expected an object)")
                    })?;
                let t = |f: &str| target.get(f).and_then(Value::as_str);
                if t("issue_id").is_none()
                    && t("text_id").is_none()
                    && t("point_id").is_none()
                    && t("amendment_id").is_none()
                {
                    return Err(field(
                        format!("{path}/target"),
                        "name an issue_id, a text_id, a point_id or an amendment_id",
                    ));
                }
                for (f, kind) in [
                    ("issue_id", Kind::Issue),
                    ("text_id", Kind::Text),
                    ("amendment_id", Kind::Amendment),
                ] {
                    if let Some(id) = t(f) {
                        if !has(kind, id) {
                            return Err(field(
                                format!("{path}/target/{f}"),
                                format!("unknown {} {id:?}", kind.as_str()),
                            ));
                        }
                    }
                }
                if let Some(id) = t("point_id") {
                    if !points.contains(id) {
                        return Err(field(
                            format!("{path}/target/point_id"),
                            format!("unknown point {id:?}"),
                        ));
                    }
                }
                let rel = r
                    .body
                    .get("provenance")
                    .and_then(|p| p.get("reliability"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if crate::model::Reliability::parse(rel).is_none() {
                    return Err(field(
                        format!("{path}/provenance/reliability"),
                        "expected one of official_on_record, named_outlet_report, unnamed_source, denied_by_party, author_commentary, own_delegation",
                    ));
                }
            }
            Kind::Preference => want("party_id", Kind::Party)?,
            Kind::Amendment => {
                want("party_id", Kind::Party)?;
                want("text_id", Kind::Text)?;
                want("superseded_by_amendment_id", Kind::Amendment)?;
                want("incorporated_in_text_id", Kind::Text)?;
            }
            Kind::Comment => {
                want("reply_to_comment_id", Kind::Comment)?;
                if let Some(t) = r.body.get("target").and_then(Value::as_object) {
                    for (f, kind) in [("text_id", Kind::Text), ("amendment_id", Kind::Amendment)] {
                        if let Some(id) = t.get(f).and_then(Value::as_str) {
                            if !has(kind, id) {
                                return Err(field(
                                    format!("{path}/target/{f}"),
                                    format!("unknown {} {id:?}", kind.as_str()),
                                ));
                            }
                        }
                    }
                }
            }
            Kind::Document => {
                want("text_id", Kind::Text)?;
                want("meeting_id", Kind::Meeting)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Which of the two case formats a file was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseFormat {
    /// The shared case schema (`case.schema.json`): visibility is derived.
    Schema,
    /// pactum's own format: every record states its visibility.
    Pactum,
}

/// Why a record gets the visibility it gets on import, so whoever imports
/// can check each derivation before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// pactum's own format says so.
    Stated,
    /// A closed meeting reaches its participants and the mediator.
    ClosedMeeting {
        /// The meeting.
        meeting: String,
    },
    /// A meeting that is not closed, with no other fact to narrow it.
    MeetingNotClosed {
        /// Its `confidentiality` as the file gives it.
        confidentiality: String,
    },
    /// Recorded at a closed meeting: what was said there stays there.
    AtClosedMeeting {
        /// The meeting.
        meeting: String,
    },
    /// A text discussed or handed over only at closed meetings.
    TextAtClosedMeetings {
        /// Those meetings.
        meetings: Vec<String>,
    },
    /// A counter-proposal by one party, tabled only at closed meetings.
    TabledAtClosedMeetings {
        /// Its author.
        party: String,
        /// Those meetings.
        meetings: Vec<String>,
    },
    /// A text also discussed at a meeting that is not closed.
    DiscussedAtOpenMeeting {
        /// That meeting.
        meeting: String,
    },
    /// A point is part of its text and reaches whoever the text reaches.
    PointOfText {
        /// The text.
        text: String,
    },
    /// A stance or document about a restricted text is never wider than it.
    NeverWiderThanText {
        /// The record's kind (`stance`, `document`).
        of: String,
        /// The text.
        text: String,
        /// The point, when the record is about one.
        point: Option<String>,
        /// The closed meeting that narrowed it too, if any.
        meeting: Option<String>,
    },
    /// A preference model is its own party's alone.
    PreferenceModel {
        /// The party.
        party: String,
    },
    /// Nothing in the file says who may see it.
    RoomWide,
    /// Set by whoever imports, in the preview.
    Overridden,
}

fn id_list(ids: &[String]) -> String {
    ids.join(", ")
}

impl Rule {
    /// The rule as a sentence for people.
    pub fn sentence(&self) -> String {
        match self {
            Rule::Stated => "stated in the file".into(),
            Rule::ClosedMeeting { meeting } => {
                format!("closed meeting {meeting}'s participants and the mediator")
            }
            Rule::MeetingNotClosed { confidentiality } => format!(
                "meeting's confidentiality is {confidentiality:?}, not closed: room-wide (narrow it if needed)"
            ),
            Rule::AtClosedMeeting { meeting } => {
                format!("recorded at closed meeting {meeting}: its participants and the mediator")
            }
            Rule::TextAtClosedMeetings { meetings } => format!(
                "text discussed or handed over only at closed meetings {}: their participants, its authors and the mediator",
                id_list(meetings)
            ),
            Rule::TabledAtClosedMeetings { party, meetings } => format!(
                "counter-proposal by party {party} tabled only at closed meetings {}: their participants and the mediator",
                id_list(meetings)
            ),
            Rule::DiscussedAtOpenMeeting { meeting } => format!(
                "text also discussed at meeting {meeting}, which is not closed: room-wide (narrow it if needed)"
            ),
            Rule::PointOfText { text } => format!("point inherits its text {text}'s visibility"),
            Rule::NeverWiderThanText {
                of,
                text,
                point,
                meeting,
            } => {
                let about = match point {
                    Some(p) => format!("point {p} of restricted text {text}"),
                    None => format!("restricted text {text}"),
                };
                let at = match meeting {
                    Some(m) => format!(", recorded at closed meeting {m}"),
                    None => String::new(),
                };
                format!("{of} about {about}{at}: never wider than that text")
            }
            Rule::PreferenceModel { party } => format!("preference model: its own party {party}"),
            Rule::RoomWide => "no structured fact: room-wide (narrow it if needed)".into(),
            Rule::Overridden => "set in the import preview".into(),
        }
    }
}

/// One line of an import preview: a record (or a point of a text) with the
/// visibility it will be stored with and the rule that gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewRecord {
    /// The record's kind (`text`, `stance`, ...), or `point` for a point of a text.
    pub kind: &'static str,
    /// Its id in the case file (what overrides name).
    pub id: String,
    /// The id it will have in the room: a fresh one (see [`crate::ids`]),
    /// or `id` when the import keeps the file's ids.
    pub stored_id: String,
    /// A short title (label, title, name or summary).
    pub title: String,
    /// Who will see it.
    pub visibility: Visibility,
    /// Why.
    pub rule: Rule,
    /// The rule as a sentence.
    pub reason: String,
    /// Whether an override may name it (a point follows its text).
    pub overridable: bool,
}

/// A change of one record's visibility, made in the preview before import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The record's kind (`text`, `stance`, ...).
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Who shall see it.
    pub visibility: Visibility,
}

/// A case read and derived but not stored: what an import would write.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The case's format.
    pub format: CaseFormat,
    /// Every record, then every point of every text, with its visibility and rule.
    pub records: Vec<PreviewRecord>,
    case: Case,
    derivation: Derivation,
    ids: Option<IdMap>,
}

/// Reads a case file and derives every record's visibility, writing nothing.
pub fn preview(text: &str) -> Result<Preview, CaseError> {
    let (case, format) = parse(text)?;
    let derivation = Derivation::new(&case, format);
    Preview::build(case, derivation, &HashMap::new())
}

impl Preview {
    fn build(
        mut case: Case,
        derivation: Derivation,
        overrides: &HashMap<usize, (usize, Visibility)>,
    ) -> Result<Preview, CaseError> {
        let resolved = derivation.resolve(overrides)?;
        let mut records = Vec::with_capacity(case.records.len() + derivation.points.len());
        for (r, (visibility, rule)) in case.records.iter_mut().zip(resolved) {
            r.visibility = visibility;
            records.push(PreviewRecord {
                kind: r.kind.as_str(),
                id: r.id.clone(),
                stored_id: r.id.clone(),
                title: short_title(&r.body, r.kind, &r.id),
                visibility: r.visibility.clone(),
                reason: rule.sentence(),
                rule,
                overridable: true,
            });
        }
        for p in &derivation.points {
            let text = &case.records[p.text];
            let rule = Rule::PointOfText {
                text: text.id.clone(),
            };
            records.push(PreviewRecord {
                kind: "point",
                id: p.id.clone(),
                stored_id: p.id.clone(),
                title: p.title.clone(),
                visibility: text.visibility.clone(),
                reason: rule.sentence(),
                rule,
                overridable: false,
            });
        }
        Ok(Preview {
            format: derivation.format,
            records,
            case,
            derivation,
            ids: None,
        })
    }

    /// The preview again, with every record of a kind that can be
    /// restricted and every point to be stored under a fresh id from
    /// `mint` (see [`crate::ids`]): each line's `stored_id` says which, and
    /// [`Preview::into_case`] renames the records and rewrites every
    /// reference. Overrides still name records by their case ids. The same
    /// case with a mint that gives the same ids in the same order (the
    /// server's seeded mint) gives the same ids, which is how a preview
    /// shows the ids a later import stores.
    pub fn with_fresh_ids(
        mut self,
        mint: impl FnMut(Kind) -> String,
    ) -> Result<Preview, CaseError> {
        let ids = IdMap::mint(&self.case, mint)?;
        self.set_ids(ids);
        Ok(self)
    }

    fn set_ids(&mut self, ids: IdMap) {
        for r in &mut self.records {
            if let Some(new) = ids.get(r.kind, &r.id) {
                r.stored_id = new.to_string();
            }
        }
        self.ids = Some(ids);
    }

    /// The fresh ids the import gives, old → new; `None` when it keeps the
    /// case's ids.
    pub fn ids(&self) -> Option<&IdMap> {
        self.ids.as_ref()
    }

    /// What whoever imports should know before confirming: a schema case
    /// imported with its own ids (`--keep-ids`, `"keep_ids": true`) tells
    /// every party, through the gaps in the ids it sees, that records it
    /// cannot see exist.
    pub fn warnings(&self) -> Vec<String> {
        if self.format == CaseFormat::Schema && self.ids.is_none() {
            vec!["the case's own ids are kept: ids that run in sequence (s01, s02, ...) may reveal, through the gaps a party sees, that records hidden from it exist".into()]
        } else {
            Vec::new()
        }
    }

    /// The room id the file names.
    pub fn room_id(&self) -> &str {
        &self.case.room_id
    }

    /// The room's title.
    pub fn title(&self) -> &str {
        &self.case.title
    }

    /// The preview again with these visibilities set by hand. A text's new
    /// visibility carries to its points, and to the stances and documents
    /// about it, which are never wider than it. Refuses an unknown record, a
    /// point (it follows its text), a party the case does not have, and a
    /// stance or document set wider than its text, naming the override.
    pub fn with_overrides(&self, overrides: &[Override]) -> Result<Preview, CaseError> {
        let mut by_index = HashMap::new();
        for (i, o) in overrides.iter().enumerate() {
            let path = format!("/overrides/{i}");
            if o.kind == "point" {
                return Err(field(
                    format!("{path}/kind"),
                    format!(
                        "point {:?} follows its text's visibility; override the text instead",
                        o.id
                    ),
                ));
            }
            let kind = Kind::parse(&o.kind).ok_or_else(|| {
                field(
                    format!("{path}/kind"),
                    format!("unknown record kind {:?}", o.kind),
                )
            })?;
            let index = *self
                .derivation
                .index
                .get(&(kind, o.id.clone()))
                .ok_or_else(|| {
                    field(
                        format!("{path}/id"),
                        format!("the case has no {} {:?}", kind.as_str(), o.id),
                    )
                })?;
            for p in o.visibility.named_parties() {
                if !self.derivation.audience.has_party(p) {
                    return Err(field(
                        format!("{path}/visibility"),
                        format!("unknown party {p:?}"),
                    ));
                }
            }
            if by_index.insert(index, (i, o.visibility.clone())).is_some() {
                return Err(field(
                    format!("{path}/id"),
                    format!("{} {:?} is overridden twice", kind.as_str(), o.id),
                ));
            }
        }
        let mut out = Preview::build(self.case.clone(), self.derivation.clone(), &by_index)?;
        if let Some(ids) = &self.ids {
            out.set_ids(ids.clone());
        }
        Ok(out)
    }

    /// The case as it would be stored: visibilities as previewed, and the
    /// fresh ids applied when there are any.
    pub fn into_case(self) -> Case {
        let mut case = self.case;
        if let Some(ids) = &self.ids {
            ids.apply(&mut case);
        }
        case
    }

    /// The case as read, under the file's own ids (the parties, issues and
    /// visibilities are as stored).
    pub fn case(&self) -> &Case {
        &self.case
    }
}

/// A short title for a preview line.
fn short_title(body: &Body, kind: Kind, id: &str) -> String {
    let found = ["title", "label", "name", "summary", "topic"]
        .iter()
        .find_map(|f| body.get(*f).and_then(Value::as_str));
    let text = match (found, kind) {
        (Some(t), _) => t.to_string(),
        (None, Kind::Preference) => format!("preference model of {id}"),
        (None, _) => id.to_string(),
    };
    const MAX: usize = 90;
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Who can see what, over the room's parties, decided by
/// [`Viewer::can_see`] itself so that narrowing here can never disagree with
/// what the server enforces.
#[derive(Debug, Clone)]
struct Audience {
    parties: Vec<String>,
    viewers: Vec<Viewer>,
    mediators: Vec<usize>,
}

impl Audience {
    fn new(records: &[Record]) -> Audience {
        let mut parties = Vec::new();
        let mut viewers = Vec::new();
        let mut mediators = Vec::new();
        for p in records.iter().filter(|r| r.kind == Kind::Party) {
            let party = p.id.clone();
            if PartyKind::of(p) == PartyKind::Mediator {
                mediators.push(parties.len());
                viewers.push(Viewer::Mediator {
                    party: party.clone(),
                });
            } else {
                viewers.push(Viewer::Member {
                    party: party.clone(),
                });
            }
            parties.push(party);
        }
        Audience {
            parties,
            viewers,
            mediators,
        }
    }

    fn has_party(&self, id: &str) -> bool {
        self.parties.iter().any(|p| p == id)
    }

    fn of(&self, v: &Visibility) -> Vec<bool> {
        self.viewers.iter().map(|w| w.can_see(v)).collect()
    }

    /// The widest scope no wider than both; `None` when no one is left.
    fn intersect(&self, a: &Visibility, b: &Visibility) -> Option<Visibility> {
        let (sa, sb) = (self.of(a), self.of(b));
        let both: Vec<bool> = sa.iter().zip(&sb).map(|(x, y)| *x && *y).collect();
        if both == sa {
            return Some(a.clone());
        }
        if both == sb {
            return Some(b.clone());
        }
        let candidate = if self.mediators.iter().all(|&m| both[m]) {
            let others: Vec<String> = (0..both.len())
                .filter(|&i| both[i] && !self.mediators.contains(&i))
                .map(|i| self.parties[i].clone())
                .collect();
            match others.len() {
                0 => Visibility::Mediator,
                1 => Visibility::PartyAndMediator {
                    party: others[0].clone(),
                },
                _ => Visibility::Parties { parties: others },
            }
        } else {
            let only: Vec<usize> = (0..both.len()).filter(|&i| both[i]).collect();
            match only[..] {
                [one] => Visibility::Party {
                    party: self.parties[one].clone(),
                },
                _ => return None,
            }
        };
        // Only a scope whose audience is exactly the intersection will do.
        (self.of(&candidate) == both).then_some(candidate)
    }
}

/// What a stance or document refers to, by record index.
#[derive(Debug, Clone, Default)]
struct Refs {
    meeting: Option<usize>,
    text: Option<usize>,
    point: Option<(String, usize)>,
}

#[derive(Debug, Clone)]
struct PointLine {
    text: usize,
    id: String,
    title: String,
}

/// The facts of a case that visibility follows, kept so that overrides can
/// be applied and everything that depends on them derived again.
#[derive(Debug, Clone)]
struct Derivation {
    format: CaseFormat,
    paths: Vec<String>,
    kinds: Vec<Kind>,
    ids: Vec<String>,
    base: Vec<(Visibility, Rule)>,
    refs: Vec<Refs>,
    points: Vec<PointLine>,
    index: HashMap<(Kind, String), usize>,
    audience: Audience,
}

impl Derivation {
    fn new(case: &Case, format: CaseFormat) -> Derivation {
        let records = &case.records;
        let index: HashMap<(Kind, String), usize> = records
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.kind, r.id.clone()), i))
            .collect();
        let audience = Audience::new(records);
        let mut points = Vec::new();
        let mut point_text: HashMap<&str, usize> = HashMap::new();
        for (i, t) in records.iter().enumerate() {
            if t.kind != Kind::Text {
                continue;
            }
            for p in t
                .body
                .get("points")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(body) = p.as_object() else { continue };
                let Some(id) = body.get("id").and_then(Value::as_str) else {
                    continue;
                };
                point_text.entry(id).or_insert(i);
                let title = match body.get("number").and_then(Value::as_u64) {
                    Some(n) => format!("{n}. {}", short_title(body, Kind::Text, id)),
                    None => short_title(body, Kind::Text, id),
                };
                points.push(PointLine {
                    text: i,
                    id: id.to_string(),
                    title,
                });
            }
        }
        let lookup = |kind: Kind, id: Option<&str>| {
            id.and_then(|id| index.get(&(kind, id.to_string())).copied())
        };
        let refs: Vec<Refs> = records
            .iter()
            .map(|r| match r.kind {
                Kind::Stance => {
                    let target = r.body.get("target").and_then(Value::as_object);
                    let t = |f: &str| target.and_then(|t| t.get(f)).and_then(Value::as_str);
                    Refs {
                        meeting: lookup(Kind::Meeting, r.str("meeting_id")),
                        text: lookup(Kind::Text, t("text_id")),
                        point: t("point_id")
                            .and_then(|p| point_text.get(p).map(|&i| (p.to_string(), i))),
                    }
                }
                Kind::Document => Refs {
                    meeting: lookup(Kind::Meeting, r.str("meeting_id")),
                    text: lookup(Kind::Text, r.str("text_id")),
                    point: None,
                },
                _ => Refs::default(),
            })
            .collect();
        let base = match format {
            CaseFormat::Pactum => records
                .iter()
                .map(|r| (r.visibility.clone(), Rule::Stated))
                .collect(),
            CaseFormat::Schema => schema_base(records, &index),
        };
        Derivation {
            format,
            paths: record_paths(records),
            kinds: records.iter().map(|r| r.kind).collect(),
            ids: records.iter().map(|r| r.id.clone()).collect(),
            base,
            refs,
            points,
            index,
            audience,
        }
    }

    /// Every record's visibility and rule, overrides applied. A stance or
    /// document is narrowed to its meeting where the meeting decides (the
    /// shared schema, or a meeting overridden here) and always to its text
    /// and its point's text where those are narrower.
    fn resolve(
        &self,
        overrides: &HashMap<usize, (usize, Visibility)>,
    ) -> Result<Vec<(Visibility, Rule)>, CaseError> {
        let schema = self.format == CaseFormat::Schema;
        let own = |i: usize| match overrides.get(&i) {
            Some((_, v)) => (v.clone(), Rule::Overridden),
            None => self.base[i].clone(),
        };
        let mut out = Vec::with_capacity(self.base.len());
        for i in 0..self.base.len() {
            let refs = &self.refs[i];
            let (mut v, mut rule) = own(i);
            let overridden = overrides.contains_key(&i);
            let mut at_meeting = None;
            if let Some(m) = refs.meeting {
                if !overridden && (schema || overrides.contains_key(&m)) {
                    let mv = own(m).0;
                    let narrowed = self.narrow(i, &v, &mv)?;
                    if narrowed != v {
                        v = narrowed;
                        let meeting = self.id(m);
                        rule = Rule::AtClosedMeeting {
                            meeting: meeting.clone(),
                        };
                        at_meeting = Some(meeting);
                    }
                }
            }
            let texts = [
                refs.text.map(|t| (t, None)),
                refs.point.as_ref().map(|(p, t)| (*t, Some(p.clone()))),
            ];
            for (t, point) in texts.into_iter().flatten() {
                if !(schema || overrides.contains_key(&t)) {
                    continue;
                }
                let tv = own(t).0;
                let narrowed = self
                    .narrow(i, &v, &tv)
                    .map_err(|e| match overrides.get(&i) {
                        Some((k, _)) => match e {
                            CaseError::Field { message, .. } => {
                                field(format!("/overrides/{k}/visibility"), message)
                            }
                            e => e,
                        },
                        None => e,
                    })?;
                if narrowed == v {
                    continue;
                }
                if let Some((k, _)) = overrides.get(&i) {
                    return Err(field(
                        format!("/overrides/{k}/visibility"),
                        format!(
                            "{} {:?} would reach {} but its text {:?} reaches only {}: a {} is never wider than its text",
                            self.kinds[i].as_str(),
                            self.id(i),
                            v.label(),
                            self.id(t),
                            tv.label(),
                            self.kinds[i].as_str(),
                        ),
                    ));
                }
                v = narrowed;
                rule = Rule::NeverWiderThanText {
                    of: self.kinds[i].as_str().to_string(),
                    text: self.id(t),
                    point: point.clone(),
                    meeting: at_meeting.clone(),
                };
            }
            out.push((v, rule));
        }
        Ok(out)
    }

    fn narrow(&self, i: usize, v: &Visibility, by: &Visibility) -> Result<Visibility, CaseError> {
        self.audience.intersect(v, by).ok_or_else(|| {
            field(
                format!("{}/visibility", self.paths[i]),
                format!(
                    "{} {:?}: no one is in both {} and {}; choose its visibility by hand",
                    self.kinds[i].as_str(),
                    self.id(i),
                    v.label(),
                    by.label()
                ),
            )
        })
    }

    fn id(&self, i: usize) -> String {
        self.ids[i].clone()
    }
}

/// What the shared schema's facts say of each record on its own (a
/// stance's meeting and text are applied in [`Derivation::resolve`]).
fn schema_base(
    records: &[Record],
    index: &HashMap<(Kind, String), usize>,
) -> Vec<(Visibility, Rule)> {
    let parsed: Vec<TypedBody> = records.iter().map(TypedBody::of).collect();
    let confidentiality = |m: &Meeting| {
        m.confidentiality
            .as_ref()
            .map_or("", Term::as_str)
            .to_string()
    };
    // Each meeting's own scope, and the meetings each text was discussed at.
    let mut meeting_scope: HashMap<usize, Visibility> = HashMap::new();
    let mut discussed: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, m) in parsed.iter().enumerate().filter_map(|(i, b)| match b {
        TypedBody::Meeting(m) => Some((i, m)),
        _ => None,
    }) {
        let participants: Vec<String> = m.party_ids().map(str::to_string).collect();
        meeting_scope.insert(i, meeting_visibility(&confidentiality(m), &participants));
        for t in &m.texts_discussed {
            if let Some(&ti) = index.get(&(Kind::Text, t.to_string())) {
                let list = discussed.entry(ti).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
        }
    }
    records
        .iter()
        .zip(&parsed)
        .enumerate()
        .map(|(i, (r, b))| match b {
            TypedBody::Meeting(m) => match &meeting_scope[&i] {
                Visibility::Room => (
                    Visibility::Room,
                    Rule::MeetingNotClosed {
                        confidentiality: confidentiality(m),
                    },
                ),
                v => (
                    v.clone(),
                    Rule::ClosedMeeting {
                        meeting: r.id.clone(),
                    },
                ),
            },
            TypedBody::Text(t) => {
                let meetings = discussed.get(&i).map(Vec::as_slice).unwrap_or_default();
                if let Some(&open) = meetings.iter().find(|m| meeting_scope[m].is_room_wide()) {
                    return (
                        Visibility::Room,
                        Rule::DiscussedAtOpenMeeting {
                            meeting: records[open].id.clone(),
                        },
                    );
                }
                if meetings.is_empty() {
                    return (Visibility::Room, Rule::RoomWide);
                }
                // Everyone who was at one of those meetings, and its
                // authors, who know their own text.
                let mut parties: Vec<String> = Vec::new();
                let authors = &t.author_party_ids;
                for p in meetings
                    .iter()
                    .flat_map(|m| meeting_scope[m].named_parties())
                    .chain(authors.iter().map(String::as_str))
                {
                    if !parties.iter().any(|q| q == p) {
                        parties.push(p.to_string());
                    }
                }
                let first = &meeting_scope[&meetings[0]];
                let visibility = if first.named_parties().len() == parties.len() {
                    first.clone()
                } else {
                    Visibility::Parties { parties }
                };
                let ids: Vec<String> = meetings.iter().map(|&m| records[m].id.clone()).collect();
                let rule = match (t.kind.as_deref(), &authors[..]) {
                    (Some("counter_proposal"), [author]) => Rule::TabledAtClosedMeetings {
                        party: author.to_string(),
                        meetings: ids,
                    },
                    _ => Rule::TextAtClosedMeetings { meetings: ids },
                };
                (visibility, rule)
            }
            TypedBody::Preference(_) => (
                Visibility::Party {
                    party: r.id.clone(),
                },
                Rule::PreferenceModel {
                    party: r.id.clone(),
                },
            ),
            _ => (Visibility::Room, Rule::RoomWide),
        })
        .collect()
}

/// Writes records (already filtered to what the reader may see) as a case
/// file in pactum's own format. Record order within each collection is kept.
pub fn export(room_id: &str, title: &str, records: &[Record]) -> Value {
    export_with_files(room_id, title, records, &[])
}

/// [`export`] with the files of the documents among `records` (base64,
/// with their size); files of other records are left out, so a caller
/// cannot export a file with a document the reader may not see.
pub fn export_with_files(
    room_id: &str,
    title: &str,
    records: &[Record],
    files: &[CaseFile],
) -> Value {
    let mut root = Map::new();
    root.insert("format".into(), FORMAT.into());
    root.insert("format_version".into(), FORMAT_VERSION.into());
    let mut room = Map::new();
    room.insert("id".into(), room_id.into());
    room.insert("title".into(), title.into());
    root.insert("room".into(), Value::Object(room));
    let with_visibility = |r: &Record| {
        let mut body = r.body.clone();
        body.insert(
            "visibility".into(),
            serde_json::to_value(&r.visibility).expect("visibility serialises"),
        );
        Value::Object(body)
    };
    if let Some(meta) = records.iter().find(|r| r.kind == Kind::Meta) {
        root.insert("meta".into(), with_visibility(meta));
    }
    for (kind, key) in collections() {
        let list: Vec<Value> = records
            .iter()
            .filter(|r| r.kind == kind)
            .map(with_visibility)
            .collect();
        // Sessions and votes came later than the case format: a room
        // without them exports exactly as before.
        if list.is_empty()
            && matches!(
                kind,
                Kind::Session | Kind::Vote | Kind::Amendment | Kind::Comment
            )
        {
            continue;
        }
        root.insert(key.into(), Value::Array(list));
    }
    let set = records.iter().find(|r| r.kind == Kind::PreferenceSet);
    let models: Vec<Value> = records
        .iter()
        .filter(|r| r.kind == Kind::Preference)
        .map(with_visibility)
        .collect();
    if set.is_some() || !models.is_empty() {
        let mut prefs = match set.map(with_visibility) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        prefs.insert("models".into(), Value::Array(models));
        root.insert("illustrative_preferences".into(), Value::Object(prefs));
    }
    let files: Vec<Value> = files
        .iter()
        .filter(|f| {
            records
                .iter()
                .any(|r| r.kind == Kind::Document && r.id == f.document_id)
        })
        .map(|f| {
            serde_json::json!({
                "document_id": f.document_id,
                "name": f.name,
                "content_type": f.content_type,
                "size": f.bytes.len(),
                "base64": base64_encode(&f.bytes),
            })
        })
        .collect();
    if !files.is_empty() {
        root.insert("files".into(), Value::Array(files));
    }
    Value::Object(root)
}

/// The demo case's room, the fixture the crate's model and session tests share.
#[cfg(test)]
pub(crate) fn demo_room() -> crate::model::Room {
    crate::model::Room::new(
        import(include_str!("../../../examples/cases/peace-plan-2025.json"))
            .unwrap()
            .records,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for n in 0..70usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let text = base64_encode(&bytes);
            assert_eq!(base64_decode(&text).as_deref(), Some(&bytes[..]), "{n}");
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_decode("Zm9=v"), None);
        assert_eq!(base64_decode("Z=9v"), None);
        assert_eq!(base64_decode("Zm9*"), None);
    }

    const SMALL: &str = r#"{
      "meta": {"case_id": "t", "title": "Test ✓ café"},
      "parties": [
        {"id": "med", "name": "Mediator", "kind": "mediator"},
        {"id": "a", "name": "A", "kind": "party"},
        {"id": "b", "name": "B", "kind": "party"}],
      "issues": [{"id": "i", "title": "I", "options": [{"id": "i.x"}, {"id": "i.y"}]}],
      "texts": [{"id": "v1", "label": "v1", "version": 1, "points": [{"id": "v1.p1", "number": 1, "topic": "P"}]}],
      "meetings": [
        {"id": "m1", "confidentiality": "closed", "participants": [{"party_id": "med"}, {"party_id": "a"}]},
        {"id": "m2", "confidentiality": "open", "participants": [{"party_id": "b"}]}],
      "stances": [
        {"id": "s1", "party_id": "a", "target": {"issue_id": "i", "text_id": null, "point_id": null},
         "stance": "rejects", "meeting_id": "m1", "provenance": {"reliability": "unnamed_source"}},
        {"id": "s2", "party_id": "b", "target": {"issue_id": null, "text_id": "v1", "point_id": "v1.p1"},
         "stance": "accepts", "meeting_id": null, "provenance": {"reliability": "official_on_record"}}],
      "illustrative_preferences": {"label": "HYPOTHETICAL", "models": [{"party_id": "a", "issues": []}]}
    }"#;

    #[test]
    fn schema_import_derives_visibility() {
        let case = import(SMALL).unwrap();
        assert_eq!(case.room_id, "t");
        let vis = |kind, id: &str| {
            case.records
                .iter()
                .find(|r| r.kind == kind && r.id == id)
                .unwrap()
                .visibility
                .clone()
        };
        let closed = Visibility::Parties {
            parties: vec!["med".into(), "a".into()],
        };
        assert_eq!(vis(Kind::Meeting, "m1"), closed);
        assert_eq!(vis(Kind::Stance, "s1"), closed);
        assert_eq!(vis(Kind::Meeting, "m2"), Visibility::Room);
        assert_eq!(vis(Kind::Stance, "s2"), Visibility::Room);
        assert_eq!(
            vis(Kind::Preference, "a"),
            Visibility::Party { party: "a".into() }
        );
    }

    /// A bridging text handed to `a` only at closed meeting m1, with a point
    /// and stances about it recorded without a meeting.
    const BRIDGE: &str = r#"{
      "meta": {"case_id": "t", "title": "T"},
      "parties": [
        {"id": "med", "name": "Mediator", "kind": "mediator"},
        {"id": "a", "name": "A", "kind": "party"},
        {"id": "b", "name": "B", "kind": "party"}],
      "issues": [{"id": "i", "title": "I", "options": [{"id": "i.x"}]}],
      "texts": [
        {"id": "v1", "label": "v1", "author_party_ids": ["med"], "points": []},
        {"id": "br", "label": "bridge", "author_party_ids": ["med"], "points": [{"id": "br.p1", "number": 1, "topic": "P"}]}],
      "meetings": [
        {"id": "m1", "confidentiality": "closed_with_nondisclosure", "participants": [{"party_id": "med"}, {"party_id": "a"}], "texts_discussed": ["br"]}],
      "stances": [
        {"id": "s1", "party_id": "a", "target": {"issue_id": null, "text_id": "br", "point_id": null},
         "stance": "rejects", "meeting_id": null, "provenance": {"reliability": "unnamed_source"}},
        {"id": "s2", "party_id": "b", "target": {"issue_id": null, "text_id": null, "point_id": "br.p1"},
         "stance": "accepts", "meeting_id": null, "provenance": {"reliability": "unnamed_source"}},
        {"id": "s3", "party_id": "b", "target": {"issue_id": "i", "text_id": "v1", "point_id": null},
         "stance": "accepts", "meeting_id": null, "provenance": {"reliability": "unnamed_source"}}],
      "illustrative_preferences": {"models": []}
    }"#;

    fn line<'a>(p: &'a Preview, kind: &str, id: &str) -> &'a PreviewRecord {
        p.records
            .iter()
            .find(|r| r.kind == kind && r.id == id)
            .unwrap()
    }

    fn set(kind: &str, id: &str, v: Visibility) -> Override {
        Override {
            kind: kind.into(),
            id: id.into(),
            visibility: v,
        }
    }

    #[test]
    fn overriding_a_text_carries_to_its_points_and_stances() {
        let p = preview(BRIDGE).unwrap();
        let m1 = Visibility::Parties {
            parties: vec!["med".into(), "a".into()],
        };
        assert_eq!(line(&p, "text", "br").visibility, m1);
        assert_eq!(line(&p, "point", "br.p1").visibility, m1);
        // b's stance about a point of a text b never saw: the text's audience.
        assert_eq!(line(&p, "stance", "s2").visibility, m1);
        assert_eq!(line(&p, "stance", "s3").visibility, Visibility::Room);

        // Narrowing v1 to the mediator narrows b's stance about it too.
        let q = p
            .with_overrides(&[set("text", "v1", Visibility::Mediator)])
            .unwrap();
        assert_eq!(line(&q, "stance", "s3").visibility, Visibility::Mediator);
        assert_eq!(
            line(&q, "stance", "s3").rule.sentence(),
            "stance about restricted text v1: never wider than that text"
        );
        assert_eq!(line(&q, "text", "v1").rule, Rule::Overridden);
        // Widening the bridge to the room widens its point and the stances.
        let q = p
            .with_overrides(&[set("text", "br", Visibility::Room)])
            .unwrap();
        assert_eq!(line(&q, "point", "br.p1").visibility, Visibility::Room);
        assert_eq!(line(&q, "stance", "s2").visibility, Visibility::Room);
        // The stored case is what the preview shows.
        let case = q.into_case();
        let stored = case.records.iter().find(|r| r.id == "s2").unwrap();
        assert_eq!(stored.visibility, Visibility::Room);
        // A stance set wider than its text is refused, naming it.
        let err = p
            .with_overrides(&[set("stance", "s1", Visibility::Room)])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("/overrides/0/visibility: stance \"s1\" would reach whole room"),
            "{err}"
        );
        // A text narrowed to one party takes the stances about it along.
        let a_only = Visibility::Party { party: "a".into() };
        let q = p
            .with_overrides(&[set("text", "br", a_only.clone())])
            .unwrap();
        assert_eq!(line(&q, "stance", "s2").visibility, a_only);
        // A stance set to an audience that shares no one with its text's
        // is refused, not guessed.
        let err = p
            .with_overrides(&[
                set("text", "br", a_only),
                set("stance", "s2", Visibility::Party { party: "b".into() }),
            ])
            .unwrap_err()
            .to_string();
        assert!(err.contains("stance \"s2\": no one is in both"), "{err}");
    }

    #[test]
    fn bad_overrides_name_what_is_wrong() {
        let p = preview(BRIDGE).unwrap();
        let msg = |o: Override| p.with_overrides(&[o]).unwrap_err().to_string();
        assert_eq!(
            msg(set("stance", "s9", Visibility::Room)),
            "/overrides/0/id: the case has no stance \"s9\""
        );
        assert_eq!(
            msg(set("spell", "s1", Visibility::Room)),
            "/overrides/0/kind: unknown record kind \"spell\""
        );
        assert_eq!(
            msg(set(
                "text",
                "v1",
                Visibility::PartyAndMediator { party: "zz".into() }
            )),
            "/overrides/0/visibility: unknown party \"zz\""
        );
        assert!(msg(set("point", "br.p1", Visibility::Room)).contains("override the text instead"));
        let twice = p.with_overrides(&[
            set("text", "v1", Visibility::Room),
            set("text", "v1", Visibility::Mediator),
        ]);
        assert!(twice
            .unwrap_err()
            .to_string()
            .starts_with("/overrides/1/id"));
    }

    #[test]
    fn pactum_format_keeps_what_it_states() {
        let p = preview(include_str!("../../../examples/cases/peace-plan-2025.json")).unwrap();
        assert_eq!(p.format, CaseFormat::Pactum);
        assert!(p
            .records
            .iter()
            .filter(|r| r.kind != "point")
            .all(|r| r.rule == Rule::Stated));
    }

    /// The issue's speed goal: a 5,000-record case previews well under a second.
    #[test]
    fn a_large_case_previews_quickly() {
        let mut v: Value = serde_json::from_str(BRIDGE).unwrap();
        let stances = v["stances"].as_array_mut().unwrap();
        let template = stances[1].clone();
        for n in 0..5000 {
            let mut s = template.clone();
            s["id"] = format!("x{n}").into();
            stances.push(s);
        }
        let text = v.to_string();
        let start = std::time::Instant::now();
        let p = preview(&text).unwrap();
        let took = start.elapsed();
        assert_eq!(
            line(&p, "stance", "x4999").rule.sentence(),
            "stance about point br.p1 of restricted text br: never wider than that text"
        );
        assert!(
            took < std::time::Duration::from_secs(2),
            "{took:?} (debug build)"
        );
    }

    #[test]
    fn pactum_export_round_trips() {
        let case = import(SMALL).unwrap();
        let out = export(&case.room_id, &case.title, &case.records);
        let again = import(&serde_json::to_string(&out).unwrap()).unwrap();
        assert_eq!(again, case);
        assert_eq!(export(&again.room_id, &again.title, &again.records), out);
    }

    #[test]
    fn errors_name_the_field() {
        let bad = SMALL.replace(
            r#""party_id": "b", "target""#,
            r#""party_id": "zz", "target""#,
        );
        assert_eq!(
            import(&bad).unwrap_err().to_string(),
            "/stances/1/party_id: unknown party \"zz\""
        );
        let bad = SMALL.replace("\"v1.p1\"}", "\"v1.p9\"}");
        assert!(import(&bad)
            .unwrap_err()
            .to_string()
            .starts_with("/stances/1/target/point_id"));
        let err = import("{\"meta\": ").unwrap_err();
        assert!(matches!(err, CaseError::Json { line: 1, .. }), "{err}");
        let bad = SMALL.replace(r#""title": "Test"#, r#""visibility": "x", "title": "Test"#);
        assert!(import(&bad)
            .unwrap_err()
            .to_string()
            .starts_with("/meta/visibility: not a field"));
        let bad = SMALL.replace("\"m2\"", "\"m1\"");
        assert_eq!(
            import(&bad).unwrap_err().to_string(),
            "/meetings/1/id: duplicate id \"m1\""
        );
    }
}
