//! What reading a hostile capture allocates at its peak, counted by the allocator: frames
//! declaring far more than they carry, and bytes sent before the upgrade completes.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Capture, Connection, Side, frame};
use zenith_capture::{Body, Event, Format, Limits, MAX_EARLY_BYTES, TransportEvent};

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

/// Reads a capture; returns the problem codes, the unreadable messages' reasons, and the most
/// bytes allocated at once while reading, above what was allocated before.
fn read(capture: &[u8]) -> (Vec<&'static str>, Vec<String>, usize) {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let (mut codes, mut unreadable) = (Vec::new(), Vec::new());
    let before = NOW.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    zenith_capture::read(Format::Pcap, capture, Limits::default(), &mut |event| match event {
        Event::Transport(t) => {
            if let TransportEvent::Problem { code, .. } = t.what {
                codes.push(code);
            }
        }
        Event::Frame(f) => {
            if let Body::Unreadable(reason) = f.body {
                unreadable.push(reason);
            }
        }
        Event::Skipped(_) | Event::Context(_) => {}
    })
    .unwrap();
    (codes, unreadable, PEAK.load(Ordering::SeqCst) - before)
}

#[test]
fn frames_declaring_a_mebibyte_take_room_only_for_the_bytes_that_come() {
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
