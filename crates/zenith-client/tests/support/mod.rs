//! What the scripted-server tests share.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// A server that confirms the first Sub it gets, then sends `pushes`, then waits.
pub async fn scripted(pushes: Vec<&str>) -> String {
    let pushes: Vec<String> = pushes.into_iter().map(str::to_owned).collect();
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
                    socket.send(Frame::text(push.as_str())).await.unwrap();
                }
            }
        }
    });
    format!("ws://{address}/")
}
