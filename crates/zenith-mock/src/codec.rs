//! The three subprotocols: messages as JSON text, MessagePack or BSON frames.

use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

/// How messages go over the connection, as the subprotocol agreed says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Json,
    MsgPack,
    Bson,
}

impl Codec {
    /// The subprotocol's name.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Json => "ZenithJson",
            Codec::MsgPack => "ZenithMsgPack",
            Codec::Bson => "ZenithBson",
        }
    }

    /// The one to agree to of those a client offers (a `Sec-WebSocket-Protocol` list), JSON
    /// first; `None` when it offers none of them.
    pub fn choose(offered: &str) -> Option<Codec> {
        let offered: Vec<&str> = offered.split(',').map(str::trim).collect();
        [Codec::Json, Codec::MsgPack, Codec::Bson].into_iter().find(|c| offered.contains(&c.name()))
    }

    /// The JSON text of a client's frame; `None` for frames that carry no message (ping, pong),
    /// an error saying why for one this subprotocol does not read.
    pub fn decode(self, message: &Message) -> Option<Result<String, String>> {
        let decoded = match (self, message) {
            (_, Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_)) => return None,
            (Codec::Json, Message::Text(text)) => Ok(text.as_str().to_owned()),
            (Codec::Json, Message::Binary(_)) => Err("a binary frame on ZenithJson".to_owned()),
            (Codec::MsgPack | Codec::Bson, Message::Text(_)) => Err(format!("a text frame on {}", self.name())),
            (Codec::MsgPack, Message::Binary(bytes)) => rmp_serde::from_slice::<Value>(bytes)
                .map(|value| value.to_string())
                .map_err(|e| format!("not MessagePack: {e}")),
            (Codec::Bson, Message::Binary(bytes)) => bson_depth(bytes)
                .and_then(|_| bson::deserialize_from_slice::<Value>(bytes).map_err(|e| format!("not BSON: {e}")))
                .map(|value| value.to_string()),
        };
        Some(decoded)
    }

    /// A message as this subprotocol's frame.
    pub fn encode(self, message: &Value) -> Message {
        match self {
            Codec::Json => Message::text(message.to_string()),
            // A message is an object of strings, numbers, arrays and objects: both encode it.
            Codec::MsgPack => Message::binary(rmp_serde::to_vec_named(message).unwrap_or_default()),
            Codec::Bson => Message::binary(bson::serialize_to_vec(message).unwrap_or_default()),
        }
    }
}

/// The deepest a message's BSON documents and arrays may nest (as deep as JSON text may).
pub const MAX_BSON_DEPTH: usize = 128;

/// Checks, without recursion, that a BSON document nests at most [`MAX_BSON_DEPTH`] deep: the
/// BSON reader recurses once a level and has no bound of its own.
fn bson_depth(bytes: &[u8]) -> Result<(), String> {
    use bson::raw::{RawBsonRef, RawDocument};
    let root = RawDocument::from_bytes(bytes).map_err(|e| format!("not BSON: {e}"))?;
    let mut nested: Vec<(usize, &RawDocument)> = vec![(1, root)];
    while let Some((depth, document)) = nested.pop() {
        if depth > MAX_BSON_DEPTH {
            return Err(format!("BSON nested deeper than {MAX_BSON_DEPTH} levels"));
        }
        for element in document.iter() {
            let (_, value) = element.map_err(|e| format!("not BSON: {e}"))?;
            match value {
                RawBsonRef::Document(inner) => nested.push((depth + 1, inner)),
                // An array is a document whose keys are its positions.
                RawBsonRef::Array(inner) => {
                    let inner = RawDocument::from_bytes(inner.as_bytes()).map_err(|e| format!("not BSON: {e}"))?;
                    nested.push((depth + 1, inner));
                }
                RawBsonRef::JavaScriptCodeWithScope(code) => nested.push((depth + 1, code.scope)),
                _ => {}
            }
        }
    }
    Ok(())
}
