//! Checking JSON text while it is parsed, without building a tree: the generated streaming
//! validators implement [`Check`] and run through serde's visitor interface.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::diagnostics::Verdict;

/// What a schema says about each kind of JSON value. Every method has a default that refuses
/// the value (and consumes it), so a checker names only what its schema accepts.
pub trait Check {
    fn string(_text: &str) -> Verdict {
        Verdict::Invalid
    }
    /// A number; `integral` when it has no fractional part (JSON Schema's `integer`).
    fn number(_integral: bool) -> Verdict {
        Verdict::Invalid
    }
    fn boolean() -> Verdict {
        Verdict::Invalid
    }
    fn null() -> Verdict {
        Verdict::Invalid
    }
    fn array<'de, A: SeqAccess<'de>>(seq: A) -> Result<Verdict, A::Error> {
        skip_seq(seq).map(|()| Verdict::Invalid)
    }
    fn object<'de, A: MapAccess<'de>>(map: A) -> Result<Verdict, A::Error> {
        skip_map(map).map(|()| Verdict::Invalid)
    }
}

/// The properties of an object schema, checked one at a time. Generated for every object
/// type, so that one loop ([`object`]) serves them all and a message's top level can be checked
/// property by property as its keys arrive.
pub trait Properties {
    /// The documented property names (an undocumented one close to these is a misspelling).
    const DOCUMENTED: &'static [&'static str];
    /// The bits of all required properties.
    const REQUIRED: u64;
    /// Checks (and consumes) the value of property `key`. Returns its verdict and its required
    /// bit (0 when the property is optional or undocumented).
    fn property<'de, D: Deserializer<'de>>(key: &str, value: D) -> Result<(Verdict, u64), D::Error>;
}

/// `Check::object` for a type with [`Properties`]: the worst property verdict, `Invalid` when a
/// required property is missing or a key is given twice.
#[inline]
pub fn object<'de, C: Properties, A: MapAccess<'de>>(mut map: A) -> Result<Verdict, A::Error> {
    let mut verdict = Verdict::Clean;
    let mut seen = 0u64;
    let mut keys = SeenKeys::default();
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        let (field, bit) = map.next_value_seed(Property::<C>::new(&key))?;
        seen |= bit;
        verdict = verdict.max(field);
        if !keys.insert(key) {
            verdict = Verdict::Invalid;
        }
        if verdict == Verdict::Invalid {
            skip_map(map)?;
            return Ok(Verdict::Invalid);
        }
    }
    Ok(if seen == C::REQUIRED { verdict } else { Verdict::Invalid })
}

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

/// Checks the value of one property with `C`'s rules for it.
pub struct Property<'k, C> {
    key: &'k str,
    checker: PhantomData<C>,
}

impl<'k, C> Property<'k, C> {
    #[inline]
    pub fn new(key: &'k str) -> Property<'k, C> {
        Property { key, checker: PhantomData }
    }
}

impl<'de, C: Properties> DeserializeSeed<'de> for Property<'_, C> {
    type Value = (Verdict, u64);
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(Verdict, u64), D::Error> {
        C::property(self.key, deserializer)
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

/// Checks the next value with `C`.
pub struct Seed<C>(PhantomData<C>);

impl<C> Seed<C> {
    #[inline]
    pub fn new() -> Seed<C> {
        Seed(PhantomData)
    }
}

impl<C> Default for Seed<C> {
    fn default() -> Seed<C> {
        Seed::new()
    }
}

impl<'de, C: Check> DeserializeSeed<'de> for Seed<C> {
    type Value = Verdict;
    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Verdict, D::Error> {
        deserializer.deserialize_any(CheckVisitor::<C>(PhantomData))
    }
}

struct CheckVisitor<C>(PhantomData<C>);

impl<'de, C: Check> Visitor<'de> for CheckVisitor<C> {
    type Value = Verdict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Verdict, E> {
        Ok(C::boolean())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Verdict, E> {
        Ok(C::number(true))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Verdict, E> {
        Ok(C::number(true))
    }
    fn visit_f64<E>(self, value: f64) -> Result<Verdict, E> {
        Ok(C::number(value.fract() == 0.0))
    }
    fn visit_str<E>(self, text: &str) -> Result<Verdict, E> {
        Ok(C::string(text))
    }
    fn visit_unit<E>(self) -> Result<Verdict, E> {
        Ok(C::null())
    }
    fn visit_none<E>(self) -> Result<Verdict, E> {
        Ok(C::null())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Verdict, A::Error> {
        C::array(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Verdict, A::Error> {
        C::object(map)
    }
}

/// Accepts any value whose objects give no key twice.
pub struct AnyValue;

impl Check for AnyValue {
    fn string(_: &str) -> Verdict {
        Verdict::Clean
    }
    fn number(_: bool) -> Verdict {
        Verdict::Clean
    }
    fn boolean() -> Verdict {
        Verdict::Clean
    }
    fn null() -> Verdict {
        Verdict::Clean
    }
    fn array<'de, A: SeqAccess<'de>>(seq: A) -> Result<Verdict, A::Error> {
        Free { depth: 1 }.visit_seq(seq)
    }
    fn object<'de, A: MapAccess<'de>>(map: A) -> Result<Verdict, A::Error> {
        Free { depth: 1 }.visit_map(map)
    }
}

/// How many levels of a free-form value have their keys compared; deeper ones are passed over
/// unread (and accepted), as before. Each level walked is a few stack frames, and a parser stops
/// nesting at a limit of its own (127 levels in all, for serde_json): this stays well within
/// both, even in an unoptimised build on a 2 MiB thread stack.
const FREE_DEPTH: usize = 64;

/// A free-form value `depth` levels into [`AnyValue`]: anything but a key given twice.
struct Free {
    depth: usize,
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
            let verdict = map.next_value_seed(Free { depth: self.depth + 1 })?;
            if verdict == Verdict::Invalid || !keys.insert(key) {
                skip_map(map)?;
                return Ok(Verdict::Invalid);
            }
        }
        Ok(Verdict::Clean)
    }
}

/// Accepts any string.
pub struct AnyString;

impl Check for AnyString {
    fn string(_: &str) -> Verdict {
        Verdict::Clean
    }
}

/// Accepts integers (including numbers like `1.0`).
pub struct Integer;

impl Check for Integer {
    fn number(integral: bool) -> Verdict {
        Verdict::check(integral)
    }
}

/// The integer a JSON number written with a fraction or an exponent (`1.0`, `1e0`) equals,
/// when it has no fractional part and lies within ±2^53, where a double holds every integer
/// exactly. JSON Schema's `integer` accepts such numbers, so they identify as the integer does.
pub fn integer(number: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (number.fract() == 0.0 && number.abs() <= EXACT).then_some(number as i64)
}

/// Accepts any number.
pub struct Number;

impl Check for Number {
    fn number(_: bool) -> Verdict {
        Verdict::Clean
    }
}

/// Accepts `true` and `false`.
pub struct Boolean;

impl Check for Boolean {
    fn boolean() -> Verdict {
        Verdict::Clean
    }
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

/// Runs `C` over a whole JSON text, requiring nothing but whitespace after the value.
pub fn check_text<C: Check>(text: &str) -> Result<Verdict, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let verdict = Seed::<C>::new().deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(verdict)
}
