//! The benchmark's websocket clients: sign-in, a Depth subscription counted push by push, and requests answered one at a time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::LIMIT;

pub(crate) type Ws = WebSocketStream<TcpStream>;

/// Symbols the clients subscribe to, in turn.
const SYMBOLS: [&str; 10] = ["BHP", "CBA", "NAB", "WBC", "ANZ", "CSL", "RIO", "WES", "TLS", "WOW"];

/// The Depth topic client `index` subscribes to.
pub(crate) fn depth_topic(index: usize) -> String {
    format!("Depth!{}.ASX", SYMBOLS[index % SYMBOLS.len()])
}

/// A ZenithJson connection to the mock, as a client opens one.
pub(crate) async fn connect(address: SocketAddr) -> Result<Ws, String> {
    let tcp = TcpStream::connect(address).await.map_err(|e| format!("connect {address}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let url = format!("ws://{address}/Zenith?version=2.0");
    let (ws, _) = tokio::time::timeout(LIMIT, tokio_tungstenite::client_async(url.as_str(), tcp))
        .await
        .map_err(|_| "handshake: no answer in time".to_owned())?
        .map_err(|e| format!("handshake: {e}"))?;
    Ok(ws)
}

/// The next text message, as JSON; an error when none comes in time or the connection ends.
async fn next_json(ws: &mut Ws) -> Result<Value, String> {
    let deadline = Instant::now() + LIMIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                return serde_json::from_str(text.as_str()).map_err(|e| format!("not JSON from the mock: {e}"));
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(format!("the connection failed: {e}")),
            Ok(None) => return Err("the mock closed the connection".to_owned()),
            Err(_) => return Err("no message from the mock in time".to_owned()),
        }
    }
}

async fn send(ws: &mut Ws, message: &Value) -> Result<(), String> {
    ws.send(Message::text(message.to_string())).await.map_err(|e| format!("send: {e}"))
}

/// Signs in as the default user with AuthOwner; an error unless the mock says Success.
pub(crate) async fn sign_in(ws: &mut Ws) -> Result<(), String> {
    let auth = json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1,
        "Data": {"Provider": "Zenith", "ClientID": "mock-bench", "UserName": "demo", "Password": "demo"}});
    send(ws, &auth).await?;
    let reply = next_json(ws).await?;
    match reply["Data"]["Result"].as_str() {
        Some("Success") => Ok(()),
        other => Err(format!("sign-in answered {other:?}")),
    }
}

/// Closes a connection and reads what is still on its way (bounded by `limit`).
pub(crate) async fn close(mut ws: Ws, limit: Duration) {
    let _ = tokio::time::timeout(limit, async {
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// What one subscribed client has received so far: pushes (messages after the confirmation)
/// and their bytes.
#[derive(Default)]
pub(crate) struct Counter {
    pub messages: AtomicU64,
    pub bytes: AtomicU64,
}

/// One client: connects, signs in, subscribes to `topic` with Confirm, says it is ready once
/// confirmed, then counts every message until `stop` turns true (or `limit` passes). Returns
/// an error for anything a client of the mock would not expect.
pub(crate) async fn subscriber(
    address: SocketAddr,
    topic: String,
    counter: Arc<Counter>,
    ready: mpsc::UnboundedSender<()>,
    mut stop: watch::Receiver<bool>,
    limit: Duration,
) -> Result<(), String> {
    let mut ws = connect(address).await?;
    sign_in(&mut ws).await?;
    send(&mut ws, &json!({"Controller": "Market", "Topic": topic, "Action": "Sub", "Confirm": true})).await?;
    let confirm = next_json(&mut ws).await?;
    if confirm["Action"] != "Sub" || confirm["Topic"] != topic.as_str() {
        return Err(format!("expected the Sub confirmed, got {confirm}"));
    }
    // The snapshot: a push of the topic subscribed.
    let first = next_json(&mut ws).await?;
    if first["Topic"] != topic.as_str() || !first["Data"].is_array() {
        return Err(format!("expected a Depth snapshot, got {first}"));
    }
    let _ = ready.send(());
    let deadline = tokio::time::Instant::now() + limit;
    let outcome = loop {
        tokio::select! {
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { break Ok(()) },
            () = tokio::time::sleep_until(deadline) => break Err("the phase did not end in time".to_owned()),
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    counter.messages.fetch_add(1, Ordering::Relaxed);
                    counter.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(format!("the connection failed: {e}")),
                None => break Err("the mock closed the connection".to_owned()),
            },
        }
    };
    close(ws, Duration::from_secs(5)).await;
    outcome
}

/// One client sending `warm + count` QueryMarkets requests one at a time, each waiting for the
/// reply under its TransactionID: the round trips of the last `count`, in nanoseconds, and the
/// reply's size.
pub(crate) async fn round_trips(address: SocketAddr, warm: u64, count: u64) -> Result<(Vec<u64>, usize), String> {
    let mut ws = connect(address).await?;
    sign_in(&mut ws).await?;
    let mut times = Vec::with_capacity(count as usize);
    let mut size = 0;
    for n in 0..warm + count {
        let id = n + 2;
        let request = json!({"Controller": "Market", "Topic": "QueryMarkets", "TransactionID": id}).to_string();
        let started = Instant::now();
        ws.send(Message::text(request)).await.map_err(|e| format!("send: {e}"))?;
        loop {
            let message =
                tokio::time::timeout(LIMIT, ws.next()).await.map_err(|_| format!("no reply to {id} in time"))?;
            let Some(Ok(Message::Text(text))) = message else {
                match message {
                    Some(Ok(_)) => continue,
                    _ => return Err(format!("the connection ended before the reply to {id}")),
                }
            };
            let elapsed = started.elapsed().as_nanos() as u64;
            let reply: Value = serde_json::from_str(text.as_str()).map_err(|e| format!("not JSON: {e}"))?;
            if reply["TransactionID"].as_u64() != Some(id) {
                continue;
            }
            if reply.get("Action").is_some() {
                return Err(format!("request {id} answered with {reply}"));
            }
            if n >= warm {
                times.push(elapsed);
            }
            size = text.len();
            break;
        }
    }
    close(ws, Duration::from_secs(5)).await;
    Ok((times, size))
}
