//! The cap on findings per message: a message with thousands of problems keeps its first
//! findings and tells how many more there were, by code, in one `finding-limit` finding, with
//! the severity of the worst left out; the message's state still counts them all. A message
//! too large to read into a tree keeps its one-pass verdict, told in one finding.

use serde_json::{Value, json};
use test_kit::{Capture, Check};
use zenith_capture::{Binary, Body, Encoding, Event, Format, Frame, Origin};
use zenith_check::{Finding, Level, Summary};

fn check_events(events: impl IntoIterator<Item = Event>) -> (Vec<Finding>, Summary) {
    Check::new().events(events)
}

fn check_lines(messages: &[(&str, Value)]) -> (Vec<Finding>, Summary) {
    let capture = Capture::new().conn("1").messages(messages.iter().map(|(direction, message)| (direction, message)));
    Check::new().format(Format::Jsonl).run(capture)
}

/// A MessagePack message `{"Controller": "Zenith", "Topic": "ServerInfo", "Action": "Sub", key: [ext; count]}`.
fn msgpack_with_extensions(key: &str, count: u16) -> Event {
    let text = |s: &str| {
        let mut bytes = vec![0xdb];
        bytes.extend((s.len() as u32).to_be_bytes());
        bytes.extend(s.as_bytes());
        bytes
    };
    let mut bytes = vec![0x84];
    for part in ["Controller", "Zenith", "Topic", "ServerInfo", "Action", "Sub", key] {
        bytes.extend(text(part));
    }
    bytes.push(0xdc);
    bytes.extend(count.to_be_bytes());
    for _ in 0..count {
        bytes.extend([0xd4, 0x01, 0x00]); // fixext1 of type 1
    }
    let binary = Binary { opcode: 2, bytes, encoding: Some(Encoding::MsgPack) };
    let origin = Origin::Line { line: 1, conn: None };
    Event::Frame(Frame {
        origin,
        time: None,
        direction: Some(zenith_capture::Direction::Send),
        body: Body::Binary(binary),
    })
}

fn codes(findings: &[Finding]) -> Vec<(&str, usize)> {
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for finding in findings {
        match counted.last_mut() {
            Some((code, count)) if *code == finding.code => *count += 1,
            _ => counted.push((finding.code.as_str(), 1)),
        }
    }
    counted
}

#[test]
fn a_message_with_a_thousand_invalid_items_keeps_its_first_hundred_findings() {
    let data = vec![1; 1000];
    let (findings, summary) = check_lines(&[
        ("send", json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Action": "Sub"})),
        ("receive", json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Data": data})),
    ]);
    assert_eq!(codes(&findings), [("wrong-type", 100), ("finding-limit", 1)], "{findings:#?}");
    assert_eq!(findings[99].instance_path, "/Data/99");
    let limit = &findings[100];
    assert_eq!((limit.index, limit.level, limit.instance_path.as_str()), (2, Level::Error, ""));
    assert_eq!(
        limit.message,
        "900 more findings about this message not shown (900 wrong-type): a message keeps its first 100 findings, up \
         to 64 KiB of their text"
    );
    assert_eq!(summary.findings.get("wrong-type"), Some(&100));
    assert_eq!((summary.read, summary.invalid), (2, 1));
}

#[test]
fn values_without_a_json_form_are_counted_past_the_budget() {
    let (findings, summary) = check_events([msgpack_with_extensions("Extra", 250)]);
    assert_eq!(
        codes(&findings),
        [("no-json-equivalent", 100), ("finding-limit", 1), ("subscription-silent", 1)],
        "{findings:#?}"
    );
    assert_eq!(findings[99].instance_path, "/Extra/99");
    let limit = &findings[100];
    assert_eq!(limit.level, Level::Warning);
    assert!(
        limit.message.starts_with(
            "151 more findings about this message not shown (150 no-json-equivalent, 1 undocumented-property)"
        ),
        "{}",
        limit.message
    );
    assert_eq!((summary.read, summary.binary, summary.with_warnings), (1, 1, 1));
}

#[test]
fn findings_under_a_long_key_spend_the_budget_at_once() {
    // Each finding's path repeats the key: 200 of them held 200 copies of it.
    let key = "K".repeat(1 << 20);
    let (findings, _) = check_events([msgpack_with_extensions(&key, 200)]);
    assert_eq!(codes(&findings), [("no-json-equivalent", 1), ("finding-limit", 1), ("subscription-silent", 1)]);
    assert_eq!(findings[0].instance_path, format!("/{key}/0"));
    assert!(
        findings[1].message.starts_with(
            "200 more findings about this message not shown (199 no-json-equivalent, 1 undocumented-property)"
        ),
        "{}",
        findings[1].message
    );
}

#[test]
fn what_the_conversation_finds_shares_the_budget() {
    let depth = "Depth!BHP.ASX";
    let updates: Vec<Value> =
        (0..150).map(|n| json!({"O": "U", "Order": {"ID": format!("x{n}"), "Quantity": 1}})).collect();
    let (findings, _) = check_lines(&[
        ("send", json!({"Controller": "Market", "Topic": depth, "Action": "Sub"})),
        ("receive", json!({"Controller": "Market", "Topic": depth, "Data": [{"O": "C"}]})),
        ("receive", json!({"Controller": "Market", "Topic": depth, "Data": updates})),
    ]);
    assert_eq!(codes(&findings), [("change-for-unknown-key", 100), ("finding-limit", 1)], "{findings:#?}");
    assert!(findings.iter().all(|f| f.index == 3));
    assert!(
        findings[100].message.starts_with("50 more findings about this message not shown (50 change-for-unknown-key)")
    );
}

/// The lines of a JSON Lines capture on one connection, each `(type, message text)`.
fn check_texts(messages: &[(&str, &str)]) -> (Vec<Finding>, Summary) {
    let capture = Capture::new().conn("1").messages(messages.iter().copied());
    Check::new().format(Format::Jsonl).run(capture)
}

const DEPTH_SUB: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Sub"}"#;

/// A Depth push whose `Data` holds `count` numbers (each one invalid), and then `rest`.
fn depth_of_numbers(count: usize, rest: &str) -> String {
    format!(r#"{{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{}]{rest}}}"#, vec!["1"; count].join(","))
}

#[test]
fn an_invalid_message_too_large_for_a_tree_is_judged_in_one_pass() {
    let message = depth_of_numbers(300_000, "");
    let (findings, summary) = check_texts(&[("send", DEPTH_SUB), ("receive", &message)]);
    assert_eq!(codes(&findings), [("too-large-for-detail", 1)], "{findings:#?}");
    let finding = &findings[0];
    assert_eq!((finding.index, finding.level, finding.instance_path.as_str()), (2, Level::Error, ""));
    assert_eq!(
        finding.message,
        format!(
            "the message is invalid under its schema, but at 300007 JSON values ({} bytes) it is too large to be \
             checked in detail: messages of over 262144 values that are not clean are checked in one pass, which \
             does not locate problems",
            message.len()
        )
    );
    assert_eq!((summary.read, summary.valid, summary.invalid), (2, 1, 1));
}

#[test]
fn a_message_just_small_enough_for_a_tree_is_checked_in_detail() {
    let message = depth_of_numbers(262_000, "");
    let (findings, summary) = check_texts(&[("send", DEPTH_SUB), ("receive", &message)]);
    assert_eq!(codes(&findings), [("wrong-type", 100), ("finding-limit", 1)]);
    assert_eq!(summary.invalid, 1);
}

#[test]
fn a_message_too_large_for_a_tree_still_has_its_text_searched() {
    // Repeated keys, the envelope and the conversation come from the text, not the tree.
    let message = depth_of_numbers(300_000, r#","Data":[],"TransactionID":"x""#);
    let (findings, summary) = check_texts(&[("receive", &message)]);
    let seen: Vec<(&str, &str)> = findings.iter().map(|f| (f.code.as_str(), f.instance_path.as_str())).collect();
    assert_eq!(
        seen,
        [("too-large-for-detail", ""), ("duplicate-key", "/Data"), ("push-without-subscription", "/Topic")],
        "{findings:#?}"
    );
    assert_eq!(summary.invalid, 1);
    let not_json = depth_of_numbers(300_000, ",");
    let (findings, summary) = check_texts(&[("receive", &not_json)]);
    assert_eq!(codes(&findings), [("not-json", 1)]);
    assert!(findings[0].message.starts_with("the message is not JSON: "), "{}", findings[0].message);
    assert_eq!(summary.unreadable, 1);
}

#[test]
fn a_clean_message_too_large_for_a_tree_is_checked_fully() {
    let items = vec!["1"; 300_000].join(",");
    let message = format!(r#"{{"Controller":"Market","Topic":"Markets","Action":"Sub","Data":{{"a":[{items}]}}}}"#);
    let (findings, summary) = check_texts(&[("send", &message)]);
    assert!(findings.iter().all(|f| f.code != "too-large-for-detail"), "{findings:#?}");
    assert_eq!((summary.read, summary.valid), (1, 1));
    // One value wrong among them: invalid, which the one pass tells without a tree.
    let wrong = message.replacen(r#""Action":"Sub""#, r#""Action":"Sub","Confirm":"yes""#, 1);
    let (findings, summary) = check_texts(&[("send", &wrong)]);
    assert_eq!(codes(&findings)[0], ("too-large-for-detail", 1), "{findings:#?}");
    assert_eq!(summary.invalid, 1);
}
