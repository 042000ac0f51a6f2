//! Binary messages: the encodings a Zenith connection may speak, told apart when the capture
//! does not say which, and turned into the JSON text the same message has in `ZenithJson`, so
//! that one set of validators checks every encoding.

mod msgpack;

use std::fmt::Write as _;

use base64::Engine as _;
use zenith_protocol::runtime::Budget;

/// How a connection's messages are encoded, named by their websocket subprotocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Json,
    MsgPack,
    Bson,
}

impl Encoding {
    /// The encoding a `Sec-WebSocket-Protocol` value names (`ZenithJson`, `ZenithMsgPack`,
    /// `ZenithBson`, in any case).
    pub fn from_subprotocol(name: &str) -> Option<Encoding> {
        [Encoding::Json, Encoding::MsgPack, Encoding::Bson]
            .into_iter()
            .find(|e| e.subprotocol().eq_ignore_ascii_case(name.trim()))
    }

    pub fn subprotocol(self) -> &'static str {
        match self {
            Encoding::Json => "ZenithJson",
            Encoding::MsgPack => "ZenithMsgPack",
            Encoding::Bson => "ZenithBson",
        }
    }

    /// The encoding of a message object, told from its first bytes: a BSON document starts with
    /// its own length and ends with a zero byte; a MessagePack map starts with a map marker; a
    /// JSON object with `{`.
    pub fn infer(bytes: &[u8]) -> Option<Encoding> {
        let bson_length = bytes.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        if bson_length == Some(bytes.len()) && bytes.len() >= 5 && bytes.last() == Some(&0) {
            return Some(Encoding::Bson);
        }
        match bytes.first()? {
            0x80..=0x8f | 0xde | 0xdf => Some(Encoding::MsgPack),
            _ if bytes.trim_ascii_start().starts_with(b"{") => Some(Encoding::Json),
            _ => None,
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Json => "JSON",
            Encoding::MsgPack => "MessagePack",
            Encoding::Bson => "BSON",
        })
    }
}

/// A binary message as captured. `Debug` shows its bytes by their number.
#[derive(Clone, PartialEq)]
pub struct Binary {
    /// The websocket opcode (2 for binary; HAR files may record others).
    pub opcode: u8,
    pub bytes: Vec<u8>,
    /// The connection's negotiated encoding; `None` when the capture does not say.
    pub encoding: Option<Encoding>,
}

/// A binary message turned into JSON text. `Debug` shows its texts by their size.
#[derive(Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    /// True when the capture did not name the encoding and it was told from the bytes.
    pub inferred: bool,
    /// Values the JSON form cannot carry, and what stands in for each: the first ones, as many
    /// as a message's findings budget keeps.
    pub notes: Vec<Note>,
    /// The notes beyond those kept, counted only.
    pub omitted_notes: u64,
    /// The same JSON text with each binary value and binary map key that is UTF-8 written as
    /// the text its bytes spell instead of base64, for the credential rules (a password sent as
    /// binary); `None` when there is none.
    pub as_text: Option<String>,
}

/// A value with no JSON equivalent, at a JSON Pointer into the decoded message. `Debug` shows
/// both (which quote the message's keys and values) by their size.
#[derive(Clone, PartialEq, Eq)]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// Why a binary message cannot be decoded. `Debug` shows the reason by its size: a decoder's
/// may quote the message.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("binary message of {0} bytes in no known encoding (neither BSON, MessagePack nor JSON)")]
    Unknown(usize),
    #[error("not valid {encoding}{inferred}: {reason}")]
    Malformed { encoding: Encoding, inferred: &'static str, reason: String },
}

/// Deepest nesting decoded, as for JSON text.
pub const MAX_DEPTH: usize = 128;

impl Binary {
    /// The message as JSON text.
    pub fn decode(&self) -> Result<Decoded, DecodeError> {
        let (encoding, inferred) = match self.encoding {
            Some(encoding) => (encoding, false),
            None => (Encoding::infer(&self.bytes).ok_or(DecodeError::Unknown(self.bytes.len()))?, true),
        };
        let malformed = |reason: String| DecodeError::Malformed {
            encoding,
            inferred: if inferred { " (the encoding was inferred)" } else { "" },
            reason,
        };
        // JSON text is seldom twice the size of its binary form.
        let mut writer = JsonWriter { text: String::with_capacity(self.bytes.len() * 2), ..JsonWriter::default() };
        match encoding {
            Encoding::Json => {
                let text = std::str::from_utf8(&self.bytes)
                    .map_err(|e| malformed(format!("not UTF-8 (byte {})", e.valid_up_to() + 1)))?;
                let text = text.to_owned();
                return Ok(Decoded { text, encoding, inferred, notes: Vec::new(), omitted_notes: 0, as_text: None });
            }
            Encoding::Bson => {
                let document = bson::RawDocument::from_bytes(&self.bytes).map_err(|e| malformed(e.to_string()))?;
                writer.bson_document(document, 0).map_err(malformed)?;
            }
            Encoding::MsgPack => {
                let mut rest = &self.bytes[..];
                writer.msgpack(&mut rest, 0).map_err(malformed)?;
                if !rest.is_empty() {
                    return Err(malformed(format!("{} bytes after the message", rest.len())));
                }
            }
        }
        let omitted_notes = writer.omitted_notes;
        let as_text = writer.as_text();
        Ok(Decoded { text: writer.text, encoding, inferred, notes: writer.notes, omitted_notes, as_text })
    }
}

/// Writes JSON text, keeping the way to the value being written, for notes.
#[derive(Default)]
struct JsonWriter<'a> {
    text: String,
    path: Vec<Step<'a>>,
    notes: Vec<Note>,
    /// Keeps the notes of one message bounded, however many values it has that JSON lacks.
    budget: Budget,
    omitted_notes: u64,
    /// Binary values written as base64 whose bytes are UTF-8: where each is in `text`, quotes
    /// included, and the text the bytes spell.
    binaries: Vec<(std::ops::Range<usize>, String)>,
}

/// One step of the way into a message: a key or an array index.
enum Step<'a> {
    Key(&'a str),
    Text(String),
    Index(usize),
}

impl Step<'_> {
    /// The key, for a step into an object.
    fn key(&self) -> Option<&str> {
        match self {
            Step::Key(key) => Some(key),
            Step::Text(key) => Some(key),
            Step::Index(_) => None,
        }
    }
}

impl<'a> JsonWriter<'a> {
    /// A note at the value being written; its JSON Pointer is only spelt out here, which is
    /// rare. Beyond the budget, notes are only counted.
    fn note(&mut self, message: String) {
        if self.budget.is_full() {
            self.omitted_notes += 1;
            return;
        }
        let mut path = String::new();
        for step in &self.path {
            path.push('/');
            match (step, step.key()) {
                (Step::Index(n), _) => path.push_str(&n.to_string()),
                (_, key) => path.push_str(&key.unwrap_or_default().replace('~', "~0").replace('/', "~1")),
            }
        }
        if self.budget.admit(path.len() + message.len()) {
            self.notes.push(Note { path, message });
        } else {
            self.omitted_notes += 1;
        }
    }

    /// Binary data, written as its base64 text; when its bytes are UTF-8, that text is kept for
    /// [`JsonWriter::as_text`].
    fn binary(&mut self, bytes: &[u8]) {
        let start = self.text.len();
        self.string(&base64::engine::general_purpose::STANDARD.encode(bytes));
        if let Ok(text) = std::str::from_utf8(bytes) {
            self.binaries.push((start..self.text.len(), text.to_owned()));
        }
    }

    /// The text written, with each binary value kept by [`JsonWriter::binary`] as its text.
    fn as_text(&self) -> Option<String> {
        if self.binaries.is_empty() {
            return None;
        }
        let mut text = String::with_capacity(self.text.len());
        let mut written = 0;
        for (span, spelt) in &self.binaries {
            text.push_str(&self.text[written..span.start]);
            text.push_str(&serde_json::Value::from(spelt.as_str()).to_string());
            written = span.end;
        }
        text.push_str(&self.text[written..]);
        Some(text)
    }

    fn integer(&mut self, value: impl itoa::Integer) {
        self.text.push_str(itoa::Buffer::new().format(value));
    }

    /// JSON text as it is.
    fn raw(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// A JSON string: quoted, with quotes, backslashes and control characters escaped.
    fn string(&mut self, text: &str) {
        self.text.push('"');
        // Most strings need no escape, and this test is one the compiler vectorises.
        if !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            self.text.push_str(text);
            self.text.push('"');
            return;
        }
        let mut start = 0;
        for (at, byte) in text.bytes().enumerate() {
            let escaped = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f => "",
                _ => continue,
            };
            self.text.push_str(&text[start..at]);
            if escaped.is_empty() {
                let _ = write!(self.text, "\\u{byte:04x}");
            } else {
                self.text.push_str(escaped);
            }
            start = at + 1;
        }
        self.text.push_str(&text[start..]);
        self.text.push('"');
    }

    fn float(&mut self, value: f64, what: &str) {
        if value.is_finite() {
            // The shortest text that reads back as the same double (`0.1`, `5.0`, `1e300`).
            self.text.push_str(ryu::Buffer::new().format_finite(value));
        } else {
            self.note(format!("{what} {value} has no JSON equivalent: checked as null"));
            self.raw("null");
        }
    }

    fn bson_document(&mut self, document: &'a bson::RawDocument, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.text.push('{');
        for (n, element) in document.iter().enumerate() {
            let (key, value) = element.map_err(|e| e.to_string())?;
            if n > 0 {
                self.text.push(',');
            }
            self.string(key.as_str());
            self.text.push(':');
            self.path.push(Step::Key(key.as_str()));
            self.bson(value, depth + 1)?;
            self.path.pop();
        }
        self.text.push('}');
        Ok(())
    }

    fn bson(&mut self, value: bson::RawBsonRef<'a>, depth: usize) -> Result<(), String> {
        use bson::RawBsonRef as B;
        match value {
            B::Double(value) => self.float(value, "the double"),
            B::String(text) => self.string(text),
            B::Boolean(value) => self.raw(if value { "true" } else { "false" }),
            B::Null => self.raw("null"),
            B::Int32(value) => {
                self.integer(value);
            }
            B::Int64(value) => {
                self.integer(value);
            }
            B::Document(document) => self.bson_document(document, depth)?,
            B::Array(array) => {
                if depth > MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH} levels"));
                }
                self.text.push('[');
                for (n, item) in array.into_iter().enumerate() {
                    let item = item.map_err(|e| e.to_string())?;
                    if n > 0 {
                        self.text.push(',');
                    }
                    self.path.push(Step::Index(n));
                    self.bson(item, depth + 1)?;
                    self.path.pop();
                }
                self.text.push(']');
            }
            // The JSON form writes a date-time as text; BSON's is milliseconds in UTC.
            B::DateTime(time) => match time.try_to_rfc3339_string() {
                Ok(text) => self.string(&text),
                Err(_) => {
                    let millis = time.timestamp_millis();
                    self.note(format!(
                        "the BSON date-time {millis} ms is outside the years 0 to 9999: checked as null"
                    ));
                    self.raw("null");
                }
            },
            // Decimal128 is the exact decimal that JSON writes as a number.
            B::Decimal128(decimal) => {
                let text = decimal.to_string();
                if serde_json::from_str::<serde_json::Number>(&text).is_ok() {
                    self.raw(&text);
                } else {
                    self.note(format!("the BSON decimal {text} has no JSON equivalent: checked as null"));
                    self.raw("null");
                }
            }
            B::Binary(binary) => {
                self.note(format!(
                    "BSON binary data ({} bytes, subtype {:?}) has no JSON equivalent: checked as its base64 text",
                    binary.bytes.len(),
                    binary.subtype
                ));
                self.binary(binary.bytes);
            }
            B::ObjectId(id) => {
                self.note("a BSON ObjectId has no JSON equivalent: checked as its hex text".to_owned());
                self.string(&id.to_hex());
            }
            B::Symbol(text) => {
                self.note("a BSON symbol has no JSON equivalent: checked as its text".to_owned());
                self.string(text);
            }
            other => {
                let kind = format!("{:?}", other.element_type());
                self.note(format!("a BSON {kind} value has no JSON equivalent: checked as null"));
                self.raw("null");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: Vec<u8>, encoding: Option<Encoding>) -> Result<Decoded, DecodeError> {
        Binary { opcode: 2, bytes, encoding }.decode()
    }

    #[test]
    fn bson_values_become_what_the_json_form_carries() {
        let document = bson::doc! {
            "Controller": "Market",
            "Count": 3_i32,
            "Big": 9_007_199_254_740_993_i64,
            "Price": 42.05,
            "Exact": "42.050".parse::<bson::Decimal128>().unwrap(),
            "When": bson::DateTime::from_millis(1_700_000_000_123),
            "Data": [1_i32, "two", bson::Bson::Null, {"x": true}],
            "Blob": bson::Binary { subtype: bson::spec::BinarySubtype::Generic, bytes: vec![1, 2, 3] },
        };
        let mut bytes = Vec::new();
        document.to_writer(&mut bytes).unwrap();
        assert_eq!(Encoding::infer(&bytes), Some(Encoding::Bson));
        let decoded = decode(bytes, None).unwrap();
        assert!(decoded.inferred);
        assert_eq!(
            decoded.text,
            r#"{"Controller":"Market","Count":3,"Big":9007199254740993,"Price":42.05,"Exact":42.050,"When":"2023-11-14T22:13:20.123Z","Data":[1,"two",null,{"x":true}],"Blob":"AQID"}"#
        );
        assert_eq!(decoded.notes.len(), 1);
        assert_eq!(decoded.notes[0].path, "/Blob");
        assert!(decoded.notes[0].message.contains("no JSON equivalent"), "{:?}", decoded.notes);
    }

    #[test]
    fn msgpack_values_become_json() {
        let value = rmpv::Value::Map(vec![
            ("Topic".into(), "Depth!BHP.ASX".into()),
            ("TransactionID".into(), 7.into()),
            ("Price".into(), rmpv::Value::F64(0.5)),
            ("Data".into(), rmpv::Value::Array(vec![rmpv::Value::Nil, rmpv::Value::Ext(1, vec![9])])),
            (rmpv::Value::from(5), rmpv::Value::Binary(vec![0xff])),
        ]);
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &value).unwrap();
        let decoded = decode(bytes, Some(Encoding::MsgPack)).unwrap();
        assert!(!decoded.inferred);
        assert_eq!(
            decoded.text,
            r#"{"Topic":"Depth!BHP.ASX","TransactionID":7,"Price":0.5,"Data":[null,null],"5":"/w=="}"#
        );
        let paths: Vec<&str> = decoded.notes.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(paths, ["/Data/1", "", "/5"]);
    }

    #[test]
    fn notes_are_kept_within_a_budget_and_the_rest_counted() {
        let encode = |key: String, values: usize| {
            let value = rmpv::Value::Map(vec![
                ("Controller".into(), "Market".into()),
                (key.into(), rmpv::Value::Array(vec![rmpv::Value::Ext(1, vec![0]); values])),
            ]);
            let mut bytes = Vec::new();
            rmpv::encode::write_value(&mut bytes, &value).unwrap();
            decode(bytes, Some(Encoding::MsgPack)).unwrap()
        };
        let many = encode("Data".into(), 250);
        assert_eq!((many.notes.len(), many.omitted_notes), (Budget::MAX_KEPT, 150));
        assert_eq!(many.notes.last().unwrap().path, "/Data/99");
        assert!(many.text.ends_with(",null]}"), "every value is still written");
        // Each note's path repeats the key: under a long key, the budget is spent by the first.
        let long = encode("K".repeat(1 << 20), 200);
        assert_eq!((long.notes.len(), long.omitted_notes), (1, 199));
        assert_eq!(long.notes[0].path.len(), 1 + (1 << 20) + 2);
    }

    #[test]
    fn keys_within_keys_stay_small() {
        // Each level's key is the map below it: its text, escaped again as a key, would double
        // with every level (about 1 MB here, 2^N with N levels) unless cut.
        let mut value = rmpv::Value::from("Controller\"\\");
        for _ in 0..16 {
            value = rmpv::Value::Map(vec![(value, 1.into())]);
        }
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &value).unwrap();
        let decoded = decode(bytes, Some(Encoding::MsgPack)).unwrap();
        assert!(decoded.text.len() < 16 * 1024, "{} bytes", decoded.text.len());
        assert!(decoded.text.contains('…'), "a long key is cut, visibly");
    }

    #[test]
    fn binary_values_and_keys_are_also_given_as_the_text_they_spell() {
        let value = rmpv::Value::Map(vec![
            ("Password".into(), rmpv::Value::Binary(b"hunter\"2".to_vec())),
            (rmpv::Value::Binary(b"Bearer t0k".to_vec()), 1.into()),
            ("Blob".into(), rmpv::Value::Binary(vec![0xff, 0xfe])),
        ]);
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &value).unwrap();
        let decoded = decode(bytes, Some(Encoding::MsgPack)).unwrap();
        assert_eq!(decoded.text, r#"{"Password":"aHVudGVyIjI=","QmVhcmVyIHQwaw==":1,"Blob":"//4="}"#);
        assert_eq!(decoded.as_text.as_deref(), Some(r#"{"Password":"hunter\"2","Bearer t0k":1,"Blob":"//4="}"#));
        let document = bson::doc! {"Password": bson::Binary { subtype: bson::spec::BinarySubtype::Generic, bytes: b"pw".to_vec() }};
        let mut bytes = Vec::new();
        document.to_writer(&mut bytes).unwrap();
        let decoded = decode(bytes, Some(Encoding::Bson)).unwrap();
        assert_eq!(decoded.as_text.as_deref(), Some(r#"{"Password":"pw"}"#));
        let plain = decode(br#"{"a":1}"#.to_vec(), Some(Encoding::Json)).unwrap();
        assert_eq!(plain.as_text, None);
    }

    #[test]
    fn strings_and_numbers_read_back_as_the_same_values() {
        let text = "quote \" backslash \\ line\n tab\t bell\u{7} é ✓";
        let value = rmpv::Value::Map(vec![
            ("Text".into(), text.into()),
            (
                "Numbers".into(),
                rmpv::Value::Array(vec![0.1.into(), 5.0.into(), 1e300.into(), (-7i64).into(), u64::MAX.into()]),
            ),
        ]);
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &value).unwrap();
        let decoded = decode(bytes, Some(Encoding::MsgPack)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&decoded.text).unwrap();
        assert_eq!(json["Text"], text);
        assert_eq!(json["Numbers"], serde_json::json!([0.1, 5.0, 1e300, -7, u64::MAX]));
    }

    #[test]
    fn broken_or_unknown_bytes_are_errors_not_guesses() {
        assert_eq!(decode(vec![0x01, 0x02], None), Err(DecodeError::Unknown(2)));
        let truncated = decode(vec![0x82, 0xa1, b'a'], Some(Encoding::MsgPack)).unwrap_err();
        assert!(truncated.to_string().starts_with("not valid MessagePack: "), "{truncated}");
        let bson = decode(vec![9, 0, 0, 0, 0x10, b'a', 0, 1, 0], Some(Encoding::Bson)).unwrap_err();
        assert!(bson.to_string().starts_with("not valid BSON: "), "{bson}");
        let deep = [0x91u8; 300];
        assert!(decode(deep.to_vec(), Some(Encoding::MsgPack)).is_err());
    }

    #[test]
    fn subprotocols_name_encodings() {
        assert_eq!(Encoding::from_subprotocol("zenithbson"), Some(Encoding::Bson));
        assert_eq!(Encoding::from_subprotocol(" ZenithMsgPack"), Some(Encoding::MsgPack));
        assert_eq!(Encoding::from_subprotocol("chat"), None);
    }
}
