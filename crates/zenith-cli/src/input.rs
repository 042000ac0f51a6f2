//! Reading a capture given on the command line: the file (or standard input), and its format,
//! as given or detected.

use std::fs::File;
use std::io::{self, BufRead, BufReader};

use clap::ValueEnum;
use zenith_capture::{Format, Limits, Unfolded};

use crate::render::warn;

#[derive(Clone, Copy, ValueEnum)]
/// `--input`: the capture's format, when it should not be detected.
pub enum InputFormat {
    Har,
    Jsonl,
    Pcap,
}

/// A capture to read (`-`: standard input), buffered, with its size when it is a file.
pub fn open_input(path: &std::path::Path) -> Result<(Box<dyn BufRead>, Option<u64>), String> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(BufReader::with_capacity(1 << 16, io::stdin())), None));
    }
    let file = open_capture(path).map_err(|e| format!("cannot open: {e}"))?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(BufReader::with_capacity(1 << 16, file)), size))
}

/// The capture file at `path`: a file, a pipe or a device, not a directory.
pub fn open_capture(path: &std::path::Path) -> io::Result<File> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "a directory, not a capture file"));
    }
    Ok(file)
}

/// Where a command's capture comes from and how it is read: the options `check`, `export` and
/// `replay` share.
#[derive(clap::Args)]
pub struct CaptureArgs {
    /// The input format; detected from the content when left out.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input: Option<InputFormat>,
    /// Longest JSON Lines line, or websocket message, read, in bytes; longer ones are reported
    /// unreadable.
    #[arg(long, default_value_t = Limits::default().max_line_bytes, value_name = "BYTES")]
    pub max_line_bytes: usize,
}

impl CaptureArgs {
    pub fn limits(&self) -> Limits {
        Limits { max_line_bytes: self.max_line_bytes }
    }

    /// The input's format, as given or detected, and a reader of it; JSON Lines that is one
    /// pretty-printed message, or an array of them, is read as such, with a warning.
    pub fn formatted<'r>(
        &self,
        reader: Box<dyn BufRead + 'r>,
        source: &str,
    ) -> Result<(Format, Box<dyn BufRead + 'r>), String> {
        let (format, reader): (Format, Box<dyn BufRead>) = match self.input {
            Some(InputFormat::Har) => (Format::Har, Box::new(reader)),
            Some(InputFormat::Jsonl) => (Format::Jsonl, Box::new(reader)),
            Some(InputFormat::Pcap) => (Format::Pcap, Box::new(reader)),
            None => {
                let (format, reader) =
                    zenith_capture::sniff(reader, self.max_line_bytes).map_err(|e| format!("reading failed: {e}"))?;
                (format, Box::new(reader))
            }
        };
        let reader = match format {
            Format::Har | Format::Pcap => reader,
            Format::Jsonl => match zenith_capture::unfold(reader, self.max_line_bytes) {
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
}
