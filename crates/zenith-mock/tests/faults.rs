//! Each fault `--faults` asks for, as a client sees it over a real connection.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use zenith_mock::{Faults, Options};
use zenith_protocol::{Direction, EnvelopeKeys};

mod kit;
use kit::start;

const LIMIT: Duration = Duration::from_secs(10);

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A signed-in client of a mock committing `faults` (keeping the sign-in itself clean).
async fn signed_in(faults: &str) -> (Client, tokio::sync::oneshot::Sender<()>) {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.faults = faults.parse::<Faults>().unwrap();
    options.rate = 100.0;
    let (address, stop, _) = start(options).await;
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{address}/Zenith?version=2.0")).await.unwrap();
    let sign_in = json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1,
                         "Data": {"Provider": "Zenith", "ClientID": "faults", "UserName": "demo", "Password": "demo"}});
    client.send(Message::text(sign_in.to_string())).await.unwrap();
    (client, stop)
}

/// The next text frame.
async fn text(client: &mut Client) -> String {
    loop {
        match tokio::time::timeout(LIMIT, client.next()).await.expect("in time").expect("open").expect("a frame") {
            Message::Text(text) => return text.as_str().to_owned(),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => continue,
        }
    }
}

async fn next(client: &mut Client) -> Value {
    serde_json::from_str(&text(client).await).unwrap()
}

async fn query(client: &mut Client, id: i64) {
    let request = json!({"Controller": "Market", "Topic": "QueryMarkets", "TransactionID": id});
    client.send(Message::text(request.to_string())).await.unwrap();
}

#[tokio::test]
async fn retry_and_limited_are_error_replies_with_the_requests_transaction_id() {
    for (fault, code) in [("retry=1", "Retry"), ("limited=1", "Limited")] {
        let (mut client, _stop) = signed_in(fault).await;
        // Signing in is spared, so that the faults reach the requests after it.
        assert_eq!(next(&mut client).await["Data"]["Result"], "Success");
        query(&mut client, 2).await;
        let error = next(&mut client).await;
        assert_eq!(
            (error["Action"].as_str(), error["TransactionID"].as_i64(), error["Data"].as_str()),
            (Some("Error"), Some(2), Some(code))
        );
        let kind = EnvelopeKeys::read(&error).unwrap().kind(Direction::Receive).unwrap();
        assert_eq!(kind.validate(&error).errors().count(), 0, "{error}");
    }
}

#[tokio::test]
async fn a_dropped_request_is_never_answered_while_the_connection_goes_on() {
    let (mut client, _stop) = signed_in("drop=1").await;
    assert_eq!(next(&mut client).await["Data"]["Result"], "Success");
    // Nothing answers the query; a Sub (not a request) still works.
    query(&mut client, 2).await;
    let sub = json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Sub", "Confirm": true});
    client.send(Message::text(sub.to_string())).await.unwrap();
    let first = next(&mut client).await;
    assert_eq!(first["Action"], "Sub", "the query's reply never came: {first}");
}

#[tokio::test]
async fn the_server_ends_a_subscription_of_its_own_accord() {
    let (mut client, _stop) = signed_in("unsub=1").await;
    next(&mut client).await;
    let sub = json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Action": "Sub", "Confirm": true});
    client.send(Message::text(sub.to_string())).await.unwrap();
    assert_eq!(next(&mut client).await["Action"], "Sub");
    assert!(next(&mut client).await["Data"].is_array(), "the snapshot");
    let ended = next(&mut client).await;
    assert_eq!((ended["Action"].as_str(), ended["Topic"].as_str()), (Some("Unsub"), Some("Depth!BHP.ASX")));
    let kind = EnvelopeKeys::read(&ended).unwrap().kind(Direction::Receive).unwrap();
    assert_eq!(kind.validate(&ended).errors().count(), 0, "{ended}");
}

#[tokio::test]
async fn close_4000_kicks_the_client_off_with_its_meaning() {
    let (mut client, _stop) = signed_in("close=4000@200ms").await;
    next(&mut client).await;
    let frame = loop {
        match tokio::time::timeout(LIMIT, client.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame with a code"),
            Some(Ok(_)) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(frame.code, CloseCode::from(4000));
    assert!(frame.reason.contains("kicked off"), "{}", frame.reason);
}

#[tokio::test]
async fn malformed_and_schema_breaking_messages_are_sent_when_asked() {
    let (mut client, _stop) = signed_in("malformed=1").await;
    let sent = text(&mut client).await;
    assert!(serde_json::from_str::<Value>(&sent).is_err(), "not JSON: {sent}");
    let (mut client, _stop) = signed_in("invalid=1").await;
    let sent = next(&mut client).await;
    let kind = EnvelopeKeys::read(&sent).ok().and_then(|k| k.kind(Direction::Receive));
    let valid = kind.is_some_and(|kind| kind.validate(&sent).errors().count() == 0);
    assert!(!valid, "its schema rejects it: {sent}");
}
