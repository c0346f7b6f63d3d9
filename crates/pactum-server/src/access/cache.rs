//! What [`super::RoomAccess::load`] read and built, kept between requests.
//!
//! A busy room holds 100,000 records; reading, parsing, filtering and
//! typing them all on every request costs far more than answering it. Two
//! levels are kept, both keyed by the room's change count
//! ([`pactum_store::Store::room_changes`]), which every write of the room's
//! records raises in its own transaction, whichever process made it:
//!
//! - a room's records as stored, parsed ([`Rows`]);
//! - a party's view of them ([`View`]): the records the party may see, with
//!   hidden names dropped, versions renumbered and bodies typed.
//!
//! Each request reads the count first (one indexed query) and uses a kept
//! value only when it was built at that very count, so a write, a
//! narrowing or a new member's party becomes visible on the next request,
//! on every server over the same database. A view depends only on the
//! viewer's party (the visibility rule knows parties, not users), so it is
//! shared by the party's delegates; who holds a seat is read afresh on
//! every request and never kept. Both levels hold a few entries, least
//! recently used evicted first, so memory stays bounded.

use super::Role;
use pactum_workspace::model::{Kind, Record, Room};
use pactum_workspace::references::Hidden;
use pactum_workspace::Viewer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many rooms' stored records are kept, at most.
const ROOMS_KEPT: usize = 8;
/// How many records the kept rooms hold together, at most: 100,000 parsed
/// records take about 400 MB, so both levels together stay under about
/// 2.5 GB however many rooms and parties are read.
const ROOM_RECORDS_KEPT: usize = 200_000;
/// How many (room, party) views are kept, at most.
const VIEWS_KEPT: usize = 32;
/// How many records the kept views hold together, at most.
const VIEW_RECORDS_KEPT: usize = 400_000;

/// Which state of a room a kept value was built from: the room's creation
/// time (a room made anew under an old id starts a new count) and its
/// change count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub created_at: String,
    pub changes: i64,
}

/// A room's records as stored, with their revisions, in the store's order.
pub(crate) type Rows = Arc<Vec<(Record, i64)>>;

/// One party's view of a room at one [`Stamp`].
pub(crate) struct View {
    pub viewer: Viewer,
    pub role: Role,
    pub room: Arc<Room>,
    pub revisions: Arc<HashMap<(Kind, String), i64>>,
    pub hidden: Arc<Hidden>,
}

struct Slot<T> {
    stamp: Stamp,
    value: T,
    used: u64,
    weight: usize,
}

/// A small map that evicts its least recently used entries when it holds
/// more than `cap` entries or more than `budget` in weight (records); the
/// entry just kept stays, however heavy.
struct Lru<K, T> {
    slots: HashMap<K, Slot<T>>,
    cap: usize,
    budget: usize,
    clock: u64,
}

impl<K: std::hash::Hash + Eq + Clone, T: Clone> Lru<K, T> {
    fn new(cap: usize, budget: usize) -> Self {
        Lru {
            slots: HashMap::new(),
            cap,
            budget,
            clock: 0,
        }
    }

    fn get(&mut self, key: &K, stamp: &Stamp) -> Option<T> {
        self.clock += 1;
        let clock = self.clock;
        let slot = self.slots.get_mut(key)?;
        if &slot.stamp != stamp {
            return None;
        }
        slot.used = clock;
        Some(slot.value.clone())
    }

    fn put(&mut self, key: K, stamp: Stamp, value: T, weight: usize) {
        self.clock += 1;
        self.slots.insert(
            key.clone(),
            Slot {
                stamp,
                value,
                used: self.clock,
                weight,
            },
        );
        while self.slots.len() > self.cap
            || self.slots.values().map(|s| s.weight).sum::<usize>() > self.budget
        {
            let Some(oldest) = self
                .slots
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.slots.remove(&oldest);
        }
    }
}

/// The kept rooms and views of one server process (one [`super::AppState`]).
pub(crate) struct Cache {
    rows: Mutex<Lru<String, Rows>>,
    views: Mutex<Lru<(String, String), Arc<View>>>,
    /// One turn per room for building views (see `super::build_view`).
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            rows: Mutex::new(Lru::new(ROOMS_KEPT, ROOM_RECORDS_KEPT)),
            views: Mutex::new(Lru::new(VIEWS_KEPT, VIEW_RECORDS_KEPT)),
            turns: Mutex::default(),
        }
    }
}

impl Cache {
    /// The room's turn to build views; turns no request holds are
    /// forgotten, so rooms no longer read leave nothing behind.
    pub fn build_turn(&self, room: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = lock(&self.turns);
        turns.retain(|_, t| Arc::strong_count(t) > 1);
        Arc::clone(turns.entry(room.to_string()).or_default())
    }

    /// The room's records, if kept at `stamp`.
    pub fn rows(&self, room: &str, stamp: &Stamp) -> Option<Rows> {
        lock(&self.rows).get(&room.to_string(), stamp)
    }

    /// Keeps the room's records as read at `stamp` (read after the stamp,
    /// so they are at least as new as it).
    pub fn keep_rows(&self, room: &str, stamp: Stamp, rows: Rows) {
        let weight = rows.len();
        lock(&self.rows).put(room.to_string(), stamp, rows, weight);
    }

    /// The party's view of the room, if kept at `stamp`.
    pub fn view(&self, room: &str, party: &str, stamp: &Stamp) -> Option<Arc<View>> {
        lock(&self.views).get(&(room.to_string(), party.to_string()), stamp)
    }

    /// Keeps the party's view built from the records kept at `stamp`.
    pub fn keep_view(&self, room: &str, party: &str, stamp: Stamp, view: Arc<View>) {
        let weight = view.room.records().len();
        lock(&self.views).put((room.to_string(), party.to_string()), stamp, view, weight);
    }
}

/// The lock's data; a panic while it was held leaves nothing half written
/// that matters (an entry is inserted whole), so a poisoned lock is used.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(n: i64) -> Stamp {
        Stamp {
            created_at: "t".into(),
            changes: n,
        }
    }

    #[test]
    fn a_value_is_given_only_at_its_own_stamp() {
        let mut lru = Lru::new(2, 100);
        lru.put("a", stamp(1), 10, 1);
        assert_eq!(lru.get(&"a", &stamp(1)), Some(10));
        assert_eq!(lru.get(&"a", &stamp(2)), None);
        assert_eq!(
            lru.get(
                &"a",
                &Stamp {
                    created_at: "u".into(),
                    changes: 1
                }
            ),
            None
        );
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut lru = Lru::new(2, 100);
        lru.put("a", stamp(1), 1, 1);
        lru.put("b", stamp(1), 2, 1);
        lru.get(&"a", &stamp(1));
        lru.put("c", stamp(1), 3, 1);
        assert_eq!(lru.slots.len(), 2);
        assert_eq!(lru.get(&"b", &stamp(1)), None);
        assert_eq!(lru.get(&"a", &stamp(1)), Some(1));
        assert_eq!(lru.get(&"c", &stamp(1)), Some(3));
    }

    #[test]
    fn the_records_kept_stay_within_the_budget() {
        let mut lru = Lru::new(10, 100);
        lru.put("a", stamp(1), 1, 60);
        lru.put("b", stamp(1), 2, 30);
        lru.put("c", stamp(1), 3, 30);
        assert_eq!(lru.get(&"a", &stamp(1)), None);
        assert_eq!(lru.get(&"b", &stamp(1)), Some(2));
        // One entry over the budget alone is still kept.
        lru.put("d", stamp(1), 4, 500);
        assert_eq!(lru.slots.len(), 1);
        assert_eq!(lru.get(&"d", &stamp(1)), Some(4));
    }
}
