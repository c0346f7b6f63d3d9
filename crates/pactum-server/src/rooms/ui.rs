//! The browser pages of rooms: the room list, a room's overview and its
//! audit trail.

use crate::access::ReadList;
use crate::pagination::PageQuery;
use crate::ui::view::{self};
use crate::ui::{chrome, page, urlpart, Session, UiResult};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use pactum_workspace::body::{Issue, Meeting, Meta, Party, Term};
use pactum_workspace::model::{Kind, Record};
use serde_json::{json, Value};

use crate::ui::pages::{audit_shown, confidentiality_label, load, room_path};

// ---------------------------------------------------------------- rooms

pub(crate) async fn rooms(State(state): State<AppState>, Session(caller): Session) -> UiResult {
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

pub(crate) async fn overview(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let window = q.window()?;
    let a = load(&state, &caller, &room).await?;
    let names = a.room().party_names();
    let mut shown: Vec<&Record> = Vec::new();
    let meta = a.room().each::<Meta>().next();
    if let Some(m) = meta {
        shown.push(m.record);
    }
    let items = a.room().timeline();
    let timeline_page = window.of(&items);
    let timeline: Vec<Value> = timeline_page
        .items
        .iter()
        .filter_map(|item| {
            let rec = a.room().get(item.kind, &item.id)?;
            shown.push(rec);
            let (href, closed, extra) = match a.room().find::<Meeting>(&item.id) {
                Some(m) if item.kind == Kind::Meeting => {
                    let conf = m
                        .confidentiality
                        .as_ref()
                        .map_or("not_reported", Term::as_str);
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
                "detail": match (item.detail.as_str(), rec.body.get("version").and_then(Value::as_u64)) {
                    // What a mediator calls it: "version 2", not "plan version".
                    ("plan version", Some(n)) => format!("version {n}"),
                    ("plan version", None) => "version".to_string(),
                    (d, _) => d.to_string(),
                },
                "href": href,
                "closed": closed,
                "confidentiality": extra,
                "audience": view::audience(&rec.visibility, &names),
            }))
        })
        .collect();
    let parties: Vec<Value> = a
        .room()
        .each::<Party>()
        .map(|p| {
            shown.push(p.record);
            let delegates: Vec<String> = p
                .delegates
                .iter()
                .filter_map(|d| {
                    let n = d.name.as_deref()?;
                    Some(match d.role.as_deref() {
                        Some(r) => format!("{n} ({r})"),
                        None => n.to_string(),
                    })
                })
                .collect();
            json!({
                "id": p.id(),
                "name": p.name.as_deref().unwrap_or(p.id()),
                "kind": view::party_kind_label(p.kind),
                "description": p.description.as_deref(),
                "delegates": delegates,
                "is_you": p.id() == a.party_id(),
            })
        })
        .collect();
    let issues: Vec<Value> = a
        .room()
        .each::<Issue>()
        .map(|i| {
            shown.push(i.record);
            json!({
                "id": i.id(),
                "title": pactum_workspace::setup::issue_title(a.room(), i.id()),
                "description": i.description.as_deref(),
                "options": i.options.iter().filter_map(|o| {
                    let label = o.label.as_deref()?;
                    Some(if o.retired { format!("{label} (retired)") } else { label.to_string() })
                }).collect::<Vec<_>>(),
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
        "disclaimer": meta.and_then(|m| m.body.disclaimer.as_deref()),
        "description": meta.and_then(|m| m.body.description.as_deref()),
    });
    let (since, changed) = crate::inbox::since_last_visit(&state, &a).await?;
    shown.extend(changed.iter().map(|(r, _)| *r));
    let changed: Vec<Value> = changed.into_iter().map(|(_, v)| v).collect();
    audit_shown(&state, &a, shown).await?;
    let mut ctx = chrome(&state, &caller, Some(&a), "overview", a.title()).await?;
    ctx.insert("since".into(), json!(since));
    ctx.insert("changed".into(), Value::Array(changed));
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

// ----------------------------------------------------------------- audit

/// The audit trail, for the mediator only: to anyone else the page does
/// not exist. Entries are numbered by their place in what the mediator may
/// read, not by their place in the whole log, so that neither the numbers
/// nor the hashes betray entries about records kept from the mediator.
pub(crate) async fn audit(
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
