//! The workspace commands end to end, driving the real `pactum` binary:
//! case import and export (lossless, byte for byte, confidential per user),
//! bad case files refused whole, `user add`, the first-start set-up link and
//! `operator add`, `audit verify`, `backup` and `restore`, and acknowledged
//! writes surviving a SIGKILL of the server.
//!
//! Tests that read the shared case (`../shared/cases/peace-plan-2025`, or
//! `$PACTUM_SHARED/cases/...`) say they are skipped when it is missing,
//! except under `CI=true`, where they fail.

use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROOM: &str = "peace-plan-2025";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pactum"));
    c.env_remove("PACTUM_DATABASE_URL");
    c
}

fn pactum(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn pactum_stdin(args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs a command that must succeed; returns its standard output.
fn ok(args: &[&str]) -> String {
    let out = pactum(args);
    assert!(
        out.status.success(),
        "pactum {args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs a command that must fail; returns its standard error.
fn fails(args: &[&str]) -> String {
    let out = pactum(args);
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

/// The shared case file, or `None` (after saying so) outside CI.
fn shared_case() -> Option<PathBuf> {
    let dir = std::env::var_os("PACTUM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let file = dir.join("cases/peace-plan-2025/case.json");
    if file.is_file() {
        return Some(file);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{} not found, and CI=true: the shared case must be there (or set PACTUM_SHARED)",
            file.display()
        );
    }
    eprintln!(
        "skipped: {} not found (set PACTUM_SHARED to the shared folder)",
        file.display()
    );
    None
}

/// Exports a room, as the operator or as a user, and returns the file's bytes.
fn export(db: &Path, room: &str, as_user: Option<&str>) -> String {
    let out = db.with_extension(format!("{}.{}.json", room, as_user.unwrap_or("operator")));
    let mut args = vec!["case", "export", room, "--db", s(db), "-o", s(&out)];
    if let Some(u) = as_user {
        args.extend(["--as", u]);
    }
    ok(&args);
    std::fs::read_to_string(&out).unwrap()
}

/// An export with its room id replaced, to compare rooms imported under
/// other ids. The id must occur once, as the room's.
fn with_room_id(export: &str, from: &str, to: &str) -> String {
    let needle = format!("\"id\": \"{from}\"");
    assert_eq!(export.matches(&needle).count(), 1, "room id {from} once");
    export.replacen(&needle, &format!("\"id\": \"{to}\""), 1)
}

fn parse(t: &str) -> Value {
    serde_json::from_str(t).unwrap()
}

/// The room's id of a record the case file calls `case_id`, from the
/// `ids` list `case import --json` prints.
fn new_id(ids: &Value, kind: &str, case_id: &str) -> String {
    ids.as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind && c["case_id"] == case_id)
        .unwrap_or_else(|| panic!("no fresh id for {kind} {case_id}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every string value inside a JSON value.
fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k);
            strings(x, out)
        }),
        _ => {}
    }
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    for k in keys {
        v.as_object_mut().unwrap().remove(*k);
    }
    v
}

fn sql_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn connect(db: &Path) -> sqlx::SqliteConnection {
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(db);
    sqlx::SqliteConnection::connect_with(&opts).await.unwrap()
}

/// Runs SQL on the database file behind pactum's back.
fn sql(db: &Path, q: &str) {
    sql_rt().block_on(async {
        let mut c = connect(db).await;
        sqlx::raw_sql(q).execute(&mut c).await.expect(q);
        c.close().await.unwrap();
    })
}

fn sql_count(db: &Path, q: &str) -> i64 {
    sql_rt().block_on(async {
        let mut c = connect(db).await;
        let n: i64 = sqlx::query_scalar(q).fetch_one(&mut c).await.expect(q);
        c.close().await.unwrap();
        n
    })
}

/// Rooms, records, users, members and audit entries: what a refused
/// command must leave as it was.
fn counts(db: &Path) -> Vec<i64> {
    [
        "SELECT count(*) FROM rooms",
        "SELECT count(*) FROM records",
        "SELECT count(*) FROM users",
        "SELECT count(*) FROM members",
        "SELECT count(*) FROM audit_log",
    ]
    .iter()
    .map(|q| sql_count(db, q))
    .collect()
}

fn add_user(db: &Path, name: &str, party: &str, password: &str) {
    let out = pactum_stdin(
        &[
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
        ],
        &format!("{password}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

// ---------------------------------------------------------------------------
// Import and export

/// The shared case imported with its own ids (`--keep-ids`) loses nothing,
/// visibility derived from what it says; operator and mediator exports
/// import back under a new room id and export again to the same bytes.
/// (Imported by default, its records get fresh ids and nothing else
/// changes: `shared_case_imports_under_fresh_ids`.)
#[test]
fn shared_case_round_trips_byte_for_byte() {
    let Some(case_file) = shared_case() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let out = ok(&["case", "import", s(&case_file), "--keep-ids", "--db", s(&a)]);
    assert!(out.contains(&format!("room {ROOM}")), "{out}");
    let case: Value = parse(&std::fs::read_to_string(&case_file).unwrap());
    let op1 = export(&a, ROOM, None);
    let doc = parse(&op1);

    // Every record, field for field, with the visibility the file implies.
    let vis = |v: &Value| v["visibility"].clone();
    let room = json!({"scope": "room"});
    let kremlin = json!({"scope": "parties", "parties": ["united_states", "russia"]});
    assert_eq!(without(&doc["meta"], &["visibility"]), case["meta"]);
    assert_eq!(vis(&doc["meta"]), room);
    for coll in ["parties", "issues", "texts", "meetings", "stances"] {
        let (got, want) = (
            doc[coll].as_array().unwrap(),
            case[coll].as_array().unwrap(),
        );
        assert_eq!(got.len(), want.len(), "{coll}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(&without(g, &["visibility"]), w, "{coll} {}", w["id"]);
            // The four additional documents were handed over only there.
            let closed = w["id"] == "kremlin_meeting"
                || (coll == "stances" && w["meeting_id"] == "kremlin_meeting")
                || (coll == "texts" && w["id"] == "supplementary_documents");
            let expect = if closed { &kremlin } else { &room };
            assert_eq!(&vis(g), expect, "visibility of {coll} {}", w["id"]);
        }
    }
    let (gp, wp) = (
        &doc["illustrative_preferences"],
        &case["illustrative_preferences"],
    );
    assert_eq!(
        without(gp, &["visibility", "models"]),
        without(wp, &["models"])
    );
    let models = gp["models"].as_array().unwrap();
    assert_eq!(models.len(), wp["models"].as_array().unwrap().len());
    for (g, w) in models.iter().zip(wp["models"].as_array().unwrap()) {
        assert_eq!(&without(g, &["visibility"]), w);
        assert_eq!(
            vis(g),
            json!({"scope": "party", "party": w["party_id"]}),
            "a preference model is its party's alone"
        );
    }

    // Every string of the case, byte for byte, in the export's bytes too.
    let mut exported = Vec::new();
    strings(&doc, &mut exported);
    let exported: HashSet<&str> = exported.into_iter().collect();
    let mut wanted = Vec::new();
    strings(&case, &mut wanted);
    assert!(wanted.len() > 500);
    for w in wanted {
        assert!(exported.contains(w), "export lacks {w:?}");
        if !w.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
            assert!(op1.contains(w), "export's bytes lack {w:?}");
        }
    }

    // The mediator's export: everything but the parties' own models.
    add_user(&a, "med", "united_states", "mediator-secret");
    let med1 = export(&a, ROOM, Some("med"));
    let med = parse(&med1);
    let model_parties: Vec<&str> = med["illustrative_preferences"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["party_id"].as_str().unwrap())
        .collect();
    assert_eq!(model_parties, ["united_states"]);
    assert_eq!(
        med["stances"].as_array().unwrap().len(),
        case["stances"].as_array().unwrap().len()
    );

    // Import each export under a new id into a fresh database; export again.
    for (name, first) in [("operator", &op1), ("mediator", &med1)] {
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, first).unwrap();
        let db = dir.path().join(format!("{name}-copy.db"));
        ok(&[
            "case",
            "import",
            s(&file),
            "--room",
            "copy-room",
            "--db",
            s(&db),
        ]);
        let again = export(&db, "copy-room", None);
        assert_eq!(
            &with_room_id(&again, "copy-room", ROOM),
            first,
            "{name} export -> import -> export"
        );
    }
}

/// Imported by default, the shared case's texts, meetings, stances and
/// points get fresh ids: no id of the file is left anywhere in the room
/// (not as a value, not as a word of prose), and the export with each
/// fresh id put back in its place (the `--json` map, read backwards) is
/// byte for byte the export of the same case imported with its own ids.
/// A dry run shows the ids an import with its seed then stores.
#[test]
fn shared_case_imports_under_fresh_ids() {
    let Some(case_file) = shared_case() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let out = parse(&ok(&[
        "case",
        "import",
        s(&case_file),
        "--json",
        "--db",
        s(&a),
    ]));
    assert_eq!(out["room"], ROOM);
    let ids = out["ids"].as_array().unwrap().clone();
    ok(&["case", "import", s(&case_file), "--keep-ids", "--db", s(&b)]);
    let (fresh, kept) = (export(&a, ROOM, None), export(&b, ROOM, None));
    assert_ne!(fresh, kept);

    let case = parse(&std::fs::read_to_string(&case_file).unwrap());
    let mut old: HashSet<String> = HashSet::new();
    for coll in ["texts", "meetings", "stances"] {
        for r in case[coll].as_array().unwrap() {
            old.insert(r["id"].as_str().unwrap().to_string());
            for p in r["points"].as_array().into_iter().flatten() {
                old.insert(p["id"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(ids.len(), old.len(), "every record and point renamed once");
    let doc = parse(&fresh);
    let mut all = Vec::new();
    strings(&doc, &mut all);
    for v in all {
        for word in v.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
            assert!(
                !old.contains(word.trim_matches('.')),
                "{word:?} left in {v:?}"
            );
        }
    }
    // Put every fresh id back (longest first: a point's id begins with its
    // text's): the kept import's export, to the byte.
    let mut back: Vec<(&str, &str)> = ids
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["case_id"].as_str().unwrap()))
        .collect();
    back.sort_by_key(|(new, _)| std::cmp::Reverse(new.len()));
    let mut restored = fresh.clone();
    for (new, case_id) in back {
        assert!(fresh.contains(new), "{new} ({case_id}) not in the export");
        restored = restored.replace(new, case_id);
    }
    assert_eq!(restored, kept);

    // The dry run's ids are the ones an import with its seed stores.
    let c = dir.path().join("c.db");
    let preview = parse(&ok(&[
        "case",
        "import",
        s(&case_file),
        "--dry-run",
        "--json",
    ]));
    assert_eq!(preview["ids"], "fresh");
    let seed = preview["id_seed"].as_str().unwrap();
    let table = ok(&[
        "case",
        "import",
        s(&case_file),
        "--dry-run",
        "--id-seed",
        seed,
    ]);
    let stored = parse(&ok(&[
        "case",
        "import",
        s(&case_file),
        "--id-seed",
        seed,
        "--json",
        "--db",
        s(&c),
    ]));
    for r in preview["records"].as_array().unwrap() {
        let (kind, id, shown) = (
            r["kind"].as_str().unwrap(),
            r["id"].as_str().unwrap(),
            r["stored_id"].as_str().unwrap(),
        );
        assert!(table.contains(shown), "the table lacks {shown}");
        if old.contains(id) {
            assert_eq!(new_id(&stored["ids"], kind, id), shown);
        } else {
            assert_eq!(shown, id, "{kind} {id} keeps its id");
        }
    }
    let err = fails(&[
        "case",
        "import",
        s(&case_file),
        "--dry-run",
        "--id-seed",
        "xyz",
    ]);
    assert!(err.contains("--id-seed"), "{err}");
    // Kept ids come with a warning.
    let table = ok(&["case", "import", s(&case_file), "--dry-run", "--keep-ids"]);
    assert!(
        table.contains("warning:") && table.contains("gaps"),
        "{table}"
    );
}

/// Delegates' exports hold only what they may see: no closed meeting they
/// were not in, nothing said there, no other party's preference model.
#[test]
fn exports_as_a_user_hold_only_what_the_user_may_see() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    ok(&["case", "import", s(&demo_file()), "--db", s(&a)]);
    for (user, party) in [
        ("ua", "ukraine"),
        ("ru", "russia"),
        ("eu", "european_states"),
    ] {
        add_user(&a, user, party, "delegate-secret");
    }
    let full = parse(&export(&a, ROOM, None));
    let kremlin_stances: Vec<&str> = full["stances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["meeting_id"] == "kremlin_meeting")
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(kremlin_stances.len(), 4);
    let kremlin_title = full["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "kremlin_meeting")
        .unwrap()["title"]
        .as_str()
        .unwrap()
        .to_string();

    for (user, party, in_kremlin) in [
        ("ua", "ukraine", false),
        ("eu", "european_states", false),
        ("ru", "russia", true),
    ] {
        let t = export(&a, ROOM, Some(user));
        let doc = parse(&t);
        assert_eq!(t.contains("kremlin_meeting"), in_kremlin, "{user}");
        assert_eq!(t.contains(&kremlin_title), in_kremlin, "{user}");
        let ids: HashSet<&str> = doc["stances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        for k in &kremlin_stances {
            assert_eq!(ids.contains(k), in_kremlin, "{user} and stance {k}");
        }
        let models: Vec<&str> = doc["illustrative_preferences"]["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["party_id"].as_str().unwrap())
            .collect();
        let own: Vec<&str> = if party == "european_states" {
            vec![]
        } else {
            vec![party]
        };
        assert_eq!(models, own, "{user}'s preference models");
        // Everything else is there.
        assert_eq!(
            ids.len() + if in_kremlin { 0 } else { 4 },
            full["stances"].as_array().unwrap().len()
        );
    }
    // An unknown user gets no export at all.
    let err = fails(&["case", "export", ROOM, "--as", "nobody", "--db", s(&a)]);
    assert!(err.contains("nobody"), "{err}");
}

/// Preference models, a single-text session and its votes in a room:
/// `case export --as` gives a model's numbers only to its party (and the
/// mediator once shared), a vote only to its party and the mediator.
#[test]
fn exports_keep_models_and_votes_private() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let mut doc = parse(&std::fs::read_to_string(demo_file()).unwrap());
    let models = doc["illustrative_preferences"]["models"]
        .as_array_mut()
        .unwrap();
    for m in models.iter_mut() {
        match m["party_id"].as_str().unwrap() {
            "russia" => m["reservation_value"] = json!(0.4242),
            "ukraine" => {
                m["reservation_value"] = json!(0.3131);
                m["visibility"] = json!({"scope": "party_and_mediator", "party": "ukraine"});
            }
            _ => m["reservation_value"] = json!(0.2727),
        }
    }
    doc["sessions"] = json!([{"id": "ses_1", "title": "SESSION-MARKER-1", "status": "open",
        "party_ids": ["russia", "ukraine"], "current": {}, "proposal": null, "round": 1, "rounds": [],
        "text_id": null, "visibility": {"scope": "parties", "parties": ["russia", "ukraine"]}}]);
    doc["votes"] = json!([
        {"id": "ses_1.r1.russia", "session_id": "ses_1", "round": 1, "party_id": "russia",
         "vote": "accept", "by_model": true, "cast_by": "VOTE-MARKER-RU",
         "visibility": {"scope": "party_and_mediator", "party": "russia"}},
        {"id": "ses_1.r1.ukraine", "session_id": "ses_1", "round": 1, "party_id": "ukraine",
         "vote": "reject", "by_model": false, "cast_by": "VOTE-MARKER-UA",
         "visibility": {"scope": "party_and_mediator", "party": "ukraine"}}
    ]);
    let file = dir.path().join("case.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    ok(&["case", "import", s(&file), "--db", s(&a)]);
    for (user, party) in [
        ("us", "united_states"),
        ("ua", "ukraine"),
        ("ru", "russia"),
        ("eu", "european_states"),
    ] {
        add_user(&a, user, party, "delegate-secret");
    }
    for (user, sees) in [
        (
            "us",
            [
                "0.3131",
                "0.2727",
                "VOTE-MARKER-RU",
                "VOTE-MARKER-UA",
                "SESSION-MARKER-1",
            ]
            .as_slice(),
        ),
        (
            "ru",
            ["0.4242", "VOTE-MARKER-RU", "SESSION-MARKER-1"].as_slice(),
        ),
        (
            "ua",
            ["0.3131", "VOTE-MARKER-UA", "SESSION-MARKER-1"].as_slice(),
        ),
        ("eu", [].as_slice()),
    ] {
        let t = export(&a, ROOM, Some(user));
        for m in [
            "0.4242",
            "0.3131",
            "0.2727",
            "VOTE-MARKER-RU",
            "VOTE-MARKER-UA",
            "SESSION-MARKER-1",
        ] {
            assert_eq!(t.contains(m), sees.contains(&m), "{user} and {m}");
        }
    }
    // The operator's export holds everything and imports back the same.
    let full = export(&a, ROOM, None);
    let b = dir.path().join("b.db");
    let again = dir.path().join("again.json");
    std::fs::write(&again, with_room_id(&full, ROOM, "copy")).unwrap();
    ok(&["case", "import", s(&again), "--db", s(&b)]);
    assert_eq!(with_room_id(&export(&b, "copy", None), "copy", ROOM), full);
}

/// The shipped demo is the shared case in pactum's format: the same records
/// (every source, reliability tag and the disclaimer), the same visibility.
#[test]
fn demo_file_holds_the_shared_case() {
    let Some(case_file) = shared_case() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    ok(&[
        "case",
        "import",
        s(&case_file),
        "--room",
        "from-shared",
        "--keep-ids",
        "--db",
        s(&a),
    ]);
    ok(&[
        "case",
        "import",
        s(&demo_file()),
        "--room",
        "from-demo",
        "--db",
        s(&b),
    ]);
    let from_shared = export(&a, "from-shared", None);
    let from_demo = export(&b, "from-demo", None);
    assert_eq!(
        with_room_id(&from_demo, "from-demo", "x"),
        with_room_id(&from_shared, "from-shared", "x")
    );
    let doc = parse(&from_demo);
    assert!(doc["meta"]["disclaimer"].as_str().unwrap().len() > 20);
    assert!(!doc["meta"]["sources"].as_array().unwrap().is_empty());
    // And `case convert --keep-ids` gives the demo file; without it, the
    // same file under fresh ids.
    let conv = dir.path().join("conv.json");
    ok(&[
        "case",
        "convert",
        s(&case_file),
        "--keep-ids",
        "-o",
        s(&conv),
    ]);
    assert_eq!(
        std::fs::read_to_string(&conv).unwrap().trim_end(),
        std::fs::read_to_string(demo_file()).unwrap().trim_end()
    );
    ok(&["case", "convert", s(&case_file), "-o", s(&conv)]);
    let fresh = parse(&std::fs::read_to_string(&conv).unwrap());
    let demo = parse(&std::fs::read_to_string(demo_file()).unwrap());
    assert_eq!(
        fresh["stances"].as_array().unwrap().len(),
        demo["stances"].as_array().unwrap().len()
    );
    assert!(fresh["stances"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("st_"));
    assert_eq!(fresh["parties"], demo["parties"]);
}

/// A file valid against the case schema but other than the demo: its own
/// closed meeting (here Geneva, declared closed) reaches only its
/// participants, with what was said there.
#[test]
fn schema_files_get_visibility_from_what_they_say() {
    let Some(case_file) = shared_case() else {
        return;
    };
    let mut case = parse(&std::fs::read_to_string(&case_file).unwrap());
    case["meta"]["case_id"] = json!("variant-case");
    for m in case["meetings"].as_array_mut().unwrap() {
        if m["id"] == "geneva_consultations" {
            m["confidentiality"] = json!("closed");
            m["confidentiality_note"] = json!("Declared closed for this test.");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("variant.json");
    std::fs::write(&file, serde_json::to_string_pretty(&case).unwrap()).unwrap();
    let db = dir.path().join("v.db");
    let out = parse(&ok(&["case", "import", s(&file), "--json", "--db", s(&db)]));
    assert_eq!(out["room"], "variant-case");
    let geneva_id = new_id(&out["ids"], "meeting", "geneva_consultations");
    let geneva_stances: Vec<String> = case["stances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["meeting_id"] == "geneva_consultations")
        .map(|s| new_id(&out["ids"], "stance", s["id"].as_str().unwrap()))
        .collect();
    assert!(!geneva_stances.is_empty());
    let op = parse(&export(&db, "variant-case", None));
    let geneva = op["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == geneva_id.as_str())
        .unwrap();
    assert_eq!(
        geneva["visibility"],
        json!({"scope": "parties", "parties": ["united_states", "ukraine"]})
    );
    for (user, party, sees) in [("ru", "russia", false), ("ua", "ukraine", true)] {
        let out = pactum_stdin(
            &[
                "user",
                "add",
                user,
                "--room",
                "variant-case",
                "--party",
                party,
                "--password-stdin",
                "--db",
                s(&db),
            ],
            "delegate-secret\n",
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let t = export(&db, "variant-case", Some(user));
        assert_eq!(t.contains(&geneva_id), sees, "{user}");
        for id in &geneva_stances {
            assert_eq!(t.contains(&format!("\"{id}\"")), sees, "{user}: {id}");
        }
    }
}

/// Strings a careless layer would change: NFC composes the combining
/// sequences and replaces the compatibility characters, NFKC unfolds the
/// ligatures and full-width letters.
const TRICKY: &[&str] = &[
    "e\u{301}",
    "A\u{30A}ngstro\u{308}m \u{212B} \u{2126} \u{212A}",
    "\u{FB01}nal \u{FB02}ow \u{FB03}",
    "\u{FF21}\u{FF22}\u{FF23} \u{2460} x\u{00B2}",
    "\u{1F469}\u{1F3FD}\u{200D}\u{2696}\u{FE0F} \u{1F3F3}\u{FE0F}\u{200D}\u{1F308} \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466} \u{1F1FA}\u{1F1E6}",
    "\u{202B}\u{645}\u{631}\u{62D}\u{628}\u{627}\u{202C} \u{5E9}\u{5C1}\u{5B8}\u{5DC}\u{5D5}\u{5B9}\u{5DD} \u{200F}",
    "\u{1100}\u{1161}\u{11A8} \u{D55C}\u{AD6D}\u{C5B4}",
    "\u{1D11E} \u{1D54F}",
    "tab\there\nnew line \"quoted\" back\\slash \u{1}",
    "\u{A0}nbsp \u{200B}zwsp \u{2028}ls \u{FEFF}bom",
];

/// Tricky Unicode in a pactum case file survives import -> export ->
/// import -> export byte for byte.
#[test]
fn unicode_survives_import_and_export_byte_for_byte() {
    let mut case = parse(&std::fs::read_to_string(demo_file()).unwrap());
    let all = TRICKY.join(" | ");
    case["room"]["title"] = json!(format!("Talks {}", TRICKY[0]));
    case["notes"] = json!([{
        "id": "note_unicode", "text": all, "author": "operator",
        TRICKY[2]: TRICKY[4],
        "visibility": {"scope": "room"},
    }]);
    let docs: Vec<Value> = TRICKY
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"id": format!("doc_{i}"), "title": t, "content": format!("{t}\n{t}"),
                   "text_id": null, "meeting_id": null, "visibility": {"scope": "room"}})
        })
        .collect();
    case["documents"] = Value::Array(docs);
    case["stances"][0]["summary"] = json!(TRICKY[5]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tricky.json");
    std::fs::write(&file, serde_json::to_string_pretty(&case).unwrap()).unwrap();
    let a = dir.path().join("a.db");
    ok(&["case", "import", s(&file), "--db", s(&a)]);
    let e1 = export(&a, ROOM, None);
    let doc = parse(&e1);
    assert_eq!(doc["room"]["title"], json!(format!("Talks {}", TRICKY[0])));
    assert_eq!(doc["notes"][0]["text"].as_str(), Some(all.as_str()));
    assert_eq!(doc["notes"][0][TRICKY[2]].as_str(), Some(TRICKY[4]));
    assert_eq!(doc["stances"][0]["summary"].as_str(), Some(TRICKY[5]));
    for (i, t) in TRICKY.iter().enumerate() {
        assert_eq!(doc["documents"][i]["title"].as_str(), Some(*t));
        let enc = serde_json::to_string(t).unwrap();
        assert!(e1.contains(&enc[1..enc.len() - 1]), "bytes of {t:?}");
    }
    let f1 = dir.path().join("e1.json");
    std::fs::write(&f1, &e1).unwrap();
    let b = dir.path().join("b.db");
    ok(&[
        "case",
        "import",
        s(&f1),
        "--room",
        "copy-room",
        "--db",
        s(&b),
    ]);
    let e2 = export(&b, "copy-room", None);
    assert_eq!(with_room_id(&e2, "copy-room", ROOM), e1);
}

/// Bad case files are refused with the file and the line or JSON path
/// named, a non-zero exit, and nothing written.
#[test]
fn bad_case_files_are_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let demo_text = std::fs::read_to_string(demo_file()).unwrap();
    let demo = parse(&demo_text);
    let mut bad: Vec<(&str, String, Vec<String>)> = Vec::new();
    // Truncated JSON.
    let mut end = demo_text.len() / 3;
    while !demo_text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = &demo_text[..end];
    let line = cut.matches('\n').count() + 1;
    bad.push(("truncated", cut.to_string(), vec![format!(":{line}:")]));
    // A syntax error in the middle.
    let broken = demo_text.replacen("\"stances\": [", "\"stances\": [,", 1);
    let line = broken[..broken.find("[,").unwrap()].matches('\n').count() + 1;
    bad.push((
        "syntax",
        broken,
        vec![format!(":{line}:"), "not valid JSON".into()],
    ));
    // An unknown party in a stance.
    let mut v = demo.clone();
    v["stances"][3]["party_id"] = json!("atlantis");
    bad.push((
        "party",
        v.to_string(),
        vec!["/stances/3/party_id".into(), "atlantis".into()],
    ));
    // A duplicate id.
    let mut v = demo.clone();
    v["meetings"][1]["id"] = v["meetings"][0]["id"].clone();
    bad.push((
        "duplicate",
        v.to_string(),
        vec!["/meetings/1/id".into(), "duplicate".into()],
    ));
    // A stance on a point no text has.
    let mut v = demo.clone();
    v["stances"][0]["target"]["point_id"] = json!("v1.p99");
    bad.push((
        "point",
        v.to_string(),
        vec!["/stances/0/target/point_id".into()],
    ));
    // A visibility naming no party of the room.
    let mut v = demo.clone();
    v["notes"] =
        json!([{"id": "n1", "text": "x", "visibility": {"scope": "party", "party": "atlantis"}}]);
    bad.push((
        "visibility",
        v.to_string(),
        vec!["/notes/0/visibility".into()],
    ));
    // A record without a visibility, in pactum's own format.
    let mut v = demo.clone();
    v["issues"][2].as_object_mut().unwrap().remove("visibility");
    bad.push((
        "no-visibility",
        v.to_string(),
        vec!["/issues/2/visibility".into()],
    ));
    // The shared schema's format, with an unknown party.
    if let Some(case_file) = shared_case() {
        let mut v = parse(&std::fs::read_to_string(case_file).unwrap());
        v["stances"][2]["party_id"] = json!("atlantis");
        bad.push((
            "schema-party",
            serde_json::to_string_pretty(&v).unwrap(),
            vec!["/stances/2/party_id".into()],
        ));
        let mut v = parse(&std::fs::read_to_string(shared_case().unwrap()).unwrap());
        v.as_object_mut()
            .unwrap()
            .remove("illustrative_preferences");
        bad.push((
            "schema-missing",
            v.to_string(),
            vec!["/illustrative_preferences".into()],
        ));
    }

    // Into an empty database and into one holding a room already.
    let empty = dir.path().join("empty.db");
    let full = dir.path().join("full.db");
    ok(&["case", "import", s(&demo_file()), "--db", s(&full)]);
    ok(&["audit", "verify", "--db", s(&empty)]);
    for db in [&empty, &full] {
        let before = counts(db);
        for (name, content, says) in &bad {
            let file = dir.path().join(format!("{name}.json"));
            std::fs::write(&file, content).unwrap();
            let err = fails(&[
                "case",
                "import",
                s(&file),
                "--room",
                "new-room",
                "--db",
                s(db),
            ]);
            assert!(err.contains(s(&file)), "{name}: {err} should name the file");
            for x in says {
                assert!(err.contains(x.as_str()), "{name}: {err} should say {x:?}");
            }
            assert_eq!(
                counts(db),
                before,
                "{name} left something in {}",
                db.display()
            );
        }
    }
    // A room id in use is refused too.
    let before = counts(&full);
    let err = fails(&["case", "import", s(&demo_file()), "--db", s(&full)]);
    assert!(err.contains("exists"), "{err}");
    assert_eq!(counts(&full), before);
}

// ---------------------------------------------------------------------------
// Users, audit, backup and restore

/// A running `pactum serve`.
struct Server {
    child: Child,
    base: String,
    /// What it printed up to its address.
    printed: String,
}

impl Server {
    fn start(db: &Path, demo: bool) -> Server {
        let mut cmd = bin();
        cmd.args(["serve", "--bind", "127.0.0.1:0", "--db", s(db)]);
        if demo {
            cmd.arg("--demo");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = String::new();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    seen.push_str(&line);
                    seen.push('\n');
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim_end_matches('/').to_string();
                    }
                }
                _ => {
                    let mut err = String::new();
                    child.stderr.take().unwrap().read_to_string(&mut err).ok();
                    panic!("pactum serve did not start: {seen}{err}");
                }
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        let mut stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut sink = String::new();
            stderr.read_to_string(&mut sink).ok();
        });
        Server {
            child,
            base,
            printed: seen,
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix).
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn login(http: &reqwest::Client, base: &str, user: &str, password: &str) -> Option<String> {
    let res = http
        .post(format!("{base}/api/login"))
        .json(&json!({"user": user, "password": password}))
        .send()
        .await
        .unwrap();
    if res.status() != reqwest::StatusCode::OK {
        return None;
    }
    let v: Value = res.json().await.unwrap();
    Some(v["token"].as_str().unwrap().to_string())
}

fn stance_body(summary: &str) -> Value {
    json!({
        "party_id": "ukraine",
        "target": {"issue_id": "territory_status"},
        "stance": "rejects",
        "summary": summary,
        "amendment": null,
        "provenance": {"source": "Delegation", "reliability": "own_delegation"},
    })
}

/// `user add` makes a login that works over the API, in the party given;
/// what the user writes through the API keeps its Unicode byte for byte.
#[test]
fn user_add_gives_a_working_login() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    ok(&["case", "import", s(&demo_file()), "--db", s(&db)]);
    add_user(&db, "alice", "ukraine", "correct horse battery");
    // A generated password is printed once.
    let out = ok(&[
        "user",
        "add",
        "bob",
        "--room",
        ROOM,
        "--party",
        "russia",
        "--db",
        s(&db),
    ]);
    let bob_password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password is printed")
        .trim()
        .to_string();
    // Refusals name what is wrong.
    let err = fails(&[
        "user",
        "add",
        "carol",
        "--room",
        ROOM,
        "--party",
        "atlantis",
        "--db",
        s(&db),
    ]);
    assert!(err.contains("atlantis"), "{err}");
    let err = fails(&[
        "user",
        "add",
        "carol",
        "--room",
        "no-room",
        "--party",
        "russia",
        "--db",
        s(&db),
    ]);
    assert!(err.contains("no-room"), "{err}");
    let out = pactum_stdin(
        &[
            "user",
            "add",
            "dave",
            "--room",
            ROOM,
            "--party",
            "russia",
            "--password-stdin",
            "--db",
            s(&db),
        ],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("password"));

    let mut server = Server::start(&db, false);
    let tricky = TRICKY.join(" ");
    let stance_id = rt().block_on(async {
        let http = reqwest::Client::new();
        let base = &server.base;
        assert!(login(&http, base, "alice", "wrong password")
            .await
            .is_none());
        let token = login(&http, base, "alice", "correct horse battery")
            .await
            .expect("alice logs in");
        let rooms: Value = http
            .get(format!("{base}/api/rooms"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(rooms[0]["id"], ROOM);
        assert_eq!(rooms[0]["party_id"], "ukraine");
        let bob = login(&http, base, "bob", &bob_password)
            .await
            .expect("bob logs in with the printed password");
        let me: Value = http
            .get(format!("{base}/api/rooms/{ROOM}"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["party_id"], "russia");
        assert_eq!(me["role"], "delegate");
        // Alice writes as Ukraine, in every script.
        let mut body = stance_body(&tricky);
        body["stance"] = json!("proposes_amendment");
        body["amendment"] = json!(TRICKY[4]);
        body["visibility"] = json!({"scope": "room"});
        let res = http
            .post(format!("{base}/api/rooms/{ROOM}/stances"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::CREATED);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["body"]["summary"].as_str(), Some(tricky.as_str()));
        v["id"].as_str().unwrap().to_string()
    });
    server.kill();
    let e1 = export(&db, ROOM, None);
    let doc = parse(&e1);
    let st = doc["stances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == stance_id.as_str())
        .expect("the stance is exported");
    assert_eq!(st["summary"].as_str(), Some(tricky.as_str()));
    assert_eq!(st["amendment"].as_str(), Some(TRICKY[4]));
    // Export -> import -> export keeps it byte for byte.
    let f1 = dir.path().join("e1.json");
    std::fs::write(&f1, &e1).unwrap();
    let b = dir.path().join("b.db");
    ok(&[
        "case",
        "import",
        s(&f1),
        "--room",
        "copy-room",
        "--db",
        s(&b),
    ]);
    assert_eq!(
        with_room_id(&export(&b, "copy-room", None), "copy-room", ROOM),
        e1
    );
}

/// `audit verify` passes on an untouched database and fails, naming the
/// entry, after one row is edited or deleted behind pactum's back.
#[test]
fn audit_verify_names_the_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    for (tamper, seq) in [
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3", 3),
        (
            "UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 40",
            40,
        ),
        ("DELETE FROM audit_log WHERE seq = 5", 5),
    ] {
        let db = dir.path().join(format!("ws{seq}.db"));
        ok(&["case", "import", s(&demo_file()), "--db", s(&db)]);
        add_user(&db, "alice", "ukraine", "correct horse battery");
        let out = ok(&["audit", "verify", "--db", s(&db)]);
        assert!(out.contains("intact"), "{out}");
        sql(&db, tamper);
        let out = pactum(&["audit", "verify", "--db", s(&db)]);
        assert_eq!(out.status.code(), Some(1), "{tamper}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("entry {seq}:")),
            "{tamper}: {err} should name entry {seq}"
        );
    }
}

/// A backup restores into a fresh database with every record, user and
/// audit entry; restore refuses a database that is not empty.
#[test]
fn backup_restores_every_record_and_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    ok(&["case", "import", s(&demo_file()), "--db", s(&a)]);
    add_user(&a, "alice", "ukraine", "correct horse battery");
    let b1 = dir.path().join("b1.json");
    ok(&["backup", s(&b1), "--db", s(&a)]);

    let r = dir.path().join("restored.db");
    let out = ok(&["restore", s(&b1), "--db", s(&r)]);
    assert!(out.contains("intact"), "{out}");
    let b2 = dir.path().join("b2.json");
    ok(&["backup", s(&b2), "--db", s(&r)]);
    assert_eq!(
        std::fs::read(&b1).unwrap(),
        std::fs::read(&b2).unwrap(),
        "a backup of the restored database equals the backup it came from"
    );
    assert_eq!(export(&r, ROOM, None), export(&a, ROOM, None));
    assert_eq!(
        export(&r, ROOM, Some("alice")),
        export(&a, ROOM, Some("alice"))
    );
    let out = ok(&["audit", "verify", "--db", s(&r)]);
    assert!(out.contains("intact"), "{out}");

    // Not into a database that holds anything.
    let before = counts(&a);
    let err = fails(&["restore", s(&b1), "--db", s(&a)]);
    assert!(err.contains("empty"), "{err}");
    assert_eq!(counts(&a), before);
    // Nor from a file that is not a backup.
    let bad = dir.path().join("bad.json");
    let b1_text = std::fs::read_to_string(&b1).unwrap();
    std::fs::write(&bad, &b1_text[..b1_text.len() / 2]).unwrap();
    let fresh = dir.path().join("fresh.db");
    let err = fails(&["restore", s(&bad), "--db", s(&fresh)]);
    assert!(err.contains(s(&bad)), "{err}");
    // A tampered backup is refused before anything is written.
    let mut dump = parse(&b1_text);
    dump["audit"][2]["actor"] = json!("mallory");
    std::fs::write(&bad, dump.to_string()).unwrap();
    let err = fails(&["restore", s(&bad), "--db", s(&fresh)]);
    assert!(err.contains("entry 3"), "{err}");
    assert_eq!(counts(&fresh), vec![0, 0, 0, 0, 0]);

    // The restored users log in.
    let server = Server::start(&r, false);
    rt().block_on(async {
        let http = reqwest::Client::new();
        assert!(login(&http, &server.base, "alice", "correct horse battery")
            .await
            .is_some());
    });
}

// ---------------------------------------------------------------------------
// Durability

/// Kills the server with SIGKILL in the middle of a stream of writes; after
/// a restart every write it acknowledged is there, and the audit chain holds.
#[test]
fn acknowledged_writes_survive_sigkill() {
    const ACKED_BEFORE_KILL: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let mut server = Server::start(&db, true);
    let rt = rt();
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let token = rt
        .block_on(login(&http, &base, "ukraine", "ukraine-demo"))
        .expect("demo login");
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (http, base, token, acked) =
                (http.clone(), base.clone(), token.clone(), acked.clone());
            rt.spawn(async move {
                let mut errors = 0;
                for n in 0.. {
                    let res = http
                        .post(format!("{base}/api/rooms/{ROOM}/stances"))
                        .bearer_auth(&token)
                        .json(&stance_body(&format!("write {w}-{n}")))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                            let Ok(v) = r.json::<Value>().await else {
                                // The answer was cut off: not acknowledged.
                                errors += 1;
                                break;
                            };
                            acked
                                .lock()
                                .unwrap()
                                .push(v["id"].as_str().unwrap().to_string());
                        }
                        Ok(r) => panic!("write refused: {}", r.status()),
                        Err(_) => {
                            errors += 1;
                            break;
                        }
                    }
                }
                errors
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < ACKED_BEFORE_KILL {
        assert!(Instant::now() < deadline, "writes too slow");
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill();
    let mut failed = 0;
    for w in writers {
        failed += rt.block_on(w).unwrap();
    }
    assert!(failed > 0, "the writers saw the server die mid-stream");
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= ACKED_BEFORE_KILL);

    let server = Server::start(&db, true);
    rt.block_on(async {
        let base = &server.base;
        // The token was acknowledged too.
        let list: Value = http
            .get(format!(
                "{base}/api/rooms/{ROOM}/stances?party=ukraine&limit=1000"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stored: HashSet<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        for id in &acked {
            assert!(stored.contains(id.as_str()), "acknowledged write {id} lost");
            let res = http
                .get(format!("{base}/api/rooms/{ROOM}/stances/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), reqwest::StatusCode::OK, "{id}");
        }
    });
    drop(server);
    let out = ok(&["audit", "verify", "--db", s(&db)]);
    assert!(out.contains("intact"), "{out}");
}

/// On an empty database `serve` prints a one-time set-up link that creates
/// the first operator; `operator add` makes more (and refuses a short
/// password, saying the rule); once an operator exists no link is printed.
#[test]
fn first_start_link_and_operator_add() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let server = Server::start(&db, false);
    let link = server
        .printed
        .lines()
        .map(str::trim)
        .find(|l| l.contains("/setup/"))
        .unwrap_or_else(|| panic!("no set-up link printed: {}", server.printed))
        .to_string();
    assert!(link.starts_with(&server.base), "{link}");
    rt().block_on(async {
        let http = reqwest::Client::new();
        let page = http.get(&link).send().await.unwrap();
        assert_eq!(page.status(), reqwest::StatusCode::OK);
        let token = link.rsplit('/').next().unwrap();
        let res = http
            .post(format!("{}/api/setup/{token}", server.base))
            .json(&json!({"user": "olga", "password": "operator-pass-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::CREATED);
        assert_eq!(
            http.get(&link).send().await.unwrap().status(),
            reqwest::StatusCode::NOT_FOUND
        );
    });

    let out = pactum_stdin(
        &[
            "operator",
            "add",
            "otto",
            "--password-stdin",
            "--db",
            s(&db),
        ],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least 10"),
        "{}",
        text(&out.stderr)
    );
    let out = pactum_stdin(
        &[
            "operator",
            "add",
            "otto",
            "--password-stdin",
            "--db",
            s(&db),
        ],
        "operator-pass-2\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let generated = ok(&["operator", "add", "ines", "--db", s(&db)]);
    let ines_password = generated
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password is printed")
        .trim()
        .to_string();
    rt().block_on(async {
        let http = reqwest::Client::new();
        for (user, password) in [
            ("otto", "operator-pass-2"),
            ("ines", ines_password.as_str()),
        ] {
            let token = login(&http, &server.base, user, password)
                .await
                .unwrap_or_else(|| panic!("{user} logs in"));
            let res = http
                .get(format!("{}/api/operator/rooms", server.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                reqwest::StatusCode::OK,
                "{user} is an operator"
            );
        }
    });
    drop(server);
    let again = Server::start(&db, false);
    assert!(!again.printed.contains("/setup/"), "{}", again.printed);
}

/// `case export --as` and `report --as` number the versions a user was
/// given without gaps: here the room's version 2 is Russia's alone, so
/// Ukraine knows the room's versions 1, 3 and 4 as 1, 2 and 3.
#[test]
fn exports_as_a_user_number_versions_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let mut case = parse(&std::fs::read_to_string(demo_file()).unwrap());
    // The room's numbering: the 28-point plan 1, the four documents handed
    // to Russia 2, the post-Geneva version 3, the 27-point document 4.
    let numbers = [
        ("28-point plan", 1),
        ("Four additional documents", 2),
        ("Version revised after the Geneva consultations", 3),
        ("27-point document", 4),
    ];
    for t in case["texts"].as_array_mut().unwrap() {
        if let Some((_, n)) = numbers.iter().find(|(l, _)| t["label"] == *l) {
            t["version"] = json!(n);
        }
    }
    let file = dir.path().join("case.json");
    std::fs::write(&file, case.to_string()).unwrap();
    ok(&["case", "import", s(&file), "--db", s(&a)]);
    add_user(&a, "ua", "ukraine", "delegate-secret");
    add_user(&a, "ru", "russia", "delegate-secret");

    let by_label = |doc: &Value| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = doc["texts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| Some((t["label"].as_str()?.to_string(), t["version"].as_u64()?)))
            .collect();
        v.sort_by_key(|(_, n)| *n);
        v
    };
    let owned = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
        pairs.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    };
    let ua = parse(&export(&a, ROOM, Some("ua")));
    assert_eq!(
        by_label(&ua),
        owned(&[
            ("28-point plan", 1),
            ("Version revised after the Geneva consultations", 2),
            ("27-point document", 3),
        ])
    );
    let ru = parse(&export(&a, ROOM, Some("ru")));
    assert_eq!(
        by_label(&ru),
        owned(&[
            ("28-point plan", 1),
            ("Four additional documents", 2),
            ("Version revised after the Geneva consultations", 3),
            ("27-point document", 4),
        ])
    );
    // The operator's export keeps the room's numbers.
    let full = parse(&export(&a, ROOM, None));
    assert_eq!(by_label(&full), by_label(&ru));
}
