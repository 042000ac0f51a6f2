//! Scenarios from a capture: a live client's requests get the recorded server side back, under
//! the client's own TransactionIDs and with the recorded timing.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use test_kit::Capture;
use zenith_mock::scenario::{MAX_RECEIVED, Scenario, ScenarioError};

fn example(name: &str) -> PathBuf {
    test_kit::root().join("examples/captures").join(name)
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// The messages alone, and their delays alone.
fn split(answer: Option<Vec<(Duration, Value)>>) -> (Vec<Duration>, Vec<Value>) {
    answer.expect("a recorded match").into_iter().unzip()
}

/// The recorded requests of `auth-session`, with other TransactionIDs (and other credentials:
/// only the envelope matters).
fn auth_requests() -> Vec<Value> {
    vec![
        json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 101, "Data": {"UserName": "someone"}}),
        json!({"Controller": "Zenith", "Topic": "ServerInfo", "Action": "Sub", "Confirm": true}),
        json!({"Controller": "Auth", "Topic": "Identify", "Action": "Sub", "Confirm": true}),
        json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 102}),
        json!({"Controller": "Market", "Topic": "Configure", "TransactionID": 103, "Data": {}}),
        json!({"Controller": "Market", "Topic": "QueryMarkets", "TransactionID": 104, "Data": null}),
        json!({"Controller": "Auth", "Topic": "AuthToken", "TransactionID": 105, "Data": {}}),
        json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 106, "Data": {}}),
    ]
}

/// Plays the auth session's requests at `speed`: each answer's (topic, TransactionID) pairs and
/// delays.
fn play_auth(scenario: &mut Scenario, speed: f64) -> Vec<Vec<(String, Option<i64>, Duration)>> {
    auth_requests()
        .iter()
        .map(|request| {
            scenario
                .answer(request, speed)
                .expect("a recorded match")
                .into_iter()
                .map(|(delay, reply)| {
                    let topic = reply["Topic"].as_str().unwrap_or_default().to_owned();
                    (topic, reply.get("TransactionID").and_then(Value::as_i64), delay)
                })
                .collect()
        })
        .collect()
}

fn expected_auth(scale: impl Fn(u64) -> Duration) -> Vec<Vec<(String, Option<i64>, Duration)>> {
    let one = |topic: &str, id: Option<i64>, millis: u64| (topic.to_owned(), id, scale(millis));
    vec![
        vec![one("Identify", Some(101), 84)],
        vec![one("ServerInfo", None, 31), one("ServerInfo", None, 32)],
        vec![one("Identify", None, 31)],
        vec![one("QueryIdentify", Some(102), 42)],
        vec![one("Configure", Some(103), 33)],
        vec![one("QueryMarkets", Some(104), 47)],
        vec![one("Identify", Some(105), 61)],
        vec![one("Identify", Some(106), 70)],
    ]
}

#[test]
fn recorded_replies_come_back_under_the_clients_transaction_ids_with_the_recorded_delays() {
    let mut scenario = Scenario::load(&example("auth-session.jsonl")).unwrap();
    assert_eq!(scenario.unmatched(), 8);
    assert!(scenario.opening().is_empty(), "the client spoke first");
    assert_eq!(play_auth(&mut scenario, 1.0), expected_auth(ms));
    assert_eq!(scenario.unmatched(), 0);
}

#[test]
fn a_har_export_plays_back_the_same_and_speed_scales_the_delays() {
    let mut twice = Scenario::load(&example("auth-session.har")).unwrap();
    assert_eq!(play_auth(&mut twice, 2.0), expected_auth(|millis| Duration::from_micros(millis * 500)));
    let mut at_once = Scenario::load(&example("auth-session.har")).unwrap();
    assert_eq!(play_auth(&mut at_once, f64::INFINITY), expected_auth(|_| Duration::ZERO));
    // A speed that is no speed plays at the recorded pace.
    for speed in [0.0, -3.0, f64::NAN] {
        let mut scenario = Scenario::load(&example("auth-session.har")).unwrap();
        assert_eq!(play_auth(&mut scenario, speed), expected_auth(ms));
    }
}

#[test]
fn the_replies_are_the_recorded_ones_with_only_the_transaction_id_changed() {
    let mut scenario = Scenario::load(&example("auth-session.jsonl")).unwrap();
    let (_, replies) = split(scenario.answer(&auth_requests()[0], 1.0));
    assert_eq!(
        replies,
        [json!({"Controller": "Auth", "Topic": "Identify", "TransactionID": 101, "Data": {
            "Result": "Success", "AccessToken": "c2Vzc2lvbi10b2tlbi1mb3Itc2hvZGFu", "DisplayName": "SHODAN",
            "UserID": "shodan", "ExpiryDate": "20261128T120000Z", "Scope": ["Zenith/Market", "Zenith/Trading"]}})]
    );
    // A client that sends no TransactionID gets the recorded one.
    let (_, replies) = split(scenario.answer(&json!({"Controller": "Auth", "Topic": "QueryIdentify"}), 1.0));
    assert_eq!(replies[0]["TransactionID"], 2);
}

#[test]
fn requests_are_matched_by_topic_in_recorded_order_whatever_order_they_come_in() {
    let mut scenario = Scenario::load(&example("auth-session.jsonl")).unwrap();
    let requests = auth_requests();
    // The second AuthOwner of the capture was rejected; asked first, the first recorded one answers.
    let (_, replies) = split(scenario.answer(&requests[7], 1.0));
    assert_eq!(replies[0]["Data"]["Result"], "Success");
    assert_eq!(replies[0]["TransactionID"], 106);
    let (_, replies) = split(scenario.answer(&requests[0], 1.0));
    assert_eq!(replies[0]["Data"]["Result"], "Reject");
    assert_eq!(replies[0]["TransactionID"], 101);
    // Both are used up now.
    assert_eq!(scenario.answer(&requests[0], 1.0), None);
    assert_eq!(scenario.unmatched(), 6);
}

#[test]
fn a_request_the_capture_does_not_hold_gets_nothing() {
    let mut scenario = Scenario::load(&example("auth-session.jsonl")).unwrap();
    let unknown = [
        json!({"Controller": "Trading", "Topic": "PlaceOrder", "TransactionID": 7, "Data": {}}),
        // Same topic, another action.
        json!({"Controller": "Auth", "Topic": "QueryIdentify", "Action": "Sub", "TransactionID": 8}),
        json!({"Controller": "Market", "Topic": "Security!BHP.ASX", "Action": "Sub"}),
        json!("not an object"),
        json!([1, 2]),
        json!(null),
    ];
    for message in unknown {
        assert_eq!(scenario.answer(&message, 1.0), None, "{message}");
    }
    assert_eq!(scenario.unmatched(), 8);
}

#[test]
fn the_pushes_after_a_sub_come_with_it() {
    let mut scenario = Scenario::load(&example("market-session.jsonl")).unwrap();
    let sub = |topic: &str| json!({"Controller": "Market", "Topic": topic, "Action": "Sub", "Confirm": true});
    let (delays, replies) = split(scenario.answer(&sub("Security!BHP.ASX"), 1.0));
    assert_eq!(delays, [ms(30), ms(230)]);
    assert_eq!(replies[0]["Action"], "Sub");
    assert_eq!(replies[1]["Data"]["Code"], "BHP");
    // The last Sub before a quiet spell brings everything the server sent until the Unsub.
    let (delays, replies) = split(scenario.answer(&sub("Trades!BHP.ASX"), 1.0));
    let topics: Vec<&str> = replies.iter().map(|r| r["Topic"].as_str().unwrap()).collect();
    assert_eq!(
        topics,
        [
            "Trades!BHP.ASX",
            "Trades!BHP.ASX",
            "Depth!BHP.ASX",
            "Trades!BHP.ASX",
            "Security!BHP.ASX",
            "Levels!BHP.ASX",
            "Depth!BHP.ASX",
            "Depth!BHP.ASX",
            "Trades!BHP.ASX",
            "Depth!BHP.ASX"
        ]
    );
    assert_eq!(delays.first(), Some(&ms(30)));
    assert_eq!(delays.last(), Some(&ms(3230)));
    assert!(delays.is_sorted(), "{delays:?}");
    // The Unsub was recorded with nothing after it: it is matched, and gets nothing.
    assert_eq!(scenario.unmatched(), 3);
    let unsub = json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Action": "Unsub"});
    assert_eq!(scenario.answer(&unsub, 1.0), Some(Vec::new()), "matched: the server said nothing");
    assert_eq!(scenario.unmatched(), 2);
}

#[test]
fn what_the_server_sent_first_opens_the_connection_once() {
    let capture = Capture::new()
        .conn("a")
        .at(100.0)
        .receive(json!({"Controller": "Zenith", "Topic": "ServerInfo", "Data": {"Name": "x"}}))
        .at(100.5)
        .receive(json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "Success"}}))
        .at(101.0)
        .send(json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 1}))
        .at(101.25)
        .receive(json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 1}))
        // A second connection is not played back.
        .conn("b")
        .send(json!({"Controller": "Trading", "Topic": "QueryAccounts", "TransactionID": 1}))
        .receive(json!({"Controller": "Trading", "Topic": "QueryAccounts", "TransactionID": 1, "Data": []}));
    let path = test_kit::scratch_file("mock-scenario", "opening.jsonl", capture.jsonl());
    let mut scenario = Scenario::load(&path).unwrap();
    let (delays, replies) = split(Some(scenario.opening_at(1.0)));
    assert_eq!(delays, [ms(0), ms(500)]);
    assert_eq!(replies[0]["Topic"], "ServerInfo");
    assert!(scenario.opening().is_empty(), "the opening is given once");
    assert_eq!(scenario.unmatched(), 1);
    let accounts = json!({"Controller": "Trading", "Topic": "QueryAccounts", "TransactionID": 4});
    assert_eq!(scenario.answer(&accounts, 1.0), None);
    let (delays, replies) =
        split(scenario.answer(&json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 9}), 4.0));
    assert_eq!((delays, replies[0]["TransactionID"].clone()), (vec![Duration::from_micros(62_500)], json!(9)));
}

#[test]
fn messages_recorded_without_times_come_at_once() {
    let capture = Capture::new()
        .send(json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 1}))
        .receive(json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 1}));
    let path = test_kit::scratch_file("mock-scenario", "untimed.har", capture.har());
    let mut scenario = Scenario::load(&path).unwrap();
    let answer = scenario.answer(&json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 2}), 1.0);
    assert_eq!(
        answer,
        Some(vec![(Duration::ZERO, json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 2}))])
    );
}

#[test]
fn packet_captures_in_every_encoding_play_back_as_json() {
    let Some(dir) = test_kit::shared_dir("fixtures/pcap/zenith") else { return };
    for name in [
        "reference-json-plain.pcapng",
        "reference-json-deflate.pcapng",
        "reference-msgpack-plain.pcapng",
        "reference-bson-deflate.pcapng",
    ] {
        let mut scenario = Scenario::load(&dir.join(name)).unwrap();
        let (_, opening) = split(Some(scenario.opening()));
        assert_eq!(opening.len(), 2, "{name}: the reference starts with two Identify replies");
        assert_eq!(opening[1]["Data"]["Result"], "Reject", "{name}");
        let token = json!({"Controller": "Auth", "Topic": "AuthToken", "TransactionID": 77, "Data": {}});
        let (_, replies) = split(scenario.answer(&token, f64::INFINITY));
        assert_eq!(replies[0]["Topic"], "Identify", "{name}");
        assert_eq!(replies[0]["TransactionID"], 77, "{name}");
    }
}

#[test]
fn a_file_that_is_not_a_capture_is_refused_by_name() {
    let text = test_kit::scratch_file("mock-scenario", "notes.txt", "shopping list\neggs\n");
    let error = Scenario::load(&text).unwrap_err();
    assert!(matches!(error, ScenarioError::NoMessages { .. }), "{error:?}");
    assert!(error.to_string().starts_with(&format!("{}: holds no websocket messages", text.display())), "{error}");

    let missing = test_kit::scratch_dir("mock-scenario").join("missing.jsonl");
    let error = Scenario::load(&missing).unwrap_err();
    assert!(error.to_string().starts_with(&format!("{}: cannot open the capture", missing.display())), "{error}");

    let dir = test_kit::scratch_dir("mock-scenario");
    let error = Scenario::load(&dir).unwrap_err();
    assert!(error.to_string().contains("a directory"), "{error}");

    let broken = test_kit::scratch_file("mock-scenario", "broken.har", "{\n \"log\": {\"entries\": [\n");
    let error = Scenario::load(&broken).unwrap_err();
    assert!(error.to_string().starts_with(&format!("{}: not a capture", broken.display())), "{error}");
}

#[test]
fn a_capture_without_the_servers_side_is_refused() {
    let client_only = Capture::new().send(json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 1}));
    let path = test_kit::scratch_file("mock-scenario", "client-only.jsonl", client_only.jsonl());
    let error = Scenario::load(&path).unwrap_err();
    assert!(error.to_string().contains("the server sent nothing readable"), "{error}");

    let bare = "{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":1}\n";
    let path = test_kit::scratch_file("mock-scenario", "bare.jsonl", bare);
    let error = Scenario::load(&path).unwrap_err();
    assert!(error.to_string().contains("do not say which side sent them"), "{error}");
}

#[test]
fn nothing_secret_is_shown() {
    let scenario = Scenario::load(&example("auth-session.jsonl")).unwrap();
    let shown = format!("{scenario:?}");
    for secret in ["Insect", "c2Vzc2lvbi10b2tlbi1mb3Itc2hvZGFu", "Shodan"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn a_capture_with_too_many_server_messages_is_refused() {
    let line = "{\"type\":\"receive\",\"data\":\"{}\"}\n";
    let path = test_kit::scratch_file("mock-scenario", "huge.jsonl", line.repeat(MAX_RECEIVED + 1));
    let error = Scenario::load(&path).unwrap_err();
    assert!(matches!(error, ScenarioError::TooLarge { limit: MAX_RECEIVED, side: "received", .. }), "{error:?}");
    assert!(error.to_string().contains("more than 1000000 received messages"), "{error}");
    let _ = std::fs::remove_file(path);
}
