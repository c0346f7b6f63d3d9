//! Language editions of a text version.
//!
//! A version is written in one language (`language`, a BCP 47 tag) and may
//! carry editions in others (`editions`), each aligned to the version's
//! points by point id, so a stance on a point holds for every edition and
//! the two columns of a bilingual page line up point by point. Exactly one
//! language is authoritative (`authoritative_language`). Editions live
//! inside the text record, so they have the version's visibility and
//! nothing here needs a rule of its own; every string is kept as given
//! (no Unicode normalisation), so an edition survives storage, export and
//! import byte for byte.
//!
//! The body's shape:
//!
//! ```json
//! {"language": "en", "authoritative_language": "en",
//!  "editions": [{"language": "uk", "authoritative": false, "dir": "ltr",
//!                "label": "...", "points": {"<point id>": {"title": "...", "wording": "..."}}}]}
//! ```

use crate::body::{PointView, Text};
use crate::model::{FieldError, Kind, Record};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The text body's fields that hold its editions: a draft rewritten from
/// its points keeps them.
pub const FIELDS: [&str; 4] = ["language", "authoritative_language", "dir", "editions"];

/// Writing direction of an edition (HTML's `dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Left to right.
    Ltr,
    /// Right to left.
    Rtl,
}

impl Dir {
    /// `ltr` or `rtl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Ltr => "ltr",
            Dir::Rtl => "rtl",
        }
    }

    fn parse(s: &str) -> Option<Dir> {
        match s {
            "ltr" => Some(Dir::Ltr),
            "rtl" => Some(Dir::Rtl),
            _ => None,
        }
    }
}

/// Languages written right to left by default (ISO 639 codes).
const RTL_LANGUAGES: &[&str] = &[
    "ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "ku", "mzn", "nqo", "pnb", "ps", "sd",
    "syr", "ug", "ur", "yi",
];

/// Scripts written right to left (ISO 15924).
const RTL_SCRIPTS: &[&str] = &[
    "adlm", "arab", "aran", "hebr", "mand", "mend", "nkoo", "rohg", "samr", "syrc", "thaa", "yezi",
];

/// The direction a language tag is written in: right to left for a
/// right-to-left script subtag, else for a right-to-left language unless
/// another script is named (`az-Arab` is RTL, `ku-Latn` is not).
pub fn default_dir(tag: &str) -> Dir {
    let mut subtags = tag.split('-').map(|s| s.to_ascii_lowercase());
    let Some(language) = subtags.next() else {
        return Dir::Ltr;
    };
    let script = subtags.find(|s| s.len() == 4 && s.chars().all(|c| c.is_ascii_alphabetic()));
    match script {
        Some(s) => {
            if RTL_SCRIPTS.contains(&s.as_str()) {
                Dir::Rtl
            } else {
                Dir::Ltr
            }
        }
        None if RTL_LANGUAGES.contains(&language.as_str()) => Dir::Rtl,
        None => Dir::Ltr,
    }
}

/// Tags RFC 5646 lists as grandfathered (§2.2.8), valid as wholes.
const GRANDFATHERED: &[&str] = &[
    "en-gb-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-be-fr",
    "sgn-be-nl",
    "sgn-ch-de",
    "art-lojban",
    "cel-gaulish",
    "no-bok",
    "no-nyn",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

fn alpha(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn alnum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `tag` is a well-formed language tag under RFC 5646's syntax
/// (§2.1: langtag, private use or grandfathered); whether its subtags are
/// registered is not checked.
pub fn valid_language_tag(tag: &str) -> bool {
    if tag.is_empty() || !tag.is_ascii() {
        return false;
    }
    let lower = tag.to_ascii_lowercase();
    if GRANDFATHERED.contains(&lower.as_str()) {
        return true;
    }
    let parts: Vec<&str> = lower.split('-').collect();
    if parts.iter().any(|p| p.is_empty() || p.len() > 8) {
        return false;
    }
    let mut i;
    let private_use = |from: usize| {
        // "x" 1*("-" (1*8alphanum))
        parts.len() > from + 1 && parts[from + 1..].iter().all(|p| alnum(p, 1, 8))
    };
    if parts[0] == "x" {
        return private_use(0);
    }
    // language = 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA
    if alpha(parts[0], 2, 3) {
        i = 1;
        let mut ext = 0;
        while ext < 3 && parts.get(i).is_some_and(|p| alpha(p, 3, 3)) {
            i += 1;
            ext += 1;
        }
    } else if alpha(parts[0], 4, 8) {
        i = 1;
    } else {
        return false;
    }
    if parts.get(i).is_some_and(|p| alpha(p, 4, 4)) {
        i += 1; // script
    }
    if parts.get(i).is_some_and(|p| alpha(p, 2, 2) || digits(p, 3)) {
        i += 1; // region
    }
    let mut variants: Vec<&str> = Vec::new();
    while let Some(p) = parts.get(i) {
        let variant =
            alnum(p, 5, 8) || (p.len() == 4 && p.as_bytes()[0].is_ascii_digit() && alnum(p, 4, 4));
        if !variant {
            break;
        }
        if variants.contains(p) {
            return false; // a repeated variant (§2.2.5)
        }
        variants.push(p);
        i += 1;
    }
    let mut singletons: Vec<&str> = Vec::new();
    while let Some(p) = parts.get(i) {
        if *p == "x" {
            return private_use(i);
        }
        if !(p.len() == 1 && alnum(p, 1, 1)) || singletons.contains(p) {
            return false;
        }
        singletons.push(p);
        i += 1;
        let start = i;
        while parts.get(i).is_some_and(|p| alnum(p, 2, 8)) {
            i += 1;
        }
        if i == start {
            return false; // an extension needs at least one subtag
        }
    }
    true
}

/// One point of an edition, aligned with the version's point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EditionPoint {
    /// The version's point id.
    pub id: String,
    /// Its number in the version.
    pub number: Option<u32>,
    /// Title in this edition's language.
    pub title: String,
    /// Wording in this edition's language.
    pub wording: String,
    /// True when the edition has no wording for the point yet.
    pub missing: bool,
}

/// One language edition of a version, its points in the version's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edition {
    /// BCP 47 tag (`und` when the version does not say).
    pub language: String,
    /// Whether this edition's wording is the authoritative one.
    pub authoritative: bool,
    /// Writing direction.
    pub dir: Dir,
    /// The edition's own label, if any.
    pub label: Option<String>,
    /// True for the version's own wording.
    pub own: bool,
    /// The points.
    pub points: Vec<EditionPoint>,
}

fn str_of<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

/// The version's own language, as stored (`None` when it says none).
pub fn own_language(record: &Record) -> Option<&str> {
    str_of(&record.body, "language")
}

/// The authoritative language: as stored, else the version's own.
fn authoritative_language(record: &Record) -> Option<&str> {
    str_of(&record.body, "authoritative_language").or_else(|| own_language(record))
}

fn stored_editions(record: &Record) -> impl Iterator<Item = &Map<String, Value>> {
    record
        .body
        .get("editions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// Every edition of a version, its own first, then the others in stored
/// order; a stored edition that is not an object or names no language is
/// passed over (parsing never fails).
pub fn editions(text: &Text, record: &Record) -> Vec<Edition> {
    let own_lang = own_language(record).unwrap_or("und").to_string();
    let authoritative = authoritative_language(record);
    let mut out = vec![Edition {
        authoritative: authoritative.is_none_or(|a| a == own_lang),
        dir: str_of(&record.body, "dir")
            .and_then(Dir::parse)
            .unwrap_or_else(|| default_dir(&own_lang)),
        label: text.label.clone(),
        own: true,
        points: text
            .points
            .iter()
            .map(|p| EditionPoint {
                id: p.id.clone(),
                number: p.number,
                title: p.title.clone(),
                wording: p.body.clone(),
                missing: false,
            })
            .collect(),
        language: own_lang,
    }];
    for e in stored_editions(record) {
        let Some(language) = str_of(e, "language") else {
            continue;
        };
        let points = e.get("points").and_then(Value::as_object);
        out.push(Edition {
            language: language.to_string(),
            authoritative: authoritative == Some(language),
            dir: str_of(e, "dir")
                .and_then(Dir::parse)
                .unwrap_or_else(|| default_dir(language)),
            label: str_of(e, "label").map(str::to_string),
            own: false,
            points: text
                .points
                .iter()
                .map(|p| {
                    let given = points
                        .and_then(|ps| ps.get(&p.id))
                        .and_then(Value::as_object);
                    EditionPoint {
                        id: p.id.clone(),
                        number: p.number,
                        title: given
                            .and_then(|g| str_of(g, "title"))
                            .unwrap_or_default()
                            .to_string(),
                        wording: given
                            .and_then(|g| str_of(g, "wording"))
                            .unwrap_or_default()
                            .to_string(),
                        missing: given.is_none(),
                    }
                })
                .collect(),
        });
    }
    out
}

/// The version as it reads in `language`: the record with each point's
/// title and wording replaced by that edition's (ids, keys and provenance
/// kept), so the redline, which compares wordings, runs on one edition.
/// `None` when the version has no such edition.
pub fn in_language(record: &Record, language: &str) -> Option<Record> {
    if record.kind != Kind::Text {
        return None;
    }
    if own_language(record).unwrap_or("und") == language {
        return Some(record.clone());
    }
    let edition = stored_editions(record).find(|e| str_of(e, "language") == Some(language))?;
    let given = edition.get("points").and_then(Value::as_object);
    let mut out = record.clone();
    if let Some(Value::Array(points)) = out.body.get_mut("points") {
        for p in points.iter_mut().filter_map(Value::as_object_mut) {
            let id = str_of(p, "id").unwrap_or_default().to_string();
            let g = given.and_then(|g| g.get(&id)).and_then(Value::as_object);
            let title = g.and_then(|g| str_of(g, "title")).unwrap_or_default();
            let wording = g.and_then(|g| str_of(g, "wording")).unwrap_or_default();
            p.insert("topic".into(), Value::String(title.to_string()));
            p.insert("text".into(), Value::String(wording.to_string()));
        }
    }
    Some(out)
}

/// One point's wording in an edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionPointInput {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Wording.
    #[serde(default)]
    pub wording: String,
}

/// Adding or editing an edition of a version (the mediator's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionInput {
    /// The edition's BCP 47 tag.
    pub language: String,
    /// Make it the authoritative edition (drafts only).
    #[serde(default)]
    pub authoritative: bool,
    /// `ltr` or `rtl`; by default from the tag ([`default_dir`]).
    #[serde(default)]
    pub dir: Option<String>,
    /// The edition's label.
    #[serde(default)]
    pub label: Option<String>,
    /// Wording by point id; points left out have no wording yet.
    #[serde(default)]
    pub points: std::collections::BTreeMap<String, EditionPointInput>,
    /// The language of the version's own wording, when it does not say
    /// yet (or, on a draft, to correct it).
    #[serde(default)]
    pub version_language: Option<String>,
}

fn check_tag(field: &str, tag: &str) -> Result<(), FieldError> {
    if valid_language_tag(tag) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("{tag:?} is not a BCP 47 language tag (RFC 5646: e.g. en, uk, ar, zh-Hant-TW)"),
        ))
    }
}

/// Why an edition change is refused, beyond a field's value.
fn published(field: &str, message: &str) -> FieldError {
    FieldError::new(field, format!("{message} (the version is published)"))
}

impl EditionInput {
    /// The version with this edition added or replaced. On a published
    /// version only a new, non-authoritative translation may be added (its
    /// authoritative wording never changes) and its own language only set
    /// when it has none. Every string is stored as given.
    pub fn apply(self, text: &Text, record: &Record) -> Result<Record, FieldError> {
        check_tag("language", &self.language)?;
        let draft = text.is_draft();
        let dir = match self.dir.as_deref() {
            None | Some("") => None,
            Some(d) => Some(Dir::parse(d).ok_or_else(|| {
                FieldError::new("dir", format!("expected \"ltr\" or \"rtl\", got {d:?}"))
            })?),
        };
        for id in self.points.keys() {
            if !text.points.iter().any(|p: &PointView| &p.id == id) {
                return Err(FieldError::new(
                    format!("points.{id}"),
                    "not a point of this version",
                ));
            }
        }
        let mut out = record.clone();
        let body = &mut out.body;
        let mut own = own_language(record).map(str::to_string);
        if let Some(v) = &self.version_language {
            check_tag("version_language", v)?;
            if own.as_deref().is_some_and(|o| o != v) && !draft {
                return Err(published(
                    "version_language",
                    "the version's own language is set already",
                ));
            }
            body.insert("language".into(), Value::String(v.clone()));
            if !body.contains_key("authoritative_language") || draft {
                let keep = str_of(body, "authoritative_language")
                    .filter(|a| Some(*a) != own.as_deref())
                    .map(str::to_string);
                body.insert(
                    "authoritative_language".into(),
                    Value::String(keep.unwrap_or_else(|| v.clone())),
                );
            }
            own = Some(v.clone());
        }
        if own.as_deref() == Some(self.language.as_str()) {
            return Err(FieldError::new(
                "language",
                "the version's own language: edit its points instead",
            ));
        }
        let exists = stored_editions(record).any(|e| str_of(e, "language") == Some(&self.language));
        if !draft {
            if exists {
                return Err(published(
                    "language",
                    "this edition exists and cannot be changed",
                ));
            }
            if self.authoritative {
                return Err(published(
                    "authoritative",
                    "a translation added to a published version cannot be authoritative",
                ));
            }
        }
        let mut points = Map::new();
        for (id, p) in self.points {
            points.insert(
                id,
                serde_json::json!({"title": p.title, "wording": p.wording}),
            );
        }
        let mut edition = Map::new();
        edition.insert("language".into(), Value::String(self.language.clone()));
        edition.insert("authoritative".into(), Value::Bool(self.authoritative));
        edition.insert(
            "dir".into(),
            Value::String(
                dir.unwrap_or_else(|| default_dir(&self.language))
                    .as_str()
                    .to_string(),
            ),
        );
        if let Some(label) = self.label.filter(|l| !l.is_empty()) {
            edition.insert("label".into(), Value::String(label));
        }
        edition.insert("points".into(), Value::Object(points));
        let list = body
            .entry("editions")
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        let list = list.as_array_mut().expect("made an array above");
        match list
            .iter_mut()
            .find(|e| e.get("language").and_then(Value::as_str) == Some(&self.language))
        {
            Some(slot) => *slot = Value::Object(edition),
            None => list.push(Value::Object(edition)),
        }
        // Exactly one authoritative edition: the stored language names it
        // and each edition's flag agrees with it.
        let authoritative = if self.authoritative {
            Some(self.language.clone())
        } else {
            str_of(body, "authoritative_language")
                .map(str::to_string)
                .filter(|a| *a != self.language)
                .or(own.clone())
        };
        if let Some(a) = &authoritative {
            body.insert("authoritative_language".into(), Value::String(a.clone()));
        }
        if let Some(Value::Array(list)) = body.get_mut("editions") {
            for e in list.iter_mut().filter_map(Value::as_object_mut) {
                let is = authoritative.is_some()
                    && e.get("language").and_then(Value::as_str) == authoritative.as_deref();
                e.insert("authoritative".into(), Value::Bool(is));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_follow_rfc_5646_syntax() {
        for ok in [
            "en",
            "uk",
            "ar",
            "he",
            "zh-Hant-TW",
            "sr-Latn-RS",
            "de-CH-1996",
            "en-US-x-twain",
            "x-whatever",
            "i-klingon",
            "zh-min-nan",
            "sl-rozaj-biske",
            "es-419",
            "az-Arab",
            "en-a-bbb-x-a-ccc",
            "zh-yue-HK",
            "ar-afb-EG",
            "und",
        ] {
            assert!(valid_language_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "e",
            "en_US",
            "english language",
            "toolonglang",
            "en--US",
            "de-CH-1996-1996",
            "en-a",
            "a-DE",
            "en-a-bbb-a-ccc",
            "x",
            "ru-",
            "-ru",
            "uk-UA-",
            "ελ",
            "en-123456789",
        ] {
            assert!(!valid_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn right_to_left_by_language_or_script() {
        for rtl in [
            "ar", "he", "fa", "ur", "ps", "yi", "dv", "ar-EG", "az-Arab", "pa-Arab",
        ] {
            assert_eq!(default_dir(rtl), Dir::Rtl, "{rtl}");
        }
        for ltr in ["en", "uk", "ru", "ku-Latn", "az", "sr-Cyrl", "und"] {
            assert_eq!(default_dir(ltr), Dir::Ltr, "{ltr}");
        }
    }

    fn draft() -> Record {
        let body = serde_json::json!({
            "id": "t1", "label": "Draft", "status": "draft", "language": "en",
            "points": [
                {"id": "t1.p1", "number": 1, "topic": "Ceasefire", "text": "Both sides stop firing."},
                {"id": "t1.p2", "number": 2, "topic": "Monitoring", "text": "Observers watch."}
            ]
        });
        Record {
            kind: Kind::Text,
            id: "t1".into(),
            visibility: crate::Visibility::Mediator,
            body: body.as_object().unwrap().clone(),
        }
    }

    fn typed(r: &Record) -> Text {
        Text::read(&r.body)
    }

    #[test]
    fn an_edition_is_aligned_and_kept_byte_for_byte() {
        let r = draft();
        let wording = "وقف إطلاق النار\u{200f} — e\u{301}té 🕊️\r\nline two";
        let input: EditionInput = serde_json::from_value(serde_json::json!({
            "language": "ar", "points": {"t1.p2": {"title": "المراقبة", "wording": wording}}
        }))
        .unwrap();
        let r2 = input.apply(&typed(&r), &r).unwrap();
        let eds = editions(&typed(&r2), &r2);
        assert_eq!(eds.len(), 2);
        assert!(eds[0].own && eds[0].authoritative && eds[0].language == "en");
        let ar = &eds[1];
        assert_eq!(
            (ar.language.as_str(), ar.dir, ar.authoritative),
            ("ar", Dir::Rtl, false)
        );
        assert!(ar.points[0].missing);
        assert_eq!(ar.points[1].wording, wording);
        let text = serde_json::to_string(&r2.body).unwrap();
        let back: Map<String, Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r2.body);
        let arabic = in_language(&r2, "ar").unwrap();
        assert_eq!(arabic.body["points"][1]["text"], wording);
        assert_eq!(arabic.body["points"][1]["id"], "t1.p2");
        assert!(in_language(&r2, "fr").is_none());

        // Making it authoritative moves the mark: exactly one holds it.
        let input: EditionInput =
            serde_json::from_value(serde_json::json!({"language": "ar", "authoritative": true}))
                .unwrap();
        let r3 = input.apply(&typed(&r2), &r2).unwrap();
        let eds = editions(&typed(&r3), &r3);
        assert_eq!(eds.iter().filter(|e| e.authoritative).count(), 1);
        assert!(eds[1].authoritative);
    }

    #[test]
    fn bad_input_names_the_field_and_published_wording_holds() {
        let r = draft();
        let t = typed(&r);
        let apply = |v: Value| {
            serde_json::from_value::<EditionInput>(v)
                .unwrap()
                .apply(&t, &r)
                .unwrap_err()
                .field
        };
        assert_eq!(apply(serde_json::json!({"language": "en_GB"})), "language");
        assert_eq!(
            apply(serde_json::json!({"language": "uk", "dir": "up"})),
            "dir"
        );
        assert_eq!(
            apply(serde_json::json!({"language": "uk", "points": {"nope": {}}})),
            "points.nope"
        );
        assert_eq!(
            apply(serde_json::json!({"language": "uk", "version_language": "en GB"})),
            "version_language"
        );
        assert_eq!(apply(serde_json::json!({"language": "en"})), "language");

        let mut published = draft();
        published.body.insert("status".into(), "published".into());
        let pt = typed(&published);
        let add = |v: Value, r: &Record| {
            serde_json::from_value::<EditionInput>(v)
                .unwrap()
                .apply(&typed(r), r)
        };
        let with_uk = add(serde_json::json!({"language": "uk"}), &published).unwrap();
        assert_eq!(with_uk.body["authoritative_language"], "en");
        assert_eq!(
            add(serde_json::json!({"language": "uk"}), &with_uk)
                .unwrap_err()
                .field,
            "language"
        );
        assert_eq!(
            add(
                serde_json::json!({"language": "fr", "authoritative": true}),
                &published
            )
            .unwrap_err()
            .field,
            "authoritative"
        );
        assert_eq!(pt.points, typed(&with_uk).points);
    }
}
