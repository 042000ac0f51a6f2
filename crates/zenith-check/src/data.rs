//! A push's `Data` as an analysis keeps it, for a replay of the records themselves.

use serde_json::Value;

/// A push's `Data`, kept in its analysis for a store of the records themselves (replay).
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Value(Value),
    /// The message holds too many values to be read into a tree: what it did is not known.
    TooLarge,
}

/// The `Data` of a message read into a tree (`large`: only its outline was), if it has any.
pub fn data(message: Value, large: bool) -> Option<Data> {
    match message {
        _ if large => Some(Data::TooLarge),
        Value::Object(mut members) => members.shift_remove("Data").map(Data::Value),
        _ => None,
    }
}

/// The `Data` of a message the one pass found clean, which has no tree.
pub fn data_of_text(text: &str) -> Option<Data> {
    let (message, large) = crate::outline::tree(text).ok()?;
    data(message, large.is_some())
}
