//! The storage tests, each an async fn over a [`TestDb`]; `main.rs` runs
//! every one on both backends.

use std::collections::BTreeSet;
use std::sync::Arc;

use pactum_store::{
    audit_hash, AuditEntry, Dump, InvitationRow, InvitationState, MemberRow, NewAudit, NewRecord,
    RecordRow, RecordWrite, RoomRow, SessionRow, Store, StoreError, TokenRow, UserRow,
    GENESIS_HASH,
};

use pactum_testkit::db::TestDb;

fn audit(actor: &str, action: &str) -> NewAudit {
    NewAudit::new(actor, action)
}

fn room(id: &str) -> RoomRow {
    RoomRow {
        id: id.into(),
        title: format!("Room {id}"),
        created_at: String::new(),
    }
}

fn rec(kind: &str, id: &str, body: &str) -> NewRecord {
    NewRecord {
        kind: kind.into(),
        id: id.into(),
        visibility: r#"{"to":"all"}"#.into(),
        body: body.into(),
    }
}

fn user(name: &str) -> UserRow {
    UserRow {
        name: name.into(),
        display_name: format!("{name} (display)"),
        password_hash: format!("$argon2id$v=19$hash-of-{name}"),
        created_at: String::new(),
    }
}

fn member(room: &str, user: &str, party: &str) -> MemberRow {
    MemberRow {
        room: room.into(),
        user: user.into(),
        party_id: party.into(),
    }
}

fn session(hash: &str, user: &str, expires_at: i64) -> SessionRow {
    SessionRow {
        token_hash: hash.into(),
        user: user.into(),
        csrf: format!("csrf-{hash}"),
        expires_at,
    }
}

fn token(hash: &str, user: &str) -> TokenRow {
    TokenRow {
        token_hash: hash.into(),
        user: user.into(),
        label: "laptop".into(),
        created_at: String::new(),
        id: format!("id-of-{hash}"),
        expires_at: 2_000_000_000,
    }
}

fn invitation(id: &str, room: &str, party: &str, expires_at: i64) -> InvitationRow {
    InvitationRow {
        id: id.into(),
        token_hash: format!("hash-of-{id}"),
        room: room.into(),
        party_id: party.into(),
        created_by: "mia".into(),
        created_at: String::new(),
        expires_at,
        state: InvitationState::Open,
        used_by: None,
        used_at: None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

async fn whole_log(s: &dyn Store) -> Vec<AuditEntry> {
    s.audit(None, 0, i64::MAX).await.unwrap()
}

fn ids(recs: &[RecordRow]) -> Vec<String> {
    recs.iter()
        .map(|r| format!("{}/{}", r.kind, r.id))
        .collect()
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(r: pactum_store::Result<T>, needle: &str) {
    match r {
        Err(StoreError::Conflict { what }) => {
            assert!(
                what.contains(needle),
                "conflict message {what:?} lacks {needle:?}"
            )
        }
        other => panic!("expected Conflict ({needle}), got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(r: pactum_store::Result<T>, needle: &str) {
    match r {
        Err(StoreError::NotFound { what }) => {
            assert!(
                what.contains(needle),
                "not-found message {what:?} lacks {needle:?}"
            )
        }
        other => panic!("expected NotFound ({needle}), got {other:?}"),
    }
}

/// Inserts a record (no expected revision), which must succeed.
async fn insert(s: &dyn Store, room: &str, r: NewRecord, a: NewAudit) -> RecordRow {
    s.put_record(room, &r, None, a).await.unwrap()
}

/// Creates a room as alice.
async fn new_room(s: &dyn Store, id: &str) {
    s.create_room(&room(id), audit("alice", "room.create"))
        .await
        .unwrap();
}

/// Each audit entry after the first `before`, as (action, record id).
fn added_since(log: &[AuditEntry], before: usize) -> Vec<(&str, Option<&str>)> {
    log[before..]
        .iter()
        .map(|e| (e.action.as_str(), e.record_id.as_deref()))
        .collect()
}

#[track_caller]
fn assert_corrupt<T: std::fmt::Debug>(r: pactum_store::Result<T>, needle: &str) {
    match r {
        Err(StoreError::Corrupt { what }) => assert!(what.contains(needle), "{what}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

/// A database with something in every table.
async fn populate(s: &dyn Store) {
    s.create_user(&user("alice"), audit("admin", "user.create"))
        .await
        .unwrap();
    s.create_user(&user("bob"), audit("admin", "user.create"))
        .await
        .unwrap();
    s.set_password("bob", "$argon2id$new", audit("bob", "user.password"))
        .await
        .unwrap();
    for r in ["lease", "merger"] {
        new_room(s, r).await;
    }
    s.add_member(
        &member("lease", "alice", "landlord"),
        audit("alice", "member.add"),
    )
    .await
    .unwrap();
    s.add_member(
        &member("lease", "bob", "tenant"),
        audit("alice", "member.add"),
    )
    .await
    .unwrap();
    s.add_member(
        &member("merger", "bob", "mediator"),
        audit("alice", "member.add"),
    )
    .await
    .unwrap();
    let r1 = insert(
        s,
        "lease",
        rec("text", "clause-1", r#"{"v":1}"#),
        audit("alice", "put"),
    )
    .await;
    s.put_record(
        "lease",
        &rec("text", "clause-1", r#"{"v":2}"#),
        Some(r1.revision),
        audit("bob", "put"),
    )
    .await
    .unwrap();
    s.put_records(
        "merger",
        &[
            rec("stance", "s1", r#"{"a":1}"#),
            rec("stance", "s2", r#"{"b":[1,2]}"#),
        ],
        "bob",
        "case.import",
    )
    .await
    .unwrap();
    s.create_session(&session("sess-a", "alice", 1_900_000_000))
        .await
        .unwrap();
    s.create_token(&token("tok-b", "bob"), audit("bob", "token.create"))
        .await
        .unwrap();
    s.set_operator("alice", true, audit("cli", "operator.add"))
        .await
        .unwrap();
    s.create_invitation(
        &invitation("inv-1", "lease", "tenant", 2_000_000_000),
        audit("alice", "invitation.create"),
    )
    .await
    .unwrap();
    let mut read = audit("bob", "record.read");
    read.room = Some("lease".into());
    read.kind = Some("text".into());
    read.record_id = Some("clause-1".into());
    s.append_audit(&[read]).await.unwrap();
}

pub async fn rooms_and_record_revisions(fx: &TestDb) {
    let s = &*fx.store;
    assert!(s.rooms().await.unwrap().is_empty());
    new_room(s, "r1").await;
    assert_conflict(
        s.create_room(&room("r1"), audit("alice", "room.create"))
            .await,
        "\"r1\"",
    );
    let r = s.room("r1").await.unwrap().expect("room r1");
    assert_eq!(r.title, "Room r1");
    assert!(is_timestamp(&r.created_at), "{}", r.created_at);
    assert!(s.room("r2").await.unwrap().is_none());

    let v1 = insert(
        s,
        "r1",
        rec("text", "t1", r#"{"v":1}"#),
        audit("alice", "put"),
    )
    .await;
    assert_eq!(
        (v1.room.as_str(), v1.kind.as_str(), v1.id.as_str()),
        ("r1", "text", "t1")
    );
    assert_eq!(v1.revision, 1);
    assert_eq!(v1.body, r#"{"v":1}"#);
    assert_eq!(v1.visibility, r#"{"to":"all"}"#);
    assert!(is_timestamp(&v1.created_at));
    assert_eq!(v1.created_at, v1.updated_at);
    assert_eq!(
        s.record("r1", "text", "t1").await.unwrap(),
        Some(v1.clone())
    );

    // Inserting again is a conflict and changes nothing.
    assert_conflict(
        s.put_record("r1", &rec("text", "t1", "{}"), None, audit("alice", "put"))
            .await,
        "already exists",
    );
    let v2 = s
        .put_record(
            "r1",
            &rec("text", "t1", r#"{"v":2}"#),
            Some(1),
            audit("bob", "put"),
        )
        .await
        .unwrap();
    assert_eq!(v2.revision, 2);
    assert_eq!(v2.body, r#"{"v":2}"#);
    assert_eq!(v2.created_at, v1.created_at);
    assert!(v2.updated_at >= v1.updated_at);

    // A stale revision is refused and leaves the stored record alone.
    assert_conflict(
        s.put_record(
            "r1",
            &rec("text", "t1", r#"{"v":"stale"}"#),
            Some(1),
            audit("carol", "put"),
        )
        .await,
        "stored revision 2",
    );
    assert_eq!(
        s.record("r1", "text", "t1").await.unwrap(),
        Some(v2.clone())
    );
    let v3 = s
        .put_record(
            "r1",
            &rec("text", "t1", r#"{"v":3}"#),
            Some(2),
            audit("bob", "put"),
        )
        .await
        .unwrap();
    assert_eq!(v3.revision, 3);

    // Updating what does not exist, or writing into a missing room.
    assert_conflict(
        s.put_record(
            "r1",
            &rec("text", "nope", "{}"),
            Some(1),
            audit("bob", "put"),
        )
        .await,
        "does not exist",
    );
    assert!(s.record("r1", "text", "nope").await.unwrap().is_none());
    assert_not_found(
        s.put_record("r9", &rec("text", "t1", "{}"), None, audit("bob", "put"))
            .await,
        "\"r9\"",
    );
    assert!(s.records("r9", None).await.unwrap().is_empty());

    // Only the successful writes were audited, with the record's key filled in.
    let log = whole_log(s).await;
    let actions: Vec<_> = log
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("alice", "room.create"),
            ("alice", "put"),
            ("bob", "put"),
            ("bob", "put")
        ]
    );
    assert_eq!(log[0].room.as_deref(), Some("r1"));
    assert_eq!(log[0].kind, None);
    for e in &log[1..] {
        assert_eq!(
            (e.room.as_deref(), e.kind.as_deref(), e.record_id.as_deref()),
            (Some("r1"), Some("text"), Some("t1"))
        );
    }
    assert!(s.verify_audit().await.unwrap().ok());
}

pub async fn insertion_order_is_stable(fx: &TestDb) {
    let s = &*fx.store;
    for r in ["b", "a", "c"] {
        new_room(s, r).await;
    }
    let rooms: Vec<_> = s.rooms().await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(rooms, ["b", "a", "c"]);

    for (kind, id) in [("text", "z"), ("stance", "a"), ("text", "m"), ("text", "a")] {
        insert(s, "b", rec(kind, id, "{}"), audit("alice", "put")).await;
    }
    insert(s, "a", rec("text", "x", "{}"), audit("alice", "put")).await;
    // An update does not move a record.
    s.put_record(
        "b",
        &rec("text", "z", r#"{"new":true}"#),
        Some(1),
        audit("alice", "put"),
    )
    .await
    .unwrap();
    assert_eq!(
        ids(&s.records("b", None).await.unwrap()),
        ["text/z", "stance/a", "text/m", "text/a"]
    );
    assert_eq!(
        ids(&s.records("b", Some("text")).await.unwrap()),
        ["text/z", "text/m", "text/a"]
    );
    assert_eq!(
        ids(&s.records("b", Some("stance")).await.unwrap()),
        ["stance/a"]
    );
    assert!(s.records("b", Some("meeting")).await.unwrap().is_empty());
    assert_eq!(ids(&s.records("a", None).await.unwrap()), ["text/x"]);
    assert!(s.records("c", None).await.unwrap().is_empty());

    // A bulk import keeps the order it was given, not key order.
    let bulk: Vec<_> = (0..40)
        .rev()
        .map(|i| rec("text", &format!("n{i:02}"), "{}"))
        .collect();
    s.put_records("c", &bulk, "alice", "case.import")
        .await
        .unwrap();
    let want: Vec<_> = bulk.iter().map(|r| format!("text/{}", r.id)).collect();
    assert_eq!(ids(&s.records("c", None).await.unwrap()), want);
}

pub async fn failed_audit_append_undoes_the_write(fx: &TestDb) {
    let s = &*fx.store;
    new_room(s, "r1").await;
    // The schema refuses an audit entry without an actor; the record
    // written just before it in the same transaction must go too.
    let err = s
        .put_record("r1", &rec("text", "t1", "{}"), None, audit("", "put"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
    assert!(s.record("r1", "text", "t1").await.unwrap().is_none());

    let err = s
        .create_user(&user("alice"), audit("admin", ""))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
    assert!(s.user("alice").await.unwrap().is_none());

    assert!(s.create_room(&room("r2"), audit("", "x")).await.is_err());
    assert!(s.room("r2").await.unwrap().is_none());

    assert_eq!(whole_log(s).await.len(), 1);
    assert!(s.verify_audit().await.unwrap().ok());
}

pub async fn bulk_put_is_all_or_nothing(fx: &TestDb) {
    let s = &*fx.store;
    new_room(s, "r1").await;
    let keep = insert(
        s,
        "r1",
        rec("text", "keep", r#"{"old":1}"#),
        audit("alice", "put"),
    )
    .await;
    let log_before = whole_log(s).await;

    assert_not_found(
        s.put_records("nowhere", &[rec("text", "a", "{}")], "bob", "case.import")
            .await,
        "\"nowhere\"",
    );
    assert!(s.records("nowhere", None).await.unwrap().is_empty());

    // The third record breaks a schema rule (empty id) after two have
    // been written inside the transaction.
    let err = s
        .put_records(
            "r1",
            &[
                rec("text", "keep", r#"{"overwritten":true}"#),
                rec("text", "new-1", "{}"),
                rec("text", "", "{}"),
                rec("text", "new-3", "{}"),
            ],
            "bob",
            "case.import",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
    assert_eq!(
        s.records("r1", None).await.unwrap(),
        std::slice::from_ref(&keep)
    );
    assert_eq!(whole_log(s).await, log_before, "no audit rows may remain");

    // The same import without the bad record goes in whole.
    s.put_records(
        "r1",
        &[
            rec("text", "keep", r#"{"overwritten":true}"#),
            rec("text", "new-1", "{}"),
            rec("stance", "new-2", "{}"),
        ],
        "bob",
        "case.import",
    )
    .await
    .unwrap();
    let recs = s.records("r1", None).await.unwrap();
    assert_eq!(ids(&recs), ["text/keep", "text/new-1", "stance/new-2"]);
    assert_eq!(recs[0].revision, 2);
    assert_eq!(recs[0].body, r#"{"overwritten":true}"#);
    assert_eq!(recs[0].created_at, keep.created_at);
    assert_eq!(recs[1].revision, 1);

    let log = whole_log(s).await;
    assert_eq!(log.len(), log_before.len() + 3);
    let added: Vec<_> = log[log_before.len()..]
        .iter()
        .map(|e| {
            assert_eq!(
                (e.actor.as_str(), e.action.as_str()),
                ("bob", "case.import")
            );
            assert_eq!(e.room.as_deref(), Some("r1"));
            (
                e.kind.clone().unwrap(),
                e.record_id.clone().unwrap(),
                e.detail.clone(),
            )
        })
        .collect();
    assert_eq!(
        added,
        [
            ("text".into(), "keep".into(), r#"{"revision":2}"#.into()),
            ("text".into(), "new-1".into(), r#"{"revision":1}"#.into()),
            ("stance".into(), "new-2".into(), r#"{"revision":1}"#.into()),
        ] as [(String, String, String); 3]
    );
    assert!(s.verify_audit().await.unwrap().ok());
}

/// A case import creates its room and records together or not at all.
pub async fn import_room_is_all_or_nothing(fx: &TestDb) {
    let s = &*fx.store;
    let log_before = whole_log(s).await;
    // The second record breaks a schema rule (empty id) after the room and
    // the first record have been written inside the transaction.
    let err = s
        .import_room(
            &room("c"),
            audit("op", "room.create"),
            &[rec("text", "a", "{}"), rec("text", "", "{}")],
            "op",
            "case.import",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
    assert_eq!(s.room("c").await.unwrap(), None, "no empty room may remain");
    assert!(s.records("c", None).await.unwrap().is_empty());
    assert_eq!(whole_log(s).await, log_before, "no audit rows may remain");

    s.import_room(
        &room("c"),
        audit("op", "room.create"),
        &[rec("text", "a", "{}"), rec("stance", "b", "{}")],
        "op",
        "case.import",
    )
    .await
    .unwrap();
    assert!(s.room("c").await.unwrap().is_some());
    assert_eq!(
        ids(&s.records("c", None).await.unwrap()),
        ["text/a", "stance/b"]
    );
    let log = whole_log(s).await;
    assert_eq!(
        added_since(&log, log_before.len()),
        [
            ("room.create", None),
            ("case.import", Some("a")),
            ("case.import", Some("b"))
        ]
    );
    // An existing room is a conflict, and the import adds nothing to it.
    assert_conflict(
        s.import_room(
            &room("c"),
            audit("op", "room.create"),
            &[rec("text", "z", "{}")],
            "op",
            "case.import",
        )
        .await,
        "already exists",
    );
    assert_eq!(s.records("c", None).await.unwrap().len(), 2);
    assert!(s.verify_audit().await.unwrap().ok());
}

/// A set of checked writes goes in whole or not at all: a stale revision
/// on the last write undoes the insert before it, audit rows included.
pub async fn record_set_is_all_or_nothing(fx: &TestDb) {
    let s = &*fx.store;
    new_room(s, "r1").await;
    let session = insert(
        s,
        "r1",
        rec("session", "s1", r#"{"open":true}"#),
        audit("med", "session.open"),
    )
    .await;
    let log_before = whole_log(s).await;
    let write =
        |kind: &str, id: &str, body: &str, expected: Option<i64>, action: &str| RecordWrite {
            rec: rec(kind, id, body),
            expected_revision: expected,
            audit: audit("med", action),
        };

    // The session's revision is stale: the draft written before it must go too.
    assert_conflict(
        s.put_record_set(
            "r1",
            &[
                write("text", "draft", "{}", None, "text.draft"),
                write(
                    "session",
                    "s1",
                    r#"{"open":false}"#,
                    Some(session.revision + 1),
                    "session.close",
                ),
            ],
        )
        .await,
        "expected revision 2, stored revision 1",
    );
    assert_eq!(
        s.records("r1", None).await.unwrap(),
        std::slice::from_ref(&session)
    );
    assert_eq!(whole_log(s).await, log_before, "no audit rows may remain");
    assert_not_found(
        s.put_record_set("nowhere", &[write("text", "x", "{}", None, "text.draft")])
            .await,
        "\"nowhere\"",
    );

    // With the right revision both writes land, each with its audit entry.
    let rows = s
        .put_record_set(
            "r1",
            &[
                write("text", "draft", "{}", None, "text.draft"),
                write(
                    "session",
                    "s1",
                    r#"{"open":false}"#,
                    Some(session.revision),
                    "session.close",
                ),
            ],
        )
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.revision).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(
        ids(&s.records("r1", None).await.unwrap()),
        ["session/s1", "text/draft"]
    );
    let log = whole_log(s).await;
    assert_eq!(
        added_since(&log, log_before.len()),
        [("text.draft", Some("draft")), ("session.close", Some("s1"))]
    );
    assert!(s.verify_audit().await.unwrap().ok());
}

/// A rename and its record writes go in together: a stale record undoes
/// the new title and every audit row; a missing room is not found.
pub async fn update_room_is_all_or_nothing(fx: &TestDb) {
    let s = &*fx.store;
    new_room(s, "r1").await;
    let meta = insert(
        s,
        "r1",
        rec("meta", "meta", r#"{"title":"Old"}"#),
        audit("op", "room.setup"),
    )
    .await;
    let log_before = whole_log(s).await;
    let write = |expected: i64| RecordWrite {
        rec: rec("meta", "meta", r#"{"title":"New"}"#),
        expected_revision: Some(expected),
        audit: audit("med", "room.details"),
    };
    assert_conflict(
        s.update_room("r1", "New", audit("med", "room.rename"), &[write(7)])
            .await,
        "expected revision 7",
    );
    assert_eq!(s.room("r1").await.unwrap().unwrap().title, room("r1").title);
    assert_eq!(
        s.records("r1", None).await.unwrap(),
        std::slice::from_ref(&meta)
    );
    assert_eq!(whole_log(s).await, log_before, "no audit rows may remain");
    assert_not_found(
        s.update_room("nowhere", "X", audit("med", "room.rename"), &[])
            .await,
        "\"nowhere\"",
    );

    let rows = s
        .update_room("r1", "New", audit("med", "room.rename"), &[write(1)])
        .await
        .unwrap();
    assert_eq!(rows[0].revision, 2);
    assert_eq!(s.room("r1").await.unwrap().unwrap().title, "New");
    let log = whole_log(s).await;
    assert_eq!(
        added_since(&log, log_before.len()),
        [("room.rename", None), ("room.details", Some("meta"))]
    );
    assert!(s.verify_audit().await.unwrap().ok());
}

pub async fn users_members_sessions_tokens(fx: &TestDb) {
    let s = &*fx.store;
    for name in ["bob", "alice", "Zed", "adam"] {
        s.create_user(&user(name), audit("admin", "user.create"))
            .await
            .unwrap();
    }
    assert_conflict(
        s.create_user(&user("alice"), audit("admin", "user.create"))
            .await,
        "\"alice\"",
    );
    let names: Vec<_> = s
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(
        names,
        ["Zed", "adam", "alice", "bob"],
        "byte order on both backends"
    );
    let alice = s.user("alice").await.unwrap().expect("alice");
    assert_eq!(alice.display_name, "alice (display)");
    assert_eq!(alice.password_hash, "$argon2id$v=19$hash-of-alice");
    assert!(is_timestamp(&alice.created_at));
    assert!(s.user("carol").await.unwrap().is_none());

    s.set_password(
        "alice",
        "$argon2id$changed",
        audit("alice", "user.password"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.user("alice").await.unwrap().unwrap().password_hash,
        "$argon2id$changed"
    );
    assert_not_found(
        s.set_password("carol", "x", audit("carol", "user.password"))
            .await,
        "\"carol\"",
    );

    new_room(s, "r1").await;
    new_room(s, "r2").await;
    s.add_member(&member("r1", "bob", "p2"), audit("alice", "member.add"))
        .await
        .unwrap();
    s.add_member(&member("r1", "alice", "p1"), audit("alice", "member.add"))
        .await
        .unwrap();
    s.add_member(
        &member("r2", "alice", "mediator"),
        audit("alice", "member.add"),
    )
    .await
    .unwrap();
    assert_conflict(
        s.add_member(&member("r1", "alice", "p3"), audit("alice", "member.add"))
            .await,
        "already a member",
    );
    assert_not_found(
        s.add_member(&member("r9", "alice", "p1"), audit("alice", "member.add"))
            .await,
        "\"r9\"",
    );
    assert_not_found(
        s.add_member(&member("r1", "carol", "p1"), audit("alice", "member.add"))
            .await,
        "\"carol\"",
    );
    assert_eq!(
        s.members("r1").await.unwrap(),
        [member("r1", "bob", "p2"), member("r1", "alice", "p1")]
    );
    assert_eq!(
        s.memberships("alice").await.unwrap(),
        [
            member("r1", "alice", "p1"),
            member("r2", "alice", "mediator")
        ]
    );
    assert!(s.members("r9").await.unwrap().is_empty());
    assert!(s.memberships("adam").await.unwrap().is_empty());

    let audited = whole_log(s).await.len();
    s.create_session(&session("s1", "alice", 100))
        .await
        .unwrap();
    s.create_session(&session("s2", "bob", 10_000))
        .await
        .unwrap();
    assert_eq!(
        s.session("s1").await.unwrap(),
        Some(session("s1", "alice", 100))
    );
    assert!(s.create_session(&session("s1", "bob", 5)).await.is_err());
    assert!(matches!(
        s.create_session(&session("s9", "carol", 5)).await,
        Err(StoreError::NotFound { .. })
    ));
    s.delete_session("s1").await.unwrap();
    assert!(s.session("s1").await.unwrap().is_none());
    s.delete_session("s1").await.unwrap();
    s.create_session(&session("s3", "adam", 4_999))
        .await
        .unwrap();
    assert_eq!(s.delete_expired_sessions(5_000).await.unwrap(), 1);
    assert!(s.session("s3").await.unwrap().is_none());
    assert_eq!(
        s.session("s2").await.unwrap(),
        Some(session("s2", "bob", 10_000))
    );
    assert_eq!(
        whole_log(s).await.len(),
        audited,
        "sessions are not audited"
    );

    s.create_token(&token("t1", "bob"), audit("bob", "token.create"))
        .await
        .unwrap();
    let t = s.token("t1").await.unwrap().expect("token t1");
    assert_eq!((t.user.as_str(), t.label.as_str()), ("bob", "laptop"));
    assert!(is_timestamp(&t.created_at));
    assert!(s.token("t2").await.unwrap().is_none());
    assert_conflict(
        s.create_token(&token("t1", "alice"), audit("alice", "token.create"))
            .await,
        "token",
    );
    assert_not_found(
        s.create_token(&token("t2", "carol"), audit("carol", "token.create"))
            .await,
        "\"carol\"",
    );

    // 4 users + 1 password + 2 rooms + 3 members + 1 token.
    assert_eq!(whole_log(s).await.len(), 11);
    assert!(s.verify_audit().await.unwrap().ok());
}

pub async fn audit_chain_verifies_after_many_concurrent_writes(fx: &TestDb) {
    let s = fx.store.clone();
    new_room(&*s, "r1").await;
    // Two stores on one database stand for two server processes.
    let other = fx.reopen().await;
    let mut tasks = Vec::new();
    for worker in 0..6 {
        let s: Arc<dyn Store> = if worker % 2 == 0 {
            s.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            for i in 0..8 {
                let id = format!("w{worker}-{i}");
                let r = insert(&*s, "r1", rec("text", &id, "{}"), audit("w", "put")).await;
                s.put_record(
                    "r1",
                    &rec("text", &id, "{\"u\":1}"),
                    Some(r.revision),
                    audit("w", "put"),
                )
                .await
                .unwrap();
                s.append_audit(&[audit("w", "read"), audit("w", "read")])
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let expected = 1 + 6 * 8 * 4;
    let report = s.verify_audit().await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.entries, expected);
    assert_eq!(other.verify_audit().await.unwrap(), report);

    let log = checked_log(&*s).await;
    assert_eq!(log.len() as i64, expected);
    for e in &log {
        assert_eq!(audit_hash(e), e.hash);
        assert!(is_timestamp(&e.at));
    }
    assert_eq!(s.records("r1", None).await.unwrap().len(), 48);
}

/// Checks the whole chain entry by entry; returns it.
async fn checked_log(s: &dyn Store) -> Vec<AuditEntry> {
    let report = s.verify_audit().await.unwrap();
    assert!(report.ok(), "{report:?}");
    let log = whole_log(s).await;
    assert_eq!(log.len() as i64, report.entries);
    let mut prev = GENESIS_HASH.to_owned();
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1);
        assert_eq!(e.prev_hash, prev);
        prev.clone_from(&e.hash);
    }
    log
}

/// Runs `n` tasks that start their write together (so that the writer
/// finds them queued and commits them in groups), returning each task's
/// outcome in task order. Correctness is asserted on the outcomes, which
/// must be the same however the writes were grouped.
async fn all_at_once<T, F, Fut>(s: &Arc<dyn Store>, n: usize, write: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Arc<dyn Store>, usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let start = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let start = start.clone();
            let write = write(s.clone(), i);
            tokio::spawn(async move {
                start.wait().await;
                write.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

pub async fn group_commit_acknowledges_only_durable_writes(fx: &TestDb) {
    let s = fx.store.clone();
    new_room(&*s, "r1").await;
    // 32 tasks, 16 writes each: 256 record inserts, 256 audit appends.
    let acked = all_at_once(&s, 32, |s, task| async move {
        let mut rows = Vec::new();
        for i in 0..8 {
            let id = format!("t{task}-{i}");
            let row = insert(&*s, "r1", rec("stance", &id, "{}"), audit("w", "put")).await;
            rows.push(row);
            let mut read = audit("w", "record.read");
            read.detail = id;
            s.append_audit(&[read]).await.unwrap();
        }
        rows
    })
    .await;
    let log = checked_log(&*s).await;
    assert_eq!(log.len(), 1 + 32 * 8 * 2);
    // Each write's entry comes before its task's next one: per caller, the
    // chain keeps the order of the writes.
    for task in 0..32 {
        let mine: Vec<_> = log
            .iter()
            .filter(|e| {
                let id = e.record_id.as_deref().unwrap_or(&e.detail);
                id.starts_with(&format!("t{task}-"))
            })
            .map(|e| {
                (
                    e.action.as_str(),
                    e.record_id.clone().unwrap_or(e.detail.clone()),
                )
            })
            .collect();
        let want: Vec<_> = (0..8)
            .flat_map(|i| {
                let id = format!("t{task}-{i}");
                [("put", id.clone()), ("record.read", id)]
            })
            .collect();
        assert_eq!(mine, want, "task {task}");
    }
    // Every acknowledged record is there, as acknowledged, also for
    // another store on the same database.
    let other = fx.reopen().await;
    for row in acked.iter().flatten() {
        let stored = other.record("r1", "stance", &row.id).await.unwrap();
        assert_eq!(stored.as_ref(), Some(row));
    }
    assert_eq!(other.records("r1", None).await.unwrap().len(), 256);
}

pub async fn conflict_in_a_group_fails_alone(fx: &TestDb) {
    let s = fx.store.clone();
    new_room(&*s, "r1").await;
    for i in 0..32 {
        insert(
            &*s,
            "r1",
            rec("text", &format!("t{i}"), "{}"),
            audit("a", "put"),
        )
        .await;
    }
    insert(&*s, "r1", rec("text", "shared", "{}"), audit("a", "put")).await;
    let before = whole_log(&*s).await.len();
    // Tasks 0..32 update their own record, every fourth with a stale
    // revision; tasks 32..40 all update one record from revision 1.
    let results = all_at_once(&s, 40, |s, i| async move {
        let (id, expected) = match i {
            0..32 if i % 4 == 0 => (format!("t{i}"), 7),
            0..32 => (format!("t{i}"), 1),
            _ => ("shared".to_owned(), 1),
        };
        let body = format!("{{\"by\":{i}}}");
        s.put_record(
            "r1",
            &rec("text", &id, &body),
            Some(expected),
            audit("w", "put"),
        )
        .await
    })
    .await;
    let mut shared_winner = None;
    for (i, r) in results.into_iter().enumerate() {
        match i {
            0..32 if i % 4 == 0 => assert_conflict(r, "stored revision 1"),
            0..32 => assert_eq!(r.unwrap().revision, 2, "task {i}"),
            _ => match r {
                Ok(row) => {
                    assert!(shared_winner.is_none(), "two updates from revision 1 won");
                    assert_eq!(row.revision, 2);
                    shared_winner = Some(i);
                }
                Err(e) => assert_conflict::<()>(Err(e), "stored revision 2"),
            },
        }
    }
    let winner = shared_winner.expect("one update of the shared record wins");
    for i in 0..32 {
        let r = s
            .record("r1", "text", &format!("t{i}"))
            .await
            .unwrap()
            .unwrap();
        let want = if i % 4 == 0 {
            (1, "{}".to_owned())
        } else {
            (2, format!("{{\"by\":{i}}}"))
        };
        assert_eq!((r.revision, r.body), want, "t{i}");
    }
    let shared = s.record("r1", "text", "shared").await.unwrap().unwrap();
    assert_eq!(shared.body, format!("{{\"by\":{winner}}}"));
    // Only the 24 + 1 successful writes were audited.
    assert_eq!(checked_log(&*s).await.len(), before + 25);
}

pub async fn missing_room_in_a_group_fails_alone(fx: &TestDb) {
    let s = fx.store.clone();
    new_room(&*s, "r1").await;
    // Every eighth task writes into a room that does not exist, every
    // eighth (offset 4) an audit entry the schema refuses; the others
    // insert a record or append a read.
    let results = all_at_once(&s, 48, |s, i| async move {
        let id = format!("t{i}");
        match i % 8 {
            0 => s
                .put_record("nowhere", &rec("text", &id, "{}"), None, audit("w", "put"))
                .await
                .map(|_| ()),
            4 => {
                s.append_audit(&[audit("w", "read"), audit("", "read")])
                    .await
            }
            1 | 3 | 5 | 7 => s
                .put_record("r1", &rec("text", &id, "{}"), None, audit("w", "put"))
                .await
                .map(|_| ()),
            _ => {
                let mut read = audit("w", "record.read");
                read.detail = id;
                s.append_audit(&[read]).await
            }
        }
    })
    .await;
    for (i, r) in results.into_iter().enumerate() {
        match i % 8 {
            0 => assert_not_found(r, "\"nowhere\""),
            4 => assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}"),
            _ => r.unwrap(),
        }
    }
    assert!(s.records("nowhere", None).await.unwrap().is_empty());
    let stored: BTreeSet<_> = s
        .records("r1", None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let want: BTreeSet<_> = (0..48)
        .filter(|i| i % 2 == 1)
        .map(|i| format!("t{i}"))
        .collect();
    assert_eq!(stored, want);
    let log = checked_log(&*s).await;
    // room.create + 24 puts + 12 reads; nothing of the refused appends.
    assert_eq!(log.len(), 1 + 24 + 12);
    assert!(log.iter().all(|e| !e.actor.is_empty()));
}

pub async fn audit_paging_and_room_filter(fx: &TestDb) {
    let s = &*fx.store;
    assert!(s.verify_audit().await.unwrap().ok());
    assert_eq!(s.verify_audit().await.unwrap().entries, 0);
    s.append_audit(&[]).await.unwrap();
    new_room(s, "r1").await;
    new_room(s, "r2").await;
    let batch: Vec<_> = (0..20)
        .map(|i| {
            let mut a = audit("bob", "record.read");
            a.room = Some(if i % 4 == 0 { "r2" } else { "r1" }.into());
            a.detail = format!("read {i}");
            a
        })
        .collect();
    s.append_audit(&batch).await.unwrap();
    assert_eq!(whole_log(s).await.len(), 22);

    let page = s.audit(None, 10, 5).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [11, 12, 13, 14, 15]
    );
    assert!(s.audit(None, 22, 5).await.unwrap().is_empty());
    assert!(s.audit(None, 0, 0).await.unwrap().is_empty());

    let r2 = s.audit(Some("r2"), 0, 100).await.unwrap();
    assert!(r2.iter().all(|e| e.room.as_deref() == Some("r2")));
    assert_eq!(r2.len(), 1 + 5);
    let r2_later = s.audit(Some("r2"), r2[2].seq, 2).await.unwrap();
    assert_eq!(r2_later, r2[3..5]);
    assert!(s.audit(Some("r9"), 0, 100).await.unwrap().is_empty());
}

/// Ten audit entries to tamper with.
async fn ten_entries(s: &dyn Store) {
    let batch: Vec<_> = (1..=10)
        .map(|i| {
            let mut a = audit("alice", "record.read");
            a.detail = format!("entry {i}");
            a
        })
        .collect();
    s.append_audit(&batch).await.unwrap();
    assert!(s.verify_audit().await.unwrap().ok());
}

pub async fn audit_detects_an_edited_row(fx: &TestDb) {
    ten_entries(&*fx.store).await;
    fx.exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5")
        .await;
    let report = fx.store.verify_audit().await.unwrap();
    assert!(!report.ok());
    assert_eq!(report.first_bad, Some(5), "{report:?}");
    assert_eq!(report.entries, 10);
    assert!(report.reason.unwrap().contains("edited"));

    // A dump of the tampered log is refused by restore.
    let dump = fx.store.dump().await.unwrap();
    let target = fx.fresh().await;
    assert_corrupt(target.store.restore(&dump).await, "entry 5");
    assert!(target.store.dump().await.unwrap().audit.is_empty());
}

pub async fn audit_detects_a_deleted_row(fx: &TestDb) {
    ten_entries(&*fx.store).await;
    fx.exec("DELETE FROM audit_log WHERE seq = 5").await;
    let report = fx.store.verify_audit().await.unwrap();
    assert_eq!(report.first_bad, Some(5), "{report:?}");
    assert_eq!(report.entries, 9);
    assert!(report.reason.unwrap().contains("deleted"));
}

pub async fn audit_detects_a_rehashed_row(fx: &TestDb) {
    ten_entries(&*fx.store).await;
    // The tamperer edits entry 5 and gives it a correct hash, but does not
    // rewrite the entries after it.
    let mut e = fx.store.audit(None, 4, 1).await.unwrap().remove(0);
    assert_eq!(e.seq, 5);
    e.detail = "forged".into();
    e.hash = audit_hash(&e);
    fx.exec(&format!(
        "UPDATE audit_log SET detail = 'forged', hash = '{}' WHERE seq = 5",
        e.hash
    ))
    .await;
    let report = fx.store.verify_audit().await.unwrap();
    assert_eq!(report.first_bad, Some(6), "{report:?}");
    assert!(report.reason.unwrap().contains("does not link to entry 5"));
}

/// Strings that a careless layer would change: NFC would compose the
/// combining sequences and the compatibility characters.
const AWKWARD: &[&str] = &[
    "emoji 👩🏽‍⚖️ 🤝 🏳️‍🌈 flags 🇩🇪🇯🇵 and astral 𝄞 𝕏",
    "combining: e\u{301} A\u{30A} \u{212B} \u{2126} \u{1E9B}\u{323} \u{FB01} (NFC/NFKC would change these)",
    "RTL: שָׁלוֹם \u{200F}مرحبا بالعالم\u{200E} mixed \u{202E}reversed\u{202C}",
    "controls: \u{1}\u{7}\u{8}\t\r\n\u{b}\u{c}\u{1b}[0m\u{7f}\u{85}\u{2028}\u{2029}",
    "BOM \u{FEFF} ZWJ \u{200D} ZWSP \u{200B} NBSP \u{A0} replacement \u{FFFD} last \u{10FFFF}",
    "  leading and trailing spaces  \n",
    "quotes ' \" \\ and SQL '); DROP TABLE rooms; --",
];

pub async fn unicode_round_trips_byte_for_byte(fx: &TestDb) {
    let s = &*fx.store;
    assert_ne!("\u{212B}".as_bytes(), "\u{C5}".as_bytes());
    s.create_user(
        &UserRow {
            display_name: AWKWARD.concat(),
            ..user("ünïcødé-👤")
        },
        audit("admin", "user.create"),
    )
    .await
    .unwrap();
    for (i, text) in AWKWARD.iter().enumerate() {
        let room_id = format!("room-{i}-é\u{301}");
        s.create_room(
            &RoomRow {
                id: room_id.clone(),
                title: (*text).to_owned(),
                created_at: String::new(),
            },
            audit("ünïcødé-👤", "room.create"),
        )
        .await
        .unwrap();
        let record = NewRecord {
            kind: "text".into(),
            id: format!("id-{i}-{text}"),
            visibility: format!(r#"{{"parties":["{text}"]}}"#),
            body: (*text).to_owned(),
        };
        let mut a = audit("ünïcødé-👤", "record.put");
        a.detail = (*text).to_owned();
        let stored = s.put_record(&room_id, &record, None, a).await.unwrap();
        assert_eq!(stored.body.as_bytes(), text.as_bytes());

        let back = s
            .record(&room_id, "text", &record.id)
            .await
            .unwrap()
            .expect("record");
        assert_eq!(back.id.as_bytes(), record.id.as_bytes());
        assert_eq!(back.body.as_bytes(), text.as_bytes());
        assert_eq!(back.visibility.as_bytes(), record.visibility.as_bytes());
        let listed = s.records(&room_id, None).await.unwrap();
        assert_eq!(listed, [back]);
        let r = s.room(&room_id).await.unwrap().expect("room");
        assert_eq!(r.title.as_bytes(), text.as_bytes());
    }
    let u = s.user("ünïcødé-👤").await.unwrap().expect("user");
    assert_eq!(u.display_name.as_bytes(), AWKWARD.concat().as_bytes());

    let log = whole_log(s).await;
    let details: Vec<_> = log
        .iter()
        .filter(|e| e.action == "record.put")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(details, AWKWARD);
    assert!(s.verify_audit().await.unwrap().ok());

    // And through a backup.
    let dump = s.dump().await.unwrap();
    let json = serde_json::to_string(&dump).unwrap();
    let copy = fx.fresh().await;
    copy.store
        .restore(&serde_json::from_str(&json).unwrap())
        .await
        .unwrap();
    assert_eq!(copy.store.dump().await.unwrap(), dump);
}

/// Asserts two stores hold the same workspace, table by table (so that a
/// difference names the table) and then as whole dumps.
async fn assert_same(a: &dyn Store, b: &dyn Store) {
    let rooms = a.rooms().await.unwrap();
    assert_eq!(b.rooms().await.unwrap(), rooms);
    for r in &rooms {
        assert_eq!(
            b.records(&r.id, None).await.unwrap(),
            a.records(&r.id, None).await.unwrap()
        );
        assert_eq!(
            b.members(&r.id).await.unwrap(),
            a.members(&r.id).await.unwrap()
        );
    }
    assert_eq!(b.users().await.unwrap(), a.users().await.unwrap());
    assert_eq!(whole_log(b).await, whole_log(a).await);
    let (ra, rb) = (
        a.verify_audit().await.unwrap(),
        b.verify_audit().await.unwrap(),
    );
    assert!(ra.ok() && rb.ok(), "{ra:?} {rb:?}");
    assert_eq!(ra, rb);
    assert_eq!(b.dump().await.unwrap(), a.dump().await.unwrap());
}

pub async fn dump_restore_gives_an_identical_database(fx: &TestDb) {
    let s = &*fx.store;
    populate(s).await;
    let dump = s.dump().await.unwrap();
    assert_eq!(
        (
            dump.rooms.len(),
            dump.records.len(),
            dump.users.len(),
            dump.members.len(),
            dump.sessions.len(),
            dump.tokens.len(),
            dump.operators.len(),
            dump.invitations.len(),
            dump.audit.len(),
        ),
        (2, 3, 2, 3, 1, 1, 1, 1, 16)
    );
    let json = serde_json::to_string_pretty(&dump).unwrap();
    let parsed: Dump = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, dump);

    let copy = fx.fresh().await;
    copy.store.restore(&parsed).await.unwrap();
    assert_same(s, &*copy.store).await;
    assert_eq!(
        copy.store.session("sess-a").await.unwrap(),
        s.session("sess-a").await.unwrap()
    );
    assert_eq!(
        copy.store.token("tok-b").await.unwrap(),
        s.token("tok-b").await.unwrap()
    );
    assert!(copy.store.is_operator("alice").await.unwrap());
    assert!(!copy.store.is_operator("bob").await.unwrap());
    assert_eq!(
        copy.store.invitations("lease").await.unwrap(),
        s.invitations("lease").await.unwrap()
    );

    // The restored chain goes on from where the original stopped.
    let last = dump.audit.last().unwrap().clone();
    copy.store
        .append_audit(&[audit("alice", "after.restore")])
        .await
        .unwrap();
    let next = copy.store.audit(None, last.seq, 10).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(
        (next[0].seq, next[0].prev_hash.as_str()),
        (last.seq + 1, last.hash.as_str())
    );
    assert!(copy.store.verify_audit().await.unwrap().ok());
    // And new records come after the restored ones.
    insert(
        &*copy.store,
        "lease",
        rec("text", "clause-0", "{}"),
        audit("alice", "put"),
    )
    .await;
    assert_eq!(
        ids(&copy.store.records("lease", None).await.unwrap()),
        ["text/clause-1", "text/clause-0"]
    );
}

pub async fn restore_refuses_a_non_empty_database_or_a_broken_dump(fx: &TestDb) {
    let s = &*fx.store;
    populate(s).await;
    let dump = s.dump().await.unwrap();

    // Into itself.
    assert!(matches!(s.restore(&dump).await, Err(StoreError::NotEmpty)));
    assert_eq!(s.dump().await.unwrap(), dump);

    // Into a database holding only one user.
    let other = fx.fresh().await;
    other
        .store
        .create_user(&user("zoe"), audit("admin", "user.create"))
        .await
        .unwrap();
    let before = other.store.dump().await.unwrap();
    assert!(matches!(
        other.store.restore(&dump).await,
        Err(StoreError::NotEmpty)
    ));
    assert_eq!(other.store.dump().await.unwrap(), before);

    // A dump whose chain was altered, or dropped an entry, or comes from a
    // newer pactum, is refused and leaves the target empty.
    let empty = fx.fresh().await;
    let mut edited = dump.clone();
    edited.audit[3].detail = "altered".into();
    assert_corrupt(empty.store.restore(&edited).await, "entry 4");
    let mut gap = dump.clone();
    gap.audit.remove(6);
    assert_corrupt(empty.store.restore(&gap).await, "entry 7");
    let mut newer = dump.clone();
    newer.format += 1;
    assert!(matches!(
        empty.store.restore(&newer).await,
        Err(StoreError::Incompatible { .. })
    ));
    // A dump that breaks the schema (a record in a room it lacks) fails
    // whole, though users come first and would have been written.
    let mut orphan = dump.clone();
    orphan.rooms.retain(|r| r.id != "merger");
    orphan.members.retain(|m| m.room != "merger");
    assert!(empty.store.restore(&orphan).await.is_err());

    let nothing = empty.store.dump().await.unwrap();
    assert!(
        nothing.rooms.is_empty()
            && nothing.users.is_empty()
            && nothing.records.is_empty()
            && nothing.audit.is_empty()
    );
    // It is still usable as a restore target.
    empty.store.restore(&dump).await.unwrap();
    assert_same(s, &*empty.store).await;
}

pub async fn reopening_keeps_data_and_schema(fx: &TestDb) {
    populate(&*fx.store).await;
    let again = pactum_store::open(&fx.spec()).await.unwrap();
    assert_eq!(again.backend(), fx.store.backend());
    assert_same(&*fx.store, &*again).await;
    let versions = fx
        .query_text(
            "SELECT CAST(COUNT(*) - COUNT(DISTINCT version) AS TEXT) || ' ' \
             || CAST(MAX(version) AS TEXT) FROM pactum_schema",
        )
        .await;
    assert_eq!(versions, "0 7", "each migration ran once, up to schema 7");
}

pub async fn restore_across_backends(lite: &TestDb, pg: &TestDb) {
    assert_eq!(
        (lite.store.backend(), pg.store.backend()),
        ("sqlite", "postgres")
    );
    populate(&*lite.store).await;
    let from_lite = lite.store.dump().await.unwrap();
    let pg_copy = pg.fresh().await;
    pg_copy.store.restore(&from_lite).await.unwrap();
    assert_same(&*lite.store, &*pg_copy.store).await;

    populate(&*pg.store).await;
    let lite_copy = lite.fresh().await;
    lite_copy
        .store
        .restore(&pg.store.dump().await.unwrap())
        .await
        .unwrap();
    assert_same(&*pg.store, &*lite_copy.store).await;

    // Both directions produce the same JSON layout.
    let keys = |d: &Dump| -> BTreeSet<String> {
        match serde_json::to_value(d).unwrap() {
            serde_json::Value::Object(m) => m.keys().cloned().collect(),
            _ => unreachable!(),
        }
    };
    assert_eq!(keys(&from_lite), keys(&pg.store.dump().await.unwrap()));
}

/// Every write of a record keeps a revision in its history, with who wrote
/// it, in the write's own transaction: a failed write leaves none, and the
/// history survives a dump and restore.
pub async fn record_history_keeps_every_revision(fx: &TestDb) {
    let s = &*fx.store;
    new_room(s, "lease").await;
    let first = rec("stance", "st1", r#"{"stance":"accepts"}"#);
    insert(s, "lease", first.clone(), audit("alice", "stance.create")).await;
    let mut second = first.clone();
    second.body = r#"{"stance":"rejects"}"#.into();
    second.visibility = r#"{"scope":"mediator"}"#.into();
    s.put_record("lease", &second, Some(1), audit("bob", "stance.edit"))
        .await
        .unwrap();
    // A stale write fails and leaves no revision behind.
    assert_conflict(
        s.put_record("lease", &first, Some(1), audit("eve", "stance.edit"))
            .await,
        "expected revision 1",
    );
    let h = s.record_history("lease", "stance", "st1").await.unwrap();
    let seen: Vec<(i64, &str, &str, &str, &str)> = h
        .iter()
        .map(|r| {
            (
                r.revision,
                r.body.as_str(),
                r.visibility.as_str(),
                r.actor.as_str(),
                r.action.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                1,
                r#"{"stance":"accepts"}"#,
                first.visibility.as_str(),
                "alice",
                "stance.create"
            ),
            (
                2,
                r#"{"stance":"rejects"}"#,
                r#"{"scope":"mediator"}"#,
                "bob",
                "stance.edit"
            ),
        ]
    );
    assert!(s
        .record_history("lease", "stance", "nope")
        .await
        .unwrap()
        .is_empty());
    s.put_records("lease", &[second.clone()], "carol", "case.import")
        .await
        .unwrap();
    let h = s.record_history("lease", "stance", "st1").await.unwrap();
    assert_eq!(
        (h.len(), h[2].revision, h[2].actor.as_str()),
        (3, 3, "carol")
    );

    let dump = s.dump().await.unwrap();
    assert_eq!(dump.history.len(), 3);
    let copy = fx.fresh().await;
    copy.store.restore(&dump).await.unwrap();
    assert_eq!(
        copy.store
            .record_history("lease", "stance", "st1")
            .await
            .unwrap(),
        h
    );
}

/// The audit actions appended since the log had `before` entries.
async fn actions_since(s: &dyn Store, before: usize) -> Vec<String> {
    whole_log(s).await[before..]
        .iter()
        .map(|e| e.action.clone())
        .collect()
}

/// The (action, room) of the audit entries appended since the log had
/// `before` entries.
async fn actions_rooms(s: &dyn Store, before: usize) -> Vec<(String, Option<String>)> {
    whole_log(s).await[before..]
        .iter()
        .map(|e| (e.action.clone(), e.room.clone()))
        .collect()
}

pub async fn operators_and_first_start(fx: &TestDb) {
    let s = &*fx.store;
    assert_eq!(s.count_operators().await.unwrap(), 0);
    s.create_user(&user("dan"), audit("cli", "user.create"))
        .await
        .unwrap();
    assert!(!s.is_operator("dan").await.unwrap());
    let before = whole_log(s).await.len();

    s.create_operator(&user("olga"), true, audit("setup", "operator.create"))
        .await
        .unwrap();
    assert!(s.is_operator("olga").await.unwrap());
    assert_eq!(s.count_operators().await.unwrap(), 1);
    // The set-up link makes one operator only: a second use is refused
    // and leaves no user behind.
    assert_conflict(
        s.create_operator(&user("otto"), true, audit("setup", "operator.create"))
            .await,
        "operator exists",
    );
    assert!(s.user("otto").await.unwrap().is_none());
    // The CLI may add more.
    s.create_operator(&user("otto"), false, audit("cli", "operator.create"))
        .await
        .unwrap();
    assert_conflict(
        s.create_operator(&user("dan"), false, audit("cli", "operator.create"))
            .await,
        "\"dan\"",
    );
    assert!(
        !s.is_operator("dan").await.unwrap(),
        "a refused create changes nothing"
    );
    s.set_operator("dan", true, audit("cli", "operator.add"))
        .await
        .unwrap();
    s.set_operator("otto", false, audit("cli", "operator.remove"))
        .await
        .unwrap();
    assert!(s.is_operator("dan").await.unwrap());
    assert!(!s.is_operator("otto").await.unwrap());
    assert!(!s.is_operator("nobody").await.unwrap());
    assert_eq!(s.count_operators().await.unwrap(), 2);
    assert_not_found(
        s.set_operator("nobody", true, audit("cli", "operator.add"))
            .await,
        "\"nobody\"",
    );
    // Making an operator does not change the user's other fields.
    assert_eq!(
        s.user("dan").await.unwrap().unwrap().password_hash,
        user("dan").password_hash
    );
    assert_eq!(
        actions_since(s, before).await,
        [
            "operator.create",
            "operator.create",
            "operator.add",
            "operator.remove"
        ]
    );
    assert!(s.verify_audit().await.unwrap().ok());
}

pub async fn invitations_are_single_use_expiring_and_revocable(fx: &TestDb) {
    let s = &*fx.store;
    new_room(s, "r1").await;
    new_room(s, "r2").await;
    s.create_user(&user("taken"), audit("cli", "user.create"))
        .await
        .unwrap();
    let now = 1_800_000_000;
    for inv in [
        invitation("a", "r1", "p1", now + 100),
        invitation("b", "r1", "p2", now + 100),
        invitation("old", "r1", "p1", now),
        invitation("c", "r2", "p1", now + 100),
    ] {
        s.create_invitation(&inv, audit("mia", "invitation.create"))
            .await
            .unwrap();
    }
    assert_not_found(
        s.create_invitation(
            &invitation("x", "r9", "p1", now),
            audit("mia", "invitation.create"),
        )
        .await,
        "\"r9\"",
    );
    assert_conflict(
        s.create_invitation(
            &invitation("a", "r2", "p1", now),
            audit("mia", "invitation.create"),
        )
        .await,
        "\"a\"",
    );
    let listed = s.invitations("r1").await.unwrap();
    let ids: Vec<_> = listed.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "old"]);
    assert!(is_timestamp(&listed[0].created_at));
    assert_eq!(listed[0].state, InvitationState::Open);
    assert_eq!(s.invitation("hash-of-c").await.unwrap().unwrap().room, "r2");
    assert!(s.invitation("hash-of-zz").await.unwrap().is_none());

    let before = whole_log(s).await.len();
    // A taken name is refused and the invitation stays open.
    assert_conflict(
        s.use_invitation(
            "hash-of-a",
            &user("taken"),
            now,
            audit("taken", "invitation.use"),
        )
        .await,
        "\"taken\"",
    );
    assert_eq!(
        s.invitation("hash-of-a").await.unwrap().unwrap().state,
        InvitationState::Open
    );
    let used = s
        .use_invitation(
            "hash-of-a",
            &user("ann"),
            now,
            audit("ann", "invitation.use"),
        )
        .await
        .unwrap();
    assert_eq!(used.state, InvitationState::Used);
    assert_eq!(used.used_by.as_deref(), Some("ann"));
    assert!(s.user("ann").await.unwrap().is_some());
    assert_eq!(
        s.memberships("ann").await.unwrap(),
        [member("r1", "ann", "p1")]
    );
    let stored = s.invitation("hash-of-a").await.unwrap().unwrap();
    assert_eq!(stored, used);
    assert!(is_timestamp(stored.used_at.as_deref().unwrap()));

    // Used, expired, revoked: gone, and nothing is created.
    let gone = |r: pactum_store::Result<InvitationRow>, needle: &str| match r {
        Err(StoreError::Gone { what }) => assert!(what.contains(needle), "{what}"),
        other => panic!("expected Gone ({needle}), got {other:?}"),
    };
    gone(
        s.use_invitation(
            "hash-of-a",
            &user("ann2"),
            now,
            audit("ann2", "invitation.use"),
        )
        .await,
        "used",
    );
    gone(
        s.use_invitation(
            "hash-of-old",
            &user("ben"),
            now,
            audit("ben", "invitation.use"),
        )
        .await,
        "expired",
    );
    let revoked = s
        .revoke_invitation("r1", "b", audit("mia", "invitation.revoke"))
        .await
        .unwrap();
    assert_eq!(revoked.state, InvitationState::Revoked);
    gone(
        s.use_invitation(
            "hash-of-b",
            &user("cat"),
            now,
            audit("cat", "invitation.use"),
        )
        .await,
        "revoked",
    );
    gone(
        s.revoke_invitation("r1", "b", audit("mia", "invitation.revoke"))
            .await,
        "revoked",
    );
    gone(
        s.revoke_invitation("r1", "a", audit("mia", "invitation.revoke"))
            .await,
        "used",
    );
    // An invitation is revoked through its own room only.
    assert_not_found(
        s.revoke_invitation("r1", "c", audit("mia", "invitation.revoke"))
            .await,
        "\"c\"",
    );
    assert_not_found(
        s.use_invitation(
            "hash-of-zz",
            &user("dee"),
            now,
            audit("dee", "invitation.use"),
        )
        .await,
        "invitation",
    );
    for name in ["ann2", "ben", "cat", "dee"] {
        assert!(s.user(name).await.unwrap().is_none(), "{name}");
    }
    let states: Vec<_> = s
        .invitations("r1")
        .await
        .unwrap()
        .iter()
        .map(|i| i.state)
        .collect();
    assert_eq!(
        states,
        [
            InvitationState::Used,
            InvitationState::Revoked,
            InvitationState::Open
        ]
    );
    // One entry per successful write, about the room.
    let log = whole_log(s).await;
    let added: Vec<_> = log[before..]
        .iter()
        .map(|e| (e.action.as_str(), e.room.as_deref()))
        .collect();
    assert_eq!(
        added,
        [
            ("invitation.use", Some("r1")),
            ("invitation.revoke", Some("r1"))
        ]
    );
    assert!(s.verify_audit().await.unwrap().ok());
}

pub async fn concurrent_uses_of_one_invitation_seat_one_user(fx: &TestDb) {
    let s = fx.store.clone();
    new_room(&*s, "r1").await;
    s.create_invitation(
        &invitation("a", "r1", "p1", i64::MAX),
        audit("mia", "invitation.create"),
    )
    .await
    .unwrap();
    let results = all_at_once(&s, 8, |s, i| async move {
        s.use_invitation(
            "hash-of-a",
            &user(&format!("u{i}")),
            0,
            audit("x", "invitation.use"),
        )
        .await
    })
    .await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results
        .iter()
        .all(|r| r.is_ok() || matches!(r, Err(StoreError::Gone { .. }))));
    assert_eq!(s.members("r1").await.unwrap().len(), 1);
    assert_eq!(s.users().await.unwrap().len(), 1);
}

pub async fn removing_a_member_ends_their_sessions_and_tokens(fx: &TestDb) {
    let s = &*fx.store;
    for name in ["ann", "bob"] {
        s.create_user(&user(name), audit("cli", "user.create"))
            .await
            .unwrap();
    }
    new_room(s, "r1").await;
    new_room(s, "r2").await;
    for (room, name) in [("r1", "ann"), ("r2", "ann"), ("r1", "bob")] {
        s.add_member(&member(room, name, "p1"), audit("cli", "member.add"))
            .await
            .unwrap();
    }
    s.create_session(&session("sa", "ann", i64::MAX))
        .await
        .unwrap();
    s.create_session(&session("sb", "bob", i64::MAX))
        .await
        .unwrap();
    s.create_token(&token("ta", "ann"), audit("ann", "token.create"))
        .await
        .unwrap();
    s.create_token(&token("tb", "bob"), audit("bob", "token.create"))
        .await
        .unwrap();
    let before = whole_log(s).await.len();

    s.remove_member("r1", "ann", audit("mia", "member.remove"))
        .await
        .unwrap();
    assert_eq!(s.members("r1").await.unwrap(), [member("r1", "bob", "p1")]);
    assert_eq!(
        s.memberships("ann").await.unwrap(),
        [member("r2", "ann", "p1")]
    );
    assert!(s.session("sa").await.unwrap().is_none());
    assert!(s.token("ta").await.unwrap().is_none());
    assert!(
        s.session("sb").await.unwrap().is_some(),
        "others keep theirs"
    );
    assert!(s.token("tb").await.unwrap().is_some());
    assert!(s.user("ann").await.unwrap().is_some(), "the account stays");

    assert_not_found(
        s.remove_member("r1", "ann", audit("mia", "member.remove"))
            .await,
        "\"ann\"",
    );
    assert_not_found(
        s.remove_member("r9", "bob", audit("mia", "member.remove"))
            .await,
        "\"bob\"",
    );
    assert_eq!(
        actions_rooms(s, before).await,
        [("member.remove".to_string(), Some("r1".to_string()))]
    );
    // A seat can be given again.
    s.add_member(&member("r1", "ann", "p2"), audit("cli", "member.add"))
        .await
        .unwrap();
    assert!(s.verify_audit().await.unwrap().ok());
}

pub async fn tokens_are_listed_and_revoked_by_id(fx: &TestDb) {
    let s = &*fx.store;
    for name in ["ann", "bob"] {
        s.create_user(&user(name), audit("cli", "user.create"))
            .await
            .unwrap();
    }
    for (hash, name) in [("t1", "ann"), ("t2", "ann"), ("t3", "bob")] {
        s.create_token(&token(hash, name), audit(name, "token.create"))
            .await
            .unwrap();
    }
    let mut blank = token("t4", "ann");
    blank.id.clear();
    assert!(matches!(
        s.create_token(&blank, audit("ann", "token.create")).await,
        Err(StoreError::Invalid { .. })
    ));
    let mut same_id = token("t5", "bob");
    same_id.id = "id-of-t1".into();
    assert!(matches!(
        s.create_token(&same_id, audit("bob", "token.create")).await,
        Err(StoreError::Conflict { .. })
    ));
    let t1 = s.token("t1").await.unwrap().unwrap();
    assert_eq!((t1.id.as_str(), t1.expires_at), ("id-of-t1", 2_000_000_000));
    let mut ids: Vec<_> = s
        .tokens_of("ann")
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["id-of-t1", "id-of-t2"]);

    let before = whole_log(s).await.len();
    // Bob cannot revoke Ann's token, even knowing its id.
    assert_not_found(
        s.delete_token("bob", "id-of-t1", audit("bob", "token.revoke"))
            .await,
        "\"id-of-t1\"",
    );
    s.delete_token("ann", "id-of-t1", audit("ann", "token.revoke"))
        .await
        .unwrap();
    assert!(s.token("t1").await.unwrap().is_none());
    assert_eq!(s.tokens_of("ann").await.unwrap().len(), 1);

    s.create_session(&session("s1", "ann", i64::MAX))
        .await
        .unwrap();
    s.create_session(&session("s2", "ann", i64::MAX))
        .await
        .unwrap();
    s.create_session(&session("s3", "bob", i64::MAX))
        .await
        .unwrap();
    assert_eq!(s.delete_sessions_of("ann").await.unwrap(), 2);
    assert_eq!(
        s.delete_tokens_of("ann", audit("ann", "session.logout_everywhere"))
            .await
            .unwrap(),
        1
    );
    assert!(s.tokens_of("ann").await.unwrap().is_empty());
    assert!(s.session("s1").await.unwrap().is_none());
    assert!(s.session("s3").await.unwrap().is_some());
    assert_eq!(s.tokens_of("bob").await.unwrap().len(), 1);
    assert_eq!(
        actions_rooms(s, before).await,
        [
            ("token.revoke".to_string(), None),
            ("session.logout_everywhere".to_string(), None)
        ]
    );
}

pub async fn a_format_1_dump_still_restores(fx: &TestDb) {
    let s = &*fx.store;
    populate(s).await;
    // What a format-1 writer produced: no operators, invitations, token ids
    // or expiries.
    let mut v = serde_json::to_value(s.dump().await.unwrap()).unwrap();
    v["format"] = 1.into();
    let obj = v.as_object_mut().unwrap();
    obj.remove("operators");
    obj.remove("invitations");
    for t in obj["tokens"].as_array_mut().unwrap() {
        let t = t.as_object_mut().unwrap();
        t.remove("id");
        t.remove("expires_at");
    }
    let old: Dump = serde_json::from_value(v).unwrap();
    let copy = fx.fresh().await;
    copy.store.restore(&old).await.unwrap();
    let t = copy.store.token("tok-b").await.unwrap().unwrap();
    assert!(t.id.starts_with("tok_") && t.id.len() == 20, "{}", t.id);
    assert!(!t.id.contains("tok-b"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now + 29 * 86_400..now + 31 * 86_400).contains(&t.expires_at));
    assert_eq!(copy.store.count_operators().await.unwrap(), 0);
    assert!(copy.store.verify_audit().await.unwrap().ok());
    // And it dumps as the current format.
    assert_eq!(
        copy.store.dump().await.unwrap().format,
        pactum_store::DUMP_FORMAT
    );
}

pub async fn schema_1_tokens_get_an_id_and_an_expiry(fx: &TestDb) {
    let s = &*fx.store;
    for name in ["ann", "bob"] {
        s.create_user(&user(name), audit("cli", "user.create"))
            .await
            .unwrap();
    }
    // Back to schema 1 with two tokens, as a database written before
    // schema 2 would be (schema 3's history, schema 4's word index,
    // schema 5's inbox, schema 6's files and schema 7's change count go
    // too, and come back).
    crate::search::drop_word_index(fx).await;
    fx.exec(
        "DROP TABLE follows; DROP TABLE inbox_reads; DROP TABLE room_visits; \
         DROP TABLE webhooks; \
         DROP TABLE invitations; DROP INDEX tokens_by_id; DROP INDEX tokens_by_user; \
         DROP INDEX sessions_by_user; ALTER TABLE tokens DROP COLUMN id; \
         ALTER TABLE tokens DROP COLUMN expires_at; ALTER TABLE users DROP COLUMN operator; \
         DROP TABLE record_history; DROP TABLE files; ALTER TABLE rooms DROP COLUMN changes; \
         DELETE FROM pactum_schema WHERE version >= 2; \
         INSERT INTO tokens (token_hash, user_name, label, created_at) VALUES \
         ('old-1', 'ann', 'laptop', '2026-01-01T00:00:00.000Z'), \
         ('old-2', 'bob', 'ci', '2026-01-01T00:00:00.000Z');",
    )
    .await;
    let again = fx.reopen().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (t1, t2) = (
        again.token("old-1").await.unwrap().unwrap(),
        again.token("old-2").await.unwrap().unwrap(),
    );
    for t in [&t1, &t2] {
        assert!(t.id.starts_with("tok_") && t.id.len() > 8, "{}", t.id);
        assert!(!t.id.contains("old"), "{}", t.id);
        assert!((now + 29 * 86_400..now + 31 * 86_400).contains(&t.expires_at));
    }
    assert_ne!(t1.id, t2.id);
    assert_eq!(again.count_operators().await.unwrap(), 0);
    again
        .set_operator("ann", true, audit("cli", "operator.add"))
        .await
        .unwrap();
    new_room(&*again, "r1").await;
    again
        .create_invitation(
            &invitation("a", "r1", "p1", i64::MAX),
            audit("ann", "invitation.create"),
        )
        .await
        .unwrap();
    again
        .delete_token("bob", &t2.id, audit("bob", "token.revoke"))
        .await
        .unwrap();
    assert_eq!(
        fx.query_text("SELECT CAST(MAX(version) AS TEXT) FROM pactum_schema")
            .await,
        "7"
    );
}

/// A document's file: stored with its audit entry, replaced by a second
/// upload, refused for a record that is not a document, and carried by a
/// dump byte for byte (a dump whose bytes were changed is refused).
pub async fn files_are_stored_replaced_and_dumped(fx: &TestDb) {
    let s = &*fx.store;
    s.create_room(&room("r"), audit("alice", "room.create"))
        .await
        .unwrap();
    insert(s, "r", rec("document", "d1", "{}"), audit("alice", "put")).await;
    insert(s, "r", rec("text", "t1", "{}"), audit("alice", "put")).await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_001).collect();
    let file = |id: &str, bytes: Vec<u8>| pactum_store::NewFile {
        record_id: id.into(),
        name: "Annexe é.pdf".into(),
        content_type: "application/pdf".into(),
        bytes,
    };
    let meta = s
        .put_file(
            "r",
            &file("d1", b"first".to_vec()),
            audit("alice", "document.file"),
        )
        .await
        .unwrap();
    assert_eq!(meta.size, 5);
    let meta = s
        .put_file(
            "r",
            &file("d1", bytes.clone()),
            audit("alice", "document.file"),
        )
        .await
        .unwrap();
    assert_eq!(meta.size, 70_001);
    assert!(matches!(
        s.put_file(
            "r",
            &file("t1", b"x".to_vec()),
            audit("alice", "document.file")
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    let row = s.file("r", "d1").await.unwrap().unwrap();
    assert!(row.bytes == bytes);
    assert_eq!(row.meta, meta);
    assert_eq!(s.files("r").await.unwrap(), std::slice::from_ref(&meta));
    assert!(s.file("r", "t1").await.unwrap().is_none());
    let log = s.audit(Some("r"), 0, 100).await.unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "document.file").count(),
        2
    );

    let json = serde_json::to_string(&s.dump().await.unwrap()).unwrap();
    let dump: Dump = serde_json::from_str(&json).unwrap();
    assert_eq!(dump.files.len(), 1);
    let copy = fx.fresh().await;
    copy.store.restore(&dump).await.unwrap();
    let back = copy.store.file("r", "d1").await.unwrap().unwrap();
    assert!(back.bytes == bytes);
    assert_eq!(back.meta, meta);

    let mut bad = dump.clone();
    bad.files[0].bytes[0] ^= 1;
    let empty = fx.fresh().await;
    assert_corrupt(empty.store.restore(&bad).await, "SHA-256");
}

/// Every write of a room's records raises the room's change count in its
/// own transaction, on every handle to the database; a refused write,
/// another room's write and an audit append do not. (The server keeps what
/// it read of a room only as long as the count stands still.)
async fn changes(s: &dyn Store) -> i64 {
    s.room_changes("r1").await.unwrap().unwrap().1
}

pub async fn room_changes_count_every_record_write(fx: &TestDb) {
    let s = fx.store.as_ref();
    new_room(s, "r1").await;
    new_room(s, "r2").await;
    let (row, start) = s.room_changes("r1").await.unwrap().unwrap();
    assert_eq!(row, s.room("r1").await.unwrap().unwrap());
    assert!(s.room_changes("nowhere").await.unwrap().is_none());
    let first = insert(s, "r1", rec("stance", "a", "{}"), audit("bob", "x")).await;
    assert_eq!(changes(s).await, start + 1);
    // A stale update is refused and counts nothing.
    assert!(s
        .put_record(
            "r1",
            &rec("stance", "a", "{\"v\":2}"),
            Some(first.revision + 5),
            audit("bob", "x")
        )
        .await
        .is_err());
    assert_eq!(changes(s).await, start + 1);
    s.put_record(
        "r1",
        &rec("stance", "a", "{\"v\":2}"),
        Some(first.revision),
        audit("bob", "x"),
    )
    .await
    .unwrap();
    assert_eq!(changes(s).await, start + 2);
    s.put_records(
        "r1",
        &[rec("note", "n1", "{}"), rec("note", "n2", "{}")],
        "bob",
        "import",
    )
    .await
    .unwrap();
    assert_eq!(changes(s).await, start + 3);
    let set = [RecordWrite {
        rec: rec("note", "n3", "{}"),
        expected_revision: None,
        audit: audit("bob", "x"),
    }];
    s.put_record_set("r1", &set).await.unwrap();
    assert_eq!(changes(s).await, start + 4);
    s.update_room("r1", "New title", audit("bob", "rename"), &[])
        .await
        .unwrap();
    s.append_audit(&[audit("bob", "read")]).await.unwrap();
    insert(s, "r2", rec("stance", "b", "{}"), audit("bob", "x")).await;
    assert_eq!(changes(s).await, start + 4);
    // Another process's handle sees the same count, and its writes count.
    let other = fx.reopen().await;
    assert_eq!(changes(other.as_ref()).await, start + 4);
    insert(
        other.as_ref(),
        "r1",
        rec("stance", "c", "{}"),
        audit("bob", "x"),
    )
    .await;
    assert_eq!(changes(s).await, start + 5);
}
