//! Against a scripted server on loopback: a subscription's state kept by the schemas' change
//! rules (a record that does not fit told, never skipped), and a reply on another of the
//! request's reply topics read as its reply.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use zenith_client::{Client, Event, Options};
use zenith_protocol::market::{DepthPush, DepthTopic};

/// A server that confirms the first Sub it gets, then sends `pushes`, then waits.
async fn scripted(pushes: Vec<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        // Agrees to the subprotocol the client asks for, as a Zenith server does.
        let agree = |_: &Request, mut response: Response| {
            response.headers_mut().insert("Sec-WebSocket-Protocol", "ZenithJson".parse().unwrap());
            Ok(response)
        };
        let mut socket = tokio_tungstenite::accept_hdr_async(tcp, agree).await.unwrap();
        while let Some(Ok(frame)) = socket.next().await {
            let Frame::Text(text) = frame else { continue };
            let sub: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
            if let Some(id) = sub["TransactionID"].as_i64() {
                // Every request answered as a sign-in is, on `Identify`.
                let identity = serde_json::json!({"Controller": "Auth", "Topic": "Identify", "TransactionID": id,
                    "Data": {"Result": "Success", "UserID": "u"}});
                socket.send(Frame::text(identity.to_string())).await.unwrap();
            } else if sub["Action"] == "Sub" {
                let confirm = serde_json::json!({"Controller": sub["Controller"], "Topic": sub["Topic"], "Action": "Sub", "Confirm": true});
                socket.send(Frame::text(confirm.to_string())).await.unwrap();
                for push in &pushes {
                    socket.send(Frame::text(*push)).await.unwrap();
                }
            }
        }
    });
    format!("ws://{address}/")
}

#[tokio::test]
async fn a_depth_book_is_kept_and_a_record_that_does_not_fit_is_told() {
    let url = scripted(vec![
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"C"},{"O":"A","Order":{"ID":"1","Side":"Bid","Price":42.0,"Position":1,"Quantity":100}},{"O":"A","Order":{"ID":"2","Side":"Ask","Price":42.1,"Position":1,"Quantity":50}}]}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"U","Order":{"ID":"7","Quantity":5}},{"O":"R","Order":{"ID":"2"}}]}"#,
    ])
    .await;
    let client =
        Client::connect(&url, Options { request_timeout: Duration::from_secs(5), ..Options::default() }).await.unwrap();
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    let Some(Event::Push(snapshot)) = depth.next().await else { panic!("the snapshot") };
    let _: DepthPush = snapshot;
    assert!(matches!(depth.next().await, Some(Event::Push(_))));
    let Some(Event::Inconsistent { reason }) = depth.next().await else { panic!("the update of 7 is told") };
    assert_eq!(reason, "/Data/0: Update of `7`, which is not held");
    let held: Vec<(String, f64)> =
        depth.state().records().map(|(key, order)| (key.to_owned(), order["Price"].as_f64().unwrap())).collect();
    assert_eq!(held, [("1".to_owned(), 42.0)], "the remove after it was applied");
    // A stream joining the live topic holds the same state at once.
    let joined = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    assert_eq!(joined.state().records().count(), 1);
}

#[tokio::test]
async fn a_reply_on_another_reply_topic_reads_as_the_requests_reply() {
    use zenith_protocol::auth::{AuthOwnerRequest, AuthOwnerRequestData};
    let url = scripted(Vec::new()).await;
    let client =
        Client::connect(&url, Options { request_timeout: Duration::from_secs(5), ..Options::default() }).await.unwrap();
    let data =
        AuthOwnerRequestData::builder().provider("P").client_id("C").user_name("u").password("p").build().unwrap();
    let reply = client.request(AuthOwnerRequest::new(data)).await.unwrap();
    assert_eq!(reply.data.user_id.as_deref(), Some("u"));
    assert_eq!(reply.topic.as_str(), "Identify", "kept as it came");
}

/// Everything `tracing` writes while it lives, as text.
struct Log {
    written: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Log {
    fn start() -> Log {
        let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = std::sync::Arc::clone(&written);
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Writer(std::sync::Arc::clone(&shared)))
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        Log { written, _guard: tracing::subscriber::set_default(subscriber) }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.written.lock().unwrap()).into_owned()
    }
}

struct Writer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn what_no_schema_reads_is_told_on_the_stream_and_each_problem_logged_with_its_code() {
    let log = Log::start();
    let url = scripted(vec![
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"C"},{"O":"A","Order":{"ID":"1","Side":"Bid","Price":42.0,"Position":1,"Quantity":100,"Prcie":1}}]}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":"not records"}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"R","Order":{"ID":"9"}}]}"#,
    ])
    .await;
    let client =
        Client::connect(&url, Options { request_timeout: Duration::from_secs(5), ..Options::default() }).await.unwrap();
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    assert!(matches!(depth.next().await, Some(Event::Push(_))));
    let Some(Event::Malformed { reason }) = depth.next().await else { panic!("the unreadable push is told") };
    assert!(reason.contains("/Data"), "{reason}");
    assert!(matches!(depth.next().await, Some(Event::Push(_))));
    assert!(matches!(depth.next().await, Some(Event::Inconsistent { .. })));
    let logged = log.text();
    for expected in [
        r#"code="misspelled-property" path="/Data/1/Order/Prcie" about="DepthPush""#,
        r#"code="wrong-type" path="/Data""#,
        r#"code="change-for-unknown-key" path="" about="Depth!BHP.ASX""#,
    ] {
        assert!(logged.contains(expected), "{expected} in:\n{logged}");
    }
}
