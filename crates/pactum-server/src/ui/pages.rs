//! What every feature's pages share: loading the room ([`load`], through
//! [`RoomAccess`], only what the user may see), logging the restricted
//! records a page shows, as the API does for its reads, and the small
//! helpers of page contexts and re-shown forms.

use super::view::{self, Names};
use super::{urlpart, Fail};
use crate::access::RoomAccess;
use crate::error::ApiError;
use crate::AppState;
use axum::http::StatusCode;
use pactum_workspace::body::Party;
use pactum_workspace::model::{Record, Room};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// Loads the room as the user sees it.
pub(crate) async fn load(
    state: &AppState,
    caller: &crate::auth::Caller,
    room: &str,
) -> Result<RoomAccess, ApiError> {
    RoomAccess::load(state, &caller.user, room).await
}

/// Logs the restricted records a page shows, once each.
pub(crate) async fn audit_shown(
    state: &AppState,
    access: &RoomAccess,
    shown: Vec<&Record>,
) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    let unique: Vec<&Record> = shown
        .into_iter()
        .filter(|r| seen.insert((r.kind, r.id.as_str())))
        .collect();
    access.audit_reads(state, "view", unique).await
}

/// The path of a room page.
pub(crate) fn room_path(room: &str, rest: &str) -> String {
    format!("/rooms/{}{rest}", urlpart(room.to_string()))
}

/// A confirmation after a successful form, carried in the redirect's query
/// so that reloading the page does not post again.
pub(crate) fn done_message(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "stance" => "Stance recorded.",
        "draft" => "Draft saved.",
        "published" => "Published. The parties you chose can now see this version.",
        "rescoped" => "Audience changed.",
        "meeting" => "Meeting recorded.",
        "document" => "Document added.",
        "note" => "Note added.",
        "amendment" => "Amendment tabled.",
        "comment" => "Comment added.",
        "status" => "Status changed.",
        "incorporated" => "Amendment incorporated into this draft.",
        "file" => "File attached.",
        "edition" => "Edition saved.",
        _ => return None,
    })
}

/// The confirmation a form's redirect carries (see `done_message`).
#[derive(Deserialize, Default)]
pub(crate) struct DoneQuery {
    #[serde(default)]
    pub(crate) done: Option<String>,
}

/// Form defaults with what the user typed laid over them after an error.
pub(crate) fn form_values(defaults: Value, fail: Option<&Fail>, form: &str) -> Value {
    let mut map = match defaults {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Some(f) = fail.filter(|f| f.form == form) {
        for (k, v) in f.values.values() {
            map.insert(k, v);
        }
    }
    Value::Object(map)
}

pub(crate) fn error_of(fail: Option<&Fail>) -> Value {
    fail.map(Fail::json).unwrap_or(Value::Null)
}

pub(crate) fn status_of(fail: Option<&Fail>) -> StatusCode {
    fail.map(Fail::status).unwrap_or(StatusCode::OK)
}

pub(crate) fn today() -> String {
    crate::now().get(..10).unwrap_or_default().to_string()
}

/// The values a form submitted under a checkbox group.
pub(crate) fn submitted_list(fail: Option<&Fail>, form: &str, name: &str) -> Option<Vec<String>> {
    fail.filter(|f| f.form == form).map(|f| f.values.all(name))
}

/// Every version as the version selectors list them; a selector shows
/// each, so each goes into `shown` to be logged.
pub(crate) fn text_options<'r>(
    room: &'r Room,
    names: &Names<'_>,
    shown: &mut Vec<&'r Record>,
) -> Vec<Value> {
    room.versions()
        .into_iter()
        .map(|t| {
            shown.push(t.record);
            view::text_option(t, names)
        })
        .collect()
}

/// The parties as a party picker lists them.
pub(crate) fn party_choices(room: &Room) -> Vec<Value> {
    room.each::<Party>()
        .map(|p| json!({"id": p.id(), "name": p.name.as_deref().unwrap_or(p.id())}))
        .collect()
}

pub(crate) fn confidentiality_label(c: &str) -> &'static str {
    match c {
        "open" => "Open",
        "closed" => "Closed",
        "closed_with_nondisclosure" => "Closed, non-disclosure agreed",
        _ => "Confidentiality not reported",
    }
}
