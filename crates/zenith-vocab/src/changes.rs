//! The words of change rules (`x-zenith-changes`): what a record does, and where it is read.

/// The most properties a change record is read for (the generator refuses more, so the
/// runtime holds the values read in a fixed array).
pub const MAX_READS: usize = 4;

/// No property: a read of a record's own property has no nested one.
pub const NO_PROPERTY: usize = usize::MAX;

/// What a change record does to the state of its subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A record with a new key.
    Add,
    /// Changes to the record with this key.
    Update,
    /// The record with this key is gone; for a positional record, `count` items from `at`.
    Remove,
    /// Every record is gone (or, for a scoped clear, every record of its scope).
    Clear,
    /// A record added, or updated when its key is there already.
    Set,
    /// Items inserted before position `at`.
    Insert,
    /// Items overwritten from position `at` on.
    Replace,
}

impl Operation {
    /// Every operation, in the order the annotation's documentation lists them.
    pub const ALL: &'static [Operation] = &[
        Operation::Add,
        Operation::Update,
        Operation::Remove,
        Operation::Clear,
        Operation::Set,
        Operation::Insert,
        Operation::Replace,
    ];

    /// The operations a keyed record may do.
    pub const KEYED: &'static [Operation] =
        &[Operation::Add, Operation::Update, Operation::Remove, Operation::Clear, Operation::Set];

    /// The operations a positional record may do.
    pub const POSITIONAL: &'static [Operation] =
        &[Operation::Insert, Operation::Replace, Operation::Remove, Operation::Clear];

    /// The operation's name in `x-zenith-changes` (`add`, `update`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Add => "add",
            Operation::Update => "update",
            Operation::Remove => "remove",
            Operation::Clear => "clear",
            Operation::Set => "set",
            Operation::Insert => "insert",
            Operation::Replace => "replace",
        }
    }

    /// The operation an annotation names `text`; `None` for a name it does not know.
    pub fn parse(text: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|operation| operation.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_read_back_as_they_are_written() {
        for &operation in Operation::ALL {
            assert_eq!(Operation::parse(operation.as_str()), Some(operation));
        }
        assert_eq!(Operation::parse("Add"), None);
    }

    #[test]
    fn every_operation_suits_keyed_or_positional_records() {
        for operation in Operation::ALL {
            assert!(Operation::KEYED.contains(operation) || Operation::POSITIONAL.contains(operation));
        }
        assert!(!Operation::KEYED.contains(&Operation::Insert));
        assert!(!Operation::POSITIONAL.contains(&Operation::Add));
    }
}
