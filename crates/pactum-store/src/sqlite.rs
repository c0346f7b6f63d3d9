//! The SQLite backend: one file, WAL, writers serialised.
//!
//! Write transactions start with `BEGIN IMMEDIATE`, which takes SQLite's
//! write lock before the first read, so a transaction that reads the audit
//! head is never overtaken by another writer (a deferred transaction would
//! fail with "database is locked" when it tried to upgrade). Within one
//! process, writers also queue on an async mutex so they wait their turn
//! instead of spinning on SQLite's busy handler; other processes are waited
//! for by the busy timeout.

use std::io;
use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tokio::sync::{Mutex, MutexGuard};

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/sqlite/0001_init.sql"))];

/// How long a writer waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct SqliteStore {
    pool: SqlitePool,
    write_lock: Mutex<()>,
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
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let store = SqliteStore {
            pool,
            write_lock: Mutex::new(()),
        };
        {
            let mut w = store.begin_write().await?;
            migrate(&mut w.tx, MIGRATIONS).await?;
            w.tx.commit().await?;
        }
        Ok(store)
    }

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

crate::shared::store_impl!(SqliteStore, sqlx::SqliteConnection, "sqlite");
