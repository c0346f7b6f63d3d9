//! The SQLite backend: one file, WAL, writers serialised.
//!
//! Write transactions start with `BEGIN IMMEDIATE`, which takes SQLite's
//! write lock before the first read, so a transaction that reads the audit
//! head is never overtaken by another writer (a deferred transaction would
//! fail with "database is locked" when it tried to upgrade). Within one
//! process, writers also queue on an async mutex so they wait their turn
//! instead of spinning on SQLite's busy handler; other processes are waited
//! for by the busy timeout. The group writer (see `group.rs`) queues on the
//! same mutex, once per group.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tokio::sync::{oneshot, Mutex, MutexGuard};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_people.sql")),
    (
        3,
        include_str!("../migrations/sqlite/0003_record_history.sql"),
    ),
    (4, include_str!("../migrations/sqlite/0004_search.sql")),
    (5, include_str!("../migrations/sqlite/0005_inbox.sql")),
    (6, include_str!("../migrations/sqlite/0006_files.sql")),
    (
        7,
        include_str!("../migrations/sqlite/0007_room_changes.sql"),
    ),
];

/// A search's candidates (see `Store::search_candidates`): the records of
/// room `$1` whose words match the FTS5 query `$2` ([`match_query`]), and
/// those stored without words. `CROSS JOIN` keeps SQLite's planner from
/// walking the room's every record by `records_by_room` and testing each
/// against the matches: the index's matches lead, each found by its rowid.
const CANDIDATES: &str = "SELECT records.kind, records.id FROM record_words \
     CROSS JOIN records ON records.pos = record_words.rowid \
     WHERE record_words MATCH $2 AND records.room = $1 \
     UNION ALL SELECT kind, id FROM records WHERE room = $1 AND words IS NULL";

/// Every term as an FTS5 string (one token each, see the migration's
/// tokenizer), all required.
fn match_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// How long a writer waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the WAL is checkpointed, off the commit path (see
/// [`checkpoints`]).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

pub(crate) struct SqliteStore {
    core: SqliteCore,
    writer: crate::group::Writer,
}

/// What the store and its group writer task share: the pool and the
/// in-process write lock.
#[derive(Clone)]
pub(crate) struct SqliteCore {
    pool: SqlitePool,
    write_lock: Arc<Mutex<()>>,
    /// Dropped with the last clone of the store, which ends the
    /// checkpointing task and with it its handle on the pool.
    _checkpoints: Arc<oneshot::Sender<()>>,
}

/// A write transaction; the mutex guard is released after it ends.
pub(crate) struct WriteTx<'a> {
    tx: Transaction<'static, Sqlite>,
    _turn: MutexGuard<'a, ()>,
}

impl SqliteStore {
    pub(crate) async fn open(path: &Path) -> crate::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(crate::StoreError::Io {
                    path: dir.to_owned(),
                    source: io::Error::new(io::ErrorKind::NotFound, "no such directory"),
                });
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let core = SqliteCore {
            _checkpoints: Arc::new(checkpoints(pool.clone())),
            pool,
            write_lock: Arc::new(Mutex::new(())),
        };
        start(core, MIGRATIONS).await
    }
}

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] until the returned sender
/// is dropped.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its
/// threshold, and with `synchronous=FULL` it syncs the database file there,
/// while the store's write turn is still held: every write queued behind it
/// (audited reads write too) waited for it, which showed as one read stall
/// of tens of milliseconds per benchmark run. Automatic checkpoints are
/// off (`wal_autocheckpoint=0`) and this task runs passive ones instead,
/// which never wait for readers or writers, so the WAL stays short without
/// a commit ever paying for it.
fn checkpoints(pool: SqlitePool) -> oneshot::Sender<()> {
    let (stop, mut stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = tick.tick() => {
                    // A failed checkpoint leaves the WAL for the next one;
                    // nothing is lost.
                    let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&pool)
                        .await;
                }
            }
        }
    });
    stop
}

impl SqliteCore {
    async fn begin_write(&self) -> crate::Result<WriteTx<'_>> {
        let turn = self.write_lock.lock().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _turn: turn })
    }

    /// In WAL mode a deferred transaction reads one snapshot from its first
    /// read to its end, without blocking writers.
    async fn begin_snapshot(&self) -> crate::Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin().await?)
    }
}

crate::shared::store_impl!(SqliteStore, SqliteCore, sqlx::SqliteConnection, "sqlite");

#[cfg(test)]
mod tests {
    use tokio::sync::oneshot;

    use super::*;
    use crate::group::Job;
    use crate::{NewAudit, NewRecord, RecordRow, Result, RoomRow, Store, StoreError};

    fn rec(id: &str) -> NewRecord {
        NewRecord {
            kind: "text".into(),
            id: id.into(),
            visibility: "{}".into(),
            body: format!("{{\"id\":\"{id}\"}}"),
        }
    }

    fn put(
        room: &str,
        id: &str,
        expected_revision: Option<i64>,
        actor: &str,
    ) -> (Job, oneshot::Receiver<Result<RecordRow>>) {
        let (reply, answer) = oneshot::channel();
        let job = Job::PutRecord {
            room: room.into(),
            rec: rec(id),
            expected_revision,
            audit: NewAudit::new(actor, "put"),
            reply,
        };
        (job, answer)
    }

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("g.db")).await.unwrap();
        let room = RoomRow {
            id: "r1".into(),
            title: "R".into(),
            created_at: String::new(),
        };
        store
            .create_room(&room, NewAudit::new("alice", "room.create"))
            .await
            .unwrap();
        (dir, store)
    }

    /// Automatic checkpoints are off, so without the checkpointing task the
    /// database file would never grow past its schema: everything written
    /// would stay in the WAL. With it, what was committed reaches the file.
    #[tokio::test]
    async fn the_wal_is_checkpointed_off_the_commit_path() {
        let (dir, store) = store().await;
        let file = dir.path().join("g.db");
        tokio::time::sleep(CHECKPOINT_EVERY * 2).await;
        let before = std::fs::metadata(&file).unwrap().len();
        for i in 0..300 {
            store
                .put_record(
                    "r1",
                    &rec(&format!("t{i}")),
                    None,
                    NewAudit::new("alice", "put"),
                )
                .await
                .unwrap();
        }
        let wal = dir.path().join("g.db-wal");
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 0,
            "writes go to the WAL first"
        );
        let mut grown = false;
        for _ in 0..20 {
            tokio::time::sleep(CHECKPOINT_EVERY / 2).await;
            if std::fs::metadata(&file).unwrap().len() > before {
                grown = true;
                break;
            }
        }
        assert!(
            grown,
            "no checkpoint moved the writes into {}",
            file.display()
        );
    }

    /// Calls the group writer directly with one group, so that the jobs
    /// share one transaction whatever the timing.
    #[tokio::test]
    async fn a_failed_write_is_undone_alone_within_its_group() {
        let (_dir, store) = store().await;
        store
            .put_record("r1", &rec("a"), None, NewAudit::new("alice", "put"))
            .await
            .unwrap();

        let (j0, a0) = put("r1", "a", Some(1), "w0");
        // Sees job 0's update, made in the same transaction.
        let (j1, a1) = put("r1", "a", Some(1), "w1");
        let (j2, a2) = put("nowhere", "x", None, "w2");
        let (audit_reply, a3) = oneshot::channel();
        let j3 = Job::AppendAudit {
            entries: vec![NewAudit::new("w3", "read"), NewAudit::new("w3", "read")],
            reply: audit_reply,
        };
        // The schema refuses the empty actor after the record was written.
        let (j4, a4) = put("r1", "b", None, "");
        let (j5, a5) = put("r1", "c", None, "w5");
        write_group(&store.core, vec![j0, j1, j2, j3, j4, j5]).await;

        assert_eq!(a0.await.unwrap().unwrap().revision, 2);
        match a1.await.unwrap() {
            Err(StoreError::Conflict { what }) => assert!(what.contains("stored revision 2")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            a2.await.unwrap(),
            Err(StoreError::NotFound { .. })
        ));
        a3.await.unwrap().unwrap();
        assert!(matches!(a4.await.unwrap(), Err(StoreError::Invalid { .. })));
        assert_eq!(a5.await.unwrap().unwrap().revision, 1);

        assert!(store.record("r1", "text", "b").await.unwrap().is_none());
        assert_eq!(store.records("r1", None).await.unwrap().len(), 2);
        let log = store.audit(None, 0, 100).await.unwrap();
        let actors: Vec<_> = log.iter().map(|e| e.actor.as_str()).collect();
        assert_eq!(actors, ["alice", "alice", "w0", "w3", "w3", "w5"]);
        assert!(store.verify_audit().await.unwrap().ok());
    }

    /// When the group's transaction cannot be had, every caller hears why.
    #[tokio::test]
    async fn a_failed_group_fails_every_caller() {
        let (_dir, store) = store().await;
        let (j0, a0) = put("r1", "a", None, "w0");
        let (j1, a1) = put("r1", "b", None, "w1");
        store.core.pool.close().await;
        write_group(&store.core, vec![j0, j1]).await;
        for answer in [a0, a1] {
            match answer.await.unwrap() {
                Err(StoreError::Database(sqlx::Error::PoolClosed)) => {}
                other => panic!("{other:?}"),
            }
        }
    }

    /// The writer task ends with the store instead of keeping the pool
    /// alive: the lock it shares with the store is released by both.
    #[tokio::test]
    async fn the_writer_ends_with_the_store() {
        let (_dir, store) = store().await;
        let lock = Arc::clone(&store.core.write_lock);
        assert_eq!(Arc::strong_count(&lock), 3, "store, writer and test");
        drop(store);
        tokio::time::timeout(Duration::from_secs(10), async {
            while Arc::strong_count(&lock) > 1 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the writer task did not end");
    }
}
