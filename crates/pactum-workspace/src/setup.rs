//! Setting up a room: its details (title, description, disclaimer), its
//! parties and their kinds, its issues and their options.
//!
//! Set-up writes the same record shapes a case file holds (the `meta`
//! record, `parties[]`, `issues[]` with `options[]`), so a room set up in
//! the browser exports and imports like one that came from a file, and
//! stances, models and sessions read its issues as they read any other.
//!
//! Two facts are added to issue and option bodies. `position` orders the
//! issues (the store keeps records in insertion order; [`arrange`] sorts a
//! room's issues by it, and issues without one keep their place). `retired`
//! marks an issue or option that is no longer offered for new stances,
//! models, points or sessions: it stays in the room, resolvable by id and
//! shown as "(retired)" wherever older records name it, so nothing that
//! names it is ever left dangling. Retiring is refused while a live record
//! the mediator can see (a stance not withdrawn, a model, a draft point, an
//! open session) still takes a position on it; the error names them, so the
//! mediator knows what to settle first. Records the mediator cannot see are
//! not consulted (the refusal would betray them); they keep resolving the
//! retired issue by id like any history does.

use crate::body::{Issue, Preference, Stance, Text, Typed, TypedBody};
use crate::case::valid_room_id;
use crate::model::{Body, FieldError, Kind, PartyKind, Record, Room};
use crate::session::SessionView;
use crate::visibility::Visibility;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a set-up change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// A field's value is not acceptable.
    #[error(transparent)]
    Invalid(FieldError),
    /// The change conflicts with what the room holds: a duplicate id, a
    /// second mediator, a retired issue, or records that still name what is
    /// to be retired. The field is named as for [`SetupError::Invalid`].
    #[error(transparent)]
    Conflict(FieldError),
    /// The party, issue or option the change is about does not exist.
    #[error("not found")]
    NotFound,
}

impl From<FieldError> for SetupError {
    fn from(e: FieldError) -> Self {
        SetupError::Invalid(e)
    }
}

fn conflict(field: &str, message: impl Into<String>) -> SetupError {
    SetupError::Conflict(FieldError::new(field, message))
}

/// Fields that set-up keeps for itself: a client may not set them through
/// the extra fields an input carries along.
const RESERVED: [&str; 4] = ["retired", "position", "visibility", "withdrawn"];

fn check_extra(prefix: &str, extra: &Map<String, Value>) -> Result<(), FieldError> {
    match extra.keys().find(|k| RESERVED.contains(&k.as_str())) {
        Some(k) => Err(FieldError::new(
            format!("{prefix}{k}"),
            "is set by the workspace, not by the request",
        )),
        None => Ok(()),
    }
}

/// Party and issue ids follow the room-id rule (they appear in URLs and
/// visibilities); option ids may also hold `.`, as case files'
/// `issue.option` ids do.
fn check_id(field: &str, id: &str, dots: bool) -> Result<(), FieldError> {
    let ok = if dots {
        !id.starts_with('.') && valid_room_id(&id.replace('.', "_"))
    } else {
        valid_room_id(id)
    };
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            if dots {
                format!("{id:?} is not an id (lowercase letters, digits, -, _ and ., at most 64)")
            } else {
                format!("{id:?} is not an id (lowercase letters, digits, - and _, at most 64)")
            },
        ))
    }
}

fn non_empty(field: &str, s: &str) -> Result<(), FieldError> {
    if s.trim().is_empty() {
        Err(FieldError::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

fn object(v: Value) -> Body {
    match v {
        Value::Object(m) => m,
        _ => Body::new(),
    }
}

/// True for an issue or option (body) that has been retired.
pub fn is_retired(body: &Map<String, Value>) -> bool {
    body.get("retired").and_then(Value::as_bool) == Some(true)
}

/// True for a record its author has withdrawn (marked as
/// [`crate::model::withdraw`] marks it, or a model whose status says so):
/// it is history, and names nothing any more.
fn is_withdrawn<T>(r: &Typed<'_, T>, status: Option<&str>) -> bool {
    r.is_withdrawn() || status == Some("withdrawn")
}

impl Room {
    /// The issues still offered for new stances, models, points and
    /// sessions (retired ones left out), in the room's order.
    pub fn live_issues(&self) -> impl Iterator<Item = Typed<'_, Issue>> {
        self.each::<Issue>().filter(|i| !i.retired)
    }
}

/// An issue's title as records that name it show it: "(retired)" after a
/// retired one, the bare id for one the room does not hold.
pub fn issue_title(room: &Room, id: &str) -> String {
    match room.find::<Issue>(id) {
        Some(i) => {
            let title = i.title.as_deref().unwrap_or(id);
            if i.retired {
                format!("{title} (retired)")
            } else {
                title.to_string()
            }
        }
        None => id.to_string(),
    }
}

/// An issue's options as (id, label), retired ones included.
fn options(issue: &Record) -> Vec<&Map<String, Value>> {
    issue
        .body
        .get("options")
        .and_then(Value::as_array)
        .map(|os| os.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

fn option_id(o: &Map<String, Value>) -> Option<&str> {
    o.get("id").and_then(Value::as_str)
}

/// An option of an issue that is still offered (parsing the record; an
/// issue of a room is asked through [`Issue::is_live_option`]).
pub fn is_live_option(issue: &Record, option: &str) -> bool {
    match TypedBody::of(issue) {
        TypedBody::Issue(i) => i.is_live_option(option),
        _ => false,
    }
}

/// Orders a room's issue records by their `position`, in place and
/// stably; an issue without one sorts as its place among the issues, so a
/// room nobody has reordered keeps the order it was written in. Records of
/// other kinds do not move.
pub fn arrange(records: &mut [Record]) {
    let slots: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == Kind::Issue)
        .map(|(i, _)| i)
        .collect();
    let key = |k: usize, r: &Record| {
        r.body
            .get("position")
            .and_then(Value::as_i64)
            .unwrap_or(k as i64)
    };
    let keys: Vec<i64> = slots
        .iter()
        .enumerate()
        .map(|(k, &i)| key(k, &records[i]))
        .collect();
    if keys.windows(2).all(|w| w[0] <= w[1]) {
        return;
    }
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&k| keys[k]);
    let sorted: Vec<Record> = order.iter().map(|&k| records[slots[k]].clone()).collect();
    for (slot, r) in slots.into_iter().zip(sorted) {
        records[slot] = r;
    }
}

// ------------------------------------------------------------------ room

/// A new room, as an operator creates it. Fields beyond these are kept in
/// the room's `meta` record (as a case file's `meta` keeps them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomInput {
    /// Room id (lowercase letters, digits, `-` and `_`).
    pub id: String,
    /// Title.
    pub title: String,
    /// What the room is about.
    #[serde(default)]
    pub description: Option<String>,
    /// Shown on every page of the room (for example, that the case is
    /// illustrative only).
    #[serde(default)]
    pub disclaimer: Option<String>,
    /// Anything else, kept in `meta`.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RoomInput {
    /// Validates the room and builds its `meta` record (the case format's
    /// `meta`: `case_id`, `title`, `description`, `disclaimer`).
    pub fn into_meta(self) -> Result<Record, FieldError> {
        if !valid_room_id(&self.id) {
            return Err(FieldError::new(
                "id",
                format!(
                    "{:?} is not a room id (lowercase letters, digits, - and _, at most 64)",
                    self.id
                ),
            ));
        }
        non_empty("title", &self.title)?;
        check_extra("", &self.extra)?;
        if self.extra.contains_key("case_id") {
            return Err(FieldError::new("case_id", "is the room's id; give id"));
        }
        let mut body = Body::new();
        body.insert("case_id".into(), self.id.into());
        body.insert("title".into(), self.title.trim().into());
        for (k, v) in [
            ("description", self.description),
            ("disclaimer", self.disclaimer),
        ] {
            if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
                body.insert(k.into(), v.into());
            }
        }
        body.extend(self.extra);
        Ok(Record {
            kind: Kind::Meta,
            id: "meta".into(),
            visibility: Visibility::Room,
            body,
        })
    }
}

/// A change to a room's details; absent fields stay as they are, and an
/// empty description or disclaimer removes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomDetailsInput {
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New disclaimer.
    #[serde(default)]
    pub disclaimer: Option<String>,
}

impl RoomDetailsInput {
    /// The room's title and `meta` record after the change. `meta` is the
    /// room's current record, if it has one (rooms imported from a file in
    /// pactum's format may not); the rest of it is kept as it was.
    pub fn apply(
        self,
        room_id: &str,
        title: &str,
        meta: Option<&Record>,
    ) -> Result<(String, Record), FieldError> {
        if self.title.is_none() && self.description.is_none() && self.disclaimer.is_none() {
            return Err(FieldError::new(
                "body",
                "give at least one of title, description, disclaimer",
            ));
        }
        let mut record = match meta {
            Some(m) => m.clone(),
            None => Record {
                kind: Kind::Meta,
                id: "meta".into(),
                visibility: Visibility::Room,
                body: object(serde_json::json!({"case_id": room_id, "title": title})),
            },
        };
        let mut title = title.to_string();
        if let Some(t) = self.title {
            non_empty("title", &t)?;
            title = t.trim().to_string();
            record.body.insert("title".into(), title.clone().into());
        }
        for (k, v) in [
            ("description", self.description),
            ("disclaimer", self.disclaimer),
        ] {
            match v {
                Some(v) if v.trim().is_empty() => {
                    record.body.remove(k);
                }
                Some(v) => {
                    record.body.insert(k.into(), v.into());
                }
                None => {}
            }
        }
        Ok((title, record))
    }
}

// --------------------------------------------------------------- parties

/// A party, mediator or observer to add. Fields beyond these are kept in
/// the party's record (as a case file's `parties[]` keeps them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartyInput {
    /// Party id (lowercase letters, digits, `-` and `_`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `mediator`, `party` or `observer`.
    pub kind: PartyKind,
    /// Who the party is.
    #[serde(default)]
    pub description: Option<String>,
    /// Anything else, kept in the record.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Adds a party. A room has at most one mediating party.
pub fn add_party(room: &Room, input: PartyInput) -> Result<Record, SetupError> {
    check_id("id", &input.id, false)?;
    non_empty("name", &input.name)?;
    check_extra("", &input.extra)?;
    if room.get(Kind::Party, &input.id).is_some() {
        return Err(conflict(
            "id",
            format!("a party with id {:?} exists already", input.id),
        ));
    }
    if input.kind == PartyKind::Mediator {
        if let Some(m) = room.mediator() {
            return Err(conflict(
                "kind",
                format!("the room has a mediator already ({m:?}); a room has one mediating party"),
            ));
        }
    }
    let mut body = Body::new();
    body.insert("id".into(), input.id.clone().into());
    body.insert("name".into(), input.name.trim().into());
    body.insert(
        "kind".into(),
        serde_json::to_value(input.kind).unwrap_or(Value::Null),
    );
    if let Some(d) = input.description.filter(|d| !d.trim().is_empty()) {
        body.insert("description".into(), d.into());
    }
    body.extend(input.extra);
    Ok(Record {
        kind: Kind::Party,
        id: input.id,
        visibility: Visibility::Room,
        body,
    })
}

/// A party's new name or description (a party's kind never changes: it
/// decides what its delegates may see and do).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyEdit {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description (empty removes it).
    #[serde(default)]
    pub description: Option<String>,
}

/// Renames a party or changes its description.
pub fn edit_party(room: &Room, id: &str, edit: PartyEdit) -> Result<Record, SetupError> {
    let mut r = room
        .get(Kind::Party, id)
        .ok_or(SetupError::NotFound)?
        .clone();
    if edit.name.is_none() && edit.description.is_none() {
        return Err(FieldError::new("body", "give name or description").into());
    }
    if let Some(n) = edit.name {
        non_empty("name", &n)?;
        r.body.insert("name".into(), n.trim().into());
    }
    set_description(&mut r.body, edit.description);
    Ok(r)
}

fn set_description(body: &mut Body, d: Option<String>) {
    match d {
        Some(d) if d.trim().is_empty() => {
            body.remove("description");
        }
        Some(d) => {
            body.insert("description".into(), d.into());
        }
        None => {}
    }
}

// ---------------------------------------------------------------- issues

/// One option of an issue. Fields beyond these (a case file's `basis`,
/// `basis_note`) are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionInput {
    /// Option id, unique within its issue (lowercase letters, digits, `-`,
    /// `_` and `.`).
    pub id: String,
    /// What the option says.
    pub label: String,
    /// Anything else, kept in the option.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OptionInput {
    fn check(&self, prefix: &str) -> Result<(), FieldError> {
        check_id(&format!("{prefix}id"), &self.id, true)?;
        non_empty(&format!("{prefix}label"), &self.label)?;
        check_extra(prefix, &self.extra)
    }

    fn into_value(self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), self.id.into());
        o.insert("label".into(), self.label.trim().into());
        o.extend(self.extra);
        Value::Object(o)
    }
}

/// An issue to add, with its options. Fields beyond these (a case file's
/// `related_issue_ids`) are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueInput {
    /// Issue id (lowercase letters, digits, `-` and `_`).
    pub id: String,
    /// Title.
    pub title: String,
    /// What is to be decided.
    #[serde(default)]
    pub description: Option<String>,
    /// Its options, in order (more can be added later).
    #[serde(default)]
    pub options: Vec<OptionInput>,
    /// Anything else, kept in the record.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Adds an issue after the room's others.
pub fn add_issue(room: &Room, input: IssueInput) -> Result<Record, SetupError> {
    check_id("id", &input.id, false)?;
    non_empty("title", &input.title)?;
    check_extra("", &input.extra)?;
    for (i, o) in input.options.iter().enumerate() {
        o.check(&format!("options[{i}]."))?;
    }
    if room.get(Kind::Issue, &input.id).is_some() {
        return Err(conflict(
            "id",
            format!("an issue with id {:?} exists already", input.id),
        ));
    }
    for (i, o) in input.options.iter().enumerate() {
        if input.options[..i].iter().any(|p| p.id == o.id) {
            return Err(conflict(
                &format!("options[{i}].id"),
                format!("option id {:?} is given twice", o.id),
            ));
        }
    }
    let position = room
        .each::<Issue>()
        .enumerate()
        .map(|(k, r)| r.position.unwrap_or(k as i64))
        .max()
        .map_or(0, |m| m + 1);
    let mut body = Body::new();
    body.insert("id".into(), input.id.clone().into());
    body.insert("title".into(), input.title.trim().into());
    if let Some(d) = input.description.filter(|d| !d.trim().is_empty()) {
        body.insert("description".into(), d.into());
    }
    body.insert(
        "options".into(),
        Value::Array(
            input
                .options
                .into_iter()
                .map(OptionInput::into_value)
                .collect(),
        ),
    );
    body.insert("position".into(), position.into());
    body.extend(input.extra);
    Ok(Record {
        kind: Kind::Issue,
        id: input.id,
        visibility: Visibility::Room,
        body,
    })
}

/// An issue's new title or description.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueEdit {
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New description (empty removes it).
    #[serde(default)]
    pub description: Option<String>,
}

fn issue<'a>(room: &'a Room, id: &str) -> Result<&'a Record, SetupError> {
    room.get(Kind::Issue, id).ok_or(SetupError::NotFound)
}

/// Renames an issue or changes its description.
pub fn edit_issue(room: &Room, id: &str, edit: IssueEdit) -> Result<Record, SetupError> {
    let mut r = issue(room, id)?.clone();
    if edit.title.is_none() && edit.description.is_none() {
        return Err(FieldError::new("body", "give title or description").into());
    }
    if let Some(t) = edit.title {
        non_empty("title", &t)?;
        r.body.insert("title".into(), t.trim().into());
    }
    set_description(&mut r.body, edit.description);
    Ok(r)
}

/// Where to move an issue or option: its new 0-based place in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// The 0-based index it takes (retired ones count: they keep their place).
    pub to: usize,
}

fn moved<T>(list: &mut Vec<T>, from: usize, to: usize) -> Result<(), FieldError> {
    if to >= list.len() {
        return Err(FieldError::new(
            "to",
            format!(
                "expected an index from 0 to {}",
                list.len().saturating_sub(1)
            ),
        ));
    }
    let item = list.remove(from);
    list.insert(to, item);
    Ok(())
}

/// Moves an issue to place `to` among the room's issues (`room` in its
/// arranged order, see [`arrange`]). Returns the issue records whose
/// position changed, each with its new `position`: every issue gets one, so
/// the order no longer depends on when issues were written.
pub fn move_issue(room: &Room, id: &str, to: MoveInput) -> Result<Vec<Record>, SetupError> {
    let mut list: Vec<Typed<'_, Issue>> = room.each::<Issue>().collect();
    let from = list
        .iter()
        .position(|r| r.id() == id)
        .ok_or(SetupError::NotFound)?;
    moved(&mut list, from, to.to)?;
    Ok(list
        .into_iter()
        .enumerate()
        .filter(|(k, r)| r.position != Some(*k as i64))
        .map(|(k, r)| {
            let mut r = r.record.clone();
            r.body.insert("position".into(), (k as i64).into());
            r
        })
        .collect())
}

/// Retires an issue: refused while a live record the mediator can see in
/// `room` takes a position on it (see the module's doc).
pub fn retire_issue(room: &Room, id: &str) -> Result<Record, SetupError> {
    let mut r = issue(room, id)?.clone();
    if is_retired(&r.body) {
        return Err(conflict("id", format!("issue {id:?} is retired already")));
    }
    refuse_if_named(room, id, None)?;
    r.body.insert("retired".into(), true.into());
    Ok(r)
}

fn options_mut(r: &mut Record) -> &mut Vec<Value> {
    let slot = r
        .body
        .entry("options")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(a) => a,
        _ => unreachable!("made an array above"),
    }
}

fn live_issue<'a>(room: &'a Room, id: &str) -> Result<&'a Record, SetupError> {
    let r = issue(room, id)?;
    if is_retired(&r.body) {
        return Err(conflict(
            "issue",
            format!("issue {id:?} is retired; its options no longer change"),
        ));
    }
    Ok(r)
}

/// Adds an option at the end of an issue's options.
pub fn add_option(room: &Room, issue_id: &str, input: OptionInput) -> Result<Record, SetupError> {
    let mut r = live_issue(room, issue_id)?.clone();
    input.check("")?;
    if options(&r).iter().any(|o| option_id(o) == Some(&input.id)) {
        return Err(conflict(
            "id",
            format!(
                "issue {issue_id:?} has an option with id {:?} already",
                input.id
            ),
        ));
    }
    options_mut(&mut r).push(input.into_value());
    Ok(r)
}

/// An option's new label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionEdit {
    /// New label.
    pub label: String,
}

fn option_index(r: &Record, option: &str) -> Result<usize, SetupError> {
    options(r)
        .iter()
        .position(|o| option_id(o) == Some(option))
        .ok_or(SetupError::NotFound)
}

/// Renames an option.
pub fn edit_option(
    room: &Room,
    issue_id: &str,
    option: &str,
    edit: OptionEdit,
) -> Result<Record, SetupError> {
    let mut r = live_issue(room, issue_id)?.clone();
    let k = option_index(&r, option)?;
    non_empty("label", &edit.label)?;
    if let Some(o) = options_mut(&mut r)[k].as_object_mut() {
        o.insert("label".into(), edit.label.trim().into());
    }
    Ok(r)
}

/// Moves an option to place `to` among its issue's options.
pub fn move_option(
    room: &Room,
    issue_id: &str,
    option: &str,
    to: MoveInput,
) -> Result<Record, SetupError> {
    let mut r = live_issue(room, issue_id)?.clone();
    let k = option_index(&r, option)?;
    moved(options_mut(&mut r), k, to.to)?;
    Ok(r)
}

/// Retires an option: refused while a live record the mediator can see
/// takes a position on it.
pub fn retire_option(room: &Room, issue_id: &str, option: &str) -> Result<Record, SetupError> {
    let mut r = live_issue(room, issue_id)?.clone();
    let k = option_index(&r, option)?;
    if options(&r).get(k).is_some_and(|o| is_retired(o)) {
        return Err(conflict(
            "id",
            format!("option {option:?} is retired already"),
        ));
    }
    refuse_if_named(room, issue_id, Some(option))?;
    if let Some(o) = options_mut(&mut r)[k].as_object_mut() {
        o.insert("retired".into(), true.into());
    }
    Ok(r)
}

/// The live records in `room` that take a position on the issue (or, with
/// `option`, on that option of it), described for the mediator.
pub fn named_by(room: &Room, issue_id: &str, option: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let has = |ids: &[String], want: &str| ids.iter().any(|x| x == want);
    for s in room
        .each::<Stance>()
        .filter(|s| !is_withdrawn(s, s.status.as_deref()))
    {
        if s.target.issue_id.as_deref() != Some(issue_id) {
            continue;
        }
        let names = match option {
            None => true,
            Some(o) => has(&s.preferred_option_ids, o) || has(&s.ruled_out_option_ids, o),
        };
        if names {
            let party = s.party_id.as_deref().unwrap_or("?");
            out.push(format!("stance {} of {party}", s.id()));
        }
    }
    for m in room
        .each::<Preference>()
        .filter(|m| !is_withdrawn(m, m.status.as_deref()))
    {
        let names = m
            .issues
            .iter()
            .filter(|im| im.issue_id == issue_id)
            .any(|im| match option {
                None => im.weight.unwrap_or(0.0) != 0.0,
                Some(o) => im
                    .option_values
                    .iter()
                    .any(|(id, v)| id == o && v.unwrap_or(0.0) != 0.0),
            });
        if names {
            out.push(format!("preference model of {}", m.id()));
        }
    }
    if option.is_none() {
        for t in room
            .each::<Text>()
            .filter(|t| t.is_draft() && !is_withdrawn(t, None))
        {
            for p in &t.points {
                if p.issue_ids.iter().any(|i| i == issue_id) {
                    out.push(format!("point {} of draft {}", p.id, t.id()));
                }
            }
        }
    }
    for s in room.each::<SessionView>().filter(|s| s.open) {
        let names = [Some(&s.current), s.proposal.as_ref()]
            .into_iter()
            .flatten()
            .any(|p| {
                p.get(issue_id)
                    .is_some_and(|chosen| option.is_none_or(|o| o == chosen))
            });
        if names {
            out.push(format!("open session {}", s.id()));
        }
    }
    out
}

fn refuse_if_named(room: &Room, issue_id: &str, option: Option<&str>) -> Result<(), SetupError> {
    let names = named_by(room, issue_id, option);
    if names.is_empty() {
        return Ok(());
    }
    let what = match option {
        Some(o) => format!("option {o:?} of issue {issue_id:?}"),
        None => format!("issue {issue_id:?}"),
    };
    Err(conflict(
        "id",
        format!(
            "{what} is still named by {}; withdraw or change them first",
            names.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn room() -> Room {
        Room::new(vec![add_party(
            &Room::default(),
            serde_json::from_value(json!({"id": "med", "name": "M", "kind": "mediator"})).unwrap(),
        )
        .unwrap()])
    }

    fn issue_input(id: &str, options: &[&str]) -> IssueInput {
        serde_json::from_value(json!({
            "id": id, "title": format!("Issue {id}"),
            "options": options.iter().map(|o| json!({"id": o, "label": format!("Option {o}")})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    fn with(room: Room, r: Record) -> Room {
        let mut records = room.into_records();
        match records
            .iter_mut()
            .find(|x| x.kind == r.kind && x.id == r.id)
        {
            Some(x) => *x = r,
            None => records.push(r),
        }
        arrange(&mut records);
        Room::new(records)
    }

    fn ids(room: &Room) -> Vec<&str> {
        room.of(Kind::Issue).map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn a_second_mediator_and_duplicate_ids_are_conflicts_naming_the_field() {
        let r = room();
        let second: PartyInput =
            serde_json::from_value(json!({"id": "m2", "name": "M2", "kind": "mediator"})).unwrap();
        match add_party(&r, second) {
            Err(SetupError::Conflict(e)) => assert_eq!(e.field, "kind"),
            other => panic!("{other:?}"),
        }
        let dup: PartyInput =
            serde_json::from_value(json!({"id": "med", "name": "X", "kind": "party"})).unwrap();
        assert!(matches!(add_party(&r, dup), Err(SetupError::Conflict(e)) if e.field == "id"));
        let rec = add_issue(&r, issue_input("a", &["a.x"])).unwrap();
        let r = with(r, rec);
        assert!(
            matches!(add_issue(&r, issue_input("a", &[])), Err(SetupError::Conflict(e)) if e.field == "id")
        );
        assert!(matches!(
            add_issue(&r, issue_input("b", &["x", "y", "x"])),
            Err(SetupError::Conflict(e)) if e.field == "options[2].id"
        ));
        assert!(matches!(
            add_issue(&r, issue_input("B b", &[])),
            Err(SetupError::Invalid(e)) if e.field == "id"
        ));
        let bad: IssueInput = serde_json::from_value(
            json!({"id": "c", "title": "C", "options": [], "retired": true}),
        )
        .unwrap();
        assert!(matches!(add_issue(&r, bad), Err(SetupError::Invalid(e)) if e.field == "retired"));
    }

    #[test]
    fn moves_reorder_and_new_issues_go_last() {
        let mut r = room();
        for id in ["a", "b", "c", "d"] {
            let rec = add_issue(&r, issue_input(id, &["x", "y", "z"])).unwrap();
            r = with(r, rec);
        }
        assert_eq!(ids(&r), ["a", "b", "c", "d"]);
        for rec in move_issue(&r, "d", MoveInput { to: 0 }).unwrap() {
            r = with(r, rec);
        }
        assert_eq!(ids(&r), ["d", "a", "b", "c"]);
        for rec in move_issue(&r, "a", MoveInput { to: 3 }).unwrap() {
            r = with(r, rec);
        }
        assert_eq!(ids(&r), ["d", "b", "c", "a"]);
        let rec = add_issue(&r, issue_input("e", &[])).unwrap();
        r = with(r, rec);
        assert_eq!(ids(&r), ["d", "b", "c", "a", "e"]);
        assert!(matches!(
            move_issue(&r, "a", MoveInput { to: 5 }),
            Err(SetupError::Invalid(e)) if e.field == "to"
        ));
        assert_eq!(
            move_issue(&r, "zz", MoveInput { to: 0 }),
            Err(SetupError::NotFound)
        );
        let rec = move_option(&r, "b", "z", MoveInput { to: 0 }).unwrap();
        let opts: Vec<&str> = options(&rec).iter().filter_map(|o| option_id(o)).collect();
        assert_eq!(opts, ["z", "x", "y"]);
    }

    #[test]
    fn an_imported_order_is_kept_until_someone_moves_an_issue() {
        let mut records: Vec<Record> = ["q", "p", "r"]
            .iter()
            .map(|id| Record {
                kind: Kind::Issue,
                id: id.to_string(),
                visibility: Visibility::Room,
                body: object(json!({"id": id})),
            })
            .collect();
        arrange(&mut records);
        let order: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(order, ["q", "p", "r"]);
    }

    #[test]
    fn retiring_is_refused_while_a_live_stance_names_it_and_marks_it_otherwise() {
        let mut r = room();
        let rec = add_issue(&r, issue_input("a", &["a.x", "a.y"])).unwrap();
        r = with(r, rec);
        let stance = Record {
            kind: Kind::Stance,
            id: "st_1".into(),
            visibility: Visibility::Room,
            body: object(json!({
                "id": "st_1", "party_id": "med",
                "target": {"issue_id": "a"}, "preferred_option_ids": ["a.x"],
            })),
        };
        r = with(r, stance.clone());
        match retire_issue(&r, "a") {
            Err(SetupError::Conflict(e)) => {
                assert_eq!(e.field, "id");
                assert!(e.message.contains("stance st_1"), "{}", e.message);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            retire_option(&r, "a", "a.x"),
            Err(SetupError::Conflict(_))
        ));
        // An option the stance does not name may go.
        let rec = retire_option(&r, "a", "a.y").unwrap();
        assert!(!is_live_option(&rec, "a.y") && is_live_option(&rec, "a.x"));
        // Once the stance is withdrawn, the issue may be retired.
        let mut withdrawn = stance;
        crate::model::withdraw(&mut withdrawn, "2025-12-01T00:00:00Z", "a", "superseded").unwrap();
        r = with(r, withdrawn);
        let rec = retire_issue(&r, "a").unwrap();
        r = with(r, rec);
        assert_eq!(issue_title(&r, "a"), "Issue a (retired)");
        assert_eq!(r.live_issues().count(), 0);
        assert!(matches!(
            retire_issue(&r, "a"),
            Err(SetupError::Conflict(_))
        ));
        assert!(matches!(
            add_option(&r, "a", serde_json::from_value(json!({"id": "n", "label": "N"})).unwrap()),
            Err(SetupError::Conflict(e)) if e.field == "issue"
        ));
    }

    #[test]
    fn details_keep_the_rest_of_meta() {
        let meta = RoomInput {
            id: "r".into(),
            title: "T".into(),
            description: Some("D".into()),
            disclaimer: None,
            extra: object(json!({"language": "en"})),
        }
        .into_meta()
        .unwrap();
        let (title, m) = RoomDetailsInput {
            title: Some("New".into()),
            description: Some(String::new()),
            disclaimer: Some("Illustrative only.".into()),
        }
        .apply("r", "T", Some(&meta))
        .unwrap();
        assert_eq!(title, "New");
        assert_eq!(
            Value::Object(m.body),
            json!({"case_id": "r", "title": "New", "language": "en", "disclaimer": "Illustrative only."})
        );
    }
}
