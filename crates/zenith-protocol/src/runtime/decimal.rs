//! Decimal amounts: prices, quantities, volumes and values, kept as written.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde_json::value::RawValue;

/// A decimal amount, kept as the JSON number's text: no digit is lost to binary floating point,
/// and serializing writes it back as it came (`1.10` stays `1.10`). Parsed from message text
/// (`Message::parse_str`, `serde_json::from_str`), the text is the sender's; from a parsed
/// `serde_json::Value`, which holds numbers as doubles, it is the shortest text for the double.
///
/// ```
/// use zenith_protocol::Decimal;
/// let price: Decimal = serde_json::from_str("1.10").unwrap();
/// assert_eq!(price.as_str(), "1.10");
/// assert_eq!(price.to_f64(), 1.1);
/// assert_eq!(serde_json::to_string(&price).unwrap(), "1.10");
/// let volume: Decimal = "11597193".parse().unwrap();
/// assert_eq!(volume.to_i64(), Some(11597193));
/// assert!("1.1.1".parse::<Decimal>().is_err());
/// ```
///
/// Equality, hashing and ordering go by value, exactly (no `f64` on the way): `42.0 == 42.00`,
/// `1e2 == 100`, `-0 == 0`, and `9.99 < 10`, so amounts can key maps and sort a book.
///
/// ```
/// use zenith_protocol::Decimal;
/// let a: Decimal = "42.0".parse().unwrap();
/// let b: Decimal = "42.00".parse().unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.as_str(), "42.0", "each keeps its spelling");
/// assert!("9.99".parse::<Decimal>().unwrap() < Decimal::from(10u8));
/// assert!("-1e3".parse::<Decimal>().unwrap() < "-999.5".parse().unwrap());
/// ```
#[derive(Clone, Debug)]
pub struct Decimal(String);

by_value!(Decimal, |decimal| Value::of(&decimal.0));

/// A decimal's value, read from its text without rounding: zero, or a sign and the significant
/// digits (no leading or trailing zeros) scaled so that the first digit is worth 10^`magnitude`.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Value<'t> {
    Zero,
    NonZero { negative: bool, magnitude: i64, digits: Digits<'t> },
}

/// The significant digits of a decimal, in the integer part and then the fraction of its text.
#[derive(Debug, Clone, Copy)]
struct Digits<'t> {
    integer: &'t str,
    fraction: &'t str,
}

impl Digits<'_> {
    fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        let digits = self.integer.bytes().chain(self.fraction.bytes());
        // Leading zeros are not significant; trailing ones were cut already.
        digits.skip_while(|d| *d == b'0')
    }
}

impl PartialEq for Digits<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Digits<'_> {}

impl Hash for Digits<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for digit in self.iter() {
            state.write_u8(digit);
        }
    }
}

impl<'t> Value<'t> {
    /// The value of a JSON number's text (anything else reads as zero; a `Decimal` holds only
    /// JSON numbers).
    fn of(text: &'t str) -> Value<'t> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (number, exponent) = match rest.find(['e', 'E']) {
            Some(at) => {
                let written = &rest[at + 1..];
                // An exponent too large for an i64 is as large as can be: past every other.
                let far = if written.starts_with('-') { -(1 << 60) } else { 1 << 60 };
                (&rest[..at], written.parse::<i64>().unwrap_or(far).clamp(-(1 << 60), 1 << 60))
            }
            None => (rest, 0),
        };
        let (integer, fraction) = number.split_once('.').unwrap_or((number, ""));
        let Some(first) = integer.bytes().chain(fraction.bytes()).position(|d| d != b'0') else {
            return Value::Zero;
        };
        // The digit at `first` (counted over the integer and fraction digits) is worth
        // 10^(digits before the point - 1 - first + exponent).
        let magnitude = integer.len() as i64 - 1 - first as i64 + exponent;
        // Trailing zeros are not significant.
        let fraction = fraction.trim_end_matches('0');
        let integer = if fraction.is_empty() { integer.trim_end_matches('0') } else { integer };
        Value::NonZero { negative, magnitude, digits: Digits { integer, fraction } }
    }
}

impl Ord for Value<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        use Value::{NonZero, Zero};
        let sign = |v: &Value<'_>| match v {
            Zero => 0,
            NonZero { negative: true, .. } => -1,
            NonZero { .. } => 1,
        };
        match (self, other) {
            (NonZero { negative, magnitude: a, digits: x }, NonZero { negative: n, magnitude: b, digits: y })
                if negative == n =>
            {
                let by_size = a.cmp(b).then_with(|| x.iter().cmp(y.iter()));
                if *negative { by_size.reverse() } else { by_size }
            }
            _ => sign(self).cmp(&sign(other)),
        }
    }
}

impl PartialOrd for Value<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Decimal {
    /// The number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nearest double.
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// The number, when it is written as an integer that fits.
    pub fn to_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}

/// Integers of every width, written as they are.
macro_rules! from_integers {
    ($($integer:ty),*) => {$(
        impl From<$integer> for Decimal {
            fn from(value: $integer) -> Decimal {
                Decimal(value.to_string())
            }
        }
    )*};
}

from_integers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// Why a string or a double is not a decimal amount, or why an amount does not fit another
/// decimal type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` {reason}")]
pub struct DecimalError {
    text: String,
    reason: &'static str,
}

impl FromStr for Decimal {
    type Err = DecimalError;
    fn from_str(text: &str) -> Result<Decimal, DecimalError> {
        match serde_json::from_str::<serde_json::Number>(text) {
            Ok(_) => Ok(Decimal(text.trim().to_owned())),
            Err(_) => Err(DecimalError { text: text.to_owned(), reason: "is not a JSON number" }),
        }
    }
}

/// A finite double becomes the shortest text that reads back as the same double (`0.1`, not
/// `0.1000000000000000055511151231257827`); NaN and the infinities are refused, JSON has no
/// spelling for them.
///
/// ```
/// use zenith_protocol::Decimal;
/// assert_eq!(Decimal::try_from(0.1).unwrap().as_str(), "0.1");
/// assert_eq!(Decimal::try_from(1e300).unwrap().as_str(), "1e+300");
/// assert_eq!(Decimal::try_from(-2.5).unwrap(), "-2.50".parse().unwrap());
/// assert!(Decimal::try_from(f64::NAN).is_err());
/// ```
impl TryFrom<f64> for Decimal {
    type Error = DecimalError;
    fn try_from(value: f64) -> Result<Decimal, DecimalError> {
        match serde_json::Number::from_f64(value) {
            Some(number) => Ok(Decimal(number.to_string())),
            None => Err(DecimalError { text: value.to_string(), reason: "is not a finite number" }),
        }
    }
}

/// A `rust_decimal::Decimal` becomes its own text (`Display`), so its scale is kept: `1.10`
/// stays `1.10`.
///
/// ```
/// use zenith_protocol::Decimal;
/// let exact = rust_decimal::Decimal::new(110, 2);
/// assert_eq!(Decimal::from(exact).as_str(), "1.10");
/// ```
#[cfg(feature = "rust_decimal")]
impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Decimal {
        Decimal(value.to_string())
    }
}

/// An amount becomes a `rust_decimal::Decimal` of exactly its value, or an error: nothing is
/// rounded. The written scale is kept where it fits (`1.10` has scale 2), and trailing zeros
/// are given up only when the digits would not fit otherwise. Refused are amounts beyond
/// about ±7.9e28, and those needing more than 28 digits after the point.
///
/// ```
/// use zenith_protocol::Decimal;
/// let price: Decimal = "1.10".parse().unwrap();
/// let exact = rust_decimal::Decimal::try_from(&price).unwrap();
/// assert_eq!(exact.to_string(), "1.10");
/// let scaled: Decimal = "-25e-1".parse().unwrap();
/// assert_eq!(rust_decimal::Decimal::try_from(&scaled).unwrap().to_string(), "-2.5");
/// let tiny: Decimal = "1e-29".parse().unwrap();
/// assert!(rust_decimal::Decimal::try_from(&tiny).is_err());
/// let huge: Decimal = "1e29".parse().unwrap();
/// assert!(rust_decimal::Decimal::try_from(&huge).is_err());
/// ```
#[cfg(feature = "rust_decimal")]
impl TryFrom<&Decimal> for rust_decimal::Decimal {
    type Error = DecimalError;
    fn try_from(value: &Decimal) -> Result<rust_decimal::Decimal, DecimalError> {
        let fail = |reason| DecimalError { text: value.0.clone(), reason };
        // The most digits after the point, and the largest mantissa (96 bits), it holds.
        const MAX_SCALE: i64 = 28;
        const MAX_MANTISSA: u128 = (1 << 96) - 1;
        let written_scale = written_scale(&value.0).clamp(0, MAX_SCALE);
        let (negative, mantissa, scale) = match Value::of(&value.0) {
            Value::Zero => (false, 0, written_scale),
            Value::NonZero { negative, magnitude, digits } => {
                let count = digits.iter().count() as i64;
                // The value is the significant digits × 10^`exponent`.
                let exponent = magnitude - count + 1;
                let least_scale = (-exponent).max(0);
                if least_scale > MAX_SCALE {
                    return Err(fail("needs more than 28 digits after the point, beyond a rust_decimal::Decimal"));
                }
                // Digits past the 96-bit mantissa make an integer too large, or a fraction too
                // precise.
                let too_large = if exponent >= 0 {
                    "is beyond the range of a rust_decimal::Decimal (about ±7.9e28)"
                } else {
                    "has more significant digits than a rust_decimal::Decimal holds (a 96-bit mantissa)"
                };
                if count > 29 {
                    return Err(fail(too_large));
                }
                let significant = digits.iter().fold(0u128, |m, d| m * 10 + u128::from(d - b'0'));
                // The written scale if the mantissa fits, else fewer trailing zeros.
                let fitting = (least_scale..=written_scale.max(least_scale)).rev().find_map(|scale| {
                    let zeros = u32::try_from(exponent + scale).ok()?;
                    let mantissa = 10u128.checked_pow(zeros)?.checked_mul(significant)?;
                    (mantissa <= MAX_MANTISSA).then_some((mantissa, scale))
                });
                let Some((mantissa, scale)) = fitting else {
                    return Err(fail(too_large));
                };
                (negative, mantissa, scale)
            }
        };
        // Both fit by the checks above: 96 bits of mantissa, a scale of 0..=28.
        let part = |shift: u32| (mantissa >> shift) as u32;
        Ok(rust_decimal::Decimal::from_parts(part(0), part(32), part(64), negative, scale as u32))
    }
}

/// Same as the conversion from `&Decimal`.
#[cfg(feature = "rust_decimal")]
impl TryFrom<Decimal> for rust_decimal::Decimal {
    type Error = DecimalError;
    fn try_from(value: Decimal) -> Result<rust_decimal::Decimal, DecimalError> {
        rust_decimal::Decimal::try_from(&value)
    }
}

/// The number of digits after the point as written, less the exponent: `1.10` has 2, `5e-3`
/// has 3, `1e2` has -2.
#[cfg(feature = "rust_decimal")]
fn written_scale(text: &str) -> i64 {
    let (number, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().unwrap_or(0).clamp(-(1 << 60), 1 << 60)),
        None => (text, 0),
    };
    let fraction = number.split_once('.').map_or(0, |(_, fraction)| fraction.len() as i64);
    fraction - exponent
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // JSON gets the text as it is; other formats get the number.
        match RawValue::from_string(self.0.clone()) {
            Ok(raw) if serializer.is_human_readable() => raw.serialize(serializer),
            _ => self.to_f64().serialize(serializer),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let raw = <Box<RawValue>>::deserialize(deserializer)?;
        let text = raw.get().trim();
        if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!("expected a number, found `{text}`")));
        }
        Ok(Decimal(text.to_owned()))
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Decimal {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number" })
    }
}
