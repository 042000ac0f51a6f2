//! The free-text rules as a scan applies them: to strings that hold no JSON, to lines that are
//! not JSON, and to keys, in the text as written and, where it holds escapes, decoded.

use crate::text::{self, Text};
use crate::walk::{Edit, Mode, Scan};

/// Levels of escapes decoded in free text, at most.
const MAX_UNESCAPING: usize = 2;
/// Free text is decoded in pieces of about this many bytes (cut after white space, where no
/// escape or credential continues), so decoding a long text holds only a piece twice.
const UNESCAPED_PIECE: usize = 1 << 16;

/// Credentials in free text, and copies of known ones: in the text as it is and, when it holds
/// escapes (JSON written into text that is not JSON: `pass\u0077ord`, `https:\/\/`), in what
/// they spell, decoded once or twice.
pub(crate) fn text(text: &Text<'_>, scan: &mut Scan<'_>) {
    rules(text, scan, true);
    if memchr::memchr(b'\\', text.text.as_bytes()).is_none() {
        return;
    }
    let mut start = 0;
    while start < text.text.len() {
        let mut decoded = text.piece(start, UNESCAPED_PIECE);
        start += decoded.text.len();
        for _ in 0..MAX_UNESCAPING {
            if memchr::memchr(b'\\', decoded.text.as_bytes()).is_none() {
                break;
            }
            let next = Text::decode(&decoded.text, &|i| decoded.input_offset(i)).into_owned();
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
