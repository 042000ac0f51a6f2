//! Typed parsing with exact locations, through the unions that are parsed again from their text.

use serde::Deserialize;

use crate::{MessageKind, ParseError};

/// Starts and ends the location a union puts before the reason its variant did not parse, so
/// that the message's own parse can join it to where the union is (a JSON Pointer, so text that
/// merely holds the mark is not taken for one).
const MARK: char = '\u{1f}';

/// What a typed message is read from: its text, or a tree.
pub trait Input<'de>: Copy {
    /// Reads `T` from all of the input; with `located`, a failure carries the JSON Pointer to
    /// the problem (without, only that it failed: keeping track of the way costs).
    fn read<T: Deserialize<'de>>(self, located: bool) -> Result<T, Option<Failure>>;
}

/// Where a typed read failed (a JSON Pointer), and why.
pub struct Failure {
    path: String,
    error: serde_json::Error,
}

impl Failure {
    fn at(error: serde_path_to_error::Error<serde_json::Error>) -> Failure {
        Failure { path: json_pointer(error.path()), error: error.into_inner() }
    }
}

impl<'de> Input<'de> for &'de str {
    fn read<T: Deserialize<'de>>(self, located: bool) -> Result<T, Option<Failure>> {
        let mut deserializer = serde_json::Deserializer::from_str(self);
        let read = match located {
            false => T::deserialize(&mut deserializer).map_err(|_| None)?,
            true => serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Some(Failure::at(e)))?,
        };
        // Text after the message is a failure of the whole.
        deserializer.end().map_err(|error| located.then(|| Failure { path: String::new(), error }))?;
        Ok(read)
    }
}

impl<'de> Input<'de> for &'de serde_json::Value {
    fn read<T: Deserialize<'de>>(self, located: bool) -> Result<T, Option<Failure>> {
        match located {
            false => T::deserialize(self).map_err(|_| None),
            true => serde_path_to_error::deserialize(self).map_err(|e| Some(Failure::at(e))),
        }
    }
}

/// Reads `T` from `input` without keeping track of the way (the usual case: it fits), and
/// again, keeping track, only when it does not fit, to say where.
fn read_located<'de, T: Deserialize<'de>>(input: impl Input<'de>) -> Result<T, Failure> {
    input.read(false).or_else(|_| {
        input.read(true).map_err(|failure| {
            failure.unwrap_or_else(|| Failure {
                path: String::new(),
                error: serde::de::Error::custom("the message does not fit its type"),
            })
        })
    })
}

/// Deserializes a message of `kind`, boxed; the error names the exact property that did not fit.
pub fn read_as<'de, T: Deserialize<'de>>(kind: MessageKind, input: impl Input<'de>) -> Result<Box<T>, ParseError> {
    read_located(input).map(Box::new).map_err(|failure| {
        let (path, reason) = located(failure);
        ParseError::Data { kind: kind.info().name, path, reason }
    })
}

/// Deserializes a union's variant from the union's text; the error carries where in it the
/// problem is, for [`read_as`] to join.
pub fn read_nested<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, String> {
    read_located(text).map_err(|failure| {
        let (path, reason) = located(failure);
        format!("{MARK}{path}{MARK}{reason}")
    })
}

/// The JSON Pointer to the problem and the reason, without serde_json's line and column (the
/// pointer says where).
fn located(failure: Failure) -> (String, String) {
    let Failure { mut path, error: inner } = failure;
    let mut reason = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    if inner.line() > 0 && reason.ends_with(&position) {
        reason.truncate(reason.len() - position.len());
    }
    if let Some(nested) = reason.strip_prefix(MARK)
        && let Some((inner_path, inner_reason)) = nested.split_once(MARK)
        && (inner_path.is_empty() || inner_path.starts_with('/'))
    {
        path.push_str(inner_path);
        reason = inner_reason.to_owned();
    }
    // serde quotes the value that did not fit; under a credential's name, it is not shown.
    if path.split('/').any(super::is_secret_name) {
        reason = without_quoted(&reason);
    }
    (path, reason)
}

/// `reason` with what it quotes (in backticks or double quotes) shown as `<redacted>`.
fn without_quoted(reason: &str) -> String {
    let mut shown = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(start) = rest.find(['`', '"']) {
        let quote = rest[start..].chars().next().unwrap_or('`');
        shown.push_str(&rest[..start]);
        match rest[start + 1..].find(quote) {
            Some(length) => {
                shown.push_str(super::REDACTED);
                rest = &rest[start + 1 + length + 1..];
            }
            // An unclosed quote: nothing after it is shown.
            None => {
                shown.push_str(super::REDACTED);
                rest = "";
            }
        }
    }
    shown.push_str(rest);
    shown
}

/// A serde path as a JSON Pointer (`/Data/0/Order/Price`); a step serde could not name is `?`.
fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}
