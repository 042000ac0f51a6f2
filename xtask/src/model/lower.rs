//! Schema lowering: each schema node becomes a named type or a shape of the model.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::ir::{BranchKind, Field, Format, JsonType, Shape, StringRules, TypeDef, TypeId, TypeKind};
use super::json::{as_object, check_keywords, json_types, string_enum, string_keyword};
use super::{changes, choice, union};
use crate::naming::{Case, rust_name};
use crate::schema::SchemaSet;
use crate::{Error, Location};

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
    "x-zenith-drift",
];

/// Builds the named types, each once, as schemas are read.
///
/// A type gets its id when its definition starts (so a type may refer to itself), and takes its
/// place in the model when its definition is complete: [`Builder::finish`] renumbers the ids.
pub(super) struct Builder<'a> {
    schemas: &'a SchemaSet,
    /// The types by the id given when their definition started; `None` while being defined.
    types: Vec<Option<TypeDef>>,
    /// Each type's name, by the same id.
    names: Vec<String>,
    /// The ids in the order their definitions were completed: the model's order.
    completed: Vec<TypeId>,
    /// Named types already defined, by the location of their schema.
    by_location: HashMap<Location, TypeId>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(schemas: &'a SchemaSet) -> Builder<'a> {
        Builder { schemas, types: Vec::new(), names: Vec::new(), completed: Vec::new(), by_location: HashMap::new() }
    }

    /// The name of a type whose definition has started.
    pub(super) fn name(&self, id: TypeId) -> &str {
        &self.names[id.0]
    }

    /// A type whose definition is complete.
    fn defined(&self, id: TypeId) -> Option<&TypeDef> {
        self.types.get(id.0).and_then(Option::as_ref)
    }

    /// The named types in the order their definitions were completed, with every id renumbered
    /// to match; and the new id of each id handed out while building.
    pub(super) fn finish(self) -> (Vec<TypeDef>, Vec<TypeId>) {
        let mut renumbered = vec![TypeId(usize::MAX); self.types.len()];
        for (index, id) in self.completed.iter().enumerate() {
            renumbered[id.0] = TypeId(index);
        }
        let mut slots = self.types;
        let mut types: Vec<TypeDef> = self.completed.iter().filter_map(|id| slots[id.0].take()).collect();
        for ty in &mut types {
            renumber_kind(&mut ty.kind, &renumbered);
        }
        (types, renumbered)
    }

    /// Defines (once) the named type whose schema is at `location`, and returns its id.
    pub(super) fn named_type(&mut self, location: &Location, schema: &Value, title: &str) -> Result<TypeId, Error> {
        if let Some(id) = self.by_location.get(location) {
            return Ok(*id);
        }
        let name = rust_name(title, Case::Type);
        let id = TypeId(self.types.len());
        self.types.push(None);
        self.names.push(name.clone());
        self.by_location.insert(location.clone(), id);
        let (doc, kind) = self.type_kind(location, schema, &name)?;
        self.types[id.0] = Some(TypeDef { name, location: location.clone(), doc, kind });
        self.completed.push(id);
        Ok(id)
    }

    /// The description and the kind of the type named `name`, whose schema is at `location`.
    fn type_kind(
        &mut self,
        location: &Location,
        schema: &Value,
        name: &str,
    ) -> Result<(Option<String>, TypeKind), Error> {
        if let Value::Bool(allowed) = schema {
            let shape = if *allowed { Shape::Any } else { Shape::Never };
            return Ok((None, TypeKind::Alias { shape }));
        }
        let object = as_object(schema, location)?;
        check_keywords(object, location)?;
        let doc = string_keyword(object, "description", location)?.map(str::to_owned);
        let kind = if object.get("x-zenith-tag").is_some_and(Value::is_number) {
            choice::parse(self, location, object)?
        } else if let Some(rust) = string_keyword(object, "x-zenith-runtime", location)? {
            TypeKind::Runtime { rust: rust.to_owned(), shape: self.shape(location, object, name)? }
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
            TypeKind::Alias { shape: self.shape(location, object, name)? }
        } else if is_object_schema(object) {
            self.struct_kind(location, object, name)?
        } else {
            TypeKind::Alias { shape: self.shape(location, object, name)? }
        };
        Ok((doc, kind))
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
            Some(tag) => Some(union::parse(&self.types, location, object, tag, &fields)?),
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
                Some(Box::new(changes::parse(&location.child("x-zenith-changes"), changes, union.as_ref(), &fields)?))
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
            Shape::Named(id) => match self.defined(*id).map(|t| &t.kind) {
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
            let map = Shape::Map(Box::new(self.shape(&values_location, values, &format!("{hint}Value"))?));
            let nullable = object.get("type").and_then(Value::as_array).is_some_and(|t| t.iter().any(|t| t == "null"));
            return Ok(if nullable { Shape::Nullable(Box::new(map)) } else { map });
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
        let types = json_types(object, location)?;
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
        if let Some(extra) = object.keys().find(|k| {
            !["oneOf", "description", "title", "$comment", "examples", "default", "x-zenith-drift"]
                .contains(&k.as_str())
        }) {
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
        let id = self.named_type(&target_location, target, &title)?;
        if !matches!(self.defined(id).map(|t| &t.kind), Some(TypeKind::Enum { .. })) {
            return Err(Error::at(
                &at.child("codes"),
                format!("`{codes}` is not a code table (an `enum` or `x-zenith-known` list)"),
            ));
        }
        Ok(Shape::Flags { codes: id, separator })
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
            Format::parse(name)
                .ok_or_else(|| Error::at(&location.child("format"), format!("format `{name}` is not supported")))?,
        ),
    };
    Ok(StringRules { pattern, format, min_length: length("minLength")?, max_length: length("maxLength")? })
}

impl choice::LowerShape for Builder<'_> {
    fn lower_shape(&mut self, location: &Location, object: &Map<String, Value>, hint: &str) -> Result<Shape, Error> {
        self.shape(location, object, hint)
    }
}

/// Renumbers the ids a type's shapes refer to (see [`Builder::finish`]).
fn renumber_kind(kind: &mut TypeKind, renumbered: &[TypeId]) {
    match kind {
        TypeKind::Struct { fields, .. } => fields.iter_mut().for_each(|f| renumber(&mut f.shape, renumbered)),
        TypeKind::Enum { .. } => {}
        TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. } => renumber(shape, renumbered),
        TypeKind::Choice(choice) => {
            for branch in &mut choice.branches {
                match &mut branch.kind {
                    BranchKind::Value { shape, .. } => renumber(shape, renumbered),
                    BranchKind::Tuple(tuple) => {
                        for position in tuple.positions.iter_mut().chain(tuple.rest.as_mut()) {
                            renumber(&mut position.shape, renumbered);
                        }
                    }
                }
            }
        }
    }
}

fn renumber(shape: &mut Shape, renumbered: &[TypeId]) {
    match shape {
        Shape::Named(id) | Shape::Flags { codes: id, .. } => *id = renumbered[id.0],
        Shape::Array(inner) | Shape::Nullable(inner) | Shape::Map(inner) => renumber(inner, renumbered),
        Shape::Multi { items: Some(items), .. } => renumber(items, renumbered),
        Shape::Any
        | Shape::Never
        | Shape::Boolean
        | Shape::Integer
        | Shape::Number
        | Shape::String(_)
        | Shape::Const(_)
        | Shape::Multi { items: None, .. } => {}
    }
}
