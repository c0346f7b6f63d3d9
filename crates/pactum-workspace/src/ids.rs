//! Fresh ids for an imported case.
//!
//! A case file names its records as its author pleased, often in sequence
//! (stances `s01`..`s24`, points `v1.p01`..). Stored as they are, such ids
//! betray records a party cannot see: a party that sees `s01` and `s03`
//! knows that an `s02` exists. So an import of a case file in the shared
//! schema gives every record of a kind that can be restricted (texts,
//! meetings, stances, documents, notes, sessions, votes) and every point of
//! a text a fresh id, and rewrites every reference to the old ids. Parties
//! and issues keep theirs: they are the room's set-up, seen by everyone.
//!
//! The crate has no randomness of its own: the caller supplies the minting
//! function (the server draws random ids, or derives them from a seed so
//! that a preview shows the ids an import will store). Ids that follow from
//! another one are derived as the workspace derives them when it makes such
//! records itself: a point is `<text id>.<key>` (the key is the point's id
//! without its text prefix, as drafting names points), a vote
//! `<session id>.r<round>.<party>` ([`crate::session::vote_id`]).
//!
//! What is rewritten: the record's own `id`; every field named `<kind>_id`
//! or `…_<kind>_id(s)` for a renamed kind (`text_id`, `meeting_id`,
//! `point_id`, `session_id`, `derived_from_text_id`,
//! `possibly_same_as_text_ids`, `based_on_stance_ids`, ...), a meeting's
//! `texts_discussed`, and a point's `id`. A point's `derived_from` holds
//! keys (drafting's contract), and keys are kept, so it stays true as it
//! is. Fields that hold user names, parties or packages of options
//! (`author`, `cast_by`, `current`, `proposal`, ...) are identifiers too and
//! stay as they are. Any other string of any
//! record is prose: a whole word in it (letters, digits, `_` and inner dots)
//! that is an old id with a digit, `_` or `.` in it becomes the new id, so
//! that "(see s03)" in a rationale names the stance as the room knows it
//! rather than by its file number. An old id that is a plain word ("plan")
//! is left in prose, where it is more likely the word than the id, and
//! tells no sequence anyway. Fields naming parties, issues, options and
//! delegates are never touched.

use crate::case::{Case, CaseError};
use crate::model::{Kind, Record};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// The kinds whose records get fresh ids: every kind a record of which can
/// be restricted to some of the room. Points (inside texts) are renamed too.
pub const RENAMED: [Kind; 9] = [
    Kind::Text,
    Kind::Meeting,
    Kind::Stance,
    Kind::Document,
    Kind::Note,
    Kind::Session,
    Kind::Vote,
    Kind::Amendment,
    Kind::Comment,
];

/// The name a point goes by in an [`IdMap`] (points are not records).
pub const POINT: &str = "point";

/// How often a mint may repeat an id it already gave before the import
/// gives up: a random mint of 48 bits repeats practically never.
const MINT_TRIES: usize = 16;

/// One renamed record or point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdChange {
    /// The record's kind (`text`, `stance`, ...) or `point`.
    pub kind: &'static str,
    /// Its id in the case file.
    pub case_id: String,
    /// Its id in the room.
    pub id: String,
}

/// Every renamed record and point, old id → new id, in file order
/// (records, then each text's points).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct IdMap {
    changes: Vec<IdChange>,
    #[serde(skip)]
    index: HashMap<(&'static str, String), usize>,
    /// (text's case id, point's case id) → change: a point id that two
    /// texts share is renamed in each (a reference names the first).
    #[serde(skip)]
    points: HashMap<(String, String), usize>,
}

impl IdMap {
    fn push(&mut self, kind: &'static str, case_id: &str, id: String) {
        self.index
            .entry((kind, case_id.to_string()))
            .or_insert(self.changes.len());
        self.changes.push(IdChange {
            kind,
            case_id: case_id.to_string(),
            id,
        });
    }

    /// The new id of the record (or point) of `kind` that the case file
    /// calls `case_id`.
    pub fn get(&self, kind: &str, case_id: &str) -> Option<&str> {
        let kind = RENAMED
            .iter()
            .map(|k| k.as_str())
            .chain([POINT])
            .find(|k| *k == kind)?;
        self.index
            .get(&(kind, case_id.to_string()))
            .map(|&i| self.changes[i].id.as_str())
    }

    /// Every change, in file order.
    pub fn changes(&self) -> &[IdChange] {
        &self.changes
    }

    /// True when nothing is renamed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Decides every new id of `case`'s records and points, asking `mint`
    /// for one id per record of a [`RENAMED`] kind, in file order (points
    /// and votes of a session in the case are derived, see the module doc).
    /// The case is not changed; [`IdMap::apply`] does that.
    ///
    /// Refuses an id the mint gives that is empty, has `/` or a control
    /// character or is longer than 200 bytes (what a case file's ids may
    /// not be either), and a mint that keeps repeating itself.
    pub fn mint(case: &Case, mut mint: impl FnMut(Kind) -> String) -> Result<IdMap, CaseError> {
        let mut map = IdMap::default();
        let mut taken: HashSet<(Kind, String)> = HashSet::new();
        let mut counts: HashMap<Kind, usize> = HashMap::new();
        // Sessions first, so that votes can be named after them.
        let order = case
            .records
            .iter()
            .filter(|r| r.kind != Kind::Vote)
            .chain(case.records.iter().filter(|r| r.kind == Kind::Vote));
        for r in order {
            if !RENAMED.contains(&r.kind) {
                continue;
            }
            let n = counts.entry(r.kind).or_insert(0);
            let path = format!("/{}/{n}/id", collection_name(r.kind));
            *n += 1;
            let id = match derived_vote_id(&map, r) {
                Some(id) if !taken.contains(&(r.kind, id.clone())) => id,
                _ => fresh(&mut mint, r.kind, &taken, &path)?,
            };
            taken.insert((r.kind, id.clone()));
            map.push(r.kind.as_str(), &r.id, id);
        }
        for t in case.records.iter().filter(|r| r.kind == Kind::Text) {
            let text_id = map
                .get(Kind::Text.as_str(), &t.id)
                .unwrap_or(&t.id)
                .to_string();
            let mut keys: HashSet<String> = HashSet::new();
            let mut named: Vec<(String, String)> = Vec::new();
            for p in t
                .body
                .get("points")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(old) = p.get("id").and_then(Value::as_str) else {
                    continue;
                };
                if named.iter().any(|(o, _)| o == old) {
                    continue;
                }
                let key = crate::drafting::key_of(&t.id, old);
                // Two points whose ids differ only before the key would
                // meet under the new prefix: the second gets `key_2`, ...
                let key = (1..)
                    .map(|n| {
                        if n == 1 {
                            key.clone()
                        } else {
                            format!("{key}_{n}")
                        }
                    })
                    .find(|k| !keys.contains(k))
                    .expect("an unused key exists");
                keys.insert(key.clone());
                named.push((old.to_string(), format!("{text_id}.{key}")));
            }
            for (old, new) in named {
                map.points
                    .insert((t.id.clone(), old.clone()), map.changes.len());
                map.push(POINT, &old, new);
            }
        }
        Ok(map)
    }

    /// Gives `case`'s records and points their new ids and rewrites every
    /// reference to the old ones (see the module doc for what is a
    /// reference and what is prose).
    pub fn apply(&self, case: &mut Case) {
        if self.is_empty() {
            return;
        }
        let prose = self.prose_map();
        for r in &mut case.records {
            let case_id = r.id.clone();
            if let Some(new) = self.get(r.kind.as_str(), &r.id) {
                r.id = new.to_string();
                r.body.insert("id".into(), Value::String(r.id.clone()));
            }
            let kind = r.kind;
            for (key, v) in r.body.iter_mut() {
                match (key.as_str(), kind) {
                    ("id", _) => {}
                    ("points", Kind::Text) => self.rewrite_points(&case_id, v, &prose),
                    (key, _) => self.rewrite(key, v, &prose),
                }
            }
        }
        for f in &mut case.files {
            if let Some(new) = self.get(Kind::Document.as_str(), &f.document_id) {
                f.document_id = new.to_string();
            }
        }
    }

    /// Old id → new id for prose: distinctive old ids only, the first kind
    /// in [`RENAMED`] order (then points) winning where two kinds share an id.
    fn prose_map(&self) -> HashMap<&str, &str> {
        let mut out = HashMap::new();
        for kind in RENAMED.iter().map(|k| k.as_str()).chain([POINT]) {
            for c in self.changes.iter().filter(|c| c.kind == kind) {
                if c.case_id
                    .chars()
                    .any(|ch| ch.is_ascii_digit() || ch == '_' || ch == '.')
                {
                    out.entry(c.case_id.as_str()).or_insert(c.id.as_str());
                }
            }
        }
        out
    }

    fn rewrite_points(&self, text: &str, points: &mut Value, prose: &HashMap<&str, &str>) {
        let Value::Array(points) = points else {
            return self.rewrite("points", points, prose);
        };
        for p in points {
            let Value::Object(p) = p else {
                self.rewrite("points", p, prose);
                continue;
            };
            for (key, v) in p.iter_mut() {
                match key.as_str() {
                    "id" => {
                        if let Value::String(s) = v {
                            let own = self.points.get(&(text.to_string(), s.clone()));
                            if let Some(&i) = own {
                                *s = self.changes[i].id.clone();
                            }
                        }
                    }
                    // Keys, which are kept (see the module doc).
                    "derived_from" => {}
                    key => self.rewrite(key, v, prose),
                }
            }
        }
    }

    /// Replaces `v` by the new id of the `kind` it names, if it names one.
    fn rename(&self, kind: &str, v: &mut Value) {
        if let Value::String(s) = v {
            if let Some(new) = self.get(kind, s) {
                *s = new.to_string();
            }
        }
    }

    /// Rewrites the value of field `key` (and everything inside it).
    fn rewrite(&self, key: &str, v: &mut Value, prose: &HashMap<&str, &str>) {
        match field_role(key) {
            Role::Names(kind) => match v {
                Value::Array(a) => a.iter_mut().for_each(|x| self.rename(kind, x)),
                v => self.rename(kind, v),
            },
            Role::Identifier => {}
            Role::Prose => match v {
                Value::String(s) => {
                    if let Some(new) = rewrite_prose(s, prose) {
                        *s = new;
                    }
                }
                Value::Array(a) => a.iter_mut().for_each(|x| self.rewrite(key, x, prose)),
                Value::Object(m) => self.rewrite_object(m, prose),
                _ => {}
            },
        }
    }

    fn rewrite_object(&self, m: &mut Map<String, Value>, prose: &HashMap<&str, &str>) {
        for (key, v) in m.iter_mut() {
            self.rewrite(key, v, prose);
        }
    }
}

/// Reads and renames in one go: [`IdMap::mint`] then [`IdMap::apply`].
pub fn fresh_ids(case: &mut Case, mint: impl FnMut(Kind) -> String) -> Result<IdMap, CaseError> {
    let map = IdMap::mint(case, mint)?;
    map.apply(case);
    Ok(map)
}

fn collection_name(kind: Kind) -> &'static str {
    crate::case::collection(kind).unwrap_or("records")
}

/// A vote of a session in the case is named after the session's new id,
/// as [`crate::session::cast`] names votes (so that a vote cast again in
/// the same round replaces it).
fn derived_vote_id(map: &IdMap, r: &Record) -> Option<String> {
    if r.kind != Kind::Vote {
        return None;
    }
    let session = map.get(Kind::Session.as_str(), r.str("session_id")?)?;
    let round = r.body.get("round").and_then(Value::as_u64)?;
    let party = r.str("party_id")?;
    Some(crate::session::vote_id(session, round, party))
}

fn fresh(
    mint: &mut impl FnMut(Kind) -> String,
    kind: Kind,
    taken: &HashSet<(Kind, String)>,
    path: &str,
) -> Result<String, CaseError> {
    for _ in 0..MINT_TRIES {
        let id = mint(kind);
        if id.is_empty() || id.len() > 200 || id.chars().any(|c| c.is_control() || c == '/') {
            return Err(CaseError::Field {
                path: path.to_string(),
                message: format!("the new id {id:?} is not an id (empty, too long, or with '/' or a control character)"),
            });
        }
        if !taken.contains(&(kind, id.clone())) {
            return Ok(id);
        }
    }
    Err(CaseError::Field {
        path: path.to_string(),
        message: format!(
            "no unused new {} id after {MINT_TRIES} tries",
            kind.as_str()
        ),
    })
}

/// What a field of a record holds.
enum Role {
    /// Ids of records (or points) of this kind.
    Names(&'static str),
    /// Ids of something that keeps its id (parties, issues, options,
    /// delegates, the case), or an id of its own.
    Identifier,
    /// Anything else.
    Prose,
}

/// A field's role from its name: `texts_discussed`, or `<stem>_id(s)` whose
/// stem's last word names the kind (`derived_from_text_id` → text).
fn field_role(key: &str) -> Role {
    if key == "texts_discussed" {
        return Role::Names("text");
    }
    // User names, parties, and packages (issue → option).
    const KEPT: [&str; 10] = [
        "id", "key", "author", "cast_by", "by", "party", "parties", "current", "proposal",
        "package",
    ];
    if KEPT.contains(&key) || key == "changes" {
        return Role::Identifier;
    }
    let Some(stem) = key.strip_suffix("_ids").or_else(|| key.strip_suffix("_id")) else {
        return Role::Prose;
    };
    let word = stem.rsplit('_').next().unwrap_or(stem);
    RENAMED
        .iter()
        .map(|k| k.as_str())
        .chain([POINT])
        .find(|k| *k == word)
        .map_or(Role::Identifier, Role::Names)
}

/// Whether a field of a record holds names (ids of records, points,
/// parties, issues, options, users; point keys) rather than prose, by the
/// rule import renames by: what a full-text search leaves out, so that a
/// word matches what a record says, never what it points at.
pub fn is_identifier_field(key: &str) -> bool {
    key == "issues_discussed" || key == "derived_from" || !matches!(field_role(key), Role::Prose)
}

/// Is `c` part of a word of an id?
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `s` with every whole-word old id replaced, or `None` when nothing is.
/// A word is a run of letters, digits and `_`, with dots inside it (a dot
/// that ends a sentence is not part of it).
fn rewrite_prose(s: &str, prose: &HashMap<&str, &str>) -> Option<String> {
    if prose.is_empty() {
        return None;
    }
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut last = 0;
    let mut i = 0;
    while i < chars.len() {
        if !word_char(chars[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (word_char(chars[i].1)
                || (chars[i].1 == '.' && chars.get(i + 1).is_some_and(|c| word_char(c.1))))
        {
            i += 1;
        }
        let from = chars[start].0;
        let to = chars.get(i).map_or(s.len(), |c| c.0);
        if let Some(new) = prose.get(&s[from..to]) {
            out.push_str(&s[last..from]);
            out.push_str(new);
            last = to;
            changed = true;
        }
    }
    changed.then(|| {
        out.push_str(&s[last..]);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mint that counts, so that tests know what to expect.
    fn counter() -> impl FnMut(Kind) -> String {
        let mut n = 0;
        move |kind| {
            n += 1;
            format!("{}_{n:04}", kind.as_str())
        }
    }

    #[test]
    fn prose_words_are_whole_words() {
        let prose: HashMap<&str, &str> =
            [("s1", "st_a"), ("v1.p1", "tx_b.p1"), ("v2_x", "tx_c")].into();
        let r = |s: &str| rewrite_prose(s, &prose);
        assert_eq!(r("see s1."), Some("see st_a.".into()));
        assert_eq!(
            r("(s1, s12, xs1, s1_b)"),
            Some("(st_a, s12, xs1, s1_b)".into())
        );
        assert_eq!(r("s1-s1"), Some("st_a-st_a".into()));
        assert_eq!(
            r("point v1.p1; not v1.p12 nor v1.p1.a"),
            Some("point tx_b.p1; not v1.p12 nor v1.p1.a".into())
        );
        assert_eq!(r("text v2_x)"), Some("text tx_c)".into()));
        assert_eq!(r("nothing here"), None);
        assert_eq!(r("é s1 ü"), Some("é st_a ü".into()));
    }

    #[test]
    fn field_roles_follow_their_names() {
        let names = |k: &str| match field_role(k) {
            Role::Names(kind) => Some(kind),
            _ => None,
        };
        assert_eq!(names("text_id"), Some("text"));
        assert_eq!(names("derived_from_text_id"), Some("text"));
        assert_eq!(names("possibly_same_as_text_ids"), Some("text"));
        assert_eq!(names("based_on_stance_ids"), Some("stance"));
        assert_eq!(names("texts_discussed"), Some("text"));
        assert_eq!(names("point_id"), Some("point"));
        assert_eq!(names("session_id"), Some("session"));
        for kept in [
            "party_id",
            "issue_id",
            "speaker_delegate_id",
            "preferred_option_ids",
            "case_id",
            "id",
        ] {
            assert!(matches!(field_role(kept), Role::Identifier), "{kept}");
        }
        assert!(matches!(field_role("summary"), Role::Prose));
    }

    #[test]
    fn a_mint_that_repeats_or_gives_bad_ids_is_refused() {
        let case = crate::case::import(
            r#"{"meta": {"case_id": "t"}, "parties": [], "issues": [], "texts": [], "meetings": [],
                "stances": [], "illustrative_preferences": {"models": []}}"#,
        )
        .unwrap();
        assert!(IdMap::mint(&case, |_| "x".into()).unwrap().is_empty());
        let two = crate::case::import(
            r#"{"meta": {"case_id": "t"}, "parties": [], "issues": [], "meetings": [], "stances": [],
                "texts": [{"id": "a", "points": []}, {"id": "b", "points": []}],
                "illustrative_preferences": {"models": []}}"#,
        )
        .unwrap();
        let err = IdMap::mint(&two, |_| "same".into())
            .unwrap_err()
            .to_string();
        assert_eq!(err, "/texts/1/id: no unused new text id after 16 tries");
        let err = IdMap::mint(&two, |_| "a/b".into()).unwrap_err().to_string();
        assert!(
            err.starts_with("/texts/0/id: the new id \"a/b\" is not an id"),
            "{err}"
        );
        let map = IdMap::mint(&two, counter()).unwrap();
        assert_eq!(map.get("text", "a"), Some("text_0001"));
        assert_eq!(map.get("text", "b"), Some("text_0002"));
        assert_eq!(map.get("party", "a"), None);
    }

    /// The shared case file, when it is beside the project (outside CI a
    /// missing one only skips that half of a test; with `CI=true` it fails).
    fn shared_case() -> Option<String> {
        let dir = std::env::var_os("PACTUM_SHARED")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
            });
        let file = dir.join("cases/peace-plan-2025/case.json");
        match std::fs::read_to_string(&file) {
            Ok(text) => Some(text),
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("{}: {e}, and CI=true", file.display())
            }
            Err(_) => {
                eprintln!("skipped: {} not found", file.display());
                None
            }
        }
    }

    /// Every string inside a JSON value, object keys aside.
    fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }

    /// The ids a reference field of a record names, as the case schema
    /// lays them out: (JSON pointer inside the body, kind, id).
    fn references(r: &Record) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        let mut one = |path: &str, kind: &'static str, v: Option<&Value>| match v {
            Some(Value::String(s)) => out.push((path.to_string(), kind, s.clone())),
            Some(Value::Array(a)) => {
                for (i, x) in a.iter().enumerate() {
                    if let Some(s) = x.as_str() {
                        out.push((format!("{path}/{i}"), kind, s.to_string()));
                    }
                }
            }
            _ => {}
        };
        let b = Value::Object(r.body.clone());
        match r.kind {
            Kind::Stance => {
                one("/target/text_id", "text", b.pointer("/target/text_id"));
                one("/target/point_id", "point", b.pointer("/target/point_id"));
                one("/meeting_id", "meeting", b.get("meeting_id"));
            }
            Kind::Meeting => one("/texts_discussed", "text", b.get("texts_discussed")),
            Kind::Text => {
                one(
                    "/derived_from_text_id",
                    "text",
                    b.get("derived_from_text_id"),
                );
                one(
                    "/possibly_same_as_text_ids",
                    "text",
                    b.get("possibly_same_as_text_ids"),
                );
            }
            Kind::Document => {
                one("/text_id", "text", b.get("text_id"));
                one("/meeting_id", "meeting", b.get("meeting_id"));
            }
            Kind::Session => one("/text_id", "text", b.get("text_id")),
            Kind::Vote => one("/session_id", "session", b.get("session_id")),
            Kind::Preference => {
                for (i, issue) in b["issues"].as_array().into_iter().flatten().enumerate() {
                    one(
                        &format!("/issues/{i}/based_on_stance_ids"),
                        "stance",
                        issue.get("based_on_stance_ids"),
                    );
                }
            }
            _ => {}
        }
        out
    }

    /// Every (kind, id) → (record index, point index) of a case.
    fn positions(case: &Case) -> HashMap<(&'static str, String), (usize, Option<usize>)> {
        let mut at = HashMap::new();
        for (i, r) in case.records.iter().enumerate() {
            at.insert((r.kind.as_str(), r.id.clone()), (i, None));
            for (j, p) in r
                .body
                .get("points")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                at.entry(("point", p["id"].as_str().unwrap().to_string()))
                    .or_insert((i, Some(j)));
            }
        }
        at
    }

    fn point_id(case: &Case, (i, j): (usize, Option<usize>)) -> String {
        match j {
            Some(j) => case.records[i].body["points"][j]["id"]
                .as_str()
                .unwrap()
                .to_string(),
            None => case.records[i].id.clone(),
        }
    }

    /// For the demo file and the shared case: after fresh ids, every
    /// reference resolves and names the record it named before (matched by
    /// position in the file, not through the map), nothing else changed
    /// kind, count or visibility, and no case id of a restricted kind or a
    /// point survives anywhere, neither as a value nor as a word in prose.
    #[test]
    fn fresh_ids_rewrite_every_reference_and_leave_no_case_id() {
        let demo = include_str!("../../../examples/cases/peace-plan-2025.json");
        for (name, text) in [("demo", Some(demo.to_string())), ("shared", shared_case())] {
            let Some(text) = text else { continue };
            let before = crate::case::import(&text).unwrap();
            let mut after = before.clone();
            let map = fresh_ids(&mut after, counter()).unwrap();
            crate::case::check_references(&after).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(after.records.len(), before.records.len());
            let (was, now) = (positions(&before), positions(&after));

            // The case ids that must go: restricted kinds and points.
            let old: HashSet<String> = was
                .keys()
                .filter(|(k, _)| {
                    !["meta", "party", "issue", "preference", "preference_set"].contains(k)
                })
                .map(|(_, id)| id.clone())
                .collect();
            assert!(
                old.contains("s01") && old.contains("kremlin_meeting") && old.contains("v1.p01"),
                "{name}"
            );
            let mut counted = 0;
            for (b, a) in before.records.iter().zip(&after.records) {
                assert_eq!(
                    (a.kind, &a.visibility),
                    (b.kind, &b.visibility),
                    "{name} {}",
                    b.id
                );
                assert_eq!(
                    a.body.get("id").and_then(Value::as_str).unwrap_or(&a.id),
                    a.id
                );
                if matches!(
                    b.kind,
                    Kind::Party | Kind::Issue | Kind::Preference | Kind::Meta
                ) {
                    assert_eq!(a.id, b.id, "{name}: set-up keeps its ids");
                } else if b.kind != Kind::PreferenceSet {
                    assert_ne!(
                        a.id,
                        b.id,
                        "{name}: {} {} kept its id",
                        b.kind.as_str(),
                        b.id
                    );
                    assert_eq!(map.get(b.kind.as_str(), &b.id), Some(a.id.as_str()));
                }
                // Each reference names, now, the record at the position the
                // old one named.
                let (rb, ra) = (references(b), references(a));
                assert_eq!(rb.len(), ra.len(), "{name} {}", b.id);
                for ((path, kind, old_ref), (path2, kind2, new_ref)) in rb.into_iter().zip(ra) {
                    assert_eq!((&path, kind), (&path2, kind2));
                    let pos = was[&(kind, old_ref.clone())];
                    assert_eq!(
                        now.get(&(kind, new_ref.clone())),
                        Some(&pos),
                        "{name} {} {path}",
                        b.id
                    );
                    assert_eq!(new_ref, point_id(&after, pos));
                    assert_ne!(new_ref, old_ref);
                    counted += 1;
                }
                // Points: same count, each under its text's new id.
                let pts = |r: &Record| {
                    r.body
                        .get("points")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len)
                };
                assert_eq!(pts(a), pts(b));
                for p in a
                    .body
                    .get("points")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let id = p["id"].as_str().unwrap();
                    assert!(
                        id.starts_with(&format!("{}.", a.id)),
                        "{name}: point {id} of {}",
                        a.id
                    );
                }
                // No case id anywhere: not as a value, not as a word.
                let body = Value::Object(a.body.clone());
                let mut all = Vec::new();
                strings(&body, &mut all);
                for s in all {
                    assert!(
                        !old.contains(s),
                        "{name}: {} {} still holds {s:?}",
                        a.kind.as_str(),
                        a.id
                    );
                    for word in
                        s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    {
                        let word = word.trim_matches('.');
                        assert!(
                            !old.contains(word),
                            "{name}: {} {} still says {word:?} in {s:?}",
                            a.kind.as_str(),
                            a.id
                        );
                    }
                }
            }
            // The case's references: stances name texts, points and
            // meetings, meetings their texts, models their stances.
            assert!(counted > 60, "{name}: only {counted} references");
            // Prose that named a stance names it by its new id.
            let ru = after
                .records
                .iter()
                .find(|r| r.kind == Kind::Preference && r.id == "russia")
                .unwrap();
            let s03 = map.get("stance", "s03").unwrap();
            assert!(
                ru.str("reservation_rationale")
                    .unwrap()
                    .contains(&format!("({s03})")),
                "{name}"
            );
        }
    }
}
