//! A Zenith server made from the schemas: it answers requests and streams subscriptions as the
//! schemas describe them, for client developers and tests.

pub mod feed;
pub mod reply;
