//! Test databases for the server's acceptance tests: a temporary SQLite
//! file, or a PostgreSQL database created for one test and dropped after it,
//! as pactum-store's own suite has them (both from pactum-testkit).

pub use pactum_testkit::db::TestDb;
