//! Real captures against their ground truth (`../shared/fixtures/pcap/`): Wireshark's decode
//! of every websocket frame of Zeek's traces, and the messages as sent for the Zenith
//! recordings in JSON, MessagePack and BSON, with and without permessage-deflate.

use std::path::PathBuf;

use serde_json::Value;
use zenith_capture::{Body, Control, Direction, Event, Format, Origin, TransportEvent};

fn fixtures() -> PathBuf {
    test_kit::shared().join("fixtures/pcap")
}

fn events(name: &str) -> Vec<Event> {
    test_kit::Check::new().format(Format::Pcap).read_events(fixtures().join(name))
}

/// What a frame or message looks like to both decoders: its sender, and its text, or for
/// binary messages their length, or for control frames their opcode and close code.
#[derive(Debug, PartialEq)]
enum Seen {
    Message { from: String, text: Option<String>, bytes: usize },
    Control { from: String, opcode: u8, code: Option<u16> },
}

/// Wireshark's frames, put together into messages the way a websocket reader must.
fn truth(name: &str) -> Vec<Seen> {
    let text = std::fs::read_to_string(fixtures().join("tshark").join(format!("{name}.json"))).unwrap();
    let truth: Value = serde_json::from_str(&text).unwrap();
    let mut seen = Vec::new();
    let mut message: Option<(String, Option<String>, usize)> = None;
    for frame in truth["websocket_frames"].as_array().unwrap() {
        let from = frame["src"].as_str().unwrap().to_owned();
        let opcode = frame["opcode"].as_u64().unwrap() as u8;
        let length = frame["payload_length"].as_u64().unwrap() as usize;
        let text = frame.get("text").and_then(Value::as_str);
        if opcode >= 8 {
            let code = frame.get("status_code").and_then(|c| c.as_str()?.parse().ok().or(c.as_u64().map(|c| c as u16)));
            seen.push(Seen::Control { from, opcode, code });
            continue;
        }
        let (_, so_far, bytes) = message.get_or_insert_with(|| (from.clone(), None, 0));
        if let Some(text) = text {
            so_far.get_or_insert_with(String::new).push_str(text);
        }
        *bytes += length;
        if frame["fin"].as_bool().unwrap() {
            let (from, text, bytes) = message.take().unwrap();
            seen.push(Seen::Message { from, text, bytes });
        }
    }
    seen
}

/// Ours, in the same terms; binary lengths compare only when nothing was compressed.
fn ours(events: &[Event], compressed: bool) -> Vec<Seen> {
    let sender = |origin: &Origin, direction: Option<Direction>| match origin {
        Origin::Tcp { stream, .. } => {
            if direction == Some(Direction::Send) { stream.client } else { stream.server }.to_string()
        }
        other => panic!("{other:?}"),
    };
    events
        .iter()
        .filter_map(|event| match event {
            Event::Frame(frame) => {
                let from = sender(&frame.origin, frame.direction);
                let (text, bytes) = match &frame.body {
                    Body::Text(text) => (Some(text.clone()), if compressed { 0 } else { text.len() }),
                    Body::Binary(binary) => (None, binary.bytes.len()),
                    other => panic!("{other:?}"),
                };
                Some(Seen::Message { from, text, bytes })
            }
            Event::Transport(transport) => {
                let from = sender(&transport.origin, transport.direction);
                let (opcode, code) = match &transport.what {
                    TransportEvent::Control(Control::Close { code, .. }) => (8, *code),
                    TransportEvent::Control(Control::Ping) => (9, None),
                    TransportEvent::Control(Control::Pong) => (10, None),
                    _ => return None,
                };
                Some(Seen::Control { from, opcode, code })
            }
            Event::Skipped(_) | Event::Context(_) => None,
        })
        .collect()
}

/// Wireshark gives the payload length of compressed frames, not of the message: those are
/// compared by text only.
fn without_compressed_lengths(seen: Vec<Seen>) -> Vec<Seen> {
    seen.into_iter()
        .map(|s| match s {
            Seen::Message { from, text: Some(text), .. } => Seen::Message { from, text: Some(text), bytes: 0 },
            other => other,
        })
        .collect()
}

#[test]
fn zeek_traces_match_wireshark_frame_by_frame() {
    let traces = [
        ("websocket_baseline.pcap", false),
        ("websocket_compressed.pcap", true),
        ("two-binary-fragments.pcap", false),
        ("reply-ping-coalesced.pcap", false),
        ("reply-ping-separate.pcap", false),
        ("jupyter-websocket.pcap", false),
        ("broker-websocket.pcap", false),
        ("oversized-close-frame.pcapng", false),
        ("wrong-accept-header.pcap", false),
        ("message-too-big-status.pcap", false),
        ("fragmented-http-reply.pcap", false),
    ];
    for (name, compressed) in traces {
        let events = events(name);
        let mut expected = truth(name);
        if compressed {
            expected = without_compressed_lengths(expected);
        }
        let found = ours(&events, compressed);
        assert_eq!(found.len(), expected.len(), "{name}: {found:?}");
        // Wireshark writes 126 or 127 for lengths in the extended field, and gives no close
        // codes: what it does not tell is taken from ours.
        let expected: Vec<Seen> = expected
            .into_iter()
            .zip(&found)
            .map(|(truth, ours)| match (truth, ours) {
                (Seen::Message { from, text, bytes }, Seen::Message { bytes: ours, .. }) if bytes >= 126 => {
                    Seen::Message { from, text, bytes: *ours }
                }
                (Seen::Control { from, opcode, code: None }, Seen::Control { code, .. }) => {
                    Seen::Control { from, opcode, code: *code }
                }
                (truth, _) => truth,
            })
            .collect();
        assert_eq!(found, expected, "{name}");
    }
}

fn problem_codes(name: &str) -> Vec<&'static str> {
    events(name)
        .into_iter()
        .filter_map(|e| match e {
            Event::Transport(t) => match t.what {
                TransportEvent::Problem { code, .. } => Some(code.as_str()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn protocol_faults_in_the_traces_are_reported() {
    assert_eq!(problem_codes("oversized-close-frame.pcapng"), ["websocket-oversized-control-frame"]);
    assert_eq!(problem_codes("wrong-accept-header.pcap"), ["websocket-accept-mismatch"]);
    for clean in ["websocket_baseline.pcap", "websocket_compressed.pcap", "fragmented-http-reply.pcap"] {
        assert_eq!(problem_codes(clean), Vec::<&str>::new(), "{clean}");
    }
    let close = events("message-too-big-status.pcap").into_iter().find_map(|e| match e {
        Event::Transport(t) => match t.what {
            TransportEvent::Control(Control::Close { code, .. }) => code,
            _ => None,
        },
        _ => None,
    });
    assert_eq!(close, Some(1009));
}

/// The Zenith recordings give back the messages exactly as sent, in every encoding.
#[test]
fn zenith_recordings_give_back_the_messages_as_sent() {
    for name in [
        "reference-json-plain.pcapng",
        "reference-json-deflate.pcapng",
        "reference-msgpack-plain.pcapng",
        "reference-bson-deflate.pcapng",
    ] {
        let path = format!("zenith/{name}");
        let truth: Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join(format!("{path}.truth.json"))).unwrap())
                .unwrap();
        let expected: Vec<(String, Value)> = truth["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["direction"].as_str().unwrap().to_owned(), m["message"].clone()))
            .collect();
        let found: Vec<(String, Value)> = events(&path)
            .into_iter()
            .filter_map(|e| match e {
                Event::Frame(frame) => {
                    let text = match frame.body {
                        Body::Text(text) => text,
                        Body::Binary(binary) => {
                            let decoded = binary.decode().unwrap();
                            assert!(!decoded.inferred, "{name}: the subprotocol names the encoding");
                            decoded.text
                        }
                        other => panic!("{name}: {other:?}"),
                    };
                    Some((frame.direction.unwrap().to_string(), serde_json::from_str(&text).unwrap()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(found.len(), expected.len(), "{name}");
        for (n, (ours, theirs)) in found.iter().zip(&expected).enumerate() {
            assert_eq!(ours, theirs, "{name}: message {}", n + 1);
        }
    }
}
