//! Text decoded from a JSON string, with where each of its bytes lies in the input, and the
//! rules that find credentials in free text (`password=...`, `Bearer ...`, `user:pass@host`).

use std::borrow::Cow;
use std::ops::Range;

use zenith_protocol::runtime::{is_secret_name, is_secret_parameter};

/// Text and, for each stretch of it, where that stretch starts in the input. Between two
/// points the text is a verbatim copy of the input; a point starts every escape sequence and
/// every literal run after one, so any character boundary maps exactly.
#[derive(Debug)]
pub(crate) struct Text<'a> {
    pub text: Cow<'a, str>,
    /// Where the text starts in the input.
    at: usize,
    /// `(offset in text, offset in input)` after the start, sorted; empty for a verbatim copy.
    points: Vec<(usize, usize)>,
}

impl<'a> Text<'a> {
    /// Text that is itself a stretch of the input, starting at input offset `at`.
    pub fn verbatim(text: &'a str, at: usize) -> Text<'a> {
        Text { text: Cow::Borrowed(text), at, points: Vec::new() }
    }

    /// The decoded content of a JSON string whose raw content (between the quotes, already
    /// known to be valid JSON) is `raw`; `at(i)` is where raw byte `i` lies in the input.
    pub fn decode(raw: &'a str, at: &dyn Fn(usize) -> usize) -> Text<'a> {
        Text::unescape(raw, at, &[], b'\\', escape)
    }

    /// This text with its escapes decoded once more (JSON written into text), mapped back to
    /// the input through it.
    pub fn unescaped(&self) -> Text<'static> {
        Text::unescape(&self.text, &|i| self.input_offset(i), &self.points, b'\\', escape).into_owned()
    }

    /// This text with its percent-encoded ASCII characters (`%3D`, `%2F`, as in URLs and form
    /// bodies) decoded, mapped back to the input through it. Other bytes stay as they are, so
    /// the text stays UTF-8.
    pub fn percent_decoded(&self) -> Text<'static> {
        Text::unescape(&self.text, &|i| self.input_offset(i), &self.points, b'%', percent).into_owned()
    }

    /// `raw` with each sequence that starts with `marker` replaced by the character `escape`
    /// reads in it (with the sequence's length). `at(i)` is where raw byte `i` lies in the
    /// input, and `jumps` (as `points`) where raw itself stops being a verbatim copy of it.
    fn unescape(
        raw: &'a str,
        at: &dyn Fn(usize) -> usize,
        jumps: &[(usize, usize)],
        marker: u8,
        escape: fn(&[u8]) -> (char, usize),
    ) -> Text<'a> {
        let Some(first) = memchr::memchr(marker, raw.as_bytes()) else {
            return Text { text: Cow::Borrowed(raw), at: at(0), points: jumps.to_vec() };
        };
        let bytes = raw.as_bytes();
        let mut text = String::with_capacity(raw.len());
        // Two points an escape at most, set aside at once: a long body has millions.
        let mut points = Vec::with_capacity(2 * memchr::memchr_iter(marker, &bytes[first..]).count() + jumps.len());
        // Copies raw's bytes from `from` to `to`, with the jumps within them.
        let literal = |text: &mut String, points: &mut Vec<(usize, usize)>, from: usize, to: usize| {
            let after = jumps.partition_point(|j| j.0 <= from);
            let inside = &jumps[after..jumps.partition_point(|j| j.0 < to).max(after)];
            points.extend(inside.iter().map(|&(offset, input)| (text.len() + offset - from, input)));
            text.push_str(&raw[from..to]);
        };
        literal(&mut text, &mut points, 0, first);
        let mut i = first;
        while i < bytes.len() {
            let next = memchr::memchr(marker, &bytes[i..]).map_or(bytes.len(), |n| i + n);
            literal(&mut text, &mut points, i, next);
            if next == bytes.len() {
                break;
            }
            points.push((text.len(), at(next)));
            let (decoded, length) = escape(&bytes[next..]);
            text.push(decoded);
            i = next + length;
            points.push((text.len(), at(i)));
        }
        points.dedup_by_key(|p| p.0);
        Text { text: Cow::Owned(text), at: at(0), points }
    }

    pub fn into_owned(self) -> Text<'static> {
        Text { text: Cow::Owned(self.text.into_owned()), at: self.at, points: self.points }
    }

    /// Where the character starting at `offset` (or the end, at `text.len()`) lies in the input.
    pub fn input_offset(&self, offset: usize) -> usize {
        let (start, input) = match self.points.partition_point(|p| p.0 <= offset) {
            0 => (0, self.at),
            after => self.points[after - 1],
        };
        input + (offset - start)
    }

    /// The piece of the text from `start` (just after white space, or 0) of about `bytes` bytes:
    /// up to and with the last white space before that, or when there is none, the first after
    /// it (or the end), so that no word is cut; owned, with where it lies in the input. A word
    /// longer than `at_most` bytes is cut there, though never inside a percent-encoded byte.
    pub fn piece(&self, start: usize, bytes: usize, at_most: usize) -> Text<'static> {
        let rest = &self.text[start..];
        let mut end = rest.len();
        if end > bytes {
            let space = |b: &u8| b.is_ascii_whitespace();
            end = match rest.as_bytes()[..bytes].iter().rposition(space) {
                Some(before) => before + 1,
                None => rest.as_bytes()[bytes..].iter().position(space).map_or(rest.len(), |after| bytes + after + 1),
            };
        }
        // Never fewer than 8 bytes, so that moving back before an escape leaves some.
        if end > at_most.max(8) {
            end = at_most.max(8);
            // Not inside an escape: a `%` among the last two bytes starts one left unfinished.
            let bytes = rest.as_bytes();
            if bytes[end - 1] == b'%' {
                end -= 1;
            } else if bytes[end - 2] == b'%' {
                end -= 2;
            }
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
        }
        let inside = &self.points[self.points.partition_point(|p| p.0 <= start)..];
        let points = inside.iter().take_while(|p| p.0 < start + end).map(|&(t, i)| (t - start, i));
        Text { text: Cow::Owned(rest[..end].to_owned()), at: self.input_offset(start), points: points.collect() }
    }

    /// A range of the text as a range of the input.
    pub fn input_range(&self, range: Range<usize>) -> Range<usize> {
        self.input_offset(range.start)..self.input_offset(range.end)
    }
}

/// The character an escape sequence at the start of `bytes` stands for, and its length. The
/// parser has already accepted the string, so only well-formed escapes reach here; anything
/// else is taken as the two characters it is.
fn escape(bytes: &[u8]) -> (char, usize) {
    let simple = match bytes.get(1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode(bytes).unwrap_or(('\\', 1)),
        _ => return ('\\', 1),
    };
    (simple, 2)
}

/// The ASCII character a percent-encoded byte at the start of `bytes` stands for, and its
/// length; anything else (a lone `%`, a byte of a longer UTF-8 character) is taken as is.
fn percent(bytes: &[u8]) -> (char, usize) {
    let hex = |at: usize| bytes.get(at).and_then(|&b| char::from(b).to_digit(16));
    match (hex(1), hex(2)) {
        (Some(high), Some(low)) if high < 8 => (char::from((high * 16 + low) as u8), 3),
        _ => ('%', 1),
    }
}

fn unicode(bytes: &[u8]) -> Option<(char, usize)> {
    let hex =
        |at: usize| -> Option<u32> { u32::from_str_radix(std::str::from_utf8(bytes.get(at..at + 4)?).ok()?, 16).ok() };
    let first = hex(2)?;
    if (0xD800..0xDC00).contains(&first) && bytes.get(6..8) == Some(b"\\u") {
        let second = hex(8)?;
        let code = 0x10000 + ((first - 0xD800) << 10) + (second.checked_sub(0xDC00)?);
        return Some((char::from_u32(code)?, 12));
    }
    Some((char::from_u32(first)?, 6))
}

/// Bytes that may form a parameter name in free text (`%` and `+` for names written as in URLs
/// and form bodies, `pass%77ord`, `api+key`: the name rules decode them).
fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'%' | b'+')
}

/// Bytes that end an unquoted value in free text.
fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(b, b'&' | b';' | b',' | b'#' | b'"' | b'\'' | b'\\' | b')' | b'}' | b']' | b'>' | b'<')
}

/// Authorization schemes whose credentials follow them after a space.
const SCHEMES: &[&str] = &["bearer", "basic", "digest", "negotiate", "ntlm"];

/// Whether a word names an authorization scheme (`Bearer`, `Basic`, ...).
pub(crate) fn is_scheme(word: &str) -> bool {
    SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(word))
}

/// Credentials in free text, as ranges of `text`: values after a credential name and `=` or
/// `:` (query strings, form bodies, cookies, log lines, broken JSON), credentials after an
/// authorization scheme and white space, and passwords in URLs (scheme-relative ones too).
pub(crate) fn credentials(text: &str, out: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    for at in memchr::memchr3_iter(b'=', b':', b' ', bytes) {
        let found = match bytes[at] {
            b':' if bytes[at + 1..].starts_with(b"//") => url_password(bytes, at + 3),
            b':' => relative_url_password(bytes, at).or_else(|| named_value(bytes, at)),
            b' ' => scheme_credentials(bytes, at),
            _ => named_value(bytes, at),
        };
        out.extend(found);
    }
    out.extend(memchr::memchr3_iter(b'\t', b'\n', b'\r', bytes).filter_map(|at| scheme_credentials(bytes, at)));
}

/// The credentials after an authorization scheme that ends just before the white space at `at`.
fn scheme_credentials(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    // Every scheme ends in one of these letters: most spaces are passed over at once.
    let scheme_end = at > 0 && matches!(bytes[at - 1] | 0x20, b'r' | b'c' | b't' | b'e' | b'm');
    if scheme_end { after_scheme(bytes, at) } else { None }
}

/// The value after a credential name and the `=` or `:` at `at`.
fn named_value(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    let mut end = at;
    while end > 0 && matches!(bytes[end - 1], b' ' | b'"' | b'\'' | b'\\') {
        end -= 1;
    }
    // The last word, or the last two or three (`Api Key`, `my session token`): each is tried,
    // so that the words before a name never hide it.
    let mut start = end;
    let mut words = Vec::with_capacity(3);
    while start > 0 && end - start < 64 {
        let b = bytes[start - 1];
        if b == b' ' && words.len() < 2 && start > 1 && name_byte(bytes[start - 2]) {
            words.push(start);
        } else if !name_byte(b) {
            break;
        }
        start -= 1;
    }
    words.push(start);
    let named = |from: usize| {
        let name = std::str::from_utf8(&bytes[from..end]).unwrap_or_default();
        // Short names (`key`, `code`) count only as parameters: in a query or a form body.
        let in_query = match from.checked_sub(1) {
            None => bytes[at] == b'=',
            Some(before) => matches!(bytes[before], b'?' | b'&' | b';' | b'#'),
        };
        !name.is_empty() && (is_secret_name(name) || in_query && is_secret_parameter(name))
    };
    if !words.into_iter().any(named) {
        return None;
    }
    let mut from = at + 1;
    while bytes.get(from) == Some(&b' ') {
        from += 1;
    }
    let mut quote = None;
    while let Some(&b) = bytes.get(from).filter(|b| matches!(b, b'"' | b'\'' | b'\\')) {
        if b != b'\\' {
            quote = Some(b);
        }
        from += 1;
    }
    // `Authorization: Bearer ...`: the value is a scheme and its credentials, which the scheme
    // rule takes.
    let word = &bytes[from..from + bytes[from..].iter().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(0)];
    let scheme = std::str::from_utf8(word).is_ok_and(is_scheme);
    if quote.is_none() && scheme && bytes.get(from + word.len()).is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let to = match quote {
        Some(q) => from + bytes[from..].iter().position(|&b| b == q || b == b'\\').unwrap_or(bytes.len() - from),
        None => from + bytes[from..].iter().position(|&b| ends_value(b)).unwrap_or(bytes.len() - from),
    };
    (to > from).then_some(from..to)
}

/// The credentials after an authorization scheme that ends just before the space at `at`.
fn after_scheme(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    let start = bytes[..at].iter().rposition(|b| !b.is_ascii_alphanumeric()).map_or(0, |p| p + 1);
    let scheme = std::str::from_utf8(&bytes[start..at]).ok()?;
    if !is_scheme(scheme) {
        return None;
    }
    let from = at + bytes[at..].iter().position(|b| !b.is_ascii_whitespace())?;
    let token = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
    let mut to = from + bytes[from..].iter().position(|b| !token(b)).unwrap_or(bytes.len() - from);
    while bytes.get(to) == Some(&b'=') {
        to += 1;
    }
    // `Digest realm="..."` names parameters, not credentials.
    let parameter = bytes.get(to) == Some(&b'"') && bytes[to - 1] == b'=';
    (to > from && !parameter).then_some(from..to)
}

/// The password of a scheme-relative URL (`//user:password@host/`) whose user ends just before
/// the `:` at `at`; a URL with a scheme is left to the rule for `://`.
fn relative_url_password(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    /// The longest user name looked back over.
    const MAX_USER: usize = 256;
    let user = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'%' | b'+' | b'!' | b'$');
    let floor = at.saturating_sub(MAX_USER);
    let start = bytes[floor..at].iter().rposition(|b| !user(b)).map_or(floor, |p| floor + p + 1);
    let slashes = start >= 2 && &bytes[start - 2..start] == b"//" && (start < 3 || bytes[start - 3] != b':');
    if slashes { url_password(bytes, start) } else { None }
}

/// The password in a URL's `user:password@` part, the authority starting at `from`.
fn url_password(bytes: &[u8], from: usize) -> Option<Range<usize>> {
    let length = bytes[from..]
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#' | b'"' | b'\\') || b.is_ascii_whitespace())
        .unwrap_or(bytes.len() - from);
    let authority = &bytes[from..from + length];
    let at = authority.iter().rposition(|&b| b == b'@')?;
    let colon = authority[..at].iter().position(|&b| b == b':')?;
    (at > colon + 1).then_some(from + colon + 1..from + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut ranges = Vec::new();
        credentials(text, &mut ranges);
        ranges.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn credentials_in_free_text() {
        assert_eq!(found("wss://h/z?version=2&access_token=abc;api-key=k1#id_token=t2&x=1"), ["abc", "k1", "t2"]);
        assert_eq!(found("https://h/cb?code=c0de&state=s"), ["c0de"]);
        assert_eq!(found("user=u&password=p%20w&key=k"), ["p%20w", "k"]);
        assert_eq!(found(r#"login failed: Password: "hunter 2" for Api Key = xyz"#), ["hunter 2", "xyz"]);
        assert_eq!(found(r#"{\"Password\":\"hunter2\",\"Code\":\"BHP\"}"#), ["hunter2"]);
        assert_eq!(found("Authorization: Bearer eyJ0.eyJ9.sig== and Basic dTpw"), ["eyJ0.eyJ9.sig==", "dTpw"]);
        assert_eq!(found(r#"Digest realm="x", nonce="y""#), Vec::<&str>::new());
        assert_eq!(found("ftp://user:pa55@host:21/x and http://host:80/"), ["pa55"]);
        assert_eq!(found("Code: BHP, Key: 7, time 12:30, see https://x/"), Vec::<&str>::new());
        assert_eq!(found("?access_token=abc#x\u{7}\0Bearer xyz"), ["abc", "xyz"]);
        assert_eq!(found("/z?pass%77ord=hunter2&api%5Fkey=k9&api+key=k8"), ["hunter2", "k9", "k8"]);
        assert_eq!(found("PIN: 4321, OTP=998877, Ping: 20ms, Shipping: free"), ["4321", "998877"]);
        assert_eq!(found("Bearer\ttok1, bearer\n tok2, Authorization:\tBasic\r\ndTpw"), ["tok1", "tok2", "dTpw"]);
        assert_eq!(found("see //u:pw1@h/x and \"//user:pw2@h\" not // note: x@y"), ["pw1", "pw2"]);
        assert_eq!(found("https://u:pw3@h //u@h //h:80/x"), ["pw3"]);
    }

    #[test]
    fn pieces_map_back_to_the_input() {
        let raw = r#"ab\u0041 cd ef\"gh"#;
        let text = Text::decode(raw, &|i| 10 + i);
        assert_eq!(text.text, r#"abA cd ef"gh"#);
        let first = text.piece(0, 5, usize::MAX);
        assert_eq!(first.text, "abA ");
        assert_eq!(first.input_range(2..3), 12..18);
        let second = text.piece(4, 100, usize::MAX);
        assert_eq!(second.text, r#"cd ef"gh"#);
        assert_eq!(second.input_range(5..6), 24..26);
        assert_eq!(text.piece(4, 1, usize::MAX).text, "cd ");
        let long = Text::verbatim("abcdefg%3Dh%3Di", 0);
        assert_eq!(long.piece(0, 2, 10).text, "abcdefg%3D");
        assert_eq!(long.piece(0, 2, 9).text, "abcdefg", "never inside an encoded byte");
        assert_eq!(long.piece(0, 2, 8).text, "abcdefg");
    }

    #[test]
    fn percent_decoded_text_maps_back_to_the_input() {
        let raw = "a%3Db%25%3d%C3%A9%zz%";
        let text = Text::verbatim(raw, 10).percent_decoded();
        assert_eq!(text.text, "a=b%=%C3%A9%zz%", "only ASCII is decoded, so the text stays UTF-8");
        assert_eq!(text.input_range(1..2), 11..14);
        assert_eq!(text.input_range(2..5), 14..21);
        assert_eq!(text.input_offset(text.text.len()), 10 + raw.len());
        let url = Text::verbatim("x?token%3Dt0k%26s%3D1", 0).percent_decoded();
        let mut found = Vec::new();
        credentials(&url.text, &mut found);
        assert_eq!(found.len(), 1);
        assert_eq!(url.input_range(found[0].clone()), 10..13);
    }

    #[test]
    fn text_decoded_twice_maps_back_through_both() {
        // `\"` and `\\` are decoded in the first pass, the `%3D`s in the second: what lies
        // past the first's escapes must still map back to the input.
        let raw = r#"\\%3D \"a\" token%3Dt0k"#;
        let once = Text::decode(raw, &|i| 5 + i);
        assert_eq!(once.text, r#"\%3D "a" token%3Dt0k"#);
        let twice = once.percent_decoded();
        assert_eq!(twice.text, r#"\= "a" token=t0k"#);
        let at = twice.text.find("t0k").unwrap();
        assert_eq!(twice.input_range(at..at + 3), 5 + raw.find("t0k").unwrap()..5 + raw.len());
        let quote = twice.text.find('a').unwrap() - 1;
        assert_eq!(twice.input_range(quote..quote + 1), 5 + 6..5 + 8);
    }

    #[test]
    fn decoded_text_maps_back_to_the_input() {
        let raw = r#"a\"b\u00e9c\ud83d\ude00d\\"#;
        let text = Text::decode(raw, &|i| 100 + i);
        assert_eq!(text.text, "a\"b\u{e9}c\u{1f600}d\\");
        let at = |s: &str| text.text.find(s).unwrap();
        assert_eq!(text.input_offset(0), 100);
        assert_eq!(text.input_offset(at("\"")), 101);
        assert_eq!(text.input_offset(at("b")), 103);
        assert_eq!(text.input_offset(at("c")), 110);
        assert_eq!(text.input_offset(at("d")), 123);
        assert_eq!(text.input_offset(text.text.len()), 100 + raw.len());
        assert_eq!(text.input_range(at("b")..at("c")), 103..110);
    }
}
