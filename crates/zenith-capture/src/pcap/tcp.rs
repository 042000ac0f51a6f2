//! TCP connections: each direction's bytes put back in order from the segments, whatever order
//! they came in and however often they were sent, with any hole reported rather than skipped
//! over.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::Segment;
use super::peer::Peer;
use super::websocket::{Conversation, MAX_EARLY_BYTES_OVERALL};
use crate::{Code, Event, Limits, Origin, Severity, Skipped, TcpStream, Transport, TransportEvent};

/// The most TCP connections followed at once; packets of further ones are not read, and
/// reported.
pub const MAX_OPEN_CONNECTIONS: usize = 10_000;
/// The most bytes held per direction ahead of a hole, waiting for the segment that fills it.
/// Beyond that the segment is taken as lost.
pub const MAX_HELD_BYTES: usize = 4 << 20;
/// The most bytes held ahead of holes over all connections together; the direction whose
/// segment would pass it is taken as having lost the segment before them.
pub(crate) const MAX_HELD_BYTES_OVERALL: usize = 64 << 20;
/// A reset whose sequence number is further than this from the next byte expected is outside
/// any window the receiver could have offered without window scaling: it is ignored.
const RESET_WINDOW: u64 = 65_535;
/// Closed connections remembered, so that a late retransmission on their ports is taken for
/// what it is rather than for a new connection.
const RECENTLY_CLOSED: usize = 1024;
/// How far before a closed connection's end a segment sent again may start: further back, it
/// is taken for a new connection on the same ports.
const REPEAT_REACH: u32 = 16 << 20;

type Key = (SocketAddr, SocketAddr);
/// A side's first sequence number and the one after its last byte.
type Span = (u32, u32);

/// The connections of one capture, by their endpoints.
pub(crate) struct Connections {
    open: FxHashMap<Key, Connection>,
    streams: u64,
    limits: Limits,
    /// The bytes held ahead of holes, and while upgrades are awaited, over all connections.
    held: usize,
    early: usize,
    closed: Closed,
    refused: Option<Refused>,
}

/// What a connection may hold in all, within the totals over all connections.
#[derive(Clone, Copy)]
struct Room {
    held: usize,
    early: usize,
}

/// The connections closed last: their client and where each side's bytes ended.
#[derive(Default)]
struct Closed {
    /// The client, and each side's span.
    ends: FxHashMap<Key, (SocketAddr, [Option<Span>; 2])>,
    order: VecDeque<Key>,
}

/// The packets of connections beyond `MAX_OPEN_CONNECTIONS`, not read: the first of them, and
/// how many there were.
struct Refused {
    origin: Origin,
    time: f64,
    packets: u64,
    bytes: u64,
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

impl Connections {
    pub fn new(limits: Limits) -> Connections {
        Connections {
            open: FxHashMap::default(),
            streams: 0,
            limits,
            held: 0,
            early: 0,
            closed: Closed::default(),
            refused: None,
        }
    }

    pub fn segment(&mut self, segment: Segment<'_>, sink: &mut dyn FnMut(Event)) {
        let key = ordered(segment.source, segment.destination);
        // A new connection on the ports of one whose end the capture missed: the old one ends.
        if self.open.get(&key).is_some_and(|connection| connection.opened_anew_by(&segment))
            && let Some(connection) = self.remove(&key)
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
            if !segment.syn && self.closed.repeats(key, &segment) {
                let reason = "data sent again on a connection already closed";
                sink(Event::Skipped(Skipped::Packet { packet: segment.packet, reason }));
                return;
            }
            if self.open.len() >= MAX_OPEN_CONNECTIONS {
                return self.refuse(&segment, sink);
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
        let (held, early) = (connection.held_bytes(), connection.conversation.early_bytes());
        let room = Room {
            held: MAX_HELD_BYTES_OVERALL.saturating_sub(self.held - held),
            early: MAX_EARLY_BYTES_OVERALL.saturating_sub(self.early - early),
        };
        let done = connection.segment(from, &segment, room, sink);
        self.held = self.held - held + connection.held_bytes();
        self.early = self.early - early + connection.conversation.early_bytes();
        if done && let Some(connection) = self.remove(&key) {
            self.closed.remember(key, &connection);
            connection.close("the connection closed first", sink);
        }
    }

    /// Takes a connection out, with what it held.
    fn remove(&mut self, key: &Key) -> Option<Connection> {
        let connection = self.open.remove(key)?;
        self.held -= connection.held_bytes();
        self.early -= connection.conversation.early_bytes();
        Some(connection)
    }

    /// A packet of a connection beyond `MAX_OPEN_CONNECTIONS`: not read, and counted. The first
    /// is reported at once, the count at the end.
    fn refuse(&mut self, segment: &Segment<'_>, sink: &mut dyn FnMut(Event)) {
        let refused = self.refused.get_or_insert_with(|| {
            let stream = Arc::new(TcpStream::new(self.streams, segment.source, segment.destination));
            self.streams += 1;
            let origin = Origin::Tcp { stream, packet: segment.packet };
            let message = format!(
                "{MAX_OPEN_CONNECTIONS} TCP connections are open at once, the most followed: the packets of this \
                 connection, and of any other that starts while that many are open, are not read (their count is \
                 given at the end of the capture)"
            );
            let what = TransportEvent::problem(Severity::Error, Code::TcpConnectionLimit, message);
            sink(Event::Transport(Transport {
                origin: origin.clone(),
                time: Some(segment.time),
                direction: None,
                what,
            }));
            Refused { origin, time: segment.time, packets: 0, bytes: 0 }
        });
        refused.packets += 1;
        refused.bytes += segment.payload.len() as u64;
        let reason = "on a connection beyond the limit of open connections followed: not read";
        sink(Event::Skipped(Skipped::Packet { packet: segment.packet, reason }));
    }

    /// Ends every connection still open at the end of the capture; `cut` when the file ends
    /// inside a packet.
    pub fn finish(&mut self, cut: Option<u64>, sink: &mut dyn FnMut(Event)) {
        if let Some(packet) = cut {
            let reason = "cut off: the capture file ends inside this packet";
            sink(Event::Skipped(Skipped::Packet { packet: packet + 1, reason }));
        }
        let mut open: Vec<Connection> = self.open.drain().map(|(_, c)| c).collect();
        (self.held, self.early) = (0, 0);
        open.sort_by_key(|c| c.stream.number);
        for connection in open {
            connection.close("the capture ends first", sink);
        }
        if let Some(Refused { origin, time, packets, bytes }) = self.refused.take() {
            let message = format!(
                "{packets} packets, with {bytes} bytes of data, came on connections beyond the {MAX_OPEN_CONNECTIONS} \
                 open at once that are followed, and were not read"
            );
            let what = TransportEvent::problem(Severity::Info, Code::TcpConnectionLimit, message);
            sink(Event::Transport(Transport { origin, time: Some(time), direction: None, what }));
        }
    }
}

impl Connection {
    /// Takes one segment; true when the connection is over.
    fn segment(&mut self, from: Peer, segment: &Segment<'_>, room: Room, sink: &mut dyn FnMut(Event)) -> bool {
        let origin = Origin::Tcp { stream: self.stream.clone(), packet: segment.packet };
        let side = &mut self.sides[from as usize];
        if segment.rst && side.start.is_none() {
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
        if segment.rst {
            if offset.abs_diff(next) <= RESET_WINDOW {
                return true;
            }
            let message = format!(
                "a reset from the {} at byte {offset}, {} bytes from the next byte expected ({next}), is outside any \
                 window its peer could accept: it is ignored, and the connection read on",
                from.name(),
                offset.abs_diff(next)
            );
            let what = TransportEvent::problem(Severity::Warning, Code::TcpResetOutOfWindow, message);
            let direction = Some(from.direction());
            sink(Event::Transport(Transport { origin, time: Some(segment.time), direction, what }));
            return false;
        }
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
                self.deliver(from, fresh, room.early, &origin, segment.time, sink);
                self.drain_held(from, room.early, &origin, segment.time, sink);
            } else {
                let side = &mut self.sides[from as usize];
                side.hold(offset, segment.payload);
                if side.held_bytes > MAX_HELD_BYTES {
                    self.lose(from, &origin, segment.time, "more than 4 MiB arrived after it", sink);
                } else if self.held_bytes() > room.held {
                    let why = "the 64 MiB held ahead of holes over all connections were reached";
                    self.lose(from, &origin, segment.time, why, sink);
                }
            }
        }
        let finished = |side: &Side| side.fin.is_some_and(|fin| side.start.is_some_and(|(_, next)| next >= fin));
        self.sides.iter().all(finished)
    }

    /// The bytes held ahead of holes, on both sides.
    fn held_bytes(&self) -> usize {
        self.sides.iter().map(|side| side.held_bytes).sum()
    }

    /// Passes bytes in order to the websocket reader (which may hold `early` more bytes while
    /// the upgrade is awaited), and moves the next expected offset on.
    fn deliver(
        &mut self,
        from: Peer,
        bytes: &[u8],
        early: usize,
        origin: &Origin,
        time: f64,
        sink: &mut dyn FnMut(Event),
    ) {
        if let Some((_, next)) = &mut self.sides[from as usize].start {
            *next += bytes.len() as u64;
        }
        self.conversation.bytes(from, bytes, early, origin, time, sink);
    }

    /// Delivers the held segments that the bytes so far have reached.
    fn drain_held(&mut self, from: Peer, early: usize, origin: &Origin, time: f64, sink: &mut dyn FnMut(Event)) {
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
            self.deliver(from, &bytes[(next - offset) as usize..], early, origin, time, sink);
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
        let what = TransportEvent::problem(Severity::Error, Code::TcpSegmentMissing, message);
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

impl Closed {
    /// Remembers where a closed connection's sides ended, forgetting the oldest beyond
    /// `RECENTLY_CLOSED`.
    fn remember(&mut self, key: Key, connection: &Connection) {
        let ends = connection
            .sides
            .each_ref()
            .map(|side| side.start.map(|(start, next)| (start, start.wrapping_add(next as u32))));
        if self.ends.insert(key, (connection.stream.client, ends)).is_none() {
            self.order.push_back(key);
        }
        if self.order.len() > RECENTLY_CLOSED
            && let Some(oldest) = self.order.pop_front()
        {
            self.ends.remove(&oldest);
        }
    }

    /// True when the segment carries bytes that a recently closed connection on its ports had
    /// already sent, within the last `REPEAT_REACH` of them: a late retransmission.
    fn repeats(&self, key: Key, segment: &Segment<'_>) -> bool {
        let Some((client, ends)) = self.ends.get(&key) else { return false };
        let from = if segment.source == *client { Peer::Client } else { Peer::Server };
        ends[from as usize].is_some_and(|(start, end)| {
            let back = end.wrapping_sub(segment.sequence);
            back <= end.wrapping_sub(start).min(REPEAT_REACH) && back as usize >= segment.payload.len()
        })
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

/// The key of a connection: its two endpoints in a fixed order.
fn ordered(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}
