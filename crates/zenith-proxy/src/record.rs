//! `--record FILE`: the session written as it is relayed, one message per line in the JSON
//! Lines form `zenith export` writes, with credentials replaced unless asked to keep them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use zenith_capture::Frame;
use zenith_capture::export;
use zenith_redact::Secrets;

/// The record file, written line by line and flushed whenever the checker has nothing waiting,
/// so that a proxy killed at any moment leaves every line written whole but perhaps the last.
pub struct Record {
    out: BufWriter<File>,
    /// The credentials met so far, whose copies are replaced too; `None` keeps them all.
    secrets: Option<Secrets>,
    /// The first write error: the record stops there, and says so once.
    failed: Option<std::io::Error>,
    /// The failure was handed out to be reported.
    reported: bool,
    lines: u64,
}

impl Record {
    /// Creates (or truncates) the file. With `keep_secrets`, credentials are written as they are.
    pub fn create(path: &Path, keep_secrets: bool) -> std::io::Result<Record> {
        let file = File::create(path)?;
        let secrets = (!keep_secrets).then(|| Secrets::with_limit(zenith_redact::DEFAULT_MAX_CREDENTIALS));
        Ok(Record { out: BufWriter::with_capacity(1 << 16, file), secrets, failed: None, reported: false, lines: 0 })
    }

    /// Writes one message. A credential is replaced from the message it first appears in on;
    /// a copy sent before the credential itself (rare) cannot be, as that line is written.
    pub fn frame(&mut self, frame: &Frame) {
        if self.failed.is_some() {
            return;
        }
        let (line, _) = export::line(frame);
        let line = match &mut self.secrets {
            Some(secrets) => {
                for credential in zenith_redact::credentials(&line) {
                    secrets.remember(&credential);
                }
                secrets.prepare();
                zenith_redact::scrub(&line, secrets)
            }
            None => line,
        };
        let written = self.out.write_all(line.as_bytes()).and_then(|()| self.out.write_all(b"\n"));
        match written {
            Ok(()) => self.lines += 1,
            Err(error) => self.failed = Some(error),
        }
    }

    /// Sends what is written to the file.
    pub fn flush(&mut self) {
        if self.failed.is_none()
            && let Err(error) = self.out.flush()
        {
            self.failed = Some(error);
        }
    }

    /// The lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The write error that stopped the record, the first time it is asked: its message, to be
    /// reported.
    pub fn failure(&mut self) -> Option<String> {
        let error = self.failed.as_ref().filter(|_| !self.reported)?;
        self.reported = true;
        Some(format!("writing the record failed: {error}; later messages are not recorded"))
    }
}
