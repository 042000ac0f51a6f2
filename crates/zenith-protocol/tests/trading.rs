//! Trading as a client author meets it: orders built with the types serialize to the
//! reference's JSON, change records are matched by kind, and a malformed order is one error,
//! at its exact place, in the terms of the order's style.

use serde_json::{Value, json};
use zenith_protocol::trading::{OrdersPush, PlaceOrderRequest, PlaceOrderRequestData};
use zenith_protocol::{
    Code, EquityOrderDetails, MarketRoute, MessageKind, OrderChange, OrderDetails, OrderRoute, OrderType,
    OrderValidity, Side, TradingMarketCode, Validate,
};

/// The reference's PlaceOrder request.
fn reference_place_order() -> Value {
    json!({
        "Controller": "Trading",
        "Topic": "PlaceOrder",
        "TransactionID": 1,
        "Data": {
            "Account": "1234[Demo]",
            "Details": {
                "Exchange": "ASX[Demo]",
                "Code": "BHP",
                "Style": "Equity",
                "Side": "Bid",
                "Quantity": 100,
                "Type": "MarketToLimit"
            },
            "Route": {"Algorithm": "Market", "Market": "CXA::LI[Demo]"}
        }
    })
}

#[test]
fn an_order_built_with_the_types_is_the_references_json() {
    let details = EquityOrderDetails::new("ASX[Demo]", "BHP", Side::Bid, OrderType::MarketToLimit, 100);
    let route = MarketRoute::new(TradingMarketCode::from("CXA::LI[Demo]"));
    let data = PlaceOrderRequestData::new(
        "1234[Demo]",
        OrderDetails::EquityOrderDetails(details),
        OrderRoute::MarketRoute(route),
    );
    let request = PlaceOrderRequest::new(data).with_transaction_id(1.into());
    assert_eq!(serde_json::to_value(&request).unwrap(), reference_place_order());
    assert!(PlaceOrderRequest::validate(&serde_json::to_value(&request).unwrap()).is_valid());
}

#[test]
fn a_limit_buy_good_till_cancelled() {
    let mut details = EquityOrderDetails::new("ASX", "BHP", Side::Bid, OrderType::Limit, 100);
    details.limit_price = Some("42.05".parse().unwrap());
    details.validity = Some(OrderValidity::UntilCancel);
    let route = MarketRoute::new(TradingMarketCode::from("ASX::CP"));
    let data =
        PlaceOrderRequestData::new("1234", OrderDetails::EquityOrderDetails(details), OrderRoute::MarketRoute(route));
    let request = PlaceOrderRequest::new(data).with_transaction_id(7.into());
    let value = serde_json::to_value(&request).unwrap();
    assert_eq!(
        value["Data"]["Details"],
        json!({"Exchange": "ASX", "Code": "BHP", "Style": "Equity", "Side": "Bid", "Type": "Limit",
               "LimitPrice": 42.05, "Quantity": 100, "Validity": "UntilCancel"})
    );
    assert!(MessageKind::PlaceOrderRequest.validate(&value).is_valid());
}

#[test]
fn orders_change_records_are_matched_by_kind() {
    let push: OrdersPush = serde_json::from_value(json!({
        "Controller": "Trading",
        "Topic": "Orders!1234",
        "Data": [
            {"O": "C"},
            {"O": "R", "Order": {"ID": "00000000-0000-0000-CDEF-123456789ABC", "Account": "1234"}}
        ]
    }))
    .unwrap();
    let seen: Vec<String> = push
        .data
        .iter()
        .map(|change| match change {
            OrderChange::OrderClear(_) => "cleared".to_owned(),
            OrderChange::OrderAdd(add) => format!("added {}", add.order.id),
            OrderChange::OrderUpdate(update) => format!("updated {}", update.order.id),
            OrderChange::OrderRemove(remove) => format!("removed {}", remove.order.id),
            other => format!("unknown {}", other.tag()),
        })
        .collect();
    assert_eq!(seen, ["cleared", "removed 00000000-0000-0000-CDEF-123456789ABC"]);
}

/// The errors (not warnings) the schemas find, as (code, path, message).
fn errors(message: &Value) -> Vec<(Code, String, String)> {
    MessageKind::PlaceOrderRequest
        .validate(message)
        .errors()
        .map(|p| (p.code, p.instance_path.clone(), p.message.clone()))
        .collect()
}

#[test]
fn an_order_of_the_wrong_style_is_one_error_at_its_style() {
    let mut message = reference_place_order();
    message["Data"]["Details"]["Style"] = json!("Bond");
    let found = errors(&message);
    assert_eq!(found.len(), 1, "{found:?}");
    let (code, path, text) = &found[0];
    assert_eq!((code, path.as_str()), (&Code::NotInEnum, "/Data/Details/Style"));
    assert!(text.contains("`Market`") && text.contains("`ManagedFund`"), "{text}");
}

#[test]
fn fields_of_another_style_are_one_error_each_in_the_styles_terms() {
    let mut message = reference_place_order();
    message["Data"]["Details"] = json!({
        "Exchange": "ASX[Demo]", "Code": "BHP", "Style": "ManagedFund", "Side": "Bid",
        "UnitType": "Units", "UnitAmount": 1000, "LimitPrice": 42.05
    });
    let found = errors(&message);
    assert_eq!(found.len(), 1, "{found:?}");
    let (code, path, text) = &found[0];
    assert_eq!((code, path.as_str()), (&Code::ForbiddenProperty, "/Data/Details/LimitPrice"));
    assert!(text.contains("`Style` is `ManagedFund`"), "{text}");
}

#[test]
fn an_order_missing_what_its_style_requires_is_one_error() {
    let mut message = reference_place_order();
    message["Data"]["Details"].as_object_mut().unwrap().remove("Quantity");
    let found = errors(&message);
    assert_eq!(found.len(), 1, "{found:?}");
    let (code, path, text) = &found[0];
    assert_eq!((code, path.as_str()), (&Code::MissingRequired, "/Data/Details"));
    assert!(text.contains("`Quantity` is required when `Style` is `Equity`"), "{text}");
}

#[test]
fn a_limit_order_without_its_price_is_one_error() {
    let mut message = reference_place_order();
    message["Data"]["Details"]["Type"] = json!("Limit");
    let found = errors(&message);
    assert_eq!(found.len(), 1, "{found:?}");
    let (code, path, text) = &found[0];
    assert_eq!((code, path.as_str()), (&Code::MissingRequired, "/Data/Details"));
    assert_eq!(text, "`LimitPrice` is required when `Type` is `Limit`");
    // The one-pass verdict agrees, and a price makes it whole.
    assert!(!MessageKind::PlaceOrderRequest.is_valid(&message));
    message["Data"]["Details"]["LimitPrice"] = json!(42.05);
    assert_eq!(errors(&message), []);
    assert!(MessageKind::PlaceOrderRequest.is_valid(&message));
}

#[test]
fn subscription_topics_take_an_account_or_none() {
    use zenith_protocol::trading::OrdersTopic;
    let all: OrdersTopic = "Orders".parse().unwrap();
    assert_eq!((all.account.as_deref(), all.to_string().as_str()), (None, "Orders"));
    let one: OrdersTopic = "Orders!1234[Demo]".parse().unwrap();
    assert_eq!((one.account.as_deref(), one.to_string().as_str()), (Some("1234[Demo]"), "Orders!1234[Demo]"));
    assert!("Orders!".parse::<OrdersTopic>().is_err());
    let push = |topic: &str| json!({"Controller": "Trading", "Topic": topic, "Data": [{"O": "C"}]});
    assert!(MessageKind::OrdersPush.is_valid(&push("Orders")));
    assert!(MessageKind::OrdersPush.is_valid(&push("Orders!1234")));
    let report = MessageKind::OrdersPush.validate(&push("Orders!"));
    let codes: Vec<Code> = report.errors().map(|p| p.code).collect();
    assert_eq!(codes, [Code::BadTopicArguments], "{report}");
}

#[test]
fn a_code_written_without_its_tables_prefix_is_a_warning_that_names_the_code_and_the_real_clients_habit() {
    let mut message = reference_place_order();
    message["Data"]["Flags"] = json!(["PDS"]);
    let report = MessageKind::PlaceOrderRequest.validate(&message);
    assert_eq!(report.problems.len(), 1, "{report}");
    let problem = &report.problems[0];
    assert_eq!((problem.code, problem.instance_path.as_str()), (Code::UnknownCode, "/Data/Flags/0"));
    assert_eq!(problem.severity, zenith_protocol::Severity::Warning, "an open table's code may be the server's own");
    let text = &problem.message;
    assert!(
        text.starts_with("`PDS` is not a documented code: did you mean `Flag.PDS`? (the real client, motif-core,"),
        "{text}"
    );
    // The one-pass verdict agrees with the report.
    assert_eq!(MessageKind::PlaceOrderRequest.verdict(&message), zenith_protocol::Verdict::Warnings);
    message["Data"]["Flags"] = json!(["Flag.PDS"]);
    assert!(MessageKind::PlaceOrderRequest.validate(&message).problems.is_empty());
}
