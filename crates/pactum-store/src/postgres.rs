//! The PostgreSQL backend, for several server processes on one database.
//!
//! Every write transaction first takes a transaction-scoped advisory lock
//! with a fixed key. That serialises all writers across processes, so each
//! reads the audit head only after the previous writer committed (READ
//! COMMITTED takes a fresh snapshot per statement) and the chain never
//! forks. The lock is released by COMMIT or ROLLBACK, so a crashed writer
//! cannot leave it held. Reads take no lock. The group writer (see
//! `group.rs`) takes the lock once per group.

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_people.sql")),
    (
        3,
        include_str!("../migrations/postgres/0003_record_history.sql"),
    ),
    (4, include_str!("../migrations/postgres/0004_search.sql")),
    (5, include_str!("../migrations/postgres/0005_inbox.sql")),
    (6, include_str!("../migrations/postgres/0006_files.sql")),
    (
        7,
        include_str!("../migrations/postgres/0007_room_changes.sql"),
    ),
];

/// A search's candidates (see `Store::search_candidates`): the records of
/// room `$1` whose words (as the migration's index makes them lexemes)
/// match the text search query `$2` ([`match_query`]), and those stored
/// without words.
const CANDIDATES: &str = "SELECT kind, id FROM records WHERE room = $1 \
     AND array_to_tsvector(string_to_array(words, ' ')) @@ $2::tsquery \
     UNION ALL SELECT kind, id FROM records WHERE room = $1 AND words IS NULL";

/// Every term as a quoted lexeme, taken as it is (a `tsquery` literal is not
/// normalised), all required.
fn match_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The advisory lock key: "pactum" in ASCII, then 1 (the audit chain).
const WRITE_LOCK_KEY: i64 = 0x7061_6374_756d_0001;

pub(crate) struct PgStore {
    core: PgCore,
    writer: crate::group::Writer,
}

/// What the store and its group writer task share.
#[derive(Clone)]
pub(crate) struct PgCore {
    pool: PgPool,
}

/// A write transaction holding the advisory lock.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Postgres>,
}

impl PgStore {
    pub(crate) async fn connect(url: &str) -> crate::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect(url)
            .await?;
        start(PgCore { pool }, MIGRATIONS).await
    }
}

impl PgCore {
    async fn begin_write(&self) -> crate::Result<WriteTx> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        Ok(WriteTx { tx })
    }

    /// REPEATABLE READ so that a dump or a chain check sees the tables as of
    /// one moment even while writers go on.
    async fn begin_snapshot(&self) -> crate::Result<Transaction<'static, Postgres>> {
        Ok(self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?)
    }
}

crate::shared::store_impl!(PgStore, PgCore, sqlx::PgConnection, "postgres");
