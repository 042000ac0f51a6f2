//! Redaction removes every credential and changes no verdict: random Auth sessions with random
//! secrets, written as HAR and as JSON Lines.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};
use zenith_capture::{Format, Limits};
use zenith_check::Checker;
use zenith_redact::{RedactError, redact};

/// Base64 without a crate: enough to look for an encoded secret.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// An Auth session carrying `secrets`, as (direction, message) pairs.
fn session(secrets: &[String], broken: bool) -> Vec<(&'static str, Value)> {
    let [password, client_secret, grant, token, extra] = [0, 1, 2, 3, 4].map(|i| secrets[i].clone());
    let mut owner = json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1,
        "Data": {"Provider": "Paritech", "ClientID": "C", "ClientSecret": client_secret, "UserName": "u", "Password": password}});
    if broken {
        // A misspelled, wrong-typed credential and one in an undocumented field.
        owner["Data"]["Pasword"] = json!(password);
        owner["Data"]["ClientSecret"] = json!([client_secret]);
        owner["Data"]["refresh_token"] = json!(extra);
    }
    vec![
        ("send", owner),
        (
            "receive",
            json!({"Controller": "Auth", "Topic": "Identify", "TransactionID": 1, "Data": {"Result": "Success", "AccessToken": token}}),
        ),
        (
            "send",
            json!({"Controller": "Auth", "Topic": "AuthCode", "TransactionID": 2, "Data": {"Provider": "P", "ClientID": "C", "AuthGrant": grant}}),
        ),
        (
            "receive",
            json!({"Controller": "Auth", "Topic": "AuthCode", "TransactionID": 2, "Data": {"Result": "Reject"}}),
        ),
        (
            "send",
            json!({"Controller": "Auth", "Topic": "AuthToken", "TransactionID": 3, "Data": {"Provider": "Bearer", "AccessToken": token}}),
        ),
        (
            "receive",
            json!({"Controller": "Auth", "Topic": "Identify", "TransactionID": 3, "Data": {"Result": "Success"}}),
        ),
    ]
}

fn as_jsonl(messages: &[(&str, Value)]) -> Vec<u8> {
    let mut out = String::new();
    for (i, (direction, message)) in messages.iter().enumerate() {
        let item =
            json!({"conn": "7", "type": direction, "time": 1.0 + i as f64, "opcode": 1, "data": message.to_string()});
        out.push_str(&item.to_string());
        out.push('\n');
    }
    out.into_bytes()
}

fn as_har(messages: &[(&str, Value)], token: &str) -> Vec<u8> {
    let items: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, (direction, message))| json!({"type": direction, "time": 1.0 + i as f64, "opcode": 1, "data": message.to_string()}))
        .collect();
    let har = json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [{
        "request": {
            "method": "GET",
            "url": format!("wss://zenith.example.invalid/Zenith?version=2.0&access_token={token}"),
            "headers": [{"name": "Authorization", "value": format!("Bearer {token}")}, {"name": "Cookie", "value": format!("session={token}")}],
            "queryString": [{"name": "version", "value": "2.0"}, {"name": "access_token", "value": token}],
            "cookies": [{"name": "session", "value": token}]
        },
        "response": {"status": 101, "headers": [{"name": "Set-Cookie", "value": format!("session={token}; HttpOnly")}], "cookies": []},
        "_resourceType": "websocket",
        "_webSocketMessages": items
    }]}});
    serde_json::to_vec_pretty(&har).unwrap()
}

/// Every finding as (connection, message index, code, severity), the verdicts a person sees.
fn verdicts(format: Format, bytes: &[u8]) -> BTreeSet<(String, u64, String, &'static str)> {
    let mut checker = Checker::new("capture");
    let mut found = BTreeSet::new();
    let mut record = |f: zenith_check::Finding| {
        found.insert((f.conn, f.index, f.code, f.level.as_str()));
    };
    zenith_capture::read(format, bytes, Limits::default(), &mut |event| checker.event(event, &mut record)).unwrap();
    checker.finish(&mut record);
    found
}

fn redacted(format: Format, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    redact(format, bytes, &mut out, false).unwrap();
    out
}

fn secret() -> impl Strategy<Value = String> {
    // Long enough not to occur by chance; any printable characters, quotes included.
    "[A-Za-z0-9+/=_.~\"'!-]{12,40}".prop_map(|s| format!("S3cr{s}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_secret_survives_and_no_verdict_changes(secrets in prop::collection::vec(secret(), 5), broken in any::<bool>()) {
        let messages = session(&secrets, broken);
        for (format, bytes) in [(Format::Jsonl, as_jsonl(&messages)), (Format::Har, as_har(&messages, &secrets[3]))] {
            let out = redacted(format, &bytes);
            let text = String::from_utf8_lossy(&out);
            for secret in &secrets {
                let escaped = serde_json::to_string(secret).unwrap();
                prop_assert!(!text.contains(secret.as_str()), "{format:?} keeps {secret}");
                prop_assert!(!text.contains(&escaped[1..escaped.len() - 1]), "{format:?} keeps {secret} escaped");
                prop_assert!(!text.contains(&base64(secret.as_bytes())), "{format:?} keeps base64 of {secret}");
            }
            prop_assert_eq!(verdicts(format, &bytes), verdicts(format, &out));
        }
    }
}

#[test]
fn everything_but_the_secrets_is_kept() {
    let messages = session(
        &["pw-0123456789".into(), "cs-0123456789".into(), "gr-0123456789".into(), "tk-0123456789".into(), "x".into()],
        false,
    );
    let out = redacted(Format::Jsonl, &as_jsonl(&messages));
    let lines: Vec<Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), messages.len());
    for ((direction, original), line) in messages.iter().zip(&lines) {
        assert_eq!(line["type"], *direction);
        let data: Value = serde_json::from_str(line["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["Topic"], original["Topic"]);
        assert_eq!(data["TransactionID"], original["TransactionID"]);
    }
    let owner: Value = serde_json::from_str(lines[0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(owner["Data"]["Password"], "<redacted>");
    assert_eq!(owner["Data"]["UserName"], "u");
    assert_eq!(owner["Data"]["Provider"], "Paritech");
    // A message with no secret is written back byte for byte.
    let reply = String::from_utf8(as_jsonl(&messages)).unwrap();
    let fourth = reply.lines().nth(3).unwrap();
    assert!(String::from_utf8(redacted(Format::Jsonl, &as_jsonl(&messages))).unwrap().contains(fourth));
}

#[test]
fn unreadable_messages_are_refused_unless_forced() {
    let bytes = b"{\"Controller\":\"Auth\",\"Topic\":\"AuthToken\",\"Data\":{\"Provider\":\"Bearer\",\"AccessToken\":\"tk-secret-1\"}}\nnot json, Password=hunter2\n";
    let mut out = Vec::new();
    let error = redact(Format::Jsonl, &bytes[..], &mut out, false).unwrap_err();
    assert!(matches!(error, RedactError::Unreadable(ref items) if items.len() == 1 && items[0].location == "line 2"));
    assert!(error.to_string().contains("nothing was written"), "{error}");
    assert!(out.is_empty());
    let outcome = redact(Format::Jsonl, &bytes[..], &mut out, true).unwrap();
    assert_eq!(outcome.unredacted.len(), 1);
    assert_eq!(outcome.replaced, 1);
    assert!(!String::from_utf8_lossy(&out).contains("tk-secret-1"));
}
