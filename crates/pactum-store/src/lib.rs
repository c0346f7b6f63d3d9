//! Storage for the mediation workspace, behind one [`Store`] trait.
//!
//! Two backends implement it: SQLite (embedded, the default, one file) and
//! PostgreSQL (for several server processes sharing one database). Both run
//! the same SQL, written once in `shared.rs`; the backend modules only hold
//! what truly differs: connection setup, the schema's types, and how writers
//! are serialised.
//!
//! The store knows nothing of the domain model. Record bodies and
//! visibilities are opaque JSON strings, stored as text so that they come
//! back byte for byte; access control is the server's job.
//!
//! Every write that changes the workspace takes a [`NewAudit`] and appends it
//! to a hash-chained audit log *in the same transaction*, so the log cannot
//! miss a write nor record one that did not happen. Appends are serialised
//! (a write lock on SQLite, an advisory transaction lock on PostgreSQL), so
//! the chain never forks, even with several processes on one database.
//!
//! The hot writes, [`Store::put_record`] and [`Store::append_audit`], are
//! group-committed: concurrent callers' writes share one transaction (each
//! in its own savepoint, so a failing one fails alone) and one fsync, and
//! each caller is answered only once that commit is durable. This is what
//! lets many clients write faster than the disk can sync. The group writer
//! is a task spawned on the Tokio runtime that opens the store, so open and
//! use a store on one runtime.
//!
//! ```no_run
//! # async fn demo() -> pactum_store::Result<()> {
//! use pactum_store::{NewAudit, RoomRow};
//!
//! let store = pactum_store::open("sqlite:workspace.db").await?;
//! let room = RoomRow { id: "r1".into(), title: "Lease".into(), created_at: String::new() };
//! store.create_room(&room, NewAudit::new("alice", "room.create")).await?;
//! assert!(store.verify_audit().await?.ok());
//! # Ok(()) }
//! ```

mod audit;
mod clock;
mod error;
mod group;
#[cfg(feature = "postgres")]
mod postgres;
mod shared;
mod sqlite;
pub mod words;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use audit::{audit_hash, AuditEntry, AuditReport, AuditVerifier, NewAudit, GENESIS_HASH};
pub use error::{Result, StoreError};

/// A room. `created_at` is set by the store; what the caller passes there is
/// ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRow {
    /// Unique, non-empty key chosen by the server.
    pub id: String,
    /// Display title.
    pub title: String,
    /// RFC 3339 UTC with milliseconds.
    pub created_at: String,
}

/// A stored record of some kind in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRow {
    /// The room it belongs to.
    pub room: String,
    /// The server's record kind (`text`, `stance`, …).
    pub kind: String,
    /// Unique within room and kind.
    pub id: String,
    /// Opaque JSON: who may read it; interpreted by the server only.
    pub visibility: String,
    /// Opaque JSON, returned byte for byte.
    pub body: String,
    /// 1 on insert, +1 per update: the token for optimistic concurrency.
    pub revision: i64,
    /// When first inserted.
    pub created_at: String,
    /// When last written.
    pub updated_at: String,
}

/// The caller's part of a record write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRecord {
    /// See [`RecordRow::kind`]; must not be empty.
    pub kind: String,
    /// See [`RecordRow::id`]; must not be empty.
    pub id: String,
    /// See [`RecordRow::visibility`].
    pub visibility: String,
    /// See [`RecordRow::body`].
    pub body: String,
}

/// One write of [`Store::put_record_set`]: the arguments
/// [`Store::put_record`] takes for a single record.
#[derive(Debug, Clone)]
pub struct RecordWrite {
    /// The record.
    pub rec: NewRecord,
    /// `None` to insert, `Some(revision)` to update that revision.
    pub expected_revision: Option<i64>,
    /// The write's audit entry (room and record key filled in when empty).
    pub audit: NewAudit,
}

/// A user account. `created_at` is set by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    /// Unique login name.
    pub name: String,
    /// Name shown to others.
    pub display_name: String,
    /// A password hash in whatever format the server uses (PHC string).
    pub password_hash: String,
    /// RFC 3339 UTC with milliseconds.
    pub created_at: String,
}

/// A user's seat in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    /// The room.
    pub room: String,
    /// The user's name.
    pub user: String,
    /// The party the user speaks for (or a role such as `mediator`).
    pub party_id: String,
}

/// A login session. Only a hash of the cookie's token is stored, so a stolen
/// database does not hand out live sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    /// Hash of the session token; the key.
    pub token_hash: String,
    /// The logged-in user.
    pub user: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Unix seconds; the store returns expired sessions too, the server
    /// decides (see [`Store::delete_expired_sessions`]).
    pub expires_at: i64,
}

/// An API token (hashed, as for sessions). `created_at` is set by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    /// Hash of the token; the key.
    pub token_hash: String,
    /// The user the token acts as.
    pub user: String,
    /// What the user called it.
    pub label: String,
    /// RFC 3339 UTC with milliseconds.
    pub created_at: String,
    /// The public handle lists show and revocation names, so that neither
    /// the token nor its hash ever has to leave the server. Unique. Empty
    /// in a format-1 dump, where restore derives one.
    #[serde(default)]
    pub id: String,
    /// Unix seconds; the store returns expired tokens too, the server
    /// refuses them. 0 in a format-1 dump, where restore gives 30 days.
    #[serde(default)]
    pub expires_at: i64,
}

/// An outbound webhook of one user: told the kind of each new inbox item
/// and a link under `origin`, never content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    /// Public handle.
    pub id: String,
    /// Whose inbox it reports.
    pub user: String,
    /// Where it posts (http or https).
    pub url: String,
    /// Where links in its posts start (the server as the user reached it).
    pub origin: String,
    /// RFC 3339 UTC with milliseconds.
    pub created_at: String,
}

/// One revision of a record, as [`Store::record_history`] gives it: what
/// the record said and who could see it after one write, and who wrote it.
///
/// Every write of a record adds one (in the write's own transaction), so
/// corrections and withdrawals never erase what was recorded before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// The room.
    pub room: String,
    /// See [`RecordRow::kind`].
    pub kind: String,
    /// See [`RecordRow::id`].
    pub id: String,
    /// The revision this write produced (1 for the first).
    pub revision: i64,
    /// The visibility as of this revision.
    pub visibility: String,
    /// The body as of this revision.
    pub body: String,
    /// Who wrote it (the write's audit actor).
    pub actor: String,
    /// The write's audit action (`stance.edit`, `case.import`, ...).
    pub action: String,
    /// When (RFC 3339 UTC with milliseconds).
    pub at: String,
}

/// A file to store for a record ([`Store::put_file`]); its size and
/// SHA-256 are computed by the store, so they always describe the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// The record it belongs to (a document).
    pub record_id: String,
    /// The file name as uploaded (already sanitised by the caller).
    pub name: String,
    /// The checked content type.
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// What is known of a stored file without its bytes (lists, headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// The room.
    pub room: String,
    /// The record it belongs to.
    pub record_id: String,
    /// File name.
    pub name: String,
    /// Content type, as checked on upload.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When (RFC 3339 UTC with milliseconds).
    pub uploaded_at: String,
}

/// A stored file with its bytes (in a [`Dump`], the bytes are base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRow {
    /// Everything but the bytes.
    #[serde(flatten)]
    pub meta: FileMeta,
    /// The bytes, as uploaded.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// A dump's file bytes as one base64 string (RFC 4648 §4), not a JSON
/// array of numbers four times the size.
mod base64_bytes {
    use serde::{de, Deserialize, Deserializer, Serializer};

    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                out.push(if i <= chunk.len() {
                    ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char
                } else {
                    '='
                });
            }
        }
        s.serialize_str(&out)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        let bad = || de::Error::custom("file bytes: expected standard base64 with padding");
        let t = text.as_bytes();
        if t.len() % 4 != 0 {
            return Err(bad());
        }
        let mut out = Vec::with_capacity(t.len() / 4 * 3);
        for (i, q) in t.chunks(4).enumerate() {
            let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 || (pad > 0 && i + 1 != t.len() / 4) {
                return Err(bad());
            }
            let mut n = 0u32;
            for &c in &q[..4 - pad] {
                let v = ALPHABET.iter().position(|&a| a == c).ok_or_else(bad)?;
                n = (n << 6) | v as u32;
            }
            n <<= 6 * pad as u32;
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..3 - pad]);
        }
        Ok(out)
    }
}

/// What became of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    /// Not used yet (it may have expired: compare `expires_at`).
    Open,
    /// Accepted once; it cannot be used again.
    Used,
    /// Withdrawn before use.
    Revoked,
}

impl InvitationState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Open => "open",
            InvitationState::Used => "used",
            InvitationState::Revoked => "revoked",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Used, Self::Revoked]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A one-time invitation to sit for a party in a room. Only the token's
/// hash is stored, as for sessions; `created_at` is set by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    /// Public handle (lists, revocation); unique.
    pub id: String,
    /// Hash of the invitation token; unique.
    pub token_hash: String,
    /// The room the invitee will sit in.
    pub room: String,
    /// The party the invitee will speak for.
    pub party_id: String,
    /// Who invited.
    pub created_by: String,
    /// RFC 3339 UTC with milliseconds.
    pub created_at: String,
    /// Unix seconds after which it can no longer be used.
    pub expires_at: i64,
    /// Open, used or revoked.
    pub state: InvitationState,
    /// The user it created, once used.
    pub used_by: Option<String>,
    /// When it was used, once used.
    pub used_at: Option<String>,
}

/// The version of the [`Dump`] layout written by this build. Format 1
/// (no operators, invitations, token ids or expiries) and format 2 (no
/// files) are still read; format 3 adds documents' files, so a build that
/// would drop them refuses the dump instead.
pub const DUMP_FORMAT: u32 = 3;

/// Every table's rows, for backup and for moving between backends.
///
/// The JSON form is the same whichever backend wrote it. Rows are in a
/// fixed order (rooms, records, members and invitations in insertion order;
/// users and operators by name; sessions and tokens by hash; audit by
/// `seq`), so two dumps of
/// equal databases are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dump {
    /// [`DUMP_FORMAT`] of the writer; restore refuses newer ones.
    pub format: u32,
    /// All rooms.
    pub rooms: Vec<RoomRow>,
    /// All records of all rooms.
    pub records: Vec<RecordRow>,
    /// All users.
    pub users: Vec<UserRow>,
    /// All memberships.
    pub members: Vec<MemberRow>,
    /// All sessions, expired or not.
    pub sessions: Vec<SessionRow>,
    /// All API tokens.
    pub tokens: Vec<TokenRow>,
    /// The names of the users who are operators, by name (format 2).
    #[serde(default)]
    pub operators: Vec<String>,
    /// All invitations, in creation order (format 2).
    #[serde(default)]
    pub invitations: Vec<InvitationRow>,
    /// The whole audit chain.
    pub audit: Vec<AuditEntry>,
    /// Every revision of every record, in write order (absent from dumps
    /// written before record history existed).
    #[serde(default)]
    pub history: Vec<HistoryRow>,
    /// Every document's file, bytes included (format 3).
    #[serde(default)]
    pub files: Vec<FileRow>,
}

/// The workspace's storage. Implemented for SQLite and PostgreSQL; obtain
/// one with [`open`].
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// `"sqlite"` or `"postgres"`, for logs and health checks.
    fn backend(&self) -> &'static str;

    /// Creates a room; [`StoreError::Conflict`] if the id is taken. The audit
    /// entry's `room` defaults to the new room's id.
    async fn create_room(&self, room: &RoomRow, audit: NewAudit) -> Result<()>;
    /// All rooms, in creation order.
    async fn rooms(&self) -> Result<Vec<RoomRow>>;
    /// One room, if it exists.
    async fn room(&self, id: &str) -> Result<Option<RoomRow>>;
    /// One room, if it exists, with how many times its records have been
    /// written (by any process on this database). Every record write adds
    /// to the count in its own transaction, so a server that keeps what it
    /// read of a room can tell, with this one cheap query, whether it is
    /// still what the database holds: equal counts, same records.
    async fn room_changes(&self, id: &str) -> Result<Option<(RoomRow, i64)>>;

    /// Insert (expected_revision None and absent) or update (expected_revision
    /// Some(r) must equal the stored revision, else Conflict). The audit entry
    /// is appended in the same transaction: either both are stored or neither.
    ///
    /// Inserting an existing record, or updating an absent one, is a
    /// [`StoreError::Conflict`]: the caller's view of the record is stale
    /// either way. A missing room is [`StoreError::NotFound`]. The audit
    /// entry's `room`, `kind` and `record_id` default to the record's key, so
    /// that [`Store::audit`] finds it by room.
    async fn put_record(
        &self,
        room: &str,
        rec: &NewRecord,
        expected_revision: Option<i64>,
        audit: NewAudit,
    ) -> Result<RecordRow>;
    /// Bulk upsert in one transaction (case import): all or nothing; one audit
    /// entry per record.
    ///
    /// Existing records are overwritten and their revision incremented; the
    /// audit entries carry `actor`, `action`, the record's key and
    /// `{"revision":N}` as detail.
    async fn put_records(
        &self,
        room: &str,
        recs: &[NewRecord],
        actor: &str,
        action: &str,
    ) -> Result<()>;
    /// A new room and its records in one transaction (case import): the
    /// room is created as by [`Store::create_room`] and the records written
    /// as by [`Store::put_records`]; any failure leaves neither room nor
    /// records nor audit entries behind.
    async fn import_room(
        &self,
        room: &RoomRow,
        audit: NewAudit,
        recs: &[NewRecord],
        actor: &str,
        action: &str,
    ) -> Result<()> {
        self.import_room_with_files(room, audit, recs, &[], actor, action)
            .await
    }
    /// [`Store::import_room`] with the records' files (a case exported
    /// with its documents' files), stored in the same transaction, each
    /// with an audit entry `file.import`.
    async fn import_room_with_files(
        &self,
        room: &RoomRow,
        audit: NewAudit,
        recs: &[NewRecord],
        files: &[NewFile],
        actor: &str,
        action: &str,
    ) -> Result<()>;
    /// Stores (or replaces) the file of a document record with its audit
    /// entry, in one transaction. A record that does not exist is
    /// [`StoreError::NotFound`]. Who may do so is the server's decision.
    async fn put_file(&self, room: &str, file: &NewFile, audit: NewAudit) -> Result<FileMeta>;
    /// The file of a record, with its bytes, if it has one.
    async fn file(&self, room: &str, record_id: &str) -> Result<Option<FileRow>>;
    /// What is known of every file of a room, without the bytes, in the
    /// order of first upload.
    async fn files(&self, room: &str) -> Result<Vec<FileMeta>>;
    /// Several checked writes in one transaction, all or nothing: each is
    /// [`Store::put_record`]'s insert (`expected_revision: None`) or checked
    /// update, with its own audit entry, and the first failure (a
    /// [`StoreError::Conflict`], say) leaves nothing of the set stored.
    ///
    /// For a change that spans records and must not be seen half done: a
    /// single-text session closed together with the draft it produces.
    async fn put_record_set(&self, room: &str, writes: &[RecordWrite]) -> Result<Vec<RecordRow>>;
    /// Renames a room and makes [`Store::put_record_set`]'s checked writes,
    /// in one transaction: a room's title and the `meta` record that repeats
    /// it never disagree. `audit` records the rename (its `room` defaults to
    /// the room's id); a missing room is [`StoreError::NotFound`].
    async fn update_room(
        &self,
        room: &str,
        title: &str,
        audit: NewAudit,
        writes: &[RecordWrite],
    ) -> Result<Vec<RecordRow>>;
    /// One record, if it exists.
    async fn record(&self, room: &str, kind: &str, id: &str) -> Result<Option<RecordRow>>;
    /// Records of a room in insertion order (stable), optionally of one kind.
    ///
    /// Updates do not move a record: the order is that of first insertion.
    async fn records(&self, room: &str, kind: Option<&str>) -> Result<Vec<RecordRow>>;

    /// The records of a room (kind, id) that may contain every one of
    /// `terms`: a search's prefilter, through the database's own full-text
    /// index. Each term is one word as [`words::words`] makes them
    /// ([`StoreError::Invalid`] otherwise, or when there is none).
    ///
    /// The answer is a superset, never missing a record whose body holds
    /// every term as a word in one of its strings: records too large to
    /// index are always among it. It is not filtered by visibility: the
    /// server intersects it with what the user may see and checks each
    /// term again there. Order unspecified.
    async fn search_candidates(
        &self,
        room: &str,
        terms: &[String],
    ) -> Result<Vec<(String, String)>>;

    /// Every stored revision of one record, oldest first; empty for a record
    /// that does not exist. Who may read it is the server's decision.
    async fn record_history(&self, room: &str, kind: &str, id: &str) -> Result<Vec<HistoryRow>>;

    /// Creates a user; [`StoreError::Conflict`] if the name is taken.
    async fn create_user(&self, user: &UserRow, audit: NewAudit) -> Result<()>;
    /// Replaces a user's password hash; [`StoreError::NotFound`] if absent.
    async fn set_password(&self, name: &str, password_hash: &str, audit: NewAudit) -> Result<()>;
    /// Creates a user who is an operator, in one transaction. With
    /// `only_if_none`, refuses ([`StoreError::Conflict`]) when an operator
    /// exists already: the first-start set-up link makes one operator only,
    /// even when two browsers follow it at once.
    async fn create_operator(
        &self,
        user: &UserRow,
        only_if_none: bool,
        audit: NewAudit,
    ) -> Result<()>;
    /// Makes a user an operator or not; [`StoreError::NotFound`] if absent.
    async fn set_operator(&self, name: &str, operator: bool, audit: NewAudit) -> Result<()>;
    /// Whether the user exists and is an operator.
    async fn is_operator(&self, name: &str) -> Result<bool>;
    /// How many operators there are (none: the server offers first start).
    async fn count_operators(&self) -> Result<i64>;
    /// One user, if it exists.
    async fn user(&self, name: &str) -> Result<Option<UserRow>>;
    /// All users, by name (byte order).
    async fn users(&self) -> Result<Vec<UserRow>>;

    /// Seats a user in a room; the room and user must exist, and a user has
    /// one seat per room ([`StoreError::Conflict`] otherwise). The audit
    /// entry's `room` defaults to the room's id.
    async fn add_member(&self, m: &MemberRow, audit: NewAudit) -> Result<()>;
    /// A room's members, in the order they were added.
    async fn members(&self, room: &str) -> Result<Vec<MemberRow>>;
    /// A user's seats, in the order they were added.
    async fn memberships(&self, user: &str) -> Result<Vec<MemberRow>>;
    /// Unseats a user from a room and, in the same transaction, ends every
    /// session and bearer token of that user, so that a removed delegate
    /// is out at once (in every room: a token is not bound to one room).
    /// [`StoreError::NotFound`] if the user has no seat there.
    async fn remove_member(&self, room: &str, user: &str, audit: NewAudit) -> Result<()>;

    /// Stores a session. Not audited: logins are audited by the server with
    /// [`Store::append_audit`], with what it knows of the client.
    async fn create_session(&self, s: &SessionRow) -> Result<()>;
    /// One session, expired or not.
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>>;
    /// Ends a session; deleting an absent one is not an error (logout twice).
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Deletes sessions whose `expires_at` is before `now` (unix seconds);
    /// returns how many.
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64>;
    /// Ends every session of a user ("sign out everywhere", a new
    /// password); returns how many. Not audited, as sessions are not: the
    /// server audits the act.
    async fn delete_sessions_of(&self, user: &str) -> Result<u64>;

    /// Stores an API token for an existing user; its `id` must be unique
    /// and non-empty.
    async fn create_token(&self, t: &TokenRow, audit: NewAudit) -> Result<()>;
    /// One API token, if it exists (expired or not).
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>>;
    /// A user's tokens, oldest first.
    async fn tokens_of(&self, user: &str) -> Result<Vec<TokenRow>>;
    /// Revokes one of `user`'s tokens by its public id;
    /// [`StoreError::NotFound`] if the user has no such token (another
    /// user's token is not found either).
    async fn delete_token(&self, user: &str, id: &str, audit: NewAudit) -> Result<()>;
    /// Revokes every token of a user; returns how many.
    async fn delete_tokens_of(&self, user: &str, audit: NewAudit) -> Result<u64>;

    /// Stores an invitation; the room must exist and the id and token hash
    /// be new. The audit entry's `room` defaults to the invitation's room.
    async fn create_invitation(&self, inv: &InvitationRow, audit: NewAudit) -> Result<()>;
    /// A room's invitations, in creation order.
    async fn invitations(&self, room: &str) -> Result<Vec<InvitationRow>>;
    /// One invitation by its token's hash.
    async fn invitation(&self, token_hash: &str) -> Result<Option<InvitationRow>>;
    /// Revokes an open invitation of a room by id; [`StoreError::NotFound`]
    /// if the room has no such invitation, [`StoreError::Gone`] if it is
    /// used or revoked already.
    async fn revoke_invitation(
        &self,
        room: &str,
        id: &str,
        audit: NewAudit,
    ) -> Result<InvitationRow>;
    /// Accepts an invitation, all in one transaction: checks it is open and
    /// not expired at `now` (unix seconds; [`StoreError::Gone`] otherwise,
    /// saying which), creates `user` ([`StoreError::Conflict`] if the name
    /// is taken), seats them for the invitation's party and marks the
    /// invitation used by them. [`StoreError::NotFound`] for an unknown
    /// token. Two concurrent uses seat one user only: the write lock orders
    /// them and the second finds the invitation used.
    async fn use_invitation(
        &self,
        token_hash: &str,
        user: &UserRow,
        now: i64,
        audit: NewAudit,
    ) -> Result<InvitationRow>;

    /// Follows (`on`) or unfollows a point of a room for a user; following
    /// twice or unfollowing what is not followed is not an error. Not
    /// audited: it is the user's own reading list, like a session.
    async fn set_follow(&self, user: &str, room: &str, point_id: &str, on: bool) -> Result<()>;
    /// The points of a room a user follows, by id.
    async fn follows(&self, user: &str, room: &str) -> Result<Vec<String>>;
    /// Marks inbox items (by key) read for a user; marking twice is not an
    /// error.
    async fn mark_read(&self, user: &str, items: &[String]) -> Result<()>;
    /// The keys of the inbox items a user has read.
    async fn read_marks(&self, user: &str) -> Result<Vec<String>>;
    /// Records a view of a room's overview at `now` (RFC 3339) and returns
    /// when the user's previous visit ended, if there was one. A view after
    /// `new_visit_before` (a view whose previous one came before that time)
    /// starts a new visit; a view within it continues the current one, and
    /// both answer the same.
    async fn visit_room(
        &self,
        user: &str,
        room: &str,
        now: &str,
        new_visit_before: &str,
    ) -> Result<Option<String>>;
    /// The records of a room written after `since` (RFC 3339), newest
    /// first, as (kind, id, updated_at): what "since your last visit"
    /// lists once the server has kept those the user may see.
    async fn changed_since(&self, room: &str, since: &str)
        -> Result<Vec<(String, String, String)>>;
    /// Stores a webhook; `created_at` is set by the store.
    async fn add_webhook(&self, hook: &WebhookRow, audit: NewAudit) -> Result<()>;
    /// A user's webhooks, oldest first.
    async fn webhooks_of(&self, user: &str) -> Result<Vec<WebhookRow>>;
    /// The webhooks of every user seated in a room.
    async fn webhooks_in_room(&self, room: &str) -> Result<Vec<WebhookRow>>;
    /// Deletes one of `user`'s webhooks; [`StoreError::NotFound`] if the
    /// user has no such webhook.
    async fn delete_webhook(&self, user: &str, id: &str, audit: NewAudit) -> Result<()>;

    /// For reads of restricted records: appended in one transaction.
    async fn append_audit(&self, entries: &[NewAudit]) -> Result<()>;
    /// Up to `limit` entries with `seq > after_seq`, in order, optionally
    /// only those about one room: pass the last seq seen to page.
    async fn audit(
        &self,
        room: Option<&str>,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>>;
    /// Recomputes every hash and checks sequence continuity and links.
    async fn verify_audit(&self) -> Result<AuditReport>;

    /// Every table, read in one consistent snapshot.
    async fn dump(&self) -> Result<Dump>;
    /// Into an empty database only (NotEmpty otherwise); verifies the restored
    /// audit chain.
    ///
    /// A dump whose chain is broken is refused with [`StoreError::Corrupt`]
    /// before anything is written; the chain is checked again as stored
    /// before the transaction commits.
    async fn restore(&self, dump: &Dump) -> Result<()>;
}

/// Opens (creating if needed) an SQLite database file and brings its schema
/// up to date.
///
/// The connection runs in WAL mode with `synchronous=FULL` (a committed
/// write survives power loss), foreign keys on, and a busy timeout so that
/// other processes' writers are waited for rather than failed.
pub async fn open_sqlite(path: &Path) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
}

/// Connects to PostgreSQL and brings the schema up to date.
///
/// Fails with [`StoreError::Incompatible`] when this build was made without
/// the `postgres` feature.
pub async fn connect_postgres(url: &str) -> Result<Arc<dyn Store>> {
    #[cfg(feature = "postgres")]
    {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = url;
        Err(StoreError::Incompatible {
            what: "this build of pactum-store has no PostgreSQL support (feature `postgres`)"
                .into(),
        })
    }
}

/// Opens the store a configuration string names: `postgres://…` or
/// `postgresql://…` for PostgreSQL, `sqlite:PATH` or a plain path for
/// SQLite.
pub async fn open(spec: &str) -> Result<Arc<dyn Store>> {
    match Spec::parse(spec) {
        Spec::Postgres(url) => connect_postgres(url).await,
        Spec::Sqlite(path) => open_sqlite(path).await,
    }
}

/// A parsed [`open`] argument.
#[derive(Debug, PartialEq, Eq)]
enum Spec<'a> {
    Postgres(&'a str),
    Sqlite(&'a Path),
}

impl<'a> Spec<'a> {
    fn parse(spec: &'a str) -> Self {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            return Spec::Postgres(spec);
        }
        let path = match spec.strip_prefix("sqlite:") {
            // `sqlite:///abs/path` and `sqlite://rel` as in URL-style configs.
            Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
            None => spec,
        };
        Spec::Sqlite(Path::new(path))
    }
}

#[cfg(test)]
mod tests {
    use super::Spec;
    use std::path::Path;

    #[test]
    fn spec_picks_the_backend() {
        let pg = "postgres://u@h:5432/db";
        assert_eq!(Spec::parse(pg), Spec::Postgres(pg));
        let pg = "postgresql://h/db?sslmode=disable";
        assert_eq!(Spec::parse(pg), Spec::Postgres(pg));
        for (spec, path) in [
            ("sqlite:data/ws.db", "data/ws.db"),
            ("sqlite:///var/lib/ws.db", "/var/lib/ws.db"),
            ("sqlite://ws.db", "ws.db"),
            ("/var/lib/ws.db", "/var/lib/ws.db"),
            ("ws.db", "ws.db"),
        ] {
            assert_eq!(Spec::parse(spec), Spec::Sqlite(Path::new(path)), "{spec}");
        }
    }
}
