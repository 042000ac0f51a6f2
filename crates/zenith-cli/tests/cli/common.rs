//! Running `zenith` from the repository root, and the captures several subcommands' tests share.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

pub use test_kit::Run;

/// Runs `zenith args` in the repository root, `stdin` (if any) on its standard input.
pub fn zenith(args: &[&str], stdin: Option<&[u8]>) -> Run {
    test_kit::run(&mut command(args), stdin)
}

/// Runs `zenith` with `stdin` handed over a byte, then a pause, then the rest: as a slow pipe
/// delivers it.
pub fn zenith_on_a_slow_pipe(args: &[&str], stdin: &[u8]) -> Run {
    test_kit::run_slowly(&mut command(args), stdin)
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zenith"));
    command.args(args).current_dir(test_kit::root());
    command
}

/// The NDJSON records and the final summary of a `--format json` run.
pub fn records(run: &Run) -> (Vec<Value>, Value) {
    test_kit::records(&run.stdout)
}

pub fn assert_balanced(summary: &Value) {
    let n = |k: &str| summary[k].as_u64().unwrap();
    let states = n("valid") + n("with_warnings") + n("invalid") + n("unreadable") + n("skipped");
    assert_eq!(n("read"), states, "{summary}");
}

/// `bytes` written to `name` in this run's own temporary directory.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    test_kit::scratch_file("cli-test", name, bytes)
}

/// A HAR capture full of credentials in every awkward place.
pub fn capture_full_of_secrets() -> (Vec<u8>, Vec<String>) {
    let huge = format!("HUGE{}", "k".repeat(200_000));
    let secrets = vec![
        "pw-Alpha-1234".to_owned(),
        "cs-Bravo-5678".to_owned(),
        "gr-Charlie-9012".to_owned(),
        "tk-Delta-3456".to_owned(),
        "tk-Echo-7890".to_owned(),
        huge.clone(),
        "8675309".to_owned(),
    ];
    let messages = [
        (
            "send",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1, "Data": {"Provider": "P", "ClientID": "C", "ClientSecret": "cs-Bravo-5678", "Password": "pw-Alpha-1234", "Pasword": "pw-Alpha-1234", "api_token": "tk-Echo-7890"}}),
        ),
        (
            "send",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 2, "Data": {"Provider": 5, "Password": 8675309, "ClientSecret": ["cs-Bravo-5678"]}}),
        ),
        (
            "send",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthCode", "TransactionID": 3, "Data": {"Provider": "P", "ClientID": "C", "AuthGrant": {"nested": "gr-Charlie-9012"}}}),
        ),
        (
            "receive",
            serde_json::json!({"Controller": "Auth", "Topic": "Identify", "TransactionID": 1, "Data": {"Result": "Sucess", "AccessToken": huge}}),
        ),
        (
            "send",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthToken", "Data": {"Provider": "Bearer", "AccessToken": "tk-Delta-3456", "Accesstoken": "tk-Echo-7890"}}),
        ),
        (
            "receive",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthToken", "Action": "Error", "TransactionID": 9, "Data": "Authority tk-Delta-3456"}),
        ),
    ];
    let items: Vec<serde_json::Value> = messages
        .iter()
        .map(|(d, m)| serde_json::json!({"type": d, "time": 1.5, "opcode": 1, "data": m.to_string()}))
        .chain([
            serde_json::json!({"type": "send", "time": 2.0, "opcode": 1, "data": "{\"Password\":\"pw-Alpha-1234\" broken"}),
            serde_json::json!({"type": "error", "time": 2.5, "opcode": 1, "data": "AccessToken tk-Delta-3456 rejected"}),
        ])
        .collect();
    let har = serde_json::json!({"log": {"entries": [{
        "request": {"url": "wss://z.example.invalid/Zenith?access_token=tk-Delta-3456", "headers": [{"name": "Authorization", "value": "Bearer tk-Delta-3456"}]},
        "_resourceType": "websocket",
        "_webSocketMessages": items
    }]}});
    (serde_json::to_vec(&har).unwrap(), secrets)
}

/// A Zenith session recorded as BSON over permessage-deflate.
pub const BSON_SESSION: &str = "../shared/fixtures/pcap/zenith/reference-bson-deflate.pcapng";
