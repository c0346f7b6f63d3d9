//! Documents' files over real HTTP, on both backends: a 10 MB file
//! round-trips byte for byte; bytes that are not the claimed type are
//! refused; a party that cannot see a document gets for its file exactly
//! the 404 of a missing one; downloads are attachments that are never
//! sniffed; cookie uploads need the CSRF token; uploads past the limit are
//! refused while read; and an export imports back with identical bytes.

use pactum_testkit::db::TestDb;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const ROOM: &str = "peace-plan-2025";
const LIMIT: usize = 12 * 1024 * 1024;
const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const ODT: &str = "application/vnd.oasis.opendocument.text";
/// A word planted in the hidden document's file and file name.
const MARKER: &str = "ZEPHYRQUARTZ";

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
        pactum_server::AppState::new(db.store.clone()).with_file_limit(LIMIT),
        listener,
    ));
    App {
        base: format!("http://{addr}"),
        http: Client::new(),
        db,
    }
}

/// A stored ZIP of `entries`, enough for the type checks.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let sizes = [(data.len() as u32).to_le_bytes(); 2].concat();
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&sizes);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&sizes);
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn docx() -> Vec<u8> {
    zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document/>"),
    ])
}

fn odt() -> Vec<u8> {
    zip(&[
        ("mimetype", ODT.as_bytes()),
        ("content.xml", b"<office:document-content/>"),
    ])
}

/// A PDF header, then `len` pseudo-random bytes (every byte value occurs).
fn pdf(len: usize, seed: u64) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut x = seed | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
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

    async fn add_document(&self, token: &str, title: &str, visibility: Option<Value>) -> String {
        let mut body = json!({"title": title, "content": ""});
        if let Some(v) = visibility {
            body["visibility"] = v;
        }
        let res = self
            .http
            .post(self.url(&format!("/api/rooms/{ROOM}/documents")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: Value = res.json().await.unwrap();
        v["id"].as_str().unwrap().to_string()
    }

    async fn upload(
        &self,
        token: &str,
        doc: &str,
        content_type: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let res = self
            .http
            .put(self.url(&format!("/api/rooms/{ROOM}/documents/{doc}/file")))
            .query(&[("name", name)])
            .bearer_auth(token)
            .header(CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn download(&self, token: &str, doc: &str) -> reqwest::Response {
        self.http
            .get(self.url(&format!("/api/rooms/{ROOM}/documents/{doc}/file")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// A browser session and the CSRF token of its forms.
    async fn browser(&self, user: &str) -> (Client, String) {
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
        let page = c
            .get(self.url(&format!("/rooms/{ROOM}/documents")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = r#"name="_csrf" value=""#;
        let at = page.find(marker).expect("a form with a CSRF token") + marker.len();
        let csrf = page[at..].split('"').next().unwrap().to_string();
        (c, csrf)
    }
}

async fn files_suite(db: TestDb) {
    let app = start(db).await;
    let med = app.token("united-states").await;
    let ru = app.token("russia").await;
    let ua = app.token("ukraine").await;

    // ---- a 10 MB PDF round-trips byte for byte, as an attachment
    let annex = app.add_document(&med, "Annex", None).await;
    let big = pdf(10 * 1024 * 1024, 7);
    let (status, meta) = app
        .upload(&med, &annex, PDF, "Accord é \"final\".pdf", big.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meta}");
    assert_eq!(meta["size"], big.len());
    assert_eq!(meta["name"], "Accord é final.pdf");
    let res = app.download(&ru, &annex).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h[CONTENT_TYPE], PDF);
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h[CONTENT_DISPOSITION],
        "attachment; filename=\"Accord _ final.pdf\"; filename*=UTF-8''Accord%20%C3%A9%20final.pdf"
    );
    let got = res.bytes().await.unwrap();
    assert!(got[..] == big[..], "the file came back changed");

    // ---- DOCX and ODT are told by their bytes; a false claim is refused
    let paper = app.add_document(&med, "Working paper", None).await;
    let (s, _) = app.upload(&med, &paper, DOCX, "paper", docx()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, m) = app.upload(&med, &paper, ODT, "paper.odt", odt()).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["name"], "paper.odt");
    for (claim, bytes) in [
        (PDF, docx()),
        (DOCX, odt()),
        (ODT, docx()),
        (DOCX, pdf(2000, 3)),
        (ODT, b"PK\x03\x04 not really a zip".to_vec()),
    ] {
        let (s, e) = app.upload(&med, &paper, claim, "x", bytes).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{claim}: {e}");
        assert_eq!(e["field"], "file", "{e}");
        assert!(
            e["error"].as_str().unwrap().contains("its bytes are not"),
            "{e}"
        );
    }
    let (s, e) = app
        .upload(&med, &paper, "text/html", "x", pdf(100, 1))
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(e["field"], "content_type", "{e}");
    let (s, e) = app.upload(&med, &paper, PDF, "x", Vec::new()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // The refused uploads left the ODT in place.
    let kept = app.download(&med, &paper).await;
    assert_eq!(kept.headers()[CONTENT_TYPE], ODT);
    assert!(kept.bytes().await.unwrap()[..] == odt()[..]);

    // ---- over the limit: 413, while reading
    let (s, e) = app.upload(&med, &paper, PDF, "x", pdf(LIMIT + 1, 5)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");

    // ---- a document Russia may not see: its file is a missing one
    let hidden = app
        .add_document(
            &med,
            "Kyiv's fallback",
            Some(json!({"scope": "party_and_mediator", "party": "ukraine"})),
        )
        .await;
    let secret = [b"%PDF-1.4\n".as_slice(), MARKER.as_bytes()].concat();
    // In Ukraine's scope, so Ukraine may attach its file.
    let (s, _) = app
        .upload(&ua, &hidden, PDF, &format!("{MARKER}.pdf"), secret.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(app.download(&med, &hidden).await.status(), StatusCode::OK);
    let missing = app.download(&ru, "doc_000000000000").await;
    let (ms, mh) = (missing.status(), missing.headers().clone());
    let missing_body = missing.text().await.unwrap();
    assert_eq!(ms, StatusCode::NOT_FOUND);
    let no_file = app.add_document(&ru, "Russia's note", None).await;
    for doc in [hidden.as_str(), no_file.as_str()] {
        let res = app.download(&ru, doc).await;
        assert_eq!(res.status(), ms, "{doc}");
        assert_eq!(res.headers()[CONTENT_TYPE], mh[CONTENT_TYPE]);
        assert_eq!(res.text().await.unwrap(), missing_body, "{doc}");
    }
    let (s, _) = app.upload(&ru, &hidden, PDF, "x.pdf", pdf(100, 2)).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "writing to it is a missing one too"
    );
    // A party may attach to its own documents, not to the mediator's.
    let (s, _) = app.upload(&ru, &no_file, PDF, "ru.pdf", pdf(100, 2)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.upload(&ru, &annex, PDF, "x.pdf", pdf(100, 2)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Nothing of the hidden file reaches Russia's pages, lists or export.
    let (ru_browser, _) = app.browser("russia").await;
    for path in [
        format!("/rooms/{ROOM}/documents"),
        format!("/rooms/{ROOM}"),
        format!("/api/rooms/{ROOM}/documents"),
        format!("/api/rooms/{ROOM}/export"),
    ] {
        let body = ru_browser
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!body.contains(MARKER), "{path} shows the hidden file");
        assert!(!body.contains(&hidden), "{path} names the hidden document");
    }

    // ---- re-scoping the document re-scopes its file
    let res = app
        .http
        .post(app.url(&format!("/api/rooms/{ROOM}/documents/{paper}/visibility")))
        .bearer_auth(&med)
        .json(&json!({"visibility": {"scope": "mediator"}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let res = app.download(&ru, &paper).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text().await.unwrap(), missing_body);

    // ---- cookie writes need the CSRF token, over the API and the form
    let (c, csrf) = app.browser("united-states").await;
    let api = app.url(&format!("/api/rooms/{ROOM}/documents/{annex}/file"));
    let res = c
        .put(&api)
        .header(CONTENT_TYPE, PDF)
        .body(pdf(500, 9))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let form = app.url(&format!("/rooms/{ROOM}/documents/{annex}/file"));
    let multipart = |token: Option<&str>, bytes: &[u8]| {
        let b = "----pactumtestboundary";
        let mut body = Vec::new();
        if let Some(t) = token {
            body.extend_from_slice(
                format!("--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{t}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"annexe.pdf\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={b}"), body)
    };
    let (ct, body) = multipart(None, &pdf(700, 11));
    let res = c
        .post(&form)
        .header(CONTENT_TYPE, ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(app.download(&med, &annex).await.bytes().await.unwrap()[..] == big[..]);
    let small = pdf(700, 11);
    let (ct, body) = multipart(Some(&csrf), &small);
    let res = c
        .post(&form)
        .header(CONTENT_TYPE, ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app.download(&med, &annex).await;
    assert!(res.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("annexe.pdf"));
    assert!(res.bytes().await.unwrap()[..] == small[..]);
    let (ct, body) = multipart(Some(&csrf), &docx());
    let res = c
        .post(&form)
        .header(CONTENT_TYPE, ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a .pdf name on DOCX bytes"
    );
    let page = c
        .get(app.url(&format!("/rooms/{ROOM}/documents")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find(&format!("doc-{annex}")).unwrap_or(0);
    assert!(
        page.contains(&format!("/documents/{annex}/file\"")),
        "{}",
        &page[at..(at + 3000).min(page.len())]
    );
    assert!(page.contains("enctype=\"multipart/form-data\""));
    // Uploads are audited with the file's digest.
    let audit = app.db.store.audit(Some(ROOM), 0, 100_000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "document.file"
        && e.record_id.as_deref() == Some(annex.as_str())
        && e.detail.contains("annexe.pdf")));

    // ---- export → import keeps every byte
    let (s, _) = app.upload(&med, &annex, PDF, "big.pdf", big.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    let export = app
        .http
        .get(app.url(&format!("/api/rooms/{ROOM}/export")))
        .bearer_auth(&med)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let case = pactum_workspace::case::import(&export).unwrap();
    assert_eq!(case.files.len(), 4, "annex, paper, hidden, Russia's");
    let other = app.db.fresh().await;
    pactum_server::import_case(other.store.as_ref(), &case, ROOM, "test")
        .await
        .unwrap();
    for (doc, want) in [(&annex, big.clone()), (&paper, odt()), (&hidden, secret)] {
        let row = other.store.file(ROOM, doc).await.unwrap().expect(doc);
        assert!(row.bytes == want, "{doc} changed on the way");
        let before = app.db.store.file(ROOM, doc).await.unwrap().unwrap();
        assert_eq!(row.meta.sha256, before.meta.sha256);
        assert_eq!(row.meta.name, before.meta.name);
    }
    // Russia's export carries only the files of what Russia sees.
    let ru_export = app
        .http
        .get(app.url(&format!("/api/rooms/{ROOM}/export")))
        .bearer_auth(&ru)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ru_case = pactum_workspace::case::import(&ru_export).unwrap();
    let mut ids: Vec<&str> = ru_case
        .files
        .iter()
        .map(|f| f.document_id.as_str())
        .collect();
    ids.sort();
    let mut want = vec![annex.as_str(), no_file.as_str()];
    want.sort();
    assert_eq!(ids, want);

    // An import refuses a file whose bytes are not its type.
    let mut bad: Value = serde_json::from_str(&export).unwrap();
    bad["files"][0]["content_type"] = json!(DOCX);
    let bad = pactum_workspace::case::import(&bad.to_string()).unwrap();
    let third = app.db.fresh().await;
    let e = pactum_server::import_case(third.store.as_ref(), &bad, ROOM, "test")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("/files/0/base64"), "{e}");
    assert!(third.store.room(ROOM).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_document_files() {
    files_suite(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_document_files() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    files_suite(db).await;
}
