//! A subscription's stream: its topic's pushes, typed, with what was missed said, never hidden.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use zenith_protocol::{Message, MessageKind};

use crate::client::Inner;
use crate::state::State;

/// What a subscription's stream gives.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<P> {
    /// A push of the topic.
    Push(P),
    /// The consumer fell behind: this many events did not fit in the stream's buffer and were
    /// not kept. The topic's [`Subscription::state`] is still complete.
    Lagged { missed: u64 },
    /// The connection dropped and a new one subscribed again: whatever the consumer built from
    /// earlier pushes is to be dropped; the next push is the new snapshot.
    Resynced,
    /// A change record of the push before it that does not fit the state held (an update of
    /// an order the book does not hold, say): where, and why. The rest was applied.
    Inconsistent { reason: String },
    /// A message on the topic that is not its push type (kept, for the consumer to judge).
    Other(Message),
    /// A message on the topic that does not read as its schema's type, and why. When it was
    /// JSON with an envelope, its change records were applied to the state as `zenith replay`
    /// applies them; otherwise the state lacks what it carried.
    Malformed { reason: String },
    /// The subscription ended: the server ended it, or the connection closed. Nothing follows.
    Ended { reason: String },
}

/// A message on a topic as it came, its schema chosen: the stream that takes it types it, so
/// that the connection's task reads each push once, into the tree the state is kept on.
#[derive(Clone)]
pub(crate) struct Received {
    pub(crate) kind: MessageKind,
    pub(crate) text: Arc<str>,
}

/// The client's end of one stream: where the reading task puts pushes.
pub(crate) struct Stream {
    sender: mpsc::Sender<Event<Received>>,
    /// Events not kept since the consumer last had room.
    missed: Arc<AtomicU64>,
}

impl Stream {
    /// A stream holding up to `buffer` events, and its receiving end.
    pub(crate) fn new(buffer: usize) -> (Stream, mpsc::Receiver<Event<Received>>) {
        let (sender, receiver) = mpsc::channel(buffer.max(2));
        (Stream { sender, missed: Arc::new(AtomicU64::new(0)) }, receiver)
    }

    /// Delivers an event (a push, say), or counts it missed when the consumer has no room;
    /// the count is told before the next event that fits.
    pub(crate) fn tell(&self, event: Event<Received>) {
        let missed = self.missed.load(Ordering::Relaxed);
        if missed > 0 {
            // The lag must go first; while it does not fit, this push is missed too.
            if self.sender.try_send(Event::Lagged { missed }).is_err() {
                self.missed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            self.missed.store(0, Ordering::Relaxed);
        }
        if self.sender.try_send(event).is_err() {
            self.missed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Tells the consumer that the subscription was made again (sent even when the buffer is
    /// full, as the lag count is then moot: everything before is void).
    pub(crate) fn resynced(&self) {
        self.missed.store(0, Ordering::Relaxed);
        let sender = self.sender.clone();
        if let Err(mpsc::error::TrySendError::Full(event)) = sender.try_send(Event::Resynced) {
            tokio::spawn(async move {
                let _ = sender.send(event).await;
            });
        }
    }

    /// Ends the stream with `reason` (the last event, sent even when the buffer is full).
    pub(crate) fn end(&self, reason: &str) {
        let sender = self.sender.clone();
        let event = Event::Ended { reason: reason.to_owned() };
        if let Err(mpsc::error::TrySendError::Full(event)) = sender.try_send(event) {
            tokio::spawn(async move {
                let _ = sender.send(event).await;
            });
        }
    }
}

/// A subscription to a topic: a stream of its pushes, typed `P`. Dropping the last stream of a
/// topic unsubscribes.
pub struct Subscription<P> {
    inner: Arc<Inner>,
    key: (String, String),
    id: u64,
    events: mpsc::Receiver<Event<Received>>,
    held: Arc<Mutex<State>>,
    ended: bool,
    push: PhantomData<fn() -> P>,
}

impl<P: TryFrom<Message, Error = Message>> Subscription<P> {
    pub(crate) fn new(
        inner: Arc<Inner>,
        key: (String, String),
        id: u64,
        events: mpsc::Receiver<Event<Received>>,
        held: Arc<Mutex<State>>,
    ) -> Self {
        Subscription { inner, key, id, events, held, ended: false, push: PhantomData }
    }

    /// The topic, as sent.
    pub fn topic(&self) -> &str {
        &self.key.1
    }

    /// What the topic's pushes hold, by its change rules: as of the latest push received (which
    /// may be ahead of the events read), shared by every stream of the topic, complete even
    /// when a slow stream missed events. Hold it briefly: the pushes wait for it.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next event; `None` after [`Event::Ended`].
    pub async fn next(&mut self) -> Option<Event<P>> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event<P>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let event = match self.events.poll_recv(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => Event::Ended { reason: "the client went away".to_owned() },
            Poll::Ready(Some(event)) => event,
        };
        Poll::Ready(Some(match event {
            Event::Push(Received { kind, text }) => match Message::from_str_as(kind, &text) {
                Ok(message) => match P::try_from(message) {
                    Ok(push) => Event::Push(push),
                    Err(other) => Event::Other(other),
                },
                Err(error) => Event::Malformed { reason: error.to_string() },
            },
            Event::Lagged { missed } => Event::Lagged { missed },
            Event::Resynced => Event::Resynced,
            Event::Inconsistent { reason } => Event::Inconsistent { reason },
            Event::Other(message) => Event::Other(message),
            Event::Malformed { reason } => Event::Malformed { reason },
            Event::Ended { reason } => {
                self.ended = true;
                Event::Ended { reason }
            }
        }))
    }
}

impl<P: TryFrom<Message, Error = Message>> futures_util::Stream for Subscription<P> {
    type Item = Event<P>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event<P>>> {
        self.get_mut().poll_event(cx)
    }
}

// Nothing in a subscription is pinned: its pushes wait in a queue, never in place.
impl<P> Unpin for Subscription<P> {}

impl<P> Drop for Subscription<P> {
    fn drop(&mut self) {
        self.inner.stream_dropped(&self.key, self.id);
    }
}
