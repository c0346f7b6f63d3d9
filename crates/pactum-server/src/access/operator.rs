//! What a server operator may read and write: every room's set-up facts
//! (title, parties, whether a mediator is appointed), creating rooms,
//! appointing the mediating party and importing cases; never a room's
//! content, which needs a seat ([`super::RoomAccess::load`]).
//!
//! Only [`OperatorAccess::check`] (and [`OperatorAccess::page`]) make an
//! [`OperatorAccess`], after asking the store whether the caller is an
//! operator.

use super::{new_record, record_of, AppState};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ImportError;
use pactum_store::{NewAudit, RecordWrite, RoomRow, StoreError};
use pactum_workspace::case::Case;
use pactum_workspace::model::{Kind, PartyKind, Record};

/// An operator's powers, proven by the check that made the value.
pub struct OperatorAccess {
    user: String,
}

/// One room as the operator's room list shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OperatorRoom {
    /// Room id.
    pub id: String,
    /// Room title.
    pub title: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// The mediating party's id, once appointed.
    pub mediator: Option<String>,
    /// The mediating party's name, once appointed.
    pub mediator_name: Option<String>,
    /// How many parties (mediator and observers included) the room has.
    pub parties: usize,
    /// Whether the operator holds a seat in the room (and may open it).
    pub seat: bool,
}

impl OperatorAccess {
    /// The caller's operator powers; anyone else is refused (403), for
    /// operator-only API writes.
    pub async fn check(state: &AppState, caller: &Caller) -> ApiResult<OperatorAccess> {
        OperatorAccess::of(state, caller)
            .await?
            .ok_or_else(|| ApiError::forbidden("only an operator may do this"))
    }

    /// Like [`OperatorAccess::check`], for operator-only pages and reads:
    /// anyone else gets the 404 of a missing page, so the page's existence
    /// tells them nothing.
    pub async fn page(state: &AppState, caller: &Caller) -> ApiResult<OperatorAccess> {
        OperatorAccess::of(state, caller)
            .await?
            .ok_or_else(ApiError::not_found)
    }

    /// The caller's operator powers, if the caller is an operator; a server
    /// failure is passed on.
    pub async fn of(state: &AppState, caller: &Caller) -> ApiResult<Option<OperatorAccess>> {
        Ok(state
            .store
            .is_operator(&caller.user)
            .await?
            .then(|| OperatorAccess {
                user: caller.user.clone(),
            }))
    }

    /// The operator.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// A room's row (title, creation), if it exists.
    pub async fn room(&self, state: &AppState, room: &str) -> ApiResult<Option<RoomRow>> {
        Ok(state.store.room(room).await?)
    }

    /// A room's parties with their revisions, unfiltered: what an operator
    /// works from (never a record of any other kind).
    pub async fn parties(&self, state: &AppState, room: &str) -> ApiResult<Vec<(Record, i64)>> {
        state
            .store
            .records(room, Some(Kind::Party.as_str()))
            .await?
            .iter()
            .map(|row| Ok((record_of(row)?, row.revision)))
            .collect()
    }

    /// Writes a party record (the mediating party) checked against the
    /// revision the operator read.
    pub async fn write_party(
        &self,
        state: &AppState,
        room: &str,
        record: &Record,
        expected_revision: Option<i64>,
        action: &str,
    ) -> ApiResult<()> {
        if record.kind != Kind::Party {
            return Err(ApiError::forbidden(
                "an operator writes a room's parties only",
            ));
        }
        let write = RecordWrite {
            rec: new_record(record),
            expected_revision,
            audit: NewAudit {
                actor: self.user.clone(),
                action: action.to_string(),
                room: Some(room.to_string()),
                kind: Some(record.kind.as_str().to_string()),
                record_id: Some(record.id.clone()),
                detail: record.visibility.label(),
            },
        };
        state.store.put_record_set(room, &[write]).await?;
        crate::live::published(
            state,
            room,
            // A party is written anew or over a revision the operator read;
            // parties are room-wide, so the audience before is taken to be
            // the one written.
            [(
                record.clone(),
                expected_revision.map(|_| record.visibility.clone()),
            )],
        );
        Ok(())
    }

    /// Creates a room with its `meta` record, in one transaction; a
    /// taken id is the store's conflict.
    pub async fn create_room(
        &self,
        state: &AppState,
        row: &RoomRow,
        meta: &Record,
    ) -> Result<(), StoreError> {
        state
            .store
            .import_room(
                row,
                NewAudit {
                    actor: self.user.clone(),
                    action: "room.create".into(),
                    room: Some(row.id.clone()),
                    kind: None,
                    record_id: None,
                    detail: row.title.clone(),
                },
                &[new_record(meta)],
                &self.user,
                "room.setup",
            )
            .await
    }

    /// Stores a case as a new room, in one transaction.
    pub async fn import(
        &self,
        state: &AppState,
        case: &Case,
        room: &str,
    ) -> Result<(), ImportError> {
        crate::import_case(state.store.as_ref(), case, room, &self.user).await
    }

    /// Every room with its set-up facts, oldest first.
    pub async fn rooms(&self, state: &AppState) -> ApiResult<Vec<OperatorRoom>> {
        let mut out = Vec::new();
        for room in state.store.rooms().await? {
            let parties: Vec<Record> = self
                .parties(state, &room.id)
                .await?
                .into_iter()
                .map(|(r, _)| r)
                .collect();
            let mediator = parties
                .iter()
                .find(|p| PartyKind::of(p) == PartyKind::Mediator);
            let seat = state
                .store
                .members(&room.id)
                .await?
                .into_iter()
                .any(|m| m.user == self.user);
            out.push(OperatorRoom {
                mediator: mediator.map(|m| m.id.clone()),
                mediator_name: mediator.map(|m| m.str("name").unwrap_or(&m.id).to_string()),
                parties: parties.len(),
                seat,
                id: room.id,
                title: room.title,
                created_at: room.created_at,
            });
        }
        Ok(out)
    }
}
