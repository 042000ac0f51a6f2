//! Signing in again after reconnecting, against a scripted server on loopback whose every
//! connection is told apart: a rejected sign-in stops reconnecting until a new one is given, an
//! unanswered one is tried again on the sign-in schedule, and a new token reaches a live
//! connection.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use zenith_client::{Client, ClientError, Event, Options, Reconnect};
use zenith_protocol::auth::{AuthTokenRequest, AuthTokenRequestData};
use zenith_protocol::market::{DepthPush, DepthTopic, QuerySecurityRequest, QuerySecurityRequestData};

/// What the scripted server saw, in order.
#[derive(Debug, PartialEq)]
enum Seen {
    /// Connection number n (from 1) opened.
    Opened(usize),
    /// A sign-in with this token on connection n, and whether it was answered with success.
    SignIn(usize, String, bool),
    /// Connection n closed by the client with this code.
    ClosedBy(usize, Option<u16>),
}

/// How the server treats sign-ins.
struct Script {
    /// Tokens that sign in.
    accepted: Mutex<HashSet<String>>,
    /// Connections (by number) on which sign-ins go unanswered.
    silent: HashSet<usize>,
    /// The first connection is closed by the server (1001) after its first push.
    drop_first: bool,
    /// Each sign-in's connection and TransactionID.
    ids: Mutex<Vec<(usize, i64)>>,
}

/// A server on 127.0.0.1 with port 0 playing `script`; what it sees arrives on the receiver.
async fn scripted(script: Script) -> (String, Arc<Script>, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let script = Arc::new(script);
    let (seen, events) = mpsc::unbounded_channel();
    let shared = Arc::clone(&script);
    tokio::spawn(async move {
        for number in 1.. {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (script, seen) = (Arc::clone(&shared), seen.clone());
            tokio::spawn(async move {
                let agree = |_: &Request, mut response: Response| {
                    response.headers_mut().insert("Sec-WebSocket-Protocol", "ZenithJson".parse().unwrap());
                    Ok(response)
                };
                let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(tcp, agree).await else { return };
                let _ = seen.send(Seen::Opened(number));
                while let Some(Ok(frame)) = socket.next().await {
                    let text = match frame {
                        Frame::Text(text) => text,
                        Frame::Close(close) => {
                            let _ = seen.send(Seen::ClosedBy(number, close.map(|c| u16::from(c.code))));
                            return;
                        }
                        _ => continue,
                    };
                    let message: Value = serde_json::from_str(text.as_str()).unwrap();
                    if let Some(token) = message["Data"]["AccessToken"].as_str() {
                        let id = message["TransactionID"].as_i64().unwrap();
                        script.ids.lock().unwrap().push((number, id));
                        if script.silent.contains(&number) {
                            let _ = seen.send(Seen::SignIn(number, token.to_owned(), false));
                            continue;
                        }
                        let success = script.accepted.lock().unwrap().contains(token);
                        let _ = seen.send(Seen::SignIn(number, token.to_owned(), success));
                        let result = if success { "Success" } else { "Reject" };
                        let identity = json!({"Controller": "Auth", "Topic": "AuthToken",
                            "TransactionID": message["TransactionID"], "Data": {"Result": result, "UserID": "u"}});
                        socket.send(Frame::text(identity.to_string())).await.unwrap();
                    } else if message["Action"] == "Sub" {
                        let confirm = json!({"Controller": message["Controller"], "Topic": message["Topic"],
                            "Action": "Sub", "Confirm": true});
                        socket.send(Frame::text(confirm.to_string())).await.unwrap();
                        let book = json!({"Controller": "Market", "Topic": message["Topic"], "Data": [{"O": "C"},
                            {"O": "A", "Order": {"ID": format!("{number}"), "Side": "Bid", "Price": 42.0,
                            "Position": 1, "Quantity": 100}}]});
                        socket.send(Frame::text(book.to_string())).await.unwrap();
                        if number == 1 && script.drop_first {
                            let _ = socket.close(None).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, script, events)
}

fn quick() -> Options {
    let reconnect = Reconnect {
        failures: vec![Duration::from_millis(20)],
        after_failures: Duration::from_millis(20),
        sign_in_failures: vec![Duration::from_millis(30)],
        after_sign_in_failures: Duration::from_millis(30),
        ..Reconnect::default()
    };
    Options {
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        sign_in_timeout: Duration::from_millis(300),
        reconnect,
        ..Options::default()
    }
}

fn token(token: &str) -> AuthTokenRequest {
    AuthTokenRequest::new(AuthTokenRequestData::new("Paritech", token))
}

/// The next thing the server sees, within a few seconds.
async fn next(events: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(5), events.recv()).await.expect("the server sees more").expect("open")
}

/// The next event of a stream that is not a push.
async fn next_event(depth: &mut zenith_client::Subscription<DepthPush>) -> Event<DepthPush> {
    tokio::time::timeout(Duration::from_secs(5), depth.next()).await.expect("an event").expect("open")
}

#[tokio::test]
async fn a_rejected_sign_in_after_reconnecting_waits_for_a_new_token() {
    let accepted = Mutex::new(HashSet::from(["old".to_owned()]));
    let (url, script, mut seen) =
        scripted(Script { accepted, silent: HashSet::new(), drop_first: true, ids: Mutex::default() }).await;
    let client = Client::connect(&url, quick()).await.unwrap();
    client.sign_in(token("old")).await.unwrap();
    // The server revokes the old token, then drops the connection.
    script.accepted.lock().unwrap().clear();
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    assert_eq!(next(&mut seen).await, Seen::Opened(1));
    assert_eq!(next(&mut seen).await, Seen::SignIn(1, "old".into(), true));
    assert!(matches!(next_event(&mut depth).await, Event::Push(_)));

    // The second connection rejects the old token: the client closes it with 1000 and opens no
    // other on its own.
    assert_eq!(next(&mut seen).await, Seen::Opened(2));
    assert_eq!(next(&mut seen).await, Seen::SignIn(2, "old".into(), false));
    assert_eq!(next(&mut seen).await, Seen::ClosedBy(2, Some(1000)));
    let quiet = tokio::time::timeout(Duration::from_millis(300), seen.recv()).await;
    assert!(quiet.is_err(), "no connection before a new token: {quiet:?}");
    let query = QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"));
    let error = client.request(query).await.unwrap_err();
    assert!(matches!(&error, ClientError::Closed(Some(reason)) if reason.contains("sign in again")), "{error}");

    // A new token reconnects at once, signs in, and the stream is resynced and filled again.
    script.accepted.lock().unwrap().insert("new".to_owned());
    let identity = client.sign_in(token("new")).await.unwrap();
    assert_eq!(identity.user_id.as_deref(), Some("u"));
    assert_eq!(next(&mut seen).await, Seen::Opened(3));
    assert_eq!(next(&mut seen).await, Seen::SignIn(3, "new".into(), true));
    assert!(matches!(next_event(&mut depth).await, Event::Resynced));
    assert!(matches!(next_event(&mut depth).await, Event::Push(_)));
    assert_eq!(depth.state().records().map(|(key, _)| key.to_owned()).collect::<Vec<_>>(), ["3"]);
}

#[tokio::test]
async fn an_unanswered_sign_in_after_reconnecting_is_tried_again_on_a_new_connection() {
    let accepted = Mutex::new(HashSet::from(["t".to_owned()]));
    let (url, script, mut seen) =
        scripted(Script { accepted, silent: HashSet::from([2]), drop_first: true, ids: Mutex::default() }).await;
    let client = Client::connect(&url, quick()).await.unwrap();
    client.sign_in(token("t")).await.unwrap();
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    assert!(matches!(next_event(&mut depth).await, Event::Push(_)));
    let mut connections = Vec::new();
    while connections.len() < 7 {
        connections.push(next(&mut seen).await);
    }
    assert_eq!(
        connections,
        [
            Seen::Opened(1),
            Seen::SignIn(1, "t".into(), true),
            Seen::Opened(2),
            Seen::SignIn(2, "t".into(), false),
            Seen::ClosedBy(2, Some(1000)),
            Seen::Opened(3),
            Seen::SignIn(3, "t".into(), true),
        ]
    );
    assert!(matches!(next_event(&mut depth).await, Event::Resynced));
    assert!(matches!(next_event(&mut depth).await, Event::Push(_)));
    // Each connection counts its TransactionIDs from 1.
    assert_eq!(*script.ids.lock().unwrap(), [(1, 1), (2, 1), (3, 1)]);
}

#[tokio::test]
async fn a_new_token_on_a_live_connection_is_sent_on_it() {
    let accepted = Mutex::new(HashSet::from(["first".to_owned(), "second".to_owned()]));
    let (url, _script, mut seen) =
        scripted(Script { accepted, silent: HashSet::new(), drop_first: false, ids: Mutex::default() }).await;
    let client = Client::connect(&url, quick()).await.unwrap();
    client.sign_in(token("first")).await.unwrap();
    client.sign_in(token("second")).await.unwrap();
    assert_eq!(next(&mut seen).await, Seen::Opened(1));
    assert_eq!(next(&mut seen).await, Seen::SignIn(1, "first".into(), true));
    assert_eq!(next(&mut seen).await, Seen::SignIn(1, "second".into(), true));
    client.close();
    assert_eq!(next(&mut seen).await, Seen::ClosedBy(1, Some(1000)));
}

#[tokio::test]
async fn a_client_dropped_closes_its_connection_with_1000() {
    let accepted = Mutex::new(HashSet::from(["t".to_owned()]));
    let (url, _script, mut seen) =
        scripted(Script { accepted, silent: HashSet::new(), drop_first: false, ids: Mutex::default() }).await;
    let client = Client::connect(&url, quick()).await.unwrap();
    client.sign_in(token("t")).await.unwrap();
    drop(client);
    assert_eq!(next(&mut seen).await, Seen::Opened(1));
    assert_eq!(next(&mut seen).await, Seen::SignIn(1, "t".into(), true));
    assert_eq!(next(&mut seen).await, Seen::ClosedBy(1, Some(1000)));
}

#[test]
fn the_sign_in_delays_are_the_real_clients() {
    let reconnect = Reconnect::default();
    let delays: Vec<u64> = (1..7).map(|failures| reconnect.sign_in_delay(failures).as_secs()).collect();
    assert_eq!(delays, [3, 3, 6, 20, 20, 20]);
    assert_eq!(Options::default().sign_in_timeout, Duration::from_secs(40));
}
