//! What records name, and what follows when a named record is hidden.
//!
//! Records name one another: a stance its target text or point and the
//! meeting where it was said, a document the version and meeting it is
//! attached to, a meeting the texts it discussed, a version the one it
//! revises and those it may be the same as, a session the draft it closed
//! into. A name is an id, and an id a viewer cannot see must not reach
//! them: it tells that the record exists, and often what it is. Two rules
//! keep names in step with audiences:
//!
//! - In a view ([`Hidden::apply`]), a reference to a record the viewer
//!   cannot see is dropped from the record that holds it (set to null, or
//!   left out of its list), wherever in the record it is. A stance is about its target: one whose target
//!   is wholly hidden is left out of the view, as a stance about nothing.
//! - When a version of the text is narrowed, the records about it (stances
//!   on it or one of its points, documents attached to it) are narrowed to
//!   at most its new audience ([`narrowed_about`]), so that a party that
//!   lost the version loses what was said about it too. Widening a version
//!   widens only the version.

use crate::model::{points, Body, Kind, PartyKind, Record, Room};
use crate::visibility::{Viewer, Visibility};
use serde_json::Value;
use std::collections::HashSet;

/// The records a viewer may not see, as far as references go: hidden
/// records by kind and id, and the points of hidden versions that no
/// visible version holds too.
#[derive(Debug, Default, Clone)]
pub struct Hidden {
    records: HashSet<(Kind, String)>,
    points: HashSet<String>,
}

impl Hidden {
    /// The hidden records among those loaded; `visible` are the others. A
    /// reference to a record that is in neither stays: it names nothing
    /// anyone can see (or a kind that was not loaded).
    pub fn new<'a>(hidden: impl IntoIterator<Item = &'a Record>, visible: &[Record]) -> Hidden {
        let mut h = Hidden::default();
        for r in hidden {
            h.records.insert((r.kind, r.id.clone()));
            if r.kind == Kind::Text {
                h.points.extend(points(r).into_iter().map(|p| p.id));
            }
        }
        for t in visible.iter().filter(|r| r.kind == Kind::Text) {
            for p in points(t) {
                h.points.remove(&p.id);
            }
        }
        h
    }

    /// True when nothing is hidden.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn hides(&self, kind: Kind, id: &str) -> bool {
        self.records.contains(&(kind, id.to_string()))
    }

    /// Drops from `records` (a viewer's records) every reference to a
    /// hidden record, and the stances whose whole target is hidden.
    pub fn apply(&self, records: &mut Vec<Record>) {
        if self.is_empty() {
            return;
        }
        records.retain_mut(|r| self.redact(r.kind, &mut r.body));
    }

    /// Drops the references to hidden records from one body of a record of
    /// `kind` (a record as it is now, or an earlier revision of it); false
    /// when the record is a stance whose whole target is hidden, which
    /// must not be shown at all.
    ///
    /// References are found by the field names the case format and the
    /// workspace give them, at any depth (a model's
    /// `issues[].based_on_stance_ids` as much as a document's `text_id`):
    /// see `named_kind`.
    pub fn redact(&self, kind: Kind, body: &mut Body) -> bool {
        let target = |b: &Body| {
            b.get("target").and_then(Value::as_object).is_some_and(|t| {
                ["issue_id", "text_id", "point_id", "amendment_id"]
                    .iter()
                    .any(|f| t.get(*f).is_some_and(|v| !v.is_null()))
            })
        };
        // A comment, like a stance, is about its target: one about
        // nothing the viewer sees is not shown.
        let had_target = matches!(kind, Kind::Stance | Kind::Comment) && target(body);
        // An amendment incorporated into a draft the viewer cannot see
        // reads as still under consideration: "incorporated" would tell
        // the viewer that a version it has not been shown is being drafted.
        let in_hidden_draft = kind == Kind::Amendment
            && body
                .get("incorporated_in_text_id")
                .and_then(Value::as_str)
                .is_some_and(|t| self.hides(Kind::Text, t));
        self.redact_object(body);
        if in_hidden_draft {
            body.insert("status".into(), "under_consideration".into());
            body.remove("status_at");
            body.remove("status_note");
        }
        !had_target || target(body)
    }

    fn hidden_name(&self, field: &str, id: &str) -> bool {
        match named_kind(field) {
            Some(Named::Record(kind)) => self.hides(kind, id),
            Some(Named::Point) => self.points.contains(id),
            None => false,
        }
    }

    fn redact_object(&self, body: &mut Body) {
        for (field, v) in body.iter_mut() {
            match v {
                Value::String(id) if self.hidden_name(field, id) => *v = Value::Null,
                Value::Array(list) if named_kind(field).is_some() => {
                    list.retain(|x| !x.as_str().is_some_and(|id| self.hidden_name(field, id)));
                }
                _ => self.redact_value(v),
            }
        }
    }

    fn redact_value(&self, v: &mut Value) {
        match v {
            Value::Object(o) => self.redact_object(o),
            Value::Array(list) => list.iter_mut().for_each(|x| self.redact_value(x)),
            _ => {}
        }
    }
}

/// What a field's value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// A record of this kind, by id.
    Record(Kind),
    /// A point of a version, by point id.
    Point,
}

/// What a field names, by its name: `…text_id(s)` and `texts_discussed`
/// name versions, `…meeting_id(s)` meetings, `…stance_id(s)` stances,
/// `…document_id(s)` documents, `…session_id(s)` sessions, `…issue_id(s)`
/// and `issues_discussed` issues, `point_id(s)` points. Other ids (parties,
/// delegates, options, point keys) name what every member sees.
fn named_kind(field: &str) -> Option<Named> {
    let stem = field
        .strip_suffix("_ids")
        .or_else(|| field.strip_suffix("_id"));
    let kind = match (field, stem) {
        ("texts_discussed", _) => Kind::Text,
        ("issues_discussed", _) => Kind::Issue,
        (_, Some(s)) if s == "point" || s.ends_with("_point") => return Some(Named::Point),
        (_, Some(s)) if s == "text" || s.ends_with("_text") => Kind::Text,
        (_, Some(s)) if s == "meeting" || s.ends_with("_meeting") => Kind::Meeting,
        (_, Some(s)) if s == "stance" || s.ends_with("_stance") => Kind::Stance,
        (_, Some(s)) if s == "document" || s.ends_with("_document") => Kind::Document,
        (_, Some(s)) if s == "session" || s.ends_with("_session") => Kind::Session,
        (_, Some(s)) if s == "amendment" || s.ends_with("_amendment") => Kind::Amendment,
        (_, Some(s)) if s == "comment" || s.ends_with("_comment") => Kind::Comment,
        (_, Some(s)) if s == "issue" || s.ends_with("_issue") => Kind::Issue,
        _ => return None,
    };
    Some(Named::Record(kind))
}

/// The parties of the room that can see `v`, each as the visibility rule
/// sees its delegates.
fn audience(room: &Room, v: &Visibility) -> HashSet<String> {
    room.of(Kind::Party)
        .filter(|p| {
            let viewer = match PartyKind::of(p) {
                PartyKind::Mediator => Viewer::Mediator {
                    party: p.id.clone(),
                },
                _ => Viewer::Member {
                    party: p.id.clone(),
                },
            };
            viewer.can_see(v)
        })
        .map(|p| p.id.clone())
        .collect()
}

/// The widest audience inside both `v` and `bound`, or `None` when `v` is
/// inside `bound` already. The whole room is inside only the whole room
/// (it reaches parties that join later); otherwise audiences compare by
/// the room's parties that can see them, and an intersection is written as
/// those parties and the mediator (the mediator only when none is left).
pub fn within(room: &Room, v: &Visibility, bound: &Visibility) -> Option<Visibility> {
    if *bound == Visibility::Room {
        return None;
    }
    let (mine, theirs) = (audience(room, v), audience(room, bound));
    if *v != Visibility::Room && mine.is_subset(&theirs) {
        return None;
    }
    if theirs.is_subset(&mine) {
        return Some(bound.clone());
    }
    let mediator = room.mediator();
    let mut parties: Vec<String> = room
        .of(Kind::Party)
        .map(|p| p.id.clone())
        .filter(|p| mine.contains(p) && theirs.contains(p) && Some(p.as_str()) != mediator)
        .collect();
    Some(match parties.len() {
        0 => Visibility::Mediator,
        1 => Visibility::PartyAndMediator {
            party: parties.remove(0),
        },
        _ => Visibility::Parties { parties },
    })
}

/// True when `r` is about the version `text`: a stance or comment whose
/// target is it or one of its points, a document attached to it, an
/// amendment tabled against it.
pub fn is_about(r: &Record, text: &Record) -> bool {
    match r.kind {
        Kind::Document | Kind::Amendment => r.str("text_id") == Some(text.id.as_str()),
        Kind::Stance | Kind::Comment => {
            let target = r.body.get("target");
            let field = |f: &str| target.and_then(|t| t.get(f)).and_then(Value::as_str);
            field("text_id") == Some(text.id.as_str())
                || field("point_id").is_some_and(|p| points(text).iter().any(|q| q.id == p))
        }
        _ => false,
    }
}

/// The records of `room` about `text` (see [`is_about`]) whose audience
/// reaches beyond `to`, the version's new audience, each re-scoped to at
/// most `to` and given with its audience before.
pub fn narrowed_about(room: &Room, text: &Record, to: &Visibility) -> Vec<(Record, Visibility)> {
    room.records()
        .iter()
        .filter(|r| is_about(r, text))
        .filter_map(|r| {
            let v = within(room, &r.visibility, to)?;
            let mut new = r.clone();
            new.visibility = v;
            Some((new, r.visibility.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(kind: Kind, id: &str, visibility: Visibility, body: Value) -> Record {
        let mut body = body.as_object().cloned().unwrap();
        body.insert("id".into(), id.into());
        Record {
            kind,
            id: id.into(),
            visibility,
            body,
        }
    }

    fn pm(p: &str) -> Visibility {
        Visibility::PartyAndMediator { party: p.into() }
    }

    fn to(parties: &[&str]) -> Visibility {
        Visibility::Parties {
            parties: parties.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn room() -> Room {
        let party = |id: &str, kind: &str| {
            rec(
                Kind::Party,
                id,
                Visibility::Room,
                json!({"kind": kind, "name": id}),
            )
        };
        Room::new(vec![
            party("med", "mediator"),
            party("a", "party"),
            party("b", "party"),
            party("c", "party"),
            rec(
                Kind::Text,
                "t1",
                Visibility::Room,
                json!({"points": [{"id": "t1.p"}]}),
            ),
            rec(
                Kind::Text,
                "t2",
                to(&["a", "b"]),
                json!({"derived_from_text_id": "t1", "possibly_same_as_text_ids": ["t1"],
                           "points": [{"id": "t2.p"}]}),
            ),
        ])
    }

    #[test]
    fn an_amendment_in_a_hidden_draft_reads_as_under_consideration() {
        let draft = rec(
            Kind::Text,
            "d",
            Visibility::Mediator,
            json!({"status": "draft", "points": [{"id": "d.p"}]}),
        );
        let amendment = |id: &str, into: &str| {
            rec(
                Kind::Amendment,
                id,
                pm("a"),
                json!({"status": "incorporated", "status_at": "2026-12-05T00:00:00Z",
                       "incorporated_in_text_id": into, "text_id": "t1"}),
            )
        };
        let mut visible = vec![amendment("am1", "d"), amendment("am2", "t1")];
        let hidden = Hidden::new([&draft], &visible);
        hidden.apply(&mut visible);
        assert_eq!(visible[0].body["status"], "under_consideration");
        assert!(!visible[0].body.contains_key("status_at"));
        assert!(visible[0]
            .body
            .get("incorporated_in_text_id")
            .is_none_or(Value::is_null));
        // Incorporated into a version the viewer sees: told as it is.
        assert_eq!(visible[1].body["status"], "incorporated");
        assert_eq!(visible[1].body["incorporated_in_text_id"], "t1");
    }

    #[test]
    fn within_keeps_what_fits_and_cuts_what_does_not() {
        let r = room();
        assert_eq!(within(&r, &pm("a"), &to(&["a", "b"])), None);
        assert_eq!(within(&r, &Visibility::Mediator, &pm("a")), None);
        assert_eq!(within(&r, &to(&["a", "b"]), &pm("a")), Some(pm("a")));
        assert_eq!(
            within(&r, &to(&["a", "b"]), &to(&["b", "c"])),
            Some(pm("b"))
        );
        assert_eq!(within(&r, &pm("a"), &pm("b")), Some(Visibility::Mediator));
        // The whole room reaches parties that join later: it fits only in
        // the whole room, even when the bound lists every party of today.
        assert_eq!(
            within(&r, &Visibility::Room, &to(&["a", "b", "c"])),
            Some(to(&["a", "b", "c"]))
        );
        assert_eq!(within(&r, &to(&["a"]), &Visibility::Room), None);
    }

    #[test]
    fn narrowing_a_version_narrows_what_is_about_it_only() {
        let mut r = room();
        let stance = |id: &str, v: Visibility, target: Value| {
            rec(Kind::Stance, id, v, json!({"target": target}))
        };
        for x in [
            stance("s_text", to(&["a", "b"]), json!({"text_id": "t2"})),
            stance("s_point", pm("b"), json!({"point_id": "t2.p"})),
            stance("s_fits", pm("a"), json!({"text_id": "t2"})),
            stance("s_other", pm("b"), json!({"text_id": "t1"})),
            rec(Kind::Document, "d", pm("b"), json!({"text_id": "t2"})),
            rec(
                Kind::Meeting,
                "m",
                to(&["b"]),
                json!({"texts_discussed": ["t2"]}),
            ),
        ] {
            r.push(x);
        }
        let t2 = r.get(Kind::Text, "t2").unwrap().clone();
        let got: Vec<(String, Visibility, Visibility)> = narrowed_about(&r, &t2, &pm("a"))
            .into_iter()
            .map(|(n, old)| (n.id, old, n.visibility))
            .collect();
        assert_eq!(
            got,
            vec![
                ("s_text".into(), to(&["a", "b"]), pm("a")),
                ("s_point".into(), pm("b"), Visibility::Mediator),
                ("d".into(), pm("b"), Visibility::Mediator),
            ]
        );
    }

    #[test]
    fn a_view_drops_names_of_hidden_records() {
        let r = room();
        let hidden_text = r.get(Kind::Text, "t1").unwrap().clone();
        let closed = rec(Kind::Meeting, "m_closed", to(&["a"]), json!({}));
        let mut visible = vec![
            r.get(Kind::Text, "t2").unwrap().clone(),
            rec(
                Kind::Meeting,
                "m",
                Visibility::Room,
                json!({"texts_discussed": ["t1", "t2"]}),
            ),
            rec(
                Kind::Document,
                "d",
                Visibility::Room,
                json!({"text_id": "t1", "meeting_id": "m_closed"}),
            ),
            rec(
                Kind::Stance,
                "s_gone",
                Visibility::Room,
                json!({"target": {"issue_id": null, "text_id": "t1", "point_id": "t1.p"}}),
            ),
            rec(
                Kind::Stance,
                "s_kept",
                Visibility::Room,
                json!({"target": {"issue_id": null, "text_id": "t2", "point_id": null},
                       "meeting_id": "m_closed"}),
            ),
        ];
        let hidden = Hidden::new([&hidden_text, &closed], &visible);
        hidden.apply(&mut visible);
        let ids: Vec<&str> = visible.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec!["t2", "m", "d", "s_kept"]);
        assert_eq!(visible[0].body["derived_from_text_id"], Value::Null);
        assert_eq!(visible[0].body["possibly_same_as_text_ids"], json!([]));
        assert_eq!(visible[1].body["texts_discussed"], json!(["t2"]));
        assert_eq!(visible[2].body["text_id"], Value::Null);
        assert_eq!(visible[2].body["meeting_id"], Value::Null);
        assert_eq!(visible[3].body["meeting_id"], Value::Null);
        assert_eq!(visible[3].body["target"]["text_id"], json!("t2"));
    }

    #[test]
    fn names_are_found_at_any_depth_by_their_field() {
        let hidden_stance = rec(Kind::Stance, "s_hidden", Visibility::Mediator, json!({}));
        let mut visible = vec![rec(
            Kind::Preference,
            "model",
            pm("a"),
            json!({"issues": [{"issue_id": "i", "based_on_stance_ids": ["s_hidden", "s_seen"]}],
                   "note": "s_hidden", "party_id": "s_hidden"}),
        )];
        Hidden::new([&hidden_stance], &visible).apply(&mut visible);
        let b = &visible[0].body;
        assert_eq!(b["issues"][0]["based_on_stance_ids"], json!(["s_seen"]));
        assert_eq!(b["issues"][0]["issue_id"], json!("i"));
        // Prose and fields naming other kinds are left as they are.
        assert_eq!(b["note"], json!("s_hidden"));
        assert_eq!(b["party_id"], json!("s_hidden"));
    }

    #[test]
    fn field_names_say_what_they_name() {
        let k = |f: &str| named_kind(f);
        assert_eq!(k("text_id"), Some(Named::Record(Kind::Text)));
        assert_eq!(k("derived_from_text_id"), Some(Named::Record(Kind::Text)));
        assert_eq!(
            k("possibly_same_as_text_ids"),
            Some(Named::Record(Kind::Text))
        );
        assert_eq!(k("texts_discussed"), Some(Named::Record(Kind::Text)));
        assert_eq!(k("meeting_id"), Some(Named::Record(Kind::Meeting)));
        assert_eq!(k("based_on_stance_ids"), Some(Named::Record(Kind::Stance)));
        assert_eq!(k("point_id"), Some(Named::Point));
        for other in [
            "party_id",
            "author_party_ids",
            "option_id",
            "id",
            "context",
            "derived_from",
        ] {
            assert_eq!(k(other), None, "{other}");
        }
    }

    #[test]
    fn a_point_a_visible_version_holds_too_stays_named() {
        let hidden_text = rec(
            Kind::Text,
            "old",
            Visibility::Mediator,
            json!({"points": [{"id": "shared.p"}]}),
        );
        let mut visible = vec![
            rec(
                Kind::Text,
                "new",
                Visibility::Room,
                json!({"points": [{"id": "shared.p"}]}),
            ),
            rec(
                Kind::Stance,
                "s",
                Visibility::Room,
                json!({"target": {"point_id": "shared.p"}}),
            ),
        ];
        Hidden::new([&hidden_text], &visible).apply(&mut visible);
        assert_eq!(visible.len(), 2);
        assert_eq!(visible[1].body["target"]["point_id"], json!("shared.p"));
    }
}
