//! `docs/reference/messages.md`: the catalog of messages and their fields.

use std::fmt::Write;

use crate::model::{Field, Model, Shape, TypeKind};

use super::GENERATED_HEADER;

pub fn emit(model: &Model) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<!-- {GENERATED_HEADER} -->\n# Message reference\n");
    out.push_str("Every message the schemas in `schemas/` define. `*` means any controller or topic.\n\n");
    out.push_str(
        "| Message | Controller | Topic | Action | Direction | Replies on | Schema |\n|---|---|---|---|---|---|---|\n",
    );
    for m in &model.messages {
        let _ = writeln!(
            out,
            "| [{name}](#{anchor}) | {controller} | {topic} | {action} | {direction} | {replies} | `{file}` |",
            name = m.name,
            anchor = m.name.to_lowercase(),
            controller = m.controller.as_deref().unwrap_or("*"),
            topic = m.topic.as_deref().unwrap_or("*"),
            action = m.action,
            direction = m.direction.as_str(),
            replies = m.reply_topics.join(", "),
            file = m.location.file,
        );
    }
    out.push_str("\n## Types\n");
    for ty in &model.types {
        let _ = write!(out, "\n### {}\n\n", ty.name);
        if let Some(doc) = &ty.doc {
            let _ = writeln!(out, "{doc}\n");
        }
        let _ = writeln!(out, "Schema: `{}`\n", ty.location);
        match &ty.kind {
            TypeKind::Struct { fields, .. } => {
                out.push_str("| Field | Type | Presence | Description |\n|---|---|---|---|\n");
                for field in fields {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} |",
                        field.wire,
                        type_text(field),
                        presence(field),
                        cell(field.doc.as_deref())
                    );
                }
            }
            TypeKind::Enum { values, open } => {
                let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                if *open {
                    let _ = writeln!(out, "A code: {}, or another the server defines.", values.join(", "));
                } else {
                    let _ = writeln!(out, "One of {}.", values.join(", "));
                }
            }
            TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. } => {
                let _ = writeln!(out, "A {}.", shape_text(shape));
            }
        }
    }
    out
}

fn presence(field: &Field) -> &'static str {
    if field.required { "required" } else { "optional" }
}

fn type_text(field: &Field) -> String {
    let mut text = shape_text(&field.shape);
    if let Some(constant) = field.constant.as_ref().and_then(|c| c.as_str()) {
        text = format!("`\"{constant}\"`");
    }
    if field.secret {
        text.push_str(" (secret)");
    }
    text
}

fn shape_text(shape: &Shape) -> String {
    match shape {
        Shape::Any => "any JSON".to_owned(),
        Shape::Never => "nothing (not allowed)".to_owned(),
        Shape::Const(constant) => format!("`\"{constant}\"`"),
        Shape::Boolean => "boolean".to_owned(),
        Shape::Integer => "integer".to_owned(),
        Shape::Number => "number".to_owned(),
        Shape::String(rules) => match &rules.pattern {
            Some(pattern) => format!("string matching `{pattern}`"),
            None => "string".to_owned(),
        },
        Shape::Array(items) => format!("array of {}", shape_text(items)),
        Shape::Named(name) => format!("[{name}](#{})", name.to_lowercase()),
        Shape::Multi { types, .. } => types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" or "),
        Shape::Nullable(inner) => format!("{} or null", shape_text(inner)),
        Shape::Map(values) => format!("map of {}", shape_text(values)),
        Shape::Flags { codes, separator } => {
            format!("[{codes}](#{}) codes joined by `{separator}`", codes.to_lowercase())
        }
    }
}

fn cell(text: Option<&str>) -> String {
    text.unwrap_or("").replace('|', "\\|").replace('\n', " ")
}
