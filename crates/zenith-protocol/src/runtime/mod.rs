//! Hand-written support the generated types build on: text-preserving scalars, secrets, the catalog.

mod catalog;
mod datetime;
mod secret;
mod time;
pub(crate) mod topic;

pub use catalog::{Direction, MessageInfo};
pub use datetime::{DateTime, DateTimeError};
pub use secret::Secret;
pub use time::{Time, TimeError};
pub use topic::Topic;
