//! The model's types: messages, named types, shapes, unions and change rules, as emitters read them.

use std::collections::HashMap;
use std::ops::Index;

use serde_json::Value;

use crate::Location;

/// The protocol's shared words, defined once for the generator and the runtime.
pub use zenith_vocab::{Direction, DriftDecision, Format, JsonType, MAX_READS, Operation, Role};

#[derive(Debug)]
pub struct Model {
    /// Named types in discovery order (schema files in path order, properties in schema order);
    /// a [`TypeId`] is an index into it.
    pub types: Vec<TypeDef>,
    /// Each type's id by its name, for the few look-ups that start from a name.
    pub(super) by_name: HashMap<String, TypeId>,
    pub messages: Vec<Message>,
    /// What a message means when it leaves out `Controller` or `Action` (the envelope schemas'
    /// `default`).
    pub default_controller: String,
    pub default_action: String,
    /// What each action means in each direction (`x-zenith-roles` of the Action schema).
    pub roles: Vec<RoleRule>,
    /// Documented action error codes (`x-zenith-codes`), in schema order.
    pub error_codes: Vec<ErrorCode>,
    /// Each controller (in order of its first message) with the topics of its messages that
    /// have one, in message order: a topic comes once per message.
    pub controller_topics: Vec<(String, Vec<String>)>,
    /// The replies that may arrive on a topic other than their own (see [`RepliesElsewhere`]).
    pub replies_elsewhere: Vec<RepliesElsewhere>,
    /// Each topic that takes arguments, as (controller, topic, the index into `messages` of the
    /// first of its messages that states their forms).
    pub topic_arguments: Vec<(String, String, usize)>,
    /// Every difference between the reference and the real client, as the schemas decide it.
    pub drift: Vec<Drift>,
    /// For each type, the controllers whose messages use it (see [`Model::features_of_type`]).
    pub users: Vec<std::collections::BTreeSet<String>>,
}

/// One `x-zenith-drift` annotation: something the real client (motif-core) reads or sends
/// otherwise than the reference, and what the schemas decided.
#[derive(Debug)]
pub struct Drift {
    pub id: String,
    /// The motif-core file and the names in it.
    pub client: String,
    /// `Receive`: motif-core reads it (a server sends it); `Send`: motif-core sends it.
    pub direction: Direction,
    /// What motif-core does, completing "motif-core ...".
    pub does: String,
    pub decision: DriftDecision,
    pub why: String,
    /// On a code table: the values that are the difference.
    pub values: Vec<String>,
    /// On a nullable property: only `null` is the difference.
    pub null_only: bool,
    /// A message in motif-core's shape.
    pub example: Option<Value>,
    /// The schema object the annotation is on.
    pub location: Location,
}

impl Model {
    /// The annotations on the schema object at `location`.
    pub fn drift_at<'m>(&'m self, location: &'m Location) -> impl Iterator<Item = &'m Drift> + 'm {
        self.drift.iter().filter(move |d| d.location == *location)
    }
}

/// The messages of other topics that may arrive on `topic`: a request of another topic of the
/// controller names `topic` among its `replyTopics`, so its replies (the messages of its topic
/// with this direction and action) may come here instead.
#[derive(Debug, PartialEq)]
pub struct RepliesElsewhere {
    pub direction: Direction,
    pub controller: String,
    pub topic: String,
    pub action: String,
    /// Indexes into [`Model::messages`], in message order.
    pub messages: Vec<usize>,
}

/// The role of the messages with one action travelling one way.
#[derive(Debug)]
pub struct RoleRule {
    pub action: String,
    pub direction: Direction,
    pub role: Role,
    pub doc: String,
}

/// One documented action error code.
#[derive(Debug)]
pub struct ErrorCode {
    pub code: String,
    pub meaning: String,
    /// What the optional suffix after a space names, if the code takes one.
    pub suffix: Option<String>,
}

/// One message of the protocol: the schema file with an `x-zenith` annotation.
#[derive(Debug)]
pub struct Message {
    /// The name of the message's type (its schema title).
    pub name: String,
    /// The message's type (named `name`).
    pub ty: TypeId,
    pub location: Location,
    pub schema_id: String,
    pub doc: String,
    /// `None` means any controller (`*`).
    pub controller: Option<String>,
    /// `None` means any topic (`*`).
    pub topic: Option<String>,
    pub action: String,
    pub direction: Direction,
    pub reply_topics: Vec<String>,
    /// The permissions the topic needs (`x-zenith.permissions`, empty for none), stated on one
    /// message of each topic and shared by all of them (see [`Model::permissions`]).
    pub permissions: Option<Vec<String>>,
    /// The forms of the arguments after `Topic!`, when the topic takes them.
    pub arguments: Option<Arguments>,
    /// Whether a client may send the request again by itself, after a `Retry` reply
    /// (`x-zenith.repeatable`, true unless stated): false for requests that act twice when sent
    /// twice, such as placing an order.
    pub repeatable: bool,
    pub examples: Vec<Value>,
}

/// A topic's arguments (`x-zenith.arguments`): one or more forms such as `{Code}.{Market}`,
/// and the rule for each part.
#[derive(Debug)]
pub struct Arguments {
    pub forms: Vec<Form>,
    pub parts: Vec<Part>,
    pub location: Location,
}

/// One form: literal text around and between its parts (`literals.len() == parts.len() + 1`).
#[derive(Debug)]
pub struct Form {
    pub text: String,
    pub parts: Vec<String>,
    pub literals: Vec<String>,
}

#[derive(Debug)]
pub struct Part {
    pub name: String,
    pub doc: Option<String>,
    pub pattern: String,
}

/// A named type, by its place in [`Model::types`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub usize);

/// `model[id]`: the type an id refers to.
impl Index<TypeId> for Model {
    type Output = TypeDef;

    fn index(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }
}

/// `types[id]`: the type an id refers to.
impl Index<TypeId> for [TypeDef] {
    type Output = TypeDef;

    fn index(&self, id: TypeId) -> &TypeDef {
        &self[id.0]
    }
}

#[derive(Debug)]
pub struct TypeDef {
    pub name: String,
    pub location: Location,
    pub doc: Option<String>,
    pub kind: TypeKind,
}

#[derive(Debug)]
pub enum TypeKind {
    /// `typed`: the schema says `"type": "object"`, so other JSON types are wrong (without it,
    /// the property rules apply to objects only and anything else passes).
    Struct {
        fields: Vec<Field>,
        additional_properties: bool,
        typed: bool,
        union: Option<Union>,
        changes: Option<Box<Changes>>,
    },
    /// A string enum, a code table. Values the schema does not list are kept, not rejected (see
    /// the runtime docs); `open` when the server may send others (a warning, not an error).
    Enum { values: Vec<String>, open: bool },
    /// A named non-object schema, e.g. `TransactionID` (an integer).
    Alias { shape: Shape },
    /// A hand-written runtime type (`x-zenith-runtime`), with the schema rules it checks.
    Runtime { rust: String, shape: Shape },
    /// A value union (`"x-zenith-tag": 0`): a branch per JSON type, arrays told apart by item 0.
    Choice(Choice),
}

/// A tagged union: an object whose tag property (`x-zenith-tag`) says which variant it is, and
/// so which of the object's properties that variant requires and which it forbids.
#[derive(Debug)]
pub struct Union {
    pub tag: String,
    pub variants: Vec<Variant>,
    /// Where the `oneOf` is.
    pub location: Location,
}

/// How change records apply to the state of their subscription (`x-zenith-changes`). A keyed
/// record names the record it changes by its key; a positional one (a list's members) by a
/// position. What a record does is said by its tag, or, for records without one, by the
/// values of some of its properties (`when`).
#[derive(Debug)]
pub struct Changes {
    /// The union's tag, when its value says what a record does.
    pub tag: Option<String>,
    /// The properties read from each record, as paths of property names (`["Order", "ID"]`):
    /// the key's parts first, then the position's, then those `when` looks at.
    pub reads: Vec<Vec<String>>,
    /// Each of `reads` as property numbers: the record's property, and the nested object's
    /// when the path goes one level down.
    pub read_at: Vec<ReadAt>,
    /// How many of `reads` make up the key; 0 for positional records.
    pub key_parts: usize,
    /// Positional records: the reads holding the position, the count removed and the items
    /// inserted or replaced.
    pub position: Option<[usize; 3]>,
    /// What each tag value does.
    pub operations: Vec<(String, Operation)>,
    /// For records without a tag: the first rule that holds says what a record does.
    pub when: Vec<When>,
    /// What a record without a tag does when no `when` rule holds.
    pub otherwise: Option<Operation>,
    /// Added keys only increase (Trades ids).
    pub ordered: bool,
    /// What the first data after a subscription starts with (Trades: an initialise).
    pub snapshot: Option<Operation>,
    pub location: Location,
}

/// A rule of `when`: a record whose read `read` equals `equals` (a string, or a number
/// compared as one) does `operation`. A clear with a `scope` clears only the records whose key
/// part of that number is the clear's own.
#[derive(Debug)]
pub struct When {
    pub read: usize,
    pub equals: Value,
    pub operation: Operation,
    pub scope: Option<usize>,
}

/// Where a change record is read: the number of the record's property, and of the nested
/// object's property when the path goes one level down.
pub type ReadAt = (usize, Option<usize>);

#[derive(Debug)]
pub struct Variant {
    /// The Rust name of the variant (its branch's `title`).
    pub name: String,
    /// The tag's value for this variant.
    pub value: String,
    pub doc: Option<String>,
    /// The properties this variant requires (the object's own required ones included).
    pub required: Vec<String>,
    pub forbidden: Vec<String>,
    /// Properties the variant requires only when another property has a given value
    /// (`if`/`then`).
    pub condition: Option<Condition>,
    /// Properties an object property of the record must have in this variant (an add carries the
    /// whole order; a removal only its key).
    pub nested: Option<Nested>,
    /// Properties the reference leaves out of this variant and the real client reads or sends
    /// (an `x-zenith-drift` rule in the branch): allowed, with a finding.
    pub drifted: Vec<String>,
    pub location: Location,
}

/// A variant's `"P": {"required": [...]}`: in this variant, the object in property `P` must
/// have these properties as well as those its own type requires.
#[derive(Debug)]
pub struct Nested {
    pub property: String,
    pub required: Vec<String>,
    /// The branch's `required` keyword for `P`.
    pub location: Location,
}

/// `if` a property is a given string, `then` more properties are required.
#[derive(Debug)]
pub struct Condition {
    pub property: String,
    pub value: String,
    pub required: Vec<String>,
    /// The `then` branch.
    pub location: Location,
}

#[derive(Debug)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    pub doc: Option<String>,
    pub required: bool,
    pub shape: Shape,
    pub secret: bool,
    /// The value never changes for the life of a subscription (`x-zenith-fixed`).
    pub fixed: bool,
    pub constant: Option<Value>,
    pub default: Option<Value>,
    pub location: Location,
}

/// Rules on string values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StringRules {
    pub pattern: Option<String>,
    /// A protocol format (`zenith-datetime`, `zenith-time`), checked by the runtime type's parser.
    pub format: Option<Format>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
}

/// The shape of a value: what Rust type holds it and what a validator checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Any JSON value (also the schema `true`).
    Any,
    /// No value at all (the schema `false`).
    Never,
    Boolean,
    Integer,
    Number,
    String(StringRules),
    Array(Box<Shape>),
    /// Exactly this string (`const`).
    Const(String),
    /// A named type.
    Named(TypeId),
    /// The value, or `null`, which means something other than absent (`oneOf` with a `null`
    /// branch, or `"type": [T, "null"]`).
    Nullable(Box<Shape>),
    /// An object with any keys, each value of this shape (`additionalProperties` with a schema).
    Map(Box<Shape>),
    /// Codes of a table (a named enum) joined by `separator` in one string (`x-zenith-flags`).
    Flags {
        codes: TypeId,
        separator: String,
    },
    /// Several JSON types at once (`"type": [...]`), with the rules that apply to each.
    Multi {
        types: Vec<JsonType>,
        string: StringRules,
        items: Option<Box<Shape>>,
    },
}

impl Shape {
    /// A short name for a person: the type's name, or the JSON type.
    pub fn short_name(&self, types: &[TypeDef]) -> String {
        match self {
            Shape::Named(id) => types[*id].name.clone(),
            Shape::Nullable(inner) => format!("{} or null", inner.short_name(types)),
            Shape::Array(items) => format!("[{}...]", items.short_name(types)),
            Shape::Const(constant) => format!("\"{constant}\""),
            Shape::Boolean => "boolean".to_owned(),
            Shape::Integer => "integer".to_owned(),
            Shape::Number => "number".to_owned(),
            Shape::String(_) | Shape::Flags { .. } => "string".to_owned(),
            Shape::Map(_) => "object".to_owned(),
            Shape::Multi { types, .. } => types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" or "),
            Shape::Any | Shape::Never => "value".to_owned(),
        }
    }
}

/// A value union. Among the branches there is at most one per JSON type other than array, and
/// the arrays' tags (those of the tagged arrays, and of the unions a branch refers to) are
/// distinct.
#[derive(Debug)]
pub struct Choice {
    /// The JSON types the union takes (its own `type`, or what its branches take).
    pub types: Vec<JsonType>,
    pub branches: Vec<Branch>,
    /// Where the `oneOf` is.
    pub location: Location,
}

#[derive(Debug)]
pub struct Branch {
    /// The Rust name of the branch (its `title`).
    pub name: String,
    pub doc: Option<String>,
    pub location: Location,
    pub kind: BranchKind,
}

#[derive(Debug)]
pub enum BranchKind {
    /// A value of another schema. `claims` (the JSON types it takes) and `tags` (when it is a
    /// union of tagged arrays, their tags) are known once every type is built.
    Value { shape: Shape, claims: Vec<JsonType>, tags: Vec<String> },
    /// An array whose item 0 is `tag`, and whose other items are the positions.
    Tuple(Tuple),
}

#[derive(Debug)]
pub struct Tuple {
    pub tag: String,
    pub positions: Vec<Position>,
    /// How many items after the tag are required (`minItems` less one).
    pub required: usize,
    /// The schema of every item after the positions (`items`), if more may follow.
    pub rest: Option<Position>,
    /// Where `minItems` is.
    pub min_location: Location,
    /// Where `items` is.
    pub items_location: Location,
}

/// One item of a tagged array, after the tag.
#[derive(Debug)]
pub struct Position {
    pub doc: Option<String>,
    pub shape: Shape,
    pub location: Location,
}

impl Tuple {
    /// How the array is written, for a person: `["Xor", ScanBooleanOperand, ScanBooleanOperand]`;
    /// optional items in brackets, any number of further items as `[Item...]`.
    pub fn signature(&self, types: &[TypeDef]) -> String {
        let name = |shape: &Shape| shape.short_name(types);
        let mut items = vec![format!("\"{}\"", self.tag)];
        for (index, position) in self.positions.iter().enumerate() {
            let text = name(&position.shape);
            items.push(if index < self.required { text } else { format!("[{text}]") });
        }
        if let Some(rest) = &self.rest {
            let text = name(&rest.shape);
            let required = self.required.saturating_sub(self.positions.len());
            items.extend(std::iter::repeat_n(text.clone(), required));
            items.push(format!("[{text}...]"));
        }
        format!("[{}]", items.join(", "))
    }
}
