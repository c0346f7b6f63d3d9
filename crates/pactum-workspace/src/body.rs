//! Typed record bodies, parsed once when a [`Room`](crate::model::Room) is
//! built.
//!
//! A record keeps its body as the JSON object it came in as (see
//! [`Record`]): case files carry far more than the workspace interprets, and
//! an export must give all of it back byte for byte. That raw body stays the
//! source of truth. What the workspace *reads* from it (titles, a stance's
//! target and provenance, a meeting's participants, a text's points, ...) is
//! parsed here, once per record, into the structs below, so that views and
//! handlers match on enums and read fields instead of looking strings up by
//! name at every use.
//!
//! Parsing is tolerant, because case files are loose and written by hand:
//! it never fails and never panics. The rule for every field:
//!
//! - a missing field, or one of the wrong JSON type, reads as absent
//!   (`None`, an empty list, `false`). List entries of the wrong type are
//!   skipped, except in the lists pages have always shown entry by entry (a
//!   meeting's participants and reported outcome, a party's delegates, a
//!   text's reported facts), where such an entry reads as one with nothing
//!   known. Where the workspace has always shown a default for an absent
//!   value (a stance without a `stance` is `unknown`), the field's doc says
//!   so and the parser applies it; other defaults (a title falling back to
//!   the record's id) stay with the views that show them.
//! - a closed vocabulary (stance kinds, reliability tags, confidentiality,
//!   text status) reads as a [`Term`]: [`Term::Known`] for a spelling of
//!   the vocabulary, [`Term::Other`] keeping any other spelling as written,
//!   so a page still shows what the case says while code that decides
//!   something matches on the enum.
//!
//! Writes never go through these types: they change the raw body, and the
//! room is built again from the records the store returns.

use crate::model::{Kind, Record};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

type Object = Map<String, Value>;

fn text(o: &Object, field: &str) -> Option<String> {
    o.get(field).and_then(Value::as_str).map(str::to_string)
}

fn texts(o: &Object, field: &str) -> Vec<String> {
    o.get(field)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn flag(o: &Object, field: &str) -> bool {
    o.get(field).and_then(Value::as_bool) == Some(true)
}

fn objects<'a>(o: &'a Object, field: &str) -> impl Iterator<Item = &'a Object> {
    o.get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn object<'a>(o: &'a Object, field: &str) -> Option<&'a Object> {
    o.get(field).and_then(Value::as_object)
}

// ------------------------------------------------------------ vocabularies

/// A closed vocabulary of the case format: a fixed set of spellings.
pub trait Vocabulary: Copy + Sized + 'static {
    /// Every value.
    const ALL: &'static [Self];

    /// The case-file spelling.
    fn spelling(self) -> &'static str;

    /// The value a spelling stands for.
    fn from_spelling(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.spelling() == s)
    }
}

/// A value of a closed vocabulary as a record spells it. Case files are not
/// validated against the vocabulary on import, so a spelling outside it is
/// kept as written rather than guessed at: pages show it, and code that
/// decides something treats it as the field's documented fallback.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term<T> {
    /// A spelling of the vocabulary.
    Known(T),
    /// Any other spelling, as written.
    Other(String),
}

impl<T: Vocabulary> Term<T> {
    /// Reads a field: absent (`None`) when missing or not a string.
    pub fn read(v: Option<&Value>) -> Option<Term<T>> {
        v.and_then(Value::as_str).map(Term::parse)
    }

    /// Reads a spelling.
    pub fn parse(s: &str) -> Term<T> {
        T::from_spelling(s).map_or_else(|| Term::Other(s.to_string()), Term::Known)
    }

    /// The value, when the spelling is one of the vocabulary.
    pub fn known(&self) -> Option<T> {
        match self {
            Term::Known(t) => Some(*t),
            Term::Other(_) => None,
        }
    }

    /// The spelling, as the record has it.
    pub fn as_str(&self) -> &str {
        match self {
            Term::Known(t) => t.spelling(),
            Term::Other(s) => s,
        }
    }
}

impl<T: PartialEq> Term<T> {
    /// True when the record spells `t`.
    pub fn is(&self, t: T) -> bool {
        matches!(self, Term::Known(k) if *k == t)
    }
}

/// A party's role in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// Has a stake and a say.
    Party,
    /// Holds the text and the process.
    Mediator,
    /// Follows the talks.
    Observer,
}

impl Vocabulary for PartyKind {
    const ALL: &'static [PartyKind] = &[PartyKind::Party, PartyKind::Mediator, PartyKind::Observer];

    fn spelling(self) -> &'static str {
        match self {
            PartyKind::Party => "party",
            PartyKind::Mediator => "mediator",
            PartyKind::Observer => "observer",
        }
    }
}

impl PartyKind {
    /// Reads a party record's `kind`; unknown values are treated as observers
    /// so that nothing unknown gains a mediator's rights.
    pub fn of(party: &Record) -> PartyKind {
        PartyKind::read(party.body.get("kind"))
    }

    /// Reads a `kind` field: observer unless it says `party` or `mediator`.
    pub fn read(v: Option<&Value>) -> PartyKind {
        match Term::<PartyKind>::read(v).and_then(|t| t.known()) {
            Some(PartyKind::Mediator) => PartyKind::Mediator,
            Some(PartyKind::Party) => PartyKind::Party,
            _ => PartyKind::Observer,
        }
    }
}

/// A party's disposition toward a point, an issue or a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StanceKind {
    /// Accepts.
    Accepts,
    /// Rejects.
    Rejects,
    /// Accepts in part, in principle, or subject to conditions.
    Conditional,
    /// Proposes an amendment (its wording in the stance's `amendment`).
    ProposesAmendment,
    /// Discussed, not disclosed.
    Unknown,
}

impl Vocabulary for StanceKind {
    const ALL: &'static [StanceKind] = &StanceKind::ALL;

    fn spelling(self) -> &'static str {
        self.as_str()
    }
}

impl StanceKind {
    /// Every stance kind, for forms and legends.
    pub const ALL: [StanceKind; 5] = [
        StanceKind::Accepts,
        StanceKind::Rejects,
        StanceKind::Conditional,
        StanceKind::ProposesAmendment,
        StanceKind::Unknown,
    ];

    /// The case-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StanceKind::Accepts => "accepts",
            StanceKind::Rejects => "rejects",
            StanceKind::Conditional => "conditional",
            StanceKind::ProposesAmendment => "proposes_amendment",
            StanceKind::Unknown => "unknown",
        }
    }

    /// Parses the case-file spelling.
    pub fn parse(s: &str) -> Option<StanceKind> {
        StanceKind::from_spelling(s)
    }

    /// The mark a stance matrix cell shows beside its colour, so that the
    /// matrix does not rely on colour; one table, so that the screen and the
    /// printed briefing cannot disagree.
    pub fn glyph(self) -> &'static str {
        match self {
            StanceKind::Accepts => "✓",
            StanceKind::Rejects => "✕",
            StanceKind::Conditional => "◐",
            StanceKind::ProposesAmendment => "✎",
            StanceKind::Unknown => "?",
        }
    }
}

/// How far a report can be trusted: the case schema's tags, plus what a
/// party records about itself through its own delegation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reliability {
    /// Recorded by the party's own delegation in the workspace.
    OwnDelegation,
    /// Statement attributed by name to an official of a party.
    OfficialOnRecord,
    /// Report attributed to a named outlet.
    NamedOutletReport,
    /// Unnamed officials or sources.
    UnnamedSource,
    /// A report publicly denied by a party it concerns.
    DeniedByParty,
    /// An unattributed assertion by a source's author.
    AuthorCommentary,
}

impl Vocabulary for Reliability {
    const ALL: &'static [Reliability] = &Reliability::ALL;

    fn spelling(self) -> &'static str {
        self.as_str()
    }
}

impl Reliability {
    /// Every tag, most reliable first.
    pub const ALL: [Reliability; 6] = [
        Reliability::OwnDelegation,
        Reliability::OfficialOnRecord,
        Reliability::NamedOutletReport,
        Reliability::UnnamedSource,
        Reliability::DeniedByParty,
        Reliability::AuthorCommentary,
    ];

    /// The case-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Reliability::OwnDelegation => "own_delegation",
            Reliability::OfficialOnRecord => "official_on_record",
            Reliability::NamedOutletReport => "named_outlet_report",
            Reliability::UnnamedSource => "unnamed_source",
            Reliability::DeniedByParty => "denied_by_party",
            Reliability::AuthorCommentary => "author_commentary",
        }
    }

    /// Parses the case-file spelling.
    pub fn parse(s: &str) -> Option<Reliability> {
        Reliability::from_spelling(s)
    }
}

/// Who may learn what happened at a meeting, as the case reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidentiality {
    /// Reported openly.
    Open,
    /// Closed to outsiders.
    Closed,
    /// Closed, and the participants agreed not to disclose it.
    ClosedWithNondisclosure,
    /// The reports do not say.
    NotReported,
}

impl Vocabulary for Confidentiality {
    const ALL: &'static [Confidentiality] = &[
        Confidentiality::Open,
        Confidentiality::Closed,
        Confidentiality::ClosedWithNondisclosure,
        Confidentiality::NotReported,
    ];

    fn spelling(self) -> &'static str {
        match self {
            Confidentiality::Open => "open",
            Confidentiality::Closed => "closed",
            Confidentiality::ClosedWithNondisclosure => "closed_with_nondisclosure",
            Confidentiality::NotReported => "not_reported",
        }
    }
}

impl Confidentiality {
    /// True for the values that keep a meeting to its participants (and the
    /// mediator); any other spelling, or none, leaves it to the room.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Confidentiality::Closed | Confidentiality::ClosedWithNondisclosure
        )
    }
}

/// Where a version of the text stands in the workspace. Imported versions
/// usually carry no status: they are texts "as reported".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextStatus {
    /// Still being written by the mediator; only a draft can be edited.
    Draft,
    /// Handed to parties; never changes again.
    Published,
}

impl Vocabulary for TextStatus {
    const ALL: &'static [TextStatus] = &[TextStatus::Draft, TextStatus::Published];

    fn spelling(self) -> &'static str {
        match self {
            TextStatus::Draft => "draft",
            TextStatus::Published => "published",
        }
    }
}

/// What an amendment does to the point it targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentAction {
    /// New wording for the point.
    Replace,
    /// A new point after it.
    InsertAfter,
    /// The point goes.
    Delete,
}

impl Vocabulary for AmendmentAction {
    const ALL: &'static [AmendmentAction] = &[
        AmendmentAction::Replace,
        AmendmentAction::InsertAfter,
        AmendmentAction::Delete,
    ];

    fn spelling(self) -> &'static str {
        match self {
            AmendmentAction::Replace => "replace",
            AmendmentAction::InsertAfter => "insert_after",
            AmendmentAction::Delete => "delete",
        }
    }
}

/// Where an amendment stands: tabled, then considered by the mediator, and
/// finally incorporated into a version, rejected, withdrawn by its party or
/// superseded by another amendment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentStatus {
    /// Tabled, not yet taken up.
    Tabled,
    /// The mediator is considering it.
    UnderConsideration,
    /// Applied to a draft (`incorporated_in_text_id`).
    Incorporated,
    /// Rejected by the mediator.
    Rejected,
    /// Withdrawn by the party that tabled it.
    Withdrawn,
    /// Replaced by another amendment (`superseded_by_amendment_id`).
    Superseded,
}

impl Vocabulary for AmendmentStatus {
    const ALL: &'static [AmendmentStatus] = &[
        AmendmentStatus::Tabled,
        AmendmentStatus::UnderConsideration,
        AmendmentStatus::Incorporated,
        AmendmentStatus::Rejected,
        AmendmentStatus::Withdrawn,
        AmendmentStatus::Superseded,
    ];

    fn spelling(self) -> &'static str {
        match self {
            AmendmentStatus::Tabled => "tabled",
            AmendmentStatus::UnderConsideration => "under_consideration",
            AmendmentStatus::Incorporated => "incorporated",
            AmendmentStatus::Rejected => "rejected",
            AmendmentStatus::Withdrawn => "withdrawn",
            AmendmentStatus::Superseded => "superseded",
        }
    }
}

impl AmendmentStatus {
    /// True while the amendment can still be acted on (considered,
    /// incorporated, withdrawn).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            AmendmentStatus::Tabled | AmendmentStatus::UnderConsideration
        )
    }
}

// ------------------------------------------------------------------ bodies

/// The withdrawn marker (`"withdrawn": {"at", "by", "reason"}`): a record
/// its author withdrew, kept and marked, never erased. Any non-null
/// `withdrawn` value counts as the marker (a withdrawn preference model
/// writes `true`); its parts are read where they are strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withdrawal {
    /// When.
    pub at: Option<String>,
    /// By whom.
    pub by: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

impl Withdrawal {
    /// Reads the marker of a body; `None` when there is none.
    pub fn of(body: &Object) -> Option<Withdrawal> {
        let w = body.get("withdrawn").filter(|w| !w.is_null())?;
        let part = |f: &str| w.get(f).and_then(Value::as_str).map(str::to_string);
        Some(Withdrawal {
            at: part("at"),
            by: part("by"),
            reason: part("reason"),
        })
    }
}

/// The case's metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// Title.
    pub title: Option<String>,
    /// The case's disclaimer, shown on every page and briefing.
    pub disclaimer: Option<String>,
    /// What the room is about.
    pub description: Option<String>,
}

/// A party, mediator or observer.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    /// Display name.
    pub name: Option<String>,
    /// Role; see [`PartyKind::read`] for the fallback.
    pub kind: PartyKind,
    /// Description.
    pub description: Option<String>,
    /// Its delegates, as the case lists them.
    pub delegates: Vec<Delegate>,
}

impl Party {
    /// A delegate's name: the id where the party does not list the
    /// delegate or gives no name.
    pub fn delegate_name<'a>(&'a self, delegate: &'a str) -> &'a str {
        self.delegates
            .iter()
            .find(|d| d.id.as_deref() == Some(delegate))
            .and_then(|d| d.name.as_deref())
            .unwrap_or(delegate)
    }
}

/// A party's delegate as a case lists it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delegate {
    /// Delegate id.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Role in the delegation.
    pub role: Option<String>,
}

/// A reported claim (`{summary, provenance}`): a fact about a text, or a
/// meeting's reported outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claim {
    /// What is reported.
    pub summary: Option<String>,
    /// Where it comes from; `None` unless `provenance` is an object.
    pub provenance: Option<Provenance>,
}

/// Every entry of a list field as `T`, reading each with `read` (an entry
/// that is not an object reads as all-absent, as a field lookup on it
/// finds nothing); a missing or mistyped list is empty.
fn entries<T>(o: &Object, field: &str, read: impl Fn(&Value) -> T) -> Vec<T> {
    o.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(read).collect())
        .unwrap_or_default()
}

fn value_text(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_string)
}

fn claim(c: &Value) -> Claim {
    Claim {
        summary: value_text(c, "summary"),
        provenance: Provenance::read(c.get("provenance")),
    }
}

/// An option of an issue (only JSON objects among `options` are options).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueOption {
    /// Option id.
    pub id: Option<String>,
    /// Label.
    pub label: Option<String>,
    /// No longer offered (`"retired": true`).
    pub retired: bool,
}

/// An issue with its options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Issue {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// No longer offered (`"retired": true`).
    pub retired: bool,
    /// The mediator's ordering, if the issue was ever moved.
    pub position: Option<i64>,
    /// Options, retired ones included, in order.
    pub options: Vec<IssueOption>,
}

impl Issue {
    /// Options still offered that have an id, as (id, label); the label
    /// falls back to the id.
    pub fn live_options(&self) -> impl Iterator<Item = (&str, &str)> {
        self.options.iter().filter(|o| !o.retired).filter_map(|o| {
            let id = o.id.as_deref()?;
            Some((id, o.label.as_deref().unwrap_or(id)))
        })
    }

    /// True for an option still offered.
    pub fn is_live_option(&self, option: &str) -> bool {
        self.options
            .iter()
            .any(|o| o.id.as_deref() == Some(option) && !o.retired)
    }

    /// An option's label, when the issue has that option and it has a label.
    pub fn option(&self, option: &str) -> Option<&IssueOption> {
        self.options
            .iter()
            .find(|o| o.id.as_deref() == Some(option))
    }
}

/// A point of a text as the views read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointView {
    /// Point id (`<text prefix>.<point>`); empty when the case gives none.
    pub id: String,
    /// Number in the text, if known.
    pub number: Option<u32>,
    /// Title (the case format's `topic`), empty when not known.
    pub title: String,
    /// Wording (the case format's `text`), empty when not known.
    pub body: String,
    /// Summary of what is reported about the point, empty when none.
    pub summary: String,
    /// Issues the point bears on.
    pub issue_ids: Vec<String>,
    /// Keys of the points of the revised version this point was made from
    /// (see [`crate::model::PointInput::derived_from`]); empty for a point
    /// carried over as itself and for imported texts.
    pub derived_from: Vec<String>,
}

impl PointView {
    fn parse(p: &Object) -> PointView {
        PointView {
            id: text(p, "id").unwrap_or_default(),
            number: p
                .get("number")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            title: text(p, "topic").unwrap_or_default(),
            body: text(p, "text").unwrap_or_default(),
            summary: text(p, "summary").unwrap_or_default(),
            issue_ids: texts(p, "issue_ids"),
            derived_from: texts(p, "derived_from"),
        }
    }
}

/// The points of a text's body (entries that are not objects skipped).
pub(crate) fn points_of(body: &Object) -> Vec<PointView> {
    objects(body, "points").map(PointView::parse).collect()
}

/// Publishing a version to one party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// To whom.
    pub party_id: Option<String>,
    /// When (ISO date or date-time).
    pub at: Option<String>,
}

/// A version of the single negotiating text (or a document set, a
/// counter-proposal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text {
    /// Label ("Revised plan, v3").
    pub label: Option<String>,
    /// The case's kind of text (`plan_version`, `document_set`,
    /// `counter_proposal`), as written.
    pub kind: Option<String>,
    /// Sequence number among the versions.
    pub version: Option<u64>,
    /// Draft or published; `None` for a text "as reported".
    pub status: Option<Term<TextStatus>>,
    /// The version it revises.
    pub derived_from_text_id: Option<String>,
    /// Points drafted in the workspace keep their key across versions
    /// (`"point_identity": true`), so the redline matches them by identity.
    pub point_identity: bool,
    /// Points in order.
    pub points: Vec<PointView>,
    /// Publications, in order.
    pub publications: Vec<Publication>,
    /// The earliest date a report about the text was made (each reported
    /// fact's `provenance.reported_on`, else its `not_before`).
    pub reported_not_before: Option<String>,
    /// What is reported about the text.
    pub reported_facts: Vec<Claim>,
    /// The number of points the case says it has (it may list fewer).
    pub point_count: Option<u64>,
    /// The number of documents of a document set.
    pub document_count: Option<u64>,
    /// A note on the points.
    pub points_note: Option<String>,
    /// Other texts that may be this same one.
    pub possibly_same_as_text_ids: Vec<String>,
    /// The parties that wrote it.
    pub author_party_ids: Vec<String>,
    /// The parties whose input it reflects.
    pub input_from_party_ids: Vec<String>,
    /// What the case reports about each point, in the order of `points`
    /// (kept apart from [`PointView`], which the API serialises as is).
    pub point_reports: Vec<PointReport>,
}

/// What a case reports about one point of a text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointReport {
    /// Its sources (an entry that is not an object reads as `None`).
    pub provenance: Vec<Option<Provenance>>,
    /// The point's place in this version is inferred, not stated
    /// (`"version_attribution": "inferred"`).
    pub inferred: bool,
}

impl Text {
    /// True for a text that can still be edited.
    pub fn is_draft(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.is(TextStatus::Draft))
    }

    /// The date it was first published (the day of the earliest
    /// publication), if it was.
    pub fn published_on(&self) -> Option<String> {
        self.publications
            .iter()
            .filter_map(|p| p.at.as_deref())
            .min()
            .map(|d| d.get(..10).unwrap_or(d).to_string())
    }

    /// Parses a text's body (for a record outside a room; a room's texts
    /// are parsed once, see [`crate::model::Room::each`]).
    pub fn read(b: &Object) -> Text {
        Text {
            label: text(b, "label"),
            kind: text(b, "kind"),
            version: b.get("version").and_then(Value::as_u64),
            status: Term::read(b.get("status")),
            derived_from_text_id: text(b, "derived_from_text_id"),
            point_identity: flag(b, "point_identity"),
            points: points_of(b),
            publications: b
                .get("publications")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| Publication {
                    party_id: p
                        .get("party_id")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    at: p.get("at").and_then(Value::as_str).map(str::to_string),
                })
                .collect(),
            reported_not_before: b
                .get("reported_facts")
                .and_then(Value::as_array)
                .and_then(|f| {
                    f.iter()
                        .filter_map(|c| {
                            let p = c.get("provenance")?;
                            p.get("reported_on")
                                .and_then(Value::as_str)
                                .or(p.get("not_before").and_then(Value::as_str))
                        })
                        .min()
                })
                .map(str::to_string),
            reported_facts: entries(b, "reported_facts", claim),
            point_count: b.get("point_count").and_then(Value::as_u64),
            document_count: b.get("document_count").and_then(Value::as_u64),
            points_note: text(b, "points_note"),
            possibly_same_as_text_ids: texts(b, "possibly_same_as_text_ids"),
            author_party_ids: texts(b, "author_party_ids"),
            input_from_party_ids: texts(b, "input_from_party_ids"),
            point_reports: objects(b, "points")
                .map(|p| PointReport {
                    provenance: entries(p, "provenance", |v| Provenance::read(Some(v))),
                    inferred: p.get("version_attribution").and_then(Value::as_str)
                        == Some("inferred"),
                })
                .collect(),
        }
    }
}

/// A meeting's participant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Participant {
    /// The party.
    pub party_id: Option<String>,
    /// Its delegates present.
    pub delegate_ids: Vec<String>,
    /// A note about the participation.
    pub note: Option<String>,
}

/// A meeting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meeting {
    /// Title.
    pub title: Option<String>,
    /// The case's kind of meeting, as written.
    pub kind: Option<String>,
    /// Held or planned, as written.
    pub status: Option<String>,
    /// Date (ISO), if known.
    pub date: Option<String>,
    /// Earliest possible date.
    pub not_before: Option<String>,
    /// A note on the date.
    pub date_note: Option<String>,
    /// Place.
    pub place: Option<String>,
    /// ISO 8601 duration.
    pub duration: Option<String>,
    /// Confidentiality; absent when the record does not say.
    pub confidentiality: Option<Term<Confidentiality>>,
    /// A note on the confidentiality.
    pub confidentiality_note: Option<String>,
    /// Participants (an entry that is not an object reads as a participant
    /// with nothing known).
    pub participants: Vec<Participant>,
    /// Texts discussed.
    pub texts_discussed: Vec<String>,
    /// A note on the texts discussed.
    pub texts_note: Option<String>,
    /// Issues discussed.
    pub issues_discussed: Vec<String>,
    /// The reported outcome.
    pub reported_outcome: Vec<Claim>,
}

impl Meeting {
    /// True when the meeting is closed to its participants (and the
    /// mediator); a missing or unknown confidentiality is not.
    pub fn is_closed(&self) -> bool {
        self.confidentiality
            .as_ref()
            .and_then(Term::known)
            .is_some_and(Confidentiality::is_closed)
    }

    /// The participating parties' ids.
    pub fn party_ids(&self) -> impl Iterator<Item = &str> {
        self.participants
            .iter()
            .filter_map(|p| p.party_id.as_deref())
    }
}

/// What a stance is about (only string ids are read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StanceTarget {
    /// An issue.
    pub issue_id: Option<String>,
    /// A text version.
    pub text_id: Option<String>,
    /// A point.
    pub point_id: Option<String>,
    /// An amendment.
    pub amendment_id: Option<String>,
}

/// Where a report comes from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    /// Speaker or outlet.
    pub source: Option<String>,
    /// Reliability tag; absent when the record gives none.
    pub reliability: Option<Term<Reliability>>,
    /// Date of the statement.
    pub reported_on: Option<String>,
    /// Earliest possible date.
    pub not_before: Option<String>,
    /// Verbatim quote.
    pub quote: Option<String>,
    /// The attribution line.
    pub attribution: Option<String>,
}

impl Provenance {
    /// Reads a `provenance` value; `None` unless it is an object.
    pub fn read(v: Option<&Value>) -> Option<Provenance> {
        let p = v?.as_object()?;
        Some(Provenance {
            source: text(p, "source"),
            reliability: Term::read(p.get("reliability")),
            reported_on: text(p, "reported_on"),
            not_before: text(p, "not_before"),
            quote: text(p, "quote"),
            attribution: text(p, "attribution"),
        })
    }
}

/// A party's stance.
#[derive(Debug, Clone, PartialEq)]
pub struct Stance {
    /// Whose.
    pub party_id: Option<String>,
    /// About what (empty when `target` is missing or not an object).
    pub target: StanceTarget,
    /// The disposition; a missing one reads as `unknown`.
    pub stance: Term<StanceKind>,
    /// Proposed wording.
    pub amendment: Option<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Date it was expressed.
    pub date: Option<String>,
    /// A note on the date.
    pub date_note: Option<String>,
    /// Meeting where it was expressed.
    pub meeting_id: Option<String>,
    /// Options favoured.
    pub preferred_option_ids: Vec<String>,
    /// Options ruled out.
    pub ruled_out_option_ids: Vec<String>,
    /// Where it comes from; `None` unless `provenance` is an object.
    pub provenance: Option<Provenance>,
    /// A status, as written (the workspace writes none; a case may).
    pub status: Option<String>,
}

/// An additional document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Title.
    pub title: Option<String>,
    /// Its text.
    pub content: Option<String>,
    /// The version it is attached to.
    pub text_id: Option<String>,
    /// The meeting it is attached to.
    pub meeting_id: Option<String>,
    /// The parties that wrote it, as a case lists them.
    pub author_party_ids: Vec<String>,
}

/// A free-text note.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Note {
    /// The note.
    pub text: Option<String>,
    /// The author's party.
    pub author: Option<String>,
}

/// One issue of a preference model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueWeights {
    /// The issue.
    pub issue_id: String,
    /// Its weight, when a number.
    pub weight: Option<f64>,
    /// (option id, value when a number), in order.
    pub option_values: Vec<(String, Option<f64>)>,
}

/// A party's private preference model. Case files carry rationales and
/// provenance beside the numbers; only the numbers are read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preference {
    /// Whose model.
    pub party_id: Option<String>,
    /// Reservation value, when a number.
    pub reservation_value: Option<f64>,
    /// A case's illustrative model (`"hypothetical": true`).
    pub hypothetical: bool,
    /// Withdrawn by its party (`"withdrawn": true`): it counts as no model.
    pub withdrawn: bool,
    /// A status, as written.
    pub status: Option<String>,
    /// Per issue (entries without a string `issue_id` skipped), in order.
    pub issues: Vec<IssueWeights>,
}

/// An amendment tabled against a point of a version (see
/// [`crate::amendment`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Amendment {
    /// The party that tables it.
    pub party_id: Option<String>,
    /// The version it is tabled against.
    pub text_id: Option<String>,
    /// The point it targets (absent for one migrated from a stance on a
    /// whole text or an issue).
    pub point_id: Option<String>,
    /// What it does; absent when the record does not say.
    pub action: Option<Term<AmendmentAction>>,
    /// The new wording (replace, insert).
    pub wording: Option<String>,
    /// The new point's title (insert), or a new title (replace).
    pub title: Option<String>,
    /// Why.
    pub justification: Option<String>,
    /// BCP 47 tag of the edition it quotes.
    pub language: Option<String>,
    /// Where it stands; a missing status reads as `tabled`.
    pub status: Term<AmendmentStatus>,
    /// The mediator's note on the last change of status.
    pub status_note: Option<String>,
    /// The draft it was incorporated into.
    pub incorporated_in_text_id: Option<String>,
    /// The amendment that replaced it.
    pub superseded_by_amendment_id: Option<String>,
    /// Date tabled.
    pub date: Option<String>,
    /// Who recorded it, when the mediator tabled it on a party's behalf.
    pub provenance: Option<Provenance>,
}

impl Amendment {
    /// The status, when it is one of the vocabulary.
    pub fn known_status(&self) -> Option<AmendmentStatus> {
        self.status.known()
    }

    /// True while it can be considered, incorporated or withdrawn.
    pub fn is_open(&self) -> bool {
        self.known_status().is_some_and(AmendmentStatus::is_open)
    }
}

/// What a comment thread is about (only string ids are read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentTarget {
    /// A version.
    pub text_id: Option<String>,
    /// A point.
    pub point_id: Option<String>,
    /// An amendment.
    pub amendment_id: Option<String>,
}

/// A comment: the first of a thread, or a reply in one.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// What the thread is about.
    pub target: CommentTarget,
    /// The thread's first comment, for a reply.
    pub reply_to_comment_id: Option<String>,
    /// The author's party.
    pub party_id: Option<String>,
    /// The author (user name).
    pub author: Option<String>,
    /// The comment.
    pub body: Option<String>,
    /// The thread is resolved (read on its first comment).
    pub resolved: bool,
    /// When it was written.
    pub created: Option<String>,
}

/// What a case says about its preference models as a whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreferenceSet {
    /// Label for the illustrative models.
    pub label: Option<String>,
    /// The models are illustrative (`"hypothetical": true`).
    pub hypothetical: bool,
    /// The mediator's own model counts in the zone and in voting.
    pub mediator_counts: bool,
}

/// A party's vote in a single-text session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vote {
    /// The session.
    pub session_id: Option<String>,
    /// The round.
    pub round: Option<u64>,
    /// The voting party.
    pub party_id: Option<String>,
    /// The answer as written (`accept` or `reject`).
    pub vote: Option<String>,
    /// The party let its model decide (`"by_model": true`).
    pub by_model: bool,
}

impl Vote {
    /// True only for `"vote": "accept"`; anything else is a rejection.
    pub fn accepts(&self) -> bool {
        self.vote.as_deref() == Some("accept")
    }
}

/// A record's body, typed by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedBody {
    /// [`Kind::Meta`].
    Meta(Meta),
    /// [`Kind::Party`].
    Party(Party),
    /// [`Kind::Issue`].
    Issue(Issue),
    /// [`Kind::Text`].
    Text(Text),
    /// [`Kind::Meeting`].
    Meeting(Meeting),
    /// [`Kind::Stance`].
    Stance(Stance),
    /// [`Kind::Document`].
    Document(Document),
    /// [`Kind::Note`].
    Note(Note),
    /// [`Kind::Preference`].
    Preference(Preference),
    /// [`Kind::PreferenceSet`].
    PreferenceSet(PreferenceSet),
    /// [`Kind::Session`].
    Session(crate::session::SessionView),
    /// [`Kind::Vote`].
    Vote(Vote),
    /// [`Kind::Amendment`].
    Amendment(Amendment),
    /// [`Kind::Comment`].
    Comment(Comment),
}

/// A record parsed once: its typed body and the withdrawn marker, which any
/// kind of record may carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The body, typed.
    pub body: TypedBody,
    /// The withdrawn marker, if the record carries one.
    pub withdrawn: Option<Withdrawal>,
}

impl Parsed {
    /// Parses a record. Never fails: see the module documentation.
    pub fn of(r: &Record) -> Parsed {
        Parsed {
            body: TypedBody::of(r),
            withdrawn: Withdrawal::of(&r.body),
        }
    }
}

impl TypedBody {
    /// Parses a record's body by its kind. Never fails: see the module
    /// documentation.
    pub fn of(r: &Record) -> TypedBody {
        let b = &r.body;
        match r.kind {
            Kind::Meta => TypedBody::Meta(Meta {
                title: text(b, "title"),
                disclaimer: text(b, "disclaimer"),
                description: text(b, "description"),
            }),
            Kind::Party => TypedBody::Party(Party {
                name: text(b, "name"),
                kind: PartyKind::read(b.get("kind")),
                description: text(b, "description"),
                delegates: entries(b, "delegates", |d| Delegate {
                    id: value_text(d, "id"),
                    name: value_text(d, "name"),
                    role: value_text(d, "role"),
                }),
            }),
            Kind::Issue => TypedBody::Issue(Issue {
                title: text(b, "title"),
                description: text(b, "description"),
                retired: flag(b, "retired"),
                position: b.get("position").and_then(Value::as_i64),
                options: objects(b, "options")
                    .map(|o| IssueOption {
                        id: text(o, "id"),
                        label: text(o, "label"),
                        retired: flag(o, "retired"),
                    })
                    .collect(),
            }),
            Kind::Text => TypedBody::Text(Text::read(b)),
            Kind::Meeting => TypedBody::Meeting(Meeting {
                title: text(b, "title"),
                kind: text(b, "kind"),
                status: text(b, "status"),
                date: text(b, "date"),
                not_before: text(b, "not_before"),
                date_note: text(b, "date_note"),
                place: text(b, "place"),
                duration: text(b, "duration"),
                confidentiality: Term::read(b.get("confidentiality")),
                confidentiality_note: text(b, "confidentiality_note"),
                participants: entries(b, "participants", |p| Participant {
                    party_id: value_text(p, "party_id"),
                    delegate_ids: p
                        .as_object()
                        .map(|p| texts(p, "delegate_ids"))
                        .unwrap_or_default(),
                    note: value_text(p, "note"),
                }),
                texts_discussed: texts(b, "texts_discussed"),
                texts_note: text(b, "texts_note"),
                issues_discussed: texts(b, "issues_discussed"),
                reported_outcome: entries(b, "reported_outcome", claim),
            }),
            Kind::Stance => {
                let target = object(b, "target");
                let t = |f: &str| target.and_then(|t| text(t, f));
                TypedBody::Stance(Stance {
                    party_id: text(b, "party_id"),
                    target: StanceTarget {
                        issue_id: t("issue_id"),
                        text_id: t("text_id"),
                        point_id: t("point_id"),
                        amendment_id: t("amendment_id"),
                    },
                    stance: Term::read(b.get("stance")).unwrap_or(Term::Known(StanceKind::Unknown)),
                    amendment: text(b, "amendment"),
                    summary: text(b, "summary"),
                    date: text(b, "date"),
                    date_note: text(b, "date_note"),
                    meeting_id: text(b, "meeting_id"),
                    preferred_option_ids: texts(b, "preferred_option_ids"),
                    ruled_out_option_ids: texts(b, "ruled_out_option_ids"),
                    provenance: Provenance::read(b.get("provenance")),
                    status: text(b, "status"),
                })
            }
            Kind::Document => TypedBody::Document(Document {
                title: text(b, "title"),
                content: text(b, "content"),
                text_id: text(b, "text_id"),
                meeting_id: text(b, "meeting_id"),
                author_party_ids: texts(b, "author_party_ids"),
            }),
            Kind::Note => TypedBody::Note(Note {
                text: text(b, "text"),
                author: text(b, "author"),
            }),
            Kind::Preference => {
                let num = |v: Option<&Value>| v.and_then(Value::as_f64).filter(|x| x.is_finite());
                TypedBody::Preference(Preference {
                    party_id: text(b, "party_id"),
                    reservation_value: num(b.get("reservation_value")),
                    hypothetical: flag(b, "hypothetical"),
                    withdrawn: flag(b, "withdrawn"),
                    status: text(b, "status"),
                    issues: b
                        .get("issues")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|im| {
                            let issue_id = im.get("issue_id").and_then(Value::as_str)?;
                            Some(IssueWeights {
                                issue_id: issue_id.to_string(),
                                weight: num(im.get("weight")),
                                option_values: im
                                    .get("option_values")
                                    .and_then(Value::as_array)
                                    .into_iter()
                                    .flatten()
                                    .filter_map(|ov| {
                                        let o = ov.get("option_id").and_then(Value::as_str)?;
                                        Some((o.to_string(), num(ov.get("value"))))
                                    })
                                    .collect(),
                            })
                        })
                        .collect(),
                })
            }
            Kind::PreferenceSet => TypedBody::PreferenceSet(PreferenceSet {
                label: text(b, "label"),
                hypothetical: flag(b, "hypothetical"),
                mediator_counts: flag(b, "mediator_counts"),
            }),
            Kind::Session => TypedBody::Session(crate::session::SessionView::parse(r)),
            Kind::Vote => TypedBody::Vote(Vote {
                session_id: text(b, "session_id"),
                round: b.get("round").and_then(Value::as_u64),
                party_id: text(b, "party_id"),
                vote: text(b, "vote"),
                by_model: flag(b, "by_model"),
            }),
            Kind::Amendment => TypedBody::Amendment(Amendment {
                party_id: text(b, "party_id"),
                text_id: text(b, "text_id"),
                point_id: text(b, "point_id"),
                action: Term::read(b.get("action")),
                wording: text(b, "wording"),
                title: text(b, "title"),
                justification: text(b, "justification"),
                language: text(b, "language"),
                status: Term::read(b.get("status")).unwrap_or(Term::Known(AmendmentStatus::Tabled)),
                status_note: text(b, "status_note"),
                incorporated_in_text_id: text(b, "incorporated_in_text_id"),
                superseded_by_amendment_id: text(b, "superseded_by_amendment_id"),
                date: text(b, "date"),
                provenance: Provenance::read(b.get("provenance")),
            }),
            Kind::Comment => {
                let target = object(b, "target");
                let t = |f: &str| target.and_then(|t| text(t, f));
                TypedBody::Comment(Comment {
                    target: CommentTarget {
                        text_id: t("text_id"),
                        point_id: t("point_id"),
                        amendment_id: t("amendment_id"),
                    },
                    reply_to_comment_id: text(b, "reply_to_comment_id"),
                    party_id: text(b, "party_id"),
                    author: text(b, "author"),
                    body: text(b, "body"),
                    resolved: flag(b, "resolved"),
                    created: text(b, "created"),
                })
            }
        }
    }
}

/// A typed body of one kind: lets [`crate::model::Room::each`] and
/// [`crate::model::Room::find`] hand out the right struct.
pub trait KindBody: Sized + 'static {
    /// The kind whose records parse to this struct.
    const KIND: Kind;
    /// The struct, when `body` is of this kind.
    fn pick(body: &TypedBody) -> Option<&Self>;
}

macro_rules! kind_body {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl KindBody for $t {
            const KIND: Kind = Kind::$variant;
            fn pick(body: &TypedBody) -> Option<&Self> {
                match body {
                    TypedBody::$variant(b) => Some(b),
                    _ => None,
                }
            }
        }
    )*};
}

kind_body!(
    Meta => Meta,
    Party => Party,
    Issue => Issue,
    Text => Text,
    Meeting => Meeting,
    Stance => Stance,
    Document => Document,
    Note => Note,
    Preference => Preference,
    PreferenceSet => PreferenceSet,
    crate::session::SessionView => Session,
    Vote => Vote,
    Amendment => Amendment,
    Comment => Comment,
);

/// A record with its typed body, as a room hands them out. Dereferences to
/// the typed body; the raw record (id, visibility, fields nobody
/// interprets) is `record`.
#[derive(Debug)]
pub struct Typed<'a, T> {
    /// The record.
    pub record: &'a Record,
    /// Its typed body.
    pub body: &'a T,
    /// Its withdrawn marker.
    pub withdrawal: Option<&'a Withdrawal>,
}

impl<T> Clone for Typed<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Typed<'_, T> {}

impl<'a, T> Typed<'a, T> {
    /// The record's id.
    pub fn id(&self) -> &'a str {
        &self.record.id
    }

    /// True for a record its author has withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawal.is_some()
    }
}

impl<T> std::ops::Deref for Typed<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.body
    }
}

/// Weights and values read back as numbers, with 0 for anything missing.
pub(crate) fn weights(issues: &[IssueWeights]) -> BTreeMap<String, (f64, BTreeMap<String, f64>)> {
    let mut out = BTreeMap::new();
    for im in issues {
        let values = im
            .option_values
            .iter()
            .map(|(o, v)| (o.clone(), v.unwrap_or(0.0)))
            .collect();
        out.insert(
            im.issue_id.clone(),
            (im.weight.unwrap_or(0.0).max(0.0), values),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{meeting_visibility, Room};
    use crate::visibility::Visibility;
    use proptest::prelude::*;
    use serde_json::json;

    fn record(kind: Kind, id: &str, body: Value) -> Record {
        Record {
            kind,
            id: id.into(),
            visibility: Visibility::Room,
            body: match body {
                Value::Object(m) => m,
                _ => panic!("fixture bodies are objects"),
            },
        }
    }

    fn stance(body: Value) -> Stance {
        match TypedBody::of(&record(Kind::Stance, "s", body)) {
            TypedBody::Stance(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mistyped_stance_fields_read_as_absent() {
        let s = stance(json!({
            "party_id": 7, "target": "nato", "stance": ["accepts"],
            "summary": null, "provenance": "Reuters",
            "preferred_option_ids": ["a", 1, null, "b"], "ruled_out_option_ids": "a",
        }));
        assert_eq!(s.party_id, None);
        assert_eq!(s.target, StanceTarget::default());
        // A stance that is not a string is as good as none: `unknown`.
        assert_eq!(s.stance, Term::Known(StanceKind::Unknown));
        assert_eq!(s.summary, None);
        assert_eq!(s.provenance, None);
        assert_eq!(s.preferred_option_ids, vec!["a", "b"]);
        assert!(s.ruled_out_option_ids.is_empty());
    }

    #[test]
    fn unknown_spellings_are_kept_and_decide_nothing() {
        let s = stance(json!({
            "stance": "accepts_in_principle",
            "provenance": {"source": "TASS", "reliability": "rumour", "quote": 3},
        }));
        assert_eq!(s.stance.as_str(), "accepts_in_principle");
        assert_eq!(s.stance.known(), None);
        let p = s.provenance.unwrap();
        assert_eq!(p.reliability, Some(Term::Other("rumour".into())));
        assert_eq!(p.source.as_deref(), Some("TASS"));
        assert_eq!(p.quote, None);

        let party = |kind: Value| PartyKind::of(&record(Kind::Party, "p", json!({"kind": kind})));
        assert_eq!(party(json!("mediator")), PartyKind::Mediator);
        assert_eq!(party(json!("party")), PartyKind::Party);
        assert_eq!(party(json!("Mediator")), PartyKind::Observer);
        assert_eq!(party(json!(1)), PartyKind::Observer);

        let meeting = |c: Value| match TypedBody::of(&record(
            Kind::Meeting,
            "m",
            json!({"confidentiality": c, "participants": [{"party_id": "a"}, "b", {"party_id": 2}]}),
        )) {
            TypedBody::Meeting(m) => m,
            other => panic!("{other:?}"),
        };
        assert!(meeting(json!("closed")).is_closed());
        assert!(meeting(json!("closed_with_nondisclosure")).is_closed());
        assert!(!meeting(json!("secret")).is_closed());
        assert!(!meeting(json!(null)).is_closed());
        assert_eq!(
            meeting(json!("open")).party_ids().collect::<Vec<_>>(),
            vec!["a"]
        );
        // The write path's rule agrees with the parsed one.
        assert_eq!(
            meeting_visibility("secret", &["a".into()]),
            Visibility::Room
        );

        let text =
            |status: Value| Text::read(&record(Kind::Text, "t", json!({"status": status})).body);
        assert!(text(json!("draft")).is_draft());
        assert!(!text(json!("archived")).is_draft());
        assert!(!text(json!(true)).is_draft());
    }

    #[test]
    fn the_withdrawn_marker_is_any_non_null_value() {
        let marker =
            |w: Value| Withdrawal::of(&record(Kind::Note, "n", json!({"withdrawn": w})).body);
        assert_eq!(marker(json!(null)), None);
        assert_eq!(
            marker(json!({"at": "2025-11-30", "by": "ukraine", "reason": 4})),
            Some(Withdrawal {
                at: Some("2025-11-30".into()),
                by: Some("ukraine".into()),
                reason: None
            })
        );
        assert_eq!(marker(json!(true)), Some(Withdrawal::default()));
        assert_eq!(marker(json!(false)), Some(Withdrawal::default()));
    }

    #[test]
    fn preference_numbers_that_are_not_numbers_count_as_missing() {
        let r = record(
            Kind::Preference,
            "russia",
            json!({"reservation_value": "0.4", "issues": [
                {"issue_id": "nato", "weight": "heavy", "option_values": [
                    {"option_id": "nato.no", "value": 1}, {"option_id": 3, "value": 1}, {"value": 0.5}
                ]},
                {"weight": 0.5},
                "nato",
                {"issue_id": "land", "weight": -0.25}
            ]}),
        );
        let TypedBody::Preference(p) = TypedBody::of(&r) else {
            panic!()
        };
        assert_eq!(p.party_id, None);
        assert_eq!(p.reservation_value, None);
        assert_eq!(p.issues.len(), 2, "{:?}", p.issues);
        assert_eq!(p.issues[0].weight, None);
        assert_eq!(
            p.issues[0].option_values,
            vec![("nato.no".to_string(), Some(1.0))]
        );
        assert_eq!(p.issues[1].weight, Some(-0.25));
        let m = crate::preference::ModelView::parse(&r);
        assert_eq!(m.party_id, "russia");
        assert_eq!(
            (m.reservation, m.weight("nato"), m.weight("land")),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(m.value("nato", "nato.no"), 1.0);
    }

    #[test]
    fn a_room_keeps_records_and_parsed_bodies_in_step() {
        let party =
            |id: &str, name: &str| record(Kind::Party, id, json!({"name": name, "kind": "party"}));
        let mut room = Room::new(vec![party("a", "A"), party("b", "B")]);
        room.retain(|r| r.id != "a");
        room.push(party("c", "C"));
        let names: Vec<(&str, &str)> = room
            .each::<Party>()
            .map(|p| (p.id(), p.body.name.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(names, vec![("b", "B"), ("c", "C")]);
        assert!(room.find::<Party>("a").is_none());
        assert!(room.find::<Issue>("b").is_none(), "a party is not an issue");
    }

    #[test]
    fn the_matrix_shows_what_a_loose_stance_says() {
        let room = Room::new(vec![
            record(
                Kind::Party,
                "ru",
                json!({"name": "Russia", "kind": "party"}),
            ),
            record(
                Kind::Party,
                "obs",
                json!({"name": "Observer", "kind": "superpower"}),
            ),
            record(
                Kind::Text,
                "v1",
                json!({"points": [{"id": "v1.a", "topic": "A", "issue_ids": ["nato"]}, "stray"]}),
            ),
            // An unknown spelling, no provenance: shown as written, tagged as
            // an unnamed source.
            record(
                Kind::Stance,
                "s1",
                json!({"party_id": "ru", "stance": "accepts_in_principle", "target": {"point_id": "v1.a"}}),
            ),
            // No stance at all, reaching the point through its issue.
            record(
                Kind::Stance,
                "s2",
                json!({"party_id": "ru", "target": {"issue_id": "nato"}, "provenance": {"reliability": 3, "not_before": "2025-11-20"}}),
            ),
            // Withdrawn: no longer speaks for its party.
            record(
                Kind::Stance,
                "s3",
                json!({"party_id": "ru", "stance": "rejects", "target": {"text_id": "v1"}, "withdrawn": {"at": "x"}}),
            ),
            // An observer's stance has no row.
            record(
                Kind::Stance,
                "s4",
                json!({"party_id": "obs", "stance": "rejects", "target": {"text_id": "v1"}}),
            ),
        ]);
        let m = room.matrix("v1").unwrap();
        assert_eq!(m.points.len(), 1, "the stray non-object point is skipped");
        assert_eq!(m.rows.len(), 1);
        let cells = &m.rows[0].cells[0];
        let seen: Vec<(&str, &str, &str, &str, Option<&str>)> = cells
            .iter()
            .map(|c| {
                (
                    c.stance_id.as_str(),
                    c.stance.as_str(),
                    c.reliability.as_str(),
                    c.via.as_str(),
                    c.date.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    "s1",
                    "accepts_in_principle",
                    "unnamed_source",
                    "point",
                    None
                ),
                (
                    "s2",
                    "unknown",
                    "unnamed_source",
                    "issue:nato",
                    Some("2025-11-20")
                ),
            ]
        );
        assert!(m.rows[0].whole_text.is_empty());
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|x| json!(x)),
            prop_oneof![
                "[a-z_]{0,12}",
                Just("draft".to_string()),
                Just("closed".to_string()),
                Just("accepts".to_string()),
                Just("mediator".to_string()),
            ]
            .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(field(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Field names the parsers read, so that generated bodies reach them.
    fn field() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "id",
            "name",
            "kind",
            "title",
            "label",
            "status",
            "version",
            "points",
            "topic",
            "text",
            "number",
            "issue_ids",
            "derived_from",
            "target",
            "issue_id",
            "text_id",
            "point_id",
            "stance",
            "provenance",
            "reliability",
            "source",
            "withdrawn",
            "options",
            "retired",
            "position",
            "participants",
            "party_id",
            "confidentiality",
            "issues",
            "weight",
            "option_values",
            "option_id",
            "value",
            "publications",
            "at",
            "reported_facts",
            "reported_on",
            "not_before",
            "current",
            "proposal",
            "rounds",
            "round",
            "vote",
            "session_id",
            "party_ids",
            "hypothetical",
            "mediator_counts",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        /// Whatever JSON object a record holds, every kind parses it
        /// without panicking, and the room hands out one typed body per
        /// record of each kind.
        #[test]
        fn parsing_never_panics(
            bodies in prop::collection::vec(
                prop::collection::btree_map(field(), json_value(), 0..10), 1..6)
        ) {
            let mut records = Vec::new();
            for (i, b) in bodies.into_iter().enumerate() {
                for kind in Kind::ALL {
                    let body: Map<String, Value> = b.clone().into_iter().collect();
                    records.push(Record { kind, id: format!("r{i}"), visibility: Visibility::Room, body });
                }
            }
            let room = Room::new(records);
            prop_assert_eq!(room.each::<Stance>().count(), room.of(Kind::Stance).count());
            prop_assert_eq!(room.each::<Text>().count(), room.of(Kind::Text).count());
            prop_assert_eq!(room.each::<Meeting>().count(), room.of(Kind::Meeting).count());
            for t in room.texts() {
                let _ = room.matrix(&t.id);
            }
            let _ = room.timeline();
            let _ = room.party_names();
            let _ = crate::setup::named_by(&room, "r0", None);
            let _ = crate::preference::scenario_from_models(&room, true);
        }
    }
}
