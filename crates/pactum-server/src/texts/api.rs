//! The JSON API of this feature.

use super::PublishInput;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{access, access_for_write, created, out, view, JsonBody, P, Q};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use pactum_workspace::model::{DraftInput, Kind, Record};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub(super) struct DiffQuery {
    from: String,
    to: String,
    /// Compare the versions as they read in this language edition.
    #[serde(default)]
    edition: Option<String>,
}

pub(super) async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(q): Q<DiffQuery>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let d = match q.edition.as_deref().filter(|e| !e.is_empty()) {
        Some(language) => crate::texts::editions::diff_in(&a, &q.from, &q.to, language)?,
        None => crate::texts::diff(&a, &q.from, &q.to)?,
    };
    let shown = [&q.from, &q.to]
        .into_iter()
        .filter_map(|id| a.room().get(Kind::Text, id));
    a.audit_reads(&state, "read", shown).await?;
    view(d)
}

pub(super) async fn matrix(
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

pub(super) async fn add_draft(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<DraftInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(&crate::texts::add_draft(&state, &a, input).await?))
}

pub(super) async fn edit_draft(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<DraftInput>,
) -> ApiResult<Json<Value>> {
    let a = access_for_write(&state, &caller, &room).await?;
    let r = crate::texts::edit_draft(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

pub(super) async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<PublishInput>,
) -> ApiResult<Json<Value>> {
    let a = access_for_write(&state, &caller, &room).await?;
    let r = crate::texts::publish(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}
