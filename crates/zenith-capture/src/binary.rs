//! Binary messages: the encodings a Zenith connection may speak, told apart when the capture
//! does not say which, and turned into the JSON text the same message has in `ZenithJson`, so
//! that one set of validators checks every encoding.

use std::fmt::Write as _;

use base64::Engine as _;

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

/// A binary message as captured.
#[derive(Clone, Debug, PartialEq)]
pub struct Binary {
    /// The websocket opcode (2 for binary; HAR files may record others).
    pub opcode: u8,
    pub bytes: Vec<u8>,
    /// The connection's negotiated encoding; `None` when the capture does not say.
    pub encoding: Option<Encoding>,
}

/// A binary message turned into JSON text.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    /// True when the capture did not name the encoding and it was told from the bytes.
    pub inferred: bool,
    /// Values the JSON form cannot carry, and what stands in for each.
    pub notes: Vec<Note>,
}

/// A value with no JSON equivalent, at a JSON Pointer into the decoded message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// Why a binary message cannot be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
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
        let mut writer = JsonWriter::default();
        match encoding {
            Encoding::Json => {
                let text = std::str::from_utf8(&self.bytes)
                    .map_err(|e| malformed(format!("not UTF-8 (byte {})", e.valid_up_to() + 1)))?;
                return Ok(Decoded { text: text.to_owned(), encoding, inferred, notes: Vec::new() });
            }
            Encoding::Bson => {
                let document = bson::RawDocument::from_bytes(&self.bytes).map_err(|e| malformed(e.to_string()))?;
                writer.bson_document(document, 0).map_err(malformed)?;
            }
            Encoding::MsgPack => {
                let mut rest = &self.bytes[..];
                let value = rmpv::decode::read_value_ref_with_max_depth(&mut rest, MAX_DEPTH)
                    .map_err(|e| malformed(e.to_string()))?;
                if !rest.is_empty() {
                    return Err(malformed(format!("{} bytes after the message", rest.len())));
                }
                writer.msgpack(&value);
            }
        }
        Ok(Decoded { text: writer.text, encoding, inferred, notes: writer.notes })
    }
}

/// Writes JSON text, keeping the JSON Pointer of the value being written for notes.
#[derive(Default)]
struct JsonWriter {
    text: String,
    path: String,
    notes: Vec<Note>,
}

impl JsonWriter {
    fn note(&mut self, message: String) {
        self.notes.push(Note { path: self.path.clone(), message });
    }

    fn string(&mut self, text: &str) {
        // Writing to a String cannot fail.
        let _ = serde_json::to_writer(StringWriter(&mut self.text), text);
    }

    fn float(&mut self, value: f64, what: &str) {
        if value.is_finite() {
            let _ = serde_json::to_writer(StringWriter(&mut self.text), &value);
        } else {
            self.note(format!("{what} {value} has no JSON equivalent: checked as null"));
            self.text.push_str("null");
        }
    }

    /// Writes `key` into the path, runs `write`, and takes the key off again.
    fn at(&mut self, key: &str, write: impl FnOnce(&mut JsonWriter) -> Result<(), String>) -> Result<(), String> {
        let length = self.path.len();
        self.path.push('/');
        self.path.push_str(&key.replace('~', "~0").replace('/', "~1"));
        let result = write(self);
        self.path.truncate(length);
        result
    }

    fn bson_document(&mut self, document: &bson::RawDocument, depth: usize) -> Result<(), String> {
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
            self.at(key.as_str(), |w| w.bson(value, depth + 1))?;
        }
        self.text.push('}');
        Ok(())
    }

    fn bson(&mut self, value: bson::RawBsonRef<'_>, depth: usize) -> Result<(), String> {
        use bson::RawBsonRef as B;
        match value {
            B::Double(value) => self.float(value, "the double"),
            B::String(text) => self.string(text),
            B::Boolean(value) => self.text.push_str(if value { "true" } else { "false" }),
            B::Null => self.text.push_str("null"),
            B::Int32(value) => {
                let _ = write!(self.text, "{value}");
            }
            B::Int64(value) => {
                let _ = write!(self.text, "{value}");
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
                    self.at(&n.to_string(), |w| w.bson(item, depth + 1))?;
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
                    self.text.push_str("null");
                }
            },
            // Decimal128 is the exact decimal that JSON writes as a number.
            B::Decimal128(decimal) => {
                let text = decimal.to_string();
                if serde_json::from_str::<serde_json::Number>(&text).is_ok() {
                    self.text.push_str(&text);
                } else {
                    self.note(format!("the BSON decimal {text} has no JSON equivalent: checked as null"));
                    self.text.push_str("null");
                }
            }
            B::Binary(binary) => {
                let text = base64::engine::general_purpose::STANDARD.encode(binary.bytes);
                self.note(format!(
                    "BSON binary data ({} bytes, subtype {:?}) has no JSON equivalent: checked as its base64 text",
                    binary.bytes.len(),
                    binary.subtype
                ));
                self.string(&text);
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
                self.text.push_str("null");
            }
        }
        Ok(())
    }

    fn msgpack(&mut self, value: &rmpv::ValueRef<'_>) {
        use rmpv::ValueRef as M;
        match value {
            M::Nil => self.text.push_str("null"),
            M::Boolean(value) => self.text.push_str(if *value { "true" } else { "false" }),
            M::Integer(value) => {
                let _ = write!(self.text, "{value}");
            }
            M::F32(value) => self.float(f64::from(*value), "the float"),
            M::F64(value) => self.float(*value, "the float"),
            M::String(text) => match text.as_str() {
                Some(text) => self.string(text),
                None => {
                    self.note("a MessagePack string that is not UTF-8: checked with its bad bytes replaced".to_owned());
                    self.string(&String::from_utf8_lossy(text.as_bytes()));
                }
            },
            M::Binary(bytes) => {
                self.note(format!(
                    "MessagePack binary data ({} bytes) has no JSON equivalent: checked as its base64 text",
                    bytes.len()
                ));
                self.string(&base64::engine::general_purpose::STANDARD.encode(bytes));
            }
            M::Ext(kind, bytes) => {
                self.note(format!(
                    "a MessagePack extension value (type {kind}, {} bytes) has no JSON equivalent: checked as null",
                    bytes.len()
                ));
                self.text.push_str("null");
            }
            M::Array(items) => {
                self.text.push('[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        self.text.push(',');
                    }
                    let _ = self.at(&n.to_string(), |w| {
                        w.msgpack(item);
                        Ok(())
                    });
                }
                self.text.push(']');
            }
            M::Map(entries) => {
                self.text.push('{');
                for (n, (key, item)) in entries.iter().enumerate() {
                    if n > 0 {
                        self.text.push(',');
                    }
                    let text_key = if let M::String(text) = key { text.as_str() } else { None };
                    let key = match text_key {
                        Some(key) => key.to_owned(),
                        None => {
                            let key = key.to_string();
                            self.note(format!(
                                "a MessagePack map key that is not a string ({key}): checked as its text"
                            ));
                            key
                        }
                    };
                    self.string(&key);
                    self.text.push(':');
                    let _ = self.at(&key, |w| {
                        w.msgpack(item);
                        Ok(())
                    });
                }
                self.text.push('}');
            }
        }
    }
}

/// `io::Write` into a `String`, for serde_json's string escaping (which writes whole UTF-8
/// pieces only).
struct StringWriter<'a>(&'a mut String);

impl std::io::Write for StringWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let text = std::str::from_utf8(bytes).map_err(std::io::Error::other)?;
        self.0.push_str(text);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
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
