//! Amendments and comments: tabling an amendment against a point of a
//! version, moving it through its statuses, incorporating it into a draft
//! in one action, and comment threads on points, amendments and versions
//! (API and UI). The rules are `pactum_workspace::amendment`'s; this module
//! decides who may act and stores through [`RoomAccess`].

use crate::access::{Role, RoomAccess};
use crate::error::{ApiError, ApiResult};
use crate::json::one_by_id;
use crate::AppState;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use pactum_workspace::amendment::{
    self, Actor, AmendmentInput, CommentInput, Incorporation, StatusInput,
};
use pactum_workspace::body::{Amendment, Text};
use pactum_workspace::drafting;
use pactum_workspace::model::{FieldError, Kind, Record};
use pactum_workspace::Visibility;
use serde::Deserialize;
use std::collections::BTreeSet;

mod api;
pub mod ui;

/// Tables an amendment. A party's delegates table their own party's; the
/// mediator tables on a party's behalf and then says who reported it
/// (`provenance`), as for stances; observers table none.
pub async fn table(
    state: &AppState,
    access: &RoomAccess,
    mut input: AmendmentInput,
) -> ApiResult<Record> {
    match access.role() {
        Role::Observer => return Err(ApiError::forbidden("observers do not table amendments")),
        Role::Delegate if input.party_id != access.party_id() => {
            return Err(ApiError::forbidden(
                "a delegate tables only its own party's amendments",
            ))
        }
        Role::Mediator if input.party_id != access.party_id() && input.provenance.is_none() => {
            return Err(FieldError::new(
                "provenance",
                "tabling for a party, say who reported it (source and reliability)",
            )
            .into())
        }
        _ => {}
    }
    if let Some(v) = &input.visibility {
        access.may_choose(v)?;
    }
    if input.date.is_none() {
        input.date = Some(crate::ui::pages::today());
    }
    let record = input.into_record(access.room(), RoomAccess::new_id(Kind::Amendment))?;
    access.write(state, &record, "amendment.table").await?;
    Ok(record)
}

/// Changes an amendment's status: the mediator moves it (considered,
/// rejected, superseded, withdrawn); the party that tabled it may
/// withdraw it. An amendment the user may not see answers as a missing one.
pub async fn set_status(
    state: &AppState,
    access: &RoomAccess,
    id: &str,
    input: StatusInput,
) -> ApiResult<Record> {
    let a = access
        .room()
        .find::<Amendment>(id)
        .ok_or_else(ApiError::not_found)?;
    let actor = if access.is_mediator() {
        Actor::Mediator
    } else if access.role() == Role::Delegate && a.party_id.as_deref() == Some(access.party_id()) {
        Actor::Tabler
    } else {
        return Err(ApiError::forbidden(
            "only the mediator or the party that tabled it may change its status",
        ));
    };
    let mut record = a.record.clone();
    amendment::change_status(access.room(), &mut record, &input, actor, &crate::now())?;
    let action = format!(
        "amendment.{}",
        pactum_workspace::body::Vocabulary::spelling(input.status)
    );
    access.write(state, &record, &action).await?;
    Ok(record)
}

/// Incorporates an amendment into a draft in one action (mediator only):
/// the draft's point is changed, a point inserted after it or deleted, the
/// draft lists the amendment as the origin of that change, and the
/// amendment is marked incorporated into the draft; both in one write.
pub async fn incorporate(
    state: &AppState,
    access: &RoomAccess,
    text_id: &str,
    amendment_id: &str,
) -> ApiResult<(Record, Record, Incorporation)> {
    let m = access.mediator()?;
    let text = access
        .room()
        .find::<Text>(text_id)
        .ok_or_else(ApiError::not_found)?;
    if !text.is_draft() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "{} ({}) is published and never changes; incorporate into a new draft",
                text.label.as_deref().unwrap_or(text.id()),
                text.id()
            ),
        ));
    }
    let am = access
        .room()
        .get(Kind::Amendment, amendment_id)
        .ok_or_else(|| {
            ApiError::field(
                "amendment_id",
                format!("unknown amendment {amendment_id:?}"),
            )
        })?;
    let mut input = drafting::draft_of(text.record);
    let base: BTreeSet<String> = input
        .derived_from_text_id
        .as_deref()
        .and_then(|v| access.room().get(Kind::Text, v))
        .map(|v| {
            drafting::point_inputs(v)
                .into_iter()
                .map(|p| p.key)
                .collect()
        })
        .unwrap_or_default();
    let revises = input.derived_from_text_id.clone();
    let inc = amendment::incorporate(&mut input.points, &base, revises.as_deref(), am)?;
    let mut draft = input.into_record(access.room(), text.id().to_string(), text.id())?;
    for keep in ["version", "kind", amendment::INCORPORATED] {
        if let Some(v) = text.record.body.get(keep) {
            draft.body.insert(keep.into(), v.clone());
        }
    }
    let mut am = am.clone();
    amendment::record_incorporation(&mut draft, &mut am, &inc, &crate::now());
    m.write_set(
        state,
        &[
            (&draft, "text.incorporate"),
            (&am, "amendment.incorporated"),
        ],
    )
    .await?;
    Ok((draft, am, inc))
}

/// Writes a comment: a new thread or a reply. A party's thread defaults to
/// the party and the mediator (a thread with the mediator); its internal
/// thread is its own scope; the mediator's defaults to the mediator only.
pub async fn add_comment(
    state: &AppState,
    access: &RoomAccess,
    input: CommentInput,
) -> ApiResult<Record> {
    if access.role() == Role::Observer {
        return Err(ApiError::forbidden("observers do not comment"));
    }
    if let (Some(v), None) = (&input.visibility, &input.reply_to_comment_id) {
        access.may_choose(v)?;
    }
    let default = if access.is_mediator() {
        Visibility::Mediator
    } else {
        Visibility::PartyAndMediator {
            party: access.party_id().to_string(),
        }
    };
    let record = input.into_record(
        access.room(),
        RoomAccess::new_id(Kind::Comment),
        access.party_id(),
        access.user(),
        &crate::now(),
        default,
    )?;
    access.write(state, &record, "comment.create").await?;
    Ok(record)
}

/// Resolves or reopens a thread (any member who sees it but observers).
pub async fn resolve(
    state: &AppState,
    access: &RoomAccess,
    id: &str,
    resolved: bool,
) -> ApiResult<Record> {
    let c = access
        .room()
        .get(Kind::Comment, id)
        .ok_or_else(ApiError::not_found)?;
    if access.role() == Role::Observer {
        return Err(ApiError::forbidden("observers do not resolve threads"));
    }
    let mut record = c.clone();
    amendment::set_resolved(&mut record, resolved, access.user(), &crate::now())?;
    let action = if resolved {
        "comment.resolve"
    } else {
        "comment.reopen"
    };
    access.write(state, &record, action).await?;
    Ok(record)
}

/// Filters of the amendment and comment lists.
#[derive(Debug, Default, Deserialize)]
pub struct AmendmentFilter {
    /// The version tabled against (amendments) or commented on (comments).
    pub text: Option<String>,
    /// The point targeted.
    pub point: Option<String>,
    /// The status (amendments) or the amendment commented on (comments).
    pub status: Option<String>,
    /// The amendment a comment is about.
    pub amendment: Option<String>,
}

/// This feature's routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/rooms/{room}/amendments",
            get(api::amendments).post(api::table),
        )
        .route(
            "/api/rooms/{room}/amendments/{id}",
            one_by_id(Kind::Amendment),
        )
        .route(
            "/api/rooms/{room}/amendments/{id}/status",
            post(api::status),
        )
        .route(
            "/api/rooms/{room}/texts/{id}/incorporate",
            post(api::incorporate),
        )
        .route(
            "/api/rooms/{room}/comments",
            get(api::comments).post(api::add_comment),
        )
        .route(
            "/api/rooms/{room}/comments/{id}/resolve",
            post(api::resolve),
        )
        .route("/rooms/{room}/amendments", post(ui::form_table))
        .route("/rooms/{room}/amendments/{id}", get(ui::amendment))
        .route(
            "/rooms/{room}/amendments/{id}/status",
            post(ui::form_status),
        )
        .route(
            "/rooms/{room}/texts/{id}/incorporate",
            post(ui::form_incorporate),
        )
        .route("/rooms/{room}/comments", post(ui::form_comment))
        .route(
            "/rooms/{room}/comments/{id}/resolve",
            post(ui::form_resolve),
        )
}
