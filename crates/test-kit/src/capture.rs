//! Captures written in code: messages on connections, as JSON Lines or as a HAR document.

use std::path::Path;

use base64::Engine as _;
use serde_json::{Map, Value, json};

/// A capture being written: each message with its direction, and the connection and time in
/// force when it was added.
///
/// `conn`, `at` and `opcode` apply to the messages added after them. Each JSON Lines line is
/// `{"conn", "type", "time", "opcode", "data"}` in that order, with `conn`, `time` and `opcode`
/// written only when set.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    items: Vec<Item>,
    conn: Option<String>,
    time: Option<f64>,
    opcode: Option<u8>,
}

#[derive(Clone, Debug)]
struct Item {
    conn: Option<String>,
    direction: String,
    time: Option<f64>,
    opcode: Option<u8>,
    data: String,
}

/// What a test hands over as a message: its JSON text, or a JSON value written compactly.
pub trait Message {
    /// The text the capture's `data` holds.
    fn into_text(self) -> String;
}

impl Message for &str {
    fn into_text(self) -> String {
        self.to_owned()
    }
}

impl Message for String {
    fn into_text(self) -> String {
        self
    }
}

impl Message for &String {
    fn into_text(self) -> String {
        self.clone()
    }
}

impl Message for Value {
    fn into_text(self) -> String {
        self.to_string()
    }
}

impl Message for &Value {
    fn into_text(self) -> String {
        self.to_string()
    }
}

impl Capture {
    pub fn new() -> Capture {
        Capture::default()
    }

    /// The messages added from here on are on connection `conn`.
    pub fn conn(mut self, conn: &str) -> Capture {
        self.conn = Some(conn.to_owned());
        self
    }

    /// The messages added from here on were seen at `time` (seconds since the epoch).
    pub fn at(mut self, time: f64) -> Capture {
        self.time = Some(time);
        self
    }

    /// The messages added from here on carry this opcode (`1` text) in their item.
    pub fn opcode(mut self, opcode: u8) -> Capture {
        self.opcode = Some(opcode);
        self
    }

    /// A message from the client.
    pub fn send(self, message: impl Message) -> Capture {
        self.message("send", message)
    }

    /// A message from the server.
    pub fn receive(self, message: impl Message) -> Capture {
        self.message("receive", message)
    }

    /// A message travelling `direction` (`send`, `receive`, or anything else a test wants an
    /// item's `type` to say).
    pub fn message(mut self, direction: &str, message: impl Message) -> Capture {
        self.items.push(Item {
            conn: self.conn.clone(),
            direction: direction.to_owned(),
            time: self.time,
            opcode: self.opcode,
            data: message.into_text(),
        });
        self
    }

    /// Each `(direction, message)` in turn, as [`Capture::message`].
    pub fn messages<D: AsRef<str>, M: Message>(self, messages: impl IntoIterator<Item = (D, M)>) -> Capture {
        messages.into_iter().fold(self, |capture, (direction, message)| capture.message(direction.as_ref(), message))
    }

    /// A binary message travelling `direction`: opcode 2, `data` in base64.
    pub fn binary(mut self, direction: &str, bytes: &[u8]) -> Capture {
        self.items.push(Item {
            conn: self.conn.clone(),
            direction: direction.to_owned(),
            time: self.time,
            opcode: Some(2),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        });
        self
    }

    /// The number of messages.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The capture as JSON Lines, one item a line, each line ended.
    pub fn jsonl(&self) -> String {
        self.items.iter().map(|item| format!("{}\n", Value::Object(item.object(true)))).collect()
    }

    /// The capture as a HAR document: an entry of `_resourceType` `websocket` for each
    /// connection, in order of first use, holding its items (without their `conn`).
    pub fn har(&self) -> String {
        let mut entries: Vec<(Option<&str>, Vec<Value>)> = Vec::new();
        for item in &self.items {
            let object = Value::Object(item.object(false));
            match entries.iter_mut().find(|(conn, _)| *conn == item.conn.as_deref()) {
                Some((_, items)) => items.push(object),
                None => entries.push((item.conn.as_deref(), vec![object])),
            }
        }
        let entries: Vec<Value> = entries
            .into_iter()
            .map(|(_, items)| json!({"_resourceType": "websocket", "_webSocketMessages": items}))
            .collect();
        format!("{}\n", json!({"log": {"version": "1.2", "entries": entries}}))
    }

    /// Writes [`Capture::jsonl`] to `path`.
    pub fn write_jsonl(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        std::fs::write(path, self.jsonl()).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// Writes [`Capture::har`] to `path`.
    pub fn write_har(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        std::fs::write(path, self.har()).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

impl Item {
    fn object(&self, with_conn: bool) -> Map<String, Value> {
        let mut object = Map::new();
        if let (true, Some(conn)) = (with_conn, &self.conn) {
            object.insert("conn".into(), conn.as_str().into());
        }
        object.insert("type".into(), self.direction.as_str().into());
        if let Some(time) = self.time {
            object.insert("time".into(), time.into());
        }
        if let Some(opcode) = self.opcode {
            object.insert("opcode".into(), opcode.into());
        }
        object.insert("data".into(), self.data.as_str().into());
        object
    }
}
