//! Frames written as HAR-style JSON Lines, one message per line, so that any capture can be
//! read, redacted or shared as JSON Lines.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::{Body, Frame, Origin};

/// How one frame was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Text,
    /// A binary message, written as the JSON it decodes to.
    Decoded,
    /// A binary message that does not decode, written as base64 with its opcode.
    Binary,
    /// A frame that could not be read, written as a capture-error item with the reason.
    Error,
}

/// The frame as one line `{"conn", "type", "time", "opcode", "data"}` (no line break), and how
/// it was written. `conn` is left out when the capture names no connection.
pub fn line(frame: &Frame) -> (String, Written) {
    let mut item = Map::new();
    let conn = frame.origin.connection();
    if !conn.is_empty() || !matches!(frame.origin, Origin::Line { .. }) {
        item.insert("conn".into(), Value::from(conn.into_owned()));
    }
    let kind = frame.direction.map_or("unknown", |d| d.as_str());
    let (kind, opcode, data, written) = match &frame.body {
        Body::Text(text) => (kind, 1, text.clone(), Written::Text),
        Body::Binary(binary) => match binary.decode() {
            Ok(decoded) => {
                item.insert("encoding".into(), Value::from(decoded.encoding.subprotocol()));
                (kind, 1, decoded.text, Written::Decoded)
            }
            Err(_) => {
                let data = base64::engine::general_purpose::STANDARD.encode(&binary.bytes);
                (kind, u64::from(binary.opcode), data, Written::Binary)
            }
        },
        Body::CaptureError(text) | Body::Unreadable(text) => ("error", 1, text.clone(), Written::Error),
    };
    item.insert("type".into(), Value::from(kind));
    if let Some(time) = frame.time {
        item.insert("time".into(), Value::from(time));
    }
    item.insert("opcode".into(), Value::from(opcode));
    item.insert("data".into(), Value::from(data));
    (Value::Object(item).to_string(), written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Binary, Direction, Encoding, Event, Format, Limits};

    #[test]
    fn exported_lines_read_back_as_the_same_messages() {
        let mut packed = Vec::new();
        rmpv::encode::write_value(&mut packed, &rmpv::Value::Map(vec![("Controller".into(), "Zenith".into())]))
            .unwrap();
        let frames = [
            Frame {
                origin: Origin::Har { entry: 3 },
                time: Some(1.5),
                direction: Some(Direction::Send),
                body: Body::Text("{\"Controller\":\"Auth\"}".into()),
            },
            Frame {
                origin: Origin::Line { line: 1, conn: None },
                time: None,
                direction: Some(Direction::Receive),
                body: Body::Binary(Binary { opcode: 2, bytes: packed, encoding: Some(Encoding::MsgPack) }),
            },
            Frame {
                origin: Origin::Line { line: 2, conn: None },
                time: None,
                direction: Some(Direction::Receive),
                body: Body::Binary(Binary { opcode: 2, bytes: vec![1, 2], encoding: None }),
            },
        ];
        let lines: Vec<(String, Written)> = frames.iter().map(line).collect();
        assert_eq!(
            lines[0],
            (
                r#"{"conn":"entry:3","type":"send","time":1.5,"opcode":1,"data":"{\"Controller\":\"Auth\"}"}"#.into(),
                Written::Text
            )
        );
        assert_eq!(
            lines[1],
            (
                r#"{"encoding":"ZenithMsgPack","type":"receive","opcode":1,"data":"{\"Controller\":\"Zenith\"}"}"#
                    .into(),
                Written::Decoded
            )
        );
        assert_eq!(lines[2].1, Written::Binary);
        let text: String = lines.iter().map(|(l, _)| format!("{l}\n")).collect();
        let mut read = Vec::new();
        crate::read(Format::Jsonl, text.as_bytes(), Limits::default(), &mut |e| read.push(e)).unwrap();
        let bodies: Vec<Body> =
            read.into_iter().filter_map(|e| if let Event::Frame(f) = e { Some(f.body) } else { None }).collect();
        assert_eq!(bodies[0], frames[0].body);
        assert_eq!(bodies[1], Body::Text("{\"Controller\":\"Zenith\"}".into()));
        assert!(matches!(&bodies[2], Body::Binary(b) if b.bytes == [1, 2]));
    }
}
