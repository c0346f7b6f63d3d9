//! `pactum report`: a user's briefing on a room, written as Markdown or as a
//! self-contained HTML file. The room is loaded exactly as the server loads
//! it for that user ([`RoomAccess::load`]), and the records shown are logged
//! as reads, as `case export --as` does.

use anyhow::{anyhow, Result};
use pactum_server::access::RoomAccess;
use pactum_server::{rooms, AppState};
use std::path::PathBuf;

use crate::workspace::{runtime, write_out, DbArgs};

/// The briefing's format.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// One HTML file, style sheet and charts inline.
    Html,
}

/// Arguments of `pactum report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// Room id.
    room: String,
    /// The user the briefing is for: it holds only what this user may see.
    #[arg(long = "as")]
    as_user: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// Write here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs `pactum report`.
pub fn report(args: ReportArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.db.open().await?;
        let state = AppState::new(store);
        let (user, room) = (&args.as_user, &args.room);
        let access = RoomAccess::load(&state, user, room)
            .await
            .map_err(|_| anyhow!("user {user:?} has no room {room:?}"))?;
        let prepared = pactum_server::now();
        // The mediator's briefing carries the zone status, as its page does.
        let zone = pactum_server::models::briefing_zone(&state, &access)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let briefing = rooms::briefing(&access, zone.as_ref(), Some(&prepared));
        access
            .audit_reads(
                &state,
                "report",
                rooms::briefing_records(&access, &briefing),
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let text = match args.format {
            Format::Md => briefing.markdown(),
            Format::Html => briefing.html(),
        };
        write_out(args.output.as_deref(), &text)
    })
}
