//! Serves the demo room for looking at the UI by eye: the plain app on
//! 127.0.0.1:8099, and one extra port per demo login (8100, 8101, ...) that
//! is already signed in as that user, so a headless browser can take
//! screenshots of logged-in pages without driving the login form.
//!
//! ```text
//! cargo run -p pactum-server --example ui_demo
//! ```

use axum::extract::Request;
use axum::http::HeaderValue;
use pactum_server::{app, auth, load_demo, AppState};
use std::future::IntoFuture;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    let store = pactum_store::open_sqlite(&dir.path().join("demo.db")).await?;
    let pactum_server::Demo { room, logins, .. } = load_demo(store.as_ref()).await?;
    let state = AppState::new(store);
    let mut tasks = Vec::new();
    let plain = tokio::net::TcpListener::bind("127.0.0.1:8099").await?;
    println!("room {room}: http://127.0.0.1:8099/ (sign in)");
    tasks.push(tokio::spawn(
        axum::serve(plain, app(state.clone())).into_future(),
    ));
    for (i, l) in logins.iter().enumerate() {
        let set_cookie = auth::start_session(&state, &l.user).await?;
        let cookie = set_cookie.split(';').next().unwrap_or_default().to_string();
        let port = 8100 + i as u16;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        // The operator has no seat: their home is the room list.
        let home = if l.party_id.is_empty() {
            "/".to_string()
        } else {
            format!("/rooms/{room}")
        };
        println!(
            "  as {} ({}): http://127.0.0.1:{port}{home}",
            l.user, l.role
        );
        let router =
            app(state.clone()).layer(axum::middleware::map_request(move |mut req: Request| {
                let cookie = cookie.clone();
                async move {
                    if !req.headers().contains_key("cookie") {
                        if let Ok(v) = HeaderValue::from_str(&cookie) {
                            req.headers_mut().insert("cookie", v);
                        }
                    }
                    req
                }
            }));
        tasks.push(tokio::spawn(axum::serve(listener, router).into_future()));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}
