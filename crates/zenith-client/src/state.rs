//! A subscription's state, kept by the schemas' change rules exactly as `zenith check` and
//! `zenith replay` keep it, with every record that does not fit told.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use zenith_protocol::runtime::changes::Text;
use zenith_protocol::runtime::state::effects::from_value;
use zenith_protocol::runtime::state::{self, Record, Records, Store};
use zenith_protocol::{MessageKind, Operation};

/// What a subscription holds after the pushes so far: records by key (a book's orders, a
/// portfolio's balances), members by position (a watchlist), or fields (a security).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    records: Records,
}

impl State {
    /// The records held by key, in the order they were added (none for a topic without keys).
    pub fn records(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.records.keyed.iter().flat_map(|held| held.iter())
    }

    /// The records held by key, each read as `T`, the type of the topic's records (such as
    /// `DepthOrder` for `Depth`): an error for one that does not read as one.
    pub fn records_as<T: DeserializeOwned>(&self) -> impl Iterator<Item = (&str, Result<T, serde_json::Error>)> {
        self.records().map(|(key, record)| (key, T::deserialize(record)))
    }

    /// The members held, in order (a positional topic's).
    pub fn members(&self) -> &[Value] {
        self.records.items.as_deref().unwrap_or_default()
    }

    /// The members held, in order, each read as `T` (see [`State::records_as`]).
    pub fn members_as<T: DeserializeOwned>(&self) -> impl Iterator<Item = Result<T, serde_json::Error>> {
        self.members().iter().map(T::deserialize)
    }

    /// The fields as last set (a topic whose data has no change records).
    pub fn fields(&self) -> Option<&Map<String, Value>> {
        self.records.fields.as_ref()
    }

    /// Forgets everything: the subscription starts again.
    pub(crate) fn clear(&mut self) {
        self.records = Records::default();
    }

    /// Applies a push of `kind`, read into the tree `value`; what did not fit, and why for a
    /// person.
    pub(crate) fn apply(&mut self, kind: MessageKind, value: &Value) -> Vec<(Misfit, String)> {
        let info = kind.info();
        let effects = from_value(info, value);
        self.records.prepare(info.changes, effects.as_ref());
        let mut kept = Kept { records: &mut self.records, problems: Vec::new() };
        state::apply(&mut kept, info.changes, effects.as_ref(), state::data(value));
        kept.problems
    }
}

/// How a change record does not fit the state held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Misfit {
    /// An update or removal of a key not held.
    NotHeld,
    /// An add of a key held already.
    Again,
    /// A position past the members held.
    OutOfRange,
}

/// The records, and what did not fit them.
struct Kept<'a> {
    records: &'a mut Records,
    problems: Vec<(Misfit, String)>,
}

impl Store for Kept<'_> {
    fn holds(&self, key: &str) -> bool {
        self.records.holds(key)
    }

    fn add(&mut self, key: &Text, record: &Record<'_>) {
        self.records.add(key, record);
    }

    fn again(&mut self, operation: Operation, key: &Text, record: &Record<'_>) {
        self.problems
            .push((Misfit::Again, format!("{}: {operation:?} of `{key}`, which is held already", record.path())));
        self.records.again(operation, key, record);
    }

    fn update(&mut self, key: &Text, record: &Record<'_>) -> bool {
        self.records.update(key, record)
    }

    fn remove(&mut self, key: &Text) -> bool {
        self.records.remove(key)
    }

    fn clear(&mut self) {
        self.records.clear();
    }

    fn clear_scope(&mut self, scope: &str) {
        self.records.clear_scope(scope);
    }

    fn length(&self) -> u64 {
        self.records.length()
    }

    fn insert(&mut self, at: u64, record: &Record<'_>) {
        self.records.insert(at, record);
    }

    fn replace(&mut self, at: u64, record: &Record<'_>) {
        self.records.replace(at, record);
    }

    fn cut(&mut self, at: u64, count: u64) {
        self.records.cut(at, count);
    }

    fn set_fields(&mut self, data: &Value) {
        self.records.set_fields(data);
    }

    fn not_held(&mut self, operation: Operation, key: &Text, record: &Record<'_>) {
        self.problems
            .push((Misfit::NotHeld, format!("{}: {operation:?} of `{key}`, which is not held", record.path())));
    }

    fn out_of_range(&mut self, operation: Operation, record: &Record<'_>, length: u64) {
        let at = record.change.at.unwrap_or_default();
        let reason = format!("{}: {operation:?} at {at}, past the {length} members held", record.path());
        self.problems.push((Misfit::OutOfRange, reason));
    }
}
