//! One websocket conversation over a reassembled TCP connection: the upgrade, then each
//! side's frames (masking, fragments, control frames) put together into messages, inflated
//! when permessage-deflate was agreed.

use flate2::{Decompress, FlushDecompress, Status};

use super::handshake::{self, Deflate, MAX_HEAD_BYTES, Reply, Request};
use super::tcp::Peer;
use crate::binary::{Binary, Encoding};
use crate::{Body, Control, Event, Frame, Level, Limits, Origin, Transport, TransportEvent};

/// Most bytes of a control frame's payload kept (the protocol allows 125).
const MAX_CONTROL_BYTES: usize = 1024;

/// Where the conversation stands.
enum Stage {
    /// Reading the request and the reply heads.
    Upgrading { request: Option<Request> },
    /// Upgraded: frames on both sides.
    Open,
    /// Not a websocket connection, or past repair: the rest is counted, not read.
    Ignored,
}

pub(crate) struct Conversation {
    limits: Limits,
    stage: Stage,
    /// The client's and the server's side.
    sides: [Reader; 2],
    /// Bytes not read because of `Stage::Ignored`.
    ignored: u64,
}

/// One side's frames.
#[derive(Default)]
struct Reader {
    /// Bytes received and not yet read: a head, or the start of a frame header.
    pending: Vec<u8>,
    frame: Option<FrameState>,
    message: Option<MessageState>,
    inflater: Option<Inflater>,
    encoding: Option<Encoding>,
}

struct FrameState {
    opcode: u8,
    fin: bool,
    rsv: u8,
    mask: Option<[u8; 4]>,
    length: u64,
    /// Payload bytes read so far.
    read: u64,
    /// A control frame's payload (its first bytes).
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

struct Inflater {
    decompress: Decompress,
    /// The sender starts afresh with every message.
    no_context_takeover: bool,
}

impl Conversation {
    pub fn new(limits: Limits) -> Conversation {
        Conversation {
            limits,
            stage: Stage::Upgrading { request: None },
            sides: [Reader::default(), Reader::default()],
            ignored: 0,
        }
    }

    /// Takes the next bytes of one side, in order.
    pub fn bytes(&mut self, peer: Peer, bytes: &[u8], origin: &Origin, time: f64, sink: &mut dyn FnMut(Event)) {
        let mut out = Out { origin, time, peer, sink };
        match &mut self.stage {
            Stage::Ignored => self.ignored += bytes.len() as u64,
            Stage::Open => self.sides[peer as usize].frames(bytes, &self.limits, &mut out),
            Stage::Upgrading { .. } => {
                self.sides[peer as usize].pending.extend_from_slice(bytes);
                self.upgrade(&mut out);
            }
        }
    }

    /// Reads the heads as they complete; once the server has answered, the frames that
    /// followed them on either side.
    fn upgrade(&mut self, out: &mut Out<'_>) {
        let Stage::Upgrading { request } = &mut self.stage else { return };
        let client = &mut self.sides[Peer::Client as usize].pending;
        if request.is_none() {
            if !client.is_empty() && !b"GET ".starts_with(&client[..client.len().min(4)]) {
                let message = "the connection does not start with a websocket upgrade (the capture may have \
                               joined it later): its bytes are not read";
                return self.ignore(out, Level::Warning, "no-websocket-upgrade", message.to_owned());
            }
            match handshake::head_length(client) {
                Some(length) => match handshake::request(&client[..length]) {
                    Ok(parsed) if !parsed.upgrade => {
                        let message = format!(
                            "an HTTP connection (GET {}) that is not a websocket upgrade: its bytes are not read",
                            parsed.target
                        );
                        return self.ignore(out, Level::Info, "not-websocket", message);
                    }
                    Ok(parsed) => {
                        client.drain(..length);
                        *request = Some(parsed);
                    }
                    Err(reason) => return self.ignore(out, Level::Error, "bad-websocket-upgrade", reason),
                },
                None if client.len() > MAX_HEAD_BYTES => {
                    let message = format!("the HTTP request head is longer than {MAX_HEAD_BYTES} bytes");
                    return self.ignore(out, Level::Error, "bad-websocket-upgrade", message);
                }
                None => return,
            }
        }
        let server = &mut self.sides[Peer::Server as usize].pending;
        let Some(length) = handshake::head_length(server) else {
            if server.len() > MAX_HEAD_BYTES {
                let message = format!("the HTTP reply head is longer than {MAX_HEAD_BYTES} bytes");
                self.ignore(out, Level::Error, "bad-websocket-upgrade", message);
            }
            return;
        };
        let reply = match handshake::reply(&server[..length]) {
            Ok(reply) => reply,
            Err(reason) => return self.ignore(out, Level::Error, "bad-websocket-upgrade", reason),
        };
        server.drain(..length);
        let request = request.take().unwrap_or_default();
        if reply.status != 101 {
            let message = format!(
                "the server refused the websocket upgrade of {} with {} {}: the connection's bytes are not read",
                request.target, reply.status, reply.reason
            );
            return self.ignore(out, Level::Warning, "websocket-upgrade-refused", message);
        }
        self.open(&request, &reply, out);
    }

    /// Starts reading frames, as agreed in the upgrade.
    fn open(&mut self, request: &Request, reply: &Reply, out: &mut Out<'_>) {
        if let (Some(key), Some(accept)) = (&request.key, &reply.accept)
            && handshake::accept_for(key) != *accept
        {
            let message = format!(
                "the server's Sec-WebSocket-Accept ({accept}) does not match the client's key: a client would \
                 refuse this connection"
            );
            out.problem(Level::Warning, "websocket-accept-mismatch", message);
        }
        let encoding = handshake::encoding(request, reply);
        let deflate = reply.deflate;
        out.event(TransportEvent::Upgrade {
            target: request.target.clone(),
            subprotocol: reply.protocol.clone().or_else(|| request.protocols.first().cloned()),
            deflate: deflate.map(describe_deflate),
        });
        for (peer, side) in [Peer::Client, Peer::Server].into_iter().zip(&mut self.sides) {
            side.encoding = encoding;
            side.inflater = deflate.map(|d| Inflater {
                decompress: Decompress::new(false),
                no_context_takeover: match peer {
                    Peer::Client => d.client_no_context_takeover,
                    Peer::Server => d.server_no_context_takeover,
                },
            });
        }
        self.stage = Stage::Open;
        for peer in [Peer::Server, Peer::Client] {
            let side = &mut self.sides[peer as usize];
            let pending = std::mem::take(&mut side.pending);
            side.frames(&pending, &self.limits, &mut Out { peer, ..out.reborrow() });
        }
    }

    fn ignore(&mut self, out: &mut Out<'_>, level: Level, code: &'static str, message: String) {
        out.problem(level, code, message);
        self.ignored += self.sides.iter().map(|s| s.pending.len() as u64).sum::<u64>();
        for side in &mut self.sides {
            side.pending = Vec::new();
        }
        self.stage = Stage::Ignored;
    }

    /// The connection is over: what is left unfinished is reported.
    pub fn close(&mut self, origin: &Origin, time: f64, sink: &mut dyn FnMut(Event)) {
        for peer in [Peer::Client, Peer::Server] {
            let mut out = Out { origin, time, peer, sink: &mut *sink };
            let side = &mut self.sides[peer as usize];
            match self.stage {
                Stage::Upgrading { .. } if !side.pending.is_empty() => {
                    let message =
                        format!("the connection ends inside the websocket upgrade ({} bytes)", side.pending.len());
                    out.problem(Level::Warning, "websocket-upgrade-cut-off", message);
                }
                Stage::Open => side.cut_off(&mut out),
                _ => {}
            }
        }
    }
}

impl Reader {
    /// Reads the frames in the bytes, with any left from before.
    fn frames(&mut self, bytes: &[u8], limits: &Limits, out: &mut Out<'_>) {
        if self.pending.is_empty() {
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

    /// Reads what it can; returns the bytes used. Only an incomplete frame header is left.
    fn read(&mut self, bytes: &[u8], limits: &Limits, out: &mut Out<'_>) -> usize {
        let mut at = 0;
        loop {
            let Some(frame) = &mut self.frame else {
                let Some((frame, length)) = header(&bytes[at..]) else { return at };
                at += length;
                self.start_frame(frame, limits, out);
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
                (_, true) => MAX_CONTROL_BYTES.saturating_sub(frame.control.len()),
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

    fn start_frame(&mut self, frame: FrameState, limits: &Limits, out: &mut Out<'_>) {
        let opcode = frame.opcode;
        let expect_mask = out.peer == Peer::Client;
        if frame.mask.is_some() != expect_mask {
            let message = if expect_mask {
                "a frame from the client is not masked, as the protocol requires"
            } else {
                "a frame from the server is masked, which the protocol forbids"
            };
            out.problem(Level::Warning, "websocket-masking", message.to_owned());
        }
        match opcode {
            1 | 2 => {
                if let Some(unfinished) = self.message.take() {
                    let reason = "a new message started before this fragmented one finished".to_owned();
                    out.unreadable(unfinished.describe(Some(reason)));
                }
                let compressed = frame.rsv & 0b100 != 0;
                let broken = self.bad_rsv(frame.rsv);
                // Room for the whole frame, within reason: a header may claim any length.
                let capacity = (frame.length as usize).min(limits.max_line_bytes).min(1 << 20);
                self.message =
                    Some(MessageState { opcode, compressed, data: Vec::with_capacity(capacity), size: 0, broken });
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
                if frame.length > 125 {
                    let message = format!(
                        "a control frame (opcode {}) of {} bytes: the protocol allows at most 125",
                        frame.opcode, frame.length
                    );
                    out.problem(Level::Error, "websocket-oversized-control-frame", message);
                }
                if !frame.fin {
                    let message = format!("a control frame (opcode {}) is fragmented", frame.opcode);
                    out.problem(Level::Error, "websocket-fragmented-control-frame", message);
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
            // A compressed message skipped still moves the sender's compression context on.
            if message.compressed
                && let Some(inflater) = &mut self.inflater
            {
                inflater.decompress.reset(false);
            }
            return out.unreadable(message.describe(None));
        }
        let data = match (&mut self.inflater, message.compressed) {
            (Some(inflater), true) => match inflater.inflate(&message.data, limits.max_line_bytes) {
                Ok(data) => data,
                Err(reason) => return out.unreadable(format!("the compressed message does not inflate: {reason}")),
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

    /// The end of the connection: a frame or message left unfinished.
    fn cut_off(&mut self, out: &mut Out<'_>) {
        if let Some(frame) = self.frame.take() {
            let reason = format!(
                "cut off: the connection ends inside a frame ({} of its {} payload bytes)",
                frame.read, frame.length
            );
            if frame.opcode < 8 {
                self.message = None;
                out.unreadable(reason);
            } else {
                out.problem(Level::Warning, "websocket-frame-cut-off", reason);
            }
        } else if let Some(message) = self.message.take() {
            out.unreadable(message.describe(Some("cut off: the connection ends inside a fragmented message".into())));
        } else if !self.pending.is_empty() {
            let reason = format!("cut off: the connection ends inside a frame header ({} bytes)", self.pending.len());
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

impl Inflater {
    /// Inflates one message (RFC 7692, section 7.2.2), at most `max` bytes of it.
    fn inflate(&mut self, data: &[u8], max: usize) -> Result<Vec<u8>, String> {
        if self.no_context_takeover {
            self.decompress.reset(false);
        }
        let mut output = Vec::with_capacity((data.len() * 4).min(max).max(64));
        let mut too_large = false;
        for input in [data, &[0, 0, 0xff, 0xff]] {
            let mut input = input;
            loop {
                if output.len() == output.capacity() {
                    if output.len() >= max {
                        // Keep inflating, to keep the context, but keep nothing more.
                        too_large = true;
                        output.clear();
                    }
                    output.reserve(output.capacity().clamp(64, max.max(64)));
                }
                let before = self.decompress.total_in();
                let status = self
                    .decompress
                    .decompress_vec(input, &mut output, FlushDecompress::Sync)
                    .map_err(|e| e.to_string())?;
                let used = (self.decompress.total_in() - before) as usize;
                input = &input[used..];
                let full = output.len() == output.capacity();
                if status == Status::StreamEnd || (input.is_empty() && !full) {
                    break;
                }
                if used == 0 && !full {
                    return Err("the compressed data is malformed".into());
                }
            }
        }
        if too_large || output.len() > max {
            return Err(format!("it inflates to more than {max} bytes"));
        }
        Ok(output)
    }
}

/// `permessage-deflate`, with the parameters that matter to a reader.
fn describe_deflate(deflate: Deflate) -> String {
    let mut text = "permessage-deflate".to_owned();
    if deflate.server_no_context_takeover {
        text.push_str("; server_no_context_takeover");
    }
    if deflate.client_no_context_takeover {
        text.push_str("; client_no_context_takeover");
    }
    text
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

/// Where events go, and the place they are from.
struct Out<'a> {
    origin: &'a Origin,
    time: f64,
    peer: Peer,
    sink: &'a mut dyn FnMut(Event),
}

impl Out<'_> {
    fn reborrow(&mut self) -> Out<'_> {
        Out { origin: self.origin, time: self.time, peer: self.peer, sink: &mut *self.sink }
    }

    fn frame(&mut self, body: Body) {
        let frame =
            Frame { origin: self.origin.clone(), time: Some(self.time), direction: Some(self.peer.direction()), body };
        (self.sink)(Event::Frame(frame));
    }

    fn unreadable(&mut self, reason: String) {
        self.frame(Body::Unreadable(reason));
    }

    fn event(&mut self, what: TransportEvent) {
        let direction = Some(self.peer.direction());
        (self.sink)(Event::Transport(Transport {
            origin: self.origin.clone(),
            time: Some(self.time),
            direction,
            what,
        }));
    }

    fn problem(&mut self, level: Level, code: &'static str, message: String) {
        self.event(TransportEvent::Problem { level, code, message });
    }
}

/// What a close code means (RFC 6455, section 7.4, and the IANA registry).
pub fn close_code_meaning(code: u16) -> &'static str {
    match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no status code (reserved: never sent)",
        1006 => "closed abnormally (reserved: never sent)",
        1007 => "invalid payload data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "a required extension is missing",
        1011 => "internal server error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        1015 => "TLS handshake failure (reserved: never sent)",
        0..=999 => "not a valid close code",
        1016..=2999 => "unassigned",
        3000..=3999 => "registered for libraries and frameworks",
        4000..=4999 => "private use",
        _ => "not a valid close code",
    }
}
