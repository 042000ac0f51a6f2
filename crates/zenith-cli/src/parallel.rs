//! Checking one capture on several threads: this thread reads and follows the conversations,
//! the others analyse batches of frames. Batches go to the workers in turn and their analyses
//! come back in the same turn, so they are applied in capture order and the output does not
//! depend on the number of threads. At most a few batches, and a few megabytes of message
//! text, are in flight, so memory stays bounded however large the messages.

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use zenith_capture::{Body, Event, Format, Limits, ReadError};
use zenith_check::{Analysis, Checker, Finding, analyze};

/// Frames per batch: large enough to amortise the hand-offs, small enough to keep memory low.
const BATCH: usize = 1024;
/// A batch is sent early when it holds this much message text.
const BATCH_BYTES: usize = 1 << 20;
/// Batches in flight per worker.
const DEPTH: usize = 4;
/// Message text in flight, beyond the batch being sent.
const IN_FLIGHT_BYTES: usize = 16 << 20;

/// Checks with `workers` analysing threads besides this one.
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
        let lanes: Vec<Lane> = (0..workers.max(1))
            .map(|_| {
                let (to_worker, batches) = sync_channel::<Vec<Event>>(DEPTH);
                let (analysed, from_worker) = sync_channel::<Vec<Analysis>>(DEPTH);
                let source = source.as_str();
                scope.spawn(move || {
                    for batch in batches {
                        let analyses = batch.into_iter().map(|event| analyze(source, event)).collect();
                        if analysed.send(analyses).is_err() {
                            return;
                        }
                    }
                });
                Lane { to_worker, from_worker }
            })
            .collect();
        let mut turns = Turns { lanes, sent: 0, applied: 0, in_flight: VecDeque::new() };
        let (mut batch, mut bytes) = (Vec::with_capacity(BATCH), 0);
        let result = zenith_capture::read(format, reader, limits, &mut |event| {
            bytes += weight(&event);
            batch.push(event);
            if batch.len() == BATCH || bytes >= BATCH_BYTES {
                turns.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)), bytes, checker, report);
                bytes = 0;
            }
        });
        if !batch.is_empty() {
            turns.send(batch, bytes, checker, report);
        }
        while turns.applied < turns.sent {
            turns.apply_next(checker, report);
        }
        result
    })
}

struct Lane {
    to_worker: SyncSender<Vec<Event>>,
    from_worker: Receiver<Vec<Analysis>>,
}

/// Batch `n` goes to lane `n % lanes`; batches are applied in the order they were sent.
struct Turns {
    lanes: Vec<Lane>,
    sent: usize,
    applied: usize,
    /// The bytes of message text in each batch sent and not yet applied, oldest first.
    in_flight: VecDeque<usize>,
}

impl Turns {
    fn send(&mut self, batch: Vec<Event>, bytes: usize, checker: &mut Checker, report: &mut dyn FnMut(Finding)) {
        // Apply the oldest first while the lanes are full (so no channel ever blocks for good)
        // or too much text is in flight.
        while self.sent - self.applied == self.lanes.len() * DEPTH
            || (self.sent > self.applied && self.in_flight.iter().sum::<usize>() + bytes > IN_FLIGHT_BYTES)
        {
            self.apply_next(checker, report);
        }
        let lane = &self.lanes[self.sent % self.lanes.len()];
        lane.to_worker.send(batch).expect("the checking threads outlive the reading");
        self.in_flight.push_back(bytes);
        self.sent += 1;
    }

    fn apply_next(&mut self, checker: &mut Checker, report: &mut dyn FnMut(Finding)) {
        let lane = &self.lanes[self.applied % self.lanes.len()];
        let analyses = lane.from_worker.recv().expect("a checking thread stopped");
        for analysis in analyses {
            checker.apply(analysis, report);
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
            Body::Binary { .. } => 0,
        },
        Event::Skipped(_) => 0,
    }
}
