//! The server-rendered UI (being written).

use crate::AppState;
use axum::Router;

/// The UI's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
