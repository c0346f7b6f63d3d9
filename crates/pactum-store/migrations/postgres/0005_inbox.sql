-- pactum-store schema 5 (PostgreSQL): each user's own inbox state and webhooks.
-- Keep table and column names in step with migrations/sqlite.
-- Nothing here holds room content: inbox items are derived from the records
-- a user may see, so only the user's own marks are stored.

-- Points a user follows (amendments and stances on them reach the inbox).
CREATE TABLE follows (
    user_name  TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    room       TEXT COLLATE "C" NOT NULL REFERENCES rooms (id),
    point_id   TEXT NOT NULL CHECK (point_id <> ''),
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_name, room, point_id)
);

-- Inbox items a user has read, by the item's key.
CREATE TABLE inbox_reads (
    user_name TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    item      TEXT NOT NULL,
    read_at   TEXT NOT NULL,
    PRIMARY KEY (user_name, item)
);

-- A user's visits of a room's overview: a page view within a gap of the
-- last one (`last_seen`) continues the visit; after the gap a new visit
-- starts, and `since` (the end of the one before) is what "since your last
-- visit" compares with.
CREATE TABLE room_visits (
    user_name  TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    room       TEXT COLLATE "C" NOT NULL REFERENCES rooms (id),
    since      TEXT,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (user_name, room)
);

-- Outbound webhooks: a URL told the kind of each new inbox item and a link,
-- under the origin the user registered it from.
CREATE TABLE webhooks (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (id <> ''),
    user_name  TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    url        TEXT NOT NULL,
    origin     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX webhooks_by_user ON webhooks (user_name);
