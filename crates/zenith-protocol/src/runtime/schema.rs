//! The schema tables the generator writes (one [`Node`] per schema type and inline shape), and
//! the full pass over them that reports every problem of a parsed value. The fast verdict over
//! the same tables is in [`super::stream`].

use serde_json::Value;

use super::diagnostics::{Code, Verdict, Walker, excerpt, is_integer, length, near_miss};
use super::drift::{Drift, DriftDecision};
pub use super::pattern::Pattern;
pub use super::topic::{TopicForm, TopicPart};
pub use zenith_vocab::{Format, JsonTypes};

/// A schema node: what a value must be.
#[derive(Debug)]
pub enum Node {
    /// Any value.
    Any,
    /// No value (the schema `false`).
    Never(TypeRule),
    Boolean(TypeRule),
    /// A number with no fractional part (`1.0` counts).
    Integer(TypeRule),
    Number(TypeRule),
    String(StringNode),
    /// Exactly this string.
    Const(Constant),
    Array(ArrayNode),
    /// One of these strings.
    Enum(EnumNode),
    Object(ObjectNode),
    /// Several JSON types (`"type": [...]`), each with the rules that apply to it.
    Multi(MultiNode),
    /// Another named type's node.
    Ref(&'static Node),
    /// The node's value, or `null` (which means something other than absent).
    Nullable(&'static Node),
    /// An object with any keys, every value of one node.
    Map(MapNode),
    /// Codes of a table joined in one string.
    Flags(FlagsNode),
    /// A topic that takes arguments: `Name!args`, the arguments in one of its forms.
    Topic(TopicNode),
    /// A value union: a branch per JSON type, arrays told apart by their item 0.
    Choice(ChoiceNode),
}

#[derive(Debug)]
pub struct TopicNode {
    /// The rules of the `Topic` property itself.
    pub topic: &'static Node,
    /// Where the forms are (`x-zenith/arguments`).
    pub at: &'static str,
    pub name: &'static str,
    pub forms: &'static [TopicForm],
}

impl TopicNode {
    /// Whether `topic` is this topic with arguments in one of its forms.
    pub fn fits(&self, topic: &str) -> bool {
        match super::topic::split(topic) {
            (name, Some(args)) if name == self.name => self.forms.iter().any(|form| !form.is_bare() && form.fits(args)),
            (name, None) => name == self.name && self.forms.iter().any(TopicForm::is_bare),
            _ => false,
        }
    }

    /// Why `topic` is not this topic with arguments in one of its forms.
    pub fn problem(&self, topic: &str) -> Option<String> {
        super::topic::topic_problem(self.name, self.forms, topic)
    }
}

impl Node {
    /// The node that decides containers: references followed, `null` aside.
    pub fn container(&'static self) -> &'static Node {
        match self {
            Node::Ref(node) | Node::Nullable(node) => node.container(),
            node => node,
        }
    }
}

/// A value union. A value's branch is the one that takes its JSON type; an array's is the
/// tagged array its item 0 names.
#[derive(Debug)]
pub struct ChoiceNode {
    /// The union's name, for messages.
    pub name: &'static str,
    /// Where the union's branches are (its `oneOf`).
    pub at: &'static str,
    /// The JSON types it takes, for a person: `a number, a string or an array`.
    pub expected: &'static str,
    /// The branch for each JSON type other than tagged arrays.
    pub values: &'static [(JsonTypes, &'static Node)],
    /// The tagged arrays, with those of the unions it refers to.
    pub tuples: &'static [&'static TupleNode],
}

impl ChoiceNode {
    /// The tagged array whose tag is `tag`.
    pub fn tuple(&self, tag: &str) -> Option<&'static TupleNode> {
        let first = tag.as_bytes().first();
        self.tuples
            .iter()
            .copied()
            .find(|t| t.tag.len() == tag.len() && t.tag.as_bytes().first() == first && t.tag == tag)
    }

    /// The branch for a value of this JSON type (`integral` for a number without a fraction).
    pub fn branch(&self, bit: u8, integral: bool) -> Option<&'static Node> {
        let takes = |types: JsonTypes| match bit {
            JsonTypes::NUMBER => types.number(integral),
            bit => types.has(bit),
        };
        self.values.iter().find(|(types, _)| takes(*types)).map(|(_, node)| *node)
    }

    /// The branch for `value`, when it is not a tagged array.
    fn branch_for(&self, value: &Value) -> Option<&'static Node> {
        let bit = match value {
            Value::Null => JsonTypes::NULL,
            Value::Bool(_) => JsonTypes::BOOLEAN,
            Value::Number(_) => JsonTypes::NUMBER,
            Value::String(_) => JsonTypes::STRING,
            Value::Array(_) => JsonTypes::ARRAY,
            Value::Object(_) => JsonTypes::OBJECT,
        };
        self.branch(bit, is_integer(value))
    }

    /// The tags, for suggestions.
    fn tags(&self) -> Vec<&'static str> {
        self.tuples.iter().map(|t| t.tag).collect()
    }
}

/// An array whose item 0 is its tag, and whose other items are positions, each with its own
/// schema, then optionally any number of items of one schema.
#[derive(Debug)]
pub struct TupleNode {
    pub tag: &'static str,
    pub positions: &'static [&'static Node],
    /// How many items it needs, the tag included (`minItems`), and where that is said.
    pub min_items: usize,
    pub min_at: &'static str,
    /// The schema of every item after the positions; none when no more may follow.
    pub rest: Option<&'static Node>,
    pub rest_at: &'static str,
    /// How it is written, for a person: `["Xor", ScanBooleanOperand, ScanBooleanOperand]`.
    pub signature: &'static str,
}

impl TupleNode {
    /// The schema of item `index` (1 or more), if the array may have it.
    #[inline]
    pub fn item(&self, index: usize) -> Option<&'static Node> {
        self.positions.get(index - 1).copied().or(self.rest)
    }
}

#[derive(Debug)]
pub struct MapNode {
    pub type_at: &'static str,
    pub values: &'static Node,
}

#[derive(Debug)]
pub struct FlagsNode {
    pub type_at: &'static str,
    /// Where the annotation is, for members the table does not list.
    pub at: &'static str,
    /// The code table: a [`Node::Enum`].
    pub codes: &'static Node,
    pub separator: &'static str,
}

impl FlagsNode {
    /// The members of a flag set, spaces around them aside (the server writes `A, B`); none
    /// in an empty string.
    pub fn members<'t>(&self, text: &'t str) -> impl Iterator<Item = &'t str> {
        let empty = text.trim().is_empty();
        text.split(self.separator).map(str::trim).filter(move |_| !empty)
    }

    fn table(&self) -> &'static EnumNode {
        static NONE: EnumNode = EnumNode { at: "", values: &[], open: true, drift: None };
        match self.codes.container() {
            Node::Enum(table) => table,
            _ => &NONE,
        }
    }

    pub fn verdict(&self, text: &str) -> Verdict {
        let table = self.table();
        let mut verdict = Verdict::Clean;
        for member in self.members(text) {
            verdict = verdict.max(table.verdict(member));
        }
        verdict
    }
}

/// Where the `type` keyword of a node is, for problems that break it.
#[derive(Debug)]
pub struct TypeRule {
    pub at: &'static str,
}

#[derive(Debug)]
pub struct StringNode {
    pub type_at: &'static str,
    pub rules: StringRules,
}

/// Rules on a string's content, each with its schema location.
#[derive(Debug)]
pub struct StringRules {
    pub min_length: Option<(u64, &'static str)>,
    pub max_length: Option<(u64, &'static str)>,
    pub pattern: Option<(&'static Pattern, &'static str)>,
    pub format: Option<(Format, &'static str)>,
}

impl StringRules {
    pub const NONE: StringRules = StringRules { min_length: None, max_length: None, pattern: None, format: None };

    /// Whether `text` keeps every rule.
    pub fn accept(&self, text: &str) -> bool {
        self.min_length.is_none_or(|(min, _)| length(text) >= min)
            && self.max_length.is_none_or(|(max, _)| length(text) <= max)
            && self.format.is_none_or(|(format, _)| check_format(format, text).is_ok())
            && self.pattern.is_none_or(|(pattern, _)| pattern.is_match(text))
    }

    fn walk(&self, text: &str, walker: &mut Walker, secret: bool) {
        if let Some((min, at)) = self.min_length
            && length(text) < min
        {
            walker.length(at, Code::TooShort, min, text);
        }
        if let Some((max, at)) = self.max_length
            && length(text) > max
        {
            walker.length(at, Code::TooLong, max, text);
        }
        match self.format {
            // The format's parser accepts no more than the pattern, so it stands in for it.
            Some((format, at)) => {
                if let Err(reason) = check_format(format, text) {
                    walker.format(at, format_code(format, text), text, secret, format_what(format), reason);
                }
            }
            None => {
                if let Some((pattern, at)) = self.pattern
                    && !pattern.is_match(text)
                {
                    walker.pattern(at, pattern.source, text, secret);
                }
            }
        }
    }
}

/// Checks `text` with the hand-written parser of its format.
fn check_format(format: Format, text: &str) -> Result<(), &'static str> {
    match format.resolve(text) {
        Format::DateTime => super::DateTime::check(text),
        Format::Time => super::Time::check(text),
        _ => super::Date::check(text),
    }
}

/// The problem code of a value the format's parser refuses.
fn format_code(format: Format, text: &str) -> Code {
    match format.resolve(text) {
        Format::DateTime => Code::BadDatetime,
        Format::Time => Code::BadTime,
        _ => Code::BadDate,
    }
}

/// What a value of the format looks like, for a person.
fn format_what(format: Format) -> &'static str {
    match format {
        Format::DateTime => "an ISO-8601 date-time like `20120630T100230Z`",
        Format::Time => "a duration like `00:00:35`",
        Format::Date => "a date like `20120603` or `2012-06-03`",
        Format::DateOrDateTime => "a date like `2012-06-03` or a date-time like `20120630T100230Z`",
    }
}

#[derive(Debug)]
pub struct Constant {
    pub value: &'static str,
    pub at: &'static str,
}

#[derive(Debug)]
pub struct ArrayNode {
    pub type_at: &'static str,
    pub items: &'static Node,
}

#[derive(Debug)]
pub struct EnumNode {
    pub at: &'static str,
    pub values: &'static [&'static str],
    /// The server may send other values: they are a warning, not an error.
    pub open: bool,
    /// Values the reference leaves out and the real client knows: accepted, with a finding.
    pub drift: Option<&'static Drift>,
}

impl EnumNode {
    /// The difference with the real client that `text` is, if it is one.
    pub fn drift_of(&self, text: &str) -> Option<&'static Drift> {
        self.drift.filter(|drift| drift.values.contains(&text))
    }

    pub fn verdict(&self, text: &str) -> Verdict {
        if self.drift_of(text).is_some() {
            Verdict::Warnings
        } else if self.values.contains(&text) {
            Verdict::Clean
        } else if self.open && near_miss(text, self.values).is_none() {
            Verdict::Warnings
        } else {
            Verdict::Invalid
        }
    }
}

#[derive(Debug)]
pub struct ObjectNode {
    /// Where `"type": "object"` is; without it, values that are not objects pass.
    pub type_at: Option<&'static str>,
    pub properties: &'static [Property],
    /// The documented names, for telling a misspelling from an addition.
    pub documented: &'static [&'static str],
    /// The names of the required properties, and all their bits.
    pub required: &'static [&'static str],
    pub required_bits: u64,
    pub required_at: &'static str,
    /// Whether undocumented properties are allowed (with a warning), and where that is said.
    pub additional: bool,
    pub additional_at: &'static str,
    /// For a tagged union: its tag and variants.
    pub union: Option<UnionNode>,
    /// The properties that never change for the life of a subscription (`x-zenith-fixed`).
    pub fixed: &'static [&'static str],
    /// When the object is a change record: how records apply to a subscription's state.
    pub changes: Option<&'static super::ChangeRules>,
    /// The properties the one-pass check records the values of (fixed ones, and those change
    /// records are read at), as bits by index.
    pub read_bits: u64,
}

/// The variants of a tagged union, told apart by the tag property's value.
#[derive(Debug)]
pub struct UnionNode {
    pub tag: &'static str,
    pub variants: &'static [VariantNode],
    /// The properties some variant's `if` looks at, as bits by index.
    pub condition_bits: u64,
    /// The object property some variant requires more of ([`NestedNode`]), by index.
    pub nested: Option<usize>,
}

#[derive(Debug)]
pub struct VariantNode {
    pub value: &'static str,
    pub required: &'static [&'static str],
    pub forbidden: &'static [&'static str],
    /// The same, as bits over the object's properties by index.
    pub required_bits: u64,
    pub forbidden_bits: u64,
    /// More properties required when another property has a given value.
    pub condition: Option<ConditionNode>,
    /// More properties required of an object property in this variant.
    pub nested: Option<NestedNode>,
    /// Properties the reference leaves out of this variant and the real client reads or sends:
    /// allowed, with a finding; and the same as bits over the object's properties by index.
    pub drifted: &'static [(&'static str, &'static Drift)],
    pub drifted_bits: u64,
    /// Where the variant is (its `oneOf` branch).
    pub at: &'static str,
}

/// A variant's `if`/`then`: when string property `property` (the object's property number
/// `index`) is `value`, the `required` properties must be there too.
#[derive(Debug)]
pub struct ConditionNode {
    pub property: &'static str,
    pub index: usize,
    pub value: &'static str,
    pub required: &'static [&'static str],
    pub required_bits: u64,
    /// Where the `then` branch's `required` is.
    pub at: &'static str,
}

/// A variant's requirements on one of its object properties: in this variant, the object in
/// `property` (the record's property number `index`) must have the `required` properties too
/// (an order added carries the whole order; one removed only its key).
#[derive(Debug)]
pub struct NestedNode {
    pub property: &'static str,
    pub index: usize,
    pub required: &'static [&'static str],
    /// The same, as bits over the nested object's properties by index.
    pub required_bits: u64,
    /// Where the variant's `required` for the property is.
    pub at: &'static str,
}

impl UnionNode {
    pub fn variant(&self, tag: &str) -> Option<&'static VariantNode> {
        self.variants.iter().find(|v| v.value == tag)
    }

    /// Whether some variant's `if` looks at the object's property number `index`.
    #[inline]
    pub fn conditioned(&self, index: usize) -> bool {
        self.condition_bits >> index.min(63) & 1 == 1
    }
}

impl ObjectNode {
    /// The property named `key`.
    #[inline]
    pub fn property_index(&self, key: &str) -> Option<usize> {
        let first = key.as_bytes().first();
        self.properties
            .iter()
            .position(|p| p.wire.len() == key.len() && p.wire.as_bytes().first() == first && p.wire == key)
    }

    pub fn property(&self, key: &str) -> Option<&'static Property> {
        // Length and first byte tell most names apart without a call to compare the rest.
        let first = key.as_bytes().first();
        self.properties
            .iter()
            .find(|p| p.wire.len() == key.len() && p.wire.as_bytes().first() == first && p.wire == key)
    }
}

#[derive(Debug)]
pub struct Property {
    pub wire: &'static str,
    pub node: &'static Node,
    /// Its bit among the required properties; 0 when optional.
    pub bit: u64,
    /// A credential: its value never appears in a problem.
    pub secret: bool,
    /// A difference with the real client: the property (or its `null`) accepted with a finding,
    /// or, for an error kept, the note its errors carry.
    pub drift: Option<&'static Drift>,
}

impl Property {
    /// The note errors about this property carry: the real client gets it wrong on purpose.
    pub fn error_note(&self) -> Option<&'static Drift> {
        self.drift.filter(|d| d.decision == DriftDecision::Error)
    }

    /// The difference with the real client that `value` of this property shows, if any.
    pub fn drift_of(&self, value: &Value) -> Option<&'static Drift> {
        self.drift.filter(|d| d.decision.has_finding() && (!d.null_only || value.is_null()))
    }
}

#[derive(Debug)]
pub struct MultiNode {
    pub type_at: &'static str,
    /// The types, for a person: `a string or null`.
    pub expected: &'static str,
    pub types: JsonTypes,
    pub string: StringRules,
    pub items: Option<&'static Node>,
}

/// Reports every problem of `value` against `node` below the walker's current path.
pub fn walk(node: &Node, value: &Value, walker: &mut Walker, secret: bool) {
    match node {
        Node::Any => {}
        Node::Never(rule) => walker.nothing_allowed(rule.at),
        Node::Ref(node) => walk(node, value, walker, secret),
        Node::Boolean(rule) => {
            if !value.is_boolean() {
                walker.wrong_type(rule.at, "a boolean", value, secret);
            }
        }
        Node::Integer(rule) => {
            if !is_integer(value) {
                walker.wrong_type(rule.at, "an integer", value, secret);
            }
        }
        Node::Number(rule) => {
            if !value.is_number() {
                walker.wrong_type(rule.at, "a number", value, secret);
            }
        }
        Node::String(string) => match value.as_str() {
            Some(text) => string.rules.walk(text, walker, secret),
            None => walker.wrong_type(string.type_at, "a string", value, secret),
        },
        Node::Const(constant) => {
            if value.as_str() != Some(constant.value) {
                walker.wrong_constant(constant.at, constant.value, value, secret);
            }
        }
        Node::Array(array) => match value.as_array() {
            Some(items) => walk_items(array.items, items, walker),
            None => walker.wrong_type(array.type_at, "an array", value, secret),
        },
        Node::Enum(list) => match value.as_str() {
            Some(text) if let Some(drift) = list.drift_of(text) => walker.drift(drift, &format!("`{text}`")),
            Some(text) if list.values.contains(&text) => {}
            Some(text) if list.open => walker.unknown_code(list.at, text, list.values),
            Some(text) => walker.not_in_enum(list.at, text, list.values, secret),
            None => walker.wrong_type(list.at, "one of the listed strings", value, secret),
        },
        Node::Nullable(node) => {
            if !value.is_null() {
                walk(node, value, walker, secret);
            }
        }
        Node::Map(map) => match value.as_object() {
            Some(members) => {
                for (key, value) in members {
                    walker.key(key, |walker| walk(map.values, value, walker, false));
                }
            }
            None => walker.wrong_type(map.type_at, "an object", value, secret),
        },
        Node::Topic(topic) => {
            let before = walker.problems();
            walk(topic.topic, value, walker, secret);
            if let (Some(text), true) = (value.as_str(), walker.problems() == before)
                && let Some(reason) = topic.problem(text)
            {
                walker.bad_topic_arguments(topic.at, reason);
            }
        }
        Node::Flags(flags) => match value.as_str() {
            Some(text) => {
                let table = flags.table();
                for member in flags.members(text) {
                    if let Some(drift) = table.drift_of(member) {
                        walker.drift(drift, &format!("`{}`", excerpt(member)));
                    } else if table.values.contains(&member) {
                    } else if table.open {
                        walker.unknown_code(flags.at, member, table.values);
                    } else {
                        walker.bad_flag(flags.at, member, table.values);
                    }
                }
            }
            None => walker.wrong_type(flags.type_at, "a string", value, secret),
        },
        Node::Object(object) => walk_object(object, value, walker),
        Node::Choice(choice) => walk_choice(choice, value, walker, secret),
        Node::Multi(multi) => {
            let types = multi.types;
            let fits = match value {
                Value::String(text) => {
                    if types.has(JsonTypes::STRING) {
                        multi.string.walk(text, walker, secret);
                    }
                    types.has(JsonTypes::STRING)
                }
                Value::Array(items) => {
                    if let (true, Some(node)) = (types.has(JsonTypes::ARRAY), multi.items) {
                        walk_items(node, items, walker);
                    }
                    types.has(JsonTypes::ARRAY)
                }
                Value::Number(_) => types.number(is_integer(value)),
                Value::Object(_) => types.has(JsonTypes::OBJECT),
                Value::Bool(_) => types.has(JsonTypes::BOOLEAN),
                Value::Null => types.has(JsonTypes::NULL),
            };
            if !fits {
                walker.wrong_type(multi.type_at, multi.expected, value, secret);
            }
        }
    }
}

fn walk_items(node: &Node, items: &[Value], walker: &mut Walker) {
    for (index, item) in items.iter().enumerate() {
        walker.index(index, |walker| walk(node, item, walker, false));
    }
}

fn walk_choice(choice: &ChoiceNode, value: &Value, walker: &mut Walker, secret: bool) {
    if let (Value::Array(items), false) = (value, choice.tuples.is_empty()) {
        let Some(first) = items.first() else {
            return walker.missing_tag(choice.at, choice.name);
        };
        match first.as_str().and_then(|tag| choice.tuple(tag)) {
            Some(tuple) => walk_tuple(tuple, items, walker),
            None => walker.index(0, |walker| walker.unknown_tag(choice.at, choice.name, first, &choice.tags())),
        }
        return;
    }
    match choice.branch_for(value) {
        Some(node) => walk(node, value, walker, secret),
        None => walker.wrong_type(choice.at, choice.expected, value, secret),
    }
}

fn walk_tuple(tuple: &TupleNode, items: &[Value], walker: &mut Walker) {
    if items.len() < tuple.min_items {
        walker.too_few_items(tuple.min_at, tuple.tag, tuple.min_items - 1, items.len() - 1, tuple.signature);
    }
    for (index, item) in items.iter().enumerate().skip(1) {
        match tuple.item(index) {
            Some(node) => walker.index(index, |walker| walk(node, item, walker, false)),
            None => {
                let most = tuple.positions.len();
                return walker.too_many_items(tuple.rest_at, tuple.tag, most, items.len() - 1, tuple.signature);
            }
        }
    }
}

fn walk_object(object: &ObjectNode, value: &Value, walker: &mut Walker) {
    let Some(members) = value.as_object() else {
        if let Some(at) = object.type_at {
            walker.wrong_type(at, "an object", value, false);
        }
        return;
    };
    // An error about a property the real client gets wrong on purpose says so.
    let note = |name: &str| object.property(name).and_then(Property::error_note);
    for name in object.required {
        if !members.contains_key(*name) {
            walker.noted(note(name), |walker| walker.missing(object.required_at, name, members));
        }
    }
    if let Some(union) = &object.union
        && let Some(tag) = members.get(union.tag).and_then(Value::as_str)
        && let Some(variant) = union.variant(tag)
    {
        for name in variant.required.iter().filter(|name| !members.contains_key(**name)) {
            walker.noted(note(name), |walker| walker.missing_in_variant(variant.at, name, union.tag, tag, members));
        }
        for name in variant.forbidden.iter().filter(|name| members.contains_key(**name)) {
            walker.key(name, |walker| walker.forbidden_in_variant(variant.at, name, union.tag, tag));
        }
        if let Some(condition) = &variant.condition
            && members.get(condition.property).and_then(Value::as_str) == Some(condition.value)
        {
            for name in condition.required.iter().filter(|name| !members.contains_key(**name)) {
                walker.missing_in_variant(condition.at, name, condition.property, condition.value, members);
            }
        }
        for (name, drift) in variant.drifted.iter().filter(|(name, _)| members.contains_key(*name)) {
            let subject = format!("`{name}` when `{}` is `{}`", union.tag, excerpt(tag));
            walker.key(name, |walker| walker.drift(drift, &subject));
        }
        if let Some(nested) = &variant.nested
            && let Some(inner) = members.get(nested.property).and_then(Value::as_object)
        {
            walker.key(nested.property, |walker| {
                for name in nested.required.iter().filter(|name| !inner.contains_key(**name)) {
                    walker.missing_in_variant(nested.at, name, union.tag, tag, inner);
                }
            });
        }
    }
    for (key, value) in members {
        match object.property(key) {
            Some(property) => walker.key(key, |walker| {
                if let Some(drift) = property.drift_of(value) {
                    let subject = if drift.null_only { format!("`null` for `{key}`") } else { format!("`{key}`") };
                    walker.drift(drift, &subject);
                }
                walker.noted(property.error_note(), |walker| walk(property.node, value, walker, property.secret));
            }),
            None if object.additional => {
                let meant = near_miss(key, object.documented).and_then(note);
                walker.noted(meant, |walker| {
                    walker.extra(object.additional_at, key, members, object.documented, object.required)
                });
            }
            None => walker.key(key, |walker| walker.forbidden(object.additional_at, key, object.documented)),
        }
    }
}
