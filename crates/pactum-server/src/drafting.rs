//! Drafting a version point by point, over the API and in the browser.
//!
//! The operations themselves are `pactum_workspace::drafting`'s pure
//! functions; this module loads the draft the mediator may see, refuses
//! published versions (a version once published never changes: 409 naming
//! it), applies one operation, and stores the whole draft again with an
//! audit entry naming the operation (`text.point.add`, `text.point.merge`,
//! ...). The browser's forms are plain forms that work without
//! JavaScript; each answers with a redirect back to the point it changed.

use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{out, JsonBody, P};
use crate::ui::{urlpart, FormData, Session, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use pactum_workspace::body::{Issue, Text};
use pactum_workspace::drafting::{self, NewPoint, PointContent, SplitAt};
use pactum_workspace::model::{self, FieldError, Kind, PointInput, Record};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The API and UI routes of point-by-point drafting.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/rooms/{room}/texts/{id}/points", post(api_add))
        .route(
            "/api/rooms/{room}/texts/{id}/points/{key}",
            put(api_edit).delete(api_delete),
        )
        .route(
            "/api/rooms/{room}/texts/{id}/points/{key}/move",
            post(api_move),
        )
        .route(
            "/api/rooms/{room}/texts/{id}/points/{key}/merge",
            post(api_merge),
        )
        .route(
            "/api/rooms/{room}/texts/{id}/points/{key}/split",
            post(api_split),
        )
        .route("/api/rooms/{room}/texts/{id}/revise", post(api_revise))
        .route("/rooms/{room}/texts/{id}/points", post(ui_add))
        .route("/rooms/{room}/texts/{id}/points/{key}", post(ui_edit))
        .route(
            "/rooms/{room}/texts/{id}/points/{key}/{action}",
            post(ui_action),
        )
        .route("/rooms/{room}/texts/{id}/revise", post(ui_revise))
}

/// What a draft write validates against (parties are always loaded).
const CONTEXT: &[Kind] = &[Kind::Issue, Kind::Text];

async fn access(state: &AppState, caller: &Caller, room: &str) -> ApiResult<RoomAccess> {
    RoomAccess::load_kinds(state, &caller.user, room, Some(CONTEXT)).await
}

/// The version `text_id` for the mediator, a draft when `draft` and a
/// published (or reported) version otherwise: a version the user may not
/// see is missing; one of the other kind is a conflict that names it (a
/// published version never changes; a draft is edited, not revised).
fn version<'a>(a: &'a RoomAccess, text_id: &str, draft: bool) -> ApiResult<&'a Record> {
    a.mediator()?;
    let text = a
        .room()
        .find::<Text>(text_id)
        .ok_or_else(ApiError::not_found)?;
    if text.is_draft() != draft {
        let why = if draft {
            "is published and never changes; start a new draft from it"
        } else {
            "is a draft: edit it, or start a new draft from a published version"
        };
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "{} ({}) {why}",
                text.label.as_deref().unwrap_or(text.id()),
                text.id()
            ),
        ));
    }
    Ok(text.record)
}

/// The draft `text_id` (see [`version`]).
fn draft<'a>(a: &'a RoomAccess, text_id: &str) -> ApiResult<&'a Record> {
    version(a, text_id, true)
}

/// Applies one operation to a draft's points and stores the draft.
async fn apply<T>(
    state: &AppState,
    a: &RoomAccess,
    text_id: &str,
    action: &str,
    key: Option<&str>,
    op: impl FnOnce(&mut Vec<PointInput>, &BTreeSet<String>) -> Result<T, FieldError>,
) -> ApiResult<(Record, T)> {
    let m = a.mediator()?;
    let text = draft(a, text_id)?;
    let mut input = drafting::draft_of(text);
    if let Some(k) = key {
        if drafting::is_missing(&input.points, k) {
            return Err(ApiError::not_found());
        }
    }
    let base: BTreeSet<String> = input
        .derived_from_text_id
        .as_deref()
        .and_then(|v| a.room().get(Kind::Text, v))
        .map(|v| {
            drafting::point_inputs(v)
                .into_iter()
                .map(|p| p.key)
                .collect()
        })
        .unwrap_or_default();
    let result = op(&mut input.points, &base)?;
    let mut record = input.into_record(a.room(), text.id.clone(), &text.id)?;
    let editions = pactum_workspace::editions::FIELDS;
    for keep in ["version", "kind", pactum_workspace::amendment::INCORPORATED]
        .into_iter()
        .chain(editions)
    {
        if let Some(v) = text.body.get(keep) {
            record.body.insert(keep.into(), v.clone());
        }
    }
    m.write(state, &record, action).await?;
    Ok((record, result))
}

/// The answer of a point operation: the point it concerns and the draft.
fn answer(status: StatusCode, key: &str, r: &Record) -> Response {
    (status, Json(json!({"key": key, "text": out(r)}))).into_response()
}

async fn api_add(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<NewPoint>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    let (r, key) = apply(&state, &a, &id, "text.point.add", None, |ps, base| {
        drafting::add(ps, base, input)
    })
    .await?;
    Ok(answer(StatusCode::CREATED, &key, &r))
}

async fn api_edit(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id, key)): P<(String, String, String)>,
    JsonBody(input): JsonBody<PointContent>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    let (r, ()) = apply(&state, &a, &id, "text.point.edit", Some(&key), |ps, _| {
        drafting::edit(ps, &key, input)
    })
    .await?;
    Ok(answer(StatusCode::OK, &key, &r))
}

async fn api_delete(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id, key)): P<(String, String, String)>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    let (r, ()) = apply(&state, &a, &id, "text.point.delete", Some(&key), |ps, _| {
        drafting::delete(ps, &key)
    })
    .await?;
    Ok(answer(StatusCode::OK, &key, &r))
}

/// Where a point goes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveInput {
    /// Its number after the move (1 = first).
    to: usize,
}

async fn api_move(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id, key)): P<(String, String, String)>,
    JsonBody(input): JsonBody<MoveInput>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    let (r, ()) = apply(&state, &a, &id, "text.point.move", Some(&key), |ps, _| {
        drafting::move_to(ps, &key, input.to)
    })
    .await?;
    Ok(answer(StatusCode::OK, &key, &r))
}

/// The point merged into the one the path names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeInput {
    with: String,
}

async fn api_merge(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id, key)): P<(String, String, String)>,
    JsonBody(input): JsonBody<MergeInput>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    let (r, ()) = apply(
        &state,
        &a,
        &id,
        "text.point.merge",
        Some(&key),
        |ps, base| drafting::merge(ps, base, &key, &input.with),
    )
    .await?;
    Ok(answer(StatusCode::OK, &key, &r))
}

/// Where to split: `at`, a byte offset into the wording, or `paragraph`, the
/// index of the paragraph the second point starts with (0 is the first).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitInput {
    #[serde(default)]
    at: Option<usize>,
    #[serde(default)]
    paragraph: Option<usize>,
    #[serde(default)]
    new_key: Option<String>,
    #[serde(default)]
    new_title: Option<String>,
}

impl SplitInput {
    fn at(&self) -> Result<SplitAt, FieldError> {
        match (self.at, self.paragraph) {
            (Some(n), None) => Ok(SplitAt::Offset(n)),
            (None, Some(n)) => Ok(SplitAt::Paragraph(n)),
            _ => Err(FieldError::new(
                "at",
                "give either at (a byte offset) or paragraph (a paragraph index)",
            )),
        }
    }
}

async fn split(
    state: &AppState,
    a: &RoomAccess,
    id: &str,
    key: &str,
    input: SplitInput,
) -> ApiResult<(Record, String)> {
    apply(state, a, id, "text.point.split", Some(key), |ps, base| {
        let at = input.at()?;
        drafting::split(ps, base, key, at, input.new_key, input.new_title)
    })
    .await
}

async fn api_split(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id, key)): P<(String, String, String)>,
    JsonBody(input): JsonBody<SplitInput>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    let (r, new_key) = split(&state, &a, &id, &key, input).await?;
    Ok(answer(StatusCode::OK, &new_key, &r))
}

/// A new draft's label.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviseInput {
    label: String,
}

/// A new draft revising a version the mediator sees, with its points and
/// their keys. Only a published (or reported) version is revised: a draft
/// is edited in place (409 naming it).
async fn revise(state: &AppState, a: &RoomAccess, id: &str, label: &str) -> ApiResult<Record> {
    let input = drafting::revise(version(a, id, false)?, label)?;
    crate::texts::add_draft(state, a, input).await
}

/// A new draft as the new-draft page makes it: a label, optionally the
/// published version it revises (its points carried with their keys), and
/// optionally one point of the mediator's own (added at the end).
pub(crate) struct NewDraft {
    /// The draft's label.
    pub(crate) label: String,
    /// The version it starts from; an empty draft when `None`.
    pub(crate) from: Option<String>,
    /// A point to add at once.
    pub(crate) point: Option<NewPoint>,
}

/// Creates the draft a [`NewDraft`] describes. Starting from a draft is
/// refused (a draft is changed by editing it); a version the user may not
/// see answers as a missing one does, naming the field.
pub(crate) async fn new_draft(
    state: &AppState,
    a: &RoomAccess,
    new: NewDraft,
) -> ApiResult<Record> {
    a.mediator()?;
    if new.label.trim().is_empty() {
        return Err(FieldError::new("label", "must not be empty").into());
    }
    let (mut input, base) = match new.from.as_deref() {
        Some(from) => {
            let version = a
                .room()
                .get(Kind::Text, from)
                .ok_or_else(|| ApiError::field("from", format!("no version {from:?}")))?;
            if model::is_draft(version) {
                return Err(ApiError::field(
                    "from",
                    format!(
                        "{} is a draft: edit it, or start from a published version",
                        version.str("label").unwrap_or(&version.id)
                    ),
                ));
            }
            let keys: BTreeSet<String> = drafting::point_inputs(version)
                .into_iter()
                .map(|p| p.key)
                .collect();
            (drafting::revise(version, &new.label)?, keys)
        }
        None => (
            model::DraftInput {
                label: new.label,
                derived_from_text_id: None,
                points: Vec::new(),
            },
            BTreeSet::new(),
        ),
    };
    if let Some(point) = new.point {
        drafting::add(&mut input.points, &base, point)?;
    }
    crate::texts::add_draft(state, a, input).await
}

async fn api_revise(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<ReviseInput>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    let r = revise(&state, &a, &id, &input.label).await?;
    Ok((StatusCode::CREATED, Json(json!(out(&r)))).into_response())
}

// ------------------------------------------------------------ the browser

/// The point editor a draft's page shows the mediator, one row per point in
/// the order of the page's points: its key, wording as stored (the textarea
/// gives it back byte for byte), issue checkboxes and where its move, merge
/// and split buttons lead; `None` for anyone else and for published
/// versions.
pub(crate) fn editor(a: &RoomAccess, text: &Record) -> Option<Value> {
    if !a.is_mediator() || !model::is_draft(text) {
        return None;
    }
    let issues: Vec<(String, String)> = a
        .room()
        .each::<Issue>()
        .map(|i| {
            let title = i.title.as_deref().unwrap_or(i.id());
            (i.id().to_string(), title.to_string())
        })
        .collect();
    let points = drafting::point_inputs(text);
    let n = points.len();
    // Where a merged or split point comes from, by the revised version's
    // point numbers (its keys mean nothing to a reader).
    let base = text
        .str("derived_from_text_id")
        .and_then(|b| a.room().get(Kind::Text, b));
    let origin = |keys: &[String]| -> Option<String> {
        if keys.is_empty() {
            return None;
        }
        let base = base?;
        let numbers: Vec<String> = keys
            .iter()
            .map(|k| {
                drafting::point_inputs(base)
                    .iter()
                    .position(|p| &p.key == k)
                    .map(|i| (i + 1).to_string())
                    .unwrap_or_else(|| k.clone())
            })
            .collect();
        let what = if numbers.len() == 1 {
            "point"
        } else {
            "points"
        };
        Some(format!(
            "from {what} {} of {}",
            numbers.join(" + "),
            base.str("label").unwrap_or(&base.id)
        ))
    };
    let rows: Vec<Value> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "key": p.key,
                "number": i + 1,
                "title": p.title,
                "body": p.body,
                "paragraphs": p.body.split("\n\n").filter(|s| !s.is_empty()).count(),
                // The edit box fits the wording (a few lines to spare).
                "rows": (p.body.lines().count() + 2).clamp(4, 30),
                "derived_from": p.derived_from,
                "origin": origin(&p.derived_from),
                "next": points.get(i + 1).map(|q| q.key.clone()),
                "up": (i > 0).then_some(i),
                "down": (i + 1 < n).then_some(i + 2),
                "issues": issues.iter().map(|(id, title)| json!({
                    "id": id, "title": title, "checked": p.issue_ids.contains(id),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Some(json!({
        "points": rows,
        "issues": issues.iter().map(|(id, title)| json!({"id": id, "title": title})).collect::<Vec<_>>(),
    }))
}

/// Parses a form and checks its CSRF token, then loads the room.
async fn begin(
    state: &AppState,
    caller: &Caller,
    room: &str,
    body: &[u8],
) -> Result<(FormData, RoomAccess), ApiError> {
    let form = FormData::parse(body)?;
    form.check_csrf(caller)?;
    Ok((form, access(state, caller, room).await?))
}

/// Back to the draft, at the point the operation left.
fn back(room: &str, id: &str, key: &str) -> UiResult {
    Ok(Redirect::to(&format!(
        "/rooms/{}/texts/{}?done=draft#point-{}.{}",
        urlpart(room.to_string()),
        urlpart(id.to_string()),
        urlpart(id.to_string()),
        urlpart(key.to_string())
    ))
    .into_response())
}

/// A number field of a form, named in the error when it is not one.
fn number(form: &FormData, field: &str) -> Result<usize, ApiError> {
    form.get(field)
        .parse()
        .map_err(|_| ApiError::field(field, "expected a number"))
}

fn content(form: &FormData) -> PointContent {
    PointContent {
        title: form.get("title").to_string(),
        body: form.raw("body").to_string(),
        issue_ids: form.all("issue_ids"),
    }
}

async fn ui_add(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, id)): P<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let c = content(&form);
    let position = match form.opt("position") {
        Some(_) => Some(number(&form, "position")?),
        None => None,
    };
    let new = NewPoint {
        key: form.opt("key"),
        title: c.title,
        body: c.body,
        issue_ids: c.issue_ids,
        position,
    };
    let (_, key) = apply(&state, &a, &id, "text.point.add", None, |ps, base| {
        drafting::add(ps, base, new)
    })
    .await?;
    back(&room, &id, &key)
}

async fn ui_edit(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, id, key)): P<(String, String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let c = content(&form);
    apply(&state, &a, &id, "text.point.edit", Some(&key), |ps, _| {
        drafting::edit(ps, &key, c)
    })
    .await?;
    back(&room, &id, &key)
}

async fn ui_action(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, id, key, action)): P<(String, String, String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let landed = match action.as_str() {
        "move" => {
            let to = number(&form, "to")?;
            apply(&state, &a, &id, "text.point.move", Some(&key), |ps, _| {
                drafting::move_to(ps, &key, to)
            })
            .await?;
            key
        }
        "merge" => {
            let with = form.get("with").to_string();
            apply(
                &state,
                &a,
                &id,
                "text.point.merge",
                Some(&key),
                |ps, base| drafting::merge(ps, base, &key, &with),
            )
            .await?;
            key
        }
        "split" => {
            let opt_number = |f: &str| match form.opt(f) {
                Some(_) => number(&form, f).map(Some),
                None => Ok(None),
            };
            let input = SplitInput {
                at: opt_number("at")?,
                paragraph: opt_number("paragraph")?,
                new_key: form.opt("new_key"),
                new_title: form.opt("new_title"),
            };
            split(&state, &a, &id, &key, input).await?.1
        }
        "delete" => {
            apply(&state, &a, &id, "text.point.delete", Some(&key), |ps, _| {
                drafting::delete(ps, &key)
            })
            .await?;
            return Ok(Redirect::to(&format!(
                "/rooms/{}/texts/{}?done=draft#points",
                urlpart(room.clone()),
                urlpart(id.clone())
            ))
            .into_response());
        }
        _ => return Err(ApiError::not_found().into()),
    };
    back(&room, &id, &landed)
}

async fn ui_revise(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, id)): P<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let r = revise(&state, &a, &id, form.get("label")).await?;
    Ok(Redirect::to(&format!(
        "/rooms/{}/texts/{}?done=draft",
        urlpart(room.clone()),
        urlpart(r.id)
    ))
    .into_response())
}
