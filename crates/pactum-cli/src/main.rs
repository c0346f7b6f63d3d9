//! The `pactum` command line: a thin shell over the library crates.
//!
//! Arguments are parsed in two stages: clap fills raw structs, which are then
//! checked and turned into the library's option types before any work starts.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use pactum_core::{analyze, AnalysisOptions, Semantics};
use pactum_formats::{load_folder, report, LoadOptions, Normalize};
use std::path::{Path, PathBuf};
use std::time::Instant;

mod briefing;
mod diff;
mod mediate;
mod negotiate;
mod search;
mod tournament;
mod workspace;
mod zone;

#[derive(Parser)]
#[command(
    name = "pactum",
    version,
    about = "Negotiation engine and mediation workspace: exact analysis of multi-issue, multi-party scenarios, and a home for mediated talks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse a GENIUS scenario folder: frontier, Nash, Kalai-Smorodinsky, Kalai, max welfare.
    Analyze(AnalyzeArgs),
    /// The agreement zone: its size and best packages, or, when it is empty, the issues that block it and each party's smallest concession.
    Zone(zone::ZoneArgs),
    /// Run one negotiation and print its offer trace and result.
    Negotiate(negotiate::NegotiateArgs),
    /// Mediate a single negotiating text: the mediator proposes, each party answers privately.
    Mediate(mediate::MediateArgs),
    /// Run a tournament (every ordered pair × profile rotations × reps), streamed to CSV; `merge` joins shards.
    Tournament(tournament::TournamentArgs),
    /// Run the mediation workspace (web UI and JSON API).
    Serve(workspace::ServeArgs),
    /// Move rooms in and out as case files.
    #[command(subcommand)]
    Case(workspace::CaseCommand),
    /// Manage workspace users.
    #[command(subcommand)]
    User(workspace::UserCommand),
    /// The redline between two versions of a room's text, point by point (unchanged, renumbered, changed, moved, merged, split, inserted, deleted).
    Diff(diff::DiffArgs),
    /// Full-text search of a room as a user sees it (versions, points, stances, meetings, documents, notes...).
    Search(search::SearchArgs),
    /// Manage the workspace's operators (who create rooms and invite their mediators).
    #[command(subcommand)]
    Operator(workspace::OperatorCommand),
    /// Check the workspace's hash-chained audit log.
    #[command(subcommand)]
    Audit(workspace::AuditCommand),
    /// A user's briefing on a room (timeline, current text, stance matrix, zone status), as Markdown or HTML.
    Report(briefing::ReportArgs),
    /// Write every room, user and audit entry to a backup file (JSON).
    Backup {
        /// The backup file.
        out: PathBuf,
        #[command(flatten)]
        db: workspace::DbArgs,
    },
    /// Restore a backup into an empty database.
    Restore {
        /// The backup file.
        file: PathBuf,
        #[command(flatten)]
        db: workspace::DbArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SemanticsArg {
    /// GENIUS 10.4 (evaluations divided by the issue maximum, inclusive rectangle bounds).
    Genius,
    /// NegMAS 0.16.0 (raw evaluations, exclusive bounds, its disagreement point).
    Negmas,
}

#[derive(Clone, Copy, ValueEnum)]
enum NormalizeArg {
    /// Utilities as loaded.
    None,
    /// Each ufun mapped to [0, 1] on its own, as NegMAS does it (negmas semantics only).
    Independent,
}

/// `--semantics` and `--normalize` as `negotiate`, `mediate` and
/// `tournament` take them: unless given, normalisation follows the
/// semantics, as NegMAS's harness does. (`analyze` and `zone` default to
/// none: see [`ScenarioArgs`].) A command that words a flag's help in its
/// own terms replaces it with `mut_arg`, so the flags' help stays as it was.
#[derive(clap::Args)]
struct RulesArgs {
    /// Whose rules to follow.
    #[arg(long, value_enum, default_value = "genius")]
    semantics: SemanticsArg,
    /// Rescale utilities (default: independent with negmas semantics, as the harness does).
    #[arg(long, value_enum)]
    normalize: Option<NormalizeArg>,
}

impl RulesArgs {
    /// The library's rules for the flags (see [`rules`]).
    fn rules(&self) -> Result<(Semantics, Normalize)> {
        rules(self.semantics, self.normalize)
    }
}

/// The library's semantics and normalisation for the flags, refusing
/// meaningless combinations; NegMAS semantics default to independent
/// normalisation, as the harness does.
fn rules(s: SemanticsArg, n: Option<NormalizeArg>) -> Result<(Semantics, Normalize)> {
    let semantics = match s {
        SemanticsArg::Genius => Semantics::Genius,
        SemanticsArg::Negmas => Semantics::Negmas,
    };
    let normalize = match (n, semantics) {
        (Some(NormalizeArg::None), _) | (None, Semantics::Genius) => Normalize::None,
        (Some(NormalizeArg::Independent), _) | (None, Semantics::Negmas) => Normalize::Independent,
    };
    if semantics == Semantics::Genius && normalize != Normalize::None {
        bail!("--normalize applies to --semantics negmas; GENIUS utilities are already in [0, 1]");
    }
    Ok((semantics, normalize))
}

/// The flags that choose a scenario and the rules to load it under, shared
/// by `analyze` and `zone`.
#[derive(clap::Args)]
struct ScenarioArgs {
    /// The scenario folder (one domain file, one profile per party).
    dir: PathBuf,
    /// Whose rules to follow.
    #[arg(long, value_enum, default_value = "genius")]
    semantics: SemanticsArg,
    /// Rescale utilities (negmas semantics only).
    #[arg(long, value_enum, default_value = "none")]
    normalize: NormalizeArg,
    /// Comma-separated profile file names, in seat order (default: every profile, by file name).
    #[arg(long, value_delimiter = ',')]
    profiles: Option<Vec<String>>,
    /// Report the scenario as its path relative to this folder.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Refuse spaces with more outcomes than this.
    #[arg(long, default_value_t = pactum_core::analysis::DEFAULT_MAX_OUTCOMES)]
    max_outcomes: u64,
    /// Grid points per real issue when enumeration needs them.
    #[arg(long, default_value_t = pactum_core::outcome::DEFAULT_REAL_STEPS)]
    real_steps: u32,
}

/// A scenario loaded under checked rules.
struct LoadedScenario {
    loaded: pactum_formats::Loaded,
    semantics: Semantics,
    normalize: Normalize,
    /// The scenario's id in reports (see [`scenario_id`]).
    id: String,
}

impl ScenarioArgs {
    /// The library's rules for the flags, refusing meaningless combinations.
    fn rules(&self) -> Result<(Semantics, Normalize)> {
        let (semantics, normalize) = rules(self.semantics, Some(self.normalize))?;
        if self.real_steps < 2 {
            bail!("--real-steps must be at least 2 (both bounds of a real issue are grid points)");
        }
        Ok((semantics, normalize))
    }

    /// What the loader needs (checked rules must come first: see [`Self::rules`]).
    fn load_options(&self, semantics: Semantics, normalize: Normalize) -> LoadOptions {
        LoadOptions {
            semantics,
            normalize,
            profiles: self.profiles.clone(),
            real_steps: self.real_steps,
            max_issue_values: self.max_outcomes,
        }
    }

    /// The scenario's id in reports (see [`scenario_id`]).
    fn id(&self) -> String {
        scenario_id(&self.dir, self.root.as_deref())
    }

    /// Loads the folder (checked rules must come first: see [`Self::rules`]).
    fn load(&self, semantics: Semantics, normalize: Normalize) -> Result<LoadedScenario> {
        let loaded = load_folder(&self.dir, &self.load_options(semantics, normalize))?;
        Ok(LoadedScenario {
            loaded,
            semantics,
            normalize,
            id: self.id(),
        })
    }
}

#[derive(clap::Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Print one JSON document (the contract in the README) instead of the report.
    #[arg(long)]
    json: bool,
    /// Draw outcomes, frontier and solution points to an .svg or .png file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => run_analyze(args),
        Command::Zone(args) => zone::zone(args),
        Command::Negotiate(args) => negotiate::negotiate(args),
        Command::Mediate(args) => mediate::mediate(args),
        Command::Tournament(args) => tournament::tournament(args),
        Command::Serve(args) => workspace::serve(args),
        Command::Case(cmd) => workspace::case(cmd),
        Command::User(cmd) => workspace::user(cmd),
        Command::Operator(cmd) => workspace::operator(cmd),
        Command::Audit(cmd) => workspace::audit(cmd),
        Command::Diff(args) => diff::diff(args),
        Command::Search(args) => search::search(args),
        Command::Report(args) => briefing::report(args),
        Command::Backup { out, db } => workspace::backup(out, db),
        Command::Restore { file, db } => workspace::restore(file, db),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

/// The scenario's id: its path relative to `root`, else its folder name.
fn scenario_id(dir: &Path, root: Option<&Path>) -> String {
    if let Some(root) = root {
        if let (Ok(d), Ok(r)) = (dir.canonicalize(), root.canonicalize()) {
            if let Ok(rel) = d.strip_prefix(&r) {
                return rel.to_string_lossy().replace('\\', "/");
            }
        }
    }
    dir.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

fn run_analyze(args: AnalyzeArgs) -> Result<()> {
    let (semantics, normalize) = args.scenario.rules()?;
    if let Some(plot) = &args.plot {
        match plot.extension().and_then(|e| e.to_str()) {
            Some("svg") | Some("png") => {}
            _ => bail!(
                "--plot {}: the file name must end in .svg or .png",
                plot.display()
            ),
        }
    }
    if let Some(t) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build_global()
            .context("setting up the thread pool")?;
    }
    let dir = &args.scenario.dir;
    let options = args.scenario.load_options(semantics, normalize);
    // Naming the scenario resolves paths: a report's concern, outside the clock.
    let id = args.scenario.id();
    let start = Instant::now();
    let loaded = load_folder(dir, &options)?;
    let loading = start.elapsed().as_secs_f64();
    let analysis = analyze(
        &loaded.scenario,
        &AnalysisOptions {
            semantics,
            max_outcomes: args.scenario.max_outcomes,
        },
    )
    .with_context(|| format!("analysing {}", dir.display()))?;
    let timings = report::Timings {
        load: loading,
        analysis: start.elapsed().as_secs_f64() - loading,
    };
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        let doc = report::analysis_json(&id, &loaded, semantics, normalize, &analysis, timings);
        println!("{}", serde_json::to_string(&doc)?);
    } else {
        print!(
            "{}",
            report::analysis_text(&id, &loaded, semantics, normalize, &analysis, timings)
        );
    }
    if let Some(path) = &args.plot {
        let title = format!("{id} ({} semantics)", semantics.name());
        write_plot(path, &title, &loaded.scenario, &analysis)?;
        eprintln!("plot written to {}", path.display());
    }
    Ok(())
}

/// Draws the analysis to `path`, as SVG or PNG by its extension (checked
/// before the analysis ran). Runs after the report, outside its timing.
fn write_plot(
    path: &Path,
    title: &str,
    scenario: &pactum_core::Scenario,
    analysis: &pactum_core::Analysis,
) -> Result<()> {
    let svg = pactum_plot::analysis_svg(scenario, analysis, title);
    let bytes = if path.extension().and_then(|e| e.to_str()) == Some("png") {
        pactum_plot::svg_to_png(&svg).with_context(|| format!("rendering {}", path.display()))?
    } else {
        svg.into_bytes()
    };
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
