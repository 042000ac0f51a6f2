//! TCP connections: each direction's bytes put back in order from the segments, whatever order
//! they came in and however often they were sent, with any hole reported rather than skipped
//! over.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::Segment;
use super::websocket::Conversation;
use crate::{Event, Level, Limits, Origin, Skipped, TcpStream, Transport, TransportEvent};

/// The most TCP connections followed at once; packets of further ones are skipped and counted.
pub const MAX_OPEN_CONNECTIONS: usize = 10_000;
/// The most bytes held per direction ahead of a hole, waiting for the segment that fills it.
/// Beyond that the segment is taken as lost.
pub const MAX_HELD_BYTES: usize = 4 << 20;

/// The connections of one capture, by their endpoints.
pub(crate) struct Connections {
    open: FxHashMap<(SocketAddr, SocketAddr), Connection>,
    streams: u64,
    limits: Limits,
}

struct Connection {
    stream: Arc<TcpStream>,
    /// From the client, then from the server.
    sides: [Side; 2],
    conversation: Conversation,
    /// When the last packet came.
    time: f64,
    packet: u64,
}

/// One direction of a connection.
#[derive(Default)]
struct Side {
    /// The sequence number of byte 0 and the offset of the next byte expected, once known.
    start: Option<(u32, u64)>,
    /// Segments ahead of the next byte, by offset.
    held: BTreeMap<u64, Vec<u8>>,
    held_bytes: usize,
    /// The offset of the FIN, once seen.
    fin: Option<u64>,
    /// True once bytes were lost: nothing after the hole is read.
    broken: bool,
    /// Bytes that arrived again (retransmissions).
    repeated: u64,
}

/// Which side a segment comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    Client = 0,
    Server = 1,
}

impl Connections {
    pub fn new(limits: Limits) -> Connections {
        Connections { open: FxHashMap::default(), streams: 0, limits }
    }

    pub fn segment(&mut self, segment: Segment<'_>, sink: &mut dyn FnMut(Event)) {
        let key = ordered(segment.source, segment.destination);
        // A new connection on the ports of one whose end the capture missed: the old one ends.
        if self.open.get(&key).is_some_and(|connection| connection.opened_anew_by(&segment))
            && let Some(connection) = self.open.remove(&key)
        {
            connection.close("a new connection on the same ports started first", sink);
        }
        if !self.open.contains_key(&key) {
            if segment.rst || (segment.payload.is_empty() && !segment.syn) {
                // The end of a connection already closed, or a bare acknowledgement of one the
                // capture joined late: nothing to follow.
                sink(Event::Skipped(Skipped::Packet {
                    packet: segment.packet,
                    reason: "no data on an unknown connection",
                }));
                return;
            }
            if self.open.len() >= MAX_OPEN_CONNECTIONS {
                let reason = "on a connection beyond the limit of open connections followed";
                sink(Event::Skipped(Skipped::Packet { packet: segment.packet, reason }));
                return;
            }
            // The client opens with a SYN, or else speaks first with an HTTP request; else the
            // first side seen is taken for it.
            let server_first = (segment.syn && segment.ack) || (!segment.syn && segment.payload.starts_with(b"HTTP/"));
            let (client, server) = if server_first {
                (segment.destination, segment.source)
            } else {
                (segment.source, segment.destination)
            };
            let stream = Arc::new(TcpStream::new(self.streams, client, server));
            self.streams += 1;
            let conversation = Conversation::new(self.limits);
            let sides = [Side::default(), Side::default()];
            self.open
                .insert(key, Connection { stream, sides, conversation, time: segment.time, packet: segment.packet });
        }
        let Some(connection) = self.open.get_mut(&key) else { return };
        connection.time = segment.time;
        connection.packet = segment.packet;
        let from = if segment.source == connection.stream.client { Peer::Client } else { Peer::Server };
        let done = connection.segment(from, &segment, sink);
        if done && let Some(connection) = self.open.remove(&key) {
            connection.close("the connection closed first", sink);
        }
    }

    /// Ends every connection still open at the end of the capture; `cut` when the file ends
    /// inside a packet.
    pub fn finish(&mut self, cut: Option<u64>, sink: &mut dyn FnMut(Event)) {
        if let Some(packet) = cut {
            let reason = "cut off: the capture file ends inside this packet";
            sink(Event::Skipped(Skipped::Packet { packet: packet + 1, reason }));
        }
        let mut open: Vec<Connection> = self.open.drain().map(|(_, c)| c).collect();
        open.sort_by_key(|c| c.stream.number);
        for connection in open {
            connection.close("the capture ends first", sink);
        }
    }
}

impl Connection {
    /// Takes one segment; true when the connection is over.
    fn segment(&mut self, from: Peer, segment: &Segment<'_>, sink: &mut dyn FnMut(Event)) -> bool {
        let origin = Origin::Tcp { stream: self.stream.clone(), packet: segment.packet };
        let side = &mut self.sides[from as usize];
        if segment.rst {
            return true;
        }
        let sequence = if segment.syn { segment.sequence.wrapping_add(1) } else { segment.sequence };
        let (start, next) = *side.start.get_or_insert((sequence, 0));
        // The offset nearest the next byte expected, so sequence numbers may wrap.
        let relative = u64::from(sequence.wrapping_sub(start));
        let near = next & !0xffff_ffff | relative;
        let offset = [near.wrapping_sub(1 << 32), near, near + (1 << 32)]
            .into_iter()
            .filter(|o| *o < 1 << 63)
            .min_by_key(|o| o.abs_diff(next))
            .unwrap_or(near);
        if segment.fin {
            side.fin = Some(offset + segment.payload.len() as u64);
        }
        if !segment.payload.is_empty() && !side.broken {
            let end = offset + segment.payload.len() as u64;
            if end <= next {
                side.repeated += segment.payload.len() as u64;
            } else if offset <= next {
                let fresh = &segment.payload[(next - offset) as usize..];
                side.repeated += next - offset;
                self.deliver(from, fresh, &origin, segment.time, sink);
                self.drain_held(from, &origin, segment.time, sink);
            } else {
                let side = &mut self.sides[from as usize];
                side.hold(offset, segment.payload);
                if side.held_bytes > MAX_HELD_BYTES {
                    self.lose(from, &origin, segment.time, "more than 4 MiB arrived after it", sink);
                }
            }
        }
        let finished = |side: &Side| side.fin.is_some_and(|fin| side.start.is_some_and(|(_, next)| next >= fin));
        self.sides.iter().all(finished)
    }

    /// Passes bytes in order to the websocket reader, and moves the next expected offset on.
    fn deliver(&mut self, from: Peer, bytes: &[u8], origin: &Origin, time: f64, sink: &mut dyn FnMut(Event)) {
        if let Some((_, next)) = &mut self.sides[from as usize].start {
            *next += bytes.len() as u64;
        }
        self.conversation.bytes(from, bytes, origin, time, sink);
    }

    /// Delivers the held segments that the bytes so far have reached.
    fn drain_held(&mut self, from: Peer, origin: &Origin, time: f64, sink: &mut dyn FnMut(Event)) {
        loop {
            let side = &mut self.sides[from as usize];
            let next = side.start.map_or(0, |(_, next)| next);
            let Some(entry) = side.held.first_entry() else { return };
            if *entry.key() > next {
                return;
            }
            let (offset, bytes) = entry.remove_entry();
            side.held_bytes -= bytes.len();
            let end = offset + bytes.len() as u64;
            if end <= next {
                side.repeated += bytes.len() as u64;
                continue;
            }
            side.repeated += next - offset;
            self.deliver(from, &bytes[(next - offset) as usize..], origin, time, sink);
        }
    }

    /// Reports the hole before the first held segment; nothing after it is read.
    fn lose(&mut self, from: Peer, origin: &Origin, time: f64, why: &str, sink: &mut dyn FnMut(Event)) {
        let side = &mut self.sides[from as usize];
        let next = side.start.map_or(0, |(_, next)| next);
        // The hole ends at the first segment held after it, or else at the FIN.
        let first = match (side.held.first_key_value(), side.fin) {
            (Some((&first, _)), _) => first,
            (None, Some(fin)) if fin > next && !side.broken => fin,
            _ => return,
        };
        let after: usize = side.held_bytes;
        side.held.clear();
        side.held_bytes = 0;
        side.broken = true;
        let who = from.name();
        let message = match after {
            0 => format!(
                "bytes {next} to {} from the {who}, just before its FIN, are missing from the capture",
                first - 1
            ),
            _ => format!(
                "bytes {next} to {} from the {who} are missing from the capture ({why}): the {after} bytes after the \
                 hole, and all later ones, are not read",
                first - 1
            ),
        };
        let direction = Some(from.direction());
        let what = TransportEvent::Problem { level: Level::Error, code: "tcp-segment-missing", message };
        sink(Event::Transport(Transport { origin: origin.clone(), time: Some(time), direction, what }));
    }

    /// Ends the connection, `why` (as in "the bytes after the hole are not read ({why})"):
    /// reports a hole still open, and a message cut off.
    fn close(mut self, why: &str, sink: &mut dyn FnMut(Event)) {
        let origin = Origin::Tcp { stream: self.stream.clone(), packet: self.packet };
        for from in [Peer::Client, Peer::Server] {
            self.lose(from, &origin, self.time, why, sink);
        }
        self.conversation.close(&origin, self.time, sink);
    }

    /// True when a SYN opens a new connection on these ports rather than repeating this one's:
    /// its sequence number is not the one its side started with, or its side sent nothing yet
    /// while the other side already sent data.
    fn opened_anew_by(&self, segment: &Segment<'_>) -> bool {
        if !segment.syn {
            return false;
        }
        let from = if segment.source == self.stream.client { Peer::Client } else { Peer::Server };
        match self.sides[from as usize].start {
            Some((start, _)) => start != segment.sequence.wrapping_add(1),
            None => !segment.ack && self.sides[from.other() as usize].start.is_some_and(|(_, next)| next > 0),
        }
    }
}

impl Side {
    /// Holds a segment that came ahead of the next byte expected, less what is held already
    /// (a segment sent again, or overlapping others), so each byte is held and counted once.
    fn hold(&mut self, offset: u64, payload: &[u8]) {
        let end = offset + payload.len() as u64;
        let (mut at, mut new) = (offset, 0);
        if let Some((&start, bytes)) = self.held.range(..=at).next_back() {
            at = at.max(start + bytes.len() as u64);
        }
        while at < end {
            let next = self.held.range(at..).next().map(|(&start, bytes)| (start, start + bytes.len() as u64));
            let until = next.map_or(end, |(start, _)| start.min(end));
            if until > at {
                self.held.insert(at, payload[(at - offset) as usize..(until - offset) as usize].to_vec());
                new += until - at;
            }
            at = match next {
                Some((start, next_end)) if start < end => next_end,
                _ => end,
            };
        }
        self.held_bytes += new as usize;
        self.repeated += payload.len() as u64 - new;
    }
}

impl Peer {
    pub fn direction(self) -> zenith_protocol::Direction {
        match self {
            Peer::Client => zenith_protocol::Direction::Send,
            Peer::Server => zenith_protocol::Direction::Receive,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Peer::Client => "client",
            Peer::Server => "server",
        }
    }

    pub fn other(self) -> Peer {
        match self {
            Peer::Client => Peer::Server,
            Peer::Server => Peer::Client,
        }
    }
}

/// The key of a connection: its two endpoints in a fixed order.
fn ordered(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}
