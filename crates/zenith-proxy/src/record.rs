//! `--record FILE`: the session written as it is relayed, one message per line in the JSON
//! Lines form `zenith export` writes, with credentials replaced unless asked to keep them.

use std::collections::HashMap;
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
    /// The credentials met so far on each open connection, whose copies are replaced too (one
    /// connection's cannot crowd out another's); `None` keeps them all.
    /// With the messages of each left out (see [`Record::frame`]).
    secrets: Option<HashMap<String, (Secrets, u64)>>,
    /// Distinct credentials followed per connection.
    limit: usize,
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
        let secrets = (!keep_secrets).then(HashMap::new);
        let out = BufWriter::with_capacity(1 << 16, file);
        Ok(Record {
            out,
            secrets,
            limit: zenith_redact::DEFAULT_MAX_CREDENTIALS,
            failed: None,
            reported: false,
            lines: 0,
        })
    }

    /// Writes one message. A credential is replaced from the message it first appears in on;
    /// a copy sent before the credential itself (rare) cannot be, as that line is written. A
    /// connection that met more credentials than can be followed has its later messages left
    /// out (counted, and told by [`Record::forget`]) rather than written with copies unseen.
    pub fn frame(&mut self, frame: &Frame) {
        if self.failed.is_some() {
            return;
        }
        let (line, _) = export::line(frame);
        let line = match &mut self.secrets {
            Some(connections) => {
                let conn = frame.origin.connection();
                let (secrets, withheld) =
                    connections.entry(conn.into_owned()).or_insert_with(|| (Secrets::with_limit(self.limit), 0));
                for credential in zenith_redact::credentials(&line) {
                    secrets.remember(&credential);
                }
                if secrets.overflow() > 0 {
                    *withheld += 1;
                    return;
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

    /// A connection is over: the credentials it met are let go of. Returns how many of its
    /// messages were left out (see [`Record::frame`]).
    pub fn forget(&mut self, conn: &str) -> u64 {
        let connections = self.secrets.as_mut();
        connections.and_then(|c| c.remove(conn)).map_or(0, |(_, withheld)| withheld)
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use zenith_capture::{Body, Direction, Origin};

    use super::*;

    fn message(conn: &str, text: &str) -> Frame {
        let origin = Origin::Live { conn: Arc::from(conn) };
        Frame { origin, time: Some(1.0), direction: Some(Direction::Send), body: Body::Text(text.to_owned()) }
    }

    #[test]
    fn one_connection_past_its_credentials_is_left_out_without_crowding_out_another() {
        let path = std::env::temp_dir().join(format!("zenith-record-{}.jsonl", std::process::id()));
        let mut record = Record::create(&path, false).unwrap();
        record.limit = 2;
        for n in 0..4 {
            record.frame(&message("a", &format!(r#"{{"Data":{{"Password":"pw-a-{n}"}}}}"#)));
        }
        record.frame(&message("b", r#"{"Data":{"Password":"pw-b"}}"#));
        record.frame(&message("b", r#"{"Data":{"Note":"pw-b"}}"#));
        record.flush();
        assert_eq!(record.forget("a"), 2);
        assert_eq!(record.forget("b"), 0);
        let written = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(written.lines().count(), 4, "{written}");
        assert!(!written.contains("pw-"), "{written}");
    }
}
