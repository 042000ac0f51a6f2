//! Value unions (`"x-zenith-tag": 0`): the branch for a value is chosen by its JSON type, and for
//! an array by its item 0, the tag. Nothing is tried and undone: one look picks the branch.

use serde_json::{Map, Value};

use super::ir::{Branch, BranchKind, Choice, JsonType, Position, Shape, Tuple, TypeDef, TypeKind};
use super::json::{as_object, check_keywords, json_types, string_keyword};
use crate::naming::{Case, rust_name};
use crate::{Error, Location};

impl Choice {
    /// Every tagged array this union takes: its own, then those of the unions it refers to, as
    /// (type, branch) pairs.
    pub fn tuples<'m>(&'m self, owner: &'m TypeDef, types: &'m [TypeDef]) -> Vec<(&'m TypeDef, &'m Branch)> {
        let mut out = Vec::new();
        collect_tuples(self, owner, types, &mut out, 0);
        out
    }
}

fn collect_tuples<'m>(
    choice: &'m Choice,
    owner: &'m TypeDef,
    types: &'m [TypeDef],
    out: &mut Vec<(&'m TypeDef, &'m Branch)>,
    depth: usize,
) {
    for branch in &choice.branches {
        match &branch.kind {
            BranchKind::Tuple(_) => out.push((owner, branch)),
            BranchKind::Value { shape, .. } if depth < MAX_DEPTH => {
                if let Some((ty, inner)) = referenced_choice(types, shape) {
                    collect_tuples(inner, ty, types, out, depth + 1);
                }
            }
            BranchKind::Value { .. } => {}
        }
    }
}

/// How deep unions may refer to unions through their branches.
const MAX_DEPTH: usize = 16;

/// The union a shape names, looking through aliases.
fn referenced_choice<'m>(types: &'m [TypeDef], shape: &Shape) -> Option<(&'m TypeDef, &'m Choice)> {
    let Shape::Named(id) = shape else { return None };
    let ty = &types[*id];
    match &ty.kind {
        TypeKind::Choice(choice) => Some((ty, choice)),
        TypeKind::Alias { shape } => referenced_choice(types, shape),
        _ => None,
    }
}

/// Keys a value union may have.
const UNION_KEYS: &[&str] =
    &["$schema", "$id", "$comment", "title", "description", "type", "x-zenith-tag", "oneOf", "examples"];

/// Lowers the schema of a branch or an item to a shape: the schema lowering, which calls back here
/// for value unions, provides it.
pub(super) trait LowerShape {
    fn lower_shape(&mut self, location: &Location, object: &Map<String, Value>, hint: &str) -> Result<Shape, Error>;
}

/// A value union's branches, read from its `oneOf`; what they claim is settled by
/// [`settle`] once every type is built.
pub(super) fn parse(
    lower: &mut dyn LowerShape,
    location: &Location,
    object: &Map<String, Value>,
) -> Result<TypeKind, Error> {
    if object.get("x-zenith-tag") != Some(&Value::from(0)) {
        return Err(Error::at(
            &location.child("x-zenith-tag"),
            "`x-zenith-tag` is a property name, or 0 for arrays whose item 0 is the tag",
        ));
    }
    if let Some(extra) = object.keys().find(|k| !UNION_KEYS.contains(&k.as_str())) {
        return Err(Error::at(location, format!("`{extra}` on a value union is not supported")));
    }
    let types = json_types(object, location)?;
    let union_location = location.child("oneOf");
    let branches = object
        .get("oneOf")
        .and_then(Value::as_array)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| Error::at(location, "a value union needs a `oneOf` of branches"))?;
    let mut out = Vec::new();
    for (index, branch) in branches.iter().enumerate() {
        let at = union_location.child(&index.to_string());
        let branch = as_object(branch, &at)?;
        let title = string_keyword(branch, "title", &at)?
            .ok_or_else(|| Error::at(&at, "every branch needs a `title` (it names the Rust variant)"))?;
        let name = rust_name(title, Case::Type);
        let doc = string_keyword(branch, "description", &at)?
            .ok_or_else(|| Error::at(&at, "every branch needs a `description`"))?
            .to_owned();
        let kind = if branch.contains_key("prefixItems") {
            BranchKind::Tuple(tuple(lower, &at, branch, &name)?)
        } else if branch.contains_key("$ref") || branch.contains_key("type") {
            check_keywords(branch, &at)?;
            BranchKind::Value { shape: lower.lower_shape(&at, branch, &name)?, claims: Vec::new(), tags: Vec::new() }
        } else {
            return Err(Error::at(&at, "a branch is a tagged array (`prefixItems`), a `$ref` or a `type`"));
        };
        out.push(Branch { name, doc: Some(doc), location: at, kind });
    }
    Ok(TypeKind::Choice(Choice { types, branches: out, location: union_location }))
}

/// A tagged array: `prefixItems` (the tag's `const`, then one schema per position),
/// `minItems`, and `items` (`false`, or the schema of every further item).
fn tuple(lower: &mut dyn LowerShape, at: &Location, branch: &Map<String, Value>, name: &str) -> Result<Tuple, Error> {
    const KEYS: &[&str] = &["title", "description", "$comment", "prefixItems", "minItems", "items", "x-zenith-drift"];
    if let Some(extra) = branch.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Error::at(
            at,
            format!("`{extra}` in a tagged array: it has `prefixItems`, `minItems` and `items`, nothing else"),
        ));
    }
    let prefix_at = at.child("prefixItems");
    let prefix = branch.get("prefixItems").and_then(Value::as_array).filter(|p| !p.is_empty());
    let prefix = prefix.ok_or_else(|| Error::at(&prefix_at, "`prefixItems` lists the tag, then the positions"))?;
    let tag = prefix[0]
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("const"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::at(&prefix_at.child("0"), "item 0 is the tag: `{\"const\": \"<tag>\"}`"))?
        .to_owned();
    let mut positions = Vec::new();
    for (index, schema) in prefix.iter().enumerate().skip(1) {
        positions.push(position(lower, &prefix_at.child(&index.to_string()), schema, &format!("{name}{index}"))?);
    }
    let min_location = at.child("minItems");
    let min_items = branch.get("minItems").and_then(Value::as_u64).filter(|n| *n >= 1).ok_or_else(|| {
        Error::at(&min_location, "a tagged array needs `minItems`, the tag and the items it requires")
    })?;
    let items_location = at.child("items");
    let rest = match branch.get("items") {
        Some(Value::Bool(false)) => None,
        Some(schema @ Value::Object(_)) => Some(position(lower, &items_location, schema, &format!("{name}Item"))?),
        _ => {
            return Err(Error::at(
                &items_location,
                "a tagged array needs `items`: `false`, or the schema of every further item",
            ));
        }
    };
    let required = (min_items - 1) as usize;
    if rest.is_none() && required > positions.len() {
        return Err(Error::at(&min_location, "`minItems` asks for more items than `prefixItems` allows"));
    }
    Ok(Tuple { tag, positions, required, rest, min_location, items_location })
}

fn position(lower: &mut dyn LowerShape, at: &Location, schema: &Value, hint: &str) -> Result<Position, Error> {
    let object = as_object(schema, at)?;
    check_keywords(object, at)?;
    let doc = string_keyword(object, "description", at)?
        .ok_or_else(|| Error::at(at, "every item of a tagged array needs a `description`"))?;
    Ok(Position { doc: Some(doc.to_owned()), shape: lower.lower_shape(at, object, hint)?, location: at.clone() })
}

/// Works out what each branch of every value union claims, now that every type is known, and
/// refuses unions whose branches a value could not be told apart by.
pub(super) fn settle(types: &mut [TypeDef]) -> Result<(), Error> {
    for index in 0..types.len() {
        let TypeKind::Choice(choice) = &types[index].kind else { continue };
        let mut settled = Vec::new();
        for branch in &choice.branches {
            settled.push(match &branch.kind {
                BranchKind::Value { shape, .. } => {
                    let claims = claims(types, shape, 0).ok_or_else(|| {
                        Error::at(&branch.location, "a branch must take known JSON types (not any value)")
                    })?;
                    let tags = match referenced_choice(types, shape) {
                        Some((ty, inner)) => inner.tuples(ty, types).iter().filter_map(|(_, b)| tag(b)).collect(),
                        None => Vec::new(),
                    };
                    Some((claims, tags))
                }
                BranchKind::Tuple(_) => None,
            });
        }
        let location = choice.location.clone();
        let TypeKind::Choice(choice) = &mut types[index].kind else { continue };
        for (branch, settled) in choice.branches.iter_mut().zip(settled) {
            if let (BranchKind::Value { claims, tags, .. }, Some((c, t))) = (&mut branch.kind, settled) {
                (*claims, *tags) = (c, t);
            }
        }
        check(choice, &location)?;
    }
    Ok(())
}

fn tag(branch: &Branch) -> Option<String> {
    match &branch.kind {
        BranchKind::Tuple(tuple) => Some(tuple.tag.clone()),
        BranchKind::Value { .. } => None,
    }
}

/// The JSON types values of `shape` can have; `None` when any value fits.
fn claims(types: &[TypeDef], shape: &Shape, depth: usize) -> Option<Vec<JsonType>> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match shape {
        Shape::Any | Shape::Never => return None,
        Shape::Boolean => vec![JsonType::Boolean],
        Shape::Integer => vec![JsonType::Integer],
        Shape::Number => vec![JsonType::Number],
        Shape::String(_) | Shape::Const(_) | Shape::Flags { .. } => vec![JsonType::String],
        Shape::Array(_) => vec![JsonType::Array],
        Shape::Map(_) => vec![JsonType::Object],
        Shape::Nullable(inner) => {
            let mut inner = claims(types, inner, depth + 1)?;
            inner.push(JsonType::Null);
            inner
        }
        Shape::Multi { types, .. } => types.clone(),
        Shape::Named(id) => match &types[*id].kind {
            TypeKind::Enum { .. } => vec![JsonType::String],
            TypeKind::Struct { .. } => vec![JsonType::Object],
            TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. } => claims(types, shape, depth + 1)?,
            TypeKind::Choice(choice) if !choice.types.is_empty() => choice.types.clone(),
            TypeKind::Choice(choice) => {
                let mut all = Vec::new();
                for branch in &choice.branches {
                    match &branch.kind {
                        BranchKind::Tuple(_) => all.push(JsonType::Array),
                        BranchKind::Value { shape, .. } => all.extend(claims(types, shape, depth + 1)?),
                    }
                }
                all
            }
        },
    })
}

/// Whether values of type `a` can also be values of type `b` (a whole number is both).
fn overlap(a: JsonType, b: JsonType) -> bool {
    a == b || matches!((a, b), (JsonType::Integer, JsonType::Number) | (JsonType::Number, JsonType::Integer))
}

/// Whether a union of `declared` types takes values of type `t` (numbers take integers).
fn declares(declared: &[JsonType], t: JsonType) -> bool {
    declared.contains(&t) || t == JsonType::Integer && declared.contains(&JsonType::Number)
}

fn check(choice: &mut Choice, location: &Location) -> Result<(), Error> {
    let mut taken: Vec<(JsonType, &str)> = Vec::new();
    let mut tags: Vec<(String, &str)> = Vec::new();
    let mut untagged_arrays = 0;
    let mut arrays = 0;
    let mut all: Vec<JsonType> = Vec::new();
    for branch in &choice.branches {
        let (claims, branch_tags): (Vec<JsonType>, Vec<String>) = match &branch.kind {
            BranchKind::Tuple(tuple) => (vec![JsonType::Array], vec![tuple.tag.clone()]),
            BranchKind::Value { claims, tags, .. } => (claims.clone(), tags.clone()),
        };
        for claim in &claims {
            if *claim == JsonType::Array {
                arrays += 1;
                if branch_tags.is_empty() {
                    untagged_arrays += 1;
                }
            } else if let Some((_, other)) = taken.iter().find(|(t, _)| overlap(*t, *claim)) {
                return Err(Error::at(
                    &branch.location,
                    format!(
                        "`{}` and `{other}` both take {} values: nothing tells them apart",
                        branch.name,
                        claim.as_str()
                    ),
                ));
            } else {
                taken.push((*claim, &branch.name));
            }
            if !all.contains(claim) {
                all.push(*claim);
            }
        }
        for tag in branch_tags {
            if let Some((_, other)) = tags.iter().find(|(t, _)| *t == tag) {
                return Err(Error::at(
                    &branch.location,
                    format!("`{}` and `{other}` both take the tag `{tag}`", branch.name),
                ));
            }
            tags.push((tag, &branch.name));
        }
    }
    if untagged_arrays > 0 && arrays > 1 {
        return Err(Error::at(location, "an array branch without tags must be the only array branch"));
    }
    if choice.types.is_empty() {
        choice.types = all;
    } else if let Some(extra) = all.iter().find(|t| !declares(&choice.types, **t)) {
        return Err(Error::at(
            location,
            format!("a branch takes {} values, which the union's `type` leaves out", extra.as_str()),
        ));
    }
    Ok(())
}
