//! One side's websocket frames (RFC 6455, section 5): headers read, client payloads unmasked,
//! fragments put together into messages (control frames may come between them) and inflated
//! when compressed. A side whose frames can no longer be told apart is counted, not read.

use super::inflate::Inflater;
use super::out::Out;
use super::peer::Peer;
use crate::binary::{Binary, Encoding};
use crate::{Body, Code, Control, Limits, Severity, TransportEvent};

/// Most bytes of a control frame's payload read. The protocol allows 125: a control frame
/// declaring up to this many is reported and read; one declaring more is taken for a broken
/// stream, since its length cannot be trusted.
pub const MAX_CONTROL_BYTES: u64 = 1024;

/// One side's frames.
#[derive(Default)]
pub(super) struct Reader {
    /// Bytes received and not yet read: the start of a frame header.
    pending: Vec<u8>,
    frame: Option<FrameState>,
    message: Option<MessageState>,
    pub inflater: Option<Inflater>,
    pub encoding: Option<Encoding>,
    /// Set once the frames cannot be told apart any more: the bytes not read since.
    unread: Option<Unread>,
}

struct Unread {
    /// What made the frames unreadable, as in "bytes sent after {cause}".
    cause: String,
    bytes: u64,
}

struct FrameState {
    opcode: u8,
    fin: bool,
    rsv: u8,
    mask: Option<[u8; 4]>,
    length: u64,
    /// Payload bytes read so far.
    read: u64,
    /// A control frame's payload.
    control: Vec<u8>,
}

struct MessageState {
    opcode: u8,
    compressed: bool,
    data: Vec<u8>,
    /// All payload bytes, kept or not.
    size: u64,
    /// True when a frame broke the rules: the message is reported unreadable, for this reason.
    broken: Option<String>,
}

impl Reader {
    /// Reads the frames in the bytes, with any left from before.
    pub fn frames(&mut self, bytes: &[u8], limits: &Limits, out: &mut Out<'_>) {
        if let Some(unread) = &mut self.unread {
            unread.bytes += bytes.len() as u64;
        } else if self.pending.is_empty() {
            let used = self.read(bytes, limits, out);
            self.pending.extend_from_slice(&bytes[used..]);
        } else {
            let mut pending = std::mem::take(&mut self.pending);
            pending.extend_from_slice(bytes);
            let used = self.read(&pending, limits, out);
            pending.drain(..used);
            self.pending = pending;
        }
    }

    /// From here on, the frames cannot be told apart: the frame or message in progress is cut
    /// off (`where_` says where, as in "cut off: {where_} inside a frame"), and the later bytes,
    /// with `bytes` already lost, are counted as sent after `cause` (or after the cause of an
    /// earlier stop).
    pub fn stop(&mut self, where_: &str, cause: String, bytes: u64, out: &mut Out<'_>) {
        match &mut self.unread {
            Some(unread) => unread.bytes += bytes,
            None => {
                self.cut_off(where_, out);
                self.unread = Some(Unread { cause, bytes });
            }
        }
    }

    /// Reads what it can; returns the bytes used. Only an incomplete frame header is left.
    fn read(&mut self, bytes: &[u8], limits: &Limits, out: &mut Out<'_>) -> usize {
        let mut at = 0;
        loop {
            let Some(frame) = &mut self.frame else {
                let Some((frame, length)) = header(&bytes[at..]) else { return at };
                at += length;
                if let Err(cause) = self.start_frame(frame, out) {
                    let rest = (bytes.len() - at) as u64;
                    self.stop("a frame header that cannot be trusted comes", cause, rest, out);
                    return bytes.len();
                }
                continue;
            };
            let wanted = frame.length - frame.read;
            let take = wanted.min((bytes.len() - at) as u64) as usize;
            let chunk = &bytes[at..at + take];
            at += take;
            let control = frame.opcode >= 8;
            // A frame with a reserved opcode belongs to no message: its payload is skipped.
            let data = frame.opcode <= 2;
            let room = match (&self.message, control) {
                (_, true) => chunk.len(),
                (Some(m), false) if data && m.broken.is_none() => limits.max_line_bytes.saturating_sub(m.data.len()),
                _ => 0,
            };
            let kept = &chunk[..chunk.len().min(room)];
            let target = match (control, data) {
                (true, _) => Some(&mut frame.control),
                (false, true) => self.message.as_mut().map(|m| &mut m.data),
                (false, false) => None,
            };
            if let Some(target) = target {
                let from = target.len();
                // Room grows with the bytes that come, never with the length a header claims.
                target.extend_from_slice(kept);
                if let Some(mask) = frame.mask {
                    let offset = frame.read as usize;
                    for (n, byte) in target[from..].iter_mut().enumerate() {
                        *byte ^= mask[(offset + n) % 4];
                    }
                }
            }
            if let Some(message) = self.message.as_mut().filter(|_| data) {
                message.size += take as u64;
                if kept.len() < chunk.len() && message.broken.is_none() {
                    message.broken = Some(format!("over the limit of {} bytes", limits.max_line_bytes));
                    message.data = Vec::new();
                }
            }
            frame.read += take as u64;
            if frame.read < frame.length {
                return at;
            }
            self.end_frame(limits, out);
        }
    }

    /// Takes a frame header; an error (reported, with the cause returned) when the header
    /// cannot be trusted, so no frame after it can be found.
    fn start_frame(&mut self, frame: FrameState, out: &mut Out<'_>) -> Result<(), String> {
        let opcode = frame.opcode;
        let who = out.peer.name();
        if opcode >= 8 && frame.length > 125 {
            let mut message = format!(
                "a control frame (opcode {opcode}) declares {} bytes of payload: the protocol allows at most 125",
                frame.length
            );
            let trusted = frame.length <= MAX_CONTROL_BYTES;
            if !trusted {
                message.push_str(&format!(
                    "; a length like that cannot be trusted, so the {who}'s later bytes cannot be split into frames \
                     and are not read"
                ));
            }
            out.problem(Severity::Error, Code::WebsocketOversizedControlFrame, message);
            if !trusted {
                return Err(format!("a control frame declaring {} bytes", frame.length));
            }
        } else if frame.length >= 1 << 63 {
            let message = format!(
                "a frame header declares {} bytes, with the top bit of its 64-bit length set, which the protocol \
                 forbids: the {who}'s later bytes cannot be split into frames and are not read",
                frame.length
            );
            out.problem(Severity::Error, Code::WebsocketBadFrameLength, message);
            return Err(format!("a frame header declaring {} bytes", frame.length));
        }
        let expect_mask = out.peer == Peer::Client;
        if frame.mask.is_some() != expect_mask {
            let message = if expect_mask {
                "a frame from the client is not masked, as the protocol requires"
            } else {
                "a frame from the server is masked, which the protocol forbids"
            };
            out.problem(Severity::Warning, Code::WebsocketMasking, message.to_owned());
        }
        match opcode {
            1 | 2 => {
                if let Some(unfinished) = self.message.take() {
                    let reason = "a new message started before this fragmented one finished".to_owned();
                    self.skip(&unfinished);
                    out.unreadable(unfinished.describe(Some(reason)));
                }
                let compressed = frame.rsv & 0b100 != 0;
                let broken = self.bad_rsv(frame.rsv);
                self.message = Some(MessageState { opcode, compressed, data: Vec::new(), size: 0, broken });
            }
            0 => match &mut self.message {
                Some(message) => {
                    if frame.rsv != 0 && message.broken.is_none() {
                        message.broken = Some("a continuation frame has RSV bits set".to_owned());
                    }
                }
                None => {
                    let broken = Some("a continuation frame with no message to continue".to_owned());
                    self.message =
                        Some(MessageState { opcode: 0, compressed: false, data: Vec::new(), size: 0, broken });
                }
            },
            _ => {}
        }
        self.frame = Some(frame);
        Ok(())
    }

    /// Why RSV bits make a message unreadable: RSV1 without permessage-deflate, or RSV2 and
    /// RSV3 (no extension here defines them).
    fn bad_rsv(&self, rsv: u8) -> Option<String> {
        if rsv & 0b011 != 0 {
            return Some(format!("the frame has RSV bits {rsv:03b} set, which no agreed extension defines"));
        }
        (rsv & 0b100 != 0 && self.inflater.is_none())
            .then(|| "the frame is marked compressed, but permessage-deflate was not agreed".to_owned())
    }

    fn end_frame(&mut self, limits: &Limits, out: &mut Out<'_>) {
        let Some(frame) = self.frame.take() else { return };
        match frame.opcode {
            8..=10 => {
                if !frame.fin {
                    let message = format!("a control frame (opcode {}) is fragmented", frame.opcode);
                    out.problem(Severity::Error, Code::WebsocketFragmentedControlFrame, message);
                }
                let control = match frame.opcode {
                    8 => {
                        let code = frame.control.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                        let reason = String::from_utf8_lossy(frame.control.get(2..).unwrap_or(&[])).into_owned();
                        Control::Close { code, reason }
                    }
                    9 => Control::Ping,
                    _ => Control::Pong,
                };
                out.event(TransportEvent::Control(control));
            }
            0..=2 => {
                if frame.fin
                    && let Some(message) = self.message.take()
                {
                    self.finish(message, limits, out);
                }
            }
            opcode => {
                let reason = format!("a frame with the reserved opcode {opcode} ({} bytes)", frame.length);
                out.unreadable(reason);
            }
        }
    }

    /// A whole message: inflated if compressed, and handed on.
    fn finish(&mut self, message: MessageState, limits: &Limits, out: &mut Out<'_>) {
        if message.broken.is_some() {
            self.skip(&message);
            return out.unreadable(message.describe(None));
        }
        let data = match (&mut self.inflater, message.compressed) {
            (Some(inflater), true) => match inflater.inflate(&message.data, limits.max_line_bytes) {
                Ok(data) => data,
                Err(reason) => return out.unreadable(reason),
            },
            _ => message.data,
        };
        let body = if message.opcode == 1 {
            match String::from_utf8(data) {
                Ok(text) => Body::Text(text),
                Err(error) => Body::Unreadable(format!(
                    "the text message is not valid UTF-8 (byte {})",
                    error.utf8_error().valid_up_to() + 1
                )),
            }
        } else {
            Body::Binary(Binary { opcode: message.opcode, bytes: data, encoding: self.encoding })
        };
        out.frame(body);
    }

    /// A message not inflated: a compressed one takes the sender's compression context with it.
    fn skip(&mut self, message: &MessageState) {
        if message.compressed
            && let Some(inflater) = &mut self.inflater
        {
            inflater.skip();
        }
    }

    /// The end of the connection: a frame or message left unfinished, and the bytes not read.
    pub fn close(&mut self, out: &mut Out<'_>) {
        self.cut_off("the connection ends", out);
        if let Some(unread) = self.unread.take().filter(|u| u.bytes > 0) {
            let message =
                format!("{} bytes the {} sent after {} were not read", unread.bytes, out.peer.name(), unread.cause);
            out.problem(Severity::Warning, Code::WebsocketBytesNotRead, message);
        }
    }

    /// Reports the frame or message in progress as cut off where `where_` says.
    fn cut_off(&mut self, where_: &str, out: &mut Out<'_>) {
        if let Some(frame) = self.frame.take() {
            let reason =
                format!("cut off: {where_} inside a frame ({} of its {} payload bytes)", frame.read, frame.length);
            if frame.opcode < 8 {
                if let Some(message) = self.message.take() {
                    self.skip(&message);
                }
                out.unreadable(reason);
            } else {
                out.problem(Severity::Warning, Code::WebsocketFrameCutOff, reason);
            }
        }
        if let Some(message) = self.message.take() {
            self.skip(&message);
            out.unreadable(message.describe(Some(format!("cut off: {where_} inside a fragmented message"))));
        } else if !self.pending.is_empty() {
            let reason = format!("cut off: {where_} inside a frame header ({} bytes)", self.pending.len());
            out.unreadable(reason);
        }
        self.pending = Vec::new();
    }
}

impl MessageState {
    fn describe(&self, reason: Option<String>) -> String {
        let kind = if self.opcode == 2 { "binary" } else { "text" };
        let reason = reason.or_else(|| self.broken.clone()).unwrap_or_default();
        format!("a {kind} message of {} bytes: {reason}", self.size)
    }
}

/// A frame header at the start of `bytes`, and its length; `None` until it has all arrived.
fn header(bytes: &[u8]) -> Option<(FrameState, usize)> {
    let (&first, &second) = (bytes.first()?, bytes.get(1)?);
    let (length, mut at) = match second & 0x7f {
        126 => (u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)), 4),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
        short => (u64::from(short), 2),
    };
    let mask = if second & 0x80 != 0 {
        let key: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        Some(key)
    } else {
        None
    };
    let frame = FrameState {
        opcode: first & 0x0f,
        fin: first & 0x80 != 0,
        rsv: (first >> 4) & 0b111,
        mask,
        length,
        read: 0,
        control: Vec::new(),
    };
    Some((frame, at))
}
