//! Short renderings of offending values, with every credential replaced by `<redacted>`.

use serde_json::Value;
use zenith_protocol::runtime::diagnostics::excerpt;
use zenith_protocol::runtime::{is_secret_name, mentions_secret};

const REDACTED: &str = "<redacted>";

/// The value at `pointer` in `message`, compact and cut short; `None` when nothing is there.
pub fn at(message: &Value, pointer: &str) -> Option<String> {
    let value = message.pointer(pointer)?;
    let under_secret = pointer.split('/').any(is_secret_name);
    if under_secret {
        return Some(REDACTED.to_owned());
    }
    Some(excerpt(&redacted(value).to_string()))
}

/// Free text from a capture, cut short. Text that names a credential field is withheld whole.
pub fn text(text: &str) -> String {
    if mentions_secret(text) {
        return REDACTED.to_owned();
    }
    excerpt(text)
}

/// A copy of `value` with the values of credential properties replaced.
pub fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), if is_secret_name(k) { Value::from(REDACTED) } else { redacted(v) }))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn credentials_are_redacted_at_any_depth() {
        let message = json!({"Data": {"Password": "hunter2", "Nested": [{"accesstoken": "t0k3n"}], "User": "u"}});
        assert_eq!(at(&message, "/Data/Password").unwrap(), "<redacted>");
        let whole = at(&message, "/Data").unwrap();
        assert!(!whole.contains("hunter2") && !whole.contains("t0k3n"), "{whole}");
        assert_eq!(at(&message, "/Data/User").unwrap(), "\"u\"");
        assert_eq!(at(&message, "/Data/Missing"), None);
    }
}
