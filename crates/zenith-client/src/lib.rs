//! A typed async client of the Zenith protocol, on tokio.
//!
//! Each request is answered by its reply type, as the schemas relate them ([`Request`]); each
//! subscription is a stream of its topic's pushes ([`Subscribe`]); TransactionIDs, the matching
//! of replies, `Confirm` and `Unsub` are the client's business, not yours.
//!
//! Sign in, query a security, subscribe to its depth and print the best bid and ask (here
//! against `zenith mock`, started in-process; point `url` at a real server as well):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mock = zenith_mock::Mock::bind(zenith_mock::Options::new("127.0.0.1:0".parse()?)).await?.spawn();
//! # let url = mock.url();
//! use zenith_client::{Client, Event, Options};
//! use zenith_protocol::auth::{AuthOwnerRequest, AuthOwnerRequestData};
//! use zenith_protocol::market::{DepthOrder, DepthTopic, QuerySecurityRequest, QuerySecurityRequestData};
//! use zenith_protocol::shared::Side;
//!
//! let client = Client::connect(&url, Options::default()).await?;
//! let sign_in = AuthOwnerRequestData::builder().provider("Paritech").client_id("demo");
//! let identity = client.sign_in(AuthOwnerRequest::new(sign_in.user_name("demo").password("demo").build()?)).await?;
//! println!("signed in as {}", identity.display_name.unwrap_or_default());
//!
//! let security = client.request(QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"))).await?;
//! println!("{:?}", security.data);
//!
//! let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await?;
//! if let Some(Event::Push(_)) = depth.next().await {
//!     let orders: Vec<DepthOrder> = depth.state().records_as().map(|(_, order)| order).collect::<Result<_, _>>()?;
//!     let prices = |side| orders.iter().filter(move |o| o.side.as_ref() == Some(&side)).filter_map(|o| o.price.clone());
//!     println!("best bid {:?}, best ask {:?}", prices(Side::Bid).max(), prices(Side::Ask).min());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Features: `msgpack` and `bson` speak `ZenithMsgPack` and `ZenithBson` ([`Encoding`]);
//! `validate` checks every message the server sends against its schema and reports each
//! problem through `tracing`, with `zenith check`'s codes.
//!
//! [`Request`]: zenith_protocol::Request
//! [`Subscribe`]: zenith_protocol::Subscribe

mod client;
mod connect;
mod connection;
mod encoding;
mod error;
mod state;
mod subscription;
#[cfg(feature = "validate")]
mod validate;

pub use client::{Client, Options};
pub use connect::Tls;
pub use connection::Reconnect;
pub use encoding::Encoding;
pub use error::ClientError;
pub use state::State;
pub use subscription::{Event, Subscription};
