//! Code generation for the Zenith toolkit: schema files -> one model -> emitted Rust and docs.

pub mod capture_gen;
pub mod emit;
pub mod files;
pub mod model;
pub mod naming;
pub mod schema;

use std::fmt;
use std::path::{Path, PathBuf};

pub use files::{Mode, Report};

/// Where a schema node lives: the file (relative to the repository) and a JSON Pointer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: String,
    pub pointer: String,
}

impl Location {
    pub fn child(&self, segment: &str) -> Location {
        let escaped = segment.replace('~', "~0").replace('/', "~1");
        Location { file: self.file.clone(), pointer: format!("{}/{escaped}", self.pointer) }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.file, self.pointer)
    }
}

/// A schema the generator cannot turn into code, located precisely.
#[derive(Debug)]
pub struct Error {
    pub location: Option<Location>,
    pub message: String,
}

impl Error {
    pub fn at(location: &Location, message: impl Into<String>) -> Error {
        Error { location: Some(location.clone()), message: message.into() }
    }
    pub fn plain(message: impl Into<String>) -> Error {
        Error { location: None, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(location) => write!(f, "{location}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// The repository root (the parent of this crate's directory).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_path_buf()
}

/// Loads `schemas/`, builds the model and writes (or checks) every generated file.
pub fn codegen(root: &Path, mode: Mode) -> Result<Report, Error> {
    let schemas = schema::SchemaSet::load(&root.join("schemas"))?;
    let model = model::Model::build(&schemas)?;
    let mut report = Report::new(mode);
    for (path, contents) in emit::all(&model)? {
        report.ensure_file_contents(root, &path, &contents)?;
    }
    let readme =
        std::fs::read_to_string(root.join("README.md")).map_err(|e| Error::plain(format!("reading README.md: {e}")))?;
    report.ensure_file_contents(root, "README.md", &emit::readme(&model, &readme)?)?;
    Ok(report)
}
