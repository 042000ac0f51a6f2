//! One client connection: its upgrade request read and sent on, the upstream's reply sent back,
//! then every byte relayed unchanged both ways, each direction's copy going to the checker.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use zenith_capture::{Code, Direction, Severity};

use crate::Shared;
use crate::head::{self, HeadError};
use crate::tap::{Tap, now};
use crate::upstream::Stream;

/// How long a client may take to send its upgrade request, and the upstream its reply, by
/// default.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The buffer each direction reads into: the most bytes of a connection in the proxy's hands
/// at once, per direction.
pub const RELAY_BUFFER_BYTES: usize = 16 * 1024;

/// Serves one client connection to its end; false when the client sent nothing at all (a
/// port probe).
pub(crate) async fn serve(mut client: TcpStream, peer: SocketAddr, id: u64, shared: Arc<Shared>) -> bool {
    let _ = client.set_nodelay(true);
    let conn = format!("{peer} -> {}", shared.upstream.address());
    let tap = Tap::open(id, &conn, shared.notes.clone(), shared.overall.clone());
    let (server, upgraded) = match handshake(&mut client, &tap, &shared).await {
        Ok(handshake) => handshake,
        Err(refused) => {
            let served = !refused.probe;
            refused.tell(&mut client, &tap).await;
            return served;
        }
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = tokio::io::split(server);
    let stop = tokio::sync::Notify::new();
    if !upgraded {
        refused_upgrade(client_read, client_write, server_read, server_write, &tap, &stop).await;
        return true;
    }
    let (up, down) = tokio::join!(
        pipe(client_read, server_write, Direction::Send, &tap, &stop),
        pipe(server_read, client_write, Direction::Receive, &tap, &stop),
    );
    tap.ending(ended(up, down));
    true
}

/// Why a connection is not relayed: what is reported, how it ended, and what the client is
/// answered, if anything.
struct Refused {
    level: Severity,
    /// What is reported; none when the connection ends without a finding.
    code: Option<Code>,
    message: String,
    why: String,
    answer: Option<(u16, String)>,
    /// The client sent nothing at all: a port probe, not a client.
    probe: bool,
}

impl Refused {
    fn new(code: Code, message: String, why: &str) -> Refused {
        Refused { level: Severity::Error, code: Some(code), message, why: why.to_owned(), answer: None, probe: false }
    }

    fn answered(mut self, status: u16, reason: impl Into<String>) -> Refused {
        self.answer = Some((status, reason.into()));
        self
    }

    /// Ended without a finding (the client left).
    fn quietly(why: String) -> Refused {
        Refused { level: Severity::Info, code: None, message: String::new(), why, answer: None, probe: false }
    }

    async fn tell(self, client: &mut TcpStream, tap: &Tap) {
        if let Some(code) = self.code {
            tap.problem(self.level, code, self.message);
        }
        tap.ending(self.why);
        if let Some((status, reason)) = self.answer {
            let _ = client.write_all(&head::answer(status, &reason)).await;
            let _ = client.shutdown().await;
        }
    }
}

/// The upgrade: the client's request read, sent on rewritten, and the upstream's reply head sent
/// back (whatever its status); every byte of it copied to the checker.
/// Returns the upstream's connection, and whether it agreed to the upgrade.
async fn handshake(client: &mut TcpStream, tap: &Tap, shared: &Shared) -> Result<(Stream, bool), Refused> {
    let limit = shared.handshake_timeout;
    let request = match tokio::time::timeout(limit, head::read(client)).await {
        Ok(read) => read.map_err(client_head)?,
        Err(_) => {
            let message = format!(
                "the client sent no complete upgrade request within {:.1} s: answered 408 and closed",
                limit.as_secs_f64()
            );
            let refused =
                Refused::new(Code::ClientUpgradeTimeout, message, "the client was too slow to ask for the upgrade");
            return Err(refused.answered(408, "no complete upgrade request in time"));
        }
    };
    let time = now();
    let rewritten = head::rewrite(&request.head, &shared.upstream).map_err(|refusal| {
        let message = format!("{}: answered {}", refusal.reason, refusal.status);
        Refused::new(Code::NotWebsocket, message, "the client's request was refused")
            .answered(refusal.status, refusal.reason)
    })?;
    let upstream = shared.upstream.address();
    let unreachable = |error: &dyn std::fmt::Display| {
        let message = format!("the upstream {upstream} cannot be reached: {error}; the client was answered 502");
        Refused::new(Code::UpstreamUnreachable, message, "the upstream could not be reached")
            .answered(502, format!("the upstream cannot be reached: {error}"))
    };
    let mut server = shared.upstream.connect(shared.tls.as_ref()).await.map_err(|e| unreachable(&e))?;
    // Only a request that goes on is copied (and counted as relayed), as the upstream gets it,
    // so that what its URL holds is known to the checker as well.
    tap.copy(Direction::Send, &rewritten, time);
    let sent = async {
        server.write_all(&rewritten).await?;
        server.flush().await
    };
    sent.await.map_err(|e| unreachable(&format!("sending the upgrade request failed ({})", e.kind())))?;
    let bad_reply = |what: String| {
        let message = format!("the upstream's reply to the upgrade {what}; the client was answered 502");
        Refused::new(Code::UpstreamBadReply, message, "the upstream's upgrade reply could not be read")
            .answered(502, format!("the upstream's reply to the upgrade {what}"))
    };
    let reply = match tokio::time::timeout(limit, head::read(&mut server)).await {
        Ok(read) => read.map_err(|e| bad_reply(format!("cannot be read: {e}")))?,
        Err(_) => return Err(bad_reply(format!("did not come within {:.1} s", limit.as_secs_f64()))),
    };
    let time = now();
    tap.copy(Direction::Receive, &reply.head, time);
    tap.copy(Direction::Receive, &reply.after, time);
    let status = head::status(&reply.head);
    if let Some(status) = status.filter(|s| *s != 101) {
        tap.ending(format!("the upstream refused the upgrade with status {status}"));
    }
    let sent = async {
        client.write_all(&reply.head).await?;
        client.write_all(&reply.after).await
    };
    sent.await.map_err(|_| Refused::quietly("the client closed during the upgrade".to_owned()))?;
    let upgraded = status == Some(101);
    // What the client sent right behind its request goes on only once the upgrade is agreed:
    // after a refusal the upstream would read it as a request with the client's own `Host`.
    if upgraded && !request.after.is_empty() {
        tap.copy(Direction::Send, &request.after, now());
        let sent = async {
            server.write_all(&request.after).await?;
            server.flush().await
        };
        sent.await.map_err(|e| Refused::quietly(format!("writing to the upstream failed ({})", e.kind())))?;
    }
    Ok((server, upgraded))
}

/// Why the client's request head could not be read.
fn client_head(error: HeadError) -> Refused {
    match error {
        HeadError::TooLong => {
            let message = format!(
                "the client's upgrade request head is longer than {} bytes: answered 431",
                head::MAX_HEAD_BYTES
            );
            Refused::new(Code::NotWebsocket, message, "the client's request was refused")
                .answered(431, "the request head is too long")
        }
        HeadError::Closed(0) => {
            Refused { probe: true, ..Refused::quietly("the client closed before sending anything".to_owned()) }
        }
        HeadError::Closed(bytes) => {
            let message = format!("the client closed after {bytes} bytes, inside its upgrade request");
            Refused {
                level: Severity::Warning,
                ..Refused::new(Code::WebsocketUpgradeCutOff, message, "the client closed inside its upgrade request")
            }
        }
        HeadError::Io(error) => Refused::quietly(format!("reading from the client failed ({})", error.kind())),
    }
}

/// After a refused upgrade: the rest of the upstream's answer (its body) goes to the client,
/// and nothing more of the client's goes on, since it would reach the upstream with its own
/// `Host`. The upstream is told no more is coming; the client's bytes are read and dropped until
/// it hangs up, which ends the connection.
async fn refused_upgrade(
    mut client_read: impl AsyncRead + Unpin,
    mut client_write: impl AsyncWrite + Unpin,
    server_read: impl AsyncRead + Unpin,
    mut server_write: impl AsyncWrite + Unpin,
    tap: &Tap,
    stop: &tokio::sync::Notify,
) {
    let _ = server_write.shutdown().await;
    // A client that only closed its sending side still reads the rest of the answer.
    let client_left = async {
        let mut dropped = [0u8; 1024];
        loop {
            match client_read.read(&mut dropped).await {
                Ok(0) => std::future::pending::<()>().await,
                Ok(_) => {}
                Err(_) => break,
            }
        }
    };
    tokio::select! {
        down = pipe(server_read, &mut client_write, Direction::Receive, tap, stop) => tap.ending(ended(End::Closed, down)),
        () = client_left => tap.ending("the client closed after the refused upgrade"),
    }
}

/// How a direction ended.
enum End {
    /// The sender closed its side.
    Closed,
    /// Reading from the sender failed.
    ReadFailed(std::io::Error),
    /// Writing to the receiver failed.
    WriteFailed(std::io::Error),
    /// The other direction failed.
    Stopped,
}

/// Relays one direction until its sender closes or either end fails; a failure stops the other
/// direction too, a close only half-closes the connection (the other direction goes on).
async fn pipe(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    direction: Direction,
    tap: &Tap,
    stop: &tokio::sync::Notify,
) -> End {
    let mut buffer = vec![0u8; RELAY_BUFFER_BYTES];
    let end = loop {
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            () = stop.notified() => break End::Stopped,
        };
        let read = match read {
            Ok(0) => break End::Closed,
            Ok(read) => read,
            Err(error) => break End::ReadFailed(error),
        };
        // Copied before it is sent on, so that a reply is never checked before its request.
        tap.copy(direction, &buffer[..read], now());
        let written = tokio::select! {
            written = to.write_all(&buffer[..read]) => written,
            () = stop.notified() => break End::Stopped,
        };
        if let Err(error) = written {
            break End::WriteFailed(error);
        }
    };
    match end {
        End::Closed => {
            let _ = to.shutdown().await;
        }
        End::ReadFailed(_) | End::WriteFailed(_) => stop.notify_one(),
        End::Stopped => {}
    }
    end
}

/// Why the connection ended, in words.
fn ended(up: End, down: End) -> String {
    match (up, down) {
        (End::ReadFailed(error), _) => format!("reading from the client failed ({})", error.kind()),
        (_, End::ReadFailed(error)) => format!("reading from the upstream failed ({})", error.kind()),
        (End::WriteFailed(error), _) => format!("writing to the upstream failed ({})", error.kind()),
        (_, End::WriteFailed(error)) => format!("writing to the client failed ({})", error.kind()),
        _ => "both sides closed".to_owned(),
    }
}

/// A client beyond the connections served at once: answered 503, and reported.
pub(crate) async fn busy(mut client: TcpStream, peer: SocketAddr, id: u64, shared: Arc<Shared>, limit: usize) -> bool {
    let conn = format!("{peer} -> {}", shared.upstream.address());
    let tap = Tap::open(id, &conn, shared.notes.clone(), shared.overall.clone());
    let message = format!("{limit} connections are open already: answered 503");
    let refused = Refused::new(Code::ProxyBusy, message, "the proxy was serving as many connections as it may");
    refused.answered(503, "too many connections").tell(&mut client, &tap).await;
    true
}
