//! `zenith mock` end to end: the real binary serving an in-process websocket client on loopback.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use test_kit::Serving;
use tokio_tungstenite::tungstenite::Message;

const LIMIT: Duration = Duration::from_secs(20);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn mock(args: &[&str]) -> Serving {
    Serving::start(
        Command::new(env!("CARGO_BIN_EXE_zenith"))
            .args(["mock", "--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(repo()),
    )
}

/// Connects, sends `messages`, waits for the reply to the last (TransactionID 99), and closes.
async fn talk(address: std::net::SocketAddr, messages: &[Value]) {
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{address}/Zenith?version=2.0")).await.unwrap();
    for message in messages {
        client.send(Message::text(message.to_string())).await.unwrap();
    }
    loop {
        let frame = tokio::time::timeout(LIMIT, client.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(text) = frame
            && serde_json::from_str::<Value>(text.as_str()).unwrap()["TransactionID"] == 99
        {
            break;
        }
    }
    client.close(None).await.unwrap();
}

fn sign_in() -> Value {
    json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1,
           "Data": {"Provider": "Zenith", "ClientID": "cli", "UserName": "demo", "Password": "demo"}})
}

#[tokio::test]
async fn a_clean_client_is_served_and_the_mock_exits_0_after_one_connection() {
    let served = mock(&["--once"]);
    talk(served.address, &[sign_in(), json!({"Controller": "Market", "Topic": "QueryMarkets", "TransactionID": 99})])
        .await;
    let run = served.finish();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("a test server, not a Zenith server"), "{}", run.stderr);
    assert!(run.stderr.contains("1 requests answered"), "{}", run.stderr);
    assert!(run.stderr.contains("the client's messages: 0 errors, 0 warnings"), "{}", run.stderr);
    assert!(!run.stderr.contains("\"demo\""), "no password shown: {}", run.stderr);
}

#[tokio::test]
async fn a_client_sending_a_broken_message_makes_the_mock_exit_1_with_the_finding() {
    let served = mock(&["--once", "--format", "json"]);
    let broken = json!({"Controller": "Market", "Topic": "QuerySecurity", "TransactionID": 99, "Data": {"Code": "BHP", "Market": 7}});
    talk(served.address, &[sign_in(), broken]).await;
    let run = served.finish();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let records: Vec<Value> = run.stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(records[0]["code"], "wrong-type", "{}", run.stdout);
    assert_eq!(records[0]["instance_path"], "/Data/Market");
    let connection = &records.last().unwrap()["connection"];
    assert_eq!((connection["user"].as_str(), connection["errors"].as_u64()), (Some("demo"), Some(1)), "{}", run.stdout);
}

#[test]
fn the_default_user_is_refused_beyond_loopback_and_bad_options_say_so() {
    let run = test_kit::run(
        Command::new(env!("CARGO_BIN_EXE_zenith")).args(["mock", "--listen", "0.0.0.0:0"]).current_dir(repo()),
        None,
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--users"), "{}", run.stderr);
    let run = test_kit::run(Command::new(env!("CARGO_BIN_EXE_zenith")).args(["mock", "--faults", "retry=2"]), None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`2` is not a rate from 0 to 1"), "{}", run.stderr);
    let run = test_kit::run(
        Command::new(env!("CARGO_BIN_EXE_zenith"))
            .args(["mock", "--listen", "127.0.0.1:0", "--replay", "Cargo.toml"])
            .current_dir(repo()),
        None,
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--replay") && run.stderr.contains("Cargo.toml"), "{}", run.stderr);
}
