//! The one in-memory model of every message and type, built from the schema files.
//!
//! Every emitter reads this model; none reads the schema files.

use serde_json::Value;

use crate::schema::SchemaSet;
use crate::{Error, Location};

mod changes;
mod choice;
mod drift;
mod facts;
mod ir;
mod json;
mod lower;
mod messages;
mod reach;
mod union;
mod verify;

pub use ir::*;
pub use reach::{CORE_CONTROLLER, feature_name};

impl Model {
    /// Builds the model from the schema files, refusing any schema the generator cannot honour.
    pub fn build(schemas: &SchemaSet) -> Result<Model, Error> {
        let mut builder = lower::Builder::new(schemas);
        let mut messages = Vec::new();
        let mut error_codes = Vec::new();
        for document in &schemas.documents {
            let location = Location { file: document.file.clone(), pointer: String::new() };
            let root = json::as_object(&document.root, &location)?;
            let title = json::string_keyword(root, "title", &location)?
                .ok_or_else(|| Error::at(&location, "every schema file needs a `title` (it names the Rust type)"))?;
            if json::string_keyword(root, "description", &location)?.is_none() {
                return Err(Error::at(&location, "every schema file needs a `description`"));
            }
            let id = builder.named_type(&location, &document.root, title)?;
            if let Some(codes) = root.get("x-zenith-codes") {
                error_codes.extend(messages::error_code_list(codes, &location.child("x-zenith-codes"))?);
            }
            if let Some(meta) = root.get("x-zenith") {
                let name = builder.name(id).to_owned();
                messages.push(messages::message(&location, root, meta, name, id, document.id.as_str())?);
            }
            if let Some(defs) = root.get("$defs") {
                let defs_location = location.child("$defs");
                for (key, schema) in json::as_object(defs, &defs_location)? {
                    let title = schema.get("title").and_then(Value::as_str).unwrap_or(key);
                    builder.named_type(&defs_location.child(key), schema, title)?;
                }
            }
        }
        let (mut types, renumbered) = builder.finish();
        for message in &mut messages {
            message.ty = renumbered[message.ty.0];
        }
        choice::settle(&mut types)?;
        changes::check(&mut types)?;
        verify::unique_names(&types)?;
        verify::nested_requirements(&types)?;
        // Schemas without messages (the conformance suite's) need no envelope.
        let (controllers, default_controller, actions, default_action) = if messages.is_empty() {
            Default::default()
        } else {
            let (controllers, default_controller) = messages::envelope(schemas, "Controller.json")?;
            let (actions, default_action) = messages::envelope(schemas, "Action.json")?;
            (controllers, default_controller, actions, default_action)
        };
        verify::controllers_have_messages(&controllers, &messages)?;
        let roles = match schemas.documents.iter().find(|d| d.file == "schemas/envelope/Action.json") {
            Some(document) => messages::role_rules(&document.root, &actions)?,
            None => Vec::new(),
        };
        verify::dispatch_keys(&messages, &controllers, &actions)?;
        verify::permissions(&messages)?;
        let by_name = types.iter().enumerate().map(|(index, ty)| (ty.name.clone(), TypeId(index))).collect();
        let controller_topics = facts::controller_topics(&messages);
        let replies_elsewhere = facts::replies_elsewhere(&messages);
        let topic_arguments = facts::topic_arguments(&messages);
        let drift = drift::collect(schemas)?;
        verify::drift_placed(&drift, &types, &messages)?;
        verify::drift_notes_placed(&drift, &types)?;
        let mut model = Model {
            types,
            by_name,
            messages,
            error_codes,
            default_controller,
            default_action,
            roles,
            controller_topics,
            replies_elsewhere,
            topic_arguments,
            drift,
            users: Vec::new(),
        };
        model.users = model.type_users();
        Ok(model)
    }

    /// The permissions a message's topic needs: as one message of the topic states them.
    pub fn permissions(&self, message: &Message) -> &[String] {
        self.messages
            .iter()
            .filter(|m| m.controller == message.controller && m.topic == message.topic)
            .find_map(|m| m.permissions.as_deref())
            .unwrap_or_default()
    }

    /// The type named `name`, if any.
    pub fn type_named(&self, name: &str) -> Option<&TypeDef> {
        self.by_name.get(name).map(|id| &self[*id])
    }
}
