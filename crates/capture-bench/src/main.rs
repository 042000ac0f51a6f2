//! `capture-bench FILE`: times the baselines `zenith check` is measured against, on a JSON Lines
//! capture, single-threaded: parsing each line into a `serde_json::Value`, parsing with
//! sonic-rs, parsing HAR-style items and the message text they carry, and parsing plus the
//! `jsonschema` crate's runtime validator with dispatch by envelope keys (bare messages). Each
//! baseline reads the file the same buffered way. The ajv (Node) baseline is in `ajv/`.

use std::io::{BufRead, BufReader, Write as _};
use std::time::{Duration, Instant};

use capture_bench::{fail, to_msgpack};
use serde_json::{Value, json};
use zenith_capture::{Binary, Encoding};
use zenith_protocol::{CleanText, Date, DateTime, Direction, EnvelopeKeys, MessageKind, Time, Verdict};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: capture-bench FILE.jsonl");
        std::process::exit(2);
    };
    // Under an instruction counter (callgrind), one run of the parse baseline is enough.
    let parse_only = std::env::var_os("CAPTURE_BENCH_PARSE_ONLY").is_some();
    let runs = if parse_only { 1 } else { 3 };
    let best = |name: &str, run: &mut dyn FnMut() -> u64| {
        let mut times = Vec::new();
        let mut count = 0;
        for _ in 0..runs {
            let start = Instant::now();
            count = run();
            times.push(start.elapsed());
        }
        let best: Duration = times.into_iter().min().expect("at least one run");
        let line = format!("{name:<40} {:>8.3} s  ({count} lines)", best.as_secs_f64());
        // A closed pipe (`| head`) ends the run, as it ends the reading.
        if writeln!(std::io::stdout(), "{line}").is_err() {
            std::process::exit(0);
        }
    };
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(&path).unwrap_or_else(|e| fail(format!("cannot open {path}: {e}")));
    let _ = std::io::Read::read(&mut file, &mut magic);
    if zenith_capture::is_packet_capture(&magic) {
        // A packet capture: the reader alone (TCP, websocket, inflating), to set against the check.
        best("zenith_capture::read (pcap)", &mut || {
            let file = std::fs::File::open(&path).unwrap_or_else(|e| fail(format!("cannot open {path}: {e}")));
            let mut frames = 0;
            let limits = zenith_capture::Limits::default();
            zenith_capture::read(
                zenith_capture::Format::Pcap,
                BufReader::with_capacity(1 << 16, file),
                limits,
                &mut |e| {
                    frames += u64::from(matches!(e, zenith_capture::Event::Frame(_)));
                },
            )
            .unwrap_or_else(|e| fail(format!("{path}: {e}")));
            frames
        });
        return;
    }
    best("serde_json::Value parse", &mut || lines(&path, |line| serde_json::from_str::<Value>(line).is_ok()));
    if parse_only {
        return;
    }
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
    // Binary messages: transcoded to JSON text for the one-pass check, against decoded into a
    // tree for the tree verdict, over the same messages packed as MessagePack in memory.
    let packed = msgpack_messages(&path);
    best("MessagePack -> JSON text -> one-pass check", &mut || {
        let clean = packed.iter().filter(|bytes| {
            let binary = Binary { opcode: 2, bytes: bytes.to_vec(), encoding: Some(Encoding::MsgPack) };
            binary.decode().is_ok_and(|d| CleanText::check(&d.text, None).is_some())
        });
        clean.count() as u64
    });
    best("MessagePack -> serde_json::Value -> verdict", &mut || {
        let clean = packed.iter().filter(|bytes| {
            let Ok(value) = rmpv::decode::read_value(&mut &bytes[..]) else { return false };
            let value = to_json(&value);
            let Ok(keys) = EnvelopeKeys::read(&value) else { return false };
            [Direction::Send, Direction::Receive]
                .iter()
                .filter_map(|&d| keys.kind(d))
                .any(|kind| kind.verdict(&value) == Verdict::Clean)
        });
        clean.count() as u64
    });
}

/// The messages of the capture (bare, or the `data` of HAR-style items), as MessagePack.
fn msgpack_messages(path: &str) -> Vec<Vec<u8>> {
    let mut packed = Vec::new();
    lines(path, |line| {
        let Ok(value) = serde_json::from_str::<Value>(line) else { return false };
        let message = match value.get("data").and_then(Value::as_str) {
            Some(data) => serde_json::from_str(data).unwrap_or(Value::Null),
            None => value,
        };
        let mut bytes = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = rmpv::encode::write_value(&mut bytes, &to_msgpack(&message));
        packed.push(bytes);
        true
    });
    packed
}

fn to_json(value: &rmpv::Value) -> Value {
    match value {
        rmpv::Value::Nil => Value::Null,
        rmpv::Value::Boolean(b) => Value::Bool(*b),
        rmpv::Value::Integer(i) => i.as_i64().map(Value::from).or(i.as_u64().map(Value::from)).unwrap_or(Value::Null),
        rmpv::Value::F32(f) => serde_json::Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
        rmpv::Value::F64(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        rmpv::Value::String(s) => Value::from(s.as_str().unwrap_or_default()),
        rmpv::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        rmpv::Value::Map(entries) => Value::Object(
            entries.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), to_json(v))).collect(),
        ),
        _ => Value::Null,
    }
}

/// Calls `f` on every line of the file; returns how many lines it accepted (a line that is
/// not UTF-8 is not).
fn lines(path: &str, mut f: impl FnMut(&str) -> bool) -> u64 {
    let file = std::fs::File::open(path).unwrap_or_else(|e| fail(format!("cannot open {path}: {e}")));
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::new();
    let mut accepted = 0;
    while reader.read_until(b'\n', &mut line).unwrap_or_else(|e| fail(format!("{path}: {e}"))) > 0 {
        accepted += u64::from(std::str::from_utf8(&line).is_ok_and(|text| f(text.trim_end())));
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
