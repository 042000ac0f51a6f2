//! The credentials met so far, and where copies of them sit in other text.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashSet;

/// Copies of credentials shorter than this are found only where they stand alone (not inside
/// a longer word), so that a one-letter password does not wipe every word holding that letter.
pub const WHOLE_WORD_BELOW: usize = 4;

/// Forms left out of the automaton at most, looked for one by one instead.
const UNCOVERED: usize = 64;

/// How many bytes of credentials a [`Secrets`] remembers at most.
pub const MAX_SECRET_BYTES: usize = 32 << 20;

/// Known credential values, and the forms their copies take: as written, and JSON-escaped
/// once and twice (inside JSON embedded in a string). Copies are found with one automaton
/// over all forms, so finding them takes time linear in the text whatever their number.
#[derive(Debug)]
pub struct Secrets {
    values: FxHashSet<Box<str>>,
    forms: Vec<Box<str>>,
    bytes: usize,
    /// The length of the shortest form: shorter text holds no copy.
    shortest: usize,
    limit: usize,
    /// The automaton over `forms`, and how many forms it covers.
    finder: Option<(AhoCorasick, usize)>,
    /// Finders for the forms it does not cover yet.
    uncovered: Vec<memchr::memmem::Finder<'static>>,
    /// Credentials not remembered because the limits were reached.
    overflow: u64,
    /// Some credential is written differently in a JSON string.
    escapable: bool,
}

impl Default for Secrets {
    fn default() -> Secrets {
        Secrets::with_limit(crate::DEFAULT_MAX_CREDENTIALS)
    }
}

impl Secrets {
    /// Remembers at most `limit` credentials (and [`MAX_SECRET_BYTES`] of them).
    pub fn with_limit(limit: usize) -> Secrets {
        Secrets {
            values: FxHashSet::default(),
            forms: Vec::new(),
            bytes: 0,
            shortest: usize::MAX,
            limit,
            finder: None,
            uncovered: Vec::new(),
            escapable: false,
            overflow: 0,
        }
    }

    /// Remembers a credential value (ignoring empty ones and the placeholder itself).
    pub fn remember(&mut self, value: &str) {
        if value.is_empty() || value == crate::PLACEHOLDER || self.values.contains(value) {
            return;
        }
        if self.values.len() >= self.limit || self.bytes + value.len() > MAX_SECRET_BYTES {
            self.overflow += 1;
            return;
        }
        self.bytes += value.len();
        self.shortest = self.shortest.min(value.len());
        self.values.insert(value.into());
        let once = escaped(value);
        let twice = escaped(&once);
        let mut forms = vec![value.to_owned()];
        if once != value {
            self.escapable = true;
            forms.extend([once, twice]);
        }
        self.forms.extend(forms.into_iter().map(String::into_boxed_str));
    }

    /// True when some credential changes when written in a JSON string (it holds a quote, a
    /// backslash or a control character).
    pub fn escapable(&self) -> bool {
        self.escapable
    }

    /// How many credentials it remembers at most.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Remembers what `other` remembered, and counts what it could not.
    pub fn absorb(&mut self, other: &Secrets) {
        for value in &other.values {
            self.remember(value);
        }
        self.overflow += other.overflow;
    }

    /// The credentials remembered.
    pub fn into_values(self) -> Vec<Box<str>> {
        self.values.into_iter().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many credentials went unremembered because the limits were reached.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Makes [`Secrets::copies`] see every credential remembered so far. The automaton is
    /// rebuilt only once [`UNCOVERED`] forms are left out of it; until then they are looked for
    /// one by one, so that remembering a few at a time (as `zenith check` does) stays cheap.
    pub fn prepare(&mut self) {
        let covered = self.finder.as_ref().map_or(0, |(_, covered)| *covered);
        if self.forms.len() - covered <= UNCOVERED && covered > 0 {
            let newest = &self.forms[covered + self.uncovered.len()..];
            self.uncovered.extend(newest.iter().map(|f| memchr::memmem::Finder::new(f.as_bytes()).into_owned()));
            return;
        }
        if self.forms.is_empty() {
            return;
        }
        let automaton = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(self.forms.iter().map(|f| f.as_bytes()));
        self.finder = automaton.ok().map(|a| (a, self.forms.len()));
        if self.finder.is_some() {
            self.uncovered.clear();
        }
    }

    /// Adds the ranges of `text` that hold a copy of a credential known at the last
    /// [`Secrets::prepare`].
    pub fn copies(&self, text: &str, out: &mut Vec<Range<usize>>) {
        let Some((finder, _)) = &self.finder else { return };
        if text.len() < self.shortest {
            return;
        }
        let bytes = text.as_bytes();
        let alone = |at: Option<usize>| !at.and_then(|at| bytes.get(at)).is_some_and(u8::is_ascii_alphanumeric);
        let found = finder.find_iter(text).map(|found| found.range());
        let uncovered =
            self.uncovered.iter().flat_map(|form| form.find_iter(bytes).map(move |at| at..at + form.needle().len()));
        for range in found.chain(uncovered) {
            if range.len() >= WHOLE_WORD_BELOW || alone(range.start.checked_sub(1)) && alone(Some(range.end)) {
                out.push(range);
            }
        }
    }
}

impl Secrets {
    /// Where, in text cut short at its end, a copy of a credential begins that the cut left
    /// unfinished: the start of the longest end of `text` (three bytes or more) that begins a
    /// known form. Checks every form, so it is meant for the few texts shown cut short.
    pub fn cut_copy(&self, text: &str) -> Option<usize> {
        let longest = self.forms.iter().map(|f| f.len()).max().unwrap_or(0).min(text.len());
        (3..=longest)
            .rev()
            .map(|length| text.len() - length)
            .filter(|&start| text.is_char_boundary(start))
            .find(|&start| self.forms.iter().any(|form| form.starts_with(&text[start..])))
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

    fn copies(secrets: &mut Secrets, text: &str) -> Vec<String> {
        secrets.prepare();
        let mut found = Vec::new();
        secrets.copies(text, &mut found);
        found.into_iter().map(|r| text[r].to_owned()).collect()
    }

    #[test]
    fn copies_as_written_and_escaped() {
        let mut secrets = Secrets::default();
        secrets.remember("hun\"ter2");
        secrets.remember("abc");
        assert_eq!(copies(&mut secrets, "x hun\"ter2y"), ["hun\"ter2"]);
        assert_eq!(copies(&mut secrets, r#"{"p":"hun\"ter2"}"#), ["hun\\\"ter2"]);
        assert_eq!(copies(&mut secrets, "abc, xabc, abcd, (abc)"), ["abc", "abc"]);
    }

    #[test]
    fn copies_cut_short_are_found() {
        let mut secrets = Secrets::default();
        secrets.remember("pw-Quebec-55");
        assert_eq!(secrets.cut_copy("value is pw-Que"), Some(9));
        assert_eq!(secrets.cut_copy("value is pw"), None, "too short to tell");
        assert_eq!(secrets.cut_copy("value is pw-Quebec-55"), Some(9));
        assert_eq!(secrets.cut_copy("nothing here"), None);
    }

    #[test]
    fn limits_are_counted() {
        let mut secrets = Secrets::with_limit(1000);
        for n in 0..1005 {
            secrets.remember(&format!("secret-{n}"));
        }
        assert_eq!(secrets.overflow(), 5);
        assert_eq!(copies(&mut secrets, "a secret-999 b"), ["secret-999"]);
    }
}
