//! A transparent websocket proxy that checks a live Zenith session as it is relayed.
//!
//! Clients connect to the proxy as they would to the server; each connection's upgrade request
//! goes on to the upstream (`ws://` or `wss://`) with its `Host` rewritten, and from then on
//! every byte is relayed unchanged both ways. A copy of each direction goes, without ever
//! holding up the relay, to one checking thread, which reads it with the same websocket,
//! inflating and decoding layers that read packet captures and checks every message as
//! `zenith check` does, reporting findings as they happen.

mod checking;
pub mod head;
pub mod record;
mod relay;
pub mod tap;
pub mod tls;
pub mod upstream;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc::Sender;

use tokio::net::TcpListener;
use zenith_capture::Limits;
use zenith_check::{Finding, Summary};

pub use record::Record;
pub use relay::{HANDSHAKE_TIMEOUT, RELAY_BUFFER_BYTES};
pub use tls::{Tls, TlsError, TlsOptions};
pub use upstream::{ConnectError, Upstream, UrlError};

/// The name findings give the live session, where `zenith check` names the capture file.
pub const SOURCE: &str = "proxy";
/// Connections served at once by default; more are answered 503.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// How the proxy runs.
pub struct Options {
    pub upstream: Upstream,
    /// TLS settings, for a `wss://` upstream.
    pub tls: Option<Tls>,
    /// Serve one client connection, then stop.
    pub once: bool,
    /// Seconds a request may wait for its reply before it is reported; `None`: never.
    pub reply_timeout: Option<f64>,
    /// The longest message read for checking (longer ones are relayed, and reported unreadable).
    pub limits: Limits,
    pub record: Option<Record>,
    /// Connections served at once; more are answered 503.
    pub max_connections: usize,
    /// How long a client may take to send its upgrade request, and the upstream its reply
    /// ([`HANDSHAKE_TIMEOUT`] by default).
    pub handshake_timeout: std::time::Duration,
}

/// What the proxy tells, as it happens.
#[derive(Debug)]
pub enum Report {
    /// A client connected; its connection is named `client -> upstream` in what follows.
    Opened { conn: String },
    /// A finding, as `zenith check` gives them, credentials hidden.
    Finding(Finding),
    /// A connection ended, with its summary.
    Closed(Closed),
    /// Something about the proxy itself (the record cannot be written).
    Notice(String),
}

/// A connection's end.
#[derive(Debug)]
pub struct Closed {
    pub conn: String,
    /// How it ended, in words.
    pub why: String,
    pub seconds: f64,
    /// The close frame each side sent, if any: the client's, then the server's.
    pub closes: [Option<CloseFrame>; 2],
    /// The bytes each side sent through the proxy.
    pub relayed: [u64; 2],
    /// The bytes of each side relayed but not checked (the checker fell behind).
    pub unchecked: [u64; 2],
    pub summary: Box<Summary>,
}

/// A websocket close frame: its code (none when it carries none) and reason (credentials
/// hidden).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    pub code: Option<u16>,
    pub reason: String,
}

/// What every connection shares.
pub(crate) struct Shared {
    upstream: Upstream,
    tls: Option<Tls>,
    handshake_timeout: std::time::Duration,
    notes: Sender<tap::Note>,
    overall: tap::Overall,
}

/// A proxy bound to its listening address.
pub struct Proxy {
    listener: TcpListener,
    options: Options,
}

impl Proxy {
    pub async fn bind(address: SocketAddr, options: Options) -> std::io::Result<Proxy> {
        Ok(Proxy { listener: TcpListener::bind(address).await?, options })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves clients until `shutdown` completes (or, with `once`, until the first client's
    /// connection ends), calling `report` from the checking thread as things happen. Returns
    /// the summary of every connection.
    pub async fn run(self, shutdown: impl Future<Output = ()>, report: impl FnMut(Report) + Send + 'static) -> Summary {
        let Proxy { listener, options } = self;
        let (notes, received) = std::sync::mpsc::channel();
        let overall: tap::Overall = Arc::new(AtomicUsize::new(0));
        let settings = checking::Settings {
            source: SOURCE.to_owned(),
            limits: options.limits,
            reply_timeout: options.reply_timeout,
            record: options.record,
            overall: overall.clone(),
        };
        let mut report = report;
        let checker = std::thread::Builder::new()
            .name("zenith-proxy-check".into())
            .spawn(move || checking::run(received, settings, &mut report));
        let shared = Arc::new(Shared {
            upstream: options.upstream,
            tls: options.tls,
            handshake_timeout: options.handshake_timeout,
            notes,
            overall,
        });
        let slots = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
        let mut connections = tokio::task::JoinSet::new();
        let mut next_id = 0u64;
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
                // Finished connections are let go of as they end.
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            };
            let Ok((client, peer)) = accepted else {
                // Out of file descriptors, or a connection reset before it was accepted: a
                // moment's pause, then on.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            next_id += 1;
            let shared = shared.clone();
            match slots.clone().try_acquire_owned() {
                Ok(slot) => {
                    connections.spawn(async move {
                        let served = relay::serve(client, peer, next_id, shared).await;
                        drop(slot);
                        served
                    });
                }
                Err(_) => {
                    connections.spawn(relay::busy(client, peer, next_id, shared, options.max_connections));
                }
            }
            // With `once`, the first client's connection ends the proxy once it ends; a
            // connection that closes without sending anything (a port probe) does not count.
            if options.once {
                let served = tokio::select! {
                    () = &mut shutdown => break,
                    done = connections.join_next() => matches!(done, Some(Ok(true))),
                };
                if served {
                    break;
                }
            }
        }
        // Connections still open are cut: each one's copy closes as its task is dropped.
        connections.shutdown().await;
        drop(shared);
        let joined = tokio::task::spawn_blocking(move || checker.map(|thread| thread.join()));
        match joined.await {
            Ok(Ok(Ok(summary))) => summary,
            _ => Summary::default(),
        }
    }
}
