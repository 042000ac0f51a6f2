//! The words of the Zenith protocol that both the code generator (`xtask`) and the runtime
//! (`zenith-protocol`) speak: which way a message travels, the role it plays, what a change
//! record does, the string formats and JSON types a schema names, and the limits the generator
//! promises the runtime. Each word is defined here once, with the spelling the schemas use, so
//! the generator reads a schema into exactly the values the runtime later matches on. The crate
//! has no dependencies; the generator writes these values into generated code itself.

mod changes;
mod direction;
mod drift;
mod json;
#[rustfmt::skip]
mod roles;

pub use changes::{MAX_READS, NO_PROPERTY, Operation};
pub use direction::{Direction, Role};
pub use drift::DriftDecision;
pub use json::{Format, JsonType, JsonTypes};
