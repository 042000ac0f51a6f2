//! The subscription-state engine: what a push does to its subscription's state, by its schema's rules.

// A push's change records are applied in order: keyed records add, update, remove or clear
// records by key (a scoped clear only those of its scope), set balances; positional records
// insert, replace or remove members at a position. Data without change rules sets fields.
// Which operation, which key, which positions and whether they fit are decided here; a
// `Store` only keeps the result (the keys with the message that added each, for checking; the
// records themselves, for replay) and hears what did not fit, to report it if it checks.

use crate::runtime::changes::{Text, in_scope};
use crate::{Change, ChangeRules, Operation};
use serde_json::{Map, Value};

pub mod effects;

use effects::Effects;

/// One change record being applied: what it does, where it is, and (for a store that keeps
/// records) the record itself.
pub struct Record<'r> {
    pub rules: &'r ChangeRules,
    pub change: &'r Change,
    /// Its index in `Data`.
    pub position: usize,
    /// The record, when the push's data was kept.
    pub value: Option<&'r Value>,
}

impl Record<'_> {
    /// Where the record is in its message, as a JSON Pointer.
    pub fn path(&self) -> String {
        format!("/Data/{}", self.position)
    }

    /// What the record is about: the object its key is in (`Order` for the key `/Order/ID`),
    /// or the record without its tag when the key is at its top.
    pub fn entity(&self) -> Value {
        let Some(record) = self.value else { return Value::Object(Map::new()) };
        let key = &self.rules.reads[..self.rules.key_parts];
        let first = key.first().and_then(|path| path.first()).copied();
        let nested = first.filter(|f| key.iter().all(|p| p.len() > 1 && p[0] == *f));
        match nested.and_then(|name| record.get(name)) {
            Some(inner @ Value::Object(_)) => inner.clone(),
            _ => {
                let mut fields = record.as_object().cloned().unwrap_or_default();
                if let Some(tag) = self.rules.tag {
                    remove_in_order(&mut fields, tag);
                }
                Value::Object(fields)
            }
        }
    }

    /// The members a positional record inserts or writes, as far as they were kept.
    pub fn members(&self) -> &[Value] {
        let name = self.rules.position.and_then(|position| self.rules.reads[position.items].first());
        let members = name.and_then(|name| self.value?.get(name)?.as_array());
        members.map_or(&[][..], Vec::as_slice)
    }
}

/// What a subscription's state keeps, and how it hears of records that do not fit it. The
/// engine calls these in the order the records come; what to do with each is already decided.
pub trait Store {
    /// False while the state is not known (a checker that saw no Sub or clear yet, or gave up
    /// at a limit): changes are then only told to [`Store::unknown`].
    fn known(&self) -> bool {
        true
    }
    /// Whether a record with this key is held.
    fn holds(&self, key: &str) -> bool;
    /// A record with a key not held is added (or set).
    fn add(&mut self, key: &Text, record: &Record<'_>);
    /// An add or set of a key held already.
    fn again(&mut self, operation: Operation, key: &Text, record: &Record<'_>);
    /// Changes to the record held with this key; false when none is held.
    fn update(&mut self, key: &Text, record: &Record<'_>) -> bool;
    /// The record with this key is gone; false when none was held.
    fn remove(&mut self, key: &Text) -> bool;
    /// Every record, or member, is gone: the state is known (empty) from here.
    fn clear(&mut self);
    /// The records whose key is in `scope` are gone.
    fn clear_scope(&mut self, scope: &str);
    /// How many members a positional state holds.
    fn length(&self) -> u64;
    /// Members inserted before `at`, at most at the end.
    fn insert(&mut self, at: u64, record: &Record<'_>);
    /// Members overwritten from `at` on, at most at the end.
    fn replace(&mut self, at: u64, record: &Record<'_>);
    /// `count` members from `at` are gone, as far as there are any.
    fn cut(&mut self, at: u64, count: u64);
    /// The fields of data without change rules are set.
    fn set_fields(&mut self, _data: &Value) {}
    /// A property that never changes has this value in a push (`None`: it is absent).
    fn fixed(&mut self, _name: &'static str, _value: Option<&Text>) {}
    /// Whether `key` may be added after the last key added (for records whose keys increase).
    fn follows(&self, _key: &str) -> bool {
        true
    }
    /// A key added after the last one, where keys must increase.
    fn regressed(&mut self, _key: &Text, _record: &Record<'_>) {}
    /// An update or remove of a key not held.
    fn not_held(&mut self, _operation: Operation, _key: &Text, _record: &Record<'_>) {}
    /// A change to a state not known, to `what` (a key or a position).
    fn unknown(&mut self, _record: &Record<'_>, _what: &str) {}
    /// A positional record that does not fit the `length` members there were; it was applied
    /// as far as it could be.
    fn out_of_range(&mut self, _operation: Operation, _record: &Record<'_>, _length: u64) {}
}

/// Applies one push to `store`: its fixed properties, then its change records by `rules`, or,
/// for data without rules, its fields. `data` is the push's `Data`, when it was kept.
pub fn apply<S: Store>(store: &mut S, rules: Option<&ChangeRules>, effects: Option<&Effects>, data: Option<&Value>) {
    for (name, value) in effects.map_or(&[][..], |e| e.fixed.as_slice()) {
        store.fixed(name, value.as_ref());
    }
    match rules {
        Some(rules) => {
            let values = match data {
                Some(Value::Array(values)) => values.as_slice(),
                _ => &[],
            };
            let records = effects.map_or(&[][..], |e| e.records.as_slice());
            for (position, change) in records.iter().enumerate() {
                let record = Record { rules, change, position, value: values.get(position) };
                one(store, &record);
            }
        }
        None => {
            if let Some(data) = data {
                store.set_fields(data);
            }
        }
    }
}

/// Applies one change record.
fn one<S: Store>(store: &mut S, record: &Record<'_>) {
    let Some(operation) = record.change.operation else { return };
    match (operation, &record.change.key) {
        (Operation::Clear, Some(scope)) => {
            if store.known() {
                store.clear_scope(scope);
            }
        }
        (Operation::Clear, None) => store.clear(),
        _ if record.rules.positional() => positional(store, operation, record),
        (_, Some(key)) => keyed(store, operation, key, record),
        (_, None) => {}
    }
}

fn keyed<S: Store>(store: &mut S, operation: Operation, key: &Text, record: &Record<'_>) {
    if !store.known() {
        if !matches!(operation, Operation::Add | Operation::Set) {
            store.unknown(record, &format!("`{key}`"));
        }
        return;
    }
    match operation {
        Operation::Add | Operation::Set if store.holds(key) => store.again(operation, key, record),
        Operation::Add | Operation::Set => {
            if record.rules.ordered && !store.follows(key) {
                store.regressed(key, record);
            }
            store.add(key, record);
        }
        Operation::Update | Operation::Remove => {
            let held = if operation == Operation::Update { store.update(key, record) } else { store.remove(key) };
            if !held {
                store.not_held(operation, key, record);
            }
        }
        Operation::Clear | Operation::Insert | Operation::Replace => {}
    }
}

/// A positional record: members inserted, overwritten or removed at a position, which must lie
/// within the list as the records before it left it.
fn positional<S: Store>(store: &mut S, operation: Operation, record: &Record<'_>) {
    let (Some(at), Some(count)) = (record.change.at, record.change.count) else { return };
    if !store.known() {
        return store.unknown(record, &format!("position {at}"));
    }
    let length = store.length();
    let within = |end: Option<u64>| end.is_some_and(|end| end <= length);
    let fits = match operation {
        Operation::Insert => at <= length && length.checked_add(count).is_some(),
        Operation::Replace | Operation::Remove => within(at.checked_add(count)),
        _ => true,
    };
    match operation {
        Operation::Insert => store.insert(at, record),
        Operation::Replace => store.replace(at, record),
        Operation::Remove => store.cut(at, count),
        _ => {}
    }
    if !fits {
        store.out_of_range(operation, record, length);
    }
}

/// Whether `next` comes after `last`: as numbers when both are, else as text.
pub fn increases(last: &str, next: &str) -> bool {
    match (last.parse::<i128>(), next.parse::<i128>()) {
        (Ok(last), Ok(next)) => next > last,
        _ => next > last,
    }
}

/// A message's `Data`, where its change records are.
pub fn data(message: &Value) -> Option<&Value> {
    message.get("Data")
}

/// The records of one subscription themselves, as its client would hold them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Records {
    /// Records by key, in the order they were added (keyed change records).
    pub keyed: Option<crate::runtime::Map<Value>>,
    /// The members in order (positional change records).
    pub items: Option<Vec<Value>>,
    /// The fields as last set (data without change rules).
    pub fields: Option<Map<String, Value>>,
}

impl Records {
    fn keyed(&mut self) -> &mut crate::runtime::Map<Value> {
        self.keyed.get_or_insert_default()
    }

    fn items(&mut self) -> &mut Vec<Value> {
        self.items.get_or_insert_default()
    }

    /// Applies one push, as [`apply`] does; the records (or members) held are shown from the
    /// first push with a change record that does something.
    pub fn push(&mut self, rules: Option<&ChangeRules>, effects: Option<&Effects>, data: Option<&Value>) {
        self.prepare(rules, effects);
        apply(self, rules, effects, data);
    }

    /// Starts holding records (or members) at the first push with a change record that does
    /// something; a store that wraps `Records` calls it before [`apply`].
    pub fn prepare(&mut self, rules: Option<&ChangeRules>, effects: Option<&Effects>) {
        if let (Some(rules), Some(effects)) = (rules, effects)
            && effects.records.iter().any(|change| change.operation.is_some())
        {
            if rules.positional() {
                self.items.get_or_insert_default();
            } else {
                self.keyed.get_or_insert_default();
            }
        }
    }
}

/// Removes `key`, the others keeping their order (whichever map serde_json was built with).
fn remove_in_order(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let mut removed = None;
    *map = std::mem::take(map)
        .into_iter()
        .filter_map(|(name, value)| match name == key {
            true => {
                removed = Some(value);
                None
            }
            false => Some((name, value)),
        })
        .collect();
    removed
}

/// `held.len()` as a position, and `at` within it.
fn clamp(at: u64, held: usize) -> usize {
    usize::try_from(at).unwrap_or(usize::MAX).min(held)
}

impl Store for Records {
    fn holds(&self, key: &str) -> bool {
        self.keyed.as_ref().is_some_and(|held| held.contains_key(key))
    }

    fn add(&mut self, key: &Text, record: &Record<'_>) {
        self.keyed().insert(key.to_string(), record.entity());
    }

    /// The record held is replaced, where it stands.
    fn again(&mut self, _operation: Operation, key: &Text, record: &Record<'_>) {
        self.add(key, record);
    }

    fn update(&mut self, key: &Text, record: &Record<'_>) -> bool {
        match self.keyed().get_mut(key.as_str()) {
            Some(Value::Object(fields)) => merge(fields, &record.entity()),
            Some(_) => {}
            None => return false,
        }
        true
    }

    fn remove(&mut self, key: &Text) -> bool {
        self.keyed().remove(key.as_str()).is_some()
    }

    fn clear(&mut self) {
        self.keyed.iter_mut().for_each(crate::runtime::Map::clear);
        self.items.iter_mut().for_each(Vec::clear);
    }

    fn clear_scope(&mut self, scope: &str) {
        self.keyed().retain(|key, _| !in_scope(key, scope));
    }

    fn length(&self) -> u64 {
        self.items.as_ref().map_or(0, |items| items.len() as u64)
    }

    fn insert(&mut self, at: u64, record: &Record<'_>) {
        let items = self.items();
        let at = clamp(at, items.len());
        items.splice(at..at, record.members().iter().cloned());
    }

    fn replace(&mut self, at: u64, record: &Record<'_>) {
        let items = self.items();
        let members = record.members();
        let at = clamp(at, items.len());
        let end = at.saturating_add(members.len()).min(items.len());
        items.splice(at..end, members.iter().cloned());
    }

    fn cut(&mut self, at: u64, count: u64) {
        let items = self.items();
        let at = clamp(at, items.len());
        let end = at.saturating_add(usize::try_from(count).unwrap_or(usize::MAX)).min(items.len());
        items.drain(at..end);
    }

    fn set_fields(&mut self, data: &Value) {
        merge(self.fields.get_or_insert_default(), data);
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

#[cfg(test)]
mod tests {
    use crate::MessageKind;
    use serde_json::json;

    use super::*;

    /// The change rules of the pushes on a topic, from the schemas.
    fn rules(topic: &str) -> &'static ChangeRules {
        let infos = MessageKind::ALL.iter().map(|kind| kind.info());
        infos.filter(|info| info.topic == Some(topic)).find_map(|info| info.changes).unwrap()
    }

    /// Applies each push's `Data` as the checker's analysis reads it.
    fn replayed(topic: &str, pushes: &[Value]) -> Records {
        let rules = rules(topic);
        let mut records = Records::default();
        for data in pushes {
            let effects =
                Effects { records: data.as_array().unwrap().iter().map(|r| rules.read(r)).collect(), fixed: vec![] };
            records.push(Some(rules), Some(&effects), Some(data));
        }
        records
    }

    #[test]
    fn keyed_records_are_added_updated_set_again_and_removed_by_key() {
        let add = |id: &str, quantity: u64| json!({"O": "A", "Order": {"ID": id, "Side": "Bid", "Quantity": quantity}});
        let pushes = [
            json!([add("1", 5), add("2", 6), add("3", 7)]),
            json!([{"O": "U", "Order": {"ID": "1", "Quantity": 9}}, {"O": "R", "Order": {"ID": "2"}}]),
            // Changes to a key not held change nothing; an add of one held replaces it in place.
            json!([{"O": "U", "Order": {"ID": "8", "Quantity": 1}}, {"O": "R", "Order": {"ID": "8"}}, add("1", 4)]),
        ];
        let keyed = replayed("Depth", &pushes).keyed.unwrap();
        assert_eq!(keyed.keys().collect::<Vec<_>>(), ["1", "3"]);
        assert_eq!(keyed.get("1"), Some(&json!({"ID": "1", "Side": "Bid", "Quantity": 4})));
        let cleared = replayed("Depth", &[json!([add("1", 5), {"O": "C"}, add("2", 1)])]).keyed.unwrap();
        assert_eq!(cleared.keys().collect::<Vec<_>>(), ["2"]);
    }

    #[test]
    fn members_move_by_position_and_a_position_past_the_end_is_taken_as_the_end() {
        let op =
            |operation: &str, at: u64, members: &[&str]| json!({"Operation": operation, "At": at, "Members": members});
        let pushes = [
            json!([op("Insert", 0, &["A", "B"]), op("Insert", 9, &["C"]), op("Replace", 2, &["D", "E"])]),
            json!([{"Operation": "Remove", "At": 0, "Count": 1}, {"Operation": "Remove", "At": 3, "Count": 5}]),
        ];
        let items = replayed("Watchlist", &pushes).items.unwrap();
        assert_eq!(items, [json!("B"), json!("D"), json!("E")]);
    }

    #[test]
    fn data_without_change_rules_sets_fields() {
        let mut records = Records::default();
        records.push(None, None, Some(&json!({"Code": "BHP", "Last": 1.0})));
        records.push(None, None, Some(&json!({"Last": 1.1})));
        assert_eq!(Value::Object(records.fields.unwrap()), json!({"Code": "BHP", "Last": 1.1}));
        assert!(records.keyed.is_none() && records.items.is_none());
    }

    #[test]
    fn ids_increase_as_numbers_when_both_are_numbers() {
        assert!(increases("9", "10") && !increases("10", "9") && increases("a9", "b1") && !increases("5", "5"));
    }
}
