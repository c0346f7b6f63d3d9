//! The browser pages and form posts of this feature.

use super::StanceFilter;
use crate::access::RoomAccess;
use crate::error::ApiError;
use crate::pagination::PageQuery;
use crate::ui::forms::{begin, finish_form};
use crate::ui::pages::{audit_shown, load, party_choices, room_path, text_options};
use crate::ui::view::{self};
use crate::ui::{chrome, page, urlpart, FormData, Session, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use pactum_workspace::body::{Stance, Typed};
use pactum_workspace::model::{
    Kind, ProvenanceInput, Record, Reliability, StanceInput, StanceKind, Target,
};
use serde_json::{json, Value};

// --------------------------------------------------------------- stances

pub(crate) async fn stances(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(filter): Query<StanceFilter>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let window = q.window()?;
    let a = load(&state, &caller, &room).await?;
    let names = a.room().party_names();
    let hits: Vec<Typed<'_, Stance>> = a
        .room()
        .each::<Stance>()
        .filter(|s| filter.matches(s))
        .collect();
    let hits_page = window.of(&hits);
    let rows: Vec<Value> = hits_page
        .items
        .iter()
        .map(|s| view::stance(a.room(), *s, &names, &room))
        .collect();
    let mut shown: Vec<&Record> = hits_page.items.iter().map(|s| s.record).collect();
    let texts = text_options(a.room(), &names, &mut shown);
    let parties = party_choices(a.room());
    audit_shown(&state, &a, shown).await?;
    let filter_json = json!({
        "party": filter.party.unwrap_or_default(),
        "source": filter.source.unwrap_or_default(),
        "reliability": filter.reliability.unwrap_or_default(),
        "text": filter.text.unwrap_or_default(),
        "point": filter.point.unwrap_or_default(),
    });
    // The page links keep the filters.
    let query: Vec<String> = ["party", "source", "reliability", "text", "point"]
        .iter()
        .filter_map(|k| {
            let v = filter_json[*k].as_str().filter(|v| !v.is_empty())?;
            Some(format!("{k}={}", urlpart(v.to_string())))
        })
        .collect();
    let mut base = room_path(&room, "/stances");
    if !query.is_empty() {
        base = format!("{base}?{}", query.join("&"));
    }
    let mut ctx = chrome(&state, &caller, Some(&a), "stances", "Stance ledger").await?;
    ctx.insert("rows".into(), Value::Array(rows));
    ctx.insert("total".into(), a.room().of(Kind::Stance).count().into());
    ctx.insert("page".into(), hits_page.links(&base, window.limit));
    ctx.insert("filter".into(), filter_json);
    ctx.insert("parties".into(), Value::Array(parties));
    ctx.insert("texts".into(), Value::Array(texts));
    ctx.insert("reliabilities".into(), view::reliabilities());
    ctx.insert("stance_kinds".into(), view::stance_kinds());
    Ok(page(StatusCode::OK, "stances.html", &Value::Object(ctx)))
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
            } else if let Some(am) = t.strip_prefix("amendment:") {
                Target {
                    amendment_id: Some(am.to_string()),
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
        language: f.opt("language"),
    })
}

pub(crate) async fn form_add_stance(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let text_id = form.get("text_id").to_string();
    let result =
        async { crate::stances::add_stance(&state, &a, stance_input(&a, &form)?).await }.await;
    if let Some(am) = form.get("target").strip_prefix("amendment:") {
        // Posted from the amendment's page: back to it.
        result?;
        return Ok(Redirect::to(&format!(
            "{}?done=stance#stances",
            crate::amendments::ui::amendment_href(&room, am)
        ))
        .into_response());
    }
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
        |fail| crate::texts::ui::text_view(&state, &caller, &a, &text_id, Some(fail), None),
    )
    .await
}
