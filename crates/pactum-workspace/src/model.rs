//! Records of a room and the typed views the workspace computes from them.
//!
//! A record's body is kept as the JSON object it came in as: case files carry
//! far more than the workspace interprets (provenance lines, notes on dates,
//! factions), and a mediator's export must give all of it back byte for byte.
//! The workspace reads the fields it needs through accessors and writes new
//! records from typed inputs ([`StanceInput`], [`DraftInput`], ...) that are
//! validated here, naming the offending field.

use crate::body::{
    Confidentiality, Issue, KindBody, Meeting, Parsed, Party, Stance, Term, Text, Typed, Vocabulary,
};
use crate::visibility::{Viewer, Visibility};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// A JSON object: a record's body.
pub type Body = Map<String, Value>;

/// What a record is. The names are the store's `kind` column and the case
/// file's collection names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The case's metadata (title, disclaimer, sources, conventions).
    Meta,
    /// A party, mediator or observer, with its delegates.
    Party,
    /// An issue with its options.
    Issue,
    /// A version of the single negotiating text (or a document set, a counter-proposal).
    Text,
    /// A meeting.
    Meeting,
    /// A party's stance on an issue, text or point.
    Stance,
    /// An additional document attached to a version or a meeting.
    Document,
    /// A free-text note.
    Note,
    /// A party's private preference model.
    Preference,
    /// What a case says about its preference models as a whole (label, formula).
    PreferenceSet,
    /// A single-text voting session.
    Session,
    /// A party's vote in a single-text session.
    Vote,
    /// A change to a point of a version, tabled by a party (see
    /// [`crate::amendment`]).
    Amendment,
    /// A comment in a thread on a point, an amendment or a version.
    Comment,
}

impl Kind {
    /// Every kind, in the order a case file lists them.
    pub const ALL: [Kind; 14] = [
        Kind::Meta,
        Kind::Party,
        Kind::Issue,
        Kind::Text,
        Kind::Meeting,
        Kind::Stance,
        Kind::Document,
        Kind::Note,
        Kind::PreferenceSet,
        Kind::Preference,
        Kind::Session,
        Kind::Vote,
        Kind::Amendment,
        Kind::Comment,
    ];

    /// The store's name for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Meta => "meta",
            Kind::Party => "party",
            Kind::Issue => "issue",
            Kind::Text => "text",
            Kind::Meeting => "meeting",
            Kind::Stance => "stance",
            Kind::Document => "document",
            Kind::Note => "note",
            Kind::Preference => "preference",
            Kind::PreferenceSet => "preference_set",
            Kind::Session => "session",
            Kind::Vote => "vote",
            Kind::Amendment => "amendment",
            Kind::Comment => "comment",
        }
    }

    /// The kind a store name stands for.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One record of a room.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// What it is.
    pub kind: Kind,
    /// Unique within the room and kind.
    pub id: String,
    /// Who may see it.
    pub visibility: Visibility,
    /// The record as a JSON object (its `id` field included where the kind has one).
    pub body: Body,
}

impl Record {
    /// A string field of the body.
    pub fn str(&self, field: &str) -> Option<&str> {
        self.body.get(field).and_then(Value::as_str)
    }

    /// A list-of-strings field of the body (missing or mistyped entries skipped).
    pub fn strs(&self, field: &str) -> Vec<&str> {
        strs(&self.body, field)
    }
}

fn strs<'a>(body: &'a Body, field: &str) -> Vec<&'a str> {
    body.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

pub use crate::body::{PartyKind, PointView, Reliability, StanceKind};

/// [`StanceKind::glyph`] of a stance as spelled in a record; "?" for a
/// spelling that is not a stance.
pub fn stance_glyph(s: &str) -> &'static str {
    StanceKind::parse(s).map_or("?", StanceKind::glyph)
}

/// A bad value in a write, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field, as a dotted path (`provenance.reliability`).
    pub field: String,
    /// What was expected.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The visible records of a room, each parsed once into its typed body
/// ([`crate::body`]) when the room is built, indexed for the views below.
///
/// The records are private so that a record and its parsed body cannot
/// drift apart: a room changes only through [`Room::push`] and
/// [`Room::retain`], which keep both in step.
#[derive(Debug, Default, Clone)]
pub struct Room {
    records: Vec<Record>,
    parsed: Vec<Parsed>,
    /// Where each (kind, id) first occurs in `records`: a room of 100,000
    /// records answers [`Room::get`] and [`Room::find`] without a scan.
    index: HashMap<(Kind, String), usize>,
}

/// [`Room::index`] of these records.
fn index_of(records: &[Record]) -> HashMap<(Kind, String), usize> {
    let mut index = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        index.entry((r.kind, r.id.clone())).or_insert(i);
    }
    index
}

impl Room {
    /// A room of these records (in the store's order), each parsed once.
    pub fn new(records: Vec<Record>) -> Room {
        let parsed = records.iter().map(Parsed::of).collect();
        let index = index_of(&records);
        Room {
            records,
            parsed,
            index,
        }
    }

    /// Records in the store's order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The records, giving the room up.
    pub fn into_records(self) -> Vec<Record> {
        self.records
    }

    /// Adds a record at the end.
    pub fn push(&mut self, r: Record) {
        self.parsed.push(Parsed::of(&r));
        self.index
            .entry((r.kind, r.id.clone()))
            .or_insert(self.records.len());
        self.records.push(r);
    }

    /// Keeps only the records `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&Record) -> bool) {
        let (records, parsed) = std::mem::take(&mut self.records)
            .into_iter()
            .zip(std::mem::take(&mut self.parsed))
            .filter(|(r, _)| keep(r))
            .unzip();
        self.records = records;
        self.parsed = parsed;
        self.index = index_of(&self.records);
    }

    /// Records of one kind, in order.
    pub fn of(&self, kind: Kind) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(move |r| r.kind == kind)
    }

    /// One record.
    pub fn get(&self, kind: Kind, id: &str) -> Option<&Record> {
        self.index
            .get(&(kind, id.to_string()))
            .map(|&i| &self.records[i])
    }

    /// Records of one kind with their typed bodies, in order:
    /// `room.each::<Stance>()`.
    pub fn each<T: KindBody>(&self) -> impl Iterator<Item = Typed<'_, T>> {
        self.records
            .iter()
            .zip(&self.parsed)
            .filter(|(r, _)| r.kind == T::KIND)
            .filter_map(|(record, p)| {
                Some(Typed {
                    record,
                    body: T::pick(&p.body)?,
                    withdrawal: p.withdrawn.as_ref(),
                })
            })
    }

    /// One record with its typed body: `room.find::<Text>(id)`.
    pub fn find<T: KindBody>(&self, id: &str) -> Option<Typed<'_, T>> {
        let &i = self.index.get(&(T::KIND, id.to_string()))?;
        let (record, p) = (&self.records[i], &self.parsed[i]);
        match T::pick(&p.body) {
            Some(body) => Some(Typed {
                record,
                body,
                withdrawal: p.withdrawn.as_ref(),
            }),
            // Not a body of its kind (never, as bodies are typed by kind):
            // answer as the scan would.
            None => self.each::<T>().find(|t| t.record.id == id),
        }
    }

    /// The mediating party's id, if the room has one.
    pub fn mediator(&self) -> Option<&str> {
        self.each::<Party>()
            .find(|p| p.kind == PartyKind::Mediator)
            .map(|p| p.id())
    }

    /// Parties by id, for display names (the id where a party has no name).
    pub fn party_names(&self) -> HashMap<&str, &str> {
        self.each::<Party>()
            .map(|p| (p.id(), p.body.name.as_deref().unwrap_or(p.id())))
            .collect()
    }

    /// Versions of the single text in sequence order (unnumbered ones after,
    /// in record order).
    pub fn versions(&self) -> Vec<Typed<'_, Text>> {
        let mut texts: Vec<Typed<'_, Text>> = self.each::<Text>().collect();
        texts.sort_by_key(|t| t.version.unwrap_or(u64::MAX));
        texts
    }

    /// [`Room::versions`], as records.
    pub fn texts(&self) -> Vec<&Record> {
        self.versions().into_iter().map(|t| t.record).collect()
    }

    /// The stance matrix of one text: for each party of kind `party` (and the
    /// mediator, whose reported positions are kept like anyone's) and each
    /// point, the stances that bear on it.
    pub fn matrix(&self, text_id: &str) -> Option<Matrix> {
        self.matrix_within(text_id, usize::MAX).map(|(m, _)| m)
    }

    /// [`Room::matrix`] with at most `keep` stances in a cell: its latest
    /// ones, with the one that colours it (its latest direct stance) kept
    /// among them; and how many each cell leaves out, per row (the whole
    /// text, then each point). The cells left out are never built, so a
    /// text with tens of thousands of stances costs what a page shows.
    pub fn matrix_within(&self, text_id: &str, keep: usize) -> Option<(Matrix, Vec<Omitted>)> {
        let text = self.find::<Text>(text_id)?;
        let points = text.points.clone();
        let parties: Vec<(String, String)> = self
            .each::<Party>()
            .filter(|p| p.kind != PartyKind::Observer)
            .map(|p| {
                let name = p.name.as_deref().unwrap_or(p.id());
                (p.id().to_string(), name.to_string())
            })
            .collect();
        type Entry<'a> = (Typed<'a, Stance>, Option<&'a str>);
        // (stance, how it reaches the cell: `None` directly or on the whole
        // text, `Some(issue)` through an issue).
        let mut cells: BTreeMap<(usize, usize), Vec<Entry<'_>>> = BTreeMap::new();
        let mut text_level: BTreeMap<usize, Vec<Entry<'_>>> = BTreeMap::new();
        // A withdrawn stance stays in the ledger, marked, but no longer
        // speaks for its party.
        for stance in self.each::<Stance>().filter(|s| !s.is_withdrawn()) {
            let Some(row) = parties
                .iter()
                .position(|(id, _)| Some(id.as_str()) == stance.party_id.as_deref())
            else {
                continue;
            };
            let target = &stance.body.target;
            if let Some(point_id) = &target.point_id {
                if let Some(col) = points.iter().position(|p| &p.id == point_id) {
                    cells.entry((row, col)).or_default().push((stance, None));
                }
                continue;
            }
            let on_text = target.text_id.as_deref() == Some(text_id);
            if let Some(issue_id) = &target.issue_id {
                let mut hit = false;
                for (col, p) in points.iter().enumerate() {
                    if p.issue_ids.iter().any(|i| i == issue_id) {
                        cells
                            .entry((row, col))
                            .or_default()
                            .push((stance, Some(issue_id.as_str())));
                        hit = true;
                    }
                }
                if hit || !on_text {
                    continue;
                }
            }
            if on_text {
                text_level.entry(row).or_default().push((stance, None));
            }
        }
        // The kept entries of a cell as cells, and how many were left out.
        let build = |entries: Vec<Entry<'_>>, direct: bool| -> (Vec<Cell>, usize) {
            let len = entries.len();
            let mut chosen: Vec<usize> = (len.saturating_sub(keep)..len).collect();
            if direct {
                let lead = entries.iter().rposition(|(_, via)| via.is_none());
                if let (Some(lead), Some(first)) = (lead, chosen.first_mut()) {
                    if lead < *first {
                        *first = lead;
                    }
                }
            }
            let out = chosen
                .iter()
                .map(|&i| {
                    let (stance, via) = entries[i];
                    match (direct, via) {
                        (true, None) => Cell::of(stance).direct(),
                        (_, Some(issue)) => Cell::of(stance).via_issue(issue),
                        (false, None) => Cell::of(stance),
                    }
                })
                .collect();
            (out, len - chosen.len())
        };
        let mut omitted = Vec::with_capacity(parties.len());
        let rows = parties
            .into_iter()
            .enumerate()
            .map(|(r, (party_id, name))| {
                let (whole_text, whole) = build(text_level.remove(&r).unwrap_or_default(), false);
                let (cells, left): (Vec<Vec<Cell>>, Vec<usize>) = (0..points.len())
                    .map(|c| build(cells.remove(&(r, c)).unwrap_or_default(), true))
                    .unzip();
                omitted.push(Omitted {
                    whole_text: whole,
                    cells: left,
                });
                MatrixRow {
                    party_id,
                    name,
                    whole_text,
                    cells,
                }
            })
            .collect();
        Some((
            Matrix {
                text_id: text_id.to_string(),
                points,
                rows,
            },
            omitted,
        ))
    }

    /// Meetings and text versions in date order; undated items sort by their
    /// not-before date, and items with neither come last in record order.
    pub fn timeline(&self) -> Vec<TimelineItem> {
        let mut items: Vec<TimelineItem> = Vec::new();
        for m in self.each::<Meeting>() {
            items.push(TimelineItem {
                kind: Kind::Meeting,
                id: m.id().to_string(),
                title: m.title.as_deref().unwrap_or(m.id()).to_string(),
                date: m.date.clone(),
                not_before: m.not_before.clone(),
                detail: m.place.clone().unwrap_or_default(),
            });
        }
        for t in self.each::<Text>() {
            items.push(TimelineItem {
                kind: Kind::Text,
                id: t.id().to_string(),
                title: t.label.as_deref().unwrap_or(t.id()).to_string(),
                date: t.published_on(),
                not_before: t.reported_not_before.clone(),
                detail: if t.is_draft() {
                    "draft".into()
                } else {
                    t.kind.as_deref().unwrap_or("text").replace('_', " ")
                },
            });
        }
        items.sort_by_key(TimelineItem::sort_key);
        items
    }
}

/// The points of a text record (parsed from its body: a view over a room
/// reads them from [`Text::points`] instead).
pub fn points(text: &Record) -> Vec<PointView> {
    crate::body::points_of(&text.body)
}

/// One stance as a matrix cell shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// Stance record id.
    pub stance_id: String,
    /// The disposition.
    pub stance: String,
    /// The reliability tag of its provenance.
    pub reliability: String,
    /// Who reported it.
    pub source: String,
    /// When (or not before when).
    pub date: Option<String>,
    /// One-line summary.
    pub summary: String,
    /// Proposed wording, for amendments.
    pub amendment: Option<String>,
    /// How the stance reaches the point: `point`, `issue:<id>` or `text`.
    pub via: String,
}

impl Cell {
    /// The cell of a stance; a stance without a `stance` shows as
    /// `unknown`, one whose provenance gives no reliability as
    /// `unnamed_source`.
    pub(crate) fn of(stance: Typed<'_, Stance>) -> Cell {
        let prov = stance.provenance.as_ref();
        Cell {
            stance_id: stance.id().to_string(),
            stance: stance.stance.as_str().to_string(),
            reliability: prov
                .and_then(|p| p.reliability.as_ref())
                .map_or("unnamed_source", Term::as_str)
                .to_string(),
            source: prov.and_then(|p| p.source.clone()).unwrap_or_default(),
            date: stance
                .date
                .as_deref()
                .or(prov.and_then(|p| p.reported_on.as_deref()))
                .or(prov.and_then(|p| p.not_before.as_deref()))
                .map(str::to_string),
            summary: stance.summary.clone().unwrap_or_default(),
            amendment: stance.amendment.clone(),
            via: "text".into(),
        }
    }

    fn direct(mut self) -> Cell {
        self.via = "point".into();
        self
    }

    fn via_issue(mut self, issue: &str) -> Cell {
        self.via = format!("issue:{issue}");
        self
    }
}

/// Parties × points of one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    /// The text.
    pub text_id: String,
    /// Its points, in order.
    pub points: Vec<PointView>,
    /// One row per party (observers excluded).
    pub rows: Vec<MatrixRow>,
}

/// How many stances [`Room::matrix_within`] left out of one party's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Omitted {
    /// Of the whole-text cell.
    pub whole_text: usize,
    /// Of each point's cell, in the matrix's point order.
    pub cells: Vec<usize>,
}

/// One party's row of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixRow {
    /// Party id.
    pub party_id: String,
    /// Display name.
    pub name: String,
    /// Stances on the text as a whole.
    pub whole_text: Vec<Cell>,
    /// Per point (same order as the matrix's points): direct stances first,
    /// then those that reach the point through one of its issues.
    pub cells: Vec<Vec<Cell>>,
}

/// An entry of a room's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineItem {
    /// Meeting or text.
    pub kind: Kind,
    /// Record id.
    pub id: String,
    /// Title or label.
    pub title: String,
    /// Known date (ISO).
    pub date: Option<String>,
    /// Earliest possible date when the date is unknown.
    pub not_before: Option<String>,
    /// Place, or the text's kind or status.
    pub detail: String,
}

impl TimelineItem {
    fn sort_key(&self) -> (u8, String) {
        match (&self.date, &self.not_before) {
            (Some(d), _) => (0, d.clone()),
            (None, Some(d)) => (0, d.clone()),
            (None, None) => (1, String::new()),
        }
    }
}

/// Provenance as a write gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceInput {
    /// Speaker or outlet.
    pub source: String,
    /// Reliability tag.
    pub reliability: Reliability,
    /// Date of the statement (ISO), if known.
    #[serde(default)]
    pub reported_on: Option<String>,
    /// Earliest possible date, when the date is unknown.
    #[serde(default)]
    pub not_before: Option<String>,
    /// Verbatim quote.
    #[serde(default)]
    pub quote: Option<String>,
}

/// What the stance is about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// An issue.
    #[serde(default)]
    pub issue_id: Option<String>,
    /// A text version.
    #[serde(default)]
    pub text_id: Option<String>,
    /// A point of that text.
    #[serde(default)]
    pub point_id: Option<String>,
    /// An amendment (see [`crate::amendment`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amendment_id: Option<String>,
}

/// A stance as recorded through the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StanceInput {
    /// Whose stance.
    pub party_id: String,
    /// About what.
    pub target: Target,
    /// The disposition.
    pub stance: StanceKind,
    /// Proposed wording (required for `proposes_amendment`).
    #[serde(default)]
    pub amendment: Option<String>,
    /// One-line summary or rationale.
    pub summary: String,
    /// Options favoured (ids of the target issue's options).
    #[serde(default)]
    pub preferred_option_ids: Vec<String>,
    /// Options ruled out.
    #[serde(default)]
    pub ruled_out_option_ids: Vec<String>,
    /// Date the stance was expressed.
    #[serde(default)]
    pub date: Option<String>,
    /// Meeting where it was expressed.
    #[serde(default)]
    pub meeting_id: Option<String>,
    /// Where it comes from.
    pub provenance: ProvenanceInput,
    /// Who may see it (defaults to the party and the mediator).
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// The language edition the stance quotes (a BCP 47 tag; the target
    /// version must have that edition).
    #[serde(default)]
    pub language: Option<String>,
}

pub(crate) fn check_date(field: &str, d: &Option<String>) -> Result<(), FieldError> {
    if let Some(d) = d {
        let b = d.as_bytes();
        let ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !ok {
            return Err(FieldError::new(field, "expected a date as YYYY-MM-DD"));
        }
    }
    Ok(())
}

pub(crate) fn non_empty(field: &str, s: &str) -> Result<(), FieldError> {
    if s.trim().is_empty() {
        Err(FieldError::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// Checks that a visibility names only parties of the room.
pub fn check_visibility(room: &Room, field: &str, v: &Visibility) -> Result<(), FieldError> {
    for p in v.named_parties() {
        if room.get(Kind::Party, p).is_none() {
            return Err(FieldError::new(field, format!("unknown party {p:?}")));
        }
    }
    Ok(())
}

/// Refuses a visibility under which someone could see the record being
/// written but not `named`, a record it refers to (a closed meeting, a
/// draft, a version published to some parties only): the reference would
/// carry `named`'s id, and what it implies about the talks, to them.
pub fn check_reference(
    room: &Room,
    field: &str,
    v: &Visibility,
    named: &Record,
) -> Result<(), FieldError> {
    let outsider = room.of(Kind::Party).find(|p| {
        let viewer = match PartyKind::of(p) {
            PartyKind::Mediator => Viewer::Mediator {
                party: p.id.clone(),
            },
            _ => Viewer::Member {
                party: p.id.clone(),
            },
        };
        viewer.can_see(v) && !viewer.can_see(&named.visibility)
    });
    // Said in the words of the page the writer sees: party names, and the
    // record's label or title before its id.
    let names = room.party_names();
    let name = |id: &str| names.get(id).copied().unwrap_or(id).to_string();
    let who_sees = match &named.visibility {
        Visibility::Room => "the whole room".to_string(),
        Visibility::Mediator => "the mediator".to_string(),
        Visibility::Party { party } => format!("{} only", name(party)),
        Visibility::PartyAndMediator { party } => format!("{} and the mediator", name(party)),
        Visibility::Parties { parties } => {
            let list: Vec<String> = parties.iter().map(|p| name(p)).collect();
            format!("{} and the mediator", list.join(", "))
        }
    };
    let what = match named.str("label").or_else(|| named.str("title")) {
        Some(l) => format!("{} {l:?} ({})", named.kind.as_str(), named.id),
        None => format!("{} {:?}", named.kind.as_str(), named.id),
    };
    match outsider {
        Some(p) => Err(FieldError::new(
            field,
            format!(
                "{} would see this record but not the {what} it refers to, which only {who_sees} see; choose a narrower audience",
                name(&p.id),
            ),
        )),
        None => Ok(()),
    }
}

impl StanceInput {
    /// Validates against the room and builds the record body (in the case
    /// format's shape, so exports read like the case files they came from).
    pub fn into_record(self, room: &Room, id: String) -> Result<Record, FieldError> {
        if room.get(Kind::Party, &self.party_id).is_none() {
            return Err(FieldError::new(
                "party_id",
                format!("unknown party {:?}", self.party_id),
            ));
        }
        let t = &self.target;
        if t.issue_id.is_none()
            && t.text_id.is_none()
            && t.point_id.is_none()
            && t.amendment_id.is_none()
        {
            return Err(FieldError::new(
                "target",
                "name an issue_id, a text_id, a point_id or an amendment_id",
            ));
        }
        let amendment = match &t.amendment_id {
            Some(id) => Some(room.get(Kind::Amendment, id).ok_or_else(|| {
                FieldError::new("target.amendment_id", format!("unknown amendment {id:?}"))
            })?),
            None => None,
        };
        if let Some(i) = &t.issue_id {
            match room.find::<Issue>(i) {
                None => {
                    return Err(FieldError::new(
                        "target.issue_id",
                        format!("unknown issue {i:?}"),
                    ))
                }
                Some(issue) if issue.retired => {
                    return Err(FieldError::new(
                        "target.issue_id",
                        format!("issue {i:?} is retired"),
                    ))
                }
                Some(_) => {}
            }
        }
        let text = match &t.text_id {
            Some(tid) => Some(room.find::<Text>(tid).ok_or_else(|| {
                FieldError::new("target.text_id", format!("unknown text {tid:?}"))
            })?),
            None => None,
        };
        let holds = |t: &Text, pid: &str| t.points.iter().any(|p| p.id == pid);
        if let Some(pid) = &t.point_id {
            let holder = match text {
                Some(text) => holds(&text, pid).then_some(()),
                None => room.each::<Text>().any(|t| holds(&t, pid)).then_some(()),
            };
            if holder.is_none() {
                return Err(FieldError::new(
                    "target.point_id",
                    format!("unknown point {pid:?}"),
                ));
            }
        }
        non_empty("summary", &self.summary)?;
        match (&self.stance, &self.amendment) {
            (StanceKind::ProposesAmendment, None) => {
                return Err(FieldError::new(
                    "amendment",
                    "the proposed wording is required",
                ))
            }
            (StanceKind::ProposesAmendment, Some(a)) => non_empty("amendment", a)?,
            _ => {}
        }
        if let Some(language) = &self.language {
            if !crate::editions::valid_language_tag(language) {
                return Err(FieldError::new(
                    "language",
                    format!("{language:?} is not a BCP 47 language tag (RFC 5646)"),
                ));
            }
            let quoted = t.text_id.as_deref().and_then(|id| room.find::<Text>(id));
            if let Some(text) = quoted {
                let has = crate::editions::editions(&text, text.record)
                    .iter()
                    .any(|e| &e.language == language);
                if !has {
                    return Err(FieldError::new(
                        "language",
                        format!("the version has no {language:?} edition"),
                    ));
                }
            }
        }
        for (field, ids) in [
            ("preferred_option_ids", &self.preferred_option_ids),
            ("ruled_out_option_ids", &self.ruled_out_option_ids),
        ] {
            for o in ids {
                let ok = t
                    .issue_id
                    .as_ref()
                    .and_then(|i| room.find::<Issue>(i))
                    .is_some_and(|issue| issue.is_live_option(o));
                if !ok {
                    return Err(FieldError::new(
                        field,
                        format!("{o:?} is not a (live) option of the target issue"),
                    ));
                }
            }
        }
        check_date("date", &self.date)?;
        check_date("provenance.reported_on", &self.provenance.reported_on)?;
        check_date("provenance.not_before", &self.provenance.not_before)?;
        non_empty("provenance.source", &self.provenance.source)?;
        if let Some(q) = &self.provenance.quote {
            non_empty("provenance.quote", q)?;
        }
        if let Some(m) = &self.meeting_id {
            if room.get(Kind::Meeting, m).is_none() {
                return Err(FieldError::new(
                    "meeting_id",
                    format!("unknown meeting {m:?}"),
                ));
            }
        }
        let visibility = self
            .visibility
            .clone()
            .unwrap_or(Visibility::PartyAndMediator {
                party: self.party_id.clone(),
            });
        check_visibility(room, "visibility", &visibility)?;
        let point_text = t
            .point_id
            .as_ref()
            .and_then(|pid| room.each::<Text>().find(|t| holds(t, pid)));
        let named = [
            self.meeting_id
                .as_ref()
                .and_then(|m| room.get(Kind::Meeting, m)),
            text.map(|t| t.record),
            point_text.map(|t| t.record),
            amendment,
        ];
        for r in named.into_iter().flatten() {
            check_reference(room, "visibility", &visibility, r)?;
        }
        let p = &self.provenance;
        let when = match (&p.reported_on, &p.not_before) {
            (Some(d), _) => format!(" on {d}"),
            (None, Some(d)) => format!(", not before {d}"),
            _ => ", date not given".into(),
        };
        let body = serde_json::json!({
            "id": id,
            "party_id": self.party_id,
            "delegate_ids": [],
            "target": target_json(t),
            "stance": self.stance.as_str(),
            "amendment": self.amendment,
            "preferred_option_ids": self.preferred_option_ids,
            "ruled_out_option_ids": self.ruled_out_option_ids,
            "summary": self.summary,
            "reasons_reported": [],
            "date": self.date,
            "date_note": null,
            "meeting_id": self.meeting_id,
            "provenance": {
                "source": p.source,
                "reliability": p.reliability.as_str(),
                "speaker_party_id": null,
                "speaker_delegate_id": null,
                "reported_on": p.reported_on,
                "not_before": p.not_before,
                "date_note": null,
                "via": "workspace",
                "quote": p.quote,
                "attribution": format!("Reported by {}{when}, recorded in the workspace.", p.source),
            },
            "note": null,
        });
        let mut body = into_object(body);
        if let Some(language) = self.language {
            body.insert("language".into(), Value::String(language));
        }
        Ok(Record {
            kind: Kind::Stance,
            id,
            visibility,
            body,
        })
    }
}

/// A stance's target as stored: the case format's three fields, and the
/// amendment only when there is one (so stances written before amendments
/// existed keep their shape).
fn target_json(t: &Target) -> Value {
    let mut v =
        serde_json::json!({"issue_id": t.issue_id, "text_id": t.text_id, "point_id": t.point_id});
    if let Some(a) = &t.amendment_id {
        v["amendment_id"] = Value::String(a.clone());
    }
    v
}

pub(crate) fn into_object(v: Value) -> Body {
    match v {
        Value::Object(m) => m,
        _ => Body::new(),
    }
}

/// A point as a draft gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    /// Keeps the point's identity across versions (the part after the text
    /// prefix); a new key makes a new point.
    pub key: String,
    /// Title.
    pub title: String,
    /// Wording.
    #[serde(default)]
    pub body: String,
    /// Related issues.
    #[serde(default)]
    pub issue_ids: Vec<String>,
    /// Keys of the points of the revised version this point was made from,
    /// when it is not simply the same point carried over: two or more keys
    /// for a merge, the same single key on several points for a split. The
    /// redline reads them to report merges and splits rather than a
    /// deletion and an insertion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<String>,
}

/// A draft version of the text, as the mediator writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftInput {
    /// Label ("Revised plan, v3").
    pub label: String,
    /// The version it revises.
    #[serde(default)]
    pub derived_from_text_id: Option<String>,
    /// Points in order; numbers are given by position. May be empty (or
    /// left out): a new draft starts with a label only and is filled point
    /// by point.
    #[serde(default)]
    pub points: Vec<PointInput>,
}

impl DraftInput {
    /// Builds a draft text record (mediator-only until published).
    pub fn into_record(self, room: &Room, id: String, prefix: &str) -> Result<Record, FieldError> {
        non_empty("label", &self.label)?;
        if let Some(d) = &self.derived_from_text_id {
            if room.get(Kind::Text, d).is_none() {
                return Err(FieldError::new(
                    "derived_from_text_id",
                    format!("unknown text {d:?}"),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mut pts = Vec::new();
        for (i, p) in self.points.iter().enumerate() {
            let f = |s: &str| format!("points[{i}].{s}");
            let key_ok = !p.key.is_empty()
                && p.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !key_ok {
                return Err(FieldError::new(
                    f("key"),
                    "expected lowercase letters, digits or _",
                ));
            }
            if !seen.insert(p.key.as_str()) {
                return Err(FieldError::new(
                    f("key"),
                    format!("duplicate key {:?}", p.key),
                ));
            }
            non_empty(&f("title"), &p.title)?;
            for issue in &p.issue_ids {
                match room.find::<Issue>(issue) {
                    None => {
                        return Err(FieldError::new(
                            f("issue_ids"),
                            format!("unknown issue {issue:?}"),
                        ))
                    }
                    Some(i) if i.retired => {
                        return Err(FieldError::new(
                            f("issue_ids"),
                            format!("issue {issue:?} is retired"),
                        ))
                    }
                    Some(_) => {}
                }
            }
            pts.push(serde_json::json!({
                "id": format!("{prefix}.{}", p.key),
                "number": i + 1,
                "content_known": !p.body.is_empty(),
                "topic_known": true,
                "topic": p.title,
                "text": if p.body.is_empty() { Value::Null } else { Value::String(crate::drafting::normalize_breaks(&p.body)) },
                "summary": p.title,
                "issue_ids": p.issue_ids,
            }));
            if !p.derived_from.is_empty() {
                let point = pts.last_mut().and_then(Value::as_object_mut);
                if let Some(point) = point {
                    point.insert("derived_from".into(), serde_json::json!(p.derived_from));
                }
            }
        }
        // The room's number, counting every version (drafts included); no
        // one but the mediator is shown it (see `crate::versions`).
        let version = room
            .each::<Text>()
            .filter_map(|t| t.version)
            .max()
            .unwrap_or(0)
            + 1;
        let body = serde_json::json!({
            "id": id,
            "label": self.label,
            "kind": "plan_version",
            "version": version,
            "status": "draft",
            "derived_from_text_id": self.derived_from_text_id,
            // Points drafted here keep their key across versions, so the
            // redline matches them by identity; texts without this flag
            // (imports) are aligned by content.
            "point_identity": true,
            "point_count": pts.len(),
            "points": pts,
            "publications": [],
        });
        Ok(Record {
            kind: Kind::Text,
            id,
            visibility: Visibility::Mediator,
            body: into_object(body),
        })
    }
}

/// Publishing a draft: the parties it goes to now. A version once published
/// never changes; publishing to more parties later only widens its audience.
pub fn publish(text: &mut Record, to: &[String], at: &str, room: &Room) -> Result<(), FieldError> {
    if to.is_empty() {
        return Err(FieldError::new("parties", "name at least one party"));
    }
    for p in to {
        if room.get(Kind::Party, p).is_none() {
            return Err(FieldError::new("parties", format!("unknown party {p:?}")));
        }
    }
    let mut audience: Vec<String> = match &text.visibility {
        Visibility::Parties { parties } => parties.clone(),
        Visibility::Room => {
            return Err(FieldError::new(
                "text",
                "already published to the whole room",
            ))
        }
        _ => Vec::new(),
    };
    let pubs = text
        .body
        .entry("publications")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !pubs.is_array() {
        *pubs = Value::Array(Vec::new());
    }
    let pubs = pubs.as_array_mut().expect("made an array above");
    for p in to {
        if !audience.contains(p) {
            audience.push(p.clone());
            pubs.push(serde_json::json!({"party_id": p, "at": at}));
        }
    }
    text.body
        .insert("status".into(), Value::String("published".into()));
    text.visibility = Visibility::Parties { parties: audience };
    Ok(())
}

/// True for a record its author has withdrawn: kept, with its history,
/// and marked, never erased.
pub fn is_withdrawn(r: &Record) -> bool {
    crate::body::Withdrawal::of(&r.body).is_some()
}

/// Marks a record withdrawn (`"withdrawn": {"at", "by", "reason"}` in its
/// body); everything else it says stays as it was.
pub fn withdraw(r: &mut Record, at: &str, by: &str, reason: &str) -> Result<(), FieldError> {
    non_empty("reason", reason)?;
    if is_withdrawn(r) {
        return Err(FieldError::new(
            "withdrawn",
            "the record is already withdrawn",
        ));
    }
    r.body.insert(
        "withdrawn".into(),
        serde_json::json!({"at": at, "by": by, "reason": reason}),
    );
    Ok(())
}

/// True for a text that can still be edited.
pub fn is_draft(text: &Record) -> bool {
    Term::<crate::body::TextStatus>::read(text.body.get("status"))
        .is_some_and(|s| s.is(crate::body::TextStatus::Draft))
}

/// A meeting as the mediator records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    /// Title.
    pub title: String,
    /// Date (ISO), if known.
    #[serde(default)]
    pub date: Option<String>,
    /// Earliest possible date.
    #[serde(default)]
    pub not_before: Option<String>,
    /// Place.
    pub place: String,
    /// Participating parties.
    pub participants: Vec<String>,
    /// ISO 8601 duration (`PT5H`).
    #[serde(default)]
    pub duration: Option<String>,
    /// `open`, `closed`, `closed_with_nondisclosure` or `not_reported`.
    pub confidentiality: String,
    /// Reported outcome, one line.
    #[serde(default)]
    pub outcome: Option<String>,
}

impl MeetingInput {
    /// Builds the meeting record; closed meetings reach only their participants
    /// and the mediator.
    pub fn into_record(self, room: &Room, id: String) -> Result<Record, FieldError> {
        non_empty("title", &self.title)?;
        non_empty("place", &self.place)?;
        check_date("date", &self.date)?;
        check_date("not_before", &self.not_before)?;
        if self.participants.is_empty() {
            return Err(FieldError::new("participants", "name at least one party"));
        }
        for p in &self.participants {
            if room.get(Kind::Party, p).is_none() {
                return Err(FieldError::new(
                    "participants",
                    format!("unknown party {p:?}"),
                ));
            }
        }
        if Confidentiality::from_spelling(&self.confidentiality).is_none() {
            return Err(FieldError::new(
                "confidentiality",
                "expected open, closed, closed_with_nondisclosure or not_reported",
            ));
        }
        let visibility = meeting_visibility(&self.confidentiality, &self.participants);
        let body = serde_json::json!({
            "id": id,
            "title": self.title,
            "kind": "consultation",
            "status": "held",
            "date": self.date,
            "not_before": self.not_before,
            "date_note": null,
            "place": self.place,
            "participants": self.participants.iter().map(|p| serde_json::json!({"party_id": p, "delegate_ids": [], "note": null})).collect::<Vec<_>>(),
            "duration": self.duration,
            "confidentiality": self.confidentiality,
            "confidentiality_note": null,
            "texts_discussed": [],
            "texts_note": null,
            "issues_discussed": [],
            "reported_outcome": self.outcome.map(|o| vec![serde_json::json!({"summary": o})]).unwrap_or_default(),
        });
        Ok(Record {
            kind: Kind::Meeting,
            id,
            visibility,
            body: into_object(body),
        })
    }
}

/// The visibility a meeting's confidentiality implies.
pub fn meeting_visibility(confidentiality: &str, participants: &[String]) -> Visibility {
    if Confidentiality::from_spelling(confidentiality).is_some_and(Confidentiality::is_closed) {
        Visibility::Parties {
            parties: participants.to_vec(),
        }
    } else {
        Visibility::Room
    }
}

/// An additional document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// Title.
    pub title: String,
    /// Its text (Markdown or plain).
    pub content: String,
    /// The version it is attached to.
    #[serde(default)]
    pub text_id: Option<String>,
    /// The meeting it is attached to.
    #[serde(default)]
    pub meeting_id: Option<String>,
    /// Who may see it (defaults to the whole room for the mediator, the
    /// party and the mediator for a party).
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// A note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// The note.
    pub text: String,
    /// Who may see it (defaults to the author's party only).
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

impl DocumentInput {
    /// Builds the document record.
    pub fn into_record(
        self,
        room: &Room,
        id: String,
        default: Visibility,
    ) -> Result<Record, FieldError> {
        non_empty("title", &self.title)?;
        if let Some(t) = &self.text_id {
            if room.get(Kind::Text, t).is_none() {
                return Err(FieldError::new("text_id", format!("unknown text {t:?}")));
            }
        }
        if let Some(m) = &self.meeting_id {
            if room.get(Kind::Meeting, m).is_none() {
                return Err(FieldError::new(
                    "meeting_id",
                    format!("unknown meeting {m:?}"),
                ));
            }
        }
        let visibility = self.visibility.unwrap_or(default);
        check_visibility(room, "visibility", &visibility)?;
        let named = [
            self.text_id.as_ref().and_then(|t| room.get(Kind::Text, t)),
            self.meeting_id
                .as_ref()
                .and_then(|m| room.get(Kind::Meeting, m)),
        ];
        for r in named.into_iter().flatten() {
            check_reference(room, "visibility", &visibility, r)?;
        }
        let body = serde_json::json!({
            "id": id, "title": self.title, "content": self.content,
            "text_id": self.text_id, "meeting_id": self.meeting_id,
        });
        Ok(Record {
            kind: Kind::Document,
            id,
            visibility,
            body: into_object(body),
        })
    }
}

impl NoteInput {
    /// Builds the note record.
    pub fn into_record(
        self,
        room: &Room,
        id: String,
        author: &str,
        default: Visibility,
    ) -> Result<Record, FieldError> {
        non_empty("text", &self.text)?;
        let visibility = self.visibility.unwrap_or(default);
        check_visibility(room, "visibility", &visibility)?;
        let body = serde_json::json!({"id": id, "text": self.text, "author": author});
        Ok(Record {
            kind: Kind::Note,
            id,
            visibility,
            body: into_object(body),
        })
    }
}
