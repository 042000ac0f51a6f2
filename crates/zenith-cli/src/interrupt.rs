//! Temporary output files that are removed when zenith is interrupted (SIGINT, SIGTERM,
//! SIGHUP), after which zenith ends by that signal, as it would have without them.

use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tempfile::TempPath;

/// The temporary files being written; each is removed when its entry is dropped. Whoever holds
/// the lock decides a file's fate, so an interruption never lands between creating a file and
/// listing it, nor between renaming it into place and forgetting it.
static PENDING: Mutex<Vec<TempPath>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<TempPath>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts, once, the thread that waits for a terminating signal, removes the temporary files
/// and ends the process by that signal (the shell shows 128 + its number: 130, 143, 129). A
/// signal that zenith was started ignoring (`nohup`, `&` in a script) stays ignored.
fn watch() -> io::Result<()> {
    static WATCHING: OnceLock<Result<(), io::ErrorKind>> = OnceLock::new();
    let started = WATCHING.get_or_init(|| {
        let watched = [SIGINT, SIGTERM, SIGHUP].into_iter().filter(|&signal| !ignored(signal));
        let mut signals = Signals::new(watched).map_err(|e| e.kind())?;
        let watcher = move || {
            if let Some(signal) = signals.forever().next() {
                let mut pending = pending();
                pending.clear();
                // Ends the process; the lock is never given back, so no file is renamed after.
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        };
        std::thread::Builder::new().name("interrupt".into()).spawn(watcher).map(drop).map_err(|e| e.kind())
    });
    started.map_err(io::Error::from)
}

/// Whether `signal` is set to be ignored.
fn ignored(signal: libc::c_int) -> bool {
    let mut action = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: with no new action given, sigaction only writes the current one into `action`.
    let known = unsafe { libc::sigaction(signal, std::ptr::null(), action.as_mut_ptr()) } == 0;
    // SAFETY: zeroed, then filled in by sigaction.
    known && unsafe { action.assume_init() }.sa_sigaction == libc::SIG_IGN
}

/// A file being written in a directory under a temporary name (`.zenith-XXXXXX.tmp`): renamed
/// into place by [`Temporary::persist`], removed when dropped or when zenith is interrupted.
pub struct Temporary {
    file: File,
    path: PathBuf,
}

impl Temporary {
    pub fn new_in(dir: &Path) -> io::Result<Temporary> {
        watch()?;
        let mut pending = pending();
        let (file, temp_path) =
            tempfile::Builder::new().prefix(".zenith-").suffix(".tmp").tempfile_in(dir)?.into_parts();
        let path = temp_path.to_path_buf();
        pending.push(temp_path);
        Ok(Temporary { file, path })
    }

    pub fn set_permissions(&self, permissions: Permissions) -> io::Result<()> {
        self.file.set_permissions(permissions)
    }

    /// Puts the file, written whole and synced to disk, in the place of `target`.
    pub fn persist(self, target: &Path) -> io::Result<()> {
        self.file.sync_all()?;
        let mut pending = pending();
        let temp_path = take(&mut pending, &self.path).ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        temp_path.persist(target).map_err(|e| e.error)
    }
}

/// Takes the entry of `path` off the list.
fn take(pending: &mut Vec<TempPath>, path: &Path) -> Option<TempPath> {
    let index = pending.iter().position(|entry| **entry == *path)?;
    Some(pending.swap_remove(index))
}

impl Drop for Temporary {
    fn drop(&mut self) {
        // Not persisted: removed (as the entry drops).
        let mut pending = pending();
        drop(take(&mut pending, &self.path));
    }
}

impl Write for Temporary {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
