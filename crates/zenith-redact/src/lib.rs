//! Makes captures safe to share: every credential (by the schemas' secret properties, their
//! near misses and names that plainly hold one) is replaced by a placeholder of the same JSON
//! type, in messages, HTTP headers, cookies and query strings. Everything else stays as it was.

mod names;

use std::io::{BufRead, Write};

use serde_json::{Map, Value};
use zenith_capture::Format;

pub use zenith_protocol::runtime::is_secret_name;

/// The text that replaces a secret string.
pub const PLACEHOLDER: &str = zenith_protocol::runtime::REDACTED;

/// A message (or capture item) that could not be redacted, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unredacted {
    /// `line N` for JSON Lines, `entry N, message M` for HAR.
    pub location: String,
    pub reason: String,
}

/// What a redaction did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Secret values replaced.
    pub replaced: u64,
    /// Messages left as they were because they could not be read (only with `force`).
    pub unredacted: Vec<Unredacted>,
    /// Every secret value met, to scrub its copies elsewhere (an error text, a log line).
    known: Vec<String>,
}

impl Outcome {
    fn remember(&mut self, secret: &str) {
        // Short values ("0", "abc") would scrub unrelated text.
        if secret.chars().count() >= 6 && !self.known.iter().any(|k| k == secret) {
            self.known.push(secret.to_owned());
        }
    }

    /// Replaces copies of known secrets in `text`, as written plainly and inside JSON text
    /// (once or twice escaped).
    fn scrub(&self, text: &mut String) {
        for secret in &self.known {
            let once = escaped(secret);
            for form in [secret.as_str(), once.as_str(), escaped(&once).as_str()] {
                if text.contains(form) {
                    *text = text.replace(form, PLACEHOLDER);
                }
            }
        }
    }
}

/// `text` as it appears inside a JSON string.
fn escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).expect("strings serialize");
    quoted[1..quoted.len() - 1].to_owned()
}

#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("reading or writing failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the input is not a HAR document: {0}")]
    NotHar(String),
    #[error("{} message(s) cannot be read, so they cannot be redacted (first: {}: {}); nothing was written. Use --force to write the rest and keep those as they are", .0.len(), .0[0].location, .0[0].reason)]
    Unreadable(Vec<Unredacted>),
}

/// Redacts a capture of `format` from `input` to `output`. Without `force`, an input with any
/// unreadable message is refused before anything is written.
pub fn redact(
    format: Format,
    mut input: impl BufRead,
    output: &mut impl Write,
    force: bool,
) -> Result<Outcome, RedactError> {
    let mut text = Vec::new();
    input.read_to_end(&mut text)?;
    let (bytes, outcome) = match format {
        Format::Har => redact_har(&text)?,
        Format::Jsonl => redact_jsonl(&text),
    };
    if !force && !outcome.unredacted.is_empty() {
        return Err(RedactError::Unreadable(outcome.unredacted));
    }
    output.write_all(&bytes)?;
    output.flush()?;
    Ok(outcome)
}

/// HAR: headers, cookies, query strings and every websocket message.
fn redact_har(text: &[u8]) -> Result<(Vec<u8>, Outcome), RedactError> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut har: Value = serde_json::from_slice(text).map_err(|e| RedactError::NotHar(e.to_string()))?;
    let mut outcome = Outcome::default();
    let entries = har
        .pointer_mut("/log/entries")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| RedactError::NotHar("it has no `log.entries` array".to_owned()))?;
    for (e, entry) in entries.iter_mut().enumerate() {
        for side in ["request", "response"] {
            if let Some(part) = entry.get_mut(side) {
                outcome.replaced += redact_http(part, &mut outcome);
            }
        }
        let Some(Value::Array(messages)) = entry.get_mut("_webSocketMessages") else { continue };
        for (m, message) in messages.iter_mut().enumerate() {
            let location = format!("entry {}, message {}", e + 1, m + 1);
            redact_item(message, &location, &mut outcome);
        }
    }
    scrub_strings(&mut har, &outcome);
    let mut bytes = serde_json::to_vec_pretty(&har).expect("a JSON tree serializes");
    bytes.push(b'\n');
    Ok((bytes, outcome))
}

/// Scrubs known secrets from every string in a tree.
fn scrub_strings(value: &mut Value, outcome: &Outcome) {
    match value {
        Value::String(text) => outcome.scrub(text),
        Value::Array(items) => items.iter_mut().for_each(|item| scrub_strings(item, outcome)),
        Value::Object(map) => map.values_mut().for_each(|item| scrub_strings(item, outcome)),
        _ => {}
    }
}

/// A HAR-style message item `{type, time, opcode, data}`: the message inside `data`.
fn redact_item(item: &mut Value, location: &str, outcome: &mut Outcome) {
    match item.get("type").and_then(Value::as_str) {
        Some("send" | "receive") => {}
        _ => {
            // A capture tool's own text: withheld whole when it names a credential.
            if let Some(Value::String(text)) = item.get_mut("data") {
                if zenith_protocol::runtime::mentions_secret(text) {
                    *text = PLACEHOLDER.to_owned();
                    outcome.replaced += 1;
                }
            }
            return;
        }
    }
    let opcode = item.get("opcode").and_then(Value::as_u64).unwrap_or(1);
    let Some(Value::String(data)) = item.get_mut("data") else { return };
    if opcode != 1 {
        outcome.unredacted.push(Unredacted {
            location: location.to_owned(),
            reason: format!("binary message (opcode {opcode}) cannot be decoded"),
        });
        return;
    }
    match redact_text(data, outcome) {
        Ok((text, count)) => {
            outcome.replaced += count;
            *data = text;
        }
        Err(reason) => outcome.unredacted.push(Unredacted { location: location.to_owned(), reason }),
    }
}

/// A message's JSON text with its secrets replaced; unchanged text when it has none.
fn redact_text(text: &str, outcome: &mut Outcome) -> Result<(String, u64), String> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let count = redact_value(&mut value, outcome);
    if count == 0 {
        return Ok((text.to_owned(), 0));
    }
    Ok((value.to_string(), count))
}

/// Replaces, at any depth, the value of every property named like a secret. Returns how many.
fn redact_value(value: &mut Value, outcome: &mut Outcome) -> u64 {
    match value {
        Value::Object(map) => {
            let mut count = 0;
            for (key, child) in map.iter_mut() {
                if is_secret_name(key) {
                    remember_all(child, outcome);
                    *child = placeholder(child);
                    count += 1;
                } else {
                    count += redact_value(child, outcome);
                }
            }
            count
        }
        Value::Array(items) => items.iter_mut().map(|item| redact_value(item, outcome)).sum(),
        _ => 0,
    }
}

/// Remembers every string and number inside a secret value.
fn remember_all(value: &Value, outcome: &mut Outcome) {
    match value {
        Value::String(text) => outcome.remember(text),
        Value::Number(n) => outcome.remember(&n.to_string()),
        Value::Array(items) => items.iter().for_each(|item| remember_all(item, outcome)),
        Value::Object(map) => map.values().for_each(|item| remember_all(item, outcome)),
        _ => {}
    }
}

/// A stand-in of the same JSON type, so the message keeps its shape and its verdicts.
fn placeholder(value: &Value) -> Value {
    match value {
        Value::String(_) => Value::from(PLACEHOLDER),
        Value::Number(_) => Value::from(0),
        Value::Bool(_) => Value::Bool(false),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Object(_) => Value::Object(Map::new()),
        Value::Null => Value::Null,
    }
}

/// HTTP parts of a HAR entry: credential headers, every cookie, secret query parameters.
fn redact_http(part: &mut Value, outcome: &mut Outcome) -> u64 {
    let mut count = 0;
    for list in ["headers", "cookies", "queryString"] {
        let Some(Value::Array(items)) = part.get_mut(list) else { continue };
        for item in items {
            let name = item.get("name").and_then(Value::as_str).unwrap_or("");
            let secret = list == "cookies" || names::is_secret_header(name) || is_secret_name(name);
            if let Some(Value::String(value)) = item.get_mut("value").filter(|_| secret) {
                // `Bearer X`, `session=X; Path=/`: remember X too, to scrub its copies.
                for part in value.split([' ', ';', '=', ',']).filter(|p| !p.is_empty()) {
                    outcome.remember(part);
                }
                outcome.remember(value);
                *value = PLACEHOLDER.to_owned();
                count += 1;
            }
        }
    }
    if let Some(Value::String(url)) = part.get_mut("url") {
        count += names::redact_url(url, &mut |secret| outcome.remember(secret));
    }
    count
}

/// JSON Lines: bare messages and HAR-style items, line by line; blank lines kept.
fn redact_jsonl(text: &[u8]) -> (Vec<u8>, Outcome) {
    let mut outcome = Outcome::default();
    let mut out = Vec::with_capacity(text.len());
    for (number, raw) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        let location = format!("line {}", number + 1);
        let ending = if raw.ends_with(b"\r\n") {
            &b"\r\n"[..]
        } else if raw.ends_with(b"\n") {
            &b"\n"[..]
        } else {
            &b""[..]
        };
        let body = &raw[..raw.len() - ending.len()];
        let body = if number == 0 { body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body) } else { body };
        if body.iter().all(u8::is_ascii_whitespace) {
            out.extend_from_slice(raw);
            continue;
        }
        let Ok(line) = std::str::from_utf8(body) else {
            outcome.unredacted.push(Unredacted { location, reason: "not valid UTF-8".to_owned() });
            out.extend_from_slice(raw);
            continue;
        };
        let mut value: Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(error) => {
                outcome.unredacted.push(Unredacted { location, reason: format!("not JSON: {error}") });
                out.extend_from_slice(raw);
                continue;
            }
        };
        let before = outcome.replaced;
        let is_item = value.get("type").is_some() && value.get("data").is_some();
        if is_item {
            redact_item(&mut value, &location, &mut outcome);
        } else {
            outcome.replaced += redact_value(&mut value, &mut outcome);
        }
        if outcome.replaced == before {
            out.extend_from_slice(raw);
        } else {
            out.extend_from_slice(value.to_string().as_bytes());
            out.extend_from_slice(ending);
        }
    }
    if outcome.known.is_empty() {
        return (out, outcome);
    }
    // Copies of known secrets in other messages (an error text, a log line); lines that are
    // not UTF-8 are kept byte for byte.
    let mut scrubbed = Vec::with_capacity(out.len());
    for line in out.split_inclusive(|b| *b == b'\n') {
        match std::str::from_utf8(line) {
            Ok(text) => {
                let mut text = text.to_owned();
                outcome.scrub(&mut text);
                scrubbed.extend_from_slice(text.as_bytes());
            }
            Err(_) => scrubbed.extend_from_slice(line),
        }
    }
    (scrubbed, outcome)
}
