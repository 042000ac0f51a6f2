//! Validation results: each problem with its severity, code and place, and a message's report.

use std::fmt;

use super::text::near_miss;

/// How serious a problem or finding is: the one severity of the toolkit, from the validators'
/// problems to the checker's findings and the CLI's `--severity`. Ordered from the most serious,
/// so the worst of several is their `min`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Something breaks the protocol (or, for a finding, stops it being read or followed).
    Error,
    /// Acceptable, but with something the schema does not document or the checker doubts.
    Warning,
    /// Worth telling, nothing wrong (the validators give it only for `client-drift`).
    Info,
}

impl Severity {
    /// Every severity, the most serious first.
    pub const ALL: &'static [Severity] = &[Severity::Error, Severity::Warning, Severity::Info];

    /// The lower-case word used in every output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stable identifier for each kind of schema problem. `docs/diagnostics.md` documents each
/// one in its table of codes, which a test holds to [`Code::ALL`]; the text of a code
/// ([`Code::as_str`]) is never renamed or given another meaning. Findings that are not schema
/// problems have their own codes (`zenith_capture::Code`), none of them the same as these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The value has the wrong JSON type.
    WrongType,
    /// A required property is absent.
    MissingRequired,
    /// A string is not one of the listed values.
    NotInEnum,
    /// A property fixed for this message has another value.
    WrongConstant,
    /// A string does not match the schema's `pattern`.
    PatternMismatch,
    /// A string has fewer characters than `minLength`.
    TooShort,
    /// A string has more characters than `maxLength`.
    TooLong,
    /// A DateTime the protocol does not accept, or an impossible one.
    BadDatetime,
    /// A Time that is not a duration the protocol writes.
    BadTime,
    /// A Date that is not a day the protocol writes, or an impossible one.
    BadDate,
    /// A property where the schema, or the record's variant, allows none.
    ForbiddenProperty,
    /// An undocumented property that nearly matches a documented one.
    MisspelledProperty,
    /// An undocumented property that resembles none that is documented.
    UndocumentedProperty,
    /// A value of an open code table that the table does not list.
    UnknownCode,
    /// A member of a flag set that its code table does not list.
    BadFlag,
    /// A topic's arguments missing, or in none of its forms.
    BadTopicArguments,
    /// A tagged array whose tag names none of its union's tags.
    UnknownTag,
    /// A tagged array with fewer items than its tag needs.
    TooFewItems,
    /// A tagged array with more items than its tag takes.
    TooManyItems,
    /// Something the reference leaves out and the real client (motif-core) reads or sends,
    /// accepted as the schemas decide (`docs/reference/client-drift.md`).
    ClientDrift,
}

impl Code {
    /// Every code, in documentation order.
    pub const ALL: &'static [Code] = &[
        Code::WrongType,
        Code::MissingRequired,
        Code::NotInEnum,
        Code::WrongConstant,
        Code::PatternMismatch,
        Code::TooShort,
        Code::TooLong,
        Code::BadDatetime,
        Code::BadTime,
        Code::BadDate,
        Code::ForbiddenProperty,
        Code::MisspelledProperty,
        Code::UndocumentedProperty,
        Code::UnknownCode,
        Code::BadFlag,
        Code::BadTopicArguments,
        Code::UnknownTag,
        Code::TooFewItems,
        Code::TooManyItems,
        Code::ClientDrift,
    ];

    /// The kebab-case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::WrongType => "wrong-type",
            Code::MissingRequired => "missing-required",
            Code::NotInEnum => "not-in-enum",
            Code::WrongConstant => "wrong-constant",
            Code::PatternMismatch => "pattern-mismatch",
            Code::TooShort => "too-short",
            Code::TooLong => "too-long",
            Code::BadDatetime => "bad-datetime",
            Code::BadTime => "bad-time",
            Code::BadDate => "bad-date",
            Code::ForbiddenProperty => "forbidden-property",
            Code::MisspelledProperty => "misspelled-property",
            Code::UndocumentedProperty => "undocumented-property",
            Code::UnknownCode => "unknown-code",
            Code::BadFlag => "bad-flag",
            Code::BadTopicArguments => "bad-topic-arguments",
            Code::UnknownTag => "unknown-tag",
            Code::TooFewItems => "too-few-items",
            Code::TooManyItems => "too-many-items",
            Code::ClientDrift => "client-drift",
        }
    }

    /// False for the codes that go beyond the schema's own rules (spelling checks, undocumented
    /// properties, and the code tables' annotations, which a plain JSON Schema validator does
    /// not read).
    pub fn is_schema_rule(self) -> bool {
        !matches!(
            self,
            Code::MisspelledProperty
                | Code::UndocumentedProperty
                | Code::UnknownCode
                | Code::BadFlag
                | Code::BadTopicArguments
                | Code::ClientDrift
        )
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl serde::Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl From<Code> for &'static str {
    fn from(code: Code) -> &'static str {
        code.as_str()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub code: Code,
    /// JSON Pointer into the whole message, e.g. `/Data/UserName`; empty for the message itself.
    pub instance_path: String,
    /// The schema rule that failed: file and JSON Pointer, e.g. `schemas/auth/IdentityResult.json#/required`.
    pub schema_path: &'static str,
    /// What is wrong, for a person. Never contains a credential.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() { "(message)" } else { &self.instance_path };
        write!(f, "{} [{}] at {at}: {}", self.severity.as_str(), self.code, self.message)
    }
}

/// Every problem found in one message: the first ones in full, as many as a [`Budget`](super::super::budget::Budget) keeps,
/// and the rest counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub problems: Vec<Problem>,
    /// The problems found beyond those kept: how many of each severity and code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<Omitted>,
}

/// Problems of one severity and code that were counted but not kept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Omitted {
    pub severity: Severity,
    pub code: Code,
    pub count: u64,
}

impl Report {
    /// True when no problem is an error (warnings are allowed), those not kept included.
    pub fn is_valid(&self) -> bool {
        self.counts().0 == 0
    }

    /// How many errors and how many warnings were found, those not kept included.
    pub fn counts(&self) -> (u64, u64) {
        let count = |severity: Severity| {
            let kept = self.problems.iter().filter(|p| p.severity == severity).count() as u64;
            kept + self.omitted.iter().filter(|o| o.severity == severity).map(|o| o.count).sum::<u64>()
        };
        (count(Severity::Error), count(Severity::Warning))
    }

    /// True when no error breaks a rule of the schema itself; spelling checks aside, this is
    /// the verdict any JSON Schema validator gives.
    pub fn is_schema_valid(&self) -> bool {
        let omitted = self.omitted.iter().filter(|o| o.severity == Severity::Error).map(|o| o.code);
        self.errors().map(|p| p.code).chain(omitted).all(|code| !code.is_schema_rule())
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Warning)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line each, with no newline after the last, as an error message ends.
        let problems = self.problems.iter().map(|problem| problem.to_string());
        let omitted = self.omitted.iter().map(|omitted| {
            format!("{} [{}]: {} more not kept", omitted.severity.as_str(), omitted.code, omitted.count)
        });
        for (index, line) in problems.chain(omitted).enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&line)?;
        }
        Ok(())
    }
}

/// A report is an error to pass up with `?` (its `Display` lists every problem); one with
/// warnings only is one too, for callers that refuse those.
impl std::error::Error for Report {}

/// The fast pass's answer: nothing to say, only warnings or informational findings (such as
/// `client-drift`), or at least one error. Ordered so that combining two verdicts is `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    Clean,
    Warnings,
    Invalid,
}

impl Verdict {
    /// `Clean` when `ok`, else `Invalid`.
    #[inline]
    pub fn check(ok: bool) -> Verdict {
        if ok { Verdict::Clean } else { Verdict::Invalid }
    }

    /// The worst of several verdicts, stopping at the first `Invalid`.
    #[inline]
    pub fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let mut worst = Verdict::Clean;
        for verdict in verdicts {
            worst = worst.max(verdict);
            if worst == Verdict::Invalid {
                break;
            }
        }
        worst
    }

    /// A property the schema does not list: an error when it nearly matches a documented one.
    #[cold]
    pub fn unknown_property(key: &str, documented: &[&str]) -> Verdict {
        if near_miss(key, documented).is_some() { Verdict::Invalid } else { Verdict::Warnings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes in the first column of the table under `heading` in a Markdown text.
    fn table_codes<'t>(docs: &'t str, heading: &str) -> Vec<&'t str> {
        let section = docs.split_once(heading).map_or("", |(_, after)| after);
        let section = section.split("\n## ").next().unwrap_or_default();
        let rows = section.lines().filter_map(|line| line.strip_prefix("| `"));
        rows.filter_map(|row| row.split_once('`').map(|(code, _)| code)).collect()
    }

    #[test]
    fn the_table_of_codes_documents_every_code_and_nothing_else() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/diagnostics.md");
        let docs = std::fs::read_to_string(path).unwrap();
        let documented = table_codes(&docs, "\n## Codes\n");
        let listed: Vec<&str> = Code::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(documented, listed, "docs/diagnostics.md's table of codes and `Code::ALL` differ");
    }

    #[test]
    fn severities_read_as_words_and_order_from_the_most_serious() {
        let words: Vec<String> = Severity::ALL.iter().map(|s| s.to_string()).collect();
        assert_eq!(words, ["error", "warning", "info"]);
        assert_eq!(Severity::Warning.min(Severity::Error), Severity::Error);
        assert_eq!(serde_json::to_string(&Severity::Info).unwrap(), "\"info\"");
    }
}
