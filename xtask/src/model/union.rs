//! Tagged unions of objects: the variants a tag property selects, read from `oneOf`.

use serde_json::{Map, Value};

use super::ir::{Condition, Field, Nested, Shape, TypeDef, TypeId, TypeKind, Union, Variant};
use super::json::{as_object, string_keyword};
use crate::naming::{Case, rust_name};
use crate::{Error, Location};

/// The variants of a tagged union: each `oneOf` branch names its tag value (`const`), what it
/// requires, what it forbids (`false`), what one object property must hold in it
/// (`{"required": [...]}`), and what it allows as a difference of the real client's
/// (`{"x-zenith-drift": ...}`); nothing else. `types` are those being built, by the
/// id each started with.
pub(super) fn parse(
    types: &[Option<TypeDef>],
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
            !["title", "description", "$comment", "properties", "required", "if", "then", "x-zenith-drift"]
                .contains(&k.as_str())
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
        let mut nested: Option<Nested> = None;
        let mut drifted = Vec::new();
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
                Value::Object(o) if *name == tag && o.len() == 1 && o.get("const").is_some_and(Value::is_string) => {
                    value = o["const"].as_str().map(str::to_owned);
                }
                Value::Object(o)
                    if *name != tag
                        && o.contains_key("x-zenith-drift")
                        && o.keys().all(|k| ["x-zenith-drift", "description", "$comment"].contains(&k.as_str())) =>
                {
                    drifted.push(name.clone());
                }
                Value::Object(o) if *name != tag && o.len() == 1 && o.contains_key("required") => {
                    if let Some(other) = &nested {
                        return Err(Error::at(
                            &rule_at,
                            format!("a variant may require more of one property only, and `{}` is it", other.property),
                        ));
                    }
                    let listed = o["required"].as_array().filter(|l| l.iter().all(Value::is_string));
                    let listed = listed.ok_or_else(|| Error::at(&rule_at, "`required` must list strings"))?;
                    nested = Some(Nested {
                        property: name.clone(),
                        required: listed.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                        location: rule_at.child("required"),
                    });
                }
                _ => {
                    return Err(Error::at(
                        &rule_at,
                        "a variant's property is `true`, `false`, `{\"required\": [...]}`, `{\"x-zenith-drift\": ...}`, or for the tag `{\"const\": ...}`",
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
                let name =
                    name.as_str().ok_or_else(|| Error::at(&at.child("required"), "`required` must list strings"))?;
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
        let condition = condition(types, branch, &at, &tag, fields, &forbidden)?;
        variants.push(Variant {
            name: rust_name(title, Case::Type),
            value,
            doc: branch.get("description").and_then(Value::as_str).map(str::to_owned),
            required,
            forbidden,
            condition,
            nested,
            drifted,
            location: at,
        });
    }
    // The one pass follows the properties present in one nested object per record.
    let mut nested = variants.iter().filter_map(|v| v.nested.as_ref());
    if let Some(first) = nested.next()
        && let Some(other) = nested.find(|n| n.property != first.property)
    {
        return Err(Error::at(
            &other.location,
            format!("the variants may require more of one property only, and `{}` is it", first.property),
        ));
    }
    // The tag's own enum reports an unknown tag, so it must list exactly the variants.
    let values = match &tag_field.shape {
        Shape::Named(id) => defined(types, *id).and_then(|t| match &t.kind {
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

/// A variant's `if`/`then`: `{"if": {"properties": {"P": {"const": "V"}}, "required": ["P"]},
/// "then": {"required": [...]}}`, where `P` is a string property other than the tag.
fn condition(
    types: &[Option<TypeDef>],
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
    if property == tag || !is_string(types, &field.shape) {
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
fn is_string(types: &[Option<TypeDef>], shape: &Shape) -> bool {
    match shape {
        Shape::String(_) | Shape::Const(_) => true,
        Shape::Named(id) => defined(types, *id).is_some_and(|t| match &t.kind {
            TypeKind::Enum { .. } => true,
            TypeKind::Alias { shape } => is_string(types, shape),
            _ => false,
        }),
        _ => false,
    }
}

/// A type whose definition is complete, among those being built (by the id they started with).
fn defined(types: &[Option<TypeDef>], id: TypeId) -> Option<&TypeDef> {
    types.get(id.0).and_then(Option::as_ref)
}
