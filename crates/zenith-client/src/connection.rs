//! The connection's life: one socket at a time, read and written by one task, and a new one
//! after a drop, on the real client's schedule, with the session restored.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::ClientError;
use crate::client::Inner;
use crate::connect::{self, Reader, Sending};

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
    /// The delays after signing in again failed (no answer within the sign-in timeout) in a
    /// row: 3 s, 3 s, 6 s, then `after_sign_in_failures` (20 s). A sign-in the server rejects
    /// is no failure to wait out: the client waits for a new one (see [`crate::Client::sign_in`]).
    pub sign_in_failures: Vec<Duration>,
    pub after_sign_in_failures: Duration,
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
            sign_in_failures: vec![s(3), s(3), s(6)],
            after_sign_in_failures: s(20),
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

    /// The delay before the next try after `failures` (at least one) failed sign-ins in a row.
    pub fn sign_in_delay(&self, failures: usize) -> Duration {
        self.sign_in_failures.get(failures.saturating_sub(1)).copied().unwrap_or(self.after_sign_in_failures)
    }
}

/// How a connection ended.
enum Ended {
    /// The client closed it.
    ByUs,
    /// The server closed it with a code (none: without one) and a reason; or it was lost.
    ByServer { code: Option<u16>, reason: String },
    /// Signing in again on it did not succeed, and the client closed it.
    SignIn(ClientError),
}

/// Restoring a new connection's session: signing in again, then subscribing again.
type Restoring = Pin<Box<dyn Future<Output = Result<(), ClientError>> + Send>>;

/// Reads `socket` (whose sending half the client holds), then each connection after it, until
/// the client closes or reconnecting ends. Frames to send in order arrive on `to_send`.
pub(crate) async fn drive(
    inner: Weak<Inner>,
    url: String,
    mut socket: Reader,
    sending: Arc<Sending>,
    mut to_send: mpsc::UnboundedReceiver<Frame>,
) {
    // Failed connections and failed sign-ins in a row.
    let (mut failures, mut sign_in_failures) = (0, 0);
    let mut restoring: Option<Restoring> = None;
    loop {
        let started = Instant::now();
        let ended = serve(&inner, &mut socket, &sending, &mut to_send, restoring.take(), &mut sign_in_failures).await;
        // Nothing more is written on this connection.
        sending.lock().await.take();
        let Some(client) = inner.upgrade() else { return };
        let reconnect = client.options().reconnect.clone();
        let delay = match ended {
            Ended::ByUs => return client.closed("closed by the client".to_owned()),
            Ended::ByServer { code, reason } => {
                if !reconnect.enabled || code.is_some_and(|code| code >= 4000) {
                    return client.closed(reason);
                }
                client.disconnected(&reason, false);
                failures = if started.elapsed() < reconnect.short_lived { failures + 1 } else { 0 };
                reconnect.delay(failures)
            }
            Ended::SignIn(error @ (ClientError::SignInRejected(_) | ClientError::Server { .. })) => {
                // The same sign-in would be rejected again: wait for a new one.
                client.disconnected(&format!("signing in again after reconnecting failed: {error}"), true);
                Duration::MAX
            }
            Ended::SignIn(error) => {
                client.disconnected(&format!("signing in again after reconnecting failed: {error}"), false);
                sign_in_failures += 1;
                reconnect.sign_in_delay(sign_in_failures)
            }
        };
        drop(client);
        socket = loop {
            if wait(&inner, delay, &mut to_send).await.is_none() {
                let Some(client) = inner.upgrade() else { return };
                return client.closed("closed by the client".to_owned());
            }
            let Some(client) = inner.upgrade() else { return };
            let options = client.options();
            match connect::connect(&url, &options.tls, options.encoding, options.connect_timeout).await {
                Ok(socket) => {
                    let (writer, reader) = socket.split();
                    *sending.lock().await = Some(writer);
                    client.connected();
                    break reader;
                }
                Err(_) => failures += 1,
            }
        };
        restoring = inner.upgrade().map(|client| Box::pin(client.restore()) as Restoring);
    }
}

/// Reads one connection until it ends, and writes what is queued for it, restoring its
/// session first when `restoring`.
async fn serve(
    inner: &Weak<Inner>,
    socket: &mut Reader,
    sending: &Sending,
    to_send: &mut mpsc::UnboundedReceiver<Frame>,
    mut restoring: Option<Restoring>,
    sign_in_failures: &mut usize,
) -> Ended {
    loop {
        tokio::select! {
            restored = restored(&mut restoring), if restoring.is_some() => {
                restoring = None;
                match restored {
                    Ok(()) => *sign_in_failures = 0,
                    Err(ClientError::Closed(_)) => {} // the connection ended meanwhile: its end follows
                    Err(error) => {
                        let close = CloseFrame { code: CloseCode::Normal, reason: "".into() };
                        let _ = write(sending, Frame::Close(Some(close))).await;
                        return Ended::SignIn(error);
                    }
                }
            }
            frame = socket.next() => {
                let Some(client) = inner.upgrade() else { return Ended::ByUs };
                match frame {
                    Some(Ok(frame @ (Frame::Text(_) | Frame::Binary(_)))) => {
                        match client.options().encoding.text(&frame) {
                            Ok(text) => client.received(&text),
                            Err(reason) => client.unreadable(&reason),
                        }
                        // Frames already buffered are read without waiting: each counts against
                        // the task's budget, so that the streams' consumers get their turn.
                        drop(client);
                        tokio::task::consume_budget().await;
                    }
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
                let frame = frame.unwrap_or(Frame::Close(None));
                let closing = matches!(frame, Frame::Close(_));
                if let Err(error) = write(sending, frame).await {
                    return Ended::ByServer { code: None, reason: error.to_string() };
                }
                if closing {
                    return Ended::ByUs;
                }
            }
        }
    }
}

/// Writes a frame on the connection, while it is open.
async fn write(sending: &Sending, frame: Frame) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    match sending.lock().await.as_mut() {
        Some(writer) => writer.send(frame).await,
        None => Ok(()),
    }
}

/// How restoring the session went, once it has; never when there is nothing to restore.
async fn restored(restoring: &mut Option<Restoring>) -> Result<(), ClientError> {
    match restoring {
        Some(restoring) => restoring.await,
        None => std::future::pending().await,
    }
}

/// Waits `delay` between connections, or less when a new sign-in is given meanwhile; `None`
/// when the client closes meanwhile (frames sent while no connection is open are dropped:
/// their calls fail or time out).
async fn wait(inner: &Weak<Inner>, delay: Duration, to_send: &mut mpsc::UnboundedReceiver<Frame>) -> Option<()> {
    let new_sign_in = inner.upgrade()?.new_sign_in();
    let sleep = async {
        match tokio::time::Instant::now().checked_add(delay) {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return Some(()),
            _ = new_sign_in.notified() => return Some(()),
            frame = to_send.recv() => match frame {
                None | Some(Frame::Close(_)) => return None,
                Some(_) => {}
            },
        }
    }
}

/// The client's side of a reconnection, shared with [`drive`].
impl Inner {
    /// A new connection is open: sign in again as last time (or with the sign-in given since),
    /// then subscribe again to every topic, each stream told first that its state starts
    /// afresh; calls are refused until then. Who gave a new sign-in learns how it went.
    async fn restore(self: Arc<Self>) -> Result<(), ClientError> {
        if let Some(sign_in) = self.last_sign_in() {
            let signed_in = self.sign_in(sign_in, true).await;
            self.signed_in_again(&signed_in);
            signed_in?;
        }
        self.resubscribe();
        Ok(())
    }
}
