//! Amendments and comments: the parties' own work on the single text.
//!
//! An amendment is a record of its own (not a field of a stance) because it
//! has a life of its own: tabled by a party against one point of a version
//! it can see, considered, incorporated into the next draft, rejected,
//! withdrawn or superseded, and other parties take stances on it. Its
//! visibility is chosen like any record's and is bounded by the version it
//! quotes ([`check_reference`]), so an amendment never reaches someone who
//! does not have the text it amends.
//!
//! Incorporation ([`incorporate`]) is one of drafting's pure operations on a
//! draft's point list; the draft remembers what it took from which
//! amendment (`incorporated_amendments` on the text: `{amendment_id,
//! action, key}`), which is how the redline names the origin of a change
//! ([`origins`]). The list names amendments by id, so the reference
//! machinery drops an entry's id for a viewer who may not see that
//! amendment.
//!
//! Comments form threads on a point, an amendment or a version. A thread's
//! audience is its first comment's; a reply has exactly that audience
//! (checked, never defaulted silently to something else), so a reply never
//! outlives its thread's audience and never widens it.
//!
//! [`migrate`] turns the stances that proposed an amendment (wording in the
//! stance's `amendment` field, the format before amendments were records)
//! into amendments linked from their stance; it is pure and idempotent.

use crate::body::{Amendment, AmendmentAction, AmendmentStatus, Comment, Stance, StanceKind, Text};
use crate::drafting;
use crate::model::{
    check_date, check_reference, check_visibility, into_object, non_empty, Body, Cell, FieldError,
    Kind, PartyKind, PointInput, ProvenanceInput, Record, Room,
};
use crate::visibility::Visibility;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The draft's field listing what it took from amendments.
pub const INCORPORATED: &str = "incorporated_amendments";

/// An amendment as a party (or the mediator on its behalf) tables it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendmentInput {
    /// The party that tables it.
    pub party_id: String,
    /// The version it is tabled against.
    pub text_id: String,
    /// The point of that version it targets.
    pub point_id: String,
    /// What it does.
    pub action: AmendmentAction,
    /// The new wording (required to replace or insert).
    #[serde(default)]
    pub wording: Option<String>,
    /// The new point's title (required to insert; replaces the title when
    /// given with `replace`).
    #[serde(default)]
    pub title: Option<String>,
    /// Why.
    pub justification: String,
    /// BCP 47 tag of the edition it quotes.
    #[serde(default)]
    pub language: Option<String>,
    /// Date tabled (ISO); the caller fills in today when absent.
    #[serde(default)]
    pub date: Option<String>,
    /// Who reported it, when the mediator records it on a party's behalf.
    #[serde(default)]
    pub provenance: Option<ProvenanceInput>,
    /// Who may see it (defaults to the party and the mediator).
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// True for a plausible BCP 47 tag: subtags of 1 to 8 letters or digits
/// separated by `-`, the first of 2 to 8 letters.
pub fn valid_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or_default();
    (2..=8).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

impl AmendmentInput {
    /// Validates against the room (the tabler's view of it) and builds the
    /// record.
    pub fn into_record(self, room: &Room, id: String) -> Result<Record, FieldError> {
        let party = room.get(Kind::Party, &self.party_id).ok_or_else(|| {
            FieldError::new("party_id", format!("unknown party {:?}", self.party_id))
        })?;
        if PartyKind::of(party) == PartyKind::Observer {
            return Err(FieldError::new(
                "party_id",
                "observers do not table amendments",
            ));
        }
        let text = room.find::<Text>(&self.text_id).ok_or_else(|| {
            FieldError::new("text_id", format!("unknown text {:?}", self.text_id))
        })?;
        if text.is_draft() {
            return Err(FieldError::new(
                "text_id",
                "amendments are tabled against a published version, not a draft",
            ));
        }
        if !text.points.iter().any(|p| p.id == self.point_id) {
            return Err(FieldError::new(
                "point_id",
                format!(
                    "version {:?} has no point {:?}",
                    self.text_id, self.point_id
                ),
            ));
        }
        let wording = self.wording.as_deref().map(drafting::normalize_breaks);
        match self.action {
            AmendmentAction::Replace | AmendmentAction::InsertAfter => {
                non_empty("wording", wording.as_deref().unwrap_or_default())?
            }
            AmendmentAction::Delete => {
                if wording.as_deref().is_some_and(|w| !w.trim().is_empty()) {
                    return Err(FieldError::new(
                        "wording",
                        "a deletion has no wording; leave it empty",
                    ));
                }
            }
        }
        if self.action == AmendmentAction::InsertAfter {
            non_empty("title", self.title.as_deref().unwrap_or_default())?;
        }
        non_empty("justification", &self.justification)?;
        if let Some(l) = &self.language {
            if !valid_language(l) {
                return Err(FieldError::new(
                    "language",
                    "expected a BCP 47 language tag such as en, uk or ar-EG",
                ));
            }
        }
        check_date("date", &self.date)?;
        let provenance = match &self.provenance {
            Some(p) => {
                non_empty("provenance.source", &p.source)?;
                check_date("provenance.reported_on", &p.reported_on)?;
                check_date("provenance.not_before", &p.not_before)?;
                json!({
                    "source": p.source,
                    "reliability": p.reliability.as_str(),
                    "reported_on": p.reported_on,
                    "not_before": p.not_before,
                    "quote": p.quote,
                    "via": "workspace",
                    "attribution": format!("Tabled for the party as reported by {}, recorded in the workspace.", p.source),
                })
            }
            None => Value::Null,
        };
        let visibility = self
            .visibility
            .clone()
            .unwrap_or(Visibility::PartyAndMediator {
                party: self.party_id.clone(),
            });
        check_visibility(room, "visibility", &visibility)?;
        check_reference(room, "visibility", &visibility, text.record)?;
        let title = self
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let body = json!({
            "id": id,
            "party_id": self.party_id,
            "text_id": self.text_id,
            "point_id": self.point_id,
            "action": crate::body::Vocabulary::spelling(self.action),
            "wording": if self.action == AmendmentAction::Delete { None } else { wording },
            "title": title,
            "justification": self.justification,
            "language": self.language,
            "status": "tabled",
            "status_note": null,
            "incorporated_in_text_id": null,
            "superseded_by_amendment_id": null,
            "date": self.date,
            "provenance": provenance,
        });
        Ok(Record {
            kind: Kind::Amendment,
            id,
            visibility,
            body: into_object(body),
        })
    }
}

/// A change of an amendment's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// The new status: `under_consideration`, `tabled`, `rejected` or
    /// `superseded` (the mediator), `withdrawn` (its party or the
    /// mediator). `incorporated` is set by incorporating it into a draft.
    pub status: AmendmentStatus,
    /// Why, in a line.
    #[serde(default)]
    pub note: Option<String>,
    /// The amendment that replaces it (required for `superseded`).
    #[serde(default)]
    pub superseded_by_amendment_id: Option<String>,
}

/// Who asks for a change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The mediator.
    Mediator,
    /// A delegate of the party that tabled the amendment.
    Tabler,
}

/// Applies a change of status to an amendment record (`room` is the
/// actor's view, for the superseding amendment). Refuses what the actor
/// may not do and changes of a closed amendment, naming the field.
pub fn change_status(
    room: &Room,
    record: &mut Record,
    input: &StatusInput,
    actor: Actor,
    at: &str,
) -> Result<(), FieldError> {
    let current = room
        .find::<Amendment>(&record.id)
        .map(|a| a.status.clone())
        .unwrap_or(crate::body::Term::Known(AmendmentStatus::Tabled));
    let open = current.known().is_some_and(AmendmentStatus::is_open);
    if !open {
        return Err(FieldError::new(
            "status",
            format!(
                "the amendment is {} and no longer changes",
                current.as_str().replace('_', " ")
            ),
        ));
    }
    use AmendmentStatus as S;
    match (actor, input.status) {
        (_, S::Incorporated) => {
            return Err(FieldError::new(
                "status",
                "an amendment is incorporated by incorporating it into a draft",
            ))
        }
        (Actor::Tabler, S::Withdrawn) | (Actor::Mediator, _) => {}
        (Actor::Tabler, _) => {
            return Err(FieldError::new(
                "status",
                "a party may only withdraw its amendment",
            ))
        }
    }
    if current.is(input.status) {
        return Err(FieldError::new(
            "status",
            format!(
                "the amendment is already {}",
                current.as_str().replace('_', " ")
            ),
        ));
    }
    let mut superseded_by = Value::Null;
    match (&input.status, &input.superseded_by_amendment_id) {
        (S::Superseded, None) => {
            return Err(FieldError::new(
                "superseded_by_amendment_id",
                "name the amendment that supersedes it",
            ))
        }
        (S::Superseded, Some(other)) => {
            if *other == record.id {
                return Err(FieldError::new(
                    "superseded_by_amendment_id",
                    "an amendment cannot supersede itself",
                ));
            }
            let o = room.get(Kind::Amendment, other).ok_or_else(|| {
                FieldError::new(
                    "superseded_by_amendment_id",
                    format!("unknown amendment {other:?}"),
                )
            })?;
            check_reference(room, "superseded_by_amendment_id", &record.visibility, o)?;
            superseded_by = Value::String(other.clone());
        }
        (_, Some(_)) => {
            return Err(FieldError::new(
                "superseded_by_amendment_id",
                "only a superseded amendment names the one that replaces it",
            ))
        }
        _ => {}
    }
    let b = &mut record.body;
    b.insert(
        "status".into(),
        Value::String(crate::body::Vocabulary::spelling(input.status).into()),
    );
    b.insert(
        "status_note".into(),
        input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map_or(Value::Null, |n| Value::String(n.into())),
    );
    b.insert("superseded_by_amendment_id".into(), superseded_by);
    b.insert("status_at".into(), Value::String(at.into()));
    Ok(())
}

/// What an incorporation did to the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incorporation {
    /// The amendment.
    pub amendment_id: String,
    /// What it did.
    pub action: AmendmentAction,
    /// The draft point it changed, inserted or deleted.
    pub key: String,
}

/// Applies an amendment to a draft's points (drafting's contract: the
/// point is matched by identity, its key; an inserted point gets a fresh
/// key). `draft_revises` is the version the draft revises, which must be
/// the one the amendment was tabled against; `base` the keys of that
/// version.
pub fn incorporate(
    points: &mut Vec<PointInput>,
    base: &BTreeSet<String>,
    draft_revises: Option<&str>,
    amendment: &Record,
) -> Result<Incorporation, FieldError> {
    let a = match crate::body::TypedBody::of(amendment) {
        crate::body::TypedBody::Amendment(a) => a,
        _ => return Err(FieldError::new("amendment_id", "not an amendment")),
    };
    if !a.is_open() {
        return Err(FieldError::new(
            "amendment_id",
            format!(
                "the amendment is {}; only a tabled or considered amendment is incorporated",
                a.status.as_str().replace('_', " ")
            ),
        ));
    }
    let (Some(text_id), Some(point_id)) = (a.text_id.as_deref(), a.point_id.as_deref()) else {
        return Err(FieldError::new(
            "amendment_id",
            "the amendment names no point; apply it by editing the draft",
        ));
    };
    if draft_revises != Some(text_id) {
        return Err(FieldError::new(
            "amendment_id",
            "the amendment was tabled against another version than the one this draft revises",
        ));
    }
    let key = drafting::key_of(text_id, point_id);
    let at = points.iter().position(|p| p.key == key).ok_or_else(|| {
        FieldError::new(
            "amendment_id",
            "the draft no longer has the point the amendment targets",
        )
    })?;
    let action = a
        .action
        .as_ref()
        .and_then(crate::body::Term::known)
        .ok_or_else(|| FieldError::new("amendment_id", "the amendment's action is not known"))?;
    let wording = a.wording.clone().unwrap_or_default();
    let key = match action {
        AmendmentAction::Replace => {
            let p = &mut points[at];
            p.body = drafting::normalize_breaks(&wording);
            if let Some(t) = a.title.as_deref().filter(|t| !t.trim().is_empty()) {
                p.title = t.to_string();
            }
            key
        }
        AmendmentAction::InsertAfter => drafting::add(
            points,
            base,
            drafting::NewPoint {
                key: None,
                title: a.title.clone().unwrap_or_else(|| "New point".into()),
                body: wording,
                issue_ids: points[at].issue_ids.clone(),
                position: Some(at + 2),
            },
        )?,
        AmendmentAction::Delete => {
            drafting::delete(points, &key)?;
            key
        }
    };
    Ok(Incorporation {
        amendment_id: amendment.id.clone(),
        action,
        key,
    })
}

/// Records an incorporation on both sides: the draft lists it, the
/// amendment is incorporated into the draft.
pub fn record_incorporation(
    draft: &mut Record,
    amendment: &mut Record,
    inc: &Incorporation,
    at: &str,
) {
    let list = draft
        .body
        .entry(INCORPORATED)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let Value::Array(l) = list {
        l.push(json!({
            "amendment_id": inc.amendment_id,
            "action": crate::body::Vocabulary::spelling(inc.action),
            "key": inc.key,
        }));
    }
    let b = &mut amendment.body;
    b.insert("status".into(), "incorporated".into());
    b.insert(
        "incorporated_in_text_id".into(),
        Value::String(draft.id.clone()),
    );
    b.insert("status_at".into(), Value::String(at.into()));
}

/// The amendments each entry of a redline came from: for entry `i` of
/// `diff`, the ids of the amendments `new` (the later version) lists as
/// having changed, inserted (a key among the entry's new keys) or deleted
/// (among its old keys, for a deleted point) one of its points. An entry
/// of the list whose id the viewer may not see has none and is skipped.
pub fn origins(new: &Record, diff: &crate::redline::TextDiff) -> Vec<Vec<String>> {
    let listed: Vec<(String, String, String)> = new
        .body
        .get(INCORPORATED)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e.get("amendment_id")?.as_str()?.to_string(),
                e.get("action")?.as_str()?.to_string(),
                e.get("key")?.as_str()?.to_string(),
            ))
        })
        .collect();
    diff.points
        .iter()
        .map(|p| {
            let mut ids: Vec<String> = Vec::new();
            for (id, action, key) in &listed {
                let hit = if action == "delete" {
                    p.to.is_empty() && p.from_keys.contains(key)
                } else {
                    p.to_keys.contains(key)
                };
                if hit && !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            ids
        })
        .collect()
}

/// What a comment thread is about, as a write gives it: exactly one of the
/// three.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentTargetInput {
    /// A version.
    #[serde(default)]
    pub text_id: Option<String>,
    /// A point.
    #[serde(default)]
    pub point_id: Option<String>,
    /// An amendment.
    #[serde(default)]
    pub amendment_id: Option<String>,
}

/// A comment as a member writes it: a new thread (`target`) or a reply
/// (`reply_to_comment_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// What a new thread is about (a reply takes its thread's).
    #[serde(default)]
    pub target: Option<CommentTargetInput>,
    /// The comment replied to (its thread's first comment, or any comment
    /// of the thread).
    #[serde(default)]
    pub reply_to_comment_id: Option<String>,
    /// The comment.
    pub body: String,
    /// Who may see the thread (a new thread: defaults to the author's
    /// party and the mediator; a reply: must be the thread's, if given).
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// The first comment of the thread `id` belongs to (itself for a first
/// comment), as far as the room holds it.
pub fn thread_root<'a>(room: &'a Room, id: &str) -> Option<&'a Record> {
    let mut at = room.get(Kind::Comment, id)?;
    // A reply names its thread's first comment; following at most a few
    // links tolerates replies to replies in hand-written case files.
    for _ in 0..16 {
        match at.str("reply_to_comment_id") {
            Some(up) => at = room.get(Kind::Comment, up)?,
            None => return Some(at),
        }
    }
    None
}

impl CommentInput {
    /// Validates against the author's view of the room and builds the
    /// record; `default` is the author's default audience for a new
    /// thread.
    pub fn into_record(
        self,
        room: &Room,
        id: String,
        party_id: &str,
        author: &str,
        created: &str,
        default: Visibility,
    ) -> Result<Record, FieldError> {
        non_empty("body", &self.body)?;
        let (target, reply_to, visibility) = match (&self.reply_to_comment_id, &self.target) {
            (Some(_), Some(_)) => return Err(FieldError::new(
                "target",
                "a reply takes its thread's target; give reply_to_comment_id or target, not both",
            )),
            (None, None) => {
                return Err(FieldError::new(
                    "target",
                    "name a text_id, a point_id or an amendment_id (or reply_to_comment_id)",
                ))
            }
            (Some(to), None) => {
                let root = thread_root(room, to).ok_or_else(|| {
                    FieldError::new("reply_to_comment_id", format!("unknown comment {to:?}"))
                })?;
                if let Some(v) = &self.visibility {
                    if *v != root.visibility {
                        return Err(FieldError::new(
                            "visibility",
                            format!(
                                "a reply has its thread's visibility ({}); leave it out",
                                root.visibility.label()
                            ),
                        ));
                    }
                }
                (
                    root.body.get("target").cloned().unwrap_or(Value::Null),
                    Some(root.id.clone()),
                    root.visibility.clone(),
                )
            }
            (None, Some(t)) => {
                let given = [&t.text_id, &t.point_id, &t.amendment_id]
                    .iter()
                    .filter(|x| x.is_some())
                    .count();
                if given != 1 {
                    return Err(FieldError::new(
                        "target",
                        "name exactly one of text_id, point_id and amendment_id",
                    ));
                }
                let named: &Record = if let Some(tid) = &t.text_id {
                    room.get(Kind::Text, tid).ok_or_else(|| {
                        FieldError::new("target.text_id", format!("unknown text {tid:?}"))
                    })?
                } else if let Some(pid) = &t.point_id {
                    room.each::<Text>()
                        .find(|x| x.points.iter().any(|p| &p.id == pid))
                        .map(|x| x.record)
                        .ok_or_else(|| {
                            FieldError::new("target.point_id", format!("unknown point {pid:?}"))
                        })?
                } else {
                    let aid = t.amendment_id.as_deref().unwrap_or_default();
                    room.get(Kind::Amendment, aid).ok_or_else(|| {
                        FieldError::new("target.amendment_id", format!("unknown amendment {aid:?}"))
                    })?
                };
                let visibility = self.visibility.clone().unwrap_or(default);
                check_visibility(room, "visibility", &visibility)?;
                check_reference(room, "visibility", &visibility, named)?;
                let mut target = serde_json::Map::new();
                for (f, v) in [
                    ("text_id", &t.text_id),
                    ("point_id", &t.point_id),
                    ("amendment_id", &t.amendment_id),
                ] {
                    if let Some(v) = v {
                        target.insert(f.into(), Value::String(v.clone()));
                    }
                }
                (Value::Object(target), None, visibility)
            }
        };
        let mut body: Body = into_object(json!({
            "id": id,
            "target": target,
            "party_id": party_id,
            "author": author,
            "body": drafting::normalize_breaks(&self.body),
            "created": created,
        }));
        match reply_to {
            Some(root) => {
                body.insert("reply_to_comment_id".into(), Value::String(root));
            }
            None => {
                body.insert("resolved".into(), Value::Bool(false));
            }
        }
        Ok(Record {
            kind: Kind::Comment,
            id,
            visibility,
            body,
        })
    }
}

/// Resolves or reopens a thread: only on its first comment.
pub fn set_resolved(
    comment: &mut Record,
    resolved: bool,
    by: &str,
    at: &str,
) -> Result<(), FieldError> {
    if comment.str("reply_to_comment_id").is_some() {
        return Err(FieldError::new(
            "comment",
            "resolve the thread on its first comment",
        ));
    }
    comment
        .body
        .insert("resolved".into(), Value::Bool(resolved));
    comment.body.insert(
        "resolved_by".into(),
        if resolved {
            Value::String(by.into())
        } else {
            Value::Null
        },
    );
    comment
        .body
        .insert("resolved_at".into(), Value::String(at.into()));
    Ok(())
}

/// One thread: its first comment and its replies in order.
#[derive(Debug, Clone)]
pub struct Thread<'a> {
    /// The first comment.
    pub root: crate::body::Typed<'a, Comment>,
    /// The replies.
    pub replies: Vec<crate::body::Typed<'a, Comment>>,
}

/// The threads of a room whose first comment `about` accepts, in order.
pub fn threads<'a>(room: &'a Room, about: impl Fn(&Comment) -> bool) -> Vec<Thread<'a>> {
    let mut out: Vec<Thread<'a>> = room
        .each::<Comment>()
        .filter(|c| c.reply_to_comment_id.is_none() && about(c))
        .map(|root| Thread {
            root,
            replies: Vec::new(),
        })
        .collect();
    for c in room.each::<Comment>() {
        if let Some(up) = c.reply_to_comment_id.as_deref() {
            let root = thread_root(room, up).map(|r| r.id.as_str());
            if let Some(t) = out.iter_mut().find(|t| Some(t.root.id()) == root) {
                t.replies.push(c);
            }
        }
    }
    out
}

/// A row of the stance matrix for one amendment: each party's stances on
/// it, in the order of the parties (observers excluded), as for points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmendmentRow {
    /// The amendment.
    pub amendment_id: String,
    /// The point it targets.
    pub point_id: Option<String>,
    /// Per party (see [`AmendmentRow::party_ids`]).
    pub cells: Vec<Vec<Cell>>,
}

/// The parties of the amendment matrix's columns, in order.
pub fn matrix_parties(room: &Room) -> Vec<(String, String)> {
    room.each::<crate::body::Party>()
        .filter(|p| p.kind != PartyKind::Observer)
        .map(|p| {
            (
                p.id().to_string(),
                p.name.as_deref().unwrap_or(p.id()).to_string(),
            )
        })
        .collect()
}

impl AmendmentRow {
    /// The party ids, in column order.
    pub fn party_ids(room: &Room) -> Vec<String> {
        matrix_parties(room).into_iter().map(|(id, _)| id).collect()
    }
}

/// The amendments tabled against `text_id`, each with every party's
/// (not withdrawn) stances on it.
pub fn amendment_matrix(room: &Room, text_id: &str) -> Vec<AmendmentRow> {
    let parties = AmendmentRow::party_ids(room);
    room.each::<Amendment>()
        .filter(|a| a.text_id.as_deref() == Some(text_id))
        .map(|a| {
            let mut cells = vec![Vec::new(); parties.len()];
            for s in room.each::<Stance>().filter(|s| !s.is_withdrawn()) {
                if s.target.amendment_id.as_deref() != Some(a.id()) {
                    continue;
                }
                if let Some(col) = parties
                    .iter()
                    .position(|p| Some(p.as_str()) == s.party_id.as_deref())
                {
                    cells[col].push(Cell::of(s));
                }
            }
            AmendmentRow {
                amendment_id: a.id().to_string(),
                point_id: a.point_id.clone(),
                cells,
            }
        })
        .collect()
}

/// The stances of `records` that propose wording and are not yet linked to
/// an amendment, each turned into an amendment (minted by `mint`) and the
/// stance linked to it (`"amendment_id"` on the stance): the records to
/// write, amendments first. Pure and idempotent: a linked stance is left
/// alone, so running it again returns nothing.
///
/// The amendment keeps what the stance said: its party, version and point
/// (a stance on a whole text or an issue gives an amendment without a
/// point, shown but not incorporated by one action), the wording, the
/// summary as justification, the date and provenance, and the stance's
/// audience. It replaces the point's wording, the only reading of a
/// proposed wording a stance could give.
pub fn migrate(records: &[Record], mut mint: impl FnMut() -> String) -> Vec<Record> {
    let room = Room::new(records.to_vec());
    let mut out = Vec::new();
    for s in room.of(Kind::Stance) {
        if let Some((amendment, stance)) = table_proposal(&room, s, &mut mint) {
            out.push(amendment);
            out.push(stance);
        }
    }
    out
}

/// One stance of [`migrate`]: the amendment it tables and the stance
/// linked to it, or `None` when it proposes no wording or is linked
/// already. `room` is where its version is looked up when the stance names
/// only a point.
pub fn table_proposal(
    room: &Room,
    stance: &Record,
    mint: &mut impl FnMut() -> String,
) -> Option<(Record, Record)> {
    let crate::body::TypedBody::Stance(s) = crate::body::TypedBody::of(stance) else {
        return None;
    };
    if !s.stance.is(StanceKind::ProposesAmendment)
        || stance
            .body
            .get("amendment_id")
            .is_some_and(|v| !v.is_null())
    {
        return None;
    }
    let wording = s.amendment.as_deref().filter(|w| !w.trim().is_empty())?;
    let point_id = s.target.point_id.clone();
    let text_id = s.target.text_id.clone().or_else(|| {
        let pid = point_id.as_deref()?;
        room.each::<Text>()
            .find(|t| t.points.iter().any(|p| p.id == pid))
            .map(|t| t.id().to_string())
    });
    let id = mint();
    let body = json!({
        "id": id,
        "party_id": s.party_id,
        "text_id": text_id,
        "point_id": point_id,
        "action": "replace",
        "wording": wording,
        "title": null,
        "justification": s.summary,
        "language": null,
        "status": "tabled",
        "status_note": null,
        "incorporated_in_text_id": null,
        "superseded_by_amendment_id": null,
        "date": s.date.clone().or_else(|| s.provenance.as_ref().and_then(|p| p.reported_on.clone())),
        "provenance": stance.body.get("provenance").cloned().unwrap_or(Value::Null),
        "issue_id": s.target.issue_id,
        "from_stance_id": stance.id,
    });
    let amendment = Record {
        kind: Kind::Amendment,
        id: id.clone(),
        visibility: stance.visibility.clone(),
        body: into_object(body),
    };
    let mut linked = stance.clone();
    linked.body.insert("amendment_id".into(), Value::String(id));
    Some((amendment, linked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visibility::Viewer;

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

    fn room() -> Room {
        let pub_ab = Visibility::Parties {
            parties: vec!["a".into(), "b".into()],
        };
        Room::new(vec![
            rec(
                Kind::Party,
                "med",
                Visibility::Room,
                json!({"kind": "mediator"}),
            ),
            rec(
                Kind::Party,
                "a",
                Visibility::Room,
                json!({"kind": "party", "name": "A"}),
            ),
            rec(
                Kind::Party,
                "b",
                Visibility::Room,
                json!({"kind": "party", "name": "B"}),
            ),
            rec(
                Kind::Party,
                "c",
                Visibility::Room,
                json!({"kind": "party", "name": "C"}),
            ),
            rec(
                Kind::Text,
                "v1",
                pub_ab,
                json!({"status": "published", "version": 1, "point_identity": true, "points": [
                    {"id": "v1.one", "number": 1, "topic": "One", "text": "first wording"},
                    {"id": "v1.two", "number": 2, "topic": "Two", "text": "second wording"},
                ]}),
            ),
        ])
    }

    fn input(action: AmendmentAction) -> AmendmentInput {
        AmendmentInput {
            party_id: "a".into(),
            text_id: "v1".into(),
            point_id: "v1.one".into(),
            action,
            wording: Some("new wording".into()),
            title: Some("Inserted".into()),
            justification: "because".into(),
            language: Some("en".into()),
            date: None,
            provenance: None,
            visibility: None,
        }
    }

    #[test]
    fn an_amendment_is_validated_and_bounded_by_its_version() {
        let room = room();
        let r = input(AmendmentAction::Replace)
            .into_record(&room, "am_1".into())
            .unwrap();
        assert_eq!(
            r.visibility,
            Visibility::PartyAndMediator { party: "a".into() }
        );
        assert_eq!(r.str("status"), Some("tabled"));
        let mut bad = input(AmendmentAction::Replace);
        bad.point_id = "v1.nine".into();
        assert_eq!(
            bad.into_record(&room, "x".into()).unwrap_err().field,
            "point_id"
        );
        let mut bad = input(AmendmentAction::Replace);
        bad.wording = None;
        assert_eq!(
            bad.into_record(&room, "x".into()).unwrap_err().field,
            "wording"
        );
        let mut bad = input(AmendmentAction::Delete);
        bad.wording = Some("x".into());
        assert_eq!(
            bad.into_record(&room, "x".into()).unwrap_err().field,
            "wording"
        );
        let mut bad = input(AmendmentAction::Replace);
        bad.language = Some("english language".into());
        assert_eq!(
            bad.into_record(&room, "x".into()).unwrap_err().field,
            "language"
        );
        // C does not have version 1: a room-wide amendment on it would
        // reach C.
        let mut wide = input(AmendmentAction::Replace);
        wide.visibility = Some(Visibility::Room);
        let e = wide.into_record(&room, "x".into()).unwrap_err();
        assert_eq!(e.field, "visibility");
    }

    #[test]
    fn statuses_follow_who_acts() {
        let mut room = room();
        let r = input(AmendmentAction::Replace)
            .into_record(&room, "am_1".into())
            .unwrap();
        room.push(r.clone());
        let st = |s: AmendmentStatus| StatusInput {
            status: s,
            note: None,
            superseded_by_amendment_id: None,
        };
        let mut x = r.clone();
        let e = change_status(
            &room,
            &mut x,
            &st(AmendmentStatus::Rejected),
            Actor::Tabler,
            "t",
        )
        .unwrap_err();
        assert_eq!(e.field, "status");
        change_status(
            &room,
            &mut x,
            &st(AmendmentStatus::Withdrawn),
            Actor::Tabler,
            "t",
        )
        .unwrap();
        assert_eq!(x.str("status"), Some("withdrawn"));
        let mut y = r.clone();
        let e = change_status(
            &room,
            &mut y,
            &st(AmendmentStatus::Superseded),
            Actor::Mediator,
            "t",
        )
        .unwrap_err();
        assert_eq!(e.field, "superseded_by_amendment_id");
        let e = change_status(
            &room,
            &mut y,
            &st(AmendmentStatus::Incorporated),
            Actor::Mediator,
            "t",
        )
        .unwrap_err();
        assert_eq!(e.field, "status");
        change_status(
            &room,
            &mut y,
            &st(AmendmentStatus::UnderConsideration),
            Actor::Mediator,
            "t",
        )
        .unwrap();
        // Once closed, it stays closed.
        room.retain(|r| r.id != "am_1");
        room.push(x.clone());
        let e = change_status(
            &room,
            &mut x,
            &st(AmendmentStatus::Tabled),
            Actor::Mediator,
            "t",
        )
        .unwrap_err();
        assert!(e.message.contains("withdrawn"), "{e}");
    }

    #[test]
    fn incorporation_applies_each_action_by_identity() {
        let room = room();
        let v1 = room.get(Kind::Text, "v1").unwrap();
        let base: BTreeSet<String> = drafting::point_inputs(v1)
            .into_iter()
            .map(|p| p.key)
            .collect();
        for (action, keys, body) in [
            (AmendmentAction::Replace, vec!["one", "two"], "new wording"),
            (
                AmendmentAction::InsertAfter,
                vec!["one", "p3", "two"],
                "first wording",
            ),
            (AmendmentAction::Delete, vec!["two"], "second wording"),
        ] {
            let mut points = drafting::revise(v1, "v2").unwrap().points;
            // The draft moved point one to the end: identity, not place.
            let first = points.remove(0);
            points.push(first);
            let mut am = input(action);
            if action == AmendmentAction::Delete {
                am.wording = None;
            }
            let am_rec = am.into_record(&room, "am_1".into()).unwrap();
            let inc = incorporate(&mut points, &base, Some("v1"), &am_rec).unwrap();
            let mut got: Vec<&str> = points.iter().map(|p| p.key.as_str()).collect();
            got.sort();
            let mut want = keys.clone();
            want.sort();
            assert_eq!(got, want, "{action:?}");
            let one = points
                .iter()
                .find(|p| p.key == "one" || p.key == "two")
                .unwrap();
            if action != AmendmentAction::Delete {
                assert_eq!(points.iter().find(|p| p.key == "one").unwrap().body, body);
            } else {
                assert_eq!(one.body, body);
            }
            assert_eq!(inc.amendment_id, "am_1");
            // Against another version: refused.
            let e = incorporate(&mut points, &base, Some("v0"), &am_rec).unwrap_err();
            assert_eq!(e.field, "amendment_id");
        }
    }

    #[test]
    fn the_redline_names_the_amendment_behind_a_change() {
        let room = room();
        let v1 = room.get(Kind::Text, "v1").unwrap().clone();
        let base: BTreeSet<String> = drafting::point_inputs(&v1)
            .into_iter()
            .map(|p| p.key)
            .collect();
        let mut draft = drafting::revise(&v1, "v2").unwrap();
        let am = input(AmendmentAction::Replace)
            .into_record(&room, "am_1".into())
            .unwrap();
        let mut del = input(AmendmentAction::Delete);
        del.point_id = "v1.two".into();
        del.wording = None;
        let del = del.into_record(&room, "am_2".into()).unwrap();
        let i1 = incorporate(&mut draft.points, &base, Some("v1"), &am).unwrap();
        let i2 = incorporate(&mut draft.points, &base, Some("v1"), &del).unwrap();
        let mut v2 = draft.into_record(&room, "v2".into(), "v2").unwrap();
        let (mut a1, mut a2) = (am.clone(), del.clone());
        record_incorporation(&mut v2, &mut a1, &i1, "t");
        record_incorporation(&mut v2, &mut a2, &i2, "t");
        assert_eq!(a1.str("incorporated_in_text_id"), Some("v2"));
        let mut all = room.records().to_vec();
        all.push(v2.clone());
        let room2 = Room::new(all);
        let diff = crate::redline::diff_texts(&room2, &v1, &v2);
        let o = origins(&v2, &diff);
        let by_change: Vec<(crate::redline::Change, Vec<String>)> = diff
            .points
            .iter()
            .zip(o)
            .map(|(p, o)| (p.change, o))
            .collect();
        assert!(by_change.contains(&(crate::redline::Change::Changed, vec!["am_1".to_string()])));
        assert!(by_change.contains(&(crate::redline::Change::Deleted, vec!["am_2".to_string()])));
        // A viewer who may not see am_2 gets the list without its id.
        let hidden = crate::references::Hidden::new([&a2], &[v2.clone()]);
        let mut seen = vec![v2.clone()];
        hidden.apply(&mut seen);
        let o = origins(&seen[0], &diff);
        assert!(o.iter().all(|ids| !ids.contains(&"am_2".to_string())));
        assert!(o.iter().any(|ids| ids.contains(&"am_1".to_string())));
    }

    #[test]
    fn a_reply_has_its_threads_visibility() {
        let mut room = room();
        let pm = Visibility::PartyAndMediator { party: "a".into() };
        let root = CommentInput {
            target: Some(CommentTargetInput {
                point_id: Some("v1.one".into()),
                ..Default::default()
            }),
            reply_to_comment_id: None,
            body: "hello".into(),
            visibility: None,
        }
        .into_record(&room, "cm_1".into(), "a", "alice", "t", pm.clone())
        .unwrap();
        assert_eq!(root.visibility, pm);
        assert_eq!(root.body["resolved"], json!(false));
        room.push(root);
        let reply = |v: Option<Visibility>| CommentInput {
            target: None,
            reply_to_comment_id: Some("cm_1".into()),
            body: "reply".into(),
            visibility: v,
        };
        let r = reply(None)
            .into_record(&room, "cm_2".into(), "med", "m", "t", Visibility::Mediator)
            .unwrap();
        assert_eq!(r.visibility, pm);
        assert_eq!(r.str("reply_to_comment_id"), Some("cm_1"));
        let e = reply(Some(Visibility::Room))
            .into_record(&room, "cm_3".into(), "a", "alice", "t", pm.clone())
            .unwrap_err();
        assert_eq!(e.field, "visibility");
        room.push(r);
        // A reply to the reply joins the same thread.
        let r3 = reply(None);
        let r3 = CommentInput {
            reply_to_comment_id: Some("cm_2".into()),
            ..r3
        }
        .into_record(&room, "cm_3".into(), "a", "alice", "t", pm.clone())
        .unwrap();
        assert_eq!(r3.str("reply_to_comment_id"), Some("cm_1"));
        room.push(r3);
        let t = threads(&room, |_| true);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].replies.len(), 2);
        // A thread on version 1 cannot reach C, who does not have it.
        let e = CommentInput {
            target: Some(CommentTargetInput {
                text_id: Some("v1".into()),
                ..Default::default()
            }),
            reply_to_comment_id: None,
            body: "x".into(),
            visibility: Some(Visibility::Room),
        }
        .into_record(&room, "cm_9".into(), "a", "alice", "t", pm)
        .unwrap_err();
        assert_eq!(e.field, "visibility");
        assert!(!Viewer::Member { party: "c".into() }
            .can_see(&room.get(Kind::Comment, "cm_2").unwrap().visibility));
    }

    #[test]
    fn what_is_about_a_hidden_amendment_is_not_shown() {
        let room = room();
        let am = input(AmendmentAction::Replace)
            .into_record(&room, "am_1".into())
            .unwrap();
        let stance = rec(
            Kind::Stance,
            "s1",
            Visibility::Room,
            json!({"party_id": "b", "stance": "rejects", "target": {"amendment_id": "am_1"}}),
        );
        let comment = rec(
            Kind::Comment,
            "cm_1",
            Visibility::Room,
            json!({"target": {"amendment_id": "am_1"}, "body": "x"}),
        );
        let superseded = rec(
            Kind::Amendment,
            "am_2",
            Visibility::Room,
            json!({"superseded_by_amendment_id": "am_1", "text_id": "v1"}),
        );
        let mut seen = vec![stance, comment, superseded];
        crate::references::Hidden::new([&am], &seen).apply(&mut seen);
        assert_eq!(seen.len(), 1, "the stance and comment about it go");
        assert_eq!(seen[0].body["superseded_by_amendment_id"], Value::Null);
    }

    #[test]
    fn migration_is_idempotent() {
        let mut records = room().into_records();
        records.push(rec(
            Kind::Stance,
            "s1",
            Visibility::PartyAndMediator { party: "b".into() },
            json!({"party_id": "b", "stance": "proposes_amendment", "amendment": "better words",
                   "summary": "why", "target": {"point_id": "v1.two"},
                   "provenance": {"source": "B", "reliability": "own_delegation"}}),
        ));
        records.push(rec(
            Kind::Stance,
            "s2",
            Visibility::Room,
            json!({"party_id": "b", "stance": "accepts", "summary": "ok", "target": {"text_id": "v1"},
                   "provenance": {"source": "B", "reliability": "own_delegation"}}),
        ));
        let mut n = 0;
        let out = migrate(&records, || {
            n += 1;
            format!("am_{n}")
        });
        assert_eq!(out.len(), 2);
        let (am, st) = (&out[0], &out[1]);
        assert_eq!(am.kind, Kind::Amendment);
        assert_eq!(
            am.visibility,
            Visibility::PartyAndMediator { party: "b".into() }
        );
        assert_eq!(am.str("text_id"), Some("v1"));
        assert_eq!(am.str("point_id"), Some("v1.two"));
        assert_eq!(am.str("wording"), Some("better words"));
        assert_eq!(am.str("justification"), Some("why"));
        assert_eq!(st.str("amendment_id"), Some("am_1"));
        // Applied, it has nothing more to do.
        for r in out {
            let at = records
                .iter()
                .position(|x| x.kind == r.kind && x.id == r.id);
            match at {
                Some(i) => records[i] = r,
                None => records.push(r),
            }
        }
        assert!(migrate(&records, || unreachable!("nothing to mint")).is_empty());
        crate::case::check_references(&crate::case::Case {
            room_id: "r".into(),
            title: "r".into(),
            records,
            files: Vec::new(),
        })
        .unwrap();
    }
}
