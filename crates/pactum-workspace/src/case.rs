//! Case files: the shared case schema (`case.schema.json`) and pactum's own
//! case format.
//!
//! Import derives visibility from what a schema case file says (closed
//! meetings and what was said in them reach only their participants and the
//! mediator; preference models only their own party; the rest the whole
//! room). pactum's own format is the same layout with a `visibility` on every
//! record, so an export carries the room's confidentiality with it and a
//! mediator's export imports back to the same room, text byte for byte.

use crate::model::{meeting_visibility, Body, Kind, Record};
use crate::visibility::Visibility;
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
}

/// The case-file collection that holds records of a kind.
fn collection(kind: Kind) -> Option<&'static str> {
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

/// Reads a case file in either format.
pub fn import(text: &str) -> Result<Case, CaseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| CaseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Object(root) = value else {
        return Err(field("", "expected a JSON object (a case file)"));
    };
    let case = match root.get("format") {
        Some(Value::String(f)) if f == FORMAT => import_pactum(root)?,
        Some(other) => {
            return Err(field(
                "/format",
                format!("expected \"{FORMAT}\", found {other}"),
            ))
        }
        None => import_schema(root)?,
    };
    check_references(&case)?;
    Ok(case)
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

    let mut closed: HashMap<String, Visibility> = HashMap::new();
    for (i, m) in array(&root, "meetings", "")?.iter().enumerate() {
        let path = format!("/meetings/{i}");
        let body = object(m, &path)?;
        let conf = body
            .get("confidentiality")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                field(
                    format!("{path}/confidentiality"),
                    "missing (expected a string)",
                )
            })?;
        let participants = array(body, "participants", &path)?
            .iter()
            .enumerate()
            .map(|(j, p)| {
                p.get("party_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        field(
                            format!("{path}/participants/{j}/party_id"),
                            "missing (expected a party id)",
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let v = meeting_visibility(conf, &participants);
        if !v.is_room_wide() {
            closed.insert(id_of(body, &path)?, v);
        }
    }

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
            let visibility = match kind {
                Kind::Meeting => closed.get(&id).cloned().unwrap_or(Visibility::Room),
                Kind::Stance => body
                    .get("meeting_id")
                    .and_then(Value::as_str)
                    .and_then(|m| closed.get(m).cloned())
                    .unwrap_or(Visibility::Room),
                _ => Visibility::Room,
            };
            records.push(Record {
                kind,
                id,
                visibility,
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
            id: party.clone(),
            visibility: Visibility::Party { party },
            body,
        });
    }
    Ok(Case {
        room_id,
        title,
        records,
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
    Ok(Case {
        room_id,
        title,
        records,
    })
}

/// Cross-references the workspace relies on: unique ids, and parties, issues,
/// texts, points and meetings that exist where a record names them.
fn check_references(case: &Case) -> Result<(), CaseError> {
    let mut seen: HashSet<(Kind, &str)> = HashSet::new();
    let mut index: HashMap<Kind, usize> = HashMap::new();
    let mut paths: Vec<String> = Vec::new();
    for r in &case.records {
        let n = index.entry(r.kind).or_insert(0);
        let path = match (r.kind, collection(r.kind)) {
            (_, Some(c)) => format!("/{c}/{n}"),
            (Kind::Preference, _) => format!("/illustrative_preferences/models/{n}"),
            (Kind::PreferenceSet, _) => "/illustrative_preferences".to_string(),
            _ => "/meta".to_string(),
        };
        *n += 1;
        if !seen.insert((r.kind, r.id.as_str())) {
            return Err(field(
                format!("{path}/id"),
                format!("duplicate id {:?}", r.id),
            ));
        }
        paths.push(path);
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
                if t("issue_id").is_none() && t("text_id").is_none() && t("point_id").is_none() {
                    return Err(field(
                        format!("{path}/target"),
                        "name an issue_id, a text_id or a point_id",
                    ));
                }
                for (f, kind) in [("issue_id", Kind::Issue), ("text_id", Kind::Text)] {
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
            Kind::Document => {
                want("text_id", Kind::Text)?;
                want("meeting_id", Kind::Meeting)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Writes records (already filtered to what the reader may see) as a case
/// file in pactum's own format. Record order within each collection is kept.
pub fn export(room_id: &str, title: &str, records: &[Record]) -> Value {
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
        if list.is_empty() && matches!(kind, Kind::Session | Kind::Vote) {
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
    Value::Object(root)
}

/// The demo case's room, the fixture the crate's model and session tests share.
#[cfg(test)]
pub(crate) fn demo_room() -> crate::model::Room {
    crate::model::Room {
        records: import(include_str!("../../../examples/cases/peace-plan-2025.json"))
            .unwrap()
            .records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
