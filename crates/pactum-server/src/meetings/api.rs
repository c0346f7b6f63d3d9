//! The JSON API of this feature.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::{access_for_write, created, JsonBody, P};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use pactum_workspace::model::{DocumentInput, MeetingInput, NoteInput};

pub(super) async fn add_meeting(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<MeetingInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(
        &crate::meetings::add_meeting(&state, &a, input).await?,
    ))
}

pub(super) async fn add_document(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<DocumentInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(
        &crate::meetings::add_document(&state, &a, input).await?,
    ))
}

pub(super) async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<NoteInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(
        &crate::meetings::add_note(&state, &a, input).await?,
    ))
}
