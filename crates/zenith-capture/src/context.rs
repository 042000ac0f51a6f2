//! Text of a capture around its messages: everything in a HAR document but the messages (see
//! `around`), the members of a message item beside its `data`, a packet capture's HTTP upgrade.
//! No command shows it, but it may hold credentials whose copies turn up in messages, so it is
//! handed on to be read for them.

use std::fmt;

use serde_json::{Map, Value};
use zenith_protocol::runtime::may_hold_free_text_credentials;

use crate::{Opaque, Origin};

/// Text around the messages, as JSON: as the capture has it (HAR, JSON Lines), or for an
/// upgrade read from packets, in the shape of a HAR request or reply (`url`, and `headers` as
/// `{name, value}` pairs), so that the credential rules read all of them alike. `Debug` shows
/// its size, never its text.
#[derive(Clone, PartialEq)]
pub struct Context {
    pub origin: Origin,
    pub json: String,
    /// A long string in the text was cut here (see `around`): a credential in it that runs to
    /// the cut is learnt in part only when it is longer than the overlap of the pieces.
    pub partial: bool,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("origin", &self.origin)
            .field("json", &Opaque::of(&self.json))
            .field("partial", &self.partial)
            .finish()
    }
}

/// The members of a message item that say what the message is: never credentials.
pub(crate) const ITEM_KEYS: &[&str] = &["type", "time", "opcode", "data", "conn", "encoding"];

/// Whether a member of a message item (`key`, a string or not, its text) is read for
/// credentials: every member but those that say what the message is; of those, a `data` that
/// is not a string (it is never read as a message) and a `conn` holding the `=`, `:` or space
/// that credentials in free text come after.
pub(crate) fn around(key: &str, string: bool, text: &str) -> bool {
    match key {
        "data" => !string,
        "conn" => may_hold_free_text_credentials(text),
        _ => !ITEM_KEYS.contains(&key),
    }
}

/// The members of a message item read for credentials (see [`around`]), as a JSON object;
/// `None` when there is none.
pub(crate) fn beside(item: &Map<String, Value>) -> Option<String> {
    let others: Map<String, Value> = item
        .iter()
        .filter(|(key, value)| around(key, value.is_string(), value.as_str().unwrap_or_default()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!others.is_empty()).then(|| Value::Object(others).to_string())
}

/// The same, for members read apart as raw JSON text (`key`, `value` written as found).
pub(crate) fn beside_raw<'a>(members: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let mut json = String::new();
    for (key, raw) in members.into_iter().filter(|(key, raw)| around(key, raw.starts_with('"'), raw)) {
        json.push(if json.is_empty() { '{' } else { ',' });
        json.push_str(&Value::from(key).to_string());
        json.push(':');
        json.push_str(raw);
    }
    (!json.is_empty()).then(|| json + "}")
}

/// An HTTP head as a HAR request or reply: its target as `url` (for a request), its headers as
/// `{name, value}` pairs.
pub(crate) fn head(target: Option<&str>, headers: &[httparse::Header<'_>]) -> String {
    let headers: Vec<Value> = headers
        .iter()
        .map(|h| serde_json::json!({"name": h.name, "value": String::from_utf8_lossy(h.value)}))
        .collect();
    let mut head = Map::new();
    if let Some(target) = target {
        head.insert("url".to_owned(), Value::from(target));
    }
    head.insert("headers".to_owned(), Value::Array(headers));
    Value::Object(head).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_is_beside_the_message_is_kept() {
        let item = serde_json::json!({"type": "send", "data": "{}", "conn": "1", "token": "t0k", "x": [1]});
        assert_eq!(beside(item.as_object().unwrap()).as_deref(), Some(r#"{"token":"t0k","x":[1]}"#));
        let plain =
            serde_json::json!({"type": "send", "time": 1.5, "opcode": 1, "data": "{}", "encoding": "ZenithJson"});
        assert_eq!(beside(plain.as_object().unwrap()), None);
        let unread = serde_json::json!({"type": "send", "data": {"Password": "pw"}});
        assert_eq!(beside(unread.as_object().unwrap()).as_deref(), Some(r#"{"data":{"Password":"pw"}}"#));
        assert_eq!(beside_raw([("type", "\"send\""), ("api key", "\"k\"")]).as_deref(), Some(r#"{"api key":"k"}"#));
        assert_eq!(beside_raw([("data", "\"{}\""), ("conn", "\"1\"")]), None);
        assert_eq!(beside_raw([("conn", "\"wss://u:pw@h\"")]).as_deref(), Some(r#"{"conn":"wss://u:pw@h"}"#));
        let context = Context { origin: Origin::Har { entry: 1 }, json: "{\"token\":\"t0k\"}".into(), partial: false };
        assert!(!format!("{context:?}").contains("t0k"));
    }
}
