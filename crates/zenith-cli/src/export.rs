//! `zenith export`: any capture (HAR, JSON Lines, pcap) written as HAR-style JSON Lines, one
//! message per line, binary messages as the JSON they decode to.

use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;

use zenith_capture::export::{self, Written};
use zenith_capture::{Event, Limits};

use crate::{ExportArgs, formatted, open_input, warn};

pub fn run(args: &ExportArgs) -> ExitCode {
    let source = args.input_file.display().to_string();
    match export(args, &source) {
        Ok(counts) => {
            warn(format_args!(
                "{source}: {} messages written ({} binary decoded to JSON, {} binary left as base64, {} unreadable \
                 written as error items); {} connection events and {} other items not written",
                counts.text + counts.decoded + counts.binary + counts.error,
                counts.decoded,
                counts.binary,
                counts.error,
                counts.events,
                counts.skipped
            ));
            ExitCode::SUCCESS
        }
        Err(Failure::Write(error)) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            warn(format_args!("{source}: {}", failure.text()));
            ExitCode::from(2)
        }
    }
}

#[derive(Default)]
struct Counts {
    text: u64,
    decoded: u64,
    binary: u64,
    error: u64,
    events: u64,
    skipped: u64,
}

enum Failure {
    Read(String),
    Write(io::Error),
}

impl Failure {
    fn text(&self) -> String {
        match self {
            Failure::Read(reason) => reason.clone(),
            Failure::Write(error) => format!("writing failed: {error}"),
        }
    }
}

fn export(args: &ExportArgs, source: &str) -> Result<Counts, Failure> {
    let (reader, _) = open_input(&args.input_file).map_err(Failure::Read)?;
    let (format, reader) = formatted(reader, args.input, args.max_line_bytes, source).map_err(Failure::Read)?;
    let mut output: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).map_err(Failure::Write)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut output = io::BufWriter::with_capacity(1 << 16, &mut output);
    let mut counts = Counts::default();
    let mut failed: Option<io::Error> = None;
    let limits = Limits { max_line_bytes: args.max_line_bytes };
    let result = zenith_capture::read(format, reader, limits, &mut |event| {
        if failed.is_some() {
            return;
        }
        match event {
            Event::Frame(frame) => {
                let (line, written) = export::line(&frame);
                *match written {
                    Written::Text => &mut counts.text,
                    Written::Decoded => &mut counts.decoded,
                    Written::Binary => &mut counts.binary,
                    Written::Error => &mut counts.error,
                } += 1;
                if let Err(error) = writeln!(output, "{line}") {
                    failed = Some(error);
                }
            }
            Event::Transport(_) => counts.events += 1,
            Event::Skipped(_) => counts.skipped += 1,
        }
    });
    if let Some(error) = failed {
        return Err(Failure::Write(error));
    }
    result.map_err(|e| Failure::Read(e.to_string()))?;
    output.flush().map_err(Failure::Write)?;
    Ok(counts)
}
