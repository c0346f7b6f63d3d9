//! `pactum search ROOM QUERY --as USER [--json]`: the API's search, from the
//! command line. The room is loaded through the server's access check as
//! the user sees it, and the server's own search runs on it, so a word that
//! occurs only in records the user may not see finds nothing, as in the
//! API; the read is audited like the API's.

use crate::workspace::{runtime, DbArgs};
use anyhow::{anyhow, Result};
use pactum_server::access::RoomAccess;
use pactum_server::search::{search as find, Query};
use pactum_server::AppState;

/// `pactum search`.
#[derive(clap::Args)]
pub struct SearchArgs {
    /// Room id.
    room: String,
    /// The words to find (every one must occur; letters and digits, case
    /// ignored, accents kept).
    query: String,
    /// Search the room as this user sees it.
    #[arg(long = "as")]
    as_user: String,
    /// Print `{"results": [{"kind", "id", "snippet"}]}` (every result, best
    /// first; `kind` is a record kind or `point`) instead of a list.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// One result as the command prints it.
struct Found {
    kind: String,
    id: String,
    title: String,
    snippet: String,
}

/// Runs `pactum search`.
pub fn search(args: SearchArgs) -> Result<()> {
    let found = runtime()?.block_on(load(&args))?;
    if args.json {
        let results: Vec<_> = found
            .iter()
            .map(|f| serde_json::json!({"kind": f.kind, "id": f.id, "snippet": f.snippet}))
            .collect();
        let out = serde_json::json!({ "results": results });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if found.is_empty() {
        println!("no results for {:?}", args.query);
    } else {
        for f in &found {
            println!("{} {}  {}\n    {}", f.kind, f.id, f.title, f.snippet);
        }
        println!(
            "{} result{}",
            found.len(),
            if found.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

async fn load(args: &SearchArgs) -> Result<Vec<Found>> {
    let query = Query::parse(Some(&args.query)).map_err(|e| anyhow!("{}", e.message))?;
    let store = args.db.open().await?;
    let state = AppState::new(store);
    let (user, room) = (&args.as_user, &args.room);
    let access = RoomAccess::load(&state, user, room)
        .await
        .map_err(|_| anyhow!("user {user:?} has no room {room:?}"))?;
    let hits = find(&state, &access, &query)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    access
        .audit_reads(&state, "read", hits.iter().map(|h| h.record))
        .await
        .map_err(|e| anyhow!("{e}"))?;
    Ok(hits
        .into_iter()
        .map(|h| Found {
            kind: h.kind,
            id: h.id,
            title: h.title,
            snippet: h.snippet.text,
        })
        .collect())
}
