//! Redlines between two versions of the single negotiating text.
//!
//! A mediator who tables a revised text has to show every party exactly what
//! happened to each point: unchanged, renumbered, reworded, moved, merged
//! with others, split, inserted or deleted. This module answers that from
//! two ordered point lists, so it works for any pair of versions, not just
//! consecutive ones. Points are paired by their identity when the versions
//! carry one (drafted in pactum: keys kept across versions, `derived_from`
//! for merges and splits) and by their wording otherwise (imports, whose
//! keys are often just numbers), so that in a long imported text a merge,
//! a deletion and an insertion read as exactly that and every carried point
//! as unchanged or renumbered. Only [`diff_texts`] looks at records, to
//! choose between the two.
//!
//! Word-level redlines are exact: gluing the unchanged and removed pieces back
//! together yields the old text byte for byte, and the unchanged and added
//! pieces yield the new one. A redline shown to a party can therefore never
//! misquote either version, whatever the script or punctuation.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::body::Text;
use crate::model::{points, PointView, Record, Room};

/// Largest dynamic-programming table (in cells) the word diff will allocate.
///
/// Each cell is two bytes, so this caps the table at about 8 MB; beyond it the
/// diff degrades to a coarser but still exact redline instead of exhausting
/// memory on a pathological pair of texts.
const MAX_LCS_CELLS: usize = 4_000_000;

/// A point as the diff sees it, borrowed from whatever record holds it.
///
/// Borrowing keeps the diff cheap to call from the server for every page
/// view; the caller keeps ownership of its version records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointRef<'a> {
    /// Identity of the point across versions, so that a point that moved or
    /// was renumbered is still recognised as the same point. Usually derived
    /// from a point id with [`PointRef::key_of`].
    pub key: &'a str,
    /// The number the point carries in its version; `None` for unnumbered
    /// points (preambles, annexes), which are then never reported as
    /// renumbered.
    pub number: Option<u32>,
    /// Heading of the point, diffed separately from the body so a mediator
    /// can see a retitled point at a glance.
    pub title: &'a str,
    /// Full text of the point.
    pub body: &'a str,
    /// Keys of the points of the revised version this point was made from,
    /// read only when aligning by identity: two or more for a merge into
    /// this point, the same single key on several points for a split.
    pub derived_from: &'a [String],
}

impl<'a> PointRef<'a> {
    /// Extracts the cross-version key from a point id.
    ///
    /// Point ids are scoped by their version ("v1.p12", "v2.p12"); dropping
    /// the version prefix is what lets the same point be matched in both.
    /// An id without a '.' has no version prefix and is its own key.
    pub fn key_of(id: &str) -> &str {
        match id.split_once('.') {
            Some((_, rest)) => rest,
            None => id,
        }
    }
}

/// What happened to a stretch of text between the old and the new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// Present in both versions.
    Same,
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
}

/// One stretch of a redline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Which version(s) the text belongs to, which decides how it is shown.
    pub kind: SpanKind,
    /// The text exactly as it appears in its version(s), whitespace included,
    /// so that spans can be concatenated back into either version.
    pub text: String,
}

/// Word-level redline of `old` against `new`.
///
/// Tokens are maximal runs of whitespace and maximal runs of non-whitespace,
/// so words are never split and the exact spacing survives: concatenating the
/// `Same` and `Removed` spans gives `old` byte for byte, and `Same` and
/// `Added` gives `new`, for any Unicode input. Adjacent spans of the same
/// kind are merged, and within a changed stretch the removed text comes
/// before the added text, which is how a redline is read.
///
/// The matching is a longest common subsequence over tokens, computed after
/// trimming the common prefix and suffix. When the remaining middle would
/// need a table of more than about four million cells, the whole middle is
/// reported as removed and then added instead: coarser, still exact, and
/// bounded in memory.
pub fn redline(old: &str, new: &str) -> Vec<Span> {
    if old == new {
        return whole(SpanKind::Same, old);
    }
    let a = tokens(old);
    let b = tokens(new);

    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let a_mid = &a[prefix..a.len() - suffix];
    let b_mid = &b[prefix..b.len() - suffix];

    let mut ops: Vec<(SpanKind, &str)> = Vec::with_capacity(a.len() + b_mid.len());
    ops.extend(a[..prefix].iter().map(|&t| (SpanKind::Same, t)));
    let cells = (a_mid.len() + 1).saturating_mul(b_mid.len() + 1);
    if cells <= MAX_LCS_CELLS {
        lcs_ops(a_mid, b_mid, &mut ops);
    } else {
        ops.extend(a_mid.iter().map(|&t| (SpanKind::Removed, t)));
        ops.extend(b_mid.iter().map(|&t| (SpanKind::Added, t)));
    }
    ops.extend(a[a.len() - suffix..].iter().map(|&t| (SpanKind::Same, t)));
    slide_changes_right(&mut ops);
    removals_first(&mut ops);

    let mut out = SpanBuilder::default();
    for (kind, t) in ops {
        out.push(kind, t);
    }
    out.spans
}

/// Splits text into alternating runs of whitespace and non-whitespace.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in s.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|prev| prev != space) {
            out.push(&s[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Appends the token-level LCS alignment of `a` and `b` to `out`.
///
/// The caller guarantees the table fits in [`MAX_LCS_CELLS`], which also
/// bounds the LCS length by about 2000, so `u16` cells cannot overflow.
fn lcs_ops<'t>(a: &[&'t str], b: &[&'t str], out: &mut Vec<(SpanKind, &'t str)>) {
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    // table[i * w + j] = LCS length of a[i..] and b[j..]; filled from the end
    // so that the walk below can go forwards and emit spans in text order.
    let mut table = vec![0u16; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i * w + j] = if a[i] == b[j] {
                table[(i + 1) * w + j + 1] + 1
            } else {
                table[(i + 1) * w + j].max(table[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((SpanKind::Same, a[i]));
            i += 1;
            j += 1;
        } else if table[(i + 1) * w + j] >= table[i * w + j + 1] {
            // Preferring removal on ties puts deletions before insertions.
            out.push((SpanKind::Removed, a[i]));
            i += 1;
        } else {
            out.push((SpanKind::Added, b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|&t| (SpanKind::Removed, t)));
    out.extend(b[j..].iter().map(|&t| (SpanKind::Added, t)));
}

/// Moves each pure insertion or deletion as far right as it can go.
///
/// An insertion or deletion next to repeated tokens has several equally short
/// placements, e.g. deleting "30" from "within 30 days" can take the space
/// before it or the one after. Trimming the common suffix picks the earlier
/// placement while the LCS walk picks the later one; sliding every run right
/// makes the choice consistent, so a change reads as whole words followed by
/// their trailing space. A run of kind K followed by a `Same` token equal to
/// the run's first token can rotate by one token without changing either
/// reconstructed text.
fn slide_changes_right(ops: &mut [(SpanKind, &str)]) {
    let n = ops.len();
    let mut i = 0;
    while i < n {
        let kind = ops[i].0;
        if kind == SpanKind::Same {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < n && ops[end].0 == kind {
            end += 1;
        }
        // Invariant: ops[i..end] is a maximal run of `kind`.
        while end < n && ops[end].0 == SpanKind::Same && ops[end].1 == ops[i].1 {
            ops[i].0 = SpanKind::Same;
            ops[end].0 = kind;
            i += 1;
            end += 1;
            while end < n && ops[end].0 == kind {
                end += 1;
            }
        }
        i = end;
    }
}

/// Puts removals before additions within every stretch of changed tokens.
///
/// Sliding can leave an insertion directly in front of a deletion; a redline
/// reads as "struck text, then its replacement", and reordering within a
/// stretch with no `Same` token in it changes neither reconstructed text.
fn removals_first(ops: &mut [(SpanKind, &str)]) {
    for stretch in ops.split_mut(|op| op.0 == SpanKind::Same) {
        // Stable: tokens of each kind keep their order.
        stretch.sort_by_key(|op| op.0 != SpanKind::Removed);
    }
}

/// Accumulates spans, merging neighbours of the same kind and dropping empty
/// text so that callers can push token by token.
#[derive(Default)]
struct SpanBuilder {
    spans: Vec<Span>,
}

impl SpanBuilder {
    fn push(&mut self, kind: SpanKind, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.spans.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(text),
            _ => self.spans.push(Span {
                kind,
                text: text.to_owned(),
            }),
        }
    }
}

/// How the points of two versions are paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alignment {
    /// By point identity: the key of each point, and `derived_from` for
    /// merges and splits. Right for versions drafted in pactum, whose keys
    /// are kept across versions on purpose. A new point comes from the old
    /// points its `derived_from` names, or else from the old point with its
    /// own key; several new points from one old point are a split, one new
    /// point from several old points a merge (of those that do not survive
    /// on their own).
    Identity,
    /// By wording: for versions that arrive without identities (imports),
    /// whose keys are often just their numbers ("v1.p12", "v2.p12") and say
    /// nothing about which point became which. Identical wording (up to
    /// whitespace) is carried over; the rest are compared by their words,
    /// each weighted by its rarity within the versions: a new point made of
    /// several old ones is a merge ([`CONTAIN_PCT`], [`COVER_PCT`],
    /// [`MARGINAL_PCT`]), the reverse a split, a similar point
    /// ([`CHANGED_PCT`]) is changed. Points with no wording at all are never
    /// paired.
    Content,
}

/// What happened to a point (or to the points merged or split together)
/// between the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Same wording under the same number.
    Unchanged,
    /// Same wording under a different number, in the same order relative to
    /// the other carried points; it matters because parties cite points by
    /// number.
    Renumbered,
    /// One point carried over with different wording (title or body).
    Changed,
    /// One point carried over out of order: it is not on the longest run of
    /// carried points that kept their relative order. Its wording may also
    /// have changed (see the redline).
    Moved,
    /// Two or more old points became one new point.
    Merged,
    /// One old point became two or more new points.
    Split,
    /// A new point made from nothing in the old version.
    Inserted,
    /// An old point that left no trace in the new version.
    Deleted,
}

impl Change {
    /// Every kind, in the order a summary lists them.
    pub const ALL: [Change; 8] = [
        Change::Unchanged,
        Change::Renumbered,
        Change::Changed,
        Change::Moved,
        Change::Merged,
        Change::Split,
        Change::Inserted,
        Change::Deleted,
    ];

    /// The name the contracts use (`"renumbered"`, `"merged"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Change::Unchanged => "unchanged",
            Change::Renumbered => "renumbered",
            Change::Changed => "changed",
            Change::Moved => "moved",
            Change::Merged => "merged",
            Change::Split => "split",
            Change::Inserted => "inserted",
            Change::Deleted => "deleted",
        }
    }
}

/// Separator between the titles of the points of a merge (old side) or a
/// split (new side) in the entry's title redline.
pub const TITLE_JOIN: &str = " / ";

/// Separator between the bodies of the points of a merge (old side) or a
/// split (new side) in the entry's body redline: a paragraph break, which is
/// how the parts read once merged.
pub const BODY_JOIN: &str = "\n\n";

/// One entry of the comparison: a point, or the points that a merge or a
/// split ties together, with what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointDiff {
    /// What happened.
    pub change: Change,
    /// Numbers of the old points, in old order; empty for an insertion. A
    /// point without a number is given its position (1-based) in its
    /// version, so every entry names its points.
    pub from: Vec<u32>,
    /// Numbers of the new points, in new order; empty for a deletion.
    pub to: Vec<u32>,
    /// Keys of the old points, in the order of `from`. Within a version a
    /// later duplicate key reads "key#2", "key#3"..., so keys stay distinct.
    pub from_keys: Vec<String>,
    /// Keys of the new points, in the order of `to`.
    pub to_keys: Vec<String>,
    /// Word-level redline of the title. For a merge the old side is the old
    /// titles joined by [`TITLE_JOIN`] (empty ones left out); for a split
    /// the new side is the new titles joined likewise. All `Added` for an
    /// insertion, all `Removed` for a deletion.
    pub title: Vec<Span>,
    /// Word-level redline of the body, with the same conventions and
    /// [`BODY_JOIN`].
    pub body: Vec<Span>,
}

/// The comparison of two whole versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDiff {
    /// How the points were paired.
    pub alignment: Alignment,
    /// Every point of either version in exactly one entry, in reading order
    /// (see [`diff_points`]).
    pub points: Vec<PointDiff>,
    /// Entries with [`Change::Unchanged`].
    pub unchanged: usize,
    /// Entries with [`Change::Renumbered`].
    pub renumbered: usize,
    /// Entries with [`Change::Changed`].
    pub changed: usize,
    /// Entries with [`Change::Moved`].
    pub moved: usize,
    /// Entries with [`Change::Merged`] (one per new point made by a merge).
    pub merged: usize,
    /// Entries with [`Change::Split`] (one per old point that was split).
    pub split: usize,
    /// Entries with [`Change::Inserted`].
    pub inserted: usize,
    /// Entries with [`Change::Deleted`].
    pub deleted: usize,
}

impl TextDiff {
    /// Number of entries of one kind.
    pub fn count(&self, change: Change) -> usize {
        match change {
            Change::Unchanged => self.unchanged,
            Change::Renumbered => self.renumbered,
            Change::Changed => self.changed,
            Change::Moved => self.moved,
            Change::Merged => self.merged,
            Change::Split => self.split,
            Change::Inserted => self.inserted,
            Change::Deleted => self.deleted,
        }
    }

    fn push(&mut self, point: PointDiff) {
        *match point.change {
            Change::Unchanged => &mut self.unchanged,
            Change::Renumbered => &mut self.renumbered,
            Change::Changed => &mut self.changed,
            Change::Moved => &mut self.moved,
            Change::Merged => &mut self.merged,
            Change::Split => &mut self.split,
            Change::Inserted => &mut self.inserted,
            Change::Deleted => &mut self.deleted,
        } += 1;
        self.points.push(point);
    }
}

/// Old points and the new points they became: one of each for a carried
/// point, several old for a merge, several new for a split. Both lists are
/// sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    olds: Vec<usize>,
    news: Vec<usize>,
}

/// Compares two versions of a text point by point.
///
/// Points are paired as `alignment` says (see [`Alignment`]). Among the
/// points carried over one to one, those on the longest run that kept its
/// relative order (the most points, and among
/// equally long runs the most points with unchanged wording) are reported
/// in place, as unchanged, renumbered or changed; the others as moved.
/// Wording counts as unchanged when it is equal up to whitespace (the
/// redline still shows any whitespace change exactly).
///
/// Entries are listed in the new version's order, because that is the text
/// on the table (a merge or a split at its first new point); each deleted
/// point is placed right after the entry of the nearest preceding old point
/// that is still in place (or first, if there is none), so it shows up where
/// a reader of the old text would look for it.
pub fn diff_points(old: &[PointRef<'_>], new: &[PointRef<'_>], alignment: Alignment) -> TextDiff {
    let old_keys = unique_keys(old);
    let new_keys = unique_keys(new);
    let groups = match alignment {
        Alignment::Identity if provenance_points_back(old, &new_keys, new, &old_keys) => {
            // Comparing a version with an earlier one: the provenance is on
            // the old side, so align the other way round and swap.
            align_by_identity(&new_keys, old, &old_keys)
                .into_iter()
                .map(|g| Group {
                    olds: g.news,
                    news: g.olds,
                })
                .collect()
        }
        Alignment::Identity => align_by_identity(&old_keys, new, &new_keys),
        Alignment::Content => align_by_content(old, new),
    };
    Assembly {
        old,
        new,
        old_numbers: numbers(old),
        new_numbers: numbers(new),
        old_keys,
        new_keys,
    }
    .run(groups, alignment)
}

/// Whether the old version's `derived_from` names more points of the new
/// version than the new version's names of the old: the comparison then
/// runs from a later version back to an earlier one, and a merge there is
/// a split here.
fn provenance_points_back(
    old: &[PointRef<'_>],
    new_keys: &[String],
    new: &[PointRef<'_>],
    old_keys: &[String],
) -> bool {
    let named = |points: &[PointRef<'_>], keys: &[String]| {
        let keys: HashSet<&str> = keys.iter().map(String::as_str).collect();
        points
            .iter()
            .flat_map(|p| p.derived_from)
            .filter(|k| keys.contains(k.as_str()))
            .count()
    };
    named(old, new_keys) > named(new, old_keys)
}

/// The number of each point, or its 1-based position when it has none.
fn numbers(points: &[PointRef<'_>]) -> Vec<u32> {
    (1..)
        .zip(points)
        .map(|(i, p)| p.number.unwrap_or(i))
        .collect()
}

/// Pairs points by identity.
///
/// A new point comes from the old points whose keys its `derived_from`
/// lists (those present in the old version), or, without such keys, from
/// the old point with its own key. From that:
/// - an old point that some new points come from alone is carried (one new
///   point) or split (several);
/// - a new point that comes from two or more old points is a merge of those
///   of them that no other new point comes from alone (an old point that
///   survives cannot also have been merged away) and that no earlier merge
///   took; with only one such source left it is carried from it, with none
///   it is inserted.
///
/// Every point ends in at most one group, whatever the provenance says.
fn align_by_identity(old_keys: &[String], new: &[PointRef<'_>], new_keys: &[String]) -> Vec<Group> {
    let old_index: HashMap<&str, usize> = old_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let sources: Vec<Vec<usize>> = new
        .iter()
        .zip(new_keys)
        .map(|(p, key)| {
            let mut s: Vec<usize> = p
                .derived_from
                .iter()
                .filter_map(|d| old_index.get(d.as_str()).copied())
                .collect();
            if s.is_empty() {
                s.extend(old_index.get(key.as_str()));
            }
            s.sort_unstable();
            s.dedup();
            s
        })
        .collect();
    // Old point -> the new points that come from it alone, in new order.
    let mut alone: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (n, s) in sources.iter().enumerate() {
        if let [o] = s.as_slice() {
            alone.entry(*o).or_default().push(n);
        }
    }
    let mut taken = vec![false; old_keys.len()];
    let mut groups = Vec::new();
    for (n, s) in sources.iter().enumerate().filter(|(_, s)| s.len() >= 2) {
        let take: Vec<usize> = s
            .iter()
            .copied()
            .filter(|&o| !alone.contains_key(&o) && !taken[o])
            .collect();
        for &o in &take {
            taken[o] = true;
        }
        match take.len() {
            0 => {}
            1 => {
                alone.insert(take[0], vec![n]);
            }
            _ => groups.push(Group {
                olds: take,
                news: vec![n],
            }),
        }
    }
    groups.extend(alone.into_iter().map(|(o, news)| Group {
        olds: vec![o],
        news,
    }));
    groups
}

/// Share (in percent, by word weight; see [`Alignment::Content`]) of a
/// part's words that must occur in the whole for the part to count as
/// contained in it: an old point in the point it was merged into, a new
/// point in the point it was split from.
pub const CONTAIN_PCT: usize = 80;

/// Share (in percent) of a merged or split point's words that its parts must
/// account for together, so that "essentially the concatenation" leaves
/// room for a few linking words.
pub const COVER_PCT: usize = 75;

/// Share (in percent) of a part's words that must not already be accounted
/// for by the other parts: a part that only repeats another adds nothing
/// and is not part of the merge or split.
pub const MARGINAL_PCT: usize = 50;

/// Least word similarity (Dice coefficient over weighted word multisets, in
/// percent) for an edited point to count as the same point changed rather than a
/// deletion and an insertion.
pub const CHANGED_PCT: usize = 50;

/// Words of a point's wording taken into account by the similarity, which
/// bounds the cost of comparing two points.
pub const MAX_BAG_WORDS: usize = 500;

/// Largest number of point pairs the similarity pass compares; beyond it
/// (some two thousand unmatched points on each side) points without an
/// identical counterpart are reported as deleted and inserted.
pub const MAX_SIMILARITY_PAIRS: usize = 4_000_000;

/// Pairs points by wording.
///
/// First, points whose title and body are equal up to whitespace are paired
/// in order (the i-th occurrence of a wording in the old version with its
/// i-th occurrence in the new one). Points with neither title nor body
/// have no known wording and are never paired. The rest are compared by
/// their word multisets (body words, or title words for a point without a
/// body; lowercased, with leading and trailing punctuation dropped; the
/// first [`MAX_BAG_WORDS`]). Words are weighted by how rare they are within
/// a version, `ln((N + 1) / df)` with N the larger version's point count and
/// df the larger of the word's point counts in either version, so that the
/// words every point shares ("the", "parties", "shall") cannot make two
/// unrelated points look alike; all thresholds are shares of weight. Three
/// kinds of candidate are formed:
/// - a merge into a new point N: the old points at least [`CONTAIN_PCT`]
///   contained in N, taken by decreasing overlap while each adds at least
///   [`MARGINAL_PCT`] of its words not yet accounted for; at least two of
///   them, accounting together for at least [`COVER_PCT`] of N;
/// - a split of an old point, symmetrically;
/// - a changed point: a pair with Dice similarity of at least
///   [`CHANGED_PCT`].
///
/// Candidates are taken greedily by the weight of the words they account for
/// (merges and splits before pairs on ties, then earlier points first); a
/// merge or split whose parts were taken by a better candidate is formed
/// again from the parts left. The cost is one word-multiset intersection per
/// pair of unpaired points, each bounded by `2 × MAX_BAG_WORDS`.
fn align_by_content(old: &[PointRef<'_>], new: &[PointRef<'_>]) -> Vec<Group> {
    let old_wording: Vec<Option<String>> = old.iter().map(wording).collect();
    let new_wording: Vec<Option<String>> = new.iter().map(wording).collect();
    let mut by_wording: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (o, w) in old_wording.iter().enumerate() {
        if let Some(w) = w {
            by_wording.entry(w).or_default().push_back(o);
        }
    }
    let mut groups = Vec::new();
    let mut old_paired = vec![false; old.len()];
    let mut new_paired = vec![false; new.len()];
    for (n, w) in new_wording.iter().enumerate() {
        let same = w
            .as_deref()
            .and_then(|w| by_wording.get_mut(w))
            .and_then(VecDeque::pop_front);
        if let Some(o) = same {
            old_paired[o] = true;
            new_paired[n] = true;
            groups.push(Group {
                olds: vec![o],
                news: vec![n],
            });
        }
    }
    let rest_old: Vec<usize> = (0..old.len())
        .filter(|&o| !old_paired[o] && old_wording[o].is_some())
        .collect();
    let rest_new: Vec<usize> = (0..new.len())
        .filter(|&n| !new_paired[n] && new_wording[n].is_some())
        .collect();
    if rest_old.len().saturating_mul(rest_new.len()) <= MAX_SIMILARITY_PAIRS {
        groups.extend(Similarity::new(old, new, rest_old, rest_new).align());
    }
    groups
}

/// A point's wording up to whitespace, or `None` when neither its title nor
/// its body is known. The title cannot contain '\n' once its whitespace is
/// collapsed, so the separator keeps title and body apart.
fn wording(p: &PointRef<'_>) -> Option<String> {
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (title, body) = (collapse(p.title), collapse(p.body));
    (!title.is_empty() || !body.is_empty()).then(|| format!("{title}\n{body}"))
}

/// Whether two points have the same wording up to whitespace.
fn same_wording(a: &PointRef<'_>, b: &PointRef<'_>) -> bool {
    a.title.split_whitespace().eq(b.title.split_whitespace())
        && a.body.split_whitespace().eq(b.body.split_whitespace())
}

/// A word as the similarity sees it: lowercased, without the punctuation
/// around it, so "Forces," and "forces" count as the same word.
fn normalize_word(w: &str) -> Option<String> {
    let t = w.trim_matches(|c: char| !c.is_alphanumeric());
    (!t.is_empty()).then(|| t.to_lowercase())
}

/// A candidate of the similarity pass, by local indices into the unpaired
/// old (`x`) and new (`y`) points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Candidate {
    Pair(usize, usize),
    Merge(usize),
    Split(usize),
}

/// The words of a point as the similarity sees them.
#[derive(Debug, Clone, Default)]
struct Bag {
    /// Sorted word ids, a multiset.
    words: Vec<u32>,
    /// Total weight of the words.
    mass: usize,
}

/// The similarity pass of [`align_by_content`] over the points left unpaired
/// by identical wording.
struct Similarity {
    rest_old: Vec<usize>,
    rest_new: Vec<usize>,
    old_bags: Vec<Bag>,
    new_bags: Vec<Bag>,
    /// Weight of each word id (see [`align_by_content`]).
    weight: Vec<usize>,
    /// `common[x * rest_new.len() + y]`: weight of the multiset intersection.
    common: Vec<usize>,
    /// For each new point, the old points contained in it (see
    /// [`CONTAIN_PCT`]) as (overlap, x): the only possible parts of a merge
    /// into it, so forming the merge again costs only these.
    merge_parts: Vec<Vec<(usize, usize)>>,
    /// For each old point, the new points contained in it, as (overlap, y).
    split_parts: Vec<Vec<(usize, usize)>>,
    old_free: Vec<bool>,
    new_free: Vec<bool>,
}

impl Similarity {
    fn new(
        old: &[PointRef<'_>],
        new: &[PointRef<'_>],
        rest_old: Vec<usize>,
        rest_new: Vec<usize>,
    ) -> Similarity {
        let mut dict: HashMap<String, u32> = HashMap::new();
        let mut words_of = |p: &PointRef<'_>| {
            let mut words: Vec<u32> = Vec::new();
            for text in [p.body, p.title] {
                for w in text.split_whitespace().filter_map(normalize_word) {
                    if words.len() == MAX_BAG_WORDS {
                        break;
                    }
                    let next = u32::try_from(dict.len()).unwrap_or(u32::MAX);
                    words.push(*dict.entry(w).or_insert(next));
                }
                if !words.is_empty() {
                    break;
                }
            }
            words.sort_unstable();
            words
        };
        let old_words: Vec<Vec<u32>> = old.iter().map(&mut words_of).collect();
        let new_words: Vec<Vec<u32>> = new.iter().map(&mut words_of).collect();
        let frequency = |all: &[Vec<u32>]| {
            let mut df = vec![0usize; dict.len()];
            for words in all {
                let mut distinct = words.clone();
                distinct.dedup();
                for w in distinct {
                    df[w as usize] += 1;
                }
            }
            df
        };
        let (df_old, df_new) = (frequency(&old_words), frequency(&new_words));
        let points = old.len().max(new.len()) as f64 + 1.0;
        let weight: Vec<usize> = df_old
            .iter()
            .zip(&df_new)
            .map(|(&a, &b)| {
                let df = a.max(b).max(1) as f64;
                ((100.0 * (points / df).ln()).round() as usize).max(1)
            })
            .collect();
        let bag = |words: &[u32]| Bag {
            mass: words.iter().map(|&w| weight[w as usize]).sum(),
            words: words.to_vec(),
        };
        let old_bags: Vec<Bag> = rest_old.iter().map(|&o| bag(&old_words[o])).collect();
        let new_bags: Vec<Bag> = rest_new.iter().map(|&n| bag(&new_words[n])).collect();
        let mut common = Vec::with_capacity(old_bags.len() * new_bags.len());
        let mut merge_parts = vec![Vec::new(); new_bags.len()];
        let mut split_parts = vec![Vec::new(); old_bags.len()];
        for (x, a) in old_bags.iter().enumerate() {
            for (y, b) in new_bags.iter().enumerate() {
                let c = intersection(&a.words, &b.words, &weight);
                common.push(c);
                if contained(c, a.mass) {
                    merge_parts[y].push((c, x));
                }
                if contained(c, b.mass) {
                    split_parts[x].push((c, y));
                }
            }
        }
        Similarity {
            old_free: vec![true; rest_old.len()],
            new_free: vec![true; rest_new.len()],
            rest_old,
            rest_new,
            old_bags,
            new_bags,
            weight,
            common,
            merge_parts,
            split_parts,
        }
    }

    fn common(&self, x: usize, y: usize) -> usize {
        self.common[x * self.rest_new.len() + y]
    }

    fn align(mut self) -> Vec<Group> {
        // (score, merges and splits first, earlier points first, candidate)
        type Entry = (usize, bool, Reverse<(usize, usize)>, Candidate);
        let mut heap: BinaryHeap<Entry> = BinaryHeap::new();
        for x in 0..self.rest_old.len() {
            for y in 0..self.rest_new.len() {
                let c = self.common(x, y);
                let total = self.old_bags[x].mass + self.new_bags[y].mass;
                if c > 0 && 100 * 2 * c >= CHANGED_PCT * total {
                    heap.push((c, false, Reverse((y, x)), Candidate::Pair(x, y)));
                }
            }
            if let Some((_, score)) = self.split_parts(x) {
                heap.push((score, true, Reverse((0, x)), Candidate::Split(x)));
            }
        }
        for y in 0..self.rest_new.len() {
            if let Some((_, score)) = self.merge_parts(y) {
                heap.push((score, true, Reverse((y, 0)), Candidate::Merge(y)));
            }
        }
        let mut groups = Vec::new();
        while let Some((score, rank, order, candidate)) = heap.pop() {
            match candidate {
                Candidate::Pair(x, y) => {
                    if self.old_free[x] && self.new_free[y] {
                        self.old_free[x] = false;
                        self.new_free[y] = false;
                        groups.push(Group {
                            olds: vec![self.rest_old[x]],
                            news: vec![self.rest_new[y]],
                        });
                    }
                }
                Candidate::Merge(y) if self.new_free[y] => match self.merge_parts(y) {
                    Some((parts, now)) if now == score => {
                        self.new_free[y] = false;
                        for &x in &parts {
                            self.old_free[x] = false;
                        }
                        let mut olds: Vec<usize> =
                            parts.iter().map(|&x| self.rest_old[x]).collect();
                        olds.sort_unstable();
                        groups.push(Group {
                            olds,
                            news: vec![self.rest_new[y]],
                        });
                    }
                    Some((_, now)) => heap.push((now, rank, order, candidate)),
                    None => {}
                },
                Candidate::Split(x) if self.old_free[x] => match self.split_parts(x) {
                    Some((parts, now)) if now == score => {
                        self.old_free[x] = false;
                        for &y in &parts {
                            self.new_free[y] = false;
                        }
                        let mut news: Vec<usize> =
                            parts.iter().map(|&y| self.rest_new[y]).collect();
                        news.sort_unstable();
                        groups.push(Group {
                            olds: vec![self.rest_old[x]],
                            news,
                        });
                    }
                    Some((_, now)) => heap.push((now, rank, order, candidate)),
                    None => {}
                },
                Candidate::Merge(_) | Candidate::Split(_) => {}
            }
        }
        groups
    }

    /// The free old points that together make new point `y`, with the
    /// weight of its words they account for (see [`align_by_content`]).
    fn merge_parts(&self, y: usize) -> Option<(Vec<usize>, usize)> {
        let parts = self.merge_parts[y]
            .iter()
            .copied()
            .filter(|&(_, x)| self.old_free[x])
            .collect();
        covering(&self.new_bags[y], parts, &self.old_bags, &self.weight)
    }

    /// The free new points that old point `x` was split into, with the
    /// weight of its words they account for.
    fn split_parts(&self, x: usize) -> Option<(Vec<usize>, usize)> {
        let parts = self.split_parts[x]
            .iter()
            .copied()
            .filter(|&(_, y)| self.new_free[y])
            .collect();
        covering(&self.old_bags[x], parts, &self.new_bags, &self.weight)
    }
}

/// The parts that together make `whole`, and the weight of its words they
/// account for; `None` unless at least two parts qualify and they cover
/// [`COVER_PCT`] of it. `parts` holds (overlap with the whole, index into
/// `bags`) for each available part.
fn covering(
    whole: &Bag,
    mut parts: Vec<(usize, usize)>,
    bags: &[Bag],
    weight: &[usize],
) -> Option<(Vec<usize>, usize)> {
    parts.retain(|&(c, i)| contained(c, bags[i].mass));
    if parts.len() < 2 || whole.mass == 0 {
        return None;
    }
    parts.sort_by_key(|&(c, i)| (Reverse(c), i));
    let mut left: HashMap<u32, usize> = HashMap::new();
    for &w in &whole.words {
        *left.entry(w).or_default() += 1;
    }
    let mut chosen = Vec::new();
    let mut covered = 0;
    for (_, i) in parts {
        let bag = &bags[i];
        let mut need: HashMap<u32, usize> = HashMap::new();
        for &w in &bag.words {
            *need.entry(w).or_default() += 1;
        }
        let marginal: usize = need
            .iter()
            .map(|(&w, &k)| k.min(left.get(&w).copied().unwrap_or(0)) * weight[w as usize])
            .sum();
        if marginal > 0 && 100 * marginal >= MARGINAL_PCT * bag.mass {
            for (w, k) in need {
                if let Some(l) = left.get_mut(&w) {
                    *l -= k.min(*l);
                }
            }
            covered += marginal;
            chosen.push(i);
        }
    }
    (chosen.len() >= 2 && 100 * covered >= COVER_PCT * whole.mass).then_some((chosen, covered))
}

/// Whether a part of weight `mass` sharing `common` with a whole is
/// contained in it (see [`CONTAIN_PCT`]).
fn contained(common: usize, mass: usize) -> bool {
    common > 0 && 100 * common >= CONTAIN_PCT * mass
}

/// Weight of the intersection of two sorted multisets of word ids.
fn intersection(a: &[u32], b: &[u32], weight: &[usize]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += weight[a[i] as usize];
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Marks the pairs (given in new order, by old index) that lie on a longest
/// increasing run of old indices, preferring among equally long runs the one
/// with the most points of unchanged wording.
///
/// A maximum-weight increasing subsequence with weight `k + 1` per pair plus
/// one per unchanged pair (so length always wins), over a Fenwick tree of
/// prefix maxima: O(k log n).
fn in_order(pairs: &[(usize, bool)], old_len: usize) -> Vec<bool> {
    let k = pairs.len() as u64;
    let mut tree: Vec<(u64, usize)> = vec![(0, usize::MAX); old_len + 1];
    let mut parent = vec![usize::MAX; pairs.len()];
    let mut best = (0u64, usize::MAX);
    for (i, &(o, carried)) in pairs.iter().enumerate() {
        // Best run ending at an old index below `o`.
        let mut prev = (0u64, usize::MAX);
        let mut at = o;
        while at > 0 {
            prev = prev.max(tree[at]);
            at &= at - 1;
        }
        let weight = prev.0 + k + 1 + u64::from(carried);
        parent[i] = prev.1;
        let mut at = o + 1;
        while at <= old_len {
            tree[at] = tree[at].max((weight, i));
            at += at & at.wrapping_neg();
        }
        best = best.max((weight, i));
    }
    let mut on = vec![false; pairs.len()];
    let mut at = best.1;
    while at != usize::MAX {
        on[at] = true;
        at = parent[at];
    }
    on
}

/// Everything needed to turn groups into entries.
struct Assembly<'p, 'a> {
    old: &'p [PointRef<'a>],
    new: &'p [PointRef<'a>],
    old_numbers: Vec<u32>,
    new_numbers: Vec<u32>,
    old_keys: Vec<String>,
    new_keys: Vec<String>,
}

impl Assembly<'_, '_> {
    fn run(self, groups: Vec<Group>, alignment: Alignment) -> TextDiff {
        let mut old_group = vec![None; self.old.len()];
        let mut new_group = vec![None; self.new.len()];
        for (g, group) in groups.iter().enumerate() {
            for &o in &group.olds {
                old_group[o] = Some(g);
            }
            for &n in &group.news {
                new_group[n] = Some(g);
            }
        }

        // Which one-to-one groups kept their relative order.
        let mut pairs: Vec<usize> = (0..groups.len())
            .filter(|&g| groups[g].olds.len() == 1 && groups[g].news.len() == 1)
            .collect();
        pairs.sort_by_key(|&g| groups[g].news[0]);
        let keyed: Vec<(usize, bool)> = pairs
            .iter()
            .map(|&g| {
                let (o, n) = (groups[g].olds[0], groups[g].news[0]);
                (o, same_wording(&self.old[o], &self.new[n]))
            })
            .collect();
        let mut moved = vec![false; groups.len()];
        for (&g, on) in pairs.iter().zip(in_order(&keyed, self.old.len())) {
            moved[g] = !on;
        }

        // Deleted points, by the group of the old point they follow.
        let mut leading = Vec::new();
        let mut after: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut anchor = None;
        for (o, group) in old_group.iter().enumerate() {
            match group {
                Some(g) if !moved[*g] => anchor = Some(*g),
                Some(_) => {}
                None => match anchor {
                    Some(g) => after.entry(g).or_default().push(o),
                    None => leading.push(o),
                },
            }
        }

        let mut diff = TextDiff {
            alignment,
            points: Vec::with_capacity(self.old.len() + self.new.len()),
            unchanged: 0,
            renumbered: 0,
            changed: 0,
            moved: 0,
            merged: 0,
            split: 0,
            inserted: 0,
            deleted: 0,
        };
        for &o in &leading {
            diff.push(self.entry(Change::Deleted, &[o], &[]));
        }
        for (n, group) in new_group.iter().enumerate() {
            match *group {
                None => diff.push(self.entry(Change::Inserted, &[], &[n])),
                Some(g) if groups[g].news[0] == n => {
                    let Group { olds, news } = &groups[g];
                    let change = if olds.len() > 1 {
                        Change::Merged
                    } else if news.len() > 1 {
                        Change::Split
                    } else if moved[g] {
                        Change::Moved
                    } else if !same_wording(&self.old[olds[0]], &self.new[n]) {
                        Change::Changed
                    } else if self.old_numbers[olds[0]] != self.new_numbers[n] {
                        Change::Renumbered
                    } else {
                        Change::Unchanged
                    };
                    diff.push(self.entry(change, olds, news));
                    for &o in after.get(&g).map(Vec::as_slice).unwrap_or_default() {
                        diff.push(self.entry(Change::Deleted, &[o], &[]));
                    }
                }
                Some(_) => {}
            }
        }
        diff
    }

    fn entry(&self, change: Change, olds: &[usize], news: &[usize]) -> PointDiff {
        let join = |points: &[PointRef<'_>], ids: &[usize], title: bool| {
            let parts = ids
                .iter()
                .map(|&i| {
                    if title {
                        points[i].title
                    } else {
                        points[i].body
                    }
                })
                .filter(|s| !s.is_empty());
            parts
                .collect::<Vec<_>>()
                .join(if title { TITLE_JOIN } else { BODY_JOIN })
        };
        let (old_title, new_title) = (join(self.old, olds, true), join(self.new, news, true));
        let (old_body, new_body) = (join(self.old, olds, false), join(self.new, news, false));
        PointDiff {
            change,
            from: olds.iter().map(|&o| self.old_numbers[o]).collect(),
            to: news.iter().map(|&n| self.new_numbers[n]).collect(),
            from_keys: olds.iter().map(|&o| self.old_keys[o].clone()).collect(),
            to_keys: news.iter().map(|&n| self.new_keys[n].clone()).collect(),
            title: redline(&old_title, &new_title),
            body: redline(&old_body, &new_body),
        }
    }
}

// ------------------------------------------------------ versions as recorded

/// Compares two text records of a room, choosing the alignment from what the
/// records say (see [`alignment_of`]).
///
/// `room` is the room as the reader sees it: provenance is followed only
/// through versions the reader may see, so the result depends on nothing
/// hidden from them.
pub fn diff_texts(room: &Room, old: &Record, new: &Record) -> TextDiff {
    let (old_points, new_points) = (points(old), points(new));
    let mut new_refs = point_refs(&new_points);
    if old.id == new.id {
        // Provenance names points of the version revised, not of this one.
        for p in &mut new_refs {
            p.derived_from = &[];
        }
    }
    diff_points(
        &point_refs(&old_points),
        &new_refs,
        alignment_of(room, old, new),
    )
}

/// The points of a text as the diff sees them.
pub fn point_refs(points: &[PointView]) -> Vec<PointRef<'_>> {
    points
        .iter()
        .map(|p| PointRef {
            key: PointRef::key_of(&p.id),
            number: p.number,
            title: &p.title,
            body: &p.body,
            derived_from: &p.derived_from,
        })
        .collect()
}

/// Whether two versions' point keys are identities.
///
/// They are for a version compared with itself, for two versions that both
/// say `point_identity` (drafted in pactum), and for a drafted version and
/// the version it was drafted from, directly or through drafted versions
/// only (its keys were copied from that version). Otherwise, and in
/// particular between two imports, keys are only labels and the points are
/// aligned by content.
pub fn alignment_of(room: &Room, old: &Record, new: &Record) -> Alignment {
    let (old_t, new_t) = (Text::read(&old.body), Text::read(&new.body));
    let identity = old.id == new.id
        || (old_t.point_identity && new_t.point_identity)
        || keys_come_from(room, &new_t, &old.id)
        || keys_come_from(room, &old_t, &new.id);
    if identity {
        Alignment::Identity
    } else {
        Alignment::Content
    }
}

/// Whether `descendant` was drafted from the version `ancestor` through
/// drafted versions only. Bounded by the number of records, so a cycle in
/// malformed provenance cannot loop.
fn keys_come_from(room: &Room, descendant: &Text, ancestor: &str) -> bool {
    let mut at = descendant;
    for _ in 0..=room.records().len() {
        if !at.point_identity {
            return false;
        }
        let Some(parent) = at.derived_from_text_id.as_deref() else {
            return false;
        };
        if parent == ancestor {
            return true;
        }
        match room.find::<Text>(parent) {
            Some(p) => at = p.body,
            None => return false,
        }
    }
    false
}

/// A redline in which the whole text has one kind (empty text, no spans).
fn whole(kind: SpanKind, text: &str) -> Vec<Span> {
    let mut out = SpanBuilder::default();
    out.push(kind, text);
    out.spans
}

/// Gives every point of one version a distinct key.
///
/// First occurrences keep their key; each later duplicate gets the first
/// "key#N" (N = 2, 3, ...) not used by any point of the version, so a
/// literal "p1#2" elsewhere in the version cannot collide with it.
fn unique_keys(points: &[PointRef<'_>]) -> Vec<String> {
    let mut taken: HashSet<String> = points.iter().map(|p| p.key.to_owned()).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut next_suffix: HashMap<&str, u32> = HashMap::new();
    points
        .iter()
        .map(|p| {
            if seen.insert(p.key) {
                return p.key.to_owned();
            }
            let n = next_suffix.entry(p.key).or_insert(2);
            loop {
                let candidate = format!("{}#{}", p.key, n);
                *n += 1;
                if taken.insert(candidate.clone()) {
                    return candidate;
                }
            }
        })
        .collect()
}

/// Renders a redline as HTML for the server-rendered UI.
///
/// Removed text is wrapped in `<del>` and added text in `<ins>`; all text is
/// escaped (`&`, `<`, `>`, `"`, `'`), so negotiating text can never inject
/// markup into the page, even inside an attribute.
pub fn to_html(spans: &[Span]) -> String {
    let mut html = String::new();
    for span in spans {
        let (open, close) = match span.kind {
            SpanKind::Same => ("", ""),
            SpanKind::Added => ("<ins>", "</ins>"),
            SpanKind::Removed => ("<del>", "</del>"),
        };
        html.push_str(open);
        for c in span.text.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#39;"),
                _ => html.push(c),
            }
        }
        html.push_str(close);
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use proptest::prelude::*;

    fn span(kind: SpanKind, text: &str) -> Span {
        Span {
            kind,
            text: text.to_owned(),
        }
    }

    fn same(t: &str) -> Span {
        span(SpanKind::Same, t)
    }
    fn add(t: &str) -> Span {
        span(SpanKind::Added, t)
    }
    fn del(t: &str) -> Span {
        span(SpanKind::Removed, t)
    }

    fn rebuild(spans: &[Span], skip: SpanKind) -> String {
        spans
            .iter()
            .filter(|s| s.kind != skip)
            .map(|s| s.text.as_str())
            .collect()
    }

    fn pt<'a>(key: &'a str, number: u32, title: &'a str, body: &'a str) -> PointRef<'a> {
        PointRef {
            key,
            number: Some(number),
            title,
            body,
            derived_from: &[],
        }
    }

    /// (change, from, to) of every entry, the shape the contracts give.
    fn shape(d: &TextDiff) -> Vec<(Change, Vec<u32>, Vec<u32>)> {
        d.points
            .iter()
            .map(|p| (p.change, p.from.clone(), p.to.clone()))
            .collect()
    }

    #[test]
    fn key_of_drops_version_prefix() {
        assert_eq!(PointRef::key_of("v1.p12"), "p12");
        assert_eq!(PointRef::key_of("v2.p12"), "p12");
        assert_eq!(PointRef::key_of("v2.annex.a"), "annex.a");
        assert_eq!(PointRef::key_of("p7"), "p7");
        assert_eq!(PointRef::key_of(""), "");
    }

    #[test]
    fn tokens_alternate_runs() {
        assert_eq!(
            tokens("  a bc\t\nd "),
            ["  ", "a", " ", "bc", "\t\n", "d", " "]
        );
        assert!(tokens("").is_empty());
    }

    #[test]
    fn redline_of_empty_and_equal_texts() {
        assert_eq!(redline("", ""), vec![]);
        assert_eq!(redline("a b", "a b"), vec![same("a b")]);
        assert_eq!(redline("", "new text"), vec![add("new text")]);
        assert_eq!(redline("old text", ""), vec![del("old text")]);
    }

    #[test]
    fn redline_replaces_one_word() {
        assert_eq!(
            redline(
                "the parties shall withdraw forces",
                "the parties may withdraw forces"
            ),
            vec![
                same("the parties "),
                del("shall"),
                add("may"),
                same(" withdraw forces")
            ]
        );
    }

    #[test]
    fn redline_inserts_and_deletes_words() {
        assert_eq!(
            redline("a ceasefire within 30 days", "a full ceasefire within days"),
            vec![
                same("a "),
                add("full "),
                same("ceasefire within "),
                del("30 "),
                same("days")
            ]
        );
    }

    #[test]
    fn redline_moves_changes_to_word_starts() {
        assert_eq!(
            redline("within 30 days", "within days"),
            vec![same("within "), del("30 "), same("days")]
        );
        assert_eq!(
            redline("a b c", "a b x b c"),
            vec![same("a b "), add("x b "), same("c")]
        );
    }

    #[test]
    fn redline_keeps_whitespace_changes_exact() {
        let spans = redline("a  b", "a b\n");
        assert_eq!(rebuild(&spans, SpanKind::Added), "a  b");
        assert_eq!(rebuild(&spans, SpanKind::Removed), "a b\n");
        assert_eq!(
            spans,
            vec![same("a"), del("  "), add(" "), same("b"), add("\n")]
        );
    }

    #[test]
    fn redline_puts_removal_before_addition() {
        assert_eq!(
            redline("x old y", "x new y"),
            vec![same("x "), del("old"), add("new"), same(" y")]
        );
    }

    #[test]
    fn redline_falls_back_on_huge_middles() {
        // 2001 distinct tokens against 2001 others: over the cell budget.
        let old: String = (0..2001).map(|i| format!("o{i} ")).collect();
        let new: String = (0..2001).map(|i| format!("n{i} ")).collect();
        let old = format!("start {old}end");
        let new = format!("start {new}end");
        let spans = redline(&old, &new);
        assert_eq!(spans.len(), 4);
        assert_eq!(spans[0], same("start "));
        assert_eq!(spans[1].kind, SpanKind::Removed);
        assert_eq!(spans[2].kind, SpanKind::Added);
        assert_eq!(spans[3], same(" end"));
        assert_eq!(rebuild(&spans, SpanKind::Added), old);
        assert_eq!(rebuild(&spans, SpanKind::Removed), new);
    }

    #[test]
    fn redline_large_but_similar_texts_stay_fine_grained() {
        // Long texts with a single change are handled by prefix/suffix
        // trimming, not by the coarse fallback.
        let words: Vec<String> = (0..50_000).map(|i| format!("w{i}")).collect();
        let old = words.join(" ");
        let mut changed = words.clone();
        changed[25_000] = "CHANGED".to_owned();
        let new = changed.join(" ");
        let spans = redline(&old, &new);
        assert_eq!(spans.len(), 4);
        assert_eq!(spans[1], del("w25000"));
        assert_eq!(spans[2], add("CHANGED"));
    }

    #[test]
    fn to_html_escapes_and_marks() {
        let spans = vec![same("a<b> & "), del("\"x\""), add("'y'"), same(" ok")];
        assert_eq!(
            to_html(&spans),
            "a&lt;b&gt; &amp; <del>&quot;x&quot;</del><ins>&#39;y&#39;</ins> ok"
        );
        assert_eq!(to_html(&[]), "");
    }

    #[test]
    fn serde_uses_snake_case() {
        let json = serde_json::to_string(&del("x")).unwrap();
        assert_eq!(json, r#"{"kind":"removed","text":"x"}"#);
        for c in Change::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.name())
            );
        }
        let a: Alignment = serde_json::from_str("\"content\"").unwrap();
        assert_eq!(a, Alignment::Content);
    }

    #[test]
    fn identity_reports_every_kind_of_change() {
        let (merge, split) = (["p5".to_owned(), "p6".to_owned()], ["p7".to_owned()]);
        let old = [
            pt("p1", 1, "Ceasefire", "All forces stop firing."),
            pt("p2", 2, "Prisoners", "All for all."),
            pt("p3", 3, "Elections", "Within 100 days."),
            pt("p4", 4, "Monitoring", "By a joint commission."),
            pt("p5", 5, "Amnesty", "General amnesty."),
            pt("p6", 6, "Sanctions", "Lifted in stages."),
            pt(
                "p7",
                7,
                "Security",
                "Guarantees by partners. Review after one year.",
            ),
            pt("p8", 8, "Gone", "This point is dropped."),
        ];
        let new = [
            pt("p1", 1, "Ceasefire", "All forces stop firing."),
            pt("p3", 2, "Elections", "Within 180 days."),
            pt("p4", 3, "Monitoring", "By a  joint commission.\n"),
            pt("p2", 4, "Prisoners", "All for all."),
            PointRef {
                derived_from: &merge,
                ..pt(
                    "p5",
                    5,
                    "Amnesty and sanctions",
                    "General amnesty.\n\nLifted in stages.",
                )
            },
            pt("p7", 6, "Security", "Guarantees by partners."),
            PointRef {
                derived_from: &split,
                ..pt("p7_review", 7, "Review", "Review after one year.")
            },
            pt("p9", 8, "Humanitarian", "Corridors open."),
        ];
        let d = diff_points(&old, &new, Alignment::Identity);
        assert_eq!(
            shape(&d),
            [
                (Change::Unchanged, vec![1], vec![1]),
                (Change::Changed, vec![3], vec![2]),
                (Change::Renumbered, vec![4], vec![3]),
                (Change::Moved, vec![2], vec![4]),
                (Change::Merged, vec![5, 6], vec![5]),
                (Change::Split, vec![7], vec![6, 7]),
                (Change::Deleted, vec![8], vec![]),
                (Change::Inserted, vec![], vec![8]),
            ]
        );
        for c in Change::ALL {
            assert_eq!(d.count(c), 1, "{c:?}");
        }
        assert_eq!(d.alignment, Alignment::Identity);
        assert_eq!(
            d.points[1].body,
            vec![same("Within "), del("100"), add("180"), same(" days.")]
        );
        let merged = &d.points[4];
        assert_eq!(merged.from_keys, ["p5", "p6"]);
        assert_eq!(merged.to_keys, ["p5"]);
        assert_eq!(
            rebuild(&merged.title, SpanKind::Added),
            "Amnesty / Sanctions"
        );
        assert_eq!(
            merged.body,
            vec![same("General amnesty.\n\nLifted in stages.")]
        );
        let split = &d.points[5];
        assert_eq!(split.to_keys, ["p7", "p7_review"]);
        assert_eq!(
            rebuild(&split.title, SpanKind::Removed),
            "Security / Review"
        );
        assert_eq!(
            rebuild(&split.body, SpanKind::Removed),
            "Guarantees by partners.\n\nReview after one year."
        );
        assert_eq!(d.points[6].body, vec![del("This point is dropped.")]);
        assert_eq!(d.points[7].title, vec![add("Humanitarian")]);
    }

    #[test]
    fn deleted_points_follow_their_old_predecessor_in_place() {
        let old = [
            pt("gone0", 1, "A", "a"),
            pt("p1", 2, "B", "b"),
            pt("gone1", 3, "C", "c"),
            pt("gone2", 4, "D", "d"),
            pt("p2", 5, "E", "e"),
            pt("gone3", 6, "F", "f"),
            pt("p3", 7, "G", "g"),
        ];
        let new = [
            pt("p2", 1, "E", "e"),
            pt("new", 2, "N", "n"),
            pt("p3", 3, "G", "g"),
            pt("p1", 4, "B", "b"),
        ];
        let d = diff_points(&old, &new, Alignment::Identity);
        let keys: Vec<(Change, &str)> = d
            .points
            .iter()
            .map(|p| {
                (
                    p.change,
                    p.to_keys.first().or(p.from_keys.first()).unwrap().as_str(),
                )
            })
            .collect();
        // p1 moved, so the points deleted after it stay with the in-place
        // point before them (none: they lead).
        assert_eq!(
            keys,
            [
                (Change::Deleted, "gone0"),
                (Change::Deleted, "gone1"),
                (Change::Deleted, "gone2"),
                (Change::Renumbered, "p2"),
                (Change::Deleted, "gone3"),
                (Change::Inserted, "new"),
                (Change::Renumbered, "p3"),
                (Change::Moved, "p1"),
            ]
        );
    }

    #[test]
    fn unnumbered_points_are_numbered_by_position() {
        let unnumbered = |key, title| PointRef {
            number: None,
            ..pt(key, 0, title, "")
        };
        let old = [unnumbered("a", "Alpha"), unnumbered("b", "Beta")];
        let new = [unnumbered("b", "Beta"), pt("a", 2, "Alpha", "")];
        let d = diff_points(&old, &new, Alignment::Identity);
        assert_eq!(
            shape(&d),
            [
                (Change::Moved, vec![2], vec![1]),
                (Change::Renumbered, vec![1], vec![2]),
            ]
        );
    }

    #[test]
    fn duplicate_keys_become_distinct_points() {
        let old = [
            pt("p1", 1, "A", "a"),
            pt("p1", 2, "B", "b"),
            pt("p1", 3, "C", "c"),
        ];
        let new = [pt("p1", 1, "A", "a"), pt("p1", 2, "B", "b2")];
        let d = diff_points(&old, &new, Alignment::Identity);
        let summary: Vec<(Change, Vec<String>)> = d
            .points
            .iter()
            .map(|p| (p.change, p.from_keys.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (Change::Unchanged, vec!["p1".to_owned()]),
                (Change::Changed, vec!["p1#2".to_owned()]),
                (Change::Deleted, vec!["p1#3".to_owned()])
            ]
        );
    }

    #[test]
    fn duplicate_suffix_avoids_literal_keys() {
        let pts = [
            pt("p1", 1, "", ""),
            pt("p1", 2, "", ""),
            pt("p1#2", 3, "", ""),
        ];
        assert_eq!(unique_keys(&pts), ["p1", "p1#3", "p1#2"]);
        let d = diff_points(&pts, &pts, Alignment::Identity);
        assert_eq!(d.unchanged, 3);
        assert_eq!(d.points.len(), 3);
    }

    #[test]
    fn identity_provenance_conflicts_leave_every_point_once() {
        // p2 is kept as itself, so the merge into p9 cannot have taken it;
        // p3 is claimed by two merges, the first wins; the second merge is
        // left with one source and becomes that point carried.
        let (m1, m2) = (
            ["p1".to_owned(), "p2".to_owned(), "p3".to_owned()],
            ["p3".to_owned(), "p4".to_owned()],
        );
        let old = [
            pt("p1", 1, "A", "a"),
            pt("p2", 2, "B", "b"),
            pt("p3", 3, "C", "c"),
            pt("p4", 4, "D", "d"),
        ];
        let new = [
            PointRef {
                derived_from: &m1,
                ..pt("p9", 1, "AC", "a c")
            },
            pt("p2", 2, "B", "b"),
            PointRef {
                derived_from: &m2,
                ..pt("p8", 3, "D", "d")
            },
            PointRef {
                derived_from: &m2,
                ..pt("p7", 4, "X", "x")
            },
        ];
        let d = diff_points(&old, &new, Alignment::Identity);
        assert_eq!(
            shape(&d),
            [
                (Change::Merged, vec![1, 3], vec![1]),
                (Change::Unchanged, vec![2], vec![2]),
                (Change::Renumbered, vec![4], vec![3]),
                (Change::Inserted, vec![], vec![4]),
            ]
        );
    }

    #[test]
    fn identity_backwards_reads_a_merge_as_a_split_and_a_split_as_a_merge() {
        let (merge, split) = (["a".to_owned(), "b".to_owned()], ["c".to_owned()]);
        let earlier = [
            pt("a", 1, "A", "a"),
            pt("b", 2, "B", "b"),
            pt("c", 3, "C", "c1 c2"),
        ];
        let later = [
            PointRef {
                derived_from: &merge,
                ..pt("a", 1, "AB", "a b")
            },
            pt("c", 2, "C", "c1"),
            PointRef {
                derived_from: &split,
                ..pt("c2", 3, "C2", "c2")
            },
        ];
        let forward = diff_points(&earlier, &later, Alignment::Identity);
        assert_eq!(
            shape(&forward),
            [
                (Change::Merged, vec![1, 2], vec![1]),
                (Change::Split, vec![3], vec![2, 3]),
            ]
        );
        let back = diff_points(&later, &earlier, Alignment::Identity);
        assert_eq!(
            shape(&back),
            [
                (Change::Split, vec![1], vec![1, 2]),
                (Change::Merged, vec![2, 3], vec![3]),
            ]
        );
    }

    #[test]
    fn derived_from_keys_missing_from_the_old_version_fall_back_to_the_own_key() {
        let gone = ["zz".to_owned(), "yy".to_owned()];
        let old = [pt("p1", 1, "A", "a")];
        let new = [PointRef {
            derived_from: &gone,
            ..pt("p1", 1, "A", "a b")
        }];
        let d = diff_points(&old, &new, Alignment::Identity);
        assert_eq!(shape(&d), [(Change::Changed, vec![1], vec![1])]);
    }

    fn plan_old() -> Vec<PointRef<'static>> {
        vec![
            pt("p1", 1, "Ceasefire", "All hostilities cease at midnight on the day of signature."),
            pt("p2", 2, "Prisoners", "All prisoners of war are exchanged on an all for all basis."),
            pt("p3", 3, "Civilians", "All civilian detainees and hostages are returned home."),
            pt("p4", 4, "Elections", "Elections are held within one hundred days of signature."),
            pt("p5", 5, "Monitoring", "A joint commission chaired by the mediator monitors the ceasefire."),
            pt(
                "p6",
                6,
                "Reconstruction",
                "A fund for reconstruction is set up under international supervision with frozen assets.",
            ),
            pt("p7", 7, "Sanctions", "Sanctions are lifted in stages as the agreement is implemented."),
        ]
    }

    #[test]
    fn content_reports_merge_split_change_deletion_and_insertion() {
        // Keys are numbers, as in imports: they must not pair anything.
        let new = vec![
            pt(
                "p1",
                1,
                "Ceasefire",
                "All hostilities cease at midnight on the day of signature.",
            ),
            pt(
                "p2",
                2,
                "Prisoners and civilians",
                "All prisoners of war are exchanged on an all for all basis. \
                 All civilian detainees and hostages are returned home.",
            ),
            pt(
                "p3",
                3,
                "Elections",
                "Elections are held within one hundred and eighty days of signature.",
            ),
            pt(
                "p4",
                4,
                "Reconstruction fund",
                "A fund for reconstruction is set up.",
            ),
            pt(
                "p5",
                5,
                "Frozen assets",
                "Under international supervision, with frozen assets.",
            ),
            pt(
                "p6",
                6,
                "Sanctions",
                "Sanctions are lifted in stages as the agreement is implemented.",
            ),
            pt(
                "p7",
                7,
                "Entry into force",
                "The agreement enters into force upon signature by all parties.",
            ),
        ];
        let d = diff_points(&plan_old(), &new, Alignment::Content);
        assert_eq!(
            shape(&d),
            [
                (Change::Unchanged, vec![1], vec![1]),
                (Change::Merged, vec![2, 3], vec![2]),
                (Change::Changed, vec![4], vec![3]),
                (Change::Deleted, vec![5], vec![]),
                (Change::Split, vec![6], vec![4, 5]),
                (Change::Renumbered, vec![7], vec![6]),
                (Change::Inserted, vec![], vec![7]),
            ]
        );
        assert_eq!(d.alignment, Alignment::Content);
        let changed = &d.points[2];
        assert_eq!(
            changed.body,
            vec![
                same("Elections are held within one hundred "),
                add("and eighty "),
                same("days of signature.")
            ]
        );
    }

    #[test]
    fn content_reports_a_point_out_of_order_as_moved() {
        let old = plan_old();
        let mut new: Vec<PointRef<'_>> = old[1..].to_vec();
        new.push(old[0]);
        for (i, p) in new.iter_mut().enumerate() {
            p.number = Some(i as u32 + 1);
        }
        let d = diff_points(&old, &new, Alignment::Content);
        let mut want: Vec<(Change, Vec<u32>, Vec<u32>)> = (2..=7)
            .map(|n| (Change::Renumbered, vec![n], vec![n - 1]))
            .collect();
        want.push((Change::Moved, vec![1], vec![7]));
        assert_eq!(shape(&d), want);
    }

    #[test]
    fn content_never_pairs_points_of_unknown_wording_or_unrelated_ones() {
        let old = [
            pt("p1", 1, "", ""),
            pt("p2", 2, "Ceasefire", "All forces stop firing."),
        ];
        let new = [
            pt("p1", 1, "", " "),
            pt("p2", 2, "Amnesty", "A general amnesty."),
        ];
        let d = diff_points(&old, &new, Alignment::Content);
        assert_eq!((d.deleted, d.inserted, d.points.len()), (2, 2, 4));
    }

    #[test]
    fn content_pairs_equal_wording_up_to_whitespace_in_order() {
        let old = [pt("a", 1, "T", "same words"), pt("b", 2, "T", "same words")];
        let new = [
            pt("x", 1, "T ", "same\n words"),
            pt("y", 2, "T", "same words"),
        ];
        let d = diff_points(&old, &new, Alignment::Content);
        assert_eq!(
            shape(&d),
            [
                (Change::Unchanged, vec![1], vec![1]),
                (Change::Unchanged, vec![2], vec![2]),
            ]
        );
        // The redline still shows the whitespace change exactly.
        assert_eq!(
            rebuild(&d.points[0].body, SpanKind::Removed),
            "same\n words"
        );
    }

    #[test]
    fn a_part_that_only_repeats_another_is_not_merged() {
        // "fund set up" adds nothing to "fund set up now", so the new point
        // is the first one changed, and the repetition is deleted.
        let old = [
            pt("a", 1, "", "the fund is set up now for all"),
            pt("b", 2, "", "the fund is set up"),
        ];
        let new = [pt("a", 1, "", "the fund is set up now for all of them")];
        let d = diff_points(&old, &new, Alignment::Content);
        assert_eq!(
            shape(&d),
            [
                (Change::Changed, vec![1], vec![1]),
                (Change::Deleted, vec![2], vec![]),
            ]
        );
    }

    #[test]
    fn covering_applies_the_documented_thresholds() {
        // Every word weighs 1 except word 9, which weighs 10.
        let mut weight = vec![1; 100];
        weight[9] = 10;
        let bag = |v: &[u32]| {
            let mut words = v.to_vec();
            words.sort_unstable();
            Bag {
                mass: words.iter().map(|&w| weight[w as usize]).sum(),
                words,
            }
        };
        let whole = bag(&[1, 2, 3, 4, 5, 6, 7, 8]);
        // Two halves: each fully contained, together all of it.
        let parts = [bag(&[1, 2, 3, 4]), bag(&[5, 6, 7, 8])];
        assert_eq!(
            covering(&whole, vec![(4, 0), (4, 1)], &parts, &weight),
            Some((vec![0, 1], 8))
        );
        // A part with 3 of its 4 words in the whole is 75% < 80% contained.
        let parts = [bag(&[1, 2, 3, 4]), bag(&[5, 6, 7, 99])];
        assert_eq!(
            covering(&whole, vec![(4, 0), (3, 1)], &parts, &weight),
            None
        );
        // Parts covering 6 of 8 words: exactly 75% is enough.
        let parts = [bag(&[1, 2, 3]), bag(&[4, 5, 6])];
        assert_eq!(
            covering(&whole, vec![(3, 0), (3, 1)], &parts, &weight),
            Some((vec![0, 1], 6))
        );
        // 5 of 8 is not.
        let parts = [bag(&[1, 2, 3]), bag(&[4, 5])];
        assert_eq!(
            covering(&whole, vec![(3, 0), (2, 1)], &parts, &weight),
            None
        );
        // Shares are by weight: 4 of 5 words, but the missing word weighs
        // 10 of 14, so the part is not contained.
        let parts = [bag(&[1, 2, 3, 4]), bag(&[5, 6, 7, 8, 9])];
        assert_eq!(
            covering(&whole, vec![(4, 0), (4, 1)], &parts, &weight),
            None
        );
        // A part that adds nothing beyond the others is left out.
        let parts = [bag(&[1, 2, 3, 4]), bag(&[5, 6, 7, 8]), bag(&[1, 2])];
        assert_eq!(
            covering(&whole, vec![(4, 0), (4, 1), (2, 2)], &parts, &weight),
            Some((vec![0, 1], 8))
        );
    }

    #[test]
    fn rare_words_weigh_more_than_common_ones() {
        // Four unrelated points sharing only their boilerplate: after the
        // rewrite of the last one, none of the others may pair with it.
        let old = [
            pt("a", 1, "", "the parties shall open the crossing points"),
            pt("b", 2, "", "the parties shall exchange all prisoners"),
            pt("c", 3, "", "the parties shall hold elections"),
            pt("d", 4, "", "the parties shall protect the heritage sites"),
        ];
        let new = [
            pt("a", 1, "", "the parties shall open the crossing points"),
            pt("b", 2, "", "the parties shall exchange all prisoners"),
            pt("c", 3, "", "the parties shall hold elections"),
            pt("d", 4, "", "the parties shall fund the reconstruction"),
        ];
        // Unweighted, "the parties shall ... the" would make the last pair
        // 10/14 alike (Dice); weighted, they are not.
        let d = diff_points(&old, &new, Alignment::Content);
        assert_eq!(
            shape(&d),
            [
                (Change::Unchanged, vec![1], vec![1]),
                (Change::Unchanged, vec![2], vec![2]),
                (Change::Unchanged, vec![3], vec![3]),
                (Change::Deleted, vec![4], vec![]),
                (Change::Inserted, vec![], vec![4]),
            ]
        );
    }

    #[test]
    fn in_order_prefers_length_then_unchanged_wording() {
        // Old indices in new order: 2 0 1 3. Longest: 0 1 3.
        assert_eq!(
            in_order(&[(2, true), (0, false), (1, false), (3, true)], 4),
            [false, true, true, true]
        );
        // 1 0: either alone is longest; the unchanged one stays in place.
        assert_eq!(in_order(&[(1, false), (0, true)], 2), [false, true]);
        assert_eq!(in_order(&[(1, true), (0, false)], 2), [true, false]);
        assert!(in_order(&[], 0).is_empty());
    }

    #[test]
    fn empty_versions() {
        for alignment in [Alignment::Identity, Alignment::Content] {
            let d = diff_points(&[], &[], alignment);
            assert!(d.points.is_empty());
            let new = [pt("p1", 1, "", "")];
            let d = diff_points(&[], &new, alignment);
            assert_eq!(d.inserted, 1);
            assert_eq!(d.points[0].title, vec![]);
            let d = diff_points(&new, &[], alignment);
            assert_eq!(d.deleted, 1);
        }
    }

    fn text_record(id: &str, identity: bool, derived: Option<&str>) -> Record {
        let body = serde_json::json!({
            "id": id,
            "point_identity": identity,
            "derived_from_text_id": derived,
            "points": [],
        });
        Record {
            kind: Kind::Text,
            id: id.to_owned(),
            visibility: crate::Visibility::Mediator,
            body: body.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn alignment_follows_drafting_provenance() {
        let room = Room::new(vec![
            text_record("v1", false, None),
            text_record("v2", false, Some("v1")),
            text_record("d3", true, Some("v2")),
            text_record("d4", true, Some("d3")),
            text_record("d5", true, None),
            text_record("loop", true, Some("loop")),
        ]);
        let get = |id| room.get(Kind::Text, id).unwrap();
        let a = |o, n| alignment_of(&room, get(o), get(n));
        assert_eq!(a("v1", "v2"), Alignment::Content, "two imports");
        assert_eq!(a("v1", "v1"), Alignment::Identity, "a version with itself");
        assert_eq!(a("v2", "d3"), Alignment::Identity, "drafted from v2");
        assert_eq!(
            a("d4", "v2"),
            Alignment::Identity,
            "through drafts, backwards"
        );
        assert_eq!(
            a("v1", "d4"),
            Alignment::Content,
            "v2 did not keep v1's keys"
        );
        assert_eq!(a("d5", "d3"), Alignment::Identity, "both drafted here");
        assert_eq!(a("v1", "loop"), Alignment::Content);
        // A room where the intermediate draft is hidden from the reader.
        let hidden = Room::new(vec![get("v2").clone(), get("d4").clone()]);
        assert_eq!(
            alignment_of(&hidden, get("v2"), get("d4")),
            Alignment::Content
        );
    }

    /// Text drawn from a small alphabet that mixes ASCII words, several kinds
    /// of whitespace, combining marks, emoji (incl. ZWJ sequences) and CJK,
    /// so that random pairs share many tokens and the LCS path is exercised.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "a",
            "b",
            "ab",
            "the",
            " ",
            "  ",
            "\t",
            "\n",
            "\u{a0}",
            "\u{3000}",
            "e\u{301}",
            "\u{301}",
            "😀",
            "👩\u{200d}👩\u{200d}👧",
            "🇺🇦",
            "字",
            "ß",
            ".",
            "<&>",
        ]);
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    /// Arbitrary Unicode, to catch anything the curated alphabet misses.
    fn any_text() -> impl Strategy<Value = String> {
        prop::collection::vec(any::<char>(), 0..40).prop_map(|v| v.into_iter().collect())
    }

    type Pt = (String, Option<u32>, String, String, Vec<String>);

    fn version() -> impl Strategy<Value = Vec<Pt>> {
        let key = prop::sample::select(vec!["p1", "p2", "p3", "p4", "p5", "p6", "p1#2"]);
        let number = prop::option::weighted(0.9, 1u32..6);
        let words = prop::sample::select(vec![
            "",
            "a",
            "b",
            "a b",
            "b a",
            "a  c",
            "c d e f",
            "d e f",
            "a b c d e f",
        ]);
        let derived = prop::option::weighted(
            0.3,
            prop::collection::vec(prop::sample::select(vec!["p1", "p2", "p3", "p9"]), 1..3),
        );
        prop::collection::vec(
            (key, number, words.clone(), words, derived).prop_map(|(k, n, t, b, d)| {
                let d = d
                    .unwrap_or_default()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                (k.to_owned(), n, t.to_owned(), b.to_owned(), d)
            }),
            0..8,
        )
    }

    fn refs(v: &[Pt]) -> Vec<PointRef<'_>> {
        v.iter()
            .map(|(k, n, t, b, d)| PointRef {
                key: k,
                number: *n,
                title: t,
                body: b,
                derived_from: d,
            })
            .collect()
    }

    fn alignment() -> impl Strategy<Value = Alignment> {
        prop::sample::select(vec![Alignment::Identity, Alignment::Content])
    }

    fn joined(points: &[PointRef<'_>], ids: &[usize], title: bool) -> String {
        ids.iter()
            .map(|&i| {
                if title {
                    points[i].title
                } else {
                    points[i].body
                }
            })
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(if title { TITLE_JOIN } else { BODY_JOIN })
    }

    fn check_redline(old: &str, new: &str) -> Result<(), TestCaseError> {
        let spans = redline(old, new);
        prop_assert_eq!(rebuild(&spans, SpanKind::Added), old);
        prop_assert_eq!(rebuild(&spans, SpanKind::Removed), new);
        for s in &spans {
            prop_assert!(!s.text.is_empty());
        }
        for w in spans.windows(2) {
            prop_assert_ne!(w[0].kind, w[1].kind);
            prop_assert!(!(w[0].kind == SpanKind::Added && w[1].kind == SpanKind::Removed));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn redline_reconstructs_both_sides(old in text(), new in text()) {
            check_redline(&old, &new)?;
        }

        #[test]
        fn redline_reconstructs_arbitrary_unicode(old in any_text(), new in any_text()) {
            check_redline(&old, &new)?;
        }

        #[test]
        fn redline_of_equal_texts_is_all_same(a in text()) {
            let spans = redline(&a, &a);
            if a.is_empty() {
                prop_assert!(spans.is_empty());
            } else {
                prop_assert_eq!(spans, vec![same(&a)]);
            }
        }

        #[test]
        fn redline_is_minimal_against_bruteforce_lcs(old in text(), new in text()) {
            // The Same tokens form a common subsequence; its length must be
            // the LCS length (checked by an independent recursive count).
            let spans = redline(&old, &new);
            let same_tokens: usize = spans
                .iter()
                .filter(|s| s.kind == SpanKind::Same)
                .map(|s| tokens(&s.text).len())
                .sum();
            let (a, b) = (tokens(&old), tokens(&new));
            let mut memo = HashMap::new();
            prop_assert_eq!(same_tokens, lcs_len(&a, &b, 0, 0, &mut memo));
        }

        #[test]
        fn to_html_has_no_raw_markup_from_text(old in text(), new in text()) {
            let html = to_html(&redline(&old, &new));
            let stripped = html
                .replace("<del>", "")
                .replace("</del>", "")
                .replace("<ins>", "")
                .replace("</ins>", "");
            prop_assert!(!stripped.contains(['<', '>', '"', '\'']));
        }


        #[test]
        fn diff_counts_match_entries(old in version(), new in version(), a in alignment()) {
            let d = diff_points(&refs(&old), &refs(&new), a);
            let mut total = 0;
            for c in Change::ALL {
                let n = d.points.iter().filter(|p| p.change == c).count();
                prop_assert_eq!(d.count(c), n, "{:?}", c);
                total += n;
            }
            prop_assert_eq!(total, d.points.len());
        }

        #[test]
        fn diff_accounts_for_every_point_once(
            old in version(),
            new in version(),
            a in alignment(),
        ) {
            let (o, n) = (refs(&old), refs(&new));
            let d = diff_points(&o, &n, a);
            let (old_keys, new_keys) = (unique_keys(&o), unique_keys(&n));
            let find = |keys: &[String], k: &str| keys.iter().position(|x| x == k).unwrap();
            let mut seen_old = vec![0; o.len()];
            let mut seen_new = vec![0; n.len()];
            let mut last_first_new = None;
            for p in &d.points {
                prop_assert_eq!(p.from.len(), p.from_keys.len());
                prop_assert_eq!(p.to.len(), p.to_keys.len());
                let olds: Vec<usize> = p.from_keys.iter().map(|k| find(&old_keys, k)).collect();
                let news: Vec<usize> = p.to_keys.iter().map(|k| find(&new_keys, k)).collect();
                for &i in &olds {
                    seen_old[i] += 1;
                    prop_assert_eq!(p.from[olds.iter().position(|&x| x == i).unwrap()],
                        o[i].number.unwrap_or(i as u32 + 1));
                }
                for &i in &news {
                    seen_new[i] += 1;
                }
                let (f, t) = (olds.len(), news.len());
                let fits = match p.change {
                    Change::Merged => f >= 2 && t == 1,
                    Change::Split => f == 1 && t >= 2,
                    Change::Inserted => f == 0 && t == 1,
                    Change::Deleted => f == 1 && t == 0,
                    _ => f == 1 && t == 1,
                };
                prop_assert!(fits, "{:?} {:?} {:?}", p.change, p.from, p.to);
                // Exact redlines of the joined wordings.
                prop_assert_eq!(rebuild(&p.title, SpanKind::Added), joined(&o, &olds, true));
                prop_assert_eq!(rebuild(&p.title, SpanKind::Removed), joined(&n, &news, true));
                prop_assert_eq!(rebuild(&p.body, SpanKind::Added), joined(&o, &olds, false));
                prop_assert_eq!(rebuild(&p.body, SpanKind::Removed), joined(&n, &news, false));
                // Entries follow the new version's order.
                if let Some(&first) = news.first() {
                    prop_assert!(last_first_new < Some(first));
                    last_first_new = Some(first);
                }
                if p.change == Change::Unchanged || p.change == Change::Renumbered {
                    prop_assert!(same_wording(&o[olds[0]], &n[news[0]]));
                    prop_assert_eq!(p.change == Change::Unchanged, p.from == p.to);
                }
                if p.change == Change::Changed {
                    prop_assert!(!same_wording(&o[olds[0]], &n[news[0]]));
                }
            }
            prop_assert!(seen_old.iter().all(|&s| s == 1), "{:?}", seen_old);
            prop_assert!(seen_new.iter().all(|&s| s == 1), "{:?}", seen_new);
        }

        #[test]
        fn diff_with_itself_is_unchanged(v in version()) {
            let mut r = refs(&v);
            for p in &mut r {
                p.derived_from = &[];
            }
            let d = diff_points(&r, &r, Alignment::Identity);
            prop_assert_eq!(d.points.len(), v.len());
            prop_assert_eq!(d.unchanged, v.len());
        }
    }

    fn lcs_len<'a>(
        a: &[&'a str],
        b: &[&'a str],
        i: usize,
        j: usize,
        memo: &mut HashMap<(usize, usize), usize>,
    ) -> usize {
        if i == a.len() || j == b.len() {
            return 0;
        }
        if let Some(&v) = memo.get(&(i, j)) {
            return v;
        }
        let v = if a[i] == b[j] {
            1 + lcs_len(a, b, i + 1, j + 1, memo)
        } else {
            lcs_len(a, b, i + 1, j, memo).max(lcs_len(a, b, i, j + 1, memo))
        };
        memo.insert((i, j), v);
        v
    }
}
