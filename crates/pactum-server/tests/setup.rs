//! Setting up a room from an empty database, over real HTTP: the operator
//! creates the room and appoints its mediator, the mediator seats the
//! parties and lists the issues, renames, reorders and retires; bad input
//! is refused naming the field and changes nothing (the room's export is
//! compared before and after); who may do what; and the operator, who is
//! not a member, never sees the room's content. The browser's forms are
//! driven as a browser sends them, CSRF token included.
//!
//! The expectations are the test's own: the order, names and retired marks
//! the test asked for, checked against what the API and pages give back.

use pactum_store::{MemberRow, NewAudit, Store, UserRow};
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

const ROOM: &str = "basin-talks";
const MED: &str = "envoy";

struct App {
    base: String,
    http: Client,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: StatusCode,
    body: Value,
    text: String,
}

async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("ws.db"))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(
        pactum_server::AppState::new(store.clone()),
        listener,
    ));
    App {
        base: format!("http://{addr}"),
        http: Client::builder().redirect(Policy::none()).build().unwrap(),
        store,
        _dir: dir,
    }
}

fn password(user: &str) -> String {
    format!("{user}-pw-long-enough")
}

/// A user account (no seat anywhere yet).
async fn make_user(app: &App, name: &str) {
    let pw = password(name);
    let hash = tokio::task::spawn_blocking(move || pactum_server::auth::hash_password(&pw))
        .await
        .unwrap()
        .unwrap();
    app.store
        .create_user(
            &UserRow {
                name: name.into(),
                display_name: name.into(),
                password_hash: hash,
                created_at: String::new(),
            },
            NewAudit::new("test", "user.create"),
        )
        .await
        .unwrap();
}

/// The one place this suite makes an operator (as `pactum operator add`
/// does for an existing user: the users' operator flag).
async fn make_operator(app: &App, name: &str) -> String {
    make_user(app, name).await;
    app.store
        .set_operator(name, true, NewAudit::new("test", "operator.add"))
        .await
        .unwrap();
    login(app, name).await
}

/// The one place this suite seats a user in a room (the people module's
/// invitations do it in the product).
async fn seat(app: &App, room: &str, user: &str, party: &str) {
    app.store
        .add_member(
            &MemberRow {
                room: room.into(),
                user: user.into(),
                party_id: party.into(),
            },
            NewAudit::new("test", "member.add"),
        )
        .await
        .unwrap();
}

/// A user seated for a party, logged in: their bearer token.
async fn delegate(app: &App, user: &str, party: &str) -> String {
    make_user(app, user).await;
    seat(app, ROOM, user, party).await;
    login(app, user).await
}

async fn login(app: &App, user: &str) -> String {
    let a = app
        .call(
            "",
            Method::POST,
            "/api/login",
            Some(json!({"user": user, "password": password(user)})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "login {user}: {}", a.text);
    a.body["token"].as_str().unwrap().to_string()
}

impl App {
    async fn call(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.call(token, Method::GET, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.call(token, Method::POST, path, Some(body)).await
    }

    /// A write that must succeed with `want`.
    async fn ok(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        want: u16,
    ) -> Value {
        let a = self.call(token, method.clone(), path, body).await;
        assert_eq!(a.status.as_u16(), want, "{method} {path}: {}", a.text);
        a.body
    }
}

fn api(rest: &str) -> String {
    format!("/api/rooms/{ROOM}{rest}")
}

/// The options a test issue gets: `<issue>.a`, `<issue>.b`, `<issue>.c`.
fn issue_body(id: &str, title: &str) -> Value {
    let options: Vec<Value> = ["a", "b", "c"]
        .iter()
        .map(|o| json!({"id": format!("{id}.{o}"), "label": format!("{title}: option {o}")}))
        .collect();
    json!({"id": id, "title": title, "options": options})
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn option_ids(issue: &Value) -> Vec<String> {
    issue["body"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

/// Creates the room, appoints the mediator, seats the mediator's delegate;
/// returns (operator token, mediator token).
async fn room_with_mediator(app: &App) -> (String, String) {
    let op = make_operator(app, "operator").await;
    let created = app
        .ok(
            &op,
            Method::POST,
            "/api/rooms",
            Some(json!({
                "id": ROOM,
                "title": "Upper basin water talks",
                "description": "Sharing the upper basin's water.",
                "disclaimer": "Working documents only: nothing is agreed until everything is agreed.",
            })),
            201,
        )
        .await;
    assert_eq!(created["id"], ROOM);
    assert_eq!(created["mediator"], Value::Null);
    app.ok(
        &op,
        Method::POST,
        &api("/parties"),
        Some(json!({"id": MED, "name": "Office of the Envoy", "kind": "mediator"})),
        201,
    )
    .await;
    make_user(app, "med").await;
    seat(app, ROOM, "med", MED).await;
    let med = login(app, "med").await;
    (op, med)
}

#[tokio::test]
async fn a_room_is_set_up_by_api_from_empty() {
    let app = start().await;
    let (op, med) = room_with_mediator(&app).await;

    // The operator sees the set-up facts, no more.
    let facts = app.get(&op, &api("/setup")).await;
    assert_eq!(facts.status, StatusCode::OK, "{}", facts.text);
    assert_eq!(facts.body["role"], "operator");
    assert_eq!(facts.body["mediator"], MED);
    assert_eq!(ids(&facts.body["parties"]), [MED]);
    assert!(facts.body.get("issues").is_none(), "{}", facts.text);
    assert!(facts.body.get("disclaimer").is_none(), "{}", facts.text);

    // The mediator seats three parties and an observer ...
    for (id, name, kind) in [
        ("north", "Northern Province", "party"),
        ("south", "Southern Province", "party"),
        ("delta", "Delta Communities", "party"),
        ("un", "United Nations (observer)", "observer"),
    ] {
        let r = app
            .ok(
                &med,
                Method::POST,
                &api("/parties"),
                Some(json!({"id": id, "name": name, "kind": kind, "description": format!("{name}.")})),
                201,
            )
            .await;
        assert_eq!(r["body"]["kind"], kind);
        assert_eq!(r["visibility"]["scope"], "room");
    }
    // ... and lists four issues with their options; extra fields are kept.
    let issues = [
        ("allocation", "Allocation of flows"),
        ("storage", "Reservoir storage"),
        ("monitoring", "Monitoring"),
        ("disputes", "Dispute resolution"),
    ];
    for (id, title) in issues {
        let mut body = issue_body(id, title);
        body["related_issue_ids"] = json!([]);
        let r = app
            .ok(&med, Method::POST, &api("/issues"), Some(body), 201)
            .await;
        assert_eq!(r["body"]["related_issue_ids"], json!([]));
    }
    let listed = app.get(&med, &api("/issues")).await.body;
    assert_eq!(
        ids(&listed),
        ["allocation", "storage", "monitoring", "disputes"]
    );

    // Renames.
    let r = app
        .ok(
            &med,
            Method::PUT,
            &api("/parties/north"),
            Some(json!({"name": "Northern Region"})),
            200,
        )
        .await;
    assert_eq!(r["body"]["name"], "Northern Region");
    assert_eq!(r["body"]["kind"], "party");
    app.ok(
        &med,
        Method::PUT,
        &api("/issues/storage"),
        Some(json!({"title": "Storage and releases", "description": "Who releases what, when."})),
        200,
    )
    .await;
    app.ok(
        &med,
        Method::PUT,
        &api("/issues/storage/options/storage.b"),
        Some(json!({"label": "Joint release schedule"})),
        200,
    )
    .await;
    let details = app
        .ok(
            &med,
            Method::PUT,
            &api(""),
            Some(json!({"title": "Basin talks", "disclaimer": "Drafts for discussion."})),
            200,
        )
        .await;
    assert_eq!(details["title"], "Basin talks");
    assert_eq!(app.get(&med, &api("")).await.body["title"], "Basin talks");

    // Reorder issues and options.
    let moved = app
        .ok(
            &med,
            Method::POST,
            &api("/issues/disputes/move"),
            Some(json!({"to": 0})),
            200,
        )
        .await;
    assert!(!moved.as_array().unwrap().is_empty());
    app.ok(
        &med,
        Method::POST,
        &api("/issues/allocation/move"),
        Some(json!({"to": 3})),
        200,
    )
    .await;
    let listed = app.get(&med, &api("/issues")).await.body;
    assert_eq!(
        ids(&listed),
        ["disputes", "storage", "monitoring", "allocation"]
    );
    app.ok(
        &med,
        Method::POST,
        &api("/issues/monitoring/options/monitoring.c/move"),
        Some(json!({"to": 0})),
        200,
    )
    .await;
    app.ok(
        &med,
        Method::POST,
        &api("/issues/monitoring/options"),
        Some(json!({"id": "monitoring.d", "label": "Satellite data only", "basis": "proposal"})),
        201,
    )
    .await;
    let mon = app.get(&med, &api("/issues/monitoring")).await.body;
    assert_eq!(
        option_ids(&mon),
        [
            "monitoring.c",
            "monitoring.a",
            "monitoring.b",
            "monitoring.d"
        ]
    );
    assert_eq!(mon["body"]["options"][3]["basis"], "proposal");

    // Retire an issue and an option: both stay, marked, resolvable by id.
    let r = app
        .ok(
            &med,
            Method::POST,
            &api("/issues/storage/retire"),
            None,
            200,
        )
        .await;
    assert_eq!(r["body"]["retired"], true);
    app.ok(
        &med,
        Method::POST,
        &api("/issues/allocation/options/allocation.b/retire"),
        None,
        200,
    )
    .await;
    let storage = app.get(&med, &api("/issues/storage")).await;
    assert_eq!(storage.status, StatusCode::OK);
    assert_eq!(storage.body["body"]["title"], "Storage and releases");
    assert_eq!(storage.body["body"]["retired"], true);
    let view = app.get(&med, &api("/setup")).await.body;
    let retired: Vec<(String, bool)> = view["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i["retired"] == true))
        .collect();
    assert_eq!(
        retired,
        [
            ("disputes".to_string(), false),
            ("storage".to_string(), true),
            ("monitoring".to_string(), false),
            ("allocation".to_string(), false),
        ]
    );
    assert_eq!(view["issues"][3]["options"][1]["retired"], true);

    // Retired ones are not offered for new stances.
    let north = delegate(&app, "north-1", "north").await;
    let stance = |issue: &str, preferred: &[&str]| {
        json!({
            "party_id": "north",
            "target": {"issue_id": issue},
            "stance": "accepts",
            "summary": "Accepts.",
            "preferred_option_ids": preferred,
            "provenance": {"source": "the delegation", "reliability": "own_delegation"},
        })
    };
    let refused = app
        .post(&north, &api("/stances"), stance("storage", &[]))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["field"], "target.issue_id");
    let refused = app
        .post(
            &north,
            &api("/stances"),
            stance("allocation", &["allocation.b"]),
        )
        .await;
    assert_eq!(
        refused.body["field"], "preferred_option_ids",
        "{}",
        refused.text
    );
    app.ok(
        &north,
        Method::POST,
        &api("/stances"),
        Some(stance("allocation", &["allocation.a"])),
        201,
    )
    .await;

    // The export carries the set-up; it imports again with the same order.
    let export = app.get(&med, &api("/export")).await;
    assert_eq!(export.status, StatusCode::OK);
    let e = &export.body;
    assert_eq!(e["room"]["title"], "Basin talks");
    assert_eq!(e["meta"]["disclaimer"], "Drafts for discussion.");
    assert_eq!(e["meta"]["description"], "Sharing the upper basin's water.");
    assert_eq!(ids(&e["parties"]), [MED, "north", "south", "delta", "un"]);
    assert_eq!(
        ids(&e["issues"]),
        ["disputes", "storage", "monitoring", "allocation"]
    );
    let case = pactum_workspace::case::import(&export.text).unwrap();
    let again = pactum_workspace::case::export(&case.room_id, &case.title, &case.records);
    assert_eq!(&again, e);

    // A draft point that names an issue keeps it from retiring; once the
    // version is published it is history, and the issue may retire, still
    // named by the point and shown as retired there.
    let draft = app
        .ok(
            &med,
            Method::POST,
            &api("/texts"),
            Some(json!({"label": "v1", "points": [
                {"key": "disputes", "title": "Disputes", "body": "A joint commission.", "issue_ids": ["disputes"]}]})),
            201,
        )
        .await;
    let text_id = draft["id"].as_str().unwrap().to_string();
    let refused = app
        .post(&med, &api("/issues/disputes/retire"), json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(
        refused.body["error"]
            .as_str()
            .unwrap()
            .contains(&format!("draft {text_id}")),
        "{}",
        refused.text
    );
    app.ok(
        &med,
        Method::POST,
        &api(&format!("/texts/{text_id}/publish")),
        Some(json!({"parties": ["north", "south", "delta", "un"]})),
        200,
    )
    .await;
    app.ok(
        &med,
        Method::POST,
        &api("/issues/disputes/retire"),
        None,
        200,
    )
    .await;
    let text = app
        .get(&north, &api(&format!("/texts/{text_id}")))
        .await
        .body;
    assert_eq!(text["body"]["points"][0]["issue_ids"], json!(["disputes"]));
    assert_eq!(
        app.get(&north, &api("/issues/disputes")).await.status,
        StatusCode::OK
    );
    let page = app
        .get(&north, &format!("/rooms/{ROOM}/texts/{text_id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Dispute resolution (retired)"),
        "{}",
        page.text
    );
    // A new version may not link it again.
    let refused = app
        .post(
            &med,
            &api("/texts"),
            json!({"label": "v2", "points": [{"key": "disputes", "title": "D", "issue_ids": ["disputes"]}]}),
        )
        .await;
    assert_eq!(
        refused.body["field"], "points[0].issue_ids",
        "{}",
        refused.text
    );

    // Every step is in the audit trail.
    let audit = app.get(&med, &api("/audit?limit=1000")).await.body;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "room.create",
        "room.setup",
        "party.create",
        "party.edit",
        "issue.create",
        "issue.edit",
        "issue.move",
        "issue.retire",
        "option.create",
        "option.edit",
        "option.move",
        "option.retire",
        "text.publish",
        "room.rename",
        "room.details",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
}

/// A refused request: what it tries, the request, the status and the
/// field the answer must name.
type BadCase = (
    &'static str,
    Method,
    String,
    Option<Value>,
    u16,
    &'static str,
);

#[tokio::test]
async fn bad_set_up_input_names_the_field_and_changes_nothing() {
    let app = start().await;
    let (op, med) = room_with_mediator(&app).await;
    for (id, kind) in [("north", "party"), ("south", "party")] {
        app.ok(
            &med,
            Method::POST,
            &api("/parties"),
            Some(json!({"id": id, "name": id, "kind": kind})),
            201,
        )
        .await;
    }
    app.ok(
        &med,
        Method::POST,
        &api("/issues"),
        Some(issue_body("allocation", "Allocation")),
        201,
    )
    .await;
    let north = delegate(&app, "north-1", "north").await;
    let st = app
        .ok(
            &north,
            Method::POST,
            &api("/stances"),
            Some(json!({
                "party_id": "north",
                "target": {"issue_id": "allocation"},
                "stance": "rejects",
                "summary": "Rejects option a.",
                "ruled_out_option_ids": ["allocation.a"],
                "provenance": {"source": "the delegation", "reliability": "own_delegation"},
            })),
            201,
        )
        .await;
    let stance_id = st["id"].as_str().unwrap().to_string();

    let before = app.get(&med, &api("/export")).await.text;
    let facts_before = app.get(&op, &api("/setup")).await.text;
    let rooms_before = app.get(&op, "/api/operator/rooms").await.text;

    let dup_options = json!({"id": "storage", "title": "Storage", "options": [
        {"id": "storage.a", "label": "A"}, {"id": "storage.a", "label": "B"}]});
    let cases: Vec<BadCase> = vec![
        (
            "duplicate issue id",
            Method::POST,
            api("/issues"),
            Some(issue_body("allocation", "Again")),
            409,
            "id",
        ),
        (
            "duplicate option id in an issue",
            Method::POST,
            api("/issues"),
            Some(dup_options),
            409,
            "options[1].id",
        ),
        (
            "an issue id that is no id",
            Method::POST,
            api("/issues"),
            Some(issue_body("Bad Id", "X")),
            422,
            "id",
        ),
        (
            "a reserved field",
            Method::POST,
            api("/issues"),
            Some(json!({"id": "x", "title": "X", "options": [], "retired": true})),
            422,
            "retired",
        ),
        (
            "an empty title",
            Method::POST,
            api("/issues"),
            Some(json!({"id": "x", "title": " ", "options": []})),
            422,
            "title",
        ),
        (
            "duplicate party id",
            Method::POST,
            api("/parties"),
            Some(json!({"id": "north", "name": "N", "kind": "party"})),
            409,
            "id",
        ),
        (
            "unknown kind",
            Method::POST,
            api("/parties"),
            Some(json!({"id": "judge", "name": "J", "kind": "judge"})),
            422,
            "kind",
        ),
        (
            "a second mediator",
            Method::POST,
            api("/parties"),
            Some(json!({"id": "med2", "name": "M2", "kind": "mediator"})),
            409,
            "kind",
        ),
        (
            "retiring an issue a stance names",
            Method::POST,
            api("/issues/allocation/retire"),
            None,
            409,
            "id",
        ),
        (
            "retiring an option a stance names",
            Method::POST,
            api("/issues/allocation/options/allocation.a/retire"),
            None,
            409,
            "id",
        ),
        (
            "duplicate option id",
            Method::POST,
            api("/issues/allocation/options"),
            Some(json!({"id": "allocation.b", "label": "B again"})),
            409,
            "id",
        ),
        (
            "a place past the end",
            Method::POST,
            api("/issues/allocation/move"),
            Some(json!({"to": 1})),
            422,
            "to",
        ),
        (
            "an empty name",
            Method::PUT,
            api("/parties/north"),
            Some(json!({"name": ""})),
            422,
            "name",
        ),
        (
            "an unknown field",
            Method::PUT,
            api("/issues/allocation"),
            Some(json!({"titel": "X"})),
            422,
            "titel",
        ),
        (
            "nothing to change",
            Method::PUT,
            api(""),
            Some(json!({})),
            422,
            "body",
        ),
    ];
    for (what, method, path, body, status, field) in cases {
        let a = app.call(&med, method, &path, body).await;
        assert_eq!(a.status.as_u16(), status, "{what}: {}", a.text);
        assert_eq!(a.body["field"], field, "{what}: {}", a.text);
        assert_eq!(
            app.get(&med, &api("/export")).await.text,
            before,
            "{what} changed the room"
        );
    }
    // The refusal names the records that still take a position.
    let a = app
        .post(&med, &api("/issues/allocation/retire"), json!({}))
        .await;
    assert!(
        a.body["error"].as_str().unwrap().contains(&stance_id),
        "{}",
        a.text
    );

    // The operator's refusals change nothing either.
    let op_cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "a room id taken",
            json!({"id": ROOM, "title": "Again"}),
            409,
            "id",
        ),
        (
            "a room id that is no id",
            json!({"id": "Basin Talks", "title": "X"}),
            422,
            "id",
        ),
        (
            "a reserved room id",
            json!({"id": "new", "title": "X"}),
            422,
            "id",
        ),
        ("no title", json!({"id": "other"}), 422, "title"),
    ];
    for (what, body, status, field) in op_cases {
        let a = app.post(&op, "/api/rooms", body).await;
        assert_eq!(a.status.as_u16(), status, "{what}: {}", a.text);
        assert_eq!(a.body["field"], field, "{what}: {}", a.text);
    }
    let a = app
        .post(
            &op,
            &api("/parties"),
            json!({"id": "m2", "name": "M2", "kind": "mediator"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert_eq!(a.body["field"], "kind");
    assert_eq!(app.get(&med, &api("/export")).await.text, before);
    assert_eq!(app.get(&op, &api("/setup")).await.text, facts_before);
    assert_eq!(app.get(&op, "/api/operator/rooms").await.text, rooms_before);
}

#[tokio::test]
async fn only_operators_create_rooms_and_only_the_mediator_sets_them_up() {
    let app = start().await;
    let (op, med) = room_with_mediator(&app).await;
    app.ok(
        &med,
        Method::POST,
        &api("/parties"),
        Some(json!({"id": "north", "name": "North", "kind": "party"})),
        201,
    )
    .await;
    app.ok(
        &med,
        Method::POST,
        &api("/parties"),
        Some(json!({"id": "un", "name": "UN", "kind": "observer"})),
        201,
    )
    .await;
    let north = delegate(&app, "north-1", "north").await;
    let un = delegate(&app, "un-1", "un").await;

    // Members are no operators.
    for token in [&med, &north] {
        let a = app
            .post(
                token,
                "/api/rooms",
                json!({"id": "other", "title": "Other"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
        assert_eq!(
            app.get(token, "/api/operator/rooms").await.status,
            StatusCode::FORBIDDEN
        );
    }
    let rooms = app.get(&op, "/api/operator/rooms").await.body;
    assert_eq!(ids(&rooms), [ROOM]);
    assert_eq!(rooms[0]["mediator"], MED);

    // Delegates and observers do not set up the room.
    for token in [&north, &un] {
        for (method, path, body) in [
            (Method::POST, api("/issues"), Some(issue_body("x", "X"))),
            (
                Method::POST,
                api("/parties"),
                Some(json!({"id": "y", "name": "Y", "kind": "party"})),
            ),
            (
                Method::PUT,
                api("/parties/north"),
                Some(json!({"name": "Renamed"})),
            ),
            (Method::PUT, api(""), Some(json!({"title": "Renamed"}))),
        ] {
            let a = app.call(token, method.clone(), &path, body).await;
            assert!(
                matches!(a.status.as_u16(), 403 | 404),
                "{method} {path}: {} {}",
                a.status,
                a.text
            );
        }
        assert_eq!(
            app.get(token, &api("/setup")).await.status,
            StatusCode::FORBIDDEN
        );
    }
    // A user with no part in the room (but a seat elsewhere, so no
    // operator) finds nothing there.
    let stranger = {
        make_user(&app, "stranger").await;
        app.ok(
            &op,
            Method::POST,
            "/api/rooms",
            Some(json!({"id": "elsewhere", "title": "E"})),
            201,
        )
        .await;
        app.ok(
            &op,
            Method::POST,
            "/api/rooms/elsewhere/parties",
            Some(json!({"id": "m", "name": "M", "kind": "mediator"})),
            201,
        )
        .await;
        seat(&app, "elsewhere", "stranger", "m").await;
        login(&app, "stranger").await
    };
    for (method, path) in [(Method::GET, api("/setup")), (Method::POST, api("/issues"))] {
        let a = app
            .call(&stranger, method, &path, Some(issue_body("x", "X")))
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
    }

    // The operator may appoint the mediator, not run the room ...
    for (method, path, body) in [
        (Method::POST, api("/issues"), Some(issue_body("x", "X"))),
        (
            Method::POST,
            api("/parties"),
            Some(json!({"id": "z", "name": "Z", "kind": "party"})),
        ),
        (
            Method::PUT,
            api("/parties/north"),
            Some(json!({"name": "Renamed"})),
        ),
        (Method::PUT, api(""), Some(json!({"title": "Renamed"}))),
    ] {
        let a = app.call(&op, method.clone(), &path, body).await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            a.text
        );
    }
    app.ok(
        &op,
        Method::PUT,
        &api(&format!("/parties/{MED}")),
        Some(json!({"name": "The Envoy"})),
        200,
    )
    .await;

    // ... and sees none of its content.
    app.ok(
        &med,
        Method::POST,
        &api("/issues"),
        Some(issue_body("allocation", "SECRET-ISSUE-TITLE")),
        201,
    )
    .await;
    app.ok(
        &med,
        Method::POST,
        &api("/notes"),
        Some(json!({"text": "SECRET-NOTE", "visibility": {"scope": "room"}})),
        201,
    )
    .await;
    for path in [
        api(""),
        api("/timeline"),
        api("/export"),
        api("/stances"),
        api("/texts"),
        api("/meetings"),
        api("/notes"),
        api("/issues"),
        api("/issues/allocation"),
        api("/parties"),
        api("/audit"),
        api("/analysis"),
        format!("/rooms/{ROOM}"),
        format!("/rooms/{ROOM}/stances"),
        format!("/rooms/{ROOM}/texts"),
    ] {
        let a = app.get(&op, &path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
        assert!(!a.text.contains("SECRET"), "{path}");
    }
    let facts = app.get(&op, &api("/setup")).await;
    assert!(!facts.text.contains("SECRET"), "{}", facts.text);
    let page = app.get(&op, &format!("/rooms/{ROOM}/setup")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("The Envoy") && page.text.contains("North"));
    assert!(!page.text.contains("SECRET"));
    assert!(
        !page.text.contains("nothing is agreed"),
        "the disclaimer is room content"
    );
    let me = app.get(&op, "/api/rooms").await;
    assert_eq!(me.body, json!([]));
}

/// A browser: keeps cookies, does not follow redirects.
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn browser_login(app: &App, user: &str) -> Client {
    let c = browser();
    let res = c
        .post(format!("{}/login", app.base))
        .form(&[("user", user), ("password", password(user).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login {user}");
    c
}

async fn page(app: &App, c: &Client, path: &str) -> (StatusCode, String) {
    let res = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Posts a form; answers (status, Location, body).
async fn form(
    app: &App,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let res = c
        .post(format!("{}{path}", app.base))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, res.text().await.unwrap())
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let at = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn the_set_up_pages_work_as_plain_forms() {
    let app = start().await;
    make_operator(&app, "operator").await;
    let opb = browser_login(&app, "operator").await;
    let (status, home) = page(&app, &opb, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains(r#"id="new-room""#), "{home}");
    let (status, new) = page(&app, &opb, "/rooms/new").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&new);

    // Without the CSRF token nothing happens.
    let (status, _, _) = form(&app, &opb, "/rooms/new", &[("title", "Basin talks")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The id comes from the title when left blank.
    let (status, to, _) = form(
        &app,
        &opb,
        "/rooms/new",
        &[
            ("_csrf", &csrf),
            ("title", "Basin talks"),
            ("id", ""),
            ("disclaimer", "Drafts for discussion only."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/rooms/basin_talks/setup?done=room"));
    let setup = "/rooms/basin_talks/setup";
    let (status, body) = page(&app, &opb, setup).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"id="appoint-form""#));
    // A taken id is refused on the form, naming it.
    let (status, _, body) = form(
        &app,
        &opb,
        "/rooms/new",
        &[
            ("_csrf", &csrf),
            ("title", "Basin talks"),
            ("id", "basin_talks"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains(r#"data-field="id""#) && body.contains("exists already"),
        "{body}"
    );

    let (status, to, _) = form(
        &app,
        &opb,
        setup,
        &[
            ("_csrf", &csrf),
            ("action", "add_party"),
            ("kind", "mediator"),
            ("name", "Office of the Envoy"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "appoint");
    assert!(to.unwrap().starts_with(&format!("{setup}?done=appoint")));
    // The operator's form cannot add a plain party.
    let (status, _, _) = form(
        &app,
        &opb,
        setup,
        &[
            ("_csrf", &csrf),
            ("action", "add_party"),
            ("kind", "party"),
            ("name", "North"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The mediator takes over.
    make_user(&app, "med").await;
    seat(&app, "basin_talks", "med", "office_of_the_envoy").await;
    let mb = browser_login(&app, "med").await;
    let (status, body) = page(&app, &mb, setup).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"id="nav-setup""#) && body.contains(r#"id="add-issue-form""#));
    let csrf = csrf_of(&body);
    let post = |fields: Vec<(&'static str, String)>| {
        let mb = mb.clone();
        let csrf = csrf.clone();
        let app = &app;
        async move {
            let mut all: Vec<(&str, String)> = vec![("_csrf", csrf)];
            all.extend(fields);
            let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            form(app, &mb, setup, &refs).await
        }
    };
    for (name, kind) in [
        ("North", "party"),
        ("South", "party"),
        ("Delta", "party"),
        ("UN", "observer"),
    ] {
        let (status, _, body) = post(vec![
            ("action", "add_party".into()),
            ("name", name.into()),
            ("kind", kind.into()),
        ])
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}: {body}");
    }
    let (status, _, _) = post(vec![
        ("action", "add_issue".into()),
        ("title", "Allocation of flows".into()),
        ("options", "fixed | Fixed shares\nSeasonal shares\n".into()),
    ])
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = post(vec![
        ("action", "add_issue".into()),
        ("title", "Monitoring".into()),
        ("options", "Joint commission\nObservers".into()),
    ])
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A duplicate is shown on the page, naming the field, with what was typed.
    let (status, _, body) = post(vec![
        ("action", "add_issue".into()),
        ("title", "Monitoring".into()),
        ("description", "TYPED-TEXT".into()),
    ])
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains(r#"data-form="add_issue" data-field="id""#),
        "{body}"
    );
    assert!(body.contains("TYPED-TEXT"));
    // Move Monitoring up, retire an option, rename the issue.
    for fields in [
        vec![
            ("action", "move_issue"),
            ("issue", "monitoring"),
            ("to", "0"),
        ],
        vec![
            ("action", "retire_option"),
            ("issue", "monitoring"),
            ("option", "monitoring.observers"),
        ],
        vec![
            ("action", "edit_issue"),
            ("issue", "allocation_of_flows"),
            ("title", "Allocation"),
            ("description", ""),
        ],
        vec![
            ("action", "details"),
            ("title", "Basin talks"),
            ("description", ""),
            ("disclaimer", "Drafts for discussion only."),
        ],
    ] {
        let (status, _, body) =
            post(fields.iter().map(|(k, v)| (*k, v.to_string())).collect()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{fields:?}: {body}");
    }
    let api_issues = app
        .call(
            &login(&app, "med").await,
            Method::GET,
            "/api/rooms/basin_talks/issues",
            None,
        )
        .await
        .body;
    assert_eq!(ids(&api_issues), ["monitoring", "allocation_of_flows"]);
    assert_eq!(
        option_ids(&api_issues[1]),
        ["fixed", "allocation_of_flows.seasonal_shares"]
    );
    assert_eq!(api_issues[0]["body"]["options"][1]["retired"], true);
    assert_eq!(api_issues[1]["body"]["title"], "Allocation");
    let (_, body) = page(&app, &mb, setup).await;
    assert!(body.contains("tag-retired"));
    // The disclaimer is on every other page of the room.
    for path in [
        "/rooms/basin_talks/stances",
        "/rooms/basin_talks/meetings",
        setup,
    ] {
        let (status, body) = page(&app, &mb, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            body.contains(r#"id="room-disclaimer""#)
                && body.contains("Drafts for discussion only."),
            "{path}"
        );
    }
    let (_, overview) = page(&app, &mb, "/rooms/basin_talks").await;
    assert!(
        overview.contains(r#"id="disclaimer""#) && overview.contains("Drafts for discussion only.")
    );
    // An unknown action is refused on the page.
    let (status, _, body) = post(vec![("action", "explode".into())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("unknown set-up action"));
}
