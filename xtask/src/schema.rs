//! Loading the schema files and resolving `$ref` between them.

use std::path::Path;

use serde_json::Value;
use url::Url;

use crate::{Error, Location};

/// The base every schema `$id` lives under; the path after it mirrors `schemas/`.
pub const ID_BASE: &str = "https://zenith-protocol.invalid/schemas/";

/// One schema file.
#[derive(Debug)]
pub struct Document {
    /// Path relative to the repository root, with `/` separators.
    pub file: String,
    pub id: Url,
    pub root: Value,
}

/// Every schema file, in path order (which makes generation deterministic).
#[derive(Debug)]
pub struct SchemaSet {
    pub documents: Vec<Document>,
}

impl SchemaSet {
    /// Loads every `*.json` under `dir` (the repository's `schemas/`).
    pub fn load(dir: &Path) -> Result<SchemaSet, Error> {
        let mut paths = Vec::new();
        collect_json(dir, &mut paths)?;
        paths.sort();
        let mut documents = Vec::new();
        for path in paths {
            let relative = path.strip_prefix(dir).expect("collected under dir");
            let relative = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            let file = format!("schemas/{relative}");
            let text = std::fs::read_to_string(&path).map_err(|e| Error::plain(format!("{file}: {e}")))?;
            let root: Value =
                serde_json::from_str(&text).map_err(|e| Error::plain(format!("{file}: not valid JSON: {e}")))?;
            documents.push((file, root));
        }
        if documents.is_empty() {
            return Err(Error::plain(format!("no schema files found under {}", dir.display())));
        }
        SchemaSet::from_documents(documents)
    }

    /// A set from documents already in memory, each named `schemas/<path>`; every `$id` must be
    /// [`ID_BASE`] followed by that path.
    pub fn from_documents(documents: Vec<(String, Value)>) -> Result<SchemaSet, Error> {
        let mut set = SchemaSet { documents: Vec::new() };
        for (file, root) in documents {
            let location = Location { file: file.clone(), pointer: String::new() };
            let relative = file.strip_prefix("schemas/").unwrap_or(&file);
            let expected = format!("{ID_BASE}{relative}");
            match root.get("$id").and_then(Value::as_str) {
                Some(id) if id == expected => {}
                Some(id) => {
                    return Err(Error::at(
                        &location,
                        format!("`$id` is `{id}` but the file's path requires `{expected}`"),
                    ));
                }
                None => return Err(Error::at(&location, format!("missing `$id` (expected `{expected}`)"))),
            }
            let id = Url::parse(&expected).map_err(|e| Error::at(&location, format!("bad `$id`: {e}")))?;
            set.documents.push(Document { file, id, root });
        }
        Ok(set)
    }

    pub fn document(&self, file: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.file == file)
    }

    /// Resolves `reference` (a `$ref` value written at `from`) to the location and schema it names.
    pub fn resolve(&self, from: &Location, reference: &str) -> Result<(Location, &Value), Error> {
        let base = &self.document(&from.file).ok_or_else(|| Error::at(from, "unknown file"))?.id;
        let target = base.join(reference).map_err(|e| Error::at(from, format!("bad `$ref` `{reference}`: {e}")))?;
        let mut without_fragment = target.clone();
        without_fragment.set_fragment(None);
        let document = self.documents.iter().find(|d| d.id == without_fragment).ok_or_else(|| {
            Error::at(from, format!("`$ref` `{reference}` names no schema file (resolved to `{without_fragment}`)"))
        })?;
        let pointer = target.fragment().unwrap_or("");
        let pointer = percent_decode(pointer);
        let value = document.root.pointer(&pointer).ok_or_else(|| {
            Error::at(from, format!("`$ref` `{reference}`: `{}` has nothing at `#{pointer}`", document.file))
        })?;
        Ok((Location { file: document.file.clone(), pointer }, value))
    }
}

fn collect_json(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::plain(format!("reading {}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::plain(format!("reading {}: {e}", dir.display())))?.path();
        if path.is_dir() {
            collect_json(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}
