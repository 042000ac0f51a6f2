//! Validating Auth messages: the generated validators against the `jsonschema` crate's runtime
//! validator and its compile-time macro, with JSON parsing alone as the floor.
//!
//! Run: `cargo bench -p zenith-protocol --bench validate`

use divan::{Bencher, black_box};
use serde_json::{Value, json};
use zenith_protocol::{DateTime, Direction, MessageKind, Time, Validate};

fn main() {
    divan::main();
}

/// A mix of Auth messages, valid first, then invalid ones (misspelling, wrong type, bad enum,
/// bad date, missing field).
fn messages() -> Vec<(MessageKind, Value)> {
    let auth_owner = MessageKind::AuthOwnerRequest;
    let identify = MessageKind::IdentifyPush;
    vec![
        (
            auth_owner,
            json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1, "Data": {"Provider": "Paritech", "ClientID": "TriOptimum", "UserName": "Shodan", "Password": "Insect", "Scope": ["Paritech.Zenith"]}}),
        ),
        (
            identify,
            json!({"Controller": "Auth", "Topic": "Identify", "TransactionID": 1, "Data": {"Result": "Success", "AccessToken": "bWVkaXVtLXNpemVkLXRva2Vu", "DisplayName": "Shodan", "UserID": "shodan", "ExpiryDate": "20261130T100230Z", "Scope": ["Zenith/Market", "Zenith/Trading"]}}),
        ),
        (
            identify,
            json!({"Controller": "Auth", "Topic": "Identify", "TransactionID": 1, "Data": {"Result": "Reject"}}),
        ),
        (
            auth_owner,
            json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 2, "Data": {"Provider": "Paritech", "ClientID": "TriOptimum", "Usrname": "Shodan"}}),
        ),
        (
            auth_owner,
            json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 3, "Data": {"Provider": "Paritech", "ClientID": 42}}),
        ),
        (identify, json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "success"}})),
        (
            identify,
            json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "Success", "ExpiryDate": "2026-13-30T10:02:30Z"}}),
        ),
        (auth_owner, json!({"Controller": "Auth", "Topic": "AuthOwner", "Data": {"ClientID": "TriOptimum"}})),
    ]
}

fn texts() -> Vec<String> {
    messages().iter().map(|(_, m)| m.to_string()).collect()
}

fn datetime_ok(text: &str) -> bool {
    DateTime::check(text).is_ok()
}

fn time_ok(text: &str) -> bool {
    Time::check(text).is_ok()
}

#[jsonschema::validator(
    path = "../../schemas/auth/AuthOwner.request.json",
    draft = Draft202012,
    validate_formats = true,
    formats = { "zenith-datetime" => crate::datetime_ok, "zenith-time" => crate::time_ok },
    resources = {
        "https://zenith-protocol.invalid/schemas/envelope/Controller.json" => { path = "../../schemas/envelope/Controller.json" },
        "https://zenith-protocol.invalid/schemas/envelope/Topic.json" => { path = "../../schemas/envelope/Topic.json" },
        "https://zenith-protocol.invalid/schemas/envelope/Action.json" => { path = "../../schemas/envelope/Action.json" },
        "https://zenith-protocol.invalid/schemas/envelope/TransactionID.json" => { path = "../../schemas/envelope/TransactionID.json" },
        "https://zenith-protocol.invalid/schemas/types/ScopeList.json" => { path = "../../schemas/types/ScopeList.json" },
    }
)]
struct AuthOwnerMacro;

#[jsonschema::validator(
    path = "../../schemas/auth/Identify.push.json",
    draft = Draft202012,
    validate_formats = true,
    formats = { "zenith-datetime" => crate::datetime_ok, "zenith-time" => crate::time_ok },
    resources = {
        "https://zenith-protocol.invalid/schemas/envelope/Controller.json" => { path = "../../schemas/envelope/Controller.json" },
        "https://zenith-protocol.invalid/schemas/envelope/Topic.json" => { path = "../../schemas/envelope/Topic.json" },
        "https://zenith-protocol.invalid/schemas/envelope/Action.json" => { path = "../../schemas/envelope/Action.json" },
        "https://zenith-protocol.invalid/schemas/envelope/TransactionID.json" => { path = "../../schemas/envelope/TransactionID.json" },
        "https://zenith-protocol.invalid/schemas/auth/IdentityResult.json" => { path = "../../schemas/auth/IdentityResult.json" },
        "https://zenith-protocol.invalid/schemas/types/DateTime.json" => { path = "../../schemas/types/DateTime.json" },
        "https://zenith-protocol.invalid/schemas/types/ScopeList.json" => { path = "../../schemas/types/ScopeList.json" },
    }
)]
struct IdentifyMacro;

#[divan::bench]
fn serde_json_parse_only(bencher: Bencher) {
    let texts = texts();
    bencher.counter(divan::counter::ItemsCount::new(texts.len())).bench(|| {
        for text in &texts {
            black_box(serde_json::from_str::<Value>(black_box(text)).unwrap());
        }
    });
}

#[divan::bench]
fn generated_is_valid(bencher: Bencher) {
    let messages = messages();
    bencher.counter(divan::counter::ItemsCount::new(messages.len())).bench(|| {
        for (kind, message) in &messages {
            black_box(kind.is_valid(black_box(message)));
        }
    });
}

#[divan::bench]
fn generated_fast_path_only(bencher: Bencher) {
    let messages = messages();
    bencher.counter(divan::counter::ItemsCount::new(messages.len())).bench(|| {
        for (kind, message) in &messages {
            let verdict = match kind {
                MessageKind::AuthOwnerRequest => zenith_protocol::AuthOwnerRequest::verdict(black_box(message)),
                _ => zenith_protocol::IdentifyPush::verdict(black_box(message)),
            };
            black_box(verdict);
        }
    });
}

#[divan::bench]
fn generated_full_report(bencher: Bencher) {
    let messages = messages();
    bencher.counter(divan::counter::ItemsCount::new(messages.len())).bench(|| {
        for (kind, message) in &messages {
            black_box(kind.validate(black_box(message)));
        }
    });
}

#[divan::bench]
fn jsonschema_runtime_is_valid(bencher: Bencher) {
    let mut registry = jsonschema::Registry::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas");
    for sub in ["envelope", "auth", "types"] {
        for entry in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
            let schema: Value = serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
            let id = schema["$id"].as_str().unwrap().to_owned();
            registry = registry.add(id, schema).unwrap();
        }
    }
    let registry = registry.prepare().unwrap();
    let build = |kind: MessageKind| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_registry(&registry)
            .with_format("zenith-datetime", datetime_ok)
            .with_format("zenith-time", time_ok)
            .should_validate_formats(true)
            .build(&json!({"$ref": kind.info().schema_id}))
            .unwrap()
    };
    let auth_owner = build(MessageKind::AuthOwnerRequest);
    let identify = build(MessageKind::IdentifyPush);
    let messages = messages();
    bencher.counter(divan::counter::ItemsCount::new(messages.len())).bench(|| {
        for (kind, message) in &messages {
            let validator = if *kind == MessageKind::AuthOwnerRequest { &auth_owner } else { &identify };
            black_box(validator.is_valid(black_box(message)));
        }
    });
}

#[divan::bench]
fn jsonschema_macro_is_valid(bencher: Bencher) {
    let messages = messages();
    bencher.counter(divan::counter::ItemsCount::new(messages.len())).bench(|| {
        for (kind, message) in &messages {
            let valid = match kind {
                MessageKind::AuthOwnerRequest => AuthOwnerMacro::is_valid(black_box(message)),
                _ => IdentifyMacro::is_valid(black_box(message)),
            };
            black_box(valid);
        }
    });
}

#[divan::bench]
fn parse_and_validate_generated(bencher: Bencher) {
    let texts = texts();
    bencher.counter(divan::counter::ItemsCount::new(texts.len())).bench(|| {
        for text in &texts {
            let value: Value = serde_json::from_str(black_box(text)).unwrap();
            let keys = zenith_protocol::EnvelopeKeys::read(&value).unwrap();
            let kind = keys.kind(Direction::Send).or_else(|| keys.kind(Direction::Receive)).unwrap();
            black_box(kind.is_valid(&value));
        }
    });
}

/// The macro-built validators agree with the generated ones on every benchmark message.
#[divan::bench(sample_count = 1, sample_size = 1)]
fn verdicts_agree() {
    for (kind, message) in messages() {
        let macro_verdict = match kind {
            MessageKind::AuthOwnerRequest => AuthOwnerMacro::is_valid(&message),
            _ => IdentifyMacro::is_valid(&message),
        };
        assert_eq!(macro_verdict, kind.validate(&message).is_schema_valid(), "{message}");
    }
}

/// The fast path on each benchmark message alone, to see where time goes.
#[divan::bench(args = 0..8)]
fn generated_fast_path_per_message(bencher: Bencher, index: usize) {
    let (kind, message) = messages().swap_remove(index);
    bencher.bench(|| black_box(kind.is_valid(black_box(&message))));
}

#[divan::bench]
fn near_miss_lookup() -> Option<&'static str> {
    zenith_protocol::runtime::diagnostics::near_miss(
        black_box("Usrname"),
        black_box(&["Provider", "ClientID", "ClientSecret", "UserName", "Password", "Scope"]),
    )
}
