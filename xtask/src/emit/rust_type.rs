//! How a shape is written as a Rust type, and the names the generated types share.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::model::{Model, Shape};

/// The variant that keeps enum values the schema does not list.
pub(super) const UNRECOGNIZED: &str = "Unrecognized";

pub(super) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The Rust type that holds a value of `shape`.
pub(super) fn rust_type(model: &Model, shape: &Shape, secret: bool) -> TokenStream {
    match shape {
        // Only `null`: nothing to hold.
        Shape::Multi { types, .. } if types.as_slice() == [crate::model::JsonType::Null] => quote! { () },
        Shape::Any | Shape::Never | Shape::Multi { .. } => quote! { serde_json::Value },
        Shape::Boolean => quote! { bool },
        Shape::Integer => quote! { i64 },
        Shape::Number => quote! { f64 },
        Shape::String(_) if secret => quote! { Secret },
        Shape::String(_) | Shape::Const(_) => quote! { String },
        Shape::Array(items) => {
            let inner = rust_type(model, items, false);
            quote! { Vec<#inner> }
        }
        Shape::Named(id) => {
            let name = ident(&model[*id].name);
            quote! { #name }
        }
        Shape::Nullable(inner) => {
            let inner = rust_type(model, inner, secret);
            quote! { crate::runtime::Nullable<#inner> }
        }
        Shape::Map(values) => {
            let values = rust_type(model, values, false);
            quote! { crate::runtime::Map<#values> }
        }
        Shape::Flags { codes, separator } => {
            let codes = ident(&model[*codes].name);
            let separator = separator.chars().next().unwrap_or(',');
            quote! { crate::runtime::Flags<#codes, #separator> }
        }
    }
}
