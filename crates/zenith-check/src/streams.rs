//! Each subscription's life on one connection (live or ended) and the checker's store of its state: its keys.

// What a push does to the state is decided by the engine (`state`), from the schemas' rules
// (`x-zenith-changes`, `x-zenith-fixed`), so nothing here knows a topic. Each finding names the
// message that breaks the state and the one that set it.

use hashbrown::hash_map::EntryRef;
use rustc_hash::FxBuildHasher;
use zenith_capture::Code;
use zenith_protocol::runtime::changes::{Text, in_scope};
use zenith_protocol::{ChangeRules, Direction, MessageInfo, Operation, Severity};

use crate::finding::{self, Finding, Place, Related};
use zenith_protocol::runtime::state::effects::Effects;
use zenith_protocol::runtime::state::{self, Record, Store, increases};

/// The most subscriptions followed on one connection; later ones get a `state-limit` warning
/// and are not followed.
pub const MAX_STREAMS: usize = 10_000;
/// The most keys one subscription holds; beyond them it gets a `state-limit` warning and its
/// keys are not followed until its next clear.
pub const MAX_KEYS: usize = 100_000;
/// The most keys held over all connections, likewise.
pub const MAX_KEYS_OVERALL: usize = 1_000_000;
/// The room for keys a clear leaves a subscription's table.
const KEPT_ON_CLEAR: usize = 256;

type HashMap<K, V> = hashbrown::HashMap<K, V, FxBuildHasher>;

/// The subscriptions of one connection, by Controller and full Topic.
#[derive(Debug, Default)]
pub struct Streams {
    streams: HashMap<String, HashMap<String, Stream>>,
    /// How many subscriptions are followed.
    count: usize,
    /// A `state-limit` for the number of subscriptions was reported.
    full: bool,
}

#[derive(Debug, Default)]
struct Stream {
    /// Client subscriptions not yet ended (they are counted by the server).
    live: u32,
    /// Client Unsubs the server has not confirmed yet.
    unconfirmed_unsubs: u32,
    /// The Sub that started the current subscription.
    opened: Option<Place>,
    /// How the last subscription ended (the client's last Unsub, or the server's), while none
    /// is live.
    ended: Option<Related>,
    /// Data arrived with no subscription seen: the capture may have started after it.
    adopted: bool,
    /// A confirmation or data came since the Sub.
    answered: bool,
    /// The next data is the first since the Sub.
    first_data: bool,
    /// Keys held, each with the message that added it; `None` while the state is not known (no
    /// Sub or clear seen yet, or a limit reached).
    keys: Option<HashMap<Text, Related>>,
    /// How many items a positional state holds, while it is known (as `keys`).
    length: Option<u64>,
    /// What made the state known: the Sub or the last clear.
    since: Option<Related>,
    /// The last key added, for ordered records.
    last_added: Option<(Text, Related)>,
    /// The values of fixed properties, with the message that gave each.
    fixed: HashMap<&'static str, (Text, Related)>,
    /// An unknown key was reported while the state was not known.
    unknown_reported: bool,
}

/// What the messages of one connection share with the checker: where findings go, and the keys
/// held over all connections.
pub struct Context<'a> {
    pub source: &'a str,
    pub place: &'a Place,
    pub full_topic: &'a str,
    pub keys_overall: &'a mut usize,
    pub out: &'a mut dyn FnMut(Finding),
}

impl Context<'_> {
    fn report(&mut self, level: Severity, code: Code, message: String, path: &str, related: Option<&Related>) {
        let mut finding = finding::new(self.source, self.place, level, code, &message, path, "", None);
        finding.related = related.cloned();
        (self.out)(finding);
    }

    fn here(&self) -> Related {
        Related::of(self.place)
    }
}

impl Streams {
    fn stream(&mut self, cx: &mut Context<'_>) -> Option<&mut Stream> {
        let controller = cx.place.controller.as_deref().unwrap_or_default();
        match self.streams.entry_ref(controller).or_default().entry_ref(cx.full_topic) {
            EntryRef::Occupied(entry) => Some(entry.into_mut()),
            EntryRef::Vacant(_) if self.count >= MAX_STREAMS => {
                if !std::mem::replace(&mut self.full, true) {
                    let message = format!(
                        "this connection has {MAX_STREAMS} subscriptions followed already: `{}` and later ones are not followed",
                        cx.full_topic
                    );
                    cx.report(Severity::Warning, Code::StateLimit, message, "", None);
                }
                None
            }
            EntryRef::Vacant(entry) => {
                self.count += 1;
                Some(entry.insert(Stream::default()))
            }
        }
    }

    /// The client subscribes.
    pub fn subscribe(&mut self, cx: &mut Context<'_>) {
        let here = cx.here();
        let Some(stream) = self.stream(cx) else { return };
        if stream.live == 0 {
            // A new subscription: its state starts empty.
            stream.forget_keys(cx.keys_overall);
            *stream = Stream {
                opened: Some(cx.place.clone()),
                first_data: true,
                keys: Some(HashMap::default()),
                length: Some(0),
                since: Some(here),
                ..Stream::default()
            };
        }
        stream.live += 1;
    }

    /// The server confirms a subscription.
    pub fn confirmed(&mut self, cx: &mut Context<'_>) {
        if let Some(stream) = self.stream(cx) {
            stream.answered = true;
        }
    }

    /// The client unsubscribes: one subscription less. With `Confirm: true` it waits for the
    /// server's Unsub; without (as the real client, motif-core, always sends it) a later Unsub
    /// from the server ends a subscription of its own accord.
    pub fn unsubscribe(&mut self, cx: &mut Context<'_>, confirm: bool) {
        let here = cx.here();
        let topic = cx.full_topic;
        let Some(stream) = self.stream(cx) else { return };
        stream.unconfirmed_unsubs += u32::from(confirm);
        if stream.live > 0 {
            stream.live -= 1;
            if stream.live == 0 {
                stream.ended = Some(here);
            }
            return;
        }
        if std::mem::take(&mut stream.adopted) {
            stream.ended = Some(here);
            return;
        }
        match stream.ended.clone() {
            Some(ended) => {
                let message =
                    format!("Unsub of `{topic}` with no subscription left: it ended with {}", ended.describe());
                cx.report(Severity::Error, Code::UnsubscribeWithoutSubscribe, message, "/Topic", Some(&ended));
            }
            None => {
                let message = format!(
                    "Unsub of `{topic}` with no Sub seen on this connection (the capture may have started after it)"
                );
                stream.ended = Some(here);
                cx.report(Severity::Warning, Code::UnsubscribeWithoutSubscribe, message, "/Topic", None);
            }
        }
    }

    /// The server confirms a client's Unsub, or ends a subscription of its own accord.
    pub fn ended(&mut self, cx: &mut Context<'_>) {
        let here = cx.here();
        let Some(stream) = self.stream(cx) else { return };
        if stream.unconfirmed_unsubs > 0 {
            stream.unconfirmed_unsubs -= 1;
            return;
        }
        if stream.live > 0 || stream.adopted {
            stream.live = 0;
            stream.adopted = false;
            stream.ended = Some(here);
        }
    }

    /// The server refused one Sub (an `Error` answering it): one subscription less, and the
    /// stream ends when none is left.
    pub fn refused(&mut self, cx: &mut Context<'_>) {
        let here = cx.here();
        let Some(stream) = self.stream(cx) else { return };
        if stream.live > 0 {
            stream.live -= 1;
            if stream.live == 0 {
                stream.ended = Some(here);
            }
        }
    }

    /// Data arrives on a subscription.
    pub fn push(&mut self, cx: &mut Context<'_>, info: Option<&'static MessageInfo>, effects: Option<&Effects>) {
        let topic = cx.full_topic;
        let Some(stream) = self.stream(cx) else { return };
        if stream.live == 0 && !stream.adopted {
            match stream.ended.clone() {
                Some(ended) => {
                    let message = format!("data on `{topic}` after its subscription ended with {}", ended.describe());
                    cx.report(Severity::Error, Code::PushWithoutSubscription, message, "/Topic", Some(&ended));
                }
                None => {
                    let message = format!(
                        "data on `{topic}` with no Sub seen on this connection (the capture may have started after it)"
                    );
                    cx.report(Severity::Warning, Code::PushWithoutSubscription, message, "/Topic", None);
                }
            }
            // Followed from here on, its state unknown until a clear; reported once.
            stream.forget_keys(cx.keys_overall);
            *stream = Stream { adopted: true, ..Stream::default() };
        }
        stream.answered = true;
        let first = std::mem::take(&mut stream.first_data);
        let (Some(info), Some(effects)) = (info, effects) else { return };
        if first {
            stream.snapshot(cx, info, effects, topic);
        }
        let here = cx.here();
        state::apply(&mut Keys { stream, cx, topic, here }, info.changes, Some(effects), None);
    }

    /// Reports the subscriptions that got neither a confirmation nor data.
    pub fn finish(self, source: &str, out: &mut dyn FnMut(Finding)) {
        let mut silent: Vec<(Place, String)> = self
            .streams
            .into_values()
            .flatten()
            .filter(|(_, s)| s.live > 0 && !s.answered)
            .filter_map(|(topic, s)| Some((s.opened?, topic)))
            .collect();
        silent.sort_by_key(|(opened, _)| opened.index);
        for (opened, topic) in silent {
            let message =
                format!("the subscription to `{topic}` got neither a confirmation nor data by the end of the capture");
            let mut finding =
                finding::new(source, &opened, Severity::Warning, Code::SubscriptionSilent, &message, "", "", None);
            // Followed as a client's Sub, so sent by the client, whatever the capture says.
            if opened.direction.is_none() {
                finding.inferred = Some(Direction::Send);
            }
            out(finding);
        }
    }
}

impl Stream {
    /// Drops the keys held (the state becomes unknown), and their count from the overall one.
    fn forget_keys(&mut self, overall: &mut usize) {
        *overall = overall.saturating_sub(self.keys.take().map_or(0, |keys| keys.len()));
        self.length = None;
    }

    /// The first data after a Sub is the full state: it starts as the rules say, and has every
    /// property that never changes.
    fn snapshot(&mut self, cx: &mut Context<'_>, info: &MessageInfo, effects: &Effects, topic: &str) {
        let Some(opened) = self.opened.as_ref().filter(|_| !self.adopted).map(Related::of) else { return };
        let starts = info.changes.and_then(|rules| rules.snapshot);
        if let Some(expected) = starts {
            let first = effects.records.first().and_then(|r| r.operation);
            if first != Some(expected) {
                let message = format!(
                    "the first data on `{topic}` after {} must start with {}, the full state",
                    opened.describe(),
                    operation_name(info.changes, expected)
                );
                cx.report(Severity::Error, Code::SnapshotMissing, message, "/Data/0", Some(&opened));
            }
        }
        let missing: Vec<&str> = effects.fixed.iter().filter(|(_, v)| v.is_none()).map(|(name, _)| *name).collect();
        if !missing.is_empty() && !effects.fixed.is_empty() {
            let message = format!(
                "the first data on `{topic}` after {} is the full state, but lacks {}",
                opened.describe(),
                missing.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            );
            cx.report(Severity::Error, Code::SnapshotMissing, message, "/Data", Some(&opened));
        }
    }
}

/// The checker's store: one subscription's keys, each with the message that added it (or the
/// length of its list), and where what does not fit them is reported.
struct Keys<'k, 'c> {
    stream: &'k mut Stream,
    cx: &'k mut Context<'c>,
    topic: &'k str,
    /// The message being applied.
    here: Related,
}

impl Keys<'_, '_> {
    /// What made the state known, for findings: ` since #n`, and the message.
    fn since(&self) -> (String, Option<Related>) {
        let since = self.stream.since.clone();
        (since.as_ref().map_or_else(String::new, |s| format!(" since {}", s.describe())), since)
    }
}

impl Store for Keys<'_, '_> {
    fn known(&self) -> bool {
        self.stream.keys.is_some()
    }

    fn holds(&self, key: &str) -> bool {
        self.stream.keys.as_ref().is_some_and(|keys| keys.contains_key(key))
    }

    /// The key is held with this message, within the limits on keys; past one, the state is
    /// forgotten until the next clear.
    fn add(&mut self, key: &Text, record: &Record<'_>) {
        let Some(keys) = &mut self.stream.keys else { return };
        let overall = &mut *self.cx.keys_overall;
        if keys.len() < MAX_KEYS && *overall < MAX_KEYS_OVERALL {
            keys.insert(key.clone(), self.here.clone());
            *overall += 1;
            if record.rules.ordered {
                self.stream.last_added = Some((key.clone(), self.here.clone()));
            }
            return;
        }
        let limit = if keys.len() >= MAX_KEYS {
            format!("{MAX_KEYS} keys for one subscription")
        } else {
            format!("{MAX_KEYS_OVERALL} keys over all subscriptions")
        };
        self.stream.forget_keys(overall);
        self.stream.unknown_reported = true;
        let topic = self.topic;
        let message =
            format!("`{topic}` reached the limit of {limit}: its keys are followed again from its next clear");
        self.cx.report(Severity::Warning, Code::StateLimit, message, &record.path(), None);
    }

    /// An add of a key held is an error; a set of one changes nothing held.
    fn again(&mut self, operation: Operation, key: &Text, record: &Record<'_>) {
        let added = self.stream.keys.as_ref().and_then(|keys| keys.get(key.as_str()));
        if let Some(added) = added.filter(|_| operation == Operation::Add).cloned() {
            let message = format!("`{key}` is added again on `{}`: {} added it", self.topic, added.describe());
            self.cx.report(Severity::Error, Code::DuplicateAdd, message, &record.path(), Some(&added));
        }
    }

    fn update(&mut self, key: &Text, _record: &Record<'_>) -> bool {
        self.holds(key)
    }

    fn remove(&mut self, key: &Text) -> bool {
        let held = self.stream.keys.as_mut().is_some_and(|keys| keys.remove(key.as_str()).is_some());
        if held {
            *self.cx.keys_overall = self.cx.keys_overall.saturating_sub(1);
        }
        held
    }

    fn clear(&mut self) {
        // A small table is kept for the keys to come (a book is cleared and refilled often); a
        // large one is given back, as the overall limit counts keys, not room.
        let stream = &mut *self.stream;
        let mut keys = stream.keys.take().unwrap_or_default();
        *self.cx.keys_overall = self.cx.keys_overall.saturating_sub(keys.len());
        keys.clear();
        keys.shrink_to(KEPT_ON_CLEAR);
        stream.keys = Some(keys);
        stream.length = Some(0);
        stream.since = Some(self.here.clone());
        stream.last_added = None;
        stream.unknown_reported = false;
    }

    fn clear_scope(&mut self, scope: &str) {
        let Some(keys) = &mut self.stream.keys else { return };
        let before = keys.len();
        keys.retain(|key, _| !in_scope(key, scope));
        *self.cx.keys_overall = self.cx.keys_overall.saturating_sub(before - keys.len());
    }

    fn length(&self) -> u64 {
        self.stream.length.unwrap_or_default()
    }

    fn insert(&mut self, _at: u64, record: &Record<'_>) {
        let count = record.change.count.unwrap_or_default();
        self.stream.length = self.stream.length.map(|length| length.saturating_add(count));
    }

    fn replace(&mut self, _at: u64, _record: &Record<'_>) {}

    fn cut(&mut self, _at: u64, count: u64) {
        self.stream.length = self.stream.length.map(|length| length.saturating_sub(count));
    }

    /// The first value of a property that never changes is kept; another one is an error.
    fn fixed(&mut self, name: &'static str, value: Option<&Text>) {
        let Some(value) = value else { return };
        match self.stream.fixed.get(name) {
            Some((first, set)) if first != value => {
                let message = format!(
                    "`{name}` is fixed for the life of a subscription, but changed from `{}` ({}) to `{}`",
                    shown(first),
                    set.describe(),
                    shown(value)
                );
                let set = set.clone();
                self.cx.report(Severity::Error, Code::FixedFieldChanged, message, &format!("/Data/{name}"), Some(&set));
            }
            Some(_) => {}
            None => {
                self.stream.fixed.insert(name, (value.clone(), self.here.clone()));
            }
        }
    }

    fn follows(&self, key: &str) -> bool {
        self.stream.last_added.as_ref().is_none_or(|(last, _)| increases(last, key))
    }

    fn regressed(&mut self, key: &Text, record: &Record<'_>) {
        let Some((last, at)) = self.stream.last_added.clone() else { return };
        let message =
            format!("`{key}` is added on `{}` after `{last}` ({}): the ids go backwards", self.topic, at.describe());
        self.cx.report(Severity::Error, Code::OrderRegressed, message, &record.path(), Some(&at));
    }

    fn not_held(&mut self, operation: Operation, key: &Text, record: &Record<'_>) {
        let what = if operation == Operation::Remove { "removed" } else { "updated" };
        let (since_text, since) = self.since();
        let message = format!("`{key}` is {what} on `{}`, but was not added{since_text}", self.topic);
        self.cx.report(Severity::Error, Code::ChangeForUnknownKey, message, &record.path(), since.as_ref());
    }

    /// Held against a state not known: one warning, then nothing until a clear.
    fn unknown(&mut self, record: &Record<'_>, what: &str) {
        if !std::mem::replace(&mut self.stream.unknown_reported, true) {
            let message = format!(
                "a change to {what} on `{}`, whose state before this capture is not known; \
                 its changes are followed from its next clear",
                self.topic
            );
            self.cx.report(Severity::Warning, Code::ChangeForUnknownKey, message, &record.path(), None);
        }
    }

    /// The list is forgotten until its next clear.
    fn out_of_range(&mut self, operation: Operation, record: &Record<'_>, length: u64) {
        let (at, count) = (record.change.at.unwrap_or_default(), record.change.count.unwrap_or_default());
        let (since_text, since) = self.since();
        let needs = if operation == Operation::Insert { at } else { at.saturating_add(count) };
        let message = format!(
            "{} of {count} at position {at} on `{}` needs at least {needs} items, but there are {length}{since_text}; \
             its items are followed again from its next clear",
            operation_name(Some(record.rules), operation),
            self.topic
        );
        self.stream.forget_keys(self.cx.keys_overall);
        self.stream.unknown_reported = true;
        self.cx.report(Severity::Error, Code::PositionOutOfRange, message, &record.path(), since.as_ref());
    }
}

/// The tag value that does `operation`, for messages.
fn operation_name(rules: Option<&ChangeRules>, operation: Operation) -> String {
    let tag = rules.and_then(|r| Some((r.tag?, r.operations.iter().find(|(_, o)| *o == operation)?.0)));
    match tag {
        Some((tag, value)) => format!("`{tag}: {value}`"),
        None => format!("{operation:?}"),
    }
}

fn shown(value: &str) -> String {
    zenith_protocol::runtime::diagnostics::excerpt(value)
}
