//! Typed messages of the Zenith trading websocket protocol.
//!
//! Every type here is generated from the JSON Schemas in `schemas/` (the single source of
//! truth) except the hand-written [`runtime`] support. Build a message with its `new`
//! constructor and serialize it with serde; parse any message with [`Message::parse`].
//!
//! Build the `AuthOwner` request and serialize it:
//!
//! ```
//! use zenith_protocol::auth::{AuthOwnerRequest, AuthOwnerRequestData};
//!
//! let data = AuthOwnerRequestData::builder()
//!     .provider("Paritech")
//!     .client_id("TriOptimum")
//!     .user_name("Shodan")
//!     .password("Insect")
//!     .scope(vec!["Paritech.Zenith".to_owned()])
//!     .build()
//!     .unwrap();
//! let request = AuthOwnerRequest::new(data).with_transaction_id(1);
//!
//! assert_eq!(
//!     serde_json::to_value(&request).unwrap(),
//!     serde_json::json!({
//!         "Controller": "Auth",
//!         "Topic": "AuthOwner",
//!         "TransactionID": 1,
//!         "Data": {
//!             "Provider": "Paritech",
//!             "ClientID": "TriOptimum",
//!             "UserName": "Shodan",
//!             "Password": "Insect",
//!             "Scope": ["Paritech.Zenith"]
//!         }
//!     })
//! );
//! // The password never shows in debug output.
//! assert!(!format!("{request:?}").contains("Insect"));
//! ```
//!
//! Parse the sample reply, which arrives on the `Identify` topic:
//!
//! ```
//! use zenith_protocol::{AuthResult, Direction, Message};
//!
//! let reply = r#"{"Controller":"Auth","Topic":"Identify","TransactionID":1,"Data":{"Result":"Reject"}}"#;
//! match Message::parse_str(reply, Direction::Receive).unwrap() {
//!     Message::IdentifyPush(identify) => {
//!         assert_eq!(identify.transaction_id, Some(1));
//!         assert_eq!(identify.data.result, AuthResult::Reject);
//!     }
//!     other => panic!("unexpected {:?}", other.kind()),
//! }
//! ```

//! Check any message against its schema: every problem, located by JSON Pointer, with a
//! stable code and the schema rule it breaks:
//!
//! ```
//! use zenith_protocol::market::DepthPush;
//! use zenith_protocol::{Code, Validate};
//!
//! let push = serde_json::json!({
//!     "Controller": "Market", "Topic": "Depth!BHP.ASX",
//!     "Data": [{"O": "C", "Order": {"ID": "1"}}]
//! });
//! let report = DepthPush::validate(&push);
//! let problem = report.errors().next().unwrap();
//! assert_eq!((problem.code, problem.instance_path.as_str()), (Code::ForbiddenProperty, "/Data/0/Order"));
//! assert_eq!(problem.message, "`Order` must not appear when `O` is `C`");
//! // Reports serialize, for tools of your own.
//! assert_eq!(serde_json::to_value(&report).unwrap()["problems"][0]["code"], "forbidden-property");
//! ```
//!
//! Where things are: each controller's module holds its messages, their data types, builders
//! and typed topics (`zenith_protocol::auth::AuthOwnerRequest`,
//! `zenith_protocol::market::DepthTopic`); [`shared`] holds what the controllers share (the
//! envelope, code tables such as `Side`, records several controllers use); the crate root holds
//! the values (`Decimal`, `DateTime`, `Secret`, `Topic`), [`Message`] and its envelope
//! ([`MessageEnvelope`]), validation ([`Validate`], [`Report`]), and [`prelude`] the names most
//! programs want. [`runtime`] is what the generated code is built on, for tools.
//!
//! Every struct and enum the schemas make is `#[non_exhaustive]`, so that a schema adding a
//! property or a code is not a breaking change: build values with `new` or `builder()`, and end
//! matches with a `_` arm. Properties no schema documents are kept in each object's
//! `undocumented` and written back, so parsing and serializing give back the same JSON.

mod dispatch;
// A build without every controller leaves some shared tables and imports unused.
#[cfg_attr(
    not(all(
        feature = "auth",
        feature = "channel",
        feature = "fragments",
        feature = "market",
        feature = "news",
        feature = "notify",
        feature = "trading",
        feature = "watchlist"
    )),
    allow(unused)
)]
#[rustfmt::skip]
mod generated;
#[doc(hidden)]
pub mod runtime;
#[cfg(feature = "scan")]
mod scan;
mod subscribe;

pub use dispatch::{EnvelopeKeys, EnvelopeText, ParseError, TopicProblem, controller_topics, json_kind};
pub use generated::controllers::*;
pub use generated::messages::{
    CLIENT_DRIFT, DEFAULT_ACTION, DEFAULT_CONTROLLER, ERROR_CODES, Message, MessageKind, SECRET_PROPERTIES,
};
/// Every generated type by its name alone, as the controller modules and [`shared`] name them.
#[doc(hidden)]
pub use generated::types::*;
pub use runtime::{
    BuildError, Change, ChangeRules, Code, Date, DateError, DateTime, DateTimeError, Decimal, DecimalError, Direction,
    Drift, DriftDecision, ErrorCodeInfo, FieldInfo, Flags, Map, MessageEnvelope, MessageInfo, Nullable, Operation,
    Problem, Report, Request, Role, Secret, Severity, Subscribe, Time, TimeError, Topic, TopicError, TypedTopic,
    Undocumented, Validate, Verdict,
};
#[cfg(feature = "scan")]
pub use scan::CleanText;

/// The names most programs need: `use zenith_protocol::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Action, BuildError, Controller, Date, DateTime, Decimal, Direction, Message, MessageEnvelope, MessageKind,
        ParseError, Report, Request, Secret, SubRequest, Subscribe, Time, Topic, TransactionId, TypedTopic,
        UnsubRequest, Validate,
    };
}

/// The README's Rust snippets, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeSnippets;
