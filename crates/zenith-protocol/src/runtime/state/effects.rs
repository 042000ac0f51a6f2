//! What a pushed message does to its subscription's state: its change records and fixed properties.

// A message the one pass found clean brings these with it (the pass records them), so its text
// is not read again; otherwise they come from its tree. A push on the topic a replay follows
// also keeps its `Data`, for the records themselves.

use crate::runtime::changes::{Text, value_text};
use crate::runtime::stream::record::Recording;
use crate::{Change, MessageInfo};
use serde_json::Value;

/// What one push does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Effects {
    /// The change records in order (a record's position in `Data` is its index here); empty
    /// when `Data` holds none.
    pub records: Vec<Change>,
    /// The properties of `Data` that never change, with their values (`None` when absent).
    pub fixed: Vec<(&'static str, Option<Text>)>,
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
    info.changes?;
    Some(Effects { records: recording.records, fixed: Vec::new() })
}

/// The effects of a message read into a tree.
pub fn from_value(info: &'static MessageInfo, message: &Value) -> Option<Effects> {
    let data = super::data(message)?;
    match (info.changes, data) {
        (Some(rules), Value::Array(items)) => {
            Some(Effects { records: items.iter().map(|record| rules.read(record)).collect(), fixed: Vec::new() })
        }
        (_, Value::Object(fields)) if !info.fixed.is_empty() => {
            let fixed = info.fixed.iter().map(|name| (*name, fields.get(*name).and_then(value_text))).collect();
            Some(Effects { records: Vec::new(), fixed })
        }
        _ => None,
    }
}
