//! The store's logic, written once for both backends.
//!
//! Both schemas use the same table and column names and both drivers accept
//! `$N` placeholders, so every query is the same text on SQLite and
//! PostgreSQL. The code is a macro rather than generic over
//! `sqlx::Database` because sqlx's generic executor bounds would outweigh
//! the code; expanded once per backend, it is ordinary, concretely typed
//! code. A backend module supplies the store type, with fields `core` and
//! `writer` (a [`crate::group::Writer`]), and the core type: what the
//! store shares with its group writer task (which `start(core,
//! migrations)`, defined by the macro, spawns once the schema is up to
//! date), cheap to clone, with a `pool` field and two methods:
//!
//! - `begin_write(&self)`, a transaction (field `tx`) during which no other
//!   writer — in this process or another — can append to the audit log;
//! - `begin_snapshot(&self)`, a transaction that reads one consistent state.

use crate::{
    AuditEntry, AuditReport, FileMeta, FileRow, HistoryRow, InvitationRow, InvitationState,
    MemberRow, RecordRow, Result, RoomRow, SessionRow, StoreError, TokenRow, UserRow, WebhookRow,
};

/// The schema that added the word index (`words` on records).
pub(crate) const WORDS_SCHEMA: i64 = 4;

/// How many audit rows `verify_audit` holds at once.
pub(crate) const VERIFY_PAGE: i64 = 1000;

pub(crate) const ROOM_COLS: &str = "SELECT id, title, created_at FROM rooms";
pub(crate) const RECORD_COLS: &str = "SELECT room, kind, id, visibility, body, revision, \
                                      created_at, updated_at FROM records";
pub(crate) const USER_COLS: &str =
    "SELECT name, display_name, password_hash, created_at FROM users";
pub(crate) const MEMBER_COLS: &str = "SELECT room, user_name, party_id FROM members";
pub(crate) const SESSION_COLS: &str =
    "SELECT token_hash, user_name, csrf, expires_at FROM sessions";
pub(crate) const TOKEN_COLS: &str =
    "SELECT token_hash, user_name, label, created_at, id, expires_at FROM tokens";
pub(crate) const INVITATION_COLS: &str = "SELECT id, token_hash, room, party_id, created_by, \
                                          created_at, expires_at, state, used_by, used_at \
                                          FROM invitations";
pub(crate) const AUDIT_COLS: &str = "SELECT seq, at, actor, action, room, kind, record_id, \
                                     detail, prev_hash, hash FROM audit_log";
pub(crate) const HISTORY_COLS: &str = "SELECT room, kind, id, revision, visibility, body, \
                                       actor, action, at FROM record_history";
pub(crate) const FILE_META_COLS: &str =
    "SELECT room, record_id, name, content_type, size, sha256, \
                                         uploaded_by, uploaded_at FROM files";
pub(crate) const FILE_COLS: &str = "SELECT room, record_id, name, content_type, size, sha256, \
                                    uploaded_by, uploaded_at, bytes FROM files";
pub(crate) const RETURNING_RECORD: &str =
    " RETURNING room, kind, id, visibility, body, revision, created_at, updated_at";

/// Builds `SELECT … FROM table` + `rest`.
pub(crate) fn sql(select: &str, rest: &str) -> String {
    format!("{select} {rest}")
}

/// Lets `sqlx::query_as` return a row type itself. The columns are decoded
/// by position, as a tuple in the order its `*_COLS` selects them, on
/// either backend (sqlx's `FromRow` derive would need its macros crate).
macro_rules! from_row {
    ($row:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $row
        where
            ($($ty,)*): sqlx::FromRow<'r, R>,
        {
            fn from_row(row: &'r R) -> sqlx::Result<Self> {
                let ($($field,)*) = <($($ty,)*)>::from_row(row)?;
                Ok($row { $($field),* })
            }
        }
    };
}

from_row!(WebhookRow {
    id: String,
    user: String,
    url: String,
    origin: String,
    created_at: String,
});
pub(crate) const WEBHOOK_COLS: &str =
    "SELECT w.id, w.user_name, w.url, w.origin, w.created_at FROM webhooks w";
from_row!(RoomRow {
    id: String,
    title: String,
    created_at: String,
});
from_row!(RecordRow {
    room: String,
    kind: String,
    id: String,
    visibility: String,
    body: String,
    revision: i64,
    created_at: String,
    updated_at: String,
});
from_row!(HistoryRow {
    room: String,
    kind: String,
    id: String,
    revision: i64,
    visibility: String,
    body: String,
    actor: String,
    action: String,
    at: String,
});
from_row!(FileMeta {
    room: String,
    record_id: String,
    name: String,
    content_type: String,
    size: i64,
    sha256: String,
    uploaded_by: String,
    uploaded_at: String,
});

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for FileRow
where
    FileMeta: sqlx::FromRow<'r, R>,
    Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        Ok(FileRow {
            meta: FileMeta::from_row(row)?,
            bytes: row.try_get(8usize)?,
        })
    }
}

/// Lowercase hex SHA-256 of a file's bytes, as [`FileMeta::sha256`] holds it.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

from_row!(UserRow {
    name: String,
    display_name: String,
    password_hash: String,
    created_at: String,
});
from_row!(MemberRow {
    room: String,
    user: String,
    party_id: String,
});
from_row!(SessionRow {
    token_hash: String,
    user: String,
    csrf: String,
    expires_at: i64,
});
from_row!(TokenRow {
    token_hash: String,
    user: String,
    label: String,
    created_at: String,
    id: String,
    expires_at: i64,
});

/// The columns of [`INVITATION_COLS`], in order, before `state` is parsed.
type InvitationTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
);

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for InvitationRow
where
    InvitationTuple: sqlx::FromRow<'r, R>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        let (
            id,
            token_hash,
            room,
            party_id,
            created_by,
            created_at,
            expires_at,
            state,
            used_by,
            used_at,
        ) = InvitationTuple::from_row(row)?;
        let state = InvitationState::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("invitation state {state:?}").into()))?;
        Ok(InvitationRow {
            id,
            token_hash,
            room,
            party_id,
            created_by,
            created_at,
            expires_at,
            state,
            used_by,
            used_at,
        })
    }
}
from_row!(AuditEntry {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    room: Option<String>,
    kind: Option<String>,
    record_id: Option<String>,
    detail: String,
    prev_hash: String,
    hash: String,
});

/// [`StoreError::Corrupt`] for the first break `report` found in `whose`
/// chain ("the dump's", "the restored"); `Ok` if it found none.
pub(crate) fn intact(report: AuditReport, whose: &str) -> Result<()> {
    match (report.first_bad, report.reason) {
        (Some(seq), Some(reason)) => Err(StoreError::Corrupt {
            what: format!("{whose} audit chain is broken at entry {seq}: {reason}"),
        }),
        _ => Ok(()),
    }
}

/// How long a token from a format-1 dump (which has no expiry) lives after
/// the restore: the server's default for new tokens.
pub(crate) const UPGRADED_TOKEN_SECONDS: i64 = 30 * 86_400;

/// A dumped token as a format-2 row: a format-1 dump's tokens have no id
/// and no expiry, so they get an id derived from (but not revealing) the
/// hash, the same on every restore, and [`UPGRADED_TOKEN_SECONDS`] to live.
pub(crate) fn upgraded_token(t: &TokenRow) -> TokenRow {
    use sha2::{Digest, Sha256};
    let mut t = t.clone();
    if t.id.is_empty() {
        let digest = Sha256::digest(format!("pactum token id\n{}", t.token_hash).as_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        t.id = format!("tok_{hex}");
    }
    if t.expires_at == 0 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        t.expires_at = now + UPGRADED_TOKEN_SECONDS;
    }
    t
}

/// Expands to the backend's private query helpers, `start` (which ends
/// opening a store), the group writer and its `impl Store`. `$store` is the
/// backend's store type, `$core` its core type and `$conn` its connection
/// type.
macro_rules! store_impl {
    ($store:ident, $core:ty, $conn:ty, $backend:literal) => {
        use crate::error::conflict_on_unique;
        use crate::group::{copy_error, fail_all, next_group, Job, Pending};
        use crate::shared::{
            intact, sha256_hex, sql, AUDIT_COLS, FILE_COLS, FILE_META_COLS, HISTORY_COLS, INVITATION_COLS, MEMBER_COLS, RECORD_COLS,
            RETURNING_RECORD, ROOM_COLS, SESSION_COLS, TOKEN_COLS, USER_COLS, VERIFY_PAGE,
            WEBHOOK_COLS, WORDS_SCHEMA,
        };
        use crate::words::index_of;
        use crate::{
            audit_hash, clock, AuditEntry, AuditReport, AuditVerifier, Dump, FileMeta, FileRow,
            HistoryRow, NewFile,
            InvitationRow, InvitationState, MemberRow, NewAudit, NewRecord, RecordRow,
            RecordWrite, Result, RoomRow, SessionRow, StoreError, TokenRow, UserRow, WebhookRow, DUMP_FORMAT,
            GENESIS_HASH,
        };

        /// Brings the schema up to date and starts the group writer: the
        /// end of opening a store, whichever the backend.
        async fn start(core: $core, migrations: &[(i64, &str)]) -> Result<$store> {
            {
                let mut w = core.begin_write().await?;
                let applied = migrate(&mut w.tx, migrations).await?;
                if applied.contains(&WORDS_SCHEMA) {
                    backfill_words(&mut w.tx).await?;
                }
                w.tx.commit().await?;
            }
            let (writer, queue) = crate::group::Writer::channel();
            tokio::spawn(group_writer(core.clone(), queue));
            Ok($store { core, writer })
        }

        /// Gives every record stored before the word index existed its
        /// words (see `words.rs`): SQL alone cannot make them as the store
        /// does. Runs once, in the transaction that applies the schema.
        async fn backfill_words(conn: &mut $conn) -> Result<()> {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT pos, body FROM records WHERE words IS NULL ORDER BY pos")
                    .fetch_all(&mut *conn)
                    .await?;
            for (pos, body) in rows {
                sqlx::query("UPDATE records SET words = $1 WHERE pos = $2")
                    .bind(index_of(&body))
                    .bind(pos)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        /// Applies, in order, every migration the database has not had;
        /// returns the versions it applied. Missing ones are applied even
        /// below the newest (a database made by a build that numbered its
        /// migrations with gaps gets the ones it skipped). Run inside a
        /// write transaction so that concurrent starters apply each once.
        async fn migrate(conn: &mut $conn, migrations: &[(i64, &str)]) -> Result<Vec<i64>> {
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS pactum_schema \
                 (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
            )
            .execute(&mut *conn)
            .await?;
            let have: Vec<i64> = sqlx::query_scalar("SELECT version FROM pactum_schema")
                .fetch_all(&mut *conn)
                .await?;
            let current = have.iter().copied().max().unwrap_or(0);
            let latest = migrations.last().map_or(0, |m| m.0);
            if current > latest {
                return Err(StoreError::Incompatible {
                    what: format!(
                        "the database's schema version is {current}; \
                         this build knows up to {latest}"
                    ),
                });
            }
            let mut applied = Vec::new();
            for (version, script) in migrations.iter().filter(|m| !have.contains(&m.0)) {
                sqlx::raw_sql(script).execute(&mut *conn).await?;
                sqlx::query("INSERT INTO pactum_schema (version, applied_at) VALUES ($1, $2)")
                    .bind(version)
                    .bind(clock::now())
                    .execute(&mut *conn)
                    .await?;
                applied.push(*version);
            }
            Ok(applied)
        }

        /// Appends entries after the current head of the chain. The caller
        /// holds the write lock, so the head cannot move meanwhile.
        async fn append_audit(conn: &mut $conn, entries: &[NewAudit]) -> Result<()> {
            if entries.is_empty() {
                return Ok(());
            }
            let head: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *conn)
                    .await?;
            let (mut seq, mut prev_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
            for e in entries {
                seq += 1;
                let mut entry = AuditEntry {
                    seq,
                    at: clock::now(),
                    actor: e.actor.clone(),
                    action: e.action.clone(),
                    room: e.room.clone(),
                    kind: e.kind.clone(),
                    record_id: e.record_id.clone(),
                    detail: e.detail.clone(),
                    prev_hash,
                    hash: String::new(),
                };
                entry.hash = audit_hash(&entry);
                insert_audit_row(conn, &entry).await?;
                prev_hash = entry.hash;
            }
            Ok(())
        }

        async fn insert_audit_row(conn: &mut $conn, e: &AuditEntry) -> Result<()> {
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, action, room, kind, record_id, detail, \
                 prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(e.seq)
            .bind(&e.at)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.room)
            .bind(&e.kind)
            .bind(&e.record_id)
            .bind(&e.detail)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        async fn verify_chain(conn: &mut $conn) -> Result<AuditReport> {
            let mut verifier = AuditVerifier::new();
            let mut after = i64::MIN;
            loop {
                let page: Vec<AuditEntry> =
                    sqlx::query_as(&sql(AUDIT_COLS, "WHERE seq > $1 ORDER BY seq LIMIT $2"))
                        .bind(after)
                        .bind(VERIFY_PAGE)
                        .fetch_all(&mut *conn)
                        .await?;
                if page.is_empty() {
                    return Ok(verifier.finish());
                }
                for entry in &page {
                    verifier.push(entry);
                    after = entry.seq;
                }
            }
        }

        async fn require_room(conn: &mut $conn, room: &str) -> Result<()> {
            require(conn, "SELECT COUNT(*) FROM rooms WHERE id = $1", "room", room).await
        }

        async fn require_user(conn: &mut $conn, name: &str) -> Result<()> {
            require(conn, "SELECT COUNT(*) FROM users WHERE name = $1", "user", name).await
        }

        /// [`StoreError::NotFound`] naming `what` and `key` unless `count`
        /// counts a row for `key`.
        async fn require(conn: &mut $conn, count: &str, what: &str, key: &str) -> Result<()> {
            let found: i64 = sqlx::query_scalar(count)
                .bind(key)
                .fetch_one(&mut *conn)
                .await?;
            match found {
                0 => Err(StoreError::NotFound {
                    what: format!("{what} {key:?}"),
                }),
                _ => Ok(()),
            }
        }

        /// Every row a `SELECT` of `cols` (a `*_COLS`) gives, in `order`.
        async fn all<T>(conn: &mut $conn, cols: &str, order: &str) -> Result<Vec<T>>
        where
            T: for<'r> sqlx::FromRow<
                    'r,
                    <<$conn as sqlx::Connection>::Database as sqlx::Database>::Row,
                > + Send
                + Unpin,
        {
            Ok(sqlx::query_as(&sql(cols, order))
                .fetch_all(&mut *conn)
                .await?)
        }

        // Each table's INSERT, for its write and for restore (which passes
        // the dumped `created_at` where a write passes the clock's).

        async fn insert_room(
            conn: &mut $conn,
            room: &RoomRow,
            created_at: &str,
        ) -> sqlx::Result<()> {
            sqlx::query("INSERT INTO rooms (id, title, created_at) VALUES ($1, $2, $3)")
                .bind(&room.id)
                .bind(&room.title)
                .bind(created_at)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn insert_user(conn: &mut $conn, u: &UserRow, created_at: &str) -> sqlx::Result<()> {
            sqlx::query(
                "INSERT INTO users (name, display_name, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&u.name)
            .bind(&u.display_name)
            .bind(&u.password_hash)
            .bind(created_at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        async fn insert_member(conn: &mut $conn, m: &MemberRow) -> sqlx::Result<()> {
            sqlx::query("INSERT INTO members (room, user_name, party_id) VALUES ($1, $2, $3)")
                .bind(&m.room)
                .bind(&m.user)
                .bind(&m.party_id)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn insert_session(conn: &mut $conn, s: &SessionRow) -> sqlx::Result<()> {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_name, csrf, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&s.token_hash)
            .bind(&s.user)
            .bind(&s.csrf)
            .bind(s.expires_at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        async fn insert_token(
            conn: &mut $conn,
            t: &TokenRow,
            created_at: &str,
        ) -> sqlx::Result<()> {
            sqlx::query(
                "INSERT INTO tokens (token_hash, user_name, label, created_at, id, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&t.token_hash)
            .bind(&t.user)
            .bind(&t.label)
            .bind(created_at)
            .bind(&t.id)
            .bind(t.expires_at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Counts one more change of `room`'s records (see migration 7);
        /// called by every write of records inside its own transaction, so
        /// a reader that sees the new count also sees the write.
        async fn bump_room(conn: &mut $conn, room: &str) -> sqlx::Result<()> {
            sqlx::query("UPDATE rooms SET changes = changes + 1 WHERE id = $1")
                .bind(room)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// Keeps one revision in the record's history; called by every
        /// record write inside its own transaction (see migration 3).
        async fn insert_history(conn: &mut $conn, h: &HistoryRow) -> sqlx::Result<()> {
            sqlx::query(
                "INSERT INTO record_history (room, kind, id, revision, visibility, body, \
                 actor, action, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&h.room)
            .bind(&h.kind)
            .bind(&h.id)
            .bind(h.revision)
            .bind(&h.visibility)
            .bind(&h.body)
            .bind(&h.actor)
            .bind(&h.action)
            .bind(&h.at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        async fn insert_invitation(
            conn: &mut $conn,
            inv: &InvitationRow,
            created_at: &str,
        ) -> sqlx::Result<()> {
            sqlx::query(
                "INSERT INTO invitations (id, token_hash, room, party_id, created_by, \
                 created_at, expires_at, state, used_by, used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&inv.id)
            .bind(&inv.token_hash)
            .bind(&inv.room)
            .bind(&inv.party_id)
            .bind(&inv.created_by)
            .bind(created_at)
            .bind(inv.expires_at)
            .bind(inv.state.as_str())
            .bind(&inv.used_by)
            .bind(&inv.used_at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// The history row of a write that produced `revision` of `rec`.
        fn history_of(
            room: &str,
            rec: &NewRecord,
            revision: i64,
            actor: &str,
            action: &str,
            at: &str,
        ) -> HistoryRow {
            HistoryRow {
                room: room.to_owned(),
                kind: rec.kind.clone(),
                id: rec.id.clone(),
                revision,
                visibility: rec.visibility.clone(),
                body: rec.body.clone(),
                actor: actor.to_owned(),
                action: action.to_owned(),
                at: at.to_owned(),
            }
        }

        /// Deletes every session and token of a user (a removed delegate,
        /// "sign out everywhere"); returns how many of each.
        async fn end_access_of(conn: &mut $conn, user: &str) -> Result<(u64, u64)> {
            let sessions = sqlx::query("DELETE FROM sessions WHERE user_name = $1")
                .bind(user)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            let tokens = sqlx::query("DELETE FROM tokens WHERE user_name = $1")
                .bind(user)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            Ok((sessions, tokens))
        }

        async fn fetch_record(
            conn: &mut $conn,
            room: &str,
            kind: &str,
            id: &str,
        ) -> Result<Option<RecordRow>> {
            Ok(
                sqlx::query_as(&sql(RECORD_COLS, "WHERE room = $1 AND kind = $2 AND id = $3"))
                    .bind(room)
                    .bind(kind)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?,
            )
        }

        /// Fills the audit entry's room and record key from the write when
        /// the caller left them out, so `audit(Some(room), …)` finds it.
        fn about(mut audit: NewAudit, room: &str, key: Option<(&str, &str)>) -> NewAudit {
            audit.room.get_or_insert_with(|| room.to_owned());
            if let Some((kind, id)) = key {
                audit.kind.get_or_insert_with(|| kind.to_owned());
                audit.record_id.get_or_insert_with(|| id.to_owned());
            }
            audit
        }

        /// `put_file`'s work inside the caller's write transaction: the
        /// document must exist; a second upload replaces the first.
        async fn put_file_in(
            conn: &mut $conn,
            room: &str,
            file: &NewFile,
            uploaded_by: &str,
            audit: NewAudit,
        ) -> Result<FileMeta> {
            require_room(conn, room).await?;
            let found: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM records WHERE room = $1 AND kind = 'document' AND id = $2",
            )
            .bind(room)
            .bind(&file.record_id)
            .fetch_one(&mut *conn)
            .await?;
            if found == 0 {
                return Err(StoreError::NotFound {
                    what: format!("document {:?} in room {room:?}", file.record_id),
                });
            }
            let meta = FileMeta {
                room: room.to_owned(),
                record_id: file.record_id.clone(),
                name: file.name.clone(),
                content_type: file.content_type.clone(),
                size: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
                sha256: sha256_hex(&file.bytes),
                uploaded_by: uploaded_by.to_owned(),
                uploaded_at: clock::now(),
            };
            sqlx::query(
                "INSERT INTO files (room, record_id, name, content_type, size, sha256, bytes, \
                 uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (room, record_id) DO UPDATE SET name = excluded.name, \
                 content_type = excluded.content_type, size = excluded.size, \
                 sha256 = excluded.sha256, bytes = excluded.bytes, \
                 uploaded_by = excluded.uploaded_by, uploaded_at = excluded.uploaded_at",
            )
            .bind(&meta.room)
            .bind(&meta.record_id)
            .bind(&meta.name)
            .bind(&meta.content_type)
            .bind(meta.size)
            .bind(&meta.sha256)
            .bind(&file.bytes)
            .bind(&meta.uploaded_by)
            .bind(&meta.uploaded_at)
            .execute(&mut *conn)
            .await?;
            let mut audit = about(audit, room, Some(("document", &file.record_id)));
            if audit.detail.is_empty() {
                audit.detail = format!(
                    "{} ({} bytes, sha256 {})",
                    meta.name, meta.size, meta.sha256
                );
            }
            append_audit(conn, &[audit]).await?;
            Ok(meta)
        }

        /// `create_room`'s work inside the caller's write transaction.
        async fn create_room_in(conn: &mut $conn, room: &RoomRow, audit: NewAudit) -> Result<()> {
            insert_room(conn, room, &clock::now())
                .await
                .map_err(|e| conflict_on_unique(e, || format!("room {:?} already exists", room.id)))?;
            append_audit(conn, &[about(audit, &room.id, None)]).await
        }

        /// `put_records`' work inside the caller's write transaction.
        async fn put_records_in(
            conn: &mut $conn,
            room: &str,
            recs: &[NewRecord],
            actor: &str,
            action: &str,
        ) -> Result<()> {
            require_room(conn, room).await?;
            bump_room(conn, room).await?;
            let now = clock::now();
            let mut audits = Vec::with_capacity(recs.len());
            for rec in recs {
                let revision: i64 = sqlx::query_scalar(
                    "INSERT INTO records (room, kind, id, visibility, body, revision, \
                     created_at, updated_at, words) VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7) \
                     ON CONFLICT (room, kind, id) DO UPDATE SET \
                     visibility = excluded.visibility, body = excluded.body, \
                     revision = records.revision + 1, updated_at = excluded.updated_at, \
                     words = excluded.words \
                     RETURNING revision",
                )
                .bind(room)
                .bind(&rec.kind)
                .bind(&rec.id)
                .bind(&rec.visibility)
                .bind(&rec.body)
                .bind(&now)
                .bind(index_of(&rec.body))
                .fetch_one(&mut *conn)
                .await?;
                insert_history(conn, &history_of(room, rec, revision, actor, action, &now)).await?;
                audits.push(NewAudit {
                    actor: actor.to_owned(),
                    action: action.to_owned(),
                    room: Some(room.to_owned()),
                    kind: Some(rec.kind.clone()),
                    record_id: Some(rec.id.clone()),
                    detail: format!("{{\"revision\":{revision}}}"),
                });
            }
            append_audit(conn, &audits).await?;
            Ok(())
        }

        /// `put_record`'s work inside the group's transaction; the caller
        /// (the group writer) holds the write lock and a savepoint.
        async fn put_record_in(
            conn: &mut $conn,
            room: &str,
            rec: &NewRecord,
            expected_revision: Option<i64>,
            audit: NewAudit,
        ) -> Result<RecordRow> {
            let key = || format!("record {}/{} in room {room:?}", rec.kind, rec.id);
            require_room(conn, room).await?;
            bump_room(conn, room).await?;
            let now = clock::now();
            let stored: RecordRow = match expected_revision {
                None => sqlx::query_as(&format!(
                    "INSERT INTO records (room, kind, id, visibility, body, revision, \
                     created_at, updated_at, words) VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)\
                     {RETURNING_RECORD}"
                ))
                .bind(room)
                .bind(&rec.kind)
                .bind(&rec.id)
                .bind(&rec.visibility)
                .bind(&rec.body)
                .bind(&now)
                .bind(index_of(&rec.body))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| conflict_on_unique(e, || format!("{} already exists", key())))?,
                Some(expected) => {
                    let updated: Option<RecordRow> = sqlx::query_as(&format!(
                        "UPDATE records SET visibility = $1, body = $2, \
                         revision = revision + 1, updated_at = $3, words = $8 \
                         WHERE room = $4 AND kind = $5 AND id = $6 AND revision = $7\
                         {RETURNING_RECORD}"
                    ))
                    .bind(&rec.visibility)
                    .bind(&rec.body)
                    .bind(&now)
                    .bind(room)
                    .bind(&rec.kind)
                    .bind(&rec.id)
                    .bind(expected)
                    .bind(index_of(&rec.body))
                    .fetch_optional(&mut *conn)
                    .await?;
                    match updated {
                        Some(row) => row,
                        None => {
                            let current =
                                fetch_record(conn, room, &rec.kind, &rec.id).await?;
                            let what = match current {
                                Some(c) => format!(
                                    "{}: expected revision {expected}, stored revision {}",
                                    key(),
                                    c.revision
                                ),
                                None => format!(
                                    "{} does not exist (expected revision {expected})",
                                    key()
                                ),
                            };
                            return Err(StoreError::Conflict { what });
                        }
                    }
                }
            };
            insert_history(
                conn,
                &history_of(room, rec, stored.revision, &audit.actor, &audit.action, &now),
            )
            .await?;
            append_audit(conn, &[about(audit, room, Some((&rec.kind, &rec.id)))])
                .await?;
            Ok(stored)
        }

        /// The group writer task: runs each group of queued writes in one
        /// transaction, until the store is dropped.
        async fn group_writer(core: $core, mut queue: tokio::sync::mpsc::Receiver<Job>) {
            while let Some(group) = next_group(&mut queue).await {
                write_group(&core, group).await;
            }
        }

        /// Runs the jobs in order in one write transaction, each in its own
        /// savepoint, commits once, and only then answers the callers. A
        /// failed write is rolled back to its savepoint; it does not affect
        /// the others.
        async fn write_group(core: &$core, group: Vec<Job>) {
            let mut w = match core.begin_write().await {
                Ok(w) => w,
                Err(e) => {
                    let mut group = group;
                    let last = group.pop();
                    group.into_iter().for_each(|j| j.fail(copy_error(&e)));
                    if let Some(j) = last {
                        j.fail(e);
                    }
                    return;
                }
            };
            let mut pending = Vec::with_capacity(group.len());
            let mut jobs = group.into_iter();
            while let Some(job) = jobs.next() {
                if let Err(e) = run_job(&mut w.tx, job, &mut pending).await {
                    // The transaction is unusable (its savepoint could not
                    // be set or undone): nothing of the group is stored.
                    drop(w);
                    jobs.for_each(|j| j.fail(copy_error(&e)));
                    fail_all(pending, e);
                    return;
                }
            }
            match w.tx.commit().await {
                Ok(()) => pending.into_iter().for_each(Pending::committed),
                Err(e) => fail_all(pending, e.into()),
            }
        }

        /// Runs one job inside a savepoint, undone if the job fails; its
        /// outcome joins `pending`. `Err` means the savepoint itself failed,
        /// and with it the group (the job has been answered with a copy of
        /// the error).
        ///
        /// Savepoints go through `sqlx::query`, not `raw_sql`: rustc cannot
        /// prove `raw_sql`'s future `Send` here, which the spawned writer
        /// task needs.
        async fn run_job(conn: &mut $conn, job: Job, pending: &mut Vec<Pending>) -> Result<()> {
            if let Err(e) = sqlx::query("SAVEPOINT pactum_write").execute(&mut *conn).await {
                let e = StoreError::from(e);
                job.fail(copy_error(&e));
                return Err(e);
            }
            match job {
                Job::PutRecord {
                    room,
                    rec,
                    expected_revision,
                    audit,
                    reply,
                } => {
                    let outcome = put_record_in(conn, &room, &rec, expected_revision, audit).await;
                    queue(conn, outcome, reply, pending, Pending::Record).await
                }
                Job::AppendAudit { entries, reply } => {
                    let outcome = append_audit(conn, &entries).await;
                    queue(conn, outcome, reply, pending, Pending::Audit).await
                }
            }
        }

        /// Ends a job's savepoint and puts the job's outcome in `pending`,
        /// as `wait` wraps it. `Err` is the savepoint's own failure, of
        /// which the job's caller has been told at once.
        async fn queue<T>(
            conn: &mut $conn,
            outcome: Result<T>,
            reply: tokio::sync::oneshot::Sender<Result<T>>,
            pending: &mut Vec<Pending>,
            wait: fn(tokio::sync::oneshot::Sender<Result<T>>, Result<T>) -> Pending,
        ) -> Result<()> {
            match settle(conn, outcome).await {
                Ok(outcome) => {
                    pending.push(wait(reply, outcome));
                    Ok(())
                }
                Err(e) => {
                    drop(reply.send(Err(copy_error(&e))));
                    Err(e)
                }
            }
        }

        /// Ends a job's savepoint: kept if the job succeeded, undone if it
        /// failed. The outer `Err` is the savepoint's own failure.
        async fn settle<T>(conn: &mut $conn, outcome: Result<T>) -> Result<Result<T>> {
            if outcome.is_err() {
                sqlx::query("ROLLBACK TO SAVEPOINT pactum_write")
                    .execute(&mut *conn)
                    .await?;
            }
            sqlx::query("RELEASE SAVEPOINT pactum_write")
                .execute(&mut *conn)
                .await?;
            Ok(outcome)
        }

        #[async_trait::async_trait]
        impl crate::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn create_room(&self, room: &RoomRow, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                create_room_in(&mut w.tx, room, audit).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn import_room_with_files(
                &self,
                room: &RoomRow,
                audit: NewAudit,
                recs: &[NewRecord],
                files: &[NewFile],
                actor: &str,
                action: &str,
            ) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                create_room_in(&mut w.tx, room, audit).await?;
                put_records_in(&mut w.tx, &room.id, recs, actor, action).await?;
                for file in files {
                    put_file_in(
                        &mut w.tx,
                        &room.id,
                        file,
                        actor,
                        NewAudit::new(actor, "file.import"),
                    )
                    .await?;
                }
                w.tx.commit().await?;
                Ok(())
            }

            async fn put_file(
                &self,
                room: &str,
                file: &NewFile,
                audit: NewAudit,
            ) -> Result<FileMeta> {
                let mut w = self.core.begin_write().await?;
                let actor = audit.actor.clone();
                let meta = put_file_in(&mut w.tx, room, file, &actor, audit).await?;
                w.tx.commit().await?;
                Ok(meta)
            }

            async fn file(&self, room: &str, record_id: &str) -> Result<Option<FileRow>> {
                Ok(
                    sqlx::query_as(&sql(FILE_COLS, "WHERE room = $1 AND record_id = $2"))
                        .bind(room)
                        .bind(record_id)
                        .fetch_optional(&self.core.pool)
                        .await?,
                )
            }

            async fn files(&self, room: &str) -> Result<Vec<FileMeta>> {
                Ok(sqlx::query_as(&sql(
                    FILE_META_COLS,
                    "WHERE room = $1 ORDER BY uploaded_at, record_id",
                ))
                .bind(room)
                .fetch_all(&self.core.pool)
                .await?)
            }

            async fn rooms(&self) -> Result<Vec<RoomRow>> {
                let mut conn = self.core.pool.acquire().await?;
                all(&mut conn, ROOM_COLS, "ORDER BY pos").await
            }

            async fn room(&self, id: &str) -> Result<Option<RoomRow>> {
                Ok(sqlx::query_as(&sql(ROOM_COLS, "WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.core.pool)
                    .await?)
            }

            async fn put_record(
                &self,
                room: &str,
                rec: &NewRecord,
                expected_revision: Option<i64>,
                audit: NewAudit,
            ) -> Result<RecordRow> {
                self.writer
                    .submit(|reply| Job::PutRecord {
                        room: room.to_owned(),
                        rec: rec.clone(),
                        expected_revision,
                        audit,
                        reply,
                    })
                    .await
            }

            async fn room_changes(&self, id: &str) -> Result<Option<(RoomRow, i64)>> {
                let row: Option<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT id, title, created_at, changes FROM rooms WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.core.pool)
                .await?;
                Ok(row.map(|(id, title, created_at, changes)| {
                    (RoomRow { id, title, created_at }, changes)
                }))
            }

            async fn put_records(
                &self,
                room: &str,
                recs: &[NewRecord],
                actor: &str,
                action: &str,
            ) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                put_records_in(&mut w.tx, room, recs, actor, action).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn put_record_set(
                &self,
                room: &str,
                writes: &[RecordWrite],
            ) -> Result<Vec<RecordRow>> {
                // Outside the group writer: the set is its own transaction
                // (the write lock orders it with the groups), and an error
                // drops the transaction, undoing every write of the set.
                let mut w = self.core.begin_write().await?;
                let mut rows = Vec::with_capacity(writes.len());
                for wr in writes {
                    rows.push(
                        put_record_in(
                            &mut w.tx,
                            room,
                            &wr.rec,
                            wr.expected_revision,
                            wr.audit.clone(),
                        )
                        .await?,
                    );
                }
                w.tx.commit().await?;
                Ok(rows)
            }

            async fn update_room(
                &self,
                room: &str,
                title: &str,
                audit: NewAudit,
                writes: &[RecordWrite],
            ) -> Result<Vec<RecordRow>> {
                let mut w = self.core.begin_write().await?;
                let done = sqlx::query("UPDATE rooms SET title = $1 WHERE id = $2")
                    .bind(title)
                    .bind(room)
                    .execute(&mut *w.tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound {
                        what: format!("room {room:?}"),
                    });
                }
                append_audit(&mut w.tx, &[about(audit, room, None)]).await?;
                let mut rows = Vec::with_capacity(writes.len());
                for wr in writes {
                    rows.push(
                        put_record_in(
                            &mut w.tx,
                            room,
                            &wr.rec,
                            wr.expected_revision,
                            wr.audit.clone(),
                        )
                        .await?,
                    );
                }
                w.tx.commit().await?;
                Ok(rows)
            }

            async fn record(&self, room: &str, kind: &str, id: &str) -> Result<Option<RecordRow>> {
                let mut conn = self.core.pool.acquire().await?;
                fetch_record(&mut conn, room, kind, id).await
            }

            async fn records(&self, room: &str, kind: Option<&str>) -> Result<Vec<RecordRow>> {
                // Two statements, not one with `$2 IS NULL OR kind = $2`:
                // that form keeps the planner off the (room, kind) index,
                // so reading one kind scanned every record of the room.
                Ok(match kind {
                    Some(kind) => {
                        sqlx::query_as(&sql(RECORD_COLS, "WHERE room = $1 AND kind = $2 ORDER BY pos"))
                            .bind(room)
                            .bind(kind)
                            .fetch_all(&self.core.pool)
                            .await?
                    }
                    None => {
                        sqlx::query_as(&sql(RECORD_COLS, "WHERE room = $1 ORDER BY pos"))
                            .bind(room)
                            .fetch_all(&self.core.pool)
                            .await?
                    }
                })
            }

            async fn search_candidates(
                &self,
                room: &str,
                terms: &[String],
            ) -> Result<Vec<(String, String)>> {
                crate::words::check_terms(terms)?;
                Ok(sqlx::query_as(CANDIDATES)
                    .bind(room)
                    .bind(match_query(terms))
                    .fetch_all(&self.core.pool)
                    .await?)
            }

            async fn record_history(
                &self,
                room: &str,
                kind: &str,
                id: &str,
            ) -> Result<Vec<HistoryRow>> {
                Ok(sqlx::query_as(&sql(
                    HISTORY_COLS,
                    "WHERE room = $1 AND kind = $2 AND id = $3 ORDER BY revision",
                ))
                .bind(room)
                .bind(kind)
                .bind(id)
                .fetch_all(&self.core.pool)
                .await?)
            }

            async fn create_user(&self, user: &UserRow, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                insert_user(&mut w.tx, user, &clock::now())
                    .await
                    .map_err(|e| {
                        conflict_on_unique(e, || format!("user {:?} already exists", user.name))
                    })?;
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn set_password(
                &self,
                name: &str,
                password_hash: &str,
                audit: NewAudit,
            ) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
                    .bind(password_hash)
                    .bind(name)
                    .execute(&mut *w.tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound {
                        what: format!("user {name:?}"),
                    });
                }
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn user(&self, name: &str) -> Result<Option<UserRow>> {
                Ok(sqlx::query_as(&sql(USER_COLS, "WHERE name = $1"))
                    .bind(name)
                    .fetch_optional(&self.core.pool)
                    .await?)
            }

            async fn users(&self) -> Result<Vec<UserRow>> {
                let mut conn = self.core.pool.acquire().await?;
                all(&mut conn, USER_COLS, "ORDER BY name").await
            }

            async fn create_operator(
                &self,
                user: &UserRow,
                only_if_none: bool,
                audit: NewAudit,
            ) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                if only_if_none {
                    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE operator = 1")
                        .fetch_one(&mut *w.tx)
                        .await?;
                    if n > 0 {
                        return Err(StoreError::Conflict {
                            what: "an operator exists already".into(),
                        });
                    }
                }
                insert_user(&mut w.tx, user, &clock::now())
                    .await
                    .map_err(|e| {
                        conflict_on_unique(e, || format!("user {:?} already exists", user.name))
                    })?;
                sqlx::query("UPDATE users SET operator = 1 WHERE name = $1")
                    .bind(&user.name)
                    .execute(&mut *w.tx)
                    .await?;
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn set_operator(&self, name: &str, operator: bool, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                let done = sqlx::query("UPDATE users SET operator = $1 WHERE name = $2")
                    .bind(i64::from(operator))
                    .bind(name)
                    .execute(&mut *w.tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound {
                        what: format!("user {name:?}"),
                    });
                }
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn is_operator(&self, name: &str) -> Result<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM users WHERE name = $1 AND operator = 1",
                )
                .bind(name)
                .fetch_one(&self.core.pool)
                .await?;
                Ok(n > 0)
            }

            async fn count_operators(&self) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE operator = 1")
                    .fetch_one(&self.core.pool)
                    .await?)
            }

            async fn add_member(&self, m: &MemberRow, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                require_room(&mut w.tx, &m.room).await?;
                require_user(&mut w.tx, &m.user).await?;
                insert_member(&mut w.tx, m)
                    .await
                    .map_err(|e| {
                        conflict_on_unique(e, || {
                            format!("user {:?} is already a member of room {:?}", m.user, m.room)
                        })
                    })?;
                append_audit(&mut w.tx, &[about(audit, &m.room, None)]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn members(&self, room: &str) -> Result<Vec<MemberRow>> {
                Ok(sqlx::query_as(&sql(MEMBER_COLS, "WHERE room = $1 ORDER BY pos"))
                    .bind(room)
                    .fetch_all(&self.core.pool)
                    .await?)
            }

            async fn memberships(&self, user: &str) -> Result<Vec<MemberRow>> {
                Ok(sqlx::query_as(&sql(MEMBER_COLS, "WHERE user_name = $1 ORDER BY pos"))
                    .bind(user)
                    .fetch_all(&self.core.pool)
                    .await?)
            }

            async fn remove_member(&self, room: &str, user: &str, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                let done = sqlx::query("DELETE FROM members WHERE room = $1 AND user_name = $2")
                    .bind(room)
                    .bind(user)
                    .execute(&mut *w.tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound {
                        what: format!("user {user:?} in room {room:?}"),
                    });
                }
                end_access_of(&mut w.tx, user).await?;
                append_audit(&mut w.tx, &[about(audit, room, None)]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn create_session(&self, s: &SessionRow) -> Result<()> {
                let mut conn = self.core.pool.acquire().await?;
                Ok(insert_session(&mut conn, s).await?)
            }

            async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
                Ok(sqlx::query_as(&sql(SESSION_COLS, "WHERE token_hash = $1"))
                    .bind(token_hash)
                    .fetch_optional(&self.core.pool)
                    .await?)
            }

            async fn delete_session(&self, token_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.core.pool)
                    .await?;
                Ok(())
            }

            async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                    .bind(now)
                    .execute(&self.core.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn delete_sessions_of(&self, user: &str) -> Result<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE user_name = $1")
                    .bind(user)
                    .execute(&self.core.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn create_token(&self, t: &TokenRow, audit: NewAudit) -> Result<()> {
                if t.id.is_empty() {
                    return Err(StoreError::Invalid {
                        what: "a token needs a non-empty id".into(),
                    });
                }
                let mut w = self.core.begin_write().await?;
                require_user(&mut w.tx, &t.user).await?;
                insert_token(&mut w.tx, t, &clock::now())
                    .await
                    .map_err(|e| conflict_on_unique(e, || "the token already exists".to_owned()))?;
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>> {
                Ok(sqlx::query_as(&sql(TOKEN_COLS, "WHERE token_hash = $1"))
                    .bind(token_hash)
                    .fetch_optional(&self.core.pool)
                    .await?)
            }

            async fn tokens_of(&self, user: &str) -> Result<Vec<TokenRow>> {
                Ok(sqlx::query_as(&sql(
                    TOKEN_COLS,
                    "WHERE user_name = $1 ORDER BY created_at, id",
                ))
                .bind(user)
                .fetch_all(&self.core.pool)
                .await?)
            }

            async fn delete_token(&self, user: &str, id: &str, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                let done = sqlx::query("DELETE FROM tokens WHERE user_name = $1 AND id = $2")
                    .bind(user)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound {
                        what: format!("token {id:?}"),
                    });
                }
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn delete_tokens_of(&self, user: &str, audit: NewAudit) -> Result<u64> {
                let mut w = self.core.begin_write().await?;
                let done = sqlx::query("DELETE FROM tokens WHERE user_name = $1")
                    .bind(user)
                    .execute(&mut *w.tx)
                    .await?;
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(done.rows_affected())
            }

            async fn set_follow(&self, user: &str, room: &str, point_id: &str, on: bool) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                if on {
                    require_room(&mut w.tx, room).await?;
                    require_user(&mut w.tx, user).await?;
                    sqlx::query(
                        "INSERT INTO follows (user_name, room, point_id, created_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (user_name, room, point_id) DO NOTHING",
                    )
                    .bind(user)
                    .bind(room)
                    .bind(point_id)
                    .bind(clock::now())
                    .execute(&mut *w.tx)
                    .await?;
                } else {
                    sqlx::query(
                        "DELETE FROM follows WHERE user_name = $1 AND room = $2 AND point_id = $3",
                    )
                    .bind(user)
                    .bind(room)
                    .bind(point_id)
                    .execute(&mut *w.tx)
                    .await?;
                }
                w.tx.commit().await?;
                Ok(())
            }

            async fn follows(&self, user: &str, room: &str) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT point_id FROM follows WHERE user_name = $1 AND room = $2 \
                     ORDER BY created_at, point_id",
                )
                .bind(user)
                .bind(room)
                .fetch_all(&self.core.pool)
                .await?)
            }

            async fn mark_read(&self, user: &str, items: &[String]) -> Result<()> {
                if items.is_empty() {
                    return Ok(());
                }
                let mut w = self.core.begin_write().await?;
                require_user(&mut w.tx, user).await?;
                let now = clock::now();
                for item in items {
                    sqlx::query(
                        "INSERT INTO inbox_reads (user_name, item, read_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (user_name, item) DO NOTHING",
                    )
                    .bind(user)
                    .bind(item)
                    .bind(&now)
                    .execute(&mut *w.tx)
                    .await?;
                }
                w.tx.commit().await?;
                Ok(())
            }

            async fn read_marks(&self, user: &str) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT item FROM inbox_reads WHERE user_name = $1")
                    .bind(user)
                    .fetch_all(&self.core.pool)
                    .await?)
            }

            async fn visit_room(
                &self,
                user: &str,
                room: &str,
                now: &str,
                new_visit_before: &str,
            ) -> Result<Option<String>> {
                let mut w = self.core.begin_write().await?;
                require_room(&mut w.tx, room).await?;
                require_user(&mut w.tx, user).await?;
                let row: Option<(Option<String>, String)> = sqlx::query_as(
                    "SELECT since, last_seen FROM room_visits WHERE user_name = $1 AND room = $2",
                )
                .bind(user)
                .bind(room)
                .fetch_optional(&mut *w.tx)
                .await?;
                let since = match row {
                    None => {
                        sqlx::query(
                            "INSERT INTO room_visits (user_name, room, since, last_seen) \
                             VALUES ($1, $2, NULL, $3)",
                        )
                        .bind(user)
                        .bind(room)
                        .bind(now)
                        .execute(&mut *w.tx)
                        .await?;
                        None
                    }
                    Some((since, last_seen)) => {
                        let since = if last_seen.as_str() < new_visit_before {
                            Some(last_seen)
                        } else {
                            since
                        };
                        sqlx::query(
                            "UPDATE room_visits SET since = $3, last_seen = $4 \
                             WHERE user_name = $1 AND room = $2",
                        )
                        .bind(user)
                        .bind(room)
                        .bind(&since)
                        .bind(now)
                        .execute(&mut *w.tx)
                        .await?;
                        since
                    }
                };
                w.tx.commit().await?;
                Ok(since)
            }

            async fn changed_since(
                &self,
                room: &str,
                since: &str,
            ) -> Result<Vec<(String, String, String)>> {
                Ok(sqlx::query_as(
                    "SELECT kind, id, updated_at FROM records WHERE room = $1 AND updated_at > $2 \
                     ORDER BY updated_at DESC, pos DESC",
                )
                .bind(room)
                .bind(since)
                .fetch_all(&self.core.pool)
                .await?)
            }

            async fn add_webhook(&self, hook: &WebhookRow, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                require_user(&mut w.tx, &hook.user).await?;
                sqlx::query(
                    "INSERT INTO webhooks (id, user_name, url, origin, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&hook.id)
                .bind(&hook.user)
                .bind(&hook.url)
                .bind(&hook.origin)
                .bind(clock::now())
                .execute(&mut *w.tx)
                .await
                .map_err(|e| conflict_on_unique(e, || format!("webhook {:?} already exists", hook.id)))?;
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn webhooks_of(&self, user: &str) -> Result<Vec<WebhookRow>> {
                Ok(sqlx::query_as(&sql(
                    WEBHOOK_COLS,
                    "WHERE w.user_name = $1 ORDER BY w.created_at, w.id",
                ))
                .bind(user)
                .fetch_all(&self.core.pool)
                .await?)
            }

            async fn webhooks_in_room(&self, room: &str) -> Result<Vec<WebhookRow>> {
                Ok(sqlx::query_as(&sql(
                    WEBHOOK_COLS,
                    "JOIN members m ON m.user_name = w.user_name WHERE m.room = $1 \
                     ORDER BY w.created_at, w.id",
                ))
                .bind(room)
                .fetch_all(&self.core.pool)
                .await?)
            }

            async fn delete_webhook(&self, user: &str, id: &str, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                let done = sqlx::query("DELETE FROM webhooks WHERE user_name = $1 AND id = $2")
                    .bind(user)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound {
                        what: format!("webhook {id:?}"),
                    });
                }
                append_audit(&mut w.tx, &[audit]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn create_invitation(&self, inv: &InvitationRow, audit: NewAudit) -> Result<()> {
                let mut w = self.core.begin_write().await?;
                require_room(&mut w.tx, &inv.room).await?;
                insert_invitation(&mut w.tx, inv, &clock::now())
                    .await
                    .map_err(|e| {
                        conflict_on_unique(e, || format!("invitation {:?} already exists", inv.id))
                    })?;
                append_audit(&mut w.tx, &[about(audit, &inv.room, None)]).await?;
                w.tx.commit().await?;
                Ok(())
            }

            async fn invitations(&self, room: &str) -> Result<Vec<InvitationRow>> {
                Ok(sqlx::query_as(&sql(INVITATION_COLS, "WHERE room = $1 ORDER BY pos"))
                    .bind(room)
                    .fetch_all(&self.core.pool)
                    .await?)
            }

            async fn invitation(&self, token_hash: &str) -> Result<Option<InvitationRow>> {
                Ok(sqlx::query_as(&sql(INVITATION_COLS, "WHERE token_hash = $1"))
                    .bind(token_hash)
                    .fetch_optional(&self.core.pool)
                    .await?)
            }

            async fn revoke_invitation(
                &self,
                room: &str,
                id: &str,
                audit: NewAudit,
            ) -> Result<InvitationRow> {
                let mut w = self.core.begin_write().await?;
                let found: Option<InvitationRow> =
                    sqlx::query_as(&sql(INVITATION_COLS, "WHERE room = $1 AND id = $2"))
                        .bind(room)
                        .bind(id)
                        .fetch_optional(&mut *w.tx)
                        .await?;
                let mut inv = found.ok_or_else(|| StoreError::NotFound {
                    what: format!("invitation {id:?} in room {room:?}"),
                })?;
                if inv.state != InvitationState::Open {
                    return Err(StoreError::Gone {
                        what: format!("the invitation is {} already", inv.state.as_str()),
                    });
                }
                sqlx::query("UPDATE invitations SET state = $1 WHERE id = $2")
                    .bind(InvitationState::Revoked.as_str())
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                append_audit(&mut w.tx, &[about(audit, room, None)]).await?;
                w.tx.commit().await?;
                inv.state = InvitationState::Revoked;
                Ok(inv)
            }

            async fn use_invitation(
                &self,
                token_hash: &str,
                user: &UserRow,
                now: i64,
                audit: NewAudit,
            ) -> Result<InvitationRow> {
                let mut w = self.core.begin_write().await?;
                let found: Option<InvitationRow> =
                    sqlx::query_as(&sql(INVITATION_COLS, "WHERE token_hash = $1"))
                        .bind(token_hash)
                        .fetch_optional(&mut *w.tx)
                        .await?;
                let mut inv = found.ok_or_else(|| StoreError::NotFound {
                    what: "invitation".into(),
                })?;
                let gone = match inv.state {
                    InvitationState::Used => Some("this invitation has been used already"),
                    InvitationState::Revoked => Some("this invitation was revoked"),
                    InvitationState::Open if inv.expires_at <= now => {
                        Some("this invitation has expired")
                    }
                    InvitationState::Open => None,
                };
                if let Some(what) = gone {
                    return Err(StoreError::Gone { what: what.into() });
                }
                let at = clock::now();
                insert_user(&mut w.tx, user, &at).await.map_err(|e| {
                    conflict_on_unique(e, || format!("user {:?} already exists", user.name))
                })?;
                let seat = MemberRow {
                    room: inv.room.clone(),
                    user: user.name.clone(),
                    party_id: inv.party_id.clone(),
                };
                insert_member(&mut w.tx, &seat).await?;
                sqlx::query(
                    "UPDATE invitations SET state = $1, used_by = $2, used_at = $3 WHERE id = $4",
                )
                .bind(InvitationState::Used.as_str())
                .bind(&user.name)
                .bind(&at)
                .bind(&inv.id)
                .execute(&mut *w.tx)
                .await?;
                append_audit(&mut w.tx, &[about(audit, &inv.room, None)]).await?;
                w.tx.commit().await?;
                inv.state = InvitationState::Used;
                inv.used_by = Some(user.name.clone());
                inv.used_at = Some(at);
                Ok(inv)
            }

            async fn append_audit(&self, entries: &[NewAudit]) -> Result<()> {
                if entries.is_empty() {
                    return Ok(());
                }
                self.writer
                    .submit(|reply| Job::AppendAudit {
                        entries: entries.to_vec(),
                        reply,
                    })
                    .await
            }

            async fn audit(
                &self,
                room: Option<&str>,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<AuditEntry>> {
                Ok(sqlx::query_as(&sql(
                    AUDIT_COLS,
                    "WHERE seq > $1 AND ($2 IS NULL OR room = $2) ORDER BY seq LIMIT $3",
                ))
                .bind(after_seq)
                .bind(room)
                .bind(limit.max(0))
                .fetch_all(&self.core.pool)
                .await?)
            }

            async fn verify_audit(&self) -> Result<AuditReport> {
                let mut tx = self.core.begin_snapshot().await?;
                let report = verify_chain(&mut tx).await?;
                tx.commit().await?;
                Ok(report)
            }

            async fn dump(&self) -> Result<Dump> {
                let mut tx = self.core.begin_snapshot().await?;
                let dump = Dump {
                    format: DUMP_FORMAT,
                    rooms: all(&mut tx, ROOM_COLS, "ORDER BY pos").await?,
                    records: all(&mut tx, RECORD_COLS, "ORDER BY pos").await?,
                    users: all(&mut tx, USER_COLS, "ORDER BY name").await?,
                    members: all(&mut tx, MEMBER_COLS, "ORDER BY pos").await?,
                    sessions: all(&mut tx, SESSION_COLS, "ORDER BY token_hash").await?,
                    tokens: all(&mut tx, TOKEN_COLS, "ORDER BY token_hash").await?,
                    operators: sqlx::query_scalar(
                        "SELECT name FROM users WHERE operator = 1 ORDER BY name",
                    )
                    .fetch_all(&mut *tx)
                    .await?,
                    invitations: all(&mut tx, INVITATION_COLS, "ORDER BY pos").await?,
                    audit: all(&mut tx, AUDIT_COLS, "ORDER BY seq").await?,
                    history: all(&mut tx, HISTORY_COLS, "ORDER BY pos").await?,
                    files: all(&mut tx, FILE_COLS, "ORDER BY room, record_id").await?,
                };
                tx.commit().await?;
                Ok(dump)
            }

            async fn restore(&self, dump: &Dump) -> Result<()> {
                if dump.format == 0 || dump.format > DUMP_FORMAT {
                    return Err(StoreError::Incompatible {
                        what: format!(
                            "dump format {} (this build reads formats 1 to {DUMP_FORMAT})",
                            dump.format
                        ),
                    });
                }
                let mut verifier = AuditVerifier::new();
                dump.audit.iter().for_each(|e| verifier.push(e));
                intact(verifier.finish(), "the dump's")?;

                let mut w = self.core.begin_write().await?;
                let rows: i64 = sqlx::query_scalar(
                    "SELECT (SELECT COUNT(*) FROM rooms) + (SELECT COUNT(*) FROM users) \
                     + (SELECT COUNT(*) FROM records) + (SELECT COUNT(*) FROM members) \
                     + (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM tokens) \
                     + (SELECT COUNT(*) FROM invitations) + (SELECT COUNT(*) FROM audit_log) \
                     + (SELECT COUNT(*) FROM record_history) + (SELECT COUNT(*) FROM files)",
                )
                .fetch_one(&mut *w.tx)
                .await?;
                if rows > 0 {
                    return Err(StoreError::NotEmpty);
                }
                for u in &dump.users {
                    insert_user(&mut w.tx, u, &u.created_at).await?;
                }
                for r in &dump.rooms {
                    insert_room(&mut w.tx, r, &r.created_at).await?;
                }
                for r in &dump.records {
                    sqlx::query(
                        "INSERT INTO records (room, kind, id, visibility, body, revision, \
                         created_at, updated_at, words) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&r.room)
                    .bind(&r.kind)
                    .bind(&r.id)
                    .bind(&r.visibility)
                    .bind(&r.body)
                    .bind(r.revision)
                    .bind(&r.created_at)
                    .bind(&r.updated_at)
                    .bind(index_of(&r.body))
                    .execute(&mut *w.tx)
                    .await?;
                }
                for m in &dump.members {
                    insert_member(&mut w.tx, m).await?;
                }
                for s in &dump.sessions {
                    insert_session(&mut w.tx, s).await?;
                }
                for name in &dump.operators {
                    let done = sqlx::query("UPDATE users SET operator = 1 WHERE name = $1")
                        .bind(name)
                        .execute(&mut *w.tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Corrupt {
                            what: format!("the dump names an operator {name:?} it has no user for"),
                        });
                    }
                }
                for t in &dump.tokens {
                    insert_token(&mut w.tx, &crate::shared::upgraded_token(t), &t.created_at)
                        .await?;
                }
                for inv in &dump.invitations {
                    insert_invitation(&mut w.tx, inv, &inv.created_at).await?;
                }
                for e in &dump.audit {
                    insert_audit_row(&mut w.tx, e).await?;
                }
                for h in &dump.history {
                    insert_history(&mut w.tx, h).await?;
                }
                if dump.history.is_empty() {
                    // A dump from before record history: start each record's
                    // history at its current revision, as migration 3 does.
                    sqlx::query(
                        "INSERT INTO record_history (room, kind, id, revision, visibility, \
                         body, actor, action, at) SELECT room, kind, id, revision, visibility, \
                         body, 'pactum', 'history.start', updated_at FROM records ORDER BY pos",
                    )
                    .execute(&mut *w.tx)
                    .await?;
                }
                for f in &dump.files {
                    if sha256_hex(&f.bytes) != f.meta.sha256
                        || f.meta.size != i64::try_from(f.bytes.len()).unwrap_or(-1)
                    {
                        return Err(StoreError::Corrupt {
                            what: format!(
                                "the file of {:?} in room {:?} does not match its size and SHA-256",
                                f.meta.record_id, f.meta.room
                            ),
                        });
                    }
                    let m = &f.meta;
                    sqlx::query(
                        "INSERT INTO files (room, record_id, name, content_type, size, sha256, \
                         bytes, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&m.room)
                    .bind(&m.record_id)
                    .bind(&m.name)
                    .bind(&m.content_type)
                    .bind(m.size)
                    .bind(&m.sha256)
                    .bind(&f.bytes)
                    .bind(&m.uploaded_by)
                    .bind(&m.uploaded_at)
                    .execute(&mut *w.tx)
                    .await?;
                }
                // Check what the database now holds, not only what was sent:
                // a text conversion on the way in would show up here.
                intact(verify_chain(&mut w.tx).await?, "the restored")?;
                w.tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use store_impl;
