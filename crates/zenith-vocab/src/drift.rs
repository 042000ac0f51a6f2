//! What the schemas decide of a difference between the reference and the real client.

/// What the schemas make of a difference with the real client (an `x-zenith-drift` decision).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftDecision {
    /// Accepted, with a warning (`client-drift`) that names the difference.
    Warning,
    /// Accepted, with an informational `client-drift` finding.
    Info,
    /// Accepted without a finding: the reference was unclear, or the rule was the schemas' own.
    Accepted,
    /// Still reported as the rule says (an error, or a warning where the rule warns), the
    /// message saying what the real client does.
    Error,
    /// Nothing changed: the real client is stricter than the reference, or the evidence is weak.
    Kept,
}

impl DriftDecision {
    /// Every decision, in the order the drift table lists them.
    pub const ALL: &'static [DriftDecision] = &[
        DriftDecision::Warning,
        DriftDecision::Info,
        DriftDecision::Accepted,
        DriftDecision::Error,
        DriftDecision::Kept,
    ];

    /// The word the schemas write it with.
    pub const fn as_str(self) -> &'static str {
        match self {
            DriftDecision::Warning => "warning",
            DriftDecision::Info => "info",
            DriftDecision::Accepted => "accepted",
            DriftDecision::Error => "error",
            DriftDecision::Kept => "kept",
        }
    }

    /// The decision a word names.
    pub fn from_word(word: &str) -> Option<DriftDecision> {
        DriftDecision::ALL.iter().copied().find(|d| d.as_str() == word)
    }

    /// Whether a message showing the difference gets a `client-drift` finding.
    pub const fn has_finding(self) -> bool {
        matches!(self, DriftDecision::Warning | DriftDecision::Info)
    }
}
