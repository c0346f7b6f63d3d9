//! Language editions of a version (see `pactum_workspace::editions`): the
//! mediator adds and edits them, over the API and from the text page.
//!
//! Editions live inside the text record, so they are read only through the
//! version itself: a version the user may not see has no editions for them,
//! and one they may see shows all of its editions.

use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{access, access_for_write, created, JsonBody, P};
use crate::ui::forms::{begin, finish_form};
use crate::ui::{urlpart, Session, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use pactum_workspace::body::Text;
use pactum_workspace::editions::{self, EditionInput, EditionPointInput};
use pactum_workspace::model::{Kind, Record};
use pactum_workspace::redline::{diff_texts, TextDiff};
use serde_json::{json, Value};

/// Adds or replaces an edition of a version (mediator only). A draft's
/// editions may change freely; a published version may gain a translation,
/// never a change to its authoritative wording. Audited as `text.edition`
/// (draft) or `text.translation` (published), naming the language.
pub async fn add_edition(
    state: &AppState,
    access: &RoomAccess,
    text_id: &str,
    input: EditionInput,
) -> ApiResult<Record> {
    let m = access.mediator()?;
    let t = access
        .room()
        .find::<Text>(text_id)
        .ok_or_else(ApiError::not_found)?;
    let language = input.language.clone();
    let record = input.apply(&t, t.record)?;
    let action = if t.is_draft() {
        "text.edition"
    } else {
        "text.translation"
    };
    let detail = format!("{language} · {}", record.visibility.label());
    m.write_detailed(state, &record, action, detail).await?;
    Ok(record)
}

/// The diff between two visible versions as they read in `language`; a
/// version without that edition is a field error naming `edition`.
pub fn diff_in(access: &RoomAccess, from: &str, to: &str, language: &str) -> ApiResult<TextDiff> {
    let get = |id: &str| {
        access
            .room()
            .get(Kind::Text, id)
            .ok_or_else(ApiError::not_found)
    };
    let (old, new) = (get(from)?, get(to)?);
    let in_language = |r: &Record| {
        editions::in_language(r, language).ok_or_else(|| {
            ApiError::field(
                "edition",
                format!("version {:?} has no {language:?} edition", r.id),
            )
        })
    };
    Ok(diff_texts(
        access.room(),
        &in_language(old)?,
        &in_language(new)?,
    ))
}

/// Every edition of a visible version, its own first.
pub fn list(access: &RoomAccess, text_id: &str) -> ApiResult<Vec<editions::Edition>> {
    let t = access
        .room()
        .find::<Text>(text_id)
        .ok_or_else(ApiError::not_found)?;
    Ok(editions::editions(&t, t.record))
}

async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let list = list(&a, &id)?;
    if let Some(r) = a.room().get(Kind::Text, &id) {
        a.audit_reads(&state, "read", [r]).await?;
    }
    Ok(Json(json!({"editions": list})))
}

async fn api_add(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    JsonBody(input): JsonBody<EditionInput>,
) -> ApiResult<Response> {
    let a = access_for_write(&state, &caller, &room).await?;
    Ok(created(&add_edition(&state, &a, &id, input).await?))
}

/// The text page's edition form: `language`, `label`, `dir`,
/// `authoritative`, `version_language`, and `title.<point id>` /
/// `wording.<point id>` for each point (wording kept exactly as typed).
async fn form_add(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, id)): P<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let result = async {
        let t = a.room().find::<Text>(&id).ok_or_else(ApiError::not_found)?;
        let mut points = std::collections::BTreeMap::new();
        for p in &t.points {
            let title = form.raw(&format!("title.{}", p.id)).to_string();
            let wording = form.raw(&format!("wording.{}", p.id)).to_string();
            if !title.is_empty() || !wording.is_empty() {
                points.insert(p.id.clone(), EditionPointInput { title, wording });
            }
        }
        let language = form.get("language").to_string();
        let input = EditionInput {
            language: language.clone(),
            authoritative: form.get("authoritative") == "on",
            dir: form.opt("dir").filter(|d| d != "auto"),
            label: form.opt("label"),
            points,
            version_language: form.opt("version_language"),
        };
        add_edition(&state, &a, &id, input)
            .await
            .map(|r| (r.id, language))
    }
    .await;
    finish_form(
        &room,
        result,
        |(text, language)| {
            format!(
                "/texts/{}?done=edition&edition={}#editions",
                urlpart(text),
                urlpart(language)
            )
        },
        "edition",
        form,
        |fail| crate::texts::ui::text_view(&state, &caller, &a, &id, Some(fail), None),
    )
    .await
}

/// The editions routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/rooms/{room}/texts/{id}/editions",
            axum::routing::get(api_list).post(api_add),
        )
        .route("/rooms/{room}/texts/{id}/editions", post(form_add))
}
