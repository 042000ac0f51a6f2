//! The schema files, loaded once by the code generator's own loader, with `$ref` resolution.

use std::sync::OnceLock;

use serde_json::Value;
use xtask::Location;
use xtask::schema::SchemaSet;

/// Every file of `schemas/`, as the code generator reads them.
pub struct Schemas {
    set: SchemaSet,
}

/// The schemas of the repository, loaded on first use. Panics with the loader's message when a
/// file cannot be read or its `$id` does not match its path.
pub fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let set = SchemaSet::load(&crate::root().join("schemas")).unwrap_or_else(|e| panic!("loading schemas: {e}"));
        Schemas { set }
    })
}

impl Schemas {
    /// Every file as (path relative to the repository, such as `schemas/auth/AuthOwner.request.json`,
    /// parsed JSON), in path order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.set.documents.iter().map(|d| (d.file.as_str(), &d.root))
    }

    /// The file at `path` (relative to the repository); panics if there is none.
    pub fn file(&self, path: &str) -> &Value {
        &self.set.document(path).unwrap_or_else(|| panic!("no schema file {path}")).root
    }

    /// Follows `schema`'s `$ref`, and the target's, until a schema without one: the file it is in
    /// and the schema. `file` is the file `schema` was found in; a schema without `$ref` is
    /// returned as it is. Panics on a reference that names nothing.
    pub fn resolve<'a>(&'a self, file: &str, schema: &'a Value) -> (String, &'a Value) {
        let (mut file, mut schema) = (file.to_owned(), schema);
        // No schema chains this many references; more is a cycle.
        for _ in 0..64 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                return (file, schema);
            };
            let from = Location { file, pointer: String::new() };
            let (to, target) = self.set.resolve(&from, reference).unwrap_or_else(|e| panic!("{e}"));
            (file, schema) = (to.file, target);
        }
        panic!("`$ref`s from {file} go round in a cycle")
    }
}
