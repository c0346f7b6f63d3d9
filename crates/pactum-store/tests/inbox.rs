//! Each user's inbox state (schema 5) on both backends: follows, read
//! marks, overview visits and webhooks, each a user's own.

use pactum_store::{MemberRow, NewAudit, RoomRow, Store, StoreError, UserRow, WebhookRow};
use pactum_testkit::db::TestDb;

async fn seeded(s: &dyn Store) {
    s.create_room(
        &RoomRow {
            id: "r1".into(),
            title: "Room".into(),
            created_at: String::new(),
        },
        NewAudit::new("op", "room.create"),
    )
    .await
    .unwrap();
    for name in ["ann", "bob"] {
        s.create_user(
            &UserRow {
                name: name.into(),
                display_name: name.into(),
                password_hash: "x".into(),
                created_at: String::new(),
            },
            NewAudit::new("op", "user.create"),
        )
        .await
        .unwrap();
    }
    s.add_member(
        &MemberRow {
            room: "r1".into(),
            user: "ann".into(),
            party_id: "p1".into(),
        },
        NewAudit::new("op", "member.add"),
    )
    .await
    .unwrap();
}

async fn inbox_state_is_each_users_own(fx: TestDb) {
    let s = &*fx.store;
    seeded(s).await;
    // Follows: idempotent both ways, per user and room.
    s.set_follow("ann", "r1", "t1.p1", true).await.unwrap();
    s.set_follow("ann", "r1", "t1.p1", true).await.unwrap();
    s.set_follow("ann", "r1", "t1.p2", true).await.unwrap();
    s.set_follow("ann", "r1", "t1.p2", false).await.unwrap();
    s.set_follow("ann", "r1", "t1.p9", false).await.unwrap();
    assert_eq!(s.follows("ann", "r1").await.unwrap(), ["t1.p1"]);
    assert!(s.follows("bob", "r1").await.unwrap().is_empty());
    assert!(matches!(
        s.set_follow("ann", "nope", "t1.p1", true).await,
        Err(StoreError::NotFound { .. })
    ));
    // Read marks.
    s.mark_read("ann", &["a".into(), "b".into()]).await.unwrap();
    s.mark_read("ann", &["b".into()]).await.unwrap();
    let mut marks = s.read_marks("ann").await.unwrap();
    marks.sort();
    assert_eq!(marks, ["a", "b"]);
    assert!(s.read_marks("bob").await.unwrap().is_empty());
    // Visits: the first has no last one; a view within the gap continues
    // the visit; one after it starts a new visit since the last view.
    let t = |m: u32| format!("2026-01-01T00:{m:02}:00.000Z");
    assert_eq!(s.visit_room("ann", "r1", &t(0), &t(0)).await.unwrap(), None);
    assert_eq!(s.visit_room("ann", "r1", &t(5), &t(0)).await.unwrap(), None);
    assert_eq!(
        s.visit_room("ann", "r1", &t(50), &t(20)).await.unwrap(),
        Some(t(5))
    );
    assert_eq!(
        s.visit_room("ann", "r1", &t(55), &t(25)).await.unwrap(),
        Some(t(5))
    );
    // What changed since a time: newest first, none before it.
    let row = |id: &str| pactum_store::NewRecord {
        kind: "note".into(),
        id: id.into(),
        visibility: "{}".into(),
        body: "{}".into(),
    };
    s.put_record("r1", &row("n1"), None, NewAudit::new("ann", "note.create"))
        .await
        .unwrap();
    let cut = s
        .changed_since("r1", "2000-01-01T00:00:00.000Z")
        .await
        .unwrap();
    assert_eq!(cut.len(), 1);
    let first_at = cut[0].2.clone();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    s.put_record("r1", &row("n2"), None, NewAudit::new("ann", "note.create"))
        .await
        .unwrap();
    let all: Vec<String> = s
        .changed_since("r1", "2000-01-01T00:00:00.000Z")
        .await
        .unwrap()
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();
    assert_eq!(all, ["n2", "n1"]);
    let later = s.changed_since("r1", &first_at).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].1, "n2");
    // Webhooks: audited, listed per user and per room's members, deleted
    // only by their user.
    let hook = WebhookRow {
        id: "hook_1".into(),
        user: "ann".into(),
        url: "https://example.org/h".into(),
        origin: "https://ws.example".into(),
        created_at: String::new(),
    };
    s.add_webhook(&hook, NewAudit::new("ann", "webhook.add"))
        .await
        .unwrap();
    let mine = s.webhooks_of("ann").await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].id.as_str(), mine[0].url.as_str()),
        ("hook_1", "https://example.org/h")
    );
    assert!(!mine[0].created_at.is_empty());
    assert_eq!(s.webhooks_in_room("r1").await.unwrap().len(), 1);
    let mut bobs = hook.clone();
    bobs.id = "hook_2".into();
    bobs.user = "bob".into();
    s.add_webhook(&bobs, NewAudit::new("bob", "webhook.add"))
        .await
        .unwrap();
    // Bob holds no seat in r1: his hook is not the room's.
    assert_eq!(s.webhooks_in_room("r1").await.unwrap().len(), 1);
    assert!(matches!(
        s.delete_webhook("bob", "hook_1", NewAudit::new("bob", "webhook.delete"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    s.delete_webhook("ann", "hook_1", NewAudit::new("ann", "webhook.delete"))
        .await
        .unwrap();
    assert!(s.webhooks_of("ann").await.unwrap().is_empty());
    let actions: Vec<String> = s
        .audit(None, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("webhook."))
        .collect();
    assert_eq!(actions, ["webhook.add", "webhook.add", "webhook.delete"]);
    assert_eq!(s.verify_audit().await.unwrap().first_bad, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_state_on_sqlite() {
    inbox_state_is_each_users_own(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_state_on_postgres() {
    let Some(fx) = TestDb::postgres().await else {
        return;
    };
    inbox_state_is_each_users_own(fx).await;
}
