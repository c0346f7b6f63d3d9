//! The JSON side of the API, shared by every feature module: request
//! bodies and path/query extractors whose errors name the field, the shape
//! a record is shown in, and the generic list and by-id reads of a room's
//! collections (each through [`RoomAccess::load`]).

use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Json;
use pactum_workspace::model::{Kind, Record};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

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
pub fn view(v: impl Serialize) -> ApiResult<Json<Value>> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(ApiError::internal)
}

pub(crate) fn kind_of(collection: &str) -> ApiResult<Kind> {
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
        "amendments" => Kind::Amendment,
        "comments" => Kind::Comment,
        _ => return Err(ApiError::not_found()),
    })
}

async fn list_kind(
    state: &AppState,
    caller: &Caller,
    room: &str,
    kind: Kind,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(state, &caller.user, room).await?;
    let items: Vec<&Record> = a.room().of(kind).collect();
    a.audit_reads(state, "read", items.iter().copied()).await?;
    Ok(Json(json!(items.into_iter().map(out).collect::<Vec<_>>())))
}

pub(crate) async fn list(
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
    let a = RoomAccess::load(state, &caller.user, room).await?;
    let r = a.room().get(kind, id).ok_or_else(ApiError::not_found)?;
    a.audit_reads(state, "read", [r]).await?;
    Ok(Json(json!(out(r))))
}

pub(crate) async fn one(
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

pub(crate) async fn access(state: &AppState, caller: &Caller, room: &str) -> ApiResult<RoomAccess> {
    RoomAccess::load(state, &caller.user, room).await
}

/// The kinds a write validates against (parties are always loaded).
pub(crate) const WRITE_CONTEXT: &[Kind] = &[Kind::Issue, Kind::Text, Kind::Meeting];

pub(crate) async fn access_for_write(
    state: &AppState,
    caller: &Caller,
    room: &str,
) -> ApiResult<RoomAccess> {
    RoomAccess::load_kinds(state, &caller.user, room, Some(WRITE_CONTEXT)).await
}

pub(crate) fn created(r: &Record) -> Response {
    (StatusCode::CREATED, Json(json!(out(r)))).into_response()
}
