//! Captures that were once misread: messages inflating across the inflater's 32 KiB window, a
//! compression context broken, window sizes agreed, segments held and sent again, ports
//! reused, frames sent before the 101, more sent before the upgrade completes than is kept,
//! and frame headers that cannot be trusted. The small shapes are also the pcap fuzz seeds.

mod common;

use common::{Capture, Connection, Side, frame, messages, problems, texts};
use zenith_capture::{Direction, Event, Level, Limits, MAX_EARLY_BYTES, Origin, Skipped, TransportEvent};

/// A message of about `bytes` bytes that compresses far better than 4 to 1.
fn repetitive(bytes: usize) -> String {
    let entry = r#"{"Price":"41.20","Volume":1000}"#;
    format!(r#"{{"Data":[{}]}}"#, vec![entry; bytes / (entry.len() + 1)].join(","))
}

/// A message of about `bytes` bytes whose digits do not repeat, so it compresses to about half.
fn varied(seed: u64, bytes: usize) -> String {
    let mut state = seed;
    let digits: String = (0..bytes)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            char::from(b'0' + ((state >> 33) % 10) as u8)
        })
        .collect();
    format!(r#"{{"Controller":"Market","Topic":"Trades!BHP.ASX","Data":"{digits}"}}"#)
}

/// One connection agreeing permessage-deflate with `parameters`, whose server sends `sent`.
fn compressed_session(parameters: &str, sent: &[String]) -> Capture {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, Some("ZenithJson"), Some(parameters));
    for text in sent {
        let message = conn.message(Side::Server, 1, text.as_bytes());
        capture.push(conn.send(Side::Server, &message));
    }
    conn.close(&mut capture);
    capture
}

/// 33 to 50 KB of repetitive text as a connection's first message: it inflates past the
/// inflater's window while input is left.
fn big_first_message() -> (Capture, Vec<String>) {
    let sent = vec![repetitive(40_000), r#"{"n":1}"#.to_owned()];
    (compressed_session("", &sent), sent)
}

/// 39 messages of 830 bytes, then one of them again: the repeat, a few bytes compressed,
/// crosses 32 KiB of the direction's output under context takeover.
fn a_repeat_across_the_window() -> (Capture, Vec<String>) {
    let mut sent: Vec<String> = (0..39).map(|n| varied(n, 772)).collect();
    sent.push(sent[5].clone());
    (compressed_session("", &sent), sent)
}

#[test]
fn a_first_message_inflating_past_32_kib_comes_out_whole() {
    let (capture, sent) = big_first_message();
    let events = capture.events();
    assert_eq!(texts(&events), sent);
    assert_eq!(problems(&events), []);
}

#[test]
fn a_message_crossing_32_kib_of_the_context_comes_out_whole() {
    let (capture, sent) = a_repeat_across_the_window();
    assert!(sent[..39].iter().map(String::len).sum::<usize>() < 32 * 1024);
    assert!(sent.iter().map(String::len).sum::<usize>() > 32 * 1024);
    let events = capture.events();
    assert_eq!(texts(&events), sent);
    assert_eq!(problems(&events), []);
}

/// Three server messages, the second of them corrupted in the capture; the third repeats the
/// first, so it refers back to it under context takeover.
fn a_message_that_does_not_inflate(parameters: &str) -> Capture {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, Some("ZenithJson"), Some(parameters));
    for (n, text) in [varied(1, 300), varied(2, 300), varied(1, 300)].iter().enumerate() {
        let mut message = conn.message(Side::Server, 1, text.as_bytes());
        if n == 1 {
            // A deflate block of the reserved type 3, just after the frame header.
            let payload = if message[1] & 0x7f == 126 { 4 } else { 2 };
            message[payload] = 0xff;
        }
        capture.push(conn.send(Side::Server, &message));
    }
    capture
}

#[test]
fn after_a_message_that_does_not_inflate_later_ones_are_lost_to_the_broken_context() {
    let texts = texts(&a_message_that_does_not_inflate("").events());
    assert_eq!(texts.len(), 3);
    assert_eq!(texts[0], varied(1, 300));
    assert!(texts[1].starts_with("unreadable: the compressed message does not inflate"), "{}", texts[1]);
    assert_eq!(
        texts[2],
        "unreadable: the compressed message cannot be inflated: an earlier message of this direction broke the \
         shared compression context (context takeover)"
    );

    // Without context takeover, each message stands alone.
    let texts = common::texts(&a_message_that_does_not_inflate("; server_no_context_takeover").events());
    assert_eq!(texts[2], varied(1, 300));
}

#[test]
fn a_compressed_message_skipped_breaks_the_context_unless_each_message_stands_alone() {
    // The second message is over the limit before inflating: it is skipped, not inflated.
    let sent = [varied(1, 300), varied(2, 4000), varied(1, 300)];
    for (parameters, readable) in [("", false), ("; server_no_context_takeover", true)] {
        let events = common::read(&compressed_session(parameters, &sent).bytes(), Limits { max_line_bytes: 1500 });
        let texts = texts(&events);
        assert!(texts[1].contains("over the limit of 1500 bytes"), "{}", texts[1]);
        if readable {
            assert_eq!(texts[2], sent[2], "with `{parameters}`");
        } else {
            assert!(texts[2].contains("broke the shared compression context"), "{}", texts[2]);
        }
    }
}

/// The upgrade's deflate description, and the problems, of a session agreeing `parameters`.
fn window_bits(parameters: &str) -> (Option<String>, Vec<(&'static str, String)>, Vec<String>) {
    let sent = [repetitive(2000), varied(3, 200)];
    let events = compressed_session(parameters, &sent).events();
    let deflate = events.iter().find_map(|e| match e {
        Event::Transport(t) => match &t.what {
            TransportEvent::Upgrade { deflate, .. } => deflate.clone(),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(texts(&events), sent, "with `{parameters}`");
    (deflate, problems(&events), texts(&events))
}

#[test]
fn window_sizes_agreed_in_the_upgrade_are_read_and_checked() {
    let (deflate, problems, _) = window_bits("; server_max_window_bits=10; client_max_window_bits=9");
    assert_eq!(deflate.as_deref(), Some("permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"));
    assert_eq!(problems, []);
    let (deflate, problems, _) = window_bits("; server_max_window_bits=16");
    assert_eq!(deflate.as_deref(), Some("permessage-deflate"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "websocket-bad-deflate-parameter");
    assert!(problems[0].1.contains("server_max_window_bits=16 is not a window size from 8 to 15"), "{}", problems[0].1);
}

/// `count` server messages of about `bytes` bytes, each sent in pieces: its end first, then
/// part of its middle, the whole middle, the end again, and its start last.
fn held_segments_sent_again(count: u64, bytes: usize) -> (Capture, Vec<String>) {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    let sent: Vec<String> = (0..count).map(|n| varied(n, bytes)).collect();
    for text in &sent {
        let message = conn.message(Side::Server, 1, text.as_bytes());
        let (quarter, end) = (message.len() / 4, message.len());
        let pieces = [2 * quarter..end, quarter..quarter + 100, quarter..2 * quarter, 2 * quarter..end, 0..quarter];
        for packet in conn.send_pieces(Side::Server, &message, &pieces) {
            capture.push(packet);
        }
    }
    conn.close(&mut capture);
    (capture, sent)
}

#[test]
fn segments_held_and_sent_again_are_counted_once() {
    // Counted at each sending, the held bytes would pass the 4 MiB limit halfway through.
    let (capture, sent) = held_segments_sent_again(200, 20_000);
    let events = capture.events();
    assert_eq!(problems(&events), []);
    assert!(texts(&events) == sent, "messages lost or changed");
}

/// A connection whose end the capture missed, then another on the same ports.
fn ports_reused() -> Capture {
    let mut capture = Capture::default();
    let mut first = Connection::new(51234, 18093);
    first.upgrade(&mut capture, None, None);
    let message = first.message(Side::Server, 1, b"first");
    capture.push(first.send(Side::Server, &message));
    let mut second = Connection::new(51234, 18093).starting_at(3_000_000_000, 7_000);
    second.upgrade(&mut capture, None, None);
    let message = second.message(Side::Client, 1, b"second");
    capture.push(second.send(Side::Client, &message));
    second.close(&mut capture);
    capture
}

#[test]
fn a_new_syn_on_the_ports_of_a_connection_not_seen_closing_starts_a_new_connection() {
    let events = ports_reused().events();
    assert_eq!(problems(&events), []);
    assert_eq!(texts(&events), ["first", "second"]);
    let streams: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Frame(frame) => match &frame.origin {
                Origin::Tcp { stream, .. } => Some(stream.number),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(streams, [0, 1]);
}

/// A request the client sends right after its upgrade request, and the reply to it in the
/// server's segment with the 101.
fn a_request_before_the_101() -> Capture {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.open(&mut capture);
    let (mut request, mut reply) = conn.heads(Some("ZenithJson"), None);
    request.extend(conn.message(
        Side::Client,
        1,
        br#"{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":2}"#,
    ));
    capture.push(conn.send(Side::Client, &request));
    let answer = br#"{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":2,"Data":{"Result":"Success","DisplayName":"SHODAN","UserID":"shodan","Scope":["Zenith/Market"]}}"#;
    reply.extend(conn.message(Side::Server, 1, answer));
    capture.push(conn.send(Side::Server, &reply));
    conn.close(&mut capture);
    capture
}

#[test]
fn a_request_sent_before_the_101_comes_before_its_reply() {
    let events = a_request_before_the_101().events();
    let directions: Vec<_> =
        events.iter().filter_map(|e| if let Event::Frame(f) = e { f.direction } else { None }).collect();
    assert_eq!(directions, [Direction::Send, Direction::Receive]);
    assert!(texts(&events)[0].ends_with(r#""TransactionID":2}"#));
    assert_eq!(problems(&events), []);
}

#[test]
fn frames_sent_before_the_upgrade_completes_are_kept_up_to_a_limit_and_the_rest_reported() {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.open(&mut capture);
    let (request, reply) = conn.heads(None, None);
    capture.push(conn.send(Side::Client, &request));
    let text = "e".repeat(65_000);
    let message = conn.message(Side::Client, 1, text.as_bytes());
    let frames = MAX_EARLY_BYTES / message.len() + 16;
    for _ in 0..frames {
        capture.push(conn.send(Side::Client, &message));
    }
    capture.push(conn.send(Side::Server, &reply));
    let answer = conn.message(Side::Server, 1, b"answer");
    capture.push(conn.send(Side::Server, &answer));
    capture.push(conn.send(Side::Client, &message));
    conn.close(&mut capture);
    let events = capture.events();

    let kept = MAX_EARLY_BYTES / message.len();
    let texts = texts(&events);
    assert_eq!(texts.len(), kept + 2, "the whole frames kept, the one cut off, the answer");
    assert!(texts[..kept].iter().all(|t| *t == text));
    let cut = MAX_EARLY_BYTES % message.len() - 8;
    assert_eq!(
        texts[kept],
        format!(
            "unreadable: cut off: the bytes kept while the upgrade was awaited end inside a frame ({cut} of its 65000 payload bytes)"
        )
    );
    assert_eq!(texts[kept + 1], "answer");
    let problems = problems(&events);
    let codes: Vec<&str> = problems.iter().map(|p| p.0).collect();
    assert_eq!(codes, ["websocket-early-data-limit", "websocket-bytes-not-read"]);
    let left_out = (frames + 1) * message.len() - MAX_EARLY_BYTES;
    assert_eq!(
        problems[1].1,
        format!(
            "{left_out} bytes the client sent after the {MAX_EARLY_BYTES} bytes kept while the upgrade was awaited were not read"
        )
    );
}

/// Server segments holding `first`, then two messages, each in a segment of its own.
fn after_segments(first: &[&[u8]]) -> Capture {
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.upgrade(&mut capture, None, None);
    for bytes in first {
        capture.push(conn.send(Side::Server, bytes));
    }
    for text in [r#"{"n":1}"#, r#"{"n":2}"#] {
        let message = conn.message(Side::Server, 1, text.as_bytes());
        capture.push(conn.send(Side::Server, &message));
    }
    conn.close(&mut capture);
    capture
}

/// A header of a server frame with `opcode` declaring `length` bytes in the 64-bit field.
fn long_header(opcode: u8, length: u64) -> Vec<u8> {
    let mut header = vec![0x80 | opcode, 127];
    header.extend(length.to_be_bytes());
    header
}

#[test]
fn a_control_frame_declaring_2_63_bytes_is_an_error_found_at_its_header() {
    let events = after_segments(&[&long_header(9, 1 << 63)]).events();
    assert_eq!(texts(&events), Vec::<String>::new());
    let found: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Transport(t) => match &t.what {
                TransportEvent::Problem { level, code, message } => {
                    Some((*level, code.as_str(), t.origin.packet(), message))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    // The header's packet: the handshake's five, then the segment with the header.
    assert_eq!(found[0].0, Level::Error);
    assert_eq!((found[0].1, found[0].2), ("websocket-oversized-control-frame", Some(6)));
    assert!(found[0].3.contains("declares 9223372036854775808 bytes"), "{}", found[0].3);
    let after = 2 * 9; // The two messages after the header, as frames.
    assert_eq!(found[1].1, "websocket-bytes-not-read");
    assert_eq!(
        *found[1].3,
        format!(
            "{after} bytes the server sent after a control frame declaring 9223372036854775808 bytes were not read"
        )
    );
}

#[test]
fn a_frame_length_with_its_top_bit_set_is_an_error_found_at_its_header() {
    let events = after_segments(&[&long_header(1, (1 << 63) + 5)]).events();
    assert_eq!(texts(&events), Vec::<String>::new());
    let codes: Vec<_> = problems(&events).into_iter().map(|p| p.0).collect();
    assert_eq!(codes, ["websocket-bad-frame-length", "websocket-bytes-not-read"]);
}

#[test]
fn a_control_frame_a_little_over_125_bytes_is_an_error_found_at_its_header_and_read_past() {
    let ping = frame(Side::Server, 9, true, false, &[b'p'; 200]);
    // The header in a segment of its own: the error is found there, not at the frame's end.
    let events = after_segments(&[&ping[..10], &ping[10..]]).events();
    assert_eq!(texts(&events), [r#"{"n":1}"#, r#"{"n":2}"#]);
    let found: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Transport(t) => match &t.what {
                TransportEvent::Problem { code, .. } => Some((code.as_str(), t.origin.packet())),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(found, [("websocket-oversized-control-frame", Some(6))]);
    let controls =
        events.iter().filter(|e| matches!(e, Event::Transport(t) if matches!(t.what, TransportEvent::Control(_))));
    assert_eq!(controls.count(), 1, "the ping is still counted");
}

#[test]
fn a_fragmented_message_cut_by_a_broken_header_is_reported() {
    let mut bytes = frame(Side::Server, 1, false, false, b"{\"a\":");
    bytes.extend(long_header(8, 1 << 40));
    let texts = texts(&after_segments(&[&bytes]).events());
    assert_eq!(
        texts,
        ["unreadable: a text message of 5 bytes: cut off: a frame header that cannot be trusted comes inside a \
          fragmented message"]
    );
}

/// Ten server messages; between the fifth and the sixth, `between` (packets built on the
/// connection), and after the close, `after`.
fn ten_messages(
    between: impl Fn(&Connection) -> Option<Vec<u8>>,
    after: impl Fn(&Connection, &[u8]) -> Option<Vec<u8>>,
) -> (Capture, Vec<String>) {
    let mut capture = Capture::default();
    let mut conn = Connection::new(50000, 18093);
    conn.upgrade(&mut capture, None, None);
    let sent: Vec<String> = (0..10).map(|n| format!(r#"{{"Controller":"Market","Last":{n}}}"#)).collect();
    let mut last = Vec::new();
    for (n, text) in sent.iter().enumerate() {
        if n == 5
            && let Some(packet) = between(&conn)
        {
            capture.push(packet);
        }
        last = conn.message(Side::Server, 1, text.as_bytes());
        capture.push(conn.send(Side::Server, &last));
    }
    conn.close(&mut capture);
    if let Some(packet) = after(&conn, &last) {
        capture.push(packet);
    }
    (capture, sent)
}

/// A reset from `side` 100,000 bytes past its next byte, between the fifth and sixth messages.
fn a_reset_out_of_window(side: Side) -> (Capture, Vec<String>) {
    ten_messages(|conn| Some(conn.reset(side, 100_000)), |_, _| None)
}

/// The last message sent again after both FINs.
fn a_late_retransmission() -> (Capture, Vec<String>) {
    ten_messages(
        |_| None,
        |conn, last| {
            let sequence = conn.next(Side::Server).wrapping_sub(1 + last.len() as u32);
            Some(conn.packet(Side::Server, sequence, last, false, false))
        },
    )
}

#[test]
fn a_reset_far_outside_the_window_is_ignored_with_a_warning() {
    for side in [Side::Server, Side::Client] {
        let (capture, sent) = a_reset_out_of_window(side);
        let events = capture.events();
        assert_eq!(texts(&events), sent);
        let problems = problems(&events);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "tcp-reset-out-of-window");
        assert!(problems[0].1.contains("100000 bytes from the next byte expected"), "{}", problems[0].1);
    }
    // A reset at the next byte still ends the connection: what follows is another one's.
    let (capture, _) = ten_messages(|conn| Some(conn.reset(Side::Server, 0)), |_, _| None);
    let events = capture.events();
    assert_eq!(texts(&events).len(), 5);
    assert_eq!(problems(&events).first().map(|p| p.0), Some("no-websocket-upgrade"));
}

#[test]
fn a_late_retransmission_after_the_close_is_a_repeat_not_a_new_connection() {
    let (capture, sent) = a_late_retransmission();
    let events = capture.events();
    assert_eq!(texts(&events), sent);
    assert_eq!(problems(&events), []);
    let last = events.last().unwrap();
    assert!(
        matches!(last, Event::Skipped(Skipped::Packet { reason, .. }) if reason.contains("already closed")),
        "{last:?}"
    );
    // Data past where the closed connection ended is another connection's, joined late.
    let (capture, _) = ten_messages(
        |_| None,
        |conn, last| Some(conn.packet(Side::Server, conn.next(Side::Server).wrapping_add(5000), last, false, false)),
    );
    let codes: Vec<_> = problems(&capture.events()).into_iter().map(|p| p.0).collect();
    assert_eq!(codes, ["no-websocket-upgrade"]);
}

/// The shapes above, small, as the pcap reader's fuzz seeds.
fn seeds() -> Vec<(&'static str, Capture)> {
    vec![
        ("deflate-first-message-past-the-window.pcap", big_first_message().0),
        ("deflate-repeat-across-the-window.pcap", a_repeat_across_the_window().0),
        ("deflate-broken-context.pcap", a_message_that_does_not_inflate("")),
        (
            "deflate-window-bits.pcap",
            compressed_session("; server_max_window_bits=16; client_max_window_bits=9", &[repetitive(300)]),
        ),
        ("tcp-held-segments-sent-again.pcap", held_segments_sent_again(2, 3000).0),
        ("tcp-ports-reused.pcap", ports_reused()),
        ("websocket-request-before-the-101.pcap", a_request_before_the_101()),
        ("websocket-control-frame-of-2-63-bytes.pcap", after_segments(&[&long_header(9, 1 << 63)])),
        ("websocket-frame-length-top-bit.pcap", after_segments(&[&long_header(2, u64::MAX)])),
        ("tcp-reset-out-of-window.pcap", a_reset_out_of_window(Side::Client).0),
        ("tcp-late-retransmission.pcap", a_late_retransmission().0),
    ]
}

#[test]
fn the_fuzz_seeds_hold_these_shapes() {
    let corpus = test_kit::root().join("fuzz/corpus/pcap_reader");
    for (name, capture) in seeds() {
        let path = corpus.join(name);
        if std::env::var_os("ZENITH_WRITE_SEEDS").is_some() {
            std::fs::write(&path, capture.bytes()).unwrap();
        }
        let seed = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e} (ZENITH_WRITE_SEEDS=1 writes it)"));
        let (ours, theirs) = (capture.events(), common::read(&seed, Limits::default()));
        assert_eq!((messages(&theirs), problems(&theirs)), (messages(&ours), problems(&ours)), "{name}");
    }
}
