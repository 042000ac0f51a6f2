//! Value types meet the numbers and times of other crates: integers, doubles, `rust_decimal`
//! `jiff` and `time`, each conversion held to the exact value (or instant) it stands for.

use std::str::FromStr;
use std::time::Duration;

use bigdecimal::BigDecimal;
use proptest::prelude::*;
use zenith_protocol::{Decimal, Time};

/// Every integer type's extremes are written as the integer's own text, read back equal, and
/// equal across types where the values are.
#[test]
fn integers_of_every_width_round_trip_through_text() {
    macro_rules! extremes {
        ($($integer:ty),*) => {$(
            for value in [<$integer>::MIN, <$integer>::MAX, 0 as $integer, 1 as $integer] {
                let decimal = Decimal::from(value);
                assert_eq!(decimal.as_str(), value.to_string(), "{}", stringify!($integer));
                let read: Decimal = decimal.as_str().parse().unwrap();
                assert_eq!(read, decimal);
                assert_eq!(decimal, format!("{value}.000").parse::<Decimal>().unwrap(), "by value");
                let exact = BigDecimal::from_str(&value.to_string()).unwrap();
                assert_eq!(BigDecimal::from_str(decimal.as_str()).unwrap(), exact);
            }
            assert!(Decimal::from(<$integer>::MIN) < Decimal::from(<$integer>::MAX));
        )*};
    }
    extremes!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
    assert_eq!(Decimal::from(i8::MAX), Decimal::from(127u8));
    assert_eq!(Decimal::from(u64::MAX), Decimal::from(u64::MAX as u128));
    assert!(Decimal::from(i128::MIN) < Decimal::from(i8::MIN));
    assert!(Decimal::from(u128::MAX) > Decimal::from(i128::MAX));
}

#[test]
fn doubles_become_their_shortest_text_and_only_finite_ones() {
    for (value, text) in [(0.1, "0.1"), (1e300, "1e+300"), (-2.5, "-2.5"), (5e-324, "5e-324"), (1.0, "1.0")] {
        assert_eq!(Decimal::try_from(value).unwrap().as_str(), text);
    }
    assert_eq!(Decimal::try_from(-0.0).unwrap(), Decimal::from(0u8));
    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let error = Decimal::try_from(value).unwrap_err().to_string();
        assert!(error.contains("is not a finite number"), "{error}");
    }
    let error = "1.1.1".parse::<Decimal>().unwrap_err().to_string();
    assert_eq!(error, "`1.1.1` is not a JSON number");
}

proptest! {
    #[test]
    fn integers_order_as_they_do(a in any::<i128>(), b in any::<u64>()) {
        prop_assert_eq!(Decimal::from(a).cmp(&Decimal::from(b)), a.cmp(&i128::from(b)));
    }

    #[test]
    fn finite_doubles_read_back_and_order_as_they_do(a in any::<f64>(), b in any::<f64>()) {
        prop_assume!(a.is_finite() && b.is_finite());
        let (x, y) = (Decimal::try_from(a).unwrap(), Decimal::try_from(b).unwrap());
        prop_assert_eq!(x.to_f64(), a);
        prop_assert_eq!(Some(x.cmp(&y)), a.partial_cmp(&b), "{} against {}", x, y);
    }
}

#[cfg(feature = "rust_decimal")]
mod rust_decimal_conversions {
    use super::*;

    /// The largest rust_decimal, and one past it.
    const MAX: &str = "79228162514264337593543950335";
    const PAST_MAX: &str = "79228162514264337593543950336";

    fn exact(text: &str) -> BigDecimal {
        BigDecimal::from_str(text).unwrap()
    }

    #[test]
    fn amounts_that_fit_convert_exactly_keeping_their_scale() {
        for (text, written) in [
            ("1.10", "1.10"),
            ("0", "0"),
            ("-0.00", "0.00"),
            ("1e2", "100"),
            ("1.5e1", "15"),
            ("-25e-1", "-2.5"),
            ("0.0000000000000000000000000001", "0.0000000000000000000000000001"),
            ("1e-28", "0.0000000000000000000000000001"),
            (MAX, MAX),
            ("-79228162514264337593543950335", "-79228162514264337593543950335"),
            // Trailing zeros are given up where the digits would not fit with them.
            ("79228162514264337593543950335.000", MAX),
            ("7.9228162514264337593543950335e28", MAX),
            ("1.00000000000000000000000000000000000", "1.0000000000000000000000000000"),
            ("0.000000000000000000000000000100", "0.0000000000000000000000000001"),
        ] {
            let decimal: Decimal = text.parse().unwrap();
            let converted = rust_decimal::Decimal::try_from(&decimal).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(converted.to_string(), written, "{text}");
            assert_eq!(Decimal::from(converted), decimal, "{text}");
        }
    }

    #[test]
    fn amounts_that_do_not_fit_are_refused_with_the_reason() {
        for (text, reason) in [
            (PAST_MAX, "beyond the range"),
            ("1e29", "beyond the range"),
            ("-1e999999999999999999999", "beyond the range"),
            ("1e-29", "more than 28 digits after the point"),
            ("1.00000000000000000000000000001", "more than 28 digits after the point"),
            ("12345678901234567890.123456789012", "more significant digits"),
            ("9.9999999999999999999999999999", "more significant digits"),
            ("99999999999999999999999999999", "beyond the range"),
            ("123456789012345678901234567890", "beyond the range"),
            ("1e-999999999999999999999", "more than 28 digits after the point"),
        ] {
            let decimal: Decimal = serde_json::from_str(text).unwrap();
            let error = rust_decimal::Decimal::try_from(decimal).unwrap_err().to_string();
            assert!(error.starts_with(&format!("`{text}` ")) && error.contains(reason), "{text}: {error}");
        }
    }

    /// A rust_decimal from its parts: any 96-bit mantissa, sign and scale.
    fn any_rust_decimal() -> impl Strategy<Value = rust_decimal::Decimal> {
        (any::<u32>(), any::<u32>(), prop_oneof![Just(0u32), any::<u32>()], any::<bool>(), 0u32..=28)
            .prop_map(|(lo, mid, hi, negative, scale)| rust_decimal::Decimal::from_parts(lo, mid, hi, negative, scale))
    }

    /// A JSON number of up to 35 digits and a wide exponent.
    fn json_number() -> impl Strategy<Value = String> {
        ("-?(0|[1-9][0-9]{0,20})", proptest::option::of("[0-9]{1,14}"), proptest::option::of(-40i32..40)).prop_map(
            |(integer, fraction, exponent)| {
                let mut text = integer;
                if let Some(fraction) = fraction {
                    text = format!("{text}.{fraction}");
                }
                if let Some(exponent) = exponent {
                    text = format!("{text}e{exponent}");
                }
                text
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn order_is_that_of_rust_decimal(a in any_rust_decimal(), b in any_rust_decimal()) {
            let (x, y) = (Decimal::from(a), Decimal::from(b));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b), "{} against {}", a, b);
            prop_assert_eq!(x == y, a == b);
            let back = rust_decimal::Decimal::try_from(&x).unwrap();
            prop_assert_eq!(back, a);
            prop_assert_eq!(back.scale(), a.scale(), "the scale survives the round trip");
        }

        #[test]
        fn conversion_is_exact_or_refused(text in json_number()) {
            let decimal: Decimal = text.parse().unwrap();
            let value = exact(&text);
            match rust_decimal::Decimal::try_from(&decimal) {
                Ok(converted) => prop_assert_eq!(exact(&converted.to_string()), value, "{}", text),
                Err(_) => {
                    // Refused only when more than 28 places are needed, or the digits (scaled to
                    // an integer) exceed the 96-bit mantissa.
                    let (digits, places) = value.normalized().as_bigint_and_exponent();
                    let mantissa = if places >= 0 { BigDecimal::new(digits, 0).abs() } else { value.abs() };
                    prop_assert!(places > 28 || mantissa > exact(MAX), "{} was refused", text);
                }
            }
        }
    }
}

#[cfg(feature = "jiff")]
mod jiff_conversions {
    use super::*;
    use jiff::{SignedDuration, Timestamp, Zoned, civil};
    use zenith_protocol::{Date, DateTime};

    #[test]
    fn date_times_become_the_instant_they_name() {
        let reference = Timestamp::from_second(1_341_050_550).unwrap();
        for text in [
            "20120630T100230Z",
            "2012-06-30T20:02:30+10:00",
            "20120630T200230+10",
            "2012-06-30T05:02:30-05:00",
            "20120630T043230-0530",
        ] {
            let date_time: DateTime = text.parse().unwrap();
            assert_eq!(Timestamp::try_from(&date_time).unwrap(), reference, "{text}");
            let zoned = Zoned::try_from(&date_time).unwrap();
            assert_eq!(zoned.timestamp(), reference);
            assert_eq!(i32::from(date_time.offset_minutes()) * 60, zoned.offset().seconds());
            let (hour, minute, second, _) = date_time.time();
            assert_eq!((zoned.hour(), zoned.minute(), zoned.second()), (hour as i8, minute as i8, second as i8));
            let back = DateTime::try_from(&zoned).unwrap();
            assert_eq!(back, date_time);
            assert_eq!(back.offset_minutes(), date_time.offset_minutes(), "the zone is kept");
        }
        let written = DateTime::try_from(reference).unwrap();
        assert_eq!(written.as_str(), "2012-06-30T10:02:30Z");
        // A leap second is the instant after :59, as the date-time orders it.
        let leap: DateTime = "2016-12-31T23:59:60Z".parse().unwrap();
        assert_eq!(Timestamp::try_from(&leap).unwrap().to_string(), "2017-01-01T00:00:00Z");
    }

    #[test]
    fn instants_the_other_side_cannot_hold_are_refused() {
        // jiff's last instant is late on 9999-12-30 UTC.
        let late: DateTime = "9999-12-31T12:00:00Z".parse().unwrap();
        let error = Timestamp::try_from(&late).unwrap_err().to_string();
        assert!(error.contains("past the last instant"), "{error}");
        assert!(Zoned::try_from(&late).is_err());
        let early: Timestamp = "-000001-06-01T00:00:00Z".parse().unwrap();
        let error = DateTime::try_from(early).unwrap_err().to_string();
        assert!(error.contains("0000 to 9999"), "{error}");
        let odd_offset = Timestamp::UNIX_EPOCH
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(3600 + 30).unwrap()));
        let error = DateTime::try_from(odd_offset).unwrap_err().to_string();
        assert!(error.contains("offset"), "{error}");
        let error = "20121330T100230Z".parse::<DateTime>().unwrap_err().to_string();
        assert!(error.contains("is not an ISO-8601 date-time") && error.contains("month"), "{error}");
    }

    /// A protocol date-time in either form with any offset within ±23:59.
    fn any_date_time() -> impl Strategy<Value = String> {
        (
            (0u32..=9998, 1u32..=12, 1u32..=28),
            (0u32..24, 0u32..60, 0u32..60, proptest::option::of(0u32..1_000_000_000)),
            (-1439i32..=1439, any::<bool>()),
        )
            .prop_map(|((year, month, day), (hour, minute, second, nanos), (offset, extended))| {
                let fraction = nanos.map(|n| format!(".{n:09}")).unwrap_or_default();
                let sign = if offset < 0 { '-' } else { '+' };
                let (oh, om) = (offset.abs() / 60, offset.abs() % 60);
                if extended {
                    format!(
                        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{sign}{oh:02}:{om:02}"
                    )
                } else {
                    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}{fraction}{sign}{oh:02}{om:02}")
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn order_across_offsets_is_that_of_the_instants(a in any_date_time(), b in any_date_time()) {
            let (x, y): (DateTime, DateTime) = (a.parse().unwrap(), b.parse().unwrap());
            let (s, t) = (Timestamp::try_from(&x).unwrap(), Timestamp::try_from(&y).unwrap());
            prop_assert_eq!(x.cmp(&y), s.cmp(&t), "{} against {}", a, b);
            prop_assert_eq!(x == y, s == t);
            prop_assert_eq!(DateTime::try_from(s).unwrap(), x.clone());
            let zoned = Zoned::try_from(&x).unwrap();
            let back = DateTime::try_from(&zoned).unwrap();
            prop_assert_eq!(back.time(), x.time(), "the wall clock reads as written");
            prop_assert_eq!(back, x);
        }

        #[test]
        fn instants_round_trip(second in -62_000_000_000i64..253_000_000_000, nanos in 0i32..1_000_000_000) {
            let instant = Timestamp::new(second, nanos).unwrap();
            let written = DateTime::try_from(instant).unwrap();
            prop_assert!(written.as_str().ends_with('Z'));
            prop_assert_eq!(Timestamp::try_from(&written).unwrap(), instant);
        }

        #[test]
        fn dates_round_trip(year in 0i16..=9999, month in 1i8..=12, day in 1i8..=31) {
            let Ok(day) = civil::Date::new(year, month, day) else { return Ok(()) };
            let date = Date::try_from(day).unwrap();
            prop_assert_eq!(civil::Date::from(&date), day);
            prop_assert_eq!(date.as_str(), day.to_string());
        }

        #[test]
        fn durations_round_trip(seconds in 0i64..10_000_000_000, nanos in 0i32..1_000_000_000) {
            let length = SignedDuration::new(seconds, nanos);
            let time = Time::try_from(length).unwrap();
            prop_assert_eq!(SignedDuration::try_from(&time).unwrap(), length);
            let read: Time = time.as_str().parse().unwrap();
            prop_assert_eq!(read.duration(), Duration::from(&time));
        }
    }

    #[test]
    fn dates_and_durations_beyond_the_protocol_are_refused() {
        let date: Date = "2024-02-29+10:00".parse().unwrap();
        assert_eq!(civil::Date::from(&date), civil::date(2024, 2, 29), "the zone is not carried");
        let error = Date::try_from(civil::date(-44, 3, 15)).unwrap_err().to_string();
        assert!(error.contains("before the year 0000"), "{error}");
        let error = "2023-02-29".parse::<Date>().unwrap_err().to_string();
        assert!(error.contains("is not a date like") && error.contains("not in that month"), "{error}");

        let error = Time::try_from(SignedDuration::from_millis(-1)).unwrap_err().to_string();
        assert!(error.contains("negative"), "{error}");
        let long: Time = "200000000000000.00:00:00".parse().unwrap();
        let error = SignedDuration::try_from(&long).unwrap_err().to_string();
        assert!(error.contains("longer than a jiff::SignedDuration"), "{error}");
        let error = "1:2:3:4".parse::<Time>().unwrap_err().to_string();
        assert!(error.contains("is not a duration like") && error.contains("too many"), "{error}");
    }
}

#[cfg(feature = "time")]
mod time_conversions {
    use super::*;
    use ::time::{Month, OffsetDateTime, UtcOffset};
    use zenith_protocol::{Date, DateTime};

    #[test]
    fn date_times_become_the_instant_at_their_offset() {
        let reference = OffsetDateTime::from_unix_timestamp(1_341_050_550).unwrap();
        for text in ["20120630T100230Z", "2012-06-30T20:02:30+10:00", "20120630T043230-0530"] {
            let date_time: DateTime = text.parse().unwrap();
            let converted = OffsetDateTime::try_from(&date_time).unwrap();
            assert_eq!(converted, reference, "{text}");
            assert_eq!(i32::from(date_time.offset_minutes()) * 60, converted.offset().whole_seconds());
            let back = DateTime::try_from(converted).unwrap();
            assert_eq!((back.offset_minutes(), back.time()), (date_time.offset_minutes(), date_time.time()));
            assert_eq!(back, date_time);
        }
        let leap: DateTime = "2016-12-31T23:59:60Z".parse().unwrap();
        let after = OffsetDateTime::try_from(&leap).unwrap();
        assert_eq!((after.year(), after.month(), after.day(), after.second()), (2017, Month::January, 1, 0));
        // Past year 9999 in UTC, without the `time` crate's large dates.
        let late: DateTime = "9999-12-31T23:00:00-10:00".parse().unwrap();
        let error = OffsetDateTime::try_from(&late).unwrap_err().to_string();
        assert!(error.contains("beyond the range of a time::OffsetDateTime"), "{error}");
        let odd = OffsetDateTime::UNIX_EPOCH.to_offset(UtcOffset::from_hms(1, 0, 30).unwrap());
        assert!(DateTime::try_from(odd).unwrap_err().to_string().contains("offset"));
        let early = ::time::Date::from_calendar_date(-3, Month::May, 1).unwrap();
        assert!(Date::try_from(early).unwrap_err().to_string().contains("0000 to 9999"));
        assert!(Time::try_from(::time::Duration::milliseconds(-5)).unwrap_err().to_string().contains("negative"));
        let long: Time = "200000000000000.00:00:00".parse().unwrap();
        assert!(::time::Duration::try_from(&long).is_err());
    }

    fn any_date_time() -> impl Strategy<Value = String> {
        (0u32..=9998, 1u32..=12, 1u32..=28, 0u32..86_400, 0u32..1_000_000_000, -1439i32..=1439).prop_map(
            |(year, month, day, second, nanos, offset)| {
                let sign = if offset < 0 { '-' } else { '+' };
                let (hour, minute, second) = (second / 3600, second / 60 % 60, second % 60);
                let (oh, om) = (offset.abs() / 60, offset.abs() % 60);
                format!(
                    "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{nanos:09}{sign}{oh:02}:{om:02}"
                )
            },
        )
    }

    proptest! {
        #[test]
        fn order_across_offsets_is_that_of_the_instants(a in any_date_time(), b in any_date_time()) {
            let (x, y): (DateTime, DateTime) = (a.parse().unwrap(), b.parse().unwrap());
            let (s, t) = (OffsetDateTime::try_from(&x).unwrap(), OffsetDateTime::try_from(&y).unwrap());
            prop_assert_eq!(x.cmp(&y), s.cmp(&t), "{} against {}", a, b);
            let back = DateTime::try_from(s).unwrap();
            prop_assert_eq!(back.time(), x.time());
            prop_assert_eq!(back, x);
        }

        #[test]
        fn dates_and_durations_round_trip(day in 0i32..3_652_000, seconds in 0i64..10_000_000_000, nanos in 0i32..1_000_000_000) {
            let day = ::time::Date::from_julian_day(1_721_060 + day).unwrap();
            let date = Date::try_from(day).unwrap();
            prop_assert_eq!(::time::Date::try_from(&date).unwrap(), day);
            let length = ::time::Duration::new(seconds, nanos);
            let time = Time::try_from(length).unwrap();
            prop_assert_eq!(::time::Duration::try_from(&time).unwrap(), length);
        }
    }
}

#[test]
fn durations_from_std_are_written_in_the_protocol_form() {
    for (length, text) in [
        (Duration::ZERO, "00:00:00"),
        (Duration::from_secs(35), "00:00:35"),
        (Duration::from_secs(86_399), "23:59:59"),
        (Duration::from_secs(86_400), "1.00:00:00"),
        (Duration::new(130_805, 120_000_000), "1.12:20:05.12"),
        (Duration::new(u64::MAX, 999_999_999), "213503982334601.07:00:15.999999999"),
    ] {
        let time = Time::from(length);
        assert_eq!(time.as_str(), text);
        assert_eq!(text.parse::<Time>().unwrap(), time, "{text} reads back");
        assert_eq!(Duration::from(&time), length);
    }
}
