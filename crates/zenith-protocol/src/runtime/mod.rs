//! Hand-written support the generated types build on: text-preserving scalars, secrets, the catalog.

/// Equality, hashing and ordering of a type by what `$key` makes of a value (a text-keeping
/// value type compares by what its text means, not how it is written).
macro_rules! by_value {
    ($type:ty, |$value:ident| $key:expr) => {
        impl $type {
            fn value_key(&self) -> impl Ord + std::hash::Hash + '_ {
                let $value = self;
                $key
            }
        }

        impl PartialEq for $type {
            fn eq(&self, other: &$type) -> bool {
                self.value_key() == other.value_key()
            }
        }

        impl Eq for $type {}

        impl std::hash::Hash for $type {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.value_key().hash(state);
            }
        }

        impl Ord for $type {
            fn cmp(&self, other: &$type) -> std::cmp::Ordering {
                self.value_key().cmp(&other.value_key())
            }
        }

        impl PartialOrd for $type {
            fn partial_cmp(&self, other: &$type) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
    };
}

mod budget;
mod build;
mod calls;
mod catalog;
pub mod changes;
mod date;
mod datetime;
mod decimal;
pub mod diagnostics;
mod drift;
mod envelope;
mod flags;
mod map;
mod nullable;
mod parse;
mod pattern;
pub mod schema;
mod secret;
pub mod state;
pub mod stream;
mod time;
pub mod topic;
mod tuple;
mod undocumented;
mod validate;

pub use budget::Budget;
pub use build::BuildError;
pub use calls::{Request, Subscribe};
pub use catalog::{Direction, ErrorCodeInfo, FieldInfo, MessageDocs, MessageInfo, Role};
pub use changes::{Change, ChangeRules, Equals, Operation, Position, When};
pub use date::{Date, DateError};
pub use datetime::{DateTime, DateTimeError};
pub use decimal::{Decimal, DecimalError};
pub use diagnostics::{Code, Omitted, Problem, Report, Severity, Verdict};
pub use drift::{Drift, DriftDecision};
pub use envelope::MessageEnvelope;
pub use flags::Flags;
pub use map::Map;
pub use nullable::Nullable;
pub use parse::{read_as, read_nested, union_tag};
pub use secret::{
    REDACTED, Secret, is_secret_name, is_secret_parameter, may_hold_free_text_credentials, may_mark_secret,
};
pub use time::{Time, TimeError};
pub use topic::{Topic, TopicError, TopicForm, TopicPart, TypedTopic, read_arguments, read_topic};
pub use tuple::{JsonKind, TupleReader, TupleWriter};
pub use undocumented::Undocumented;
pub use validate::Validate;

/// `an` before a vowel sound (`an AuthOwnerRequest`), `a` otherwise.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// Deserializes a present field as `Some`, even when it is `null`.
///
/// Used for fields that may be `null`, so `"Data": null` and an absent `Data` stay apart.
pub fn some<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}
