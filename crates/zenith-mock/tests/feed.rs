//! Subscription feeds: every push kind's session passes the checker, every push validates, and
//! a seed decides the messages.

use serde_json::{Value, json};
use test_kit::{Capture, Check};
use zenith_capture::Format;
use zenith_check::{Finding, Level};
use zenith_mock::feed::{Feed, MAX_KEYS};
use zenith_protocol::{Direction, MessageKind};

/// The pushes that carry a subscription's state: received without a TransactionID, with an
/// example, and with topic arguments or change rules; each with its example's topic.
fn push_kinds() -> Vec<(MessageKind, String)> {
    let mut kinds = Vec::new();
    for kind in MessageKind::ALL {
        let info = kind.info();
        let Some(example) = kind.docs().example else { continue };
        let example: Value = serde_json::from_str(example).unwrap();
        let subscribed = !info.arguments.is_empty() || info.changes.is_some();
        if info.direction == Direction::Receive && example.get("TransactionID").is_none() && subscribed {
            kinds.push((*kind, example["Topic"].as_str().unwrap().to_owned()));
        }
    }
    kinds
}

/// A Sub, then the feed's snapshot and `count` further pushes.
fn session(feed: &mut Feed, controller: &str, topic: &str, count: usize) -> Vec<(&'static str, Value)> {
    let mut messages = vec![("send", json!({"Controller": controller, "Topic": topic, "Action": "Sub"}))];
    messages.push(("receive", feed.snapshot()));
    messages.extend((0..count).map(|_| ("receive", feed.next())));
    messages
}

fn check(messages: &[(&str, Value)]) -> Vec<Finding> {
    let capture = Capture::new().conn("1").messages(messages.iter().map(|(direction, message)| (direction, message)));
    Check::new().source("mock.jsonl").format(Format::Jsonl).run(capture.jsonl()).0
}

fn serious(findings: &[Finding]) -> Vec<String> {
    let serious = findings.iter().filter(|f| matches!(f.level, Level::Error | Level::Warning));
    serious.map(|f| format!("#{} {} {}: {}", f.index, f.code, f.instance_path, f.message)).collect()
}

#[test]
fn every_push_kind_streams_a_session_the_checker_finds_nothing_wrong_with() {
    let kinds = push_kinds();
    let mut covered = Vec::new();
    let mut problems = Vec::new();
    for (kind, topic) in &kinds {
        let info = kind.info();
        let Some(mut feed) = Feed::new(*kind, topic, 7) else {
            problems.push(format!("{}: no feed", info.name));
            continue;
        };
        let messages = session(&mut feed, info.controller.unwrap(), topic, 300);
        for (index, (_, message)) in messages.iter().enumerate().skip(1) {
            let report = kind.validate(message);
            if report.counts() != (0, 0) {
                problems.push(format!("{} push {index} invalid: {report}\n{message}", info.name));
                break;
            }
            assert_eq!(message["Controller"], info.controller.unwrap());
            assert_eq!(message["Topic"], topic.as_str());
            assert!(message.get("Action").is_none() && message.get("TransactionID").is_none(), "{message}");
        }
        for finding in serious(&check(&messages)) {
            problems.push(format!("{} {topic}: {finding}", info.name));
        }
        covered.push(info.name);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The checker does see a break in such a session: an order added twice.
    let mut feed = Feed::new(MessageKind::DepthPush, "Depth!BHP.ASX", 7).unwrap();
    let mut messages = session(&mut feed, "Market", "Depth!BHP.ASX", 3);
    let again = json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Data": [messages[1].1["Data"][1]]});
    messages.push(("receive", again));
    let findings = check(&messages);
    assert!(findings.iter().any(|f| f.code == "duplicate-add" && f.index == 6), "{:?}", serious(&findings));
    assert!(covered.len() >= 15, "only {covered:?}");
    assert_eq!(covered.len(), kinds.len(), "{covered:?}");
}

#[test]
fn a_feed_changes_its_values_and_adds_new_keys() {
    for (kind, topic) in push_kinds() {
        let mut feed = Feed::new(kind, &topic, 11).unwrap();
        let first = feed.snapshot();
        let later: Vec<Value> = (0..50).map(|_| feed.next()).collect();
        let texts: std::collections::HashSet<String> = later.iter().map(|m| m["Data"].to_string()).collect();
        assert!(texts.len() > 10, "{}: pushes repeat: {texts:?}", kind.info().name);
        assert!(later.iter().all(|m| *m != first), "{}", kind.info().name);
    }
}

#[test]
fn the_same_seed_gives_the_same_messages_and_another_seed_others() {
    for (kind, topic) in push_kinds() {
        let run = |seed: u64| {
            let mut feed = Feed::new(kind, &topic, seed).unwrap();
            let mut messages = vec![feed.snapshot()];
            messages.extend((0..40).map(|_| feed.next()));
            messages
        };
        assert_eq!(run(3), run(3), "{}", kind.info().name);
        assert_ne!(run(3), run(4), "{}", kind.info().name);
    }
}

#[test]
fn a_depth_book_starts_with_a_clear_then_evolves_with_the_topics_own_arguments() {
    let mut feed = Feed::new(MessageKind::DepthPush, "Depth!NAB.ASX", 1).unwrap();
    let snapshot = feed.snapshot();
    assert_eq!(snapshot["Topic"], "Depth!NAB.ASX");
    assert_eq!(snapshot["Data"][0], json!({"O": "C"}));
    let adds = snapshot["Data"].as_array().unwrap()[1..].iter().all(|r| r["O"] == "A");
    assert!(adds && snapshot["Data"].as_array().unwrap().len() >= 3, "{snapshot}");
    let operations: std::collections::HashSet<String> = (0..100)
        .flat_map(|_| feed.next()["Data"].as_array().unwrap().clone())
        .map(|record| record["O"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(operations, ["A", "U", "R"].map(String::from).into_iter().collect());
    // The symbol of the topic is the one in the data.
    let mut security = Feed::new(MessageKind::SecurityPush, "Security!NAB.ASX", 1).unwrap();
    let data = &security.snapshot()["Data"];
    assert_eq!((&data["Code"], &data["Market"]), (&json!("NAB"), &json!("ASX")));
    assert!(data.get("Class").is_some() && data.get("CFI").is_some(), "{data}");
}

#[test]
fn trade_ids_rise_and_a_feed_holds_a_bounded_number_of_keys() {
    let mut feed = Feed::new(MessageKind::TradesPush, "Trades!BHP.ASX", 5).unwrap();
    assert_eq!(feed.snapshot()["Data"][0]["O"], "I");
    let mut last = 0;
    for _ in 0..500 {
        for record in feed.next()["Data"].as_array().unwrap() {
            if record["O"] == "A" {
                let id = record["Trade"]["ID"].as_i64().unwrap();
                assert!(id > last, "{id} after {last}");
                last = id;
            }
        }
    }
    // Long sessions stay consistent, and the keys held stay within the bound: trades, which
    // are never removed, start again with an initialise once the bound is reached.
    for (kind, topic, key) in [
        (MessageKind::DepthPush, "Depth!BHP.ASX", "Order"),
        (MessageKind::TradesPush, "Trades!BHP.ASX", "Trade"),
        (MessageKind::HoldingsPush, "Holdings!OM1", "Holding"),
    ] {
        let mut feed = Feed::new(kind, topic, 9).unwrap();
        let messages = session(&mut feed, kind.info().controller.unwrap(), topic, 4_000);
        assert_eq!(serious(&check(&messages)), Vec::<String>::new(), "{topic}");
        let id = |record: &Value| format!("{} {} {}", record[key]["ID"], record[key]["Exchange"], record[key]["Code"]);
        let (mut held, mut most, mut clears) = (std::collections::HashSet::new(), 0, 0);
        for (_, message) in &messages[1..] {
            for record in message["Data"].as_array().unwrap() {
                match record["O"].as_str().unwrap() {
                    "A" => assert!(held.insert(id(record)), "{topic}: {record} added twice"),
                    "R" => assert!(held.remove(&id(record)), "{topic}: {record} not held"),
                    "C" | "I" => {
                        held.clear();
                        clears += 1;
                    }
                    _ => {}
                }
                most = most.max(held.len());
            }
        }
        assert!(most <= MAX_KEYS, "{topic}: {most} keys held");
        if kind == MessageKind::TradesPush {
            assert!(most > MAX_KEYS / 2 && clears > 1, "{most} {clears}");
        }
    }
}

#[test]
fn only_pushes_with_an_example_get_a_feed() {
    // A request, a reply under a TransactionID, a topic of another kind: no feed.
    assert!(Feed::new(MessageKind::DepthPush, "Trades!BHP.ASX", 1).is_none());
    let replies = MessageKind::ALL.iter().filter(|k| k.info().name.ends_with("Reply"));
    for kind in replies {
        let topic = kind.info().topic.unwrap_or_default();
        assert!(Feed::new(*kind, topic, 1).is_none(), "{}", kind.info().name);
    }
    let sends = MessageKind::ALL.iter().filter(|k| k.info().direction == Direction::Send);
    for kind in sends {
        let topic = kind.info().topic.unwrap_or_default();
        assert!(Feed::new(*kind, topic, 1).is_none(), "{}", kind.info().name);
    }
}

#[test]
fn odd_topics_give_a_feed_or_none_and_never_panic() {
    for topic in ["", "!", "Depth", "Depth!", "Depth!!!", "Depth!.", "Depth!BHP.ASX.X.Y", "Depth!\u{e9}\u{0}.\u{1F600}"]
    {
        if let Some(mut feed) = Feed::new(MessageKind::DepthPush, topic, 1) {
            assert_eq!(feed.snapshot()["Topic"], topic);
            feed.next();
        }
    }
    assert!(Feed::new(MessageKind::DepthPush, "", 1).is_none());
    for topic in ["Orders", "Orders!", "Orders!\"\\"] {
        let mut feed = Feed::new(MessageKind::OrdersPush, topic, u64::MAX).unwrap();
        assert_eq!(feed.next()["Topic"], topic);
    }
}

#[test]
fn pushes_without_change_rules_or_arguments_stream_too() {
    let mut names = Vec::new();
    for kind in MessageKind::ALL {
        let info = kind.info();
        if !info.arguments.is_empty() || info.changes.is_some() {
            continue;
        }
        let Some(mut feed) = Feed::new(*kind, info.topic.unwrap_or_default(), 2) else { continue };
        let messages = session(&mut feed, info.controller.unwrap(), info.topic.unwrap(), 50);
        for (_, message) in &messages[1..] {
            assert_eq!(kind.validate(message).counts(), (0, 0), "{message}");
        }
        assert_eq!(serious(&check(&messages)), Vec::<String>::new(), "{}", info.name);
        names.push(info.name);
    }
    assert_eq!(names, ["MarketsPush", "SourcesPush", "AccountsPush", "FeedsPush", "ServerInfoPush"]);
}
