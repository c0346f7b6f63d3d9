-- pactum-store schema 4 (SQLite): the word index of record bodies, a
-- search's prefilter. Keep in step with migrations/postgres/0004_search.sql.
-- `words` is the body's distinct lower-cased words joined by spaces, made by
-- the store in Rust (src/words.rs) at every write, so that both backends
-- index the very tokens the server's own check uses; NULL for a record too
-- large to index (a candidate of every search). Rows written before this
-- schema get theirs when the store first opens the database (the store's
-- `backfill_words`).
--
-- The FTS5 table indexes `records.words` (external content, kept in step by
-- the triggers). Every category but separators (Z*) and controls (Cc) is a
-- token character, so each space-separated word is one token whatever its
-- script, marks or punctuation; `remove_diacritics 0` keeps accents.

ALTER TABLE records ADD COLUMN words TEXT;

CREATE VIRTUAL TABLE record_words USING fts5(
    words,
    content = 'records',
    content_rowid = 'pos',
    tokenize = "unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Co Cf Cn'"
);

CREATE TRIGGER record_words_insert AFTER INSERT ON records
WHEN new.words IS NOT NULL
BEGIN
    INSERT INTO record_words (rowid, words) VALUES (new.pos, new.words);
END;

CREATE TRIGGER record_words_delete AFTER DELETE ON records
WHEN old.words IS NOT NULL
BEGIN
    INSERT INTO record_words (record_words, rowid, words) VALUES ('delete', old.pos, old.words);
END;

CREATE TRIGGER record_words_update AFTER UPDATE OF words ON records
BEGIN
    INSERT INTO record_words (record_words, rowid, words)
    SELECT 'delete', old.pos, old.words WHERE old.words IS NOT NULL;
    INSERT INTO record_words (rowid, words)
    SELECT new.pos, new.words WHERE new.words IS NOT NULL;
END;

CREATE INDEX records_unindexed ON records (room) WHERE words IS NULL;
