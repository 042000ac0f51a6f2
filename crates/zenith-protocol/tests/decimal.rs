//! Decimal amounts compare, hash and sort by value, exactly: held against an exact decimal
//! implementation on arbitrary JSON numbers, each keeping its own spelling.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use bigdecimal::BigDecimal;
use proptest::prelude::*;
use zenith_protocol::Decimal;

/// A JSON number: a sign, an integer part without leading zeros, a fraction, an exponent.
fn json_number() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop_oneof!["0", "[1-9][0-9]{0,7}"],
        proptest::option::of("[0-9]{1,7}"),
        proptest::option::of((
            prop_oneof![Just("e"), Just("E")],
            prop_oneof![Just(""), Just("+"), Just("-")],
            0u32..30,
        )),
    )
        .prop_map(|(negative, integer, fraction, exponent)| {
            let mut text = String::new();
            if negative {
                text.push('-');
            }
            text.push_str(&integer);
            if let Some(fraction) = fraction {
                text.push('.');
                text.push_str(&fraction);
            }
            if let Some((e, sign, value)) = exponent {
                text.push_str(&format!("{e}{sign}{value}"));
            }
            text
        })
}

fn hash(decimal: &Decimal) -> u64 {
    let mut hasher = DefaultHasher::new();
    decimal.hash(&mut hasher);
    hasher.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn order_and_equality_are_those_of_the_exact_values(a in json_number(), b in json_number()) {
        let (x, y): (Decimal, Decimal) = (a.parse().unwrap(), b.parse().unwrap());
        let (exact_x, exact_y) = (BigDecimal::from_str(&a).unwrap(), BigDecimal::from_str(&b).unwrap());
        prop_assert_eq!(x.cmp(&y), exact_x.cmp(&exact_y), "{} against {}", a, b);
        prop_assert_eq!(x == y, exact_x == exact_y);
        if x == y {
            prop_assert_eq!(hash(&x), hash(&y), "equal values hash alike: {} and {}", a, b);
        }
        prop_assert_eq!(x.as_str(), a.as_str(), "the spelling is kept");
    }

    #[test]
    fn a_number_and_its_rewritings_are_equal(a in json_number(), zeros in 0usize..4) {
        let x: Decimal = a.parse().unwrap();
        // Trailing zeros after a fraction, and the same number scaled by its exponent.
        let padded = if a.contains(['e', 'E']) || !a.contains('.') { a.clone() } else { format!("{a}{}", "0".repeat(zeros)) };
        prop_assert_eq!(&x, &padded.parse::<Decimal>().unwrap());
        let scaled = format!("{a}e0");
        if !a.contains(['e', 'E']) {
            prop_assert_eq!(&x, &scaled.parse::<Decimal>().unwrap());
        }
    }
}

#[test]
fn amounts_from_every_integer_width_and_text_compare_by_value() {
    assert_eq!(Decimal::from(42u8), "42.000".parse().unwrap());
    assert_eq!(Decimal::from(-7i16), "-0.7e1".parse().unwrap());
    assert_eq!(Decimal::from(u128::MAX).as_str(), "340282366920938463463374607431768211455");
    assert_eq!(Decimal::from(0usize), "-0.0".parse().unwrap(), "zero has no sign");
    let mut book: Vec<Decimal> =
        ["42.05", "42.1", "42", "1e2", "-3", "42.050"].iter().map(|t| t.parse().unwrap()).collect();
    book.sort();
    let sorted: Vec<&str> = book.iter().map(Decimal::as_str).collect();
    assert_eq!(sorted, ["-3", "42", "42.05", "42.050", "42.1", "1e2"]);
    // Exponents beyond any i64, which a message may hold, still order.
    let huge: Decimal = serde_json::from_str("1e999999999999999999999").unwrap();
    let tiny: Decimal = serde_json::from_str("1e-999999999999999999999").unwrap();
    assert!(huge > Decimal::from(u128::MAX) && tiny > Decimal::from(0u8) && tiny < "1e-300".parse().unwrap());
}

#[test]
fn date_times_dates_and_durations_compare_by_what_they_name() {
    use zenith_protocol::{Date, DateTime, Time};
    let basic: DateTime = "20120630T100230Z".parse().unwrap();
    let extended: DateTime = "2012-06-30T20:02:30+10:00".parse().unwrap();
    assert_eq!(basic, extended, "one instant in two forms and zones");
    assert_eq!(hash_of(&basic), hash_of(&extended));
    let later: DateTime = "2012-06-30T10:02:30.5Z".parse().unwrap();
    assert!(basic < later && later.as_str() == "2012-06-30T10:02:30.5Z");
    assert_eq!("20120630".parse::<Date>().unwrap(), "2012-06-30".parse::<Date>().unwrap());
    assert!("2012-06-30".parse::<Date>().unwrap() < "2012-07-01".parse::<Date>().unwrap());
    let day: Time = "1.00:00:00".parse().unwrap();
    let almost: Time = "23:59:59".parse().unwrap();
    assert!(almost < day);
    assert_eq!("1.12:20:5".parse::<Time>().unwrap(), "1.12:20:05".parse::<Time>().unwrap());
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}
