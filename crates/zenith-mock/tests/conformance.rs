//! The whole catalog against the mock over a real connection: every request topic's example is
//! answered under its TransactionID with a reply the schemas accept, every subscribable topic
//! gets data, and `zenith check` on the session as recorded finds no error.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use test_kit::{Capture, Check};
use tokio_tungstenite::tungstenite::Message;
use zenith_capture::Format;
use zenith_check::Level;
use zenith_mock::Options;
use zenith_protocol::{Direction, EnvelopeKeys, MessageKind, Role};

mod kit;
use kit::start;

const LIMIT: Duration = Duration::from_secs(20);

/// The requests whose examples the mock answers: every send Publish of a controller other than
/// Auth (sign-in is its own test) with an example.
fn requests() -> Vec<(MessageKind, Value)> {
    MessageKind::ALL
        .iter()
        .filter_map(|&kind| {
            let info = kind.info();
            let request = info.direction == Direction::Send
                && Role::of(info.action, Direction::Send) == Some(Role::Request)
                && info.controller.is_some_and(|c| c != "Auth");
            let example = serde_json::from_str(kind.docs().example?).ok()?;
            request.then_some((kind, example))
        })
        .collect()
}

/// The topics to subscribe to: each push (a received Publish without a TransactionID), on its
/// example's topic.
fn subscriptions() -> Vec<(String, String)> {
    let mut topics: Vec<(String, String)> = MessageKind::ALL
        .iter()
        .filter_map(|&kind| {
            let info = kind.info();
            if info.direction != Direction::Receive || info.action != "Publish" {
                return None;
            }
            let example: Value = serde_json::from_str(kind.docs().example?).ok()?;
            let topic = example["Topic"].as_str().filter(|_| example["TransactionID"].is_null())?;
            Some((info.controller?.to_owned(), topic.to_owned()))
        })
        .collect();
    topics.sort();
    topics.dedup();
    topics
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_answered_and_every_subscription_checks_clean() {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.rate = 200.0;
    let (address, stop, _events) = start(options).await;
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{address}/Zenith?version=2.0")).await.unwrap();
    let mut session: Vec<(&str, Value)> = Vec::new();
    let sent = |client_message: Value, session: &mut Vec<(&str, Value)>| {
        session.push(("send", client_message.clone()));
        Message::text(client_message.to_string())
    };
    let sign_in = json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1,
                         "Data": {"Provider": "Zenith", "ClientID": "conformance", "UserName": "demo", "Password": "demo"}});
    client.send(sent(sign_in, &mut session)).await.unwrap();

    let requests = requests();
    assert!(requests.len() >= 60, "only {} request examples", requests.len());
    let mut waiting: BTreeMap<i64, MessageKind> = BTreeMap::new();
    for (index, (kind, mut example)) in requests.into_iter().enumerate() {
        let id = 1_000 + index as i64;
        example["TransactionID"] = json!(id);
        waiting.insert(id, kind);
        client.send(sent(example, &mut session)).await.unwrap();
    }
    let topics = subscriptions();
    assert!(topics.len() >= 20, "only {} subscribable topics: {topics:?}", topics.len());
    for (controller, topic) in &topics {
        let sub = json!({"Controller": controller, "Topic": topic, "Action": "Sub", "Confirm": true});
        client.send(sent(sub, &mut session)).await.unwrap();
    }

    // Every reply, and data on every subscription: at least three pushes each.
    let mut pushes: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !waiting.is_empty() || topics.iter().any(|(_, t)| pushes.get(t).copied().unwrap_or(0) < 3) {
        let frame = tokio::time::timeout_at(deadline, client.next())
            .await
            .unwrap_or_else(|_| panic!("still waiting for replies to {waiting:?}; pushes {pushes:?}"))
            .expect("open")
            .expect("a frame");
        let Message::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(text.as_str()).unwrap();
        session.push(("receive", message.clone()));
        let kind = EnvelopeKeys::read(&message).ok().and_then(|k| k.kind(Direction::Receive));
        let kind = kind.unwrap_or_else(|| panic!("no schema for {message}"));
        let errors: Vec<String> = kind.validate(&message).errors().map(ToString::to_string).collect();
        assert!(errors.is_empty(), "{message}: {errors:?}");
        match message["TransactionID"].as_i64() {
            Some(id) if id >= 1_000 => {
                let request = waiting.remove(&id).unwrap_or_else(|| panic!("a reply to no request: {message}"));
                assert_ne!(message["Action"], "Error", "{} was refused: {message}", request.info().name);
            }
            _ if message["Action"].is_null() => {
                *pushes.entry(message["Topic"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
            }
            _ => {}
        }
    }
    for (controller, topic) in &topics {
        let unsub = json!({"Controller": controller, "Topic": topic, "Action": "Unsub"});
        client.send(sent(unsub, &mut session)).await.unwrap();
    }
    client.close(None).await.unwrap();
    drop(stop);

    // The session as `zenith check` reads it: no error.
    let capture = Capture::new().conn("1").messages(session.iter().map(|(d, m)| (d, m))).jsonl();
    let (findings, summary) = Check::new().source("mock.jsonl").format(Format::Jsonl).run(capture);
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .map(|f| format!("#{} {} {}: {}", f.index, f.code, f.instance_path, f.message))
        .collect();
    assert!(errors.is_empty(), "{} errors:\n{}", errors.len(), errors.join("\n"));
    assert_eq!(summary.unanswered, 0);
}
