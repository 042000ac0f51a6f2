//! `zenith check`: captures checked against the protocol, message by message, with a summary.

use std::collections::HashSet;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use zenith_capture::Format;
use zenith_check::{Checker, Finding, Summary};

use crate::args::{default_jobs, jobs, seconds};
use crate::exit::Exit;
use crate::input::{CaptureArgs, open_input};
use crate::parallel;
use crate::render::{self, warn};
use crate::report::{Report, ReportArgs};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Capture files to check; `-` reads standard input; a directory checks every capture in it
    /// (`*.har`, `*.jsonl`, `*.ndjson`, `*.json`, subdirectories too, each file once; pipes,
    /// devices, links to directories and links off the directory's file system there are skipped
    /// with a warning).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub capture: CaptureArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Seconds a request may wait for its reply before a `reply-timeout` warning (the server's
    /// default ActionTimeout is 35 s); 0 turns it off. Judged by the capture's times.
    #[arg(long, default_value_t = zenith_check::DEFAULT_REPLY_TIMEOUT, value_name = "SECONDS", value_parser = seconds)]
    pub reply_timeout: f64,
    /// Threads that check messages, from 1 to 256 (with more than one, another thread reads the
    /// capture and follows the conversations); output is the same for any number. Defaults to
    /// the number of CPUs.
    #[arg(long, short = 'j', value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
}

pub fn run(args: &CheckArgs) -> Exit {
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
    total.finalize();
    report.finish(read_any.then_some(&total));
    if unreadable_input {
        Exit::Failed
    } else if report.failed() {
        Exit::Findings
    } else if empty_input {
        Exit::Empty
    } else {
        Exit::Clean
    }
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
    let (format, reader) = args.capture.formatted(Box::new(reader), source)?;
    let limits = args.capture.limits();
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
        let hint = if format == Format::Har && args.capture.input.is_none() {
            " (use --input jsonl if it is JSON Lines)"
        } else {
            ""
        };
        format!("{e}{hint}")
    })?;
    Ok(checker.finish(report))
}
