//! Redlines between two versions of the single negotiating text.
//!
//! A mediator who tables a revised text has to show every party exactly what
//! moved: which points are new, which were dropped, which only changed their
//! number and which changed their wording. This module answers that from two
//! ordered point lists alone, so it works for any pair of versions, not just
//! consecutive ones, and knows nothing about rooms, visibility or storage.
//!
//! Word-level redlines are exact: gluing the unchanged and removed pieces back
//! together yields the old text byte for byte, and the unchanged and added
//! pieces yield the new one. A redline shown to a party can therefore never
//! misquote either version, whatever the script or punctuation.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// What happened to one point between the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
    /// Same wording under a different number, which matters because parties
    /// cite points by number.
    Renumbered,
    /// Same number (or no number on one side), different title or body.
    Changed,
    /// Both a new number and new wording.
    RenumberedAndChanged,
    /// Identical number, title and body.
    Unchanged,
}

/// The fate of one point, with its redlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointDiff {
    /// The point's cross-version key; a later duplicate of a key within one
    /// version carries a "#2", "#3"... suffix so every entry stays distinct.
    pub key: String,
    /// What happened to the point.
    pub change: Change,
    /// Number in the old version; `None` if the point was added or unnumbered.
    pub old_number: Option<u32>,
    /// Number in the new version; `None` if the point was removed or
    /// unnumbered.
    pub new_number: Option<u32>,
    /// Redline of the title: all `Added` for an added point, all `Removed`
    /// for a removed one, all `Same` when the title did not change.
    pub title: Vec<Span>,
    /// Redline of the body, with the same conventions as `title`.
    pub body: Vec<Span>,
}

/// The comparison of two whole versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDiff {
    /// Every point of either version exactly once, in reading order (see
    /// [`diff_points`]).
    pub points: Vec<PointDiff>,
    /// Points with [`Change::Added`].
    pub added: usize,
    /// Points with [`Change::Removed`].
    pub removed: usize,
    /// Points whose number changed: [`Change::Renumbered`] plus
    /// [`Change::RenumberedAndChanged`], so that a summary line can say how
    /// many citations by number went stale.
    pub renumbered: usize,
    /// Points whose wording changed: [`Change::Changed`] plus
    /// [`Change::RenumberedAndChanged`].
    pub changed: usize,
    /// Points with [`Change::Unchanged`].
    pub unchanged: usize,
}

/// Compares two versions of a text point by point.
///
/// Points are listed in the new version's order, because that is the text on
/// the table; each removed point is placed right after the surviving point
/// that preceded it in the old version (or first, if none did), so it shows
/// up where a reader of the old text would look for it. Removed points that
/// share an anchor keep their old order.
///
/// Duplicate keys within a version are tolerated rather than rejected: later
/// duplicates are treated as distinct points keyed "key#2", "key#3"... (the
/// first free suffix if such a key is already taken), and matched by that
/// suffixed key against the other version.
pub fn diff_points(old: &[PointRef<'_>], new: &[PointRef<'_>]) -> TextDiff {
    let old_keys = unique_keys(old);
    let new_keys = unique_keys(new);
    let old_index: HashMap<&str, usize> = old_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let new_keys_set: HashSet<&str> = new_keys.iter().map(String::as_str).collect();

    // Removed points grouped by the old index of the surviving point they
    // follow; `None` means they precede every surviving point.
    let mut leading = Vec::new();
    let mut after: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut anchor = None;
    for (i, key) in old_keys.iter().enumerate() {
        if new_keys_set.contains(key.as_str()) {
            anchor = Some(i);
        } else {
            match anchor {
                Some(a) => after.entry(a).or_default().push(i),
                None => leading.push(i),
            }
        }
    }

    let mut diff = TextDiff {
        points: Vec::with_capacity(old.len() + new.len()),
        added: 0,
        removed: 0,
        renumbered: 0,
        changed: 0,
        unchanged: 0,
    };
    let removed_point = |i: usize| PointDiff {
        key: old_keys[i].clone(),
        change: Change::Removed,
        old_number: old[i].number,
        new_number: None,
        title: whole(SpanKind::Removed, old[i].title),
        body: whole(SpanKind::Removed, old[i].body),
    };

    for &i in &leading {
        diff.push(removed_point(i));
    }
    for (p, key) in new.iter().zip(&new_keys) {
        match old_index.get(key.as_str()) {
            None => diff.push(PointDiff {
                key: key.clone(),
                change: Change::Added,
                old_number: None,
                new_number: p.number,
                title: whole(SpanKind::Added, p.title),
                body: whole(SpanKind::Added, p.body),
            }),
            Some(&i) => {
                let o = &old[i];
                let renumbered = matches!((o.number, p.number), (Some(x), Some(y)) if x != y);
                let changed = o.title != p.title || o.body != p.body;
                let change = match (renumbered, changed) {
                    (true, true) => Change::RenumberedAndChanged,
                    (true, false) => Change::Renumbered,
                    (false, true) => Change::Changed,
                    (false, false) => Change::Unchanged,
                };
                diff.push(PointDiff {
                    key: key.clone(),
                    change,
                    old_number: o.number,
                    new_number: p.number,
                    title: redline(o.title, p.title),
                    body: redline(o.body, p.body),
                });
                for &r in after.get(&i).map(Vec::as_slice).unwrap_or_default() {
                    diff.push(removed_point(r));
                }
            }
        }
    }
    diff
}

impl TextDiff {
    fn push(&mut self, point: PointDiff) {
        match point.change {
            Change::Added => self.added += 1,
            Change::Removed => self.removed += 1,
            Change::Renumbered => self.renumbered += 1,
            Change::Changed => self.changed += 1,
            Change::RenumberedAndChanged => {
                self.renumbered += 1;
                self.changed += 1;
            }
            Change::Unchanged => self.unchanged += 1,
        }
        self.points.push(point);
    }
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
        }
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
        let c: Change = serde_json::from_str("\"renumbered_and_changed\"").unwrap();
        assert_eq!(c, Change::RenumberedAndChanged);
        let p: PointRef<'_> =
            serde_json::from_str(r#"{"key":"p1","number":1,"title":"T","body":"B"}"#).unwrap();
        assert_eq!(p, pt("p1", 1, "T", "B"));
    }

    #[test]
    fn diff_classifies_every_kind_of_change() {
        let old = [
            pt("p1", 1, "Ceasefire", "All forces stop firing."),
            pt("p2", 2, "Prisoners", "All for all."),
            pt("p3", 3, "Elections", "Within 100 days."),
            pt("p4", 4, "Monitoring", "By a joint commission."),
        ];
        let new = [
            pt("p1", 1, "Ceasefire", "All forces stop firing."),
            pt("p5", 2, "Amnesty", "General amnesty."),
            pt("p3", 3, "Elections", "Within 180 days."),
            pt("p4", 5, "Monitoring", "By a joint commission."),
            pt("p2", 4, "Exchange of prisoners", "All for all."),
        ];
        let d = diff_points(&old, &new);
        let summary: Vec<(&str, Change)> = d
            .points
            .iter()
            .map(|p| (p.key.as_str(), p.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("p1", Change::Unchanged),
                ("p5", Change::Added),
                ("p3", Change::Changed),
                ("p4", Change::Renumbered),
                ("p2", Change::RenumberedAndChanged),
            ]
        );
        assert_eq!(
            (d.added, d.removed, d.renumbered, d.changed, d.unchanged),
            (1, 0, 2, 2, 1)
        );
        let p3 = &d.points[2];
        assert_eq!(p3.title, vec![same("Elections")]);
        assert_eq!(
            p3.body,
            vec![same("Within "), del("100"), add("180"), same(" days.")]
        );
        let p5 = &d.points[1];
        assert_eq!((p5.old_number, p5.new_number), (None, Some(2)));
        assert_eq!(p5.title, vec![add("Amnesty")]);
        assert_eq!(p5.body, vec![add("General amnesty.")]);
        let p4 = &d.points[3];
        assert_eq!((p4.old_number, p4.new_number), (Some(4), Some(5)));
    }

    #[test]
    fn removed_points_follow_their_old_predecessor() {
        let old = [
            pt("gone0", 1, "A", "a"),
            pt("p1", 2, "B", "b"),
            pt("gone1", 3, "C", "c"),
            pt("gone2", 4, "D", "d"),
            pt("p2", 5, "E", "e"),
            pt("gone3", 6, "F", "f"),
        ];
        let new = [
            pt("p2", 1, "E", "e"),
            pt("new", 2, "N", "n"),
            pt("p1", 3, "B", "b"),
        ];
        let d = diff_points(&old, &new);
        let keys: Vec<&str> = d.points.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            ["gone0", "p2", "gone3", "new", "p1", "gone1", "gone2"]
        );
        let gone1 = &d.points[5];
        assert_eq!(gone1.change, Change::Removed);
        assert_eq!((gone1.old_number, gone1.new_number), (Some(3), None));
        assert_eq!(gone1.title, vec![del("C")]);
        assert_eq!(gone1.body, vec![del("c")]);
        assert_eq!(d.removed, 4);
    }

    #[test]
    fn unknown_numbers_are_not_renumbering() {
        let old = [PointRef {
            key: "pre",
            number: None,
            title: "Preamble",
            body: "x",
        }];
        let new = [pt("pre", 1, "Preamble", "x")];
        let d = diff_points(&old, &new);
        assert_eq!(d.points[0].change, Change::Unchanged);
        assert_eq!(
            (d.points[0].old_number, d.points[0].new_number),
            (None, Some(1))
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
        let d = diff_points(&old, &new);
        let summary: Vec<(&str, Change)> = d
            .points
            .iter()
            .map(|p| (p.key.as_str(), p.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("p1", Change::Unchanged),
                ("p1#2", Change::Changed),
                ("p1#3", Change::Removed)
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
        let d = diff_points(&pts, &pts);
        assert!(d.points.iter().all(|p| p.change == Change::Unchanged));
        assert_eq!(d.points.len(), 3);
    }

    #[test]
    fn empty_versions() {
        let d = diff_points(&[], &[]);
        assert!(d.points.is_empty());
        let new = [pt("p1", 1, "", "")];
        let d = diff_points(&[], &new);
        assert_eq!(d.added, 1);
        assert_eq!(d.points[0].title, vec![]);
        let d = diff_points(&new, &[]);
        assert_eq!(d.removed, 1);
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

    fn version() -> impl Strategy<Value = Vec<(String, Option<u32>, String, String)>> {
        let key = prop::sample::select(vec!["p1", "p2", "p3", "p4", "p5", "p6", "p1#2"]);
        let number = prop::option::weighted(0.9, 1u32..6);
        let words = prop::sample::select(vec!["", "a", "b", "a b", "b a", "a  c"]);
        prop::collection::vec(
            (key, number, words.clone(), words)
                .prop_map(|(k, n, t, b)| (k.to_owned(), n, t.to_owned(), b.to_owned())),
            0..8,
        )
    }

    fn refs(v: &[(String, Option<u32>, String, String)]) -> Vec<PointRef<'_>> {
        v.iter()
            .map(|(k, n, t, b)| PointRef {
                key: k,
                number: *n,
                title: t,
                body: b,
            })
            .collect()
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
        fn diff_counts_match_points(old in version(), new in version()) {
            let d = diff_points(&refs(&old), &refs(&new));
            let count = |f: fn(Change) -> bool| d.points.iter().filter(|p| f(p.change)).count();
            prop_assert_eq!(d.added, count(|c| c == Change::Added));
            prop_assert_eq!(d.removed, count(|c| c == Change::Removed));
            prop_assert_eq!(
                d.renumbered,
                count(|c| matches!(c, Change::Renumbered | Change::RenumberedAndChanged))
            );
            prop_assert_eq!(
                d.changed,
                count(|c| matches!(c, Change::Changed | Change::RenumberedAndChanged))
            );
            prop_assert_eq!(d.unchanged, count(|c| c == Change::Unchanged));
        }

        #[test]
        fn diff_with_itself_is_unchanged(v in version()) {
            let r = refs(&v);
            let d = diff_points(&r, &r);
            prop_assert_eq!(d.points.len(), v.len());
            prop_assert_eq!(d.unchanged, v.len());
            for (p, orig) in d.points.iter().zip(&r) {
                prop_assert_eq!(p.change, Change::Unchanged);
                prop_assert_eq!(p.new_number, orig.number);
            }
        }

        #[test]
        fn diff_lists_every_point_once(old in version(), new in version()) {
            let (o, n) = (refs(&old), refs(&new));
            let d = diff_points(&o, &n);
            let keys: HashSet<&str> = d.points.iter().map(|p| p.key.as_str()).collect();
            prop_assert_eq!(keys.len(), d.points.len());
            // Every raw key of either version is present.
            for p in o.iter().chain(&n) {
                prop_assert!(keys.contains(p.key));
            }
            // Each point of each version is accounted for exactly once.
            prop_assert_eq!(count_side(&d, Change::Added), o.len());
            prop_assert_eq!(count_side(&d, Change::Removed), n.len());
            // Surviving and added points come in the new version's order.
            let in_new: Vec<&str> = d
                .points
                .iter()
                .filter(|p| p.change != Change::Removed)
                .map(|p| p.key.as_str())
                .collect();
            prop_assert_eq!(in_new, unique_keys(&n));
            // Added and removed redlines are one-sided and exact.
            for p in &d.points {
                let only = match p.change {
                    Change::Added => Some(SpanKind::Added),
                    Change::Removed => Some(SpanKind::Removed),
                    _ => None,
                };
                if let Some(kind) = only {
                    prop_assert!(p.title.iter().chain(&p.body).all(|s| s.kind == kind));
                }
            }
        }

        #[test]
        fn diff_with_unique_keys_has_exactly_the_union(old in version(), new in version()) {
            let dedup = |v: Vec<(String, Option<u32>, String, String)>| {
                let mut seen = HashSet::new();
                v.into_iter().filter(|p| seen.insert(p.0.clone())).collect::<Vec<_>>()
            };
            let (old, new) = (dedup(old), dedup(new));
            let d = diff_points(&refs(&old), &refs(&new));
            let mut got: Vec<&str> = d.points.iter().map(|p| p.key.as_str()).collect();
            let mut want: Vec<&str> = old.iter().chain(&new).map(|p| p.0.as_str()).collect();
            got.sort_unstable();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(got, want);
        }
    }

    /// Number of points that exist on the side that `absent` excludes.
    fn count_side(d: &TextDiff, absent: Change) -> usize {
        d.points.iter().filter(|p| p.change != absent).count()
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
