//! Protocol-aware checking of captured Zenith traffic: every message against its schema, every
//! connection's requests against their replies, and a summary in which every frame is counted.
//!
//! Checking has two halves: [`analyze`] looks at one frame alone and can run on any thread;
//! [`Checker::apply`] takes the analyses in capture order and follows each conversation.

mod analyze;
mod conversation;
mod excerpt;
mod finding;
mod summary;

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

pub use analyze::{Analysis, analyze};
pub use finding::{Finding, Level};
pub use summary::{Latency, Row, Summary};
use zenith_capture::Event;

use conversation::{Conversation, Facts};

/// Checks the frames of one capture file, in order.
pub struct Checker {
    source: Arc<str>,
    conversations: HashMap<String, Conversation>,
    summary: Summary,
}

impl Checker {
    /// `source` names the capture in findings (a file path, or `-` for standard input).
    pub fn new(source: &str) -> Checker {
        Checker { source: source.into(), conversations: HashMap::default(), summary: Summary::default() }
    }

    /// The name findings give the capture.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Checks one event from the capture reader, reporting findings to `out`.
    pub fn event(&mut self, event: Event, out: &mut dyn FnMut(Finding)) {
        let analysis = analyze(&self.source, event);
        self.apply(analysis, out);
    }

    /// Counts an analysed event and follows its conversation. Analyses must arrive in capture
    /// order.
    pub fn apply(&mut self, analysis: Analysis, out: &mut dyn FnMut(Finding)) {
        let summary = &mut self.summary;
        match analysis {
            Analysis::HttpEntry => summary.http_entries += 1,
            Analysis::BlankLine => {
                summary.read += 1;
                summary.skipped += 1;
                summary.blank_lines += 1;
            }
            Analysis::Unreadable(finding) => {
                summary.read += 1;
                summary.unreadable += 1;
                out(finding);
            }
            Analysis::Skipped { binary, finding } => {
                summary.read += 1;
                summary.skipped += 1;
                if binary {
                    summary.binary += 1;
                } else {
                    summary.capture_errors += 1;
                }
                out(finding);
            }
            Analysis::BadEnvelope(finding) => {
                summary.read += 1;
                summary.invalid += 1;
                out(finding);
            }
            Analysis::Message(mut checked) => {
                summary.read += 1;
                if checked.inferred {
                    summary.direction_inferred += 1;
                }
                let has_error = checked.findings.iter().any(|f| f.level == Level::Error);
                let has_warning = checked.findings.iter().any(|f| f.level == Level::Warning);
                for finding in std::mem::take(&mut checked.findings) {
                    out(finding);
                }
                let keys = checked.keys();
                summary.count(&keys, checked.kind.is_some(), has_error, has_warning);
                if let Some(direction) = checked.direction {
                    let facts = Facts {
                        transaction: checked.transaction,
                        topic: &checked.full_topic,
                        confirm: checked.confirm,
                        error_text: checked.error_text.as_deref(),
                    };
                    let conversation = conversation(&mut self.conversations, &checked.place.conn);
                    conversation.message(
                        &self.source,
                        &checked.place,
                        direction,
                        checked.kind,
                        &keys,
                        &facts,
                        summary,
                        out,
                    );
                }
            }
        }
    }

    /// Reports what only the end of the capture reveals (requests never answered) and returns
    /// the summary.
    pub fn finish(mut self, out: &mut dyn FnMut(Finding)) -> Summary {
        let mut conns: Vec<_> = self.conversations.into_iter().collect();
        conns.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, conversation) in conns {
            conversation.finish(&self.source, &mut self.summary, out);
        }
        self.summary.finalize();
        self.summary
    }
}

/// The conversation of a connection, created on first use (looked up without allocating).
fn conversation<'c>(conversations: &'c mut HashMap<String, Conversation>, conn: &str) -> &'c mut Conversation {
    if !conversations.contains_key(conn) {
        conversations.insert(conn.to_owned(), Conversation::default());
    }
    conversations.get_mut(conn).expect("inserted above")
}
