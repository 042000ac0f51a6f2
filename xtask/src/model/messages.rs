//! Messages and the envelope: `x-zenith` annotations, role rules, error codes and topic arguments.

use serde_json::{Map, Value};

use super::ir::{Arguments, Direction, ErrorCode, Form, Message, Part, Role, RoleRule, TypeId};
use super::json::{as_object, string_enum, string_keyword};
use crate::schema::SchemaSet;
use crate::{Error, Location};

pub(super) fn role_rules(action_schema: &Value, actions: &[String]) -> Result<Vec<RoleRule>, Error> {
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
        let direction = text("direction")?;
        let Some(direction) = Direction::parse(&direction) else {
            return Err(Error::at(&at.child("direction"), format!("`{direction}` is not `send` or `receive`")));
        };
        if !actions.contains(&action) {
            return Err(Error::at(&at.child("action"), format!("unknown action `{action}`")));
        }
        let Some(role) = Role::parse(&role) else {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            return Err(Error::at(
                &at.child("role"),
                format!("unknown role `{role}`; the roles are {}", roles.join(", ")),
            ));
        };
        if out.iter().any(|r| r.action == action && r.direction == direction) {
            return Err(Error::at(&at, format!("`{action}` {} has a role already", direction.as_str())));
        }
        out.push(RoleRule { action, direction, role, doc });
    }
    Ok(out)
}

pub(super) fn error_code_list(codes: &Value, location: &Location) -> Result<Vec<ErrorCode>, Error> {
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

pub(super) fn message(
    location: &Location,
    root: &Map<String, Value>,
    meta: &Value,
    name: String,
    ty: TypeId,
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
    let direction = text("direction")?;
    let Some(direction) = Direction::parse(&direction) else {
        return Err(Error::at(
            &meta_location.child("direction"),
            format!("direction must be `send` or `receive`, not `{direction}`"),
        ));
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
    let repeatable = match meta.get("repeatable") {
        None => true,
        Some(Value::Bool(repeatable)) if direction == Direction::Send => *repeatable,
        Some(Value::Bool(_)) => {
            return Err(Error::at(&meta_location.child("repeatable"), "only a request is sent again, or not"));
        }
        Some(_) => return Err(Error::at(&meta_location.child("repeatable"), "repeatable must be true or false")),
    };
    const KEYS: [&str; 8] =
        ["controller", "topic", "action", "direction", "replyTopics", "permissions", "arguments", "repeatable"];
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
        ty,
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
        repeatable,
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

/// The values an envelope field takes (`schemas/envelope/<file>`'s `enum`) and its `default`:
/// what a message without the field means.
pub(super) fn envelope(schemas: &SchemaSet, file: &str) -> Result<(Vec<String>, String), Error> {
    let path = format!("schemas/envelope/{file}");
    let document = schemas
        .documents
        .iter()
        .find(|d| d.file == path)
        .ok_or_else(|| Error::plain(format!("`{path}` is missing: it lists the envelope's values")))?;
    let at = Location { file: path.clone(), pointer: String::new() };
    let values = string_enum(document.root.get("enum").unwrap_or(&Value::Null), &at.child("enum"))?;
    let default = document
        .root
        .get("default")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::at(&at, "needs a string `default`: what a message without the field means"))?;
    if !values.iter().any(|v| v == default) {
        return Err(Error::at(&at.child("default"), format!("`{default}` is not among the listed values")));
    }
    Ok((values, default.to_owned()))
}
