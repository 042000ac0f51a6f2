//! Renderings of offending values, with every credential replaced by `<redacted>`: cut short
//! only when shown, after copies of credentials seen elsewhere are hidden too.

use serde_json::Value;
use zenith_protocol::runtime::{REDACTED, is_secret_name};

use crate::shown;

/// The value at `pointer` in `message`, compact, its credentials hidden; `None` when nothing
/// is there.
pub fn at(message: &Value, pointer: &str) -> Option<String> {
    let value = message.pointer(pointer)?;
    if pointer.split('/').any(is_secret_name) {
        return Some(REDACTED.to_owned());
    }
    Some(shown::kept(&value.to_string()))
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
