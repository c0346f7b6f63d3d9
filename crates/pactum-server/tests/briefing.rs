//! The briefing page over HTTP: each demo user's page and downloads hold
//! the closed Kremlin meeting and its stances only for its participants and
//! the mediator (who may see them, by the demo file's own visibility fields,
//! read here); a room the user is not in answers 404; a bad format is
//! refused; downloads are attachments that cannot run anything.

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::Value;

const ROOM: &str = "peace-plan-2025";

async fn start() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    pactum_server::load_demo(store.as_ref()).await.unwrap();
    let state = pactum_server::AppState::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        pactum_server::serve(state, listener).await.unwrap();
    });
    (format!("http://{addr}"), dir)
}

async fn login(base: &str, user: &str) -> Client {
    let c = Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let password = format!("{user}-demo");
    let res = c
        .post(format!("{base}/login"))
        .form(&[("user", user), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login as {user}");
    c
}

/// The Kremlin meeting's title and the summaries of the stances made there,
/// with the parties the demo file lets see them.
fn closed_material() -> (Vec<String>, Vec<String>) {
    let demo: Value = serde_json::from_str(pactum_server::DEMO_CASE).unwrap();
    let meeting = demo["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "kremlin_meeting")
        .unwrap();
    let mut strings = vec![meeting["title"].as_str().unwrap().to_string()];
    for s in demo["stances"].as_array().unwrap() {
        if s["meeting_id"] == "kremlin_meeting" {
            strings.push(s["summary"].as_str().unwrap().to_string());
        }
    }
    let audience: Vec<String> = meeting["visibility"]["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    (strings, audience)
}

/// How a string appears in HTML (the page escapes what it shows).
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn each_user_sees_a_briefing_of_what_they_may_see() {
    let (base, _dir) = start().await;
    let (closed, participants) = closed_material();
    assert_eq!(closed.len(), 5, "the meeting and its four stances");
    for party in ["united_states", "russia", "ukraine", "european_states"] {
        let user = party.replace('_', "-");
        let c = login(&base, &user).await;
        let may_see = participants.iter().any(|p| p == party) || party == "united_states";
        let res = c
            .get(format!("{base}/rooms/{ROOM}/briefing"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{user}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains("id=\"briefing\"") && page.contains("<svg"),
            "{user}"
        );
        assert!(page.contains(&format!("Prepared for <strong>{user}</strong>")));
        for format in ["md", "html"] {
            let res = c
                .get(format!("{base}/rooms/{ROOM}/briefing?format={format}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let h = res.headers();
            assert!(h[CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment"));
            assert!(h[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .starts_with("default-src 'none'"));
            let expected_type = if format == "md" {
                "text/markdown"
            } else {
                "text/html"
            };
            assert!(h[CONTENT_TYPE].to_str().unwrap().starts_with(expected_type));
            let body = res.text().await.unwrap();
            // The meeting title is on every briefing that may show it.
            let title_shown = if format == "md" {
                body.contains(&closed[0])
            } else {
                body.contains(&escaped(&closed[0]))
            };
            assert_eq!(title_shown, may_see, "{user} {format}");
            for s in &closed {
                if !may_see {
                    assert!(!body.contains(s.as_str()), "{user} {format}: {s}");
                    assert!(!body.contains(&escaped(s)), "{user} {format}: {s}");
                }
            }
        }
        for s in &closed {
            if !may_see {
                assert!(!page.contains(&escaped(s)), "{user} page: {s}");
            }
        }
    }
}

#[tokio::test]
async fn strangers_get_404_and_bad_formats_are_refused() {
    let (base, _dir) = start().await;
    let c = login(&base, "ukraine").await;
    let res = c
        .get(format!("{base}/rooms/no-such-room/briefing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = c
        .get(format!("{base}/rooms/{ROOM}/briefing?format=pdf"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    assert!(res.text().await.unwrap().contains("expected md or html"));
    // Without a session: to the login form.
    let anon = Client::builder().redirect(Policy::none()).build().unwrap();
    let res = anon
        .get(format!("{base}/rooms/{ROOM}/briefing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
