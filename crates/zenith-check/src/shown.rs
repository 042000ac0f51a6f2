//! What a check shows of a capture: every text taken from it passes the rules of `zenith
//! redact` ([`Screen`]), with copies of the credentials met so far in the capture hidden too.

use std::sync::LazyLock;

use rustc_hash::FxHashSet;
use serde_json::Value;
use zenith_protocol::runtime::diagnostics::excerpt;
use zenith_protocol::runtime::{may_hold_free_text_credentials, may_mark_secret};
use zenith_redact::{PLACEHOLDER, Screen, Secrets};

use crate::finding::Finding;

/// Messages of findings are cut to this many characters, after their credentials are hidden.
const MAX_MESSAGE_CHARS: usize = 400;
/// Text from a capture is kept to this many bytes before its credentials are hidden, so a
/// copy is never cut in two before it is seen.
pub const KEPT_BYTES: usize = 4096;

/// Credentials found in one message.
pub type Credentials = Vec<Box<str>>;

/// The credentials in a message's text. In a `clean` message (its schema accepts it, so every
/// property is documented, and no key of a free-form object in it names or holds a credential)
/// written without escapes, they are the values of the schemas' secret properties, found by
/// name; any other message is read by the rules of `zenith redact`.
pub fn credentials(text: &str, clean: bool) -> Credentials {
    let bytes = text.as_bytes();
    if !clean || memchr::memchr(b'\\', bytes).is_some() {
        return zenith_redact::credentials(text);
    }
    let mut found = Credentials::new();
    for name in SECRET_NAMES.iter() {
        for at in name.find_iter(bytes) {
            let mut from = at + name.needle().len();
            while bytes.get(from).is_some_and(|b| b.is_ascii_whitespace() || *b == b':') {
                from += 1;
            }
            if bytes.get(from) != Some(&b'"') {
                continue;
            }
            let value = &text[from + 1..];
            if let Some(end) = memchr::memchr(b'"', value.as_bytes()) {
                found.push(value[..end].into());
            }
        }
    }
    found
}

/// False when no rule of `zenith redact` can find a credential in a message, told from its tree
/// (whose keys are all its keys, when none is repeated): no key that names or holds a
/// credential or takes part in `{name, value}` pairs or cookie lists, and no string that holds
/// JSON or what free-text credentials come after (see
/// [`may_hold_free_text_credentials`]).
pub fn may_hold_credentials(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, value)| may_mark_secret(key) || may_hold_credentials(value)),
        Value::Array(items) => items.iter().any(may_hold_credentials),
        Value::String(text) => {
            let trimmed = text.trim_start();
            trimmed.starts_with(['{', '[']) || may_hold_free_text_credentials(text)
        }
        _ => false,
    }
}

/// The names the schemas know (controllers, topics, actions, and each part of a property's
/// path), the summary's `(other)` row, and the empty name.
static DOCUMENTED: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| {
    let kinds = zenith_protocol::MessageKind::ALL.iter().map(|kind| kind.info());
    let fields = zenith_protocol::MessageKind::ALL.iter().flat_map(|kind| kind.docs().fields);
    let properties = fields.flat_map(|f| f.wire.split(['.', '[', ']']));
    let names = kinds.flat_map(|info| [info.controller, info.topic, Some(info.action)].into_iter().flatten());
    let known = [zenith_protocol::Controller::KNOWN, zenith_protocol::Action::KNOWN].concat();
    names.chain(properties).chain(known).chain(["", crate::summary::OTHER]).collect()
});

/// The schemas' secret property names, quoted as keys are.
static SECRET_NAMES: LazyLock<Vec<memchr::memmem::Finder<'static>>> = LazyLock::new(|| {
    let names = zenith_protocol::SECRET_PROPERTIES.iter();
    names.map(|name| memchr::memmem::Finder::new(format!("\"{name}\"").as_bytes()).into_owned()).collect()
});

/// Free text from a capture, with its credentials hidden, kept to [`KEPT_BYTES`].
pub fn kept(text: &str) -> String {
    let kept = zenith_redact::scrub(text, &NONE);
    let mut cut = kept.len().min(KEPT_BYTES);
    while !kept.is_char_boundary(cut) {
        cut -= 1;
    }
    kept[..cut].to_owned()
}

static NONE: LazyLock<Secrets> = LazyLock::new(Secrets::default);

/// The credentials met so far, and the rules applied to every finding before it is shown.
#[derive(Debug, Default)]
pub struct Shown {
    screen: Screen,
    /// A credential may have been learnt in part: values are withheld as past every limit.
    withheld: bool,
}

impl Shown {
    pub fn learn(&mut self, credentials: &[Box<str>]) {
        self.screen.learn(credentials);
    }

    /// Withholds the values of the capture from now on, as past every limit on the credentials
    /// remembered: one may have been learnt in part, so its copies may go unseen.
    pub fn withhold(&mut self) {
        self.withheld = true;
    }

    fn withholding(&self) -> bool {
        self.withheld || self.screen.overflow() > 0
    }

    /// A name from the capture (a Controller, Topic or Action, a key) as shown: through the
    /// rules; past every limit on the credentials remembered, only a name the schemas know.
    pub fn name(&mut self, name: &str) -> String {
        match self.withholding() && !DOCUMENTED.contains(name) {
            true => PLACEHOLDER.to_owned(),
            false => self.screen.text(name),
        }
    }

    /// Free text from the capture (a close reason) as shown: through the rules, with the
    /// credentials met so far; past every limit on those remembered, withheld.
    pub fn free_text(&mut self, text: &str) -> String {
        match self.withholding() {
            true => PLACEHOLDER.to_owned(),
            false => self.screen.free_text(text),
        }
    }

    /// The finding with every text from the capture passed through the rules, and cut short.
    /// Past every limit on the credentials remembered, every value of the capture in it is
    /// withheld: its message and excerpt (which quote values), its connection's name, and the
    /// names in it that the schemas do not know.
    pub fn finding(&mut self, mut finding: Finding) -> Finding {
        let overflow = self.withholding();
        if let zenith_capture::Origin::Line { conn: Some(conn), .. } = &mut finding.origin {
            *conn = if overflow { PLACEHOLDER.into() } else { self.screen.free_text(conn).into_boxed_str() };
        }
        for name in [&mut finding.controller, &mut finding.topic, &mut finding.action].into_iter().flatten() {
            *name = self.name(name);
        }
        finding.instance_path = match overflow {
            false => self.screen.path(&finding.instance_path),
            true => {
                let keys = finding.instance_path.split('/');
                let index = |key: &str| key.bytes().all(|b| b.is_ascii_digit());
                let keys = keys.map(|key| if index(key) { key.to_owned() } else { self.name(key) });
                keys.collect::<Vec<_>>().join("/")
            }
        };
        let message = match overflow {
            false => self.screen.text(&finding.message),
            true => format!("{PLACEHOLDER} (too many credentials in this capture to show what the finding quotes)"),
        };
        finding.message = match message.char_indices().nth(MAX_MESSAGE_CHARS) {
            Some((cut, _)) => format!("{}…", &message[..cut]),
            None => message,
        };
        finding.excerpt = finding.excerpt.as_deref().map(|text| match overflow {
            false => excerpt(&self.screen.text(text)),
            true => format!("{PLACEHOLDER} (too many credentials in this capture to show its values)"),
        });
        finding
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn past_every_limit_what_a_finding_quotes_is_withheld() {
        let finding = |message: &str| Finding {
            source: "s".into(),
            origin: zenith_capture::Origin::Line { line: 1, conn: Some("c1".into()) },
            index: 1,
            time: None,
            direction: None,
            inferred: None,
            controller: Some("Market".into()),
            topic: Some(message.trim_matches('`').into()),
            action: None,
            level: zenith_protocol::Severity::Error,
            code: zenith_capture::Code::UnknownTopic.as_str().into(),
            instance_path: format!("/Data/0/{}", message.trim_matches('`')),
            schema_path: String::new(),
            message: message.into(),
            excerpt: Some(format!("\"{message}\"")),
            related: None,
        };
        let mut shown = Shown { screen: Screen::with_limits(1, 1), withheld: false };
        shown.learn(&["FirstPw1".into(), "SecondPw2".into()]);
        let hidden = shown.finding(finding("`FirstPw1` `SecondPw2` `ThirdPw3`"));
        assert_eq!(hidden.message, "`<redacted>` `<redacted>` `ThirdPw3`");
        shown.learn(&["ThirdPw3".into()]);
        let withheld = shown.finding(finding("`ThirdPw3`"));
        assert!(withheld.message.starts_with("<redacted> (too many credentials"), "{}", withheld.message);
        assert!(withheld.excerpt.unwrap().starts_with("<redacted> (too many credentials"));
        assert_eq!((withheld.controller.as_deref(), withheld.topic.as_deref()), (Some("Market"), Some("<redacted>")));
        assert_eq!(
            (withheld.instance_path.as_str(), withheld.origin.connection()),
            ("/Data/0/<redacted>", "<redacted>".into())
        );
        assert_eq!(shown.finding(finding("Depth")).topic.as_deref(), Some("Depth"));
    }

    #[test]
    fn trees_that_may_hold_credentials() {
        for holds in [
            json!({"Data": {"Pasword": "x"}}),
            json!({"Data": [{"Note": "see ?access_token=t"}]}),
            json!({"Data": {"Text": "{\"k\": 1}"}}),
            json!({"headers": [{"name": "X", "value": "y"}]}),
            json!({"Data": "Bearer abc"}),
            json!({"Data": {"Pin": 1234}}),
            json!({"Data": {"password=hunter2": 1}}),
        ] {
            assert!(may_hold_credentials(&holds), "{holds}");
        }
        let market =
            json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Data": [{"O": "A", "ID": "7", "Price": "40.1"}]});
        assert!(!may_hold_credentials(&market));
    }
}
