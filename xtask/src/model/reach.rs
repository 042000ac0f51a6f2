//! Which controllers use each type: what a controller's cargo feature has to build.

use std::collections::BTreeSet;

use super::{BranchKind, Model, Shape, TypeId, TypeKind};

/// The controller every build has: its messages (`Sub`, `Unsub`, `Error`, ...) carry the others.
pub const CORE_CONTROLLER: &str = "Zenith";

impl Model {
    /// For each type, the controllers whose messages reach it (through fields, items, variants
    /// and branches). A message that names no controller (valid on every one) counts as
    /// [`CORE_CONTROLLER`]'s.
    pub(super) fn type_users(&self) -> Vec<BTreeSet<String>> {
        let mut users = vec![BTreeSet::new(); self.types.len()];
        for message in &self.messages {
            let controller = message.controller.as_deref().unwrap_or(CORE_CONTROLLER);
            let mut pending = vec![message.ty];
            while let Some(id) = pending.pop() {
                if users[id.0].insert(controller.to_owned()) {
                    self.referenced(id, &mut pending);
                }
            }
        }
        users
    }

    /// The cargo features of which a type needs one: none when the core controller or nothing
    /// uses it (always built).
    pub fn features_of_type(&self, id: TypeId) -> Option<Vec<String>> {
        let users = &self.users[id.0];
        if users.is_empty() || users.contains(CORE_CONTROLLER) {
            return None;
        }
        Some(users.iter().map(|c| feature_name(c)).collect())
    }

    /// The cargo feature a controller's messages need (a list of one, as for a type): none for
    /// the core controller's.
    pub fn feature_of_controller(controller: Option<&str>) -> Option<Vec<String>> {
        controller.filter(|c| *c != CORE_CONTROLLER).map(|c| vec![feature_name(c)])
    }

    /// The types `id` names directly, pushed onto `found`.
    fn referenced(&self, id: TypeId, found: &mut Vec<TypeId>) {
        match &self[id].kind {
            TypeKind::Struct { fields, .. } => fields.iter().for_each(|f| shape_types(&f.shape, found)),
            TypeKind::Enum { .. } => {}
            TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. } => shape_types(shape, found),
            TypeKind::Choice(choice) => {
                for branch in &choice.branches {
                    match &branch.kind {
                        BranchKind::Value { shape, .. } => shape_types(shape, found),
                        BranchKind::Tuple(tuple) => {
                            tuple.positions.iter().chain(&tuple.rest).for_each(|p| shape_types(&p.shape, found))
                        }
                    }
                }
            }
        }
    }
}

/// A controller's cargo feature: its name in lower case (`market`).
pub fn feature_name(controller: &str) -> String {
    controller.to_ascii_lowercase()
}

fn shape_types(shape: &Shape, found: &mut Vec<TypeId>) {
    match shape {
        Shape::Named(id) => found.push(*id),
        Shape::Flags { codes, .. } => found.push(*codes),
        Shape::Array(inner) | Shape::Nullable(inner) | Shape::Map(inner) => shape_types(inner, found),
        Shape::Multi { items: Some(items), .. } => shape_types(items, found),
        _ => {}
    }
}
