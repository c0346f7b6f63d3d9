//! A party's answers depend only on its own model, and a party's view of
//! the trace holds only announcements and its own channel.

mod common;

use pactum_core::analysis::reservation_used;
use pactum_core::{Scenario, Semantics};
use pactum_mediation::{
    strategies, Audience, EventKind, MediationConfig, OwnModel, Party, Query, Session, Trace, Vote,
};

/// One exchange as the party saw it: current text, proposal, temperature, its vote.
type Exchange = (Option<Vec<u32>>, Vec<u32>, f64, Vote);

/// Party `who`'s exchanges, as it saw them: (current text, proposal,
/// temperature, vote). The current text is rebuilt from the announcements
/// in its own view, as the party itself would.
fn exchanges(trace: &Trace, who: usize) -> Vec<Exchange> {
    let mut current: Option<Vec<u32>> = None;
    let mut out = Vec::new();
    for e in trace.view_of(who) {
        match e.kind {
            EventKind::Opened | EventKind::Adopted => current = Some(trace.text(e).to_vec()),
            EventKind::Consulted {
                party,
                temperature,
                vote,
            } => {
                assert_eq!(party, who, "another party's exchange leaked into the view");
                out.push((current.clone(), trace.text(e).to_vec(), temperature, vote));
            }
            EventKind::Ratified { party, .. } => assert_eq!(party, who),
        }
    }
    out
}

fn replay(s: &Scenario, who: usize, seed: u64, queries: &[Exchange]) -> Vec<Vote> {
    let reserved = reservation_used(s, Semantics::Negmas)[who];
    let mut party = Party::truthful(
        OwnModel::new(&s.parties[who].ufun, &s.space, reserved),
        seed,
        who,
    );
    queries
        .iter()
        .map(|(c, p, t, _)| {
            party.answer(&Query {
                proposal: p,
                current: c.as_deref(),
                temperature: *t,
            })
        })
        .collect()
}

#[test]
fn answers_depend_only_on_the_party_own_model() {
    let Some(all) = common::three_party() else {
        return;
    };
    let (_, s) = all
        .iter()
        .find(|(n, _)| n.ends_with("group2-politics"))
        .expect("politics is a 3-party scenario");
    let seed = 7;
    for mediator in ["annealing", "sweep", "random-veto"] {
        let mut trace = Trace::default();
        Session::new(s, Semantics::Negmas, MediationConfig { steps: 400, seed })
            .unwrap()
            .run(strategies::create(mediator).unwrap().as_mut(), &mut trace);
        for who in 0..3 {
            let seen = exchanges(&trace, who);
            let votes: Vec<Vote> = seen.iter().map(|x| x.3).collect();
            // The same queries, with the other two parties' models swapped
            // and then replaced by a copy of this party's: identical answers.
            let mut swapped = s.clone();
            let others: Vec<usize> = (0..3).filter(|&p| p != who).collect();
            swapped.parties.swap(others[0], others[1]);
            assert_eq!(
                replay(&swapped, who, seed, &seen),
                votes,
                "{mediator}, party {who}"
            );
            let mut cloned = s.clone();
            for &o in &others {
                cloned.parties[o] = s.parties[who].clone();
            }
            assert_eq!(
                replay(&cloned, who, seed, &seen),
                votes,
                "{mediator}, party {who}"
            );
            // Its own model does matter (the test can fail).
            let mut changed = s.clone();
            changed.parties[who] = s.parties[others[0]].clone();
            if mediator == "annealing" {
                assert_ne!(
                    replay(&changed, who, seed, &seen),
                    votes,
                    "{mediator}, party {who}"
                );
            }
        }
    }
}

#[test]
fn a_view_holds_announcements_and_the_own_channel_only() {
    let Some(all) = common::three_party() else {
        return;
    };
    for (name, s) in &all {
        let mut trace = Trace::default();
        Session::new(
            s,
            Semantics::Negmas,
            MediationConfig {
                steps: 200,
                seed: 1,
            },
        )
        .unwrap()
        .run(
            strategies::create("annealing").unwrap().as_mut(),
            &mut trace,
        );
        for who in 0..3 {
            let view: Vec<_> = trace.view_of(who).collect();
            assert!(view
                .iter()
                .all(|e| e.audience == Audience::All || e.audience == Audience::Party(who)));
            // Every private event of this party is in its view, none of the others'.
            let own = trace
                .events()
                .iter()
                .filter(|e| e.audience == Audience::Party(who))
                .count();
            let announced = trace
                .events()
                .iter()
                .filter(|e| e.audience == Audience::All)
                .count();
            assert_eq!(view.len(), own + announced, "{name}");
            assert!(own > 0, "{name}: party {who} was consulted");
        }
        let private: usize = (0..3)
            .map(|p| {
                trace
                    .events()
                    .iter()
                    .filter(|e| e.audience == Audience::Party(p))
                    .count()
            })
            .sum();
        assert!(
            private
                > trace
                    .view_of(0)
                    .filter(|e| e.audience != Audience::All)
                    .count()
        );
    }
}
