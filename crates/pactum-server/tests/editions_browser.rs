//! A bilingual version in a real headless Chromium: the mediator adds an
//! Arabic edition to a published version from the text page's form; the
//! page then shows both editions side by side, point by point, the Arabic
//! column laid out right to left (`dir="rtl"`, computed direction `rtl`)
//! and the English one left to right; a delegate of the party it was
//! published to sees the same. Screenshots go where `browser.rs` puts
//! them.

#[path = "common/browser.rs"]
mod harness;

use harness::{artifact_dir, tools, Browser, Driver};
use serde_json::json;

const ROOM: &str = "peace-plan-2025";
/// The demo file's id of the version given an edition (published to all).
const TEXT: &str = "v2_post_geneva";
const ARABIC: &str = "يتوقف إطلاق النار فوراً على طول خط التماس.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bilingual_version_side_by_side_one_column_right_to_left() {
    let Some((chromium, chromedriver)) = tools() else {
        return;
    };
    let shots = artifact_dir("editions");
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    let demo = pactum_server::load_demo(store.as_ref()).await.unwrap();
    let text = demo.ids.get("text", TEXT).unwrap().to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(pactum_server::serve(
        pactum_server::AppState::new(store),
        listener,
    ));
    let driver = Driver::start(&chromedriver);
    let b = Browser::new(driver.session(&chromium).await, &base, &shots, "mediator");

    b.sign_in("united-states", "united-states-demo").await;
    b.wait(&format!("#room-{ROOM}")).await;
    b.goto(&format!("/rooms/{ROOM}/texts/{text}")).await;
    b.wait("#edition-form").await;
    b.fill("#edition-version-language", "en").await;
    b.fill("#edition-language", "ar").await;
    b.fill("#edition-label", "النص العربي").await;
    b.fill("#ed-title-1", "وقف إطلاق النار").await;
    b.fill("#ed-wording-1", ARABIC).await;
    b.submit("#edition-submit").await;
    b.wait_url("the text page after saving", |u| {
        u.query.contains("done=edition")
    })
    .await;
    b.wait("#side-by-side").await;
    b.shot("side-by-side").await;

    let columns =
        b.c.execute(
            "return Array.from(document.querySelectorAll('#side-by-side tbody tr:first-child td'))\
             .map(td => [td.lang, td.dir, getComputedStyle(td).direction, td.innerText]);",
            vec![],
        )
        .await
        .unwrap();
    let columns = columns.as_array().unwrap();
    b.ensure(columns.len() == 2, &format!("two columns: {columns:?}"))
        .await;
    let column = |lang: &str| {
        columns
            .iter()
            .find(|c| c[0] == lang)
            .unwrap_or_else(|| panic!("no {lang} column: {columns:?}"))
    };
    let (ar, en) = (column("ar"), column("en"));
    assert_eq!((&ar[1], &ar[2]), (&json!("rtl"), &json!("rtl")), "{ar:?}");
    assert_eq!((&en[1], &en[2]), (&json!("ltr"), &json!("ltr")), "{en:?}");
    assert!(ar[3].as_str().unwrap().contains(ARABIC), "{ar:?}");

    // The party the version was published to sees both editions too.
    b.logout().await;
    let r = Browser::new(b.c.clone(), &base, &shots, "russia");
    r.sign_in("russia", "russia-demo").await;
    r.wait(&format!("#room-{ROOM}")).await;
    r.goto(&format!("/rooms/{ROOM}/texts/{text}?edition=en&compare=ar"))
        .await;
    let cell = r
        .wait(r#"#side-by-side td.edition-col[lang="ar"][dir="rtl"]"#)
        .await;
    let shown =
        r.c.execute("return arguments[0].innerText;", vec![json!(cell)])
            .await
            .unwrap();
    assert!(shown.as_str().unwrap().contains(ARABIC));
    r.ensure(
        !r.has("#edition-form").await,
        "only the mediator edits editions",
    )
    .await;
    r.shot("side-by-side-russia").await;
    r.close().await;
}
