//! Live updates and the inbox in Chromium: a party's open page refreshes
//! within 2 s when the mediator writes what the party may see, stays as
//! it is for what it may not, offers a reload instead while the party is
//! typing in a form; the inbox shows the version published to the party
//! with its unread count in the page chrome; a point can be followed; the
//! overview shows "since your last visit". Screenshots of the inbox and
//! the overview go to the test artifacts.

#[path = "common/browser.rs"]
mod harness;

use harness::{artifact_dir, tools, Browser, Driver};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ROOM: &str = "peace-plan-2025";

struct App {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    pactum_server::load_demo(store.as_ref()).await.unwrap();
    let mut state = pactum_server::AppState::new(store);
    state.visit_gap = Duration::from_millis(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        pactum_server::serve(state, listener).await.unwrap();
    });
    App {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        _dir: dir,
    }
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

    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}/api/rooms/{ROOM}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "POST {path}: {}", res.status());
        res.json().await.unwrap()
    }
}

/// The time of the last live refresh of the page's `<main>`, if any.
async fn refreshed(b: &Browser) -> Option<String> {
    let r =
        b.c.execute(
            "return document.getElementById('main').getAttribute('data-refreshed');",
            vec![],
        )
        .await;
    b.ok(r, "reading data-refreshed")
        .await
        .as_str()
        .map(str::to_string)
}

async fn wait_refresh(b: &Browser, before: Option<String>, what: &str) {
    let t = Instant::now();
    loop {
        let now = refreshed(b).await;
        if now.is_some() && now != before {
            return;
        }
        if t.elapsed() > Duration::from_millis(2500) {
            b.fail(&format!("no live refresh within 2 s after {what}"))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_pages_and_the_inbox_in_chromium() {
    let Some((chromium, chromedriver)) = tools() else {
        return;
    };
    let shots = artifact_dir("live");
    let app = start_app().await;
    let med = app.token("united-states").await;
    let driver = Driver::start(&chromedriver);
    let b = Browser::new(driver.session(&chromium).await, &app.base, &shots, "live");
    b.sign_in("russia", "russia-demo").await;
    b.wait(&format!("#room-{ROOM}")).await;

    // The overview, open: a room-wide document refreshes it.
    b.goto(&format!("/rooms/{ROOM}")).await;
    b.wait("#counts").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = refreshed(&b).await;
    app.post(
        &med,
        "/documents",
        json!({"title": "Agenda for Thursday", "content": "Room-wide agenda"}),
    )
    .await;
    wait_refresh(&b, before, "a room-wide document").await;
    b.wait_text("#main", "Agenda").await;

    // A note only the mediator sees changes nothing on the page.
    let before = refreshed(&b).await;
    app.post(&med, "/notes", json!({"text": "LIVE-HIDDEN-NOTE"}))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    b.ensure(
        refreshed(&b).await == before,
        "a write Russia may not see refreshed its page",
    )
    .await;

    // A version published to Russia: the inbox shows it, with its count.
    let draft = app
        .post(
            &med,
            "/texts",
            json!({"label": "Framework text, Geneva round", "points": [
                {"key": "ceasefire", "title": "Ceasefire", "body": "A ceasefire along the line of contact."},
                {"key": "monitoring", "title": "Monitoring", "body": "An international mission monitors the line."}]}),
        )
        .await;
    let id = draft["id"].as_str().unwrap().to_string();
    app.post(
        &med,
        &format!("/texts/{id}/publish"),
        json!({"parties": ["russia"]}),
    )
    .await;
    // The overview a second visit later: "since your last visit".
    b.goto(&format!("/rooms/{ROOM}")).await;
    b.wait("#since").await;
    b.wait_text("#since", "Framework text, Geneva round").await;
    b.shot("overview-since-last-visit").await;

    // The text page: follow a point, then type in the stance form while the
    // mediator writes: a notice offers the reload instead of a swap.
    b.goto(&format!("/rooms/{ROOM}/texts/{id}")).await;
    b.wait("#points").await;
    let follow = b.wait("form.follow-form button").await;
    // Point ids hold dots: select by attribute, not by `#id`.
    let button = format!("[id=\"{}\"]", b.attr(&follow, "id").await);
    b.click(&button).await;
    b.wait_text(&button, "Following").await;
    b.fill("#stance-summary", "Typing a stance").await;
    app.post(
        &med,
        "/documents",
        json!({"title": "Another", "content": "Room-wide"}),
    )
    .await;
    b.wait("#live-notice").await;
    b.ensure(
        b.value("#stance-summary").await == "Typing a stance",
        "the form being typed in was replaced",
    )
    .await;

    b.goto("/inbox").await;
    b.wait("#inbox").await;
    b.wait_text("#inbox", "Framework text, Geneva round").await;
    b.wait("#inbox-count:not([hidden])").await;
    b.shot("inbox").await;
    b.click("#inbox-read-all").await;
    b.wait("#inbox").await;
    b.ensure(
        !b.has("#inbox-read-all").await,
        "marking all read left unread items",
    )
    .await;
    // The account page: a webhook URL that is not http(s) is refused
    // naming the field; a good one is listed.
    b.goto("/account").await;
    b.wait("#webhook-form").await;
    let r =
        b.c.execute(
            "document.getElementById('webhook-url').type = 'text';",
            vec![],
        )
        .await;
    b.ok(r, "letting any URL through the browser's own check")
        .await;
    b.fill("#webhook-url", "ftp://example.org/hook").await;
    b.click("#webhook-submit").await;
    let error = b.wait("#account-error").await;
    b.ensure(
        b.attr(&error, "data-field").await == "url",
        "the refusal does not name the url field",
    )
    .await;
    b.fill("#webhook-url", "https://hooks.example.org/pactum")
        .await;
    b.click("#webhook-submit").await;
    b.wait_text("#webhook-list", "https://hooks.example.org/pactum")
        .await;
    b.shot("account-webhooks").await;
    b.close().await;
}
