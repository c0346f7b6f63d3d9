//! Who may see a record.
//!
//! Confidentiality is the workspace's first promise to the parties, so the
//! rule lives here once and everything else (API lists, reads, counts,
//! exports, reports) asks [`Viewer::can_see`]. A record a viewer may not see
//! must look exactly like one that does not exist.

use serde::{Deserialize, Serialize};

/// The audience of a record. The mediator sees every scope except another
/// party's [`Visibility::Party`]: a party's private notes and its preference
/// model stay its own unless it shares them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone in the room, observers included.
    Room,
    /// The listed parties and the mediator (a closed meeting's participants).
    Parties {
        /// Party ids.
        parties: Vec<String>,
    },
    /// One party and the mediator (what a party tells the mediator in confidence).
    PartyAndMediator {
        /// Party id.
        party: String,
    },
    /// One party only.
    Party {
        /// Party id.
        party: String,
    },
    /// The mediator only (drafts, the mediator's own notes).
    Mediator,
}

impl Visibility {
    /// True when the record reaches everyone in the room; reads of other
    /// records are audited.
    pub fn is_room_wide(&self) -> bool {
        matches!(self, Visibility::Room)
    }

    /// A short human label, used in the UI and briefings.
    pub fn label(&self) -> String {
        match self {
            Visibility::Room => "whole room".into(),
            Visibility::Parties { parties } => format!("{} + mediator", parties.join(", ")),
            Visibility::PartyAndMediator { party } => format!("{party} + mediator"),
            Visibility::Party { party } => format!("{party} only"),
            Visibility::Mediator => "mediator only".into(),
        }
    }

    /// The party ids the scope names, for checking that they exist.
    pub fn named_parties(&self) -> Vec<&str> {
        match self {
            Visibility::Parties { parties } => parties.iter().map(String::as_str).collect(),
            Visibility::PartyAndMediator { party } | Visibility::Party { party } => vec![party],
            Visibility::Room | Visibility::Mediator => Vec::new(),
        }
    }
}

/// The one asking to see a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "as", rename_all = "snake_case")]
pub enum Viewer {
    /// The server operator (command-line export without `--as`, backups):
    /// sees everything.
    Operator,
    /// A delegate of the room's mediating party.
    Mediator {
        /// The mediating party's id (its own private records are `Party` scoped).
        party: String,
    },
    /// A delegate of a party or an observer.
    Member {
        /// Party id.
        party: String,
    },
}

impl Viewer {
    /// The confidentiality rule.
    pub fn can_see(&self, visibility: &Visibility) -> bool {
        match (self, visibility) {
            (Viewer::Operator, _) | (_, Visibility::Room) => true,
            (Viewer::Mediator { party }, Visibility::Party { party: owner }) => party == owner,
            (Viewer::Mediator { .. }, _) => true,
            (Viewer::Member { party }, Visibility::Parties { parties }) => parties.contains(party),
            (
                Viewer::Member { party },
                Visibility::PartyAndMediator { party: owner } | Visibility::Party { party: owner },
            ) => party == owner,
            (Viewer::Member { .. }, Visibility::Mediator) => false,
        }
    }

    /// The viewer's party, if any.
    pub fn party(&self) -> Option<&str> {
        match self {
            Viewer::Operator => None,
            Viewer::Mediator { party } | Viewer::Member { party } => Some(party),
        }
    }

    /// True for the mediator (and the operator, who stands above the room).
    pub fn is_mediator(&self) -> bool {
        matches!(self, Viewer::Operator | Viewer::Mediator { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(p: &str) -> Visibility {
        Visibility::Party { party: p.into() }
    }

    #[test]
    fn mediator_sees_all_but_other_parties_private_records() {
        let m = Viewer::Mediator { party: "us".into() };
        assert!(m.can_see(&Visibility::Mediator));
        assert!(m.can_see(&Visibility::PartyAndMediator { party: "ru".into() }));
        assert!(m.can_see(&Visibility::Parties {
            parties: vec!["ru".into()]
        }));
        assert!(!m.can_see(&party("ru")));
        assert!(m.can_see(&party("us")));
    }

    #[test]
    fn members_see_only_their_scopes() {
        let ru = Viewer::Member { party: "ru".into() };
        let ua = Viewer::Member { party: "ua".into() };
        let closed = Visibility::Parties {
            parties: vec!["ru".into(), "us".into()],
        };
        assert!(ru.can_see(&closed));
        assert!(!ua.can_see(&closed));
        assert!(!ru.can_see(&Visibility::Mediator));
        assert!(ru.can_see(&party("ru")) && !ua.can_see(&party("ru")));
        let pm = Visibility::PartyAndMediator { party: "ua".into() };
        assert!(ua.can_see(&pm) && !ru.can_see(&pm));
        assert!(ru.can_see(&Visibility::Room));
    }

    #[test]
    fn scope_json_is_tagged() {
        let v: Visibility = serde_json::from_str(r#"{"scope":"parties","parties":["a"]}"#).unwrap();
        assert_eq!(
            v,
            Visibility::Parties {
                parties: vec!["a".into()]
            }
        );
        assert_eq!(
            serde_json::to_string(&Visibility::Mediator).unwrap(),
            r#"{"scope":"mediator"}"#
        );
    }
}
