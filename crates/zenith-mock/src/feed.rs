//! Subscription data made from the schemas' change rules: a snapshot, then changes that keep it consistent.
