//! Where the real client (motif-core) and the reference differ: the `x-zenith-drift` annotations.

use serde_json::{Map, Value};

use super::ir::{Direction, Drift, DriftDecision};
use super::json::as_object;
use crate::schema::SchemaSet;
use crate::{Error, Location};

/// Every `x-zenith-drift` annotation of every schema file, in file and document order, checked.
pub(super) fn collect(schemas: &SchemaSet) -> Result<Vec<Drift>, Error> {
    let mut found = Vec::new();
    for document in &schemas.documents {
        let location = Location { file: document.file.clone(), pointer: String::new() };
        walk(&document.root, &location, &mut found)?;
    }
    for (index, drift) in found.iter().enumerate() {
        if let Some(other) = found[..index].iter().find(|d| d.id == drift.id) {
            return Err(Error::at(&drift.location, format!("drift `{}` is also at {}", drift.id, other.location)));
        }
    }
    Ok(found)
}

fn walk(value: &Value, location: &Location, found: &mut Vec<Drift>) -> Result<(), Error> {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                if key == "x-zenith-drift" {
                    let at = location.child(key);
                    match child {
                        Value::Array(entries) => {
                            for (index, entry) in entries.iter().enumerate() {
                                found.push(entry_at(object, entry, location, &at.child(&index.to_string()))?);
                            }
                        }
                        entry => found.push(entry_at(object, entry, location, &at)?),
                    }
                } else if !["examples", "default", "const", "enum"].contains(&key.as_str()) {
                    walk(child, &location.child(key), found)?;
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, &location.child(&index.to_string()), found)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// One annotation of `schema` (at `location`), itself at `at`.
fn entry_at(schema: &Map<String, Value>, entry: &Value, location: &Location, at: &Location) -> Result<Drift, Error> {
    let entry = as_object(entry, at)?;
    const KEYS: &[&str] = &["id", "client", "direction", "does", "decision", "why", "values", "when", "example"];
    if let Some(extra) = entry.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Error::at(at, format!("`{extra}` is not a drift field ({})", KEYS.join(", "))));
    }
    let text = |name: &str| -> Result<String, Error> {
        entry
            .get(name)
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Error::at(&at.child(name), format!("a drift needs `{name}`, a string")))
    };
    let id = text("id")?;
    if !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(Error::at(&at.child("id"), "a drift's id is kebab-case"));
    }
    let word = text("decision")?;
    let decision = DriftDecision::from_word(&word).ok_or_else(|| {
        Error::at(&at.child("decision"), format!("`{word}` is not a decision: warning, info, accepted, error or kept"))
    })?;
    let direction = match text("direction")?.as_str() {
        "receive" => Direction::Receive,
        "send" => Direction::Send,
        other => return Err(Error::at(&at.child("direction"), format!("`{other}` is neither `receive` nor `send`"))),
    };
    let values: Vec<String> = match entry.get("values") {
        None => Vec::new(),
        Some(values) => values
            .as_array()
            .filter(|v| !v.is_empty())
            .map(|v| v.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .filter(|v: &Vec<String>| v.len() == values.as_array().map_or(0, Vec::len))
            .ok_or_else(|| Error::at(&at.child("values"), "`values` lists strings"))?,
    };
    let table: Vec<&str> = ["enum", "x-zenith-known"]
        .iter()
        .filter_map(|k| schema.get(*k))
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if let Some(missing) = values.iter().find(|v| !table.contains(&v.as_str())) {
        return Err(Error::at(
            &at.child("values"),
            format!("`{missing}` must be among the code table's `enum` or `x-zenith-known` values"),
        ));
    }
    let null_only = match entry.get("when") {
        None => false,
        Some(Value::String(when)) if when == "null" => true,
        Some(_) => return Err(Error::at(&at.child("when"), "`when` can only be `\"null\"`")),
    };
    let example = entry.get("example").cloned();
    if example.is_none() && decision != DriftDecision::Kept {
        return Err(Error::at(at, "a drift needs an `example` message unless it is `kept`"));
    }
    if let Some(example) = &example
        && !example.is_object()
    {
        return Err(Error::at(&at.child("example"), "the example is a whole message, an object"));
    }
    Ok(Drift {
        id,
        client: text("client")?,
        direction,
        does: text("does")?,
        decision,
        why: text("why")?,
        values,
        null_only,
        example,
        location: location.clone(),
    })
}
