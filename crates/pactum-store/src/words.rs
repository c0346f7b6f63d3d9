//! How the store's word index splits text, and how a search asks it.
//!
//! Search in the workspace is two steps: the database's own full-text index
//! narrows a room to the records whose stored body holds every word of the
//! query ([`crate::Store::search_candidates`]), and the server then checks
//! each word again against what the user may see of each candidate. The
//! first step must never miss a record the second accepts, so both split
//! text here, with one rule, and the index is fed the words this module
//! makes rather than the database's own parser's: SQLite's and PostgreSQL's
//! tokenizers disagree with each other (and with Rust) about case, marks
//! and punctuation, and a disagreement would be a missed record.
//!
//! A word is a maximal run of characters that are alphabetic or numeric
//! (Unicode's properties, so Cyrillic, Arabic with its vowel marks, Greek,
//! CJK ideographs all make words) or private-use, lower-cased as a whole
//! with Rust's Unicode lower-casing. Accents are kept: "café" and "cafe"
//! are different words, on both backends alike.
//!
//! What a record indexes ([`index_of`]) is the distinct words of every
//! string in its body, joined by single spaces; the backends index those
//! tokens verbatim (SQLite: FTS5 with every category but separators and
//! controls as token characters; PostgreSQL: `array_to_tsvector`, no
//! parser at all), so a query word matches exactly the records that hold
//! it. A body too large to index, or not JSON, is stored without words and
//! is a candidate of every search.

use serde_json::Value;
use std::collections::HashSet;

/// The longest word, in characters, that is indexed and that a query may
/// hold: longer runs are not language, and PostgreSQL caps a lexeme at 2 KiB.
pub const MAX_WORD_CHARS: usize = 100;

/// The largest index text, in bytes, a record is given; a larger record is
/// stored without one (a candidate of every search) rather than refused.
/// PostgreSQL caps a text search vector at 1 MiB.
pub const MAX_INDEX_BYTES: usize = 256 * 1024;

/// Is `c` part of a word?
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c as u32, 0xE000..=0xF8FF | 0xF_0000..=0xF_FFFD | 0x10_0000..=0x10_FFFD)
}

/// The words of `text`, each with its byte range in `text`, lower-cased.
pub fn words(text: &str) -> impl Iterator<Item = (std::ops::Range<usize>, String)> + '_ {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let start = loop {
            let (i, c) = rest.next()?;
            if is_word_char(c) {
                break i;
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = rest.peek() {
            if !is_word_char(c) {
                end = i;
                break;
            }
            rest.next();
        }
        Some((start..end, text[start..end].to_lowercase()))
    })
}

/// The index text of a stored body: its strings' distinct words (object
/// keys are not text), in order of first appearance, joined by spaces;
/// `None` for a body that is not JSON or whose words exceed
/// [`MAX_INDEX_BYTES`] (such a record is a candidate of every search).
pub fn index_of(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let mut seen = HashSet::new();
    let mut out = String::new();
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                for (_, w) in words(s) {
                    if w.chars().count() > MAX_WORD_CHARS || seen.contains(&w) {
                        continue;
                    }
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(&w);
                    if out.len() > MAX_INDEX_BYTES {
                        return None;
                    }
                    seen.insert(w);
                }
            }
            Value::Array(list) => stack.extend(list.iter().rev()),
            Value::Object(o) => stack.extend(o.values().rev()),
            _ => {}
        }
    }
    Some(out)
}

/// Checks the terms a search passes the store: at least one, each a word
/// as [`words`] makes them (one token: no space, no control character) and
/// no longer than [`MAX_WORD_CHARS`].
pub(crate) fn check_terms(terms: &[String]) -> crate::Result<()> {
    if terms.is_empty() {
        return Err(crate::StoreError::Invalid {
            what: "a search needs at least one word".into(),
        });
    }
    for t in terms {
        let token = !t.is_empty() && !t.chars().any(|c| c.is_whitespace() || c.is_control());
        if !token || t.chars().count() > MAX_WORD_CHARS {
            return Err(crate::StoreError::Invalid {
                what: format!(
                    "{t:?} is not one lower-case word of at most {MAX_WORD_CHARS} characters"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(s: &str) -> Vec<String> {
        words(s).map(|(_, w)| w).collect()
    }

    #[test]
    fn words_are_unicode_runs_lower_cased() {
        assert_eq!(ws("Hello, World! x2"), ["hello", "world", "x2"]);
        assert_eq!(ws("МИР и труд"), ["мир", "и", "труд"]);
        // A combining mark that is not alphabetic (a stress accent) parts
        // a word, in the index and in a query alike.
        assert_eq!(ws("«сл\u{0301}ово»"), ["сл", "ово"]);
        assert_eq!(ws("الْقُدْس، غزة"), ["الْقُدْس", "غزة"]);
        assert_eq!(ws("Café-crème"), ["café", "crème"]);
        assert_eq!(ws("line1\nword"), ["line1", "word"]);
        let text = "a «Ünïcode» b";
        let (range, w) = words(text).nth(1).unwrap();
        assert_eq!((&text[range], w.as_str()), ("Ünïcode", "ünïcode"));
    }

    #[test]
    fn the_index_holds_each_word_of_every_string_once() {
        let body = r#"{"id":"s_1","summary":"Water and WATER","n":3,"points":[{"text":"water rights\nnow"}],"k":{"deep":"Право"}}"#;
        let mut got: Vec<String> = index_of(body)
            .unwrap()
            .split(' ')
            .map(str::to_string)
            .collect();
        got.sort();
        assert_eq!(got, ["1", "and", "now", "rights", "s", "water", "право"]);
        assert_eq!(index_of("not json"), None);
        let long = format!("{{\"a\":\"{} ok\"}}", "x".repeat(MAX_WORD_CHARS + 1));
        assert_eq!(index_of(&long).unwrap(), "ok");
    }

    #[test]
    fn terms_are_checked() {
        assert!(check_terms(&[]).is_err());
        assert!(check_terms(&["two words".into()]).is_err());
        assert!(check_terms(&["".into()]).is_err());
        assert!(check_terms(&["x".repeat(MAX_WORD_CHARS + 1)]).is_err());
        assert!(check_terms(&["мир".into(), "x2".into()]).is_ok());
    }
}
