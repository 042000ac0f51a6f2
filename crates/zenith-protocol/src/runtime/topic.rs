//! Topics with optional arguments (`Security!BHP.ASX`), kept as the original text.

use std::fmt;

/// A topic as sent: a name, optionally followed by `!` and dot-separated arguments.
///
/// ```
/// use zenith_protocol::Topic;
/// let topic = Topic::from("Security!BHP.ASX");
/// assert_eq!(topic.name(), "Security");
/// assert_eq!(topic.args().collect::<Vec<_>>(), ["BHP", "ASX"]);
/// // Split by the topic's documented form, `{Code}.{Market}`: a code may hold a dot.
/// let topic = Topic::from("Depth!BHP.AX.ASX");
/// assert_eq!(topic.args().collect::<Vec<_>>(), ["BHP.AX", "ASX"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Topic(String);

impl Topic {
    /// The topic name, without arguments.
    pub fn name(&self) -> &str {
        split(&self.0).0
    }

    /// The arguments after `!`, split by the first documented form of the topic they fit (of
    /// any controller with a topic of this name), else at every dot; empty when there are none.
    pub fn args(&self) -> impl Iterator<Item = &str> {
        let (name, args) = split(&self.0);
        let args = args.unwrap_or_default();
        let documented = crate::generated::messages::TOPIC_ARGUMENTS
            .iter()
            .filter(|(_, topic, _)| *topic == name)
            .find_map(|(_, _, kind)| read_arguments(kind.info().arguments, args).ok())
            .map(|(_, values)| values);
        let values = match documented {
            Some(values) => values,
            None if args.is_empty() => Vec::new(),
            None => args.split('.').collect(),
        };
        values.into_iter()
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

/// A topic with its arguments as a type of its own (`DepthTopic`, `OrdersTopic`, ...): it knows
/// its controller, so a `Sub` or `Unsub` made from it goes to the right one.
///
/// ```
/// use zenith_protocol::{DepthTopic, SubRequest, Topic, TypedTopic};
/// let depth = DepthTopic::new("BHP.AX", "ASX");
/// assert_eq!(depth.to_string(), "Depth!BHP.AX.ASX");
/// assert_eq!(DepthTopic::CONTROLLER, "Market");
/// let sub = SubRequest::for_topic(depth.clone()).confirm(true);
/// let message = serde_json::to_value(&sub).unwrap();
/// assert_eq!(message, serde_json::json!(
///     {"Controller": "Market", "Topic": "Depth!BHP.AX.ASX", "Action": "Sub", "Confirm": true}));
/// assert_eq!(Topic::from(depth).as_str(), "Depth!BHP.AX.ASX");
/// ```
pub trait TypedTopic: fmt::Display {
    /// The controller the topic belongs to.
    const CONTROLLER: &'static str;
    /// The topic's name, without arguments.
    const NAME: &'static str;
}

/// Splits `Name!args` into the name and the argument text.
pub fn split(text: &str) -> (&str, Option<&str>) {
    match text.split_once('!') {
        Some((name, args)) => (name, Some(args)),
        None => (text, None),
    }
}

/// One form of a topic's arguments, such as `{Code}.{Market}`: its parts, and the literal text
/// around and between them (one more literal than parts).
#[derive(Debug)]
pub struct TopicForm {
    pub text: &'static str,
    pub parts: &'static [TopicPart],
    pub literals: &'static [&'static str],
}

#[derive(Debug)]
pub struct TopicPart {
    pub name: &'static str,
    pub pattern: &'static super::pattern::Pattern,
    pub description: &'static str,
}

impl TopicForm {
    /// The empty form: the topic alone, without `!` and arguments.
    pub fn is_bare(&self) -> bool {
        self.parts.is_empty()
    }

    /// The value of each part when `args` has this form. A part may hold the text that
    /// separates it from the next (a symbol code may hold a dot), so parts are split off from
    /// the end: `BHP.X.ASX` is `BHP.X` on `ASX`.
    pub fn read<'a>(&self, args: &'a str) -> Result<Vec<&'a str>, String> {
        let mut values = vec![""; self.parts.len()];
        self.each_part(args, |index, value| values[index] = value)?;
        Ok(values)
    }

    /// Whether `args` has this form (without noting the parts).
    pub fn fits(&self, args: &str) -> bool {
        self.each_part(args, |_, _| {}).is_ok()
    }

    fn each_part<'a>(&self, args: &'a str, mut found: impl FnMut(usize, &'a str)) -> Result<(), String> {
        let first = self.literals.first().copied().unwrap_or_default();
        let last = self.literals.last().copied().unwrap_or_default();
        let mut rest = args
            .strip_prefix(first)
            .and_then(|rest| rest.strip_suffix(last))
            .ok_or_else(|| format!("`{args}` does not have the form `{}`", self.text))?;
        for index in (0..self.parts.len()).rev() {
            let value = if index == 0 {
                rest
            } else {
                let separator = self.literals[index];
                let (before, after) = rest
                    .rsplit_once(separator)
                    .ok_or_else(|| format!("`{args}` does not have the form `{}`: no `{separator}`", self.text))?;
                rest = before;
                after
            };
            let part = &self.parts[index];
            if value.is_empty() {
                return Err(format!("`{{{}}}` is empty in `{args}` (the form is `{}`)", part.name, self.text));
            }
            if !part.pattern.is_match(value) {
                return Err(format!(
                    "`{value}` is not a valid `{{{}}}` (it must match `{}`)",
                    part.name, part.pattern.source
                ));
            }
            found(index, value);
        }
        Ok(())
    }
}

/// A topic that is not `name!args` in one of the name's forms.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TopicError(String);

/// Reads `text` as topic `name` with arguments in one of `forms`.
pub fn read_topic<'a>(
    name: &str,
    forms: &'static [TopicForm],
    text: &'a str,
) -> Result<(&'static TopicForm, Vec<&'a str>), TopicError> {
    match split(text) {
        (given, Some(args)) if given == name => read_arguments(forms, args).map_err(TopicError),
        (given, None)
            if given == name
                && let Some(bare) = forms.iter().find(|f| f.is_bare()) =>
        {
            Ok((bare, Vec::new()))
        }
        _ => Err(TopicError(format!("`{text}` is not {}", shown(name, forms)))),
    }
}

/// The forms of topic `name`, for a person: `` `Depth!{Code}.{Market}` ``, `` `Orders` `` for the
/// topic alone.
fn shown(name: &str, forms: &[TopicForm]) -> String {
    let form = |f: &TopicForm| if f.is_bare() { format!("`{name}`") } else { format!("`{name}!{}`", f.text) };
    forms.iter().map(form).collect::<Vec<_>>().join(" or ")
}

/// Why the arguments `args` (the text after `!`, if any) are wrong for topic `name`, whose
/// forms are `forms` (none when it takes no arguments).
pub fn arguments_problem(name: &str, forms: &'static [TopicForm], args: Option<&str>) -> Option<String> {
    match (forms.is_empty(), args) {
        (true, None) => None,
        (true, Some(_)) => Some(format!("`{name}` takes no arguments")),
        (false, None) if forms.iter().any(TopicForm::is_bare) => None,
        (false, None) => Some(format!("the topic needs its arguments: {}", shown(name, forms))),
        (false, Some(args)) => read_arguments(forms, args).err(),
    }
}

/// Why `topic` is not topic `name` with arguments in one of `forms`.
pub fn topic_problem(name: &str, forms: &'static [TopicForm], topic: &str) -> Option<String> {
    match split(topic) {
        (given, _) if given != name => Some(format!("the topic must be {}", shown(name, forms))),
        (_, args) => arguments_problem(name, forms, args),
    }
}

/// The form that `args` has, and the value of each of its parts; the error says why none fits.
pub fn read_arguments<'a>(
    forms: &'static [TopicForm],
    args: &'a str,
) -> Result<(&'static TopicForm, Vec<&'a str>), String> {
    let mut reasons = Vec::new();
    // The topic alone has no `!`; after one, only a form with parts can fit.
    for form in forms.iter().filter(|f| !f.is_bare()) {
        match form.read(args) {
            Ok(values) => return Ok((form, values)),
            Err(reason) => reasons.push(reason),
        }
    }
    Err(reasons.join("; "))
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

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Topic {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Topic".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}
