//! What a pushed message does to its subscription's state: for each change record, what it does
//! and the key of the record it changes, and the values of the properties that never change.
//! A message the one pass found clean brings its change records with it (the pass records
//! them), so its text is not read again; otherwise they come from its tree.

use serde_json::Value;
use zenith_protocol::runtime::stream::record::Recording;
use zenith_protocol::{MessageInfo, Operation};

/// What one push does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Effects {
    /// The change records in order; empty when `Data` holds none.
    pub records: Vec<Change>,
    /// The properties of `Data` that never change, with their values (`None` when absent).
    pub fixed: Vec<(&'static str, Option<String>)>,
}

/// One change record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Its position in `Data`.
    pub position: usize,
    /// `None` for a tag the schema does not document (the schema reports it).
    pub operation: Option<Operation>,
    /// The key's parts joined by `.`; `None` when a part is missing.
    pub key: Option<String>,
}

/// The effects of a message the one pass found clean, from what it recorded.
pub fn from_recording(info: &'static MessageInfo, recording: Recording) -> Option<Effects> {
    if !info.fixed.is_empty() {
        let mut values = recording.fixed;
        let fixed = info
            .fixed
            .iter()
            .map(|name| (*name, values.iter_mut().find(|(n, _)| n == name).map(|(_, v)| std::mem::take(v))))
            .collect();
        return Some(Effects { records: Vec::new(), fixed });
    }
    let rules = info.changes?;
    let records = recording
        .records
        .into_iter()
        .enumerate()
        .map(|(position, recorded)| Change {
            position,
            operation: recorded.tag.and_then(|tag| rules.operation_of(tag)),
            key: recorded.key,
        })
        .collect();
    Some(Effects { records, fixed: Vec::new() })
}

/// The effects of a message read into a tree.
pub fn from_value(info: &'static MessageInfo, message: &Value) -> Option<Effects> {
    let data = message.get("Data")?;
    match (info.changes, data) {
        (Some(rules), Value::Array(items)) => {
            let records = items
                .iter()
                .enumerate()
                .map(|(position, record)| Change {
                    position,
                    operation: rules.operation(record),
                    key: rules.key(record),
                })
                .collect();
            Some(Effects { records, fixed: Vec::new() })
        }
        (_, Value::Object(fields)) if !info.fixed.is_empty() => {
            let text = |value: &Value| match value {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            };
            let fixed = info.fixed.iter().map(|name| (*name, fields.get(*name).and_then(text))).collect();
            Some(Effects { records: Vec::new(), fixed })
        }
        _ => None,
    }
}
