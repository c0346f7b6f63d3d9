//! The store side of the inbox: each user's own follows, read marks, room
//! visits and webhooks, and the one room read the inbox needs beyond
//! [`RoomAccess::load`] (when the records a user may see last changed).
//!
//! Nothing here returns a record: inbox items are derived in
//! [`crate::inbox`] from the records [`RoomAccess::load`] gives, so what a
//! user is told follows what the user may see.

use super::{AppState, RoomAccess};
use crate::error::ApiResult;
use pactum_store::{InvitationRow, NewAudit, WebhookRow};
use pactum_workspace::model::{Kind, Record};

/// Follows or unfollows a point for the access's user.
pub async fn set_follow(
    state: &AppState,
    a: &RoomAccess,
    point_id: &str,
    on: bool,
) -> ApiResult<()> {
    Ok(state
        .store
        .set_follow(a.user(), a.room_id(), point_id, on)
        .await?)
}

/// The points of the room the access's user follows.
pub async fn follows(state: &AppState, a: &RoomAccess) -> ApiResult<Vec<String>> {
    Ok(state.store.follows(a.user(), a.room_id()).await?)
}

/// Marks items read for a user.
pub async fn mark_read(state: &AppState, user: &str, items: &[String]) -> ApiResult<()> {
    Ok(state.store.mark_read(user, items).await?)
}

/// The keys of the items a user has read.
pub async fn read_marks(state: &AppState, user: &str) -> ApiResult<Vec<String>> {
    Ok(state.store.read_marks(user).await?)
}

/// Records a view of the room's overview now; returns when the user's
/// previous visit ended (views less than `gap` apart are one visit).
pub async fn visit(
    state: &AppState,
    a: &RoomAccess,
    gap: std::time::Duration,
) -> ApiResult<Option<String>> {
    let now = time::OffsetDateTime::now_utc();
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    Ok(state
        .store
        .visit_room(a.user(), a.room_id(), &fmt(now), &fmt(now - gap))
        .await?)
}

/// The room's invitations, for those who manage its people (the mediator):
/// the inbox tells them when one is accepted.
pub async fn invitations(state: &AppState, a: &RoomAccess) -> ApiResult<Vec<InvitationRow>> {
    if !a.is_mediator() {
        return Ok(Vec::new());
    }
    Ok(state.store.invitations(a.room_id()).await?)
}

impl RoomAccess {
    /// The records the user may see that were written after `since` (RFC
    /// 3339), newest first: what "since your last visit" lists. Only
    /// records this view holds are returned, so a write the user may not
    /// see is never counted.
    pub async fn changed_since(&self, state: &AppState, since: &str) -> ApiResult<Vec<&Record>> {
        Ok(state
            .store
            .changed_since(&self.room_id, since)
            .await?
            .iter()
            .filter_map(|(kind, id, _)| self.room.get(Kind::parse(kind)?, id))
            .collect())
    }
}

/// A user's webhooks.
pub async fn webhooks_of(state: &AppState, user: &str) -> ApiResult<Vec<WebhookRow>> {
    Ok(state.store.webhooks_of(user).await?)
}

/// The webhooks of the users seated in a room.
pub async fn webhooks_in_room(state: &AppState, room: &str) -> ApiResult<Vec<WebhookRow>> {
    Ok(state.store.webhooks_in_room(room).await?)
}

/// Adds a webhook for its user, audited.
pub async fn add_webhook(state: &AppState, hook: &WebhookRow) -> ApiResult<()> {
    let mut audit = NewAudit::new(&hook.user, "webhook.add");
    audit.detail = hook.id.clone();
    Ok(state.store.add_webhook(hook, audit).await?)
}

/// Deletes one of a user's webhooks, audited.
pub async fn delete_webhook(state: &AppState, user: &str, id: &str) -> ApiResult<()> {
    let mut audit = NewAudit::new(user, "webhook.delete");
    audit.detail = id.to_string();
    // Someone else's webhook answers as a missing one.
    match state.store.delete_webhook(user, id, audit).await {
        Err(pactum_store::StoreError::NotFound { .. }) => Err(crate::error::ApiError::not_found()),
        r => Ok(r?),
    }
}
