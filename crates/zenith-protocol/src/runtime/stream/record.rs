//! What the one pass records of the change records it checks: what each does, in order, and
//! the values of the properties that never change, so that following a subscription's state
//! needs no second reading of the text.

use std::cell::{Cell, RefCell};

use crate::runtime::changes::{Change, Text};

/// What one pass recorded: the change records, the values of the properties that never
/// change (`x-zenith-fixed`), and whether a key of a free-form object may name or hold a
/// credential (see [`may_mark_secret`](crate::runtime::may_mark_secret)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    pub records: Vec<Change>,
    pub fixed: Vec<(&'static str, Text)>,
    pub secret_keys: bool,
}

thread_local! {
    static RECORDING: RefCell<Option<Recording>> = const { RefCell::new(None) };
    /// Whether this thread records: asked for every change record, so kept apart.
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
}

/// Starts recording on this thread, forgetting anything recorded before.
pub fn start() {
    RECORDING.with(|recording| *recording.borrow_mut() = Some(Recording::default()));
    ACTIVE.set(true);
}

/// Stops recording and returns what was recorded.
pub fn take() -> Recording {
    ACTIVE.set(false);
    RECORDING.with(|recording| recording.borrow_mut().take().unwrap_or_default())
}

#[inline]
pub(super) fn active() -> bool {
    ACTIVE.get()
}

pub(super) fn push(change: Change) {
    add(|recording| recording.records.push(change));
}

pub(super) fn fixed(name: &'static str, value: Text) {
    add(|recording| recording.fixed.push((name, value)));
}

/// Notes a key of a free-form object (one no schema documents), when it may name or hold a
/// credential.
#[inline]
pub(super) fn free_key(key: &str) {
    if active() && super::super::secret::may_mark_secret(key) {
        add(|recording| recording.secret_keys = true);
    }
}

fn add(change: impl FnOnce(&mut Recording)) {
    RECORDING.with(|recording| recording.borrow_mut().as_mut().map(change));
}
