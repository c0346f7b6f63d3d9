//! Stances: recording a party's stance on an issue, text or point, and the stance list (API and UI).

use crate::access::RoomAccess;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::routing::get;
use axum::Router;
use pactum_workspace::body::{Stance, Term};
use pactum_workspace::model::{Kind, Record, StanceInput};
use serde::Deserialize;

mod api;
pub mod ui;

/// Records a stance. A party's delegates record only their own party's
/// stances; observers record none.
pub async fn add_stance(
    state: &AppState,
    access: &RoomAccess,
    input: StanceInput,
) -> ApiResult<Record> {
    match access.role() {
        crate::access::Role::Observer => {
            return Err(ApiError::forbidden("observers do not record stances"))
        }
        crate::access::Role::Delegate if input.party_id != access.party_id() => {
            return Err(ApiError::forbidden(
                "a delegate records only its own party's stances",
            ))
        }
        _ => {}
    }
    if let Some(v) = &input.visibility {
        access.may_choose(v)?;
    }
    let record = input.into_record(access.room(), RoomAccess::new_id(Kind::Stance))?;
    // Proposed wording is tabled as an amendment, with the stance linked
    // to it (the same rule the migration of older rooms applies).
    let tabled = pactum_workspace::amendment::table_proposal(access.room(), &record, &mut || {
        RoomAccess::new_id(Kind::Amendment)
    });
    let Some((amendment, stance)) = tabled else {
        access.write(state, &record, "stance.create").await?;
        return Ok(record);
    };
    access
        .write_all(
            state,
            &[(&amendment, "amendment.table"), (&stance, "stance.create")],
        )
        .await?;
    Ok(stance)
}

/// Stance filters of the ledger.
#[derive(Debug, Default, Deserialize)]
pub struct StanceFilter {
    /// Party id.
    pub party: Option<String>,
    /// Substring of the provenance source (case-insensitive).
    pub source: Option<String>,
    /// Reliability tag.
    pub reliability: Option<String>,
    /// Text id the stance targets.
    pub text: Option<String>,
    /// Point id the stance targets directly (the text page's "more" link of
    /// a busy matrix cell).
    #[serde(default)]
    pub point: Option<String>,
}

impl StanceFilter {
    /// True when the stance passes every filter given.
    pub fn matches(&self, s: &Stance) -> bool {
        let prov = s.provenance.as_ref();
        let reliability = prov
            .and_then(|p| p.reliability.as_ref())
            .map_or("", Term::as_str);
        let source = prov.and_then(|p| p.source.as_deref()).unwrap_or_default();
        let empty = |o: &Option<String>| o.as_deref().is_none_or(str::is_empty);
        (empty(&self.party) || s.party_id.as_deref() == self.party.as_deref())
            && (empty(&self.reliability) || Some(reliability) == self.reliability.as_deref())
            && (empty(&self.source)
                || source
                    .to_lowercase()
                    .contains(&self.source.clone().unwrap_or_default().to_lowercase()))
            && (empty(&self.text) || s.target.text_id.as_deref() == self.text.as_deref())
            && (empty(&self.point) || s.target.point_id.as_deref() == self.point.as_deref())
    }
}

/// This feature's routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/rooms/{room}/stances",
            get(api::stances).post(api::add_stance),
        )
        .route(
            "/rooms/{room}/stances",
            get(ui::stances).post(ui::form_add_stance),
        )
}
