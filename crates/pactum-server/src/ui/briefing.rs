//! The briefing page: the user's briefing inside the workspace's frame,
//! and the same briefing as a Markdown or self-contained HTML download.

use super::pages::load;
use super::{chrome, page, private_headers, Session, UiResult};
use crate::rooms;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default)]
pub(super) struct BriefingQuery {
    /// `md` or `html` for a download; absent for the page.
    #[serde(default)]
    format: Option<String>,
}

/// `GET /rooms/{room}/briefing[?format=md|html]`.
pub(super) async fn briefing(
    State(state): State<AppState>,
    Session(caller): Session,
    Path(room): Path<String>,
    Query(q): Query<BriefingQuery>,
) -> UiResult {
    let a = load(&state, &caller, &room).await?;
    let prepared = crate::now();
    let zone = crate::models::briefing_zone(&state, &a).await?;
    let b = rooms::briefing(&a, zone.as_ref(), Some(&prepared));
    a.audit_reads(&state, "report", rooms::briefing_records(&a, &b))
        .await?;
    let download = |body: String, mime: &'static str, ext: &str| {
        let mut res = (StatusCode::OK, body).into_response();
        // Opened in a browser anyway, the document may style itself and nothing else.
        private_headers(
            &mut res,
            mime,
            "default-src 'none'; style-src 'unsafe-inline'",
        );
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&format!(
            "attachment; filename=\"briefing-{}.{ext}\"",
            room.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                .collect::<String>()
        )) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        res
    };
    match q.format.as_deref() {
        Some("md") => Ok(download(b.markdown(), "text/markdown; charset=utf-8", "md")),
        Some("html") => Ok(download(b.html(), "text/html; charset=utf-8", "html")),
        Some(other) => Err(crate::error::ApiError::field(
            "format",
            format!("{other:?}: expected md or html"),
        )
        .into()),
        None => {
            let mut ctx = chrome(&state, &caller, Some(&a), "briefing", "Briefing").await?;
            ctx.insert("briefing".into(), Value::String(b.html_fragment()));
            Ok(page(StatusCode::OK, "briefing.html", &Value::Object(ctx)))
        }
    }
}
