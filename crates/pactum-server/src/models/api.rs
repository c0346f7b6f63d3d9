//! The JSON API of models, the mediator's analysis and single-text
//! sessions, over the operations in [`crate::models`].

use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{out, view, JsonBody, P};
use crate::models;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pactum_workspace::model::{Kind, Record};
use pactum_workspace::preference::PreferenceInput;
use pactum_workspace::session::{ProposalInput, SessionInput, VoteInput};
use serde::Deserialize;
use serde_json::{json, Value};

fn created(r: &Record) -> Response {
    (StatusCode::CREATED, Json(json!(out(r)))).into_response()
}

// ------------------------------------------- models, analysis, sessions

/// Model writes validate against parties, issues and the party's own model.
const MODEL_CONTEXT: &[Kind] = &[Kind::Issue, Kind::Preference];

pub(super) async fn access_for_model(
    state: &AppState,
    caller: &Caller,
    room: &str,
) -> ApiResult<RoomAccess> {
    RoomAccess::load_kinds(state, &caller.user, room, Some(MODEL_CONTEXT)).await
}

pub(super) async fn put_preference(
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
    let r = models::put_preference(&state, &a, input).await?;
    Ok(Json(json!(out(&r))))
}

pub(super) async fn put_genius(
    State(state): State<AppState>,
    caller: Caller,
    P((room, party)): P<(String, String)>,
    JsonBody(input): JsonBody<models::GeniusInput>,
) -> ApiResult<Json<Value>> {
    let a = access_for_model(&state, &caller, &room).await?;
    let r = models::put_genius(&state, &a, &party, input).await?;
    Ok(Json(json!(out(&r))))
}

pub(super) async fn delete_preference(
    State(state): State<AppState>,
    caller: Caller,
    P((room, party)): P<(String, String)>,
) -> ApiResult<StatusCode> {
    let a = access_for_model(&state, &caller, &room).await?;
    models::delete_preference(&state, &a, &party).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn analysis(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    view(models::analysis(&state, &a).await?)
}

pub(super) async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<models::SettingsInput>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let r = models::put_settings(&state, &a, input).await?;
    Ok(Json(json!(out(&r))))
}

pub(super) async fn session(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let s = a
        .room()
        .get(Kind::Session, &id)
        .ok_or_else(ApiError::not_found)?;
    let mut shown = vec![s];
    shown.extend(models::votes_of(&a, s));
    a.audit_reads(&state, "read", shown).await?;
    Ok(Json(models::session_json(&a, s)))
}

pub(super) async fn open_session(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<SessionInput>,
) -> ApiResult<Response> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    Ok(created(&models::open_session(&state, &a, input).await?))
}

pub(super) async fn propose(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<ProposalInput>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let r = models::propose(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

pub(super) async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<VoteInput>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let r = models::vote(&state, &a, &id, input).await?;
    Ok(Json(json!(out(&r))))
}

/// An empty JSON object, for actions that take no parameters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Empty {}

pub(super) async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(Empty {}): JsonBody<Empty>,
) -> ApiResult<Json<Value>> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let r = models::decide(&state, &a, &id).await?;
    Ok(Json(json!(out(&r))))
}

pub(super) async fn close(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(Empty {}): JsonBody<Empty>,
) -> ApiResult<Response> {
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    Ok(created(&models::close(&state, &a, &id).await?))
}
