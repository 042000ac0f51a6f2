//! How messages travel: JSON text (`ZenithJson`), or MessagePack and BSON binary frames
//! (`ZenithMsgPack`, `ZenithBson`; features `msgpack` and `bson`).

use std::borrow::Cow;

use tokio_tungstenite::tungstenite::Message as Frame;

use crate::ClientError;

/// The encoding the client asks the server for, as its websocket subprotocol. Binary frames
/// are read by the same depth-bounded decoders `zenith check` uses, into the JSON text the
/// message has in `ZenithJson`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// JSON text frames.
    #[default]
    Json,
    /// MessagePack binary frames.
    #[cfg(feature = "msgpack")]
    MsgPack,
    /// BSON binary frames.
    #[cfg(feature = "bson")]
    Bson,
}

impl Encoding {
    /// The subprotocol that names it.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Encoding::Json => "ZenithJson",
            #[cfg(feature = "msgpack")]
            Encoding::MsgPack => "ZenithMsgPack",
            #[cfg(feature = "bson")]
            Encoding::Bson => "ZenithBson",
        }
    }

    /// A message's JSON text as this encoding's frame.
    pub(crate) fn frame(self, text: String) -> Result<Frame, ClientError> {
        match self {
            Encoding::Json => Ok(Frame::text(text)),
            #[cfg(any(feature = "msgpack", feature = "bson"))]
            binary => {
                let value: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| ClientError::Invalid(format!("the message is not JSON: {e}")))?;
                let bytes = match binary {
                    #[cfg(feature = "msgpack")]
                    Encoding::MsgPack => rmp_serde::to_vec_named(&value).map_err(|e| e.to_string()),
                    #[cfg(feature = "bson")]
                    Encoding::Bson => bson::serialize_to_vec(&value).map_err(|e| e.to_string()),
                    Encoding::Json => Ok(text.into_bytes()),
                };
                let bytes =
                    bytes.map_err(|e| ClientError::Invalid(format!("the message cannot be {binary:?}: {e}")))?;
                Ok(Frame::binary(bytes))
            }
        }
    }

    /// The JSON text of a message frame; why not, for a frame this encoding does not read.
    pub(crate) fn text(self, frame: &Frame) -> Result<Cow<'_, str>, String> {
        match (self, frame) {
            (Encoding::Json, Frame::Text(text)) => Ok(Cow::Borrowed(text.as_str())),
            (Encoding::Json, _) => Err("a binary frame on ZenithJson".to_owned()),
            #[cfg(any(feature = "msgpack", feature = "bson"))]
            (binary, Frame::Binary(bytes)) => {
                let encoding = zenith_capture::Encoding::from_subprotocol(binary.subprotocol());
                let captured = zenith_capture::Binary { opcode: 2, bytes: bytes.to_vec(), encoding };
                captured.decode().map(|decoded| Cow::Owned(decoded.text)).map_err(|e| e.to_string())
            }
            #[cfg(any(feature = "msgpack", feature = "bson"))]
            (binary, _) => Err(format!("a text frame on {}", binary.subprotocol())),
        }
    }
}
