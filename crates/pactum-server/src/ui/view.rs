//! How records look on a page: labels, dates, audiences, stances and
//! targets turned into plain JSON for the templates, so that templates stay
//! free of logic and every page words things the same way.

use crate::access::{Role, RoomAccess};
use pactum_workspace::body::{
    Claim, Provenance, Stance, StanceTarget, Term, Text, TextStatus, Typed,
};
use pactum_workspace::model::{self, stance_glyph, Kind, PartyKind, PointView, Reliability, Room};
use pactum_workspace::redline::PointRef;
use pactum_workspace::Visibility;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Party names by id.
pub(crate) type Names<'a> = HashMap<&'a str, &'a str>;

pub(crate) fn role_label(r: Role) -> &'static str {
    match r {
        Role::Mediator => "Mediator",
        Role::Delegate => "Party delegate",
        Role::Observer => "Observer",
    }
}

pub(crate) fn party_kind_label(k: PartyKind) -> &'static str {
    match k {
        PartyKind::Mediator => "mediator",
        PartyKind::Party => "party",
        PartyKind::Observer => "observer",
    }
}

/// Stance names as a mediation team says them; "unknown" means the party
/// discussed the matter without disclosing its position.
pub(crate) fn stance_label(s: &str) -> &'static str {
    match s {
        "accepts" => "Accepts",
        "rejects" => "Rejects",
        "conditional" => "Conditional",
        "proposes_amendment" => "Proposes amendment",
        "unknown" => "Not disclosed",
        _ => "Other",
    }
}

/// A short chip text for narrow matrix cells.
pub(crate) fn stance_short(s: &str) -> &'static str {
    match s {
        "accepts" => "Accepts",
        "rejects" => "Rejects",
        "conditional" => "Cond.",
        "proposes_amendment" => "Amend.",
        "unknown" => "Undiscl.",
        _ => "Other",
    }
}

/// CSS class suffix for a stance (unknown spellings get the neutral style).
pub(crate) fn stance_class(s: &str) -> &'static str {
    match s {
        "accepts" => "accepts",
        "rejects" => "rejects",
        "conditional" => "conditional",
        "proposes_amendment" => "amendment",
        _ => "unknown",
    }
}

pub(crate) fn reliability_label(r: &str) -> &'static str {
    match r {
        "own_delegation" => "Own delegation",
        "official_on_record" => "Official, on record",
        "named_outlet_report" => "Named outlet",
        "unnamed_source" => "Unnamed source",
        "denied_by_party" => "Denied by a party",
        "author_commentary" => "Author's commentary",
        _ => "Unrated",
    }
}

/// A one-word reliability tag for matrix cells and tables.
pub(crate) fn reliability_short(r: &str) -> &'static str {
    match r {
        "own_delegation" => "own",
        "official_on_record" => "official",
        "named_outlet_report" => "outlet",
        "unnamed_source" => "unnamed",
        "denied_by_party" => "denied",
        "author_commentary" => "comment",
        _ => "unrated",
    }
}

/// The reliability tags for legends and selects, most reliable first.
pub(crate) fn reliabilities() -> Value {
    Value::Array(
        Reliability::ALL
            .iter()
            .map(|r| {
                json!({
                    "value": r.as_str(),
                    "label": reliability_label(r.as_str()),
                    "short": reliability_short(r.as_str()),
                })
            })
            .collect(),
    )
}

/// The stance kinds for legends and selects.
pub(crate) fn stance_kinds() -> Value {
    Value::Array(
        model::StanceKind::ALL
            .iter()
            .map(|s| {
                let s = s.as_str();
                json!({"value": s, "label": stance_label(s), "glyph": stance_glyph(s), "class": stance_class(s)})
            })
            .collect(),
    )
}

/// A date, or the earliest it can be, or a plain statement that it is not
/// known: undated events are common in reported negotiations and must not
/// look like missing data.
pub(crate) fn when(date: Option<&str>, not_before: Option<&str>) -> String {
    match (date, not_before) {
        (Some(d), _) if !d.is_empty() => d.to_string(),
        (_, Some(n)) if !n.is_empty() => format!("not before {n}"),
        _ => "date not reported".to_string(),
    }
}

/// An RFC 3339 timestamp to minutes, in UTC.
pub(crate) fn timestamp(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => at.to_string(),
    }
}

/// An ISO 8601 duration (`PT5H30M`) in words; anything else as given.
pub(crate) fn duration(iso: &str) -> String {
    let Some(rest) = iso.strip_prefix("PT") else {
        return iso.to_string();
    };
    let mut out = Vec::new();
    let mut num = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' => out.push(format!("{num} h")),
            'M' => out.push(format!("{num} min")),
            'S' => out.push(format!("{num} s")),
            _ => return iso.to_string(),
        }
        if !c.is_ascii_digit() && c != '.' {
            num.clear();
        }
    }
    if out.is_empty() {
        iso.to_string()
    } else {
        out.join(" ")
    }
}

fn name<'a>(names: &Names<'a>, id: &'a str) -> &'a str {
    names.get(id).copied().unwrap_or(id)
}

/// Who may see a record, in party names.
pub(crate) fn audience(v: &Visibility, names: &Names<'_>) -> Value {
    let label = match v {
        Visibility::Room => "Whole room".to_string(),
        Visibility::Parties { parties } => {
            let list: Vec<&str> = parties.iter().map(|p| name(names, p)).collect();
            format!("{} + mediator", list.join(", "))
        }
        Visibility::PartyAndMediator { party } => format!("{} + mediator", name(names, party)),
        Visibility::Party { party } => format!("{} only", name(names, party)),
        Visibility::Mediator => "Mediator only".to_string(),
    };
    json!({"label": label, "restricted": !v.is_room_wide()})
}

/// The version shown when a page needs "the text": the highest numbered
/// version the user can see, else the first text.
pub(crate) fn latest_text(room: &Room) -> Option<Typed<'_, Text>> {
    pactum_workspace::briefing::current_version(room)
}

/// A point's heading: its number when it has one, and its topic when the
/// topic is reported.
pub(crate) fn point_heading(p: &PointView) -> String {
    match (p.number, p.title.is_empty()) {
        (Some(n), false) => format!("{n}. {}", p.title),
        (Some(n), true) => format!("Point {n}"),
        (None, false) => p.title.clone(),
        (None, true) => PointRef::key_of(&p.id).replace('_', " "),
    }
}

/// A text for selects and lists.
pub(crate) fn text_option(t: Typed<'_, Text>, names: &Names<'_>) -> Value {
    let version = t.version;
    let status = text_status(&t);
    let label = t.label.as_deref().unwrap_or(t.id());
    let option = match version {
        Some(v) => format!("v{v} · {label}"),
        None => label.to_string(),
    };
    let option = if t.is_draft() {
        format!("{option} (draft)")
    } else {
        option
    };
    json!({
        "id": t.id(),
        "label": label,
        "option": option,
        "version": version,
        "status": status,
        "draft": t.is_draft(),
        "points": t.points.len(),
        "audience": audience(&t.record.visibility, names),
    })
}

/// A version's status in words; a text without one (or with a status
/// pactum does not write) is a text "as reported".
fn text_status(t: &Text) -> &'static str {
    match t.status.as_ref().and_then(Term::known) {
        Some(TextStatus::Draft) => "draft",
        Some(TextStatus::Published) => "published",
        None => "as reported",
    }
}

/// A provenance line (source, reliability, attribution); absent parts read
/// as empty.
pub(crate) fn provenance(p: Option<&Provenance>) -> Value {
    let f =
        |k: fn(&Provenance) -> &Option<String>| p.and_then(|p| k(p).as_deref()).unwrap_or_default();
    let rel = p
        .and_then(|p| p.reliability.as_ref())
        .map_or("", Term::as_str);
    json!({
        "source": f(|p| &p.source),
        "reliability": rel,
        "rel_label": reliability_label(rel),
        "rel_short": reliability_short(rel),
        "attribution": f(|p| &p.attribution),
        "quote": p.and_then(|p| p.quote.as_deref()),
        "when": when(p.and_then(|p| p.reported_on.as_deref()), p.and_then(|p| p.not_before.as_deref())),
    })
}

/// Reported claims, as facts about a text or a meeting's reported outcome.
pub(crate) fn claims(claims: &[Claim]) -> Vec<Value> {
    claims
        .iter()
        .map(|c| {
            json!({
                "summary": c.summary.as_deref().unwrap_or_default(),
                "provenance": provenance(c.provenance.as_ref()),
                "has_provenance": c.provenance.is_some(),
            })
        })
        .collect()
}

/// What a stance is about, in words, with a link to where it is shown.
pub(crate) fn target(room: &Room, target: &StanceTarget, room_id: &str) -> Value {
    let (issue, text, point) = (
        target.issue_id.as_deref(),
        target.text_id.as_deref(),
        target.point_id.as_deref(),
    );
    let base = format!("/rooms/{}", super::urlpart(room_id.to_string()));
    let issue_title = issue.map(|i| pactum_workspace::setup::issue_title(room, i));
    let holder = match (text, point) {
        (Some(tid), _) => room.find::<Text>(tid),
        (None, Some(pid)) => room
            .each::<Text>()
            .find(|t| t.points.iter().any(|p| p.id == pid)),
        _ => None,
    };
    if let (Some(pid), Some(tx)) = (point, holder) {
        let heading = tx
            .points
            .iter()
            .find(|p| p.id == pid)
            .map(point_heading)
            .unwrap_or_else(|| pid.to_string());
        // The issue line only adds something when it is not the point's own topic.
        let issue = issue_title.filter(|i| !heading.ends_with(i.as_str()));
        return json!({
            "kind": "point",
            "label": heading,
            "context": tx.label.as_deref().unwrap_or(tx.id()),
            "issue": issue,
            "href": format!("{base}/texts/{}#point-{}", super::urlpart(tx.id().to_string()), super::urlpart(pid.to_string())),
        });
    }
    if let Some(tx) = holder {
        return json!({
            "kind": "text",
            "label": "Whole text",
            "context": tx.label.as_deref().unwrap_or(tx.id()),
            "issue": issue_title,
            "href": format!("{base}/texts/{}", super::urlpart(tx.id().to_string())),
        });
    }
    if let Some(am) = target
        .amendment_id
        .as_deref()
        .filter(|am| room.get(Kind::Amendment, am).is_some())
    {
        return json!({
            "kind": "amendment",
            "label": "Amendment",
            "context": "Amendment",
            "issue": issue_title,
            "href": crate::amendments::ui::amendment_href(room_id, am),
        });
    }
    match issue_title {
        Some(title) => {
            json!({"kind": "issue", "label": title, "context": "Issue", "issue": null, "href": null})
        }
        // The target is a version the user may not see: say nothing about it.
        None => {
            json!({"kind": "other", "label": "Not shown", "context": "", "issue": null, "href": null})
        }
    }
}

/// A stance as the ledger and the detail panels show it.
pub(crate) fn stance(room: &Room, s: Typed<'_, Stance>, names: &Names<'_>, room_id: &str) -> Value {
    let kind = s.stance.as_str();
    let party = s.party_id.as_deref().unwrap_or_default();
    let prov = s.provenance.as_ref();
    json!({
        "id": s.id(),
        "party_id": party,
        "party": name(names, party),
        "stance": kind,
        "label": stance_label(kind),
        "glyph": stance_glyph(kind),
        "class": stance_class(kind),
        "summary": s.summary.as_deref().unwrap_or_default(),
        "amendment": s.amendment.as_deref(),
        "language": s.record.body.get("language").and_then(Value::as_str),
        "date": when(s.date.as_deref(), prov.and_then(|p| p.not_before.as_deref())),
        "date_note": s.date_note.as_deref(),
        "provenance": provenance(prov),
        "audience": audience(&s.record.visibility, names),
        "target": target(room, &s.target, room_id),
        "withdrawn": s.is_withdrawn(),
    })
}

/// The title a stance cell shows on hover: enough to read the cell without
/// opening it.
pub(crate) fn cell_tooltip(party: &str, c: &model::Cell) -> String {
    let mut t = format!("{party}: {}", stance_label(&c.stance));
    if let Some(issue) = c.via.strip_prefix("issue:") {
        t.push_str(&format!(" (via issue {issue})"));
    } else if c.via == "text" {
        t.push_str(" (whole text)");
    }
    t.push_str(&format!(
        "\nSource: {} — {}",
        if c.source.is_empty() {
            "not given"
        } else {
            &c.source
        },
        reliability_label(&c.reliability)
    ));
    t.push_str(&format!(
        "\nDate: {}",
        c.date.as_deref().unwrap_or("not reported")
    ));
    if !c.summary.is_empty() {
        t.push_str(&format!("\n{}", c.summary));
    }
    if let Some(a) = &c.amendment {
        t.push_str(&format!("\nProposed wording: {a}"));
    }
    t
}

/// A matrix cell's chips, and the stance that colours the cell: the latest
/// direct stance, else the latest that reaches the point through an issue.
pub(crate) fn cell(party: &str, cells: &[model::Cell]) -> Value {
    let lead = cells
        .iter()
        .rev()
        .find(|c| c.via == "point")
        .or_else(|| cells.last());
    let chips: Vec<Value> = cells
        .iter()
        .map(|c| {
            json!({
                "stance_id": c.stance_id,
                "stance": c.stance,
                "class": stance_class(&c.stance),
                "glyph": stance_glyph(&c.stance),
                "short": stance_short(&c.stance),
                "label": stance_label(&c.stance),
                "reliability": c.reliability,
                "rel_short": reliability_short(&c.reliability),
                "rel_label": reliability_label(&c.reliability),
                "indirect": c.via.starts_with("issue:"),
                "amendment": c.amendment,
                "tooltip": cell_tooltip(party, c),
            })
        })
        .collect();
    json!({
        "stance": lead.map(|c| c.stance.as_str()).unwrap_or("none"),
        "class": lead.map(|c| stance_class(&c.stance)).unwrap_or("none"),
        "chips": chips,
    })
}

/// The audience choices a form offers this user, as (value, label): the
/// mediator may pick any; a party only scopes that include itself.
pub(crate) fn audience_choices(
    access: &RoomAccess,
    names: &Names<'_>,
    for_stance: bool,
) -> Vec<Value> {
    let own = name(names, access.party_id());
    let mut out = Vec::new();
    if for_stance {
        let label = if access.is_mediator() {
            "The party concerned + mediator".to_string()
        } else {
            format!("{own} + mediator")
        };
        out.push(json!({"value": "default", "label": label}));
    }
    if access.is_mediator() {
        if !for_stance {
            out.push(json!({"value": "room", "label": "Whole room"}));
        }
        out.push(json!({"value": "mediator", "label": "Mediator only"}));
        if !for_stance {
            for p in access.room().of(Kind::Party) {
                if p.id != access.party_id() {
                    out.push(json!({
                        "value": format!("pm:{}", p.id),
                        "label": format!("{} + mediator", name(names, &p.id)),
                    }));
                }
            }
        }
        if for_stance {
            out.push(json!({"value": "room", "label": "Whole room"}));
        }
    } else {
        if !for_stance {
            out.push(json!({"value": format!("pm:{}", access.party_id()), "label": format!("{own} + mediator")}));
        }
        out.push(
            json!({"value": format!("party:{}", access.party_id()), "label": format!("{own} only")}),
        );
        out.push(json!({"value": "room", "label": "Whole room"}));
    }
    out
}

/// The audience choice (as `audience_choices` offers it) that a record's
/// visibility already is, so a form can show it selected; `None` for a
/// scope no single choice names (several parties).
pub(crate) fn audience_choice(v: &Visibility) -> Option<String> {
    match v {
        Visibility::Room => Some("room".into()),
        Visibility::Mediator => Some("mediator".into()),
        Visibility::PartyAndMediator { party } => Some(format!("pm:{party}")),
        Visibility::Party { party } => Some(format!("party:{party}")),
        Visibility::Parties { .. } => None,
    }
}

/// Reads an audience choice back; `default` (or nothing) leaves the
/// record's own default in force.
pub(crate) fn parse_audience(v: &str) -> Result<Option<Visibility>, crate::error::ApiError> {
    Ok(match v {
        "" | "default" => None,
        "room" => Some(Visibility::Room),
        "mediator" => Some(Visibility::Mediator),
        _ => {
            if let Some(p) = v.strip_prefix("pm:") {
                Some(Visibility::PartyAndMediator {
                    party: p.to_string(),
                })
            } else if let Some(p) = v.strip_prefix("party:") {
                Some(Visibility::Party {
                    party: p.to_string(),
                })
            } else {
                return Err(crate::error::ApiError::field(
                    "visibility",
                    format!("unknown audience {v:?}"),
                ));
            }
        }
    })
}

/// The input a field error belongs to and the words for it, so an error
/// message names the field as the form labels it.
pub(crate) fn field_label(form: &str, field: &str) -> (String, String) {
    let (input, label) = match (form, field) {
        (_, "visibility") => ("visibility", "Visible to"),
        ("stance", "party_id") => ("party", "Party"),
        ("stance", f) if f.starts_with("target") => ("target", "About"),
        ("stance", "stance") => ("stance", "Stance"),
        ("stance", "amendment") => ("amendment", "Proposed wording"),
        ("stance", "summary") => ("summary", "Summary"),
        ("stance", "provenance.source") => ("source", "Source"),
        ("stance", "provenance.reliability") => ("reliability", "Reliability"),
        ("stance", "date" | "provenance.reported_on" | "provenance.not_before") => ("date", "Date"),
        ("stance", "meeting_id") => ("meeting", "Meeting"),
        ("stance", "provenance.quote") => ("quote", "Quote"),
        ("draft", "label") => ("label", "Label"),
        ("draft", "from") => ("from", "Start from"),
        ("draft", "title") => ("title", "First point: title"),
        ("draft", "body") => ("body", "First point: wording"),
        ("draft", f) if f.starts_with("points") || f == "derived_from_text_id" => {
            let which = f
                .strip_prefix("points[")
                .and_then(|r| r.split_once(']'))
                .and_then(|(n, rest)| n.parse::<usize>().ok().map(|n| (n, rest)));
            let label = match which {
                Some((n, rest)) => {
                    let part = rest.trim_start_matches('.');
                    if part.is_empty() {
                        format!("Points (point {})", n + 1)
                    } else {
                        format!("Points (point {}, {part})", n + 1)
                    }
                }
                None => "Points".to_string(),
            };
            return ("points".into(), label);
        }
        ("publish", _) => ("parties", "Publish to"),
        ("meeting", "title") => ("title", "Title"),
        ("meeting", "date") => ("date", "Date"),
        ("meeting", "not_before") => ("not_before", "Not before"),
        ("meeting", "place") => ("place", "Place"),
        ("meeting", "participants") => ("participants", "Participants"),
        ("meeting", "duration") => ("duration", "Duration"),
        ("meeting", "confidentiality") => ("confidentiality", "Confidentiality"),
        ("document", "title") => ("title", "Title"),
        ("document", "content") => ("content", "Content"),
        ("document", "text_id" | "meeting_id" | "attach") => ("attach", "Attached to"),
        ("note", "text") => ("text", "Note"),
        (_, "") => ("", ""),
        (_, f) => return (f.to_string(), f.replace(['_', '.'], " ")),
    };
    (input.to_string(), label.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration("PT5H"), "5 h");
        assert_eq!(duration("PT1H30M"), "1 h 30 min");
        assert_eq!(duration("P2D"), "P2D");
    }

    #[test]
    fn dates_say_what_is_known() {
        assert_eq!(when(Some("2025-11-23"), None), "2025-11-23");
        assert_eq!(when(None, Some("2025-11-23")), "not before 2025-11-23");
        assert_eq!(when(None, None), "date not reported");
        assert_eq!(
            timestamp("2025-12-01T10:11:12.000Z"),
            "2025-12-01 10:11 UTC"
        );
    }

    #[test]
    fn field_errors_name_the_form_field() {
        assert_eq!(
            field_label("stance", "provenance.source"),
            ("source".into(), "Source".into())
        );
        assert_eq!(
            field_label("draft", "points[2].title"),
            ("points".into(), "Points (point 3, title)".into())
        );
    }
}
