//! End to end in a real headless Chromium, driven through ChromeDriver: the
//! mediator signs in and publishes a new version to one party; that party's
//! delegate signs in and records a conditional stance with proposed wording;
//! the mediator sees the stance in the matrix and the changes in the
//! redline; another party's delegate can reach neither the version nor the
//! wording from any page it has. Every step leaves a screenshot in
//! `$PACTUM_ARTIFACTS/browser/` (default: `target/test-artifacts/browser/`
//! under the workspace root). The harness is `common/browser.rs`, shared
//! with `blank_room.rs`.

#[path = "common/browser.rs"]
mod harness;

use fantoccini::elements::Element;
use fantoccini::Locator;
use harness::{artifact_dir, tools, Browser, Driver};
use serde_json::json;
use std::time::Instant;

const ROOM: &str = "peace-plan-2025";
/// The version the mediator revises.
/// The demo file's id of the version revised (the room's is `App::base_text`).
const BASE_TEXT: &str = "v2_post_geneva";

/// The app on 127.0.0.1:0 over a fresh SQLite store with the demo loaded.
struct App {
    base: String,
    /// The room's id of [`BASE_TEXT`] (the demo's records have fresh ids).
    base_text: String,
    _dir: tempfile::TempDir,
}

async fn start_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("x.db"))
        .await
        .unwrap();
    let demo = pactum_server::load_demo(store.as_ref()).await.unwrap();
    let state = pactum_server::AppState::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        pactum_server::serve(state, listener).await.unwrap();
    });
    App {
        base: format!("http://{addr}"),
        base_text: demo.ids.get("text", BASE_TEXT).unwrap().to_string(),
        _dir: dir,
    }
}

/// The demo's sign-in and paths.
impl Browser {
    /// Signs in with the demo's password and lands on the room list.
    async fn login(&self, user: &str) {
        self.sign_in(user, &format!("{user}-demo")).await;
        self.wait(&format!("#room-{ROOM}")).await;
    }

    /// From the room list to a text version, through the room, the
    /// navigation and the version selector.
    async fn open_text(&self, id: &str) {
        self.click(&format!("#room-{ROOM}")).await;
        self.wait_path(&format!("/rooms/{ROOM}")).await;
        self.click("#nav-text").await;
        self.wait_url("a text page", |u| u.path.contains("/texts/"))
            .await;
        self.wait("#version-select").await;
        let options = self.options("#version-select").await;
        self.ensure(
            options.iter().any(|o| o == id),
            &format!("version {id} is not in the version selector: {options:?}"),
        )
        .await;
        if !self.url().await.path.ends_with(&format!("/texts/{id}")) {
            self.select("#version-select", id).await;
        }
        self.wait_path(&format!("/texts/{id}")).await;
        self.wait("#stance-matrix").await;
    }

    /// The matrix cell of a party and a point.
    async fn cell(&self, party: &str, point: &str) -> Element {
        self.wait(&format!(
            r#"#stance-matrix td[data-party="{party}"][data-point="{point}"]"#
        ))
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_stance_matrix_redline_and_confidentiality_in_chromium() {
    let Some((chromium, chromedriver)) = tools() else {
        return;
    };
    let started = Instant::now();
    let step = |n: &str| println!("[{:5.1}s] {n}", started.elapsed().as_secs_f64());
    let shots = artifact_dir("");
    let app = start_app().await;
    step("app started with the demo room");
    let driver = Driver::start(&chromedriver);
    let b = Browser::new(
        driver.session(&chromium).await,
        &app.base,
        &shots,
        "browser",
    );

    let tag = {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        format!("{:x}", (nanos as u64) ^ u64::from(std::process::id()))
    };
    let marker = format!("AMEND-{tag}");
    let amendment = format!("{marker}: the cap is to be agreed in a separate protocol");
    let label = format!("Draft after the Kremlin meeting ({tag})");
    let new_wording = "A cap of 600,000 troops in peacetime";

    step("browser ready");

    // 1. The mediator revises v2 (one point gets wording, one is retitled,
    //    one is added) and publishes the draft to Russia only.
    b.login("united-states").await;
    b.open_text(&app.base_text).await;
    // A published version offers to revise it in a new draft.
    b.fill("#revise-label", &label).await;
    b.click("#revise-submit").await;
    let url = b
        .wait_url("the new draft's page", |u| u.query.contains("done=draft"))
        .await;
    let draft_id = url.path.rsplit('/').next().unwrap_or_default().to_string();
    // Point by point: reword one point, retitle another, add a third.
    for (key, field, value) in [
        ("armed_forces_cap", "body", new_wording),
        (
            "territorial_concessions",
            "title",
            "Territorial arrangements",
        ),
    ] {
        b.click(&format!("#pt-edit-{key}")).await;
        b.fill(&format!("#pt-{field}-{key}"), value).await;
        b.submit(&format!("#pt-save-{key}")).await;
        b.wait_text(&format!(r#"li[data-key="{key}"]"#), value)
            .await;
    }
    b.fill("#new-point-title", "Ceasefire monitoring").await;
    b.fill(
        "#new-point-body",
        "An international mission monitors the line",
    )
    .await;
    b.submit("#add-point-submit").await;
    let added = b
        .wait_text("#points li.point:last-child", "Ceasefire monitoring")
        .await;
    let added_key = b.attr(&added, "data-key").await;
    b.ensure(
        url.path
            .ends_with(&format!("/rooms/{ROOM}/texts/{draft_id}"))
            && !draft_id.is_empty(),
        &format!("saving the draft led to {}, not to a new version", url.path),
    )
    .await;
    b.wait("#draft-notice").await;
    b.wait_text("#text-label", &label).await;
    b.wait("#publish-form").await;
    let r =
        b.c.find_all(Locator::Css(r#"#publish-form input[name="parties"]"#))
            .await;
    for input in b.ok(r, "listing the publish checkboxes").await {
        let id = b.attr(&input, "id").await;
        b.check(&format!("#{id}"), id == "publish-russia").await;
    }
    b.click("#publish-submit").await;
    b.wait_url("the published version", |u| {
        u.query.contains("done=published")
    })
    .await;
    b.wait_text("#done", "Published").await;
    b.ensure(
        !b.has("#draft-notice").await,
        "the version still says it is a draft",
    )
    .await;
    // Now a published version: Russia has it, Ukraine could still be given it.
    let ru = b.wait("#publish-russia").await;
    b.ensure(
        b.attr(&ru, "disabled").await == "true",
        "Russia is not marked as already having the version",
    )
    .await;
    let ua = b.wait("#publish-ukraine").await;
    b.ensure(
        ua.attr("disabled").await.ok().flatten().is_none(),
        "Ukraine is marked as having the version",
    )
    .await;
    b.wait_text("#about-text", "Published to").await;
    b.shot("1-mediator-published-to-russia").await;
    step("1. the mediator published the new version to Russia");
    b.logout().await;

    // 2. Russia's delegate opens the new version and records a conditional
    //    stance on the reworded point, with proposed wording.
    let point = format!("{draft_id}.armed_forces_cap");
    b.login("russia").await;
    b.open_text(&draft_id).await;
    b.wait_text(&format!(r#"li[data-point="{point}"]"#), new_wording)
        .await;
    b.ensure(
        !b.has("#publish-form").await && !b.has("#new-draft-link").await,
        "a delegate sees the mediator's forms",
    )
    .await;
    b.ensure(
        b.value("#stance-party").await == "russia",
        "the stance form is not for Russia",
    )
    .await;
    b.select("#stance-target", &format!("point:{point}")).await;
    b.select("#stance-kind", "conditional").await;
    b.wait_text("#amendment-hint", "the wording the party asks for")
        .await;
    b.fill("#stance-amendment", &amendment).await;
    b.fill(
        "#stance-summary",
        "Acceptable if the cap is negotiated separately",
    )
    .await;
    b.fill("#stance-source", "Russian delegation (browser test)")
        .await;
    b.select("#stance-reliability", "own_delegation").await;
    let date = b.wait("#stance-date").await;
    let r =
        b.c.execute(
            "arguments[0].value = '2025-12-03'; \
             arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(date)],
        )
        .await;
    b.ok(r, "setting the date").await;
    b.select("#stance-visibility", "default").await;
    b.click("#stance-submit").await;
    b.wait_url("the text after recording the stance", |u| {
        u.query.contains("done=stance")
    })
    .await;
    b.wait_text("#done", "Stance recorded").await;
    let cell = b.cell("russia", &point).await;
    let stance = b.attr(&cell, "data-stance").await;
    b.ensure(
        stance == "conditional",
        &format!("Russia's cell on {point} shows {stance:?}, not a conditional stance"),
    )
    .await;
    b.wait_text("#amendments", &marker).await;
    let r = cell.find(Locator::Css(".chip")).await;
    let chip = b.ok(r, "finding the stance's chip").await;
    let r = chip.click().await;
    b.ok(r, "opening the stance's details").await;
    b.wait_text("#stance-panel", &marker).await;
    b.shot("2-russia-conditional-stance").await;
    step("2. Russia recorded a conditional stance with proposed wording");
    b.logout().await;

    // 3. The mediator sees the stance in the matrix, the proposed wording,
    //    and the redline against v2.
    b.login("united-states").await;
    b.open_text(&draft_id).await;
    let cell = b.cell("russia", &point).await;
    let stance = b.attr(&cell, "data-stance").await;
    b.ensure(
        stance == "conditional",
        &format!("the mediator's matrix shows {stance:?} for Russia on {point}"),
    )
    .await;
    let amendments = b.wait_text("#amendments", &marker).await;
    b.ensure(
        amendments
            .find(Locator::Css(r#"li[data-party="russia"]"#))
            .await
            .is_ok(),
        "the proposed wording is not attributed to Russia",
    )
    .await;
    let r = cell.find(Locator::Css(".chip")).await;
    let chip = b.ok(r, "finding the stance's chip").await;
    let r = chip.click().await;
    b.ok(r, "opening the stance's details").await;
    b.wait_text("#stance-panel", &marker).await;
    b.shot("3-mediator-matrix").await;

    b.click("#redline-link").await;
    let url = b.wait_path("/redline").await;
    let query = url.query;
    b.ensure(
        query.contains(&format!("from={}", app.base_text))
            && query.contains(&format!("to={draft_id}")),
        &format!("the redline compares {query}, not v2 with the new version"),
    )
    .await;
    b.wait("#redline-points").await;
    let changed = b
        .wait_text(r#"li[data-key="armed_forces_cap"]"#, new_wording)
        .await;
    b.ensure(
        b.attr(&changed, "data-change").await == "changed",
        "the reworded point is not marked changed",
    )
    .await;
    let r = changed.find(Locator::Css("ins")).await;
    let ins = b.ok(r, "finding the inserted wording").await;
    let r = ins.text().await;
    let ins = b.ok(r, "reading the inserted wording").await;
    b.ensure(
        ins.contains(new_wording),
        &format!("the inserted wording reads {ins:?}"),
    )
    .await;
    let retitled = b.wait(r#"li[data-key="territorial_concessions"]"#).await;
    let r = retitled.find(Locator::Css("del")).await;
    let del = b.ok(r, "finding the removed words").await;
    let r = del.text().await;
    let del = b.ok(r, "reading the removed words").await;
    let r = retitled.find(Locator::Css("ins")).await;
    let ins = b.ok(r, "finding the added words").await;
    let r = ins.text().await;
    let ins = b.ok(r, "reading the added words").await;
    b.ensure(
        del.contains("concessions") && ins.contains("arrangements"),
        &format!("the retitled point shows <del>{del}</del><ins>{ins}</ins>"),
    )
    .await;
    let added = b
        .wait_text(
            &format!(r#"li[data-key="{added_key}"]"#),
            "Ceasefire monitoring",
        )
        .await;
    b.ensure(
        b.attr(&added, "data-change").await == "inserted",
        "the new point is not marked inserted",
    )
    .await;
    b.wait_text("#redline-summary", "1 inserted").await;
    b.shot("3-mediator-redline").await;
    step("3. the mediator saw the matrix, the wording and the redline");
    b.logout().await;

    // 4. Ukraine's delegate can reach neither the version nor the wording.
    b.login("ukraine").await;
    b.goto(&format!("/rooms/{ROOM}/texts/{draft_id}")).await;
    let err = b.wait("#error").await;
    b.ensure(
        b.attr(&err, "data-status").await == "404",
        "the hidden version is not the 404 page",
    )
    .await;
    b.shot("4-ukraine-hidden-version-404").await;
    let forbidden = [marker.as_str(), draft_id.as_str(), label.as_str()];
    let mut pages = vec![
        format!("/rooms/{ROOM}"),
        format!("/rooms/{ROOM}/stances"),
        format!("/rooms/{ROOM}/redline"),
        format!("/rooms/{ROOM}/meetings"),
        format!("/rooms/{ROOM}/documents"),
        "/".to_string(),
    ];
    b.goto("/").await;
    b.open_text(&app.base_text).await;
    let versions = b.options("#version-select").await;
    b.ensure(
        !versions.contains(&draft_id),
        "the hidden version is in Ukraine's version selector",
    )
    .await;
    pages.extend(versions.iter().map(|v| format!("/rooms/{ROOM}/texts/{v}")));
    for path in &pages {
        b.goto(path).await;
        b.wait("#main").await;
        let src = b.source().await;
        for f in forbidden {
            b.ensure(
                !src.contains(f),
                &format!("Ukraine's page {path} shows {f:?}"),
            )
            .await;
        }
    }
    b.goto(&format!("/rooms/{ROOM}/stances")).await;
    b.wait("#stance-table").await;
    b.shot("4-ukraine-stance-ledger").await;
    step("4. Ukraine reached neither the version nor the wording");
    b.logout().await;

    let r = b.c.close().await;
    if let Err(e) = r {
        panic!("closing the browser: {e}");
    }
    drop(driver);
    println!(
        "browser scenario passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// Russia enters a preference model through the form; the mediator sees the
/// zone (the case's other models labelled HYPOTHETICAL), opens a
/// single-text session from the Nash package and proposes a change; Russia
/// lets its model vote and Ukraine votes by hand; the mediator decides and
/// closes the session, and the new draft version appears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_analysis_and_single_text_session_in_chromium() {
    let Some((chromium, chromedriver)) = tools() else {
        return;
    };
    let shots = artifact_dir("session");
    let app = start_app().await;
    let driver = Driver::start(&chromedriver);
    let b = Browser::new(
        driver.session(&chromium).await,
        &app.base,
        &shots,
        "browser",
    );
    let room = format!("/rooms/{ROOM}");

    // 1. Russia's delegate enters its model: only NATO membership matters.
    b.login("russia").await;
    b.click(&format!("#room-{ROOM}")).await;
    b.click("#nav-model").await;
    b.wait_path("/model").await;
    b.wait("#model-hypothetical").await;
    b.fill("#model-reservation", "0.5").await;
    for (name, v) in [
        ("w:nato_membership", "1"),
        ("v:nato_membership.renounce", "1"),
        ("v:nato_membership.deferred", "0.6"),
        ("v:nato_membership.keep_open", "0"),
    ] {
        b.fill(&format!(r#"input[name="{name}"]"#), v).await;
    }
    for issue in [
        "territory_status",
        "donetsk_withdrawal",
        "armed_forces_cap",
        "security_guarantees",
        "ceasefire_sequencing",
    ] {
        b.fill(&format!(r#"input[name="w:{issue}"]"#), "0").await;
    }
    b.click("#model-submit").await;
    b.wait_text("#done", "Model saved").await;
    b.ensure(
        !b.has("#model-hypothetical").await,
        "Russia's own model is not the case's",
    )
    .await;
    b.shot("1-russia-model").await;
    b.logout().await;

    // 2. The mediator's analysis: zone status, the HYPOTHETICAL label (Ukraine's
    //    model is still the case's), then a session from the Nash package.
    b.login("united-states").await;
    b.click(&format!("#room-{ROOM}")).await;
    b.click("#nav-analysis").await;
    b.wait_path("/analysis").await;
    b.wait("#zone-status").await;
    b.wait("#analysis-hypothetical").await;
    let page = b.source().await;
    b.ensure(
        !page.contains("0.6"),
        "no model number on the analysis page",
    )
    .await;
    b.shot("2-analysis").await;
    b.click("#nash-open").await;
    let session = b
        .wait_url("the new session", |u| u.path.contains("/sessions/ses_"))
        .await
        .path;
    b.wait("#propose-form").await;
    let current = b.value("#p-nato_membership").await;
    let target = if current == "nato_membership.keep_open" {
        "nato_membership.deferred"
    } else {
        "nato_membership.keep_open"
    };
    b.select("#p-nato_membership", target).await;
    b.click("#propose-submit").await;
    b.wait_text("#done", "Proposal put").await;
    b.shot("3-proposal").await;
    b.logout().await;

    // 3. Russia lets its model vote; Ukraine accepts by hand.
    let value = |o: &str| match o {
        "nato_membership.renounce" => 1.0,
        "nato_membership.deferred" => 0.6,
        _ => 0.0,
    };
    let ru_accepts = value(target) > value(&current);
    b.login("russia").await;
    b.goto(&session).await;
    b.click("#ballot-model").await;
    b.click("#vote-submit").await;
    b.wait_text(
        "#my-votes",
        if ru_accepts {
            "accept (by model)"
        } else {
            "reject (by model)"
        },
    )
    .await;
    b.shot("4-russia-vote").await;
    b.logout().await;
    b.login("ukraine").await;
    b.goto(&session).await;
    b.click("#ballot-accept").await;
    b.click("#vote-submit").await;
    b.wait_text("#my-votes", "accept").await;
    b.ensure(
        !b.source().await.contains("by model"),
        "Ukraine sees Russia's vote",
    )
    .await;
    b.logout().await;

    // 4. The mediator decides and closes; the new draft is there.
    b.login("united-states").await;
    b.goto(&session).await;
    b.wait("#tally").await;
    b.click("#decide-submit").await;
    b.wait_text("#done", "decided").await;
    b.click("#close-submit").await;
    b.wait("#session-text").await;
    b.shot("5-closed").await;
    b.click("#session-text a").await;
    b.wait_url("the new draft", |u| {
        u.path.starts_with(&format!("{room}/texts/tx_"))
    })
    .await;
    b.ensure(
        b.source().await.contains("single-text session"),
        "the draft is labelled as the session's",
    )
    .await;
    b.shot("6-draft").await;
}

/// People in Chromium: the mediator invites Ukraine's new delegate from the
/// People page and copies the link it shows once; the invitee follows it,
/// chooses a login and lands in the room; their account page offers the
/// password change and the token list; the mediator removes them and their
/// session ends at once; the operator's home lists the room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_people_and_account_in_chromium() {
    let Some((chromium, chromedriver)) = tools() else {
        return;
    };
    let shots = artifact_dir("people");
    let app = start_app().await;
    let driver = Driver::start(&chromedriver);
    let b = Browser::new(
        driver.session(&chromium).await,
        &app.base,
        &shots,
        "browser",
    );
    let room = format!("/rooms/{ROOM}");

    // 1. The mediator invites a delegate for Ukraine.
    b.login("united-states").await;
    b.click(&format!("#room-{ROOM}")).await;
    b.click("#nav-people").await;
    b.wait_path("/people").await;
    b.wait(r#"tr[data-user="ukraine"]"#).await;
    b.select("#party", "ukraine").await;
    b.click("#invite-submit").await;
    let url = b.value("#invitation-url").await;
    b.ensure(
        url.starts_with(&format!("{}/invite/pi_", app.base)),
        &format!("the invitation link: {url:?}"),
    )
    .await;
    b.shot("01-people-invited").await;
    b.logout().await;

    // 2. The invitee follows the link and chooses a login.
    let r = b.c.goto(&url).await;
    b.ok(r, "opening the invitation").await;
    b.wait_text("#invite-what", "Ukraine").await;
    b.fill("#user", "kyiv").await;
    b.fill("#password", "kyiv-password-1").await;
    b.fill("#password_again", "kyiv-password-1").await;
    b.shot("02-invitation").await;
    b.click("#invite-submit").await;
    b.wait_url("the room after accepting", |u| u.path == room)
        .await;
    b.wait_text("#who-party", "Ukraine").await;
    b.click("#nav-account").await;
    b.wait_path("/account").await;
    b.wait("#password-form").await;
    b.wait("#everywhere-form").await;
    b.shot("03-account").await;
    b.logout().await;

    // 3. The mediator removes them; their next request finds no session.
    b.login("united-states").await;
    b.goto(&format!("{room}/people")).await;
    b.wait(r#"tr[data-user="kyiv"]"#).await;
    b.click("#remove-kyiv").await;
    b.wait_text("#done", "removed").await;
    b.ensure(
        !b.has(r#"tr[data-user="kyiv"]"#).await,
        "the removed delegate is still listed",
    )
    .await;
    b.wait(r#"tr[data-state="used"]"#).await;
    b.shot("04-removed").await;
    b.logout().await;

    // 4. The operator's home lists the room and links to a new one.
    b.goto("/login").await;
    b.wait("#login-form").await;
    b.fill("#user", "operator").await;
    b.fill("#password", "operator-demo").await;
    b.click("#login-submit").await;
    b.wait_url("the room list after signing in", |u| u.path == "/")
        .await;
    b.wait(&format!(r#"tr[data-room="{ROOM}"]"#)).await;
    b.wait(&format!("#mediators-{ROOM}")).await;
    b.wait("#new-room").await;
    b.shot("05-operator").await;
}
