//! `pactum report`: every demo user's briefing, in both formats, against an
//! oracle computed here from the case file. Every meeting, stance and text of
//! the demo gets a unique marker in its title, summary or label, and a few
//! records of narrow audiences are added (a party-private stance, a stance
//! confided to the mediator, a mediator-only draft); who may see each is
//! worked out by the test from its visibility field, by the rule the
//! workspace states, not by asking the workspace. No briefing may carry the
//! marker of a record its reader may not see; some markers of records the
//! reader may see must be there (so the check can fail).

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const ROOM: &str = "peace-plan-2025";
const MEDIATOR: &str = "united_states";
const USERS: [(&str, &str); 4] = [
    ("med", "united_states"),
    ("ru", "russia"),
    ("ua", "ukraine"),
    ("eu", "european_states"),
];

fn pactum(args: &[&str], input: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pactum"));
    c.env_remove("PACTUM_DATABASE_URL").args(args);
    match input {
        None => c.output().unwrap(),
        Some(text) => {
            use std::io::Write;
            let mut child = c
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        }
    }
}

fn ok(args: &[&str]) -> String {
    let out = pactum(args, None);
    assert!(
        out.status.success(),
        "pactum {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn marker(id: &str) -> String {
    format!("MARK-{id}-7f3a")
}

/// Who may see a record with this visibility field: the parties named, and
/// the mediator for every scope but another party's private one.
fn audience(v: &Value) -> BTreeSet<String> {
    let all: BTreeSet<String> = USERS.iter().map(|(_, p)| p.to_string()).collect();
    let with_mediator = |mut s: BTreeSet<String>| {
        s.insert(MEDIATOR.to_string());
        s
    };
    let one = |p: &Value| BTreeSet::from([p.as_str().unwrap().to_string()]);
    match v["scope"].as_str().unwrap() {
        "room" => all,
        "parties" => with_mediator(
            v["parties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect(),
        ),
        "party_and_mediator" => with_mediator(one(&v["party"])),
        "party" => one(&v["party"]),
        "mediator" => with_mediator(BTreeSet::new()),
        other => panic!("unknown scope {other}"),
    }
}

/// The demo with markers planted and narrow records added; returns the
/// case file and every (marker, audience).
fn planted_case(dir: &Path) -> (PathBuf, Vec<(String, BTreeSet<String>)>) {
    let demo =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/cases/peace-plan-2025.json");
    let mut case: Value = serde_json::from_str(&std::fs::read_to_string(demo).unwrap()).unwrap();
    let mut planted = Vec::new();
    for (collection, field) in [
        ("meetings", "title"),
        ("stances", "summary"),
        ("texts", "label"),
    ] {
        for r in case[collection].as_array_mut().unwrap() {
            let m = marker(r["id"].as_str().unwrap());
            let old = r[field].as_str().unwrap_or("").to_string();
            r[field] = json!(format!("{old} {m}"));
            planted.push((m, audience(&r["visibility"])));
        }
    }
    let stance = |id: &str, party: &str, stance: &str, visibility: Value| {
        let mut s = case["stances"][0].clone();
        s["id"] = json!(id);
        s["party_id"] = json!(party);
        s["delegate_ids"] = json!([]);
        s["target"] = json!({"issue_id": null, "text_id": "v2_post_geneva", "point_id": null});
        s["stance"] = json!(stance);
        s["summary"] = json!(format!("Said in confidence {}", marker(id)));
        s["meeting_id"] = Value::Null;
        s["visibility"] = visibility;
        s
    };
    let extra = [
        stance(
            "ua_confides",
            "ukraine",
            "rejects",
            json!({"scope": "party_and_mediator", "party": "ukraine"}),
        ),
        stance(
            "ru_private",
            "russia",
            "conditional",
            json!({"scope": "party", "party": "russia"}),
        ),
    ];
    for s in extra {
        planted.push((
            marker(s["id"].as_str().unwrap()),
            audience(&s["visibility"]),
        ));
        case["stances"].as_array_mut().unwrap().push(s);
    }
    let mut draft = case["texts"][1].clone();
    draft["id"] = json!("mediator_draft");
    draft["label"] = json!(format!(
        "Next draft <b>& more</b> {}",
        marker("mediator_draft")
    ));
    draft["version"] = json!(3);
    draft["status"] = json!("draft");
    draft["visibility"] = json!({"scope": "mediator"});
    planted.push((marker("mediator_draft"), audience(&draft["visibility"])));
    case["texts"].as_array_mut().unwrap().push(draft);
    let file = dir.join("case.json");
    std::fs::write(&file, serde_json::to_string_pretty(&case).unwrap()).unwrap();
    (file, planted)
}

#[test]
fn briefings_hold_only_what_each_user_may_see() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let (case, planted) = planted_case(dir.path());
    ok(&["case", "import", s(&case), "--db", s(&db)]);
    for (user, party) in USERS {
        let out = pactum(
            &[
                "user",
                "add",
                user,
                "--room",
                ROOM,
                "--party",
                party,
                "--password-stdin",
                "--db",
                s(&db),
            ],
            Some("a-long-enough-password\n"),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (user, party) in USERS {
        let md = ok(&[
            "report",
            ROOM,
            "--as",
            user,
            "--format",
            "md",
            "--db",
            s(&db),
        ]);
        let html_file = dir.path().join(format!("{user}.html"));
        ok(&[
            "report",
            ROOM,
            "--as",
            user,
            "--format",
            "html",
            "--output",
            s(&html_file),
            "--db",
            s(&db),
        ]);
        let html = std::fs::read_to_string(&html_file).unwrap();
        assert!(md.starts_with("# Briefing: "), "{md}");
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
        for (m, who) in &planted {
            if !who.contains(party) {
                assert!(!md.contains(m.as_str()), "{user}'s Markdown holds {m}");
                assert!(!md.contains(&md_form(m)), "{user}'s Markdown holds {m}");
                assert!(!html.contains(m.as_str()), "{user}'s HTML holds {m}");
            }
        }
        // What the user may see is there.
        let shown = |id: &str| html.contains(&marker(id)) && md.contains(&md_form(&marker(id)));
        assert!(shown("geneva_consultations"), "{user}");
        assert_eq!(
            shown("kremlin_meeting"),
            party == "russia" || party == MEDIATOR
        );
        match party {
            MEDIATOR => {
                // The draft is the mediator's current text, escaped.
                assert!(shown("mediator_draft"));
                assert!(html.contains("Next draft &lt;b&gt;&amp; more&lt;/b&gt;"));
                assert!(md.contains(r"Next draft \<b\>\& more\</b\>"), "{md}");
            }
            "ukraine" => assert!(html.contains(&marker("ua_confides"))),
            "russia" => assert!(html.contains(&marker("ru_private"))),
            _ => {}
        }
        // Only the mediator's briefing carries the zone, computed from the
        // (hypothetical) models without quoting them; the parties' do not.
        if party == MEDIATOR {
            assert!(!md.contains("Zone status: not computed."), "{md}");
            assert!(md.contains("HYPOTHETICAL"), "{md}");
            assert!(md.contains("The agreement zone"), "{md}");
        } else {
            assert!(md.contains("Zone status: not computed."), "{user}");
        }
        // Self-contained: no external asset, no script.
        for needle in ["<script", "<link", "<img", "src=", "@import"] {
            assert!(!html.contains(needle), "{user}'s HTML has {needle}");
        }
        assert!(html.contains("<svg"));
    }
    // Reads of restricted records are audited as reports, one entry per
    // briefing listing its restricted records (the record id alone when it
    // is the only one): ukraine's confided stance was shown to its own
    // delegate only (the mediator's briefing shows the mediator's draft, on
    // which no stance is recorded).
    let reads = sql_strings(
        &db,
        "SELECT DISTINCT actor FROM audit_log WHERE action = 'report' AND (record_id = 'ua_confides' OR detail LIKE '%\"id\":\"ua_confides\"%') ORDER BY actor",
    );
    assert_eq!(reads, vec!["ua".to_string()]);
    let reads = sql_strings(
        &db,
        "SELECT DISTINCT actor FROM audit_log WHERE action = 'report' AND (record_id = 'kremlin_meeting' OR detail LIKE '%\"id\":\"kremlin_meeting\"%') ORDER BY actor",
    );
    assert_eq!(reads, vec!["med".to_string(), "ru".to_string()]);
    ok(&["audit", "verify", "--db", s(&db)]);
}

/// A marker as Markdown writes it (underscores escaped).
fn md_form(m: &str) -> String {
    m.replace('_', r"\_")
}

fn sql_strings(db: &Path, q: &str) -> Vec<String> {
    use sqlx::Connection;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(db);
            let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            let v: Vec<String> = sqlx::query_scalar(q).fetch_all(&mut c).await.expect(q);
            c.close().await.unwrap();
            v
        })
}

#[test]
fn strangers_and_bad_formats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let demo =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/cases/peace-plan-2025.json");
    ok(&["case", "import", s(&demo), "--db", s(&db)]);
    let out = pactum(&["report", ROOM, "--as", "nobody", "--db", s(&db)], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
    let out = pactum(
        &[
            "report",
            ROOM,
            "--as",
            "x",
            "--format",
            "pdf",
            "--db",
            s(&db),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pdf"));
}
