//! A document's uploaded file, read and written through the document's own
//! access check: the file has no visibility of its own, so a user sees it
//! exactly when [`RoomAccess::load`] gave them the document, re-scoping the
//! document re-scopes its file, and a file of a hidden document answers as
//! a missing one.

use super::{AppState, Role, RoomAccess};
use crate::error::{ApiError, ApiResult};
use pactum_store::{FileMeta, FileRow, NewAudit, NewFile};
use pactum_workspace::model::Kind;
use pactum_workspace::Visibility;

/// The default largest document file, 25 MB: scanned agreements and
/// annexes run to a few megabytes; anything larger is more likely a
/// mistake than a paper.
pub const DEFAULT_FILE_LIMIT: usize = 25 * 1024 * 1024;

impl RoomAccess {
    /// The file of a document the user may see; a document they may not
    /// see, or one without a file, is 404 alike.
    pub async fn document_file(&self, state: &AppState, id: &str) -> ApiResult<FileRow> {
        self.room
            .get(Kind::Document, id)
            .ok_or_else(ApiError::not_found)?;
        state
            .store
            .file(&self.room_id, id)
            .await?
            .ok_or_else(ApiError::not_found)
    }

    /// What is known of the files of the documents the user may see (no
    /// bytes), by document id.
    pub async fn document_files(
        &self,
        state: &AppState,
    ) -> ApiResult<std::collections::BTreeMap<String, FileMeta>> {
        Ok(state
            .store
            .files(&self.room_id)
            .await?
            .into_iter()
            .filter(|f| self.room.get(Kind::Document, &f.record_id).is_some())
            .map(|f| (f.record_id.clone(), f))
            .collect())
    }

    /// The files of the documents the user may see, with their bytes (an
    /// export).
    pub async fn document_files_with_bytes(&self, state: &AppState) -> ApiResult<Vec<FileRow>> {
        let mut out = Vec::new();
        for meta in self.document_files(state).await?.into_values() {
            if let Some(row) = state.store.file(&self.room_id, &meta.record_id).await? {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Whether the user may attach a file to the document `id`: the
    /// mediator to any document it sees, a party's delegate to the
    /// documents of its own party's scope (those it added), an observer to
    /// none. A document the user cannot see is 404.
    pub fn may_attach(&self, id: &str) -> ApiResult<()> {
        let doc = self
            .room
            .get(Kind::Document, id)
            .ok_or_else(ApiError::not_found)?;
        let own = match &doc.visibility {
            Visibility::Party { party } | Visibility::PartyAndMediator { party } => {
                party == &self.party_id
            }
            _ => false,
        };
        match self.role {
            Role::Mediator => Ok(()),
            Role::Delegate if own => Ok(()),
            _ => Err(ApiError::forbidden(
                "only the mediator, or the party whose document it is, may attach its file",
            )),
        }
    }

    /// Stores the (checked) file of a document the user may attach to,
    /// replacing any earlier one, audited as `document.file` with the
    /// file's name, size and SHA-256.
    pub async fn attach_file(&self, state: &AppState, file: &NewFile) -> ApiResult<FileMeta> {
        self.may_attach(&file.record_id)?;
        let audit = NewAudit {
            actor: self.user.clone(),
            action: "document.file".into(),
            room: Some(self.room_id.clone()),
            kind: Some(Kind::Document.as_str().to_string()),
            record_id: Some(file.record_id.clone()),
            detail: String::new(),
        };
        Ok(state.store.put_file(&self.room_id, file, audit).await?)
    }
}

/// A stored file as a case file carries it.
pub fn case_file(row: FileRow) -> pactum_workspace::case::CaseFile {
    pactum_workspace::case::CaseFile {
        document_id: row.meta.record_id,
        name: row.meta.name,
        content_type: row.meta.content_type,
        bytes: row.bytes,
    }
}

/// Every file of a room, unfiltered, as a case file carries it: for the
/// operator's export from the command line (like [`super::all_records`]),
/// never for answering a user.
pub async fn all_files(
    state: &AppState,
    room: &str,
) -> ApiResult<Vec<pactum_workspace::case::CaseFile>> {
    let mut out = Vec::new();
    for meta in state.store.files(room).await? {
        if let Some(row) = state.store.file(room, &meta.record_id).await? {
            out.push(case_file(row));
        }
    }
    Ok(out)
}
