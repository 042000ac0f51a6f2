//! Parsing a JSON message into its typed form, dispatched by its envelope keys.

use std::borrow::Cow;

use serde_json::Value;

use crate::generated::messages::{
    CONTROLLER_TOPICS, DEFAULT_ACTION, DEFAULT_CONTROLLER, REPLY_KINDS_ELSEWHERE, TOPIC_ARGUMENTS,
};
pub use crate::runtime::diagnostics::json_kind;
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

    /// The message kind these keys select for a direction; the error says which keys no schema
    /// covers, and what is near.
    pub fn schema(&self, direction: Direction) -> Result<MessageKind, ParseError> {
        self.kind(direction).ok_or_else(|| no_schema(self, direction))
    }

    /// The reply schemas of other topics whose requests may be answered on this topic (a
    /// QueryMethod request may be answered on `QueryChannel`): a reply arriving here may have
    /// their shape rather than this topic's own.
    pub fn reply_kinds_elsewhere(&self, direction: Direction) -> Vec<MessageKind> {
        let Some(topic) = self.topic else { return Vec::new() };
        REPLY_KINDS_ELSEWHERE
            .iter()
            .find(|(d, c, t, a, _)| *d == direction && *c == self.controller && *t == topic && *a == self.action)
            .map_or_else(Vec::new, |(_, _, _, _, kinds)| kinds.to_vec())
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
        let forms = TOPIC_ARGUMENTS
            .iter()
            .find(|(c, t, _)| *c == self.controller && *t == topic)
            .map_or(&[][..], |(_, _, kind)| kind.info().arguments);
        crate::runtime::topic::arguments_problem(topic, forms, self.topic_args).map(TopicProblem::Arguments)
    }
}

/// The topics the schemas give `controller`, in catalog order (a topic may come more than
/// once); none for a controller whose schemas are still to come.
pub fn controller_topics(controller: &str) -> Vec<&'static str> {
    CONTROLLER_TOPICS.iter().find(|(c, _)| *c == controller).map_or_else(Vec::new, |(_, topics)| topics.to_vec())
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
/// ([`EnvelopeText::read`], or `CleanText` with the `scan` feature).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct EnvelopeText<'a> {
    #[serde(rename = "Controller", borrow, default)]
    pub controller: Option<Cow<'a, str>>,
    #[serde(rename = "Topic", borrow, default)]
    pub topic: Option<Cow<'a, str>>,
    #[serde(rename = "Action", borrow, default)]
    pub action: Option<Cow<'a, str>>,
    #[serde(rename = "TransactionID", default)]
    pub transaction_id: Option<i64>,
    #[serde(rename = "Confirm", default)]
    pub confirm: Option<bool>,
}

impl<'a> EnvelopeText<'a> {
    /// Reads the envelope fields of message text, passing over the rest without building
    /// anything; `None` when the text is no JSON object, or its envelope fields are not of
    /// their types or are given twice (the tree's reading then says what is wrong).
    ///
    /// ```
    /// use zenith_protocol::{Direction, EnvelopeText, MessageKind};
    /// let text = r#"{"Controller":"Auth","Topic":"Identify","TransactionID":3,"Data":{"Result":"Reject"}}"#;
    /// let envelope = EnvelopeText::read(text).unwrap();
    /// assert_eq!(envelope.transaction_id, Some(3));
    /// assert_eq!(envelope.message(text, Direction::Receive).unwrap().kind(), MessageKind::IdentifyPush);
    /// assert!(EnvelopeText::read(r#"{"Topic":7}"#).is_none());
    /// ```
    pub fn read(text: &'a str) -> Option<EnvelopeText<'a>> {
        serde_json::from_str(text).ok()
    }

    /// The keys that choose the schema, with the protocol's defaults applied.
    pub fn keys(&self) -> EnvelopeKeys<'_> {
        EnvelopeKeys::from_fields(self.controller.as_deref(), self.topic.as_deref(), self.action.as_deref())
    }

    /// The message of `text` (whose envelope this is) travelling in `direction`, typed by
    /// these keys as [`Message::parse`] types it.
    pub fn message(&self, text: &str, direction: Direction) -> Result<Message, ParseError> {
        let keys = self.keys();
        let kind = keys.schema(direction)?;
        Message::from_str_as(kind, text)
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
    #[error("the message is {} {kind} but `{path}` does not fit: {reason}", crate::runtime::article(kind))]
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
        let kind = keys.schema(direction)?;
        Message::from_value_as(kind, message)
    }

    /// Every problem of a message travelling in `direction`, its schema chosen by its envelope
    /// as [`Message::parse`] chooses it: one call for a message of any kind. An error when no
    /// schema covers it.
    ///
    /// ```
    /// use zenith_protocol::{Direction, Message};
    /// let push = serde_json::json!({"Controller": "Market", "Topic": "Trades!BHP.ASX", "Data": [{"O": "X"}]});
    /// let report = Message::validate(&push, Direction::Receive).unwrap();
    /// assert!(!report.is_valid());
    /// let unknown = serde_json::json!({"Controller": "Market", "Topic": "Nothing"});
    /// assert!(Message::validate(&unknown, Direction::Receive).is_err());
    /// ```
    pub fn validate(message: &Value, direction: Direction) -> Result<crate::Report, ParseError> {
        let keys = EnvelopeKeys::read(message)?;
        let kind = keys.schema(direction)?;
        Ok(kind.validate(message))
    }

    /// Parses message text (see [`Message::parse`]). Decimal amounts keep their spelling. No
    /// tree is built: the envelope is read first, passing over the rest, then the message
    /// into its type.
    pub fn parse_str(text: &str, direction: Direction) -> Result<Message, ParseError> {
        match EnvelopeText::read(text) {
            Some(envelope) => envelope.message(text, direction),
            // The tree's reading says exactly what is wrong.
            None => Message::parse_str_and_tree(text, direction).map(|(message, _)| message),
        }
    }

    /// Parses message text as [`Message::parse_str`] does, also giving the JSON tree it read
    /// on the way (for what works on trees, such as the subscription-state engine), so that
    /// nothing reads the text a third time.
    pub fn parse_str_and_tree(text: &str, direction: Direction) -> Result<(Message, Value), ParseError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ParseError::NotJson(e.to_string()))?;
        let keys = EnvelopeKeys::read(&value)?;
        let kind = keys.schema(direction)?;
        Ok((Message::from_str_as(kind, text)?, value))
    }

    /// Parses message text and checks it against its schema in one call: the typed message
    /// (every property kept, undocumented ones too) and every problem the schema finds.
    ///
    /// ```
    /// use zenith_protocol::{Direction, Message, MessageEnvelope};
    /// let text = r#"{"Controller":"Auth","Topic":"Identify","TransactionID":3,"Data":{"Result":"Maybe"}}"#;
    /// let (message, report) = Message::parse_checked(text, Direction::Receive).unwrap();
    /// assert_eq!(message.transaction_id(), Some(3));
    /// assert!(!report.is_valid(), "`Maybe` is no result the schema lists");
    /// assert_eq!(message.to_value(), serde_json::from_str::<serde_json::Value>(text).unwrap(), "and kept");
    /// ```
    pub fn parse_checked(text: &str, direction: Direction) -> Result<(Message, crate::Report), ParseError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ParseError::NotJson(e.to_string()))?;
        let keys = EnvelopeKeys::read(&value)?;
        let kind = keys.schema(direction)?;
        Ok((Message::from_str_as(kind, text)?, kind.validate(&value)))
    }

    /// The message as a JSON value, exactly as it goes on the wire.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("generated message types always serialize")
    }
}

fn no_schema(keys: &EnvelopeKeys<'_>, direction: Direction) -> ParseError {
    let known_controller = CONTROLLER_TOPICS.iter().any(|(c, _)| *c == keys.controller);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The topics of `controller` worked out by scanning every kind, as the tables promise.
    fn scanned_topics(controller: &str) -> Vec<&'static str> {
        MessageKind::ALL
            .iter()
            .map(|k| k.info())
            .filter(|i| i.controller == Some(controller))
            .filter_map(|i| i.topic)
            .collect()
    }

    /// The replies of other topics that may arrive on `keys`' topic, worked out by scanning.
    fn scanned_replies(keys: &EnvelopeKeys<'_>, direction: Direction) -> Vec<MessageKind> {
        let Some(topic) = keys.topic.filter(|_| direction == Direction::Receive) else { return Vec::new() };
        let infos = || MessageKind::ALL.iter().map(|k| (*k, k.info()));
        let answered_here: Vec<&str> = infos()
            .filter(|(_, i)| i.direction == Direction::Send && i.controller == Some(keys.controller))
            .filter(|(_, i)| i.topic != Some(topic) && i.reply_topics.contains(&topic))
            .filter_map(|(_, i)| i.topic)
            .collect();
        infos()
            .filter(|(_, i)| i.direction == Direction::Receive && i.controller == Some(keys.controller))
            .filter(|(_, i)| i.action == keys.action && i.topic.is_some_and(|t| answered_here.contains(&t)))
            .map(|(kind, _)| kind)
            .collect()
    }

    #[test]
    fn only_the_requests_that_act_twice_are_not_repeatable() {
        let once: Vec<MessageKind> = MessageKind::ALL.iter().copied().filter(|k| !k.info().repeatable).collect();
        use MessageKind::*;
        assert_eq!(once, [AmendOrderRequest, CancelOrderRequest, MoveOrderRequest, PlaceOrderRequest]);
    }

    #[test]
    fn controller_topics_match_the_catalog() {
        for controller in Controller::KNOWN.iter().copied().chain(["Nobody", ""]) {
            assert_eq!(controller_topics(controller), scanned_topics(controller), "{controller}");
        }
        assert!(controller_topics("Channel").contains(&"QueryChannel"));
        assert!(controller_topics("Nobody").is_empty());
    }

    #[test]
    fn reply_kinds_elsewhere_match_the_catalog() {
        let mut topics: Vec<&str> = MessageKind::ALL.iter().filter_map(|k| k.info().topic).collect();
        topics.extend(MessageKind::ALL.iter().flat_map(|k| k.info().reply_topics.iter().copied()));
        topics.push("NoSuchTopic");
        topics.sort_unstable();
        topics.dedup();
        let mut actions: Vec<&str> = MessageKind::ALL.iter().map(|k| k.info().action).chain(["Nothing"]).collect();
        actions.sort_unstable();
        actions.dedup();
        let mut found = 0;
        for controller in Controller::KNOWN {
            for topic in &topics {
                for action in &actions {
                    let keys = EnvelopeKeys::from_fields(Some(controller), Some(topic), Some(action));
                    for direction in [Direction::Send, Direction::Receive] {
                        let replies = keys.reply_kinds_elsewhere(direction);
                        assert_eq!(replies, scanned_replies(&keys, direction), "{controller} {topic} {action}");
                        found += replies.len();
                    }
                }
            }
        }
        assert!(found > 0, "the schemas answer some requests on other topics");
        assert!(
            EnvelopeKeys::from_fields(Some("Channel"), None, None).reply_kinds_elsewhere(Direction::Receive).is_empty()
        );
    }

    #[test]
    fn topic_forms_and_known_controllers_match_the_catalog() {
        for (controller, topic, kind) in TOPIC_ARGUMENTS {
            let scanned = MessageKind::ALL
                .iter()
                .map(|k| k.info())
                .filter(|i| i.controller == Some(controller) && i.topic == Some(topic))
                .map(|i| i.arguments)
                .find(|f| !f.is_empty());
            // The same static forms: the table names the kind the scan finds first.
            assert!(scanned.is_some_and(|f| std::ptr::eq(f, kind.info().arguments)), "{controller} {topic}");
        }
        for kind in MessageKind::ALL {
            let info = kind.info();
            let Some(controller) = info.controller else { continue };
            assert!(CONTROLLER_TOPICS.iter().any(|(c, _)| *c == controller), "{controller}");
            let Some(topic) = info.topic else { continue };
            let takes_arguments = MessageKind::ALL
                .iter()
                .map(|k| k.info())
                .any(|i| i.controller == Some(controller) && i.topic == Some(topic) && !i.arguments.is_empty());
            let listed = TOPIC_ARGUMENTS.iter().any(|(c, t, _)| *c == controller && *t == topic);
            assert_eq!(listed, takes_arguments, "{controller} {topic}");
        }
        assert!(!CONTROLLER_TOPICS.iter().any(|(c, _)| *c == "Nobody"));
    }

    #[test]
    fn a_wrong_subscription_topic_is_named_and_bad_arguments_explained() {
        let unknown = EnvelopeKeys::from_fields(Some("Market"), Some("Depht!BHP.ASX"), Some("Sub"));
        let kind = unknown.kind(Direction::Send).expect("a Sub is valid on every topic");
        assert_eq!(unknown.topic_problem(kind), Some(TopicProblem::Unknown { near: Some("Depth") }));
        let bare = EnvelopeKeys::from_fields(Some("Market"), Some("Depth"), Some("Sub"));
        assert!(matches!(bare.topic_problem(kind), Some(TopicProblem::Arguments(_))));
        let good = EnvelopeKeys::from_fields(Some("Market"), Some("Depth!BHP.ASX"), Some("Sub"));
        assert_eq!(good.topic_problem(kind), None);
    }

    #[test]
    fn a_query_method_reply_may_arrive_on_query_channel() {
        let keys = EnvelopeKeys::from_fields(Some("Channel"), Some("QueryChannel"), None);
        assert_eq!(keys.reply_kinds_elsewhere(Direction::Receive), vec![MessageKind::QueryMethodReply]);
        assert!(keys.reply_kinds_elsewhere(Direction::Send).is_empty());
    }
}
