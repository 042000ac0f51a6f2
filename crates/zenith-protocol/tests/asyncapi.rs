//! `docs/asyncapi.json` is a valid AsyncAPI 3.0.0 document (by the official JSON Schema), and
//! holds every message of the catalog: on its channel, with its schema as payload, sent or
//! received by an operation, and every reference in it resolves.

use serde_json::Value;
use zenith_protocol::{Direction, MessageKind};

fn document() -> Value {
    let text = std::fs::read_to_string(test_kit::root().join("docs/asyncapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_document_is_valid_asyncapi_3() {
    let path = test_kit::shared().join("asyncapi/asyncapi-3.0.0.schema.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: ../shared/asyncapi is not beside the checkout");
        return;
    };
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::options().with_draft(jsonschema::Draft::Draft7).build(&schema).unwrap();
    let document = document();
    let errors: Vec<String> =
        validator.iter_errors(&document).take(20).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And it does look: a wrong address, or an AsyncAPI 2 action, is refused.
    let mut broken = document.clone();
    broken["channels"]["Market.Depth"]["address"] = Value::Bool(true);
    assert!(!validator.is_valid(&broken));
    let mut broken = document.clone();
    broken["operations"]["sendAuthOwnerRequest"]["action"] = Value::from("publish");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn every_message_is_on_its_channel_with_its_schema_and_an_operation() {
    let document = document();
    let messages = document["components"]["messages"].as_object().unwrap();
    assert_eq!(messages.len(), MessageKind::ALL.len());
    for kind in MessageKind::ALL {
        let info = kind.info();
        let message = &messages[info.name];
        assert_eq!(message["payload"]["schema"]["$ref"], format!("../{}", info.schema_file), "{}", info.name);
        let channel = format!("{}.{}", info.controller.unwrap_or("Any"), info.topic.unwrap_or("Any"));
        let on_channel = &document["channels"][&channel]["messages"][info.name]["$ref"];
        assert_eq!(on_channel, &format!("#/components/messages/{}", info.name));
        let action = if info.direction == Direction::Send { "send" } else { "receive" };
        let operation = &document["operations"][format!("{action}{}", info.name)];
        assert_eq!(operation["action"], action, "{}", info.name);
        assert_eq!(operation["messages"][0]["$ref"], format!("#/channels/{channel}/messages/{}", info.name));
        if info.direction == Direction::Send && !info.reply_topics.is_empty() {
            assert!(operation["reply"]["messages"].as_array().is_some_and(|m| !m.is_empty()), "{}", info.name);
        }
    }
}

#[test]
fn every_reference_resolves_and_every_address_parameter_is_described() {
    let document = document();
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(refs.len() > 500, "{}", refs.len());
    for target in refs {
        match target.strip_prefix('#') {
            Some(pointer) => assert!(document.pointer(pointer).is_some(), "{target} does not resolve"),
            None => assert!(test_kit::root().join("docs").join(&target).is_file(), "{target} is not a file"),
        }
    }
    for (name, channel) in document["channels"].as_object().unwrap() {
        let Some(address) = channel["address"].as_str() else { continue };
        for parameter in address.split('{').skip(1).filter_map(|p| p.split_once('}')).map(|(p, _)| p) {
            assert!(channel["parameters"][parameter]["description"].is_string(), "{name}: {parameter}");
        }
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.push(target.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
