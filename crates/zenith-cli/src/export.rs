//! `zenith export`: any capture (HAR, JSON Lines, pcap) written as HAR-style JSON Lines, one
//! message per line, binary messages as the JSON they decode to.

use std::io::{self, Write};
use std::path::PathBuf;

use zenith_capture::Event;
use zenith_capture::export::{self, Written};

use crate::exit::Exit;
use crate::input::{CaptureArgs, open_input};
use crate::render::warn;
use crate::sink::{self, OutputError};

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The capture to export; `-` reads standard input.
    #[arg(value_name = "IN")]
    pub input_file: PathBuf,
    /// Where to write the JSON Lines, whole or not at all (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub capture: CaptureArgs,
}

pub fn run(args: &ExportArgs) -> Exit {
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
            Exit::Clean
        }
        // The reader of the pipe stopped (`| head`): quietly, as for `check`, with no claim.
        Err(Failure::Write(error)) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Clean,
        Err(Failure::Output(error)) if error.is_closed_pipe() => Exit::Clean,
        Err(failure) => {
            warn(format_args!("{source}: {}", failure.text()));
            Exit::Failed
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
    Output(OutputError),
}

impl Failure {
    fn text(&self) -> String {
        match self {
            Failure::Read(reason) => reason.clone(),
            Failure::Write(error) => format!("writing failed: {error}"),
            Failure::Output(error) => error.to_string(),
        }
    }
}

fn export(args: &ExportArgs, source: &str) -> Result<Counts, Failure> {
    let (reader, _) = open_input(&args.input_file).map_err(Failure::Read)?;
    let input = sink::input(&args.input_file);
    let mut output = sink::create(args.output.as_deref(), input.as_ref()).map_err(Failure::Output)?;
    let (format, reader) = args.capture.formatted(reader, source).map_err(Failure::Read)?;
    let mut counts = Counts::default();
    let mut failed: Option<io::Error> = None;
    let limits = args.capture.limits();
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
            // Read only for credentials, by the commands that show text.
            Event::Context(_) => {}
        }
    });
    if let Some(error) = failed {
        return Err(Failure::Write(error));
    }
    result.map_err(|e| Failure::Read(e.to_string()))?;
    output.finish().map_err(Failure::Output)?;
    Ok(counts)
}
