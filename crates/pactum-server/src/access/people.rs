//! People: first start, operators, invitations, a room's delegates, and
//! every user's own account — both the API and the UI.
//!
//! - **First start.** While the database has no operator, the server offers
//!   a one-time set-up link (`/setup/{token}`, printed by `pactum serve`);
//!   following it creates the first operator and signs them in. The token
//!   lives in memory ([`AppState::setup`]) and dies once an operator exists.
//! - **Operators** create rooms and invite a room's mediator delegates; they
//!   see no room content unless they also hold a seat ([`require_operator`]).
//! - **Invitations** are one-time, expiring and revocable; only their
//!   token's hash is stored, and no list ever shows the token. Accepting one
//!   creates the delegate and seats them in one transaction
//!   ([`pactum_store::Store::use_invitation`]).
//! - **Accounts**: changing one's password, signing out everywhere, listing
//!   and revoking bearer tokens.
//!
//! Who may manage a room's people is decided once, by `Inviter::of`: the
//! room's mediator (every party), or an operator without a seat (the
//! mediator party only). Anyone else finds neither the People page nor its
//! API: they answer 404, like a room one is not in.

use crate::access::operator::OperatorAccess;
use crate::access::{record_of, RoomAccess};
use crate::auth::{self, Caller, Via};
use crate::error::{ApiError, ApiResult};
use crate::json::{JsonBody, P};
use crate::ui::{self, FormData, Session, UiError, UiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use pactum_store::{InvitationRow, InvitationState, NewAudit, StoreError, TokenRow, UserRow};
use pactum_workspace::model::{Kind, PartyKind, Record};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The shortest password accepted anywhere (set-up, invitation, change).
pub const MIN_PASSWORD: usize = 10;
/// The longest, so that hashing cannot be made arbitrarily slow.
pub const MAX_PASSWORD: usize = 1024;
/// How long an invitation lives unless its maker says otherwise.
pub const INVITATION_SECONDS: i64 = 7 * 86_400;
/// The longest life an invitation may be given.
pub const MAX_INVITATION_SECONDS: i64 = 30 * 86_400;
/// The longest life a bearer token may be given at login.
pub const MAX_TOKEN_DAYS: i64 = 365;

/// The routes of this module, API and UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        // API
        .route("/api/setup/{token}", post(api_setup))
        .route("/api/logout", post(api_logout))
        .route("/api/tokens", get(api_tokens))
        .route("/api/tokens/{id}", delete(api_revoke_token))
        .route("/api/account/password", post(api_change_password))
        .route(
            "/api/account/logout-everywhere",
            post(api_logout_everywhere),
        )
        .route("/api/operator/rooms", get(api_operator_rooms))
        .route(
            "/api/rooms/{room}/invitations",
            get(api_invitations).post(api_invite),
        )
        .route(
            "/api/rooms/{room}/invitations/{id}",
            delete(api_revoke_invitation),
        )
        .route("/api/rooms/{room}/members", get(api_members))
        .route(
            "/api/rooms/{room}/members/{user}",
            delete(api_remove_member),
        )
        .route("/api/invitations/{token}", post(api_accept))
        // UI
        .route("/setup/{token}", get(setup_page).post(setup_form))
        .route("/invite/{token}", get(invite_page).post(invite_form))
        .route("/account", get(account_page))
        .route("/account/password", post(password_form))
        .route("/account/logout-everywhere", post(everywhere_form))
        .route("/account/tokens/revoke", post(revoke_token_form))
        .route("/operator", get(operator_page))
        .route("/operator/rooms/{room}", get(operator_room_page))
        .route("/operator/rooms/{room}/invite", post(operator_invite_form))
        .route("/operator/rooms/{room}/revoke", post(operator_revoke_form))
        .route("/rooms/{room}/people", get(people_page))
        .route("/rooms/{room}/people/invite", post(people_invite_form))
        .route("/rooms/{room}/people/revoke", post(people_revoke_form))
        .route("/rooms/{room}/people/remove", post(people_remove_form))
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

/// Refuses anyone but an operator (403): for operator-only API writes.
/// Operator-only pages answer 404 instead ([`operator_page_only`]).
pub async fn require_operator(state: &AppState, caller: &Caller) -> ApiResult<OperatorAccess> {
    OperatorAccess::check(state, caller).await
}

/// For operator-only pages and reads: anyone else gets the 404 of a missing
/// page, so the page's existence tells them nothing.
pub async fn operator_page_only(state: &AppState, caller: &Caller) -> ApiResult<OperatorAccess> {
    OperatorAccess::page(state, caller).await
}

/// Refuses a password the policy does not allow, naming the field.
pub fn check_password(field: &str, password: &str) -> ApiResult<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(ApiError::field(
            field,
            format!("must be at least {MIN_PASSWORD} characters long (got {n})"),
        ));
    }
    if n > MAX_PASSWORD {
        return Err(ApiError::field(
            field,
            format!("must be at most {MAX_PASSWORD} characters long"),
        ));
    }
    Ok(())
}

/// Refuses a login name that is empty, long, or holds anything but
/// letters, digits, `.`, `-` and `_` (names appear in URLs and the audit).
pub fn check_user_name(field: &str, name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            field,
            "expected 1 to 64 letters, digits, '.', '-' or '_'",
        ))
    }
}

/// A taken login name: 409, naming the field.
fn name_taken(field: &str, name: &str) -> ApiError {
    ApiError {
        status: StatusCode::CONFLICT,
        message: format!("{field}: the name {name:?} is taken; choose another"),
        field: Some(field.to_string()),
        retry_after: None,
    }
}

/// Hashes a password on the blocking pool.
async fn hash(password: &str) -> ApiResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// A user row for a new account.
async fn new_user(name: &str, display: Option<&str>, password: &str) -> ApiResult<UserRow> {
    Ok(UserRow {
        name: name.to_string(),
        display_name: display
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .unwrap_or(name)
            .to_string(),
        password_hash: hash(password).await?,
        created_at: crate::now(),
    })
}

/// A login's token lifetime in seconds: `expires_in_days` (1 to
/// [`MAX_TOKEN_DAYS`]) or `expires_in_seconds` (for short-lived scripts and
/// tests, up to the same), [`auth::TOKEN_DAYS`] when neither is given.
pub fn token_lifetime(days: Option<i64>, seconds: Option<i64>) -> ApiResult<i64> {
    let max = MAX_TOKEN_DAYS * 86_400;
    match (days, seconds) {
        (Some(_), Some(_)) => Err(ApiError::field(
            "expires_in_seconds",
            "give expires_in_days or expires_in_seconds, not both",
        )),
        (Some(d), None) if (1..=MAX_TOKEN_DAYS).contains(&d) => Ok(d * 86_400),
        (Some(_), None) => Err(ApiError::field(
            "expires_in_days",
            format!("expected 1 to {MAX_TOKEN_DAYS} days"),
        )),
        (None, Some(s)) if (1..=max).contains(&s) => Ok(s),
        (None, Some(_)) => Err(ApiError::field(
            "expires_in_seconds",
            format!("expected 1 to {max} seconds ({MAX_TOKEN_DAYS} days)"),
        )),
        (None, None) => Ok(auth::TOKEN_DAYS * 86_400),
    }
}

/// Unix seconds as RFC 3339, for people and for the API.
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Where links to this server start, as the client reached it: the Host
/// header, `https` when a proxy says so. Without a Host, links are paths.
pub(crate) fn origin(headers: &HeaderMap) -> String {
    let Some(host) = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
    else {
        return String::new();
    };
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// An API caller whose write is checked for the CSRF token whatever the
/// body's content type (bearer callers need none): the writes here carry
/// no form body that could hold it.
struct Writer(Caller);

impl FromRequestParts<AppState> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let given = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        caller.check_csrf(given)?;
        Ok(Writer(caller))
    }
}

// ---------------------------------------------------------------------------
// First start
// ---------------------------------------------------------------------------

/// On a database without an operator, makes a new one-time set-up token
/// (replacing any earlier one) and returns its path, `/setup/{token}`, for
/// `pactum serve` to print; `None` once an operator exists.
pub async fn setup_link(state: &AppState) -> ApiResult<Option<String>> {
    if state.store.count_operators().await? > 0 {
        return Ok(None);
    }
    let token = auth::random_hex(24);
    *state.setup.lock().map_err(ApiError::internal)? = Some(auth::token_hash(&token));
    Ok(Some(format!("/setup/{token}")))
}

/// The set-up token is good: it is the one offered, and no operator exists
/// yet. Anything else is a page that does not exist.
async fn check_setup(state: &AppState, token: &str) -> ApiResult<()> {
    let offered = state.setup.lock().map_err(ApiError::internal)?.clone();
    let good = offered.is_some_and(|h| h == auth::token_hash(token));
    if good && state.store.count_operators().await? == 0 {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// Creates the first operator through the set-up link; the link dies.
async fn first_operator(
    state: &AppState,
    token: &str,
    user: &str,
    display: Option<&str>,
    password: &str,
) -> ApiResult<()> {
    check_setup(state, token).await?;
    check_user_name("user", user)?;
    check_password("password", password)?;
    let row = new_user(user, display, password).await?;
    let mut audit = NewAudit::new(user, "operator.create");
    audit.detail = "first operator, through the set-up link".into();
    match state.store.create_operator(&row, true, audit).await {
        Ok(()) => {}
        Err(StoreError::Conflict { what }) if what.contains("operator exists") => {
            return Err(ApiError::not_found())
        }
        Err(StoreError::Conflict { .. }) => return Err(name_taken("user", user)),
        Err(e) => return Err(e.into()),
    }
    *state.setup.lock().map_err(ApiError::internal)? = None;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    user: String,
    password: String,
    #[serde(default)]
    display_name: Option<String>,
}

async fn api_setup(
    State(state): State<AppState>,
    P(token): P<String>,
    JsonBody(input): JsonBody<NewAccount>,
) -> ApiResult<Response> {
    first_operator(
        &state,
        &token,
        &input.user,
        input.display_name.as_deref(),
        &input.password,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user": input.user, "operator": true})),
    )
        .into_response())
}

fn setup_view(
    status: StatusCode,
    token: &str,
    values: &FormData,
    error: Option<&ApiError>,
) -> Response {
    let ctx = json!({
        "asset_v": ui::asset_version(),
        "page_title": "Set up pactum",
        "action": format!("/setup/{token}"),
        "values": values.values(),
        "error": error.map(|e| e.message.clone()),
        "error_field": error.and_then(|e| e.field.clone()),
        "min_password": MIN_PASSWORD,
    });
    ui::page(status, "setup.html", &ctx)
}

async fn setup_page(State(state): State<AppState>, P(token): P<String>) -> UiResult {
    check_setup(&state, &token).await?;
    Ok(setup_view(
        StatusCode::OK,
        &token,
        &FormData::default(),
        None,
    ))
}

async fn setup_form(State(state): State<AppState>, P(token): P<String>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body)?;
    let user = form.get("user").to_string();
    let password = raw(&form, "password");
    if password != raw(&form, "password_again") {
        let e = ApiError::field("password_again", "the two passwords differ");
        return Ok(setup_view(e.status, &token, &form, Some(&e)));
    }
    match first_operator(
        &state,
        &token,
        &user,
        form.opt("display_name").as_deref(),
        &password,
    )
    .await
    {
        Ok(()) => {}
        Err(e) if e.field.is_some() => return Ok(setup_view(e.status, &token, &form, Some(&e))),
        Err(e) => return Err(e.into()),
    }
    sign_in(&state, &user, "/").await
}

/// A form value as typed (passwords are not trimmed).
fn raw(form: &FormData, name: &str) -> String {
    form.raw(name).to_string()
}

/// Starts a browser session for a user who just made their account, and
/// goes to `to`.
async fn sign_in(state: &AppState, user: &str, to: &str) -> UiResult {
    let cookie = auth::start_session(state, user).await?;
    let mut audit = NewAudit::new(user, "session.login");
    audit.detail = "web sign-in (new account)".into();
    state.store.append_audit(&[audit]).await?;
    crate::sessions::redirect_setting_cookie(to, &cookie)
}

// ---------------------------------------------------------------------------
// Who manages a room's people
// ---------------------------------------------------------------------------

/// Who is managing a room's people, as established by [`Inviter::of`].
enum Inviter {
    /// The room's mediator: every party.
    Mediator(Box<RoomAccess>),
    /// An operator without a mediator's seat: the mediator party only.
    Operator {
        /// The room's title.
        title: String,
        /// The room's parties.
        parties: Vec<Record>,
    },
}

impl Inviter {
    /// The room's mediator, or an operator; anyone else finds nothing (404).
    async fn of(state: &AppState, caller: &Caller, room: &str) -> ApiResult<Inviter> {
        match RoomAccess::load_kinds(state, &caller.user, room, Some(&[])).await {
            Ok(a) if a.is_mediator() => return Ok(Inviter::Mediator(Box::new(a))),
            Ok(_) => {}
            Err(e) if e.status == StatusCode::NOT_FOUND => {}
            Err(e) => return Err(e),
        }
        if !state.store.is_operator(&caller.user).await? {
            return Err(ApiError::not_found());
        }
        let row = state
            .store
            .room(room)
            .await?
            .ok_or_else(ApiError::not_found)?;
        // The parties are the room's structure, which the operator sets up;
        // they are read here to check a party, never shown as room content.
        let parties = state
            .store
            .records(room, Some(Kind::Party.as_str()))
            .await?
            .iter()
            .map(record_of)
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Inviter::Operator {
            title: row.title,
            parties,
        })
    }

    fn title(&self) -> &str {
        match self {
            Inviter::Mediator(a) => a.title(),
            Inviter::Operator { title, .. } => title,
        }
    }

    fn parties(&self) -> Vec<&Record> {
        match self {
            Inviter::Mediator(a) => a.room().of(Kind::Party).collect(),
            Inviter::Operator { parties, .. } => parties.iter().collect(),
        }
    }

    /// The parties this inviter may invite for.
    fn invitable(&self) -> Vec<&Record> {
        self.parties()
            .into_iter()
            .filter(|p| self.may_manage(p))
            .collect()
    }

    fn may_manage(&self, party: &Record) -> bool {
        match self {
            Inviter::Mediator(_) => true,
            Inviter::Operator { .. } => PartyKind::of(party) == PartyKind::Mediator,
        }
    }

    /// Whether invitations for `party_id` are this inviter's to see.
    fn manages(&self, party_id: &str) -> bool {
        self.parties()
            .into_iter()
            .any(|p| p.id == party_id && self.may_manage(p))
    }

    /// The mediator's access, for what only the mediator may do (remove a
    /// delegate, see the members); an operator finds nothing.
    fn mediator(&self) -> ApiResult<&RoomAccess> {
        match self {
            Inviter::Mediator(a) => Ok(a),
            Inviter::Operator { .. } => Err(ApiError::not_found()),
        }
    }
}

/// Checks the party of a new invitation: it exists and is the inviter's.
fn check_party(inv: &Inviter, party: &str) -> ApiResult<()> {
    let Some(p) = inv.parties().into_iter().find(|p| p.id == party) else {
        return Err(ApiError::field(
            "party",
            format!("the room has no party {party:?}"),
        ));
    };
    if !inv.may_manage(p) {
        return Err(ApiError::forbidden(
            "an operator invites the mediator party's delegates only; the mediator invites the others",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteInput {
    party: String,
    #[serde(default)]
    expires_in_seconds: Option<i64>,
}

/// A new invitation: its row and the token, shown this once.
async fn invite(
    state: &AppState,
    caller: &Caller,
    room: &str,
    inv: &Inviter,
    input: &InviteInput,
) -> ApiResult<(InvitationRow, String)> {
    check_party(inv, &input.party)?;
    let seconds = input.expires_in_seconds.unwrap_or(INVITATION_SECONDS);
    if !(1..=MAX_INVITATION_SECONDS).contains(&seconds) {
        return Err(ApiError::field(
            "expires_in_seconds",
            format!("expected 1 to {MAX_INVITATION_SECONDS} seconds (30 days)"),
        ));
    }
    let token = format!("pi_{}", auth::random_hex(24));
    let row = InvitationRow {
        id: format!("inv_{}", auth::random_hex(8)),
        token_hash: auth::token_hash(&token),
        room: room.to_string(),
        party_id: input.party.clone(),
        created_by: caller.user.clone(),
        created_at: crate::now(),
        expires_at: auth::unix_now().saturating_add(seconds),
        state: InvitationState::Open,
        used_by: None,
        used_at: None,
    };
    let mut audit = NewAudit::new(&caller.user, "invitation.create");
    audit.detail = format!("{} for {}", row.id, row.party_id);
    state.store.create_invitation(&row, audit).await?;
    Ok((row, token))
}

/// An invitation as lists show it: never the token or its hash.
fn invitation_json(i: &InvitationRow, now: i64) -> Value {
    let state = match i.state {
        InvitationState::Open if i.expires_at <= now => "expired",
        s => s.as_str(),
    };
    json!({
        "id": i.id,
        "party": i.party_id,
        "created_by": i.created_by,
        "created_at": i.created_at,
        "expires_at": rfc3339(i.expires_at),
        "state": state,
        "used_by": i.used_by,
        "used_at": i.used_at,
    })
}

/// The invitations the inviter may see, newest last.
async fn invitation_list(state: &AppState, room: &str, inv: &Inviter) -> ApiResult<Vec<Value>> {
    let now = auth::unix_now();
    Ok(state
        .store
        .invitations(room)
        .await?
        .iter()
        .filter(|i| inv.manages(&i.party_id))
        .map(|i| invitation_json(i, now))
        .collect())
}

/// Revokes an invitation the inviter manages; others' are not found.
async fn revoke(
    state: &AppState,
    caller: &Caller,
    room: &str,
    inv: &Inviter,
    id: &str,
) -> ApiResult<()> {
    let known = state
        .store
        .invitations(room)
        .await?
        .into_iter()
        .any(|i| i.id == id && inv.manages(&i.party_id));
    if !known {
        return Err(ApiError::not_found());
    }
    let mut audit = NewAudit::new(&caller.user, "invitation.revoke");
    audit.detail = id.to_string();
    state.store.revoke_invitation(room, id, audit).await?;
    Ok(())
}

/// Removes a delegate from the room (mediator only): their seat goes, and
/// every session and bearer token of theirs with it.
async fn remove_member(
    state: &AppState,
    caller: &Caller,
    inv: &Inviter,
    user: &str,
) -> ApiResult<()> {
    let a = inv.mediator()?;
    if user == caller.user {
        return Err(ApiError::field(
            "user",
            "you cannot remove yourself; ask another mediator or the operator",
        ));
    }
    let seat = state
        .store
        .members(a.room_id())
        .await?
        .into_iter()
        .find(|m| m.user == user)
        .ok_or_else(ApiError::not_found)?;
    let mut audit = NewAudit::new(&caller.user, "member.remove");
    audit.detail = format!("{user} as {} (sessions and tokens ended)", seat.party_id);
    state.store.remove_member(a.room_id(), user, audit).await?;
    crate::live::seats_changed(state, a.room_id());
    Ok(())
}

/// The room's members with their display names, in seating order.
async fn member_list(state: &AppState, a: &RoomAccess) -> ApiResult<Vec<Value>> {
    let mut out = Vec::new();
    for m in state.store.members(a.room_id()).await? {
        let display = state
            .store
            .user(&m.user)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        out.push(json!({"user": m.user, "display_name": display, "party": m.party_id}));
    }
    Ok(out)
}

async fn api_invitations(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let inv = Inviter::of(&state, &caller, &room).await?;
    Ok(Json(Value::Array(
        invitation_list(&state, &room, &inv).await?,
    )))
}

async fn api_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Writer(caller): Writer,
    P(room): P<String>,
    JsonBody(input): JsonBody<InviteInput>,
) -> ApiResult<Response> {
    let inv = Inviter::of(&state, &caller, &room).await?;
    let (row, token) = invite(&state, &caller, &room, &inv, &input).await?;
    let url = format!("{}/invite/{token}", origin(&headers));
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": row.id,
            "token": token,
            "url": url,
            "party": row.party_id,
            "expires_at": rfc3339(row.expires_at),
        })),
    )
        .into_response())
}

async fn api_revoke_invitation(
    State(state): State<AppState>,
    Writer(caller): Writer,
    P((room, id)): P<(String, String)>,
) -> ApiResult<StatusCode> {
    let inv = Inviter::of(&state, &caller, &room).await?;
    revoke(&state, &caller, &room, &inv, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn api_members(
    State(state): State<AppState>,
    caller: Caller,
    P(room): P<String>,
) -> ApiResult<Json<Value>> {
    let inv = Inviter::of(&state, &caller, &room).await?;
    Ok(Json(Value::Array(
        member_list(&state, inv.mediator()?).await?,
    )))
}

async fn api_remove_member(
    State(state): State<AppState>,
    Writer(caller): Writer,
    P((room, user)): P<(String, String)>,
) -> ApiResult<StatusCode> {
    let inv = Inviter::of(&state, &caller, &room).await?;
    remove_member(&state, &caller, &inv, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------
// Accepting an invitation (no authentication: the token is the key)
// ---------------------------------------------------------------------------

/// The invitation a token names, if it is still usable: 404 for an unknown
/// token, 410 saying why for a used, revoked or expired one.
async fn open_invitation(state: &AppState, token: &str) -> ApiResult<InvitationRow> {
    let inv = state
        .store
        .invitation(&auth::token_hash(token))
        .await?
        .ok_or_else(ApiError::not_found)?;
    let why = match inv.state {
        InvitationState::Used => Some("this invitation has been used already; sign in instead"),
        InvitationState::Revoked => {
            Some("this invitation was revoked; ask the mediator for a new one")
        }
        InvitationState::Open if inv.expires_at <= auth::unix_now() => {
            Some("this invitation has expired; ask the mediator for a new one")
        }
        InvitationState::Open => None,
    };
    match why {
        Some(why) => Err(ApiError::new(StatusCode::GONE, why)),
        None => Ok(inv),
    }
}

/// Creates the delegate an invitation asks for and seats them.
async fn accept(
    state: &AppState,
    token: &str,
    user: &str,
    display: Option<&str>,
    password: &str,
) -> ApiResult<InvitationRow> {
    let inv = open_invitation(state, token).await?;
    check_user_name("user", user)?;
    check_password("password", password)?;
    let row = new_user(user, display, password).await?;
    let mut audit = NewAudit::new(user, "invitation.use");
    audit.detail = format!("{user} as {} (invitation {})", inv.party_id, inv.id);
    match state
        .store
        .use_invitation(&inv.token_hash, &row, auth::unix_now(), audit)
        .await
    {
        Ok(used) => Ok(used),
        Err(StoreError::Conflict { .. }) => Err(name_taken("user", user)),
        Err(StoreError::Gone { .. }) => Err(open_invitation(state, token)
            .await
            .err()
            .unwrap_or_else(|| ApiError::new(StatusCode::GONE, "this invitation cannot be used"))),
        Err(e) => Err(e.into()),
    }
}

async fn api_accept(
    State(state): State<AppState>,
    P(token): P<String>,
    JsonBody(input): JsonBody<NewAccount>,
) -> ApiResult<Response> {
    let used = accept(
        &state,
        &token,
        &input.user,
        input.display_name.as_deref(),
        &input.password,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user": input.user, "room": used.room, "party": used.party_id})),
    )
        .into_response())
}

/// The room title and party name an invitee is told about.
async fn invite_context(state: &AppState, inv: &InvitationRow) -> ApiResult<(String, String)> {
    let title = state
        .store
        .room(&inv.room)
        .await?
        .map(|r| r.title)
        .unwrap_or_default();
    let party = state
        .store
        .record(&inv.room, Kind::Party.as_str(), &inv.party_id)
        .await?
        .and_then(|r| record_of(&r).ok())
        .and_then(|r| r.str("name").map(str::to_string))
        .unwrap_or_else(|| inv.party_id.clone());
    Ok((title, party))
}

async fn invite_view(
    state: &AppState,
    status: StatusCode,
    token: &str,
    inv: &InvitationRow,
    values: &FormData,
    error: Option<&ApiError>,
) -> UiResult {
    let (room_title, party_name) = invite_context(state, inv).await?;
    let ctx = json!({
        "asset_v": ui::asset_version(),
        "page_title": "Accept an invitation",
        "action": format!("/invite/{token}"),
        "room_title": room_title,
        "party_name": party_name,
        "expires_at": rfc3339(inv.expires_at),
        "values": values.values(),
        "error": error.map(|e| e.message.clone()),
        "error_field": error.and_then(|e| e.field.clone()),
        "min_password": MIN_PASSWORD,
    });
    Ok(ui::page(status, "invite.html", &ctx))
}

async fn invite_page(State(state): State<AppState>, P(token): P<String>) -> UiResult {
    let inv = open_invitation(&state, &token).await?;
    invite_view(
        &state,
        StatusCode::OK,
        &token,
        &inv,
        &FormData::default(),
        None,
    )
    .await
}

async fn invite_form(State(state): State<AppState>, P(token): P<String>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body)?;
    let inv = open_invitation(&state, &token).await?;
    let user = form.get("user").to_string();
    let password = raw(&form, "password");
    if password != raw(&form, "password_again") {
        let e = ApiError::field("password_again", "the two passwords differ");
        return invite_view(&state, e.status, &token, &inv, &form, Some(&e)).await;
    }
    match accept(
        &state,
        &token,
        &user,
        form.opt("display_name").as_deref(),
        &password,
    )
    .await
    {
        Ok(used) => sign_in(&state, &user, &format!("/rooms/{}", ui::urlpart(used.room))).await,
        Err(e) if e.field.is_some() => {
            invite_view(&state, e.status, &token, &inv, &form, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// The People page (mediator) and the operator's room page
// ---------------------------------------------------------------------------

/// What the People page shows after a form: the link of a new invitation
/// (shown once), a confirmation, or a refused form.
#[derive(Default)]
struct Outcome {
    link: Option<(String, String)>,
    done: Option<String>,
    error: Option<ApiError>,
}

async fn people_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    room: &str,
    inv: &Inviter,
    outcome: Outcome,
) -> UiResult {
    let (access, base, active) = match inv {
        Inviter::Mediator(a) => (
            Some(&**a),
            format!("/rooms/{}/people", ui::urlpart(room.to_string())),
            "people",
        ),
        Inviter::Operator { .. } => (
            None,
            format!("/operator/rooms/{}", ui::urlpart(room.to_string())),
            "operator",
        ),
    };
    let mut ctx = ui::chrome(state, caller, access, active, "People").await?;
    let names: Map<String, Value> = inv
        .parties()
        .iter()
        .map(|p| (p.id.clone(), Value::from(p.str("name").unwrap_or(&p.id))))
        .collect();
    let members = match inv {
        Inviter::Mediator(a) => member_list(state, a).await?,
        Inviter::Operator { .. } => Vec::new(),
    };
    let parties: Vec<Value> = inv
        .parties()
        .iter()
        .filter(|p| inv.may_manage(p))
        .map(|p| {
            let delegates: Vec<&Value> = members
                .iter()
                .filter(|m| m["party"] == p.id.as_str())
                .collect();
            json!({
                "id": p.id,
                "name": p.str("name").unwrap_or(&p.id),
                "kind": match PartyKind::of(p) {
                    PartyKind::Mediator => "mediator",
                    PartyKind::Party => "party",
                    PartyKind::Observer => "observer",
                },
                "delegates": delegates,
            })
        })
        .collect();
    let invitations: Vec<Value> = invitation_list(state, room, inv)
        .await?
        .into_iter()
        .map(|mut i| {
            let name = names.get(i["party"].as_str().unwrap_or_default()).cloned();
            i["party_name"] = name.unwrap_or_else(|| i["party"].clone());
            shown_times(&mut i);
            i
        })
        .collect();
    let invitable: Vec<Value> = inv
        .invitable()
        .iter()
        .map(|p| json!({"id": p.id, "name": p.str("name").unwrap_or(&p.id)}))
        .collect();
    ctx.insert("room_title".into(), inv.title().into());
    ctx.insert("base".into(), base.into());
    ctx.insert(
        "operator_mode".into(),
        matches!(inv, Inviter::Operator { .. }).into(),
    );
    ctx.insert("parties".into(), parties.into());
    ctx.insert("invitations".into(), invitations.into());
    ctx.insert("invitable".into(), invitable.into());
    ctx.insert("me".into(), caller.user.clone().into());
    if let Some((party, token)) = &outcome.link {
        ctx.insert(
            "new_link".into(),
            json!({"party": names.get(party).cloned().unwrap_or_else(|| party.clone().into()),
                   "url": format!("{}/invite/{token}", origin(headers))}),
        );
    }
    if let Some(done) = &outcome.done {
        ctx.insert("done".into(), done.clone().into());
    }
    let status = match &outcome.error {
        Some(e) => {
            ctx.insert("error".into(), e.message.clone().into());
            e.status
        }
        None => StatusCode::OK,
    };
    Ok(ui::page(status, "people.html", &Value::Object(ctx)))
}

/// A page shows an API row's times as every other page shows times
/// (`2026-03-02 14:05 UTC`), not as RFC 3339.
fn shown_times(row: &mut Value) {
    for at in ["created_at", "expires_at"] {
        if let Some(t) = row[at].as_str().map(ui::view::timestamp) {
            row[at] = t.into();
        }
    }
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

fn people_done(done: Option<&str>) -> Option<String> {
    match done {
        Some("revoked") => Some("Invitation revoked.".into()),
        Some("removed") => Some("Delegate removed; their sessions and tokens have ended.".into()),
        _ => None,
    }
}

async fn people_page(
    State(state): State<AppState>,
    Session(caller): Session,
    headers: HeaderMap,
    P(room): P<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let inv = Inviter::of(&state, &caller, &room).await?;
    inv.mediator()?;
    let outcome = Outcome {
        done: people_done(q.done.as_deref()),
        ..Outcome::default()
    };
    people_view(&state, &caller, &headers, &room, &inv, outcome).await
}

async fn operator_room_page(
    State(state): State<AppState>,
    Session(caller): Session,
    headers: HeaderMap,
    P(room): P<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    operator_page_only(&state, &caller).await?;
    let inv = operator_inviter(&state, &caller, &room).await?;
    let outcome = Outcome {
        done: people_done(q.done.as_deref()),
        ..Outcome::default()
    };
    people_view(&state, &caller, &headers, &room, &inv, outcome).await
}

/// The operator's view of a room, even when they also sit in it as a
/// party: on the operator's pages they act as the operator.
async fn operator_inviter(state: &AppState, caller: &Caller, room: &str) -> ApiResult<Inviter> {
    match Inviter::of(state, caller, room).await? {
        Inviter::Mediator(a) => {
            let parties = a.room().of(Kind::Party).cloned().collect();
            Ok(Inviter::Operator {
                title: a.title().to_string(),
                parties,
            })
        }
        op => Ok(op),
    }
}

/// The invite form of either page.
async fn invite_form_for(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    room: &str,
    inv: &Inviter,
    form: &FormData,
) -> UiResult {
    let input = InviteInput {
        party: form.get("party").to_string(),
        expires_in_seconds: match form.get("expires_in_days") {
            "" => None,
            d => match d.parse::<i64>() {
                Ok(days) => Some(days.saturating_mul(86_400)),
                Err(_) => Some(-1),
            },
        },
    };
    let outcome = match invite(state, caller, room, inv, &input).await {
        Ok((row, token)) => Outcome {
            link: Some((row.party_id, token)),
            ..Outcome::default()
        },
        Err(e) if e.status.is_client_error() => {
            let e = if e.field.as_deref() == Some("expires_in_seconds") {
                ApiError::field(
                    "expires_in_days",
                    "expected a whole number of days from 1 to 30",
                )
            } else {
                e
            };
            Outcome {
                error: Some(e),
                ..Outcome::default()
            }
        }
        Err(e) => return Err(e.into()),
    };
    people_view(state, caller, headers, room, inv, outcome).await
}

async fn people_invite_form(
    State(state): State<AppState>,
    Session(caller): Session,
    headers: HeaderMap,
    P(room): P<String>,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    let inv = Inviter::of(&state, &caller, &room).await?;
    inv.mediator()?;
    invite_form_for(&state, &caller, &headers, &room, &inv, &form).await
}

async fn operator_invite_form(
    State(state): State<AppState>,
    Session(caller): Session,
    headers: HeaderMap,
    P(room): P<String>,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    operator_page_only(&state, &caller).await?;
    let inv = operator_inviter(&state, &caller, &room).await?;
    invite_form_for(&state, &caller, &headers, &room, &inv, &form).await
}

async fn people_revoke_form(
    State(state): State<AppState>,
    Session(caller): Session,
    P(room): P<String>,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    let inv = Inviter::of(&state, &caller, &room).await?;
    inv.mediator()?;
    revoke(&state, &caller, &room, &inv, form.get("id")).await?;
    Ok(Redirect::to(&format!("/rooms/{}/people?done=revoked", ui::urlpart(room))).into_response())
}

async fn operator_revoke_form(
    State(state): State<AppState>,
    Session(caller): Session,
    P(room): P<String>,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    operator_page_only(&state, &caller).await?;
    let inv = operator_inviter(&state, &caller, &room).await?;
    revoke(&state, &caller, &room, &inv, form.get("id")).await?;
    Ok(Redirect::to(&format!(
        "/operator/rooms/{}?done=revoked",
        ui::urlpart(room)
    ))
    .into_response())
}

async fn people_remove_form(
    State(state): State<AppState>,
    Session(caller): Session,
    headers: HeaderMap,
    P(room): P<String>,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    let inv = Inviter::of(&state, &caller, &room).await?;
    inv.mediator()?;
    match remove_member(&state, &caller, &inv, form.get("user")).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/rooms/{}/people?done=removed", ui::urlpart(room)))
                .into_response(),
        ),
        Err(e) if e.field.is_some() => {
            let outcome = Outcome {
                error: Some(e),
                ..Outcome::default()
            };
            people_view(&state, &caller, &headers, &room, &inv, outcome).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// The operator's home
// ---------------------------------------------------------------------------

async fn api_operator_rooms(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    let op = require_operator(&state, &caller).await?;
    let rooms: Vec<Value> = op
        .rooms(&state)
        .await?
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "title": r.title,
                "created_at": r.created_at,
                "mediator": r.mediator,
                "mediator_name": r.mediator_name,
                "parties": r.parties,
            })
        })
        .collect();
    Ok(Json(Value::Array(rooms)))
}

/// The operator's home is the room list (`/`), which lists every room for
/// an operator; `/operator` stays as a way there for old links.
async fn operator_page(State(state): State<AppState>, Session(caller): Session) -> UiResult {
    operator_page_only(&state, &caller).await?;
    Ok(Redirect::to("/").into_response())
}

// ---------------------------------------------------------------------------
// Accounts: password, sign out everywhere, tokens
// ---------------------------------------------------------------------------

/// Changes the caller's password after checking the current one (throttled
/// like a login, so a stolen session cannot guess it).
async fn change_password(
    state: &AppState,
    client: &auth::ClientAddr,
    caller: &Caller,
    current: &str,
    new: &str,
) -> ApiResult<()> {
    match auth::check_login(state, client, &caller.user, current).await {
        Ok(_) => {}
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return Err(ApiError::field(
                "current_password",
                "is not your current password",
            ))
        }
        Err(e) => return Err(e),
    }
    check_password("new_password", new)?;
    let hash = hash(new).await?;
    let audit = NewAudit::new(&caller.user, "user.password");
    state.store.set_password(&caller.user, &hash, audit).await?;
    Ok(())
}

/// Ends every session and bearer token of the caller.
async fn logout_everywhere(state: &AppState, caller: &Caller) -> ApiResult<()> {
    state.store.delete_sessions_of(&caller.user).await?;
    let mut audit = NewAudit::new(&caller.user, "session.logout_everywhere");
    audit.detail = "every session and token ended".into();
    state.store.delete_tokens_of(&caller.user, audit).await?;
    Ok(())
}

/// Revokes one of the caller's tokens by its public id.
async fn revoke_token(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    let mut audit = NewAudit::new(&caller.user, "token.revoke");
    audit.detail = id.to_string();
    match state.store.delete_token(&caller.user, id, audit).await {
        Err(StoreError::NotFound { .. }) => Err(ApiError::not_found()),
        other => Ok(other?),
    }
}

/// A token as lists show it: never the token or its hash.
fn token_json(t: &TokenRow, now: i64) -> Value {
    json!({
        "id": t.id,
        "label": t.label,
        "created_at": t.created_at,
        "expires_at": rfc3339(t.expires_at),
        "expired": t.expires_at <= now,
    })
}

async fn token_list(state: &AppState, caller: &Caller) -> ApiResult<Vec<Value>> {
    let now = auth::unix_now();
    Ok(state
        .store
        .tokens_of(&caller.user)
        .await?
        .iter()
        .map(|t| token_json(t, now))
        .collect())
}

async fn api_tokens(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    Ok(Json(Value::Array(token_list(&state, &caller).await?)))
}

async fn api_revoke_token(
    State(state): State<AppState>,
    Writer(caller): Writer,
    P(id): P<String>,
) -> ApiResult<StatusCode> {
    revoke_token(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends what the call authenticated with: the bearer token, or the session.
async fn api_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Writer(caller): Writer,
) -> ApiResult<StatusCode> {
    match &caller.via {
        Via::Bearer => {
            if let Some(t) = auth::bearer_token(&state, &headers).await? {
                let mut audit = NewAudit::new(&caller.user, "token.revoke");
                audit.detail = format!("{} (logout)", t.id);
                state.store.delete_token(&caller.user, &t.id, audit).await?;
            }
        }
        Via::Session { token_hash, .. } => state.store.delete_session(token_hash).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordInput {
    current_password: String,
    new_password: String,
}

async fn api_change_password(
    State(state): State<AppState>,
    client: auth::ClientAddr,
    Writer(caller): Writer,
    JsonBody(input): JsonBody<PasswordInput>,
) -> ApiResult<StatusCode> {
    change_password(
        &state,
        &client,
        &caller,
        &input.current_password,
        &input.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn api_logout_everywhere(
    State(state): State<AppState>,
    Writer(caller): Writer,
) -> ApiResult<StatusCode> {
    logout_everywhere(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn account_view(
    state: &AppState,
    caller: &Caller,
    done: Option<&str>,
    error: Option<&ApiError>,
) -> UiResult {
    let mut ctx = ui::chrome(state, caller, None, "account", "Your account").await?;
    let mut tokens = token_list(state, caller).await?;
    tokens.iter_mut().for_each(shown_times);
    ctx.insert("tokens".into(), tokens.into());
    ctx.insert("min_password".into(), MIN_PASSWORD.into());
    let hooks = crate::access::inbox::webhooks_of(state, &caller.user).await?;
    ctx.insert(
        "webhooks".into(),
        json!(hooks
            .iter()
            .map(|h| json!({"id": h.id, "url": h.url}))
            .collect::<Vec<_>>()),
    );
    let done = match done {
        Some("password") => Some("Password changed."),
        Some("revoked") => Some("Token revoked."),
        Some("webhook") => Some("Webhook added."),
        Some("webhook-deleted") => Some("Webhook deleted."),
        _ => None,
    };
    if let Some(d) = done {
        ctx.insert("done".into(), d.into());
    }
    let status = match error {
        Some(e) => {
            ctx.insert("error".into(), e.message.clone().into());
            ctx.insert("error_field".into(), json!(e.field));
            e.status
        }
        None => StatusCode::OK,
    };
    Ok(ui::page(status, "account.html", &Value::Object(ctx)))
}

async fn account_page(
    State(state): State<AppState>,
    Session(caller): Session,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    account_view(&state, &caller, q.done.as_deref(), None).await
}

async fn password_form(
    State(state): State<AppState>,
    client: auth::ClientAddr,
    Session(caller): Session,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    let (current, new) = (raw(&form, "current_password"), raw(&form, "new_password"));
    let outcome = if new != raw(&form, "new_password_again") {
        Err(ApiError::field(
            "new_password_again",
            "the two new passwords differ",
        ))
    } else {
        change_password(&state, &client, &caller, &current, &new).await
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(e) if e.status.is_client_error() => account_view(&state, &caller, None, Some(&e)).await,
        Err(e) => Err(UiError(e)),
    }
}

async fn everywhere_form(
    State(state): State<AppState>,
    Session(caller): Session,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    logout_everywhere(&state, &caller).await?;
    crate::sessions::redirect_setting_cookie(
        "/login",
        &format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
            auth::COOKIE
        ),
    )
}

async fn revoke_token_form(
    State(state): State<AppState>,
    Session(caller): Session,
    body: Bytes,
) -> UiResult {
    let form = FormData::parse(&body)?;
    form.check_csrf(&caller)?;
    revoke_token(&state, &caller, form.get("id")).await?;
    Ok(Redirect::to("/account?done=revoked").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_shorter_than_ten_are_refused_saying_so() {
        let e = check_password("password", "123456789").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password"));
        assert!(
            e.message.contains("at least 10 characters"),
            "{}",
            e.message
        );
        check_password("password", "1234567890").unwrap();
        // Characters, not bytes: ten accented letters are ten.
        check_password("password", "éééééééééé").unwrap();
        assert!(check_password("password", "ééééé").is_err());
        assert!(check_password("password", &"x".repeat(MAX_PASSWORD + 1)).is_err());
    }

    #[test]
    fn user_names_are_url_safe() {
        for ok in ["ann", "a.b-c_d", "X9"] {
            check_user_name("user", ok).unwrap();
        }
        for bad in ["", "a b", "ann/..", "é", &"a".repeat(65)] {
            let e = check_user_name("user", bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("user"), "{bad:?}");
        }
    }

    #[test]
    fn links_start_where_the_client_reached_the_server() {
        let mut h = HeaderMap::new();
        assert_eq!(origin(&h), "");
        h.insert("host", "ws.example:8080".parse().unwrap());
        assert_eq!(origin(&h), "http://ws.example:8080");
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(origin(&h), "https://ws.example:8080");
        h.insert("host", "evil\"><x".parse().unwrap());
        assert_eq!(origin(&h), "");
    }
}
