//! `to-pcap IN.jsonl OUT.pcap [json|msgpack]`: writes the messages of a HAR-style JSON Lines
//! capture as a packet capture of real websocket connections (one per `conn`, each opened by
//! a TCP handshake and an HTTP upgrade, client frames masked), one frame per message, so that
//! `zenith check` can be timed on the same messages in both forms.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter};

use capture_bench::{Connection, PcapOut, fail, to_msgpack};
use serde_json::Value;

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
    let mut pcap = PcapOut::new(BufWriter::with_capacity(1 << 20, output_file));
    let mut connections: HashMap<String, Connection> = HashMap::new();
    let protocol = if msgpack { "ZenithMsgPack" } else { "ZenithJson" };
    for line in reader.lines() {
        // A line that cannot be read (not UTF-8) carries no message to write.
        let Ok(line) = line else { continue };
        let Ok(Value::Object(item)) = serde_json::from_str::<Value>(&line) else { continue };
        let conn = item.get("conn").map(Value::to_string).unwrap_or_default();
        let client = item.get("type").and_then(Value::as_str) == Some("send");
        let Some(Value::String(data)) = item.get("data") else { continue };
        let port = 40000 + connections.len() as u16;
        let connection = connections.entry(conn).or_insert_with(|| pcap.upgrade(port, protocol));
        let (opcode, payload) = match (msgpack, serde_json::from_str::<Value>(data)) {
            (true, Ok(value)) => {
                let mut bytes = Vec::new();
                // Writing into a Vec cannot fail.
                let _ = rmpv::encode::write_value(&mut bytes, &to_msgpack(&value));
                (2, bytes)
            }
            _ => (1, data.as_bytes().to_vec()),
        };
        pcap.frame(connection, client, opcode, &payload);
    }
}
