//! Misbehaviour on demand (`--faults`): what a client must survive, made testable.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;

/// The faults a mock commits, each as likely as its rate (from 0, never, to 1, always).
///
/// Written as `--faults` takes them: comma-separated `name=value`, such as
/// `retry=0.1,limited=0.05,drop=0.02,unsub=0.01,close=4000@30s,stall=5s@0.1,slow=200ms,malformed=0.01,invalid=0.01`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// A request answered by an `Error` of `Retry` (try again later).
    pub retry: f64,
    /// A request answered by an `Error` of `Limited` (too many requests).
    pub limited: f64,
    /// A request never answered.
    pub drop: f64,
    /// On each push, the server ends the subscription instead (its own `Unsub`: data not
    /// available).
    pub unsub: f64,
    /// The connection closed by the server with this code after this long (4000: kicked off).
    pub close: Option<(u16, Duration)>,
    /// Before answering a request, the server stalls this long, this often.
    pub stall: Option<(Duration, f64)>,
    /// Every message sent waits this long first.
    pub slow: Option<Duration>,
    /// A message sent as text that is not JSON.
    pub malformed: f64,
    /// A message sent in a shape its schema rejects.
    pub invalid: f64,
}

/// A `--faults` text that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("--faults: {0} (write them as `retry=0.1,close=4000@30s,...`; see docs/mock.md)")]
pub struct FaultsError(String);

impl FromStr for Faults {
    type Err = FaultsError;

    fn from_str(text: &str) -> Result<Faults, FaultsError> {
        let mut faults = Faults::default();
        for item in text.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let (name, value) = item.split_once('=').ok_or_else(|| FaultsError(format!("`{item}` has no `=value`")))?;
            match name.trim() {
                "retry" => faults.retry = rate(value)?,
                "limited" => faults.limited = rate(value)?,
                "drop" => faults.drop = rate(value)?,
                "unsub" => faults.unsub = rate(value)?,
                "malformed" => faults.malformed = rate(value)?,
                "invalid" => faults.invalid = rate(value)?,
                "slow" => faults.slow = Some(duration(value)?),
                "close" => {
                    let (code, after) = value.split_once('@').unwrap_or((value, "0s"));
                    let code: u16 =
                        code.trim().parse().map_err(|_| FaultsError(format!("`{code}` is not a close code")))?;
                    if !(1000..=4999).contains(&code) || matches!(code, 1004..=1006 | 1015) {
                        return Err(FaultsError(format!("{code} is not a close code a server may send")));
                    }
                    faults.close = Some((code, duration(after)?));
                }
                "stall" => {
                    let (long, often) = value.split_once('@').unwrap_or((value, "1"));
                    faults.stall = Some((duration(long)?, rate(often)?));
                }
                other => {
                    return Err(FaultsError(format!(
                        "`{other}` is not a fault: retry, limited, drop, unsub, close, stall, slow, malformed, invalid"
                    )));
                }
            }
        }
        Ok(faults)
    }
}

fn rate(text: &str) -> Result<f64, FaultsError> {
    match text.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(FaultsError(format!("`{text}` is not a rate from 0 to 1"))),
    }
}

/// `200ms`, `5s` or `1.5s`.
fn duration(text: &str) -> Result<Duration, FaultsError> {
    let text = text.trim();
    let (number, scale) = match text.strip_suffix("ms") {
        Some(number) => (number, 0.001),
        None => (text.strip_suffix('s').unwrap_or(text), 1.0),
    };
    match number.parse::<f64>() {
        Ok(value) if value >= 0.0 && value * scale <= 86_400.0 => Ok(Duration::from_secs_f64(value * scale)),
        _ => Err(FaultsError(format!("`{text}` is not a duration such as `200ms` or `5s` (at most a day)"))),
    }
}

/// What the server does with one request, the faults considered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Reply,
    Retry,
    Limited,
    Drop,
}

/// The faults with the dice that decide each time, seeded so that a run repeats.
#[derive(Debug)]
pub struct Dice {
    pub faults: Faults,
    rng: fastrand::Rng,
}

impl Dice {
    pub fn new(faults: Faults, seed: u64) -> Dice {
        Dice { faults, rng: fastrand::Rng::with_seed(seed) }
    }

    fn roll(&mut self, rate: f64) -> bool {
        rate > 0.0 && self.rng.f64() < rate
    }

    /// How a request is answered.
    pub fn answer(&mut self) -> Answer {
        let f = &self.faults;
        let (drop, retry, limited) = (f.drop, f.retry, f.limited);
        if self.roll(drop) {
            Answer::Drop
        } else if self.roll(retry) {
            Answer::Retry
        } else if self.roll(limited) {
            Answer::Limited
        } else {
            Answer::Reply
        }
    }

    /// Whether the server ends a subscription instead of its next push.
    pub fn unsub(&mut self) -> bool {
        self.roll(self.faults.unsub)
    }

    /// How long to stall before answering a request.
    pub fn stall(&mut self) -> Option<Duration> {
        let (long, often) = self.faults.stall?;
        self.roll(often).then_some(long)
    }

    /// A message as the faults would send it: text that is not JSON, a copy its schema rejects,
    /// or the message itself.
    pub fn spoil(&mut self, message: Value) -> Spoiled {
        if self.roll(self.faults.malformed) {
            let text = message.to_string();
            let cut = text.len() / 2;
            let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            return Spoiled::Text(text[..cut].to_owned());
        }
        if self.roll(self.faults.invalid) {
            return Spoiled::Message(break_shape(message));
        }
        Spoiled::Message(message)
    }
}

/// What is sent in place of a message.
#[derive(Debug)]
pub enum Spoiled {
    Message(Value),
    /// Text that is not a whole JSON message.
    Text(String),
}

/// A copy of `message` its schema rejects: its Topic (every message has one but some errors)
/// made a number, or else its Action.
fn break_shape(mut message: Value) -> Value {
    if let Some(object) = message.as_object_mut() {
        let field = if object.contains_key("Topic") { "Topic" } else { "Action" };
        object.insert(field.to_owned(), Value::from(7));
    }
    message
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Reply => "reply",
            Answer::Retry => "Retry",
            Answer::Limited => "Limited",
            Answer::Drop => "dropped",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_form_is_read() {
        let faults: Faults =
            "retry=0.1, limited=0.05,drop=1,unsub=0,close=4000@30s,stall=5s@0.5,slow=200ms,malformed=0.01,invalid=1"
                .parse()
                .unwrap();
        assert_eq!(faults.retry, 0.1);
        assert_eq!(faults.close, Some((4000, Duration::from_secs(30))));
        assert_eq!(faults.stall, Some((Duration::from_secs(5), 0.5)));
        assert_eq!(faults.slow, Some(Duration::from_millis(200)));
        assert_eq!("".parse::<Faults>().unwrap(), Faults::default());
    }

    #[test]
    fn bad_faults_say_what_is_wrong() {
        let error = |text: &str| text.parse::<Faults>().unwrap_err().to_string();
        assert!(error("retry=2").contains("`2` is not a rate from 0 to 1"));
        assert!(error("explode=1").contains("`explode` is not a fault"));
        assert!(error("close=1005@1s").contains("1005 is not a close code a server may send"));
        assert!(error("slow=fast").contains("`fast` is not a duration"));
        assert!(error("retry").contains("has no `=value`"));
    }

    #[test]
    fn the_dice_repeat_for_a_seed_and_keep_to_their_rates() {
        let faults: Faults = "retry=0.5".parse().unwrap();
        let rolls = |seed| {
            let mut dice = Dice::new(faults.clone(), seed);
            (0..1000).map(|_| dice.answer()).collect::<Vec<_>>()
        };
        assert_eq!(rolls(7), rolls(7));
        let retries = rolls(7).iter().filter(|a| **a == Answer::Retry).count();
        assert!((400..600).contains(&retries), "{retries}");
        let mut never = Dice::new(Faults::default(), 1);
        assert!((0..1000).all(|_| never.answer() == Answer::Reply && !never.unsub()));
    }
}
