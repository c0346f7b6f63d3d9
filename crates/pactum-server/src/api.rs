//! The JSON API under `/api`, described by `openapi.json`.

use crate::access::RoomAccess;
use crate::auth::{self, Caller};
use crate::deliberation;
use crate::error::{ApiError, ApiResult};
use crate::ops::{self, PublishInput, StanceFilter};
use crate::pagination::PageQuery;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use pactum_workspace::model::{
    DocumentInput, DraftInput, Kind, MeetingInput, NoteInput, Record, StanceInput,
};
use pactum_workspace::preference::PreferenceInput;
use pactum_workspace::session::{ProposalInput, SessionInput, VoteInput};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The OpenAPI document, kept beside the code it describes.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// A JSON body whose errors name the field (`provenance.reliability: unknown
/// variant ...`) or the line and column of a syntax error.
///
/// Only a body labelled `application/json` is read; any other content type,
/// or none, is answered 415. A browser can send a form-encoded or plain-text
/// body to another site without asking anyone, but not a JSON one, so this
/// keeps the API's writes out of reach of cross-site forms whatever else
/// checks them.
pub struct JsonBody<T>(pub T);

/// The one content type the API's bodies may have.
pub const JSON: &str = "application/json";

/// Refuses a request whose body is not labelled JSON.
fn require_json(headers: &axum::http::HeaderMap) -> ApiResult<()> {
    let given = headers
        .get(axum::http::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let essence = given
        .as_deref()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if essence.as_deref() == Some(JSON) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        match given {
            Some(v) => format!("expected Content-Type: {JSON}, got {v:?}"),
            None => format!("expected Content-Type: {JSON}, got none"),
        },
    ))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json(req.headers())?;
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Query parameters whose errors answer in JSON, naming the parameter.
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Q)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("query string: {e}")))
    }
}

/// Path parameters whose errors answer in JSON.
pub struct P<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| P(t))
            .map_err(|_| ApiError::not_found())
    }
}

/// Parses a request body, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "malformed JSON at line {}, column {}: {inner}",
                    inner.line(),
                    inner.column()
                ),
            )
        } else {
            // A missing field is named itself, not by the object lacking it.
            let message = inner.to_string();
            let missing = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next());
            let root = path == "." || path.is_empty();
            match (missing, root) {
                (Some(f), true) => ApiError::field(f, message.clone()),
                (Some(f), false) => ApiError::field(format!("{path}.{f}"), message.clone()),
                (None, true) => ApiError::field("body", message),
                (None, false) => ApiError::field(path, message),
            }
        }
    })
}

/// A record as the API shows it.
#[derive(Serialize)]
pub struct RecordOut<'a> {
    /// Kind.
    pub kind: Kind,
    /// Id.
    pub id: &'a str,
    /// Audience.
    pub visibility: &'a pactum_workspace::Visibility,
    /// The record.
    pub body: &'a serde_json::Map<String, Value>,
}

/// The API view of a record.
pub fn out(r: &Record) -> RecordOut<'_> {
    RecordOut {
        kind: r.kind,
        id: &r.id,
        visibility: &r.visibility,
        body: &r.body,
    }
}

/// A computed view (timeline, diff, matrix, analysis) as the answer.
fn view(v: impl Serialize) -> ApiResult<Json<Value>> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(ApiError::internal)
}

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/login", post(login))
        .route("/api/me", get(me))
        .route("/api/rooms", get(rooms))
        .route("/api/rooms/{room}", get(room))
        .route("/api/rooms/{room}/timeline", get(timeline))
        .route("/api/rooms/{room}/export", get(export))
        .route("/api/rooms/{room}/audit", get(audit))
        .route("/api/rooms/{room}/diff", get(diff))
        .route("/api/rooms/{room}/stances", get(stances).post(add_stance))
        .route(
            "/api/rooms/{room}/texts",
            list_of(Kind::Text).post(add_draft),
        )
        .route(
            "/api/rooms/{room}/texts/{id}",
            one_by_id(Kind::Text).put(edit_draft),
        )
        .route("/api/rooms/{room}/texts/{id}/publish", post(publish))
        .route("/api/rooms/{room}/texts/{id}/matrix", get(matrix))
        .route(
            "/api/rooms/{room}/meetings",
            list_of(Kind::Meeting).post(add_meeting),
        )
        .route(
            "/api/rooms/{room}/documents",
            list_of(Kind::Document).post(add_document),
        )
        .route(
            "/api/rooms/{room}/notes",
            list_of(Kind::Note).post(add_note),
        )
        .route(
            "/api/rooms/{room}/preferences/{party}",
            one_by_id(Kind::Preference)
                .put(put_preference)
                .delete(delete_preference),
        )
        .route(
            "/api/rooms/{room}/preferences/{party}/genius",
            post(put_genius),
        )
        .route("/api/rooms/{room}/analysis", get(analysis))
        .route(
            "/api/rooms/{room}/settings",
            axum::routing::put(put_settings),
        )
        .route(
            "/api/rooms/{room}/sessions",
            list_of(Kind::Session).post(open_session),
        )
        .route("/api/rooms/{room}/sessions/{id}", get(session))
        .route("/api/rooms/{room}/sessions/{id}/proposals", post(propose))
        .route("/api/rooms/{room}/sessions/{id}/votes", post(vote))
        .route("/api/rooms/{room}/sessions/{id}/decide", post(decide))
        .route("/api/rooms/{room}/sessions/{id}/close", post(close))
        .route("/api/rooms/{room}/{collection}", get(list))
        .route("/api/rooms/{room}/{collection}/{id}", get(one))
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginInput {
    user: String,
    password: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    expires_in_days: Option<i64>,
    #[serde(default)]
    expires_in_seconds: Option<i64>,
}

async fn login(
    State(state): State<AppState>,
    client: auth::ClientAddr,
    JsonBody(input): JsonBody<LoginInput>,
) -> ApiResult<Json<Value>> {
    let seconds = crate::people::token_lifetime(input.expires_in_days, input.expires_in_seconds)?;
    let user = auth::check_login(&state, &client, &input.user, &input.password).await?;
    let (token, row) = auth::issue_token_for(
        &state,
        &user.name,
        input.label.as_deref().unwrap_or("api login"),
        seconds,
    )
    .await?;
    Ok(Json(json!({
        "token": token,
        "user": user.name,
        "id": row.id,
        "expires_at": crate::people::rfc3339(row.expires_at),
    })))
}

async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let user = crate::auth::user(&state, &caller.user)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let rooms = crate::access::seats_of(&state, &caller.user).await?;
    Ok(Json(json!({
        "user": user.name,
        "display_name": user.display_name,
        "rooms": rooms.iter().map(|(_, m)| json!({"room": m.room, "party_id": m.party_id})).collect::<Vec<_>>(),
    })))
}

async fn rooms(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let mut out = Vec::new();
    for (r, m) in crate::access::seats_of(&state, &caller.user).await? {
        out.push(json!({"id": r.id, "title": r.title, "party_id": m.party_id}));
    }
    Ok(Json(Value::Array(out)))
}

async fn access(state: &AppState, caller: &Caller, room: &str) -> ApiResult<RoomAccess> {
    RoomAccess::load(state, &caller.user, room).await
}

/// The kinds a write validates against (parties are always loaded).
const WRITE_CONTEXT: &[Kind] = &[Kind::Issue, Kind::Text, Kind::Meeting];

async fn access_for_write(state: &AppState, caller: &Caller, room: &str) -> ApiResult<RoomAccess> {
    RoomAccess::load_kinds(state, &caller.user, room, Some(WRITE_CONTEXT)).await
}

async fn room(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let mut counts = serde_json::Map::new();
    for kind in Kind::ALL {
        counts.insert(kind.as_str().into(), a.room().of(kind).count().into());
    }
    Ok(Json(json!({
        "id": a.room_id(), "title": a.title(), "party_id": a.party_id(), "role": a.role(),
        "mediator": a.room().mediator(), "counts": counts,
    })))
}

async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(q): Q<PageQuery>,
) -> ApiResult<Response> {
    let window = q.window()?;
    let a = access(&state, &caller, &room).await?;
    let items = a.room().timeline();
    let page = window.of(&items);
    let shown = page
        .items
        .iter()
        .filter_map(|i| a.room().get(i.kind, &i.id));
    a.audit_reads(&state, "read", shown).await?;
    Ok(page.answer(view(page.items)?.0))
}

async fn export(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    a.audit_reads(&state, "export", &a.room().records).await?;
    Ok(Json(ops::export(&a)))
}

async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(q): Q<PageQuery>,
) -> ApiResult<Response> {
    let window = q.window()?;
    let a = access(&state, &caller, &room).await?;
    a.mediator()?;
    // Entries about records the mediator may not see (a party's private
    // notes and models) are left out: their ids are theirs too. Entries are
    // numbered by their place in what the mediator may read (`n`); the
    // log's own sequence numbers and hashes would show where entries were
    // left out.
    let entries = a.audit_log(&state).await?;
    let page = window.of(&entries);
    Ok(page.answer(json!(page
        .items
        .iter()
        .enumerate()
        .map(|(i, e)| json!({
            "n": page.after + i + 1, "at": e.at, "actor": e.actor, "action": e.action,
            "kind": e.kind, "record_id": e.record_id, "detail": e.detail,
        }))
        .collect::<Vec<_>>())))
}

#[derive(Deserialize)]
struct DiffQuery {
    from: String,
    to: String,
}

async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(q): Q<DiffQuery>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let d = ops::diff(&a, &q.from, &q.to)?;
    let shown = [&q.from, &q.to]
        .into_iter()
        .filter_map(|id| a.room().get(Kind::Text, id));
    a.audit_reads(&state, "read", shown).await?;
    view(d)
}

fn kind_of(collection: &str) -> ApiResult<Kind> {
    Ok(match collection {
        "parties" => Kind::Party,
        "issues" => Kind::Issue,
        "texts" => Kind::Text,
        "meetings" => Kind::Meeting,
        "stances" => Kind::Stance,
        "documents" => Kind::Document,
        "notes" => Kind::Note,
        "preferences" => Kind::Preference,
        "votes" => Kind::Vote,
        _ => return Err(ApiError::not_found()),
    })
}

async fn list_kind(
    state: &AppState,
    caller: &Caller,
    room: &str,
    kind: Kind,
) -> ApiResult<Json<Value>> {
    let a = access(state, caller, room).await?;
    let items: Vec<&Record> = a.room().of(kind).collect();
    a.audit_reads(state, "read", items.iter().copied()).await?;
    Ok(Json(json!(items.into_iter().map(out).collect::<Vec<_>>())))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    P((room, collection)): P<(String, String)>,
) -> ApiResult<Json<Value>> {
    list_kind(&state, &caller, &room, kind_of(&collection)?).await
}

async fn one_of(
    state: &AppState,
    caller: &Caller,
    room: &str,
    kind: Kind,
    id: &str,
) -> ApiResult<Json<Value>> {
    let a = access(state, caller, room).await?;
    let r = a.room().get(kind, id).ok_or_else(ApiError::not_found)?;
    a.audit_reads(state, "read", [r]).await?;
    Ok(Json(json!(out(r))))
}

async fn one(
    State(state): State<AppState>,
    caller: Caller,
    P((room, collection, id)): P<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    one_of(&state, &caller, &room, kind_of(&collection)?, &id).await
}

/// The GET of a route that names its collection (`…/texts`, for the
/// write it also takes): [`list`] for that one kind.
pub(crate) fn list_of(kind: Kind) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>, caller: Caller, P(room): P<String>| async move {
            list_kind(&state, &caller, &room, kind).await
        },
    )
}

/// The GET of a route that names its collection (`…/texts/{id}`): [`one`]
/// for that one kind.
pub(crate) fn one_by_id(kind: Kind) -> MethodRouter<AppState> {
    get(
        move |state: State<AppState>, caller: Caller, path: P<(String, String)>| async move {
            let (State(state), P((room, id))) = (state, path);
            one_of(&state, &caller, &room, kind, &id).await
        },
    )
}

async fn stances(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(filter): Q<StanceFilter>,
    Q(q): Q<PageQuery>,
) -> ApiResult<Response> {
    let window = q.window()?;
    let a = access(&state, &caller, &room).await?;
    let items: Vec<&Record> = a
        .room()
        .of(Kind::Stance)
        .filter(|s| filter.matches(s))
        .collect();
    let page = window.of(&items);
    a.audit_reads(&state, "read", page.items.iter().copied())
        .await?;
    Ok(page.answer(json!(page
        .items
        .iter()
        .copied()
        .map(out)
        .collect::<Vec<_>>())))
}

async fn matrix(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let m = a.room().matrix(&id).ok_or_else(ApiError::not_found)?;
    let shown: Vec<&Record> = m
        .rows
        .iter()
        .flat_map(|r| r.cells.iter().flatten().chain(&r.whole_text))
        .filter_map(|c| a.room().get(Kind::Stance, &c.stance_id))
        .collect();
    a.audit_reads(&state, "read", shown).await?;
    view(m)
}

fn created(r: &Record) -> Response {
    (StatusCode::CREATED, Json(json!(out(r)))).into_response()
}

async fn add_stance(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<StanceInput>,
) -> ApiResult<Response> {
    // Stances are the busiest write: load only the kinds this one refers to
    // (validation never looks at the others), not every text of the room.
    let t = &input.target;
    let mut kinds = vec![Kind::Issue];
    if t.text_id.is_some() || t.point_id.is_some() {
        kinds.push(Kind::Text);
    }
    if input.meeting_id.is_some() {
        kinds.push(Kind::Meeting);
    }
    let a = RoomAccess::load_kinds(&state, &caller.user, &room, Some(&kinds)).await?;
    Ok(created(&ops::add_stance(&state, &a, input).await?))
}

async fn add_draft(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<DraftInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(&ops::add_draft(&state, &a, input).await?))
}

async fn edit_draft(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<DraftInput>,
) -> ApiResult<Json<Value>> {
    let a = access_for_write(&state, &caller, &room).await?;
    let r = ops::edit_draft(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<PublishInput>,
) -> ApiResult<Json<Value>> {
    let a = access_for_write(&state, &caller, &room).await?;
    let r = ops::publish(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

async fn add_meeting(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<MeetingInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(&ops::add_meeting(&state, &a, input).await?))
}

async fn add_document(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<DocumentInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(&ops::add_document(&state, &a, input).await?))
}

async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<NoteInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(&ops::add_note(&state, &a, input).await?))
}

// ------------------------------------------- models, analysis, sessions

/// Model writes validate against parties, issues and the party's own model.
const MODEL_CONTEXT: &[Kind] = &[Kind::Issue, Kind::Preference];

async fn access_for_model(state: &AppState, caller: &Caller, room: &str) -> ApiResult<RoomAccess> {
    RoomAccess::load_kinds(state, &caller.user, room, Some(MODEL_CONTEXT)).await
}

async fn put_preference(
    State(state): State<AppState>,
    caller: Caller,
    P((room, party)): P<(String, String)>,
    JsonBody(input): JsonBody<PreferenceInput>,
) -> ApiResult<Json<Value>> {
    if input.party_id != party {
        return Err(ApiError::field(
            "party_id",
            "must be the party named in the path",
        ));
    }
    let a = access_for_model(&state, &caller, &room).await?;
    let r = deliberation::put_preference(&state, &a, input).await?;
    Ok(Json(json!(out(&r))))
}

async fn put_genius(
    State(state): State<AppState>,
    caller: Caller,
    P((room, party)): P<(String, String)>,
    JsonBody(input): JsonBody<deliberation::GeniusInput>,
) -> ApiResult<Json<Value>> {
    let a = access_for_model(&state, &caller, &room).await?;
    let r = deliberation::put_genius(&state, &a, &party, input).await?;
    Ok(Json(json!(out(&r))))
}

async fn delete_preference(
    State(state): State<AppState>,
    caller: Caller,
    P((room, party)): P<(String, String)>,
) -> ApiResult<StatusCode> {
    let a = access_for_model(&state, &caller, &room).await?;
    deliberation::delete_preference(&state, &a, &party).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn analysis(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    view(deliberation::analysis(&state, &a).await?)
}

async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<deliberation::SettingsInput>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let r = deliberation::put_settings(&state, &a, input).await?;
    Ok(Json(json!(out(&r))))
}

async fn session(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let s = a
        .room()
        .get(Kind::Session, &id)
        .ok_or_else(ApiError::not_found)?;
    let mut shown = vec![s];
    shown.extend(deliberation::votes_of(&a, s));
    a.audit_reads(&state, "read", shown).await?;
    Ok(Json(deliberation::session_json(&a, s)))
}

async fn open_session(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<SessionInput>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    Ok(created(
        &deliberation::open_session(&state, &a, input).await?,
    ))
}

async fn propose(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<ProposalInput>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let r = deliberation::propose(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<VoteInput>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let r = deliberation::vote(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

/// An empty JSON object, for actions that take no parameters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(Empty {}): JsonBody<Empty>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let r = deliberation::decide(&state, &a, &id).await?;
    Ok(Json(json!(out(&r))))
}

async fn close(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(Empty {}): JsonBody<Empty>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    Ok(created(&deliberation::close(&state, &a, &id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAPI document must describe every route the router serves
    /// (schemathesis can only test what the document lists).
    #[test]
    fn openapi_lists_every_route() {
        let doc: Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        let paths = doc["paths"].as_object().expect("paths");
        // The API's routes, and those of the feature modules.
        let sources = [
            include_str!("api.rs"),
            include_str!("drafting.rs"),
            include_str!("records.rs"),
            include_str!("access/people.rs"),
            include_str!("import.rs"),
            include_str!("setup.rs"),
        ];
        // `.route(` and its path may stand on two lines.
        let routes: Vec<&str> = sources
            .iter()
            .flat_map(|s| s.split(".route("))
            .skip(1)
            .filter_map(|rest| rest.trim_start().strip_prefix('"'))
            .filter_map(|l| l.split('"').next())
            .filter(|p| p.starts_with("/api/") && !p.contains('*'))
            .collect();
        assert!(routes.len() >= 15, "found {} routes", routes.len());
        for r in routes {
            assert!(
                paths.contains_key(r),
                "route {r} is missing from openapi.json"
            );
        }
    }

    /// A path the API does not have answers the API's JSON 404 (the
    /// router's fallback tells API paths from the UI's), whatever the
    /// method, and however deep or near a real route the path is.
    #[tokio::test]
    async fn unknown_api_paths_answer_the_json_404() {
        let dir = tempfile::tempdir().unwrap();
        let store = pactum_store::open_sqlite(&dir.path().join("ws.db"))
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(crate::serve(AppState::new(store), listener));
        let http = reqwest::Client::new();
        for path in [
            "/api/",
            "/api/nope",
            "/api/rooms/r1/texts/v1/nope",
            "/api/rooms/r1/texts/v1/matrix/more",
            "/api/rooms/r1/a/b/c/d",
        ] {
            for method in [
                reqwest::Method::GET,
                reqwest::Method::HEAD,
                reqwest::Method::POST,
                reqwest::Method::PUT,
                reqwest::Method::DELETE,
            ] {
                let res = http
                    .request(method.clone(), format!("{base}{path}"))
                    .send()
                    .await
                    .unwrap();
                let head = format!("{method} {path}");
                assert_eq!(res.status(), StatusCode::NOT_FOUND, "{head}");
                let mut headers: Vec<_> = res
                    .headers()
                    .iter()
                    .filter(|(name, _)| *name != "date")
                    .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
                    .collect();
                headers.sort();
                assert_eq!(
                    headers,
                    ["content-length: 21", "content-type: application/json"],
                    "{head}"
                );
                let body = res.text().await.unwrap();
                let want = if method == reqwest::Method::HEAD {
                    ""
                } else {
                    r#"{"error":"not found"}"#
                };
                assert_eq!(body, want, "{head}");
            }
        }
    }

    #[test]
    fn body_errors_name_the_field() {
        let e = parse_json::<StanceInput>(br#"{"party_id": "a", "target": {}, "stance": "maybe"}"#)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("stance"), "{}", e.message);
        let e =
            parse_json::<StanceInput>(br#"{"party_id": "a", "target": {}, "stance": "accepts"}"#)
                .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("summary"), "{}", e.message);
        let e = parse_json::<StanceInput>(
            br#"{"party_id": "a", "target": {}, "stance": "accepts", "summary": "s", "provenance": {}}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("provenance.source"),
            "{}",
            e.message
        );
        let e = parse_json::<StanceInput>(b"{\"party_id\": ").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.contains("line 1"), "{}", e.message);
    }
}
