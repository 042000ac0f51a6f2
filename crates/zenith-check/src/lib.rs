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
mod deadline;
mod duplicates;
mod effects;
mod excerpt;
mod finding;
mod limit;
pub mod outline;
mod replay;
mod shown;
mod state;
mod streams;
mod summary;

pub use analyze::{Analysis, TransportKind, analyze};
pub use checker::Checker;
pub use connections::MAX_CONNECTIONS;
pub use conversation::{MAX_WAITING, MAX_WAITING_REQUESTS, MAX_WAITING_SUBSCRIPTIONS};
pub use deadline::DEFAULT_REPLY_TIMEOUT;
pub use finding::{Finding, Level, Related};
pub use replay::{Replay, State, Until};
pub use streams::{MAX_KEYS, MAX_KEYS_OVERALL, MAX_STREAMS};
pub use summary::{Latency, MAX_UNKNOWN_ROWS, OTHER, Row, Summary};

#[cfg(test)]
mod tests {
    /// A finding's code: a kebab-case string literal.
    fn is_code(text: &str) -> bool {
        text.contains('-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--")
            && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    }

    /// Kebab-case literals that are protocol names, not codes.
    const NOT_CODES: &[&str] = &["permessage-deflate", "sec-websocket-protocol"];

    /// The Rust files under `dir`, in its subdirectories too.
    fn sources(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }

    /// Every code the checker or the capture readers give is in the table of docs/check.md.
    #[test]
    fn every_code_is_documented() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let docs = std::fs::read_to_string(root.join("../../docs/check.md")).unwrap();
        let mut files = Vec::new();
        sources(&root.join("src"), &mut files);
        sources(&root.join("../zenith-capture/src"), &mut files);
        let mut codes = 0;
        for file in files {
            let source = std::fs::read_to_string(file).unwrap();
            // The text between one pair of quotes and the next: string literals among the rest.
            for code in source.split('"').skip(1).step_by(2).filter(|t| is_code(t) && !NOT_CODES.contains(t)) {
                assert!(docs.contains(&format!("| `{code}` |")), "docs/check.md does not document `{code}`");
                codes += 1;
            }
        }
        assert!(codes > 30, "{codes} codes found");
    }
}
