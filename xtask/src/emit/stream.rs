//! Streaming checkers: the fast verdict computed while JSON text is parsed, with no tree built.
//! One zero-sized type per named type (and per inline shape), each implementing the runtime's
//! `Check` trait. They accept exactly what the tree validators accept.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::validators::{Emitter, required_bits};
use crate::model::{Field, JsonType, Model, Shape, StringRules, TypeDef, TypeKind};

pub fn emit(model: &Model, emitter: &mut Emitter) -> TokenStream {
    let mut stream = Stream { emitter, inline: Vec::new() };
    let named: Vec<TokenStream> = model.types.iter().map(|ty| stream.named(ty)).collect();
    let inline = &stream.inline;
    let runtime = stream.emitter.runtime.clone();
    quote! {
        /// Streaming checkers, one per schema type: the fast verdict without building a tree.
        pub mod stream {
            use #runtime::stream::{self as rt, Check, Properties, Seed};
            use #runtime::diagnostics::Verdict;
            use serde::de::{Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess};
            use super::*;
            #(#named)*
            #(#inline)*
        }
    }
}

struct Stream<'e> {
    emitter: &'e mut Emitter,
    /// Checkers for inline shapes, named `Inline0`, `Inline1`, ... in order of first use.
    inline: Vec<TokenStream>,
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

impl Stream<'_> {
    fn named(&mut self, ty: &TypeDef) -> TokenStream {
        let name = ident(&ty.name);
        match &ty.kind {
            TypeKind::Struct { fields, additional_properties, typed } => {
                let properties = self.properties(fields, *additional_properties);
                let others = if *typed {
                    quote! {}
                } else {
                    accept_all_but_objects()
                };
                quote! {
                    pub struct #name;
                    impl Check for #name {
                        fn object<'de, A: MapAccess<'de>>(map: A) -> Result<Verdict, A::Error> {
                            rt::object::<Self, A>(map)
                        }
                        #others
                    }
                    impl Properties for #name { #properties }
                }
            }
            TypeKind::Enum { values } => quote! {
                pub struct #name;
                impl Check for #name {
                    fn string(s: &str) -> Verdict { Verdict::check(matches!(s, #(#values)|*)) }
                }
            },
            TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. } => {
                let checker = self.checker(shape);
                quote! { pub type #name = #checker; }
            }
        }
    }

    /// The `Properties` of a struct: its documented names, required bits and a checker per
    /// property.
    fn properties(&mut self, fields: &[Field], additional_properties: bool) -> TokenStream {
        let documented: Vec<&str> = fields.iter().map(|f| f.wire.as_str()).collect();
        let bits = required_bits(fields);
        let required_mask: u64 = bits.iter().fold(0, |mask, (_, bit)| mask | bit);
        let arms: Vec<TokenStream> = fields
            .iter()
            .map(|f| {
                let wire = &f.wire;
                let checker = match f.constant.as_ref().and_then(|c| c.as_str()) {
                    Some(constant) => self.checker(&Shape::Const(constant.to_owned())),
                    None => self.checker(&f.shape),
                };
                let bit = bits.iter().find(|(w, _)| *w == f.wire).map_or(0, |(_, bit)| *bit);
                quote! { #wire => (Seed::<#checker>::new().deserialize(value)?, #bit), }
            })
            .collect();
        let unknown = if additional_properties {
            quote! { other => {
                IgnoredAny::deserialize(value)?;
                (Verdict::unknown_property(other, Self::DOCUMENTED), 0)
            } }
        } else {
            quote! { _ => {
                IgnoredAny::deserialize(value)?;
                (Verdict::Invalid, 0)
            } }
        };
        quote! {
            const DOCUMENTED: &'static [&'static str] = &[#(#documented),*];
            const REQUIRED: u64 = #required_mask;
            fn property<'de, D: Deserializer<'de>>(key: &str, value: D) -> Result<(Verdict, u64), D::Error> {
                Ok(match key {
                    #(#arms)*
                    #unknown
                })
            }
        }
    }

    /// The checker type for a shape, defining an inline one when the runtime has none.
    fn checker(&mut self, shape: &Shape) -> TokenStream {
        let methods = match shape {
            Shape::Any => return quote! { rt::AnyValue },
            Shape::Boolean => return quote! { rt::Boolean },
            Shape::Integer => return quote! { rt::Integer },
            Shape::Number => return quote! { rt::Number },
            Shape::String(rules) if *rules == StringRules::default() => return quote! { rt::AnyString },
            Shape::Named(name) => {
                let name = ident(name);
                return quote! { #name };
            }
            Shape::Const(constant) => quote! {
                fn string(s: &str) -> Verdict { Verdict::check(s == #constant) }
            },
            Shape::String(rules) => {
                let check = self.emitter.fast_string(rules);
                quote! { fn string(s: &str) -> Verdict { Verdict::check(#check) } }
            }
            Shape::Array(items) => self.array(items),
            Shape::Multi { types, string, items } => {
                let has = |t| types.contains(&t);
                let mut methods = Vec::new();
                if has(JsonType::String) {
                    let check = self.emitter.fast_string(string);
                    methods.push(quote! { fn string(s: &str) -> Verdict { Verdict::check(#check) } });
                }
                if has(JsonType::Number) {
                    methods.push(quote! { fn number(_: bool) -> Verdict { Verdict::Clean } });
                } else if has(JsonType::Integer) {
                    methods.push(quote! { fn number(integral: bool) -> Verdict { Verdict::check(integral) } });
                }
                if has(JsonType::Boolean) {
                    methods.push(quote! { fn boolean() -> Verdict { Verdict::Clean } });
                }
                if has(JsonType::Null) {
                    methods.push(quote! { fn null() -> Verdict { Verdict::Clean } });
                }
                if has(JsonType::Object) {
                    methods.push(quote! {
                        fn object<'de, A: MapAccess<'de>>(map: A) -> Result<Verdict, A::Error> {
                            rt::skip_map(map).map(|()| Verdict::Clean)
                        }
                    });
                }
                if has(JsonType::Array) {
                    methods.push(match items {
                        Some(items) => self.array(items),
                        None => quote! {
                            fn array<'de, A: SeqAccess<'de>>(seq: A) -> Result<Verdict, A::Error> {
                                rt::skip_seq(seq).map(|()| Verdict::Clean)
                            }
                        },
                    });
                }
                quote! { #(#methods)* }
            }
        };
        let name = format_ident!("Inline{}", self.inline.len());
        self.inline.push(quote! {
            pub struct #name;
            impl Check for #name { #methods }
        });
        quote! { #name }
    }

    /// `Check::array` checking every item with the items' checker.
    fn array(&mut self, items: &Shape) -> TokenStream {
        let item = self.checker(items);
        quote! {
            fn array<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Verdict, A::Error> {
                let mut verdict = Verdict::Clean;
                while let Some(item) = seq.next_element_seed(Seed::<#item>::new())? {
                    verdict = verdict.max(item);
                    if verdict == Verdict::Invalid {
                        rt::skip_seq(seq)?;
                        return Ok(Verdict::Invalid);
                    }
                }
                Ok(verdict)
            }
        }
    }
}

/// For objects without `"type": "object"`: every other JSON type passes.
fn accept_all_but_objects() -> TokenStream {
    quote! {
        fn string(_: &str) -> Verdict { Verdict::Clean }
        fn number(_: bool) -> Verdict { Verdict::Clean }
        fn boolean() -> Verdict { Verdict::Clean }
        fn null() -> Verdict { Verdict::Clean }
        fn array<'de, A: SeqAccess<'de>>(seq: A) -> Result<Verdict, A::Error> {
            rt::skip_seq(seq).map(|()| Verdict::Clean)
        }
    }
}
