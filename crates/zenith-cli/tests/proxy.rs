//! `zenith proxy` end to end: the real binary between in-process websocket peers on loopback.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// The longest any step may take.
const LIMIT: Duration = Duration::from_secs(20);

/// A request and its two replies, all valid: a session with no finding.
const SUB: &str = r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub","Confirm":true}"#;
const INFO: &str = r#"{"Controller":"Zenith","Topic":"ServerInfo","Data":{"Name":"Citadel-1","Class":"FeedProxy","Version":"2.0.7412.1205","Protocol":"2.0"}}"#;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A fresh path in the temp dir.
fn temp(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("zenith-cli-proxy-{}-{n}-{label}", std::process::id()))
}

/// The sends and receives of a JSON Lines capture, in order: (`send`, text).
fn script(path: &str) -> Vec<(bool, String)> {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let item: Value = serde_json::from_str(line).unwrap();
            (item["type"] == "send", item["data"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn sample() -> Vec<(bool, String)> {
    script("examples/captures/auth-session.jsonl")
}

fn clean() -> Vec<(bool, String)> {
    vec![(true, SUB.to_owned()), (false, INFO.to_owned()), (false, SUB.to_owned())]
}

/// A subscription never confirmed nor fed: a warning, and nothing worse.
fn warning_only() -> Vec<(bool, String)> {
    vec![(true, SUB.to_owned())]
}

use test_kit::{Run, Serving as Proxy};

/// Starts `zenith proxy --listen 127.0.0.1:0 ARGS`.
fn start(args: &[&str]) -> Proxy {
    Proxy::start(
        Command::new(env!("CARGO_BIN_EXE_zenith"))
            .args(["proxy", "--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(repo()),
    )
}

/// Runs `zenith ARGS` to its end.
fn zenith(args: &[&str]) -> Run {
    test_kit::run(Command::new(env!("CARGO_BIN_EXE_zenith")).args(args).current_dir(repo()), None)
}

/// A websocket server on 127.0.0.1 that plays its side of `steps` on its first connection, and
/// returns the request target it was asked for.
async fn server(steps: Vec<(bool, String)>) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (tcp, _) = timeout(LIMIT, listener.accept()).await.expect("a connection in time").unwrap();
        let (ws, target) = accept(tcp).await;
        play(ws, &steps, false).await;
        target
    });
    (url, task)
}

/// The server's side of an upgrade on `io`, and the target the client asked for.
async fn accept<S: AsyncRead + AsyncWrite + Unpin>(io: S) -> (WebSocketStream<S>, String) {
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    let target = Arc::new(Mutex::new(String::new()));
    let seen = target.clone();
    let callback = move |request: &Request, response: Response| {
        *seen.lock().unwrap() = request.uri().to_string();
        Ok(response)
    };
    let ws = timeout(LIMIT, tokio_tungstenite::accept_hdr_async(io, callback))
        .await
        .expect("upgraded in time")
        .expect("server handshake");
    let target = target.lock().unwrap().clone();
    (ws, target)
}

/// Plays one side of `steps` (the client's when `client`): sends its messages, and receives the
/// other side's, which must arrive unchanged; the client then closes, and the server reads on
/// until the close.
async fn play<S: AsyncRead + AsyncWrite + Unpin>(mut ws: WebSocketStream<S>, steps: &[(bool, String)], client: bool) {
    for (send, text) in steps {
        if *send == client {
            ws.send(Message::text(text.clone())).await.expect("sent");
        } else {
            let received = loop {
                let next = timeout(LIMIT, ws.next()).await.expect("a message in time").expect("open").expect("read");
                if next.is_text() {
                    break next;
                }
            };
            assert_eq!(received.to_text().unwrap(), text);
        }
    }
    if client {
        ws.close(None).await.expect("close sent");
    }
    while let Ok(Some(Ok(_))) = timeout(LIMIT, ws.next()).await {}
}

/// A websocket client through the proxy at `address`, playing the client's side of `steps`.
async fn client(address: SocketAddr, steps: &[(bool, String)]) {
    play(connect(address).await, steps, true).await;
}

/// A websocket client connected through the proxy at `address`.
async fn connect(address: SocketAddr) -> WebSocketStream<TcpStream> {
    connect_to(address, "/Zenith?version=2.0").await
}

/// A websocket client connected through the proxy at `address`, asking for `target`.
async fn connect_to(address: SocketAddr, target: &str) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(address).await.expect("connect to the proxy");
    let url = format!("ws://{address}{target}");
    let (ws, _) =
        timeout(LIMIT, tokio_tungstenite::client_async(url, tcp)).await.expect("connected in time").expect("upgrade");
    ws
}

/// A session through the proxy at `address` to a server accepted on `listener`, with `steps`
/// passed in lockstep; both ends are left open.
async fn lockstep(
    address: SocketAddr,
    listener: &TcpListener,
    steps: &[(bool, String)],
) -> (WebSocketStream<TcpStream>, WebSocketStream<TcpStream>) {
    let (mut client, mut server) = tokio::join!(connect(address), async {
        let (tcp, _) = timeout(LIMIT, listener.accept()).await.expect("a connection in time").unwrap();
        accept(tcp).await.0
    });
    for (send, text) in steps {
        let (from, to) = if *send { (&mut client, &mut server) } else { (&mut server, &mut client) };
        from.send(Message::text(text.clone())).await.unwrap();
        let received = timeout(LIMIT, to.next()).await.expect("in time").unwrap().unwrap();
        assert_eq!(received.to_text().unwrap(), text);
    }
    (client, server)
}

/// A raw upgrade request through the proxy at `address`: the answer's head.
async fn raw_upgrade(address: SocketAddr) -> String {
    let mut tcp = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /Zenith HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = timeout(LIMIT, tcp.read_to_end(&mut answer)).await.expect("answered in time");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The NDJSON records of a `--format json` run.
fn records(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect()
}

/// The keys of a JSON object, sorted.
fn keys(record: &Value) -> Vec<String> {
    let mut keys: Vec<String> = record.as_object().expect("an object").keys().cloned().collect();
    keys.sort();
    keys
}

/// (code, index, message) of the finding records about messages.
fn message_findings(records: &[Value]) -> Vec<(String, u64, String)> {
    let mut found: Vec<_> = records
        .iter()
        .filter(|r| r["index"].as_u64().is_some_and(|i| i > 0))
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_owned(),
                r["index"].as_u64().unwrap(),
                r["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_relays_the_sample_then_exits_1_with_its_finding_and_summary() {
    let steps = sample();
    let (url, upstream) = server(steps.clone()).await;
    let proxy = start(&["--upstream", &url, "--once"]);
    client(proxy.address, &steps).await;
    assert_eq!(timeout(LIMIT, upstream).await.unwrap().unwrap(), "/Zenith?version=2.0");
    let run = proxy.finish();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("error[misspelled-property]"), "{}", run.stdout);
    assert!(run.stdout.contains(" closed after "), "{}", run.stdout);
    assert!(run.stdout.contains("frames read"), "{}", run.stdout);
    assert!(!run.stdout.contains("Insect") && !run.stderr.contains("Insect"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_in_json_gives_check_records_a_connection_and_a_summary() {
    let steps = sample();
    let (url, upstream) = server(steps.clone()).await;
    let proxy = start(&["--upstream", &url, "--once", "--format", "json"]);
    client(proxy.address, &steps).await;
    timeout(LIMIT, upstream).await.unwrap().unwrap();
    let run = proxy.finish();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let checked = zenith(&["check", "--format", "json", "examples/captures/auth-session.jsonl"]);
    let finding_keys = keys(&records(&checked.stdout)[0]);
    let records = records(&run.stdout);
    let (mut connections, mut summaries, mut findings) = (0, 0, Vec::new());
    for record in &records {
        if record.get("connection").is_some() {
            connections += 1;
            assert_eq!(record["connection"]["summary"]["read"], steps.len(), "{record}");
        } else if record.get("summary").is_some() {
            summaries += 1;
        } else {
            assert_eq!(keys(record), finding_keys, "{record}");
            assert_eq!(record["source"], "proxy");
            findings.push(record["code"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!((connections, summaries), (1, 1), "{}", run.stdout);
    assert!(records.last().unwrap().get("summary").is_some());
    assert!(findings.iter().any(|c| c == "misspelled-property"), "{findings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_exits_0_on_a_clean_session_and_1_on_warnings_with_strict() {
    for (steps, strict, code) in [(clean(), false, 0), (warning_only(), false, 0), (warning_only(), true, 1)] {
        let (url, upstream) = server(steps.clone()).await;
        let mut args = vec!["--upstream", url.as_str(), "--once"];
        if strict {
            args.push("--strict");
        }
        let proxy = start(&args);
        client(proxy.address, &steps).await;
        timeout(LIMIT, upstream).await.unwrap().unwrap();
        let run = proxy.finish();
        assert_eq!(run.code, code, "strict {strict}: {}\n{}", run.stdout, run.stderr);
        if steps.len() == 1 {
            assert!(run.stdout.contains("warning[subscription-silent]"), "{}", run.stdout);
            assert!(!run.stdout.contains("error["), "{}", run.stdout);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_record_gives_check_the_same_findings_with_credentials_redacted() {
    let steps = sample();
    let path = temp("record.jsonl");
    let (url, upstream) = server(steps.clone()).await;
    let proxy = start(&["--upstream", &url, "--once", "--format", "json", "--record", path.to_str().unwrap()]);
    client(proxy.address, &steps).await;
    timeout(LIMIT, upstream).await.unwrap().unwrap();
    let run = proxy.finish();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let checked = zenith(&["check", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(checked.code, 1, "{}", checked.stderr);
    let live = message_findings(&records(&run.stdout));
    assert!(!live.is_empty());
    assert_eq!(live, message_findings(&records(&checked.stdout)));
    let recorded = std::fs::read_to_string(&path).unwrap();
    assert_eq!(recorded.lines().count(), steps.len());
    assert!(!recorded.contains("Insect") && recorded.contains("<redacted>"), "{recorded}");
    assert!(!run.stderr.contains("--record-secrets"));

    let (url, upstream) = server(steps.clone()).await;
    let proxy = start(&["--upstream", &url, "--once", "--record", path.to_str().unwrap(), "--record-secrets"]);
    client(proxy.address, &steps).await;
    timeout(LIMIT, upstream).await.unwrap().unwrap();
    let run = proxy.finish();
    assert!(run.stderr.contains("--record-secrets: the record holds credentials"), "{}", run.stderr);
    assert!(!run.stdout.contains("Insect"), "{}", run.stdout);
    let recorded = std::fs::read_to_string(&path).unwrap();
    assert!(recorded.contains("Insect"), "{recorded}");
    std::fs::remove_file(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_prints_the_overall_summary_and_exits_by_the_findings() {
    for (steps, code) in [(sample(), 1), (clean(), 0)] {
        let (url, upstream) = server(steps.clone()).await;
        let proxy = start(&["--upstream", &url]);
        client(proxy.address, &steps).await;
        timeout(LIMIT, upstream).await.unwrap().unwrap();
        proxy.wait_stdout(" closed after ");
        proxy.signal(libc::SIGTERM);
        let run = proxy.finish();
        assert_eq!(run.code, code, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(&format!("{} frames read", steps.len())), "{}", run.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_session_cuts_the_open_connection_and_still_summarises() {
    let steps = sample();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let proxy = start(&["--upstream", &url]);
    let (mut client, mut server) = lockstep(proxy.address, &listener, &steps[..4]).await;
    proxy.signal(libc::SIGTERM);
    let run = proxy.finish();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("(the proxy stopped)"), "{}", run.stdout);
    assert!(run.stdout.contains("4 frames read"), "{}", run.stdout);
    // Both ends see their connection end.
    for ws in [&mut client, &mut server] {
        let ended = async { while let Some(Ok(_)) = ws.next().await {} };
        timeout(LIMIT, ended).await.expect("the connection ends");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_cut_by_kill_9_is_still_readable() {
    let steps = sample();
    let passed = 8;
    let path = temp("killed.jsonl");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let mut proxy = start(&["--upstream", &url, "--record", path.to_str().unwrap()]);
    let (client, server) = lockstep(proxy.address, &listener, &steps[..passed]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.child.kill().unwrap();
    let run = proxy.finish();
    assert_ne!(run.code, 0);
    let recorded = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = recorded.lines().collect();
    assert!(!lines.is_empty() && lines.len() <= passed, "{recorded}");
    for line in &lines[..lines.len() - 1] {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    let checked = zenith(&["check", path.to_str().unwrap()]);
    assert!(checked.code == 0 || checked.code == 1, "{}\n{}", checked.stdout, checked.stderr);
    drop((client, server));
    std::fs::remove_file(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_is_down_gets_the_client_a_502() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    drop(listener);
    let proxy = start(&["--upstream", &url, "--once"]);
    let answer = raw_upgrade(proxy.address).await;
    assert!(answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{answer}");
    let run = proxy.finish();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("upstream-unreachable"), "{}", run.stdout);
}

#[test]
fn bad_upstream_urls_exit_2_without_quoting_credentials() {
    let run = zenith(&["proxy", "--listen", "127.0.0.1:0", "--upstream", "ftp://x/?token=s3cret"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("the scheme `ftp` is not ws or wss"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret") && run.stdout.is_empty(), "{}", run.stderr);
    let run = zenith(&["proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://u:p@127.0.0.1:9/"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("user name or password"), "{}", run.stderr);
    assert!(!run.stderr.contains("p@") && run.stdout.is_empty(), "{}", run.stderr);
}

#[test]
fn startup_errors_exit_2_with_a_clear_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let run = zenith(&["proxy", "--listen", &address, "--upstream", "ws://127.0.0.1:9/"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("cannot listen on {address}")), "{}", run.stderr);
    let missing = temp("missing-ca.pem");
    let missing = missing.to_str().unwrap();
    let run = zenith(&["proxy", "--listen", "127.0.0.1:0", "--upstream", "wss://127.0.0.1:9/", "--ca-file", missing]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot read the CA file"), "{}", run.stderr);
    assert!(!run.stderr.contains("listening on"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_in_the_upstream_query_is_sent_but_never_shown() {
    let steps = clean();
    for format in ["human", "json"] {
        let (url, upstream) = server(steps.clone()).await;
        let url = format!("{url}/Zenith?token=s3cret");
        let proxy = start(&["--upstream", &url, "--once", "--format", format]);
        client(proxy.address, &steps).await;
        assert_eq!(timeout(LIMIT, upstream).await.unwrap().unwrap(), "/Zenith?token=s3cret");
        let run = proxy.finish();
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("listening on"), "{}", run.stderr);
        assert!(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"), "{}\n{}", run.stdout, run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_in_the_clients_query_is_relayed_but_never_shown() {
    let steps = clean();
    let (url, upstream) = server(steps.clone()).await;
    let proxy = start(&["--upstream", &url, "--once", "--format", "json"]);
    let ws = connect_to(proxy.address, "/Zenith?access_token=cl1entS3cret").await;
    play(ws, &steps, true).await;
    assert_eq!(timeout(LIMIT, upstream).await.unwrap().unwrap(), "/Zenith?access_token=cl1entS3cret");
    let run = proxy.finish();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains("cl1entS3cret") && !run.stderr.contains("cl1entS3cret"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn a_record_file_that_cannot_be_created_exits_2() {
    let path = temp("no-such-dir").join("record.jsonl");
    let run = zenith(&[
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        "ws://127.0.0.1:9/",
        "--record",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("--record {}", path.display())), "{}", run.stderr);
}

/// A self-signed certificate for localhost and 127.0.0.1: its PEM, and a TLS server config.
fn tls_server() -> (String, Arc<rustls::ServerConfig>) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(names).unwrap().self_signed(&key).unwrap();
    let der: CertificateDer<'static> = cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    // The ring provider the proxy itself uses (deprecated only for lacking post-quantum groups).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    (cert.pem(), Arc::new(config))
}

/// A wss:// server on 127.0.0.1 that plays the server's side of `steps` on each connection whose
/// TLS handshake succeeds, for up to 8 connections.
async fn wss_server(config: Arc<rustls::ServerConfig>, steps: Vec<(bool, String)>) -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://{}", listener.local_addr().unwrap());
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let task = tokio::spawn(async move {
        for _ in 0..8 {
            let Ok(Ok((tcp, _))) = timeout(LIMIT, listener.accept()).await else { return };
            let Ok(Ok(tls)) = timeout(LIMIT, acceptor.accept(tcp)).await else { continue };
            let (ws, _) = accept(tls).await;
            play(ws, &steps, false).await;
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wss_upstream_needs_its_ca_or_insecure() {
    let (pem, config) = tls_server();
    let ca = temp("ca.pem");
    std::fs::write(&ca, &pem).unwrap();
    let (url, upstream) = wss_server(config, clean()).await;

    let proxy = start(&["--upstream", &url, "--once"]);
    let answer = raw_upgrade(proxy.address).await;
    assert!(answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{answer}");
    let run = proxy.finish();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("upstream-unreachable"), "{}", run.stdout);
    assert!(run.stdout.contains("not signed by a trusted certificate authority"), "{}", run.stdout);

    let proxy = start(&["--upstream", &url, "--once", "--ca-file", ca.to_str().unwrap()]);
    client(proxy.address, &clean()).await;
    let run = proxy.finish();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("--insecure"), "{}", run.stderr);

    let proxy = start(&["--upstream", &url, "--once", "--insecure"]);
    client(proxy.address, &clean()).await;
    let run = proxy.finish();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--insecure: the upstream's certificate is not checked"), "{}", run.stderr);
    upstream.abort();
    std::fs::remove_file(ca).unwrap();
}

/// The resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|n| n.parse::<u64>().ok()).expect("VmRSS in kB") * 1024
}

/// Reads an HTTP head off `io`, up to its blank line.
async fn read_head(io: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") && bytes.len() < 8192 {
        let read = timeout(LIMIT, io.read(&mut byte)).await.expect("a head in time").unwrap();
        assert_eq!(read, 1, "closed inside a head");
        bytes.push(byte[0]);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_cost_the_proxy_process_little_and_sigterm_ends_them() {
    const IDLE: usize = 1000;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let proxy = start(&["--upstream", &url]);
    // A raw upstream that answers every upgrade with 101 and holds the connection.
    let acceptor = tokio::spawn(async move {
        let mut held = Vec::with_capacity(IDLE);
        for _ in 0..IDLE {
            let (mut tcp, _) = timeout(LIMIT, listener.accept()).await.expect("a connection in time").unwrap();
            read_head(&mut tcp).await;
            let reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
            tcp.write_all(reply.as_bytes()).await.unwrap();
            held.push(tcp);
        }
        held
    });
    let before = rss(proxy.child.id());
    let address = proxy.address;
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE / 100 {
        let mut connecting = tokio::task::JoinSet::new();
        for _ in 0..100 {
            connecting.spawn(async move {
                let mut tcp = TcpStream::connect(address).await.unwrap();
                let request = format!(
                    "GET /Zenith HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                );
                tcp.write_all(request.as_bytes()).await.unwrap();
                let head = read_head(&mut tcp).await;
                assert!(head.starts_with("HTTP/1.1 101"), "{head}");
                tcp
            });
        }
        while let Some(connected) = connecting.join_next().await {
            idle.push(connected.unwrap());
        }
    }
    let held = timeout(LIMIT, acceptor).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = rss(proxy.child.id());
    let each = after.saturating_sub(before) / IDLE as u64;
    eprintln!(
        "zenith proxy: {IDLE} idle connections grew its RSS by {} KiB, {each} bytes each",
        (after - before) >> 10
    );
    assert!(each < 256 << 10, "{each} bytes per idle connection");
    proxy.signal(libc::SIGTERM);
    let run = proxy.finish();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.matches(" (the proxy stopped): ").count(), IDLE, "{}", run.stdout);
    drop((idle, held));
}
