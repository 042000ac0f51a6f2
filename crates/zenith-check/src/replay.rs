//! The state of one subscription at a point in a capture, rebuilt as its client would: its
//! change records applied in order (by the rules its schema gives), or its fields merged. This
//! is what `zenith replay` prints.

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zenith_capture::{Body, Control, Event, TransportEvent};
use zenith_protocol::runtime::changes::in_scope;
use zenith_protocol::{Change, ChangeRules, Direction, EnvelopeKeys, Operation};
use zenith_redact::Screen;

use crate::{outline, shown};

/// Where to stop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Until {
    /// At the end of the capture.
    End,
    /// After the message with this 1-based index on its connection (the `index` of findings).
    Index(u64),
    /// After the last message at or before this time, in seconds since the epoch.
    Time(f64),
}

/// Rebuilds one subscription's state.
pub struct Replay {
    topic: String,
    /// The connection asked for; else the first one the topic's data is on.
    conn: Option<String>,
    until: Until,
    /// Messages seen on each connection, to index them as the checker does.
    indexes: HashMap<String, u64>,
    state: State,
    /// The connection followed has passed the point asked for.
    done: bool,
    /// The credentials met anywhere in the capture (before or after the point, on any
    /// connection), so that no copy of one is shown.
    screen: Screen,
    /// A credential may have been learnt in part (see `analyze::unsure`): values are withheld.
    unsure: bool,
}

/// A subscription's state at a point.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub topic: String,
    /// The connection the state is on; `None` when the capture has no data for the topic.
    pub conn: Option<String>,
    /// Data messages applied.
    pub messages: u64,
    /// The last message applied: its index on the connection and its time.
    pub index: Option<u64>,
    pub time: Option<f64>,
    /// Records by key, in the order they were added (keyed change records).
    pub records: Option<Map<String, Value>>,
    /// The items in order (positional change records, such as a watchlist's members).
    pub items: Option<Vec<Value>>,
    /// The fields as last set (topics whose data is one object, such as Security).
    pub fields: Option<Map<String, Value>>,
    /// Data messages on the topic passed over as too large to read (over
    /// [`outline::TREE_VALUES`] JSON values): the state shown lacks what they did.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub too_large: u64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

impl Replay {
    pub fn new(topic: &str, conn: Option<&str>, until: Until) -> Replay {
        let state = State { topic: topic.to_owned(), ..State::default() };
        Replay {
            topic: topic.to_owned(),
            conn: conn.map(str::to_owned),
            until,
            indexes: HashMap::default(),
            state,
            done: false,
            screen: Screen::default(),
            unsure: false,
        }
    }

    pub fn event(&mut self, event: Event) {
        // The whole capture is read for credentials, whatever the point, topic or side: the
        // state shown may hold a copy of any of them.
        let frame = match event {
            Event::Frame(frame) => frame,
            Event::Context(context) => {
                let credentials = zenith_redact::credentials(&context.json);
                self.unsure |= context.partial && crate::analyze::unsure(&credentials);
                return self.screen.learn(&credentials);
            }
            Event::Transport(transport) => {
                if let TransportEvent::Control(Control::Close { reason, .. }) = transport.what {
                    self.screen.learn_text(&reason);
                }
                return;
            }
            Event::Skipped(_) => return,
        };
        let (text, spelt) = match frame.body {
            Body::Text(text) => (text, None),
            Body::Binary(binary) => match binary.decode() {
                Ok(decoded) => (decoded.text, decoded.as_text),
                Err(_) => (String::new(), None),
            },
            Body::CaptureError(text) => {
                self.screen.learn_text(&text);
                (String::new(), None)
            }
            Body::Unreadable(_) => (String::new(), None),
        };
        // A message of many values is not read into a tree, and not applied.
        let (value, large) = match outline::tree(&text) {
            Ok((value, large)) => (Ok(value), large.is_some()),
            Err(error) => (Err(error), false),
        };
        if large || value.as_ref().map_or(!text.is_empty(), shown::may_hold_credentials) {
            self.screen.learn_text(&text);
        }
        if let Some(spelt) = spelt {
            self.screen.learn_text(&spelt);
        }
        let conn = frame.origin.connection().into_owned();
        let index = self.indexes.entry(conn.clone()).or_default();
        *index += 1;
        let index = *index;
        if self.done || self.conn.as_ref().is_some_and(|c| *c != conn) {
            return;
        }
        let past = match self.until {
            Until::End => false,
            Until::Index(last) => index > last,
            Until::Time(last) => frame.time.is_some_and(|t| t > last),
        };
        // Only the connection followed has a point to stop at.
        if past && self.conn.is_some() {
            self.done = true;
            return;
        }
        let Ok(value) = value else { return };
        if frame.direction == Some(Direction::Send) {
            return;
        }
        if value.get("Topic").and_then(Value::as_str) != Some(&self.topic) || value.get("TransactionID").is_some() {
            return;
        }
        let Ok(keys) = EnvelopeKeys::read(&value) else { return };
        let Some(kind) = keys.kind(Direction::Receive) else { return };
        let data = value.get("Data");
        if data.is_none() && !large {
            return;
        }
        if past {
            self.done = true;
            return;
        }
        self.conn.get_or_insert(conn);
        let Some(data) = data else {
            self.state.too_large += 1;
            self.state.conn.clone_from(&self.conn);
            return;
        };
        match kind.info().changes {
            Some(rules) => apply(&mut self.state, rules, data),
            None => merge(self.state.fields.get_or_insert_default(), data),
        }
        self.state.conn.clone_from(&self.conn);
        self.state.messages += 1;
        self.state.index = Some(index);
        self.state.time = frame.time;
    }

    /// The state reached, with every credential (and every copy of one) replaced; past every
    /// limit on the credentials remembered, with every text in it withheld.
    pub fn finish(mut self) -> State {
        let text = serde_json::to_string(&self.state).unwrap_or_default();
        let shown = self.screen.text(&text);
        let mut state: State = serde_json::from_str(&shown).unwrap_or(self.state);
        if self.screen.overflow() > 0 || self.unsure {
            let mut values = state.records.iter_mut().chain(&mut state.fields).flat_map(|map| map.values_mut());
            values.by_ref().chain(state.items.iter_mut().flatten()).for_each(withhold);
        }
        state
    }
}

/// Every string in `value` replaced by the placeholder.
fn withhold(value: &mut Value) {
    match value {
        Value::String(text) => *text = zenith_redact::PLACEHOLDER.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(withhold),
        Value::Object(fields) => fields.values_mut().for_each(withhold),
        _ => {}
    }
}

/// Applies change records to the records or items held.
fn apply(state: &mut State, rules: &ChangeRules, data: &Value) {
    let records = match data {
        Value::Array(records) => records.as_slice(),
        other => std::slice::from_ref(other),
    };
    for record in records {
        let change = rules.read(record);
        let Some(operation) = change.operation else { continue };
        if let Some(position) = rules.position {
            let items = rules.reads[position.items].first().and_then(|name| record.get(name)?.as_array());
            move_items(state.items.get_or_insert_default(), operation, &change, items.map_or(&[][..], Vec::as_slice));
            continue;
        }
        let held = state.records.get_or_insert_default();
        let Some(key) = change.key else {
            if operation == Operation::Clear {
                held.clear();
            }
            continue;
        };
        match operation {
            // A scoped clear: the records whose key starts with the scope's value.
            Operation::Clear => held.retain(|k, _| !in_scope(k, &key)),
            Operation::Add | Operation::Set => {
                held.insert(key.into(), entity(rules, record));
            }
            Operation::Update => {
                if let Some(Value::Object(fields)) = held.get_mut(key.as_str()) {
                    merge(fields, &entity(rules, record));
                }
            }
            Operation::Remove => {
                held.shift_remove(key.as_str());
            }
            Operation::Insert | Operation::Replace => {}
        }
    }
}

/// Applies a positional record to the items held, as far as it can: a position past the end is
/// taken as the end (`zenith check` reports it), a record without one is passed over.
fn move_items(held: &mut Vec<Value>, operation: Operation, change: &Change, items: &[Value]) {
    if operation != Operation::Clear && change.at.is_none() {
        return;
    }
    let at = change.at.and_then(|at| usize::try_from(at).ok()).unwrap_or(usize::MAX).min(held.len());
    let count = change.count.and_then(|count| usize::try_from(count).ok()).unwrap_or_default();
    match operation {
        Operation::Clear => held.clear(),
        Operation::Insert => {
            held.splice(at..at, items.iter().cloned());
        }
        Operation::Replace => {
            let end = at.saturating_add(items.len()).min(held.len());
            held.splice(at..end, items.iter().cloned());
        }
        Operation::Remove => {
            held.drain(at..at.saturating_add(count).min(held.len()));
        }
        Operation::Add | Operation::Update | Operation::Set => {}
    }
}

/// What a record is about: the object its key is in (`Order` for the key `/Order/ID`), or the
/// record without its tag when the key is at its top.
fn entity(rules: &ChangeRules, record: &Value) -> Value {
    let key = &rules.reads[..rules.key_parts];
    let first = key.first().and_then(|path| path.first()).copied();
    let nested = first.filter(|f| key.iter().all(|p| p.len() > 1 && p[0] == *f));
    match nested.and_then(|name| record.get(name)) {
        Some(inner @ Value::Object(_)) => inner.clone(),
        _ => {
            let mut fields = record.as_object().cloned().unwrap_or_default();
            if let Some(tag) = rules.tag {
                fields.shift_remove(tag);
            }
            Value::Object(fields)
        }
    }
}

/// Sets each field of `changes` in `fields`.
fn merge(fields: &mut Map<String, Value>, changes: &Value) {
    if let Some(changes) = changes.as_object() {
        for (name, value) in changes {
            fields.insert(name.clone(), value.clone());
        }
    }
}
