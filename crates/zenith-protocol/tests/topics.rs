//! Topics with arguments read and write back in every one of their forms.

use zenith_protocol::news::NewsTopic;
use zenith_protocol::trading::OrdersTopic;

#[test]
fn every_form_round_trips() {
    for text in ["News", "News!AAP", "News!BHP.ASX", "News!AAP!BHP.ASX"] {
        let topic: NewsTopic = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(topic.to_string(), text);
    }
    let both: NewsTopic = "News!AAP!BHP.ASX".parse().unwrap();
    assert_eq!(
        (both.source.as_deref(), both.code.as_deref(), both.exchange.as_deref()),
        (Some("AAP"), Some("BHP"), Some("ASX"))
    );
    for text in ["Orders", "Orders!1234[Demo]"] {
        assert_eq!(text.parse::<OrdersTopic>().unwrap().to_string(), text);
    }
    for wrong in ["News!", "News!A!B", "Newsy!AAP"] {
        assert!(wrong.parse::<NewsTopic>().is_err(), "{wrong}");
    }
}

#[test]
fn a_sub_made_from_a_typed_topic_goes_to_its_controller_and_validates() {
    use zenith_protocol::market::DepthTopic;
    use zenith_protocol::{MessageKind, SubRequest, Topic, TypedTopic, UnsubRequest};
    let depth = DepthTopic::new("BHP.AX", "ASX");
    assert_eq!(depth.to_string().parse::<DepthTopic>().unwrap(), depth, "the last dot splits code and market");
    assert_eq!(Topic::from(depth.clone()).as_str(), "Depth!BHP.AX.ASX");
    let sub = serde_json::to_value(SubRequest::for_topic(depth.clone()).confirm(true)).unwrap();
    assert_eq!(sub["Controller"], "Market");
    assert!(MessageKind::SubRequest.validate(&sub).errors().next().is_none(), "{sub}");
    let orders = OrdersTopic::new().with_account("1234[Demo]");
    assert_eq!((OrdersTopic::CONTROLLER, OrdersTopic::NAME), ("Trading", "Orders"));
    let unsub = serde_json::to_value(UnsubRequest::for_topic(orders)).unwrap();
    assert_eq!((unsub["Controller"].as_str(), unsub["Topic"].as_str()), (Some("Trading"), Some("Orders!1234[Demo]")));
    assert_eq!(OrdersTopic::default().to_string(), "Orders", "no account: every account");
    assert_eq!(NewsTopic::new().to_string().split('!').next(), Some("News"));
}

#[test]
fn a_message_built_in_code_is_checked_before_it_goes() {
    use zenith_protocol::market::DepthTopic;
    use zenith_protocol::{SubRequest, Validate};
    let sub = SubRequest::for_topic(DepthTopic::new("BHP", "ASX")).confirm(true);
    assert!(sub.check().is_ok());
    // A controller the protocol does not have.
    let mut broken = sub.clone();
    broken.controller = Some(zenith_protocol::Controller::from("Markets"));
    let report = broken.check().unwrap_err();
    assert!(report.to_string().contains("did you mean `Market`?"), "{report}");
}
