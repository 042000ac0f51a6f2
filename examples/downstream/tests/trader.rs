//! The trading session: what the user sees, how replies pair with requests, what goes out.
#![cfg(feature = "trading")]

use downstream::book::BookSide;
use downstream::recorded;
use downstream::session::{self, ACCOUNT, Pairing, Trader, limit_order};
use zenith_protocol::market::DepthTopic;
use zenith_protocol::prelude::*;
use zenith_protocol::shared::Side;

#[test]
fn the_session_runs_and_tells_the_user_what_happened() {
    let transcript = session::run().expect("the recorded session runs");
    for expected in [
        "-> #1 AuthOwnerRequest Auth/AuthOwner (182 bytes)",
        "-> subscribe Market/Depth!BHP.ASX (77 bytes)",
        "-> subscribe Trading/Orders!OM12345 (79 bytes)",
        "<- signed in as SHODAN [Zenith/Market, Zenith/Trading]; access token kept",
        "<- subscribed to Depth!BHP.ASX",
        "<- subscribed to Orders!OM12345",
        "<- depth Depth!BHP.ASX: 5 changes, bid 1000 @ 42.0 | ask 800 @ 42.05",
        "-> #2 PlaceOrderRequest Trading/PlaceOrder (312 bytes)",
        "<- #2 order BHPBID0001 accepted: value 21000.00, fees Brokerage 19.95",
        "<- #3 PlaceOrderRequest failed: Account.NotFound OM99999 (No such account, or the user cannot see it.)",
        "<- order 00000000-0000-0000-CDEF-123456789ABC on OM12345 is OnMarket",
        "!! book: order `7` is not in the book",
        "<- #99 CancelOrderReply: no request of ours is waiting for it",
        "!! book: change `X` is not one of A, U, R, C",
        "book of Depth!BHP.ASX:",
        "      2     1100     42.0 | 42.05    300      1",
    ] {
        assert!(transcript.iter().any(|line| line == expected), "missing {expected:?} in {transcript:#?}");
    }
    assert!(transcript.iter().any(|l| l.starts_with(".. DepthPush: warning [undocumented-property] at /Sequence")));
    assert!(transcript.iter().any(|l| l.starts_with("!! unreadable message: the message is not JSON")));
    assert!(!transcript.iter().any(|l| l.starts_with("!! still waiting")), "every request was answered");
    assert!(!transcript.iter().any(|l| l.starts_with("!! #")), "every reply answers its request");
}

#[test]
fn each_reply_pairs_with_the_request_it_answers() {
    let trader = session::replay().expect("the recorded session runs");
    assert_eq!(
        trader.pairings(),
        [
            Pairing { transaction_id: 1, request: MessageKind::AuthOwnerRequest, reply: MessageKind::IdentifyPush },
            Pairing { transaction_id: 2, request: MessageKind::PlaceOrderRequest, reply: MessageKind::PlaceOrderReply },
            Pairing { transaction_id: 3, request: MessageKind::PlaceOrderRequest, reply: MessageKind::ErrorMessage },
        ]
    );
    assert!(trader.pending().is_empty());
}

#[test]
fn a_reply_pairs_only_once() {
    let mut trader = Trader::new(DepthTopic::new("BHP", "ASX"));
    trader.sign_in("Shodan", "Insect".into()).expect("sent");
    assert_eq!(trader.pending().get(&1), Some(&MessageKind::AuthOwnerRequest));
    trader.receive(recorded::IDENTIFY);
    trader.receive(recorded::IDENTIFY);
    assert_eq!(trader.pairings().len(), 1);
    assert_eq!(
        trader.transcript().last().map(String::as_str),
        Some("<- #1 IdentifyPush: no request of ours is waiting for it")
    );
}

#[test]
fn secrets_never_reach_the_transcript_or_debug_output() {
    let trader = session::replay().expect("the recorded session runs");
    let token = "c2Vzc2lvbi10b2tlbi1mb3Itc2hvZGFu";
    let debug = format!("{trader:?}");
    for text in trader.transcript().iter().map(String::as_str).chain([debug.as_str()]) {
        assert!(!text.contains("Insect") && !text.contains(token), "a secret leaked: {text}");
    }
    // It does go on the wire, where it belongs.
    let wire = serde_json::to_string(&trader.outbox()[0]).unwrap();
    assert!(wire.contains(r#""Password":"Insect""#), "{wire}");
}

#[test]
fn what_goes_out_parses_back_as_the_same_messages() {
    let trader = session::replay().expect("the recorded session runs");
    let mut kinds = Vec::new();
    for sent in trader.outbox() {
        let text = serde_json::to_string(sent).expect("writes");
        let again = Message::parse_str(&text, Direction::Send).expect("a request parses");
        assert_eq!(&again, sent);
        kinds.push(again.kind());
    }
    assert_eq!(
        kinds,
        [
            MessageKind::AuthOwnerRequest,
            MessageKind::SubRequest,
            MessageKind::SubRequest,
            MessageKind::PlaceOrderRequest,
            MessageKind::PlaceOrderRequest
        ]
    );
    assert_eq!(
        serde_json::to_string(&trader.outbox()[1]).unwrap(),
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Sub","Confirm":true}"#
    );
}

#[test]
fn the_limit_order_passes_its_schema_and_prices_at_the_best_bid() {
    let trader = session::replay().expect("the recorded session runs");
    let order = limit_order(trader.symbol(), ACCOUNT, "R1", Side::Bid, Decimal::from(500u32), "42.0".parse().unwrap())
        .expect("every required field is set")
        .with_transaction_id(7);
    assert_eq!(order.check(), Ok(()));
    let text = serde_json::to_string(&order).unwrap();
    assert_eq!(
        text,
        concat!(
            r#"{"Controller":"Trading","Topic":"PlaceOrder","TransactionID":7,"Data":{"Account":"OM12345","#,
            r#""Details":{"Style":"Equity","Exchange":"ASX","Code":"BHP","Side":"Bid","Type":"Limit","LimitPrice":42.0,"#,
            r#""Quantity":500,"Validity":"UntilCancel"},"RequestID":"R1","Route":{"Algorithm":"Market","Market":"ASX::CP"}}}"#
        )
    );
    // The order went out at the best bid the book had then: 42.0.
    let Message::PlaceOrderRequest(sent) = &trader.outbox()[3] else { panic!("not an order") };
    let zenith_protocol::trading::OrderDetails::EquityOrderDetails(details) = &sent.data.details else { panic!() };
    assert_eq!(details.limit_price, Some("42.00".parse().unwrap()));
    assert_eq!(trader.book().best(BookSide::Bid).map(|l| l.price), Some("42".parse().unwrap()));
}

#[test]
fn an_undocumented_property_survives_a_round_trip() {
    let message = Message::parse_str(recorded::DEPTH_JOIN, Direction::Receive).expect("parses");
    let Message::DepthPush(push) = &message else { panic!("not a Depth push") };
    assert_eq!(push.undocumented.get("Sequence").map(ToString::to_string).as_deref(), Some("2"));
    let text = serde_json::to_string(&message).expect("writes");
    assert!(text.contains(r#""Sequence":2"#), "{text}");
    let again = Message::parse_str(&text, Direction::Receive).expect("parses again");
    assert_eq!(again, message);
    assert_eq!(again.transaction_id(), None);
}

#[test]
fn a_refused_subscription_is_reported() {
    let mut trader = Trader::new(DepthTopic::new("BHP", "ASX"));
    trader.subscribe(DepthTopic::new("BHP", "ASX")).expect("sent");
    trader.receive(r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Sub","Data":"Authority"}"#);
    assert_eq!(
        trader.transcript().last().map(String::as_str),
        Some(r#"<- subscription to Depth!BHP.ASX refused "Authority""#)
    );
    trader.receive(r#"{"Controller":"Market","Topic":"Depth!CBA.ASX","Action":"Sub","Confirm":true}"#);
    assert_eq!(
        trader.transcript().last().map(String::as_str),
        Some("<- confirmation of Depth!CBA.ASX, which we never asked for")
    );
}

#[test]
fn hostile_input_is_reported_never_panics() {
    let mut trader = Trader::new(DepthTopic::new("BHP", "ASX"));
    let inputs = [
        "",
        "null",
        "[]",
        "{}",
        r#"{"Controller":"Market","Topic":"Depth!BHP"}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":7}"#,
        r#"{"Controller":"Market","Topic":"Depth!","Data":[]}"#,
        r#"{"Controller":"Auth","Topic":"Identify","TransactionID":"1","Data":{}}"#,
        r#"{"Controller":"Trading","Topic":"PlaceOrder","Action":"Error","TransactionID":-1,"Data":{"deep":[1,2]}}"#,
    ];
    for input in inputs {
        trader.receive(input);
    }
    assert!(trader.transcript().len() >= inputs.len());
    assert!(trader.book().is_empty());
    assert!(trader.pairings().is_empty());
}

#[test]
fn a_reply_on_a_topic_the_request_does_not_answer_on_is_flagged() {
    let mut trader = Trader::new(DepthTopic::new("BHP", "ASX"));
    trader.sign_in("Shodan", "Insect".into()).expect("sent");
    trader.receive(recorded::PLACE_ACCEPTED.replace(r#""TransactionID":2"#, r#""TransactionID":1"#).as_str());
    assert!(
        trader.transcript().iter().any(|l| l == "!! #1: PlaceOrderReply does not answer AuthOwnerRequest"),
        "{:#?}",
        trader.transcript()
    );
}

#[test]
fn a_request_that_breaks_its_schema_is_not_sent() {
    let mut trader = Trader::new(DepthTopic::new("BHP", "ASX"));
    let order =
        limit_order(trader.symbol(), ACCOUNT, "R1", Side::from("Middle"), Decimal::from(1u8), Decimal::from(42u8))
            .expect("the builder only checks that fields are set");
    let error = trader.send(order).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the PlaceOrderRequest to send does not fit its schema: error [not-in-enum] at /Data/Details/Side: `Middle` is not one of `Bid`, `Ask`"
    );
    assert!(trader.outbox().is_empty() && trader.pending().is_empty() && trader.transcript().is_empty());
    // The TransactionID was not used up.
    trader.sign_in("Shodan", "Insect".into()).expect("sent");
    assert_eq!(trader.pending().get(&1), Some(&MessageKind::AuthOwnerRequest));
}
