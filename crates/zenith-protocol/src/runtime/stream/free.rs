//! Free-form values (a schema's `{}`): anything is accepted but a key given twice.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::super::diagnostics::Verdict;
use super::keys::{Key, SeenKeys, skip_map, skip_seq};
use super::record;

/// How many levels of a free-form value have their keys compared; deeper ones are passed over
/// unread (and accepted), as before. Each level walked is a few stack frames, and a parser stops
/// nesting at a limit of its own (127 levels in all, for serde_json): this stays well within
/// both, even in an unoptimised build on a 2 MiB thread stack.
const FREE_DEPTH: usize = 64;

/// A free-form value `depth` levels deep: anything but a key given twice.
pub(super) struct Free {
    pub depth: usize,
}

impl<'de> DeserializeSeed<'de> for Free {
    type Value = Verdict;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Verdict, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Free {
    type Value = Verdict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Verdict, E> {
        Ok(Verdict::Clean)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Verdict, E> {
        Ok(Verdict::Clean)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Verdict, E> {
        Ok(Verdict::Clean)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Verdict, E> {
        Ok(Verdict::Clean)
    }
    fn visit_str<E>(self, _: &str) -> Result<Verdict, E> {
        Ok(Verdict::Clean)
    }
    fn visit_unit<E>(self) -> Result<Verdict, E> {
        Ok(Verdict::Clean)
    }
    fn visit_none<E>(self) -> Result<Verdict, E> {
        Ok(Verdict::Clean)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Verdict, A::Error> {
        if self.depth >= FREE_DEPTH {
            return skip_seq(seq).map(|()| Verdict::Clean);
        }
        while let Some(verdict) = seq.next_element_seed(Free { depth: self.depth + 1 })? {
            if verdict == Verdict::Invalid {
                skip_seq(seq)?;
                return Ok(Verdict::Invalid);
            }
        }
        Ok(Verdict::Clean)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Verdict, A::Error> {
        if self.depth >= FREE_DEPTH {
            return skip_map(map).map(|()| Verdict::Clean);
        }
        let mut keys = SeenKeys::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            record::free_key(&key);
            let verdict = map.next_value_seed(Free { depth: self.depth + 1 })?;
            if verdict == Verdict::Invalid || !keys.insert(key) {
                skip_map(map)?;
                return Ok(Verdict::Invalid);
            }
        }
        Ok(Verdict::Clean)
    }
}
