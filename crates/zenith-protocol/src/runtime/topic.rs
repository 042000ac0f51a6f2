//! Topics with optional arguments (`Security!BHP.ASX`), kept as the original text.

use std::fmt;

/// A topic as sent: a name, optionally followed by `!` and dot-separated arguments.
///
/// ```
/// use zenith_protocol::Topic;
/// let topic = Topic::from("Security!BHP.ASX");
/// assert_eq!(topic.name(), "Security");
/// assert_eq!(topic.args().collect::<Vec<_>>(), ["BHP", "ASX"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Topic(String);

impl Topic {
    /// The topic name, without arguments.
    pub fn name(&self) -> &str {
        split(&self.0).0
    }

    /// The arguments after `!`, split at dots; empty when there are none.
    pub fn args(&self) -> impl Iterator<Item = &str> {
        split(&self.0).1.into_iter().flat_map(|args| args.split('.'))
    }

    /// The text after `!`, if any.
    pub fn raw_args(&self) -> Option<&str> {
        split(&self.0).1
    }

    /// The whole topic as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Splits `Name!args` into the name and the argument text.
pub fn split(text: &str) -> (&str, Option<&str>) {
    match text.split_once('!') {
        Some((name, args)) => (name, Some(args)),
        None => (text, None),
    }
}

impl From<&str> for Topic {
    fn from(text: &str) -> Topic {
        Topic(text.to_owned())
    }
}

impl From<String> for Topic {
    fn from(text: String) -> Topic {
        Topic(text)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Topic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Topic {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Topic, D::Error> {
        String::deserialize(deserializer).map(Topic)
    }
}

impl schemars::JsonSchema for Topic {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Topic".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}
