//! Rust for value unions: an enum chosen by a value's JSON type, and a tuple struct per tagged array.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::rust_type::{UNRECOGNIZED, ident, rust_type};
use super::tokens::doc_attrs;
use crate::model::{Branch, BranchKind, Choice, JsonType, Model, Shape, Tuple, TypeDef, TypeKind};

/// A value union: an enum with a variant per branch, chosen by the value's JSON type and, for an
/// array, by its tag; `Unrecognized` keeps a value no branch takes, as sent.
pub(super) fn value_union(model: &Model, ty: &TypeDef, choice: &Choice) -> TokenStream {
    let name = ident(&ty.name);
    let doc = doc_attrs(ty.doc.as_deref());
    let unrecognized = ident(UNRECOGNIZED);
    let mut variants = Vec::new();
    let mut structs = Vec::new();
    let mut scalar_arms = Vec::new();
    let mut tag_arms = Vec::new();
    let mut untagged_array = None;
    let mut branch_types = Vec::new();
    for branch in &choice.branches {
        let variant = ident(&branch.name);
        let variant_doc = doc_attrs(branch.doc.as_deref());
        let parse = quote! { Self::#variant(crate::runtime::read_nested(text).map_err(D::Error::custom)?) };
        let held = match &branch.kind {
            BranchKind::Tuple(tuple) => {
                structs.push(tuple_struct(model, branch, tuple));
                let tag = &tuple.tag;
                tag_arms.push(quote! { Some(#tag) => #parse, });
                quote! { #variant }
            }
            BranchKind::Value { shape, claims, tags } => {
                for claim in claims {
                    let kind = match claim {
                        JsonType::Null => quote! { Null },
                        JsonType::Boolean => quote! { Boolean },
                        JsonType::Integer | JsonType::Number => quote! { Number },
                        JsonType::String => quote! { String },
                        JsonType::Object => quote! { Object },
                        JsonType::Array if tags.is_empty() => {
                            untagged_array = Some(parse.clone());
                            continue;
                        }
                        JsonType::Array => {
                            tag_arms.push(quote! { Some(#(#tags)|*) => #parse, });
                            continue;
                        }
                    };
                    scalar_arms.push(quote! { crate::runtime::JsonKind::#kind => #parse, });
                }
                rust_type(model, shape, false)
            }
        };
        branch_types.push(held.clone());
        variants.push(quote! { #variant_doc #variant(#held), });
    }
    let array_arm = match untagged_array {
        Some(parse) => quote! { crate::runtime::JsonKind::Array(_) => #parse, },
        None if tag_arms.is_empty() => TokenStream::new(),
        None => quote! {
            crate::runtime::JsonKind::Array(tag) => match tag.as_deref() {
                #(#tag_arms)*
                _ => Self::#unrecognized(serde_json::from_str(text).map_err(D::Error::custom)?),
            },
        },
    };
    let variant_names: Vec<Ident> = choice.branches.iter().map(|b| ident(&b.name)).collect();
    let type_name = &ty.name;
    let json_types: Vec<&str> = choice.types.iter().map(|t| t.as_str()).collect();
    quote! {
        #doc
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        pub enum #name {
            #(#variants)*
            /// A value no branch takes (another JSON type, or an unknown tag), kept exactly as
            /// sent; validation reports it.
            #unrecognized(serde_json::Value),
        }

        #(#structs)*

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #( Self::#variant_names(value) => value.serialize(serializer), )*
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
                #[allow(unreachable_patterns)]
                Ok(match crate::runtime::JsonKind::of(text) {
                    #(#scalar_arms)*
                    #array_arm
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
                let branches = vec![#(generator.subschema_for::<#branch_types>().to_value()),*];
                schemars::json_schema!({ "type": [#(#json_types),*], "oneOf": branches })
            }
        }
    }
}

/// A tagged array as a tuple struct: a field per position (`Option` past the required ones),
/// then a `Vec` of the further items; written back with its tag first.
fn tuple_struct(model: &Model, branch: &Branch, tuple: &Tuple) -> TokenStream {
    // Unions nest through positions (a criterion holds criteria), so those are boxed.
    let is_union = |shape: &Shape| matches!(shape, Shape::Named(id) if matches!(model[*id].kind, TypeKind::Choice(_)));
    let name = ident(&branch.name);
    let tag = &tuple.tag;
    let signature = tuple.signature(&model.types);
    let doc_text = format!("{}\n\n`{signature}`", branch.doc.as_deref().unwrap_or_default());
    let doc = doc_attrs(Some(&doc_text));
    let mut fields = Vec::new();
    let (mut reads, mut writes, mut schemas) = (Vec::new(), Vec::new(), Vec::new());
    for (index, position) in tuple.positions.iter().enumerate() {
        let field_doc = doc_attrs(position.doc.as_deref());
        let mut ty = rust_type(model, &position.shape, false);
        if is_union(&position.shape) {
            ty = quote! { Box<#ty> };
        }
        let member = syn_index(index);
        schemas.push(quote! { generator.subschema_for::<#ty>().to_value() });
        if index < tuple.required {
            fields.push(quote! { #field_doc pub #ty });
            reads.push(quote! { items.required()? });
            writes.push(quote! { items.required(&self.#member)?; });
        } else {
            fields.push(quote! { #field_doc pub Option<#ty> });
            reads.push(quote! { items.optional()? });
            writes.push(quote! { items.optional(self.#member.as_ref())?; });
        }
    }
    let rest_schema = match &tuple.rest {
        Some(rest) => {
            let field_doc = doc_attrs(rest.doc.as_deref());
            let ty = rust_type(model, &rest.shape, false);
            let member = syn_index(tuple.positions.len());
            fields.push(quote! { #field_doc pub Vec<#ty> });
            reads.push(quote! { items.rest()? });
            writes.push(quote! { items.rest(&self.#member)?; });
            quote! { generator.subschema_for::<#ty>().to_value() }
        }
        None => quote! { false },
    };
    let (declaration, construct) = if fields.is_empty() {
        (quote! { pub struct #name; }, quote! { #name })
    } else {
        (quote! { pub struct #name(#(#fields),*); }, quote! { #name(#(#reads),*) })
    };
    let min_items = tuple.required + 1;
    let type_name = &branch.name;
    let generator = if schemas.is_empty() && tuple.rest.is_none() { ident("_generator") } else { ident("generator") };
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        #declaration

        impl #name {
            /// Item 0 of the array.
            pub const TAG: &'static str = #tag;
            /// How the array is written.
            pub const SIGNATURE: &'static str = #signature;
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::Serializer as _;
                #[allow(unused_mut)]
                let mut items = crate::runtime::TupleWriter::new(serializer.serialize_seq(None)?, Self::TAG)?;
                #(#writes)*
                items.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Items;
                impl<'de> serde::de::Visitor<'de> for Items {
                    type Value = #name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(#name::SIGNATURE)
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<#name, A::Error> {
                        #[allow(unused_mut)]
                        let mut items = crate::runtime::TupleReader::new(seq, #name::TAG, #name::SIGNATURE)?;
                        let value = #construct;
                        items.end()?;
                        Ok(value)
                    }
                }
                deserializer.deserialize_seq(Items)
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for #name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                #type_name.into()
            }

            fn json_schema(#generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let positions: Vec<serde_json::Value> = vec![serde_json::json!({ "const": #tag }), #(#schemas),*];
                schemars::json_schema!({
                    "type": "array",
                    "prefixItems": positions,
                    "minItems": #min_items,
                    "items": #rest_schema,
                })
            }
        }
    }
}

/// `self.0`, `self.1`: a tuple struct's member.
fn syn_index(index: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(index)
}
