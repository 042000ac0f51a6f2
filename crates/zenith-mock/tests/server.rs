//! The mock as a client meets it, over real websocket connections on loopback: sign-in, errors
//! a strict server gives, subscriptions with their data, the three subprotocols, and hostile
//! clients cut off while others are served.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use zenith_mock::{Codec, ConnectionReport, Event, Mock, MockError, Options, Users};
use zenith_protocol::{Direction, EnvelopeKeys};

mod kit;
use kit::start;

/// The longest any step of a test may take.
const LIMIT: Duration = Duration::from_secs(10);

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(address: SocketAddr, protocol: Option<&str>) -> Client {
    let mut request = format!("ws://{address}/Zenith?version=2.0").into_client_request().unwrap();
    if let Some(protocol) = protocol {
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(protocol).unwrap());
    }
    let (client, _) = tokio::time::timeout(LIMIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("connected in time")
        .expect("the handshake succeeds");
    client
}

async fn send(client: &mut Client, message: Value) {
    client.send(Message::text(message.to_string())).await.unwrap();
}

/// The next message from the server, on a ZenithJson connection.
async fn next(client: &mut Client) -> Value {
    loop {
        let frame = tokio::time::timeout(LIMIT, client.next()).await.expect("a message in time");
        match frame.expect("the connection is open").expect("a frame") {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// The report of the next connection to end, the findings before it skipped.
async fn closed(events: &mut mpsc::UnboundedReceiver<Event>) -> ConnectionReport {
    loop {
        match tokio::time::timeout(LIMIT, events.recv()).await.expect("in time").expect("the mock runs") {
            Event::Closed(report) => return report,
            Event::Finding(_) => continue,
        }
    }
}

/// Asserts a received message is valid by the schemas.
fn valid(message: &Value) {
    let kind = EnvelopeKeys::read(message).ok().and_then(|k| k.kind(Direction::Receive)).expect("a known message");
    let errors: Vec<String> = kind.validate(message).errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{message}: {errors:?}");
}

fn auth_owner(id: i64, user: &str, password: &str) -> Value {
    json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": id,
           "Data": {"Provider": "Zenith", "ClientID": "test", "UserName": user, "Password": password}})
}

#[tokio::test]
async fn the_default_user_signs_in_and_its_token_signs_in_again() {
    let (address, _stop, _) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    let mut client = connect(address, Some("ZenithJson")).await;
    send(&mut client, auth_owner(1, "demo", "wrong")).await;
    let refused = next(&mut client).await;
    valid(&refused);
    assert_eq!((refused["TransactionID"].as_i64(), refused["Data"]["Result"].as_str()), (Some(1), Some("Reject")));
    send(&mut client, auth_owner(2, "demo", "demo")).await;
    let identity = next(&mut client).await;
    valid(&identity);
    assert_eq!(identity["Data"]["Result"], "Success");
    let token = identity["Data"]["AccessToken"].as_str().expect("an access token").to_owned();
    // Another connection signs in with the token issued.
    let mut again = connect(address, None).await;
    send(
        &mut again,
        json!({"Controller": "Auth", "Topic": "AuthToken", "TransactionID": 1,
                            "Data": {"Provider": "Zenith", "AccessToken": token}}),
    )
    .await;
    let identity = next(&mut again).await;
    assert_eq!((identity["Topic"].as_str(), identity["Data"]["Result"].as_str()), (Some("AuthToken"), Some("Success")));
    // And the default access token `demo`.
    send(
        &mut again,
        json!({"Controller": "Auth", "Topic": "AuthToken", "TransactionID": 2,
                            "Data": {"Provider": "Zenith", "AccessToken": "demo"}}),
    )
    .await;
    assert_eq!(next(&mut again).await["Data"]["Result"], "Success");
}

#[tokio::test]
async fn requests_before_sign_in_or_beyond_the_users_scopes_get_the_documented_error() {
    let users = Users::parse("[[user]]\nname = \"viewer\"\npassword = \"p\"\nscopes = [\"Zenith/Market\"]\n").unwrap();
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.users = users;
    options.users_file = true;
    let (address, _stop, _) = start(options).await;
    let mut client = connect(address, None).await;
    let query_accounts = json!({"Controller": "Trading", "Topic": "QueryAccounts", "TransactionID": 4});
    send(&mut client, query_accounts.clone()).await;
    let error = next(&mut client).await;
    valid(&error);
    assert_eq!(
        (error["Action"].as_str(), error["TransactionID"].as_i64(), error["Data"].as_str()),
        (Some("Error"), Some(4), Some("Authority"))
    );
    send(&mut client, auth_owner(5, "viewer", "p")).await;
    assert_eq!(next(&mut client).await["Data"]["Result"], "Success");
    // Trading needs `Zenith/Trading`, which this user lacks; Market it has.
    send(&mut client, query_accounts).await;
    assert_eq!(next(&mut client).await["Data"], "Authority");
    send(&mut client, json!({"Controller": "Market", "Topic": "QueryMarkets", "TransactionID": 6})).await;
    let reply = next(&mut client).await;
    valid(&reply);
    assert_eq!((reply["Action"].as_str(), reply["TransactionID"].as_i64()), (None, Some(6)));
}

#[tokio::test]
async fn a_request_its_schema_rejects_gets_the_validators_finding() {
    let (address, _stop, mut events) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    let mut client = connect(address, None).await;
    send(&mut client, auth_owner(1, "demo", "demo")).await;
    next(&mut client).await;
    send(
        &mut client,
        json!({"Controller": "Market", "Topic": "QuerySecurity", "TransactionID": 2,
                             "Data": {"Code": "BHP", "Market": 7}}),
    )
    .await;
    let error = next(&mut client).await;
    valid(&error);
    let text = error["Data"].as_str().unwrap();
    assert!(text.starts_with("Data.Deserialise /Data/Market: "), "{text}");
    assert_eq!(error["TransactionID"], 2);
    client.send(Message::text("{not json")).await.unwrap();
    let error = next(&mut client).await;
    assert!(error["Data"].as_str().unwrap().starts_with("Data.Deserialise not JSON"), "{error}");
    // The client's messages are checked as `zenith check` checks them, as they come.
    client.close(None).await.unwrap();
    let mut findings = Vec::new();
    let report = loop {
        match tokio::time::timeout(LIMIT, events.recv()).await.unwrap().unwrap() {
            Event::Finding(finding) => {
                findings.push((finding.index, finding.code.clone(), finding.instance_path.clone()))
            }
            Event::Closed(report) => break report,
        }
    };
    // Numbered as messages of the connection, both ways.
    assert_eq!(
        findings,
        [(3, "wrong-type".to_owned(), "/Data/Market".to_owned()), (5, "not-json".to_owned(), String::new())]
    );
    assert_eq!((report.errors, report.warnings), (2, 0));
}

#[tokio::test]
async fn a_subscription_is_confirmed_and_its_data_keeps_coming_at_the_rate() {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.rate = 50.0;
    let (address, stop, mut reports) = start(options).await;
    let mut client = connect(address, None).await;
    send(&mut client, auth_owner(1, "demo", "demo")).await;
    next(&mut client).await;
    send(&mut client, json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Action": "Sub", "Confirm": true}))
        .await;
    let confirm = next(&mut client).await;
    assert_eq!((confirm["Action"].as_str(), confirm["Confirm"].as_bool()), (Some("Sub"), Some(true)));
    for _ in 0..20 {
        let push = next(&mut client).await;
        valid(&push);
        assert_eq!(push["Topic"], "Depth!BHP.ASX");
    }
    send(&mut client, json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Action": "Unsub", "Confirm": true}))
        .await;
    // Pushes sent before the Unsub arrived may come first.
    let mut ended = false;
    for _ in 0..100 {
        let message = next(&mut client).await;
        if message["Action"] == "Unsub" {
            ended = true;
            break;
        }
    }
    assert!(ended, "the Unsub is confirmed");
    client.close(None).await.unwrap();
    let report = closed(&mut reports).await;
    assert_eq!(report.user.as_deref(), Some("demo"));
    assert!(report.counts.pushes >= 20, "{report:?}");
    assert_eq!(report.counts.subscribed, 1);
    drop(stop);
}

#[tokio::test]
async fn msgpack_and_bson_clients_are_answered_in_their_own_encoding() {
    let (address, _stop, _) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    for codec in [Codec::MsgPack, Codec::Bson] {
        let mut client = connect(address, Some(codec.name())).await;
        client.send(codec.encode(&auth_owner(1, "demo", "demo"))).await.unwrap();
        let frame = tokio::time::timeout(LIMIT, client.next()).await.unwrap().unwrap().unwrap();
        assert!(matches!(frame, Message::Binary(_)), "{} answers in binary frames", codec.name());
        let reply: Value = serde_json::from_str(&codec.decode(&frame).unwrap().unwrap()).unwrap();
        assert_eq!(reply["Data"]["Result"], "Success", "{}", codec.name());
    }
}

#[tokio::test]
async fn a_client_sending_a_huge_message_is_cut_off_and_others_are_still_served() {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.max_message_bytes = 64 * 1024;
    let (address, _stop, _) = start(options).await;
    let mut good = connect(address, None).await;
    let mut hostile = connect(address, None).await;
    let _ = hostile.send(Message::text("x".repeat(1 << 20))).await;
    let closed = loop {
        match tokio::time::timeout(LIMIT, hostile.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break None,
        }
    };
    let frame = closed.expect("a close frame saying why");
    assert_eq!(frame.code, CloseCode::Size);
    assert!(frame.reason.contains("too long"), "{}", frame.reason);
    // Garbage instead of a handshake, on a third connection.
    let mut garbage = TcpStream::connect(address).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut garbage, b"\x16\x03\x01 not http at all\r\n\r\n").await.unwrap();
    send(&mut good, auth_owner(1, "demo", "demo")).await;
    assert_eq!(next(&mut good).await["Data"]["Result"], "Success");
}

#[tokio::test]
async fn the_default_user_is_not_served_beyond_loopback() {
    // Refused before anything is bound.
    let options = Options::new("0.0.0.0:0".parse().unwrap());
    let error = Mock::bind(options).await.err().expect("refused");
    assert!(matches!(error, MockError::DemoBeyondLoopback(_)));
    assert!(error.to_string().contains("--users"), "{error}");
}

#[tokio::test]
async fn a_replay_answers_as_the_capture_did_under_the_clients_own_transaction_ids() {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.replay = Some(test_kit::root().join("examples/captures/auth-session.jsonl"));
    options.speed = f64::INFINITY;
    let (address, _stop, _) = start(options).await;
    let mut client = connect(address, None).await;
    // The recorded sign-in, under TransactionID 41 instead of 1.
    send(&mut client, json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 41,
                             "Data": {"Provider": "Paritech", "ClientID": "TriOptimum", "UserName": "Shodan", "Password": "Insect"}}))
    .await;
    let identity = next(&mut client).await;
    assert_eq!((identity["Topic"].as_str(), identity["TransactionID"].as_i64()), (Some("Identify"), Some(41)));
    assert_eq!(identity["Data"]["DisplayName"], "SHODAN", "the recorded reply: {identity}");
    send(&mut client, json!({"Controller": "Zenith", "Topic": "ServerInfo", "Action": "Sub", "Confirm": true})).await;
    assert_eq!(next(&mut client).await["Data"]["Name"], "Citadel-1");
    assert_eq!(next(&mut client).await["Action"], "Sub");
    // The recorded refusal of QueryMarkets comes back as it was.
    send(&mut client, json!({"Controller": "Market", "Topic": "QueryMarkets", "TransactionID": 8})).await;
    let refused = next(&mut client).await;
    assert_eq!((refused["Data"].as_str(), refused["TransactionID"].as_i64()), (Some("Authority"), Some(8)));
    // A message the capture does not hold is answered as the schemas say.
    send(&mut client, json!({"Controller": "Zenith", "Topic": "QueryConfigure", "TransactionID": 9})).await;
    let reply = next(&mut client).await;
    valid(&reply);
    assert_eq!(reply["TransactionID"], 9);
    assert!(reply["Action"].is_null(), "answered, the session signed in by the replayed sign-in: {reply}");
}

#[tokio::test]
async fn a_replay_of_a_file_that_is_not_a_capture_is_refused_by_name() {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.replay = Some(test_kit::root().join("Cargo.toml"));
    let error = Mock::bind(options).await.err().expect("refused");
    assert!(matches!(error, MockError::Replay(_)), "{error}");
    assert!(error.to_string().contains("Cargo.toml"), "{error}");
}

#[tokio::test]
async fn orders_placed_show_in_the_orders_subscription_as_they_change() {
    let (address, _stop, _) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    let mut client = connect(address, None).await;
    send(&mut client, auth_owner(1, "demo", "demo")).await;
    next(&mut client).await;
    send(&mut client, json!({"Controller": "Trading", "Topic": "Orders!1234[Demo]", "Action": "Sub", "Confirm": true}))
        .await;
    let place = json!({"Controller": "Trading", "Topic": "PlaceOrder", "TransactionID": 2, "Data": {
        "Account": "1234[Demo]",
        "Details": {"Exchange": "ASX[Demo]", "Code": "NAB", "Style": "Equity", "Side": "Bid", "Quantity": 100, "Type": "Limit", "LimitPrice": 31.5, "Validity": "UntilCancel"},
        "Route": {"Algorithm": "Market", "Market": "ASX::CP[Demo]"}}});
    send(&mut client, place).await;
    // The order in the reply, and the same order added to the subscription.
    let (mut placed, mut added) = (None, None);
    while placed.is_none() || added.is_none() {
        let message = next(&mut client).await;
        valid(&message);
        if message["TransactionID"] == 2 {
            placed = Some(message["Data"]["Order"].clone());
        } else if let Some(record) = message["Data"].as_array().and_then(|records| {
            records
                .iter()
                .find(|r| r["O"] == "A" && r["Order"]["ID"].as_str().is_some_and(|id| id.starts_with("mock-")))
        }) {
            added = Some(record["Order"].clone());
        }
    }
    let (placed, added) = (placed.unwrap(), added.unwrap());
    assert_eq!(placed["ID"], added["ID"]);
    assert_eq!((added["Account"].as_str(), added["Details"]["Code"].as_str()), (Some("1234[Demo]"), Some("NAB")));
    let id = placed["ID"].as_str().unwrap().to_owned();
    send(
        &mut client,
        json!({"Controller": "Trading", "Topic": "CancelOrder", "TransactionID": 3,
                             "Data": {"Account": "1234[Demo]", "OrderID": id}}),
    )
    .await;
    let updated = loop {
        let message = next(&mut client).await;
        if let Some(record) = message["Data"]
            .as_array()
            .and_then(|records| records.iter().find(|r| r["Order"]["ID"] == id.as_str()).cloned())
        {
            break record;
        }
    };
    assert_eq!(updated["O"], "U");
}

#[tokio::test]
async fn a_client_subscribing_without_end_is_limited_and_one_that_never_reads_stalls_only_itself() {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.rate = 1000.0;
    let (address, _stop, _) = start(options).await;
    // Subscriptions past the limit are refused with `Limited`.
    let mut greedy = connect(address, None).await;
    send(&mut greedy, auth_owner(1, "demo", "demo")).await;
    next(&mut greedy).await;
    for index in 0..zenith_mock::session::MAX_SUBSCRIPTIONS + 1 {
        let topic = format!("Security!S{index}.ASX");
        greedy
            .send(Message::text(json!({"Controller": "Market", "Topic": topic, "Action": "Sub"}).to_string()))
            .await
            .unwrap();
    }
    let limited = loop {
        let message = next(&mut greedy).await;
        if message["Action"] == "Error" {
            break message;
        }
    };
    assert_eq!(limited["Data"], "Limited", "{limited}");
    // A client that subscribes and never reads: the mock's sends to it wait, nobody else's.
    let mut deaf = connect(address, None).await;
    send(&mut deaf, auth_owner(1, "demo", "demo")).await;
    for index in 0..50 {
        let topic = format!("Depth!D{index}.ASX");
        deaf.send(Message::text(json!({"Controller": "Market", "Topic": topic, "Action": "Sub"}).to_string()))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut good = connect(address, None).await;
    for id in 1..=20 {
        send(&mut good, auth_owner(id, "demo", "demo")).await;
        assert_eq!(next(&mut good).await["TransactionID"], id);
    }
    drop(deaf);
}

#[tokio::test]
async fn auth_code_signs_in_with_a_grant_the_mock_knows() {
    let (address, _stop, _) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    let mut client = connect(address, None).await;
    let code = |id: i64, grant: &str| {
        json!({"Controller": "Auth", "Topic": "AuthCode", "TransactionID": id,
               "Data": {"Provider": "Zenith", "ClientID": "test", "AuthGrant": grant}})
    };
    send(&mut client, code(1, "unknown")).await;
    assert_eq!(next(&mut client).await["Data"]["Result"], "Reject");
    send(&mut client, code(2, "demo")).await;
    let identity = next(&mut client).await;
    valid(&identity);
    assert_eq!((identity["Topic"].as_str(), identity["Data"]["Result"].as_str()), (Some("AuthCode"), Some("Success")));
}

#[tokio::test]
async fn a_subscription_to_identify_gets_the_identity_in_force() {
    let (address, _stop, _) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    let mut client = connect(address, None).await;
    send(&mut client, auth_owner(1, "demo", "demo")).await;
    next(&mut client).await;
    send(&mut client, json!({"Controller": "Auth", "Topic": "Identify", "Action": "Sub", "Confirm": true})).await;
    assert_eq!(next(&mut client).await["Action"], "Sub");
    let identity = next(&mut client).await;
    valid(&identity);
    assert_eq!(
        (identity["Data"]["Result"].as_str(), identity["Data"]["UserID"].as_str()),
        (Some("Success"), Some("demo"))
    );
    assert!(identity["Data"].get("AccessToken").is_none(), "no new token: {identity}");
}

#[tokio::test]
async fn query_identify_tells_who_is_signed_in_and_issued_tokens_cannot_be_guessed() {
    let (address, _stop, _) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    let mut client = connect(address, None).await;
    let query = json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 7});
    send(&mut client, query.clone()).await;
    assert_eq!(next(&mut client).await["Data"], "Authority", "not signed in yet");
    send(&mut client, auth_owner(1, "demo", "demo")).await;
    let first = next(&mut client).await["Data"]["AccessToken"].as_str().unwrap().to_owned();
    send(&mut client, query).await;
    let identity = next(&mut client).await;
    valid(&identity);
    assert_eq!((identity["Data"]["UserID"].as_str(), identity["TransactionID"].as_i64()), (Some("demo"), Some(7)));
    send(&mut client, auth_owner(2, "demo", "demo")).await;
    let second = next(&mut client).await["Data"]["AccessToken"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(first.len() >= 32 && !first.ends_with("-0"), "128 random bits, not the seed's: {first}");
}

#[tokio::test]
async fn bson_nested_too_deep_closes_that_connection_and_the_mock_serves_on() {
    let (address, _stop, _) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    // A document holding a document holding ... 10,000 deep: each level is a length, an
    // element of type 3 named "a", and the terminating zero.
    let depth = 10_000;
    let mut document = vec![5u8, 0, 0, 0, 0];
    for _ in 0..depth {
        let mut outer = Vec::with_capacity(document.len() + 8);
        let length = (document.len() + 8) as i32;
        outer.extend(length.to_le_bytes());
        outer.extend([3, b'a', 0]);
        outer.extend(&document);
        outer.push(0);
        document = outer;
    }
    let mut deep = connect(address, Some("ZenithBson")).await;
    deep.send(Message::binary(document)).await.unwrap();
    let frame = loop {
        match tokio::time::timeout(LIMIT, deep.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(frame))) => break frame.expect("a reason"),
            Some(Ok(_)) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert!(frame.reason.contains("nested deeper"), "{}", frame.reason);
    let mut good = connect(address, None).await;
    send(&mut good, auth_owner(1, "demo", "demo")).await;
    assert_eq!(next(&mut good).await["Data"]["Result"], "Success");
}

#[tokio::test]
async fn connections_open_when_the_mock_stops_are_closed_and_summed_up() {
    let (address, stop, mut events) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    let mut client = connect(address, None).await;
    send(&mut client, auth_owner(1, "demo", "demo")).await;
    next(&mut client).await;
    stop.send(()).unwrap();
    let frame = loop {
        match tokio::time::timeout(LIMIT, client.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(frame))) => break frame.expect("a code"),
            Some(Ok(_)) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(frame.code, CloseCode::Away);
    let report = closed(&mut events).await;
    assert_eq!((report.ended.as_str(), report.user.as_deref()), ("the mock stopped", Some("demo")));
}

#[tokio::test]
async fn with_once_a_failed_handshake_does_not_end_the_serving() {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.once = true;
    let (address, _stop, mut events) = start(options).await;
    // A port probe that never speaks websocket.
    let mut probe = TcpStream::connect(address).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut probe, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    drop(probe);
    let mut client = connect(address, None).await;
    send(&mut client, auth_owner(1, "demo", "demo")).await;
    assert_eq!(next(&mut client).await["Data"]["Result"], "Success");
    client.close(None).await.unwrap();
    assert_eq!(closed(&mut events).await.user.as_deref(), Some("demo"));
}

#[tokio::test]
async fn a_rate_too_small_to_time_is_refused_not_a_panic() {
    let mut options = Options::new("127.0.0.1:0".parse().unwrap());
    options.rate = 1e-20;
    assert!(matches!(Mock::bind(options).await.err(), Some(MockError::Rate(_))));
}
