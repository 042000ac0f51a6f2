//! Hostile peers on loopback get located findings while a good session goes on, memory bounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use zenith_check::Finding;
use zenith_proxy::{Closed, Report};

use crate::kit::*;

/// The key every raw client sends, and the accept value it calls for (RFC 6455, 1.3).
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The tests that measure the process's memory run one at a time.
static MEMORY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The resident memory of this process (the proxy runs in it), in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS in kB");
    kib * 1024
}

/// The good session: a tokio-tungstenite client and server through the proxy.
async fn good(proxy: &Running, listener: &TcpListener) -> (Client, Server) {
    tokio::join!(connect(proxy.address, "/Zenith?version=2.0", None), accept(listener, None))
}

/// `rounds` messages each way through the good session.
async fn chat(client: &mut Client, server: &mut Server, rounds: usize) {
    for _ in 0..rounds {
        let request = r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub","Confirm":true}"#;
        pass(client, server, Message::text(request)).await;
        let reply = r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub","Confirm":true}"#;
        pass(server, client, Message::text(reply)).await;
    }
}

/// The name the proxy gives a client's connection.
fn conn_of(client: &TcpStream, listener: &TcpListener) -> String {
    format!("{} -> {}", client.local_addr().unwrap(), listener.local_addr().unwrap())
}

/// Reads an HTTP head: its text, and the bytes read past it.
async fn read_head(io: &mut (impl AsyncRead + Unpin)) -> (String, Vec<u8>) {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let reading = async {
        loop {
            let read = io.read(&mut chunk).await.expect("read a head");
            assert!(read > 0, "closed inside a head: {:?}", String::from_utf8_lossy(&bytes));
            bytes.extend_from_slice(&chunk[..read]);
            if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                let after = bytes.split_off(end + 4);
                return (String::from_utf8_lossy(&bytes).into_owned(), after);
            }
            assert!(bytes.len() < 1 << 16, "an endless head");
        }
    };
    timeout(LIMIT, reading).await.expect("a head in time")
}

/// Everything a peer sends until it closes (or resets, keeping what came before).
async fn read_all(io: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let reading = async {
        while let Ok(read) = io.read(&mut chunk).await {
            if read == 0 {
                break;
            }
            bytes.extend_from_slice(&chunk[..read]);
        }
    };
    timeout(LIMIT, reading).await.expect("the peer closes in time");
    bytes
}

/// A raw client upgraded through the proxy, offering `extensions` when given; the upstream's
/// 101 is checked.
async fn raw_client(address: SocketAddr, extensions: Option<&str>) -> TcpStream {
    let mut client = TcpStream::connect(address).await.expect("connect to the proxy");
    client.write_all(request(address, extensions).as_bytes()).await.unwrap();
    let (head, _) = read_head(&mut client).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    client
}

fn request(address: SocketAddr, extensions: Option<&str>) -> String {
    let extensions = extensions.map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n")).unwrap_or_default();
    format!(
        "GET /Zenith HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extensions}\r\n"
    )
}

/// The raw upstream's side of the next connection: the request head read, 101 answered
/// (agreeing to `extensions` when given). Returns the stream and the bytes read past the head.
async fn raw_server(listener: &TcpListener, extensions: Option<&str>) -> (TcpStream, Vec<u8>) {
    let (mut server, _) = timeout(LIMIT, listener.accept()).await.expect("a connection in time").unwrap();
    let (head, after) = read_head(&mut server).await;
    assert!(head.starts_with("GET /Zenith HTTP/1.1\r\n"), "{head}");
    server.write_all(reply(extensions).as_bytes()).await.unwrap();
    (server, after)
}

fn reply(extensions: Option<&str>) -> String {
    let extensions = extensions.map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n")).unwrap_or_default();
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT}\r\n{extensions}\r\n"
    )
}

/// A frame header: `first` (FIN, RSV, opcode), the 64-bit length form, and a zero mask when
/// `masked` (so the payload goes as it is).
fn header(first: u8, length: u64, masked: bool) -> Vec<u8> {
    let mut out = vec![first, if masked { 0x80 | 127 } else { 127 }];
    out.extend_from_slice(&length.to_be_bytes());
    if masked {
        out.extend_from_slice(&[0; 4]);
    }
    out
}

/// Reads exactly `count` bytes.
async fn read_exactly(io: &mut TcpStream, count: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; count];
    timeout(LIMIT, io.read_exact(&mut bytes)).await.expect("bytes in time").expect("read");
    bytes
}

/// Reports until a finding on `conn` with one of `codes`.
async fn finding_on(proxy: &mut Running, conn: &str, codes: &[&str]) -> Finding {
    for _ in 0..1_000_000 {
        let report = timeout(LIMIT, proxy.reports.recv()).await.expect("a report in time").expect("open");
        if let Report::Finding(finding) = report
            && finding.origin.connection() == conn
            && codes.contains(&finding.code.as_str())
        {
            return finding;
        }
    }
    panic!("no {codes:?} finding on {conn}");
}

/// Reports until `conn` closes: its findings, and its end.
async fn closed_on(proxy: &mut Running, conn: &str) -> (Vec<Finding>, Closed) {
    let mut findings = Vec::new();
    for _ in 0..1_000_000 {
        let report = timeout(LIMIT, proxy.reports.recv()).await.expect("a report in time").expect("open");
        match report {
            Report::Finding(finding) if finding.origin.connection() == conn => findings.push(finding),
            Report::Closed(closed) if closed.conn == conn => return (findings, closed),
            _ => {}
        }
    }
    panic!("{conn} never closed");
}

#[tokio::test]
async fn garbage_and_endless_heads_are_refused_while_a_session_goes_on() {
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let (mut client, mut server) = good(&proxy, &listener).await;
    chat(&mut client, &mut server, 3).await;

    let mut garbage = TcpStream::connect(proxy.address).await.unwrap();
    let conn = conn_of(&garbage, &listener);
    garbage.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 no request here\r\n\r\n").await.unwrap();
    let answer = read_all(&mut garbage).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{answer}");
    let finding = finding_on(&mut proxy, &conn, &["not-websocket"]).await;
    assert!(finding.message.contains("answered 400"), "{}", finding.message);
    chat(&mut client, &mut server, 3).await;

    // A head that never ends: lines of padding, 1 KiB at a time, until the proxy answers.
    let endless = TcpStream::connect(proxy.address).await.unwrap();
    let conn = conn_of(&endless, &listener);
    let (mut reading, mut writing) = endless.into_split();
    let answered = Arc::new(AtomicBool::new(false));
    let stop = answered.clone();
    let writer = tokio::spawn(async move {
        let _ = writing.write_all(b"GET /Zenith HTTP/1.1\r\nHost: x\r\n").await;
        let line = format!("X-Padding: {}\r\n", "a".repeat(1010));
        for _ in 0..256 {
            if stop.load(Ordering::Relaxed) || writing.write_all(line.as_bytes()).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(Ok(read)) = timeout(LIMIT, reading.read(&mut chunk)).await {
        if read == 0 {
            break;
        }
        answered.store(true, Ordering::Relaxed);
        answer.extend_from_slice(&chunk[..read]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{answer}");
    timeout(LIMIT, writer).await.expect("the writer stops").unwrap();
    let finding = finding_on(&mut proxy, &conn, &["not-websocket"]).await;
    assert!(finding.message.contains("longer than 65536 bytes"), "{}", finding.message);
    chat(&mut client, &mut server, 3).await;
    close(client, server).await;
    proxy.stop().await;
}

#[tokio::test]
async fn a_slowloris_client_is_cut_after_the_handshake_timeout() {
    let (listener, url) = upstream().await;
    let mut options = options(&url);
    options.handshake_timeout = Duration::from_secs(1);
    let mut proxy = proxy(options).await;
    let (mut client, mut server) = good(&proxy, &listener).await;

    let slow = TcpStream::connect(proxy.address).await.unwrap();
    let conn = conn_of(&slow, &listener);
    let (mut reading, mut writing) = slow.into_split();
    let answered = Arc::new(AtomicBool::new(false));
    let stop = answered.clone();
    // One byte every 100 ms of a head that never ends, for at most 8 s.
    let writer = tokio::spawn(async move {
        let partial = b"GET /Zenith HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".iter().chain([b'z'; 40].iter());
        for byte in partial {
            if stop.load(Ordering::Relaxed) || writing.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let reader = tokio::spawn(async move {
        let mut answer = Vec::new();
        let mut chunk = [0u8; 1024];
        while let Ok(Ok(read)) = timeout(LIMIT, reading.read(&mut chunk)).await {
            if read == 0 {
                break;
            }
            answered.store(true, Ordering::Relaxed);
            answer.extend_from_slice(&chunk[..read]);
        }
        answer
    });
    // The good session goes on meanwhile, bounded in rounds.
    for _ in 0..200 {
        chat(&mut client, &mut server, 1).await;
        if reader.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = timeout(LIMIT, reader).await.expect("answered in time").unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{answer}");
    timeout(LIMIT, writer).await.expect("the writer stops").unwrap();
    let finding = finding_on(&mut proxy, &conn, &["client-upgrade-timeout"]).await;
    assert!(finding.message.contains("within 1.0 s"), "{}", finding.message);
    chat(&mut client, &mut server, 3).await;
    close(client, server).await;
    proxy.stop().await;
}

#[tokio::test]
async fn frames_claiming_huge_lengths_are_relayed_byte_for_byte_and_reported() {
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let (mut client, mut server) = good(&proxy, &listener).await;
    chat(&mut client, &mut server, 2).await;

    // The longest length the protocol allows is read as a frame, cut off when the connection
    // ends; one with the top bit set cannot be trusted at all.
    let cases = [
        (
            u64::MAX >> 1,
            "unreadable-frame",
            "cut off: the connection ends inside a frame (4000 of its 9223372036854775807",
        ),
        (1 << 63, "websocket-bad-frame-length", "declares 9223372036854775808 bytes, with the top bit"),
    ];
    for (length, code, words) in cases {
        let (mut raw, (mut upstream_side, after)) =
            tokio::join!(raw_client(proxy.address, None), raw_server(&listener, None));
        assert!(after.is_empty());
        let conn = conn_of(&raw, &listener);
        let mut sent = header(0x82, length, true);
        sent.extend((0..4000u32).map(|i| (i % 251) as u8));
        raw.write_all(&sent).await.unwrap();
        assert_eq!(read_exactly(&mut upstream_side, sent.len()).await, sent, "relayed unchanged");
        chat(&mut client, &mut server, 2).await;
        drop(raw);
        drop(upstream_side);
        let (findings, _) = closed_on(&mut proxy, &conn).await;
        let found = findings.iter().find(|f| f.code == code);
        let found = found
            .unwrap_or_else(|| panic!("no {code} among {:?}", findings.iter().map(|f| &f.code).collect::<Vec<_>>()));
        assert!(found.message.contains(words), "{}", found.message);
        chat(&mut client, &mut server, 2).await;
    }
    close(client, server).await;
    proxy.stop().await;
}

/// Bits of a deflate stream, least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    held: u64,
    count: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.held |= u64::from(value) << self.count;
        self.count += count;
        while self.count >= 8 {
            self.out.push(self.held as u8);
            self.held >>= 8;
            self.count -= 8;
        }
    }

    /// A Huffman code, which deflate packs from its most significant bit.
    fn code(&mut self, code: u32, length: u32) {
        let reversed = (0..length).fold(0, |acc, bit| acc | (((code >> bit) & 1) << (length - 1 - bit)));
        self.put(reversed, length);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.held as u8);
        }
        self.out
    }
}

/// A permessage-deflate message body of `inflated` zero bytes: one fixed-Huffman block of a
/// literal zero and matches of 258 bytes at distance 1, then the start of the empty stored block
/// whose last four bytes the sender leaves off (RFC 7692, 7.2.1).
fn deflate_bomb(inflated: usize) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.put(0, 1); // not the final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..(inflated - 1) / 258 {
        bits.code(0xc5, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: 1 byte back
    }
    bits.code(0, 7); // end of block
    bits.put(0, 3); // a stored block follows
    bits.finish()
}

#[tokio::test]
async fn a_deflate_bomb_is_reported_too_long_and_memory_stays_bounded() {
    let _serial = MEMORY.lock().await;
    let (listener, url) = upstream().await;
    let mut options = options(&url);
    options.limits.max_line_bytes = 1 << 20;
    let mut proxy = proxy(options).await;
    let (mut client, mut server) = good(&proxy, &listener).await;
    chat(&mut client, &mut server, 2).await;

    let deflate = Some("permessage-deflate");
    let (mut raw, (mut upstream_side, _)) =
        tokio::join!(raw_client(proxy.address, deflate), raw_server(&listener, deflate));
    let conn = conn_of(&raw, &listener);
    let bomb = deflate_bomb(100 << 20);
    assert!(bomb.len() < 700_000, "{}", bomb.len());
    let before = rss();
    let mut sent = header(0xc1, bomb.len() as u64, true);
    sent.extend_from_slice(&bomb);
    let (written, received) = tokio::join!(raw.write_all(&sent), read_exactly(&mut upstream_side, sent.len()));
    written.unwrap();
    assert!(received == sent, "relayed unchanged");
    let finding = finding_on(&mut proxy, &conn, &["unreadable-frame"]).await;
    let after = rss();
    assert!(finding.message.contains("inflates to more than 1048576 bytes"), "{}", finding.message);
    eprintln!("deflate bomb: {} compressed bytes; RSS grew {} KiB", bomb.len(), after.saturating_sub(before) >> 10);
    assert!(after.saturating_sub(before) < 200 << 20, "RSS grew from {before} to {after}");
    chat(&mut client, &mut server, 3).await;
    drop(raw);
    drop(upstream_side);
    close(client, server).await;
    proxy.stop().await;
}

#[tokio::test]
async fn a_client_that_never_reads_holds_up_only_its_own_upstream() {
    let _serial = MEMORY.lock().await;
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let (mut client, mut server) = good(&proxy, &listener).await;
    chat(&mut client, &mut server, 2).await;

    let (stalled, (mut upstream_side, _)) = tokio::join!(raw_client(proxy.address, None), raw_server(&listener, None));
    let conn = conn_of(&stalled, &listener);
    let before = rss();
    // The upstream pushes up to 50 MiB in binary messages of 256 KiB, counting what it wrote.
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    let pusher = tokio::spawn(async move {
        let mut message = header(0x82, 256 << 10, false);
        message.resize(message.len() + (256 << 10), b'0');
        for _ in 0..200 {
            if upstream_side.write_all(&message).await.is_err() {
                break;
            }
            counter.fetch_add(message.len() as u64, Ordering::Relaxed);
        }
        upstream_side
    });
    // The good session goes on while the pusher runs into back-pressure: its count stops
    // moving, well short of 50 MiB.
    let mut last = u64::MAX;
    let mut still = 0;
    for _ in 0..150 {
        chat(&mut client, &mut server, 1).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = written.load(Ordering::Relaxed);
        still = if now == last { still + 1 } else { 0 };
        last = now;
        if still >= 5 {
            break;
        }
    }
    assert!(still >= 5 && !pusher.is_finished(), "the upstream's writes never blocked ({last} bytes written)");
    assert!(last < 50 << 20, "{last}");
    let after = rss();
    eprintln!(
        "stalled reader: upstream blocked after {} KiB; RSS grew {} KiB",
        last >> 10,
        after.saturating_sub(before) >> 10
    );
    assert!(after.saturating_sub(before) < 32 << 20, "RSS grew from {before} to {after}");
    chat(&mut client, &mut server, 3).await;
    drop(stalled);
    let upstream_side = timeout(LIMIT, pusher).await.expect("the pusher stops once the client is gone").unwrap();
    drop(upstream_side);
    let (_, closed) = closed_on(&mut proxy, &conn).await;
    // The proxy read from the upstream only what the stalled client's side could take.
    assert!(closed.relayed[1] < 50 << 20, "{} relayed", closed.relayed[1]);
    close(client, server).await;
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_do_not_stall_a_session() {
    const IDLE: usize = 1000;
    let _serial = MEMORY.lock().await;
    let (listener, url) = upstream().await;
    let mut options = options(&url);
    options.max_connections = IDLE + 16;
    let mut proxy = proxy(options).await;
    let (mut client, mut server) = good(&proxy, &listener).await;
    chat(&mut client, &mut server, 2).await;
    let before = rss();

    let listener = Arc::new(listener);
    let accepting = listener.clone();
    let acceptor = tokio::spawn(async move {
        let mut held = Vec::with_capacity(IDLE);
        for _ in 0..IDLE {
            held.push(raw_server(&accepting, None).await.0);
        }
        held
    });
    let mut idle = Vec::with_capacity(IDLE);
    let address = proxy.address;
    for batch in 0..IDLE / 100 {
        let mut connecting = tokio::task::JoinSet::new();
        for _ in 0..100 {
            connecting.spawn(raw_client(address, None));
        }
        while let Some(connected) = connecting.join_next().await {
            idle.push(connected.expect("upgraded"));
        }
        // 10 messages of the good session's 100 after each hundred connections.
        chat(&mut client, &mut server, 5).await;
        assert_eq!(idle.len(), (batch + 1) * 100);
    }
    let held = timeout(LIMIT, acceptor).await.expect("all accepted").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = rss();
    eprintln!(
        "{IDLE} idle connections: RSS grew {} KiB, {} bytes per connection (both raw ends in the same process)",
        after.saturating_sub(before) >> 10,
        after.saturating_sub(before) / IDLE as u64
    );
    chat(&mut client, &mut server, 2).await;
    drop(idle);
    drop(held);
    let mut closed = 0;
    for _ in 0..100_000 {
        if closed >= IDLE {
            break;
        }
        let report = timeout(LIMIT, proxy.reports.recv()).await.expect("a report in time").expect("open");
        closed += usize::from(matches!(report, Report::Closed(_)));
    }
    assert!(closed >= IDLE, "{closed} closed");
    close(client, server).await;
    proxy.stop().await;
}

/// A small deterministic generator (xorshift), for noise that is the same on every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, count: usize) -> Vec<u8> {
        (0..count).map(|_| self.next() as u8).collect()
    }

    /// A frame with a random first byte and payload, in the 7- or 16-bit length form, masked
    /// with a random key when `masked`.
    fn frame(&mut self, masked: bool) -> Vec<u8> {
        let first = self.next() as u8;
        let length = (self.next() % 300) as usize;
        let mask_bit = if masked { 0x80 } else { 0 };
        let mut out = vec![first];
        if length < 126 {
            out.push(mask_bit | length as u8);
        } else {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(length as u16).to_be_bytes());
        }
        if masked {
            out.extend(self.bytes(4));
        }
        out.extend(self.bytes(length));
        out
    }
}

#[tokio::test]
async fn random_frames_both_ways_leave_the_checker_working() {
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let (mut client, mut server) = good(&proxy, &listener).await;
    let good_conn = {
        let Some(Report::Opened { conn }) = timeout(LIMIT, proxy.reports.recv()).await.unwrap() else {
            panic!("the good session opens first")
        };
        conn
    };
    let agreed = [
        "permessage-deflate; server_max_window_bits=8; client_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_max_window_bits=99; server_max_window_bits=abc; client_max_window_bits",
        "permessage-deflate, permessage-deflate; x-unknown=1",
    ];
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for extensions in agreed {
        let (mut raw, (mut upstream_side, _)) =
            tokio::join!(raw_client(proxy.address, Some(extensions)), raw_server(&listener, Some(extensions)));
        let conn = conn_of(&raw, &listener);
        for _ in 0..100 {
            let up = noise.frame(true);
            let down = noise.frame(false);
            raw.write_all(&up).await.unwrap();
            upstream_side.write_all(&down).await.unwrap();
            assert_eq!(read_exactly(&mut upstream_side, up.len()).await, up);
            assert_eq!(read_exactly(&mut raw, down.len()).await, down);
        }
        drop(raw);
        drop(upstream_side);
        closed_on(&mut proxy, &conn).await;
        chat(&mut client, &mut server, 1).await;
    }
    // The checker still checks: a wrong message on the good session is found.
    let steps = session(&repo("examples/captures/auth-session.jsonl"));
    let wrong =
        steps.iter().find(|(send, text)| *send && text.contains("Usrname")).expect("the sample's wrong message");
    pass(&mut client, &mut server, Message::text(wrong.1.clone())).await;
    finding_on(&mut proxy, &good_conn, &["misspelled-property"]).await;
    close(client, server).await;
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checker_behind_the_relay_never_holds_it_up() {
    const MESSAGES: usize = 64;
    let _serial = MEMORY.lock().await;
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let (mut client, mut server) = good(&proxy, &listener).await;
    chat(&mut client, &mut server, 1).await;
    let (mut raw, (mut upstream_side, _)) = tokio::join!(raw_client(proxy.address, None), raw_server(&listener, None));
    let conn = conn_of(&raw, &listener);
    // Messages of 1 MiB the checker has to read whole, as fast as the upstream can send them.
    let name = "n".repeat((1 << 20) - 100);
    let text = format!(r#"{{"Controller":"Zenith","Topic":"ServerInfo","Data":{{"Name":"{name}"}}}}"#);
    let mut message = header(0x81, text.len() as u64, false);
    message.extend_from_slice(text.as_bytes());
    let total = message.len() * MESSAGES;
    let pusher = tokio::spawn(async move {
        for _ in 0..MESSAGES {
            upstream_side.write_all(&message).await.unwrap();
        }
        upstream_side
    });
    let mut received = 0;
    let mut chunk = vec![0u8; 1 << 16];
    while received < total {
        let read = timeout(LIMIT, raw.read(&mut chunk)).await.expect("relayed in time").unwrap();
        assert!(read > 0, "closed after {received} bytes");
        received += read;
    }
    assert_eq!(received, total);
    chat(&mut client, &mut server, 2).await;
    let upstream_side = timeout(LIMIT, pusher).await.unwrap().unwrap();
    drop(raw);
    drop(upstream_side);
    let (findings, closed) = closed_on(&mut proxy, &conn).await;
    // The server's bytes relayed: its 101 reply, then the messages.
    assert_eq!(closed.relayed[1], (reply(None).len() + total) as u64);
    let behind = findings.iter().any(|f| f.code == "checker-fell-behind");
    eprintln!("checker behind the relay: {} of {total} server bytes not checked", closed.unchecked[1]);
    assert_eq!(behind, closed.unchecked[1] > 0, "{:?}", findings.iter().map(|f| &f.code).collect::<Vec<_>>());
    assert!(closed.summary.messages() + u64::from(behind) >= 1);
    close(client, server).await;
    proxy.stop().await;
}

#[tokio::test]
async fn a_refused_upgrade_ends_once_the_client_hangs_up() {
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let mut client = TcpStream::connect(proxy.address).await.unwrap();
    let conn = conn_of(&client, &listener);
    client.write_all(request(proxy.address, None).as_bytes()).await.unwrap();
    // A keep-alive HTTP server: it refuses, then waits for a next request until the
    // connection's end (5 s at most), and tells whether it saw that end.
    let (mut upstream_side, _) = timeout(LIMIT, listener.accept()).await.unwrap().unwrap();
    read_head(&mut upstream_side).await;
    upstream_side.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden").await.unwrap();
    let server = tokio::spawn(async move {
        let mut rest = Vec::new();
        let ended = timeout(Duration::from_secs(5), upstream_side.read_to_end(&mut rest)).await;
        matches!(ended, Ok(Ok(_)))
    });
    let (head, mut body) = read_head(&mut client).await;
    assert!(head.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{head}");
    if body.len() < 9 {
        body.extend(read_exactly(&mut client, 9 - body.len()).await);
    }
    assert_eq!(body, b"forbidden");
    // The client has its answer and hangs up.
    client.shutdown().await.unwrap();
    drop(client);
    let upstream_saw_the_end = timeout(LIMIT, server).await.unwrap().unwrap();
    assert!(upstream_saw_the_end, "the upstream was never told that the client hung up");
    let (_, closed) = closed_on(&mut proxy, &conn).await;
    assert!(closed.why.contains("403"), "{}", closed.why);
    proxy.stop().await;
}
