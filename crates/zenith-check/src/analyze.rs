//! The per-message half of checking: everything that depends on one frame alone (parsing,
//! schema choice, validation, findings). It needs no shared state, so frames can be analysed
//! on several threads and applied in order afterwards.

use std::borrow::Cow;

use serde_json::Value;
use zenith_capture::{Body, Code, Control, Decoded, Encoding, Event, Frame, Skipped, Transport, TransportEvent};
use zenith_protocol::runtime::diagnostics::near_miss;
use zenith_protocol::runtime::stream;
use zenith_protocol::{
    CleanText, Controller, Direction, EnvelopeKeys, ErrorCodeInfo, MessageInfo, MessageKind, Role, Severity,
    TopicProblem, Verdict, controller_topics,
};

use crate::classify::classify;
use crate::duplicates::{self, Repeated};
use zenith_protocol::runtime::state::effects::{self, Effects};

use crate::data;
use crate::excerpt;
use crate::finding::{self, Finding, Name, Place, intern_action, intern_controller, intern_topic};
use crate::limit::Limit;
use crate::outline;
use crate::shown::{self, Credentials};

/// What one capture event turned out to be.
pub enum Analysis {
    BlankLine,
    HttpEntry,
    /// A packet of a packet capture with nothing to read.
    Packet,
    /// A connection event of a packet capture: a control frame, the websocket upgrade, or a
    /// problem below the messages, with what it says, if anything.
    Transport {
        kind: TransportKind,
        finding: Option<Box<Finding>>,
    },
    /// A frame counted as unreadable, with the finding that says why.
    Unreadable(Box<Finding>, Credentials),
    /// A capture-tool error item, counted as skipped.
    Skipped {
        finding: Box<Finding>,
        credentials: Credentials,
    },
    /// A JSON value that is not a usable envelope.
    BadEnvelope(Box<Finding>, Credentials),
    /// Text around the messages (HTTP headers, URLs, bodies, members of a message item beside
    /// its `data`): never shown, only read for the credentials it holds. `unsure` when one of
    /// them may have been learnt in part (see [`unsure`]): values are withheld from then on.
    Context {
        credentials: Credentials,
        unsure: bool,
    },
    Message(Box<Checked>),
}

/// A message parsed and checked against its schema.
pub struct Checked {
    /// Where the message is, with its Controller, Topic (name) and Action filled in.
    pub place: Place,
    /// For a binary message: its encoding, and whether the capture left it to be inferred.
    pub binary: Option<(Encoding, bool)>,
    pub kind: Option<MessageKind>,
    /// The direction used: the capture's, or the inferred one.
    pub direction: Option<Direction>,
    pub inferred: bool,
    /// The findings kept; `limit` counts those left out.
    pub findings: Vec<Finding>,
    pub limit: Limit,
    pub transaction: Option<i64>,
    /// The whole topic, arguments included.
    pub full_topic: Name,
    pub confirm: bool,
    /// For `Error` messages: the codes with their documented meanings.
    pub error_text: Option<String>,
    /// The credentials in the message, so that their copies are never shown.
    pub credentials: Credentials,
    /// For data pushed on a subscription: what it does to the subscription's state.
    pub effects: Option<Effects>,
    /// For data pushed on the topic the analysis was asked to keep: its `Data`.
    pub data: Option<data::Data>,
}

impl Checked {
    /// A message its schema accepts without a remark.
    fn clean(place: Place, clean: CleanText<'_>, credentials: Credentials) -> Checked {
        let keys = clean.envelope.keys();
        let place = place.with_keys(&keys, Some(clean.kind));
        Checked {
            binary: None,
            full_topic: place.full_topic(&keys),
            inferred: place.direction.is_none(),
            place,
            kind: Some(clean.kind),
            direction: Some(clean.direction),
            findings: Vec::new(),
            limit: Limit::default(),
            transaction: clean.envelope.transaction_id,
            confirm: clean.envelope.confirm == Some(true),
            error_text: None,
            credentials,
            effects: None,
            data: None,
        }
    }

    /// True when an error was found about the message, kept or not.
    pub fn has_error(&self) -> bool {
        self.limit.worst() == Some(Severity::Error) || self.findings.iter().any(|f| f.level == Severity::Error)
    }

    /// The kind's catalog entry, when the message is data pushed on a subscription.
    fn push(&self) -> Option<&'static MessageInfo> {
        let role = self.direction.zip(self.place.action.as_deref()).and_then(|(d, a)| Role::of(a, d));
        self.kind.filter(|_| self.transaction.is_none() && role == Some(Role::Answer)).map(MessageKind::info)
    }
}

// `Place` itself lives in `finding`; what the analysis adds to it is here.
impl Place {
    /// The place with the message's Controller, Topic and Action, taken from the kind's own
    /// names when they match.
    fn with_keys(mut self, keys: &EnvelopeKeys<'_>, kind: Option<MessageKind>) -> Place {
        let info = kind.map(MessageKind::info);
        let known = |name: Option<&'static str>, wanted: &str| name.filter(|n| *n == wanted).map(Cow::Borrowed);
        self.controller = Some(
            known(info.and_then(|i| i.controller), keys.controller)
                .unwrap_or_else(|| intern_controller(keys.controller)),
        );
        self.topic =
            keys.topic.map(|topic| known(info.and_then(|i| i.topic), topic).unwrap_or_else(|| intern_topic(topic)));
        self.action = Some(known(info.map(|i| i.action), keys.action).unwrap_or_else(|| intern_action(keys.action)));
        self
    }

    /// The whole topic, arguments included.
    fn full_topic(&self, keys: &EnvelopeKeys<'_>) -> Name {
        match keys.topic_args {
            Some(args) => Cow::Owned(format!("{}!{args}", self.topic.as_deref().unwrap_or_default())),
            None => self.topic.clone().unwrap_or_default(),
        }
    }
}

impl Analysis {
    /// The connection of the frame analysed, if it was a frame.
    pub(crate) fn conn(&self) -> Option<Cow<'_, str>> {
        match self {
            Analysis::BlankLine
            | Analysis::HttpEntry
            | Analysis::Packet
            | Analysis::Transport { .. }
            | Analysis::Context { .. } => None,
            Analysis::Unreadable(finding, _)
            | Analysis::Skipped { finding, .. }
            | Analysis::BadEnvelope(finding, _) => Some(finding.origin.connection()),
            Analysis::Message(checked) => Some(checked.place.origin.connection()),
        }
    }

    /// Where the frame analysed is, if it was a frame.
    pub(crate) fn place(&self) -> Option<Place> {
        match self {
            Analysis::BlankLine
            | Analysis::HttpEntry
            | Analysis::Packet
            | Analysis::Transport { .. }
            | Analysis::Context { .. } => None,
            Analysis::Unreadable(finding, _)
            | Analysis::Skipped { finding, .. }
            | Analysis::BadEnvelope(finding, _) => Some(finding.place()),
            Analysis::Message(checked) => Some(checked.place.clone()),
        }
    }

    /// When the frame or connection event analysed was captured, if the capture says.
    pub(crate) fn time(&self) -> Option<f64> {
        match self {
            Analysis::BlankLine | Analysis::HttpEntry | Analysis::Packet | Analysis::Context { .. } => None,
            Analysis::Transport { finding, .. } => finding.as_ref().and_then(|finding| finding.time),
            Analysis::Unreadable(finding, _)
            | Analysis::Skipped { finding, .. }
            | Analysis::BadEnvelope(finding, _) => finding.time,
            Analysis::Message(checked) => checked.place.time,
        }
    }

    /// The credentials in the frame's message.
    pub(crate) fn credentials(&self) -> &[Box<str>] {
        match self {
            Analysis::BlankLine | Analysis::HttpEntry | Analysis::Packet | Analysis::Transport { .. } => &[],
            Analysis::Context { credentials, .. }
            | Analysis::Unreadable(_, credentials)
            | Analysis::Skipped { credentials, .. }
            | Analysis::BadEnvelope(_, credentials) => credentials,
            Analysis::Message(checked) => &checked.credentials,
        }
    }

    /// About how many bytes the analysis holds, its findings above all: what a pipeline that
    /// keeps analyses waiting counts, to keep its memory bounded.
    pub fn weight(&self) -> usize {
        let finding = |f: &Finding| {
            let excerpt = f.excerpt.as_ref().map_or(0, String::len);
            size_of::<Finding>() + f.source.len() + f.instance_path.len() + f.message.len() + excerpt
        };
        let credentials = self.credentials().iter().map(|c| size_of::<Box<str>>() + c.len()).sum::<usize>();
        let held = match self {
            Analysis::BlankLine | Analysis::HttpEntry | Analysis::Packet | Analysis::Context { .. } => 0,
            Analysis::Transport { finding: found, .. } => found.as_deref().map_or(0, finding),
            Analysis::Unreadable(found, _)
            | Analysis::Skipped { finding: found, .. }
            | Analysis::BadEnvelope(found, _) => finding(found),
            Analysis::Message(checked) => {
                let records =
                    checked.effects.as_ref().map_or(0, |e| e.records.len() * size_of::<zenith_protocol::Change>());
                size_of::<Checked>() + records + checked.findings.iter().map(finding).sum::<usize>()
            }
        };
        size_of::<Analysis>() + credentials + held
    }

    /// Adds credentials found in another form of the frame.
    fn add_credentials(&mut self, more: Credentials) {
        match self {
            Analysis::Context { credentials, .. }
            | Analysis::Unreadable(_, credentials)
            | Analysis::Skipped { credentials, .. }
            | Analysis::BadEnvelope(_, credentials) => credentials.extend(more),
            Analysis::Message(checked) => checked.credentials.extend(more),
            Analysis::BlankLine | Analysis::HttpEntry | Analysis::Packet | Analysis::Transport { .. } => {}
        }
    }

    /// Places the frame at its position on its connection.
    pub(crate) fn set_index(&mut self, index: u64) {
        match self {
            Analysis::BlankLine
            | Analysis::HttpEntry
            | Analysis::Packet
            | Analysis::Transport { .. }
            | Analysis::Context { .. } => {}
            Analysis::Unreadable(finding, _)
            | Analysis::Skipped { finding, .. }
            | Analysis::BadEnvelope(finding, _) => {
                finding.index = index;
            }
            Analysis::Message(checked) => {
                checked.place.index = index;
                for finding in &mut checked.findings {
                    finding.index = index;
                }
            }
        }
    }
}

/// Analyses one event of the capture named `source`.
pub fn analyze(source: &str, event: Event) -> Analysis {
    analyze_keeping(source, event, None)
}

/// Analyses one event as [`analyze`] does, keeping the `Data` of data pushed on the full topic
/// `keep` in the analysis.
pub(crate) fn analyze_keeping(source: &str, event: Event, keep: Option<&str>) -> Analysis {
    match event {
        Event::Skipped(Skipped::BlankLine { .. }) => Analysis::BlankLine,
        Event::Skipped(Skipped::HttpEntry { .. }) => Analysis::HttpEntry,
        Event::Skipped(Skipped::Packet { .. }) => Analysis::Packet,
        Event::Frame(frame) => Analyzer { source, keep }.frame(frame),
        Event::Transport(transport) => Analyzer { source, keep }.transport(transport),
        Event::Context(context) => {
            let credentials = zenith_redact::credentials(&context.json);
            let unsure = context.partial && unsure(&credentials);
            Analysis::Context { credentials, unsure }
        }
    }
}

/// Whether one of the credentials learnt from text cut short may go on past the cut: only one
/// about as long as the overlap of the pieces a long string is read in can (a shorter one is
/// whole in the next piece).
pub(crate) fn unsure(credentials: &[Box<str>]) -> bool {
    credentials.iter().any(|credential| credential.len() >= zenith_capture::OVERLAP_BYTES - 256)
}

/// What kind of connection event was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    Upgrade,
    Control,
    Problem,
}

struct Analyzer<'s> {
    source: &'s str,
    /// The full topic whose pushes' `Data` is kept.
    keep: Option<&'s str>,
}

impl Analyzer<'_> {
    /// Whether the message is data pushed on the topic whose `Data` is kept.
    fn keeps(&self, checked: &Checked) -> bool {
        self.keep.is_some_and(|keep| *checked.full_topic == *keep) && checked.push().is_some()
    }

    fn frame(&self, frame: Frame) -> Analysis {
        let place = Place {
            origin: frame.origin,
            index: 0,
            time: frame.time,
            direction: frame.direction,
            controller: None,
            topic: None,
            action: None,
        };
        match frame.body {
            Body::Text(text) => self.text(place, text, None),
            Body::Binary(binary) => match binary.decode() {
                Ok(mut decoded) => {
                    let text = std::mem::take(&mut decoded.text);
                    // Binary values read as the text they spell: a password sent as bytes.
                    let spelt = decoded.as_text.take().map(|text| zenith_redact::credentials(&text));
                    let mut analysis = self.text(place, text, Some(decoded));
                    analysis.add_credentials(spelt.unwrap_or_default());
                    analysis
                }
                Err(error) => {
                    let finding = self.finding(
                        &place,
                        Severity::Error,
                        Code::UndecodableBinary,
                        &error.to_string(),
                        "",
                        "",
                        None,
                    );
                    Analysis::Unreadable(Box::new(finding), Credentials::new())
                }
            },
            Body::CaptureError(text) => {
                let message = format!("the capture tool recorded an error: {}", shown::kept(&text));
                let finding = self.finding(&place, Severity::Info, Code::CaptureError, &message, "", "", None);
                let credentials = shown::credentials(&text, false);
                Analysis::Skipped { finding: Box::new(finding), credentials }
            }
            Body::Unreadable(reason) => {
                let finding = self.finding(&place, Severity::Error, Code::UnreadableFrame, &reason, "", "", None);
                Analysis::Unreadable(Box::new(finding), Credentials::new())
            }
        }
    }

    /// A text message, or a binary one as the JSON text it decodes to.
    fn text(&self, place: Place, text: String, decoded: Option<Decoded>) -> Analysis {
        let binary = decoded.as_ref().map(|d| (d.encoding, d.inferred));
        let (notes, omitted_notes) = decoded.map(|d| (d.notes, d.omitted_notes)).unwrap_or_default();
        // The fast path: a message its schema accepts, established while parsing, with no tree.
        // Error replies take the full path, which tells what their codes mean.
        if notes.is_empty()
            && let Some(mut clean) = CleanText::check(&text, place.direction)
            && Role::of(clean.envelope.keys().action, clean.direction) != Some(Role::Error)
            && clean.envelope.keys().topic_problem(clean.kind).is_none()
        {
            let credentials = shown::credentials(&text, !clean.recording.secret_keys);
            let recording = std::mem::take(&mut clean.recording);
            let mut checked = Checked::clean(place, clean, credentials);
            checked.effects = checked.push().and_then(|info| effects::from_recording(info, recording));
            if self.keeps(&checked) {
                checked.data = data::data_of_text(&text);
            }
            checked.binary = binary;
            return Analysis::Message(Box::new(checked));
        }
        // A message of many values is not read into a tree: its outline holds the envelope.
        let (value, large, repeated, credentials) = match outline::tree(&text) {
            // The tree keeps one value of a repeated key, so repeats are found in the text.
            Ok((value, large)) => {
                let repeated = duplicates::repeated_keys(&text);
                let credentials =
                    if large.is_none() && repeated.found.is_empty() && !shown::may_hold_credentials(&value) {
                        Credentials::new()
                    } else {
                        shown::credentials(&text, false)
                    };
                (value, large, repeated, credentials)
            }
            Err(error) => {
                let message = format!("the message is not JSON: {error}");
                let excerpt = Some(zenith_protocol::runtime::diagnostics::excerpt(&text));
                let finding = self.finding(&place, Severity::Error, Code::NotJson, &message, "", "", excerpt);
                return Analysis::Unreadable(Box::new(finding), shown::credentials(&text, false));
            }
        };
        let keys = match EnvelopeKeys::read(&value) {
            Ok(keys) => keys,
            Err(error) => {
                let finding =
                    self.finding(&place, Severity::Error, Code::BadEnvelope, &error.to_string(), "", "", None);
                return Analysis::BadEnvelope(Box::new(finding), credentials);
            }
        };
        let (kind, direction, report, unread) = match large {
            Some(_) => outline::classify(&keys, &value, &text, place.direction),
            None => {
                let (kind, direction, report) = classify(&keys, &value, &place);
                (kind, direction, report, Verdict::Clean)
            }
        };
        let place = place.with_keys(&keys, kind);
        // Each finding is kept or counted as it is made, so that a message with a million
        // problems holds no more than the budget.
        let mut findings = Findings::default();
        if let Some((level, message)) = large.and_then(|values| outline::unread(values, text.len(), unread)) {
            findings.push(self.finding(&place, level, Code::TooLargeForDetail, &message, "", "", None));
        }
        for repeated in &repeated.found {
            findings.push(self.repeated(&place, repeated));
        }
        findings.limit.omit(Code::DuplicateKey.as_str(), Severity::Error, repeated.omitted);
        for note in &notes {
            let excerpt = excerpt::at(&value, &note.path);
            findings.push(self.finding(
                &place,
                Severity::Warning,
                Code::NoJsonEquivalent,
                &note.message,
                &note.path,
                "",
                excerpt,
            ));
        }
        findings.limit.omit(Code::NoJsonEquivalent.as_str(), Severity::Warning, omitted_notes);
        let unknown_controller = kind.is_none() && self.unmatched(&keys, &place, &mut findings);
        if let Some(problem) = kind.and_then(|kind| keys.topic_problem(kind)) {
            findings.push(self.topic_problem(&keys, &place, problem));
        }
        for problem in &report.problems {
            if unknown_controller && problem.instance_path == "/Controller" {
                continue; // already reported, better worded
            }
            let excerpt = excerpt::at(&value, &problem.instance_path);
            findings.push(self.finding(
                &place,
                problem.severity,
                problem.code.as_str(),
                &problem.message,
                &problem.instance_path,
                problem.schema_path,
                excerpt,
            ));
        }
        for omitted in &report.omitted {
            findings.limit.omit(omitted.code.as_str(), omitted.severity, omitted.count);
        }
        let Findings { kept: mut findings, limit } = findings;
        let inferred = place.direction.is_none() && direction.is_some();
        if inferred {
            for finding in &mut findings {
                finding.inferred = direction;
            }
        }
        let is_error =
            Direction::candidates(place.direction).iter().any(|&d| Role::of(keys.action, d) == Some(Role::Error));
        let error_text = is_error.then(|| match large {
            Some(_) => format!("not read: the message holds over {} values", outline::TREE_VALUES),
            None => error_text(value.get("Data")),
        });
        let mut checked = Checked {
            binary,
            kind,
            direction: direction.or(place.direction),
            inferred,
            findings,
            limit,
            transaction: value.get("TransactionID").and_then(transaction_id),
            full_topic: place.full_topic(&keys),
            confirm: value.get("Confirm").and_then(Value::as_bool) == Some(true),
            error_text,
            credentials,
            place,
            effects: None,
            data: None,
        };
        checked.effects = checked.push().and_then(|info| effects::from_value(info, &value));
        if self.keeps(&checked) {
            checked.data = data::data(value, large.is_some());
        }
        Analysis::Message(Box::new(checked))
    }

    /// A connection event: what it says, as a finding, if anything. Pings and pongs are only
    /// counted.
    fn transport(&self, transport: Transport) -> Analysis {
        let place = Place {
            origin: transport.origin,
            index: 0,
            time: transport.time,
            direction: transport.direction,
            controller: None,
            topic: None,
            action: None,
        };
        let (kind, finding) = match transport.what {
            TransportEvent::Upgrade { target, subprotocol, deflate } => {
                let mut message = format!("websocket upgrade: GET {}", shown::kept(&target));
                // Some clients send a credential as a subprotocol: only a known one is shown.
                match subprotocol.as_deref().map(|p| (p, Encoding::from_subprotocol(p))) {
                    Some((_, Some(encoding))) => message.push_str(&format!(", subprotocol {}", encoding.subprotocol())),
                    Some((protocol, None)) => message.push_str(&format!(
                        ", a subprotocol of {} characters that names no Zenith encoding (not shown; binary messages \
                         have their encoding inferred)",
                        protocol.chars().count()
                    )),
                    None => message.push_str(", no subprotocol (binary messages have their encoding inferred)"),
                }
                if let Some(deflate) = deflate {
                    message.push_str(&format!(", {deflate}"));
                }
                let finding = self.finding(&place, Severity::Info, Code::WebsocketUpgrade, &message, "", "", None);
                (TransportKind::Upgrade, Some(finding))
            }
            TransportEvent::Control(Control::Ping | Control::Pong) => (TransportKind::Control, None),
            TransportEvent::Control(Control::Close { code, reason }) => {
                let side = if place.direction == Some(Direction::Send) { "client" } else { "server" };
                let (level, mut message) = match code {
                    Some(code) => {
                        let meaning = zenith_capture::close_code_meaning(code);
                        let level = if matches!(code, 1000 | 1001) { Severity::Info } else { Severity::Warning };
                        (level, format!("the {side} closed the connection with {code} ({meaning})"))
                    }
                    None => (Severity::Info, format!("the {side} closed the connection without a close code")),
                };
                if !reason.is_empty() {
                    message.push_str(&format!(": {}", shown::kept(&reason)));
                }
                let finding = self.finding(&place, level, Code::WebsocketClose, &message, "", "", None);
                (TransportKind::Control, Some(finding))
            }
            TransportEvent::Problem { level, code, message } => {
                (TransportKind::Problem, Some(self.finding(&place, level, code, &message, "", "", None)))
            }
        };
        Analysis::Transport { kind, finding: finding.map(Box::new) }
    }

    /// A message no schema covers: an unknown controller, an unknown topic, or an action its
    /// topic does not have, each an error. True when the controller is unknown.
    fn unmatched(&self, keys: &EnvelopeKeys<'_>, place: &Place, out: &mut Findings) -> bool {
        let schema_path = "schemas/envelope/Controller.json#/enum";
        if !Controller::KNOWN.contains(&keys.controller) {
            let mut message = format!("unknown controller `{}`", keys.controller);
            if let Some(near) = near_miss(keys.controller, Controller::KNOWN) {
                message.push_str(&format!(": did you mean `{near}`?"));
            }
            out.push(self.finding(
                place,
                Severity::Error,
                Code::UnknownController,
                &message,
                "/Controller",
                schema_path,
                None,
            ));
            return true;
        }
        if keys.topic.is_none() {
            let message = "required property `Topic` is missing (only `Error` messages may leave it out)";
            out.push(self.finding(
                place,
                Severity::Error,
                zenith_protocol::Code::MissingRequired,
                message,
                "",
                "schemas/envelope/Envelope.json",
                None,
            ));
            return false;
        }
        let topics = controller_topics(keys.controller);
        let topic = keys.topic.unwrap_or_default();
        let finding = if topics.contains(&topic) {
            let direction = place.direction.map_or("either direction".to_owned(), |d| d.to_string());
            let message =
                format!("`{}` `{topic}` has no message with Action `{}` in {direction}", keys.controller, keys.action);
            self.finding(place, Severity::Error, Code::UnexpectedMessage, &message, "/Topic", "", None)
        } else {
            self.topic_problem(keys, place, TopicProblem::Unknown { near: near_miss(topic, &topics) })
        };
        out.push(finding);
        false
    }

    /// The error for a topic its controller's schemas do not know, or whose arguments are wrong,
    /// on a message valid on every topic (such as a `Sub`).
    fn topic_problem(&self, keys: &EnvelopeKeys<'_>, place: &Place, problem: TopicProblem) -> Finding {
        let topic = keys.topic.unwrap_or_default();
        let (code, message) = match problem {
            TopicProblem::Unknown { near } => {
                let mut message = format!("`{}` has no topic `{topic}`", keys.controller);
                if let Some(near) = near {
                    message.push_str(&format!(": did you mean `{near}`?"));
                }
                (Code::UnknownTopic.as_str(), message)
            }
            TopicProblem::Arguments(reason) => (zenith_protocol::Code::BadTopicArguments.as_str(), reason),
        };
        self.finding(place, Severity::Error, code, &message, "/Topic", "", None)
    }

    /// The error for a key given twice.
    fn repeated(&self, place: &Place, repeated: &Repeated) -> Finding {
        let message = format!(
            "`{}` is given more than once in this object, so readers may disagree on which value counts \
             (the other checks use the last)",
            zenith_protocol::runtime::diagnostics::excerpt(&repeated.key)
        );
        self.finding(place, Severity::Error, Code::DuplicateKey, &message, &repeated.pointer, "", None)
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        place: &Place,
        level: Severity,
        code: impl Into<&'static str>,
        message: &str,
        instance_path: &str,
        schema_path: &str,
        excerpt: Option<String>,
    ) -> Finding {
        finding::new(self.source, place, level, code, message, instance_path, schema_path, excerpt)
    }
}

/// The findings about one message as they are made: kept within its budget, or counted.
#[derive(Default)]
struct Findings {
    kept: Vec<Finding>,
    limit: Limit,
}

impl Findings {
    fn push(&mut self, finding: Finding) {
        if self.limit.admit(&finding) {
            self.kept.push(finding);
        }
    }
}

/// The integer a TransactionID is, also when written as `1.0` or `1e0` (the schema's `integer`
/// accepts those, so their replies say `1`).
fn transaction_id(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().and_then(stream::integer))
}

/// The error codes in an Error message's Data, with their documented meanings.
fn error_text(data: Option<&Value>) -> String {
    let one = |text: &str| match ErrorCodeInfo::find(text) {
        Some(info) => format!("`{}` ({})", shown::kept(text), info.meaning.trim_end_matches('.')),
        None => format!("`{}` (not a documented code)", shown::kept(text)),
    };
    match data {
        Some(Value::String(text)) => one(text),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(one).collect::<Vec<_>>().join(", "),
        Some(other) => excerpt::at(other, "").unwrap_or_default(),
        None => "no details".to_owned(),
    }
}
