//! Validators for every named type: a boolean fast path and a full pass that reports every
//! problem with its instance path and schema location.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::Location;
use crate::model::{Format, JsonType, Model, Shape, StringRules, TypeDef, TypeKind};
use crate::naming::{Case, rust_name};

/// How the generated code reaches the runtime and whether it implements `Validate` on the types.
pub struct Target {
    /// Path of the runtime module, e.g. `crate::runtime`.
    pub runtime: TokenStream,
    /// Implement `Validate` for the generated types (false when there are no types, as in tests).
    pub impls: bool,
}

pub fn emit(model: &Model, target: &Target) -> TokenStream {
    let mut emitter = Emitter { runtime: target.runtime.clone(), patterns: Vec::new() };
    let mut items = Vec::new();
    for ty in &model.types {
        items.push(emitter.type_validators(ty));
        if target.impls && matches!(ty.kind, TypeKind::Struct { .. } | TypeKind::Enum { .. } | TypeKind::Runtime { .. })
        {
            items.push(emitter.validate_impl(ty));
        }
    }
    let stream = super::stream::emit(model, &mut emitter);
    let runtime = &target.runtime;
    let patterns = emitter.patterns.iter().enumerate().map(|(i, pattern)| {
        let name = format_ident!("PATTERN_{i}");
        quote! {
            static #name: std::sync::LazyLock<regex::Regex> =
                std::sync::LazyLock::new(|| regex::Regex::new(#pattern).expect("patterns are checked when generating"));
        }
    });
    quote! {
        #![allow(clippy::all, dead_code, unused_imports, unused_variables, unused_mut)]
        use serde_json::Value;
        use #runtime::diagnostics::{self as d, Code, Walker};
        #(#patterns)*
        #(#items)*
        #stream
    }
}

/// One bit per required property (so a duplicated key cannot stand in for a missing one).
pub(crate) fn required_bits(fields: &[crate::model::Field]) -> Vec<(&str, u64)> {
    fields.iter().filter(|f| f.required).enumerate().map(|(i, f)| (f.wire.as_str(), 1u64 << i.min(63))).collect()
}

pub(crate) struct Emitter {
    pub(crate) runtime: TokenStream,
    /// Regular expressions, one static each, in order of first use.
    patterns: Vec<String>,
}

pub fn fast_fn(name: &str) -> Ident {
    format_ident!("fast_{}", rust_name(name, Case::Field))
}

pub fn full_fn(name: &str) -> Ident {
    format_ident!("full_{}", rust_name(name, Case::Field))
}

fn at(location: &Location, keyword: &str) -> String {
    location.child(keyword).to_string()
}

fn json_type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::String => "a string",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::Boolean => "a boolean",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
        JsonType::Null => "null",
    }
}

impl Emitter {
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

    fn type_validators(&mut self, ty: &TypeDef) -> TokenStream {
        let fast = fast_fn(&ty.name);
        let full = full_fn(&ty.name);
        let location = &ty.location;
        let (fast_body, full_body) = match &ty.kind {
            TypeKind::Struct { fields, additional_properties, typed } => {
                let documented: Vec<&str> = fields.iter().map(|f| f.wire.as_str()).collect();
                let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.wire.as_str()).collect();
                let bits = required_bits(fields);
                let fast_arms = fields.iter().map(|f| {
                    let wire = &f.wire;
                    let check = match f.constant.as_ref().and_then(|c| c.as_str()) {
                        Some(constant) => quote! { d::Verdict::check(value.as_str() == Some(#constant)) },
                        None => self.fast(&f.shape, quote! { value }),
                    };
                    // Marking required keys as they pass avoids a hash lookup per required property.
                    let count = match bits.iter().find(|(wire, _)| *wire == f.wire) {
                        Some((_, bit)) => quote! { seen |= #bit; },
                        None => quote! {},
                    };
                    quote! { #wire => { #count #check } }
                });
                let fast_arms: Vec<TokenStream> = fast_arms.collect();
                let full_arms: Vec<TokenStream> = fields
                    .iter()
                    .map(|f| {
                        let wire = &f.wire;
                        let check = match f.constant.as_ref().and_then(|c| c.as_str()) {
                            Some(constant) => {
                                let loc = at(&f.location, "const");
                                let secret = f.secret;
                                quote! { if value.as_str() != Some(#constant) { w.wrong_constant(#loc, #constant, value, #secret); } }
                            }
                            None => self.full(&f.shape, quote! { value }, &f.location, f.secret),
                        };
                        quote! { #wire => w.key(key, |w| { #check }), }
                    })
                    .collect();
                let not_object_fast = if *typed {
                    quote! { return d::Verdict::Invalid }
                } else {
                    quote! { return d::Verdict::Clean }
                };
                let unknown_fast = if *additional_properties {
                    quote! { d::Verdict::unknown_property(key, DOCUMENTED) }
                } else {
                    quote! { d::Verdict::Invalid }
                };
                let required_mask: u64 = bits.iter().fold(0, |mask, (_, bit)| mask | bit);
                let type_loc = at(location, "type");
                let not_object_full = if *typed {
                    quote! { w.wrong_type(#type_loc, "an object", v, false); return; }
                } else {
                    quote! { return; }
                };
                let required_loc = at(location, "required");
                let extra_loc = at(location, "additionalProperties");
                let extra_full = if *additional_properties {
                    quote! { w.extra(#extra_loc, key, o, DOCUMENTED, REQUIRED) }
                } else {
                    quote! { w.key(key, |w| w.forbidden(#extra_loc, key, DOCUMENTED)) }
                };
                (
                    quote! {
                        const DOCUMENTED: &[&str] = &[#(#documented),*];
                        let Some(o) = v.as_object() else { #not_object_fast };
                        let mut verdict = d::Verdict::Clean;
                        let mut seen = 0u64;
                        for (key, value) in o {
                            let field = match key.as_str() {
                                #(#fast_arms)*
                                _ => #unknown_fast,
                            };
                            verdict = verdict.max(field);
                            if verdict == d::Verdict::Invalid { return verdict; }
                        }
                        if seen != #required_mask { return d::Verdict::Invalid; }
                        verdict
                    },
                    quote! {
                        const DOCUMENTED: &[&str] = &[#(#documented),*];
                        const REQUIRED: &[&str] = &[#(#required),*];
                        let Some(o) = v.as_object() else { #not_object_full };
                        #( if !o.contains_key(#required) { w.missing(#required_loc, #required, o); } )*
                        for (key, value) in o {
                            match key.as_str() {
                                #(#full_arms)*
                                _ => #extra_full,
                            }
                        }
                    },
                )
            }
            TypeKind::Enum { values } => {
                let enum_loc = at(location, "enum");
                (
                    quote! { d::Verdict::check(matches!(v.as_str(), Some(#(#values)|*))) },
                    quote! {
                        const KNOWN: &[&str] = &[#(#values),*];
                        match v.as_str() {
                            Some(s) if KNOWN.contains(&s) => {}
                            Some(s) => w.not_in_enum(#enum_loc, s, KNOWN, false),
                            None => w.wrong_type(#enum_loc, "one of the listed strings", v, false),
                        }
                    },
                )
            }
            TypeKind::Alias { shape } | TypeKind::Runtime { shape, .. } => {
                (self.fast(shape, quote! { v }), self.full(shape, quote! { v }, location, false))
            }
        };
        let doc_fast = format!(" The fast verdict on a `{}` (`{location}`).", ty.name);
        let doc_full = format!(" Reports every problem of a `{}` (`{location}`).", ty.name);
        quote! {
            #[doc = #doc_fast]
            pub fn #fast(v: &Value) -> d::Verdict { #fast_body }
            #[doc = #doc_full]
            pub fn #full(v: &Value, w: &mut Walker) { #full_body }
        }
    }

    fn validate_impl(&self, ty: &TypeDef) -> TokenStream {
        let name = Ident::new(&ty.name, Span::call_site());
        let fast = fast_fn(&ty.name);
        let full = full_fn(&ty.name);
        let runtime = &self.runtime;
        quote! {
            impl #runtime::Validate for super::types::#name {
                fn verdict(value: &Value) -> d::Verdict { #fast(value) }
                fn walk(value: &Value, walker: &mut Walker) { #full(value, walker) }
            }
        }
    }

    /// A `Verdict` expression for `value` against `shape`.
    fn fast(&mut self, shape: &Shape, value: TokenStream) -> TokenStream {
        let check = |test: TokenStream| quote! { d::Verdict::check(#test) };
        match shape {
            Shape::Any => quote! { d::Verdict::Clean },
            Shape::Const(constant) => check(quote! { #value.as_str() == Some(#constant) }),
            Shape::Boolean => check(quote! { #value.is_boolean() }),
            Shape::Integer => check(quote! { d::is_integer(#value) }),
            Shape::Number => check(quote! { #value.is_number() }),
            Shape::String(rules) if *rules == StringRules::default() => check(quote! { #value.is_string() }),
            Shape::String(rules) => {
                let checks = self.fast_string(rules);
                check(quote! { #value.as_str().is_some_and(|s| #checks) })
            }
            Shape::Array(items) => {
                let item = self.fast(items, quote! { item });
                quote! {
                    match #value.as_array() {
                        Some(a) => d::Verdict::all(a.iter().map(|item| #item)),
                        None => d::Verdict::Invalid,
                    }
                }
            }
            Shape::Named(name) => {
                let fast = fast_fn(name);
                quote! { #fast(#value) }
            }
            Shape::Multi { types, string, items } => {
                let has = |t| types.contains(&t);
                let string_check = if !has(JsonType::String) {
                    quote! { false }
                } else {
                    self.fast_string(string)
                };
                let array_check = match (has(JsonType::Array), items) {
                    (false, _) => quote! { d::Verdict::Invalid },
                    (true, None) => quote! { d::Verdict::Clean },
                    (true, Some(items)) => {
                        let item = self.fast(items, quote! { item });
                        quote! { d::Verdict::all(a.iter().map(|item| #item)) }
                    }
                };
                let number_check = match (has(JsonType::Number), has(JsonType::Integer)) {
                    (true, _) => quote! { true },
                    (false, true) => quote! { d::is_integer(#value) },
                    (false, false) => quote! { false },
                };
                let (object, boolean, null) = (has(JsonType::Object), has(JsonType::Boolean), has(JsonType::Null));
                quote! {
                    match #value {
                        Value::String(s) => { let s = s.as_str(); d::Verdict::check(#string_check) }
                        Value::Array(a) => #array_check,
                        Value::Number(_) => d::Verdict::check(#number_check),
                        Value::Object(_) => d::Verdict::check(#object),
                        Value::Bool(_) => d::Verdict::check(#boolean),
                        Value::Null => d::Verdict::check(#null),
                    }
                }
            }
        }
    }

    /// A boolean expression over `s: &str` for the string rules.
    pub(crate) fn fast_string(&mut self, rules: &StringRules) -> TokenStream {
        let mut checks = vec![quote! { true }];
        if let Some(min) = rules.min_length {
            checks.push(quote! { d::length(s) >= #min });
        }
        if let Some(max) = rules.max_length {
            checks.push(quote! { d::length(s) <= #max });
        }
        let runtime = self.runtime.clone();
        match rules.format {
            // The runtime parser accepts no more than the pattern, so it stands in for it.
            Some(Format::DateTime) => checks.push(quote! { #runtime::DateTime::check(s).is_ok() }),
            Some(Format::Time) => checks.push(quote! { #runtime::Time::check(s).is_ok() }),
            None => {
                if let Some(pattern) = &rules.pattern {
                    let name = self.pattern(pattern);
                    checks.push(quote! { #name.is_match(s) });
                }
            }
        }
        if checks.len() > 1 {
            checks.remove(0);
        }
        quote! { #(#checks)&&* }
    }

    /// Statements that report every problem of `value` against `shape` (schema node at `location`).
    fn full(&mut self, shape: &Shape, value: TokenStream, location: &Location, secret: bool) -> TokenStream {
        let type_loc = at(location, "type");
        match shape {
            Shape::Any => quote! {},
            Shape::Const(constant) => {
                let loc = at(location, "const");
                quote! { if #value.as_str() != Some(#constant) { w.wrong_constant(#loc, #constant, #value, #secret); } }
            }
            Shape::Boolean => {
                quote! { if !#value.is_boolean() { w.wrong_type(#type_loc, "a boolean", #value, #secret); } }
            }
            Shape::Integer => {
                quote! { if !d::is_integer(#value) { w.wrong_type(#type_loc, "an integer", #value, #secret); } }
            }
            Shape::Number => {
                quote! { if !#value.is_number() { w.wrong_type(#type_loc, "a number", #value, #secret); } }
            }
            Shape::String(rules) => {
                let checks = self.full_string(rules, location, secret);
                quote! {
                    match #value.as_str() {
                        Some(s) => { #checks }
                        None => w.wrong_type(#type_loc, "a string", #value, #secret),
                    }
                }
            }
            Shape::Array(items) => {
                let item = self.full(items, quote! { item }, &location.child("items"), false);
                quote! {
                    match #value.as_array() {
                        Some(a) => for (i, item) in a.iter().enumerate() { w.index(i, |w| { #item }); },
                        None => w.wrong_type(#type_loc, "an array", #value, #secret),
                    }
                }
            }
            Shape::Named(name) => {
                let full = full_fn(name);
                quote! { #full(#value, w); }
            }
            Shape::Multi { types, string, items } => {
                let has = |t| types.contains(&t);
                let expected = types.iter().map(|t| json_type_name(*t)).collect::<Vec<_>>().join(" or ");
                let wrong = quote! { w.wrong_type(#type_loc, #expected, #value, #secret) };
                let string_arm = if has(JsonType::String) {
                    let checks = self.full_string(string, location, secret);
                    quote! { Value::String(s) => { let s = s.as_str(); #checks } }
                } else {
                    quote! { Value::String(_) => #wrong, }
                };
                let array_arm = match (has(JsonType::Array), items) {
                    (false, _) => quote! { Value::Array(_) => #wrong, },
                    (true, None) => quote! { Value::Array(_) => {} },
                    (true, Some(items)) => {
                        let item = self.full(items, quote! { item }, &location.child("items"), false);
                        quote! { Value::Array(a) => for (i, item) in a.iter().enumerate() { w.index(i, |w| { #item }); }, }
                    }
                };
                let number_arm = match (has(JsonType::Number), has(JsonType::Integer)) {
                    (true, _) => quote! { Value::Number(_) => {} },
                    (false, true) => quote! { Value::Number(_) => if !d::is_integer(#value) { #wrong } },
                    (false, false) => quote! { Value::Number(_) => #wrong, },
                };
                let arm = |present: bool, pattern: TokenStream| {
                    if present {
                        quote! { #pattern => {} }
                    } else {
                        quote! { #pattern => #wrong, }
                    }
                };
                let object_arm = arm(has(JsonType::Object), quote! { Value::Object(_) });
                let bool_arm = arm(has(JsonType::Boolean), quote! { Value::Bool(_) });
                let null_arm = arm(has(JsonType::Null), quote! { Value::Null });
                quote! {
                    match #value {
                        #string_arm
                        #array_arm
                        #number_arm
                        #object_arm
                        #bool_arm
                        #null_arm
                    }
                }
            }
        }
    }

    /// Statements over `s: &str` reporting each broken string rule.
    fn full_string(&mut self, rules: &StringRules, location: &Location, secret: bool) -> TokenStream {
        let mut checks = Vec::new();
        if let Some(min) = rules.min_length {
            let loc = at(location, "minLength");
            checks.push(quote! { if d::length(s) < #min { w.length(#loc, Code::TooShort, #min, s); } });
        }
        if let Some(max) = rules.max_length {
            let loc = at(location, "maxLength");
            checks.push(quote! { if d::length(s) > #max { w.length(#loc, Code::TooLong, #max, s); } });
        }
        let runtime = self.runtime.clone();
        let format_loc = at(location, "format");
        match rules.format {
            Some(Format::DateTime) => checks.push(quote! {
                if let Err(reason) = #runtime::DateTime::check(s) { w.format(#format_loc, Code::BadDatetime, s, #secret, "an ISO-8601 date-time like `20120630T100230Z`", reason); }
            }),
            Some(Format::Time) => checks.push(quote! {
                if let Err(reason) = #runtime::Time::check(s) { w.format(#format_loc, Code::BadTime, s, #secret, "a duration like `00:00:35`", reason); }
            }),
            None => {
                if let Some(pattern) = &rules.pattern {
                    let name = self.pattern(pattern);
                    let loc = at(location, "pattern");
                    checks.push(quote! { if !#name.is_match(s) { w.pattern(#loc, #pattern, s, #secret); } });
                }
            }
        }
        quote! { #(#checks)* }
    }
}
