-- pactum-store schema 1 (PostgreSQL).
-- Keep table and column names in step with migrations/sqlite: both
-- backends run the same queries (src/shared.rs).
-- Keys and sorted columns use COLLATE "C" so that ORDER BY is byte order,
-- as in SQLite, whatever the database's locale: dumps of both backends then
-- list rows identically.
-- Bodies are TEXT, not JSONB: JSONB would normalise them (key order,
-- whitespace, duplicate keys) and they must come back byte for byte.

CREATE TABLE rooms (
    pos        BIGSERIAL PRIMARY KEY,
    id         TEXT COLLATE "C" NOT NULL UNIQUE CHECK (id <> ''),
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    name          TEXT COLLATE "C" PRIMARY KEY CHECK (name <> ''),
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE records (
    pos        BIGSERIAL PRIMARY KEY,
    room       TEXT COLLATE "C" NOT NULL REFERENCES rooms (id),
    kind       TEXT COLLATE "C" NOT NULL CHECK (kind <> ''),
    id         TEXT COLLATE "C" NOT NULL CHECK (id <> ''),
    visibility TEXT NOT NULL,
    body       TEXT NOT NULL,
    revision   BIGINT NOT NULL CHECK (revision >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (room, kind, id)
);
CREATE INDEX records_by_room ON records (room, pos);

CREATE TABLE members (
    pos       BIGSERIAL PRIMARY KEY,
    room      TEXT COLLATE "C" NOT NULL REFERENCES rooms (id),
    user_name TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    party_id  TEXT NOT NULL,
    UNIQUE (room, user_name)
);
CREATE INDEX members_by_user ON members (user_name, pos);

CREATE TABLE sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_name  TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    csrf       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_name  TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- No foreign keys: the log outlives what it talks about, and a restore
-- writes it as it was. seq is assigned by the store under an advisory lock,
-- not by a sequence, so that it has no gaps.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY CHECK (seq >= 1),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL CHECK (actor <> ''),
    action    TEXT NOT NULL CHECK (action <> ''),
    room      TEXT COLLATE "C",
    kind      TEXT COLLATE "C",
    record_id TEXT COLLATE "C",
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_by_room ON audit_log (room, seq);
