//! Validators generated from the official JSON Schema Test Suite's schemas, for conformance tests.

use zenith_protocol::runtime::schema::Node;

/// One suite schema with its tests and the validators generated for it.
pub struct SuiteCase {
    pub file: &'static str,
    pub description: &'static str,
    /// The suite's tests for this schema, as JSON: `[{description, data, valid}]`.
    pub tests: &'static str,
    /// The schema tables generated for it.
    pub schema: &'static Node,
}

include!(concat!(env!("OUT_DIR"), "/suite.rs"));
