//! A negotiation from a blank room, all in headless Chromium (issue 11's
//! first CI test): from an empty database, the one-time set-up link makes
//! the operator, who creates a room, appoints its mediator and invites the
//! mediator's delegate; that delegate (in a browser of their own) seats
//! three parties and an observer, lists four issues, and invites a delegate
//! for each, who each accept in their own browser. The mediator drafts v1
//! point by point (one point of several paragraphs, whose line breaks must
//! survive to the page, the API and the export byte for byte), publishes it
//! to all, revises it into v2 with a merge, a split, a move and an
//! insertion, and publishes v2 to one party only. Each party records
//! stances through the forms. The parties without v2 get 404 for it and
//! find no trace of it on any page or download they can reach; the redline
//! v1 → v2 shows the merge, the split, the move and the insertion; the
//! mediator narrows a room-wide stance, and the party that saw it gets 404
//! on its next request and no longer finds it in its lists; widening it
//! again asks first, saying its history becomes visible too, and the
//! history then marks the revision made while it was narrower.
//!
//! Drafting is the day-one flow: "New draft" asks for a label and an
//! optional first point; the draft's page lists the points, each with its
//! own Edit, Merge, Split and Delete forms (closed until opened) and move
//! buttons; a published version offers "Start draft" to revise it.
//!
//! Each user keeps the session their account was made in (the set-up link
//! and the invitations sign in), so the scenario signs in with a password
//! only never: password hashing is slow in a debug build. Screenshots of
//! every step go to `$PACTUM_ARTIFACTS/browser/blank-room/` (default
//! `target/test-artifacts/browser/blank-room/`).

#[path = "common/browser.rs"]
mod harness;

use harness::{artifact_dir, tools, Browser, Driver};
use serde_json::{json, Value};
use std::time::Instant;

const ROOM: &str = "basin-talks";
const MEDIATOR: &str = "envoy";
/// The parties (id, name) and the observer.
const PARTIES: [(&str, &str); 3] = [
    ("north", "Northern Alliance"),
    ("south", "Southern Coalition"),
    ("east", "Eastern League"),
];
const OBSERVER: (&str, &str) = ("monitors", "Regional Observer Mission");
/// The party v2 is published to; the others never get it.
const V2_PARTY: &str = "north";
/// What only v2 says: in its label and in the point it inserts.
const V2_MARK: &str = "ZQV2MARK";
const INSERTED_MARK: &str = "ZQINSERTED";
/// North's stance on v2, which no other party may see.
const NORTH_MARK: &str = "ZQNORTHSTANCE";
/// South's room-wide stance, which the mediator narrows.
const SOUTH_MARK: &str = "ZQSOUTHSTANCE";
/// The wording South asks for in its stance, over two lines.
const SOUTH_WORDING: &str = "Convoys are escorted by the joint commission.\nEscorts carry no arms.";
/// A point of three paragraphs, the first with a line break inside, and
/// spacing a renderer could collapse.
const MULTI: &str = "Humanitarian agencies have unimpeded access to all affected areas.\n\
Convoys are notified  48 hours ahead.\n\
\n\
The parties designate liaison officers for access.\n\
\n\
Disputes about access go to the joint commission.";
/// v1's points after the first (title, wording).
const POINTS: [(&str, &str); 9] = [
    (
        "Separation of forces",
        "Forces withdraw 15 km from the line of contact.",
    ),
    ("Monitoring", "An observer mission monitors the line."),
    ("Prisoners", "All prisoners are exchanged within 30 days."),
    ("Humanitarian access", MULTI),
    ("Returns", "Displaced persons may return voluntarily."),
    ("Elections", "Local elections are held within 12 months."),
    ("Water", "The parties share the water of the upper basin."),
    (
        "Joint commission",
        "A joint commission oversees implementation.",
    ),
    (
        "Entry into force",
        "This agreement enters into force on signature.",
    ),
];

/// The app on 127.0.0.1:0 over a fresh, empty SQLite store, and the
/// set-up link `pactum serve` would print for it.
struct App {
    base: String,
    setup: String,
    _dir: tempfile::TempDir,
}

async fn start_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = pactum_store::open_sqlite(&dir.path().join("blank.db"))
        .await
        .unwrap();
    let state = pactum_server::AppState::new(store);
    let setup = pactum_server::people::setup_link(&state)
        .await
        .unwrap()
        .expect("an empty database offers a set-up link");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        pactum_server::serve(state, listener).await.unwrap();
    });
    App {
        base: format!("http://{addr}"),
        setup,
        _dir: dir,
    }
}

/// Every `{id, text}` object in a JSON document: points with their
/// wording, wherever the document nests them.
fn wordings(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(id)), Some(Value::String(body))) =
                (m.get("id"), m.get("text"))
            {
                out.push((id.clone(), body.clone()));
            }
            m.values().for_each(|x| wordings(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| wordings(x, out)),
        _ => {}
    }
}

/// The scenario's steps on a browser.
impl Browser {
    /// Follows an invitation link and makes the account; lands in the room.
    async fn accept(&self, url: &str, user: &str, display: &str) {
        let r = self.c.goto(url).await;
        self.ok(r, "opening the invitation").await;
        self.wait("#invite-form").await;
        self.fill("#user", user).await;
        self.fill("#display_name", display).await;
        self.fill("#password", &password(user)).await;
        self.fill("#password_again", &password(user)).await;
        self.submit("#invite-submit").await;
        self.wait_url("the room after accepting the invitation", |u| {
            u.path == format!("/rooms/{ROOM}")
        })
        .await;
        self.wait("#room-title").await;
    }

    /// Creates an invitation on the People page (the mediator's or the
    /// operator's) and returns its link.
    async fn invite(&self, party: &str) -> String {
        self.select("#party", party).await;
        self.submit("#invite-submit").await;
        let url = self.value("#invitation-url").await;
        self.ensure(
            url.starts_with(&format!("{}/invite/", self.base)),
            &format!("the invitation link for {party}: {url:?}"),
        )
        .await;
        url
    }

    /// Submits a set-up form and waits for its confirmation.
    async fn setup_submit(&self, button: &str, done: &str) {
        self.submit(button).await;
        self.wait_url(&format!("the set-up page saying done={done}"), |u| {
            u.query.contains(&format!("done={done}"))
        })
        .await;
        self.wait("#done").await;
    }

    /// Adds a point at the end of the draft through the point editor.
    async fn add_point(&self, title: &str, body: &str, position: Option<usize>) {
        self.fill("#new-point-title", title).await;
        self.fill("#new-point-body", body).await;
        if let Some(p) = position {
            self.fill("#new-point-position", &p.to_string()).await;
        }
        self.submit("#add-point-submit").await;
        self.after_draft_edit().await;
        self.wait_text("#points", title).await;
    }

    /// Waits for the draft page a point operation returns to.
    async fn after_draft_edit(&self) {
        self.wait_url("the draft after a point operation", |u| {
            u.query.contains("done=draft")
        })
        .await;
        self.wait("#add-point-form").await;
    }

    /// The keys of the draft's points in order, from the point list.
    async fn editor_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for li in self.all("#points li.point[data-key]").await {
            keys.push(self.attr(&li, "data-key").await);
        }
        keys
    }

    /// Opens a point's form (`edit`, `merge`, `split` or `delete`) the way
    /// a reader does, by its summary, then submits it and waits for the
    /// draft again. The forms are closed until opened: a button they hold
    /// cannot be clicked before.
    async fn point_op(&self, op: &str, key: &str) {
        let button = format!("#pt-{op}-{key}");
        self.ensure(
            !self
                .wait(&button)
                .await
                .is_displayed()
                .await
                .unwrap_or(true),
            &format!("{button} shows before its form is opened"),
        )
        .await;
        self.click(&format!("#pt-{op}-open-{key}")).await;
        self.submit(&button).await;
        self.after_draft_edit().await;
    }

    /// Publishes the version on screen to exactly `to`.
    async fn publish_to(&self, to: &[&str]) {
        self.wait("#publish-form").await;
        for input in self.all(r#"#publish-form input[name="parties"]"#).await {
            let id = self.attr(&input, "id").await;
            let party = id.trim_start_matches("publish-").to_string();
            self.check(&format!("#{id}"), to.contains(&party.as_str()))
                .await;
        }
        self.submit("#publish-submit").await;
        self.wait_url("the published version", |u| {
            u.query.contains("done=published")
        })
        .await;
        self.wait_text("#done", "Published").await;
        self.ensure(
            !self.has("#draft-notice").await,
            "the version still says it is a draft",
        )
        .await;
    }

    /// Fills the stance form of the text on screen (a delegate's own party).
    async fn stance_form(&self, target: &str, kind: &str, summary: &str, visibility: &str) {
        self.wait("#stance-form").await;
        self.select("#stance-target", target).await;
        self.select("#stance-kind", kind).await;
        self.fill("#stance-summary", summary).await;
        self.fill("#stance-source", &format!("{} (browser test)", self.who))
            .await;
        self.select("#stance-reliability", "own_delegation").await;
        let date = self.wait("#stance-date").await;
        let r = self
            .c
            .execute(
                "arguments[0].value = '2026-03-02'; \
                 arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                vec![json!(date)],
            )
            .await;
        self.ok(r, "setting the date").await;
        self.select("#stance-visibility", visibility).await;
        self.submit("#stance-submit").await;
    }

    /// Records a stance through the form and waits for the confirmation.
    async fn record_stance(&self, target: &str, kind: &str, summary: &str, visibility: &str) {
        self.stance_form(target, kind, summary, visibility).await;
        self.wait_url("the text after recording the stance", |u| {
            u.query.contains("done=stance")
        })
        .await;
        self.wait_text("#done", "Stance recorded").await;
    }

    /// A GET that must answer 404, as for a record that does not exist.
    async fn expect_404(&self, path: &str) {
        let (status, body) = self.fetch(path).await;
        self.ensure(
            status == 404,
            &format!("GET {path} answered {status}, not 404: {body:.300}"),
        )
        .await;
    }

    /// A GET that must answer 200; its body.
    async fn expect_200(&self, path: &str) -> String {
        let (status, body) = self.fetch(path).await;
        self.ensure(
            status == 200,
            &format!("GET {path} answered {status}, not 200: {body:.300}"),
        )
        .await;
        body
    }

    /// Opens a page and checks that none of `forbidden` is anywhere in it.
    async fn page_lacks(&self, path: &str, forbidden: &[&str]) {
        self.goto(path).await;
        self.wait("#main").await;
        let src = self.source().await;
        for f in forbidden {
            self.ensure(!src.contains(f), &format!("the page {path} shows {f:?}"))
                .await;
        }
    }

    /// Fetches a download or API answer and checks that none of
    /// `forbidden` is in it.
    async fn body_lacks(&self, path: &str, forbidden: &[&str]) {
        let body = self.expect_200(path).await;
        for f in forbidden {
            self.ensure(!body.contains(f), &format!("GET {path} holds {f:?}"))
                .await;
        }
    }

    /// The stance rows of the ledger: (stance id, party).
    async fn ledger(&self) -> Vec<(String, String)> {
        self.goto(&format!("/rooms/{ROOM}/stances")).await;
        self.wait("#stance-count").await;
        let mut rows = Vec::new();
        for tr in self.all("#stance-table tbody tr").await {
            rows.push((
                self.attr(&tr, "data-stance-id").await,
                self.attr(&tr, "data-party").await,
            ));
        }
        rows
    }
}

fn password(user: &str) -> String {
    format!("{user}-secret-pass")
}

fn room_path(rest: &str) -> String {
    format!("/rooms/{ROOM}{rest}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blank_room_negotiation_in_chromium() {
    let Some((chromium, chromedriver)) = tools() else {
        return;
    };
    let started = Instant::now();
    let step = |n: &str| println!("[{:5.1}s] {n}", started.elapsed().as_secs_f64());
    let shots = artifact_dir("blank-room");
    let app = start_app().await;
    let driver = Driver::start(&chromedriver);
    let open = |who: &'static str| {
        let (driver, chromium, base, shots) = (&driver, &chromium, &app.base, &shots);
        async move { Browser::new(driver.session(chromium).await, base, shots, who) }
    };

    // 1. The set-up link makes the operator, who creates the room.
    let op = open("operator").await;
    op.goto(&app.setup).await;
    op.wait("#setup-form").await;
    op.fill("#user", "operator").await;
    op.fill("#display_name", "Server operator").await;
    op.fill("#password", &password("operator")).await;
    op.fill("#password_again", &password("operator")).await;
    op.shot("01-setup-link").await;
    op.submit("#setup-submit").await;
    op.wait_url("the operator's home, the room list", |u| u.path == "/")
        .await;
    op.wait("#no-rooms").await;
    op.shot("02-operator-home").await;
    op.submit("#new-room").await;
    op.wait("#new-room-form").await;
    op.fill("#room-title", "Upper basin talks").await;
    op.fill("#room-id", ROOM).await;
    op.fill(
        "#room-description",
        "Water sharing and the separation of forces.",
    )
    .await;
    op.fill(
        "#room-disclaimer",
        "Working documents: nothing is agreed until everything is agreed.",
    )
    .await;
    op.shot("03-new-room").await;
    op.submit("#create-room").await;
    op.wait_url("the new room's set-up", |u| {
        u.path == room_path("/setup") && u.query.contains("done=room")
    })
    .await;
    // 2. ... appoints the mediator and invites its delegate.
    op.fill("#appoint-name", "Office of the Envoy").await;
    op.fill("#appoint-id", MEDIATOR).await;
    op.setup_submit("#appoint-submit", "appoint").await;
    op.wait_text("#done", "Mediator appointed").await;
    op.wait_text("#mediator-state", "Mediator appointed").await;
    op.shot("04-operator-mediator-appointed").await;
    op.submit("#invite-mediators").await;
    op.wait_path(&format!("/operator/rooms/{ROOM}")).await;
    let invitation = op.invite(MEDIATOR).await;
    op.shot("05-operator-invites-mediator").await;
    step("1-2. operator made, room created, mediator appointed and invited");

    // 3. The mediator's delegate accepts in a browser of their own.
    let med = open("mediator").await;
    med.accept(&invitation, "envoy-1", "Envoy's delegate").await;
    med.wait_text("#who-role", "ediator").await;
    med.shot("06-mediator-joined").await;
    let (status, _) = op.fetch(&room_path("")).await;
    op.ensure(status == 404, "the operator, seatless, reads the room page")
        .await;
    // The operator's home lists the room once, with its mediator; the old
    // operator page leads there.
    op.goto("/operator").await;
    op.wait_url("the operator's home", |u| u.path == "/").await;
    op.wait_text(&format!("#oproom-{ROOM}"), "Office of the Envoy")
        .await;
    op.ensure(
        !op.has(&format!("#open-{ROOM}")).await,
        "the seatless operator is offered to open the room",
    )
    .await;
    op.shot("06a-operator-home-with-room").await;
    op.close().await;

    // 4. The mediator, sent from the empty room to its set-up, seats the
    //    parties and the observer and lists the issues.
    med.submit("#setup-hint-link").await;
    med.wait("#add-party-form").await;
    for (id, name) in PARTIES.iter().chain([&OBSERVER]) {
        med.fill("#party-name", name).await;
        med.fill("#party-id", id).await;
        let kind = if *id == OBSERVER.0 {
            "observer"
        } else {
            "party"
        };
        med.select("#party-kind", kind).await;
        med.setup_submit("#add-party-submit", "add_party").await;
        med.wait(&format!(r#"#parties li[data-party="{id}"]"#))
            .await;
    }
    let issues = [
        (
            "withdrawal",
            "Withdrawal",
            "km15 | 15 km\nkm30 | 30 km\nnone | No withdrawal",
        ),
        (
            "monitoring",
            "Monitoring",
            "international | International mission\njoint | Joint commission",
        ),
        (
            "water",
            "Water allocation",
            "equal | Equal shares\nneeds | By needs\nhistoric | Historic use",
        ),
        (
            "elections",
            "Elections",
            "six | Within 6 months\ntwelve | Within 12 months",
        ),
    ];
    for (id, title, options) in issues {
        med.fill("#issue-title", title).await;
        med.fill("#issue-id", id).await;
        med.fill("#issue-options", options).await;
        med.setup_submit("#add-issue-submit", "add_issue").await;
        med.wait(&format!("#issue-{id}")).await;
    }
    med.shot("07-mediator-setup").await;
    step("3-4. mediator joined; parties, observer and issues set up");

    // 5. One delegate per party and the observer, each in their own browser.
    med.submit("#step-people").await;
    med.wait_path("/people").await;
    med.wait("#invite-form").await;
    let mut seats = Vec::new();
    for (i, (id, name)) in PARTIES.iter().chain([&OBSERVER]).enumerate() {
        let url = med.invite(id).await;
        if i == 0 {
            med.shot("08-mediator-invites").await;
        }
        seats.push((*id, *name, url));
    }
    let mut delegates = Vec::new();
    for (id, name, url) in &seats {
        let who: &'static str = match *id {
            "north" => "north",
            "south" => "south",
            "east" => "east",
            _ => "observer",
        };
        let b = open(who).await;
        b.accept(url, &format!("{id}-1"), &format!("Delegate of {name}"))
            .await;
        b.wait_text("#who-party", name).await;
        delegates.push(b);
    }
    delegates[0].shot("09-north-joined").await;
    let [north, south, east, observer] =
        <[Browser; 4]>::try_from(delegates).unwrap_or_else(|_| unreachable!("four delegates"));
    med.goto(&room_path("/people")).await;
    for (id, _) in PARTIES.iter().chain([&OBSERVER]) {
        med.wait(&format!(r#"tr[data-user="{id}-1"]"#)).await;
    }
    med.ensure(
        med.all(r#"#invitations-table tr[data-state="used"]"#)
            .await
            .len()
            == 5,
        "the five invitations (the operator's included) are not all listed as used",
    )
    .await;
    med.shot("10-mediator-people").await;
    step("5. four delegates joined in their own browsers");

    // 6. v1: the first point through the new-draft form, nine more through
    //    the point editor, one of them of several paragraphs.
    med.submit("#nav-text").await;
    med.wait_path("/texts/new").await;
    med.ensure(
        !med.has("#draft-start").await,
        "the room's first draft offers a version to start from",
    )
    .await;
    med.fill("#draft-label", "Single text v1").await;
    med.fill("#draft-title", "Ceasefire").await;
    med.fill(
        "#draft-body",
        "The parties cease all hostilities from the date of signature.",
    )
    .await;
    med.shot("10a-mediator-new-draft").await;
    med.submit("#draft-submit").await;
    let url = med
        .wait_url("the new draft", |u| u.query.contains("done=draft"))
        .await;
    let v1 = url.path.rsplit('/').next().unwrap_or_default().to_string();
    med.wait_text("#points", "Ceasefire").await;
    med.ensure(
        !med.has("#revise-form").await,
        "a draft offers to start a draft from it",
    )
    .await;
    med.shot("10b-mediator-first-point").await;
    for (title, body) in POINTS {
        if title == "Water" {
            med.check(
                r#"#add-point-form input[name="issue_ids"][value="water"]"#,
                true,
            )
            .await;
        }
        med.add_point(title, body, None).await;
    }
    let keys = med.editor_keys().await;
    med.ensure(keys.len() == 10, &format!("v1's points: {keys:?}"))
        .await;
    let first = med
        .text_content(&format!(r#"li[data-key="{}"] .point-title"#, keys[0]))
        .await;
    med.ensure(
        first == "Ceasefire",
        &format!("v1's first point is {first:?}, not the new-draft form's"),
    )
    .await;
    let key = |title: &str| keys[POINTS.iter().position(|p| p.0 == title).unwrap() + 1].clone();
    let (k_sep, k_mon, k_hum, k_elect) = (
        key("Separation of forces"),
        key("Monitoring"),
        key("Humanitarian access"),
        key("Elections"),
    );
    med.wait_text(
        &format!(r#"li[data-point="{v1}.{}"] .tag-issue"#, key("Water")),
        "Water allocation",
    )
    .await;
    // The editor gives the wording back as typed.
    let stored = med.value(&format!("#pt-body-{k_hum}")).await;
    med.ensure(
        stored == MULTI,
        &format!("the editor holds {stored:?}, not the wording typed"),
    )
    .await;
    // Editing a point: its form opens in place; a new wording of two lines
    // replaces the old, line break included.
    let k_pris = key("Prisoners");
    let reworded = "All prisoners are exchanged within 30 days.\nLists are exchanged first.";
    med.click(&format!("#pt-edit-{k_pris}")).await;
    med.fill(&format!("#pt-body-{k_pris}"), reworded).await;
    med.shot("11a-mediator-editing-a-point").await;
    med.submit(&format!("#pt-save-{k_pris}")).await;
    med.after_draft_edit().await;
    let shown = med
        .inner_text(&format!(r#"li[data-key="{k_pris}"] .point-body"#))
        .await;
    med.ensure(
        shown == reworded,
        &format!("the edited point reads {shown:?}"),
    )
    .await;
    med.shot("11-mediator-v1-draft").await;
    med.publish_to(&["north", "south", "east", "monitors"])
        .await;
    med.wait("#revise-form").await;
    med.shot("12-mediator-v1-published").await;
    // "New draft" now offers to start from the published v1 as well.
    med.submit("#new-draft-link").await;
    med.wait(&format!("#from-{v1}")).await;
    let empty = med.wait("#from-empty").await;
    med.ensure(
        empty.is_selected().await.unwrap_or(false),
        "the new-draft page does not start from an empty draft",
    )
    .await;
    med.shot("12a-mediator-new-draft-page").await;
    step("6. v1 drafted (10 points) and published to all");

    // 7. Line breaks survive: on the page (rendered as typed), in the API
    //    and in the export, byte for byte, for a party.
    let hum_v1 = format!("{v1}.{k_hum}");
    south.goto(&room_path(&format!("/texts/{v1}"))).await;
    let body_css = format!(r#"li[data-point="{hum_v1}"] .point-body"#);
    let shown = south.text_content(&body_css).await;
    south
        .ensure(
            shown == MULTI,
            &format!("the page holds {shown:?}, not the wording as typed"),
        )
        .await;
    let rendered = south.inner_text(&body_css).await;
    south
        .ensure(
            rendered == MULTI,
            &format!("the page renders {rendered:?}, not the wording's lines"),
        )
        .await;
    south.shot("13-south-v1").await;
    for path in [
        format!("/api/rooms/{ROOM}/texts/{v1}"),
        format!("/api/rooms/{ROOM}/export"),
    ] {
        let raw = south.expect_200(&path).await;
        let v: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
        let mut found = Vec::new();
        wordings(&v, &mut found);
        let hit = found.iter().find(|(id, _)| *id == hum_v1);
        south
            .ensure(
                hit.is_some_and(|(_, b)| b == MULTI),
                &format!("{path} gives the point as {hit:?}, not the wording typed"),
            )
            .await;
    }
    step("7. the multi-paragraph point is byte for byte on the page, API and export");

    // 8. v2: revise v1, then a merge, a split, a move and an insertion.
    med.goto(&room_path(&format!("/texts/{v1}"))).await;
    med.fill("#revise-label", &format!("Single text v2 {V2_MARK}"))
        .await;
    med.submit("#revise-submit").await;
    let url = med
        .wait_url("the v2 draft", |u| {
            u.query.contains("done=draft") && !u.path.ends_with(&v1)
        })
        .await;
    let v2 = url.path.rsplit('/').next().unwrap_or_default().to_string();
    med.wait("#add-point-form").await;
    med.point_op("merge", &k_sep).await;
    med.ensure(
        !med.has(&format!("#edit-point-{k_mon}")).await,
        "Monitoring is still a point of its own after the merge",
    )
    .await;
    med.point_op("split", &k_hum).await;
    let before_move = med.editor_keys().await;
    let from = before_move.iter().position(|k| *k == k_elect).unwrap();
    for _ in 0..2 {
        med.submit(&format!("#pt-down-{k_elect}")).await;
        med.after_draft_edit().await;
    }
    let after_move = med.editor_keys().await;
    med.ensure(
        after_move.iter().position(|k| *k == k_elect) == Some(from + 2),
        &format!("Elections moved from {from} to {after_move:?}"),
    )
    .await;
    let inserted_body = format!("{INSERTED_MARK}: the parties clear mines along the line.");
    med.add_point("Mine clearance", &inserted_body, Some(2))
        .await;
    let v2_keys = med.editor_keys().await;
    med.ensure(v2_keys.len() == 11, &format!("v2's points: {v2_keys:?}"))
        .await;
    let k_mine = v2_keys[1].clone();
    // The split left the first paragraph in place and the rest in the new
    // point, each byte for byte.
    let hum_at = v2_keys.iter().position(|k| *k == k_hum).unwrap();
    let k_hum2 = v2_keys[hum_at + 1].clone();
    let first = med.value(&format!("#pt-body-{k_hum}")).await;
    let rest = med.value(&format!("#pt-body-{k_hum2}")).await;
    let (want_first, want_rest) = MULTI.split_once("\n\n").unwrap();
    med.ensure(
        first == want_first && rest == want_rest,
        &format!("the split gave {first:?} and {rest:?}"),
    )
    .await;
    med.shot("14-mediator-v2-draft").await;
    med.publish_to(&[V2_PARTY]).await;
    med.wait_text("#about-text", "Published to").await;
    med.shot("15-mediator-v2-published-to-north").await;
    step("8. v2 (merge, split, move, insertion) published to North only");

    // 9. Stances through the forms. North, on v2's new point: a whole-room
    //    audience would show v2's point to those without it, and is refused.
    north.goto(&room_path(&format!("/texts/{v2}"))).await;
    north.wait_text("#text-label", V2_MARK).await;
    let target = format!("point:{v2}.{k_mine}");
    north
        .stance_form(&target, "accepts", &format!("{NORTH_MARK} agreed"), "room")
        .await;
    north.wait("#stance-error").await;
    // The refusal names the field, the version and who sees it, as the
    // page names them.
    let error = north.inner_text("#stance-error").await;
    north
        .ensure(
            error.contains("Visible to")
                && error.contains(&format!("Single text v2 {V2_MARK}"))
                && error.contains("only Northern Alliance and the mediator"),
            &format!("the refusal reads {error:?}"),
        )
        .await;
    north.shot("16-north-room-wide-refused").await;
    north
        .record_stance(
            &target,
            "accepts",
            &format!("{NORTH_MARK} agreed"),
            "default",
        )
        .await;
    north.shot("17-north-stance-on-v2").await;
    // South, on v1's point, for the whole room, with the wording it asks
    // for (two lines); East, on the whole of v1.
    south.goto(&room_path(&format!("/texts/{v1}"))).await;
    south.fill("#stance-amendment", SOUTH_WORDING).await;
    south
        .record_stance(
            &format!("point:{hum_v1}"),
            "conditional",
            &format!("{SOUTH_MARK} if convoys are escorted"),
            "room",
        )
        .await;
    south.shot("18-south-stance-on-v1").await;
    east.goto(&room_path(&format!("/texts/{v1}"))).await;
    east.record_stance(
        "text",
        "rejects",
        "Not before the withdrawal is agreed",
        "default",
    )
    .await;
    east.shot("19-east-stance-on-v1").await;
    step("9. North, South and East recorded stances");

    // 10. Those without v2: 404 for its page and API, no trace of it.
    let v2_forbidden = [v2.as_str(), V2_MARK, INSERTED_MARK, NORTH_MARK];
    for b in [&south, &east, &observer] {
        b.goto(&room_path(&format!("/texts/{v2}"))).await;
        let err = b.wait("#error").await;
        b.ensure(
            b.attr(&err, "data-status").await == "404",
            "v2's page is not the 404 page",
        )
        .await;
        for path in [
            format!("/api/rooms/{ROOM}/texts/{v2}"),
            format!("/api/rooms/{ROOM}/texts/{v2}/matrix"),
            format!("/api/rooms/{ROOM}/diff?from={v1}&to={v2}"),
            room_path(&format!("/redline?from={v1}&to={v2}")),
        ] {
            b.expect_404(&path).await;
        }
        for path in [
            room_path(""),
            room_path("/texts"),
            room_path(&format!("/texts/{v1}")),
            room_path("/stances"),
            room_path("/redline"),
            room_path("/briefing"),
            room_path("/meetings"),
            room_path("/documents"),
            "/".to_string(),
            "/account".to_string(),
        ] {
            b.page_lacks(&path, &v2_forbidden).await;
        }
        if b.who != "observer" {
            for path in [room_path("/model"), room_path("/sessions")] {
                b.page_lacks(&path, &v2_forbidden).await;
            }
        }
        b.goto(&room_path(&format!("/texts/{v1}"))).await;
        let versions = b.options("#version-select").await;
        b.ensure(
            versions == [v1.clone()],
            &format!("the version selector offers {versions:?}"),
        )
        .await;
        for path in [
            "/api/me".to_string(),
            "/api/rooms".to_string(),
            format!("/api/rooms/{ROOM}"),
            format!("/api/rooms/{ROOM}/texts"),
            format!("/api/rooms/{ROOM}/timeline"),
            format!("/api/rooms/{ROOM}/stances"),
            format!("/api/rooms/{ROOM}/export"),
            room_path("/briefing?format=md"),
            room_path("/briefing?format=html"),
        ] {
            b.body_lacks(&path, &v2_forbidden).await;
        }
        // The overview counts one version.
        b.goto(&room_path("")).await;
        let count = b.wait(r#"#counts a[href$="/texts"] .stat-n"#).await;
        let r = count.text().await;
        let n = b.ok(r, "reading the count of versions").await;
        b.ensure(n == "1", &format!("the overview counts {n} versions"))
            .await;
    }
    south.goto(&room_path(&format!("/texts/{v2}"))).await;
    south.shot("20-south-v2-404").await;
    south.goto(&room_path("")).await;
    south.shot("21-south-overview").await;
    // North has it.
    north
        .expect_200(&format!("/api/rooms/{ROOM}/texts/{v2}"))
        .await;
    step("10. South, East and the observer find no trace of v2");

    // 11. The redline v1 → v2 shows the merge, the split, the move and the
    //     insertion.
    med.goto(&room_path(&format!("/texts/{v2}"))).await;
    med.submit("#redline-link").await;
    let url = med.wait_path("/redline").await;
    med.ensure(
        url.query.contains(&format!("from={v1}")) && url.query.contains(&format!("to={v2}")),
        &format!("the redline compares {}", url.query),
    )
    .await;
    med.wait("#redline-points").await;
    for (change, title) in [
        ("merged", "Separation of forces"),
        ("split", "Humanitarian access"),
        ("moved", "Elections"),
        ("inserted", "Mine clearance"),
    ] {
        med.wait_text(
            &format!(r#"#redline-points li[data-change="{change}"]"#),
            title,
        )
        .await;
    }
    // One of each was done, and nothing else: every other point is carried
    // over unchanged or renumbered.
    for (change, n) in [
        ("merged", 1),
        ("split", 1),
        ("moved", 1),
        ("inserted", 1),
        ("changed", 0),
        ("deleted", 0),
    ] {
        let e = med.wait(&format!(r#"#redline-summary .ch-{change}"#)).await;
        let count = med.attr(&e, "data-count").await;
        med.ensure(
            count == n.to_string(),
            &format!("the redline summary counts {count} {change}, not {n}"),
        )
        .await;
    }
    let changes: Vec<String> = {
        let mut v = Vec::new();
        for li in med.all("#redline-points li").await {
            v.push(med.attr(&li, "data-change").await);
        }
        v
    };
    med.ensure(
        !changes.iter().any(|c| c == "changed" || c == "deleted"),
        &format!("the redline reports more than was done: {changes:?}"),
    )
    .await;
    let moved = med.wait(r#"#redline-points li[data-change="moved"]"#).await;
    let (from, to) = (
        med.attr(&moved, "data-from").await,
        med.attr(&moved, "data-to").await,
    );
    let want_to = v2_keys.iter().position(|k| *k == k_elect).unwrap() + 1;
    med.ensure(
        from == "7" && to == want_to.to_string(),
        &format!("Elections moved {from} → {to}, not 7 → {want_to}"),
    )
    .await;
    med.shot("22-mediator-redline").await;
    step("11. the redline shows the merge, split, move and insertion");

    // 12. East sees South's room-wide stance; the mediator narrows it to
    //     South and the mediator; East's next request for it is a 404.
    let rows = east.ledger().await;
    let Some((south_stance, _)) = rows.iter().find(|(_, p)| p == "south").cloned() else {
        east.fail("South's room-wide stance is not in East's ledger")
            .await
    };
    let record = room_path(&format!("/records/stances/{south_stance}"));
    let api = format!("/api/rooms/{ROOM}/stances/{south_stance}");
    east.expect_200(&api).await;
    east.goto(&record).await;
    east.wait_text("#record-body", SOUTH_MARK).await;
    // The record reads as labelled fields, the wording with its line break.
    let asked = east.inner_text("#record-body .point-body").await;
    east.ensure(
        asked == SOUTH_WORDING,
        &format!("the record page renders the proposed wording as {asked:?}"),
    )
    .await;
    east.wait_text("#record-body", "Southern Coalition").await;
    east.shot("23-east-sees-south-stance").await;
    med.goto(&room_path("/stances")).await;
    med.submit(&format!("#record-link-{south_stance}")).await;
    med.wait_path(&format!("/records/stances/{south_stance}"))
        .await;
    let current = med.value("#record-visibility").await;
    med.ensure(
        current == "room",
        &format!("the visibility form shows {current:?}, not the stance's whole room"),
    )
    .await;
    med.select("#record-visibility", "pm:south").await;
    med.submit("#visibility-submit").await;
    med.wait_text("#history", "narrow").await;
    let current = med.value("#record-visibility").await;
    med.ensure(
        current == "pm:south",
        &format!("after narrowing, the visibility form shows {current:?}"),
    )
    .await;
    med.shot("24-mediator-narrowed").await;
    east.goto(&record).await;
    let err = east.wait("#error").await;
    east.ensure(
        east.attr(&err, "data-status").await == "404",
        "the narrowed stance's page is not the 404 page",
    )
    .await;
    east.shot("25-east-narrowed-404").await;
    east.expect_404(&api).await;
    let rows = east.ledger().await;
    east.ensure(
        !rows.iter().any(|(id, _)| *id == south_stance),
        "the narrowed stance is still in East's ledger",
    )
    .await;
    for path in [
        room_path(&format!("/texts/{v1}")),
        room_path("/stances"),
        room_path("/briefing"),
    ] {
        east.page_lacks(&path, &[SOUTH_MARK, &south_stance]).await;
    }
    for path in [
        format!("/api/rooms/{ROOM}/stances"),
        format!("/api/rooms/{ROOM}/export"),
    ] {
        east.body_lacks(&path, &[SOUTH_MARK, &south_stance]).await;
    }
    // South still has it, and, having recorded it, may correct or
    // withdraw it on its page.
    south.expect_200(&api).await;
    south.goto(&record).await;
    south.wait("#edit-form").await;
    south.wait("#withdraw-form").await;
    // The correction form offers the stance and the reliability by their
    // labels, set to what was recorded.
    for (field, want) in [
        ("stance", "conditional"),
        ("provenance.reliability", "own_delegation"),
    ] {
        let got = south
            .value(&format!(r#"#edit-form select[name="{field}"]"#))
            .await;
        south
            .ensure(
                got == want,
                &format!("the correction form's {field} is {got:?}"),
            )
            .await;
    }
    south.shot("25a-south-own-stance").await;
    step("12. the narrowed stance is gone for East, at once");

    // 13. The mediator widens it again: the confirmation says the history
    //     becomes visible too, and the history marks the revision made
    //     while fewer parties could see the stance.
    med.goto(&record).await;
    med.select("#record-visibility", "room").await;
    med.submit("#visibility-submit").await;
    med.wait_text("#confirm-history", "history becomes visible too")
        .await;
    med.wait_text("#confirm-who", "Eastern League").await;
    med.shot("26-mediator-confirm-widen").await;
    med.submit("#confirm-submit").await;
    med.wait_path(&format!("/records/stances/{south_stance}"))
        .await;
    let marks = med.all("#history .narrower").await;
    med.ensure(
        marks.len() == 1,
        &format!(
            "{} revisions are marked as made while narrower, not 1",
            marks.len()
        ),
    )
    .await;
    med.wait_text("#history .narrower", "Eastern League").await;
    med.click("#said-1").await;
    med.wait_text("#revision-1 .record-fields", SOUTH_MARK)
        .await;
    med.shot("27-mediator-history-marked").await;
    east.goto(&record).await;
    east.wait_text("#record-body", SOUTH_MARK).await;
    east.wait_text("#history .narrower", "Eastern League").await;
    east.shot("28-east-sees-history-marked").await;
    step("13. widening warned of the history; the history marks the narrower revision");

    for b in [med, north, south, east, observer] {
        b.close().await;
    }
    drop(driver);
    println!(
        "blank-room scenario passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
