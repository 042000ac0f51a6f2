//! Typed messages of the Zenith trading websocket protocol.
//!
//! Every type here is generated from the JSON Schemas in `schemas/` (the single source of
//! truth) except the hand-written [`runtime`] support. Build a message with its `new`
//! constructor and serialize it with serde; parse any message with [`Message::parse`].
//!
//! Build the `AuthOwner` request and serialize it:
//!
//! ```
//! use zenith_protocol::auth::AuthOwnerRequest;
//! use zenith_protocol::{AuthOwnerRequestData, Secret};
//!
//! let mut request = AuthOwnerRequest::new(AuthOwnerRequestData {
//!     provider: "Paritech".into(),
//!     client_id: "TriOptimum".into(),
//!     client_secret: None,
//!     user_name: Some("Shodan".into()),
//!     password: Some(Secret::from("Insect")),
//!     scope: Some(vec!["Paritech.Zenith".into()]),
//! });
//! request.transaction_id = Some(1);
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

mod dispatch;
#[rustfmt::skip]
mod generated;
pub mod runtime;
mod scan;

pub use dispatch::{EnvelopeKeys, EnvelopeText, ParseError, TopicProblem, json_kind};
pub use generated::controllers::*;
pub use generated::messages::{
    DEFAULT_ACTION, DEFAULT_CONTROLLER, ERROR_CODES, Message, MessageKind, SECRET_PROPERTIES,
};
pub use generated::types::*;
pub use runtime::{
    Code, Date, DateError, DateTime, DateTimeError, Decimal, DecimalError, Direction, ErrorCodeInfo, Flags,
    MessageInfo, Nullable, Problem, Report, Role, Secret, Severity, Time, TimeError, Topic, TopicError, Validate,
    Verdict,
};
pub use scan::CleanText;
