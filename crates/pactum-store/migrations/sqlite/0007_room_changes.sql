-- pactum-store schema 7 (SQLite): a per-room change counter.
-- Keep in step with migrations/postgres/0007_room_changes.sql.
-- Every write of a room's records adds one, in the write's own transaction,
-- so a server that cached what it read of a room knows with one cheap query
-- whether any process has written the room since (see `Store::room_changes`).
ALTER TABLE rooms ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
