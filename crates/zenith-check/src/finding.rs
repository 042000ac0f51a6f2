//! One thing worth telling about a message, located in the capture.

use std::borrow::Cow;
use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};
use zenith_capture::{Opaque, Origin};
use zenith_protocol::{Action, Controller, Direction, MessageKind, Severity};

/// A problem or remark about one message (or, for `unanswered-request` and `reply-timeout`,
/// about a request, told when the end of the capture or its deadline comes). Never holds a credential once [`crate::Checker`] hands it out; before,
/// as [`crate::analyze`] makes it, it may quote one, so `Debug` shows what it quotes from the
/// capture (names, path, message, excerpt) by its size.
#[derive(Clone, PartialEq)]
pub struct Finding {
    pub source: String,
    /// Where in the capture: a HAR entry, a JSON Lines line or a TCP connection's packet.
    pub origin: Origin,
    /// 1-based position of the message in its connection (0 for what is not a message, such as
    /// a control frame).
    pub index: u64,
    pub time: Option<f64>,
    /// As the capture says; `None` when it does not.
    pub direction: Option<Direction>,
    /// The direction the checker inferred, when the capture did not say.
    pub inferred: Option<Direction>,
    pub controller: Option<String>,
    pub topic: Option<String>,
    pub action: Option<String>,
    pub level: Severity,
    pub code: String,
    /// JSON Pointer into the message; empty for the whole message.
    pub instance_path: String,
    pub schema_path: String,
    pub message: String,
    /// A short rendering of the offending value, secrets redacted.
    pub excerpt: Option<String>,
    /// The message on the same connection that set the state this one breaks.
    pub related: Option<Related>,
}

impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("source", &self.source)
            .field("place", &self.place())
            .field("inferred", &self.inferred)
            .field("level", &self.level)
            .field("code", &self.code)
            .field("instance_path", &Opaque::of(&self.instance_path))
            .field("schema_path", &self.schema_path)
            .field("message", &Opaque::of(&self.message))
            .field("excerpt", &self.excerpt.as_deref().map(Opaque::of))
            .field("related", &self.related)
            .finish()
    }
}

/// A name from a message: shared when the schemas know it, so that known names cost no copy.
pub type Name = Cow<'static, str>;

/// A Controller as a [`Name`]: shared when the protocol knows it.
pub(crate) fn intern_controller(name: &str) -> Name {
    intern(name, Controller::KNOWN.iter().copied())
}

/// An Action as a [`Name`]: shared when the protocol knows it.
pub(crate) fn intern_action(name: &str) -> Name {
    intern(name, Action::KNOWN.iter().copied())
}

/// A Topic (without arguments) as a [`Name`]: shared when a schema has it.
pub(crate) fn intern_topic(name: &str) -> Name {
    intern(name, MessageKind::ALL.iter().filter_map(|k| k.info().topic))
}

fn intern(name: &str, known: impl IntoIterator<Item = &'static str>) -> Name {
    match known.into_iter().find(|k| *k == name) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(name.to_owned()),
    }
}

/// Where a message sits and what it is, shared by every finding about it. `Debug` shows the
/// names, taken from the message, by their size.
#[derive(Clone)]
pub struct Place {
    pub origin: Origin,
    /// 1-based position on its connection, set when the message is applied in capture order.
    pub index: u64,
    pub time: Option<f64>,
    pub direction: Option<Direction>,
    pub controller: Option<Name>,
    pub topic: Option<Name>,
    pub action: Option<Name>,
}

impl fmt::Debug for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |name: &Option<Name>| name.as_deref().map(Opaque::of);
        f.debug_struct("Place")
            .field("origin", &self.origin)
            .field("index", &self.index)
            .field("time", &self.time)
            .field("direction", &self.direction)
            .field("controller", &name(&self.controller))
            .field("topic", &name(&self.topic))
            .field("action", &name(&self.action))
            .finish()
    }
}

/// Another message of the same connection that a finding refers to.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Related {
    pub index: u64,
    pub line: Option<u64>,
    pub packet: Option<u64>,
    pub time: Option<f64>,
}

impl Related {
    pub(crate) fn of(place: &Place) -> Related {
        Related { index: place.index, line: place.origin.line(), packet: place.origin.packet(), time: place.time }
    }

    /// `#12 (line 40)`, for messages.
    pub fn describe(&self) -> String {
        match (self.line, self.packet) {
            (Some(line), _) => format!("#{} (line {line})", self.index),
            (None, Some(packet)) => format!("#{} (packet {packet})", self.index),
            (None, None) => format!("#{}", self.index),
        }
    }
}

/// A finding about the message at `place`. `code` is a [`zenith_capture::Code`], or the text of
/// one: a schema problem's [`zenith_protocol::Code`], or a connection problem's code as the
/// capture reader gave it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new(
    source: &str,
    place: &Place,
    level: Severity,
    code: impl Into<&'static str>,
    message: &str,
    instance_path: &str,
    schema_path: &str,
    excerpt: Option<String>,
) -> Finding {
    Finding {
        source: source.to_owned(),
        origin: place.origin.clone(),
        index: place.index,
        time: place.time,
        direction: place.direction,
        inferred: None,
        controller: place.controller.as_deref().map(str::to_owned),
        topic: place.topic.as_deref().map(str::to_owned),
        action: place.action.as_deref().map(str::to_owned),
        level,
        code: code.into().to_owned(),
        instance_path: instance_path.to_owned(),
        schema_path: schema_path.to_owned(),
        message: message.to_owned(),
        excerpt,
        related: None,
    }
}

impl Finding {
    /// Where the finding is, for another finding about the same message.
    pub(crate) fn place(&self) -> Place {
        Place {
            origin: self.origin.clone(),
            index: self.index,
            time: self.time,
            direction: self.direction,
            controller: self.controller.clone().map(Cow::Owned),
            topic: self.topic.clone().map(Cow::Owned),
            action: self.action.clone().map(Cow::Owned),
        }
    }
}

/// The machine-readable record: exactly the documented keys, in documented order.
impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(17))?;
        map.serialize_entry("source", &self.source)?;
        map.serialize_entry("conn", &self.origin.connection())?;
        map.serialize_entry("index", &self.index)?;
        map.serialize_entry("line", &self.origin.line())?;
        map.serialize_entry("packet", &self.origin.packet())?;
        map.serialize_entry("time", &self.time)?;
        map.serialize_entry("direction", self.direction.map_or("unknown", Direction::as_str))?;
        map.serialize_entry("controller", &self.controller)?;
        map.serialize_entry("topic", &self.topic)?;
        map.serialize_entry("action", &self.action)?;
        map.serialize_entry("severity", self.level.as_str())?;
        map.serialize_entry("code", &self.code)?;
        map.serialize_entry("instance_path", &self.instance_path)?;
        map.serialize_entry("schema_path", &self.schema_path)?;
        map.serialize_entry("message", &self.message)?;
        map.serialize_entry("excerpt", &self.excerpt)?;
        map.serialize_entry("related", &self.related)?;
        map.end()
    }
}
