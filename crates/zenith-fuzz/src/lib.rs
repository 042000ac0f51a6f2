//! The properties every input must keep, whatever its bytes. Each function panics when one
//! is broken; the fuzz targets in `fuzz/` call them with generated inputs, and the regression
//! tests call them with every input the fuzzer kept or found a fault with.

use std::io::Cursor;

use serde_json::Value;
use zenith_capture::{Body, Context, Event, Format, Frame, Limits, Origin, Skipped};
use zenith_protocol::runtime::changes::{Text, value_text};
use zenith_protocol::{Change, CleanText, Direction, Verdict};
use zenith_redact::{Options, PLACEHOLDER, is_secret_name};

/// A reader turns any input into events or one error, in input order: a JSON Lines reader
/// reports each line once, numbered in turn; a HAR reader names each connection after its
/// entry, entries in order; a packet-capture reader places every message and connection event
/// on a TCP connection, at a packet it has read, and every binary message decodes or says why
/// not.
pub fn reader(format: Format, data: &[u8]) {
    let limits = Limits { max_line_bytes: 4096 };
    let mut events = Vec::new();
    let result = zenith_capture::read(format, data, limits, &mut |event| events.push(event));
    match format {
        Format::Jsonl => {
            assert!(result.is_ok(), "JSON Lines reading never fails on bytes in memory: {result:?}");
            let lines = data.split(|b| *b == b'\n').count() - usize::from(data.ends_with(b"\n") || data.is_empty());
            let numbers: Vec<u64> = events
                .iter()
                .filter_map(|event| match event {
                    Event::Frame(frame) => Some(frame.origin.line().expect("JSON Lines frames have a line")),
                    Event::Skipped(Skipped::BlankLine { line }) => Some(*line),
                    // Just before its line's frame, on the same line.
                    Event::Context(context) => {
                        assert!(context.origin.line().is_some(), "{context:?} has a line");
                        None
                    }
                    other => panic!("{other:?} in JSON Lines"),
                })
                .collect();
            assert_eq!(numbers, (1..=lines as u64).collect::<Vec<_>>(), "one event per line, in order");
        }
        Format::Har => {
            let entries: Vec<u64> = events
                .iter()
                .filter_map(|event| match event {
                    Event::Frame(Frame { origin: Origin::Har { entry }, .. }) => Some(*entry),
                    Event::Skipped(Skipped::HttpEntry { entry }) => Some(*entry),
                    // Text outside the entries (the log's creator, its pages) belongs to none.
                    Event::Context(Context { origin: Origin::Har { entry: 0 }, .. }) => None,
                    Event::Context(Context { origin: Origin::Har { entry }, .. }) => Some(*entry),
                    other => panic!("{other:?} in HAR"),
                })
                .collect();
            assert!(entries.windows(2).all(|w| w[0] <= w[1]), "entries in order: {entries:?}");
        }
        Format::Pcap => {
            for event in &events {
                let origin = match event {
                    Event::Frame(frame) => {
                        if let Body::Binary(binary) = &frame.body {
                            let _ = binary.decode();
                        }
                        &frame.origin
                    }
                    Event::Transport(transport) => &transport.origin,
                    Event::Context(context) => &context.origin,
                    Event::Skipped(Skipped::Packet { packet, .. }) => {
                        assert!(*packet >= 1, "packets are numbered from 1");
                        continue;
                    }
                    other => panic!("{other:?} in a packet capture"),
                };
                let Origin::Tcp { packet, .. } = origin else { panic!("{origin:?} in a packet capture") };
                assert!(*packet >= 1, "packets are numbered from 1");
            }
        }
    }
}

/// The one-pass check accepts a message as clean only when the tree validator does, for the
/// same schema.
pub fn one_pass(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for direction in [None, Some(Direction::Send), Some(Direction::Receive)] {
        let Some(clean) = CleanText::check(text, direction) else { continue };
        let value: Value = serde_json::from_str(text).expect("a clean message is JSON");
        assert_eq!(clean.kind.verdict(&value), Verdict::Clean, "{text}");
        assert!(clean.kind.validate(&value).problems.is_empty(), "{text}");
        // What the pass recorded is what the tree holds: each change record's effect, in
        // order, and the values of the fixed properties.
        let info = clean.kind.info();
        if let (Some(rules), Some(Value::Array(items))) = (info.changes, value.get("Data")) {
            let from_tree: Vec<Change> = items.iter().map(|record| rules.read(record)).collect();
            assert_eq!(clean.recording.records, from_tree, "{text}");
        }
        if let Some(Value::Object(fields)) = value.get("Data").filter(|_| !info.fixed.is_empty()) {
            let from_tree: Vec<(&str, Text)> =
                info.fixed.iter().filter_map(|name| Some((*name, value_text(fields.get(*name)?)?))).collect();
            let mut recorded = clean.recording.fixed.clone();
            recorded.sort_by_key(|(name, _)| info.fixed.iter().position(|n| n == name));
            assert_eq!(recorded, from_tree, "{text}");
        }
    }
}

/// Redaction of any input: never a panic; when written, the output parses wherever the input
/// did; and when nothing was in doubt, every value under a name that holds a credential is
/// replaced and redacting the output again changes nothing.
pub fn redact(data: &[u8]) {
    for format in [Format::Jsonl, Format::Har] {
        let options = Options { force: true, max_bytes: 1 << 16, jobs: 1, ..Options::default() };
        let mut output = Vec::new();
        let Ok(outcome) = zenith_redact::redact(format, Cursor::new(data), &mut output, options) else { continue };
        if outcome.unredacted.is_empty() {
            // Where nothing was in doubt, the output is settled: redacting it changes nothing.
            let mut again = Vec::new();
            zenith_redact::redact(format, Cursor::new(&output), &mut again, options).expect("redacted output redacts");
            assert_eq!(again, output, "redaction is idempotent");
        }
        let documents: Vec<(&[u8], &[u8])> = match format {
            Format::Jsonl => data.split(|b| *b == b'\n').zip(output.split(|b| *b == b'\n')).collect(),
            Format::Har | Format::Pcap => vec![(data, &output[..])],
        };
        for (before, after) in documents {
            let Ok(before) = serde_json::from_slice::<Value>(before) else { continue };
            let after: Value = serde_json::from_slice(after).expect("what parsed still parses");
            if outcome.unredacted.is_empty() {
                assert_replaced(&before, &after);
            }
        }
    }
}

/// Every string or number under a credential's name in `before` is replaced in `after`.
fn assert_replaced(before: &Value, after: &Value) {
    match (before, after) {
        (Value::Object(before), Value::Object(after)) => {
            for (key, value) in before {
                let Some(redacted) = after.get(key) else { continue };
                if key == "cookies" {
                    // A list of cookies, each of whose values is a credential.
                    for item in redacted.as_array().into_iter().flatten() {
                        if let Some(Value::String(text)) = item.get("value") {
                            assert!(text.is_empty() || text == PLACEHOLDER, "cookie value {text}");
                        }
                    }
                } else if is_secret_name(key) {
                    match value {
                        Value::String(text) if !text.is_empty() => assert_eq!(redacted, PLACEHOLDER, "{key}"),
                        Value::Number(_) => assert_eq!(redacted, &Value::from(0), "{key}"),
                        Value::Array(_) => assert_eq!(redacted, &Value::Array(Vec::new()), "{key}"),
                        Value::Object(_) => assert_eq!(redacted, &Value::Object(Default::default()), "{key}"),
                        _ => {}
                    }
                } else {
                    assert_replaced(value, redacted);
                }
            }
        }
        (Value::Array(before), Value::Array(after)) => {
            before.iter().zip(after).for_each(|(b, a)| assert_replaced(b, a));
        }
        _ => {}
    }
}
