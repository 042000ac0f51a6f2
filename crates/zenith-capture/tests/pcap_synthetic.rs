//! Packet captures written here, each with one thing a reader must get right: segments
//! repeated, out of order or lost, a capture cut off, a large message, connections
//! interleaved, fragments, control frames and compression.

mod common;

use common::{Capture, Connection, Side, frame, messages, problems, texts};
use zenith_capture::{Body, Control, Encoding, Event, Limits, Origin, Skipped, TransportEvent};

const NAME: &str = "127.0.0.1:51234 -> 127.0.0.1:18093";

#[test]
fn messages_in_both_directions_with_the_upgrade() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, Some("ZenithJson"), None);
    let request = conn.message(Side::Client, 1, br#"{"Controller":"Auth","Topic":"QueryIdentify"}"#);
    capture.push(conn.send(Side::Client, &request));
    let reply = conn.message(Side::Server, 1, br#"{"Controller":"Auth","Topic":"QueryIdentify","Data":{}}"#);
    capture.push(conn.send(Side::Server, &reply));
    conn.close(&mut capture);
    let events = capture.events();
    let upgrade = events.iter().find_map(|e| match e {
        Event::Transport(t) => match &t.what {
            TransportEvent::Upgrade { target, subprotocol, .. } => Some((target.clone(), subprotocol.clone())),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(upgrade, Some(("/Zenith?version=2.0".to_owned(), Some("ZenithJson".to_owned()))));
    assert_eq!(
        messages(&events),
        [
            (NAME.to_owned(), r#"{"Controller":"Auth","Topic":"QueryIdentify"}"#.to_owned()),
            (NAME.to_owned(), r#"{"Controller":"Auth","Topic":"QueryIdentify","Data":{}}"#.to_owned()),
        ]
    );
    let directions: Vec<_> =
        events.iter().filter_map(|e| if let Event::Frame(f) = e { f.direction } else { None }).collect();
    assert_eq!(directions, [zenith_capture::Direction::Send, zenith_capture::Direction::Receive]);
    assert_eq!(problems(&events), []);
}

#[test]
fn retransmitted_and_out_of_order_segments_are_put_back_in_order() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    let text = "x".repeat(3000);
    let bytes = conn.message(Side::Server, 1, text.as_bytes());
    let parts: Vec<Vec<u8>> = bytes.chunks(1000).map(|c| conn.send(Side::Server, c)).collect();
    // Third, first, first again, second, third again, and the first once more.
    for n in [3, 0, 0, 1, 2, 3, 0] {
        capture.push(parts[n.min(parts.len() - 1)].clone());
    }
    let events = capture.events();
    assert_eq!(texts(&events), [text]);
    assert_eq!(problems(&events), []);
}

#[test]
fn a_lost_segment_is_reported_and_nothing_after_it_is_guessed() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    let first = conn.message(Side::Server, 1, b"{\"n\":1}");
    capture.push(conn.send(Side::Server, &first));
    let second = conn.message(Side::Server, 1, b"{\"n\":2}");
    let _lost = conn.send(Side::Server, &second);
    let third = conn.message(Side::Server, 1, b"{\"n\":3}");
    capture.push(conn.send(Side::Server, &third));
    conn.close(&mut capture);
    let events = capture.events();
    assert_eq!(texts(&events), ["{\"n\":1}"]);
    let problems = problems(&events);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "tcp-segment-missing");
    assert!(problems[0].1.contains("from the server are missing"), "{}", problems[0].1);
}

#[test]
fn a_capture_cut_off_inside_a_frame_reports_the_message_cut_off() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    let bytes = conn.message(Side::Server, 1, "y".repeat(500).as_bytes());
    capture.push(conn.send(Side::Server, &bytes[..200]));
    let events = capture.events();
    let texts = texts(&events);
    assert_eq!(texts.len(), 1);
    assert!(texts[0].starts_with("unreadable: cut off: the connection ends inside a frame"), "{}", texts[0]);

    // And a file cut off inside a packet's record.
    let file = capture.bytes();
    let cut = &file[..file.len() - 50];
    let events = common::read(cut, Limits::default());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Skipped(Skipped::Packet { reason, .. }) if reason.contains("cut off")))
    );
}

#[test]
fn a_ten_megabyte_message_arrives_whole() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    let text: String = (0..10 * 1024 * 1024 / 16).map(|n| format!("{n:015}|")).collect();
    let bytes = conn.message(Side::Client, 1, text.as_bytes());
    for chunk in bytes.chunks(60_000) {
        let packet = conn.send(Side::Client, chunk);
        capture.push(packet);
    }
    let events = capture.events();
    let found = texts(&events);
    assert_eq!(found.len(), 1);
    assert!(found[0] == text, "the message differs");

    // Over the limit, it is reported, not held.
    let limited = common::read(&capture.bytes(), Limits { max_line_bytes: 1 << 20 });
    let found = texts(&limited);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("over the limit of 1048576 bytes"), "{}", found[0]);
}

#[test]
fn interleaved_connections_keep_their_own_messages() {
    let mut capture = Capture::default();
    let mut one = Connection::new(40001, 18093);
    let mut two = Connection::new(40002, 18093);
    one.upgrade(&mut capture, None, None);
    two.upgrade(&mut capture, None, None);
    for n in 0..3 {
        let a = one.message(Side::Client, 1, format!("one {n}").as_bytes());
        let b = two.message(Side::Server, 1, format!("two {n}").as_bytes());
        // Each message in two segments, the connections' segments alternating.
        let (a1, a2) = a.split_at(3);
        let (b1, b2) = b.split_at(2);
        let segments = [
            one.send(Side::Client, a1),
            two.send(Side::Server, b1),
            one.send(Side::Client, a2),
            two.send(Side::Server, b2),
        ];
        for segment in segments {
            capture.push(segment);
        }
    }
    let found = messages(&capture.events());
    let one_name = "127.0.0.1:40001 -> 127.0.0.1:18093".to_owned();
    let two_name = "127.0.0.1:40002 -> 127.0.0.1:18093".to_owned();
    let expected: Vec<(String, String)> =
        (0..3).flat_map(|n| [(one_name.clone(), format!("one {n}")), (two_name.clone(), format!("two {n}"))]).collect();
    assert_eq!(found, expected);
}

#[test]
fn fragments_with_a_ping_between_them_make_one_message() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    let mut bytes = frame(Side::Client, 1, false, false, b"{\"Contr");
    bytes.extend(frame(Side::Client, 9, true, false, b"ping"));
    bytes.extend(frame(Side::Client, 0, false, false, b"oller\":"));
    bytes.extend(frame(Side::Client, 0, true, false, b"\"Zenith\"}"));
    bytes.extend(frame(Side::Client, 8, true, false, &[0x03, 0xf1, b'b', b'y', b'e']));
    // All the frames coalesced into one segment.
    capture.push(conn.send(Side::Client, &bytes));
    let events = capture.events();
    assert_eq!(texts(&events), ["{\"Controller\":\"Zenith\"}"]);
    let controls: Vec<Control> = events
        .iter()
        .filter_map(|e| match e {
            Event::Transport(t) => match &t.what {
                TransportEvent::Control(control) => Some(control.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(controls, [Control::Ping, Control::Close { code: Some(1009), reason: "bye".into() }]);
    assert_eq!(zenith_capture::close_code_meaning(1009), "message too big");
}

#[test]
fn permessage_deflate_with_and_without_context_takeover() {
    for parameters in ["", "; server_no_context_takeover; client_no_context_takeover"] {
        let mut capture = Capture::default();
        let mut conn = Connection::new(51234, 18093);
        conn.upgrade(&mut capture, Some("ZenithJson"), Some(parameters));
        let sent: Vec<String> =
            (0..4).map(|n| format!("{{\"Controller\":\"Market\",\"Topic\":\"Depth!BHP.ASX\",\"N\":{n}}}")).collect();
        for text in &sent {
            for side in [Side::Client, Side::Server] {
                let message = conn.message(side, 1, text.as_bytes());
                capture.push(conn.send(side, &message));
            }
        }
        let events = capture.events();
        let expected: Vec<String> = sent.iter().flat_map(|t| [t.clone(), t.clone()]).collect();
        assert_eq!(texts(&events), expected, "with `{parameters}`");
        assert_eq!(problems(&events), []);
    }
}

#[test]
fn binary_messages_carry_the_negotiated_encoding() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, Some("ZenithMsgPack"), None);
    let value = rmpv::Value::Map(vec![("Controller".into(), "Zenith".into())]);
    let mut packed = Vec::new();
    rmpv::encode::write_value(&mut packed, &value).unwrap();
    let message = conn.message(Side::Server, 2, &packed);
    capture.push(conn.send(Side::Server, &message));
    let events = capture.events();
    let binary = events.iter().find_map(|e| match e {
        Event::Frame(f) => match &f.body {
            Body::Binary(binary) => Some(binary.clone()),
            _ => None,
        },
        _ => None,
    });
    let binary = binary.expect("a binary message");
    assert_eq!(binary.encoding, Some(Encoding::MsgPack));
    assert_eq!(binary.decode().unwrap().text, r#"{"Controller":"Zenith"}"#);
}

#[test]
fn a_connection_joined_late_is_reported_not_guessed_at() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    // No handshake in the capture: the first bytes are a frame.
    let message = conn.message(Side::Server, 1, b"{}");
    capture.push(conn.send(Side::Server, &message));
    let events = capture.events();
    assert_eq!(texts(&events), Vec::<String>::new());
    assert_eq!(problems(&events).iter().map(|p| p.0).collect::<Vec<_>>(), ["no-websocket-upgrade"]);
    let origin = events.iter().find_map(|e| if let Event::Transport(t) = e { Some(t.origin.clone()) } else { None });
    assert!(matches!(origin, Some(Origin::Tcp { packet: 1, .. })));
}

#[test]
fn a_frame_with_a_reserved_opcode_is_unreadable_and_leaves_the_message_around_it_whole() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    let mut bytes = frame(Side::Server, 1, false, false, b"{\"a\":");
    bytes.extend(frame(Side::Server, 3, true, false, b"junk"));
    bytes.extend(frame(Side::Server, 0, true, false, b"1}"));
    capture.push(conn.send(Side::Server, &bytes));
    let texts = texts(&capture.events());
    assert_eq!(texts, ["unreadable: a frame with the reserved opcode 3 (4 bytes)", "{\"a\":1}"]);
}

#[test]
fn a_segment_lost_just_before_the_fin_is_reported() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    let first = conn.message(Side::Server, 1, b"{\"n\":1}");
    capture.push(conn.send(Side::Server, &first));
    let last = conn.message(Side::Server, 1, b"{\"n\":2}");
    let _lost = conn.send(Side::Server, &last);
    conn.close(&mut capture);
    let events = capture.events();
    assert_eq!(texts(&events), ["{\"n\":1}"]);
    let problems = problems(&events);
    assert_eq!(problems.iter().map(|p| p.0).collect::<Vec<_>>(), ["tcp-segment-missing"], "{problems:?}");
    assert!(problems[0].1.contains("just before its FIN"), "{}", problems[0].1);
}
