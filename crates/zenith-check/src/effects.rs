//! What a pushed message does to its subscription's state, read from its text: for each change
//! record, what it does and the key of the record it changes, and the values of the properties
//! that never change. Only those properties are read; the rest of the text is passed over.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use zenith_protocol::runtime::stream::Key;
use zenith_protocol::{MessageInfo, Operation};

/// What one push does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Effects {
    /// The change records in order; empty when `Data` holds none.
    pub records: Vec<Change>,
    /// The properties of `Data` that never change, with their values (`None` when absent).
    pub fixed: Vec<(&'static str, Option<String>)>,
}

/// One change record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Its position in `Data`.
    pub position: usize,
    /// `None` for a tag the schema does not document (the schema reports it).
    pub operation: Option<Operation>,
    /// The key's parts joined by `.`; `None` when a part is missing.
    pub key: Option<String>,
}

/// Reads the effects of a message of `info`'s kind; `None` when the kind changes no state or
/// the text is not as its schema says.
pub fn read(text: &str, info: &'static MessageInfo) -> Option<Effects> {
    if info.changes.is_none() && info.fixed.is_empty() {
        return None;
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.deserialize_map(Message(info)).ok().flatten()
}

/// The message object: only `Data` is read.
struct Message(&'static MessageInfo);

impl<'de> Visitor<'de> for Message {
    type Value = Option<Effects>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a message")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut effects = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == "Data" {
                effects = map.next_value_seed(Data(self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(effects)
    }
}

/// `Data`: an array of change records, or one object.
struct Data(&'static MessageInfo);

impl<'de> DeserializeSeed<'de> for Data {
    type Value = Option<Effects>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Data {
    type Value = Option<Effects>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("data")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Some(rules) = self.0.changes else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(None);
        };
        let tag = [rules.tag];
        let paths: Vec<&[&str]> = std::iter::once(&tag[..]).chain(rules.key.iter().copied()).collect();
        let mut records = Vec::new();
        while let Some(values) = seq.next_element_seed(Pick { paths: &paths, depth: 0 })? {
            let operation = values[0].as_deref().and_then(|tag| {
                rules.operations.iter().find(|(value, _)| *value == tag).map(|(_, operation)| *operation)
            });
            let key = values[1..].iter().map(Option::as_deref).collect::<Option<Vec<&str>>>().map(|p| p.join("."));
            records.push(Change { position: records.len(), operation, key });
        }
        Ok(Some(Effects { records, fixed: Vec::new() }))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let paths: Vec<[&str; 1]> = self.0.fixed.iter().map(|name| [*name]).collect();
        let paths: Vec<&[&str]> = paths.iter().map(|p| &p[..]).collect();
        let values = Pick { paths: &paths, depth: 0 }.visit_map(map)?;
        let fixed = self.0.fixed.iter().copied().zip(values).collect();
        Ok(Some(Effects { records: Vec::new(), fixed }))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Picks the scalar values at some paths of property names out of an object, passing over
/// everything else: one value per path, `None` where it is absent or not a string or number.
struct Pick<'p> {
    paths: &'p [&'p [&'p str]],
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Pick<'_> {
    type Value = Vec<Option<String>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Vec<Option<String>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = vec![None; self.paths.len()];
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let wanted: Vec<usize> = (0..self.paths.len()).filter(|&i| self.paths[i][self.depth] == key).collect();
            if wanted.is_empty() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let ends = wanted.iter().all(|&i| self.paths[i].len() == self.depth + 1);
            if ends {
                let value = map.next_value_seed(Scalar)?;
                for i in wanted {
                    values[i].clone_from(&value);
                }
            } else {
                let inner: Vec<&[&str]> = wanted.iter().map(|&i| self.paths[i]).collect();
                let found = map.next_value_seed(Pick { paths: &inner, depth: self.depth + 1 })?;
                for (i, value) in wanted.into_iter().zip(found) {
                    values[i] = value;
                }
            }
        }
        Ok(values)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(vec![None; self.paths.len()])
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(vec![None; self.paths.len()])
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(vec![None; self.paths.len()])
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(vec![None; self.paths.len()])
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(vec![None; self.paths.len()])
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(vec![None; self.paths.len()])
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(vec![None; self.paths.len()])
    }
}

/// A string or a number, as text; `None` for anything else.
struct Scalar;

impl<'de> DeserializeSeed<'de> for Scalar {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scalar {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(text.to_owned()))
    }
    fn visit_i64<E>(self, number: i64) -> Result<Self::Value, E> {
        Ok(Some(number.to_string()))
    }
    fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
        Ok(Some(number.to_string()))
    }
    fn visit_f64<E>(self, number: f64) -> Result<Self::Value, E> {
        Ok(Some(serde_json::Number::from_f64(number).map_or_else(String::new, |n| n.to_string())))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}
