//! Who is calling: passwords, sessions, bearer tokens, CSRF and throttling.
//!
//! Browsers hold an HttpOnly, SameSite=Strict session cookie; every form and
//! every cookie-authenticated API write carries the session's CSRF token.
//! Scripts use bearer tokens, which need no CSRF token because browsers never
//! send them on their own. Passwords are hashed with argon2id on the blocking
//! pool so that a burst of logins cannot stall the async runtime.

use crate::error::{ApiError, ApiResult};
use crate::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use pactum_store::{NewAudit, SessionRow, TokenRow, UserRow};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "pactum_session";
/// How long a browser session lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// Random bytes as lowercase hex: session ids, CSRF tokens, API tokens, record ids.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tokens are stored hashed, so a leaked database does not hand out sessions.
pub fn token_hash(token: &str) -> String {
    // The digest's own lower-case hex, as `pactum_store::audit_hash` writes it.
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id (blocking; call from `spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that the answer
/// takes as long as for a wrong password and does not reveal who has an account.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password").unwrap_or_default())
}

/// Failed-login counts per user name, over a sliding window.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// Failures allowed per user name in [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The throttling window.
pub const WINDOW: Duration = Duration::from_secs(60);

impl Throttle {
    fn blocked(&self, user: &str) -> bool {
        let mut map = self.failures.lock().expect("throttle lock");
        let list = map.entry(user.to_string()).or_default();
        list.retain(|t| t.elapsed() < WINDOW);
        list.len() >= MAX_FAILURES
    }

    fn fail(&self, user: &str) {
        let mut map = self.failures.lock().expect("throttle lock");
        map.entry(user.to_string())
            .or_default()
            .push(Instant::now());
    }

    fn clear(&self, user: &str) {
        self.failures.lock().expect("throttle lock").remove(user);
    }
}

/// Checks a user name and password; throttled per user name.
pub async fn check_login(state: &AppState, name: &str, password: &str) -> ApiResult<UserRow> {
    if state.throttle.blocked(name) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many failed logins for this user; try again in {} s",
                WINDOW.as_secs()
            ),
        ));
    }
    let user = state.store.user(name).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_string());
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    match (user, ok) {
        (Some(u), true) => {
            state.throttle.clear(name);
            Ok(u)
        }
        _ => {
            state.throttle.fail(name);
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "wrong user name or password",
            ))
        }
    }
}

/// Starts a browser session; returns (cookie value, Set-Cookie header).
pub async fn start_session(state: &AppState, user: &str) -> ApiResult<String> {
    let token = random_hex(32);
    let expires_at = unix_now() + SESSION_SECONDS;
    state
        .store
        .create_session(&SessionRow {
            token_hash: token_hash(&token),
            user: user.to_string(),
            csrf: random_hex(16),
            expires_at,
        })
        .await?;
    Ok(format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}"
    ))
}

/// How long a bearer token lives unless its login asks otherwise.
pub const TOKEN_DAYS: i64 = 30;

/// Issues a bearer token for scripts, valid [`TOKEN_DAYS`].
pub async fn issue_token(state: &AppState, user: &str, label: &str) -> ApiResult<String> {
    Ok(issue_token_for(state, user, label, TOKEN_DAYS * 86_400)
        .await?
        .0)
}

/// Issues a bearer token valid `seconds`; returns it with its row (whose
/// public id and expiry the login answers with).
pub async fn issue_token_for(
    state: &AppState,
    user: &str,
    label: &str,
    seconds: i64,
) -> ApiResult<(String, TokenRow)> {
    let token = format!("pt_{}", random_hex(24));
    let row = TokenRow {
        token_hash: token_hash(&token),
        user: user.to_string(),
        label: label.to_string(),
        created_at: crate::now(),
        id: format!("tok_{}", random_hex(8)),
        expires_at: unix_now().saturating_add(seconds),
    };
    let mut audit = NewAudit::new(user, "token.create");
    audit.detail = format!("{} ({label})", row.id);
    state.store.create_token(&row, audit).await?;
    Ok((token, row))
}

/// The stored row of the bearer token a request carries, if it carries a
/// live one: what `POST /api/logout` revokes.
pub async fn bearer_token(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<TokenRow>> {
    let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return Ok(None);
    };
    Ok(state
        .store
        .token(&token_hash(token.trim()))
        .await?
        .filter(|t| t.expires_at > unix_now()))
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session, with its CSRF token.
    Session {
        /// The session's token hash (to log out).
        token_hash: String,
        /// The CSRF token forms must echo.
        csrf: String,
    },
    /// A bearer token.
    Bearer,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// User name.
    pub user: String,
    /// How it authenticated.
    pub via: Via,
}

impl Caller {
    /// The CSRF token to put in forms (empty for bearer callers).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Bearer => "",
        }
    }

    /// Rejects a cookie-authenticated write whose CSRF token does not match.
    pub fn check_csrf(&self, given: Option<&str>) -> ApiResult<()> {
        match &self.via {
            Via::Bearer => Ok(()),
            Via::Session { csrf, .. } if given == Some(csrf.as_str()) => Ok(()),
            Via::Session { .. } => Err(ApiError::forbidden(
                "missing or wrong CSRF token (field _csrf or header X-CSRF-Token)",
            )),
        }
    }
}

/// Resolves the caller from a bearer token or a session cookie.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Caller>> {
    if let Some(auth) = headers.get(axum::http::header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let row = state
            .store
            .token(&token_hash(token.trim()))
            .await?
            .filter(|t| t.expires_at > unix_now())
            .ok_or_else(ApiError::unauthorized)?;
        return Ok(Some(Caller {
            user: row.user,
            via: Via::Bearer,
        }));
    }
    let Some(token) = cookie(headers, COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    match state.store.session(&hash).await? {
        Some(s) if s.expires_at > unix_now() => Ok(Some(Caller {
            user: s.user,
            via: Via::Session {
                token_hash: hash,
                csrf: s.csrf,
            },
        })),
        _ => Ok(None),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = caller(state, &parts.headers)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let header = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            // Form posts carry the token in the body and are checked by their handler.
            let is_form = parts
                .headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if !is_form {
                caller.check_csrf(header)?;
            }
        }
        Ok(caller)
    }
}
