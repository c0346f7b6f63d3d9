-- pactum-store schema 3 (SQLite): every revision of every record.
-- Keep in step with migrations/postgres/0003_record_history.sql.
-- Written in the same transaction as the record write it copies, so the
-- history cannot miss a revision nor hold one that was not stored. Rows are
-- never updated or deleted: a correction or a withdrawal is a new revision.

CREATE TABLE record_history (
    pos        INTEGER PRIMARY KEY,
    room       TEXT NOT NULL REFERENCES rooms (id),
    kind       TEXT NOT NULL CHECK (kind <> ''),
    id         TEXT NOT NULL CHECK (id <> ''),
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    visibility TEXT NOT NULL,
    body       TEXT NOT NULL,
    actor      TEXT NOT NULL CHECK (actor <> ''),
    action     TEXT NOT NULL,
    at         TEXT NOT NULL,
    UNIQUE (room, kind, id, revision)
) STRICT;

-- Records written before this schema: their current revision is all that
-- is known of them.
INSERT INTO record_history (room, kind, id, revision, visibility, body, actor, action, at)
SELECT room, kind, id, revision, visibility, body, 'pactum', 'history.start', updated_at
FROM records ORDER BY pos;
