//! The mediation workspace's domain model.
//!
//! A room holds the records of one negotiation: parties, issues, versions of
//! the single negotiating text, meetings, stances, documents, notes and
//! private preference models. Every record carries a [`Visibility`]; the one
//! rule that decides who may see what is [`Viewer::can_see`], so the server
//! enforces confidentiality in a single place.
//!
//! The crate is pure: it converts case files to records and back, computes
//! redlines between versions and decides visibility, but never touches a
//! database, a socket or a file.

pub mod amendment;
pub mod body;
pub mod briefing;
pub mod case;
pub mod drafting;
pub mod editions;
pub mod ids;
pub mod model;
pub mod preference;
pub mod redline;
pub mod references;
pub mod session;
pub mod setup;
pub mod versions;
pub mod visibility;

pub use model::*;
pub use visibility::{Viewer, Visibility};
