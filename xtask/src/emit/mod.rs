//! Emitters: each turns the model into one kind of generated file.

mod asyncapi;
mod docs;
mod drift;
mod messages;
mod rust_type;
pub mod schema;
mod tokens;
mod types;
mod value_union;
pub mod vocab;

use proc_macro2::TokenStream;

use crate::Error;
use crate::model::Model;

pub use schema::Target;

pub use tokens::GENERATED_HEADER;

const PROTOCOL_SRC: &str = "crates/zenith-protocol/src/generated";

/// Every generated file, as (path relative to the repository, contents).
pub fn all(model: &Model) -> Result<Vec<(String, String)>, Error> {
    let target = Target {
        runtime: quote::quote! { crate::runtime },
        grouped: true,
        types: Some(quote::quote! { crate::generated::types }),
    };
    let mut files = vec![
        (format!("{PROTOCOL_SRC}/mod.rs"), rust_file("Code generated from `schemas/`.", messages::module_root(model))?),
        (
            format!("{PROTOCOL_SRC}/messages.rs"),
            rust_file("The message catalog, the message enum and dispatch by envelope keys.", messages::emit(model))?,
        ),
        (
            "crates/zenith-vocab/src/roles.rs".to_owned(),
            rust_file(
                "Which role each action plays each way (the Action schema's `x-zenith-roles`).",
                messages::roles(model),
            )?,
        ),
        ("docs/reference/messages.md".to_owned(), docs::emit(model)),
        ("docs/reference/coverage.md".to_owned(), docs::coverage(model)),
        ("docs/reference/client-drift.md".to_owned(), drift::emit(model)),
        ("docs/asyncapi.json".to_owned(), asyncapi::emit(model)),
    ];
    files.extend(docs::reference(model));
    let type_groups = types::emit(model)?;
    let names: Vec<String> = type_groups.iter().map(|(group, _)| group.clone()).collect();
    files.push((
        format!("{PROTOCOL_SRC}/types/mod.rs"),
        rust_file("Rust types for every schema.", types::module_root(&names))?,
    ));
    for (group, tokens) in type_groups {
        let doc = format!("Rust types for the schemas of `schemas/{group}/`.");
        files.push((format!("{PROTOCOL_SRC}/types/{group}.rs"), rust_file(&doc, tokens)?));
    }
    for (group, tables) in schema::emit(model, &target) {
        let doc = format!("The schema tables of `schemas/{group}/`.");
        files.push((format!("{PROTOCOL_SRC}/schema/{group}.rs"), rust_file(&doc, tables)?));
    }
    Ok(files)
}

/// The README with its generated coverage table up to date.
pub fn readme(model: &Model, readme: &str) -> Result<String, Error> {
    docs::readme(model, readme).map_err(Error::plain)
}

/// Formats generated Rust, headed by the generated marker and a module doc line.
fn rust_file(doc: &str, tokens: TokenStream) -> Result<String, Error> {
    let file =
        syn::parse2::<syn::File>(tokens).map_err(|e| Error::plain(format!("generated Rust does not parse: {e}")))?;
    Ok(format!("// {GENERATED_HEADER}\n//! {doc}\n\n{}", separate_items(&prettyplease::unparse(&file))))
}

/// Puts a blank line between top-level items, which the formatter does not do.
fn separate_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut previous_ended_item = false;
    for line in code.lines() {
        let starts_item = !line.starts_with([' ', '}', ')', ']']) && !line.is_empty();
        if previous_ended_item && starts_item {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous_ended_item = line == "}" || (starts_item && !line.starts_with("//") && line.ends_with(';'));
    }
    out
}
