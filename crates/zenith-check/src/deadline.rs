//! The clock of a check and the timers of the requests waiting for a reply, soonest first.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// How long a request may wait for its reply before it is reported, in seconds: the server's
/// documented default `ActionTimeout`.
pub const DEFAULT_REPLY_TIMEOUT: f64 = 35.0;

/// Below this many timers, timers of requests no longer waiting are never swept out.
const SWEEP_FLOOR: usize = 1_024;

/// One waiting request's timer: when its wait started, and which request it is.
#[derive(Clone, Copy, Debug)]
struct Timer {
    /// Seconds since the epoch; always finite.
    start: f64,
    connection: u32,
    arrival: u64,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Timer) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Timer {}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Timer) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timer {
    fn cmp(&self, other: &Timer) -> Ordering {
        self.start
            .total_cmp(&other.start)
            .then(self.connection.cmp(&other.connection))
            .then(self.arrival.cmp(&other.arrival))
    }
}

/// The latest time seen and the timers of the requests that may still be waiting. A timer
/// whose request was answered or given up stays until it is due or swept out; either way it is
/// then dropped without a word.
#[derive(Debug, Default)]
pub struct Deadlines {
    timers: BinaryHeap<Reverse<Timer>>,
    /// The latest finite time seen: the clock never goes back.
    now: Option<f64>,
}

impl Deadlines {
    /// Moves the clock on to `time`; an earlier time, or one that is not finite, leaves it.
    pub fn advance(&mut self, time: f64) {
        if time.is_finite() {
            self.now = Some(self.now.map_or(time, |now| now.max(time)));
        }
    }

    /// Starts the timer of a request sent at `sent`, from then or, when the clock is past it
    /// already (a capture's times out of order), from now, so that no request times out
    /// earlier than it should. A request without a finite time gets none.
    pub fn start(&mut self, sent: Option<f64>, connection: usize, arrival: u64) {
        let (Some(sent), Ok(connection)) = (sent.filter(|t| t.is_finite()), u32::try_from(connection)) else { return };
        let start = self.now.map_or(sent, |now| now.max(sent));
        self.timers.push(Reverse(Timer { start, connection, arrival }));
    }

    /// Takes the soonest timer that `timeout` seconds make due by now: its connection and
    /// arrival number.
    pub fn due(&mut self, timeout: f64) -> Option<(usize, u64)> {
        let now = self.now?;
        let Reverse(soonest) = self.timers.peek()?;
        if soonest.start + timeout > now {
            return None;
        }
        let Reverse(timer) = self.timers.pop()?;
        Some((timer.connection as usize, timer.arrival))
    }

    /// Drops the timers of requests no longer waiting (`waits` tells) once they may be more
    /// than half of all: `waiting` is at least the number of requests still waiting. So the
    /// timers number at most twice the requests waiting (or [`SWEEP_FLOOR`]), and each sweep
    /// drops at least as many timers as it keeps.
    pub fn sweep(&mut self, waiting: usize, waits: impl Fn(usize, u64) -> bool) {
        if self.timers.len() <= 2 * waiting.max(SWEEP_FLOOR) {
            return;
        }
        self.timers.retain(|Reverse(timer)| waits(timer.connection as usize, timer.arrival));
    }

    /// How many timers are held, for tests of the bound.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.timers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fall_due_soonest_first_and_the_clock_never_goes_back() {
        let mut deadlines = Deadlines::default();
        deadlines.advance(10.0);
        deadlines.start(Some(10.0), 1, 0);
        deadlines.start(Some(5.0), 0, 7); // sent before the clock: waits from 10 too
        deadlines.advance(20.0);
        deadlines.start(Some(20.0), 0, 8);
        deadlines.advance(f64::NAN);
        deadlines.advance(f64::INFINITY);
        deadlines.advance(1.0);
        deadlines.start(None, 0, 9);
        deadlines.start(Some(f64::NAN), 0, 10);
        assert_eq!(deadlines.due(35.0), None);
        deadlines.advance(45.0);
        assert_eq!(deadlines.due(35.0), Some((0, 7)));
        assert_eq!(deadlines.due(35.0), Some((1, 0)));
        assert_eq!(deadlines.due(35.0), None);
        deadlines.advance(55.0);
        assert_eq!(deadlines.due(35.0), Some((0, 8)));
        assert_eq!(deadlines.due(35.0), None);
        assert_eq!(deadlines.len(), 0);
    }

    #[test]
    fn timers_of_requests_no_longer_waiting_are_swept_out() {
        let mut deadlines = Deadlines::default();
        for arrival in 0..=2 * SWEEP_FLOOR as u64 {
            deadlines.start(Some(0.0), 0, arrival);
            deadlines.sweep(1, |_, arrival| arrival == 3);
        }
        assert_eq!(deadlines.len(), 1);
        deadlines.advance(100.0);
        assert_eq!(deadlines.due(35.0), Some((0, 3)));
    }
}
