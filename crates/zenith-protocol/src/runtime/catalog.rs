//! What the schemas say about each message kind: its envelope keys and where its schema lives.

pub use zenith_vocab::{Direction, Role};

/// A message's property, as the reference and `zenith explain` describe it.
#[derive(Clone, Copy, Debug)]
pub struct FieldInfo {
    /// The property's path from the message (`Data.Password`, `Data[].Order.ID`).
    pub wire: &'static str,
    /// Its type in words (`array of DepthChange`).
    pub type_text: &'static str,
    pub required: bool,
    pub nullable: bool,
    pub secret: bool,
    pub description: &'static str,
}

/// One entry of the message catalog, taken from a schema's `x-zenith` annotation.
#[derive(Clone, Copy, Debug)]
pub struct MessageInfo {
    /// The Rust type (and schema title) of the message.
    pub name: &'static str,
    /// `None`: valid on every controller.
    pub controller: Option<&'static str>,
    /// `None`: valid for every topic.
    pub topic: Option<&'static str>,
    pub action: &'static str,
    pub direction: Direction,
    /// Topics a reply to this request may arrive on.
    pub reply_topics: &'static [&'static str],
    /// The forms of the topic's arguments (`Depth!{Code}.{Market}`); empty when it takes none.
    pub arguments: &'static [super::TopicForm],
    pub schema_id: &'static str,
    /// The schema file, relative to the repository root.
    pub schema_file: &'static str,
    /// The first sentence of the schema's description.
    pub summary: &'static str,
    /// The permissions the topic needs; empty when it needs none.
    pub permissions: &'static [&'static str],
    /// Whether a client may send the request again by itself (after a `Retry` reply): false
    /// for requests that act twice when sent twice, such as placing an order.
    pub repeatable: bool,
    /// How the change records in `Data` apply to the subscription's state, if they are such.
    pub changes: Option<&'static super::ChangeRules>,
    /// Properties of `Data` that never change for the life of a subscription.
    pub fixed: &'static [&'static str],
}

/// What the reference says of a message, for tools that explain messages (`zenith explain`,
/// the mock server): `MessageKind::docs`, with the `catalog` feature.
#[derive(Clone, Copy, Debug)]
pub struct MessageDocs {
    /// The schema's description.
    pub description: &'static str,
    /// The message's properties and those of the objects inside them, a few levels down.
    pub fields: &'static [FieldInfo],
    /// The schema's first example, as JSON text, with the values of secret properties replaced.
    pub example: Option<&'static str>,
}

/// A documented action error code (the `Data` of an `Error` message is a code, optionally
/// followed by one space and a suffix such as a symbol).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCodeInfo {
    pub code: &'static str,
    pub meaning: &'static str,
    /// What the suffix names, when the code takes one.
    pub suffix: Option<&'static str>,
}

impl ErrorCodeInfo {
    /// The documented code an error text starts with (`Symbol.NotFound BHP.ASX` gives
    /// `Symbol.NotFound`), if any.
    pub fn find(text: &str) -> Option<&'static ErrorCodeInfo> {
        let code = text.split_once(' ').map_or(text, |(code, _)| code);
        crate::generated::messages::ERROR_CODES.iter().find(|info| info.code == code)
    }
}
