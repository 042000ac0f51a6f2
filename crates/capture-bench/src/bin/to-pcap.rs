//! `to-pcap IN.jsonl OUT.pcap [json|msgpack]`: writes the messages of a HAR-style JSON Lines
//! capture as a packet capture of real websocket connections (one per `conn`, each opened by
//! a TCP handshake and an HTTP upgrade, client frames masked), one frame per message, so that
//! `zenith check` can be timed on the same messages in both forms.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter};
use std::time::Duration;

use capture_bench::{fail, to_msgpack};
use etherparse::{PacketBuilder, TcpHeader};
use pcap_file::pcap::{PcapPacket, PcapWriter};
use serde_json::Value;

/// Largest TCP payload per packet, as on a loopback interface.
const SEGMENT: usize = 65_000;

struct Connection {
    port: u16,
    next: [u32; 2],
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(input), Some(output)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: to-pcap IN.jsonl OUT.pcap [json|msgpack]");
        std::process::exit(2);
    };
    let msgpack = args.get(3).map(String::as_str) == Some("msgpack");
    let input_file = std::fs::File::open(input).unwrap_or_else(|e| fail(format!("cannot open {input}: {e}")));
    let reader = BufReader::with_capacity(1 << 16, input_file);
    let output_file = std::fs::File::create(output).unwrap_or_else(|e| fail(format!("cannot create {output}: {e}")));
    let file = BufWriter::with_capacity(1 << 20, output_file);
    let written = |e: pcap_file::PcapError| -> ! { fail(format!("writing {output}: {e}")) };
    let mut writer = PcapWriter::new(file).unwrap_or_else(|e| written(e));
    let mut connections: HashMap<String, Connection> = HashMap::new();
    let mut time = 1_795_867_200_000_000u64;
    let mut write =
        |writer: &mut PcapWriter<_>, connection: &mut Connection, client: bool, flags: (bool, bool), payload: &[u8]| {
            for chunk in payload.chunks(SEGMENT).chain(payload.is_empty().then_some(&[][..])) {
                let side = usize::from(!client);
                let (from, to) = if client { (connection.port, 18093) } else { (18093, connection.port) };
                let mut header = TcpHeader::new(from, to, connection.next[side], 65535);
                (header.syn, header.ack) = (flags.0, !(flags.0 && client));
                header.psh = !chunk.is_empty();
                header.fin = flags.1;
                let mut packet = Vec::with_capacity(chunk.len() + 64);
                PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                    .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
                    .tcp_header(header)
                    .write(&mut packet, chunk)
                    .unwrap_or_else(|e| fail(format!("a packet of {} bytes: {e}", chunk.len())));
                connection.next[side] = connection.next[side].wrapping_add(chunk.len() as u32 + u32::from(flags.0));
                time += 50;
                let stamp = Duration::from_micros(time);
                writer
                    .write_packet(&PcapPacket::new(stamp, packet.len() as u32, &packet))
                    .unwrap_or_else(|e| written(e));
            }
        };
    let protocol = if msgpack { "ZenithMsgPack" } else { "ZenithJson" };
    for line in reader.lines() {
        // A line that cannot be read (not UTF-8) carries no message to write.
        let Ok(line) = line else { continue };
        let Ok(Value::Object(item)) = serde_json::from_str::<Value>(&line) else { continue };
        let conn = item.get("conn").map(Value::to_string).unwrap_or_default();
        let client = item.get("type").and_then(Value::as_str) == Some("send");
        let Some(Value::String(data)) = item.get("data") else { continue };
        let count = connections.len() as u16;
        let connection = connections.entry(conn).or_insert_with(|| {
            let mut connection = Connection { port: 40000 + count, next: [1000, 9_000_000] };
            write(&mut writer, &mut connection, true, (true, false), &[]);
            write(&mut writer, &mut connection, false, (true, false), &[]);
            let request = format!(
                "GET /Zenith?version=2.0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
            );
            write(&mut writer, &mut connection, true, (false, false), request.as_bytes());
            let reply = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
            );
            write(&mut writer, &mut connection, false, (false, false), reply.as_bytes());
            connection
        });
        let (opcode, payload) = match (msgpack, serde_json::from_str::<Value>(data)) {
            (true, Ok(value)) => {
                let mut bytes = Vec::new();
                // Writing into a Vec cannot fail.
                let _ = rmpv::encode::write_value(&mut bytes, &to_msgpack(&value));
                (2, bytes)
            }
            _ => (1, data.as_bytes().to_vec()),
        };
        write(&mut writer, connection, client, (false, false), &frame(client, opcode, &payload));
    }
}

fn frame(client: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    let mask = if client { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask | n as u8),
        n if n <= 0xffff => {
            out.push(mask | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if client {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(n, b)| b ^ key[n % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}
