//! People: operators, invitations, delegates.
//!
//! TEMPORARY: replaced by the people module at merge. On the set-up
//! branch this file holds only the operator check the set-up needs.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Refuses anyone who is not an operator (the users who create rooms and
/// appoint their mediators).
pub async fn require_operator(state: &AppState, caller: &Caller) -> ApiResult<()> {
    // TEMPORARY: replaced by the people module at merge. Until users carry
    // an operator flag, an operator is a user with no seat in any room.
    let user = state.store.user(&caller.user).await?;
    let seats = state.store.memberships(&caller.user).await?;
    if user.is_some() && seats.is_empty() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only an operator may do this"))
    }
}
