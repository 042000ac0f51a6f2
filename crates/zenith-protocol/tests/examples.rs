//! Every example message parses into its type and serializes back to the same JSON.

use serde_json::Value;
use test_kit::ExampleText;
use zenith_protocol::{Direction, Message, MessageKind, ParseError};

fn direction_of(schema: &Value) -> Direction {
    match schema["x-zenith"]["direction"].as_str() {
        Some("send") => Direction::Send,
        Some("receive") => Direction::Receive,
        other => panic!("bad direction {other:?}"),
    }
}

#[test]
fn schema_examples_parse_into_their_own_type_and_round_trip() {
    let mut checked = 0;
    for (file, schema) in test_kit::schemas().files() {
        if schema.get("x-zenith").is_none() {
            continue;
        }
        let examples = schema["examples"].as_array().unwrap_or_else(|| panic!("{file} has no examples"));
        assert!(!examples.is_empty(), "{file} has no examples");
        for example in examples {
            let message =
                Message::parse(example, direction_of(schema)).unwrap_or_else(|e| panic!("{file}: {e}\n{example}"));
            assert_eq!(message.kind().info().schema_file, file, "{example} dispatched elsewhere");
            assert_eq!(&message.to_value(), example, "{file}: round trip changed the message");
            checked += 1;
        }
    }
    assert!(checked >= MessageKind::ALL.len(), "only {checked} examples");
}

#[test]
fn every_message_kind_has_a_schema_file_and_is_reachable_by_dispatch() {
    for &kind in MessageKind::ALL {
        let info = kind.info();
        assert!(test_kit::root().join(info.schema_file).is_file(), "{}", info.schema_file);
        let found = MessageKind::lookup(
            info.controller.unwrap_or("Market"),
            info.topic.or(Some("AnyTopic")),
            info.action,
            info.direction,
        );
        assert_eq!(found, Some(kind), "{info:?}");
    }
}

#[test]
fn reference_examples_of_covered_topics_parse_and_round_trip() {
    let Some(examples) = test_kit::reference_examples() else { return };
    let mut typed = 0;
    let mut uncovered = Vec::new();
    let mut unreadable = Vec::new();
    for example in examples.iter().filter(|e| ["Auth", "Zenith", "Common"].contains(&e.controller.as_str())) {
        let direction = if example.direction == "send" { Direction::Send } else { Direction::Receive };
        let message = match test_kit::read_example(&example.text) {
            ExampleText::Json(message) | ExampleText::JavaScript(message) => message,
            ExampleText::Broken { why, .. } => {
                unreadable.push(format!("{} {}: {why}", example.controller, example.topic));
                continue;
            }
        };
        match Message::parse(&message, direction) {
            Ok(parsed) => {
                assert_eq!(parsed.to_value(), message, "{}: round trip changed {message}", example.topic);
                typed += 1;
            }
            Err(ParseError::NoSchema { topic, .. }) => uncovered.push(topic),
            Err(e) => panic!("{}: {e}\n{message}", example.topic),
        }
    }
    // HTTP handshakes in the AuthToken page and the malformed QueryConfigure reply are not messages.
    assert_eq!(unreadable.len(), 3, "{unreadable:#?}");
    assert!(uncovered.is_empty(), "topics without a schema: {uncovered:?}");
    assert!(typed >= 20, "only {typed} reference examples were typed");
}

#[test]
fn dispatch_errors_name_what_did_not_match() {
    let error =
        Message::parse(&serde_json::json!({"Controller": "Auth", "Topic": "AuthOwnr", "Data": {}}), Direction::Send)
            .unwrap_err();
    assert_eq!(
        error.to_string(),
        "no schema covers send messages with Controller `Auth`, Topic `AuthOwnr`, Action `Publish` (did you mean Topic `AuthOwner`?)"
    );
    let error =
        Message::parse(&serde_json::json!({"Controller": "Auht", "Topic": "AuthOwner"}), Direction::Send).unwrap_err();
    assert!(error.to_string().ends_with("(did you mean Controller `Auth`?)"), "{error}");
    let error = Message::parse_str("{\"Controller\": ", Direction::Send).unwrap_err();
    assert_eq!(error.to_string(), "the message is not JSON: EOF while parsing a value at line 1 column 15");
    let error = Message::parse(&serde_json::json!([1]), Direction::Send).unwrap_err();
    assert_eq!(error.to_string(), "a message must be a JSON object, but this is an array");
    let error = Message::parse(&serde_json::json!({"Controller": 5}), Direction::Send).unwrap_err();
    assert_eq!(error.to_string(), "envelope field `Controller` must be a string, but it is a number");
    let error = Message::parse(
        &serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "Data": {"Provider": "P", "ClientID": 7}}),
        Direction::Send,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the message is an AuthOwnerRequest but `/Data/ClientID` does not fit: invalid type: integer `7`, expected a string"
    );
    let error = Message::parse(
        &serde_json::json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "Success", "ExpiryDate": "2012-13-01T00:00:00Z"}}),
        Direction::Receive,
    )
    .unwrap_err();
    assert!(error.to_string().contains("`/Data/ExpiryDate` does not fit"), "{error}");
}

#[test]
fn topic_arguments_do_not_change_dispatch() {
    let message =
        serde_json::json!({"Controller": "Market", "Topic": "Security!BHP.ASX", "Action": "Sub", "Confirm": true});
    let Message::SubRequest(sub) = Message::parse(&message, Direction::Send).unwrap() else { panic!() };
    assert_eq!(sub.topic.name(), "Security");
    assert_eq!(sub.topic.args().collect::<Vec<_>>(), ["BHP", "ASX"]);
    assert_eq!(Message::SubRequest(sub).to_value(), message);
}

#[test]
fn unknown_enum_values_are_kept() {
    let message = serde_json::json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "Maybe"}});
    let Message::IdentifyPush(push) = Message::parse(&message, Direction::Receive).unwrap() else { panic!() };
    assert!(!push.data.result.is_known());
    assert_eq!(push.data.result.as_str(), "Maybe");
    assert_eq!(Message::IdentifyPush(push).to_value(), message);
}
