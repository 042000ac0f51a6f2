//! `zenith explain`: what a topic or a pasted message is, with no credential shown.

use serde_json::Value;

use crate::common::zenith;

#[test]
fn explain_shows_a_topic_and_suggests_for_a_misspelt_one() {
    let run = zenith(&["explain", "Market/Depth"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("explain_market_depth", run.stdout);
    // The topic alone, or with its arguments, is the same topic.
    assert_eq!(zenith(&["explain", "Depth!BHP.ASX"], None).stdout, run.stdout);
    let run = zenith(&["explain", "Market/Dpeth"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no topic `Dpeth` of controller `Market`; did you mean `Depth`?"), "{}", run.stderr);
    let run = zenith(&["explain", "Nothing/AtAll"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("takes a topic such as `Market/Depth`"), "{}", run.stderr);
}

#[test]
fn explain_covers_every_message_by_its_topic_or_pasted() {
    for kind in zenith_protocol::MessageKind::ALL {
        let info = kind.info();
        let run = match (info.controller, info.topic) {
            (controller, Some(topic)) => {
                zenith(&["explain", &format!("{}/{topic}", controller.unwrap_or("*")), "--format", "json"], None)
            }
            // The envelope's own messages (Sub, Unsub, Error, ...) are told by pasting one.
            (_, None) => {
                let example = kind.docs().example.unwrap_or_else(|| panic!("{} has no example", info.name));
                zenith(&["explain", "-", "--format", "json"], Some(example.as_bytes()))
            }
        };
        assert_eq!(run.code, 0, "{}: {}", info.name, run.stderr);
        let explained: Value = serde_json::from_str(&run.stdout).unwrap();
        let messages = explained["messages"].as_array().unwrap();
        let message = messages.iter().find(|m| m["name"] == info.name);
        let message = message.unwrap_or_else(|| panic!("{} is not in {}", info.name, run.stdout));
        assert_eq!(message["schema"], info.schema_file);
        assert_eq!(message["fields"].as_array().unwrap().len(), kind.docs().fields.len(), "{}", info.name);
    }
}

#[test]
fn explain_of_a_pasted_message_says_what_it_is_and_shows_no_credential() {
    let message = r#"{"Controller":"Auth","Topic":"AuthOwner","TransactionID":1,"Data":{"Provider":"P","ClientID":"C","UserName":"u","Password":"hunter2-secret"}}"#;
    let run = zenith(&["explain", "-"], Some(message.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("The message given: AuthOwnerRequest (valid)"), "{}", run.stdout);
    assert!(!run.stdout.contains("hunter2") && !run.stdout.contains("Insect"), "{}", run.stdout);
    let json = zenith(&["explain", "-", "--format", "json"], Some(message.as_bytes()));
    let explained: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(explained["verdict"]["valid"], true);
    assert_eq!(explained["permissions"], serde_json::json!([]));
    assert!(!json.stdout.contains("Insect"), "the example's password is replaced");
    let broken = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"X"}]}"#;
    let run = zenith(&["explain", "-"], Some(broken.as_bytes()));
    assert!(run.stdout.contains("The message given: DepthPush (not valid)"), "{}", run.stdout);
    assert!(run.stdout.contains("/Data/0/O: `X` is not one of `A`, `U`, `R`, `C`"), "{}", run.stdout);
    let run = zenith(&["explain", "-"], Some(b"{not json"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("standard input is not one JSON message"), "{}", run.stderr);
}
