//! A Zenith server made from the schemas: it answers requests and streams subscriptions as the
//! schemas describe them, for client developers and tests.

mod codec;
pub mod faults;
pub mod feed;
pub mod reply;
pub mod scenario;
mod server;
pub mod session;
pub mod users;

pub use codec::Codec;
pub use faults::{Faults, FaultsError};
pub use server::{ConnectionReport, Event, Mock, MockError, Options, Running};
pub use session::{Counts, Session, Shared};
pub use users::{User, Users, UsersError};
