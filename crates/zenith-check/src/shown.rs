//! What a check shows of a capture: every text taken from it passes the same rules as
//! `zenith redact`, with copies of the credentials met so far in the capture.

use std::sync::LazyLock;

use serde_json::Value;
use zenith_protocol::runtime::diagnostics::excerpt;
use zenith_protocol::runtime::is_secret_name;
use zenith_redact::{PLACEHOLDER, Secrets};

use crate::finding::Finding;

/// Credentials remembered to hide their copies. Past this many, excerpts of capture values are
/// withheld instead.
pub const MAX_CREDENTIALS: usize = 1024;
/// Messages of findings are cut to this many characters, after their credentials are hidden.
const MAX_MESSAGE_CHARS: usize = 400;
/// Text from a capture is kept to this many bytes before its credentials are hidden, so a
/// copy is never cut in two before it is seen.
pub const KEPT_BYTES: usize = 4096;

/// Credentials found in one message.
pub type Credentials = Vec<Box<str>>;

/// The credentials in a message's text. In a `clean` message (its schema accepts it, so every
/// property is documented) written without escapes, they are the values of the schemas' secret
/// properties, found by name; any other message is read by the rules of `zenith redact`.
pub fn credentials(text: &str, clean: bool) -> Credentials {
    let bytes = text.as_bytes();
    if !clean || memchr::memchr(b'\\', bytes).is_some() {
        return zenith_redact::credentials(text);
    }
    let mut found = Credentials::new();
    for name in SECRET_NAMES.iter() {
        for at in name.find_iter(bytes) {
            let mut from = at + name.needle().len();
            while bytes.get(from).is_some_and(|b| b.is_ascii_whitespace() || *b == b':') {
                from += 1;
            }
            if bytes.get(from) != Some(&b'"') {
                continue;
            }
            let value = &text[from + 1..];
            if let Some(end) = memchr::memchr(b'"', value.as_bytes()) {
                found.push(value[..end].into());
            }
        }
    }
    found
}

/// False when no rule of `zenith redact` can find a credential in a message, told from its tree
/// (whose keys are all its keys, when none is repeated): no key named like a credential or
/// taking part in `{name, value}` pairs or cookie lists, and no string that holds JSON or the
/// `=`, `:` or space that free-text credentials come after.
pub fn may_hold_credentials(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, value)| {
            matches!(key.as_str(), "name" | "value" | "cookies") || is_secret_name(key) || may_hold_credentials(value)
        }),
        Value::Array(items) => items.iter().any(may_hold_credentials),
        Value::String(text) => {
            let trimmed = text.trim_start();
            trimmed.starts_with(['{', '[']) || memchr::memchr3(b'=', b':', b' ', text.as_bytes()).is_some()
        }
        _ => false,
    }
}

/// The schemas' secret property names, quoted as keys are.
static SECRET_NAMES: LazyLock<Vec<memchr::memmem::Finder<'static>>> = LazyLock::new(|| {
    let names = zenith_protocol::SECRET_PROPERTIES.iter();
    names.map(|name| memchr::memmem::Finder::new(format!("\"{name}\"").as_bytes()).into_owned()).collect()
});

/// Free text from a capture, with its credentials hidden, kept to [`KEPT_BYTES`].
pub fn kept(text: &str) -> String {
    let kept = zenith_redact::scrub(text, &NONE);
    let mut cut = kept.len().min(KEPT_BYTES);
    while !kept.is_char_boundary(cut) {
        cut -= 1;
    }
    kept[..cut].to_owned()
}

static NONE: LazyLock<Secrets> = LazyLock::new(Secrets::default);

/// `text` with the unfinished start of a copy before each `…` (where a value was cut short
/// before its credentials were known) replaced too.
fn hide_cut_copies(text: &str, secrets: &Secrets) -> String {
    if !text.contains('…') || secrets.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut pieces = text.split('…').peekable();
    while let Some(piece) = pieces.next() {
        let last = pieces.peek().is_none();
        match secrets.cut_copy(piece).filter(|_| !last) {
            Some(start) => {
                out.push_str(&piece[..start]);
                out.push_str(PLACEHOLDER);
            }
            None => out.push_str(piece),
        }
        if !last {
            out.push('…');
        }
    }
    out
}

/// The credentials met so far, and the rules applied to every finding before it is shown.
#[derive(Debug)]
pub struct Shown {
    secrets: Secrets,
}

impl Default for Shown {
    fn default() -> Shown {
        Shown { secrets: Secrets::with_limit(MAX_CREDENTIALS) }
    }
}

impl Shown {
    pub fn learn(&mut self, credentials: &[Box<str>]) {
        for credential in credentials {
            self.secrets.remember(credential);
        }
    }

    /// Text from the capture passed through the rules.
    pub fn text(&mut self, text: &str) -> String {
        self.secrets.prepare();
        zenith_redact::scrub(text, &self.secrets)
    }

    /// The finding with every text from the capture passed through the rules, and cut short.
    pub fn finding(&mut self, mut finding: Finding) -> Finding {
        self.secrets.prepare();
        let scrub = |text: &str| zenith_redact::scrub(text, &self.secrets);
        if let zenith_capture::Origin::Line { conn: Some(conn), .. } = &mut finding.origin {
            *conn = scrub(conn).into_boxed_str();
        }
        for name in [&mut finding.controller, &mut finding.topic, &mut finding.action].into_iter().flatten() {
            *name = scrub(name);
        }
        let message = hide_cut_copies(&scrub(&finding.message), &self.secrets);
        finding.message = match message.char_indices().nth(MAX_MESSAGE_CHARS) {
            Some((cut, _)) => format!("{}…", &message[..cut]),
            None => message,
        };
        finding.excerpt = finding.excerpt.as_deref().map(|text| match self.secrets.overflow() {
            0 => excerpt(&scrub(text)),
            _ => format!("{PLACEHOLDER} (too many credentials in this capture to show its values)"),
        });
        finding
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn trees_that_may_hold_credentials() {
        for holds in [
            json!({"Data": {"Pasword": "x"}}),
            json!({"Data": [{"Note": "see ?access_token=t"}]}),
            json!({"Data": {"Text": "{\"k\": 1}"}}),
            json!({"headers": [{"name": "X", "value": "y"}]}),
            json!({"Data": "Bearer abc"}),
        ] {
            assert!(may_hold_credentials(&holds), "{holds}");
        }
        let market =
            json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Data": [{"O": "A", "ID": "7", "Price": "40.1"}]});
        assert!(!may_hold_credentials(&market));
    }
}
