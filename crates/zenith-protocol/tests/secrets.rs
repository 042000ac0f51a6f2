//! Credentials never show in `Debug`, `Display` or error messages.

use zenith_protocol::{Direction, Message, MessageKind};

/// Every message kind's examples, with each secret field set to a marker value.
fn messages_with_secrets() -> Vec<(MessageKind, serde_json::Value)> {
    let marker = serde_json::json!("SECRET-MARKER-1f7c");
    let samples = [
        (
            Direction::Send,
            serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "Data": {"Provider": "P", "ClientID": "C", "ClientSecret": marker, "UserName": "u", "Password": marker}}),
        ),
        (
            Direction::Send,
            serde_json::json!({"Controller": "Auth", "Topic": "AuthToken", "Data": {"Provider": "Bearer", "AccessToken": marker}}),
        ),
        (
            Direction::Send,
            serde_json::json!({"Controller": "Auth", "Topic": "AuthCode", "Data": {"Provider": "P", "ClientID": "C", "ClientSecret": marker, "AuthGrant": marker}}),
        ),
        (
            Direction::Receive,
            serde_json::json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "Success", "AccessToken": marker}}),
        ),
        (
            Direction::Receive,
            serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "Data": {"Result": "Success", "AccessToken": marker}}),
        ),
        (
            Direction::Receive,
            serde_json::json!({"Controller": "Auth", "Topic": "AuthToken", "Data": {"Result": "Success", "AccessToken": marker}}),
        ),
        (
            Direction::Receive,
            serde_json::json!({"Controller": "Auth", "Topic": "AuthCode", "Data": {"Result": "Success", "AccessToken": marker}}),
        ),
        (
            Direction::Receive,
            serde_json::json!({"Controller": "Auth", "Topic": "QueryIdentify", "Data": {"Result": "Success", "AccessToken": marker}}),
        ),
    ];
    samples.into_iter().map(|(direction, value)| (Message::parse(&value, direction).unwrap().kind(), value)).collect()
}

#[test]
fn debug_and_display_of_every_secret_holding_type_are_redacted() {
    let mut kinds = Vec::new();
    for (kind, value) in messages_with_secrets() {
        let direction = kind.info().direction;
        let message = Message::parse(&value, direction).unwrap();
        let debug = format!("{message:?} {message:#?}");
        assert!(!debug.contains("SECRET-MARKER"), "{kind:?} leaks: {debug}");
        assert!(debug.contains("<redacted>"), "{kind:?}: {debug}");
        // The wire form still carries the credential: the protocol needs it.
        assert!(message.to_value().to_string().contains("SECRET-MARKER"));
        kinds.push(kind);
    }
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), 8, "every message kind with a secret field is covered");
}

#[test]
fn wrong_typed_secrets_are_not_quoted_in_errors() {
    for bad in [
        serde_json::json!(918273645),
        serde_json::json!(["SECRET-MARKER"]),
        serde_json::json!({"p": "SECRET-MARKER"}),
        serde_json::json!(true),
    ] {
        let value = serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "Data": {"Provider": "P", "ClientID": "C", "Password": bad}});
        let error = Message::parse(&value, Direction::Send).unwrap_err().to_string();
        assert!(!error.contains("SECRET-MARKER") && !error.contains("918273645"), "{error}");
        assert!(error.contains("/Data/Password") && error.contains("expected a string credential"), "{error}");
    }
}

/// Every property name in the schemas, with whether the schema marks its value secret.
fn documented_properties() -> Vec<(String, bool)> {
    fn walk(value: &serde_json::Value, out: &mut Vec<(String, bool)>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                    for (name, schema) in properties {
                        out.push((name.clone(), schema.get("x-zenith-secret") == Some(&serde_json::Value::Bool(true))));
                    }
                }
                map.values().for_each(|v| walk(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (_, schema) in test_kit::schemas().files() {
        walk(schema, &mut out);
    }
    out
}

#[test]
fn only_the_secret_properties_of_the_schemas_are_named_like_credentials() {
    use zenith_protocol::runtime::is_secret_name;
    let properties = documented_properties();
    assert!(properties.len() > 200, "{} properties", properties.len());
    for (name, secret) in properties {
        assert_eq!(
            is_secret_name(&name),
            secret || zenith_protocol::SECRET_PROPERTIES.contains(&name.as_str()),
            "{name}"
        );
    }
}
