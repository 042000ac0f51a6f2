//! Parsing a JSON message into its typed form, dispatched by its envelope keys.

use std::borrow::Cow;

use serde_json::Value;

use crate::generated::messages::{DEFAULT_ACTION, DEFAULT_CONTROLLER};
use crate::runtime::diagnostics::near_miss;
use crate::runtime::{Direction, topic};
use crate::{Controller, Message, MessageKind};

/// The keys that choose a message's schema, with the protocol's defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeKeys<'a> {
    /// [`DEFAULT_CONTROLLER`] (`Zenith`) when absent.
    pub controller: &'a str,
    /// The topic name without arguments; `None` when absent (allowed only on `Error`).
    pub topic: Option<&'a str>,
    /// The text after `!` in the topic, if any.
    pub topic_args: Option<&'a str>,
    /// [`DEFAULT_ACTION`] (`Publish`) when absent.
    pub action: &'a str,
}

impl<'a> EnvelopeKeys<'a> {
    /// Reads the keys from a message, checking their JSON types.
    pub fn read(message: &'a Value) -> Result<EnvelopeKeys<'a>, ParseError> {
        let object = message.as_object().ok_or(ParseError::NotAnObject { found: json_kind(message) })?;
        let text = |field: &'static str| -> Result<Option<&'a str>, ParseError> {
            match object.get(field) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(ParseError::EnvelopeField { field, found: json_kind(other) }),
            }
        };
        Ok(EnvelopeKeys::from_fields(text("Controller")?, text("Topic")?, text("Action")?))
    }

    /// The keys from the envelope's Controller, Topic and Action fields (each possibly absent).
    pub fn from_fields(
        controller: Option<&'a str>,
        topic: Option<&'a str>,
        action: Option<&'a str>,
    ) -> EnvelopeKeys<'a> {
        let (topic, topic_args) = match topic {
            Some(full) => {
                let (name, args) = topic::split(full);
                (Some(name), args)
            }
            None => (None, None),
        };
        EnvelopeKeys {
            controller: controller.unwrap_or(DEFAULT_CONTROLLER),
            topic,
            topic_args,
            action: action.unwrap_or(DEFAULT_ACTION),
        }
    }

    /// The message kind these keys select for a direction, if any schema covers them.
    pub fn kind(&self, direction: Direction) -> Option<MessageKind> {
        MessageKind::lookup(self.controller, self.topic, self.action, direction)
    }

    /// The reply schemas of other topics whose requests may be answered on this topic (a
    /// QueryMethod request may be answered on `QueryChannel`): a reply arriving here may have
    /// their shape rather than this topic's own.
    pub fn reply_kinds_elsewhere(&self, direction: Direction) -> Vec<MessageKind> {
        let Some(topic) = self.topic.filter(|_| direction == Direction::Receive) else { return Vec::new() };
        let infos = || MessageKind::ALL.iter().map(|k| (*k, k.info()));
        let answered_here: Vec<&str> = infos()
            .filter(|(_, i)| i.direction == Direction::Send && i.controller == Some(self.controller))
            .filter(|(_, i)| i.topic != Some(topic) && i.reply_topics.contains(&topic))
            .filter_map(|(_, i)| i.topic)
            .collect();
        infos()
            .filter(|(_, i)| i.direction == Direction::Receive && i.controller == Some(self.controller))
            .filter(|(_, i)| i.action == self.action && i.topic.is_some_and(|t| answered_here.contains(&t)))
            .map(|(kind, _)| kind)
            .collect()
    }

    /// What is wrong with the topic of a message of `kind` that is valid on every topic (a
    /// `Sub`, an `Unsub`, a confirmation, an `Error`): the controller's schemas know no such
    /// topic, or its arguments have none of the topic's forms. A kind with a topic of its own
    /// checks the arguments itself.
    pub fn topic_problem(&self, kind: MessageKind) -> Option<TopicProblem> {
        let topic = self.topic?;
        if kind.info().topic.is_some() {
            return None;
        }
        let topics = controller_topics(self.controller);
        if topics.is_empty() {
            return None; // a controller whose schemas are still to come
        }
        if !topics.contains(&topic) {
            return Some(TopicProblem::Unknown { near: near_miss(topic, &topics) });
        }
        let forms = MessageKind::ALL
            .iter()
            .map(|k| k.info())
            .filter(|i| i.controller == Some(self.controller) && i.topic == Some(topic))
            .map(|i| i.arguments)
            .find(|f| !f.is_empty())
            .unwrap_or_default();
        crate::runtime::topic::arguments_problem(topic, forms, self.topic_args).map(TopicProblem::Arguments)
    }
}

/// The topics the schemas give `controller`, in catalog order (a topic may come more than
/// once); none for a controller whose schemas are still to come.
pub fn controller_topics(controller: &str) -> Vec<&'static str> {
    MessageKind::ALL
        .iter()
        .map(|k| k.info())
        .filter(|i| i.controller == Some(controller))
        .filter_map(|i| i.topic)
        .collect()
}

/// Why a topic is wrong for its controller (see [`EnvelopeKeys::topic_problem`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopicProblem {
    /// No schema of the controller has this topic; the nearest one that does, if any is near.
    Unknown { near: Option<&'static str> },
    /// The arguments are missing, superfluous, or have none of the topic's forms: why.
    Arguments(String),
}

/// The envelope fields of a message read straight from its text, without building a tree
/// (see [`crate::CleanText`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvelopeText<'a> {
    pub controller: Option<Cow<'a, str>>,
    pub topic: Option<Cow<'a, str>>,
    pub action: Option<Cow<'a, str>>,
    pub transaction_id: Option<i64>,
    pub confirm: Option<bool>,
}

impl EnvelopeText<'_> {
    /// The keys that choose the schema, with the protocol's defaults applied.
    pub fn keys(&self) -> EnvelopeKeys<'_> {
        EnvelopeKeys::from_fields(self.controller.as_deref(), self.topic.as_deref(), self.action.as_deref())
    }
}

/// Why a JSON value is not a typed message.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the message is not JSON: {0}")]
    NotJson(String),
    #[error("a message must be a JSON object, but this is {found}")]
    NotAnObject { found: &'static str },
    #[error("envelope field `{field}` must be a string, but it is {found}")]
    EnvelopeField { field: &'static str, found: &'static str },
    #[error(
        "no schema covers {direction} messages with Controller `{controller}`, Topic `{topic}`, Action `{action}`{hint}"
    )]
    NoSchema { controller: String, topic: String, action: String, direction: Direction, hint: String },
    #[error("the message is a {kind} but `{path}` does not fit: {reason}")]
    Data { kind: &'static str, path: String, reason: String },
}

impl Message {
    /// Parses a message travelling in `direction`, choosing its type by Controller, Topic (name
    /// without arguments), Action and direction.
    ///
    /// ```
    /// use zenith_protocol::{Direction, Message};
    /// let reply = serde_json::json!({
    ///     "Controller": "Auth", "Topic": "Identify", "TransactionID": 1, "Data": { "Result": "Reject" }
    /// });
    /// let Message::IdentifyPush(push) = Message::parse(&reply, Direction::Receive).unwrap() else { panic!() };
    /// assert_eq!(push.data.result.as_str(), "Reject");
    /// ```
    pub fn parse(message: &Value, direction: Direction) -> Result<Message, ParseError> {
        let keys = EnvelopeKeys::read(message)?;
        let kind = keys.kind(direction).ok_or_else(|| no_schema(&keys, direction))?;
        Message::from_value_as(kind, message).map_err(|error| ParseError::Data {
            kind: kind.info().name,
            path: json_pointer(error.path()),
            reason: error.into_inner().to_string(),
        })
    }

    /// Parses message text (see [`Message::parse`]). Decimal amounts keep their spelling.
    pub fn parse_str(text: &str, direction: Direction) -> Result<Message, ParseError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ParseError::NotJson(e.to_string()))?;
        let keys = EnvelopeKeys::read(&value)?;
        let kind = keys.kind(direction).ok_or_else(|| no_schema(&keys, direction))?;
        Message::from_str_as(kind, text).map_err(|error| ParseError::Data {
            kind: kind.info().name,
            path: json_pointer(error.path()),
            reason: error.into_inner().to_string(),
        })
    }

    /// The message as a JSON value, exactly as it goes on the wire.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("generated message types always serialize")
    }
}

fn no_schema(keys: &EnvelopeKeys<'_>, direction: Direction) -> ParseError {
    let known_controller = MessageKind::ALL.iter().any(|k| k.info().controller == Some(keys.controller));
    let hint = match keys.topic {
        Some(topic) if known_controller => match near_miss(topic, &controller_topics(keys.controller)) {
            Some(near) => format!(" (did you mean Topic `{near}`?)"),
            None => String::new(),
        },
        _ => match near_miss(keys.controller, Controller::KNOWN) {
            Some(near) if near != keys.controller => {
                format!(" (did you mean Controller `{near}`?)")
            }
            _ => String::new(),
        },
    };
    ParseError::NoSchema {
        controller: keys.controller.to_owned(),
        topic: keys.topic.unwrap_or("").to_owned(),
        action: keys.action.to_owned(),
        direction,
        hint,
    }
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}

/// "an object", "a string", ... for messages about JSON values.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
