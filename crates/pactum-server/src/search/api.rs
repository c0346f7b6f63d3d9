//! The JSON API of this feature.

use super::{search as find, Query};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::{access, P, Q};
use crate::pagination::PageQuery;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// `?q=`, read as text so that a missing one is named like a bad one.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
}

/// `GET /api/rooms/{room}/search?q=&limit=&after=`: one page of hits,
/// the count of all of them, and the cursor of the next page.
pub(super) async fn search(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
    Q(sq): Q<SearchQuery>,
    Q(pq): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let a = access(&state, &caller, &room).await?;
    let query = Query::parse(sq.q.as_deref())?;
    let window = pq.window()?;
    let hits = find(&state, &a, &query).await?;
    let page = window.of(&hits);
    a.audit_reads(&state, "read", page.items.iter().map(|h| h.record))
        .await?;
    let results: Vec<Value> = page
        .items
        .iter()
        .map(|h| {
            json!({
                "kind": h.kind,
                "id": h.id,
                "title": h.title,
                "snippet": h.snippet.text,
                "link": h.link,
            })
        })
        .collect();
    Ok(Json(json!({
        "query": query.text,
        "count": page.total,
        "results": results,
        "next": page.next.map(|n| n.to_string()),
    })))
}
