//! What every feature's form posts share: each checks the session's CSRF
//! token ([`begin`]), turns the form into the same typed input the JSON API
//! takes and hands it to the feature's operation; success redirects (303)
//! back to the page, a refusal re-shows the page with the message naming
//! the field ([`finish`]).

use super::pages::{load, room_path};
use super::{Fail, FormData, UiError, UiResult};
use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use std::future::Future;

/// Parses the form and checks its CSRF token before anything else is read.
pub(crate) async fn begin(
    state: &AppState,
    caller: &Caller,
    room: &str,
    body: &[u8],
) -> Result<(FormData, RoomAccess), UiError> {
    let form = FormData::parse(body)?;
    form.check_csrf(caller)?;
    let access = load(state, caller, room).await?;
    Ok((form, access))
}

/// How every form post ends. Success redirects (303) to the room page
/// `done` names, so that reloading it does not post again; a refusal the
/// user can fix re-shows the page through `again`; a missing record or a
/// server failure gets the error page instead.
pub(crate) async fn finish<T, Fut>(
    room: &str,
    result: Result<T, ApiError>,
    done: impl FnOnce(T) -> String,
    again: impl FnOnce(ApiError) -> Fut,
) -> UiResult
where
    Fut: Future<Output = UiResult>,
{
    match result {
        Ok(v) => Ok(Redirect::to(&room_path(room, &done(v))).into_response()),
        Err(e) if e.status != StatusCode::NOT_FOUND && !e.status.is_server_error() => {
            again(e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// [`finish`] for a form its page re-shows through a [`Fail`]: the form's
/// name and what the user typed go back with the error.
pub(crate) async fn finish_form<T, Fut>(
    room: &str,
    result: Result<T, ApiError>,
    done: impl FnOnce(T) -> String,
    name: &'static str,
    form: FormData,
    again: impl FnOnce(Fail) -> Fut,
) -> UiResult
where
    Fut: Future<Output = UiResult>,
{
    finish(room, result, done, |error| {
        again(Fail {
            form: name,
            error,
            values: form,
        })
    })
    .await
}
