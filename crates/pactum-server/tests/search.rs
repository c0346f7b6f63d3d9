//! Search over real HTTP (`GET /api/rooms/{room}/search`, the results page),
//! on SQLite and PostgreSQL, against an oracle computed here from the
//! records this test plants and whose audiences it knows.
//!
//! What is checked: results and counts equal the oracle's for every user
//! and a fixed set of queries (Cyrillic, Arabic and accented Latin among
//! them); a word that occurs only in records a user may not see (the
//! mediator's draft and its points, another party's private note, a party's
//! confidence to the mediator, a hidden version named by a visible
//! document) answers that user exactly as a word that occurs nowhere
//! (status and whole body); pages tile the results; bad queries name `q`;
//! both backends return the same records.

mod common;

use common::TestDb;
use pactum_server::AppState;
use pactum_store::{MemberRow, NewAudit, NewRecord, RoomRow, Store, UserRow};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const ROOM: &str = "search-room";
const MED: &str = "mediators";
const RU: &str = "north";
const UA: &str = "south";
const EU: &str = "east";
const PARTIES: [&str; 4] = [MED, RU, UA, EU];

/// A planted record: what the store gets, who may see it, and what a
/// search may find in it (kind, id, its prose).
struct Plant {
    kind: &'static str,
    id: &'static str,
    visibility: Value,
    audience: &'static [&'static str],
    body: Value,
    units: Vec<(&'static str, &'static str, &'static str)>,
}

const ALL: &[&str] = &PARTIES;

fn plants() -> Vec<Plant> {
    let party = |id: &'static str, name: &'static str, kind: &str| Plant {
        kind: "party",
        id,
        visibility: json!({"scope": "room"}),
        audience: ALL,
        body: json!({"id": id, "name": name, "kind": kind}),
        units: vec![("party", id, name)],
    };
    vec![
        party(MED, "Mediation team", "mediator"),
        party(RU, "Northland", "party"),
        party(UA, "Southland", "party"),
        party(EU, "Eastland", "observer"),
        Plant {
            kind: "text",
            id: "t_quokka",
            visibility: json!({"scope": "room"}),
            audience: ALL,
            body: json!({"id": "t_quokka", "label": "Quokka plan", "kind": "plan_version",
                "version": 1, "status": "published", "point_identity": true, "points": [
                {"id": "t_quokka.p1", "number": 1, "topic": "Harbour access",
                 "text": "The quokka harbour stays open.\nHarbour fees are shared."},
                {"id": "t_quokka.p2", "number": 2, "topic": "Жираф",
                 "text": "Мирный договор о жирафах",
                 // A field this feature was not written for (an edition's
                 // wording): found as any other prose.
                 "editions": [{"lang": "ar", "text": "معاهدة السلام"}]}]}),
            units: vec![
                ("text", "t_quokka", "Quokka plan"),
                (
                    "point",
                    "t_quokka.p1",
                    "Harbour access The quokka harbour stays open.\nHarbour fees are shared.",
                ),
                ("point", "t_quokka.p2", "Жираф Мирный договор о жирафах ar معاهدة السلام"),
            ],
        },
        // The mediator's draft: its label and its points are hidden from
        // every party, and its id is a word too.
        Plant {
            kind: "text",
            id: "text_wombat",
            visibility: json!({"scope": "mediator"}),
            audience: &[MED],
            body: json!({"id": "text_wombat", "label": "Wombat draft", "kind": "plan_version",
                "version": 2, "status": "draft", "derived_from_text_id": "t_quokka",
                "point_identity": true, "points": [
                {"id": "text_wombat.p1", "number": 1, "topic": "Harbour",
                 "text": "Wombat harbour clause"}]}),
            units: vec![
                ("text", "text_wombat", "Wombat draft"),
                ("point", "text_wombat.p1", "Harbour Wombat harbour clause"),
            ],
        },
        // A visible document attached to the hidden draft: the draft's id
        // (a word, "wombat") is in its stored body, never in a result.
        Plant {
            kind: "document",
            id: "d_annex",
            visibility: json!({"scope": "room"}),
            audience: ALL,
            body: json!({"id": "d_annex", "title": "Annex on fisheries",
                "content": "Fisheries quotas by season", "text_id": "text_wombat"}),
            units: vec![(
                "document",
                "d_annex",
                "Annex on fisheries Fisheries quotas by season",
            )],
        },
        Plant {
            kind: "stance",
            id: "s_quokka",
            visibility: json!({"scope": "room"}),
            audience: ALL,
            body: json!({"id": "s_quokka", "party_id": RU,
                "target": {"issue_id": null, "text_id": "t_quokka", "point_id": "t_quokka.p1"},
                "stance": "accepts", "summary": "Accepts the quokka harbour",
                "amendment": "القمر الجديد فوق الميناء",
                "justification": {"why": "Lighthouse keepers agree"},
                "provenance": {"source": "Reuters", "reliability": "reported",
                               "quote": "Crème de la crème"}}),
            units: vec![(
                "stance",
                "s_quokka",
                "Accepts the quokka harbour القمر الجديد فوق الميناء Lighthouse keepers agree Reuters Crème de la crème",
            )],
        },
        Plant {
            kind: "stance",
            id: "s_narwhal",
            visibility: json!({"scope": "party_and_mediator", "party": RU}),
            audience: &[RU, MED],
            body: json!({"id": "s_narwhal", "party_id": RU,
                "target": {"issue_id": null, "text_id": "t_quokka", "point_id": null},
                "stance": "conditional", "summary": "Narwhal offer on the harbour",
                "provenance": {"source": "Envoy", "reliability": "first_hand"}}),
            units: vec![("stance", "s_narwhal", "Narwhal offer on the harbour Envoy")],
        },
        Plant {
            kind: "note",
            id: "n_axolotl",
            visibility: json!({"scope": "party", "party": UA}),
            audience: &[UA],
            body: json!({"id": "n_axolotl", "text": "Axolotl reserve, our bottom line", "author": "south-user"}),
            units: vec![("note", "n_axolotl", "Axolotl reserve, our bottom line")],
        },
        Plant {
            kind: "note",
            id: "n_cafe",
            visibility: json!({"scope": "parties", "parties": [UA, EU]}),
            audience: &[UA, EU, MED],
            body: json!({"id": "n_cafe", "text": "Café façade by the harbour"}),
            units: vec![("note", "n_cafe", "Café façade by the harbour")],
        },
        Plant {
            kind: "meeting",
            id: "m_creme",
            visibility: json!({"scope": "room"}),
            audience: ALL,
            body: json!({"id": "m_creme", "title": "Crème brûlée summit", "place": "Genève",
                "status": "held", "confidentiality": "open", "texts_discussed": ["text_wombat"]}),
            units: vec![("meeting", "m_creme", "Crème brûlée summit Genève")],
        },
    ]
}

/// The fixed query set.
const QUERIES: [&str; 26] = [
    "معاهدة",
    "lighthouse keepers",
    "quokka",
    "harbour",
    "HARBOUR",
    "quokka harbour",
    "wombat",
    "clause",
    "draft",
    "narwhal",
    "axolotl",
    "жираф",
    "ЖИРАФАХ",
    "мирный договор",
    "القمر",
    "الميناء القمر",
    "crème",
    "creme",
    "café",
    "cafe",
    "genève",
    "fisheries",
    "northland",
    "reuters crème",
    "harbour zzyzx",
    "zzyzx",
];

/// The oracle's words: its own split (letters and digits), lower-cased.
fn oracle_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn kind_rank(kind: &str) -> usize {
    let order = [
        "text",
        "point",
        "amendment",
        "stance",
        "comment",
        "meeting",
        "document",
        "note",
    ];
    order.iter().position(|k| *k == kind).unwrap_or(order.len())
}

/// What `party` should get for `q`: (kind, id) best first.
fn oracle(party: &str, q: &str) -> Vec<(String, String)> {
    let mut terms: Vec<String> = Vec::new();
    for w in oracle_words(q) {
        if !terms.contains(&w) {
            terms.push(w);
        }
    }
    let mut hits: Vec<(usize, String, String)> = Vec::new();
    for p in plants().iter().filter(|p| p.audience.contains(&party)) {
        for (kind, id, text) in &p.units {
            let words = oracle_words(text);
            if terms.iter().all(|t| words.contains(t)) {
                let score = words.iter().filter(|w| terms.contains(w)).count();
                hits.push((score, kind.to_string(), id.to_string()));
            }
        }
    }
    hits.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(kind_rank(&a.1).cmp(&kind_rank(&b.1)))
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    hits.into_iter().map(|(_, k, i)| (k, i)).collect()
}

/// Every word of the planted prose that `party` may not see anywhere.
fn hidden_words(party: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut all = BTreeSet::new();
    for p in plants() {
        for (_, _, text) in &p.units {
            for w in oracle_words(text) {
                if p.audience.contains(&party) {
                    seen.insert(w.clone());
                }
                all.insert(w);
            }
        }
        // Ids are words in the stored bodies too.
        for w in oracle_words(p.id) {
            if p.audience.contains(&party) {
                seen.insert(w.clone());
            }
            all.insert(w);
        }
    }
    all.difference(&seen).cloned().collect()
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn user_of(party: &str) -> String {
    format!("{party}-user")
}

struct World {
    base: String,
    http: reqwest::Client,
    tokens: BTreeMap<String, String>,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> World {
        let room = RoomRow {
            id: ROOM.into(),
            title: "Search room".into(),
            created_at: String::new(),
        };
        let records: Vec<NewRecord> = plants()
            .iter()
            .map(|p| NewRecord {
                kind: p.kind.into(),
                id: p.id.into(),
                visibility: p.visibility.to_string(),
                body: p.body.to_string(),
            })
            .collect();
        store
            .import_room(
                &room,
                NewAudit::new("test", "room.create"),
                &records,
                "test",
                "case.import",
            )
            .await
            .unwrap();
        let hash = pactum_server::auth::hash_password("a long enough password").unwrap();
        for party in PARTIES {
            let name = user_of(party);
            store
                .create_user(
                    &UserRow {
                        name: name.clone(),
                        display_name: name.clone(),
                        password_hash: hash.clone(),
                        created_at: String::new(),
                    },
                    NewAudit::new("test", "user.create"),
                )
                .await
                .unwrap();
            store
                .add_member(
                    &MemberRow {
                        room: ROOM.into(),
                        user: name,
                        party_id: party.into(),
                    },
                    NewAudit::new("test", "member.add"),
                )
                .await
                .unwrap();
        }
        // A user of no seat in the room.
        store
            .create_user(
                &UserRow {
                    name: "stranger".into(),
                    display_name: "Stranger".into(),
                    password_hash: hash,
                    created_at: String::new(),
                },
                NewAudit::new("test", "user.create"),
            )
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(pactum_server::serve(AppState::new(store), listener));
        let http = reqwest::Client::new();
        let mut tokens = BTreeMap::new();
        for user in PARTIES.map(user_of).into_iter().chain(["stranger".into()]) {
            let res = http
                .post(format!("{base}/api/login"))
                .json(&json!({"user": user, "password": "a long enough password"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "login as {user}");
            let v: Value = res.json().await.unwrap();
            tokens.insert(user, v["token"].as_str().unwrap().to_string());
        }
        World { base, http, tokens }
    }

    /// GET as a user: the status and the body as text.
    async fn get(&self, user: &str, path: &str) -> (StatusCode, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[user])
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn search(&self, party: &str, q: &str, extra: &str) -> (StatusCode, Value) {
        let path = format!("/api/rooms/{ROOM}/search?q={}{extra}", enc(q));
        let (status, text) = self.get(&user_of(party), &path).await;
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
        (status, v)
    }
}

fn keys(v: &Value) -> Vec<(String, String)> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every party's answers to the fixed queries, checked against the oracle;
/// returned for the comparison of backends.
async fn answers_match_the_oracle(w: &World) -> BTreeMap<(String, String), Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    for party in PARTIES {
        for q in QUERIES {
            let (status, v) = w.search(party, q, "").await;
            assert_eq!(status, StatusCode::OK, "{party} {q:?}: {v}");
            let want = oracle(party, q);
            assert_eq!(keys(&v), want, "{party} searching {q:?}");
            assert_eq!(v["count"], json!(want.len()), "{party} {q:?}");
            assert_eq!(v["query"], json!(q), "{party} {q:?}");
            assert_eq!(v["next"], Value::Null);
            for r in v["results"].as_array().unwrap() {
                let snippet = r["snippet"].as_str().unwrap();
                let words = oracle_words(snippet);
                assert!(
                    oracle_words(q).iter().any(|t| words.contains(t)),
                    "{party} {q:?}: the snippet {snippet:?} shows none of the words"
                );
                assert!(r["link"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("/rooms/{ROOM}")));
                assert!(!r["title"].as_str().unwrap().is_empty());
            }
            out.insert((party.to_string(), q.to_string()), want);
        }
    }
    out
}

/// A word only in records a user may not see answers that user exactly
/// as a word found nowhere: same status, same body (but for the echo of
/// the query), and nothing of the word anywhere in it.
async fn hidden_words_answer_as_nowhere(w: &World) {
    let nowhere = "zzyzx";
    for party in PARTIES {
        let words = hidden_words(party);
        let mut must = Vec::new();
        if party != MED {
            must.extend(["wombat", "clause", "draft"]);
        }
        if party != UA {
            must.push("axolotl");
        }
        if party == UA || party == EU {
            must.push("narwhal");
        }
        for m in must {
            assert!(words.contains(m), "{party}: {m} should be hidden");
        }
        let (base_status, base) = w.search(party, nowhere, "").await;
        let normal = |v: &Value| {
            let mut v = v.clone();
            v["query"] = json!("Q");
            v.to_string()
        };
        for word in &words {
            let (status, v) = w.search(party, word, "").await;
            assert_eq!(status, base_status, "{party} {word}");
            assert_eq!(normal(&v), normal(&base), "{party} searching {word}");
            let mut body = v.clone();
            body["query"] = json!("Q");
            assert!(
                word.chars().count() < 4
                    || !body.to_string().to_lowercase().contains(word.as_str()),
                "{party}: {word} in {body}"
            );
            // With a visible word beside it, still nothing.
            let (_, v) = w.search(party, &format!("harbour {word}"), "").await;
            assert_eq!(v["count"], json!(0), "{party}: harbour {word}: {v}");
        }
        // The UI page says the same as for a word found nowhere.
        for word in words.iter().filter(|w| w.chars().count() >= 5) {
            let page = |q: &str| format!("/rooms/{ROOM}/search?q={}", enc(q));
            let (s1, p1) = w.get(&user_of(party), &page(word)).await;
            let (s2, p2) = w.get(&user_of(party), &page(nowhere)).await;
            if p2.to_lowercase().contains(word.as_str()) {
                // A word of the page itself ("texts" in its links).
                continue;
            }
            assert_eq!(s1, s2);
            assert_eq!(
                p1.replace(word.as_str(), "Q"),
                p2.replace(nowhere, "Q"),
                "{party}: the page for {word}"
            );
        }
    }
}

async fn paging_and_bad_queries(w: &World) {
    // Pages tile the whole list, with a constant count.
    let (_, whole) = w.search(MED, "harbour", "").await;
    let all = keys(&whole);
    assert!(all.len() >= 5, "{whole}");
    let mut got = Vec::new();
    let mut after = String::new();
    loop {
        let (status, v) = w.search(MED, "harbour", &format!("&limit=2{after}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["count"], json!(all.len()));
        got.extend(keys(&v));
        match v["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    assert_eq!(got, all);
    // An empty, blank, wordless or over-long query names `q`.
    let long = "x".repeat(201);
    for q in ["", "   ", "?!", long.as_str()] {
        let (status, v) = w.search(RU, q, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q:?}: {v}");
        assert_eq!(v["field"], json!("q"), "{q:?}: {v}");
    }
    let (status, text) = w
        .get(&user_of(RU), &format!("/api/rooms/{ROOM}/search"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("\"field\":\"q\""), "{text}");
    let (status, v) = w.search(RU, "harbour", "&limit=0").await;
    assert_eq!(
        (status, v["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("limit"))
    );
    // Not a member: the room does not exist, whatever the query.
    let path = format!("/api/rooms/{ROOM}/search?q=harbour");
    let (status, text) = w.get("stranger", &path).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::NOT_FOUND, r#"{"error":"not found"}"#)
    );
    let (status, _) = w
        .get(&user_of(RU), "/api/rooms/nowhere/search?q=harbour")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The results page: snippets with the words marked, links, a count, and
/// the empty state.
async fn the_results_page(w: &World) {
    let (status, page) = w
        .get(&user_of(RU), &format!("/rooms/{ROOM}/search?q=Harbour"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<mark>Harbour</mark>") || page.contains("<mark>harbour</mark>"),
        "{page}"
    );
    assert!(
        page.contains("id=\"hit-point-t_quokka.p1\"")
            && page.contains("texts&#x2f;t_quokka#point-t_quokka.p1\""),
        "{page}"
    );
    assert!(
        page.contains(&format!("{} results", oracle(RU, "harbour").len())),
        "{page}"
    );
    assert!(
        page.contains("id=\"room-search-q\""),
        "the search box is in the chrome"
    );
    let (status, page) = w
        .get(&user_of(RU), &format!("/rooms/{ROOM}/search?q=wombat"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"search-empty\""), "{page}");
    assert!(page.contains("0 results"), "{page}");
    let (status, page) = w.get(&user_of(RU), &format!("/rooms/{ROOM}/search")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Type one or more words"), "{page}");
    // Markup in a query is text.
    let (_, page) = w
        .get(
            &user_of(RU),
            &format!("/rooms/{ROOM}/search?q=%3Cscript%3Eharbour"),
        )
        .await;
    assert!(!page.contains("<script>harbour"), "the query is escaped");
}

async fn suite(db: &TestDb) -> BTreeMap<(String, String), Vec<(String, String)>> {
    let w = World::new(db.store.clone()).await;
    let answers = answers_match_the_oracle(&w).await;
    hidden_words_answer_as_nowhere(&w).await;
    paging_and_bad_queries(&w).await;
    the_results_page(&w).await;
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_search_over_http() {
    suite(&TestDb::sqlite().await).await;
}

/// The PostgreSQL leg, and the same records for the fixed query set on
/// both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_search_over_http_matches_sqlite() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let on_pg = suite(&pg).await;
    let on_lite = suite(&TestDb::sqlite().await).await;
    assert_eq!(on_pg, on_lite);
}
