//! Where the repository, the shared material beside it and the tests' scratch files are.

use std::path::{Path, PathBuf};

/// The repository root, canonical.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the test kit lives two levels below the repository root")
}

/// The `shared` directory beside the checkout (`../shared` from the root), which holds the
/// reference's fact tables, real captures and the AsyncAPI meta-schema. It may be missing:
/// tests that need it use [`shared_dir`] and skip without it.
pub fn shared() -> PathBuf {
    let root = root();
    root.parent().map_or_else(|| root.join("../shared"), |parent| parent.join("shared"))
}

/// `relative` inside [`shared`] when that directory exists; `None` (and a line on standard error
/// saying the test is skipped) when it does not.
pub fn shared_dir(relative: &str) -> Option<PathBuf> {
    let dir = shared().join(relative);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: ../shared/{relative} is not beside the checkout");
        None
    }
}

/// A directory of this test process for `label`, `zenith-{label}-{pid}` in the temporary
/// directory, created if missing and kept as it is otherwise.
pub fn scratch_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zenith-{label}-{}", std::process::id()));
    if !dir.exists() {
        sweep(label);
    }
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// Removes the scratch directories of `label` that earlier test runs left behind (their process
/// is gone), so that repeated runs do not fill the disk.
fn sweep(label: &str) {
    let prefix = format!("zenith-{label}-");
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(&prefix)).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The file `name` of [`scratch_dir`]`(label)`, holding `bytes`.
pub fn scratch_file(label: &str, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = scratch_dir(label).join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

/// A fresh, empty [`scratch_dir`]: whatever an earlier run left there is removed first.
pub fn fresh_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zenith-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    scratch_dir(label)
}
