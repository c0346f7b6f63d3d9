//! Setting up a room: an operator creates it and appoints its mediating
//! party; from then on the mediator runs it (details, parties, issues and
//! their options). Both the JSON API and the browser pages are here, over
//! one set of operations ([`change`], [`create_room`], [`setup_view`]).
//!
//! An operator who is not a member of a room sees only its set-up facts
//! (title, parties, whether a mediator is appointed), never its content:
//! every content route goes through [`RoomAccess::load`], which the
//! operator's missing membership answers with a 404. The checks and record
//! shapes are `pactum_workspace::setup`'s.

use crate::access::operator::OperatorAccess;
use crate::access::{MediatorAccess, RoomAccess};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{list_of, one_by_id, JsonBody, P};
use crate::ui::{chrome, page, urlpart, FormData, Session, UiError, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use pactum_store::RoomRow;
use pactum_workspace::model::{Kind, PartyKind, Record, Room};
use pactum_workspace::setup::{
    self, is_retired, IssueEdit, IssueInput, MoveInput, OptionEdit, OptionInput, PartyEdit,
    PartyInput, RoomDetailsInput, RoomInput, SetupError,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The set-up routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/rooms", post(api_create_room))
        .route("/api/rooms/{room}", put(api_details))
        .route("/api/rooms/{room}/setup", get(api_setup))
        .route(
            "/api/rooms/{room}/parties",
            list_of(Kind::Party).post(api_add_party),
        )
        .route(
            "/api/rooms/{room}/parties/{id}",
            one_by_id(Kind::Party).put(api_edit_party),
        )
        .route(
            "/api/rooms/{room}/issues",
            list_of(Kind::Issue).post(api_add_issue),
        )
        .route(
            "/api/rooms/{room}/issues/{id}",
            one_by_id(Kind::Issue).put(api_edit_issue),
        )
        .route("/api/rooms/{room}/issues/{id}/move", post(api_move_issue))
        .route(
            "/api/rooms/{room}/issues/{id}/retire",
            post(api_retire_issue),
        )
        .route(
            "/api/rooms/{room}/issues/{id}/options",
            post(api_add_option),
        )
        .route(
            "/api/rooms/{room}/issues/{id}/options/{option}",
            put(api_edit_option),
        )
        .route(
            "/api/rooms/{room}/issues/{id}/options/{option}/move",
            post(api_move_option),
        )
        .route(
            "/api/rooms/{room}/issues/{id}/options/{option}/retire",
            post(api_retire_option),
        )
        .route("/rooms/new", get(new_room_page).post(new_room_form))
        .route("/rooms/{room}/setup", get(setup_page).post(setup_form))
}

// ------------------------------------------------------------ operations

/// What a set-up change asks for.
#[derive(Debug)]
pub enum Change {
    /// New title, description or disclaimer.
    Details(RoomDetailsInput),
    /// A new party, mediator or observer.
    AddParty(PartyInput),
    /// A party's new name or description.
    EditParty(String, PartyEdit),
    /// A new issue with its options.
    AddIssue(IssueInput),
    /// An issue's new title or description.
    EditIssue(String, IssueEdit),
    /// An issue's new place.
    MoveIssue(String, MoveInput),
    /// Retiring an issue.
    RetireIssue(String),
    /// A new option of an issue.
    AddOption(String, OptionInput),
    /// An option's new label.
    EditOption(String, String, OptionEdit),
    /// An option's new place.
    MoveOption(String, String, MoveInput),
    /// Retiring an option.
    RetireOption(String, String),
}

impl Change {
    fn action(&self) -> &'static str {
        match self {
            Change::Details(_) => "room.details",
            Change::AddParty(_) => "party.create",
            Change::EditParty(..) => "party.edit",
            Change::AddIssue(_) => "issue.create",
            Change::EditIssue(..) => "issue.edit",
            Change::MoveIssue(..) => "issue.move",
            Change::RetireIssue(_) => "issue.retire",
            Change::AddOption(..) => "option.create",
            Change::EditOption(..) => "option.edit",
            Change::MoveOption(..) => "option.move",
            Change::RetireOption(..) => "option.retire",
        }
    }
}

/// A refused set-up change as the API answers it: a conflict (duplicate
/// id, second mediator, something still named) is a 409 that names the
/// field like a 422 does.
fn setup_error(e: SetupError) -> ApiError {
    match e {
        SetupError::Invalid(e) => e.into(),
        SetupError::Conflict(e) => ApiError {
            status: StatusCode::CONFLICT,
            ..ApiError::field(e.field, e.message)
        },
        SetupError::NotFound => ApiError::not_found(),
    }
}

/// Who is changing a room's set-up, and what of the room they work from.
enum Setter {
    /// A delegate of the mediating party: runs the room.
    Mediator(Box<RoomAccess>),
    /// An operator not seated as the mediator: appoints the mediating
    /// party. Holds the room's parties only (with their revisions).
    Operator {
        op: OperatorAccess,
        room: RoomRow,
        parties: Vec<(Record, i64)>,
    },
}

/// Decides who the caller is for the room's set-up: its mediator, an
/// operator, or nobody (404 for a room the caller has no part in, 403 for
/// a member who is not the mediator).
async fn setter(state: &AppState, caller: &Caller, room: &str) -> ApiResult<Setter> {
    let not_mediator = match RoomAccess::load(state, &caller.user, room).await {
        Ok(a) if a.is_mediator() => return Ok(Setter::Mediator(Box::new(a))),
        Ok(_) => ApiError::forbidden("only the mediator sets up the room"),
        Err(e) if e.status == StatusCode::NOT_FOUND => e,
        Err(e) => return Err(e),
    };
    let Some(op) = OperatorAccess::of(state, caller).await? else {
        return Err(not_mediator);
    };
    let row = op
        .room(state, room)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let parties = op.parties(state, room).await?;
    Ok(Setter::Operator {
        op,
        room: row,
        parties,
    })
}

/// Applies a set-up change; returns the records written. Every write is
/// checked against the revision it was computed from and audited, and a
/// change that writes several records (a move) writes them in one
/// transaction.
pub async fn change(
    state: &AppState,
    caller: &Caller,
    room: &str,
    change: Change,
) -> ApiResult<Vec<Record>> {
    let action = change.action();
    match setter(state, caller, room).await? {
        Setter::Mediator(a) => mediator_change(state, &a.mediator()?, change, action).await,
        Setter::Operator { op, room, parties } => {
            operator_change(state, &op, &room.id, parties, change, action).await
        }
    }
}

async fn mediator_change(
    state: &AppState,
    a: &MediatorAccess<'_>,
    change: Change,
    action: &str,
) -> ApiResult<Vec<Record>> {
    let r = a.room();
    let records = match change {
        Change::Details(input) => {
            let meta = r.of(Kind::Meta).next();
            let (title, record) = input.apply(a.room_id(), a.title(), meta)?;
            a.rename(state, &title, &record, action).await?;
            return Ok(vec![record]);
        }
        Change::AddParty(input) => vec![setup::add_party(r, input)],
        Change::EditParty(id, edit) => vec![setup::edit_party(r, &id, edit)],
        Change::AddIssue(input) => vec![setup::add_issue(r, input)],
        Change::EditIssue(id, edit) => vec![setup::edit_issue(r, &id, edit)],
        Change::MoveIssue(id, to) => match setup::move_issue(r, &id, to) {
            Ok(list) => list.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        },
        Change::RetireIssue(id) => vec![setup::retire_issue(r, &id)],
        Change::AddOption(issue, input) => vec![setup::add_option(r, &issue, input)],
        Change::EditOption(issue, option, edit) => {
            vec![setup::edit_option(r, &issue, &option, edit)]
        }
        Change::MoveOption(issue, option, to) => {
            vec![setup::move_option(r, &issue, &option, to)]
        }
        Change::RetireOption(issue, option) => vec![setup::retire_option(r, &issue, &option)],
    }
    .into_iter()
    .collect::<Result<Vec<Record>, SetupError>>()
    .map_err(setup_error)?;
    if !records.is_empty() {
        let writes: Vec<(&Record, &str)> = records.iter().map(|r| (r, action)).collect();
        a.write_set(state, &writes).await?;
    }
    Ok(records)
}

/// An operator's change: appointing the mediating party, or renaming it.
async fn operator_change(
    state: &AppState,
    op: &OperatorAccess,
    room_id: &str,
    parties: Vec<(Record, i64)>,
    change: Change,
    action: &str,
) -> ApiResult<Vec<Record>> {
    let room = Room::new(parties.iter().map(|(r, _)| r.clone()).collect());
    let refuse = || {
        ApiError::forbidden(
            "an operator appoints the room's mediating party; the mediator sets up the rest",
        )
    };
    let record = match change {
        Change::AddParty(input) if input.kind == PartyKind::Mediator => {
            setup::add_party(&room, input)
        }
        Change::EditParty(id, edit)
            if room
                .get(Kind::Party, &id)
                .is_some_and(|p| PartyKind::of(p) == PartyKind::Mediator) =>
        {
            setup::edit_party(&room, &id, edit)
        }
        _ => return Err(refuse()),
    }
    .map_err(setup_error)?;
    let expected_revision = parties
        .iter()
        .find(|(r, _)| r.kind == record.kind && r.id == record.id)
        .map(|(_, rev)| *rev);
    op.write_party(state, room_id, &record, expected_revision, action)
        .await?;
    Ok(vec![record])
}

/// Room ids that would shadow a page of the UI.
const RESERVED_ROOM_IDS: [&str; 1] = ["new"];

/// Creates an empty room with its `meta` record, in one transaction
/// (operators only).
pub async fn create_room(state: &AppState, caller: &Caller, input: RoomInput) -> ApiResult<Value> {
    let op = crate::people::require_operator(state, caller).await?;
    let id = input.id.clone();
    if RESERVED_ROOM_IDS.contains(&id.as_str()) {
        return Err(ApiError::field(
            "id",
            format!("{id:?} is reserved (it names a page); choose another id"),
        ));
    }
    let meta = input.into_meta()?;
    let title = meta.str("title").unwrap_or(&id).to_string();
    let exists = || {
        setup_error(SetupError::Conflict(
            pactum_workspace::model::FieldError::new(
                "id",
                format!("a room with id {id:?} exists already"),
            ),
        ))
    };
    if op.room(state, &id).await?.is_some() {
        return Err(exists());
    }
    let row = RoomRow {
        id: id.clone(),
        title,
        created_at: crate::now(),
    };
    let result = op.create_room(state, &row, &meta).await;
    match result {
        Ok(()) => {}
        Err(pactum_store::StoreError::Conflict { .. }) => return Err(exists()),
        Err(e) => return Err(e.into()),
    }
    setup_view(state, caller, &id).await
}

/// What the set-up pages and `GET /api/rooms/{room}/setup` show. The
/// mediator sees the room's details, parties and issues (retired ones
/// marked); an operator who is not the mediator sees only the set-up facts:
/// title, parties, and whether a mediator is appointed.
pub async fn setup_view(state: &AppState, caller: &Caller, room: &str) -> ApiResult<Value> {
    let party = |p: &Record| {
        json!({
            "id": p.id,
            "name": p.str("name").unwrap_or(&p.id),
            "kind": p.str("kind"),
            "description": p.str("description"),
        })
    };
    match setter(state, caller, room).await? {
        Setter::Operator { room, parties, .. } => {
            let mediator = parties
                .iter()
                .find(|(p, _)| PartyKind::of(p) == PartyKind::Mediator)
                .map(|(p, _)| p.id.clone());
            Ok(json!({
                "id": room.id,
                "title": room.title,
                "role": "operator",
                "mediator": mediator,
                "parties": parties.iter().map(|(p, _)| party(p)).collect::<Vec<_>>(),
            }))
        }
        Setter::Mediator(a) => {
            let meta = a.room().of(Kind::Meta).next();
            let shown = a
                .room()
                .records()
                .iter()
                .filter(|r| matches!(r.kind, Kind::Meta | Kind::Party | Kind::Issue));
            a.audit_reads(state, "read", shown).await?;
            let issues: Vec<Value> = a
                .room()
                .of(Kind::Issue)
                .map(|i| {
                    let options: Vec<Value> = i
                        .body
                        .get("options")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_object)
                        .map(|o| {
                            let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
                            json!({
                                "id": id,
                                "label": o.get("label").and_then(Value::as_str).unwrap_or(id),
                                "retired": is_retired(o),
                            })
                        })
                        .collect();
                    json!({
                        "id": i.id,
                        "title": i.str("title").unwrap_or(&i.id),
                        "description": i.str("description"),
                        "retired": is_retired(&i.body),
                        "options": options,
                    })
                })
                .collect();
            Ok(json!({
                "id": a.room_id(),
                "title": a.title(),
                "role": "mediator",
                "description": meta.and_then(|m| m.str("description")),
                "disclaimer": meta.and_then(|m| m.str("disclaimer")),
                "mediator": a.room().mediator(),
                "parties": a.room().of(Kind::Party).map(party).collect::<Vec<_>>(),
                "issues": issues,
            }))
        }
    }
}

/// Every room with its set-up facts, for an operator; `None` for anyone
/// else.
pub async fn operator_rooms(state: &AppState, caller: &Caller) -> ApiResult<Option<Vec<Value>>> {
    let Some(op) = OperatorAccess::of(state, caller).await? else {
        return Ok(None);
    };
    let rooms = op.rooms(state).await?;
    Ok(Some(
        rooms
            .into_iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "title": r.title,
                    "created_at": r.created_at,
                    "mediator": r.mediator,
                    "mediator_name": r.mediator_name,
                    "parties": r.parties,
                    "seat": r.seat,
                })
            })
            .collect(),
    ))
}

// ------------------------------------------------------------------- API

fn created(records: Vec<Record>) -> ApiResult<Response> {
    let r = records.into_iter().next().ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(json!(crate::json::out(&r)))).into_response())
}

fn changed(records: Vec<Record>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(records
        .iter()
        .map(crate::json::out)
        .collect::<Vec<_>>())))
}

fn one(records: Vec<Record>) -> ApiResult<Json<Value>> {
    let r = records.into_iter().next().ok_or_else(ApiError::not_found)?;
    Ok(Json(json!(crate::json::out(&r))))
}

async fn api_create_room(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<RoomInput>,
) -> ApiResult<Response> {
    let v = create_room(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn api_setup(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(setup_view(&state, &caller, &room).await?))
}

async fn api_details(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<RoomDetailsInput>,
) -> ApiResult<Json<Value>> {
    change(&state, &caller, &room, Change::Details(input)).await?;
    Ok(Json(setup_view(&state, &caller, &room).await?))
}

async fn api_add_party(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<PartyInput>,
) -> ApiResult<Response> {
    created(change(&state, &caller, &room, Change::AddParty(input)).await?)
}

async fn api_edit_party(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<PartyEdit>,
) -> ApiResult<Json<Value>> {
    one(change(&state, &caller, &room, Change::EditParty(id, input)).await?)
}

async fn api_add_issue(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<IssueInput>,
) -> ApiResult<Response> {
    created(change(&state, &caller, &room, Change::AddIssue(input)).await?)
}

async fn api_edit_issue(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<IssueEdit>,
) -> ApiResult<Json<Value>> {
    one(change(&state, &caller, &room, Change::EditIssue(id, input)).await?)
}

async fn api_move_issue(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<MoveInput>,
) -> ApiResult<Json<Value>> {
    changed(change(&state, &caller, &room, Change::MoveIssue(id, input)).await?)
}

async fn api_retire_issue(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
) -> ApiResult<Json<Value>> {
    one(change(&state, &caller, &room, Change::RetireIssue(id)).await?)
}

async fn api_add_option(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<OptionInput>,
) -> ApiResult<Response> {
    created(change(&state, &caller, &room, Change::AddOption(id, input)).await?)
}

async fn api_edit_option(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id, option)): P<(String, String, String)>,
    JsonBody(input): JsonBody<OptionEdit>,
) -> ApiResult<Json<Value>> {
    one(change(
        &state,
        &caller,
        &room,
        Change::EditOption(id, option, input),
    )
    .await?)
}

async fn api_move_option(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id, option)): P<(String, String, String)>,
    JsonBody(input): JsonBody<MoveInput>,
) -> ApiResult<Json<Value>> {
    one(change(
        &state,
        &caller,
        &room,
        Change::MoveOption(id, option, input),
    )
    .await?)
}

async fn api_retire_option(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id, option)): P<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    one(change(&state, &caller, &room, Change::RetireOption(id, option)).await?)
}

// -------------------------------------------------------------------- UI

/// An id made from a name, for forms that leave the id blank: lowercase
/// ASCII letters and digits, everything else one `_`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The id a form gave, or one made from its name.
fn id_or_slug(f: &FormData, id: &str, name: &str) -> String {
    f.opt(id).unwrap_or_else(|| slug(f.get(name)))
}

fn room_path(room: &str) -> String {
    format!("/rooms/{}/setup", urlpart(room.to_string()))
}

/// The confirmation a set-up form's redirect carries.
fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "room" => "Room created. Appoint its mediator below.",
        "appoint" => "Mediator appointed. Invite the mediator's delegates next.",
        "details" => "Room details saved.",
        "add_party" => "Party added.",
        "edit_party" => "Party renamed.",
        "add_issue" => "Issue added.",
        "edit_issue" => "Issue saved.",
        "move_issue" | "move_option" => "Order saved.",
        "retire_issue" => "Issue retired. Records that name it keep it, marked retired.",
        "add_option" => "Option added.",
        "edit_option" => "Option renamed.",
        "retire_option" => "Option retired. Records that name it keep it, marked retired.",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// The words a form error uses for a field.
fn field_label(field: &str) -> String {
    let last = field.rsplit('.').next().unwrap_or(field);
    match last {
        "id" => "Id",
        "title" => "Title",
        "name" => "Name",
        "kind" => "Kind",
        "label" => "Label",
        "description" => "Description",
        "disclaimer" => "Disclaimer",
        "to" => "Position",
        "issue" => "Issue",
        _ if field.starts_with("options") => "Options",
        _ => "",
    }
    .to_string()
}

/// A refused form: which form, the error, what was typed.
struct Refused {
    form: String,
    error: ApiError,
    values: Map<String, Value>,
}

impl Refused {
    fn json(&self) -> Value {
        let field = self.error.field.clone().unwrap_or_default();
        let message = match &self.error.field {
            Some(f) => self
                .error
                .message
                .strip_prefix(&format!("{f}: "))
                .unwrap_or(&self.error.message)
                .to_string(),
            None => self.error.message.clone(),
        };
        json!({
            "form": self.form,
            "field": field,
            "label": field_label(&field),
            "message": message,
            "values": self.values,
        })
    }
}

async fn new_room_page(State(state): State<AppState>, Session(caller): Session) -> UiResult {
    new_room_view(&state, &caller, None).await
}

async fn new_room_view(state: &AppState, caller: &Caller, refused: Option<Refused>) -> UiResult {
    OperatorAccess::page(state, caller).await?;
    let mut ctx = chrome(state, caller, None, "rooms", "New room").await?;
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.error.status);
    ctx.insert(
        "error".into(),
        refused.as_ref().map_or(Value::Null, Refused::json),
    );
    Ok(page(status, "new_room.html", &Value::Object(ctx)))
}

async fn new_room_form(
    State(state): State<AppState>,
    Session(caller): Session,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    let input = RoomInput {
        id: id_or_slug(&form, "id", "title"),
        title: form.get("title").to_string(),
        description: form.opt("description"),
        disclaimer: form.opt("disclaimer"),
        extra: Map::new(),
    };
    let id = input.id.clone();
    match create_room(&state, &caller, input).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?done=room", room_path(&id))).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            let refused = Refused {
                form: "room".into(),
                error: e,
                values: form.values(),
            };
            new_room_view(&state, &caller, Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn setup_page(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    setup_view_page(&state, &caller, &room, None, q.done.as_deref()).await
}

async fn setup_view_page(
    state: &AppState,
    caller: &Caller,
    room: &str,
    refused: Option<Refused>,
    done: Option<&str>,
) -> UiResult {
    let view = setup_view(state, caller, room).await?;
    // The mediator's pages carry the room's navigation; an operator's page
    // is outside the room, so it has none.
    let access = match view["role"].as_str() {
        Some("mediator") => Some(RoomAccess::load(state, &caller.user, room).await?),
        _ => None,
    };
    let mut ctx = chrome(state, caller, access.as_ref(), "setup", "Room set-up").await?;
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.error.status);
    ctx.insert("setup".into(), view);
    ctx.insert("setup_url".into(), room_path(room).into());
    ctx.insert(
        "error".into(),
        refused.as_ref().map_or(Value::Null, Refused::json),
    );
    if let Some(d) = done.and_then(done_message) {
        ctx.insert("done".into(), d.into());
    }
    Ok(page(status, "room_setup.html", &Value::Object(ctx)))
}

/// An index from a form, or the error naming it.
fn index(f: &FormData, name: &str) -> Result<usize, ApiError> {
    f.get(name)
        .parse()
        .map_err(|_| ApiError::field(name, "expected a position (0, 1, 2, ...)"))
}

/// The issue-adding form's options: one per line, `id | label` or just
/// the label (its id is then made from it, or numbered).
fn option_lines(issue: &str, text: &str) -> Vec<OptionInput> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(n, line)| {
            let (id, label) = match line.split_once('|') {
                Some((id, label)) => (id.trim().to_string(), label.trim().to_string()),
                None => {
                    let s = slug(line);
                    let id = if s.is_empty() {
                        format!("o{}", n + 1)
                    } else {
                        s
                    };
                    (format!("{issue}.{id}"), line.to_string())
                }
            };
            OptionInput {
                id,
                label,
                extra: Map::new(),
            }
        })
        .collect()
}

/// Reads a set-up form into the change it asks for, and the name of the
/// form on the page (for re-showing an error beside it).
fn change_of(f: &FormData) -> Result<(String, Change), ApiError> {
    let issue = || f.get("issue").to_string();
    let option = || f.get("option").to_string();
    let opt_text = |name: &str| Some(f.get(name).to_string());
    Ok(match f.get("action") {
        "details" => (
            "details".into(),
            Change::Details(RoomDetailsInput {
                title: opt_text("title"),
                description: opt_text("description"),
                disclaimer: opt_text("disclaimer"),
            }),
        ),
        "add_party" => {
            let kind: PartyKind = serde_json::from_value(Value::String(f.get("kind").into()))
                .map_err(|_| ApiError::field("kind", "expected mediator, party or observer"))?;
            (
                "add_party".into(),
                Change::AddParty(PartyInput {
                    id: id_or_slug(f, "id", "name"),
                    name: f.get("name").to_string(),
                    kind,
                    description: f.opt("description"),
                    extra: Map::new(),
                }),
            )
        }
        "edit_party" => (
            format!("party:{}", f.get("party")),
            Change::EditParty(
                f.get("party").to_string(),
                PartyEdit {
                    name: opt_text("name"),
                    description: None,
                },
            ),
        ),
        "add_issue" => {
            let id = id_or_slug(f, "id", "title");
            (
                "add_issue".into(),
                Change::AddIssue(IssueInput {
                    options: option_lines(&id, f.get("options")),
                    id,
                    title: f.get("title").to_string(),
                    description: f.opt("description"),
                    extra: Map::new(),
                }),
            )
        }
        "edit_issue" => (
            format!("issue:{}", issue()),
            Change::EditIssue(
                issue(),
                IssueEdit {
                    title: opt_text("title"),
                    description: opt_text("description"),
                },
            ),
        ),
        "move_issue" => (
            format!("issue:{}", issue()),
            Change::MoveIssue(
                issue(),
                MoveInput {
                    to: index(f, "to")?,
                },
            ),
        ),
        "retire_issue" => (format!("issue:{}", issue()), Change::RetireIssue(issue())),
        "add_option" => {
            let label = f.get("label").to_string();
            let id = f
                .opt("id")
                .unwrap_or_else(|| format!("{}.{}", issue(), slug(&label)));
            (
                format!("add_option:{}", issue()),
                Change::AddOption(
                    issue(),
                    OptionInput {
                        id,
                        label,
                        extra: Map::new(),
                    },
                ),
            )
        }
        "edit_option" => (
            format!("option:{}:{}", issue(), option()),
            Change::EditOption(
                issue(),
                option(),
                OptionEdit {
                    label: f.get("label").to_string(),
                },
            ),
        ),
        "move_option" => (
            format!("option:{}:{}", issue(), option()),
            Change::MoveOption(
                issue(),
                option(),
                MoveInput {
                    to: index(f, "to")?,
                },
            ),
        ),
        "retire_option" => (
            format!("option:{}:{}", issue(), option()),
            Change::RetireOption(issue(), option()),
        ),
        other => {
            return Err(ApiError::field(
                "action",
                format!("unknown set-up action {other:?}"),
            ))
        }
    })
}

/// Where the page scrolls back to after a form.
fn anchor(form: &str) -> String {
    let target = if form == "add_party" || form.starts_with("party:") {
        "parties".to_string()
    } else if form == "add_issue" {
        "issues".to_string()
    } else if let Some(id) = form
        .strip_prefix("issue:")
        .or_else(|| form.strip_prefix("add_option:"))
    {
        format!("issue-{id}")
    } else if let Some(rest) = form.strip_prefix("option:") {
        format!("issue-{}", rest.split(':').next().unwrap_or_default())
    } else {
        "details".to_string()
    };
    format!("#{}", urlpart(target))
}

async fn setup_form(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    // Appointing the mediator is adding a party, but says so.
    let action = match (form.get("action"), form.get("kind")) {
        ("add_party", "mediator") => "appoint".to_string(),
        (a, _) => a.to_string(),
    };
    let (name, result) = match change_of(&form) {
        Ok((name, c)) => (name, change(&state, &caller, &room, c).await),
        Err(e) => ("details".to_string(), Err(e)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}?done={}{}",
            room_path(&room),
            urlpart(action),
            anchor(&name)
        ))
        .into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::NOT_FOUND
                && e.status != StatusCode::FORBIDDEN =>
        {
            let refused = Refused {
                form: name,
                error: e,
                values: form.values(),
            };
            setup_view_page(&state, &caller, &room, Some(refused), None).await
        }
        Err(e) => Err(UiError(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ids() {
        assert_eq!(slug("United States"), "united_states");
        assert_eq!(slug("  Zone de sécurité  "), "zone_de_s_curit");
        assert_eq!(slug("ÉÉÉ"), "");
        assert!(pactum_workspace::case::valid_room_id(&slug(
            "A very long title that goes on and on and on, past forty characters"
        )));
    }

    #[test]
    fn option_lines_take_ids_or_make_them() {
        let o = option_lines("tax", "low | A low rate\n\n High rate \n€€");
        let pairs: Vec<(&str, &str)> = o
            .iter()
            .map(|o| (o.id.as_str(), o.label.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("low", "A low rate"),
                ("tax.high_rate", "High rate"),
                ("tax.o3", "€€")
            ]
        );
    }
}
