//! Sets of codes written in one string, such as `OrdersOnly,ReportCancel`.

use std::fmt;
use std::marker::PhantomData;

/// Codes of the table `T` joined by `SEP` in one string. The text is kept as sent (the server
/// writes `OrdersOnly, ReportCancel` with a space), and [`Flags::members`] reads the codes.
///
/// ```
/// use zenith_protocol::{Flags, TradingStateAllowance};
/// let allows: Flags<TradingStateAllowance, ','> = serde_json::from_str(r#""OrdersOnly, ReportCancel""#).unwrap();
/// assert_eq!(allows.members().collect::<Vec<_>>(), [TradingStateAllowance::OrdersOnly, TradingStateAllowance::ReportCancel]);
/// assert_eq!(allows.as_str(), "OrdersOnly, ReportCancel");
/// ```
pub struct Flags<T, const SEP: char> {
    text: String,
    codes: PhantomData<fn() -> T>,
}

impl<T: for<'a> From<&'a str>, const SEP: char> Flags<T, SEP> {
    /// The codes, spaces around them aside; none in an empty string.
    pub fn members(&self) -> impl Iterator<Item = T> + '_ {
        let empty = self.text.trim().is_empty();
        self.text.split(SEP).map(str::trim).filter(move |_| !empty).map(T::from)
    }
}

impl<T, const SEP: char> Flags<T, SEP> {
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl<T: AsRef<str>, const SEP: char> FromIterator<T> for Flags<T, SEP> {
    fn from_iter<I: IntoIterator<Item = T>>(codes: I) -> Flags<T, SEP> {
        let text = codes.into_iter().map(|code| code.as_ref().to_owned()).collect::<Vec<_>>().join(&SEP.to_string());
        Flags { text, codes: PhantomData }
    }
}

impl<T, const SEP: char> From<&str> for Flags<T, SEP> {
    fn from(text: &str) -> Flags<T, SEP> {
        Flags { text: text.to_owned(), codes: PhantomData }
    }
}

impl<T, const SEP: char> Clone for Flags<T, SEP> {
    fn clone(&self) -> Self {
        Flags { text: self.text.clone(), codes: PhantomData }
    }
}

impl<T, const SEP: char> PartialEq for Flags<T, SEP> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<T, const SEP: char> Eq for Flags<T, SEP> {}

impl<T, const SEP: char> fmt::Debug for Flags<T, SEP> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Flags").field(&self.text).finish()
    }
}

impl<T, const SEP: char> fmt::Display for Flags<T, SEP> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<T, const SEP: char> serde::Serialize for Flags<T, SEP> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de, T, const SEP: char> serde::Deserialize<'de> for Flags<T, SEP> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Flags<T, SEP>, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Flags { text, codes: PhantomData })
    }
}

#[cfg(feature = "schemars")]
impl<T, const SEP: char> schemars::JsonSchema for Flags<T, SEP> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Flags".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}
