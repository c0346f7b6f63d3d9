//! The redline over HTTP: a version drafted with a merge, a split and an
//! insertion reads as exactly that in `GET /api/rooms/{room}/diff` and on
//! the redline page, and a version a party may not see answers 404 there
//! exactly like a missing one.

use reqwest::header::SET_COOKIE;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const ROOM: &str = "peace-plan-2025";

struct App {
    base: String,
    http: Client,
    /// The demo file's ids → the room's (its records have fresh ids).
    ids: pactum_workspace::case::IdMap,
    _dir: tempfile::TempDir,
}

async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    let demo = pactum_server::load_demo(store.as_ref()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(
        pactum_server::AppState::new(store),
        listener,
    ));
    App {
        base: format!("http://{addr}"),
        http: Client::new(),
        ids: demo.ids,
        _dir: dir,
    }
}

impl App {
    /// A demo record's id in the room, by its id in the demo file.
    fn id(&self, kind: &str, file_id: &str) -> String {
        self.ids
            .get(kind, file_id)
            .unwrap_or_else(|| panic!("the demo file has no {kind} {file_id}"))
            .to_string()
    }

    async fn token(&self, user: &str) -> String {
        let v: Value = self
            .http
            .post(format!("{}/api/login", self.base))
            .json(&json!({"user": user, "password": format!("{user}-demo")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    /// A browser session (cookie) for the UI pages.
    async fn browser(&self, user: &str) -> Client {
        let c = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        let password = format!("{user}-demo");
        let res = c
            .post(format!("{}/login", self.base))
            .form(&[("user", user), ("password", password.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login as {user}");
        assert!(res.headers().get(SET_COOKIE).is_some());
        c
    }

    async fn page(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let res = c.get(format!("{}{path}", self.base)).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }
}

#[tokio::test]
async fn drafted_merge_split_and_insertion_read_as_such() {
    let app = start().await;
    let med = app.token("united-states").await;
    let ru = app.token("russia").await;
    let v2 = app.id("text", "v2_post_geneva");

    // v2 (imported, unnumbered) has four points: armed_forces_cap,
    // nato_membership, territorial_concessions, donetsk_withdrawal.
    let draft = json!({
        "label": "Draft v3",
        "derived_from_text_id": v2,
        "points": [
            {"key": "armed_forces_cap", "title": "Limit on the size of Ukraine's armed forces"},
            {"key": "nato_and_territory", "title": "NATO membership and territory",
             "body": "Both questions are left to the leaders' meeting.",
             "derived_from": ["nato_membership", "territorial_concessions"]},
            {"key": "donetsk_withdrawal", "title": "Withdrawal from Donetsk region",
             "body": "Forces withdraw in stages."},
            {"key": "donetsk_zone", "title": "Demilitarised zone",
             "body": "The area left becomes a demilitarised zone.",
             "derived_from": ["donetsk_withdrawal"]},
            {"key": "ceasefire_monitoring", "title": "Ceasefire monitoring",
             "body": "A monitoring mission verifies the ceasefire."}
        ]
    });
    let res = app
        .http
        .post(format!("{}/api/rooms/{ROOM}/texts", app.base))
        .bearer_auth(&med)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();

    let path = format!("/api/rooms/{ROOM}/diff?from={v2}&to={id}");
    let (status, body) = app.get(&med, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(d["alignment"], "identity");
    let shape: Vec<Value> = d["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["change"], p["from"], p["to"]]))
        .collect();
    assert_eq!(
        shape,
        [
            json!(["unchanged", [1], [1]]),
            json!(["merged", [2, 3], [2]]),
            json!(["split", [4], [3, 4]]),
            json!(["inserted", [], [5]]),
        ]
    );
    let merged = &d["points"][1];
    assert_eq!(
        merged["from_keys"],
        json!(["nato_membership", "territorial_concessions"])
    );
    assert_eq!(
        (d["merged"].as_u64(), d["split"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        d["points"][3]["body"],
        json!([{"kind": "added", "text": "A monitoring mission verifies the ceasefire."}])
    );

    // The draft is the mediator's alone: for Russia it does not exist, in
    // either direction, with the same answer as a missing text.
    let (missing_status, missing) = app
        .get(
            &ru,
            &format!("/api/rooms/{ROOM}/diff?from={v2}&to=no_such_text"),
        )
        .await;
    assert_eq!(missing_status, StatusCode::NOT_FOUND);
    for path in [
        path.clone(),
        format!("/api/rooms/{ROOM}/diff?from={id}&to={v2}"),
    ] {
        assert_eq!(
            app.get(&ru, &path).await,
            (StatusCode::NOT_FOUND, missing.clone())
        );
    }

    // The redline page shows the badges and the word-level redline.
    let c = app.browser("united-states").await;
    let (status, page) = app
        .page(&c, &format!("/rooms/{ROOM}/redline?from={v2}&to={id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "Merged from 2 + 3",
        // minijinja escapes "/" in text.
        "Split into 3 &#x2f; 4",
        r#"data-change="inserted" data-key="ceasefire_monitoring""#,
        r#"data-change="unchanged" data-key="armed_forces_cap""#,
        "1 merged",
        "1 split",
        "1 inserted",
        "0 deleted",
        "<ins>Ceasefire monitoring</ins>",
        "<ins>Forces withdraw in stages.",
    ] {
        assert!(page.contains(needle), "{needle} in {page}");
    }
    let rc = app.browser("russia").await;
    let (status, page) = app
        .page(&rc, &format!("/rooms/{ROOM}/redline?from={v2}&to={id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Draft v3") && !page.contains("Demilitarised"));
}
