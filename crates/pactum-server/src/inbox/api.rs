//! The inbox's JSON API: the inbox and its read marks, a room's followed
//! points, and the caller's webhooks.

use crate::access::{inbox as store, RoomAccess};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{JsonBody, P};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

pub(super) async fn inbox(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let items = super::items(&state, &caller.user, Some("read")).await?;
    let unread = items.iter().filter(|i| !i.read).count();
    Ok(Json(json!({"unread": unread, "items": items})))
}

/// The unread count alone (what the page chrome shows): no item is shown,
/// so no read is logged.
pub(super) async fn unread(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    let items = super::items(&state, &caller.user, None).await?;
    Ok(Json(
        json!({"unread": items.iter().filter(|i| !i.read).count()}),
    ))
}

/// Which items to mark read: some by key, or every current one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReadInput {
    #[serde(default)]
    items: Vec<String>,
    #[serde(default)]
    all: bool,
}

/// Marks items read; only keys of the caller's current items count, so a
/// read mark can never name anything but what the inbox showed.
pub(super) async fn mark(
    state: &AppState,
    user: &str,
    keys: &[String],
    all: bool,
) -> ApiResult<usize> {
    let items = super::items(state, user, None).await?;
    let chosen: Vec<String> = items
        .into_iter()
        .filter(|i| !i.read && (all || keys.contains(&i.key)))
        .map(|i| i.key)
        .collect();
    if !all && keys.is_empty() {
        return Err(ApiError::field(
            "items",
            "name at least one item, or give \"all\": true",
        ));
    }
    store::mark_read(state, user, &chosen).await?;
    Ok(chosen.len())
}

pub(super) async fn read(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<ReadInput>,
) -> ApiResult<Json<Value>> {
    let marked = mark(&state, &caller.user, &input.items, input.all).await?;
    Ok(Json(json!({"marked": marked})))
}

/// A point to follow or unfollow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FollowInput {
    point_id: String,
}

pub(super) async fn follows(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    Ok(Json(
        json!({"point_ids": store::follows(&state, &a).await?}),
    ))
}

pub(super) async fn follow(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<FollowInput>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    super::check_point(&a, &input.point_id)?;
    store::set_follow(&state, &a, &input.point_id, true).await?;
    Ok(Json(json!({"point_id": input.point_id, "following": true})))
}

pub(super) async fn unfollow(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<FollowInput>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    store::set_follow(&state, &a, &input.point_id, false).await?;
    Ok(Json(
        json!({"point_id": input.point_id, "following": false}),
    ))
}

/// A webhook to add.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WebhookInput {
    url: String,
}

fn hook_json(h: &pactum_store::WebhookRow) -> Value {
    json!({"id": h.id, "url": h.url, "created_at": h.created_at})
}

pub(super) async fn webhooks(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    let hooks = store::webhooks_of(&state, &caller.user).await?;
    Ok(Json(Value::Array(hooks.iter().map(hook_json).collect())))
}

pub(super) async fn add_webhook(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(input): JsonBody<WebhookInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let hook = super::hooks::add(&state, &caller.user, &input.url, &headers).await?;
    Ok((StatusCode::CREATED, Json(hook_json(&hook))))
}

pub(super) async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    P(id): P<String>,
) -> ApiResult<StatusCode> {
    match store::delete_webhook(&state, &caller.user, &id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e),
    }
}
