//! Totals for a whole check, in which every frame read is accounted for.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::finding::{Name, Place, intern_action, intern_controller, intern_topic};
use serde::Serialize;

/// The most summary rows for Controller/Topic/Action combinations that no schema knows (the
/// known ones are few). Messages of later such combinations share one row, [`OTHER`].
pub const MAX_UNKNOWN_ROWS: usize = 256;
/// The Controller, Topic and Action of the row that counts the combinations beyond the limit.
pub const OTHER: &str = "(other)";

/// Counts for one Controller/Topic/Action, one per state (see [`Summary`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub controller: String,
    pub topic: String,
    pub action: String,
    pub valid: u64,
    pub with_warnings: u64,
    pub invalid: u64,
}

/// Reply latency over paired requests and replies, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    pub count: u64,
    pub median_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Everything counted. Every frame read is in exactly one state:
/// `read = valid + with_warnings + invalid + unreadable + skipped`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Frames read (HAR message items, JSON Lines lines including blank ones, websocket
    /// messages of packet captures after defragmentation).
    pub read: u64,
    /// Messages with no problem at all.
    pub valid: u64,
    /// Messages with warnings but no error.
    pub with_warnings: u64,
    /// Messages with at least one error (a message no schema takes has one).
    pub invalid: u64,
    /// Frames that are not JSON, not UTF-8, too large, or malformed capture items.
    pub unreadable: u64,
    /// Capture-tool error items and blank lines.
    pub skipped: u64,
    pub capture_errors: u64,
    pub blank_lines: u64,
    /// Binary messages (BSON or MessagePack), decoded and checked as the JSON they stand for
    /// (in any state).
    pub binary: u64,
    /// Binary messages whose encoding the capture did not name and the checker inferred.
    pub encoding_inferred: u64,
    /// Messages whose direction the capture did not give and the checker inferred (in any
    /// state).
    pub direction_inferred: u64,
    /// HAR entries that are not websocket connections (not frames).
    pub http_entries: u64,
    /// Websocket connections whose upgrade a packet capture holds.
    pub websocket_upgrades: u64,
    /// Websocket control frames (ping, pong, close) of packet captures: not messages, so not
    /// in `read`.
    pub control_frames: u64,
    /// Packets skipped (not TCP, no data, on connections beyond the limit): not frames.
    pub packets_skipped: u64,
    pub requests: u64,
    pub replies: u64,
    pub unanswered: u64,
    /// Requests that waited longer than the reply timeout, answered later or never.
    pub timed_out: u64,
    pub orphan_replies: u64,
    pub error_replies: u64,
    pub subscriptions_confirmed: u64,
    pub latency: Latency,
    /// How many findings of each code, by code.
    pub findings: std::collections::BTreeMap<String, u64>,
    /// Reply latencies kept for the median: every one up to [`MAX_LATENCY_SAMPLES`], then an
    /// even sample of them (see [`Latencies`]).
    #[serde(skip)]
    latencies: Latencies,
    /// Per Controller/Topic/Action, sorted.
    pub messages: Vec<Row>,
    /// Rows in order of first sight, found by Controller, Topic and Action (names the schemas
    /// know are shared, so looking one up copies nothing).
    #[serde(skip)]
    rows: Vec<Row>,
    #[serde(skip)]
    row_index: FxHashMap<(Name, Option<Name>, Name), usize>,
    /// Rows for combinations that no schema knows, beyond the `(other)` row.
    #[serde(skip)]
    unknown_rows: usize,
    /// The `(other)` row, once there is one.
    #[serde(skip)]
    other_row: Option<usize>,
}

/// The key of a summary row.
type RowKey = (Name, Option<Name>, Name);

impl Summary {
    /// Counts one message. True when it is the first to be counted in the `(other)` row.
    pub(crate) fn count(&mut self, place: &Place, error: bool, warning: bool) -> bool {
        let name = |name: &Option<Name>| name.clone().unwrap_or_default();
        let first_other = self.other_row.is_none();
        let row = self.row((name(&place.controller), place.topic.clone(), name(&place.action)));
        let row = &mut self.rows[row];
        let (total, in_row) = match (error, warning) {
            (true, _) => (&mut self.invalid, &mut row.invalid),
            (false, true) => (&mut self.with_warnings, &mut row.with_warnings),
            (false, false) => (&mut self.valid, &mut row.valid),
        };
        *total += 1;
        *in_row += 1;
        first_other && self.other_row.is_some()
    }

    /// The index of the row for a Controller/Topic/Action, created on first sight; the
    /// `(other)` row for a new combination no schema knows once there are enough of those.
    fn row(&mut self, key: RowKey) -> usize {
        if let Some(index) = self.row_index.get(&key) {
            return *index;
        }
        // Names the schemas know are shared, never copied; any other name is a copy.
        let (controller, topic, action) = &key;
        let unknown =
            [Some(controller), topic.as_ref(), Some(action)].into_iter().flatten().any(|n| matches!(n, Cow::Owned(_)));
        if unknown {
            if self.unknown_rows >= MAX_UNKNOWN_ROWS {
                return self.other_row();
            }
            self.unknown_rows += 1;
        }
        let row = Row {
            controller: controller.to_string(),
            topic: topic.as_deref().unwrap_or("").to_owned(),
            action: action.to_string(),
            ..Row::default()
        };
        self.rows.push(row);
        self.row_index.insert(key, self.rows.len() - 1);
        self.rows.len() - 1
    }

    fn other_row(&mut self) -> usize {
        if let Some(index) = self.other_row {
            return index;
        }
        let name = || OTHER.to_owned();
        self.rows.push(Row { controller: name(), topic: name(), action: name(), ..Row::default() });
        self.other_row = Some(self.rows.len() - 1);
        self.rows.len() - 1
    }

    pub(crate) fn latency(&mut self, milliseconds: f64) {
        self.latencies.add(milliseconds);
    }

    /// Adds another file's counts to these; [`Summary::finalize`] fills the derived fields
    /// once all are in.
    pub fn merge(&mut self, other: Summary) {
        self.read += other.read;
        self.valid += other.valid;
        self.invalid += other.invalid;
        self.unreadable += other.unreadable;
        self.skipped += other.skipped;
        self.binary += other.binary;
        self.capture_errors += other.capture_errors;
        self.blank_lines += other.blank_lines;
        self.with_warnings += other.with_warnings;
        self.direction_inferred += other.direction_inferred;
        self.http_entries += other.http_entries;
        self.encoding_inferred += other.encoding_inferred;
        self.websocket_upgrades += other.websocket_upgrades;
        self.control_frames += other.control_frames;
        self.packets_skipped += other.packets_skipped;
        self.requests += other.requests;
        self.replies += other.replies;
        self.unanswered += other.unanswered;
        self.timed_out += other.timed_out;
        self.orphan_replies += other.orphan_replies;
        self.error_replies += other.error_replies;
        self.subscriptions_confirmed += other.subscriptions_confirmed;
        for (code, count) in other.findings {
            *self.findings.entry(code).or_default() += count;
        }
        self.latencies.absorb(other.latencies);
        for (index, row) in other.rows.into_iter().enumerate() {
            // The names are looked up again, so that known ones are told from the rest.
            let mine = if other.other_row == Some(index) {
                self.other_row()
            } else {
                let topic = (!row.topic.is_empty()).then(|| intern_topic(&row.topic));
                self.row((intern_controller(&row.controller), topic, intern_action(&row.action)))
            };
            let mine = &mut self.rows[mine];
            mine.valid += row.valid;
            mine.with_warnings += row.with_warnings;
            mine.invalid += row.invalid;
        }
    }

    /// Passes every Controller, Topic and Action name taken from the capture through `hide`.
    pub(crate) fn hide_names(&mut self, hide: &mut dyn FnMut(&str) -> String) {
        for row in &mut self.rows {
            for name in [&mut row.controller, &mut row.topic, &mut row.action] {
                *name = hide(name);
            }
        }
    }

    /// Fills the derived fields (`messages`, `latency`).
    pub fn finalize(&mut self) {
        let other = self.other_row;
        let mut messages: Vec<Row> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(index, _)| Some(*index) != other)
            .map(|(_, row)| row.clone())
            .collect();
        messages.sort_by(|a, b| (&a.controller, &a.topic, &a.action).cmp(&(&b.controller, &b.topic, &b.action)));
        // The `(other)` row comes last.
        messages.extend(other.and_then(|index| self.rows.get(index)).cloned());
        self.messages = messages;
        let mut sorted = self.latencies.kept.clone();
        sorted.sort_by(f64::total_cmp);
        // To a tenth of a millisecond: capture clocks tell no finer.
        let tenth = |ms: f64| (ms * 10.0).round() / 10.0;
        self.latency = Latency {
            count: self.latencies.count,
            median_ms: (!sorted.is_empty()).then(|| {
                let mid = sorted.len() / 2;
                tenth(if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 })
            }),
            max_ms: self.latencies.max.map(tenth),
        };
    }

    /// The messages read: every frame but those skipped (blank lines, capture errors).
    pub fn messages(&self) -> u64 {
        self.read - self.skipped
    }

    /// True when every frame read is in exactly one state.
    pub fn balanced(&self) -> bool {
        self.read == self.valid + self.with_warnings + self.invalid + self.unreadable + self.skipped
    }
}

/// The most reply latencies a summary keeps (8 MiB of them): past it, the median is taken over
/// an even sample, every second, fourth, ... reply, so that a capture of countless replies
/// needs no more memory than this.
pub const MAX_LATENCY_SAMPLES: usize = 1 << 20;

/// Reply latencies, counted and their maximum kept exactly; the values themselves kept up to
/// [`MAX_LATENCY_SAMPLES`], then every `stride`-th.
#[derive(Clone, Debug, Default, PartialEq)]
struct Latencies {
    kept: Vec<f64>,
    count: u64,
    max: Option<f64>,
    /// Keep one latency in this many (a power of two; 0 until the first).
    stride: u64,
}

impl Latencies {
    fn add(&mut self, milliseconds: f64) {
        self.stride = self.stride.max(1);
        if self.count.is_multiple_of(self.stride) {
            self.kept.push(milliseconds);
            self.thin();
        }
        self.count += 1;
        self.max = Some(self.max.map_or(milliseconds, |max| max.max(milliseconds)));
    }

    /// Takes in another summary's latencies (each side's sample stands for its own replies).
    fn absorb(&mut self, other: Latencies) {
        self.kept.extend(other.kept);
        self.count += other.count;
        self.stride = self.stride.max(other.stride);
        self.max = match (self.max, other.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.thin();
    }

    /// Past the limit, every other value kept goes, and half as many are kept from then on.
    fn thin(&mut self) {
        while self.kept.len() > MAX_LATENCY_SAMPLES {
            let mut index = 0;
            self.kept.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.stride = self.stride.max(1) * 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_past_the_limit_are_sampled_evenly_with_count_and_maximum_exact() {
        let mut summary = Summary::default();
        let replies = 3 * MAX_LATENCY_SAMPLES as u64 + 7;
        // Latencies 0 to 999 ms, over and over: the median is 499.5 whatever the sample.
        for n in 0..replies {
            summary.latency((n % 1000) as f64);
        }
        summary.latency(5000.0);
        assert!(summary.latencies.kept.len() <= MAX_LATENCY_SAMPLES);
        let mut other = Summary::default();
        other.latency(1.0);
        summary.merge(other);
        summary.finalize();
        assert_eq!(summary.latency.count, replies + 2);
        assert_eq!(summary.latency.max_ms, Some(5000.0));
        let median = summary.latency.median_ms.unwrap();
        assert!((495.0..=505.0).contains(&median), "{median}");
    }
}
