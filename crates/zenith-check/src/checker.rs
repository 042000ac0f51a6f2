//! The half of checking that follows each connection: analyses applied in capture order.

use std::sync::Arc;

use zenith_capture::{Code, Event};
use zenith_protocol::Severity;

use crate::analyze::{self, Analysis, TransportKind, analyze};
use crate::connections::{Connections, MAX_CONNECTIONS, Seat};
use crate::conversation::Conversation;
use crate::deadline::{DEFAULT_REPLY_TIMEOUT, Deadlines};
use crate::finding::{self, Finding, Place};
use crate::shown::Shown;
use crate::summary::{MAX_UNKNOWN_ROWS, OTHER, Summary};

/// Checks the frames of one capture file, in order.
pub struct Checker {
    source: Arc<str>,
    connections: Connections,
    /// By connection number.
    conversations: Vec<Conversation>,
    /// Requests and subscriptions waiting for an answer, over all connections.
    waiting: usize,
    /// Keys held by the subscriptions of all connections.
    keys: usize,
    summary: Summary,
    /// The credentials met so far, hidden in every finding shown.
    shown: Shown,
    /// Seconds a request may wait for its reply before it is reported; `None` for ever.
    reply_timeout: Option<f64>,
    /// The clock, and the timers of the requests waiting.
    deadlines: Deadlines,
}

impl Checker {
    /// `source` names the capture in findings (a file path, or `-` for standard input).
    pub fn new(source: &str) -> Checker {
        Checker {
            source: source.into(),
            connections: Connections::default(),
            conversations: Vec::new(),
            waiting: 0,
            keys: 0,
            summary: Summary::default(),
            shown: Shown::default(),
            reply_timeout: Some(DEFAULT_REPLY_TIMEOUT),
            deadlines: Deadlines::default(),
        }
    }

    /// Sets how many seconds a request may wait for its reply before it is reported as a
    /// `reply-timeout` (it goes on waiting; one not answered at all is still reported
    /// `unanswered-request` by [`Checker::finish`]). `None`, or anything but a finite number of
    /// zero or more, means never. [`Checker::new`] sets [`DEFAULT_REPLY_TIMEOUT`]. Set it
    /// before the first event: requests that arrived while there was none are never timed out.
    pub fn set_reply_timeout(&mut self, timeout: Option<f64>) {
        self.reply_timeout = timeout.filter(|t| t.is_finite() && *t >= 0.0);
    }

    /// How many seconds a request may wait for its reply before it is reported, if at all.
    pub fn reply_timeout(&self) -> Option<f64> {
        self.reply_timeout
    }

    /// Free text from the capture (a close reason) as findings show it: every credential, and
    /// every copy of one met so far, replaced.
    pub fn shown_text(&mut self, text: &str) -> String {
        self.shown.free_text(text)
    }

    /// Tells the checker the time is `now` (seconds since the epoch), so that requests waiting
    /// longer than the reply timeout are reported now rather than at the next message: what a
    /// live check calls from a timer. The clock never goes back, and a time that is not finite
    /// is ignored. Findings pass the redaction rules as in [`Checker::apply`].
    pub fn tick(&mut self, now: f64, out: &mut dyn FnMut(Finding)) {
        self.deadlines.advance(now);
        let mut shown = std::mem::take(&mut self.shown);
        let mut codes = std::mem::take(&mut self.summary.findings);
        self.expire(&mut |finding| {
            count_code(&mut codes, &finding.code);
            out(shown.finding(finding))
        });
        self.shown = shown;
        self.summary.findings = codes;
    }

    /// Reports the requests whose reply timeout has passed by the clock, soonest first.
    fn expire(&mut self, out: &mut dyn FnMut(Finding)) {
        let Some(timeout) = self.reply_timeout else { return };
        while let Some((number, arrival)) = self.deadlines.due(timeout) {
            if let Some(conversation) = self.conversations.get(number) {
                conversation.time_out(&self.source, arrival, timeout, &mut self.summary, out);
            }
        }
    }

    /// The name findings give the capture.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Checks one event from the capture reader, reporting findings to `out`.
    pub fn event(&mut self, event: Event, out: &mut dyn FnMut(Finding)) {
        let analysis = analyze(&self.source, event);
        self.apply(analysis, out);
    }

    /// Counts an analysed event and follows its conversation. Analyses must arrive in capture
    /// order. Every finding passes the redaction rules on its way out, with the credentials met
    /// up to this message. The event's time, if later than any before, first moves the clock
    /// on, reporting the requests waiting longer than the reply timeout by then.
    pub fn apply(&mut self, analysis: Analysis, out: &mut dyn FnMut(Finding)) {
        self.apply_watched(analysis, out, &mut |_, _| {});
    }

    /// Checks one event as [`Checker::event`] does, keeping the `Data` of the data pushed on
    /// the full topic `keep` in its analysis, which `watch` is shown (see
    /// [`Checker::apply_watched`]).
    pub(crate) fn event_watched(
        &mut self,
        event: Event,
        keep: &str,
        out: &mut dyn FnMut(Finding),
        watch: &mut dyn FnMut(&Analysis, Option<u64>),
    ) {
        let analysis = analyze::analyze_keeping(&self.source, event, Some(keep));
        self.apply_watched(analysis, out, watch);
    }

    /// Applies an analysis as [`Checker::apply`] does, showing it to `watch` once numbered,
    /// before it is followed: with its index on its connection, when it is a frame on a
    /// connection followed.
    pub(crate) fn apply_watched(
        &mut self,
        analysis: Analysis,
        out: &mut dyn FnMut(Finding),
        watch: &mut dyn FnMut(&Analysis, Option<u64>),
    ) {
        let mut shown = std::mem::take(&mut self.shown);
        let mut codes = std::mem::take(&mut self.summary.findings);
        shown.learn(analysis.credentials());
        if let Analysis::Context { unsure: true, .. } = analysis {
            shown.withhold();
        }
        let out = &mut |finding: Finding| {
            count_code(&mut codes, &finding.code);
            out(shown.finding(finding))
        };
        if let Some(time) = analysis.time() {
            self.deadlines.advance(time);
            self.expire(out);
        }
        self.count(analysis, out, watch);
        self.shown = shown;
        self.summary.findings = codes;
    }

    fn count(
        &mut self,
        mut analysis: Analysis,
        out: &mut dyn FnMut(Finding),
        watch: &mut dyn FnMut(&Analysis, Option<u64>),
    ) {
        // Messages are numbered here, in capture order, since analyses may come from any thread.
        let mut indexed = None;
        let number = match analysis.conn().map(|conn| self.connections.message(&conn)) {
            Some(Seat::Followed { number, index }) => {
                analysis.set_index(index);
                indexed = Some(index);
                Some(number)
            }
            Some(Seat::Beyond { first }) => {
                if let Some(place) = first.then(|| analysis.place()).flatten() {
                    out(connection_limit(&self.source, &place));
                }
                None
            }
            None => None,
        };
        watch(&analysis, indexed);
        let summary = &mut self.summary;
        match analysis {
            Analysis::HttpEntry => summary.http_entries += 1,
            Analysis::Packet => summary.packets_skipped += 1,
            Analysis::Transport { kind, finding } => {
                match kind {
                    TransportKind::Upgrade => summary.websocket_upgrades += 1,
                    TransportKind::Control => summary.control_frames += 1,
                    TransportKind::Problem => {}
                }
                if let Some(finding) = finding {
                    out(*finding);
                }
            }
            Analysis::Context { .. } => {}
            Analysis::BlankLine => {
                summary.read += 1;
                summary.skipped += 1;
                summary.blank_lines += 1;
            }
            Analysis::Unreadable(finding, _) => {
                summary.read += 1;
                summary.unreadable += 1;
                out(*finding);
            }
            Analysis::Skipped { finding, .. } => {
                summary.read += 1;
                summary.skipped += 1;
                summary.capture_errors += 1;
                out(*finding);
            }
            Analysis::BadEnvelope(finding, _) => {
                summary.read += 1;
                summary.invalid += 1;
                out(*finding);
            }
            Analysis::Message(mut checked) => {
                summary.read += 1;
                if checked.inferred {
                    summary.direction_inferred += 1;
                }
                if let Some((_, inferred)) = checked.binary {
                    summary.binary += 1;
                    summary.encoding_inferred += u64::from(inferred);
                }
                // What the conversation finds about this message (a reply on the wrong topic, a
                // change to an unknown key) counts in its state too, and in its findings' budget.
                let index = checked.place.index;
                // A copy (a few counts), as the conversation reads the message's own.
                let mut limit = checked.limit.clone();
                let mut later = Vec::new();
                if let (Some(direction), Some(number)) = (checked.direction, number) {
                    if self.conversations.len() <= number {
                        self.conversations.resize_with(number + 1, Default::default);
                    }
                    let conversation = &mut self.conversations[number];
                    let arrival = conversation.message(
                        &self.source,
                        &checked,
                        direction,
                        &mut self.waiting,
                        &mut self.keys,
                        summary,
                        &mut |finding| {
                            if finding.index != index || limit.admit(&finding) {
                                later.push(finding);
                            }
                        },
                    );
                    if let (Some(arrival), Some(_)) = (arrival, self.reply_timeout) {
                        self.deadlines.start(checked.place.time, number, arrival);
                        let conversations = &self.conversations;
                        let waits =
                            |number: usize, arrival| conversations.get(number).is_some_and(|c| c.waits(arrival));
                        self.deadlines.sweep(self.waiting, waits);
                    }
                }
                let about = |f: &&Finding| f.index == index;
                let all = || checked.findings.iter().chain(later.iter().filter(about));
                let has = |level| limit.worst() == Some(level) || all().any(|f| f.level == level);
                let (has_error, has_warning) = (has(Severity::Error), has(Severity::Warning));
                for finding in std::mem::take(&mut checked.findings) {
                    out(finding);
                }
                if summary.count(&checked.place, has_error, has_warning) {
                    out(row_limit(&self.source, &checked.place));
                }
                let omitted = limit.finding(&self.source, &checked.place);
                for mut finding in later.into_iter().chain(omitted) {
                    if finding.index == index && finding.direction.is_none() && checked.inferred {
                        finding.inferred = checked.direction;
                    }
                    out(finding);
                }
            }
        }
    }

    /// Reports what only the end of the capture reveals and returns the summary: first the
    /// requests whose reply timeout has passed by the latest time seen, then the requests never
    /// answered (those timed out too).
    pub fn finish(mut self, out: &mut dyn FnMut(Finding)) -> Summary {
        let mut shown = std::mem::take(&mut self.shown);
        let mut codes = std::mem::take(&mut self.summary.findings);
        {
            let out = &mut |finding: Finding| {
                count_code(&mut codes, &finding.code);
                out(shown.finding(finding))
            };
            self.expire(out);
            for (_, number) in self.connections.by_id() {
                if let Some(conversation) = self.conversations.get_mut(number) {
                    std::mem::take(conversation).finish(&self.source, &mut self.summary, out);
                }
            }
        }
        self.summary.findings = codes;
        self.summary.hide_names(&mut |name| shown.name(name));
        self.summary.finalize();
        self.summary
    }
}

/// The warning at the first message on a connection beyond [`MAX_CONNECTIONS`].
fn connection_limit(source: &str, place: &Place) -> Finding {
    let message = format!(
        "more than {MAX_CONNECTIONS} connections: messages on this and later new connections are checked against \
         their schemas, but not numbered (index 0) nor paired with replies"
    );
    finding::new(source, place, Severity::Warning, Code::ConnectionLimit, &message, "", "", None)
}

/// The remark at the first message counted in the summary's `(other)` row.
/// Counts a finding under its code.
fn count_code(codes: &mut std::collections::BTreeMap<String, u64>, code: &str) {
    match codes.get_mut(code) {
        Some(count) => *count += 1,
        None => {
            codes.insert(code.to_owned(), 1);
        }
    }
}

fn row_limit(source: &str, place: &Place) -> Finding {
    let message = format!(
        "more than {MAX_UNKNOWN_ROWS} Controller/Topic/Action combinations that no schema knows: the summary \
         counts this one and later new ones together, as `{OTHER}`"
    );
    finding::new(source, place, Severity::Info, Code::SummaryLimit, &message, "", "", None)
}

#[cfg(test)]
mod tests {
    /// Requests answered at once leave their timers behind, but never more than a bounded
    /// number of them.
    #[test]
    fn timers_of_answered_requests_do_not_pile_up() {
        use zenith_capture::{Body, Direction, Event, Frame, Origin};
        let frame = |direction, text: String| {
            let origin = Origin::Line { line: 1, conn: Some("a".into()) };
            Event::Frame(Frame { origin, time: Some(0.0), direction: Some(direction), body: Body::Text(text) })
        };
        let mut checker = super::Checker::new("capture");
        let mut most = 0;
        for id in 0..10_000 {
            let envelope = format!(r#""Controller":"Auth","Topic":"QueryIdentify","TransactionID":{id}"#);
            checker.event(frame(Direction::Send, format!("{{{envelope}}}")), &mut |_| {});
            checker.event(frame(Direction::Receive, format!(r#"{{{envelope},"Data":{{}}}}"#)), &mut |_| {});
            most = most.max(checker.deadlines.len());
        }
        assert!(most <= 2 * 1_024 + 1, "{most} timers");
        let summary = checker.finish(&mut |_| {});
        assert_eq!((summary.requests, summary.replies, summary.timed_out), (10_000, 10_000, 0));
    }
}
