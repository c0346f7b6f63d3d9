//! The built-in strategies.

mod baseline;
mod micro;
mod tft;
mod timebased;

pub use baseline::{AcceptAll, Hardliner, RandomNegotiator};
pub use micro::Micro;
pub use tft::NaiveTitForTat;
pub use timebased::TimeBased;
