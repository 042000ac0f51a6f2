//! Differences between the reference and the real client (motif-core), as the schemas decide them.

use super::{Direction, Severity};
pub use zenith_vocab::DriftDecision;

/// One difference between what the reference documents and what the real client reads (so a
/// real server sends it) or sends, with the schemas' decision. The schemas' `x-zenith-drift`
/// annotations, listed in [`crate::CLIENT_DRIFT`] and in `docs/reference/client-drift.md`.
#[derive(Debug)]
pub struct Drift {
    pub id: &'static str,
    /// The motif-core file and the names in it.
    pub client: &'static str,
    /// `Receive`: motif-core reads it, so a server sends it; `Send`: motif-core sends it.
    pub direction: Direction,
    /// What motif-core does, completing "motif-core ...".
    pub does: &'static str,
    pub decision: DriftDecision,
    pub why: &'static str,
    /// On a code table: the values that are the difference.
    pub values: &'static [&'static str],
    /// On a nullable property: only `null` is the difference.
    pub null_only: bool,
    /// A message in motif-core's shape, as JSON text.
    pub example: Option<&'static str>,
    /// The schema object the decision is on.
    pub at: &'static str,
}

impl Drift {
    /// The severity of the `client-drift` finding a message showing the difference gets, for
    /// the decisions that give one.
    pub fn severity(&self) -> Option<Severity> {
        match self.decision {
            DriftDecision::Warning => Some(Severity::Warning),
            DriftDecision::Info => Some(Severity::Info),
            _ => None,
        }
    }

    /// What the real client does, as a clause for findings.
    pub fn note(&self) -> String {
        format!("the real client, motif-core, {}", self.does)
    }

    /// The `client-drift` finding's text about `subject` (a property, a value).
    pub fn finding(&self, subject: &str) -> String {
        format!("{subject} is not in the reference, but {} ({})", self.note(), self.id)
    }
}
