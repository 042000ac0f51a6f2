//! `Debug` for the types that carry text taken from a capture: the text shows as its size,
//! never itself, since any of it may hold a credential and `Debug` output ends up in logs and
//! panic messages. Numbers, codes, levels and places show as they are.

use std::fmt;

use crate::{Binary, Body, Control, DecodeError, Decoded, Note, Origin, TransportEvent};

/// Text or bytes from a capture as `Debug` shows them: `<12 bytes>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Opaque(pub usize);

impl Opaque {
    /// The size of `text`, to be shown in its place.
    pub fn of(text: impl AsRef<[u8]>) -> Opaque {
        Opaque(text.as_ref().len())
    }
}

impl fmt::Debug for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Har { entry } => f.debug_struct("Har").field("entry", entry).finish(),
            Origin::Line { line, conn } => {
                f.debug_struct("Line").field("line", line).field("conn", &conn.as_deref().map(Opaque::of)).finish()
            }
            Origin::Tcp { stream, packet } => {
                f.debug_struct("Tcp").field("stream", stream).field("packet", packet).finish()
            }
            Origin::Live { conn } => f.debug_struct("Live").field("conn", conn).finish(),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Text(text) => f.debug_tuple("Text").field(&Opaque::of(text)).finish(),
            Body::Binary(binary) => f.debug_tuple("Binary").field(binary).finish(),
            Body::CaptureError(text) => f.debug_tuple("CaptureError").field(&Opaque::of(text)).finish(),
            Body::Unreadable(reason) => f.debug_tuple("Unreadable").field(&Opaque::of(reason)).finish(),
        }
    }
}

impl fmt::Debug for TransportEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportEvent::Upgrade { target, subprotocol, deflate } => f
                .debug_struct("Upgrade")
                .field("target", &Opaque::of(target))
                .field("subprotocol", &subprotocol.as_deref().map(Opaque::of))
                .field("deflate", &deflate.as_deref().map(Opaque::of))
                .finish(),
            TransportEvent::Control(control) => f.debug_tuple("Control").field(control).finish(),
            TransportEvent::Problem { level, code, message } => f
                .debug_struct("Problem")
                .field("level", level)
                .field("code", code)
                .field("message", &Opaque::of(message))
                .finish(),
        }
    }
}

impl fmt::Debug for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Control::Ping => f.write_str("Ping"),
            Control::Pong => f.write_str("Pong"),
            Control::Close { code, reason } => {
                f.debug_struct("Close").field("code", code).field("reason", &Opaque::of(reason)).finish()
            }
        }
    }
}

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binary")
            .field("opcode", &self.opcode)
            .field("bytes", &Opaque::of(&self.bytes))
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field("text", &Opaque::of(&self.text))
            .field("encoding", &self.encoding)
            .field("inferred", &self.inferred)
            .field("notes", &self.notes)
            .field("omitted_notes", &self.omitted_notes)
            .field("as_text", &self.as_text.as_deref().map(Opaque::of))
            .finish()
    }
}

impl fmt::Debug for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Note")
            .field("path", &Opaque::of(&self.path))
            .field("message", &Opaque::of(&self.message))
            .finish()
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Unknown(bytes) => f.debug_tuple("Unknown").field(bytes).finish(),
            DecodeError::Malformed { encoding, inferred, reason } => f
                .debug_struct("Malformed")
                .field("encoding", encoding)
                .field("inferred", &!inferred.is_empty())
                .field("reason", &Opaque::of(reason))
                .finish(),
        }
    }
}
