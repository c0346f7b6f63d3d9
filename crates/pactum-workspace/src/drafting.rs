//! Drafting a version point by point: the mediator's operations on a
//! draft's point list.
//!
//! Each operation is a pure function on the list (`&mut Vec<PointInput>`),
//! validated before anything changes: on a [`FieldError`] the list is as it
//! was. The operations keep the contract the redline reads (see
//! [`PointInput::derived_from`]): a point carried from the revised version
//! keeps its key; a merge gives one point derived from the union of the
//! revised version's keys behind the two; a split gives two points derived
//! from the keys behind the original. "Behind" a point are its
//! `derived_from` keys if it has any, else its own key if the revised
//! version has a point with that key, else none (a new point).
//!
//! Wording is kept byte for byte with one rule: a line break is stored as
//! `\n`. Browsers submit every line break of a form as `\r\n` whatever was
//! typed, so keeping `\r` would make the same wording differ by the path it
//! came through; [`normalize_breaks`] turns `\r\n` and a lone `\r` into
//! `\n` on every path (API and form), and every other byte (spaces, tabs,
//! blank lines, trailing whitespace) is stored and shown as given.

use crate::body::{PointView, Text};
use crate::model::{DraftInput, FieldError, PointInput, Record};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What separates two merged wordings: a paragraph break, so that a split
/// at that paragraph undoes the merge.
pub const PARAGRAPH_BREAK: &str = "\n\n";

/// Line breaks as stored: `\r\n` and lone `\r` become `\n`, nothing else
/// changes.
pub fn normalize_breaks(s: &str) -> String {
    if !s.contains('\r') {
        return s.to_string();
    }
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// The key of a point id of `text_id` (`<text id>.<key>`).
pub fn key_of(text_id: &str, point_id: &str) -> String {
    point_id
        .strip_prefix(text_id)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or_else(|| crate::redline::PointRef::key_of(point_id))
        .to_string()
}

/// A text record's points as a draft gives them (key, title, wording,
/// issues and provenance), for editing it or revising it.
pub fn point_inputs(text: &Record) -> Vec<PointInput> {
    inputs_of(&text.id, Text::read(&text.body).points)
}

fn inputs_of(text_id: &str, points: Vec<PointView>) -> Vec<PointInput> {
    points
        .into_iter()
        .map(|p| PointInput {
            key: key_of(text_id, &p.id),
            title: p.title,
            body: p.body,
            issue_ids: p.issue_ids,
            derived_from: p.derived_from,
        })
        .collect()
}

/// A text record as the draft input that would write it again.
pub fn draft_of(text: &Record) -> DraftInput {
    let t = Text::read(&text.body);
    DraftInput {
        label: t.label.unwrap_or_else(|| text.id.clone()),
        derived_from_text_id: t.derived_from_text_id,
        points: inputs_of(&text.id, t.points),
    }
}

/// A new draft revising `version`: its points, carried with their keys (no
/// `derived_from`: a carried point is its own key).
pub fn revise(version: &Record, label: &str) -> Result<DraftInput, FieldError> {
    if label.trim().is_empty() {
        return Err(FieldError::new("label", "must not be empty"));
    }
    let mut points = point_inputs(version);
    for p in &mut points {
        p.derived_from.clear();
    }
    Ok(DraftInput {
        label: label.to_string(),
        derived_from_text_id: Some(version.id.clone()),
        points,
    })
}

/// The keys of the revised version behind a point (see the module doc).
pub fn behind(point: &PointInput, base: &BTreeSet<String>) -> Vec<String> {
    if !point.derived_from.is_empty() {
        point.derived_from.clone()
    } else if base.contains(&point.key) {
        vec![point.key.clone()]
    } else {
        Vec::new()
    }
}

/// The `derived_from` a point with `key` gets for the revised-version keys
/// `from`: none when it is simply `key` carried (or a new point).
fn derived(key: &str, from: Vec<String>) -> Vec<String> {
    if from.is_empty() || (from.len() == 1 && from[0] == key) {
        Vec::new()
    } else {
        from
    }
}

/// A point's content as the mediator writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointContent {
    /// Title.
    pub title: String,
    /// Wording (line breaks kept; see [`normalize_breaks`]).
    #[serde(default)]
    pub body: String,
    /// Issues the point bears on.
    #[serde(default)]
    pub issue_ids: Vec<String>,
}

/// A point to add.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPoint {
    /// Its key; a fresh one (`p1`, `p2`, ...) when not given.
    #[serde(default)]
    pub key: Option<String>,
    /// Title.
    pub title: String,
    /// Wording.
    #[serde(default)]
    pub body: String,
    /// Issues the point bears on.
    #[serde(default)]
    pub issue_ids: Vec<String>,
    /// Its number after the insertion (1 = first); at the end when not given.
    #[serde(default)]
    pub position: Option<usize>,
}

/// Where to split a point's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SplitAt {
    /// A byte offset into the wording: the first point keeps the bytes
    /// before it, the second the bytes from it on.
    Offset(usize),
    /// A paragraph index (paragraphs are separated by blank lines, 0 is the
    /// first): the second point starts with that paragraph; the blank lines
    /// between the two go.
    Paragraph(usize),
}

fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn position(points: &[PointInput], key: &str, field: &str) -> Result<usize, FieldError> {
    points
        .iter()
        .position(|p| p.key == key)
        .ok_or_else(|| FieldError::new(field, format!("the draft has no point {key:?}")))
}

/// True when the draft has no point with `key`.
pub fn is_missing(points: &[PointInput], key: &str) -> bool {
    !points.iter().any(|p| p.key == key)
}

fn check_new_key(points: &[PointInput], field: &str, key: &str) -> Result<(), FieldError> {
    if !is_key(key) {
        return Err(FieldError::new(
            field,
            "expected lowercase letters, digits or _",
        ));
    }
    if !is_missing(points, key) {
        return Err(FieldError::new(field, format!("duplicate key {key:?}")));
    }
    Ok(())
}

fn check_title(title: &str) -> Result<(), FieldError> {
    if title.trim().is_empty() {
        Err(FieldError::new("title", "must not be empty"))
    } else {
        Ok(())
    }
}

/// The first key `stem_N` (N from `from`) that neither the draft nor the
/// revised version uses: a new point must not take a key of the revised
/// version, or the redline would read it as that point carried.
fn fresh_key(points: &[PointInput], base: &BTreeSet<String>, stem: &str, from: usize) -> String {
    (from..)
        .map(|n| format!("{stem}{n}"))
        .find(|k| is_missing(points, k) && !base.contains(k))
        .expect("an unused key exists")
}

/// Adds a point (a new point: nothing of the revised version is behind it).
pub fn add(
    points: &mut Vec<PointInput>,
    base: &BTreeSet<String>,
    new: NewPoint,
) -> Result<String, FieldError> {
    check_title(&new.title)?;
    let key = match new.key {
        Some(k) => {
            check_new_key(points, "key", &k)?;
            if base.contains(&k) {
                return Err(FieldError::new(
                    "key",
                    format!("{k:?} is a point of the revised version; a new point needs a new key"),
                ));
            }
            k
        }
        None => fresh_key(points, base, "p", points.len() + 1),
    };
    let at = match new.position {
        None => points.len(),
        Some(n) if (1..=points.len() + 1).contains(&n) => n - 1,
        Some(_) => {
            return Err(FieldError::new(
                "position",
                format!("expected a number from 1 to {}", points.len() + 1),
            ))
        }
    };
    points.insert(
        at,
        PointInput {
            key: key.clone(),
            title: new.title,
            body: normalize_breaks(&new.body),
            issue_ids: new.issue_ids,
            derived_from: Vec::new(),
        },
    );
    Ok(key)
}

/// Replaces a point's title, wording and issues; its key and provenance stay.
pub fn edit(points: &mut [PointInput], key: &str, content: PointContent) -> Result<(), FieldError> {
    let i = position(points, key, "key")?;
    check_title(&content.title)?;
    let p = &mut points[i];
    p.title = content.title;
    p.body = normalize_breaks(&content.body);
    p.issue_ids = content.issue_ids;
    Ok(())
}

/// Moves a point so that its number becomes `to` (1 = first).
pub fn move_to(points: &mut Vec<PointInput>, key: &str, to: usize) -> Result<(), FieldError> {
    let i = position(points, key, "key")?;
    if !(1..=points.len()).contains(&to) {
        return Err(FieldError::new(
            "to",
            format!("expected a number from 1 to {}", points.len()),
        ));
    }
    let p = points.remove(i);
    points.insert(to - 1, p);
    Ok(())
}

/// Merges the point `with` into `key`: one point, where `key` stood, with
/// `key`'s key and title, both wordings (`key`'s first, joined by
/// [`PARAGRAPH_BREAK`]), both points' issues, and derived from every key
/// of the revised version behind either.
pub fn merge(
    points: &mut Vec<PointInput>,
    base: &BTreeSet<String>,
    key: &str,
    with: &str,
) -> Result<(), FieldError> {
    let i = position(points, key, "key")?;
    let j = position(points, with, "with")?;
    if i == j {
        return Err(FieldError::new(
            "with",
            "a point cannot be merged with itself",
        ));
    }
    let mut from = behind(&points[i], base);
    for k in behind(&points[j], base) {
        if !from.contains(&k) {
            from.push(k);
        }
    }
    let other = points.remove(j);
    let i = if j < i { i - 1 } else { i };
    let p = &mut points[i];
    p.body = match (p.body.is_empty(), other.body.is_empty()) {
        (_, true) => std::mem::take(&mut p.body),
        (true, false) => other.body,
        (false, false) => format!("{}{PARAGRAPH_BREAK}{}", p.body, other.body),
    };
    for issue in other.issue_ids {
        if !p.issue_ids.contains(&issue) {
            p.issue_ids.push(issue);
        }
    }
    p.derived_from = derived(&p.key, from);
    Ok(())
}

/// The byte range of the paragraph break before paragraph `n` (1 or more)
/// of `body`: a run of line breaks holding at least one blank line.
fn paragraph_break(body: &str, n: usize) -> Option<(usize, usize)> {
    let bytes = body.as_bytes();
    let mut seen = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let start = i;
            let mut end = i;
            while end < bytes.len() && bytes[end] == b'\n' {
                end += 1;
            }
            // Leading or trailing breaks do not separate two paragraphs.
            if end - start >= 2 && start > 0 && end < bytes.len() {
                seen += 1;
                if seen == n {
                    return Some((start, end));
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    None
}

/// Splits a point in two at `at`: the first keeps the key, the second gets
/// `new_key` (or a fresh `<key>_N`) and `new_title` (or the same title);
/// both keep the issues and are derived from the keys of the revised
/// version behind the original. Both parts must be non-empty.
pub fn split(
    points: &mut Vec<PointInput>,
    base: &BTreeSet<String>,
    key: &str,
    at: SplitAt,
    new_key: Option<String>,
    new_title: Option<String>,
) -> Result<String, FieldError> {
    let i = position(points, key, "key")?;
    let body = &points[i].body;
    let (head_end, tail_start) = match at {
        SplitAt::Offset(n) => {
            if n == 0 || n >= body.len() || !body.is_char_boundary(n) {
                return Err(FieldError::new(
                    "at.offset",
                    format!(
                        "expected a byte offset inside the wording (1 to {}) at a character boundary",
                        body.len().saturating_sub(1)
                    ),
                ));
            }
            (n, n)
        }
        SplitAt::Paragraph(n) => {
            let found = if n == 0 {
                None
            } else {
                paragraph_break(body, n)
            };
            found.ok_or_else(|| {
                FieldError::new(
                    "at.paragraph",
                    "expected the index of a paragraph after the first (paragraphs are separated by a blank line)",
                )
            })?
        }
    };
    let second_key = match new_key {
        Some(k) => {
            check_new_key(points, "new_key", &k)?;
            if base.contains(&k) {
                return Err(FieldError::new(
                    "new_key",
                    format!("{k:?} is a point of the revised version"),
                ));
            }
            k
        }
        None => fresh_key(points, base, &format!("{key}_"), 2),
    };
    if let Some(t) = &new_title {
        if t.trim().is_empty() {
            return Err(FieldError::new("new_title", "must not be empty"));
        }
    }
    let from = behind(&points[i], base);
    let p = &mut points[i];
    let tail = p.body[tail_start..].to_string();
    p.body.truncate(head_end);
    p.derived_from = from.clone();
    let second = PointInput {
        key: second_key.clone(),
        title: new_title.unwrap_or_else(|| p.title.clone()),
        body: tail,
        issue_ids: p.issue_ids.clone(),
        derived_from: from,
    };
    // A new point split in two stays two new points.
    points.insert(i + 1, second);
    Ok(second_key)
}

/// Deletes a point (what was behind it is then deleted in the redline).
pub fn delete(points: &mut Vec<PointInput>, key: &str) -> Result<(), FieldError> {
    let i = position(points, key, "key")?;
    points.remove(i);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pt(key: &str, body: &str) -> PointInput {
        PointInput {
            key: key.into(),
            title: format!("Title {key}"),
            body: body.into(),
            issue_ids: Vec::new(),
            derived_from: Vec::new(),
        }
    }

    fn base(keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    fn keys(ps: &[PointInput]) -> Vec<&str> {
        ps.iter().map(|p| p.key.as_str()).collect()
    }

    #[test]
    fn line_breaks_are_stored_as_lf_and_nothing_else_changes() {
        assert_eq!(normalize_breaks("a\r\nb\rc\n\n d \t"), "a\nb\nc\n\n d \t");
        assert_eq!(normalize_breaks("plain  "), "plain  ");
    }

    #[test]
    fn merge_of_two_carried_points_is_derived_from_both() {
        let b = base(&["a", "b", "c"]);
        let mut ps = vec![pt("a", "one"), pt("b", "two"), pt("c", "three")];
        merge(&mut ps, &b, "a", "b").unwrap();
        assert_eq!(keys(&ps), ["a", "c"]);
        assert_eq!(ps[0].body, "one\n\ntwo");
        assert_eq!(ps[0].derived_from, ["a", "b"]);
        assert!(ps[1].derived_from.is_empty());
    }

    #[test]
    fn merge_with_a_new_point_keeps_the_carried_key_plain() {
        let b = base(&["a"]);
        let mut ps = vec![pt("x", "new"), pt("a", "old")];
        merge(&mut ps, &b, "a", "x").unwrap();
        assert_eq!(keys(&ps), ["a"]);
        assert_eq!(ps[0].body, "old\n\nnew");
        // Only a is behind it, and it is a: carried, not merged.
        assert!(ps[0].derived_from.is_empty());
    }

    #[test]
    fn split_at_a_paragraph_then_merge_gives_the_wording_back() {
        let b = base(&["a"]);
        let wording = "First para\nline two\n\nSecond para\r\n".replace("\r\n", "\n");
        let mut ps = vec![pt("a", &wording)];
        let k = split(&mut ps, &b, "a", SplitAt::Paragraph(1), None, None).unwrap();
        assert_eq!(k, "a_2");
        assert_eq!(ps[0].body, "First para\nline two");
        assert_eq!(ps[1].body, "Second para\n");
        assert_eq!(ps[0].derived_from, ["a"]);
        assert_eq!(ps[1].derived_from, ["a"]);
        merge(&mut ps, &b, "a", "a_2").unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].body, wording);
        assert!(ps[0].derived_from.is_empty(), "back to a carried");
    }

    #[test]
    fn bad_operations_name_the_field_and_change_nothing() {
        let b = base(&["a", "b"]);
        let orig = vec![pt("a", "héllo"), pt("b", "")];
        type Attempt<'a> = Box<dyn Fn(&mut Vec<PointInput>) -> Result<(), FieldError> + 'a>;
        let cases: Vec<(&str, Attempt)> = vec![
            ("with", Box::new(|ps| merge(ps, &b, "a", "zz"))),
            ("with", Box::new(|ps| merge(ps, &b, "a", "a"))),
            ("key", Box::new(|ps| merge(ps, &b, "zz", "a"))),
            ("to", Box::new(|ps| move_to(ps, "a", 3))),
            ("to", Box::new(|ps| move_to(ps, "a", 0))),
            (
                "at.offset",
                Box::new(|ps| split(ps, &b, "a", SplitAt::Offset(2), None, None).map(drop)),
            ),
            (
                "at.offset",
                Box::new(|ps| split(ps, &b, "a", SplitAt::Offset(0), None, None).map(drop)),
            ),
            (
                "at.paragraph",
                Box::new(|ps| split(ps, &b, "a", SplitAt::Paragraph(1), None, None).map(drop)),
            ),
            (
                "new_key",
                Box::new(|ps| {
                    split(ps, &b, "a", SplitAt::Offset(1), Some("b".into()), None).map(drop)
                }),
            ),
            (
                "key",
                Box::new(|ps| {
                    add(
                        ps,
                        &b,
                        NewPoint {
                            key: Some("a".into()),
                            title: "t".into(),
                            ..NewPoint::default()
                        },
                    )
                    .map(drop)
                }),
            ),
            (
                "key",
                Box::new(|ps| {
                    add(
                        ps,
                        &b,
                        NewPoint {
                            key: Some("Bad Key".into()),
                            title: "t".into(),
                            ..NewPoint::default()
                        },
                    )
                    .map(drop)
                }),
            ),
            (
                "title",
                Box::new(|ps| {
                    add(
                        ps,
                        &b,
                        NewPoint {
                            title: " ".into(),
                            ..NewPoint::default()
                        },
                    )
                    .map(drop)
                }),
            ),
            (
                "position",
                Box::new(|ps| {
                    add(
                        ps,
                        &b,
                        NewPoint {
                            title: "t".into(),
                            position: Some(4),
                            ..NewPoint::default()
                        },
                    )
                    .map(drop)
                }),
            ),
            (
                "title",
                Box::new(|ps| edit(ps, "a", PointContent::default())),
            ),
            ("key", Box::new(|ps| delete(ps, "zz"))),
        ];
        for (field, op) in cases {
            let mut ps = orig.clone();
            let e = op(&mut ps).unwrap_err();
            assert_eq!(e.field, field, "{e}");
            assert_eq!(ps, orig, "{field}: the list changed");
        }
    }

    #[test]
    fn a_new_point_never_takes_a_key_of_the_revised_version() {
        let b = base(&["p1", "p2"]);
        let mut ps = vec![pt("p1", "")];
        let k = add(
            &mut ps,
            &b,
            NewPoint {
                title: "t".into(),
                position: Some(1),
                ..NewPoint::default()
            },
        )
        .unwrap();
        assert_eq!(k, "p3");
        assert_eq!(keys(&ps), ["p3", "p1"]);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Merge(usize, usize),
        Split(usize, usize),
        Move(usize, usize),
        Add(usize),
        Edit(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..20usize, 0..20usize).prop_map(|(a, b)| Op::Merge(a, b)),
            (0..20usize, 0..40usize).prop_map(|(a, b)| Op::Split(a, b)),
            (0..20usize, 0..20usize).prop_map(|(a, b)| Op::Move(a, b)),
            (0..20usize).prop_map(Op::Add),
            (0..20usize).prop_map(Op::Edit),
        ]
    }

    proptest! {
        /// Without deletions, every key of the revised version stays behind
        /// some point, the wording's non-break bytes survive in order, and
        /// keys stay unique.
        #[test]
        fn merges_and_splits_keep_every_key_and_byte(
            bodies in prop::collection::vec("[a-c \n\r]{0,12}", 1..8),
            ops in prop::collection::vec(op(), 0..25),
        ) {
            let keys0: Vec<String> = (0..bodies.len()).map(|i| format!("k{i}")).collect();
            let b: BTreeSet<String> = keys0.iter().cloned().collect();
            let mut ps: Vec<PointInput> = keys0
                .iter()
                .zip(&bodies)
                .map(|(k, body)| pt(k, &normalize_breaks(body)))
                .collect();
            let letters = |ps: &[PointInput]| -> String {
                ps.iter().flat_map(|p| p.body.chars()).filter(|c| *c != '\n').collect()
            };
            for op in ops {
                let n = ps.len();
                let before = ps.clone();
                let key = |i: usize| before[i % n].key.clone();
                let result = match op {
                    Op::Merge(a, c) => {
                        let (ka, kc) = (key(a), key(c));
                        // Merging puts c's wording after a's: compare the
                        // bytes in the order the merge sets them.
                        let r = merge(&mut ps, &b, &ka, &kc);
                        if r.is_ok() {
                            let mut order = before.clone();
                            let j = order.iter().position(|p| p.key == kc).unwrap();
                            let moved = order.remove(j);
                            let i = order.iter().position(|p| p.key == ka).unwrap();
                            order.insert(i + 1, moved);
                            prop_assert_eq!(letters(&ps), letters(&order));
                        }
                        r
                    }
                    Op::Split(a, at) => {
                        let r = split(&mut ps, &b, &key(a), SplitAt::Offset(at), None, None).map(drop);
                        if r.is_ok() {
                            let i = a % n;
                            prop_assert_eq!(
                                format!("{}{}", ps[i].body, ps[i + 1].body),
                                before[i].body.clone()
                            );
                        }
                        r
                    }
                    Op::Move(a, to) => move_to(&mut ps, &key(a), to % n + 1),
                    Op::Add(at) => add(&mut ps, &b, NewPoint {
                        title: "new".into(),
                        body: "x\r\ny".into(),
                        position: Some(at % (n + 1) + 1),
                        ..NewPoint::default()
                    }).map(drop),
                    Op::Edit(a) => edit(&mut ps, &key(a), PointContent {
                        title: "edited".into(),
                        body: before[a % n].body.clone(),
                        issue_ids: vec![],
                    }),
                };
                if result.is_err() {
                    prop_assert_eq!(&ps, &before);
                }
                if !matches!(op, Op::Merge(..) | Op::Add(_)) {
                    if let (Op::Move(..) | Op::Edit(_), true) = (&op, result.is_ok()) {
                        let mut x: Vec<_> = letters(&ps).chars().collect();
                        let mut y: Vec<_> = letters(&before).chars().collect();
                        x.sort_unstable();
                        y.sort_unstable();
                        prop_assert_eq!(x, y);
                    }
                }
                let accounted: BTreeSet<String> = ps.iter().flat_map(|p| behind(p, &b)).collect();
                prop_assert_eq!(&accounted, &b);
                let unique: BTreeSet<&str> = ps.iter().map(|p| p.key.as_str()).collect();
                prop_assert_eq!(unique.len(), ps.len());
                prop_assert!(ps.iter().all(|p| !p.body.contains('\r')));
            }
        }
    }
}
