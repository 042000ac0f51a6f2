//! Generates validators for every case of the official JSON Schema Test Suite (draft 2020-12)
//! that uses only keywords the generator supports, with the same generator `cargo xtask
//! codegen` uses. Cases the generator refuses are recorded with its reason.

use std::path::PathBuf;

use quote::{format_ident, quote};
use serde_json::{Value, json};
use xtask::emit::{Target, schema};
use xtask::model::Model;
use xtask::naming::{Case, rust_name};
use xtask::schema::{ID_BASE, SchemaSet};

/// The suite files whose keywords the generator supports.
const FILES: &[&str] = &[
    "additionalProperties.json",
    "boolean_schema.json",
    "const.json",
    "default.json",
    "enum.json",
    "items.json",
    "maxLength.json",
    "minLength.json",
    "oneOf.json",
    "pattern.json",
    "properties.json",
    "ref.json",
    "required.json",
    "type.json",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let suite = manifest.join("../../../shared/json-schema-test-suite/tests/draft2020-12");
    println!("cargo::rerun-if-changed={}", suite.display());
    println!("cargo::rerun-if-changed=../../xtask/src");
    let mut modules = Vec::new();
    let mut cases = Vec::new();
    let mut refused = Vec::new();
    let present = suite.is_dir();
    if present {
        for file in FILES {
            let text = std::fs::read_to_string(suite.join(file)).unwrap();
            let groups: Vec<Value> = serde_json::from_str(&text).unwrap();
            for (index, group) in groups.iter().enumerate() {
                let description = group["description"].as_str().unwrap();
                let tests = serde_json::to_string(&group["tests"]).unwrap();
                match build(file, index, &group["schema"]) {
                    Ok((module, root)) => {
                        let name = format_ident!("{}", module_name(file, index));
                        let node = schema::node_static(&root);
                        modules.push((name.clone(), module));
                        cases.push(quote! {
                            SuiteCase { file: #file, description: #description, tests: #tests, schema: &#name::#node }
                        });
                    }
                    Err(reason) => refused.push(quote! { (#file, #description, #reason) }),
                }
            }
        }
    }
    let modules = modules.iter().map(|(name, body)| quote! { pub mod #name { #body } });
    let tokens = quote! {
        /// False when the suite is not beside the checkout.
        pub const SUITE_PRESENT: bool = #present;
        #(#modules)*
        pub static CASES: &[SuiteCase] = &[#(#cases),*];
        /// Cases the generator refused, with its reason.
        pub static REFUSED: &[(&str, &str, &str)] = &[#(#refused),*];
    };
    let file = syn::parse2::<syn::File>(tokens).expect("generated suite code parses");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("suite.rs");
    std::fs::write(out, prettyplease::unparse(&file)).unwrap();
}

fn module_name(file: &str, index: usize) -> String {
    format!("case_{}_{index}", file.trim_end_matches(".json").to_lowercase())
}

/// Builds the validators for one suite schema, or says why the generator refuses it.
fn build(file: &str, index: usize, schema: &Value) -> Result<(proc_macro2::TokenStream, String), String> {
    // A boolean schema is given a home: an object referring to it.
    let wrapped;
    let schema = match schema {
        Value::Bool(_) => {
            wrapped = json!({"$defs": {"Root": schema}, "$ref": "#/$defs/Root"});
            &wrapped
        }
        schema => schema,
    };
    let Value::Object(object) = schema else { return Err("not a schema".to_owned()) };
    let path = format!("suite/{}.json", module_name(file, index));
    let mut object = object.clone();
    if object.contains_key("$id") {
        return Err("the schema sets its own `$id`".to_owned());
    }
    let title = format!("Case{index}");
    object.insert("$id".to_owned(), json!(format!("{ID_BASE}{path}")));
    object.entry("title").or_insert(json!(title));
    object.entry("description").or_insert(json!("suite case"));
    let root = rust_name(object["title"].as_str().unwrap_or(&title), Case::Type);
    let set = SchemaSet::from_documents(vec![(format!("schemas/{path}"), Value::Object(object))])
        .map_err(|e| e.to_string())?;
    let model = Model::build(&set).map_err(|e| e.to_string())?;
    let target = Target { runtime: quote! { zenith_protocol::runtime }, grouped: false, types: None };
    let tables = schema::emit(&model, &target).into_iter().map(|(_, tables)| tables);
    Ok((quote! { #(#tables)* }, root))
}
