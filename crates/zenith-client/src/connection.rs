//! The connection's life: one socket at a time, read and written by one task, and a new one
//! after a drop, on the real client's schedule, with the session restored.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::ClientError;
use crate::client::Inner;
use crate::connect::{self, Stream};

/// When to connect again after a connection ends, as the real client (motif-core) does: close
/// codes from 4000 (the server ended the session) never reconnect.
#[derive(Clone, Debug)]
pub struct Reconnect {
    /// Whether to reconnect at all.
    pub enabled: bool,
    /// A connection that lasted less than this counts as failed: 20 s.
    pub short_lived: Duration,
    /// The delays after failed connections in a row (50 ms, then 2 s four times, then 10 s
    /// three times), then `after_failures` for every further one (15 s).
    pub failures: Vec<Duration>,
    pub after_failures: Duration,
    /// The delay after a connection that lasted: 8 s.
    pub otherwise: Duration,
}

impl Default for Reconnect {
    fn default() -> Self {
        let s = Duration::from_secs;
        Reconnect {
            enabled: true,
            short_lived: s(20),
            failures: vec![Duration::from_millis(50), s(2), s(2), s(2), s(2), s(10), s(10), s(10)],
            after_failures: s(15),
            otherwise: s(8),
        }
    }
}

impl Reconnect {
    /// The delay before the next try, after `failures` failed connections in a row (none: the
    /// last connection lasted).
    pub fn delay(&self, failures: usize) -> Duration {
        match failures {
            0 => self.otherwise,
            n => self.failures.get(n - 1).copied().unwrap_or(self.after_failures),
        }
    }
}

/// How a connection ended.
enum Ended {
    /// The client closed it.
    ByUs,
    /// The server closed it with a code (none: without one) and a reason; or it was lost.
    ByServer { code: Option<u16>, reason: String },
}

/// Serves `socket`, then each connection after it, until the client closes or reconnecting
/// ends. Frames to send arrive on `to_send`.
pub(crate) async fn drive(
    inner: Weak<Inner>,
    url: String,
    mut socket: WebSocketStream<Stream>,
    mut to_send: mpsc::UnboundedReceiver<Frame>,
) {
    let mut failures = 0;
    loop {
        let started = Instant::now();
        let ended = serve(&inner, &mut socket, &mut to_send).await;
        let Some(client) = inner.upgrade() else { return };
        let (code, reason) = match ended {
            Ended::ByUs => return client.closed("closed by the client".to_owned()),
            Ended::ByServer { code, reason } => (code, reason),
        };
        let reconnect = client.options().reconnect.clone();
        if !reconnect.enabled || code.is_some_and(|code| code >= 4000) {
            return client.closed(reason);
        }
        client.disconnected(&reason);
        failures = if started.elapsed() < reconnect.short_lived { failures + 1 } else { 0 };
        drop(client);
        socket = loop {
            if wait(reconnect.delay(failures), &mut to_send).await.is_none() {
                let Some(client) = inner.upgrade() else { return };
                return client.closed("closed by the client".to_owned());
            }
            let Some(client) = inner.upgrade() else { return };
            let options = client.options();
            match connect::connect(&url, &options.tls, options.connect_timeout).await {
                Ok(socket) => break socket,
                Err(_) => failures += 1,
            }
        };
        if let Some(client) = inner.upgrade() {
            tokio::spawn(client.restore());
        }
    }
}

/// Reads and writes one socket until it ends.
async fn serve(
    inner: &Weak<Inner>,
    socket: &mut WebSocketStream<Stream>,
    to_send: &mut mpsc::UnboundedReceiver<Frame>,
) -> Ended {
    loop {
        tokio::select! {
            frame = socket.next() => {
                let Some(client) = inner.upgrade() else { return Ended::ByUs };
                match frame {
                    Some(Ok(Frame::Text(text))) => client.received(text.as_str()),
                    Some(Ok(Frame::Close(close))) => {
                        let code = close.as_ref().map(|c| u16::from(c.code));
                        let reason = close.map_or("closed by the server".to_owned(), |c| {
                            format!("closed by the server with {} {}", u16::from(c.code), c.reason)
                        });
                        return Ended::ByServer { code, reason };
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => return Ended::ByServer { code: None, reason: error.to_string() },
                    None => return Ended::ByServer { code: None, reason: "the server went away".to_owned() },
                }
            }
            frame = to_send.recv() => {
                let Some(frame) = frame else {
                    let _ = socket.close(None).await;
                    return Ended::ByUs;
                };
                let closing = matches!(frame, Frame::Close(_));
                if let Err(error) = socket.send(frame).await {
                    return Ended::ByServer { code: None, reason: error.to_string() };
                }
                if closing {
                    let _ = socket.flush().await;
                    return Ended::ByUs;
                }
            }
        }
    }
}

/// Waits `delay` between connections; `None` when the client closes meanwhile (frames sent
/// while no connection is open are dropped: their calls fail or time out).
async fn wait(delay: Duration, to_send: &mut mpsc::UnboundedReceiver<Frame>) -> Option<()> {
    let deadline = tokio::time::Instant::now() + delay;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return Some(()),
            frame = to_send.recv() => match frame {
                None | Some(Frame::Close(_)) => return None,
                Some(_) => {}
            },
        }
    }
}

/// The client's side of a reconnection, shared with [`drive`].
impl Inner {
    /// A new connection is open: sign in again as last time, then subscribe again to every
    /// topic, each stream told first that its state starts afresh; calls are refused until then. A
    /// sign-in the server refuses ends the client: reconnecting would only repeat it.
    async fn restore(self: Arc<Self>) {
        if let Some(sign_in) = self.last_sign_in() {
            match self.sign_in(sign_in, true).await {
                Ok(_) => {}
                Err(error @ (ClientError::SignInRejected(_) | ClientError::Server { .. })) => {
                    self.closed(format!("signing in again after reconnecting failed: {error}"));
                    self.close();
                    return;
                }
                // The new connection failed too: the next one restores the session.
                Err(_) => return,
            }
        }
        self.resubscribe();
    }
}
