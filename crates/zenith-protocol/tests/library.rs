//! The library as a Rust program sees it: envelope access on any message, parsing that loses
//! nothing, builders, typed topics, exact parse errors, and a small `Message`.

use proptest::prelude::*;
use serde_json::{Value, json};
use zenith_protocol::market::{DepthPush, DepthTopic};
use zenith_protocol::prelude::*;
use zenith_protocol::{Action, Controller, EquityOrderDetails, OrderType, Side};

/// Every message of the schema examples, with its direction.
fn examples() -> Vec<(Value, Direction)> {
    let mut found = Vec::new();
    for (_, schema) in test_kit::schemas().files() {
        let direction = match schema["x-zenith"]["direction"].as_str() {
            Some("send") => Direction::Send,
            Some("receive") => Direction::Receive,
            _ => continue,
        };
        for example in schema["examples"].as_array().into_iter().flatten() {
            found.push((example.clone(), direction));
        }
    }
    found
}

/// Every websocket message of the JSON Lines captures in `examples/captures/`, as (where, text,
/// direction).
fn capture_messages() -> Vec<(String, String, Direction)> {
    let mut found = Vec::new();
    for name in ["auth-session.jsonl", "market-session.jsonl"] {
        let text = std::fs::read_to_string(test_kit::root().join("examples/captures").join(name)).unwrap();
        for (index, line) in text.lines().enumerate() {
            let record: Value = serde_json::from_str(line).unwrap();
            let direction = if record["type"] == "send" { Direction::Send } else { Direction::Receive };
            if let Some(data) = record["data"].as_str() {
                found.push((format!("{name}:{}", index + 1), data.to_owned(), direction));
            }
        }
    }
    found
}

#[test]
fn a_message_is_small_whatever_its_kind() {
    let size = std::mem::size_of::<Message>();
    assert!(size <= 64, "size_of::<Message>() is {size} bytes");
}

#[test]
fn every_example_gives_its_envelope_with_the_defaults_applied() {
    for (example, direction) in examples() {
        let message = Message::parse(&example, direction).unwrap();
        assert_eq!(message.transaction_id(), example["TransactionID"].as_i64(), "{example}");
        let controller = example["Controller"].as_str().unwrap_or(zenith_protocol::DEFAULT_CONTROLLER);
        assert_eq!(message.controller(), Controller::from(controller), "{example}");
        let action = example["Action"].as_str().unwrap_or(zenith_protocol::DEFAULT_ACTION);
        assert_eq!(message.action(), Action::from(action), "{example}");
        assert_eq!(message.topic().map(Topic::as_str), example["Topic"].as_str(), "{example}");
        assert_eq!(MessageEnvelope::kind(&message), message.kind());
    }
}

#[test]
fn setting_the_transaction_id_of_any_message_writes_it() {
    for (example, direction) in examples() {
        let mut message = Message::parse(&example, direction).unwrap();
        message.set_transaction_id(77);
        assert_eq!(message.to_value()["TransactionID"], 77, "{example}");
    }
}

#[test]
fn every_message_of_the_captures_parses_and_serializes_back_unchanged() {
    let messages = capture_messages();
    assert!(messages.len() > 30, "only {} messages", messages.len());
    for (at, text, direction) in messages {
        let message = Message::parse_str(&text, direction).unwrap_or_else(|e| panic!("{at}: {e}"));
        let sent: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(message.to_value(), sent, "{at}");
    }
}

#[test]
fn a_misspelt_property_is_kept_reported_and_written_back() {
    let text = r#"{"Controller":"Trading","Topic":"PlaceOrder","TransactionID":7,"Data":{"Account":"1234",
        "Details":{"Style":"Equity","Exchange":"ASX","Code":"BHP","Side":"Bid","Type":"Limit","Quantity":100,"Prcie":42.05},
        "Route":{"Algorithm":"Market","Market":"ASX::CP"}}}"#;
    let (message, report) = Message::parse_checked(text, Direction::Send).unwrap();
    let Message::PlaceOrderRequest(request) = &message else { panic!("{:?}", message.kind()) };
    let zenith_protocol::OrderDetails::EquityOrderDetails(details) = &request.data.details else { panic!() };
    assert_eq!(details.undocumented.get("Prcie"), Some(&json!(42.05)));
    assert!(report.problems.iter().any(|p| p.instance_path == "/Data/Details/Prcie"), "{report:?}");
    assert_eq!(message.to_value(), serde_json::from_str::<Value>(text).unwrap());
}

#[test]
fn a_property_a_variant_forbids_is_kept_too() {
    let text = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"C","Order":{"ID":"1"}}]}"#;
    let message = Message::parse_str(text, Direction::Receive).unwrap();
    assert_eq!(message.to_value(), serde_json::from_str::<Value>(text).unwrap());
}

#[test]
fn parse_errors_point_at_the_property_inside_unions() {
    let text = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"A","Order":{"ID":"1","Side":"Bid","Price":"x","Position":1,"Quantity":5}}]}"#;
    let error = Message::parse_str(text, Direction::Receive).unwrap_err();
    let ParseError::Data { kind, path, reason } = &error else { panic!("{error}") };
    assert_eq!((*kind, path.as_str()), ("DepthPush", "/Data/0/Order/Price"), "{reason}");
    assert!(error.to_string().starts_with("the message is a DepthPush but `/Data/0/Order/Price`"), "{error}");
}

#[test]
fn builders_take_what_converts_and_name_what_is_missing() {
    let details = EquityOrderDetails::builder()
        .exchange("ASX")
        .code("BHP")
        .side(Side::Bid)
        .type_(OrderType::Limit)
        .quantity("100".parse::<Decimal>().unwrap())
        .limit_price("42.05".parse::<Decimal>().unwrap())
        .build()
        .unwrap();
    assert_eq!(details.limit_price.as_ref().map(Decimal::as_str), Some("42.05"));
    let missing = EquityOrderDetails::builder().exchange("ASX").code("BHP").build().unwrap_err();
    assert_eq!(missing.to_string(), "an `EquityOrderDetails` needs `Side`: set it before `build()`");
}

#[test]
fn a_push_gives_its_typed_topic() {
    let text = r#"{"Controller":"Market","Topic":"Depth!BHP.AX.ASX","Data":[{"O":"C"}]}"#;
    let push: DepthPush = serde_json::from_str(text).unwrap();
    let topic = push.typed_topic().unwrap();
    assert_eq!((topic.code.as_str(), topic.market.as_str()), ("BHP.AX", "ASX"));
    assert_eq!(topic, DepthTopic::new("BHP.AX", "ASX"));
    assert_eq!(push.topic().unwrap().args().collect::<Vec<_>>(), ["BHP.AX", "ASX"]);
}

/// An object key no schema documents (their names are capitalised; these are not).
fn undocumented_name() -> impl Strategy<Value = String> {
    "x[a-z]{0,8}"
}

/// A JSON value to put under an undocumented name.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(undocumented_name(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Adds `extra` to the message and to every object of its `Data` that is a record (not a map
/// of free keys).
fn with_extra(message: &mut Value, name: &str, extra: &Value) {
    message[name] = extra.clone();
    match &mut message["Data"] {
        Value::Object(data) => {
            data.insert(name.to_owned(), extra.clone());
        }
        Value::Array(items) => {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                item.insert(name.to_owned(), extra.clone());
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn undocumented_properties_survive_a_round_trip(
        pick in any::<prop::sample::Index>(),
        name in undocumented_name(),
        extra in any_json(),
    ) {
        let examples = examples();
        let (example, direction) = &examples[pick.index(examples.len())];
        let mut message = example.clone();
        with_extra(&mut message, &name, &extra);
        let text = serde_json::to_string(&message).unwrap();
        let parsed = Message::parse_str(&text, *direction).unwrap();
        prop_assert_eq!(parsed.to_value(), message);
    }
}

#[test]
fn an_order_add_without_the_order_it_adds_is_an_error() {
    let push = json!({"Controller": "Trading", "Topic": "Orders!1234", "Data": [{"O": "A", "Order": {"ID": "1"}}]});
    let report = Message::validate(&push, Direction::Receive).unwrap();
    assert!(report.errors().any(|p| p.instance_path.starts_with("/Data/0/Order")), "{report}");
}

#[test]
fn a_topic_missing_an_argument_is_an_error() {
    let push = json!({"Controller": "Market", "Topic": "Depth!BHP", "Data": [{"O": "C"}]});
    let report = Message::validate(&push, Direction::Receive).unwrap();
    assert!(report.errors().any(|p| p.instance_path == "/Topic"), "{report}");
}

#[test]
fn a_sub_built_from_a_typed_topic_goes_to_its_controller() {
    let sub = SubRequest::for_topic(DepthTopic::new("BHP", "ASX")).confirm(true);
    assert_eq!(sub.controller(), Controller::Market);
    let wire = serde_json::to_value(&sub).unwrap();
    assert_eq!(wire["Controller"], "Market");
    assert!(Message::validate(&wire, Direction::Send).unwrap().is_valid());
}

#[test]
fn a_parse_error_under_a_credential_does_not_show_its_value() {
    let text = r#"{"Controller":"Auth","Topic":"AuthOwner","TransactionID":1,"Data":{"Provider":"Paritech","ClientID":"x","UserName":"u","Password":918273645}}"#;
    let error = Message::parse_str(text, Direction::Send).unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("/Data/Password") && !shown.contains("918273645"), "{shown}");
}
