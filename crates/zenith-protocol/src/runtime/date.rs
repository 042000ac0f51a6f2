//! Calendar dates as the protocol writes them, kept as the original text.

use std::fmt;
use std::str::FromStr;

/// A day: eight digits (`20120603`) or year-month-day (`2012-06-03`), either maybe followed by
/// a zone (`Z`, `+10`, `+1000`, `+10:00`), meaning the midnight that starts the day there.
/// Serializing writes the original text back unchanged.
///
/// ```
/// use zenith_protocol::Date;
/// let date: Date = "20120603+10:00".parse().unwrap();
/// assert_eq!(date.ymd(), (2012, 6, 3));
/// assert_eq!(date.offset_minutes(), Some(600));
/// assert!("2012-02-30".parse::<Date>().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Date {
    text: String,
    ymd: (u16, u8, u8),
    offset_minutes: Option<i16>,
}

/// Why a string is not a protocol date, or why a date does not convert.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` {}{reason}", if *.form { "is not a date like `20120603` or `2012-06-03`: " } else { "" })]
pub struct DateError {
    text: String,
    /// Whether the text's form is wrong (else a value is beyond what the other side holds).
    form: bool,
    reason: &'static str,
}

impl Date {
    pub fn parse(text: &str) -> Result<Date, DateError> {
        read(text)
            .map(|(ymd, offset_minutes)| Date { text: text.to_owned(), ymd, offset_minutes })
            .map_err(|reason| DateError { text: text.to_owned(), form: true, reason })
    }

    /// Checks `text` without keeping it; the error says what is wrong.
    pub fn check(text: &str) -> Result<(), &'static str> {
        read(text).map(|_| ())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Year, month and day.
    pub fn ymd(&self) -> (u16, u8, u8) {
        self.ymd
    }

    /// The zone's offset from UTC in minutes, when the date has one.
    pub fn offset_minutes(&self) -> Option<i16> {
        self.offset_minutes
    }
}

type Read = ((u16, u8, u8), Option<i16>);

fn read(text: &str) -> Result<Read, &'static str> {
    let bytes = text.as_bytes();
    let digits = |from: usize, count: usize| -> Option<u32> {
        let part = bytes.get(from..from + count)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let extended = bytes.get(4) == Some(&b'-');
    let (year, month, day, end) = if extended {
        if bytes.get(7) != Some(&b'-') {
            return Err("expected `-` after the month");
        }
        (digits(0, 4), digits(5, 2), digits(8, 2), 10)
    } else {
        (digits(0, 4), digits(4, 2), digits(6, 2), 8)
    };
    let (Some(year), Some(month), Some(day)) = (year, month, day) else {
        return Err("expected four digits of year, two of month and two of day");
    };
    if !(1..=12).contains(&month) {
        return Err("the month is out of range");
    }
    if day == 0 || day > super::datetime::days_in_month(year, month) {
        return Err("the day is not in that month");
    }
    let offset_minutes = match bytes.get(end) {
        None => None,
        Some(b'Z') if bytes.len() == end + 1 => Some(0),
        Some(sign @ (b'+' | b'-')) => {
            let hours = digits(end + 1, 2).ok_or("the offset needs two-digit hours")?;
            let rest = &bytes[end + 3..];
            let minutes = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => digits(end + 4, 2).ok_or("expected offset minutes after `:`")?,
                _ if rest.len() == 2 => digits(end + 3, 2).ok_or("expected two digits of offset minutes")?,
                _ => return Err("unexpected text after the offset"),
            };
            if hours > 23 || minutes > 59 {
                return Err("the offset is out of range");
            }
            let total = (hours * 60 + minutes) as i16;
            Some(if *sign == b'-' { -total } else { total })
        }
        Some(_) => return Err("expected the end, `Z` or an offset such as `+10:00` after the day"),
    };
    Ok(((year as u16, month as u8, day as u8), offset_minutes))
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(text: &str) -> Result<Date, DateError> {
        Date::parse(text)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

// Dates compare, hash and sort by the day (then the zone, when one is written), whatever their form.
by_value!(Date, |value| (value.ymd, value.offset_minutes));

/// The calendar day; a zone written after it is not carried (a `jiff::civil::Date` has none,
/// see [`Date::offset_minutes`]).
///
/// ```
/// use zenith_protocol::Date;
/// let date: Date = "20120603+10:00".parse().unwrap();
/// assert_eq!(jiff::civil::Date::from(&date), jiff::civil::date(2012, 6, 3));
/// ```
#[cfg(feature = "jiff")]
impl From<&Date> for jiff::civil::Date {
    fn from(value: &Date) -> jiff::civil::Date {
        let (year, month, day) = value.ymd;
        // A parsed date has a year of 0000 to 9999 and a day that exists, all of which jiff
        // holds, so this does not panic.
        jiff::civil::date(year as i16, month as i8, day as i8)
    }
}

/// A calendar day written `YYYY-MM-DD`, without a zone; refused before year 0000, which the
/// protocol cannot write.
///
/// ```
/// use zenith_protocol::Date;
/// let date = Date::try_from(jiff::civil::date(2016, 1, 20)).unwrap();
/// assert_eq!(date.as_str(), "2016-01-20");
/// assert!(Date::try_from(jiff::civil::date(-1, 1, 1)).is_err());
/// ```
#[cfg(feature = "jiff")]
impl TryFrom<jiff::civil::Date> for Date {
    type Error = DateError;
    fn try_from(value: jiff::civil::Date) -> Result<Date, DateError> {
        if value.year() < 0 {
            let reason = "is before the year 0000, which the protocol cannot write";
            return Err(DateError { text: value.to_string(), form: false, reason });
        }
        Date::parse(&format!("{:04}-{:02}-{:02}", value.year(), value.month(), value.day()))
    }
}

/// The calendar day; a zone written after it is not carried (see [`Date::offset_minutes`]).
/// Every protocol date is within the `time` crate's range, so this fails only if that changes.
///
/// ```
/// use zenith_protocol::Date;
/// let date: Date = "2012-06-03Z".parse().unwrap();
/// let day = time::Date::try_from(&date).unwrap();
/// assert_eq!((day.year(), day.month() as u8, day.day()), (2012, 6, 3));
/// ```
#[cfg(feature = "time")]
impl TryFrom<&Date> for ::time::Date {
    type Error = DateError;
    fn try_from(value: &Date) -> Result<::time::Date, DateError> {
        let (year, month, day) = value.ymd;
        ::time::Month::try_from(month)
            .and_then(|month| ::time::Date::from_calendar_date(i32::from(year), month, day))
            .map_err(|_| DateError {
                text: value.text.clone(),
                form: false,
                reason: "is beyond the range of a time::Date",
            })
    }
}

/// A calendar day written `YYYY-MM-DD`, without a zone; refused outside the years 0000 to
/// 9999, which the protocol writes.
///
/// ```
/// use zenith_protocol::Date;
/// let day = time::Date::from_calendar_date(2016, time::Month::January, 20).unwrap();
/// assert_eq!(Date::try_from(day).unwrap().as_str(), "2016-01-20");
/// ```
#[cfg(feature = "time")]
impl TryFrom<::time::Date> for Date {
    type Error = DateError;
    fn try_from(value: ::time::Date) -> Result<Date, DateError> {
        if !(0..=9999).contains(&value.year()) {
            let reason = "is outside the years 0000 to 9999, which the protocol writes";
            return Err(DateError { text: value.to_string(), form: false, reason });
        }
        Date::parse(&format!("{:04}-{:02}-{:02}", value.year(), u8::from(value.month()), value.day()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_the_protocol_uses() {
        for (text, ymd, offset) in [
            ("20120603", (2012, 6, 3), None),
            ("2012-06-03", (2012, 6, 3), None),
            ("20120603+10:00", (2012, 6, 3), Some(600)),
            ("2016-01-20+10:00", (2016, 1, 20), Some(600)),
            ("20120603-0930", (2012, 6, 3), Some(-570)),
            ("2024-02-29Z", (2024, 2, 29), Some(0)),
            ("2014-02-11+10", (2014, 2, 11), Some(600)),
        ] {
            let date = Date::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((date.ymd(), date.offset_minutes(), date.as_str()), (ymd, offset, text));
        }
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for text in [
            "2012-6-03",
            "20120631",
            "2023-02-29",
            "20121301",
            "2012-06-03T10:00:00Z",
            "20120603+25",
            "2012-06-03+10:0",
            "",
            "2012",
        ] {
            assert!(Date::parse(text).is_err(), "{text}");
        }
    }
}
