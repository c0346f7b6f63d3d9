//! Correcting, withdrawing and re-scoping what was recorded: stances,
//! meetings, notes and documents, over the API and in the browser.
//!
//! Who may correct or withdraw a record is who wrote it: the delegates of
//! the party whose delegate first recorded it, or the mediator for what the
//! mediator recorded (its own records and those it recorded on a party's
//! behalf; imports count as the mediator's). Every write keeps a revision
//! in the store's record history (same transaction), so nothing recorded
//! is erased: a withdrawn record is marked (`"withdrawn": {"at", "by",
//! "reason"}`) and stays listed. The history is shown to whoever may see
//! the record now, and to no one else.
//!
//! Only the mediator changes a record's visibility afterwards. Narrowing
//! takes effect at once (every view is built per request from
//! `RoomAccess::load`); widening must be confirmed, because it shows the
//! record, and its history, to parties that have not seen it.
//!
//! Published versions of the text are re-scoped the same way (drafts are
//! the mediator's until published through `publish`). Narrowing a version
//! also narrows, in the same transaction and each with its own audit
//! entry, the stances on it or on one of its points and the documents
//! attached to it, to at most its new audience
//! (`pactum_workspace::references::narrowed_about`): a party that loses a
//! version loses what was said about it. Whatever else names the version (a
//! meeting's `texts_discussed`, another version's `derived_from_text_id`)
//! keeps its audience and loses the name in the view of whoever cannot see
//! the version (`RoomAccess::load`). Widening a version widens only the
//! version.

use crate::access::{Role, RoomAccess};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{out, parse_json, JsonBody, P};
use crate::ui::{self, chrome, urlpart, view, FormData, Session, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use pactum_workspace::body::{StanceTarget, TypedBody};
use pactum_workspace::model::{
    self, check_reference, check_visibility, points, DocumentInput, Kind, MeetingInput, NoteInput,
    PartyKind, Record, Room, StanceInput,
};
use pactum_workspace::references::narrowed_about;
use pactum_workspace::{Viewer, Visibility};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The API and UI routes of edit, withdraw, history and visibility.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/rooms/{room}/{collection}/{id}", put(api_edit))
        .route(
            "/api/rooms/{room}/{collection}/{id}/withdraw",
            post(api_withdraw),
        )
        .route(
            "/api/rooms/{room}/{collection}/{id}/history",
            get(api_history),
        )
        .route(
            "/api/rooms/{room}/{collection}/{id}/visibility",
            post(api_visibility),
        )
        .route("/rooms/{room}/records/{collection}/{id}", get(ui_record))
        .route(
            "/rooms/{room}/records/{collection}/{id}/{action}",
            post(ui_action),
        )
}

/// The kinds that can be corrected, withdrawn and re-scoped, by collection.
fn kind_of(collection: &str) -> ApiResult<Kind> {
    Ok(match collection {
        "stances" => Kind::Stance,
        "meetings" => Kind::Meeting,
        "notes" => Kind::Note,
        "documents" => Kind::Document,
        _ => return Err(ApiError::not_found()),
    })
}

/// The kinds whose audience the mediator may change, by collection: those
/// of [`kind_of`] and published versions of the text.
fn rescopable(collection: &str) -> ApiResult<Kind> {
    match collection {
        "texts" => Ok(Kind::Text),
        c => kind_of(c),
    }
}

fn collection(kind: Kind) -> &'static str {
    match kind {
        Kind::Stance => "stances",
        Kind::Meeting => "meetings",
        Kind::Note => "notes",
        Kind::Text => "texts",
        _ => "documents",
    }
}

/// A record the user may see; anything else answers as a missing one.
fn visible<'a>(a: &'a RoomAccess, kind: Kind, id: &str) -> ApiResult<&'a Record> {
    a.room().get(kind, id).ok_or_else(ApiError::not_found)
}

/// The party that recorded `r`: the party of the user who wrote its first
/// revision, or the mediator's when that user holds no seat in the room
/// (an import from the command line).
async fn recorder(state: &AppState, a: &RoomAccess, r: &Record) -> ApiResult<Option<String>> {
    let history = a.history(state, r.kind, &r.id).await?;
    let first = history.first().map(|h| h.actor.clone());
    let seat = match first {
        Some(actor) => a
            .seats(state)
            .await?
            .into_iter()
            .find(|m| m.user == actor)
            .map(|m| m.party_id),
        None => None,
    };
    Ok(seat.or_else(|| a.room().mediator().map(str::to_string)))
}

/// The record, if this user may correct or withdraw it (403 otherwise: the
/// record itself is visible to them).
async fn writable<'a>(
    state: &AppState,
    a: &'a RoomAccess,
    kind: Kind,
    id: &str,
) -> ApiResult<&'a Record> {
    let r = visible(a, kind, id)?;
    if recorder(state, a, r).await?.as_deref() != Some(a.party_id()) {
        return Err(ApiError::forbidden(
            "only whoever recorded it (its party's delegates, or the mediator) may change it",
        ));
    }
    if model::is_withdrawn(r) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "{} {} is withdrawn; it stays as it was",
                kind.as_str(),
                r.id
            ),
        ));
    }
    Ok(r)
}

/// The records `r` names whose audience bounds its own (the meeting and
/// text a stance or document refers to).
fn referenced<'a>(room: &'a Room, r: &Record) -> Vec<&'a Record> {
    let field = |f: &str| r.str(f).map(str::to_string);
    let target = |f: &str| {
        r.body
            .get("target")
            .and_then(|t| t.get(f))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut out = Vec::new();
    if let Some(m) = field("meeting_id") {
        out.extend(room.get(Kind::Meeting, &m));
    }
    for t in [field("text_id"), target("text_id")].into_iter().flatten() {
        out.extend(room.get(Kind::Text, &t));
    }
    if let Some(p) = target("point_id") {
        out.extend(
            room.of(Kind::Text)
                .find(|t| points(t).iter().any(|q| q.id == p)),
        );
    }
    out
}

/// The corrected record: the kind's input validated as at creation, its
/// fields written over the old body (fields the input does not know, from
/// a case file, stay), the id, author and, unless the input names one, the
/// visibility kept.
fn corrected(a: &RoomAccess, old: &Record, input: &[u8]) -> ApiResult<Record> {
    let keep = Some(old.visibility.clone());
    let new = match old.kind {
        Kind::Stance => {
            let mut i: StanceInput = parse_json(input)?;
            if a.role() == Role::Delegate && i.party_id != a.party_id() {
                return Err(ApiError::forbidden(
                    "a delegate records only its own party's stances",
                ));
            }
            match &i.visibility {
                Some(v) => a.may_choose(v)?,
                None => i.visibility = keep,
            }
            i.into_record(a.room(), old.id.clone())?
        }
        Kind::Meeting => {
            a.mediator()?;
            let i: MeetingInput = parse_json(input)?;
            let same_scope = old.str("confidentiality") == Some(i.confidentiality.as_str())
                && old
                    .body
                    .get("participants")
                    .and_then(Value::as_array)
                    .map(|ps| {
                        ps.iter()
                            .filter_map(|p| p.get("party_id").and_then(Value::as_str))
                            .collect::<Vec<_>>()
                    })
                    == Some(i.participants.iter().map(String::as_str).collect());
            let mut r = i.into_record(a.room(), old.id.clone())?;
            // A meeting's audience follows its confidentiality; while that
            // is unchanged, a scope the mediator set later stays.
            if same_scope {
                r.visibility = old.visibility.clone();
            }
            r
        }
        Kind::Note => {
            let mut i: NoteInput = parse_json(input)?;
            match &i.visibility {
                Some(v) => a.may_choose(v)?,
                None => i.visibility = keep,
            }
            let author = old.str("author").unwrap_or(a.user()).to_string();
            i.into_record(a.room(), old.id.clone(), &author, old.visibility.clone())?
        }
        _ => {
            let mut i: DocumentInput = parse_json(input)?;
            match &i.visibility {
                Some(v) => a.may_choose(v)?,
                None => i.visibility = keep,
            }
            i.into_record(a.room(), old.id.clone(), old.visibility.clone())?
        }
    };
    let mut body = old.body.clone();
    for (k, v) in new.body {
        body.insert(k, v);
    }
    Ok(Record {
        kind: old.kind,
        id: old.id.clone(),
        visibility: new.visibility,
        body,
    })
}

/// Corrects a record (`<kind>.edit` in the audit).
pub async fn edit(
    state: &AppState,
    a: &RoomAccess,
    kind: Kind,
    id: &str,
    input: &[u8],
) -> ApiResult<Record> {
    let old = writable(state, a, kind, id).await?;
    let record = corrected(a, old, input)?;
    write(state, a, &record, &format!("{}.edit", kind.as_str())).await?;
    Ok(record)
}

/// Why a record is withdrawn.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    /// Said to whoever sees the record.
    pub reason: String,
}

/// Withdraws a record (`<kind>.withdraw` in the audit): marked, not erased.
pub async fn withdraw(
    state: &AppState,
    a: &RoomAccess,
    kind: Kind,
    id: &str,
    input: WithdrawInput,
) -> ApiResult<Record> {
    let mut record = writable(state, a, kind, id).await?.clone();
    // By party: a login appears nowhere else in what others see.
    model::withdraw(&mut record, &crate::now(), a.party_id(), &input.reason)?;
    write(state, a, &record, &format!("{}.withdraw", kind.as_str())).await?;
    Ok(record)
}

/// Stores a corrected or withdrawn record: meetings are the mediator's
/// records, the rest (stances, notes, documents) any member's.
async fn write(state: &AppState, a: &RoomAccess, record: &Record, action: &str) -> ApiResult<()> {
    match record.kind {
        Kind::Meeting => a.mediator()?.write(state, record, action).await?,
        _ => a.write(state, record, action).await?,
    };
    Ok(())
}

/// Every revision of a record the user may see now.
pub async fn history(state: &AppState, a: &RoomAccess, kind: Kind, id: &str) -> ApiResult<Value> {
    let r = visible(a, kind, id)?;
    let rows = a.history(state, kind, id).await?;
    a.audit_reads(state, "history.read", [r]).await?;
    // Who wrote a revision is told by party; a login is shown only to the
    // mediator and to the writer's own party, as logins appear nowhere
    // else in what a party sees of another.
    let seats: std::collections::HashMap<String, String> = a
        .seats(state)
        .await?
        .into_iter()
        .map(|m| (m.user, m.party_id))
        .collect();
    let revisions: Vec<Value> = rows
        .iter()
        .map(|h| {
            let party = seats.get(&h.actor);
            let actor = match party {
                _ if a.is_mediator() => h.actor.clone(),
                Some(p) if *p == a.party_id() => h.actor.clone(),
                Some(p) => p.clone(),
                None => "operator".to_string(),
            };
            json!({
                "revision": h.revision,
                "at": h.at,
                "party": party,
                "actor": actor,
                "action": h.action,
                "visibility": serde_json::from_str::<Value>(&h.visibility).unwrap_or(Value::Null),
                "body": serde_json::from_str::<Value>(&h.body).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(json!({"kind": kind, "id": id, "revisions": revisions}))
}

/// A new audience for a record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisibilityInput {
    /// The new audience.
    pub visibility: Visibility,
    /// Required to widen it.
    #[serde(default)]
    pub confirm: bool,
}

/// The parties of the room, each as the visibility rule sees its delegates.
fn viewers(room: &Room) -> Vec<(String, Viewer)> {
    room.of(Kind::Party)
        .map(|p| {
            let party = p.id.clone();
            let viewer = match PartyKind::of(p) {
                PartyKind::Mediator => Viewer::Mediator {
                    party: party.clone(),
                },
                _ => Viewer::Member {
                    party: party.clone(),
                },
            };
            (party, viewer)
        })
        .collect()
}

/// What a change of audience does: the parties that would start and stop
/// seeing the record.
pub struct Change {
    /// Parties that would start seeing it.
    pub gain: Vec<String>,
    /// Parties that would stop seeing it.
    pub lose: Vec<String>,
}

/// Checks a new audience for `r` and says who gains and loses it.
fn change(a: &RoomAccess, r: &Record, to: &Visibility) -> ApiResult<Change> {
    a.mediator()?;
    if r.kind == Kind::Text && model::is_draft(r) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "text {} is a draft, seen by the mediator only; publish it to share it",
                r.id
            ),
        ));
    }
    a.may_choose(to)?;
    check_visibility(a.room(), "visibility", to)?;
    for named in referenced(a.room(), r) {
        check_reference(a.room(), "visibility", to, named)?;
    }
    // Nor may a record that names this one reach anyone it would leave out:
    // the reference would carry its id to them. A version of the text is
    // the exception: what is about it is narrowed with it (see
    // `set_visibility`).
    let rescoped = Record {
        visibility: to.clone(),
        ..r.clone()
    };
    for referrer in a.room().records().iter().filter(|_| r.kind != Kind::Text) {
        let names_it = referenced(a.room(), referrer)
            .iter()
            .any(|n| n.kind == r.kind && n.id == r.id);
        if names_it {
            check_reference(a.room(), "visibility", &referrer.visibility, &rescoped).map_err(
                |e| {
                    ApiError::field(
                        "visibility",
                        format!(
                            "the {} {:?} names this record: {}",
                            referrer.kind.as_str(),
                            referrer.id,
                            e.message
                        ),
                    )
                },
            )?;
        }
    }
    let (mut gain, mut lose) = (Vec::new(), Vec::new());
    for (party, v) in viewers(a.room()) {
        match (v.can_see(&r.visibility), v.can_see(to)) {
            (false, true) => gain.push(party),
            (true, false) => lose.push(party),
            _ => {}
        }
    }
    Ok(Change { gain, lose })
}

fn names_of(a: &RoomAccess, parties: &[String]) -> String {
    let names = a.room().party_names();
    parties
        .iter()
        .map(|p| names.get(p.as_str()).copied().unwrap_or(p))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Changes a record's audience (mediator only): narrowing at once,
/// widening only with `confirm` (409 saying who would start seeing it).
pub async fn set_visibility(
    state: &AppState,
    a: &RoomAccess,
    kind: Kind,
    id: &str,
    input: VisibilityInput,
) -> ApiResult<Record> {
    let m = a.mediator()?;
    let old = visible(a, kind, id)?;
    let c = change(a, old, &input.visibility)?;
    if !c.gain.is_empty() && !input.confirm {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "widening {} {} from {} to {} would show it, with its history, to {}{}; \
                 send confirm: true to widen it",
                kind.as_str(),
                id,
                old.visibility.label(),
                input.visibility.label(),
                names_of(a, &c.gain),
                if kind == Kind::Text {
                    " (only the version: stances and documents about it keep their audience)"
                } else {
                    ""
                }
            ),
        ));
    }
    let action = if c.gain.is_empty() {
        "visibility.narrow"
    } else {
        "visibility.widen"
    };
    let mut record = old.clone();
    record.visibility = input.visibility;
    let detail = format!("{} → {}", old.visibility.label(), record.visibility.label());
    if kind != Kind::Text {
        m.write_detailed(state, &record, action, detail).await?;
        return Ok(record);
    }
    // A version: its publications say who it is published to, so those of
    // parties that lose it go (the record's history keeps them); and what
    // is about it is narrowed with it, all in one transaction.
    let viewers = viewers(a.room());
    if let Some(Value::Array(pubs)) = record.body.get_mut("publications") {
        pubs.retain(|p| {
            let party = p.get("party_id").and_then(Value::as_str);
            !viewers
                .iter()
                .any(|(id, v)| Some(id.as_str()) == party && !v.can_see(&record.visibility))
        });
    }
    let about = narrowed_about(a.room(), old, &record.visibility);
    let mut writes: Vec<(&Record, &str, String)> = vec![(&record, action, detail)];
    for (r, was) in &about {
        let detail = format!(
            "{} → {} (follows text {})",
            was.label(),
            r.visibility.label(),
            old.id
        );
        writes.push((r, "visibility.narrow", detail));
    }
    m.write_set_detailed(state, &writes).await?;
    Ok(record)
}

/// The re-scoping form of a record's page, for the mediator (`Null` for
/// anyone else): where it posts, the audiences to choose from, the one in
/// force, and the widening awaiting confirmation when `widen` names one
/// (an audience choice, as the form posts it).
pub(crate) fn rescope_form(a: &RoomAccess, r: &Record, widen: Option<&str>) -> ApiResult<Value> {
    if !a.is_mediator() || (r.kind == Kind::Text && model::is_draft(r)) {
        return Ok(Value::Null);
    }
    let names = a.room().party_names();
    let confirm = match widen.filter(|w| !w.is_empty()) {
        Some(chosen) => {
            let to = view::parse_audience(chosen)?
                .ok_or_else(|| ApiError::field("visibility", "choose an audience"))?;
            let c = change(a, r, &to)?;
            (!c.gain.is_empty()).then(|| json!({"value": chosen, "who": names_of(a, &c.gain)}))
        }
        None => None,
    };
    let room_path = |rest: String| crate::ui::pages::room_path(a.room_id(), &rest);
    let path = room_path(format!(
        "/records/{}/{}",
        collection(r.kind),
        urlpart(r.id.clone())
    ));
    Ok(json!({
        "action": format!("{path}/visibility"),
        "cancel": match r.kind {
            Kind::Text => room_path(format!("/texts/{}", urlpart(r.id.clone()))),
            _ => path,
        },
        "kind": if r.kind == Kind::Text { "version" } else { r.kind.as_str() },
        "only_this": r.kind == Kind::Text,
        "audiences": view::audience_choices(a, &names, false),
        "choice": view::audience_choice(&r.visibility),
        "confirm": confirm,
    }))
}

// ------------------------------------------------------------------ API

async fn api_edit(
    State(state): State<AppState>,
    caller: Caller,
    P((room, coll, id)): P<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let kind = kind_of(&coll)?;
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let r = edit(&state, &a, kind, &id, &body).await?;
    Ok(Json(json!(out(&r))))
}

async fn api_withdraw(
    State(state): State<AppState>,
    caller: Caller,
    P((room, coll, id)): P<(String, String, String)>,
    JsonBody(input): JsonBody<WithdrawInput>,
) -> ApiResult<Json<Value>> {
    let kind = kind_of(&coll)?;
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let r = withdraw(&state, &a, kind, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

async fn api_history(
    State(state): State<AppState>,
    caller: Caller,
    P((room, coll, id)): P<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let kind = kind_of(&coll)?;
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    Ok(Json(history(&state, &a, kind, &id).await?))
}

async fn api_visibility(
    State(state): State<AppState>,
    caller: Caller,
    P((room, coll, id)): P<(String, String, String)>,
    JsonBody(input): JsonBody<VisibilityInput>,
) -> ApiResult<Json<Value>> {
    let kind = rescopable(&coll)?;
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let r = set_visibility(&state, &a, kind, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

// -------------------------------------------------------------- browser

/// The fields of a record as its kind's input spells them, for the edit
/// form to change a few and send the rest back as they were.
fn input_of(r: &Record) -> Value {
    let b = &r.body;
    let get = |f: &str| b.get(f).cloned().unwrap_or(Value::Null);
    let sub = |o: &str, f: &str| {
        b.get(o)
            .and_then(|x| x.get(f))
            .cloned()
            .unwrap_or(Value::Null)
    };
    match r.kind {
        Kind::Stance => json!({
            "party_id": get("party_id"),
            "target": {
                "issue_id": sub("target", "issue_id"),
                "text_id": sub("target", "text_id"),
                "point_id": sub("target", "point_id"),
            },
            "stance": get("stance"),
            "amendment": get("amendment"),
            "summary": get("summary"),
            "preferred_option_ids": b.get("preferred_option_ids").cloned().unwrap_or(json!([])),
            "ruled_out_option_ids": b.get("ruled_out_option_ids").cloned().unwrap_or(json!([])),
            "date": get("date"),
            "meeting_id": get("meeting_id"),
            "provenance": {
                "source": sub("provenance", "source"),
                "reliability": sub("provenance", "reliability"),
                "reported_on": sub("provenance", "reported_on"),
                "not_before": sub("provenance", "not_before"),
                "quote": sub("provenance", "quote"),
            },
        }),
        Kind::Meeting => json!({
            "title": get("title"),
            "date": get("date"),
            "not_before": get("not_before"),
            "place": get("place"),
            "participants": b.get("participants").and_then(Value::as_array).map(|ps| {
                ps.iter().filter_map(|p| p.get("party_id").cloned()).collect::<Vec<_>>()
            }).unwrap_or_default(),
            "duration": get("duration"),
            "confidentiality": get("confidentiality"),
            "outcome": b.get("reported_outcome").and_then(Value::as_array)
                .and_then(|o| o.first()).and_then(|o| o.get("summary")).cloned()
                .unwrap_or(Value::Null),
        }),
        Kind::Note => json!({"text": get("text")}),
        _ => json!({
            "title": get("title"),
            "content": get("content"),
            "text_id": get("text_id"),
            "meeting_id": get("meeting_id"),
        }),
    }
}

/// The fields each kind's edit form shows: (input path, label, multi-line).
fn form_fields(kind: Kind) -> &'static [(&'static str, &'static str, bool)] {
    match kind {
        Kind::Stance => &[
            ("stance", "Stance", false),
            ("summary", "Summary", false),
            ("amendment", "Proposed wording", true),
            ("provenance.source", "Source", false),
            ("provenance.reliability", "Reliability", false),
        ],
        Kind::Meeting => &[
            ("title", "Title", false),
            ("place", "Place", false),
            ("outcome", "Reported outcome", true),
        ],
        Kind::Note => &[("text", "Note", true)],
        _ => &[("title", "Title", false), ("content", "Content", true)],
    }
}

fn path_get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(v, |v, k| v.get(k).unwrap_or(&Value::Null))
}

fn path_set(v: &mut Value, path: &str, new: Value) {
    let mut cur = v;
    let mut parts = path.split('.').peekable();
    while let Some(k) = parts.next() {
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        if parts.peek().is_none() {
            obj.insert(k.to_string(), new);
            return;
        }
        cur = obj.entry(k.to_string()).or_insert_with(|| json!({}));
    }
}

async fn ui_record(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, coll, id)): P<(String, String, String)>,
) -> UiResult {
    let kind = kind_of(&coll)?;
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    record_page(&state, &caller, &a, kind, &id, None).await
}

/// The record's page: what it says now, its history, and the forms that
/// correct, withdraw or re-scope it for those who may. `widen` holds a
/// widening awaiting confirmation.
async fn record_page(
    state: &AppState,
    caller: &Caller,
    a: &RoomAccess,
    kind: Kind,
    id: &str,
    widen: Option<&str>,
) -> UiResult {
    let r = visible(a, kind, id)?;
    let names = a.room().party_names();
    let hist = history(state, a, kind, id).await?;
    let proposed: Option<Visibility> = widen
        .filter(|w| !w.is_empty())
        .and_then(|w| view::parse_audience(w).ok().flatten());
    let revisions: Vec<Value> = hist["revisions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|h| {
            let vis: Option<Visibility> = serde_json::from_value(h["visibility"].clone()).ok();
            // Who sees the record now but could not see this revision when
            // it was made: widening showed them wording written for fewer.
            let newly = vis
                .as_ref()
                .map(|v| not_then(a.room(), &r.visibility, v))
                .unwrap_or_default();
            // The same for the audience a widening awaiting confirmation
            // would give it.
            let widened = match (&proposed, &vis) {
                (Some(to), Some(v)) => !not_then(a.room(), to, v).is_empty(),
                _ => false,
            };
            let body = h["body"].as_object().cloned().unwrap_or_default();
            json!({
                "revision": h["revision"],
                "at": view::timestamp(h["at"].as_str().unwrap_or_default()),
                // Another party's writer is told by party: by its name.
                "actor": h["actor"].as_str().map(|w| names.get(w).copied().unwrap_or(w)),
                "action": action_label(h["action"].as_str().unwrap_or_default()),
                "audience": vis.map(|v| view::audience(&v, &names)),
                "narrower": (!newly.is_empty()).then(|| names_of(a, &newly)),
                "hidden_from_new": widened,
                "fields": readable(a, kind, &r.id, &body),
            })
        })
        .collect();
    let narrower = revisions
        .iter()
        .filter(|h| h["hidden_from_new"] == true)
        .count();
    let may_write = recorder(state, a, r).await?.as_deref() == Some(a.party_id())
        && !model::is_withdrawn(r)
        && (kind != Kind::Meeting || a.is_mediator());
    let input = input_of(r);
    let fields: Vec<Value> = form_fields(kind)
        .iter()
        .map(|(path, label, multi)| {
            let v = path_get(&input, path);
            // Closed lists are chosen by their labels, as when recording.
            let options = match *path {
                "stance" => view::stance_kinds(),
                "provenance.reliability" => view::reliabilities(),
                _ => Value::Null,
            };
            json!({
                "name": path, "label": label, "multi": multi,
                "value": v.as_str().unwrap_or_default(),
                "options": options,
            })
        })
        .collect();
    let title = record_title(a, r);
    let mut ctx: Map<String, Value> = chrome(state, caller, Some(a), "", &title).await?;
    ctx.insert(
        "record".into(),
        json!({
            "kind": kind.as_str(),
            "collection": collection(kind),
            "id": r.id,
            "audience": view::audience(&r.visibility, &names),
            "choice": view::audience_choice(&r.visibility),
            "title": record_title(a, r),
            "withdrawn": r.body.get("withdrawn"),
            "fields": readable(a, kind, &r.id, &r.body),
            "json": serde_json::to_string_pretty(&r.body).unwrap_or_default(),
        }),
    );
    ctx.insert("revisions".into(), json!(revisions));
    ctx.insert("may_write".into(), json!(may_write));
    ctx.insert("fields".into(), json!(fields));
    let mut rescope = rescope_form(a, r, widen)?;
    if let Some(form) = rescope.as_object_mut() {
        // A widening shows the history too: the confirmation says how much.
        form.insert(
            "history".into(),
            json!({"revisions": revisions.len(), "narrower": narrower}),
        );
    }
    ctx.insert("rescope".into(), rescope);
    Ok(ui::page(StatusCode::OK, "record.html", &Value::Object(ctx)))
}

/// The parties that see a record under `now` but could not under `then`.
fn not_then(room: &Room, now: &Visibility, then: &Visibility) -> Vec<String> {
    viewers(room)
        .into_iter()
        .filter(|(_, who)| who.can_see(now) && !who.can_see(then))
        .map(|(p, _)| p)
        .collect()
}

/// What a stance record (or one of its revisions) is about.
fn stance_target(r: &Record) -> StanceTarget {
    match TypedBody::of(r) {
        TypedBody::Stance(s) => s.target,
        _ => StanceTarget::default(),
    }
}

/// A record's name as its page heads it: a stance by its party and what it
/// is about, the others by their title (a note by its opening words).
fn record_title(a: &RoomAccess, r: &Record) -> String {
    let names = a.room().party_names();
    match r.kind {
        Kind::Stance => {
            let party = r.str("party_id").unwrap_or_default();
            let party = names.get(party).copied().unwrap_or(party);
            let target = view::target(a.room(), &stance_target(r), a.room_id());
            format!(
                "{party} on {}",
                target["label"].as_str().unwrap_or("the text")
            )
        }
        Kind::Note => {
            let text = r.str("text").unwrap_or_default();
            let first = text.lines().next().unwrap_or_default();
            let short: String = first.chars().take(60).collect();
            if short.is_empty() {
                "Note".to_string()
            } else if short.len() < text.len() {
                format!("Note: {short}…")
            } else {
                format!("Note: {short}")
            }
        }
        _ => r
            .str("title")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} {}", r.kind.as_str(), r.id)),
    }
}

/// What the history calls a write.
fn action_label(action: &str) -> String {
    let verb = action.rsplit('.').next().unwrap_or(action);
    match verb {
        "add" | "record" | "create" => "recorded".into(),
        "import" => "imported".into(),
        "edit" => "corrected".into(),
        "withdraw" => "withdrawn".into(),
        "narrow" => "narrowed who sees it".into(),
        "widen" => "widened who sees it".into(),
        other => other.replace('_', " "),
    }
}

/// An option's label, from whichever issue offers it.
fn option_label(room: &Room, id: &str) -> String {
    room.of(Kind::Issue)
        .filter_map(|i| i.body.get("options").and_then(Value::as_array))
        .flatten()
        .find(|o| o.get("id").and_then(Value::as_str) == Some(id))
        .and_then(|o| o.get("label").and_then(Value::as_str))
        .unwrap_or(id)
        .to_string()
}

/// A record body as labelled fields for reading: `{label, text}` for a
/// value, `{label, wording}` for wording shown with its line breaks,
/// `{label, text, href}` for a reference. A reference is a link only to a
/// record the viewer may see now (the room holds no other); one they may
/// not see is named as such, never by its id or title. Fields a case file
/// brought that no form knows are listed after, by their names.
fn readable(a: &RoomAccess, kind: Kind, id: &str, body: &Map<String, Value>) -> Vec<Value> {
    let room = a.room();
    let names = room.party_names();
    let base = format!("/rooms/{}", urlpart(a.room_id().to_string()));
    let s = |f: &str| {
        body.get(f)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let mut out: Vec<Value> = Vec::new();
    let mut used: Vec<&str> = vec!["id", "withdrawn", "kind"];
    // The revision parsed once, as the room parses its records.
    let typed = TypedBody::of(&Record {
        kind,
        id: id.to_string(),
        visibility: Visibility::Mediator,
        body: body.clone(),
    });
    let text = |out: &mut Vec<Value>, label: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            out.push(json!({"label": label, "text": v}));
        }
    };
    let wording = |out: &mut Vec<Value>, label: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            out.push(json!({"label": label, "wording": v}));
        }
    };
    let party = |p: &str| names.get(p).copied().unwrap_or(p).to_string();
    // A reference: a link to the record when the viewer may see it.
    let reference = |out: &mut Vec<Value>, kind: Kind, id: Option<&str>| {
        let Some(id) = id else { return };
        let (label, page, name, unseen) = match kind {
            Kind::Meeting => (
                "Meeting",
                "meetings#meeting-",
                "title",
                "a meeting you cannot see",
            ),
            _ => ("Version", "texts/", "label", "a version you cannot see"),
        };
        out.push(match room.get(kind, id) {
            Some(r) => json!({
                "label": label,
                "text": r.str(name).unwrap_or(&r.id),
                "href": format!("{base}/{page}{}", urlpart(r.id.clone())),
            }),
            None => json!({"label": label, "text": unseen}),
        });
    };
    match kind {
        Kind::Stance => {
            used.extend([
                "party_id",
                "target",
                "stance",
                "summary",
                "amendment",
                "date",
                "meeting_id",
                "provenance",
                "preferred_option_ids",
                "ruled_out_option_ids",
            ]);
            text(&mut out, "Party", s("party_id").map(party).as_deref());
            let stance = match &typed {
                TypedBody::Stance(st) => Some(st),
                _ => None,
            };
            let target = stance.map(|st| st.target.clone()).unwrap_or_default();
            let t = view::target(room, &target, a.room_id());
            let about = match t["context"].as_str().filter(|c| !c.is_empty()) {
                Some(c) => format!("{} ({c})", t["label"].as_str().unwrap_or_default()),
                None => t["label"].as_str().unwrap_or_default().to_string(),
            };
            out.push(json!({"label": "About", "text": about, "href": t["href"]}));
            if let Some(i) = t["issue"].as_str() {
                out.push(json!({"label": "Issue", "text": i}));
            }
            text(&mut out, "Stance", s("stance").map(view::stance_label));
            text(&mut out, "Summary", s("summary"));
            wording(&mut out, "Proposed wording", s("amendment"));
            for (field, label) in [
                ("preferred_option_ids", "Prefers"),
                ("ruled_out_option_ids", "Rules out"),
            ] {
                let opts: Vec<String> = body
                    .get(field)
                    .and_then(Value::as_array)
                    .map(|o| {
                        o.iter()
                            .filter_map(Value::as_str)
                            .map(|o| option_label(room, o))
                            .collect()
                    })
                    .unwrap_or_default();
                text(&mut out, label, Some(&opts.join(", ")));
            }
            let p = body.get("provenance");
            let not_before = p.and_then(|p| p.get("not_before")).and_then(Value::as_str);
            text(&mut out, "Date", Some(&view::when(s("date"), not_before)));
            reference(&mut out, Kind::Meeting, s("meeting_id"));
            let pv = view::provenance(stance.and_then(|st| st.provenance.as_ref()));
            text(&mut out, "Source", pv["source"].as_str());
            text(&mut out, "Reliability", pv["rel_label"].as_str());
            text(&mut out, "Quote", pv["quote"].as_str());
            text(&mut out, "Attribution", pv["attribution"].as_str());
        }
        Kind::Meeting => {
            used.extend([
                "title",
                "date",
                "not_before",
                "place",
                "participants",
                "duration",
                "confidentiality",
                "reported_outcome",
            ]);
            text(&mut out, "Title", s("title"));
            text(
                &mut out,
                "Date",
                Some(&view::when(s("date"), s("not_before"))),
            );
            text(&mut out, "Place", s("place"));
            text(
                &mut out,
                "Duration",
                s("duration").map(view::duration).as_deref(),
            );
            text(
                &mut out,
                "Confidentiality",
                s("confidentiality").map(crate::ui::pages::confidentiality_label),
            );
            let who: Vec<String> = body
                .get("participants")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| p.get("party_id").and_then(Value::as_str))
                        .map(party)
                        .collect()
                })
                .unwrap_or_default();
            text(&mut out, "Participants", Some(&who.join(", ")));
            let outcome = match &typed {
                TypedBody::Meeting(m) => m.reported_outcome.as_slice(),
                _ => &[],
            };
            for c in view::claims(outcome) {
                wording(&mut out, "Reported outcome", c["summary"].as_str());
            }
        }
        Kind::Note => {
            used.extend(["text", "author"]);
            wording(&mut out, "Note", s("text"));
            text(&mut out, "Written by", s("author"));
        }
        _ => {
            used.extend(["title", "content", "text_id", "meeting_id"]);
            text(&mut out, "Title", s("title"));
            wording(&mut out, "Content", s("content"));
            reference(&mut out, Kind::Text, s("text_id"));
            reference(&mut out, Kind::Meeting, s("meeting_id"));
        }
    }
    for (k, v) in body {
        if used.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        let label = {
            let l = k.replace('_', " ");
            let mut c = l.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        };
        match v {
            Value::String(t) => wording(&mut out, &label, Some(t)),
            Value::Array(items) if items.iter().all(Value::is_string) => {
                let items: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                text(&mut out, &label, Some(&items.join(", ")));
            }
            Value::Array(items) if items.is_empty() => {}
            Value::Object(o) if o.is_empty() => {}
            other => text(&mut out, &label, Some(&other.to_string())),
        }
    }
    out
}

async fn ui_action(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, coll, id, action)): P<(String, String, String, String)>,
    body: Bytes,
) -> UiResult {
    let kind = match action.as_str() {
        "visibility" => rescopable(&coll)?,
        _ => kind_of(&coll)?,
    };
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    match action.as_str() {
        "edit" => {
            let old = visible(&a, kind, &id)?;
            let mut input = input_of(old);
            for (path, _, multi) in form_fields(kind) {
                let v = if *multi {
                    pactum_workspace::drafting::normalize_breaks(form.raw(path))
                } else {
                    form.get(path).to_string()
                };
                let v = if v.is_empty() && !matches!(*path, "summary" | "title" | "text") {
                    Value::Null
                } else {
                    Value::String(v)
                };
                path_set(&mut input, path, v);
            }
            let bytes = serde_json::to_vec(&input).map_err(ApiError::internal)?;
            edit(&state, &a, kind, &id, &bytes).await?;
        }
        "withdraw" => {
            let reason = form.get("reason").to_string();
            withdraw(&state, &a, kind, &id, WithdrawInput { reason }).await?;
        }
        "visibility" => {
            let chosen = form.get("visibility").to_string();
            let to = view::parse_audience(&chosen)?
                .ok_or_else(|| ApiError::field("visibility", "choose an audience"))?;
            let old = visible(&a, kind, &id)?;
            let c = change(&a, old, &to)?;
            if !c.gain.is_empty() && form.get("confirm") != "yes" {
                // The second page: say who would start seeing it.
                if kind == Kind::Text {
                    return Ok(Redirect::to(&format!(
                        "/rooms/{}/texts/{}?widen={}#confirm-widen",
                        urlpart(room),
                        urlpart(id),
                        urlpart(chosen)
                    ))
                    .into_response());
                }
                return record_page(&state, &caller, &a, kind, &id, Some(chosen.as_str())).await;
            }
            set_visibility(
                &state,
                &a,
                kind,
                &id,
                VisibilityInput {
                    visibility: to,
                    confirm: true,
                },
            )
            .await?;
        }
        _ => return Err(ApiError::not_found().into()),
    }
    if kind == Kind::Text {
        return Ok(Redirect::to(&format!(
            "/rooms/{}/texts/{}?done=rescoped",
            urlpart(room),
            urlpart(id)
        ))
        .into_response());
    }
    Ok(Redirect::to(&format!(
        "/rooms/{}/records/{}/{}",
        urlpart(room),
        collection(kind),
        urlpart(id)
    ))
    .into_response())
}
