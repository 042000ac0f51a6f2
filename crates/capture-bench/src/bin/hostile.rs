//! `hostile DIR`: writes the hostile captures whose peak memory `docs/check.md` reports (see
//! "Memory bounds"): each is small to write and was once costly to read.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use capture_bench::{PcapOut, fail, frame_header, upgrade_reply, upgrade_request};
use flate2::{Compress, Compression, FlushCompress};
use serde_json::json;

/// A capture's file name, and what writes it.
type Case = (&'static str, fn(&mut dyn Write));

/// A byte count written in the captures' descriptions.
const MB: usize = 1_000_000;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: hostile DIR");
        std::process::exit(2);
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap_or_else(|e| fail(format!("cannot create {}: {e}", dir.display())));
    let cases: &[Case] = &[
        ("before-upgrade-client.pcap", before_upgrade_client),
        ("before-upgrade-server.pcap", before_upgrade_server),
        ("declared-frames.pcap", declared_frames),
        ("msgpack-extensions-200.pcap", |out| msgpack_extensions(out, 200)),
        ("msgpack-extensions-1000.pcap", |out| msgpack_extensions(out, 1000)),
        ("invalid-items.jsonl", invalid_items),
        ("empty-objects.jsonl", empty_objects),
        ("array-of-objects.json", |out| array(out, "{}")),
        ("array-of-numbers.json", |out| array(out, "0")),
        ("big-body.har", big_body),
        ("late-log.har", late_log),
        ("deep-item.har", deep_item),
        ("numbers-30mb.jsonl", numbers_30mb),
        ("deflate-bomb.pcap", deflate_bomb),
        ("many-connections.pcap", many_connections),
        ("early-data-40.pcap", early_data_40),
        ("many-headers.har", many_headers),
    ];
    for (name, write) in cases {
        let path = dir.join(name);
        let file = File::create(&path).unwrap_or_else(|e| fail(format!("cannot create {}: {e}", path.display())));
        let mut out = BufWriter::with_capacity(1 << 20, file);
        write(&mut out);
        out.flush().unwrap_or_else(|e| fail(format!("writing {}: {e}", path.display())));
        println!("{}", path.display());
    }
}

/// The client's 100 MB after its upgrade request, before the server's 101; then one message.
fn before_upgrade_client(out: &mut dyn Write) {
    let mut pcap = PcapOut::new(out);
    let mut connection = pcap.open(40000);
    pcap.data(&mut connection, true, &upgrade_request("ZenithJson"));
    let chunk = vec![b'x'; MB];
    for _ in 0..100 {
        pcap.data(&mut connection, true, &chunk);
    }
    pcap.data(&mut connection, false, &upgrade_reply("ZenithJson"));
    pcap.frame(&mut connection, false, 1, br#"{"Controller":"Zenith","Topic":"Ping"}"#);
}

/// The server's 101 and 100 MB of frames before the client's upgrade request is whole.
fn before_upgrade_server(out: &mut dyn Write) {
    let mut pcap = PcapOut::new(out);
    let mut connection = pcap.open(40000);
    pcap.data(&mut connection, true, b"GET /Zenith?version=2.0 HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    pcap.data(&mut connection, false, &upgrade_reply("ZenithJson"));
    let padding = " ".repeat(MB - 100);
    let message = format!(r#"{{"Controller":"Zenith","Topic":"Ping"{padding}}}"#);
    for _ in 0..100 {
        pcap.frame(&mut connection, false, 1, message.as_bytes());
    }
    pcap.data(
        &mut connection,
        true,
        b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
}

/// 2,000 connections, each with a frame from either side declaring 1 MiB and carrying 100 bytes.
fn declared_frames(out: &mut dyn Write) {
    let mut pcap = PcapOut::new(out);
    for n in 0..2000 {
        let mut connection = pcap.upgrade(10000 + n, "ZenithJson");
        for client in [true, false] {
            let mut bytes = frame_header(client, 1, 1 << 20);
            bytes.extend_from_slice(&[b' '; 100]);
            pcap.data(&mut connection, client, &bytes);
        }
    }
}

/// One ZenithMsgPack message: `count` extension values under a 1 MB key.
fn msgpack_extensions(out: &mut dyn Write, count: usize) {
    let mut pcap = PcapOut::new(out);
    let mut connection = pcap.upgrade(40000, "ZenithMsgPack");
    let extensions = (0..count).map(|n| rmpv::Value::Ext(5, vec![n as u8; 8])).collect();
    let key = rmpv::Value::from("k".repeat(MB));
    let message = rmpv::Value::Map(vec![
        (rmpv::Value::from("Controller"), rmpv::Value::from("Market")),
        (key, rmpv::Value::Array(extensions)),
    ]);
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut bytes, &message);
    pcap.frame(&mut connection, false, 2, &bytes);
}

/// One message of 1 MB whose 500,000 trade records are each invalid.
fn invalid_items(out: &mut dyn Write) {
    let items = vec!["0"; 500_000].join(",");
    let message = format!(r#"{{"Controller":"Market","Topic":"Trades!BHP.ASX","Action":"Publish","Data":[{items}]}}"#);
    write(out, &json!({"type": "receive", "time": 1.0, "opcode": 1, "data": message}).to_string());
    write(out, "\n");
}

/// One line of 30 MB: a message of 15,000,000 numbers.
fn numbers_30mb(out: &mut dyn Write) {
    write(out, r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Publish","Data":[1"#);
    for _ in 1..15_000_000 {
        write(out, ",1");
    }
    write(out, "]}\n");
}

/// A message of 60 MB (30,000,000 numbers) compressed with permessage-deflate: about 60 KB.
fn deflate_bomb(out: &mut dyn Write) {
    let mut pcap = PcapOut::new(out);
    let mut connection = pcap.open(40000);
    pcap.data(&mut connection, true, &upgrade_request("ZenithJson"));
    let reply = String::from_utf8_lossy(&upgrade_reply("ZenithJson"))
        .replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
    pcap.data(&mut connection, false, reply.as_bytes());
    let mut message = br#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Publish","Data":[1"#.to_vec();
    message.extend(",1".repeat(30_000_000).as_bytes());
    message.extend(b"]}");
    let mut compress = Compress::new(Compression::best(), false);
    let mut compressed = Vec::with_capacity(message.len() / 100);
    while compress.total_in() < message.len() as u64 {
        compressed.reserve(1 << 16);
        let at = compress.total_in() as usize;
        compress
            .compress_vec(&message[at..], &mut compressed, FlushCompress::Sync)
            .unwrap_or_else(|e| fail(format!("deflating: {e}")));
    }
    compressed.reserve(1 << 16);
    let _ = compress.compress_vec(&[], &mut compressed, FlushCompress::Sync);
    // The sender leaves off the sync flush's tail.
    compressed.truncate(compressed.len() - 4);
    let mut frame = frame_header(false, 1, compressed.len() as u64);
    frame[0] |= 0x40;
    frame.extend_from_slice(&compressed);
    pcap.data(&mut connection, false, &frame);
}

/// 10,100 connections open at once, each with one message.
fn many_connections(out: &mut dyn Write) {
    let mut pcap = PcapOut::new(out);
    let mut connections: Vec<_> = (0..10_100).map(|n| pcap.upgrade(n as u16 + 1024, "ZenithJson")).collect();
    for connection in &mut connections {
        pcap.frame(connection, false, 1, br#"{"Controller":"Zenith","Topic":"Ping"}"#);
    }
}

/// 40 connections, each sending 4 MiB of frames before the server's 101 arrives.
fn early_data_40(out: &mut dyn Write) {
    let mut pcap = PcapOut::new(out);
    let padding = " ".repeat((1 << 20) - 100);
    let message = format!(r#"{{"Controller":"Zenith","Topic":"Ping"{padding}}}"#);
    let mut connections: Vec<_> = (0..40).map(|n| pcap.open(30000 + n)).collect();
    for connection in &mut connections {
        pcap.data(connection, true, &upgrade_request("ZenithJson"));
        for _ in 0..4 {
            pcap.frame(connection, true, 1, message.as_bytes());
        }
    }
    for connection in &mut connections {
        pcap.data(connection, false, &upgrade_reply("ZenithJson"));
    }
}

/// A HAR whose one ordinary request has 1,000,000 headers, then a websocket with one message.
fn many_headers(out: &mut dyn Write) {
    write(out, r#"{"log":{"entries":[{"request":{"method":"GET","url":"http://127.0.0.1/","headers":["#);
    for n in 0..1_000_000 {
        let comma = if n == 0 { "" } else { "," };
        write(out, &format!(r#"{comma}{{"name":"X-Header-{n}","value":"v{n}"}}"#));
    }
    write(out, r#"]},"response":{"status":200,"headers":[]}},{"_resourceType":"websocket","_webSocketMessages":["#);
    write(out, ITEM);
    write(out, "]}]}}\n");
}

/// 1,000,000 lines of `{}`.
fn empty_objects(out: &mut dyn Write) {
    for _ in 0..1_000_000 {
        write(out, "{}\n");
    }
}

/// One JSON document: an array of 5,000,000 messages, each `item`.
fn array(out: &mut dyn Write, item: &str) {
    write(out, "[");
    for n in 0..5_000_000 {
        if n > 0 {
            write(out, ",");
        }
        write(out, item);
    }
    write(out, "]\n");
}

/// A HAR: an ordinary request whose response body is 100 MB, then a websocket with one message.
fn big_body(out: &mut dyn Write) {
    write(
        out,
        r#"{"log":{"version":"1.2","creator":{"name":"hostile","version":"1"},"entries":[{"request":{"method":"GET","url":"http://127.0.0.1/big","headers":[]},"response":{"status":200,"headers":[],"content":{"size":100000000,"mimeType":"text/plain","text":""#,
    );
    let chunk = "x".repeat(MB);
    for _ in 0..100 {
        write(out, &chunk);
    }
    write(out, r#""}}},{"_resourceType":"websocket","_webSocketMessages":["#);
    write(out, ITEM);
    write(out, "]}]}}\n");
}

/// A websocket message item of a HAR.
const ITEM: &str = r#"{"type":"send","time":1.0,"opcode":1,"data":"{\"Controller\":\"Zenith\",\"Topic\":\"Ping\"}"}"#;

/// A compact HAR whose `log` comes after a 70 KB field.
fn late_log(out: &mut dyn Write) {
    let comment = "c".repeat(70_000);
    write(
        out,
        &format!(
            r#"{{"comment":"{comment}","log":{{"entries":[{{"_resourceType":"websocket","_webSocketMessages":[{ITEM}]}}]}}}}"#
        ),
    );
}

/// A HAR whose one message item nests 125 levels.
fn deep_item(out: &mut dyn Write) {
    let item = format!(r#"{},"extra":{}{}}}"#, &ITEM[..ITEM.len() - 1], "[".repeat(124), "]".repeat(124));
    write(out, &format!(r#"{{"log":{{"entries":[{{"_resourceType":"websocket","_webSocketMessages":[{item}]}}]}}}}"#));
    write(out, "\n");
}

fn write(out: &mut dyn Write, text: &str) {
    out.write_all(text.as_bytes()).unwrap_or_else(|e| fail(format!("writing: {e}")));
}
