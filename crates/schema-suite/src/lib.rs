//! Validators generated from the official JSON Schema Test Suite's schemas, for conformance tests.

use serde_json::Value;
use zenith_protocol::runtime::diagnostics::{Verdict, Walker};

/// One suite schema with its tests and the validators generated for it.
pub struct SuiteCase {
    pub file: &'static str,
    pub description: &'static str,
    /// The suite's tests for this schema, as JSON: `[{description, data, valid}]`.
    pub tests: &'static str,
    pub fast: fn(&Value) -> Verdict,
    pub full: fn(&Value, &mut Walker),
    /// The streaming checker over JSON text.
    pub stream: fn(&str) -> Result<Verdict, serde_json::Error>,
}

include!(concat!(env!("OUT_DIR"), "/suite.rs"));
