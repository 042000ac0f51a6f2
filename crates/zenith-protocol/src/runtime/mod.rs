//! Hand-written support the generated types build on: text-preserving scalars, secrets, the catalog.

mod catalog;
mod datetime;
pub mod diagnostics;
pub mod schema;
mod secret;
pub mod stream;
mod time;
pub(crate) mod topic;
mod validate;

pub use catalog::{Direction, ErrorCodeInfo, MessageInfo};
pub use datetime::{DateTime, DateTimeError};
pub use diagnostics::{Code, Problem, Report, Severity, Verdict};
pub use secret::{REDACTED, Secret, is_secret_name, is_secret_parameter};
pub use time::{Time, TimeError};
pub use topic::Topic;
pub use validate::Validate;

/// Deserializes a present field as `Some`, even when it is `null`.
///
/// Used for fields that hold any JSON value, so `"Data": null` and an absent `Data` stay apart.
pub fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde::Deserialize::deserialize(deserializer).map(Some)
}
