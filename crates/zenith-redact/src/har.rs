//! A HAR document (or any one JSON document), streamed. Its structure is walked token by token
//! on the reading thread; each object that stands alone in it (an item of a plain array, such
//! as a websocket message or a small entry, up to [`ITEM_BYTES`]) is cut out whole and
//! redacted like a JSON Lines line, in blocks on the lanes. Memory holds the input from the
//! earliest offset a later token may still edit (at most the limit: a value longer is refused),
//! and the blocks in flight.

use std::io::{BufRead, Read, Write};

use jiter::{Jiter, JiterError, JiterErrorType, JsonErrorType, Peek};

use crate::scan::{Edit, Mode, Scan};
use crate::stream::{BLOCK_BYTES, Block, Item, Job, Lanes, Marks, Out, Pass, Pieces};
use crate::text::Text;
use crate::walk::{self, Token, Walker};
use crate::{Options, RedactError, Unredacted};

/// Objects that stand alone are redacted whole up to this size, and token by token beyond.
const ITEM_BYTES: usize = 1 << 20;
/// Bytes asked of the input at a time, at least.
const READ_BYTES: usize = 1 << 16;
/// A value still incomplete when this much of it is held is long: room for the rest of it is
/// set aside at once.
const LONG_BYTES: usize = 1 << 20;

/// Redacts (or, while learning, reads) one JSON document of `size` bytes. `buffer` holds the
/// input read, and is kept from one pass to the next: room for a long value is made once.
pub fn har(
    input: impl BufRead,
    output: &mut impl Write,
    job: Job<'_>,
    options: Options,
    size: u64,
    buffer: &mut Vec<u8>,
) -> Result<Pass, RedactError> {
    let mut pass = Pass::default();
    let (mode, new_marks, replace, marks, limit) = match job {
        Job::Learn(secrets, marks) => {
            let limit = secrets.limit();
            (Mode::Learn(secrets), Some(marks), None, None, limit)
        }
        Job::Replace(secrets, marks) => (Mode::Replace(secrets), None, Some(secrets), Some(marks), 0),
    };
    let mut scan = Scan::new(mode);
    let mut out = Out { output, pass: &mut pass, marks: new_marks };
    let learnt = std::thread::scope(|scope| -> Result<_, RedactError> {
        let mut lanes = Lanes::start(scope, options.jobs, replace, limit)?;
        let mut reader = Reader {
            input,
            held: Held { bytes: std::mem::take(buffer), ..Held::default() },
            eof: false,
            size: usize::try_from(size).unwrap_or(usize::MAX),
            max_held_bytes: options.max_bytes,
            writing: replace.is_some(),
            outer: Vec::new(),
            items: None,
            item_count: 0,
            marks,
        };
        reader.held.bytes.clear();
        reader.run(&mut scan, &mut lanes, &mut out)?;
        *buffer = std::mem::take(&mut reader.held.bytes);
        lanes.finish(&mut out)
    })?;
    if let Mode::Learn(secrets) = &mut scan.mode {
        for own in &learnt {
            secrets.absorb(own);
        }
    }
    pass.unredacted.sort_by_key(|u| (u.line, u.column));
    output.flush()?;
    Ok(pass)
}

/// What the next token of the structure is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value: the document, a member's, or an array item.
    Value,
    /// What follows a value: another key or item, or the end of its container.
    Next,
}

/// One step of the structure, at offsets into the window it was parsed from.
enum Parsed<'w> {
    /// `{` or `[`; for an object, its first key (as written); `end` when it closes at once.
    Open {
        object: bool,
        start: usize,
        key: Option<&'w [u8]>,
        end: Option<usize>,
    },
    Key(&'w [u8]),
    Str {
        start: usize,
        end: usize,
    },
    Scalar {
        start: usize,
        end: usize,
    },
    Close {
        end: usize,
    },
    /// The `,` before another item of an array.
    Comma,
    /// An object that stands alone, whole.
    Item {
        start: usize,
        end: usize,
    },
    /// The document's value is complete.
    Done,
}

/// Parses one step from `window`; an object at most `item_bytes` long (0 where no item stands
/// alone) is taken whole. Returns the step and the bytes it took.
fn parse(
    window: &[u8],
    expect: Expect,
    top: Option<bool>,
    item_bytes: usize,
    eof: bool,
) -> Result<(Parsed<'_>, usize), JiterError> {
    let mut parser = Jiter::new(window);
    let parsed = match (expect, top) {
        (Expect::Value, _) => {
            let mut peek = parser.peek()?;
            let start = parser.current_index();
            if item_bytes > 0 && peek == Peek::Object {
                match parser.known_skip(peek) {
                    Ok(()) if parser.current_index() - start <= item_bytes => {
                        let end = parser.current_index();
                        return Ok((Parsed::Item { start, end }, end));
                    }
                    Err(error) if !eof && incomplete(&error, window.len()) && window.len() - start <= item_bytes => {
                        return Err(error);
                    }
                    // Too long to hold, or not well-formed: walked token by token, which finds
                    // any error at its place.
                    _ => {
                        parser = Jiter::new(window);
                        peek = parser.peek()?;
                    }
                }
            }
            match peek {
                Peek::Object => match parser.next_object_bytes()? {
                    Some(key) => Parsed::Open { object: true, start, key: Some(within(window, key)), end: None },
                    None => Parsed::Open { object: true, start, key: None, end: Some(parser.current_index()) },
                },
                Peek::Array => match parser.known_array()? {
                    Some(_) => Parsed::Open { object: false, start, key: None, end: None },
                    None => Parsed::Open { object: false, start, key: None, end: Some(parser.current_index()) },
                },
                Peek::String => {
                    parser.known_bytes()?;
                    Parsed::Str { start, end: parser.current_index() }
                }
                Peek::Null => {
                    parser.known_null()?;
                    Parsed::Scalar { start, end: parser.current_index() }
                }
                Peek::True | Peek::False => {
                    parser.known_bool(peek)?;
                    Parsed::Scalar { start, end: parser.current_index() }
                }
                _ => {
                    parser.known_number_bytes(peek)?;
                    let end = parser.current_index();
                    // A number is ended by what follows it, which the window may not hold yet.
                    if end == window.len() && !eof {
                        let error_type = JiterErrorType::JsonError(JsonErrorType::EofWhileParsingValue);
                        return Err(JiterError { error_type, index: end });
                    }
                    Parsed::Scalar { start, end }
                }
            }
        }
        (Expect::Next, Some(true)) => match parser.next_key_bytes()? {
            Some(key) => Parsed::Key(within(window, key)),
            None => Parsed::Close { end: parser.current_index() },
        },
        (Expect::Next, Some(false)) => match parser.array_step()? {
            Some(_) => Parsed::Comma,
            None => Parsed::Close { end: parser.current_index() },
        },
        (Expect::Next, None) => Parsed::Done,
    };
    Ok((parsed, parser.current_index()))
}

/// A key's name, decoded, from its raw bytes in the window (between its quotes); `at` maps an
/// offset in the window to the input.
fn key_text<'w>(window: &'w [u8], raw: &[u8], at: &dyn Fn(usize) -> usize) -> Result<Text<'w>, std::str::Utf8Error> {
    let raw = within(window, raw);
    let start = (raw.as_ptr() as usize) - (window.as_ptr() as usize);
    std::str::from_utf8(raw).map(|raw| Text::decode(raw, &|i| at(start + i)))
}

/// `part`, a slice the parser returned from `window`, with the window's lifetime.
fn within<'w>(window: &'w [u8], part: &[u8]) -> &'w [u8] {
    let start = (part.as_ptr() as usize).saturating_sub(window.as_ptr() as usize).min(window.len());
    &window[start..(start + part.len()).min(window.len())]
}

/// Whether the error is only that the window ends: more input may complete the step.
fn incomplete(error: &JiterError, window_length: usize) -> bool {
    error.index >= window_length
        || matches!(
            error.error_type,
            JiterErrorType::JsonError(
                JsonErrorType::EofWhileParsingList
                    | JsonErrorType::EofWhileParsingObject
                    | JsonErrorType::EofWhileParsingString
                    | JsonErrorType::EofWhileParsingValue
            )
        )
}

/// The reading thread of one pass.
struct Reader<'m, R> {
    input: R,
    held: Held,
    eof: bool,
    /// The length of the input.
    size: usize,
    max_held_bytes: usize,
    /// The second pass writes; the first only learns.
    writing: bool,
    /// Output of the structure, not yet handed on.
    outer: Vec<u8>,
    /// Items gathered into a block, not yet handed on.
    items: Option<(Block, Vec<Item>)>,
    item_count: u64,
    /// For the second pass: what the first found in each item.
    marks: Option<&'m Marks>,
}

impl<R: BufRead> Reader<'_, R> {
    fn run(&mut self, scan: &mut Scan<'_>, lanes: &mut Lanes<'_>, out: &mut Out<'_>) -> Result<(), RedactError> {
        // A byte-order mark is kept, and not parsed.
        if self.input.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
            self.held.bytes.extend_from_slice(b"\xEF\xBB\xBF");
            self.input.consume(3);
            self.held.parsed = 3;
        }
        let mut walker = Walker::default();
        let mut open: Vec<bool> = Vec::new();
        let mut expect = Expect::Value;
        loop {
            let base = self.held.parsed;
            let window = &self.held.bytes[base - self.held.base..];
            let item_here = expect == Expect::Value && open.last() == Some(&false) && walker.stands_alone();
            // An item is cut out whole only well within the limit: a longer one is walked.
            let item_bytes = if item_here { ITEM_BYTES.min(self.max_held_bytes / 2) } else { 0 };
            let (parsed, consumed) = match parse(window, expect, open.last().copied(), item_bytes, self.eof) {
                Ok(parsed) => parsed,
                Err(error) if incomplete(&error, window.len()) => {
                    if self.eof {
                        return Err(self.malformed(base + error.index, "the document ends too early".to_owned()));
                    }
                    self.more()?;
                    continue;
                }
                Err(error) => return Err(self.malformed(base + error.index, error.error_type.to_string())),
            };
            let at = |offset: usize| base + offset;
            scan.doubts.clear();
            let mut item = None;
            let mut between_items = false;
            let mut bad_text = None;
            match parsed {
                Parsed::Item { start, end } => {
                    item = Some(at(start)..at(end));
                    expect = Expect::Next;
                }
                Parsed::Open { object, start, key: first, end } => {
                    walker.token(Token::Open { at: at(start), object }, scan);
                    expect = Expect::Value;
                    match (first, end) {
                        (_, Some(end)) => {
                            walker.token(Token::Close { end: at(end) }, scan);
                            expect = Expect::Next;
                        }
                        (Some(raw), None) => {
                            open.push(true);
                            match key_text(window, raw, &at) {
                                Ok(name) => walker.token(Token::Key(name), scan),
                                Err(_) => bad_text = Some(at(start)),
                            }
                        }
                        (None, None) => open.push(false),
                    }
                }
                Parsed::Key(raw) => {
                    match key_text(window, raw, &at) {
                        Ok(name) => walker.token(Token::Key(name), scan),
                        Err(_) => bad_text = Some(base),
                    }
                    expect = Expect::Value;
                }
                Parsed::Str { start, end } => {
                    match std::str::from_utf8(&window[start + 1..end - 1]) {
                        Ok(raw) => {
                            let text = Text::decode(raw, &|i| at(start + 1 + i));
                            walker.token(Token::Str { start: at(start), end: at(end), text }, scan);
                        }
                        Err(_) => bad_text = Some(at(start)),
                    }
                    expect = Expect::Next;
                }
                Parsed::Scalar { start, end } => {
                    let raw = std::str::from_utf8(&window[start..end]).unwrap_or("null");
                    walker.token(Token::Scalar { start: at(start), end: at(end), raw }, scan);
                    expect = Expect::Next;
                }
                Parsed::Close { end } => {
                    open.pop();
                    walker.token(Token::Close { end: at(end) }, scan);
                    expect = Expect::Next;
                }
                Parsed::Comma => {
                    between_items = true;
                    expect = Expect::Value;
                }
                Parsed::Done => break,
            }
            if let Some(offset) = bad_text {
                return Err(self.malformed(offset, "a string is not valid UTF-8".to_owned()));
            }
            self.held.parsed = base + consumed;
            if open.len().max(walker.depth()) > walk::MAX_DEPTH {
                return Err(self.malformed(base, format!("nested deeper than {} levels", walk::MAX_DEPTH)));
            }
            if !scan.doubts.is_empty() {
                self.held.count_lines(base);
                let (line, column) = (self.held.line, Some(self.held.column(base)));
                for reason in scan.doubts.drain(..) {
                    out.pass.unredacted.push(Unredacted { line, column, reason });
                }
            }
            match item {
                Some(span) => self.gather(span, &mut scan.edits, lanes, out)?,
                // What lies between two items waits to join their block.
                None if between_items && self.items.is_some() => {}
                None => {
                    let upto = walker.hold().map_or(self.held.parsed, |hold| hold.min(self.held.parsed));
                    self.flush(upto, &mut scan.edits, lanes, out)?;
                }
            }
        }
        // Only whitespace may follow the document; it is kept.
        loop {
            let unparsed = &self.held.bytes[self.held.parsed - self.held.base..];
            if let Some(at) = unparsed.iter().position(|b| !b" \t\r\n".contains(b)) {
                let offset = self.held.parsed + at;
                return Err(self.malformed(offset, "text follows the end of the document".to_owned()));
            }
            self.held.parsed += unparsed.len();
            if self.eof {
                break;
            }
            self.more()?;
        }
        self.flush(self.held.parsed, &mut scan.edits, lanes, out)?;
        self.send_items(lanes, out)?;
        self.send_outer(lanes, out)
    }

    /// Reads more input, twice what is unparsed or at least [`READ_BYTES`], so that a long
    /// value is read in time linear in its length; but never more than `max_held_bytes` of
    /// input not yet written out.
    fn more(&mut self) -> Result<(), RedactError> {
        let unwritten = self.held.base + self.held.bytes.len() - self.held.written;
        let room = self.max_held_bytes.saturating_sub(unwritten);
        if room == 0 {
            let held = &self.held.bytes[self.held.written - self.held.base..];
            let at = self.held.written + held.iter().position(|b| !b" \t\r\n".contains(b)).unwrap_or(0);
            self.held.count_lines(at);
            let (line, column) = (self.held.line, self.held.column(at));
            return Err(RedactError::TooLong { line, column, limit: self.max_held_bytes });
        }
        let read = self.held.base + self.held.bytes.len();
        let (unparsed, rest) = (read - self.held.parsed, self.size.saturating_sub(read));
        let want = unparsed.max(READ_BYTES).min(room);
        if unparsed >= LONG_BYTES {
            // Room for all that may come of a long value (up to the limit, or the end of the
            // input) is set aside at once, so that it is never copied as it grows; only what
            // is read takes memory.
            self.held.bytes.reserve_exact(room.min(rest));
        } else {
            self.held.bytes.reserve(want.min(rest));
        }
        self.eof = self.held.fill(&mut self.input, want)?;
        Ok(())
    }

    fn malformed(&mut self, at: usize, reason: String) -> RedactError {
        let at = at.min(self.held.base + self.held.bytes.len());
        self.held.count_lines(at);
        RedactError::MalformedHar { line: self.held.line, column: self.held.column(at), reason }
    }

    /// Adds an item that stands alone (and what lies before it since the last) to the block
    /// being gathered, and hands the block on when it is full.
    fn gather(
        &mut self,
        span: std::ops::Range<usize>,
        edits: &mut Vec<Edit>,
        lanes: &mut Lanes<'_>,
        out: &mut Out<'_>,
    ) -> Result<(), RedactError> {
        if self.items.is_none() {
            self.flush(span.start, edits, lanes, out)?;
            self.send_outer(lanes, out)?;
            let block =
                Block { first: self.item_count + 1, text: Vec::new(), pieces: Pieces::Ready, marks: Vec::new() };
            self.items = Some((block, Vec::new()));
        }
        self.item_count += 1;
        self.held.count_lines(span.start);
        let (line, column) = (self.held.line, self.held.column(span.start));
        let Some((block, items)) = &mut self.items else { return Ok(()) };
        let start = block.text.len() + span.start - self.held.written;
        block.text.extend_from_slice(&self.held.bytes[self.held.written - self.held.base..span.end - self.held.base]);
        items.push(Item { span: start..block.text.len(), line, column });
        self.held.written = span.end;
        self.held.release();
        if block.text.len() >= BLOCK_BYTES {
            self.send_items(lanes, out)?;
        }
        Ok(())
    }

    fn send_items(&mut self, lanes: &mut Lanes<'_>, out: &mut Out<'_>) -> Result<(), RedactError> {
        let Some((mut block, items)) = self.items.take() else { return Ok(()) };
        if let Some(marks) = self.marks {
            block.marks = (block.first..block.first + items.len() as u64).map(|n| marks.get(n)).collect();
        }
        block.pieces = Pieces::Items(items);
        lanes.send(block, out)
    }

    fn send_outer(&mut self, lanes: &mut Lanes<'_>, out: &mut Out<'_>) -> Result<(), RedactError> {
        if self.outer.is_empty() {
            return Ok(());
        }
        let text = std::mem::take(&mut self.outer);
        lanes.send(Block { first: 0, text, pieces: Pieces::Ready, marks: Vec::new() }, out)
    }

    /// Writes the structure up to input offset `upto`, with the edits that start before it
    /// applied (after the items gathered before it), and lets go of what is written.
    fn flush(
        &mut self,
        upto: usize,
        edits: &mut Vec<Edit>,
        lanes: &mut Lanes<'_>,
        out: &mut Out<'_>,
    ) -> Result<(), RedactError> {
        if upto <= self.held.written {
            return Ok(());
        }
        self.send_items(lanes, out)?;
        edits.sort_by_key(|e| (e.span.start, std::cmp::Reverse(e.span.end)));
        let ready = edits.iter().take_while(|e| e.span.start < upto).count();
        let mut ready_edits: Vec<Edit> = edits.drain(..ready).collect();
        let last_end = ready_edits.iter().map(|e| e.span.end).max().unwrap_or(0).max(upto);
        if self.writing {
            // A long stretch (a large body) is written from where it was read, not copied,
            // after everything before it.
            let long = last_end - self.held.written >= BLOCK_BYTES;
            if long {
                self.send_outer(lanes, out)?;
                lanes.drain(out)?;
            }
            let held = &self.held;
            let slice = &held.bytes[held.written - held.base..last_end - held.base];
            out.pass.replaced += if long {
                walk::apply_into(slice, held.written, &mut ready_edits, |b| out.output.write_all(b))?
            } else {
                walk::apply(slice, held.written, &mut ready_edits, &mut self.outer)
            };
        }
        self.held.written = last_end;
        self.held.release();
        if self.outer.len() >= BLOCK_BYTES {
            self.send_outer(lanes, out)?;
        }
        Ok(())
    }
}

/// The input from the first byte not yet written out.
#[derive(Default)]
struct Held {
    bytes: Vec<u8>,
    /// The input offset of `bytes[0]`.
    base: usize,
    /// The input offset parsed up to.
    parsed: usize,
    /// The input offset written up to.
    written: usize,
    /// The line of `lines_at`, 1-based, and the input offset where it starts.
    line: u64,
    line_start: usize,
    lines_at: usize,
}

impl Held {
    /// The 1-based column of input offset `at`, on the line counted up to.
    fn column(&self, at: usize) -> u64 {
        (at.saturating_sub(self.line_start) + 1) as u64
    }

    /// Reads up to `want` more bytes; true at the end of the input. Only what is read is
    /// touched: room reserved beyond it takes no memory.
    fn fill(&mut self, input: &mut impl BufRead, want: usize) -> std::io::Result<bool> {
        let read = input.by_ref().take(want as u64).read_to_end(&mut self.bytes)?;
        Ok(read < want)
    }

    /// Counts the lines up to input offset `upto`, for locations.
    fn count_lines(&mut self, upto: usize) {
        if self.line == 0 {
            self.line = 1;
        }
        if upto > self.lines_at {
            let from = self.lines_at - self.base;
            let counted = &self.bytes[from..upto - self.base];
            self.line += memchr::memchr_iter(b'\n', counted).count() as u64;
            if let Some(last) = memchr::memrchr(b'\n', counted) {
                self.line_start = self.lines_at + last + 1;
            }
            self.lines_at = upto;
        }
    }

    /// Lets go of written input, in large steps so that little is moved.
    fn release(&mut self) {
        self.count_lines(self.written);
        let done = self.written - self.base;
        if done >= 1 << 20 || (done > 0 && done == self.bytes.len()) {
            self.bytes.drain(..done);
            self.base += done;
        }
    }
}
