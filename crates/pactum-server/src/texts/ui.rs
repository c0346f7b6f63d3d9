//! The browser pages and form posts of this feature.

use super::PublishInput;
use crate::access::{Role, RoomAccess};
use crate::drafting::NewDraft;
use crate::error::ApiError;
use crate::ui::forms::{begin, finish_form};
use crate::ui::pages::{
    audit_shown, done_message, error_of, form_values, load, party_choices, room_path, status_of,
    submitted_list, text_options, today,
};
use crate::ui::view::{self};
use crate::ui::{chrome, page, urlpart, Fail, Session, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use pactum_workspace::body::{Meeting, Party, Stance, Text};
use pactum_workspace::drafting::{self, NewPoint};
use pactum_workspace::model::{Kind, Record};
use pactum_workspace::redline::{self, Alignment, Change};
use pactum_workspace::Visibility;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

// ----------------------------------------------------------------- texts

/// `/texts`: the current version, which carries a selector for the others.
pub(crate) async fn texts(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    let chosen = q
        .get("id")
        .and_then(|id| a.room().find::<Text>(id))
        .or_else(|| view::latest_text(a.room()));
    match chosen {
        Some(t) => Ok(Redirect::to(&room_path(
            &room,
            &format!("/texts/{}", urlpart(t.id().to_string())),
        ))
        .into_response()),
        None if a.is_mediator() => {
            Ok(Redirect::to(&room_path(&room, "/texts/new")).into_response())
        }
        None => Err(ApiError::not_found().into()),
    }
}

pub(crate) async fn text(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    Query(q): Query<TextQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    let (done, widen) = (q.done.as_deref(), q.widen.as_deref());
    let shown = (q.edition.as_deref(), q.compare.as_deref());
    text_page(&state, &caller, &a, &id, None, done, widen, shown).await
}

/// The text page's query: a form's confirmation, or a widening of the
/// version's audience awaiting the mediator's confirmation.
#[derive(Deserialize, Default)]
pub(crate) struct TextQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    widen: Option<String>,
    /// The language edition shown (first column).
    #[serde(default)]
    edition: Option<String>,
    /// The language edition shown beside it.
    #[serde(default)]
    compare: Option<String>,
}

/// The text page: header, stance matrix, points and the forms that act on
/// the version; `fail` re-shows a refused form.
pub(crate) async fn text_view(
    state: &AppState,
    caller: &crate::auth::Caller,
    a: &RoomAccess,
    id: &str,
    fail: Option<Fail>,
    done: Option<&str>,
) -> UiResult {
    text_page(state, caller, a, id, fail, done, None, (None, None)).await
}

/// The most stances one cell of the text page's matrix shows (see
/// `Room::matrix_within`).
const CELL_CHIPS: usize = 4;

/// [`text_view`], with a widening awaiting confirmation and the language
/// editions shown side by side.
#[allow(clippy::too_many_arguments)]
async fn text_page(
    state: &AppState,
    caller: &crate::auth::Caller,
    a: &RoomAccess,
    id: &str,
    fail: Option<Fail>,
    done: Option<&str>,
    widen: Option<&str>,
    languages: (Option<&str>, Option<&str>),
) -> UiResult {
    let fail = fail.as_ref();
    let t = a.room().find::<Text>(id).ok_or_else(ApiError::not_found)?;
    let names = a.room().party_names();
    let mut shown: Vec<&Record> = vec![t.record];
    let room = a.room_id();
    // A busy cell shows its latest stances (and the one that colours it);
    // the rest are counted and linked to the stance list.
    let (m, omitted) = a
        .room()
        .matrix_within(id, CELL_CHIPS)
        .ok_or_else(ApiError::not_found)?;

    // The matrix.
    let columns: Vec<Value> = m
        .points
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "head": p.number.map(|n| n.to_string()).unwrap_or_else(|| "·".into()),
                "heading": view::point_heading(p),
                "numbered": p.number.is_some(),
            })
        })
        .collect();
    let mut stance_ids: Vec<String> = Vec::new();
    let mut listed = std::collections::HashSet::new();
    let stances_href = |party: &str, point: Option<&str>| {
        let mut q = format!(
            "/stances?text={}&party={}",
            urlpart(id.to_string()),
            urlpart(party.to_string())
        );
        if let Some(p) = point {
            q.push_str(&format!("&point={}", urlpart(p.to_string())));
        }
        room_path(room, &q)
    };
    let rows: Vec<Value> = m
        .rows
        .iter()
        .zip(&omitted)
        .map(|(r, left)| {
            let mut cell =
                |chips: &'_ [pactum_workspace::model::Cell], more: usize, point: Option<&str>| {
                    for c in chips {
                        if listed.insert(c.stance_id.clone()) {
                            stance_ids.push(c.stance_id.clone());
                        }
                    }
                    let mut v = view::cell(&r.name, chips);
                    if more > 0 {
                        v["more"] = json!(more);
                        v["more_href"] = json!(stances_href(&r.party_id, point));
                    }
                    v
                };
            let whole = cell(&r.whole_text, left.whole_text, None);
            let cells: Vec<Value> = r
                .cells
                .iter()
                .zip(&left.cells)
                .zip(&m.points)
                .map(|((c, &more), p)| {
                    let mut v = cell(c, more, Some(&p.id));
                    v["point_id"] = json!(p.id);
                    v["heading"] = json!(view::point_heading(p));
                    v
                })
                .collect();
            json!({
                "party_id": r.party_id,
                "name": r.name,
                "is_you": r.party_id == a.party_id(),
                "whole": whole,
                "cells": cells,
            })
        })
        .collect();
    // One pass over the stances finds every one the cells show.
    let mut found: HashMap<&str, pactum_workspace::body::Typed<'_, Stance>> = a
        .room()
        .each::<Stance>()
        .filter(|s| listed.contains(s.id()))
        .map(|s| (s.id(), s))
        .collect();
    let details: Vec<Value> = stance_ids
        .iter()
        .filter_map(|sid| found.remove(sid.as_str()))
        .map(|s| {
            shown.push(s.record);
            view::stance(a.room(), s, &names, room)
        })
        .collect();
    let amendments: Vec<Value> = details
        .iter()
        .filter(|d| d["amendment"].is_string())
        .cloned()
        .collect();

    // The points, with what the case reports about each.
    let pts = &t.points;
    let points: Vec<Value> = pts
        .iter()
        .zip(
            t.point_reports
                .iter()
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .map(|(p, r)| {
            let issues: Vec<Value> = p
                .issue_ids
                .iter()
                .map(|i| {
                    json!({"id": i, "title": pactum_workspace::setup::issue_title(a.room(), i)})
                })
                .collect();
            let prov: Vec<Value> = r
                .map(|r| {
                    r.provenance
                        .iter()
                        .map(|p| view::provenance(p.as_ref()))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "id": p.id,
                "number": p.number,
                "heading": view::point_heading(p),
                "title": p.title,
                "body": p.body,
                "summary": (p.summary != p.title && !p.summary.is_empty()).then_some(&p.summary),
                "issues": issues,
                "provenance": prov,
                "inferred": r.is_some_and(|r| r.inferred),
            })
        })
        .collect();

    // About the version.
    let text_ref = |tid: &str| -> Option<Value> {
        a.room().find::<Text>(tid).map(|x| {
            json!({"id": x.id(), "label": x.label.as_deref().unwrap_or(x.id()), "href": room_path(room, &format!("/texts/{}", urlpart(x.id().to_string())))})
        })
    };
    let party_list = |ids: &'_ [String]| -> Vec<String> {
        ids.iter()
            .map(|p| names.get(p.as_str()).copied().unwrap_or(p).to_string())
            .collect()
    };
    let publications: Vec<Value> = t
        .publications
        .iter()
        .map(|p| {
            let party = p.party_id.as_deref().unwrap_or_default();
            json!({
                "party": names.get(party).copied().unwrap_or(party),
                "at": view::timestamp(p.at.as_deref().unwrap_or_default()),
            })
        })
        .collect();
    let derived = t.derived_from_text_id.as_deref().and_then(text_ref);
    let header = json!({
        "id": t.id(),
        "label": t.label.as_deref().unwrap_or(t.id()),
        "kind": t.kind.as_deref().unwrap_or("text").replace('_', " "),
        "version": t.version,
        "draft": t.is_draft(),
        "status": view::text_option(t, &names)["status"],
        "audience": view::audience(&t.record.visibility, &names),
        "derived": derived,
        "same_as": t.possibly_same_as_text_ids.iter().filter_map(|x| text_ref(x)).collect::<Vec<_>>(),
        "authors": party_list(&t.author_party_ids),
        "input_from": party_list(&t.input_from_party_ids),
        "point_count": t.point_count,
        "document_count": t.document_count,
        "points_note": t.points_note.as_deref(),
        "facts": view::claims(&t.reported_facts),
        "publications": publications,
        // For the mediator, how each party numbers this version (each
        // party's numbers skip what it was not given).
        "known_as": if a.is_mediator() {
            pactum_workspace::versions::known_as(a.room(), t.id())
                .into_iter()
                .map(|k| json!({"party": names.get(k.party_id.as_str()).copied().unwrap_or(&k.party_id), "version": k.version}))
                .collect::<Vec<_>>()
        } else {
            Vec::new()
        },
        "redline_href": derived.as_ref().map(|d| room_path(room, &format!("/redline?from={}&to={}", urlpart(d["id"].as_str().unwrap_or_default().to_string()), urlpart(t.id().to_string())))),
    });

    // The forms.
    let texts_for_select = text_options(a.room(), &names, &mut shown);
    let can_record = a.role() != Role::Observer;
    let stance_form = if can_record {
        let mut targets = vec![json!({"value": "text", "label": "Whole text", "group": "text"})];
        for p in pts {
            targets.push(json!({"value": format!("point:{}", p.id), "label": view::point_heading(p), "group": "point"}));
        }
        for i in a.room().live_issues() {
            targets.push(json!({"value": format!("issue:{}", i.id()), "label": i.title.as_deref().unwrap_or(i.id()), "group": "issue"}));
        }
        let parties = party_choices(a.room());
        let meetings: Vec<Value> = a
            .room()
            .each::<Meeting>()
            .map(|mt| {
                shown.push(mt.record);
                json!({"id": mt.id(), "title": mt.title.as_deref().unwrap_or(mt.id())})
            })
            .collect();
        let own = names.get(a.party_id()).copied().unwrap_or(a.party_id());
        let defaults = if a.is_mediator() {
            json!({"party": "", "target": "text", "stance": "", "reliability": "official_on_record", "source": "", "date": today(), "visibility": "default"})
        } else {
            json!({"party": a.party_id(), "target": "text", "stance": "", "reliability": "own_delegation", "source": format!("{own} delegation"), "date": today(), "visibility": "default"})
        };
        json!({
            "values": form_values(defaults, fail, "stance"),
            "languages": pactum_workspace::editions::editions(&t, t.record).iter().map(|e| e.language.clone()).collect::<Vec<_>>(),
            "targets": targets,
            "parties": parties,
            "meetings": meetings,
            "audiences": view::audience_choices(a, &names, true),
        })
    } else {
        Value::Null
    };
    // A draft's label; its points are edited one by one (`point_editor`).
    let rename_form = (a.is_mediator() && t.is_draft()).then(|| {
        json!({
            "values": form_values(json!({"label": t.label.as_deref().unwrap_or_default()}), fail, "draft"),
        })
    });
    let publish_form = (a.is_mediator() && !t.record.visibility.is_room_wide()).then(|| {
        let audience: Vec<&str> = match &t.record.visibility {
            Visibility::Parties { parties } => parties.iter().map(String::as_str).collect(),
            Visibility::PartyAndMediator { party } => vec![party.as_str()],
            _ => Vec::new(),
        };
        let ticked = submitted_list(fail, "publish", "parties");
        let parties: Vec<Value> = a
            .room()
            .each::<Party>()
            .filter(|p| p.id() != a.party_id())
            .map(|p| {
                let has = audience.contains(&p.id());
                json!({
                    "id": p.id(),
                    "name": p.name.as_deref().unwrap_or(p.id()),
                    "kind": view::party_kind_label(p.kind),
                    "has": has,
                    "checked": has || ticked.as_ref().is_some_and(|l| l.contains(&p.record.id)),
                })
            })
            .collect();
        json!({"parties": parties, "widen": !t.is_draft()})
    });

    let extras = crate::amendments::ui::text_extras(a, t, &names, &mut shown);
    audit_shown(state, a, shown).await?;
    let label = t.label.as_deref().unwrap_or(t.id()).to_string();
    let mut ctx = chrome(state, caller, Some(a), "text", &label).await?;
    ctx.extend(extras);
    ctx.insert(
        "editions".into(),
        editions_view(a, &t, &header, languages, fail),
    );
    ctx.insert("text".into(), header);
    ctx.insert("texts".into(), Value::Array(texts_for_select));
    ctx.insert("columns".into(), Value::Array(columns));
    ctx.insert("rows".into(), Value::Array(rows));
    ctx.insert("details".into(), Value::Array(details));
    ctx.insert("amendments".into(), Value::Array(amendments));
    ctx.insert("points".into(), Value::Array(points));
    ctx.insert(
        "follows".into(),
        json!(crate::access::inbox::follows(state, a).await?),
    );
    ctx.insert("stance_kinds".into(), view::stance_kinds());
    ctx.insert("reliabilities".into(), view::reliabilities());
    ctx.insert("stance_form".into(), stance_form);
    ctx.insert("rename_form".into(), json!(rename_form));
    ctx.insert(
        "point_editor".into(),
        json!(crate::drafting::editor(a, t.record)),
    );
    ctx.insert("publish_form".into(), json!(publish_form));
    ctx.insert(
        "rescope".into(),
        crate::records::rescope_form(a, t.record, widen)?,
    );
    ctx.insert("error".into(), error_of(fail));
    ctx.insert("done".into(), json!(done_message(done)));
    Ok(page(status_of(fail), "text.html", &Value::Object(ctx)))
}

#[derive(Deserialize, Default)]
pub(crate) struct FromQuery {
    #[serde(default)]
    from: Option<String>,
}

pub(crate) async fn new_text(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<FromQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    new_text_view(&state, &caller, &a, q.from.as_deref(), None).await
}

/// The new-draft page (mediator only; others get the 404 page): a label,
/// what to start from (an empty draft, or a published version whose points
/// are carried with their keys) and an optional first point. The draft's
/// page then edits it point by point.
pub(crate) async fn new_text_view(
    state: &AppState,
    caller: &crate::auth::Caller,
    a: &RoomAccess,
    from: Option<&str>,
    fail: Option<Fail>,
) -> UiResult {
    a.mediator_page()?;
    let fail = fail.as_ref();
    let names = a.room().party_names();
    let mut shown: Vec<&Record> = Vec::new();
    // Only published (or reported) versions are revised; a draft is edited.
    let bases: Vec<Value> = a
        .room()
        .versions()
        .into_iter()
        .filter(|t| !t.is_draft())
        .map(|t| {
            shown.push(t.record);
            view::text_option(t, &names)
        })
        .collect();
    let from = from
        .filter(|f| bases.iter().any(|b| b["id"] == *f))
        .unwrap_or_default();
    let defaults = json!({"label": "", "from": from, "title": "", "body": ""});
    audit_shown(state, a, shown).await?;
    let mut ctx = chrome(state, caller, Some(a), "text", "New draft").await?;
    ctx.insert("bases".into(), Value::Array(bases));
    ctx.insert("values".into(), form_values(defaults, fail, "draft"));
    ctx.insert("error".into(), error_of(fail));
    Ok(page(status_of(fail), "new_text.html", &Value::Object(ctx)))
}

// --------------------------------------------------------------- redline

pub(crate) async fn redline(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    let names = a.room().party_names();
    let texts = a.room().versions();
    let pick = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let to = pick("to").or_else(|| view::latest_text(a.room()).map(|t| t.id().to_string()));
    let from = pick("from").or_else(|| {
        let to_rec = a.room().find::<Text>(to.as_deref()?)?;
        to_rec
            .derived_from_text_id
            .clone()
            .filter(|d| a.room().find::<Text>(d).is_some())
            .or_else(|| {
                let pos = texts.iter().position(|t| t.id() == to_rec.id())?;
                texts[..pos]
                    .last()
                    .or(texts.get(pos + 1))
                    .map(|t| t.id().to_string())
            })
    });
    let edition = pick("edition");
    let mut shown: Vec<&Record> = texts.iter().map(|t| t.record).collect();
    let options: Vec<Value> = texts
        .iter()
        .map(|t| view::text_option(*t, &names))
        .collect();
    let diff = match (&from, &to) {
        (Some(f), Some(t)) => {
            let d = match &edition {
                Some(l) => crate::texts::editions::diff_in(&a, f, t, l)?,
                None => crate::texts::diff(&a, f, t)?,
            };
            let from_rec = a.room().find::<Text>(f);
            let to_rec = a.room().find::<Text>(t);
            // Which amendment each change came from, as far as the reader
            // may see it.
            let origins = to_rec
                .map(|t| pactum_workspace::amendment::origins(t.record, &d))
                .unwrap_or_default();
            let points: Vec<Value> = d
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut v = redline_entry(p);
                    let from: Vec<Value> = origins
                        .get(i)
                        .into_iter()
                        .flatten()
                        .filter_map(|id| a.room().find::<pactum_workspace::body::Amendment>(id))
                        .map(|am| {
                            shown.push(am.record);
                            let party = am.party_id.as_deref().unwrap_or_default();
                            json!({
                                "id": am.id(),
                                "party": names.get(party).copied().unwrap_or(party),
                                "href": crate::amendments::ui::amendment_href(&room, am.id()),
                            })
                        })
                        .collect();
                    v["amendments"] = json!(from);
                    v
                })
                .collect();
            shown.extend(from_rec.map(|t| t.record));
            shown.extend(to_rec.map(|t| t.record));
            let summary: Vec<Value> = Change::ALL
                .iter()
                .map(|&c| json!({"change": c.name(), "count": d.count(c)}))
                .collect();
            json!({
                "from": from_rec.map(|r| view::text_option(r, &names)),
                "to": to_rec.map(|r| view::text_option(r, &names)),
                "points": points,
                "summary": summary,
                "by_content": d.alignment == Alignment::Content,
                "unchanged": d.unchanged,
            })
        }
        _ => Value::Null,
    };
    audit_shown(&state, &a, shown).await?;
    let mut ctx = chrome(&state, &caller, Some(&a), "redline", "Redline").await?;
    ctx.insert("texts".into(), Value::Array(options));
    ctx.insert("from".into(), json!(from));
    ctx.insert("to".into(), json!(to));
    ctx.insert("diff".into(), diff);
    ctx.insert(
        "edition".into(),
        json!(edition.as_deref().map(|l| json!({
            "language": l,
            "dir": pactum_workspace::editions::default_dir(l).as_str(),
        }))),
    );
    Ok(page(StatusCode::OK, "redline.html", &Value::Object(ctx)))
}

/// One entry of the redline page: the badge says what happened in words a
/// reader cites ("Merged from 3 + 4", "Split into 5 / 6"), the numbers say
/// where the point was and is.
fn redline_entry(p: &redline::PointDiff) -> Value {
    let list = |ns: &[u32], sep: &str| ns.iter().map(u32::to_string).collect::<Vec<_>>().join(sep);
    let label = match p.change {
        Change::Unchanged => "Unchanged".to_string(),
        Change::Renumbered => "Renumbered".to_string(),
        Change::Changed => "Changed".to_string(),
        Change::Moved => "Moved".to_string(),
        Change::Merged => format!("Merged from {}", list(&p.from, " + ")),
        Change::Split => format!("Split into {}", list(&p.to, " / ")),
        Change::Inserted => "Inserted".to_string(),
        Change::Deleted => "Deleted".to_string(),
    };
    let key = p.to_keys.first().or(p.from_keys.first());
    json!({
        "key": key,
        "change": p.change.name(),
        "change_label": label,
        "from": if p.from.is_empty() { "–".to_string() } else { list(&p.from, " + ") },
        "to": if p.to.is_empty() { "–".to_string() } else { list(&p.to, " / ") },
        "title_html": redline::to_html(&p.title),
        "body_html": redline::to_html(&p.body),
        "empty_body": p.body.iter().all(|s| s.text.is_empty()),
        "empty_title": p.title.iter().all(|s| s.text.is_empty()),
    })
}

// ---------------------------------------------------------------- drafts

/// The new-draft form: an empty draft, or a revision of a published
/// version, with the first point's wording kept byte for byte.
pub(crate) async fn form_new_draft(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    a.mediator_page()?;
    let from = form.opt("from");
    let result = async {
        let title = form.get("title");
        let wording = form.raw("body");
        let point = match (title.is_empty(), wording.trim().is_empty()) {
            (true, true) => None,
            (true, false) => {
                return Err(ApiError::field(
                    "title",
                    "give the point a title, or leave its wording empty",
                ))
            }
            (false, _) => Some(NewPoint {
                title: title.to_string(),
                body: wording.to_string(),
                ..NewPoint::default()
            }),
        };
        let new = NewDraft {
            label: form.get("label").to_string(),
            from: from.clone(),
            point,
        };
        crate::drafting::new_draft(&state, &a, new).await
    }
    .await;
    finish_form(
        &room,
        result,
        |r| format!("/texts/{}?done=draft", urlpart(r.id)),
        "draft",
        form,
        |fail| crate::texts::ui::new_text_view(&state, &caller, &a, from.as_deref(), Some(fail)),
    )
    .await
}

/// Renames a draft; its points stay exactly as they are.
pub(crate) async fn form_rename_draft(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let t = a
        .room()
        .get(Kind::Text, &id)
        .ok_or_else(ApiError::not_found)?;
    let mut input = drafting::draft_of(t);
    input.label = form.get("label").to_string();
    let result = crate::texts::edit_draft(&state, &a, &id, input).await;
    finish_form(
        &room,
        result,
        |_| format!("/texts/{}?done=draft", urlpart(id.clone())),
        "draft",
        form,
        |fail| crate::texts::ui::text_view(&state, &caller, &a, &id, Some(fail), None),
    )
    .await
}

pub(crate) async fn form_publish(
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
        crate::texts::publish(&state, &a, &id, input).await,
        |_| format!("/texts/{}?done=published", urlpart(id.clone())),
        "publish",
        form,
        |fail| crate::texts::ui::text_view(&state, &caller, &a, &id, Some(fail), None),
    )
    .await
}

/// The text page's editions: the list with links, two editions side by
/// side aligned point by point (each column with its `lang` and `dir`),
/// each edition's redline against the version this one revises, and the
/// mediator's edition form.
fn editions_view(
    a: &RoomAccess,
    t: &pactum_workspace::body::Typed<'_, Text>,
    header: &Value,
    (first, second): (Option<&str>, Option<&str>),
    fail: Option<&Fail>,
) -> Value {
    use pactum_workspace::editions;
    let room = a.room_id();
    let eds = editions::editions(t, t.record);
    let find = |l: Option<&str>| l.and_then(|l| eds.iter().find(|e| e.language == l));
    let left = find(first)
        .or_else(|| eds.iter().find(|e| e.authoritative))
        .unwrap_or(&eds[0]);
    let right = find(second)
        .filter(|e| e.language != left.language)
        .or_else(|| eds.iter().find(|e| e.language != left.language));
    let href = |l: &str, r: &str| {
        room_path(
            room,
            &format!(
                "/texts/{}?edition={}&compare={}#editions",
                urlpart(t.id().to_string()),
                urlpart(l.to_string()),
                urlpart(r.to_string())
            ),
        )
    };
    let derived = t
        .derived_from_text_id
        .as_deref()
        .and_then(|d| a.room().get(Kind::Text, d));
    let column = |e: &editions::Edition| {
        let redline = derived
            .filter(|d| editions::in_language(d, &e.language).is_some())
            .map(|d| {
                room_path(
                    room,
                    &format!(
                        "/redline?from={}&to={}&edition={}",
                        urlpart(d.id.clone()),
                        urlpart(t.id().to_string()),
                        urlpart(e.language.clone())
                    ),
                )
            });
        json!({
            "language": e.language,
            "dir": e.dir.as_str(),
            "authoritative": e.authoritative,
            "own": e.own,
            "label": e.label.as_deref().or(header["label"].as_str()),
            "redline_href": redline,
        })
    };
    let rows: Vec<Value> = right
        .map(|r| {
            left.points
                .iter()
                .zip(&r.points)
                .map(|(lp, rp)| {
                    json!({
                        "id": lp.id,
                        "number": lp.number,
                        "left": {"title": lp.title, "wording": lp.wording, "missing": lp.missing},
                        "right": {"title": rp.title, "wording": rp.wording, "missing": rp.missing},
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let list: Vec<Value> = eds
        .iter()
        .map(|e| {
            let other = if e.language == left.language {
                right.map(|r| r.language.as_str())
            } else {
                Some(left.language.as_str())
            };
            let mut v = column(e);
            v["href"] = json!(other.map(|o| href(&e.language, o)));
            v
        })
        .collect();
    // The form edits the edition shown beside the version's own wording
    // (or starts a new one).
    let editing = right.filter(|r| !r.own).or((!left.own).then_some(left));
    let form = a.is_mediator().then(|| {
        let points: Vec<Value> = t
            .points
            .iter()
            .map(|p| {
                let given = editing.and_then(|e| e.points.iter().find(|x| x.id == p.id));
                json!({
                    "id": p.id,
                    "heading": view::point_heading(p),
                    "title": given.map(|g| g.title.as_str()).unwrap_or_default(),
                    "wording": given.map(|g| g.wording.as_str()).unwrap_or_default(),
                })
            })
            .collect();
        let defaults = json!({
            "language": editing.map(|e| e.language.as_str()).unwrap_or_default(),
            "label": editing.and_then(|e| e.label.as_deref()).unwrap_or_default(),
            "dir": editing.map(|e| e.dir.as_str()).unwrap_or("auto"),
            "version_language": editions::own_language(t.record).unwrap_or_default(),
        });
        json!({
            "values": form_values(defaults, fail, "edition"),
            "points": points,
            "draft": t.is_draft(),
            "own_language_set": editions::own_language(t.record).is_some(),
        })
    });
    json!({
        "list": list,
        "left": column(left),
        "right": right.map(column),
        "rows": rows,
        "form": form,
    })
}
