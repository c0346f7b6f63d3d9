//! Writes and computed views shared by the JSON API and the UI, so that both
//! enforce the same rules.

use crate::access::RoomAccess;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use pactum_workspace::case;
use pactum_workspace::model::{
    self, DocumentInput, DraftInput, Kind, MeetingInput, NoteInput, Record, StanceInput,
};
use pactum_workspace::redline::{diff_texts, TextDiff};
use pactum_workspace::Visibility;
use serde::Deserialize;

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
    access.write(state, &record, "stance.create").await?;
    Ok(record)
}

/// Starts a draft version (mediator only).
pub async fn add_draft(
    state: &AppState,
    access: &RoomAccess,
    input: DraftInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let id = RoomAccess::new_id(Kind::Text);
    let record = input.into_record(access.room(), id.clone(), &id)?;
    m.write(state, &record, "text.draft").await?;
    Ok(record)
}

/// Replaces a draft's label and points; published versions never change.
pub async fn edit_draft(
    state: &AppState,
    access: &RoomAccess,
    text_id: &str,
    input: DraftInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let old = text(access, text_id)?;
    if !model::is_draft(old) {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "a published version never changes; start a new draft from it",
        ));
    }
    let mut record = input.into_record(access.room(), text_id.to_string(), text_id)?;
    if let Some(v) = old.body.get("version") {
        record.body.insert("version".into(), v.clone());
    }
    m.write(state, &record, "text.edit").await?;
    Ok(record)
}

/// A text version the user may see; one they may not answers as a missing
/// one does.
fn text<'a>(access: &'a RoomAccess, id: &str) -> ApiResult<&'a Record> {
    access
        .room()
        .get(Kind::Text, id)
        .ok_or_else(ApiError::not_found)
}

/// Who a version is published to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// Party ids.
    pub parties: Vec<String>,
}

/// Publishes a draft (or widens a published version's audience).
pub async fn publish(
    state: &AppState,
    access: &RoomAccess,
    text_id: &str,
    input: PublishInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let mut record = text(access, text_id)?.clone();
    model::publish(&mut record, &input.parties, &crate::now(), access.room())?;
    m.write(state, &record, "text.publish").await?;
    Ok(record)
}

/// Records a meeting (mediator only).
pub async fn add_meeting(
    state: &AppState,
    access: &RoomAccess,
    input: MeetingInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let record = input.into_record(access.room(), RoomAccess::new_id(Kind::Meeting))?;
    m.write(state, &record, "meeting.create").await?;
    Ok(record)
}

/// Attaches a document. The mediator's default audience is the room; a
/// party's is itself and the mediator.
pub async fn add_document(
    state: &AppState,
    access: &RoomAccess,
    input: DocumentInput,
) -> ApiResult<Record> {
    if access.role() == crate::access::Role::Observer {
        return Err(ApiError::forbidden("observers do not add documents"));
    }
    if let Some(v) = &input.visibility {
        access.may_choose(v)?;
    }
    let default = if access.is_mediator() {
        Visibility::Room
    } else {
        Visibility::PartyAndMediator {
            party: access.party_id().to_string(),
        }
    };
    let record = input.into_record(access.room(), RoomAccess::new_id(Kind::Document), default)?;
    access.write(state, &record, "document.create").await?;
    Ok(record)
}

/// Adds a note, private to the author's party unless it says otherwise.
pub async fn add_note(
    state: &AppState,
    access: &RoomAccess,
    input: NoteInput,
) -> ApiResult<Record> {
    if let Some(v) = &input.visibility {
        access.may_choose(v)?;
    }
    let default = if access.is_mediator() {
        Visibility::Mediator
    } else {
        Visibility::Party {
            party: access.party_id().to_string(),
        }
    };
    let record = input.into_record(
        access.room(),
        RoomAccess::new_id(Kind::Note),
        access.user(),
        default,
    )?;
    access.write(state, &record, "note.create").await?;
    Ok(record)
}

/// The diff between two visible versions; a version the user may not see
/// answers as a missing one, and provenance is followed only through
/// versions the user may see.
pub fn diff(access: &RoomAccess, from: &str, to: &str) -> ApiResult<TextDiff> {
    let (old, new) = (text(access, from)?, text(access, to)?);
    Ok(diff_texts(access.room(), old, new))
}

/// The room as a case file, holding only what the user may see.
pub fn export(access: &RoomAccess) -> serde_json::Value {
    case::export(access.room_id(), access.title(), &access.room().records)
}

/// The user's briefing: built from the records the user may see (the
/// renderer filters them once more), with the zone status when one has been
/// computed for the room. `prepared_at` (RFC 3339) is printed to the minute.
pub fn briefing(
    access: &RoomAccess,
    zone: Option<&pactum_workspace::briefing::ZoneStatus>,
    prepared_at: Option<&str>,
) -> pactum_workspace::briefing::Briefing {
    pactum_workspace::briefing::Briefing::new(pactum_workspace::briefing::BriefingInput {
        room_id: access.room_id(),
        title: access.title(),
        user: access.user(),
        viewer: access.viewer(),
        records: &access.room().records,
        zone,
        prepared_at: prepared_at
            .map(|at| match (at.get(..10), at.get(11..16)) {
                (Some(d), Some(t)) => format!("{d} {t} UTC"),
                _ => at.to_string(),
            })
            .as_deref(),
    })
}

/// The records a briefing shows, for the read audit.
pub fn briefing_records<'a>(
    access: &'a RoomAccess,
    briefing: &pactum_workspace::briefing::Briefing,
) -> Vec<&'a Record> {
    briefing
        .shown()
        .iter()
        .filter_map(|(kind, id)| access.room().get(*kind, id))
        .collect()
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
}

impl StanceFilter {
    /// True when the stance passes every filter given.
    pub fn matches(&self, s: &Record) -> bool {
        let prov = s.body.get("provenance");
        let pf = |f: &str| {
            prov.and_then(|p| p.get(f))
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
        };
        let empty = |o: &Option<String>| o.as_deref().is_none_or(str::is_empty);
        (empty(&self.party) || s.str("party_id") == self.party.as_deref())
            && (empty(&self.reliability) || Some(pf("reliability")) == self.reliability.as_deref())
            && (empty(&self.source)
                || pf("source")
                    .to_lowercase()
                    .contains(&self.source.clone().unwrap_or_default().to_lowercase()))
            && (empty(&self.text)
                || s.body
                    .get("target")
                    .and_then(|t| t.get("text_id"))
                    .and_then(serde_json::Value::as_str)
                    == self.text.as_deref())
    }
}
