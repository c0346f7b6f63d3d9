//! The security fixes of issue 11 over real HTTP: CSRF whatever the
//! content type (and 415 for bodies the API does not take), `Secure`
//! session cookies behind HTTPS, range-checked preference models, one audit
//! entry per page view, pagination that reveals nothing about hidden
//! records, and login throttling that cannot lock a delegate out.

use pactum_server::auth::{Throttle, Transport};
use pactum_server::AppState;
use pactum_store::Store;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;

const ROOM: &str = "peace-plan-2025";
const MED: &str = "united-states";
const RU: &str = "russia";
const UA: &str = "ukraine";
const EU: &str = "european-states";

/// Failures per address the test server allows.
const ADDRESS_LIMIT: usize = 8;
/// The test server's throttling window.
const WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

struct App {
    base: String,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn start_with(transport: Transport) -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    pactum_server::load_demo(store.as_ref()).await.unwrap();
    let mut state = AppState::new(store.clone()).with_transport(transport);
    // The default limits, but a window long enough for this suite's
    // debug-build password hashing, and a lower per-address limit so that
    // spraying names takes fewer (slow) logins.
    state.throttle = Arc::new(Throttle::with_limits(
        pactum_server::auth::MAX_FAILURES,
        ADDRESS_LIMIT,
        WINDOW,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(state, listener));
    App {
        base: format!("http://{addr}"),
        store,
        _dir: dir,
    }
}

async fn start() -> App {
    start_with(Transport::default()).await
}

/// A client that does not follow redirects, keeps cookies, and connects
/// from `from` (any address of 127.0.0.0/8 reaches the server).
fn client_from(from: &str) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn browser() -> Client {
    client_from("127.0.0.1")
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn room(&self, rest: &str) -> String {
        self.url(&format!("/api/rooms/{ROOM}{rest}"))
    }

    /// A bearer token for `user`.
    async fn token(&self, user: &str) -> String {
        let res = browser()
            .post(self.url("/api/login"))
            .json(&json!({"user": user, "password": format!("{user}-demo")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "API login as {user}");
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs in through the login form; returns the browser and the
    /// session's `Set-Cookie` header.
    async fn sign_in(&self, user: &str) -> (Client, String) {
        self.sign_in_with(user, &[]).await
    }

    async fn sign_in_with(&self, user: &str, headers: &[(&str, &str)]) -> (Client, String) {
        let c = browser();
        let password = format!("{user}-demo");
        let mut req = c
            .post(self.url("/login"))
            .form(&[("user", user), ("password", password.as_str())]);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login as {user}");
        let cookie = res
            .headers()
            .get(SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        (c, cookie)
    }

    /// The CSRF token of the forms on a page.
    async fn csrf(&self, c: &Client, path: &str) -> String {
        let body = c
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = r#"name="_csrf" value=""#;
        let at = body.find(marker).expect("a form with a CSRF token") + marker.len();
        body[at..].split('"').next().unwrap().to_string()
    }

    async fn get_json(
        &self,
        token: &str,
        url: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let res = browser().get(url).bearer_auth(token).send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    async fn post_json(&self, token: &str, url: &str, body: &Value) -> Value {
        let res = browser()
            .post(url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "POST {url}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn audit_len(&self) -> usize {
        self.store.audit(None, 0, 1_000_000).await.unwrap().len()
    }

    async fn new_entries(&self, before: usize) -> Vec<pactum_store::AuditEntry> {
        let all = self.store.audit(None, 0, 1_000_000).await.unwrap();
        all[before..].to_vec()
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn private(party: &str) -> Value {
    json!({"scope": "party", "party": party})
}

fn stance(party: &str, summary: &str, visibility: Value) -> Value {
    json!({
        "party_id": party,
        "target": {"issue_id": "nato_membership"},
        "stance": "conditional",
        "summary": summary,
        "provenance": {"source": "Delegation notes", "reliability": "own_delegation", "reported_on": "2025-12-01"},
        "visibility": visibility,
    })
}

// ------------------------------------------------------------------ CSRF

/// Before the fix, a cookie-authenticated POST to a JSON endpoint sent as
/// `application/x-www-form-urlencoded` with a raw JSON body skipped the
/// CSRF check (left to form handlers) and was stored.
#[tokio::test]
async fn cookie_writes_need_the_csrf_token_whatever_the_content_type() {
    let app = start().await;
    let bearer = app.token(UA).await;
    let notes = app.room("/notes");
    let count = || async {
        let (s, _, v) = app.get_json(&bearer, &notes).await;
        assert_eq!(s, StatusCode::OK);
        v.as_array().unwrap().len()
    };
    let before = count().await;
    let (c, _) = app.sign_in(UA).await;
    let marker = json!({"text": "csrf-marker-1"}).to_string();
    for content_type in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut req = c.post(&notes).body(marker.clone());
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "cookie POST as {content_type:?} without a token: {status}"
        );
    }
    // JSON, still without the token: refused too.
    let res = c
        .post(&notes)
        .json(&json!({"text": "csrf-marker-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count().await, before, "a refused write stored a note");

    // With the token, only JSON is taken.
    let token = app.csrf(&c, &format!("/rooms/{ROOM}/stances")).await;
    let res = c
        .post(&notes)
        .header("x-csrf-token", &token)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(marker.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(count().await, before);
    let res = c
        .post(&notes)
        .header("x-csrf-token", &token)
        .json(&json!({"text": "csrf-marker-3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(count().await, before + 1);

    // Bearer callers need no CSRF token, but the body must be JSON.
    for content_type in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        None,
    ] {
        let mut req = browser()
            .post(&notes)
            .bearer_auth(&bearer)
            .body(marker.clone());
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        let v: Value = res.json().await.unwrap();
        assert!(
            v["error"].as_str().unwrap().contains("application/json"),
            "{v}"
        );
    }
    assert_eq!(count().await, before + 1);
    let res = browser()
        .post(&notes)
        .bearer_auth(&bearer)
        .header(CONTENT_TYPE, "Application/JSON; charset=utf-8")
        .body(json!({"text": "csrf-marker-4"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // The unauthenticated login takes JSON only, too.
    let res = browser()
        .post(app.url("/api/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(json!({"user": UA, "password": "ukraine-demo"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

// ---------------------------------------------------------------- Secure

#[tokio::test]
async fn session_cookies_are_secure_when_served_over_https() {
    let secure = |cookie: &str| cookie.split(';').any(|a| a.trim() == "Secure");
    // Plain HTTP: no Secure (the browser would drop the cookie), and a
    // client's own X-Forwarded-Proto is not believed.
    let app = start().await;
    let (_, cookie) = app.sign_in(UA).await;
    assert!(!secure(&cookie), "{cookie}");
    let (_, cookie) = app
        .sign_in_with(UA, &[("x-forwarded-proto", "https")])
        .await;
    assert!(!secure(&cookie), "untrusted header: {cookie}");

    // --public-url https://...: every session cookie is Secure, the one
    // clearing it at logout included.
    let app = start_with(Transport {
        https: true,
        trust_proxy: false,
    })
    .await;
    let (c, cookie) = app.sign_in(UA).await;
    assert!(secure(&cookie), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let token = app.csrf(&c, &format!("/rooms/{ROOM}/stances")).await;
    let res = c
        .post(app.url("/logout"))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let cleared = res.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(secure(cleared), "{cleared}");

    // --trust-proxy: the proxy's X-Forwarded-Proto decides.
    let app = start_with(Transport {
        https: false,
        trust_proxy: true,
    })
    .await;
    let (_, cookie) = app
        .sign_in_with(UA, &[("x-forwarded-proto", "https")])
        .await;
    assert!(secure(&cookie), "{cookie}");
    let (_, cookie) = app.sign_in_with(UA, &[("x-forwarded-proto", "http")]).await;
    assert!(!secure(&cookie), "{cookie}");
    let (_, cookie) = app.sign_in(UA).await;
    assert!(!secure(&cookie), "{cookie}");
}

// ----------------------------------------------------------- model ranges

#[tokio::test]
async fn model_numbers_outside_zero_one_are_refused_over_http() {
    let app = start().await;
    let token = app.token(RU).await;
    let url = app.room("/preferences/russia");
    let (_, _, before) = app.get_json(&token, &url).await;
    let model = |weight: f64, value: f64, reservation: f64| {
        json!({
            "party_id": "russia",
            "reservation_value": reservation,
            "issues": [{"issue_id": "nato_membership", "weight": weight,
                        "option_values": [{"option_id": "nato_membership.deferred", "value": value}]}],
        })
    };
    for (body, field, got) in [
        (model(1.5, 0.5, 0.5), "issues[0].weight", "1.5"),
        (
            model(0.5, -0.5, 0.5),
            "issues[0].option_values[0].value",
            "-0.5",
        ),
        (model(0.5, 0.5, 1.25), "reservation_value", "1.25"),
    ] {
        let res = browser()
            .put(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["field"], field);
        assert_eq!(
            v["error"],
            format!("{field}: expected a number in [0, 1], got {got}")
        );
    }
    let xml = r#"<utility_space><objective index="0" name="o">
        <issue index="1" name="Withdrawal from Donetsk region" type="discrete">
          <item index="1" value="full_withdrawal" evaluation="3"/>
          <item index="2" value="NO_WITHDRAWAL" evaluation="6"/>
        </issue><weight index="1" value="1.5"/>
      </objective></utility_space>"#;
    let res = browser()
        .post(app.room("/preferences/russia/genius"))
        .bearer_auth(&token)
        .json(&json!({"xml": xml}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["field"], "genius_xml");
    assert!(v["error"].as_str().unwrap().contains("got 1.5"), "{v}");
    let (_, _, after) = app.get_json(&token, &url).await;
    assert_eq!(before, after, "a refused model changed what is stored");
    // In range, it is taken.
    let res = browser()
        .put(&url)
        .bearer_auth(&token)
        .json(&model(1.0, 0.0, 1.0))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

// ----------------------------------------------------------- audit reads

/// The restricted records one read entry lists, as (kind, id), read from
/// its detail as the API documents it.
fn listed(e: &pactum_store::AuditEntry) -> BTreeSet<(String, String)> {
    let d: Value = serde_json::from_str(&e.detail)
        .unwrap_or_else(|err| panic!("detail of {e:?} is not the read list: {err}"));
    let records = d["records"].as_array().unwrap();
    assert_eq!(d["count"].as_u64(), Some(records.len() as u64), "{e:?}");
    records
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_page_view_writes_one_audit_entry_listing_its_restricted_records() {
    let app = start().await;
    let token = app.token(UA).await;
    // The demo gives Ukraine no restricted stance; it makes 40 of its own.
    let n = 40;
    let mut made = BTreeSet::new();
    for i in 0..n {
        let s = app
            .post_json(
                &token,
                &app.room("/stances"),
                &stance("ukraine", &format!("private {i}"), private("ukraine")),
            )
            .await;
        made.insert(("stance".to_string(), s["id"].as_str().unwrap().to_string()));
    }
    let (c, _) = app.sign_in(UA).await;
    // The stance page (UI), then the stance list (API): one entry each.
    for (path, action) in [
        (
            format!("/rooms/{ROOM}/stances?party=ukraine&limit=100"),
            "view",
        ),
        (
            format!("/api/rooms/{ROOM}/stances?party=ukraine&limit=100"),
            "read",
        ),
    ] {
        let before = app.audit_len().await;
        let mut req = c.get(app.url(&path));
        if path.starts_with("/api/") {
            req = req.bearer_auth(&token);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let entries = app.new_entries(before).await;
        assert_eq!(entries.len(), 1, "{path}: {entries:?}");
        let e = &entries[0];
        assert_eq!(e.action, action);
        assert_eq!(e.actor, UA);
        assert_eq!(e.room.as_deref(), Some(ROOM));
        assert_eq!(e.kind.as_deref(), Some("stance"));
        assert_eq!(listed(e), made, "{path}");
    }
    // The chain still verifies.
    assert!(app.store.verify_audit().await.unwrap().ok());
    // A page with no restricted record writes nothing.
    let before = app.audit_len().await;
    let res = c
        .get(app.url(&format!("/rooms/{ROOM}/stances?party=russia")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(app.new_entries(before).await.is_empty());
}

// ------------------------------------------------------------ pagination

/// Stance ids a party sees in the demo case, counted from the case file
/// itself: room-wide ones, and restricted ones naming the party.
fn demo_stances_visible_to(party: &str) -> usize {
    let case: Value = serde_json::from_str(pactum_server::DEMO_CASE).unwrap();
    case["stances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let v = &s["visibility"];
            match v["scope"].as_str().unwrap() {
                "room" => true,
                // The mediator is in every "parties" scope.
                "parties" => {
                    party == "united_states"
                        || v["parties"].as_array().unwrap().iter().any(|p| p == party)
                }
                other => panic!("the demo has a {other} stance"),
            }
        })
        .count()
}

/// Walks a paginated API list with `limit`; returns the ids in order, the
/// cursors and the totals each page gave.
async fn walk(
    app: &App,
    token: &str,
    path: &str,
    limit: usize,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut all = Vec::new();
    let mut cursors = Vec::new();
    let mut totals = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(a) => app.url(&format!("{path}{sep}limit={limit}&after={a}")),
            None => app.url(&format!("{path}{sep}limit={limit}")),
        };
        let (status, headers, v) = app.get_json(token, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {v}");
        let page = v.as_array().unwrap();
        assert!(page.len() <= limit, "{url}");
        totals.push(
            headers
                .get("x-total-count")
                .map(|t| t.to_str().unwrap().to_string())
                .unwrap_or_default(),
        );
        all.extend(
            page.iter()
                .map(|r| r.get("id").or(r.get("n")).map(|x| x.to_string()).unwrap()),
        );
        match headers.get("x-next-cursor") {
            Some(c) => {
                let c = c.to_str().unwrap().to_string();
                assert!(!page.is_empty(), "{url}: a next page after an empty one");
                cursors.push(c.clone());
                after = Some(c);
            }
            None => break,
        }
        assert!(cursors.len() < 1000, "{path}: no end");
    }
    (all, cursors, totals)
}

#[tokio::test]
async fn pages_concatenate_and_reveal_nothing_hidden() {
    let app = start().await;
    let ua = app.token(UA).await;
    let ru = app.token(RU).await;
    let med = app.token(MED).await;
    for i in 0..7 {
        app.post_json(
            &ru,
            &app.room("/stances"),
            &stance("russia", &format!("ru {i}"), json!({"scope": "room"})),
        )
        .await;
    }
    let stances = format!("/api/rooms/{ROOM}/stances");
    let timeline = format!("/api/rooms/{ROOM}/timeline");
    let audit = format!("/api/rooms/{ROOM}/audit");
    let before_ru = walk(&app, &ru, &stances, 4).await;
    let before_ru_timeline = walk(&app, &ru, &timeline, 2).await;

    // Pages concatenate to the whole list, which the oracle counts.
    let expect_ru = demo_stances_visible_to("russia") + 7;
    assert_eq!(before_ru.0.len(), expect_ru);
    assert!(
        before_ru.2.iter().all(|t| *t == expect_ru.to_string()),
        "{:?}",
        before_ru.2
    );
    let (_, _, full) = app
        .get_json(&ru, &app.url(&format!("{stances}?limit=1000")))
        .await;
    assert_eq!(
        ids(&full),
        before_ru
            .0
            .iter()
            .map(|s| s.trim_matches('"').to_string())
            .collect::<Vec<_>>()
    );
    let (_, _, full) = app
        .get_json(&ru, &app.url(&format!("{timeline}?limit=1000")))
        .await;
    assert_eq!(
        ids(&full),
        before_ru_timeline
            .0
            .iter()
            .map(|s| s.trim_matches('"').to_string())
            .collect::<Vec<_>>()
    );
    assert!(before_ru_timeline.1.len() >= 2, "the timeline spans pages");
    // Without a limit, the documented default (100) applies.
    let (_, h, v) = app.get_json(&ru, &app.url(&stances)).await;
    assert_eq!(v.as_array().unwrap().len(), expect_ru.min(100));
    assert_eq!(h.get("x-next-cursor").is_some(), expect_ru > 100);

    let before_med_audit = walk(&app, &med, &audit, 3).await;
    // Records Russia may not see: Ukraine's private stances, a mediator-only
    // draft, Ukraine's private note (audited, but not for the mediator).
    for i in 0..9 {
        app.post_json(
            &ua,
            &app.room("/stances"),
            &stance("ukraine", &format!("ua {i}"), private("ukraine")),
        )
        .await;
    }
    app.post_json(
        &med,
        &app.room("/texts"),
        &json!({"label": "hidden draft", "points": [{"key": "p1", "title": "t", "body": "w"}]}),
    )
    .await;
    for i in 0..5 {
        app.post_json(
            &ua,
            &app.room("/notes"),
            &json!({"text": format!("note {i}")}),
        )
        .await;
    }
    // The mediator's audit gained the draft's entry, not Ukraine's.
    let after_med_audit = walk(&app, &med, &audit, 3).await;
    assert_eq!(after_med_audit.0.len(), before_med_audit.0.len() + 1);
    assert_eq!(walk(&app, &ru, &stances, 4).await, before_ru, "stances");
    assert_eq!(
        walk(&app, &ru, &timeline, 2).await,
        before_ru_timeline,
        "timeline"
    );

    // Ukraine sees its own stances on its pages.
    let ua_pages = walk(&app, &ua, &stances, 5).await;
    assert_eq!(ua_pages.0.len(), demo_stances_visible_to("ukraine") + 7 + 9);

    // Bad parameters name themselves.
    for q in ["limit=0", "limit=1001", "limit=x", "after=-1", "after=zz"] {
        let (s, _, v) = app.get_json(&ru, &app.url(&format!("{stances}?{q}"))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        let name = q.split('=').next().unwrap();
        assert!(v["error"].as_str().unwrap().contains(name), "{q}: {v}");
    }

    // The UI pages: next and previous links walk the same lists.
    let (c, _) = app.sign_in(RU).await;
    let seen = ui_walk(
        &app,
        &c,
        &format!("/rooms/{ROOM}/stances?limit=4"),
        "data-stance-id",
    )
    .await;
    assert_eq!(seen, unquote(&before_ru.0));
    let seen = ui_walk(&app, &c, &format!("/rooms/{ROOM}?limit=2"), "data-id").await;
    assert_eq!(seen, unquote(&before_ru_timeline.0));
    let (m, _) = app.sign_in(MED).await;
    let (_, _, full) = app
        .get_json(&med, &app.url(&format!("{audit}?limit=1000")))
        .await;
    let numbers: Vec<String> = full
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["n"].to_string())
        .collect();
    let seen = ui_walk(&app, &m, &format!("/rooms/{ROOM}/audit?limit=9"), "data-n").await;
    assert_eq!(seen, numbers);
}

fn unquote(ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|s| s.trim_matches('"').to_string())
        .collect()
}

/// Follows a UI list's next links from `start`; returns the values of
/// `attr` on every page, in order, checking the previous links.
async fn ui_walk(app: &App, c: &Client, start: &str, attr: &str) -> Vec<String> {
    let mut path = start.to_string();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let res = c.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let body = res.text().await.unwrap();
        pages += 1;
        for part in body.split(&format!(" {attr}=\"")).skip(1) {
            seen.push(part.split('"').next().unwrap().to_string());
        }
        assert_eq!(
            body.contains(r#"id="page-prev""#),
            pages > 1,
            "{path}: a previous link exactly after the first page"
        );
        let Some(at) = body.find(r#"id="page-next" href=""#) else {
            break;
        };
        let rest = &body[at + r#"id="page-next" href=""#.len()..];
        path = unescape(rest.split('"').next().unwrap());
        assert!(pages < 100);
    }
    assert!(pages > 1, "{start}: one page only");
    seen
}

/// An attribute value as the browser reads it (the templates escape `/`,
/// `&` and `=` in attributes).
fn unescape(attr: &str) -> String {
    attr.replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

// ------------------------------------------------------------ throttling

async fn api_login(
    c: &Client,
    app: &App,
    user: &str,
    password: &str,
    xff: Option<&str>,
) -> reqwest::Response {
    let mut req = c
        .post(app.url("/api/login"))
        .json(&json!({"user": user, "password": password}));
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    req.send().await.unwrap()
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get(RETRY_AFTER)
        .expect("a 429 says when to retry")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_a_delegate_out() {
    let app = start().await;
    let attacker = client_from("127.0.0.2");
    let delegate = client_from("127.0.0.1");
    // Five wrong passwords for Ukraine from the attacker's address; the
    // sixth try is throttled there, even with the right password.
    for _ in 0..5 {
        let res = api_login(&attacker, &app, UA, "guess", None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = api_login(&attacker, &app, UA, "ukraine-demo", None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&res);
    assert!((1..=WINDOW.as_secs()).contains(&wait), "{wait}");
    // Ukraine, from its own address, signs in as usual (API and form).
    let res = api_login(&delegate, &app, UA, "ukraine-demo", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.sign_in(UA).await;
    // A forged X-Forwarded-For changes nothing without --trust-proxy.
    let res = api_login(&attacker, &app, UA, "guess", Some("10.9.9.9")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // Spraying many user names from one address is throttled per address.
    let sprayer = client_from("127.0.0.3");
    let mut throttled = None;
    for i in 0..40 {
        let res = api_login(&sprayer, &app, &format!("user{i}"), "guess", None).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some((i, retry_after(&res)));
            break;
        }
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let (i, wait) = throttled.expect("an address failing for many users is throttled");
    assert_eq!(i, ADDRESS_LIMIT, "throttled after {i} failures");
    assert!((1..=WINDOW.as_secs()).contains(&wait));
    // ... which touches no one else's address.
    let res = api_login(&delegate, &app, RU, "russia-demo", None).await;
    assert_eq!(res.status(), StatusCode::OK);

    // The form answers 429 with Retry-After too.
    let res = client_from("127.0.0.2")
        .post(app.url("/login"))
        .form(&[("user", UA), ("password", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) >= 1);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled() {
    let app = start_with(Transport {
        https: false,
        trust_proxy: true,
    })
    .await;
    let proxy = client_from("127.0.0.1");
    for _ in 0..5 {
        let res = api_login(&proxy, &app, EU, "guess", Some("10.0.0.66")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = api_login(&proxy, &app, EU, "guess", Some("10.0.0.66")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The client cannot pose as the delegate: the proxy appends the real
    // address last, and that is the one counted.
    let res = api_login(&proxy, &app, EU, "guess", Some("10.0.0.7, 10.0.0.66")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The delegate, at another address behind the same proxy, signs in.
    let res = api_login(&proxy, &app, EU, "european-states-demo", Some("10.0.0.7")).await;
    assert_eq!(res.status(), StatusCode::OK);
}
