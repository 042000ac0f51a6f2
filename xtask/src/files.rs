//! Writing generated files, or reporting the ones that are out of date.

use std::fmt;
use std::path::Path;

use crate::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// What a codegen run did: files written, or files found stale.
#[derive(Debug)]
pub struct Report {
    mode: Mode,
    pub changed: Vec<String>,
    pub unchanged: usize,
}

impl Report {
    pub fn new(mode: Mode) -> Report {
        Report { mode, changed: Vec::new(), unchanged: 0 }
    }

    /// True unless a check found stale files.
    pub fn is_ok(&self) -> bool {
        self.mode == Mode::Write || self.changed.is_empty()
    }

    /// Writes `contents` to `root/path` if it differs (or, in check mode, records it as stale).
    pub fn ensure_file_contents(&mut self, root: &Path, path: &str, contents: &str) -> Result<(), Error> {
        let full = root.join(path);
        if std::fs::read_to_string(&full).is_ok_and(|old| old == contents) {
            self.unchanged += 1;
            return Ok(());
        }
        self.changed.push(path.to_owned());
        if self.mode == Mode::Write {
            if let Some(dir) = full.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::plain(format!("creating {}: {e}", dir.display())))?;
            }
            std::fs::write(&full, contents).map_err(|e| Error::plain(format!("writing {path}: {e}")))?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.mode, self.changed.is_empty()) {
            (_, true) => writeln!(f, "codegen: all {} generated files are up to date", self.unchanged),
            (Mode::Write, false) => {
                for path in &self.changed {
                    writeln!(f, "updated {path}")?;
                }
                Ok(())
            }
            (Mode::Check, false) => {
                writeln!(f, "codegen: these generated files are stale:")?;
                for path in &self.changed {
                    writeln!(f, "  {path}")?;
                }
                writeln!(f, "run `cargo xtask codegen` and commit the result")
            }
        }
    }
}
