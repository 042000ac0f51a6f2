//! Change rules (`x-zenith-changes`): how change records apply to a subscription's state.

use serde_json::Value;

use super::ir::{Changes, Field, MAX_READS, Operation, ReadAt, Shape, StringRules, TypeDef, TypeKind, Union, When};
use super::json::as_object;
use crate::{Error, Location};

/// `x-zenith-changes`, for keyed records
/// `{"key": ["/Order/ID"], "operations": {"A": "add", ...}, "ordered": false}`, positional
/// ones `{"position": {"at": "/At", "count": "/Count", "items": "/Members"}, "operations":
/// {...}}`, and records without a tag `{"key": [...], "when": [{"property": "/Type",
/// "equals": "", "operation": "clear", "scope": "/Account"}], "otherwise": "set"}`. Each path
/// must start at one of the record's properties; where they lead is checked by
/// [`check`].
pub(super) fn parse(at: &Location, changes: &Value, union: Option<&Union>, fields: &[Field]) -> Result<Changes, Error> {
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
            let pointers = pointers.ok_or_else(|| Error::at(&key_at, "`key` lists JSON Pointers into the record"))?;
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
        name.and_then(Value::as_str).and_then(Operation::parse).filter(|o| allowed.contains(o)).ok_or_else(|| {
            let names: Vec<&str> = Operation::ALL.iter().filter(|o| allowed.contains(o)).map(|o| o.as_str()).collect();
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
            let listed =
                listed.ok_or_else(|| Error::at(&operations_at, "`operations` maps each tag value to what it does"))?;
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
        let conditioned =
            |name: &String| union.variants.iter().any(|v| v.condition.as_ref().is_some_and(|c| &c.property == name));
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
        read_at: Vec::new(),
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

/// Each path a change record is read at leads, property by property, to what its rule needs:
/// a key part to a string or an integer, a position or count to an integer, the items to an
/// array, what `when` compares to a string or a number. Then records where each path leads
/// (`read_at`): the property numbers a runtime reads a record by.
pub(super) fn check(types: &mut [TypeDef]) -> Result<(), Error> {
    let mut located = Vec::new();
    for (index, ty) in types.iter().enumerate() {
        if let Some(read_at) = locate(types, ty)? {
            located.push((index, read_at));
        }
    }
    for (index, read_at) in located {
        if let TypeKind::Struct { changes: Some(changes), .. } = &mut types[index].kind {
            changes.read_at = read_at;
        }
    }
    Ok(())
}

/// The property numbers each path of a change record's rules leads through, once the path is
/// checked; `None` for a type that is not a change record.
fn locate(types: &[TypeDef], ty: &TypeDef) -> Result<Option<Vec<ReadAt>>, Error> {
    let named = |shape: &Shape| -> Option<&TypeKind> {
        let Shape::Named(id) = shape else { return None };
        Some(&types[*id].kind)
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
    let TypeKind::Struct { fields, changes: Some(changes), .. } = &ty.kind else { return Ok(None) };
    let mut read_at = Vec::new();
    for (index, path) in changes.reads.iter().enumerate() {
        let refused = |why: &str| Error::at(&changes.location, format!("`/{}`: {why}", path.join("/")));
        let mut level = fields.as_slice();
        let mut shape = None;
        let mut numbers = Vec::new();
        for (depth, name) in path.iter().enumerate() {
            let number = level.iter().position(|f| &f.wire == name).ok_or_else(|| refused("no such property"))?;
            let field = &level[number];
            numbers.push(number);
            if depth + 1 == path.len() {
                shape = leaf(&field.shape);
            } else {
                level =
                    fields_of(&field.shape).ok_or_else(|| refused("leads through a value that is not an object"))?;
                if matches!(named(&field.shape), Some(TypeKind::Struct { changes: Some(_), .. })) {
                    return Err(refused("leads into a change record of its own"));
                }
            }
        }
        let position = changes.position.and_then(|slots| slots.iter().position(|s| *s == index));
        let (fits, needs) = match (index < changes.key_parts, position) {
            (true, _) => (matches!(shape, Some(Shape::String(_) | Shape::Integer)), "a key is a string or an integer"),
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
        read_at.push((numbers[0], numbers.get(1).copied()));
    }
    Ok(Some(read_at))
}
