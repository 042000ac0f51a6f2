//! `zenith`: checks captured Zenith websocket traffic against the protocol's schemas.
//!
//! Exit codes: 0 no errors (warnings allowed unless `--deny-warnings`, alias `--strict`), 1
//! protocol errors found (with `--deny-warnings`, also warnings), 2
//! unreadable input or a usage error, 3 a capture without any websocket message.

mod explain;
mod export;
mod interrupt;
mod parallel;
mod proxy;
mod redact;
mod render;
mod replay;
mod report;
mod sink;

/// Frames are read on one thread and analysed on others, so memory is often freed by a thread
/// other than the one that allocated it; this allocator is made for that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use report::{Report, ReportArgs};
use zenith_capture::{Format, Limits, Unfolded};
use zenith_check::{Checker, Finding, Summary};

#[derive(Parser)]
#[command(
    name = "zenith",
    version,
    propagate_version = true,
    about = "Tools for the Zenith trading websocket protocol"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check captured traffic (HAR, JSON Lines, pcap or pcapng) against the protocol, message by
    /// message.
    ///
    /// Every websocket message is parsed, matched to its schema by Controller, Topic, Action and
    /// direction, and validated; requests are paired with replies by TransactionID on each
    /// connection. Credentials never appear in the output.
    ///
    /// Inputs: HAR 1.2 files (Chrome DevTools, mitmproxy, Playwright): each websocket entry is a
    /// connection, each `_webSocketMessages` item a message. JSON Lines: each line is a bare
    /// message or a HAR-style item {"type", "time", "opcode", "data"} with an optional "conn".
    /// pcap and pcapng: plain ws:// traffic, TCP reassembled, the upgrade read, frames unmasked,
    /// put together and inflated; connections are named `client -> server`. Binary messages
    /// (ZenithMsgPack, ZenithBson) are decoded and checked as the JSON they stand for.
    ///
    /// Exit codes: 0 no errors (warnings allowed unless --deny-warnings or --strict), 1 protocol
    /// errors (with --deny-warnings or --strict, also warnings), 2 unreadable input or
    /// usage error, 3 a capture without any websocket message.
    Check(CheckArgs),
    /// Write a copy of a capture with every credential replaced, and nothing else changed.
    ///
    /// The exact bytes of each credential are replaced; every other byte is written as it was
    /// read. Replaced, in any JSON of the capture (HAR or JSON Lines, any shape, any depth,
    /// JSON embedded in strings too): values of properties named like a credential (Password,
    /// ClientSecret, AuthGrant, AccessToken, their misspellings, anything named like a password,
    /// PIN, one-time code, secret, token, grant or API key): strings become <redacted>, numbers
    /// 0, objects {} and arrays []; the values of headers, cookies and query or form parameters
    /// named like one (Authorization keeps its scheme); in other strings and in property names,
    /// values after a credential name and = or : (URLs, fragments, form bodies, log lines, also
    /// percent-encoded or JSON-escaped), Bearer/Basic credentials and passwords in URLs; and
    /// copies of every credential found, in any string value.
    ///
    /// The capture is read twice (standard input or a named pipe is first copied to a temporary
    /// file). A capture with parts that cannot be redacted with certainty (lines that are not
    /// JSON or UTF-8, binary messages) is refused and nothing is written, unless --force is
    /// given: then those parts are written as found and listed. With -o, OUT is written whole or
    /// not at all: to a temporary file beside it, renamed over it when complete (so OUT may be
    /// IN); interrupted (SIGINT, SIGTERM, SIGHUP), zenith removes the temporary file, leaves OUT
    /// as it was and ends by the signal (the shell shows 130, 143 or 129). Standard output may
    /// not be IN itself (`>> IN`).
    ///
    /// Exit codes: 0 written (or its reader closed the pipe early, as `| head` does), 2 refused,
    /// unreadable input, output that cannot be written (standard output closed or full) or usage
    /// error.
    Redact(RedactArgs),
    /// Write any capture (HAR, JSON Lines, pcap or pcapng) as HAR-style JSON Lines: one
    /// message per line, {"conn", "type", "time", "opcode", "data"}, in capture order.
    ///
    /// Binary (BSON, MessagePack) messages are written as the JSON they decode to, with an
    /// "encoding" key; one that does not decode is written as base64 with its opcode; a frame
    /// that cannot be read is written as an error item with the reason. Connections of packet
    /// captures are named by their endpoints (`client -> server`). Credentials are written as
    /// they are: redact the result before sharing it.
    ///
    /// With -o, OUT is written whole or not at all, as by `redact`: to a temporary file beside
    /// it, renamed over it when complete (so OUT may be IN; a new OUT is readable by its owner
    /// only); interrupted, zenith removes the temporary file, leaves OUT as it was and ends by the
    /// signal. Standard output may not be IN itself (`>> IN`).
    ///
    /// Exit codes: 0 written (or its reader closed the pipe early, as `| head` does), 2
    /// unreadable input, output that cannot be written (standard output closed or full) or usage
    /// error.
    Export(ExportArgs),
    /// Print the state of one subscription at a point in a capture, as its client would have
    /// built it.
    ///
    /// The data pushed on the topic is applied in order: change records by the rules of their
    /// schema (keyed records added, updated, removed and cleared; balances set; a list's members
    /// inserted, replaced and removed by position), other data by setting its fields. The table shows the records (an order book by side and price, holdings,
    /// balances, watchlist members, orders) or the fields; `--format json` writes the state as
    /// one JSON object. Credentials are replaced, as everywhere.
    ///
    /// Exit codes: 0 printed, 1 no data for the topic up to that point, 2 unreadable input or
    /// usage error.
    Replay(ReplayArgs),
    /// Show what a topic's messages look like: what the topic is for, the permissions it
    /// needs, its arguments, each message's fields with their types and whether they are
    /// required, its reply topics and an example.
    ///
    /// Name a topic as `Market/Depth`, or `Depth` when one controller has it (arguments, as in
    /// `Depth!BHP.ASX`, are ignored). `-` reads one message from standard input and says which
    /// message it is, whether its schema accepts it, and the topic it belongs to. A misspelt
    /// topic gets a suggestion. Credentials in examples are replaced.
    ///
    /// Exit codes: 0 explained, 2 unknown topic, unreadable message or usage error.
    Explain(ExplainArgs),
    /// Relay a live session to its server (ws:// or wss://) and check it as it happens.
    ///
    /// Clients connect to `ws://LISTEN/...` as they would to the server. Each connection's
    /// upgrade request goes on to the upstream with its Host rewritten (and its path and query,
    /// when the upstream URL has its own); from then on every byte is relayed unchanged both ways
    /// (any subprotocol, compression, fragmentation, pings and closes). A copy of each direction
    /// is read as a packet capture's connection is, and every message is checked as by `check`:
    /// findings are shown as they happen, a request left without a reply past --reply-timeout
    /// at that moment, and each connection's summary as it closes. Credentials never appear in
    /// the output.
    ///
    /// Without --once the proxy runs until SIGINT or SIGTERM, then shows the overall summary.
    ///
    /// Exit codes: 0 no errors (warnings allowed unless --deny-warnings or --strict), 1 protocol
    /// errors (with --deny-warnings or --strict, also warnings), 2 cannot listen, bad TLS
    /// settings or usage error.
    Proxy(proxy::ProxyArgs),
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// A topic (`Market/Depth`, `Depth`), or `-` for a message on standard input.
    #[arg(value_name = "TOPIC")]
    what: String,
    /// How to print the explanation.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    format: OutputFormat,
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// The capture; `-` reads standard input.
    #[arg(value_name = "FILE")]
    input_file: PathBuf,
    /// The subscription's topic with its arguments, e.g. `Depth!BHP.ASX`.
    #[arg(long, value_name = "TOPIC")]
    topic: String,
    /// The connection (as findings name it); the first one with data for the topic by default.
    #[arg(long, value_name = "CONN")]
    conn: Option<String>,
    /// Stop after the message with this index on its connection (the `index` of findings).
    #[arg(long, value_name = "N", conflicts_with = "time")]
    at: Option<u64>,
    /// Stop after the last message at or before this time: RFC 3339
    /// (`2026-03-20T10:02:31+10:00`) or seconds since the epoch.
    #[arg(long, value_name = "TIME", value_parser = replay::time)]
    time: Option<f64>,
    /// How to print the state.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    format: OutputFormat,
    /// The input format; detected from the content when left out.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input: Option<InputFormat>,
    /// Longest JSON Lines line, or websocket message, read, in bytes.
    #[arg(long, default_value_t = Limits::default().max_line_bytes, value_name = "BYTES")]
    max_line_bytes: usize,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// The capture to export; `-` reads standard input.
    #[arg(value_name = "IN")]
    input_file: PathBuf,
    /// Where to write the JSON Lines, whole or not at all (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The input format; detected from the content when left out.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input: Option<InputFormat>,
    /// Longest JSON Lines line, or websocket message, read, in bytes.
    #[arg(long, default_value_t = Limits::default().max_line_bytes, value_name = "BYTES")]
    max_line_bytes: usize,
}

#[derive(clap::Args)]
struct RedactArgs {
    /// The capture to redact; `-` reads standard input.
    #[arg(value_name = "IN")]
    input_file: PathBuf,
    /// Where to write the redacted capture, whole or not at all (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The input format; detected from the content when left out.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input: Option<InputFormat>,
    /// Write even when some parts cannot be redacted with certainty (they are written as found
    /// and listed).
    #[arg(long)]
    force: bool,
    /// Distinct credentials remembered to find their copies (about 900 bytes of memory each);
    /// a capture with more is refused unless --force.
    #[arg(long, default_value_t = zenith_redact::DEFAULT_MAX_CREDENTIALS, value_name = "N")]
    max_credentials: usize,
    /// Longest JSON Lines line, or HAR value, held at once, in bytes.
    #[arg(long, default_value_t = zenith_redact::Options::default().max_bytes, value_name = "BYTES")]
    max_line_bytes: usize,
    /// Threads that redact JSON Lines, from 1 to 256; output is the same for any number.
    /// Defaults to the number of CPUs.
    #[arg(long, short = 'j', value_name = "N", value_parser = jobs)]
    jobs: Option<usize>,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Capture files to check; `-` reads standard input; a directory checks every capture in it
    /// (`*.har`, `*.jsonl`, `*.ndjson`, `*.json`, subdirectories too, each file once; pipes,
    /// devices, links to directories and links off the directory's file system there are skipped
    /// with a warning).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The input format; detected from the content when left out.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input: Option<InputFormat>,
    #[command(flatten)]
    report: ReportArgs,
    /// Seconds a request may wait for its reply before a `reply-timeout` warning (the server's
    /// default ActionTimeout is 35 s); 0 turns it off. Judged by the capture's times.
    #[arg(long, default_value_t = zenith_check::DEFAULT_REPLY_TIMEOUT, value_name = "SECONDS", value_parser = seconds)]
    reply_timeout: f64,
    /// Longest JSON Lines line to read, in bytes; longer lines are reported as unreadable.
    #[arg(long, default_value_t = Limits::default().max_line_bytes, value_name = "BYTES")]
    max_line_bytes: usize,
    /// Threads that check messages, from 1 to 256 (with more than one, another thread reads the
    /// capture and follows the conversations); output is the same for any number. Defaults to
    /// the number of CPUs.
    #[arg(long, short = 'j', value_name = "N", value_parser = jobs)]
    jobs: Option<usize>,
}

/// The most threads `--jobs` accepts: enough for any machine, few enough to start them all.
const MAX_JOBS: usize = 256;

/// The number of CPUs, within the bounds of `--jobs`.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from).min(MAX_JOBS)
}

/// Parses `--jobs`.
fn jobs(text: &str) -> Result<usize, String> {
    let jobs = text.parse::<usize>().ok().filter(|n| (1..=MAX_JOBS).contains(n));
    jobs.ok_or_else(|| format!("the number of threads must be a whole number from 1 to {MAX_JOBS}"))
}

#[derive(Clone, Copy, ValueEnum)]
enum InputFormat {
    Har,
    Jsonl,
    Pcap,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Redact(args) => redact::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Proxy(args) => proxy::run(&args),
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let mut report = Report::new(&args.report);
    let mut total = Summary::default();
    let (mut unreadable_input, mut empty_input, mut read_any) = (false, false, false);
    let files = captures(&args.files);
    for input in &files {
        let (path, walked) = match input {
            Input::Capture(path) => (path, Ok(())),
            Input::Unreadable(path, message) => (path, Err(message.clone())),
        };
        let source = path.display().to_string();
        let result = walked.and_then(|()| check_file(path, &source, args, &mut |finding| report.finding(&finding)));
        match result {
            Ok(mut summary) => {
                read_any = true;
                if summary.messages() == 0 {
                    empty_input = true;
                    report.out.flush();
                    warn(format_args!("{source}: no websocket messages found: is this the right export?"));
                }
                // With several captures, each gets its totals before the overall ones.
                if files.len() > 1 && report.quiet < 2 {
                    summary.finalize();
                    let renderer = &mut report.renderer;
                    report.out.write(|out| renderer.file_summary(out, &source, &summary));
                }
                total.merge(summary);
            }
            Err(message) => {
                unreadable_input = true;
                // In JSON the failure is a record of its own, so a reader of stdout sees it.
                if report.json && report.quiet < 2 {
                    report.out.write(|out| render::error_record(out, &source, "unreadable-input", &message));
                }
                report.out.flush();
                warn(format_args!("{source}: {message}"));
            }
        }
    }
    // No summary of nothing: when no capture could be read, the errors say it all.
    report.finish(read_any.then_some(&total));
    if unreadable_input {
        ExitCode::from(2)
    } else if report.failed() {
        ExitCode::from(1)
    } else if empty_input {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// Parses a number of seconds, 0 or more.
fn seconds(text: &str) -> Result<f64, String> {
    let seconds = text.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0);
    seconds.ok_or_else(|| "give a number of seconds, 0 or more (0: never)".to_owned())
}

/// Tells the user something on stderr. A closed or full stderr is no reason to stop (and
/// `eprintln!` would panic on it), so write errors are ignored.
fn warn(message: std::fmt::Arguments<'_>) {
    let message = message.to_string();
    let _ = writeln!(io::stderr().lock(), "zenith: {}", render::safe(&message));
}

/// A capture to check, or a directory given or found that cannot be read, with why: reported
/// as an unreadable capture is, while the others are still checked.
enum Input {
    Capture(PathBuf),
    Unreadable(PathBuf, String),
}

/// The captures to check: the files given, and every capture in the directories given (files
/// ending in `.har`, `.jsonl`, `.ndjson` or `.json`, in their subdirectories too), each
/// directory's in name order.
fn captures(paths: &[PathBuf]) -> Vec<Input> {
    let (mut found, mut seen) = (Vec::new(), HashSet::new());
    for path in paths {
        let identity = std::fs::metadata(path).ok().map(|m| ((m.dev(), m.ino()), m.is_file()));
        if path.is_dir() {
            let (before, again) = (found.len(), identity.is_some_and(|(id, _)| seen.contains(&id)));
            directory(path, &mut seen, &mut found);
            if found.len() == before && !again {
                let why = "the directory holds no capture (*.har, *.jsonl, *.ndjson, *.json)";
                found.push(Input::Unreadable(path.clone(), why.to_owned()));
            }
        } else if identity.is_none_or(|(id, file)| !file || seen.insert(id)) {
            // A file is checked once however it is named; `-`, pipes and devices each time.
            found.push(Input::Capture(path.clone()));
        }
    }
    found
}

/// Adds the captures in the directory at `dir` and in its subdirectories, each directory and
/// each file once (`seen` holds their device and inode). Only regular files are read, and links
/// are followed only to regular files on the directory's own file system: a pipe or a device
/// named like a capture could block or never end, a link to a directory could lead anywhere
/// (into `/proc`, whose files are endless or secret), so each is skipped with a warning.
fn directory(dir: &Path, seen: &mut HashSet<(u64, u64)>, found: &mut Vec<Input>) {
    let listed = std::fs::metadata(dir).and_then(|metadata| {
        if !seen.insert((metadata.dev(), metadata.ino())) {
            return Ok((metadata.dev(), Vec::new()));
        }
        let paths = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<io::Result<Vec<_>>>()?;
        Ok((metadata.dev(), paths))
    });
    let (device, mut paths) = match listed {
        Ok(listed) => listed,
        Err(error) => {
            found.push(Input::Unreadable(dir.to_owned(), format!("cannot read the directory: {error}")));
            return;
        }
    };
    paths.sort();
    for path in paths {
        let capture =
            path.extension().and_then(|e| e.to_str()).is_some_and(|e| ["har", "jsonl", "ndjson", "json"].contains(&e));
        let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_dir() && link => skipped(&path, "a link to a directory"),
            Ok(metadata) if metadata.is_dir() => directory(&path, seen, found),
            _ if !capture => {}
            Ok(metadata) if metadata.is_file() && link && metadata.dev() != device => {
                skipped(&path, "a link to a file on another file system")
            }
            Ok(metadata) if metadata.is_file() => {
                if seen.insert((metadata.dev(), metadata.ino())) {
                    found.push(Input::Capture(path));
                }
            }
            Ok(metadata) => skipped(&path, &format!("{}, not a regular file", special(metadata.file_type()))),
            Err(error) => warn(format_args!("{}: skipped: {error}", path.display())),
        }
    }
}

/// Warns that `path`, found in a directory, is not read, and why.
fn skipped(path: &Path, why: &str) {
    warn(format_args!("{}: skipped: {why} (name it on the command line to read it)", path.display()));
}

/// What a file that is neither a regular file nor a directory is, in words.
fn special(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_fifo() {
        "a named pipe"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

/// A capture to read (`-`: standard input), buffered, with its size when it is a file.
fn open_input(path: &std::path::Path) -> Result<(Box<dyn BufRead>, Option<u64>), String> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(BufReader::with_capacity(1 << 16, io::stdin())), None));
    }
    let file = open_capture(path).map_err(|e| format!("cannot open: {e}"))?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(BufReader::with_capacity(1 << 16, file)), size))
}

/// The capture file at `path`: a file, a pipe or a device, not a directory.
fn open_capture(path: &std::path::Path) -> io::Result<File> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "a directory, not a capture file"));
    }
    Ok(file)
}

/// Reads and checks one capture; the error says why the file as a whole could not be read.
fn check_file(
    path: &std::path::Path,
    source: &str,
    args: &CheckArgs,
    report: &mut dyn FnMut(Finding),
) -> Result<Summary, String> {
    let (reader, size) = open_input(path)?;
    let progress = render::progress(size);
    let reader = render::Counted::new(reader, progress.clone());
    let (format, reader) = formatted(Box::new(reader), args.input, args.max_line_bytes, source)?;
    let limits = Limits { max_line_bytes: args.max_line_bytes };
    let mut checker = Checker::new(source);
    checker.set_reply_timeout(Some(args.reply_timeout).filter(|s| *s > 0.0));
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    let result = if jobs <= 1 {
        parallel::check_here(format, reader, limits, &mut checker, report)
    } else {
        parallel::check(format, reader, limits, jobs, &mut checker, report)
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    result.map_err(|e| {
        let hint =
            if format == Format::Har && args.input.is_none() { " (use --input jsonl if it is JSON Lines)" } else { "" };
        format!("{e}{hint}")
    })?;
    Ok(checker.finish(report))
}

/// The input's format, as given or detected, and a reader of it; JSON Lines that is one
/// pretty-printed message, or an array of them, is read as such, with a warning.
fn formatted<'r>(
    reader: Box<dyn BufRead + 'r>,
    input: Option<InputFormat>,
    max_line_bytes: usize,
    source: &str,
) -> Result<(Format, Box<dyn BufRead + 'r>), String> {
    let (format, reader): (Format, Box<dyn BufRead>) = match input {
        Some(InputFormat::Har) => (Format::Har, Box::new(reader)),
        Some(InputFormat::Jsonl) => (Format::Jsonl, Box::new(reader)),
        Some(InputFormat::Pcap) => (Format::Pcap, Box::new(reader)),
        None => {
            let (format, reader) =
                zenith_capture::sniff(reader, max_line_bytes).map_err(|e| format!("reading failed: {e}"))?;
            (format, Box::new(reader))
        }
    };
    let reader = match format {
        Format::Har | Format::Pcap => reader,
        Format::Jsonl => match zenith_capture::unfold(reader, max_line_bytes) {
            Ok(Unfolded::Lines(reader)) => reader,
            Ok(Unfolded::Document { lines, messages }) => {
                let what = if messages == 1 { "one message" } else { "an array of messages" };
                warn(format_args!(
                    "{source}: one JSON document ({what}), not JSON Lines: each message is numbered as a line"
                ));
                lines
            }
            Ok(Unfolded::NotOneMessagePerLine(reader)) => {
                warn(format_args!(
                    "{source}: JSON Lines needs one message per line; this starts like a message written over several lines, but is not one JSON document either"
                ));
                reader
            }
            Err(error) => return Err(format!("reading failed: {error}")),
        },
    };
    Ok((format, reader))
}

/// True when stderr is a terminal (progress bars go there).
fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}
