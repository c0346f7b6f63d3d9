//! `pactum diff ROOM FROM_TEXT TO_TEXT`: the point-by-point redline between
//! two versions, as the operator or as a user sees the room. With `--as` the
//! room is loaded through the same access check as the server, so a version
//! the user may not see is reported exactly like a missing one.

use crate::workspace::{runtime, DbArgs};
use anyhow::{anyhow, bail, Result};
use pactum_server::access::{all_records, RoomAccess};
use pactum_server::AppState;
use pactum_store::NewAudit;
use pactum_workspace::model::{Kind, Room};
use pactum_workspace::redline::{diff_texts, Alignment, Change, PointDiff, SpanKind, TextDiff};

/// `pactum diff`.
#[derive(clap::Args)]
pub struct DiffArgs {
    /// Room id.
    room: String,
    /// The older version (text id).
    from: String,
    /// The newer version (text id).
    to: String,
    /// Compare the room as this user sees it (default: everything, as the operator).
    #[arg(long = "as")]
    as_user: Option<String>,
    /// Print `{"points": [...]}` (the API's `points`) instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs `pactum diff`.
pub fn diff(args: DiffArgs) -> Result<()> {
    let d = runtime()?.block_on(load(&args))?;
    if args.json {
        let out = serde_json::json!({ "points": d.points });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", table(&args.from, &args.to, &d));
    }
    Ok(())
}

/// The diff, reading only what the caller may see; the read is audited like
/// the API's (restricted versions by name for a user, one entry for the
/// operator).
async fn load(args: &DiffArgs) -> Result<TextDiff> {
    let store = args.db.open().await?;
    let state = AppState::new(store.clone());
    let room_id = &args.room;
    let not_found = |id: &str| anyhow!("no text {id:?} in room {room_id:?}");
    match &args.as_user {
        Some(user) => {
            let access = RoomAccess::load(&state, user, room_id)
                .await
                .map_err(|_| anyhow!("user {user:?} has no room {room_id:?}"))?;
            let old = access
                .room()
                .get(Kind::Text, &args.from)
                .ok_or_else(|| not_found(&args.from))?;
            let new = access
                .room()
                .get(Kind::Text, &args.to)
                .ok_or_else(|| not_found(&args.to))?;
            access
                .audit_reads(&state, "read", [old, new])
                .await
                .map_err(|e| anyhow!("{e}"))?;
            Ok(diff_texts(access.room(), old, new))
        }
        None => {
            if store.room(room_id).await?.is_none() {
                bail!("no room {room_id:?}");
            }
            let room = Room::new(
                all_records(&state, room_id)
                    .await
                    .map_err(|e| anyhow!("{e}"))?
                    .into_iter()
                    .map(|(r, _)| r)
                    .collect(),
            );
            let old = room
                .get(Kind::Text, &args.from)
                .ok_or_else(|| not_found(&args.from))?;
            let new = room
                .get(Kind::Text, &args.to)
                .ok_or_else(|| not_found(&args.to))?;
            let mut audit = NewAudit::new("operator", "diff");
            audit.room = Some(room_id.clone());
            audit.detail = format!("{} -> {}", args.from, args.to);
            store.append_audit(&[audit]).await?;
            Ok(diff_texts(&room, old, new))
        }
    }
}

/// Widest title shown in the table before it is cut with an ellipsis.
const TITLE_WIDTH: usize = 60;

/// The readable table: one line per entry, then the counts.
fn table(from: &str, to: &str, d: &TextDiff) -> String {
    let paired = match d.alignment {
        Alignment::Identity => "points paired by identity",
        Alignment::Content => "points paired by wording: no point identities",
    };
    let mut out = format!("{from} -> {to} ({paired})\n");
    let rows: Vec<[String; 4]> = d
        .points
        .iter()
        .map(|p| {
            [
                p.change.name().to_string(),
                numbers(&p.from, " + "),
                numbers(&p.to, " / "),
                title(p),
            ]
        })
        .collect();
    let header = ["change", "from", "to", "point"].map(String::from);
    let width = |i: usize| {
        rows.iter()
            .chain([&header])
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for r in [&header].into_iter().chain(&rows) {
        let line = format!("{:w0$}  {:w1$}  {:w2$}  {}", r[0], r[1], r[2], r[3]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let counts: Vec<String> = Change::ALL
        .iter()
        .filter(|&&c| d.count(c) > 0)
        .map(|&c| format!("{} {}", d.count(c), c.name()))
        .collect();
    out.push_str(&if counts.is_empty() {
        "no points\n".to_string()
    } else {
        format!("{}\n", counts.join(", "))
    });
    out
}

fn numbers(ns: &[u32], sep: &str) -> String {
    if ns.is_empty() {
        return "-".to_string();
    }
    ns.iter().map(u32::to_string).collect::<Vec<_>>().join(sep)
}

/// The entry's title as it reads in the new version (the old one for a
/// deletion), on one line and cut to [`TITLE_WIDTH`] characters.
fn title(p: &PointDiff) -> String {
    let skip = if p.change == Change::Deleted {
        SpanKind::Added
    } else {
        SpanKind::Removed
    };
    let text: String = p
        .title
        .iter()
        .filter(|s| s.kind != skip)
        .map(|s| s.text.as_str())
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > TITLE_WIDTH {
        let cut: String = text.chars().take(TITLE_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}
