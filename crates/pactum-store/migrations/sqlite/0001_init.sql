-- pactum-store schema 1 (SQLite).
-- Keep table and column names in step with migrations/postgres: both
-- backends run the same queries (src/shared.rs).
-- `pos` columns alias the rowid and give insertion order; rows are never
-- deleted from those tables, so positions are never reused.

CREATE TABLE rooms (
    pos        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE CHECK (id <> ''),
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    name          TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE records (
    pos        INTEGER PRIMARY KEY,
    room       TEXT NOT NULL REFERENCES rooms (id),
    kind       TEXT NOT NULL CHECK (kind <> ''),
    id         TEXT NOT NULL CHECK (id <> ''),
    visibility TEXT NOT NULL,
    body       TEXT NOT NULL,
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (room, kind, id)
) STRICT;
CREATE INDEX records_by_room ON records (room, pos);

CREATE TABLE members (
    pos       INTEGER PRIMARY KEY,
    room      TEXT NOT NULL REFERENCES rooms (id),
    user_name TEXT NOT NULL REFERENCES users (name),
    party_id  TEXT NOT NULL,
    UNIQUE (room, user_name)
) STRICT;
CREATE INDEX members_by_user ON members (user_name, pos);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_name  TEXT NOT NULL REFERENCES users (name),
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_name  TEXT NOT NULL REFERENCES users (name),
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- No foreign keys: the log outlives what it talks about, and a restore
-- writes it as it was.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL CHECK (actor <> ''),
    action    TEXT NOT NULL CHECK (action <> ''),
    room      TEXT,
    kind      TEXT,
    record_id TEXT,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_room ON audit_log (room, seq);
