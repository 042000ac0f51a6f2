//! One pass over a capture, streamed, and the lanes that share its work between threads: JSON
//! Lines is cut into blocks of whole lines; a HAR document ([`crate::har`]) into blocks of the
//! values that stand alone in it. Blocks are redacted on worker threads and written in order.

use std::io::{BufRead, Read, Write};
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use crate::scan::{Mode, Scan};
use crate::secrets::Secrets;
use crate::text::Text;
use crate::walk;
use crate::{RedactError, Unredacted};

/// What one pass counted.
#[derive(Debug, Default)]
pub struct Pass {
    pub replaced: u64,
    pub unredacted: Vec<Unredacted>,
}

/// About this much text goes into a block handed to a worker.
pub const BLOCK_BYTES: usize = 1 << 18;

/// A stretch of the input, in input order, for a lane.
pub struct Block {
    /// The number of its first line (JSON Lines) or item (HAR).
    pub first: u64,
    pub text: Vec<u8>,
    pub pieces: Pieces,
    /// For the second pass: whether the first found anything in each line or item.
    pub marks: Vec<bool>,
}

/// What a block's text is made of.
pub enum Pieces {
    /// Whole lines of JSON Lines.
    Lines,
    /// HAR values that stand alone, with what lies between them.
    Items(Vec<Item>),
    /// Output already redacted, sent through a lane to keep its place in the order.
    Ready,
}

/// A value that stands alone in a HAR document: its span in its block's text, and where it
/// starts in the input.
pub struct Item {
    pub span: Range<usize>,
    pub line: u64,
    pub column: u64,
}

/// A block redacted.
struct Done {
    first: u64,
    text: Vec<u8>,
    pass: Pass,
    /// For the first pass: whether it found anything (a credential, a doubt) in each piece.
    marks: Vec<bool>,
}

/// One bit per JSON Lines line or HAR item: whether the first pass found anything to redact
/// or to doubt in it. The second pass copies an unmarked one as it is, unless a copy of a
/// credential may be in it. (A bit each: 125 KB for a million.)
#[derive(Debug, Default)]
pub struct Marks(Vec<u64>);

impl Marks {
    fn push(&mut self, number: u64, marked: bool) {
        let (word, bit) = ((number - 1) as usize / 64, (number - 1) % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= u64::from(marked) << bit;
    }

    pub fn get(&self, number: u64) -> bool {
        let (word, bit) = ((number - 1) as usize / 64, (number - 1) % 64);
        self.0.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }
}

/// What a pass does with credentials: learns them (and marks the pieces that hold anything),
/// or replaces them and their copies.
pub enum Job<'s> {
    Learn(&'s mut Secrets, &'s mut Marks),
    Replace(&'s Secrets, &'s Marks),
}

/// Where finished blocks go, in input order.
pub struct Out<'o> {
    pub output: &'o mut dyn Write,
    pub pass: &'o mut Pass,
    /// While learning: the marks being made.
    pub marks: Option<&'o mut Marks>,
}

struct Lane<'scope> {
    to_worker: SyncSender<Block>,
    from_worker: Receiver<Done>,
    worker: ScopedJoinHandle<'scope, Secrets>,
}

/// Worker threads taking blocks in turn; their results come back in the order sent.
pub struct Lanes<'scope> {
    lanes: Vec<Lane<'scope>>,
    sent: usize,
    written: usize,
}

impl<'scope> Lanes<'scope> {
    /// `jobs` workers that replace what `replace` knows, or else learn credentials of their
    /// own, at most `limit`.
    pub fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        jobs: usize,
        replace: Option<&'env Secrets>,
        limit: usize,
    ) -> std::io::Result<Lanes<'scope>> {
        let lanes = (0..jobs.max(1))
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
                            if done.send(redact_block(block, &mut scan)).is_err() {
                                break;
                            }
                        }
                        drop(scan);
                        own
                    })?;
                Ok(Lane { to_worker, from_worker, worker })
            })
            .collect::<std::io::Result<_>>()?;
        Ok(Lanes { lanes, sent: 0, written: 0 })
    }

    /// Hands a block to the next lane, first writing out the oldest result when all are busy.
    pub fn send(&mut self, block: Block, out: &mut Out<'_>) -> Result<(), RedactError> {
        if self.sent - self.written == 2 * self.lanes.len() {
            self.receive(out)?;
        }
        let lane = &self.lanes[self.sent % self.lanes.len()];
        lane.to_worker.send(block).map_err(|_| RedactError::Worker)?;
        self.sent += 1;
        Ok(())
    }

    /// Writes out every result still to come.
    pub fn drain(&mut self, out: &mut Out<'_>) -> Result<(), RedactError> {
        while self.written < self.sent {
            self.receive(out)?;
        }
        Ok(())
    }

    fn receive(&mut self, out: &mut Out<'_>) -> Result<(), RedactError> {
        let lane = &self.lanes[self.written % self.lanes.len()];
        let done = lane.from_worker.recv().map_err(|_| RedactError::Worker)?;
        out.output.write_all(&done.text)?;
        out.pass.replaced += done.pass.replaced;
        out.pass.unredacted.extend(done.pass.unredacted);
        if let Some(marks) = &mut out.marks {
            for (number, marked) in (done.first..).zip(done.marks) {
                marks.push(number, marked);
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Writes out every result still to come, then ends the workers, which hand back the
    /// credentials they learnt.
    pub fn finish(mut self, out: &mut Out<'_>) -> Result<Vec<Secrets>, RedactError> {
        self.drain(out)?;
        let workers: Vec<_> = self.lanes.into_iter().map(|lane| lane.worker).collect();
        workers.into_iter().map(|worker| worker.join().map_err(|_| RedactError::Worker)).collect()
    }
}

/// JSON Lines: each line is one JSON value, whatever its shape.
pub fn jsonl(
    mut input: impl BufRead,
    output: &mut impl Write,
    job: Job<'_>,
    max_line_bytes: usize,
    jobs: usize,
) -> Result<Pass, RedactError> {
    let mut pass = Pass::default();
    let (learning, new_marks, replace, marks) = match job {
        Job::Learn(secrets, marks) => (Some(secrets), Some(marks), None, None),
        Job::Replace(secrets, marks) => (None, None, Some(secrets), Some(marks)),
    };
    let limit = learning.as_ref().map_or(0, |secrets| secrets.limit());
    let mut out = Out { output, pass: &mut pass, marks: new_marks };
    let learnt = std::thread::scope(|scope| -> Result<Vec<Secrets>, RedactError> {
        let mut lanes = Lanes::start(scope, jobs, replace, limit)?;
        let mut number = 0u64;
        loop {
            let first = number + 1;
            let mut block =
                Block { first, text: Vec::with_capacity(BLOCK_BYTES + 4096), pieces: Pieces::Lines, marks: Vec::new() };
            let overlong = read_block(&mut input, &mut block.text, &mut number, max_line_bytes)?;
            if let Some(marks) = marks {
                block.marks = (first..=number).map(|line| marks.get(line)).collect();
            }
            let empty = block.text.is_empty();
            if !empty {
                lanes.send(block, &mut out)?;
            }
            match overlong {
                Some(start) => {
                    // Too long to hold: written through unread (in order), and reported.
                    lanes.drain(&mut out)?;
                    number += 1;
                    if let Some(marking) = &mut out.marks {
                        marking.push(number, true);
                    }
                    out.output.write_all(&start)?;
                    let length = start.len() as u64 + pass_line_through(&mut input, &mut out.output)?;
                    let reason = format!("the line is {length} bytes long, over the limit of {max_line_bytes} bytes");
                    out.pass.unredacted.push(Unredacted { line: number, column: None, reason });
                }
                None if empty => break,
                None => {}
            }
        }
        lanes.finish(&mut out)
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

/// Redacts the lines or items of a block. In the second pass, one in which the first found
/// nothing is copied as it is, unless it may hold a copy of a credential (written plainly or
/// escaped, or spelt with `\u` escapes, which only decoding tells).
fn redact_block(block: Block, scan: &mut Scan<'_>) -> Done {
    let learning = matches!(scan.mode, Mode::Learn(_));
    let mut done = Done { first: block.first, text: Vec::new(), pass: Pass::default(), marks: Vec::new() };
    let pieces: Vec<(Range<usize>, Location)> = match block.pieces {
        Pieces::Ready => return Done { text: block.text, ..done },
        Pieces::Lines => {
            let mut start = 0;
            (block.first..)
                .zip(block.text.split_inclusive(|b| *b == b'\n'))
                .map(|(line, text)| {
                    start += text.len();
                    (start - text.len()..start, Location { line, column: None, bom: line == 1 })
                })
                .collect()
        }
        Pieces::Items(items) => items
            .into_iter()
            .map(|item| (item.span, Location { line: item.line, column: Some(item.column), bom: false }))
            .collect(),
    };
    if !learning {
        done.text.reserve(block.text.len());
    }
    let mut copies = Vec::new();
    let mut copied = 0;
    for (index, (span, at)) in pieces.into_iter().enumerate() {
        let piece = &block.text[span.clone()];
        if !learning {
            done.text.extend_from_slice(&block.text[copied..span.start]);
            copied = span.end;
        }
        let marked = block.marks.get(index).copied().unwrap_or(true);
        if let Mode::Replace(secrets) = scan.mode
            && !marked
            && !may_hold_copy(piece, secrets, &mut copies)
        {
            done.text.extend_from_slice(piece);
            continue;
        }
        let found = redact_piece(piece, at, scan, &mut done);
        if learning {
            done.marks.push(found);
        }
    }
    if !learning {
        done.text.extend_from_slice(&block.text[copied..]);
    }
    done
}

/// Whether a copy of a known credential may be in the raw text: one of its forms is there, or
/// an escape could spell one differently once decoded. Escaped quotes and backslashes (JSON in
/// strings) change nothing for a credential without either; any other escape (`\u0041`, `\/`)
/// could, as could the percent-encoding that free text is read again without.
fn may_hold_copy(raw: &[u8], secrets: &Secrets, copies: &mut Vec<Range<usize>>) -> bool {
    let Ok(text) = std::str::from_utf8(raw) else { return true };
    copies.clear();
    secrets.copies(text, copies);
    if !copies.is_empty() || crate::free::percent_encoded(text) {
        return true;
    }
    let mut escapes = memchr::memchr_iter(b'\\', raw).peekable();
    if escapes.peek().is_some() && secrets.escapable() {
        return true;
    }
    escapes.any(|at| !matches!(raw.get(at + 1), Some(b'"' | b'\\')))
}

/// Where a line or item starts, for what is reported about it.
struct Location {
    line: u64,
    column: Option<u64>,
    /// The first line of a file may start with a byte-order mark.
    bom: bool,
}

/// Redacts one line (its end of line included) or item. True when it holds anything to redact
/// or doubt.
fn redact_piece(piece: &[u8], at: Location, scan: &mut Scan<'_>, done: &mut Done) -> bool {
    let bom = if at.bom && piece.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let mut body = &piece[bom..];
    while let [rest @ .., b'\n' | b'\r'] = body {
        body = rest;
    }
    let doubt = |done: &mut Done, reason: String| {
        done.pass.unredacted.push(Unredacted { line: at.line, column: at.column, reason });
    };
    let Ok(text) = std::str::from_utf8(body) else {
        let what = if at.column.is_none() { "line" } else { "value" };
        doubt(done, format!("the {what} is not valid UTF-8"));
        done.text.extend_from_slice(piece);
        return true;
    };
    scan.edits.clear();
    scan.doubts.clear();
    let mut found = false;
    if !text.trim().is_empty()
        && let Err(error) = walk::document(&Text::verbatim(text, bom), scan)
    {
        doubt(done, format!("not JSON ({error}), so only credentials in its free text were found"));
        found = true;
    }
    found |= !scan.edits.is_empty() || !scan.doubts.is_empty();
    for reason in scan.doubts.drain(..) {
        doubt(done, reason);
    }
    if let Mode::Learn(_) = scan.mode {
        return found; // nothing is written while learning
    }
    done.pass.replaced += walk::apply(piece, 0, &mut scan.edits, &mut done.text);
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
