//! The JSON API's document, `openapi.json`, which describes every
//! feature module's `/api` routes, and the generic reads of a room's
//! collections (`/api/rooms/{room}/{collection}[/{id}]`).

use crate::AppState;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::json::{list, one};

/// The OpenAPI document, kept beside the code it describes.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/rooms/{room}/{collection}", get(list))
        .route("/api/rooms/{room}/{collection}/{id}", get(one))
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_json;
    use axum::http::StatusCode;
    use pactum_workspace::model::StanceInput;
    use serde_json::Value;

    /// The OpenAPI document must describe every route the router serves
    /// (schemathesis can only test what the document lists).
    #[test]
    fn openapi_lists_every_route() {
        let doc: Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        let paths = doc["paths"].as_object().expect("paths");
        // The API's routes, and those of the feature modules.
        let sources = [
            include_str!("api.rs"),
            include_str!("drafting.rs"),
            include_str!("records.rs"),
            include_str!("access/people.rs"),
            include_str!("import.rs"),
            include_str!("setup.rs"),
            include_str!("sessions.rs"),
            include_str!("models/mod.rs"),
            include_str!("rooms/mod.rs"),
            include_str!("texts/mod.rs"),
            include_str!("texts/editions.rs"),
            include_str!("stances/mod.rs"),
            include_str!("amendments/mod.rs"),
            include_str!("meetings/mod.rs"),
            include_str!("search/mod.rs"),
            include_str!("live/mod.rs"),
            include_str!("inbox/mod.rs"),
            include_str!("meetings/files.rs"),
        ];
        // `.route(` and its path may stand on two lines.
        let routes: Vec<&str> = sources
            .iter()
            .flat_map(|s| s.split(".route("))
            .skip(1)
            .filter_map(|rest| rest.trim_start().strip_prefix('"'))
            .filter_map(|l| l.split('"').next())
            .filter(|p| p.starts_with("/api/") && !p.contains('*'))
            .collect();
        assert!(routes.len() >= 15, "found {} routes", routes.len());
        for r in routes {
            assert!(
                paths.contains_key(r),
                "route {r} is missing from openapi.json"
            );
        }
    }

    /// A path the API does not have answers the API's JSON 404 (the
    /// router's fallback tells API paths from the UI's), whatever the
    /// method, and however deep or near a real route the path is.
    #[tokio::test]
    async fn unknown_api_paths_answer_the_json_404() {
        let dir = tempfile::tempdir().unwrap();
        let store = pactum_store::open_sqlite(&dir.path().join("ws.db"))
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(crate::serve(AppState::new(store), listener));
        let http = reqwest::Client::new();
        for path in [
            "/api/",
            "/api/nope",
            "/api/rooms/r1/texts/v1/nope",
            "/api/rooms/r1/texts/v1/matrix/more",
            "/api/rooms/r1/a/b/c/d",
        ] {
            for method in [
                reqwest::Method::GET,
                reqwest::Method::HEAD,
                reqwest::Method::POST,
                reqwest::Method::PUT,
                reqwest::Method::DELETE,
            ] {
                let res = http
                    .request(method.clone(), format!("{base}{path}"))
                    .send()
                    .await
                    .unwrap();
                let head = format!("{method} {path}");
                assert_eq!(res.status(), StatusCode::NOT_FOUND, "{head}");
                let mut headers: Vec<_> = res
                    .headers()
                    .iter()
                    .filter(|(name, _)| *name != "date")
                    .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
                    .collect();
                headers.sort();
                assert_eq!(
                    headers,
                    ["content-length: 21", "content-type: application/json"],
                    "{head}"
                );
                let body = res.text().await.unwrap();
                let want = if method == reqwest::Method::HEAD {
                    ""
                } else {
                    r#"{"error":"not found"}"#
                };
                assert_eq!(body, want, "{head}");
            }
        }
    }

    #[test]
    fn body_errors_name_the_field() {
        let e = parse_json::<StanceInput>(br#"{"party_id": "a", "target": {}, "stance": "maybe"}"#)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("stance"), "{}", e.message);
        let e =
            parse_json::<StanceInput>(br#"{"party_id": "a", "target": {}, "stance": "accepts"}"#)
                .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("summary"), "{}", e.message);
        let e = parse_json::<StanceInput>(
            br#"{"party_id": "a", "target": {}, "stance": "accepts", "summary": "s", "provenance": {}}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("provenance.source"),
            "{}",
            e.message
        );
        let e = parse_json::<StanceInput>(b"{\"party_id\": ").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.contains("line 1"), "{}", e.message);
    }
}
