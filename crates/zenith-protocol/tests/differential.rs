//! The generated validators agree with the `jsonschema` crate's runtime validator, on every
//! example and on property-based mutations of them.
//!
//! Mapping (documented in `docs/diagnostics.md`): `misspelled-property` and
//! `undocumented-property` go beyond JSON Schema, so they are left out of the comparison;
//! `forbidden-property` is reported at the property, `jsonschema` reports the object; a tagged
//! union whose tag is wrong is reported at the tag, `jsonschema` also reports the object.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};
use zenith_protocol::{CleanText, Code, Date, DateTime, Direction, EnvelopeKeys, MessageKind, Time, Verdict};

struct Oracle {
    validators: Vec<(MessageKind, jsonschema::Validator)>,
}

impl Oracle {
    fn new() -> Oracle {
        let mut registry = jsonschema::Registry::new();
        for (_, schema) in test_kit::schemas().files() {
            let id = schema["$id"].as_str().unwrap().to_owned();
            registry = registry.add(id, schema.clone()).unwrap();
        }
        let registry = Box::leak(Box::new(registry.prepare().unwrap()));
        let validators = MessageKind::ALL
            .iter()
            .map(|&kind| {
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .with_registry(registry)
                    .with_format("zenith-datetime", |s: &str| DateTime::check(s).is_ok())
                    .with_format("zenith-time", |s: &str| Time::check(s).is_ok())
                    .with_format("zenith-date", |s: &str| Date::check(s).is_ok())
                    .with_format("zenith-date-or-datetime", |s: &str| {
                        if s.contains('T') { DateTime::check(s).is_ok() } else { Date::check(s).is_ok() }
                    })
                    .should_validate_formats(true)
                    .build(&json!({"$ref": kind.info().schema_id}))
                    .unwrap_or_else(|e| panic!("{}: {e}", kind.info().name));
                (kind, validator)
            })
            .collect();
        Oracle { validators }
    }

    /// Asserts both validators give the same verdict and fail at the same instance paths.
    fn agree(&self, kind: MessageKind, message: &Value) -> Result<(), TestCaseError> {
        let (_, validator) = self.validators.iter().find(|(k, _)| *k == kind).unwrap();
        // A tagged union whose tag is wrong is reported at the tag; `jsonschema` also reports
        // the object's `oneOf`, failed in every branch by the tag's `const`. A union failed for
        // any other reason is reported at the object by both.
        let theirs: BTreeSet<String> = validator
            .iter_errors(message)
            .filter(|e| !(wrong_tag(e) && is_object_at(message, &e.instance_path().to_string())))
            .map(|e| e.instance_path().to_string())
            .collect();
        // A tagged array (a criterion) is reported where it goes wrong, however deep; `jsonschema`
        // reports the outermost `oneOf` that fails, so ours are moved up to it.
        let arrays: Vec<String> =
            theirs.iter().filter(|p| message.pointer(p).is_some_and(Value::is_array)).cloned().collect();
        let outermost = |path: String| -> String {
            let within = |array: &&String| path == **array || path.starts_with(&format!("{array}/"));
            arrays.iter().filter(within).min_by_key(|a| a.len()).cloned().unwrap_or(path)
        };
        let report = kind.validate(message);
        let ours: BTreeSet<String> = report
            .errors()
            .filter(|p| p.code.is_schema_rule())
            .map(|p| match p.code {
                Code::ForbiddenProperty => {
                    p.instance_path.rsplit_once('/').map(|(parent, _)| parent.to_owned()).unwrap()
                }
                // What a variant requires of a nested object is reported in that object; for
                // `jsonschema` it fails the record's `oneOf`.
                Code::MissingRequired if nested_requirement(p.schema_path) => {
                    p.instance_path.rsplit_once('/').map(|(parent, _)| parent.to_owned()).unwrap()
                }
                _ => p.instance_path.clone(),
            })
            .map(outermost)
            .collect();
        prop_assert_eq!(&ours, &theirs, "{} disagrees on {}\nours:\n{}", kind.info().name, message, report);
        prop_assert_eq!(validator.is_valid(message), report.is_schema_valid());
        prop_assert_eq!(kind.is_valid(message), report.is_valid());
        // The one pass and the full walk agree on whether there is anything to say, and how bad.
        let mut walker = zenith_protocol::runtime::diagnostics::Walker::new("");
        zenith_protocol::runtime::schema::walk(kind.schema(), message, &mut walker, false);
        let full = walker.finish();
        let walked = if full.errors().next().is_some() {
            zenith_protocol::Verdict::Invalid
        } else if full.problems.is_empty() && full.omitted.is_empty() {
            zenith_protocol::Verdict::Clean
        } else {
            zenith_protocol::Verdict::Warnings
        };
        prop_assert_eq!(kind.verdict(message), walked, "the one pass and the walk differ on {}:\n{}", message, full);
        let text = message.to_string();
        let streamed = kind.stream_verdict(&mut serde_json::Deserializer::from_str(&text)).unwrap();
        prop_assert_eq!(streamed, kind.verdict(message), "streaming verdict differs on {}", message);
        let simd = kind.stream_verdict(&mut sonic_rs::Deserializer::from_str(&text)).unwrap();
        prop_assert_eq!(simd, streamed, "sonic-rs streaming verdict differs on {}", message);
        Ok(())
    }
}

/// Whether a schema path is a variant's `required` of one of its properties
/// (`.../oneOf/0/properties/Order/required`).
fn nested_requirement(schema_path: &str) -> bool {
    schema_path
        .strip_suffix("/required")
        .and_then(|rest| rest.rsplit_once("/properties/"))
        .and_then(|(variant, _)| variant.rsplit_once("/oneOf/"))
        .is_some_and(|(_, index)| index.bytes().all(|b| b.is_ascii_digit()))
}

/// A `oneOf` error where every branch fails on a `const` of a property of the object: a tagged
/// union's tag that no variant has.
fn is_object_at(message: &Value, path: &str) -> bool {
    message.pointer(path).is_some_and(Value::is_object)
}

fn wrong_tag(error: &jsonschema::ValidationError<'_>) -> bool {
    use jsonschema::error::ValidationErrorKind as Kind;
    let Kind::OneOfNotValid { context } = error.kind() else { return false };
    let object = error.instance_path().to_string();
    context.iter().all(|branch| {
        branch.iter().any(|e| {
            let path = e.instance_path().to_string();
            matches!(e.kind(), Kind::Constant { .. })
                && path.rsplit_once('/').is_some_and(|(parent, _)| parent == object)
        })
    })
}

/// The one-pass text check chooses what the tree check chooses: the first direction (client to
/// server first, when the capture does not say) whose schema accepts the message without a
/// remark, with the same envelope facts. It may decline only messages shaped unusually (a
/// Controller, Topic or Action after the first other property), which then take the tree path.
fn one_pass_agrees(message: &Value) -> Result<(), TestCaseError> {
    let text = message.to_string();
    for direction in [None, Some(Direction::Send), Some(Direction::Receive)] {
        let tried = match direction {
            Some(d) => vec![d],
            None => vec![Direction::Send, Direction::Receive],
        };
        let tree = EnvelopeKeys::read(message).ok().and_then(|keys| {
            tried.iter().find_map(|&d| keys.kind(d).filter(|k| k.verdict(message) == Verdict::Clean).map(|k| (k, d)))
        });
        match CleanText::check(&text, direction) {
            Some(clean) => {
                prop_assert_eq!(Some((clean.kind, clean.direction)), tree, "one pass differs on {}", message);
                let envelope = &clean.envelope;
                // A number with no fractional part is the integer it equals (`1.0` is 1).
                let id = &message["TransactionID"];
                let exact = |f: f64| f.fract() == 0.0 && f.abs() <= 2f64.powi(53);
                let integral = id.as_i64().or_else(|| id.as_f64().filter(|f| exact(*f)).map(|f| f as i64));
                prop_assert_eq!(envelope.transaction_id, integral);
                prop_assert_eq!(envelope.confirm, message["Confirm"].as_bool());
                prop_assert_eq!(envelope.topic.as_deref(), message["Topic"].as_str());
                prop_assert_eq!(envelope.keys(), EnvelopeKeys::read(message).unwrap());
            }
            None => {
                let keys: Vec<&str> =
                    message.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
                let envelope = ["Controller", "Topic", "Action", "TransactionID", "Confirm"];
                let first_other = keys.iter().position(|k| !envelope.contains(k)).unwrap_or(keys.len());
                let unusual = keys[first_other..].iter().any(|k| matches!(*k, "Controller" | "Topic" | "Action"));
                prop_assert!(tree.is_none() || unusual, "one pass misses {:?} for {}", tree, message);
            }
        }
    }
    Ok(())
}

fn examples() -> Vec<(MessageKind, Value)> {
    let mut out = Vec::new();
    for &kind in MessageKind::ALL {
        let schema = test_kit::schemas().file(kind.info().schema_file);
        for example in schema["examples"].as_array().unwrap() {
            out.push((kind, example.clone()));
        }
    }
    out
}

#[test]
fn examples_agree() {
    let oracle = Oracle::new();
    let mut unclean = Vec::new();
    for (kind, example) in examples() {
        oracle.agree(kind, &example).unwrap();
        one_pass_agrees(&example).unwrap();
        let problems = kind.validate(&example).problems;
        if !problems.is_empty() {
            unclean.push(format!("{kind:?}: {example}\n{problems:?}"));
        }
    }
    assert!(unclean.is_empty(), "examples with problems:\n{}", unclean.join("\n"));
}

/// One change to a message.
#[derive(Clone, Debug)]
enum Mutation {
    Remove,
    Replace(Value),
    /// Change a string a little: flip case, drop or insert a character.
    Perturb(u8, usize),
    AddProperty(String, Value),
    /// Rename a property to a near miss.
    Rename(u8),
    Nest(usize),
}

fn odd_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(1.0), Just(-0.0), Just(0.5), Just(1e300), Just(-1e-300), Just(42.0)]
            .prop_map(|f: f64| json!(f)),
        "\\PC{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("20120630T100230Z"),
            Just("2012-06-30T10:02:30+10:00"),
            Just("20121330T100230Z"),
            Just("2012-06-30T10:02:30"),
            Just("1.12:20:5"),
            Just("00:00:99"),
            Just("Success"),
            Just("success"),
            Just("Reject"),
            Just("Auth"),
            Just("Operation.NoResult"),
            Just("Symbol.NotFound BHP.ASX"),
            Just("bad code"),
            Just(""),
            Just("é€𝄞"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::Remove),
        4 => odd_value().prop_map(Mutation::Replace),
        3 => (any::<u8>(), any::<usize>()).prop_map(|(op, at)| Mutation::Perturb(op, at)),
        2 => ("[A-Za-z]{1,10}", odd_value()).prop_map(|(k, v)| Mutation::AddProperty(k, v)),
        2 => any::<u8>().prop_map(Mutation::Rename),
        1 => (1usize..200).prop_map(Mutation::Nest),
    ]
}

/// Every path in `value`, root first.
fn paths(value: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(key.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(i.to_string());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn pointer(path: &[String]) -> String {
    path.iter().map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1"))).collect()
}

fn apply(message: &mut Value, path: &[String], mutation: &Mutation) {
    let (parent_path, last) = match path.split_last() {
        Some((last, parent)) => (parent, Some(last)),
        None => (&[][..], None),
    };
    match mutation {
        Mutation::Remove => {
            if let (Some(last), Some(parent)) = (last, message.pointer_mut(&pointer(parent_path))) {
                match parent {
                    Value::Object(map) => {
                        map.shift_remove(last);
                    }
                    Value::Array(items) => {
                        items.remove(last.parse::<usize>().unwrap());
                    }
                    _ => {}
                }
            }
        }
        Mutation::Replace(new) => *message.pointer_mut(&pointer(path)).unwrap() = new.clone(),
        Mutation::Perturb(op, at) => {
            if let Some(Value::String(text)) = message.pointer_mut(&pointer(path)) {
                let mut chars: Vec<char> = text.chars().collect();
                match op % 4 {
                    0 => *text = text.to_lowercase(),
                    1 => *text = text.to_uppercase(),
                    2 if !chars.is_empty() => {
                        chars.remove(at % chars.len());
                        *text = chars.into_iter().collect();
                    }
                    _ => {
                        chars.insert(at % (chars.len() + 1), 'x');
                        *text = chars.into_iter().collect();
                    }
                }
            }
        }
        Mutation::AddProperty(key, value) => {
            if let Some(Value::Object(map)) = message.pointer_mut(&pointer(path)) {
                map.insert(key.clone(), value.clone());
            }
        }
        Mutation::Rename(op) => {
            if let (Some(last), Some(Value::Object(map))) = (last, message.pointer_mut(&pointer(parent_path))) {
                let renamed = match op % 3 {
                    0 => last.to_lowercase(),
                    1 => last.chars().skip(1).collect(),
                    _ => format!("{last}s"),
                };
                if let Some(value) = map.shift_remove(last) {
                    map.insert(renamed, value);
                }
            }
        }
        Mutation::Nest(depth) => {
            let target = message.pointer_mut(&pointer(path)).unwrap();
            let mut nested = target.take();
            for level in 0..*depth {
                nested = if level % 2 == 0 { json!([nested]) } else { json!({ "Data": nested }) };
            }
            *target = nested;
        }
    }
}

fn mutated_messages() -> impl Strategy<Value = (MessageKind, Value)> {
    let examples = examples();
    (0..examples.len(), prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4)).prop_map(
        move |(which, mutations)| {
            let (kind, mut message) = examples[which].clone();
            for (index, mutation) in &mutations {
                let mut all = Vec::new();
                paths(&message, &mut Vec::new(), &mut all);
                let path = index.get(&all).clone();
                apply(&mut message, &path, mutation);
            }
            (kind, message)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutations_agree((kind, message) in mutated_messages()) {
        thread_local! { static ORACLE: Oracle = Oracle::new(); }
        ORACLE.with(|oracle| oracle.agree(kind, &message))?;
        one_pass_agrees(&message)?;
    }
}

#[test]
fn mutations_reach_both_verdicts_and_every_schema_rule() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = mutated_messages();
    let (mut valid, mut invalid) = (0, 0);
    let mut codes = BTreeSet::new();
    for _ in 0..10_000 {
        let (kind, message) = strategy.new_tree(&mut runner).unwrap().current();
        let report = kind.validate(&message);
        if report.is_valid() {
            valid += 1
        } else {
            invalid += 1
        }
        codes.extend(report.problems.iter().map(|p| p.code.as_str()));
    }
    assert!(valid > 100 && invalid > 500, "valid {valid}, invalid {invalid}");
    for code in [
        "wrong-type",
        "missing-required",
        "not-in-enum",
        "wrong-constant",
        "pattern-mismatch",
        "bad-datetime",
        "bad-time",
        "misspelled-property",
        "undocumented-property",
    ] {
        assert!(codes.contains(code), "no mutation produced {code}: {codes:?}");
    }
}

#[test]
fn the_oracle_rejects_what_the_schemas_forbid() {
    let oracle = Oracle::new();
    let (_, validator) = oracle.validators.iter().find(|(k, _)| *k == MessageKind::AuthOwnerRequest).unwrap();
    let broken = json!({"Controller": "Auth", "Topic": "AuthOwner", "Data": {"Provider": 1}});
    let paths: BTreeSet<String> = validator.iter_errors(&broken).map(|e| e.instance_path().to_string()).collect();
    assert_eq!(paths, BTreeSet::from(["/Data".to_owned(), "/Data/Provider".to_owned()]));
    oracle.agree(MessageKind::AuthOwnerRequest, &broken).unwrap();
}
