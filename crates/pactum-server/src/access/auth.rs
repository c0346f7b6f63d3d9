//! Who is calling: passwords, sessions, bearer tokens, CSRF and throttling.
//!
//! Browsers hold an HttpOnly, SameSite=Strict session cookie (`Secure` when
//! served over HTTPS); every form carries the session's CSRF token in its
//! `_csrf` field and every cookie-authenticated API write in the
//! `X-CSRF-Token` header.
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

/// Failed logins over a sliding window, counted per client address and per
/// (address, user name).
///
/// The policy, and why: a delegate must never be locked out by someone
/// else. So there is deliberately no count per user name alone (anyone
/// could spend it, from anywhere, and lock the delegate out). Instead:
///
/// - an address that fails [`MAX_FAILURES`] times for one user name within
///   [`WINDOW`] may not try that name again until the oldest failure
///   leaves the window: guessing one password is slow;
/// - an address that fails [`MAX_ADDRESS_FAILURES`] times for any names
///   within the window may not try any name: guessing across accounts is
///   slow too;
/// - a success clears that address's count for that name, never the
///   address's own count (an attacker holding one account cannot reset
///   the counter by signing into it between guesses).
///
/// The delegate's own address is untouched by failures elsewhere, so it
/// always gets in with the right password. Each answer refused this way is
/// a 429 with `Retry-After`. Behind a reverse proxy every request comes
/// from the proxy's address, so the server must be told to read the
/// client's (`--trust-proxy`); otherwise one address would hold everyone.
pub struct Throttle {
    failures: Mutex<HashMap<ThrottleKey, Vec<Instant>>>,
    max_failures: usize,
    max_address_failures: usize,
    window: Duration,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::with_limits(MAX_FAILURES, MAX_ADDRESS_FAILURES, WINDOW)
    }
}

/// Failures allowed per (address, user name) in [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// Failures allowed per address, for all user names, in [`WINDOW`].
pub const MAX_ADDRESS_FAILURES: usize = 20;
/// The throttling window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Above this many counters, expired ones are swept, so that a flood of
/// made-up names or addresses cannot grow the map without bound.
const SWEEP_AT: usize = 10_000;

type ThrottleKey = (Option<std::net::IpAddr>, Option<String>);

impl Throttle {
    /// A throttle with other limits than the defaults (for tests, whose
    /// slow debug-build password hashing would outlast a one-minute window).
    pub fn with_limits(max_failures: usize, max_address_failures: usize, window: Duration) -> Self {
        Throttle {
            failures: Mutex::default(),
            max_failures: max_failures.max(1),
            max_address_failures: max_address_failures.max(1),
            window,
        }
    }

    fn keys(client: &ClientAddr, user: &str) -> [ThrottleKey; 2] {
        [(client.0, Some(user.to_string())), (client.0, None)]
    }

    /// `Some(seconds to wait)` when the address may not try this name now.
    fn blocked(&self, client: &ClientAddr, user: &str) -> Option<u64> {
        let mut map = self.failures.lock().expect("throttle lock");
        let [pair, address] = Throttle::keys(client, user);
        let mut wait = None;
        let limits = [
            (pair, self.max_failures),
            (address, self.max_address_failures),
        ];
        for (key, max) in limits {
            let Some(list) = map.get_mut(&key) else {
                continue;
            };
            list.retain(|t| t.elapsed() < self.window);
            if list.len() >= max {
                // The oldest failures leave the window first; once the
                // count is under the limit, one more try is allowed.
                let oldest = list[list.len() - max];
                let left = self.window.saturating_sub(oldest.elapsed());
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                wait = Some(wait.unwrap_or(0).max(secs.max(1)));
            }
            if list.is_empty() {
                map.remove(&key);
            }
        }
        wait
    }

    fn fail(&self, client: &ClientAddr, user: &str) {
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() > SWEEP_AT {
            map.retain(|_, list| {
                list.retain(|t| t.elapsed() < self.window);
                !list.is_empty()
            });
        }
        for key in Throttle::keys(client, user) {
            map.entry(key).or_default().push(Instant::now());
        }
    }

    fn clear(&self, client: &ClientAddr, user: &str) {
        let [pair, _] = Throttle::keys(client, user);
        self.failures.lock().expect("throttle lock").remove(&pair);
    }
}

/// How browsers reach the server, which it cannot see for itself behind a
/// TLS-terminating proxy: set by `pactum serve --public-url` and
/// `--trust-proxy`.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// Browsers reach the server over HTTPS (`--public-url https://…`).
    pub https: bool,
    /// A reverse proxy in front of the server writes `X-Forwarded-Proto` and
    /// appends the client's address to `X-Forwarded-For`. Without it, these
    /// headers are the client's own words and are ignored: anyone could
    /// claim another address to dodge throttling or to throttle someone else.
    pub trust_proxy: bool,
}

/// The address a request comes from: the peer of the TCP connection, or,
/// with [`Transport::trust_proxy`], the last address of `X-Forwarded-For`
/// (the one the trusted proxy appended; earlier ones are the client's
/// claims). `None` when neither is known (an app driven without a socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.transport.trust_proxy {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(|a| a.trim().parse().ok());
            if forwarded.is_some() {
                return Ok(ClientAddr(forwarded));
            }
        }
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Marks every session cookie the app sets `Secure` when the browser
/// reached it over HTTPS, so that the cookie never travels in clear text.
/// A middleware rather than a flag on each `Set-Cookie`, so that no handler
/// setting a cookie can forget it.
pub async fn secure_cookies(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let https =
        state.transport.https || (state.transport.trust_proxy && forwarded_https(req.headers()));
    let mut res = next.run(req).await;
    if https {
        let headers = res.headers_mut();
        let cookies: Vec<_> = headers
            .get_all(axum::http::header::SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        headers.remove(axum::http::header::SET_COOKIE);
        for c in cookies {
            let secured = match c.to_str() {
                Ok(v)
                    if !v
                        .split(';')
                        .any(|a| a.trim().eq_ignore_ascii_case("secure")) =>
                {
                    axum::http::HeaderValue::from_str(&format!("{v}; Secure")).unwrap_or(c)
                }
                _ => c,
            };
            headers.append(axum::http::header::SET_COOKIE, secured);
        }
    }
    res
}

/// What the proxy in front says about the browser's connection: the last
/// `X-Forwarded-Proto` value (the one the nearest proxy wrote) is `https`.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// Checks a user name and password, throttled per client address and per
/// (address, user name) as [`Throttle`] explains.
pub async fn check_login(
    state: &AppState,
    client: &ClientAddr,
    name: &str,
    password: &str,
) -> ApiResult<UserRow> {
    if let Some(wait) = state.throttle.blocked(client, name) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed logins from your address; try again in {wait} s"),
        )
        .retry_after(wait));
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
            state.throttle.clear(client, name);
            Ok(u)
        }
        _ => {
            state.throttle.fail(client, name);
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

/// Ends the caller's browser session (a bearer token is left alone: it is
/// revoked on the account page).
pub async fn end_session(state: &AppState, caller: &Caller) -> ApiResult<()> {
    if let Via::Session { token_hash, .. } = &caller.via {
        state.store.delete_session(token_hash).await?;
    }
    Ok(())
}

/// Audits a sign-in from the browser.
pub async fn audit_login(state: &AppState, user: &str) -> ApiResult<()> {
    let mut audit = NewAudit::new(user, "session.login");
    audit.detail = "web sign-in".into();
    state.store.append_audit(&[audit]).await?;
    Ok(())
}

/// A user's account (name, display name), for the user's own pages.
pub async fn user(state: &AppState, name: &str) -> ApiResult<Option<UserRow>> {
    Ok(state.store.user(name).await?)
}

/// Whether `name` is a server operator (the page chrome shows the
/// operator's link); operator powers come from
/// [`super::operator::OperatorAccess`].
pub async fn is_operator(state: &AppState, name: &str) -> ApiResult<bool> {
    Ok(state.store.is_operator(name).await?)
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

/// The API's caller. Every cookie-authenticated request that may change
/// something (any method but GET and HEAD) must echo the session's CSRF
/// token in `X-CSRF-Token`, whatever its content type: the API takes JSON
/// bodies only (see `api::JsonBody`), so no body, form-encoded or not, can
/// stand in for the header. UI forms use [`crate::ui`]'s session extractor
/// and their `_csrf` field instead.
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
            caller.check_csrf(header)?;
        }
        Ok(caller)
    }
}
