//! One pass over a capture, streamed: JSON Lines line by line, a HAR document token by token.
//! Output is the input with the edits applied; memory holds one line, or for HAR the input
//! from the earliest offset a later token may still edit.

use std::io::{BufRead, Read, Write};
use std::sync::mpsc::sync_channel;

use json_event_parser::{JsonEvent, LowLevelJsonParser};

use crate::secrets::Secrets;
use crate::text::Text;
use crate::walk::{self, Edit, Mode, Scan, Token, Walker};
use crate::{RedactError, Unredacted};

/// What one pass counted.
#[derive(Debug, Default)]
pub struct Pass {
    pub replaced: u64,
    pub unredacted: Vec<Unredacted>,
}

impl Pass {
    fn doubt(&mut self, line: u64, reason: String) {
        self.unredacted.push(Unredacted { line, column: None, reason });
    }
}

/// About this much text goes into a block of lines handed to a worker.
const BLOCK_BYTES: usize = 1 << 18;

/// Whole lines of JSON Lines, numbered from `first_line`.
struct Block {
    first_line: u64,
    text: Vec<u8>,
    /// For the second pass: whether the first found anything in each line.
    marks: Vec<bool>,
}

/// A block redacted.
struct Done {
    first_line: u64,
    text: Vec<u8>,
    pass: Pass,
    /// For the first pass: whether it found anything (a credential, a doubt) in each line.
    marks: Vec<bool>,
}

/// One bit per JSON Lines line: whether the first pass found anything to redact or to doubt
/// in it. The second pass copies an unmarked line as it is, unless a copy of a credential may
/// be in it. (A bit a line: 125 KB for a million lines.)
#[derive(Debug, Default)]
pub struct Marks(Vec<u64>);

impl Marks {
    fn push(&mut self, line: u64, marked: bool) {
        let (word, bit) = ((line - 1) as usize / 64, (line - 1) % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= u64::from(marked) << bit;
    }

    fn get(&self, line: u64) -> bool {
        let (word, bit) = ((line - 1) as usize / 64, (line - 1) % 64);
        self.0.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }
}

/// What a pass does with credentials: learns them (and marks the lines that hold anything), or
/// replaces them and their copies.
pub enum Job<'s> {
    Learn(&'s mut Secrets, &'s mut Marks),
    Replace(&'s Secrets, &'s Marks),
}

/// JSON Lines: each line is one JSON value, whatever its shape. Blocks of lines are redacted on
/// `jobs` threads and written in order.
pub fn jsonl(
    mut input: impl BufRead,
    output: &mut impl Write,
    job: Job<'_>,
    max_line_bytes: usize,
    jobs: usize,
) -> Result<Pass, RedactError> {
    let mut pass = Pass::default();
    let (learning, mut new_marks, replace, marks) = match job {
        Job::Learn(secrets, marks) => (Some(secrets), Some(marks), None, None),
        Job::Replace(secrets, marks) => (None, None, Some(secrets), Some(marks)),
    };
    let limit = learning.as_ref().map_or(0, |secrets| secrets.limit());
    let learnt = std::thread::scope(|scope| -> Result<Vec<Secrets>, RedactError> {
        let lanes: Vec<_> = (0..jobs.max(1))
            .map(|_| {
                let (to_worker, blocks) = sync_channel::<Block>(2);
                let (done, from_worker) = sync_channel::<Done>(2);
                let worker =
                    std::thread::Builder::new().name("zenith-redact".to_owned()).spawn_scoped(scope, move || {
                        let mut own = Secrets::with_limit(limit);
                        let mode = match replace {
                            Some(secrets) => Mode::Replace(secrets),
                            None => Mode::Learn(&mut own),
                        };
                        let mut scan = Scan::new(mode);
                        for block in blocks {
                            if done.send(redact_block(&block, &mut scan)).is_err() {
                                break;
                            }
                        }
                        drop(scan);
                        own
                    })?;
                Ok((to_worker, from_worker, worker))
            })
            .collect::<std::io::Result<_>>()?;
        let (mut sent, mut written, mut number) = (0usize, 0usize, 0u64);
        let receive =
            |written: &mut usize, pass: &mut Pass, output: &mut dyn Write, marking: &mut Option<&mut Marks>| {
                let lane = &lanes[*written % lanes.len()];
                let done = lane.1.recv().map_err(|_| RedactError::Worker)?;
                output.write_all(&done.text)?;
                pass.replaced += done.pass.replaced;
                pass.unredacted.extend(done.pass.unredacted);
                if let Some(marking) = marking {
                    for (line, marked) in (done.first_line..).zip(done.marks) {
                        marking.push(line, marked);
                    }
                }
                *written += 1;
                Ok::<(), RedactError>(())
            };
        loop {
            let first_line = number + 1;
            let mut block = Block { first_line, text: Vec::with_capacity(BLOCK_BYTES + 4096), marks: Vec::new() };
            let overlong = read_block(&mut input, &mut block.text, &mut number, max_line_bytes)?;
            if let Some(marks) = marks {
                block.marks = (first_line..=number).map(|line| marks.get(line)).collect();
            }
            let empty = block.text.is_empty();
            if !empty {
                if sent - written == 2 * lanes.len() {
                    receive(&mut written, &mut pass, output, &mut new_marks)?;
                }
                lanes[sent % lanes.len()].0.send(block).map_err(|_| RedactError::Worker)?;
                sent += 1;
            }
            match overlong {
                Some(start) => {
                    // Too long to hold: written through unread (in order), and reported.
                    while written < sent {
                        receive(&mut written, &mut pass, output, &mut new_marks)?;
                    }
                    number += 1;
                    if let Some(marking) = &mut new_marks {
                        marking.push(number, true);
                    }
                    output.write_all(&start)?;
                    let length = start.len() as u64 + pass_line_through(&mut input, output)?;
                    let reason = format!("the line is {length} bytes long, over the limit of {max_line_bytes} bytes");
                    pass.doubt(number, reason);
                }
                None if empty => break,
                None => {}
            }
        }
        while written < sent {
            receive(&mut written, &mut pass, output, &mut new_marks)?;
        }
        // Closing the lanes ends the workers, which hand back what they learnt.
        let workers: Vec<_> = lanes.into_iter().map(|(_, _, worker)| worker).collect();
        workers.into_iter().map(|worker| worker.join().map_err(|_| RedactError::Worker)).collect()
    })?;
    if let Some(secrets) = learning {
        for own in &learnt {
            secrets.absorb(own);
        }
    }
    pass.unredacted.sort_by_key(|u| u.line);
    output.flush()?;
    Ok(pass)
}

/// Reads whole lines into `text` until it holds about [`BLOCK_BYTES`], counting them in
/// `number`. When a line is longer than the limit, returns its start (that line is not
/// counted yet, nor kept in `text`).
fn read_block(
    input: &mut impl BufRead,
    text: &mut Vec<u8>,
    number: &mut u64,
    max_line_bytes: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    while text.len() < BLOCK_BYTES {
        let start = text.len();
        let read = input.by_ref().take(max_line_bytes as u64 + 1).read_until(b'\n', text)?;
        if read == 0 {
            break;
        }
        if read > max_line_bytes && !text.ends_with(b"\n") {
            return Ok(Some(text.split_off(start)));
        }
        *number += 1;
    }
    Ok(None)
}

/// Redacts the lines of a block. In the second pass, a line in which the first found nothing
/// is copied as it is, unless it may hold a copy of a credential (written plainly or escaped,
/// or spelt with `\u` escapes, which only decoding tells).
fn redact_block(block: &Block, scan: &mut Scan<'_>) -> Done {
    let learning = matches!(scan.mode, Mode::Learn(_));
    let capacity = if learning { 0 } else { block.text.len() };
    let mut done = Done {
        text: Vec::with_capacity(capacity),
        pass: Pass::default(),
        marks: Vec::new(),
        first_line: block.first_line,
    };
    let mut copies = Vec::new();
    for (index, (number, line)) in (block.first_line..).zip(block.text.split_inclusive(|b| *b == b'\n')).enumerate() {
        let marked = block.marks.get(index).copied().unwrap_or(true);
        if let Mode::Replace(secrets) = scan.mode
            && !marked
            && !may_hold_copy(line, secrets, &mut copies)
        {
            done.text.extend_from_slice(line);
            continue;
        }
        let found = redact_line(line, number, scan, &mut done);
        if learning {
            done.marks.push(found);
        }
    }
    done
}

/// Whether a copy of a known credential may be in the raw line: one of its forms is there, or
/// an escape could spell one differently once decoded. Escaped quotes and backslashes (JSON in
/// strings) change nothing for a credential without either; any other escape (`\u0041`, `\/`)
/// could.
fn may_hold_copy(line: &[u8], secrets: &Secrets, copies: &mut Vec<std::ops::Range<usize>>) -> bool {
    let Ok(text) = std::str::from_utf8(line) else { return true };
    copies.clear();
    secrets.copies(text, copies);
    if !copies.is_empty() {
        return true;
    }
    let mut escapes = memchr::memchr_iter(b'\\', line).peekable();
    if escapes.peek().is_some() && secrets.escapable() {
        return true;
    }
    escapes.any(|at| !matches!(line.get(at + 1), Some(b'"' | b'\\')))
}

/// Redacts one line, its end of line included. True when it holds anything to redact or doubt.
fn redact_line(line: &[u8], number: u64, scan: &mut Scan<'_>, done: &mut Done) -> bool {
    let bom = if number == 1 && line.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let mut body = &line[bom..];
    while let [rest @ .., b'\n' | b'\r'] = body {
        body = rest;
    }
    let Ok(text) = std::str::from_utf8(body) else {
        done.pass.doubt(number, "the line is not valid UTF-8".to_owned());
        done.text.extend_from_slice(line);
        return true;
    };
    scan.edits.clear();
    scan.doubts.clear();
    let mut found = false;
    if !text.trim().is_empty()
        && let Err(error) = walk::document(&Text::verbatim(text, bom), scan)
    {
        done.pass.doubt(number, format!("not JSON ({error}), so only credentials in its free text were found"));
        found = true;
    }
    found |= !scan.edits.is_empty() || !scan.doubts.is_empty();
    for doubt in scan.doubts.drain(..) {
        done.pass.doubt(number, doubt);
    }
    if let Mode::Learn(_) = scan.mode {
        return found; // nothing is written while learning
    }
    done.pass.replaced += walk::apply(line, 0, &mut scan.edits, &mut done.text);
    found
}

/// Copies the rest of a line through; returns how many bytes that was.
fn pass_line_through(input: &mut impl BufRead, output: &mut impl Write) -> std::io::Result<u64> {
    let mut copied = 0;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(copied);
        }
        let (length, done) = match memchr::memchr(b'\n', available) {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        output.write_all(&available[..length])?;
        input.consume(length);
        copied += length as u64;
        if done {
            return Ok(copied);
        }
    }
}

/// Bytes asked of the input at a time.
const READ_BYTES: usize = 1 << 16;

/// A HAR document (or any one JSON document), streamed.
pub fn har(
    mut input: impl BufRead,
    output: &mut impl Write,
    scan: &mut Scan<'_>,
    max_held_bytes: usize,
) -> Result<Pass, RedactError> {
    let mut pass = Pass::default();
    let mut held = Held::default();
    let mut parser = LowLevelJsonParser::new().with_max_stack_size(walk::MAX_DEPTH + 1);
    let mut walker = Walker::default();
    let mut eof = false;
    // A byte-order mark is kept, and not parsed.
    if input.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        held.bytes.extend_from_slice(b"\xEF\xBB\xBF");
        input.consume(3);
        held.parsed = 3;
    }
    loop {
        let result = parser.parse_next(&held.bytes[held.parsed - held.base..], eof);
        let (consumed, event) = (result.consumed_bytes, result.event);
        let start = held.parsed;
        held.parsed += consumed;
        let event = match event {
            None if eof => return Err(held.malformed("the HAR document ends too early".to_owned())),
            None => {
                if held.bytes.len() > max_held_bytes {
                    let reason = format!("a value is longer than the limit of {max_held_bytes} bytes");
                    return Err(held.malformed(reason));
                }
                eof = held.fill(&mut input)?;
                continue;
            }
            Some(Err(error)) => {
                // The parser counts lines and columns from the start, the byte-order mark aside.
                let at = error.location().start;
                let reason = error.message().to_owned();
                return Err(RedactError::MalformedHar { line: at.line + 1, column: at.column + 1, reason });
            }
            Some(Ok(event)) => event,
        };
        let region = &held.bytes[start - held.base..held.parsed - held.base];
        let end = held.parsed;
        scan.doubts.clear();
        let token = match &event {
            JsonEvent::Eof => break,
            JsonEvent::StartObject | JsonEvent::StartArray => {
                Token::Open { at: end - 1, object: matches!(event, JsonEvent::StartObject) }
            }
            JsonEvent::EndObject | JsonEvent::EndArray => Token::Close { end },
            JsonEvent::ObjectKey(key) => Token::Key(key.as_ref()),
            JsonEvent::String(_) => {
                let quote = start + region.iter().position(|&b| b == b'"').unwrap_or(0);
                let Ok(raw) = std::str::from_utf8(&region[quote - start + 1..region.len() - 1]) else {
                    let reason = "a string is not valid UTF-8".to_owned();
                    return Err(RedactError::MalformedHar { line: held.line, column: held.column(start), reason });
                };
                Token::Str { start: quote, end, text: Text::decode(raw, &|i| quote + 1 + i) }
            }
            JsonEvent::Number(raw) => Token::Scalar { start: end - raw.len(), end, raw: raw.as_ref() },
            JsonEvent::Boolean(true) => Token::Scalar { start: end - 4, end, raw: "true" },
            JsonEvent::Boolean(false) => Token::Scalar { start: end - 5, end, raw: "false" },
            JsonEvent::Null => Token::Scalar { start: end - 4, end, raw: "null" },
        };
        walker.token(token, scan);
        if walker.depth() > walk::MAX_DEPTH {
            return Err(held.malformed(format!("nested deeper than {} levels", walk::MAX_DEPTH)));
        }
        held.count_lines(start);
        for doubt in scan.doubts.drain(..) {
            let column = Some(held.column(start));
            pass.unredacted.push(Unredacted { line: held.line, column, reason: doubt });
        }
        let upto = walker.hold().map_or(held.parsed, |hold| hold.min(held.parsed));
        pass.replaced += held.flush(upto, &mut scan.edits, output)?;
    }
    // Whitespace after the document is kept.
    held.parsed = held.base + held.bytes.len();
    pass.replaced += held.flush(held.parsed, &mut scan.edits, output)?;
    output.flush()?;
    Ok(pass)
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

    /// Reads more input; true at its end.
    fn fill(&mut self, input: &mut impl BufRead) -> std::io::Result<bool> {
        let length = self.bytes.len();
        self.bytes.resize(length + READ_BYTES, 0);
        let read = loop {
            match input.read(&mut self.bytes[length..]) {
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                result => break result?,
            }
        };
        self.bytes.truncate(length + read);
        Ok(read == 0)
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

    fn malformed(&mut self, reason: String) -> RedactError {
        self.count_lines(self.parsed.min(self.base + self.bytes.len()));
        let column = self.column(self.parsed);
        RedactError::MalformedHar { line: self.line, column, reason }
    }

    /// Writes the input up to offset `upto` with the edits that start before it applied, and
    /// lets go of what is written. Returns the number of replacements.
    fn flush(&mut self, upto: usize, edits: &mut Vec<Edit>, output: &mut impl Write) -> std::io::Result<u64> {
        if upto <= self.written {
            return Ok(0);
        }
        edits.sort_by_key(|e| (e.span.start, std::cmp::Reverse(e.span.end)));
        let ready = edits.iter().take_while(|e| e.span.start < upto).count();
        let mut ready_edits: Vec<Edit> = edits.drain(..ready).collect();
        let last_end = ready_edits.iter().map(|e| e.span.end).max().unwrap_or(0).max(upto);
        let slice = &self.bytes[self.written - self.base..last_end - self.base];
        // Most tokens carry no edit: their bytes go out as they are.
        let count = if ready_edits.is_empty() {
            output.write_all(slice)?;
            0
        } else {
            let mut chunk = Vec::with_capacity(slice.len());
            let count = walk::apply(slice, self.written, &mut ready_edits, &mut chunk);
            output.write_all(&chunk)?;
            count
        };
        self.written = last_end;
        // Let go of written input, in large steps so that little is moved.
        let done = self.written.min(self.lines_at) - self.base;
        if done >= 1 << 20 || done == self.bytes.len() {
            self.bytes.drain(..done);
            self.base += done;
        }
        Ok(count)
    }
}
