//! Single-text voting sessions.
//!
//! The mediator holds a package (one option per issue), proposes a change,
//! and each counted party's delegate votes on it in its own view, or lets
//! its model vote (accept exactly when the proposal strictly raises the
//! model's utility). A proposal is adopted only when every counted party
//! accepts: a single text moves by consensus, and a rejection leaves the
//! current package as it was. Closing the session writes a new draft version
//! of the text with the adopted options.
//!
//! A session is a [`Kind::Session`] record visible to its parties and the
//! mediator; it says which proposals were adopted, never who voted how.
//! Each vote is a [`Kind::Vote`] record visible to its party and the
//! mediator, so a party sees its own votes and the mediator the tally.

use crate::body::{Issue, TypedBody};
use crate::model::{points, DraftInput, FieldError, Kind, PointInput, Record, Room};
use crate::preference::{counted_parties, mediator_counts, ModelView};
use crate::redline::PointRef;
use crate::visibility::Visibility;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A package: issue id → option id.
pub type Package = BTreeMap<String, String>;

/// Opening a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// What the session is about.
    pub title: String,
    /// The starting package: one option for every issue that has options
    /// (the Nash package, a suggested package or a hand-picked one).
    pub package: Package,
}

/// A proposal: the options it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalInput {
    /// Issue id → the proposed option.
    pub changes: Package,
}

/// A party's answer to the open proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ballot {
    /// Accept the proposal.
    Accept,
    /// Reject it.
    Reject,
    /// Let the party's own model decide (accept iff its utility strictly rises).
    Model,
}

/// A vote as a delegate casts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    /// The answer.
    pub ballot: Ballot,
}

fn issue_options(room: &Room) -> Vec<(String, Vec<String>)> {
    room.live_issues()
        .filter_map(|i| {
            let os: Vec<String> = i.live_options().map(|(o, _)| o.to_string()).collect();
            (!os.is_empty()).then(|| (i.id().to_string(), os))
        })
        .collect()
}

fn check_options(room: &Room, field: &str, p: &Package, complete: bool) -> Result<(), FieldError> {
    let issues = issue_options(room);
    for (i, o) in p {
        let Some((_, os)) = issues.iter().find(|(id, _)| id == i) else {
            return Err(FieldError::new(
                format!("{field}.{i}"),
                "unknown issue (or an issue without options)",
            ));
        };
        if !os.contains(o) {
            return Err(FieldError::new(
                format!("{field}.{i}"),
                format!("{o:?} is not an option of this issue"),
            ));
        }
    }
    if complete {
        if let Some((i, _)) = issues.iter().find(|(i, _)| !p.contains_key(i)) {
            return Err(FieldError::new(
                format!("{field}.{i}"),
                "missing (the package needs an option for every issue)",
            ));
        }
    } else if p.is_empty() {
        return Err(FieldError::new(field, "change at least one option"));
    }
    Ok(())
}

fn package_of(v: Option<&Value>) -> Package {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A session record read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionView {
    /// Record id.
    pub id: String,
    /// Title.
    pub title: String,
    /// True until closed.
    pub open: bool,
    /// The parties whose votes count.
    pub parties: Vec<String>,
    /// The package as it stands.
    pub current: Package,
    /// The open proposal's full package, if one is open.
    pub proposal: Option<Package>,
    /// The open proposal's round (1-based; 0 before the first).
    pub round: u64,
    /// Past rounds: proposal and whether it was adopted.
    pub rounds: Vec<(u64, Package, bool)>,
    /// The draft written at closing.
    pub text_id: Option<String>,
}

impl SessionView {
    /// Reads a session record.
    pub fn parse(r: &Record) -> SessionView {
        SessionView {
            id: r.id.clone(),
            title: r.str("title").unwrap_or(&r.id).to_string(),
            open: r.str("status") == Some("open"),
            parties: r
                .strs("party_ids")
                .into_iter()
                .map(str::to_string)
                .collect(),
            current: package_of(r.body.get("current")),
            proposal: r
                .body
                .get("proposal")
                .filter(|v| v.is_object())
                .map(|v| package_of(Some(v))),
            round: r.body.get("round").and_then(Value::as_u64).unwrap_or(0),
            rounds: r
                .body
                .get("rounds")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|x| {
                    (
                        x.get("round").and_then(Value::as_u64).unwrap_or(0),
                        package_of(x.get("proposal")),
                        x.get("adopted").and_then(Value::as_bool) == Some(true),
                    )
                })
                .collect(),
            text_id: r.str("text_id").map(str::to_string),
        }
    }
}

impl SessionInput {
    /// Builds the session record. The counted parties are fixed now: every
    /// party, and the mediator when the room says its model counts.
    pub fn into_record(self, room: &Room, id: String) -> Result<Record, FieldError> {
        if self.title.trim().is_empty() {
            return Err(FieldError::new("title", "must not be empty"));
        }
        check_options(room, "package", &self.package, true)?;
        let include = mediator_counts(room);
        let parties: Vec<String> = counted_parties(room, include)
            .into_iter()
            .map(|p| p.id)
            .collect();
        if parties.is_empty() {
            return Err(FieldError::new(
                "package",
                "the room has no parties to vote",
            ));
        }
        let audience: Vec<String> = parties
            .iter()
            .filter(|p| Some(p.as_str()) != room.mediator())
            .cloned()
            .collect();
        let body = serde_json::json!({
            "id": id,
            "title": self.title,
            "status": "open",
            "party_ids": parties,
            "mediator_counts": include,
            "current": self.package,
            "proposal": null,
            "round": 0,
            "rounds": [],
            "text_id": null,
        });
        Ok(Record {
            kind: Kind::Session,
            id,
            visibility: Visibility::Parties { parties: audience },
            body: body.as_object().cloned().unwrap_or_default(),
        })
    }
}

fn conflict(message: &str) -> FieldError {
    FieldError::new("session", message)
}

/// Puts a proposal to the parties.
pub fn propose(room: &Room, session: &mut Record, input: &ProposalInput) -> Result<(), FieldError> {
    let s = SessionView::parse(session);
    if !s.open {
        return Err(conflict("the session is closed"));
    }
    if s.proposal.is_some() {
        return Err(conflict(
            "a proposal is open; decide on it before proposing another",
        ));
    }
    check_options(room, "changes", &input.changes, false)?;
    let mut next = s.current.clone();
    for (i, o) in &input.changes {
        next.insert(i.clone(), o.clone());
    }
    if next == s.current {
        return Err(FieldError::new(
            "changes",
            "the proposal changes nothing in the current package",
        ));
    }
    session
        .body
        .insert("proposal".into(), serde_json::json!(next));
    session
        .body
        .insert("round".into(), serde_json::json!(s.round + 1));
    Ok(())
}

/// The vote record id of a party in a round.
pub fn vote_id(session_id: &str, round: u64, party: &str) -> String {
    format!("{session_id}.r{round}.{party}")
}

/// Casts `party`'s vote on the open proposal. With [`Ballot::Model`] the
/// party's own model decides; `model` is that party's record as the party
/// itself sees it, and nothing of it goes into the vote but accept/reject.
pub fn cast(
    session: &Record,
    party: &str,
    ballot: Ballot,
    model: Option<&Record>,
    user: &str,
) -> Result<Record, FieldError> {
    let s = SessionView::parse(session);
    if !s.open {
        return Err(conflict("the session is closed"));
    }
    let Some(proposal) = &s.proposal else {
        return Err(conflict("no proposal is open"));
    };
    if !s.parties.iter().any(|p| p == party) {
        return Err(FieldError::new(
            "ballot",
            "your party does not vote in this session",
        ));
    }
    let (accept, by_model) = match ballot {
        Ballot::Accept => (true, false),
        Ballot::Reject => (false, false),
        Ballot::Model => {
            let model = model.ok_or_else(|| {
                FieldError::new(
                    "ballot",
                    "your party has no preference model to vote with; enter one first",
                )
            })?;
            (model_accepts(model, &s.current, proposal), true)
        }
    };
    let id = vote_id(&s.id, s.round, party);
    let body = serde_json::json!({
        "id": id,
        "session_id": s.id,
        "round": s.round,
        "party_id": party,
        "vote": if accept { "accept" } else { "reject" },
        "by_model": by_model,
        "cast_by": user,
    });
    Ok(Record {
        kind: Kind::Vote,
        id,
        visibility: Visibility::PartyAndMediator {
            party: party.to_string(),
        },
        body: body.as_object().cloned().unwrap_or_default(),
    })
}

/// The model's vote: accept exactly when the proposal's utility is strictly
/// higher than the current package's. This is `pactum_mediation::Truthful`
/// at temperature 0, restated on a room's model (labels, not indices) so
/// the workspace need not depend on the negotiation engine for one comparison.
pub fn model_accepts(model: &Record, current: &Package, proposal: &Package) -> bool {
    let m = ModelView::parse(model);
    m.utility(proposal) > m.utility(current)
}

/// The votes cast on the open round, by party (`true` = accept).
pub fn tally(session: &Record, votes: &[&Record]) -> BTreeMap<String, bool> {
    let s = SessionView::parse(session);
    votes
        .iter()
        .filter_map(|v| match TypedBody::of(v) {
            TypedBody::Vote(v) => Some(v),
            _ => None,
        })
        .filter(|v| v.session_id.as_deref() == Some(s.id.as_str()) && v.round == Some(s.round))
        .filter_map(|v| {
            let accepts = v.accepts();
            Some((v.party_id?, accepts))
        })
        .collect()
}

/// Decides the open proposal once every counted party has voted: adopted
/// (it becomes the current package) when all accept, dropped otherwise.
/// Returns whether it was adopted.
pub fn decide(session: &mut Record, votes: &[&Record]) -> Result<bool, FieldError> {
    let s = SessionView::parse(session);
    let Some(proposal) = s.proposal.clone() else {
        return Err(conflict("no proposal is open"));
    };
    let t = tally(session, votes);
    let waiting: Vec<&str> = s
        .parties
        .iter()
        .filter(|p| !t.contains_key(*p))
        .map(String::as_str)
        .collect();
    if !waiting.is_empty() {
        return Err(conflict(&format!(
            "waiting for votes from {}",
            waiting.join(", ")
        )));
    }
    let adopted = s.parties.iter().all(|p| t.get(p) == Some(&true));
    if adopted {
        session
            .body
            .insert("current".into(), serde_json::json!(proposal));
    }
    session.body.insert("proposal".into(), Value::Null);
    let entry = serde_json::json!({"round": s.round, "proposal": proposal, "adopted": adopted});
    match session.body.get_mut("rounds").and_then(Value::as_array_mut) {
        Some(a) => a.push(entry),
        None => {
            session
                .body
                .insert("rounds".into(), Value::Array(vec![entry]));
        }
    }
    Ok(adopted)
}

fn key_for(raw: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let mut key: String = raw
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '_'
            }
        })
        .collect();
    if key.is_empty() {
        key = "point".into();
    }
    let base = key.clone();
    let mut n = 2;
    while !taken.insert(key.clone()) {
        key = format!("{base}_{n}");
        n += 1;
    }
    key
}

/// The draft a closed session leaves: the base text's points in order,
/// those bearing on a session issue reworded to name the adopted option, and
/// one new point for each issue the base text has no point for.
pub fn draft_of(room: &Room, session: &Record, base: Option<&Record>) -> DraftInput {
    let s = SessionView::parse(session);
    let label_of = |issue: &str, option: &str| -> Option<(String, String)> {
        let i = room.find::<Issue>(issue)?;
        let title = i.title.as_deref().unwrap_or(issue).to_string();
        let label = i.option(option)?.label.as_deref().unwrap_or(option);
        Some((title, label.to_string()))
    };
    let line = |issue: &str| {
        s.current
            .get(issue)
            .and_then(|o| label_of(issue, o))
            .map(|(t, l)| format!("{t}: {l}."))
    };
    let mut taken = std::collections::HashSet::new();
    let mut covered = std::collections::HashSet::new();
    let mut pts = Vec::new();
    for p in base.map(points).unwrap_or_default() {
        let lines: Vec<String> = p.issue_ids.iter().filter_map(|i| line(i)).collect();
        covered.extend(
            p.issue_ids
                .iter()
                .filter(|i| s.current.contains_key(*i))
                .cloned(),
        );
        let title = if p.title.is_empty() {
            p.summary.clone()
        } else {
            p.title.clone()
        };
        pts.push(PointInput {
            key: key_for(PointRef::key_of(&p.id), &mut taken),
            title: if title.trim().is_empty() {
                format!("Point {}", pts.len() + 1)
            } else {
                title
            },
            body: if lines.is_empty() {
                p.body.clone()
            } else {
                lines.join(" ")
            },
            issue_ids: p.issue_ids.clone(),
            derived_from: Vec::new(),
        });
    }
    for (issue, option) in &s.current {
        if covered.contains(issue) {
            continue;
        }
        if let Some((title, label)) = label_of(issue, option) {
            pts.push(PointInput {
                key: key_for(issue, &mut taken),
                title: title.clone(),
                body: format!("{title}: {label}."),
                issue_ids: vec![issue.clone()],
                derived_from: Vec::new(),
            });
        }
    }
    DraftInput {
        label: format!("{} (single-text session)", s.title),
        derived_from_text_id: base.map(|b| b.id.clone()),
        points: pts,
    }
}

/// Marks the session closed, naming the draft it produced.
pub fn close(session: &mut Record, text_id: &str) -> Result<(), FieldError> {
    let s = SessionView::parse(session);
    if !s.open {
        return Err(conflict("the session is closed already"));
    }
    if s.proposal.is_some() {
        return Err(conflict("a proposal is open; decide on it before closing"));
    }
    session.body.insert("status".into(), "closed".into());
    session.body.insert("text_id".into(), text_id.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case;
    use crate::case::demo_room as demo;
    use crate::preference::{IssueModelInput, OptionValueInput, PreferenceInput};

    fn first_package(room: &Room) -> Package {
        issue_options(room)
            .into_iter()
            .map(|(i, os)| (i, os[0].clone()))
            .collect()
    }

    fn model(room: &Room, party: &str, nato: [f64; 3]) -> Record {
        let ids = ["renounce", "deferred", "keep_open"];
        PreferenceInput {
            party_id: party.into(),
            reservation_value: 0.0,
            issues: vec![IssueModelInput {
                issue_id: "nato_membership".into(),
                weight: 1.0,
                option_values: ids
                    .iter()
                    .zip(nato)
                    .map(|(o, v)| OptionValueInput {
                        option_id: format!("nato_membership.{o}"),
                        value: v,
                    })
                    .collect(),
            }],
            shared_with_mediator: false,
        }
        .into_record(room)
        .unwrap()
    }

    #[test]
    fn a_session_runs_by_consensus_and_leaves_a_draft() {
        let room = demo();
        let mut s = SessionInput {
            title: "Talks".into(),
            package: first_package(&room),
        }
        .into_record(&room, "ses_1".into())
        .unwrap();
        assert_eq!(
            s.visibility,
            Visibility::Parties {
                parties: vec!["russia".into(), "ukraine".into()]
            }
        );
        let change = ProposalInput {
            changes: [(
                "nato_membership".to_string(),
                "nato_membership.deferred".to_string(),
            )]
            .into_iter()
            .collect(),
        };
        propose(&room, &mut s, &change).unwrap();
        assert_eq!(
            propose(&room, &mut s, &change).unwrap_err().field,
            "session"
        );
        // Russia's model prefers renounce (current), so its model rejects;
        // Ukraine's prefers deferred, so its model accepts.
        let ru = model(&room, "russia", [1.0, 0.5, 0.0]);
        let ua = model(&room, "ukraine", [0.0, 0.6, 1.0]);
        let v_ru = cast(&s, "russia", Ballot::Model, Some(&ru), "russia").unwrap();
        let v_ua = cast(&s, "ukraine", Ballot::Model, Some(&ua), "ukraine").unwrap();
        assert_eq!(v_ru.str("vote"), Some("reject"));
        assert_eq!(v_ua.str("vote"), Some("accept"));
        assert_eq!(
            v_ru.visibility,
            Visibility::PartyAndMediator {
                party: "russia".into()
            }
        );
        assert!(cast(&s, "european_states", Ballot::Accept, None, "eu").is_err());
        assert!(cast(&s, "russia", Ballot::Model, None, "russia").is_err());
        // Not everyone voted yet.
        assert!(decide(&mut s.clone(), &[&v_ru]).is_err());
        assert!(!decide(&mut s, &[&v_ru, &v_ua]).unwrap());
        assert_eq!(SessionView::parse(&s).current, first_package(&room));
        // Both accept the next proposal: adopted.
        propose(&room, &mut s, &change).unwrap();
        let a = cast(&s, "russia", Ballot::Accept, None, "russia").unwrap();
        let b = cast(&s, "ukraine", Ballot::Accept, None, "ukraine").unwrap();
        // Votes of the earlier round do not count in this one.
        assert!(decide(&mut s.clone(), &[&v_ru, &v_ua]).is_err());
        assert!(decide(&mut s, &[&a, &b]).unwrap());
        let view = SessionView::parse(&s);
        assert_eq!(view.current["nato_membership"], "nato_membership.deferred");
        assert_eq!(view.rounds.len(), 2);
        // The draft rewords the base text's NATO point and adds the issues
        // the base text has no point for.
        let base = room.get(Kind::Text, "v2_post_geneva").unwrap();
        let d = draft_of(&room, &s, Some(base));
        let nato = d
            .points
            .iter()
            .find(|p| p.key == "nato_membership")
            .unwrap();
        let label = room.get(Kind::Issue, "nato_membership").unwrap().body["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == "nato_membership.deferred")
            .unwrap()["label"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(nato.body.contains(&label), "{}", nato.body);
        for (issue, _) in issue_options(&room) {
            assert!(
                d.points.iter().any(|p| p.issue_ids.contains(&issue)),
                "{issue}"
            );
        }
        let text = d.into_record(&room, "tx_1".into(), "tx_1").unwrap();
        assert_eq!(text.visibility, Visibility::Mediator);
        close(&mut s, "tx_1").unwrap();
        assert!(close(&mut s, "tx_1").is_err());
    }

    #[test]
    fn a_vote_by_model_reads_only_the_voters_model() {
        let room = demo();
        let mut s = SessionInput {
            title: "T".into(),
            package: first_package(&room),
        }
        .into_record(&room, "ses_2".into())
        .unwrap();
        propose(
            &room,
            &mut s,
            &ProposalInput {
                changes: [(
                    "nato_membership".to_string(),
                    "nato_membership.keep_open".to_string(),
                )]
                .into_iter()
                .collect(),
            },
        )
        .unwrap();
        let ru = model(&room, "russia", [0.2, 0.5, 0.9]);
        let first = cast(&s, "russia", Ballot::Model, Some(&ru), "russia").unwrap();
        // Whatever anyone else's model says, Russia's vote is the same:
        // `cast` takes the voter's model and nothing else.
        for ua in [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.9, 0.3, 0.05]] {
            let _ = model(&room, "ukraine", ua);
            let again = cast(&s, "russia", Ballot::Model, Some(&ru), "russia").unwrap();
            assert_eq!(again.body, first.body);
        }
        // Equal utility is not an improvement.
        let flat = model(&room, "russia", [0.5, 0.5, 0.5]);
        let v = cast(&s, "russia", Ballot::Model, Some(&flat), "russia").unwrap();
        assert_eq!(v.str("vote"), Some("reject"));
    }

    #[test]
    fn sessions_and_votes_survive_export_and_import() {
        let room = demo();
        let s = SessionInput {
            title: "T".into(),
            package: first_package(&room),
        }
        .into_record(&room, "ses_3".into())
        .unwrap();
        let mut records = room.records().to_vec();
        records.push(s);
        let doc = case::export("r", "R", &records);
        let back = case::import(&doc.to_string()).unwrap();
        assert_eq!(back.records.len(), records.len());
        assert!(back
            .records
            .iter()
            .any(|r| r.kind == Kind::Session && r.id == "ses_3"));
        // A room without sessions exports as before (no empty collections).
        let plain = case::export("r", "R", room.records());
        assert!(plain.get("sessions").is_none() && plain.get("votes").is_none());
    }
}
