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
