//! Drafting point by point, correcting and withdrawing records, and
//! changing who sees them, over real HTTP on the demo room.
//!
//! Oracles are the test's own: the wording typed is the wording expected
//! back (line breaks as `\n`, the documented rule); provenance of merges and
//! splits is spelled out from the contract (`derived_from` names the keys
//! of the revised version); visibility is checked by asking as the party
//! that lost or gained a record, on every view that could show it.

use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ROOM: &str = "peace-plan-2025";
const MED: &str = "united_states";
const RU: &str = "russia";
const UA: &str = "ukraine";
const EU: &str = "european_states";
/// The demo file's id of the version drafts revise (the room's is `app.id`'s).
const V2: &str = "v2_post_geneva";

/// Several paragraphs, indentation, a tab, trailing spaces, non-ASCII and
/// characters HTML escapes: what is typed is what must come back.
const WORDING: &str = "First line of the point\nsecond line, same paragraph\n\n  \
                       Indented <second> paragraph\twith a tab & \"quotes\"  \n\n\
                       Last ¶ paragraph — é\n";

struct App {
    base: String,
    http: Client,
    tokens: BTreeMap<String, String>,
    /// The demo file's ids → the room's (its records have fresh ids).
    ids: pactum_workspace::case::IdMap,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: StatusCode,
    text: String,
    location: Option<String>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
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
    let base = format!("http://{addr}");
    let http = Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let mut tokens = BTreeMap::new();
    for party in [MED, RU, UA, EU] {
        let user = party.replace('_', "-");
        let v: Value = http
            .post(format!("{base}/api/login"))
            .json(&json!({"user": user, "password": format!("{user}-demo")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.insert(party.to_string(), v["token"].as_str().unwrap().to_string());
    }
    App {
        base,
        http,
        tokens,
        ids: demo.ids,
        _dir: dir,
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    Answer {
        status: res.status(),
        location: res
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string()),
        text: res.text().await.unwrap(),
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

    async fn call(&self, party: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[party]);
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.unwrap()).await
    }

    async fn get(&self, party: &str, path: &str) -> Answer {
        self.call(party, Method::GET, path, None).await
    }

    async fn post(&self, party: &str, path: &str, body: Value) -> Answer {
        self.call(party, Method::POST, path, Some(body)).await
    }

    async fn put(&self, party: &str, path: &str, body: Value) -> Answer {
        self.call(party, Method::PUT, path, Some(body)).await
    }

    /// A browser signed in as `party`'s demo user.
    async fn browser(&self, party: &str) -> Client {
        let c = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        let user = party.replace('_', "-");
        let password = format!("{user}-demo");
        let res = c
            .post(format!("{}/login", self.base))
            .form(&[("user", user.as_str()), ("password", password.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        c
    }

    async fn page(&self, c: &Client, path: &str) -> Answer {
        answer(c.get(format!("{}{path}", self.base)).send().await.unwrap()).await
    }

    async fn form(&self, c: &Client, path: &str, form: &[(&str, &str)]) -> Answer {
        answer(
            c.post(format!("{}{path}", self.base))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

fn api(rest: &str) -> String {
    format!("/api/rooms/{ROOM}{rest}")
}

fn ui(rest: &str) -> String {
    format!("/rooms/{ROOM}{rest}")
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let at = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// HTML's escaping of text, as the test expects it on a page.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// A draft's points as (key, wording, derived_from), read from its record.
fn points_of(text: &Value) -> Vec<(String, String, Vec<String>)> {
    let id = text["id"].as_str().unwrap();
    text["body"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let pid = p["id"].as_str().unwrap();
            let key = pid
                .strip_prefix(&format!("{id}."))
                .unwrap_or_else(|| panic!("point id {pid} lacks the text prefix"));
            let derived = p["derived_from"]
                .as_array()
                .map(|a| a.iter().map(|k| k.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (
                key.to_string(),
                p["text"].as_str().unwrap_or_default().to_string(),
                derived,
            )
        })
        .collect()
}

fn keys(text: &Value) -> Vec<String> {
    points_of(text).into_iter().map(|p| p.0).collect()
}

fn wording(text: &Value, key: &str) -> String {
    points_of(text)
        .into_iter()
        .find(|p| p.0 == key)
        .unwrap_or_else(|| panic!("no point {key}"))
        .1
}

async fn text(app: &App, id: &str) -> Value {
    let a = app.get(MED, &api(&format!("/texts/{id}"))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.json()
}

#[tokio::test]
async fn drafting_point_by_point_keeps_identity_and_wording() {
    let app = start().await;
    let v2_id = app.id("text", V2);
    // The version revised: its keys, read from the demo's own record.
    let v2 = text(&app, &v2_id).await;
    let v2_keys: Vec<String> = v2["body"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["id"]
                .as_str()
                .unwrap()
                .split_once('.')
                .unwrap()
                .1
                .to_string()
        })
        .collect();
    assert_eq!(v2_keys.len(), 4);

    // A new draft from v2 carries every point with its key.
    let r = app
        .post(
            MED,
            &api(&format!("/texts/{v2_id}/revise")),
            json!({"label": "v3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let draft = r.json();
    let d = draft["id"].as_str().unwrap().to_string();
    assert_eq!(draft["body"]["point_identity"], true);
    assert_eq!(draft["body"]["derived_from_text_id"], v2_id.as_str());
    assert_eq!(keys(&draft), v2_keys);
    assert!(points_of(&draft).iter().all(|p| p.2.is_empty()));
    let pts = |rest: &str| api(&format!("/texts/{d}/points{rest}"));

    // Add a multi-paragraph point; typed with \r\n it is stored with \n.
    let r = app
        .post(
            MED,
            &pts(""),
            json!({"title": "New point", "body": WORDING.replace('\n', "\r\n"),
                   "issue_ids": ["nato_membership"], "position": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let new_key = r.json()["key"].as_str().unwrap().to_string();
    assert!(!v2_keys.contains(&new_key));
    let t = text(&app, &d).await;
    assert_eq!(keys(&t)[1], new_key);
    assert_eq!(wording(&t, &new_key), WORDING);

    // Edit keeps the wording byte for byte.
    let edited = format!("{WORDING}\n\n(edited)");
    let r = app
        .put(
            MED,
            &pts(&format!("/{new_key}")),
            json!({"title": "New point", "body": edited, "issue_ids": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(wording(&r.json()["text"], &new_key), edited);

    // Move to the end.
    let r = app
        .post(MED, &pts(&format!("/{new_key}/move")), json!({"to": 5}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(keys(&r.json()["text"]).last().unwrap(), &new_key);

    // Merge two carried points: one point derived from both keys.
    let (a, b) = (v2_keys[0].clone(), v2_keys[1].clone());
    let r = app
        .post(MED, &pts(&format!("/{a}/merge")), json!({"with": b}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t = r.json()["text"].clone();
    let merged = points_of(&t).into_iter().find(|p| p.0 == a).unwrap();
    assert_eq!(merged.2, [a.clone(), b.clone()]);
    assert!(!keys(&t).contains(&b));

    // Split the new point at its second paragraph: two new points, the
    // wording divided at the blank line.
    let r = app
        .post(
            MED,
            &pts(&format!("/{new_key}/split")),
            json!({"paragraph": 1, "new_key": "second_half"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t = r.json()["text"].clone();
    assert_eq!(
        wording(&t, &new_key),
        "First line of the point\nsecond line, same paragraph"
    );
    let rest = &edited["First line of the point\nsecond line, same paragraph\n\n".len()..];
    assert_eq!(wording(&t, "second_half"), rest);
    // Split a carried point: both halves derived from its key.
    let c = v2_keys[2].clone();
    app.put(
        MED,
        &pts(&format!("/{c}")),
        json!({"title": "Territory", "body": "alpha beta"}),
    )
    .await;
    let r = app
        .post(MED, &pts(&format!("/{c}/split")), json!({"at": 6}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let second = r.json()["key"].as_str().unwrap().to_string();
    let t = r.json()["text"].clone();
    let halves: Vec<_> = points_of(&t)
        .into_iter()
        .filter(|p| p.0 == c || p.0 == second)
        .collect();
    assert_eq!(
        halves,
        [
            (c.clone(), "alpha ".to_string(), vec![c.clone()]),
            (second.clone(), "beta".to_string(), vec![c.clone()]),
        ]
    );
    // Every key of v2 is still behind some point (nothing was deleted).
    let behind: std::collections::BTreeSet<String> = points_of(&t)
        .into_iter()
        .flat_map(|(k, _, from)| {
            if from.is_empty() {
                if v2_keys.contains(&k) {
                    vec![k]
                } else {
                    vec![]
                }
            } else {
                from
            }
        })
        .collect();
    assert_eq!(behind, v2_keys.iter().cloned().collect());

    // Delete.
    let r = app
        .call(MED, Method::DELETE, &pts(&format!("/{second}")), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!keys(&r.json()["text"]).contains(&second));

    // Bad input names the field and changes nothing.
    let before = text(&app, &d).await;
    for (path, body, field) in [
        (pts(&format!("/{a}/merge")), json!({"with": "nope"}), "with"),
        (pts(&format!("/{a}/move")), json!({"to": 99}), "to"),
        (pts(&format!("/{a}/split")), json!({"at": 0}), "at.offset"),
        (pts(""), json!({"title": "x", "key": a}), "key"),
        (pts(""), json!({"title": " "}), "title"),
    ] {
        let r = app.post(MED, &path, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.text
        );
        assert_eq!(r.json()["field"], field, "{}", r.text);
    }
    assert_eq!(
        app.post(MED, &pts("/nope/move"), json!({"to": 1}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(text(&app, &d).await, before);

    // Not the mediator: refused, on drafts and published versions alike.
    for party in [RU, UA, EU] {
        for t in [d.as_str(), v2_id.as_str()] {
            let r = app
                .post(
                    party,
                    &api(&format!("/texts/{t}/points")),
                    json!({"title": "x"}),
                )
                .await;
            assert!(
                matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{party} {t}: {}",
                r.status
            );
        }
    }
    assert_eq!(text(&app, &d).await, before);

    // A published version never changes: 409 naming it.
    for (method, path, body) in [
        (
            Method::POST,
            format!("/texts/{v2_id}/points"),
            json!({"title": "x"}),
        ),
        (
            Method::POST,
            format!("/texts/{v2_id}/points/{}/move", v2_keys[0]),
            json!({"to": 1}),
        ),
        (
            Method::PUT,
            format!("/texts/{v2_id}/points/{}", v2_keys[0]),
            json!({"title": "x"}),
        ),
    ] {
        let r = app.call(MED, method, &api(&path), Some(body)).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{path}: {}", r.text);
        assert!(r.text.contains(&v2_id), "{}", r.text);
    }
    let r = app
        .post(
            MED,
            &api(&format!("/texts/{d}/publish")),
            json!({"parties": [RU]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(MED, &pts(&format!("/{new_key}/move")), json!({"to": 1}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains(&d) && r.text.contains("v3"), "{}", r.text);

    // The export gives the wording back byte for byte, to the mediator and
    // to the party it was published to.
    for party in [MED, RU] {
        let export = app.get(party, &api("/export")).await.json();
        let t = export["texts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == d.as_str())
            .unwrap_or_else(|| panic!("{party}: draft not exported"));
        let p = t["points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == format!("{d}.second_half"))
            .unwrap();
        assert_eq!(p["text"], rest);
    }
    // ... and not to a party it was not published to.
    let export = app.get(UA, &api("/export")).await.text;
    assert!(!export.contains(&d));

    // The audit names each operation.
    let audit = app.get(MED, &api("/audit?limit=1000")).await.json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["record_id"] == d.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for op in ["add", "edit", "move", "merge", "split", "delete"] {
        assert!(
            actions.contains(&format!("text.point.{op}").as_str()),
            "{op}: {actions:?}"
        );
    }
}

#[tokio::test]
async fn the_point_editor_form_round_trips_wording_byte_for_byte() {
    let app = start().await;
    let v2_id = app.id("text", V2);
    let d = app
        .post(
            MED,
            &api(&format!("/texts/{v2_id}/revise")),
            json!({"label": "v3"}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let key = app
        .post(
            MED,
            &api(&format!("/texts/{d}/points")),
            json!({"title": "Typed", "body": WORDING}),
        )
        .await
        .json()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let b = app.browser(MED).await;
    let page = app.page(&b, &ui(&format!("/texts/{d}"))).await;
    assert_eq!(page.status, StatusCode::OK);
    // The textarea holds the wording exactly (after the newline HTML drops).
    assert!(
        page.text.contains(&format!(
            "class=\"point-wording\">\n{}</textarea>",
            escaped(WORDING)
        )),
        "textarea does not hold the wording"
    );
    // The wording is shown with its line breaks (pre-wrap), escaped.
    assert!(page
        .text
        .contains(&format!("<p class=\"point-body\">{}</p>", escaped(WORDING))));
    let token = csrf_of(&page.text);
    // A browser submits line breaks as CRLF; the stored wording is the typed one.
    let typed = WORDING.replace('\n', "\r\n");
    let r = app
        .form(
            &b,
            &ui(&format!("/texts/{d}/points/{key}")),
            &[
                ("_csrf", token.as_str()),
                ("title", "Typed again"),
                ("body", typed.as_str()),
                ("issue_ids", "nato_membership"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let t = text(&app, &d).await;
    assert_eq!(wording(&t, &key), WORDING);
    // Without the token nothing changes.
    let r = app
        .form(
            &b,
            &ui(&format!("/texts/{d}/points/{key}")),
            &[("title", "x"), ("body", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(text(&app, &d).await, t);
    // Merge with next and split at a paragraph through the buttons' forms.
    let ks = keys(&t);
    let r = app
        .form(
            &b,
            &ui(&format!("/texts/{d}/points/{}/merge", ks[0])),
            &[("_csrf", token.as_str()), ("with", ks[1].as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = app
        .form(
            &b,
            &ui(&format!("/texts/{d}/points/{key}/split")),
            &[("_csrf", token.as_str()), ("paragraph", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let t = text(&app, &d).await;
    let i = keys(&t).iter().position(|k| k == &key).unwrap();
    let next = &keys(&t)[i + 1];
    assert_eq!(
        format!("{}\n\n{}", wording(&t, &key), wording(&t, next)),
        WORDING
    );
    // A delegate has no point editor and cannot post to it.
    let rb = app.browser(RU).await;
    let p = app.page(&rb, &ui(&format!("/texts/{v2_id}"))).await;
    assert!(!p.text.contains("point-editor"));
}

#[tokio::test]
async fn a_new_draft_starts_empty_or_from_a_published_version() {
    let app = start().await;
    let v2 = app.id("text", V2);
    // Over the API: a label alone makes an empty draft.
    let a = app
        .post(MED, &api("/texts"), json!({"label": "Blank draft"}))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let blank = a.json();
    assert_eq!(blank["body"]["points"], json!([]));
    assert_eq!(blank["body"]["status"], "draft");
    let blank_id = blank["id"].as_str().unwrap().to_string();
    // A draft is edited, not revised.
    let a = app
        .post(
            MED,
            &api(&format!("/texts/{blank_id}/revise")),
            json!({"label": "Copy"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert!(a.text.contains("is a draft"), "{}", a.text);

    // In the browser: the page offers an empty draft or a published
    // version, never a draft, and no line-per-point box.
    let b = app.browser(MED).await;
    let page = app.page(&b, &ui("/texts/new")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(r#"id="from-empty""#));
    assert!(page.text.contains(&format!(r#"id="from-{v2}""#)));
    assert!(!page.text.contains(&format!(r#"id="from-{blank_id}""#)));
    assert!(!page.text.contains("key | title"));
    let token = csrf_of(&page.text);

    // An empty draft with a first point of several paragraphs, typed with
    // the browser's CRLF line breaks: stored as typed.
    let typed = WORDING.replace('\n', "\r\n");
    let r = app
        .form(
            &b,
            &ui("/texts"),
            &[
                ("_csrf", token.as_str()),
                ("label", "Fresh draft"),
                ("from", ""),
                ("title", "Opening"),
                ("body", typed.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.location.clone().unwrap();
    assert!(to.ends_with("?done=draft"), "{to}");
    let fresh_id = to.split('?').next().unwrap().rsplit('/').next().unwrap();
    let fresh = text(&app, fresh_id).await;
    assert_eq!(fresh["body"]["label"], "Fresh draft");
    assert!(fresh["body"]["derived_from_text_id"].is_null());
    let pts = points_of(&fresh);
    assert_eq!(pts.len(), 1);
    assert_eq!(pts[0].1, WORDING);

    // Wording without a title is refused naming the title; what was typed
    // comes back in the form.
    let r = app
        .form(
            &b,
            &ui("/texts"),
            &[
                ("_csrf", token.as_str()),
                ("label", "No title"),
                ("title", ""),
                ("body", "Only <wording>"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(r#"data-field="title""#), "{}", r.text);
    assert!(r.text.contains("Only &lt;wording&gt;</textarea>"));
    // Starting from a draft is refused naming the field.
    let r = app
        .form(
            &b,
            &ui("/texts"),
            &[
                ("_csrf", token.as_str()),
                ("label", "From a draft"),
                ("from", blank_id.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(r#"data-field="from""#), "{}", r.text);

    // From a published version, with a point added after its points.
    let r = app
        .form(
            &b,
            &ui("/texts"),
            &[
                ("_csrf", token.as_str()),
                ("label", "v3"),
                ("from", v2.as_str()),
                ("title", "Added"),
                ("body", "New wording"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.location.clone().unwrap();
    let v3_id = to.split('?').next().unwrap().rsplit('/').next().unwrap();
    let v3 = text(&app, v3_id).await;
    assert_eq!(v3["body"]["derived_from_text_id"], v2.as_str());
    let ks = keys(&v3);
    assert_eq!(
        ks[..4],
        [
            "armed_forces_cap",
            "nato_membership",
            "territorial_concessions",
            "donetsk_withdrawal"
        ]
    );
    assert_eq!(ks.len(), 5);
    assert_eq!(wording(&v3, &ks[4]), "New wording");

    // Renaming keeps every point as it was.
    let page = app.page(&b, &ui(&format!("/texts/{fresh_id}"))).await;
    assert!(
        !page.text.contains(r#"id="revise-form""#),
        "a draft offers revise"
    );
    let r = app
        .form(
            &b,
            &ui(&format!("/texts/{fresh_id}/label")),
            &[("_csrf", token.as_str()), ("label", "Renamed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let renamed = text(&app, fresh_id).await;
    assert_eq!(renamed["body"]["label"], "Renamed");
    assert_eq!(renamed["body"]["points"], fresh["body"]["points"]);

    // A published version offers revise; a delegate has no new-draft page.
    let page = app.page(&b, &ui(&format!("/texts/{v2}"))).await;
    assert!(page.text.contains(r#"id="revise-form""#));
    let rb = app.browser(RU).await;
    assert_eq!(
        app.page(&rb, &ui("/texts/new")).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A stance input by `party` about an issue.
fn stance(party: &str, summary: &str, visibility: Option<Value>) -> Value {
    let mut s = json!({
        "party_id": party,
        "target": {"issue_id": "nato_membership"},
        "stance": "rejects",
        "summary": summary,
        "provenance": {"source": "delegation", "reliability": "own_delegation"},
    });
    if let Some(v) = visibility {
        s["visibility"] = v;
    }
    s
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn matrix_has(m: &Value, stance_id: &str) -> bool {
    m.to_string().contains(stance_id)
}

#[tokio::test]
async fn edit_and_withdraw_keep_history_and_obey_who_wrote_it() {
    let app = start().await;
    let v2_id = app.id("text", V2);
    let r = app
        .post(RU, &api("/stances"), stance(RU, "No NATO", None))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let s = r.json()["id"].as_str().unwrap().to_string();
    let path = api(&format!("/stances/{s}"));

    // The party corrects its own stance.
    let r = app.put(RU, &path, stance(RU, "No NATO, ever", None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["body"]["summary"], "No NATO, ever");
    // Its default audience stayed: Ukraine cannot see it, so cannot edit it.
    assert_eq!(
        app.put(UA, &path, stance(UA, "x", None)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(UA, &format!("{path}/history")).await.status,
        StatusCode::NOT_FOUND
    );
    // The mediator sees it but did not record it.
    assert_eq!(
        app.put(MED, &path, stance(RU, "x", None)).await.status,
        StatusCode::FORBIDDEN
    );

    // A room-wide stance: Ukraine sees it and still may not change it.
    let wide = app
        .post(
            RU,
            &api("/stances"),
            stance(RU, "Public", Some(json!({"scope": "room"}))),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let wpath = api(&format!("/stances/{wide}"));
    assert_eq!(app.get(UA, &wpath).await.status, StatusCode::OK);
    assert_eq!(
        app.put(UA, &wpath, stance(UA, "x", None)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(UA, &format!("{wpath}/withdraw"), json!({"reason": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // v2's matrix shows the stance (through the point on its issue) until
    // it is withdrawn.
    let m = app
        .get(RU, &api(&format!("/texts/{v2_id}/matrix")))
        .await
        .json();
    assert!(matrix_has(&m, &s));
    let r = app
        .post(
            RU,
            &format!("{path}/withdraw"),
            json!({"reason": "misreported"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = &r.json()["body"];
    assert_eq!(body["withdrawn"]["reason"], "misreported");
    assert_eq!(body["withdrawn"]["by"], "russia");
    assert_eq!(body["summary"], "No NATO, ever", "withdrawn, not erased");
    let m = app
        .get(RU, &api(&format!("/texts/{v2_id}/matrix")))
        .await
        .json();
    assert!(!matrix_has(&m, &s), "a withdrawn stance left the matrix");
    let listed = app.get(RU, &api("/stances")).await.json();
    let item = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == s.as_str())
        .expect("still listed");
    assert!(item["body"]["withdrawn"].is_object());
    let rb = app.browser(RU).await;
    let page = app.page(&rb, &ui("/stances")).await;
    let row = &page.text[page
        .text
        .find(&format!("id=\"stance-{s}\""))
        .expect("listed on the page")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("status-withdrawn"), "{row}");
    // A withdrawn record stays as it was.
    assert_eq!(
        app.put(RU, &path, stance(RU, "again", None)).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.post(RU, &format!("{path}/withdraw"), json!({"reason": "x"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    // A reason is required.
    let r = app
        .post(RU, &format!("{wpath}/withdraw"), json!({"reason": " "}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "reason");

    // The history: every revision, who, what.
    let h = app.get(RU, &format!("{path}/history")).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    let revs: Vec<(i64, String, String, String)> = h.json()["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap(),
                r["actor"].as_str().unwrap().to_string(),
                r["action"].as_str().unwrap().to_string(),
                r["body"]["summary"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let who = "russia".to_string();
    assert_eq!(
        revs,
        [
            (1, who.clone(), "stance.create".into(), "No NATO".into()),
            (2, who.clone(), "stance.edit".into(), "No NATO, ever".into()),
            (3, who, "stance.withdraw".into(), "No NATO, ever".into()),
        ]
    );
    // The audit says so.
    let audit = app.get(MED, &api("/audit?limit=1000")).await.json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["record_id"] == s.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"stance.edit") && actions.contains(&"stance.withdraw"));

    // Meetings: the mediator corrects them; a closed meeting's scope holds.
    let meeting = json!({
        "title": "Consultation", "place": "Geneva", "participants": [RU],
        "confidentiality": "closed",
    });
    let r = app.post(MED, &api("/meetings"), meeting.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mt = r.json()["id"].as_str().unwrap().to_string();
    let mut corrected = meeting;
    corrected["title"] = json!("Consultation (corrected)");
    let mpath = api(&format!("/meetings/{mt}"));
    assert_eq!(
        app.put(RU, &mpath, corrected.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.put(MED, &mpath, corrected).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["body"]["title"], "Consultation (corrected)");
    assert_eq!(app.get(UA, &mpath).await.status, StatusCode::NOT_FOUND);
    let h = app.get(RU, &format!("{mpath}/history")).await.json();
    let actors: Vec<&str> = h["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["actor"].as_str().unwrap())
        .collect();
    // Russia is told the writer's party, not the mediator's login.
    assert_eq!(actors, [MED, MED]);

    // Notes: the author's party corrects and withdraws them; the UI too.
    let n = app
        .post(UA, &api("/notes"), json!({"text": "line one\nline two"}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = app.browser(UA).await;
    let page = app.page(&b, &ui(&format!("/records/notes/{n}"))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("edit-form") && page.text.contains("withdraw-form"));
    let token = csrf_of(&page.text);
    let r = app
        .form(
            &b,
            &ui(&format!("/records/notes/{n}/edit")),
            &[("_csrf", &token), ("text", "line one\r\nline 2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let note = app.get(UA, &api(&format!("/notes/{n}"))).await.json();
    assert_eq!(note["body"]["text"], "line one\nline 2");
    let r = app
        .form(
            &b,
            &ui(&format!("/records/notes/{n}/withdraw")),
            &[("_csrf", &token), ("reason", "obsolete")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.page(&b, &ui(&format!("/records/notes/{n}"))).await;
    assert!(page.text.contains("withdrawn-mark") && page.text.contains("revision-3"));
    // Russia cannot see Ukraine's note, nor its page.
    let rb = app.browser(RU).await;
    assert_eq!(
        app.page(&rb, &ui(&format!("/records/notes/{n}")))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn narrowing_hides_at_once_and_widening_needs_confirmation() {
    let app = start().await;
    let v2_id = app.id("text", V2);
    let s = app
        .post(
            RU,
            &api("/stances"),
            stance(RU, "Seen by all", Some(json!({"scope": "room"}))),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = api(&format!("/stances/{s}"));
    let count = |room: &Value| room["counts"]["stance"].as_u64().unwrap();

    // Every view Ukraine has shows it now.
    assert_eq!(app.get(UA, &path).await.status, StatusCode::OK);
    assert!(ids(&app.get(UA, &api("/stances")).await.json()).contains(&s));
    assert!(app.get(UA, &api("/export")).await.text.contains(&s));
    assert!(matrix_has(
        &app.get(UA, &api(&format!("/texts/{v2_id}/matrix")))
            .await
            .json(),
        &s
    ));

    // The pages and the briefing too (the summary is the test's marker).
    let ua_browser = app.browser(UA).await;
    let ui_views = [ui("/stances"), ui("/briefing?format=html")];
    for v in &ui_views {
        let p = app.page(&ua_browser, v).await;
        assert!(p.text.contains("Seen by all"), "{v} before narrowing");
    }

    // A meeting a room-wide stance names cannot be narrowed under it (the
    // stance would carry its id to those it leaves out).
    let mt = app
        .post(
            MED,
            &api("/meetings"),
            json!({"title": "Open talks", "place": "Doha", "participants": [RU, UA],
                   "confidentiality": "open"}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut at_meeting = stance(RU, "Said at the talks", Some(json!({"scope": "room"})));
    at_meeting["meeting_id"] = json!(mt);
    assert_eq!(
        app.post(RU, &api("/stances"), at_meeting).await.status,
        StatusCode::CREATED
    );
    let r = app
        .post(
            MED,
            &api(&format!("/meetings/{mt}/visibility")),
            json!({"visibility": {"scope": "parties", "parties": [RU]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["field"], "visibility");
    assert_eq!(
        app.get(UA, &api(&format!("/meetings/{mt}"))).await.status,
        StatusCode::OK
    );
    let ua_count = count(&app.get(UA, &api("")).await.json());

    // Only the mediator re-scopes.
    let narrow = json!({"visibility": {"scope": "party_and_mediator", "party": RU}});
    assert_eq!(
        app.post(RU, &format!("{path}/visibility"), narrow.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app.post(MED, &format!("{path}/visibility"), narrow).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Ukraine and the observer lose it at once, everywhere.
    for party in [UA, EU] {
        assert_eq!(app.get(party, &path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get(party, &format!("{path}/history")).await.status,
            StatusCode::NOT_FOUND
        );
        assert!(!app.get(party, &api("/stances")).await.text.contains(&s));
        assert!(!app.get(party, &api("/export")).await.text.contains(&s));
        assert!(!app
            .get(party, &api(&format!("/texts/{v2_id}/matrix")))
            .await
            .text
            .contains(&s));
    }
    for v in &ui_views {
        let p = app.page(&ua_browser, v).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.text.contains("Seen by all"), "{v} after narrowing");
    }
    assert_eq!(count(&app.get(UA, &api("")).await.json()), ua_count - 1);
    assert_eq!(app.get(RU, &path).await.status, StatusCode::OK);

    // Widening without confirmation: 409 saying who would see it.
    let widen = json!({"visibility": {"scope": "room"}});
    let r = app
        .post(MED, &format!("{path}/visibility"), widen.clone())
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text.contains("Ukraine") && r.text.contains("confirm"),
        "{}",
        r.text
    );
    assert_eq!(app.get(UA, &path).await.status, StatusCode::NOT_FOUND);
    // A scope naming another party's private space is refused.
    let r = app
        .post(
            MED,
            &format!("{path}/visibility"),
            json!({"visibility": {"scope": "party", "party": RU}, "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut confirmed = widen;
    confirmed["confirm"] = json!(true);
    let r = app
        .post(MED, &format!("{path}/visibility"), confirmed)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get(UA, &path).await.status, StatusCode::OK);

    // Both audited, old → new.
    let audit = app.get(MED, &api("/audit?limit=1000")).await.json();
    let entries: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["record_id"] == s.as_str())
        .filter(|e| e["action"].as_str().unwrap().starts_with("visibility."))
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "visibility.narrow".to_string(),
                "whole room → russia + mediator".to_string()
            ),
            (
                "visibility.widen".to_string(),
                "russia + mediator → whole room".to_string()
            ),
        ]
    );

    // In the browser: narrowing at once, widening on a second page.
    let b = app.browser(MED).await;
    let page = app.page(&b, &ui(&format!("/records/stances/{s}"))).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = csrf_of(&page.text);
    let vis = ui(&format!("/records/stances/{s}/visibility"));
    let r = app
        .form(&b, &vis, &[("_csrf", &token), ("visibility", "mediator")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(app.get(RU, &path).await.status, StatusCode::NOT_FOUND);
    let r = app
        .form(&b, &vis, &[("_csrf", &token), ("visibility", "room")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "the confirmation page");
    assert!(r.text.contains("confirm-form") && r.text.contains("Russia"));
    assert_eq!(app.get(RU, &path).await.status, StatusCode::NOT_FOUND);
    let r = app
        .form(
            &b,
            &vis,
            &[
                ("_csrf", &token),
                ("visibility", "room"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(r.location.is_some());
    assert_eq!(app.get(RU, &path).await.status, StatusCode::OK);
}
