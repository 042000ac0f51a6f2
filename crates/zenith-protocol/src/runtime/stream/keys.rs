//! The keys of an object: a key given twice told, values passed over, and a key borrowed from
//! the input unless it had to be unescaped.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Keys borrowed from the input that [`SeenKeys`] keeps without allocating: objects in messages
/// are small.
const INLINE_KEYS: usize = 16;

/// The keys of one object so far, to tell a key given twice: readers of such an object may
/// disagree on which value counts, so it is never clean. The first few keys borrowed from the
/// input are compared directly, with no allocation; the rest (and keys that had escapes) go to
/// a hash set.
#[derive(Default)]
pub struct SeenKeys<'de> {
    inline: [&'de str; INLINE_KEYS],
    len: usize,
    more: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> SeenKeys<'de> {
    /// Adds `key`; false when it is there already.
    #[inline]
    pub fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if self.inline[..self.len].contains(&key.as_ref()) || self.more.as_ref().is_some_and(|m| m.contains(&key)) {
            return false;
        }
        match key {
            Cow::Borrowed(key) if self.len < INLINE_KEYS => {
                self.inline[self.len] = key;
                self.len += 1;
                true
            }
            key => self.more.get_or_insert_default().insert(key),
        }
    }
}

/// Consumes the rest of an array.
pub fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consumes the rest of an object.
pub fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// An object key, borrowed from the input unless it had to be unescaped.
pub struct Key<'de>(pub Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
