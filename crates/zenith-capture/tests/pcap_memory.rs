//! What reading a hostile capture allocates at its peak, counted by the allocator: frames
//! declaring far more than they carry, bytes sent before the upgrade completes, messages
//! inflating past the limit; and the limits over all connections.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use common::{Capture, Connection, Side, frame};
use zenith_capture::{Body, Event, Format, Limits, MAX_EARLY_BYTES, MAX_OPEN_CONNECTIONS, TransportEvent};

/// The system allocator, counting the bytes allocated now and at the peak.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = NOW.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        NOW.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, size) };
        if !moved.is_null() {
            if size >= layout.size() {
                grew(size - layout.size());
            } else {
                NOW.fetch_sub(layout.size() - size, Ordering::SeqCst);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The tests of this file, one at a time: the count is of the whole process.
static ALONE: Mutex<()> = Mutex::new(());

/// Held for the whole of a test, so that no other test allocates meanwhile.
fn alone() -> MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(|e| e.into_inner())
}

/// What reading a capture gave.
#[derive(Default)]
struct Seen {
    /// The problems: code and message.
    problems: Vec<(&'static str, String)>,
    /// The messages read.
    texts: usize,
    /// The unreadable messages' reasons.
    unreadable: Vec<String>,
    /// The most bytes allocated at once while reading, above what was allocated before.
    peak: usize,
}

/// Reads a capture within `limits`.
fn see(capture: &[u8], limits: Limits) -> Seen {
    let mut seen = Seen::default();
    let before = NOW.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    zenith_capture::read(Format::Pcap, capture, limits, &mut |event| match event {
        Event::Transport(t) => {
            if let TransportEvent::Problem { code, message, .. } = t.what {
                seen.problems.push((code.as_str(), message));
            }
        }
        Event::Frame(f) => match f.body {
            Body::Unreadable(reason) => seen.unreadable.push(reason),
            _ => seen.texts += 1,
        },
        Event::Skipped(_) | Event::Context(_) => {}
    })
    .unwrap();
    seen.peak = PEAK.load(Ordering::SeqCst) - before;
    seen
}

/// Reads a capture; returns the problem codes, the unreadable messages' reasons, and the peak.
fn read(capture: &[u8]) -> (Vec<&'static str>, Vec<String>, usize) {
    let seen = see(capture, Limits::default());
    (seen.problems.into_iter().map(|p| p.0).collect(), seen.unreadable, seen.peak)
}

#[test]
fn frames_declaring_a_mebibyte_take_room_only_for_the_bytes_that_come() {
    let _alone = alone();
    // 2,000 connections, each opening a message that declares 1 MiB and carries 100 bytes.
    let mut capture = Capture::default();
    for port in 0..2000 {
        let mut conn = Connection::new(20_000 + port, 18093);
        conn.upgrade(&mut capture, None, None);
        let mut bytes = frame(Side::Server, 2, true, false, &[7; 100]);
        bytes.splice(1..2, [127].into_iter().chain((1u64 << 20).to_be_bytes()));
        capture.push(conn.send(Side::Server, &bytes));
    }
    let (codes, unreadable, peak) = read(&capture.bytes());
    assert_eq!(codes, Vec::<&str>::new());
    assert_eq!(unreadable.len(), 2000);
    assert_eq!(unreadable[0], "cut off: the connection ends inside a frame (100 of its 1048576 payload bytes)");
    assert!(peak < 64 << 20, "{peak} bytes allocated at the peak");
}

#[test]
fn bytes_sent_before_the_upgrade_completes_are_held_up_to_the_limit_on_either_side() {
    let _alone = alone();
    let flood = |side| frame(side, 2, true, false, &[7; 60_000]);
    let floods = 4 * MAX_EARLY_BYTES / 60_000;
    // The client sends frames after its request; the server never answers.
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.open(&mut capture);
    let (request, _) = conn.heads(None, None);
    capture.push(conn.send(Side::Client, &request));
    for _ in 0..floods {
        capture.push(conn.send(Side::Client, &flood(Side::Client)));
    }
    let (codes, _, peak) = read(&capture.bytes());
    assert_eq!(codes, ["websocket-early-data-limit", "websocket-upgrade-cut-off"]);
    assert!(peak < 2 * MAX_EARLY_BYTES, "{peak} bytes allocated at the peak");

    // The server answers, and sends frames, before the client's request is whole.
    let mut capture = Capture::default();
    let mut conn = Connection::new(51234, 18093);
    conn.open(&mut capture);
    let (request, reply) = conn.heads(None, None);
    capture.push(conn.send(Side::Client, &request[..20]));
    capture.push(conn.send(Side::Server, &reply));
    for _ in 0..floods {
        capture.push(conn.send(Side::Server, &flood(Side::Server)));
    }
    let (codes, _, peak) = read(&capture.bytes());
    assert_eq!(codes, ["websocket-early-data-limit", "websocket-upgrade-cut-off", "websocket-upgrade-cut-off"]);
    assert!(peak < 2 * MAX_EARLY_BYTES, "{peak} bytes allocated at the peak");
}

#[test]
fn a_message_inflating_past_the_limit_holds_the_limit_once() {
    let _alone = alone();
    // 16 MiB compressed to about 16 KB: room for the output doubles from four times that, so
    // growing by doubling would pass the limit by half.
    let max_line_bytes = 1_500_000;
    let mut capture = Capture::default();
    let mut conn = Connection::new(43001, 18093);
    conn.upgrade(&mut capture, None, Some("; server_no_context_takeover"));
    let message = conn.message(Side::Server, 1, &vec![b'B'; 16 << 20]);
    capture.push(conn.send(Side::Server, &message));
    let seen = see(&capture.bytes(), Limits { max_line_bytes });
    assert_eq!(seen.unreadable, ["the compressed message inflates to more than 1500000 bytes"]);
    assert!(seen.peak < max_line_bytes + max_line_bytes / 4, "{} bytes allocated at the peak", seen.peak);
}

#[test]
fn connections_beyond_the_limit_open_at_once_are_reported_and_counted() {
    let _alone = alone();
    let mut capture = Capture::default();
    let mut refused_bytes = 0;
    for n in 0..MAX_OPEN_CONNECTIONS + 10 {
        let mut conn = Connection::new(1024 + (n % 60_000) as u16, 18093 + (n / 60_000) as u16);
        conn.open(&mut capture);
        let (request, reply) = conn.heads(None, None);
        let message = conn.message(Side::Server, 1, br#"{"Controller":"Market","Topic":"Security!BHP.ASX"}"#);
        capture.push(conn.send(Side::Client, &request));
        capture.push(conn.send(Side::Server, &reply));
        capture.push(conn.send(Side::Server, &message));
        if n >= MAX_OPEN_CONNECTIONS {
            refused_bytes += request.len() + reply.len() + message.len();
        }
    }
    let seen = see(&capture.bytes(), Limits::default());
    assert_eq!(seen.texts, MAX_OPEN_CONNECTIONS);
    let codes: Vec<_> = seen.problems.iter().map(|p| p.0).collect();
    assert_eq!(codes, ["tcp-connection-limit", "tcp-connection-limit"]);
    assert!(seen.problems[0].1.starts_with("10000 TCP connections are open at once"), "{}", seen.problems[0].1);
    // Each of the ten: its SYN, SYN-ACK, request, reply and message (a bare ACK has no data).
    assert_eq!(
        seen.problems[1].1,
        format!(
            "50 packets, with {refused_bytes} bytes of data, came on connections beyond the 10000 open at once that \
             are followed, and were not read"
        )
    );
}

/// Connections enough that what each holds, 4,000,000 bytes, passes 64 MiB over all of them.
const PAST_THE_TOTAL: u16 = 17;

/// A server message of about 4,000,000 bytes.
fn four_megabytes(conn: &mut Connection) -> Vec<u8> {
    let text = format!(r#"{{"Controller":"Market","Name":"{}"}}"#, "A".repeat(4_000_000 - 40));
    conn.message(Side::Server, 1, text.as_bytes())
}

#[test]
fn segments_held_ahead_of_holes_are_bounded_over_all_connections() {
    let _alone = alone();
    // Each connection's server sends a message but its first 10 bytes, which come last.
    let mut capture = Capture::default();
    let mut held = Vec::new();
    for n in 0..PAST_THE_TOTAL {
        let mut conn = Connection::new(20_000 + n, 18093);
        conn.upgrade(&mut capture, None, None);
        let message = four_megabytes(&mut conn);
        let mut pieces: Vec<_> =
            (10..message.len()).step_by(60_000).map(|at| at..message.len().min(at + 60_000)).collect();
        pieces.push(0..10);
        let mut packets = conn.send_pieces(Side::Server, &message, &pieces);
        held.extend(packets.pop());
        capture.packets(packets);
    }
    for packet in held {
        capture.push(packet);
    }
    let seen = see(&capture.bytes(), Limits::default());
    assert_eq!(seen.texts, usize::from(PAST_THE_TOTAL) - 1, "the messages held within the total are read");
    assert_eq!(seen.problems.len(), 1, "{:?}", seen.problems);
    assert_eq!(seen.problems[0].0, "tcp-segment-missing");
    assert!(seen.problems[0].1.contains("held ahead of holes over all connections"), "{}", seen.problems[0].1);
}

#[test]
fn bytes_held_while_upgrades_are_awaited_are_bounded_over_all_connections() {
    let _alone = alone();
    // Each connection's server sends its 101 and a message before the client's request is
    // whole; the requests end last.
    let mut capture = Capture::default();
    let mut rest = Vec::new();
    for n in 0..PAST_THE_TOTAL {
        let mut conn = Connection::new(20_000 + n, 18093);
        conn.open(&mut capture);
        let (request, reply) = conn.heads(None, None);
        capture.push(conn.send(Side::Client, &request[..20]));
        capture.push(conn.send(Side::Server, &reply));
        let message = four_megabytes(&mut conn);
        for piece in message.chunks(60_000) {
            capture.push(conn.send(Side::Server, piece));
        }
        rest.push(conn.send(Side::Client, &request[20..]));
    }
    for packet in rest {
        capture.push(packet);
    }
    let seen = see(&capture.bytes(), Limits::default());
    assert_eq!(seen.texts, usize::from(PAST_THE_TOTAL) - 1, "the messages held within the total are read");
    let codes: Vec<_> = seen.problems.iter().map(|p| p.0).collect();
    assert_eq!(codes, ["websocket-early-data-limit", "websocket-bytes-not-read"]);
    assert!(
        seen.problems[0].1.contains("held over all connections awaiting an upgrade were reached"),
        "{}",
        seen.problems[0].1
    );
}
