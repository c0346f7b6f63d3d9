//! The workspace commands: serve, case import/export, user add, operator
//! add, audit verify, backup and restore. Each opens the store, calls the server crate
//! and prints what a person needs (addresses, logins, errors naming the file
//! and field).

use anyhow::{anyhow, bail, Context, Result};
use pactum_server::access::ids::IdSeed;
use pactum_server::access::{all_records, RoomAccess};
use pactum_server::import::Ids;
use pactum_server::{auth, AppState};
use pactum_store::{MemberRow, NewAudit, Store, UserRow};
use pactum_workspace::case;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the workspace keeps its data.
#[derive(clap::Args, Clone)]
pub struct DbArgs {
    /// SQLite file (created if missing).
    #[arg(long, default_value = "pactum.db")]
    db: PathBuf,
    /// PostgreSQL instead of SQLite (postgres://user@host/db); also read from PACTUM_DATABASE_URL.
    #[arg(long, env = "PACTUM_DATABASE_URL")]
    database_url: Option<String>,
}

impl DbArgs {
    pub(crate) async fn open(&self) -> Result<Arc<dyn Store>> {
        match &self.database_url {
            Some(url) => pactum_store::connect_postgres(url)
                .await
                .with_context(|| format!("connecting to {}", redact(url))),
            None => pactum_store::open_sqlite(&self.db)
                .await
                .with_context(|| format!("opening {}", self.db.display())),
        }
    }

    fn describe(&self) -> String {
        match &self.database_url {
            Some(url) => format!("PostgreSQL {}", redact(url)),
            None => {
                let p = std::fs::canonicalize(&self.db).unwrap_or_else(|_| self.db.clone());
                format!("SQLite {}", p.display())
            }
        }
    }
}

/// A connection URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `pactum serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Load the demo case (the late-2025 peace-plan talks) and its logins.
    #[arg(long)]
    demo: bool,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// The address browsers reach the workspace at (for example
    /// `https://pactum.example.org`); with `https://`, session cookies are
    /// marked `Secure`.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Believe a reverse proxy's `X-Forwarded-Proto` and `X-Forwarded-For`.
    /// Give it only when every request passes through that proxy: otherwise
    /// a client could claim any address (to dodge login throttling or to
    /// throttle someone else).
    #[arg(long)]
    trust_proxy: bool,
    /// The largest document file (PDF, DOCX, ODT) accepted for upload, in
    /// megabytes; larger uploads are refused with 413 while being read.
    #[arg(long, value_name = "MB", default_value_t = 25,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    max_file_mb: u32,
    #[command(flatten)]
    db: DbArgs,
}

impl ServeArgs {
    /// How browsers reach the server, from `--public-url` and `--trust-proxy`.
    fn transport(&self) -> Result<auth::Transport> {
        let https = match self.public_url.as_deref() {
            None => false,
            Some(u) if u.starts_with("https://") => true,
            Some(u) if u.starts_with("http://") => false,
            Some(u) => bail!("--public-url: expected an http:// or https:// URL, got {u:?}"),
        };
        Ok(auth::Transport {
            https,
            trust_proxy: self.trust_proxy,
        })
    }
}

/// `pactum case ...`.
#[derive(clap::Subcommand)]
pub enum CaseCommand {
    /// Import a case file (pactum's format or the shared case schema) as a new room.
    Import {
        /// The case file (JSON).
        file: PathBuf,
        /// Room id (default: the file's room or case id).
        #[arg(long)]
        room: Option<String>,
        /// Show every record with the visibility it would get, the rule
        /// that derived it and the id it will have in the room, and write
        /// nothing (no database is opened).
        #[arg(long)]
        dry_run: bool,
        /// Print JSON: the preview with --dry-run (as `POST
        /// /api/import/preview`), else the room, the record count and every
        /// fresh id (case id → room id).
        #[arg(long)]
        json: bool,
        /// Keep a schema file's own ids instead of giving its records fresh
        /// ones. Ids that run in sequence (s01, s02, ...) may then reveal to
        /// a party, through the gaps in those it sees, that records hidden
        /// from it exist. (pactum's own format always keeps its ids.)
        #[arg(long)]
        keep_ids: bool,
        /// Draw the fresh ids from this seed (32 hex digits, as a --dry-run
        /// prints it), so that the import stores the ids that dry run showed.
        #[arg(long, value_name = "HEX", conflicts_with = "keep_ids")]
        id_seed: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Export a room as a case file in pactum's format.
    Export {
        /// Room id.
        room: String,
        /// Export only what this user may see (default: everything, as the operator).
        #[arg(long = "as")]
        as_user: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Convert a case file to pactum's format without a database (a schema
    /// file's records get fresh ids, as on import).
    Convert {
        /// The case file.
        file: PathBuf,
        /// Keep a schema file's own ids (they may reveal hidden records
        /// through their gaps once imported).
        #[arg(long)]
        keep_ids: bool,
        /// Output file (default: standard output).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

/// `pactum user ...`.
#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Create a user and make it a delegate of a party in a room.
    Add {
        /// Login name.
        name: String,
        /// Room id.
        #[arg(long)]
        room: String,
        /// Party id in that room (its kind makes the user mediator, delegate or observer).
        #[arg(long)]
        party: String,
        /// Display name (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (default: generate and print one).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `pactum operator ...`.
#[derive(clap::Subcommand)]
pub enum OperatorCommand {
    /// Create an operator account (or make an existing user an operator):
    /// operators create rooms and invite their mediators, and see no room's
    /// content unless they also hold a seat.
    Add {
        /// Login name.
        name: String,
        /// Display name (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (default: generate and print one).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `pactum audit ...`.
#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 at the first edited, removed or re-linked entry.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub(crate) fn write_out(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        // Write beside the target and rename, so a failure never leaves half a file.
        Some(path) => {
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
            Ok(())
        }
        // A reader that stops early (`| head`) is not an error.
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{text}").and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("writing to standard output"),
            }
        }
    }
}

/// `pactum serve`.
pub fn serve(args: ServeArgs) -> Result<()> {
    let transport = args.transport()?;
    runtime()?.block_on(async {
        let store = args.db.open().await?;
        let listener = tokio::net::TcpListener::bind(&args.bind)
            .await
            .with_context(|| format!("listening on {}", args.bind))?;
        let addr = listener.local_addr()?;
        println!("pactum workspace on {}", args.db.describe());
        if args.demo {
            let pactum_server::Demo { room, logins, .. } = pactum_server::load_demo(store.as_ref())
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!("demo room: {room}");
            println!("demo logins (user / password / role):");
            for l in logins {
                if l.party_id.is_empty() {
                    println!("  {:<18} {:<24} {}", l.user, l.password, l.role);
                } else {
                    println!(
                        "  {:<18} {:<24} {} of {}",
                        l.user, l.password, l.role, l.party_id
                    );
                }
            }
        }
        let state = AppState::new(store)
            .with_transport(transport)
            .with_file_limit(args.max_file_mb as usize * 1024 * 1024);
        // Rooms from before amendments were records: their proposed
        // wordings become amendments, once (the migration is idempotent).
        let migrated = pactum_server::migrate_rooms(&state)
            .await
            .map_err(|e| anyhow!("migrating amendments: {}", e.message))?;
        if migrated > 0 {
            println!("migrated {migrated} proposed wordings into amendments");
        }
        // The link names the address browsers use: --public-url when given.
        let base = match args.public_url.as_deref() {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{addr}"),
        };
        if let Some(path) = pactum_server::people::setup_link(&state)
            .await
            .map_err(|e| anyhow!("{e}"))?
        {
            println!("first start: no operator yet; create one (this link works once):");
            println!("  {base}{path}");
            println!("  (or run `pactum operator add NAME`)");
        }
        println!("listening on http://{addr}/");
        pactum_server::serve(state, listener)
            .await
            .context("serving")
    })
}

/// `pactum case ...`.
pub fn case(cmd: CaseCommand) -> Result<()> {
    match cmd {
        CaseCommand::Convert {
            file,
            out,
            keep_ids,
        } => {
            let ids =
                Ids::choose(keep_ids, None, "--id-seed").map_err(|e| anyhow!("{}", e.message))?;
            let parsed = read_preview(&file, &ids)?.into_case();
            let value = case::export(&parsed.room_id, &parsed.title, &parsed.records);
            write_out(out.as_deref(), &pretty(&value)?)
        }
        CaseCommand::Import {
            file,
            room,
            dry_run,
            json,
            keep_ids,
            id_seed,
            db,
        } => {
            let ids = Ids::choose(keep_ids, id_seed.as_deref(), "--id-seed")
                .map_err(|e| anyhow!("{}", e.message))?;
            let preview = read_preview(&file, &ids)?;
            let room = room.unwrap_or_else(|| preview.room_id().to_string());
            if !case::valid_room_id(&room) {
                bail!("--room {room:?}: expected lowercase letters, digits, - and _");
            }
            let seed = match &ids {
                Ids::Fresh(seed) if preview.ids().is_some() => Some(seed),
                _ => None,
            };
            if dry_run {
                // Nothing is opened, so nothing can be written.
                let text = if json {
                    pretty(&pactum_server::import::preview_json(&preview, &room, seed))?
                } else {
                    preview_table(&preview, &room, seed)
                };
                return write_out(None, &text);
            }
            for w in preview.warnings() {
                eprintln!("warning: {w}");
            }
            let map = preview.ids().cloned();
            let parsed = preview.into_case();
            runtime()?.block_on(async {
                let store = db.open().await?;
                pactum_server::import_case(store.as_ref(), &parsed, &room, "operator").await?;
                if json {
                    let mut v = serde_json::json!({"room": room, "records": parsed.records.len()});
                    if let Some(map) = &map {
                        v["ids"] = serde_json::to_value(map)?;
                    }
                    return write_out(None, &pretty(&v)?);
                }
                println!(
                    "imported {} records into room {room} ({}){}",
                    parsed.records.len(),
                    db.describe(),
                    if map.is_some() {
                        "; its texts, meetings, stances and points have fresh ids (--dry-run shows them)"
                    } else {
                        ""
                    }
                );
                Ok(())
            })
        }
        CaseCommand::Export {
            room,
            as_user,
            out,
            db,
        } => runtime()?.block_on(async {
            let store = db.open().await?;
            let state = AppState::new(store.clone());
            let value = match as_user {
                Some(user) => {
                    let access = RoomAccess::load(&state, &user, &room)
                        .await
                        .map_err(|_| anyhow!("user {user:?} has no room {room:?}"))?;
                    access
                        .audit_reads(&state, "export", access.room().records())
                        .await
                        .map_err(|e| anyhow!("{e}"))?;
                    pactum_server::rooms::export(&state, &access)
                        .await
                        .map_err(|e| anyhow!("{e}"))?
                }
                None => {
                    let row = store
                        .room(&room)
                        .await?
                        .ok_or_else(|| anyhow!("no room {room:?}"))?;
                    let mut records: Vec<_> = all_records(&state, &room)
                        .await
                        .map_err(|e| anyhow!("{e}"))?
                        .into_iter()
                        .map(|(r, _)| r)
                        .collect();
                    pactum_workspace::setup::arrange(&mut records);
                    let mut audit = NewAudit::new("operator", "export");
                    audit.room = Some(room.clone());
                    audit.detail = format!("{} records", records.len());
                    store.append_audit(&[audit]).await?;
                    let files = pactum_server::access::files::all_files(&state, &room)
                        .await
                        .map_err(|e| anyhow!("{e}"))?;
                    case::export_with_files(&room, &row.title, &records, &files)
                }
            };
            write_out(out.as_deref(), &pretty(&value)?)
        }),
    }
}

fn pretty(v: &serde_json::Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(v)?)
}

fn read_preview(file: &Path, ids: &Ids) -> Result<case::Preview> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    pactum_server::import::preview_with_ids(&text, ids).map_err(|e| match e {
        case::CaseError::Json {
            line,
            column,
            message,
        } => {
            anyhow!(
                "{}:{line}:{column}: not valid JSON: {message}",
                file.display()
            )
        }
        case::CaseError::Field { path, message } => {
            anyhow!("{}: {path}: {message}", file.display())
        }
    })
}

/// The `--dry-run` table: one line per record, grouped as the file lists
/// them, with its id in the file and the id it will have in the room.
fn preview_table(preview: &case::Preview, room: &str, seed: Option<&IdSeed>) -> String {
    let rows: Vec<[String; 5]> = preview
        .records
        .iter()
        .map(|r| {
            [
                r.kind.to_string(),
                r.id.clone(),
                r.stored_id.clone(),
                r.visibility.label(),
                r.reason.clone(),
            ]
        })
        .collect();
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let (wk, wi, ws, wv) = (
        width(0).max(4),
        width(1).max(7),
        width(2).max(7),
        width(3).max(10),
    );
    let points = preview.records.iter().filter(|r| r.kind == "point").count();
    let mut out = format!(
        "dry run: room {room} ({}), {} records and {points} points; nothing written\n",
        preview.title(),
        preview.records.len() - points,
    );
    if let Some(seed) = seed {
        out.push_str(&format!(
            "fresh ids: give --id-seed {} to import with the ids shown\n",
            seed.as_str()
        ));
    }
    for w in preview.warnings() {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push_str(&format!(
        "{:<wk$}  {:<wi$}  {:<ws$}  {:<wv$}  rule\n",
        "kind", "case id", "room id", "visibility",
    ));
    for [k, i, s, v, r] in rows {
        out.push_str(&format!("{k:<wk$}  {i:<wi$}  {s:<ws$}  {v:<wv$}  {r}\n"));
    }
    out.pop();
    out
}

/// `pactum user ...`.
pub fn user(cmd: UserCommand) -> Result<()> {
    let UserCommand::Add {
        name,
        room,
        party,
        display_name,
        password_stdin,
        db,
    } = cmd;
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        bail!("user name {name:?}: expected a non-empty name without spaces");
    }
    let (password, generated) = if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the password from standard input")?;
        let s = s.trim_end_matches(['\r', '\n']).to_string();
        if s.len() < 8 {
            bail!("password: expected at least 8 characters");
        }
        (s, false)
    } else {
        (auth::random_hex(12), true)
    };
    runtime()?.block_on(async {
        let store = db.open().await?;
        let state = AppState::new(store.clone());
        if store.room(&room).await?.is_none() {
            bail!("no room {room:?}");
        }
        let known = all_records(&state, &room)
            .await
            .map_err(|e| anyhow!("{e}"))?
            .iter()
            .any(|(r, _)| r.kind == pactum_workspace::model::Kind::Party && r.id == party);
        if !known {
            bail!("room {room:?} has no party {party:?}");
        }
        let pw = password.clone();
        let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
            .await?
            .map_err(|e| anyhow!(e))?;
        if store.user(&name).await?.is_none() {
            let mut audit = NewAudit::new("operator", "user.create");
            audit.detail = name.clone();
            store
                .create_user(
                    &UserRow {
                        name: name.clone(),
                        display_name: display_name.unwrap_or_else(|| name.clone()),
                        password_hash: hash,
                        created_at: pactum_server::now(),
                    },
                    audit,
                )
                .await?;
        }
        let mut audit = NewAudit::new("operator", "member.add");
        audit.room = Some(room.clone());
        audit.detail = format!("{name} as {party}");
        store
            .add_member(
                &MemberRow {
                    room: room.clone(),
                    user: name.clone(),
                    party_id: party.clone(),
                },
                audit,
            )
            .await?;
        println!("user {name} is a delegate of {party} in {room}");
        if generated {
            println!("password: {password}");
        }
        Ok(())
    })
}

/// `pactum operator add`.
pub fn operator(cmd: OperatorCommand) -> Result<()> {
    let OperatorCommand::Add {
        name,
        display_name,
        password_stdin,
        db,
    } = cmd;
    pactum_server::people::check_user_name("NAME", &name).map_err(|e| anyhow!("{}", e.message))?;
    let (password, generated) = if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the password from standard input")?;
        let s = s.trim_end_matches(['\r', '\n']).to_string();
        pactum_server::people::check_password("password", &s)
            .map_err(|e| anyhow!("{}", e.message))?;
        (s, false)
    } else {
        (auth::random_hex(12), true)
    };
    runtime()?.block_on(async {
        let store = db.open().await?;
        if store.user(&name).await?.is_some() {
            let mut audit = NewAudit::new("cli", "operator.add");
            audit.detail = name.clone();
            store.set_operator(&name, true, audit).await?;
            println!("user {name} is now an operator (password unchanged)");
            return Ok(());
        }
        let pw = password.clone();
        let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
            .await?
            .map_err(|e| anyhow!(e))?;
        let mut audit = NewAudit::new("cli", "operator.create");
        audit.detail = name.clone();
        let row = UserRow {
            name: name.clone(),
            display_name: display_name.unwrap_or_else(|| name.clone()),
            password_hash: hash,
            created_at: pactum_server::now(),
        };
        store.create_operator(&row, false, audit).await?;
        println!("operator {name} created");
        if generated {
            println!("password: {password}");
        }
        Ok(())
    })
}

/// `pactum audit verify`.
pub fn audit(cmd: AuditCommand) -> Result<()> {
    let AuditCommand::Verify { db } = cmd;
    runtime()?.block_on(async {
        let store = db.open().await?;
        let report = store.verify_audit().await?;
        if report.ok() {
            println!(
                "audit chain intact: {} entries ({})",
                report.entries,
                db.describe()
            );
            Ok(())
        } else {
            eprintln!(
                "audit chain BROKEN at entry {}: {} ({} entries checked)",
                report
                    .first_bad
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "?".into()),
                report.reason.clone().unwrap_or_default(),
                report.entries
            );
            std::process::exit(1)
        }
    })
}

/// `pactum backup`.
pub fn backup(out: PathBuf, db: DbArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let dump = store.dump().await?;
        let text = serde_json::to_string(&dump)?;
        write_out(Some(&out), &text)?;
        println!("backup of {} written to {}", db.describe(), out.display());
        Ok(())
    })
}

/// `pactum restore`.
pub fn restore(file: PathBuf, db: DbArgs) -> Result<()> {
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let dump: pactum_store::Dump = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{}:{}:{}: not a pactum backup: {e}",
            file.display(),
            e.line(),
            e.column()
        )
    })?;
    runtime()?.block_on(async {
        let store = db.open().await?;
        store.restore(&dump).await?;
        let report = store.verify_audit().await?;
        println!(
            "restored {} into {}; audit chain: {} entries, {}",
            file.display(),
            db.describe(),
            report.entries,
            if report.ok() { "intact" } else { "BROKEN" }
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn transport(flags: &[&str]) -> Result<auth::Transport> {
        let mut argv = vec!["serve"];
        argv.extend_from_slice(flags);
        Serve::try_parse_from(argv)?.args.transport()
    }

    #[test]
    fn public_url_and_trust_proxy_say_how_browsers_come() {
        let t = transport(&[]).unwrap();
        assert!(!t.https && !t.trust_proxy);
        let t = transport(&["--public-url", "https://pactum.example.org"]).unwrap();
        assert!(t.https && !t.trust_proxy);
        let t = transport(&["--public-url", "http://10.0.0.5:8080", "--trust-proxy"]).unwrap();
        assert!(!t.https && t.trust_proxy);
        let e = transport(&["--public-url", "pactum.example.org"]).unwrap_err();
        assert!(e.to_string().contains("--public-url"), "{e}");
    }
}
