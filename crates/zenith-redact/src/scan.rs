//! The state rules leave as they scan one input: the edits to make and what they learnt.

use std::ops::Range;

use crate::secrets::Secrets;
use crate::text::Text;

/// One replacement, at input offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Range<usize>,
    pub with: &'static str,
}

/// What the rules are applied for: learning the credentials (the first pass), or replacing
/// them and their copies (the second).
pub enum Mode<'s> {
    Learn(&'s mut Secrets),
    Replace(&'s Secrets),
}

/// The rules' state for one input: where edits go, and why some part of it cannot be
/// redacted with certainty.
pub struct Scan<'s> {
    pub mode: Mode<'s>,
    pub edits: Vec<Edit>,
    pub doubts: Vec<String>,
    /// The text is only shown, never written back as a capture: copies of credentials are
    /// replaced in keys too.
    pub shown: bool,
}

impl<'s> Scan<'s> {
    pub fn new(mode: Mode<'s>) -> Scan<'s> {
        Scan { mode, edits: Vec::new(), doubts: Vec::new(), shown: false }
    }

    pub(crate) fn remember(&mut self, value: &str) {
        // What an earlier redaction wrote is no credential: redacting twice changes nothing.
        if value == "0" {
            return;
        }
        if let Mode::Learn(secrets) = &mut self.mode {
            secrets.remember(value);
            // A value from a URL or form body is also learnt as it reads decoded (`p%40ss` as
            // `p@ss`), for its copies written plainly.
            if value.contains('%')
                && let Ok(decoded) = percent_encoding::percent_decode_str(value).decode_utf8()
                && decoded != value
            {
                secrets.remember(&decoded);
            }
        }
    }

    /// A secret stretch of `text`: replaced, and remembered.
    pub(crate) fn secret(&mut self, text: &Text<'_>, range: Range<usize>) {
        if range.is_empty() || &text.text[range.clone()] == crate::PLACEHOLDER {
            return;
        }
        self.remember(&text.text[range.clone()]);
        self.edits.push(Edit { span: text.input_range(range), with: crate::PLACEHOLDER });
    }
}
