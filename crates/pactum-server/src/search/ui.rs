//! The search results page.

use super::{search as find, Query};
use crate::pagination::PageQuery;
use crate::ui::pages::{audit_shown, load, room_path};
use crate::ui::{chrome, page, urlpart, Session, UiResult};
use crate::AppState;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

/// `?q=` of the page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchForm {
    #[serde(default)]
    q: Option<String>,
}

/// `/rooms/{room}/search?q=`: the hits a page at a time, each with its
/// snippet (query words marked) and a link; a query that is not one (empty,
/// too long) is said so on the page, above the search box.
pub(crate) async fn search(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    UrlQuery(form): UrlQuery<SearchForm>,
    UrlQuery(pq): UrlQuery<PageQuery>,
) -> UiResult {
    let window = pq.window()?;
    let a = load(&state, &caller, &room).await?;
    let given = form.q.clone().unwrap_or_default();
    let mut ctx = chrome(&state, &caller, Some(&a), "search", "Search").await?;
    ctx.insert("q".into(), given.trim().into());
    let status = match Query::parse(form.q.as_deref()) {
        Err(e) if given.trim().is_empty() => {
            drop(e);
            StatusCode::OK
        }
        Err(e) => {
            let message = e
                .message
                .strip_prefix("q: ")
                .unwrap_or(&e.message)
                .to_string();
            ctx.insert("error".into(), message.into());
            StatusCode::BAD_REQUEST
        }
        Ok(query) => {
            let hits = find(&state, &a, &query).await?;
            let hits_page = window.of(&hits);
            let results: Vec<Value> = hits_page
                .items
                .iter()
                .map(|h| {
                    let runs: Vec<Value> = h
                        .snippet
                        .runs()
                        .into_iter()
                        .map(|(mark, text)| json!({"mark": mark, "text": text}))
                        .collect();
                    json!({
                        "kind": h.kind,
                        "kind_label": kind_label(&h.kind),
                        "id": h.id,
                        "title": h.title,
                        "link": h.link,
                        "runs": runs,
                    })
                })
                .collect();
            audit_shown(
                &state,
                &a,
                hits_page.items.iter().map(|h| h.record).collect(),
            )
            .await?;
            let base = room_path(&room, &format!("/search?q={}", urlpart(query.text.clone())));
            ctx.insert("results".into(), Value::Array(results));
            ctx.insert("count".into(), hits_page.total.into());
            ctx.insert("page".into(), hits_page.links(&base, window.limit));
            ctx.insert("searched".into(), true.into());
            StatusCode::OK
        }
    };
    Ok(page(status, "search.html", &Value::Object(ctx)))
}

/// A kind as the results list names it.
fn kind_label(kind: &str) -> String {
    match kind {
        "text" => "Version".into(),
        "point" => "Point".into(),
        "stance" => "Stance".into(),
        "meeting" => "Meeting".into(),
        "document" => "Document".into(),
        "note" => "Note".into(),
        "amendment" => "Amendment".into(),
        "comment" => "Comment".into(),
        "issue" => "Issue".into(),
        "party" => "Party".into(),
        other => {
            let mut c = other.replace('_', " ");
            if let Some(f) = c.get_mut(..1) {
                f.make_ascii_uppercase();
            }
            c
        }
    }
}
