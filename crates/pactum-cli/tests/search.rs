//! `pactum search ROOM QUERY --as USER [--json]` end to end, on a temporary
//! database holding the demo case plus a note only the mediator and Russia
//! may see.

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

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The demo case with a note, in Cyrillic and Latin, that only the
/// mediator and Russia may see.
fn case_with_restricted_note(dir: &Path) -> PathBuf {
    let demo =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/cases/peace-plan-2025.json");
    let mut case: Value = serde_json::from_str(&std::fs::read_to_string(demo).unwrap()).unwrap();
    let note = json!({
        "id": "n_zanzibar",
        "text": "Zanzibar channel: Жираф proposal, never to be shared",
        "visibility": {"scope": "party_and_mediator", "party": "russia"},
    });
    match case.get_mut("notes").and_then(Value::as_array_mut) {
        Some(notes) => notes.push(note),
        None => case["notes"] = json!([note]),
    }
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

#[test]
fn search_prints_what_the_user_may_see_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let file = case_with_restricted_note(dir.path());
    ok(&["case", "import", s(&file), "--db", s(&db)]);
    add_user(&db, "med", "united_states");
    add_user(&db, "ru", "russia");
    add_user(&db, "ua", "ukraine");

    let search = |q: &str, user: &str| -> Value {
        let out = ok(&["search", ROOM, q, "--as", user, "--json", "--db", s(&db)]);
        serde_json::from_str(&out).unwrap()
    };
    for user in ["med", "ru"] {
        for q in ["zanzibar", "ЖИРАФ channel"] {
            let v = search(q, user);
            // Exactly the documented shape.
            assert_eq!(
                v.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["results"]
            );
            let results = v["results"].as_array().unwrap();
            assert_eq!(results.len(), 1, "{user} {q}: {v}");
            let r = results[0].as_object().unwrap();
            assert_eq!(r.keys().collect::<Vec<_>>(), ["kind", "id", "snippet"]);
            assert_eq!(
                (&r["kind"], &r["id"]),
                (&json!("note"), &json!("n_zanzibar"))
            );
            assert!(r["snippet"].as_str().unwrap().contains("Zanzibar"));
        }
    }
    // Hidden from Ukraine: exactly the answer of a word found nowhere.
    assert_eq!(search("zanzibar", "ua"), json!({"results": []}));
    assert_eq!(search("zzyzxnowhere", "ua"), json!({"results": []}));
    // The readable list.
    let list = ok(&["search", ROOM, "zanzibar", "--as", "ru", "--db", s(&db)]);
    assert!(list.starts_with("note n_zanzibar"), "{list}");
    assert!(list.ends_with("1 result\n"), "{list}");
    // A query that is not one, a user without the room: errors.
    let out = run(&["search", ROOM, "?!", "--as", "ru", "--db", s(&db)]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("q:"), "{}", text(&out.stderr));
    let out = run(&["search", ROOM, "x", "--as", "nobody", "--db", s(&db)]);
    assert!(!out.status.success());
    // --as is required.
    assert!(!run(&["search", ROOM, "x", "--db", s(&db)]).status.success());
}
