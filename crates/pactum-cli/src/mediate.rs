//! `pactum mediate`: one single-text mediation (text, JSON, plot).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use pactum_core::{analyze, AnalysisOptions, Scenario};
use pactum_formats::{load_folder, LoadOptions};
use pactum_mediation::{
    strategies, Audience, EventKind, MediationConfig, Session, Trace, Vote, DEFAULT_MEDIATOR,
};
use serde_json::json;

use crate::negotiate::value_json;
use crate::RulesArgs;

/// Arguments of `pactum mediate`.
#[derive(clap::Args)]
#[command(mut_arg("semantics", |a| a.help(
    "Whose rules to follow (reservation values; NegMAS: -inf for discounted ufuns)"
)))]
#[command(mut_arg("normalize", |a| a.help(
    "Rescale utilities (default: independent with negmas semantics, as NegMAS does; none with genius)"
)))]
pub struct MediateArgs {
    /// The scenario folder.
    dir: PathBuf,
    /// The mediation strategy: sweep (default, pactum's own), annealing, hill-climb, random-veto.
    #[arg(long, default_value = DEFAULT_MEDIATOR)]
    mediator: String,
    /// Budget: the most proposals the mediator may make.
    #[arg(long, default_value_t = 1000)]
    steps: u32,
    /// Seeds the mediator's and every party's random stream.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    rules: RulesArgs,
    /// Comma-separated profile file names, in party order (default: every profile, by file name).
    #[arg(long, value_delimiter = ',')]
    profiles: Option<Vec<String>>,
    /// Print the result as one JSON document.
    #[arg(long)]
    json: bool,
    /// With --json, include every event of the trace with its audience.
    #[arg(long)]
    trace: bool,
    /// Draw the path of the text in utility space over the outcomes and the Pareto frontier (.svg or .png).
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// Runs `pactum mediate`.
pub fn mediate(args: MediateArgs) -> Result<()> {
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
    if args.trace && !args.json {
        bail!("--trace is part of the JSON output: add --json");
    }
    let mut mediator = strategies::create(args.mediator.trim())?;
    let options = LoadOptions {
        semantics,
        normalize,
        profiles: args.profiles.clone(),
        ..LoadOptions::default()
    };
    let loaded = load_folder(&args.dir, &options)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let scenario = &loaded.scenario;
    let config = MediationConfig {
        steps: args.steps,
        seed: args.seed,
    };
    let start = Instant::now();
    let session = Session::new(scenario, semantics, config)
        .with_context(|| format!("setting up the mediation on {}", args.dir.display()))?;
    let mut trace = Trace::default();
    let result = session.run(mediator.as_mut(), &mut trace);
    let seconds = start.elapsed().as_secs_f64();
    let values = |t: &[u32]| scenario.space.values(t);
    let text_json = |t: &[u32]| -> serde_json::Value {
        values(t).iter().map(value_json).collect::<Vec<_>>().into()
    };
    let profiles: Vec<&str> = loaded.parties.iter().map(|p| p.profile.as_str()).collect();
    let welfare = result
        .agreement
        .as_ref()
        .map(|_| result.utilities.iter().sum::<f64>());
    let name = args.dir.display().to_string();
    if args.json {
        let mut doc = json!({
            "scenario": name,
            "semantics": semantics.name(),
            "normalize": normalize.name(),
            "mediator": args.mediator.trim(),
            "steps": args.steps,
            "seed": args.seed,
            "issues": scenario.space.issues.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            "parties": profiles,
            "agreement": result.agreement.as_deref().map(text_json),
            "final_text": result.final_text.as_deref().map(text_json),
            "utilities": result.utilities.iter().map(|&u| finite_json(u)).collect::<Vec<_>>(),
            "text_utilities": result.text_utilities.as_ref().map(|u| u.iter().map(|&x| finite_json(x)).collect::<Vec<_>>()),
            "welfare": welfare,
            "proposals": result.proposals,
            "consultations": result.consultations,
            "adoptions": result.adoptions,
            "end": result.end.name(),
            "seconds": seconds,
        });
        if args.trace {
            doc["trace"] = trace
                .events()
                .iter()
                .map(|e| {
                    let audience = match e.audience {
                        Audience::All => json!("all"),
                        Audience::Party(p) => json!(p),
                    };
                    let mut ev = json!({
                        "proposal": e.proposal,
                        "audience": audience,
                        "text": text_json(trace.text(e)),
                    });
                    match e.kind {
                        EventKind::Opened => ev["event"] = json!("opened"),
                        EventKind::Adopted => ev["event"] = json!("adopted"),
                        EventKind::Consulted {
                            party,
                            temperature,
                            vote,
                        } => {
                            ev["event"] = json!("consulted");
                            ev["party"] = json!(party);
                            ev["temperature"] = json!(temperature);
                            ev["vote"] = json!(vote_name(vote));
                        }
                        EventKind::Ratified { party, accepted } => {
                            ev["event"] = json!("ratified");
                            ev["party"] = json!(party);
                            ev["accepted"] = json!(accepted);
                        }
                    }
                    ev
                })
                .collect::<Vec<_>>()
                .into();
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "scenario {name} ({} semantics, normalize {})",
            semantics.name(),
            normalize.name()
        );
        for (i, p) in profiles.iter().enumerate() {
            println!("party {i}: {p}");
        }
        println!(
            "mediator {}: {} proposals of {} ({}), {} private consultations, {} adoptions, {:.3} ms",
            args.mediator.trim(),
            result.proposals,
            args.steps,
            result.end.name(),
            result.consultations,
            result.adoptions,
            seconds * 1e3
        );
        let issues = &scenario.space.issues;
        let show = |t: &[u32]| -> String {
            issues
                .iter()
                .zip(values(t))
                .map(|(i, v)| format!("{}={v}", i.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let utils = |u: &[f64]| {
            u.iter()
                .map(|x| format!("{x:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (&result.final_text, &result.agreement) {
            (_, Some(t)) => println!(
                "result: agreement {}; utilities {}; welfare {:.4}",
                show(t),
                utils(&result.utilities),
                welfare.unwrap_or(0.0)
            ),
            (Some(t), None) => println!(
                "result: no agreement: the final text {} is below some party's reservation value (utilities {})",
                show(t),
                utils(result.text_utilities.as_deref().unwrap_or(&[]))
            ),
            (None, None) => println!("result: no agreement: no text was ever adopted"),
        }
    }
    if let Some(path) = &args.plot {
        write_plot(path, scenario, semantics, &trace, &args.mediator, &name)?;
        eprintln!("plot written to {}", path.display());
    }
    Ok(())
}

fn vote_name(v: Vote) -> &'static str {
    match v {
        Vote::Accept => "accept",
        Vote::Reject => "reject",
    }
}

/// The texts the mediation held, in utility space over the analysis.
fn write_plot(
    path: &std::path::Path,
    scenario: &Scenario,
    semantics: pactum_core::Semantics,
    trace: &Trace,
    mediator: &str,
    name: &str,
) -> Result<()> {
    let analysis = analyze(
        scenario,
        &AnalysisOptions {
            semantics,
            ..AnalysisOptions::default()
        },
    )
    .with_context(|| format!("analysing {name}"))?;
    let points = trace
        .adopted_texts()
        .map(|t| {
            scenario
                .parties
                .iter()
                .map(|p| p.ufun.eval(&scenario.space, t))
                .collect()
        })
        .collect();
    let tracks = [pactum_plot::Track {
        label: format!("texts held by {mediator}"),
        points,
    }];
    let title = format!("{mediator} mediation on {name}");
    let svg = pactum_plot::trace_svg(scenario, &analysis, &title, &tracks);
    let bytes = if path.extension().and_then(|e| e.to_str()) == Some("png") {
        pactum_plot::svg_to_png(&svg).with_context(|| format!("rendering {}", path.display()))?
    } else {
        svg.into_bytes()
    };
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// JSON has no infinities: a −∞ reservation value is written as null.
fn finite_json(u: f64) -> serde_json::Value {
    if u.is_finite() {
        json!(u)
    } else {
        serde_json::Value::Null
    }
}
