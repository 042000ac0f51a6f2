//! The proxy between hand-made websocket ends on plain TCP streams, so that no library frames
//! anything again: every byte each end sends must reach the other as it was sent, and the
//! proxy must read what it relays (inflated, defragmented) as a packet capture of it is read.

use std::net::SocketAddr;

use flate2::{Compress, Compression, FlushCompress, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use zenith_check::Level;

use crate::kit::*;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A websocket frame: `rsv1` marks a compressed message's first frame; client frames are masked.
fn frame(fin: bool, rsv1: bool, opcode: u8, payload: &[u8], client: bool) -> Vec<u8> {
    test_kit::frame(client, opcode, fin, rsv1, payload)
}

/// One side's permessage-deflate compressor, keeping its window between messages unless the
/// agreement says not to.
struct Deflater {
    compress: Compress,
    takeover: bool,
}

impl Deflater {
    fn new(takeover: bool) -> Deflater {
        Deflater { compress: Compress::new(Compression::default(), false), takeover }
    }

    /// A message's payload as RFC 7692 sends it: raw deflate, flushed, without the final
    /// empty block's `00 00 ff ff`.
    fn message(&mut self, data: &[u8]) -> Vec<u8> {
        if !self.takeover {
            self.compress.reset();
        }
        let mut out = Vec::with_capacity(data.len() + 64);
        let mut input = data;
        for _ in 0..1000 {
            let before = (self.compress.total_in(), self.compress.total_out());
            let status = self.compress.compress_vec(input, &mut out, FlushCompress::Sync).unwrap();
            input = &input[(self.compress.total_in() - before.0) as usize..];
            let flushed = input.is_empty() && out.len() < out.capacity();
            if flushed || status == Status::StreamEnd {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        assert!(out.ends_with(&[0, 0, 0xff, 0xff]), "a sync flush ends with an empty stored block");
        out.truncate(out.len() - 4);
        out
    }
}

/// The upgrade request a hand-made client sends, with `extra` headers.
fn request(host: &str, target: &str, extra: &str) -> String {
    format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// The reply agreeing to the upgrade, with `extra` headers.
fn agree(extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        derive_accept_key(KEY.as_bytes())
    )
}

/// Reads an HTTP head up to its blank line, byte by byte, so that nothing after it is taken.
async fn read_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let reading = async {
        while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
            let byte = stream.read_u8().await.expect("a head");
            head.push(byte);
        }
    };
    tokio::time::timeout(LIMIT, reading).await.expect("a head in time");
    head
}

/// Reads exactly `length` bytes.
async fn read_exact(stream: &mut TcpStream, length: usize) -> Vec<u8> {
    let mut bytes = vec![0; length];
    tokio::time::timeout(LIMIT, stream.read_exact(&mut bytes)).await.expect("in time").expect("read");
    bytes
}

/// Reads until the other end closes.
async fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    tokio::time::timeout(LIMIT, stream.read_to_end(&mut bytes)).await.expect("closed in time").expect("read");
    bytes
}

/// Writes `bytes` in small pieces of changing sizes, so that frames and heads are cut anywhere.
async fn write_in_pieces(stream: &mut TcpStream, bytes: &[u8], seed: usize) {
    let mut at = 0;
    let mut n = seed;
    while at < bytes.len() {
        let piece = (1 + n % 97).min(bytes.len() - at);
        stream.write_all(&bytes[at..at + piece]).await.unwrap();
        at += piece;
        n = n.wrapping_mul(31).wrapping_add(7);
    }
    stream.flush().await.unwrap();
}

/// How the server agrees to permessage-deflate.
#[derive(Clone, Copy)]
struct Agreement {
    client_no_context_takeover: bool,
    server_no_context_takeover: bool,
    /// Binary MessagePack messages (`ZenithMsgPack`) instead of JSON text.
    msgpack: bool,
}

impl Agreement {
    fn header(self) -> String {
        let mut header = "Sec-WebSocket-Extensions: permessage-deflate".to_owned();
        if self.client_no_context_takeover {
            header.push_str("; client_no_context_takeover");
        }
        if self.server_no_context_takeover {
            header.push_str("; server_no_context_takeover");
        }
        header + "\r\n"
    }

    fn subprotocol(self) -> &'static str {
        if self.msgpack { "ZenithMsgPack" } else { "ZenithJson" }
    }

    /// A sample message as this connection sends it, and its data opcode.
    fn encode(self, text: &str) -> (Vec<u8>, u8) {
        if !self.msgpack {
            return (text.as_bytes().to_vec(), 1);
        }
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &capture_bench::to_msgpack(&value)).unwrap();
        (bytes, 2)
    }
}

/// One message's frames (`opcode` 1 for text, 2 for binary): compressed whole, compressed in fragments with a control frame between
/// them, or plain, by turns; also the control frames among them.
fn message_frames(n: usize, (text, opcode): (&[u8], u8), client: bool, deflater: &mut Deflater) -> (Vec<u8>, u64) {
    match n % 4 {
        0 => (frame(true, true, opcode, &deflater.message(text), client), 0),
        1 => {
            let packed = deflater.message(text);
            let (a, rest) = packed.split_at(packed.len() / 3);
            let (b, c) = rest.split_at(rest.len() / 2);
            let mut out = frame(false, true, opcode, a, client);
            out.extend(frame(false, false, 0, b, client));
            out.extend(frame(true, false, 9, b"between fragments", client));
            out.extend(frame(true, false, 0, c, client));
            (out, 1)
        }
        2 => (frame(true, false, opcode, text, client), 0),
        _ => {
            let packed = deflater.message(text);
            let (a, b) = packed.split_at(packed.len() / 2);
            let mut out = frame(false, true, opcode, a, client);
            out.extend(frame(true, false, 10, b"", client));
            out.extend(frame(true, false, 0, b, client));
            (out, 1)
        }
    }
}

/// The sample session between hand-made ends through the proxy, deflated as `agreement` says:
/// each end receives exactly the bytes the other sent, and the proxy's findings equal those of
/// `zenith check` on a packet capture of the same bytes.
async fn deflated_session(agreement: Agreement) {
    let (listener, url) = upstream().await;
    let upstream_address = listener.local_addr().unwrap();
    let mut proxy = proxy(options(&url)).await;
    let mut client = TcpStream::connect(proxy.address).await.unwrap();
    let offer = format!(
        "Sec-WebSocket-Protocol: {}\r\nSec-WebSocket-Extensions: permessage-deflate; \
         client_no_context_takeover; server_no_context_takeover, permessage-deflate\r\n",
        agreement.subprotocol()
    );
    let asked = request(&proxy.address.to_string(), "/Zenith?version=2.0", &offer);
    write_in_pieces(&mut client, asked.as_bytes(), 1).await;
    let (mut server, _) = tokio::time::timeout(LIMIT, listener.accept()).await.unwrap().unwrap();
    let relayed = read_head(&mut server).await;
    assert_eq!(relayed, request(&upstream_address.to_string(), "/Zenith?version=2.0", &offer).into_bytes());
    let reply = agree(&format!("Sec-WebSocket-Protocol: {}\r\n{}", agreement.subprotocol(), agreement.header()));
    write_in_pieces(&mut server, reply.as_bytes(), 2).await;
    assert_eq!(read_head(&mut client).await, reply.as_bytes());

    // The transcript, in order: (sent by the client, bytes).
    let mut transcript: Vec<(bool, Vec<u8>)> = Vec::new();
    let mut controls = 0;
    let mut deflaters =
        [Deflater::new(!agreement.client_no_context_takeover), Deflater::new(!agreement.server_no_context_takeover)];
    let steps = session(&repo("examples/captures/auth-session.jsonl"));
    for (n, (send, text)) in steps.iter().enumerate() {
        let (message, opcode) = agreement.encode(text);
        let (bytes, control) = message_frames(n, (&message, opcode), *send, &mut deflaters[usize::from(!send)]);
        controls += control;
        let (from, to) = if *send { (&mut client, &mut server) } else { (&mut server, &mut client) };
        write_in_pieces(from, &bytes, n).await;
        assert_eq!(read_exact(to, bytes.len()).await, bytes, "message {n} arrives unchanged");
        transcript.push((*send, bytes));
    }
    // The close handshake, then each end closes its side.
    let mut goodbye = 1000u16.to_be_bytes().to_vec();
    goodbye.extend_from_slice(b"bye");
    for send in [true, false] {
        let bytes = frame(true, false, 8, &goodbye, send);
        let (from, to) = if send { (&mut client, &mut server) } else { (&mut server, &mut client) };
        from.write_all(&bytes).await.unwrap();
        assert_eq!(read_exact(to, bytes.len()).await, bytes);
        transcript.push((send, bytes));
    }
    server.shutdown().await.unwrap();
    assert!(read_to_end(&mut client).await.is_empty());
    client.shutdown().await.unwrap();
    assert!(read_to_end(&mut server).await.is_empty());
    drop((client, server));

    let reports = proxy.until_closed().await;
    proxy.stop().await;
    let closed = closed(&reports);
    let sent = steps.len() as u64;
    let summary = &closed.summary;
    assert_eq!(
        (summary.read, summary.messages(), summary.unreadable, summary.binary),
        (sent, sent, 0, if agreement.msgpack { sent } else { 0 }),
        "{summary:?}"
    );
    assert_eq!(summary.valid + summary.with_warnings + summary.invalid, sent);
    assert!(summary.valid > 0);
    assert_eq!(summary.control_frames, controls + 2);
    let bye = Some(zenith_proxy::CloseFrame { code: Some(1000), reason: "bye".into() });
    assert_eq!(closed.closes, [bye.clone(), bye]);
    assert_eq!(closed.unchecked, [0, 0]);
    let total: usize = transcript.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(closed.relayed[0] + closed.relayed[1], (total + asked.len() + reply.len()) as u64);
    let live = findings(&reports);
    let upgrade = live.iter().find(|f| f.code == "websocket-upgrade").expect("the upgrade is reported");
    let agreed = format!("subprotocol {}, permessage-deflate", agreement.subprotocol());
    assert!(upgrade.message.contains(&agreed), "{}", upgrade.message);
    let flags = [
        (agreement.client_no_context_takeover, "client_no_context_takeover"),
        (agreement.server_no_context_takeover, "server_no_context_takeover"),
    ];
    for (set, flag) in flags {
        assert_eq!(upgrade.message.contains(flag), set, "{}", upgrade.message);
    }
    // Inflated and read: the sample's deliberately wrong message is caught.
    assert!(live.iter().any(|f| f.code == "misspelled-property"), "{live:?}");
    assert!(!live.iter().any(|f| f.level == Level::Error && f.code.starts_with("websocket")), "{live:?}");

    // A packet capture of the same bytes, read by `zenith check`, finds the same.
    let path = temp("session.pcap");
    {
        let mut pcap = capture_bench::PcapOut::new(std::fs::File::create(&path).unwrap());
        let mut connection = pcap.open(50_000);
        pcap.data(&mut connection, true, asked.as_bytes());
        pcap.data(&mut connection, false, reply.as_bytes());
        for (client, bytes) in &transcript {
            pcap.data(&mut connection, *client, bytes);
        }
    }
    let (checked, pcap_summary) = check_pcap(&std::fs::read(&path).unwrap());
    std::fs::remove_file(&path).unwrap();
    let mut checked: Vec<_> = checked.iter().filter(|f| f.index > 0).map(unnamed).collect();
    let mut live: Vec<_> = live.into_iter().filter(|f| f.index > 0).map(unnamed).collect();
    checked.sort();
    live.sort();
    assert_eq!(live, checked);
    let counts = |s: &zenith_check::Summary| {
        (s.read, s.valid, s.with_warnings, s.invalid, s.binary, s.control_frames, s.requests, s.replies)
    };
    assert_eq!(counts(summary), counts(&pcap_summary));
}

#[tokio::test]
async fn deflated_fragmented_messages_pass_byte_for_byte_and_are_read_as_a_capture_of_them() {
    deflated_session(Agreement {
        client_no_context_takeover: false,
        server_no_context_takeover: false,
        msgpack: false,
    })
    .await;
}

#[tokio::test]
async fn deflated_fragmented_msgpack_messages_pass_byte_for_byte_and_are_read_as_a_capture_of_them() {
    deflated_session(Agreement { client_no_context_takeover: false, server_no_context_takeover: true, msgpack: true })
        .await;
}

#[tokio::test]
async fn deflated_messages_without_client_context_takeover_pass_and_are_read() {
    deflated_session(Agreement { client_no_context_takeover: true, server_no_context_takeover: false, msgpack: false })
        .await;
}

#[tokio::test]
async fn deflated_messages_without_any_context_takeover_pass_and_are_read() {
    deflated_session(Agreement { client_no_context_takeover: true, server_no_context_takeover: true, msgpack: false })
        .await;
}

/// Sends `asked` through a proxy for `url` to the upstream `listener`, answers it with the
/// 101 reply, and returns the request the upstream received.
async fn relayed_request(listener: &TcpListener, url: &str, asked: &str) -> Vec<u8> {
    let mut proxy = proxy(options(url)).await;
    let mut client = TcpStream::connect(proxy.address).await.unwrap();
    client.write_all(asked.as_bytes()).await.unwrap();
    let (mut server, _) = tokio::time::timeout(LIMIT, listener.accept()).await.unwrap().unwrap();
    let relayed = read_head(&mut server).await;
    let reply = agree("Sec-WebSocket-Protocol: ZenithJson\r\n");
    server.write_all(reply.as_bytes()).await.unwrap();
    assert_eq!(read_head(&mut client).await, reply.as_bytes());
    client.shutdown().await.unwrap();
    assert!(read_to_end(&mut server).await.is_empty());
    drop(server);
    assert!(read_to_end(&mut client).await.is_empty());
    let reports = proxy.until_closed().await;
    assert!(!findings(&reports).iter().any(|f| f.level == Level::Error), "{:?}", findings(&reports));
    // A credential in the client's target is never shown.
    let shown = format!("{reports:?} {:?}", findings(&reports).iter().map(|f| &f.message).collect::<Vec<_>>());
    assert!(!shown.contains("s3cr3t"), "{shown}");
    proxy.stop().await;
    relayed
}

#[tokio::test]
async fn the_upstream_receives_the_request_with_only_host_rewritten_and_its_own_target_if_any() {
    let (listener, url) = upstream().await;
    let upstream_address = listener.local_addr().unwrap().to_string();
    let headers = "Sec-WebSocket-Protocol: ZenithJson, ZenithMsgPack\r\nOrigin: http://client.example\r\n\
                   x-lower-case: Mixed Value\r\nCookie: session=abc; theme=dark\r\nUser-Agent: raw test/1.0\r\n";
    let asked = request("proxy.example:8080", "/Zenith?version=2.0&x=%20y", headers);
    let relayed = relayed_request(&listener, &url, &asked).await;
    let expected = request(&upstream_address, "/Zenith?version=2.0&x=%20y", headers);
    assert_eq!(String::from_utf8(relayed).unwrap(), expected);

    // An upstream URL with its own path and query: the request line takes them.
    let own = format!("{url}/Zenith?version=2.0");
    let asked = request("proxy.example:8080", "/elsewhere?token=s3cr3t", headers);
    let relayed = relayed_request(&listener, &own, &asked).await;
    let expected = request(&upstream_address, "/Zenith?version=2.0", headers);
    assert_eq!(String::from_utf8(relayed).unwrap(), expected);
}

#[tokio::test]
async fn an_upgrade_the_upstream_refuses_reaches_the_client_unchanged_and_is_reported() {
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let mut client = TcpStream::connect(proxy.address).await.unwrap();
    client.write_all(request("a", "/Zenith", "Sec-WebSocket-Protocol: ZenithJson\r\n").as_bytes()).await.unwrap();
    let (mut server, _) = tokio::time::timeout(LIMIT, listener.accept()).await.unwrap().unwrap();
    read_head(&mut server).await;
    let body = "no more sessions for this user\n";
    let refusal = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    server.write_all(refusal.as_bytes()).await.unwrap();
    server.shutdown().await.unwrap();
    assert_eq!(String::from_utf8(read_to_end(&mut client).await).unwrap(), refusal);
    drop(client);
    assert!(read_to_end(&mut server).await.is_empty());
    drop(server);
    let reports = proxy.until_closed().await;
    let refused = findings(&reports).into_iter().find(|f| f.code == "websocket-upgrade-refused").expect("reported");
    assert!(refused.message.contains("403"), "{}", refused.message);
    let closed = closed(&reports);
    assert!(closed.why.contains("403"), "{}", closed.why);
    assert_eq!(closed.summary.messages(), 0);
    proxy.stop().await;
}

/// Sends `asked` to a proxy for `url`, returning what the client reads before the proxy closes
/// and the reports.
async fn answered(url: &str, asked: &str) -> (String, Vec<zenith_proxy::Report>) {
    let mut proxy = proxy(options(url)).await;
    let mut client = TcpStream::connect(proxy.address).await.unwrap();
    client.write_all(asked.as_bytes()).await.unwrap();
    let answer = String::from_utf8(read_to_end(&mut client).await).unwrap();
    drop(client);
    let reports = proxy.until_closed().await;
    proxy.stop().await;
    (answer, reports)
}

#[tokio::test]
async fn an_upstream_that_is_down_gets_the_client_a_502_and_is_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down: SocketAddr = listener.local_addr().unwrap();
    drop(listener);
    let (answer, reports) = answered(&format!("ws://{down}"), &request("a", "/Zenith", "")).await;
    assert!(answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{answer}");
    let finding = findings(&reports).into_iter().find(|f| f.code == "upstream-unreachable").expect("reported");
    assert_eq!(finding.level, Level::Error);
    assert!(finding.message.contains(&down.to_string()), "{}", finding.message);
}

#[tokio::test]
async fn a_client_that_is_not_websocket_is_answered_400_and_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (answer, reports) = answered(&url, "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{answer}");
    assert!(answer.contains("not a websocket upgrade"), "{answer}");
    let finding = findings(&reports).into_iter().find(|f| f.code == "not-websocket" && f.level == Level::Error);
    assert!(finding.is_some(), "{:?}", findings(&reports));
    // The upstream was never asked: by the time the connection is reported closed, a
    // connection the proxy made would be waiting to be accepted.
    let accepted = listener.accept().map(|_| ()).map_err(|e| e.kind());
    assert_eq!(accepted, Err(std::io::ErrorKind::WouldBlock), "the proxy connected upstream");
}

#[tokio::test]
async fn a_client_that_is_not_websocket_is_reported_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (_, reports) = answered(&url, "GET / HTTP/1.1\r\nHost: a\r\n\r\n").await;
    let codes: Vec<_> = findings(&reports).into_iter().filter(|f| f.code == "not-websocket").collect();
    assert_eq!(codes.len(), 1, "{codes:?}");
}

#[tokio::test]
async fn frames_right_behind_each_head_and_messages_longer_than_the_relay_buffer_pass_and_are_read() {
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let mut client = TcpStream::connect(proxy.address).await.unwrap();
    let offer = "Sec-WebSocket-Protocol: ZenithJson\r\nSec-WebSocket-Extensions: permessage-deflate\r\n";
    let asked = request("a", "/Zenith", offer);
    // The client's first message goes in the same write as its request, before any reply.
    let first = r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub","Confirm":true}"#;
    let mut deflaters = [Deflater::new(true), Deflater::new(true)];
    let first_frame = frame(true, true, 1, &deflaters[0].message(first.as_bytes()), true);
    client.write_all(&[asked.as_bytes(), &first_frame].concat()).await.unwrap();
    let (mut server, _) = tokio::time::timeout(LIMIT, listener.accept()).await.unwrap().unwrap();
    read_head(&mut server).await;
    // The server's reply goes in the same write as its 101; the client's first frame reaches
    // it once it agreed to the upgrade (after a refusal it would be read as a request).
    let reply = agree("Sec-WebSocket-Protocol: ZenithJson\r\nSec-WebSocket-Extensions: permessage-deflate\r\n");
    let confirm_frame = frame(true, true, 1, &deflaters[1].message(first.as_bytes()), false);
    server.write_all(&[reply.as_bytes(), &confirm_frame].concat()).await.unwrap();
    assert_eq!(read_exact(&mut server, first_frame.len()).await, first_frame);
    assert_eq!(read_head(&mut client).await, reply.as_bytes());
    assert_eq!(read_exact(&mut client, confirm_frame.len()).await, confirm_frame);
    // Messages many times the relay's buffer: one plain (a 64-bit length), one deflated, in
    // fragments of 5000 bytes.
    let names: Vec<String> = (0..6000).map(|n| format!("\"Market{n}\"")).collect();
    let long = format!(
        r#"{{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub","Confirm":true,"Extra":[{}]}}"#,
        names.join(",")
    );
    assert!(long.len() > 4 * zenith_proxy::RELAY_BUFFER_BYTES);
    let plain = frame(true, false, 1, long.as_bytes(), true);
    let packed = deflaters[1].message(long.as_bytes());
    let mut deflated = Vec::new();
    let mut rest = &packed[..];
    let mut first_piece = true;
    while !rest.is_empty() {
        let (piece, after) = rest.split_at(rest.len().min(5000));
        deflated.extend(frame(after.is_empty(), first_piece, if first_piece { 1 } else { 0 }, piece, false));
        (rest, first_piece) = (after, false);
    }
    let (written, read) = tokio::join!(client.write_all(&plain), read_exact(&mut server, plain.len()));
    written.unwrap();
    assert_eq!(read, plain);
    let (written, read) = tokio::join!(server.write_all(&deflated), read_exact(&mut client, deflated.len()));
    written.unwrap();
    assert_eq!(read, deflated);
    client.shutdown().await.unwrap();
    assert!(read_to_end(&mut server).await.is_empty());
    drop(server);
    assert!(read_to_end(&mut client).await.is_empty());
    drop(client);
    let reports = proxy.until_closed().await;
    proxy.stop().await;
    let summary = &closed(&reports).summary;
    assert_eq!((summary.messages(), summary.unreadable), (4, 0), "{summary:?}");
    // The long messages are read whole (inflated, defragmented): their one extra property is
    // all that is found in them, and nothing in the short ones.
    let found: Vec<_> = findings(&reports)
        .into_iter()
        .filter(|f| f.index > 0)
        .map(|f| (f.index, f.code.as_str(), f.instance_path.as_str()))
        .collect();
    assert_eq!(found, [(3, "undocumented-property", "/Extra"), (4, "undocumented-property", "/Extra")]);
    assert!(!findings(&reports).iter().any(|f| f.code.starts_with("websocket") && f.level == Level::Error));
}
