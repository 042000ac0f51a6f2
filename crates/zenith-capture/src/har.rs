//! HAR 1.2: one connection per websocket entry, streamed message by message.

use std::fmt;
use std::io::{BufRead, BufReader, Read};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::around::{Capping, Shared, Walk, learn};
use crate::{Body, Encoding, Event, Frame, Origin, ReadError, Skipped, message_object};

/// A visitor's answer to a string, number, boolean or null where it wants an object or an array:
/// `$nothing`, so that a HAR file with an odd value there is still read. A string there is
/// still read for credentials, as text around the messages under `$key`.
macro_rules! scalars_are_nothing {
    ($nothing:expr, $key:expr) => {
        fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
            self.shared.piece($key, &serde_json::Value::from(text).to_string());
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
    let shared = Shared::new(sink);
    let reader = BufReader::with_capacity(1 << 16, SkipBom { inner: reader, checked: false });
    // Entries read so far, over every `log.entries` array (a repeated key continues the count,
    // so no two connections share a name); `None` until one is found.
    let mut entries = None;
    let mut deserializer = serde_json::Deserializer::from_reader(Capping::new(reader, &shared));
    let result = Root { shared: &shared, entries: &mut entries }.deserialize(&mut deserializer);
    shared.flush();
    match result {
        Ok(()) => {}
        Err(error) if error.is_io() => return Err(ReadError::Io(error.into())),
        Err(error) if error.is_data() && error.line() == 1 && error.column() <= 1 => {
            return Err(ReadError::NotHar(unquoted(&error.to_string())));
        }
        Err(error) => {
            let reason = unquoted(&error.to_string());
            let reason = reason.rsplit_once(" at line ").map_or(&*reason, |(reason, _)| reason).to_owned();
            return Err(ReadError::MalformedHar { line: error.line(), column: column(&error, &shared), reason });
        }
    }
    deserializer.end().map_err(|e| ReadError::MalformedHar {
        line: e.line(),
        column: column(&e, &shared),
        reason: "trailing text after the HAR document".into(),
    })?;
    if entries.is_none() {
        return Err(ReadError::NotHar("it has no `log.entries` array".to_owned()));
    }
    Ok(())
}

/// The column of a parser's error in the document, counting the bytes of cut strings the parser
/// did not get.
fn column(error: &serde_json::Error, shared: &Shared<'_>) -> usize {
    error.column() + shared.dropped.get()
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

struct Root<'a, 's> {
    shared: &'a Shared<'s>,
    entries: &'a mut Option<u64>,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR document (an object with `log`)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "log" {
                map.next_value_seed(Log { shared: self.shared, entries: &mut *self.entries })?;
            } else {
                learn(&mut map, self.shared, &key)?;
            }
        }
        Ok(())
    }
}

struct Log<'a, 's> {
    shared: &'a Shared<'s>,
    entries: &'a mut Option<u64>,
}

impl<'de> DeserializeSeed<'de> for Log<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Log<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the HAR `log` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" {
                let read = self.entries.get_or_insert(0);
                map.next_value_seed(Entries { shared: self.shared, read })?;
            } else {
                learn(&mut map, self.shared, &key)?;
            }
        }
        Ok(())
    }
}

struct Entries<'a, 's> {
    shared: &'a Shared<'s>,
    /// Entries read before this array.
    read: &'a mut u64,
}

impl<'de> DeserializeSeed<'de> for Entries<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the HAR `log.entries` array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // One message at a time: not even the current entry is held in memory.
        loop {
            let entry = Entry { position: *self.read + 1, shared: self.shared };
            if seq.next_element_seed(entry)?.is_none() {
                break;
            }
            *self.read += 1;
        }
        Ok(())
    }
}

/// One HAR entry: its websocket messages become frames as they are parsed; everything else is
/// read for credentials (never shown) as it streams.
struct Entry<'a, 's> {
    /// 1-based position in `log.entries` (counted on over a repeated `entries` key).
    position: u64,
    shared: &'a Shared<'s>,
}

impl<'de> DeserializeSeed<'de> for Entry<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR entry (an object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut websocket, mut messages, mut encoding) = (false, 0u64, None);
        self.shared.flush();
        self.shared.partial.set(false);
        self.shared.entry.set(self.position);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "_resourceType" => {
                    websocket |=
                        learn(&mut map, self.shared, &key)?.as_ref().and_then(Value::as_str) == Some("websocket")
                }
                // The subprotocol the server chose tells how binary messages are encoded (when
                // the reply comes before the messages, as exporters write it).
                "response" => {
                    self.shared.protocol.set(None);
                    learn(&mut map, self.shared, &key)?;
                    encoding = self.shared.protocol.take();
                }
                "_webSocketMessages" => {
                    let items = Items { entry: self.position, encoding, shared: self.shared };
                    messages += map.next_value_seed(items)?;
                }
                _ => {
                    learn(&mut map, self.shared, &key)?;
                }
            }
        }
        if !websocket && messages == 0 {
            self.shared.event(Event::Skipped(Skipped::HttpEntry { entry: self.position }));
        }
        self.shared.entry.set(0);
        Ok(())
    }
}

/// An entry's `_webSocketMessages`, one item at a time. Anything but an array holds no
/// messages.
struct Items<'a, 's> {
    entry: u64,
    encoding: Option<Encoding>,
    shared: &'a Shared<'s>,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    /// The number of messages.
    type Value = u64;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the entry's `_webSocketMessages` array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut count = 0;
        while let Some((direction, time, body)) =
            seq.next_element_seed(Item { encoding: self.encoding, shared: self.shared })?
        {
            count += 1;
            let origin = Origin::Har { entry: self.entry };
            self.shared.event(Event::Frame(Frame { origin, time, direction, body }));
        }
        Ok(count)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<u64, A::Error> {
        let key = "_webSocketMessages";
        if let Some((value, _)) = (Walk { shared: self.shared, key, depth: 0 }).visit_map(map)? {
            self.shared.piece(key, &value.to_string());
        }
        Ok(0)
    }
    scalars_are_nothing!(0, "_webSocketMessages");
}

/// One message item: the members that say what the message is are read whole, each [`apart`];
/// the others are read for credentials as they stream.
struct Item<'a, 's> {
    encoding: Option<Encoding>,
    shared: &'a Shared<'s>,
}

type Message = (Option<crate::Direction>, Option<f64>, Body);

fn not_an_object() -> Message {
    (None, None, Body::Unreadable("the message item is not an object".to_owned()))
}

impl<'de> DeserializeSeed<'de> for Item<'_, '_> {
    type Value = Message;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Message, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Item<'_, '_> {
    type Value = Message;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a message item")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
        let (mut object, mut error) = (serde_json::Map::new(), None);
        while let Some(key) = map.next_key::<String>()? {
            if !crate::context::ITEM_KEYS.contains(&key.as_str()) {
                learn(&mut map, self.shared, &key)?;
                continue;
            }
            let raw = self.shared.message(|| map.next_value::<Box<RawValue>>())?;
            match apart(&raw) {
                Ok(value) => {
                    if crate::context::around(&key, value.is_string(), value.as_str().unwrap_or_default()) {
                        self.shared.piece(&key, raw.get());
                    }
                    object.insert(key, value);
                }
                Err(failed) => error = Some(failed),
            }
        }
        Ok(match error {
            Some(error) => (None, None, Body::Unreadable(format!("the message item cannot be read: {error}"))),
            None => message_object(&object, self.encoding),
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Message, A::Error> {
        if let Some((value, _)) = (Walk { shared: self.shared, key: "_webSocketMessages", depth: 0 }).visit_seq(seq)? {
            self.shared.piece("_webSocketMessages", &value.to_string());
        }
        Ok(not_an_object())
    }
    scalars_are_nothing!(not_an_object(), "_webSocketMessages");
}

/// A value read as its own JSON text and parsed apart, so that its nesting counts from itself,
/// as a JSON Lines line's does, and not from where it sits in the HAR document. Passing over the
/// text has no depth limit; only the value parsed has one.
fn apart(raw: &RawValue) -> Result<Value, serde_json::Error> {
    serde_json::from_str(raw.get())
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
            Event::Context(other),
            Event::Context(websocket),
            Event::Context(xhr),
            Event::Skipped(Skipped::HttpEntry { entry: 4 }),
        ] = &events[..]
        else {
            panic!("{events:?}")
        };
        // The rest of each entry, read for credentials only, before the next entry.
        assert_eq!(request.json, r#"[{"request":{"url":"https://x.invalid/"}}]"#);
        let types = [&other.json, &websocket.json, &xhr.json];
        assert_eq!(
            types,
            [
                r#"[{"_resourceType":"other"}]"#,
                r#"[{"_resourceType":"websocket"},{"_webSocketMessages":{"not":"an array"}}]"#,
                r#"[{"_resourceType":"xhr"}]"#
            ]
        );
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
    fn errors_after_a_long_string_are_placed_where_they_are() {
        let body = "x".repeat(200_000);
        let har = format!(r#"{{"log": {{"entries": [{{"comment": "{body}"}} oops]}}}}"#);
        let column = har.find("oops").unwrap() + 1;
        let (_, result) = events(&har);
        match result {
            Err(ReadError::MalformedHar { line: 1, column: found, .. }) => assert_eq!(found, column),
            other => panic!("{other:?}"),
        }
    }

    /// The text read for credentials, each event's, and the frames' bodies.
    fn split(events: &[Event]) -> (Vec<&str>, Vec<&Body>) {
        let contexts = events.iter().filter_map(|e| if let Event::Context(c) = e { Some(&*c.json) } else { None });
        let frames = events.iter().filter_map(|e| if let Event::Frame(f) = e { Some(&f.body) } else { None });
        (contexts.collect(), frames.collect())
    }

    #[test]
    fn many_headers_are_read_in_bounded_batches_before_the_messages() {
        let headers: Vec<Value> =
            (0..20_000).map(|i| serde_json::json!({"name": format!("X-H{i}"), "value": "v"})).collect();
        let har = serde_json::json!({"log": {"entries": [{"_resourceType": "websocket",
            "request": {"url": "wss://h/", "headers": headers},
            "_webSocketMessages": [{"type": "send", "opcode": 1, "data": "{}"}]}]}});
        let (events, result) = events(&har.to_string());
        result.unwrap();
        assert!(matches!(events.last(), Some(Event::Frame(_))), "the frame comes after its context");
        let (contexts, _) = split(&events);
        assert!(contexts.len() > 5, "{:?}", contexts.iter().map(|c| c.len()).collect::<Vec<_>>());
        assert!(contexts.iter().all(|json| json.len() < 80_000 && serde_json::from_str::<Value>(json).is_ok()));
        let all = contexts.concat();
        assert!(all.contains(r#"{"name":"X-H0","value":"v"}"#) && all.contains(r#"{"name":"X-H19999","value":"v"}"#));
    }

    #[test]
    fn a_long_string_around_messages_is_cut_and_its_rest_read_in_chunks() {
        // Escapes and characters of several bytes, so that cuts fall among them.
        let filler = r#"\u00e9\ud83d\ude00\"é✓ab"#.repeat(200_000);
        let har = format!(
            r#"{{"log": {{"entries": [{{"comment": "{filler}Bearer L4te-T0ken{filler}", "_webSocketMessages":
            [{{"type": "send", "opcode": 1, "data": "{filler}", "note": "{filler}"}}]}}]}}}}"#
        );
        let (events, result) = events(&har);
        result.unwrap();
        let (contexts, bodies) = split(&events);
        assert!(contexts.iter().all(|json| json.len() < super::super::around::KEPT_BYTES + 200_000));
        assert!(contexts.iter().any(|json| json.contains("Bearer L4te-T0ken")), "the credential is read");
        assert!(contexts.iter().any(|json| json.contains(r#"é😀\"é✓ab"#)), "escapes are read as written");
        // A message is never cut.
        let [Body::Text(text)] = &bodies[..] else { panic!("{bodies:?}") };
        assert_eq!(text.len(), r#"é😀"é✓ab"#.len() * 200_000);
    }

    #[test]
    fn messages_read_before_a_truncation_are_kept() {
        let har = r#"{"log": {"entries": [{"_webSocketMessages": [{"type": "receive", "opcode": 1, "data": "{}"}, {"type": "se"#;
        let (events, result) = events(har);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(result, Err(ReadError::MalformedHar { .. })), "{result:?}");
    }
}
