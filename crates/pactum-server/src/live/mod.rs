//! Live updates: every committed record write is published to an
//! in-process [`Hub`], and each open event stream
//! (`GET /api/rooms/{room}/events`, Server-Sent Events) forwards only the
//! changes its user may see.
//!
//! Confidentiality decides the shape of everything here:
//!
//! - The filter is [`Viewer::can_see`], the one rule every read uses, run in
//!   each connection's own task, off the write path.
//! - An event carries the record's kind, its id and what happened
//!   (`created`, `updated`, or `removed` when a re-scope took the record out
//!   of the viewer's sight), never content, a version number, a revision or
//!   any sequence number: an `id:` field or counter would show gaps where
//!   hidden writes fell.
//! - Keep-alive comments come on a fixed timer, whatever is written.
//! - A stream re-checks its user's seat when the room's seats or parties
//!   change and on every keep-alive tick, and ends once the seat is gone.
//!
//! The hub is per process: several server processes over one PostgreSQL
//! database would need `LISTEN/NOTIFY` to share it.

use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::P;
use crate::AppState;
use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use axum::Router;
use pactum_workspace::model::Record;
use pactum_workspace::{Viewer, Visibility};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// How often a stream sends a keep-alive comment and re-checks its seat.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How many changes a slow stream may fall behind before it skips some.
const BACKLOG: usize = 4096;

/// One committed record write, as the hub carries it between tasks of
/// this process. It holds the record itself (for the inbox's webhooks);
/// only kind, id and action ever leave the server.
#[derive(Debug, Clone)]
pub struct Change {
    /// Room id.
    pub room: String,
    /// The record as written.
    pub record: Arc<Record>,
    /// Its audience before this write, if it existed (the writer always
    /// sees what it changes): with it each viewer is told what happened
    /// as it sees it (see [`told`]).
    pub before: Option<Visibility>,
}

/// What the hub carries.
#[derive(Debug, Clone)]
pub enum Signal {
    /// A record was written.
    Record(Change),
    /// A room's seats changed (a delegate removed or added): streams of
    /// that room re-check their user's seat.
    Seats(String),
}

/// The in-process publisher of committed writes.
pub struct Hub {
    tx: broadcast::Sender<Arc<Signal>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            tx: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Hub {
    /// A receiver of every signal sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Signal>> {
        self.tx.subscribe()
    }

    /// Sends a signal; nobody listening is not an error.
    fn send(&self, signal: Signal) {
        let _ = self.tx.send(Arc::new(signal));
    }
}

/// Publishes committed record writes (called by the write methods of
/// `access`, after the commit) and hands them to the inbox's webhooks.
/// `before` gives, per record, its audience before the write, if it
/// existed.
pub fn published(
    state: &AppState,
    room: &str,
    writes: impl IntoIterator<Item = (Record, Option<Visibility>)>,
) {
    for (record, before) in writes {
        let change = Change {
            room: room.to_string(),
            record: Arc::new(record),
            before,
        };
        crate::inbox::hooks::after_write(state, &change);
        state.live.send(Signal::Record(change));
    }
}

/// Tells the streams of a room that its seats changed.
pub fn seats_changed(state: &AppState, room: &str) {
    state.live.send(Signal::Seats(room.to_string()));
}

/// What a viewer is told of a change, as the viewer sees it: `created`
/// for a record new to the viewer (a draft published to it is new to it:
/// "updated" would tell that a hidden revision came first), `updated` for
/// one it saw before, `removed` for one a re-scope took from it, and
/// `None` for a change it sees neither before nor after.
pub fn told(viewer: &Viewer, change: &Change) -> Option<&'static str> {
    let saw = change.before.as_ref().is_some_and(|b| viewer.can_see(b));
    match (saw, viewer.can_see(&change.record.visibility)) {
        (true, true) => Some("updated"),
        (false, true) => Some("created"),
        (true, false) => Some("removed"),
        (false, false) => None,
    }
}

/// The live routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/rooms/{room}/events", get(events))
}

/// One open stream: its user, room, current viewer and receiver.
struct Stream {
    state: AppState,
    user: String,
    room: String,
    viewer: Viewer,
    rx: broadcast::Receiver<Arc<Signal>>,
    tick: tokio::time::Interval,
}

impl Stream {
    /// The viewer the user is now in the room, or `None` once the seat is
    /// gone (or the check fails: a stream never outlives what it cannot
    /// prove).
    async fn recheck(&mut self) -> bool {
        match RoomAccess::load_kinds(&self.state, &self.user, &self.room, Some(&[])).await {
            Ok(a) => {
                self.viewer = a.viewer().clone();
                true
            }
            Err(_) => false,
        }
    }

    /// The next event to send, or `None` to end the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            tokio::select! {
                _ = self.tick.tick() => {
                    if !self.recheck().await {
                        return None;
                    }
                    return Some(Event::default().comment("keep-alive"));
                }
                msg = self.rx.recv() => match msg {
                    Ok(signal) => {
                        let (ours, change) = match &*signal {
                            Signal::Seats(room) => (*room == self.room, None),
                            Signal::Record(c) => (c.room == self.room, Some(c)),
                        };
                        if !ours {
                            continue;
                        }
                        // Seats, or a party (its kind decides roles):
                        // re-check before telling anything.
                        let seats = change.is_none_or(|c| c.record.kind.as_str() == "party");
                        if seats && !self.recheck().await {
                            return None;
                        }
                        if let Some((c, action)) =
                            change.and_then(|c| Some((c, told(&self.viewer, c)?)))
                        {
                            let data = serde_json::json!({
                                "kind": c.record.kind.as_str(),
                                "id": c.record.id,
                                "action": action,
                            });
                            return Some(Event::default().event("change").data(data.to_string()));
                        }
                    }
                    // Skipped changes are not announced: how many were
                    // skipped counts hidden writes too.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}

async fn events(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>> {
    let rx = state.live.subscribe();
    let a = RoomAccess::load_kinds(&state, &caller.user, &room, Some(&[])).await?;
    let mut tick = tokio::time::interval(KEEP_ALIVE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: start the stream with a comment.
    let stream = Stream {
        viewer: a.viewer().clone(),
        user: caller.user,
        room,
        state,
        rx,
        tick,
    };
    Ok(Sse::new(futures_util::stream::unfold(
        stream,
        |mut s| async move { s.next().await.map(|e| (Ok(e), s)) },
    )))
}
