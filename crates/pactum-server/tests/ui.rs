//! The server-rendered UI over HTTP, as a browser uses it: the login form
//! and its throttling, session cookies, CSRF on every form, each page's key
//! content, the mediator → party → mediator flow on a new version, form
//! errors that name the field, and 404 pages that reveal nothing.

use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

const ROOM: &str = "peace-plan-2025";

struct App {
    base: String,
    /// The demo file's ids → the room's (its records have fresh ids).
    ids: pactum_workspace::case::IdMap,
    _dir: tempfile::TempDir,
}

async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    let demo = pactum_server::load_demo(store.as_ref()).await.unwrap();
    let state = pactum_server::AppState::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum_serve(listener, state).await;
    });
    App {
        base: format!("http://{addr}"),
        ids: demo.ids,
        _dir: dir,
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, state: pactum_server::AppState) {
    pactum_server::serve(state, listener).await.unwrap();
}

/// A browser: keeps cookies, does not follow redirects (so tests see them).
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl App {
    /// A demo record's id in the room, by its id in the demo file.
    fn id(&self, kind: &str, file_id: &str) -> String {
        self.ids
            .get(kind, file_id)
            .unwrap_or_else(|| panic!("the demo file has no {kind} {file_id}"))
            .to_string()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, c: &Client, path: &str) -> Page {
        page(c.get(self.url(path)).send().await.unwrap()).await
    }

    async fn post(&self, c: &Client, path: &str, form: &[(&str, &str)]) -> Page {
        page(c.post(self.url(path)).form(form).send().await.unwrap()).await
    }

    /// Signs in through the form; returns the browser.
    async fn login(&self, user: &str) -> Client {
        let c = browser();
        let password = format!("{user}-demo");
        let res = c
            .post(self.url("/login"))
            .form(&[("user", user), ("password", password.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login as {user}");
        let cookie = res
            .headers()
            .get(SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        c
    }

    /// The CSRF token of the forms on a page.
    async fn csrf(&self, c: &Client, path: &str) -> String {
        let p = self.get(c, path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        csrf_of(&p.body)
    }
}

async fn page(res: reqwest::Response) -> Page {
    let status = res.status();
    let location = res
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    Page {
        status,
        location,
        body: res.text().await.unwrap(),
    }
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let at = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

fn room(path: &str) -> String {
    format!("/rooms/{ROOM}{path}")
}

#[tokio::test]
async fn login_form_cookie_throttling_and_logout() {
    let app = start().await;
    let anon = browser();

    // Everything but the login form sends strangers to it.
    let p = app.get(&anon, "/").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/login"));
    let p = app.get(&anon, &room("/stances")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap().starts_with("/login?next=%2Frooms%2F"));
    let p = app.get(&anon, "/login").await;
    assert_eq!(p.status, StatusCode::OK);
    for id in [r#"id="login-form""#, r#"id="user""#, r#"id="password""#] {
        assert!(p.body.contains(id), "{id}");
    }

    // Static files: right types, cacheable, no CDN anywhere.
    for (path, ty) in [
        ("/static/app.css", "text/css"),
        ("/static/app.js", "text/javascript"),
    ] {
        let res = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(ty));
        assert!(res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age"));
    }
    assert!(!p.body.contains("https://") && !p.body.contains("http://"));

    // A wrong password is refused with the form again; the sixth try in a
    // minute is throttled even with the right password.
    let p = app
        .post(&anon, "/login", &[("user", "russia"), ("password", "nope")])
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("Wrong user name or password"));
    for _ in 0..5 {
        app.post(&anon, "/login", &[("user", "russia"), ("password", "nope")])
            .await;
    }
    let p = app
        .post(
            &anon,
            "/login",
            &[("user", "russia"), ("password", "russia-demo")],
        )
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(p.body.contains("Too many failed sign-ins"));

    // A signed-in user; logging out needs the CSRF token and ends the session.
    let c = app.login("ukraine").await;
    let p = app.get(&c, "/").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Talks on a U.S.-drafted peace plan"));
    let token = csrf_of(&p.body);
    assert_eq!(
        app.post(&c, "/logout", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&c, "/logout", &[("_csrf", "wrong")]).await.status,
        StatusCode::FORBIDDEN
    );
    let p = app.post(&c, "/logout", &[("_csrf", &token)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&c, "/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_page_renders_its_key_content() {
    let app = start().await;
    let m = app.login("united-states").await;
    let (v1, v2) = (
        app.id("text", "v1_28_point_plan"),
        app.id("text", "v2_post_geneva"),
    );
    let ua_cell = format!(
        r#"data-party="ukraine" data-point="{}" data-stance="rejects""#,
        app.id("point", "v2.armed_forces_cap")
    );
    let matrix_needles = [
        r#"id="stance-matrix""#,
        &ua_cell,
        r#"data-party="russia" data-point="whole" data-stance="conditional""#,
        "Limit on the size of Ukraine&#x27;s armed forces",
        "Wording not known.",
        r#"id="stance-form""#,
        r#"id="stance-party""#,
    ];
    let from_v2 = format!(r#"id="from-{v2}" checked"#);
    let new_draft_needles = [from_v2.as_str(), r#"id="from-empty""#, r#"id="draft-body""#];
    let checks: Vec<(String, &[&str])> = vec![
        (
            "/".to_string(),
            &[r#"id="room-peace-plan-2025""#, "Mediator"],
        ),
        (
            room(""),
            &[
                r#"id="disclaimer""#,
                "Illustrative case for demonstrating software only",
                "Meeting in the Kremlin with the U.S. envoys",
                "not before 2025-11-23",
                "Closed, non-disclosure agreed",
                "Russian Federation",
                r#"id="nav-audit""#,
            ],
        ),
        (room(&format!("/texts/{v2}")), &matrix_needles),
        (room(&format!("/texts/new?from={v2}")), &new_draft_needles),
        (
            room(&format!("/redline?from={v1}&to={v2}")),
            &["28 deleted", "4 inserted", r#"data-change="inserted""#],
        ),
        (
            room("/stances?reliability=official_on_record"),
            &[
                "Vladimir Putin (President of Russia)",
                "Official, on record",
            ],
        ),
        (
            room("/meetings"),
            &["5 h", "Kremlin, Moscow, Russia", r#"id="meeting-form""#],
        ),
        (
            room("/documents"),
            &[r#"id="document-form""#, r#"id="note-form""#],
        ),
        (room("/audit"), &["Chain verified", "case.import"]),
    ];
    for (path, needles) in checks {
        let p = app.get(&m, &path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        for n in needles {
            assert!(p.body.contains(n), "{path} lacks {n}");
        }
    }
    // Ledger filters narrow the table.
    let p = app
        .get(&m, &room("/stances?party=ukraine&source=strana"))
        .await;
    assert!(p.body.contains(r#"data-party="ukraine""#));
    assert!(!p.body.contains(r#"data-party="russia" data-stance"#));
    let p = app
        .get(&m, &room("/stances?reliability=denied_by_party"))
        .await;
    assert!(p.body.contains("No stance matches these filters"));
    // /texts opens the latest version.
    let p = app.get(&m, &room("/texts")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_new_version_reaches_only_the_party_it_is_published_to() {
    let app = start().await;
    let med = app.login("united-states").await;
    let ru = app.login("russia").await;
    let ua = app.login("ukraine").await;
    let v2 = app.id("text", "v2_post_geneva");

    // The mediator drafts a revision of v2, then, point by point, rewords
    // one point and deletes another.
    let token = app
        .csrf(&med, &room(&format!("/texts/new?from={v2}")))
        .await;
    let p = app
        .post(
            &med,
            &room("/texts"),
            &[
                ("_csrf", &token),
                ("label", "Draft after the Kremlin meeting"),
                ("from", v2.as_str()),
                ("title", ""),
                ("body", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let draft_path = p.location.unwrap();
    let draft_path = draft_path.split('?').next().unwrap().to_string();
    let draft_id = draft_path.rsplit('/').next().unwrap().to_string();
    let p = app.get(&med, &draft_path).await;
    for needle in [
        r#"id="publish-form""#,
        r#"id="rename-form""#,
        r#"id="add-point-form""#,
        r#"id="pt-body-armed_forces_cap""#,
    ] {
        assert!(p.body.contains(needle), "the draft page lacks {needle}");
    }
    // A draft is edited, not revised.
    assert!(!p.body.contains(r#"id="revise-form""#));
    let token = csrf_of(&p.body);
    let p = app
        .post(
            &med,
            &format!("{draft_path}/points/armed_forces_cap"),
            &[
                ("_csrf", token.as_str()),
                ("title", "Limit on the size of Ukraine's armed forces"),
                ("body", "A cap of 600,000 troops"),
                ("issue_ids", "armed_forces_cap"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app
        .post(
            &med,
            &format!("{draft_path}/points/donetsk_withdrawal/delete"),
            &[("_csrf", token.as_str())],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // Nobody else sees the draft: the page is the plain 404 page.
    let missing = app.get(&ua, &room("/texts/no_such_text")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    for c in [&ru, &ua] {
        let p = app.get(c, &draft_path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert_eq!(p.body, missing.body, "a hidden draft looks like nothing");
    }

    // Publishing needs the CSRF token, then reaches Russia only.
    let p = app
        .post(
            &med,
            &format!("{draft_path}/publish"),
            &[("parties", "russia")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let token = csrf_of(&app.get(&med, &draft_path).await.body);
    let p = app
        .post(
            &med,
            &format!("{draft_path}/publish"),
            &[("_csrf", &token), ("parties", "russia")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        app.get(&ua, &draft_path).await.status,
        StatusCode::NOT_FOUND
    );
    let p = app.get(&ru, &draft_path).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("A cap of 600,000 troops"));
    assert!(!p.body.contains(r#"id="publish-form""#));

    // Russia's delegate records a conditional stance with proposed wording.
    let point = format!("point:{draft_id}.armed_forces_cap");
    let token = csrf_of(&p.body);
    let amendment = "A cap to be agreed in a separate protocol";
    let form = [
        ("_csrf", token.as_str()),
        ("text_id", draft_id.as_str()),
        ("party", "russia"),
        ("target", point.as_str()),
        ("stance", "conditional"),
        ("amendment", amendment),
        ("summary", "Acceptable if the cap is negotiated separately"),
        ("source", "Russian delegation"),
        ("reliability", "own_delegation"),
        ("date", "2025-12-03"),
        ("visibility", "default"),
    ];
    assert_eq!(
        app.post(&ru, &room("/stances"), &form[1..]).await.status,
        StatusCode::FORBIDDEN,
        "no CSRF token"
    );
    let p = app.post(&ru, &room("/stances"), &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(p.location.unwrap().contains("done=stance"));

    // The mediator sees it in the matrix, with the wording, and the redline.
    let p = app.get(&med, &draft_path).await;
    let cell = format!(
        r#"data-party="russia" data-point="{draft_id}.armed_forces_cap" data-stance="conditional""#
    );
    assert!(p.body.contains(&cell), "matrix cell");
    assert!(p.body.contains(amendment));
    let p = app
        .get(&med, &room(&format!("/redline?from={v2}&to={draft_id}")))
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("<ins>A cap of 600,000 troops</ins>"),
        "{}",
        p.body
    );
    assert!(p.body.contains("1 deleted") && p.body.contains("1 changed"));

    // Ukraine sees neither the stance nor its wording anywhere.
    for path in [
        "/stances".to_string(),
        String::new(),
        format!("/texts/{v2}"),
    ] {
        let p = app.get(&ua, &room(&path)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains(amendment), "{path}");
        assert!(
            !p.body.contains("Draft after the Kremlin meeting"),
            "{path}"
        );
    }

    // The mediator's audit trail lists Russia's read of the new version.
    let p = app.get(&med, &room("/audit")).await;
    assert!(p.body.contains("text.publish") && p.body.contains("stance.create"));
    assert!(p.body.contains(&format!(">{draft_id}<")));
}

#[tokio::test]
async fn refused_forms_name_the_field_and_restricted_pages_are_404() {
    let app = start().await;
    let ru = app.login("russia").await;
    let ua = app.login("ukraine").await;
    let v2 = app.id("text", "v2_post_geneva");
    let text = room(&format!("/texts/{v2}"));
    let token = app.csrf(&ru, &text).await;
    let mut form = vec![
        ("_csrf", token.as_str()),
        ("text_id", v2.as_str()),
        ("target", "text"),
        ("stance", "proposes_amendment"),
        ("summary", "A proposal"),
        ("source", "Russian delegation"),
        ("reliability", "own_delegation"),
    ];
    let p = app.post(&ru, &room("/stances"), &form).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(r#"data-field="amendment""#));
    assert!(p.body.contains("<strong>Proposed wording:</strong>"));
    assert!(
        p.body.contains(r#"value="A proposal""#),
        "the form keeps what was typed"
    );
    form[3] = ("stance", "accepts");
    form[4] = ("summary", "  ");
    let p = app.post(&ru, &room("/stances"), &form).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("<strong>Summary:</strong>"));
    form.push(("date", "3 Dec"));
    form[4] = ("summary", "Fine");
    let p = app.post(&ru, &room("/stances"), &form).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p
        .body
        .contains("<strong>Date:</strong> expected a date as YYYY-MM-DD"));
    // A delegate cannot record for another party.
    form.pop();
    form.push(("party", "ukraine"));
    let p = app.post(&ru, &room("/stances"), &form).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("only its own party"));

    // Mediator-only forms and pages do not exist for a delegate.
    let token = app.csrf(&ua, &room("/documents")).await;
    assert_eq!(
        app.get(&ua, &room("/audit")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&ua, &room("/texts/new")).await.status,
        StatusCode::NOT_FOUND
    );
    let p = app
        .post(
            &ua,
            &room("/meetings"),
            &[("_csrf", &token), ("title", "x")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // A document without a title names the field.
    let p = app
        .post(
            &ua,
            &room("/documents"),
            &[
                ("_csrf", &token),
                ("title", ""),
                ("content", "c"),
                ("visibility", "pm:ukraine"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("<strong>Title:</strong> must not be empty"));
    // A note reaches its own party only, and shows up on the page.
    let p = app
        .post(
            &ua,
            &room("/notes"),
            &[
                ("_csrf", &token),
                ("text", "Ask about sequencing"),
                ("visibility", "party:ukraine"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(app
        .get(&ua, &room("/documents"))
        .await
        .body
        .contains("Ask about sequencing"));
    assert!(!app
        .get(&ru, &room("/documents"))
        .await
        .body
        .contains("Ask about sequencing"));

    // Another party's closed meeting and restricted stances are not shown;
    // a room the user has no seat in is the same 404 as no room at all.
    let p = app.get(&ua, &room("/meetings")).await;
    assert!(!p.body.contains("Meeting in the Kremlin"));
    assert!(app
        .get(&ru, &room("/meetings"))
        .await
        .body
        .contains("Meeting in the Kremlin"));
    let p = app.get(&ua, &room("/stances")).await;
    assert!(!p.body.contains("No compromise version"));
    let none = app.get(&ua, "/rooms/no-such-room").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&ua, "/rooms/no-such-room/stances").await.body,
        none.body
    );
}

/// The value of a form input named `name` on a page.
fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" "#);
    let at = html.find(&marker)?;
    let rest = &html[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    Some(rest[v..].split('"').next()?.to_string())
}

#[tokio::test]
async fn models_analysis_and_a_single_text_session_through_the_forms() {
    let app = start().await;
    let ru = app.login("russia").await;
    let med = app.login("united-states").await;
    let ua = app.login("ukraine").await;

    // Russia's model page shows its illustrative model, labelled HYPOTHETICAL,
    // and says it is Russia's alone.
    let p = app.get(&ru, &room("/model")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(r#"id="model-hypothetical""#));
    assert!(
        p.body
            .contains("Only Russian Federation can read these numbers"),
        "{}",
        p.body
    );
    let token = csrf_of(&p.body);
    // A bad number names the field and keeps what was typed.
    let p = app
        .post(
            &ru,
            &room("/model"),
            &[
                ("_csrf", &token),
                ("action", "save"),
                ("reservation_value", "0.4"),
                ("w:nato_membership", "lots"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("is not a number"), "{}", p.body);
    assert_eq!(
        input_value(&p.body, "w:nato_membership").as_deref(),
        Some("lots")
    );
    // A full model through the form: only NATO membership matters to Russia.
    let p = app
        .post(
            &ru,
            &room("/model"),
            &[
                ("_csrf", &token),
                ("action", "save"),
                ("reservation_value", "0.5"),
                ("w:nato_membership", "1"),
                ("v:nato_membership.renounce", "1"),
                ("v:nato_membership.deferred", "0.6"),
                ("v:nato_membership.keep_open", "0"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app.get(&ru, &room("/model?done=model")).await;
    assert!(!p.body.contains(r#"id="model-hypothetical""#));
    assert_eq!(
        input_value(&p.body, "w:nato_membership").as_deref(),
        Some("1")
    );

    // Only the mediator has the analysis page; Ukraine's model is still the
    // case's, so the page says HYPOTHETICAL.
    assert_eq!(
        app.get(&ru, &room("/analysis")).await.status,
        StatusCode::NOT_FOUND
    );
    let p = app.get(&med, &room("/analysis")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(r#"id="analysis-hypothetical""#));
    assert!(
        p.body.contains(r#"id="zone-status" data-zone="yes""#),
        "{}",
        p.body
    );
    assert!(
        !p.body.contains("0.6"),
        "no model number on the analysis page"
    );
    // Open a session from the Nash package (the form's hidden fields).
    let token = csrf_of(&p.body);
    let nash_at = p.body.find(r#"id="nash""#).unwrap();
    let nash = &p.body[nash_at..];
    let nash = &nash[..nash.find("</form>").unwrap()];
    let mut form: Vec<(String, String)> = vec![("_csrf".into(), token.clone())];
    for part in nash.split(r#"<input type="hidden" name=""#).skip(1) {
        let name = part.split('"').next().unwrap().to_string();
        let value = part
            .split(r#"value=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        if name != "_csrf" {
            form.push((name, value));
        }
    }
    assert!(form.iter().any(|(k, _)| k == "o:nato_membership"));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = app.post(&med, &room("/sessions"), &pairs).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let session = p.location.unwrap();
    let session = session.split('?').next().unwrap().to_string();
    let current_nato = form
        .iter()
        .find(|(k, _)| k == "o:nato_membership")
        .unwrap()
        .1
        .clone();
    let target = if current_nato == "nato_membership.keep_open" {
        "nato_membership.deferred"
    } else {
        "nato_membership.keep_open"
    };

    // The mediator proposes a change on NATO membership.
    let p = app.get(&med, &session).await;
    let token = csrf_of(&p.body);
    let mut propose = vec![("_csrf", token.as_str())];
    let changed = form
        .iter()
        .filter(|(k, _)| k.starts_with("o:"))
        .map(|(k, v)| {
            (
                k.as_str(),
                if k == "o:nato_membership" {
                    target
                } else {
                    v.as_str()
                },
            )
        })
        .collect::<Vec<_>>();
    propose.extend(changed);
    let p = app
        .post(&med, &format!("{session}/propose"), &propose)
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // Russia lets its model vote: it loses on NATO whichever way the
    // proposal moves from its best option, unless the proposal is better.
    let value = |o: &str| match o {
        "nato_membership.renounce" => 1.0,
        "nato_membership.deferred" => 0.6,
        _ => 0.0,
    };
    let ru_accepts = value(target) > value(&current_nato);
    let p = app.get(&ru, &session).await;
    assert!(p.body.contains(r#"id="vote-form""#), "{}", p.body);
    let token = csrf_of(&p.body);
    let p = app
        .post(
            &ru,
            &format!("{session}/vote"),
            &[("_csrf", &token), ("ballot", "model")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app.get(&ru, &session).await;
    let mine = if ru_accepts {
        "accept (by model)"
    } else {
        "reject (by model)"
    };
    assert!(p.body.contains(mine), "{}", p.body);
    // Ukraine accepts by hand and does not see Russia's vote.
    let p = app.get(&ua, &session).await;
    let token = csrf_of(&p.body);
    app.post(
        &ua,
        &format!("{session}/vote"),
        &[("_csrf", &token), ("ballot", "accept")],
    )
    .await;
    let p = app.get(&ua, &session).await;
    assert!(!p.body.contains("by model"), "Ukraine sees Russia's vote");
    assert!(!p.body.contains(r#"id="tally""#));

    // The mediator sees the tally, decides and closes: a new draft appears.
    let p = app.get(&med, &session).await;
    assert!(p.body.contains(r#"id="tally""#));
    let token = csrf_of(&p.body);
    let p = app
        .post(&med, &format!("{session}/decide"), &[("_csrf", &token)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app
        .post(&med, &format!("{session}/close"), &[("_csrf", &token)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app.get(&med, &session).await;
    assert!(p.body.contains(r#"id="session-text""#), "{}", p.body);
    let at = p.body.find(r#"id="session-text""#).unwrap();
    let href = p.body[at..]
        .split(r#"href=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2f;", "/");
    let text = app.get(&med, &href).await;
    assert_eq!(text.status, StatusCode::OK);
    assert!(text.body.contains("single-text session"), "{}", text.body);
    let adopted = if ru_accepts {
        target
    } else {
        current_nato.as_str()
    };
    let demo: serde_json::Value = serde_json::from_str(pactum_server::DEMO_CASE).unwrap();
    let label = demo["issues"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["options"].as_array().unwrap())
        .find(|o| o["id"] == adopted)
        .unwrap()["label"]
        .as_str()
        .unwrap()
        .to_string();
    let escaped = label.replace('\'', "&#x27;").replace('"', "&quot;");
    assert!(
        text.body.contains(&label) || text.body.contains(&escaped),
        "the draft names the adopted option {label:?}"
    );
}
