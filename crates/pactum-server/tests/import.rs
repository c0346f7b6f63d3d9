//! Import with a preview over HTTP, API and browser: only operators may
//! preview or import; a preview (allowed or refused) stores nothing; bad
//! overrides and bad cases are refused naming the field, with nothing
//! written; a confirmed import stores the previewed visibilities, the
//! overrides applied, in one room, under the fresh ids the preview showed
//! (or the file's own, when asked to keep them, with a warning).

use pactum_server::AppState;
use pactum_store::{NewAudit, Store, UserRow};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

struct App {
    base: String,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

/// The demo room, and `op`, an operator with no seat in any room.
async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    pactum_server::load_demo(store.as_ref()).await.unwrap();
    store
        .create_operator(
            &UserRow {
                name: "op".into(),
                display_name: "Operator".into(),
                password_hash: pactum_server::auth::hash_password("op-secret-1").unwrap(),
                created_at: pactum_server::now(),
            },
            false,
            NewAudit::new("test", "operator.create"),
        )
        .await
        .unwrap();
    let state = AppState::new(store.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { pactum_server::serve(state, listener).await.unwrap() });
    App {
        base: format!("http://{addr}"),
        store,
        _dir: dir,
    }
}

/// Closed meeting m1 (mediator and a) is where text `br` was handed over;
/// b's stance about its point was recorded without a meeting.
fn case() -> Value {
    json!({
      "meta": {"case_id": "bridge-talks", "title": "Bridge talks"},
      "parties": [
        {"id": "med", "name": "Mediator", "kind": "mediator"},
        {"id": "a", "name": "A", "kind": "party"},
        {"id": "b", "name": "B", "kind": "party"}],
      "issues": [{"id": "i", "title": "I", "options": [{"id": "i.x"}]}],
      "texts": [
        {"id": "v1", "label": "First text", "author_party_ids": ["med"], "points": []},
        {"id": "br", "label": "Bridging text", "author_party_ids": ["med"],
         "points": [{"id": "br.p1", "number": 1, "topic": "P"}]}],
      "meetings": [
        {"id": "m1", "title": "Closed session", "confidentiality": "closed_with_nondisclosure",
         "participants": [{"party_id": "med"}, {"party_id": "a"}], "texts_discussed": ["br"]}],
      "stances": [
        {"id": "s1", "party_id": "b", "target": {"issue_id": null, "text_id": null, "point_id": "br.p1"},
         "stance": "accepts", "meeting_id": null, "provenance": {"reliability": "unnamed_source"}},
        {"id": "s2", "party_id": "b", "target": {"issue_id": "i", "text_id": "v1", "point_id": null},
         "stance": "accepts", "meeting_id": null, "provenance": {"reliability": "unnamed_source"}}],
      "illustrative_preferences": {"models": []}
    })
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn token(&self, user: &str, password: &str) -> String {
        let res: Value = Client::new()
            .post(self.url("/api/login"))
            .json(&json!({"user": user, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        res["token"].as_str().unwrap().to_string()
    }

    async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        let mut req = Client::new().post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn dump(&self) -> pactum_store::Dump {
        self.store.dump().await.unwrap()
    }

    async fn browser(&self, user: &str, password: &str) -> Client {
        let c = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        let res = c
            .post(self.url("/login"))
            .form(&[("user", user), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        c
    }
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let at = html.find(marker).expect("a CSRF field") + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

fn multipart(fields: &[(&str, &str)]) -> (String, String) {
    let boundary = "----pactumtestboundary";
    let mut body = String::new();
    for (name, value) in fields {
        let file = if *name == "file" {
            "; filename=\"case.json\""
        } else {
            ""
        };
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn only_operators_preview_and_a_preview_stores_nothing() {
    let app = start().await;
    let op = app.token("op", "op-secret-1").await;
    let russia = app.token("russia", "russia-demo").await;
    let observer = app.token("european-states", "european-states-demo").await;
    let before = app.dump().await;

    for who in [Some(russia.as_str()), Some(observer.as_str()), None] {
        let (status, body) = app.post(who, "/api/import/preview", &case()).await;
        let want = if who.is_some() {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, want, "{body}");
        assert!(!body.to_string().contains("Bridging"), "{body}");
        let (status, _) = app.post(who, "/api/import", &json!({"case": case()})).await;
        assert_eq!(status, want);
    }

    let (status, preview) = app.post(Some(&op), "/api/import/preview", &case()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["room"], "bridge-talks");
    assert_eq!(preview["ids"], "fresh");
    assert_eq!(preview["warnings"], json!([]));
    let seed = preview["id_seed"].as_str().unwrap().to_string();
    let row = |kind: &str, id: &str| {
        preview["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == kind && r["id"] == id)
            .unwrap()
            .clone()
    };
    let m1 = json!({"scope": "parties", "parties": ["med", "a"]});
    assert_eq!(row("text", "br")["visibility"], m1);
    assert_eq!(row("point", "br.p1")["visibility"], m1);
    assert_eq!(row("stance", "s1")["visibility"], m1);
    assert_eq!(row("stance", "s1")["rule"]["rule"], "never_wider_than_text");
    assert_eq!(row("text", "v1")["visibility"], json!({"scope": "room"}));
    assert!(row("text", "v1")["reason"]
        .as_str()
        .unwrap()
        .contains("no structured fact"));
    // Every record of a kind that can be restricted, and every point, gets
    // a fresh id; parties and issues keep theirs.
    let stored_id = |kind: &str, id: &str| row(kind, id)["stored_id"].as_str().unwrap().to_string();
    for (kind, id) in [
        ("text", "v1"),
        ("text", "br"),
        ("meeting", "m1"),
        ("stance", "s1"),
        ("stance", "s2"),
    ] {
        let new = stored_id(kind, id);
        assert_ne!(new, id);
        assert!(new.len() >= 12 && !new.contains('/'), "{new}");
    }
    assert_eq!(
        stored_id("point", "br.p1"),
        format!("{}.p1", stored_id("text", "br"))
    );
    for (kind, id) in [("party", "a"), ("issue", "i")] {
        assert_eq!(stored_id(kind, id), id);
    }
    // The same seed gives the same ids; without one, others.
    let (_, again) = app
        .post(
            Some(&op),
            &format!("/api/import/preview?id_seed={seed}"),
            &case(),
        )
        .await;
    assert_eq!(again["records"], preview["records"]);
    let (_, other) = app.post(Some(&op), "/api/import/preview", &case()).await;
    assert_ne!(other["records"], preview["records"]);
    // Kept ids are the file's, with a warning.
    let (status, kept) = app
        .post(Some(&op), "/api/import/preview?keep_ids=true", &case())
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["ids"], "kept");
    assert!(
        kept["warnings"][0].as_str().unwrap().contains("gaps"),
        "{kept}"
    );
    assert!(kept["records"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["stored_id"] == r["id"]));
    let (status, bad) = app
        .post(Some(&op), "/api/import/preview?id_seed=xyz", &case())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["field"], "id_seed", "{bad}");

    // Refused imports: each names the field, and none writes anything.
    let refused = [
        (
            json!({"case": case(), "overrides": [{"kind": "text", "id": "nope", "visibility": {"scope": "room"}}]}),
            "overrides.0.id",
        ),
        (
            json!({"case": case(), "overrides": [{"kind": "text", "id": "v1", "visibility": {"scope": "party", "party": "zz"}}]}),
            "overrides.0.visibility",
        ),
        (
            json!({"case": case(), "overrides": [{"kind": "stance", "id": "s1", "visibility": {"scope": "room"}}]}),
            "overrides.0.visibility",
        ),
        (json!({"case": case(), "room": "Bad Id"}), "room"),
        (json!({"case": case(), "id_seed": "not hex"}), "id_seed"),
        (json!({"case": case(), "room": "peace-plan-2025"}), "room"),
    ];
    for (body, field) in refused {
        let (status, answer) = app.post(Some(&op), "/api/import", &body).await;
        assert!(status.is_client_error(), "{answer}");
        assert_eq!(answer["field"], field, "{answer}");
    }
    let mut dup = case();
    dup["stances"][1]["id"] = json!("s1");
    let (status, answer) = app
        .post(Some(&op), "/api/import", &json!({"case": dup}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["field"], "case/stances/1/id", "{answer}");
    let (status, answer) = app.post(Some(&op), "/api/import/preview", &dup).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        app.dump().await == before,
        "a preview or a refused import wrote something"
    );

    // The import, with the preview's seed and v1 narrowed to the mediator
    // (overrides name records by their ids in the file): b's stance about
    // it follows, and every record is stored under the id the preview showed.
    let (status, answer) = app
        .post(
            Some(&op),
            "/api/import",
            &json!({"case": case(), "room": "bt", "id_seed": seed,
            "overrides": [{"kind": "text", "id": "v1", "visibility": {"scope": "mediator"}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let changes = answer["ids"].as_array().unwrap();
    assert_eq!(changes.len(), 6, "{answer}");
    for c in changes {
        assert_eq!(
            c["id"].as_str().unwrap(),
            stored_id(c["kind"].as_str().unwrap(), c["case_id"].as_str().unwrap())
        );
    }
    let state = AppState::new(app.store.clone());
    let stored = pactum_server::access::all_records(&state, "bt")
        .await
        .unwrap();
    let shown: std::collections::BTreeSet<(String, String)> = preview["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] != "point")
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["stored_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let got: std::collections::BTreeSet<(String, String)> = stored
        .iter()
        .map(|(r, _)| (r.kind.as_str().to_string(), r.id.clone()))
        .collect();
    assert_eq!(got, shown);
    let record = |kind: &str, id: &str| {
        let new = stored_id(kind, id);
        stored.iter().find(|(r, _)| r.id == new).unwrap().0.clone()
    };
    let vis = |kind: &str, id: &str| serde_json::to_value(&record(kind, id).visibility).unwrap();
    assert_eq!(vis("text", "v1"), json!({"scope": "mediator"}));
    assert_eq!(vis("stance", "s2"), json!({"scope": "mediator"}));
    assert_eq!(vis("stance", "s1"), m1);
    assert_eq!(vis("text", "br"), m1);
    // The references follow: the stances name the texts and point by their new ids.
    let s1 = record("stance", "s1");
    assert_eq!(
        s1.body["target"]["point_id"],
        json!(stored_id("point", "br.p1"))
    );
    assert_eq!(
        record("stance", "s2").body["target"]["text_id"],
        json!(stored_id("text", "v1"))
    );
    assert_eq!(
        record("meeting", "m1").body["texts_discussed"],
        json!([stored_id("text", "br")])
    );
    assert_eq!(
        record("text", "br").body["points"][0]["id"],
        json!(stored_id("point", "br.p1"))
    );

    // Kept ids, when asked for.
    let (status, answer) = app
        .post(
            Some(&op),
            "/api/import",
            &json!({"case": case(), "room": "bt-kept", "keep_ids": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert!(answer.get("ids").is_none(), "{answer}");
    let stored = pactum_server::access::all_records(&state, "bt-kept")
        .await
        .unwrap();
    assert!(stored
        .iter()
        .any(|(r, _)| r.id == "s1" && r.body["target"]["point_id"] == "br.p1"));
}

/// The id the preview page shows a record will have in the room.
fn shown_id(html: &str, kind: &str, id: &str) -> String {
    let row = html
        .find(&format!(r#"id="rec-{kind}-{id}""#))
        .unwrap_or_else(|| panic!("no row for {kind} {id}"));
    let marker = r#"class="stored-id"><code>"#;
    let at = row + html[row..].find(marker).unwrap() + marker.len();
    html[at..].split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn the_browser_previews_then_imports_on_confirmation_only() {
    let app = start().await;
    let russia = app.browser("russia", "russia-demo").await;
    let res = russia.get(app.url("/import")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let op = app.browser("op", "op-secret-1").await;
    let page = op.get(app.url("/import")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_of(&page.text().await.unwrap());
    let before = app.dump().await;

    // Without the CSRF token: refused.
    let text = case().to_string();
    let (ct, body) = multipart(&[("file", &text)]);
    let res = op
        .post(app.url("/import/preview"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (ct, body) = multipart(&[("_csrf", &csrf), ("file", &text), ("room", "")]);
    let res = op
        .post(app.url("/import/preview"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Bridging text"), "{html}");
    // The page belongs to no room yet: no room navigation.
    assert!(!html.contains("nav-overview"), "{html}");
    assert!(
        html.contains(r#"name="room" value="bridge-talks""#),
        "{html}"
    );
    assert!(
        html.contains("text discussed or handed over only at closed meetings m1"),
        "{html}"
    );
    assert!(html.contains(r#"name="v:text:v1""#), "{html}");
    // Each record's id in the file beside the fresh id it will have, and
    // the seed that gives those ids on confirmation.
    let s2_id = shown_id(&html, "stance", "s2");
    assert!(s2_id.starts_with("st_") && s2_id.len() > 8, "{s2_id}");
    assert_eq!(shown_id(&html, "party", "a"), "a");
    let marker = r#"name="id_seed" value=""#;
    let at = html.find(marker).expect("the id seed") + marker.len();
    let seed = html[at..].split('"').next().unwrap().to_string();
    assert!(!html.contains("import-warning"), "{html}");
    assert!(
        html.contains("point inherits its text br&#x27;s visibility")
            || html.contains("point inherits its text br's visibility"),
        "{html}"
    );
    // The pasted twin previews the same.
    let (ct, body) = multipart(&[("_csrf", &csrf), ("case", &text)]);
    let res = op
        .post(app.url("/import/preview"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(app.dump().await == before, "the preview stored something");

    // Confirm, narrowing v1 to the mediator.
    let mediator = serde_json::to_string(&json!({"scope": "mediator"})).unwrap();
    let res = op
        .post(app.url("/import"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("case", text.as_str()),
            ("room", "from-browser"),
            ("id_seed", seed.as_str()),
            ("v:text:v1", mediator.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Room from-browser created"));
    let state = AppState::new(app.store.clone());
    let stored = pactum_server::access::all_records(&state, "from-browser")
        .await
        .unwrap();
    let s2 = &stored.iter().find(|(r, _)| r.id == s2_id).unwrap().0;
    assert_eq!(s2.visibility, pactum_workspace::Visibility::Mediator);
    assert!(!stored.iter().any(|(r, _)| r.id == "s2"));

    // A second confirmation of the same room is refused on the page, and stores nothing more.
    let after = app.dump().await;
    let res = op
        .post(app.url("/import"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("case", text.as_str()),
            ("room", "from-browser"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(app.dump().await == after);

    // Keeping the file's ids is a choice, and the page warns about it.
    let (ct, body) = multipart(&[("_csrf", &csrf), ("case", &text), ("keep_ids", "on")]);
    let res = op
        .post(app.url("/import/preview"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.contains("import-warning") && html.contains("gaps"),
        "{html}"
    );
    assert_eq!(shown_id(&html, "stance", "s2"), "s2");
    assert!(html.contains(r#"name="keep_ids" value="on""#), "{html}");
    let res = op
        .post(app.url("/import"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("case", text.as_str()),
            ("room", "kept-ids"),
            ("keep_ids", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let stored = pactum_server::access::all_records(&state, "kept-ids")
        .await
        .unwrap();
    assert!(stored.iter().any(|(r, _)| r.id == "s2"));
}
