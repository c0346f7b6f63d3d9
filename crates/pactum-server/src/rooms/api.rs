//! The JSON API of rooms: the caller's rooms, a room's overview,
//! timeline, export and audit trail.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::pagination::PageQuery;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use pactum_workspace::model::Kind;
use serde_json::{json, Value};

use crate::json::{access, view, P, Q};

pub(super) async fn rooms(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let mut out = Vec::new();
    for (r, m) in crate::access::seats_of(&state, &caller.user).await? {
        out.push(json!({"id": r.id, "title": r.title, "party_id": m.party_id}));
    }
    Ok(Json(Value::Array(out)))
}

pub(super) async fn room(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let mut counts = serde_json::Map::new();
    for kind in Kind::ALL {
        counts.insert(kind.as_str().into(), a.room().of(kind).count().into());
    }
    Ok(Json(json!({
        "id": a.room_id(), "title": a.title(), "party_id": a.party_id(), "role": a.role(),
        "mediator": a.room().mediator(), "counts": counts,
    })))
}

pub(super) async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(q): Q<PageQuery>,
) -> ApiResult<Response> {
    let window = q.window()?;
    let a = access(&state, &caller, &room).await?;
    let items = a.room().timeline();
    let page = window.of(&items);
    let shown = page
        .items
        .iter()
        .filter_map(|i| a.room().get(i.kind, &i.id));
    a.audit_reads(&state, "read", shown).await?;
    Ok(page.answer(view(page.items)?.0))
}

pub(super) async fn export(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    a.audit_reads(&state, "export", a.room().records()).await?;
    Ok(Json(super::export(&state, &a).await?))
}

pub(super) async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(q): Q<PageQuery>,
) -> ApiResult<Response> {
    let window = q.window()?;
    let a = access(&state, &caller, &room).await?;
    a.mediator()?;
    // Entries about records the mediator may not see (a party's private
    // notes and models) are left out: their ids are theirs too. Entries are
    // numbered by their place in what the mediator may read (`n`); the
    // log's own sequence numbers and hashes would show where entries were
    // left out.
    let entries = a.audit_log(&state).await?;
    let page = window.of(&entries);
    Ok(page.answer(json!(page
        .items
        .iter()
        .enumerate()
        .map(|(i, e)| json!({
            "n": page.after + i + 1, "at": e.at, "actor": e.actor, "action": e.action,
            "kind": e.kind, "record_id": e.record_id, "detail": e.detail,
        }))
        .collect::<Vec<_>>())))
}
