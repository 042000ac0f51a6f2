//! Protocol-aware checking of captured Zenith traffic: every message against its schema, every
//! connection's requests against their replies, and a summary in which every frame is counted.
//!
//! Checking has two halves: [`analyze`] looks at one frame alone and can run on any thread;
//! [`Checker::apply`] takes the analyses in capture order and follows each conversation.

mod analyze;
mod checker;
mod classify;
mod connections;
mod conversation;
mod data;
mod deadline;
mod duplicates;
mod excerpt;
mod finding;
mod limit;
pub mod outline;
mod replay;
mod shown;
mod streams;
mod summary;

pub use analyze::{Analysis, TransportKind, analyze};
pub use checker::Checker;
pub use connections::MAX_CONNECTIONS;
pub use conversation::{MAX_WAITING, MAX_WAITING_REQUESTS, MAX_WAITING_SUBSCRIPTIONS};
pub use deadline::DEFAULT_REPLY_TIMEOUT;
pub use finding::{Finding, Related};
pub use replay::{Replay, State, Until};
pub use streams::{MAX_KEYS, MAX_KEYS_OVERALL, MAX_STREAMS};
pub use summary::{Latency, MAX_UNKNOWN_ROWS, OTHER, Row, Summary};
pub use zenith_capture::Code;
pub use zenith_protocol::Severity;
/// The severity of a finding: the toolkit's one [`Severity`], under the name this crate first
/// gave it.
pub use zenith_protocol::Severity as Level;

#[cfg(test)]
mod tests {
    use zenith_protocol::Severity;

    use crate::Code;

    /// The rows of every `| Code | Severity | Meaning |` table of a Markdown text: each row's
    /// code (the first cell without its backticks) and severity cell.
    fn code_rows(docs: &str) -> Vec<(&str, &str)> {
        let mut rows = Vec::new();
        let mut in_table = false;
        for line in docs.lines() {
            if line == "| Code | Severity | Meaning |" {
                in_table = true;
                continue;
            }
            if !line.starts_with('|') {
                in_table = false;
            }
            let cells: Vec<&str> = line.split(" | ").collect();
            if let (true, [code, severity, ..]) = (in_table, cells.as_slice())
                && let Some(code) = code.strip_prefix("| `").and_then(|c| c.strip_suffix('`'))
            {
                rows.push((code, *severity));
            }
        }
        rows
    }

    fn docs(name: &str) -> String {
        std::fs::read_to_string(format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// A row of a code with a fixed severity gives that severity; a row of one whose case
    /// decides gives more than one word.
    fn assert_severity(code: Code, cell: &str) {
        match code.severity() {
            Some(severity) => assert_eq!(cell, severity.as_str(), "`{code}`: the docs' severity differs"),
            None => assert!(
                Severity::ALL.iter().all(|s| cell != s.as_str()),
                "`{code}` has no fixed severity, but the docs give `{cell}`"
            ),
        }
    }

    /// docs/check.md's tables of codes and [`Code::ALL`] hold the same codes in the same order,
    /// with the same severities; the tables' other rows are schema problem codes.
    #[test]
    fn the_tables_of_check_md_document_every_code_and_nothing_else() {
        let docs = docs("check.md");
        let rows = code_rows(&docs);
        let mut documented = Vec::new();
        for (text, severity) in rows {
            match Code::parse(text) {
                Some(code) => {
                    assert_severity(code, severity);
                    documented.push(code);
                }
                None => assert!(
                    zenith_protocol::Code::ALL.iter().any(|c| c.as_str() == text),
                    "docs/check.md documents `{text}`, which is no code"
                ),
            }
        }
        assert_eq!(documented, Code::ALL, "docs/check.md and `Code::ALL` differ");
    }

    /// Every code docs/diagnostics.md tells of is a schema problem code or a finding code (such
    /// as `duplicate-key`), with its severity.
    #[test]
    fn the_codes_of_diagnostics_md_are_codes() {
        let docs = docs("diagnostics.md");
        let rows = code_rows(&docs);
        assert!(rows.len() > zenith_protocol::Code::ALL.len(), "{rows:?}");
        for (text, severity) in rows {
            match Code::parse(text) {
                Some(code) => assert_severity(code, severity),
                None => assert!(
                    zenith_protocol::Code::ALL.iter().any(|c| c.as_str() == text),
                    "docs/diagnostics.md documents `{text}`, which is no code"
                ),
            }
        }
    }
}
