//! What a command shows of a capture: every text taken from it passes the rules of
//! [`crate::redact`], with copies of the credentials met so far in the capture hidden too.

use zenith_protocol::runtime::may_hold_free_text_credentials;

use crate::{PLACEHOLDER, Secrets};

/// Forms of credentials kept as hashes once the automaton is full (8 bytes each, about twice
/// that with the sets that hold them).
const HASHED_FORMS: usize = 1 << 20;

/// The credentials a command has met in a capture, and the rules every text it shows from the
/// capture passes: `zenith check`, `zenith replay` and `zenith explain` show nothing else.
/// `Debug` shows counts, never a credential.
#[derive(Debug)]
pub struct Screen {
    secrets: Secrets,
}

impl Default for Screen {
    /// The screen of the commands that show text from a capture: copies of the first
    /// [`Screen::FOUND_WHOLE`] credentials found by the automaton, of more by hashing.
    fn default() -> Screen {
        Screen::new(Screen::FOUND_WHOLE)
    }
}

impl Screen {
    /// Credentials whose copies the default screen finds with its automaton (which also finds
    /// the start of a copy cut short).
    pub const FOUND_WHOLE: usize = 1024;

    /// Finds copies of up to `limit` credentials with an automaton, and of more by hashing up
    /// to a million of their forms; credentials met past those are counted by
    /// [`Screen::overflow`].
    pub fn new(limit: usize) -> Screen {
        Screen::with_limits(limit, HASHED_FORMS)
    }

    /// As [`Screen::new`], with `hashed` forms of credentials kept as hashes past the first
    /// `limit` (see [`Secrets::with_limits`]).
    pub fn with_limits(limit: usize, hashed: usize) -> Screen {
        Screen { secrets: Secrets::with_limits(limit, hashed) }
    }

    /// Learns credentials: their copies are hidden from now on.
    pub fn learn<S: AsRef<str>>(&mut self, credentials: &[S]) {
        for credential in credentials {
            self.secrets.remember(credential.as_ref());
        }
    }

    /// Learns the credentials in `text` (a message, JSON of any shape, or free text), by the
    /// rules of [`crate::redact`].
    pub fn learn_text(&mut self, text: &str) {
        self.learn(&crate::credentials(text));
    }

    /// Text from the capture as it may be shown: its credentials, and copies of those learnt,
    /// replaced. Where the text was cut short (`…`) before its credentials were known, the
    /// unfinished start of a copy just before the cut is replaced too.
    pub fn text(&mut self, text: &str) -> String {
        self.secrets.prepare();
        let scrubbed = crate::scrub(text, &self.secrets);
        hide_cut_copies(&scrubbed, &self.secrets)
    }

    /// A JSON Pointer into a message from the capture as it may be shown: each key in it
    /// passes the rules as free text does (`/Data/password=<redacted>`), copies included.
    pub fn path(&mut self, pointer: &str) -> String {
        if pointer.is_empty() {
            return String::new();
        }
        self.secrets.prepare();
        let keys = pointer.split('/').map(|key| {
            if !key.contains('~') && !may_hold_free_text_credentials(key) && self.secrets.is_empty() {
                return key.to_owned();
            }
            let key = key.replace("~1", "/").replace("~0", "~");
            crate::scrub_free_text(&key, &self.secrets).replace('~', "~0").replace('/', "~1")
        });
        keys.collect::<Vec<_>>().join("/")
    }

    /// Free text from the capture (a connection name) as it may be shown: its credentials, and
    /// copies of those learnt, replaced; JSON in it is not looked into.
    pub fn free_text(&mut self, text: &str) -> String {
        self.secrets.prepare();
        crate::scrub_free_text(text, &self.secrets)
    }

    /// How many credentials were met past every limit: their copies may go unseen, so values
    /// from the capture should be withheld rather than shown.
    pub fn overflow(&self) -> u64 {
        self.secrets.overflow()
    }
}

/// `text` with the unfinished start of a copy before each `…` replaced too.
fn hide_cut_copies(text: &str, secrets: &Secrets) -> String {
    if !text.contains('…') || secrets.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut pieces = text.split('…').peekable();
    while let Some(piece) = pieces.next() {
        let last = pieces.peek().is_none();
        match secrets.cut_copy(piece).filter(|_| !last) {
            Some(start) => {
                out.push_str(&piece[..start]);
                out.push_str(PLACEHOLDER);
            }
            None => out.push_str(piece),
        }
        if !last {
            out.push('…');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_pass_the_rules_key_by_key() {
        let mut screen = Screen::new(8);
        screen.learn(&["Hunter-22"]);
        assert_eq!(screen.path(""), "");
        assert_eq!(screen.path("/Data/0/Code"), "/Data/0/Code");
        assert_eq!(screen.path("/Data/password=Hunter-22x"), "/Data/password=<redacted>");
        assert_eq!(screen.path("/Bearer abc.def/x"), "/Bearer <redacted>/x");
        assert_eq!(screen.path("/https:~1~1user:pa55@host~1x"), "/https:~1~1user:<redacted>@host~1x");
        assert_eq!(screen.path("/Meta/Hunter-22"), "/Meta/<redacted>");
        assert!(!format!("{screen:?}").contains("Hunter"));
    }

    #[test]
    fn copies_cut_short_are_hidden() {
        let mut screen = Screen::new(8);
        screen.learn(&["pw-Quebec-55"]);
        assert_eq!(screen.text("value `pw-Que…` is wrong"), "value `<redacted>…` is wrong");
    }
}
