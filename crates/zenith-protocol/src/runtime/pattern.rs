//! Regular expressions of the schemas (`pattern`), compiled when first used.

use std::sync::OnceLock;

/// A regular expression, compiled when first used.
#[derive(Debug)]
pub struct Pattern {
    pub source: &'static str,
    compiled: OnceLock<regex::Regex>,
}

impl Pattern {
    pub const fn new(source: &'static str) -> Pattern {
        Pattern { source, compiled: OnceLock::new() }
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| regex::Regex::new(self.source).expect("patterns are checked when generating"))
            .is_match(text)
    }
}
