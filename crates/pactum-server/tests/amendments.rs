//! Amendments and comments over real HTTP, on SQLite and (with
//! `PACTUM_TEST_DATABASE_URL`) PostgreSQL.
//!
//! Each party tables amendments and writes comment threads of every
//! audience, each carrying a planted marker; the test's own oracle says
//! who may see each marker and id. Every party then reads every list, page,
//! matrix, export and id: a marker or id never reaches a party outside its
//! audience, lists hold exactly what the party may see, and a hidden id
//! answers byte for byte as a missing one. Then: a reply has its thread's
//! visibility; the mediator incorporates amendments into a draft and the
//! redline names each change's amendment (to those who may see it); a
//! stance that proposed wording, in a room from before amendments, becomes
//! an amendment with its stance at import and at server start
//! (idempotently, audited); and a mediator's export imports back to the
//! same room.

mod common;

use common::TestDb;
use pactum_server::AppState;
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const ROOM: &str = "peace-plan-2025";
const MED: &str = "united_states";
const RU: &str = "russia";
const UA: &str = "ukraine";
const EU: &str = "european_states";
const PARTIES: [&str; 4] = [MED, RU, UA, EU];

struct App {
    base: String,
    http: Client,
    tokens: BTreeMap<String, String>,
    ids: pactum_workspace::case::IdMap,
}

struct Answer {
    status: StatusCode,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

async fn start(db: &TestDb) -> App {
    let demo = pactum_server::load_demo(db.store.as_ref()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(
        AppState::new(db.store.clone()),
        listener,
    ));
    let base = format!("http://{addr}");
    let http = Client::builder().redirect(Policy::none()).build().unwrap();
    let mut tokens = BTreeMap::new();
    for party in PARTIES {
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
    }
}

impl App {
    fn id(&self, kind: &str, file_id: &str) -> String {
        self.ids.get(kind, file_id).unwrap().to_string()
    }

    async fn call(&self, party: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[party]);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        Answer {
            status: res.status(),
            text: res.text().await.unwrap(),
        }
    }

    async fn get(&self, party: &str, path: &str) -> Answer {
        self.call(party, Method::GET, path, None).await
    }

    async fn post(&self, party: &str, path: &str, body: Value) -> Answer {
        self.call(party, Method::POST, path, Some(body)).await
    }

    /// A POST that must create; the created record.
    async fn create(&self, party: &str, path: &str, body: Value) -> Value {
        let a = self.post(party, path, body).await;
        assert_eq!(
            a.status,
            StatusCode::CREATED,
            "{party} POST {path}: {}",
            a.text
        );
        a.json()
    }

    /// A browser signed in as `party`'s demo user, and a CSRF token.
    async fn browser(&self, party: &str) -> (Client, String) {
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
        let html = c
            .get(format!("{}{}", self.base, ui("")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = r#"name="_csrf" value=""#;
        let at = html.find(marker).expect("a CSRF token") + marker.len();
        let token = html[at..].split('"').next().unwrap().to_string();
        (c, token)
    }

    async fn form(&self, c: &Client, path: &str, form: &[(&str, &str)]) -> Answer {
        let res = c
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        Answer {
            status: res.status(),
            text: res.text().await.unwrap(),
        }
    }
}

fn api(rest: &str) -> String {
    format!("/api/rooms/{ROOM}{rest}")
}

fn ui(rest: &str) -> String {
    format!("/rooms/{ROOM}{rest}")
}

fn marker(tag: &str) -> String {
    format!("AMSECRET-{tag}-9c1e")
}

fn set(ps: &[&str]) -> BTreeSet<String> {
    ps.iter().map(|p| p.to_string()).collect()
}

fn pm(party: &str) -> Value {
    json!({"scope": "party_and_mediator", "party": party})
}

fn own(party: &str) -> Value {
    json!({"scope": "party", "party": party})
}

/// What the test planted and who may see it.
#[derive(Default)]
struct Oracle {
    /// Marker or record id → its audience.
    secrets: Vec<(String, BTreeSet<String>)>,
    /// Amendment and comment ids → audience.
    records: Vec<(&'static str, String, BTreeSet<String>)>,
}

impl Oracle {
    fn plant(&mut self, s: &str, audience: &BTreeSet<String>) {
        self.secrets.push((s.to_string(), audience.clone()));
    }

    fn record(&mut self, kind: &'static str, id: &str, audience: &BTreeSet<String>) {
        self.plant(id, audience);
        self.records.push((kind, id.to_string(), audience.clone()));
    }

    /// Fails when `text` carries anything `party` may not see.
    fn check(&self, party: &str, what: &str, text: &str) {
        for (s, audience) in &self.secrets {
            if !audience.contains(party) {
                assert!(
                    !text.contains(s.as_str()),
                    "{party}: {what} carries {s}, which only {audience:?} may see"
                );
            }
        }
    }
}

/// Tables an amendment and plants its markers.
#[allow(clippy::too_many_arguments)]
async fn table(
    app: &App,
    o: &mut Oracle,
    by: &str,
    body: Value,
    audience: &[&str],
    tag: &str,
) -> String {
    let mut body = body;
    let m = marker(tag);
    body["justification"] = json!(format!("because {m}"));
    let v = app.create(by, &api("/amendments"), body).await;
    assert_eq!(v["body"]["status"], "tabled");
    let id = v["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("am_"), "{id}");
    o.plant(&m, &set(audience));
    o.record("amendment", &id, &set(audience));
    id
}

async fn confidentiality(app: &App) {
    let v1 = app.id("text", "v1_28_point_plan");
    let p1 = app.id("point", "v1.p01");
    let p2 = app.id("point", "v1.p02");
    let mut o = Oracle::default();
    let base = |party: &str, action: &str, wording: Option<&str>, vis: Value| {
        let mut b = json!({"party_id": party, "text_id": v1, "point_id": p1, "action": action,
                           "justification": "x", "visibility": vis, "title": "New clause"});
        if let Some(w) = wording {
            b["wording"] = json!(w);
        }
        b
    };

    let m = marker("UA-PRIVATE-WORDING");
    let ua_private = table(
        app,
        &mut o,
        UA,
        base(UA, "replace", Some(&m), own(UA)),
        &[UA],
        "UA-PRIVATE",
    )
    .await;
    o.plant(&m, &set(&[UA]));
    let m = marker("RU-PM-WORDING");
    let ru_pm = table(
        app,
        &mut o,
        RU,
        base(RU, "insert_after", Some(&m), pm(RU)),
        &[RU, MED],
        "RU-PM",
    )
    .await;
    o.plant(&m, &set(&[RU, MED]));
    // Europe observes: it tables nothing.
    let a = app
        .post(EU, &api("/amendments"), base(EU, "delete", None, pm(EU)))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    // The mediator tables for Ukraine, and must say who reported it.
    let mut eu = base(UA, "delete", None, pm(UA));
    eu["justification"] = json!("y");
    let a = app.post(MED, &api("/amendments"), eu.clone()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.json()["field"], "provenance");
    eu["provenance"] = json!({"source": "EU envoy", "reliability": "official_on_record"});
    let eu_pm = table(app, &mut o, MED, eu, &[UA, MED], "UA-BY-MED").await;
    let m = marker("RU-ROOM-WORDING");
    let mut room_wide = base(RU, "replace", Some(&m), json!({"scope": "room"}));
    room_wide["point_id"] = json!(p2);
    let ru_room = table(app, &mut o, RU, room_wide, &PARTIES, "RU-ROOM").await;
    o.plant(&m, &set(&PARTIES));

    // Refusals: another party's amendment, a point the version lacks, a
    // deletion with wording, an audience that leaves the tabler out.
    let a = app
        .post(
            UA,
            &api("/amendments"),
            base(RU, "replace", Some("w"), pm(RU)),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    let mut bad = base(UA, "replace", Some("w"), pm(UA));
    bad["point_id"] = json!("nope");
    let a = app.post(UA, &api("/amendments"), bad).await;
    assert_eq!(a.json()["field"], "point_id", "{}", a.text);
    let a = app
        .post(
            UA,
            &api("/amendments"),
            base(UA, "delete", Some("w"), pm(UA)),
        )
        .await;
    assert_eq!(a.json()["field"], "wording", "{}", a.text);
    let a = app
        .post(
            UA,
            &api("/amendments"),
            base(UA, "replace", Some("w"), own(RU)),
        )
        .await;
    assert_eq!(a.json()["field"], "visibility", "{}", a.text);

    // Stances on amendments: Ukraine's on Russia's room-wide one, for the
    // mediator only besides itself; nobody's on a hidden one.
    let m = marker("UA-STANCE-ON-AMENDMENT");
    let stance = |party: &str, am: &str, summary: &str| {
        json!({"party_id": party, "target": {"amendment_id": am}, "stance": "rejects",
               "summary": summary, "provenance": {"source": "delegation", "reliability": "own_delegation"}})
    };
    let s = app
        .create(UA, &api("/stances"), stance(UA, &ru_room, &m))
        .await;
    o.plant(&m, &set(&[UA, MED]));
    o.plant(s["id"].as_str().unwrap(), &set(&[UA, MED]));
    let a = app
        .post(RU, &api("/stances"), stance(RU, &ua_private, "x"))
        .await;
    let missing = app
        .post(RU, &api("/stances"), stance(RU, "am_000000000000", "x"))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        a.text.replace(&ua_private, "ID"),
        missing.text.replace("am_000000000000", "ID"),
        "a hidden amendment is refused as a missing one"
    );

    // Comment threads: Ukraine's internal thread, Russia's with the
    // mediator (and the mediator's reply), a room-wide thread on the
    // version, a thread on Russia's amendment.
    let comment = |o: &mut Oracle, id: &str, tag: &str, audience: &[&str]| {
        let m = marker(tag);
        o.plant(&m, &set(audience));
        o.record("comment", id, &set(audience));
        m
    };
    let m = marker("UA-INTERNAL");
    let c = app
        .create(
            UA,
            &api("/comments"),
            json!({"target": {"point_id": p1}, "body": m, "visibility": own(UA)}),
        )
        .await;
    let ua_thread = c["id"].as_str().unwrap().to_string();
    comment(&mut o, &ua_thread, "UA-INTERNAL", &[UA]);
    let m = marker("RU-WITH-MEDIATOR");
    let c = app
        .create(
            RU,
            &api("/comments"),
            json!({"target": {"point_id": p1}, "body": m}),
        )
        .await;
    let ru_thread = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        c["visibility"],
        pm(RU),
        "a party's thread is with the mediator by default"
    );
    comment(&mut o, &ru_thread, "RU-WITH-MEDIATOR", &[RU, MED]);
    let m = marker("MED-REPLY");
    let c = app
        .create(
            MED,
            &api("/comments"),
            json!({"reply_to_comment_id": ru_thread, "body": m}),
        )
        .await;
    assert_eq!(
        c["visibility"],
        pm(RU),
        "a reply has its thread's visibility"
    );
    assert_eq!(c["body"]["reply_to_comment_id"], json!(ru_thread));
    let reply = c["id"].as_str().unwrap().to_string();
    comment(&mut o, &reply, "MED-REPLY", &[RU, MED]);
    // A reply may not choose another audience, wider or narrower.
    for v in [json!({"scope": "room"}), json!({"scope": "mediator"})] {
        let a = app
            .post(
                MED,
                &api("/comments"),
                json!({"reply_to_comment_id": ru_thread, "body": "x", "visibility": v}),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.json()["field"], "visibility");
    }
    // Replying to a thread one may not see is replying to nothing.
    let a = app
        .post(
            RU,
            &api("/comments"),
            json!({"reply_to_comment_id": ua_thread, "body": "x"}),
        )
        .await;
    let b = app
        .post(
            RU,
            &api("/comments"),
            json!({"reply_to_comment_id": "cm_000000000000", "body": "x"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        a.text.replace(&ua_thread, "ID"),
        b.text.replace("cm_000000000000", "ID")
    );
    let m = marker("ROOM-THREAD");
    let c = app
        .create(
            RU,
            &api("/comments"),
            json!({"target": {"text_id": v1}, "body": m, "visibility": {"scope": "room"}}),
        )
        .await;
    let room_thread = c["id"].as_str().unwrap().to_string();
    comment(&mut o, &room_thread, "ROOM-THREAD", &PARTIES);
    let m = marker("UA-ON-RU-AMENDMENT");
    let c = app
        .create(
            UA,
            &api("/comments"),
            json!({"target": {"amendment_id": ru_room}, "body": m}),
        )
        .await;
    let on_am = c["id"].as_str().unwrap().to_string();
    comment(&mut o, &on_am, "UA-ON-RU-AMENDMENT", &[UA, MED]);
    // Resolve and reopen.
    let a = app
        .post(
            RU,
            &api(&format!("/comments/{ru_thread}/resolve")),
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["body"]["resolved"], true);
    let a = app
        .post(RU, &api(&format!("/comments/{reply}/resolve")), json!({}))
        .await;
    assert_eq!(
        a.json()["field"],
        "comment",
        "a thread is resolved on its first comment"
    );
    let a = app
        .post(
            UA,
            &api(&format!("/comments/{ru_thread}/resolve")),
            json!({"resolved": false}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // Every party reads everything.
    let nf = app.get(UA, &api("/amendments/am_000000000000")).await;
    assert_eq!(nf.status, StatusCode::NOT_FOUND);
    for party in PARTIES {
        let mut paths = vec![
            api("/amendments"),
            api(&format!("/amendments?text={v1}")),
            api(&format!("/amendments?point={p1}")),
            api("/comments"),
            api(&format!("/comments?point={p1}")),
            api("/stances"),
            api("/export"),
            api(&format!("/texts/{v1}/matrix")),
            api("/timeline"),
            ui(&format!("/texts/{v1}")),
            ui("/stances"),
            ui(""),
        ];
        for (_, id, _) in &o.records {
            paths.push(ui(&format!("/amendments/{id}")));
        }
        for path in &paths {
            let a = app.get(party, path).await;
            assert!(
                !a.status.is_server_error(),
                "{party} GET {path}: {}",
                a.text
            );
            o.check(party, &format!("GET {path}"), &a.text);
        }
        // Lists and counts: exactly what the party may see.
        for (kind, coll) in [("amendment", "amendments"), ("comment", "comments")] {
            let want: BTreeSet<String> = o
                .records
                .iter()
                .filter(|(k, _, aud)| *k == kind && aud.contains(party))
                .map(|(_, id, _)| id.clone())
                .collect();
            let got: BTreeSet<String> = app
                .get(party, &api(&format!("/{coll}")))
                .await
                .json()
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(got, want, "{party}: list of {coll}");
            let export = app.get(party, &api("/export")).await.json();
            let exported: BTreeSet<String> = export[coll]
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|r| r["id"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(exported, want, "{party}: {coll} in the export");
        }
        // By id: a hidden one answers as a missing one, byte for byte.
        for (kind, id, audience) in &o.records {
            let coll = if *kind == "amendment" {
                "amendments"
            } else {
                "comments"
            };
            let a = app.get(party, &api(&format!("/{coll}/{id}"))).await;
            if audience.contains(party) {
                assert_eq!(a.status, StatusCode::OK, "{party} reads {id}");
            } else {
                assert_eq!(
                    (a.status, a.text.as_str()),
                    (nf.status, nf.text.as_str()),
                    "{party} reads hidden {id}"
                );
            }
            if *kind == "amendment" {
                let page = app.get(party, &ui(&format!("/amendments/{id}"))).await;
                let missing = app.get(party, &ui("/amendments/am_000000000000")).await;
                if audience.contains(party) {
                    assert_eq!(page.status, StatusCode::OK, "{party} page of {id}");
                } else {
                    assert_eq!(
                        page.status,
                        StatusCode::NOT_FOUND,
                        "{party} page of hidden {id}"
                    );
                    assert_eq!(
                        page.text, missing.text,
                        "{party}: hidden page unlike a missing one"
                    );
                }
            }
        }
    }

    // The text page shows, under the point, the amendments and threads the
    // viewer may see; the amendment rows of the matrix too.
    let page = app.get(RU, &ui(&format!("/texts/{v1}"))).await.text;
    assert!(
        page.contains(&format!("data-amendment=\"{ru_pm}\"")),
        "Russia sees its amendment"
    );
    assert!(page.contains(&format!("data-thread=\"{ru_thread}\"")));
    assert!(page.contains("id=\"amendment-stance-matrix\""));
    let page = app.get(MED, &ui(&format!("/texts/{v1}"))).await.text;
    assert!(page.contains(&format!("data-amendment=\"{eu_pm}\"")));
    assert!(page.contains("data-stance=\"rejects\""));

    // Statuses: Ukraine may withdraw its own, not decide Russia's; the
    // mediator considers, rejects, supersedes.
    let status = |s: &str| json!({"status": s});
    let a = app
        .post(
            UA,
            &api(&format!("/amendments/{ru_room}/status")),
            status("rejected"),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    let a = app
        .post(
            UA,
            &api(&format!("/amendments/{ua_private}/status")),
            status("under_consideration"),
        )
        .await;
    assert_eq!(a.json()["field"], "status", "{}", a.text);
    let a = app
        .post(
            UA,
            &api(&format!("/amendments/{ua_private}/status")),
            status("withdrawn"),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = app
        .post(
            MED,
            &api(&format!("/amendments/{ua_private}/status")),
            status("withdrawn"),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::NOT_FOUND,
        "the mediator cannot see Ukraine's own"
    );
    let a = app
        .post(
            MED,
            &api(&format!("/amendments/{ru_pm}/status")),
            status("under_consideration"),
        )
        .await;
    assert_eq!(
        a.json()["body"]["status"],
        "under_consideration",
        "{}",
        a.text
    );
    let a = app
        .post(
            MED,
            &api(&format!("/amendments/{ru_pm}/status")),
            json!({"status": "superseded", "superseded_by_amendment_id": ru_room}),
        )
        .await;
    assert_eq!(
        a.json()["body"]["superseded_by_amendment_id"],
        json!(ru_room),
        "{}",
        a.text
    );
    // Superseded by an amendment Russia cannot see would name it to Russia.
    let a = app
        .post(
            MED,
            &api(&format!("/amendments/{ru_room}/status")),
            json!({"status": "superseded", "superseded_by_amendment_id": eu_pm}),
        )
        .await;
    assert_eq!(
        a.json()["field"],
        "superseded_by_amendment_id",
        "{}",
        a.text
    );
    let a = app
        .post(
            MED,
            &api(&format!("/amendments/{ru_room}/status")),
            status("incorporated"),
        )
        .await;
    assert_eq!(a.json()["field"], "status", "{}", a.text);

    // Browser forms: the CSRF token is required.
    let (c, token) = app.browser(UA).await;
    let fields = |t: &str| {
        vec![
            ("_csrf", t.to_string()),
            ("text_id", v1.clone()),
            ("point_id", p2.clone()),
            ("action", "replace".into()),
            ("wording", "Form wording".into()),
            ("justification", "Form reason".into()),
            ("visibility", "default".into()),
        ]
    };
    let without: Vec<(&str, String)> = fields("")
        .into_iter()
        .filter(|(k, _)| *k != "_csrf")
        .collect();
    let without: Vec<(&str, &str)> = without.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = app.form(&c, &ui("/amendments"), &without).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "no CSRF token");
    let with = fields(&token);
    let with: Vec<(&str, &str)> = with.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = app.form(&c, &ui("/amendments"), &with).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let a = app
        .form(
            &c,
            &ui("/comments"),
            &[
                ("_csrf", token.as_str()),
                ("on", &format!("point:{p2}")),
                ("body", "Form comment"),
                ("visibility", &format!("pm:{UA}")),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let a = app
        .form(
            &c,
            &ui("/comments"),
            &[("on", &format!("point:{p2}")), ("body", "x")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let page = app.get(UA, &ui(&format!("/texts/{v1}"))).await.text;
    assert!(page.contains("Form wording") && page.contains("Form comment"));
}

async fn incorporation(app: &App) {
    let v2 = app.id("text", "v2_post_geneva");
    let point = |k: &str| format!("{}.{k}", v2);
    let draft = app
        .create(
            MED,
            &api(&format!("/texts/{v2}/revise")),
            json!({"label": "v3 draft"}),
        )
        .await;
    let draft = draft["id"].as_str().unwrap().to_string();
    let am = |party: &str, key: &str, action: &str, wording: Option<&str>, vis: Value| {
        let mut b = json!({"party_id": party, "text_id": v2, "point_id": point(key), "action": action,
                           "justification": "why", "visibility": vis, "title": "New point"});
        if let Some(w) = wording {
            b["wording"] = json!(w);
        }
        b
    };
    let ua = app
        .create(
            UA,
            &api("/amendments"),
            am(
                UA,
                "armed_forces_cap",
                "replace",
                Some("A cap of 800,000."),
                json!({"scope": "room"}),
            ),
        )
        .await;
    let ru = app
        .create(
            RU,
            &api("/amendments"),
            am(RU, "nato_membership", "delete", None, pm(RU)),
        )
        .await;
    let eu = app
        .create(
            UA,
            &api("/amendments"),
            am(
                UA,
                "territorial_concessions",
                "insert_after",
                Some("Inserted by Europe."),
                json!({"scope": "room"}),
            ),
        )
        .await;
    let (ua, ru, eu) = (
        ua["id"].as_str().unwrap(),
        ru["id"].as_str().unwrap(),
        eu["id"].as_str().unwrap(),
    );

    // The draft page lists them to incorporate.
    let page = app.get(MED, &ui(&format!("/texts/{draft}"))).await.text;
    for id in [ua, ru, eu] {
        assert!(
            page.contains(&format!("id=\"incorporate-{id}\"")),
            "{id} offered"
        );
    }
    let inc = |id: &str| json!({"amendment_id": id});
    let a = app
        .post(UA, &api(&format!("/texts/{draft}/incorporate")), inc(ua))
        .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "only the mediator incorporates"
    );
    let a = app
        .post(MED, &api(&format!("/texts/{v2}/incorporate")), inc(ua))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    for id in [ua, ru, eu] {
        let a = app
            .post(MED, &api(&format!("/texts/{draft}/incorporate")), inc(id))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let v = a.json();
        assert_eq!(v["amendment"]["body"]["status"], "incorporated");
        assert_eq!(
            v["amendment"]["body"]["incorporated_in_text_id"],
            json!(draft)
        );
    }
    let a = app
        .post(MED, &api(&format!("/texts/{draft}/incorporate")), inc(ua))
        .await;
    assert_eq!(a.json()["field"], "amendment_id", "only once: {}", a.text);
    let text = app.get(MED, &api(&format!("/texts/{draft}"))).await.json();
    let pts: Vec<(String, String)> = text["body"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        pts.contains(&(
            format!("{draft}.armed_forces_cap"),
            "A cap of 800,000.".into()
        )),
        "{pts:?}"
    );
    assert!(
        !pts.iter().any(|(id, _)| id.ends_with(".nato_membership")),
        "{pts:?}"
    );
    let at = pts
        .iter()
        .position(|(id, _)| id.ends_with(".territorial_concessions"))
        .unwrap();
    assert_eq!(pts[at + 1].1, "Inserted by Europe.");
    // A point edit afterwards keeps what the draft took from amendments.
    let a = app
        .call(
            MED,
            Method::PUT,
            &api(&format!("/texts/{draft}/points/donetsk_withdrawal")),
            Some(json!({"title": "Donetsk", "body": "Edited."})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    // While the draft is the mediator's, the parties' own amendments read
    // as under consideration: "incorporated" would tell them a version
    // they have not been shown is being drafted.
    for (who, id) in [(UA, ua), (RU, ru), (EU, eu)] {
        let mine = app.get(who, &api(&format!("/amendments/{id}"))).await;
        assert_eq!(
            mine.json()["body"]["status"],
            "under_consideration",
            "{who}"
        );
        assert!(
            !mine.text.contains("incorporated\""),
            "{who}: {}",
            mine.text
        );
        let page = app.get(who, &ui(&format!("/amendments/{id}"))).await.text;
        assert!(!page.contains("Incorporated"), "{who}'s amendment page");
    }

    // The redline names each change's amendment.
    let redline = ui(&format!("/redline?from={v2}&to={draft}"));
    let page = app.get(MED, &redline).await.text;
    for id in [ua, ru, eu] {
        assert!(
            page.contains(&format!("data-amendment=\"{id}\">from ")),
            "origin {id}"
        );
    }
    // Published to Ukraine and Europe: they see the origins they may see,
    // never Russia's amendment.
    let a = app
        .post(
            MED,
            &api(&format!("/texts/{draft}/publish")),
            json!({"parties": [UA, EU]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let page = app.get(UA, &redline).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&format!("data-amendment=\"{ua}\"")));
    assert!(page.text.contains(&format!("data-amendment=\"{eu}\"")));
    assert!(!page.text.contains(ru), "Russia's amendment stays Russia's");
    let known = app.get(UA, &api(&format!("/texts/{draft}"))).await.json();
    let n = known["body"]["version"].as_u64().unwrap();
    let page = app.get(UA, &ui(&format!("/amendments/{ua}"))).await.text;
    assert!(
        page.contains(&format!("Incorporated into version {n}")),
        "as Ukraine numbers it"
    );
    // Russia does not have the new version: its amendment does not name it.
    let mine = app.get(RU, &api(&format!("/amendments/{ru}"))).await.json();
    assert_eq!(mine["body"]["incorporated_in_text_id"], Value::Null);
    assert_eq!(mine["body"]["status"], "under_consideration");
    assert!(!app
        .get(RU, &ui(&format!("/amendments/{ru}")))
        .await
        .text
        .contains(&draft));
}

/// A stance proposing wording in a room made before amendments: migrated
/// at server start, once, audited; and at import.
async fn migration(db: &TestDb, app: &App) {
    let store = db.store.clone();
    let v1 = app.id("text", "v1_28_point_plan");
    let p = app.id("point", "v1.p03");
    let m = marker("OLD-PROPOSAL");
    let old = pactum_workspace::Record {
        kind: pactum_workspace::model::Kind::Stance,
        id: "st_0ld0ld0ld0ld".into(),
        visibility: pactum_workspace::Visibility::PartyAndMediator { party: UA.into() },
        body: json!({"id": "st_0ld0ld0ld0ld", "party_id": UA, "stance": "proposes_amendment",
                     "amendment": m, "summary": "older wording", "target": {"text_id": v1, "point_id": p},
                     "provenance": {"source": "UA", "reliability": "own_delegation"}})
        .as_object()
        .cloned()
        .unwrap(),
    };
    store
        .put_record(
            ROOM,
            &pactum_server::access::new_record(&old),
            None,
            pactum_store::NewAudit::new("test", "stance.create"),
        )
        .await
        .unwrap();
    let state = AppState::new(store.clone());
    assert_eq!(pactum_server::migrate_rooms(&state).await.unwrap(), 1);
    assert_eq!(
        pactum_server::migrate_rooms(&state).await.unwrap(),
        0,
        "idempotent"
    );
    let stance = app.get(UA, &api("/stances/st_0ld0ld0ld0ld")).await.json();
    let am_id = stance["body"]["amendment_id"].as_str().unwrap().to_string();
    let am = app
        .get(UA, &api(&format!("/amendments/{am_id}")))
        .await
        .json();
    assert_eq!(am["body"]["wording"], json!(m));
    assert_eq!(am["body"]["point_id"], json!(p));
    assert_eq!(am["visibility"], pm(UA));
    assert_eq!(
        app.get(RU, &api(&format!("/amendments/{am_id}")))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let audit = store.audit(Some(ROOM), 0, 1_000_000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "amendment.migrate"
                && e.record_id.as_deref() == Some(am_id.as_str()))
    );
    // A new stance proposing wording tables its amendment at once.
    let s = app
        .create(RU, &api("/stances"), json!({"party_id": RU, "target": {"point_id": p}, "stance": "proposes_amendment",
            "amendment": "Russia's words", "summary": "s", "provenance": {"source": "RU", "reliability": "own_delegation"}}))
        .await;
    let linked = s["body"]["amendment_id"].as_str().unwrap();
    let am = app
        .get(RU, &api(&format!("/amendments/{linked}")))
        .await
        .json();
    assert_eq!(
        am["body"]["text_id"],
        json!(v1),
        "the version is found from the point"
    );

    // At import: a pactum-format file with an unlinked proposing stance.
    let mut case = app.get(MED, &api("/export")).await.json();
    case["room"]["id"] = json!("imported-room");
    let stances = case["stances"].as_array_mut().unwrap();
    let mut s = stances[0].clone();
    s["id"] = json!("st_1mp0rt1mp0rt");
    s["stance"] = json!("proposes_amendment");
    s["amendment"] = json!("Imported wording");
    s.as_object_mut().unwrap().remove("amendment_id");
    stances.push(s);
    let parsed = pactum_workspace::case::import(&case.to_string()).unwrap();
    pactum_server::import_case(store.as_ref(), &parsed, "imported-room", "test")
        .await
        .unwrap();
    let recs = pactum_server::access::all_records(&state, "imported-room")
        .await
        .unwrap();
    assert!(recs.iter().any(|(r, _)| r.kind.as_str() == "amendment"
        && r.str("from_stance_id") == Some("st_1mp0rt1mp0rt")));
}

/// A mediator's export imports back to the same room: the same records,
/// amendments and comments included, byte for byte.
async fn round_trip(db: &TestDb, app: &App) {
    let export = app.get(MED, &api("/export")).await.json();
    assert!(export["amendments"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    assert!(export["comments"].as_array().is_some_and(|a| !a.is_empty()));
    let other = db.fresh().await;
    let parsed = pactum_workspace::case::import(&export.to_string()).unwrap();
    pactum_server::import_case(other.store.as_ref(), &parsed, ROOM, "test")
        .await
        .unwrap();
    let back: Vec<_> =
        pactum_server::access::all_records(&AppState::new(other.store.clone()), ROOM)
            .await
            .unwrap()
            .into_iter()
            .map(|(r, _)| r)
            .collect();
    let title = export["room"]["title"].as_str().unwrap();
    let again = pactum_workspace::case::export(ROOM, title, &back);
    assert_eq!(again, export, "export → import → export");
}

async fn suite(db: TestDb) {
    let app = start(&db).await;
    confidentiality(&app).await;
    incorporation(&app).await;
    migration(&db, &app).await;
    round_trip(&db, &app).await;
}

#[tokio::test]
async fn sqlite_amendments_and_comments() {
    suite(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn postgres_amendments_and_comments() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    suite(db).await;
}
