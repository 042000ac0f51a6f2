//! `client-bench`: the typed client against a bare tokio-tungstenite loop that parses each message into a `serde_json::Value`, both talking to an in-process `zenith mock` on loopback: request round trips a second (one at a time), and Depth pushes a second (typed and applied to the book, for the client). See docs/performance.md, "zenith-client".

use std::time::{Duration, Instant};

use capture_bench::fail;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::runtime::Builder;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use zenith_client::{Client, Event, Options};
use zenith_mock::{Mock, Options as MockOptions};
use zenith_protocol::auth::{AuthOwnerRequest, AuthOwnerRequestData};
use zenith_protocol::market::{DepthTopic, QuerySecurityRequest, QuerySecurityRequestData};

/// Round trips per measurement, and how long pushes are counted.
const ROUND_TRIPS: u64 = 5_000;
const WINDOW: Duration = Duration::from_secs(3);
/// Measurements of each, the two sides taking turns.
const ROUNDS: usize = 3;

fn main() {
    // `--one-thread`: everything on one thread (tokio's current-thread runtime), else on
    // tokio's multi-thread runtime, a worker per core.
    let one_thread = std::env::args().any(|a| a == "--one-thread");
    let mut builder = if one_thread { Builder::new_current_thread() } else { Builder::new_multi_thread() };
    let runtime = builder.enable_all().build().unwrap_or_else(|e| fail(format!("no tokio runtime: {e}")));
    runtime.block_on(async {
        let mut options = MockOptions::new(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
        options.rate = 100_000.0;
        let mock = Mock::bind(options).await.unwrap_or_else(|e| fail(e)).spawn();
        let url = mock.url();
        println!("side      round trips/s   pushes/s (missed/s)");
        for _ in 0..ROUNDS {
            let (trips, pushes, missed) = typed(&url).await;
            println!("client    {trips:>13.0}   {pushes:>8.0} ({missed:.0})");
            let (trips, pushes) = bare(&url).await;
            println!("bare      {trips:>13.0}   {pushes:>8.0}");
        }
        mock.stop();
    });
}

/// The typed client: round trips a second, then pushes a second and pushes missed a second.
async fn typed(url: &str) -> (f64, f64, f64) {
    let client = Client::connect(url, Options::default()).await.unwrap_or_else(|e| fail(e));
    let sign_in = AuthOwnerRequestData::builder().provider("Paritech").client_id("demo").user_name("demo");
    let sign_in = sign_in.password("demo").build().unwrap_or_else(|e| fail(e));
    client.sign_in(AuthOwnerRequest::new(sign_in)).await.unwrap_or_else(|e| fail(e));
    let started = Instant::now();
    for _ in 0..ROUND_TRIPS {
        let request = QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"));
        client.request(request).await.unwrap_or_else(|e| fail(e));
    }
    let trips = ROUND_TRIPS as f64 / started.elapsed().as_secs_f64();
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap_or_else(|e| fail(e));
    let (mut pushes, mut missed) = (0u64, 0u64);
    let started = Instant::now();
    while started.elapsed() < WINDOW {
        match tokio::time::timeout(WINDOW, depth.next()).await {
            Ok(Some(Event::Push(_))) => pushes += 1,
            Ok(Some(Event::Lagged { missed: count })) => missed += count,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    client.close();
    (trips, pushes as f64 / seconds, missed as f64 / seconds)
}

/// A bare websocket loop parsing every message into a `Value`: round trips a second, pushes a
/// second.
async fn bare(url: &str) -> (f64, f64) {
    let mut request = url.into_client_request().unwrap_or_else(|e| fail(e));
    request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("ZenithJson"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap_or_else(|e| fail(e));
    let mut ask = async |message: Value, id: i64| {
        socket.send(Frame::text(message.to_string())).await.unwrap_or_else(|e| fail(e));
        while let Some(Ok(frame)) = socket.next().await {
            let Frame::Text(text) = frame else { continue };
            let reply: Value = serde_json::from_str(text.as_str()).unwrap_or_else(|e| fail(e));
            if reply["TransactionID"] == id {
                return;
            }
        }
        fail("the mock went away");
    };
    let data = json!({"Provider": "Paritech", "ClientID": "demo", "UserName": "demo", "Password": "demo"});
    ask(json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 0, "Data": data}), 0).await;
    let started = Instant::now();
    for id in 1..=ROUND_TRIPS as i64 {
        let data = json!({"Market": "ASX", "Code": "BHP"});
        ask(json!({"Controller": "Market", "Topic": "QuerySecurity", "TransactionID": id, "Data": data}), id).await;
    }
    let trips = ROUND_TRIPS as f64 / started.elapsed().as_secs_f64();
    let sub = json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Action": "Sub", "Confirm": true});
    socket.send(Frame::text(sub.to_string())).await.unwrap_or_else(|e| fail(e));
    let mut pushes = 0u64;
    let started = Instant::now();
    while started.elapsed() < WINDOW {
        match tokio::time::timeout(WINDOW, socket.next()).await {
            Ok(Some(Ok(Frame::Text(text)))) => {
                let push: Value = serde_json::from_str(text.as_str()).unwrap_or_else(|e| fail(e));
                pushes += u64::from(push.get("Data").is_some());
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = socket.close(None).await;
    (trips, pushes as f64 / seconds)
}
