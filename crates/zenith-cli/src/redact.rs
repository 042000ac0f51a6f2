//! `zenith redact`: reads the capture (spooled to a temporary file when it comes on standard
//! input, since redaction reads it twice), and writes the redacted copy to standard output or,
//! all or nothing, to a file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

use zenith_capture::Format;
use zenith_redact::{Options, RedactError};

use crate::args::jobs;
use crate::exit::Exit;
use crate::input::InputFormat;
use crate::render::warn;
use crate::render::{Counted, progress};
use crate::sink::{self, OutputError};

#[derive(clap::Args)]
pub struct RedactArgs {
    /// The capture to redact; `-` reads standard input.
    #[arg(value_name = "IN")]
    pub input_file: PathBuf,
    /// Where to write the redacted capture, whole or not at all (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// The input format; detected from the content when left out.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input: Option<InputFormat>,
    /// Write even when some parts cannot be redacted with certainty (they are written as found
    /// and listed).
    #[arg(long)]
    pub force: bool,
    /// Distinct credentials remembered to find their copies (about 900 bytes of memory each);
    /// a capture with more is refused unless --force.
    #[arg(long, default_value_t = zenith_redact::DEFAULT_MAX_CREDENTIALS, value_name = "N")]
    pub max_credentials: usize,
    /// Longest JSON Lines line, or HAR value, held at once, in bytes.
    #[arg(long, default_value_t = zenith_redact::Options::default().max_bytes, value_name = "BYTES")]
    pub max_line_bytes: usize,
    /// Threads that redact JSON Lines, from 1 to 256; output is the same for any number.
    /// Defaults to the number of CPUs.
    #[arg(long, short = 'j', value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
}

pub fn run(args: &RedactArgs) -> Exit {
    let source = args.input_file.display().to_string();
    match redact(args) {
        Ok(outcome) => {
            for item in outcome.unredacted.iter().take(20) {
                warn(format_args!("{source}: left as found: {item}"));
            }
            if outcome.unredacted.len() > 20 {
                warn(format_args!("{source}: {} more parts left as found", outcome.unredacted.len() - 20));
            }
            if outcome.untracked > 0 {
                warn(format_args!("{source}: copies of {} credentials were not looked for", outcome.untracked));
            }
            warn(format_args!("{source}: {} credentials replaced", outcome.replaced));
            Exit::Clean
        }
        // The reader of the pipe stopped (`| head`): quietly, as for `check`, with no claim.
        Err(Failure::Redact(RedactError::Io(error))) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Clean,
        Err(Failure::Output(error)) if error.is_closed_pipe() => Exit::Clean,
        Err(failure) => {
            warn(format_args!("{source}: {failure}"));
            Exit::Failed
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("cannot open: {0}")]
    Open(io::Error),
    #[error("reading failed: {0}")]
    Spool(io::Error),
    #[error("{0}")]
    Output(#[from] OutputError),
    #[error("{0}")]
    Redact(#[from] RedactError),
}

fn redact(args: &RedactArgs) -> Result<zenith_redact::Outcome, Failure> {
    // The output first: one that cannot be written fails before a long read.
    let mut output = sink::create(args.output.as_deref(), sink::input(&args.input_file).as_ref())?;
    let mut input = if args.input_file.as_os_str() == "-" {
        spool(&mut io::stdin().lock())?
    } else {
        let mut file = crate::input::open_capture(&args.input_file).map_err(Failure::Open)?;
        // A pipe or a device is read once, as standard input is.
        if file.metadata().is_ok_and(|m| m.is_file()) { file } else { spool(&mut file)? }
    };
    input.seek(SeekFrom::Start(0)).map_err(Failure::Spool)?;
    let format = match args.input {
        Some(InputFormat::Har) => Format::Har,
        Some(InputFormat::Jsonl) => Format::Jsonl,
        Some(InputFormat::Pcap) => Format::Pcap,
        None => {
            let (format, _) = zenith_capture::sniff(&mut input, args.max_line_bytes).map_err(Failure::Open)?;
            input.seek(SeekFrom::Start(0)).map_err(Failure::Open)?;
            format
        }
    };
    // Read twice: the bar covers both passes.
    let size = input.metadata().ok().map(|m| m.len() * 2);
    let bar = progress(size);
    let input = Counted::new(input, bar.clone());
    let options = Options {
        force: args.force,
        max_bytes: args.max_line_bytes,
        max_credentials: args.max_credentials,
        jobs: args.jobs.unwrap_or_else(crate::args::default_jobs),
    };
    let result = zenith_redact::redact(format, input, &mut output, options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let outcome = result?;
    output.finish()?;
    Ok(outcome)
}

/// A copy of `input` in an unnamed temporary file, to be read twice.
fn spool(input: &mut impl Read) -> Result<File, Failure> {
    let mut spool = tempfile::tempfile().map_err(Failure::Spool)?;
    io::copy(input, &mut spool).map_err(Failure::Spool)?;
    Ok(spool)
}
