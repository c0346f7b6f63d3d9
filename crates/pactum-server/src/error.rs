//! The server's one error type and how it becomes an HTTP answer.
//!
//! A record the caller may not see gets exactly the answer a missing record
//! gets ([`ApiError::not_found`]), so that a 404 tells nothing about what
//! exists behind it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pactum_workspace::model::FieldError;
use serde::Serialize;

/// An error answered to the client.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong, for people.
    pub message: String,
    /// The offending field, for writes.
    pub field: Option<String>,
    /// Seconds after which a throttled request may be tried again (sent
    /// as `Retry-After`).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    /// An error with a status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// The same error, telling the client when to try again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The answer for anything the caller may not see or that does not exist.
    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not found")
    }

    /// Not allowed for this user (the record itself is visible).
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// A bad request naming the field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("{field}: {}", message.into()),
            field: Some(field),
            retry_after: None,
        }
    }

    /// No valid session or token.
    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "log in first (session cookie or bearer token)",
        )
    }

    /// A server-side failure; the detail goes to the log, not the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        eprintln!("pactum-server: internal error: {detail}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::field(e.field, e.message)
    }
}

impl From<pactum_store::StoreError> for ApiError {
    fn from(e: pactum_store::StoreError) -> Self {
        match e {
            pactum_store::StoreError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, e.to_string())
            }
            e => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: &self.message,
            field: self.field.as_deref(),
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        res
    }
}

/// Handler results.
pub type ApiResult<T> = Result<T, ApiError>;
