//! One websocket conversation over a reassembled TCP connection: the upgrade read from both
//! sides (what a side sends after its head, before the other's has come, held up to a limit),
//! then each side's frames, in capture order.

use super::frames::Reader;
use super::handshake::{self, MAX_HEAD_BYTES, Reply, Request};
use super::inflate::Inflater;
use super::out::Out;
use super::peer::Peer;
use crate::{Code, Event, Limits, Origin, Severity, TransportEvent};

/// The most bytes a side's frames may take while the upgrade waits for the other side's head:
/// they are kept to be read once it completes. Beyond it, that side's later bytes are counted,
/// not read.
pub const MAX_EARLY_BYTES: usize = 4 << 20;
/// The most bytes held over all connections while upgrades are awaited; the side whose bytes
/// would pass it keeps what it has, as at its own limit.
pub(crate) const MAX_EARLY_BYTES_OVERALL: usize = 64 << 20;

/// Where the conversation stands.
enum Stage {
    /// Reading the request and the reply heads.
    Upgrading(Box<Upgrade>),
    /// Upgraded: frames on both sides.
    Open,
    /// Not a websocket connection, or past repair: the rest is counted, not read.
    Ignored,
}

/// The upgrade, as far as it has come.
#[derive(Default)]
struct Upgrade {
    request: Option<Request>,
    reply: Option<Reply>,
    /// Each side's bytes not read yet (the client's, then the server's): its head, then what
    /// came after it.
    pending: [Vec<u8>; 2],
    /// Each side's bytes after its head beyond `MAX_EARLY_BYTES`, left out.
    dropped: [u64; 2],
}

/// Why a connection is not read: the finding's level, code and message.
type Fault = (Severity, Code, String);

pub(crate) struct Conversation {
    limits: Limits,
    stage: Stage,
    /// The client's and the server's side.
    sides: [Reader; 2],
    /// Bytes not read because of `Stage::Ignored`.
    ignored: u64,
}

impl Conversation {
    pub fn new(limits: Limits) -> Conversation {
        Conversation {
            limits,
            stage: Stage::Upgrading(Box::default()),
            sides: [Reader::default(), Reader::default()],
            ignored: 0,
        }
    }

    /// The bytes held while the upgrade is awaited.
    pub fn early_bytes(&self) -> usize {
        match &self.stage {
            Stage::Upgrading(upgrade) => upgrade.pending.iter().map(Vec::len).sum(),
            Stage::Open | Stage::Ignored => 0,
        }
    }

    /// Takes the next bytes of one side, in order; while the upgrade is awaited, at most `room`
    /// bytes are held in all (as `early_bytes` counts them).
    pub fn bytes(
        &mut self,
        peer: Peer,
        bytes: &[u8],
        room: usize,
        origin: &Origin,
        time: f64,
        sink: &mut dyn FnMut(Event),
    ) {
        let mut out = Out { origin, time, peer, sink };
        match &mut self.stage {
            Stage::Ignored => self.ignored += bytes.len() as u64,
            Stage::Open => self.sides[peer as usize].frames(bytes, &self.limits, &mut out),
            Stage::Upgrading(upgrade) => {
                upgrade.hold(bytes, room, &mut out);
                match upgrade.heads(room, &mut out) {
                    Err((level, code, message)) => self.ignore(&mut out, level, code, message),
                    Ok(true) => self.open(&mut out),
                    Ok(false) => {}
                }
            }
        }
    }

    /// Starts reading frames, as agreed in the upgrade; `out.peer` sent the head that
    /// completed it.
    fn open(&mut self, out: &mut Out<'_>) {
        let Stage::Upgrading(upgrade) = &self.stage else { return };
        let (Some(request), Some(reply)) = (&upgrade.request, &upgrade.reply) else { return };
        if reply.status != 101 {
            let message = format!(
                "the server refused the websocket upgrade of {} with {} {}: the connection's bytes are not read",
                request.target, reply.status, reply.reason
            );
            return self.ignore(out, Severity::Warning, Code::WebsocketUpgradeRefused, message);
        }
        let Stage::Upgrading(upgrade) = std::mem::replace(&mut self.stage, Stage::Open) else { return };
        let Upgrade { request: Some(request), reply: Some(reply), pending, dropped } = *upgrade else { return };
        if let (Some(key), Some(accept)) = (&request.key, &reply.accept)
            && handshake::accept_for(key) != *accept
        {
            let message = format!(
                "the server's Sec-WebSocket-Accept ({accept}) does not match the client's key: a client would \
                 refuse this connection"
            );
            out.problem(Severity::Warning, Code::WebsocketAcceptMismatch, message);
        }
        let encoding = handshake::encoding(&request, &reply);
        out.event(TransportEvent::Upgrade {
            target: request.target.clone(),
            subprotocol: reply.protocol.clone().or_else(|| request.protocols.first().cloned()),
            deflate: reply.deflate.map(|d| d.describe()),
        });
        for fault in &reply.deflate_faults {
            let message = format!(
                "the server's permessage-deflate parameters break RFC 7692: {fault}. A client would refuse the \
                 connection; its messages are inflated all the same, with a 32 KiB window, which reads any smaller one"
            );
            Out { peer: Peer::Server, ..out.reborrow() }.problem(
                Severity::Warning,
                Code::WebsocketBadDeflateParameter,
                message,
            );
        }
        for (peer, side) in [Peer::Client, Peer::Server].into_iter().zip(&mut self.sides) {
            side.encoding = encoding;
            side.inflater = reply.deflate.map(|d| {
                Inflater::new(match peer {
                    Peer::Client => d.client_no_context_takeover,
                    Peer::Server => d.server_no_context_takeover,
                })
            });
        }
        // The side whose head completed the upgrade sent all its frames in this packet: the
        // other side's came before, so they are read first.
        for peer in [out.peer.other(), out.peer] {
            let side = &mut self.sides[peer as usize];
            let mut out = Out { peer, ..out.reborrow() };
            side.frames(&pending[peer as usize], &self.limits, &mut out);
            if dropped[peer as usize] > 0 {
                let cause = format!("the {} bytes kept while the upgrade was awaited", pending[peer as usize].len());
                side.stop("the bytes kept while the upgrade was awaited end", cause, dropped[peer as usize], &mut out);
            }
        }
    }

    fn ignore(&mut self, out: &mut Out<'_>, level: Severity, code: Code, message: String) {
        out.problem(level, code, message);
        if let Stage::Upgrading(upgrade) = &self.stage {
            self.ignored += upgrade.pending.iter().map(|p| p.len() as u64).sum::<u64>();
            self.ignored += upgrade.dropped.iter().sum::<u64>();
        }
        self.stage = Stage::Ignored;
    }

    /// `bytes` of one side that this reader never gets, after those it got (the copy it reads
    /// fell behind what was relayed): that side's frames cannot be told apart any more, so the
    /// message in progress is cut off and the side's later bytes are counted, not read.
    pub fn lose(
        &mut self,
        peer: Peer,
        bytes: u64,
        cause: &str,
        origin: &Origin,
        time: f64,
        sink: &mut dyn FnMut(Event),
    ) {
        let mut out = Out { origin, time, peer, sink };
        match &mut self.stage {
            Stage::Open => self.sides[peer as usize].stop("bytes are lost", cause.to_owned(), bytes, &mut out),
            Stage::Ignored => self.ignored += bytes,
            Stage::Upgrading(upgrade) => {
                self.ignored += bytes + upgrade.pending.iter().map(|p| p.len() as u64).sum::<u64>();
                self.ignored += upgrade.dropped.iter().sum::<u64>();
                self.stage = Stage::Ignored;
            }
        }
    }

    /// The connection is over: what is left unfinished is reported.
    pub fn close(&mut self, origin: &Origin, time: f64, sink: &mut dyn FnMut(Event)) {
        for peer in [Peer::Client, Peer::Server] {
            let mut out = Out { origin, time, peer, sink: &mut *sink };
            match &self.stage {
                Stage::Upgrading(upgrade) => {
                    if let Some(message) = upgrade.cut_off(peer) {
                        out.problem(Severity::Warning, Code::WebsocketUpgradeCutOff, message);
                    }
                }
                Stage::Open => self.sides[peer as usize].close(&mut out),
                Stage::Ignored => {}
            }
        }
    }
}

impl Upgrade {
    /// Keeps the bytes of `out.peer`: all of them until its head is read, then up to its
    /// limit (see `limit`).
    fn hold(&mut self, bytes: &[u8], room: usize, out: &mut Out<'_>) {
        let peer = out.peer;
        let (limit, head_read) = (self.limit(peer, room), self.head_read(peer));
        let pending = &mut self.pending[peer as usize];
        let room = if head_read { limit.saturating_sub(pending.len()) } else { bytes.len() };
        let kept = bytes.len().min(room);
        pending.extend_from_slice(&bytes[..kept]);
        self.leave_out(peer, (bytes.len() - kept) as u64, limit, out);
    }

    /// The most bytes `peer` may hold after its head: `MAX_EARLY_BYTES`, or less when the
    /// upgrade may hold only `room` in all (its share of `MAX_EARLY_BYTES_OVERALL`).
    fn limit(&self, peer: Peer, room: usize) -> usize {
        MAX_EARLY_BYTES.min(room.saturating_sub(self.pending[peer.other() as usize].len()))
    }

    fn head_read(&self, peer: Peer) -> bool {
        match peer {
            Peer::Client => self.request.is_some(),
            Peer::Server => self.reply.is_some(),
        }
    }

    /// Reads the heads that have come; true once both are read.
    fn heads(&mut self, room: usize, out: &mut Out<'_>) -> Result<bool, Fault> {
        if self.request.is_none() {
            let client = &mut self.pending[Peer::Client as usize];
            starts_with(client, b"GET ")?;
            if let Some(length) = head_length(client, "request")? {
                let parsed = handshake::request(&client[..length]).map_err(bad_upgrade)?;
                out.context(&parsed.context);
                if !parsed.upgrade {
                    let message = format!(
                        "an HTTP connection (GET {}) that is not a websocket upgrade: its bytes are not read",
                        parsed.target
                    );
                    return Err((Severity::Info, Code::NotWebsocket, message));
                }
                client.drain(..length);
                self.request = Some(parsed);
                self.trim(Peer::Client, room, out);
            }
        }
        if self.reply.is_none() {
            let server = &mut self.pending[Peer::Server as usize];
            starts_with(server, b"HTTP/")?;
            if let Some(length) = head_length(server, "reply")? {
                let parsed = handshake::reply(&server[..length]).map_err(bad_upgrade)?;
                out.context(&parsed.context);
                server.drain(..length);
                self.reply = Some(parsed);
                self.trim(Peer::Server, room, out);
            }
        }
        Ok(self.request.is_some() && self.reply.is_some())
    }

    /// Keeps at most the side's limit of what came after its head, once it is read.
    fn trim(&mut self, peer: Peer, room: usize, out: &mut Out<'_>) {
        let limit = self.limit(peer, room);
        let pending = &mut self.pending[peer as usize];
        let excess = pending.len().saturating_sub(limit);
        if excess > 0 {
            pending.truncate(limit);
            pending.shrink_to_fit();
        }
        self.leave_out(peer, excess as u64, limit, out);
    }

    /// Counts bytes of `peer` that are not kept, past its `limit`, reporting the first.
    fn leave_out(&mut self, peer: Peer, bytes: u64, limit: usize, out: &mut Out<'_>) {
        if bytes == 0 {
            return;
        }
        if self.dropped[peer as usize] == 0 {
            let (head, awaited) = match peer {
                Peer::Client => ("upgrade request", "the server's reply"),
                Peer::Server => ("upgrade reply", "the client's request"),
            };
            let who = peer.name();
            let message = if limit < MAX_EARLY_BYTES {
                format!(
                    "the {MAX_EARLY_BYTES_OVERALL} bytes held over all connections awaiting an upgrade were reached \
                     when the {who} sent more after its {head}, before {awaited} had come: {limit} bytes of it are \
                     kept, to be read once the upgrade completes; the later ones, and all that follow them, are not \
                     read, since no frame boundary can be trusted after bytes left out"
                )
            } else {
                format!(
                    "the {who} sent more than {MAX_EARLY_BYTES} bytes after its {head}, before {awaited} had come: the \
                     first {MAX_EARLY_BYTES} are kept, to be read once the upgrade completes; the later ones, and all \
                     that follow them, are not read, since no frame boundary can be trusted after bytes left out"
                )
            };
            Out { peer, ..out.reborrow() }.problem(Severity::Error, Code::WebsocketEarlyDataLimit, message);
        }
        self.dropped[peer as usize] += bytes;
    }

    /// What the end of the connection leaves of a side's part of the upgrade, if anything.
    fn cut_off(&self, peer: Peer) -> Option<String> {
        let held = self.pending[peer as usize].len() as u64 + self.dropped[peer as usize];
        if held == 0 {
            return None;
        }
        Some(if self.head_read(peer) {
            let head = if peer == Peer::Client { "request" } else { "reply" };
            format!(
                "the connection ends before the websocket upgrade completed: {held} bytes the {} sent after its \
                 {head} are not read",
                peer.name()
            )
        } else {
            format!("the connection ends inside the websocket upgrade ({held} bytes)")
        })
    }
}

/// An error unless `bytes`, as far as they go, start with `start` (a request or a reply).
fn starts_with(bytes: &[u8], start: &[u8]) -> Result<(), Fault> {
    if start.starts_with(&bytes[..bytes.len().min(start.len())]) {
        return Ok(());
    }
    let message = "the connection does not start with a websocket upgrade (the capture may have joined it later): \
                   its bytes are not read";
    Err((Severity::Warning, Code::NoWebsocketUpgrade, message.to_owned()))
}

/// The length of a head once it has all arrived; an error when it is longer than
/// `MAX_HEAD_BYTES`.
fn head_length(bytes: &[u8], what: &str) -> Result<Option<usize>, Fault> {
    match handshake::head_length(bytes) {
        Some(length) if length <= MAX_HEAD_BYTES => Ok(Some(length)),
        None if bytes.len() <= MAX_HEAD_BYTES => Ok(None),
        _ => Err(bad_upgrade(format!("the HTTP {what} head is longer than {MAX_HEAD_BYTES} bytes"))),
    }
}

fn bad_upgrade(reason: String) -> Fault {
    (Severity::Error, Code::BadWebsocketUpgrade, reason)
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
        4000 => "session limit (Zenith: the server allows no more sessions for this user)",
        0..=999 => "not a valid close code",
        1016..=2999 => "unassigned",
        3000..=3999 => "registered for libraries and frameworks",
        4001..=4999 => "private use",
        _ => "not a valid close code",
    }
}
