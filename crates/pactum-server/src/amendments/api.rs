//! The JSON API of this feature.

use super::AmendmentFilter;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::{access, created, out, JsonBody, P, Q};
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pactum_workspace::amendment::{AmendmentInput, CommentInput, StatusInput};
use pactum_workspace::body::{Amendment, Comment};
use pactum_workspace::model::Record;
use serde::Deserialize;
use serde_json::json;

fn empty(o: &Option<String>) -> bool {
    o.as_deref().is_none_or(str::is_empty)
}

pub(super) async fn amendments(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(f): Q<AmendmentFilter>,
) -> ApiResult<Json<serde_json::Value>> {
    let a = access(&state, &caller, &room).await?;
    let items: Vec<&Record> = a
        .room()
        .each::<Amendment>()
        .filter(|x| empty(&f.text) || x.text_id == f.text)
        .filter(|x| empty(&f.point) || x.point_id == f.point)
        .filter(|x| empty(&f.status) || Some(x.status.as_str()) == f.status.as_deref())
        .map(|x| x.record)
        .collect();
    a.audit_reads(&state, "read", items.iter().copied()).await?;
    Ok(Json(json!(items.into_iter().map(out).collect::<Vec<_>>())))
}

pub(super) async fn table(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<AmendmentInput>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    Ok(created(&super::table(&state, &a, input).await?))
}

pub(super) async fn status(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<StatusInput>,
) -> ApiResult<Json<serde_json::Value>> {
    let a = access(&state, &caller, &room).await?;
    let r = super::set_status(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

/// The amendment to incorporate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IncorporateInput {
    amendment_id: String,
}

pub(super) async fn incorporate(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<IncorporateInput>,
) -> ApiResult<Json<serde_json::Value>> {
    let a = access(&state, &caller, &room).await?;
    let (text, am, inc) = super::incorporate(&state, &a, &id, &input.amendment_id).await?;
    Ok(Json(json!({
        "key": inc.key,
        "action": inc.action,
        "text": out(&text),
        "amendment": out(&am),
    })))
}

pub(super) async fn comments(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(f): Q<AmendmentFilter>,
) -> ApiResult<Json<serde_json::Value>> {
    let a = access(&state, &caller, &room).await?;
    let root_of = |c: &Comment| -> bool {
        (empty(&f.text) || c.target.text_id == f.text)
            && (empty(&f.point) || c.target.point_id == f.point)
            && (empty(&f.amendment) || c.target.amendment_id == f.amendment)
    };
    let items: Vec<&Record> = a
        .room()
        .each::<Comment>()
        .filter(|c| root_of(c))
        .map(|c| c.record)
        .collect();
    a.audit_reads(&state, "read", items.iter().copied()).await?;
    Ok(Json(json!(items.into_iter().map(out).collect::<Vec<_>>())))
}

pub(super) async fn add_comment(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<CommentInput>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    Ok(created(&super::add_comment(&state, &a, input).await?))
}

/// Resolve (the default) or reopen a thread.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResolveInput {
    #[serde(default = "yes")]
    resolved: bool,
}

fn yes() -> bool {
    true
}

pub(super) async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<ResolveInput>,
) -> ApiResult<Response> {
    let a = access(&state, &caller, &room).await?;
    let r = super::resolve(&state, &a, &id, input.resolved).await?;
    Ok(Json(json!(out(&r))).into_response())
}
