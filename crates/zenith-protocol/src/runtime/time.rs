//! Durations written `[days.]hours:minutes[:seconds[.fraction]]`, kept as the original text.

use std::fmt;

use std::str::FromStr;
use std::time::Duration;

/// A length of time such as `1.12:20:5` (1 day 12 h 20 min 5 s) or `00:00:35`.
///
/// Serializing writes the original text back unchanged.
///
/// ```
/// use zenith_protocol::Time;
/// let time: Time = "1.12:20:5".parse().unwrap();
/// assert_eq!(time.duration().as_secs(), 86_400 + 12 * 3600 + 20 * 60 + 5);
/// assert_eq!(time.to_string(), "1.12:20:5");
/// ```
#[derive(Clone, Debug)]
pub struct Time {
    text: String,
    duration: Duration,
}

/// Why a string is not a protocol duration, or why a duration does not convert.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` {}{reason}", if *.form { FORM } else { "" })]
pub struct TimeError {
    text: String,
    /// Whether the text's form is wrong (else a value is beyond what the other side holds).
    form: bool,
    reason: &'static str,
}

const FORM: &str = "is not a duration like `00:00:35` or `1.12:20:5` ([days.]hours:minutes[:seconds[.fraction]]): ";

impl Time {
    pub fn parse(text: &str) -> Result<Time, TimeError> {
        match read(text) {
            Ok(duration) => Ok(Time { text: text.to_owned(), duration }),
            Err(reason) => Err(TimeError { text: text.to_owned(), form: true, reason }),
        }
    }

    /// Checks `text` without keeping it; the error says what is wrong.
    pub fn check(text: &str) -> Result<(), &'static str> {
        read(text).map(|_| ())
    }
}

fn read(text: &str) -> Result<Duration, &'static str> {
    let fail = |reason: &'static str| reason;
    let (clock, days) = match text.split_once('.') {
        Some((days, rest)) if !days.contains(':') => {
            (rest, number(days, usize::MAX).ok_or_else(|| fail("bad day count"))?)
        }
        _ => (text, 0),
    };
    let mut parts = clock.split(':');
    let hours = parts.next().and_then(|p| number(p, 2)).ok_or_else(|| fail("hours need one or two digits"))?;
    let minutes = parts.next().and_then(|p| number(p, 2)).ok_or_else(|| fail("minutes need one or two digits"))?;
    let (seconds, nanos) = match parts.next() {
        None => (0, 0),
        Some(part) => {
            let (whole, fraction) = match part.split_once('.') {
                Some((whole, fraction)) => (whole, Some(fraction)),
                None => (part, None),
            };
            let seconds = number(whole, 2).ok_or_else(|| fail("seconds need one or two digits"))?;
            let nanos = match fraction {
                None => 0,
                Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
                    f.bytes().take(9).enumerate().map(|(i, d)| u32::from(d - b'0') * 10u32.pow(8 - i as u32)).sum()
                }
                Some(_) => return Err(fail("a fraction needs at least one digit")),
            };
            (seconds, nanos)
        }
    };
    if parts.next().is_some() {
        return Err(fail("too many `:` parts"));
    }
    let seconds = days
        .checked_mul(86_400)
        .and_then(|s| s.checked_add(hours * 3600 + minutes * 60 + seconds))
        .ok_or_else(|| fail("too long"))?;
    Ok(Duration::new(seconds, nanos))
}

impl Time {
    /// The original text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The length of time.
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

/// An ASCII decimal of 1..=`max_digits` digits.
fn number(text: &str, max_digits: usize) -> Option<u64> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl FromStr for Time {
    type Err = TimeError;
    fn from_str(text: &str) -> Result<Time, TimeError> {
        Time::parse(text)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Time {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Time::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Time {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Time".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

// Durations compare, hash and sort by their length, whatever their form.
by_value!(Time, |value| value.duration);

/// A length of time written `hh:mm:ss`, after `days.` from one day on and with the fraction of
/// a second when there is one (`1.02:03:04.5`).
///
/// ```
/// use std::time::Duration;
/// use zenith_protocol::Time;
/// assert_eq!(Time::from(Duration::from_secs(35)).as_str(), "00:00:35");
/// assert_eq!(Time::from(Duration::new(93_784, 500_000_000)).as_str(), "1.02:03:04.5");
/// ```
impl From<Duration> for Time {
    fn from(value: Duration) -> Time {
        let seconds = value.as_secs();
        let (days, clock) = (seconds / 86_400, seconds % 86_400);
        let mut text = if days > 0 { format!("{days}.") } else { String::new() };
        text.push_str(&format!("{:02}:{:02}:{:02}", clock / 3600, clock / 60 % 60, clock % 60));
        if value.subsec_nanos() != 0 {
            let fraction = format!("{:09}", value.subsec_nanos());
            text.push('.');
            text.push_str(fraction.trim_end_matches('0'));
        }
        Time { text, duration: value }
    }
}

/// The length of time (as [`Time::duration`]).
impl From<&Time> for Duration {
    fn from(value: &Time) -> Duration {
        value.duration
    }
}

/// The length of time; refused past `i64::MAX` seconds, the longest a `jiff::SignedDuration`
/// holds.
///
/// ```
/// use zenith_protocol::Time;
/// let time: Time = "1.12:20:5".parse().unwrap();
/// assert_eq!(jiff::SignedDuration::try_from(&time).unwrap(), jiff::SignedDuration::from_secs(130_805));
/// ```
#[cfg(feature = "jiff")]
impl TryFrom<&Time> for jiff::SignedDuration {
    type Error = TimeError;
    fn try_from(value: &Time) -> Result<jiff::SignedDuration, TimeError> {
        jiff::SignedDuration::try_from(value.duration).map_err(|_| TimeError {
            text: value.text.clone(),
            form: false,
            reason: "is longer than a jiff::SignedDuration holds",
        })
    }
}

/// A signed length of time, `duration` when it is not negative, as a `Time`.
#[cfg(any(feature = "jiff", feature = "time"))]
fn from_signed(duration: Option<Duration>, signed: &impl std::fmt::Display) -> Result<Time, TimeError> {
    duration.map(Time::from).ok_or_else(|| TimeError {
        text: signed.to_string(),
        form: false,
        reason: "is negative, which the protocol cannot write",
    })
}

/// A length of time written as `From<std::time::Duration>` writes it;
/// negative durations are refused, the protocol has no spelling for them.
///
/// ```
/// use zenith_protocol::Time;
/// let time = Time::try_from(jiff::SignedDuration::from_millis(90_250)).unwrap();
/// assert_eq!(time.as_str(), "00:01:30.25");
/// assert!(Time::try_from(jiff::SignedDuration::from_secs(-1)).is_err());
/// ```
#[cfg(feature = "jiff")]
impl TryFrom<jiff::SignedDuration> for Time {
    type Error = TimeError;
    fn try_from(value: jiff::SignedDuration) -> Result<Time, TimeError> {
        from_signed(Duration::try_from(value).ok(), &value)
    }
}

/// The length of time; refused past `i64::MAX` seconds, the longest a `time::Duration` holds.
///
/// ```
/// use zenith_protocol::Time;
/// let time: Time = "00:01:30.25".parse().unwrap();
/// assert_eq!(time::Duration::try_from(&time).unwrap(), time::Duration::milliseconds(90_250));
/// ```
#[cfg(feature = "time")]
impl TryFrom<&Time> for ::time::Duration {
    type Error = TimeError;
    fn try_from(value: &Time) -> Result<::time::Duration, TimeError> {
        ::time::Duration::try_from(value.duration).map_err(|_| TimeError {
            text: value.text.clone(),
            form: false,
            reason: "is longer than a time::Duration holds",
        })
    }
}

/// A length of time written as `From<std::time::Duration>` writes it; negative durations are
/// refused, the protocol has no spelling for them.
///
/// ```
/// use zenith_protocol::Time;
/// assert_eq!(Time::try_from(time::Duration::hours(25)).unwrap().as_str(), "1.01:00:00");
/// assert!(Time::try_from(time::Duration::seconds(-1)).is_err());
/// ```
#[cfg(feature = "time")]
impl TryFrom<::time::Duration> for Time {
    type Error = TimeError;
    fn try_from(value: ::time::Duration) -> Result<Time, TimeError> {
        from_signed(Duration::try_from(value).ok(), &value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let cases = [
            ("1.12:20:5", 130_805, 0),
            ("00:00:35", 35, 0),
            ("00:01:00", 60, 0),
            ("1:2", 3720, 0),
            ("0:0:1.25", 1, 250_000_000),
        ];
        for (text, seconds, nanos) in cases {
            let time = Time::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(time.duration(), Duration::new(seconds, nanos), "{text}");
            assert_eq!(serde_json::to_value(&time).unwrap(), serde_json::json!(text));
        }
    }

    #[test]
    fn refuses_other_text() {
        for text in ["", "35", "1.", ".1:00", "00:00:35.", "001:00", "1:2:3:4", "a:b", "1.2.3:00", "-1:00"] {
            assert!(Time::parse(text).is_err(), "accepted {text:?}");
        }
    }
}
