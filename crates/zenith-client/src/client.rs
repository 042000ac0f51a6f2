//! The client: one connection, its requests matched to replies by TransactionID, its
//! subscriptions shared by topic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use zenith_protocol::ErrorMessage;
use zenith_protocol::auth::IdentityResult;
use zenith_protocol::{
    Action, AuthResult, Direction, EnvelopeKeys, EnvelopeText, Message, MessageEnvelope, MessageKind, ParseError,
    Request, SubRequest, Subscribe, TransactionId, UnsubRequest,
};

use crate::ClientError;
use crate::connect::{self, Sending, Tls};
use crate::connection::{self, Reconnect};
use crate::encoding::Encoding;
use crate::state::State;
use crate::subscription::{Event, Received, Stream, Subscription};

/// How the client connects, waits and retries.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long opening the connection (TCP, TLS, websocket) may take: 40 s, as the real client.
    pub connect_timeout: Duration,
    /// How long a request waits for its reply: 35 s, the server's own limit.
    pub request_timeout: Duration,
    /// How long a sign-in waits for its answer: 40 s, as the real client.
    pub sign_in_timeout: Duration,
    /// The delays before each new try of a request answered `Retry`; a request the schemas mark
    /// as acting twice when sent twice (PlaceOrder, AmendOrder, CancelOrder, MoveOrder) is never
    /// tried again.
    pub retry_delays: Vec<Duration>,
    /// How many pushes a subscription's stream holds for a consumer that has not read them;
    /// past that, pushes are counted as missed and the stream says so ([`Event::Lagged`]).
    pub stream_buffer: usize,
    /// Whom `wss://` trusts.
    pub tls: Tls,
    /// How messages travel: JSON text unless a binary encoding is chosen.
    pub encoding: Encoding,
    /// When to connect again after the connection ends.
    pub reconnect: Reconnect,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Duration::from_secs(40),
            request_timeout: Duration::from_secs(35),
            sign_in_timeout: Duration::from_secs(40),
            retry_delays: vec![Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4)],
            stream_buffer: 1024,
            tls: Tls::default(),
            encoding: Encoding::default(),
            reconnect: Reconnect::default(),
        }
    }
}

/// A connection to a Zenith server. Cloning is cheap: clones share the connection, which
/// closes (with 1000) when the last clone and the last subscription are dropped.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// What the client's handles and its reading task share.
pub(crate) struct Inner {
    options: Options,
    /// Frames for the connection's task to send, in order: subscriptions, and what is sent
    /// where nothing can wait (a dropped stream's `Unsub`, the closing frame).
    outgoing: mpsc::UnboundedSender<Frame>,
    /// The connection's sending half while one is open: a request is written by its caller,
    /// with no hand-over to another task.
    writer: Arc<Sending>,
    next_transaction: AtomicI64,
    next_stream: AtomicU64,
    session: Mutex<Session>,
    /// Told when a sign-in is given while the connection is down: the next one need not wait.
    new_sign_in: Arc<Notify>,
}

#[derive(Default)]
struct Session {
    /// Requests waiting for their reply, by TransactionID.
    pending: HashMap<TransactionId, oneshot::Sender<Result<Message, ClientError>>>,
    /// Subscriptions by controller and full topic.
    topics: HashMap<(String, String), Topic>,
    /// Why the client ended, once it has.
    closed: Option<String>,
    /// Why the connection is down while the client connects again.
    down: Option<String>,
    /// The last sign-in that succeeded (or the one given while the connection was down), sent
    /// again after reconnecting.
    last_sign_in: Option<Message>,
    /// Who gave a sign-in while the connection was down, waiting to learn how it went.
    signing_in: Vec<oneshot::Sender<Result<IdentityResult, ClientError>>>,
}

/// One server subscription and the local streams that share it.
struct Topic {
    streams: Vec<(u64, Stream)>,
    /// Confirmed by the server.
    live: bool,
    /// Callers waiting for the confirmation.
    waiting: Vec<oneshot::Sender<Result<(), ClientError>>>,
    /// What the pushes so far hold, shared by the topic's streams.
    held: Arc<Mutex<State>>,
    /// The `Sub` to send again after reconnecting.
    sub: String,
    /// The `Unsub` to send when the last stream goes.
    unsub: String,
}

impl Client {
    /// Connects to `url` (`ws://` or `wss://`) and starts reading what the server sends.
    pub async fn connect(url: &str, options: Options) -> Result<Client, ClientError> {
        let socket = connect::connect(url, &options.tls, options.encoding, options.connect_timeout).await?;
        let (writer, socket) = socket.split();
        let (outgoing, to_send) = mpsc::unbounded_channel::<Frame>();
        let inner = Arc::new(Inner {
            options,
            outgoing,
            writer: Arc::new(tokio::sync::Mutex::new(Some(writer))),
            next_transaction: AtomicI64::new(1),
            next_stream: AtomicU64::new(1),
            session: Mutex::new(Session::default()),
            new_sign_in: Arc::new(Notify::new()),
        });
        let sending = Arc::clone(&inner.writer);
        tokio::spawn(connection::drive(Arc::downgrade(&inner), url.to_owned(), socket, sending, to_send));
        Ok(Client { inner })
    }

    /// Sends `request` and gives its reply, typed as the schemas relate them; an `Error` reply
    /// is [`ClientError::Server`]. A `Retry` is tried again after the configured delays, unless
    /// the request is an order's.
    pub async fn request<R: Request>(&self, request: R) -> Result<R::Reply, ClientError> {
        let kind = request.kind();
        let reply = self.inner.call(request.into(), false, self.inner.options.request_timeout).await?;
        // A reply on another of the request's reply topics has the same shape: it reads as one.
        R::Reply::try_from(reply).or_else(|other| {
            serde_json::from_value(other.to_value()).map_err(|e| ClientError::UnexpectedReply {
                kind,
                reason: format!("a {} came back: {e}", other.kind()),
            })
        })
    }

    /// Signs in with an `AuthOwner`, `AuthToken` or `AuthCode` request, giving the identity the
    /// server grants; a rejection is [`ClientError::SignInRejected`]. The client signs in the
    /// same way after reconnecting. Signing in again (with a new access token, say) on a live
    /// connection replaces it; while the connection is down, the sign-in is kept for the next
    /// one, which is opened at once: after the server rejected signing in again, the client
    /// reconnects only once it is given a new sign-in this way.
    pub async fn sign_in<R: Request>(&self, request: R) -> Result<IdentityResult, ClientError> {
        let message: Message = request.into();
        let kept = {
            let mut session = self.inner.lock();
            match (&session.closed, &session.down) {
                (None, Some(_)) => {
                    let (told, outcome) = oneshot::channel();
                    session.last_sign_in = Some(message.clone());
                    session.signing_in.push(told);
                    Some(outcome)
                }
                _ => None,
            }
        };
        let Some(outcome) = kept else { return self.inner.sign_in(message, false).await };
        self.inner.new_sign_in.notify_one();
        let options = &self.inner.options;
        let timeout = options.connect_timeout + options.sign_in_timeout;
        match tokio::time::timeout(timeout, outcome).await {
            Ok(Ok(signed_in)) => signed_in,
            Ok(Err(_)) => Err(self.inner.closed_error()),
            Err(_) => Err(ClientError::Timeout { kind: message.kind(), timeout }),
        }
    }

    /// Subscribes to `topic` (with `Confirm`), giving a stream of its pushes once the server has
    /// confirmed. Several streams of one topic share one server subscription; the `Unsub` goes
    /// when the last is dropped.
    pub async fn subscribe<T: Subscribe>(&self, topic: T) -> Result<Subscription<T::Push>, ClientError> {
        let key = (T::CONTROLLER.to_owned(), topic.to_string());
        let id = self.inner.next_stream.fetch_add(1, Ordering::Relaxed);
        let (stream, events) = Stream::new(self.inner.options.stream_buffer);
        let (confirmed, confirmation) = oneshot::channel();
        let mut to_send = None;
        let held = {
            let mut session = self.inner.lock();
            session.usable()?;
            match session.topics.get_mut(&key) {
                Some(shared) => {
                    shared.streams.push((id, stream));
                    match shared.live {
                        true => drop(confirmed.send(Ok(()))),
                        false => shared.waiting.push(confirmed),
                    }
                    Arc::clone(&shared.held)
                }
                None => {
                    let unsub = text(&UnsubRequest::for_topic(topic.clone()))?;
                    let sub = text(&SubRequest::for_topic(topic).confirm(true))?;
                    to_send = Some(sub.clone());
                    let held = Arc::new(Mutex::new(State::default()));
                    let streams = vec![(id, stream)];
                    let shared =
                        Topic { streams, live: false, waiting: vec![confirmed], held: Arc::clone(&held), sub, unsub };
                    session.topics.insert(key.clone(), shared);
                    held
                }
            }
        };
        if let Some(sub) = to_send {
            self.inner.send(sub)?;
        }
        let subscription = Subscription::new(Arc::clone(&self.inner), key, id, events, held);
        let timeout = self.inner.options.request_timeout;
        match tokio::time::timeout(timeout, confirmation).await {
            Ok(Ok(Ok(()))) => Ok(subscription),
            Ok(Ok(Err(error))) => Err(error),
            Ok(Err(_)) => Err(self.inner.closed_error()),
            Err(_) => Err(ClientError::Timeout { kind: MessageKind::SubRequest, timeout }),
        }
    }

    /// Closes the connection with 1000 (normal closure) and stops reconnecting; calls still
    /// waiting end with [`ClientError::Closed`].
    pub fn close(&self) {
        self.inner.close();
    }
}

/// The code an `Error` message carries as its `Data`.
fn code(error: &ErrorMessage) -> Option<&str> {
    error.data.as_ref().and_then(|data| data.as_str())
}

/// A message as the text that goes on the wire.
fn text(message: &impl serde::Serialize) -> Result<String, ClientError> {
    serde_json::to_string(message)
        .map_err(|e| ClientError::Invalid(format!("the message cannot be written as JSON: {e}")))
}

impl Session {
    /// An error when no call can go now: the client ended, or it is connecting again.
    fn usable(&self) -> Result<(), ClientError> {
        match (&self.closed, &self.down) {
            (Some(reason), _) => Err(ClientError::Closed(Some(reason.clone()))),
            (None, Some(reason)) => Err(ClientError::Closed(Some(reason.clone()))),
            (None, None) => Ok(()),
        }
    }
}

impl Inner {
    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    /// A new connection is open: its TransactionIDs count from 1.
    pub(crate) fn connected(&self) {
        self.next_transaction.store(1, Ordering::Relaxed);
    }

    /// What tells the connection's task that a sign-in was given while it is down.
    pub(crate) fn new_sign_in(&self) -> Arc<Notify> {
        Arc::clone(&self.new_sign_in)
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        // A panic elsewhere while it was held does not make the client unusable.
        self.session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes a frame on the open connection.
    async fn write(&self, frame: Frame) -> Result<(), ClientError> {
        let mut writer = self.writer.lock().await;
        let Some(writer) = writer.as_mut() else { return Err(self.closed_error()) };
        Ok(writer.send(frame).await?)
    }

    /// Queues text for the connection's task to send, after what was queued before.
    fn send(&self, text: String) -> Result<(), ClientError> {
        let gone = || ClientError::Closed(Some("the connection's task has ended".to_owned()));
        self.outgoing.send(self.options.encoding.frame(text)?).map_err(|_| gone())
    }

    fn closed_error(&self) -> ClientError {
        let state = self.lock();
        ClientError::Closed(state.closed.clone().or_else(|| state.down.clone()))
    }

    pub(crate) fn close(&self) {
        let close = CloseFrame { code: CloseCode::Normal, reason: "".into() };
        let _ = self.outgoing.send(Frame::Close(Some(close)));
    }

    /// The last sign-in that succeeded.
    pub(crate) fn last_sign_in(&self) -> Option<Message> {
        self.lock().last_sign_in.clone()
    }

    /// Signs in with `message`, keeping it for reconnecting when it succeeds.
    /// `restoring`: the sign-in that restores a new connection, which goes before the calls
    /// waiting for it.
    pub(crate) async fn sign_in(&self, message: Message, restoring: bool) -> Result<IdentityResult, ClientError> {
        let kind = message.kind();
        let identity = match self.call(message.clone(), restoring, self.options.sign_in_timeout).await? {
            Message::AuthOwnerReply(reply) => reply.data,
            Message::AuthTokenReply(reply) => reply.data,
            Message::AuthCodeReply(reply) => reply.data,
            Message::IdentifyPush(push) => push.data,
            other => {
                let reason = format!("a {} came back", other.kind());
                return Err(ClientError::UnexpectedReply { kind, reason });
            }
        };
        match identity.result {
            AuthResult::Success => {
                self.lock().last_sign_in = Some(message);
                Ok(identity)
            }
            _ => {
                let reason = identity.undocumented.get("Reason").and_then(|r| r.as_str()).map(str::to_owned);
                Err(ClientError::SignInRejected(reason))
            }
        }
    }

    /// Tells who gave a sign-in while the connection was down how signing in on the new one
    /// went.
    pub(crate) fn signed_in_again(&self, outcome: &Result<IdentityResult, ClientError>) {
        for told in self.lock().signing_in.drain(..) {
            let _ = told.send(match outcome {
                Ok(identity) => Ok(identity.clone()),
                Err(ClientError::SignInRejected(reason)) => Err(ClientError::SignInRejected(reason.clone())),
                Err(error) => {
                    Err(ClientError::Closed(Some(format!("signing in on the new connection failed: {error}"))))
                }
            });
        }
    }

    /// Sends a message and waits for the message that answers it, trying a `Retry` again.
    async fn call(&self, mut message: Message, restoring: bool, timeout: Duration) -> Result<Message, ClientError> {
        let retried = message.kind().info().repeatable;
        let mut delays = self.options.retry_delays.iter().filter(|_| retried);
        loop {
            match self.call_once(&mut message, restoring, timeout).await {
                Err(error) if error.is_retry() => match delays.next() {
                    Some(delay) => tokio::time::sleep(*delay).await,
                    None => return Err(error),
                },
                result => return result,
            }
        }
    }

    async fn call_once(
        &self,
        message: &mut Message,
        restoring: bool,
        timeout: Duration,
    ) -> Result<Message, ClientError> {
        let kind = message.kind();
        let id = self.next_transaction.fetch_add(1, Ordering::Relaxed);
        message.set_transaction_id(id);
        let (answered, answer) = oneshot::channel();
        {
            let mut state = self.lock();
            if !restoring {
                state.usable()?;
            }
            state.pending.insert(id, answered);
        }
        // However the call ends (answered, timed out, its future dropped), its entry goes.
        let _waiting = Waiting { inner: self, id };
        let frame = self.options.encoding.frame(text(&*message)?)?;
        let exchange = async {
            self.write(frame).await?;
            answer.await.map_err(|_| self.closed_error())?
        };
        let reply = match tokio::time::timeout(timeout, exchange).await {
            Ok(reply) => reply?,
            Err(_) => return Err(ClientError::Timeout { kind, timeout }),
        };
        if reply.action() == Action::Error {
            let code = match &reply {
                Message::ErrorMessage(error) => code(error).unwrap_or_default(),
                _ => "",
            };
            return Err(ClientError::server(kind, code));
        }
        Ok(reply)
    }

    /// One message from the server: a reply to its waiting request, a subscription's
    /// confirmation, refusal or end, or a push for the subscription's streams.
    pub(crate) fn received(&self, text: &str) {
        // A reply to a waiting call needs no tree: its envelope is read, then the reply typed.
        if !self.lock().pending.is_empty()
            && let Some(envelope) = EnvelopeText::read(text)
            && let Some(id) = envelope.transaction_id
            && let Some(waiting) = self.lock().pending.remove(&id)
        {
            #[cfg(feature = "validate")]
            crate::validate::received(text, None);
            let reply = envelope.message(text, Direction::Receive);
            let kind = MessageKind::ErrorMessage;
            let _ = waiting.send(reply.map_err(|e| ClientError::UnexpectedReply { kind, reason: e.to_string() }));
            return;
        }
        // Anything else is read into a tree: what a subscription holds is kept on it. A push
        // is typed by the stream that takes it.
        let tree = serde_json::from_str::<Value>(text);
        #[cfg(feature = "validate")]
        crate::validate::received(text, tree.as_ref().ok());
        let tree = match tree {
            Ok(tree) => tree,
            Err(error) => return self.unparsed(text, &ParseError::NotJson(error.to_string())),
        };
        let keys = match EnvelopeKeys::read(&tree) {
            Ok(keys) => keys,
            Err(error) => return self.unparsed(text, &error),
        };
        let kind = match keys.schema(Direction::Receive) {
            Ok(kind) => kind,
            Err(error) => return self.unparsed(text, &error),
        };
        // Its TransactionID and full topic, when they are of their types.
        let envelope = EnvelopeText::deserialize(&tree).unwrap_or_default();
        let mut state = self.lock();
        if let Some(id) = envelope.transaction_id
            && let Some(waiting) = state.pending.remove(&id)
        {
            drop(state);
            let reply = Message::from_str_as(kind, text);
            let _ = waiting.send(reply.map_err(|e| ClientError::UnexpectedReply { kind, reason: e.to_string() }));
            return;
        }
        let key = (keys.controller.to_owned(), envelope.topic.unwrap_or_default().into_owned());
        let Some(topic) = state.topics.get_mut(&key) else { return };
        // A confirmation, a refusal or the server's Unsub says how the subscription stands.
        let standing = matches!(kind, MessageKind::SubConfirm | MessageKind::UnsubConfirm)
            || (kind == MessageKind::ErrorMessage && !topic.live);
        if standing {
            let message = match Message::from_str_as(kind, text) {
                Ok(message) => message,
                Err(error) => {
                    drop(state);
                    return self.unparsed(text, &error);
                }
            };
            return self.standing(&mut state, &key, message);
        }
        // Applied once for the topic, so that a stream joining later holds it all too.
        let misfits = topic.held.lock().map(|mut held| held.apply(kind, &tree)).unwrap_or_default();
        #[cfg(feature = "validate")]
        crate::validate::misfits(&key.1, &misfits);
        let received = Received { kind, text: Arc::from(text) };
        for (_, stream) in &topic.streams {
            stream.tell(Event::Push(received.clone()));
            let inconsistent = |(_, reason): &(_, String)| Event::Inconsistent { reason: reason.clone() };
            misfits.iter().for_each(|misfit| stream.tell(inconsistent(misfit)));
        }
    }

    /// A subscription's confirmation, refusal or end.
    fn standing(&self, state: &mut Session, key: &(String, String), message: Message) {
        let Some(topic) = state.topics.get_mut(key) else { return };
        match message {
            Message::SubConfirm(confirm) if confirm.confirm == Some(false) => self.refused(state, key, None),
            Message::SubConfirm(_) => {
                topic.live = true;
                topic.waiting.drain(..).for_each(|waiting| drop(waiting.send(Ok(()))));
            }
            Message::ErrorMessage(error) => {
                let reason = code(&error).map(str::to_owned);
                self.refused(state, key, reason);
            }
            Message::UnsubConfirm(_) if !topic.live => self.refused(state, key, None),
            _ => {
                if let Some(topic) = state.topics.remove(key) {
                    let reason = "the server ended the subscription (its data is no longer available)";
                    topic.streams.iter().for_each(|(_, stream)| stream.end(reason));
                }
            }
        }
    }

    /// A message no schema reads: the request it answers, if it names one, or the streams of
    /// the topic it names learn why.
    fn unparsed(&self, text: &str, error: &ParseError) {
        let Some(envelope) = EnvelopeText::read(text) else { return };
        let mut state = self.lock();
        if let Some(id) = envelope.transaction_id
            && let Some(waiting) = state.pending.remove(&id)
        {
            let reason = error.to_string();
            let _ = waiting.send(Err(ClientError::UnexpectedReply { kind: MessageKind::ErrorMessage, reason }));
            return;
        }
        let key = (envelope.keys().controller.to_owned(), envelope.topic.as_deref().unwrap_or_default().to_owned());
        if let Some(topic) = state.topics.get(&key) {
            let reason = format!("a message on the topic that was not applied: {error}");
            topic.streams.iter().for_each(|(_, stream)| stream.tell(Event::Malformed { reason: reason.clone() }));
        }
    }

    /// A frame that is no message in the connection's encoding.
    pub(crate) fn unreadable(&self, _reason: &str) {
        #[cfg(feature = "validate")]
        crate::validate::unreadable(_reason);
    }

    fn refused(&self, state: &mut Session, key: &(String, String), reason: Option<String>) {
        if let Some(topic) = state.topics.remove(key) {
            let error = || ClientError::Refused { topic: key.1.clone(), reason: reason.clone() };
            topic.streams.iter().for_each(|(_, stream)| stream.end(&error().to_string()));
            topic.waiting.into_iter().for_each(|waiting| drop(waiting.send(Err(error()))));
        }
    }

    /// The client ended: every waiting call fails, every stream ends.
    pub(crate) fn closed(&self, reason: String) {
        let mut state = self.lock();
        let reason = state.closed.get_or_insert(reason).clone();
        state.pending.clear();
        state.signing_in.clear();
        for (_, topic) in state.topics.drain() {
            topic.streams.iter().for_each(|(_, stream)| stream.end(&reason));
        }
    }

    /// The connection dropped and another is on its way (once a new sign-in is given, when
    /// `new_sign_in_needed`): waiting calls fail, subscriptions wait to be made again.
    pub(crate) fn disconnected(&self, reason: &str, new_sign_in_needed: bool) {
        let mut state = self.lock();
        state.down = Some(match new_sign_in_needed {
            true => format!("{reason}; sign in again to reconnect"),
            false => format!("{reason}; connecting again"),
        });
        state.pending.clear();
        for topic in state.topics.values_mut() {
            topic.live = false;
            topic
                .waiting
                .drain(..)
                .for_each(|waiting| drop(waiting.send(Err(ClientError::Closed(Some(reason.to_owned()))))));
        }
    }

    /// After signing in again: each topic subscribed again, its streams told that what they
    /// held is gone and a new snapshot follows.
    pub(crate) fn resubscribe(&self) {
        let mut state = self.lock();
        for topic in state.topics.values() {
            if let Ok(mut held) = topic.held.lock() {
                held.clear();
            }
            topic.streams.iter().for_each(|(_, stream)| stream.resynced());
            let _ = self.send(topic.sub.clone());
        }
        // Calls may go again.
        state.down = None;
    }

    /// A stream of `key` was dropped: the last one takes the server subscription with it.
    pub(crate) fn stream_dropped(&self, key: &(String, String), id: u64) {
        let mut state = self.lock();
        let Some(topic) = state.topics.get_mut(key) else { return };
        topic.streams.retain(|(stream, _)| *stream != id);
        if topic.streams.is_empty()
            && let Some(topic) = state.topics.remove(key)
        {
            let _ = self.send(topic.unsub);
        }
    }
}

/// A call's entry among the pending, removed when the call ends however it ends.
struct Waiting<'a> {
    inner: &'a Inner,
    id: TransactionId,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.inner.lock().pending.remove(&self.id);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close();
    }
}
