//! Support for the generated value unions: which branch a JSON text is for, and tagged arrays
//! read and written item by item.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::ser::{self, SerializeSeq};

use super::stream::TagSeed;

/// What a JSON text is, as far as a value union needs to know to pick its branch.
#[derive(Debug, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Boolean,
    Number,
    String,
    Object,
    /// An array, with its item 0 when that is a string (the tag).
    Array(Option<String>),
}

impl JsonKind {
    /// The kind of the JSON text `text` (a value already known to be well formed).
    pub fn of(text: &str) -> JsonKind {
        match text.trim_start().as_bytes().first() {
            Some(b'n') => JsonKind::Null,
            Some(b't' | b'f') => JsonKind::Boolean,
            Some(b'"') => JsonKind::String,
            Some(b'{') => JsonKind::Object,
            Some(b'[') => {
                let mut deserializer = serde_json::Deserializer::from_str(text);
                JsonKind::Array(deserializer.deserialize_seq(FirstTag).ok().flatten())
            }
            _ => JsonKind::Number,
        }
    }
}

/// Reads an array's item 0 if it is a string, and passes over the rest.
struct FirstTag;

impl<'de> Visitor<'de> for FirstTag {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let tag = seq.next_element_seed(text())?.flatten();
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(tag)
    }
}

/// A string as owned text, or `None` for any other value.
fn text() -> TagSeed<impl FnOnce(&str) -> Option<String>> {
    TagSeed(|text: &str| Some(text.to_owned()))
}

/// Reads a tagged array: the tag, then each item in order.
pub struct TupleReader<A> {
    seq: A,
    signature: &'static str,
    /// Items read so far, the tag included.
    count: usize,
}

impl<'de, A: SeqAccess<'de>> TupleReader<A> {
    /// Reads item 0, which must be `tag`.
    pub fn new(mut seq: A, tag: &'static str, signature: &'static str) -> Result<Self, A::Error> {
        match seq.next_element_seed(text())? {
            Some(Some(found)) if found == tag => Ok(TupleReader { seq, signature, count: 1 }),
            Some(Some(found)) => Err(de::Error::invalid_value(de::Unexpected::Str(&found), &signature)),
            Some(None) => Err(de::Error::custom(format_args!("item 0 is not a tag: expected {signature}"))),
            None => Err(de::Error::invalid_length(0, &signature)),
        }
    }

    /// The next item, which must be there.
    pub fn required<T: Deserialize<'de>>(&mut self) -> Result<T, A::Error> {
        let item = self.seq.next_element()?.ok_or_else(|| de::Error::invalid_length(self.count, &self.signature))?;
        self.count += 1;
        Ok(item)
    }

    /// The next item, if there is one.
    pub fn optional<T: Deserialize<'de>>(&mut self) -> Result<Option<T>, A::Error> {
        let item = self.seq.next_element()?;
        self.count += usize::from(item.is_some());
        Ok(item)
    }

    /// Every item left.
    pub fn rest<T: Deserialize<'de>>(&mut self) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = self.seq.next_element()? {
            items.push(item);
            self.count += 1;
        }
        Ok(items)
    }

    /// Refuses an item more than the array takes.
    pub fn end(mut self) -> Result<(), A::Error> {
        match self.seq.next_element::<IgnoredAny>()? {
            Some(_) => Err(de::Error::invalid_length(self.count + 1, &self.signature)),
            None => Ok(()),
        }
    }
}

/// Writes a tagged array: the tag, then each item in order. An optional item left out can only
/// be followed by more left out, as positions say nothing otherwise.
pub struct TupleWriter<S> {
    seq: S,
    /// The first optional item left out, if any.
    gap: Option<usize>,
    /// Items written or left out so far, the tag included.
    count: usize,
}

impl<S: SerializeSeq> TupleWriter<S> {
    pub fn new(mut seq: S, tag: &str) -> Result<Self, S::Error> {
        seq.serialize_element(tag)?;
        Ok(TupleWriter { seq, gap: None, count: 1 })
    }

    pub fn required<T: serde::Serialize + ?Sized>(&mut self, item: &T) -> Result<(), S::Error> {
        self.item(Some(item))
    }

    pub fn optional<T: serde::Serialize>(&mut self, item: Option<&T>) -> Result<(), S::Error> {
        self.item(item)
    }

    pub fn rest<T: serde::Serialize>(&mut self, items: &[T]) -> Result<(), S::Error> {
        items.iter().try_for_each(|item| self.item(Some(item)))
    }

    fn item<T: serde::Serialize + ?Sized>(&mut self, item: Option<&T>) -> Result<(), S::Error> {
        let index = self.count;
        self.count += 1;
        match (item, self.gap) {
            (Some(_), Some(gap)) => Err(ser::Error::custom(format_args!(
                "item {index} of a tagged array is set, but item {gap} before it is not"
            ))),
            (Some(item), None) => self.seq.serialize_element(item),
            (None, _) => {
                self.gap.get_or_insert(index);
                Ok(())
            }
        }
    }

    pub fn end(self) -> Result<S::Ok, S::Error> {
        self.seq.end()
    }
}
