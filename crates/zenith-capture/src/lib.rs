//! Streaming readers for captured websocket traffic (HAR 1.2 exports, JSON Lines, and pcap or
//! pcapng packet captures), turning a capture into a sequence of messages and connection
//! events without holding the whole file in memory. JSON Lines can also be cut into chunks of
//! whole lines, to be turned into frames on several threads.

mod around;
mod binary;
mod code;
mod context;
pub mod export;
mod har;
mod jsonl;
pub mod live;
mod opaque;
mod pcap;

pub use around::OVERLAP_BYTES;
pub use binary::{Binary, DecodeError, Decoded, Encoding, Note};
pub use code::{Code, UnknownCode};
pub use context::Context;
pub use jsonl::{Chunk, chunks};
pub use opaque::Opaque;
pub use pcap::{MAX_EARLY_BYTES, MAX_HELD_BYTES, MAX_OPEN_CONNECTIONS, close_code_meaning, is_packet_capture};

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;
/// The severity of a connection event: the toolkit's one [`Severity`], under the name this
/// crate first gave it.
pub use zenith_protocol::Severity as Level;
pub use zenith_protocol::{Direction, Severity};

/// The capture formats this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Har,
    Jsonl,
    Pcap,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Har => "har",
            Format::Jsonl => "jsonl",
            Format::Pcap => "pcap",
        }
    }
}

/// Where in a capture a frame or event was found. `Debug` shows a `conn` name by its size.
#[derive(Clone, PartialEq, Eq)]
pub enum Origin {
    /// An item of a HAR entry's `_webSocketMessages`: the entry's 1-based position in
    /// `log.entries`. Each entry is its own connection, named `entry:N`. Text outside the
    /// entries (a [`Context`] of the log's creator or pages) has entry 0.
    Har { entry: u64 },
    /// A JSON Lines line: its 1-based number, and the connection the line names (`conn`), or
    /// none.
    Line { line: u64, conn: Option<Box<str>> },
    /// A websocket message, control frame or event of a TCP connection in a packet capture:
    /// the connection, and the 1-based number of the packet that completed it.
    Tcp { stream: Arc<TcpStream>, packet: u64 },
    /// A websocket message, control frame or event of a connection checked as it is relayed
    /// (`zenith proxy`): the connection's name, `client -> upstream`.
    Live { conn: Arc<str> },
}

impl Origin {
    /// The name of the connection: `entry:N`, the line's `conn` (empty when it names none), or
    /// the TCP endpoints, `client -> server`.
    pub fn connection(&self) -> Cow<'_, str> {
        match self {
            Origin::Har { entry } => Cow::Owned(format!("entry:{entry}")),
            Origin::Line { conn, .. } => Cow::Borrowed(conn.as_deref().unwrap_or("")),
            Origin::Tcp { stream, .. } => Cow::Borrowed(&stream.name),
            Origin::Live { conn } => Cow::Borrowed(conn),
        }
    }

    /// The JSON Lines line number.
    pub fn line(&self) -> Option<u64> {
        match self {
            Origin::Line { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The packet number, for packet captures.
    pub fn packet(&self) -> Option<u64> {
        match self {
            Origin::Tcp { packet, .. } => Some(*packet),
            _ => None,
        }
    }
}

/// One TCP connection of a packet capture.
#[derive(Debug, PartialEq, Eq)]
pub struct TcpStream {
    /// 0-based, in order of first sight (as Wireshark's `tcp.stream`).
    pub number: u64,
    /// The side that opened the connection (or, when the capture starts later, the side that
    /// sent the HTTP request, or the first side seen).
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// `client -> server`.
    pub name: Box<str>,
}

impl TcpStream {
    pub fn new(number: u64, client: SocketAddr, server: SocketAddr) -> TcpStream {
        let name = format!("{client} -> {server}").into_boxed_str();
        TcpStream { number, client, server, name }
    }
}

/// One websocket message found in a capture. Frames of a connection are numbered by their
/// order in the capture, which is why a frame does not carry its own number.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub origin: Origin,
    /// Seconds since the Unix epoch, when the capture records it.
    pub time: Option<f64>,
    /// `None` when the capture does not say (bare envelopes in JSON Lines).
    pub direction: Option<Direction>,
    pub body: Body,
}

/// What a frame carries. `Debug` shows its text by its size.
#[derive(Clone, PartialEq)]
pub enum Body {
    /// A text message, still to be parsed.
    Text(String),
    /// A binary message, to be decoded as its encoding says.
    Binary(Binary),
    /// A capture-tool error item (`type: "error"`), with its text.
    CaptureError(String),
    /// Something that should be a message but cannot be read, and why.
    Unreadable(String),
}

/// Something in a capture that is not a message, counted so nothing goes unaccounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// A blank line in JSON Lines.
    BlankLine { line: u64 },
    /// A HAR entry that is not a websocket connection.
    HttpEntry { entry: u64 },
    /// A packet that carries nothing to read (not TCP, no data on a connection followed, or
    /// unreadable), with why.
    Packet { packet: u64, reason: &'static str },
}

/// Something on a connection of a packet capture besides its messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Transport {
    pub origin: Origin,
    pub time: Option<f64>,
    /// The side it comes from, or concerns.
    pub direction: Option<Direction>,
    pub what: TransportEvent,
}

/// `Debug` shows the upgrade's target and headers, and a problem's message (which may quote
/// them), by their size.
#[derive(Clone, PartialEq)]
pub enum TransportEvent {
    /// The websocket upgrade: the requested path and query, the subprotocol, and the
    /// compression agreed.
    Upgrade { target: String, subprotocol: Option<String>, deflate: Option<String> },
    /// A control frame.
    Control(Control),
    /// A problem below the messages (TCP, HTTP or websocket framing), or one the proxy saw:
    /// its severity, its code and what it says.
    Problem { level: Severity, code: Code, message: String },
}

impl TransportEvent {
    /// A problem of `severity` with `code`, saying `message`.
    pub fn problem(severity: Severity, code: Code, message: String) -> TransportEvent {
        TransportEvent::Problem { level: severity, code, message }
    }
}

/// A websocket control frame. `Debug` shows a close reason by its size.
#[derive(Clone, PartialEq, Eq)]
pub enum Control {
    Ping,
    Pong,
    /// The close code (none when the frame carries none) and reason.
    Close {
        code: Option<u16>,
        reason: String,
    },
}

/// What a reader finds, in file order. Its `Debug`, as that of everything in it, shows the
/// capture's text by its size only.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Frame(Frame),
    Skipped(Skipped),
    Transport(Transport),
    /// Text around the messages, never shown, read for credentials (just before the frame of a
    /// message item with members beside its `data`).
    Context(Context),
}

/// Why a capture as a whole cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a HAR file: {0}")]
    NotHar(String),
    #[error("the HAR file is malformed at line {line}, column {column}: {reason}")]
    MalformedHar { line: usize, column: usize, reason: String },
    #[error("not a pcap or pcapng file: {0}")]
    NotPcap(String),
    #[error("the packet capture is malformed {0}")]
    MalformedPcap(String),
}

/// Limits that keep memory bounded on hostile input.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest JSON Lines line, or websocket message of a packet capture, read; longer ones
    /// are reported unreadable and skipped over.
    pub max_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_line_bytes: 64 * 1024 * 1024 }
    }
}

/// Bytes of the input that format detection looks at first; it reads on (up to the longest line
/// read) only while the first line is one long JSON object whose keys have not told yet.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Tells the format from the start of the input: a packet capture when it starts with the pcap
/// or pcapng magic number; HAR when the first JSON value is an object with a top-level `log` key
/// (wherever it comes in the object), or an object that spans several lines (which JSON Lines
/// cannot hold) and is not a message (no top-level `Controller`, `Topic`, `Action` or
/// `TransactionID` before the first line break inside it); JSON Lines otherwise, and when
/// `start` ends before its first value tells.
pub fn detect_prefix(start: &[u8]) -> Format {
    decide(start, true).unwrap_or(Format::Jsonl)
}

/// The format `start` tells, as [`detect_prefix`] says; `None` when `start` ends inside a first
/// JSON object that has not told yet and more of the input is to come (not `complete`).
fn decide(start: &[u8], complete: bool) -> Option<Format> {
    if is_packet_capture(start) {
        return Some(Format::Pcap);
    }
    let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
    let first = start.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = first.filter(|&f| start[f] == b'{') else { return Some(Format::Jsonl) };
    let mut parser = json_event_parser::LowLevelJsonParser::new();
    let (mut at, mut depth) = (first, 0usize);
    loop {
        let result = parser.parse_next(&start[at..], false);
        let region = &start[at..at + result.consumed_bytes];
        at += result.consumed_bytes;
        let multiline = depth > 0 && region.contains(&b'\n');
        match result.event {
            Some(Ok(json_event_parser::JsonEvent::ObjectKey(key))) if depth == 1 && key == "log" => {
                return Some(Format::Har);
            }
            // A message's envelope, written over several lines: no HAR document has these keys.
            Some(Ok(json_event_parser::JsonEvent::ObjectKey(key)))
                if depth == 1 && matches!(&*key, "Controller" | "Topic" | "Action" | "TransactionID") =>
            {
                return Some(Format::Jsonl);
            }
            Some(Ok(json_event_parser::JsonEvent::StartObject | json_event_parser::JsonEvent::StartArray)) => {
                if multiline {
                    return Some(Format::Har);
                }
                depth += 1;
            }
            Some(Ok(json_event_parser::JsonEvent::EndObject | json_event_parser::JsonEvent::EndArray)) => {
                if multiline {
                    return Some(Format::Har);
                }
                depth -= 1;
                if depth == 0 {
                    return Some(Format::Jsonl);
                }
            }
            Some(Ok(_)) if multiline => return Some(Format::Har),
            Some(Ok(_)) => {}
            // Not JSON: a line, as far as can be told.
            Some(Err(_)) => return Some(Format::Jsonl),
            // The start ends inside the first value.
            None => return complete.then_some(Format::Jsonl),
        }
    }
}

/// Reads the start of the input and tells its format: [`SNIFF_BYTES`] first (as many reads as
/// it takes, so the answer does not depend on how the input arrives), then more, up to
/// `max_line_bytes`, while the first line is a JSON object that has not told yet (a compact HAR
/// document whose `log` key comes after long fields, or a long JSON Lines line). Returns a
/// reader of the whole input, the start included.
pub fn sniff<R: Read>(mut reader: R, max_line_bytes: usize) -> std::io::Result<(Format, impl BufRead)> {
    let mut start = Vec::with_capacity(SNIFF_BYTES);
    let mut wanted = SNIFF_BYTES;
    let format = loop {
        (&mut reader).take((wanted - start.len()) as u64).read_to_end(&mut start)?;
        let complete = start.len() < wanted || wanted > max_line_bytes;
        if let Some(format) = decide(&start, complete) {
            break format;
        }
        wanted = wanted.saturating_mul(2).min(max_line_bytes.saturating_add(1));
    };
    Ok((format, BufReader::with_capacity(1 << 16, Replayed { start, at: 0, rest: reader })))
}

/// Bytes already taken from a reader, given back before the rest of it. They are freed once
/// given, so that a long start, read to tell the format, is not held for the whole run.
struct Replayed<R> {
    start: Vec<u8>,
    /// How much of `start` was given.
    at: usize,
    rest: R,
}

impl<R> Replayed<R> {
    fn given(&mut self, bytes: usize) {
        self.at += bytes;
        if self.at >= self.start.len() {
            (self.start, self.at) = (Vec::new(), 0);
        }
    }
}

impl<R: Read> Read for Replayed<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.start.is_empty() {
            return self.rest.read(buffer);
        }
        let given = (&self.start[self.at..]).read(buffer)?;
        self.given(given);
        Ok(given)
    }
}

impl<R: BufRead> BufRead for Replayed<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.start.is_empty() { self.rest.fill_buf() } else { Ok(&self.start[self.at..]) }
    }

    fn consume(&mut self, bytes: usize) {
        if self.start.is_empty() {
            self.rest.consume(bytes);
        } else {
            self.given(bytes);
        }
    }
}

/// What [`unfold`] made of an input meant to be JSON Lines.
pub enum Unfolded<'r> {
    /// JSON Lines (or anything else that is not one JSON document), unchanged.
    Lines(Box<dyn BufRead + 'r>),
    /// One JSON document: a pretty-printed message, or an array of messages, given as JSON
    /// Lines with one compact message per line; `messages` counts them.
    Document { lines: Box<dyn BufRead + 'r>, messages: usize },
    /// It starts like a pretty-printed message, but is not one JSON document either.
    NotOneMessagePerLine(Box<dyn BufRead + 'r>),
}

/// Reads an input meant to be JSON Lines that may instead be one JSON document: its first line
/// (read whole, up to `max_bytes`) opens an array, or opens an object it does not close. Such
/// an input is read whole (at most `max_bytes`) and, when it is one JSON document, turned into
/// JSON Lines in place: each message keeps its text as written (repeated keys, escapes and
/// numbers included), only the white space between its tokens is dropped.
pub fn unfold<'r>(mut reader: impl BufRead + 'r, max_bytes: usize) -> std::io::Result<Unfolded<'r>> {
    let mut first = Vec::new();
    (&mut reader).take(max_bytes as u64 + 1).read_until(b'\n', &mut first)?;
    let text = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&first);
    let trimmed = text.trim_ascii();
    let array = trimmed.starts_with(b"[");
    // An object the line does not close (and not a line too long to read, nor one that is
    // simply not JSON).
    let open_object = trimmed.starts_with(b"{")
        && first.len() <= max_bytes
        && matches!(serde_json::from_slice::<serde::de::IgnoredAny>(trimmed), Err(error) if error.is_eof());
    if !array && !open_object {
        return Ok(Unfolded::Lines(Box::new(Replayed { start: first, at: 0, rest: reader })));
    }
    let mut whole = first;
    (&mut reader).take((max_bytes + 1).saturating_sub(whole.len()) as u64).read_to_end(&mut whole)?;
    let bom = if whole.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let messages = if whole.len() > max_bytes { None } else { messages_in(&whole[bom..]) };
    let Some(messages) = messages else {
        let input: Box<dyn BufRead + 'r> = Box::new(Replayed { start: whole, at: 0, rest: reader });
        return Ok(if open_object { Unfolded::NotOneMessagePerLine(input) } else { Unfolded::Lines(input) });
    };
    into_lines(&mut whole, bom, array);
    Ok(Unfolded::Document { lines: Box::new(std::io::Cursor::new(whole)), messages })
}

/// The number of messages in one JSON document: the items of an array, or one for an object;
/// `None` when the text is not one JSON document of either kind. Nothing is built or held.
fn messages_in(document: &[u8]) -> Option<usize> {
    struct Count;
    impl<'de> serde::de::Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array or an object")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut count = 0;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                count += 1;
            }
            Ok(count)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
            serde::de::IgnoredAny.visit_map(map).map(|_| 1)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(document);
    let count = serde::Deserializer::deserialize_any(&mut deserializer, Count).ok()?;
    deserializer.end().ok()?;
    Some(count)
}

/// Rewrites one valid JSON document, from `from` on, as JSON Lines, in place: white space
/// between tokens dropped; an array's brackets dropped too, and the commas between its items
/// made line ends. The text only shrinks, so it is written over itself.
fn into_lines(document: &mut Vec<u8>, from: usize, array: bool) {
    let (mut written, mut depth, mut in_string, mut escaped) = (0, 0usize, false, false);
    for read in from..document.len() {
        let byte = document[read];
        let kept = if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            Some(byte)
        } else {
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' => None,
                b'"' => {
                    in_string = true;
                    Some(byte)
                }
                b'[' | b'{' => {
                    depth += 1;
                    (depth > 1 || !array).then_some(byte)
                }
                b']' | b'}' => {
                    depth -= 1;
                    (depth > 0 || !array).then_some(byte)
                }
                b',' if array && depth == 1 => Some(b'\n'),
                _ => Some(byte),
            }
        };
        if let Some(byte) = kept {
            document[written] = byte;
            written += 1;
        }
    }
    document.truncate(written);
}

/// Reads a capture of `format`, calling `sink` for every frame and skipped item in file order.
pub fn read(
    format: Format,
    reader: impl BufRead,
    limits: Limits,
    sink: &mut dyn FnMut(Event),
) -> Result<(), ReadError> {
    match format {
        Format::Har => har::read(reader, sink),
        Format::Jsonl => jsonl::read(reader, limits, sink),
        Format::Pcap => pcap::read(reader, limits, sink),
    }
}

/// Reads one HAR-style message object `{type, time, opcode, data}` (HAR items and JSON Lines
/// lines share it), whose binary messages are in `encoding` when the capture says. Returns the
/// direction and body, or why it is not such an object.
fn message_object(
    object: &serde_json::Map<String, Value>,
    encoding: Option<Encoding>,
) -> (Option<Direction>, Option<f64>, Body) {
    let time = object.get("time").and_then(Value::as_f64);
    let kind = object.get("type").and_then(Value::as_str);
    let direction = match kind {
        Some("send") => Some(Direction::Send),
        Some("receive") => Some(Direction::Receive),
        _ => None,
    };
    let data = object.get("data");
    let body = match (kind, object.get("opcode").and_then(Value::as_u64).unwrap_or(1), data) {
        (Some("error"), _, data) => Body::CaptureError(data.and_then(Value::as_str).unwrap_or("").to_owned()),
        (Some("send" | "receive"), 1, Some(Value::String(text))) => Body::Text(text.clone()),
        (Some("send" | "receive"), 1, Some(Value::Object(_) | Value::Array(_))) => Body::Unreadable(
            "the message item's `data` must be the message as a JSON-encoded string, not the message itself".to_owned(),
        ),
        (Some("send" | "receive"), 1, _) => Body::Unreadable("the message item's `data` is not a string".to_owned()),
        (Some("send" | "receive"), opcode, Some(Value::String(data))) => {
            match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
                Ok(bytes) => Body::Binary(Binary { opcode: opcode.min(255) as u8, bytes, encoding }),
                Err(error) => Body::Unreadable(format!("the binary message item's `data` is not base64: {error}")),
            }
        }
        (Some("send" | "receive"), _, _) => {
            Body::Unreadable("the binary message item's `data` is not a base64 string".to_owned())
        }
        (Some(other), _, _) => {
            let types = ["send", "receive", "error"];
            let hint = zenith_protocol::runtime::diagnostics::suggestion(other, &types)
                .map(|near| format!(": did you mean `{near}`?"))
                .unwrap_or_default();
            let listed = types.map(|t| format!("`{t}`")).join(", ");
            Body::Unreadable(format!("unknown message item type `{other}` (the types are {listed}){hint}"))
        }
        (None, _, _) => Body::Unreadable("the message item has no string `type`".to_owned()),
    };
    (direction, time, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content_not_key_order() {
        let har = |text: &str| detect_prefix(text.as_bytes());
        assert_eq!(har(r#"{"log":{"entries":[]}}"#), Format::Har);
        assert_eq!(har("\u{feff} {\"x\": {\"a\": [1]}, \"log\": {}}"), Format::Har);
        assert_eq!(har("{\n  \"creator\": {},\n  \"entries\": []\n}"), Format::Har);
        assert_eq!(har("{\"Controller\":\"Auth\",\"Topic\":\"X\"}\n{\"log\":1}\n"), Format::Jsonl);
        assert_eq!(har("{\"type\":\"send\",\"data\":\"{\\\"log\\\":1}\"}\n"), Format::Jsonl);
        assert_eq!(har("not json\n"), Format::Jsonl);
        assert_eq!(har("{\n  \"Controller\": \"Auth\",\n  \"Topic\": \"X\"\n}\n"), Format::Jsonl);
        assert_eq!(har(""), Format::Jsonl);
    }

    #[test]
    fn detection_does_not_depend_on_how_the_input_arrives() {
        /// Hands out one byte per read, as a slow pipe may.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else { return Ok(0) };
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        let har = b"{\"comment\": \"a long comment before the log\", \"log\": {\"entries\": []}}";
        let (format, mut reader) = sniff(Trickle(har), 1 << 20).unwrap();
        assert_eq!(format, Format::Har);
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all, har);
    }
}
