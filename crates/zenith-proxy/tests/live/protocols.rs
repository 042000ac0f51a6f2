//! The proxy with each Zenith subprotocol and websocket feature a library speaks: binary
//! MessagePack and BSON sessions, fragmented messages, pings and pongs, and close codes, each
//! relayed unchanged and read as `zenith check` reads them.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

use crate::kit::*;

/// A JSON message as MessagePack, as a ZenithMsgPack connection sends it.
fn msgpack(text: &str) -> Vec<u8> {
    let value: Value = serde_json::from_str(text).unwrap();
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &capture_bench::to_msgpack(&value)).unwrap();
    bytes
}

/// A JSON value as BSON: integers as 32-bit ones when they fit, other numbers as doubles.
fn to_bson(value: &Value) -> bson::Bson {
    match value {
        Value::Null => bson::Bson::Null,
        Value::Bool(b) => bson::Bson::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i32::try_from(i).map_or(bson::Bson::Int64(i), bson::Bson::Int32),
            None => bson::Bson::Double(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => bson::Bson::String(s.clone()),
        Value::Array(items) => bson::Bson::Array(items.iter().map(to_bson).collect()),
        Value::Object(map) => {
            let mut document = bson::Document::new();
            for (key, value) in map {
                document.insert(key.clone(), to_bson(value));
            }
            bson::Bson::Document(document)
        }
    }
}

/// A JSON message as BSON, as a ZenithBson connection sends it.
fn bson_message(text: &str) -> Vec<u8> {
    let value: Value = serde_json::from_str(text).unwrap();
    let bson::Bson::Document(document) = to_bson(&value) else { panic!("a message is an object") };
    let mut bytes = Vec::new();
    document.to_writer(&mut bytes).unwrap();
    bytes
}

/// Relays the sample session through the proxy as binary messages of `subprotocol`, encoded by
/// `encode`; returns the reports of the connection, the record's path and the messages sent.
async fn binary_session(
    subprotocol: &'static str,
    encode: fn(&str) -> Vec<u8>,
) -> (Vec<zenith_proxy::Report>, std::path::PathBuf, u64) {
    let (listener, url) = upstream().await;
    let (record, record_path) = record(&format!("{subprotocol}.jsonl"));
    let mut options = options(&url);
    options.record = Some(record);
    let mut proxy = proxy(options).await;
    let (mut client, mut server) = tokio::join!(
        connect(proxy.address, "/Zenith?version=2.0", Some(subprotocol)),
        accept(&listener, Some(subprotocol))
    );
    let steps = session(&repo("examples/captures/auth-session.jsonl"));
    for (send, text) in &steps {
        let message = Message::binary(encode(text));
        if *send {
            pass(&mut client, &mut server, message).await;
        } else {
            pass(&mut server, &mut client, message).await;
        }
    }
    close(client, server).await;
    let reports = proxy.until_closed().await;
    proxy.stop().await;
    (reports, record_path, steps.len() as u64)
}

/// Asserts what a binary session's reports and record show, against `zenith check` on the record.
fn assert_binary_session(
    reports: &[zenith_proxy::Report],
    record_path: &std::path::Path,
    sent: u64,
    subprotocol: &str,
) {
    let closed = closed(reports);
    assert_eq!(closed.summary.messages(), sent);
    assert_eq!(closed.summary.binary, sent, "every message is read as binary");
    assert_eq!(closed.summary.unreadable, 0);
    assert_eq!(closed.summary.encoding_inferred, 0, "the encoding is the agreed subprotocol's");
    assert!(closed.summary.valid > 0);
    let live: Vec<_> = findings(reports).into_iter().map(key).collect();
    let upgrade =
        findings(reports).into_iter().find(|f| f.code == "websocket-upgrade").expect("the upgrade is reported");
    assert!(upgrade.message.contains(&format!("subprotocol {subprotocol}")), "{}", upgrade.message);
    // The sample's deliberately wrong message (a misspelled `UserName`) is caught in binary too.
    assert!(live.iter().any(|(_, _, code, _)| code == "misspelled-property"), "{live:?}");
    let (checked, _) = check_file(record_path);
    let mut checked: Vec<_> = checked.iter().filter(|f| f.index > 0).map(key).collect();
    let mut live: Vec<_> = live.into_iter().filter(|(_, index, _, _)| *index > 0).collect();
    checked.sort();
    live.sort();
    assert_eq!(live, checked);
    // The record holds the messages as JSON text, credentials replaced.
    let recorded = std::fs::read_to_string(record_path).unwrap();
    assert_eq!(recorded.lines().count() as u64, sent);
    assert!(recorded.contains(subprotocol), "the record names the encoding");
    assert!(recorded.contains("\\\"Password\\\"") && !recorded.contains("Insect"), "{recorded}");
    assert!(recorded.contains("<redacted>"));
}

#[tokio::test]
async fn a_msgpack_session_passes_unchanged_is_checked_as_binary_and_equals_check_on_the_record() {
    let (reports, record_path, sent) = binary_session("ZenithMsgPack", msgpack).await;
    assert_binary_session(&reports, &record_path, sent, "ZenithMsgPack");
    std::fs::remove_file(record_path).unwrap();
}

#[tokio::test]
async fn a_bson_session_passes_unchanged_is_checked_as_binary_and_equals_check_on_the_record() {
    let (reports, record_path, sent) = binary_session("ZenithBson", bson_message).await;
    assert_binary_session(&reports, &record_path, sent, "ZenithBson");
    std::fs::remove_file(record_path).unwrap();
}

#[tokio::test]
async fn fragmented_messages_and_pings_pass_unchanged_and_pings_are_not_messages() {
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let (mut client, mut server) =
        tokio::join!(connect(proxy.address, "/Zenith", Some("ZenithJson")), accept(&listener, Some("ZenithJson")));
    let request = r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub","Confirm":true}"#;
    let reply = r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub","Confirm":true}"#;
    // The client's request in three frames, a ping between the second and the third.
    let (a, rest) = request.split_at(10);
    let (b, c) = rest.split_at(20);
    client.feed(Message::Frame(Frame::message(a.to_owned(), OpCode::Data(Data::Text), false))).await.unwrap();
    client.feed(Message::Frame(Frame::message(b.to_owned(), OpCode::Data(Data::Continue), false))).await.unwrap();
    client.feed(Message::Frame(Frame::ping(b"between".to_vec()))).await.unwrap();
    client.send(Message::Frame(Frame::message(c.to_owned(), OpCode::Data(Data::Continue), true))).await.unwrap();
    let mut received = Vec::new();
    for _ in 0..4 {
        let next = tokio::time::timeout(LIMIT, server.next()).await.expect("in time").expect("open").expect("read");
        let whole = matches!(next, Message::Text(_));
        received.push(next);
        if whole {
            break;
        }
    }
    assert_eq!(received, vec![Message::Ping(b"between".to_vec().into()), Message::text(request)]);
    // The server's reply in two frames; before it, the pong the server's library answered the
    // ping with reaches the client.
    let (d, e) = reply.split_at(30);
    server.feed(Message::Frame(Frame::message(d.to_owned(), OpCode::Data(Data::Text), false))).await.unwrap();
    server.send(Message::Frame(Frame::message(e.to_owned(), OpCode::Data(Data::Continue), true))).await.unwrap();
    let mut received = Vec::new();
    for _ in 0..3 {
        let next = tokio::time::timeout(LIMIT, client.next()).await.expect("in time").expect("open").expect("read");
        let whole = matches!(next, Message::Text(_));
        received.push(next);
        if whole {
            break;
        }
    }
    assert_eq!(received, vec![Message::Pong(b"between".to_vec().into()), Message::text(reply)]);
    pass(&mut client, &mut server, Message::Ping(b"alive?".to_vec().into())).await;
    close(client, server).await;
    let reports = proxy.until_closed().await;
    let closed = closed(&reports);
    assert_eq!(closed.summary.messages(), 2, "pings and pongs are not messages: {:?}", closed.summary);
    assert_eq!(closed.summary.unreadable, 0);
    assert_eq!(closed.summary.subscriptions_confirmed, 1, "{:?}", closed.summary);
    // Two pings, the pong to the first and the two closes, at least: whether the pong to the
    // second is sent before the close is up to the library.
    assert!(closed.summary.control_frames >= 5, "{:?}", closed.summary);
    let live: Vec<_> = findings(&reports).into_iter().map(|f| f.code.clone()).collect();
    assert!(
        !live.iter().any(|c| c.starts_with("websocket-") && c != "websocket-upgrade" && c != "websocket-close"),
        "{live:?}"
    );
    proxy.stop().await;
}

#[tokio::test]
async fn a_server_close_with_code_4000_reaches_the_client_and_is_reported_with_its_meaning() {
    let (listener, url) = upstream().await;
    let mut proxy = proxy(options(&url)).await;
    let (mut client, mut server) =
        tokio::join!(connect(proxy.address, "/Zenith", Some("ZenithJson")), accept(&listener, Some("ZenithJson")));
    let sent = CloseFrame { code: CloseCode::from(4000), reason: "too many sessions".into() };
    server.send(Message::Close(Some(sent.clone()))).await.unwrap();
    let received = tokio::time::timeout(LIMIT, client.next()).await.expect("in time").expect("open").expect("read");
    assert_eq!(received, Message::Close(Some(sent)));
    // The client's library answers the close as it reads on; both ends then end.
    let ended =
        |mut end: Client| async move { while let Ok(Some(Ok(_))) = tokio::time::timeout(LIMIT, end.next()).await {} };
    tokio::join!(ended(server), ended(client));
    let reports = proxy.until_closed().await;
    let closed = closed(&reports);
    let server_close = closed.closes[1].as_ref().expect("the server's close");
    assert_eq!(server_close.code, Some(4000));
    assert_eq!(server_close.reason, "too many sessions");
    // The client echoed the code, as RFC 6455 asks.
    assert_eq!(closed.closes[0].as_ref().and_then(|c| c.code), Some(4000));
    let close = findings(&reports)
        .into_iter()
        .find(|f| f.code == "websocket-close" && f.message.contains("server"))
        .expect("the server's close is a finding");
    assert!(close.message.contains("4000 (session limit (Zenith: "), "{}", close.message);
    assert!(close.message.contains("too many sessions"), "{}", close.message);
    assert_eq!(close.level, zenith_check::Level::Warning);
    assert_eq!(closed.summary.messages(), 0);
    assert_eq!(closed.summary.control_frames, 2);
    proxy.stop().await;
}
