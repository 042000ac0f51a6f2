//! The envelope every message has, read the same way whatever the message.

use crate::{Action, Controller, MessageKind, Topic, TransactionId};

/// What every message carries around its `Data`: which message it is, where it goes, and the
/// TransactionID that ties a reply to its request. Every message type and [`crate::Message`]
/// implement it, with the protocol's defaults applied (`Zenith`, `Publish`).
///
/// ```
/// use zenith_protocol::{Action, Controller, Direction, Message, MessageEnvelope, MessageKind};
/// let text = r#"{"Controller":"Trading","Topic":"PlaceOrder","Action":"Error","TransactionID":9,"Data":"Rejected"}"#;
/// let mut reply = Message::parse_str(text, Direction::Receive).unwrap();
/// assert_eq!(reply.transaction_id(), Some(9));
/// assert_eq!((reply.controller(), reply.action()), (Controller::Trading, Action::Error));
/// assert_eq!(reply.topic().map(|t| t.as_str()), Some("PlaceOrder"));
/// reply.set_transaction_id(10);
/// assert_eq!(reply.to_value()["TransactionID"], 10);
/// ```
pub trait MessageEnvelope {
    /// Which message this is.
    fn kind(&self) -> MessageKind;
    /// The controller it is addressed to or comes from (`Zenith` when left out).
    fn controller(&self) -> Controller;
    /// The topic, with its arguments as sent; none for the few messages that may leave it out.
    fn topic(&self) -> Option<&Topic>;
    /// What the message does (`Publish` when left out).
    fn action(&self) -> Action;
    /// The number that ties a reply to its request, when there is one.
    fn transaction_id(&self) -> Option<TransactionId>;
    /// Sets the number the reply will carry.
    fn set_transaction_id(&mut self, id: TransactionId);
}

impl MessageEnvelope for crate::Message {
    fn kind(&self) -> MessageKind {
        crate::Message::kind(self)
    }

    fn controller(&self) -> Controller {
        self.envelope().controller()
    }

    fn topic(&self) -> Option<&Topic> {
        self.envelope().topic()
    }

    fn action(&self) -> Action {
        self.envelope().action()
    }

    fn transaction_id(&self) -> Option<TransactionId> {
        self.envelope().transaction_id()
    }

    fn set_transaction_id(&mut self, id: TransactionId) {
        self.envelope_mut().set_transaction_id(id)
    }
}
