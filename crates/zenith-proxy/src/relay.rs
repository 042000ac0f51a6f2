//! One client connection: its upgrade request read and sent on, the upstream's reply sent back,
//! then every byte relayed unchanged both ways, each direction's copy going to the checker.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use zenith_capture::{Direction, Level};

use crate::Shared;
use crate::head::{self, HeadError};
use crate::tap::{Tap, now};

/// How long a client may take to send its upgrade request, and the upstream its reply, by
/// default.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The buffer each direction reads into: the most bytes of a connection in the proxy's hands
/// at once, per direction.
pub const RELAY_BUFFER_BYTES: usize = 16 * 1024;

/// Serves one client connection to its end.
pub(crate) async fn serve(mut client: TcpStream, peer: SocketAddr, id: u64, shared: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let conn = format!("{peer} -> {}", shared.upstream.address());
    let tap = Tap::open(id, &conn, shared.notes.clone(), shared.overall.clone());
    let request = match tokio::time::timeout(shared.handshake_timeout, head::read(&mut client)).await {
        Ok(Ok(request)) => request,
        Ok(Err(error)) => return refuse_head(&mut client, &tap, error).await,
        Err(_) => {
            let message = format!(
                "the client sent no complete upgrade request within {:.1} s: answered 408 and closed",
                shared.handshake_timeout.as_secs_f64()
            );
            tap.problem(Level::Error, "client-upgrade-timeout", message);
            tap.ending("the client was too slow to ask for the upgrade");
            return answer(&mut client, 408, "no complete upgrade request in time").await;
        }
    };
    let time = now();
    tap.copy(Direction::Send, &request.head, time);
    let rewritten = match head::rewrite(&request.head, &shared.upstream) {
        Ok(rewritten) => rewritten,
        Err(refusal) => {
            tap.problem(Level::Error, "not-websocket", format!("{}: answered {}", refusal.reason, refusal.status));
            tap.ending("the client's request was refused");
            return answer(&mut client, refusal.status, &refusal.reason).await;
        }
    };
    let mut server = match shared.upstream.connect(shared.tls.as_ref()).await {
        Ok(server) => server,
        Err(error) => {
            let message = format!(
                "the upstream {} cannot be reached: {error}; the client was answered 502",
                shared.upstream.address()
            );
            tap.problem(Level::Error, "upstream-unreachable", message);
            tap.ending("the upstream could not be reached");
            return answer(&mut client, 502, &format!("the upstream cannot be reached: {error}")).await;
        }
    };
    tap.copy(Direction::Send, &request.after, time);
    let sent = async {
        server.write_all(&rewritten).await?;
        server.write_all(&request.after).await?;
        server.flush().await
    };
    if let Err(error) = sent.await {
        tap.problem(Level::Error, "upstream-unreachable", format!("sending the upgrade request failed: {error}"));
        tap.ending("the upstream closed during the upgrade");
        return answer(&mut client, 502, "the upstream closed during the upgrade").await;
    }
    let reply = match tokio::time::timeout(shared.handshake_timeout, head::read(&mut server)).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(error)) => {
            let message =
                format!("the upstream's reply to the upgrade cannot be read: {error}; the client was answered 502");
            tap.problem(Level::Error, "upstream-bad-reply", message);
            tap.ending("the upstream's upgrade reply could not be read");
            return answer(&mut client, 502, "the upstream's upgrade reply cannot be read").await;
        }
        Err(_) => {
            let message = format!(
                "the upstream sent no complete reply to the upgrade within {:.1} s; the client was answered 502",
                shared.handshake_timeout.as_secs_f64()
            );
            tap.problem(Level::Error, "upstream-bad-reply", message);
            tap.ending("the upstream was too slow to reply to the upgrade");
            return answer(&mut client, 502, "the upstream did not reply to the upgrade in time").await;
        }
    };
    let time = now();
    tap.copy(Direction::Receive, &reply.head, time);
    tap.copy(Direction::Receive, &reply.after, time);
    if let Some(status) = head::status(&reply.head).filter(|s| *s != 101) {
        tap.ending(format!("the upstream refused the upgrade with status {status}"));
    }
    if client.write_all(&reply.head).await.is_err() || client.write_all(&reply.after).await.is_err() {
        tap.ending("the client closed during the upgrade");
        return;
    }
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = tokio::io::split(server);
    let stop = tokio::sync::Notify::new();
    let (up, down) = tokio::join!(
        pipe(client_read, server_write, Direction::Send, &tap, &stop),
        pipe(server_read, client_write, Direction::Receive, &tap, &stop),
    );
    tap.ending(ended(up, down));
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

/// Reports why the client's request head could not be read, and answers when it still can.
async fn refuse_head(client: &mut TcpStream, tap: &Tap, error: HeadError) {
    match error {
        HeadError::TooLong => {
            let message = format!(
                "the client's upgrade request head is longer than {} bytes: answered 431",
                head::MAX_HEAD_BYTES
            );
            tap.problem(Level::Error, "not-websocket", message);
            tap.ending("the client's request was refused");
            answer(client, 431, "the request head is too long").await;
        }
        HeadError::Closed(0) => tap.ending("the client closed before sending anything"),
        HeadError::Closed(bytes) => {
            let message = format!("the client closed after {bytes} bytes, inside its upgrade request");
            tap.problem(Level::Warning, "websocket-upgrade-cut-off", message);
            tap.ending("the client closed inside its upgrade request");
        }
        HeadError::Io(error) => tap.ending(format!("reading from the client failed ({})", error.kind())),
    }
}

/// The proxy's own answer to a client whose connection is not relayed.
async fn answer(client: &mut TcpStream, status: u16, reason: &str) {
    let _ = client.write_all(&head::answer(status, reason)).await;
    let _ = client.shutdown().await;
}

/// A client beyond the connections served at once: answered 503, and reported.
pub(crate) async fn busy(mut client: TcpStream, peer: SocketAddr, id: u64, shared: Arc<Shared>, limit: usize) {
    let conn = format!("{peer} -> {}", shared.upstream.address());
    let tap = Tap::open(id, &conn, shared.notes.clone(), shared.overall.clone());
    tap.problem(Level::Error, "proxy-busy", format!("{limit} connections are open already: answered 503"));
    tap.ending("the proxy was serving as many connections as it may");
    answer(&mut client, 503, "too many connections").await;
}
