//! Sessions: signing in and out, in the browser (a session cookie, its
//! CSRF token) and over the API (a bearer token), and who the caller is
//! (`GET /api/me`). The checks themselves (passwords, throttling, cookies)
//! are [`crate::auth`]'s.

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::ui::{asset_version, page, FormData, Session, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The sign-in and sign-out routes, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(api_login))
        .route("/api/me", get(me))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginInput {
    user: String,
    password: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    expires_in_days: Option<i64>,
    #[serde(default)]
    expires_in_seconds: Option<i64>,
}

async fn api_login(
    State(state): State<AppState>,
    client: auth::ClientAddr,
    JsonBody(input): JsonBody<LoginInput>,
) -> ApiResult<Json<Value>> {
    let seconds = crate::people::token_lifetime(input.expires_in_days, input.expires_in_seconds)?;
    let user = auth::check_login(&state, &client, &input.user, &input.password).await?;
    let (token, row) = auth::issue_token_for(
        &state,
        &user.name,
        input.label.as_deref().unwrap_or("api login"),
        seconds,
    )
    .await?;
    Ok(Json(json!({
        "token": token,
        "user": user.name,
        "id": row.id,
        "expires_at": crate::people::rfc3339(row.expires_at),
    })))
}

async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let user = crate::auth::user(&state, &caller.user)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let rooms = crate::access::seats_of(&state, &caller.user).await?;
    Ok(Json(json!({
        "user": user.name,
        "display_name": user.display_name,
        "rooms": rooms.iter().map(|(_, m)| json!({"room": m.room, "party_id": m.party_id})).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// Only local paths may be a login's destination, so the login form cannot
/// be used to send a user elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

fn login_page(status: StatusCode, user: &str, next: &str, error: Option<&str>) -> Response {
    let ctx = json!({
        "asset_v": asset_version(),
        "user_value": user,
        "next": next,
        "error": error,
        "page_title": "Sign in",
    });
    page(status, "login.html", &ctx)
}

async fn login_form(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if let Ok(Some(_)) = auth::caller(&state, &headers).await {
        return Redirect::to(&next).into_response();
    }
    login_page(StatusCode::OK, "", &next, None)
}

async fn login(State(state): State<AppState>, client: auth::ClientAddr, body: Bytes) -> UiResult {
    let form = FormData::parse(&body)?;
    let (user, password) = (form.get("user").to_string(), form.raw("password"));
    let next = safe_next(Some(form.get("next")));
    let row = match auth::check_login(&state, &client, &user, password).await {
        Ok(u) => u,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return Ok(login_page(
                e.status,
                &user,
                &next,
                Some("Wrong user name or password."),
            ))
        }
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            let wait = e.retry_after.unwrap_or(60);
            let mut res = login_page(
                e.status,
                &user,
                &next,
                Some(&format!(
                    "Too many failed sign-ins from this address. Wait {wait} seconds and try again."
                )),
            );
            res.headers_mut().insert(header::RETRY_AFTER, wait.into());
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    };
    let cookie = auth::start_session(&state, &row.name).await?;
    auth::audit_login(&state, &row.name).await?;
    redirect_setting_cookie(&next, &cookie)
}

async fn logout(State(state): State<AppState>, Session(caller): Session, body: Bytes) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    auth::end_session(&state, &caller).await?;
    redirect_setting_cookie(
        "/login",
        &format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
            auth::COOKIE
        ),
    )
}

/// Signing in and out both end on another page with the session cookie set
/// (or cleared) in the same answer.
pub(crate) fn redirect_setting_cookie(to: &str, cookie: &str) -> UiResult {
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(cookie).map_err(ApiError::internal)?,
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next(Some("/rooms/x")), "/rooms/x");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
