//! `zenith proxy` between a client and the mock: the proxy's findings on the client's messages
//! are the mock's.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use zenith_capture::{Direction, Limits};
use zenith_mock::{Event, Options};
use zenith_proxy::{Proxy, Report, Upstream};

mod kit;
use kit::start;

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_finds_on_the_clients_messages_what_the_mock_finds() {
    let (mock_address, stop_mock, mut mock_seen) = start(Options::new("127.0.0.1:0".parse().unwrap())).await;
    let upstream = format!("ws://{mock_address}/Zenith?version=2.0");
    let options = zenith_proxy::Options {
        upstream: Upstream::parse(&upstream).unwrap(),
        tls: None,
        once: true,
        reply_timeout: None,
        limits: Limits { max_line_bytes: 1 << 20 },
        record: None,
        max_connections: 4,
        handshake_timeout: zenith_proxy::HANDSHAKE_TIMEOUT,
    };
    let proxy = Proxy::bind("127.0.0.1:0".parse().unwrap(), options).await.unwrap();
    let address = proxy.local_addr().unwrap();
    let (proxy_reports, mut proxy_seen) = mpsc::unbounded_channel();
    let proxied = tokio::spawn(proxy.run(std::future::pending::<()>(), move |report| {
        let _ = proxy_reports.send(report);
    }));

    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{address}/Zenith?version=2.0")).await.unwrap();
    let messages = [
        json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1,
               "Data": {"Provider": "Zenith", "ClientID": "c", "UserName": "demo", "Password": "demo", "Usrname": "x"}}),
        json!({"Controller": "Market", "Topic": "QuerySecurity", "TransactionID": 2, "Data": {"Code": "BHP", "Market": 7}}),
        json!({"Controller": "Market", "Topic": "Depth!BHP", "Action": "Sub"}),
        json!({"Controller": "Market", "Topic": "QueryMarkets", "TransactionID": 3}),
    ];
    for message in &messages {
        client.send(Message::text(message.to_string())).await.unwrap();
    }
    // Wait for the last reply, then end.
    loop {
        let frame = tokio::time::timeout(LIMIT, client.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(text) = frame
            && serde_json::from_str::<serde_json::Value>(text.as_str()).unwrap()["TransactionID"] == 3
        {
            break;
        }
    }
    client.close(None).await.unwrap();
    drop(client);

    let mut from_mock = Vec::new();
    while let Event::Finding(finding) = tokio::time::timeout(LIMIT, mock_seen.recv()).await.unwrap().unwrap() {
        from_mock.push((finding.code.clone(), finding.instance_path.clone()));
    }
    tokio::time::timeout(LIMIT, proxied).await.expect("the proxy ends with its one connection").unwrap();
    let mut from_proxy = Vec::new();
    while let Ok(report) = proxy_seen.try_recv() {
        // The messages' findings; the proxy also tells of the connection itself (its close).
        if let Report::Finding(finding) = report
            && finding.direction == Some(Direction::Send)
            && finding.index > 0
        {
            from_proxy.push((finding.code.clone(), finding.instance_path.clone()));
        }
    }
    drop(stop_mock);
    // Numbered apart (each numbers the messages in the order it saw them), found alike.
    assert!(from_mock.len() >= 3, "{from_mock:?}");
    assert_eq!(from_proxy, from_mock);
}
