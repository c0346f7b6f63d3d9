//! Meetings, documents and notes: recording them and their pages (API and UI).

use crate::access::RoomAccess;
use crate::error::{ApiError, ApiResult};
use crate::json::list_of;
use crate::AppState;
use axum::routing::get;
use axum::Router;
use pactum_workspace::model::{DocumentInput, Kind, MeetingInput, NoteInput, Record};
use pactum_workspace::Visibility;

mod api;
pub mod files;
pub mod ui;

/// Records a meeting (mediator only).
pub async fn add_meeting(
    state: &AppState,
    access: &RoomAccess,
    input: MeetingInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let record = input.into_record(access.room(), RoomAccess::new_id(Kind::Meeting))?;
    m.write(state, &record, "meeting.create").await?;
    Ok(record)
}

/// Attaches a document. The mediator's default audience is the room; a
/// party's is itself and the mediator.
pub async fn add_document(
    state: &AppState,
    access: &RoomAccess,
    input: DocumentInput,
) -> ApiResult<Record> {
    if access.role() == crate::access::Role::Observer {
        return Err(ApiError::forbidden("observers do not add documents"));
    }
    if let Some(v) = &input.visibility {
        access.may_choose(v)?;
    }
    let default = if access.is_mediator() {
        Visibility::Room
    } else {
        Visibility::PartyAndMediator {
            party: access.party_id().to_string(),
        }
    };
    let record = input.into_record(access.room(), RoomAccess::new_id(Kind::Document), default)?;
    access.write(state, &record, "document.create").await?;
    Ok(record)
}

/// Adds a note, private to the author's party unless it says otherwise.
pub async fn add_note(
    state: &AppState,
    access: &RoomAccess,
    input: NoteInput,
) -> ApiResult<Record> {
    if let Some(v) = &input.visibility {
        access.may_choose(v)?;
    }
    let default = if access.is_mediator() {
        Visibility::Mediator
    } else {
        Visibility::Party {
            party: access.party_id().to_string(),
        }
    };
    let record = input.into_record(
        access.room(),
        RoomAccess::new_id(Kind::Note),
        access.user(),
        default,
    )?;
    access.write(state, &record, "note.create").await?;
    Ok(record)
}

/// This feature's routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(files::routes())
        .route(
            "/api/rooms/{room}/meetings",
            list_of(Kind::Meeting).post(api::add_meeting),
        )
        .route(
            "/api/rooms/{room}/documents",
            list_of(Kind::Document).post(api::add_document),
        )
        .route(
            "/api/rooms/{room}/notes",
            list_of(Kind::Note).post(api::add_note),
        )
        .route(
            "/rooms/{room}/meetings",
            get(ui::meetings).post(ui::form_add_meeting),
        )
        .route(
            "/rooms/{room}/documents",
            get(ui::documents).post(ui::form_add_document),
        )
        .route(
            "/rooms/{room}/notes",
            get(ui::notes).post(ui::form_add_note),
        )
}
