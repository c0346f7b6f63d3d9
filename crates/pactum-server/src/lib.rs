//! The mediation workspace server.
//!
//! A thin shell: storage is `pactum-store`, the rules (visibility, case
//! files, stances, drafts, redlines) are `pactum-workspace`. This crate adds
//! who is calling ([`auth`]), what they may see ([`access`], the single place
//! where confidentiality is enforced), the JSON API ([`api`]) and the
//! server-rendered UI ([`ui`]).

pub mod access;
pub mod amendments;
pub mod api;
pub mod drafting;
pub mod error;
pub mod import;
pub mod inbox;
pub mod json;
pub mod live;
pub mod meetings;
pub mod models;
pub mod pagination;
pub mod records;
pub mod rooms;
pub mod search;
pub mod sessions;
pub mod setup;
pub mod stances;
pub mod texts;
pub mod ui;

use axum::Router;
use pactum_store::{MemberRow, NewAudit, RoomRow, Store, UserRow};
use pactum_workspace::case::{Case, IdMap};
use pactum_workspace::model::{Kind, PartyKind};

pub use access::{auth, people, AppState};

/// The whole application: API and UI.
pub fn app(state: AppState) -> Router {
    api::routes()
        .merge(drafting::routes())
        .merge(records::routes())
        .merge(import::routes())
        .merge(people::routes())
        .merge(setup::routes())
        .merge(sessions::routes())
        .merge(models::routes())
        .merge(rooms::routes())
        .merge(texts::routes())
        .merge(stances::routes())
        .merge(amendments::routes())
        .merge(meetings::routes())
        .merge(search::routes())
        .merge(live::routes())
        .merge(inbox::routes())
        .merge(ui::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::secure_cookies,
        ))
        .with_state(state)
}

/// Now, as RFC 3339 UTC.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A room with that id exists already.
    #[error("a room with id {0:?} exists already (give another id)")]
    RoomExists(String),
    /// A document's file is not of the type it claims.
    #[error("{0}")]
    File(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] pactum_store::StoreError),
}

/// Stores a case as a new room, in one transaction.
pub async fn import_case(
    store: &dyn Store,
    case: &Case,
    room_id: &str,
    actor: &str,
) -> Result<(), ImportError> {
    if store.room(room_id).await?.is_some() {
        return Err(ImportError::RoomExists(room_id.to_string()));
    }
    // Stances that proposed wording come in as amendments with their
    // stance (see `pactum_workspace::amendment::migrate`).
    let mut records = case.records.clone();
    for r in pactum_workspace::amendment::migrate(&records, || {
        access::RoomAccess::new_id(Kind::Amendment)
    }) {
        match records
            .iter()
            .position(|x| x.kind == r.kind && x.id == r.id)
        {
            Some(i) => records[i] = r,
            None => records.push(r),
        }
    }
    let records: Vec<_> = records.iter().map(access::new_record).collect();
    // A file is checked as an upload is: its bytes must be the type it
    // claims, so an import cannot bring in what an upload would refuse.
    let mut files = Vec::with_capacity(case.files.len());
    for (i, f) in case.files.iter().enumerate() {
        let kind = meetings::files::check_file(
            Some(&f.content_type),
            &f.bytes,
            &format!("/files/{i}/base64"),
        )
        .map_err(|e| ImportError::File(e.message))?;
        files.push(pactum_store::NewFile {
            record_id: f.document_id.clone(),
            name: meetings::files::sanitise_name(Some(&f.name), kind, &f.document_id),
            content_type: kind.content_type().to_string(),
            bytes: f.bytes.clone(),
        });
    }
    // One transaction: a refused record leaves no empty room behind.
    store
        .import_room_with_files(
            &RoomRow {
                id: room_id.to_string(),
                title: case.title.clone(),
                created_at: now(),
            },
            NewAudit {
                actor: actor.to_string(),
                action: "room.create".into(),
                room: Some(room_id.to_string()),
                kind: None,
                record_id: None,
                detail: case.title.clone(),
            },
            &records,
            &files,
            actor,
            "case.import",
        )
        .await?;
    Ok(())
}

/// Migrates every room once at server start: the stances that proposed
/// wording, from before amendments were records of their own, become
/// amendments linked from their stance (see
/// `pactum_workspace::amendment::migrate`, idempotent, so a room already
/// migrated costs one read). Each room's changes are one transaction, each
/// record audited as `amendment.migrate`. Returns how many amendments were
/// made.
pub async fn migrate_rooms(state: &AppState) -> Result<usize, error::ApiError> {
    access::migrate_amendments(state).await
}

/// The demo case, in pactum's own case format, shipped with the project.
pub const DEMO_CASE: &str = include_str!("../../../examples/cases/peace-plan-2025.json");

/// A demo login.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Party id in the demo room (empty for the operator, who has no seat).
    pub party_id: String,
    /// What the user is.
    pub role: &'static str,
}

/// The demo room as [`load_demo`] left it.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The room's id.
    pub room: String,
    /// One login per party, then the operator's.
    pub logins: Vec<DemoLogin>,
    /// The demo file's ids → the room's: every text, meeting, stance, point
    /// (...) got a fresh random id when the room was made (see
    /// `pactum_workspace::ids`). Empty when the room existed already: its
    /// ids were drawn then and are not kept anywhere a party could read.
    pub ids: IdMap,
}

/// Loads the demo case and creates one login per party (the mediator, each
/// party's delegate, the observer), unless the room exists already, and an
/// operator login (`operator`, no seat in the room); returns the logins
/// either way so they can be printed.
///
/// The demo file is in pactum's own format, whose ids an import keeps; but
/// its ids are the case author's numbered ones (`s01`..`s24`), so the demo
/// gives its records fresh random ids as a schema import does: otherwise
/// each party would learn from the gaps in the stances it sees that others
/// exist.
pub async fn load_demo(
    store: &dyn Store,
) -> Result<Demo, Box<dyn std::error::Error + Send + Sync>> {
    let mut case = pactum_workspace::case::import(DEMO_CASE)?;
    let room_id = case.room_id.clone();
    let logins: Vec<DemoLogin> = case
        .records
        .iter()
        .filter(|r| r.kind == Kind::Party)
        .map(|p| {
            let role = match PartyKind::of(p) {
                PartyKind::Mediator => "mediator",
                PartyKind::Party => "party delegate",
                PartyKind::Observer => "observer",
            };
            let user = p.id.replace('_', "-");
            DemoLogin {
                password: format!("{user}-demo"),
                user,
                party_id: p.id.clone(),
                role,
            }
        })
        .collect();
    let operator = DemoLogin {
        user: "operator".into(),
        password: "operator-demo".into(),
        party_id: String::new(),
        role: "operator",
    };
    if store.user(&operator.user).await?.is_none() {
        let password = operator.password.clone();
        let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password)).await??;
        let mut audit = NewAudit::new("demo", "operator.create");
        audit.detail = operator.user.clone();
        let row = UserRow {
            name: operator.user.clone(),
            display_name: "Server operator".into(),
            password_hash: hash,
            created_at: now(),
        };
        store.create_operator(&row, false, audit).await?;
    }
    let logins: Vec<DemoLogin> = logins.into_iter().chain([operator]).collect();
    if store.room(&room_id).await?.is_some() {
        return Ok(Demo {
            room: room_id,
            logins,
            ids: IdMap::default(),
        });
    }
    let ids = pactum_workspace::case::fresh_ids(&mut case, access::RoomAccess::new_id)?;
    import_case(store, &case, &room_id, "demo").await?;
    for l in logins.iter().filter(|l| !l.party_id.is_empty()) {
        if store.user(&l.user).await?.is_none() {
            let password = l.password.clone();
            let hash =
                tokio::task::spawn_blocking(move || auth::hash_password(&password)).await??;
            store
                .create_user(
                    &UserRow {
                        name: l.user.clone(),
                        display_name: format!("{} ({})", l.party_id.replace('_', " "), l.role),
                        password_hash: hash,
                        created_at: now(),
                    },
                    NewAudit {
                        actor: "demo".into(),
                        action: "user.create".into(),
                        room: None,
                        kind: None,
                        record_id: None,
                        detail: l.user.clone(),
                    },
                )
                .await?;
        }
        store
            .add_member(
                &MemberRow {
                    room: room_id.clone(),
                    user: l.user.clone(),
                    party_id: l.party_id.clone(),
                },
                NewAudit {
                    actor: "demo".into(),
                    action: "member.add".into(),
                    room: Some(room_id.clone()),
                    kind: None,
                    record_id: None,
                    detail: format!("{} as {}", l.user, l.party_id),
                },
            )
            .await?;
    }
    Ok(Demo {
        room: room_id,
        logins,
        ids,
    })
}

/// Serves the app until the process ends. Each request knows the address
/// it came from (login throttling counts failures per client address).
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}
