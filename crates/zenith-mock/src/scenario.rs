//! Scenarios from a capture: the server side of a recorded session, played back to a live client.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use zenith_capture::{Body, Direction, Event, Format, Limits, ReadError, TransportEvent, Unfolded};

/// Most server messages a scenario holds; a longer capture is refused.
pub const MAX_RECEIVED: usize = 1_000_000;

/// Most client messages a scenario holds, on the same grounds.
pub const MAX_SENT: usize = 1_000_000;

/// Most connection starts remembered while looking for the first connection's messages.
const MAX_STARTS: usize = 4096;

/// Why a capture cannot become a scenario. Messages name the file, never its content.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: cannot open the capture ({source}); give the path of a HAR, JSON Lines or pcap file")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a capture that `zenith check` reads ({source}); give a HAR, JSON Lines or pcap file")]
    NotCapture { path: PathBuf, source: ReadError },
    #[error(
        "{path}: holds no websocket messages; record the session as a HAR export with its websocket entries, JSON \
         Lines with one message item per line, or a pcap of the connection"
    )]
    NoMessages { path: PathBuf },
    #[error(
        "{path}: the messages do not say which side sent them; write each as a message item with `type` `send` or \
         `receive`"
    )]
    NoDirection { path: PathBuf },
    #[error(
        "{path}: the server sent nothing readable on the capture's first connection, so there is nothing to play \
         back; record a session with the server's messages in it"
    )]
    NoReceived { path: PathBuf },
    #[error("{path}: holds more than {limit} {side} messages, too many to play back; cut the capture shorter")]
    TooLarge { path: PathBuf, limit: usize, side: &'static str },
}

/// Which recorded client messages a live one may stand for: its Controller, Topic and Action,
/// each as JSON text (an absent Action is `Publish`, as the protocol reads it).
type Key = [Option<String>; 3];

/// One recorded client message and what the server sent after it, up to the next one.
#[derive(Clone)]
struct Exchange {
    time: Option<f64>,
    transaction: Option<Value>,
    replies: Vec<(Option<f64>, Value)>,
}

/// The server side of a recorded session, to play back against a live client. Its `Debug`
/// shows counts only: the messages may hold credentials.
#[derive(Clone)]
pub struct Scenario {
    /// When the connection started: its upgrade, or its first message.
    start: Option<f64>,
    /// What the server sent before the client's first message.
    /// Shared by every copy (each connection plays one); what a copy has played is in its
    /// `waiting` and `opened`.
    opening: Arc<[(Option<f64>, Value)]>,
    opened: bool,
    exchanges: Arc<[Exchange]>,
    /// For each key, the exchanges not played yet, in recorded order.
    waiting: HashMap<Key, VecDeque<usize>>,
    unmatched: usize,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("opening", &self.opening.len())
            .field("exchanges", &self.exchanges.len())
            .field("unmatched", &self.unmatched)
            .finish()
    }
}

impl Scenario {
    /// Reads a capture (any format `zenith check` reads; the first connection when it holds
    /// several), keeping what each side sent with its time.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let owned = || path.to_path_buf();
        let open = |source| ScenarioError::Open { path: owned(), source };
        let file = File::open(path).map_err(open)?;
        if file.metadata().map_err(open)?.is_dir() {
            return Err(open(std::io::Error::new(std::io::ErrorKind::IsADirectory, "a directory, not a file")));
        }
        let stop = Rc::new(Cell::new(false));
        let input = Stoppable { inner: file, stop: Rc::clone(&stop) };
        let limits = Limits::default();
        let (format, reader) = zenith_capture::sniff(input, limits.max_line_bytes).map_err(open)?;
        let reader: Box<dyn std::io::BufRead> = match format {
            Format::Jsonl => match zenith_capture::unfold(reader, limits.max_line_bytes).map_err(open)? {
                Unfolded::Lines(lines) | Unfolded::NotOneMessagePerLine(lines) | Unfolded::Document { lines, .. } => {
                    lines
                }
            },
            Format::Har | Format::Pcap => Box::new(reader),
        };
        let mut builder = Builder::default();
        let result = zenith_capture::read(format, reader, limits, &mut |event| {
            if !stop.get() && builder.event(event).is_err() {
                stop.set(true);
            }
        });
        if let Some(side) = builder.too_large {
            let limit = if side == "received" { MAX_RECEIVED } else { MAX_SENT };
            return Err(ScenarioError::TooLarge { path: owned(), limit, side });
        }
        result.map_err(|source| ScenarioError::NotCapture { path: owned(), source })?;
        builder.finish().map_err(|problem| problem(owned()))
    }

    /// The server messages sent before the client said anything (pushes at the start), with
    /// their delay from the connection's start, at the recorded pace. They are given once.
    pub fn opening(&mut self) -> Vec<(Duration, Value)> {
        self.opening_at(1.0)
    }

    /// As [`Scenario::opening`], with the delays scaled by `speed` as [`Scenario::answer`] does.
    pub fn opening_at(&mut self, speed: f64) -> Vec<(Duration, Value)> {
        if std::mem::replace(&mut self.opened, true) {
            return Vec::new();
        }
        let start = self.start;
        self.opening.iter().map(|(time, message)| (delay(start, *time, speed), message.clone())).collect()
    }

    /// What the server sends for one client message: the server messages recorded after the
    /// first recorded client message not played yet with the same Controller, Topic and Action,
    /// up to the next recorded client message (the answers, then any pushes). Each message that
    /// carried the recorded request's TransactionID carries the live one's instead. Each comes
    /// with its delay after the client's message as recorded, divided by `speed` (2.0 plays twice
    /// as fast, `f64::INFINITY` does not wait; a speed that is not above zero plays at the
    /// recorded pace). `None` when the capture holds no such client message (any more); an empty
    /// list when it does and the recorded server sent nothing after it.
    pub fn answer(&mut self, message: &Value, speed: f64) -> Option<Vec<(Duration, Value)>> {
        let index = self.waiting.get_mut(&key(message)).and_then(VecDeque::pop_front)?;
        self.unmatched = self.unmatched.saturating_sub(1);
        let exchange = self.exchanges.get(index)?;
        let live = message.get("TransactionID");
        let recorded = exchange.transaction.as_ref();
        let asked = exchange.time;
        exchange
            .replies
            .iter()
            .cloned()
            .map(|(time, mut reply)| {
                if let (Some(live), Some(recorded), Some(fields)) = (live, recorded, reply.as_object_mut())
                    && fields.get("TransactionID").is_some_and(|id| same_id(id, recorded))
                {
                    fields.insert("TransactionID".to_owned(), live.clone());
                }
                (delay(asked, time, speed), reply)
            })
            .collect::<Vec<_>>()
            .into()
    }

    /// How many recorded client messages were not matched yet (those that are not JSON can never
    /// be, and are not counted).
    pub fn unmatched(&self) -> usize {
        self.unmatched
    }
}

/// The Controller, Topic and Action a message names.
fn key(message: &Value) -> Key {
    let field = |name: &str| message.get(name).map(Value::to_string);
    let action = field("Action").or_else(|| Some("\"Publish\"".to_owned()));
    [field("Controller"), field("Topic"), action]
}

/// Whether two TransactionIDs are the same, numbers compared by value (`1` and `1.0`).
fn same_id(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The wait between two recorded times at `speed`, to the microsecond; none when either time
/// is unknown or they run backwards.
fn delay(from: Option<f64>, to: Option<f64>, speed: f64) -> Duration {
    let (Some(from), Some(to)) = (from, to) else { return Duration::ZERO };
    let speed = if speed > 0.0 { speed } else { 1.0 };
    let seconds = ((to - from) / speed).max(0.0);
    // The cast saturates, so a huge gap waits as long as a Duration can, and never panics.
    Duration::from_micros((seconds * 1e6).round() as u64)
}

/// A reader that stops with an error once the capture is known to be refused, so a huge file
/// is not read to its end for nothing.
struct Stoppable<R> {
    inner: R,
    stop: Rc<Cell<bool>>,
}

impl<R: Read> Read for Stoppable<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.get() {
            return Err(std::io::Error::other("reading stopped: the capture is too large"));
        }
        self.inner.read(buffer)
    }
}

/// A problem found once the whole capture is read, waiting for the file's path.
type Problem = fn(PathBuf) -> ScenarioError;

/// Gathers the first connection's messages as the capture is read.
#[derive(Default)]
struct Builder {
    /// The connection played back: the first one with a message.
    conn: Option<String>,
    /// Start times of connections seen before the first message, by name.
    starts: HashMap<String, f64>,
    start: Option<f64>,
    /// The last time read on the connection, standing in for messages recorded without one.
    last: Option<f64>,
    opening: Vec<(Option<f64>, Value)>,
    exchanges: Vec<Exchange>,
    waiting: HashMap<Key, VecDeque<usize>>,
    received: usize,
    undirected: usize,
    too_large: Option<&'static str>,
}

impl Builder {
    /// Takes one event of the capture; an error once it holds too many messages.
    fn event(&mut self, event: Event) -> Result<(), ()> {
        match event {
            Event::Transport(transport) => {
                let upgrade = matches!(transport.what, TransportEvent::Upgrade { .. });
                if let (true, None, Some(time)) = (upgrade, &self.conn, transport.time.filter(|t| t.is_finite()))
                    && self.starts.len() < MAX_STARTS
                {
                    self.starts.entry(transport.origin.connection().into_owned()).or_insert(time);
                }
                Ok(())
            }
            Event::Frame(frame) => {
                let text = match frame.body {
                    Body::Text(text) => Some(text),
                    Body::Binary(binary) => binary.decode().ok().map(|decoded| decoded.text),
                    Body::CaptureError(_) | Body::Unreadable(_) => return Ok(()),
                };
                let message = text.and_then(|text| serde_json::from_str::<Value>(&text).ok());
                if frame.direction.is_none() && message.is_none() {
                    // Neither side's, nor a message: a line of something else.
                    return Ok(());
                }
                let conn = frame.origin.connection();
                match &self.conn {
                    Some(chosen) if *chosen != conn => return Ok(()),
                    Some(_) => {}
                    None => {
                        let conn = conn.into_owned();
                        self.start = self.starts.get(&conn).copied().or(frame.time.filter(|t| t.is_finite()));
                        self.starts = HashMap::new();
                        self.conn = Some(conn);
                    }
                }
                if let Some(time) = frame.time.filter(|t| t.is_finite()) {
                    self.last = Some(time);
                }
                match frame.direction {
                    Some(Direction::Send) => self.sent(message),
                    Some(Direction::Receive) => self.receive(message),
                    None => {
                        self.undirected += 1;
                        Ok(())
                    }
                }
            }
            Event::Skipped(_) | Event::Context(_) => Ok(()),
        }
    }

    /// A client message; one that cannot be read still ends the answer before it, but is never
    /// matched.
    fn sent(&mut self, message: Option<Value>) -> Result<(), ()> {
        if self.exchanges.len() >= MAX_SENT {
            self.too_large = Some("sent");
            return Err(());
        }
        let index = self.exchanges.len();
        let transaction = message.as_ref().and_then(|m| m.get("TransactionID")).cloned();
        if let Some(message) = &message {
            self.waiting.entry(key(message)).or_default().push_back(index);
        }
        self.exchanges.push(Exchange { time: self.last, transaction, replies: Vec::new() });
        Ok(())
    }

    /// A server message, kept after the client message before it (or in the opening).
    fn receive(&mut self, message: Option<Value>) -> Result<(), ()> {
        let Some(message) = message else { return Ok(()) };
        if self.received >= MAX_RECEIVED {
            self.too_large = Some("received");
            return Err(());
        }
        self.received += 1;
        let item = (self.last, message);
        match self.exchanges.last_mut() {
            Some(exchange) => exchange.replies.push(item),
            None => self.opening.push(item),
        }
        Ok(())
    }

    fn finish(self) -> Result<Scenario, Problem> {
        if self.conn.is_none() {
            return Err(|path| ScenarioError::NoMessages { path });
        }
        if self.received == 0 {
            if self.exchanges.is_empty() && self.undirected > 0 {
                return Err(|path| ScenarioError::NoDirection { path });
            }
            return Err(|path| ScenarioError::NoReceived { path });
        }
        let unmatched = self.waiting.values().map(VecDeque::len).sum();
        Ok(Scenario {
            start: self.start,
            opening: self.opening.into(),
            opened: false,
            exchanges: self.exchanges.into(),
            waiting: self.waiting,
            unmatched,
        })
    }
}
