//! ISO-8601 date-times in every form the protocol uses, kept as the original text.

use std::fmt;

use std::str::FromStr;

/// A date and time with a zone, e.g. `20120630T100230Z` or `2012-06-30T20:02:30.5+10:00`.
///
/// Accepts the basic and the extended ISO-8601 forms, an optional fraction of a second (`.` or
/// `,`), and `Z` or a UTC offset (`+10`, `+1000`, `+10:00`). Serializing writes the original text
/// back unchanged.
///
/// ```
/// use zenith_protocol::DateTime;
/// let basic: DateTime = "20120630T100230Z".parse().unwrap();
/// let extended: DateTime = "2012-06-30T20:02:30+10:00".parse().unwrap();
/// assert_eq!(basic.unix_seconds(), extended.unix_seconds());
/// assert_eq!(basic.as_str(), "20120630T100230Z");
/// ```
#[derive(Clone, Debug)]
pub struct DateTime {
    text: String,
    fields: Fields,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Fields {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanosecond: u32,
    offset_minutes: i16,
}

/// Why a string is not a protocol date-time, or why a date-time does not convert.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` {why}")]
pub struct DateTimeError {
    text: String,
    why: Why,
}

/// What is wrong: the text's form, or a value beyond what the other side holds.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Why {
    Form(&'static str),
    #[cfg_attr(not(any(feature = "jiff", feature = "time")), allow(dead_code))]
    Range(&'static str),
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Form(reason) => write!(
                f,
                "is not an ISO-8601 date-time like `20120630T100230Z` or `2012-06-30T10:02:30+10:00`: {reason}"
            ),
            Why::Range(reason) => f.write_str(reason),
        }
    }
}

impl DateTime {
    /// Parses any accepted form.
    pub fn parse(text: &str) -> Result<DateTime, DateTimeError> {
        match Fields::read(text) {
            Ok(fields) => Ok(DateTime { text: text.to_owned(), fields }),
            Err(reason) => Err(DateTimeError { text: text.to_owned(), why: Why::Form(reason) }),
        }
    }

    /// Checks `text` without keeping it; the error says what is wrong.
    pub fn check(text: &str) -> Result<(), &'static str> {
        Fields::read(text).map(|_| ())
    }
}

impl Fields {
    fn read(text: &str) -> Result<Fields, &'static str> {
        let fail = |reason: &'static str| reason;
        let mut cursor = Cursor { bytes: text.as_bytes(), at: 0 };
        let extended = text.as_bytes().get(4) == Some(&b'-');
        let year = cursor.digits(4).ok_or_else(|| fail("the year needs four digits"))?;
        if extended {
            cursor.expect(b'-').ok_or_else(|| fail("expected `-` after the year"))?;
        }
        let month = cursor.digits(2).ok_or_else(|| fail("the month needs two digits"))?;
        if extended {
            cursor.expect(b'-').ok_or_else(|| fail("expected `-` after the month"))?;
        }
        let day = cursor.digits(2).ok_or_else(|| fail("the day needs two digits"))?;
        cursor.expect(b'T').ok_or_else(|| fail("expected `T` between date and time"))?;
        let hour = cursor.digits(2).ok_or_else(|| fail("the hour needs two digits"))?;
        if extended {
            cursor.expect(b':').ok_or_else(|| fail("expected `:` after the hour"))?;
        }
        let minute = cursor.digits(2).ok_or_else(|| fail("the minute needs two digits"))?;
        if extended {
            cursor.expect(b':').ok_or_else(|| fail("expected `:` after the minute"))?;
        }
        let second = cursor.digits(2).ok_or_else(|| fail("the second needs two digits"))?;
        let mut nanosecond = 0;
        if cursor.expect(b'.').or_else(|| cursor.expect(b',')).is_some() {
            let start = cursor.at;
            let mut scale = 100_000_000;
            while let Some(digit) = cursor.digits(1) {
                nanosecond += digit * scale;
                scale /= 10;
            }
            if cursor.at == start {
                return Err(fail("a fraction needs at least one digit"));
            }
        }
        let offset_minutes = match cursor.next() {
            Some(b'Z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let hours = cursor.digits(2).ok_or_else(|| fail("the offset needs two-digit hours"))?;
                // The extended form writes offset minutes after `:`, the basic form directly.
                let minutes = if !extended {
                    cursor.digits(2).unwrap_or(0)
                } else if cursor.expect(b':').is_some() {
                    cursor.digits(2).ok_or_else(|| fail("expected offset minutes after `:`"))?
                } else {
                    0
                };
                if hours > 23 || minutes > 59 {
                    return Err(fail("the offset is out of range"));
                }
                let total = (hours * 60 + minutes) as i16;
                if sign == b'-' { -total } else { total }
            }
            _ => return Err(fail("expected a zone: `Z` or an offset such as `+10:00`")),
        };
        if cursor.at != text.len() {
            return Err(fail("unexpected text after the zone (are basic and extended forms mixed?)"));
        }
        if !(1..=12).contains(&month) {
            return Err(fail("the month is out of range"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(fail("the day is out of range for its month"));
        }
        if hour > 23 || minute > 59 || second > 60 {
            return Err(fail("the time of day is out of range"));
        }
        Ok(Fields {
            year: year as u16,
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            nanosecond,
            offset_minutes,
        })
    }
}

impl DateTime {
    /// The original text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Year, month (1-12) and day (1-31) in the date-time's own zone.
    pub fn date(&self) -> (u16, u8, u8) {
        (self.fields.year, self.fields.month, self.fields.day)
    }

    /// Hour, minute, second and nanosecond in the date-time's own zone.
    pub fn time(&self) -> (u8, u8, u8, u32) {
        (self.fields.hour, self.fields.minute, self.fields.second, self.fields.nanosecond)
    }

    /// Offset from UTC in minutes (`Z` is 0).
    pub fn offset_minutes(&self) -> i16 {
        self.fields.offset_minutes
    }

    /// Seconds since 1970-01-01T00:00:00Z (the fraction is dropped).
    pub fn unix_seconds(&self) -> i64 {
        let days =
            days_from_civil(i64::from(self.fields.year), i64::from(self.fields.month), i64::from(self.fields.day));
        let local = days * 86_400
            + i64::from(self.fields.hour) * 3600
            + i64::from(self.fields.minute) * 60
            + i64::from(self.fields.second);
        local - i64::from(self.fields.offset_minutes) * 60
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, count: usize) -> Option<u32> {
        let slice = self.bytes.get(self.at..self.at + count)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += count;
        Some(slice.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    fn next(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }
}

// `u32::is_multiple_of` needs Rust 1.87; the crate supports 1.85.
#[allow(clippy::manual_is_multiple_of)]
pub(super) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl FromStr for DateTime {
    type Err = DateTimeError;
    fn from_str(text: &str) -> Result<DateTime, DateTimeError> {
        DateTime::parse(text)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<DateTime, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DateTime::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for DateTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DateTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

// Date-times compare, hash and sort by the instant they name, whatever their form or zone.
by_value!(DateTime, |value| (value.unix_seconds(), value.fields.nanosecond));

/// The instant a date-time names. A leap second (`23:59:60`) is the instant after `23:59:59`,
/// as in the date-time's own ordering. Refused only past jiff's last instant (late on
/// 9999-12-31 with a negative offset).
///
/// ```
/// use zenith_protocol::DateTime;
/// let sent: DateTime = "2012-06-30T20:02:30.5+10:00".parse().unwrap();
/// let instant = jiff::Timestamp::try_from(&sent).unwrap();
/// assert_eq!(instant.to_string(), "2012-06-30T10:02:30.5Z");
/// ```
#[cfg(feature = "jiff")]
impl TryFrom<&DateTime> for jiff::Timestamp {
    type Error = DateTimeError;
    fn try_from(value: &DateTime) -> Result<jiff::Timestamp, DateTimeError> {
        // Nanoseconds are below 10^9, so they fit an i32.
        jiff::Timestamp::new(value.unix_seconds(), value.fields.nanosecond as i32)
            .map_err(|_| value.range_error("is past the last instant a jiff::Timestamp holds"))
    }
}

/// The instant with the date-time's own offset as a fixed zone, so the wall clock reads as
/// written.
///
/// ```
/// use zenith_protocol::DateTime;
/// let sent: DateTime = "20120630T200230+1000".parse().unwrap();
/// let zoned = jiff::Zoned::try_from(&sent).unwrap();
/// assert_eq!(zoned.hour(), 20);
/// assert_eq!(zoned.offset().seconds(), 10 * 3600);
/// ```
#[cfg(feature = "jiff")]
impl TryFrom<&DateTime> for jiff::Zoned {
    type Error = DateTimeError;
    fn try_from(value: &DateTime) -> Result<jiff::Zoned, DateTimeError> {
        let instant = jiff::Timestamp::try_from(value)?;
        // Offsets are within ±23:59, which jiff holds.
        let offset = jiff::tz::Offset::from_seconds(i32::from(value.fields.offset_minutes) * 60)
            .map_err(|_| value.range_error("has an offset jiff does not hold"))?;
        Ok(instant.to_zoned(jiff::tz::TimeZone::fixed(offset)))
    }
}

/// An instant written in the extended form in UTC (`2012-06-30T10:02:30.5Z`); refused outside
/// the years 0000 to 9999, which the protocol cannot write.
///
/// ```
/// use zenith_protocol::DateTime;
/// let instant: jiff::Timestamp = "2012-06-30T10:02:30.25Z".parse().unwrap();
/// let written = DateTime::try_from(instant).unwrap();
/// assert_eq!(written.as_str(), "2012-06-30T10:02:30.25Z");
/// ```
#[cfg(feature = "jiff")]
impl TryFrom<jiff::Timestamp> for DateTime {
    type Error = DateTimeError;
    fn try_from(value: jiff::Timestamp) -> Result<DateTime, DateTimeError> {
        DateTime::write(jiff_clock(value.to_zoned(jiff::tz::TimeZone::UTC).datetime()), 0, &value)
    }
}

/// A zoned date-time written in the extended form with its offset at that instant
/// (`2012-06-30T20:02:30+10:00`, `Z` for UTC); refused outside the years 0000 to 9999 and for
/// offsets with seconds, which the protocol cannot write.
///
/// ```
/// use zenith_protocol::DateTime;
/// let zoned = jiff::Timestamp::from_second(1_341_050_550)
///     .unwrap()
///     .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(-5)));
/// let written = DateTime::try_from(&zoned).unwrap();
/// assert_eq!(written.as_str(), "2012-06-30T05:02:30-05:00");
/// assert_eq!(written, "20120630T100230Z".parse().unwrap());
/// ```
#[cfg(feature = "jiff")]
impl TryFrom<&jiff::Zoned> for DateTime {
    type Error = DateTimeError;
    fn try_from(value: &jiff::Zoned) -> Result<DateTime, DateTimeError> {
        DateTime::write(jiff_clock(value.datetime()), value.offset().seconds(), value)
    }
}

/// Same as the conversion from `&jiff::Zoned`.
#[cfg(feature = "jiff")]
impl TryFrom<jiff::Zoned> for DateTime {
    type Error = DateTimeError;
    fn try_from(value: jiff::Zoned) -> Result<DateTime, DateTimeError> {
        DateTime::try_from(&value)
    }
}

#[cfg(any(feature = "jiff", feature = "time"))]
impl DateTime {
    fn range_error(&self, reason: &'static str) -> DateTimeError {
        DateTimeError { text: self.text.clone(), why: Why::Range(reason) }
    }

    /// Writes a wall-clock time (year, month, day, hour, minute, second, nanosecond) and its
    /// offset from UTC in the extended form; `shown` names the value in an error.
    fn write(clock: [i32; 7], offset_seconds: i32, shown: &dyn fmt::Display) -> Result<DateTime, DateTimeError> {
        let fail = |reason| DateTimeError { text: shown.to_string(), why: Why::Range(reason) };
        let [year, month, day, hour, minute, second, nanosecond] = clock;
        if !(0..=9999).contains(&year) {
            return Err(fail("is outside the years 0000 to 9999, which the protocol writes"));
        }
        if offset_seconds % 60 != 0 || offset_seconds.abs() >= 24 * 3600 {
            return Err(fail("has an offset the protocol cannot write (whole minutes within ±23:59)"));
        }
        let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
        if nanosecond != 0 {
            let fraction = format!("{nanosecond:09}");
            text.push('.');
            text.push_str(fraction.trim_end_matches('0'));
        }
        if offset_seconds == 0 {
            text.push('Z');
        } else {
            let minutes = offset_seconds.abs() / 60;
            let sign = if offset_seconds < 0 { '-' } else { '+' };
            text.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
        }
        DateTime::parse(&text)
    }
}

/// The wall clock of a jiff date-time, as [`DateTime::write`] takes it.
#[cfg(feature = "jiff")]
fn jiff_clock(clock: jiff::civil::DateTime) -> [i32; 7] {
    [
        i32::from(clock.year()),
        i32::from(clock.month()),
        i32::from(clock.day()),
        i32::from(clock.hour()),
        i32::from(clock.minute()),
        i32::from(clock.second()),
        clock.subsec_nanosecond(),
    ]
}

/// The instant a date-time names, at the date-time's own offset; as with jiff, a leap second
/// is the instant after `23:59:59`. Refused only where the `time` crate's range ends (years
/// beyond ±9999 without its `large-dates` feature).
///
/// ```
/// use zenith_protocol::DateTime;
/// let sent: DateTime = "2012-06-30T20:02:30.5+10:00".parse().unwrap();
/// let instant = time::OffsetDateTime::try_from(&sent).unwrap();
/// assert_eq!(instant.unix_timestamp(), 1_341_050_550);
/// assert_eq!((instant.hour(), instant.offset().whole_hours()), (20, 10));
/// ```
#[cfg(feature = "time")]
impl TryFrom<&DateTime> for ::time::OffsetDateTime {
    type Error = DateTimeError;
    fn try_from(value: &DateTime) -> Result<::time::OffsetDateTime, DateTimeError> {
        let nanos = i128::from(value.unix_seconds()) * 1_000_000_000 + i128::from(value.fields.nanosecond);
        let offset = ::time::UtcOffset::from_whole_seconds(i32::from(value.fields.offset_minutes) * 60).ok();
        ::time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .zip(offset)
            .and_then(|(instant, offset)| instant.checked_to_offset(offset))
            .ok_or_else(|| value.range_error("is beyond the range of a time::OffsetDateTime"))
    }
}

/// A date-time written in the extended form with its offset (`Z` for UTC); refused outside
/// the years 0000 to 9999 and for offsets with seconds, which the protocol cannot write.
///
/// ```
/// use zenith_protocol::DateTime;
/// let instant = time::OffsetDateTime::from_unix_timestamp(1_341_050_550).unwrap();
/// let written = DateTime::try_from(instant).unwrap();
/// assert_eq!(written.as_str(), "2012-06-30T10:02:30Z");
/// ```
#[cfg(feature = "time")]
impl TryFrom<::time::OffsetDateTime> for DateTime {
    type Error = DateTimeError;
    fn try_from(value: ::time::OffsetDateTime) -> Result<DateTime, DateTimeError> {
        let clock = [
            value.year(),
            i32::from(u8::from(value.month())),
            i32::from(value.day()),
            i32::from(value.hour()),
            i32::from(value.minute()),
            i32::from(value.second()),
            // Below 10^9, so it fits.
            value.nanosecond() as i32,
        ];
        DateTime::write(clock, value.offset().whole_seconds(), &value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_form_the_protocol_uses() {
        for text in [
            "20120630T100230Z",
            "20120630T100230.5Z",
            "20120630T200230+1000",
            "20120630T200230+10",
            "2012-06-30T10:02:30Z",
            "2012-06-30T20:02:30+10:00",
            "2012-06-30T20:02:30+10",
            "2012-06-30T05:02:30,125-05:00",
            "2012-02-29T00:00:00Z",
        ] {
            let parsed = DateTime::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.as_str(), text);
            assert_eq!(serde_json::to_string(&parsed).unwrap(), format!("\"{text}\""));
        }
        let reference = DateTime::parse("20120630T100230Z").unwrap().unix_seconds();
        assert_eq!(reference, 1_341_050_550);
        assert_eq!(DateTime::parse("2012-06-30T20:02:30+10:00").unwrap().unix_seconds(), reference);
        assert_eq!(DateTime::parse("2012-06-30T05:02:30-05:00").unwrap().unix_seconds(), reference);
    }

    #[test]
    fn refuses_what_is_not_a_protocol_date_time() {
        for text in [
            "",
            "20120630",
            "20120630T100230",
            "2012-06-30 10:02:30Z",
            "2012-06-30T10:02Z",
            "20121330T100230Z",
            "2013-02-29T00:00:00Z",
            "2012-06-30T24:00:00Z",
            "2012-06-30T10:02:30.Z",
            "20120630T10:02:30Z",
            "2012-06-30T100230Z",
            "2012-06-30T10:02:30+1000",
            "20120630T100230+10:00",
            "2012-06-30T10:02:30Zjunk",
            "2012-06-30T10:02:30+25:00",
        ] {
            assert!(DateTime::parse(text).is_err(), "accepted {text:?}");
        }
        let error = DateTime::parse("20121330T100230Z").unwrap_err().to_string();
        assert!(error.contains("month is out of range"), "{error}");
    }
}
