//! The mock's replies to requests: valid, paired with the request, and following its values.

use serde_json::{Value, json};
use zenith_mock::reply::answer;
use zenith_protocol::{Direction, EnvelopeKeys, MessageKind};

/// Every request kind (send, Publish) outside the Auth controller that has an example.
fn requests_with_examples() -> Vec<(MessageKind, Value)> {
    MessageKind::ALL
        .iter()
        .filter_map(|&kind| {
            let info = kind.info();
            let request = info.direction == Direction::Send && info.action == "Publish";
            if !request || info.controller == Some("Auth") {
                return None;
            }
            Some((kind, serde_json::from_str(kind.docs().example?).expect("examples are JSON")))
        })
        .collect()
}

/// The kind a client finds from the reply's envelope, and that kind's errors on it.
fn problems(reply: &Value) -> (MessageKind, Vec<String>) {
    let keys = EnvelopeKeys::read(reply).expect("a reply has a readable envelope");
    let kind = keys.kind(Direction::Receive).unwrap_or_else(|| panic!("no schema for {reply}"));
    let errors = kind
        .validate(reply)
        .errors()
        .map(|problem| format!("{}: {}", problem.instance_path, problem.message))
        .collect();
    (kind, errors)
}

/// Asserts every reply is valid, carries `id` (or none) and comes from `controller`.
fn assert_replies(kind: MessageKind, replies: &[Value], id: Option<&Value>, controller: &str) {
    assert!(!replies.is_empty(), "{kind:?} got no reply");
    for reply in replies {
        let (reply_kind, errors) = problems(reply);
        assert!(errors.is_empty(), "{kind:?} -> {reply_kind:?}: {errors:?} in {reply}");
        assert_eq!(reply.get("TransactionID"), id, "{kind:?}: {reply}");
        assert_eq!(reply["Controller"], controller, "{kind:?}: {reply}");
        assert_eq!(reply_kind.info().direction, Direction::Receive);
    }
}

fn only(replies: Vec<Value>) -> Value {
    assert_eq!(replies.len(), 1, "{replies:?}");
    replies.into_iter().next().unwrap_or_default()
}

#[test]
fn every_request_example_gets_a_valid_reply_under_its_transaction_id() {
    let requests = requests_with_examples();
    assert!(requests.len() >= 60, "only {} request kinds have examples", requests.len());
    for (kind, mut request) in requests {
        request["TransactionID"] = json!(4711);
        let controller = request["Controller"].as_str().unwrap_or_default().to_owned();
        assert_replies(kind, &answer(&request, kind), Some(&json!(4711)), &controller);
    }
}

#[test]
fn a_request_without_data_or_with_odd_values_still_gets_a_valid_reply() {
    let odd_data =
        [None, Some(json!(42)), Some(json!("text")), Some(json!([1, 2])), Some(json!({"Account": {"x": 1}}))];
    for (kind, request) in requests_with_examples() {
        let controller = request["Controller"].as_str().unwrap_or_default().to_owned();
        for data in &odd_data {
            let mut request = request.clone();
            match (data, request.as_object_mut()) {
                (Some(data), Some(object)) => _ = object.insert("Data".into(), data.clone()),
                (None, Some(object)) => _ = object.remove("Data"),
                (_, None) => panic!("examples are objects"),
            }
            request["TransactionID"] = json!(9);
            assert_replies(kind, &answer(&request, kind), Some(&json!(9)), &controller);
        }
        // Values of the wrong type everywhere: the example's values stay.
        let mut request = request.clone();
        if let Some(data) = request.get_mut("Data").and_then(Value::as_object_mut) {
            data.values_mut().for_each(|value| *value = json!([{"not": "scalar"}]));
        }
        request["TransactionID"] = json!(10);
        assert_replies(kind, &answer(&request, kind), Some(&json!(10)), &controller);
    }
}

#[test]
fn a_place_order_reply_shows_the_requests_account_and_symbol() {
    let mut request: Value = serde_json::from_str(MessageKind::PlaceOrderRequest.docs().example.unwrap()).unwrap();
    request["TransactionID"] = json!(31);
    request["Data"]["Account"] = json!("9999[Demo]");
    request["Data"]["Details"]["Code"] = json!("NAB");
    let reply = only(answer(&request, MessageKind::PlaceOrderRequest));
    assert_eq!(reply["Topic"], "PlaceOrder");
    assert_eq!(reply["TransactionID"], 31);
    let order = &reply["Data"]["Order"];
    assert_eq!(order["Account"], "9999[Demo]");
    assert_eq!(order["Details"]["Code"], "NAB");
    assert_eq!(problems(&reply).1, Vec::<String>::new());
}

#[test]
fn a_query_security_reply_is_for_the_symbol_asked_about() {
    for (code, market) in [("CBA", "ASX"), ("FPH", "NZX[Demo]")] {
        let request = json!({"Controller": "Market", "Topic": "QuerySecurity", "TransactionID": 5,
            "Data": {"Code": code, "Market": market}});
        let reply = only(answer(&request, MessageKind::QuerySecurityRequest));
        assert_eq!((reply["Topic"].as_str(), reply["TransactionID"].as_i64()), (Some("QuerySecurity"), Some(5)));
        assert_eq!((reply["Data"]["Code"].as_str(), reply["Data"]["Market"].as_str()), (Some(code), Some(market)));
    }
}

#[test]
fn an_order_id_is_followed_into_the_orders_id() {
    let request = json!({"Controller": "Trading", "Topic": "CancelOrder", "TransactionID": 8,
        "Data": {"Account": "4321[Demo]", "OrderID": "my-order-1"}});
    let reply = only(answer(&request, MessageKind::CancelOrderRequest));
    assert_eq!(reply["Data"]["Order"]["ID"], "my-order-1", "{reply}");
    assert_eq!(reply["Data"]["Order"]["Account"], "4321[Demo]", "{reply}");
}

#[test]
fn amend_order_is_answered_on_the_place_order_topic_as_the_reference_shows() {
    let mut request: Value = serde_json::from_str(MessageKind::AmendOrderRequest.docs().example.unwrap()).unwrap();
    request["Data"]["OrderID"] = json!("amended-7");
    let reply = only(answer(&request, MessageKind::AmendOrderRequest));
    assert_eq!(reply["Topic"], "PlaceOrder");
    assert_eq!(reply["Data"]["Order"]["ID"], "amended-7");
    assert_eq!(problems(&reply).0, MessageKind::PlaceOrderReply);
}

#[test]
fn a_reply_of_another_shape_stays_on_the_requests_own_topic() {
    // The QueryChannel topic carries a channel, not a method's set-up information.
    let request =
        json!({"Controller": "Channel", "Topic": "QueryMethod", "TransactionID": 2, "Data": {"Type": "Push.Web"}});
    let reply = only(answer(&request, MessageKind::QueryMethodRequest));
    assert_eq!((reply["Topic"].as_str(), reply["Data"]["Type"].as_str()), (Some("QueryMethod"), Some("Push.Web")));
}

#[test]
fn values_the_server_makes_up_are_not_the_requests() {
    // A copy gets a new identifier, not the source's.
    let request = json!({"Controller": "Watchlist", "Topic": "CopyWatchlist", "TransactionID": 3,
        "Data": {"WatchlistID": "SOURCE1", "Details": {"Name": "Mine"}}});
    let reply = only(answer(&request, MessageKind::CopyWatchlistRequest));
    assert!(reply["Data"]["WatchlistID"].is_string());
    assert_ne!(reply["Data"]["WatchlistID"], "SOURCE1", "{reply}");
    // A moved order is in the destination account, not the one it left.
    let request = json!({"Controller": "Trading", "Topic": "MoveOrder", "TransactionID": 4,
        "Data": {"Account": "1111[Demo]", "OrderID": "o-1", "Destination": "2222[Demo]"}});
    let reply = only(answer(&request, MessageKind::MoveOrderRequest));
    assert_ne!(reply["Data"]["Order"]["Account"], "1111[Demo]", "{reply}");
    assert_eq!(reply["Data"]["Order"]["ID"], "o-1", "{reply}");
}

#[test]
fn a_value_that_would_break_the_reply_is_not_put_in() {
    let request = json!({"Controller": "Trading", "Topic": "PlaceOrder", "TransactionID": 6,
        "Data": {"Account": 12345, "Details": {"Code": "NAB", "Side": "Sideways"}}});
    let reply = only(answer(&request, MessageKind::PlaceOrderRequest));
    assert_eq!(problems(&reply).1, Vec::<String>::new());
    assert!(reply["Data"]["Order"]["Account"].is_string(), "{reply}");
    assert_eq!(reply["Data"]["Order"]["Details"]["Code"], "NAB", "{reply}");
    assert_ne!(reply["Data"]["Order"]["Details"]["Side"], "Sideways", "{reply}");
}

#[test]
fn list_replies_follow_the_requested_account() {
    let request = json!({"Controller": "Trading", "Topic": "QueryOrders", "TransactionID": 12, "Data": {"Account": "7777[Demo]"}});
    let reply = only(answer(&request, MessageKind::QueryOrdersRequest));
    let orders = reply["Data"].as_array().expect("a list of orders");
    assert!(!orders.is_empty());
    assert!(orders.iter().all(|order| order["Account"] == "7777[Demo]"), "{reply}");
}

#[test]
fn secrets_in_a_request_are_never_echoed() {
    let request = json!({"Controller": "Channel", "Topic": "QueryChannel", "TransactionID": 1,
        "Data": {"ChannelID": "c-1", "auth": "hunter2-secret"}});
    let reply = only(answer(&request, MessageKind::QueryChannelRequest));
    assert_eq!(reply["Data"]["ChannelID"], "c-1");
    assert!(!reply.to_string().contains("hunter2-secret"), "{reply}");
}

#[test]
fn configure_is_answered_on_the_controller_it_was_sent_to() {
    let request = json!({"Controller": "Trading", "Topic": "Configure", "TransactionID": 77, "Data": {"ActionTimeout": "00:00:30"}});
    let reply = only(answer(&request, MessageKind::ConfigureRequest));
    assert_eq!((reply["Controller"].as_str(), reply["Topic"].as_str()), (Some("Trading"), Some("Configure")));
    assert_eq!(problems(&reply).1, Vec::<String>::new());
}

#[test]
fn a_request_without_a_transaction_id_gets_a_reply_without_one() {
    for id in [None, Some(json!("12")), Some(json!(1.5))] {
        let mut request =
            json!({"Controller": "Market", "Topic": "QuerySecurity", "Data": {"Code": "CBA", "Market": "ASX"}});
        if let Some(id) = id {
            request["TransactionID"] = id;
        }
        let reply = only(answer(&request, MessageKind::QuerySecurityRequest));
        assert_eq!(reply.get("TransactionID"), None, "{reply}");
        assert_eq!(problems(&reply).1, Vec::<String>::new());
    }
}

#[test]
fn auth_requests_and_messages_that_are_not_requests_get_nothing() {
    let auth: Vec<MessageKind> = MessageKind::ALL
        .iter()
        .copied()
        .filter(|kind| kind.info().controller == Some("Auth") && kind.info().direction == Direction::Send)
        .collect();
    assert!(auth.len() >= 3);
    for kind in auth {
        let request: Value = kind.docs().example.and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
        assert!(answer(&request, kind).is_empty(), "{kind:?}");
    }
    let configure = json!({"Controller": "Auth", "Topic": "Configure", "TransactionID": 1, "Data": {}});
    assert!(answer(&configure, MessageKind::ConfigureRequest).is_empty());
    let not_requests = MessageKind::ALL.iter().copied().filter(|kind| {
        let info = kind.info();
        info.direction == Direction::Receive || info.action != "Publish"
    });
    for kind in not_requests {
        let message: Value = kind.docs().example.and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
        assert!(answer(&message, kind).is_empty(), "{kind:?}");
    }
}

#[test]
fn any_input_is_answered_without_panicking() {
    let inputs = [
        json!(null),
        json!(1),
        json!("PlaceOrder"),
        json!([]),
        json!({}),
        json!({"Data": null}),
        json!({"Controller": 5, "Topic": [], "TransactionID": -1, "Data": {"Account": null}}),
    ];
    let mut answered = 0;
    for kind in MessageKind::ALL.iter().copied() {
        for input in &inputs {
            for reply in answer(input, kind) {
                assert_eq!(problems(&reply).1, Vec::<String>::new(), "{kind:?} {input}");
                answered += 1;
            }
        }
    }
    assert!(answered >= 60 * inputs.len(), "{answered}");
}
