//! HAR 1.2: one connection per websocket entry, streamed message by message.

use std::fmt;
use std::io::{BufRead, BufReader, Read};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::{Context, Encoding, Event, Frame, Origin, ReadError, Skipped, message_object};

/// The encoding named by a HAR response's `Sec-WebSocket-Protocol` header.
fn subprotocol(response: &Value) -> Option<Encoding> {
    let headers = response.get("headers")?.as_array()?;
    headers.iter().find_map(|header| {
        let name = header.get("name")?.as_str()?;
        let value = header.get("value")?.as_str()?;
        name.eq_ignore_ascii_case("Sec-WebSocket-Protocol").then(|| Encoding::from_subprotocol(value)).flatten()
    })
}

/// A visitor's answer to a string, number, boolean or null where it wants an object or an array:
/// `$nothing`, so that a HAR file with an odd value there is still read.
macro_rules! scalars_are_nothing {
    ($nothing:expr) => {
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($nothing)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($nothing)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($nothing)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($nothing)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($nothing)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($nothing)
        }
    };
}

pub fn read(reader: impl BufRead, sink: &mut dyn FnMut(Event)) -> Result<(), ReadError> {
    // The parser asks for one byte at a time; a buffer of a known type answers that fastest.
    let reader = BufReader::with_capacity(1 << 16, SkipBom { inner: reader, checked: false });
    // Entries read so far, over every `log.entries` array (a repeated key continues the count,
    // so no two connections share a name); `None` until one is found.
    let mut entries = None;
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = Root { sink, entries: &mut entries }.deserialize(&mut deserializer);
    match result {
        Ok(()) => {}
        Err(error) if error.is_io() => return Err(ReadError::Io(error.into())),
        Err(error) if error.is_data() && error.line() == 1 && error.column() <= 1 => {
            return Err(ReadError::NotHar(unquoted(&error.to_string())));
        }
        Err(error) => {
            let reason = unquoted(&error.to_string());
            let reason = reason.rsplit_once(" at line ").map_or(&*reason, |(reason, _)| reason).to_owned();
            return Err(ReadError::MalformedHar { line: error.line(), column: error.column(), reason });
        }
    }
    deserializer.end().map_err(|e| ReadError::MalformedHar {
        line: e.line(),
        column: e.column(),
        reason: "trailing text after the HAR document".into(),
    })?;
    if entries.is_none() {
        return Err(ReadError::NotHar("it has no `log.entries` array".to_owned()));
    }
    Ok(())
}

/// A parser's error without the value it quotes (`invalid type: string "...", expected ...`
/// becomes `invalid type: string, expected ...`): a value of the capture may be a credential.
fn unquoted(reason: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = reason.strip_prefix(prefix).and_then(|rest| rest.rsplit_once(", expected ")) {
            let kind = found.split(['"', '`']).next().unwrap_or_default().trim_end();
            return format!("{prefix}{kind}, expected {expected}");
        }
    }
    reason.to_owned()
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
    entries: &'a mut Option<u64>,
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
                map.next_value_seed(Log { sink: &mut *self.sink, entries: &mut *self.entries })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Log<'a> {
    sink: &'a mut dyn FnMut(Event),
    entries: &'a mut Option<u64>,
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
                let read = self.entries.get_or_insert(0);
                map.next_value_seed(Entries { sink: &mut *self.sink, read })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Entries<'a> {
    sink: &'a mut dyn FnMut(Event),
    /// Entries read before this array.
    read: &'a mut u64,
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
        // One message at a time: not even the current entry is held in memory.
        loop {
            let entry = Entry { position: *self.read + 1, sink: &mut *self.sink };
            if seq.next_element_seed(entry)?.is_none() {
                break;
            }
            *self.read += 1;
        }
        Ok(())
    }
}

/// One HAR entry: its websocket messages become frames as they are parsed; everything else is
/// skipped.
struct Entry<'a> {
    /// 1-based position in `log.entries` (counted on over a repeated `entries` key).
    position: u64,
    sink: &'a mut dyn FnMut(Event),
}

impl<'de> DeserializeSeed<'de> for Entry<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR entry (an object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut websocket, mut messages, mut encoding) = (false, 0u64, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "_resourceType" => {
                    websocket |= apart(&map.next_value::<Box<RawValue>>()?).ok().as_ref().and_then(Value::as_str)
                        == Some("websocket")
                }
                // The subprotocol the server chose tells how binary messages are encoded (when
                // the reply comes before the messages, as exporters write it). Only the headers
                // are read: a body is passed over as it is read, never held. The request and the
                // response are handed on to be read for credentials too (they are never shown).
                "request" | "response" => {
                    let read =
                        map.next_value_seed(Members(&["url", "headers", "cookies", "queryString", "redirectURL"]))?;
                    if !read.is_empty() {
                        let origin = Origin::Har { entry: self.position };
                        let json = serde_json::to_string(&read).unwrap_or_default();
                        (self.sink)(Event::Context(Context { origin, json }));
                    }
                    if key == "response" {
                        encoding = subprotocol(&Value::Object(read));
                    }
                }
                "_webSocketMessages" => {
                    let items = Items { entry: self.position, encoding, sink: &mut *self.sink };
                    messages += map.next_value_seed(items)?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !websocket && messages == 0 {
            (self.sink)(Event::Skipped(Skipped::HttpEntry { entry: self.position }));
        }
        Ok(())
    }
}

/// An entry's `_webSocketMessages`, one item at a time. Anything but an array holds no
/// messages.
struct Items<'a> {
    entry: u64,
    encoding: Option<Encoding>,
    sink: &'a mut dyn FnMut(Event),
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    /// The number of messages.
    type Value = u64;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the entry's `_webSocketMessages` array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut count = 0;
        while let Some(item) = seq.next_element::<Box<RawValue>>()? {
            count += 1;
            let (direction, time, body) = match apart(&item) {
                Ok(Value::Object(object)) => {
                    if let Some(json) = crate::context::beside(&object) {
                        let origin = Origin::Har { entry: self.entry };
                        (self.sink)(Event::Context(Context { origin, json }));
                    }
                    message_object(&object, self.encoding)
                }
                Ok(_) => (None, None, crate::Body::Unreadable("the message item is not an object".to_owned())),
                Err(error) => {
                    (None, None, crate::Body::Unreadable(format!("the message item cannot be read: {error}")))
                }
            };
            let origin = Origin::Har { entry: self.entry };
            (self.sink)(Event::Frame(Frame { origin, time, direction, body }));
        }
        Ok(count)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<u64, A::Error> {
        IgnoredAny.visit_map(map).map(|_| 0)
    }
    scalars_are_nothing!(0);
}

/// A value read as its own JSON text and parsed apart, so that its nesting counts from itself,
/// as a JSON Lines line's does, and not from where it sits in the HAR document. Passing over the
/// text has no depth limit; only the value parsed has one.
fn apart(raw: &RawValue) -> Result<Value, serde_json::Error> {
    serde_json::from_str(raw.get())
}

/// The members of an object named in the list, each parsed [`apart`] (left out when that
/// fails); every other member, and any value that is not an object, is passed over as it is
/// read, so a large body is never held.
struct Members(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Members {
    type Value = serde_json::Map<String, Value>;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Members {
    type Value = serde_json::Map<String, Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if self.0.contains(&key.as_str()) {
                if let Ok(value) = apart(&map.next_value::<Box<RawValue>>()?) {
                    members.insert(key, value);
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(members)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| serde_json::Map::new())
    }
    scalars_are_nothing!(serde_json::Map::new());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Body, Direction};

    fn events(har: &str) -> (Vec<Event>, Result<(), ReadError>) {
        let mut events = Vec::new();
        let result = read(har.as_bytes(), &mut |event| events.push(event));
        (events, result)
    }

    #[test]
    fn binary_messages_carry_the_encoding_of_the_response_header() {
        // {"Controller": "Zenith"} as MessagePack, base64.
        let data = "gapDb250cm9sbGVyplplbml0aA==";
        let har = format!(
            r#"{{"log": {{"entries": [
            {{"_resourceType": "websocket",
              "response": {{"status": 101, "headers": [{{"name": "sec-websocket-protocol", "value": "ZenithMsgPack"}}]}},
              "_webSocketMessages": [{{"type": "receive", "opcode": 2, "data": "{data}"}}]}},
            {{"_resourceType": "websocket", "_webSocketMessages": [{{"type": "receive", "opcode": 2, "data": "{data}"}},
              {{"type": "receive", "opcode": 2, "data": "not base64!"}}]}}
        ]}}}}"#
        );
        let (events, result) = events(&har);
        result.unwrap();
        let bodies: Vec<&Body> =
            events.iter().filter_map(|e| if let Event::Frame(f) = e { Some(&f.body) } else { None }).collect();
        let [Body::Binary(named), Body::Binary(unnamed), Body::Unreadable(reason)] = &bodies[..] else {
            panic!("{bodies:?}")
        };
        assert_eq!((named.encoding, unnamed.encoding), (Some(Encoding::MsgPack), None));
        let decoded = unnamed.decode().unwrap();
        assert_eq!((decoded.text.as_str(), decoded.inferred), (r#"{"Controller":"Zenith"}"#, true));
        assert!(reason.contains("not base64"), "{reason}");
    }

    #[test]
    fn messages_are_frames_whatever_the_order_of_entry_fields() {
        let har = r#"{"log": {"entries": [
            {"request": {"url": "https://x.invalid/"}, "response": {}},
            {"_webSocketMessages": [{"type": "send", "time": 1.5, "opcode": 1, "data": "{}"}, 7], "_resourceType": "other"},
            {"_resourceType": "websocket", "_webSocketMessages": {"not": "an array"}},
            {"_resourceType": "xhr", "_webSocketMessages": []}
        ]}}"#;
        let (events, result) = events(har);
        result.unwrap();
        let [
            Event::Context(request),
            Event::Skipped(Skipped::HttpEntry { entry: 1 }),
            Event::Frame(first),
            Event::Frame(second),
            Event::Skipped(Skipped::HttpEntry { entry: 4 }),
        ] = &events[..]
        else {
            panic!("{events:?}")
        };
        // The request, read for credentials only.
        assert_eq!(request.json, r#"{"url":"https://x.invalid/"}"#);
        assert_eq!(
            (first.origin.connection(), first.time, first.direction),
            ("entry:2".into(), Some(1.5), Some(Direction::Send))
        );
        assert_eq!(first.body, Body::Text("{}".into()));
        assert_eq!(second.origin, Origin::Har { entry: 2 });
        assert!(matches!(&second.body, Body::Unreadable(reason) if reason.contains("not an object")));
    }

    #[test]
    fn a_repeated_entries_key_continues_the_count() {
        let har = r#"{"log": {"entries": [{}, {}], "entries": [{}], "log": {"entries": [{}]}}}"#;
        let (events, result) = events(har);
        result.unwrap();
        let entries: Vec<u64> = events
            .iter()
            .map(|e| match e {
                Event::Skipped(Skipped::HttpEntry { entry }) => *entry,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(entries, [1, 2, 3]);
    }

    #[test]
    fn errors_do_not_quote_values_of_the_capture() {
        for har in [r#"{"log": {"entries": ["hunter2"]}}"#, r#""hunter2""#, r#"{"log": 12345678}"#] {
            let (_, result) = events(har);
            let error = result.unwrap_err().to_string();
            assert!(!error.contains("hunter2") && !error.contains("12345678"), "{error}");
            assert!(error.contains("invalid type: "), "{error}");
        }
    }

    #[test]
    fn messages_read_before_a_truncation_are_kept() {
        let har = r#"{"log": {"entries": [{"_webSocketMessages": [{"type": "receive", "opcode": 1, "data": "{}"}, {"type": "se"#;
        let (events, result) = events(har);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(result, Err(ReadError::MalformedHar { .. })), "{result:?}");
    }
}
