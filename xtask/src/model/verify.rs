//! Cross-checks over the whole model: unique names and dispatch keys, permissions per topic.

use std::collections::HashMap;

use super::ir::{Direction, Drift, DriftDecision, JsonType, Message, Shape, TypeDef, TypeKind};
use crate::{Error, Location};

/// What picks a message's schema: controller, topic (`None` for any), action and direction.
type DispatchKey<'m> = (Option<&'m str>, Option<&'m str>, &'m str, Direction);

/// Every topic states the permissions it needs on one of its messages, or on several alike.
pub(super) fn permissions(messages: &[Message]) -> Result<(), Error> {
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

/// No two types, union variants or value-union branches share a Rust name.
pub(super) fn unique_names(types: &[TypeDef]) -> Result<(), Error> {
    let mut seen = HashMap::new();
    for ty in types {
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
    Ok(())
}

/// A variant's requirements on an object property name properties of that object's type, which
/// the one-pass check follows as bits (so at most 64 of them).
pub(super) fn nested_requirements(types: &[TypeDef]) -> Result<(), Error> {
    for ty in types {
        let TypeKind::Struct { fields, union: Some(union), .. } = &ty.kind else { continue };
        for nested in union.variants.iter().filter_map(|v| v.nested.as_ref()) {
            let field = fields.iter().find(|f| f.wire == nested.property);
            let inner = match field.map(|f| &f.shape) {
                Some(Shape::Named(id)) => match &types[id.0].kind {
                    TypeKind::Struct { fields, .. } if fields.len() <= 64 => Some(fields),
                    _ => None,
                },
                _ => None,
            };
            let inner = inner.ok_or_else(|| {
                Error::at(
                    &nested.location,
                    format!("`{}` must be a named object type of at most 64 properties", nested.property),
                )
            })?;
            for name in &nested.required {
                match inner.iter().find(|f| &f.wire == name) {
                    None => {
                        return Err(Error::at(
                            &nested.location,
                            format!("`{name}` is not a property of `{}`", nested.property),
                        ));
                    }
                    // Listed twice, it would be reported twice.
                    Some(field) if field.required => {
                        return Err(Error::at(
                            &nested.location,
                            format!("`{name}` is required by `{}`'s own type already", nested.property),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(())
}

/// An error kept with a note sits where the walker can tell its errors from others: on a
/// property that is not an object of its own (its value's errors, and its absence or
/// misspelling), on a code table, or on a tagged array's branch (their own rules).
pub(super) fn drift_notes_placed(drift: &[Drift], types: &[TypeDef]) -> Result<(), Error> {
    // The checks take one such drift per place: a second would go unseen.
    let acting = |d: &&Drift| d.decision.has_finding() || d.decision == DriftDecision::Error;
    for (index, d) in drift.iter().enumerate().filter(|(_, d)| acting(d)) {
        if let Some(other) = drift[..index].iter().filter(acting).find(|o| o.location == d.location) {
            return Err(Error::at(
                &d.location,
                format!("drifts `{}` and `{}` both act here: merge them into one", other.id, d.id),
            ));
        }
    }
    for d in drift.iter().filter(|d| d.decision == DriftDecision::Error) {
        let placed = types.iter().any(|ty| match &ty.kind {
            TypeKind::Struct { fields, .. } => fields.iter().any(|f| {
                f.location == d.location && !matches!(f.shape, Shape::Named(id) if types[id.0].location == f.location)
            }),
            TypeKind::Enum { .. } => ty.location == d.location,
            TypeKind::Choice(choice) => choice.branches.iter().any(|b| b.location == d.location),
            _ => false,
        });
        if !placed {
            return Err(Error::at(
                &d.location,
                format!(
                    "drift `{}` keeps an error: it goes on a property (not an object of its own), a code table or a tagged array's branch",
                    d.id
                ),
            ));
        }
    }
    Ok(())
}

/// A drift with a finding sits where the checks can see it: on a code table (its `values`), on
/// an object's property, or on a variant's property rule; `when: null` only on a nullable property.
pub(super) fn drift_placed(drift: &[Drift], types: &[TypeDef], messages: &[Message]) -> Result<(), Error> {
    for d in drift.iter().filter(|d| d.decision.has_finding()) {
        if let Some(why) = routed_elsewhere(d, types, messages) {
            return Err(Error::at(
                &d.location,
                format!("drift `{}` has a finding, but the one-pass check reads this property {why}", d.id),
            ));
        }
        let on_table = !d.values.is_empty();
        let property = types.iter().find_map(|ty| match &ty.kind {
            TypeKind::Struct { fields, union, .. } => {
                let field = fields.iter().find(|f| f.location == d.location).map(|f| match &f.shape {
                    Shape::Nullable(_) => true,
                    Shape::Multi { types, .. } => types.contains(&JsonType::Null),
                    _ => false,
                });
                let variant = union
                    .iter()
                    .flat_map(|u| &u.variants)
                    .any(|v| v.drifted.iter().any(|name| v.location.child("properties").child(name) == d.location));
                field.or(variant.then_some(false))
            }
            _ => None,
        });
        match (on_table, property) {
            (true, _) if d.null_only => {}
            (true, _) => continue,
            (false, Some(nullable)) if !d.null_only || nullable => continue,
            (false, Some(_)) => {
                return Err(Error::at(
                    &d.location,
                    format!("drift `{}`: `when: null` needs a nullable property", d.id),
                ));
            }
            (false, None) => {}
        }
        return Err(Error::at(
            &d.location,
            format!(
                "drift `{}` has a finding, so it goes on a code table (with `values`), an object's property or a variant's property rule",
                d.id
            ),
        ));
    }
    Ok(())
}

/// Why the one-pass check reads the property a drift is on otherwise than its other properties
/// (where it does not look for drift), if it does.
fn routed_elsewhere(d: &Drift, types: &[TypeDef], messages: &[Message]) -> Option<&'static str> {
    if !d.values.is_empty() {
        return None;
    }
    types.iter().enumerate().find_map(|(id, ty)| {
        let TypeKind::Struct { fields, union, changes, .. } = &ty.kind else { return None };
        let field = fields.iter().find(|f| f.location == d.location)?;
        let name = &field.wire;
        let reads = changes.iter().flat_map(|c| c.reads.iter()).any(|path| &path[0] == name);
        let union = union.as_ref();
        if messages.iter().any(|m| m.ty.0 == id) {
            Some("as a message's own property")
        } else if union.is_some_and(|u| &u.tag == name) {
            Some("as its union's tag")
        } else if union
            .is_some_and(|u| u.variants.iter().any(|v| v.condition.as_ref().is_some_and(|c| &c.property == name)))
        {
            Some("for a variant's condition")
        } else if union
            .is_some_and(|u| u.variants.iter().any(|v| v.nested.as_ref().is_some_and(|n| &n.property == name)))
        {
            Some("for a variant's requirements on it")
        } else if field.fixed || reads {
            Some("to record its value")
        } else {
            None
        }
    })
}

/// A listed controller without schemas would leave its messages unchecked.
pub(super) fn controllers_have_messages(controllers: &[String], messages: &[Message]) -> Result<(), Error> {
    if let Some(missing) = controllers.iter().find(|c| !messages.iter().any(|m| m.controller.as_ref() == Some(c))) {
        let at = Location { file: "schemas/envelope/Controller.json".to_owned(), pointer: "/enum".to_owned() };
        return Err(Error::at(&at, format!("the controller `{missing}` has no message schema")));
    }
    Ok(())
}

/// Every message names a known action and controller, and no two messages share the keys that
/// pick a schema (one would hide the other).
pub(super) fn dispatch_keys(messages: &[Message], controllers: &[String], actions: &[String]) -> Result<(), Error> {
    let mut keys: HashMap<DispatchKey<'_>, &Location> = HashMap::new();
    for message in messages {
        let at = message.location.child("x-zenith");
        if !actions.contains(&message.action) {
            return Err(Error::at(&at.child("action"), format!("unknown action `{}`", message.action)));
        }
        if let Some(controller) = message.controller.as_ref().filter(|c| !controllers.contains(c)) {
            return Err(Error::at(&at.child("controller"), format!("unknown controller `{controller}`")));
        }
        let key = (message.controller.as_deref(), message.topic.as_deref(), message.action.as_str(), message.direction);
        if let Some(other) = keys.insert(key, &message.location) {
            return Err(Error::at(
                &at,
                format!(
                    "{other} has the same controller, topic, action and direction: one message would hide the other"
                ),
            ));
        }
    }
    Ok(())
}
