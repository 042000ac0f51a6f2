//! How much of what is found about one message is kept, so that a message with a million
//! problems costs no more memory, nor output, than one with a hundred.

/// How much of what is found about one message is kept: the first [`Budget::MAX_KEPT`] items, as
/// long as their text stays under [`Budget::MAX_BYTES`] (the first is always kept). Once an item
/// is refused, every later one is too, so what is kept is always a prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    kept: usize,
    bytes: usize,
    full: bool,
}

impl Budget {
    /// Items kept per message.
    pub const MAX_KEPT: usize = 100;
    /// Bytes of text (paths and messages) kept per message, beyond the first item.
    pub const MAX_BYTES: usize = 64 * 1024;

    /// True when one more item of `bytes` of text is kept, which it then counts.
    pub fn admit(&mut self, bytes: usize) -> bool {
        self.full |= self.kept > 0 && (self.kept >= Budget::MAX_KEPT || self.bytes + bytes > Budget::MAX_BYTES);
        if !self.full {
            self.kept += 1;
            self.bytes += bytes;
        }
        !self.full
    }

    /// True once an item was refused.
    pub fn is_full(&self) -> bool {
        self.full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_items_are_kept_then_none() {
        let mut budget = Budget::default();
        assert!(budget.admit(Budget::MAX_BYTES * 2), "the first is kept, whatever its size");
        assert!(!budget.admit(1) && budget.is_full(), "then the text budget is spent");
        let mut budget = Budget::default();
        let kept = (0..Budget::MAX_KEPT + 5).filter(|_| budget.admit(10)).count();
        assert_eq!(kept, Budget::MAX_KEPT);
        let mut budget = Budget::default();
        assert!(budget.admit(10) && !budget.admit(Budget::MAX_BYTES));
        assert!(!budget.admit(1), "what is kept is a prefix");
    }
}
