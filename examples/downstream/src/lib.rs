//! A small trading client built on nothing but the public API of `zenith-protocol`.
//!
//! [`book`] keeps a symbol's order book from `Depth` pushes; [`session`] signs in, subscribes,
//! places orders and pairs each reply with its request; [`recorded`] holds the server messages
//! the examples replay instead of a live connection, and [`capture`] reads real ones.
//!
//! # Building generated types from outside the crate
//!
//! The generated structs are `#[non_exhaustive]`: the schemas may gain properties, and the
//! crate may add fields for them without breaking anyone. The price is that code outside the
//! crate cannot write a struct literal, even one naming every field there is today:
//!
//! ```compile_fail,E0639
//! let broker = zenith_protocol::market::Broker {
//!     code: "X".into(),
//!     name: None,
//!     id: None,
//!     undocumented: Default::default(),
//! };
//! ```
//!
//! Build one with `new` (required fields only) or with its builder, which checks that every
//! required field is set; reading and updating the public fields stays open:
//!
//! ```
//! use zenith_protocol::market::Broker;
//!
//! let mut broker = Broker::builder().code("X").name("Example Securities").id(17).build()?;
//! broker.name = None;
//! assert_eq!((broker.code.as_str(), broker.id), ("X", Some(17)));
//! assert_eq!(Broker::new("X").code, "X");
//!
//! // A builder missing a required field says which.
//! let missing = Broker::builder().name("Nameless").build().unwrap_err();
//! assert_eq!(missing.missing, "Code");
//! # Ok::<(), zenith_protocol::BuildError>(())
//! ```

#[cfg(feature = "market")]
pub mod book;
pub mod capture;
pub mod recorded;
#[cfg(feature = "trading")]
pub mod session;
