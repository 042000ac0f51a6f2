//! The listener and each connection: the websocket handshake, messages in and out, the ticks.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use tokio::net::{TcpListener, TcpStream};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};

use zenith_capture::{Body, Code, Event as CaptureEvent, Frame, Origin};
use zenith_check::{Checker, Finding};
use zenith_protocol::Direction;

use crate::codec::Codec;
use crate::faults::{Faults, Spoiled};
use crate::scenario::{Scenario, ScenarioError};
use crate::session::{Counts, Session, Shared};
use crate::users::Users;

/// How the mock serves.
#[derive(Debug)]
pub struct Options {
    /// Where to listen: loopback unless a users file is given.
    pub listen: SocketAddr,
    pub users: Users,
    /// Whether `users` came from a file (else it is the default user, for loopback only).
    pub users_file: bool,
    /// Pushes per second for each subscription.
    pub rate: f64,
    /// The data is the same for the same seed.
    pub seed: u64,
    /// Serve one connection, then stop.
    pub once: bool,
    /// The most connections served at once; more are refused with 503.
    pub max_connections: usize,
    /// The longest message (and frame) a client may send.
    pub max_message_bytes: usize,
    /// Misbehaviour on demand.
    pub faults: Faults,
    /// Answer as a capture's server did (`--replay`): each connection plays its receive side.
    pub replay: Option<PathBuf>,
    /// How much faster than recorded a replay goes (`f64::INFINITY`: no waiting).
    pub speed: f64,
}

impl Options {
    /// Defaults for `listen`: the default user, 1 push per second, seed 0, 256 connections,
    /// messages up to 1 MiB.
    pub fn new(listen: SocketAddr) -> Options {
        Options {
            listen,
            users: Users::demo(),
            users_file: false,
            rate: 1.0,
            seed: 0,
            once: false,
            max_connections: 256,
            max_message_bytes: 1 << 20,
            faults: Faults::default(),
            replay: None,
            speed: 1.0,
        }
    }
}

/// Why the mock cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error(
        "{0} is not a loopback address, and the default user `demo` may only be served on loopback: give a users file with --users"
    )]
    DemoBeyondLoopback(SocketAddr),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error("the push rate must be from 0.001 to 100000 a second, not {0}")]
    Rate(f64),
    #[error("--replay: {0}")]
    Replay(#[from] ScenarioError),
}

/// What the mock tells as it serves.
#[derive(Debug)]
pub enum Event {
    /// A finding on a client's message, as `zenith check` would give it, as it happens.
    Finding(Box<Finding>),
    /// A connection ended.
    Closed(ConnectionReport),
}

/// How one connection went, reported when it ends.
#[derive(Debug, Clone)]
pub struct ConnectionReport {
    /// The connection's number, from 1 in order of arrival.
    pub id: u64,
    pub peer: SocketAddr,
    /// The subprotocol agreed.
    pub protocol: &'static str,
    /// The user signed in last, if any.
    pub user: Option<String>,
    pub counts: Counts,
    /// Findings on the client's messages, by level: errors, warnings.
    pub errors: u64,
    pub warnings: u64,
    /// How it ended, for a person.
    pub ended: String,
}

/// A mock serving in the background ([`Mock::spawn`]); dropping it stops the mock.
pub struct Running {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    /// What the mock tells as it serves.
    pub events: mpsc::UnboundedReceiver<Event>,
}

impl Running {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The URL a client connects to: `ws://{address}/Zenith?version=2.0`.
    pub fn url(&self) -> String {
        format!("ws://{}/Zenith?version=2.0", self.address)
    }

    /// Stops serving (closing every connection with 1001).
    pub fn stop(self) {
        let _ = self.stop.send(());
    }
}

/// A bound mock server.
pub struct Mock {
    listener: TcpListener,
    options: Options,
    /// The capture `--replay` plays, read once.
    replay: Option<Arc<Scenario>>,
}

impl Mock {
    /// Binds the listener; refuses to serve the default user beyond loopback.
    pub async fn bind(options: Options) -> Result<Mock, MockError> {
        if !options.listen.ip().is_loopback() && (!options.users_file || options.users.has_demo()) {
            return Err(MockError::DemoBeyondLoopback(options.listen));
        }
        if !(options.rate >= 0.001 && options.rate <= 100_000.0) {
            return Err(MockError::Rate(options.rate));
        }
        // A capture is read once, now (one that cannot be played back is refused); each
        // connection plays a copy of it.
        let replay = match &options.replay {
            Some(path) => Some(Arc::new(Scenario::load(path)?)),
            None => None,
        };
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|source| MockError::Listen { address: options.listen, source })?;
        Ok(Mock { listener, options, replay })
    }

    /// The address it listens on (the port the system picked, for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.options.listen)
    }

    /// Serves in the background, on the current tokio runtime, until the returned handle is
    /// stopped or dropped: a server for a client's tests, in-process.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mock = zenith_mock::Mock::bind(zenith_mock::Options::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    /// let running = mock.spawn();
    /// assert!(running.url().starts_with("ws://127.0.0.1:"));
    /// running.stop();
    /// # }
    /// ```
    pub fn spawn(self) -> Running {
        let address = self.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let (reports, events) = mpsc::unbounded_channel();
        tokio::spawn(self.run(
            async {
                let _ = stopped.await;
            },
            reports,
        ));
        Running { address, stop, events }
    }

    /// Serves until `shutdown` completes (or, with `once`, the first connection ends), sending
    /// each connection's report to `reports` as it ends.
    pub async fn run(self, shutdown: impl Future<Output = ()>, reports: mpsc::UnboundedSender<Event>) {
        let Mock { listener, options, replay } = self;
        let shared = Arc::new(Shared::new(options.users, options.seed, options.faults));
        let limits = Limits {
            tick: Duration::from_secs_f64(1.0 / options.rate),
            rate: options.rate,
            max_message_bytes: options.max_message_bytes,
            speed: options.speed,
        };
        let mut connections = JoinSet::new();
        let mut next_id = 0u64;
        // Connections still open when the mock stops are closed (1001) and summed up.
        let (stopping, stop) = watch::channel(false);
        // Whether a connection got past its handshake (`--once` serves the first that does).
        let served = Arc::new(AtomicBool::new(false));
        let refusing = Arc::new(AtomicUsize::new(0));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept(), if !(options.once && served.load(Relaxed)) => {
                    let (tcp, peer) = match accepted {
                        Ok(accepted) => accepted,
                        // Out of descriptors, say: wait rather than spin.
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    if connections.len() >= options.max_connections {
                        refuse(tcp, &refusing);
                        continue;
                    }
                    next_id += 1;
                    let (shared, reports, replay) = (Arc::clone(&shared), reports.clone(), replay.clone());
                    let ending = Ending { stop: stop.clone(), served: Arc::clone(&served) };
                    connections.spawn(async move {
                        let scenario = replay.map(|recorded| Scenario::clone(&recorded));
                        let accepted = Accepted { tcp, peer, id: next_id };
                        if let Some(report) = serve(accepted, shared, limits, scenario, ending, &reports).await {
                            let _ = reports.send(Event::Closed(report));
                        }
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {
                    if options.once && served.load(Relaxed) && connections.is_empty() {
                        break;
                    }
                }
            }
        }
        let _ = stopping.send(true);
        let closing = async { while connections.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(Duration::from_secs(3), closing).await;
        connections.shutdown().await;
    }
}

/// The longest pushes wait to be sent together.
const BATCH: Duration = Duration::from_millis(2);

/// The most pushes made at one wake of a connection (at most rates, a batch holds far fewer).
const MAX_BATCH: usize = 4096;

/// How long a client may leave what it is sent unread before its connection is closed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// How many rounds of pushes the rate owes at each wake: the time since the last, by the rate,
/// its fractions carried over; at most four wakes' worth, so that a connection behind (the mock
/// busy) catches up a little and every connection gets its turn.
struct Owed {
    rate: f64,
    last: tokio::time::Instant,
    credit: f64,
    most: f64,
}

impl Owed {
    /// For pushes at `rate` a round a second, the connection woken every `interval`.
    fn new(rate: f64, interval: Duration) -> Owed {
        // The first wake sends one round.
        let most = (rate * 4.0 * interval.as_secs_f64()).max(1.0);
        Owed { rate, last: tokio::time::Instant::now(), credit: 1.0, most }
    }

    /// Nothing is subscribed: nothing is owed for this time.
    fn idle(&mut self) {
        self.last = tokio::time::Instant::now();
        self.credit = self.credit.min(1.0);
    }

    fn now(&mut self) -> usize {
        let now = tokio::time::Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.credit = (self.credit + elapsed * self.rate).min(self.most);
        let rounds = self.credit.floor();
        self.credit -= rounds;
        rounds as usize
    }
}

/// What bounds each connection.
#[derive(Clone, Copy)]
struct Limits {
    tick: Duration,
    /// Pushes a second on each subscription.
    rate: f64,
    max_message_bytes: usize,
    speed: f64,
}

/// A connection just accepted, and its number.
struct Accepted {
    tcp: TcpStream,
    peer: SocketAddr,
    id: u64,
}

/// How a connection learns the mock is stopping, and tells that it got past its handshake.
struct Ending {
    stop: watch::Receiver<bool>,
    served: Arc<AtomicBool>,
}

/// The most connections answered 503 at once; past it, more are dropped unanswered.
const MAX_REFUSING: usize = 64;

/// Answers a connection past `--max-connections` with 503, briefly, outside the connections
/// served.
fn refuse(mut tcp: TcpStream, refusing: &Arc<AtomicUsize>) {
    if refusing.fetch_add(1, Relaxed) >= MAX_REFUSING {
        refusing.fetch_sub(1, Relaxed);
        return;
    }
    let refusing = Arc::clone(refusing);
    tokio::spawn(async move {
        let answer = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        let _ =
            tokio::time::timeout(Duration::from_secs(1), tokio::io::AsyncWriteExt::write_all(&mut tcp, answer)).await;
        refusing.fetch_sub(1, Relaxed);
    });
}

/// Serves one connection to its end.
async fn serve(
    accepted: Accepted,
    shared: Arc<Shared>,
    limits: Limits,
    mut scenario: Option<Scenario>,
    ending: Ending,
    events: &mpsc::UnboundedSender<Event>,
) -> Option<ConnectionReport> {
    let Accepted { tcp, peer, id } = accepted;
    let Ending { mut stop, served } = ending;
    let mut protocol = Codec::Json;
    let callback = |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        let offered = request.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok());
        match offered.map(Codec::choose) {
            Some(Some(codec)) => {
                protocol = codec;
                response.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static(codec.name()));
            }
            Some(None) => {
                return Err(refusal(StatusCode::BAD_REQUEST, "offer ZenithJson, ZenithMsgPack or ZenithBson"));
            }
            None => {}
        }
        Ok(response)
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(limits.max_message_bytes))
        .max_frame_size(Some(limits.max_message_bytes))
        // What waits to be sent to a client that does not read: then the connection's task
        // waits, and nobody else's.
        .write_buffer_size(128 << 10)
        // Clients send little: a small read buffer keeps each connection lean (and its reads cheap).
        .read_buffer_size(4 << 10)
        .max_write_buffer_size(4 << 20);
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(tcp, callback, Some(config));
    let mut socket = match tokio::time::timeout(Duration::from_secs(10), handshake).await {
        Ok(Ok(socket)) => socket,
        _ => return None,
    };
    served.store(true, Relaxed);
    let mut session = Session::new(&shared, id);
    let mut checking = Checking::new(id, peer, events);
    // Pushes go out in batches, at most 2 ms apart: each wake sends what the rate owes
    // since the last, in one write (one TCP segment, not one a push).
    let interval = limits.tick.max(BATCH);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut owed = Owed::new(limits.rate, interval);
    // A close on purpose (`--faults close=CODE@AFTER`).
    let kick = shared.faults.close;
    let kicked = tokio::time::sleep(kick.map_or(Duration::MAX / 4, |(_, after)| after));
    tokio::pin!(kicked);
    // A replay's messages, each due at its time, in order.
    let mut due: VecDeque<(tokio::time::Instant, serde_json::Value)> = VecDeque::new();
    if let Some(scenario) = scenario.as_mut() {
        schedule(&mut due, tokio::time::Instant::now(), scenario.opening_at(limits.speed));
    }
    let ended = loop {
        if session.subscriptions() == 0 {
            owed.idle();
        }
        let next_due = due.front().map(|(at, _)| *at);
        let outgoing = tokio::select! {
            incoming = socket.next() => match incoming {
                None => break "the client went away".to_owned(),
                Some(Err(tungstenite::Error::Capacity(error))) => {
                    let reason = format!("message too long: {error}");
                    close(&mut socket, CloseCode::Size, &reason).await;
                    break reason;
                }
                Some(Err(error)) => break format!("the connection failed: {error}"),
                Some(Ok(Message::Close(frame))) => {
                    // Sends the close frame tungstenite answers it with.
                    let _ = tokio::time::timeout(Duration::from_secs(1), socket.flush()).await;
                    break match frame {
                        Some(frame) => format!("the client closed it ({} {})", u16::from(frame.code), frame.reason),
                        None => "the client closed it".to_owned(),
                    };
                }
                Some(Ok(message)) => match protocol.decode(&message) {
                    Some(Ok(text)) => {
                        checking.message(Direction::Send, &text);
                        let replayed = scenario.as_mut().and_then(|scenario| {
                            let message = serde_json::from_str(&text).ok()?;
                            scenario.answer(&message, limits.speed)
                        });
                        match replayed {
                            // As recorded; a message the capture does not hold is answered as
                            // the schemas say.
                            Some(answer) => {
                                // A sign-in the recorded server accepted signs the session in
                                // too, for what the capture does not hold.
                                if answer.iter().any(|(_, m)| m["Controller"] == "Auth" && m["Data"]["Result"] == "Success") {
                                    session.signed_in_by_replay();
                                }
                                schedule(&mut due, tokio::time::Instant::now(), answer);
                                Vec::new()
                            }
                            None => session.receive(&text),
                        }
                    }
                    Some(Err(reason)) => {
                        close(&mut socket, CloseCode::Unsupported, &reason).await;
                        break reason;
                    }
                    None => Vec::new(),
                },
            },
            _ = ticks.tick(), if session.subscriptions() > 0 => {
                let mut out = Vec::new();
                for _ in 0..owed.now() {
                    out.extend(session.tick());
                    if out.len() >= MAX_BATCH {
                        break;
                    }
                }
                out
            }
            _ = stop.changed() => {
                close(&mut socket, CloseCode::Away, "the mock is stopping").await;
                break "the mock stopped".to_owned();
            }
            () = tokio::time::sleep_until(next_due.unwrap_or_else(tokio::time::Instant::now)), if next_due.is_some() => {
                let now = tokio::time::Instant::now();
                let mut out = Vec::new();
                while due.front().is_some_and(|(at, _)| *at <= now) {
                    out.extend(due.pop_front().map(|(_, message)| message));
                }
                out
            }
            () = &mut kicked, if kick.is_some() => {
                let code = kick.map_or(4000, |(code, _)| code);
                let reason = if code == 4000 { "kicked off (a fault on purpose)" } else { "closed (a fault on purpose)" };
                close(&mut socket, CloseCode::from(code), reason).await;
                break format!("closed with {code} on purpose");
            }
        };
        if let Some(stall) = session.take_stall() {
            tokio::time::sleep(stall).await;
        }
        // A client that leaves what it is sent unread past the timeout is let go.
        let sending = async {
            for message in outgoing {
                if let Some(slow) = shared.faults.slow {
                    tokio::time::sleep(slow).await;
                }
                // Its answers, not its data, keep the checker's pairing and subscriptions right.
                if message.get("TransactionID").is_some() || message.get("Action").is_some() {
                    checking.message(Direction::Receive, &message.to_string());
                }
                let frame = match session.dice.spoil(message) {
                    Spoiled::Message(message) => protocol.encode(&message),
                    Spoiled::Text(text) => Message::text(text),
                };
                socket.feed(frame).await?;
            }
            socket.flush().await
        };
        match tokio::time::timeout(SEND_TIMEOUT, sending).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => break format!("sending failed: {error}"),
            Err(_) => break format!("the client read nothing for {} s", SEND_TIMEOUT.as_secs()),
        }
    };
    let (errors, warnings) = checking.finish();
    Some(ConnectionReport {
        id,
        peer,
        protocol: protocol.name(),
        user: session.user().map(str::to_owned),
        counts: session.counts.clone(),
        errors,
        warnings,
        ended,
    })
}

/// The client's messages checked as `zenith check` checks a capture, its findings told as they
/// come. The mock's data is made from the schemas, so only its answers go in beside them.
struct Checking<'e> {
    checker: Checker,
    origin: Origin,
    events: &'e mpsc::UnboundedSender<Event>,
    errors: u64,
    warnings: u64,
    /// Findings told so far (at most [`MAX_TOLD`]; the rest are counted only).
    told: u64,
}

/// The most findings told of one connection; past it they are counted in its summary only, so
/// that a client sending broken messages as fast as it can does not fill memory with them.
pub const MAX_TOLD: u64 = 1_000;

impl<'e> Checking<'e> {
    fn new(id: u64, peer: SocketAddr, events: &'e mpsc::UnboundedSender<Event>) -> Checking<'e> {
        let origin = Origin::Live { conn: format!("{id} ({peer})").into() };
        Checking { checker: Checker::new("mock"), origin, events, errors: 0, warnings: 0, told: 0 }
    }

    fn message(&mut self, direction: Direction, text: &str) {
        let frame = Frame {
            origin: self.origin.clone(),
            time: None,
            direction: Some(direction),
            body: Body::Text(text.to_owned()),
        };
        let Checking { checker, events, errors, warnings, told, .. } = self;
        checker.event(CaptureEvent::Frame(frame), &mut |finding| tell(finding, events, errors, warnings, told));
    }

    /// Ends the checking: the last findings (requests the client never saw answered are the
    /// mock's doing, and not told), and the counts by level.
    fn finish(self) -> (u64, u64) {
        let Checking { checker, events, mut errors, mut warnings, mut told, .. } = self;
        checker.finish(&mut |finding| tell(finding, events, &mut errors, &mut warnings, &mut told));
        (errors, warnings)
    }
}

/// Tells a finding on a client's message; the mock's own messages are not its client's doing.
fn tell(finding: Finding, events: &mpsc::UnboundedSender<Event>, errors: &mut u64, warnings: &mut u64, told: &mut u64) {
    if finding.direction != Some(Direction::Send)
        || finding.code == Code::SubscriptionSilent.as_str()
        || finding.code == Code::UnansweredRequest.as_str()
    {
        return;
    }
    match finding.level {
        zenith_protocol::Severity::Error => *errors += 1,
        zenith_protocol::Severity::Warning => *warnings += 1,
        zenith_protocol::Severity::Info => {}
    }
    if *told < MAX_TOLD {
        *told += 1;
        let _ = events.send(Event::Finding(Box::new(finding)));
    }
}

/// Adds a replay's messages, each `delay` after `from`, keeping `due` in time order.
fn schedule(
    due: &mut VecDeque<(tokio::time::Instant, serde_json::Value)>,
    from: tokio::time::Instant,
    messages: Vec<(Duration, serde_json::Value)>,
) {
    for (delay, message) in messages {
        let at = from.checked_add(delay).unwrap_or(from + Duration::from_secs(86_400 * 365));
        let place = due.partition_point(|(other, _)| *other <= at);
        due.insert(place, (at, message));
    }
}

/// Closes the connection with a code and a reason (cut to fit a close frame).
async fn close<S>(socket: &mut tokio_tungstenite::WebSocketStream<S>, code: CloseCode, reason: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut cut = reason.len().min(120);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    let frame = CloseFrame { code, reason: reason[..cut].to_owned().into() };
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(Some(frame))).await;
}

fn refusal(status: StatusCode, reason: &str) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(reason.to_owned()));
    *response.status_mut() = status;
    response
}
