//! The UI's form posts. Each checks the session's CSRF token, turns the
//! form into the same typed input the JSON API takes, and hands it to
//! [`crate::ops`]; success redirects (303) back to the page, a refusal
//! re-shows the page with the message naming the field.

use super::pages::{self, load, room_path};
use super::view;
use super::{urlpart, Fail, FormData, Session, UiError, UiResult};
use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::ops::{self, PublishInput};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use pactum_workspace::model::{
    self, DocumentInput, DraftInput, Kind, MeetingInput, NoteInput, PointInput, ProvenanceInput,
    Record, Reliability, StanceInput, StanceKind, Target,
};
use pactum_workspace::redline::PointRef;
use std::collections::HashMap;
use std::future::Future;

/// Parses the form and checks its CSRF token before anything else is read.
pub(super) async fn begin(
    state: &AppState,
    caller: &Caller,
    room: &str,
    body: &[u8],
) -> Result<(FormData, RoomAccess), UiError> {
    let form = FormData::parse(body)?;
    form.check_csrf(caller)?;
    let access = load(state, caller, room).await?;
    Ok((form, access))
}

/// How every form post ends. Success redirects (303) to the room page
/// `done` names, so that reloading it does not post again; a refusal the
/// user can fix re-shows the page through `again`; a missing record or a
/// server failure gets the error page instead.
pub(super) async fn finish<T, Fut>(
    room: &str,
    result: Result<T, ApiError>,
    done: impl FnOnce(T) -> String,
    again: impl FnOnce(ApiError) -> Fut,
) -> UiResult
where
    Fut: Future<Output = UiResult>,
{
    match result {
        Ok(v) => Ok(Redirect::to(&room_path(room, &done(v))).into_response()),
        Err(e) if e.status != StatusCode::NOT_FOUND && !e.status.is_server_error() => {
            again(e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// [`finish`] for a form its page re-shows through a [`Fail`]: the form's
/// name and what the user typed go back with the error.
async fn finish_form<T, Fut>(
    room: &str,
    result: Result<T, ApiError>,
    done: impl FnOnce(T) -> String,
    name: &'static str,
    form: FormData,
    again: impl FnOnce(Fail) -> Fut,
) -> UiResult
where
    Fut: Future<Output = UiResult>,
{
    finish(room, result, done, |error| {
        again(Fail {
            form: name,
            error,
            values: form,
        })
    })
    .await
}

// --------------------------------------------------------------- stances

fn stance_input(a: &RoomAccess, f: &FormData) -> Result<StanceInput, ApiError> {
    let party_id = match f.opt("party") {
        Some(p) => p,
        None if a.is_mediator() => {
            return Err(ApiError::field(
                "party_id",
                "choose the party whose stance this is",
            ))
        }
        None => a.party_id().to_string(),
    };
    let text_id = f.opt("text_id");
    let target = match f.get("target") {
        "" | "text" => Target {
            text_id: text_id.clone(),
            ..Target::default()
        },
        t => {
            if let Some(p) = t.strip_prefix("point:") {
                Target {
                    text_id: text_id.clone(),
                    point_id: Some(p.to_string()),
                    ..Target::default()
                }
            } else if let Some(i) = t.strip_prefix("issue:") {
                Target {
                    issue_id: Some(i.to_string()),
                    ..Target::default()
                }
            } else {
                return Err(ApiError::field("target", format!("unknown choice {t:?}")));
            }
        }
    };
    let stance = StanceKind::parse(f.get("stance"))
        .ok_or_else(|| ApiError::field("stance", "choose a stance"))?;
    let reliability = Reliability::parse(f.get("reliability")).ok_or_else(|| {
        ApiError::field(
            "provenance.reliability",
            "choose how reliable the report is",
        )
    })?;
    Ok(StanceInput {
        party_id,
        target,
        stance,
        amendment: f.opt("amendment"),
        summary: f.get("summary").to_string(),
        preferred_option_ids: Vec::new(),
        ruled_out_option_ids: Vec::new(),
        date: f.opt("date"),
        meeting_id: f.opt("meeting"),
        provenance: ProvenanceInput {
            source: f.get("source").to_string(),
            reliability,
            reported_on: f.opt("date"),
            not_before: None,
            quote: f.opt("quote"),
        },
        visibility: view::parse_audience(f.get("visibility"))?,
    })
}

pub(super) async fn add_stance(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let text_id = form.get("text_id").to_string();
    let result = async { ops::add_stance(&state, &a, stance_input(&a, &form)?).await }.await;
    if text_id.is_empty() {
        // Not posted from a text page, so there is no form to re-show.
        result?;
        return Ok(Redirect::to(&room_path(&room, "/stances")).into_response());
    }
    finish_form(
        &room,
        result,
        |_| format!("/texts/{}?done=stance#matrix", urlpart(text_id.clone())),
        "stance",
        form,
        |fail| pages::text_view(&state, &caller, &a, &text_id, Some(fail), None),
    )
    .await
}

// ---------------------------------------------------------------- drafts

/// Reads the draft form's point lines (`key | title | wording`), keeping
/// the related issues of points whose key the base version already has.
fn draft_input(f: &FormData, base: Option<&Record>) -> Result<DraftInput, ApiError> {
    let issues: HashMap<String, Vec<String>> = base
        .map(|b| {
            model::points(b)
                .into_iter()
                .map(|p| (PointRef::key_of(&p.id).to_string(), p.issue_ids))
                .collect()
        })
        .unwrap_or_default();
    let mut points = Vec::new();
    for (n, line) in f.get("points").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, '|').map(str::trim);
        let key = parts.next().unwrap_or_default().to_string();
        let Some(title) = parts.next() else {
            return Err(ApiError::field(
                format!("points[{}]", points.len()),
                format!("line {}: expected key | title | wording", n + 1),
            ));
        };
        let body = parts.next().unwrap_or_default().to_string();
        points.push(PointInput {
            issue_ids: issues.get(&key).cloned().unwrap_or_default(),
            key,
            title: title.to_string(),
            body,
            derived_from: Vec::new(),
        });
    }
    if points.is_empty() {
        return Err(ApiError::field("points", "give at least one point"));
    }
    Ok(DraftInput {
        label: f.get("label").to_string(),
        derived_from_text_id: f.opt("derived_from"),
        points,
    })
}

/// The form carries points' issue links over from the base version, where
/// the mediator cannot edit them; links to issues retired since are dropped
/// rather than refusing a draft the form gives no way to fix.
fn live_links(mut d: DraftInput, room: &pactum_workspace::model::Room) -> DraftInput {
    for p in &mut d.points {
        p.issue_ids
            .retain(|i| room.live_issues().any(|l| &l.id == i));
    }
    d
}

pub(super) async fn new_draft(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    a.mediator_page()?;
    let from = form.opt("derived_from");
    let base = from.as_deref().and_then(|f| a.room().get(Kind::Text, f));
    let result = async {
        let input = live_links(draft_input(&form, base)?, a.room());
        ops::add_draft(&state, &a, input).await
    }
    .await;
    finish_form(
        &room,
        result,
        |r| format!("/texts/{}?done=draft", urlpart(r.id)),
        "draft",
        form,
        |fail| pages::new_text_view(&state, &caller, &a, from.as_deref(), Some(fail)),
    )
    .await
}

pub(super) async fn edit_draft(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let base = a
        .room()
        .get(Kind::Text, &id)
        .ok_or_else(ApiError::not_found)?;
    let result = async {
        let input = live_links(draft_input(&form, Some(base))?, a.room());
        ops::edit_draft(&state, &a, &id, input).await
    }
    .await;
    finish_form(
        &room,
        result,
        |_| format!("/texts/{}?done=draft", urlpart(id.clone())),
        "draft",
        form,
        |fail| pages::text_view(&state, &caller, &a, &id, Some(fail), None),
    )
    .await
}

pub(super) async fn publish(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let input = PublishInput {
        parties: form.all("parties"),
    };
    finish_form(
        &room,
        ops::publish(&state, &a, &id, input).await,
        |_| format!("/texts/{}?done=published", urlpart(id.clone())),
        "publish",
        form,
        |fail| pages::text_view(&state, &caller, &a, &id, Some(fail), None),
    )
    .await
}

// -------------------------------------------------------------- meetings

pub(super) async fn add_meeting(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let input = MeetingInput {
        title: form.get("title").to_string(),
        date: form.opt("date"),
        not_before: form.opt("not_before"),
        place: form.get("place").to_string(),
        participants: form.all("participants"),
        duration: form.opt("duration"),
        confidentiality: form.get("confidentiality").to_string(),
        outcome: form.opt("outcome"),
    };
    finish_form(
        &room,
        ops::add_meeting(&state, &a, input).await,
        |r| format!("/meetings?done=meeting#meeting-{}", urlpart(r.id)),
        "meeting",
        form,
        |fail| pages::meetings_view(&state, &caller, &a, Some(fail), None),
    )
    .await
}

// ------------------------------------------------------ documents, notes

fn document_input(f: &FormData) -> Result<DocumentInput, ApiError> {
    let attach = f.get("attach");
    let (text_id, meeting_id) = if attach.is_empty() {
        (None, None)
    } else if let Some(t) = attach.strip_prefix("text:") {
        (Some(t.to_string()), None)
    } else if let Some(m) = attach.strip_prefix("meeting:") {
        (None, Some(m.to_string()))
    } else {
        return Err(ApiError::field(
            "attach",
            format!("unknown choice {attach:?}"),
        ));
    };
    Ok(DocumentInput {
        title: f.get("title").to_string(),
        content: f.get("content").to_string(),
        text_id,
        meeting_id,
        visibility: view::parse_audience(f.get("visibility"))?,
    })
}

pub(super) async fn add_document(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let result = async { ops::add_document(&state, &a, document_input(&form)?).await }.await;
    finish_form(
        &room,
        result,
        |r| format!("/documents?done=document#doc-{}", urlpart(r.id)),
        "document",
        form,
        |fail| pages::documents_view(&state, &caller, &a, Some(fail), None),
    )
    .await
}

pub(super) async fn add_note(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let result = async {
        let input = NoteInput {
            text: form.get("text").to_string(),
            visibility: view::parse_audience(form.get("visibility"))?,
        };
        ops::add_note(&state, &a, input).await
    }
    .await;
    finish_form(
        &room,
        result,
        |r| format!("/documents?done=note#note-{}", urlpart(r.id)),
        "note",
        form,
        |fail| pages::documents_view(&state, &caller, &a, Some(fail), None),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        let body = serde_urlencoded::to_string(pairs).unwrap();
        FormData::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn draft_lines_keep_keys_titles_and_wording() {
        let f = form(&[
            ("label", "v3"),
            (
                "points",
                "p01 | Ceasefire | Both sides stop | at once\n\n  p02 | Talks  \n",
            ),
        ]);
        let d = draft_input(&f, None).unwrap();
        assert_eq!(d.points.len(), 2);
        assert_eq!(d.points[0].key, "p01");
        assert_eq!(d.points[0].body, "Both sides stop | at once");
        assert_eq!(d.points[1].title, "Talks");
        assert_eq!(d.points[1].body, "");
    }

    #[test]
    fn a_line_without_title_names_the_point() {
        let f = form(&[("label", "v3"), ("points", "p01 | A\njust words")]);
        let e = draft_input(&f, None).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("points[1]"));
        assert!(e.message.contains("line 2"), "{}", e.message);
    }
}
