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
            (Codec::Bson, Message::Binary(bytes)) => bson::deserialize_from_slice::<Value>(bytes)
                .map(|value| value.to_string())
                .map_err(|e| format!("not BSON: {e}")),
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
