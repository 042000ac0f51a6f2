//! The one in-memory model of every message and type, built from the schema files.
//!
//! Every emitter reads this model; none reads the schema files.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::naming::{Case, rust_name};
use crate::schema::SchemaSet;
use crate::{Error, Location};

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
];

#[derive(Debug)]
pub struct Model {
    /// Named types in discovery order (schema files in path order, properties in schema order).
    pub types: Vec<TypeDef>,
    pub messages: Vec<Message>,
    /// Documented action error codes (`x-zenith-codes`), in schema order.
    pub error_codes: Vec<ErrorCode>,
}

/// One documented action error code.
#[derive(Debug)]
pub struct ErrorCode {
    pub code: String,
    pub meaning: String,
    /// What the optional suffix after a space names, if the code takes one.
    pub suffix: Option<String>,
}

/// Which way a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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
    pub examples: Vec<Value>,
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
    Struct { fields: Vec<Field>, additional_properties: bool, typed: bool },
    /// A string enum. Values the schema does not list are kept, not rejected (see the runtime docs).
    Enum { values: Vec<String> },
    /// A named non-object schema, e.g. `TransactionID` (an integer).
    Alias { shape: Shape },
    /// A hand-written runtime type (`x-zenith-runtime`), with the schema rules it checks.
    Runtime { rust: String, shape: Shape },
}

#[derive(Debug)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    pub doc: Option<String>,
    pub required: bool,
    pub shape: Shape,
    pub secret: bool,
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
}

impl Format {
    pub const ALL: &'static [(&'static str, Format)] =
        &[("zenith-datetime", Format::DateTime), ("zenith-time", Format::Time)];
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
    /// Any JSON value.
    Any,
    Boolean,
    Integer,
    Number,
    String(StringRules),
    Array(Box<Shape>),
    /// Exactly this string (`const`).
    Const(String),
    /// A named type (index into `Model::types` by name).
    Named(String),
    /// Several JSON types at once (`"type": [...]`), with the rules that apply to each.
    Multi {
        types: Vec<JsonType>,
        string: StringRules,
        items: Option<Box<Shape>>,
    },
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
        let mut seen = HashMap::new();
        for ty in &builder.types {
            if let Some(other) = seen.insert(ty.name.clone(), &ty.location) {
                return Err(Error::at(&ty.location, format!("type name `{}` is already used by {other}", ty.name)));
            }
        }
        Ok(Model { types: builder.types, messages, error_codes })
    }

    pub fn type_named(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }
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
    if !["Publish", "Sub", "Unsub", "Error", "Cancel"].contains(&action.as_str()) {
        return Err(Error::at(&meta_location.child("action"), format!("unknown action `{action}`")));
    }
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
    if let Some(unknown) =
        meta.keys().find(|k| !["controller", "topic", "action", "direction", "replyTopics"].contains(&k.as_str()))
    {
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
        examples,
    })
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
        let object = as_object(schema, location)?;
        check_keywords(object, location)?;
        let doc = string_keyword(object, "description", location)?.map(str::to_owned);
        let kind = if let Some(rust) = string_keyword(object, "x-zenith-runtime", location)? {
            TypeKind::Runtime { rust: rust.to_owned(), shape: self.shape(location, object, &name)? }
        } else if let Some(values) = object.get("enum") {
            TypeKind::Enum { values: string_enum(values, &location.child("enum"))? }
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
            fields.push(Field {
                wire: wire.clone(),
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
        Ok(TypeKind::Struct { fields, additional_properties, typed })
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
                Some(TypeKind::Enum { values }) => values.iter().any(|v| v == text),
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
        let is_root = location.pointer.is_empty()
            || location.pointer.starts_with("/$defs/") && location.pointer.matches('/').count() == 2;
        if !is_root && (object.contains_key("enum") || is_object_schema(object)) {
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
            Some(items) => {
                let items_location = location.child("items");
                let items_object = as_object(items, &items_location)?;
                check_keywords(items_object, &items_location)?;
                Some(Box::new(self.shape(&items_location, items_object, &format!("{hint}Item"))?))
            }
            None => None,
        };
        let string_only_rules = string != StringRules::default();
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
            [JsonType::String] => Shape::String(string),
            [JsonType::Integer] => Shape::Integer,
            [JsonType::Number] => Shape::Number,
            [JsonType::Boolean] => Shape::Boolean,
            [JsonType::Array] => Shape::Array(items.take_or_any()),
            _ => Shape::Multi { types: types.clone(), string: string.clone(), items: items.clone() },
        };
        let applies = |t| types.is_empty() || types.contains(&t);
        if string_only_rules && !applies(JsonType::String) {
            return Err(Error::at(location, "string rules on a schema that cannot be a string"));
        }
        Ok(shape)
    }
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
