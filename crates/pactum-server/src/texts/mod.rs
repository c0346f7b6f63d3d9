//! Texts: drafting whole versions, publishing, the point-by-point diff and redline, and the stance matrix of a text (API and UI; point-by-point drafting is `crate::drafting`).

use crate::access::RoomAccess;
use crate::error::{ApiError, ApiResult};
use crate::json::{list_of, one_by_id};
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use pactum_workspace::model::{self, DraftInput, Kind, Record};
use pactum_workspace::redline::{diff_texts, TextDiff};
use serde::Deserialize;

mod api;
pub mod editions;
pub mod ui;

/// Starts a draft version (mediator only).
pub async fn add_draft(
    state: &AppState,
    access: &RoomAccess,
    input: DraftInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let id = RoomAccess::new_id(Kind::Text);
    let record = input.into_record(access.room(), id.clone(), &id)?;
    m.write(state, &record, "text.draft").await?;
    Ok(record)
}

/// Replaces a draft's label and points; published versions never change.
pub async fn edit_draft(
    state: &AppState,
    access: &RoomAccess,
    text_id: &str,
    input: DraftInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let old = text(access, text_id)?;
    if !model::is_draft(old) {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "a published version never changes; start a new draft from it",
        ));
    }
    let mut record = input.into_record(access.room(), text_id.to_string(), text_id)?;
    for keep in ["version", pactum_workspace::amendment::INCORPORATED] {
        if let Some(v) = old.body.get(keep) {
            record.body.insert(keep.into(), v.clone());
        }
    }
    // Editions are edited on their own (`editions::add_edition`).
    for keep in pactum_workspace::editions::FIELDS {
        if let Some(v) = old.body.get(keep) {
            record.body.insert(keep.into(), v.clone());
        }
    }
    m.write(state, &record, "text.edit").await?;
    Ok(record)
}

/// A text version the user may see; one they may not answers as a missing
/// one does.
fn text<'a>(access: &'a RoomAccess, id: &str) -> ApiResult<&'a Record> {
    access
        .room()
        .get(Kind::Text, id)
        .ok_or_else(ApiError::not_found)
}

/// Who a version is published to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// Party ids.
    pub parties: Vec<String>,
}

/// Publishes a draft (or widens a published version's audience).
pub async fn publish(
    state: &AppState,
    access: &RoomAccess,
    text_id: &str,
    input: PublishInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let mut record = text(access, text_id)?.clone();
    model::publish(&mut record, &input.parties, &crate::now(), access.room())?;
    m.write(state, &record, "text.publish").await?;
    Ok(record)
}

/// The diff between two visible versions; a version the user may not see
/// answers as a missing one, and provenance is followed only through
/// versions the user may see.
pub fn diff(access: &RoomAccess, from: &str, to: &str) -> ApiResult<TextDiff> {
    let (old, new) = (text(access, from)?, text(access, to)?);
    Ok(diff_texts(access.room(), old, new))
}

/// This feature's routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(editions::routes())
        .route("/api/rooms/{room}/diff", get(api::diff))
        .route(
            "/api/rooms/{room}/texts",
            list_of(Kind::Text).post(api::add_draft),
        )
        .route(
            "/api/rooms/{room}/texts/{id}",
            one_by_id(Kind::Text).put(api::edit_draft),
        )
        .route("/api/rooms/{room}/texts/{id}/publish", post(api::publish))
        .route("/api/rooms/{room}/texts/{id}/matrix", get(api::matrix))
        .route(
            "/rooms/{room}/texts",
            get(ui::texts).post(ui::form_new_draft),
        )
        .route("/rooms/{room}/texts/new", get(ui::new_text))
        .route("/rooms/{room}/texts/{id}", get(ui::text))
        .route(
            "/rooms/{room}/texts/{id}/label",
            post(ui::form_rename_draft),
        )
        .route("/rooms/{room}/texts/{id}/publish", post(ui::form_publish))
        .route("/rooms/{room}/redline", get(ui::redline))
}
