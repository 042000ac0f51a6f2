//! The JSON types a schema's `type` names, sets of them, and the protocol's string formats.

/// A JSON type, as a schema's `type` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    /// Every JSON type.
    pub const ALL: &'static [JsonType] = &[
        JsonType::String,
        JsonType::Integer,
        JsonType::Number,
        JsonType::Boolean,
        JsonType::Array,
        JsonType::Object,
        JsonType::Null,
    ];

    /// The name a schema's `type` uses (`string`, `integer`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }

    /// The type a schema's `type` names `text`; `None` for a name JSON Schema does not know.
    pub fn parse(text: &str) -> Option<JsonType> {
        JsonType::ALL.iter().copied().find(|t| t.as_str() == text)
    }

    /// The type for a person, in a sentence: `a string`, `an integer`, `null`.
    pub fn described(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Integer => "an integer",
            JsonType::Number => "a number",
            JsonType::Boolean => "a boolean",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
            JsonType::Null => "null",
        }
    }

    /// The type's bit in a [`JsonTypes`] set.
    pub fn bit(self) -> u8 {
        match self {
            JsonType::String => JsonTypes::STRING,
            JsonType::Integer => JsonTypes::INTEGER,
            JsonType::Number => JsonTypes::NUMBER,
            JsonType::Boolean => JsonTypes::BOOLEAN,
            JsonType::Array => JsonTypes::ARRAY,
            JsonType::Object => JsonTypes::OBJECT,
            JsonType::Null => JsonTypes::NULL,
        }
    }
}

/// A set of JSON types, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonTypes(pub u8);

impl JsonTypes {
    pub const STRING: u8 = 1;
    pub const INTEGER: u8 = 2;
    pub const NUMBER: u8 = 4;
    pub const BOOLEAN: u8 = 8;
    pub const ARRAY: u8 = 16;
    pub const OBJECT: u8 = 32;
    pub const NULL: u8 = 64;

    /// The set of these types.
    pub fn of<'a>(types: impl IntoIterator<Item = &'a JsonType>) -> JsonTypes {
        JsonTypes(types.into_iter().fold(0, |bits, t| bits | t.bit()))
    }

    /// Whether the set holds the type with this bit.
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    /// Whether a number is allowed: any, or only an integral one.
    pub fn number(self, integral: bool) -> bool {
        self.has(JsonTypes::NUMBER) || integral && self.has(JsonTypes::INTEGER)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A protocol string format (a schema's `format`), each checked by a hand-written parser that
/// accepts no more than the schema's `pattern`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    DateTime,
    Time,
    Date,
    /// A date-time when it has a `T`, else a date.
    DateOrDateTime,
}

impl Format {
    /// Every format.
    pub const ALL: &'static [Format] = &[Format::DateTime, Format::Time, Format::Date, Format::DateOrDateTime];

    /// The format's name in a schema (`zenith-datetime`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::DateTime => "zenith-datetime",
            Format::Time => "zenith-time",
            Format::Date => "zenith-date",
            Format::DateOrDateTime => "zenith-date-or-datetime",
        }
    }

    /// The format a schema names `text`; `None` for one the protocol does not define.
    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|format| format.as_str() == text)
    }

    /// The single format `text` is held to: a date-or-date-time is a date-time when it has a
    /// `T`, else a date; the others are themselves.
    pub fn resolve(self, text: &str) -> Format {
        match self {
            Format::DateOrDateTime if text.contains('T') => Format::DateTime,
            Format::DateOrDateTime => Format::Date,
            format => format,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_types_read_back_as_they_are_written() {
        for &t in JsonType::ALL {
            assert_eq!(JsonType::parse(t.as_str()), Some(t));
        }
        assert_eq!(JsonType::parse("float"), None);
        assert_eq!(JsonType::Integer.described(), "an integer");
    }

    #[test]
    fn every_json_type_has_its_own_bit() {
        let all = JsonTypes::of(JsonType::ALL);
        assert_eq!(all, JsonTypes(127));
        for &t in JsonType::ALL {
            assert_eq!(t.bit().count_ones(), 1);
            assert!(all.has(t.bit()));
        }
        assert!(JsonTypes::of(&[]).is_empty());
    }

    #[test]
    fn an_integer_set_takes_only_integral_numbers() {
        let integers = JsonTypes::of(&[JsonType::Integer]);
        assert!(integers.number(true) && !integers.number(false));
        let numbers = JsonTypes::of(&[JsonType::Number]);
        assert!(numbers.number(true) && numbers.number(false));
        assert!(!JsonTypes::of(&[JsonType::String]).number(true));
    }

    #[test]
    fn formats_read_back_and_resolve() {
        for &format in Format::ALL {
            assert_eq!(Format::parse(format.as_str()), Some(format));
            assert_ne!(format.resolve("2012-06-03"), Format::DateOrDateTime);
        }
        assert_eq!(Format::parse("date-time"), None);
        assert_eq!(Format::DateOrDateTime.resolve("20120630T100230Z"), Format::DateTime);
        assert_eq!(Format::DateOrDateTime.resolve("2012-06-03"), Format::Date);
        assert_eq!(Format::Time.resolve("T"), Format::Time);
    }
}
