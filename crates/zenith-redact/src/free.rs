//! The free-text rules as a scan applies them: to strings that hold no JSON, to lines that are
//! not JSON, and to keys, in the text as written and, where it holds escapes, decoded.

use crate::scan::{Edit, Mode, Scan};
use crate::text::{self, Text};

/// Levels of escapes (or of percent-encoding) decoded in free text, at most.
const MAX_UNESCAPING: usize = 2;
/// Free text is decoded in pieces of about this many bytes (cut after white space, where no
/// escape or credential continues), so decoding a long text holds only a piece twice.
const UNESCAPED_PIECE: usize = 1 << 16;
/// A percent-encoded word longer than this is decoded in pieces of this size: it could be
/// nothing but escapes, each of which costs 32 bytes to map back.
const LONGEST_PERCENT_PIECE: usize = 4 * UNESCAPED_PIECE;

/// Credentials in free text, and copies of known ones: in the text as it is and, decoded once
/// or twice, in what it spells when it holds escapes (JSON written into text that is not JSON:
/// `pass\u0077ord`, `https:\/\/`) or percent-encoded `=`, `:` or `%` (a URL inside a URL:
/// `?next=https%3A%2F%2Fh%2Fcb%3Faccess_token%3D...`, `pass%2577ord=`).
pub(crate) fn text(text: &Text<'_>, scan: &mut Scan<'_>) {
    rules(text, scan, true);
    let escaped = |text: &str| memchr::memchr(b'\\', text.as_bytes()).is_some();
    decoded(text, scan, escaped, Text::unescaped, usize::MAX);
    decoded(text, scan, percent_encoded, Text::percent_decoded, LONGEST_PERCENT_PIECE);
}

/// Whether text holds a percent-encoded `=`, `:` or `%`, which may hide a name and its value.
pub(crate) fn percent_encoded(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'%', bytes)
        .any(|at| matches!(bytes.get(at + 1..at + 3), Some([b'3', b'D' | b'd' | b'A' | b'a'] | [b'2', b'5'])))
}

/// The free-text rules on `text` decoded by `decode`, once or twice while it still `holds`
/// what `decode` reads, in pieces (of `at_most` bytes at most), each mapped back to the input.
fn decoded(
    text: &Text<'_>,
    scan: &mut Scan<'_>,
    holds: fn(&str) -> bool,
    decode: fn(&Text<'static>) -> Text<'static>,
    at_most: usize,
) {
    if !holds(&text.text) {
        return;
    }
    let mut start = 0;
    while start < text.text.len() {
        let mut decoded = text.piece(start, UNESCAPED_PIECE, at_most);
        start += decoded.text.len();
        for _ in 0..MAX_UNESCAPING {
            if !holds(&decoded.text) {
                break;
            }
            let next = decode(&decoded);
            if next.text == decoded.text {
                break;
            }
            rules(&next, scan, true);
            decoded = next;
        }
    }
}

/// The rules for a key: credentials in it as in free text (`password=...`, `Bearer ...`), and
/// in text that is only shown, copies of known credentials (a capture keeps its keys).
pub(crate) fn key(name: &Text<'_>, scan: &mut Scan<'_>) {
    let copies = scan.shown;
    rules(name, scan, copies);
}

/// The free-text rules on `text`: its credentials, and in replace mode, copies of known ones
/// when `copies`.
fn rules(text: &Text<'_>, scan: &mut Scan<'_>, copies: bool) {
    let mut found = Vec::new();
    text::credentials(&text.text, &mut found);
    for range in found.drain(..) {
        scan.secret(text, range);
    }
    if let Mode::Replace(secrets) = &scan.mode
        && copies
    {
        secrets.copies(&text.text, &mut found);
        for range in found.into_iter().filter(|range| !range.is_empty()) {
            scan.edits.push(Edit { span: text.input_range(range), with: crate::PLACEHOLDER });
        }
    }
}
