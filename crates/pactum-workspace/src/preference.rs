//! Private preference models and what the mediator may learn from them.
//!
//! A party's model (issue weights, option values, reservation value) is a
//! [`Kind::Preference`] record in the same shape as a case file's
//! `illustrative_preferences.models[]`, so export and import stay lossless.
//! It is visible to its party only, or to its party and the mediator once
//! shared; the mediator's own model is visible to the mediator only.
//!
//! The mediator never reads another party's numbers. It gets a
//! [`MediatorAnalysis`]: whether an agreement zone exists, which issues block
//! it, suggested packages and the Nash package as option labels, and in words
//! what each package asks of each party. Nothing in that view is a weight, a
//! value or a reservation value.

use crate::body as typed;
use crate::model::{Body, FieldError, Kind, PartyKind, Record, Room};
use crate::visibility::Visibility;
use pactum_core::outcome::{Issue, OutcomeSpace};
use pactum_core::scenario::{Party, Scenario};
use pactum_core::ufun::{LinearAdditive, Term, UtilityFunction, ValueFunction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One option's value in a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionValueInput {
    /// Option id (one of the issue's options).
    pub option_id: String,
    /// The party's value for it, in [0, 1] (0 for options left out).
    pub value: f64,
}

/// One issue's part of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueModelInput {
    /// Issue id.
    pub issue_id: String,
    /// How much the issue matters, in [0, 1] (weights need not sum to 1).
    pub weight: f64,
    /// Values of the issue's options.
    #[serde(default)]
    pub option_values: Vec<OptionValueInput>,
}

/// A party's preference model as its delegate writes it. Issues left out
/// count with weight 0 and options left out with value 0, so a party may
/// model only what it cares about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferenceInput {
    /// Whose model.
    pub party_id: String,
    /// The least utility the party would accept rather than no agreement,
    /// in [0, 1].
    pub reservation_value: f64,
    /// Per-issue weights and option values.
    #[serde(default)]
    pub issues: Vec<IssueModelInput>,
    /// Lets the mediator read the model itself (the mediator always sees
    /// what is computed from it, never the numbers, unless shared).
    #[serde(default)]
    pub shared_with_mediator: bool,
}

fn options_of(issue: &typed::Issue) -> Vec<(&str, &str)> {
    issue.live_options().collect()
}

/// A model its party has withdrawn. The store keeps every record it was
/// given, so withdrawing overwrites the model with an empty one that counts
/// as no model at all.
pub fn withdrawn(room: &Room, party_id: &str) -> Record {
    let body = serde_json::json!({"party_id": party_id, "withdrawn": true, "issues": []});
    Record {
        kind: Kind::Preference,
        id: party_id.to_string(),
        visibility: model_visibility(room, party_id, false),
        body: match body {
            Value::Object(m) => m,
            _ => Body::new(),
        },
    }
}

/// True for a withdrawn model.
pub fn is_withdrawn(r: &Record) -> bool {
    matches!(typed::TypedBody::of(r), typed::TypedBody::Preference(p) if p.withdrawn)
}

/// The visibility of a party's model: the mediator's own model is the
/// mediator's alone; a party's is its own unless shared with the mediator.
pub fn model_visibility(room: &Room, party_id: &str, shared: bool) -> Visibility {
    let is_mediator = room
        .find::<typed::Party>(party_id)
        .is_some_and(|p| p.kind == PartyKind::Mediator);
    if shared && !is_mediator {
        Visibility::PartyAndMediator {
            party: party_id.to_string(),
        }
    } else {
        Visibility::Party {
            party: party_id.to_string(),
        }
    }
}

/// Why a model's number was refused, if it was: weights, values and the
/// reservation value live on the same [0, 1] scale as the utilities the
/// analysis compares, so a number outside it (or not a number at all) would
/// silently distort every party's zone rather than fail.
fn out_of_unit(x: f64) -> Option<String> {
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        None
    } else {
        Some(format!("expected a number in [0, 1], got {x}"))
    }
}

/// Refuses `x` outside [0, 1], naming `field`.
fn unit(field: &str, x: f64) -> Result<(), FieldError> {
    match out_of_unit(x) {
        None => Ok(()),
        Some(message) => Err(FieldError::new(field, message)),
    }
}

impl PreferenceInput {
    /// Validates against the room and builds the record (id = party id, so
    /// a party has at most one model and writing again replaces it).
    pub fn into_record(self, room: &Room) -> Result<Record, FieldError> {
        let party = room.find::<typed::Party>(&self.party_id).ok_or_else(|| {
            FieldError::new("party_id", format!("unknown party {:?}", self.party_id))
        })?;
        if party.kind == PartyKind::Observer {
            return Err(FieldError::new(
                "party_id",
                "observers have no preference model",
            ));
        }
        unit("reservation_value", self.reservation_value)?;
        let mut seen = std::collections::HashSet::new();
        let mut issues = Vec::new();
        for (i, im) in self.issues.iter().enumerate() {
            let f = |s: &str| format!("issues[{i}].{s}");
            let issue = room
                .live_issues()
                .find(|i| i.id() == im.issue_id)
                .ok_or_else(|| {
                    FieldError::new(
                        f("issue_id"),
                        format!("unknown or retired issue {:?}", im.issue_id),
                    )
                })?;
            if !seen.insert(im.issue_id.as_str()) {
                return Err(FieldError::new(
                    f("issue_id"),
                    format!("issue {:?} is given twice", im.issue_id),
                ));
            }
            unit(&f("weight"), im.weight)?;
            let options = options_of(&issue);
            let mut seen_o = std::collections::HashSet::new();
            let mut values = Vec::new();
            for (j, ov) in im.option_values.iter().enumerate() {
                let g = |s: &str| format!("issues[{i}].option_values[{j}].{s}");
                if !options.iter().any(|(id, _)| *id == ov.option_id) {
                    return Err(FieldError::new(
                        g("option_id"),
                        format!(
                            "{:?} is not an option of issue {:?}",
                            ov.option_id, im.issue_id
                        ),
                    ));
                }
                if !seen_o.insert(ov.option_id.as_str()) {
                    return Err(FieldError::new(
                        g("option_id"),
                        format!("option {:?} is given twice", ov.option_id),
                    ));
                }
                unit(&g("value"), ov.value)?;
                values.push(serde_json::json!({"option_id": ov.option_id, "value": ov.value}));
            }
            issues.push(serde_json::json!({
                "issue_id": im.issue_id,
                "weight": im.weight,
                "option_values": values,
            }));
        }
        let body = serde_json::json!({
            "party_id": self.party_id,
            "reservation_value": self.reservation_value,
            "issues": issues,
            "source": "workspace",
        });
        Ok(Record {
            kind: Kind::Preference,
            id: self.party_id.clone(),
            visibility: model_visibility(room, &self.party_id, self.shared_with_mediator),
            body: match body {
                Value::Object(m) => m,
                _ => Body::new(),
            },
        })
    }

    /// The form's starting point: a stored model read back (issues in room
    /// order, every option listed).
    pub fn of_record(room: &Room, model: &Record) -> PreferenceInput {
        let parsed = ModelView::parse(model);
        let issues = room
            .live_issues()
            .map(|issue| IssueModelInput {
                issue_id: issue.id().to_string(),
                weight: parsed.weight(issue.id()),
                option_values: options_of(&issue)
                    .into_iter()
                    .map(|(o, _)| OptionValueInput {
                        option_id: o.to_string(),
                        value: parsed.value(issue.id(), o),
                    })
                    .collect(),
            })
            .collect();
        PreferenceInput {
            party_id: parsed.party_id,
            reservation_value: parsed.reservation,
            issues,
            shared_with_mediator: matches!(model.visibility, Visibility::PartyAndMediator { .. }),
        }
    }
}

/// A preference record read for computation. Case files carry rationales
/// and provenance beside the numbers; only the numbers are read here, and a
/// missing or mistyped number counts as 0.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelView {
    /// Whose model.
    pub party_id: String,
    /// Reservation value.
    pub reservation: f64,
    /// Weight and option values by issue id.
    pub issues: BTreeMap<String, (f64, BTreeMap<String, f64>)>,
    /// True for a case's illustrative model (`hypothetical: true`).
    pub hypothetical: bool,
}

impl ModelView {
    /// Reads a preference record (parsing its body; a room's models are
    /// read with [`ModelView::of`]).
    pub fn parse(r: &Record) -> ModelView {
        match typed::TypedBody::of(r) {
            typed::TypedBody::Preference(p) => ModelView::of(&r.id, &p),
            _ => ModelView::of(&r.id, &typed::Preference::default()),
        }
    }

    /// The numbers of a parsed model (`id`, the record's, stands in for a
    /// missing `party_id`); a missing number counts as 0 and a negative
    /// weight as 0.
    pub fn of(id: &str, p: &typed::Preference) -> ModelView {
        ModelView {
            party_id: p.party_id.as_deref().unwrap_or(id).to_string(),
            reservation: p.reservation_value.unwrap_or(0.0),
            issues: typed::weights(&p.issues),
            hypothetical: p.hypothetical,
        }
    }

    /// An issue's weight (0 when the model leaves it out).
    pub fn weight(&self, issue: &str) -> f64 {
        self.issues.get(issue).map_or(0.0, |(w, _)| *w)
    }

    /// An option's value (0 when the model leaves it out).
    pub fn value(&self, issue: &str, option: &str) -> f64 {
        self.issues
            .get(issue)
            .and_then(|(_, vs)| vs.get(option))
            .copied()
            .unwrap_or(0.0)
    }

    /// `Σ weight · value` of a package (issue id → option id); issues the
    /// package does not settle count nothing.
    pub fn utility(&self, package: &BTreeMap<String, String>) -> f64 {
        package
            .iter()
            .map(|(i, o)| self.weight(i) * self.value(i, o))
            .sum()
    }
}

/// How the scenario's indices map back to the room.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mapping {
    /// Issues in scenario order, each with its option ids and labels in
    /// option order.
    pub issues: Vec<IssueRef>,
    /// Counted parties with a model, in scenario order.
    pub parties: Vec<PartyRef>,
    /// Counted parties without a model (the analysis is then partial).
    pub missing: Vec<PartyRef>,
    /// True when some counted model is a case's illustrative one.
    pub hypothetical: bool,
}

/// An issue of the scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueRef {
    /// Issue id.
    pub id: String,
    /// Title.
    pub title: String,
    /// (option id, label) in option order.
    pub options: Vec<(String, String)>,
}

/// A party, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyRef {
    /// Party id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// The room setting deciding whether the mediator's own model counts in the
/// zone and in voting. Kept on the room's [`Kind::PreferenceSet`] record
/// (what the room says about its models as a whole), as
/// `mediator_counts`; absent means no: by default only parties count.
pub fn mediator_counts(room: &Room) -> bool {
    room.each::<typed::PreferenceSet>()
        .any(|r| r.mediator_counts)
}

/// The room's preference-set record with the setting changed (a new one,
/// visible to the whole room, when the room has none): every party may know
/// whose models count.
pub fn set_mediator_counts(room: &Room, value: bool) -> Record {
    let mut r = room
        .of(Kind::PreferenceSet)
        .next()
        .cloned()
        .unwrap_or(Record {
            kind: Kind::PreferenceSet,
            id: "illustrative_preferences".into(),
            visibility: Visibility::Room,
            body: Body::new(),
        });
    r.body.insert("mediator_counts".into(), Value::Bool(value));
    r
}

/// The label a room gives its illustrative models, if any.
pub fn hypothetical_label(room: &Room) -> Option<String> {
    room.each::<typed::PreferenceSet>().find_map(|r| {
        r.label
            .clone()
            .or_else(|| r.hypothetical.then(|| "HYPOTHETICAL".to_string()))
    })
}

/// The parties whose models count: every party of kind `party`, and the
/// mediator when `include_mediator`.
pub fn counted_parties(room: &Room, include_mediator: bool) -> Vec<PartyRef> {
    room.each::<typed::Party>()
        .filter(|p| match p.kind {
            PartyKind::Party => true,
            PartyKind::Mediator => include_mediator,
            PartyKind::Observer => false,
        })
        .map(|p| PartyRef {
            id: p.id().to_string(),
            name: p.name.as_deref().unwrap_or(p.id()).to_string(),
        })
        .collect()
}

/// Builds the scenario the zone is computed on: the room's issues that have
/// options (in room order), and one additive utility per counted party that
/// has a model (`Σ weight · value`, reservation value as declared).
/// `room` must hold every model; only the server's analysis path, which
/// shows nothing but computed results, passes such a room.
pub fn scenario_from_models(room: &Room, include_mediator: bool) -> (Scenario, Mapping) {
    let issues: Vec<IssueRef> = room
        .live_issues()
        .filter_map(|i| {
            let options: Vec<(String, String)> = options_of(&i)
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            (!options.is_empty()).then(|| IssueRef {
                id: i.id().to_string(),
                title: i.title.as_deref().unwrap_or(i.id()).to_string(),
                options,
            })
        })
        .collect();
    let space = OutcomeSpace::new(
        issues
            .iter()
            .map(|i| Issue::discrete(&i.id, i.options.iter().map(|(o, _)| o.clone()).collect()))
            .collect(),
    );
    let mut parties = Vec::new();
    let mut refs = Vec::new();
    let mut missing = Vec::new();
    let mut hypothetical = false;
    for p in counted_parties(room, include_mediator) {
        let Some(model) = room
            .find::<typed::Preference>(&p.id)
            .filter(|m| !m.withdrawn)
        else {
            missing.push(p);
            continue;
        };
        let m = ModelView::of(model.id(), &model);
        hypothetical |= m.hypothetical;
        let terms = issues
            .iter()
            .map(|i| Term {
                weight: m.weight(&i.id),
                value: ValueFunction::Table(
                    i.options.iter().map(|(o, _)| m.value(&i.id, o)).collect(),
                ),
            })
            .collect();
        parties.push(Party {
            name: p.id.clone(),
            ufun: UtilityFunction {
                additive: LinearAdditive { bias: 0.0, terms },
                reservation: Some(m.reservation),
                ..UtilityFunction::default()
            },
        });
        refs.push(p);
    }
    (
        Scenario {
            name: "room".into(),
            space,
            parties,
        },
        Mapping {
            issues,
            parties: refs,
            missing,
            hypothetical,
        },
    )
}

/// One issue of a package, as labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// Issue id.
    pub issue_id: String,
    /// Issue title.
    pub issue_title: String,
    /// Option id.
    pub option_id: String,
    /// Option label.
    pub option_label: String,
}

/// A package as the mediator sees it: options and, in words, what it asks
/// of each party.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageView {
    /// One option per issue.
    pub choices: Vec<Choice>,
    /// "Russia accepts «…» on «…»", for every issue where the package's
    /// option is not the one the party values most.
    pub asks: Vec<String>,
}

/// What the mediator learns from the models: yes/no facts, packages and
/// words, never a model's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediatorAnalysis {
    /// Parties whose models count.
    pub counted: Vec<PartyRef>,
    /// Counted parties without a model.
    pub missing: Vec<PartyRef>,
    /// True when a counted party has no model: the zone is then that of
    /// the others only.
    pub partial: bool,
    /// Whether the mediator's own model counts (the room's setting).
    pub mediator_counts: bool,
    /// The room's label for illustrative models, when a counted model is one.
    pub hypothetical: Option<String>,
    /// False when fewer than two counted parties have a model.
    pub computed: bool,
    /// How many packages there are (the product of the issues' option counts).
    pub outcomes: u64,
    /// Whether some package is acceptable to every counted party.
    pub zone_exists: bool,
    /// How many packages are.
    pub zone_size: u64,
    /// Sets of issues (titles) that, as things stand, keep the zone empty.
    pub blocking: Vec<Vec<String>>,
    /// True when there were more blocking sets than shown.
    pub blocking_truncated: bool,
    /// Suggested packages: efficient packages inside the zone.
    pub packages: Vec<PackageView>,
    /// The Nash package (maximises the product of gains over reservation values).
    pub nash: Option<PackageView>,
}

/// The zone facts the analysis is built from, in scenario indices.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZoneFacts {
    /// Packages acceptable to all.
    pub size: u64,
    /// Suggested packages as option indices per issue.
    pub packages: Vec<Vec<u32>>,
    /// Nash package(s) as option indices per issue.
    pub nash: Vec<Vec<u32>>,
    /// Blocking sets of issue indices.
    pub blocking: Vec<Vec<usize>>,
    /// More blocking sets exist than listed.
    pub blocking_truncated: bool,
}

impl MediatorAnalysis {
    /// Puts zone facts into words. `scenario` and `mapping` come from
    /// [`scenario_from_models`]; the numbers in them stay here.
    pub fn build(
        room: &Room,
        scenario: &Scenario,
        mapping: &Mapping,
        facts: &ZoneFacts,
        include_mediator: bool,
    ) -> MediatorAnalysis {
        let computed = scenario.parties.len() >= 2;
        let package = |digits: &[u32]| package_view(scenario, mapping, digits);
        MediatorAnalysis {
            counted: counted_parties(room, include_mediator),
            missing: mapping.missing.clone(),
            partial: !mapping.missing.is_empty(),
            mediator_counts: include_mediator,
            hypothetical: mapping
                .hypothetical
                .then(|| hypothetical_label(room).unwrap_or_else(|| "HYPOTHETICAL".into())),
            computed,
            outcomes: scenario.space.count().as_u64().unwrap_or(u64::MAX),
            zone_exists: computed && facts.size > 0,
            zone_size: if computed { facts.size } else { 0 },
            blocking: facts
                .blocking
                .iter()
                .map(|set| {
                    set.iter()
                        .filter_map(|&i| mapping.issues.get(i).map(|x| x.title.clone()))
                        .collect()
                })
                .collect(),
            blocking_truncated: facts.blocking_truncated,
            packages: if computed {
                facts.packages.iter().map(|d| package(d)).collect()
            } else {
                Vec::new()
            },
            nash: if computed {
                facts.nash.first().map(|d| package(d))
            } else {
                None
            },
        }
    }
}

impl MediatorAnalysis {
    /// The zone as the mediator's briefing reports it; `None` until two
    /// counted parties have a model.
    pub fn zone_status(&self) -> Option<crate::briefing::ZoneStatus> {
        if !self.computed {
            return None;
        }
        let mut notes = Vec::new();
        if let Some(h) = &self.hypothetical {
            notes.push(h.clone());
        }
        if self.partial {
            let names: Vec<&str> = self.missing.iter().map(|p| p.name.as_str()).collect();
            notes.push(format!("Partial: no model from {}.", names.join(", ")));
        }
        Some(crate::briefing::ZoneStatus {
            empty: !self.zone_exists,
            size: self.zone_size,
            outcomes: self.outcomes,
            package: self
                .nash
                .iter()
                .flat_map(|p| &p.choices)
                .map(|c| (c.issue_title.clone(), c.option_label.clone()))
                .collect(),
            blocking_sets: self.blocking.clone(),
            note: (!notes.is_empty()).then(|| notes.join(" ")),
        })
    }
}

/// The package `digits` as labels, with what it asks of each party.
fn package_view(scenario: &Scenario, mapping: &Mapping, digits: &[u32]) -> PackageView {
    let mut choices = Vec::new();
    let mut asks = Vec::new();
    for (i, (issue, &k)) in mapping.issues.iter().zip(digits).enumerate() {
        let Some((oid, label)) = issue.options.get(k as usize) else {
            continue;
        };
        choices.push(Choice {
            issue_id: issue.id.clone(),
            issue_title: issue.title.clone(),
            option_id: oid.clone(),
            option_label: label.clone(),
        });
        for (party, p) in mapping.parties.iter().zip(&scenario.parties) {
            let Some(term) = p.ufun.additive.terms.get(i) else {
                continue;
            };
            let ValueFunction::Table(values) = &term.value else {
                continue;
            };
            let best = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if term.weight > 0.0 && values.get(k as usize).is_some_and(|&v| v < best) {
                asks.push(format!(
                    "{} accepts «{}» on «{}»",
                    party.name, label, issue.title
                ));
            }
        }
    }
    PackageView { choices, asks }
}

/// A package given as option ids, read back into scenario digits; `None`
/// when it names an unknown issue or option or leaves an issue open.
pub fn digits_of(mapping: &Mapping, package: &BTreeMap<String, String>) -> Option<Vec<u32>> {
    mapping
        .issues
        .iter()
        .map(|i| {
            let o = package.get(&i.id)?;
            i.options
                .iter()
                .position(|(id, _)| id == o)
                .map(|k| k as u32)
        })
        .collect()
}

/// Why an uploaded GENIUS profile was refused.
fn genius_error(message: impl Into<String>) -> FieldError {
    FieldError::new("genius_xml", message)
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Reads a GENIUS utility-space XML (a linear additive profile with discrete
/// issues) into a model for `party_id`. Issues are matched to the room's by
/// id or title, values to options by id, by the id's part after the issue
/// (`deferred` for `nato_membership.deferred`) or by label. Evaluations are
/// divided by the issue's largest, as GENIUS does; the reservation value is
/// taken as written (0 when absent).
pub fn from_genius(
    room: &Room,
    party_id: &str,
    xml: &str,
    shared_with_mediator: bool,
) -> Result<PreferenceInput, FieldError> {
    use pactum_formats::genius::{parse_any, read_profile, FileKind};
    let file = std::path::Path::new("uploaded profile");
    let (kind, doc) = parse_any(file, xml).map_err(|e| genius_error(e.to_string()))?;
    if kind != FileKind::Profile {
        return Err(genius_error(
            "expected a GENIUS profile (<utility_space>), not a domain or another file",
        ));
    }
    let profile = read_profile(file, &doc).map_err(|e| genius_error(e.to_string()))?;
    if profile.nonlinear.is_some() {
        return Err(genius_error(
            "hyper-rectangle (nonlinear) profiles cannot be entered as a model; use a linear additive profile",
        ));
    }
    let mut issues = Vec::new();
    for pi in &profile.issues {
        let issue = room
            .live_issues()
            .find(|i| {
                same(i.id(), &pi.name) || i.title.as_deref().is_some_and(|t| same(t, &pi.name))
            })
            .ok_or_else(|| {
                genius_error(format!(
                    "line {}: issue {:?} matches no issue of the room (by id or title)",
                    pi.line, pi.name
                ))
            })?;
        if pi.items.is_empty() {
            return Err(genius_error(format!(
                "line {}: issue {:?} has no <item> evaluations (only discrete issues can be entered)",
                pi.line, pi.name
            )));
        }
        let weight = profile
            .weights
            .iter()
            .find(|w| Some(w.index) == pi.index)
            .map(|w| w.value)
            .ok_or_else(|| {
                genius_error(format!(
                    "line {}: issue {:?} has no <weight> (matched by index)",
                    pi.line, pi.name
                ))
            })?;
        if let Some(why) = out_of_unit(weight) {
            return Err(genius_error(format!(
                "line {}: weight of issue {:?}: {why}",
                pi.line, pi.name
            )));
        }
        let options = options_of(&issue);
        let max = pi
            .items
            .iter()
            .filter_map(|it| it.evaluation)
            .fold(0.0_f64, f64::max);
        let mut values = Vec::new();
        for it in &pi.items {
            let (oid, _) = options
                .iter()
                .find(|(id, label)| {
                    same(id, &it.value)
                        || id
                            .split_once('.')
                            .is_some_and(|(_, tail)| same(tail, &it.value))
                        || same(label, &it.value)
                })
                .ok_or_else(|| {
                    genius_error(format!(
                        "line {}: value {:?} of issue {:?} matches no option of {:?} (by id or label)",
                        it.line, it.value, pi.name, issue.id()
                    ))
                })?;
            let e = it.evaluation.unwrap_or(0.0);
            if !e.is_finite() || e < 0.0 {
                return Err(genius_error(format!(
                    "line {}: evaluation of value {:?} of issue {:?}: expected a number ≥ 0, got {e}",
                    it.line, it.value, pi.name
                )));
            }
            values.push(OptionValueInput {
                option_id: oid.to_string(),
                value: if max > 0.0 { e / max } else { 0.0 },
            });
        }
        issues.push(IssueModelInput {
            issue_id: issue.id().to_string(),
            weight,
            option_values: values,
        });
    }
    let reservation_value = profile.reservation.unwrap_or(0.0);
    if let Some(why) = out_of_unit(reservation_value) {
        return Err(genius_error(format!("reservation value: {why}")));
    }
    Ok(PreferenceInput {
        party_id: party_id.to_string(),
        reservation_value,
        issues,
        shared_with_mediator,
    })
}

/// The analysis the mediator sees, computed from `room`, which must hold
/// every model (see [`scenario_from_models`]).
pub fn analyze(room: &Room) -> MediatorAnalysis {
    let include = mediator_counts(room);
    let (scenario, mapping) = scenario_from_models(room, include);
    let facts = if scenario.parties.len() >= 2 {
        zone_facts(&scenario)
    } else {
        Some(ZoneFacts::default())
    };
    let mut view = MediatorAnalysis::build(
        room,
        &scenario,
        &mapping,
        facts.as_ref().unwrap_or(&ZoneFacts::default()),
        include,
    );
    if facts.is_none() {
        view.computed = false;
        view.zone_exists = false;
    }
    view
}

/// How many suggested packages the view lists: a frontier can hold hundreds
/// of packages, and a mediator reads a handful.
pub const MAX_PACKAGES: usize = 12;

/// Zone facts of a scenario, from [`pactum_core::zone`] (GENIUS semantics:
/// the disagreement point is the reservation values as declared). `None`
/// when the space is too large to enumerate.
fn zone_facts(scenario: &Scenario) -> Option<ZoneFacts> {
    let z = pactum_core::zone(scenario, &pactum_core::ZoneOptions::default()).ok()?;
    let n = scenario.space.issues.len();
    let digits = |p: &pactum_core::Point| {
        let mut d = vec![0u32; n];
        scenario.space.digits(p.outcome, &mut d);
        d
    };
    Some(ZoneFacts {
        size: z.size,
        packages: z.packages.iter().take(MAX_PACKAGES).map(digits).collect(),
        nash: z.nash.iter().map(digits).collect(),
        blocking: z.blocking_sets,
        blocking_truncated: z.blocking_truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::demo_room as demo;

    fn input(party: &str) -> PreferenceInput {
        PreferenceInput {
            party_id: party.into(),
            reservation_value: 0.4,
            issues: vec![IssueModelInput {
                issue_id: "nato_membership".into(),
                weight: 1.0,
                option_values: vec![OptionValueInput {
                    option_id: "nato_membership.deferred".into(),
                    value: 0.7,
                }],
            }],
            shared_with_mediator: false,
        }
    }

    type Change = Box<dyn Fn(&mut PreferenceInput)>;

    #[test]
    fn bad_models_name_the_field() {
        let room = demo();
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|i| i.party_id = "nobody".into()), "party_id"),
            (
                Box::new(|i| i.party_id = "european_states".into()),
                "party_id",
            ),
            (
                Box::new(|i| i.reservation_value = f64::NAN),
                "reservation_value",
            ),
            (
                Box::new(|i| i.issues[0].issue_id = "x".into()),
                "issues[0].issue_id",
            ),
            (Box::new(|i| i.issues[0].weight = -1.0), "issues[0].weight"),
            (
                Box::new(|i| i.issues[0].weight = f64::INFINITY),
                "issues[0].weight",
            ),
            (
                Box::new(|i| {
                    i.issues[0].option_values[0].option_id =
                        "territory_status.de_jure_recognition".into()
                }),
                "issues[0].option_values[0].option_id",
            ),
            (
                Box::new(|i| i.issues[0].option_values[0].value = f64::NAN),
                "issues[0].option_values[0].value",
            ),
            (
                Box::new(|i| {
                    let again = i.issues[0].clone();
                    i.issues.push(again)
                }),
                "issues[1].issue_id",
            ),
        ];
        for (change, field) in cases {
            let mut i = input("russia");
            change(&mut i);
            assert_eq!(i.into_record(&room).unwrap_err().field, field);
        }
    }

    #[test]
    fn visibility_follows_sharing_and_the_mediator_keeps_its_own() {
        let room = demo();
        let r = input("russia").into_record(&room).unwrap();
        assert_eq!(
            r.visibility,
            Visibility::Party {
                party: "russia".into()
            }
        );
        let mut shared = input("russia");
        shared.shared_with_mediator = true;
        assert_eq!(
            shared.into_record(&room).unwrap().visibility,
            Visibility::PartyAndMediator {
                party: "russia".into()
            }
        );
        let mut med = input("united_states");
        med.shared_with_mediator = true;
        assert_eq!(
            med.into_record(&room).unwrap().visibility,
            Visibility::Party {
                party: "united_states".into()
            }
        );
    }

    #[test]
    fn a_written_model_reads_back_as_written() {
        let room = demo();
        let r = input("ukraine").into_record(&room).unwrap();
        let back = PreferenceInput::of_record(&room, &r);
        assert_eq!(back.reservation_value, 0.4);
        let nato = back
            .issues
            .iter()
            .find(|i| i.issue_id == "nato_membership")
            .unwrap();
        assert_eq!(nato.weight, 1.0);
        let deferred = nato
            .option_values
            .iter()
            .find(|v| v.option_id == "nato_membership.deferred")
            .unwrap();
        assert_eq!(deferred.value, 0.7);
        // Left-out issues and options read as 0.
        assert!(back
            .issues
            .iter()
            .filter(|i| i.issue_id != "nato_membership")
            .all(|i| i.weight == 0.0));
    }

    #[test]
    fn the_demo_analysis_is_hypothetical_and_free_of_model_numbers() {
        let room = demo();
        let a = analyze(&room);
        assert!(a.computed);
        assert!(a
            .hypothetical
            .as_deref()
            .unwrap()
            .starts_with("HYPOTHETICAL"));
        assert!(!a.mediator_counts);
        assert_eq!(a.counted.len(), 2, "parties only by default");
        // The only numbers in the view are the count of packages and the
        // zone size; the models' numbers (weights, values, reservations)
        // appear nowhere.
        let json = serde_json::to_value(&a).unwrap();
        fn numbers(v: &Value, out: &mut Vec<f64>) {
            match v {
                Value::Number(n) => out.push(n.as_f64().unwrap()),
                Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
                Value::Object(m) => m.values().for_each(|x| numbers(x, out)),
                _ => {}
            }
        }
        let mut ns = Vec::new();
        numbers(&json, &mut ns);
        assert_eq!(ns, vec![a.outcomes as f64, a.zone_size as f64]);
        assert_eq!(a.outcomes, 729);
        let z = a.zone_status().unwrap();
        assert_eq!((z.empty, z.size), (!a.zone_exists, a.zone_size));
        assert!(z.note.unwrap().starts_with("HYPOTHETICAL"));
        // With the mediator counting, three parties.
        let mut room = room;
        let set = set_mediator_counts(&room, true);
        room.retain(|r| r.kind != Kind::PreferenceSet);
        room.push(set);
        assert_eq!(analyze(&room).counted.len(), 3);
    }

    #[test]
    fn an_empty_zone_names_the_issue_that_blocks_it() {
        // Russia and Ukraine care only about NATO membership, each needs its
        // own best option to reach its reservation value, and their best
        // options differ: no package clears both, whatever else is settled,
        // and NATO membership alone is the reason.
        let mut room = demo();
        room.retain(|r| r.kind != Kind::Preference);
        for (party, best) in [("russia", "renounce"), ("ukraine", "keep_open")] {
            let m = PreferenceInput {
                party_id: party.into(),
                reservation_value: 0.9,
                issues: vec![IssueModelInput {
                    issue_id: "nato_membership".into(),
                    weight: 1.0,
                    option_values: vec![OptionValueInput {
                        option_id: format!("nato_membership.{best}"),
                        value: 1.0,
                    }],
                }],
                shared_with_mediator: false,
            };
            room.push(m.into_record(&room).unwrap());
        }
        let a = analyze(&room);
        assert!(a.computed && !a.zone_exists && a.zone_size == 0);
        assert!(a.nash.is_none() && a.packages.is_empty());
        assert_eq!(
            a.blocking,
            vec![vec!["Ukraine's prospective NATO membership".to_string()]]
        );
        assert!(a.hypothetical.is_none(), "no illustrative model counts");
        // Withdrawing one model leaves one counted party: nothing to compute.
        let w = withdrawn(&room, "ukraine");
        room.retain(|r| !(r.kind == Kind::Preference && r.id == "ukraine"));
        room.push(w);
        let a = analyze(&room);
        assert!(!a.computed && a.partial);
        assert_eq!(a.missing[0].id, "ukraine");
    }

    #[test]
    fn asks_name_what_a_party_gives_up() {
        let room = demo();
        let (scenario, mapping) = scenario_from_models(&room, false);
        // Russia's best option on territory is de jure recognition; a
        // package with the deferred option asks Russia to accept it.
        let t = mapping
            .issues
            .iter()
            .position(|i| i.id == "territory_status")
            .unwrap();
        let mut digits = vec![0u32; mapping.issues.len()];
        digits[t] = mapping.issues[t]
            .options
            .iter()
            .position(|(o, _)| o == "territory_status.deferred_after_ceasefire")
            .unwrap() as u32;
        let p = package_view(&scenario, &mapping, &digits);
        let russia = room
            .get(Kind::Party, "russia")
            .unwrap()
            .str("name")
            .unwrap();
        assert!(
            p.asks
                .iter()
                .any(|s| s.starts_with(russia) && s.contains("Ceasefire on the current line")),
            "{:?}",
            p.asks
        );
    }

    #[test]
    fn genius_profiles_name_what_does_not_match() {
        let room = demo();
        let xml = r#"<utility_space><objective index="0" name="o">
            <issue index="1" name="Withdrawal from Donetsk region" type="discrete">
              <item index="1" value="full_withdrawal" evaluation="3"/>
              <item index="2" value="NO_WITHDRAWAL" evaluation="6"/>
            </issue><weight index="1" value="0.5"/>
          </objective></utility_space>"#;
        let m = from_genius(&room, "ukraine", xml, true).unwrap();
        assert_eq!(m.issues[0].issue_id, "donetsk_withdrawal");
        assert_eq!(m.issues[0].option_values[0].value, 0.5);
        assert_eq!(
            m.issues[0].option_values[1].option_id,
            "donetsk_withdrawal.no_withdrawal"
        );
        assert_eq!(m.reservation_value, 0.0);
        let e = from_genius(
            &room,
            "ukraine",
            &xml.replace("Donetsk region", "Mars"),
            true,
        )
        .unwrap_err();
        assert!(e.message.contains("Withdrawal from Mars"), "{e}");
        let e = from_genius(&room, "ukraine", "<negotiation_template/>", true).unwrap_err();
        assert_eq!(e.field, "genius_xml");
    }

    /// Every number of a model lives on the [0, 1] utility scale; one off
    /// it is refused naming the field and the number, and the boundaries
    /// themselves are accepted.
    #[test]
    fn model_numbers_outside_zero_one_are_refused() {
        let room = demo();
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|i| i.issues[0].weight = 1.5),
                "issues[0].weight",
                "1.5",
            ),
            (
                Box::new(|i| i.issues[0].weight = -0.25),
                "issues[0].weight",
                "-0.25",
            ),
            (
                Box::new(|i| i.issues[0].option_values[0].value = 1.01),
                "issues[0].option_values[0].value",
                "1.01",
            ),
            (
                Box::new(|i| i.issues[0].option_values[0].value = -3.0),
                "issues[0].option_values[0].value",
                "-3",
            ),
            (
                Box::new(|i| i.reservation_value = 2.0),
                "reservation_value",
                "2",
            ),
            (
                Box::new(|i| i.reservation_value = -0.5),
                "reservation_value",
                "-0.5",
            ),
            (
                Box::new(|i| i.reservation_value = f64::INFINITY),
                "reservation_value",
                "inf",
            ),
        ];
        for (change, field, got) in cases {
            let mut i = input("russia");
            change(&mut i);
            let e = i.into_record(&room).unwrap_err();
            assert_eq!(e.field, field);
            assert_eq!(
                e.message,
                format!("expected a number in [0, 1], got {got}"),
                "{field}"
            );
        }
        let mut edge = input("russia");
        edge.reservation_value = 1.0;
        edge.issues[0].weight = 0.0;
        edge.issues[0].option_values[0].value = 1.0;
        assert!(edge.into_record(&room).is_ok());
        edge = input("russia");
        edge.reservation_value = 0.0;
        edge.issues[0].weight = 1.0;
        edge.issues[0].option_values[0].value = 0.0;
        assert!(edge.into_record(&room).is_ok());
    }

    #[test]
    fn genius_numbers_outside_zero_one_are_refused() {
        let room = demo();
        let xml = |weight: &str, evaluation: &str, reservation: &str| {
            format!(
                r#"<utility_space><objective index="0" name="o">
            <issue index="1" name="Withdrawal from Donetsk region" type="discrete">
              <item index="1" value="full_withdrawal" evaluation="{evaluation}"/>
              <item index="2" value="NO_WITHDRAWAL" evaluation="6"/>
            </issue><weight index="1" value="{weight}"/>
          </objective>{reservation}</utility_space>"#
            )
        };
        assert!(from_genius(
            &room,
            "ukraine",
            &xml("1", "0", r#"<reservation value="1"/>"#),
            false
        )
        .is_ok());
        for (weight, evaluation, reservation, says) in [
            ("1.5", "3", "", "weight of issue \"Withdrawal from Donetsk region\": expected a number in [0, 1], got 1.5"),
            ("0.5", "-3", "", "evaluation of value \"full_withdrawal\""),
            ("0.5", "3", r#"<reservation value="1.2"/>"#, "reservation value: expected a number in [0, 1], got 1.2"),
        ] {
            let e = from_genius(&room, "ukraine", &xml(weight, evaluation, reservation), false)
                .unwrap_err();
            assert_eq!(e.field, "genius_xml");
            assert!(e.message.contains(says), "{e}");
        }
    }
}
