//! `capture-bench FILE`: times the baselines `zenith check` is measured against, on a JSON Lines
//! capture, single-threaded: parsing each line into a `serde_json::Value`, parsing with
//! sonic-rs, parsing HAR-style items and the message text they carry, and parsing plus the
//! `jsonschema` crate's runtime validator with dispatch by envelope keys (bare messages). Each
//! baseline reads the file the same buffered way. The ajv (Node) baseline is in `ajv/`.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zenith_protocol::{Date, DateTime, Direction, EnvelopeKeys, MessageKind, Time};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: capture-bench FILE.jsonl");
        std::process::exit(2);
    };
    let runs = 3;
    let best = |name: &str, run: &mut dyn FnMut() -> u64| {
        let mut times = Vec::new();
        let mut count = 0;
        for _ in 0..runs {
            let start = Instant::now();
            count = run();
            times.push(start.elapsed());
        }
        let best: Duration = times.into_iter().min().expect("at least one run");
        println!("{name:<40} {:>8.3} s  ({count} lines)", best.as_secs_f64());
    };
    best("serde_json::Value parse", &mut || lines(&path, |line| serde_json::from_str::<Value>(line).is_ok()));
    best("sonic-rs Value parse", &mut || lines(&path, |line| sonic_rs::from_str::<sonic_rs::Value>(line).is_ok()));
    // HAR-style items carry the message as text: parsing it too is the fair baseline for them.
    best("serde_json parse, then any `data` text", &mut || {
        lines(&path, |line| match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(item)) => match item.get("data") {
                Some(Value::String(data)) => serde_json::from_str::<Value>(data).is_ok(),
                _ => true,
            },
            Ok(_) => true,
            Err(_) => false,
        })
    });
    let validators = validators();
    best("serde_json parse + jsonschema (dispatch)", &mut || {
        lines(&path, |line| {
            let Ok(value) = serde_json::from_str::<Value>(line) else { return false };
            let Ok(keys) = EnvelopeKeys::read(&value) else { return false };
            [Direction::Send, Direction::Receive]
                .iter()
                .filter_map(|&d| keys.kind(d))
                .any(|kind| validators.iter().find(|(k, _)| *k == kind).is_some_and(|(_, v)| v.is_valid(&value)))
        })
    });
}

/// Calls `f` on every line of the file; returns how many lines it accepted.
fn lines(path: &str, mut f: impl FnMut(&str) -> bool) -> u64 {
    let file = std::fs::File::open(path).expect("the capture opens");
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut line = String::new();
    let mut accepted = 0;
    while reader.read_line(&mut line).expect("the capture reads") > 0 {
        accepted += u64::from(f(line.trim_end()));
        line.clear();
    }
    accepted
}

/// A `jsonschema` runtime validator per message kind, over every schema file.
fn validators() -> Vec<(MessageKind, jsonschema::Validator)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas");
    let mut registry = jsonschema::Registry::new();
    for sub in std::fs::read_dir(dir).expect("schemas/") {
        for file in std::fs::read_dir(sub.expect("a folder").path()).expect("a schema folder") {
            let text = std::fs::read_to_string(file.expect("a file").path()).expect("a schema");
            let schema: Value = serde_json::from_str(&text).expect("schema JSON");
            let id = schema["$id"].as_str().expect("$id").to_owned();
            registry = registry.add(id, schema).expect("registered");
        }
    }
    let registry = Box::leak(Box::new(registry.prepare().expect("a registry")));
    MessageKind::ALL
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
                .expect("a validator");
            (kind, validator)
        })
        .collect()
}
