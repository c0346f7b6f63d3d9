//! `pactum tournament`: many negotiations streamed to CSV, with a progress
//! bar, resume, shards, merge and a summary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use pactum_negotiate::Registry;
use pactum_tournament::{
    merge, prepare, run, summarize, summary_path, summary_svg, Plan, ScenarioRef, Shard, Summary,
};
use serde_json::json;

use crate::negotiate::time_limit;
use crate::RulesArgs;

/// Arguments of `pactum tournament`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TournamentArgs {
    #[command(subcommand)]
    command: Option<TournamentCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Subcommand)]
enum TournamentCommand {
    /// Join shard files (from `--shard K/N` runs) into the file one run gives, and summarise it.
    Merge {
        /// The merged results file.
        out: PathBuf,
        /// The shards' results files (their .plan.json sidecars beside them).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Draw the summary (bar charts per negotiator) to this .svg file.
        #[arg(long)]
        summary_plot: Option<PathBuf>,
        /// Worker threads for loading scenarios (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scenario folders (bilateral).
    #[arg(long, num_args = 1.., required = true)]
    scenarios: Vec<PathBuf>,
    /// The `scenario` column is the folder relative to this one.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Comma-separated negotiators; every ordered pair meets, self-play included.
    #[arg(long, value_delimiter = ',', required = true)]
    negotiators: Vec<String>,
    /// Step (round) limit per negotiation.
    #[arg(long, default_value_t = 100)]
    steps: u32,
    /// Wall-time limit per negotiation, in seconds (results then depend on the machine).
    #[arg(long)]
    time_limit: Option<f64>,
    /// Repetitions of the whole round robin.
    #[arg(long, default_value_t = 1)]
    reps: u32,
    /// Negotiation number `run` is seeded with SEED + run, as in NegMAS's harness.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    rules: RulesArgs,
    /// The results file (CSV); rerunning the same command resumes it.
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Run only share K of N (runs numbered K-1 mod N), e.g. 2/8.
    #[arg(long)]
    shard: Option<String>,
    /// Draw the summary (bar charts per negotiator) to this .svg file.
    #[arg(long)]
    summary_plot: Option<PathBuf>,
}

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let n = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .context("setting up the thread pool")
}

/// The progress bar on stderr (hidden when stderr is not a terminal).
struct Bar(ProgressBar);

impl pactum_tournament::Progress for Bar {
    fn start(&self, owned: u64, already: u64) {
        self.0.set_length(owned);
        self.0.set_position(already);
        self.0.reset_eta();
        if already > 0 {
            self.0.println(format!(
                "resuming: {already} of {owned} negotiations already in the file"
            ));
        }
    }
    fn advance(&self, rows: u64) {
        self.0.inc(rows);
    }
}

/// Runs `pactum tournament`.
pub fn tournament(args: TournamentArgs) -> Result<()> {
    if let Some(TournamentCommand::Merge {
        out,
        shards,
        summary_plot,
        threads,
    }) = args.command
    {
        return run_merge(&out, &shards, summary_plot.as_deref(), threads);
    }
    let start = Instant::now();
    let a = args.run;
    let (semantics, normalize) = a.rules.rules()?;
    let out = a.out.expect("clap requires --out");
    check_plot(a.summary_plot.as_deref())?;
    let time_limit = time_limit(a.time_limit)?;
    let plan = Plan {
        scenarios: a
            .scenarios
            .iter()
            .map(|d| ScenarioRef::new(d, a.root.as_deref()))
            .collect(),
        negotiators: a.negotiators.iter().map(|n| n.trim().to_string()).collect(),
        steps: Some(a.steps),
        time_limit,
        reps: a.reps,
        seed: a.seed,
        semantics,
        normalize,
        shard: a.shard.as_deref().map(Shard::parse).transpose()?,
    };
    plan.validate()?;
    let registry = Registry::builtin();
    // Names first: a typo should not wait for the scenarios to load.
    pactum_tournament::run::constructors(&plan, &registry)?;
    let pool = pool(a.threads)?;
    let ready = pool.install(|| prepare(&plan))?;
    let bar = ProgressBar::new(plan.total());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} negotiations · {per_sec} · ETA {eta}")
            .expect("a valid template"),
    );
    let report = run(&plan, &ready, &registry, &out, &pool, &Bar(bar.clone()))?;
    bar.finish_and_clear();
    let wall = report.finished.duration_since(start).as_secs_f64();
    let geometry = ready
        .iter()
        .map(|s| (s.id.clone(), s.geometry.clone()))
        .collect();
    let summary = summarize(&out, &plan, &geometry)?;
    let extra = json!({
        "negotiations_run": report.ran,
        "negotiations_skipped": report.skipped,
        "threads": pool.current_num_threads(),
        "wall_seconds": wall,
        "negotiations_per_second": if wall > 0.0 { report.ran as f64 / wall } else { f64::NAN },
    });
    finish(&out, &plan, &summary, extra, a.summary_plot.as_deref())?;
    eprintln!(
        "{} negotiations run ({} already done) in {wall:.3} s ({:.0}/s); results in {}",
        report.ran,
        report.skipped,
        report.ran as f64 / wall.max(1e-9),
        out.display()
    );
    Ok(())
}

fn check_plot(p: Option<&Path>) -> Result<()> {
    if let Some(p) = p {
        if p.extension().and_then(|e| e.to_str()) != Some("svg") {
            bail!(
                "--summary-plot {}: the file name must end in .svg",
                p.display()
            );
        }
    }
    Ok(())
}

/// Prints the table, writes `results.summary.json` and the optional plot.
fn finish(
    out: &Path,
    plan: &Plan,
    summary: &Summary,
    extra: serde_json::Value,
    plot: Option<&Path>,
) -> Result<()> {
    print!("{}", summary.table());
    let mut doc = json!({
        "results": out.display().to_string(),
        "negotiations": summary.negotiations,
        "agreements": summary.agreements,
        "plan": plan.to_json(),
        "negotiators": summary.negotiators,
    });
    if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            d.insert(k.clone(), v.clone());
        }
    }
    let path = summary_path(out);
    std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    if let Some(p) = plot {
        let title = format!("tournament: {}", plan.negotiators.join(", "));
        std::fs::write(p, summary_svg(summary, &title))
            .with_context(|| format!("writing {}", p.display()))?;
        eprintln!("summary plot written to {}", p.display());
    }
    Ok(())
}

fn run_merge(
    out: &Path,
    shards: &[PathBuf],
    plot: Option<&Path>,
    threads: Option<usize>,
) -> Result<()> {
    check_plot(plot)?;
    let plan = merge(out, shards)?;
    let pool = pool(threads)?;
    let ready = pool.install(|| prepare(&plan))?;
    let geometry: HashMap<_, _> = ready
        .iter()
        .map(|s| (s.id.clone(), s.geometry.clone()))
        .collect();
    let summary = summarize(out, &plan, &geometry)?;
    // The shards' own timings, where their summaries are at hand.
    let walls: Vec<f64> = shards
        .iter()
        .filter_map(|s| {
            let text = std::fs::read_to_string(summary_path(s)).ok()?;
            serde_json::from_str::<serde_json::Value>(&text).ok()?["wall_seconds"].as_f64()
        })
        .collect();
    let extra = json!({
        "merged_from": shards.iter().map(|s| s.display().to_string()).collect::<Vec<_>>(),
        "shard_wall_seconds": walls,
        "wall_seconds": walls.iter().copied().fold(None, |m: Option<f64>, w| Some(m.map_or(w, |m| m.max(w)))),
    });
    finish(out, &plan, &summary, extra, plot)?;
    eprintln!(
        "merged {} shards into {} ({} negotiations)",
        shards.len(),
        out.display(),
        summary.negotiations
    );
    Ok(())
}
