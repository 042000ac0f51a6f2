//! The checker's copy of a connection's bytes: sent from the relay to the checking thread
//! without ever making the relay wait, bounded per connection and over all of them. When the
//! copy would pass a bound, the bytes are relayed all the same and counted as not checked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::time::{SystemTime, UNIX_EPOCH};

use zenith_capture::{Code, Direction, Severity};

/// The most bytes of one connection waiting to be checked.
pub const MAX_QUEUED_BYTES: usize = 8 << 20;
/// The most bytes of all connections waiting to be checked.
pub const MAX_QUEUED_BYTES_OVERALL: usize = 256 << 20;

/// What the relay tells the checking thread, in the order it happened on each connection.
pub(crate) enum Note {
    Open {
        id: u64,
        conn: Arc<str>,
        queued: Arc<AtomicUsize>,
        time: f64,
    },
    Bytes {
        id: u64,
        direction: Direction,
        bytes: Vec<u8>,
        time: f64,
    },
    /// Bytes relayed but not copied (first report; more are counted at `Close`).
    Lost {
        id: u64,
        direction: Direction,
        bytes: u64,
        time: f64,
    },
    /// Something the proxy itself saw: a refused request, an upstream out of reach.
    Problem {
        id: u64,
        level: Severity,
        code: Code,
        message: String,
        time: f64,
    },
    /// The connection is over, `why`; the bytes each side sent, and those not copied.
    Close {
        id: u64,
        why: String,
        relayed: [u64; 2],
        lost: [u64; 2],
        time: f64,
    },
}

/// Seconds since the Unix epoch, now.
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// The bytes waiting over all connections.
pub(crate) type Overall = Arc<AtomicUsize>;

/// One connection's copy. Dropped without `close` (the proxy stopped), it closes all the same.
pub(crate) struct Tap {
    id: u64,
    notes: Sender<Note>,
    queued: Arc<AtomicUsize>,
    overall: Overall,
    /// Each side's bytes relayed, and those not copied (the client's, then the server's).
    relayed: [AtomicU64; 2],
    lost: [AtomicU64; 2],
    why: std::sync::Mutex<Option<String>>,
}

impl Tap {
    pub fn open(id: u64, conn: &str, notes: Sender<Note>, overall: Overall) -> Tap {
        let queued = Arc::new(AtomicUsize::new(0));
        let _ = notes.send(Note::Open { id, conn: conn.into(), queued: queued.clone(), time: now() });
        Tap {
            id,
            notes,
            queued,
            overall,
            relayed: Default::default(),
            lost: Default::default(),
            why: std::sync::Mutex::new(None),
        }
    }

    /// A copy of bytes one side sent, read at `time`; counted as not checked when a bound is
    /// reached, and from then on for that side (its frames could not be told apart any more).
    pub fn copy(&self, direction: Direction, bytes: &[u8], time: f64) {
        let side = side(direction);
        self.relayed[side].fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if bytes.is_empty() {
            return;
        }
        if self.lost[side].load(Ordering::Relaxed) == 0 && self.reserve(bytes.len()) {
            let note = Note::Bytes { id: self.id, direction, bytes: bytes.to_vec(), time };
            if self.notes.send(note).is_ok() {
                return;
            }
            self.release(bytes.len());
        }
        if self.lost[side].fetch_add(bytes.len() as u64, Ordering::Relaxed) == 0 {
            let _ = self.notes.send(Note::Lost { id: self.id, direction, bytes: bytes.len() as u64, time });
        }
    }

    fn reserve(&self, bytes: usize) -> bool {
        let fits = |limit: usize| move |held: usize| (held + bytes <= limit).then_some(held + bytes);
        if self.queued.fetch_update(Ordering::AcqRel, Ordering::Acquire, fits(MAX_QUEUED_BYTES)).is_err() {
            return false;
        }
        if self.overall.fetch_update(Ordering::AcqRel, Ordering::Acquire, fits(MAX_QUEUED_BYTES_OVERALL)).is_err() {
            self.queued.fetch_sub(bytes, Ordering::AcqRel);
            return false;
        }
        true
    }

    fn release(&self, bytes: usize) {
        self.queued.fetch_sub(bytes, Ordering::AcqRel);
        self.overall.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// Something the proxy saw on this connection.
    pub fn problem(&self, level: Severity, code: Code, message: String) {
        let _ = self.notes.send(Note::Problem { id: self.id, level, code, message, time: now() });
    }

    /// Says why the connection ends (the first reason given stands).
    pub fn ending(&self, why: impl Into<String>) {
        let mut slot = self.why.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert_with(|| why.into());
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        let why = self.why.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        let load = |counts: &[AtomicU64; 2]| [counts[0].load(Ordering::Relaxed), counts[1].load(Ordering::Relaxed)];
        let _ = self.notes.send(Note::Close {
            id: self.id,
            why: why.unwrap_or_else(|| "the proxy stopped".to_owned()),
            relayed: load(&self.relayed),
            lost: load(&self.lost),
            time: now(),
        });
    }
}

/// The index of a side in per-side counts: the client's first.
pub(crate) fn side(direction: Direction) -> usize {
    match direction {
        Direction::Send => 0,
        Direction::Receive => 1,
    }
}

/// Gives back the room bytes took once they are checked.
pub(crate) fn checked(queued: &AtomicUsize, overall: &AtomicUsize, bytes: usize) {
    queued.fetch_sub(bytes, Ordering::AcqRel);
    overall.fetch_sub(bytes, Ordering::AcqRel);
}
