//! The schema tables: one static [`Node`] per named type, with its inline shapes nested in
//! it, which the runtime's two loops walk (the fast verdict and the full pass). Statics are
//! grouped in modules by schema directory (`auth`, `envelope`, ...), so an edit to one schema
//! recompiles little.
//!
//! [`Node`]: ../../zenith_protocol/runtime/schema/enum.Node.html

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use zenith_vocab::JsonTypes;

use super::vocab::bare;
use crate::Location;
use crate::model::{
    Arguments, Branch, BranchKind, Choice, Direction, Drift, DriftDecision, Field, JsonType, Model, Shape, StringRules,
    Tuple, TypeDef, TypeId, TypeKind,
};
use crate::naming::{Case, rust_name};

/// How the generated code reaches the runtime.
pub struct Target {
    /// Path of the runtime module, e.g. `crate::runtime`.
    pub runtime: TokenStream,
    /// Group statics in modules by schema directory (else one flat module).
    pub grouped: bool,
    /// Where the generated Rust types are, to implement `Validate` on them (none in tests).
    pub types: Option<TokenStream>,
}

/// The name of a type's static.
pub fn node_static(type_name: &str) -> Ident {
    format_ident!("{}", rust_name(type_name, Case::Static))
}

/// The name of the static holding a message's topic forms.
pub fn forms_static(type_name: &str) -> Ident {
    format_ident!("{}_FORMS", rust_name(type_name, Case::Static))
}

/// The module of a type's static: its schema file's directory.
pub fn group(ty: &TypeDef) -> String {
    file_group(&ty.location)
}

/// The module of the statics of the schema file `location` is in.
pub fn file_group(location: &Location) -> String {
    let directory = location.file.strip_prefix("schemas/").unwrap_or(&location.file);
    let directory = directory.rsplit_once('/').map_or("root", |(directory, _)| directory);
    rust_name(directory, Case::Field)
}

/// The name of a drift annotation's static.
pub fn drift_static(drift: &Drift) -> Ident {
    format_ident!("DRIFT_{}", rust_name(&drift.id, Case::Static))
}

/// The tables, as (module name, contents); one module named `schema` when not grouped.
pub fn emit(model: &Model, target: &Target) -> Vec<(String, TokenStream)> {
    let mut groups: Vec<String> = Vec::new();
    for ty in &model.types {
        let name = if target.grouped { group(ty) } else { "schema".to_owned() };
        if !groups.contains(&name) {
            groups.push(name);
        }
    }
    groups
        .into_iter()
        .map(|name| {
            let mut emitter = Emitter { model, target, group: name.clone(), patterns: Vec::new() };
            let statics: Vec<TokenStream> = model
                .types
                .iter()
                .enumerate()
                .filter(|(_, ty)| !target.grouped || group(ty) == name)
                .map(|(index, ty)| {
                    let cfg = super::tokens::cfg(model.features_of_type(TypeId(index)));
                    super::tokens::gated(&cfg, emitter.named(TypeId(index), ty))
                })
                .collect();
            let patterns = emitter.patterns.iter().enumerate().map(|(i, pattern)| {
                let name = format_ident!("PATTERN_{i}");
                quote! { static #name: Pattern = Pattern::new(#pattern); }
            });
            let runtime = &target.runtime;
            let drift = model
                .drift
                .iter()
                .filter(|d| !target.grouped || file_group(&d.location) == name)
                .map(|d| drift_tokens(d, runtime));
            let tokens = quote! {
                use #runtime::schema::*;
                #(#patterns)*
                #(#drift)*
                #(#statics)*
            };
            (name, tokens)
        })
        .collect()
}

/// `Some(&DRIFT_...)` or `None`, for a drift static in the same module.
fn optional_drift(drift: Option<&Drift>) -> TokenStream {
    match drift {
        Some(drift) => {
            let name = drift_static(drift);
            quote! { Some(&#name) }
        }
        None => quote! { None },
    }
}

/// A drift annotation's static.
fn drift_tokens(drift: &Drift, runtime: &TokenStream) -> TokenStream {
    let name = drift_static(drift);
    let (id, client, does, why, values) = (&drift.id, &drift.client, &drift.does, &drift.why, &drift.values);
    let direction = match drift.direction {
        Direction::Send => quote! { #runtime::Direction::Send },
        Direction::Receive => quote! { #runtime::Direction::Receive },
    };
    let decision = Ident::new(&rust_name(drift.decision.as_str(), Case::Type), Span::call_site());
    let null_only = drift.null_only;
    let example = match &drift.example {
        Some(example) => {
            let text = example.to_string();
            quote! { Some(#text) }
        }
        None => quote! { None },
    };
    let at = drift.location.to_string();
    let doc = format!(" The real client differs: `{id}`.");
    quote! {
        #[doc = #doc]
        pub static #name: #runtime::Drift = #runtime::Drift {
            id: #id,
            client: #client,
            direction: #direction,
            does: #does,
            decision: #runtime::DriftDecision::#decision,
            why: #why,
            values: &[#(#values),*],
            null_only: #null_only,
            example: #example,
            at: #at,
        };
    }
}

struct Emitter<'m> {
    model: &'m Model,
    target: &'m Target,
    group: String,
    /// Regular expressions, one static each, in order of first use.
    patterns: Vec<String>,
}

fn at(location: &Location, keyword: &str) -> String {
    location.child(keyword).to_string()
}

/// One bit per required property (so a duplicated key cannot stand in for a missing one).
fn required_bits(fields: &[Field]) -> Vec<(&str, u64)> {
    fields.iter().filter(|f| f.required).enumerate().map(|(i, f)| (f.wire.as_str(), 1u64 << i.min(63))).collect()
}

impl Emitter<'_> {
    fn named(&mut self, id: TypeId, ty: &TypeDef) -> TokenStream {
        let name = node_static(&ty.name);
        let location = &ty.location;
        // Statics the node refers to: a topic's forms, a union's tagged arrays.
        let mut companions = TokenStream::new();
        let node = match &ty.kind {
            TypeKind::Struct { fields, additional_properties, typed, union, changes } => {
                let documented: Vec<&str> = fields.iter().map(|f| f.wire.as_str()).collect();
                let bits = required_bits(fields);
                let required: Vec<&str> = bits.iter().map(|(wire, _)| *wire).collect();
                let required_bits: u64 = bits.iter().fold(0, |mask, (_, bit)| mask | bit);
                let message = self.model.messages.iter().find(|m| m.ty == id);
                let arguments = message.and_then(|m| Some((m.topic.as_deref()?, m.arguments.as_ref()?)));
                if let Some((_, arguments)) = arguments {
                    companions = self.forms(ty, arguments);
                }
                let properties: Vec<TokenStream> = fields
                    .iter()
                    .map(|f| {
                        let wire = &f.wire;
                        let node = match (f.constant.as_ref().and_then(|c| c.as_str()), arguments) {
                            (Some(constant), _) => {
                                let at = at(&f.location, "const");
                                quote! { &Node::Const(Constant { value: #constant, at: #at }) }
                            }
                            // The topic's arguments are checked against its forms.
                            (None, Some((topic, arguments))) if f.wire == "Topic" => {
                                let rules = self.node_ref(&f.shape, &f.location);
                                let at = arguments.location.to_string();
                                let forms = forms_static(&ty.name);
                                quote! { &Node::Topic(TopicNode { topic: #rules, at: #at, name: #topic, forms: &#forms }) }
                            }
                            (None, _) => self.node_ref(&f.shape, &f.location),
                        };
                        let bit = bits.iter().find(|(w, _)| *w == f.wire).map_or(0, |(_, bit)| *bit);
                        let secret = f.secret;
                        let drift = self.property_drift(f);
                        quote! { Property { wire: #wire, node: #node, bit: #bit, secret: #secret, drift: #drift } }
                    })
                    .collect();
                let type_at = if *typed {
                    let at = at(location, "type");
                    quote! { Some(#at) }
                } else {
                    quote! { None }
                };
                let required_at = at(location, "required");
                let fixed: Vec<&str> = fields.iter().filter(|f| f.fixed).map(|f| f.wire.as_str()).collect();
                let additional_at = at(location, "additionalProperties");
                let union = match union {
                    Some(union) => {
                        let index_bits = |names: &[String]| -> u64 {
                            names
                                .iter()
                                .filter_map(|n| fields.iter().position(|f| &f.wire == n))
                                .fold(0, |bits, i| bits | 1 << i.min(63))
                        };
                        let variants = union.variants.iter().map(|v| {
                            let value = &v.value;
                            // The object's own required properties are reported as such.
                            let required: Vec<&String> =
                                v.required.iter().filter(|r| !bits.iter().any(|(w, _)| w == r)).collect();
                            let forbidden = &v.forbidden;
                            let (required_bits, forbidden_bits) = (index_bits(&v.required), index_bits(&v.forbidden));
                            let at = v.location.to_string();
                            let condition = match &v.condition {
                                Some(c) => {
                                    let (property, value, required) = (&c.property, &c.value, &c.required);
                                    let index = fields.iter().position(|f| f.wire == *property).unwrap_or_default();
                                    let required_bits = index_bits(required);
                                    let at = c.location.to_string();
                                    quote! {
                                        Some(ConditionNode {
                                            property: #property,
                                            index: #index,
                                            value: #value,
                                            required: &[#(#required),*],
                                            required_bits: #required_bits,
                                            at: #at,
                                        })
                                    }
                                }
                                None => quote! { None },
                            };
                            let nested = match &v.nested {
                                Some(n) => {
                                    let (property, required) = (&n.property, &n.required);
                                    let index = fields.iter().position(|f| f.wire == *property).unwrap_or_default();
                                    let required_bits = self.nested_bits(&fields[index].shape, required);
                                    let at = n.location.to_string();
                                    quote! {
                                        Some(NestedNode {
                                            property: #property,
                                            index: #index,
                                            required: &[#(#required),*],
                                            required_bits: #required_bits,
                                            at: #at,
                                        })
                                    }
                                }
                                None => quote! { None },
                            };
                            // The variant's properties that the real client uses, with a finding.
                            let drifted: Vec<(&String, Ident)> = v
                                .drifted
                                .iter()
                                .filter_map(|name| {
                                    let rule = v.location.child("properties").child(name);
                                    let drift = self.model.drift_at(&rule).find(|d| d.decision.has_finding())?;
                                    Some((name, drift_static(drift)))
                                })
                                .collect();
                            let drifted_bits =
                                index_bits(&drifted.iter().map(|(name, _)| (*name).clone()).collect::<Vec<_>>());
                            let drifted = drifted.iter().map(|(name, drift)| quote! { (#name, &#drift) });
                            quote! {
                                VariantNode {
                                    value: #value,
                                    required: &[#(#required),*],
                                    forbidden: &[#(#forbidden),*],
                                    required_bits: #required_bits,
                                    forbidden_bits: #forbidden_bits,
                                    condition: #condition,
                                    nested: #nested,
                                    drifted: &[#(#drifted),*],
                                    drifted_bits: #drifted_bits,
                                    at: #at,
                                }
                            }
                        });
                        let tag = &union.tag;
                        let conditioned: Vec<String> = union
                            .variants
                            .iter()
                            .filter_map(|v| v.condition.as_ref())
                            .map(|c| c.property.clone())
                            .collect();
                        let condition_bits = index_bits(&conditioned);
                        let nested = union.variants.iter().filter_map(|v| v.nested.as_ref()).next();
                        let nested = match nested.and_then(|n| fields.iter().position(|f| f.wire == n.property)) {
                            Some(index) => quote! { Some(#index) },
                            None => quote! { None },
                        };
                        quote! {
                            Some(UnionNode {
                                tag: #tag,
                                variants: &[#(#variants),*],
                                condition_bits: #condition_bits,
                                nested: #nested,
                            })
                        }
                    }
                    None => quote! { None },
                };
                // The properties whose values are recorded: fixed ones, and those records are read at.
                let read_heads = changes.iter().flat_map(|c| c.reads.iter().map(|path| path[0].as_str()));
                let read_bits = fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.fixed || read_heads.clone().any(|head| head == f.wire))
                    .fold(0u64, |bits, (i, _)| bits | 1 << i.min(63));
                let changes = super::tokens::change_rules_ref(changes.as_deref(), &self.target.runtime);
                quote! {
                    Node::Object(ObjectNode {
                        type_at: #type_at,
                        properties: &[#(#properties),*],
                        documented: &[#(#documented),*],
                        required: &[#(#required),*],
                        required_bits: #required_bits,
                        required_at: #required_at,
                        additional: #additional_properties,
                        additional_at: #additional_at,
                        union: #union,
                        fixed: &[#(#fixed),*],
                        changes: #changes,
                        read_bits: #read_bits,
                    })
                }
            }
            TypeKind::Enum { values, open } => {
                let at = at(location, if *open { "x-zenith-known" } else { "enum" });
                let drift = self.model.drift_at(location).find(|d| !d.values.is_empty() && d.decision.has_finding());
                let drift = optional_drift(drift);
                quote! { Node::Enum(EnumNode { at: #at, values: &[#(#values),*], open: #open, drift: #drift }) }
            }
            TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. } => self.node(shape, location),
            TypeKind::Choice(choice) => {
                companions = self.tuple_statics(choice);
                self.choice(ty, choice)
            }
        };
        let doc = format!(" `{}` (`{location}`).", ty.name);
        let runtime = &self.target.runtime;
        let validate = match &self.target.types {
            Some(types)
                if matches!(
                    ty.kind,
                    TypeKind::Struct { .. } | TypeKind::Enum { .. } | TypeKind::Runtime { .. } | TypeKind::Choice(_)
                ) =>
            {
                let rust = Ident::new(&ty.name, Span::call_site());
                quote! { impl #runtime::Validate for #types::#rust { const SCHEMA: &'static Node = &#name; } }
            }
            _ => quote! {},
        };
        quote! {
            #companions
            #[doc = #doc]
            pub static #name: Node = #node;
            #validate
        }
    }

    /// The drift a property's checks use: one accepted with a finding, or an error's note where
    /// the schema-path rule cannot find it (the property's schema is not an object of its own).
    fn property_drift(&self, field: &Field) -> TokenStream {
        let inline_object = matches!(field.shape, Shape::Named(id) if self.model[id].location == field.location);
        let drift = self.model.drift_at(&field.location).find(|d| {
            d.values.is_empty() && (d.decision.has_finding() || (d.decision == DriftDecision::Error && !inline_object))
        });
        optional_drift(drift)
    }

    /// The bits, by property number, of `required` among the properties of the object type
    /// `shape` names (checked to be one by the model).
    fn nested_bits(&self, shape: &Shape, required: &[String]) -> u64 {
        let Shape::Named(id) = shape else { return 0 };
        let TypeKind::Struct { fields, .. } = &self.model[*id].kind else { return 0 };
        required.iter().filter_map(|name| fields.iter().position(|f| &f.wire == name)).fold(0, |bits, i| bits | 1 << i)
    }

    /// A value union's node: its branches by JSON type, and every tagged array it takes.
    fn choice(&mut self, ty: &TypeDef, choice: &Choice) -> TokenStream {
        let name = &ty.name;
        let at = choice.location.to_string();
        let expected = choice.types.iter().map(|t| t.described()).collect::<Vec<_>>().join(" or ");
        let mut values = Vec::new();
        for branch in &choice.branches {
            if let BranchKind::Value { shape, claims, tags } = &branch.kind {
                // A union of tagged arrays joins its tags to this union's.
                let types = JsonTypes::of(claims.iter().filter(|t| tags.is_empty() || **t != JsonType::Array));
                if !types.is_empty() {
                    let node = self.node_ref(shape, &branch.location);
                    let types = bare(types);
                    values.push(quote! { (#types, #node) });
                }
            }
        }
        let tuples: Vec<TokenStream> = choice
            .tuples(ty, &self.model.types)
            .into_iter()
            .map(|(owner, branch)| self.static_path(owner, &node_static(&branch.name)))
            .collect();
        quote! {
            Node::Choice(ChoiceNode {
                name: #name,
                at: #at,
                expected: #expected,
                values: &[#(#values),*],
                tuples: &[#(#tuples),*],
            })
        }
    }

    /// One static per tagged array of a value union, so that other unions can take it too.
    fn tuple_statics(&mut self, choice: &Choice) -> TokenStream {
        let mut out = TokenStream::new();
        for branch in &choice.branches {
            if let BranchKind::Tuple(tuple) = &branch.kind {
                out.extend(self.tuple_static(branch, tuple));
            }
        }
        out
    }

    fn tuple_static(&mut self, branch: &Branch, tuple: &Tuple) -> TokenStream {
        let name = node_static(&branch.name);
        let tag = &tuple.tag;
        let positions: Vec<TokenStream> =
            tuple.positions.iter().map(|p| self.node_ref(&p.shape, &p.location)).collect();
        let min_items = tuple.required + 1;
        let min_at = tuple.min_location.to_string();
        let rest_at = tuple.items_location.to_string();
        let rest = match &tuple.rest {
            Some(rest) => {
                let node = self.node_ref(&rest.shape, &rest.location);
                quote! { Some(#node) }
            }
            None => quote! { None },
        };
        let signature = tuple.signature(&self.model.types);
        let doc = format!(" `{}` (`{}`): `{signature}`.", branch.name, branch.location);
        quote! {
            #[doc = #doc]
            pub static #name: TupleNode = TupleNode {
                tag: #tag,
                positions: &[#(#positions),*],
                min_items: #min_items,
                min_at: #min_at,
                rest: #rest,
                rest_at: #rest_at,
                signature: #signature,
            };
        }
    }

    /// The static holding a message's topic forms.
    fn forms(&mut self, ty: &TypeDef, arguments: &Arguments) -> TokenStream {
        let name = forms_static(&ty.name);
        let forms: Vec<TokenStream> = arguments
            .forms
            .iter()
            .map(|form| {
                let text = &form.text;
                let literals = &form.literals;
                let parts = form.parts.iter().map(|part| {
                    let rule = arguments.parts.iter().find(|p| &p.name == part);
                    let pattern = self.pattern(rule.map_or(".*", |p| p.pattern.as_str()));
                    let description = rule.and_then(|p| p.doc.as_deref()).unwrap_or_default();
                    quote! { TopicPart { name: #part, pattern: &#pattern, description: #description } }
                });
                quote! { TopicForm { text: #text, parts: &[#(#parts),*], literals: &[#(#literals),*] } }
            })
            .collect();
        let count = forms.len();
        let doc = format!(" The forms of `{}`'s topic arguments.", ty.name);
        quote! {
            #[doc = #doc]
            pub static #name: [TopicForm; #count] = [#(#forms),*];
        }
    }

    /// A `&'static Node` expression for a shape.
    fn node_ref(&mut self, shape: &Shape, location: &Location) -> TokenStream {
        match shape {
            Shape::Named(id) => self.path(*id),
            shape => {
                let node = self.node(shape, location);
                quote! { &#node }
            }
        }
    }

    /// A reference to a named type's static, from this module.
    fn path(&self, id: TypeId) -> TokenStream {
        let ty = &self.model[id];
        self.static_path(ty, &node_static(&ty.name))
    }

    /// A reference to the static `name`, which sits beside type `owner`'s, from this module.
    fn static_path(&self, owner: &TypeDef, name: &Ident) -> TokenStream {
        let group = group(owner);
        if !self.target.grouped || group == self.group {
            quote! { &#name }
        } else {
            let module = Ident::new(&group, Span::call_site());
            quote! { &super::#module::#name }
        }
    }

    /// A `Node` expression for a shape at `location`.
    fn node(&mut self, shape: &Shape, location: &Location) -> TokenStream {
        let type_at = at(location, "type");
        match shape {
            Shape::Any => quote! { Node::Any },
            Shape::Never => {
                let at = location.to_string();
                quote! { Node::Never(TypeRule { at: #at }) }
            }
            Shape::Boolean => quote! { Node::Boolean(TypeRule { at: #type_at }) },
            Shape::Integer => quote! { Node::Integer(TypeRule { at: #type_at }) },
            Shape::Number => quote! { Node::Number(TypeRule { at: #type_at }) },
            Shape::String(rules) => {
                let rules = self.string_rules(rules, location);
                quote! { Node::String(StringNode { type_at: #type_at, rules: #rules }) }
            }
            Shape::Const(constant) => {
                let at = at(location, "const");
                quote! { Node::Const(Constant { value: #constant, at: #at }) }
            }
            Shape::Array(items) => {
                let items = self.node_ref(items, &location.child("items"));
                quote! { Node::Array(ArrayNode { type_at: #type_at, items: #items }) }
            }
            Shape::Named(id) => {
                let path = self.path(*id);
                quote! { Node::Ref(#path) }
            }
            Shape::Nullable(inner) => {
                let inner = self.node_ref(inner, location);
                quote! { Node::Nullable(#inner) }
            }
            Shape::Map(values) => {
                let values = self.node_ref(values, &location.child("additionalProperties"));
                quote! { Node::Map(MapNode { type_at: #type_at, values: #values }) }
            }
            Shape::Flags { codes, separator } => {
                let codes = self.path(*codes);
                let at = at(location, "x-zenith-flags");
                quote! { Node::Flags(FlagsNode { type_at: #type_at, at: #at, codes: #codes, separator: #separator }) }
            }
            Shape::Multi { types, string, items } => {
                let expected = types.iter().map(|t| t.described()).collect::<Vec<_>>().join(" or ");
                let types = bare(JsonTypes::of(types));
                let string = self.string_rules(string, location);
                let items = match items {
                    Some(items) => {
                        let items = self.node_ref(items, &location.child("items"));
                        quote! { Some(#items) }
                    }
                    None => quote! { None },
                };
                quote! {
                    Node::Multi(MultiNode {
                        type_at: #type_at,
                        expected: #expected,
                        types: #types,
                        string: #string,
                        items: #items,
                    })
                }
            }
        }
    }

    fn string_rules(&mut self, rules: &StringRules, location: &Location) -> TokenStream {
        if *rules == StringRules::default() {
            return quote! { StringRules::NONE };
        }
        let limit = |limit: Option<u64>, keyword: &str| match limit {
            Some(limit) => {
                let at = at(location, keyword);
                quote! { Some((#limit, #at)) }
            }
            None => quote! { None },
        };
        let min_length = limit(rules.min_length, "minLength");
        let max_length = limit(rules.max_length, "maxLength");
        let pattern = match &rules.pattern {
            Some(pattern) => {
                let name = self.pattern(pattern);
                let at = at(location, "pattern");
                quote! { Some((&#name, #at)) }
            }
            None => quote! { None },
        };
        let format = match rules.format {
            Some(format) => {
                let variant = bare(format);
                let at = at(location, "format");
                quote! { Some((#variant, #at)) }
            }
            None => quote! { None },
        };
        quote! {
            StringRules { min_length: #min_length, max_length: #max_length, pattern: #pattern, format: #format }
        }
    }

    fn pattern(&mut self, pattern: &str) -> Ident {
        let index = match self.patterns.iter().position(|p| p == pattern) {
            Some(i) => i,
            None => {
                self.patterns.push(pattern.to_owned());
                self.patterns.len() - 1
            }
        };
        format_ident!("PATTERN_{index}")
    }
}
