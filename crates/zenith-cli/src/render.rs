//! Output for people (coloured on a terminal) and for machines (NDJSON), and the progress bar.

use std::borrow::Cow;
use std::io::{self, BufRead, IsTerminal, Read, Seek, Write};

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use zenith_capture::Origin;
use zenith_check::{Code, Finding, Severity, Summary};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
/// `--format`: for people, or for machines.
pub enum OutputFormat {
    Human,
    Json,
}

/// Tells the user something on stderr. A closed or full stderr is no reason to stop (and
/// `eprintln!` would panic on it), so write errors are ignored.
pub fn warn(message: std::fmt::Arguments<'_>) {
    let message = message.to_string();
    let _ = writeln!(io::stderr().lock(), "zenith: {}", safe(&message));
}

/// True when stderr is a terminal (progress bars go there).
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// `1 reply`, `2 replies`.
fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The JSON record for a capture that could not be read as a whole.
pub fn error_record(out: &mut dyn Write, source: &str, code: &str, message: &str) -> io::Result<()> {
    json_line(out, &serde_json::json!({ "error": { "source": source, "code": code, "message": message } }))
}

/// Inputs larger than this get a progress bar (when stderr is a terminal).
const PROGRESS_THRESHOLD: u64 = 4 * 1024 * 1024;
/// The widest Controller, Topic or Action column in the summary table, in characters.
const MAX_COLUMN: usize = 40;

pub struct Renderer {
    json: bool,
}

impl Renderer {
    pub fn new(json: bool) -> Renderer {
        Renderer { json }
    }

    pub fn finding(&mut self, out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        if self.json {
            return json_line(out, finding);
        }
        let style = match finding.level {
            Severity::Error => AnsiColor::Red.on_default().bold(),
            Severity::Warning => AnsiColor::Yellow.on_default().bold(),
            Severity::Info => AnsiColor::Cyan.on_default(),
        };
        let dim = Style::new().dimmed();
        let bold = Style::new().bold();
        // Everything but the level comes from the capture, or may quote it.
        write!(out, "{style}{}[{}]{style:#} ", finding.level.as_str(), safe(&finding.code))?;
        write!(out, "{bold}{}{bold:#}", safe(&location(finding)))?;
        writeln!(out, " {dim}{}{dim:#}", safe(&what(finding)))?;
        let path =
            if finding.instance_path.is_empty() { String::new() } else { format!("{}: ", finding.instance_path) };
        writeln!(out, "  {}{}", safe(&path), safe(&finding.message))?;
        if let Some(excerpt) = &finding.excerpt {
            writeln!(out, "  {dim}value:{dim:#} {}", safe(excerpt))?;
        }
        Ok(())
    }

    /// One capture's totals, when several are checked.
    pub fn file_summary(&mut self, out: &mut dyn Write, source: &str, summary: &Summary) -> io::Result<()> {
        if self.json {
            return json_line(out, &serde_json::json!({ "file": { "source": source, "summary": summary } }));
        }
        writeln!(
            out,
            "{}: {}: {} valid, {} with warnings, {} invalid, {} unreadable, {} skipped",
            safe(source),
            plural(summary.read, "frame read", "frames read"),
            summary.valid,
            summary.with_warnings,
            summary.invalid,
            summary.unreadable,
            summary.skipped
        )
    }

    pub fn summary(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        if self.json {
            return json_line(out, &serde_json::json!({ "summary": summary }));
        }
        let bold = Style::new().bold();
        if !summary.messages.is_empty() {
            writeln!(out)?;
            let rows: Vec<[String; 3]> =
                summary.messages.iter().map(|r| [cell(&r.controller), cell(&r.topic), cell(&r.action)]).collect();
            let width = |column: usize, title: &str| {
                rows.iter().map(|r| r[column].chars().count()).max().unwrap_or(0).max(title.len())
            };
            let (wc, wt, wa) = (width(0, "Controller"), width(1, "Topic"), width(2, "Action"));
            writeln!(
                out,
                "{bold}{:wc$}  {:wt$}  {:wa$}  {:>7}  {:>13}  {:>7}{bold:#}",
                "Controller", "Topic", "Action", "valid", "with warnings", "invalid"
            )?;
            for ([controller, topic, action], row) in rows.iter().zip(&summary.messages) {
                writeln!(
                    out,
                    "{controller:wc$}  {topic:wt$}  {action:wa$}  {:>7}  {:>13}  {:>7}",
                    row.valid, row.with_warnings, row.invalid
                )?;
            }
        }
        writeln!(out)?;
        let n = plural;
        writeln!(
            out,
            "{bold}{}{bold:#}: {} valid, {} with warnings, {} invalid, {} unreadable, {} skipped ({}, {})",
            n(summary.read, "frame read", "frames read"),
            summary.valid,
            summary.with_warnings,
            summary.invalid,
            summary.unreadable,
            summary.skipped,
            n(summary.capture_errors, "capture error", "capture errors"),
            n(summary.blank_lines, "blank line", "blank lines"),
        )?;
        writeln!(
            out,
            "{}, {}",
            n(summary.direction_inferred, "with an inferred direction", "with an inferred direction"),
            n(summary.http_entries, "non-websocket HAR entry skipped", "non-websocket HAR entries skipped"),
        )?;
        if summary.binary > 0 {
            writeln!(
                out,
                "{} decoded to JSON, {}",
                n(summary.binary, "binary message", "binary messages"),
                n(summary.encoding_inferred, "with an inferred encoding", "with an inferred encoding"),
            )?;
        }
        if summary.websocket_upgrades + summary.control_frames + summary.packets_skipped > 0 {
            writeln!(
                out,
                "{}, {}, {}",
                n(summary.websocket_upgrades, "websocket upgrade", "websocket upgrades"),
                n(summary.control_frames, "control frame", "control frames"),
                n(summary.packets_skipped, "packet skipped", "packets skipped"),
            )?;
        }
        if !summary.findings.is_empty() {
            let counts: Vec<String> = summary.findings.iter().map(|(code, n)| format!("{n} {code}")).collect();
            writeln!(out, "findings: {}", counts.join(", "))?;
        }
        let latency = match (summary.latency.median_ms, summary.latency.max_ms) {
            (Some(median), Some(max)) => format!(
                "; reply latency median {median:.1} ms, max {max:.1} ms over {}",
                n(summary.latency.count, "reply", "replies")
            ),
            _ => String::new(),
        };
        let timed_out = if summary.timed_out > 0 {
            format!(" ({} not answered within the reply timeout)", summary.timed_out)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{}{timed_out}, {}, {} unanswered, {}, {}, {} confirmed{latency}",
            n(summary.requests, "request", "requests"),
            n(summary.replies, "reply", "replies"),
            summary.unanswered,
            n(summary.orphan_replies, "orphan reply", "orphan replies"),
            n(summary.error_replies, "error reply", "error replies"),
            n(summary.subscriptions_confirmed, "subscription", "subscriptions"),
        )
    }
}

/// A name as the summary table shows it: made safe, and at most [`MAX_COLUMN`] characters, so
/// that a long name neither stretches the table nor overflows the formatter's width (a `u16`).
fn cell(name: &str) -> String {
    let name = safe(name);
    if name.chars().nth(MAX_COLUMN).is_none() {
        return name.into_owned();
    }
    let cut = name.char_indices().nth(MAX_COLUMN - 1).map_or(name.len(), |(at, _)| at);
    format!("{}…", &name[..cut])
}

/// True for the characters a terminal acts on rather than shows: C0 and C1 controls, DEL, and
/// the bidirectional overrides and isolates (which reorder what follows them).
fn drives_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from a capture as it may be shown on a terminal: every character that would drive the
/// terminal is written as a visible escape such as `\u{1b}`.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(drives_terminal) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if drives_terminal(c) {
            shown.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// One NDJSON record, as every record is written.
pub fn json_record(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    json_line(out, value)
}

/// One NDJSON record. Besides what JSON requires, the characters that drive a terminal are
/// escaped, so that the records are safe to show and still decode to the same strings.
fn json_line(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, TerminalSafe);
    value.serialize(&mut serializer)?;
    writeln!(out)
}

/// serde_json's compact format, with DEL, the C1 controls and the bidi characters written as
/// `\uXXXX` too (serde_json already escapes the C0 controls).
struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| drives_terminal(c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            // Every such character is in the Basic Multilingual Plane: one escape each.
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

/// `file:line (conn C, #i, time)` for JSON Lines, `file (entry:N, #i, time)` for HAR,
/// `file (client -> server, packet P, #i, time)` for packet captures.
fn location(finding: &Finding) -> String {
    let mut text = finding.source.clone();
    if let Some(line) = finding.origin.line() {
        text.push_str(&format!(":{line}"));
        // `file:line:column` where the parser says where a line stops being JSON.
        if finding.code == Code::NotJson.as_str()
            && let Some(column) = finding.message.rsplit_once(" column ").and_then(|(_, c)| c.parse::<u64>().ok())
        {
            text.push_str(&format!(":{column}"));
        }
    }
    let mut parts = Vec::new();
    match &finding.origin {
        Origin::Har { .. } => parts.push(finding.origin.connection().into_owned()),
        Origin::Line { conn: Some(conn), .. } => parts.push(format!("conn {conn}")),
        Origin::Line { conn: None, .. } => {}
        Origin::Tcp { stream, packet } => {
            parts.push(stream.name.to_string());
            parts.push(format!("packet {packet}"));
        }
        Origin::Live { conn } => parts.push(conn.to_string()),
    }
    // Connection events are not messages, and have no number.
    if finding.index > 0 {
        parts.push(format!("#{}", finding.index));
    }
    if let Some(time) = finding.time {
        parts.push(utc(time));
    }
    format!("{text} ({})", parts.join(", "))
}

/// `send Auth/AuthOwner/Publish`, with an inferred direction marked.
fn what(finding: &Finding) -> String {
    let direction = match (finding.direction, finding.inferred) {
        (Some(d), _) => d.to_string(),
        (None, Some(d)) => format!("{d} (inferred)"),
        (None, None) => "unknown direction".to_owned(),
    };
    match (&finding.controller, &finding.action) {
        (Some(controller), Some(action)) => {
            format!("{direction} {controller}/{}/{action}", finding.topic.as_deref().unwrap_or("-"))
        }
        _ => direction,
    }
}

/// Epoch seconds as an ISO-8601 UTC time with milliseconds.
pub fn utc(seconds: f64) -> String {
    if !seconds.is_finite() {
        return format!("t={seconds}");
    }
    let millis = (seconds * 1000.0).round() as i64;
    let (days, ms_of_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, ms) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// A progress bar on stderr for large inputs, when stderr is a terminal.
pub fn progress(size: Option<u64>) -> Option<ProgressBar> {
    let size = size.filter(|s| *s > PROGRESS_THRESHOLD)?;
    if !stderr_is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(size);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}") {
        bar.set_style(style);
    }
    Some(bar)
}

/// A reader that advances the progress bar as bytes are consumed.
pub struct Counted<R> {
    inner: R,
    bar: Option<ProgressBar>,
}

impl<R> Counted<R> {
    pub fn new(inner: R, bar: Option<ProgressBar>) -> Counted<R> {
        Counted { inner, bar }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, position: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(position)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(amount as u64);
        }
        self.inner.consume(amount);
    }
}

/// Writes `value` to standard output as one line of JSON, or for a person with `human`. A
/// reader that closed the pipe is no failure; any other write error is reported, and is the
/// exit code 2.
pub fn print<T: serde::Serialize>(
    format: OutputFormat,
    value: &T,
    human: impl FnOnce(&mut dyn Write, &T) -> io::Result<()>,
) -> Result<(), crate::exit::Exit> {
    let mut out = io::stdout().lock();
    let written = match format {
        OutputFormat::Json => {
            serde_json::to_writer(&mut out, value).map_err(io::Error::from).and_then(|()| writeln!(out))
        }
        OutputFormat::Human => human(&mut out, value),
    };
    match written {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            warn(format_args!("writing failed: {error}"));
            Err(crate::exit::Exit::Failed)
        }
        _ => Ok(()),
    }
}

/// Rows as aligned columns, two spaces apart.
pub fn write_grid(out: &mut dyn Write, grid: &[Vec<String>]) -> io::Result<()> {
    let columns = grid.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| grid.iter().filter_map(|r| r.get(c)).map(|t| t.chars().count()).max().unwrap_or(0))
        .collect();
    for row in grid {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(text, width)| format!("{text:width$}")).collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_times() {
        assert_eq!(super::utc(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::utc(1_341_050_550.25), "2012-06-30T10:02:30.250Z");
    }
}
