//! Outbound webhooks: when a write makes a new inbox item for a user with
//! webhooks, each of them is posted `{"kind", "room", "link"}`, never a
//! title, wording or name.
//!
//! Delivery runs in its own task after the write has committed (the write
//! never waits for it), with a short timeout and a couple of retries. The
//! item is found the way the inbox finds it, through the user's own
//! [`RoomAccess::load`], so a write the user may not see posts nothing.

use super::items_in;
use crate::access::{inbox as store, RoomAccess};
use crate::error::{ApiError, ApiResult};
use crate::live::Change;
use crate::AppState;
use axum::http::HeaderMap;
use pactum_store::WebhookRow;
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

/// How long one delivery attempt may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts per delivery (the first and two retries).
pub const ATTEMPTS: u32 = 3;

/// The webhooks' HTTP client and the items already announced (per
/// process), so that a later revision of a record does not post again.
#[derive(Default)]
pub struct Hooks {
    client: std::sync::OnceLock<reqwest::Client>,
    sent: Mutex<HashSet<(String, String)>>,
}

impl Hooks {
    fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default()
        })
    }
}

/// Checks a webhook URL: http or https with a host.
pub fn check_url(url: &str) -> ApiResult<reqwest::Url> {
    let bad = || ApiError::field("url", "must be an http:// or https:// URL with a host");
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(bad());
    }
    Ok(parsed)
}

/// Adds a webhook for `user`; its links start where the user reached the
/// server from.
pub async fn add(
    state: &AppState,
    user: &str,
    url: &str,
    headers: &HeaderMap,
) -> ApiResult<WebhookRow> {
    let url = check_url(url)?;
    let hook = WebhookRow {
        id: format!("hook_{}", crate::auth::random_hex(6)),
        user: user.to_string(),
        url: url.to_string(),
        origin: crate::people::origin(headers),
        created_at: String::new(),
    };
    store::add_webhook(state, &hook).await?;
    Ok(hook)
}

/// Called for every committed write: starts delivery in its own task.
pub fn after_write(state: &AppState, change: &Change) {
    let state = state.clone();
    let change = change.clone();
    tokio::spawn(async move {
        let _ = deliver(&state, &change).await;
    });
}

async fn deliver(state: &AppState, change: &Change) -> ApiResult<()> {
    let hooks = store::webhooks_in_room(state, &change.room).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let mut by_user: BTreeMap<&str, Vec<&WebhookRow>> = BTreeMap::new();
    for h in &hooks {
        by_user.entry(h.user.as_str()).or_default().push(h);
    }
    for (user, hooks) in by_user {
        let Ok(a) = RoomAccess::load(state, user, &change.room).await else {
            continue;
        };
        if !a.viewer().can_see(&change.record.visibility) {
            continue;
        }
        let follows = store::follows(state, &a).await?;
        let invitations = store::invitations(state, &a).await?;
        let read: HashSet<String> = store::read_marks(state, user).await?.into_iter().collect();
        for item in items_in(&a, &follows, &invitations) {
            if item.record_kind != change.record.kind.as_str()
                || item.record_id != change.record.id
                || read.contains(&item.key)
            {
                continue;
            }
            let fresh = state
                .hooks
                .sent
                .lock()
                .map(|mut s| s.insert((user.to_string(), item.key.clone())))
                .unwrap_or(false);
            if !fresh {
                continue;
            }
            for h in &hooks {
                let payload = serde_json::json!({
                    "kind": item.kind,
                    "room": item.room,
                    "link": format!("{}{}", h.origin, item.link),
                });
                let client = state.hooks.client().clone();
                let url = h.url.clone();
                tokio::spawn(post(client, url, payload));
            }
        }
    }
    Ok(())
}

/// Posts one payload, retrying a failure twice (after 1 s, then 3 s).
async fn post(client: reqwest::Client, url: String, payload: serde_json::Value) {
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(if attempt == 1 { 1 } else { 3 })).await;
        }
        match client.post(&url).json(&payload).send().await {
            Ok(r) if r.status().is_success() => return,
            _ => {}
        }
    }
}
