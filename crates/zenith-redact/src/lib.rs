//! Makes captures safe to share by replacing every credential, and nothing else: the exact
//! bytes of each secret value are replaced in place, and every other byte of the file is
//! written out as it was read.
//!
//! What counts as a credential, in any JSON value of the capture (HAR or JSON Lines, of any
//! shape, at any depth, and in JSON embedded in strings):
//! - the value of a property named like one ([`is_secret_name`]: the schemas' secret
//!   properties, their near misses, names with a credential word such as `password`, `token`
//!   or `api-key`, and names with a PIN or one-time code word such as `Pin`, `OTP` or
//!   `TwoFactorCode`), whatever its type: a string's content becomes `<redacted>`, a number
//!   `0`, an object `{}` and an array `[]`;
//! - the `value` of a `{name, value}` pair named like one (HTTP headers, cookies, query and
//!   form parameters); every cookie's value; for `Authorization` headers the credentials after
//!   the scheme; in `Sec-WebSocket-Protocol` headers, the subprotocols that name no encoding;
//! - in any other string, and in property names: values after a credential name (percent-encoded
//!   or not) and `=` or `:` (URLs, fragments, form bodies, log lines), credentials after an
//!   authorization scheme, passwords in URLs; text with JSON escapes is also read decoded;
//! - copies of any credential found, in any string value (never in keys, numbers or
//!   structure): as written, or JSON-escaped once or twice.
//!
//! What other commands show of a capture passes the same rules, through [`Screen`].
//!
//! A capture is read twice (first to learn every credential, then to replace them and their
//! copies wherever they sit), so the input must be seekable; memory holds one JSON Lines line,
//! or for HAR the input from the earliest value still to be settled, at most
//! [`Options::max_bytes`] (a value longer is refused), plus the credentials learnt.

mod free;
mod har;
mod scan;
mod screen;
mod secrets;
mod stream;
mod text;
mod walk;

use std::io::{BufReader, Read, Seek, SeekFrom, Write};

use zenith_capture::Format;

pub use screen::Screen;
pub use secrets::{MAX_SECRET_BYTES, Secrets, WHOLE_WORD_BELOW};
pub use zenith_protocol::runtime::{is_secret_name, is_secret_parameter};

/// The text that replaces a secret string.
pub const PLACEHOLDER: &str = zenith_protocol::runtime::REDACTED;

/// Something in the capture that could not be redacted with certainty, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unredacted {
    /// The 1-based line of the input.
    pub line: u64,
    /// The 1-based byte column, for HAR documents (often written on one line).
    pub column: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for Unredacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// What a redaction did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Spans of the input replaced.
    pub replaced: u64,
    /// What could not be redacted with certainty (written anyway only with `force`).
    pub unredacted: Vec<Unredacted>,
    /// Credentials whose copies were not looked for, because too many distinct ones were met.
    pub untracked: u64,
}

/// Settings of a redaction.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Write even when something cannot be redacted with certainty.
    pub force: bool,
    /// The longest JSON Lines line, or the most of a HAR document held at once: a HAR value
    /// longer is refused, forced or not.
    pub max_bytes: usize,
    /// Distinct credentials remembered to find their copies; a capture with more is refused
    /// unless `force`. Finding copies takes about 900 bytes per credential.
    pub max_credentials: usize,
    /// Threads that redact JSON Lines.
    pub jobs: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { force: false, max_bytes: 64 << 20, max_credentials: DEFAULT_MAX_CREDENTIALS, jobs: 1 }
    }
}

/// Distinct credentials remembered by default.
pub const DEFAULT_MAX_CREDENTIALS: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("reading or writing failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the HAR document is malformed at line {line}, column {column}: {reason}; nothing was written")]
    MalformedHar { line: u64, column: u64, reason: String },
    #[error(
        "the HAR document has a value at line {line}, column {column} longer than the limit of {limit} bytes; nothing was written. Raise --max-line-bytes to redact it"
    )]
    TooLong { line: u64, column: u64, limit: usize },
    #[error("{} part(s) of the capture cannot be redacted with certainty (first: {}); nothing was written. Use --force to write it anyway, with those parts as found", .0.len(), .0[0])]
    Unreadable(Vec<Unredacted>),
    #[error(
        "the capture holds more than {limit} distinct credentials (or {MAX_SECRET_BYTES} bytes of them), too many to find all their copies; nothing was written. Raise --max-credentials, or use --force to write it with every credential replaced but the copies of {left} or more of them left"
    )]
    TooManySecrets { limit: usize, left: u64 },
    #[error("a redacting thread stopped")]
    Worker,
    #[error(
        "a packet capture cannot be redacted in place: a secret inside a masked or compressed websocket frame cannot be replaced without rewriting the frames, their lengths and the TCP stream; nothing was written. Export the messages to JSON Lines first (`zenith export CAPTURE -o CAPTURE.jsonl`), then redact that file"
    )]
    PacketCapture,
}

/// Redacts a capture of `format` from `input` to `output`. Without `force`, a capture with
/// anything that cannot be redacted with certainty is refused before anything is written.
pub fn redact(
    format: Format,
    mut input: impl Read + Seek,
    output: &mut impl Write,
    options: Options,
) -> Result<Outcome, RedactError> {
    if format == Format::Pcap {
        return Err(RedactError::PacketCapture);
    }
    let size = input.seek(SeekFrom::End(0))?;
    input.seek(SeekFrom::Start(0))?;
    let mut held = Vec::new();
    let mut secrets = Secrets::with_limit(options.max_credentials);
    let mut marks = stream::Marks::default();
    let job = stream::Job::Learn(&mut secrets, &mut marks);
    let learnt = pass(format, &mut input, &mut std::io::sink(), job, options, size, &mut held)?;
    if !options.force {
        if !learnt.unredacted.is_empty() {
            return Err(RedactError::Unreadable(learnt.unredacted));
        }
        if secrets.overflow() > 0 {
            return Err(RedactError::TooManySecrets { limit: options.max_credentials, left: secrets.overflow() });
        }
    }
    secrets.prepare();
    input.seek(SeekFrom::Start(0))?;
    let done = pass(format, &mut input, output, stream::Job::Replace(&secrets, &marks), options, size, &mut held)?;
    Ok(Outcome { replaced: done.replaced, unredacted: done.unredacted, untracked: secrets.overflow() })
}

/// One pass over the input, of `size` bytes; `held` is the HAR reader's buffer, kept from the
/// first pass to the second.
fn pass(
    format: Format,
    input: &mut impl Read,
    output: &mut impl Write,
    job: stream::Job<'_>,
    options: Options,
    size: u64,
    held: &mut Vec<u8>,
) -> Result<stream::Pass, RedactError> {
    let reader = BufReader::with_capacity(1 << 16, input);
    match format {
        Format::Har => har::har(reader, output, job, options, size, held),
        Format::Jsonl => stream::jsonl(reader, output, job, options.max_bytes, options.jobs),
        Format::Pcap => Err(RedactError::PacketCapture),
    }
}

/// A copy of `text` (a message, a value written as JSON, or free text) with every credential
/// replaced by the same rules as [`redact`], copies of `known` credentials included (as of its
/// last [`Secrets::prepare`]): what `zenith check` shows of a capture.
pub fn scrub(text: &str, known: &Secrets) -> String {
    replaced(text, known, |text, scan| {
        let _ = walk::document(text, scan);
    })
}

/// A copy of free text (a key, a connection name) with its credentials replaced by the rules
/// of [`redact`] for free text, copies of `known` credentials included; JSON in it is not
/// looked into.
pub fn scrub_free_text(text: &str, known: &Secrets) -> String {
    replaced(text, known, |text, scan| {
        walk::content(text, walk::MAX_EMBEDDING, scan);
    })
}

fn replaced(text: &str, known: &Secrets, rules: impl FnOnce(&text::Text<'_>, &mut scan::Scan<'_>)) -> String {
    let mut scan = scan::Scan::new(scan::Mode::Replace(known));
    scan.shown = true;
    rules(&text::Text::verbatim(text, 0), &mut scan);
    if scan.edits.is_empty() {
        return text.to_owned();
    }
    let mut out = Vec::with_capacity(text.len());
    walk::apply(text.as_bytes(), 0, &mut scan.edits, &mut out);
    String::from_utf8(out).unwrap_or_else(|_| PLACEHOLDER.to_owned())
}

/// The credentials in `text` (a message, or free text), by the rules of [`redact`].
pub fn credentials(text: &str) -> Vec<Box<str>> {
    let mut found = Secrets::with_limit(usize::MAX);
    let mut scan = scan::Scan::new(scan::Mode::Learn(&mut found));
    let _ = walk::document(&text::Text::verbatim(text, 0), &mut scan);
    drop(scan);
    found.into_values()
}
