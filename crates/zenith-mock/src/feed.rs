//! Subscription data made from the schemas' change rules: a snapshot, then changes that keep it consistent.

// A feed works from templates: change records taken from the push's own example (or, when it
// has none that add, from objects found in the other examples), each checked once against the
// push's schema. New keys are a template's key with one part changed by a counter, so keys
// never repeat and, where they must, rise. What a feed holds is only its keys (or a list's
// members), at most `MAX_KEYS` of them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Number, Value, json};
use zenith_protocol::runtime::changes::value_text;
use zenith_protocol::runtime::{Equals, Position};
use zenith_protocol::{ChangeRules, Direction, MessageKind, Operation};

/// The most keys, or list members, a feed holds: past it, it removes (or clears) first.
pub const MAX_KEYS: usize = 256;

/// The data pushed on one subscription: its first push is the whole state, each later one
/// changes that state as a client following the change rules expects.
pub struct Feed {
    kind: MessageKind,
    controller: &'static str,
    topic: String,
    rng: fastrand::Rng,
    plan: Arc<Plan>,
    /// Keyed records: the keys held, each as its parts, and the same keys as text.
    held: Vec<Vec<Value>>,
    held_text: HashSet<String>,
    /// Positional records: the members of the list.
    members: Vec<Value>,
    /// Increases with every new key or member made.
    counter: u64,
}

/// The templates of one kind of push, once checked against its schema.
#[derive(Clone)]
enum Plan {
    Keyed(Keyed),
    Listed(Listed),
    Fields(Value),
}

#[derive(Clone)]
struct Keyed {
    rules: &'static ChangeRules,
    /// Records that add a key (`Add`, or `Set` for records without a tag).
    adds: Vec<Value>,
    update: Option<Value>,
    remove: Option<Value>,
    clear: Option<Value>,
    /// The key part new keys vary; `None` when every variation breaks the schema, so that
    /// only the templates' own keys are used.
    vary: Option<usize>,
}

#[derive(Clone)]
struct Listed {
    rules: &'static ChangeRules,
    position: Position,
    /// The members of the example, which new members are made from.
    seeds: Vec<Value>,
    /// The templates of each operation the schema accepts, by operation.
    ops: Vec<(Operation, Value)>,
}

impl Feed {
    /// A feed for a subscription to `full_topic` (`Depth!BHP.ASX`) whose pushes are of `kind`,
    /// the same for the same `seed`. `None` when `kind` is not a push (not received, or answered
    /// under a TransactionID), when `full_topic` is not on its topic, or when its schema has
    /// no example to build from.
    pub fn new(kind: MessageKind, full_topic: &str, seed: u64) -> Option<Feed> {
        let info = kind.info();
        let (name, args) = zenith_protocol::runtime::topic::split(full_topic);
        if info.direction != Direction::Receive || info.topic != Some(name) {
            return None;
        }
        let controller = info.controller?;
        let mut plan = plan(kind)?;
        // The topic's own arguments (the symbol, the account) go into the records that name
        // them, unless that breaks the schema.
        let parts = topic_parts(kind, args);
        if !parts.is_empty() {
            let mut named = (*plan).clone();
            named.templates().into_iter().for_each(|(template, _)| substitute(template, &parts));
            if named.templates().into_iter().all(|(template, wrap)| clean(kind, &envelope(kind, template, wrap))) {
                plan = Arc::new(named);
            }
        }
        let mut rng = fastrand::Rng::with_seed(seed);
        let counter = rng.u64(1..1_000);
        Some(Feed {
            kind,
            controller,
            topic: full_topic.to_owned(),
            rng,
            plan,
            held: Vec::new(),
            held_text: HashSet::new(),
            members: Vec::new(),
            counter,
        })
    }

    /// The kind of the messages this feed makes.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The first push after a Sub: the whole state. For change records, a clear (when the
    /// rules have one) and then new records; for other data, the whole object.
    pub fn snapshot(&mut self) -> Value {
        let plan = Arc::clone(&self.plan);
        let data = match &*plan {
            Plan::Keyed(keyed) => {
                self.held.clear();
                self.held_text.clear();
                let mut records: Vec<Value> = self.restart(keyed).into_iter().collect();
                for _ in 0..self.rng.usize(2..=8) {
                    records.extend(self.add(keyed));
                }
                Value::Array(records)
            }
            Plan::Listed(listed) => {
                self.members.clear();
                let mut records: Vec<Value> = listed.op(Operation::Clear).cloned().into_iter().collect();
                let count = self.rng.usize(2..=6);
                records.extend(self.write(listed, Operation::Insert, 0, count));
                Value::Array(records)
            }
            Plan::Fields(data) => data.clone(),
        };
        self.message(data)
    }

    /// The next push: changes to the state that keep it consistent. Updates and removes name
    /// keys held, adds name new ones (rising where the rules say keys rise), positions lie
    /// within the list, and properties fixed for the subscription keep their values.
    // The feed never ends, so it gives a message rather than an `Option` as an iterator would.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Value {
        let plan = Arc::clone(&self.plan);
        let data = match &*plan {
            Plan::Keyed(keyed) => Value::Array(self.keyed_changes(keyed)),
            Plan::Listed(listed) => Value::Array(self.listed_changes(listed)),
            Plan::Fields(data) => self.fields_change(data),
        };
        self.message(data)
    }

    fn message(&self, data: Value) -> Value {
        json!({"Controller": self.controller, "Topic": self.topic, "Data": data})
    }

    fn keyed_changes(&mut self, keyed: &Keyed) -> Vec<Value> {
        let mut records = Vec::with_capacity(4);
        for _ in 0..self.rng.usize(1..=4) {
            let made = match self.rng.u8(0..10) {
                // At the bound, keys are removed, or all cleared where they cannot be.
                _ if self.held.len() >= MAX_KEYS => self.remove(keyed).or_else(|| self.restart(keyed)),
                0..=4 => self.update(keyed),
                5..=7 => self.add(keyed),
                _ => self.remove(keyed),
            };
            records.extend(made.or_else(|| self.update(keyed)).or_else(|| self.add(keyed)));
        }
        if records.is_empty() {
            // Nothing fits the state held (every key taken, nothing to change): start again.
            records.extend(self.restart(keyed));
            records.extend(self.add(keyed));
        }
        records
    }

    /// A clear, if the rules have one: no key is held after it.
    fn restart(&mut self, keyed: &Keyed) -> Option<Value> {
        let clear = keyed.clear.clone()?;
        self.held.clear();
        self.held_text.clear();
        Some(clear)
    }

    /// A record adding a key not held, if one can be made.
    fn add(&mut self, keyed: &Keyed) -> Option<Value> {
        if self.held.len() >= MAX_KEYS {
            return None;
        }
        let template = &keyed.adds[self.rng.usize(..keyed.adds.len())];
        let rules = keyed.rules;
        let key = match keyed.vary {
            Some(part) => {
                let mut key = reads(rules, &keyed.adds[0], rules.key_parts);
                self.counter += 1 + self.rng.u64(0..3);
                key[part] = fresh(&key[part], self.counter);
                key
            }
            None => keyed.adds.iter().map(|t| reads(rules, t, rules.key_parts)).find(|k| !self.holds(k))?,
        };
        let text = key_text(&key);
        if self.held_text.contains(&text) {
            return None;
        }
        let record = self.record(rules, template, &key);
        self.held_text.insert(text);
        self.held.push(key);
        Some(record)
    }

    fn update(&mut self, keyed: &Keyed) -> Option<Value> {
        let template = keyed.update.as_ref()?;
        let key = self.held.get(self.rng.usize(..self.held.len().max(1)))?.clone();
        Some(self.record(keyed.rules, template, &key))
    }

    fn remove(&mut self, keyed: &Keyed) -> Option<Value> {
        let template = keyed.remove.as_ref()?;
        if self.held.is_empty() {
            return None;
        }
        let key = self.held.swap_remove(self.rng.usize(..self.held.len()));
        self.held_text.remove(&key_text(&key));
        let mut record = template.clone();
        set_reads(keyed.rules, &mut record, &key);
        Some(record)
    }

    fn holds(&self, key: &[Value]) -> bool {
        self.held_text.contains(&key_text(key))
    }

    /// A template with its numbers varied and `key` put in; if varying changed what the record
    /// does (a balance's amount of zero removes it), the template's own values are kept.
    fn record(&mut self, rules: &ChangeRules, template: &Value, key: &[Value]) -> Value {
        let mut record = template.clone();
        vary(&mut self.rng, &mut record);
        set_reads(rules, &mut record, key);
        // Only rules that read values to tell what a record does can be turned by varying them.
        let by_value = !rules.when.is_empty();
        if by_value && rules.read(&record).operation != rules.read(template).operation {
            record = template.clone();
            set_reads(rules, &mut record, key);
        }
        record
    }

    fn listed_changes(&mut self, listed: &Listed) -> Vec<Value> {
        let has = |operation| listed.op(operation).is_some();
        let mut records = Vec::new();
        for _ in 0..self.rng.usize(1..=3) {
            let length = self.members.len();
            let choice = self.rng.u8(0..10);
            // Removes and replaces lie over members there are.
            let at = self.rng.usize(..length.max(1));
            let count = self.rng.usize(1..=(length.saturating_sub(at)).clamp(1, 3));
            let record = if length > 0 && (length >= MAX_KEYS || choice >= 7) && has(Operation::Remove) {
                let mut record = listed.op(Operation::Remove).cloned().unwrap_or_default();
                set_path(&mut record, listed.path(listed.position.at), at.into());
                set_path(&mut record, listed.path(listed.position.count), count.into());
                self.members.drain(at..at + count);
                Some(record)
            } else if length > 0 && (length >= MAX_KEYS || choice >= 4) && has(Operation::Replace) {
                self.write(listed, Operation::Replace, at, count)
            } else if length < MAX_KEYS {
                let at = self.rng.usize(..=length);
                let count = self.rng.usize(1..=3.min(MAX_KEYS - length));
                self.write(listed, Operation::Insert, at, count)
            } else {
                None
            };
            records.extend(record);
        }
        records
    }

    /// `count` new members inserted at `at`, or written over those from `at` on.
    fn write(&mut self, listed: &Listed, operation: Operation, at: usize, count: usize) -> Option<Value> {
        let mut record = listed.op(operation)?.clone();
        let mut made = Vec::with_capacity(count);
        for _ in 0..count {
            self.counter += 1;
            made.push(fresh(&listed.seeds[self.rng.usize(..listed.seeds.len())], self.counter));
        }
        let end = if operation == Operation::Insert { at } else { at + count };
        self.members.splice(at..end, made.iter().cloned());
        set_path(&mut record, listed.path(listed.position.at), at.into());
        set_path(&mut record, listed.path(listed.position.items), Value::Array(made));
        Some(record)
    }

    /// Data without change rules: some of an object's numbers changed, its fixed properties
    /// left out; data of another shape again, with its numbers varied.
    fn fields_change(&mut self, data: &Value) -> Value {
        let fixed = self.kind.info().fixed;
        let Value::Object(fields) = data else {
            let mut data = data.clone();
            vary(&mut self.rng, &mut data);
            return data;
        };
        let numbers: Vec<&String> = fields
            .iter()
            .filter(|(name, value)| value.is_number() && !fixed.contains(&name.as_str()))
            .map(|(n, _)| n)
            .collect();
        if numbers.is_empty() {
            return data.clone();
        }
        let mut change = Map::new();
        for _ in 0..self.rng.usize(1..=3) {
            let name = numbers[self.rng.usize(..numbers.len())];
            let mut value = fields[name].clone();
            vary(&mut self.rng, &mut value);
            change.insert(name.clone(), value);
        }
        Value::Object(change)
    }
}

impl Listed {
    fn op(&self, operation: Operation) -> Option<&Value> {
        self.ops.iter().find(|(op, _)| *op == operation).map(|(_, template)| template)
    }

    fn path(&self, read: usize) -> &'static [&'static str] {
        self.rules.reads[read]
    }
}

impl Plan {
    /// Each template, and whether it is a record (wrapped in an array in `Data`).
    fn templates(&mut self) -> Vec<(&mut Value, bool)> {
        match self {
            Plan::Keyed(k) => {
                let optional = k.update.iter_mut().chain(&mut k.remove).chain(&mut k.clear);
                k.adds.iter_mut().chain(optional).map(|t| (t, true)).collect()
            }
            Plan::Listed(l) => l.ops.iter_mut().map(|(_, t)| (t, true)).collect(),
            Plan::Fields(data) => vec![(data, false)],
        }
    }
}

/// The templates of a kind, made and checked once (for every push kind at the first call) and
/// then shared by its feeds.
fn plan(kind: MessageKind) -> Option<Arc<Plan>> {
    static PLANS: OnceLock<HashMap<MessageKind, Arc<Plan>>> = OnceLock::new();
    let make = || MessageKind::ALL.iter().filter_map(|k| Some((*k, Arc::new(make_plan(*k)?)))).collect();
    PLANS.get_or_init(make).get(&kind).cloned()
}

fn make_plan(kind: MessageKind) -> Option<Plan> {
    let info = kind.info();
    if info.direction != Direction::Receive {
        return None;
    }
    let example: Value = serde_json::from_str(kind.docs().example?).ok()?;
    if example.get("TransactionID").is_some() {
        return None;
    }
    let data = example.get("Data")?;
    let Some(rules) = info.changes else {
        return Some(Plan::Fields(complete_fields(kind, data.clone())));
    };
    let records = data.as_array()?;
    match rules.position {
        Some(position) => listed_plan(kind, rules, position, records),
        None => keyed_plan(kind, rules, records),
    }
}

fn keyed_plan(kind: MessageKind, rules: &'static ChangeRules, records: &[Value]) -> Option<Plan> {
    let valid = |record: &Value| clean(kind, &envelope(kind, record, true));
    let doing =
        |operation: Operation| records.iter().find(|r| rules.read(r).operation == Some(operation) && valid(r)).cloned();
    let adding = |record: &Value| {
        let change = rules.read(record);
        matches!(change.operation, Some(Operation::Add | Operation::Set)) && change.key.is_some()
    };
    let mut adds: Vec<Value> = records.iter().filter(|r| adding(r) && valid(r)).cloned().collect();
    if adds.is_empty() {
        adds.extend(harvest(kind, rules));
    }
    let first = adds.first()?.clone();
    let minimal = |operation: Operation| {
        let mut record = Value::Object(Map::new());
        let key = reads(rules, &first, rules.key_parts);
        set_reads(rules, &mut record, &key);
        tagged(rules, operation, &record)
    };
    // An update carries the whole record, a remove only its key, where the schema allows.
    let derived = |operation: Operation| {
        let (whole, bare) = (tagged(rules, operation, &first), minimal(operation));
        let tries = if operation == Operation::Update { [whole, bare] } else { [bare, whole] };
        tries.into_iter().flatten().find(|r| valid(r))
    };
    let setting = rules.read(&first).operation == Some(Operation::Set);
    let update =
        if setting { Some(first.clone()) } else { doing(Operation::Update).or_else(|| derived(Operation::Update)) };
    let remove = doing(Operation::Remove).or_else(|| derived(Operation::Remove));
    let clear = doing(Operation::Clear).or_else(|| {
        let bare = rules.tag.and_then(|_| tagged(rules, Operation::Clear, &Value::Object(Map::new())));
        bare.into_iter().chain(derived(Operation::Clear)).find(|r| valid(r))
    });
    // The last key part that may take new values: not one the topic names (an account, a
    // market), and new values the schema accepts.
    let named: Vec<&str> = kind.info().arguments.iter().flat_map(|form| form.parts.iter().map(|p| p.name)).collect();
    let vary = (0..rules.key_parts).rev().find(|&part| {
        let leaf = rules.reads[part].last().copied().unwrap_or_default();
        let base = reads(rules, &first, rules.key_parts);
        !(named.contains(&leaf) && leaf != "ID")
            && [1, 7, 345, 9_999].iter().all(|&n| {
                let mut key = base.clone();
                key[part] = fresh(&base[part], n);
                let mut record = first.clone();
                set_reads(rules, &mut record, &key);
                key[part] != base[part] && valid(&record)
            })
    });
    Some(Plan::Keyed(Keyed { rules, adds, update, remove, clear, vary }))
}

/// Add records made from objects in any example: each object holding the key's properties,
/// as the record's entity (`Order` for the key `Order.ID`) or as the record itself, if the
/// push's schema accepts it. The richest come first.
fn harvest(kind: MessageKind, rules: &'static ChangeRules) -> Vec<Value> {
    let keys = &rules.reads[..rules.key_parts];
    let entity = keys.first().filter(|p| p.len() == 2).map(|p| p[0]).filter(|e| keys.iter().all(|p| p[0] == *e));
    let leaves: Vec<&str> = keys.iter().filter_map(|p| p.last().copied()).collect();
    let mut found: Vec<Value> = Vec::new();
    for object in all_objects().into_iter().filter(|o| leaves.iter().all(|leaf| o.get(leaf).is_some())) {
        let base = match entity {
            Some(name) => json!({ name: object }),
            None => object.clone(),
        };
        let add = tagged(rules, Operation::Add, &base).or_else(|| tagged(rules, Operation::Set, &base));
        if let Some(add) = add.filter(|a| clean(kind, &envelope(kind, a, true)) && !found.contains(a)) {
            found.push(add);
        }
    }
    found.sort_by_key(|record| std::cmp::Reverse(record.to_string().len()));
    found.truncate(4);
    if found.is_empty() {
        found.extend(entity.and_then(|name| from_fields(kind, rules, name)));
    }
    found
}

/// An add record whose entity has the properties the catalog says it requires, each with a
/// value of that name from another example (a date for a date), or else its own name as text.
fn from_fields(kind: MessageKind, rules: &'static ChangeRules, entity: &str) -> Option<Value> {
    let prefix = format!("Data[].{entity}.");
    let objects = all_objects();
    let mut fields = Map::new();
    for field in kind.docs().fields.iter().filter(|f| f.required) {
        let Some(name) = field.wire.strip_prefix(&prefix).filter(|n| !n.contains(['.', '['])) else { continue };
        let text = matches!(field.type_text, "string" | "DateTime");
        let fits = |value: &&Value| {
            !text || value.as_str().is_some_and(|t| (field.type_text == "DateTime") == t.contains("T"))
        };
        let found = objects.iter().filter_map(|o| o.get(name)).find(fits).cloned();
        fields.insert(name.to_owned(), found.unwrap_or_else(|| name.into()));
    }
    let record = tagged(rules, Operation::Add, &json!({ entity: fields }))?;
    clean(kind, &envelope(kind, &record, true)).then_some(record)
}

fn listed_plan(kind: MessageKind, rules: &'static ChangeRules, position: Position, records: &[Value]) -> Option<Plan> {
    let items = rules.reads[position.items];
    let seeds: Vec<Value> = records
        .iter()
        .filter_map(|r| path(r, items)?.as_array())
        .flatten()
        .filter(|m| m.is_string())
        .cloned()
        .collect();
    let seed = seeds.first()?.clone();
    let mut ops = Vec::new();
    for operation in [Operation::Clear, Operation::Insert, Operation::Replace, Operation::Remove] {
        let Some(mut record) = tagged(rules, operation, &Value::Object(Map::new())) else { continue };
        match operation {
            Operation::Clear => {}
            Operation::Remove => {
                set_path(&mut record, rules.reads[position.at], 0.into());
                set_path(&mut record, rules.reads[position.count], 1.into());
            }
            _ => {
                set_path(&mut record, rules.reads[position.at], 0.into());
                set_path(&mut record, items, Value::Array(vec![fresh(&seed, 3)]));
            }
        }
        if clean(kind, &envelope(kind, &record, true)) {
            ops.push((operation, record));
        }
    }
    ops.iter().any(|(op, _)| *op == Operation::Insert).then_some(Plan::Listed(Listed { rules, position, seeds, ops }))
}

/// Data without change rules, with the properties fixed for the subscription that it lacks
/// taken from another example, where the push's schema accepts them.
fn complete_fields(kind: MessageKind, mut data: Value) -> Value {
    for name in kind.info().fixed {
        if data.get(name).is_some() || !data.is_object() {
            continue;
        }
        for value in all_objects().into_iter().filter_map(|o| o.get(name)) {
            let mut tried = data.clone();
            set_path(&mut tried, &[name], value.clone());
            if clean(kind, &envelope(kind, &tried, false)) {
                data = tried;
                break;
            }
        }
    }
    data
}

/// A copy of `base` that does `operation`: its tag set, or, for records without one, the
/// values that say so. `None` when the rules give no way to say it.
fn tagged(rules: &ChangeRules, operation: Operation, base: &Value) -> Option<Value> {
    let mut record = base.clone();
    if let Some(tag) = rules.tag {
        let (value, _) = rules.operations.iter().find(|(_, op)| *op == operation)?;
        let fields = record.as_object_mut()?;
        fields.shift_remove(tag);
        let mut tagged = Map::from_iter([(tag.to_owned(), Value::from(*value))]);
        tagged.extend(std::mem::take(fields));
        record = Value::Object(tagged);
    } else if let Some(rule) = rules.when.iter().find(|w| w.operation == operation) {
        let value = match rule.equals {
            Equals::Text(text) => Value::from(text),
            Equals::Number(number) => Number::from_f64(number).map_or(Value::from(0), Value::Number),
        };
        set_path(&mut record, rules.reads[rule.read], value);
    }
    (rules.read(&record).operation == Some(operation)).then_some(record)
}

/// The examples of every kind, read once.
fn examples() -> &'static [(MessageKind, Value)] {
    static EXAMPLES: OnceLock<Vec<(MessageKind, Value)>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let read = |kind: &MessageKind| Some((*kind, serde_json::from_str(kind.docs().example?).ok()?));
        MessageKind::ALL.iter().filter_map(read).collect()
    })
}

/// Every object in every example, at any depth.
fn all_objects() -> Vec<&'static Value> {
    let mut objects = Vec::new();
    examples().iter().for_each(|(_, example)| collect_objects(example, &mut objects));
    objects
}

fn collect_objects<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    match value {
        Value::Object(fields) => {
            out.push(value);
            fields.values().for_each(|v| collect_objects(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_objects(v, out)),
        _ => {}
    }
}

/// A push of `kind` on its example's topic holding `data` (as its one record when `record`).
fn envelope(kind: MessageKind, data: &Value, record: bool) -> Value {
    let info = kind.info();
    let topic = examples().iter().find(|(k, _)| *k == kind).and_then(|(_, e)| e.get("Topic")).cloned();
    let data = if record { Value::Array(vec![data.clone()]) } else { data.clone() };
    json!({"Controller": info.controller, "Topic": topic.unwrap_or_else(|| info.topic.into()), "Data": data})
}

/// Whether the schema finds neither an error nor a warning in `message`.
fn clean(kind: MessageKind, message: &Value) -> bool {
    kind.validate(message).counts() == (0, 0)
}

/// The values of the topic's arguments by name (`Code`, `Market`, `Account`), from the first
/// of the kind's forms they fit; an `ID` is left out, as records use the name for their keys.
fn topic_parts(kind: MessageKind, args: Option<&str>) -> Vec<(&'static str, String)> {
    let Some(args) = args else { return Vec::new() };
    let forms = kind.info().arguments.iter().filter(|form| !form.is_bare());
    let Some((form, values)) = forms.filter_map(|form| Some((form, form.read(args).ok()?))).next() else {
        return Vec::new();
    };
    form.parts.iter().zip(values).filter(|(p, _)| p.name != "ID").map(|(p, v)| (p.name, v.to_owned())).collect()
}

/// Puts each topic argument's value in every string property of its name, at any depth.
fn substitute(value: &mut Value, parts: &[(&str, String)]) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match parts.iter().find(|(part, _)| part == name) {
                    Some((_, text)) if field.is_string() => *field = text.as_str().into(),
                    _ => substitute(field, parts),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| substitute(item, parts)),
        _ => {}
    }
}

/// Changes every number in `value` a little: the same sign, never zero when it was not, an
/// integer stays one, a fraction keeps its number of decimals.
fn vary(rng: &mut fastrand::Rng, value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(integer) = number.as_i64().filter(|i| *i != 0) {
                let spread = (integer.abs() / 5).max(1);
                let varied = integer.saturating_add(rng.i64(-spread..=spread));
                if varied != 0 && varied.signum() == integer.signum() {
                    *value = varied.into();
                }
            } else if let Some(float) = number.as_f64().filter(|f| *f != 0.0 && number.as_i64().is_none()) {
                // Written as JSON writes it (shortest round trip), on the stack.
                let mut buffer = ryu::Buffer::new();
                let text = buffer.format(float);
                let decimals = text.split_once('.').map_or(0, |(_, fraction)| fraction.len().min(6)) as i32;
                let scale = 10f64.powi(decimals);
                let varied = (float * (0.9 + rng.f64() * 0.2) * scale).round() / scale;
                if varied != 0.0 && varied.signum() == float.signum() && !text.contains(['e', 'E']) {
                    *value = Number::from_f64(varied).map_or_else(|| value.clone(), Value::Number);
                }
            }
        }
        Value::Object(fields) => fields.values_mut().for_each(|field| vary(rng, field)),
        Value::Array(items) => items.iter_mut().for_each(|item| vary(rng, item)),
        _ => {}
    }
}

/// The `n`th new value made from `base`: an integer `n` more (so such keys rise with `n`); a
/// text with its digits (from the right), then its letters (from the left), moved on by `n`'s
/// digits, each character staying a digit, an upper or a lower case letter, so that different
/// `n` give different texts; any other value as it is.
fn fresh(base: &Value, n: u64) -> Value {
    match base {
        Value::Number(number) if number.is_i64() => {
            number.as_i64().unwrap_or_default().saturating_add(i64::try_from(n).unwrap_or(i64::MAX)).into()
        }
        Value::String(text) => Value::String(fresh_text(text, n)),
        other => other.clone(),
    }
}

fn fresh_text(text: &str, mut n: u64) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let digits = (0..chars.len()).rev().filter(|&i| chars[i].is_ascii_digit());
    let letters = (0..chars.len()).filter(|&i| chars[i].is_ascii_alphabetic());
    let places: Vec<usize> = digits.chain(letters).collect();
    for at in places {
        if n == 0 {
            break;
        }
        let (first, radix) = match chars[at] {
            '0'..='9' => (b'0', 10),
            'A'..='Z' => (b'A', 26),
            _ => (b'a', 26),
        };
        let step = n % radix;
        n /= radix;
        let moved = (u64::from(chars[at] as u8 - first) + step) % radix;
        chars[at] = char::from(first + moved as u8);
    }
    let mut fresh: String = chars.into_iter().collect();
    if n > 0 {
        fresh.push_str(&n.to_string());
    }
    fresh
}

/// The values at the first `count` read paths of `record` (`Null` where one is missing).
fn reads(rules: &ChangeRules, record: &Value, count: usize) -> Vec<Value> {
    rules.reads[..count].iter().map(|p| path(record, p).cloned().unwrap_or(Value::Null)).collect()
}

/// Puts `values` at the first read paths of `record`, in order.
fn set_reads(rules: &ChangeRules, record: &mut Value, values: &[Value]) {
    for (read, value) in rules.reads.iter().zip(values) {
        set_path(record, read, value.clone());
    }
}

fn key_text(key: &[Value]) -> String {
    let texts = key.iter().map(|part| value_text(part).map(|t| t.to_string()).unwrap_or_default());
    texts.collect::<Vec<_>>().join(".")
}

fn path<'v>(value: &'v Value, names: &[&str]) -> Option<&'v Value> {
    names.iter().try_fold(value, |value, name| value.get(name))
}

/// Sets the value at `names`, making the objects on the way.
fn set_path(value: &mut Value, names: &[&str], new: Value) {
    let Some((last, parents)) = names.split_last() else { return };
    let mut here = value;
    for name in parents {
        let Value::Object(fields) = here else { return };
        here = fields.entry(name.to_string()).or_insert_with(|| Value::Object(Map::new()));
    }
    if let Value::Object(fields) = here {
        fields.insert(last.to_string(), new);
    }
}
