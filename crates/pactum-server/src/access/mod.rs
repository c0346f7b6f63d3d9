//! The one place where the server decides what a user may see and do in a
//! room.
//!
//! Every handler, API or UI, gets the room through [`RoomAccess::load`]: it
//! holds only the records the user may see, so lists, counts, matrices,
//! diffs and exports built from it cannot leak. Reads of records that are not
//! room-wide are appended to the audit log by [`RoomAccess::audit_reads`],
//! one entry per read listing them ([`ReadList`]).
//!
//! What a user may do is a value too: writes are methods of [`RoomAccess`]
//! (what any member writes) and of [`MediatorAccess`] (everything else),
//! which only [`RoomAccess::mediator`] makes; an operator's powers are an
//! [`operator::OperatorAccess`]. The store itself is private to this module
//! and its children, so no feature handler can read or write around them.

use crate::error::{ApiError, ApiResult};
use pactum_store::{
    AuditEntry, AuditReport, HistoryRow, MemberRow, NewAudit, NewRecord, RecordRow, RoomRow, Store,
};
use pactum_workspace::model::{Kind, PartyKind, Record, Room};
use pactum_workspace::references::Hidden;
use pactum_workspace::{Viewer, Visibility};
use std::sync::Arc;

pub mod auth;
mod cache;
pub mod files;
pub mod ids;
pub mod inbox;
pub mod operator;
pub mod people;

/// Shared by every handler.
///
/// The store is private to this module and its children (sessions in
/// [`auth`], accounts and invitations in [`people`], the operator's facts in
/// [`operator`]): a feature handler reads and writes a room only through the
/// values the checks return ([`RoomAccess`], [`MediatorAccess`],
/// [`operator::OperatorAccess`]) and the few narrowly named functions here.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    /// Failed-login counts.
    pub throttle: Arc<auth::Throttle>,
    /// How browsers reach the server (HTTPS, a reverse proxy).
    pub transport: auth::Transport,
    /// The hash of the first-start set-up token while one is offered (see
    /// [`people::setup_link`]).
    pub setup: Arc<std::sync::Mutex<Option<String>>>,
    /// Committed writes, for the live event streams (see [`crate::live`]).
    pub live: Arc<crate::live::Hub>,
    /// The inbox's outbound webhooks (see [`crate::inbox::hooks`]).
    pub hooks: Arc<crate::inbox::hooks::Hooks>,
    /// Overview views less than this apart are one visit ("since your last
    /// visit" compares with the end of the visit before).
    pub visit_gap: std::time::Duration,
    /// The largest document file accepted, in bytes (see
    /// [`files::DEFAULT_FILE_LIMIT`]).
    pub file_limit: usize,
    /// Rooms and views already read, kept per process (see [`cache`]).
    cache: Arc<cache::Cache>,
}

impl AppState {
    /// State over a store.
    pub fn new(store: Arc<dyn Store>) -> Self {
        AppState {
            store,
            throttle: Arc::new(auth::Throttle::default()),
            transport: auth::Transport::default(),
            setup: Arc::default(),
            live: Arc::default(),
            hooks: Arc::default(),
            visit_gap: std::time::Duration::from_secs(30 * 60),
            file_limit: files::DEFAULT_FILE_LIMIT,
            cache: Arc::default(),
        }
    }

    /// The same state, accepting document files up to `bytes`.
    pub fn with_file_limit(mut self, bytes: usize) -> Self {
        self.file_limit = bytes;
        self
    }

    /// The same state, served as `transport` says.
    pub fn with_transport(mut self, transport: auth::Transport) -> Self {
        self.transport = transport;
        self
    }
}

/// The rooms `user` holds a seat in, with the seat: what a room list shows
/// (each room is then opened through [`RoomAccess::load`]).
pub async fn seats_of(state: &AppState, user: &str) -> ApiResult<Vec<(RoomRow, MemberRow)>> {
    let mut out = Vec::new();
    for m in state.store.memberships(user).await? {
        if let Some(r) = state.store.room(&m.room).await? {
            out.push((r, m));
        }
    }
    Ok(out)
}

/// What the user is in this room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A delegate of the mediating party.
    Mediator,
    /// A delegate of a party.
    Delegate,
    /// A delegate of an observer.
    Observer,
}

/// The restricted records one read showed, as its audit entry's `detail`
/// holds them: JSON `{"count": n, "records": [{"kind", "id", "visibility"}]}`.
/// The entry's `kind` is set when every record is of one kind, its
/// `record_id` when there is only one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadList {
    /// How many records the read showed.
    pub count: usize,
    /// The records, in the order shown.
    pub records: Vec<ReadItem>,
}

/// One record of a [`ReadList`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadItem {
    /// Record kind.
    pub kind: String,
    /// Record id.
    pub id: String,
    /// Its audience when read, as a label.
    pub visibility: String,
}

impl ReadList {
    fn of(records: &[&Record]) -> ReadList {
        ReadList {
            count: records.len(),
            records: records
                .iter()
                .map(|r| ReadItem {
                    kind: r.kind.as_str().to_string(),
                    id: r.id.clone(),
                    visibility: r.visibility.label(),
                })
                .collect(),
        }
    }

    /// The entry's detail text.
    pub fn detail(&self) -> String {
        serde_json::to_string(self).expect("a read list serialises")
    }

    /// The read list an entry's detail holds, if it holds one.
    pub fn parse(detail: &str) -> Option<ReadList> {
        serde_json::from_str(detail).ok()
    }

    /// Only the records `keep` accepts (those a reader of the audit log may
    /// see), or `None` when none is left.
    pub fn only(self, keep: impl Fn(&ReadItem) -> bool) -> Option<ReadList> {
        let records: Vec<ReadItem> = self.records.into_iter().filter(|r| keep(r)).collect();
        (!records.is_empty()).then_some(ReadList {
            count: records.len(),
            records,
        })
    }
}

/// A user's view of one room.
///
/// Only [`RoomAccess::load`] makes one, so holding one proves the check
/// (membership → role → visible records) was made; its fields are private
/// so that nothing can widen what it holds.
pub struct RoomAccess {
    room_id: String,
    title: String,
    user: String,
    party_id: String,
    role: Role,
    viewer: Viewer,
    /// Shared with the other requests of the party's delegates at the same
    /// state of the room (see [`cache`]).
    room: Arc<Room>,
    /// Store revisions of the visible records, by (kind, id).
    revisions: Arc<std::collections::HashMap<(Kind, String), i64>>,
    /// The records the user may not see, whose names are dropped from what
    /// the user is shown (earlier revisions included).
    hidden: Arc<Hidden>,
}

/// What only the mediator may do in a room. Only [`RoomAccess::mediator`]
/// (and [`RoomAccess::mediator_page`]) make one, after the role check, so
/// an operation that takes a `MediatorAccess` cannot run for anyone else.
pub struct MediatorAccess<'a>(&'a RoomAccess);

impl std::ops::Deref for MediatorAccess<'_> {
    type Target = RoomAccess;
    fn deref(&self) -> &RoomAccess {
        self.0
    }
}

/// The kinds a member who is not the mediator may write (their own
/// stances, documents, notes, models, votes in a session, amendments and
/// comments); every other kind is written through a [`MediatorAccess`].
const MEMBER_KINDS: [Kind; 8] = [
    Kind::Stance,
    Kind::Document,
    Kind::Note,
    Kind::Preference,
    Kind::Session,
    Kind::Vote,
    Kind::Amendment,
    Kind::Comment,
];

/// Turns a stored row into a record; rows the workspace cannot read are
/// reported rather than silently dropped.
pub fn record_of(row: &RecordRow) -> ApiResult<Record> {
    let kind = Kind::parse(&row.kind)
        .ok_or_else(|| ApiError::internal(format!("unknown record kind {:?}", row.kind)))?;
    let visibility: Visibility = serde_json::from_str(&row.visibility)
        .map_err(|e| ApiError::internal(format!("visibility of {}/{}: {e}", row.kind, row.id)))?;
    let body = match serde_json::from_str(&row.body) {
        Ok(serde_json::Value::Object(m)) => m,
        Ok(_) => {
            return Err(ApiError::internal(format!(
                "body of {}/{} is not an object",
                row.kind, row.id
            )))
        }
        Err(e) => {
            return Err(ApiError::internal(format!(
                "body of {}/{}: {e}",
                row.kind, row.id
            )))
        }
    };
    Ok(Record {
        kind,
        id: row.id.clone(),
        visibility,
        body,
    })
}

/// A record as the store keeps it.
pub fn new_record(r: &Record) -> NewRecord {
    NewRecord {
        kind: r.kind.as_str().to_string(),
        id: r.id.clone(),
        visibility: serde_json::to_string(&r.visibility).expect("visibility serialises"),
        body: serde_json::to_string(&r.body).expect("JSON body serialises"),
    }
}

/// Every record of a room, unfiltered: for the operator and for the server's
/// own bookkeeping, never for answering a user directly.
pub async fn all_records(state: &AppState, room: &str) -> ApiResult<Vec<(Record, i64)>> {
    state
        .store
        .records(room, None)
        .await?
        .iter()
        .map(|row| Ok((record_of(row)?, row.revision)))
        .collect()
}

/// Builds, keeps and returns the party's view of the room at `stamp`.
///
/// One build at a time per room: after a write to a busy room, the requests
/// that all find their view stale wait for one build instead of each
/// parsing the room at once; a request that waited finds the view built.
/// Parsing and filtering run on the blocking pool, off the async workers.
async fn build_view(
    state: &AppState,
    room_id: &str,
    party_id: &str,
    stamp: cache::Stamp,
) -> ApiResult<Arc<cache::View>> {
    let turn = state.cache.build_turn(room_id);
    let _turn = turn.lock().await;
    if let Some(view) = state.cache.view(room_id, party_id, &stamp) {
        return Ok(view);
    }
    let rows = match state.cache.rows(room_id, &stamp) {
        Some(rows) => rows,
        None => {
            let stored = state.store.records(room_id, None).await?;
            let rows = blocking(move || {
                stored
                    .iter()
                    .map(|row| Ok((record_of(row)?, row.revision)))
                    .collect::<ApiResult<Vec<_>>>()
            })
            .await??;
            let rows = Arc::new(rows);
            state
                .cache
                .keep_rows(room_id, stamp.clone(), Arc::clone(&rows));
            rows
        }
    };
    let party = party_id.to_string();
    let view = Arc::new(blocking(move || view_of(&rows, &party)).await?);
    state
        .cache
        .keep_view(room_id, party_id, stamp, Arc::clone(&view));
    Ok(view)
}

/// Runs CPU-bound work on the blocking pool.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("building a room view: {e}")))
}

/// What the delegates of `party_id` see of a room's records (`all`, with
/// their revisions, in the store's order): only the records the party may
/// see, with the names of the others dropped, the versions numbered as the
/// party knows them and the issues in their order, each body typed once.
fn view_of(all: &[(Record, i64)], party_id: &str) -> cache::View {
    let kind = all
        .iter()
        .find(|(r, _)| r.kind == Kind::Party && r.id == party_id)
        .map(|(r, _)| PartyKind::of(r))
        .unwrap_or(PartyKind::Observer);
    let party = party_id.to_string();
    let (viewer, role) = match kind {
        PartyKind::Mediator => (Viewer::Mediator { party }, Role::Mediator),
        PartyKind::Party => (Viewer::Member { party }, Role::Delegate),
        PartyKind::Observer => (Viewer::Member { party }, Role::Observer),
    };
    let mut revisions = std::collections::HashMap::new();
    let mut records = Vec::new();
    let mut unseen = Vec::new();
    for (r, rev) in all {
        if viewer.can_see(&r.visibility) {
            revisions.insert((r.kind, r.id.clone()), *rev);
            records.push(r.clone());
        } else {
            unseen.push(r);
        }
    }
    // What the user sees names nothing they cannot see, and numbers
    // the versions of the text as they know them (see
    // `pactum_workspace::references` and `pactum_workspace::versions`).
    let hidden = Hidden::new(unseen, &records);
    hidden.apply(&mut records);
    pactum_workspace::versions::renumber(&mut records, &viewer);
    pactum_workspace::setup::arrange(&mut records);
    cache::View {
        viewer,
        role,
        room: Arc::new(Room::new(records)),
        revisions: Arc::new(revisions),
        hidden: Arc::new(hidden),
    }
}

impl RoomAccess {
    /// Loads a room as `user` sees it; a room the user is not a member of
    /// does not exist for them.
    pub async fn load(state: &AppState, user: &str, room_id: &str) -> ApiResult<RoomAccess> {
        RoomAccess::load_kinds(state, user, room_id, None).await
    }

    /// Like [`RoomAccess::load`], reading only records of the given kinds
    /// (parties always): a write that validates against parties, issues and
    /// texts need not parse every stance of a busy room.
    pub async fn load_kinds(
        state: &AppState,
        user: &str,
        room_id: &str,
        kinds: Option<&[Kind]>,
    ) -> ApiResult<RoomAccess> {
        let membership = state
            .store
            .memberships(user)
            .await?
            .into_iter()
            .find(|m| m.room == room_id)
            .ok_or_else(ApiError::not_found)?;
        // The count is read before any record: what is then read is at
        // least as new as it, so a view kept under it is never older than
        // the database was at that count (see `cache`).
        let (room_row, changes) = state
            .store
            .room_changes(room_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let stamp = cache::Stamp {
            created_at: room_row.created_at.clone(),
            changes,
        };
        let party_id = membership.party_id.as_str();
        let view = match kinds {
            None => match state.cache.view(room_id, party_id, &stamp) {
                Some(view) => view,
                None => build_view(state, room_id, party_id, stamp).await?,
            },
            Some(kinds) => {
                let mut all = Vec::new();
                for kind in Kind::ALL {
                    if kind == Kind::Party || kinds.contains(&kind) {
                        for row in state.store.records(room_id, Some(kind.as_str())).await? {
                            all.push((record_of(&row)?, row.revision));
                        }
                    }
                }
                Arc::new(view_of(&all, party_id))
            }
        };
        Ok(RoomAccess {
            room_id: room_id.to_string(),
            title: room_row.title,
            user: user.to_string(),
            party_id: membership.party_id,
            role: view.role,
            viewer: view.viewer.clone(),
            room: Arc::clone(&view.room),
            revisions: Arc::clone(&view.revisions),
            hidden: Arc::clone(&view.hidden),
        })
    }

    /// Room id.
    pub fn room_id(&self) -> &str {
        &self.room_id
    }

    /// Room title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The user.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The user's party in the room.
    pub fn party_id(&self) -> &str {
        &self.party_id
    }

    /// The user's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// How the visibility rule sees the user.
    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// Only the records the user may see.
    pub fn room(&self) -> &Room {
        &self.room
    }

    /// The records the user may see, kept (for a whole-room export or
    /// briefing built after the access is no longer needed).
    pub fn into_room(self) -> Room {
        Arc::try_unwrap(self.room).unwrap_or_else(|room| (*room).clone())
    }

    /// True for the mediator's delegates.
    pub fn is_mediator(&self) -> bool {
        self.role == Role::Mediator
    }

    /// The mediator's powers, for the mediator's delegates only; anyone else
    /// is refused (403).
    pub fn mediator(&self) -> ApiResult<MediatorAccess<'_>> {
        if self.is_mediator() {
            Ok(MediatorAccess(self))
        } else {
            Err(ApiError::forbidden("only the mediator may do this"))
        }
    }

    /// Like [`RoomAccess::mediator`], for pages only the mediator has:
    /// anyone else gets the 404 of a missing page, so that the page's
    /// existence tells them nothing.
    pub fn mediator_page(&self) -> ApiResult<MediatorAccess<'_>> {
        if self.is_mediator() {
            Ok(MediatorAccess(self))
        } else {
            Err(ApiError::not_found())
        }
    }

    /// Every revision of a record the user may see now, oldest first; a
    /// record the user cannot see answers as a missing one.
    pub async fn history(
        &self,
        state: &AppState,
        kind: Kind,
        id: &str,
    ) -> ApiResult<Vec<HistoryRow>> {
        self.room.get(kind, id).ok_or_else(ApiError::not_found)?;
        let mut rows = state
            .store
            .record_history(&self.room_id, kind.as_str(), id)
            .await?;
        // An earlier revision may name what the user cannot see now (a
        // version since narrowed): it is shown as the record is, without
        // the name.
        if !self.hidden.is_empty() {
            for row in &mut rows {
                if let Ok(serde_json::Value::Object(mut body)) = serde_json::from_str(&row.body) {
                    self.hidden.redact(kind, &mut body);
                    row.body = serde_json::Value::Object(body).to_string();
                }
            }
        }
        Ok(rows)
    }

    /// The records of this view that may contain every one of `terms`
    /// (words as [`pactum_store::words`] makes them), in the room's order:
    /// the store's full-text index narrows the room, and only records this
    /// view holds are kept, so a record the user may not see never leaves
    /// this method. A superset: the caller checks each term against what
    /// the record says in this view (see [`crate::search`]).
    pub async fn search_candidates(
        &self,
        state: &AppState,
        terms: &[String],
    ) -> ApiResult<Vec<&Record>> {
        let mut keys: std::collections::HashMap<String, std::collections::HashSet<String>> =
            std::collections::HashMap::new();
        for (kind, id) in state.store.search_candidates(&self.room_id, terms).await? {
            keys.entry(kind).or_default().insert(id);
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .room
            .records()
            .iter()
            .filter(|r| {
                keys.get(r.kind.as_str())
                    .is_some_and(|ids| ids.contains(r.id.as_str()))
            })
            .collect())
    }

    /// Who holds which seat in this room (user → party): every member may
    /// know the room's delegates, as the People page shows them.
    pub async fn seats(&self, state: &AppState) -> ApiResult<Vec<MemberRow>> {
        Ok(state.store.members(&self.room_id).await?)
    }

    /// Logs one read (a page view, an API answer, an export) of the
    /// restricted records among `records` as ONE audit entry listing them
    /// (see [`ReadList`]), so that a view of thousands of records costs one
    /// append, not thousands. Nothing is logged when every record shown is
    /// room-wide.
    pub async fn audit_reads<'a>(
        &self,
        state: &AppState,
        action: &str,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> ApiResult<()> {
        let mut seen = std::collections::HashSet::new();
        let list: Vec<&Record> = records
            .into_iter()
            .filter(|r| !r.visibility.is_room_wide())
            .filter(|r| seen.insert((r.kind, r.id.as_str())))
            .collect();
        let Some(first) = list.first() else {
            return Ok(());
        };
        let one_kind = list.iter().all(|r| r.kind == first.kind);
        let entry = NewAudit {
            actor: self.user.clone(),
            action: action.to_string(),
            room: Some(self.room_id.clone()),
            kind: one_kind.then(|| first.kind.as_str().to_string()),
            record_id: (list.len() == 1).then(|| first.id.clone()),
            detail: ReadList::of(&list).detail(),
        };
        state.store.append_audit(&[entry]).await?;
        Ok(())
    }

    /// The room's audit trail as this user may read it, oldest first:
    /// entries about a record the user cannot see are left out, and a read
    /// entry lists only the records the user can see (one listing none is
    /// left out). Callers decide who may read the trail at all.
    pub async fn audit_log(&self, state: &AppState) -> ApiResult<Vec<AuditEntry>> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let batch = state
                .store
                .audit(Some(&self.room_id), after, 10_000)
                .await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            out.extend(batch.into_iter().filter_map(|e| self.readable(e)));
        }
        Ok(out)
    }

    fn readable(&self, mut e: AuditEntry) -> Option<AuditEntry> {
        let sees = |kind: &str, id: &str| {
            Kind::parse(kind).is_some_and(|k| self.room.get(k, id).is_some())
        };
        if let (Some(kind), Some(id)) = (&e.kind, &e.record_id) {
            if !sees(kind, id) {
                return None;
            }
        }
        if matches!(e.action.as_str(), "read" | "view" | "export" | "report") {
            if let Some(list) = ReadList::parse(&e.detail) {
                let list = list.only(|r| sees(&r.kind, &r.id))?;
                // The entry's kind and record id follow the list that is
                // left: kept as logged, a one-record list without its id
                // (or a kind missing from a one-kind list) would tell that
                // a record the reader may not see was read too.
                let kinds: std::collections::BTreeSet<&str> =
                    list.records.iter().map(|r| r.kind.as_str()).collect();
                e.kind = (kinds.len() == 1).then(|| list.records[0].kind.clone());
                e.record_id = (list.records.len() == 1).then(|| list.records[0].id.clone());
                e.detail = list.detail();
            }
        }
        Some(e)
    }

    /// Stores a new or changed record of a kind any member may write
    /// (stances, documents, notes, models, sessions and votes) with its
    /// audit entry; other kinds are written through
    /// [`MediatorAccess::write`].
    pub async fn write(
        &self,
        state: &AppState,
        record: &Record,
        action: &str,
    ) -> ApiResult<RecordRow> {
        if !MEMBER_KINDS.contains(&record.kind) {
            return Err(ApiError::forbidden("only the mediator may do this"));
        }
        let w = self.record_write(record, action);
        let row = state
            .store
            .put_record(&self.room_id, &w.rec, w.expected_revision, w.audit)
            .await?;
        self.published(state, [record]);
        Ok(row)
    }

    /// Several writes of kinds any member may write, as one: all stored or
    /// none (a stance that proposes wording and the amendment it tables).
    pub async fn write_all(
        &self,
        state: &AppState,
        writes: &[(&Record, &str)],
    ) -> ApiResult<Vec<RecordRow>> {
        if writes.iter().any(|(r, _)| !MEMBER_KINDS.contains(&r.kind)) {
            return Err(ApiError::forbidden("only the mediator may do this"));
        }
        let sets: Vec<_> = writes
            .iter()
            .map(|(record, action)| self.record_write(record, action))
            .collect();
        let rows = state.store.put_record_set(&self.room_id, &sets).await?;
        self.published(state, writes.iter().map(|(record, _)| *record));
        Ok(rows)
    }

    /// Publishes committed writes of records to the live streams and the
    /// inbox's webhooks, with each record's audience as this view loaded it
    /// (a writer changes only what it sees).
    fn published<'r>(&self, state: &AppState, records: impl IntoIterator<Item = &'r Record>) {
        crate::live::published(
            state,
            &self.room_id,
            records.into_iter().map(|r| {
                let before = self.room.get(r.kind, &r.id).map(|b| b.visibility.clone());
                (r.clone(), before)
            }),
        );
    }

    /// A write of `record` by this user: an insert if this view did not
    /// load it, else an update of the revision it loaded (a stale view is
    /// a conflict), audited with the record's visibility.
    fn record_write(&self, record: &Record, action: &str) -> pactum_store::RecordWrite {
        pactum_store::RecordWrite {
            rec: new_record(record),
            expected_revision: self
                .revisions
                .get(&(record.kind, record.id.clone()))
                .copied(),
            audit: NewAudit {
                actor: self.user.clone(),
                action: action.to_string(),
                room: Some(self.room_id.clone()),
                kind: Some(record.kind.as_str().to_string()),
                record_id: Some(record.id.clone()),
                detail: record.visibility.label(),
            },
        }
    }

    /// A fresh record id with a kind prefix. Ids are random rather than
    /// sequential so that gaps reveal nothing about records others cannot see.
    pub fn new_id(kind: Kind) -> String {
        format!("{}_{}", ids::prefix(kind), crate::auth::random_hex(6))
    }

    /// The visibilities a user may choose: those that include the user. A
    /// party's delegates name their own party; the mediator may choose any
    /// scope but another party's private one, which would put a record into
    /// that party's own space, out of the mediator's sight.
    pub fn may_choose(&self, v: &Visibility) -> ApiResult<()> {
        if self.viewer.can_see(v) {
            Ok(())
        } else {
            Err(ApiError::field("visibility", "must include your own party"))
        }
    }
}

impl MediatorAccess<'_> {
    /// Stores a new or changed record of any kind with its audit entry.
    pub async fn write(
        &self,
        state: &AppState,
        record: &Record,
        action: &str,
    ) -> ApiResult<RecordRow> {
        let w = self.record_write(record, action);
        let row = state
            .store
            .put_record(&self.room_id, &w.rec, w.expected_revision, w.audit)
            .await?;
        self.published(state, [record]);
        Ok(row)
    }

    /// A write of `record` whose audit entry says `action` with `detail`
    /// (a change of audience names the old and the new one).
    pub async fn write_detailed(
        &self,
        state: &AppState,
        record: &Record,
        action: &str,
        detail: String,
    ) -> ApiResult<RecordRow> {
        let mut w = self.record_write(record, action);
        w.audit.detail = detail;
        let row = state
            .store
            .put_record(&self.room_id, &w.rec, w.expected_revision, w.audit)
            .await?;
        self.published(state, [record]);
        Ok(row)
    }

    /// Renames the room and writes its `meta` record, in one transaction.
    pub async fn rename(
        &self,
        state: &AppState,
        title: &str,
        meta: &Record,
        action: &str,
    ) -> ApiResult<()> {
        let write = self.record_write(meta, action);
        let audit = NewAudit {
            actor: self.user.clone(),
            action: "room.rename".into(),
            room: Some(self.room_id.clone()),
            kind: None,
            record_id: None,
            detail: title.to_string(),
        };
        state
            .store
            .update_room(&self.room_id, title, audit, &[write])
            .await?;
        self.published(state, [meta]);
        Ok(())
    }

    /// Whether the whole audit chain verifies (the audit page's seal).
    pub async fn verify_audit(&self, state: &AppState) -> ApiResult<AuditReport> {
        Ok(state.store.verify_audit().await?)
    }

    /// Several writes as one: all stored, or none (see
    /// [`pactum_store::Store::put_record_set`]); each checked against the
    /// revision this view loaded, like [`RoomAccess::write`].
    pub async fn write_set(
        &self,
        state: &AppState,
        writes: &[(&Record, &str)],
    ) -> ApiResult<Vec<RecordRow>> {
        let rows = state
            .store
            .put_record_set(
                &self.room_id,
                &writes
                    .iter()
                    .map(|(record, action)| self.record_write(record, action))
                    .collect::<Vec<_>>(),
            )
            .await?;
        self.published(state, writes.iter().map(|(r, _)| *r));
        Ok(rows)
    }

    /// Like [`MediatorAccess::write_set`], each write audited with its own
    /// action and detail (a change of audience names the old and the new
    /// one, and why).
    pub async fn write_set_detailed(
        &self,
        state: &AppState,
        writes: &[(&Record, &str, String)],
    ) -> ApiResult<Vec<RecordRow>> {
        let stored: Vec<_> = writes
            .iter()
            .map(|(record, action, detail)| {
                let mut w = self.record_write(record, action);
                w.audit.detail = detail.clone();
                w
            })
            .collect();
        let rows = state.store.put_record_set(&self.room_id, &stored).await?;
        self.published(state, writes.iter().map(|(r, _, _)| *r));
        Ok(rows)
    }

    /// The room the mediator's analysis is computed from: what the mediator
    /// sees, plus every party's preference model, shared or not.
    ///
    /// This is the one read of records a user may not see, and it is allowed
    /// because nothing read here is ever shown: the caller passes the room
    /// only to `pactum_workspace::preference::analyze`, whose result holds
    /// yes/no facts, packages and issue and option names, never a weight, a
    /// value or a reservation value. Each model read is audited as
    /// `analysis.read`.
    pub async fn analysis_room(&self, state: &AppState) -> ApiResult<Room> {
        let mut records = self.room.records().to_vec();
        let mut hidden = Vec::new();
        for row in state
            .store
            .records(&self.room_id, Some(Kind::Preference.as_str()))
            .await?
        {
            let r = record_of(&row)?;
            if !self.viewer.can_see(&r.visibility) {
                hidden.push(r);
            }
        }
        let entries: Vec<NewAudit> = records
            .iter()
            .filter(|r| r.kind == Kind::Preference)
            .chain(&hidden)
            .map(|r| NewAudit {
                actor: self.user.clone(),
                action: "analysis.read".into(),
                room: Some(self.room_id.clone()),
                kind: Some(r.kind.as_str().to_string()),
                record_id: Some(r.id.clone()),
                detail: format!("{} (computed results only)", r.visibility.label()),
            })
            .collect();
        if !entries.is_empty() {
            state.store.append_audit(&entries).await?;
        }
        records.extend(hidden);
        Ok(Room::new(records))
    }
}

/// The server's start-up migration of every room's proposed-wording
/// stances into amendments (see `crate::migrate_rooms`): the one write the
/// server makes on its own, audited under the actor `pactum`.
pub(crate) async fn migrate_amendments(state: &AppState) -> ApiResult<usize> {
    let mut made = 0;
    for room in state.store.rooms().await? {
        let loaded = all_records(state, &room.id).await?;
        let records: Vec<Record> = loaded.iter().map(|(r, _)| r.clone()).collect();
        let changes =
            pactum_workspace::amendment::migrate(&records, || RoomAccess::new_id(Kind::Amendment));
        if changes.is_empty() {
            continue;
        }
        let writes: Vec<pactum_store::RecordWrite> = changes
            .iter()
            .map(|r| pactum_store::RecordWrite {
                rec: new_record(r),
                expected_revision: loaded
                    .iter()
                    .find(|(x, _)| x.kind == r.kind && x.id == r.id)
                    .map(|(_, rev)| *rev),
                audit: NewAudit {
                    actor: "pactum".into(),
                    action: "amendment.migrate".into(),
                    room: Some(room.id.clone()),
                    kind: Some(r.kind.as_str().to_string()),
                    record_id: Some(r.id.clone()),
                    detail: r.visibility.label(),
                },
            })
            .collect();
        made += changes.iter().filter(|r| r.kind == Kind::Amendment).count();
        state.store.put_record_set(&room.id, &writes).await?;
    }
    Ok(made)
}
