//! The credentials met so far, and where copies of them sit in other text.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rustc_hash::{FxHashMap, FxHashSet};

/// Copies of credentials shorter than this are found only where they stand alone (not inside
/// a longer word), so that a one-letter password does not wipe every word holding that letter.
pub const WHOLE_WORD_BELOW: usize = 4;

/// Forms left out of the automaton at most, looked for one by one instead.
const UNCOVERED: usize = 64;

/// How many bytes of credentials a [`Secrets`] remembers at most.
pub const MAX_SECRET_BYTES: usize = 32 << 20;

/// Known credential values, and the forms their copies take (see [`forms`]): as written,
/// JSON-escaped, percent-encoded and in base64. A credential written with its scheme (`Bearer
/// t0k`) is known by its token too, and HTTP Basic credentials by the password they hold. Copies are found with one automaton over all forms, so finding them
/// takes time linear in the text whatever their number.
/// Credentials met past the limit can still be kept as hashes ([`Secrets::with_limits`]).
/// `Debug` shows counts, never a credential.
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
    /// Credentials met past `limit`, as hashes.
    hashed: Hashed,
    /// How many forms `hashed` keeps at most.
    hash_limit: usize,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("credentials", &self.values.len())
            .field("hashed_forms", &self.hashed.count)
            .field("overflow", &self.overflow)
            .finish_non_exhaustive()
    }
}

impl Default for Secrets {
    fn default() -> Secrets {
        Secrets::with_limit(crate::DEFAULT_MAX_CREDENTIALS)
    }
}

impl Secrets {
    /// Remembers at most `limit` credentials (and [`MAX_SECRET_BYTES`] of them).
    pub fn with_limit(limit: usize) -> Secrets {
        Secrets::with_limits(limit, 0)
    }

    /// Remembers at most `limit` credentials (and [`MAX_SECRET_BYTES`] of them) to find their
    /// copies with the automaton, and after them the forms of up to `hashed` more as hashes (8
    /// bytes each): their copies are found by hashing every stretch of the text of each of
    /// their lengths, which suits the little text a command shows, not whole captures.
    pub fn with_limits(limit: usize, hashed: usize) -> Secrets {
        Secrets {
            hashed: Hashed::default(),
            hash_limit: hashed,
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
        let full = self.values.len() >= self.limit || self.bytes + value.len() > MAX_SECRET_BYTES;
        if full && self.hashed.count >= self.hash_limit {
            self.overflow += 1;
            return;
        }
        match value.split_once(|c: char| c.is_ascii_whitespace()) {
            Some((scheme, token)) if crate::text::is_scheme(scheme) => self.remember(token.trim_start()),
            _ => {
                if let Some(password) = basic_password(value) {
                    self.remember(&password);
                }
            }
        }
        self.escapable |= escaped(value) != value;
        let forms = forms(value);
        self.shortest = self.shortest.min(value.len());
        if full {
            for form in forms {
                self.hashed.insert(&form);
            }
            return;
        }
        self.bytes += value.len();
        self.values.insert(value.into());
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
        self.values.is_empty() && self.hashed.count == 0
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
        if text.len() < self.shortest {
            return;
        }
        let bytes = text.as_bytes();
        let alone = |at: Option<usize>| !at.and_then(|at| bytes.get(at)).is_some_and(u8::is_ascii_alphanumeric);
        let found = self.finder.iter().flat_map(|(finder, _)| finder.find_iter(text).map(|found| found.range()));
        let uncovered =
            self.uncovered.iter().flat_map(|form| form.find_iter(bytes).map(move |at| at..at + form.needle().len()));
        let hashed = self.hashed.copies(text);
        for range in found.chain(uncovered).chain(hashed) {
            if range.len() >= WHOLE_WORD_BELOW || alone(range.start.checked_sub(1)) && alone(Some(range.end)) {
                out.push(range);
            }
        }
    }
}

impl Secrets {
    /// Where, in text cut short at its end, a copy of a credential begins that the cut left
    /// unfinished: the start of the longest end of `text` (three bytes or more) that begins a
    /// known credential, as written or JSON-escaped (the forms text is shown in; its encoded
    /// forms are left out, to keep this cheap). Checks every credential, so it is meant for
    /// the few texts shown cut short. Credentials kept only as hashes cannot be matched by
    /// their start: once there are any, the last word of `text` (three bytes or more, after
    /// white space, a quote, `=` or `:`) is taken for such a start.
    pub fn cut_copy(&self, text: &str) -> Option<usize> {
        if self.hashed.count > 0 {
            let start = text.rfind(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '=' | ':'));
            let start = start.map_or(0, |at| at + text[at..].chars().next().map_or(1, char::len_utf8));
            return (text.len() - start >= 3).then_some(start);
        }
        let escapes = |value: &str| value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
        let escaped: Vec<String> = if self.escapable {
            let once = self.values.iter().filter(|v| escapes(v)).map(|v| escaped(v));
            once.flat_map(|once| [escaped(&once), once]).collect()
        } else {
            Vec::new()
        };
        let forms: Vec<&str> = self.values.iter().map(|v| &**v).chain(escaped.iter().map(String::as_str)).collect();
        let longest = forms.iter().map(|f| f.len()).max().unwrap_or(0).min(text.len());
        (3..=longest)
            .rev()
            .map(|length| text.len() - length)
            .filter(|&start| text.is_char_boundary(start))
            .find(|&start| forms.iter().any(|form| form.starts_with(&text[start..])))
    }
}

/// Forms of credentials kept as hashes, by length.
#[derive(Default)]
struct Hashed {
    by_length: FxHashMap<usize, FxHashSet<u64>>,
    count: usize,
}

/// The base of the polynomial hash (odd, so that every power is too).
const BASE: u64 = 0x100_0000_01b3;

impl Hashed {
    fn insert(&mut self, form: &str) {
        let hash = form.bytes().fold(0u64, |hash, b| hash.wrapping_mul(BASE).wrapping_add(u64::from(b)));
        self.count += usize::from(self.by_length.entry(form.len()).or_default().insert(hash));
    }

    /// Stretches of `text` whose hash is that of a form of their length: one rolling hash over
    /// the text per length.
    fn copies<'t>(&'t self, text: &'t str) -> impl Iterator<Item = Range<usize>> + 't {
        let bytes = text.as_bytes();
        self.by_length.iter().filter(move |(length, _)| **length <= bytes.len()).flat_map(move |(&length, hashes)| {
            let top = (1..length).fold(1u64, |power, _| power.wrapping_mul(BASE));
            let mut hash =
                bytes[..length].iter().fold(0u64, |hash, &b| hash.wrapping_mul(BASE).wrapping_add(u64::from(b)));
            (0..=bytes.len() - length).filter_map(move |start| {
                if start > 0 {
                    let (old, new) = (u64::from(bytes[start - 1]), u64::from(bytes[start + length - 1]));
                    hash = hash.wrapping_sub(old.wrapping_mul(top)).wrapping_mul(BASE).wrapping_add(new);
                }
                let end = start + length;
                (hashes.contains(&hash) && text.is_char_boundary(start) && text.is_char_boundary(end))
                    .then_some(start..end)
            })
        })
    }
}

/// Bytes left as they are in a percent-encoded form: the unreserved characters of URLs.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// As [`URL_COMPONENT`], with the space left too (a form body writes it as `+`).
const URL_FORM: &AsciiSet = &URL_COMPONENT.remove(b' ');
/// Credentials at least this long are looked for in base64 too: shorter ones read as too
/// common words.
const MIN_BASE64: usize = 6;

/// The forms copies of `value` take: as written; JSON-escaped once and twice (inside JSON
/// embedded in a string); percent-encoded, with a space as `%20` and as `+` (in URLs and form
/// bodies); and, when long enough, in base64 (padded or not, standard or URL-safe).
fn forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    let once = escaped(value);
    if once != value {
        forms.push(escaped(&once));
        forms.push(once);
    }
    let percent = utf8_percent_encode(value, URL_COMPONENT).to_string();
    if percent != value {
        if value.contains(' ') {
            forms.push(utf8_percent_encode(value, URL_FORM).to_string().replace(' ', "+"));
        }
        forms.push(percent);
    }
    if value.len() >= MIN_BASE64 {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
        forms.extend([STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD].map(|engine| engine.encode(value)));
    }
    forms.sort_unstable();
    forms.dedup();
    forms
}

/// The password in HTTP Basic credentials: `value` read as the base64 of `user:password`.
fn basic_password(value: &str) -> Option<String> {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
    let text = String::from_utf8(decoded).ok().filter(|text| !text.contains(char::is_control))?;
    let (_, password) = text.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
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
    fn copies_percent_encoded_and_in_base64() {
        let mut secrets = Secrets::default();
        secrets.remember("S3cret/+ =&%");
        let text = "a S3cret%2F%2B%20%3D%26%25 b S3cret%2F%2B+%3D%26%25 c UzNjcmV0LysgPSYl d UzNjcmV0Ly sgPSYl";
        assert_eq!(
            copies(&mut secrets, text),
            ["S3cret%2F%2B%20%3D%26%25", "S3cret%2F%2B+%3D%26%25", "UzNjcmV0LysgPSYl"]
        );
        let mut short = Secrets::default();
        short.remember("pw1");
        assert_eq!(copies(&mut short, "cHcx pw1"), ["pw1"], "too short to be looked for in base64");
    }

    #[test]
    fn credentials_with_a_scheme_are_known_by_their_token_and_password_too() {
        let mut secrets = Secrets::default();
        secrets.remember("dXNlcjpTM2NyZXQtcHc="); // user:S3cret-pw
        secrets.remember("aGVsbG8="); // hello: no password in it
        secrets.remember("basic\tdTpTM2NyZXQtcXc="); // u:S3cret-qw
        secrets.remember("Bearer t0k-S3cret");
        let text = "the S3cret-pw, the user, hello, S3cret-qw, t0k-S3cret";
        assert_eq!(copies(&mut secrets, text), ["S3cret-pw", "S3cret-qw", "t0k-S3cret"]);
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
    fn credentials_past_the_limit_are_kept_as_hashes() {
        let mut secrets = Secrets::with_limits(2, 100);
        for value in ["first-one", "second-one", "third-one", "fourth\"one"] {
            secrets.remember(value);
        }
        assert_eq!(secrets.overflow(), 0);
        assert_eq!(copies(&mut secrets, "a first-one b third-one c"), ["first-one", "third-one"]);
        assert_eq!(copies(&mut secrets, r#"{"x":"fourth\"one"} fourth"one"#), ["fourth\\\"one", "fourth\"one"]);
        assert_eq!(copies(&mut secrets, "third-on, hird-one"), Vec::<String>::new());
        // The start of a credential kept as a hash cannot be told: a cut word is taken for one.
        assert_eq!(secrets.cut_copy("value `third-o"), Some(7));
        assert_eq!(secrets.cut_copy("value: th"), None, "too short to hide anything");
        let mut full = Secrets::with_limits(1, 1);
        for value in ["one-value", "two-value", "three-value"] {
            full.remember(value);
        }
        assert_eq!(full.overflow(), 1);
        assert!(!format!("{full:?}").contains("value"), "{full:?}");
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
