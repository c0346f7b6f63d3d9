//! The UI's pages. Each builds its context from a [`RoomAccess`] (only what
//! the user may see) and logs the restricted records it shows, as the API
//! does for its reads.

use super::view::{self, Names};
use super::{chrome, page, urlpart, Fail, Session, UiResult};
use crate::access::{ReadList, Role, RoomAccess};
use crate::error::ApiError;
use crate::ops::{self, StanceFilter};
use crate::pagination::PageQuery;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pactum_workspace::model::{self, Kind, PartyKind, Record, Room};
use pactum_workspace::redline::{self, Alignment, Change, PointRef};
use pactum_workspace::Visibility;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// Loads the room as the user sees it.
pub(super) async fn load(
    state: &AppState,
    caller: &crate::auth::Caller,
    room: &str,
) -> Result<RoomAccess, ApiError> {
    RoomAccess::load(state, &caller.user, room).await
}

/// Logs the restricted records a page shows, once each.
async fn audit_shown(
    state: &AppState,
    access: &RoomAccess,
    shown: Vec<&Record>,
) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    let unique: Vec<&Record> = shown
        .into_iter()
        .filter(|r| seen.insert((r.kind, r.id.as_str())))
        .collect();
    access.audit_reads(state, "view", unique).await
}

/// The path of a room page.
pub(super) fn room_path(room: &str, rest: &str) -> String {
    format!("/rooms/{}{rest}", urlpart(room.to_string()))
}

/// A confirmation after a successful form, carried in the redirect's query
/// so that reloading the page does not post again.
fn done_message(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "stance" => "Stance recorded.",
        "draft" => "Draft saved.",
        "published" => "Published. The parties you chose can now see this version.",
        "meeting" => "Meeting recorded.",
        "document" => "Document added.",
        "note" => "Note added.",
        _ => return None,
    })
}

/// The confirmation a form's redirect carries (see `done_message`).
#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    pub(super) done: Option<String>,
}

/// Form defaults with what the user typed laid over them after an error.
fn form_values(defaults: Value, fail: Option<&Fail>, form: &str) -> Value {
    let mut map = match defaults {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Some(f) = fail.filter(|f| f.form == form) {
        for (k, v) in f.values.values() {
            map.insert(k, v);
        }
    }
    Value::Object(map)
}

fn error_of(fail: Option<&Fail>) -> Value {
    fail.map(Fail::json).unwrap_or(Value::Null)
}

fn status_of(fail: Option<&Fail>) -> StatusCode {
    fail.map(Fail::status).unwrap_or(StatusCode::OK)
}

fn today() -> String {
    crate::now().get(..10).unwrap_or_default().to_string()
}

/// The values a form submitted under a checkbox group.
fn submitted_list(fail: Option<&Fail>, form: &str, name: &str) -> Option<Vec<String>> {
    fail.filter(|f| f.form == form).map(|f| f.values.all(name))
}

/// Every version as the version selectors list them; a selector shows
/// each, so each goes into `shown` to be logged.
fn text_options<'r>(room: &'r Room, names: &Names<'_>, shown: &mut Vec<&'r Record>) -> Vec<Value> {
    room.texts()
        .into_iter()
        .map(|t| {
            shown.push(t);
            view::text_option(t, names)
        })
        .collect()
}

/// The parties as a party picker lists them.
fn party_choices(room: &Room) -> Vec<Value> {
    room.of(Kind::Party)
        .map(|p| json!({"id": p.id, "name": p.str("name").unwrap_or(&p.id)}))
        .collect()
}

// ---------------------------------------------------------------- rooms

pub(super) async fn rooms(State(state): State<AppState>, Session(caller): Session) -> UiResult {
    let mut list = Vec::new();
    for (room, _) in crate::access::seats_of(&state, &caller.user).await? {
        let a = match load(&state, &caller, &room.id).await {
            Ok(a) => a,
            Err(e) if e.status == StatusCode::NOT_FOUND => continue,
            Err(e) => return Err(e.into()),
        };
        let names = a.room().party_names();
        list.push(json!({
            "id": a.room_id(),
            "href": room_path(a.room_id(), ""),
            "title": a.title(),
            "party": names.get(a.party_id()).copied().unwrap_or(a.party_id()),
            "role": view::role_label(a.role()),
            "texts": a.room().of(Kind::Text).count(),
            "meetings": a.room().of(Kind::Meeting).count(),
            "stances": a.room().of(Kind::Stance).count(),
        }));
    }
    let mut ctx = chrome(&state, &caller, None, "rooms", "Your rooms").await?;
    ctx.insert("rooms".into(), Value::Array(list));
    if let Some(all) = crate::setup::operator_rooms(&state, &caller).await? {
        ctx.insert("operator_rooms".into(), Value::Array(all));
    }
    Ok(page(StatusCode::OK, "rooms.html", &Value::Object(ctx)))
}

// ------------------------------------------------------------- overview

pub(super) async fn overview(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let window = q.window()?;
    let a = load(&state, &caller, &room).await?;
    let names = a.room().party_names();
    let mut shown: Vec<&Record> = Vec::new();
    let meta = a.room().of(Kind::Meta).next();
    if let Some(m) = meta {
        shown.push(m);
    }
    let items = a.room().timeline();
    let timeline_page = window.of(&items);
    let timeline: Vec<Value> = timeline_page
        .items
        .iter()
        .filter_map(|item| {
            let rec = a.room().get(item.kind, &item.id)?;
            shown.push(rec);
            let (href, closed, extra) = match item.kind {
                Kind::Meeting => {
                    let conf = rec.str("confidentiality").unwrap_or("not_reported");
                    (
                        room_path(
                            &room,
                            &format!("/meetings#meeting-{}", urlpart(item.id.clone())),
                        ),
                        conf.starts_with("closed"),
                        confidentiality_label(conf).to_string(),
                    )
                }
                _ => (
                    room_path(&room, &format!("/texts/{}", urlpart(item.id.clone()))),
                    false,
                    String::new(),
                ),
            };
            Some(json!({
                "kind": item.kind.as_str(),
                "id": item.id,
                "title": item.title,
                "dated": item.date.is_some(),
                "when": view::when(item.date.as_deref(), item.not_before.as_deref()),
                "detail": item.detail,
                "href": href,
                "closed": closed,
                "confidentiality": extra,
                "audience": view::audience(&rec.visibility, &names),
            }))
        })
        .collect();
    let parties: Vec<Value> = a
        .room()
        .of(Kind::Party)
        .map(|p| {
            shown.push(p);
            let kind = PartyKind::of(p);
            let delegates: Vec<String> = p
                .body
                .get("delegates")
                .and_then(Value::as_array)
                .map(|ds| {
                    ds.iter()
                        .filter_map(|d| {
                            let n = d.get("name").and_then(Value::as_str)?;
                            Some(match d.get("role").and_then(Value::as_str) {
                                Some(r) => format!("{n} ({r})"),
                                None => n.to_string(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "id": p.id,
                "name": p.str("name").unwrap_or(&p.id),
                "kind": view::party_kind_label(kind),
                "description": p.str("description"),
                "delegates": delegates,
                "is_you": p.id == a.party_id(),
            })
        })
        .collect();
    let issues: Vec<Value> = a
        .room()
        .of(Kind::Issue)
        .map(|i| {
            shown.push(i);
            json!({
                "id": i.id,
                "title": pactum_workspace::setup::issue_title(a.room(), &i.id),
                "description": i.str("description"),
                "options": i.body.get("options").and_then(Value::as_array).map(|o| o.iter().filter_map(Value::as_object).filter_map(|o| {
                    let label = o.get("label").and_then(Value::as_str)?;
                    Some(if pactum_workspace::setup::is_retired(o) { format!("{label} (retired)") } else { label.to_string() })
                }).collect::<Vec<_>>()).unwrap_or_default(),
            })
        })
        .collect();
    let count = |k: Kind| a.room().of(k).count();
    let counts = json!([
        {"label": "Text versions", "n": count(Kind::Text), "href": room_path(&room, "/texts")},
        {"label": "Meetings", "n": count(Kind::Meeting), "href": room_path(&room, "/meetings")},
        {"label": "Stances", "n": count(Kind::Stance), "href": room_path(&room, "/stances")},
        {"label": "Documents", "n": count(Kind::Document), "href": room_path(&room, "/documents")},
        {"label": "Notes", "n": count(Kind::Note), "href": room_path(&room, "/documents#notes")},
        {"label": "Issues", "n": count(Kind::Issue), "href": "#issues"},
    ]);
    let meta_json = json!({
        "disclaimer": meta.and_then(|m| m.str("disclaimer")),
        "description": meta.and_then(|m| m.str("description")),
    });
    audit_shown(&state, &a, shown).await?;
    let mut ctx = chrome(&state, &caller, Some(&a), "overview", a.title()).await?;
    ctx.insert("meta".into(), meta_json);
    ctx.insert("timeline".into(), Value::Array(timeline));
    ctx.insert(
        "timeline_page".into(),
        timeline_page.links(&room_path(&room, ""), window.limit),
    );
    ctx.insert("parties".into(), Value::Array(parties));
    ctx.insert("issues".into(), Value::Array(issues));
    ctx.insert("counts".into(), counts);
    Ok(page(StatusCode::OK, "overview.html", &Value::Object(ctx)))
}

fn confidentiality_label(c: &str) -> &'static str {
    match c {
        "open" => "Open",
        "closed" => "Closed",
        "closed_with_nondisclosure" => "Closed, non-disclosure agreed",
        _ => "Confidentiality not reported",
    }
}

// ----------------------------------------------------------------- texts

/// `/texts`: the current version, which carries a selector for the others.
pub(super) async fn texts(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    let chosen = q
        .get("id")
        .and_then(|id| a.room().get(Kind::Text, id))
        .or_else(|| view::latest_text(a.room()));
    match chosen {
        Some(t) => Ok(Redirect::to(&room_path(
            &room,
            &format!("/texts/{}", urlpart(t.id.clone())),
        ))
        .into_response()),
        None if a.is_mediator() => {
            Ok(Redirect::to(&room_path(&room, "/texts/new")).into_response())
        }
        None => Err(ApiError::not_found().into()),
    }
}

pub(super) async fn text(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    text_view(&state, &caller, &a, &id, None, q.done.as_deref()).await
}

/// The text page: header, stance matrix, points and the forms that act on
/// the version; `fail` re-shows a refused form.
pub(super) async fn text_view(
    state: &AppState,
    caller: &crate::auth::Caller,
    a: &RoomAccess,
    id: &str,
    fail: Option<Fail>,
    done: Option<&str>,
) -> UiResult {
    let fail = fail.as_ref();
    let t = a
        .room()
        .get(Kind::Text, id)
        .ok_or_else(ApiError::not_found)?;
    let names = a.room().party_names();
    let mut shown: Vec<&Record> = vec![t];
    let room = a.room_id();
    let m = a.room().matrix(id).ok_or_else(ApiError::not_found)?;

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
    let mut stance_ids: Vec<&str> = Vec::new();
    let rows: Vec<Value> = m
        .rows
        .iter()
        .map(|r| {
            for c in r.whole_text.iter().chain(r.cells.iter().flatten()) {
                if !stance_ids.contains(&c.stance_id.as_str()) {
                    stance_ids.push(&c.stance_id);
                }
            }
            let cells: Vec<Value> = r
                .cells
                .iter()
                .zip(&m.points)
                .map(|(c, p)| {
                    let mut v = view::cell(&r.name, c);
                    v["point_id"] = json!(p.id);
                    v["heading"] = json!(view::point_heading(p));
                    v
                })
                .collect();
            json!({
                "party_id": r.party_id,
                "name": r.name,
                "is_you": r.party_id == a.party_id(),
                "whole": view::cell(&r.name, &r.whole_text),
                "cells": cells,
            })
        })
        .collect();
    let details: Vec<Value> = stance_ids
        .iter()
        .filter_map(|sid| a.room().get(Kind::Stance, sid))
        .map(|s| {
            shown.push(s);
            view::stance(a.room(), s, &names, room)
        })
        .collect();
    let amendments: Vec<Value> = details
        .iter()
        .filter(|d| d["amendment"].is_string())
        .cloned()
        .collect();

    // The points, with what the case reports about each.
    let raw: Vec<&Map<String, Value>> = t
        .body
        .get("points")
        .and_then(Value::as_array)
        .map(|ps| ps.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let pts = model::points(t);
    let points: Vec<Value> = pts
        .iter()
        .zip(raw.iter().copied().map(Some).chain(std::iter::repeat(None)))
        .map(|(p, r)| {
            let issues: Vec<Value> = p
                .issue_ids
                .iter()
                .map(|i| {
                    json!({"id": i, "title": pactum_workspace::setup::issue_title(a.room(), i)})
                })
                .collect();
            let prov: Vec<Value> = r
                .and_then(|r| r.get("provenance"))
                .and_then(Value::as_array)
                .map(|ps| ps.iter().map(|p| view::provenance(Some(p))).collect())
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
                "inferred": r.and_then(|r| r.get("version_attribution")).and_then(Value::as_str) == Some("inferred"),
            })
        })
        .collect();

    // About the version.
    let text_ref = |tid: &str| -> Option<Value> {
        a.room().get(Kind::Text, tid).map(|x| {
            json!({"id": x.id, "label": x.str("label").unwrap_or(&x.id), "href": room_path(room, &format!("/texts/{}", urlpart(x.id.clone())))})
        })
    };
    let party_list = |field: &str| -> Vec<&str> {
        t.strs(field)
            .into_iter()
            .map(|p| names.get(p).copied().unwrap_or(p))
            .collect()
    };
    let publications: Vec<Value> = t
        .body
        .get("publications")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let party = p.get("party_id").and_then(Value::as_str).unwrap_or_default();
                    json!({
                        "party": names.get(party).copied().unwrap_or(party),
                        "at": view::timestamp(p.get("at").and_then(Value::as_str).unwrap_or_default()),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let derived = t.str("derived_from_text_id").and_then(text_ref);
    let header = json!({
        "id": t.id,
        "label": t.str("label").unwrap_or(&t.id),
        "kind": t.str("kind").unwrap_or("text").replace('_', " "),
        "version": t.body.get("version").and_then(Value::as_u64),
        "draft": model::is_draft(t),
        "status": view::text_option(t, &names)["status"],
        "audience": view::audience(&t.visibility, &names),
        "derived": derived,
        "same_as": t.strs("possibly_same_as_text_ids").into_iter().filter_map(text_ref).collect::<Vec<_>>(),
        "authors": party_list("author_party_ids"),
        "input_from": party_list("input_from_party_ids"),
        "point_count": t.body.get("point_count").and_then(Value::as_u64),
        "document_count": t.body.get("document_count").and_then(Value::as_u64),
        "points_note": t.str("points_note"),
        "facts": view::claims(t.body.get("reported_facts")),
        "publications": publications,
        "redline_href": derived.as_ref().map(|d| room_path(room, &format!("/redline?from={}&to={}", urlpart(d["id"].as_str().unwrap_or_default().to_string()), urlpart(t.id.clone())))),
    });

    // The forms.
    let texts_for_select = text_options(a.room(), &names, &mut shown);
    let can_record = a.role() != Role::Observer;
    let stance_form = if can_record {
        let mut targets = vec![json!({"value": "text", "label": "Whole text", "group": "text"})];
        for p in &pts {
            targets.push(json!({"value": format!("point:{}", p.id), "label": view::point_heading(p), "group": "point"}));
        }
        for i in a.room().live_issues() {
            targets.push(json!({"value": format!("issue:{}", i.id), "label": i.str("title").unwrap_or(&i.id), "group": "issue"}));
        }
        let parties = party_choices(a.room());
        let meetings: Vec<Value> = a
            .room()
            .of(Kind::Meeting)
            .map(|mt| {
                shown.push(mt);
                json!({"id": mt.id, "title": mt.str("title").unwrap_or(&mt.id)})
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
            "targets": targets,
            "parties": parties,
            "meetings": meetings,
            "audiences": view::audience_choices(a, &names, true),
        })
    } else {
        Value::Null
    };
    // The one-line-per-point form cannot hold a line break: drafts with
    // multi-line wording are edited point by point only.
    let one_line = model::points(t).iter().all(|p| !p.body.contains('\n'));
    let draft_form = (a.is_mediator() && model::is_draft(t) && one_line).then(|| {
        json!({
            "values": form_values(json!({
                "label": t.str("label").unwrap_or_default(),
                "points": point_lines(t),
                "derived_from": t.str("derived_from_text_id").unwrap_or_default(),
            }), fail, "draft"),
        })
    });
    let publish_form = (a.is_mediator() && !t.visibility.is_room_wide()).then(|| {
        let audience: Vec<&str> = match &t.visibility {
            Visibility::Parties { parties } => parties.iter().map(String::as_str).collect(),
            Visibility::PartyAndMediator { party } => vec![party.as_str()],
            _ => Vec::new(),
        };
        let ticked = submitted_list(fail, "publish", "parties");
        let parties: Vec<Value> = a
            .room()
            .of(Kind::Party)
            .filter(|p| p.id != a.party_id())
            .map(|p| {
                let has = audience.contains(&p.id.as_str());
                json!({
                    "id": p.id,
                    "name": p.str("name").unwrap_or(&p.id),
                    "kind": view::party_kind_label(PartyKind::of(p)),
                    "has": has,
                    "checked": has || ticked.as_ref().is_some_and(|l| l.contains(&p.id)),
                })
            })
            .collect();
        json!({"parties": parties, "widen": !model::is_draft(t)})
    });

    audit_shown(state, a, shown).await?;
    let label = t.str("label").unwrap_or(&t.id).to_string();
    let mut ctx = chrome(state, caller, Some(a), "text", &label).await?;
    ctx.insert("text".into(), header);
    ctx.insert("texts".into(), Value::Array(texts_for_select));
    ctx.insert("columns".into(), Value::Array(columns));
    ctx.insert("rows".into(), Value::Array(rows));
    ctx.insert("details".into(), Value::Array(details));
    ctx.insert("amendments".into(), Value::Array(amendments));
    ctx.insert("points".into(), Value::Array(points));
    ctx.insert("stance_kinds".into(), view::stance_kinds());
    ctx.insert("reliabilities".into(), view::reliabilities());
    ctx.insert("stance_form".into(), stance_form);
    ctx.insert("draft_form".into(), json!(draft_form));
    ctx.insert("point_editor".into(), json!(crate::drafting::editor(a, t)));
    ctx.insert("publish_form".into(), json!(publish_form));
    ctx.insert("error".into(), error_of(fail));
    ctx.insert("done".into(), json!(done_message(done)));
    Ok(page(status_of(fail), "text.html", &Value::Object(ctx)))
}

/// A version's points as the draft form's lines: `key | title | wording`.
pub(super) fn point_lines(t: &Record) -> String {
    model::points(t)
        .iter()
        .map(|p| {
            let key = PointRef::key_of(&p.id);
            let title = if p.title.is_empty() {
                match p.number {
                    Some(n) => format!("Point {n}"),
                    None => key.replace('_', " "),
                }
            } else {
                p.title.clone()
            };
            let body = p.body.replace(['\r', '\n'], " ");
            if body.is_empty() {
                format!("{key} | {title}")
            } else {
                format!("{key} | {title} | {body}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Deserialize, Default)]
pub(super) struct FromQuery {
    #[serde(default)]
    from: Option<String>,
}

pub(super) async fn new_text(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<FromQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    new_text_view(&state, &caller, &a, q.from.as_deref(), None).await
}

/// The new-draft page (mediator only; others get the 404 page).
pub(super) async fn new_text_view(
    state: &AppState,
    caller: &crate::auth::Caller,
    a: &RoomAccess,
    from: Option<&str>,
    fail: Option<Fail>,
) -> UiResult {
    a.mediator_page()?;
    let fail = fail.as_ref();
    let names = a.room().party_names();
    let base = match from.filter(|f| !f.is_empty()) {
        Some(f) => Some(
            a.room()
                .get(Kind::Text, f)
                .ok_or_else(ApiError::not_found)?,
        ),
        None => view::latest_text(a.room()),
    };
    let mut shown: Vec<&Record> = Vec::new();
    let texts = text_options(a.room(), &names, &mut shown);
    let defaults = json!({
        "label": base.map(|b| format!("Revision of: {}", b.str("label").unwrap_or(&b.id))).unwrap_or_else(|| "Draft".into()),
        "points": base.map(point_lines).unwrap_or_default(),
        "derived_from": base.map(|b| b.id.clone()).unwrap_or_default(),
    });
    audit_shown(state, a, shown).await?;
    let mut ctx = chrome(state, caller, Some(a), "text", "New draft").await?;
    ctx.insert("texts".into(), Value::Array(texts));
    ctx.insert(
        "base".into(),
        json!(base.map(|b| view::text_option(b, &names))),
    );
    ctx.insert("values".into(), form_values(defaults, fail, "draft"));
    ctx.insert("error".into(), error_of(fail));
    Ok(page(status_of(fail), "new_text.html", &Value::Object(ctx)))
}

// --------------------------------------------------------------- redline

pub(super) async fn redline(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    let names = a.room().party_names();
    let texts = a.room().texts();
    let pick = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let to = pick("to").or_else(|| view::latest_text(a.room()).map(|t| t.id.clone()));
    let from = pick("from").or_else(|| {
        let to_rec = a.room().get(Kind::Text, to.as_deref()?)?;
        to_rec
            .str("derived_from_text_id")
            .filter(|d| a.room().get(Kind::Text, d).is_some())
            .map(str::to_string)
            .or_else(|| {
                let pos = texts.iter().position(|t| t.id == to_rec.id)?;
                texts[..pos]
                    .last()
                    .or(texts.get(pos + 1))
                    .map(|t| t.id.clone())
            })
    });
    let mut shown: Vec<&Record> = texts.clone();
    let options: Vec<Value> = texts.iter().map(|t| view::text_option(t, &names)).collect();
    let diff = match (&from, &to) {
        (Some(f), Some(t)) => {
            let d = ops::diff(&a, f, t)?;
            let points: Vec<Value> = d.points.iter().map(redline_entry).collect();
            let from_rec = a.room().get(Kind::Text, f);
            let to_rec = a.room().get(Kind::Text, t);
            shown.extend(from_rec);
            shown.extend(to_rec);
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

// --------------------------------------------------------------- stances

pub(super) async fn stances(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(filter): Query<StanceFilter>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let window = q.window()?;
    let a = load(&state, &caller, &room).await?;
    let names = a.room().party_names();
    let all: Vec<&Record> = a.room().of(Kind::Stance).collect();
    let hits: Vec<&Record> = all.iter().copied().filter(|s| filter.matches(s)).collect();
    let hits_page = window.of(&hits);
    let rows: Vec<Value> = hits_page
        .items
        .iter()
        .map(|s| view::stance(a.room(), s, &names, &room))
        .collect();
    let mut shown = hits_page.items.to_vec();
    let texts = text_options(a.room(), &names, &mut shown);
    let parties = party_choices(a.room());
    audit_shown(&state, &a, shown).await?;
    let filter_json = json!({
        "party": filter.party.unwrap_or_default(),
        "source": filter.source.unwrap_or_default(),
        "reliability": filter.reliability.unwrap_or_default(),
        "text": filter.text.unwrap_or_default(),
    });
    // The page links keep the filters.
    let query: Vec<String> = ["party", "source", "reliability", "text"]
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
    ctx.insert("total".into(), all.len().into());
    ctx.insert("page".into(), hits_page.links(&base, window.limit));
    ctx.insert("filter".into(), filter_json);
    ctx.insert("parties".into(), Value::Array(parties));
    ctx.insert("texts".into(), Value::Array(texts));
    ctx.insert("reliabilities".into(), view::reliabilities());
    ctx.insert("stance_kinds".into(), view::stance_kinds());
    Ok(page(StatusCode::OK, "stances.html", &Value::Object(ctx)))
}

// -------------------------------------------------------------- meetings

pub(super) async fn meetings(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    meetings_view(&state, &caller, &a, None, q.done.as_deref()).await
}

/// Meetings in date order (undated ones last), and the mediator's form.
pub(super) async fn meetings_view(
    state: &AppState,
    caller: &crate::auth::Caller,
    a: &RoomAccess,
    fail: Option<Fail>,
    done: Option<&str>,
) -> UiResult {
    let fail = fail.as_ref();
    let names = a.room().party_names();
    let mut list: Vec<&Record> = a.room().of(Kind::Meeting).collect();
    list.sort_by_key(|m| match m.str("date").or(m.str("not_before")) {
        Some(d) => (0, d.to_string()),
        None => (1, String::new()),
    });
    let cards: Vec<Value> = list
        .iter()
        .map(|m| meeting(a.room(), m, &names, a.room_id()))
        .collect();
    let form = a.is_mediator().then(|| {
        let ticked = submitted_list(fail, "meeting", "participants");
        let parties: Vec<Value> = a
            .room()
            .of(Kind::Party)
            .map(|p| {
                json!({
                    "id": p.id,
                    "name": p.str("name").unwrap_or(&p.id),
                    "checked": ticked.as_ref().is_some_and(|l| l.contains(&p.id)),
                })
            })
            .collect();
        json!({
            "values": form_values(json!({"confidentiality": "closed", "date": today()}), fail, "meeting"),
            "parties": parties,
            "confidentialities": [
                {"value": "open", "label": "Open"},
                {"value": "closed", "label": "Closed"},
                {"value": "closed_with_nondisclosure", "label": "Closed, non-disclosure"},
                {"value": "not_reported", "label": "Not reported"},
            ],
        })
    });
    audit_shown(state, a, list).await?;
    let mut ctx = chrome(state, caller, Some(a), "meetings", "Meetings").await?;
    ctx.insert("meetings".into(), Value::Array(cards));
    ctx.insert("form".into(), json!(form));
    ctx.insert("error".into(), error_of(fail));
    ctx.insert("done".into(), json!(done_message(done)));
    Ok(page(status_of(fail), "meetings.html", &Value::Object(ctx)))
}

fn meeting(room: &Room, m: &Record, names: &Names<'_>, room_id: &str) -> Value {
    let conf = m.str("confidentiality").unwrap_or("not_reported");
    let participants: Vec<Value> = m
        .body
        .get("participants")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let id = p.get("party_id").and_then(Value::as_str).unwrap_or_default();
                    json!({
                        "name": names.get(id).copied().unwrap_or(id),
                        "delegates": p.get("delegate_ids").and_then(Value::as_array).map(|d| d.iter().filter_map(Value::as_str).map(|d| delegate_name(room, id, d)).collect::<Vec<_>>()).unwrap_or_default(),
                        "note": p.get("note").and_then(Value::as_str),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let texts: Vec<Value> = m
        .strs("texts_discussed")
        .into_iter()
        .filter_map(|t| room.get(Kind::Text, t))
        .map(|t| json!({"label": t.str("label").unwrap_or(&t.id), "href": room_path(room_id, &format!("/texts/{}", urlpart(t.id.clone())))}))
        .collect();
    let issues: Vec<String> = m
        .strs("issues_discussed")
        .into_iter()
        .map(|i| pactum_workspace::setup::issue_title(room, i))
        .collect();
    json!({
        "id": m.id,
        "title": m.str("title").unwrap_or(&m.id),
        "kind": m.str("kind").map(|k| k.replace('_', " ")),
        "status": m.str("status"),
        "when": view::when(m.str("date"), m.str("not_before")),
        "dated": m.str("date").is_some(),
        "date_note": m.str("date_note"),
        "place": m.str("place"),
        "participants": participants,
        "duration": m.str("duration").map(view::duration),
        "confidentiality": conf,
        "conf_label": confidentiality_label(conf),
        "closed": conf.starts_with("closed"),
        "conf_note": m.str("confidentiality_note"),
        "audience": view::audience(&m.visibility, names),
        "texts": texts,
        "texts_note": m.str("texts_note"),
        "issues": issues,
        "outcomes": view::claims(m.body.get("reported_outcome")),
    })
}

fn delegate_name(room: &Room, party: &str, delegate: &str) -> String {
    room.get(Kind::Party, party)
        .and_then(|p| p.body.get("delegates"))
        .and_then(Value::as_array)
        .and_then(|ds| {
            ds.iter()
                .find(|d| d.get("id").and_then(Value::as_str) == Some(delegate))
        })
        .and_then(|d| d.get("name").and_then(Value::as_str))
        .unwrap_or(delegate)
        .to_string()
}

// ------------------------------------------------------ documents, notes

pub(super) async fn documents(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    documents_view(&state, &caller, &a, None, q.done.as_deref()).await
}

pub(super) async fn notes(Path(room): Path<String>, Session(_): Session) -> Response {
    Redirect::to(&room_path(&room, "/documents#notes")).into_response()
}

/// Documents and notes, each with its form.
pub(super) async fn documents_view(
    state: &AppState,
    caller: &crate::auth::Caller,
    a: &RoomAccess,
    fail: Option<Fail>,
    done: Option<&str>,
) -> UiResult {
    let fail = fail.as_ref();
    let names = a.room().party_names();
    let room = a.room_id();
    let mut shown: Vec<&Record> = Vec::new();
    let docs: Vec<Value> = a
        .room()
        .of(Kind::Document)
        .map(|d| {
            shown.push(d);
            let attached = d
                .str("text_id")
                .and_then(|t| a.room().get(Kind::Text, t))
                .map(|t| json!({"label": format!("Text: {}", t.str("label").unwrap_or(&t.id)), "href": room_path(room, &format!("/texts/{}", urlpart(t.id.clone())))}))
                .or_else(|| {
                    d.str("meeting_id")
                        .and_then(|m| a.room().get(Kind::Meeting, m))
                        .map(|m| json!({"label": format!("Meeting: {}", m.str("title").unwrap_or(&m.id)), "href": room_path(room, &format!("/meetings#meeting-{}", urlpart(m.id.clone())))}))
                });
            json!({
                "id": d.id,
                "title": d.str("title").unwrap_or(&d.id),
                "content": d.str("content").unwrap_or_default(),
                "attached": attached,
                "audience": view::audience(&d.visibility, &names),
            })
        })
        .collect();
    let notes: Vec<Value> = a
        .room()
        .of(Kind::Note)
        .map(|n| {
            shown.push(n);
            json!({
                "id": n.id,
                "text": n.str("text").unwrap_or_default(),
                "author": n.str("author"),
                "audience": view::audience(&n.visibility, &names),
            })
        })
        .collect();
    let can_document = a.role() != Role::Observer;
    let mut attach = vec![json!({"value": "", "label": "Nothing (room document)"})];
    for t in a.room().texts() {
        shown.push(t);
        attach.push(json!({"value": format!("text:{}", t.id), "label": format!("Text: {}", view::text_option(t, &names)["option"].as_str().unwrap_or(&t.id))}));
    }
    for m in a.room().of(Kind::Meeting) {
        shown.push(m);
        attach.push(json!({"value": format!("meeting:{}", m.id), "label": format!("Meeting: {}", m.str("title").unwrap_or(&m.id))}));
    }
    let audiences = view::audience_choices(a, &names, false);
    let default_doc = audiences
        .first()
        .and_then(|v| v["value"].as_str())
        .unwrap_or("room")
        .to_string();
    let default_note = if a.is_mediator() {
        "mediator".to_string()
    } else {
        format!("party:{}", a.party_id())
    };
    let mut note_audiences = audiences.clone();
    if a.is_mediator() && !note_audiences.iter().any(|v| v["value"] == "mediator") {
        note_audiences.push(json!({"value": "mediator", "label": "Mediator only"}));
    }
    audit_shown(state, a, shown).await?;
    let mut ctx = chrome(state, caller, Some(a), "documents", "Documents and notes").await?;
    ctx.insert("documents".into(), Value::Array(docs));
    ctx.insert("notes".into(), Value::Array(notes));
    ctx.insert(
        "doc_form".into(),
        if can_document {
            json!({
                "values": form_values(json!({"visibility": default_doc, "attach": ""}), fail, "document"),
                "attach": attach,
                "audiences": audiences,
            })
        } else {
            Value::Null
        },
    );
    ctx.insert(
        "note_form".into(),
        json!({
            "values": form_values(json!({"visibility": default_note}), fail, "note"),
            "audiences": note_audiences,
        }),
    );
    ctx.insert("error".into(), error_of(fail));
    ctx.insert("done".into(), json!(done_message(done)));
    Ok(page(status_of(fail), "documents.html", &Value::Object(ctx)))
}

// ----------------------------------------------------------------- audit

/// The audit trail, for the mediator only: to anyone else the page does
/// not exist. Entries are numbered by their place in what the mediator may
/// read, not by their place in the whole log, so that neither the numbers
/// nor the hashes betray entries about records kept from the mediator.
pub(super) async fn audit(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let window = q.window()?;
    let a = load(&state, &caller, &room).await?;
    let m = a.mediator_page()?;
    let entries = a.audit_log(&state).await?;
    let entries_page = window.of(&entries);
    let report = m.verify_audit(&state).await?;
    let rows: Vec<Value> = entries_page
        .items
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let read = matches!(e.action.as_str(), "view" | "read" | "export" | "report");
            let detail = match ReadList::parse(&e.detail).filter(|_| read) {
                Some(list) => format!(
                    "{} restricted record{}: {}",
                    list.count,
                    if list.count == 1 { "" } else { "s" },
                    list.records
                        .iter()
                        .map(|r| format!("{} {} ({})", r.kind, r.id, r.visibility))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                None => e.detail.clone(),
            };
            json!({
                "n": entries_page.after + i + 1,
                "at": view::timestamp(&e.at),
                "actor": e.actor,
                "action": e.action,
                "kind": e.kind,
                "record_id": e.record_id,
                "detail": detail,
                "read": read,
            })
        })
        .collect();
    let mut ctx = chrome(&state, &caller, Some(&a), "audit", "Audit trail").await?;
    ctx.insert("entries".into(), Value::Array(rows));
    ctx.insert(
        "page".into(),
        entries_page.links(&room_path(&room, "/audit"), window.limit),
    );
    ctx.insert(
        "chain".into(),
        json!({"ok": report.ok(), "first_bad": report.first_bad}),
    );
    Ok(page(StatusCode::OK, "audit.html", &Value::Object(ctx)))
}
