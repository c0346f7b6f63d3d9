//! Test databases for the store's and the server's suites (feature `db`):
//! a temporary SQLite file, or a PostgreSQL database created for one test
//! and dropped after it.
//!
//! PostgreSQL follows the crate's rule for what may be missing: without
//! [`URL_VAR`] the PostgreSQL tests are skipped (after saying so) outside
//! CI, and fail under `CI=true`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Once};
use std::time::{SystemTime, UNIX_EPOCH};

use pactum_store::Store;
use sqlx::Connection;

/// The variable naming a PostgreSQL server the tests may create databases on.
pub const URL_VAR: &str = "PACTUM_TEST_DATABASE_URL";

/// A database of one test.
pub struct TestDb {
    /// The store on it.
    pub store: Arc<dyn Store>,
    place: Place,
}

enum Place {
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres(PgDatabase),
}

impl TestDb {
    /// A fresh SQLite file in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("workspace.db");
        let store = pactum_store::open_sqlite(&path).await.expect("open sqlite");
        TestDb {
            store,
            place: Place::Sqlite { path, _dir: dir },
        }
    }

    /// A fresh PostgreSQL database, or `None` (after saying so) when
    /// [`URL_VAR`] is not set outside CI; under `CI=true` a missing
    /// variable fails the test.
    pub async fn postgres() -> Option<TestDb> {
        Some(TestDb::on_postgres(admin_url()?).await)
    }

    async fn on_postgres(admin_url: String) -> TestDb {
        let db = PgDatabase::create(admin_url).await;
        let store = pactum_store::connect_postgres(&db.url)
            .await
            .expect("connect postgres");
        TestDb {
            store,
            place: Place::Postgres(db),
        }
    }

    /// Another, empty database of the same backend.
    pub async fn fresh(&self) -> TestDb {
        match &self.place {
            Place::Sqlite { .. } => TestDb::sqlite().await,
            Place::Postgres(db) => TestDb::on_postgres(db.admin_url.clone()).await,
        }
    }

    /// What `pactum_store::open` takes to reach this database.
    pub fn spec(&self) -> String {
        match &self.place {
            Place::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
            Place::Postgres(db) => db.url.clone(),
        }
    }

    /// A second store on the same database, as another server process
    /// would have.
    pub async fn reopen(&self) -> Arc<dyn Store> {
        pactum_store::open(&self.spec()).await.expect("reopen")
    }

    /// Runs SQL behind the store's back, as a tamperer with access to the
    /// database would.
    pub async fn exec(&self, sql: &str) {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
                c.close().await.unwrap();
            }
            Place::Postgres(db) => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
                c.close().await.unwrap();
            }
        }
    }

    /// The single text value a query returns.
    pub async fn query_text(&self, sql: &str) -> String {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
            }
            Place::Postgres(db) => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
            }
        }
    }
}

fn admin_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if crate::ci() => {
            panic!("{URL_VAR} is not set, and CI=true: CI must run the PostgreSQL tests")
        }
        _ => {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                // Past the harness's capture, so that it shows.
                let _ = writeln!(
                    std::io::stderr(),
                    "postgres tests skipped: {URL_VAR} not set \
                     (e.g. {URL_VAR}=postgres://postgres@127.0.0.1:5432/test)"
                );
            });
            None
        }
    }
}

/// A database created for one test; dropped (closing any connections still
/// open to it) when the fixture is, even when the test panicked.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(admin_url: String) -> PgDatabase {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "pactum_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach {URL_VAR}={admin_url}: {e}"));
        sqlx::raw_sql(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
        ))
        .execute(&mut admin)
        .await
        .expect("create test database");
        admin.close().await.unwrap();
        let url = with_database(&admin_url, &name);
        PgDatabase {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop cannot await, and the test's runtime may be shutting down:
        // use a runtime of our own on a thread of our own.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::raw_sql(&sql).execute(&mut admin).await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(done, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "could not drop test database {}",
                self.name
            );
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    format!("{}/{name}{query}", &base[..path])
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn with_database_replaces_only_the_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
            "postgresql://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
