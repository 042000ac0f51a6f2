//! Protocol-aware checking of captured Zenith traffic: every message against its schema, every
//! connection's requests against their replies, and a summary in which every frame is counted.

mod conversation;
mod excerpt;
mod finding;
mod summary;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use zenith_capture::{Body, Event, Frame, Skipped};
use zenith_protocol::runtime::diagnostics::near_miss;
use zenith_protocol::{
    Controller, Direction, Envelope, EnvelopeKeys, EnvelopeText, MessageKind, Report, Severity, Validate, Verdict,
};

pub use finding::{Finding, Level};
pub use summary::{Latency, Row, Summary};

use conversation::{Conversation, Facts};

/// Checks the frames of one capture file, in order.
pub struct Checker {
    source: Arc<str>,
    conversations: HashMap<String, Conversation>,
    summary: Summary,
}

/// Where a message sits and what it is, shared by every finding about it.
#[derive(Clone, Debug)]
struct Place {
    conn: String,
    index: u64,
    line: Option<u64>,
    time: Option<f64>,
    direction: Option<Direction>,
    controller: Option<String>,
    topic: Option<String>,
    action: Option<String>,
}

impl Checker {
    /// `source` names the capture in findings (a file path, or `-` for standard input).
    pub fn new(source: &str) -> Checker {
        Checker { source: source.into(), conversations: HashMap::new(), summary: Summary::default() }
    }

    /// Checks one event from the capture reader, reporting findings to `out`.
    pub fn event(&mut self, event: Event, out: &mut dyn FnMut(Finding)) {
        match event {
            Event::Skipped(Skipped::BlankLine { .. }) => {
                self.summary.read += 1;
                self.summary.skipped += 1;
                self.summary.blank_lines += 1;
            }
            Event::Skipped(Skipped::HttpEntry { .. }) => self.summary.http_entries += 1,
            Event::Frame(frame) => {
                self.summary.read += 1;
                self.frame(frame, out);
            }
        }
    }

    /// Reports what only the end of the capture reveals (requests never answered) and returns
    /// the summary.
    pub fn finish(mut self, out: &mut dyn FnMut(Finding)) -> Summary {
        let mut conns: Vec<_> = self.conversations.into_iter().collect();
        conns.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, conversation) in conns {
            conversation.finish(&self.source, &mut self.summary, out);
        }
        self.summary.finalize();
        self.summary
    }

    fn frame(&mut self, frame: Frame, out: &mut dyn FnMut(Finding)) {
        let mut place = Place {
            conn: frame.conn,
            index: frame.index,
            line: frame.line,
            time: frame.time,
            direction: frame.direction,
            controller: None,
            topic: None,
            action: None,
        };
        let value = match frame.body {
            Body::Json(value) => value,
            Body::Text(text) => {
                if self.clean_while_parsing(&mut place, &text, out) {
                    return;
                }
                match serde_json::from_str::<Value>(&text) {
                    Ok(value) => value,
                    Err(error) => {
                        self.summary.unreadable += 1;
                        let message = format!("the message is not JSON: {error}");
                        return self.report(&place, Level::Error, "not-json", &message, out);
                    }
                }
            }
            Body::Binary { opcode, bytes } => {
                self.summary.skipped += 1;
                self.summary.binary += 1;
                let message = format!(
                    "binary message (opcode {opcode}, {bytes} bytes): BSON and MessagePack are not decoded yet"
                );
                return self.report(&place, Level::Info, "binary-message", &message, out);
            }
            Body::CaptureError(text) => {
                self.summary.skipped += 1;
                self.summary.capture_errors += 1;
                let text = excerpt::text(&text);
                return self.report(
                    &place,
                    Level::Info,
                    "capture-error",
                    &format!("the capture tool recorded an error: {text}"),
                    out,
                );
            }
            Body::Unreadable(reason) => {
                self.summary.unreadable += 1;
                return self.report(&place, Level::Error, "unreadable-frame", &reason, out);
            }
        };
        let keys = match EnvelopeKeys::read(&value) {
            Ok(keys) => keys,
            Err(error) => {
                self.summary.invalid += 1;
                return self.report(&place, Level::Error, "bad-envelope", &error.to_string(), out);
            }
        };
        place.controller = Some(keys.controller.to_owned());
        place.topic = keys.topic.map(str::to_owned);
        place.action = Some(keys.action.to_owned());
        let (kind, direction, report) = self.classify(&keys, &value, &place);
        let direction = direction.or(place.direction);
        let mut findings: Vec<Finding> = Vec::new();
        let mut collect = |f: Finding| findings.push(f);
        let covered = kind.is_some();
        let unknown_controller = !covered && self.unmatched(&keys, &place, &mut collect);
        for problem in &report.problems {
            if unknown_controller && problem.instance_path == "/Controller" {
                continue; // already reported, better worded
            }
            let level = if problem.severity == Severity::Error { Level::Error } else { Level::Warning };
            let excerpt = excerpt::at(&value, &problem.instance_path);
            collect(self.finding(
                &place,
                level,
                problem.code.as_str(),
                &problem.message,
                &problem.instance_path,
                problem.schema_path,
                excerpt,
            ));
        }
        if direction != place.direction {
            if let Some(inferred) = direction {
                self.summary.direction_inferred += 1;
                for finding in &mut findings {
                    finding.inferred = Some(inferred);
                }
            }
        }
        let has_error = findings.iter().any(|f| f.level == Level::Error);
        let has_warning = findings.iter().any(|f| f.level == Level::Warning);
        self.summary.count(&keys, covered, has_error, has_warning);
        for finding in findings {
            out(finding);
        }
        if let Some(direction) = direction {
            let facts = Facts {
                transaction: value.get("TransactionID").and_then(Value::as_i64),
                topic: value.get("Topic").and_then(Value::as_str).unwrap_or(""),
                confirm: value.get("Confirm").and_then(Value::as_bool) == Some(true),
                data: value.get("Data"),
            };
            let conversation = conversation(&mut self.conversations, &place.conn);
            conversation.message(&self.source, &place, direction, kind, &keys, &facts, &mut self.summary, out);
        }
    }

    /// The fast path: a message whose schema finds nothing wrong, established while parsing
    /// its text, without building a tree. False when the message needs the full treatment.
    fn clean_while_parsing(&mut self, place: &mut Place, text: &str, out: &mut dyn FnMut(Finding)) -> bool {
        if !text.trim_start().starts_with('{') {
            return false;
        }
        let Ok(envelope) = serde_json::from_str::<EnvelopeText<'_>>(text) else { return false };
        let keys = envelope.keys();
        if keys.action == "Error" {
            return false; // error replies are reported with the meaning of their codes
        }
        let directions: &[Direction] = match place.direction {
            Some(Direction::Send) => &[Direction::Send],
            Some(Direction::Receive) => &[Direction::Receive],
            None => &[Direction::Send, Direction::Receive],
        };
        let Some((kind, direction)) = directions
            .iter()
            .filter_map(|&d| keys.kind(d).map(|k| (k, d)))
            .find(|(kind, _)| stream_verdict(*kind, text) == Some(Verdict::Clean))
        else {
            return false;
        };
        if place.direction.is_none() {
            self.summary.direction_inferred += 1;
        }
        self.summary.count(&keys, true, false, false);
        let facts = Facts {
            transaction: envelope.transaction_id,
            topic: envelope.topic.as_deref().unwrap_or(""),
            confirm: envelope.confirm == Some(true),
            data: None,
        };
        let conversation = conversation(&mut self.conversations, &place.conn);
        conversation.message(&self.source, place, direction, Some(kind), &keys, &facts, &mut self.summary, out);
        true
    }

    /// Chooses the schema (and, when the capture does not say, the direction) for a message,
    /// and validates it. Unmatched messages are checked against the envelope alone.
    fn classify(
        &self,
        keys: &EnvelopeKeys<'_>,
        value: &Value,
        place: &Place,
    ) -> (Option<MessageKind>, Option<Direction>, Report) {
        let directions: &[Direction] = match place.direction {
            Some(Direction::Send) => &[Direction::Send],
            Some(Direction::Receive) => &[Direction::Receive],
            None => &[Direction::Send, Direction::Receive],
        };
        let candidates: Vec<(MessageKind, Direction)> =
            directions.iter().filter_map(|&d| keys.kind(d).map(|k| (k, d))).collect();
        // The fast verdicts settle almost every case; full reports are built only to break a
        // tie between candidates that both have problems.
        let verdicts: Vec<Verdict> = candidates.iter().map(|(kind, _)| kind.verdict(value)).collect();
        let best_verdict = verdicts.iter().min().copied();
        let mut best: Option<(MessageKind, Direction, Report)> = None;
        for ((kind, direction), verdict) in candidates.into_iter().zip(verdicts) {
            if Some(verdict) != best_verdict {
                continue;
            }
            let report = if verdict == Verdict::Clean { Report::default() } else { kind.validate(value) };
            // Fewest errors wins, then fewest warnings; a tie goes to the earlier direction.
            let score = |r: &Report| (r.errors().count(), r.warnings().count());
            if best.as_ref().is_none_or(|(_, _, b)| score(&report) < score(b)) {
                best = Some((kind, direction, report));
            }
            if verdict == Verdict::Clean {
                break;
            }
        }
        match best {
            Some((kind, direction, report)) => (Some(kind), Some(direction), report),
            None => (None, None, Envelope::validate(value)),
        }
    }

    /// A message no schema covers: an unknown controller or topic is an error; a topic of a
    /// controller whose schemas are still to come is only counted. True when the controller is
    /// unknown.
    fn unmatched(&self, keys: &EnvelopeKeys<'_>, place: &Place, out: &mut dyn FnMut(Finding)) -> bool {
        let schema_path = "schemas/envelope/Controller.json#/enum";
        if !Controller::KNOWN.contains(&keys.controller) {
            let mut message = format!("unknown controller `{}`", keys.controller);
            if let Some(near) = near_miss(keys.controller, Controller::KNOWN) {
                message.push_str(&format!(": did you mean `{near}`?"));
            }
            out(self.finding(place, Level::Error, "unknown-controller", &message, "/Controller", schema_path, None));
            return true;
        }
        if keys.topic.is_none() {
            let message = "required property `Topic` is missing (only `Error` messages may leave it out)";
            out(self.finding(
                place,
                Level::Error,
                "missing-required",
                message,
                "",
                "schemas/envelope/Envelope.json",
                None,
            ));
            return false;
        }
        let infos = || MessageKind::ALL.iter().map(|k| k.info()).filter(|i| i.controller == Some(keys.controller));
        if infos().next().is_none() {
            return false;
        }
        let topic = keys.topic.unwrap_or_default();
        let topics: Vec<&str> = {
            let mut topics: Vec<&str> = infos().filter_map(|i| i.topic).collect();
            topics.dedup();
            topics
        };
        let (code, message) = if topics.contains(&topic) {
            let direction = place.direction.map_or("either direction".to_owned(), |d| d.to_string());
            (
                "unexpected-message",
                format!("`{}` `{topic}` has no message with Action `{}` in {direction}", keys.controller, keys.action),
            )
        } else {
            let mut message = format!("`{}` has no topic `{topic}`", keys.controller);
            if let Some(near) = near_miss(topic, &topics) {
                message.push_str(&format!(": did you mean `{near}`?"));
            }
            ("unknown-topic", message)
        };
        out(self.finding(place, Level::Error, code, &message, "/Topic", "", None));
        false
    }

    fn report(&self, place: &Place, level: Level, code: &'static str, message: &str, out: &mut dyn FnMut(Finding)) {
        out(self.finding(place, level, code, message, "", "", None));
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        place: &Place,
        level: Level,
        code: &str,
        message: &str,
        instance_path: &str,
        schema_path: &str,
        excerpt: Option<String>,
    ) -> Finding {
        finding::new(&self.source, place, level, code, message, instance_path, schema_path, excerpt)
    }
}

/// The streaming verdict on a message's text (no tree); `None` when the text does not parse,
/// so the tree path can say why.
fn stream_verdict(kind: MessageKind, text: &str) -> Option<Verdict> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let verdict = kind.stream_verdict(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(verdict)
}

/// The conversation of a connection, created on first use (looked up without allocating).
fn conversation<'c>(conversations: &'c mut HashMap<String, Conversation>, conn: &str) -> &'c mut Conversation {
    if !conversations.contains_key(conn) {
        conversations.insert(conn.to_owned(), Conversation::default());
    }
    conversations.get_mut(conn).expect("inserted above")
}
