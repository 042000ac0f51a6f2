//! What the proxy's tests share: a proxy on loopback whose reports are collected, a websocket
//! server behind it, and a session driven from both ends in lockstep.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use zenith_capture::{Format, Limits};
use zenith_check::{Checker, Finding, Summary};
use zenith_proxy::{Options, Proxy, Record, Report, Upstream};

/// The longest any step of a test may take.
pub const LIMIT: Duration = Duration::from_secs(20);

pub type Client = WebSocketStream<TcpStream>;
pub type Server = WebSocketStream<TcpStream>;

/// A proxy running on 127.0.0.1, its reports collected.
pub struct Running {
    pub address: SocketAddr,
    pub reports: mpsc::UnboundedReceiver<Report>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Summary>,
}

impl Running {
    /// Stops the proxy (as SIGINT does) and returns its overall summary.
    pub async fn stop(mut self) -> (Summary, Vec<Report>) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let summary = tokio::time::timeout(LIMIT, self.task).await.expect("the proxy stops").expect("no panic");
        let mut reports = Vec::new();
        while let Ok(report) = self.reports.try_recv() {
            reports.push(report);
        }
        (summary, reports)
    }

    /// Waits for the proxy to end by itself (`once`), and returns its overall summary.
    pub async fn ended(self) -> Summary {
        tokio::time::timeout(LIMIT, self.task).await.expect("the proxy ends by itself").expect("no panic")
    }

    /// Reports until the next connection closes (included).
    pub async fn until_closed(&mut self) -> Vec<Report> {
        let mut reports = Vec::new();
        loop {
            let report =
                tokio::time::timeout(LIMIT, self.reports.recv()).await.expect("a report in time").expect("open");
            let closed = matches!(report, Report::Closed(_));
            reports.push(report);
            if closed {
                return reports;
            }
        }
    }
}

/// Options for an upstream at `url`, with defaults for the rest.
pub fn options(url: &str) -> Options {
    Options {
        upstream: Upstream::parse(url).expect("upstream URL"),
        tls: None,
        once: false,
        reply_timeout: Some(35.0),
        limits: Limits { max_line_bytes: 16 << 20 },
        record: None,
        max_connections: 64,
        handshake_timeout: zenith_proxy::HANDSHAKE_TIMEOUT,
    }
}

/// Starts a proxy on 127.0.0.1 with `options`.
pub async fn proxy(options: Options) -> Running {
    let proxy = Proxy::bind("127.0.0.1:0".parse().unwrap(), options).await.expect("bind");
    let address = proxy.local_addr().unwrap();
    let (reports_in, reports) = mpsc::unbounded_channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(proxy.run(
        async {
            let _ = stopped.await;
        },
        move |report| {
            let _ = reports_in.send(report);
        },
    ));
    Running { address, reports, stop: Some(stop), task }
}

/// A listener for the upstream server, on 127.0.0.1.
pub async fn upstream() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    (listener, url)
}

/// Accepts one websocket connection on `listener`, agreeing to `subprotocol` when the client
/// offers it.
pub async fn accept(listener: &TcpListener, subprotocol: Option<&'static str>) -> Server {
    let (tcp, _) = tokio::time::timeout(LIMIT, listener.accept()).await.expect("a connection in time").unwrap();
    let callback = move |request: &Request, mut response: Response| {
        let offered = request.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()).unwrap_or("");
        if let Some(protocol) = subprotocol.filter(|p| offered.split(',').any(|o| o.trim() == *p)) {
            response.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static(protocol));
        }
        Ok(response)
    };
    tokio_tungstenite::accept_hdr_async(tcp, callback).await.expect("server handshake")
}

/// Connects a websocket client to the proxy at `address`, offering `subprotocol`.
pub async fn connect(address: SocketAddr, path: &str, subprotocol: Option<&str>) -> Client {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{address}{path}").into_client_request().unwrap();
    if let Some(protocol) = subprotocol {
        request.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
    }
    let tcp = TcpStream::connect(address).await.expect("connect to the proxy");
    let (client, _) = tokio::time::timeout(LIMIT, tokio_tungstenite::client_async(request, tcp))
        .await
        .expect("connected in time")
        .expect("client handshake");
    client
}

/// Sends `message` from one end and asserts the other end receives it unchanged.
pub async fn pass<A, B>(from: &mut WebSocketStream<A>, to: &mut WebSocketStream<B>, message: Message)
where
    A: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    B: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    from.send(message.clone()).await.expect("sent");
    let received = loop {
        let next =
            tokio::time::timeout(LIMIT, to.next()).await.expect("received in time").expect("open").expect("read");
        // Pings are answered by the library; what the test sent is what matters.
        if !matches!(next, Message::Pong(_)) || matches!(message, Message::Pong(_)) {
            break next;
        }
    };
    assert_eq!(received, message);
}

/// The sends and receives of a JSON Lines capture: (`send`, text) in order.
pub fn session(path: &Path) -> Vec<(bool, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let item: serde_json::Value = serde_json::from_str(line).unwrap();
            (item["type"] == "send", item["data"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// A repository file.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// A fresh path in the temp dir.
pub fn temp(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("zenith-proxy-test-{}-{n}-{label}", std::process::id()))
}

/// A record file at a fresh path.
pub fn record(label: &str) -> (Record, PathBuf) {
    let path = temp(label);
    (Record::create(&path, false).unwrap(), path)
}

/// The findings `zenith check` gives a capture file.
pub fn check_file(path: &Path) -> (Vec<Finding>, Summary) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut checker = Checker::new(&path.display().to_string());
    let mut findings = Vec::new();
    zenith_capture::read(Format::Jsonl, file, Limits::default(), &mut |event| {
        checker.event(event, &mut |f| findings.push(f));
    })
    .unwrap();
    let summary = checker.finish(&mut |f| findings.push(f));
    (findings, summary)
}

/// What identifies a finding about a message, wherever it was found: its connection, index,
/// code and message.
pub fn key(finding: &Finding) -> (String, u64, String, String) {
    (finding.origin.connection().into_owned(), finding.index, finding.code.clone(), finding.message.clone())
}

/// The findings among reports.
pub fn findings(reports: &[Report]) -> Vec<&Finding> {
    reports.iter().filter_map(|r| if let Report::Finding(f) = r { Some(f) } else { None }).collect()
}

/// Closes the session from the client's side: the close handshake completes at both ends, and
/// the connections end.
pub async fn close(mut client: Client, mut server: Server) {
    client.close(None).await.expect("close sent");
    // The server answers the close as it reads it, then ends the stream.
    while let Ok(Some(Ok(_))) = tokio::time::timeout(LIMIT, server.next()).await {}
    drop(server);
    while let Ok(Some(Ok(_))) = tokio::time::timeout(LIMIT, client.next()).await {}
    drop(client);
}

/// The `Closed` report among reports (the last one).
pub fn closed(reports: &[Report]) -> &zenith_proxy::Closed {
    reports.iter().rev().find_map(|r| if let Report::Closed(c) = r { Some(c) } else { None }).expect("a Closed report")
}

/// The findings and summary `zenith check` gives a packet capture held in `bytes`.
pub fn check_pcap(bytes: &[u8]) -> (Vec<Finding>, Summary) {
    let mut checker = Checker::new("capture.pcap");
    let mut findings = Vec::new();
    zenith_capture::read(Format::Pcap, std::io::BufReader::new(bytes), Limits::default(), &mut |event| {
        checker.event(event, &mut |f| findings.push(f));
    })
    .unwrap();
    let mut summary = checker.finish(&mut |f| findings.push(f));
    summary.finalize();
    (findings, summary)
}

/// What identifies a finding about a message whatever its connection is named: its index,
/// code and message (a live or recorded connection is called `conn NAME` in messages, a
/// captured one just `NAME`).
pub fn unnamed(finding: &Finding) -> (u64, String, String) {
    let conn = finding.origin.connection().into_owned();
    let message = if conn.is_empty() {
        finding.message.clone()
    } else {
        finding.message.replace(&format!("conn {conn}"), "<conn>").replace(&conn, "<conn>")
    };
    (finding.index, finding.code.clone(), message)
}
