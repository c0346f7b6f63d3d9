//! The word index a search's prefilter reads (`Store::search_candidates`),
//! on both backends: it finds every record whose strings hold every query
//! word, in any script, and keeps up with every kind of write.

use std::collections::BTreeSet;

use pactum_store::words::{index_of, words};
use pactum_store::{Dump, NewAudit, NewRecord, RecordWrite, RoomRow, Store, StoreError};
use pactum_testkit::db::TestDb;

fn rec(kind: &str, id: &str, body: serde_json::Value) -> NewRecord {
    NewRecord {
        kind: kind.into(),
        id: id.into(),
        visibility: r#"{"to":"all"}"#.into(),
        body: body.to_string(),
    }
}

fn room(id: &str) -> RoomRow {
    RoomRow {
        id: id.into(),
        title: format!("Room {id}"),
        created_at: String::new(),
    }
}

/// The terms of a query as the server makes them.
fn terms(q: &str) -> Vec<String> {
    words(q).map(|(_, w)| w).collect()
}

async fn found(store: &dyn Store, room: &str, q: &str) -> BTreeSet<String> {
    store
        .search_candidates(room, &terms(q))
        .await
        .unwrap()
        .into_iter()
        .map(|(kind, id)| format!("{kind}/{id}"))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The records planted in room `r1` (and one in `r2`, which a search of
/// `r1` never returns).
fn planted() -> Vec<NewRecord> {
    use serde_json::json;
    vec![
        rec(
            "text",
            "t1",
            json!({"label": "Plan v1", "points": [
                {"id": "t1.p1", "topic": "Water", "text": "Water rights along the river\nJordan"},
                {"id": "t1.p2", "topic": "Правовой статус", "text": "Мирное урегулирование"}
            ]}),
        ),
        rec(
            "stance",
            "s1",
            json!({"summary": "Accepts the CEASEFIRE", "amendment": "«Прекращение огня»",
                   "provenance": {"source": "Reuters", "quote": "القُدْس الشريف"}}),
        ),
        rec("note", "n1", json!({"text": "Café crème; naïve façade."})),
        rec("note", "n2", json!({"text": "cafe creme, naive facade"})),
        rec(
            "amendment",
            "a1",
            json!({"wording": "Waterfall clause", "extra": {"deep": ["Zebra"]}}),
        ),
    ]
}

async fn setup(store: &dyn Store) {
    for r in ["r1", "r2"] {
        store
            .create_room(&room(r), NewAudit::new("alice", "room.create"))
            .await
            .unwrap();
    }
    store
        .put_records("r1", &planted(), "alice", "case.import")
        .await
        .unwrap();
    store
        .put_record(
            "r2",
            &rec("note", "n9", serde_json::json!({"text": "water zebra"})),
            None,
            NewAudit::new("alice", "note.create"),
        )
        .await
        .unwrap();
}

/// Exact words, any case, any script, accents kept, across nested
/// strings, and every query word required.
pub async fn the_index_finds_every_word_in_any_script(fx: &TestDb) {
    let s = &*fx.store;
    setup(s).await;
    for (q, want) in [
        ("water", &["text/t1"][..]),
        ("WATER", &["text/t1"]),
        ("waterfall", &["amendment/a1"]),
        ("jordan river", &["text/t1"]),
        ("water mars", &[]),
        ("мирное", &["text/t1"]),
        ("ПРЕКРАЩЕНИЕ огня", &["stance/s1"]),
        ("القُدْس", &["stance/s1"]),
        ("القدس", &[]),
        ("café", &["note/n1"]),
        ("cafe", &["note/n2"]),
        ("naïve façade", &["note/n1"]),
        ("ceasefire reuters", &["stance/s1"]),
        ("zebra", &["amendment/a1"]),
        ("nowhere", &[]),
    ] {
        assert_eq!(found(s, "r1", q).await, set(want), "query {q:?}");
    }
}

/// Updates, upserts, record sets, imports and restores all keep the index
/// in step with the bodies.
pub async fn the_index_follows_every_write(fx: &TestDb) {
    use serde_json::json;
    let s = &*fx.store;
    setup(s).await;
    let row = s
        .put_record(
            "r1",
            &rec("note", "n1", json!({"text": "replaced by harbour"})),
            Some(1),
            NewAudit::new("alice", "note.edit"),
        )
        .await
        .unwrap();
    assert_eq!(found(s, "r1", "café").await, set(&[]));
    assert_eq!(found(s, "r1", "harbour").await, set(&["note/n1"]));
    s.put_record_set(
        "r1",
        &[RecordWrite {
            rec: rec("note", "n1", json!({"text": "lighthouse"})),
            expected_revision: Some(row.revision),
            audit: NewAudit::new("alice", "note.edit"),
        }],
    )
    .await
    .unwrap();
    assert_eq!(found(s, "r1", "harbour").await, set(&[]));
    assert_eq!(found(s, "r1", "lighthouse").await, set(&["note/n1"]));
    s.put_records(
        "r1",
        &[rec("note", "n2", json!({"text": "lighthouse keeper"}))],
        "alice",
        "case.import",
    )
    .await
    .unwrap();
    assert_eq!(
        found(s, "r1", "lighthouse").await,
        set(&["note/n1", "note/n2"])
    );
    s.import_room(
        &room("r3"),
        NewAudit::new("alice", "room.create"),
        &[rec("note", "x", json!({"text": "lighthouse"}))],
        "alice",
        "case.import",
    )
    .await
    .unwrap();
    assert_eq!(found(s, "r3", "lighthouse").await, set(&["note/x"]));

    // A restored database has its index.
    let dump: Dump = s.dump().await.unwrap();
    let other = fx.fresh().await;
    other.store.restore(&dump).await.unwrap();
    for q in ["lighthouse", "water", "мирное", "zebra"] {
        assert_eq!(
            found(&*other.store, "r1", q).await,
            found(s, "r1", q).await,
            "{q}"
        );
    }
}

/// A record whose words cannot be indexed is a candidate of every search,
/// so the prefilter still misses nothing.
pub async fn unindexed_records_are_always_candidates(fx: &TestDb) {
    let s = &*fx.store;
    setup(s).await;
    let huge: String = (0..40_000).map(|i| format!("w{i} ")).collect();
    assert_eq!(
        index_of(&serde_json::json!({ "text": huge }).to_string()),
        None
    );
    s.put_record(
        "r1",
        &rec("note", "big", serde_json::json!({ "text": huge })),
        None,
        NewAudit::new("alice", "note.create"),
    )
    .await
    .unwrap();
    assert_eq!(found(s, "r1", "w39999").await, set(&["note/big"]));
    assert_eq!(found(s, "r1", "water").await, set(&["note/big", "text/t1"]));
    assert_eq!(found(s, "r2", "water").await, set(&["note/n9"]));
}

/// Terms are words as `words` makes them; anything else is refused.
pub async fn bad_terms_are_refused(fx: &TestDb) {
    let s = &*fx.store;
    setup(s).await;
    for bad in [vec![], vec!["two words".to_string()], vec![String::new()]] {
        match s.search_candidates("r1", &bad).await {
            Err(StoreError::Invalid { .. }) => {}
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    // Quotes cannot break out of the query either backend builds.
    assert_eq!(
        s.search_candidates("r1", &["x\"y".into(), "o'k".into(), "a\\b".into()])
            .await
            .unwrap(),
        []
    );
}

/// Takes a database back to before schema 4, as one written by an older
/// build would be (its records keep their bodies, without words).
pub async fn drop_word_index(fx: &TestDb) {
    if fx.store.backend() == "sqlite" {
        fx.exec(
            "DROP TRIGGER record_words_insert; DROP TRIGGER record_words_delete; \
             DROP TRIGGER record_words_update; DROP TABLE record_words;",
        )
        .await;
    }
    fx.exec(
        "DROP INDEX IF EXISTS records_words; DROP INDEX records_unindexed; \
         ALTER TABLE records DROP COLUMN words; DELETE FROM pactum_schema WHERE version = 4;",
    )
    .await;
}

/// Records written before the word index get their words when a build
/// that has it first opens the database.
pub async fn records_stored_before_the_index_get_their_words(fx: &TestDb) {
    setup(&*fx.store).await;
    drop_word_index(fx).await;
    let again = fx.reopen().await;
    for (q, want) in [
        ("water", &["text/t1"][..]),
        ("прекращение", &["stance/s1"]),
        ("café", &["note/n1"]),
    ] {
        assert_eq!(found(&*again, "r1", q).await, set(want), "{q}");
    }
}

/// The prefilter never misses: for strings chosen to trouble tokenizers
/// (Turkish dotted capitals, Georgian capitals newer than SQLite's Unicode
/// tables, final sigma, ß, combining marks, private-use and unassigned
/// characters, digits of other scripts, joiners, emoji, quotes), every
/// word `words` makes of a record's string finds that record, alone and
/// with any other word of it.
pub async fn no_word_of_a_record_is_missed(fx: &TestDb) {
    let s = &*fx.store;
    setup(s).await;
    let strings = [
        "İSTANBUL Istanbul ıi KİTAP",
        "ᲡᲐᲥᲐᲠᲗᲕᲔᲚᲝ საქართველო",
        "ΟΔΥΣΣΕΥΣ Ὀδυσσεύς σοφός",
        "STRASSE Straße ﬁnal ǅemal",
        "e\u{301}te\u{301} café caf\u{e9} n\u{303}",
        "\u{e000}priv\u{e001} x\u{10ffff}y word\u{378}word",
        "٣٤٥ ۱۲۳ १२३ ４５６ Ⅻ ½",
        "a\u{200d}b c\u{200b}d 👩\u{200d}💻 🇺🇦 e\u{fe0f}",
        "don't \"quoted\" back\\slash 'single' a*b (x) -y +z",
        "ＦＵＬＬＷＩＤＴＨ ﾊﾝｶｸ 漢字かな交じり 한국어",
        "ⓐⓑⓒ ⒶⒷⒸ ℌ𝔢𝔩𝔩𝔬 𝐁𝐨𝐥𝐝",
    ];
    let recs: Vec<NewRecord> = strings
        .iter()
        .enumerate()
        .map(|(i, t)| rec("note", &format!("u{i}"), serde_json::json!({ "text": t })))
        .collect();
    s.put_records("r1", &recs, "alice", "case.import")
        .await
        .unwrap();
    for (i, t) in strings.iter().enumerate() {
        let key = format!("note/u{i}");
        let ws: Vec<String> = words(t).map(|(_, w)| w).collect();
        assert!(!ws.is_empty(), "{t:?}");
        for (j, w) in ws.iter().enumerate() {
            let got = found_terms(s, std::slice::from_ref(w)).await;
            assert!(got.contains(&key), "{w:?} of {t:?} missed: {got:?}");
            let other = ws[(j + 1) % ws.len()].clone();
            let got = found_terms(s, &[w.clone(), other.clone()]).await;
            assert!(got.contains(&key), "{w:?} + {other:?} of {t:?} missed");
        }
    }
}

async fn found_terms(store: &dyn Store, terms: &[String]) -> BTreeSet<String> {
    store
        .search_candidates("r1", terms)
        .await
        .unwrap()
        .into_iter()
        .map(|(kind, id)| format!("{kind}/{id}"))
        .collect()
}
