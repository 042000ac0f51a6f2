//! The shapes the Market controller needs, as users meet them: topic arguments, tagged unions
//! (change records), nullable values, maps, flag sets, open code tables, dates and decimals.

use serde_json::{Value, json};
use zenith_protocol::market::{DepthPush, QueryTradingStatesReply};
use zenith_protocol::{
    Code, Date, Decimal, DepthChange, DepthTopic, Direction, Message, MessageKind, Nullable, Report, Severity,
    TradingStateAllowance, Validate,
};

fn depth(data: Value) -> Value {
    json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Data": data})
}

/// Every problem, as (severity, code, path, message).
fn problems(report: &Report) -> Vec<(Severity, Code, &str, &str)> {
    report.problems.iter().map(|p| (p.severity, p.code, p.instance_path.as_str(), p.message.as_str())).collect()
}

fn order(id: &str) -> Value {
    json!({"ID": id, "Side": "Bid", "Price": 42.05, "Position": 1, "Quantity": 100})
}

#[test]
fn an_invalid_change_record_is_one_error_in_the_variants_terms() {
    let clear_with_order = DepthPush::validate(&depth(json!([{"O": "C", "Order": order("1")}])));
    assert_eq!(
        problems(&clear_with_order),
        [(Severity::Error, Code::ForbiddenProperty, "/Data/0/Order", "`Order` must not appear when `O` is `C`")]
    );
    assert_eq!(clear_with_order.problems[0].schema_path, "schemas/types/DepthChange.json#/oneOf/3");
    let add_without_order = DepthPush::validate(&depth(json!([{"O": "C"}, {"O": "A"}])));
    assert_eq!(
        problems(&add_without_order),
        [(Severity::Error, Code::MissingRequired, "/Data/1", "`Order` is required when `O` is `A`")]
    );
    let unknown = DepthPush::validate(&depth(json!([{"O": "a", "Order": order("1")}])));
    assert_eq!(problems(&unknown).len(), 1, "{unknown}");
    let (_, code, path, message) = problems(&unknown)[0];
    assert_eq!((code, path), (Code::NotInEnum, "/Data/0/O"));
    assert!(message.contains("did you mean `A`?"), "{message}");
    // The one pass over text reaches the same verdicts, without building a tree.
    for (message, valid) in [
        (depth(json!([{"O": "C", "Order": order("1")}])), false),
        (depth(json!([{"O": "A"}])), false),
        (depth(json!([{"O": "C"}, {"O": "A", "Order": order("1")}, {"O": "R", "Order": {"ID": "1"}}])), true),
    ] {
        let text = message.to_string();
        let streamed = MessageKind::DepthPush.stream_verdict(&mut serde_json::Deserializer::from_str(&text)).unwrap();
        assert_eq!(streamed == zenith_protocol::Verdict::Clean, valid, "{text}");
        assert_eq!(DepthPush::is_valid(&message), valid, "{text}");
    }
}

#[test]
fn change_records_are_an_enum_with_a_struct_per_variant() {
    let message = depth(json!([{"O": "C"}, {"O": "A", "Order": order("7")}, {"O": "X", "Whatever": 1}]));
    let Message::DepthPush(push) = Message::parse(&message, Direction::Receive).unwrap() else { panic!() };
    assert!(matches!(push.data[0], DepthChange::DepthClear(_)));
    let DepthChange::DepthAdd(add) = &push.data[1] else { panic!("{:?}", push.data[1]) };
    assert_eq!(add.order.id, "7");
    // A tag no variant has is kept as sent.
    assert!(matches!(&push.data[2], DepthChange::Unrecognized(value) if value["Whatever"] == 1));
    assert_eq!(push.data.iter().map(DepthChange::tag).collect::<Vec<_>>(), ["C", "A", "X"]);
    assert_eq!(serde_json::to_value(&push).unwrap(), message);
}

#[test]
fn topic_arguments_are_typed_and_checked() {
    let topic: DepthTopic = "Depth!BHP.X.ASX".parse().unwrap();
    assert_eq!((topic.code.as_str(), topic.market.as_str()), ("BHP.X", "ASX"));
    assert_eq!(topic.to_string(), "Depth!BHP.X.ASX");
    assert!("Depth!BHP".parse::<DepthTopic>().unwrap_err().to_string().contains("no `.`"));
    assert!("Levels!BHP.ASX".parse::<DepthTopic>().is_err());
    let info = MessageKind::DepthPush.info();
    assert_eq!(info.arguments.iter().map(|f| f.text).collect::<Vec<_>>(), ["{Code}.{Market}"]);
    for (topic, fault) in [
        ("Depth", "needs its arguments"),
        ("Depth!BHP", "does not have the form `{Code}.{Market}`"),
        ("Depth!BHP.A-X", "is not a valid `{Market}`"),
    ] {
        let mut message = depth(json!([{"O": "C"}]));
        message["Topic"] = topic.into();
        let report = DepthPush::validate(&message);
        let found = problems(&report);
        assert_eq!(found.len(), 1, "{topic}: {report}");
        assert_eq!((found[0].1, found[0].2), (Code::BadTopicArguments, "/Topic"), "{topic}");
        assert!(found[0].3.contains(fault), "{topic}: {}", found[0].3);
        assert!(!DepthPush::is_valid(&message));
    }
}

#[test]
fn null_is_kept_apart_from_absent() {
    let undisclosed =
        depth(json!([{"O": "U", "Order": {"ID": "1", "Quantity": null}}, {"O": "U", "Order": {"ID": "2"}}]));
    assert!(DepthPush::validate(&undisclosed).problems.is_empty());
    let Message::DepthPush(push) = Message::parse(&undisclosed, Direction::Receive).unwrap() else { panic!() };
    let DepthChange::DepthUpdate(first) = &push.data[0] else { panic!() };
    let DepthChange::DepthUpdate(second) = &push.data[1] else { panic!() };
    assert_eq!(first.order.quantity, Some(Nullable::Null));
    assert_eq!(second.order.quantity, None);
    assert_eq!(serde_json::to_value(&push).unwrap(), undisclosed);
    let wrong = depth(json!([{"O": "U", "Order": {"ID": "1", "Quantity": "many"}}]));
    assert_eq!(problems(&DepthPush::validate(&wrong))[0].1, Code::WrongType);
}

#[test]
fn flag_sets_are_read_by_member_with_their_spacing_kept() {
    let reply = |allows: &str| {
        json!({"Controller": "Market", "Topic": "QueryTradingStates", "TransactionID": 1,
               "Data": [{"Name": "PreOpen", "Reason": "Normal", "Allows": allows}]})
    };
    let spaced = reply("OrderCancel, ReportCancel");
    assert!(QueryTradingStatesReply::validate(&spaced).problems.is_empty());
    let Message::QueryTradingStatesReply(parsed) = Message::parse(&spaced, Direction::Receive).unwrap() else {
        panic!()
    };
    let allows = &parsed.data[0].allows;
    assert_eq!(
        allows.members().collect::<Vec<_>>(),
        [TradingStateAllowance::OrderCancel, TradingStateAllowance::ReportCancel]
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), spaced);
    let report = QueryTradingStatesReply::validate(&reply("OrdersOnly,ReportCancle"));
    let found = problems(&report);
    assert_eq!((found.len(), found[0].1, found[0].2), (1, Code::BadFlag, "/Data/0/Allows"), "{report}");
    assert!(
        found[0].3.contains("`ReportCancle`") && found[0].3.contains("did you mean `ReportCancel`?"),
        "{}",
        found[0].3
    );
}

#[test]
fn open_code_tables_warn_on_codes_they_do_not_list() {
    let reply = |name: &str| {
        json!({"Controller": "Market", "Topic": "QueryTradingStates", "TransactionID": 1,
               "Data": [{"Name": name, "Reason": "Normal", "Allows": "All"}]})
    };
    let report = QueryTradingStatesReply::validate(&reply("MarketMakerOnly"));
    assert_eq!(
        problems(&report).iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
        [(Severity::Warning, Code::UnknownCode)],
        "{report}"
    );
    assert!(QueryTradingStatesReply::is_valid(&reply("MarketMakerOnly")));
    assert!(!QueryTradingStatesReply::is_clean(&reply("MarketMakerOnly")));
}

#[test]
fn dates_and_decimals() {
    assert_eq!("2016-01-20+10:00".parse::<Date>().unwrap().ymd(), (2016, 1, 20));
    let price: Decimal = serde_json::from_value(json!(42.05)).unwrap();
    assert_eq!(price.to_string(), "42.05");
    assert_eq!(serde_json::to_value(&price).unwrap(), json!(42.05));
    // From message text, a price keeps its spelling through the typed message and back.
    let text = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"A","Order":{"ID":"1","Side":"Bid","Price":42.10,"Position":1,"Quantity":1e3}}]}"#;
    let Message::DepthPush(push) = Message::parse_str(text, Direction::Receive).unwrap() else { panic!() };
    let DepthChange::DepthAdd(add) = &push.data[0] else { panic!() };
    assert_eq!(add.order.price.as_ref().map(Decimal::as_str), Some("42.10"));
    assert_eq!(serde_json::to_string(&push).unwrap(), text);
}

#[test]
fn data_types_are_built_without_spelling_out_every_optional_field() {
    use zenith_protocol::Timeouts;
    use zenith_protocol::market::{QueryBrokersRequest, QueryBrokersRequestData};
    // Nothing required: `Default`.
    let timeouts = Timeouts::default();
    assert_eq!(serde_json::to_value(&timeouts).unwrap(), json!({}));
    // Something required: `new` takes just that; a message's TransactionID in a chain.
    let request = QueryBrokersRequest::new(QueryBrokersRequestData::new("ASX")).with_transaction_id(7);
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"Controller": "Market", "Topic": "QueryBrokers", "TransactionID": 7, "Data": {"Market": "ASX"}})
    );
    assert!(QueryBrokersRequest::validate(&serde_json::to_value(&request).unwrap()).problems.is_empty());
}
