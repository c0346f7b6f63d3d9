//! Live updates, the inbox and webhooks over real HTTP, with planted
//! markers and the test's own oracle of who may see what.
//!
//! A party's event stream (`GET /api/rooms/{room}/events`) delivers an
//! event within 2 s for every write the party may see and nothing for one
//! it may not (a mediator-only draft and note, a document for another
//! party, another party's private note, a version published to another
//! party): what the stream delivered equals the oracle's list of visible
//! writes, and the raw stream holds no marker, no hidden id, no `id:`
//! field and no number beyond what the oracle's events carry. A removed
//! delegate's stream ends. The inbox lists versions published to the
//! party and stances on followed points it may see, never another party's;
//! unread counts equal the oracle's through marks. A webhook receiver (a
//! small axum server on 127.0.0.1) gets exactly `{kind, room, link}` for
//! visible items and nothing for hidden ones. Cookie writes need the CSRF
//! token. "Since your last visit" lists only what the user may see.
//!
//! Each test runs on SQLite, and on PostgreSQL when
//! `PACTUM_TEST_DATABASE_URL` is set (see `common`).

mod common;

use common::TestDb;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROOM: &str = "peace-plan-2025";
const MED: &str = "united-states";
const RU: &str = "russia";
const UA: &str = "ukraine";
const RU_PARTY: &str = "russia";
const UA_PARTY: &str = "ukraine";

/// How soon a visible write must reach an open stream.
const WITHIN: Duration = Duration::from_secs(2);

fn marker(tag: &str) -> String {
    format!("LIVE-{tag}-5c1e")
}

struct App {
    base: String,
    http: Client,
    _db: TestDb,
}

async fn start(db: TestDb) -> App {
    pactum_server::load_demo(db.store.as_ref()).await.unwrap();
    let mut state = pactum_server::AppState::new(db.store.clone());
    // One overview view per visit in these tests.
    state.visit_gap = Duration::from_millis(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(state, listener));
    App {
        base: format!("http://{addr}"),
        http: Client::new(),
        _db: db,
    }
}

/// Runs a test on SQLite, then on PostgreSQL when it is configured.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $body:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() {
            $body(start(TestDb::sqlite().await).await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $postgres() {
            let Some(db) = TestDb::postgres().await else {
                return;
            };
            $body(start(db).await).await;
        }
    };
}

impl App {
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

    async fn json(&self, token: &str, path: &str) -> Value {
        let (status, body) = self.get(token, path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let res = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, token, path, body).await
    }

    /// Creates a record in the room; its id.
    async fn create(&self, token: &str, collection: &str, body: Value) -> String {
        let (status, v) = self
            .post(token, &format!("/api/rooms/{ROOM}/{collection}"), &body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "POST {collection}: {v}");
        v["id"].as_str().unwrap().to_string()
    }

    /// A mediator's draft (a mediator-only record); its id.
    async fn draft(&self, med: &str, label: &str) -> String {
        self.create(
            med,
            "texts",
            json!({"label": label, "points": [{"key": "only", "title": format!("Point of {label}"), "body": label}]}),
        )
        .await
    }

    async fn publish(&self, med: &str, id: &str, parties: &[&str]) {
        let (status, body) = self
            .post(
                med,
                &format!("/api/rooms/{ROOM}/texts/{id}/publish"),
                &json!({"parties": parties}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "publish: {body}");
    }

    /// A browser session (cookie), not following redirects.
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
        c
    }

    /// The CSRF token a page's forms carry.
    async fn csrf(&self, c: &Client, path: &str) -> String {
        let page = c
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = r#"name="_csrf" value=""#;
        let start = page.find(at).expect("a form with a CSRF field") + at.len();
        page[start..].split('"').next().unwrap().to_string()
    }
}

/// One open event stream: what it delivered, as raw bytes and as parsed
/// `change` events with the time each arrived.
#[derive(Default)]
struct Received {
    raw: String,
    events: Vec<(Value, Instant)>,
    ended: bool,
}

async fn open_stream(app: &App, token: &str) -> Arc<Mutex<Received>> {
    let mut res = app
        .http
        .get(format!("{}/api/rooms/{ROOM}/events", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let got = Arc::new(Mutex::new(Received::default()));
    let sink = got.clone();
    tokio::spawn(async move {
        let mut buf = String::new();
        loop {
            match res.chunk().await {
                Ok(Some(bytes)) => {
                    let text = String::from_utf8_lossy(&bytes).to_string();
                    buf.push_str(&text);
                    let mut g = sink.lock().unwrap();
                    g.raw.push_str(&text);
                    while let Some(end) = buf.find("\n\n") {
                        let block: String = buf.drain(..end + 2).collect();
                        let is_change = block.lines().any(|l| l == "event: change");
                        let data: String = block
                            .lines()
                            .filter_map(|l| l.strip_prefix("data: "))
                            .collect();
                        if is_change {
                            g.events
                                .push((serde_json::from_str(&data).unwrap(), Instant::now()));
                        }
                    }
                }
                _ => {
                    sink.lock().unwrap().ended = true;
                    return;
                }
            }
        }
    });
    // The stream opens with a keep-alive comment: once it is in, the
    // connection is subscribed.
    let t = Instant::now();
    while !got.lock().unwrap().raw.contains(":") {
        assert!(t.elapsed() < WITHIN, "the stream sent nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    got
}

/// Waits until the stream holds `n` events, or `WITHIN` has passed.
async fn wait_events(got: &Arc<Mutex<Received>>, n: usize) {
    let t = Instant::now();
    while got.lock().unwrap().events.len() < n && t.elapsed() < WITHIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn stream_carries_only_what_the_viewer_may_see(app: App) {
    let med = app.token(MED).await;
    let ru = app.token(RU).await;
    let ua = app.token(UA).await;
    let stream = open_stream(&app, &ru).await;
    // The oracle: the writes Russia may see, in order, as (kind, id, action).
    let mut visible: Vec<(String, String, String)> = Vec::new();
    let mut hidden_ids: Vec<String> = Vec::new();
    let mut markers: Vec<String> = Vec::new();

    let mut hidden = |id: String, m: String| {
        hidden_ids.push(id);
        markers.push(m);
    };
    // A mediator-only note (the default scope of the mediator's notes).
    let m = marker("MED-NOTE");
    hidden(app.create(&med, "notes", json!({"text": m})).await, m);
    // A document for Ukraine and the mediator only.
    let m = marker("DOC-UA");
    hidden(
        app.create(
            &med,
            "documents",
            json!({"title": m, "content": m, "visibility": {"scope": "parties", "parties": [UA_PARTY]}}),
        )
        .await,
        m,
    );
    // Ukraine's own note.
    let m = marker("UA-NOTE");
    hidden(app.create(&ua, "notes", json!({"text": m})).await, m);
    // A draft (mediator-only), then published to Ukraine only.
    let m = marker("DRAFT-UA");
    let for_ua = app.draft(&med, &m).await;
    app.publish(&med, &for_ua, &[UA_PARTY]).await;
    hidden(for_ua, m);

    // A room-wide document: Russia is told.
    let started = Instant::now();
    let m = marker("DOC-ROOM");
    let doc = app
        .create(&med, "documents", json!({"title": "Agenda", "content": m}))
        .await;
    visible.push(("document".into(), doc.clone(), "created".into()));
    wait_events(&stream, visible.len()).await;
    assert!(started.elapsed() < WITHIN + Duration::from_millis(500));
    // A draft published to Russia: its draft is hidden, its publication
    // is news to Russia.
    let m2 = marker("DRAFT-RU");
    let for_ru = app.draft(&med, &m2).await;
    app.publish(&med, &for_ru, &[RU_PARTY]).await;
    // New to Russia: "created" (an "updated" would tell of the hidden draft).
    visible.push(("text".into(), for_ru.clone(), "created".into()));
    // Ukraine's room-wide stance on an issue: Russia is told.
    let stance = app
        .create(
            &ua,
            "stances",
            json!({"party_id": UA_PARTY, "target": {"issue_id": "territory_status"},
                   "stance": "conditional", "summary": "Room-wide view",
                   "provenance": {"source": "Delegation", "reliability": "own_delegation", "reported_on": "2025-12-01"},
                   "visibility": {"scope": "room"}}),
        )
        .await;
    visible.push(("stance".into(), stance, "created".into()));
    wait_events(&stream, visible.len()).await;
    // The room-wide document narrowed to Ukraine: Russia is told it is gone
    // (it saw it), and nothing when Ukraine's copy changes again.
    let (status, body) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/documents/{doc}/visibility"),
            &json!({"visibility": {"scope": "parties", "parties": [UA_PARTY]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "narrowing: {body}");
    visible.push(("document".into(), doc.clone(), "removed".into()));
    wait_events(&stream, visible.len()).await;
    // Hidden writes after the last visible one must not show up either.
    let m = marker("MED-NOTE-LATE");
    hidden(app.create(&med, "notes", json!({"text": m})).await, m);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let got = stream.lock().unwrap();
    let delivered: Vec<(String, String, String)> = got
        .events
        .iter()
        .map(|(e, _)| {
            let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                ["kind", "id", "action"],
                "an event carries only these"
            );
            (
                e["kind"].as_str().unwrap().to_string(),
                e["id"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(delivered, visible, "what the stream delivered = the oracle");
    // Each visible write arrived within 2 s of the previous step's start.
    let first = got.events[0].1;
    assert!(first.duration_since(started) < WITHIN);
    for m in markers.iter().chain([&m2]) {
        assert!(!got.raw.contains(m.as_str()), "the stream shows {m}");
    }
    for id in &hidden_ids {
        assert!(
            !got.raw.contains(id.as_str()),
            "the stream names hidden {id}"
        );
    }
    // No event ids, retry hints or numbers that could count hidden writes:
    // every line is a comment, an event name or an event's data.
    for line in got.raw.lines().filter(|l| !l.is_empty()) {
        assert!(
            line.starts_with(':') || line == "event: change" || line.starts_with("data: "),
            "unexpected line {line:?}"
        );
    }
    assert!(!got.raw.contains("\nid:") && !got.raw.starts_with("id:"));
    let digits: usize = got
        .raw
        .lines()
        .filter(|l| l.starts_with(':'))
        .map(|l| l.chars().filter(char::is_ascii_digit).count())
        .sum();
    assert_eq!(digits, 0, "keep-alive comments carry no number");
}

on_both!(
    stream_carries_only_what_the_viewer_may_see_sqlite,
    stream_carries_only_what_the_viewer_may_see_postgres,
    stream_carries_only_what_the_viewer_may_see
);

async fn a_removed_delegates_stream_ends(app: App) {
    let med = app.token(MED).await;
    let ua = app.token(UA).await;
    let stream = open_stream(&app, &ua).await;
    let (status, body) = app
        .send(
            reqwest::Method::DELETE,
            &med,
            &format!("/api/rooms/{ROOM}/members/{UA}"),
            &json!({}),
        )
        .await;
    assert!(status.is_success(), "remove: {status} {body}");
    let t = Instant::now();
    while !stream.lock().unwrap().ended {
        assert!(
            t.elapsed() < WITHIN,
            "the removed delegate's stream goes on"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And nothing written afterwards reached it.
    let m = marker("AFTER-REMOVAL");
    app.create(&med, "documents", json!({"title": "After", "content": m}))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stream.lock().unwrap().events.is_empty());
}

on_both!(
    a_removed_delegates_stream_ends_sqlite,
    a_removed_delegates_stream_ends_postgres,
    a_removed_delegates_stream_ends
);

/// The inbox's items of a kind, as (record id, read).
fn items_of(inbox: &Value, kind: &str) -> Vec<(String, bool)> {
    inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == kind)
        .map(|i| {
            (
                i["record_id"].as_str().unwrap().to_string(),
                i["read"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn inbox_holds_only_what_the_party_may_see(app: App) {
    let med = app.token(MED).await;
    let ru = app.token(RU).await;
    let ua = app.token(UA).await;
    let inbox = |t: String| {
        let app = &app;
        async move { app.json(&t, "/api/inbox").await }
    };
    let before = inbox(ru.clone()).await;
    let base_unread = before["unread"].as_u64().unwrap();
    let base_items = before["items"].as_array().unwrap().len();

    let (m_ru, m_ua, m_both) = (marker("V-RU"), marker("V-UA"), marker("V-BOTH"));
    let for_ru = app.draft(&med, &m_ru).await;
    app.publish(&med, &for_ru, &[RU_PARTY]).await;
    let for_ua = app.draft(&med, &m_ua).await;
    app.publish(&med, &for_ua, &[UA_PARTY]).await;
    let for_both = app.draft(&med, &m_both).await;
    app.publish(&med, &for_both, &[RU_PARTY, UA_PARTY]).await;
    let draft_only = marker("V-DRAFT");
    let draft = app.draft(&med, &draft_only).await;

    // Russia follows the point of the version both parties have.
    let text = app
        .json(&ru, &format!("/api/rooms/{ROOM}/texts/{for_both}"))
        .await;
    let point = text["body"]["points"][0]["id"]
        .as_str()
        .or_else(|| text["points"][0]["id"].as_str())
        .unwrap_or_else(|| panic!("a point id in {text}"))
        .to_string();
    let (status, body) = app
        .post(
            &ru,
            &format!("/api/rooms/{ROOM}/follows"),
            &json!({"point_id": point}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Following a point Russia cannot see is refused like a missing one.
    let hidden_text = app
        .json(&med, &format!("/api/rooms/{ROOM}/texts/{for_ua}"))
        .await;
    let hidden_point = hidden_text["body"]["points"][0]["id"]
        .as_str()
        .or_else(|| hidden_text["points"][0]["id"].as_str())
        .unwrap()
        .to_string();
    for p in [hidden_point.as_str(), "no-such-point"] {
        let (status, body) = app
            .post(
                &ru,
                &format!("/api/rooms/{ROOM}/follows"),
                &json!({"point_id": p}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}: {body}");
        assert_eq!(body["field"], "point_id");
    }
    // Ukraine's stances on it: one room-wide, one its own.
    let stance = |summary: &str, visibility: Value| {
        json!({"party_id": UA_PARTY, "target": {"text_id": for_both, "point_id": point},
               "stance": "conditional", "summary": summary,
               "provenance": {"source": "Delegation", "reliability": "own_delegation", "reported_on": "2025-12-01"},
               "visibility": visibility})
    };
    let m_open = marker("ST-OPEN");
    let open = app
        .create(
            &ua,
            "stances",
            stance(
                &m_open,
                json!({"scope": "parties", "parties": [RU_PARTY, UA_PARTY]}),
            ),
        )
        .await;
    let m_own = marker("ST-OWN");
    let own = app
        .create(
            &ua,
            "stances",
            stance(&m_own, json!({"scope": "party", "party": UA_PARTY})),
        )
        .await;

    let after = inbox(ru.clone()).await;
    let text = after.to_string();
    let versions = items_of(&after, "version_published");
    let ids: Vec<&str> = versions.iter().map(|(i, _)| i.as_str()).collect();
    assert!(ids.contains(&for_ru.as_str()) && ids.contains(&for_both.as_str()));
    assert!(!ids.contains(&for_ua.as_str()) && !ids.contains(&draft.as_str()));
    assert_eq!(items_of(&after, "stance"), vec![(open.clone(), false)]);
    for hidden in [
        &m_ua,
        &draft_only,
        &m_own,
        &for_ua,
        &draft,
        &own,
        &hidden_point,
    ] {
        assert!(
            !text.contains(hidden.as_str()),
            "Russia's inbox shows {hidden}"
        );
    }
    // The oracle: three new items (two versions, one stance), all unread.
    assert_eq!(after["items"].as_array().unwrap().len(), base_items + 3);
    let unread = after["unread"].as_u64().unwrap();
    assert_eq!(unread, base_unread + 3);
    let count = app.json(&ru, "/api/inbox/unread").await;
    assert_eq!(count["unread"].as_u64().unwrap(), unread);
    // Ukraine's inbox has its own version and not Russia's.
    let ua_inbox = inbox(ua.clone()).await;
    let ua_versions: Vec<String> = items_of(&ua_inbox, "version_published")
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert!(ua_versions.contains(&for_ua) && !ua_versions.contains(&for_ru));
    assert!(!ua_inbox.to_string().contains(&m_ru));

    // Marks: one item, then all.
    let key = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["record_id"] == for_ru.as_str())
        .unwrap()["key"]
        .clone();
    let (status, body) = app
        .post(&ru, "/api/inbox/read", &json!({"items": [key]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["marked"], 1);
    let count = app.json(&ru, "/api/inbox/unread").await;
    assert_eq!(count["unread"].as_u64().unwrap(), unread - 1);
    let (status, body) = app.post(&ru, "/api/inbox/read", &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "items");
    let (status, _) = app
        .post(&ru, "/api/inbox/read", &json!({"all": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.json(&ru, "/api/inbox/unread").await["unread"], 0);
    // Ukraine's marks are its own.
    let ua_count = app.json(&ua, "/api/inbox/unread").await;
    assert_eq!(ua_count["unread"], ua_inbox["unread"]);

    // Unfollowing stops new stances reaching the inbox.
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &ru,
            &format!("/api/rooms/{ROOM}/follows"),
            &json!({"point_id": point}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let follows = app.json(&ru, &format!("/api/rooms/{ROOM}/follows")).await;
    assert_eq!(follows["point_ids"], json!([]));
    app.create(
        &ua,
        "stances",
        stance(
            "Later",
            json!({"scope": "parties", "parties": [RU_PARTY, UA_PARTY]}),
        ),
    )
    .await;
    assert_eq!(app.json(&ru, "/api/inbox/unread").await["unread"], 0);

    // The pages: the inbox, and "since your last visit" on the overview.
    let c = app.browser(RU).await;
    let page = c
        .get(format!("{}/inbox", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&m_both) && page.contains("Your inbox"));
    for hidden in [&m_ua, &draft_only, &m_own] {
        assert!(
            !page.contains(hidden.as_str()),
            "the inbox page shows {hidden}"
        );
    }
    let overview = |c: Client| {
        let base = app.base.clone();
        async move {
            c.get(format!("{base}/rooms/{ROOM}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let first = overview(c.clone()).await;
    assert!(
        !first.contains("Since your last visit"),
        "a first visit has no last one"
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let m_new = marker("SINCE-ROOM");
    let newdoc = app
        .create(&med, "documents", json!({"title": m_new, "content": "x"}))
        .await;
    let m_hidden = marker("SINCE-HIDDEN");
    let hiddendoc = app
        .create(
            &med,
            "documents",
            json!({"title": m_hidden, "content": "x", "visibility": {"scope": "parties", "parties": [UA_PARTY]}}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = overview(c.clone()).await;
    assert!(second.contains("Since your last visit"));
    assert!(second.contains(&m_new) && second.contains(&newdoc));
    assert!(!second.contains(&m_hidden) && !second.contains(&hiddendoc));
}

on_both!(
    inbox_holds_only_what_the_party_may_see_sqlite,
    inbox_holds_only_what_the_party_may_see_postgres,
    inbox_holds_only_what_the_party_may_see
);

/// A webhook receiver on 127.0.0.1: every body posted to it.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

async fn webhooks_carry_a_kind_and_a_link_for_visible_items_only(app: App) {
    let med = app.token(MED).await;
    let ru = app.token(RU).await;
    let (url, got) = receiver().await;
    // Only http(s) URLs, refused naming the field.
    for bad in [
        "ftp://example.org/x",
        "javascript:alert(1)",
        "not a url",
        "http://",
    ] {
        let (status, body) = app.post(&ru, "/api/webhooks", &json!({"url": bad})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["field"], "url", "{bad}");
    }
    let (status, hook) = app.post(&ru, "/api/webhooks", &json!({"url": url})).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let hooks = app.json(&ru, "/api/webhooks").await;
    assert_eq!(hooks.as_array().unwrap().len(), 1);

    // Hidden from Russia: a draft, a version for Ukraine, a private note.
    let m_ua = marker("HOOK-UA");
    let for_ua = app.draft(&med, &m_ua).await;
    app.publish(&med, &for_ua, &[UA_PARTY]).await;
    let m_note = marker("HOOK-NOTE");
    app.create(&med, "notes", json!({"text": m_note})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(got.lock().unwrap().is_empty(), "{:?}", got.lock().unwrap());

    // Visible: a version published to Russia.
    let m_ru = marker("HOOK-RU");
    let for_ru = app.draft(&med, &m_ru).await;
    app.publish(&med, &for_ru, &[RU_PARTY]).await;
    let t = Instant::now();
    while got.lock().unwrap().is_empty() && t.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let posts = got.lock().unwrap().clone();
    assert_eq!(
        posts,
        vec![json!({
            "kind": "version_published",
            "room": ROOM,
            "link": format!("{}/rooms/{ROOM}/texts/{for_ru}", app.base),
        })],
        "exactly the oracle's one post, kind and link only"
    );
    let text = serde_json::to_string(&posts).unwrap();
    for m in [&m_ua, &m_note, &m_ru, &for_ua] {
        assert!(!text.contains(m.as_str()));
    }

    // Deleted, it posts no more.
    let id = hook["id"].as_str().unwrap();
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &ru,
            &format!("/api/webhooks/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let again = app.draft(&med, "again").await;
    app.publish(&med, &again, &[RU_PARTY]).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(got.lock().unwrap().len(), 1);
}

on_both!(
    webhooks_carry_a_kind_and_a_link_for_visible_items_only_sqlite,
    webhooks_carry_a_kind_and_a_link_for_visible_items_only_postgres,
    webhooks_carry_a_kind_and_a_link_for_visible_items_only
);

#[tokio::test]
async fn cookie_writes_need_the_csrf_token() {
    let app = start(TestDb::sqlite().await).await;
    let c = app.browser(RU).await;
    let token = app.csrf(&c, "/inbox").await;
    let api = |path: &str, body: Value, csrf: Option<&str>| {
        let mut req = c.post(format!("{}{path}", app.base)).json(&body);
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        req.send()
    };
    let follows = format!("/api/rooms/{ROOM}/follows");
    for (path, body) in [
        ("/api/inbox/read", json!({"all": true})),
        ("/api/webhooks", json!({"url": "http://127.0.0.1:9/x"})),
        (follows.as_str(), json!({"point_id": "x"})),
    ] {
        let res = api(path, body.clone(), None).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} without CSRF");
        let res = api(path, body, Some(&token)).await.unwrap();
        assert_ne!(res.status(), StatusCode::FORBIDDEN, "{path} with CSRF");
    }
    // Forms too.
    for (path, form) in [
        ("/inbox/read", vec![("all", "1")]),
        ("/account/webhooks", vec![("url", "http://127.0.0.1:9/y")]),
        (
            &format!("/rooms/{ROOM}/follow") as &str,
            vec![("point_id", "x"), ("on", "0")],
        ),
    ] {
        let res = c
            .post(format!("{}{path}", app.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} without CSRF");
        let mut with = form.clone();
        with.push(("_csrf", &token));
        let res = c
            .post(format!("{}{path}", app.base))
            .form(&with)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path} with CSRF");
    }
    // The webhook the API added with the token is listed; the refused ones
    // are not.
    let t = app.token(RU).await;
    let hooks = app.json(&t, "/api/webhooks").await;
    assert_eq!(hooks.as_array().unwrap().len(), 2, "{hooks}");
}

async fn a_proposal_awaits_the_partys_vote_until_it_votes(app: App) {
    let med = app.token(MED).await;
    let ru = app.token(RU).await;
    let ua = app.token(UA).await;
    let demo: Value = serde_json::from_str(pactum_server::DEMO_CASE).unwrap();
    let package: serde_json::Map<String, Value> = demo["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["options"][2]["id"].clone(),
            )
        })
        .collect();
    let session = app
        .create(
            &med,
            "sessions",
            json!({"title": "Single text, round one", "package": package}),
        )
        .await;
    let proposals = |t: String| {
        let app = &app;
        async move {
            let inbox = app.json(&t, "/api/inbox").await;
            items_of(&inbox, "proposal")
        }
    };
    assert!(proposals(ru.clone()).await.is_empty(), "no proposal yet");
    let (status, body) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/sessions/{session}/proposals"),
            &json!({"changes": {"nato_membership": "nato_membership.renounce"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(proposals(ru.clone()).await, vec![(session.clone(), false)]);
    assert_eq!(proposals(ua.clone()).await, vec![(session.clone(), false)]);
    let (status, body) = app
        .post(
            &ru,
            &format!("/api/rooms/{ROOM}/sessions/{session}/votes"),
            &json!({"ballot": "reject"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Russia voted; Ukraine has not (and does not learn that Russia did).
    assert!(proposals(ru).await.is_empty());
    assert_eq!(proposals(ua).await, vec![(session, false)]);
}

on_both!(
    a_proposal_awaits_the_partys_vote_until_it_votes_sqlite,
    a_proposal_awaits_the_partys_vote_until_it_votes_postgres,
    a_proposal_awaits_the_partys_vote_until_it_votes
);
