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
