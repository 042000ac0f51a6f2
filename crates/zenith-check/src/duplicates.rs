//! Keys given twice in one object. The tree the full pass checks keeps the last value of such a
//! key, but other readers may keep the first, so two programs could disagree on what the
//! message says: each repeat is an error of its own.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use zenith_protocol::runtime::Budget;
use zenith_protocol::runtime::stream::{Key, SeenKeys};

/// A key given more than once in its object.
#[derive(Debug, PartialEq, Eq)]
pub struct Repeated {
    /// The JSON Pointer of the property.
    pub pointer: String,
    pub key: String,
}

/// The keys of a message given more than once: the first ones, as many as a message's findings
/// budget keeps, and how many more there were.
#[derive(Debug, Default)]
pub struct Repeats {
    pub found: Vec<Repeated>,
    pub omitted: u64,
    budget: Budget,
}

/// Every key given more than once in its object, once each, in the order of their second
/// appearance in `text`; none for text that is not JSON.
pub fn repeated_keys(text: &str) -> Repeats {
    let mut repeats = Repeats::default();
    let mut pointer = String::new();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // Text that is not JSON has no keys to speak of; the parser says what is wrong with it.
    let _ = Walk { pointer: &mut pointer, repeats: &mut repeats }.deserialize(&mut deserializer);
    repeats
}

/// Walks one value, with the pointer to it.
struct Walk<'a> {
    pointer: &'a mut String,
    repeats: &'a mut Repeats,
}

impl Walk<'_> {
    fn below(&mut self) -> Walk<'_> {
        Walk { pointer: self.pointer, repeats: self.repeats }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let at = self.pointer.len();
        for index in 0usize.. {
            self.pointer.truncate(at);
            self.pointer.push_str(&format!("/{index}"));
            if seq.next_element_seed(self.below())?.is_none() {
                break;
            }
        }
        self.pointer.truncate(at);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let at = self.pointer.len();
        let (mut seen, mut reported) = (SeenKeys::default(), SeenKeys::default());
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            self.pointer.truncate(at);
            self.pointer.push('/');
            self.pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            if !seen.insert(key.clone()) && reported.insert(key.clone()) {
                let repeats = &mut *self.repeats;
                if repeats.budget.admit(self.pointer.len() + key.len()) {
                    repeats.found.push(Repeated { pointer: self.pointer.clone(), key: key.into_owned() });
                } else {
                    repeats.omitted += 1;
                }
            }
            map.next_value_seed(self.below())?;
        }
        self.pointer.truncate(at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_repeated_key_is_found_once_where_it_is() {
        let text = r#"{"a":1,"Data":{"x":[{"y":1,"y":2,"y":3}],"x":0,"a/b~":1,"a/b~":2},"a":{"a":1}}"#;
        let pointers: Vec<String> = repeated_keys(text).found.into_iter().map(|r| r.pointer).collect();
        assert_eq!(pointers, ["/Data/x/0/y", "/Data/x", "/Data/a~1b~0", "/a"]);
        assert!(repeated_keys(r#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#).found.is_empty());
        assert!(repeated_keys("not json").found.is_empty());
    }

    #[test]
    fn repeats_beyond_the_budget_are_counted() {
        let keys: Vec<String> = (0..150).map(|n| format!("\"k{n}\":1,\"k{n}\":2")).collect();
        let repeats = repeated_keys(&format!("{{{}}}", keys.join(",")));
        assert_eq!((repeats.found.len(), repeats.omitted), (Budget::MAX_KEPT, 50));
        assert_eq!(repeats.found[99].pointer, "/k99");
    }
}
