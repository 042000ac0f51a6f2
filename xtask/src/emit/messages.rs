//! The message catalog, the `Message` enum and the dispatch table keyed by envelope fields.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::vocab::{Word, bare};
use crate::model::{Direction, Message, Model, Shape, TypeId, TypeKind};
use crate::naming::{Case, rust_name};

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// `generated/mod.rs`: the generated modules, plus one module per controller naming its messages.
pub fn module_root(model: &Model) -> TokenStream {
    // Each controller's module names its messages, their typed topics and the types only its
    // messages use; `shared` the rest.
    let mut by_controller: BTreeMap<&str, Vec<Ident>> = BTreeMap::new();
    let mut shared: Vec<(Ident, TokenStream)> = Vec::new();
    for message in &model.messages {
        let mut names = vec![ident(&message.name)];
        if let Some(topic) = &message.topic
            && (message.arguments.is_some() || super::types::push_of(model, message, topic).is_some())
        {
            names.push(ident(&super::types::topic_type_name(topic)));
        }
        for name in names {
            match &message.controller {
                Some(controller) => {
                    let listed = by_controller.entry(controller).or_default();
                    if !listed.contains(&name) {
                        listed.push(name);
                    }
                }
                None if !shared.iter().any(|(n, _)| *n == name) => shared.push((name, message_cfg(message))),
                None => {}
            }
        }
    }
    let users = &model.users;
    for (index, ty) in model.types.iter().enumerate() {
        if model.messages.iter().any(|m| m.ty == TypeId(index)) {
            continue;
        }
        let only = match users[index].iter().collect::<Vec<_>>()[..] {
            [controller] if controller != crate::model::CORE_CONTROLLER => by_controller.get_mut(controller.as_str()),
            _ => None,
        };
        let names = std::iter::once(ty.name.clone()).chain(super::types::companion_names(model, TypeId(index)));
        match only {
            Some(listed) => listed.extend(names.map(|n| ident(&n))),
            None => {
                let cfg = super::tokens::cfg(model.features_of_type(TypeId(index)));
                shared.extend(names.map(|n| (ident(&n), cfg.clone())));
            }
        }
    }
    let modules = by_controller.iter().map(|(controller, names)| {
        let module = ident(&rust_name(controller, Case::Field));
        let doc = format!(" Messages of the `{controller}` controller, their data types and topics.");
        let cfg = super::tokens::cfg(Model::feature_of_controller(Some(controller)));
        quote! {
            #[doc = #doc]
            #cfg
            pub mod #module {
                pub use super::super::types::{#(#names),*};
            }
        }
    });
    // Each shared name is there when a controller that uses it is.
    let shared = shared.iter().map(|(name, cfg)| quote! { #cfg pub use super::super::types::#name; });
    let groups = schema_groups(model).into_iter().map(|group| ident(&group));
    quote! {
        pub mod messages;
        pub mod types;
        /// The schema tables, one module per schema directory.
        pub mod schema {
            #(pub mod #groups;)*
        }
        /// One module per controller, naming its messages.
        pub mod controllers {
            #(#modules)*

            /// What the controllers share: the envelope, the messages every controller may
            /// send (`Sub`, `Unsub`, `Error`), and the types several controllers use.
            pub mod shared {
                #(#shared)*
            }
        }
    }
}

/// The modules of the schema tables, in order of first use.
pub fn schema_groups(model: &Model) -> Vec<String> {
    let mut groups = Vec::new();
    for ty in &model.types {
        let group = super::schema::group(ty);
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

pub fn emit(model: &Model) -> TokenStream {
    let names: Vec<Ident> = model.messages.iter().map(|m| ident(&m.name)).collect();
    let cfgs: Vec<TokenStream> = model.messages.iter().map(message_cfg).collect();
    let infos = model.messages.iter().map(|m| info(model, m));
    let docs = model.messages.iter().map(|m| docs(model, m));
    let (default_controller, default_action) = (&model.default_controller, &model.default_action);
    let arms = dispatch_arms(model);
    let codes = model.error_codes.iter().map(|c| {
        let (code, meaning) = (&c.code, &c.meaning);
        let suffix = match &c.suffix {
            Some(s) => quote! { Some(#s) },
            None => quote! { None },
        };
        quote! { ErrorCodeInfo { code: #code, meaning: #meaning, suffix: #suffix } }
    });
    let mut secrets: Vec<&str> = model
        .types
        .iter()
        .flat_map(|t| match &t.kind {
            crate::model::TypeKind::Struct { fields, .. } => {
                fields.iter().filter(|f| f.secret).map(|f| f.wire.as_str()).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    secrets.sort_unstable();
    secrets.dedup();
    let controller_topics = model.controller_topics.iter().map(|(controller, topics)| {
        quote! { (#controller, &[#(#topics),*]) }
    });
    let topic_arguments = model.topic_arguments.iter().map(|(controller, topic, index)| {
        let message = &model.messages[*index];
        let (cfg, kind) = (message_cfg(message), ident(&message.name));
        quote! { #cfg (#controller, #topic, MessageKind::#kind) }
    });
    let replies_elsewhere = model.replies_elsewhere.iter().map(|replies| {
        let direction = direction(replies.direction);
        let (controller, topic, action) = (&replies.controller, &replies.topic, &replies.action);
        let cfg = super::tokens::cfg(Model::feature_of_controller(Some(controller)));
        let messages = replies.messages.iter().map(|index| &model.messages[*index]);
        let kinds = messages.map(|m| {
            let (cfg, kind) = (message_cfg(m), ident(&m.name));
            quote! { #cfg MessageKind::#kind }
        });
        quote! { #cfg (#direction, #controller, #topic, #action, &[#(#kinds),*]) }
    });
    let drift = model.drift.iter().map(|d| {
        let group = Ident::new(&super::schema::file_group(&d.location), Span::call_site());
        let name = super::schema::drift_static(d);
        quote! { &super::schema::#group::#name }
    });
    quote! {
        use crate::runtime::ErrorCodeInfo;

        /// Every action error code the schemas document, in schema order.
        pub static ERROR_CODES: &[ErrorCodeInfo] = &[#(#codes),*];

        /// Every difference between the reference and the real client (motif-core), as the
        /// schemas decide it (their `x-zenith-drift` annotations), in schema file order.
        pub static CLIENT_DRIFT: &[&crate::runtime::Drift] = &[#(#drift),*];

        /// The controller of a message without `Controller`.
        pub const DEFAULT_CONTROLLER: &str = #default_controller;

        /// The action of a message without `Action`.
        pub const DEFAULT_ACTION: &str = #default_action;

        /// The names of every property the schemas mark as a credential.
        pub static SECRET_PROPERTIES: &[&str] = &[#(#secrets),*];

        use crate::runtime::{Direction, MessageInfo};
        use super::types::*;

        /// Each controller with the topics of its messages that have one, in catalog order (a
        /// topic comes once per message).
        pub static CONTROLLER_TOPICS: &[(&str, &[&str])] = &[#(#controller_topics),*];

        /// The messages of other topics that may arrive on a topic, as (direction, controller,
        /// topic, action, kinds): a request of another topic of the controller lists the topic
        /// among its reply topics, so its replies may come here. Kinds in catalog order.
        pub static REPLY_KINDS_ELSEWHERE: &[(Direction, &str, &str, &str, &[MessageKind])] = &[#(#replies_elsewhere),*];

        /// Each topic that takes arguments, as (controller, topic, the first kind of the topic
        /// whose info holds their forms).
        pub static TOPIC_ARGUMENTS: &[(&str, &str, MessageKind)] = &[#(#topic_arguments),*];

        /// Every kind of message the schemas define.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum MessageKind { #(#cfgs #names,)* }

        /// The kind's name, which is its Rust type's (`DepthPush`).
        impl std::fmt::Display for MessageKind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.info().name)
            }
        }

        impl MessageKind {
            /// Every kind, in schema file order.
            pub const ALL: &'static [MessageKind] = &[#(#cfgs MessageKind::#names,)*];

            /// What the schema says about this kind of message.
            pub fn info(self) -> &'static MessageInfo {
                match self { #(#cfgs MessageKind::#names => { static INFO: MessageInfo = #infos; &INFO })* }
            }

            /// What the reference says of this kind of message: description, fields, example.
            #[cfg(feature = "catalog")]
            pub fn docs(self) -> &'static crate::runtime::MessageDocs {
                use crate::runtime::MessageDocs;
                match self { #(#cfgs MessageKind::#names => { static DOCS: MessageDocs = #docs; &DOCS })* }
            }

            /// The kind of message with these envelope keys: a topic's own schema wins over one
            /// valid on every controller, which wins over one valid for every topic.
            pub fn lookup(controller: &str, topic: Option<&str>, action: &str, direction: Direction) -> Option<MessageKind> {
                match (direction, action, controller, topic) {
                    #(#arms)*
                    _ => None,
                }
            }

            /// Every problem of `value` as a message of this kind (see [`crate::Validate`]).
            pub fn validate(self, value: &serde_json::Value) -> crate::Report {
                match self { #(#cfgs MessageKind::#names => <#names as crate::Validate>::validate(value),)* }
            }

            /// The fast verdict on `value` as a message of this kind.
            pub fn verdict(self, value: &serde_json::Value) -> crate::Verdict {
                match self { #(#cfgs MessageKind::#names => <#names as crate::Validate>::verdict(value),)* }
            }

            /// This kind's schema, as the generated tables hold it.
            pub fn schema(self) -> &'static crate::runtime::schema::Node {
                use crate::Validate;
                match self { #(#cfgs MessageKind::#names => #names::SCHEMA,)* }
            }

            /// The fast verdict on a message of this kind, computed while a deserializer parses
            /// it (no tree is built). Fails only when the input is not JSON.
            pub fn stream_verdict<'de, D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<crate::Verdict, D::Error> {
                use serde::de::DeserializeSeed;
                crate::runtime::stream::Seed(self.schema()).deserialize(deserializer)
            }

            /// Checks (and consumes) the value of top-level property `key` of a message of this
            /// kind while it is parsed: its verdict and its required bit (see
            /// [`crate::runtime::stream::property`]).
            pub fn stream_property<'de, D: serde::Deserializer<'de>>(self, key: &str, value: D) -> Result<(crate::Verdict, u64), D::Error> {
                use serde::de::DeserializeSeed;
                match self.schema() {
                    crate::runtime::schema::Node::Object(object) => crate::runtime::stream::property(object, key, value),
                    node => Ok((crate::runtime::stream::Seed(node).deserialize(value)?, 0)),
                }
            }

            /// The top-level property names this kind documents, and the bits of its required ones.
            pub fn stream_properties(self) -> (&'static [&'static str], u64) {
                match self.schema() {
                    crate::runtime::schema::Node::Object(object) => (object.documented, object.required_bits),
                    _ => (&[], 0),
                }
            }

            /// True when `value` is a message of this kind with no error.
            pub fn is_valid(self, value: &serde_json::Value) -> bool {
                match self { #(#cfgs MessageKind::#names => <#names as crate::Validate>::is_valid(value),)* }
            }

            /// The schemars-derived JSON Schema of this kind's Rust type.
            #[cfg(feature = "schemars")]
            pub fn derived_schema(self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                match self { #(#cfgs MessageKind::#names => generator.root_schema_for::<#names>(),)* }
            }
        }

        /// A message of any kind, typed. Each is boxed, so that a `Message` stays small however
        /// large its kind is; its envelope is read through [`crate::MessageEnvelope`].
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum Message { #(#cfgs #names(Box<#names>),)* }

        impl Message {
            /// The kind of this message.
            pub fn kind(&self) -> MessageKind {
                match self { #(#cfgs Message::#names(_) => MessageKind::#names,)* }
            }

            /// The message itself, for its envelope.
            pub fn envelope(&self) -> &dyn crate::MessageEnvelope {
                match self { #(#cfgs Message::#names(message) => message.as_ref(),)* }
            }

            /// The message itself, to change its envelope.
            pub fn envelope_mut(&mut self) -> &mut dyn crate::MessageEnvelope {
                match self { #(#cfgs Message::#names(message) => message.as_mut(),)* }
            }

            /// Deserializes message text as a message of `kind`, reporting where it did not fit.
            /// Numbers kept as text (`Decimal`) keep the sender's spelling.
            pub fn from_str_as(kind: MessageKind, text: &str) -> Result<Message, crate::ParseError> {
                Ok(match kind {
                    #(#cfgs MessageKind::#names => Message::#names(crate::runtime::read_as(kind, text)?),)*
                })
            }

            /// Deserializes `value` as a message of `kind`, reporting where it did not fit.
            pub fn from_value_as(kind: MessageKind, value: &serde_json::Value) -> Result<Message, crate::ParseError> {
                Ok(match kind {
                    #(#cfgs MessageKind::#names => Message::#names(crate::runtime::read_as(kind, value)?),)*
                })
            }
        }

        impl serde::Serialize for Message {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self { #(#cfgs Message::#names(message) => message.serialize(serializer),)* }
            }
        }

        #(
            #cfgs
            impl From<#names> for Message {
                fn from(message: #names) -> Message {
                    Message::#names(Box::new(message))
                }
            }

            #cfgs
            impl TryFrom<Message> for #names {
                type Error = Message;
                /// The message when it is of this kind, else the message back.
                fn try_from(message: Message) -> Result<#names, Message> {
                    match message {
                        Message::#names(message) => Ok(*message),
                        other => Err(other),
                    }
                }
            }
        )*
    }
}

fn info(model: &Model, message: &Message) -> TokenStream {
    let name = &message.name;
    let option = |value: &Option<String>| match value {
        Some(v) => quote! { Some(#v) },
        None => quote! { None },
    };
    let controller = option(&message.controller);
    let topic = option(&message.topic);
    let action = &message.action;
    let direction = direction(message.direction);
    let replies = &message.reply_topics;
    let schema_id = &message.schema_id;
    let schema_file = &message.location.file;
    let arguments = match &message.arguments {
        Some(_) => {
            let group = Ident::new(&super::schema::group(&model[message.ty]), Span::call_site());
            let forms = super::schema::forms_static(&message.name);
            quote! { &super::schema::#group::#forms }
        }
        None => quote! { &[] },
    };
    let summary = super::tokens::summary(&message.doc);
    let (changes, fixed) = state_rules(model, message);
    let permissions = model.permissions(message);
    let repeatable = message.repeatable;
    quote! {
        MessageInfo {
            name: #name,
            controller: #controller,
            topic: #topic,
            action: #action,
            direction: #direction,
            reply_topics: &[#(#replies),*],
            arguments: #arguments,
            schema_id: #schema_id,
            schema_file: #schema_file,
            summary: #summary,
            permissions: &[#(#permissions),*],
            repeatable: #repeatable,
            changes: #changes,
            fixed: &[#(#fixed),*],
        }
    }
}

/// What the reference says of a message: its description, fields and example.
fn docs(model: &Model, message: &Message) -> TokenStream {
    let description = &message.doc;
    let fields = match &model[message.ty].kind {
        TypeKind::Struct { fields, .. } => super::docs::field_rows(model, fields)
            .into_iter()
            .map(|(wire, field)| {
                let type_text = super::docs::type_text(model, field, super::docs::Links::None);
                let (required, secret) = (field.required, field.secret);
                let nullable = matches!(field.shape, Shape::Nullable(_));
                let doc = field.doc.as_deref().unwrap_or_default();
                quote! {
                    crate::runtime::FieldInfo {
                        wire: #wire,
                        type_text: #type_text,
                        required: #required,
                        nullable: #nullable,
                        secret: #secret,
                        description: #doc,
                    }
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    let shown = message.examples.first().map(|e| super::docs::shown_example(model, e));
    let example = super::tokens::optional(shown.and_then(|e| serde_json::to_string(&e).ok()).map(|e| quote! { #e }));
    quote! {
        MessageDocs { description: #description, fields: &[#(#fields),*], example: #example }
    }
}

/// What a message's `Data` does to its subscription's state: the change rules of its records
/// (`Data` a record or an array of them), and the properties that never change.
fn state_rules(model: &Model, message: &Message) -> (TokenStream, Vec<String>) {
    let none = (quote! { None }, Vec::new());
    let TypeKind::Struct { fields, .. } = &model[message.ty].kind else { return none };
    let Some(data) = fields.iter().find(|f| f.wire == "Data") else { return none };
    let record = match &data.shape {
        Shape::Array(items) => items.as_ref(),
        shape => shape,
    };
    let Shape::Named(id) = record else { return none };
    let TypeKind::Struct { fields, changes, .. } = &model[*id].kind else { return none };
    let fixed = fields.iter().filter(|f| f.fixed).map(|f| f.wire.clone()).collect();
    let changes = super::tokens::change_rules_ref(changes.as_deref(), &quote! { crate::runtime });
    (changes, fixed)
}

/// `#[cfg(feature = ...)]` for what only a message of a controller with a feature has.
fn message_cfg(message: &Message) -> TokenStream {
    super::tokens::cfg(Model::feature_of_controller(message.controller.as_deref()))
}

fn direction(direction: Direction) -> Word<'static, Direction> {
    bare(direction)
}

/// `Role::of` in the vocabulary crate: the role of each action each way, from `x-zenith-roles`.
pub fn roles(model: &Model) -> TokenStream {
    let arms = model.roles.iter().map(|rule| {
        let (action, direction, role) = (&rule.action, bare(rule.direction), bare(rule.role));
        quote! { (#action, #direction) => Some(#role), }
    });
    quote! {
        use crate::{Direction, Role};

        impl Role {
            /// The role of a message with `action` travelling `direction`, if the schemas give one.
            pub fn of(action: &str, direction: Direction) -> Option<Role> {
                match (action, direction) {
                    #(#arms)*
                    _ => None,
                }
            }
        }
    }
}

/// Match arms, most specific first: (controller, topic), (*, topic), (controller, *), (*, *).
fn dispatch_arms(model: &Model) -> Vec<TokenStream> {
    let mut ordered: Vec<&Message> = model.messages.iter().collect();
    ordered.sort_by_key(|m| (m.topic.is_none(), m.controller.is_none()));
    ordered
        .into_iter()
        .map(|m| {
            let name = ident(&m.name);
            let direction = direction(m.direction);
            let action = &m.action;
            let controller = match &m.controller {
                Some(c) => quote! { #c },
                None => quote! { _ },
            };
            let topic = match &m.topic {
                Some(t) => quote! { Some(#t) },
                None => quote! { _ },
            };
            let cfg = message_cfg(m);
            quote! { #cfg (#direction, #action, #controller, #topic) => Some(MessageKind::#name), }
        })
        .collect()
}
