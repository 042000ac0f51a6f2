//! What the benchmark tools share: a JSON value as the MessagePack a ZenithMsgPack connection
//! would send, websocket connections written as a packet capture, and one way to stop on a bad
//! input.

use std::io::Write;
use std::time::Duration;

use etherparse::{PacketBuilder, TcpHeader};
use pcap_file::pcap::{PcapPacket, PcapWriter};
use serde_json::Value;

/// Largest TCP payload per packet, as on a loopback interface.
const SEGMENT: usize = 65_000;
/// The server's port on every connection written.
const SERVER_PORT: u16 = 18093;

/// Stops the tool with `message` (a file that cannot be read or written, say) and exit code 2.
pub fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}

/// The MessagePack form of a JSON value: integers as integers, other numbers as doubles.
pub fn to_msgpack(value: &Value) -> rmpv::Value {
    match value {
        Value::Null => rmpv::Value::Nil,
        Value::Bool(b) => rmpv::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => rmpv::Value::from(i),
            (None, Some(u)) => rmpv::Value::from(u),
            _ => rmpv::Value::F64(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => rmpv::Value::from(s.as_str()),
        Value::Array(items) => rmpv::Value::Array(items.iter().map(to_msgpack).collect()),
        Value::Object(map) => {
            rmpv::Value::Map(map.iter().map(|(k, v)| (rmpv::Value::from(k.as_str()), to_msgpack(v))).collect())
        }
    }
}

/// A packet capture being written: TCP connections on loopback, 50 µs between packets.
pub struct PcapOut<W: Write> {
    writer: PcapWriter<W>,
    time: u64,
}

/// One TCP connection of a capture: its client port and each side's next sequence number.
pub struct Connection {
    port: u16,
    next: [u32; 2],
}

impl<W: Write> PcapOut<W> {
    pub fn new(out: W) -> PcapOut<W> {
        let writer = PcapWriter::new(out).unwrap_or_else(|e| fail(format!("writing the capture: {e}")));
        PcapOut { writer, time: 1_795_867_200_000_000 }
    }

    /// Opens a connection from client port `port` with the TCP handshake.
    pub fn open(&mut self, port: u16) -> Connection {
        let mut connection = Connection { port, next: [1000, 9_000_000] };
        self.send(&mut connection, true, (true, false), &[]);
        self.send(&mut connection, false, (true, false), &[]);
        connection
    }

    /// Opens a connection and upgrades it to a websocket with `protocol` as its subprotocol.
    pub fn upgrade(&mut self, port: u16, protocol: &str) -> Connection {
        let mut connection = self.open(port);
        self.data(&mut connection, true, &upgrade_request(protocol));
        self.data(&mut connection, false, &upgrade_reply(protocol));
        connection
    }

    /// Bytes from the client (`client`) or the server, cut into segments.
    pub fn data(&mut self, connection: &mut Connection, client: bool, payload: &[u8]) {
        self.send(connection, client, (false, false), payload);
    }

    /// One websocket frame, masked when the client sends it.
    pub fn frame(&mut self, connection: &mut Connection, client: bool, opcode: u8, payload: &[u8]) {
        self.data(connection, client, &frame(client, opcode, payload));
    }

    /// Segments carrying `payload` (one empty segment when it is empty), with the SYN and FIN
    /// flags given.
    fn send(&mut self, connection: &mut Connection, client: bool, (syn, fin): (bool, bool), payload: &[u8]) {
        for chunk in payload.chunks(SEGMENT).chain(payload.is_empty().then_some(&[][..])) {
            let side = usize::from(!client);
            let (from, to) = if client { (connection.port, SERVER_PORT) } else { (SERVER_PORT, connection.port) };
            let mut header = TcpHeader::new(from, to, connection.next[side], 65535);
            (header.syn, header.ack) = (syn, !(syn && client));
            header.psh = !chunk.is_empty();
            header.fin = fin;
            let mut packet = Vec::with_capacity(chunk.len() + 64);
            PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
                .tcp_header(header)
                .write(&mut packet, chunk)
                .unwrap_or_else(|e| fail(format!("a packet of {} bytes: {e}", chunk.len())));
            connection.next[side] = connection.next[side].wrapping_add(chunk.len() as u32 + u32::from(syn));
            self.time += 50;
            let stamp = Duration::from_micros(self.time);
            self.writer
                .write_packet(&PcapPacket::new(stamp, packet.len() as u32, &packet))
                .unwrap_or_else(|e| fail(format!("writing the capture: {e}")));
        }
    }
}

/// The client's upgrade request, offering `protocol`.
pub fn upgrade_request(protocol: &str) -> Vec<u8> {
    format!(
        "GET /Zenith?version=2.0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
    )
    .into_bytes()
}

/// The server's reply accepting the upgrade (to the key of [`PcapOut::upgrade`]'s request).
pub fn upgrade_reply(protocol: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
    )
    .into_bytes()
}

/// A whole websocket frame (FIN set) carrying `payload`, masked when the client sends it.
pub fn frame(client: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    test_kit::frame(client, opcode, true, false, payload)
}

/// A frame header (FIN set) declaring `length` payload bytes, with the masking key when the
/// client sends it.
pub fn frame_header(client: bool, opcode: u8, length: u64) -> Vec<u8> {
    test_kit::frame_header(client, opcode, true, false, length)
}
