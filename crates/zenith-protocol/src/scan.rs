//! The one-pass check of a message's text: the envelope is read as its keys arrive, the schema
//! is chosen at the first other property, and every property is checked while it is parsed. No
//! tree is built, and a second pass is needed only when the schema chosen first does not fit
//! and another could.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer, U64Deserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use crate::runtime::Direction;
use crate::runtime::stream::record::{self, Recording};
use crate::runtime::stream::{self as rt, Key};
use crate::{EnvelopeKeys, EnvelopeText, MessageKind, Verdict};

/// A message that its schema accepts without a remark, established in one pass over its text.
#[derive(Debug)]
pub struct CleanText<'a> {
    pub envelope: EnvelopeText<'a>,
    pub kind: MessageKind,
    /// The capture's direction, or the inferred one: the same choice the tree check makes
    /// (client to server first, when both directions accept the message).
    pub direction: Direction,
    /// The change records the message holds, each with its tag and key, in order, and the
    /// values of the properties that never change.
    pub recording: Recording,
}

impl<'a> CleanText<'a> {
    /// Checks `text` as a message travelling in `direction` (`None`: either way). `None` when no
    /// schema accepts it without a remark, when it is not JSON, when an object in it gives a key
    /// twice, or when it is shaped unusually (envelope fields that are not scalars, or that
    /// follow the first other property and change the schema); the tree validators then say
    /// exactly what is wrong.
    ///
    /// ```
    /// use zenith_protocol::{CleanText, Direction, MessageKind};
    /// let reply = r#"{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":7,"Data":{"Result":"Reject"}}"#;
    /// let clean = CleanText::check(reply, None).unwrap();
    /// assert_eq!((clean.kind, clean.direction), (MessageKind::QueryIdentifyReply, Direction::Receive));
    /// assert_eq!(clean.envelope.transaction_id, Some(7));
    /// assert!(CleanText::check(r#"{"Controller":"Auth","Topic":"QueryIdentify","Usrname":1}"#, None).is_none());
    /// let twice = r#"{"Controller":"Auth","Topic":"QueryIdentify","Topic":"AuthOwner","TransactionID":7}"#;
    /// assert!(CleanText::check(twice, None).is_none());
    /// ```
    pub fn check(text: &'a str, direction: Option<Direction>) -> Option<CleanText<'a>> {
        // Usually one pass; another when the schema chosen first (of two that document the same
        // property, such as a request and its reply in unknown direction) does not accept it.
        let mut skip = 0;
        loop {
            record::start();
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let scanned = deserializer.deserialize_map(Scan { direction, skip }).and_then(|s| {
                deserializer.end()?;
                Ok(s)
            });
            let recording = record::take();
            match scanned.ok()? {
                Scanned::Clean(clean) => return Some(CleanText { recording, ..clean }),
                Scanned::Declined => return None,
                Scanned::TryNext => skip += 1,
            }
        }
    }
}

/// The top-level visitor. `skip` passes over that many schemas at the choice.
struct Scan {
    direction: Option<Direction>,
    skip: usize,
}

/// What one pass found.
enum Scanned<'a> {
    Clean(CleanText<'a>),
    /// Not clean, or not for this path.
    Declined,
    /// Not clean under the schema chosen, but another one is left to try.
    TryNext,
}

/// An envelope field's value: envelope fields are scalars in every schema.
#[derive(Debug)]
enum Scalar<'de> {
    Text(Cow<'de, str>),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Bool(bool),
    Null,
}

/// The envelope fields seen so far, by name.
#[derive(Default)]
struct Envelope<'de> {
    controller: Option<Scalar<'de>>,
    topic: Option<Scalar<'de>>,
    action: Option<Scalar<'de>>,
    transaction_id: Option<Scalar<'de>>,
    confirm: Option<Scalar<'de>>,
}

/// The schema chosen for the message, and how its properties fared so far.
struct Chosen {
    kind: MessageKind,
    direction: Direction,
    verdict: Verdict,
    seen: u64,
}

impl Chosen {
    fn new(kind: MessageKind, direction: Direction) -> Chosen {
        Chosen { kind, direction, verdict: Verdict::Clean, seen: 0 }
    }

    /// Adds one property's verdict; false once the message cannot be clean.
    fn add(&mut self, (verdict, bit): (Verdict, u64)) -> bool {
        self.verdict = self.verdict.max(verdict);
        self.seen |= bit;
        self.verdict == Verdict::Clean
    }

    fn add_scalar(&mut self, key: &str, value: &Scalar<'_>) -> bool {
        match scalar_verdict::<de::value::Error>(self.kind, key, value) {
            Ok(verdict) => self.add(verdict),
            Err(_) => false,
        }
    }

    /// Adds the envelope fields read before the schema was chosen.
    fn add_envelope(&mut self, envelope: &Envelope<'_>) {
        for (key, value) in envelope.fields() {
            self.add_scalar(key, value);
        }
    }

    fn clean(&self) -> bool {
        let (_, required) = self.kind.stream_properties();
        self.verdict == Verdict::Clean && self.seen == required
    }
}

impl<'de> Envelope<'de> {
    fn slot(&mut self, key: &str) -> Option<&mut Option<Scalar<'de>>> {
        match key {
            "Controller" => Some(&mut self.controller),
            "Topic" => Some(&mut self.topic),
            "Action" => Some(&mut self.action),
            "TransactionID" => Some(&mut self.transaction_id),
            "Confirm" => Some(&mut self.confirm),
            _ => None,
        }
    }

    fn fields(&self) -> impl Iterator<Item = (&'static str, &Scalar<'de>)> {
        [
            ("Controller", &self.controller),
            ("Topic", &self.topic),
            ("Action", &self.action),
            ("TransactionID", &self.transaction_id),
            ("Confirm", &self.confirm),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key, value.as_ref()?)))
    }

    /// The envelope as the rest of the crate knows it; `None` when a key that chooses the
    /// schema is not a string.
    fn text(self) -> Option<EnvelopeText<'de>> {
        let text = |value: Option<Scalar<'de>>| match value {
            None => Some(None),
            Some(Scalar::Text(text)) => Some(Some(text)),
            Some(_) => None,
        };
        Some(EnvelopeText {
            controller: text(self.controller)?,
            topic: text(self.topic)?,
            action: text(self.action)?,
            transaction_id: match self.transaction_id {
                Some(Scalar::Signed(n)) => Some(n),
                Some(Scalar::Unsigned(n)) => i64::try_from(n).ok(),
                Some(Scalar::Float(n)) => rt::integer(n),
                _ => None,
            },
            confirm: match self.confirm {
                Some(Scalar::Bool(b)) => Some(b),
                _ => None,
            },
        })
    }

    /// The candidate schemas for these keys, in the order the tree check tries them (none when
    /// a key that chooses the schema is not a string).
    fn candidates(&self, direction: Option<Direction>) -> impl Iterator<Item = (MessageKind, Direction)> {
        fn name<'v>(value: &'v Option<Scalar<'_>>) -> Option<Option<&'v str>> {
            match value {
                None => Some(None),
                Some(Scalar::Text(text)) => Some(Some(text.as_ref())),
                Some(_) => None,
            }
        }
        let keys = match (name(&self.controller), name(&self.topic), name(&self.action)) {
            (Some(controller), Some(topic), Some(action)) => Some(EnvelopeKeys::from_fields(controller, topic, action)),
            _ => None,
        };
        Direction::candidates(direction).iter().filter_map(move |&d| Some((keys.as_ref()?.kind(d)?, d)))
    }
}

impl<'de> Visitor<'de> for Scan {
    type Value = Scanned<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a message object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope::default();
        let mut keys = rt::SeenKeys::default();
        let mut chosen: Option<Chosen> = None;
        // What a failure of the chosen schema means: another may be left to try.
        let mut on_failure = Scanned::Declined;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let clean = if let Some(slot) = envelope.slot(&key) {
                let value: Scalar<'de> = map.next_value()?;
                let clean = match &mut chosen {
                    // A key that chooses the schema may not change once it is chosen.
                    Some(_) if matches!(key.as_ref(), "Controller" | "Topic" | "Action") => false,
                    Some(chosen) => chosen.add_scalar(&key, &value),
                    None => true,
                };
                *slot = Some(value);
                clean
            } else {
                let chosen = match &mut chosen {
                    Some(chosen) => chosen,
                    None => {
                        // A schema that does not document this property cannot accept the
                        // message without a remark, so only those that do are candidates.
                        let mut fitting = envelope
                            .candidates(self.direction)
                            .filter(|(kind, _)| kind.stream_properties().0.contains(&key.as_ref()))
                            .skip(self.skip);
                        let Some((kind, direction)) = fitting.next() else {
                            rt::skip_map(map)?;
                            return Ok(Scanned::Declined);
                        };
                        if fitting.next().is_some() {
                            on_failure = Scanned::TryNext;
                        }
                        let mut fresh = Chosen::new(kind, direction);
                        fresh.add_envelope(&envelope);
                        chosen.insert(fresh)
                    }
                };
                let verdict = map.next_value_seed(KindProperty { kind: chosen.kind, key: &key })?;
                chosen.add(verdict)
            };
            // A key given twice (readers may disagree on which value counts) is clean under no
            // schema, so no other is tried.
            let once = keys.insert(key);
            if !clean || !once {
                rt::skip_map(map)?;
                return Ok(if once { on_failure } else { Scanned::Declined });
            }
        }
        // A message of envelope fields only: the first candidate they satisfy.
        let chosen = match chosen {
            Some(chosen) => chosen,
            None => match envelope.candidates(self.direction).find_map(|(kind, direction)| {
                let mut candidate = Chosen::new(kind, direction);
                candidate.add_envelope(&envelope);
                candidate.clean().then_some(candidate)
            }) {
                Some(chosen) => chosen,
                None => return Ok(Scanned::Declined),
            },
        };
        if !chosen.clean() {
            return Ok(on_failure);
        }
        Ok(match envelope.text() {
            Some(envelope) => Scanned::Clean(CleanText {
                envelope,
                kind: chosen.kind,
                direction: chosen.direction,
                recording: Recording::default(),
            }),
            None => Scanned::Declined,
        })
    }
}

/// Checks one top-level property's value with a kind's rules for it.
struct KindProperty<'k> {
    kind: MessageKind,
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for KindProperty<'_> {
    type Value = (Verdict, u64);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(Verdict, u64), D::Error> {
        self.kind.stream_property(self.key, deserializer)
    }
}

/// A kind's verdict on an envelope field already read.
fn scalar_verdict<E: de::Error>(kind: MessageKind, key: &str, value: &Scalar<'_>) -> Result<(Verdict, u64), E> {
    match value {
        Scalar::Text(text) => kind.stream_property(key, BorrowedStrDeserializer::<E>::new(text)),
        Scalar::Signed(n) => kind.stream_property(key, I64Deserializer::<E>::new(*n)),
        Scalar::Unsigned(n) => kind.stream_property(key, U64Deserializer::<E>::new(*n)),
        Scalar::Float(n) => kind.stream_property(key, F64Deserializer::<E>::new(*n)),
        Scalar::Bool(b) => kind.stream_property(key, BoolDeserializer::<E>::new(*b)),
        Scalar::Null => kind.stream_property(key, de::value::UnitDeserializer::<E>::new()),
    }
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar<'de>, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(text.to_owned())))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Signed(n))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Unsigned(n))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Float(n))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Bool(b))
            }
            fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_anywhere_is_never_clean() {
        let send = Some(Direction::Send);
        let once = [
            r#"{"Controller":"Auth","Topic":"AuthOwner","TransactionID":1,"Data":{"Provider":"P","ClientID":"C","UserName":"u"}}"#,
            r#"{"Controller":"Market","Topic":"Markets","Action":"Sub","Data":{"a":[{"b":1}],"c":{"b":2}}}"#,
        ];
        for text in once {
            assert!(CleanText::check(text, send).is_some(), "{text}");
        }
        let twice = [
            r#"{"Controller":"Auth","Controller":"Auth","Topic":"AuthOwner","Data":{"Provider":"P","ClientID":"C"}}"#,
            r#"{"Controller":"Auth","Topic":"AuthOwner","Data":{"Provider":"P","ClientID":"C"},"Topic":"AuthOwner"}"#,
            r#"{"Controller":"Auth","Topic":"AuthOwner","TransactionID":1,"TransactionID":2,"Data":{"Provider":"P","ClientID":"C"}}"#,
            r#"{"Controller":"Auth","Topic":"AuthOwner","Data":{"Provider":"P","ClientID":"C"},"Data":{"Provider":"P","ClientID":"C"}}"#,
            r#"{"Controller":"Auth","Topic":"AuthOwner","Data":{"Provider":"P","ClientID":"C","Provider":"Q"}}"#,
            r#"{"Controller":"Auth","Topic":"AuthOwner","Data":{"Provider":"P","ClientID":"C","UserName":"u","UserName":"v"}}"#,
            r#"{"Controller":"Auth","Topic":"AuthOwner","Data":{"Provider":"P","ClientID":"C","Provid\u0065r":"Q"}}"#,
            r#"{"Controller":"Market","Topic":"Markets","Action":"Sub","Data":{"a":1,"a":1}}"#,
            r#"{"Controller":"Market","Topic":"Markets","Action":"Sub","Data":[{"b":1,"b":2}]}"#,
        ];
        for text in twice {
            assert!(CleanText::check(text, send).is_none(), "{text}");
            assert!(CleanText::check(text, None).is_none(), "{text}");
        }
    }

    #[test]
    fn a_transaction_id_with_no_fractional_part_is_that_integer() {
        let id = |text: &str| {
            let message = format!(r#"{{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":{text}}}"#);
            CleanText::check(&message, Some(Direction::Send)).map(|clean| clean.envelope.transaction_id)
        };
        for (text, expected) in
            [("1", Some(1)), ("1.0", Some(1)), ("1e0", Some(1)), ("10E-1", Some(1)), ("-0.0", Some(0))]
        {
            assert_eq!(id(text), Some(expected), "{text}");
        }
        assert_eq!(id("9007199254740992.0"), Some(Some(1 << 53)));
        assert_eq!(id("1e300"), Some(None), "beyond 2^53 a double is not one integer");
        assert_eq!(id("1.5"), None, "not an integer: not clean");
    }

    #[test]
    fn objects_with_many_keys_are_checked_for_repeats_too() {
        let keys: Vec<String> = (0..40).map(|n| format!("\"k{n}\":{n}")).collect();
        let data = |extra: &str| format!("{{{}{extra}}}", keys.join(","));
        let message =
            |data: String| format!(r#"{{"Controller":"Market","Topic":"Markets","Action":"Sub","Data":{data}}}"#);
        assert!(CleanText::check(&message(data("")), None).is_some());
        assert!(CleanText::check(&message(data(",\"k39\":0")), None).is_none());
        assert!(CleanText::check(&message(data(",\"k3\":0")), None).is_none());
    }
}
