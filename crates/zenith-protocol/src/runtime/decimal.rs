//! Decimal amounts: prices, quantities, volumes and values.

use std::fmt;
use std::str::FromStr;

/// A decimal amount, as the JSON number it was sent as. Integers are kept exactly whatever
/// their size (up to 64 bits); other numbers as the nearest double, which writes back as the
/// shortest text that reads as the same double (`42.05` stays `42.05`; `1.10` becomes `1.1`).
///
/// ```
/// use zenith_protocol::Decimal;
/// let price: Decimal = serde_json::from_str("42.05").unwrap();
/// assert_eq!(price.to_string(), "42.05");
/// assert_eq!(price.to_f64(), 42.05);
/// let volume: Decimal = "11597193".parse().unwrap();
/// assert_eq!(serde_json::to_string(&volume).unwrap(), "11597193");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Decimal(serde_json::Number);

impl Decimal {
    pub fn to_f64(&self) -> f64 {
        self.0.as_f64().unwrap_or(f64::NAN)
    }

    /// The number, when it is an integer that fits.
    pub fn to_i64(&self) -> Option<i64> {
        self.0.as_i64()
    }

    pub fn as_number(&self) -> &serde_json::Number {
        &self.0
    }
}

impl From<i64> for Decimal {
    fn from(value: i64) -> Decimal {
        Decimal(value.into())
    }
}

/// Why a string is not a decimal amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a JSON number")]
pub struct DecimalError(String);

impl FromStr for Decimal {
    type Err = DecimalError;
    fn from_str(text: &str) -> Result<Decimal, DecimalError> {
        serde_json::from_str::<serde_json::Number>(text).map(Decimal).map_err(|_| DecimalError(text.to_owned()))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
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
