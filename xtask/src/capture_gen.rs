//! `cargo xtask gen-capture`: writes a capture of N messages for benchmarks (JSON Lines in
//! either line shape, or a HAR document), about 1% of them invalid: Auth-controller sign-ins
//! (requests, replies and pushes), or market data pushes made from the Market schemas' own
//! examples.

use std::io::{self, Write};

use serde_json::Value;

use crate::model::Direction;

/// The two line shapes JSON Lines captures use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The message itself on each line (direction unknown).
    Bare,
    /// A HAR-style item `{"conn","type","time","opcode","data"}`.
    Har,
    /// Not JSON Lines: a HAR 1.2 document with one websocket entry holding every message.
    HarFile,
}

/// A small deterministic generator (so every run writes the same file).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the messages are.
#[derive(Clone, Debug)]
pub enum Mix {
    /// Sign-ins and identity queries, each request with its reply.
    Auth,
    /// Market data pushes: Depth and Levels change records, Trades and Security updates, in
    /// about the proportions a watchlist of symbols gets them, and a trader's traffic beside
    /// them: order actions with their replies, and Orders and Balances pushes. Each is one of
    /// the examples of its schema (given here); market data is spread over several symbols.
    /// Each subscription is subscribed to before its first data, and its change records follow
    /// on from each other (see `Streams`), so the stream is one a client could apply.
    Market {
        depth: Vec<Value>,
        levels: Vec<Value>,
        trades: Vec<Value>,
        security: Vec<Value>,
        orders: Vec<Value>,
        balances: Vec<Value>,
        /// Requests and replies of PlaceOrder, AmendOrder and CancelOrder, by topic.
        order_actions: Vec<(Vec<Value>, Vec<Value>)>,
    },
}

impl Mix {
    /// The market mix, from the examples of the model's Market push schemas.
    pub fn market(model: &crate::model::Model) -> Result<Mix, String> {
        let examples = |controller: &str, topic: &str, direction: Direction| -> Result<Vec<Value>, String> {
            let message = model
                .messages
                .iter()
                .find(|m| {
                    m.controller.as_deref() == Some(controller)
                        && m.topic.as_deref() == Some(topic)
                        && m.action == "Publish"
                        && m.direction == direction
                })
                .ok_or_else(|| format!("no schema for {controller} `{topic}` in {direction:?}"))?;
            Some(message.examples.clone())
                .filter(|e| !e.is_empty())
                .ok_or_else(|| format!("`{}` has no examples", message.name))
        };
        let push = |topic: &str| examples("Market", topic, Direction::Receive);
        let trading = |topic: &str| examples("Trading", topic, Direction::Receive);
        let action = |topic: &str| -> Result<(Vec<Value>, Vec<Value>), String> {
            Ok((examples("Trading", topic, Direction::Send)?, examples("Trading", topic, Direction::Receive)?))
        };
        Ok(Mix::Market {
            depth: push("Depth")?,
            levels: push("Levels")?,
            trades: push("Trades")?,
            security: push("Security")?,
            orders: trading("Orders")?,
            balances: trading("Balances")?,
            order_actions: vec![action("PlaceOrder")?, action("AmendOrder")?, action("CancelOrder")?],
        })
    }
}

/// Symbols the market pushes are spread over.
const SYMBOLS: &[&str] = &["BHP.ASX", "CBA.ASX", "NAB.ASX", "WBC.ASX", "RIO.ASX", "BHP.ASX+CXA", "TLS.ASX", "CSL.ASX"];

/// Writes `count` messages of `mix` in `shape` to `out`.
pub fn write(count: u64, shape: Shape, mix: &Mix, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Lcg(0x5EED);
    let mut written = 0;
    let mut transaction = 0u64;
    let mut time = 1_795_867_200.0_f64;
    if shape == Shape::HarFile {
        write!(
            out,
            r#"{{"log":{{"version":"1.2","creator":{{"name":"cargo xtask gen-capture","version":"1"}},"entries":[{{"_resourceType":"websocket","request":{{"method":"GET","url":"wss://zenith.invalid/"}},"response":{{"status":101}},"_webSocketMessages":["#
        )?;
    }
    let mut streams = Streams::default();
    while written < count {
        transaction += 1;
        let conn = rng.below(8) + 1;
        let messages = match mix {
            Mix::Auth => {
                let (request, reply) = exchange(&mut rng, transaction);
                vec![("send", request), ("receive", reply)]
            }
            Mix::Market { depth, levels, trades, security, orders, balances, order_actions } => match rng.below(100) {
                choice @ 0..=97 => {
                    let message = match choice {
                        0..=39 => market_push(&mut rng, depth),
                        40..=63 => market_push(&mut rng, levels),
                        64..=82 => market_push(&mut rng, trades),
                        83..=94 => market_push(&mut rng, security),
                        95..=96 => pick(&mut rng, orders),
                        _ => pick(&mut rng, balances),
                    };
                    streams.push(&mut rng, message)
                }
                _ => {
                    let (requests, replies) = &order_actions[rng.below(order_actions.len() as u64) as usize];
                    let request = with_transaction(pick(&mut rng, requests), transaction);
                    let reply = with_transaction(pick(&mut rng, replies), transaction);
                    vec![("send", request), ("receive", reply)]
                }
            },
        };
        for (direction, message) in messages {
            if written == count {
                break;
            }
            time += 0.003 + rng.below(50) as f64 / 1000.0;
            let message = match (rng.below(100), mix) {
                (0, Mix::Auth) => corrupt(&mut rng, &message),
                (0, Mix::Market { .. }) => corrupt_market(&mut rng, &message),
                _ => message,
            };
            match shape {
                Shape::Bare => writeln!(out, "{message}")?,
                Shape::Har => {
                    let data = serde_json::to_string(&message).expect("strings serialize");
                    writeln!(
                        out,
                        r#"{{"conn":"{conn}","type":"{direction}","time":{time:.3},"opcode":1,"data":{data}}}"#
                    )?
                }
                Shape::HarFile => {
                    let data = serde_json::to_string(&message).expect("strings serialize");
                    let comma = if written == 0 { "" } else { "," };
                    write!(out, r#"{comma}{{"type":"{direction}","time":{time:.3},"opcode":1,"data":{data}}}"#)?
                }
            }
            written += 1;
        }
    }
    if shape == Shape::HarFile {
        writeln!(out, "]}}]}}}}")?;
    }
    Ok(())
}

/// A request and its reply, chosen with realistic weights.
fn exchange(rng: &mut Lcg, id: u64) -> (String, String) {
    let user = ["Shodan", "Cortana", "Hal", "Glados", "Marvin"][rng.below(5) as usize];
    let token = format!("dG9rZW4t{:016x}", rng.next());
    let identity = match rng.below(10) {
        0 => r#"{"Result":"Reject"}"#.to_owned(),
        _ => format!(
            r#"{{"Result":"Success","AccessToken":"{token}","DisplayName":"{user}","UserID":"{}","ExpiryDate":"20261128T{:02}0000Z","Scope":["Zenith/Market","Zenith/Trading"]}}"#,
            user.to_lowercase(),
            rng.below(24)
        ),
    };
    match rng.below(10) {
        0..=3 => (
            format!(
                r#"{{"Controller":"Auth","Topic":"AuthToken","TransactionID":{id},"Data":{{"Provider":"Bearer","AccessToken":"{token}"}}}}"#
            ),
            format!(r#"{{"Controller":"Auth","Topic":"Identify","TransactionID":{id},"Data":{identity}}}"#),
        ),
        4..=5 => (
            format!(
                r#"{{"Controller":"Auth","Topic":"AuthOwner","TransactionID":{id},"Data":{{"Provider":"Paritech","ClientID":"TriOptimum","UserName":"{user}","Password":"pw-{:08x}","Scope":["Paritech.Zenith"]}}}}"#,
                rng.next()
            ),
            format!(r#"{{"Controller":"Auth","Topic":"Identify","TransactionID":{id},"Data":{identity}}}"#),
        ),
        6 => (
            format!(
                r#"{{"Controller":"Auth","Topic":"AuthCode","TransactionID":{id},"Data":{{"Provider":"Paritech","ClientID":"TriOptimum","AuthGrant":"grant-{:08x}","Scope":["Paritech.Zenith"]}}}}"#,
                rng.next()
            ),
            format!(r#"{{"Controller":"Auth","Topic":"AuthCode","TransactionID":{id},"Data":{identity}}}"#),
        ),
        _ => (
            format!(r#"{{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":{id}}}"#),
            format!(r#"{{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":{id},"Data":{identity}}}"#),
        ),
    }
}

/// One of `examples`.
fn pick(rng: &mut Lcg, examples: &[Value]) -> Value {
    examples[rng.below(examples.len() as u64) as usize].clone()
}

/// The message with `TransactionID` `id`.
fn with_transaction(mut message: Value, id: u64) -> String {
    if let Some(object) = message.as_object_mut() {
        object.insert("TransactionID".to_owned(), Value::from(id));
    }
    message.to_string()
}

/// One of `examples`, on one of [`SYMBOLS`].
fn market_push(rng: &mut Lcg, examples: &[Value]) -> Value {
    let mut message = examples[rng.below(examples.len() as u64) as usize].clone();
    if let Some(Value::String(topic)) = message.get_mut("Topic") {
        let name = topic.split('!').next().unwrap_or_default().to_owned();
        *topic = format!("{name}!{}", SYMBOLS[rng.below(SYMBOLS.len() as u64) as usize]);
    }
    message
}

/// The subscriptions of the capture, so that pushes on each follow on from the last: each is
/// subscribed to before its first data, which starts from a clear; adds get new ids, updates
/// and removes name present ones, and trade ids go up.
#[derive(Default)]
struct Streams {
    /// By full topic: the ids present, and the last id given.
    streams: std::collections::HashMap<String, (Vec<String>, u64)>,
}

impl Streams {
    /// The push, made to follow on from its subscription's earlier ones; a Sub first when it
    /// is the subscription's first.
    fn push(&mut self, rng: &mut Lcg, mut message: Value) -> Vec<(&'static str, String)> {
        let topic = message["Topic"].as_str().unwrap_or_default().to_owned();
        let controller = message["Controller"].as_str().unwrap_or_default().to_owned();
        let mut out = Vec::new();
        let first = !self.streams.contains_key(&topic);
        let (present, last) = self.streams.entry(topic.clone()).or_default();
        if first {
            let sub = serde_json::json!({"Controller": controller, "Topic": topic, "Action": "Sub"});
            out.push(("send", sub.to_string()));
        }
        if let Some(Value::Array(records)) = message.get_mut("Data") {
            let entity = |record: &Value| ["Order", "Level", "Trade"].into_iter().find(|e| record.get(*e).is_some());
            if first {
                let clear = match records.first().and_then(|r| r["O"].as_str()) {
                    Some("I") => None,
                    Some(_) if records.iter().any(|r| r.get("Trade").is_some()) => {
                        Some(serde_json::json!({"O": "I", "ID": 0}))
                    }
                    Some(_) => Some(serde_json::json!({"O": "C"})),
                    None => None,
                };
                records.splice(0..0, clear);
            }
            let mut kept = Vec::new();
            for mut record in records.drain(..) {
                let operation = record["O"].as_str().unwrap_or_default().to_owned();
                let Some(name) = entity(&record) else {
                    if matches!(operation.as_str(), "C" | "I") {
                        present.clear();
                    }
                    kept.push(record);
                    continue;
                };
                let id = match operation.as_str() {
                    "A" => {
                        *last += 1;
                        present.push(last.to_string());
                        last.to_string()
                    }
                    _ if present.is_empty() => continue,
                    "R" => present.swap_remove(rng.below(present.len() as u64) as usize),
                    _ => present[rng.below(present.len() as u64) as usize].clone(),
                };
                record[name]["ID"] =
                    if name == "Trade" { Value::from(id.parse::<u64>().unwrap_or(0)) } else { Value::from(id) };
                kept.push(record);
            }
            if kept.is_empty() {
                kept.push(serde_json::json!({"O": "C"}));
                present.clear();
            }
            *records = kept;
        }
        out.push(("receive", message.to_string()));
        out
    }
}

/// Breaks a market push the way real feeds and clients do: a wrong-cased operation code, the
/// short side code the reference's own samples use, or a misspelled property.
fn corrupt_market(rng: &mut Lcg, message: &str) -> String {
    match rng.below(3) {
        0 => message.replacen(r#""O":""#, r#""O":"x"#, 1),
        1 => message.replacen(r#""Side":"Bid""#, r#""Side":"B""#, 1).replacen(r#""Side":"Ask""#, r#""Side":"A""#, 1),
        _ => message.replacen("\"Price\"", "\"Prise\"", 1).replacen("\"Last\"", "\"Lats\"", 1),
    }
}

/// Breaks a message the way real clients do: a misspelled property, a wrong type or a wrong case.
fn corrupt(rng: &mut Lcg, message: &str) -> String {
    match rng.below(3) {
        0 => message.replacen("\"Provider\"", "\"Provder\"", 1).replacen("\"Result\"", "\"result\"", 1),
        1 => message.replacen(r#""Topic":"#, r#""Topic":7,"Ignored":"#, 1),
        _ => message.replacen("\"Success\"", "\"success\"", 1).replacen("\"Bearer\"", "3", 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_requested_number_of_json_lines() {
        for shape in [Shape::Bare, Shape::Har] {
            let mut out = Vec::new();
            write(1001, shape, &Mix::Auth, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text.lines().count(), 1001);
            for line in text.lines() {
                let _: serde_json::Value = serde_json::from_str(line).unwrap();
            }
        }
    }

    #[test]
    fn writes_a_har_document_with_every_message_in_one_entry() {
        let mut out = Vec::new();
        write(1001, Shape::HarFile, &Mix::Auth, &mut out).unwrap();
        let har: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let messages = har["log"]["entries"][0]["_webSocketMessages"].as_array().unwrap();
        assert_eq!(messages.len(), 1001);
        assert!(messages.iter().all(|m| m["data"].as_str().is_some_and(|d| d.starts_with('{'))));
    }

    #[test]
    fn writes_market_data_from_the_schemas_examples() {
        let schemas = crate::schema::SchemaSet::load(&crate::project_root().join("schemas")).unwrap();
        let mix = Mix::market(&crate::model::Model::build(&schemas).unwrap()).unwrap();
        let mut out = Vec::new();
        write(2000, Shape::Bare, &mix, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let topics: std::collections::BTreeSet<&str> = text
            .lines()
            .map(|line| {
                let message: Value = serde_json::from_str(line).unwrap();
                let topic = message["Topic"].as_str().unwrap().split('!').next().unwrap().to_owned();
                let known = [
                    "Depth",
                    "Levels",
                    "Trades",
                    "Security",
                    "Orders",
                    "Balances",
                    "PlaceOrder",
                    "AmendOrder",
                    "CancelOrder",
                ];
                known.into_iter().find(|t| *t == topic).unwrap()
            })
            .collect();
        assert_eq!(topics.len(), 9, "{topics:?}");
        let market = |line: &&str| line.contains("\"Controller\":\"Market\"");
        assert!(text.lines().filter(market).all(|line| line.contains('!')));
    }
}
