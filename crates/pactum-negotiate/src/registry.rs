//! Strategies by name, as the command line and tournaments name them.

use std::sync::Arc;

use crate::negotiator::Negotiator;
use crate::strategies::{AcceptAll, Hardliner, Micro, NaiveTitForTat, RandomNegotiator, TimeBased};
use crate::NegotiationError;

/// Makes a fresh negotiator for one negotiation.
pub type Constructor = Arc<dyn Fn() -> Box<dyn Negotiator> + Send + Sync>;

/// The built-in strategies' names, in the order they are listed to users.
pub const BUILTIN: &[&str] = &[
    "boulware",
    "linear",
    "conceder",
    "naive-tft",
    "micro",
    "random",
    "hardliner",
    "accept-all",
];

/// Name → constructor. Starts with the built-ins; users add their own.
#[derive(Clone)]
pub struct Registry {
    entries: Vec<(String, Constructor)>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Self {
        Registry {
            entries: Vec::new(),
        }
    }

    /// The built-in strategies under their command-line names.
    pub fn builtin() -> Self {
        let mut r = Self::empty();
        r.register("boulware", || Box::new(TimeBased::boulware()));
        r.register("linear", || Box::new(TimeBased::linear()));
        r.register("conceder", || Box::new(TimeBased::conceder()));
        r.register("naive-tft", || Box::new(NaiveTitForTat::new()));
        r.register("micro", || Box::new(Micro::new()));
        r.register("random", || Box::new(RandomNegotiator::default()));
        r.register("hardliner", || Box::new(Hardliner));
        r.register("accept-all", || Box::new(AcceptAll));
        r
    }

    /// Adds (or replaces) a strategy.
    pub fn register(
        &mut self,
        name: impl Into<String>,
        make: impl Fn() -> Box<dyn Negotiator> + Send + Sync + 'static,
    ) {
        let name = name.into();
        let make: Constructor = Arc::new(make);
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = make,
            None => self.entries.push((name, make)),
        }
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The constructor for `name`; an unknown name is an error listing the
    /// available ones.
    pub fn constructor(&self, name: &str) -> Result<Constructor, NegotiationError> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
            .ok_or_else(|| NegotiationError::UnknownNegotiator {
                name: name.to_string(),
                available: self.names().join(", "),
            })
    }

    /// A fresh negotiator for `name`.
    pub fn create(&self, name: &str) -> Result<Box<dyn Negotiator>, NegotiationError> {
        Ok((self.constructor(name)?)())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_registered() {
        let r = Registry::builtin();
        assert_eq!(r.names(), BUILTIN);
    }

    #[test]
    fn unknown_names_list_the_available_ones() {
        let err = Registry::builtin().create("boulwre").err().unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains("boulwre") && msg.contains("naive-tft, micro"),
            "{msg}"
        );
    }
}
