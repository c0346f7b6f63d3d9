-- pactum-store schema 2 (SQLite): operators, invitations, expiring tokens.
-- Keep table and column names in step with migrations/postgres.
-- From this schema on, members, sessions and tokens rows may be deleted (a
-- removed delegate, a revoked token); their `pos` still orders what is left.

-- 1 for a server operator (creates rooms, invites the mediator party).
ALTER TABLE users ADD COLUMN operator INTEGER NOT NULL DEFAULT 0 CHECK (operator IN (0, 1));

-- A public id (what lists show and DELETE names), distinct from the hash;
-- tokens issued before this schema get one at random, and 30 days to live.
ALTER TABLE tokens ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE tokens SET id = 'tok_' || lower(hex(randomblob(8))),
    expires_at = CAST(strftime('%s', 'now') AS INTEGER) + 30 * 86400;
CREATE UNIQUE INDEX tokens_by_id ON tokens (id);
CREATE INDEX tokens_by_user ON tokens (user_name);
CREATE INDEX sessions_by_user ON sessions (user_name);

-- One-time invitations to sit for a party in a room. Only the token's hash
-- is kept; `id` is the public handle.
CREATE TABLE invitations (
    pos        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE CHECK (id <> ''),
    token_hash TEXT NOT NULL UNIQUE,
    room       TEXT NOT NULL REFERENCES rooms (id),
    party_id   TEXT NOT NULL CHECK (party_id <> ''),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'used', 'revoked')),
    used_by    TEXT,
    used_at    TEXT
) STRICT;
CREATE INDEX invitations_by_room ON invitations (room, pos);
