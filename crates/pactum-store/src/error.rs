//! The store's one error type.

use std::path::PathBuf;

/// Shorthand used by every store method.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Why a store operation failed.
///
/// Constraint violations reported by the database are sorted into
/// [`Conflict`](StoreError::Conflict), [`NotFound`](StoreError::NotFound) and
/// [`Invalid`](StoreError::Invalid) so that the server can map them to HTTP
/// statuses without parsing driver messages; everything else stays a
/// [`Database`](StoreError::Database) error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The driver or the database failed (connection lost, I/O, SQL error).
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The write clashes with what is stored: a revision mismatch, or a
    /// room, user, membership or token that already exists.
    #[error("conflict: {what}")]
    Conflict {
        /// What clashed, naming the key.
        what: String,
    },
    /// The write refers to a room, user or other row that does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// What is missing, naming the key.
        what: String,
    },
    /// A value breaks a rule of the schema (an empty key, an empty audit
    /// actor or action).
    #[error("invalid value: {what}")]
    Invalid {
        /// The database's description of the broken rule.
        what: String,
    },
    /// The row exists but may no longer be used: an invitation already
    /// used, revoked or expired.
    #[error("gone: {what}")]
    Gone {
        /// Why it cannot be used, for people.
        what: String,
    },
    /// A restore was attempted into a database that already holds rows;
    /// merging two histories would fork the audit chain.
    #[error("restore refused: the database is not empty")]
    NotEmpty,
    /// Stored or restored data fails its integrity checks (a broken audit
    /// chain in a dump).
    #[error("corrupt data: {what}")]
    Corrupt {
        /// Which check failed and where.
        what: String,
    },
    /// The database or dump was written by a newer pactum, or the backend
    /// asked for was left out of this build.
    #[error("incompatible: {what}")]
    Incompatible {
        /// What does not match.
        what: String,
    },
    /// A file-system problem before the database was reached.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path that could not be used.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        let (kind, what) = match &e {
            sqlx::Error::Database(db) => (db.kind(), db.message().to_owned()),
            _ => return StoreError::Database(e),
        };
        match kind {
            ErrorKind::UniqueViolation => StoreError::Conflict { what },
            ErrorKind::ForeignKeyViolation => StoreError::NotFound { what },
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => StoreError::Invalid { what },
            _ => StoreError::Database(e),
        }
    }
}

/// Turns a unique-key violation into a [`StoreError::Conflict`] that names
/// the key in the caller's words instead of the database's.
pub(crate) fn conflict_on_unique(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict { what: what() }
        }
        _ => e.into(),
    }
}
