//! Large messages that are not clean, checked without a tree: a tree takes about 80 bytes a
//! JSON value, so past [`TREE_VALUES`] a message's envelope is read on its own and its schema's
//! verdict comes from the one-pass check, in memory that does not grow with the message.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use zenith_protocol::{Direction, Envelope, EnvelopeKeys, MessageKind, Report, Severity, Validate, Verdict};

/// The most JSON values (keys count as values too) a message that is not clean may hold to be
/// read into a tree, which costs about 80 bytes a value: some 20 to 30 MB at most. Larger ones
/// get [`classify`]'s verdict, without the problems located.
pub const TREE_VALUES: u64 = 1 << 18;

/// A message's outline: its top-level envelope fields, in an object of their own (every other
/// property left out; one that is an object or an array as an empty one), or for a message
/// that is not an object, an empty value of its kind. And how many values the message holds.
pub struct Outline {
    pub value: Value,
    pub values: u64,
}

/// Reads the outline of `text` in one pass that builds nothing else; an error when the text is
/// not JSON.
pub fn read(text: &str) -> Result<Outline, serde_json::Error> {
    let mut values = 0;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Top(Count(&mut values)).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(Outline { value, values })
}

/// The tree of `text`, or for text of more than [`TREE_VALUES`] values its outline, with how
/// many values it holds. An error when the text is not JSON.
pub fn tree(text: &str) -> Result<(Value, Option<u64>), serde_json::Error> {
    // A value takes a byte at least, so shorter text is not counted.
    if text.len() as u64 > TREE_VALUES {
        let outline = read(text)?;
        if outline.values > TREE_VALUES {
            return Ok((outline.value, Some(outline.values)));
        }
    }
    serde_json::from_str(text).map(|value| (value, None))
}

/// The schema chosen for `keys`, the direction, the report and the one-pass verdict on `text`
/// under it: of the candidate directions, the first with the best verdict, as the tree check
/// chooses. When the keys name no schema, only the envelope (all the `outline` holds) is
/// validated, as for any message.
pub(crate) fn classify(
    keys: &EnvelopeKeys<'_>,
    outline: &Value,
    text: &str,
    direction: Option<Direction>,
) -> (Option<MessageKind>, Option<Direction>, Report, Verdict) {
    let best = Direction::candidates(direction)
        .iter()
        .filter_map(|&d| keys.kind(d).map(|kind| (kind, d, verdict(kind, text))))
        .min_by_key(|(_, _, verdict)| *verdict);
    match best {
        Some((kind, direction, verdict)) => (Some(kind), Some(direction), Report::default(), verdict),
        None => (None, None, Envelope::validate(outline), Verdict::Clean),
    }
}

/// The finding's level and message for a message of `values` values that is not clean, by its
/// one-pass verdict; `None` when it is clean.
pub(crate) fn unread(values: u64, bytes: usize, verdict: Verdict) -> Option<(Severity, String)> {
    let (level, what) = match verdict {
        Verdict::Clean => return None,
        Verdict::Invalid => (Severity::Error, "is invalid"),
        Verdict::Warnings => (Severity::Warning, "has warnings (or informational findings)"),
    };
    let message = format!(
        "the message {what} under its schema, but at {values} JSON values ({bytes} bytes) it is too large to be \
         checked in detail: messages of over {TREE_VALUES} values that are not clean are checked in one pass, \
         which does not locate problems"
    );
    Some((level, message))
}

/// The one-pass verdict on `text` as a message of `kind`, with no tree built.
pub fn verdict(kind: MessageKind, text: &str) -> Verdict {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    kind.stream_verdict(&mut deserializer).unwrap_or(Verdict::Invalid)
}

/// The top level of a message: the envelope fields kept, every value counted.
struct Top<'a>(Count<'a>);

/// An envelope field's value: a scalar as it is, an object or an array as an empty one of its
/// kind (enough to say what it is).
struct Field<'a>(Count<'a>);

/// Counts the values of the value it is given, keeping none.
struct Count<'a>(&'a mut u64);

impl Count<'_> {
    fn again(&mut self) -> Count<'_> {
        Count(self.0)
    }
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> DeserializeSeed<'de> for Field<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> DeserializeSeed<'de> for Count<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a message")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        *self.0.0 += 1;
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            *self.0.0 += 1;
            if ENVELOPE.contains(&key.as_str()) {
                fields.insert(key, map.next_value_seed(Field(self.0.again()))?);
            } else {
                map.next_value_seed(self.0.again())?;
            }
        }
        Ok(Value::Object(fields))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        self.0.visit_seq(seq)?;
        Ok(Value::Array(Vec::new()))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Bool(false))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::from(0))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::from(0))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::from(0))
    }
    fn visit_str<E>(self, _: &str) -> Result<Value, E> {
        Ok(Value::String(String::new()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// The envelope fields, kept in the outline.
const ENVELOPE: [&str; 5] = ["Controller", "Topic", "Action", "TransactionID", "Confirm"];

impl<'de> Visitor<'de> for Field<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an envelope field")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        self.0.visit_map(map)?;
        Ok(Value::Object(Map::new()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        self.0.visit_seq(seq)?;
        Ok(Value::Array(Vec::new()))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        *self.0.0 += 1;
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        *self.0.0 += 1;
        Ok(Value::from(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        *self.0.0 += 1;
        Ok(Value::from(n))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        *self.0.0 += 1;
        Ok(Value::from(n))
    }
    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        *self.0.0 += 1;
        Ok(Value::String(text.to_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        *self.0.0 += 1;
        Ok(Value::Null)
    }
}

impl<'de> Visitor<'de> for Count<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        *self.0 += 1;
        while map.next_key::<IgnoredAny>()?.is_some() {
            *self.0 += 1;
            map.next_value_seed(self.again())?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        *self.0 += 1;
        while seq.next_element_seed(self.again())?.is_some() {}
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        *self.0 += 1;
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        *self.0 += 1;
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        *self.0 += 1;
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        *self.0 += 1;
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        *self.0 += 1;
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        *self.0 += 1;
        Ok(())
    }
}
