//! Where `export` and `redact` write: standard output, or a file written whole under a
//! temporary name beside it and renamed over it when complete; never into the capture read.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::interrupt::Temporary;

/// Whether standard output was closed when zenith started (`>&-`). Before `main`, the Rust
/// runtime puts /dev/null in the place of a closed standard stream, where every write
/// succeeds and is lost; so this is looked at before the runtime starts.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

#[ctor::ctor(unsafe)]
fn note_a_closed_stdout() {
    // SAFETY: F_GETFD only asks whether the descriptor is open.
    if unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) } == -1 {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("standard output is closed, so nothing could be written: name a file with -o, or redirect the output")]
    Closed,
    #[error(
        "standard output is the capture being read, which would be written over while it is read: write to another file, or use -o to replace the capture safely"
    )]
    OverInput,
    #[error("cannot write {0}: it is the capture being read")]
    Input(String),
    #[error("cannot write {0}: {1}")]
    Write(String, io::Error),
}

impl OutputError {
    /// The reader of a pipe went away (`| head`): the output ends quietly, as for `check`.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, OutputError::Write(_, error) if error.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// An output being written, buffered; [`Sink::finish`] completes it. Dropped unfinished, a
/// file is left as it was.
pub struct Sink {
    writer: BufWriter<Target>,
    name: String,
}

enum Target {
    Stdout(io::StdoutLock<'static>),
    /// A device or a pipe, written to as it is: renaming over it would replace it.
    Stream(File),
    /// A file, written under a temporary name and renamed to the path when complete.
    File(Temporary, PathBuf),
}

/// The output at `path`, or standard output; `input` is the capture being read (see [`input`]),
/// which the output may not be, except a file named with `-o`, replaced only once complete.
pub fn create(path: Option<&Path>, input: Option<&Metadata>) -> Result<Sink, OutputError> {
    let (target, name) = match path {
        None => (stdout(input)?, "standard output".to_owned()),
        Some(path) => (file(path, input)?, path.display().to_string()),
    };
    Ok(Sink { writer: BufWriter::with_capacity(1 << 16, target), name })
}

/// What the capture at `path` (`-`: standard input) is, to keep from writing over it.
pub fn input(path: &Path) -> Option<Metadata> {
    if path.as_os_str() == "-" { metadata(io::stdin().as_fd()).ok() } else { std::fs::metadata(path).ok() }
}

fn metadata(fd: BorrowedFd<'_>) -> io::Result<Metadata> {
    File::from(fd.try_clone_to_owned()?).metadata()
}

/// Whether writing to one would change what is read from the other: the same file, or the
/// same pipe (a terminal or another device may well be read and written at once).
fn same_data(one: &Metadata, other: &Metadata) -> bool {
    one.dev() == other.dev() && one.ino() == other.ino() && !one.file_type().is_char_device()
}

fn stdout(input: Option<&Metadata>) -> Result<Target, OutputError> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Err(OutputError::Closed);
    }
    let stdout = io::stdout();
    if let (Some(input), Ok(output)) = (input, metadata(stdout.as_fd()))
        && same_data(input, &output)
    {
        return Err(OutputError::OverInput);
    }
    Ok(Target::Stdout(stdout.lock()))
}

/// A path that names a symbolic link is followed (the link stays, the file it leads to is
/// replaced); a file written over keeps its permissions, a new one is readable by its owner
/// only (as exports hold credentials).
fn file(path: &Path, input: Option<&Metadata>) -> Result<Target, OutputError> {
    let failed = |error| OutputError::Write(path.display().to_string(), error);
    let existing = std::fs::metadata(path).ok();
    if let Some(existing) = existing.as_ref().filter(|m| !m.is_file()) {
        if input.is_some_and(|input| same_data(input, existing)) {
            return Err(OutputError::Input(path.display().to_string()));
        }
        return OpenOptions::new().write(true).open(path).map(Target::Stream).map_err(failed);
    }
    let target = if existing.is_some() { std::fs::canonicalize(path).map_err(failed)? } else { path.to_path_buf() };
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temporary = Temporary::new_in(dir).map_err(failed)?;
    if let Some(existing) = existing {
        temporary.set_permissions(existing.permissions()).map_err(failed)?;
    }
    Ok(Target::File(temporary, target))
}

impl Sink {
    /// Writes out what is buffered and, for a file, puts it in place.
    pub fn finish(self) -> Result<(), OutputError> {
        let Sink { writer, name } = self;
        let failed = |error| OutputError::Write(name.clone(), error);
        match writer.into_inner().map_err(|e| failed(e.into_error()))? {
            Target::Stdout(mut stdout) => stdout.flush().map_err(failed),
            Target::Stream(mut stream) => stream.flush().map_err(failed),
            Target::File(temporary, target) => temporary.persist(&target).map_err(failed),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Stdout(stdout) => stdout.write(buf),
            Target::Stream(stream) => stream.write(buf),
            Target::File(temporary, _) => temporary.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Stdout(stdout) => stdout.flush(),
            Target::Stream(stream) => stream.flush(),
            Target::File(temporary, _) => temporary.flush(),
        }
    }
}
