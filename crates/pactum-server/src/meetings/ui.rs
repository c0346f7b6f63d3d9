//! The browser pages and form posts of this feature.

use crate::access::{Role, RoomAccess};
use crate::error::ApiError;
use crate::ui::forms::{begin, finish_form};
use crate::ui::pages::{
    audit_shown, confidentiality_label, done_message, error_of, form_values, load, room_path,
    status_of, submitted_list, today, DoneQuery,
};
use crate::ui::view::{self, Names};
use crate::ui::{chrome, page, urlpart, Fail, FormData, Session, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pactum_workspace::body::{Document, Meeting, Note, Party, Term, Text, Typed};
use pactum_workspace::model::{DocumentInput, MeetingInput, NoteInput, Record, Room};
use serde_json::{json, Value};

// -------------------------------------------------------------- meetings

pub(crate) async fn meetings(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    meetings_view(&state, &caller, &a, None, q.done.as_deref()).await
}

/// Meetings in date order (undated ones last), and the mediator's form.
pub(crate) async fn meetings_view(
    state: &AppState,
    caller: &crate::auth::Caller,
    a: &RoomAccess,
    fail: Option<Fail>,
    done: Option<&str>,
) -> UiResult {
    let fail = fail.as_ref();
    let names = a.room().party_names();
    let mut list: Vec<Typed<'_, Meeting>> = a.room().each::<Meeting>().collect();
    list.sort_by_key(|m| match m.date.as_ref().or(m.not_before.as_ref()) {
        Some(d) => (0, d.clone()),
        None => (1, String::new()),
    });
    let cards: Vec<Value> = list
        .iter()
        .map(|m| meeting(a.room(), *m, &names, a.room_id()))
        .collect();
    let form = a.is_mediator().then(|| {
        let ticked = submitted_list(fail, "meeting", "participants");
        let parties: Vec<Value> = a
            .room()
            .each::<Party>()
            .map(|p| {
                json!({
                    "id": p.id(),
                    "name": p.name.as_deref().unwrap_or(p.id()),
                    "checked": ticked.as_ref().is_some_and(|l| l.contains(&p.record.id)),
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
    audit_shown(state, a, list.iter().map(|m| m.record).collect()).await?;
    let mut ctx = chrome(state, caller, Some(a), "meetings", "Meetings").await?;
    ctx.insert("meetings".into(), Value::Array(cards));
    ctx.insert("form".into(), json!(form));
    ctx.insert("error".into(), error_of(fail));
    ctx.insert("done".into(), json!(done_message(done)));
    Ok(page(status_of(fail), "meetings.html", &Value::Object(ctx)))
}

fn meeting(room: &Room, m: Typed<'_, Meeting>, names: &Names<'_>, room_id: &str) -> Value {
    let conf = m
        .confidentiality
        .as_ref()
        .map_or("not_reported", Term::as_str);
    let participants: Vec<Value> = m
        .participants
        .iter()
        .map(|p| {
            let id = p.party_id.as_deref().unwrap_or_default();
            json!({
                "name": names.get(id).copied().unwrap_or(id),
                "delegates": p.delegate_ids.iter().map(|d| delegate_name(room, id, d)).collect::<Vec<_>>(),
                "note": p.note.as_deref(),
            })
        })
        .collect();
    let texts: Vec<Value> = m
        .texts_discussed
        .iter()
        .filter_map(|t| room.find::<Text>(t))
        .map(|t| json!({"label": t.label.as_deref().unwrap_or(t.id()), "href": room_path(room_id, &format!("/texts/{}", urlpart(t.id().to_string())))}))
        .collect();
    let issues: Vec<String> = m
        .issues_discussed
        .iter()
        .map(|i| pactum_workspace::setup::issue_title(room, i))
        .collect();
    json!({
        "id": m.id(),
        "title": m.title.as_deref().unwrap_or(m.id()),
        "kind": m.kind.as_ref().map(|k| k.replace('_', " ")),
        "status": m.status.as_deref(),
        "when": view::when(m.date.as_deref(), m.not_before.as_deref()),
        "dated": m.date.is_some(),
        "date_note": m.date_note.as_deref(),
        "place": m.place.as_deref(),
        "participants": participants,
        "duration": m.duration.as_deref().map(view::duration),
        "confidentiality": conf,
        "conf_label": confidentiality_label(conf),
        "closed": conf.starts_with("closed"),
        "conf_note": m.confidentiality_note.as_deref(),
        "audience": view::audience(&m.record.visibility, names),
        "texts": texts,
        "texts_note": m.texts_note.as_deref(),
        "issues": issues,
        "outcomes": view::claims(&m.reported_outcome),
    })
}

/// A delegate's name as the party lists it, else the delegate's id.
fn delegate_name(room: &Room, party: &str, delegate: &str) -> String {
    room.find::<Party>(party)
        .map_or(delegate, |p| p.body.delegate_name(delegate))
        .to_string()
}

// ------------------------------------------------------ documents, notes

pub(crate) async fn documents(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    documents_view(&state, &caller, &a, None, q.done.as_deref()).await
}

pub(crate) async fn notes(Path(room): Path<String>, Session(_): Session) -> Response {
    Redirect::to(&room_path(&room, "/documents#notes")).into_response()
}

/// Documents and notes, each with its form.
pub(crate) async fn documents_view(
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
    let files = a.document_files(state).await?;
    let docs: Vec<Value> = a
        .room()
        .each::<Document>()
        .map(|d| {
            shown.push(d.record);
            let attached = d
                .text_id
                .as_deref()
                .and_then(|t| a.room().find::<Text>(t))
                .map(|t| json!({"label": format!("Text: {}", t.label.as_deref().unwrap_or(t.id())), "href": room_path(room, &format!("/texts/{}", urlpart(t.id().to_string())))}))
                .or_else(|| {
                    d.meeting_id
                        .as_deref()
                        .and_then(|m| a.room().find::<Meeting>(m))
                        .map(|m| json!({"label": format!("Meeting: {}", m.title.as_deref().unwrap_or(m.id())), "href": room_path(room, &format!("/meetings#meeting-{}", urlpart(m.id().to_string())))}))
                });
            json!({
                "id": d.id(),
                "title": d.title.as_deref().unwrap_or(d.id()),
                "content": d.content.as_deref().unwrap_or_default(),
                "attached": attached,
                "audience": view::audience(&d.record.visibility, &names),
                "file": files.get(d.id()).map(|f| json!({
                    "name": f.name,
                    "size": human_size(f.size),
                })),
                "upload": a.may_attach(d.id()).is_ok(),
            })
        })
        .collect();
    let notes: Vec<Value> = a
        .room()
        .each::<Note>()
        .map(|n| {
            shown.push(n.record);
            json!({
                "id": n.id(),
                "text": n.text.as_deref().unwrap_or_default(),
                "author": n.author.as_deref(),
                "audience": view::audience(&n.record.visibility, &names),
            })
        })
        .collect();
    let can_document = a.role() != Role::Observer;
    let mut attach = vec![json!({"value": "", "label": "Nothing (room document)"})];
    for t in a.room().versions() {
        shown.push(t.record);
        attach.push(json!({"value": format!("text:{}", t.id()), "label": format!("Text: {}", view::text_option(t, &names)["option"].as_str().unwrap_or(t.id()))}));
    }
    for m in a.room().each::<Meeting>() {
        shown.push(m.record);
        attach.push(json!({"value": format!("meeting:{}", m.id()), "label": format!("Meeting: {}", m.title.as_deref().unwrap_or(m.id()))}));
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

// -------------------------------------------------------------- meetings

pub(crate) async fn form_add_meeting(
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
        crate::meetings::add_meeting(&state, &a, input).await,
        |r| format!("/meetings?done=meeting#meeting-{}", urlpart(r.id)),
        "meeting",
        form,
        |fail| crate::meetings::ui::meetings_view(&state, &caller, &a, Some(fail), None),
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

pub(crate) async fn form_add_document(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let result =
        async { crate::meetings::add_document(&state, &a, document_input(&form)?).await }.await;
    finish_form(
        &room,
        result,
        |r| format!("/documents?done=document#doc-{}", urlpart(r.id)),
        "document",
        form,
        |fail| crate::meetings::ui::documents_view(&state, &caller, &a, Some(fail), None),
    )
    .await
}

pub(crate) async fn form_add_note(
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
        crate::meetings::add_note(&state, &a, input).await
    }
    .await;
    finish_form(
        &room,
        result,
        |r| format!("/documents?done=note#note-{}", urlpart(r.id)),
        "note",
        form,
        |fail| crate::meetings::ui::documents_view(&state, &caller, &a, Some(fail), None),
    )
    .await
}

/// A file size as people read it (`2.4 MB`, `830 kB`, `12 bytes`).
fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1_000_000.0),
        b if b >= 1_000 => format!("{} kB", b / 1_000),
        b => format!("{b} bytes"),
    }
}
