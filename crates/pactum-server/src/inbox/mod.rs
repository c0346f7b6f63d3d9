//! Each user's inbox: versions published to their party, amendments and
//! stances on points they follow, single-text proposals awaiting their
//! party's vote, and (for those who manage a room's people) invitations
//! accepted.
//!
//! Items are derived, never stored: [`items`] reads each of the user's
//! rooms through [`RoomAccess::load`], so an item (and every count) exists
//! only for a record the user may see. What is stored is the user's own
//! state (follows, read marks, last visits, webhooks; see
//! [`crate::access::inbox`]). Webhooks ([`hooks`]) carry a kind and a link,
//! never content.

use crate::access::{inbox as store, RoomAccess};
use crate::error::{ApiError, ApiResult};
use crate::ui::pages::room_path;
use crate::ui::urlpart;
use crate::AppState;
use axum::routing::{delete, get, post};
use axum::Router;
use pactum_store::InvitationState;
use pactum_workspace::body::{Text, TextStatus};
use pactum_workspace::session::{vote_id, SessionView};
use serde::Serialize;
use std::collections::HashSet;

mod api;
pub mod hooks;
mod ui;

/// One inbox item.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Stable key (what a read mark names).
    pub key: String,
    /// `version_published`, `amendment`, `stance`, `proposal` or
    /// `invitation_accepted`.
    pub kind: &'static str,
    /// Room id.
    pub room: String,
    /// The record the item is about (kind and id).
    pub record_kind: String,
    /// Its id.
    pub record_id: String,
    /// What the item says, from what the user may see.
    pub title: String,
    /// Where it is (a path of this server).
    pub link: String,
    /// Whether the user marked it read.
    pub read: bool,
}

/// The items of one room, as its user may see them: `follows` are the
/// user's followed points there. Read marks are applied by the caller.
pub fn items_in(
    a: &RoomAccess,
    follows: &[String],
    invitations: &[pactum_store::InvitationRow],
) -> Vec<Item> {
    let room = a.room_id();
    let party = a.party_id();
    let follows: HashSet<&str> = follows.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    let item = |kind: &'static str, key: String, rk: &str, id: &str, title: String, link| Item {
        key,
        kind,
        room: room.to_string(),
        record_kind: rk.to_string(),
        record_id: id.to_string(),
        title,
        link,
        read: false,
    };
    for r in a.room().records() {
        let text_link = |text: &str, point: Option<&str>| {
            let anchor = point.map_or(String::new(), |p| format!("#point-{p}"));
            room_path(
                room,
                &format!("/texts/{}{anchor}", urlpart(text.to_string())),
            )
        };
        match r.kind.as_str() {
            "text" if !a.is_mediator() => {
                let Some(t) = a.room().find::<Text>(&r.id) else {
                    continue;
                };
                let published = t
                    .body
                    .status
                    .as_ref()
                    .is_some_and(|s| s.known() == Some(TextStatus::Published));
                if published {
                    let title = match (t.body.label.as_deref(), t.body.version) {
                        (Some(l), _) => l.to_string(),
                        (None, Some(n)) => format!("Version {n}"),
                        (None, None) => "A version".to_string(),
                    };
                    out.push(item(
                        "version_published",
                        format!("version_published:{room}:{}", r.id),
                        "text",
                        &r.id,
                        format!("Published to you: {title}"),
                        text_link(&r.id, None),
                    ));
                }
            }
            "stance" | "amendment" => {
                let point = match r.kind.as_str() {
                    "stance" => r
                        .body
                        .get("target")
                        .and_then(|t| t.get("point_id"))
                        .and_then(|p| p.as_str()),
                    _ => r.str("point_id"),
                };
                let Some(point) = point.filter(|p| follows.contains(p)) else {
                    continue;
                };
                if r.str("party_id") == Some(party) {
                    continue;
                }
                let text = r
                    .body
                    .get("target")
                    .and_then(|t| t.get("text_id"))
                    .and_then(|p| p.as_str())
                    .or(r.str("text_id"));
                let link = match text {
                    Some(t) => text_link(t, Some(point)),
                    None => room_path(room, "/stances"),
                };
                let kind = if r.kind.as_str() == "stance" {
                    "stance"
                } else {
                    "amendment"
                };
                let names = a.room().party_names();
                let who = r
                    .str("party_id")
                    .map(|p| names.get(p).copied().unwrap_or(p).to_string())
                    .unwrap_or_else(|| "A party".to_string());
                out.push(item(
                    kind,
                    format!("{kind}:{room}:{}", r.id),
                    r.kind.as_str(),
                    &r.id,
                    format!("{who}: {} on point {point}", kind.replace('_', " ")),
                    link,
                ));
            }
            "session" => {
                let s = SessionView::parse(r);
                if !s.open || s.proposal.is_none() || !s.parties.iter().any(|p| p == party) {
                    continue;
                }
                let voted =
                    a.room().records().iter().any(|v| {
                        v.kind.as_str() == "vote" && v.id == vote_id(&s.id, s.round, party)
                    });
                if !voted {
                    out.push(item(
                        "proposal",
                        format!("proposal:{room}:{}:r{}", r.id, s.round),
                        "session",
                        &r.id,
                        format!("Awaiting your vote: {} (round {})", s.title, s.round),
                        room_path(room, &format!("/sessions/{}", urlpart(r.id.clone()))),
                    ));
                }
            }
            _ => {}
        }
    }
    for inv in invitations {
        if inv.state == InvitationState::Used {
            out.push(item(
                "invitation_accepted",
                format!("invitation_accepted:{room}:{}", inv.id),
                "invitation",
                &inv.id,
                format!(
                    "{} accepted an invitation for {}",
                    inv.used_by.as_deref().unwrap_or("someone"),
                    inv.party_id
                ),
                room_path(room, "/people"),
            ));
        }
    }
    out
}

/// The user's inbox across their rooms, each read as the user sees it,
/// with read marks applied. When the items are shown (`shown` names the
/// audit action: `read` for the API, `view` for the page), the restricted
/// records they are about are logged as read, one entry per room; a count
/// shows nothing and logs nothing.
pub async fn items(state: &AppState, user: &str, shown: Option<&str>) -> ApiResult<Vec<Item>> {
    let read: HashSet<String> = store::read_marks(state, user).await?.into_iter().collect();
    let mut out = Vec::new();
    for (room, _) in crate::access::seats_of(state, user).await? {
        let a = match RoomAccess::load(state, user, &room.id).await {
            Ok(a) => a,
            Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => continue,
            Err(e) => return Err(e),
        };
        let follows = store::follows(state, &a).await?;
        let invitations = store::invitations(state, &a).await?;
        let found = items_in(&a, &follows, &invitations);
        if let Some(action) = shown {
            let records = found.iter().filter_map(|i| {
                let kind = pactum_workspace::model::Kind::parse(&i.record_kind)?;
                a.room().get(kind, &i.record_id)
            });
            a.audit_reads(state, action, records).await?;
        }
        out.extend(found);
    }
    for i in &mut out {
        i.read = read.contains(&i.key);
    }
    Ok(out)
}

/// "Since your last visit" on a room's overview: when the user's previous
/// visit ended and the records the user may see written after it, each
/// with what the overview shows of it. Page views less than
/// [`AppState::visit_gap`] apart are one visit, so the list stays put while
/// the user works (and while an open overview refreshes itself).
pub async fn since_last_visit<'a>(
    state: &AppState,
    a: &'a RoomAccess,
) -> ApiResult<(
    Option<String>,
    Vec<(&'a pactum_workspace::model::Record, serde_json::Value)>,
)> {
    let since = store::visit(state, a, state.visit_gap).await?;
    let Some(since) = since else {
        return Ok((None, Vec::new()));
    };
    let room = a.room_id();
    let changed = a
        .changed_since(state, &since)
        .await?
        .into_iter()
        .take(20)
        .map(|r| {
            let name = ["label", "title", "summary", "name"]
                .iter()
                .find_map(|f| r.str(f))
                .unwrap_or(&r.id);
            let href = match r.kind.as_str() {
                "text" => room_path(room, &format!("/texts/{}", urlpart(r.id.clone()))),
                "meeting" => room_path(room, "/meetings"),
                "stance" => room_path(room, "/stances"),
                "document" | "note" => room_path(room, "/documents"),
                "session" | "vote" => room_path(room, "/sessions"),
                _ => String::new(),
            };
            let v = serde_json::json!({
                "kind": r.kind.as_str(), "id": r.id, "name": name, "href": href,
            });
            (r, v)
        })
        .collect();
    Ok((Some(since), changed))
}

/// Checks that `point_id` names a point of a text the user may see.
pub fn check_point(a: &RoomAccess, point_id: &str) -> ApiResult<()> {
    let known = a
        .room()
        .each::<Text>()
        .any(|t| t.body.points.iter().any(|p| p.id == point_id));
    if point_id.trim().is_empty() || !known {
        return Err(ApiError::field(
            "point_id",
            "must be the id of a point of a text in this room",
        ));
    }
    Ok(())
}

/// The inbox routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/inbox", get(api::inbox))
        .route("/api/inbox/unread", get(api::unread))
        .route("/api/inbox/read", post(api::read))
        .route(
            "/api/rooms/{room}/follows",
            get(api::follows).post(api::follow).delete(api::unfollow),
        )
        .route("/api/webhooks", get(api::webhooks).post(api::add_webhook))
        .route("/api/webhooks/{id}", delete(api::delete_webhook))
        .route("/inbox", get(ui::inbox))
        .route("/inbox/read", post(ui::read))
        .route("/rooms/{room}/follow", post(ui::follow))
        .route("/account/webhooks", post(ui::add_webhook))
        .route("/account/webhooks/delete", post(ui::delete_webhook))
}
