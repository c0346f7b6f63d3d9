//! Language editions over real HTTP, on both backends: a bilingual version
//! (one edition right to left) shows side by side with each column's `lang`
//! and `dir`; each edition has its own redline; tags are validated naming
//! the field; a published version gains a translation but never a change
//! to its wording; a hidden version's editions never reach a party (marker
//! words planted in them); every byte survives export and import; a stance
//! names the edition it quotes.

use pactum_testkit::db::TestDb;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const ROOM: &str = "peace-plan-2025";
/// Planted in the hidden draft's editions only.
const MARKER: &str = "QUOKKAVELLUM";
/// RTL text with a right-to-left mark, a combining accent, an emoji with a
/// variation selector, CRLF and LF line breaks and trailing spaces.
const ARABIC: &str =
    "يتوقف إطلاق النار\u{200f} فوراً — e\u{301}te\u{301} 🕊\u{fe0f}\r\nالسطر الثاني\n  ";
const UKRAINIAN: &str = "Сторони припиняють вогонь.\nЇї ґ й";

struct App {
    base: String,
    http: Client,
    db: TestDb,
}

async fn start(db: TestDb) -> App {
    pactum_server::load_demo(db.store.as_ref()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pactum_server::serve(
        pactum_server::AppState::new(db.store.clone()),
        listener,
    ));
    App {
        base: format!("http://{addr}"),
        http: Client::new(),
        db,
    }
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn token(&self, user: &str) -> String {
        let v: Value = self
            .http
            .post(self.url("/api/login"))
            .json(&json!({"user": user, "password": format!("{user}-demo")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, String) {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn browser(&self, user: &str) -> Client {
        let c = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        let password = format!("{user}-demo");
        let res = c
            .post(self.url("/login"))
            .form(&[("user", user), ("password", password.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        c
    }

    async fn page(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let res = c.get(self.url(path)).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }
}

fn points(v: &Value) -> Vec<String> {
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

async fn editions_suite(db: TestDb) {
    let app = start(db).await;
    let med = app.token("united-states").await;
    let ru = app.token("russia").await;

    // ---- a draft with two points, then its English and Arabic editions
    let (s, v1) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/texts"),
            json!({"label": "Ceasefire text", "points": [
                {"key": "ceasefire", "title": "Ceasefire", "body": "The sides stop firing."},
                {"key": "monitoring", "title": "Monitoring", "body": "Observers watch the line."}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v1}");
    let v1_id = v1["id"].as_str().unwrap().to_string();
    let p = points(&v1["body"]);
    let editions = format!("/api/rooms/{ROOM}/texts/{v1_id}/editions");
    let (s, r) = app
        .post(
            &med,
            &editions,
            json!({"version_language": "en", "language": "ar", "label": "النص العربي",
                   "points": {&p[0]: {"title": "وقف إطلاق النار", "wording": ARABIC},
                              &p[1]: {"title": "المراقبة", "wording": "يراقب المراقبون الخط."}}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let b = &r["body"];
    assert_eq!(b["language"], "en");
    assert_eq!(b["authoritative_language"], "en");
    assert_eq!(b["editions"][0]["dir"], "rtl");
    assert_eq!(b["editions"][0]["points"][&p[0]]["wording"], ARABIC);
    let (s, _) = app
        .post(
            &med,
            &editions,
            json!({"language": "uk", "points": {&p[0]: {"title": "Припинення вогню", "wording": UKRAINIAN}}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // ---- bad input names the field
    for (body, field) in [
        (json!({"language": "en_US"}), "language"),
        (json!({"language": "uk", "dir": "up"}), "dir"),
        (
            json!({"language": "uk", "points": {"nope": {}}}),
            "points.nope",
        ),
        (
            json!({"language": "fr", "version_language": "en GB"}),
            "version_language",
        ),
        (json!({"language": "en"}), "language"),
        (json!({"language": "fr", "colour": "red"}), "colour"),
    ] {
        let (s, e) = app.post(&med, &editions, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["field"], field, "{body}: {e}");
    }
    // Only the mediator edits editions: a party is refused alike for a
    // hidden draft and for a version that does not exist.
    let hidden = app.post(&ru, &editions, json!({"language": "fr"})).await;
    let missing = app
        .post(
            &ru,
            &format!("/api/rooms/{ROOM}/texts/txt_000000000000/editions"),
            json!({"language": "fr"}),
        )
        .await;
    assert_eq!(hidden.0, StatusCode::FORBIDDEN);
    assert_eq!(hidden, missing);

    // ---- side by side: each column with its lang and dir
    let med_browser = app.browser("united-states").await;
    let (s, page) = app
        .page(
            &med_browser,
            &format!("/rooms/{ROOM}/texts/{v1_id}?edition=en&compare=ar"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let sbs = &page[page.find("id=\"side-by-side\"").expect("side by side")..];
    assert!(sbs.contains(r#"<td class="edition-col" lang="en" dir="ltr">"#));
    assert!(sbs.contains(r#"<td class="edition-col" lang="ar" dir="rtl">"#));
    assert!(sbs.contains(ARABIC), "the Arabic wording, byte for byte");
    assert!(sbs.contains("Observers watch the line."));
    let first_en = sbs.find("The sides stop firing.").unwrap();
    let first_ar = sbs.find(ARABIC).unwrap();
    let second_en = sbs.find("Observers watch the line.").unwrap();
    assert!(
        first_en < first_ar && first_ar < second_en,
        "aligned by point"
    );
    let (_, page) = app
        .page(
            &med_browser,
            &format!("/rooms/{ROOM}/texts/{v1_id}?edition=uk&compare=ar"),
        )
        .await;
    assert!(page.contains(r#"lang="uk" dir="ltr""#));
    assert!(page.contains("Not translated yet"), "uk lacks point 2");

    // ---- the edition form (CSRF-checked) keeps wording as typed
    let csrf = {
        let marker = r#"name="_csrf" value=""#;
        let at = page.find(marker).unwrap() + marker.len();
        page[at..].split('"').next().unwrap().to_string()
    };
    let form = format!("/rooms/{ROOM}/texts/{v1_id}/editions");
    let fields = |token: &str| {
        vec![
            ("_csrf".to_string(), token.to_string()),
            ("language".to_string(), "he".to_string()),
            ("dir".to_string(), "auto".to_string()),
            (format!("title.{}", p[1]), "פיקוח".to_string()),
            (
                format!("wording.{}", p[1]),
                "משקיפים\r\nעל הקו ".to_string(),
            ),
        ]
    };
    let res = med_browser
        .post(app.url(&form))
        .form(&fields("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = med_browser
        .post(app.url(&form))
        .form(&fields(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&med, &editions).await;
    let list: Value = serde_json::from_str(&list).unwrap();
    let he = &list["editions"][3];
    assert_eq!(
        (he["language"].as_str(), he["dir"].as_str()),
        (Some("he"), Some("rtl"))
    );
    assert_eq!(he["points"][1]["wording"], "משקיפים\r\nעל הקו ");

    // ---- publish v1 to Russia; a translation may be added, nothing changed
    let (s, _) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/texts/{v1_id}/publish"),
            json!({"parties": ["russia"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = app
        .post(
            &med,
            &editions,
            json!({"language": "fr", "points": {&p[0]: {"title": "Cessez-le-feu", "wording": "Les parties cessent le feu."}}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        r["body"]["points"], v1["body"]["points"],
        "the authoritative wording holds"
    );
    for (body, field) in [
        (json!({"language": "ar"}), "language"),
        (
            json!({"language": "de", "authoritative": true}),
            "authoritative",
        ),
    ] {
        let (s, e) = app.post(&med, &editions, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["field"], field);
    }
    let audit = app.db.store.audit(Some(ROOM), 0, 100_000).await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "text.translation" && e.detail.starts_with("fr")));

    // ---- a revision, hidden from Russia, with its own editions
    let (s, v2) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/texts"),
            json!({"label": "Ceasefire text, revised", "derived_from_text_id": v1_id, "points": [
                {"key": "ceasefire", "title": "Ceasefire", "body": "The sides stop firing at once."},
                {"key": "monitoring", "title": "Monitoring", "body": "Observers watch the line."}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v2}");
    let v2_id = v2["id"].as_str().unwrap().to_string();
    let q = points(&v2["body"]);
    let (s, _) = app
        .post(
            &med,
            &format!("/api/rooms/{ROOM}/texts/{v2_id}/editions"),
            json!({"version_language": "en", "language": "ar", "points": {
                &q[0]: {"title": "وقف إطلاق النار", "wording": format!("يتوقف إطلاق النار {MARKER}")},
                &q[1]: {"title": "المراقبة", "wording": "يراقب المراقبون الخط."}}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // Each edition has its own redline.
    let diff =
        |edition: &str| format!("/api/rooms/{ROOM}/diff?from={v1_id}&to={v2_id}&edition={edition}");
    let (s, en) = app.get(&med, &diff("en")).await;
    assert_eq!(s, StatusCode::OK, "{en}");
    assert!(en.contains("at once") && !en.contains(MARKER));
    let (s, ar) = app.get(&med, &diff("ar")).await;
    assert_eq!(s, StatusCode::OK, "{ar}");
    assert!(ar.contains(MARKER) && !ar.contains("at once"));
    let ar: Value = serde_json::from_str(&ar).unwrap();
    let changed: Vec<&str> = ar["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["change"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["changed", "unchanged"], "{ar}");
    let (s, e) = app.get(&med, &diff("uk")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e.contains("\"field\":\"edition\""), "{e}");
    let (s, page) = app
        .page(
            &med_browser,
            &format!("/rooms/{ROOM}/redline?from={v1_id}&to={v2_id}&edition=ar"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"id="redline-points" lang="ar" dir="rtl""#));

    // ---- nothing of the hidden draft's editions reaches Russia
    let (ms, missing) = app
        .get(
            &ru,
            &format!("/api/rooms/{ROOM}/texts/txt_000000000000/editions"),
        )
        .await;
    assert_eq!(ms, StatusCode::NOT_FOUND);
    let (s, body) = app
        .get(&ru, &format!("/api/rooms/{ROOM}/texts/{v2_id}/editions"))
        .await;
    assert_eq!((s, body), (ms, missing));
    let (s, _) = app.get(&ru, &diff("ar")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let ru_browser = app.browser("russia").await;
    for path in [
        format!("/api/rooms/{ROOM}/texts"),
        format!("/api/rooms/{ROOM}/export"),
        format!("/rooms/{ROOM}/texts/{v1_id}?edition=en&compare=ar"),
        format!("/rooms/{ROOM}/redline?edition=ar"),
        format!("/rooms/{ROOM}"),
    ] {
        let (_, body) = app.page(&ru_browser, &path).await;
        assert!(!body.contains(MARKER), "{path} leaks the hidden edition");
        assert!(!body.contains(&v2_id), "{path} names the hidden version");
    }
    // Russia sees the published version's editions.
    let (_, page) = app
        .page(
            &ru_browser,
            &format!("/rooms/{ROOM}/texts/{v1_id}?edition=en&compare=ar"),
        )
        .await;
    assert!(page.contains(ARABIC) && page.contains(r#"lang="ar" dir="rtl""#));
    assert!(
        !page.contains("id=\"edition-form\""),
        "only the mediator edits"
    );

    // ---- a stance names the edition it quotes
    let stance = |language: &str| {
        json!({"party_id": "russia", "target": {"text_id": v1_id, "point_id": p[0]},
               "stance": "accepts", "summary": "Accepts the Arabic wording",
               "provenance": {"source": "Russian delegation", "reliability": "own_delegation"},
               "language": language})
    };
    let (s, r) = app
        .post(&ru, &format!("/api/rooms/{ROOM}/stances"), stance("ar"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["body"]["language"], "ar");
    for bad in ["de", "ar_EG"] {
        let (s, e) = app
            .post(&ru, &format!("/api/rooms/{ROOM}/stances"), stance(bad))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["field"], "language");
    }
    let (_, page) = app
        .page(&med_browser, &format!("/rooms/{ROOM}/texts/{v1_id}"))
        .await;
    assert!(page.contains(r#"<dd class="stance-language">ar</dd>"#));

    // ---- every byte survives export and import
    let (_, export) = app.get(&med, &format!("/api/rooms/{ROOM}/export")).await;
    let case = pactum_workspace::case::import(&export).unwrap();
    let other = app.db.fresh().await;
    pactum_server::import_case(other.store.as_ref(), &case, ROOM, "test")
        .await
        .unwrap();
    for id in [&v1_id, &v2_id] {
        let before = app
            .db
            .store
            .record(ROOM, "text", id)
            .await
            .unwrap()
            .unwrap();
        let after = other.store.record(ROOM, "text", id).await.unwrap().unwrap();
        let (b, a): (Value, Value) = (
            serde_json::from_str(&before.body).unwrap(),
            serde_json::from_str(&after.body).unwrap(),
        );
        assert_eq!(a["editions"], b["editions"], "{id}");
        assert_eq!(a["language"], b["language"]);
        assert_eq!(a["authoritative_language"], b["authoritative_language"]);
    }
    let stored = other
        .store
        .record(ROOM, "text", &v1_id)
        .await
        .unwrap()
        .unwrap();
    let stored: Value = serde_json::from_str(&stored.body).unwrap();
    let ar_edition = stored["editions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["language"] == "ar")
        .unwrap();
    assert_eq!(
        ar_edition["points"][&p[0]]["wording"]
            .as_str()
            .unwrap()
            .as_bytes(),
        ARABIC.as_bytes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_language_editions() {
    editions_suite(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_language_editions() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    editions_suite(db).await;
}
