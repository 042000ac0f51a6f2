//! Which reply answers each request, and which push each subscription brings, as the schemas say.

use crate::{Message, MessageEnvelope, TypedTopic};

/// A request whose reply the schemas name: the reply on the request's own topic, which a client
/// awaits after sending it (`QuerySecurityRequest` is answered by `QuerySecurityReply`).
///
/// ```
/// use zenith_protocol::Request;
/// use zenith_protocol::market::{QuerySecurityReply, QuerySecurityRequest};
/// fn reply_of<R: Request>() -> &'static str {
///     std::any::type_name::<R::Reply>()
/// }
/// assert!(reply_of::<QuerySecurityRequest>().ends_with("QuerySecurityReply"));
/// ```
pub trait Request: MessageEnvelope + serde::Serialize + Into<Message> {
    /// The reply on the request's own topic. A reply may also come on another topic the request
    /// names (an `AmendOrder` answered on `PlaceOrder`), in the same shape: it reads as this type.
    type Reply: MessageEnvelope + TryFrom<Message, Error = Message> + serde::de::DeserializeOwned + Send + 'static;
}

/// A typed topic a client can subscribe to, and the push its subscribers receive
/// (`DepthTopic` brings `DepthPush`).
pub trait Subscribe: TypedTopic + Clone + Send + 'static {
    /// The message the server sends to the topic's subscribers.
    type Push: MessageEnvelope + TryFrom<Message, Error = Message> + Send + 'static;
}
