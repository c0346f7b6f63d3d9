//! Preference models, the mediator's analysis and single-text sessions:
//! the writes and views shared by the JSON API and the UI.
//!
//! A party writes only its own model; the mediator reads only the analysis
//! computed from all models ([`crate::access::MediatorAccess::analysis_room`] is the single
//! place that reads models a user may not see); votes are cast from the
//! voter's own view of the room, so a vote by model reads only the voter's
//! own model.

use crate::access::{Role, RoomAccess};
use crate::error::{ApiError, ApiResult};
use crate::json::{list_of, one_by_id};
use crate::AppState;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use pactum_workspace::body::Vote;
use pactum_workspace::model::{Kind, Record};
use pactum_workspace::preference::{self, MediatorAnalysis, PreferenceInput};
use pactum_workspace::session::{self, ProposalInput, SessionInput, SessionView, VoteInput};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod api;
pub mod ui;

/// Refuses anyone but the party's own delegates (or the mediator for its
/// own model): a model is written by its party only.
fn require_own(access: &RoomAccess, party: &str) -> ApiResult<()> {
    if access.role() == Role::Observer {
        return Err(ApiError::forbidden("observers have no preference model"));
    }
    if access.party_id() != party {
        return Err(ApiError::forbidden(
            "a delegate writes only its own party's preference model",
        ));
    }
    Ok(())
}

/// Creates or replaces the caller's party's model.
pub async fn put_preference(
    state: &AppState,
    access: &RoomAccess,
    input: PreferenceInput,
) -> ApiResult<Record> {
    require_own(access, &input.party_id)?;
    let record = input.into_record(access.room())?;
    access.write(state, &record, "preference.write").await?;
    Ok(record)
}

/// A GENIUS profile upload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeniusInput {
    /// The utility-space XML.
    pub xml: String,
    /// Share the model with the mediator.
    #[serde(default)]
    pub shared_with_mediator: bool,
}

/// Replaces the caller's party's model with one read from a GENIUS profile.
pub async fn put_genius(
    state: &AppState,
    access: &RoomAccess,
    party: &str,
    input: GeniusInput,
) -> ApiResult<Record> {
    require_own(access, party)?;
    let model =
        preference::from_genius(access.room(), party, &input.xml, input.shared_with_mediator)?;
    put_preference(state, access, model).await
}

/// Withdraws the caller's party's model (it then counts as missing).
pub async fn delete_preference(
    state: &AppState,
    access: &RoomAccess,
    party: &str,
) -> ApiResult<()> {
    require_own(access, party)?;
    match access.room().get(Kind::Preference, party) {
        Some(r) if !preference::is_withdrawn(r) => {}
        _ => return Err(ApiError::not_found()),
    }
    let record = preference::withdrawn(access.room(), party);
    access.write(state, &record, "preference.withdraw").await?;
    Ok(())
}

/// The caller's party's model, if it has one (and has not withdrawn it).
pub fn own_model(access: &RoomAccess) -> Option<&Record> {
    access
        .room()
        .get(Kind::Preference, access.party_id())
        .filter(|r| !preference::is_withdrawn(r))
}

/// The mediator's analysis of the room's models.
pub async fn analysis(state: &AppState, access: &RoomAccess) -> ApiResult<MediatorAnalysis> {
    let room = access.mediator()?.analysis_room(state).await?;
    Ok(preference::analyze(&room))
}

/// The zone status a briefing prints: the mediator's briefing carries the
/// analysis (labels and yes/no facts only, like the analysis page); no one
/// else's does.
pub async fn briefing_zone(
    state: &AppState,
    access: &RoomAccess,
) -> ApiResult<Option<pactum_workspace::briefing::ZoneStatus>> {
    if !access.is_mediator() {
        return Ok(None);
    }
    Ok(analysis(state, access).await?.zone_status())
}

/// The room's analysis settings.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// Whether the mediator's own model counts in the zone and in voting.
    pub mediator_counts: bool,
}

/// Changes the room's analysis settings (mediator only).
pub async fn put_settings(
    state: &AppState,
    access: &RoomAccess,
    input: SettingsInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let record = preference::set_mediator_counts(access.room(), input.mediator_counts);
    m.write(state, &record, "settings.write").await?;
    Ok(record)
}

/// Opens a single-text session (mediator only).
pub async fn open_session(
    state: &AppState,
    access: &RoomAccess,
    input: SessionInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let record = input.into_record(access.room(), RoomAccess::new_id(Kind::Session))?;
    m.write(state, &record, "session.open").await?;
    Ok(record)
}

fn session_of<'a>(access: &'a RoomAccess, id: &str) -> ApiResult<&'a Record> {
    access
        .room()
        .get(Kind::Session, id)
        .ok_or_else(ApiError::not_found)
}

fn conflict(e: pactum_workspace::model::FieldError) -> ApiError {
    if e.field == "session" {
        ApiError::new(StatusCode::CONFLICT, e.message)
    } else {
        e.into()
    }
}

/// Puts a proposal to the parties (mediator only).
pub async fn propose(
    state: &AppState,
    access: &RoomAccess,
    id: &str,
    input: ProposalInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let mut record = session_of(access, id)?.clone();
    session::propose(access.room(), &mut record, &input).map_err(conflict)?;
    m.write(state, &record, "session.propose").await?;
    Ok(record)
}

/// Casts the caller's party's vote on the open proposal.
pub async fn vote(
    state: &AppState,
    access: &RoomAccess,
    id: &str,
    input: VoteInput,
) -> ApiResult<Record> {
    let s = session_of(access, id)?;
    // The caller's own view: a vote by model reads the voter's own model and
    // nothing else.
    let record = session::cast(
        s,
        access.party_id(),
        input.ballot,
        own_model(access),
        access.user(),
    )
    .map_err(conflict)?;
    access.write(state, &record, "session.vote").await?;
    Ok(record)
}

/// The visible votes of a session's open round.
pub fn votes_of<'a>(access: &'a RoomAccess, s: &Record) -> Vec<&'a Record> {
    access
        .room()
        .each::<Vote>()
        .filter(|v| v.session_id.as_deref() == Some(s.id.as_str()))
        .map(|v| v.record)
        .collect()
}

/// Decides the open proposal once everyone has voted (mediator only).
pub async fn decide(state: &AppState, access: &RoomAccess, id: &str) -> ApiResult<Record> {
    let m = access.mediator()?;
    let mut record = session_of(access, id)?.clone();
    let votes = votes_of(access, &record);
    session::decide(&mut record, &votes).map_err(conflict)?;
    m.write(state, &record, "session.decide").await?;
    Ok(record)
}

/// Closes the session, writing the new draft version of the text (mediator
/// only). Returns the draft.
pub async fn close(state: &AppState, access: &RoomAccess, id: &str) -> ApiResult<Record> {
    let m = access.mediator()?;
    let mut record = session_of(access, id)?.clone();
    let text_id = RoomAccess::new_id(Kind::Text);
    session::close(&mut record, &text_id).map_err(conflict)?;
    let base = crate::ui::view::latest_text(access.room()).map(|t| t.record);
    let draft = session::draft_of(access.room(), &record, base);
    let text = draft.into_record(access.room(), text_id.clone(), &text_id)?;
    // One transaction: a closed session always has its draft, and a
    // concurrent close (a stale session revision) leaves no stray draft.
    m.write_set(state, &[(&text, "text.draft"), (&record, "session.close")])
        .await?;
    Ok(text)
}

/// A session as the caller sees it: the record, the caller's visible votes
/// (its own; the mediator's, everyone's) and, for the mediator, the tally.
pub fn session_json(access: &RoomAccess, s: &Record) -> serde_json::Value {
    let view = SessionView::parse(s);
    let votes = votes_of(access, s);
    let tally = access.is_mediator().then(|| {
        let t: BTreeMap<String, bool> = session::tally(s, &votes);
        let waiting: Vec<&String> = view
            .parties
            .iter()
            .filter(|p| view.proposal.is_some() && !t.contains_key(*p))
            .collect();
        serde_json::json!({
            "round": view.round,
            "accept": t.values().filter(|a| **a).count(),
            "reject": t.values().filter(|a| !**a).count(),
            "waiting": waiting,
        })
    });
    serde_json::json!({
        "session": crate::json::out(s),
        "votes": votes.iter().map(|v| crate::json::out(v)).collect::<Vec<_>>(),
        "tally": tally,
    })
}

// ------------------------------------------------------------------ routes

/// The models, analysis and single-text session routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/rooms/{room}/preferences/{party}",
            one_by_id(Kind::Preference)
                .put(api::put_preference)
                .delete(api::delete_preference),
        )
        .route(
            "/api/rooms/{room}/preferences/{party}/genius",
            post(api::put_genius),
        )
        .route("/api/rooms/{room}/analysis", get(api::analysis))
        .route(
            "/api/rooms/{room}/settings",
            axum::routing::put(api::put_settings),
        )
        .route(
            "/api/rooms/{room}/sessions",
            list_of(Kind::Session).post(api::open_session),
        )
        .route("/api/rooms/{room}/sessions/{id}", get(api::session))
        .route(
            "/api/rooms/{room}/sessions/{id}/proposals",
            post(api::propose),
        )
        .route("/api/rooms/{room}/sessions/{id}/votes", post(api::vote))
        .route("/api/rooms/{room}/sessions/{id}/decide", post(api::decide))
        .route("/api/rooms/{room}/sessions/{id}/close", post(api::close))
        .route("/rooms/{room}/model", get(ui::model).post(ui::save_model))
        .route("/rooms/{room}/analysis", get(ui::analysis))
        .route("/rooms/{room}/analysis/settings", post(ui::settings))
        .route(
            "/rooms/{room}/sessions",
            get(ui::sessions).post(ui::open_session),
        )
        .route("/rooms/{room}/sessions/{id}", get(ui::session_page))
        .route(
            "/rooms/{room}/sessions/{id}/{action}",
            post(ui::session_action),
        )
}
