//! The server-rendered UI: plain HTML pages from minijinja templates, a
//! stylesheet and a little vanilla JavaScript, all compiled into the binary
//! so that the workspace runs offline and nothing is fetched from elsewhere.
//!
//! Pages read a room only through [`RoomAccess::load`], exactly like the
//! API, and writes go through [`crate::rooms`], so the UI cannot show or do
//! more than the API allows. A page about something the user may not see
//! answers with the same 404 page as a page about nothing at all.

mod briefing;
pub(crate) mod forms;
pub(crate) mod pages;
pub(crate) mod view;

use crate::access::RoomAccess;
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::Environment;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Every template, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("rooms.html", include_str!("../templates/rooms.html")),
    ("overview.html", include_str!("../templates/overview.html")),
    ("text.html", include_str!("../templates/text.html")),
    ("new_text.html", include_str!("../templates/new_text.html")),
    ("redline.html", include_str!("../templates/redline.html")),
    ("stances.html", include_str!("../templates/stances.html")),
    ("meetings.html", include_str!("../templates/meetings.html")),
    (
        "documents.html",
        include_str!("../templates/documents.html"),
    ),
    ("audit.html", include_str!("../templates/audit.html")),
    ("model.html", include_str!("../templates/model.html")),
    ("analysis.html", include_str!("../templates/analysis.html")),
    ("sessions.html", include_str!("../templates/sessions.html")),
    ("session.html", include_str!("../templates/session.html")),
    ("briefing.html", include_str!("../templates/briefing.html")),
    ("record.html", include_str!("../templates/record.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("amend.html", include_str!("../templates/amend.html")),
    (
        "amendment.html",
        include_str!("../templates/amendment.html"),
    ),
    ("import.html", include_str!("../templates/import.html")),
    ("setup.html", include_str!("../templates/setup.html")),
    ("invite.html", include_str!("../templates/invite.html")),
    ("people.html", include_str!("../templates/people.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("inbox.html", include_str!("../templates/inbox.html")),
    ("new_room.html", include_str!("../templates/new_room.html")),
    (
        "room_setup.html",
        include_str!("../templates/room_setup.html"),
    ),
];

const APP_CSS: &str = include_str!("../static/app.css");
const APP_JS: &str = include_str!("../static/app.js");

/// The template environment, built once: templates are fixed at compile
/// time, so a broken one fails the first render (and the tests), not a
/// random later request.
fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                panic!("template {name} does not compile: {e:#}");
            }
        }
        env.add_filter("urlpart", urlpart);
        env.add_filter("css_string", css_string);
        env
    })
}

/// A quoted CSS string of `value`, for the print style's page headers
/// (`@page { @top-left { content: ... } }`): every ASCII character but
/// letters, digits and spaces is hex-escaped, so a label can neither end
/// the string nor the `<style>` element it stands in.
pub(crate) fn css_string(value: String) -> minijinja::Value {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || c == ' ' || !c.is_ascii() && !c.is_control() {
            out.push(c);
        } else {
            out.push_str(&format!("\\{:x} ", c as u32));
        }
    }
    out.push('"');
    minijinja::Value::from_safe_string(out)
}

/// Percent-encodes a path segment or query value, because record ids come
/// from case files and may hold characters that mean something in a URL.
pub(crate) fn urlpart(value: String) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A short fingerprint of the static files, appended to their URLs so that
/// browsers may cache them for long yet pick up a new build at once.
pub(crate) fn asset_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(APP_CSS.as_bytes());
        h.update(APP_JS.as_bytes());
        h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// Renders a template with a JSON context.
pub(crate) fn render(name: &str, ctx: &Value) -> Result<String, ApiError> {
    let tmpl = env()
        .get_template(name)
        .map_err(|e| ApiError::internal(format!("template {name}: {e:#}")))?;
    tmpl.render(ctx)
        .map_err(|e| ApiError::internal(format!("rendering {name}: {e:#}")))
}

/// An HTML answer with the headers every page carries: pages hold
/// confidential material, so they are never cached, never framed, and may
/// run only the workspace's own script.
fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    private_headers(
        &mut res,
        "text/html; charset=utf-8",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    let h = res.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// What every answer holding room material says, pages and downloads
/// alike: its type, which a browser must not second-guess; that no cache
/// may keep it; and the content policy it may run under.
fn private_headers(res: &mut Response, content_type: &'static str, csp: &'static str) {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// Renders a page; a template failure becomes the error page.
pub(crate) fn page(status: StatusCode, name: &str, ctx: &Value) -> Response {
    match render(name, ctx) {
        Ok(body) => html(status, body),
        Err(e) => UiError(e).into_response(),
    }
}

/// A failed request as a page. Unauthenticated requests go to the login
/// form; everything else gets the error page with the status, and a 404
/// says nothing about what may exist behind it.
pub(crate) struct UiError(pub(crate) ApiError);

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        UiError(e)
    }
}

impl From<pactum_store::StoreError> for UiError {
    fn from(e: pactum_store::StoreError) -> Self {
        UiError(e.into())
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        let (heading, message) = match e.status {
            StatusCode::NOT_FOUND => (
                "Not found",
                "There is nothing here, or nothing you have access to.".to_string(),
            ),
            StatusCode::FORBIDDEN => ("Not allowed", e.message.clone()),
            s if s.is_server_error() => (
                "Something went wrong",
                "The server could not complete this request. It has been logged.".to_string(),
            ),
            _ => ("Request refused", e.message.clone()),
        };
        let ctx = json!({
            "asset_v": asset_version(),
            "status": e.status.as_u16(),
            "heading": heading,
            "message": message,
        });
        match render("error.html", &ctx) {
            Ok(body) => html(e.status, body),
            Err(_) => (e.status, message).into_response(),
        }
    }
}

/// What UI handlers return.
pub(crate) type UiResult = Result<Response, UiError>;

/// A logged-in user; anyone else is sent to the login form.
pub(crate) struct Session(pub(crate) Caller);

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match auth::caller(state, &parts.headers).await {
            Ok(Some(c)) => Ok(Session(c)),
            Ok(None) => {
                let target = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let to = if parts.method == axum::http::Method::GET && target != "/" {
                    format!("/login?next={}", urlpart(target.to_string()))
                } else {
                    "/login".to_string()
                };
                Err(Redirect::to(&to).into_response())
            }
            Err(e) => Err(UiError(e).into_response()),
        }
    }
}

/// A submitted form as name/value pairs. Parsed by hand rather than into a
/// struct because checkbox groups repeat a name, and because a malformed
/// form should give a page naming the problem, not a bare 422.
#[derive(Debug, Default, Clone)]
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    pub(crate) fn parse(bytes: &[u8]) -> Result<FormData, ApiError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(FormData)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("malformed form: {e}")))
    }

    /// The last value given for a name, trimmed ("" when absent).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The last value given for a name exactly as submitted ("" when
    /// absent): wording is kept byte for byte, where `get` trims.
    pub(crate) fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The value, or `None` when absent or blank.
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Every non-blank value given for a name (checkbox groups).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Refuses the form unless it echoes the session's CSRF token.
    pub(crate) fn check_csrf(&self, caller: &Caller) -> Result<(), ApiError> {
        let given = self
            .0
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str());
        caller.check_csrf(given)
    }

    /// The values as a JSON object for re-filling a form after an error
    /// (single values as strings, repeated names as lists).
    pub(crate) fn values(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, v) in &self.0 {
            if k == "_csrf" || k.contains("password") {
                continue;
            }
            match out.get_mut(k) {
                Some(Value::Array(a)) => a.push(Value::String(v.clone())),
                Some(old) => {
                    let first = old.take();
                    *old = Value::Array(vec![first, Value::String(v.clone())]);
                }
                None => {
                    out.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
        out
    }
}

/// A refused form, re-shown on its page with the message and the values
/// the user typed.
pub(crate) struct Fail {
    /// Which form on the page.
    pub(crate) form: &'static str,
    /// Why.
    pub(crate) error: ApiError,
    /// What was submitted.
    pub(crate) values: FormData,
}

impl Fail {
    pub(crate) fn status(&self) -> StatusCode {
        self.error.status
    }

    /// The error as the templates show it: the field's label and the input
    /// to mark, so the message names what to fix.
    pub(crate) fn json(&self) -> Value {
        let field = self.error.field.clone().unwrap_or_default();
        let (input, label) = view::field_label(self.form, &field);
        let message = match &self.error.field {
            Some(f) => self
                .error
                .message
                .strip_prefix(&format!("{f}: "))
                .unwrap_or(&self.error.message)
                .to_string(),
            None => self.error.message.clone(),
        };
        json!({
            "form": self.form,
            "field": field,
            "input": input,
            "label": label,
            "message": message,
        })
    }
}

/// The frame every logged-in page shares: who is looking, in which room,
/// and where the navigation points.
pub(crate) async fn chrome(
    state: &AppState,
    caller: &Caller,
    access: Option<&RoomAccess>,
    active: &str,
    title: &str,
) -> Result<Map<String, Value>, ApiError> {
    let display = auth::user(state, &caller.user)
        .await?
        .map(|u| u.display_name)
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| caller.user.clone());
    let mut ctx = Map::new();
    ctx.insert("asset_v".into(), asset_version().into());
    ctx.insert("csrf".into(), caller.csrf().into());
    ctx.insert("active".into(), active.into());
    ctx.insert("page_title".into(), title.into());
    let operator = auth::is_operator(state, &caller.user).await?;
    ctx.insert(
        "user".into(),
        json!({"name": caller.user, "display": display, "operator": operator}),
    );
    if let Some(a) = access {
        ctx.insert("rurl".into(), pages::room_path(a.room_id(), "").into());
        let names = a.room().party_names();
        let latest = view::latest_text(a.room()).map(|t| t.id().to_string());
        ctx.insert(
            "room".into(),
            json!({
                "id": a.room_id(),
                "title": a.title(),
                "party_id": a.party_id(),
                "party_name": names.get(a.party_id()).copied().unwrap_or(a.party_id()),
                "role": a.role(),
                "role_label": view::role_label(a.role()),
                "is_mediator": a.is_mediator(),
                "latest_text": latest,
                "disclaimer": a
                    .room()
                    .each::<pactum_workspace::body::Meta>()
                    .next()
                    .and_then(|m| m.body.disclaimer.as_deref()),
            }),
        );
    }
    Ok(ctx)
}

/// The UI's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/rooms/{room}/briefing", get(briefing::briefing))
        .fallback(fallback)
}

/// Unknown paths: the API's clients get JSON, browsers the 404 page.
async fn fallback(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::not_found().into_response()
    } else {
        UiError(ApiError::not_found()).into_response()
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            env().get_template(name).unwrap();
        }
    }

    #[test]
    fn css_strings_cannot_break_out() {
        assert_eq!(
            css_string("v2 \"x\"</style>é".into()).to_string(),
            "\"v2 \\22 x\\22 \\3c \\2f style\\3e é\""
        );
    }

    #[test]
    fn urlpart_escapes_reserved_characters() {
        assert_eq!(urlpart("v1.p01".into()), "v1.p01");
        assert_eq!(urlpart("a/b c?d".into()), "a%2Fb%20c%3Fd");
    }
}
