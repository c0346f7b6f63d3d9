//! The inbox's pages and forms: the inbox, marking read, following a
//! point, and the account page's webhooks.

use crate::access::{inbox as store, RoomAccess};
use crate::ui::pages::room_path;
use crate::ui::{chrome, page, FormData, Session, UiError, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde_json::{json, Value};
use std::collections::HashMap;

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "version_published" => "New version",
        "amendment" => "Amendment",
        "stance" => "Stance",
        "proposal" => "Vote",
        "invitation_accepted" => "Invitation",
        _ => "Item",
    }
}

pub(super) async fn inbox(State(state): State<AppState>, Session(caller): Session) -> UiResult {
    let items = super::items(&state, &caller.user, Some("view")).await?;
    let titles: HashMap<String, String> = crate::access::seats_of(&state, &caller.user)
        .await?
        .into_iter()
        .map(|(r, _)| (r.id, r.title))
        .collect();
    let unread = items.iter().filter(|i| !i.read).count();
    let list: Vec<Value> = items
        .iter()
        .rev()
        .map(|i| {
            json!({
                "key": i.key, "kind": i.kind, "kind_label": kind_label(i.kind),
                "title": i.title, "link": i.link, "read": i.read,
                "room_title": titles.get(&i.room).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let mut ctx = chrome(&state, &caller, None, "inbox", "Inbox").await?;
    ctx.insert("items".into(), Value::Array(list));
    ctx.insert("unread".into(), unread.into());
    Ok(page(StatusCode::OK, "inbox.html", &Value::Object(ctx)))
}

pub(super) async fn read(
    State(state): State<AppState>,
    Session(caller): Session,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    let all = !form.get("all").is_empty();
    let keys: Vec<String> = [form.get("item")]
        .into_iter()
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    super::api::mark(&state, &caller.user, &keys, all).await?;
    Ok(Redirect::to("/inbox").into_response())
}

pub(super) async fn follow(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    let a = RoomAccess::load(&state, &caller.user, &room).await?;
    let point = form.get("point_id");
    let on = form.get("on") != "0";
    if on {
        super::check_point(&a, point)?;
    }
    store::set_follow(&state, &a, point, on).await?;
    let text = form.get("text_id");
    let back = if text.is_empty() {
        room_path(&room, "")
    } else {
        room_path(
            &room,
            &format!(
                "/texts/{}#point-{}",
                crate::ui::urlpart(text.to_string()),
                crate::ui::urlpart(point.to_string())
            ),
        )
    };
    Ok(Redirect::to(&back).into_response())
}

pub(super) async fn add_webhook(
    State(state): State<AppState>,
    Session(caller): Session,
    headers: HeaderMap,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    match super::hooks::add(&state, &caller.user, form.get("url"), &headers).await {
        Ok(_) => Ok(Redirect::to("/account?done=webhook").into_response()),
        Err(e) if e.status.is_client_error() => {
            crate::people::account_view(&state, &caller, None, Some(&e)).await
        }
        Err(e) => Err(UiError(e)),
    }
}

pub(super) async fn delete_webhook(
    State(state): State<AppState>,
    Session(caller): Session,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    store::delete_webhook(&state, &caller.user, form.get("id")).await?;
    Ok(Redirect::to("/account?done=webhook-deleted").into_response())
}
