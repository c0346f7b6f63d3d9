//! `pactum negotiate`: one negotiation, traced (text, JSON, plot).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use pactum_core::{analyze, AnalysisOptions, Value};
use pactum_formats::{load_folder, LoadOptions};
use pactum_negotiate::{ActionKind, PreparedScenario, Registry, SaoConfig, Seat, Session, Trace};
use serde_json::json;

use crate::RulesArgs;

/// Arguments of `pactum negotiate`.
#[derive(clap::Args)]
#[command(mut_arg("normalize", |a| a.help(
    "Rescale utilities (default: independent with negmas semantics, as NegMAS's tournaments do; none with genius)"
)))]
pub struct NegotiateArgs {
    /// The scenario folder.
    dir: PathBuf,
    /// Comma-separated negotiators, one per party in seat order (see the names with a wrong one).
    #[arg(long, value_delimiter = ',', required = true)]
    negotiators: Vec<String>,
    /// Step (round) limit.
    #[arg(long, default_value_t = 100)]
    steps: u32,
    /// Wall-time limit in seconds (runs with one are not reproducible).
    #[arg(long)]
    time_limit: Option<f64>,
    /// Seeds every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    rules: RulesArgs,
    /// Comma-separated profile file names, in seat order (default: every profile, by file name).
    #[arg(long, value_delimiter = ',')]
    profiles: Option<Vec<String>>,
    /// Print the trace and result as one JSON document.
    #[arg(long)]
    json: bool,
    /// Draw the offers in utility space over the outcomes and the Pareto frontier (.svg or .png).
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// `--time-limit` as a duration, refusing what is not one.
pub(crate) fn time_limit(s: Option<f64>) -> Result<Option<Duration>> {
    s.map(|t| {
        Duration::try_from_secs_f64(t)
            .map_err(|_| anyhow::anyhow!("--time-limit must be a non-negative number of seconds"))
    })
    .transpose()
}

pub(crate) fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Text(s) => json!(s),
        Value::Integer(i) => json!(i),
        Value::Real(x) => json!(x),
    }
}

/// Runs `pactum negotiate`.
pub fn negotiate(args: NegotiateArgs) -> Result<()> {
    let (semantics, normalize) = args.rules.rules()?;
    if let Some(plot) = &args.plot {
        if !matches!(
            plot.extension().and_then(|e| e.to_str()),
            Some("svg") | Some("png")
        ) {
            bail!(
                "--plot {}: the file name must end in .svg or .png",
                plot.display()
            );
        }
    }
    let registry = Registry::builtin();
    let negotiators = args
        .negotiators
        .iter()
        .map(|n| registry.create(n.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let options = LoadOptions {
        semantics,
        normalize,
        profiles: args.profiles.clone(),
        ..LoadOptions::default()
    };
    let loaded = load_folder(&args.dir, &options)?;
    let parties = loaded.scenario.parties.len();
    if negotiators.len() != parties {
        bail!(
            "{} has {parties} parties, so --negotiators needs {parties} names (got {})",
            args.dir.display(),
            negotiators.len()
        );
    }
    let prepared = PreparedScenario::new(&loaded.scenario, semantics)
        .with_context(|| format!("preparing {}", args.dir.display()))?;
    let seats: Vec<Seat> = negotiators
        .into_iter()
        .enumerate()
        .map(|(i, n)| Seat::new(i, n))
        .collect();
    let config = SaoConfig {
        steps: Some(args.steps),
        time_limit: time_limit(args.time_limit)?,
        seed: args.seed,
    };
    let mut trace = Trace::default();
    let result = Session::new(&prepared, seats, config)?.run(&mut trace);
    let names: Vec<&str> = args.negotiators.iter().map(|s| s.trim()).collect();
    let profiles: Vec<&str> = loaded.parties.iter().map(|p| p.profile.as_str()).collect();
    let issues: Vec<&str> = prepared
        .space
        .issues
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    let offer_text = |o: u32| -> String {
        issues
            .iter()
            .zip(prepared.values(o))
            .map(|(i, v)| format!("{i}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let offer_json = |o: u32| -> serde_json::Value {
        issues
            .iter()
            .zip(prepared.values(o))
            .map(|(i, v)| (i.to_string(), value_json(&v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let kind = |k: ActionKind| match k {
        ActionKind::Offer => "offer",
        ActionKind::Accept => "accept",
        ActionKind::Reject => "reject",
        ActionKind::End => "end",
    };
    let scenario = args.dir.display().to_string();
    if args.json {
        let doc = json!({
            "scenario": scenario,
            "semantics": semantics.name(),
            "normalize": normalize.name(),
            "steps": args.steps,
            "seed": args.seed,
            "seats": names.iter().zip(&profiles).map(|(n, p)| json!({"negotiator": n, "profile": p})).collect::<Vec<_>>(),
            "trace": trace.entries.iter().map(|e| json!({
                "step": e.step,
                "seat": e.seat,
                "negotiator": names[e.seat],
                "action": kind(e.kind),
                "offer": e.offer.map(offer_json),
                "utilities": e.utilities.iter().map(|&u| finite_json(u)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "result": {
                "agreement": result.agreement.is_some(),
                "outcome": result.agreement.map(offer_json),
                "utilities": result.utilities.iter().map(|&u| finite_json(u)).collect::<Vec<_>>(),
                "steps": result.steps,
                "end": result.end.name(),
            },
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "scenario {scenario} ({} semantics, normalize {})",
            semantics.name(),
            normalize.name()
        );
        for (i, (n, p)) in names.iter().zip(&profiles).enumerate() {
            println!("seat {i}: {n} as {p}");
        }
        let who_w = names.iter().map(|n| n.len()).max().unwrap_or(3).max(3);
        let mut head = format!("{:>5}  {:<who_w$}  {:<7}", "step", "who", "action");
        for i in 0..parties {
            head.push_str(&format!("  {:>8}", format!("u{i}")));
        }
        head.push_str("  offer");
        println!("{head}");
        for e in &trace.entries {
            let mut line = format!(
                "{:>5}  {:<who_w$}  {:<7}",
                e.step,
                names[e.seat],
                kind(e.kind)
            );
            for i in 0..parties {
                match e.utilities.get(i) {
                    Some(u) => line.push_str(&format!("  {u:>8.4}")),
                    None => line.push_str(&format!("  {:>8}", "-")),
                }
            }
            if let Some(o) = e.offer {
                line.push_str("  ");
                line.push_str(&offer_text(o));
            }
            println!("{line}");
        }
        let utils: Vec<String> = result.utilities.iter().map(|u| format!("{u:.4}")).collect();
        match result.agreement {
            Some(o) => println!(
                "result: agreement after {} steps: {}; utilities {}",
                result.steps,
                offer_text(o),
                utils.join(", ")
            ),
            None => println!(
                "result: no agreement ({}) after {} steps; utilities {}",
                result.end.name(),
                result.steps,
                utils.join(", ")
            ),
        }
    }
    if let Some(path) = &args.plot {
        let analysis = analyze(
            &loaded.scenario,
            &AnalysisOptions {
                semantics,
                ..AnalysisOptions::default()
            },
        )
        .with_context(|| format!("analysing {}", args.dir.display()))?;
        let tracks: Vec<pactum_plot::Track> = (0..parties)
            .map(|seat| pactum_plot::Track {
                label: format!("offers of {} ({})", names[seat], profiles[seat]),
                points: trace
                    .entries
                    .iter()
                    .filter(|e| e.seat == seat && e.kind == ActionKind::Offer)
                    .map(|e| e.utilities.clone())
                    .collect(),
            })
            .collect();
        let title = format!("{} vs {} on {scenario}", names[0], names[1..].join(" vs "));
        let svg = pactum_plot::trace_svg(&loaded.scenario, &analysis, &title, &tracks);
        let bytes = if path.extension().and_then(|e| e.to_str()) == Some("png") {
            pactum_plot::svg_to_png(&svg)
                .with_context(|| format!("rendering {}", path.display()))?
        } else {
            svg.into_bytes()
        };
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("plot written to {}", path.display());
    }
    Ok(())
}

/// JSON has no infinities: a −∞ reserved value is written as null.
fn finite_json(u: f64) -> serde_json::Value {
    if u.is_finite() {
        json!(u)
    } else {
        serde_json::Value::Null
    }
}
