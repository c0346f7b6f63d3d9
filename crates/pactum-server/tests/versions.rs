//! Version numbers and re-scoped versions over HTTP.
//!
//! A party numbers the versions it was given 1, 2, 3 with no gap, in every
//! view (API, texts list, pages, redline, export, briefing); the mediator
//! keeps the room's numbers and sees how each party numbers a version.
//! A published version the mediator narrows takes the stances and
//! documents about it along, and whatever else named it stops naming it
//! for those who lost it; widening asks for confirmation and widens only
//! the version.

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const ROOM: &str = "peace-plan-2025";

struct App {
    base: String,
    http: Client,
    _dir: tempfile::TempDir,
}

async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    pactum_server::load_demo(store.as_ref()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(
        pactum_server::AppState::new(store),
        listener,
    ));
    App {
        base: format!("http://{addr}"),
        http: Client::new(),
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

    async fn post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
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

    /// Drafts a one-point version and publishes it to `parties`; its id.
    async fn version(&self, med: &str, label: &str, parties: &[&str]) -> String {
        let (status, created) = self
            .post(
                med,
                &format!("/api/rooms/{ROOM}/texts"),
                &json!({"label": label, "points": [{"key": "only", "title": format!("The point of {label}")}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let (status, body) = self
            .post(
                med,
                &format!("/api/rooms/{ROOM}/texts/{id}/publish"),
                &json!({"parties": parties}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
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
        c
    }

    async fn page(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let res = c.get(format!("{}{path}", self.base)).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn form(&self, c: &Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let res = c
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (
            res.status(),
            location.unwrap_or(res.text().await.unwrap_or_default()),
        )
    }

    /// The ids of the room's parties by display name (the oracle below
    /// names parties as the pages do).
    async fn party(&self, token: &str, name: &str) -> String {
        let parties = self
            .json(token, &format!("/api/rooms/{ROOM}/parties"))
            .await;
        parties
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["body"]["name"] == name)
            .map(|p| p["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no party named {name}"))
    }
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let at = html.find(marker).expect("a form with a CSRF field") + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Every string value in `v`.
fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// `(id, version)` of every numbered text in a list of records, by version.
fn numbered(list: &Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| {
            let v = t["body"]["version"].as_u64()?;
            Some((t["id"].as_str().unwrap().to_string(), v))
        })
        .collect();
    out.sort_by_key(|(_, v)| *v);
    out
}

fn versions(list: &Value) -> Vec<u64> {
    numbered(list).into_iter().map(|(_, v)| v).collect()
}

#[tokio::test]
async fn each_party_numbers_the_versions_it_was_given_without_gaps() {
    let app = start().await;
    let med = app.token("united-states").await;
    let ru = app.token("russia").await;
    let ua = app.token("ukraine").await;
    let (russia, ukraine, europe) = (
        app.party(&med, "Russian Federation").await,
        app.party(&med, "Ukraine").await,
        app.party(&med, "European states").await,
    );

    // The demo holds versions 1 and 2, seen by the whole room. The
    // mediator publishes a third to everyone, a fourth to Russia alone and
    // a fifth to everyone.
    let before = app.json(&med, &format!("/api/rooms/{ROOM}/texts")).await;
    assert_eq!(versions(&before), vec![1, 2]);
    let all = [russia.as_str(), ukraine.as_str(), europe.as_str()];
    let third = app.version(&med, "Third text", &all).await;
    let fourth = app.version(&med, "Russian text", &[&russia]).await;
    let fifth = app.version(&med, "Fifth text", &all).await;

    // The room's numbers, as the mediator sees them.
    let texts = app.json(&med, &format!("/api/rooms/{ROOM}/texts")).await;
    assert_eq!(
        numbered(&texts)[2..],
        [(third.clone(), 3), (fourth.clone(), 4), (fifth.clone(), 5)]
    );
    // Russia was given all five.
    let texts = app.json(&ru, &format!("/api/rooms/{ROOM}/texts")).await;
    assert_eq!(
        numbered(&texts)[2..],
        [(third.clone(), 3), (fourth.clone(), 4), (fifth.clone(), 5)]
    );
    // Ukraine was given four: the fifth is its fourth, and nothing it is
    // shown counts to five.
    let texts = app.json(&ua, &format!("/api/rooms/{ROOM}/texts")).await;
    assert_eq!(
        numbered(&texts)[2..],
        [(third.clone(), 3), (fifth.clone(), 4)]
    );
    let one = app
        .json(&ua, &format!("/api/rooms/{ROOM}/texts/{fifth}"))
        .await;
    assert_eq!(one["body"]["version"], json!(4));
    let export = app.json(&ua, &format!("/api/rooms/{ROOM}/export")).await;
    let mut exported: Vec<(u64, String)> = export["texts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| Some((t["version"].as_u64()?, t["id"].as_str()?.to_string())))
        .collect();
    exported.sort();
    assert_eq!(
        exported[2..],
        [(3, third.clone()), (4, fifth.clone())],
        "{export}"
    );
    assert_eq!(exported.len(), 4);
    let (status, diff) = app
        .get(
            &ua,
            &format!("/api/rooms/{ROOM}/diff?from={third}&to={fifth}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!diff.contains("\"version\":5"), "{diff}");

    // The pages say the same.
    let c = app.browser("ukraine").await;
    let (status, page) = app.page(&c, &format!("/rooms/{ROOM}/texts/{fifth}")).await;
    assert_eq!(status, StatusCode::OK);
    // The heading names the version as a reader says it: "Version 4".
    assert!(page.contains("Version 4"), "{page}");
    assert!(page.contains("v4 · Fifth text"), "{page}");
    for absent in [
        "Version 5",
        "version 5",
        "v5 ·",
        "Russian text",
        "knows this as",
    ] {
        assert!(!page.contains(absent), "{absent} on Ukraine's page");
    }
    let (status, page) = app
        .page(
            &c,
            &format!("/rooms/{ROOM}/redline?from={third}&to={fifth}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("v4 · Fifth text"), "{page}");
    assert!(!page.contains("v5 ·") && !page.contains("Russian text"));
    let (status, brief) = app
        .page(&c, &format!("/rooms/{ROOM}/briefing?format=md"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(brief.contains("Fifth text"), "the current text: {brief}");
    for absent in ["version 5", "v5", "Russian text"] {
        assert!(!brief.contains(absent), "{absent} in {brief}");
    }

    // Russia's page numbers the fifth as the room does.
    let rc = app.browser("russia").await;
    let (_, page) = app.page(&rc, &format!("/rooms/{ROOM}/texts/{fifth}")).await;
    assert!(page.contains("Version 5") && page.contains("v4 · Russian text"));

    // The mediator sees the room's numbers and each party's.
    let mc = app.browser("united-states").await;
    let (_, page) = app.page(&mc, &format!("/rooms/{ROOM}/texts/{fifth}")).await;
    assert!(page.contains("version 5"), "{page}");
    for needle in [
        "Russian Federation knows this as version 5",
        "Ukraine knows this as version 4",
        "European states knows this as version 4",
    ] {
        assert!(page.contains(needle), "{needle} in {page}");
    }
    let (_, page) = app
        .page(&mc, &format!("/rooms/{ROOM}/texts/{fourth}"))
        .await;
    assert!(page.contains("Russian Federation knows this as version 4"));
    assert!(!page.contains("Ukraine knows"), "{page}");
}

/// Every stance of the room as `token` sees them.
async fn stances(app: &App, token: &str) -> Vec<Value> {
    app.json(token, &format!("/api/rooms/{ROOM}/stances?limit=1000"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_narrowed_version_takes_what_is_about_it_along() {
    let app = start().await;
    let med = app.token("united-states").await;
    let ua = app.token("ukraine").await;
    let ru = app.token("russia").await;
    let (russia, ukraine) = (
        app.party(&med, "Russian Federation").await,
        app.party(&med, "Ukraine").await,
    );

    // The version revised after Geneva is the whole room's; meetings,
    // stances and another version name it.
    let texts = app.json(&med, &format!("/api/rooms/{ROOM}/texts")).await;
    let by_label = |label: &str| -> String {
        texts
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["body"]["label"] == label)
            .map(|t| t["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no text {label}"))
    };
    let v2 = by_label("Version revised after the Geneva consultations");
    let v1 = by_label("28-point plan");
    let twin = by_label("27-point document");
    let v2_text = app
        .json(&med, &format!("/api/rooms/{ROOM}/texts/{v2}"))
        .await;
    assert_eq!(v2_text["visibility"], json!({"scope": "room"}));
    let v2_points: Vec<String> = v2_text["body"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let meetings = app.json(&ua, &format!("/api/rooms/{ROOM}/meetings")).await;
    let naming: Vec<String> = meetings
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["body"]["texts_discussed"]
                .as_array()
                .unwrap()
                .contains(&json!(v2))
        })
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!naming.is_empty(), "a meeting Ukraine sees discussed v2");

    // Ukraine records a stance on one of its points; the mediator attaches
    // a document to it.
    let (status, own) = app
        .post(
            &ua,
            &format!("/api/rooms/{ROOM}/stances"),
            &json!({"party_id": ukraine, "target": {"point_id": v2_points[0]},
                    "stance": "rejects", "summary": "Not as worded",
                    "provenance": {"source": "Delegation", "reliability": "own_delegation"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let (status, doc) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/documents"),
            &json!({"title": "Annex to the revised version", "content": "Maps.", "text_id": v2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let doc = doc["id"].as_str().unwrap().to_string();

    // The oracle: the stances about v2 are those whose target is v2 or
    // one of its points.
    let about = |s: &Value| {
        let t = &s["body"]["target"];
        t["text_id"] == json!(v2)
            || t["point_id"]
                .as_str()
                .is_some_and(|p| v2_points.iter().any(|q| q == p))
    };
    let about_v2: Vec<String> = stances(&app, &med)
        .await
        .iter()
        .filter(|s| about(s))
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert!(about_v2.len() > 3, "{about_v2:?}");
    let seen_by_ua: Vec<String> = stances(&app, &ua)
        .await
        .iter()
        .filter(|s| about(s))
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert!(seen_by_ua.len() > 3, "Ukraine sees stances about v2 before");
    let (missing_status, missing) = app
        .get(&ua, &format!("/api/rooms/{ROOM}/texts/no_such_text"))
        .await;
    assert_eq!(missing_status, StatusCode::NOT_FOUND);

    // A draft is not re-scoped: it is published.
    let (status, draft) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/texts"),
            &json!({"label": "Draft", "points": [{"key": "a", "title": "A"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let draft = draft["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/texts/{draft}/visibility"),
            &json!({"visibility": {"scope": "room"}, "confirm": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Only the mediator re-scopes.
    let narrow = json!({"visibility": {"scope": "party_and_mediator", "party": russia}});
    let path = format!("/api/rooms/{ROOM}/texts/{v2}/visibility");
    let (status, _) = app.post(&ru, &path, &narrow).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The mediator narrows v2 to Russia.
    let (status, body) = app.post(&med, &path, &narrow).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // For Ukraine, v2 and all about it answer as missing ones do.
    let hidden = [
        format!("/api/rooms/{ROOM}/texts/{v2}"),
        format!("/api/rooms/{ROOM}/texts/{v2}/matrix"),
        format!("/api/rooms/{ROOM}/diff?from={v1}&to={v2}"),
        format!("/api/rooms/{ROOM}/documents/{doc}"),
        format!("/api/rooms/{ROOM}/documents/{doc}/history"),
    ];
    for p in hidden.iter().cloned().chain(
        about_v2
            .iter()
            .map(|s| format!("/api/rooms/{ROOM}/stances/{s}")),
    ) {
        assert_eq!(
            app.get(&ua, &p).await,
            (StatusCode::NOT_FOUND, missing.clone()),
            "{p}"
        );
    }
    let uc = app.browser("ukraine").await;
    for p in [
        format!("/rooms/{ROOM}/texts/{v2}"),
        format!("/rooms/{ROOM}/redline?from={v1}&to={v2}"),
    ] {
        assert_eq!(app.page(&uc, &p).await.0, StatusCode::NOT_FOUND, "{p}");
    }
    // ... and nothing Ukraine is shown names it: lists, counts, meetings,
    // other versions, the export, the pages.
    // A name is a value equal to the id in an API body, and an id in a
    // link, an anchor or an attribute of a page. (The demo's prose says
    // "see text v2_post_geneva" in a meeting's reported outcome: words the
    // case's author wrote, not a name the workspace gives.)
    let names: Vec<&String> = std::iter::once(&v2)
        .chain(&v2_points)
        .chain(&about_v2)
        .chain([&doc])
        .collect();
    let mut bodies = vec![
        app.json(&ua, &format!("/api/rooms/{ROOM}/export")).await,
        Value::Array(stances(&app, &ua).await),
        app.json(&ua, &format!("/api/rooms/{ROOM}/texts")).await,
        app.json(&ua, &format!("/api/rooms/{ROOM}/meetings")).await,
        app.json(&ua, &format!("/api/rooms/{ROOM}/documents")).await,
        app.json(&ua, &format!("/api/rooms/{ROOM}/timeline")).await,
        app.json(&ua, &format!("/api/rooms/{ROOM}/texts/{twin}"))
            .await,
    ];
    for m in &naming {
        bodies.push(
            app.json(&ua, &format!("/api/rooms/{ROOM}/meetings/{m}"))
                .await,
        );
        bodies.push(
            app.json(&ua, &format!("/api/rooms/{ROOM}/meetings/{m}/history"))
                .await,
        );
    }
    for (i, b) in bodies.iter().enumerate() {
        let mut found = Vec::new();
        strings(b, &mut found);
        for n in &names {
            assert!(!found.contains(&n.as_str()), "body {i} names {n}: {b}");
        }
        let text = b.to_string();
        assert!(
            !text.contains("Version revised after the Geneva"),
            "body {i}"
        );
    }
    let mut pages = Vec::new();
    for p in [
        "",
        "/meetings",
        "/stances",
        "/documents",
        "/texts/new",
        "/briefing",
        "/briefing?format=md",
    ] {
        pages.push(app.page(&uc, &format!("/rooms/{ROOM}{p}")).await.1);
    }
    pages.push(
        app.page(&uc, &format!("/rooms/{ROOM}/texts/{twin}"))
            .await
            .1,
    );
    for (i, page) in pages.iter().enumerate() {
        for n in &names {
            for shape in [
                format!("/{n}"),
                format!("&#x2f;{n}"),
                format!("\"{n}\""),
                format!("={n}"),
                format!("-{n}"),
                format!("({n})"),
            ] {
                assert!(!page.contains(&shape), "page {i} names {shape}: {page}");
            }
        }
        assert!(
            !page.contains("Version revised after the Geneva"),
            "page {i}: {page}"
        );
    }
    let count_before = texts.as_array().unwrap().len();
    let ua_texts = app.json(&ua, &format!("/api/rooms/{ROOM}/texts")).await;
    // Ukraine saw every text but the one the demo closes to Russia; now v2
    // is gone too.
    assert_eq!(ua_texts.as_array().unwrap().len(), count_before - 2);

    // Russia keeps v2; the stances about it reach at most Russia and the
    // mediator now.
    assert_eq!(
        app.get(&ru, &format!("/api/rooms/{ROOM}/texts/{v2}"))
            .await
            .0,
        StatusCode::OK
    );
    let mediator = app.party(&med, "United States").await;
    for s in stances(&app, &med).await.iter().filter(|s| about(s)) {
        let v = &s["visibility"];
        let within = |p: &Value| *p == json!(russia) || *p == json!(mediator);
        let ok = match v["scope"].as_str().unwrap() {
            "mediator" => true,
            "party_and_mediator" => within(&v["party"]),
            "parties" => v["parties"].as_array().unwrap().iter().all(within),
            _ => false,
        };
        assert!(ok, "{s}");
    }

    // The audit names each change, the version's and those that followed.
    let audit = app
        .json(&med, &format!("/api/rooms/{ROOM}/audit?limit=1000"))
        .await;
    let narrowed: Vec<String> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "visibility.narrow")
        .map(|e| e["record_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(narrowed.contains(&v2), "{narrowed:?}");
    assert!(narrowed.contains(&doc), "{narrowed:?}");
    for s in &seen_by_ua {
        assert!(narrowed.contains(s), "{s} narrowed: {narrowed:?}");
    }

    // Widening asks for confirmation and changes nothing without it.
    let widen = json!({"visibility": {"scope": "room"}});
    let (status, refused) = app.post(&med, &path, &widen).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        refused.to_string().contains("only the version"),
        "{refused}"
    );
    let still = app
        .json(&med, &format!("/api/rooms/{ROOM}/texts/{v2}"))
        .await;
    assert_eq!(
        still["visibility"],
        json!({"scope": "party_and_mediator", "party": russia})
    );
    assert_eq!(
        app.get(&ua, &format!("/api/rooms/{ROOM}/texts/{v2}")).await,
        (StatusCode::NOT_FOUND, missing.clone())
    );
    let (status, _) = app
        .post(
            &med,
            &path,
            &json!({"visibility": {"scope": "room"}, "confirm": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The version is back for Ukraine; what was said about it is not.
    assert_eq!(
        app.get(&ua, &format!("/api/rooms/{ROOM}/texts/{v2}"))
            .await
            .0,
        StatusCode::OK
    );
    let own = own["id"].as_str().unwrap();
    assert_eq!(
        app.get(&ua, &format!("/api/rooms/{ROOM}/stances/{own}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let audit = app
        .json(&med, &format!("/api/rooms/{ROOM}/audit?limit=1000"))
        .await;
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "visibility.widen" && e["record_id"] == json!(v2)));
}

#[tokio::test]
async fn the_text_page_narrows_and_widens_with_confirmation() {
    let app = start().await;
    let med = app.token("united-states").await;
    let ua = app.token("ukraine").await;
    let russia = app.party(&med, "Russian Federation").await;
    let texts = app.json(&med, &format!("/api/rooms/{ROOM}/texts")).await;
    let v2 = texts
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["body"]["label"] == "Version revised after the Geneva consultations")
        .map(|t| t["id"].as_str().unwrap().to_string())
        .unwrap();
    let page_path = format!("/rooms/{ROOM}/texts/{v2}");
    let action = format!("/rooms/{ROOM}/records/texts/{v2}/visibility");

    // A party's page has no such form, and its post is refused.
    let uc = app.browser("ukraine").await;
    let (_, page) = app.page(&uc, &page_path).await;
    assert!(!page.contains("visibility-form"));
    let token = csrf_of(&page);
    let (status, _) = app
        .form(
            &uc,
            &action,
            &[("_csrf", &token), ("visibility", "mediator")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mc = app.browser("united-states").await;
    let (_, page) = app.page(&mc, &page_path).await;
    assert!(page.contains(r#"id="visibility-form""#), "{page}");
    // minijinja escapes "/" in attributes.
    let escaped = action.replace('/', "&#x2f;");
    assert!(page.contains(&format!(r#"action="{escaped}""#)), "{page}");
    let token = csrf_of(&page);
    let pm = format!("pm:{russia}");
    let (status, location) = app
        .form(&mc, &action, &[("_csrf", &token), ("visibility", &pm)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.ends_with("?done=rescoped"), "{location}");
    assert_eq!(
        app.get(&ua, &format!("/api/rooms/{ROOM}/texts/{v2}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Widening: the page asks first, naming who would start seeing it.
    let (status, location) = app
        .form(&mc, &action, &[("_csrf", &token), ("visibility", "room")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.contains("widen=room"), "{location}");
    assert_eq!(
        app.get(&ua, &format!("/api/rooms/{ROOM}/texts/{v2}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, page) = app.page(&mc, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"id="confirm-widen""#), "{page}");
    assert!(page.contains("Ukraine"));
    assert!(page.contains("Only the version is widened"));
    let (status, _) = app
        .form(
            &mc,
            &action,
            &[
                ("_csrf", &token),
                ("visibility", "room"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&ua, &format!("/api/rooms/{ROOM}/texts/{v2}"))
            .await
            .0,
        StatusCode::OK
    );
}
