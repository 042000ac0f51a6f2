//! JSON Lines: one message per line, a bare envelope or a HAR-style message object.

use std::io::BufRead;

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem;

use serde_json::Value;

use crate::{Body, Connections, Direction, Event, Frame, Limits, ReadError, Skipped, message_object};

pub fn read(mut reader: impl BufRead, limits: Limits, sink: &mut dyn FnMut(Event)) -> Result<(), ReadError> {
    let mut lines = Lines { limits, number: 0, counters: Connections::default() };
    let mut long = Vec::new();
    loop {
        // Usually the whole line is in the reader's buffer and is read from there, uncopied.
        let available = reader.fill_buf()?;
        if let Some(end) = memchr::memchr(b'\n', available).filter(|end| *end < limits.max_line_bytes) {
            lines.line(&available[..=end], false, end + 1, sink);
            reader.consume(end + 1);
            continue;
        }
        long.clear();
        let (read, overflow) = read_line(&mut reader, &mut long, limits.max_line_bytes)?;
        if read == 0 {
            return Ok(());
        }
        lines.line(&long, overflow, read, sink);
    }
}

/// Turns lines into events, numbering them.
struct Lines {
    limits: Limits,
    number: u64,
    counters: Connections,
}

impl Lines {
    /// One line as read (`read` bytes, kept only when not `overflow`), its end of line included.
    fn line(&mut self, mut line: &[u8], overflow: bool, read: usize, sink: &mut dyn FnMut(Event)) {
        self.number += 1;
        if self.number == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        while let [rest @ .., b'\n' | b'\r'] = line {
            line = rest;
        }
        if !overflow && line.iter().all(u8::is_ascii_whitespace) {
            sink(Event::Skipped(Skipped::BlankLine { line: self.number }));
            return;
        }
        sink(Event::Frame(frame(line, overflow, read, self.number, &self.limits, &mut self.counters)));
    }
}

fn frame(line: &[u8], overflow: bool, read: usize, number: u64, limits: &Limits, counters: &mut Connections) -> Frame {
    let unreadable = |reason: String, counters: &mut Connections| {
        let (conn, index) = counters.frame("");
        Frame { conn, index, line: Some(number), time: None, direction: None, body: Body::Unreadable(reason) }
    };
    if overflow {
        let reason = format!("the line is {read} bytes long, over the limit of {} bytes", limits.max_line_bytes);
        return unreadable(reason, counters);
    }
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(error) => {
            return unreadable(format!("the line is not valid UTF-8 (byte {})", error.valid_up_to() + 1), counters);
        }
    };
    if let Some(frame) = probe(text, number, counters) {
        return frame;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => return unreadable(format!("not JSON: {}", error), counters),
    };
    match value {
        Value::Object(object) if is_message_object(&object) => {
            let (conn, index) = match object.get("conn") {
                Some(Value::String(s)) => counters.frame(s),
                Some(Value::Number(n)) => counters.frame(&n.to_string()),
                _ => counters.frame(""),
            };
            let (direction, time, body) = message_object(&object);
            Frame { conn, index, line: Some(number), time, direction, body }
        }
        _ => {
            // A message that happens to contain a `type` key somewhere.
            let (conn, index) = counters.frame("");
            Frame { conn, index, line: Some(number), time: None, direction: None, body: Body::Text(text.to_owned()) }
        }
    }
}

/// The fields of a line that tell its shape, read without building a tree.
#[derive(serde::Deserialize)]
struct LineProbe<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<Cow<'a, str>>,
    #[serde(default)]
    time: Option<f64>,
    #[serde(default)]
    opcode: Option<u64>,
    #[serde(default)]
    conn: Option<ConnId>,
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
fn probe(text: &str, number: u64, counters: &mut Connections) -> Option<Frame> {
    static TYPE_KEY: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"\"type\""));
    if TYPE_KEY.find(text.as_bytes()).is_none() {
        // No `type` key anywhere: not a HAR-style item, so a bare message.
        let (conn, index) = counters.frame("");
        return Some(Frame {
            conn,
            index,
            line: Some(number),
            time: None,
            direction: None,
            body: Body::Text(text.to_owned()),
        });
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
    let (conn, index) = counters.frame(probe.conn.as_ref().map_or("", |ConnId(id)| id));
    let time = if direction.is_some() { probe.time } else { None };
    Some(Frame { conn, index, line: Some(number), time, direction, body })
}

/// A HAR-style message object has `type` and `data` (and envelopes never have either).
fn is_message_object(object: &serde_json::Map<String, Value>) -> bool {
    object.contains_key("type")
        && (object.contains_key("data") || object.get("type").and_then(Value::as_str) == Some("error"))
}

/// Reads one line into `line`, keeping at most `max` bytes. Returns the bytes consumed and
/// whether the line was longer than `max`.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut overflow = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((consumed, overflow));
        }
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        if !overflow && line.len() + chunk.len() <= max {
            line.extend_from_slice(chunk);
        } else {
            overflow = true;
            line.clear();
        }
        let length = chunk.len();
        reader.consume(length);
        consumed += length;
        if done {
            return Ok((consumed, overflow));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(capture: &[u8], buffer: usize, max_line_bytes: usize) -> Vec<Event> {
        let reader = std::io::BufReader::with_capacity(buffer, capture);
        let mut events = Vec::new();
        read(reader, Limits { max_line_bytes }, &mut |event| events.push(event)).unwrap();
        events
    }

    #[test]
    fn lines_read_the_same_whatever_the_buffer_size() {
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
        let expected = events(capture, 1 << 16, 80);
        assert_eq!(expected.len(), 8);
        for buffer in 1..=90 {
            assert_eq!(events(capture, buffer, 80), expected, "with a {buffer}-byte buffer");
        }
        let Event::Frame(first) = &expected[0] else { panic!("{:?}", expected[0]) };
        assert_eq!(
            first.body,
            Body::Text("{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":1}".into())
        );
        let Event::Frame(long) = &expected[6] else { panic!("{:?}", expected[6]) };
        assert!(matches!(&long.body, Body::Unreadable(reason) if reason.contains("over the limit of 80 bytes")));
        let numbers: Vec<usize> =
            expected.iter().filter_map(|e| if let Event::Frame(f) = e { Some(f.conn.number) } else { None }).collect();
        assert_eq!(numbers, [0, 1, 0, 2, 0, 0]);
    }
}
