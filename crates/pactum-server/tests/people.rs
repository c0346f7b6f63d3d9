//! People over real HTTP: first start through the one-time set-up link, the
//! operator's pages, invitations (accepted once, then 410; expired, revoked:
//! 410; bound to their room), the mediator's People page, removing a
//! delegate (their cookie session and bearer token die at once), changing
//! one's password, signing out everywhere, and bearer tokens that expire,
//! are listed without their secret and are revoked by id or by logout.

mod common;

use common::TestDb;
use pactum_server::AppState;
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

const ROOM: &str = "peace-plan-2025";
const OTHER_ROOM: &str = "other-room";
const MED: &str = "united-states";
const RU: &str = "russia";

struct App {
    base: String,
    store: Arc<dyn pactum_store::Store>,
    _db: TestDb,
}

/// The app over a fresh database, with the demo loaded or empty, and the
/// set-up link `setup_link` offered on it.
async fn start(demo: bool) -> (App, Option<String>) {
    start_on(TestDb::sqlite().await, demo).await
}

/// [`start`] on a given test database.
async fn start_on(db: TestDb, demo: bool) -> (App, Option<String>) {
    let store = db.store.clone();
    if demo {
        pactum_server::load_demo(store.as_ref()).await.unwrap();
    }
    let state = AppState::new(store.clone());
    let link = pactum_server::people::setup_link(&state).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(state, listener));
    let app = App {
        base: format!("http://{addr}"),
        store,
        _db: db,
    };
    (app, link)
}

/// A browser: keeps cookies, does not follow redirects.
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    cookie: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    let header = |name| {
        res.headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_string())
    };
    let (location, cookie) = (header(LOCATION), header(SET_COOKIE));
    Answer {
        status: res.status(),
        location,
        cookie,
        text: res.text().await.unwrap(),
    }
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An API call with a bearer token (or none).
    async fn api(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = Client::new().request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.unwrap()).await
    }

    /// A bearer token from `POST /api/login`, with extra fields.
    async fn token_with(&self, user: &str, password: &str, extra: Value) -> Answer {
        let mut body = json!({"user": user, "password": password});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.api(None, Method::POST, "/api/login", Some(body)).await
    }

    async fn token(&self, user: &str, password: &str) -> String {
        let a = self.token_with(user, password, json!({})).await;
        assert_eq!(a.status, StatusCode::OK, "login {user}: {}", a.text);
        a.json()["token"].as_str().unwrap().to_string()
    }

    async fn demo_token(&self, user: &str) -> String {
        self.token(user, &format!("{user}-demo")).await
    }

    async fn get(&self, c: &Client, path: &str) -> Answer {
        answer(c.get(self.url(path)).send().await.unwrap()).await
    }

    async fn post(&self, c: &Client, path: &str, form: &[(&str, &str)]) -> Answer {
        answer(c.post(self.url(path)).form(form).send().await.unwrap()).await
    }

    /// Signs in through the form.
    async fn browser_login(&self, user: &str, password: &str) -> Client {
        let c = browser();
        let a = self
            .post(&c, "/login", &[("user", user), ("password", password)])
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "sign in as {user}");
        c
    }

    /// Invites a delegate of `party` into `room` as `token`'s user.
    async fn invite(&self, token: &str, room: &str, body: Value) -> Answer {
        self.api(
            Some(token),
            Method::POST,
            &format!("/api/rooms/{room}/invitations"),
            Some(body),
        )
        .await
    }

    async fn accept(&self, invitation: &str, user: &str, password: &str) -> Answer {
        self.api(
            None,
            Method::POST,
            &format!("/api/invitations/{invitation}"),
            Some(json!({"user": user, "password": password})),
        )
        .await
    }

    async fn invitations(&self, token: &str, room: &str) -> Answer {
        self.api(
            Some(token),
            Method::GET,
            &format!("/api/rooms/{room}/invitations"),
            None,
        )
        .await
    }
}

/// HTML text as the browser reads it (the templates escape `/`).
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let at = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// The state the invitation list gives `id`.
fn state_of(list: &Value, id: &str) -> String {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed in {list}"))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

fn assert_gone(a: &Answer, why: &str) {
    assert_eq!(a.status, StatusCode::GONE, "{}", a.text);
    let msg = a.json()["error"].as_str().unwrap().to_string();
    assert!(msg.contains(why), "410 should say {why:?}: {msg}");
}

#[tokio::test]
async fn first_start_through_the_set_up_link() {
    let (app, link) = start(false).await;
    let link = link.expect("an empty database offers a set-up link");
    assert!(link.starts_with("/setup/") && link.len() > 30, "{link}");
    let token = link.trim_start_matches("/setup/");
    let c = browser();

    // A wrong token is a page that does not exist.
    let a = app.get(&c, "/setup/0000").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = app.get(&c, &link).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text.contains(r#"id="setup-form""#));

    // A short password is refused, saying the rule; nothing is created.
    let a = app
        .post(
            &c,
            &link,
            &[
                ("user", "olga"),
                ("password", "short"),
                ("password_again", "short"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.text.contains("at least 10 characters"), "{}", a.text);
    assert!(app.store.user("olga").await.unwrap().is_none());
    let a = app
        .post(
            &c,
            &link,
            &[
                ("user", "olga"),
                ("password", "operator-pass-1"),
                ("password_again", "operator-pass-2"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.count_operators().await.unwrap(), 0);

    let a = app
        .post(
            &c,
            &link,
            &[
                ("user", "olga"),
                ("display_name", "Olga the operator"),
                ("password", "operator-pass-1"),
                ("password_again", "operator-pass-1"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert_eq!(a.location.as_deref(), Some("/"));
    assert!(a.cookie.unwrap().contains("HttpOnly"));
    assert!(app.store.is_operator("olga").await.unwrap());

    // Signed in: the operator's home, the room list, lists rooms and
    // offers a new one; `/operator` leads there.
    let a = app.get(&c, "/").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text.contains(r#"href="/rooms/new""#), "{}", a.text);
    assert!(a.text.contains(r#"id="no-rooms""#), "{}", a.text);
    let a = app.get(&c, "/operator").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location.as_deref(), Some("/"));

    // The link died with its use, through the page and the API alike.
    assert_eq!(
        app.get(&browser(), &link).await.status,
        StatusCode::NOT_FOUND
    );
    let a = app
        .api(
            None,
            Method::POST,
            &format!("/api/setup/{token}"),
            Some(json!({"user": "mallory", "password": "mallory-pass-1"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(app.store.user("mallory").await.unwrap().is_none());
    assert_eq!(app.store.count_operators().await.unwrap(), 1);
    // And no new link is offered once an operator exists.
    let state = AppState::new(app.store.clone());
    assert!(pactum_server::people::setup_link(&state)
        .await
        .unwrap()
        .is_none());

    // The operator sees every room's title but no room's content.
    let case = pactum_workspace::case::import(pactum_server::DEMO_CASE).unwrap();
    pactum_server::import_case(app.store.as_ref(), &case, ROOM, "test")
        .await
        .unwrap();
    let token = app.token("olga", "operator-pass-1").await;
    let a = app
        .api(Some(&token), Method::GET, "/api/operator/rooms", None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()[0]["id"], ROOM);
    for path in [
        format!("/api/rooms/{ROOM}"),
        format!("/api/rooms/{ROOM}/stances"),
        format!("/api/rooms/{ROOM}/members"),
    ] {
        let a = app.api(Some(&token), Method::GET, &path, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.get(&c, &format!("/rooms/{ROOM}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&c, &format!("/rooms/{ROOM}/people")).await.status,
        StatusCode::NOT_FOUND
    );
    // Its log names the act.
    let log = app.store.audit(None, 0, 100).await.unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "operator.create" && e.actor == "olga"));
}

#[tokio::test]
async fn operator_pages_are_for_operators_only() {
    let (app, link) = start(true).await;
    assert!(link.is_none(), "the demo has an operator");
    let ru = app.demo_token(RU).await;
    let a = app
        .api(Some(&ru), Method::GET, "/api/operator/rooms", None)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let c = app.browser_login(RU, "russia-demo").await;
    for path in ["/operator", "/operator/rooms/peace-plan-2025"] {
        assert_eq!(
            app.get(&c, path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let a = app.get(&c, "/").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(!a.text.contains("operator-rooms"), "{}", a.text);
    let op = app.browser_login("operator", "operator-demo").await;
    let a = app.get(&op, "/operator").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location.as_deref(), Some("/"));
    // One list of every room, with the way to invite its mediators.
    let a = app.get(&op, "/").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.text.contains(&format!(r#"id="oproom-{ROOM}""#)),
        "{}",
        a.text
    );
    assert!(a
        .text
        .contains(&format!(r#"href="/operator/rooms/{ROOM}""#)));
    // The operator's room page invites the mediator party only.
    let a = app.get(&op, &format!("/operator/rooms/{ROOM}")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.text.contains(r#"<option value="united_states">"#),
        "{}",
        a.text
    );
    assert!(!a.text.contains(r#"<option value="ukraine">"#));
    let csrf = csrf_of(&a.text);
    let a = app
        .post(
            &op,
            &format!("/operator/rooms/{ROOM}/invite"),
            &[
                ("_csrf", &csrf),
                ("party", "united_states"),
                ("expires_in_days", "7"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(
        unescape(&a.text).contains("/invite/pi_"),
        "the link is shown once"
    );
}

#[tokio::test]
async fn invitations_seat_once_expire_and_are_revoked() {
    invitation_life(start(true).await.0).await;
}

/// The same on PostgreSQL (when `PACTUM_TEST_DATABASE_URL` is set).
#[tokio::test]
async fn postgres_invitations_seat_once_expire_and_are_revoked() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    invitation_life(start_on(db, true).await.0).await;
}

async fn invitation_life(app: App) {
    let med = app.demo_token(MED).await;

    let a = app.invite(&med, ROOM, json!({"party": "ukraine"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let v = a.json();
    let (token, id) = (v["token"].as_str().unwrap(), v["id"].as_str().unwrap());
    let url = v["url"].as_str().unwrap();
    assert_eq!(url, format!("{}/invite/{token}", app.base));

    // Lists give the state, never the token nor its hash.
    let list = app.invitations(&med, ROOM).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(state_of(&list.json(), id), "open");
    let hash = app
        .store
        .invitations(ROOM)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.id == id)
        .unwrap()
        .token_hash;
    for secret in [token, &token[3..], &hash] {
        assert!(!list.text.contains(secret), "the list leaks {secret}");
    }

    // The page names room and party; bad input changes nothing.
    let a = app.get(&browser(), &format!("/invite/{token}")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text.contains("Ukraine"), "{}", a.text);
    let a = app.accept(token, "kyiv", "short").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["field"], "password");
    assert!(a.text.contains("at least 10 characters"), "{}", a.text);
    let a = app.accept(token, RU, "a-good-password").await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.json()["field"], "user");
    let a = app.accept(token, "kyiv/../x", "a-good-password").await;
    assert_eq!(a.json()["field"], "user");
    assert_eq!(
        state_of(&app.invitations(&med, ROOM).await.json(), id),
        "open"
    );
    assert!(app.store.user("kyiv").await.unwrap().is_none());

    let a = app.accept(token, "kyiv", "a-good-password").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(
        a.json(),
        json!({"user": "kyiv", "room": ROOM, "party": "ukraine"})
    );
    let kyiv = app.token("kyiv", "a-good-password").await;
    let rooms = app
        .api(Some(&kyiv), Method::GET, "/api/rooms", None)
        .await
        .json();
    assert_eq!(
        rooms,
        json!([{"id": ROOM, "title": rooms[0]["title"], "party_id": "ukraine"}])
    );

    // A second use, by anyone: 410.
    assert_gone(
        &app.accept(token, "kyiv-2", "a-good-password").await,
        "used",
    );
    assert_eq!(
        app.get(&browser(), &format!("/invite/{token}"))
            .await
            .status,
        StatusCode::GONE
    );
    assert!(app.store.user("kyiv-2").await.unwrap().is_none());
    let list = app.invitations(&med, ROOM).await.json();
    assert_eq!(state_of(&list, id), "used");

    // Revoked: 410, and revoking twice says it is gone.
    let v = app
        .invite(&med, ROOM, json!({"party": "russia"}))
        .await
        .json();
    let (t2, id2) = (v["token"].as_str().unwrap(), v["id"].as_str().unwrap());
    let path = format!("/api/rooms/{ROOM}/invitations/{id2}");
    let a = app.api(Some(&med), Method::DELETE, &path, None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_gone(
        &app.accept(t2, "moscow", "a-good-password").await,
        "revoked",
    );
    assert_eq!(
        app.api(Some(&med), Method::DELETE, &path, None)
            .await
            .status,
        StatusCode::GONE
    );
    assert_eq!(
        state_of(&app.invitations(&med, ROOM).await.json(), id2),
        "revoked"
    );

    // Expired: 410.
    let v = app
        .invite(
            &med,
            ROOM,
            json!({"party": "russia", "expires_in_seconds": 1}),
        )
        .await
        .json();
    let (t3, id3) = (v["token"].as_str().unwrap(), v["id"].as_str().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_gone(
        &app.accept(t3, "moscow", "a-good-password").await,
        "expired",
    );
    assert_eq!(
        state_of(&app.invitations(&med, ROOM).await.json(), id3),
        "expired"
    );
    assert!(app.store.user("moscow").await.unwrap().is_none());

    // Bad invitation input names the field.
    let a = app.invite(&med, ROOM, json!({"party": "atlantis"})).await;
    assert_eq!(
        (a.status, a.json()["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("party"))
    );
    let a = app
        .invite(
            &med,
            ROOM,
            json!({"party": "russia", "expires_in_seconds": 0}),
        )
        .await;
    assert_eq!(a.json()["field"], "expires_in_seconds");
    // An unknown token is not found.
    let a = app.accept("pi_0000", "nobody", "a-good-password").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // The log has each act, about the room.
    let log = app.store.audit(Some(ROOM), 0, 10_000).await.unwrap();
    for action in ["invitation.create", "invitation.use", "invitation.revoke"] {
        assert!(log.iter().any(|e| e.action == action), "{action}");
    }
    assert!(app.store.verify_audit().await.unwrap().ok());
}

#[tokio::test]
async fn only_the_mediator_or_an_operator_invites() {
    let (app, _) = start(true).await;
    let med = app.demo_token(MED).await;
    let ru = app.demo_token(RU).await;
    let eu = app.demo_token("european-states").await;
    app.invite(&med, ROOM, json!({"party": "ukraine"})).await;

    for t in [&ru, &eu] {
        let a = app.invite(t, ROOM, json!({"party": "russia"})).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
        assert_eq!(app.invitations(t, ROOM).await.status, StatusCode::NOT_FOUND);
        let a = app
            .api(
                Some(t),
                Method::GET,
                &format!("/api/rooms/{ROOM}/members"),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        let a = app
            .api(
                Some(t),
                Method::DELETE,
                &format!("/api/rooms/{ROOM}/members/ukraine"),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
    }
    // The answers are those of a room that does not exist.
    let a = app.invitations(&ru, ROOM).await;
    let b = app.invitations(&ru, "no-such-room").await;
    assert_eq!((a.status, a.text), (b.status, b.text));
    let c = app.browser_login(RU, "russia-demo").await;
    assert_eq!(
        app.get(&c, &format!("/rooms/{ROOM}/people")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.store.invitations(ROOM).await.unwrap().len(), 1);

    // The operator, seatless, invites the mediator party only and sees
    // only those invitations.
    let op = app.demo_token("operator").await;
    let a = app.invite(&op, ROOM, json!({"party": "ukraine"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    let a = app
        .invite(&op, ROOM, json!({"party": "united_states"}))
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let list = app.invitations(&op, ROOM).await.json();
    let parties: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["party"].clone())
        .collect();
    assert_eq!(parties, [json!("united_states")]);
    assert_eq!(
        app.invitations(&med, ROOM)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A non-operator outside the room finds nothing at all.
    let v = app
        .invite(&med, ROOM, json!({"party": "russia"}))
        .await
        .json();
    let path = format!(
        "/api/rooms/{ROOM}/invitations/{}",
        v["id"].as_str().unwrap()
    );
    assert_eq!(
        app.api(Some(&ru), Method::DELETE, &path, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(Some(&op), Method::DELETE, &path, None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_invitation_seats_into_its_own_room_only() {
    let (app, _) = start(true).await;
    let case = pactum_workspace::case::import(pactum_server::DEMO_CASE).unwrap();
    pactum_server::import_case(app.store.as_ref(), &case, OTHER_ROOM, "test")
        .await
        .unwrap();
    let mut audit = pactum_store::NewAudit::new("test", "member.add");
    audit.room = Some(OTHER_ROOM.into());
    app.store
        .add_member(
            &pactum_store::MemberRow {
                room: OTHER_ROOM.into(),
                user: MED.into(),
                party_id: "united_states".into(),
            },
            audit,
        )
        .await
        .unwrap();
    let med = app.demo_token(MED).await;
    let v = app
        .invite(&med, OTHER_ROOM, json!({"party": "ukraine"}))
        .await
        .json();
    let (token, id) = (v["token"].as_str().unwrap(), v["id"].as_str().unwrap());
    // Room A's invitation is no business of room B's.
    assert!(!app.invitations(&med, ROOM).await.text.contains(id));
    let a = app
        .api(
            Some(&med),
            Method::DELETE,
            &format!("/api/rooms/{ROOM}/invitations/{id}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = app.accept(token, "odesa", "a-good-password").await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.json()["room"], OTHER_ROOM);
    let seats = app.store.memberships("odesa").await.unwrap();
    assert_eq!(seats.len(), 1);
    assert_eq!(
        (seats[0].room.as_str(), seats[0].party_id.as_str()),
        (OTHER_ROOM, "ukraine")
    );
    let odesa = app.token("odesa", "a-good-password").await;
    let a = app
        .api(
            Some(&odesa),
            Method::GET,
            &format!("/api/rooms/{ROOM}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_people_page_invites_and_removes_a_delegate_at_once() {
    people_page(start(true).await.0).await;
}

/// The same on PostgreSQL (when `PACTUM_TEST_DATABASE_URL` is set).
#[tokio::test]
async fn postgres_the_people_page_invites_and_removes_a_delegate_at_once() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    people_page(start_on(db, true).await.0).await;
}

async fn people_page(app: App) {
    let med = app.browser_login(MED, "united-states-demo").await;
    let page = format!("/rooms/{ROOM}/people");
    let a = app.get(&med, &page).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text.contains(r#"data-user="russia""#), "{}", a.text);
    assert!(a.text.contains(r#"id="nav-people""#));
    let csrf = csrf_of(&a.text);

    // Invite through the form: the link is shown once, never again.
    let a = app
        .post(
            &med,
            &format!("{page}/invite"),
            &[("party", "ukraine"), ("expires_in_days", "7")],
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "no CSRF token, no invitation"
    );
    let a = app
        .post(
            &med,
            &format!("{page}/invite"),
            &[
                ("_csrf", &csrf),
                ("party", "ukraine"),
                ("expires_in_days", "7"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let text = unescape(&a.text);
    let at = text.find("/invite/pi_").expect("the link");
    let token: String = text[at + 8..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let again = app.get(&med, &page).await;
    assert!(!again.text.contains(&token));
    assert!(again.text.contains(r#"data-state="open""#));
    let a = app
        .post(
            &med,
            &format!("{page}/invite"),
            &[
                ("_csrf", &csrf),
                ("party", "ukraine"),
                ("expires_in_days", "99"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.text.contains("1 to 30"), "{}", a.text);

    // The invitee accepts in their own browser and lands in the room.
    let kyiv = browser();
    let a = app
        .post(
            &kyiv,
            &format!("/invite/{token}"),
            &[
                ("user", "kyiv"),
                ("password", "kyiv-password"),
                ("password_again", "kyiv-password"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    assert_eq!(
        a.location.as_deref(),
        Some(format!("/rooms/{ROOM}").as_str())
    );
    assert_eq!(
        app.get(&kyiv, &format!("/rooms/{ROOM}")).await.status,
        StatusCode::OK
    );
    let bearer = app.token("kyiv", "kyiv-password").await;
    let me = app.api(Some(&bearer), Method::GET, "/api/me", None).await;
    assert_eq!(me.status, StatusCode::OK);

    // Removed: the cookie session and the bearer token die at once.
    let a = app
        .post(
            &med,
            &format!("{page}/remove"),
            &[("_csrf", &csrf), ("user", MED)],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "not oneself");
    let a = app
        .post(
            &med,
            &format!("{page}/remove"),
            &[("_csrf", &csrf), ("user", "kyiv")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let a = app.api(Some(&bearer), Method::GET, "/api/me", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = app.get(&kyiv, "/api/me").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = app.get(&kyiv, &format!("/rooms/{ROOM}")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.location.unwrap().starts_with("/login"));
    // Signing in again finds no seat.
    let back = app.token("kyiv", "kyiv-password").await;
    let a = app
        .api(
            Some(&back),
            Method::GET,
            &format!("/api/rooms/{ROOM}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let log = app.store.audit(Some(ROOM), 0, 10_000).await.unwrap();
    let removed = log
        .iter()
        .find(|e| e.action == "member.remove")
        .expect("audited");
    assert_eq!(removed.actor, MED);
    assert!(removed.detail.contains("kyiv"));
    // Over the API too.
    let med_t = app.demo_token(MED).await;
    let ru = app.demo_token(RU).await;
    let a = app
        .api(
            Some(&med_t),
            Method::DELETE,
            &format!("/api/rooms/{ROOM}/members/{RU}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.api(Some(&ru), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let a = app
        .api(
            Some(&med_t),
            Method::DELETE,
            &format!("/api/rooms/{ROOM}/members/{RU}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn changing_the_password_and_signing_out_everywhere() {
    let (app, _) = start(true).await;
    let t = app.demo_token(RU).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let a = app
        .api(
            Some(&t),
            Method::POST,
            "/api/account/password",
            Some(change("wrong", "a-new-password")),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["field"], "current_password");
    let a = app
        .api(
            Some(&t),
            Method::POST,
            "/api/account/password",
            Some(change("russia-demo", "short")),
        )
        .await;
    assert_eq!(a.json()["field"], "new_password");
    assert!(a.text.contains("at least 10 characters"));
    let a = app
        .api(
            Some(&t),
            Method::POST,
            "/api/account/password",
            Some(change("russia-demo", "a-new-password")),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.token_with(RU, "russia-demo", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let t2 = app.token(RU, "a-new-password").await;

    // The account page changes it too, CSRF-checked.
    let c = app.browser_login(RU, "a-new-password").await;
    let a = app.get(&c, "/account").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text.contains(r#"id="tokens-table""#));
    let csrf = csrf_of(&a.text);
    let form = [
        ("_csrf", csrf.as_str()),
        ("current_password", "a-new-password"),
        ("new_password", "third-password"),
        ("new_password_again", "third-password"),
    ];
    let a = app.post(&c, "/account/password", &form[1..]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app.post(&c, "/account/password", &form).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    app.token(RU, "third-password").await;

    // Everywhere: every session and token of the user, no one else's.
    let other = app.browser_login(RU, "third-password").await;
    let med = app.demo_token(MED).await;
    let a = app
        .api(
            Some(&t2),
            Method::POST,
            "/api/account/logout-everywhere",
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    for token in [&t, &t2] {
        assert_eq!(
            app.api(Some(token), Method::GET, "/api/me", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    for b in [&c, &other] {
        assert_eq!(app.get(b, "/api/me").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.api(Some(&med), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::OK
    );
    let log = app.store.audit(None, 0, 10_000).await.unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "session.logout_everywhere" && e.actor == RU));
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "user.password" && e.actor == RU)
            .count(),
        2
    );

    // The page's button ends the session it is pressed in.
    let c = app.browser_login(RU, "third-password").await;
    let csrf = csrf_of(&app.get(&c, "/account").await.text);
    let a = app
        .post(&c, "/account/logout-everywhere", &[("_csrf", &csrf)])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&c, "/api/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn tokens_expire_are_listed_and_revoked() {
    let (app, _) = start(true).await;
    // Expiry: refused once past.
    let a = app
        .token_with(RU, "russia-demo", json!({"expires_in_seconds": 1}))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let short = a.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.api(Some(&short), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        app.api(Some(&short), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    for bad in [
        json!({"expires_in_days": 0}),
        json!({"expires_in_days": 366}),
        json!({"expires_in_days": 1, "expires_in_seconds": 5}),
    ] {
        let a = app.token_with(RU, "russia-demo", bad.clone()).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(a.json()["field"]
            .as_str()
            .unwrap()
            .starts_with("expires_in"));
    }

    // Listed with label and expiry, never the token.
    let a = app
        .token_with(
            RU,
            "russia-demo",
            json!({"label": "ci", "expires_in_days": 2}),
        )
        .await
        .json();
    let (ci, ci_id) = (
        a["token"].as_str().unwrap().to_string(),
        a["id"].as_str().unwrap().to_string(),
    );
    let other = app.demo_token(RU).await;
    let list = app
        .api(Some(&other), Method::GET, "/api/tokens", None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    for secret in [&ci, &other, &short] {
        assert!(!list.text.contains(&secret[3..]), "the list leaks a token");
    }
    let entry = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == ci_id.as_str())
        .cloned()
        .expect("listed");
    assert_eq!(entry["label"], "ci");
    let expires = time::OffsetDateTime::parse(
        entry["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let days = (expires - time::OffsetDateTime::now_utc()).whole_hours();
    assert!((47..=48).contains(&days), "{days} hours");
    let expired: Vec<_> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["expired"] == true)
        .cloned()
        .collect();
    assert_eq!(expired.len(), 1, "the short token is listed as expired");

    // Revoked by id; another user's id is not found.
    let med = app.demo_token(MED).await;
    let path = format!("/api/tokens/{ci_id}");
    assert_eq!(
        app.api(Some(&med), Method::DELETE, &path, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(Some(&ci), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.api(Some(&other), Method::DELETE, &path, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.api(Some(&ci), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Logout revokes the token it is called with, only that one.
    let a = app
        .api(Some(&other), Method::POST, "/api/logout", None)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.api(Some(&other), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.api(Some(&med), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::OK
    );

    // A cookie-authenticated revocation needs the CSRF token, whatever the
    // content type.
    let c = app.browser_login(MED, "united-states-demo").await;
    let med_id = app
        .api(Some(&med), Method::GET, "/api/tokens", None)
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = c
        .delete(app.url(&format!("/api/tokens/{med_id}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.api(Some(&med), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::OK
    );
    // The account page revokes it with its form.
    let csrf = csrf_of(&app.get(&c, "/account").await.text);
    let a = app
        .post(
            &c,
            "/account/tokens/revoke",
            &[("_csrf", &csrf), ("id", &med_id)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.api(Some(&med), Method::GET, "/api/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
