//! `cargo xtask gen-capture`: writes a capture of N Auth-controller messages for benchmarks (JSON
//! Lines in either line shape, or a HAR document): a realistic mix of requests, replies and
//! pushes, about 1% of them invalid.

use std::io::{self, Write};

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

/// Writes `count` messages in `shape` to `out`.
pub fn write(count: u64, shape: Shape, out: &mut impl Write) -> io::Result<()> {
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
    while written < count {
        transaction += 1;
        let conn = rng.below(8) + 1;
        let (request, reply) = exchange(&mut rng, transaction);
        for (direction, message) in [("send", request), ("receive", reply)] {
            if written == count {
                break;
            }
            time += 0.003 + rng.below(50) as f64 / 1000.0;
            let message = if rng.below(100) == 0 { corrupt(&mut rng, &message) } else { message };
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
            write(1001, shape, &mut out).unwrap();
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
        write(1001, Shape::HarFile, &mut out).unwrap();
        let har: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let messages = har["log"]["entries"][0]["_webSocketMessages"].as_array().unwrap();
        assert_eq!(messages.len(), 1001);
        assert!(messages.iter().all(|m| m["data"].as_str().is_some_and(|d| d.starts_with('{'))));
    }
}
