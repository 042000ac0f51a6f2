//! JSON Lines: one message per line, a bare envelope or a HAR-style message object.

use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::sync::LazyLock;

use memchr::memmem;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::{Body, Context, Direction, Event, Frame, Limits, Origin, ReadError, Skipped, context, message_object};

/// About this much text goes into a chunk (more when a line is longer).
const CHUNK_BYTES: usize = 1 << 18;
/// Bytes asked of the input at a time.
const READ_BYTES: usize = 1 << 16;

/// Reads a JSON Lines capture, one chunk at a time, on this thread.
pub fn read(reader: impl BufRead, limits: Limits, sink: &mut dyn FnMut(Event)) -> Result<(), ReadError> {
    chunks(reader, limits, &mut |chunk| chunk.events(&limits, sink))
}

/// Whole lines of a JSON Lines capture, cut from it by [`chunks`], to be turned into events on
/// any thread. `Debug` shows its lines by their size.
pub struct Chunk {
    /// The 1-based number of the first line.
    first_line: u64,
    /// Lines, each with its end of line (the last line of the input may lack one).
    text: Vec<u8>,
    /// The length of a line after these that was longer than the limit, and not kept.
    overflow: Option<usize>,
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = crate::Opaque::of(&self.text);
        f.debug_struct("Chunk")
            .field("first_line", &self.first_line)
            .field("text", &text)
            .field("overflow", &self.overflow)
            .finish()
    }
}

impl Chunk {
    /// The events of these lines, in order.
    pub fn events(&self, limits: &Limits, sink: &mut dyn FnMut(Event)) {
        let mut number = self.first_line;
        let mut rest = &self.text[..];
        while !rest.is_empty() {
            let (line, after) = rest.split_at(memchr::memchr(b'\n', rest).map_or(rest.len(), |end| end + 1));
            line_event(line, false, line.len(), number, limits, sink);
            number += 1;
            rest = after;
        }
        if let Some(read) = self.overflow {
            line_event(&[], true, read, number, limits, sink);
        }
    }

    /// The chunk, leaving an empty one of the same capacity in its place.
    pub fn take(&mut self) -> Chunk {
        let text = Vec::with_capacity(self.text.capacity());
        let first_line = self.first_line;
        Chunk { first_line, text: std::mem::replace(&mut self.text, text), overflow: self.overflow.take() }
    }

    /// The bytes of text the chunk holds.
    pub fn bytes(&self) -> usize {
        self.text.len()
    }

    /// The number of the line after this chunk.
    fn next_line(&self) -> u64 {
        let lines = memchr::memchr_iter(b'\n', &self.text).count() + usize::from(self.overflow.is_some());
        self.first_line + lines as u64
    }
}

/// Cuts a JSON Lines capture into chunks of whole lines, in order. A line longer than
/// `limits.max_line_bytes` is not kept: only its length is. The sink may keep a chunk with
/// [`Chunk::take`]; otherwise the chunk's memory holds the next one.
pub fn chunks(reader: impl BufRead, limits: Limits, sink: &mut dyn FnMut(&mut Chunk)) -> Result<(), ReadError> {
    chunks_of(CHUNK_BYTES, reader, limits, sink)
}

fn chunks_of(
    size: usize,
    mut reader: impl BufRead,
    limits: Limits,
    sink: &mut dyn FnMut(&mut Chunk),
) -> Result<(), ReadError> {
    let mut chunk = Chunk { first_line: 1, text: Vec::with_capacity(size + READ_BYTES), overflow: None };
    // Where the line not yet ended begins in `chunk.text`; it is carried over to the next chunk.
    let mut open_line = 0;
    let mut carried = Vec::new();
    loop {
        // Straight into the chunk: a buffered reader hands large reads to the file itself.
        let start = chunk.text.len();
        chunk.text.resize(start + READ_BYTES, 0);
        let read = read_some(&mut reader, &mut chunk.text[start..])?;
        chunk.text.truncate(start + read);
        if read == 0 {
            if !chunk.text.is_empty() {
                sink(&mut chunk);
            }
            return Ok(());
        }
        if let Some(end) = memchr::memrchr(b'\n', &chunk.text[start..]) {
            open_line = start + end + 1;
        }
        if chunk.text.len() - open_line > limits.max_line_bytes {
            // Too long to keep: pass over the rest of the line, counting it.
            let kept = chunk.text.len() - open_line;
            chunk.text.truncate(open_line);
            chunk.overflow = Some(kept + skip_line(&mut reader)?);
        } else if chunk.text.len() < size || open_line == 0 {
            continue;
        }
        carried.clear();
        carried.extend_from_slice(&chunk.text[open_line..]);
        chunk.text.truncate(open_line);
        let first_line = chunk.next_line();
        sink(&mut chunk);
        chunk.text.clear();
        chunk.text.extend_from_slice(&carried);
        chunk.first_line = first_line;
        chunk.overflow = None;
        open_line = 0;
    }
}

/// One read, retried when interrupted.
fn read_some(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match reader.read(buffer) {
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// Consumes input up to and including the next end of line; returns how many bytes that was.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<usize> {
    let mut skipped = 0;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(skipped);
        }
        let (length, done) = match memchr::memchr(b'\n', available) {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        reader.consume(length);
        skipped += length;
        if done {
            return Ok(skipped);
        }
    }
}

/// The event for one line as read (`read` bytes, kept only when not `overflow`), its end of
/// line included.
fn line_event(mut line: &[u8], overflow: bool, read: usize, number: u64, limits: &Limits, sink: &mut dyn FnMut(Event)) {
    if number == 1 {
        line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    }
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    if !overflow && line.iter().all(u8::is_ascii_whitespace) {
        sink(Event::Skipped(Skipped::BlankLine { line: number }));
        return;
    }
    let overflow = overflow || read > limits.max_line_bytes;
    let (frame, beside) = frame(line, overflow, read, number, limits);
    if let Some(json) = beside {
        sink(Event::Context(Context { origin: frame.origin.clone(), json, partial: false }));
    }
    sink(Event::Frame(frame));
}

/// The frame of a line, and the members of its message item beside those that say what the
/// message is (as a JSON object), if any.
fn frame(line: &[u8], overflow: bool, read: usize, number: u64, limits: &Limits) -> (Frame, Option<String>) {
    let unreadable = |reason: String| {
        let origin = Origin::Line { line: number, conn: None };
        (Frame { origin, time: None, direction: None, body: Body::Unreadable(reason) }, None)
    };
    if overflow {
        let reason = format!("the line is {read} bytes long, over the limit of {} bytes", limits.max_line_bytes);
        return unreadable(reason);
    }
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(error) => {
            return unreadable(format!("the line is not valid UTF-8 (byte {})", error.valid_up_to() + 1));
        }
    };
    if let Some(frame) = probe(text, number) {
        return frame;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => return unreadable(format!("not JSON: {}", error)),
    };
    match value {
        Value::Object(object) if is_message_object(&object) => {
            let conn = match object.get("conn") {
                Some(Value::String(s)) => Some(s.as_str().into()),
                Some(Value::Number(n)) => Some(n.to_string().into()),
                _ => None,
            };
            let (direction, time, body) = message_object(&object, None);
            (Frame { origin: Origin::Line { line: number, conn }, time, direction, body }, context::beside(&object))
        }
        _ => {
            // A message that happens to contain a `type` key somewhere.
            let origin = Origin::Line { line: number, conn: None };
            (Frame { origin, time: None, direction: None, body: Body::Text(text.to_owned()) }, None)
        }
    }
}

/// The fields of a line that tell its shape, read without building a tree, and its other
/// members as written.
#[derive(Default)]
struct LineProbe<'a> {
    kind: Option<Cow<'a, str>>,
    data: Option<Cow<'a, str>>,
    time: Option<f64>,
    opcode: Option<u64>,
    conn: Option<ConnId>,
    others: Vec<(Cow<'a, str>, &'a RawValue)>,
}

/// A string, borrowed from the line unless it had escapes.
#[derive(serde::Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for LineProbe<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<LineProbe<'de>, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = LineProbe<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<LineProbe<'de>, A::Error> {
                let mut probe = LineProbe::default();
                let mut seen = 0u8;
                while let Some(Borrowed(key)) = map.next_key()? {
                    let bit = match &*key {
                        "type" => {
                            probe.kind = map.next_value::<Option<Borrowed<'de>>>()?.map(|b| b.0);
                            1
                        }
                        "data" => {
                            probe.data = map.next_value::<Option<Borrowed<'de>>>()?.map(|b| b.0);
                            2
                        }
                        "time" => {
                            probe.time = map.next_value()?;
                            4
                        }
                        "opcode" => {
                            probe.opcode = map.next_value()?;
                            8
                        }
                        "conn" => {
                            probe.conn = map.next_value()?;
                            16
                        }
                        _ => {
                            probe.others.push((key, map.next_value()?));
                            0
                        }
                    };
                    // A member given twice: the general path reads the line.
                    if seen & bit != 0 {
                        return Err(serde::de::Error::custom("a member is given twice"));
                    }
                    seen |= bit;
                }
                Ok(probe)
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// A connection id written as a string or a number.
struct ConnId(String);

impl<'de> serde::Deserialize<'de> for ConnId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ConnId, D::Error> {
        struct ConnVisitor;
        impl serde::de::Visitor<'_> for ConnVisitor {
            type Value = ConnId;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a connection id (string or number)")
            }
            fn visit_str<E>(self, text: &str) -> Result<ConnId, E> {
                Ok(ConnId(text.to_owned()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<ConnId, E> {
                Ok(ConnId(n.to_string()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<ConnId, E> {
                Ok(ConnId(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<ConnId, E> {
                Ok(ConnId(n.to_string()))
            }
        }
        deserializer.deserialize_any(ConnVisitor)
    }
}

/// The common cases, read without a tree: a bare message object (kept as text for the
/// checker) or a text `send`/`receive` item. `None` sends the line down the general path.
fn probe(text: &str, number: u64) -> Option<(Frame, Option<String>)> {
    static TYPE_KEY: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"\"type\""));
    if TYPE_KEY.find(text.as_bytes()).is_none() {
        // No `type` key anywhere: not a HAR-style item, so a bare message.
        let body = Body::Text(text.to_owned());
        let frame = Frame { origin: Origin::Line { line: number, conn: None }, time: None, direction: None, body };
        return Some((frame, None));
    }
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let probe: LineProbe<'_> = serde_json::from_str(text).ok()?;
    let (direction, body) = match (probe.kind.as_deref(), probe.data, probe.opcode.unwrap_or(1)) {
        (None, None, _) => (None, Body::Text(text.to_owned())),
        (Some("send"), Some(data), 1) => (Some(Direction::Send), Body::Text(data.into_owned())),
        (Some("receive"), Some(data), 1) => (Some(Direction::Receive), Body::Text(data.into_owned())),
        _ => return None,
    };
    // The connection's name is shown: read for credentials too, when it may hold one.
    let conn_text =
        probe.conn.as_ref().filter(|ConnId(id)| zenith_protocol::runtime::may_hold_free_text_credentials(id));
    let conn_text = conn_text.map(|ConnId(id)| Value::from(id.as_str()).to_string());
    let members = probe.others.iter().map(|(k, v)| (&**k, v.get())).chain(conn_text.as_deref().map(|c| ("conn", c)));
    let beside = direction.and_then(|_| context::beside_raw(members));
    let conn = probe.conn.map(|ConnId(id)| id.into_boxed_str());
    let time = if direction.is_some() { probe.time } else { None };
    Some((Frame { origin: Origin::Line { line: number, conn }, time, direction, body }, beside))
}

/// A HAR-style message object has `type` and `data` (and envelopes never have either).
fn is_message_object(object: &serde_json::Map<String, Value>) -> bool {
    object.contains_key("type")
        && (object.contains_key("data") || object.get("type").and_then(Value::as_str) == Some("error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(capture: &[u8], buffer: usize, chunk: usize, max_line_bytes: usize) -> Vec<Event> {
        let reader = std::io::BufReader::with_capacity(buffer, capture);
        let limits = Limits { max_line_bytes };
        let mut events = Vec::new();
        chunks_of(chunk, reader, limits, &mut |chunk| chunk.events(&limits, &mut |event| events.push(event))).unwrap();
        events
    }

    #[test]
    fn members_beside_an_items_data_come_just_before_its_frame() {
        let capture = concat!(
            "{\"type\":\"send\",\"data\":\"{}\",\"conn\":\"1\",\"token\":\"t0k\"}\n",
            "{\"type\":\"send\",\"data\":\"{}\",\"conn\":\"1\",\"encoding\":\"ZenithJson\"}\n",
            "{\"type\":\"send\",\"opcode\":1,\"data\":\"{}\",\"data\":\"{}\",\"key\":[1]}\n",
        )
        .as_bytes();
        let events = events(capture, 1 << 16, CHUNK_BYTES, 1 << 20);
        let shapes: Vec<String> = events
            .iter()
            .map(|event| match event {
                Event::Context(context) => format!("{}: {}", context.origin.line().unwrap(), context.json),
                Event::Frame(frame) => format!("{}: frame", frame.origin.line().unwrap()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(shapes, [r#"1: {"token":"t0k"}"#, "1: frame", "2: frame", r#"3: {"key":[1]}"#, "3: frame"]);
    }

    #[test]
    fn lines_read_the_same_whatever_the_buffer_and_chunk_sizes() {
        let capture = concat!(
            "\u{feff}{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":1}\r\n",
            "\n",
            "{\"conn\":\"a\",\"type\":\"send\",\"time\":1.5,\"opcode\":1,\"data\":\"{\\\"Topic\\\":\\\"Feeds\\\"}\"}\n",
            "not json\n",
            "   \n",
            "{\"conn\":7,\"type\":\"receive\",\"opcode\":2,\"data\":\"AAEC\"}\n",
            "{\"Topic\":\"x\",\"Data\":\"a line longer than the limit set below, to be skipped whole\"}\n",
            "{\"Topic\":\"last line without an end\"}",
        )
        .as_bytes();
        let expected = events(capture, 1 << 16, CHUNK_BYTES, 80);
        assert_eq!(expected.len(), 8);
        for buffer in 1..=90 {
            for chunk in [1, 7, 64, 200] {
                let found = events(capture, buffer, chunk, 80);
                assert_eq!(found, expected, "with a {buffer}-byte buffer and {chunk}-byte chunks");
            }
        }
        let Event::Frame(first) = &expected[0] else { panic!("{:?}", expected[0]) };
        assert_eq!(
            first.body,
            Body::Text("{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":1}".into())
        );
        let Event::Frame(long) = &expected[6] else { panic!("{:?}", expected[6]) };
        assert!(matches!(&long.body, Body::Unreadable(reason) if reason.contains("over the limit of 80 bytes")));
        let lines: Vec<u64> = expected
            .iter()
            .map(|e| match e {
                Event::Frame(frame) => frame.origin.line().unwrap(),
                Event::Skipped(Skipped::BlankLine { line }) => *line,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 6, 7, 8]);
        let conns: Vec<String> = expected
            .iter()
            .filter_map(|e| if let Event::Frame(f) = e { Some(f.origin.connection().into_owned()) } else { None })
            .collect();
        assert_eq!(conns, ["", "a", "", "7", "", ""]);
    }
}
