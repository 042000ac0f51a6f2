//! The credentials met so far, and where copies of them sit in other text.

use std::ops::Range;

use base64::Engine;
use rustc_hash::{FxHashMap, FxHashSet};

/// At most this many distinct credentials are remembered to find their copies.
pub const MAX_SECRETS: usize = 100_000;
/// At most this many bytes of them.
pub const MAX_SECRET_BYTES: usize = 16 << 20;
/// Copies of credentials shorter than this are found only where they stand alone (not inside
/// a longer word), so that a one-letter password does not wipe every word holding that letter.
pub const WHOLE_WORD_BELOW: usize = 4;

/// Known credential values, and the forms their copies take: as written, JSON-escaped once
/// and twice (inside JSON embedded in a string), and base64.
#[derive(Debug, Default)]
pub struct Secrets {
    values: FxHashSet<Box<str>>,
    bytes: usize,
    /// Forms of at least [`WHOLE_WORD_BELOW`] bytes, by their first four bytes.
    long: FxHashMap<[u8; 4], Vec<Box<[u8]>>>,
    /// A bit for each pair of first two bytes of a long form: most positions are ruled out
    /// by one lookup.
    heads: Vec<u64>,
    short: Vec<Box<[u8]>>,
    /// Credentials not remembered because the limits were reached.
    overflow: u64,
}

impl Secrets {
    /// Remembers a credential value (ignoring empty ones and the placeholder itself).
    pub fn remember(&mut self, value: &str) {
        if value.is_empty() || value == crate::PLACEHOLDER || self.values.contains(value) {
            return;
        }
        if self.values.len() >= MAX_SECRETS || self.bytes + value.len() > MAX_SECRET_BYTES {
            self.overflow += 1;
            return;
        }
        self.bytes += value.len();
        self.values.insert(value.into());
        let once = escaped(value);
        let twice = escaped(&once);
        let full_groups = &value.as_bytes()[..value.len() / 3 * 3];
        let base64 = [
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(full_groups),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(full_groups),
        ];
        let mut forms: Vec<&str> = vec![value, &once, &twice];
        forms.extend(base64.iter().map(String::as_str).filter(|b| b.len() >= 8));
        forms.sort_unstable();
        forms.dedup();
        for form in forms {
            self.add_form(form.as_bytes());
        }
    }

    fn add_form(&mut self, form: &[u8]) {
        if form.len() < WHOLE_WORD_BELOW {
            self.short.push(form.into());
            return;
        }
        if self.heads.is_empty() {
            self.heads = vec![0; 1024];
        }
        let head = usize::from(u16::from_le_bytes([form[0], form[1]]));
        self.heads[head / 64] |= 1 << (head % 64);
        let key = [form[0], form[1], form[2], form[3]];
        self.long.entry(key).or_default().push(form.into());
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many credentials went unremembered because the limits were reached.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Adds the ranges of `text` that hold a copy of a known credential.
    pub fn copies(&self, text: &str, out: &mut Vec<Range<usize>>) {
        let bytes = text.as_bytes();
        if !self.long.is_empty() && bytes.len() >= WHOLE_WORD_BELOW {
            for at in 0..=bytes.len() - WHOLE_WORD_BELOW {
                let head = usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
                if self.heads[head / 64] & (1 << (head % 64)) == 0 {
                    continue;
                }
                let key = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
                let Some(forms) = self.long.get(&key) else { continue };
                let longest = forms.iter().filter(|f| bytes[at..].starts_with(f)).map(|f| f.len()).max();
                if let Some(length) = longest {
                    out.push(at..at + length);
                }
            }
        }
        for form in &self.short {
            for at in memchr::memmem::find_iter(bytes, form) {
                let end = at + form.len();
                let alone = |b: Option<&u8>| !b.is_some_and(u8::is_ascii_alphanumeric);
                if alone(at.checked_sub(1).and_then(|p| bytes.get(p))) && alone(bytes.get(end)) {
                    out.push(at..end);
                }
            }
        }
    }
}

/// `text` as written inside a JSON string.
fn escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copies(secrets: &Secrets, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        secrets.copies(text, &mut found);
        found.into_iter().map(|r| text[r].to_owned()).collect()
    }

    #[test]
    fn copies_in_every_form() {
        let mut secrets = Secrets::default();
        secrets.remember("hun\"ter2");
        secrets.remember("abc");
        assert_eq!(copies(&secrets, "x hun\"ter2y"), ["hun\"ter2"]);
        assert_eq!(copies(&secrets, r#"{"p":"hun\"ter2"}"#), ["hun\\\"ter2"]);
        assert_eq!(copies(&secrets, "aHVuInRlcjI="), ["aHVuInRl"]);
        assert_eq!(copies(&secrets, "abc, xabc, abcd, (abc)"), ["abc", "abc"]);
    }

    #[test]
    fn limits_are_counted() {
        let mut secrets = Secrets::default();
        for n in 0..MAX_SECRETS + 5 {
            secrets.remember(&format!("secret-{n}"));
        }
        assert_eq!(secrets.overflow(), 5);
        assert_eq!(copies(&secrets, "a secret-99999 b"), ["secret-99999"]);
    }
}
