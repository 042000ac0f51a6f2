//! The fast verdict: a value checked against the schema tables ([`super::schema`]) through
//! serde's visitor interface, so the same loop runs while JSON text is parsed (no tree is
//! built) and over a parsed tree (`&Value` is a deserializer too).

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::diagnostics::Verdict;
use compact_str::ToCompactString;

mod free;
mod keys;
pub mod record;

pub use super::changes::integer;
use super::changes::{MAX_READS, NONE, Reads, Text, number_text};
use super::schema::{ChoiceNode, JsonTypes, Node, ObjectNode, UnionNode};
use free::Free;
pub use keys::{Key, SeenKeys, skip_map, skip_seq};

/// Checks the next value against a schema node while it is parsed: the fast verdict.
#[derive(Clone, Copy, Debug)]
pub struct Seed(pub &'static Node);

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Verdict;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Verdict, D::Error> {
        let mut node = self.0;
        while let Node::Ref(named) = node {
            node = named;
        }
        deserializer.deserialize_any(NodeVisitor(node))
    }
}

/// The fast verdict on a parsed value (a tree is a deserializer too).
pub fn verdict(node: &'static Node, value: &Value) -> Verdict {
    Seed(node).deserialize(value).unwrap_or(Verdict::Invalid)
}

/// Runs `node` over a whole JSON text, requiring nothing but whitespace after the value.
pub fn check_text(node: &'static Node, text: &str) -> Result<Verdict, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let verdict = Seed(node).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(verdict)
}

/// A value that is not an array or an object.
#[derive(Clone, Copy)]
enum Scalar<'t> {
    Bool,
    /// `integral` when it has no fractional part (JSON Schema's `integer`).
    Number(bool),
    Str(&'t str),
    Null,
}

#[inline]
fn scalar(node: &Node, value: Scalar<'_>) -> Verdict {
    match (node, value) {
        (Node::Ref(node), value) => return scalar(node, value),
        (Node::Nullable(_), Scalar::Null) => return Verdict::Clean,
        (Node::Nullable(node), value) => return scalar(node, value),
        (Node::Enum(list), Scalar::Str(text)) => return list.verdict(text),
        (Node::Flags(flags), Scalar::Str(text)) => return flags.verdict(text),
        (Node::Topic(topic), Scalar::Str(text)) => {
            return scalar(topic.topic, value).max(Verdict::check(topic.fits(text)));
        }
        (Node::Topic(topic), value) => return scalar(topic.topic, value),
        (Node::Choice(choice), value) => {
            let branch = match value {
                Scalar::Bool => choice.branch(JsonTypes::BOOLEAN, false),
                Scalar::Number(integral) => choice.branch(JsonTypes::NUMBER, integral),
                Scalar::Str(_) => choice.branch(JsonTypes::STRING, false),
                Scalar::Null => choice.branch(JsonTypes::NULL, false),
            };
            return branch.map_or(Verdict::Invalid, |node| scalar(node, value));
        }
        _ => {}
    }
    Verdict::check(match (node, value) {
        (Node::Any, _) | (Node::Boolean(_), Scalar::Bool) | (Node::Number(_), Scalar::Number(_)) => true,
        (Node::Integer(_), Scalar::Number(integral)) => integral,
        (Node::String(string), Scalar::Str(text)) => string.rules.accept(text),
        (Node::Const(constant), Scalar::Str(text)) => text == constant.value,
        // Property rules apply to objects only, unless the schema says `"type": "object"`.
        (Node::Object(object), _) => object.type_at.is_none(),
        (Node::Multi(multi), value) => match value {
            Scalar::Bool => multi.types.has(JsonTypes::BOOLEAN),
            Scalar::Number(integral) => multi.types.number(integral),
            Scalar::Str(text) => multi.types.has(JsonTypes::STRING) && multi.string.accept(text),
            Scalar::Null => multi.types.has(JsonTypes::NULL),
        },
        _ => false,
    })
}

struct NodeVisitor(&'static Node);

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Verdict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Verdict, E> {
        Ok(scalar(self.0, Scalar::Bool))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Verdict, E> {
        Ok(scalar(self.0, Scalar::Number(true)))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Verdict, E> {
        Ok(scalar(self.0, Scalar::Number(true)))
    }
    fn visit_f64<E>(self, value: f64) -> Result<Verdict, E> {
        Ok(scalar(self.0, Scalar::Number(value.fract() == 0.0)))
    }
    fn visit_str<E>(self, text: &str) -> Result<Verdict, E> {
        Ok(scalar(self.0, Scalar::Str(text)))
    }
    fn visit_unit<E>(self) -> Result<Verdict, E> {
        Ok(scalar(self.0, Scalar::Null))
    }
    fn visit_none<E>(self) -> Result<Verdict, E> {
        Ok(scalar(self.0, Scalar::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Verdict, A::Error> {
        let items = match self.0.container() {
            Node::Array(array) => array.items,
            Node::Multi(multi) if multi.types.has(JsonTypes::ARRAY) => multi.items.unwrap_or(&Node::Any),
            Node::Any => return Free { depth: 1 }.visit_seq(seq),
            Node::Object(object) if object.type_at.is_none() => return Free { depth: 1 }.visit_seq(seq),
            Node::Choice(choice) if !choice.tuples.is_empty() => return tagged(choice, seq),
            Node::Choice(choice) => match choice.branch(JsonTypes::ARRAY, false) {
                Some(node) => return NodeVisitor(node).visit_seq(seq),
                None => return skip_seq(seq).map(|()| Verdict::Invalid),
            },
            _ => return skip_seq(seq).map(|()| Verdict::Invalid),
        };
        let mut verdict = Verdict::Clean;
        while let Some(item) = seq.next_element_seed(Seed(items))? {
            verdict = verdict.max(item);
            if verdict == Verdict::Invalid {
                skip_seq(seq)?;
                break;
            }
        }
        Ok(verdict)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Verdict, A::Error> {
        match self.0.container() {
            Node::Object(object) => self::object(object, map, None),
            Node::Map(node) => self::map(node.values, map),
            Node::Any => Free { depth: 1 }.visit_map(map),
            Node::Multi(multi) if multi.types.has(JsonTypes::OBJECT) => Free { depth: 1 }.visit_map(map),
            Node::Choice(choice) => match choice.branch(JsonTypes::OBJECT, false) {
                Some(node) => NodeVisitor(node).visit_map(map),
                None => skip_map(map).map(|()| Verdict::Invalid),
            },
            _ => skip_map(map).map(|()| Verdict::Invalid),
        }
    }
}

/// The verdict on a tagged array: item 0 arrives first and names the tuple, whose positions
/// then check the items as they come.
fn tagged<'de, A: SeqAccess<'de>>(choice: &'static ChoiceNode, mut seq: A) -> Result<Verdict, A::Error> {
    let Some(Some(tuple)) = seq.next_element_seed(TagSeed(|tag: &str| choice.tuple(tag)))? else {
        // An empty array, or a tag the union does not have.
        return skip_seq(seq).map(|()| Verdict::Invalid);
    };
    let (mut verdict, mut count) = (Verdict::Clean, 1);
    loop {
        let item = match tuple.item(count) {
            Some(node) => seq.next_element_seed(Seed(node))?,
            None if seq.next_element::<IgnoredAny>()?.is_some() => Some(Verdict::Invalid),
            None => None,
        };
        let Some(item) = item else { break };
        count += 1;
        verdict = verdict.max(item);
        if verdict == Verdict::Invalid {
            skip_seq(seq)?;
            return Ok(Verdict::Invalid);
        }
    }
    Ok(if count < tuple.min_items { Verdict::Invalid } else { verdict })
}

/// The verdict on an object: the worst property verdict, `Invalid` when a required property
/// is missing or a key is given twice. A tagged union is checked in the same one pass: its
/// tag's variant is noted, and at the end the properties seen are held against what that
/// variant requires and forbids.
///
/// While the one pass records (see [`record`]), a change record's values and the fixed
/// properties are recorded on the way; `capture` is for a nested object a record is read in.
#[inline]
fn object<'de, A: MapAccess<'de>>(
    node: &'static ObjectNode,
    mut map: A,
    mut capture: Option<&mut Capture<'_>>,
) -> Result<Verdict, A::Error> {
    let union = node.union.as_ref();
    let recording = node.read_bits != 0 && record::active();
    let mut reads: Option<Reads> = None;
    let mut verdict = Verdict::Clean;
    let (mut seen, mut present) = (0u64, 0u64);
    let mut variant = None;
    // Bit `i`: variant `i`'s `if` holds (its condition property has its value).
    let mut conditions = 0u64;
    // The properties present in the object some variant requires more of.
    let nested_at = union.and_then(|u| u.nested);
    let mut nested_present = 0u64;
    let mut keys = SeenKeys::default();
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        let field = match node.property_index(&key) {
            Some(index) => {
                let property = &node.properties[index];
                seen |= property.bit;
                present |= 1 << index.min(63);
                match union {
                    Some(union) if property.wire == union.tag => {
                        // A tag value the real client uses and the reference leaves out.
                        let drifted =
                            |tag: &str| matches!(property.node.container(), Node::Enum(e) if e.drift_of(tag).is_some());
                        let chosen =
                            map.next_value_seed(TagSeed(|tag: &str| Some((union.variant(tag)?, drifted(tag)))))?;
                        variant = chosen.map(|(variant, _)| variant);
                        match chosen {
                            Some((_, true)) => Verdict::Warnings,
                            chosen => Verdict::check(chosen.is_some()),
                        }
                    }
                    Some(union) if union.conditioned(index) => {
                        let (verdict, holds) =
                            map.next_value_seed(ConditionSeed { node: property.node, union, index })?;
                        conditions |= holds;
                        verdict
                    }
                    _ if capture.as_deref().is_some_and(|c| c.at.contains(&index)) => {
                        let (verdict, value) = map.next_value_seed(ReadSeed { node: property.node, capture: None })?;
                        if let Some(capture) = capture.as_deref_mut() {
                            capture.keep(index, &value);
                        }
                        verdict
                    }
                    _ if recording && node.read_bits >> index.min(63) & 1 == 1 => {
                        let mut elsewhere = 0;
                        let present = if nested_at == Some(index) { &mut nested_present } else { &mut elsewhere };
                        map.next_value_seed(RecordSeed { node, index, reads: &mut reads, present })?
                    }
                    _ if nested_at == Some(index) => {
                        let mut unread = None;
                        let capture =
                            Capture { at: [NONE; MAX_READS], values: &mut unread, present: &mut nested_present };
                        map.next_value_seed(ReadSeed { node: property.node, capture: Some(capture) })?.0
                    }
                    _ => match property.drift.filter(|d| d.decision.has_finding()) {
                        Some(drift) if drift.null_only => {
                            let (verdict, null) = map.next_value_seed(NullSeed(property.node))?;
                            if null { verdict.max(Verdict::Warnings) } else { verdict }
                        }
                        Some(_) => map.next_value_seed(Seed(property.node))?.max(Verdict::Warnings),
                        None => map.next_value_seed(Seed(property.node))?,
                    },
                }
            }
            None => {
                map.next_value::<IgnoredAny>()?;
                undocumented(node, &key)
            }
        };
        verdict = verdict.max(field);
        if !keys.insert(key) {
            verdict = Verdict::Invalid;
        }
        if verdict == Verdict::Invalid {
            skip_map(map)?;
            return Ok(Verdict::Invalid);
        }
    }
    if let Some(rules) = node.changes.filter(|_| recording) {
        record::push(rules.change(variant.map(|v| v.value), reads.get_or_insert_default()));
    }
    let fits = match (union, variant) {
        (None, _) => true,
        (Some(union), Some(v)) => {
            // Only a variant with an `if` asks whether it holds.
            let condition_met = v.condition.as_ref().is_none_or(|c| {
                let holds =
                    union.variants.iter().position(|x| std::ptr::eq(x, v)).is_some_and(|i| conditions >> i & 1 == 1);
                !holds || present & c.required_bits == c.required_bits
            });
            // An object property the variant requires more of, when present, has it.
            let nested_met = v.nested.as_ref().is_none_or(|n| {
                present >> n.index.min(63) & 1 == 0 || nested_present & n.required_bits == n.required_bits
            });
            // A property the reference leaves out of the variant, which the real client uses.
            if present & v.drifted_bits != 0 {
                verdict = verdict.max(Verdict::Warnings);
            }
            present & v.required_bits == v.required_bits
                && present & v.forbidden_bits == 0
                && condition_met
                && nested_met
        }
        (Some(_), None) => false,
    };
    if let Some(capture) = capture {
        *capture.present = present;
    }
    Ok(if seen == node.required_bits && fits { verdict } else { Verdict::Invalid })
}

/// Checks a value, and tells whether it is `null` (for a property whose `null` the reference
/// leaves out and the real client reads).
struct NullSeed(&'static Node);

impl<'de> DeserializeSeed<'de> for NullSeed {
    type Value = (Verdict, bool);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NullSeed {
    type Value = (Verdict, bool);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok((NodeVisitor(self.0).visit_bool(value)?, false))
    }
    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok((NodeVisitor(self.0).visit_i64(value)?, false))
    }
    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok((NodeVisitor(self.0).visit_u64(value)?, false))
    }
    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok((NodeVisitor(self.0).visit_f64(value)?, false))
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok((NodeVisitor(self.0).visit_str(text)?, false))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok((scalar(self.0, Scalar::Null), true))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok((scalar(self.0, Scalar::Null), true))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok((NodeVisitor(self.0).visit_seq(seq)?, false))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok((NodeVisitor(self.0).visit_map(map)?, false))
    }
}

/// Checks a property whose value is recorded: a fixed one, or one a change record is read at
/// (for a nested object, the values of its properties the reads name).
struct RecordSeed<'r> {
    node: &'static ObjectNode,
    /// The property's number.
    index: usize,
    reads: &'r mut Option<Reads>,
    /// Where the properties present in the value go, when it is an object.
    present: &'r mut u64,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Verdict;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Verdict, D::Error> {
        let property = &self.node.properties[self.index];
        let read_at = self.node.changes.map_or(&[][..], |rules| rules.read_at);
        let mut at = [NONE; MAX_READS];
        for (slot, [head, nested]) in at.iter_mut().zip(read_at) {
            if *head == self.index {
                *slot = *nested;
            }
        }
        let capture = Some(Capture { at, values: &mut *self.reads, present: self.present });
        let (verdict, value) = ReadSeed { node: property.node, capture }.deserialize(deserializer)?;
        for (index, [head, nested]) in read_at.iter().enumerate() {
            if *head == self.index && *nested == NONE {
                self.reads.get_or_insert_default()[index].clone_from(&value);
            }
        }
        if let Some(value) = value.filter(|_| self.node.fixed.contains(&property.wire)) {
            record::fixed(property.wire, value);
        }
        Ok(verdict)
    }
}

/// Checks a value and reads it as text: a string, a number, an array's length; for an object,
/// the values of its properties `capture` names.
struct ReadSeed<'c> {
    node: &'static Node,
    capture: Option<Capture<'c>>,
}

impl ReadSeed<'_> {
    fn scalar(&self, value: Scalar<'_>, text: Option<Text>) -> (Verdict, Option<Text>) {
        (scalar(self.node, value), text)
    }
}

impl<'de> DeserializeSeed<'de> for ReadSeed<'_> {
    type Value = (Verdict, Option<Text>);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ReadSeed<'_> {
    type Value = (Verdict, Option<Text>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(self.scalar(Scalar::Str(text), Some(Text::from(text))))
    }
    fn visit_i64<E>(self, number: i64) -> Result<Self::Value, E> {
        Ok(self.scalar(Scalar::Number(true), Some(number.to_compact_string())))
    }
    fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
        Ok(self.scalar(Scalar::Number(true), Some(number.to_compact_string())))
    }
    fn visit_f64<E>(self, number: f64) -> Result<Self::Value, E> {
        Ok(self.scalar(Scalar::Number(number.fract() == 0.0), Some(number_text(number))))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self.scalar(Scalar::Bool, None))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.scalar(Scalar::Null, None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(self.scalar(Scalar::Null, None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let mut count = 0u64;
        let verdict = NodeVisitor(self.node.container()).visit_seq(Counting { seq, count: &mut count })?;
        Ok((verdict, Some(count.to_compact_string())))
    }
    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<Self::Value, A::Error> {
        let Node::Object(object) = self.node.container() else {
            return Ok((NodeVisitor(self.node.container()).visit_map(map)?, None));
        };
        Ok((self::object(object, map, self.capture.as_mut())?, None))
    }
}

/// The properties of a nested object that change records are read at (by read, the nested
/// object's property number or [`NONE`]), where their values go, and which properties it has.
struct Capture<'c> {
    at: [usize; MAX_READS],
    values: &'c mut Option<Reads>,
    /// The properties the object has, as bits by index (for a variant that requires more of it).
    present: &'c mut u64,
}

impl Capture<'_> {
    fn keep(&mut self, index: usize, value: &Option<Text>) {
        for (read, at) in self.at.iter().enumerate() {
            if *at == index {
                self.values.get_or_insert_default()[read].clone_from(value);
            }
        }
    }
}

/// An array's items, counted as they are read.
struct Counting<'c, A> {
    seq: A,
    count: &'c mut u64,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Counting<'_, A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        let item = self.seq.next_element_seed(seed)?;
        *self.count += u64::from(item.is_some());
        Ok(item)
    }
}

/// The verdict on a property the object does not list.
fn undocumented(node: &ObjectNode, key: &str) -> Verdict {
    if node.additional { Verdict::unknown_property(key, node.documented) } else { Verdict::Invalid }
}

/// Reads a tag: what `name` makes of it, if it is a string; `None` for any other value.
pub(crate) struct TagSeed<F>(pub(crate) F);

impl<'de, T, F: FnOnce(&str) -> Option<T>> DeserializeSeed<'de> for TagSeed<F> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> Option<T>> Visitor<'de> for TagSeed<F> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tag")
    }
    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok((self.0)(text))
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
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map).map(|()| None)
    }
}

/// Reads a string property that a variant's `if` looks at: its verdict, and a bit for each
/// variant whose `if` it satisfies. Such a property is a string by the schema, so any other
/// value is invalid.
struct ConditionSeed {
    node: &'static Node,
    union: &'static UnionNode,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for ConditionSeed {
    type Value = (Verdict, u64);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ConditionSeed {
    type Value = (Verdict, u64);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        let holds = self.union.variants.iter().enumerate().fold(0u64, |bits, (i, v)| match &v.condition {
            Some(c) if c.index == self.index && c.value == text => bits | 1 << i.min(63),
            _ => bits,
        });
        Ok((scalar(self.node, Scalar::Str(text)), holds))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok((Verdict::Invalid, 0))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok((Verdict::Invalid, 0))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok((Verdict::Invalid, 0))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok((Verdict::Invalid, 0))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok((Verdict::Invalid, 0))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok((Verdict::Invalid, 0))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|()| (Verdict::Invalid, 0))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map).map(|()| (Verdict::Invalid, 0))
    }
}

/// The verdict on a map: the worst of its values, `Invalid` when a key is given twice.
fn map<'de, A: MapAccess<'de>>(values: &'static Node, mut map: A) -> Result<Verdict, A::Error> {
    let mut verdict = Verdict::Clean;
    let mut keys = SeenKeys::default();
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        record::free_key(&key);
        verdict = verdict.max(map.next_value_seed(Seed(values))?);
        if !keys.insert(key) {
            verdict = Verdict::Invalid;
        }
        if verdict == Verdict::Invalid {
            skip_map(map)?;
            return Ok(Verdict::Invalid);
        }
    }
    Ok(verdict)
}

/// Checks (and consumes) the value of property `key` of an object: its verdict and its
/// required bit (0 when the property is optional or undocumented). A message's top level is
/// checked this way, property by property as its keys arrive.
#[inline]
pub fn property<'de, D: Deserializer<'de>>(node: &ObjectNode, key: &str, value: D) -> Result<(Verdict, u64), D::Error> {
    Ok(match node.property(key) {
        Some(property) => (Seed(property.node).deserialize(value)?, property.bit),
        None => {
            IgnoredAny::deserialize(value)?;
            (undocumented(node, key), 0)
        }
    })
}
