//! The one in-memory model of every message and type, built from the schema files.
//!
//! Every emitter reads this model; none reads the schema files.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::naming::{Case, rust_name};
use crate::schema::SchemaSet;
use crate::{Error, Location};

mod choice;
pub use choice::{Branch, BranchKind, Choice, Position, Tuple};

/// Keywords a schema node may use. Anything else is refused, so no constraint is silently ignored.
const KEYWORDS: &[&str] = &[
    "$schema",
    "$comment",
    "$id",
    "$ref",
    "$defs",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "examples",
    "default",
    "x-zenith",
    "x-zenith-secret",
    "x-zenith-runtime",
    "x-zenith-codes",
    "x-zenith-known",
    "x-zenith-flags",
    "x-zenith-tag",
    "x-zenith-roles",
    "x-zenith-changes",
    "x-zenith-fixed",
    "oneOf",
];

/// Keywords allowed beside `$ref` (they annotate or narrow the referenced type).
const REF_SIBLINGS: &[&str] = &[
    "$ref",
    "$id",
    "$schema",
    "$defs",
    "$comment",
    "title",
    "description",
    "examples",
    "const",
    "default",
    "x-zenith-secret",
    "x-zenith-fixed",
];

#[derive(Debug)]
pub struct Model {
    /// Named types in discovery order (schema files in path order, properties in schema order).
    pub types: Vec<TypeDef>,
    pub messages: Vec<Message>,
    /// What a message means when it leaves out `Controller` or `Action` (the envelope schemas'
    /// `default`).
    pub default_controller: String,
    pub default_action: String,
    /// What each action means in each direction (`x-zenith-roles` of the Action schema).
    pub roles: Vec<RoleRule>,
    /// Documented action error codes (`x-zenith-codes`), in schema order.
    pub error_codes: Vec<ErrorCode>,
}

/// The role of the messages with one action travelling one way.
#[derive(Debug)]
pub struct RoleRule {
    pub action: String,
    pub direction: Direction,
    pub role: String,
    pub doc: String,
}

/// The roles a message can play, in the words of `x-zenith-roles`.
pub const ROLES: &[&str] =
    &["request", "answer", "subscribe", "confirm", "unsubscribe", "unsubscribed", "error", "cancel"];

/// What picks a message's schema: controller, topic (`None` for any), action and direction.
type DispatchKey<'m> = (Option<&'m str>, Option<&'m str>, &'m str, Direction);

/// One documented action error code.
#[derive(Debug)]
pub struct ErrorCode {
    pub code: String,
    pub meaning: String,
    /// What the optional suffix after a space names, if the code takes one.
    pub suffix: Option<String>,
}

/// Which way a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Send,
    Receive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Send => "send",
            Direction::Receive => "receive",
        }
    }
}

/// One message of the protocol: the schema file with an `x-zenith` annotation.
#[derive(Debug)]
pub struct Message {
    /// The name of the message's type (its schema title).
    pub name: String,
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
        changes: Option<Changes>,
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

/// The most properties a change record is read for.
pub const MAX_READS: usize = 4;

/// What a change record does to the state of its subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Add,
    Update,
    Remove,
    Clear,
    /// Adds a record, or updates the one with its key.
    Set,
    /// Inserts items at a position.
    Insert,
    /// Overwrites items from a position on.
    Replace,
}

impl Operation {
    const ALL: &'static [(&'static str, Operation)] = &[
        ("add", Operation::Add),
        ("update", Operation::Update),
        ("remove", Operation::Remove),
        ("clear", Operation::Clear),
        ("set", Operation::Set),
        ("insert", Operation::Insert),
        ("replace", Operation::Replace),
    ];

    /// The operations a keyed record may do, and those a positional one may.
    const KEYED: &'static [Operation] =
        &[Operation::Add, Operation::Update, Operation::Remove, Operation::Clear, Operation::Set];
    const POSITIONAL: &'static [Operation] =
        &[Operation::Insert, Operation::Replace, Operation::Remove, Operation::Clear];

    /// The operation an annotation names (`add`, `update`, `remove`, `clear`, `set`, `insert`,
    /// `replace`).
    fn named(name: &str) -> Option<Operation> {
        Operation::ALL.iter().find(|(known, _)| *known == name).map(|(_, operation)| *operation)
    }
}

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

/// A JSON type, as the schema's `type` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    pub const ALL: &'static [JsonType] = &[
        JsonType::String,
        JsonType::Integer,
        JsonType::Number,
        JsonType::Boolean,
        JsonType::Array,
        JsonType::Object,
        JsonType::Null,
    ];

    fn parse(name: &str) -> Option<JsonType> {
        Some(match name {
            "string" => JsonType::String,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "boolean" => JsonType::Boolean,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            "null" => JsonType::Null,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }
}

/// The string formats the generator knows; each is checked by a hand-written runtime parser
/// that accepts no more than the schema's `pattern`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    DateTime,
    Time,
    Date,
    DateOrDateTime,
}

impl Format {
    pub const ALL: &'static [(&'static str, Format)] = &[
        ("zenith-datetime", Format::DateTime),
        ("zenith-time", Format::Time),
        ("zenith-date", Format::Date),
        ("zenith-date-or-datetime", Format::DateOrDateTime),
    ];
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
    /// A named type (index into `Model::types` by name).
    Named(String),
    /// The value, or `null`, which means something other than absent (`oneOf` with a `null`
    /// branch, or `"type": [T, "null"]`).
    Nullable(Box<Shape>),
    /// An object with any keys, each value of this shape (`additionalProperties` with a schema).
    Map(Box<Shape>),
    /// Codes of a table (a named enum) joined by `separator` in one string (`x-zenith-flags`).
    Flags {
        codes: String,
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
    pub fn short_name(&self) -> String {
        match self {
            Shape::Named(name) => name.clone(),
            Shape::Nullable(inner) => format!("{} or null", inner.short_name()),
            Shape::Array(items) => format!("[{}...]", items.short_name()),
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

impl Model {
    pub fn build(schemas: &SchemaSet) -> Result<Model, Error> {
        let mut builder = Builder { schemas, types: Vec::new(), by_location: HashMap::new() };
        let mut messages = Vec::new();
        let mut error_codes = Vec::new();
        for document in &schemas.documents {
            let location = Location { file: document.file.clone(), pointer: String::new() };
            let root = as_object(&document.root, &location)?;
            let title = string_keyword(root, "title", &location)?
                .ok_or_else(|| Error::at(&location, "every schema file needs a `title` (it names the Rust type)"))?;
            if string_keyword(root, "description", &location)?.is_none() {
                return Err(Error::at(&location, "every schema file needs a `description`"));
            }
            let name = builder.named_type(&location, &document.root, title)?;
            if let Some(codes) = root.get("x-zenith-codes") {
                error_codes.extend(error_code_list(codes, &location.child("x-zenith-codes"))?);
            }
            if let Some(meta) = root.get("x-zenith") {
                messages.push(message(&location, root, meta, name, document.id.as_str())?);
            }
            if let Some(defs) = root.get("$defs") {
                let defs_location = location.child("$defs");
                for (key, schema) in as_object(defs, &defs_location)? {
                    let title = schema.get("title").and_then(Value::as_str).unwrap_or(key);
                    builder.named_type(&defs_location.child(key), schema, title)?;
                }
            }
        }
        choice::settle(&mut builder.types)?;
        check_changes(&builder.types)?;
        let mut seen = HashMap::new();
        for ty in &builder.types {
            let variants = match &ty.kind {
                TypeKind::Struct { union: Some(union), .. } => {
                    union.variants.iter().map(|v| (&v.name, &v.location)).collect()
                }
                TypeKind::Choice(choice) => choice.branches.iter().map(|b| (&b.name, &b.location)).collect(),
                _ => Vec::new(),
            };
            for (name, location) in std::iter::once((&ty.name, &ty.location)).chain(variants) {
                if let Some(other) = seen.insert(name.clone(), location) {
                    return Err(Error::at(location, format!("type name `{name}` is already used by {other}")));
                }
            }
        }
        let envelope = |file: &str| -> Result<(Vec<String>, String), Error> {
            let path = format!("schemas/envelope/{file}");
            let document = schemas
                .documents
                .iter()
                .find(|d| d.file == path)
                .ok_or_else(|| Error::plain(format!("`{path}` is missing: it lists the envelope's values")))?;
            let at = Location { file: path.clone(), pointer: String::new() };
            let values = string_enum(document.root.get("enum").unwrap_or(&Value::Null), &at.child("enum"))?;
            let default =
                document.root.get("default").and_then(Value::as_str).ok_or_else(|| {
                    Error::at(&at, "needs a string `default`: what a message without the field means")
                })?;
            if !values.iter().any(|v| v == default) {
                return Err(Error::at(&at.child("default"), format!("`{default}` is not among the listed values")));
            }
            Ok((values, default.to_owned()))
        };
        // Schemas without messages (the conformance suite's) need no envelope.
        let (controllers, default_controller, actions, default_action) = if messages.is_empty() {
            Default::default()
        } else {
            let (controllers, default_controller) = envelope("Controller.json")?;
            let (actions, default_action) = envelope("Action.json")?;
            (controllers, default_controller, actions, default_action)
        };
        // A listed controller without schemas would leave its messages unchecked.
        if let Some(missing) = controllers.iter().find(|c| !messages.iter().any(|m| m.controller.as_ref() == Some(c))) {
            let at = Location { file: "schemas/envelope/Controller.json".to_owned(), pointer: "/enum".to_owned() };
            return Err(Error::at(&at, format!("the controller `{missing}` has no message schema")));
        }
        let roles = match schemas.documents.iter().find(|d| d.file == "schemas/envelope/Action.json") {
            Some(document) => role_rules(&document.root, &actions)?,
            None => Vec::new(),
        };
        let mut keys: HashMap<DispatchKey<'_>, &Location> = HashMap::new();
        for message in &messages {
            let at = message.location.child("x-zenith");
            if !actions.contains(&message.action) {
                return Err(Error::at(&at.child("action"), format!("unknown action `{}`", message.action)));
            }
            if let Some(controller) = message.controller.as_ref().filter(|c| !controllers.contains(c)) {
                return Err(Error::at(&at.child("controller"), format!("unknown controller `{controller}`")));
            }
            let key =
                (message.controller.as_deref(), message.topic.as_deref(), message.action.as_str(), message.direction);
            if let Some(other) = keys.insert(key, &message.location) {
                return Err(Error::at(
                    &at,
                    format!(
                        "{other} has the same controller, topic, action and direction: one message would hide the other"
                    ),
                ));
            }
        }
        check_permissions(&messages)?;
        Ok(Model { types: builder.types, messages, error_codes, default_controller, default_action, roles })
    }

    /// The permissions a message's topic needs: as one message of the topic states them.
    pub fn permissions(&self, message: &Message) -> &[String] {
        self.messages
            .iter()
            .filter(|m| m.controller == message.controller && m.topic == message.topic)
            .find_map(|m| m.permissions.as_deref())
            .unwrap_or_default()
    }

    pub fn type_named(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }
}

/// Every topic states the permissions it needs on one of its messages, or on several alike.
fn check_permissions(messages: &[Message]) -> Result<(), Error> {
    for message in messages.iter().filter(|m| m.topic.is_some()) {
        let same_topic = || messages.iter().filter(|m| m.controller == message.controller && m.topic == message.topic);
        let stated: Vec<&Message> = same_topic().filter(|m| m.permissions.is_some()).collect();
        let Some(first) = stated.first() else {
            return Err(Error::at(
                &message.location.child("x-zenith"),
                "one message of each topic states its `permissions` (`[]` for none)",
            ));
        };
        if let Some(other) = stated.iter().find(|m| m.permissions != first.permissions) {
            return Err(Error::at(
                &other.location.child("x-zenith").child("permissions"),
                format!("the topic's permissions differ from those of {}", first.location),
            ));
        }
    }
    Ok(())
}

/// Each path a change record is read at leads, property by property, to what its rule needs:
/// a key part to a string or an integer, a position or count to an integer, the items to an
/// array, what `when` compares to a string or a number.
fn check_changes(types: &[TypeDef]) -> Result<(), Error> {
    let named = |shape: &Shape| -> Option<&TypeKind> {
        let Shape::Named(name) = shape else { return None };
        types.iter().find(|t| &t.name == name).map(|t| &t.kind)
    };
    let fields_of = |shape: &Shape| match named(shape) {
        Some(TypeKind::Struct { fields, .. }) => Some(fields.as_slice()),
        _ => None,
    };
    // The shape a named alias or runtime type stands for; an enum is a string.
    let leaf = |shape: &Shape| -> Option<Shape> {
        match named(shape) {
            None => Some(shape.clone()),
            Some(TypeKind::Enum { .. }) => Some(Shape::String(StringRules::default())),
            Some(TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. }) => Some(shape.clone()),
            Some(_) => None,
        }
    };
    for ty in types {
        let TypeKind::Struct { fields, changes: Some(changes), .. } = &ty.kind else { continue };
        for (index, path) in changes.reads.iter().enumerate() {
            let refused = |why: &str| Error::at(&changes.location, format!("`/{}`: {why}", path.join("/")));
            let mut level = fields.as_slice();
            let mut shape = None;
            for (depth, name) in path.iter().enumerate() {
                let field = level.iter().find(|f| &f.wire == name).ok_or_else(|| refused("no such property"))?;
                if depth + 1 == path.len() {
                    shape = leaf(&field.shape);
                } else {
                    level = fields_of(&field.shape)
                        .ok_or_else(|| refused("leads through a value that is not an object"))?;
                    if matches!(named(&field.shape), Some(TypeKind::Struct { changes: Some(_), .. })) {
                        return Err(refused("leads into a change record of its own"));
                    }
                }
            }
            let position = changes.position.and_then(|slots| slots.iter().position(|s| *s == index));
            let (fits, needs) = match (index < changes.key_parts, position) {
                (true, _) => {
                    (matches!(shape, Some(Shape::String(_) | Shape::Integer)), "a key is a string or an integer")
                }
                (_, Some(2)) => (matches!(shape, Some(Shape::Array(_))), "the items are an array"),
                (_, Some(_)) => (matches!(shape, Some(Shape::Integer)), "a position or a count is an integer"),
                _ => (
                    matches!(shape, Some(Shape::String(_) | Shape::Integer | Shape::Number)),
                    "`when` compares a string or a number",
                ),
            };
            if !fits {
                return Err(refused(needs));
            }
        }
    }
    Ok(())
}

fn role_rules(action_schema: &Value, actions: &[String]) -> Result<Vec<RoleRule>, Error> {
    let location = Location { file: "schemas/envelope/Action.json".to_owned(), pointer: "/x-zenith-roles".to_owned() };
    let Some(rules) = action_schema.get("x-zenith-roles") else {
        return Err(Error::at(&location, "the Action schema needs `x-zenith-roles`: what each action means each way"));
    };
    let rules = rules.as_array().ok_or_else(|| Error::at(&location, "must be an array"))?;
    let mut out: Vec<RoleRule> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let at = location.child(&index.to_string());
        let text = |key: &str| {
            rule.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::at(&at, format!("needs a string `{key}`")))
        };
        let (action, role, doc) = (text("action")?, text("role")?, text("description")?);
        let direction = match text("direction")?.as_str() {
            "send" => Direction::Send,
            "receive" => Direction::Receive,
            other => return Err(Error::at(&at.child("direction"), format!("`{other}` is not `send` or `receive`"))),
        };
        if !actions.contains(&action) {
            return Err(Error::at(&at.child("action"), format!("unknown action `{action}`")));
        }
        if !ROLES.contains(&role.as_str()) {
            return Err(Error::at(
                &at.child("role"),
                format!("unknown role `{role}`; the roles are {}", ROLES.join(", ")),
            ));
        }
        if out.iter().any(|r| r.action == action && r.direction == direction) {
            return Err(Error::at(&at, format!("`{action}` {} has a role already", direction.as_str())));
        }
        out.push(RoleRule { action, direction, role, doc });
    }
    Ok(out)
}

fn error_code_list(codes: &Value, location: &Location) -> Result<Vec<ErrorCode>, Error> {
    let items = codes.as_array().ok_or_else(|| Error::at(location, "`x-zenith-codes` must be an array"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = location.child(&i.to_string());
            let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
            Ok(ErrorCode {
                code: text("code").ok_or_else(|| Error::at(&at, "needs a string `code`"))?,
                meaning: text("meaning").ok_or_else(|| Error::at(&at, "needs a string `meaning`"))?,
                suffix: text("suffix"),
            })
        })
        .collect()
}

fn message(
    location: &Location,
    root: &Map<String, Value>,
    meta: &Value,
    name: String,
    id: &str,
) -> Result<Message, Error> {
    let meta_location = location.child("x-zenith");
    let meta = as_object(meta, &meta_location)?;
    let text = |key: &str| -> Result<String, Error> {
        meta.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::at(&meta_location, format!("`x-zenith` needs a string `{key}`")))
    };
    let wildcard = |value: String| if value == "*" { None } else { Some(value) };
    let direction = match text("direction")?.as_str() {
        "send" => Direction::Send,
        "receive" => Direction::Receive,
        other => {
            return Err(Error::at(
                &meta_location.child("direction"),
                format!("direction must be `send` or `receive`, not `{other}`"),
            ));
        }
    };
    let action = text("action")?;
    let reply_topics = match meta.get("replyTopics") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::at(&meta_location.child("replyTopics"), "replyTopics must be strings"))?,
        Some(_) => {
            return Err(Error::at(&meta_location.child("replyTopics"), "replyTopics must be an array"));
        }
    };
    let arguments = match meta.get("arguments") {
        Some(arguments) => Some(topic_arguments(arguments, &meta_location.child("arguments"))?),
        None => None,
    };
    let permissions = match meta.get("permissions") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| Error::at(&meta_location.child("permissions"), "permissions must be strings"))?,
        ),
        Some(_) => return Err(Error::at(&meta_location.child("permissions"), "permissions must be an array")),
    };
    const KEYS: [&str; 7] = ["controller", "topic", "action", "direction", "replyTopics", "permissions", "arguments"];
    if let Some(unknown) = meta.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Error::at(&meta_location, format!("unknown `x-zenith` key `{unknown}`")));
    }
    let examples = match root.get("examples") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(Error::at(&location.child("examples"), "`examples` must be an array"));
        }
    };
    Ok(Message {
        name,
        location: location.clone(),
        schema_id: id.to_owned(),
        doc: root.get("description").and_then(Value::as_str).unwrap_or_default().to_owned(),
        controller: wildcard(text("controller")?),
        topic: wildcard(text("topic")?),
        action,
        direction,
        reply_topics,
        permissions,
        arguments,
        examples,
    })
}

fn topic_arguments(arguments: &Value, location: &Location) -> Result<Arguments, Error> {
    let object = as_object(arguments, location)?;
    if let Some(unknown) = object.keys().find(|k| !["forms", "parts"].contains(&k.as_str())) {
        return Err(Error::at(location, format!("unknown `arguments` key `{unknown}`")));
    }
    let parts_location = location.child("parts");
    let parts_object = object.get("parts").map(|p| as_object(p, &parts_location)).transpose()?;
    let mut parts = Vec::new();
    for (name, rule) in parts_object.into_iter().flatten() {
        let at = parts_location.child(name);
        let rule = as_object(rule, &at)?;
        if let Some(unknown) = rule.keys().find(|k| !["description", "pattern"].contains(&k.as_str())) {
            return Err(Error::at(&at, format!("a part has a `description` and a `pattern`, not `{unknown}`")));
        }
        let pattern =
            string_keyword(rule, "pattern", &at)?.ok_or_else(|| Error::at(&at, "a part needs a `pattern`"))?;
        regex::Regex::new(pattern)
            .map_err(|e| Error::at(&at.child("pattern"), format!("pattern is not supported: {e}")))?;
        let doc = string_keyword(rule, "description", &at)?.map(str::to_owned);
        parts.push(Part { name: name.clone(), doc, pattern: pattern.to_owned() });
    }
    let forms_location = location.child("forms");
    let forms_list = object.get("forms").and_then(Value::as_array).filter(|f| !f.is_empty());
    let forms_list = forms_list.ok_or_else(|| Error::at(&forms_location, "`forms` must list at least one form"))?;
    let mut forms = Vec::new();
    for (index, form) in forms_list.iter().enumerate() {
        let at = forms_location.child(&index.to_string());
        let text = form.as_str().ok_or_else(|| Error::at(&at, "a form is a string such as `{Code}.{Market}`"))?;
        let form = parse_form(text).map_err(|reason| Error::at(&at, reason))?;
        if let Some(unknown) = form.parts.iter().find(|p| !parts.iter().any(|part| &part.name == *p)) {
            return Err(Error::at(&at, format!("`{{{unknown}}}` is not among the `parts`")));
        }
        if forms.iter().any(|f: &Form| f.text == form.text) {
            return Err(Error::at(&at, format!("the form `{}` is listed twice", form.text)));
        }
        forms.push(form);
    }
    if forms.iter().all(|f| f.parts.is_empty()) {
        return Err(Error::at(
            &forms_location,
            "a topic whose only form is `\"\"` takes no arguments: leave `arguments` out",
        ));
    }
    Ok(Arguments { forms, parts, location: location.clone() })
}

/// Splits a form such as `{Code}.{Market}` into its parts and the literal text around them.
/// The empty form is the topic alone, with no `!`: its arguments are optional.
fn parse_form(text: &str) -> Result<Form, String> {
    if text.is_empty() {
        return Ok(Form { text: String::new(), parts: Vec::new(), literals: vec![String::new()] });
    }
    let mut parts = Vec::new();
    let mut literals = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or_else(|| format!("`{{` without `}}` in `{text}`"))? + open;
        let name = &rest[open + 1..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("`{{{name}}}` in `{text}` is not a part name"));
        }
        if !parts.is_empty() && open == 0 {
            return Err(format!("two parts of `{text}` have nothing between them to tell them apart"));
        }
        literals.push(rest[..open].to_owned());
        parts.push(name.to_owned());
        rest = &rest[close + 1..];
    }
    literals.push(rest.to_owned());
    if parts.is_empty() {
        return Err(format!("`{text}` has no part"));
    }
    if literals.iter().any(|l| l.contains(['{', '}', '[', ']'])) {
        return Err(format!("`{text}`: optional parts and braces in literal text are not supported"));
    }
    Ok(Form { text: text.to_owned(), parts, literals })
}

struct Builder<'a> {
    schemas: &'a SchemaSet,
    types: Vec<TypeDef>,
    /// Named types already defined, by the location of their schema.
    by_location: HashMap<Location, String>,
}

impl Builder<'_> {
    /// Defines (once) the named type whose schema is at `location`, and returns its name.
    fn named_type(&mut self, location: &Location, schema: &Value, title: &str) -> Result<String, Error> {
        if let Some(name) = self.by_location.get(location) {
            return Ok(name.clone());
        }
        let name = rust_name(title, Case::Type);
        self.by_location.insert(location.clone(), name.clone());
        if let Value::Bool(allowed) = schema {
            let shape = if *allowed { Shape::Any } else { Shape::Never };
            self.types.push(TypeDef {
                name: name.clone(),
                location: location.clone(),
                doc: None,
                kind: TypeKind::Alias { shape },
            });
            return Ok(name);
        }
        let object = as_object(schema, location)?;
        check_keywords(object, location)?;
        let doc = string_keyword(object, "description", location)?.map(str::to_owned);
        let kind = if object.get("x-zenith-tag").is_some_and(Value::is_number) {
            self.choice(location, object)?
        } else if let Some(rust) = string_keyword(object, "x-zenith-runtime", location)? {
            TypeKind::Runtime { rust: rust.to_owned(), shape: self.shape(location, object, &name)? }
        } else if let Some(values) = object.get("enum") {
            TypeKind::Enum { values: string_enum(values, &location.child("enum"))?, open: false }
        } else if let Some(known) = object.get("x-zenith-known") {
            if object.get("type").and_then(Value::as_str) != Some("string") {
                return Err(Error::at(location, "`x-zenith-known` (an open code table) needs `\"type\": \"string\"`"));
            }
            if let Some(rule) =
                ["pattern", "format", "minLength", "maxLength", "const"].iter().find(|k| object.contains_key(**k))
            {
                return Err(Error::at(location, format!("`{rule}` beside `x-zenith-known` is not supported")));
            }
            TypeKind::Enum { values: string_enum(known, &location.child("x-zenith-known"))?, open: true }
        } else if is_map(object) {
            TypeKind::Alias { shape: self.shape(location, object, &name)? }
        } else if is_object_schema(object) {
            self.struct_kind(location, object, &name)?
        } else {
            TypeKind::Alias { shape: self.shape(location, object, &name)? }
        };
        self.types.push(TypeDef { name: name.clone(), location: location.clone(), doc, kind });
        Ok(name)
    }

    fn struct_kind(&mut self, location: &Location, object: &Map<String, Value>, name: &str) -> Result<TypeKind, Error> {
        let required: Vec<&str> = match object.get("required") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(Value::as_str)
                .collect::<Option<_>>()
                .ok_or_else(|| Error::at(&location.child("required"), "`required` must list strings"))?,
            Some(_) => {
                return Err(Error::at(&location.child("required"), "`required` must be an array"));
            }
        };
        let properties_location = location.child("properties");
        let empty = Map::new();
        let properties = match object.get("properties") {
            Some(p) => as_object(p, &properties_location)?,
            None => &empty,
        };
        if required.len() > 64 {
            return Err(Error::at(&location.child("required"), "more than 64 required properties are not supported"));
        }
        if let Some(missing) = required.iter().find(|r| !properties.contains_key(**r)) {
            return Err(Error::at(
                &location.child("required"),
                format!("`{missing}` is required but not among `properties`"),
            ));
        }
        let mut fields = Vec::new();
        for (wire, schema) in properties {
            let field_location = properties_location.child(wire);
            if let Value::Bool(allowed) = schema {
                let shape = if *allowed { Shape::Any } else { Shape::Never };
                let (rust, required) = (rust_name(wire, Case::Field), required.contains(&wire.as_str()));
                let location = field_location;
                fields.push(Field {
                    wire: wire.clone(),
                    rust,
                    doc: None,
                    required,
                    shape,
                    secret: false,
                    fixed: false,
                    constant: None,
                    default: None,
                    location,
                });
                continue;
            }
            let field_object = as_object(schema, &field_location)?;
            check_keywords(field_object, &field_location)?;
            let rust = rust_name(wire, Case::Field);
            let hint = format!("{name}{}", rust_name(wire, Case::Type));
            let secret = match field_object.get("x-zenith-secret") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    return Err(Error::at(&field_location.child("x-zenith-secret"), "must be a boolean"));
                }
            };
            let shape = self.shape(&field_location, field_object, &hint)?;
            if secret && !matches!(shape, Shape::String(_)) {
                return Err(Error::at(&field_location, "`x-zenith-secret` is supported on string properties only"));
            }
            if let Some(constant) = field_object.get("const") {
                let Some(text) = constant.as_str() else {
                    return Err(Error::at(&field_location.child("const"), "only string constants are supported"));
                };
                if !self.string_fits(text, &shape) {
                    return Err(Error::at(
                        &field_location.child("const"),
                        format!("`{text}` breaks the property's own type rules"),
                    ));
                }
            }
            let fixed = match field_object.get("x-zenith-fixed") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(Error::at(&field_location.child("x-zenith-fixed"), "must be a boolean")),
            };
            fields.push(Field {
                wire: wire.clone(),
                fixed,
                doc: field_object.get("description").and_then(Value::as_str).map(str::to_owned),
                required: required.contains(&wire.as_str()),
                rust,
                shape,
                secret,
                constant: field_object.get("const").cloned(),
                default: field_object.get("default").cloned(),
                location: field_location,
            });
        }
        if let Some(clash) =
            fields.iter().enumerate().find_map(|(i, f)| fields[..i].iter().find(|g| g.rust == f.rust).map(|g| (f, g)))
        {
            return Err(Error::at(
                &clash.0.location,
                format!("`{}` and `{}` both become the Rust field `{}`", clash.0.wire, clash.1.wire, clash.0.rust),
            ));
        }
        let additional_properties = match object.get("additionalProperties") {
            None | Some(Value::Bool(true)) => true,
            Some(Value::Bool(false)) => false,
            Some(_) => {
                return Err(Error::at(&location.child("additionalProperties"), "only `true` or `false` is supported"));
            }
        };
        let typed = object.get("type").and_then(Value::as_str) == Some("object");
        let union = match object.get("x-zenith-tag") {
            Some(tag) => Some(self.union(location, object, tag, &fields)?),
            None if object.contains_key("oneOf") => {
                return Err(Error::at(
                    &location.child("oneOf"),
                    "`oneOf` on an object needs `x-zenith-tag`, naming the property that tells the variants apart",
                ));
            }
            None => None,
        };
        let changes = match object.get("x-zenith-changes") {
            Some(changes) => {
                Some(self.changes(&location.child("x-zenith-changes"), changes, union.as_ref(), &fields)?)
            }
            None => None,
        };
        Ok(TypeKind::Struct { fields, additional_properties, typed, union, changes })
    }

    /// Whether a string constant satisfies `shape` (so checking the constant alone is enough).
    fn string_fits(&self, text: &str, shape: &Shape) -> bool {
        let rules_fit = |rules: &StringRules| {
            rules.pattern.as_ref().is_none_or(|p| regex::Regex::new(p).is_ok_and(|r| r.is_match(text)))
                && rules.min_length.is_none_or(|min| text.chars().count() as u64 >= min)
                && rules.max_length.is_none_or(|max| text.chars().count() as u64 <= max)
                && rules.format.is_none()
        };
        match shape {
            Shape::Any => true,
            Shape::Const(constant) => constant == text,
            Shape::String(rules) => rules_fit(rules),
            Shape::Multi { types, string, .. } => types.contains(&JsonType::String) && rules_fit(string),
            Shape::Named(name) => match self.types.iter().find(|t| &t.name == name).map(|t| &t.kind) {
                Some(TypeKind::Enum { values, .. }) => values.iter().any(|v| v == text),
                Some(TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. }) => self.string_fits(text, shape),
                _ => false,
            },
            _ => false,
        }
    }

    /// The shape of a value schema; inline objects and enums become named types.
    fn shape(&mut self, location: &Location, object: &Map<String, Value>, hint: &str) -> Result<Shape, Error> {
        if let Some(reference) = object.get("$ref") {
            let reference =
                reference.as_str().ok_or_else(|| Error::at(&location.child("$ref"), "`$ref` must be a string"))?;
            if let Some(extra) = object.keys().find(|k| !REF_SIBLINGS.contains(&k.as_str())) {
                return Err(Error::at(location, format!("`{extra}` beside `$ref` is not supported")));
            }
            let (target_location, target) = self.schemas.resolve(location, reference)?;
            let title = target_title(&target_location, target)?;
            return Ok(Shape::Named(self.named_type(&target_location, target, &title)?));
        }
        if let Some(branches) = object.get("oneOf").filter(|_| !object.contains_key("x-zenith-tag")) {
            return self.nullable(location, object, branches, hint);
        }
        if let Some(flags) = object.get("x-zenith-flags") {
            return self.flags(location, object, flags);
        }
        if is_map(object) {
            let values_location = location.child("additionalProperties");
            let values = as_object(&object["additionalProperties"], &values_location)?;
            check_keywords(values, &values_location)?;
            return Ok(Shape::Map(Box::new(self.shape(&values_location, values, &format!("{hint}Value"))?)));
        }
        let is_root = location.pointer.is_empty()
            || location.pointer.starts_with("/$defs/") && location.pointer.matches('/').count() == 2;
        if !is_root
            && (object.contains_key("enum")
                || object.contains_key("x-zenith-known")
                || object.get("x-zenith-tag").is_some_and(Value::is_number)
                || is_object_schema(object))
        {
            let title = object.get("title").and_then(Value::as_str).unwrap_or(hint).to_owned();
            return Ok(Shape::Named(self.named_type(location, &Value::Object(object.clone()), &title)?));
        }
        let types = match object.get("type") {
            None => Vec::new(),
            Some(Value::String(name)) => vec![json_type(name, &location.child("type"))?],
            Some(Value::Array(names)) => names
                .iter()
                .enumerate()
                .map(|(i, n)| json_type(n.as_str().unwrap_or(""), &location.child("type").child(&i.to_string())))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(Error::at(&location.child("type"), "`type` must be a string or an array of strings"));
            }
        };
        let string = string_rules(object, location)?;
        let items = match object.get("items") {
            Some(Value::Bool(allowed)) => Some(Box::new(if *allowed { Shape::Any } else { Shape::Never })),
            Some(items) => {
                let items_location = location.child("items");
                let items_object = as_object(items, &items_location)?;
                check_keywords(items_object, &items_location)?;
                Some(Box::new(self.shape(&items_location, items_object, &format!("{hint}Item"))?))
            }
            None => None,
        };
        let string_only_rules = string != StringRules::default();
        let single = |t: JsonType, items: Option<Box<Shape>>| match t {
            JsonType::String => Shape::String(string.clone()),
            JsonType::Integer => Shape::Integer,
            JsonType::Number => Shape::Number,
            JsonType::Boolean => Shape::Boolean,
            JsonType::Array => Shape::Array(items.take_or_any()),
            other => Shape::Multi { types: vec![other], string: string.clone(), items },
        };
        let shape = match types.as_slice() {
            _ if object.contains_key("const") => {
                let constant = &object["const"];
                let text = constant
                    .as_str()
                    .ok_or_else(|| Error::at(&location.child("const"), "only string constants are supported"))?;
                if !(types.is_empty() || types.contains(&JsonType::String)) || string != StringRules::default() {
                    return Err(Error::at(&location.child("const"), "`const` is supported beside `$ref` or alone"));
                }
                Shape::Const(text.to_owned())
            }
            // No `type` but rules: they apply to values of their own type, anything else passes.
            [] if string_only_rules || items.is_some() => Shape::Multi { types: JsonType::ALL.to_vec(), string, items },
            [] => Shape::Any,
            [t @ (JsonType::String | JsonType::Integer | JsonType::Number | JsonType::Boolean | JsonType::Array)] => {
                single(*t, items.clone())
            }
            // `null` means something here (absent means something else).
            [t, JsonType::Null] | [JsonType::Null, t] if *t != JsonType::Object && *t != JsonType::Null => {
                Shape::Nullable(Box::new(single(*t, items.clone())))
            }
            _ => Shape::Multi { types: types.clone(), string: string.clone(), items: items.clone() },
        };
        let applies = |t| types.is_empty() || types.contains(&t);
        if string_only_rules && !applies(JsonType::String) {
            return Err(Error::at(location, "string rules on a schema that cannot be a string"));
        }
        Ok(shape)
    }
}

impl Builder<'_> {
    /// `oneOf` with exactly one `{"type": "null"}` branch: the other branch, or `null`.
    fn nullable(
        &mut self,
        location: &Location,
        object: &Map<String, Value>,
        branches: &Value,
        hint: &str,
    ) -> Result<Shape, Error> {
        let branches_location = location.child("oneOf");
        let refused = || {
            Error::at(
                &branches_location,
                "`oneOf` is supported for a value or `null` (two branches, one `{\"type\": \"null\"}`), and with `x-zenith-tag` on an object",
            )
        };
        let Some([first, second]) = branches.as_array().map(Vec::as_slice) else { return Err(refused()) };
        let is_null = |branch: &Value| {
            branch.as_object().is_some_and(|b| b.len() == 1 && b.get("type") == Some(&Value::from("null")))
        };
        let (index, other) = match (is_null(first), is_null(second)) {
            (false, true) => (0, first),
            (true, false) => (1, second),
            _ => return Err(refused()),
        };
        if let Some(extra) = object
            .keys()
            .find(|k| !["oneOf", "description", "title", "$comment", "examples", "default"].contains(&k.as_str()))
        {
            return Err(Error::at(location, format!("`{extra}` beside a nullable `oneOf` is not supported")));
        }
        let other_location = branches_location.child(&index.to_string());
        let other = as_object(other, &other_location)?;
        check_keywords(other, &other_location)?;
        let inner = self.shape(&other_location, other, hint)?;
        if matches!(inner, Shape::Nullable(_)) {
            return Err(Error::at(&other_location, "a nullable value inside a nullable value"));
        }
        Ok(Shape::Nullable(Box::new(inner)))
    }

    /// The variants of a tagged union: each `oneOf` branch names its tag value (`const`), what
    /// it requires, and what it forbids (`false`); nothing else.
    /// A variant's `if`/`then`: `{"if": {"properties": {"P": {"const": "V"}}, "required": ["P"]},
    /// "then": {"required": [...]}}`, where `P` is a string property other than the tag.
    fn condition(
        &self,
        branch: &Map<String, Value>,
        at: &Location,
        tag: &str,
        fields: &[Field],
        forbidden: &[String],
    ) -> Result<Option<Condition>, Error> {
        let (when, then) = match (branch.get("if"), branch.get("then")) {
            (None, None) => return Ok(None),
            (Some(when), Some(then)) => (when, then),
            _ => return Err(Error::at(at, "`if` and `then` come together")),
        };
        let if_at = at.child("if");
        let shape = "`if` is `{\"properties\": {\"P\": {\"const\": \"V\"}}, \"required\": [\"P\"]}`";
        let when = as_object(when, &if_at)?;
        let properties = when.get("properties").and_then(Value::as_object).filter(|p| p.len() == 1);
        let (property, rule) = properties.and_then(|p| p.iter().next()).ok_or_else(|| Error::at(&if_at, shape))?;
        let value = rule
            .as_object()
            .filter(|r| r.len() == 1)
            .and_then(|r| r.get("const"))
            .and_then(Value::as_str)
            .ok_or_else(|| Error::at(&if_at, shape))?;
        let required_property = when.get("required") == Some(&Value::Array(vec![Value::from(property.as_str())]));
        if when.len() != 2 || !required_property {
            return Err(Error::at(&if_at, shape));
        }
        let field = fields
            .iter()
            .find(|f| &f.wire == property)
            .ok_or_else(|| Error::at(&if_at, format!("`{property}` is not among the object's `properties`")))?;
        if property == tag || !self.is_string(&field.shape) {
            return Err(Error::at(&if_at, format!("`{property}` must be a string property other than the tag")));
        }
        let then_at = at.child("then");
        let then = as_object(then, &then_at)?;
        let listed = then.get("required").and_then(Value::as_array).filter(|_| then.len() == 1);
        let listed = listed.ok_or_else(|| Error::at(&then_at, "`then` is `{\"required\": [...]}`"))?;
        let mut required = Vec::new();
        for name in listed {
            let name = name.as_str().ok_or_else(|| Error::at(&then_at, "`required` must list strings"))?;
            if !fields.iter().any(|f| f.wire == name) || forbidden.iter().any(|f| f == name) {
                return Err(Error::at(&then_at, format!("`{name}` is not a property this variant allows")));
            }
            required.push(name.to_owned());
        }
        Ok(Some(Condition {
            property: property.clone(),
            value: value.to_owned(),
            required,
            location: then_at.child("required"),
        }))
    }

    /// Whether values of `shape` are always strings.
    fn is_string(&self, shape: &Shape) -> bool {
        match shape {
            Shape::String(_) | Shape::Const(_) => true,
            Shape::Named(name) => self.types.iter().find(|t| &t.name == name).is_some_and(|t| match &t.kind {
                TypeKind::Enum { .. } => true,
                TypeKind::Alias { shape } => self.is_string(shape),
                _ => false,
            }),
            _ => false,
        }
    }

    fn union(
        &mut self,
        location: &Location,
        object: &Map<String, Value>,
        tag: &Value,
        fields: &[Field],
    ) -> Result<Union, Error> {
        let tag_location = location.child("x-zenith-tag");
        let tag = tag.as_str().ok_or_else(|| Error::at(&tag_location, "must name a property"))?.to_owned();
        let Some(tag_field) = fields.iter().find(|f| f.wire == tag) else {
            return Err(Error::at(&tag_location, format!("`{tag}` is not among the object's `properties`")));
        };
        if !tag_field.required {
            return Err(Error::at(&tag_location, format!("the tag `{tag}` must be required")));
        }
        if fields.len() > 64 {
            return Err(Error::at(location, "a tagged union with more than 64 properties is not supported"));
        }
        let union_location = location.child("oneOf");
        let branches = object
            .get("oneOf")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::at(location, "`x-zenith-tag` needs a `oneOf` of variants"))?;
        let mut variants: Vec<Variant> = Vec::new();
        for (index, branch) in branches.iter().enumerate() {
            let at = union_location.child(&index.to_string());
            let branch = as_object(branch, &at)?;
            if let Some(extra) = branch.keys().find(|k| {
                !["title", "description", "$comment", "properties", "required", "if", "then"].contains(&k.as_str())
            }) {
                return Err(Error::at(
                    &at,
                    format!(
                        "`{extra}` in a variant: a variant says only which tag value it is for, what it requires and what it forbids"
                    ),
                ));
            }
            let title = string_keyword(branch, "title", &at)?
                .ok_or_else(|| Error::at(&at, "every variant needs a `title` (it names the Rust type)"))?;
            let mut value = None;
            let mut forbidden = Vec::new();
            let empty = Map::new();
            let properties = match branch.get("properties") {
                Some(p) => as_object(p, &at.child("properties"))?,
                None => &empty,
            };
            for (name, rule) in properties {
                let rule_at = at.child("properties").child(name);
                if !fields.iter().any(|f| &f.wire == name) {
                    return Err(Error::at(&rule_at, format!("`{name}` is not among the object's `properties`")));
                }
                match rule {
                    Value::Bool(true) => {}
                    Value::Bool(false) => forbidden.push(name.clone()),
                    Value::Object(o)
                        if *name == tag && o.len() == 1 && o.get("const").is_some_and(Value::is_string) =>
                    {
                        value = o["const"].as_str().map(str::to_owned);
                    }
                    _ => {
                        return Err(Error::at(
                            &rule_at,
                            "a variant's property is `true`, `false`, or for the tag `{\"const\": ...}`",
                        ));
                    }
                }
            }
            let value = value.ok_or_else(|| {
                Error::at(&at, format!("the variant needs `\"{tag}\": {{\"const\": ...}}` among its properties"))
            })?;
            let mut required: Vec<String> = fields.iter().filter(|f| f.required).map(|f| f.wire.clone()).collect();
            if let Some(listed) = branch.get("required") {
                for name in listed.as_array().into_iter().flatten() {
                    let name = name
                        .as_str()
                        .ok_or_else(|| Error::at(&at.child("required"), "`required` must list strings"))?;
                    if !fields.iter().any(|f| f.wire == name) {
                        return Err(Error::at(
                            &at.child("required"),
                            format!("`{name}` is not among the object's `properties`"),
                        ));
                    }
                    if !required.iter().any(|r| r == name) {
                        required.push(name.to_owned());
                    }
                }
            }
            if let Some(both) = required.iter().find(|r| forbidden.contains(r)) {
                return Err(Error::at(&at, format!("`{both}` is both required and forbidden")));
            }
            if variants.iter().any(|v| v.value == value) {
                return Err(Error::at(&at, format!("two variants are for `{tag}` `{value}`")));
            }
            let condition = self.condition(branch, &at, &tag, fields, &forbidden)?;
            variants.push(Variant {
                name: rust_name(title, Case::Type),
                value,
                doc: branch.get("description").and_then(Value::as_str).map(str::to_owned),
                required,
                forbidden,
                condition,
                location: at,
            });
        }
        // The tag's own enum reports an unknown tag, so it must list exactly the variants.
        let values = match &tag_field.shape {
            Shape::Named(name) => self.types.iter().find(|t| &t.name == name).and_then(|t| match &t.kind {
                TypeKind::Enum { values, open: false } => Some(values.clone()),
                _ => None,
            }),
            _ => None,
        };
        let mut listed = values.ok_or_else(|| {
            Error::at(&tag_field.location, "a union's tag must be a closed `enum` of the variants' values")
        })?;
        let mut tags: Vec<String> = variants.iter().map(|v| v.value.clone()).collect();
        listed.sort();
        tags.sort();
        if listed != tags {
            return Err(Error::at(
                &tag_field.location,
                format!(
                    "the tag's `enum` ({}) must list exactly the variants' values ({})",
                    listed.join(", "),
                    tags.join(", ")
                ),
            ));
        }
        Ok(Union { tag, variants, location: union_location })
    }

    /// `x-zenith-changes`, for keyed records
    /// `{"key": ["/Order/ID"], "operations": {"A": "add", ...}, "ordered": false}`, positional
    /// ones `{"position": {"at": "/At", "count": "/Count", "items": "/Members"}, "operations":
    /// {...}}`, and records without a tag `{"key": [...], "when": [{"property": "/Type",
    /// "equals": "", "operation": "clear", "scope": "/Account"}], "otherwise": "set"}`. Each path
    /// must start at one of the record's properties; where they lead is checked by
    /// [`check_changes`].
    fn changes(
        &self,
        at: &Location,
        changes: &Value,
        union: Option<&Union>,
        fields: &[Field],
    ) -> Result<Changes, Error> {
        const KEYS: [&str; 7] = ["key", "position", "operations", "when", "otherwise", "ordered", "snapshot"];
        let object = as_object(changes, at)?;
        if let Some(extra) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(Error::at(
                at,
                format!("`{extra}`: change rules have {}", KEYS.map(|k| format!("`{k}`")).join(", ")),
            ));
        }
        let path_of = |at: &Location, pointer: &Value, depth: usize| -> Result<Vec<String>, Error> {
            let path: Vec<String> = match pointer.as_str().and_then(|p| p.strip_prefix('/')) {
                Some(p) => p.split('/').map(str::to_owned).collect(),
                None => return Err(Error::at(at, "a JSON Pointer into the record, such as `/Order/ID`")),
            };
            if !fields.iter().any(|f| f.wire == path[0]) {
                return Err(Error::at(at, format!("`{}` is not among the record's `properties`", path[0])));
            }
            if path.len() > depth {
                return Err(Error::at(at, format!("at most {depth} properties deep")));
            }
            Ok(path)
        };
        let mut reads = Vec::new();
        let position = match (object.get("key"), object.get("position")) {
            (Some(key), None) => {
                let key_at = at.child("key");
                let pointers = key.as_array().filter(|k| !k.is_empty());
                let pointers =
                    pointers.ok_or_else(|| Error::at(&key_at, "`key` lists JSON Pointers into the record"))?;
                for (index, pointer) in pointers.iter().enumerate() {
                    reads.push(path_of(&key_at.child(&index.to_string()), pointer, 2)?);
                }
                None
            }
            (None, Some(position)) => {
                let position_at = at.child("position");
                let mut slots = [0; 3];
                for (slot, name) in slots.iter_mut().zip(["at", "count", "items"]) {
                    let pointer = position.get(name).ok_or_else(|| {
                        Error::at(&position_at, "`position` names the record's `at`, `count` and `items` properties")
                    })?;
                    *slot = reads.len();
                    reads.push(path_of(&position_at.child(name), pointer, 1)?);
                }
                Some(slots)
            }
            _ => return Err(Error::at(at, "change rules have either a `key` or a `position`")),
        };
        let key_parts = if position.is_some() { 0 } else { reads.len() };
        let allowed = if position.is_some() { Operation::POSITIONAL } else { Operation::KEYED };
        let operation_at = |at: &Location, name: Option<&Value>| -> Result<Operation, Error> {
            name.and_then(Value::as_str).and_then(Operation::named).filter(|o| allowed.contains(o)).ok_or_else(|| {
                let names: Vec<&str> =
                    Operation::ALL.iter().filter(|(_, o)| allowed.contains(o)).map(|(n, _)| *n).collect();
                Error::at(at, format!("an operation here is one of `{}`", names.join("`, `")))
            })
        };
        let mut operations = Vec::new();
        let mut when = Vec::new();
        let mut otherwise = None;
        match union {
            Some(union) => {
                let operations_at = at.child("operations");
                let listed = object.get("operations").and_then(Value::as_object);
                let listed = listed
                    .ok_or_else(|| Error::at(&operations_at, "`operations` maps each tag value to what it does"))?;
                for (value, operation) in listed {
                    operations.push((value.clone(), operation_at(&operations_at.child(value), Some(operation))?));
                }
                let mut named: Vec<&String> = operations.iter().map(|(v, _)| v).collect();
                let mut all: Vec<&String> = union.variants.iter().map(|v| &v.value).collect();
                named.sort();
                all.sort();
                if named != all {
                    return Err(Error::at(&operations_at, "`operations` must name every tag value, and only those"));
                }
                if let Some(extra) = ["when", "otherwise"].iter().find(|k| object.contains_key(**k)) {
                    return Err(Error::at(&at.child(extra), "a record with a tag says what it does by its tag"));
                }
            }
            None => {
                if object.contains_key("operations") || position.is_some() {
                    return Err(Error::at(
                        at,
                        "a record without a tag (`x-zenith-tag`) has a `key`, `otherwise`, and may have `when`",
                    ));
                }
                let when_at = at.child("when");
                let rules = object.get("when").and_then(Value::as_array);
                for (index, rule) in rules.into_iter().flatten().enumerate() {
                    let rule_at = when_at.child(&index.to_string());
                    let path = path_of(&rule_at.child("property"), rule.get("property").unwrap_or(&Value::Null), 1)?;
                    let equals = rule.get("equals").filter(|v| v.is_string() || v.is_number()).cloned();
                    let equals = equals.ok_or_else(|| Error::at(&rule_at.child("equals"), "a string or a number"))?;
                    let operation = operation_at(&rule_at.child("operation"), rule.get("operation"))?;
                    let scope = match rule.get("scope") {
                        None => None,
                        Some(pointer) => {
                            let scope_at = rule_at.child("scope");
                            let path = path_of(&scope_at, pointer, 2)?;
                            // The first part: the records a clear scopes are those whose key starts with it.
                            let part = reads.first().filter(|p| **p == path).map(|_| 0);
                            if operation != Operation::Clear || part.is_none() {
                                return Err(Error::at(&scope_at, "a scope is the key's first part, for a clear"));
                            }
                            part
                        }
                    };
                    let read = match reads.iter().position(|p| *p == path) {
                        Some(read) => read,
                        None => {
                            reads.push(path);
                            reads.len() - 1
                        }
                    };
                    when.push(When { read, equals, operation, scope });
                }
                otherwise = Some(operation_at(&at.child("otherwise"), object.get("otherwise"))?);
            }
        }
        // The one pass reads the tag and the properties a variant's `if` looks at for the union.
        if let Some(union) = union {
            let conditioned = |name: &String| {
                union.variants.iter().any(|v| v.condition.as_ref().is_some_and(|c| &c.property == name))
            };
            if let Some(path) = reads.iter().find(|p| p[0] == union.tag || conditioned(&p[0])) {
                return Err(Error::at(
                    at,
                    format!("`/{}` is the tag or an `if` of the union: no record is read there", path.join("/")),
                ));
            }
        }
        if reads.len() > MAX_READS {
            return Err(Error::at(at, format!("a record is read for at most {MAX_READS} properties")));
        }
        let ordered = match object.get("ordered") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Error::at(&at.child("ordered"), "must be a boolean")),
        };
        let snapshot = match object.get("snapshot") {
            None => None,
            Some(name) => Some(operation_at(&at.child("snapshot"), Some(name))?),
        };
        Ok(Changes {
            tag: union.map(|u| u.tag.clone()),
            reads,
            key_parts,
            position,
            operations,
            when,
            otherwise,
            ordered,
            snapshot,
            location: at.clone(),
        })
    }

    /// `x-zenith-flags`: codes of a table joined in one string.
    fn flags(&mut self, location: &Location, object: &Map<String, Value>, flags: &Value) -> Result<Shape, Error> {
        let at = location.child("x-zenith-flags");
        let text = |key: &str| {
            flags.get(key).and_then(Value::as_str).ok_or_else(|| Error::at(&at, format!("needs a string `{key}`")))
        };
        let (codes, separator) = (text("codes")?, text("separator")?.to_owned());
        if separator.chars().count() != 1 || separator.trim().is_empty() {
            return Err(Error::at(&at.child("separator"), "the separator must be one visible character"));
        }
        if object.get("type").and_then(Value::as_str) != Some("string") {
            return Err(Error::at(location, "`x-zenith-flags` needs `\"type\": \"string\"`"));
        }
        if let Some(rule) =
            ["pattern", "format", "minLength", "maxLength", "const", "enum"].iter().find(|k| object.contains_key(**k))
        {
            return Err(Error::at(location, format!("`{rule}` beside `x-zenith-flags` is not supported")));
        }
        let (target_location, target) = self.schemas.resolve(&at, codes)?;
        let title = target_title(&target_location, target)?;
        let name = self.named_type(&target_location, target, &title)?;
        if !matches!(self.types.iter().find(|t| t.name == name).map(|t| &t.kind), Some(TypeKind::Enum { .. })) {
            return Err(Error::at(
                &at.child("codes"),
                format!("`{codes}` is not a code table (an `enum` or `x-zenith-known` list)"),
            ));
        }
        Ok(Shape::Flags { codes: name, separator })
    }
}

/// An object of any keys whose values share one schema.
fn is_map(object: &Map<String, Value>) -> bool {
    object.get("additionalProperties").is_some_and(Value::is_object) && !object.contains_key("properties")
}

trait TakeOrAny {
    fn take_or_any(self) -> Box<Shape>;
}

impl TakeOrAny for Option<Box<Shape>> {
    fn take_or_any(self) -> Box<Shape> {
        self.unwrap_or_else(|| Box::new(Shape::Any))
    }
}

fn is_object_schema(object: &Map<String, Value>) -> bool {
    object.get("type").and_then(Value::as_str) == Some("object")
        || ["properties", "required", "additionalProperties"].iter().any(|k| object.contains_key(*k))
}

fn target_title(location: &Location, target: &Value) -> Result<String, Error> {
    if let Some(title) = target.get("title").and_then(Value::as_str) {
        return Ok(title.to_owned());
    }
    match location.pointer.strip_prefix("/$defs/") {
        Some(key) if !key.contains('/') => Ok(key.to_owned()),
        _ => Err(Error::at(location, "a `$ref` target needs a `title` or must be a `$defs` entry")),
    }
}

fn check_keywords(object: &Map<String, Value>, location: &Location) -> Result<(), Error> {
    match object.keys().find(|k| !KEYWORDS.contains(&k.as_str())) {
        Some(keyword) => Err(Error::at(location, format!("keyword `{keyword}` is not supported by the generator"))),
        None => Ok(()),
    }
}

fn string_rules(object: &Map<String, Value>, location: &Location) -> Result<StringRules, Error> {
    let length = |key: &str| -> Result<Option<u64>, Error> {
        match object.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))
                .map(Some)
                .ok_or_else(|| Error::at(&location.child(key), format!("`{key}` must be a non-negative integer"))),
        }
    };
    let pattern = string_keyword(object, "pattern", location)?.map(str::to_owned);
    if let Some(pattern) = &pattern {
        regex::Regex::new(pattern)
            .map_err(|e| Error::at(&location.child("pattern"), format!("pattern is not supported: {e}")))?;
    }
    let format = match string_keyword(object, "format", location)? {
        None => None,
        Some(name) => Some(
            Format::ALL
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, format)| *format)
                .ok_or_else(|| Error::at(&location.child("format"), format!("format `{name}` is not supported")))?,
        ),
    };
    Ok(StringRules { pattern, format, min_length: length("minLength")?, max_length: length("maxLength")? })
}

fn string_enum(values: &Value, location: &Location) -> Result<Vec<String>, Error> {
    let items = values.as_array().ok_or_else(|| Error::at(location, "`enum` must be an array"))?;
    let values: Vec<String> = items
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or_else(|| Error::at(location, "only string enums are supported"))?;
    if values.is_empty() {
        return Err(Error::at(location, "`enum` must not be empty"));
    }
    Ok(values)
}

fn json_type(name: &str, location: &Location) -> Result<JsonType, Error> {
    JsonType::parse(name).ok_or_else(|| Error::at(location, format!("unknown type `{name}`")))
}

fn as_object<'v>(value: &'v Value, location: &Location) -> Result<&'v Map<String, Value>, Error> {
    value.as_object().ok_or_else(|| Error::at(location, "expected a schema object"))
}

fn string_keyword<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    location: &Location,
) -> Result<Option<&'v str>, Error> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::at(&location.child(key), format!("`{key}` must be a string"))),
    }
}
