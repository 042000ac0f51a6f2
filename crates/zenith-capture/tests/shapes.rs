//! Captures told and read by their content, whatever their shape: JSON Lines whose first line is
//! long, compact HAR documents whose `log` comes late, JSON documents given as JSON Lines, HAR
//! items nested as deep as a message may be, and HAR bodies passed over unread.

use std::io::Read;

use zenith_capture::{Body, Event, Format, Limits, ReadError, Skipped, Unfolded};

const MAX: usize = 1 << 20;

fn sniffed(input: &[u8]) -> (Format, Vec<u8>) {
    let (format, mut reader) = zenith_capture::sniff(input, MAX).unwrap();
    let mut all = Vec::new();
    reader.read_to_end(&mut all).unwrap();
    assert_eq!(all, input, "the reader gives the whole input back");
    (format, all)
}

/// What `unfold` makes of `input`: its kind and the text it gives.
fn unfolded(input: &str) -> (&'static str, usize, String) {
    let mut text = String::new();
    let (kind, messages) = match zenith_capture::unfold(input.as_bytes(), MAX).unwrap() {
        Unfolded::Lines(mut lines) => {
            lines.read_to_string(&mut text).unwrap();
            ("lines", 0)
        }
        Unfolded::Document { mut lines, messages } => {
            lines.read_to_string(&mut text).unwrap();
            ("document", messages)
        }
        Unfolded::NotOneMessagePerLine(mut lines) => {
            lines.read_to_string(&mut text).unwrap();
            ("not one message per line", 0)
        }
    };
    (kind, messages, text)
}

fn har_events(har: &str) -> (Vec<Event>, Result<(), ReadError>) {
    let mut events = Vec::new();
    let result = zenith_capture::read(Format::Har, har.as_bytes(), Limits::default(), &mut |e| events.push(e));
    (events, result)
}

fn bodies(events: &[Event]) -> Vec<&Body> {
    events.iter().filter_map(|e| if let Event::Frame(f) = e { Some(&f.body) } else { None }).collect()
}

const ITEM: &str = r#"{"type":"send","time":1.0,"opcode":1,"data":"{\"Controller\":\"Zenith\",\"Topic\":\"ServerInfo\",\"Action\":\"Sub\"}"}"#;

#[test]
fn a_long_first_line_of_json_lines_is_json_lines() {
    let pad = "x".repeat(70_000);
    let repeated = format!("{{\"Controller\":\"Market\",\"Controller\":\"Market\",\"Pad\":\"{pad}\"}}\n");
    assert_eq!(sniffed(repeated.as_bytes()).0, Format::Jsonl);
    // Kept as written, so that the repeated key is still there to be reported.
    assert_eq!(unfolded(&repeated), ("lines", 0, repeated.clone()));
    let two = format!("{{\"Pad\":\"{pad}\",\"Controller\":\"Zenith\"}}\n{{\"Controller\":\"Zenith\"}}\n");
    assert_eq!(sniffed(two.as_bytes()).0, Format::Jsonl);
    assert_eq!(unfolded(&two), ("lines", 0, two.clone()));
    // Without an end of line too.
    let last = format!("{{\"Pad\":\"{pad}\"}}");
    assert_eq!(unfolded(&last), ("lines", 0, last.clone()));
}

#[test]
fn a_compact_har_document_is_har_wherever_its_log_comes() {
    let late =
        format!(r#"{{"comment":"{}","log":{{"entries":[{{"_webSocketMessages":[{ITEM}]}}]}}}}"#, "c".repeat(70_000));
    assert_eq!(sniffed(late.as_bytes()).0, Format::Har);
    let (events, result) = har_events(&late);
    result.unwrap();
    assert!(matches!(bodies(&events)[..], [Body::Text(_)]), "{events:?}");
    // A first field longer than the longest line read leaves it JSON Lines (a line too long).
    let (format, _) = zenith_capture::sniff(late.as_bytes(), 65_536).unwrap();
    assert_eq!(format, Format::Jsonl);
}

#[test]
fn a_document_becomes_lines_with_each_message_as_written() {
    let array = "\u{feff}[\n  {\"Controller\": \"Zenith\", \"Topic\": \"A b\\u0041\",\n   \"Topic\": 1.50},\n  [ 1, {\"x\": \"[, ]\\\"\"} ],\n  7\n]\n";
    assert_eq!(
        unfolded(array),
        (
            "document",
            3,
            "{\"Controller\":\"Zenith\",\"Topic\":\"A b\\u0041\",\"Topic\":1.50}\n[1,{\"x\":\"[, ]\\\"\"}]\n7".into()
        )
    );
    let object = "{\n  \"Controller\": \"Zenith\",\n  \"Data\": {\"a\": [ ]}\n}\n";
    assert_eq!(unfolded(object), ("document", 1, "{\"Controller\":\"Zenith\",\"Data\":{\"a\":[]}}".into()));
    assert_eq!(unfolded("[]"), ("document", 0, String::new()));
    let broken = "{\n  \"Controller\": \"Zenith\"\n";
    assert_eq!(unfolded(broken), ("not one message per line", 0, broken.into()));
    let arrays = "[1]\n[2]\n";
    assert_eq!(unfolded(arrays), ("lines", 0, arrays.into()));
}

#[test]
fn a_large_array_document_is_read_message_by_message() {
    let count = 200_000;
    let document = format!("[{}]", vec!["{}"; count].join(",\n "));
    let (kind, messages, text) = unfolded(&document);
    assert_eq!((kind, messages), ("document", count));
    assert_eq!(text.lines().count(), count);
    assert!(text.lines().all(|line| line == "{}"));
}

#[test]
fn har_items_nest_as_deep_as_a_json_lines_message() {
    let item = |levels: usize| {
        let deep = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        format!(r#"{{"type":"send","opcode":1,"extra":{deep},"data":"{{}}"}}"#)
    };
    let har = format!(
        r#"{{"log":{{"entries":[{{"_resourceType":"websocket","_webSocketMessages":[{},{},{ITEM}]}}]}}}}"#,
        item(124),
        item(200)
    );
    let (events, result) = har_events(&har);
    result.unwrap();
    // A member beside `data` is only read for credentials: however deep, it spoils no message.
    let [Body::Text(first), Body::Text(second), Body::Text(_)] = &bodies(&events)[..] else { panic!("{events:?}") };
    assert_eq!((first.as_str(), second.as_str()), ("{}", "{}"));
    // The same item as a JSON Lines line reads the same.
    let mut lines = Vec::new();
    zenith_capture::read(Format::Jsonl, format!("{}\n", item(124)).as_bytes(), Limits::default(), &mut |e| {
        lines.push(e)
    })
    .unwrap();
    assert!(matches!(bodies(&lines)[..], [Body::Text(text)] if text == "{}"), "{lines:?}");
}

#[test]
fn an_ordinary_entry_is_passed_over_unread() {
    // A body nested past any parser's depth limit, and a long one: read for credentials only
    // (deep values as raw text), they spoil nothing.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let har = format!(
        r#"{{"log":{{"entries":[
            {{"request":{{"url":"https://x.invalid/"}},"response":{{"status":200,"content":{{"text":"{}","_deep":{deep}}},"headers":[]}}}},
            {{"_resourceType":"websocket","response":{{"headers":[{{"name":"Sec-WebSocket-Protocol","value":"ZenithJson"}}],"content":{deep}}},"_webSocketMessages":[{ITEM}]}}
        ]}}}}"#,
        "A".repeat(100_000)
    );
    let (events, result) = har_events(&har);
    result.unwrap();
    // Other events (the text around the messages, for credentials) come between.
    let events: Vec<&Event> = events.iter().filter(|e| matches!(e, Event::Skipped(_) | Event::Frame(_))).collect();
    let [Event::Skipped(Skipped::HttpEntry { entry: 1 }), Event::Frame(frame)] = events[..] else {
        panic!("{events:?}")
    };
    assert!(matches!(&frame.body, Body::Text(_)), "{frame:?}");
}
