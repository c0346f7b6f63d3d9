//! Importing a case with a preview: every record with the visibility the
//! import would give it and the rule that derived it, changeable before
//! anything is stored; then the room in one transaction. Only operators
//! import; the preview writes nothing, not even an audit entry, because a
//! refused or abandoned preview must leave no trace of the case.
//!
//! A case in the shared schema gets fresh ids (`pactum_workspace::ids`):
//! the preview shows each record's case id beside the id it will have,
//! drawn from a seed the preview returns (`id_seed`), and an import given
//! that seed stores exactly those ids (see [`crate::access::ids`] for why a
//! seed). `keep_ids` keeps the file's ids, with a warning; pactum's own
//! format always keeps its ids, which pactum minted.

use crate::access::ids::IdSeed;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{JsonBody, Q};
use crate::people::require_operator;
use crate::ui::{self, FormData, Session, UiError, UiResult};
use crate::{AppState, ImportError};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pactum_workspace::case::{self, CaseError, CaseFormat, Override, Preview};
use pactum_workspace::model::{Kind, PartyKind};
use pactum_workspace::Visibility;
use serde::Deserialize;
use serde_json::{json, Value};

/// Case files of some thousands of records run to megabytes.
const MAX_CASE_BYTES: usize = 64 * 1024 * 1024;

/// The import routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/import/preview", post(api_preview))
        .route("/api/import", post(api_import))
        .route("/import", get(upload_page).post(confirm))
        .route("/import/preview", post(preview_page))
        .layer(DefaultBodyLimit::max(MAX_CASE_BYTES))
}

fn case_error(e: CaseError) -> ApiError {
    match e {
        CaseError::Json { .. } => ApiError::new(StatusCode::BAD_REQUEST, e.to_string()),
        CaseError::Field { path, message } => ApiError::field(format!("case{path}"), message),
    }
}

fn override_error(e: CaseError) -> ApiError {
    match e {
        CaseError::Field { path, message } if path.starts_with("/overrides") => {
            ApiError::field(path.trim_start_matches('/').replace('/', "."), message)
        }
        e => case_error(e),
    }
}

/// How an import names the records of a schema case.
#[derive(Debug, Clone)]
pub enum Ids {
    /// The case file's own ids (`keep_ids`).
    Keep,
    /// Fresh ids drawn from this seed.
    Fresh(IdSeed),
}

impl Ids {
    /// From the request's `keep_ids` and `id_seed` (a new random seed when
    /// none is given); `field` names where the seed came from in errors.
    pub fn choose(keep_ids: bool, id_seed: Option<&str>, field: &str) -> ApiResult<Ids> {
        match (keep_ids, id_seed.filter(|s| !s.is_empty())) {
            (true, _) => Ok(Ids::Keep),
            (false, None) => Ok(Ids::Fresh(IdSeed::random())),
            (false, Some(s)) => IdSeed::parse(s)
                .map(Ids::Fresh)
                .map_err(|e| ApiError::field(field, e.to_string())),
        }
    }

    /// The seed, if the preview gave fresh ids.
    fn seed<'a>(&'a self, p: &Preview) -> Option<&'a IdSeed> {
        match self {
            Ids::Fresh(seed) if p.ids().is_some() => Some(seed),
            _ => None,
        }
    }
}

/// Reads a case and derives its preview, with fresh ids for a schema case
/// unless they are kept: the preview's `stored_id`s are what an import
/// with the same seed stores.
pub fn preview_with_ids(text: &str, ids: &Ids) -> Result<Preview, CaseError> {
    let p = case::preview(text)?;
    match ids {
        Ids::Fresh(seed) if p.format == CaseFormat::Schema => p.with_fresh_ids(seed.mint()),
        _ => Ok(p),
    }
}

/// Reads and derives off the async threads: a large case is CPU work.
async fn derive(text: String, ids: &Ids) -> ApiResult<Preview> {
    let ids = ids.clone();
    tokio::task::spawn_blocking(move || preview_with_ids(&text, &ids))
        .await
        .map_err(ApiError::internal)?
        .map_err(case_error)
}

/// The preview as JSON (the CLI's `--dry-run --json` has the same shape):
/// every record with its case `id` and its `stored_id`, whether the ids are
/// `fresh` or `kept`, the `id_seed` that reproduces fresh ones, and warnings.
pub fn preview_json(p: &Preview, room: &str, seed: Option<&IdSeed>) -> Value {
    let mut v = json!({
        "room": room,
        "title": p.title(),
        "format": p.format,
        "ids": if p.ids().is_some() { "fresh" } else { "kept" },
        "warnings": p.warnings(),
        "records": p.records,
    });
    if let Some(seed) = seed {
        v["id_seed"] = seed.as_str().into();
    }
    v
}

/// `POST /api/import/preview`'s options, in the query (the body is the case).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewQuery {
    #[serde(default)]
    keep_ids: bool,
    #[serde(default)]
    id_seed: Option<String>,
}

async fn api_preview(
    State(state): State<AppState>,
    caller: Caller,
    Q(q): Q<PreviewQuery>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_operator(&state, &caller).await?;
    let ids = Ids::choose(q.keep_ids, q.id_seed.as_deref(), "id_seed")?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "the case must be UTF-8 JSON"))?;
    let p = derive(text, &ids).await?;
    let room = p.room_id().to_string();
    Ok(Json(preview_json(&p, &room, ids.seed(&p))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportInput {
    case: Value,
    #[serde(default)]
    room: Option<String>,
    #[serde(default)]
    overrides: Vec<Override>,
    /// Keep the case file's ids (a schema case's get fresh ones otherwise).
    #[serde(default)]
    keep_ids: bool,
    /// The seed a preview returned, to store the ids it showed.
    #[serde(default)]
    id_seed: Option<String>,
}

async fn api_import(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<ImportInput>,
) -> ApiResult<Response> {
    require_operator(&state, &caller).await?;
    let ids = Ids::choose(input.keep_ids, input.id_seed.as_deref(), "id_seed")?;
    let p = derive(input.case.to_string(), &ids).await?;
    let p = p.with_overrides(&input.overrides).map_err(override_error)?;
    let map = p.ids().cloned();
    let room = input.room.unwrap_or_else(|| p.room_id().to_string());
    if !case::valid_room_id(&room) {
        return Err(ApiError::field(
            "room",
            "expected lowercase letters, digits, - and _",
        ));
    }
    let count = store(&state, &caller, p, &room).await?;
    let mut out = json!({"room": room, "records": count});
    if let Some(map) = map {
        out["ids"] = json!(map);
    }
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// Stores the previewed case as a new room, in one transaction.
async fn store(state: &AppState, caller: &Caller, p: Preview, room: &str) -> ApiResult<usize> {
    let op = require_operator(state, caller).await?;
    let c = p.into_case();
    match op.import(state, &c, room).await {
        Ok(()) => Ok(c.records.len()),
        Err(ImportError::RoomExists(_)) => Err(ApiError {
            status: StatusCode::CONFLICT,
            message: format!("room: a room with id {room:?} exists already (give another id)"),
            field: Some("room".into()),
            retry_after: None,
        }),
        Err(ImportError::File(message)) => Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            field: message.split(':').next().map(str::to_string),
            message,
            retry_after: None,
        }),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

// ---- the browser twin ----

async fn chrome(
    state: &AppState,
    caller: &Caller,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    ui::chrome(state, caller, None, "import", "Import a case").await
}

async fn upload_page(State(state): State<AppState>, Session(caller): Session) -> UiResult {
    require_operator(&state, &caller).await?;
    let ctx = chrome(&state, &caller).await?;
    Ok(ui::page(StatusCode::OK, "import.html", &Value::Object(ctx)))
}

/// The named parts of a `multipart/form-data` body (file inputs give their
/// content). Small on purpose: text fields and one file, nothing streamed.
fn multipart(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    Ok(multipart_parts(headers, body)?
        .into_iter()
        .map(|p| (p.name, p.content))
        .collect())
}

/// One part of a `multipart/form-data` body.
pub(crate) struct Part {
    /// The form field's name.
    pub(crate) name: String,
    /// The file name a file input gave, if any.
    pub(crate) filename: Option<String>,
    /// The part's own `Content-Type`, if it gave one.
    pub(crate) content_type: Option<String>,
    /// The content.
    pub(crate) content: Vec<u8>,
}

/// The parts of a `multipart/form-data` body, with file inputs' names and
/// content types (a document's file upload needs them).
pub(crate) fn multipart_parts(headers: &HeaderMap, body: &[u8]) -> Result<Vec<Part>, ApiError> {
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "malformed multipart form");
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = ct
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or_else(bad)?;
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    let start = find(rest, &delim).ok_or_else(bad)?;
    rest = &rest[start + delim.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or_else(bad)?;
        let head_end = find(rest, b"\r\n\r\n").ok_or_else(bad)?;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        rest = &rest[head_end + 4..];
        let mut end_delim = b"\r\n".to_vec();
        end_delim.extend_from_slice(&delim);
        let end = find(rest, &end_delim).ok_or_else(bad)?;
        let content = rest[..end].to_vec();
        rest = &rest[end + end_delim.len()..];
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .ok_or_else(bad)?;
        let param = |key: &str| {
            disposition
                .split(';')
                .find_map(|p| p.trim().strip_prefix(key))
                .map(|n| n.trim_matches('"').to_string())
        };
        let name = param("name=").ok_or_else(bad)?;
        let filename = param("filename=");
        let content_type = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        });
        parts.push(Part {
            name,
            filename,
            content_type,
            content,
        });
    }
}

/// Where `needle` first occurs in `hay`: candidates are found by their
/// first byte, so a multi-megabyte file part is scanned once.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = hay.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if hay.get(at + 1..at + needle.len())? == tail {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The scopes offered for every record: the whole room, the mediator, and
/// each party with or without the mediator.
fn options(p: &Preview) -> Vec<(Visibility, String)> {
    let mut out = vec![
        (Visibility::Room, Visibility::Room.label()),
        (Visibility::Mediator, Visibility::Mediator.label()),
    ];
    for party in p.case().records.iter().filter(|r| r.kind == Kind::Party) {
        if PartyKind::of(party) == PartyKind::Mediator {
            continue;
        }
        for v in [
            Visibility::PartyAndMediator {
                party: party.id.clone(),
            },
            Visibility::Party {
                party: party.id.clone(),
            },
        ] {
            let label = v.label();
            out.push((v, label));
        }
    }
    out
}

fn encode(v: &Visibility) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A collapsed group of more than this many records keeps a long case's
/// page readable.
const OPEN_GROUP: usize = 40;

fn preview_page_response(
    mut ctx: serde_json::Map<String, Value>,
    p: &Preview,
    ids: &Ids,
    text: &str,
    room: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let opts = options(p);
    let listed: std::collections::HashSet<String> = opts.iter().map(|(v, _)| encode(v)).collect();
    let mut groups: Vec<(String, Vec<Value>, usize)> = Vec::new();
    for r in &p.records {
        let value = encode(&r.visibility);
        let row = json!({
            "kind": r.kind, "id": r.id, "stored_id": r.stored_id,
            "renamed": r.stored_id != r.id, "title": r.title,
            "label": r.visibility.label(), "value": value,
            "listed": listed.contains(&value),
            "reason": r.reason, "overridable": r.overridable,
        });
        match groups.last_mut() {
            Some((k, rows, n)) if k == r.kind => {
                rows.push(row);
                *n += usize::from(!r.visibility.is_room_wide());
            }
            _ => groups.push((
                r.kind.to_string(),
                vec![row],
                usize::from(!r.visibility.is_room_wide()),
            )),
        }
    }
    let points = p.records.iter().filter(|r| r.kind == "point").count();
    ctx.insert(
        "preview".into(),
        json!({
            "title": p.title(), "format": p.format,
            "count": p.records.len() - points, "points": points,
            "fresh_ids": p.ids().is_some(), "warnings": p.warnings(),
            "keep_ids": matches!(ids, Ids::Keep),
            "id_seed": ids.seed(p).map(IdSeed::as_str),
        }),
    );
    ctx.insert(
        "groups".into(),
        groups
            .into_iter()
            .map(|(kind, rows, restricted)| {
                json!({
                    "kind": kind, "label": kind.replace('_', " "),
                    "open": rows.len() <= OPEN_GROUP, "restricted": restricted, "rows": rows,
                })
            })
            .collect(),
    );
    ctx.insert(
        "options".into(),
        opts.iter()
            .map(|(v, label)| json!({"value": encode(v), "label": label}))
            .collect(),
    );
    ctx.insert("case_text".into(), text.into());
    ctx.insert("room_id".into(), room.into());
    ctx.insert("error".into(), error.into());
    ui::page(status, "import.html", &Value::Object(ctx))
}

async fn preview_page(
    State(state): State<AppState>,
    Session(caller): Session,
    headers: HeaderMap,
    body: Bytes,
) -> UiResult {
    let parts = multipart(&headers, &body)?;
    let get = |name: &str| {
        parts
            .iter()
            .rev()
            .find(|(n, c)| n == name && !c.iter().all(u8::is_ascii_whitespace))
            .map(|(_, c)| c.clone())
    };
    let token = get("_csrf").map(|c| String::from_utf8_lossy(&c).into_owned());
    caller.check_csrf(token.as_deref())?;
    require_operator(&state, &caller).await?;
    let ctx = chrome(&state, &caller).await?;
    let Some(raw) = get("file").or_else(|| get("case")) else {
        return Ok(error_page(ctx, "Choose a case file or paste one.".into()));
    };
    let Ok(text) = String::from_utf8(raw) else {
        return Ok(error_page(ctx, "The case file is not UTF-8 text.".into()));
    };
    let room = get("room")
        .map(|c| String::from_utf8_lossy(&c).trim().to_string())
        .unwrap_or_default();
    let ids = match get("keep_ids") {
        Some(_) => Ids::Keep,
        None => Ids::Fresh(IdSeed::random()),
    };
    match derive(text.clone(), &ids).await {
        Ok(p) => {
            let room = if room.is_empty() {
                p.room_id().to_string()
            } else {
                room
            };
            Ok(preview_page_response(
                ctx,
                &p,
                &ids,
                &text,
                &room,
                None,
                StatusCode::OK,
            ))
        }
        Err(e) => Ok(error_page(ctx, e.message)),
    }
}

fn error_page(mut ctx: serde_json::Map<String, Value>, error: String) -> Response {
    ctx.insert("error".into(), error.into());
    ui::page(
        StatusCode::UNPROCESSABLE_ENTITY,
        "import.html",
        &Value::Object(ctx),
    )
}

async fn confirm(State(state): State<AppState>, Session(caller): Session, body: Bytes) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    require_operator(&state, &caller).await?;
    let mut ctx = chrome(&state, &caller).await?;
    let text = form.raw("case").to_string();
    let room = form.get("room").to_string();
    let ids = Ids::choose(
        form.get("keep_ids") == "on",
        Some(form.get("id_seed")),
        "id_seed",
    )?;
    let p = match derive(text.clone(), &ids).await {
        Ok(p) => p,
        Err(e) => return Ok(error_page(ctx, e.message)),
    };
    // Only what was changed is an override: an unchanged select keeps the
    // derivation (and its rule) as previewed.
    let mut overrides = Vec::new();
    for r in p.records.iter().filter(|r| r.overridable) {
        let name = format!("v:{}:{}", r.kind, r.id);
        let given = form.get(&name);
        if given.is_empty() || given == encode(&r.visibility) {
            continue;
        }
        let visibility: Visibility = serde_json::from_str(given).map_err(|e| {
            UiError(ApiError::field(
                name.clone(),
                format!("not a visibility: {e}"),
            ))
        })?;
        overrides.push(Override {
            kind: r.kind.to_string(),
            id: r.id.clone(),
            visibility,
        });
    }
    let applied = match p.with_overrides(&overrides) {
        Ok(a) => a,
        Err(e) => {
            let msg = override_error(e).message;
            return Ok(preview_page_response(
                ctx,
                &p,
                &ids,
                &text,
                &room,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    if !case::valid_room_id(&room) {
        let msg = format!("room: {room:?} is not a room id (lowercase letters, digits, - and _)");
        return Ok(preview_page_response(
            ctx,
            &applied,
            &ids,
            &text,
            &room,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match store(&state, &caller, applied.clone(), &room).await {
        Ok(count) => {
            ctx.insert("done".into(), json!({"room": room, "records": count}));
            Ok(ui::page(
                StatusCode::CREATED,
                "import.html",
                &Value::Object(ctx),
            ))
        }
        Err(e) if e.status.is_client_error() => Ok(preview_page_response(
            ctx,
            &applied,
            &ids,
            &text,
            &room,
            Some(e.message),
            e.status,
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_lists_the_import_routes() {
        let doc: Value = serde_json::from_str(crate::api::OPENAPI).unwrap();
        for r in ["/api/import/preview", "/api/import"] {
            assert!(
                doc["paths"][r]["post"].is_object(),
                "{r} missing from openapi.json"
            );
        }
    }

    #[test]
    fn multipart_reads_fields_and_files() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.json\"\r\nContent-Type: application/json\r\n\r\n{\"a\":\r\n1}\r\n--XX--\r\n";
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::CONTENT_TYPE,
            "multipart/form-data; boundary=XX".parse().unwrap(),
        );
        let parts = multipart(&h, body.as_bytes()).unwrap();
        assert_eq!(parts[0], ("_csrf".to_string(), b"abc".to_vec()));
        assert_eq!(parts[1], ("file".to_string(), b"{\"a\":\r\n1}".to_vec()));
        assert!(multipart(&h, b"--XX\r\nno end").is_err());
    }
}
