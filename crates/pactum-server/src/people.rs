//! Operators and the people of a room.

use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Refuses anyone who is not an operator of the server.
// TEMPORARY: replaced by the people module at merge. Until operators exist,
// an operator is a user with no seat in any room (the command line's
// operator) or a mediator of some room.
pub async fn require_operator(state: &AppState, caller: &Caller) -> ApiResult<()> {
    let refused = || ApiError::forbidden("only an operator may do this");
    if state.store.user(&caller.user).await?.is_none() {
        return Err(refused());
    }
    let memberships = state.store.memberships(&caller.user).await?;
    if memberships.is_empty() {
        return Ok(());
    }
    for m in memberships {
        if let Ok(access) = RoomAccess::load_kinds(state, &caller.user, &m.room, Some(&[])).await {
            if access.is_mediator() {
                return Ok(());
            }
        }
    }
    Err(refused())
}
