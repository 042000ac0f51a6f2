//! The text of a HAR document around its messages, handed on in bounded pieces to be read for
//! credentials as it streams: nothing of it is held whole, and nothing of it is passed over.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, BufRead, Read};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::{Context, Encoding, Event, Origin};

/// A string of the text around messages is handed to the parser up to this many bytes; the
/// rest of it is read for credentials in chunks as it streams, never held.
pub(crate) const KEPT_BYTES: usize = 1 << 16;
/// Pieces are handed on in batches of about this size, and the rest of a long string in
/// chunks of this size.
const BATCH_BYTES: usize = 1 << 16;
/// Consecutive chunks of a long string overlap by this much (and the first chunk starts this
/// far before the cut), so that a credential (with its name) up to this long is whole in one
/// of them. Only a longer one can be learnt in part: see [`Context::partial`].
pub const OVERLAP_BYTES: usize = 4096;
/// Values nested deeper than this below a member are read as one piece of raw text.
const MAX_DEPTH: u32 = 32;

/// What the readers of a HAR document share: where events go, the text waiting to be handed
/// on, and what kind of string the parser reads now.
pub(crate) struct Shared<'s> {
    sink: RefCell<&'s mut dyn FnMut(Event)>,
    /// Strings read now are (members of) messages, never cut.
    message: Cell<bool>,
    /// The entry read now, 0 outside entries.
    pub(crate) entry: Cell<u64>,
    /// Pieces waiting to be handed on, as the start of a JSON array.
    batch: RefCell<String>,
    /// A string was cut since the entry began: its pieces are [`Context::partial`].
    pub(crate) partial: Cell<bool>,
    /// The encoding named by the first `Sec-WebSocket-Protocol` header pair met since reset.
    pub(crate) protocol: Cell<Option<Encoding>>,
    /// Bytes of the line read now that the parser did not get (the rest of strings cut), to
    /// put back in the columns it reports.
    pub(crate) dropped: Cell<usize>,
}

impl<'s> Shared<'s> {
    pub(crate) fn new(sink: &'s mut dyn FnMut(Event)) -> Shared<'s> {
        let (message, entry, batch, protocol) = (Cell::new(false), Cell::new(0), RefCell::default(), Cell::new(None));
        let dropped = Cell::new(0);
        Shared { sink: RefCell::new(sink), message, entry, batch, partial: Cell::new(false), protocol, dropped }
    }

    /// Hands on an event, after the text read before it: credentials are learnt before the
    /// messages that may copy them.
    pub(crate) fn event(&self, event: Event) {
        self.flush();
        (self.sink.borrow_mut())(event);
    }

    /// Hands on the pieces waiting.
    pub(crate) fn flush(&self) {
        let mut json = std::mem::take(&mut *self.batch.borrow_mut());
        if !json.is_empty() {
            json.push(']');
            self.context(json, self.partial.get());
        }
    }

    fn context(&self, json: String, partial: bool) {
        let origin = Origin::Har { entry: self.entry.get() };
        (self.sink.borrow_mut())(Event::Context(Context { origin, json, partial }));
    }

    /// Adds `{key: json}` to the pieces waiting; hands them on past [`BATCH_BYTES`].
    pub(crate) fn piece(&self, key: &str, json: &str) {
        if self.batch.borrow().len() + json.len() > BATCH_BYTES {
            self.flush();
        }
        let mut batch = self.batch.borrow_mut();
        let separator = if batch.is_empty() { '[' } else { ',' };
        batch.push(separator);
        batch.push('{');
        batch.push_str(&Value::from(key).to_string());
        batch.push(':');
        batch.push_str(json);
        batch.push('}');
        let full = batch.len() >= BATCH_BYTES;
        drop(batch);
        if full {
            self.flush();
        }
    }

    /// Runs `read` with the strings it reads taken as (members of) messages: never cut.
    pub(crate) fn message<T>(&self, read: impl FnOnce() -> T) -> T {
        self.message.set(true);
        let result = read();
        self.message.set(false);
        result
    }
}

/// Reads the member whose key was just read for credentials, as [`Walk`] does; returns its
/// value (a string cut to [`KEPT_BYTES`]) unless it was handed on in parts.
pub(crate) fn learn<'de, A: MapAccess<'de>>(
    map: &mut A,
    shared: &Shared<'_>,
    key: &str,
) -> Result<Option<Value>, A::Error> {
    let walked = map.next_value_seed(Walk { shared, key, depth: 0 })?;
    Ok(walked.map(|(value, _)| {
        shared.piece(key, &value.to_string());
        value
    }))
}

/// Reads a value for credentials: strings, numbers and booleans are gathered into the objects
/// and arrays that hold them, and those are handed on as pieces (`{key: value}`, `key` the
/// member that holds them) when they pass [`BATCH_BYTES`]. Answers what is left to hand on, with
/// about its size.
pub(crate) struct Walk<'w, 's> {
    pub(crate) shared: &'w Shared<'s>,
    pub(crate) key: &'w str,
    pub(crate) depth: u32,
}

type Walked = Option<(Value, usize)>;

impl<'s> Walk<'_, 's> {
    fn inner<'k>(&'k self, key: &'k str) -> Walk<'k, 's> {
        Walk { shared: self.shared, key, depth: self.depth + 1 }
    }

    fn hand_on(&self, value: Value) {
        self.shared.piece(self.key, &value.to_string());
    }

    /// Notes the encoding a `{name: "Sec-WebSocket-Protocol", value}` pair names.
    fn protocol(&self, members: &Map<String, Value>) {
        let (Some(Value::String(name)), Some(Value::String(value))) = (members.get("name"), members.get("value"))
        else {
            return;
        };
        if self.shared.protocol.get().is_none() && name.eq_ignore_ascii_case("Sec-WebSocket-Protocol") {
            self.shared.protocol.set(Encoding::from_subprotocol(value));
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = Walked;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Walked, D::Error> {
        if self.depth > MAX_DEPTH {
            let raw = <Box<RawValue> as serde::Deserialize>::deserialize(deserializer)?;
            self.shared.piece(self.key, raw.get());
            return Ok(None);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = Walked;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, text: &str) -> Result<Walked, E> {
        Ok(Some((Value::from(text), text.len() + 2)))
    }
    fn visit_bool<E>(self, value: bool) -> Result<Walked, E> {
        Ok(Some((Value::from(value), 5)))
    }
    fn visit_i64<E>(self, value: i64) -> Result<Walked, E> {
        Ok(Some((Value::from(value), 20)))
    }
    fn visit_u64<E>(self, value: u64) -> Result<Walked, E> {
        Ok(Some((Value::from(value), 20)))
    }
    fn visit_f64<E>(self, value: f64) -> Result<Walked, E> {
        Ok(Some((Value::from(value), 24)))
    }
    fn visit_unit<E>(self) -> Result<Walked, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Walked, A::Error> {
        let (mut members, mut size) = (Map::new(), 0);
        while let Some(key) = map.next_key::<String>()? {
            let Some((value, bytes)) = map.next_value_seed(self.inner(&key))? else { continue };
            if members.contains_key(&key) {
                self.hand_on(Value::Object(std::mem::take(&mut members)));
                size = 0;
            }
            size += key.len() + bytes + 4;
            members.insert(key, value);
            if size >= BATCH_BYTES {
                self.hand_on(Value::Object(std::mem::take(&mut members)));
                size = 0;
            }
        }
        self.protocol(&members);
        Ok((!members.is_empty()).then(|| (Value::Object(members), size + 2)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Walked, A::Error> {
        let (mut items, mut size) = (Vec::new(), 0);
        while let Some(walked) = seq.next_element_seed(self.inner(self.key))? {
            let Some((value, bytes)) = walked else { continue };
            size += bytes + 1;
            items.push(value);
            if size >= BATCH_BYTES {
                self.hand_on(Value::Array(std::mem::take(&mut items)));
                size = 0;
            }
        }
        Ok((!items.is_empty()).then(|| (Value::Array(items), size + 2)))
    }
}

/// The HAR text as the parser reads it: a string around the messages longer than
/// [`KEPT_BYTES`] is cut there (where a character or escape starts) and the rest of it,
/// unescaped, is handed on in overlapping chunks of [`BATCH_BYTES`] as it is read. Only
/// `"` and escapes are followed, which is all a string's end needs; the parser checks the rest.
pub(crate) struct Capping<'w, 's, R> {
    inner: R,
    shared: &'w Shared<'s>,
    string: Option<Str>,
}

impl<'w, 's, R> Capping<'w, 's, R> {
    pub(crate) fn new(inner: R, shared: &'w Shared<'s>) -> Self {
        Capping { inner, shared, string: None }
    }
}

/// The string being read.
#[derive(Default)]
struct Str {
    /// A message's: followed to its end only.
    message: bool,
    escape: Escape,
    /// A `\u` escape of a leading surrogate, waiting for the trailing one.
    high: Option<u32>,
    /// Bytes handed to the parser.
    passed: usize,
    /// Past [`KEPT_BYTES`]: the rest goes to chunks.
    cut: bool,
    /// The string's latest text, unescaped: the overlap before a cut, then the chunk.
    text: Vec<u8>,
}

#[derive(Default, Clone, Copy, PartialEq)]
enum Escape {
    #[default]
    None,
    /// After a backslash.
    Next,
    /// Within `\u`: the digits read, and their value.
    Hex(u8, u32),
}

impl<R: BufRead> Read for Capping<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Capping { inner, shared, string } = self;
        let mut written = 0;
        while written == 0 && !buf.is_empty() {
            let available = inner.fill_buf()?;
            if available.is_empty() {
                break;
            }
            let mut used = 0;
            for &byte in available {
                used += 1;
                if pass(shared, string, byte) {
                    buf[written] = byte;
                    written += 1;
                    if written == buf.len() {
                        break;
                    }
                }
            }
            inner.consume(used);
        }
        Ok(written)
    }
}

/// Whether the parser gets `byte`, read in `current` (the string being read, if any).
fn pass(shared: &Shared<'_>, current: &mut Option<Str>, byte: u8) -> bool {
    if byte == b'\n' {
        shared.dropped.set(0);
    }
    let Some(string) = current else {
        if byte == b'"' {
            *current = Some(Str { message: shared.message.get(), ..Str::default() });
        }
        return true;
    };
    if string.escape == Escape::None && byte == b'"' {
        if string.cut {
            string.chunk(shared, true);
        }
        *current = None;
        return true;
    }
    if string.message {
        string.escape = match (string.escape, byte) {
            (Escape::None, b'\\') => Escape::Next,
            _ => Escape::None,
        };
        return true;
    }
    let starts_char = string.escape == Escape::None && string.high.is_none() && !(0x80..0xC0).contains(&byte);
    if !string.cut && string.passed >= KEPT_BYTES && starts_char {
        string.cut = true;
        shared.partial.set(true);
    }
    string.unescape(byte);
    if !string.cut {
        string.passed += 1;
        if string.text.len() >= 2 * OVERLAP_BYTES {
            let from = char_start(&string.text, string.text.len() - OVERLAP_BYTES);
            string.text.drain(..from);
        }
        return true;
    }
    if string.text.len() >= BATCH_BYTES {
        string.chunk(shared, false);
    }
    shared.dropped.set(shared.dropped.get() + 1);
    false
}

impl Str {
    /// Hands on the text of the string read so far, keeping its overlap unless it `ended`.
    fn chunk(&mut self, shared: &Shared<'_>, ended: bool) {
        let string = self;
        let end = if ended { string.text.len() } else { char_start(&string.text, string.text.len() - 1) };
        let chunk = Value::from(String::from_utf8_lossy(&string.text[..end])).to_string();
        let from = char_start(&string.text, end.saturating_sub(OVERLAP_BYTES));
        string.text.drain(..from);
        shared.context(chunk, !ended);
    }
}

/// The start of the character at or after `at` in UTF-8 text.
fn char_start(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(|b| (0x80..0xC0).contains(b)) {
        at += 1;
    }
    at
}

impl Str {
    /// Adds the character `byte` writes, if it ends one, to the string's text.
    fn unescape(&mut self, byte: u8) {
        let char_out = |c: char, text: &mut Vec<u8>| text.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        self.escape = match (self.escape, byte) {
            (Escape::None, b'\\') => Escape::Next,
            (Escape::Next, b'u') => Escape::Hex(0, 0),
            (Escape::Hex(digits, value), _) => {
                let value = value * 16 + char::from(byte).to_digit(16).unwrap_or(0);
                if digits < 3 {
                    Escape::Hex(digits + 1, value)
                } else {
                    match (self.high.take(), value) {
                        (None, 0xD800..0xDC00) => self.high = Some(value),
                        (Some(high), 0xDC00..0xE000) => {
                            let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (value - 0xDC00));
                            char_out(c.unwrap_or(char::REPLACEMENT_CHARACTER), &mut self.text);
                        }
                        (high, _) => {
                            if high.is_some() {
                                char_out(char::REPLACEMENT_CHARACTER, &mut self.text);
                            }
                            char_out(char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER), &mut self.text);
                        }
                    }
                    Escape::None
                }
            }
            (escape, _) => {
                if self.high.take().is_some() {
                    char_out(char::REPLACEMENT_CHARACTER, &mut self.text);
                }
                if escape == Escape::None {
                    self.text.push(byte);
                } else {
                    let c = match byte {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        other => char::from(other),
                    };
                    char_out(c, &mut self.text);
                }
                Escape::None
            }
        };
    }
}
