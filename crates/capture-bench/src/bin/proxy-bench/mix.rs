//! The peers: the "market mix" taken from the market sample, and the websocket server and
//! client the benchmark measures with.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use capture_bench::fail;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use crate::LIMIT;

pub(crate) type Ws = WebSocketStream<TcpStream>;

/// The "market mix", taken from the market sample: the session's opening (subscriptions,
/// their confirmations and snapshots), a cycle of pushes, and requests with the replies a
/// server gives them.
pub(crate) struct Mix {
    /// The opening: each subscription request, and what the server sends after it.
    pub opening: Vec<(String, Vec<String>)>,
    /// Pushes, cycled; a trade's ID is filled in from a counter, so that trades stay new.
    pub cycle: Vec<Push>,
    /// The last message the client sends (an unsubscription).
    pub last: Option<String>,
    /// Per request kind: the reply's text before the TransactionID, and after it.
    pub replies: Vec<(String, String)>,
    /// Per request kind: the request's topic.
    pub topics: Vec<String>,
}

pub(crate) enum Push {
    Fixed(String),
    /// A trade: the text before its ID and after it.
    Trade(String, String),
}

impl Mix {
    pub fn read(path: &std::path::Path) -> Mix {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
        let items: Vec<(bool, String)> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let item: serde_json::Value =
                    serde_json::from_str(line).unwrap_or_else(|e| fail(format!("sample: {e}")));
                let data = item["data"].as_str().unwrap_or_else(|| fail("sample: an item without text data"));
                (item["type"] == "send", data.to_owned())
            })
            .collect();
        let mut opening: Vec<(String, Vec<String>)> = Vec::new();
        let mut cycle = Vec::new();
        let mut last = None;
        let mut snapshots: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for (send, data) in &items {
            let value: serde_json::Value = serde_json::from_str(data).unwrap_or_else(|e| fail(format!("sample: {e}")));
            let topic = value["Topic"].as_str().unwrap_or("").split('!').next().unwrap_or("").to_owned();
            let is_push = !send && value.get("Data").is_some();
            if *send {
                if cycle.is_empty() {
                    opening.push((data.clone(), Vec::new()));
                } else {
                    last = Some(data.clone());
                }
                continue;
            }
            let snapshot = is_push && !snapshots.contains_key(&topic);
            // A trades push that adds trades is the snapshot a trades query answers with.
            if is_push && (snapshot || (topic == "Trades" && data.contains("\"O\":\"A\""))) {
                snapshots.insert(topic.clone(), value["Data"].clone());
            }
            if cycle.is_empty() && snapshot && topic != "Trades" {
                opening.last_mut().unwrap_or_else(|| fail("sample: a push before any request")).1.push(data.clone());
            } else if cycle.is_empty() && !is_push {
                opening.last_mut().unwrap_or_else(|| fail("sample: a reply before any request")).1.push(data.clone());
            } else {
                cycle.push(data.clone());
            }
        }
        // The sample updates one order (ID 7) it never added, deliberately: left out, so that
        // the session checked is a clean one. The cycle starts with the depth and levels
        // snapshots (they clear the book) and the trades' initial state.
        let mut pushes: Vec<String> = opening.iter().flat_map(|(_, after)| after.iter().skip(1)).cloned().collect();
        pushes.retain(|p| p.contains("Depth!") || p.contains("Levels!"));
        pushes.extend(cycle.into_iter().filter(|p| !p.contains(r#""ID":"7","Quantity""#)));
        let cycle = pushes
            .into_iter()
            .map(|p| match p.split_once(r#""Trade":{"ID":"#) {
                Some((head, rest)) => {
                    let tail = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                    Push::Trade(format!(r#"{head}"Trade":{{"ID":"#), tail.to_owned())
                }
                None => Push::Fixed(p),
            })
            .collect::<Vec<_>>();
        if cycle.is_empty() || opening.is_empty() {
            fail("sample: no pushes or no subscriptions");
        }
        let queries = [
            ("Security", "QuerySecurity"),
            ("Depth", "QueryDepthFull"),
            ("Levels", "QueryDepthLevels"),
            ("Trades", "QueryTrades"),
        ];
        let mut replies = Vec::new();
        let mut topics = Vec::new();
        for (push, query) in queries {
            let Some(data) = snapshots.get(push) else { continue };
            replies.push((
                format!(r#"{{"Controller":"Market","Topic":"{query}","TransactionID":"#),
                format!(r#","Data":{data}}}"#),
            ));
            topics.push(query.to_owned());
        }
        if replies.is_empty() {
            fail("sample: no snapshot to answer queries with");
        }
        Mix { opening, cycle, last, replies, topics }
    }

    pub fn push(&self, n: u64) -> String {
        match &self.cycle[(n % self.cycle.len() as u64) as usize] {
            Push::Fixed(text) => text.clone(),
            Push::Trade(head, tail) => format!("{head}{}{tail}", 100_000 + n),
        }
    }

    pub fn request(&self, id: u64) -> String {
        let topic = &self.topics[(id % self.topics.len() as u64) as usize];
        format!(
            r#"{{"Controller":"Market","Topic":"{topic}","TransactionID":{id},"Data":{{"Market":"ASX","Code":"BHP"}}}}"#
        )
    }

    pub fn reply(&self, id: u64) -> String {
        let (head, tail) = &self.replies[(id % self.replies.len() as u64) as usize];
        format!("{head}{id}{tail}")
    }
}

/// The TransactionID in a message's text.
pub(crate) fn transaction(text: &str) -> Option<u64> {
    let (_, rest) = text.split_once("\"TransactionID\":")?;
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..digits].parse().ok()
}

/// The websocket server: what it does on a connection follows the path asked for.
pub(crate) async fn server(listener: TcpListener, mix: Arc<Mix>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        let mix = mix.clone();
        tokio::spawn(async move {
            let mut path = String::new();
            let callback = |request: &Request, response: Response| {
                path = request.uri().path().to_owned();
                Ok(response)
            };
            let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else { return };
            let mut parts = path.trim_start_matches('/').split('/');
            let mode = parts.next().unwrap_or("").to_owned();
            let number = parts.next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
            let _ = match mode.as_str() {
                "reply" => answer(ws, &mix).await,
                "push" => push(ws, &mix, number, None).await,
                "busy" => push(ws, &mix, u64::MAX, Some(number)).await,
                "paced" => {
                    let count = parts.next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
                    push(ws, &mix, count, Some(number)).await
                }
                _ => idle(ws).await,
            };
        });
    }
}

pub(crate) type Served = Result<(), tokio_tungstenite::tungstenite::Error>;

/// Answers every request at once with the reply of its kind.
async fn answer(mut ws: Ws, mix: &Mix) -> Served {
    while let Some(message) = ws.next().await {
        if let Message::Text(text) = message?
            && let Some(id) = transaction(text.as_str())
        {
            ws.send(Message::text(mix.reply(id))).await?;
        }
    }
    Ok(())
}

/// Plays the opening as the client subscribes, then pushes `count` messages as fast as it
/// can, or `rate` a second until the client closes.
async fn push(ws: Ws, mix: &Mix, count: u64, rate: Option<u64>) -> Served {
    let (mut sink, mut stream) = ws.split();
    for (_, after) in &mix.opening {
        match stream.next().await {
            Some(Ok(Message::Text(_))) => {}
            _ => return Ok(()),
        }
        for text in after {
            sink.feed(Message::text(text.clone())).await?;
        }
        sink.flush().await?;
    }
    // The client's unsubscription and close end the stream: read on its own.
    let reading = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    let mut n = 0;
    match rate {
        None => {
            while n < count {
                sink.feed(Message::text(mix.push(n))).await?;
                n += 1;
                if n % 64 == 0 {
                    sink.flush().await?;
                }
            }
            sink.flush().await?;
        }
        Some(rate) => {
            // Ticks of 1 to 10 ms, each sending what is due by then.
            let period = Duration::from_secs_f64((1.0 / rate.max(1) as f64).clamp(0.001, 0.01));
            let mut tick = tokio::time::interval(period);
            let start = Instant::now();
            while n < count && !reading.is_finished() {
                tick.tick().await;
                let due = ((start.elapsed().as_secs_f64() * rate as f64) as u64 + 1).min(count);
                while n < due {
                    sink.feed(Message::text(mix.push(n))).await?;
                    n += 1;
                }
                sink.flush().await?;
            }
        }
    }
    let _ = reading.await;
    Ok(())
}

/// Holds the connection open, answering pings and the close.
async fn idle(mut ws: Ws) -> Served {
    while let Some(message) = ws.next().await {
        message?;
    }
    Ok(())
}

pub(crate) async fn connect(address: SocketAddr, path: &str) -> Ws {
    let tcp = TcpStream::connect(address).await.unwrap_or_else(|e| fail(format!("connect {address}: {e}")));
    let _ = tcp.set_nodelay(true);
    let url = format!("ws://{address}{path}");
    let (ws, _) = tokio::time::timeout(LIMIT, tokio_tungstenite::client_async(url.as_str(), tcp))
        .await
        .unwrap_or_else(|_| fail("handshake: no answer in time"))
        .unwrap_or_else(|e| fail(format!("handshake: {e}")));
    ws
}

/// Closes a client connection and reads it to its end.
pub(crate) async fn close(mut ws: Ws) {
    let _ = ws.close(None).await;
    let _ = tokio::time::timeout(LIMIT, async { while let Some(Ok(_)) = ws.next().await {} }).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Mix {
        Mix::read(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/captures/market-session.jsonl"),
        )
    }

    /// `zenith check`'s verdict on a session, as (sent, text) in order.
    fn check(session: &[(bool, String)]) -> zenith_check::Summary {
        let mut jsonl = String::new();
        for (n, (send, text)) in session.iter().enumerate() {
            let item = serde_json::json!({
                "conn": "1",
                "type": if *send { "send" } else { "receive" },
                "time": 1_773_964_920.0 + n as f64 * 0.0001,
                "opcode": 1,
                "data": text,
            });
            jsonl.push_str(&format!("{item}\n"));
        }
        let mut checker = zenith_check::Checker::new("mix");
        let mut findings = Vec::new();
        zenith_capture::read(
            zenith_capture::Format::Jsonl,
            jsonl.as_bytes(),
            zenith_capture::Limits::default(),
            &mut |event| checker.event(event, &mut |f| findings.push(f)),
        )
        .expect("readable");
        let summary = checker.finish(&mut |f| findings.push(f));
        let codes: Vec<_> = findings.iter().map(|f| f.code.clone()).collect();
        assert_eq!(summary.invalid + summary.with_warnings, 0, "{codes:?}");
        summary
    }

    #[test]
    fn a_transaction_id_is_read_from_the_text() {
        assert_eq!(transaction(r#"{"Topic":"QueryTrades","TransactionID":42,"Data":{}}"#), Some(42));
        assert_eq!(transaction(r#"{"Topic":"QueryTrades","TransactionID":7}"#), Some(7));
        assert_eq!(transaction(r#"{"Topic":"Depth!BHP.ASX"}"#), None);
        assert_eq!(transaction(r#"{"TransactionID":"x"}"#), None);
    }

    #[test]
    fn the_pushes_of_the_mix_cycled_are_all_valid() {
        let mix = sample();
        assert_eq!(mix.opening.len(), 4);
        assert_eq!(mix.cycle.len(), 10);
        // Trades are renumbered: the same place in two cycles gives two trades.
        let trade = (0..10).find(|n| matches!(mix.cycle[*n as usize], Push::Trade(..))).expect("a trade");
        assert_ne!(mix.push(trade), mix.push(trade + 10));
        let mut session = Vec::new();
        for (request, after) in &mix.opening {
            session.push((true, request.clone()));
            session.extend(after.iter().map(|text| (false, text.clone())));
        }
        session.extend((0..35).map(|n| (false, mix.push(n))));
        session.extend(mix.last.iter().map(|text| (true, text.clone())));
        let summary = check(&session);
        assert_eq!(summary.messages(), session.len() as u64);
    }

    #[test]
    fn every_request_of_the_mix_gets_a_valid_reply_with_its_transaction_id() {
        let mix = sample();
        assert_eq!(mix.topics, ["QuerySecurity", "QueryDepthFull", "QueryDepthLevels", "QueryTrades"]);
        let mut session = Vec::new();
        for id in 1..=8 {
            let reply = mix.reply(id);
            assert_eq!(transaction(&reply), Some(id));
            session.push((true, mix.request(id)));
            session.push((false, reply));
        }
        let summary = check(&session);
        assert_eq!((summary.requests, summary.replies, summary.unanswered), (8, 8, 0));
    }
}
