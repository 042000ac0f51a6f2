//! Reading schema JSON: the keywords the generator supports and typed access to a node's values.

use serde_json::{Map, Value};

use super::ir::JsonType;
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
    "x-zenith-known",
    "x-zenith-flags",
    "x-zenith-tag",
    "x-zenith-roles",
    "x-zenith-changes",
    "x-zenith-fixed",
    "x-zenith-drift",
    "oneOf",
];

pub(super) fn check_keywords(object: &Map<String, Value>, location: &Location) -> Result<(), Error> {
    match object.keys().find(|k| !KEYWORDS.contains(&k.as_str())) {
        Some(keyword) => Err(Error::at(location, format!("keyword `{keyword}` is not supported by the generator"))),
        None => Ok(()),
    }
}

pub(super) fn string_enum(values: &Value, location: &Location) -> Result<Vec<String>, Error> {
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

pub(super) fn json_type(name: &str, location: &Location) -> Result<JsonType, Error> {
    JsonType::parse(name).ok_or_else(|| Error::at(location, format!("unknown type `{name}`")))
}

/// The JSON types a schema's `type` names: none, one, or a list.
pub(super) fn json_types(object: &Map<String, Value>, location: &Location) -> Result<Vec<JsonType>, Error> {
    let at = location.child("type");
    match object.get("type") {
        None => Ok(Vec::new()),
        Some(Value::String(name)) => Ok(vec![json_type(name, &at)?]),
        Some(Value::Array(names)) => names
            .iter()
            .enumerate()
            .map(|(i, n)| json_type(n.as_str().unwrap_or(""), &at.child(&i.to_string())))
            .collect(),
        Some(_) => Err(Error::at(&at, "`type` must be a string or an array of strings")),
    }
}

pub(super) fn as_object<'v>(value: &'v Value, location: &Location) -> Result<&'v Map<String, Value>, Error> {
    value.as_object().ok_or_else(|| Error::at(location, "expected a schema object"))
}

pub(super) fn string_keyword<'v>(
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
