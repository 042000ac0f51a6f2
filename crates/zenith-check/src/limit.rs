//! The cap on findings per message: the first ones are kept whole, the rest only counted by
//! code and told in one `finding-limit` finding, so that memory and output stay bounded however
//! many problems one message has.

use std::collections::BTreeMap;

use zenith_capture::Code;
use zenith_protocol::Severity;
use zenith_protocol::runtime::Budget;

use crate::finding::{self, Finding, Place};

/// What is kept of one message's findings, and what was left out, as they are produced.
#[derive(Clone, Debug, Default)]
pub struct Limit {
    budget: Budget,
    /// The findings left out, by code.
    omitted: BTreeMap<String, u64>,
    /// The most serious level left out.
    worst: Option<Severity>,
}

impl Limit {
    /// True when `finding` is kept; otherwise it is counted as left out.
    pub fn admit(&mut self, finding: &Finding) -> bool {
        let excerpt = finding.excerpt.as_ref().map_or(0, String::len);
        let bytes = finding.instance_path.len() + finding.message.len() + excerpt;
        let kept = self.budget.admit(bytes);
        if !kept {
            self.omit(&finding.code, finding.level, 1);
        }
        kept
    }

    /// Counts `count` findings of `code` that were left out where they were found.
    pub fn omit(&mut self, code: &str, level: Severity, count: u64) {
        if count == 0 {
            return;
        }
        match self.omitted.get_mut(code) {
            Some(omitted) => *omitted += count,
            None => {
                self.omitted.insert(code.to_owned(), count);
            }
        }
        self.worst = Some(self.worst.map_or(level, |worst| worst.min(level)));
    }

    /// The most serious level of the findings left out, if any were.
    pub fn worst(&self) -> Option<Severity> {
        self.worst
    }

    /// The finding that tells how many findings about the message at `place` were left out,
    /// by code, at the level of the most serious of them; none when nothing was.
    pub fn finding(&self, source: &str, place: &Place) -> Option<Finding> {
        let level = self.worst?;
        let total: u64 = self.omitted.values().sum();
        let codes: Vec<String> = self.omitted.iter().map(|(code, count)| format!("{count} {code}")).collect();
        let message = format!(
            "{total} more findings about this message not shown ({}): a message keeps its first {} findings, up to \
             {} KiB of their text",
            codes.join(", "),
            Budget::MAX_KEPT,
            Budget::MAX_BYTES / 1024,
        );
        Some(finding::new(source, place, level, Code::FindingLimit, &message, "", "", None))
    }
}
