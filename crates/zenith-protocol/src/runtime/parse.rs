//! Typed parsing with exact locations, through the unions that are parsed again from their text.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

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

/// The tag of a tagged union's object (its `key` property, when a string), read from the
/// object's text without building anything: `None` for anything else (no such property, one
/// that is not a string or is given twice, or text that is no object), which the union keeps
/// whole as unrecognized. A one-item array is read as an object whose first property is the tag,
/// as serde reads a struct from an array.
pub fn union_tag<'a>(text: &'a str, key: &str) -> Option<Cow<'a, str>> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let tag = deserializer.deserialize_any(TagVisitor { key }).ok()?;
    deserializer.end().ok()?;
    tag
}

/// Looks for the tag among an object's properties.
struct TagVisitor<'k> {
    key: &'k str,
}

impl<'de> Visitor<'de> for TagVisitor<'_> {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut tag = None;
        while let Some(is_tag) = map.next_key_seed(IsKey(self.key))? {
            if !is_tag {
                map.next_value::<IgnoredAny>()?;
            } else if tag.replace(map.next_value::<TagValue>()?.0).is_some() {
                return Err(de::Error::custom("the tag is given twice"));
            }
        }
        Ok(tag.flatten())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let tag = seq.next_element::<TagValue>()?.and_then(|tag| tag.0);
        match seq.next_element::<IgnoredAny>()? {
            Some(_) => Err(de::Error::custom("more than the tag")),
            None => Ok(tag),
        }
    }
}

/// Whether a property's name is the tag's, compared as it is read.
struct IsKey<'k>(&'k str);

impl<'de> de::DeserializeSeed<'de> for IsKey<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for IsKey<'_> {
    type Value = bool;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a property name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<bool, E> {
        Ok(name == self.0)
    }
}

/// A tag's value: its text when it is a string.
struct TagValue<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for TagValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = TagValue<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a value")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(TagValue(Some(Cow::Borrowed(text))))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(TagValue(Some(Cow::Owned(text.to_owned()))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(TagValue(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(TagValue(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(TagValue(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(TagValue(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(TagValue(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TagValue(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TagValue(None))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unions_tag_is_its_string_property_given_once() {
        let tag = |text| union_tag(text, "O").map(Cow::into_owned);
        assert_eq!(tag(r#"{"x": {"O": "B"}, "O": "A", "y": [1, {"O": 2}]}"#).as_deref(), Some("A"));
        assert_eq!(tag(r#"{"O": "\u0041"}"#).as_deref(), Some("A"), "an escaped tag is read too");
        assert_eq!(tag(r#"["A"]"#).as_deref(), Some("A"), "as serde reads a struct from an array");
        for unrecognized in [r#"{"O": "A", "O": "U"}"#, r#"{"O": 1}"#, r#"{"O": null}"#, "{}", r#"["A", 1]"#, "[]"] {
            assert_eq!(tag(unrecognized), None, "{unrecognized}");
        }
        for broken in [r#""A""#, "7", r#"{"O": "A""#, r#"{"O": "A"} x"#, ""] {
            assert_eq!(tag(broken), None, "{broken}");
        }
    }
}
