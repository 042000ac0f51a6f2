//! Validation results and how problems are found and worded: [`report`] holds the results,
//! [`walker`] the walker the generated validators report through, [`text`] the wording helpers
//! (near misses, excerpts) that other layers share.

mod report;
pub mod text;
mod walker;

pub use report::{Code, Omitted, Problem, Report, Severity, Verdict};
pub use text::{code_suggestion, excerpt, is_integer, json_kind, length, near_miss, suggestion};
pub use walker::{Walker, describe};
