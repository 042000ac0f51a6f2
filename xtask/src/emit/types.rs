//! Rust structs, enums and aliases for every named schema type.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::rust_type::{UNRECOGNIZED, ident, rust_type};
use super::tokens::{cfg, doc_attrs, gated};
use super::value_union::value_union;
use crate::Error;
use crate::model::{Arguments, Field, Model, Shape, TypeDef, TypeId, TypeKind, Union};
use crate::naming::{Case, rust_name};

/// The Rust types, one module per schema directory (as the schema tables are), as (module
/// name, contents); `types/mod.rs` re-exports them all, so each module names the others' types
/// plainly.
pub fn emit(model: &Model) -> Result<Vec<(String, TokenStream)>, Error> {
    let mut groups: Vec<(String, Vec<TokenStream>)> = Vec::new();
    let mut add = |group: String, item: TokenStream| match groups.iter_mut().find(|(g, _)| *g == group) {
        Some((_, items)) => items.push(item),
        None => groups.push((group, vec![item])),
    };
    for (index, ty) in model.types.iter().enumerate() {
        let message = model.messages.iter().any(|m| m.ty == TypeId(index));
        let cfg = cfg(model.features_of_type(TypeId(index)));
        let example = model.messages.iter().find(|m| m.ty == TypeId(index)).and_then(|m| m.examples.first());
        add(super::schema::group(ty), gated(&cfg, emit_type(model, ty, example)?));
        add(super::schema::group(ty), gated(&cfg, constructor(model, ty, message)));
    }
    let mut topics: Vec<(&str, &str)> = Vec::new();
    for message in &model.messages {
        let group = super::schema::group(&model[message.ty]);
        let cfg = cfg(Model::feature_of_controller(message.controller.as_deref()));
        add(group.clone(), gated(&cfg, envelope_impl(model, message)));
        let controller = message.controller.as_deref().unwrap_or_default();
        match (&message.topic, &message.arguments) {
            (Some(topic), _) if topics.contains(&(controller, topic)) => {}
            (Some(topic), Some(arguments)) => {
                topics.push((controller, topic));
                add(group.clone(), gated(&cfg, topic_type(model, message, topic, arguments)?));
                add(group, gated(&cfg, subscribe_impl(model, message, topic)));
            }
            (Some(topic), None) if push_of(model, message, topic).is_some() => {
                topics.push((controller, topic));
                add(group.clone(), gated(&cfg, bare_topic_type(model, message, topic)?));
                add(group, gated(&cfg, subscribe_impl(model, message, topic)));
            }
            _ => {}
        }
    }
    Ok(groups
        .into_iter()
        .map(|(group, items)| {
            let tokens = quote! {
                #![allow(unused_imports)]
                use super::*;
                use crate::runtime::Secret;
                #(#items)*
            };
            (group, tokens)
        })
        .collect())
}

/// `types/mod.rs`: the modules, each re-exported.
pub fn module_root(groups: &[String]) -> TokenStream {
    let modules = groups.iter().map(|g| ident(g));
    let modules_again = modules.clone();
    quote! {
        // `schemas/types/` gives a module `types` here.
        #![allow(clippy::module_inception)]
        #(mod #modules;)*
        #(pub use #modules_again::*;)*
    }
}

/// A type's Rust; a message's doc ends with its example from the schema.
fn emit_type(model: &Model, ty: &TypeDef, example: Option<&serde_json::Value>) -> Result<TokenStream, Error> {
    let name = ident(&ty.name);
    let shown =
        example.map(|e| super::docs::shown_example(model, e)).and_then(|e| serde_json::to_string_pretty(&e).ok());
    let doc = match shown {
        Some(example) => {
            let text = format!("{}\n\nFor example:\n\n```json\n{example}\n```", ty.doc.as_deref().unwrap_or_default());
            doc_attrs(Some(&text))
        }
        None => doc_attrs(ty.doc.as_deref()),
    };
    Ok(match &ty.kind {
        TypeKind::Struct { fields, union: Some(union), .. } => tagged_union(model, ty, fields, union),
        TypeKind::Struct { fields, .. } => {
            let undocumented = undocumented_field();
            let fields = fields.iter().map(|f| struct_field(model, f, f.required));
            quote! {
                #doc
                #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
                #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
                #[non_exhaustive]
                pub struct #name { #(#fields)* #undocumented }
            }
        }
        TypeKind::Enum { values, .. } => string_enum(ty, values)?,
        TypeKind::Alias { shape } => {
            let target = rust_type(model, shape, false);
            quote! { #doc pub type #name = #target; }
        }
        TypeKind::Choice(choice) => value_union(model, ty, choice),
        TypeKind::Runtime { rust, .. } => {
            let runtime = ident(rust);
            if *rust == ty.name {
                quote! { #doc pub use crate::runtime::#runtime; }
            } else {
                quote! { #doc pub use crate::runtime::#runtime as #name; }
            }
        }
    })
}

fn struct_field(model: &Model, field: &Field, required: bool) -> TokenStream {
    let name = ident(&field.rust);
    let wire = &field.wire;
    let mut doc_text = field.doc.clone().unwrap_or_default();
    if let Some(constant) = field.constant.as_ref().and_then(|c| c.as_str()) {
        doc_text.push_str(&format!("\n\nAlways `{constant}` in this message."));
    }
    if field.secret {
        doc_text.push_str("\n\nA credential: `Debug` and `Display` never show it.");
    }
    let doc = doc_attrs(Some(doc_text.trim_start()).filter(|d| !d.is_empty()));
    let inner = rust_type(model, &field.shape, field.secret);
    if required {
        quote! {
            #doc
            #[serde(rename = #wire)]
            pub #name: #inner,
        }
    } else if matches!(field.shape, Shape::Any | Shape::Never | Shape::Multi { .. } | Shape::Nullable(_)) {
        // `Some(Null)` keeps an explicit `null` apart from an absent field, so it round-trips.
        quote! {
            #doc
            #[serde(rename = #wire, default, deserialize_with = "crate::runtime::some", skip_serializing_if = "Option::is_none")]
            pub #name: Option<#inner>,
        }
    } else {
        quote! {
            #doc
            #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")]
            pub #name: Option<#inner>,
        }
    }
}

/// A topic with its arguments as a type: a field per part, read with `FromStr` and written
/// with `Display` in the topic's forms.
fn topic_type(
    model: &Model,
    message: &crate::model::Message,
    topic: &str,
    arguments: &Arguments,
) -> Result<TokenStream, Error> {
    let type_name = topic_type_name(topic);
    if model.type_named(&type_name).is_some() {
        return Err(Error::at(
            &arguments.location,
            format!("the topic's type `{type_name}` is taken by a schema type"),
        ));
    }
    let name = ident(&type_name);
    let group = ident(&super::schema::group(&model[message.ty]));
    let forms_static = super::schema::forms_static(&message.name);
    let everywhere = |part: &str| arguments.forms.iter().all(|f| f.parts.iter().any(|p| p == part));
    let parts: Vec<&crate::model::Part> =
        arguments.parts.iter().filter(|p| arguments.forms.iter().any(|f| f.parts.contains(&p.name))).collect();
    let fields = parts.iter().map(|part| {
        let field = ident(&rust_name(&part.name, Case::Field));
        let doc = doc_attrs(part.doc.as_deref());
        if everywhere(&part.name) {
            quote! { #doc pub #field: String, }
        } else {
            quote! { #doc pub #field: Option<String>, }
        }
    });
    let reads = parts.iter().map(|part| {
        let field = ident(&rust_name(&part.name, Case::Field));
        let wire = &part.name;
        if everywhere(&part.name) {
            quote! { #field: value(#wire).unwrap_or_default(), }
        } else {
            quote! { #field: value(#wire), }
        }
    });
    // Each form is written when every part it has is there; the one with the most parts that
    // fits wins, so the topic alone (the empty form) comes last.
    let mut writes = Vec::new();
    let mut by_parts: Vec<&crate::model::Form> = arguments.forms.iter().collect();
    by_parts.sort_by_key(|form| std::cmp::Reverse(form.parts.len()));
    for form in by_parts {
        // The empty form is the topic alone.
        let format = match form.parts.is_empty() {
            true => topic.replace('{', "{{").replace('}', "}}"),
            false => format!(
                "{topic}!{}",
                form.literals.iter().map(|l| l.replace('{', "{{").replace('}', "}}")).collect::<Vec<_>>().join("{}")
            ),
        };
        let values = form.parts.iter().map(|p| {
            let field = ident(&rust_name(p, Case::Field));
            if everywhere(p) {
                quote! { self.#field }
            } else {
                quote! { self.#field.as_deref().unwrap_or_default() }
            }
        });
        let present: Vec<TokenStream> = form
            .parts
            .iter()
            .filter(|p| !everywhere(p))
            .map(|p| {
                let field = ident(&rust_name(p, Case::Field));
                quote! { self.#field.is_some() }
            })
            .collect();
        if present.is_empty() {
            writes.push(quote! { write!(f, #format, #(#values),*) });
            break;
        }
        writes.push(quote! { if #(#present)&&* { return write!(f, #format, #(#values),*); } });
    }
    if writes.len() == arguments.forms.len() && !arguments.forms.iter().any(|f| f.parts.iter().all(|p| everywhere(p))) {
        writes.push(quote! { f.write_str(#topic) });
    }
    let forms_text = arguments
        .forms
        .iter()
        .map(|f| if f.parts.is_empty() { format!("`{topic}`") } else { format!("`{topic}!{}`", f.text) })
        .collect::<Vec<_>>()
        .join(" or ");
    let doc = format!(" The `{topic}` topic with its arguments: {forms_text}.");
    let controller = message.controller.clone().unwrap_or_else(|| model.default_controller.clone());
    // A topic is made from the parts every form has; the others are left out.
    let required: Vec<Ident> =
        parts.iter().filter(|p| everywhere(&p.name)).map(|p| ident(&rust_name(&p.name, Case::Field))).collect();
    let optional: Vec<Ident> =
        parts.iter().filter(|p| !everywhere(&p.name)).map(|p| ident(&rust_name(&p.name, Case::Field))).collect();
    let setters = parts.iter().filter(|p| !everywhere(&p.name)).map(|p| {
        let field = ident(&rust_name(&p.name, Case::Field));
        let setter = ident(&format!("with_{}", rust_name(&p.name, Case::Field)));
        let doc = format!(" The topic with `{{{}}}` given (the forms that have it).", p.name);
        quote! {
            #[doc = #doc]
            pub fn #setter(mut self, value: impl Into<String>) -> Self {
                self.#field = Some(value.into());
                self
            }
        }
    });
    let new_doc = format!(" The `{topic}` topic for these arguments (those not every form has left out).");
    // With no part every form has, the topic alone is the default.
    let typed = typed_topic_impls(&name, &controller, topic);
    let default = if required.is_empty() {
        quote! { Default, }
    } else {
        quote! {}
    };
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, #default PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub struct #name { #(#fields)* }

        impl std::str::FromStr for #name {
            type Err = crate::runtime::TopicError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let forms = &crate::generated::schema::#group::#forms_static;
                let (form, values) = crate::runtime::read_topic(#topic, forms, text)?;
                let value = |part: &str| form.parts.iter().position(|p| p.name == part).map(|i| values[i].to_owned());
                Ok(Self { #(#reads)* })
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                #(#writes)*
            }
        }

        impl #name {
            #[doc = #new_doc]
            pub fn new(#(#required: impl Into<String>),*) -> Self {
                Self { #(#required: #required.into(),)* #(#optional: None,)* }
            }
            #(#setters)*
        }

        #typed
    })
}

/// A tagged union: an enum with one struct per variant (holding the properties that variant
/// allows, required where it requires them), and `Unrecognized` keeping an object whose tag no
/// variant has, as sent.
fn tagged_union(model: &Model, ty: &TypeDef, fields: &[Field], union: &Union) -> TokenStream {
    let name = ident(&ty.name);
    let doc = doc_attrs(ty.doc.as_deref());
    let tag = &union.tag;
    let unrecognized = ident(UNRECOGNIZED);
    let variants: Vec<Ident> = union.variants.iter().map(|v| ident(&v.name)).collect();
    let values: Vec<&String> = union.variants.iter().map(|v| &v.value).collect();
    let variant_docs: Vec<TokenStream> = union
        .variants
        .iter()
        .map(|v| {
            let text =
                format!("`{tag}` is `{}`{}", v.value, v.doc.as_deref().map(|d| format!(": {d}")).unwrap_or_default());
            doc_attrs(Some(&text))
        })
        .collect();
    let structs = union.variants.iter().zip(&variant_docs).map(|(variant, doc)| {
        let struct_name = ident(&variant.name);
        let allowed: Vec<&Field> =
            fields.iter().filter(|f| f.wire != *tag && !variant.forbidden.contains(&f.wire)).collect();
        let members = allowed.iter().map(|f| struct_field(model, f, variant.required.contains(&f.wire)));
        // `new(..)` takes what the variant requires; the rest starts out `None`.
        let (mut params, mut inits) = (Vec::new(), Vec::new());
        for field in &allowed {
            let field_name = ident(&field.rust);
            if variant.required.contains(&field.wire) {
                let ty = rust_type(model, &field.shape, field.secret);
                params.push(quote! { #field_name: impl Into<#ty> });
                inits.push(quote! { #field_name: #field_name.into() });
            } else {
                inits.push(quote! { #field_name: None });
            }
        }
        let new_doc = format!(" A `{}` with its required fields, optional fields left out.", variant.name);
        let default = params.is_empty().then(|| {
            quote! {
                impl Default for #struct_name {
                    fn default() -> Self {
                        Self::new()
                    }
                }
            }
        });
        let undocumented = undocumented_field();
        let fields: Vec<(&Field, bool)> = allowed.iter().map(|f| (*f, variant.required.contains(&f.wire))).collect();
        let builder = builder(model, &variant.name, &fields);
        quote! {
            #builder
            #doc
            #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
            #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
            #[non_exhaustive]
            pub struct #struct_name { #(#members)* #undocumented }

            impl #struct_name {
                #[doc = #new_doc]
                #[allow(clippy::too_many_arguments)]
                pub fn new(#(#params),*) -> Self {
                    Self { #(#inits,)* undocumented: Default::default() }
                }
            }
            #default
        }
    });
    let type_name = &ty.name;
    let wires: Vec<&String> = fields.iter().map(|f| &f.wire).collect();
    let field_types: Vec<TokenStream> = fields.iter().map(|f| rust_type(model, &f.shape, f.secret)).collect();
    let required: Vec<&String> = fields.iter().filter(|f| f.required).map(|f| &f.wire).collect();
    quote! {
        #doc
        // Variants stay inline, so that a match reads as the protocol does.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #( #variant_docs #variants(#variants), )*
            /// An object whose tag no variant has, kept exactly as sent; validation reports it.
            #unrecognized(serde_json::Value),
        }

        #(#structs)*

        #(
            impl From<#variants> for #name {
                fn from(variant: #variants) -> Self {
                    Self::#variants(variant)
                }
            }
        )*

        impl #name {
            /// The property whose value says which variant an object is.
            pub const TAG: &'static str = #tag;

            /// The tag's value.
            pub fn tag(&self) -> &str {
                match self {
                    #( Self::#variants(_) => #values, )*
                    Self::#unrecognized(value) => value.get(Self::TAG).and_then(serde_json::Value::as_str).unwrap_or_default(),
                }
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                /// A variant's fields, after its tag.
                #[derive(serde::Serialize)]
                struct Tagged<'a, T> {
                    #[serde(rename = #tag)]
                    tag: &'a str,
                    #[serde(flatten)]
                    fields: &'a T,
                }
                match self {
                    #( Self::#variants(fields) => Tagged { tag: #values, fields }.serialize(serializer), )*
                    Self::#unrecognized(value) => value.serialize(serializer),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error;
                // Held as text, so that numbers kept as text (`Decimal`) keep their spelling.
                let raw = <Box<serde_json::value::RawValue>>::deserialize(deserializer)?;
                let text = raw.get();
                // Anything but an object with a string tag is kept whole, as `Unrecognized`.
                Ok(match crate::runtime::union_tag(text, Self::TAG).as_deref() {
                    #( Some(#values) => Self::#variants({
                        let mut fields: #variants = crate::runtime::read_nested(text).map_err(D::Error::custom)?;
                        fields.undocumented.remove(Self::TAG);
                        fields
                    }), )*
                    _ => Self::#unrecognized(serde_json::from_str(text).map_err(D::Error::custom)?),
                })
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for #name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                #type_name.into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let mut properties = serde_json::Map::new();
                #( properties.insert(#wires.to_owned(), generator.subschema_for::<#field_types>().to_value()); )*
                schemars::json_schema!({ "type": "object", "properties": properties, "required": [#(#required),*] })
            }
        }
    }
}

fn string_enum(ty: &TypeDef, values: &[String]) -> Result<TokenStream, Error> {
    let name = ident(&ty.name);
    let doc = doc_attrs(ty.doc.as_deref());
    // Codes that differ only in case (`A` and `a`) name the lower-case one `LowerA`.
    let mut names: Vec<String> = Vec::new();
    for value in values {
        let name = rust_name(value, Case::Type);
        let clashes = values.iter().any(|other| other != value && rust_name(other, Case::Type) == name);
        names.push(if clashes && value.starts_with(|c: char| c.is_lowercase()) {
            format!("Lower{name}")
        } else {
            name
        });
    }
    let variants: Vec<Ident> = names.iter().map(|name| ident(name)).collect();
    for (i, variant) in variants.iter().enumerate() {
        if variant == UNRECOGNIZED || variants[..i].contains(variant) {
            return Err(Error::at(
                &ty.location,
                format!("enum value `{}` gives the variant name `{variant}`, which is taken", values[i]),
            ));
        }
    }
    let unrecognized = ident(UNRECOGNIZED);
    let variant_docs = values.iter().map(|v| format!(" `{v}`"));
    let type_name = &ty.name;
    Ok(quote! {
        #doc
        ///
        /// Values the schema does not list are kept in `Unrecognized`, so parsing never loses them;
        /// validation reports them.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #variants, )*
            /// A value the schema does not list, kept exactly as sent.
            #unrecognized(String),
        }

        impl #name {
            /// Every value the schema lists, in schema order.
            pub const KNOWN: &'static [&'static str] = &[#(#values),*];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #values, )*
                    Self::#unrecognized(value) => value,
                }
            }

            /// False for values the schema does not list.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::#unrecognized(_))
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#variants, )*
                    other => Self::#unrecognized(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from(text.as_ref()))
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for #name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                #type_name.into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": Self::KNOWN })
            }
        }
    })
}

/// `new(..)` for a struct: constants filled in, required fields as arguments, the rest `None`
/// (and `Default` when nothing is required); for a message also `with_transaction_id`.
fn constructor(model: &Model, ty: &TypeDef, message: bool) -> TokenStream {
    let TypeKind::Struct { fields, union: None, .. } = &ty.kind else {
        return TokenStream::new();
    };
    let name = ident(&ty.name);
    let mut params = Vec::new();
    let mut inits = Vec::new();
    for field in fields {
        let field_name = ident(&field.rust);
        let constant = field.constant.as_ref().and_then(|c| c.as_str());
        let ty = rust_type(model, &field.shape, field.secret);
        inits.push(match (field.required, constant) {
            (true, Some(value)) => quote! { #field_name: <#ty>::from(#value) },
            (true, None) => {
                params.push(quote! { #field_name: impl Into<#ty> });
                quote! { #field_name: #field_name.into() }
            }
            (false, _) => quote! { #field_name: None },
        });
    }
    let doc = if message {
        format!(" A `{}` with its constant envelope fields set, optional fields left out.", ty.name)
    } else {
        format!(" A `{}` with its required fields, optional fields left out.", ty.name)
    };
    // A message's TransactionID, settable in a chain.
    let with_transaction_id = fields.iter().find(|f| message && f.wire == "TransactionID" && !f.required).map(|f| {
        let field_name = ident(&f.rust);
        let ty = rust_type(model, &f.shape, false);
        quote! {
            /// The message with this `TransactionID`, which its reply will carry.
            pub fn with_transaction_id(mut self, id: #ty) -> Self {
                self.#field_name = Some(id);
                self
            }
        }
    });
    let default = if params.is_empty() {
        quote! {
            impl Default for #name {
                fn default() -> Self {
                    Self::new()
                }
            }
        }
    } else {
        TokenStream::new()
    };
    let members: Vec<(&Field, bool)> = fields.iter().map(|f| (f, f.required)).collect();
    let builder = if message { TokenStream::new() } else { builder(model, &ty.name, &members) };
    quote! {
        impl #name {
            #[doc = #doc]
            #[allow(clippy::too_many_arguments)]
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits,)* undocumented: Default::default() }
            }
            #with_transaction_id
        }
        #default
        #builder
    }
}

/// The fewest fields a type has for a builder to read better than `new`.
const BUILDER_FIELDS: usize = 3;

/// `T::builder()` for a type of three fields or more: a setter per field taking anything that
/// converts into it, and `build()`, which names the first required field left unset.
fn builder(model: &Model, type_name: &str, fields: &[(&Field, bool)]) -> TokenStream {
    let settable: Vec<&(&Field, bool)> = fields
        .iter()
        .filter(|(f, required)| !(*required && f.constant.as_ref().is_some_and(|c| c.is_string())))
        .collect();
    if fields.len() < BUILDER_FIELDS {
        return TokenStream::new();
    }
    let name = ident(type_name);
    let builder = ident(&format!("{type_name}Builder"));
    let doc = format!(" Builds [`{type_name}`] one field at a time, then checks that each required one is set.");
    let members = settable.iter().map(|(f, _)| {
        let field = ident(&f.rust);
        let ty = rust_type(model, &f.shape, f.secret);
        quote! { #field: Option<#ty>, }
    });
    let setters = settable.iter().map(|(f, _)| {
        let field = ident(&f.rust);
        let ty = rust_type(model, &f.shape, f.secret);
        let doc = format!(" Sets `{}`.", f.wire);
        quote! {
            #[doc = #doc]
            pub fn #field(mut self, value: impl Into<#ty>) -> Self {
                self.#field = Some(value.into());
                self
            }
        }
    });
    let inits = fields.iter().map(|(f, required)| {
        let field = ident(&f.rust);
        let ty = rust_type(model, &f.shape, f.secret);
        let wire = &f.wire;
        match (required, f.constant.as_ref().and_then(|c| c.as_str())) {
            (true, Some(value)) => quote! { #field: <#ty>::from(#value) },
            (true, None) => quote! {
                #field: self.#field.ok_or(crate::runtime::BuildError { type_name: #type_name, missing: #wire })?
            },
            (false, _) => quote! { #field: self.#field },
        }
    });
    quote! {
        impl #name {
            #[doc = #doc]
            pub fn builder() -> #builder {
                #builder::default()
            }
        }

        #[doc = #doc]
        #[derive(Clone, Debug, Default)]
        #[must_use]
        pub struct #builder { #(#members)* }

        impl #builder {
            #(#setters)*

            /// The value, or which required field is still unset.
            pub fn build(self) -> Result<#name, crate::runtime::BuildError> {
                Ok(#name { #(#inits,)* undocumented: Default::default() })
            }
        }
    }
}

/// The catch-all field every object type ends with: the properties its schema does not document.
fn undocumented_field() -> TokenStream {
    quote! {
        /// Properties the schema does not document, kept as sent and written back.
        #[serde(flatten)]
        pub undocumented: crate::runtime::Undocumented,
    }
}

/// `MessageEnvelope` for a message type, the protocol's defaults filling what it leaves out; a
/// message whose topic takes arguments also gives its typed topic.
fn envelope_impl(model: &Model, message: &crate::model::Message) -> TokenStream {
    let TypeKind::Struct { fields, .. } = &model[message.ty].kind else {
        return TokenStream::new();
    };
    let name = ident(&message.name);
    let field = |wire: &str| fields.iter().find(|f| f.wire == wire).map(|f| (ident(&f.rust), f.required));
    let defaulted = |wire: &str, ty: TokenStream, default: &str| match field(wire) {
        Some((field, true)) => quote! { self.#field.clone() },
        Some((field, false)) => quote! { self.#field.clone().unwrap_or_else(|| #ty::from(#default)) },
        None => quote! { #ty::from(#default) },
    };
    let controller = defaulted("Controller", quote! { Controller }, &model.default_controller);
    let action = defaulted("Action", quote! { Action }, &model.default_action);
    let topic = match field("Topic") {
        Some((field, true)) => quote! { Some(&self.#field) },
        Some((field, false)) => quote! { self.#field.as_ref() },
        None => quote! { None },
    };
    let (transaction_id, set_transaction_id) = match field("TransactionID") {
        Some((field, true)) => (quote! { Some(self.#field) }, quote! { self.#field = id; }),
        Some((field, false)) => (quote! { self.#field }, quote! { self.#field = Some(id); }),
        None => (quote! { None }, quote! { let _ = id; }),
    };
    // A request's reply: the message coming back on its own topic with its action.
    let reply = model.messages.iter().find(|m| {
        message.direction == crate::model::Direction::Send
            && message.reply_topics.iter().any(|t| Some(t) == message.topic.as_ref())
            && m.direction == crate::model::Direction::Receive
            && (&m.controller, &m.topic, &m.action) == (&message.controller, &message.topic, &message.action)
    });
    let request = reply.map(|reply| {
        let reply = ident(&reply.name);
        quote! {
            impl crate::Request for #name {
                type Reply = #reply;
            }
        }
    });
    let typed_topic = match (&message.topic, &message.arguments, field("Topic")) {
        (Some(topic), Some(_), Some((field, true))) => {
            let topic_type = ident(&topic_type_name(topic));
            quote! {
                impl #name {
                    /// The topic with its arguments read, as its own type.
                    pub fn typed_topic(&self) -> Result<#topic_type, crate::runtime::TopicError> {
                        self.#field.as_str().parse()
                    }
                }
            }
        }
        _ => TokenStream::new(),
    };
    quote! {
        impl crate::MessageEnvelope for #name {
            fn kind(&self) -> crate::MessageKind {
                crate::MessageKind::#name
            }
            fn controller(&self) -> Controller {
                #controller
            }
            fn topic(&self) -> Option<&crate::runtime::Topic> {
                #topic
            }
            fn action(&self) -> Action {
                #action
            }
            fn transaction_id(&self) -> Option<TransactionId> {
                #transaction_id
            }
            fn set_transaction_id(&mut self, id: TransactionId) {
                #set_transaction_id
            }
        }
        #typed_topic
        #request
    }
}

/// The public names a type brings, besides its own: its builder, and a tagged union's variant
/// structs with theirs. The controller modules re-export them with the type.
pub fn companion_names(model: &Model, id: TypeId) -> Vec<String> {
    let ty = &model[id];
    let message = model.messages.iter().any(|m| m.ty == id);
    let builder = |name: &str, fields: usize| (fields >= BUILDER_FIELDS).then(|| format!("{name}Builder"));
    match &ty.kind {
        TypeKind::Struct { fields, union: None, .. } if !message => {
            builder(&ty.name, fields.len()).into_iter().collect()
        }
        TypeKind::Struct { fields, union: Some(union), .. } => union
            .variants
            .iter()
            .flat_map(|variant| {
                let allowed =
                    fields.iter().filter(|f| f.wire != union.tag && !variant.forbidden.contains(&f.wire)).count();
                std::iter::once(variant.name.clone()).chain(builder(&variant.name, allowed))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The push a subscription to `topic` brings: the message received on it with the default
/// action, when no request is sent on the same topic (whose replies those would be).
pub fn push_of<'m>(
    model: &'m Model,
    message: &crate::model::Message,
    topic: &str,
) -> Option<&'m crate::model::Message> {
    let same_topic =
        |m: &&crate::model::Message| m.controller == message.controller && m.topic.as_deref() == Some(topic);
    let publish = |m: &&crate::model::Message| m.action == model.default_action;
    let asked =
        model.messages.iter().filter(same_topic).filter(publish).any(|m| m.direction == crate::model::Direction::Send);
    let push = model
        .messages
        .iter()
        .filter(same_topic)
        .filter(publish)
        .find(|m| m.direction == crate::model::Direction::Receive);
    push.filter(|_| !asked)
}

/// The name of a topic's own type: `DepthTopic`.
pub fn topic_type_name(topic: &str) -> String {
    format!("{}Topic", rust_name(topic, Case::Type))
}

/// `Subscribe` for a topic the server pushes to.
fn subscribe_impl(model: &Model, message: &crate::model::Message, topic: &str) -> TokenStream {
    let Some(push) = push_of(model, message, topic) else { return TokenStream::new() };
    let topic_type = ident(&topic_type_name(topic));
    let push = ident(&push.name);
    quote! {
        impl crate::Subscribe for #topic_type {
            type Push = #push;
        }
    }
}

/// A topic without arguments that can be subscribed to, as a type (`MarketsTopic`), so that it
/// subscribes as the others do.
fn bare_topic_type(model: &Model, message: &crate::model::Message, topic: &str) -> Result<TokenStream, Error> {
    let type_name = topic_type_name(topic);
    if model.type_named(&type_name).is_some() {
        return Err(Error::at(&message.location, format!("the topic's type `{type_name}` is taken by a schema type")));
    }
    let name = ident(&type_name);
    let controller = message.controller.clone().unwrap_or_else(|| model.default_controller.clone());
    let doc = format!(" The `{topic}` topic, which takes no arguments.");
    let typed = typed_topic_impls(&name, &controller, topic);
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct #name;

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(#topic)
            }
        }

        #typed
    })
}

/// What every topic type implements: `TypedTopic` (its controller and name) and the conversion
/// into a `Topic`.
fn typed_topic_impls(name: &Ident, controller: &str, topic: &str) -> TokenStream {
    quote! {
        impl crate::runtime::TypedTopic for #name {
            const CONTROLLER: &'static str = #controller;
            const NAME: &'static str = #topic;
        }

        impl From<#name> for crate::runtime::Topic {
            fn from(topic: #name) -> Self {
                Self::from(topic.to_string())
            }
        }
    }
}
