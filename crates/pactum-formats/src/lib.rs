//! Readers that turn scenario files into pactum's core model.
//!
//! The key design decision: file formats have schema types of their own
//! ([`genius`]), and conversion into core types ([`convert`]) is where the
//! rules of GENIUS or NegMAS are applied. The core model never doubles as a
//! file format, so either side can change alone. Every error names the file,
//! the line and what was expected; no input makes a reader panic.

#![deny(missing_docs)]

pub mod convert;
pub mod error;
pub mod genius;
pub mod report;
pub mod xml;

pub use error::{ErrorKind, FormatError};

use pactum_core::{Party, Scenario, Semantics};
use std::path::{Path, PathBuf};

/// How utilities are rescaled after loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalize {
    /// As loaded.
    None,
    /// Each ufun mapped to [0, 1] on its own, as NegMAS's tournaments do.
    Independent,
}

impl Normalize {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Normalize::None => "none",
            Normalize::Independent => "independent",
        }
    }
}

/// What to load and under whose rules.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Whose rules turn profiles into utility functions.
    pub semantics: Semantics,
    /// Normalisation (NegMAS semantics only).
    pub normalize: Normalize,
    /// Which profiles form the scenario, in seat order; `None`: every profile
    /// in file-name order.
    pub profiles: Option<Vec<String>>,
    /// Grid size for real issues.
    pub real_steps: u32,
    /// Issues with more values than this are refused before any table is
    /// built (an analysis could not enumerate them anyway).
    pub max_issue_values: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            semantics: Semantics::Genius,
            normalize: Normalize::None,
            profiles: None,
            real_steps: pactum_core::outcome::DEFAULT_REAL_STEPS,
            max_issue_values: pactum_core::analysis::DEFAULT_MAX_OUTCOMES,
        }
    }
}

/// What the files declared about a party (before any rule is applied).
#[derive(Debug, Clone, PartialEq)]
pub struct PartyInfo {
    /// The profile's file name.
    pub profile: String,
    /// `reservation value` as declared.
    pub reservation: Option<f64>,
    /// `discount_factor value` as declared.
    pub discount: Option<f64>,
}

/// A loaded scenario with what the files declared.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The scenario, ready for analysis.
    pub scenario: Scenario,
    /// The domain file's name.
    pub domain_file: String,
    /// One entry per party, in seat order.
    pub parties: Vec<PartyInfo>,
    /// Things worth telling the user that do not stop the load.
    pub warnings: Vec<String>,
}

/// The XML files of a scenario folder, read into one buffer.
///
/// One buffer and no `stat` per file: for a small scenario the operating
/// system's cost of listing and reading dominates the whole load, so the
/// reader makes only the calls it must (list, then open, read, close).
#[derive(Debug)]
pub struct FolderFiles {
    dir: PathBuf,
    text: String,
    /// File name and its bytes in `text`, in file-name order.
    files: Vec<(String, std::ops::Range<usize>)>,
}

impl FolderFiles {
    /// Each file's name, path and text, in file-name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, PathBuf, &str)> + '_ {
        self.files
            .iter()
            .map(|(name, r)| (name.as_str(), self.dir.join(name), &self.text[r.clone()]))
    }
}

/// Lists `dir` and reads every file named `*.xml` but `*pareto.xml`
/// (GENIUS's cached frontiers, some malformed), in file-name order.
pub fn read_folder(dir: &Path) -> Result<FolderFiles, FormatError> {
    use std::io::Read;
    let io = |path: &Path, e: std::io::Error| FormatError::file(path, ErrorKind::Io(e.to_string()));
    let mut names: Vec<String> = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let e = e.map_err(|e| io(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let ext = name.len().checked_sub(4).and_then(|i| name.get(i..));
        if !ext.is_some_and(|x| x.eq_ignore_ascii_case(".xml")) || name.ends_with("pareto.xml") {
            continue;
        }
        // The listing carries each entry's type: only links (and file systems
        // that do not report types) cost a stat.
        let is_file = match e.file_type() {
            Ok(t) if !t.is_symlink() => t.is_file(),
            _ => e.path().is_file(),
        };
        if is_file {
            names.push(name);
        }
    }
    names.sort();
    let mut bytes = Vec::with_capacity(4096 * names.len().max(1));
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let path = dir.join(&name);
        let start = bytes.len();
        std::fs::File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| io(&path, e))?;
        files.push((name, start..bytes.len()));
    }
    // One validation for the whole buffer. A file boundary inside a
    // multi-byte character means both files around it are invalid alone.
    let encoding = |at: usize| {
        let culprit = files.iter().find(|(_, r)| r.contains(&at));
        let path = culprit.map_or_else(|| dir.to_path_buf(), |(n, _)| dir.join(n));
        FormatError::file(&path, ErrorKind::Encoding)
    };
    let text = String::from_utf8(bytes).map_err(|e| encoding(e.utf8_error().valid_up_to()))?;
    if let Some((_, r)) = files.iter().find(|(_, r)| !text.is_char_boundary(r.start)) {
        return Err(encoding(r.start));
    }
    Ok(FolderFiles {
        dir: dir.to_path_buf(),
        text,
        files,
    })
}

/// Loads a GENIUS scenario folder: one domain (root `negotiation_template`)
/// and profiles (root `utility_space`). Files named `*pareto.xml` (GENIUS's
/// cached frontiers) and XML files of any other kind are ignored.
pub fn load_folder(dir: &Path, options: &LoadOptions) -> Result<Loaded, FormatError> {
    let files = read_folder(dir)?;
    let mut domain = None;
    let mut profiles: Vec<(String, PathBuf, genius::Document)> = Vec::new();
    let mut warnings = Vec::new();
    for (name, path, text) in files.iter() {
        let name = name.to_owned();
        let (kind, root) = genius::parse_any(&path, text)?;
        match kind {
            genius::FileKind::Domain => {
                if let Some((prev, _, _)) = &domain {
                    warnings.push(format!("{}: a second domain file after {prev}; the later one is used, as NegMAS does", path.display()));
                }
                domain = Some((name, path, root));
            }
            genius::FileKind::Profile => profiles.push((name, path, root)),
            genius::FileKind::Other => {}
        }
    }
    let Some((domain_file, domain_path, domain_root)) = domain else {
        return Err(FormatError::file(dir, ErrorKind::NoDomain));
    };
    let domain = genius::read_domain(&domain_path, &domain_root)?;
    warnings.extend(domain.warnings.iter().cloned());
    if profiles.is_empty() {
        return Err(FormatError::file(dir, ErrorKind::NoProfiles));
    }
    let chosen: Vec<(String, PathBuf, genius::Document)> = match &options.profiles {
        None => profiles,
        Some(wanted) => {
            let mut out = Vec::new();
            for w in wanted {
                let base = Path::new(w)
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let found = profiles
                    .iter()
                    .find(|(n, _, _)| *n == base)
                    .ok_or_else(|| {
                        let avail: Vec<&str> =
                            profiles.iter().map(|(n, _, _)| n.as_str()).collect();
                        FormatError::file(
                            dir,
                            ErrorKind::UnknownProfile(w.clone(), avail.join(", ")),
                        )
                    })?;
                out.push(found.clone());
            }
            out
        }
    };
    let parsed: Vec<(String, genius::Profile)> = chosen
        .iter()
        .map(|(n, p, root)| genius::read_profile(p, root).map(|pr| (n.clone(), pr)))
        .collect::<Result<_, _>>()?;
    for (_, p) in &parsed {
        check_matches_domain(&domain, p)?;
    }
    let limit = options.max_issue_values.min(1 << 31);
    for issue in &domain.issues {
        if let genius::DomainIssueKind::Integer(lo, hi) = issue.kind {
            let values = (i128::from(hi) - i128::from(lo) + 1) as u128;
            if values > u128::from(limit) {
                return Err(FormatError::at(
                    &domain.file,
                    issue.line,
                    ErrorKind::Invalid(format!(
                        "integer issue {:?} has {values} values, more than the limit of {limit} (raise it with --max-outcomes)",
                        issue.name
                    )),
                ));
            }
        }
    }
    let space = convert::space(&domain, options.real_steps);
    let ufuns = build_ufuns(&domain, &space, &parsed, options, &mut warnings)?;
    let scenario = Scenario {
        name: dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        space,
        parties: parsed
            .iter()
            .zip(ufuns)
            .map(|((n, _), ufun)| Party {
                name: n.clone(),
                ufun,
            })
            .collect(),
    };
    Ok(Loaded {
        scenario,
        domain_file,
        parties: parsed
            .iter()
            .map(|(n, p)| PartyInfo {
                profile: n.clone(),
                reservation: p.reservation,
                discount: p.discount,
            })
            .collect(),
        warnings,
    })
}

/// Every issue a profile evaluates must be an issue of the domain, by name
/// (real profiles sometimes number issues differently from their domain, so
/// the name is what links them).
fn check_matches_domain(
    domain: &genius::Domain,
    profile: &genius::Profile,
) -> Result<(), FormatError> {
    for pi in &profile.issues {
        if !domain.issues.iter().any(|d| d.name == pi.name) {
            return Err(FormatError::at(
                &profile.file,
                pi.line,
                ErrorKind::Invalid(format!(
                    "issue {:?} is not an issue of the domain {} (its issues are {})",
                    pi.name,
                    domain
                        .file
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    domain
                        .issues
                        .iter()
                        .map(|d| format!("{:?}", d.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ));
        }
    }
    Ok(())
}

fn build_ufuns(
    domain: &genius::Domain,
    space: &pactum_core::OutcomeSpace,
    profiles: &[(String, genius::Profile)],
    options: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<pactum_core::UtilityFunction>, FormatError> {
    use convert::negmas;
    match options.semantics {
        Semantics::Genius => {
            if options.normalize != Normalize::None {
                return Err(FormatError::file(
                    &domain.file,
                    ErrorKind::Invalid("--normalize applies to --semantics negmas; GENIUS utilities are already in [0, 1]".into()),
                ));
            }
            profiles
                .iter()
                .map(|(_, p)| convert::genius_ufun(domain, p, warnings))
                .collect()
        }
        Semantics::Negmas => {
            enum M {
                Linear(negmas::Model),
                Rect(pactum_core::UtilityFunction),
            }
            let mut models = Vec::new();
            for (_, p) in profiles {
                models.push(match negmas::rectangles(domain, p)? {
                    Some(u) => M::Rect(u),
                    None => M::Linear(negmas::model(domain, p, warnings)?),
                });
            }
            // NegMAS skips normalising when every ufun already spans [0, 1].
            let already = models.iter().all(|m| match m {
                M::Linear(model) => {
                    let (lo, hi) = model.extremes(space);
                    (hi - 1.0).abs() < 1e-6 && lo >= -1e-6
                }
                M::Rect(_) => false,
            });
            let normalize = options.normalize == Normalize::Independent && !already;
            models
                .into_iter()
                .zip(profiles)
                .map(|(m, (_, p))| {
                    let r = p.reservation.unwrap_or(0.0);
                    let d = p.discount;
                    match m {
                        M::Linear(model) if !normalize => Ok(model.raw(space, Some(r), d)),
                        M::Linear(model) => Ok(match d {
                            Some(x) if x > 0.0 && x != 1.0 => model.generic(space, Some(r), d),
                            _ => model.canonical(space, r, d),
                        }),
                        M::Rect(u) if !normalize => Ok(u),
                        M::Rect(_) => Err(FormatError::file(
                            &p.file,
                            ErrorKind::Invalid(
                                "--normalize independent is not implemented for hyper-rectangle profiles (NegMAS estimates their range from rectangle overlaps); analyse them with --normalize none".into(),
                            ),
                        )),
                    }
                })
                .collect()
        }
    }
}
