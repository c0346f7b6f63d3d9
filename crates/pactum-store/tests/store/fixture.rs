//! Test databases: a temporary SQLite file, or a PostgreSQL database of its
//! own per test, dropped afterwards.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Once};
use std::time::{SystemTime, UNIX_EPOCH};

use pactum_store::Store;
use sqlx::Connection;

const URL_VAR: &str = "PACTUM_TEST_DATABASE_URL";

pub struct Fixture {
    pub store: Arc<dyn Store>,
    db: Db,
}

enum Db {
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres(PgDatabase),
}

impl Fixture {
    pub async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("workspace.db");
        let store = pactum_store::open_sqlite(&path).await.expect("open sqlite");
        Fixture {
            store,
            db: Db::Sqlite { path, _dir: dir },
        }
    }

    /// `None` (after saying so) when no server is configured outside CI.
    pub async fn postgres() -> Option<Fixture> {
        let admin_url = admin_url()?;
        let db = PgDatabase::create(admin_url).await;
        let store = pactum_store::connect_postgres(&db.url)
            .await
            .expect("connect postgres");
        Some(Fixture {
            store,
            db: Db::Postgres(db),
        })
    }

    /// Another, empty database of the same backend.
    pub async fn fresh(&self) -> Fixture {
        match &self.db {
            Db::Sqlite { .. } => Fixture::sqlite().await,
            Db::Postgres(db) => {
                let db = PgDatabase::create(db.admin_url.clone()).await;
                let store = pactum_store::connect_postgres(&db.url)
                    .await
                    .expect("connect postgres");
                Fixture {
                    store,
                    db: Db::Postgres(db),
                }
            }
        }
    }

    /// What `pactum_store::open` takes to reach this database.
    pub fn spec(&self) -> String {
        match &self.db {
            Db::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
            Db::Postgres(db) => db.url.clone(),
        }
    }

    /// A second store on the same database, as another server process
    /// would have.
    pub async fn reopen(&self) -> Arc<dyn Store> {
        pactum_store::open(&self.spec()).await.expect("reopen")
    }

    /// Runs SQL behind the store's back, as a tamperer would.
    pub async fn exec(&self, sql: &str) {
        match &self.db {
            Db::Sqlite { path, .. } => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
                c.close().await.unwrap();
            }
            Db::Postgres(db) => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
                c.close().await.unwrap();
            }
        }
    }

    /// The single text value a query returns.
    pub async fn query_text(&self, sql: &str) -> String {
        match &self.db {
            Db::Sqlite { path, .. } => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
            }
            Db::Postgres(db) => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
            }
        }
    }
}

fn admin_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{URL_VAR} is not set, and CI=true: CI must run the PostgreSQL tests")
        }
        _ => {
            static SAID: Once = Once::new();
            // Written past the test harness's capture so that it shows.
            SAID.call_once(|| {
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
            "pactum_store_test_{}_{}_{nanos}",
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
