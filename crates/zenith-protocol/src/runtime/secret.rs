//! Credentials: printed as `<redacted>`, wiped from memory when dropped.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use rustc_hash::FxHashMap;
use serde::de::{self, Unexpected, Visitor};
use zeroize::Zeroizing;

/// The text shown in place of a credential.
pub const REDACTED: &str = "<redacted>";

/// Parts of a name that mark it as holding a credential, whatever the schema says. Names are
/// compared lowercased with everything but letters and digits removed, so `api-key`,
/// `X-Api-Key`, `Api Key` and `api_key` all contain `apikey`.
const MARKERS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "passcode",
    "secret",
    "token",
    "grant",
    "credential",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "cookie",
];

/// Short words that mark a name as holding a credential only when they are a whole word of it
/// (`Pin`, `PIN`, `pin_code`, `UserPIN`, `OTP`), never inside a longer word (`Shipping`,
/// `Spinner`, `Option`): too short to be looked for as parts.
const WORDS: &[&str] = &["pin", "otp", "totp", "hotp", "cvv", "cvv2", "cvc", "cvc2"];

/// What, before a closing word `code`, makes the name a one-time or secret code
/// (`TwoFactorCode`, `MFACode`, `verification_code`, `SecurityCode`, `2FA-Code`): the words
/// before `code`, joined and lowercased.
const CODES: &[&str] = &[
    "twofactor",
    "2fa",
    "mfa",
    "tfa",
    "otp",
    "pin",
    "verification",
    "verify",
    "security",
    "confirmation",
    "onetime",
    "recovery",
    "backup",
    "sms",
    "auth",
    "login",
    "access",
];

/// Names that hold a credential only as a query, form or header parameter (`?key=...`,
/// `?code=...`): as message properties (`Code`, `Key`) they are ordinary protocol fields.
const PARAMETERS: &[&str] =
    &["key", "code", "sig", "signature", "auth", "pass", "pwd", "session", "sessionid", "sid", "jwt", "otp"];

/// True for a property name that holds a credential: a secret property of the schemas (in any
/// case, or, when it has eight letters or more, misspelled by up to two edits), a name
/// containing a credential word (`password`, `secret`, `token`, `api-key`, ...), or one with a
/// short credential word as a whole word (`Pin`, `OTP`) or ending in a secret code
/// (`TwoFactorCode`, `VerificationCode`). Percent-encoded names (`pass%77ord`) are decoded
/// first. The one rule for what `zenith redact` replaces and what `zenith check` never prints.
pub fn is_secret_name(name: &str) -> bool {
    /// Names told at most, per thread: captures repeat a few names endlessly.
    const REMEMBERED: usize = 4096;
    thread_local! {
        static TOLD: RefCell<FxHashMap<Box<str>, bool>> = RefCell::new(FxHashMap::default());
    }
    if name.len() > 256 {
        return tell_secret_name(name);
    }
    TOLD.with_borrow_mut(|told| {
        if let Some(secret) = told.get(name) {
            return *secret;
        }
        if told.len() >= REMEMBERED {
            told.clear();
        }
        let secret = tell_secret_name(name);
        told.insert(name.into(), secret);
        secret
    })
}

fn tell_secret_name(name: &str) -> bool {
    let name = decoded(name);
    let secrets = crate::generated::messages::SECRET_PROPERTIES;
    if secrets.iter().any(|secret| secret.eq_ignore_ascii_case(&name)) {
        return true;
    }
    let folded = fold(&name);
    if MARKERS.iter().any(|marker| folded.contains(marker)) || secret_words(&name, &folded) {
        return true;
    }
    // Two edits turn a short name into common words (`auth` into `path`, `at`): only long
    // secret names are looked for misspelled.
    let long: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= MIN_MISSPELT_SECRET).collect();
    super::diagnostics::text::near_miss(&name, &long).is_some()
}

/// Whether the words of a name hold a short credential word, or end in a secret code.
fn secret_words(name: &str, folded: &str) -> bool {
    let words = words(name);
    if words.iter().any(|word| WORDS.contains(&word.as_str())) {
        return true;
    }
    // `verificationcode`, written as one word.
    if CODES.iter().any(|code| folded.strip_suffix("code") == Some(code)) {
        return true;
    }
    words.iter().enumerate().filter(|(_, word)| *word == "code").any(|(at, _)| {
        let mut before = String::new();
        words[..at].iter().rev().take(3).any(|word| {
            before.insert_str(0, word);
            CODES.contains(&before.as_str())
        })
    })
}

/// The words of a name, lowercased: split at anything but letters and digits, and where case
/// changes (`userPin`, `MFACode`: `user pin`, `mfa code`).
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let bytes = part.as_bytes();
        let mut start = 0;
        for at in 1..bytes.len() {
            let (before, here) = (bytes[at - 1], bytes[at]);
            let lower_to_upper = before.is_ascii_lowercase() && here.is_ascii_uppercase();
            // The last capital of a run starts the next word: `MFACode`.
            let acronym_end = before.is_ascii_uppercase()
                && here.is_ascii_uppercase()
                && bytes.get(at + 1).is_some_and(u8::is_ascii_lowercase);
            if lower_to_upper || acronym_end {
                words.push(part[start..at].to_ascii_lowercase());
                start = at;
            }
        }
        words.push(part[start..].to_ascii_lowercase());
    }
    words
}

/// The shortest secret property name also found misspelled.
const MIN_MISSPELT_SECRET: usize = 8;

/// True for the name of a query, form or header parameter that holds a credential: a secret
/// name, or one of the short names (`key`, `code`, `sig`, ...) that do so in URLs and forms.
/// Percent-encoded names (`api%5Fkey`) are decoded first.
pub fn is_secret_parameter(name: &str) -> bool {
    is_secret_name(name) || PARAMETERS.contains(&fold(&decoded(name)).as_str())
}

/// True for an object key under which, or in which, the credential rules may find a
/// credential: a name that holds one, a name the `{name, value}` pair and cookie rules read
/// (`name`, `value`, `cookies`), or one holding the `=`, `:` or space that credentials in free
/// text come after (`password=...`, `Bearer ...`, `user:pass@host`).
pub fn may_mark_secret(key: &str) -> bool {
    matches!(key, "name" | "value" | "cookies") || may_hold_free_text_credentials(key) || is_secret_name(key)
}

/// What the free-text rules find credentials after: `name=value`, `name: value`, a scheme and
/// white space (`Bearer t0k`), and percent-encoded forms of those (`password%3Dpw`).
const FREE_TEXT_MARKS: [char; 7] = ['=', ':', ' ', '\t', '\n', '\r', '%'];

/// False when the free-text rules cannot find a credential in `text`: it holds none of the
/// characters they look after.
pub fn may_hold_free_text_credentials(text: &str) -> bool {
    text.contains(FREE_TEXT_MARKS)
}

/// A name with its percent-encoding (`pass%77ord`, as in URLs and form bodies) decoded, twice
/// when it was encoded twice (`pass%2577ord`, a URL inside a URL).
fn decoded(name: &str) -> Cow<'_, str> {
    let mut name = Cow::Borrowed(name);
    for _ in 0..2 {
        if !name.contains('%') {
            break;
        }
        name = Cow::Owned(percent_encoding::percent_decode_str(&name).decode_utf8_lossy().into_owned());
    }
    name
}

/// A name lowercased, with only its letters and digits.
fn fold(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// A credential (password, client secret, auth grant, access token).
///
/// `Debug` and `Display` print `<redacted>`; serializing writes the real value, because the
/// protocol must carry it. Deserialization errors never quote the offending value.
///
/// ```
/// let password = zenith_protocol::Secret::from("Insect");
/// assert_eq!(format!("{password:?} {password}"), "<redacted> <redacted>");
/// assert_eq!(password.expose(), "Insect");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The credential itself. Call only to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(Zeroizing::new(value.to_owned()))
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(Zeroizing::new(value))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        deserializer.deserialize_any(SecretVisitor)
    }
}

/// Accepts only strings; every error names the kind of value found, never the value.
struct SecretVisitor;

impl SecretVisitor {
    fn refuse<E: de::Error>(&self, found: Unexpected<'_>) -> E {
        let kind = match found {
            Unexpected::Bool(_) => "a boolean",
            Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
            Unexpected::Seq => "an array",
            Unexpected::Map => "an object",
            Unexpected::Unit | Unexpected::Option => "null",
            _ => "a non-string value",
        };
        E::custom(format_args!("expected a string credential, found {kind} (value {REDACTED})"))
    }
}

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string credential")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Secret, E> {
        Ok(Secret::from(value))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Secret, E> {
        Ok(Secret::from(value))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Secret, E> {
        Err(self.refuse(Unexpected::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Secret, E> {
        Err(self.refuse(Unexpected::Signed(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Secret, E> {
        Err(self.refuse(Unexpected::Unsigned(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Secret, E> {
        Err(self.refuse(Unexpected::Float(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Secret, E> {
        Err(self.refuse(Unexpected::Unit))
    }

    fn visit_none<E: de::Error>(self) -> Result<Secret, E> {
        Err(self.refuse(Unexpected::Option))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Secret, E> {
        Err(self.refuse(Unexpected::Bytes(&[])))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
        Err(self.refuse(Unexpected::Seq))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
        Err(self.refuse(Unexpected::Map))
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "x-zenith-secret": true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_hold_credentials() {
        for name in [
            "Password",
            "password",
            "Pasword",
            "ClientSecret",
            "client_secret",
            "AccessToken",
            "access_token",
            "AuthGrant",
            "refreshToken",
            "apiKey",
            "api-key",
            "Api Key",
            "X-Api-Key",
            "X-Auth-Token",
            "Pass\u{77}ord",
            "Authorization",
            "Set-Cookie",
            "auth",
            "Pin",
            "PIN",
            "pin_code",
            "UserPIN",
            "OTP",
            "otp",
            "TOTP",
            "Passcode",
            "TwoFactorCode",
            "two_factor_code",
            "MFACode",
            "mfa-code",
            "2FACode",
            "VerificationCode",
            "verificationcode",
            "SecurityCode",
            "CardCVV",
            "pass%77ord",
            "pass%2577ord",
            "Api%20Key",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        // Near misses of a short secret name are ordinary words.
        for name in [
            "UserName",
            "Provider",
            "Scope",
            "DisplayName",
            "Topic",
            "ClientID",
            "Code",
            "Key",
            "Session",
            "path",
            "At",
            "Path",
            "Author",
            "Shipping",
            "Mapping",
            "Opinion",
            "Spinner",
            "Pinned",
            "Option",
            "Ping",
            "Barcode",
            "CountryCode",
            "CultureCode",
            "CategoryCodes",
            "MfaEnabled",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
        for name in ["key", "code", "sig", "access_token", "session", "api%5Fkey", "%6Bey", "api%255Fkey"] {
            assert!(is_secret_parameter(name), "{name}");
        }
        for name in ["version", "state", "Topic"] {
            assert!(!is_secret_parameter(name), "{name}");
        }
    }
}
