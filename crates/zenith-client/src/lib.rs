//! A typed async client of the Zenith protocol, on tokio.
//!
//! Each request is answered by its reply type, as the schemas relate them ([`Request`]); each
//! subscription is a stream of its topic's pushes ([`Subscribe`]); TransactionIDs, the matching
//! of replies, `Confirm` and `Unsub` are the client's business, not yours.
//!
//! ```no_run
//! # async fn run() -> Result<(), zenith_client::ClientError> {
//! use zenith_client::{Client, Options};
//! use zenith_protocol::auth::{AuthOwnerRequest, AuthOwnerRequestData};
//! use zenith_protocol::market::{DepthTopic, QuerySecurityRequest, QuerySecurityRequestData};
//!
//! let client = Client::connect("ws://127.0.0.1:4800/Zenith?version=2.0", Options::default()).await?;
//! let sign_in = AuthOwnerRequestData::builder().provider("Paritech").client_id("demo");
//! let identity = client.sign_in(AuthOwnerRequest::new(sign_in.user_name("demo").password("demo").build()?)).await?;
//! println!("signed in as {:?}", identity.display_name);
//! let security = client.request(QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"))).await?;
//! println!("{:?}", security.data);
//! let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await?;
//! while let Some(event) = depth.next().await {
//!     println!("{event:?}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`Request`]: zenith_protocol::Request
//! [`Subscribe`]: zenith_protocol::Subscribe

mod client;
mod connect;
mod connection;
mod error;
mod state;
mod subscription;

pub use client::{Client, Options};
pub use connect::Tls;
pub use connection::Reconnect;
pub use error::ClientError;
pub use state::State;
pub use subscription::{Event, Subscription};
