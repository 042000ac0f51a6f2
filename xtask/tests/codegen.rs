//! The generator end to end: freshness of the checked-in files, emitted code, and located errors.

use std::path::{Path, PathBuf};

use xtask::{Mode, emit, model::Model, schema::SchemaSet};

#[path = "codegen/model.rs"]
mod model;

#[test]
fn generated_files_are_fresh() {
    let report = xtask::codegen(&xtask::project_root(), Mode::Check).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_ok(), "{report}");
}

#[test]
fn generated_code_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schemas");
    let model = Model::build(&SchemaSet::load(&dir).unwrap()).unwrap();
    for (path, contents) in emit::all(&model).unwrap() {
        let name = path.trim_start_matches("crates/zenith-protocol/src/generated/").replace(['.', '/'], "_");
        insta::assert_snapshot!(name, contents);
    }
}

#[test]
fn generation_is_deterministic() {
    let model = || Model::build(&SchemaSet::load(&xtask::project_root().join("schemas")).unwrap()).unwrap();
    assert_eq!(emit::all(&model()).unwrap(), emit::all(&model()).unwrap());
}

/// Writes `files` as a schema directory and returns the error the generator reports.
fn error_for(files: &[(&str, &str)]) -> String {
    let dir = tempdir();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let result = SchemaSet::load(&dir).and_then(|set| Model::build(&set));
    std::fs::remove_dir_all(&dir).unwrap();
    match result {
        Ok(_) => panic!("the generator accepted {files:?}"),
        Err(error) => error.to_string(),
    }
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xtask-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn schema(path: &str, body: &str) -> String {
    format!(
        r#"{{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://zenith-protocol.invalid/schemas/{path}", "title": "T", "description": "d", {body}}}"#
    )
}

#[test]
fn unsupported_keyword_is_located() {
    let text = schema("a/T.json", r#""type": "object", "properties": {"X": {"anyOf": [{"type": "string"}]}}"#);
    let error = error_for(&[("a/T.json", &text)]);
    assert_eq!(error, "schemas/a/T.json#/properties/X: keyword `anyOf` is not supported by the generator");
}

/// A tagged union's object, with `branches` as its `oneOf`.
fn union(branches: &str) -> String {
    schema(
        "a/T.json",
        &format!(
            r#""type": "object", "x-zenith-tag": "O", "properties": {{"O": {{"enum": ["A", "C"]}}, "Order": {{"type": "string"}}}}, "required": ["O"], "oneOf": [{branches}]"#
        ),
    )
}

#[test]
fn unions_that_would_need_guessing_are_refused() {
    let untagged = schema(
        "a/T.json",
        r#""type": "object", "properties": {"X": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}"#,
    );
    let error = error_for(&[("a/T.json", &untagged)]);
    assert!(
        error.starts_with("schemas/a/T.json#/properties/X/oneOf: `oneOf` is supported for a value or `null`"),
        "{error}"
    );
    let add = r#"{"title": "Add", "properties": {"O": {"const": "A"}, "Order": true}, "required": ["Order"]}"#;
    let clear = r#"{"title": "Clear", "properties": {"O": {"const": "C"}, "Order": false}}"#;
    let with_schema = r#"{"title": "Clear", "properties": {"O": {"const": "C"}, "Order": {"type": "string"}}}"#;
    let error = error_for(&[("a/T.json", &union(&format!("{add}, {with_schema}")))]);
    assert!(
        error.starts_with("schemas/a/T.json#/oneOf/1/properties/Order: a variant's property is `true`, `false`"),
        "{error}"
    );
    let error = error_for(&[("a/T.json", &union(add))]);
    assert!(error.contains("must list exactly the variants' values (A)"), "{error}");
    let twice = r#"{"title": "Again", "properties": {"O": {"const": "A"}}}"#;
    let error = error_for(&[("a/T.json", &union(&format!("{add}, {clear}, {twice}")))]);
    assert!(error.starts_with("schemas/a/T.json#/oneOf/2: two variants are for `O` `A`"), "{error}");
    let error = error_for(&[("a/T.json", &union(&format!("{add}, {}", clear.replace("\"Clear\"", "\"Add\""))))]);
    assert!(error.contains("type name `Add` is already used"), "{error}");
}

#[test]
fn variant_conditions_of_other_shapes_are_refused() {
    let add = |condition: &str| {
        format!(
            r#"{{"title": "Add", "properties": {{"O": {{"const": "A"}}, "Order": true}}, "required": ["Order"], {condition}}}, {{"title": "Clear", "properties": {{"O": {{"const": "C"}}, "Order": false}}}}"#
        )
    };
    let error = error_for(&[(
        "a/T.json",
        &union(&add(r#""if": {"properties": {"Order": {"const": "x"}}, "required": ["Order"]}"#)),
    )]);
    assert!(error.ends_with("`if` and `then` come together"), "{error}");
    let error = error_for(&[(
        "a/T.json",
        &union(&add(
            r#""if": {"properties": {"Order": {"enum": ["x"]}}, "required": ["Order"]}, "then": {"required": ["O"]}"#,
        )),
    )]);
    assert!(error.starts_with("schemas/a/T.json#/oneOf/0/if: `if` is `{\"properties\""), "{error}");
    let error = error_for(&[(
        "a/T.json",
        &union(&add(
            r#""if": {"properties": {"O": {"const": "A"}}, "required": ["O"]}, "then": {"required": ["Order"]}"#,
        )),
    )]);
    assert!(error.contains("must be a string property other than the tag"), "{error}");
}

#[test]
fn bad_topic_arguments_and_flags_are_refused() {
    let message = |arguments: &str| {
        schema(
            "a/T.json",
            &format!(
                r#""x-zenith": {{"controller": "Market", "topic": "Depth", "action": "Publish", "direction": "receive", "permissions": [], "arguments": {arguments}}}, "type": "object", "properties": {{}}"#
            ),
        )
    };
    let error = error_for(&[(
        "a/T.json",
        &message(r#"{"forms": ["{Code}{Market}"], "parts": {"Code": {"pattern": "."}, "Market": {"pattern": "."}}}"#),
    )]);
    assert!(error.contains("have nothing between them"), "{error}");
    let error =
        error_for(&[("a/T.json", &message(r#"{"forms": ["{Code}.{Market}"], "parts": {"Code": {"pattern": "."}}}"#))]);
    assert!(error.contains("`{Market}` is not among the `parts`"), "{error}");
    let error = error_for(&[("a/T.json", &message(r#"{"forms": [""], "parts": {}}"#))]);
    assert!(error.contains("takes no arguments: leave `arguments` out"), "{error}");
    let error =
        error_for(&[("a/T.json", &message(r#"{"forms": ["{Code}", "", ""], "parts": {"Code": {"pattern": "."}}}"#))]);
    assert!(error.contains("the form `` is listed twice"), "{error}");
    let flags = schema(
        "a/T.json",
        r#""type": "object", "properties": {"F": {"type": "string", "x-zenith-flags": {"codes": "T.json", "separator": ","}}}"#,
    );
    let error = error_for(&[("a/T.json", &flags)]);
    assert!(error.contains("is not a code table"), "{error}");
}

#[test]
fn dangling_ref_is_located() {
    let text = schema("a/T.json", r#""type": "object", "properties": {"X": {"$ref": "Missing.json"}}"#);
    let error = error_for(&[("a/T.json", &text)]);
    assert!(error.starts_with("schemas/a/T.json#/properties/X: `$ref` `Missing.json` names no schema file"), "{error}");
}

#[test]
fn wrong_id_is_located() {
    let text = schema("b/T.json", r#""type": "string""#);
    let error = error_for(&[("a/T.json", &text)]);
    assert!(error.starts_with("schemas/a/T.json#: `$id` is"), "{error}");
}

#[test]
fn invalid_json_names_the_file() {
    let error = error_for(&[("a/T.json", "{ nope")]);
    assert!(error.starts_with("schemas/a/T.json: not valid JSON"), "{error}");
}

#[test]
fn secret_on_a_number_is_refused() {
    let text =
        schema("a/T.json", r#""type": "object", "properties": {"Pin": {"type": "integer", "x-zenith-secret": true}}"#);
    let error = error_for(&[("a/T.json", &text)]);
    assert_eq!(error, "schemas/a/T.json#/properties/Pin: `x-zenith-secret` is supported on string properties only");
}

#[test]
fn clashing_field_names_are_refused() {
    let text = schema(
        "a/T.json",
        r#""type": "object", "properties": {"UserID": {"type": "string"}, "UserId": {"type": "string"}}"#,
    );
    let error = error_for(&[("a/T.json", &text)]);
    assert!(error.contains("both become the Rust field `user_id`"), "{error}");
}

#[test]
fn two_messages_with_the_same_dispatch_keys_are_refused() {
    let envelope = |file: &str| {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schemas/envelope").join(file))
            .unwrap()
    };
    let message = |path: &str, title: &str| {
        schema(path, r#""x-zenith": {"controller": "Demo", "topic": "T", "action": "Publish", "direction": "send", "permissions": []}, "type": "object""#)
            .replace("\"title\": \"T\"", &format!("\"title\": \"{title}\""))
    };
    let (controller, action) = (envelope("Controller.json"), envelope("Action.json"));
    let error = error_for(&[
        ("envelope/Controller.json", &controller),
        ("envelope/Action.json", &action),
        ("a/A.json", &message("a/A.json", "A")),
        ("a/B.json", &message("a/B.json", "B")),
    ]);
    assert_eq!(
        error,
        "schemas/a/B.json#/x-zenith: schemas/a/A.json# has the same controller, topic, action and direction: one message would hide the other"
    );
    let unknown = message("a/A.json", "A").replace("\"Publish\"", "\"Publish2\"");
    let error = error_for(&[
        ("envelope/Controller.json", &controller),
        ("envelope/Action.json", &action),
        ("a/A.json", &unknown),
    ]);
    assert_eq!(error, "schemas/a/A.json#/x-zenith/action: unknown action `Publish2`");
}

/// A value union with `branches` as its `oneOf`.
fn value_union(branches: &str) -> String {
    schema("a/T.json", &format!(r#""x-zenith-tag": 0, "oneOf": [{branches}]"#))
}

#[test]
fn value_unions_a_value_could_not_tell_apart_are_refused() {
    let and = r#"{"title": "And", "description": "d", "prefixItems": [{"const": "And"}], "minItems": 2, "items": {"description": "d", "type": "string"}}"#;
    let number = r#"{"title": "Number", "description": "d", "type": "number"}"#;
    let integer = r#"{"title": "Whole", "description": "d", "type": "integer"}"#;
    let error = error_for(&[("a/T.json", &value_union(&format!("{and}, {number}, {integer}")))]);
    assert!(error.contains("`Whole` and `Number` both take integer values: nothing tells them apart"), "{error}");
    let again = and.replace("\"And\", \"description\"", "\"Again\", \"description\"");
    let error = error_for(&[("a/T.json", &value_union(&format!("{and}, {again}")))]);
    assert!(error.contains("`Again` and `And` both take the tag `And`"), "{error}");
    let untagged = r#"{"title": "List", "description": "d", "type": "array"}"#;
    let error = error_for(&[("a/T.json", &value_union(&format!("{and}, {untagged}")))]);
    assert!(error.contains("an array branch without tags must be the only array branch"), "{error}");
    let too_many = and.replace(
        "\"minItems\": 2, \"items\": {\"description\": \"d\", \"type\": \"string\"}",
        "\"minItems\": 3, \"items\": false",
    );
    let error = error_for(&[("a/T.json", &value_union(&too_many))]);
    assert!(error.contains("`minItems` asks for more items than `prefixItems` allows"), "{error}");
    let no_tag = and.replace(r#"[{"const": "And"}]"#, r#"[{"type": "string"}]"#);
    let error = error_for(&[("a/T.json", &value_union(&no_tag))]);
    assert!(error.contains("item 0 is the tag"), "{error}");
}

#[test]
fn change_rules_must_name_every_tag_and_a_scalar_key() {
    let add = r#"{"title": "Add", "properties": {"O": {"const": "A"}}}"#;
    let clear = r#"{"title": "Clear", "properties": {"O": {"const": "C"}}}"#;
    let with_rules = |rules: &str| {
        union(&format!("{add}, {clear}"))
            .replace(r#""x-zenith-tag": "O","#, &format!(r#""x-zenith-tag": "O", "x-zenith-changes": {rules},"#))
    };
    let error = error_for(&[("a/T.json", &with_rules(r#"{"key": ["/Order"], "operations": {"A": "add"}}"#))]);
    assert!(error.contains("`operations` must name every tag value, and only those"), "{error}");
    let error =
        error_for(&[("a/T.json", &with_rules(r#"{"key": ["/Nope"], "operations": {"A": "add", "C": "clear"}}"#))]);
    assert!(error.contains("`Nope` is not among the record's `properties`"), "{error}");
    let error =
        error_for(&[("a/T.json", &with_rules(r#"{"key": ["/Order"], "operations": {"A": "add", "C": "wipe"}}"#))]);
    assert!(error.contains("an operation here is one of `add`, `update`, `remove`, `clear`, `set`"), "{error}");
    let positional = r#"{"position": {"at": "/Order", "count": "/Order", "items": "/Order"}, "operations": {"A": "add", "C": "clear"}}"#;
    let error = error_for(&[("a/T.json", &with_rules(positional))]);
    assert!(error.contains("an operation here is one of `remove`, `clear`, `insert`, `replace`"), "{error}");
    let positional = positional.replace("\"add\"", "\"insert\"");
    let error = error_for(&[("a/T.json", &with_rules(&positional))]);
    assert!(error.contains("`/Order`: a position or a count is an integer"), "{error}");
    let error = error_for(&[(
        "a/T.json",
        &with_rules(r#"{"key": ["/O"], "operations": {"A": "add", "C": "clear"}, "otherwise": "set"}"#),
    )]);
    assert!(error.contains("a record with a tag says what it does by its tag"), "{error}");
    let error = error_for(&[("a/T.json", &with_rules(r#"{"key": ["/O"], "operations": {"A": "add", "C": "clear"}}"#))]);
    assert!(error.contains("`/O` is the tag or an `if` of the union: no record is read there"), "{error}");
    let error = error_for(&[(
        "a/T.json",
        &with_rules(r#"{"key": ["/Order/Deeper"], "operations": {"A": "add", "C": "clear"}}"#),
    )]);
    assert!(error.contains("`/Order/Deeper`: leads through a value that is not an object"), "{error}");
}

#[test]
fn change_rules_without_a_tag_need_when_and_otherwise() {
    let record = |rules: &str| {
        format!(
            r#"{{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "T", "description": "d",
                "$id": "https://zenith-protocol.invalid/schemas/a/T.json",
                "type": "object", "x-zenith-changes": {rules},
                "properties": {{"A": {{"description": "d", "type": "string"}}, "N": {{"description": "d", "type": "number"}}}}}}"#
        )
    };
    let error = error_for(&[("a/T.json", &record(r#"{"key": ["/A"]}"#))]);
    assert!(error.contains("an operation here is one of"), "{error}");
    let scoped = r#"{"key": ["/A"], "when": [{"property": "/N", "equals": 0, "operation": "remove", "scope": "/A"}], "otherwise": "set"}"#;
    let error = error_for(&[("a/T.json", &record(scoped))]);
    assert!(error.contains("a scope is the key's first part, for a clear"), "{error}");
    let by_array =
        r#"{"key": ["/A"], "when": [{"property": "/N", "equals": [], "operation": "remove"}], "otherwise": "set"}"#;
    let error = error_for(&[("a/T.json", &record(by_array))]);
    assert!(error.contains("a string or a number"), "{error}");
    let key_number = r#"{"key": ["/N"], "otherwise": "set"}"#;
    let error = error_for(&[("a/T.json", &record(key_number))]);
    assert!(error.contains("`/N`: a key is a string or an integer"), "{error}");
}

#[test]
fn words_outside_the_vocabulary_are_refused() {
    let envelope = |file: &str| {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schemas/envelope").join(file))
            .unwrap()
    };
    let message = schema(
        "a/A.json",
        r#""x-zenith": {"controller": "Demo", "topic": "T", "action": "Publish", "direction": "send", "permissions": []}, "type": "object""#,
    );
    let (controller, action) = (envelope("Controller.json"), envelope("Action.json"));
    let with = |action: &str, message: &str| {
        error_for(&[("envelope/Controller.json", &controller), ("envelope/Action.json", action), ("a/A.json", message)])
    };
    let error = with(&action.replace("\"answer\"", "\"reply\""), &message);
    assert_eq!(
        error,
        "schemas/envelope/Action.json#/x-zenith-roles/1/role: unknown role `reply`; the roles are request, answer, \
         subscribe, confirm, unsubscribe, unsubscribed, error, cancel"
    );
    let error = with(&action.replace("\"receive\"", "\"Receive\""), &message);
    assert_eq!(error, "schemas/envelope/Action.json#/x-zenith-roles/1/direction: `Receive` is not `send` or `receive`");
    let error = with(&action, &message.replace("\"send\"", "\"out\""));
    assert_eq!(error, "schemas/a/A.json#/x-zenith/direction: direction must be `send` or `receive`, not `out`");
    let string = schema("a/S.json", r#""type": "string", "format": "date-time""#);
    let error = error_for(&[("a/S.json", &string)]);
    assert_eq!(error, "schemas/a/S.json#/format: format `date-time` is not supported");
}

#[test]
fn variant_requirements_on_a_nested_object_are_checked() {
    // `Order` is a named object type of its own here.
    let order = schema(
        "a/Order.json",
        r#""type": "object", "properties": {"ID": {"type": "string"}, "Price": {"type": "number"}}, "required": ["ID"]"#,
    )
    .replace(r#""title": "T""#, r#""title": "Order""#);
    let record = |add_rule: &str| {
        schema(
            "a/T.json",
            &format!(
                r#""type": "object", "x-zenith-tag": "O", "properties": {{"O": {{"enum": ["A", "R"]}}, "Order": {{"$ref": "Order.json"}}}}, "required": ["O"], "oneOf": [{{"title": "Add", "properties": {{"O": {{"const": "A"}}, "Order": {add_rule}}}}}, {{"title": "Remove", "properties": {{"O": {{"const": "R"}}, "Order": true}}}}]"#
            ),
        )
    };
    let error = error_for(&[("a/Order.json", &order), ("a/T.json", &record(r#"{"required": ["Prise"]}"#))]);
    assert_eq!(error, "schemas/a/T.json#/oneOf/0/properties/Order/required: `Prise` is not a property of `Order`");
    let error = error_for(&[("a/Order.json", &order), ("a/T.json", &record(r#"{"required": ["ID"]}"#))]);
    assert!(error.ends_with("`ID` is required by `Order`'s own type already"), "{error}");
    let error = error_for(&[("a/Order.json", &order), ("a/T.json", &record(r#"{"required": "Price"}"#))]);
    assert!(error.ends_with("`required` must list strings"), "{error}");
}

#[test]
fn drift_annotations_are_checked_where_they_stand() {
    let drift = |fields: &str| {
        format!(
            r#"{{"id": "a-b", "client": "c.ts: C", "direction": "receive", "does": "reads it", "why": "w", {fields}}}"#
        )
    };
    let example = r#""example": {"Controller": "Auth"}"#;
    // A finding needs a place the checks see: here, the object itself.
    let on_object = schema(
        "a/T.json",
        &format!(
            r#""type": "object", "properties": {{"X": {{"type": "string"}}}}, "x-zenith-drift": {}"#,
            drift(&format!(r#""decision": "warning", {example}"#))
        ),
    );
    let error = error_for(&[("a/T.json", &on_object)]);
    assert!(error.starts_with("schemas/a/T.json#: drift `a-b` has a finding, so it goes on a code table"), "{error}");
    let without_example = schema(
        "a/T.json",
        &format!(
            r#""type": "object", "properties": {{"X": {{"type": "string", "x-zenith-drift": {}}}}}"#,
            drift(r#""decision": "info""#)
        ),
    );
    let error = error_for(&[("a/T.json", &without_example)]);
    assert!(error.ends_with("a drift needs an `example` message unless it is `kept`"), "{error}");
    let value_not_listed = schema(
        "a/T.json",
        &format!(
            r#""enum": ["A", "B"], "x-zenith-drift": {}"#,
            drift(&format!(r#""decision": "warning", "values": ["C"], {example}"#))
        ),
    );
    let error = error_for(&[("a/T.json", &value_not_listed)]);
    assert!(error.ends_with("`C` must be among the code table's `enum` or `x-zenith-known` values"), "{error}");
    let not_nullable = schema(
        "a/T.json",
        &format!(
            r#""type": "object", "properties": {{"X": {{"type": "string", "x-zenith-drift": {}}}}}"#,
            drift(&format!(r#""decision": "info", "when": "null", {example}"#))
        ),
    );
    let error = error_for(&[("a/T.json", &not_nullable)]);
    assert!(error.ends_with("`when: null` needs a nullable property"), "{error}");
}
