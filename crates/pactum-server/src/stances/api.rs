//! The JSON API of this feature.

use super::StanceFilter;
use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::{access, created, out, JsonBody, P, Q};
use crate::pagination::PageQuery;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use pactum_workspace::body::Stance;
use pactum_workspace::model::{Kind, Record, StanceInput};
use serde_json::json;

pub(super) async fn stances(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(filter): Q<StanceFilter>,
    Q(q): Q<PageQuery>,
) -> ApiResult<Response> {
    let window = q.window()?;
    let a = access(&state, &caller, &room).await?;
    let items: Vec<&Record> = a
        .room()
        .each::<Stance>()
        .filter(|s| filter.matches(s))
        .map(|s| s.record)
        .collect();
    let page = window.of(&items);
    a.audit_reads(&state, "read", page.items.iter().copied())
        .await?;
    Ok(page.answer(json!(page
        .items
        .iter()
        .copied()
        .map(out)
        .collect::<Vec<_>>())))
}

pub(super) async fn add_stance(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    JsonBody(input): JsonBody<StanceInput>,
) -> ApiResult<Response> {
    // Stances are the busiest write: load only the kinds this one refers to
    // (validation never looks at the others), not every text of the room.
    let t = &input.target;
    let mut kinds = vec![Kind::Issue];
    if t.text_id.is_some() || t.point_id.is_some() {
        kinds.push(Kind::Text);
    }
    if t.amendment_id.is_some() {
        kinds.push(Kind::Amendment);
    }
    if input.meeting_id.is_some() {
        kinds.push(Kind::Meeting);
    }
    let a = RoomAccess::load_kinds(&state, &caller.user, &room, Some(&kinds)).await?;
    Ok(created(
        &crate::stances::add_stance(&state, &a, input).await?,
    ))
}
