//! Version numbers as each viewer knows them.
//!
//! A room numbers the versions of its text in one sequence (`version` in a
//! text's body): a drafted version takes the next number when it is
//! started, an imported one keeps the case's. A party is not given every
//! version, and a number it is given would betray the ones it is not: a
//! party holding versions 1 and 3 knows that a version 2 exists. So every
//! viewer but the mediator sees each version it can see numbered by its
//! rank among the numbered versions it can see, 1, 2, 3 with no gap, in the
//! room's order (versions with the same room number share a rank). The
//! mediator, who sees every version, keeps the room's numbering and is told
//! how each party numbers a version ([`known_as`]), so that it can speak to
//! each party in that party's terms.
//!
//! Drafts keep their room number: a draft is seen by the mediator only, so
//! it never counts in a party's numbering, and the mediator can still speak
//! of "draft 4". Unnumbered texts (document sets, counter-proposals,
//! versions a case could not place) stay unnumbered for everyone.
//!
//! A party's numbers follow what it can see: when a version is later
//! published or widened to it, the versions after that one move up by one
//! for that party.

use crate::model::{Kind, PartyKind, Record, Room};
use crate::visibility::Viewer;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The room's number of a text, when it has one.
pub fn room_number(text: &Record) -> Option<u64> {
    text.body.get("version").and_then(Value::as_u64)
}

/// The number each of `texts` has for a viewer who sees exactly these
/// texts: the dense rank (from 1) of its room number among theirs, by text
/// id; unnumbered texts are absent.
pub fn ranks<'a>(texts: impl IntoIterator<Item = &'a Record>) -> HashMap<String, u64> {
    let texts: Vec<&Record> = texts.into_iter().filter(|t| t.kind == Kind::Text).collect();
    let numbers: BTreeSet<u64> = texts.iter().filter_map(|t| room_number(t)).collect();
    let rank: HashMap<u64, u64> = numbers.into_iter().zip(1..).collect();
    texts
        .iter()
        .filter_map(|t| Some((t.id.clone(), rank[&room_number(t)?])))
        .collect()
}

/// Rewrites the `version` of every text among `records` (the records one
/// viewer may see, and only those) to the number that viewer knows it by.
/// The mediator and the operator keep the room's numbering; for anyone
/// else a `version` that is not a whole number is cleared, as a number
/// spelled some other way would carry the room's count as well.
pub fn renumber(records: &mut [Record], viewer: &Viewer) {
    if viewer.is_mediator() {
        return;
    }
    let ranks = ranks(records.iter());
    for t in records.iter_mut().filter(|r| r.kind == Kind::Text) {
        let v = match ranks.get(&t.id) {
            Some(n) => Value::from(*n),
            None if t.body.contains_key("version") => Value::Null,
            None => continue,
        };
        t.body.insert("version".into(), v);
    }
}

/// How one party numbers a version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KnownAs {
    /// The party.
    pub party_id: String,
    /// Its number for the version.
    pub version: u64,
}

/// For the mediator: how each party (observers included) that can see
/// `text_id` numbers it, in the room's party order; empty when the text is
/// unnumbered or no party sees it. `room` is the mediator's view.
pub fn known_as(room: &Room, text_id: &str) -> Vec<KnownAs> {
    let Some(text) = room.get(Kind::Text, text_id) else {
        return Vec::new();
    };
    if room_number(text).is_none() {
        return Vec::new();
    }
    room.of(Kind::Party)
        .filter(|p| PartyKind::of(p) != PartyKind::Mediator)
        .filter_map(|p| {
            let viewer = Viewer::Member {
                party: p.id.clone(),
            };
            if !viewer.can_see(&text.visibility) {
                return None;
            }
            let seen = room
                .of(Kind::Text)
                .filter(|t| viewer.can_see(&t.visibility));
            let version = *ranks(seen).get(text_id)?;
            Some(KnownAs {
                party_id: p.id.clone(),
                version,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Visibility;
    use serde_json::json;

    fn text(id: &str, version: Value, visibility: Visibility) -> Record {
        Record {
            kind: Kind::Text,
            id: id.into(),
            visibility,
            body: json!({"id": id, "version": version})
                .as_object()
                .cloned()
                .unwrap(),
        }
    }

    fn party(id: &str, kind: &str) -> Record {
        Record {
            kind: Kind::Party,
            id: id.into(),
            visibility: Visibility::Room,
            body: json!({"id": id, "kind": kind})
                .as_object()
                .cloned()
                .unwrap(),
        }
    }

    fn to(parties: &[&str]) -> Visibility {
        Visibility::Parties {
            parties: parties.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn room() -> Room {
        Room::new(vec![
            party("med", "mediator"),
            party("a", "party"),
            party("b", "party"),
            text("t1", json!(1), Visibility::Room),
            text("t2", json!(2), to(&["a"])),
            text("t3", json!(3), to(&["a", "b"])),
            text("t4", json!(4), Visibility::Mediator),
            text("set", Value::Null, Visibility::Room),
        ])
    }

    fn versions(records: &[Record]) -> Vec<(String, Value)> {
        records
            .iter()
            .filter(|r| r.kind == Kind::Text)
            .map(|t| (t.id.clone(), t.body["version"].clone()))
            .collect()
    }

    fn seen_by(viewer: &Viewer) -> Vec<Record> {
        let mut records: Vec<Record> = room()
            .into_records()
            .into_iter()
            .filter(|r| viewer.can_see(&r.visibility))
            .collect();
        renumber(&mut records, viewer);
        records
    }

    #[test]
    fn a_party_given_versions_one_and_three_sees_one_and_two() {
        let b = Viewer::Member { party: "b".into() };
        assert_eq!(
            versions(&seen_by(&b)),
            vec![
                ("t1".into(), json!(1)),
                ("t3".into(), json!(2)),
                ("set".into(), Value::Null)
            ]
        );
        let a = Viewer::Member { party: "a".into() };
        assert_eq!(
            versions(&seen_by(&a)),
            vec![
                ("t1".into(), json!(1)),
                ("t2".into(), json!(2)),
                ("t3".into(), json!(3)),
                ("set".into(), Value::Null)
            ]
        );
    }

    #[test]
    fn the_mediator_keeps_the_rooms_numbers_drafts_included() {
        let m = Viewer::Mediator {
            party: "med".into(),
        };
        assert_eq!(
            versions(&seen_by(&m)),
            vec![
                ("t1".into(), json!(1)),
                ("t2".into(), json!(2)),
                ("t3".into(), json!(3)),
                ("t4".into(), json!(4)),
                ("set".into(), Value::Null)
            ]
        );
    }

    #[test]
    fn equal_room_numbers_share_a_rank_and_odd_spellings_are_cleared() {
        let mut records = vec![
            text("x", json!(5), Visibility::Room),
            text("y", json!(5), Visibility::Room),
            text("z", json!(9), Visibility::Room),
            text("w", json!("7"), Visibility::Room),
        ];
        renumber(&mut records, &Viewer::Member { party: "a".into() });
        assert_eq!(
            versions(&records),
            vec![
                ("x".into(), json!(1)),
                ("y".into(), json!(1)),
                ("z".into(), json!(2)),
                ("w".into(), Value::Null)
            ]
        );
    }

    #[test]
    fn the_mediator_is_told_each_partys_number() {
        let r = room();
        let known = |id: &str| -> Vec<(String, u64)> {
            known_as(&r, id)
                .into_iter()
                .map(|k| (k.party_id, k.version))
                .collect()
        };
        assert_eq!(known("t3"), vec![("a".into(), 3), ("b".into(), 2)]);
        assert_eq!(known("t2"), vec![("a".into(), 2)]);
        assert_eq!(known("t4"), vec![]);
        assert_eq!(known("set"), vec![]);
    }
}
