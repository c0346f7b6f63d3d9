//! Preference models, the mediator's analysis and single-text sessions over
//! HTTP, on the demo room.
//!
//! Oracles are the test's own: the analysis is checked against a brute
//! force over every package written here from the models the test knows
//! (the demo file's and those it enters), votes by model against the
//! test's own utility sums, and visibility against the rule the issue
//! states (a model is its party's own unless shared with the mediator).

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ROOM: &str = "peace-plan-2025";
const MED: &str = "united_states";
const RU: &str = "russia";
const UA: &str = "ukraine";
const EU: &str = "european_states";

struct App {
    base: String,
    http: Client,
    tokens: BTreeMap<String, String>,
    _dir: tempfile::TempDir,
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
    let base = format!("http://{addr}");
    let http = Client::new();
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
        _dir: dir,
    }
}

impl App {
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
}

fn api(rest: &str) -> String {
    format!("/api/rooms/{ROOM}{rest}")
}

/// The demo's issues: (id, option ids).
fn demo_issues() -> Vec<(String, Vec<String>)> {
    static ISSUES: std::sync::OnceLock<Vec<(String, Vec<String>)>> = std::sync::OnceLock::new();
    ISSUES.get_or_init(read_demo_issues).clone()
}

fn read_demo_issues() -> Vec<(String, Vec<String>)> {
    let demo: Value = serde_json::from_str(pactum_server::DEMO_CASE).unwrap();
    demo["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["id"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// A model as the test reads it: reservation, issue → (weight, option → value).
type Model = (f64, BTreeMap<String, (f64, BTreeMap<String, f64>)>);

fn read_model(m: &Value) -> Model {
    let mut issues = BTreeMap::new();
    for i in m["issues"].as_array().unwrap() {
        let values = i["option_values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["option_id"].as_str().unwrap().to_string(),
                    v["value"].as_f64().unwrap(),
                )
            })
            .collect();
        issues.insert(
            i["issue_id"].as_str().unwrap().to_string(),
            (i["weight"].as_f64().unwrap(), values),
        );
    }
    (m["reservation_value"].as_f64().unwrap(), issues)
}

fn demo_model(party: &str) -> Model {
    let demo: Value = serde_json::from_str(pactum_server::DEMO_CASE).unwrap();
    let m = demo["illustrative_preferences"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["party_id"] == party)
        .unwrap();
    read_model(m)
}

/// `Σ weight · value`, summed in the room's issue order (the order the
/// formula lists them; another order can round a sum that should equal a
/// reservation value to either side of it).
fn utility(m: &Model, package: &BTreeMap<String, String>) -> f64 {
    let mut u = 0.0;
    for (i, _) in demo_issues() {
        if let (Some((w, vs)), Some(o)) = (m.1.get(&i), package.get(&i)) {
            u += w * vs.get(o).copied().unwrap_or(0.0);
        }
    }
    u
}

/// Every package of the demo's issues.
fn all_packages() -> Vec<BTreeMap<String, String>> {
    let mut out = vec![BTreeMap::new()];
    for (issue, options) in demo_issues() {
        let mut next = Vec::new();
        for p in &out {
            for o in &options {
                let mut q = p.clone();
                q.insert(issue.clone(), o.clone());
                next.push(q);
            }
        }
        out = next;
    }
    out
}

/// Zone size and the largest Nash product, by brute force.
fn brute_force(models: &[&Model]) -> (usize, Option<f64>) {
    let mut size = 0;
    let mut best: Option<f64> = None;
    for p in all_packages() {
        let us: Vec<f64> = models.iter().map(|m| utility(m, &p)).collect();
        if models.iter().zip(&us).all(|(m, u)| *u >= m.0) {
            size += 1;
            let prod: f64 = models.iter().zip(&us).map(|(m, u)| u - m.0).product();
            best = Some(best.map_or(prod, |b: f64| b.max(prod)));
        }
    }
    (size, best)
}

fn package_of(view: &Value) -> BTreeMap<String, String> {
    view["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["issue_id"].as_str().unwrap().to_string(),
                c["option_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A full model of the demo's issues with distinctive numbers.
fn model_body(party: &str, weight: f64, value: f64, reservation: f64, shared: bool) -> Value {
    let issues: Vec<Value> = demo_issues()
        .iter()
        .enumerate()
        .map(|(n, (id, options))| {
            let values: Vec<Value> = options
                .iter()
                .enumerate()
                .map(|(k, o)| {
                    let v = if k == n % options.len() {
                        value
                    } else {
                        0.1 * k as f64
                    };
                    json!({"option_id": o, "value": v})
                })
                .collect();
            json!({"issue_id": id, "weight": if n == 0 { weight } else { 0.2 }, "option_values": values})
        })
        .collect();
    json!({"party_id": party, "reservation_value": reservation, "issues": issues, "shared_with_mediator": shared})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_are_private_and_the_analysis_matches_brute_force() {
    let app = start().await;
    // Demo models: each party reads its own only.
    for p in [MED, RU, UA] {
        for q in [MED, RU, UA, EU] {
            let a = app.get(q, &api(&format!("/preferences/{p}"))).await;
            let want = if p == q {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(a.status, want, "{q} reads {p}'s model: {}", a.text);
        }
    }
    // The mediator sees the analysis with the HYPOTHETICAL label, partial
    // (no model of the observer is needed; all parties have one).
    let a = app.get(MED, &api("/analysis")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = a.json();
    assert!(v["hypothetical"]
        .as_str()
        .unwrap()
        .starts_with("HYPOTHETICAL"));
    assert_eq!(v["mediator_counts"], false);
    assert_eq!(v["partial"], false);
    let ru = demo_model(RU);
    let ua = demo_model(UA);
    let us = demo_model(MED);
    let (size, best) = brute_force(&[&ru, &ua]);
    assert_eq!(v["zone_size"].as_u64(), Some(size as u64));
    assert_eq!(v["zone_exists"], size > 0);
    match best {
        Some(b) => {
            let p = package_of(&v["nash"]);
            let prod = (utility(&ru, &p) - ru.0) * (utility(&ua, &p) - ua.0);
            assert!((prod - b).abs() < 1e-9, "Nash product {prod} vs {b}");
        }
        None => assert!(v["nash"].is_null()),
    }
    for pk in v["packages"].as_array().unwrap() {
        let p = package_of(pk);
        assert!(utility(&ru, &p) >= ru.0 && utility(&ua, &p) >= ua.0);
    }
    // No model numbers in the analysis: every weight, value and reservation
    // of every model, as JSON prints it, is absent.
    let text = a.text.clone();
    assert!(!text.contains("reservation") && !text.contains("weight"));
    for m in [&ru, &ua, &us] {
        for (w, vs) in m.1.values() {
            for x in std::iter::once(w).chain(vs.values()) {
                if *x != 0.0 && *x != 1.0 {
                    assert!(!text.contains(&format!(":{x}")), "{x} in {text}");
                }
            }
        }
    }
    // The mediator's briefing carries the zone (labels only); a party's
    // briefing does not.
    let md = app
        .get(MED, &format!("/rooms/{ROOM}/briefing?format=md"))
        .await;
    assert_eq!(md.status, StatusCode::OK);
    assert!(
        !md.text.contains("Zone status: not computed"),
        "{}",
        md.text
    );
    assert!(md.text.contains("HYPOTHETICAL"));
    let md = app
        .get(RU, &format!("/rooms/{ROOM}/briefing?format=md"))
        .await;
    assert!(md.text.contains("Zone status: not computed"));
    // Only the mediator has an analysis.
    for p in [RU, UA, EU] {
        assert_eq!(
            app.get(p, &api("/analysis")).await.status,
            StatusCode::FORBIDDEN
        );
    }

    // Russia enters its own model, unshared; Ukraine shares one.
    let ru_body = model_body(RU, 0.123457, 0.987653, 0.4242, false);
    let a = app
        .call(
            RU,
            Method::PUT,
            &api("/preferences/russia"),
            Some(ru_body.clone()),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        a.json()["visibility"],
        json!({"scope": "party", "party": RU})
    );
    let ua_body = model_body(UA, 0.234561, 0.876541, 0.3131, true);
    let a = app
        .call(
            UA,
            Method::PUT,
            &api("/preferences/ukraine"),
            Some(ua_body.clone()),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // Writing another party's model is refused.
    let a = app
        .call(UA, Method::PUT, &api("/preferences/ukraine"), Some(ru_body))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    let a = app
        .call(
            UA,
            Method::PUT,
            &api("/preferences/russia"),
            Some(model_body(RU, 0.5, 0.5, 0.5, false)),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);

    for (who, path, want) in [
        (MED, "/preferences/russia", StatusCode::NOT_FOUND),
        (UA, "/preferences/russia", StatusCode::NOT_FOUND),
        (EU, "/preferences/russia", StatusCode::NOT_FOUND),
        (RU, "/preferences/russia", StatusCode::OK),
        (MED, "/preferences/ukraine", StatusCode::OK),
        (RU, "/preferences/ukraine", StatusCode::NOT_FOUND),
        (EU, "/preferences/ukraine", StatusCode::NOT_FOUND),
    ] {
        let a = app.get(who, &api(path)).await;
        assert_eq!(a.status, want, "{who} GET {path}");
    }
    let a = app.get(MED, &api("/export")).await;
    assert!(!a.text.contains("0.123457") && !a.text.contains("0.4242"));
    assert!(
        a.text.contains("0.234561"),
        "shared model in the mediator's export"
    );

    let ru = read_model(&model_body(RU, 0.123457, 0.987653, 0.4242, false));
    let ua = read_model(&ua_body);
    let a = app.get(MED, &api("/analysis")).await;
    let v = a.json();
    assert!(
        v["hypothetical"].is_null(),
        "no illustrative model counts now"
    );
    for m in ["0.123457", "0.987653", "0.4242"] {
        assert!(!a.text.contains(m), "{m} in the analysis");
    }
    let (size, best) = brute_force(&[&ru, &ua]);
    assert_eq!(v["zone_size"].as_u64(), Some(size as u64));
    if let Some(b) = best {
        let p = package_of(&v["nash"]);
        let prod = (utility(&ru, &p) - ru.0) * (utility(&ua, &p) - ua.0);
        assert!((prod - b).abs() < 1e-9, "Nash product {prod} vs {b}");
    }

    // The mediator's own model counts once the room says so.
    let a = app
        .call(
            MED,
            Method::PUT,
            &api("/settings"),
            Some(json!({"mediator_counts": true})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = app.get(MED, &api("/analysis")).await.json();
    assert_eq!(v["mediator_counts"], true);
    assert_eq!(v["counted"].as_array().unwrap().len(), 3);
    let (size, best) = brute_force(&[&ru, &ua, &us]);
    assert_eq!(v["zone_size"].as_u64(), Some(size as u64));
    match best {
        Some(b) => {
            let p = package_of(&v["nash"]);
            let prod =
                (utility(&ru, &p) - ru.0) * (utility(&ua, &p) - ua.0) * (utility(&us, &p) - us.0);
            assert!((prod - b).abs() < 1e-9);
        }
        None => assert!(v["nash"].is_null()),
    }
    assert!(
        v["hypothetical"].is_string(),
        "the mediator's demo model is illustrative"
    );

    // Withdrawing a model makes the analysis partial.
    let a = app
        .call(RU, Method::DELETE, &api("/preferences/russia"), None)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    let v = app.get(MED, &api("/analysis")).await.json();
    assert_eq!(v["partial"], true);
    assert_eq!(v["missing"][0]["id"], RU);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_by_model_use_only_the_voters_model_and_stay_private() {
    let app = start().await;
    let ru = demo_model(RU);
    // The session starts from the package every party values least on
    // every issue it weighs, so a proposal can be checked both ways.
    let start_pkg: BTreeMap<String, String> = demo_issues()
        .into_iter()
        .map(|(i, os)| (i, os.last().unwrap().clone()))
        .collect();
    let a = app
        .call(
            MED,
            Method::POST,
            &api("/sessions"),
            Some(json!({"title": "Round table", "package": start_pkg})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let sid = a.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(EU, &api(&format!("/sessions/{sid}"))).await.status,
        StatusCode::NOT_FOUND,
        "the observer does not vote and does not see the session"
    );
    // Parties cannot propose.
    let change = json!({"changes": {"territory_status": "territory_status.de_jure_recognition"}});
    let a = app
        .call(
            RU,
            Method::POST,
            &api(&format!("/sessions/{sid}/proposals")),
            Some(change.clone()),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app
        .call(
            MED,
            Method::POST,
            &api(&format!("/sessions/{sid}/proposals")),
            Some(change),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let mut proposal = start_pkg.clone();
    proposal.insert(
        "territory_status".into(),
        "territory_status.de_jure_recognition".into(),
    );
    let ru_expect = utility(&ru, &proposal) > utility(&ru, &start_pkg);

    let vote = |who: &'static str, ballot: &'static str| {
        let path = api(&format!("/sessions/{sid}/votes"));
        let app = &app;
        async move {
            app.call(who, Method::POST, &path, Some(json!({"ballot": ballot})))
                .await
        }
    };
    let a = vote(RU, "model").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = a.json();
    assert_eq!(v["body"]["by_model"], true);
    assert_eq!(v["body"]["vote"] == "accept", ru_expect);
    let ru_vote = v["id"].as_str().unwrap().to_string();
    // Ukraine's model changes completely; Russia's vote by model does not.
    for (w, val, r) in [(0.9, 0.0, 0.99), (0.0, 1.0, 0.0)] {
        let a = app
            .call(
                UA,
                Method::PUT,
                &api("/preferences/ukraine"),
                Some(model_body(UA, w, val, r, true)),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK);
        let v = vote(RU, "model").await.json();
        assert_eq!(v["body"]["vote"] == "accept", ru_expect);
    }
    // The observer cannot vote; Ukraine votes by hand.
    assert_eq!(vote(EU, "accept").await.status, StatusCode::NOT_FOUND);
    let a = vote(UA, "reject").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let ua_vote = a.json()["id"].as_str().unwrap().to_string();
    // Each party sees its own votes only; the mediator sees both and the tally.
    for (who, own, other) in [(RU, &ru_vote, &ua_vote), (UA, &ua_vote, &ru_vote)] {
        assert_eq!(
            app.get(who, &api(&format!("/votes/{other}"))).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(who, &api(&format!("/votes/{own}"))).await.status,
            StatusCode::OK
        );
        let s = app.get(who, &api(&format!("/sessions/{sid}"))).await;
        assert!(!s.text.contains(other.as_str()), "{who} sees {other}");
        assert!(s.json()["tally"].is_null());
        let list = app.get(who, &api("/votes")).await.json();
        assert_eq!(list.as_array().unwrap().len(), 1);
    }
    let s = app.get(MED, &api(&format!("/sessions/{sid}"))).await.json();
    assert_eq!(s["votes"].as_array().unwrap().len(), 2);
    assert_eq!(s["tally"]["reject"], 1);
    // Not adopted (Ukraine rejected); the package stays.
    let a = app
        .call(
            MED,
            Method::POST,
            &api(&format!("/sessions/{sid}/decide")),
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["body"]["current"], json!(start_pkg));
    // A second proposal both accept is adopted; closing writes a draft.
    let a = app
        .call(
            MED,
            Method::POST,
            &api(&format!("/sessions/{sid}/proposals")),
            Some(json!({"changes": {"nato_membership": "nato_membership.deferred"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let early = app
        .call(
            MED,
            Method::POST,
            &api(&format!("/sessions/{sid}/decide")),
            Some(json!({})),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    assert_eq!(vote(RU, "accept").await.status, StatusCode::OK);
    assert_eq!(vote(UA, "accept").await.status, StatusCode::OK);
    let a = app
        .call(
            MED,
            Method::POST,
            &api(&format!("/sessions/{sid}/decide")),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        a.json()["body"]["current"]["nato_membership"],
        "nato_membership.deferred"
    );
    let a = app
        .call(
            MED,
            Method::POST,
            &api(&format!("/sessions/{sid}/close")),
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let text = a.json();
    assert_eq!(text["body"]["status"], "draft");
    let tid = text["id"].as_str().unwrap();
    let body = text["body"].to_string();
    let demo: Value = serde_json::from_str(pactum_server::DEMO_CASE).unwrap();
    let label = demo["issues"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["options"].as_array().unwrap())
        .find(|o| o["id"] == "nato_membership.deferred")
        .unwrap()["label"]
        .as_str()
        .unwrap();
    assert!(
        body.contains(label),
        "the draft names the adopted option: {body}"
    );
    assert_eq!(
        app.get(RU, &api(&format!("/texts/{tid}"))).await.status,
        StatusCode::NOT_FOUND,
        "a draft is the mediator's until published"
    );
    assert_eq!(
        app.get(MED, &api(&format!("/texts/{tid}"))).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genius_profiles_map_to_the_rooms_issues() {
    let app = start().await;
    let xml = r#"<utility_space>
  <objective index="0" name="peace">
    <issue index="1" name="nato_membership" type="discrete" etype="discrete" vtype="discrete">
      <item index="1" value="renounce" evaluation="2"/>
      <item index="2" value="deferred" evaluation="4"/>
      <item index="3" value="keep_open" evaluation="1"/>
    </issue>
    <weight index="1" value="0.7"/>
    <issue index="2" name="Security guarantees for Ukraine" type="discrete" etype="discrete" vtype="discrete">
      <item index="1" value="binding_guarantees" evaluation="1"/>
    </issue>
    <weight index="2" value="0.3"/>
  </objective>
  <reservation value="0.25"/>
</utility_space>"#;
    let a = app
        .call(
            UA,
            Method::POST,
            &api("/preferences/ukraine/genius"),
            Some(json!({"xml": xml})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let m = read_model(&a.json()["body"]);
    assert_eq!(m.0, 0.25);
    let (w, vs) = &m.1["nato_membership"];
    assert_eq!(*w, 0.7);
    assert_eq!(vs["nato_membership.deferred"], 1.0);
    assert_eq!(vs["nato_membership.renounce"], 0.5);
    assert!(m.1.contains_key("security_guarantees"));
    let bad = xml.replace("keep_open", "join_now");
    let a = app
        .call(
            UA,
            Method::POST,
            &api("/preferences/ukraine/genius"),
            Some(json!({"xml": bad})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = a.json();
    assert_eq!(e["field"], "genius_xml");
    assert!(e["error"].as_str().unwrap().contains("join_now"), "{e}");
}
