//! HAR 1.2: one connection per websocket entry, streamed entry by entry.

use std::fmt;
use std::io::{BufRead, Read};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::{Connections, Event, Frame, ReadError, Skipped, message_object};

pub fn read(reader: impl BufRead, sink: &mut dyn FnMut(Event)) -> Result<(), ReadError> {
    let mut reader = SkipBom { inner: reader, checked: false };
    let mut found_entries = false;
    let mut deserializer = serde_json::Deserializer::from_reader(&mut reader);
    let result = Root { sink, found_entries: &mut found_entries }.deserialize(&mut deserializer);
    match result {
        Ok(()) => {}
        Err(error) if error.is_io() => return Err(ReadError::Io(error.into())),
        Err(error) if error.is_data() && error.line() == 1 && error.column() <= 1 => {
            return Err(ReadError::NotHar(error.to_string()));
        }
        Err(error) => {
            let reason = error.to_string();
            let reason = reason.split(" at line ").next().unwrap_or(&reason).to_owned();
            return Err(ReadError::MalformedHar { line: error.line(), column: error.column(), reason });
        }
    }
    deserializer.end().map_err(|e| ReadError::MalformedHar {
        line: e.line(),
        column: e.column(),
        reason: "trailing text after the HAR document".into(),
    })?;
    if !found_entries {
        return Err(ReadError::NotHar("it has no `log.entries` array".to_owned()));
    }
    Ok(())
}

/// Drops a UTF-8 byte-order mark at the start.
struct SkipBom<R> {
    inner: R,
    checked: bool,
}

impl<R: BufRead> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.checked {
            self.checked = true;
            if self.inner.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
                self.inner.consume(3);
            }
        }
        self.inner.read(buf)
    }
}

struct Root<'a> {
    sink: &'a mut dyn FnMut(Event),
    found_entries: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for Root<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR document (an object with `log`)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "log" {
                map.next_value_seed(Log { sink: &mut *self.sink, found_entries: &mut *self.found_entries })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Log<'a> {
    sink: &'a mut dyn FnMut(Event),
    found_entries: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for Log<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Log<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the HAR `log` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" {
                *self.found_entries = true;
                map.next_value_seed(Entries { sink: &mut *self.sink })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Entries<'a> {
    sink: &'a mut dyn FnMut(Event),
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the HAR `log.entries` array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut position = 0u64;
        let mut connections = Connections::default();
        // One entry at a time: only the current entry is held in memory.
        while let Some(entry) = seq.next_element::<Entry>()? {
            position += 1;
            entry.emit(position, &mut connections, self.sink);
        }
        Ok(())
    }
}

/// The parts of a HAR entry that matter here; everything else is skipped while parsing.
#[derive(serde::Deserialize)]
struct Entry {
    #[serde(rename = "_resourceType", default)]
    resource_type: Option<Value>,
    #[serde(rename = "_webSocketMessages", default)]
    messages: Option<Value>,
}

impl Entry {
    fn emit(self, position: u64, connections: &mut Connections, sink: &mut dyn FnMut(Event)) {
        let items = match self.messages {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let websocket = self.resource_type.as_ref().and_then(Value::as_str) == Some("websocket") || !items.is_empty();
        if !websocket {
            sink(Event::Skipped(Skipped::HttpEntry { entry: position }));
            return;
        }
        let conn = format!("entry:{position}");
        for item in items {
            let (direction, time, body) = match &item {
                Value::Object(object) => message_object(object),
                _ => (None, None, crate::Body::Unreadable("the message item is not an object".to_owned())),
            };
            let (conn, index) = connections.frame(&conn);
            let frame = Frame { conn, index, line: None, time, direction, body };
            sink(Event::Frame(frame));
        }
    }
}
