//! Rooms: the caller's rooms, a room's overview, timeline, export, audit
//! trail and briefing (API and UI).

use crate::access::RoomAccess;
use crate::error::ApiResult;
use crate::AppState;
use axum::routing::get;
use axum::Router;
use pactum_workspace::case;
use pactum_workspace::model::Record;

mod api;
pub(crate) mod ui;

/// The room as a case file, holding only what the user may see, with the
/// files of the documents the user may see.
pub async fn export(state: &AppState, access: &RoomAccess) -> ApiResult<serde_json::Value> {
    let files: Vec<case::CaseFile> = access
        .document_files_with_bytes(state)
        .await?
        .into_iter()
        .map(crate::access::files::case_file)
        .collect();
    Ok(case::export_with_files(
        access.room_id(),
        access.title(),
        access.room().records(),
        &files,
    ))
}

/// The user's briefing: built from the records the user may see (the
/// renderer filters them once more), with the zone status when one has been
/// computed for the room. `prepared_at` (RFC 3339) is printed to the minute.
pub fn briefing(
    access: &RoomAccess,
    zone: Option<&pactum_workspace::briefing::ZoneStatus>,
    prepared_at: Option<&str>,
) -> pactum_workspace::briefing::Briefing {
    pactum_workspace::briefing::Briefing::new(pactum_workspace::briefing::BriefingInput {
        room_id: access.room_id(),
        title: access.title(),
        user: access.user(),
        viewer: access.viewer(),
        records: access.room().records(),
        zone,
        prepared_at: prepared_at
            .map(|at| match (at.get(..10), at.get(11..16)) {
                (Some(d), Some(t)) => format!("{d} {t} UTC"),
                _ => at.to_string(),
            })
            .as_deref(),
    })
}

/// The records a briefing shows, for the read audit.
pub fn briefing_records<'a>(
    access: &'a RoomAccess,
    briefing: &pactum_workspace::briefing::Briefing,
) -> Vec<&'a Record> {
    briefing
        .shown()
        .iter()
        .filter_map(|(kind, id)| access.room().get(*kind, id))
        .collect()
}

/// The rooms routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/rooms", get(api::rooms))
        .route("/api/rooms/{room}", get(api::room))
        .route("/api/rooms/{room}/timeline", get(api::timeline))
        .route("/api/rooms/{room}/export", get(api::export))
        .route("/api/rooms/{room}/audit", get(api::audit))
        .route("/", get(ui::rooms))
        .route("/rooms/{room}", get(ui::overview))
        .route("/rooms/{room}/audit", get(ui::audit))
}
