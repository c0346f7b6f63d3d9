//! `pactum diff ROOM FROM TO [--as USER] [--json]` end to end, on a temporary
//! database holding the demo case plus a draft v3 (merge, split, insertion)
//! that only the mediator and Russia may see.

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const ROOM: &str = "peace-plan-2025";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pactum"));
    c.env_remove("PACTUM_DATABASE_URL");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "pactum {args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        !out.status.success(),
        "pactum {args:?} should have failed: {}",
        text(&out.stdout)
    );
    text(&out.stderr)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn demo_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/cases/peace-plan-2025.json")
}

/// The demo case with a draft v3 of v2, drafted in pactum (point
/// identities), restricted to the mediator and Russia: v2's points 2 and 3
/// merged, 4 split in two, a point inserted.
fn case_with_restricted_draft(dir: &Path) -> PathBuf {
    let mut case: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_file()).unwrap()).unwrap();
    let point = |key: &str, n: u32, topic: &str, body: &str, derived: &[&str]| {
        let mut p = json!({
            "id": format!("v3.{key}"), "number": n, "topic": topic, "text": body,
            "summary": topic, "issue_ids": [],
        });
        if !derived.is_empty() {
            p["derived_from"] = json!(derived);
        }
        p
    };
    let v3 = json!({
        "id": "v3_draft",
        "label": "Draft v3",
        "kind": "plan_version",
        "version": 4,
        "derived_from_text_id": "v2_post_geneva",
        "point_identity": true,
        "visibility": {"scope": "parties", "parties": ["united_states", "russia"]},
        "points": [
            point("armed_forces_cap", 1, "Limit on the size of Ukraine's armed forces", "", &[]),
            point("nato_and_territory", 2, "NATO membership and territory",
                  "Both questions go to the leaders.", &["nato_membership", "territorial_concessions"]),
            point("donetsk_withdrawal", 3, "Withdrawal from Donetsk region", "In stages.", &[]),
            point("donetsk_zone", 4, "Demilitarised zone", "The area becomes a zone.", &["donetsk_withdrawal"]),
            point("ceasefire_monitoring", 5, "Ceasefire monitoring", "A mission verifies it.", &[]),
        ],
    });
    case["texts"].as_array_mut().unwrap().push(v3);
    let file = dir.join("case.json");
    std::fs::write(&file, serde_json::to_string_pretty(&case).unwrap()).unwrap();
    file
}

fn add_user(db: &Path, name: &str, party: &str) {
    let mut child = bin()
        .args([
            "user",
            "add",
            name,
            "--room",
            ROOM,
            "--party",
            party,
            "--password-stdin",
            "--db",
            s(db),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn shape(json_out: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(json_out).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["points"], "only points");
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["change"], p["from"], p["to"]]))
        .collect()
}

#[test]
fn diff_prints_the_redline_and_hides_what_a_user_may_not_see() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let file = case_with_restricted_draft(dir.path());
    ok(&["case", "import", s(&file), "--db", s(&db)]);
    add_user(&db, "med", "united_states");
    add_user(&db, "ru", "russia");
    add_user(&db, "ua", "ukraine");

    let expected = [
        json!(["unchanged", [1], [1]]),
        json!(["merged", [2, 3], [2]]),
        json!(["split", [4], [3, 4]]),
        json!(["inserted", [], [5]]),
    ];
    // As the operator, as the mediator and as Russia: the same redline.
    let base = ["diff", ROOM, "v2_post_geneva", "v3_draft", "--db", s(&db)];
    let mut json_args = base.to_vec();
    json_args.push("--json");
    assert_eq!(shape(&ok(&json_args)), expected);
    for user in ["med", "ru"] {
        let mut args = json_args.clone();
        args.extend(["--as", user]);
        assert_eq!(shape(&ok(&args)), expected, "as {user}");
    }
    let full: Value = serde_json::from_str(&ok(&json_args)).unwrap();
    let merged = &full["points"][1];
    assert_eq!(
        merged["from_keys"],
        json!(["nato_membership", "territorial_concessions"])
    );
    assert_eq!(merged["to_keys"], json!(["nato_and_territory"]));
    assert_eq!(
        full["points"][3]["title"],
        json!([{"kind": "added", "text": "Ceasefire monitoring"}])
    );

    // The table.
    let table = ok(&base);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "v2_post_geneva -> v3_draft (points paired by identity)"
    );
    let cells = |line: &str| {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(cells(lines[1]), ["change", "from", "to", "point"]);
    assert_eq!(
        cells(lines[2]),
        [
            "unchanged",
            "1",
            "1",
            "Limit on the size of Ukraine's armed forces"
        ]
    );
    assert_eq!(
        cells(lines[3]),
        ["merged", "2 + 3", "2", "NATO membership and territory"]
    );
    assert_eq!(
        cells(lines[4]),
        [
            "split",
            "4",
            "3 / 4",
            "Withdrawal from Donetsk region / Demilitarised zone"
        ]
    );
    assert_eq!(
        cells(lines[5]),
        ["inserted", "-", "5", "Ceasefire monitoring"]
    );
    assert_eq!(lines[6], "1 unchanged, 1 merged, 1 split, 1 inserted");
    assert_eq!(lines.len(), 7);

    // Ukraine may not see v3: the answer is the one for a missing text, in
    // either position, as a table or as JSON.
    for (from, to) in [
        ("v2_post_geneva", "v3_draft"),
        ("v3_draft", "v2_post_geneva"),
    ] {
        for json in [false, true] {
            let mut args = vec!["diff", ROOM, from, to, "--as", "ua", "--db", s(&db)];
            if json {
                args.push("--json");
            }
            let hidden = fails(&args);
            let missing_args: Vec<&str> = args
                .iter()
                .map(|a| if *a == "v3_draft" { "no_such_text" } else { *a })
                .collect();
            let missing = fails(&missing_args);
            assert_eq!(hidden.replace("v3_draft", "no_such_text"), missing);
            assert!(
                missing.contains(r#"no text "no_such_text" in room "peace-plan-2025""#),
                "{missing}"
            );
            assert!(!hidden.contains("Draft v3"));
        }
    }
    // What Ukraine may see it can compare: imported versions without point
    // identities are paired by wording (v1's points have none: all deleted).
    let mut args = vec![
        "diff",
        ROOM,
        "v1_28_point_plan",
        "v2_post_geneva",
        "--as",
        "ua",
    ];
    args.extend(["--db", s(&db), "--json"]);
    let got = shape(&ok(&args));
    assert_eq!(got.len(), 32);
    assert_eq!(got.iter().filter(|p| p[0] == "deleted").count(), 28);
    assert_eq!(got.iter().filter(|p| p[0] == "inserted").count(), 4);

    // A user who is not in the room, and a room that does not exist.
    let err = fails(&["diff", "other-room", "a", "b", "--as", "ua", "--db", s(&db)]);
    assert!(
        err.contains(r#"user "ua" has no room "other-room""#),
        "{err}"
    );
    let err = fails(&["diff", "other-room", "a", "b", "--db", s(&db)]);
    assert!(err.contains(r#"no room "other-room""#), "{err}");
}
