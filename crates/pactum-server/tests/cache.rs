//! The server keeps what it read of a room between requests (see
//! `access::cache`); a view kept under the wrong key would be a leak. Over
//! real HTTP, on SQLite and (with `PACTUM_TEST_DATABASE_URL`) PostgreSQL,
//! with every view warmed by a read first:
//!
//! - a write is in the very next read of everyone who may see it, and in no
//!   read, page or count of anyone who may not (planted marker words);
//! - narrowing a version takes it out of the next read of those who lost it;
//! - a removed member's next read is refused;
//! - two servers over one database (two `AppState`s on two store handles,
//!   as two processes have) each see the other's writes on the next request.

mod common;

use common::TestDb;
use pactum_store::Store;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

const ROOM: &str = "peace-plan-2025";
const MED: &str = "united-states";
const RU: &str = "russia";
const UA: &str = "ukraine";

/// One server process over a store.
struct Server {
    base: String,
}

async fn serve(store: Arc<dyn Store>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(
        pactum_server::AppState::new(store),
        listener,
    ));
    Server {
        base: format!("http://{addr}"),
    }
}

/// The databases to run on: SQLite always, PostgreSQL when configured.
async fn databases() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite().await];
    dbs.extend(TestDb::postgres().await);
    dbs
}

async fn demo(db: &TestDb) -> Server {
    pactum_server::load_demo(db.store.as_ref()).await.unwrap();
    serve(db.store.clone()).await
}

impl Server {
    async fn token(&self, user: &str) -> String {
        let v: Value = Client::new()
            .post(format!("{}/api/login", self.base))
            .json(&json!({"user": user, "password": format!("{user}-demo")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["token"].as_str().expect("a token").to_string()
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, String) {
        let res = Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn send(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, String) {
        let mut req = Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }

    /// Everything a user reads of the room where a stance could show: the
    /// stance list (API and page), the room summary and overview, the
    /// export. Every read must succeed.
    async fn everything(&self, token: &str) -> String {
        let mut all = String::new();
        for p in [
            format!("/api/rooms/{ROOM}/stances?limit=1000"),
            format!("/api/rooms/{ROOM}"),
            format!("/api/rooms/{ROOM}/export"),
            format!("/rooms/{ROOM}/stances?limit=1000"),
            format!("/rooms/{ROOM}"),
        ] {
            let (status, body) = self.get(token, &p).await;
            assert_eq!(status, StatusCode::OK, "GET {p}: {body}");
            all.push_str(&body);
        }
        all
    }

    /// How many stances the user's stance list holds (the list's total).
    async fn stance_count(&self, token: &str) -> usize {
        let res = Client::new()
            .get(format!("{}/api/rooms/{ROOM}/stances?limit=1", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Ukraine's delegate records a stance carrying `marker` with this
    /// audience; its id.
    async fn stance(&self, token: &str, marker: &str, visibility: Value) -> String {
        let (status, body) = self
            .send(
                token,
                reqwest::Method::POST,
                &format!("/api/rooms/{ROOM}/stances"),
                Some(json!({
                    "party_id": UA, "target": {"issue_id": "territory_status"},
                    "stance": "conditional", "summary": format!("Ukraine says {marker}"),
                    "provenance": {"source": "Ukraine's delegation", "reliability": "own_delegation"},
                    "visibility": visibility,
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

#[tokio::test]
async fn a_write_reaches_the_next_read_of_those_who_may_see_it_and_nobody_else() {
    for db in databases().await {
        let app = demo(&db).await;
        let (med, ru, ua) = (
            app.token(MED).await,
            app.token(RU).await,
            app.token(UA).await,
        );
        // Warm every view.
        for t in [&med, &ru, &ua] {
            app.everything(t).await;
        }
        let ru_count = app.stance_count(&ru).await;
        let hidden = app
            .stance(
                &ua,
                "zebracrossing",
                json!({"scope": "party_and_mediator", "party": UA}),
            )
            .await;
        assert!(app.everything(&ua).await.contains("zebracrossing"));
        assert!(app.everything(&med).await.contains("zebracrossing"));
        let seen = app.everything(&ru).await;
        assert!(!seen.contains("zebracrossing"), "{}", db.spec());
        assert!(!seen.contains(&hidden));
        assert_eq!(app.stance_count(&ru).await, ru_count, "the count moved");
        assert_eq!(
            app.get(&ru, &format!("/api/rooms/{ROOM}/stances/{hidden}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        // A room-wide write is in Russia's very next read.
        app.stance(&ua, "quagmireless", json!({"scope": "room"}))
            .await;
        assert!(app.everything(&ru).await.contains("quagmireless"));
        assert_eq!(app.stance_count(&ru).await, ru_count + 1);
        // An edit that narrows a stance takes it away at once.
        let (status, body) = app
            .get(&ua, &format!("/api/rooms/{ROOM}/stances?limit=1000"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let list: Vec<Value> = serde_json::from_str(&body).unwrap();
        let open = list
            .iter()
            .find(|s| s["body"]["summary"] == "Ukraine says quagmireless")
            .expect("listed");
        let id = open["id"].as_str().unwrap();
        let mut body = open["body"].clone();
        body["visibility"] = json!({"scope": "party_and_mediator", "party": UA});
        let (status, answer) = app
            .send(
                &ua,
                reqwest::Method::PUT,
                &format!("/api/rooms/{ROOM}/stances/{id}"),
                Some(body),
            )
            .await;
        if status == StatusCode::OK {
            assert!(!app.everything(&ru).await.contains("quagmireless"));
            assert_eq!(app.stance_count(&ru).await, ru_count);
        } else {
            // Edits may not change an audience this way; the rest holds.
            assert!(status.is_client_error(), "{status}: {answer}");
        }
    }
}

#[tokio::test]
async fn narrowing_a_version_takes_effect_on_the_next_read() {
    for db in databases().await {
        let app = demo(&db).await;
        let (med, ru) = (app.token(MED).await, app.token(RU).await);
        let (status, body) = app
            .send(
                &med,
                reqwest::Method::POST,
                &format!("/api/rooms/{ROOM}/texts"),
                Some(json!({"label": "Version xylophonic", "points": [{"key": "a", "title": "Point marimbaesque"}]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        // A draft is the mediator's alone.
        assert!(!app.everything(&ru).await.contains("xylophonic"));
        let (status, body) = app
            .send(
                &med,
                reqwest::Method::POST,
                &format!("/api/rooms/{ROOM}/texts/{id}/publish"),
                Some(json!({"parties": [RU, UA]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, page) = app.get(&ru, &format!("/rooms/{ROOM}/texts/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("marimbaesque"));
        assert!(app.everything(&ru).await.contains("xylophonic"));
        // Narrowed to Ukraine: gone from Russia's next read.
        let (status, body) = app
            .send(
                &med,
                reqwest::Method::POST,
                &format!("/api/rooms/{ROOM}/texts/{id}/visibility"),
                Some(json!({"visibility": {"scope": "party_and_mediator", "party": UA}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let seen = app.everything(&ru).await;
        assert!(!seen.contains("xylophonic") && !seen.contains(&id));
        assert_eq!(
            app.get(&ru, &format!("/rooms/{ROOM}/texts/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&ru, &format!("/api/rooms/{ROOM}/texts/{id}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn a_removed_member_is_out_on_the_next_request() {
    for db in databases().await {
        let app = demo(&db).await;
        let (med, ru) = (app.token(MED).await, app.token(RU).await);
        app.everything(&ru).await;
        let (status, body) = app
            .send(
                &med,
                reqwest::Method::DELETE,
                &format!("/api/rooms/{ROOM}/members/{RU}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(
            app.get(&ru, &format!("/api/rooms/{ROOM}/stances")).await.0,
            StatusCode::UNAUTHORIZED
        );
        // Signed in again, the user holds no seat: the room is not there.
        let again = app.token(RU).await;
        for p in [
            format!("/api/rooms/{ROOM}"),
            format!("/api/rooms/{ROOM}/stances"),
            format!("/rooms/{ROOM}/stances"),
        ] {
            assert_eq!(app.get(&again, &p).await.0, StatusCode::NOT_FOUND, "{p}");
        }
    }
}

#[tokio::test]
async fn two_servers_on_one_database_see_each_others_writes() {
    for db in databases().await {
        let a = demo(&db).await;
        let b = serve(db.reopen().await).await;
        let (ua_a, ru_b, med_b) = (a.token(UA).await, b.token(RU).await, b.token(MED).await);
        let ru_count = b.stance_count(&ru_b).await;
        b.everything(&ru_b).await;
        b.everything(&med_b).await;
        a.stance(&ua_a, "periwinklish", json!({"scope": "room"}))
            .await;
        assert!(b.everything(&ru_b).await.contains("periwinklish"));
        assert_eq!(b.stance_count(&ru_b).await, ru_count + 1);
        a.stance(
            &ua_a,
            "thimbleweed",
            json!({"scope": "party_and_mediator", "party": UA}),
        )
        .await;
        assert!(b.everything(&med_b).await.contains("thimbleweed"));
        assert!(!b.everything(&ru_b).await.contains("thimbleweed"));
        assert_eq!(b.stance_count(&ru_b).await, ru_count + 1);
        // And back: a write on B is in A's next read.
        let ua_b = b.token(UA).await;
        let ru_a = a.token(RU).await;
        a.everything(&ru_a).await;
        b.stance(&ua_b, "gooseberried", json!({"scope": "room"}))
            .await;
        assert!(a.everything(&ru_a).await.contains("gooseberried"));
    }
}
