//! Decimal amounts: prices, quantities, volumes and values, kept as written.

use std::fmt;
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal(String);

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

impl From<i64> for Decimal {
    fn from(value: i64) -> Decimal {
        Decimal(value.to_string())
    }
}

/// Why a string is not a decimal amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a JSON number")]
pub struct DecimalError(String);

impl FromStr for Decimal {
    type Err = DecimalError;
    fn from_str(text: &str) -> Result<Decimal, DecimalError> {
        match serde_json::from_str::<serde_json::Number>(text) {
            Ok(_) => Ok(Decimal(text.trim().to_owned())),
            Err(_) => Err(DecimalError(text.to_owned())),
        }
    }
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

impl schemars::JsonSchema for Decimal {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number" })
    }
}
