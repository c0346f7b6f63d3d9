//! Errors that say which file, which line and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with an input file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct FormatError {
    /// The file (or folder) at fault.
    pub file: PathBuf,
    /// 1-based line of the offending element, when known.
    pub line: Option<usize>,
    /// What is wrong (boxed: errors travel through every reader's `Result`).
    pub kind: Box<ErrorKind>,
}

/// What went wrong, with the details a user needs to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The file is not UTF-8.
    #[error("not valid UTF-8 text")]
    Encoding,
    /// The XML itself is malformed.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// A required attribute is absent.
    #[error("<{element}> needs attribute `{attribute}` ({expected})")]
    MissingAttribute {
        /// The element.
        element: String,
        /// The attribute.
        attribute: String,
        /// What it should hold.
        expected: String,
    },
    /// An attribute holds something else than expected.
    #[error("<{element}> attribute `{attribute}` is {found:?}, expected {expected}")]
    BadAttribute {
        /// The element.
        element: String,
        /// The attribute.
        attribute: String,
        /// What was found.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// Anything else, stated in full.
    #[error("{0}")]
    Invalid(String),
    /// The folder holds no domain file.
    #[error(
        "no domain file (an XML file whose root element is <negotiation_template>) in this folder"
    )]
    NoDomain,
    /// The folder holds no profile.
    #[error("no profile (an XML file whose root element is <utility_space>) in this folder")]
    NoProfiles,
    /// A profile asked for on the command line is not in the folder.
    #[error("profile {0:?} is not a profile of this folder (available: {1})")]
    UnknownProfile(String, String),
}

impl FormatError {
    /// An error at a line of a file.
    pub fn at(file: &Path, line: usize, kind: ErrorKind) -> Self {
        FormatError {
            file: file.to_path_buf(),
            line: Some(line),
            kind: Box::new(kind),
        }
    }

    /// An error about a whole file or folder.
    pub fn file(file: &Path, kind: ErrorKind) -> Self {
        FormatError {
            file: file.to_path_buf(),
            line: None,
            kind: Box::new(kind),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file.display(), l, self.kind),
            None => write!(f, "{}: {}", self.file.display(), self.kind),
        }
    }
}
