-- pactum-store schema 4 (PostgreSQL): the word index of record bodies, a
-- search's prefilter. Keep in step with migrations/sqlite/0004_search.sql.
-- `words` is the body's distinct lower-cased words joined by spaces, made by
-- the store in Rust (src/words.rs) at every write; NULL for a record too
-- large to index (a candidate of every search). Rows written before this
-- schema get theirs when the store first opens the database.
--
-- The words become lexemes as they are (`array_to_tsvector`: no parser, no
-- dictionary, no locale), so a query word matches exactly the records that
-- hold it, as on SQLite. Searches repeat this index's expression.

ALTER TABLE records ADD COLUMN words TEXT;

CREATE INDEX records_words ON records
    USING GIN (array_to_tsvector(string_to_array(words, ' ')));

CREATE INDEX records_unindexed ON records (room) WHERE words IS NULL;
