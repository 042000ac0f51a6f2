//! One subscription's state at a point in a capture, as its client would hold it: what `zenith replay` prints.

// The capture goes through a `Checker`, which reads, numbers and analyses each frame; replay
// watches the analyses it applies and feeds the pushes of one subscription to the state engine
// (`state`), with a store of the records themselves.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zenith_capture::{Control, Event, TransportEvent};
use zenith_redact::Screen;

use crate::analyze::Analysis;
use crate::checker::Checker;
use crate::data::Data;
use zenith_protocol::runtime::state::Records;

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
    checker: Checker,
    watcher: Watcher,
}

/// What replay keeps of the analyses the checker applies.
struct Watcher {
    /// The connection asked for; else the first one the topic's data is on.
    conn: Option<String>,
    until: Until,
    /// The records held, and where they stand.
    records: Records,
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
    /// [`crate::outline::TREE_VALUES`] JSON values): the state shown lacks what they did.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub too_large: u64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

impl Replay {
    pub fn new(topic: &str, conn: Option<&str>, until: Until) -> Replay {
        let watcher = Watcher {
            conn: conn.map(str::to_owned),
            until,
            records: Records::default(),
            state: State { topic: topic.to_owned(), ..State::default() },
            done: false,
            screen: Screen::default(),
            unsure: false,
        };
        Replay { checker: Checker::new("-"), watcher }
    }

    pub fn event(&mut self, event: Event) {
        // A close's reason is read for credentials too: the state shown may hold a copy.
        if let Event::Transport(transport) = &event
            && let TransportEvent::Control(Control::Close { reason, .. }) = &transport.what
        {
            self.watcher.screen.learn_text(reason);
        }
        let Replay { checker, watcher } = self;
        let topic = watcher.state.topic.clone();
        checker.event_watched(event, &topic, &mut |_| {}, &mut |analysis, index| watcher.watch(analysis, index));
    }

    /// The state reached, with every credential (and every copy of one) replaced; past every
    /// limit on the credentials remembered, with every text in it withheld.
    pub fn finish(self) -> State {
        let Watcher { records, mut state, mut screen, unsure, .. } = self.watcher;
        let keyed = records.keyed.map(|held| held.into_iter().collect());
        (state.records, state.items, state.fields) = (keyed, records.items, records.fields);
        let text = serde_json::to_string(&state).unwrap_or_default();
        let shown = screen.text(&text);
        let mut state: State = serde_json::from_str(&shown).unwrap_or(state);
        if screen.overflow() > 0 || unsure {
            let mut values = state.records.iter_mut().chain(&mut state.fields).flat_map(|map| map.values_mut());
            values.by_ref().chain(state.items.iter_mut().flatten()).for_each(withhold);
        }
        state
    }
}

impl Watcher {
    /// Learns the credentials of every analysis; applies the data pushed on the topic, on the
    /// connection followed, up to the point asked for. `index` is the analysis's on its
    /// connection, for a frame on a connection the checker follows.
    fn watch(&mut self, analysis: &Analysis, index: Option<u64>) {
        // The whole capture is read for credentials, whatever the point, topic or side: the
        // state shown may hold a copy of any of them.
        self.screen.learn(analysis.credentials());
        self.unsure |= matches!(analysis, Analysis::Context { unsure: true, .. });
        let (Some(index), Some(conn)) = (index, analysis.conn()) else { return };
        if self.done || self.conn.as_deref().is_some_and(|c| c != &*conn) {
            return;
        }
        let time = analysis.time();
        let past = match self.until {
            Until::End => false,
            Until::Index(last) => index > last,
            Until::Time(last) => time.is_some_and(|t| t > last),
        };
        // Only the connection followed has a point to stop at.
        if past && self.conn.is_some() {
            self.done = true;
            return;
        }
        // Only data pushed on the topic has its `Data` kept.
        let Analysis::Message(checked) = analysis else { return };
        let Some(data) = &checked.data else { return };
        if past {
            self.done = true;
            return;
        }
        let conn = self.conn.get_or_insert_with(|| conn.into_owned());
        self.state.conn = Some(conn.clone());
        let Data::Value(data) = data else {
            self.state.too_large += 1;
            return;
        };
        let rules = checked.kind.and_then(|kind| kind.info().changes);
        self.records.push(rules, checked.effects.as_ref(), Some(data));
        self.state.messages += 1;
        self.state.index = Some(index);
        self.state.time = time;
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
