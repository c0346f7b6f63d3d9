//! The UI of preference models, the mediator's analysis and single-text
//! sessions. Pages read through [`RoomAccess`] like every other page, and
//! writes go through [`crate::models`], like the API's.

use crate::access::{Role, RoomAccess};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::models::{self as deliberation, GeniusInput, SettingsInput};
use crate::ui::forms::{begin, finish};
use crate::ui::pages::{load, room_path, DoneQuery};
use crate::ui::view;
use crate::ui::{chrome, page, urlpart, FormData, Session, UiError, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use pactum_workspace::model::{Kind, Record};
use pactum_workspace::preference::{
    self, IssueModelInput, MediatorAnalysis, OptionValueInput, PreferenceInput,
};
use pactum_workspace::session::{
    self, Ballot, Package, ProposalInput, SessionInput, SessionView, VoteInput,
};
use serde_json::{json, Value};

fn done_message(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "model" => "Model saved.",
        "withdrawn" => "Model withdrawn.",
        "settings" => "Setting saved.",
        "session" => "Session opened.",
        "proposal" => "Proposal put to the parties.",
        "vote" => "Vote recorded.",
        "decided" => "Proposal decided.",
        "closed" => "Session closed; the new draft version is in the texts.",
        _ => return None,
    })
}

fn error_json(e: &ApiError) -> Value {
    json!({"field": e.field, "message": e.message})
}

fn issues_json(a: &RoomAccess) -> Vec<Value> {
    a.room()
        .live_issues()
        .map(|i| {
            let options: Vec<Value> = i
                .live_options()
                .map(|(id, label)| json!({"id": id, "label": label}))
                .collect();
            json!({"id": i.id(), "title": i.title.as_deref().unwrap_or(i.id()), "options": options})
        })
        .filter(|i| !i["options"].as_array().is_some_and(Vec::is_empty))
        .collect()
}

// ------------------------------------------------------------- own model

pub(super) async fn model(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    model_view(&state, &caller, &a, None, q.done.as_deref()).await
}

async fn model_view(
    state: &AppState,
    caller: &Caller,
    a: &RoomAccess,
    error: Option<(ApiError, &FormData)>,
    done: Option<&str>,
) -> UiResult {
    let error = error.as_ref().map(|(e, f)| (e, *f));
    if a.role() == Role::Observer {
        return Err(UiError(ApiError::not_found()));
    }
    let own = deliberation::own_model(a);
    if let Some(r) = own {
        a.audit_reads(state, "view", [r]).await?;
    }
    let input = own.map(|r| PreferenceInput::of_record(a.room(), r));
    let typed = |name: &str, stored: Option<f64>| -> String {
        match error {
            Some((_, f)) => f.get(name).to_string(),
            None => stored.map(|x| x.to_string()).unwrap_or_default(),
        }
    };
    let issues: Vec<Value> = issues_json(a)
        .into_iter()
        .map(|mut i| {
            let iid = i["id"].as_str().unwrap_or_default().to_string();
            let im = input
                .as_ref()
                .and_then(|p| p.issues.iter().find(|x| x.issue_id == iid));
            i["weight"] = typed(&format!("w:{iid}"), im.map(|x| x.weight)).into();
            if let Some(os) = i["options"].as_array_mut() {
                for o in os {
                    let oid = o["id"].as_str().unwrap_or_default().to_string();
                    let v = im.and_then(|x| {
                        x.option_values
                            .iter()
                            .find(|v| v.option_id == oid)
                            .map(|v| v.value)
                    });
                    o["value"] = typed(&format!("v:{oid}"), v).into();
                }
            }
            i
        })
        .collect();
    let is_mediator = a.is_mediator();
    let mut ctx = chrome(state, caller, Some(a), "model", "Your preference model").await?;
    ctx.insert(
        "model".into(),
        json!({
            "exists": own.is_some(),
            "hypothetical": own.is_some_and(|r| preference::ModelView::parse(r).hypothetical),
            "hypothetical_label": preference::hypothetical_label(a.room()),
            "reservation": typed("reservation_value", input.as_ref().map(|p| p.reservation_value)),
            "shared": match error { Some((_, f)) => f.get("shared") == "on", None => input.as_ref().is_some_and(|p| p.shared_with_mediator) },
            "audience": own.map(|r| view::audience(&r.visibility, &a.room().party_names())),
            "issues": issues,
            "is_mediator": is_mediator,
            "mediator_counts": preference::mediator_counts(a.room()),
        }),
    );
    ctx.insert("error".into(), error.map(|(e, _)| error_json(e)).into());
    ctx.insert("done".into(), json!(done_message(done)));
    let status = error.map_or(StatusCode::OK, |(e, _)| e.status);
    Ok(page(status, "model.html", &Value::Object(ctx)))
}

fn number(f: &FormData, name: &str, field: &str, default: f64) -> Result<f64, ApiError> {
    let s = f.get(name);
    if s.is_empty() {
        return Ok(default);
    }
    s.parse::<f64>()
        .map_err(|_| ApiError::field(field, format!("{s:?} is not a number")))
}

fn model_input(a: &RoomAccess, f: &FormData) -> Result<PreferenceInput, ApiError> {
    if f.get("reservation_value").is_empty() {
        return Err(ApiError::field("reservation_value", "must not be empty"));
    }
    let reservation_value = number(f, "reservation_value", "reservation_value", 0.0)?;
    let mut issues = Vec::new();
    for (n, i) in issues_json(a).iter().enumerate() {
        let iid = i["id"].as_str().unwrap_or_default();
        let weight = number(f, &format!("w:{iid}"), &format!("issues[{n}].weight"), 0.0)?;
        let mut option_values = Vec::new();
        for (m, o) in i["options"].as_array().into_iter().flatten().enumerate() {
            let oid = o["id"].as_str().unwrap_or_default();
            let value = number(
                f,
                &format!("v:{oid}"),
                &format!("issues[{n}].option_values[{m}].value"),
                0.0,
            )?;
            option_values.push(OptionValueInput {
                option_id: oid.to_string(),
                value,
            });
        }
        issues.push(IssueModelInput {
            issue_id: iid.to_string(),
            weight,
            option_values,
        });
    }
    Ok(PreferenceInput {
        party_id: a.party_id().to_string(),
        reservation_value,
        issues,
        shared_with_mediator: f.get("shared") == "on",
    })
}

pub(super) async fn save_model(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let shared = form.get("shared") == "on";
    let result = match form.get("action") {
        "withdraw" => deliberation::delete_preference(&state, &a, a.party_id())
            .await
            .map(|()| "withdrawn"),
        "genius" => {
            let input = GeniusInput {
                xml: form.get("genius_xml").to_string(),
                shared_with_mediator: shared,
            };
            deliberation::put_genius(&state, &a, a.party_id(), input)
                .await
                .map(|_| "model")
        }
        _ => async {
            let input = model_input(&a, &form)?;
            deliberation::put_preference(&state, &a, input).await
        }
        .await
        .map(|_| "model"),
    };
    finish(
        &room,
        result,
        |done| format!("/model?done={done}"),
        |e| model_view(&state, &caller, &a, Some((e, &form)), None),
    )
    .await
}

// -------------------------------------------------------------- analysis

pub(super) async fn analysis(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    analysis_view(&state, &caller, &a, None, q.done.as_deref()).await
}

async fn analysis_view(
    state: &AppState,
    caller: &Caller,
    a: &RoomAccess,
    error: Option<ApiError>,
    done: Option<&str>,
) -> UiResult {
    a.mediator_page()?;
    let result: MediatorAnalysis = deliberation::analysis(state, a).await?;
    let sessions = sessions_json(a);
    let mut ctx = chrome(state, caller, Some(a), "analysis", "Analysis of the models").await?;
    ctx.insert(
        "analysis".into(),
        serde_json::to_value(&result).map_err(ApiError::internal)?,
    );
    ctx.insert("issues".into(), Value::Array(issues_json(a)));
    ctx.insert("sessions".into(), Value::Array(sessions));
    ctx.insert("error".into(), error.as_ref().map(error_json).into());
    ctx.insert("done".into(), json!(done_message(done)));
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(page(status, "analysis.html", &Value::Object(ctx)))
}

pub(super) async fn settings(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let input = SettingsInput {
        mediator_counts: form.get("mediator_counts") == "on",
    };
    finish(
        &room,
        deliberation::put_settings(&state, &a, input).await,
        |_| "/analysis?done=settings".to_string(),
        |e| analysis_view(&state, &caller, &a, Some(e), None),
    )
    .await
}

/// A package from a form: `o:<issue id>` = option id.
fn package_of(f: &FormData, a: &RoomAccess) -> Package {
    a.room()
        .of(Kind::Issue)
        .filter_map(|i| f.opt(&format!("o:{}", i.id)).map(|o| (i.id.clone(), o)))
        .collect()
}

// -------------------------------------------------------------- sessions

fn sessions_json(a: &RoomAccess) -> Vec<Value> {
    a.room()
        .each::<SessionView>()
        .map(|v| {
            json!({
                "id": v.id(),
                "title": v.title,
                "open": v.open,
                "round": v.round,
                "proposal_open": v.proposal.is_some(),
                "href": room_path(a.room_id(), &format!("/sessions/{}", urlpart(v.id().to_string()))),
            })
        })
        .collect()
}

pub(super) async fn sessions(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    let shown: Vec<&Record> = a.room().of(Kind::Session).collect();
    a.audit_reads(&state, "view", shown).await?;
    let mut ctx = chrome(
        &state,
        &caller,
        Some(&a),
        "sessions",
        "Single-text sessions",
    )
    .await?;
    ctx.insert("sessions".into(), Value::Array(sessions_json(&a)));
    Ok(page(StatusCode::OK, "sessions.html", &Value::Object(ctx)))
}

pub(super) async fn open_session(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let input = SessionInput {
        title: form.get("title").to_string(),
        package: package_of(&form, &a),
    };
    finish(
        &room,
        deliberation::open_session(&state, &a, input).await,
        |r| format!("/sessions/{}?done=session", urlpart(r.id)),
        |e| analysis_view(&state, &caller, &a, Some(e), None),
    )
    .await
}

pub(super) async fn session_page(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    session_view(&state, &caller, &a, &id, None, q.done.as_deref()).await
}

/// A package in words: one row per live issue, and per retired issue the
/// package still names (a session's history keeps its options, marked
/// retired).
fn labelled(a: &RoomAccess, p: &Package) -> Vec<Value> {
    use pactum_workspace::setup::{is_retired, issue_title};
    a.room()
        .of(Kind::Issue)
        .filter(|i| !is_retired(&i.body) || p.contains_key(&i.id))
        .filter_map(|i| {
            let options = i.body.get("options").and_then(Value::as_array)?;
            if options.is_empty() {
                return None;
            }
            let oid = p.get(&i.id).cloned().unwrap_or_default();
            let label = options
                .iter()
                .filter_map(Value::as_object)
                .find(|o| o.get("id").and_then(Value::as_str) == Some(oid.as_str()))
                .map(|o| {
                    let l = o.get("label").and_then(Value::as_str).unwrap_or(&oid);
                    if is_retired(o) {
                        format!("{l} (retired)")
                    } else {
                        l.to_string()
                    }
                })
                .unwrap_or_else(|| "—".to_string());
            Some(json!({"issue_id": i.id, "issue": issue_title(a.room(), &i.id), "option_id": oid, "option": label}))
        })
        .collect()
}

async fn session_view(
    state: &AppState,
    caller: &Caller,
    a: &RoomAccess,
    id: &str,
    error: Option<ApiError>,
    done: Option<&str>,
) -> UiResult {
    let s = a
        .room()
        .get(Kind::Session, id)
        .ok_or_else(ApiError::not_found)?;
    let votes = deliberation::votes_of(a, s);
    let mut shown = vec![s];
    shown.extend(votes.iter().copied());
    a.audit_reads(state, "view", shown).await?;
    let v = SessionView::parse(s);
    let names = a.room().party_names();
    let name = |p: &str| names.get(p).copied().unwrap_or(p).to_string();
    let current = labelled(a, &v.current);
    let rows: Vec<Value> = match &v.proposal {
        Some(p) => {
            let proposed = labelled(a, p);
            current
                .iter()
                .zip(&proposed)
                .map(|(c, n)| {
                    json!({"issue": c["issue"], "current": c["option"], "proposed": n["option"],
                           "changed": c["option_id"] != n["option_id"]})
                })
                .collect()
        }
        None => current
            .iter()
            .map(|c| json!({"issue": c["issue"], "current": c["option"], "proposed": null, "changed": false}))
            .collect(),
    };
    let tally = session::tally(s, &votes);
    let my_votes: Vec<Value> = votes
        .iter()
        .filter(|x| x.str("party_id") == Some(a.party_id()))
        .map(|x| {
            json!({"round": x.body.get("round"), "vote": x.str("vote"),
                   "by_model": x.body.get("by_model").and_then(Value::as_bool) == Some(true)})
        })
        .collect();
    let votes_now: Vec<Value> = v
        .parties
        .iter()
        .map(|p| json!({"party": name(p), "vote": tally.get(p).map(|acc| if *acc { "accept" } else { "reject" })}))
        .collect();
    let rounds: Vec<Value> = v
        .rounds
        .iter()
        .map(|(r, p, adopted)| {
            let changes: Vec<String> = labelled(a, p)
                .iter()
                .map(|x| {
                    format!(
                        "{}: {}",
                        x["issue"].as_str().unwrap_or_default(),
                        x["option"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            json!({"round": r, "adopted": adopted, "package": changes})
        })
        .collect();
    let votes_here = v.parties.iter().any(|p| p == a.party_id());
    let has_model = deliberation::own_model(a).is_some();
    let mut ctx = chrome(state, caller, Some(a), "sessions", &v.title).await?;
    ctx.insert(
        "session".into(),
        json!({
            "id": s.id,
            "title": v.title,
            "open": v.open,
            "round": v.round,
            "proposal_open": v.proposal.is_some(),
            "rows": rows,
            "parties": v.parties.iter().map(|p| name(p)).collect::<Vec<_>>(),
            "rounds": rounds,
            "text_href": v.text_id.as_ref().map(|t| room_path(a.room_id(), &format!("/texts/{}", urlpart(t.clone())))),
            "votes_now": if a.is_mediator() { Value::Array(votes_now) } else { Value::Null },
            "all_voted": v.parties.iter().all(|p| tally.contains_key(p)),
            "my_votes": my_votes,
            "votes_here": votes_here,
            "has_model": has_model,
            "issues": issues_json(a).into_iter().map(|mut i| { let iid = i["id"].as_str().unwrap_or_default().to_string(); i["current"] = v.current.get(&iid).cloned().unwrap_or_default().into(); i }).collect::<Vec<_>>(),
            "action": room_path(a.room_id(), &format!("/sessions/{}", urlpart(s.id.clone()))),
        }),
    );
    ctx.insert("error".into(), error.as_ref().map(error_json).into());
    ctx.insert("done".into(), json!(done_message(done)));
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(page(status, "session.html", &Value::Object(ctx)))
}

pub(super) async fn session_action(
    State(state): State<AppState>,
    Session(caller): Session,
    Path((room, id, action)): Path<(String, String, String)>,
    body: Bytes,
) -> UiResult {
    let (form, a) = begin(&state, &caller, &room, &body).await?;
    let result = match action.as_str() {
        "propose" => {
            let s = a.room().get(Kind::Session, &id).map(SessionView::parse);
            let current = s.map(|s| s.current).unwrap_or_default();
            let changes: Package = package_of(&form, &a)
                .into_iter()
                .filter(|(i, o)| current.get(i) != Some(o))
                .collect();
            deliberation::propose(&state, &a, &id, ProposalInput { changes })
                .await
                .map(|_| "proposal")
        }
        "vote" => async {
            let ballot = match form.get("ballot") {
                "accept" => Ballot::Accept,
                "reject" => Ballot::Reject,
                "model" => Ballot::Model,
                _ => {
                    return Err(ApiError::field(
                        "ballot",
                        "choose accept, reject or let your model vote",
                    ))
                }
            };
            deliberation::vote(&state, &a, &id, VoteInput { ballot }).await
        }
        .await
        .map(|_| "vote"),
        "decide" => deliberation::decide(&state, &a, &id)
            .await
            .map(|_| "decided"),
        "close" => deliberation::close(&state, &a, &id).await.map(|_| "closed"),
        _ => Err(ApiError::not_found()),
    };
    finish(
        &room,
        result,
        |done| format!("/sessions/{}?done={done}", urlpart(id.clone())),
        |e| session_view(&state, &caller, &a, &id, Some(e), None),
    )
    .await
}
