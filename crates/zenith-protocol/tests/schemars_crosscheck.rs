//! The schema schemars derives from each generated type matches the source schema's wire
//! contract: property names, required sets and JSON types, all the way down.
#![cfg(feature = "schemars")]

use std::collections::BTreeSet;

use serde_json::Value;
use test_kit::Schemas;
use zenith_protocol::MessageKind;

/// The JSON types a schema admits; empty means any. A lone `const` is a string here.
fn types(schema: &Value) -> BTreeSet<String> {
    match schema.get("type") {
        Some(Value::String(t)) => BTreeSet::from([t.clone()]),
        Some(Value::Array(ts)) => {
            ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").map(str::to_owned).collect()
        }
        _ if schema.get("const").is_some_and(Value::is_string) => BTreeSet::from(["string".to_owned()]),
        // A list of strings holds only strings.
        _ if schema.get("enum").and_then(Value::as_array).is_some_and(|v| v.iter().all(Value::is_string)) => {
            BTreeSet::from(["string".to_owned()])
        }
        _ => BTreeSet::new(),
    }
}

fn compare(
    source: &Schemas,
    base: &str,
    expected: &Value,
    derived_root: &Value,
    derived: &Value,
    path: &str,
    seen: &mut usize,
) {
    // `base` is the file `expected` was found in, which its `$ref` is relative to.
    let (base, expected) = source.resolve(base, expected);
    // A value or `null` (`oneOf` with a null branch): the value's schema is compared.
    if let Some(Value::Array(branches)) = expected.get("oneOf")
        && let [value] = branches.iter().filter(|b| b.get("type") != Some(&Value::from("null"))).collect::<Vec<_>>()[..]
        && branches.len() == 2
    {
        return compare(source, &base, value, derived_root, derived, path, seen);
    }
    let derived = resolve_derived(derived_root, derived);
    let expected_types = types(expected);
    let derived_types = types(derived);
    // A generated type may hold a multi-type value as any JSON; it must never be narrower.
    if expected_types.len() <= 1 {
        assert_eq!(expected_types, derived_types, "JSON type differs at {path}");
    } else if derived_types.is_empty() {
        // Held as any JSON value: the schema's rules below it are the validator's business.
        *seen += 1;
        return;
    } else {
        assert_eq!(expected_types, derived_types, "JSON type differs at {path}");
    }
    *seen += 1;
    if let Some(properties) = expected.get("properties").and_then(Value::as_object) {
        let derived_properties = derived["properties"].as_object().unwrap_or_else(|| panic!("no properties at {path}"));
        let names: Vec<&String> = properties.keys().collect();
        let derived_names: Vec<&String> = derived_properties.keys().collect();
        assert_eq!(names, derived_names, "property names or order differ at {path}");
        let required = |schema: &Value| -> BTreeSet<String> {
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
        };
        assert_eq!(required(expected), required(derived), "required set differs at {path}");
        for (name, schema) in properties {
            compare(source, &base, schema, derived_root, &derived_properties[name], &format!("{path}/{name}"), seen);
        }
    }
    if let Some(values) = expected.get("additionalProperties").filter(|v| v.is_object()) {
        let derived_values = &derived["additionalProperties"];
        compare(source, &base, values, derived_root, derived_values, &format!("{path}/additionalProperties"), seen);
    }
    if let Some(items) = expected.get("items") {
        compare(source, &base, items, derived_root, &derived["items"], &format!("{path}/items"), seen);
    }
    if let Some(values) = expected.get("enum") {
        assert_eq!(Some(values), derived.get("enum"), "enum values differ at {path}");
    }
}

/// Follows `$ref`s and looks through the `anyOf [T, null]` that an `Option<T>` becomes.
fn resolve_derived<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return resolve_derived(root, root.pointer(reference.trim_start_matches('#')).unwrap());
    }
    if let Some(Value::Array(options)) = schema.get("anyOf") {
        let not_null: Vec<&Value> = options.iter().filter(|o| o["type"] != "null").collect();
        if let [only] = not_null.as_slice() {
            return resolve_derived(root, only);
        }
    }
    schema
}

#[test]
fn derived_schemas_match_the_source_schemas() {
    let source = test_kit::schemas();
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut checked = 0;
    for &kind in MessageKind::ALL {
        let info = kind.info();
        let derived = kind.derived_schema(&mut generator).to_value();
        let expected = source.file(info.schema_file);
        compare(source, info.schema_file, expected, &derived, &derived, info.name, &mut checked);
    }
    assert!(checked > 100, "only {checked} schema nodes compared");
}
