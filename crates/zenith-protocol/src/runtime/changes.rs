//! How change records apply to the state of a subscription (`x-zenith-changes`), and what one
//! record does: read from a tree, or from the values the one-pass check read while checking it.

use compact_str::{CompactString, ToCompactString};
use serde_json::Value;

/// A key, or a value read from a record, as text; short ones are held without allocating.
pub type Text = CompactString;

pub use zenith_vocab::{MAX_READS, NO_PROPERTY as NONE, Operation};

/// The values read from one record, in the order of [`ChangeRules::reads`].
pub type Reads = [Option<Text>; MAX_READS];

/// How change records apply to a subscription's state. A keyed record names the record it
/// changes by its key; a positional one (a list's members) by a position. What a record does is
/// said by its tag, or, for records without one, by the values of some of its properties.
#[derive(Clone, Copy, Debug)]
pub struct ChangeRules {
    /// The property whose value says what a record does; `None` when `when` decides.
    pub tag: Option<&'static str>,
    /// The properties read from each record, as paths (`["Order", "ID"]`): the key's parts
    /// first, then the position's, then those `when` compares.
    pub reads: &'static [&'static [&'static str]],
    /// The same paths as property numbers (the record's, then the nested object's, or
    /// [`NONE`]), so that the one pass finds them without comparing names.
    pub read_at: &'static [[usize; 2]],
    /// How many of `reads` make up the key; 0 for positional records.
    pub key_parts: usize,
    /// Positional records: which reads hold the position, the count and the items.
    pub position: Option<Position>,
    /// What each tag value does.
    pub operations: &'static [(&'static str, Operation)],
    /// Records without a tag: the first rule that holds says what a record does...
    pub when: &'static [When],
    /// ...and this, when none does.
    pub otherwise: Option<Operation>,
    /// Added keys only increase (Trades ids).
    pub ordered: bool,
    /// What the first data after a subscription starts with (Trades: an initialise).
    pub snapshot: Option<Operation>,
}

/// Where a positional record's position, count removed and items inserted are, by read.
#[derive(Clone, Copy, Debug)]
pub struct Position {
    pub at: usize,
    pub count: usize,
    pub items: usize,
}

/// A record whose read `read` equals `equals` does `operation`. A clear with a `scope` (always
/// the key's first part) clears only the records whose first key part is the clear's own.
#[derive(Clone, Copy, Debug)]
pub struct When {
    pub read: usize,
    pub equals: Equals,
    pub operation: Operation,
    pub scope: Option<usize>,
}

/// What a value read is compared with.
#[derive(Clone, Copy, Debug)]
pub enum Equals {
    Text(&'static str),
    /// Any number equal to this one, however it is written (`0`, `0.0`, `0e3`).
    Number(f64),
}

impl Equals {
    fn holds(&self, value: Option<&str>) -> bool {
        match (self, value) {
            (Equals::Text(expected), Some(value)) => *expected == value,
            (Equals::Number(expected), Some(value)) => value.parse::<f64>().is_ok_and(|v| v == *expected),
            (_, None) => false,
        }
    }
}

/// What one change record does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// `None` for a tag the schema does not document (the schema reports it).
    pub operation: Option<Operation>,
    /// Keyed records: the key's parts joined by `.`, `None` when a part is missing. A scoped
    /// clear: the value of its scope.
    pub key: Option<Text>,
    /// Positional records: the position, and how many items are removed, inserted or replaced.
    pub at: Option<u64>,
    pub count: Option<u64>,
}

impl ChangeRules {
    /// What a record with this tag value does.
    pub fn operation_of(&self, tag: &str) -> Option<Operation> {
        self.operations.iter().find(|(value, _)| *value == tag).map(|(_, operation)| *operation)
    }

    /// Whether records are applied by position rather than by key.
    pub fn positional(&self) -> bool {
        self.position.is_some()
    }

    /// What a record does, from its tag's value and the values read from it.
    pub fn change(&self, tag: Option<&str>, reads: &mut Reads) -> Change {
        let rule = match self.tag {
            Some(_) => None,
            None => self.when.iter().find(|w| w.equals.holds(reads[w.read].as_deref())),
        };
        let operation = match self.tag {
            Some(_) => tag.and_then(|tag| self.operation_of(tag)),
            None => rule.map(|w| w.operation).or(self.otherwise),
        };
        if let Some(position) = self.position {
            let number = |read: &Option<Text>| read.as_deref().and_then(|text| text.parse::<u64>().ok());
            let count = number(&reads[position.count]).or_else(|| number(&reads[position.items]));
            return Change { operation, key: None, at: number(&reads[position.at]), count };
        }
        let (operation, key) = match rule.and_then(|w| w.scope) {
            // A scoped clear without its scope clears nothing that could be named.
            Some(part) => match reads[part].take() {
                Some(scope) => (operation, Some(scope)),
                None => (None, None),
            },
            None => (operation, join(&mut reads[..self.key_parts])),
        };
        Change { operation, key, at: None, count: None }
    }

    /// What a record read into a tree does.
    pub fn read(&self, record: &Value) -> Change {
        let tag = self.tag.and_then(|tag| record.get(tag)?.as_str());
        let mut reads = Reads::default();
        for (slot, path) in reads.iter_mut().zip(self.reads) {
            *slot = path.iter().try_fold(record, |value, name| value.get(name)).and_then(value_text);
        }
        self.change(tag, &mut reads)
    }
}

/// A number written with a fraction or an exponent, as text: as the integer it equals when it
/// is one (`2.0` is `2`, as JSON Schema's `integer` takes it), else as the shortest form.
pub fn number_text(number: f64) -> Text {
    match integer(number) {
        Some(integer) => integer.to_compact_string(),
        None => number.to_compact_string(),
    }
}

/// Whether `key` (parts joined by `.`) is in the scope of a clear: its first part is `scope`.
pub fn in_scope(key: &str, scope: &str) -> bool {
    key.strip_prefix(scope).is_some_and(|rest| rest.starts_with('.'))
}

/// A key's parts joined by `.`; `None` when one is missing.
fn join(parts: &mut [Option<Text>]) -> Option<Text> {
    match parts {
        [one] => one.take(),
        parts => {
            let mut key = Text::default();
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    key.push('.');
                }
                key.push_str(part.as_deref()?);
            }
            Some(key)
        }
    }
}

/// A value read from a record as text: a string, a number as the one-pass check writes it, an
/// array's length; `None` for anything else.
pub fn value_text(value: &Value) -> Option<Text> {
    match value {
        Value::String(text) => Some(Text::from(text.as_str())),
        Value::Number(number) => Some(match (number.as_u64(), number.as_i64(), number.as_f64()) {
            (Some(n), _, _) => n.to_compact_string(),
            (_, Some(n), _) => n.to_compact_string(),
            (_, _, Some(n)) => number_text(n),
            _ => number.to_compact_string(),
        }),
        Value::Array(items) => Some(items.len().to_compact_string()),
        _ => None,
    }
}

/// The integer a JSON number written with a fraction or an exponent (`1.0`, `1e0`) equals,
/// when it has no fractional part and lies within ±2^53, where a double holds every integer
/// exactly. JSON Schema's `integer` accepts such numbers, so they identify as the integer does.
pub fn integer(number: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (number.fract() == 0.0 && number.abs() <= EXACT).then_some(number as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BALANCES: ChangeRules = ChangeRules {
        tag: None,
        reads: &[&["Account"], &["Type"], &["Currency"], &["Amount"]],
        read_at: &[[0, NONE], [1, NONE], [2, NONE], [3, NONE]],
        key_parts: 3,
        position: None,
        operations: &[],
        when: &[
            When { read: 1, equals: Equals::Text(""), operation: Operation::Clear, scope: Some(0) },
            When { read: 3, equals: Equals::Number(0.0), operation: Operation::Remove, scope: None },
        ],
        otherwise: Some(Operation::Set),
        ordered: false,
        snapshot: None,
    };

    #[test]
    fn records_without_a_tag_do_what_their_values_say() {
        let read = |text: &str| BALANCES.read(&serde_json::from_str(text).unwrap());
        let clear = read(r#"{"Account":"A1","Type":"","Currency":"","Amount":0}"#);
        assert_eq!((clear.operation, clear.key.as_deref()), (Some(Operation::Clear), Some("A1")));
        let removed = read(r#"{"Account":"A1","Type":"Net","Currency":"AUD","Amount":0.0}"#);
        assert_eq!((removed.operation, removed.key.as_deref()), (Some(Operation::Remove), Some("A1.Net.AUD")));
        let set = read(r#"{"Account":"A1","Type":"Net","Currency":"AUD","Amount":1e3}"#);
        assert_eq!((set.operation, set.key.as_deref()), (Some(Operation::Set), Some("A1.Net.AUD")));
        assert_eq!(read(r#"{"Account":"A1","Type":"Net","Amount":1}"#).key, None);
        // A clear without its scope clears nothing.
        assert_eq!(read(r#"{"Type":"","Currency":"","Amount":0}"#).operation, None);
        assert!(in_scope("A1.Net.AUD", "A1") && !in_scope("A1.Net.AUD", "A") && !in_scope("A1", "A1"));
    }

    #[test]
    fn positional_records_count_their_items() {
        let rules = ChangeRules {
            tag: Some("Operation"),
            reads: &[&["At"], &["Count"], &["Members"]],
            read_at: &[[1, NONE], [2, NONE], [3, NONE]],
            key_parts: 0,
            position: Some(Position { at: 0, count: 1, items: 2 }),
            operations: &[("Insert", Operation::Insert), ("Remove", Operation::Remove)],
            when: &[],
            otherwise: None,
            ..BALANCES
        };
        let read = |text: &str| rules.read(&serde_json::from_str(text).unwrap());
        let insert = read(r#"{"Operation":"Insert","At":2,"Members":["A","B","C"]}"#);
        assert_eq!(insert, Change { operation: Some(Operation::Insert), key: None, at: Some(2), count: Some(3) });
        let remove = read(r#"{"Operation":"Remove","At":0,"Count":1}"#);
        assert_eq!(remove, Change { operation: Some(Operation::Remove), key: None, at: Some(0), count: Some(1) });
        assert_eq!(read(r#"{"Operation":"Drop","At":0,"Count":1}"#).operation, None);
        // A whole number written with a fraction is the integer it equals.
        assert_eq!(read(r#"{"Operation":"Remove","At":2.0,"Count":1e0}"#).at, Some(2));
        assert_eq!(read(r#"{"Operation":"Remove","At":2.0,"Count":1e0}"#).count, Some(1));
    }
}
