//! Follows one symbol's order book through `Depth` pushes and prints it: Market controller only.

use std::process::ExitCode;

use downstream::book::Book;
use downstream::{capture, recorded};
use zenith_protocol::market::DepthTopic;
use zenith_protocol::prelude::*;

/// The largest capture file read, in bytes.
const MAX_CAPTURE_BYTES: u64 = 64 * 1024 * 1024;

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("book: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The lines to print for `book [CAPTURE.jsonl] [CODE.MARKET]`, or why there are none: the
/// messages received in a websocket capture, or the built-in recording without one, for
/// `BHP.ASX` unless another symbol is named.
fn run(args: Vec<String>) -> Result<Vec<String>, String> {
    let (path, symbol) = match args.as_slice() {
        [] => (None, "BHP.ASX"),
        [path] => (Some(path.as_str()), "BHP.ASX"),
        [path, symbol] => (Some(path.as_str()), symbol.as_str()),
        _ => return Err("usage: book [CAPTURE.jsonl] [CODE.MARKET]".to_owned()),
    };
    let topic: DepthTopic =
        format!("Depth!{symbol}").parse().map_err(|e| format!("`{symbol}` is not CODE.MARKET: {e}"))?;
    let received = match path {
        None => recorded::MARKET.iter().map(|line| (*line).to_owned()).collect(),
        Some(path) => capture::received(&read_capture(path)?).map_err(|e| format!("{path}: {e}"))?,
    };

    let sub = SubRequest::for_topic(topic.clone()).confirm(true);
    let sub = serde_json::to_string(&sub).map_err(|e| format!("cannot write the Sub: {e}"))?;
    let mut lines = vec![format!("-> {sub}")];
    let mut book = Book::default();
    let mut other = 0usize;
    for text in &received {
        match Message::parse_str(text, Direction::Receive) {
            Ok(Message::SubConfirm(confirm)) if confirm.topic.as_str() == topic.to_string() => {
                let state = if confirm.confirm == Some(true) { "confirmed" } else { "refused" };
                lines.push(format!("<- {} {state}", confirm.topic.as_str()));
            }
            Ok(Message::DepthPush(push)) if push.typed_topic().is_ok_and(|t| t == topic) => {
                for problem in book.apply_push(&push) {
                    lines.push(format!("!! {problem}"));
                }
                let count = push.data.len();
                let noun = if count == 1 { "change" } else { "changes" };
                lines.push(format!("<- {count} {noun}, {} orders in the book", book.len()));
            }
            Ok(message) => {
                other += 1;
                let topic = message.topic().map_or("", |t| t.as_str());
                lines.push(format!("<- {} {topic} skipped", message.kind().info().name));
            }
            Err(error) => lines.push(format!("!! unreadable message: {error}")),
        }
    }
    lines.push(format!("{} messages, {other} not for this book; {topic}:", received.len()));
    lines.extend(book.render());
    Ok(lines)
}

/// The capture file's text, refusing files too large to be a capture.
fn read_capture(path: &str) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("{path}: {e}"))?.len();
    if size > MAX_CAPTURE_BYTES {
        return Err(format!("{path}: {size} bytes is more than a capture this tool reads"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}
