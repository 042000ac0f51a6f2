//! Writes packet captures of websocket connections for the tests: TCP segments in any order,
//! repeated or left out, carrying frames masked, fragmented or compressed as asked.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddrV4};
use std::ops::Range;
use std::time::Duration;

use etherparse::{PacketBuilder, TcpHeader};
use flate2::{Compress, Compression, FlushCompress};
use pcap_file::pcap::{PcapPacket, PcapWriter};
use zenith_capture::{Body, Event, Format, Limits, TransportEvent};

/// A capture being written.
#[derive(Default)]
pub struct Capture {
    packets: Vec<Vec<u8>>,
}

/// Which side sends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// One TCP connection: its endpoints and each side's next sequence number.
pub struct Connection {
    pub client: SocketAddrV4,
    pub server: SocketAddrV4,
    next: [u32; 2],
    compressors: [Option<Compress>; 2],
    /// Whether each side keeps its compression context between messages.
    takeover: [bool; 2],
}

impl Capture {
    /// The pcap file.
    pub fn bytes(&self) -> Vec<u8> {
        let mut writer = PcapWriter::new(Vec::new()).unwrap();
        for (n, packet) in self.packets.iter().enumerate() {
            let time = Duration::from_millis(1_700_000_000_000 + n as u64);
            writer.write_packet(&PcapPacket::new(time, packet.len() as u32, packet)).unwrap();
        }
        writer.into_writer()
    }

    pub fn events(&self) -> Vec<Event> {
        read(&self.bytes(), Limits::default())
    }

    pub fn push(&mut self, packet: Vec<u8>) {
        self.packets.push(packet);
    }

    pub fn packets(&mut self, packets: Vec<Vec<u8>>) {
        self.packets.extend(packets);
    }
}

/// Every event of a capture; panics if the capture cannot be read.
pub fn read(bytes: &[u8], limits: Limits) -> Vec<Event> {
    test_kit::Check::new().format(Format::Pcap).limits(limits).read_events(bytes)
}

/// The messages of the events, in order: (connection, text or a description of the body).
pub fn messages(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Frame(frame) => {
                let body = match &frame.body {
                    Body::Text(text) => text.clone(),
                    Body::Binary(binary) => format!("binary {:?} {}", binary.encoding, binary.bytes.len()),
                    Body::Unreadable(reason) => format!("unreadable: {reason}"),
                    Body::CaptureError(text) => format!("capture error: {text}"),
                };
                Some((frame.origin.connection().into_owned(), body))
            }
            _ => None,
        })
        .collect()
}

/// The problems among the events: (code, message).
pub fn problems(events: &[Event]) -> Vec<(&'static str, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Transport(t) => match &t.what {
                TransportEvent::Problem { code, message, .. } => Some((code.as_str(), message.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The bodies of the messages, in order.
pub fn texts(events: &[Event]) -> Vec<String> {
    messages(events).into_iter().map(|(_, text)| text).collect()
}

impl Connection {
    pub fn new(client_port: u16, server_port: u16) -> Connection {
        Connection {
            client: SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), client_port),
            server: SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), server_port),
            next: [1000, 5_000_000],
            compressors: [None, None],
            takeover: [true, true],
        }
    }

    /// The same, with each side's first sequence number given (a later connection on the same
    /// ports starts elsewhere).
    pub fn starting_at(mut self, client: u32, server: u32) -> Connection {
        self.next = [client, server];
        self
    }

    /// A segment from `side` at sequence number `sequence`, with the given flags.
    pub fn packet(&self, side: Side, sequence: u32, payload: &[u8], syn: bool, fin: bool) -> Vec<u8> {
        let (from, to) = match side {
            Side::Client => (self.client, self.server),
            Side::Server => (self.server, self.client),
        };
        let mut header = TcpHeader::new(from.port(), to.port(), sequence, 65535);
        header.syn = syn;
        header.fin = fin;
        header.ack = !(syn && side == Side::Client);
        header.psh = !payload.is_empty();
        let mut out = Vec::new();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(from.ip().octets(), to.ip().octets(), 64)
            .tcp_header(header)
            .write(&mut out, payload)
            .unwrap();
        out
    }

    /// A reset from `side`, `ahead` bytes past its next sequence number.
    pub fn reset(&self, side: Side, ahead: u32) -> Vec<u8> {
        let mut packet = self.packet(side, self.next[side as usize].wrapping_add(ahead), &[], false, false);
        // The TCP flags byte, after the Ethernet (14) and IPv4 (20) headers: RST and ACK.
        packet[14 + 20 + 13] = 0x14;
        // The TCP checksum is not checked by the reader; the packet is otherwise as sent.
        packet
    }

    /// The next sequence number of `side`.
    pub fn next(&self, side: Side) -> u32 {
        self.next[side as usize]
    }

    /// The next segment from `side`, moving its sequence number on.
    pub fn send(&mut self, side: Side, payload: &[u8]) -> Vec<u8> {
        let sequence = self.next[side as usize];
        self.next[side as usize] = sequence.wrapping_add(payload.len() as u32);
        self.packet(side, sequence, payload, false, false)
    }

    /// Segments of `payload` from `side`, one for each range of it given, in that order (ranges
    /// may repeat or overlap); the side's sequence number moves past the whole payload.
    pub fn send_pieces(&mut self, side: Side, payload: &[u8], pieces: &[Range<usize>]) -> Vec<Vec<u8>> {
        let base = self.next[side as usize];
        self.next[side as usize] = base.wrapping_add(payload.len() as u32);
        pieces
            .iter()
            .map(|piece| {
                self.packet(side, base.wrapping_add(piece.start as u32), &payload[piece.clone()], false, false)
            })
            .collect()
    }

    /// The SYN, SYN-ACK and ACK.
    pub fn open(&mut self, capture: &mut Capture) {
        for side in [Side::Client, Side::Server] {
            let sequence = self.next[side as usize];
            capture.push(self.packet(side, sequence, &[], true, false));
            self.next[side as usize] = sequence.wrapping_add(1);
        }
        capture.push(self.send(Side::Client, &[]));
    }

    /// The TCP handshake and the websocket upgrade, offering `protocol` and, if `deflate` is
    /// given, permessage-deflate with those parameters.
    pub fn upgrade(&mut self, capture: &mut Capture, protocol: Option<&str>, deflate: Option<&str>) {
        self.open(capture);
        let (request, reply) = self.heads(protocol, deflate);
        capture.push(self.send(Side::Client, &request));
        capture.push(self.send(Side::Server, &reply));
    }

    /// The upgrade's request and reply heads, offering `protocol` and, if `deflate` is given,
    /// permessage-deflate with those parameters (which the messages after it then use).
    pub fn heads(&mut self, protocol: Option<&str>, deflate: Option<&str>) -> (Vec<u8>, Vec<u8>) {
        let mut request = "GET /Zenith?version=2.0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
                           Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                           Sec-WebSocket-Version: 13\r\n"
            .to_owned();
        let mut reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            .to_owned();
        if let Some(protocol) = protocol {
            request.push_str(&format!("Sec-WebSocket-Protocol: {protocol}\r\n"));
            reply.push_str(&format!("Sec-WebSocket-Protocol: {protocol}\r\n"));
        }
        if let Some(parameters) = deflate {
            request.push_str("Sec-WebSocket-Extensions: permessage-deflate\r\n");
            reply.push_str(&format!("Sec-WebSocket-Extensions: permessage-deflate{parameters}\r\n"));
            self.takeover = [
                !parameters.contains("client_no_context_takeover"),
                !parameters.contains("server_no_context_takeover"),
            ];
            self.compressors = [
                Some(Compress::new(Compression::default(), false)),
                Some(Compress::new(Compression::default(), false)),
            ];
        }
        request.push_str("\r\n");
        reply.push_str("\r\n");
        (request.into_bytes(), reply.into_bytes())
    }

    /// One message as a single frame, compressed when deflate was agreed.
    pub fn message(&mut self, side: Side, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let (payload, rsv1) = match &mut self.compressors[side as usize] {
            Some(compress) => {
                if !self.takeover[side as usize] {
                    compress.reset();
                }
                (deflate(compress, payload), true)
            }
            None => (payload.to_vec(), false),
        };
        frame(side, opcode, true, rsv1, &payload)
    }

    /// The FIN of both sides.
    pub fn close(&mut self, capture: &mut Capture) {
        for side in [Side::Client, Side::Server] {
            let sequence = self.next[side as usize];
            capture.push(self.packet(side, sequence, &[], false, true));
            self.next[side as usize] = sequence.wrapping_add(1);
        }
    }
}

/// A websocket frame; the client's are masked.
pub fn frame(side: Side, opcode: u8, fin: bool, rsv1: bool, payload: &[u8]) -> Vec<u8> {
    test_kit::frame(side == Side::Client, opcode, fin, rsv1, payload)
}

/// A message compressed as permessage-deflate sends it: a sync flush, without its last four
/// bytes.
fn deflate(compress: &mut Compress, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 64);
    let start = compress.total_in();
    loop {
        out.reserve(1024);
        let consumed = (compress.total_in() - start) as usize;
        compress.compress_vec(&payload[consumed..], &mut out, FlushCompress::Sync).unwrap();
        if (compress.total_in() - start) as usize == payload.len() && out.len() < out.capacity() {
            break;
        }
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}
