//! The browser pages and form posts of this feature: the amendment page,
//! what the text page shows of amendments and comments under each point,
//! the draft's "Incorporate" list, and the forms (tabling, status,
//! incorporation, comments), each checked for its CSRF token first.

use crate::access::{Role, RoomAccess};
use crate::error::ApiError;
use crate::ui::forms::{begin, finish_form};
use crate::ui::pages::{audit_shown, done_message, load, room_path, today};
use crate::ui::view::{self, Names};
use crate::ui::{chrome, page, urlpart, FormData, Session, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use pactum_workspace::amendment::{
    self, AmendmentInput, CommentInput, CommentTargetInput, StatusInput, Thread,
};
use pactum_workspace::body::{
    Amendment, AmendmentAction, AmendmentStatus, Comment, Stance, Text, Typed, Vocabulary,
};
use pactum_workspace::model::{Kind, ProvenanceInput, Record, Reliability, Room};
use pactum_workspace::redline;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// An action in words.
fn action_label(a: Option<AmendmentAction>) -> &'static str {
    match a {
        Some(AmendmentAction::Replace) => "Replace the wording",
        Some(AmendmentAction::InsertAfter) => "Insert a new point after",
        Some(AmendmentAction::Delete) => "Delete the point",
        None => "Change",
    }
}

/// A version as the viewer numbers it ("version 3"), or its label.
fn version_words(room: &Room, text_id: &str) -> Option<(String, String)> {
    let t = room.find::<Text>(text_id)?;
    let words = match (t.version, t.is_draft()) {
        (_, true) => format!("draft {}", t.label.as_deref().unwrap_or(t.id())),
        (Some(v), false) => format!("version {v}"),
        (None, false) => t.label.as_deref().unwrap_or(t.id()).to_string(),
    };
    Some((words, t.id().to_string()))
}

fn text_href(room_id: &str, text_id: &str) -> String {
    room_path(room_id, &format!("/texts/{}", urlpart(text_id.to_string())))
}

pub(crate) fn amendment_href(room_id: &str, id: &str) -> String {
    room_path(room_id, &format!("/amendments/{}", urlpart(id.to_string())))
}

/// An amendment as pages show it: its status in words, with the version
/// it was incorporated into numbered as the viewer knows it.
pub(crate) fn amendment_view(
    room: &Room,
    a: Typed<'_, Amendment>,
    names: &Names<'_>,
    room_id: &str,
) -> Value {
    let party = a.party_id.as_deref().unwrap_or_default();
    let status = a.status.as_str();
    let against = a.text_id.as_deref().and_then(|t| version_words(room, t));
    let point = a.text_id.as_deref().and_then(|t| {
        let text = room.find::<Text>(t)?;
        let pid = a.point_id.as_deref()?;
        text.points.iter().find(|p| p.id == pid).cloned()
    });
    let status_label = match a.known_status() {
        Some(AmendmentStatus::Tabled) => "Tabled".to_string(),
        Some(AmendmentStatus::UnderConsideration) => "Under consideration".to_string(),
        Some(AmendmentStatus::Incorporated) => {
            match a
                .incorporated_in_text_id
                .as_deref()
                .and_then(|t| version_words(room, t))
            {
                Some((w, _)) => format!("Incorporated into {w}"),
                None => "Incorporated into the next version".to_string(),
            }
        }
        Some(AmendmentStatus::Rejected) => "Rejected".to_string(),
        Some(AmendmentStatus::Withdrawn) => "Withdrawn".to_string(),
        Some(AmendmentStatus::Superseded) => "Superseded".to_string(),
        None => status.replace('_', " "),
    };
    let action = a.action.as_ref().and_then(|x| x.known());
    let diff_html = match (action, &point, a.wording.as_deref()) {
        (Some(AmendmentAction::Replace), Some(p), Some(w)) => {
            Some(redline::to_html(&redline::redline(&p.body, w)))
        }
        _ => None,
    };
    json!({
        "id": a.id(),
        "href": amendment_href(room_id, a.id()),
        "party_id": party,
        "party": names.get(party).copied().unwrap_or(party),
        "action": action.map(Vocabulary::spelling),
        "action_label": action_label(action),
        "status": status,
        "status_label": status_label,
        "open": a.is_open(),
        "status_note": a.status_note.as_deref(),
        "against": against.as_ref().map(|(w, id)| json!({"words": w, "href": text_href(room_id, id)})),
        "point": point.as_ref().map(|p| json!({"id": p.id, "heading": view::point_heading(p), "body": p.body})),
        "incorporated_in": a.incorporated_in_text_id.as_deref().and_then(|t| version_words(room, t)).map(|(w, id)| json!({"words": w, "href": text_href(room_id, &id)})),
        "superseded_by": a.superseded_by_amendment_id.as_deref().filter(|s| room.get(Kind::Amendment, s).is_some()).map(|s| json!({"id": s, "href": amendment_href(room_id, s)})),
        "title": a.title.as_deref(),
        "wording": a.wording.as_deref(),
        "diff_html": diff_html,
        "justification": a.justification.as_deref().unwrap_or_default(),
        "language": a.language.as_deref(),
        "date": a.date.as_deref().unwrap_or_default(),
        "provenance": a.provenance.as_ref().map(|p| view::provenance(Some(p))),
        "audience": view::audience(&a.record.visibility, names),
    })
}

/// Threads as pages show them.
pub(crate) fn threads_view(threads: &[Thread<'_>], names: &Names<'_>, room_id: &str) -> Vec<Value> {
    let one = |c: &Typed<'_, Comment>| {
        let party = c.party_id.as_deref().unwrap_or_default();
        json!({
            "id": c.id(),
            "author": c.author.as_deref().unwrap_or_default(),
            "party": names.get(party).copied().unwrap_or(party),
            "body": c.body.body.as_deref().unwrap_or_default(),
            "created": view::timestamp(c.created.as_deref().unwrap_or_default()),
        })
    };
    threads
        .iter()
        .map(|t| {
            json!({
                "id": t.root.id(),
                "resolved": t.root.resolved,
                "audience": view::audience(&t.root.record.visibility, names),
                "first": one(&t.root),
                "replies": t.replies.iter().map(one).collect::<Vec<_>>(),
                "count": 1 + t.replies.len(),
                "resolve_action": room_path(room_id, &format!("/comments/{}/resolve", urlpart(t.root.id().to_string()))),
            })
        })
        .collect()
}

/// The audiences a new thread may have, the default first: a party's
/// thread with the mediator, its internal thread, the whole room; the
/// mediator's own, with one party, the whole room.
pub(crate) fn comment_audiences(a: &RoomAccess, names: &Names<'_>) -> Vec<Value> {
    let own = names.get(a.party_id()).copied().unwrap_or(a.party_id());
    let mut out = Vec::new();
    if a.is_mediator() {
        out.push(json!({"value": "mediator", "label": "Mediator only"}));
        for p in a.room().of(Kind::Party).filter(|p| p.id != a.party_id()) {
            let n = names.get(p.id.as_str()).copied().unwrap_or(&p.id);
            out.push(json!({"value": format!("pm:{}", p.id), "label": format!("{n} + mediator")}));
        }
    } else {
        out.push(
            json!({"value": format!("pm:{}", a.party_id()), "label": format!("{own} + mediator")}),
        );
        out.push(json!({"value": format!("party:{}", a.party_id()), "label": format!("{own} only (internal)")}));
    }
    out.push(json!({"value": "room", "label": "Whole room"}));
    out
}

/// What the text page shows of amendments and comments: per point (by
/// point id) its amendments and threads; the version's own threads; the
/// amendments as rows of the stance matrix; and, on a draft, the open
/// amendments it may incorporate. Every record shown goes into `shown`.
pub(crate) fn text_extras<'r>(
    a: &'r RoomAccess,
    t: Typed<'r, Text>,
    names: &Names<'_>,
    shown: &mut Vec<&'r Record>,
) -> Map<String, Value> {
    let room = a.room();
    let room_id = a.room_id();
    let mut per_point: HashMap<String, Value> = HashMap::new();
    for p in &t.points {
        let ams: Vec<Value> = room
            .each::<Amendment>()
            .filter(|x| x.point_id.as_deref() == Some(p.id.as_str()))
            .map(|x| {
                shown.push(x.record);
                amendment_view(room, x, names, room_id)
            })
            .collect();
        let ths = amendment::threads(room, |c| {
            c.target.point_id.as_deref() == Some(p.id.as_str())
        });
        for th in &ths {
            shown.push(th.root.record);
            shown.extend(th.replies.iter().map(|r| r.record));
        }
        per_point.insert(
            p.id.clone(),
            json!({"amendments": ams, "threads": threads_view(&ths, names, room_id)}),
        );
    }
    let text_threads = amendment::threads(room, |c| c.target.text_id.as_deref() == Some(t.id()));
    for th in &text_threads {
        shown.push(th.root.record);
        shown.extend(th.replies.iter().map(|r| r.record));
    }
    // Amendments as rows of the stance matrix.
    let parties = amendment::matrix_parties(room);
    let rows: Vec<Value> = amendment::amendment_matrix(room, t.id())
        .into_iter()
        .filter_map(|row| {
            let am = room.find::<Amendment>(&row.amendment_id)?;
            let cells: Vec<Value> = row
                .cells
                .iter()
                .zip(&parties)
                .map(|(c, (pid, name))| {
                    for cell in c {
                        shown.extend(room.get(Kind::Stance, &cell.stance_id));
                    }
                    let mut v = view::cell(name, c);
                    v["party_id"] = json!(pid);
                    v
                })
                .collect();
            Some(json!({"amendment": amendment_view(room, am, names, room_id), "cells": cells}))
        })
        .collect();
    // A draft's incorporate list: open amendments against the version it
    // revises.
    let incorporate: Vec<Value> = if a.is_mediator() && t.is_draft() {
        let revises = t.derived_from_text_id.as_deref();
        room.each::<Amendment>()
            .filter(|x| x.is_open() && revises.is_some() && x.text_id.as_deref() == revises)
            .map(|x| {
                shown.push(x.record);
                amendment_view(room, x, names, room_id)
            })
            .collect()
    } else {
        Vec::new()
    };
    let can_write = a.role() != Role::Observer;
    let mut out = Map::new();
    out.insert("point_extras".into(), json!(per_point));
    out.insert(
        "text_threads".into(),
        json!(threads_view(&text_threads, names, room_id)),
    );
    out.insert("amendment_rows".into(), json!(rows));
    out.insert(
        "amendment_parties".into(),
        json!(parties
            .iter()
            .map(|(id, n)| json!({"id": id, "name": n}))
            .collect::<Vec<_>>()),
    );
    out.insert("incorporate".into(), json!(incorporate));
    out.insert("can_write".into(), json!(can_write));
    out.insert(
        "can_table".into(),
        json!(can_write && !t.is_draft() && !t.points.is_empty()),
    );
    out.insert(
        "comment_audiences".into(),
        json!(comment_audiences(a, names)),
    );
    out.insert(
        "amendment_audiences".into(),
        json!(view::audience_choices(a, names, true)),
    );
    out.insert(
        "amendment_parties_choice".into(),
        json!(crate::ui::pages::party_choices(room)),
    );
    out
}

// ------------------------------------------------------------- the page

pub(crate) async fn amendment(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    Query(q): Query<crate::ui::pages::DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    let am = a
        .room()
        .find::<Amendment>(&id)
        .ok_or_else(ApiError::not_found)?;
    let names = a.room().party_names();
    let mut shown: Vec<&Record> = vec![am.record];
    shown.extend(
        am.text_id
            .as_deref()
            .and_then(|t| a.room().get(Kind::Text, t)),
    );
    let stances: Vec<Value> = a
        .room()
        .each::<Stance>()
        .filter(|s| s.target.amendment_id.as_deref() == Some(am.id()))
        .map(|s| {
            shown.push(s.record);
            view::stance(a.room(), s, &names, &room)
        })
        .collect();
    let ths = amendment::threads(a.room(), |c| {
        c.target.amendment_id.as_deref() == Some(am.id())
    });
    for th in &ths {
        shown.push(th.root.record);
        shown.extend(th.replies.iter().map(|r| r.record));
    }
    let others: Vec<Value> = if a.is_mediator() {
        a.room()
            .each::<Amendment>()
            .filter(|x| x.id() != am.id())
            .map(|x| {
                shown.push(x.record);
                json!({"id": x.id(), "label": format!("{} · {}", names.get(x.party_id.as_deref().unwrap_or_default()).copied().unwrap_or_default(), x.justification.as_deref().unwrap_or(x.id()))})
            })
            .collect()
    } else {
        Vec::new()
    };
    let is_tabler = a.role() == Role::Delegate && am.party_id.as_deref() == Some(a.party_id());
    let view_json = amendment_view(a.room(), am, &names, &room);
    audit_shown(&state, &a, shown).await?;
    let mut ctx = chrome(&state, &caller, Some(&a), "text", "Amendment").await?;
    ctx.insert("amendment".into(), view_json);
    ctx.insert("stances".into(), json!(stances));
    ctx.insert("threads".into(), json!(threads_view(&ths, &names, &room)));
    ctx.insert("others".into(), json!(others));
    ctx.insert(
        "can_withdraw".into(),
        json!((a.is_mediator() || is_tabler) && am.is_open()),
    );
    ctx.insert("can_decide".into(), json!(a.is_mediator() && am.is_open()));
    ctx.insert("can_write".into(), json!(a.role() != Role::Observer));
    ctx.insert(
        "comment_audiences".into(),
        json!(comment_audiences(&a, &names)),
    );
    ctx.insert(
        "stance_kinds".into(),
        json!(view::stance_kinds().as_array().map(|k| k
            .iter()
            .filter(|s| s["value"] != "proposes_amendment")
            .cloned()
            .collect::<Vec<_>>())),
    );
    ctx.insert("reliabilities".into(), view::reliabilities());
    ctx.insert(
        "parties".into(),
        json!(crate::ui::pages::party_choices(a.room())),
    );
    ctx.insert("today".into(), json!(today()));
    ctx.insert("done".into(), json!(done_message(q.done.as_deref())));
    Ok(page(StatusCode::OK, "amendment.html", &Value::Object(ctx)))
}

// ------------------------------------------------------------ the forms

fn amendment_input(a: &RoomAccess, f: &FormData) -> Result<AmendmentInput, ApiError> {
    let party_id = match f.opt("party") {
        Some(p) => p,
        None if a.is_mediator() => {
            return Err(ApiError::field(
                "party_id",
                "choose the party that tables it",
            ))
        }
        None => a.party_id().to_string(),
    };
    let action = AmendmentAction::from_spelling(f.get("action"))
        .ok_or_else(|| ApiError::field("action", "choose replace, insert after or delete"))?;
    let provenance = match f.opt("source") {
        Some(source) if a.is_mediator() && party_id != a.party_id() => Some(ProvenanceInput {
            source,
            reliability: Reliability::parse(f.get("reliability"))
                .unwrap_or(Reliability::OfficialOnRecord),
            reported_on: f.opt("date"),
            not_before: None,
            quote: None,
        }),
        _ => None,
    };
    Ok(AmendmentInput {
        party_id,
        text_id: f.get("text_id").to_string(),
        point_id: f.get("point_id").to_string(),
        action,
        wording: f.opt("wording"),
        title: f.opt("title"),
        justification: f.get("justification").to_string(),
        language: f.opt("language"),
        date: f.opt("date"),
        provenance,
        visibility: view::parse_audience(f.get("visibility"))?,
    })
}

pub(crate) async fn form_table(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let text_id = form.get("text_id").to_string();
    let point_id = form.get("point_id").to_string();
    let result = async { super::table(&state, &a, amendment_input(&a, &form)?).await }.await;
    finish_form(
        &room,
        result,
        |r| {
            format!(
                "/texts/{}?done=amendment#point-{}",
                urlpart(text_id.clone()),
                urlpart(r.str("point_id").unwrap_or(&point_id).to_string())
            )
        },
        "amendment",
        form,
        |fail| crate::texts::ui::text_view(&state, &caller, &a, &text_id, Some(fail), None),
    )
    .await
}

pub(crate) async fn form_status(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let status = AmendmentStatus::from_spelling(form.get("status"))
        .ok_or_else(|| ApiError::field("status", "choose a status"))?;
    let input = StatusInput {
        status,
        note: form.opt("note"),
        superseded_by_amendment_id: form.opt("superseded_by_amendment_id"),
    };
    super::set_status(&state, &a, &id, input).await?;
    Ok(Redirect::to(&format!("{}?done=status", amendment_href(&room, &id))).into_response())
}

pub(crate) async fn form_incorporate(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let (_, _, inc) = super::incorporate(&state, &a, &id, form.get("amendment_id")).await?;
    let anchor = if inc.action == AmendmentAction::Delete {
        "points".to_string()
    } else {
        format!("point-{}.{}", id, inc.key)
    };
    Ok(Redirect::to(&format!(
        "{}?done=incorporated#{}",
        text_href(&room, &id),
        urlpart(anchor)
    ))
    .into_response())
}

/// Where a comment is shown: its amendment's page, or the text page at its
/// point or at the version's comments.
fn comment_place(room: &Room, room_id: &str, c: &Record) -> String {
    let target = c.body.get("target");
    let field = |f: &str| target.and_then(|t| t.get(f)).and_then(Value::as_str);
    if let Some(am) = field("amendment_id") {
        return format!("{}?done=comment#comments", amendment_href(room_id, am));
    }
    if let Some(pid) = field("point_id") {
        if let Some(t) = room
            .each::<Text>()
            .find(|t| t.points.iter().any(|p| p.id == pid))
        {
            return format!(
                "{}?done=comment#point-{}",
                text_href(room_id, t.id()),
                urlpart(pid.to_string())
            );
        }
    }
    match field("text_id") {
        Some(t) => format!("{}?done=comment#comments", text_href(room_id, t)),
        None => room_path(room_id, ""),
    }
}

pub(crate) async fn form_comment(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let input = match form.opt("reply_to") {
        Some(to) => CommentInput {
            target: None,
            reply_to_comment_id: Some(to),
            body: form.raw("body").to_string(),
            visibility: None,
        },
        None => {
            let on = form.get("on");
            let mut target = CommentTargetInput::default();
            if let Some(x) = on.strip_prefix("point:") {
                target.point_id = Some(x.into());
            } else if let Some(x) = on.strip_prefix("text:") {
                target.text_id = Some(x.into());
            } else if let Some(x) = on.strip_prefix("amendment:") {
                target.amendment_id = Some(x.into());
            } else {
                return Err(ApiError::field("target", "say what the comment is about").into());
            }
            CommentInput {
                target: Some(target),
                reply_to_comment_id: None,
                body: form.raw("body").to_string(),
                visibility: view::parse_audience(form.get("visibility"))?,
            }
        }
    };
    let r = super::add_comment(&state, &a, input).await?;
    Ok(Redirect::to(&comment_place(a.room(), &room, &r)).into_response())
}

pub(crate) async fn form_resolve(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let resolved = form.get("resolved") != "false";
    let r = super::resolve(&state, &a, &id, resolved).await?;
    Ok(Redirect::to(&comment_place(a.room(), &room, &r)).into_response())
}
