//! One connection's conversation: requests paired with replies, subscriptions with their confirmations.

// What waits for an answer is bounded, per connection and over all of them, so a capture of
// requests never answered needs no more memory than a few thousand of them.

use std::collections::VecDeque;
use std::collections::hash_map::Entry;
use std::hash::Hash;

use rustc_hash::FxHashMap as HashMap;

use zenith_capture::{Code, Origin};
use zenith_protocol::{Direction, Role, Severity};

use crate::analyze::Checked;
use crate::finding::{self, Finding, Place};
use crate::streams::{Context, Streams};
use crate::summary::Summary;

/// The most requests waiting for a reply on one connection. When one more arrives, the oldest
/// is reported unanswered and no longer waited for.
pub const MAX_WAITING_REQUESTS: usize = 4_096;
/// The most subscriptions waiting for their confirmation on one connection, likewise.
pub const MAX_WAITING_SUBSCRIPTIONS: usize = 4_096;
/// The most requests already answered that one connection remembers, for the further replies
/// one request may get (an `Error` beside a result, or a result in parts). Older ones are
/// forgotten first; a later reply to one is an orphan.
pub const MAX_ANSWERED: usize = 4;
/// The most Subs and Unsubs with a TransactionID that one connection remembers, for an `Error`
/// answering one of them (the real client reads such an `Error` as the Sub's failure). Older
/// ones are forgotten first; an `Error` answering one is an orphan.
pub const MAX_ANSWERABLE: usize = 64;
/// The most requests and subscriptions waiting over all connections. When one more arrives,
/// its own connection's oldest (of the same kind) is given up; with none, the new one is.
pub const MAX_WAITING: usize = 262_144;

/// A request still waiting for its reply.
#[derive(Debug)]
struct Pending {
    place: Place,
    /// The documented reply topics; the request's own topic is accepted too.
    reply_topics: &'static [&'static str],
    /// For a Sub that carried a TransactionID: its whole topic, which an `Error` answering it
    /// ends (the real client, motif-core, reads such an `Error` as the Sub's failure).
    subscription: Option<String>,
}

impl Pending {
    fn expects(&self, topic: &str) -> bool {
        self.place.topic.as_deref() == Some(topic) || self.reply_topics.contains(&topic)
    }
}

/// A connection's conversation. Most connections never wait for anything, so what waits is
/// kept only once something has to.
#[derive(Debug, Default)]
pub struct Conversation {
    requests: Option<Box<Waiting<i64, Pending>>>,
    /// Requests answered lately, for their further replies.
    answered: Option<Box<Waiting<i64, Pending>>>,
    /// Sub requests that asked for confirmation, by Controller and full Topic.
    subscriptions: Option<Box<Waiting<(String, String), Place>>>,
    /// Subs and Unsubs that carried a TransactionID, which an `Error` may answer.
    answerable: Option<Box<Waiting<i64, Pending>>>,
    /// Each subscription's state.
    streams: Option<Box<Streams>>,
}

/// Why something waiting was given up before the end of the capture.
#[derive(Clone, Copy)]
enum Limit {
    Connection,
    Overall,
}

impl Conversation {
    /// Follows one message. `waiting` counts the requests and subscriptions waiting over all
    /// connections, `keys` the keys their subscriptions hold. For a request that now waits for
    /// its reply, returns its arrival number, which [`Conversation::time_out`] knows it by.
    #[allow(clippy::too_many_arguments)]
    pub fn message(
        &mut self,
        source: &str,
        checked: &Checked,
        direction: Direction,
        waiting: &mut usize,
        keys: &mut usize,
        summary: &mut Summary,
        out: &mut dyn FnMut(Finding),
    ) -> Option<u64> {
        let place = &checked.place;
        let (Some(controller), Some(action)) = (place.controller.as_deref(), place.action.as_deref()) else {
            return None;
        };
        let full_topic = &*checked.full_topic;
        let role = Role::of(action, direction)?;
        self.follow(source, checked, role, keys, out);
        match role {
            Role::Request => {
                let id = checked.transaction?;
                let reply_topics = checked.kind.map_or(&[][..], |kind| kind.info().reply_topics);
                summary.requests += 1;
                let pending = Pending { place: place.clone(), reply_topics, subscription: None };
                let requests = self.requests.get_or_insert_default();
                match make_room(requests, MAX_WAITING_REQUESTS, waiting) {
                    Room::Free => {}
                    Room::GaveUp(limit, oldest) => unanswered(source, &oldest.place, Some(limit), summary, out),
                    Room::Full => {
                        unanswered(source, place, Some(Limit::Overall), summary, out);
                        return None;
                    }
                }
                let arrival = requests.push(id, pending);
                *waiting += 1;
                return Some(arrival);
            }
            // A Sub or Unsub with a TransactionID may be answered by an `Error` carrying it.
            Role::Subscribe | Role::Unsubscribe if checked.transaction.is_some() && !checked.has_error() => {
                let id = checked.transaction?;
                let subscription = (role == Role::Subscribe).then(|| full_topic.to_owned());
                let answerable = self.answerable.get_or_insert_default();
                if answerable.len() >= MAX_ANSWERABLE {
                    answerable.take_oldest();
                }
                answerable.push(id, Pending { place: place.clone(), reply_topics: &[], subscription });
                if role == Role::Subscribe && checked.confirm {
                    self.await_confirmation(source, controller, full_topic, place, waiting, out)?;
                }
            }
            Role::Subscribe if checked.confirm => {
                self.await_confirmation(source, controller, full_topic, place, waiting, out)?;
            }

            Role::Confirm => {
                let subscriptions = self.subscriptions.as_deref_mut()?;
                subscriptions.take(&(controller.to_owned(), full_topic.to_owned()))?;
                *waiting = waiting.saturating_sub(1);
                if checked.confirm {
                    summary.subscriptions_confirmed += 1;
                } else {
                    let message =
                        format!("the subscription to `{full_topic}` failed (its confirmation has no `Confirm: true`)");
                    out(finding::new(
                        source,
                        place,
                        Severity::Info,
                        Code::SubscriptionFailed,
                        &message,
                        "/Confirm",
                        "",
                        None,
                    ));
                }
            }
            Role::Answer | Role::Error => {
                let id = checked.transaction?;
                let first = self.requests.as_deref_mut().and_then(|requests| requests.take(&id));
                let is_first = first.is_some();
                // An `Error` answering a Sub or Unsub by its TransactionID.
                let sub = match (&first, role) {
                    (None, Role::Error) => self.answerable.as_deref_mut().and_then(|answerable| answerable.take(&id)),
                    _ => None,
                };
                // A further reply to a request answered already: kept as it was.
                let again = || self.answered.as_deref_mut().and_then(|answered| answered.take(&id));
                let Some(pending) = first.or(sub).or_else(again) else {
                    summary.orphan_replies += 1;
                    let message =
                        format!("a reply with TransactionID {id} matches no earlier request on this connection");
                    out(finding::new(
                        source,
                        place,
                        Severity::Warning,
                        Code::OrphanReply,
                        &message,
                        "/TransactionID",
                        "",
                        None,
                    ));
                    return None;
                };
                // Each request counts one reply, its first, so that requests = replies +
                // unanswered; further replies are checked the same way.
                if is_first {
                    *waiting = waiting.saturating_sub(1);
                    summary.replies += 1;
                    if let (Some(sent), Some(received)) = (pending.place.time, place.time) {
                        summary.latency((received - sent) * 1000.0);
                    }
                }
                if role == Role::Error {
                    summary.error_replies += 1;
                    let details = checked.error_text.as_deref().unwrap_or("no details");
                    let message = format!("{} failed: {details}", describe(&pending.place));
                    out(finding::new(source, place, Severity::Info, Code::ErrorReply, &message, "/Data", "", None));
                } else if let Some(topic) = place.topic.as_deref().filter(|t| !pending.expects(t)) {
                    let expected = pending.reply_topics.iter().copied().chain(pending.place.topic.as_deref());
                    let expected = expected.collect::<Vec<_>>().join("` or `");
                    let message = format!(
                        "the reply to {} arrived on `{topic}`, expected `{expected}`",
                        describe(&pending.place)
                    );
                    out(finding::new(
                        source,
                        place,
                        Severity::Warning,
                        Code::UnexpectedReplyTopic,
                        &message,
                        "/Topic",
                        "",
                        None,
                    ));
                }
                // Read with another topic's reply schema: that topic's request must be the one answered.
                let shape =
                    checked.kind.and_then(|kind| kind.info().topic).filter(|t| place.topic.as_deref() != Some(*t));
                if let Some(shape) = shape.filter(|t| pending.place.topic.as_deref() != Some(*t)) {
                    let message = format!(
                        "the reply to {} has the shape of a `{shape}` reply, not its own",
                        describe(&pending.place)
                    );
                    out(finding::new(
                        source,
                        place,
                        Severity::Warning,
                        Code::ReplyShapeMismatch,
                        &message,
                        "/Data",
                        "",
                        None,
                    ));
                }
                if let Some(topic) = pending.subscription.as_deref().filter(|_| role == Role::Error) {
                    self.subscription_failed(source, place, topic, waiting, keys, out);
                }
                self.remember_answered(id, pending);
            }
            _ => {}
        }
        None
    }

    /// Keeps a request answered (or a Sub that may be answered) for its further replies.
    fn remember_answered(&mut self, id: i64, pending: Pending) {
        let answered = self.answered.get_or_insert_default();
        if answered.len() >= MAX_ANSWERED {
            answered.take_oldest();
        }
        answered.push(id, pending);
    }

    /// A Sub that asked for confirmation waits for it; `None` when there is no room left.
    fn await_confirmation(
        &mut self,
        source: &str,
        controller: &str,
        full_topic: &str,
        place: &Place,
        waiting: &mut usize,
        out: &mut dyn FnMut(Finding),
    ) -> Option<()> {
        let subscriptions = self.subscriptions.get_or_insert_default();
        match make_room(subscriptions, MAX_WAITING_SUBSCRIPTIONS, waiting) {
            Room::Free => {}
            Room::GaveUp(limit, oldest) => unconfirmed(source, &oldest, limit, out),
            Room::Full => {
                unconfirmed(source, place, Limit::Overall, out);
                return None;
            }
        }
        subscriptions.push((controller.to_owned(), full_topic.to_owned()), place.clone());
        *waiting += 1;
        Some(())
    }

    /// An `Error` answered a Sub by its TransactionID: that subscription failed, so it waits for
    /// no confirmation, and the topic has one subscription less.
    fn subscription_failed(
        &mut self,
        source: &str,
        place: &Place,
        full_topic: &str,
        waiting: &mut usize,
        keys: &mut usize,
        out: &mut dyn FnMut(Finding),
    ) {
        let controller = place.controller.as_deref().unwrap_or_default().to_owned();
        let key = (controller, full_topic.to_owned());
        if self.subscriptions.as_deref_mut().and_then(|subscriptions| subscriptions.take(&key)).is_some() {
            *waiting = waiting.saturating_sub(1);
        }
        if let Some(streams) = self.streams.as_deref_mut() {
            streams.refused(&mut Context { source, place, full_topic, keys_overall: keys, out });
        }
    }

    /// Follows what the message does to its subscription's state.
    fn follow(&mut self, source: &str, checked: &Checked, role: Role, keys: &mut usize, out: &mut dyn FnMut(Finding)) {
        let push = role == Role::Answer && checked.transaction.is_none();
        if !matches!(role, Role::Subscribe | Role::Confirm | Role::Unsubscribe | Role::Unsubscribed) && !push {
            return;
        }
        // A Sub or Unsub the server would refuse (an unknown topic, wrong arguments) changes nothing.
        let refused = checked.has_error();
        if refused && matches!(role, Role::Subscribe | Role::Unsubscribe) {
            return;
        }
        let streams = self.streams.get_or_insert_default();
        let cx =
            &mut Context { source, place: &checked.place, full_topic: &checked.full_topic, keys_overall: keys, out };
        match role {
            Role::Subscribe => streams.subscribe(cx),
            Role::Confirm if checked.confirm => streams.confirmed(cx),
            Role::Unsubscribe => streams.unsubscribe(cx, checked.confirm),
            Role::Unsubscribed => streams.ended(cx),
            _ if push => streams.push(cx, checked.kind.map(|k| k.info()), checked.effects.as_ref()),
            _ => {}
        }
    }

    /// True while the request with this arrival number waits for its reply.
    pub fn waits(&self, arrival: u64) -> bool {
        self.requests.as_deref().is_some_and(|requests| requests.get(arrival).is_some())
    }

    /// Reports the request with this arrival number as not answered within `timeout` seconds,
    /// if it still waits; it goes on waiting, so a later reply still pairs with it.
    pub fn time_out(
        &self,
        source: &str,
        arrival: u64,
        timeout: f64,
        summary: &mut Summary,
        out: &mut dyn FnMut(Finding),
    ) {
        let Some(pending) = self.requests.as_deref().and_then(|requests| requests.get(arrival)) else { return };
        summary.timed_out += 1;
        let message = format!("{} got no reply within {timeout} s", describe(&pending.place));
        out(finding::new(source, &pending.place, Severity::Warning, Code::ReplyTimeout, &message, "", "", None));
    }

    /// Reports the requests never answered, in the order they were sent, and the
    /// subscriptions that got nothing.
    pub fn finish(self, source: &str, summary: &mut Summary, out: &mut dyn FnMut(Finding)) {
        if let Some(requests) = self.requests {
            for pending in requests.into_items() {
                unanswered(source, &pending.place, None, summary, out);
            }
        }
        if let Some(streams) = self.streams {
            streams.finish(source, out);
        }
    }
}

/// What making room for one more item waiting did.
enum Room<T> {
    /// There was room.
    Free,
    /// A limit was reached, so the connection's oldest item was given up.
    GaveUp(Limit, T),
    /// The limit over all connections was reached and this one had nothing to give up.
    Full,
}

/// Makes room for one more item on a connection, within its limit and the overall one.
fn make_room<K: Hash + Eq + Clone, T>(
    items: &mut Waiting<K, T>,
    per_connection: usize,
    waiting: &mut usize,
) -> Room<T> {
    let limit = if items.len() >= per_connection {
        Limit::Connection
    } else if *waiting >= MAX_WAITING {
        Limit::Overall
    } else {
        return Room::Free;
    };
    match items.take_oldest() {
        Some(oldest) => {
            *waiting = waiting.saturating_sub(1);
            Room::GaveUp(limit, oldest)
        }
        None => Room::Full,
    }
}

/// Reports a request that got no reply: by the end of the capture, or before a limit made it
/// stop waiting.
fn unanswered(source: &str, place: &Place, limit: Option<Limit>, summary: &mut Summary, out: &mut dyn FnMut(Finding)) {
    summary.unanswered += 1;
    let when = match limit {
        None => "by the end of the capture".to_owned(),
        Some(Limit::Connection) => format!(
            "before this connection's limit of {MAX_WAITING_REQUESTS} requests waiting for a reply was reached; \
             a later reply to it is not matched"
        ),
        Some(Limit::Overall) => format!(
            "before the limit of {MAX_WAITING} requests and subscriptions waiting over all connections was \
             reached; a later reply to it is not matched"
        ),
    };
    let message = format!("{} got no reply {when}", describe(place));
    out(finding::new(source, place, Severity::Warning, Code::UnansweredRequest, &message, "", "", None));
}

/// Reports a subscription given up on before its confirmation came.
fn unconfirmed(source: &str, place: &Place, limit: Limit, out: &mut dyn FnMut(Finding)) {
    let limit = match limit {
        Limit::Connection => {
            format!("this connection's limit of {MAX_WAITING_SUBSCRIPTIONS} subscriptions waiting for one")
        }
        Limit::Overall => {
            format!("the limit of {MAX_WAITING} requests and subscriptions waiting over all connections")
        }
    };
    let message = format!(
        "the subscription to `{}` (#{}{}) got no confirmation before {limit} was reached; a later \
         confirmation of it is not matched",
        place.topic.as_deref().unwrap_or("?"),
        place.index,
        on_conn(place)
    );
    out(finding::new(source, place, Severity::Warning, Code::SubscriptionLimit, &message, "", "", None));
}

fn describe(place: &Place) -> String {
    format!("the {} request (#{}{})", place.topic.as_deref().unwrap_or("?"), place.index, on_conn(place))
}

fn on_conn(place: &Place) -> String {
    match &place.origin {
        Origin::Line { conn: None, .. } => String::new(),
        // A live connection is written as such a line's `conn` when recorded: named alike.
        Origin::Line { conn: Some(conn), .. } => format!(" on conn {conn}"),
        Origin::Live { conn } => format!(" on conn {conn}"),
        origin => format!(" on {}", origin.connection()),
    }
}

/// What waits for an answer on one connection, oldest first, found by key. Several may wait
/// with the same key; they are answered in the order they came.
#[derive(Debug)]
struct Waiting<K, T> {
    /// Oldest first, with their arrival numbers. The items are boxed, so that taking one from
    /// the middle moves little.
    items: VecDeque<(u64, K, Box<T>)>,
    /// The arrival number of the oldest item waiting with each key.
    oldest: HashMap<K, u64>,
    /// The later arrivals with a key already waiting, oldest first.
    later: HashMap<K, VecDeque<u64>>,
    arrivals: u64,
}

impl<K, T> Default for Waiting<K, T> {
    fn default() -> Waiting<K, T> {
        Waiting { items: VecDeque::new(), oldest: HashMap::default(), later: HashMap::default(), arrivals: 0 }
    }
}

impl<K: Hash + Eq + Clone, T> Waiting<K, T> {
    fn len(&self) -> usize {
        self.items.len()
    }

    /// Adds an item, returning its arrival number.
    fn push(&mut self, key: K, item: T) -> u64 {
        let number = self.arrivals;
        self.arrivals += 1;
        match self.oldest.entry(key.clone()) {
            Entry::Vacant(slot) => {
                slot.insert(number);
            }
            Entry::Occupied(_) => self.later.entry(key.clone()).or_default().push_back(number),
        }
        self.items.push_back((number, key, Box::new(item)));
        number
    }

    /// The item with this arrival number, if it still waits.
    fn get(&self, number: u64) -> Option<&T> {
        let at = self.items.binary_search_by_key(&number, |(n, _, _)| *n).ok()?;
        Some(&self.items[at].2)
    }

    /// The oldest item waiting with this key, no longer waiting.
    fn take(&mut self, key: &K) -> Option<T> {
        let number = *self.oldest.get(key)?;
        self.advance(key);
        let at = self.items.binary_search_by_key(&number, |(n, _, _)| *n).ok()?;
        self.items.remove(at).map(|(_, _, item)| *item)
    }

    /// The oldest item of all, no longer waiting.
    fn take_oldest(&mut self) -> Option<T> {
        let (_, key, item) = self.items.pop_front()?;
        // The oldest of all is the oldest with its key.
        self.advance(&key);
        Some(*item)
    }

    /// Makes the next item with `key` (if any) the oldest with it.
    fn advance(&mut self, key: &K) {
        let next = match self.later.get_mut(key) {
            Some(queue) => {
                let next = queue.pop_front();
                if queue.is_empty() {
                    self.later.remove(key);
                }
                next
            }
            None => None,
        };
        match next {
            Some(number) => {
                self.oldest.insert(key.clone(), number);
            }
            None => {
                self.oldest.remove(key);
            }
        }
    }

    /// Every item still waiting, oldest first.
    fn into_items(self) -> impl Iterator<Item = T> {
        self.items.into_iter().map(|(_, _, item)| *item)
    }
}

#[cfg(test)]
mod tests {
    use zenith_capture::{Body, Event, Frame};

    use super::*;
    use crate::analyze::{Analysis, analyze};

    fn request(id: u64, index: u64) -> Checked {
        let text = format!("{{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":{id}}}");
        let frame = Frame {
            origin: zenith_capture::Origin::Line { line: index, conn: Some("a".into()) },
            time: None,
            direction: Some(Direction::Send),
            body: Body::Text(text),
        };
        let Analysis::Message(mut checked) = analyze("-", Event::Frame(frame)) else { panic!("not a message") };
        checked.place.index = index;
        *checked
    }

    #[test]
    fn the_overall_limit_gives_up_the_oldest_on_the_same_connection_or_the_new_request() {
        let (mut conversation, mut summary, mut found) = (Conversation::default(), Summary::default(), Vec::new());
        let mut waiting = MAX_WAITING;
        let mut send = |conversation: &mut Conversation, id, waiting: &mut usize| {
            let checked = request(id, id);
            conversation.message("-", &checked, Direction::Send, waiting, &mut 0, &mut summary, &mut |f| found.push(f));
        };
        // Nothing waits here to give up, so the new request is.
        send(&mut conversation, 1, &mut waiting);
        waiting -= 1;
        send(&mut conversation, 2, &mut waiting);
        assert_eq!(waiting, MAX_WAITING);
        send(&mut conversation, 3, &mut waiting);
        assert_eq!(waiting, MAX_WAITING);
        let given_up: Vec<(u64, bool)> =
            found.iter().map(|f| (f.index, f.message.contains("over all connections"))).collect();
        assert_eq!(given_up, [(1, true), (2, true)]);
        assert!(found.iter().all(|f| f.code == Code::UnansweredRequest.as_str()));
        assert_eq!(summary.unanswered, 2);
    }

    #[test]
    fn waiting_items_are_answered_oldest_first_by_key() {
        let mut waiting: Waiting<i64, &str> = Waiting::default();
        for (key, item) in [(1, "a"), (2, "b"), (1, "c"), (1, "d")] {
            waiting.push(key, item);
        }
        assert_eq!(waiting.take(&1), Some("a"));
        assert_eq!(waiting.take_oldest(), Some("b"));
        assert_eq!(waiting.take_oldest(), Some("c"));
        assert_eq!(waiting.take(&2), None);
        assert_eq!(waiting.take(&1), Some("d"));
        assert_eq!(waiting.take(&1), None);
        assert_eq!(waiting.len(), 0);
        assert!(waiting.oldest.is_empty() && waiting.later.is_empty());
    }
}
