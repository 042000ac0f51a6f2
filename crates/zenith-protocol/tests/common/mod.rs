//! Shared helpers for the integration tests: the schema files and the reference fact tables.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every schema file as (path relative to the repository, parsed JSON), in path order.
pub fn schema_files() -> Vec<(String, Value)> {
    let mut files = Vec::new();
    collect(&repo_root().join("schemas"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(repo_root()).unwrap().to_string_lossy().replace('\\', "/");
            let value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            (relative, value)
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// The reference's fact tables, when the shared material is beside the checkout.
pub fn reference_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/spec/zenith-api");
    dir.is_dir().then_some(dir)
}
