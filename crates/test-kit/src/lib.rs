//! Helpers the workspace's tests share: where things are, the schemas, captures built in code and checked.

mod capture;
mod check;
mod frame;
mod paths;
mod reference;
mod run;
mod schemas;
mod serving;

pub use capture::{Capture, Message};
pub use check::{Check, Input, check, events};
pub use frame::{MASK, frame, frame_header};
pub use paths::{fresh_dir, root, scratch_dir, scratch_file, shared, shared_dir};
pub use reference::{ExampleText, FACT_TABLES, ReferenceExample, read_example, reference_examples};
pub use run::{Run, records, run, run_slowly};
pub use schemas::{Schemas, schemas};
pub use serving::Serving;

#[cfg(test)]
mod tests;
