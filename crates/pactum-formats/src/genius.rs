//! GENIUS XML: the file-level schema (domains and profiles as written), kept
//! apart from the core model so that either side can change. Conversion into
//! core types happens in [`crate::convert`], per semantics.

use crate::error::{ErrorKind, FormatError};
use crate::xml;
pub use crate::xml::{Document, Element};
use std::path::{Path, PathBuf};

/// An issue as a domain file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainIssue {
    /// The `index` attribute (GENIUS links weights to issues by it).
    pub index: i64,
    /// The `name` attribute.
    pub name: String,
    /// Where it stands.
    pub line: usize,
    /// Its values.
    pub kind: DomainIssueKind,
}

/// The values of a declared issue.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainIssueKind {
    /// `item` values in document order, repeats dropped.
    Discrete(Vec<String>),
    /// Integer bounds, inclusive.
    Integer(i64, i64),
    /// Real bounds.
    Real(f64, f64),
}

/// A domain file.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// The file it came from.
    pub file: PathBuf,
    /// Its issues in document order.
    pub issues: Vec<DomainIssue>,
    /// Warnings met while reading (for example repeated values).
    pub warnings: Vec<String>,
}

/// One `item` of a profile's issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The option it evaluates.
    pub value: String,
    /// Its evaluation, if given.
    pub evaluation: Option<f64>,
    /// Where it stands.
    pub line: usize,
}

/// An `evaluator` element of a numeric issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluator {
    /// `ftype` (lower-cased), if present.
    pub ftype: Option<String>,
    /// `offset` or `parameter0`.
    pub offset: Option<f64>,
    /// `slope` or `parameter1`.
    pub slope: Option<f64>,
    /// `parameter0`, `parameter1`, `parameter2` as written.
    pub parameters: [Option<f64>; 3],
    /// Where it stands.
    pub line: usize,
}

/// A profile's evaluation of one issue.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileIssue {
    /// The `index` attribute.
    pub index: Option<i64>,
    /// The `name` attribute (NegMAS matches issues by name).
    pub name: String,
    /// Where it stands.
    pub line: usize,
    /// Item evaluations (discrete issues).
    pub items: Vec<Item>,
    /// Function evaluator (integer and real issues).
    pub evaluator: Option<Evaluator>,
    /// The profile's own `lowerbound` (GENIUS's integer evaluator counts from it).
    pub lowerbound: Option<f64>,
}

/// A `weight` element.
#[derive(Debug, Clone, PartialEq)]
pub struct Weight {
    /// The issue index it refers to.
    pub index: i64,
    /// The weight.
    pub value: f64,
    /// Where it stands.
    pub line: usize,
}

/// One `INCLUDES`/`EXCLUDES` bound of a hyper-rectangle.
#[derive(Debug, Clone, PartialEq)]
pub struct RectBound {
    /// The element's tag.
    pub tag: String,
    /// Issue index.
    pub index: i64,
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// A `hyperRectangle`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rect {
    /// `utility`.
    pub utility: f64,
    /// `weight` (GENIUS; default 1).
    pub weight: f64,
    /// Its bounds.
    pub bounds: Vec<RectBound>,
    /// Where it stands.
    pub line: usize,
}

/// The `ufun` of a nonlinear profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Nonlinear {
    /// `maxutility` of the enclosing `utility` element.
    pub max_utility: Option<f64>,
    /// The `ufun` `weight` (NegMAS applies it; GENIUS ignores it at the root).
    pub weight: f64,
    /// `aggregation`, lower-cased.
    pub aggregation: String,
    /// The rectangles in document order.
    pub rects: Vec<Rect>,
    /// Where the `ufun` stands.
    pub line: usize,
}

/// A profile file.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The file it came from.
    pub file: PathBuf,
    /// `reservation value`, if present.
    pub reservation: Option<f64>,
    /// `discount_factor value`, if present.
    pub discount: Option<f64>,
    /// Weights in document order.
    pub weights: Vec<Weight>,
    /// Issue evaluations in document order.
    pub issues: Vec<ProfileIssue>,
    /// The hyper-rectangle part, if any.
    pub nonlinear: Option<Nonlinear>,
}

/// What a file's root element says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `negotiation_template`.
    Domain,
    /// `utility_space`.
    Profile,
    /// Anything else (ignored by the folder loader).
    Other,
}

/// Parses a GENIUS file, telling domains from profiles by the root element.
pub fn parse_any<'t>(file: &Path, text: &'t str) -> Result<(FileKind, Document<'t>), FormatError> {
    let root = xml::parse(file, text)?;
    let kind = match root.root().name() {
        "negotiation_template" => FileKind::Domain,
        "utility_space" => FileKind::Profile,
        _ => FileKind::Other,
    };
    Ok((kind, root))
}

/// Reads a numeric attribute, if present.
fn num<T: std::str::FromStr>(
    file: &Path,
    el: Element,
    key: &str,
    expected: &str,
) -> Result<Option<T>, FormatError> {
    match el.attr(key) {
        None => Ok(None),
        Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| {
            FormatError::at(
                file,
                el.line(),
                ErrorKind::BadAttribute {
                    element: el.name().to_string(),
                    attribute: key.into(),
                    found: v.into(),
                    expected: expected.into(),
                },
            )
        }),
    }
}

fn required<T>(
    file: &Path,
    el: Element,
    key: &str,
    expected: &str,
    v: Option<T>,
) -> Result<T, FormatError> {
    v.ok_or_else(|| {
        FormatError::at(
            file,
            el.line(),
            ErrorKind::MissingAttribute {
                element: el.name().to_string(),
                attribute: key.into(),
                expected: expected.into(),
            },
        )
    })
}

/// A required numeric attribute.
fn req_f64(file: &Path, el: Element, key: &str, expected: &str) -> Result<f64, FormatError> {
    let v = num::<f64>(file, el, key, "a number")?;
    required(file, el, key, expected, v)
}

/// A required integer attribute.
fn req_int(file: &Path, el: Element, key: &str, expected: &str) -> Result<i64, FormatError> {
    let v = int_attr(file, el, key)?;
    required(file, el, key, expected, v)
}

/// Parses an integer that GENIUS files sometimes write as `5.0`.
fn int_attr(file: &Path, el: Element, key: &str) -> Result<Option<i64>, FormatError> {
    let Some(v) = el.attr(key) else {
        return Ok(None);
    };
    let t = v.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Some(i));
    }
    match t.parse::<f64>() {
        Ok(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(Some(x as i64)),
        _ => Err(FormatError::at(
            file,
            el.line(),
            ErrorKind::BadAttribute {
                element: el.name().to_string(),
                attribute: key.into(),
                found: v.into(),
                expected: "an integer".into(),
            },
        )),
    }
}

/// The element whose children are the issues: the `objective` under
/// `utility_space` when there is one, else `utility_space` itself.
fn objective<'a, 't>(root: Element<'a, 't>) -> Element<'a, 't> {
    root.child("objective").unwrap_or(root)
}

/// Collects `issue` elements, descending into nested objectives (GENIUS
/// domains may group issues under sub-objectives).
fn collect_issues<'a, 't>(el: Element<'a, 't>, out: &mut Vec<Element<'a, 't>>) {
    for c in el.children() {
        match c.name() {
            "issue" => out.push(c),
            "objective" => collect_issues(c, out),
            _ => {}
        }
    }
}

/// Parses a domain file.
pub fn read_domain(file: &Path, doc: &Document) -> Result<Domain, FormatError> {
    let root = doc.root();
    let space = root.child("utility_space").ok_or_else(|| {
        FormatError::at(
            file,
            root.line(),
            ErrorKind::Invalid("<negotiation_template> has no <utility_space> child".into()),
        )
    })?;
    let mut els = Vec::new();
    collect_issues(objective(space), &mut els);
    let mut issues: Vec<DomainIssue> = Vec::new();
    let mut warnings = Vec::new();
    for el in els {
        let name = required(file, el, "name", "the issue's name", el.attr("name"))?.to_string();
        let index = req_int(file, el, "index", "the issue's number")?;
        if let Some(prev) = issues.iter().find(|i| i.index == index) {
            return Err(FormatError::at(
                file,
                el.line(),
                ErrorKind::Invalid(format!(
                    "issue {name:?} repeats index {index} of issue {:?} (line {})",
                    prev.name, prev.line
                )),
            ));
        }
        if issues.iter().any(|i| i.name == name) {
            return Err(FormatError::at(
                file,
                el.line(),
                ErrorKind::Invalid(format!("a second issue named {name:?}")),
            ));
        }
        let ty = el.attr("type").unwrap_or("discrete").to_ascii_lowercase();
        let kind = match ty.as_str() {
            "integer" => {
                let range = el.child("range");
                let lo = match int_attr(file, el, "lowerbound")? {
                    Some(v) => Some(v),
                    None => match range {
                        Some(r) => int_attr(file, r, "lowerbound")?,
                        None => None,
                    },
                };
                let hi = match int_attr(file, el, "upperbound")? {
                    Some(v) => Some(v),
                    None => match range {
                        Some(r) => int_attr(file, r, "upperbound")?,
                        None => None,
                    },
                };
                let lo = required(file, el, "lowerbound", "the smallest integer value", lo)?;
                let hi = required(file, el, "upperbound", "the largest integer value", hi)?;
                if hi < lo {
                    return Err(FormatError::at(
                        file,
                        el.line(),
                        ErrorKind::Invalid(format!(
                            "integer issue {name:?} has upperbound {hi} below lowerbound {lo}"
                        )),
                    ));
                }
                DomainIssueKind::Integer(lo, hi)
            }
            "real" => {
                let src = el.child("range").unwrap_or(el);
                let lo = req_f64(file, src, "lowerbound", "a number")?;
                let hi = req_f64(file, src, "upperbound", "a number")?;
                if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                    return Err(FormatError::at(
                        file,
                        src.line(),
                        ErrorKind::Invalid(format!("real issue {name:?} needs finite bounds with lowerbound <= upperbound, found {lo}..{hi}")),
                    ));
                }
                DomainIssueKind::Real(lo, hi)
            }
            _ => {
                let mut values: Vec<String> = Vec::new();
                for item in el.children_named("item") {
                    let v = required(file, item, "value", "the option's text", item.attr("value"))?;
                    if values.iter().any(|x| x == v) {
                        warnings.push(format!(
                            "{}:{}: issue {name:?} repeats value {v:?}; the repeat is ignored",
                            file.display(),
                            item.line()
                        ));
                    } else {
                        values.push(v.to_string());
                    }
                }
                if values.is_empty() {
                    return Err(FormatError::at(
                        file,
                        el.line(),
                        ErrorKind::Invalid(format!("discrete issue {name:?} has no <item> values")),
                    ));
                }
                DomainIssueKind::Discrete(values)
            }
        };
        issues.push(DomainIssue {
            index,
            name,
            line: el.line(),
            kind,
        });
    }
    if issues.is_empty() {
        return Err(FormatError::at(
            file,
            space.line(),
            ErrorKind::Invalid("the domain declares no <issue>".into()),
        ));
    }
    Ok(Domain {
        file: file.to_path_buf(),
        issues,
        warnings,
    })
}

/// Parses a profile file.
pub fn read_profile(file: &Path, doc: &Document) -> Result<Profile, FormatError> {
    let root = doc.root();
    let obj = objective(root);
    let mut reservation = None;
    let mut discount = None;
    for holder in [root, obj] {
        if let Some(r) = holder.child("reservation") {
            let v = num::<f64>(file, r, "value", "a number")?;
            reservation = Some(required(file, r, "value", "the reservation value", v)?);
        }
        if let Some(d) = holder.child("discount_factor") {
            let v = num::<f64>(file, d, "value", "a number")?;
            discount = Some(required(file, d, "value", "the discount factor", v)?);
        }
    }
    let mut weights = Vec::new();
    for w in obj.children_named("weight") {
        let index = req_int(file, w, "index", "the issue's number")?;
        let value = req_f64(file, w, "value", "the weight")?;
        if !value.is_finite() || value < 0.0 {
            return Err(FormatError::at(
                file,
                w.line(),
                ErrorKind::BadAttribute {
                    element: "weight".into(),
                    attribute: "value".into(),
                    found: w.attr("value").unwrap_or_default().into(),
                    expected: "a finite weight >= 0".into(),
                },
            ));
        }
        weights.push(Weight {
            index,
            value,
            line: w.line(),
        });
    }
    let mut issue_els = Vec::new();
    collect_issues(obj, &mut issue_els);
    let mut issues = Vec::new();
    for el in issue_els {
        let name = required(file, el, "name", "the issue's name", el.attr("name"))?.to_string();
        let mut items = Vec::new();
        for item in el.children_named("item") {
            let value =
                required(file, item, "value", "the option's text", item.attr("value"))?.to_string();
            let evaluation = num::<f64>(file, item, "evaluation", "a number")?;
            if let Some(e) = evaluation {
                if !e.is_finite() {
                    return Err(FormatError::at(
                        file,
                        item.line(),
                        ErrorKind::BadAttribute {
                            element: "item".into(),
                            attribute: "evaluation".into(),
                            found: item.attr("evaluation").unwrap_or_default().into(),
                            expected: "a finite number".into(),
                        },
                    ));
                }
            }
            items.push(Item {
                value,
                evaluation,
                line: item.line(),
            });
        }
        let evaluator = match el.child("evaluator") {
            None => None,
            Some(ev) => {
                let p = |k: &str| num::<f64>(file, ev, k, "a number");
                let parameters = [p("parameter0")?, p("parameter1")?, p("parameter2")?];
                Some(Evaluator {
                    ftype: ev.attr("ftype").map(|s| s.to_ascii_lowercase()),
                    offset: p("offset")?.or(parameters[0]),
                    slope: p("slope")?.or(parameters[1]),
                    parameters,
                    line: ev.line(),
                })
            }
        };
        let lowerbound = match num::<f64>(file, el, "lowerbound", "a number")? {
            Some(v) => Some(v),
            None => match el.child("range") {
                Some(r) => num::<f64>(file, r, "lowerbound", "a number")?,
                None => None,
            },
        };
        issues.push(ProfileIssue {
            index: int_attr(file, el, "index")?,
            name,
            line: el.line(),
            items,
            evaluator,
            lowerbound,
        });
    }
    let nonlinear = read_nonlinear(file, root)?;
    Ok(Profile {
        file: file.to_path_buf(),
        reservation,
        discount,
        weights,
        issues,
        nonlinear,
    })
}

fn find<'a, 't>(el: Element<'a, 't>, names: &[&str]) -> Option<Element<'a, 't>> {
    if names.contains(&el.name()) {
        return Some(el);
    }
    el.children().find_map(|c| find(c, names))
}

fn read_nonlinear(file: &Path, root: Element) -> Result<Option<Nonlinear>, FormatError> {
    let Some(utility) = root
        .children()
        .find_map(|c| find(c, &["utility", "utility_function"]))
    else {
        return Ok(None);
    };
    let max_utility = num::<f64>(file, utility, "maxutility", "a number")?;
    let Some(ufun) = utility.child("ufun") else {
        return Err(FormatError::at(
            file,
            utility.line(),
            ErrorKind::Invalid(format!("<{}> has no <ufun> child", utility.name())),
        ));
    };
    if ufun.child("ufun").is_some() {
        return Err(FormatError::at(
            file,
            ufun.line(),
            ErrorKind::Invalid("nested <ufun> elements are not supported".into()),
        ));
    }
    let weight = num::<f64>(file, ufun, "weight", "a number")?.unwrap_or(1.0);
    let aggregation = ufun
        .attr("aggregation")
        .unwrap_or("sum")
        .to_ascii_lowercase();
    let mut rects = Vec::new();
    for r in ufun.children_named("hyperRectangle") {
        let utility = req_f64(file, r, "utility", "a number")?;
        let weight = num::<f64>(file, r, "weight", "a number")?.unwrap_or(1.0);
        let mut bounds = Vec::new();
        for b in r.children() {
            let index = req_int(file, b, "index", "the issue's number")?;
            let min = req_f64(file, b, "min", "a number")?;
            let max = req_f64(file, b, "max", "a number")?;
            bounds.push(RectBound {
                tag: b.name().to_string(),
                index,
                min,
                max,
            });
        }
        rects.push(Rect {
            utility,
            weight,
            bounds,
            line: r.line(),
        });
    }
    Ok(Some(Nonlinear {
        max_utility,
        weight,
        aggregation,
        rects,
        line: ufun.line(),
    }))
}
