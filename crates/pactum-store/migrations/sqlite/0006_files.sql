-- pactum-store schema 6 (SQLite): a document record's uploaded file.
-- Keep in step with migrations/postgres/0006_files.sql.
-- One file per record (the key is the record's); the record's visibility
-- is the file's, decided by the server, so nothing here names an audience.
-- `size` and `sha256` are the store's own, computed from `bytes` on write.

CREATE TABLE files (
    room         TEXT NOT NULL REFERENCES rooms (id),
    record_id    TEXT NOT NULL CHECK (record_id <> ''),
    name         TEXT NOT NULL CHECK (name <> ''),
    content_type TEXT NOT NULL CHECK (content_type <> ''),
    size         INTEGER NOT NULL CHECK (size >= 0),
    sha256       TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL CHECK (uploaded_by <> ''),
    uploaded_at  TEXT NOT NULL,
    PRIMARY KEY (room, record_id)
) STRICT;
