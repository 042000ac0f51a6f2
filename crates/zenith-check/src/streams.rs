//! Each subscription's state across the messages of one connection: whether it is live, and
//! the keys its change records have built. The rules come from the schemas (`x-zenith-changes`,
//! `x-zenith-fixed`), so nothing here knows a topic. Each finding names the message that breaks
//! the state and the one that set it.

use hashbrown::hash_map::EntryRef;
use rustc_hash::FxBuildHasher;
use zenith_protocol::runtime::changes::{Text, in_scope};
use zenith_protocol::{Change, ChangeRules, Direction, MessageInfo, Operation};

use crate::effects::Effects;
use crate::finding::{self, Finding, Level, Place, Related};

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
    fn report(&mut self, level: Level, code: &str, message: String, path: &str, related: Option<&Related>) {
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
                    cx.report(Level::Warning, "state-limit", message, "", None);
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

    /// The client unsubscribes: one subscription less.
    pub fn unsubscribe(&mut self, cx: &mut Context<'_>) {
        let here = cx.here();
        let topic = cx.full_topic;
        let Some(stream) = self.stream(cx) else { return };
        stream.unconfirmed_unsubs += 1;
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
                cx.report(Level::Error, "unsubscribe-without-subscribe", message, "/Topic", Some(&ended));
            }
            None => {
                let message = format!(
                    "Unsub of `{topic}` with no Sub seen on this connection (the capture may have started after it)"
                );
                stream.ended = Some(here);
                cx.report(Level::Warning, "unsubscribe-without-subscribe", message, "/Topic", None);
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

    /// Data arrives on a subscription.
    pub fn push(&mut self, cx: &mut Context<'_>, info: Option<&'static MessageInfo>, effects: Option<&Effects>) {
        let topic = cx.full_topic;
        let Some(stream) = self.stream(cx) else { return };
        if stream.live == 0 && !stream.adopted {
            match stream.ended.clone() {
                Some(ended) => {
                    let message = format!("data on `{topic}` after its subscription ended with {}", ended.describe());
                    cx.report(Level::Error, "push-without-subscription", message, "/Topic", Some(&ended));
                }
                None => {
                    let message = format!(
                        "data on `{topic}` with no Sub seen on this connection (the capture may have started after it)"
                    );
                    cx.report(Level::Warning, "push-without-subscription", message, "/Topic", None);
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
        stream.fixed(cx, effects);
        if let Some(rules) = info.changes {
            stream.changes(cx, rules, effects, topic);
        }
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
                finding::new(source, &opened, Level::Warning, "subscription-silent", &message, "", "", None);
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
                cx.report(Level::Error, "snapshot-missing", message, "/Data/0", Some(&opened));
            }
        }
        let missing: Vec<&str> = effects.fixed.iter().filter(|(_, v)| v.is_none()).map(|(name, _)| *name).collect();
        if !missing.is_empty() && !effects.fixed.is_empty() {
            let message = format!(
                "the first data on `{topic}` after {} is the full state, but lacks {}",
                opened.describe(),
                missing.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            );
            cx.report(Level::Error, "snapshot-missing", message, "/Data", Some(&opened));
        }
    }

    fn fixed(&mut self, cx: &mut Context<'_>, effects: &Effects) {
        let here = cx.here();
        for (name, value) in &effects.fixed {
            let Some(value) = value else { continue };
            match self.fixed.get(name) {
                Some((first, set)) if first != value => {
                    let message = format!(
                        "`{name}` is fixed for the life of a subscription, but changed from `{}` ({}) to `{}`",
                        shown(first),
                        set.describe(),
                        shown(value)
                    );
                    let set = set.clone();
                    cx.report(Level::Error, "fixed-field-changed", message, &format!("/Data/{name}"), Some(&set));
                }
                Some(_) => {}
                None => {
                    self.fixed.insert(name, (value.clone(), here.clone()));
                }
            }
        }
    }

    fn changes(&mut self, cx: &mut Context<'_>, rules: &ChangeRules, effects: &Effects, topic: &str) {
        let here = cx.here();
        for (position, change) in effects.records.iter().enumerate() {
            let record = Record { rules, change, position, topic, here: &here };
            match change.operation {
                Some(Operation::Clear) if change.key.is_some() => self.clear_scope(cx, &record),
                Some(Operation::Clear) => {
                    // A small table is kept for the keys to come (a book is cleared and refilled
                    // often); a large one is given back, as the overall limit counts keys, not room.
                    let mut keys = self.keys.take().unwrap_or_default();
                    *cx.keys_overall = cx.keys_overall.saturating_sub(keys.len());
                    keys.clear();
                    keys.shrink_to(KEPT_ON_CLEAR);
                    self.keys = Some(keys);
                    self.length = Some(0);
                    self.since = Some(here.clone());
                    self.last_added = None;
                    self.unknown_reported = false;
                }
                Some(operation) if rules.positional() => self.move_items(cx, operation, &record),
                Some(operation) => self.change(cx, operation, &record),
                None => {}
            }
        }
    }

    /// Held against a state not known: one warning, then nothing until a clear.
    fn unknown(&mut self, cx: &mut Context<'_>, record: &Record<'_>, what: &str) {
        if !std::mem::replace(&mut self.unknown_reported, true) {
            let message = format!(
                "a change to {what} on `{}`, whose state before this capture is not known; \
                 its changes are followed from its next clear",
                record.topic
            );
            cx.report(Level::Warning, "change-for-unknown-key", message, &record.path(), None);
        }
    }

    /// A clear of the records whose key starts with the clear's scope (one account's).
    fn clear_scope(&mut self, cx: &mut Context<'_>, record: &Record<'_>) {
        let (Some(keys), Some(scope)) = (&mut self.keys, &record.change.key) else { return };
        let before = keys.len();
        keys.retain(|key, _| !in_scope(key, scope));
        *cx.keys_overall = cx.keys_overall.saturating_sub(before - keys.len());
    }

    fn change(&mut self, cx: &mut Context<'_>, operation: Operation, record: &Record<'_>) {
        let Some(key) = &record.change.key else { return };
        let topic = record.topic;
        let Some(keys) = &mut self.keys else {
            if !matches!(operation, Operation::Add | Operation::Set) {
                self.unknown(cx, record, &format!("`{key}`"));
            }
            return;
        };
        match operation {
            Operation::Add | Operation::Set => {
                let full = keys.len() >= MAX_KEYS || *cx.keys_overall >= MAX_KEYS_OVERALL;
                let entry = match keys.entry_ref(key) {
                    EntryRef::Occupied(added) => {
                        if operation == Operation::Add {
                            let added = added.get().clone();
                            let message = format!("`{key}` is added again on `{topic}`: {} added it", added.describe());
                            cx.report(Level::Error, "duplicate-add", message, &record.path(), Some(&added));
                        }
                        return;
                    }
                    EntryRef::Vacant(entry) => entry,
                };
                if record.rules.ordered
                    && let Some((last, at)) = &self.last_added
                    && !increases(last, key)
                {
                    let message = format!(
                        "`{key}` is added on `{topic}` after `{last}` ({}): the ids go backwards",
                        at.describe()
                    );
                    cx.report(Level::Error, "order-regressed", message, &record.path(), Some(at));
                }
                if !full {
                    entry.insert(record.here.clone());
                    *cx.keys_overall += 1;
                    if record.rules.ordered {
                        self.last_added = Some((key.clone(), record.here.clone()));
                    }
                    return;
                }
                let limit = if keys.len() >= MAX_KEYS {
                    format!("{MAX_KEYS} keys for one subscription")
                } else {
                    format!("{MAX_KEYS_OVERALL} keys over all subscriptions")
                };
                self.forget_keys(cx.keys_overall);
                self.unknown_reported = true;
                let message =
                    format!("`{topic}` reached the limit of {limit}: its keys are followed again from its next clear");
                cx.report(Level::Warning, "state-limit", message, &record.path(), None);
            }
            Operation::Update | Operation::Remove => {
                let known = match operation {
                    Operation::Remove => keys.remove(key.as_str()).is_some(),
                    _ => keys.contains_key(key.as_str()),
                };
                if operation == Operation::Remove && known {
                    *cx.keys_overall = cx.keys_overall.saturating_sub(1);
                }
                if !known {
                    let what = if operation == Operation::Remove { "removed" } else { "updated" };
                    let since = self.since.as_ref();
                    let since_text = since.map_or_else(String::new, |s| format!(" since {}", s.describe()));
                    let message = format!("`{key}` is {what} on `{topic}`, but was not added{since_text}");
                    cx.report(Level::Error, "change-for-unknown-key", message, &record.path(), since);
                }
            }
            Operation::Clear | Operation::Insert | Operation::Replace => {}
        }
    }

    /// A positional record: items inserted, overwritten or removed at a position, which must
    /// lie within the list as the records before it left it.
    fn move_items(&mut self, cx: &mut Context<'_>, operation: Operation, record: &Record<'_>) {
        let (Some(at), Some(count)) = (record.change.at, record.change.count) else { return };
        let Some(length) = self.length else {
            return self.unknown(cx, record, &format!("position {at}"));
        };
        let (fits, after) = match operation {
            Operation::Insert => (at <= length, length.checked_add(count)),
            Operation::Replace => (at.checked_add(count).is_some_and(|end| end <= length), Some(length)),
            Operation::Remove => (at.checked_add(count).is_some_and(|end| end <= length), length.checked_sub(count)),
            _ => (true, Some(length)),
        };
        match after.filter(|_| fits) {
            Some(after) => self.length = Some(after),
            None => {
                let since = self.since.clone();
                let since_text = since.as_ref().map_or_else(String::new, |s| format!(" since {}", s.describe()));
                let needs = if operation == Operation::Insert { at } else { at.saturating_add(count) };
                let message = format!(
                    "{} of {count} at position {at} on `{}` needs at least {needs} items, but there are {length}{since_text}; \
                     its items are followed again from its next clear",
                    operation_name(Some(record.rules), operation),
                    record.topic
                );
                self.forget_keys(cx.keys_overall);
                self.unknown_reported = true;
                cx.report(Level::Error, "position-out-of-range", message, &record.path(), since.as_ref());
            }
        }
    }
}

/// One change record being applied, and where it is.
struct Record<'r> {
    rules: &'r ChangeRules,
    change: &'r Change,
    /// Its index in `Data`.
    position: usize,
    topic: &'r str,
    here: &'r Related,
}

impl Record<'_> {
    fn path(&self) -> String {
        format!("/Data/{}", self.position)
    }
}

/// Whether `next` comes after `last`: as numbers when both are, else as text.
fn increases(last: &str, next: &str) -> bool {
    match (last.parse::<i128>(), next.parse::<i128>()) {
        (Ok(last), Ok(next)) => next > last,
        _ => next > last,
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
