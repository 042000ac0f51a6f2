//! Checking one capture on several threads, or on this one alone. With several, this thread
//! reads and follows the conversations, the others turn the input into frames and analyse them.
//! Work goes to the workers in turn and their analyses come back in the same turn, so they are
//! applied in capture order and the output does not depend on the number of threads. At most a
//! few pieces of work (a few megabytes of message text) go out, and at most a few parts of
//! analyses (each of a few dozen messages, or about a megabyte of findings) wait to be applied
//! per worker, so memory stays bounded however large the messages and however many their
//! findings.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use zenith_capture::{Body, Chunk, Event, Format, Limits, ReadError};
use zenith_check::{Analysis, Checker, Finding, analyze};

/// HAR or packet-capture frames per batch: enough to amortise the hand-offs, few enough to keep memory low.
const BATCH: usize = 1024;
/// A HAR batch is sent early when it holds this much message text.
const BATCH_BYTES: usize = 1 << 20;
/// Pieces of work in flight per worker.
const DEPTH: usize = 4;
/// Message text in flight, beyond the piece being sent.
const IN_FLIGHT_BYTES: usize = 4 << 20;

/// Analyses held together: a block on one thread, or a part sent back by a worker.
const BLOCK: usize = 64;
/// A block or part ends early when its message text and analyses weigh this much.
const BLOCK_BYTES: usize = 1 << 20;
/// Parts of analyses a worker may send ahead of the thread that applies them; then it waits.
const PARTS: usize = 4;

/// Checks on this thread alone, a block of events at a time: each block is analysed, then its
/// analyses are applied in order, so that the code of each stage stays in the processor's
/// caches for a whole block rather than taking turns with the other for every message. A block
/// ends early at [`BLOCK_BYTES`] of message text and analyses.
pub fn check_here(
    format: Format,
    reader: impl BufRead,
    limits: Limits,
    checker: &mut Checker,
    report: &mut dyn FnMut(Finding),
) -> Result<(), ReadError> {
    let source = checker.source().to_owned();
    let (mut block, mut bytes) = (Vec::with_capacity(BLOCK), 0);
    let result = zenith_capture::read(format, reader, limits, &mut |event| {
        bytes += weight(&event);
        let analysis = analyze(&source, event);
        bytes += analysis.weight();
        block.push(analysis);
        if block.len() == BLOCK || bytes >= BLOCK_BYTES {
            block.drain(..).for_each(|analysis| checker.apply(analysis, report));
            bytes = 0;
        }
    });
    block.into_iter().for_each(|analysis| checker.apply(analysis, report));
    result
}

/// What a worker is given: lines of JSON Lines (read there too), or frames read from a HAR
/// file or a packet capture (which only this thread can parse, as it comes).
enum Work {
    Lines(Chunk),
    Frames(Vec<Event>),
}

/// Checks with `workers` threads that read lines and analyse, besides this one. A thread that
/// cannot start or that stops early is an error for the file, never a panic.
pub fn check(
    format: Format,
    reader: impl BufRead,
    limits: Limits,
    workers: usize,
    checker: &mut Checker,
    report: &mut dyn FnMut(Finding),
) -> Result<(), ReadError> {
    let source = checker.source().to_owned();
    std::thread::scope(|scope| {
        let mut lanes = Vec::new();
        let mut threads = Vec::new();
        for _ in 0..workers.max(1) {
            let (to_worker, work) = sync_channel::<Work>(DEPTH);
            let (analysed, from_worker) = sync_channel::<Part>(PARTS);
            let source = source.as_str();
            let thread = std::thread::Builder::new()
                .name("zenith-check".to_owned())
                .spawn_scoped(scope, move || analyse(source, &limits, work, analysed))?;
            threads.push(thread);
            lanes.push(Lane { to_worker, from_worker });
        }
        let mut turns = Turns { lanes, sent: 0, applied: 0, in_flight: VecDeque::new(), stopped: false };
        let result = read(format, reader, limits, &mut turns, checker, report);
        while !turns.stopped && turns.applied < turns.sent {
            turns.apply_next(checker, report);
        }
        let mut stopped = turns.stopped;
        // Closing the lanes ends the threads; joining them here keeps a panic in one from
        // becoming a panic here.
        drop(turns);
        for thread in threads {
            stopped |= thread.join().is_err();
        }
        result?;
        if stopped {
            return Err(ReadError::Io(io::Error::other("a checking thread stopped unexpectedly")));
        }
        Ok(())
    })
}

/// A worker: analyses each piece of work and sends the analyses back in parts, until either
/// lane closes.
fn analyse(source: &str, limits: &Limits, work: Receiver<Work>, analysed: SyncSender<Part>) {
    for work in work {
        let mut parts = Parts { lane: &analysed, analyses: Vec::with_capacity(BLOCK), bytes: 0, closed: false };
        match work {
            Work::Lines(chunk) => chunk.events(limits, &mut |event| parts.push(analyze(source, event))),
            Work::Frames(events) => events.into_iter().for_each(|event| parts.push(analyze(source, event))),
        }
        parts.send(true);
        if parts.closed {
            return;
        }
    }
}

/// Some analyses of a piece of work, in order; the last part of the piece says so.
struct Part {
    analyses: Vec<Analysis>,
    last: bool,
}

/// The analyses of one piece of work, sent back a part at a time: as the lane holds only
/// [`PARTS`] parts, a worker never gets far ahead of the thread that applies them.
struct Parts<'a> {
    lane: &'a SyncSender<Part>,
    analyses: Vec<Analysis>,
    bytes: usize,
    /// Set when the lane is closed: the rest of the piece is not analysed.
    closed: bool,
}

impl Parts<'_> {
    fn push(&mut self, analysis: Analysis) {
        if self.closed {
            return;
        }
        self.bytes += analysis.weight();
        self.analyses.push(analysis);
        if self.analyses.len() == BLOCK || self.bytes >= BLOCK_BYTES {
            self.send(false);
        }
    }

    fn send(&mut self, last: bool) {
        let analyses = std::mem::replace(&mut self.analyses, Vec::with_capacity(BLOCK));
        self.bytes = 0;
        self.closed = self.closed || self.lane.send(Part { analyses, last }).is_err();
    }
}

/// Reads the capture on this thread, handing the work to the lanes in turn.
fn read(
    format: Format,
    reader: impl BufRead,
    limits: Limits,
    turns: &mut Turns,
    checker: &mut Checker,
    report: &mut dyn FnMut(Finding),
) -> Result<(), ReadError> {
    match format {
        Format::Jsonl => zenith_capture::chunks(reader, limits, &mut |chunk| {
            let bytes = chunk.bytes();
            turns.send(Work::Lines(chunk.take()), bytes, checker, report);
        }),
        Format::Har | Format::Pcap => {
            let (mut batch, mut bytes) = (Vec::with_capacity(BATCH), 0);
            let result = zenith_capture::read(format, reader, limits, &mut |event| {
                bytes += weight(&event);
                batch.push(event);
                if batch.len() == BATCH || bytes >= BATCH_BYTES {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    turns.send(Work::Frames(full), bytes, checker, report);
                    bytes = 0;
                }
            });
            if !batch.is_empty() {
                turns.send(Work::Frames(batch), bytes, checker, report);
            }
            result
        }
    }
}

struct Lane {
    to_worker: SyncSender<Work>,
    from_worker: Receiver<Part>,
}

/// Work `n` goes to lane `n % lanes`; analyses are applied in the order the work was sent.
struct Turns {
    lanes: Vec<Lane>,
    sent: usize,
    applied: usize,
    /// The bytes of message text in each piece of work sent and not yet applied, oldest first.
    in_flight: VecDeque<usize>,
    /// Set when a checking thread is gone; later work is dropped, and the file fails.
    stopped: bool,
}

impl Turns {
    fn send(&mut self, work: Work, bytes: usize, checker: &mut Checker, report: &mut dyn FnMut(Finding)) {
        // Apply the oldest first while the lanes are full (so no channel ever blocks for good)
        // or too much text is in flight.
        while !self.stopped
            && (self.sent - self.applied == self.lanes.len() * DEPTH
                || (self.sent > self.applied && self.in_flight.iter().sum::<usize>() + bytes > IN_FLIGHT_BYTES))
        {
            self.apply_next(checker, report);
        }
        if self.stopped {
            return;
        }
        let lane = &self.lanes[self.sent % self.lanes.len()];
        if lane.to_worker.send(work).is_err() {
            self.stopped = true;
            return;
        }
        self.in_flight.push_back(bytes);
        self.sent += 1;
    }

    /// Applies the analyses of the oldest piece of work, part by part.
    fn apply_next(&mut self, checker: &mut Checker, report: &mut dyn FnMut(Finding)) {
        let lane = &self.lanes[self.applied % self.lanes.len()];
        loop {
            let Ok(part) = lane.from_worker.recv() else {
                self.stopped = true;
                return;
            };
            for analysis in part.analyses {
                checker.apply(analysis, report);
            }
            if part.last {
                break;
            }
        }
        self.in_flight.pop_front();
        self.applied += 1;
    }
}

/// The bytes of text an event carries, which is most of the memory it holds.
fn weight(event: &Event) -> usize {
    match event {
        Event::Frame(frame) => match &frame.body {
            Body::Text(text) | Body::CaptureError(text) | Body::Unreadable(text) => text.len(),
            Body::Binary(binary) => binary.bytes.len(),
        },
        Event::Context(context) => context.json.len(),
        Event::Skipped(_) | Event::Transport(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyses_come_back_in_bounded_parts() {
        let text = "{}\n".repeat(1000);
        let mut pieces = Vec::new();
        zenith_capture::chunks(text.as_bytes(), Limits::default(), &mut |chunk| pieces.push(chunk.take())).unwrap();
        assert_eq!(pieces.len(), 1, "one piece of work");
        let (to_worker, work) = sync_channel(1);
        let (analysed, from_worker) = sync_channel(PARTS);
        to_worker.send(Work::Lines(pieces.pop().unwrap())).unwrap();
        drop(to_worker);
        let worker = std::thread::spawn(move || analyse("test", &Limits::default(), work, analysed));
        let parts: Vec<Part> = from_worker.iter().collect();
        worker.join().unwrap();
        let sizes: Vec<usize> = parts.iter().map(|p| p.analyses.len()).collect();
        assert!(sizes.iter().all(|&n| n <= BLOCK), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 1000);
        let last: Vec<bool> = parts.iter().map(|p| p.last).collect();
        assert_eq!(last.iter().filter(|&&l| l).count(), 1);
        assert_eq!(last.last(), Some(&true));
    }
}
