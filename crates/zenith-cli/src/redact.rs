//! `zenith redact`: reads the capture (spooled to a temporary file when it comes on standard
//! input, since redaction reads it twice), and writes the redacted copy to standard output or,
//! all or nothing, to a file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::ExitCode;

use zenith_capture::Format;
use zenith_redact::{Options, RedactError};

use crate::render::{Counted, progress};
use crate::{InputFormat, RedactArgs, warn};

pub fn run(args: &RedactArgs) -> ExitCode {
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
            ExitCode::SUCCESS
        }
        Err(Failure::Redact(RedactError::Io(error))) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            warn(format_args!("{source}: {failure}"));
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("cannot open: {0}")]
    Open(io::Error),
    #[error("reading standard input failed: {0}")]
    Spool(io::Error),
    #[error("cannot write {0}: {1}")]
    Write(String, io::Error),
    #[error("{0}")]
    Redact(#[from] RedactError),
}

fn redact(args: &RedactArgs) -> Result<zenith_redact::Outcome, Failure> {
    let mut input = if args.input_file.as_os_str() == "-" {
        let mut spool = tempfile::tempfile().map_err(Failure::Spool)?;
        io::copy(&mut io::stdin().lock(), &mut spool).map_err(Failure::Spool)?;
        spool
    } else {
        File::open(&args.input_file).map_err(Failure::Open)?
    };
    input.seek(SeekFrom::Start(0)).map_err(Failure::Spool)?;
    let format = match args.input {
        Some(InputFormat::Har) => Format::Har,
        Some(InputFormat::Jsonl) => Format::Jsonl,
        Some(InputFormat::Pcap) => Format::Pcap,
        None => {
            let mut start = Vec::with_capacity(zenith_capture::SNIFF_BYTES);
            (&mut input).take(zenith_capture::SNIFF_BYTES as u64).read_to_end(&mut start).map_err(Failure::Open)?;
            input.seek(SeekFrom::Start(0)).map_err(Failure::Open)?;
            zenith_capture::detect_prefix(&start)
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
        jobs: args.jobs.unwrap_or_else(crate::default_jobs),
    };
    let result = match &args.output {
        Some(path) => to_file(format, input, path, options),
        None => {
            let mut stdout = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
            zenith_redact::redact(format, input, &mut stdout, options).map_err(Failure::from)
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

/// Writes to a temporary file beside `path`, renamed over it only when redaction succeeds, so a
/// refused or failed redaction leaves nothing behind. A path that names a symbolic link is
/// followed (the link stays); one that names something other than a file (`/dev/null`, a
/// pipe) is written to as it is, since renaming over it would replace it.
fn to_file(
    format: Format,
    input: impl Read + Seek,
    path: &Path,
    options: Options,
) -> Result<zenith_redact::Outcome, Failure> {
    let name = path.display().to_string();
    let target = match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => {
            let file =
                std::fs::OpenOptions::new().write(true).open(path).map_err(|e| Failure::Write(name.clone(), e))?;
            let mut writer = io::BufWriter::with_capacity(1 << 16, file);
            let outcome = zenith_redact::redact(format, input, &mut writer, options)?;
            writer.flush().map_err(|e| Failure::Write(name, e))?;
            return Ok(outcome);
        }
        Ok(_) => std::fs::canonicalize(path).map_err(|e| Failure::Write(name.clone(), e))?,
        Err(_) => path.to_path_buf(),
    };
    let path = target.as_path();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temporary = tempfile::NamedTempFile::new_in(dir).map_err(|e| Failure::Write(name.clone(), e))?;
    let mut writer = io::BufWriter::with_capacity(1 << 16, temporary);
    let outcome = zenith_redact::redact(format, input, &mut writer, options)?;
    writer.flush().map_err(|e| Failure::Write(name.clone(), e))?;
    let temporary = writer.into_inner().map_err(|e| Failure::Write(name.clone(), e.into_error()))?;
    // A file written over keeps its permissions; a new one gets the temporary file's (owner only).
    if let Ok(metadata) = std::fs::metadata(path) {
        std::fs::set_permissions(temporary.path(), metadata.permissions())
            .map_err(|e| Failure::Write(name.clone(), e))?;
    }
    temporary.persist(path).map_err(|e| Failure::Write(name, e.error))?;
    Ok(outcome)
}
