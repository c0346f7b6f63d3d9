//! Record ids: random for what the workspace makes, drawn from a seed for
//! an import, so that the import preview can show the ids the import will
//! store.
//!
//! Why a seed rather than carrying the preview's ids to the import: the
//! preview and the import are separate requests (and, on the command line,
//! separate runs) that each read the case again, and the ids must not be
//! something a client can choose record by record (a map sent back could
//! name `s02` again). A seed is one value: the preview draws it at random
//! and returns it; an import given the same seed and the same case mints
//! the same ids in the same order; an import given none draws a new one.
//! Each id is `<prefix>_<12 hex digits>` as [`super::RoomAccess::new_id`]
//! makes them, the digits being the first 48 bits of
//! SHA-256(`pactum-import-ids`, seed, kind, n) for the n-th id of that kind:
//! unpredictable without the seed, which is shown only to whoever imports
//! (who holds the whole case anyway) and is not stored.

use pactum_workspace::model::Kind;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The prefix of a kind's ids (`st_`, `tx_`, ...).
pub fn prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Stance => "st",
        Kind::Text => "tx",
        Kind::Meeting => "mt",
        Kind::Document => "doc",
        Kind::Note => "note",
        Kind::Session => "ses",
        Kind::Amendment => "am",
        Kind::Comment => "cm",
        _ => "rec",
    }
}

/// Hex digits in a seed (128 bits).
const SEED_HEX: usize = 32;

/// The seed an import's ids are drawn from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSeed(String);

/// A seed that is not 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {SEED_HEX} lowercase hex digits (the id_seed a preview returned)")]
pub struct BadSeed;

impl IdSeed {
    /// A new seed from the operating system's random source.
    pub fn random() -> IdSeed {
        IdSeed(crate::auth::random_hex(SEED_HEX / 2))
    }

    /// A seed as a preview returned it.
    pub fn parse(s: &str) -> Result<IdSeed, BadSeed> {
        if s.len() == SEED_HEX
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(IdSeed(s.to_string()))
        } else {
            Err(BadSeed)
        }
    }

    /// The seed as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mint: the n-th call for a kind gives that kind's n-th id.
    pub fn mint(&self) -> impl FnMut(Kind) -> String + '_ {
        let mut counts: HashMap<Kind, u64> = HashMap::new();
        move |kind| {
            let n = counts.entry(kind).or_insert(0);
            let mut h = Sha256::new();
            for part in [
                b"pactum-import-ids".as_slice(),
                self.0.as_bytes(),
                kind.as_str().as_bytes(),
            ] {
                h.update((part.len() as u64).to_be_bytes());
                h.update(part);
            }
            h.update(n.to_be_bytes());
            *n += 1;
            let digest = h.finalize();
            let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            format!("{}_{hex}", prefix(kind))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_mints_the_same_ids_and_another_seed_others() {
        let a = IdSeed::parse(&"ab".repeat(16)).unwrap();
        let b = IdSeed::random();
        let take = |s: &IdSeed| {
            let mut m = s.mint();
            [Kind::Stance, Kind::Stance, Kind::Text].map(&mut m)
        };
        let first = take(&a);
        assert_eq!(first, take(&a));
        assert_ne!(first, take(&b));
        assert_ne!(first[0], first[1]);
        assert!(
            first[0].starts_with("st_") && first[0].len() == 15,
            "{}",
            first[0]
        );
        assert!(first[2].starts_with("tx_"));
        assert_eq!(IdSeed::parse(b.as_str()), Ok(b.clone()));
        for bad in ["", "AB", &"g".repeat(32), &"a".repeat(31), &"A".repeat(32)] {
            assert_eq!(IdSeed::parse(bad), Err(BadSeed), "{bad:?}");
        }
    }
}
