//! `zenith`: checks captured Zenith websocket traffic against the protocol's schemas.
//!
//! Exit codes: 0 no errors (warnings allowed unless `--deny-warnings`, alias `--strict`), 1
//! protocol errors found (with `--deny-warnings`, also warnings), 2
//! unreadable input or a usage error, 3 a capture without any websocket message.

mod args;
mod check;
mod exit;
mod explain;
mod export;
mod input;
mod interrupt;
mod mock;
mod parallel;
mod proxy;
mod redact;
mod render;
mod replay;
mod report;
mod sink;

/// Frames are read on one thread and analysed on others, so memory is often freed by a thread
/// other than the one that allocated it; this allocator is made for that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use exit::Exit;

#[derive(Parser)]
#[command(
    name = "zenith",
    version,
    propagate_version = true,
    about = "Tools for the Zenith trading websocket protocol"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check captured traffic (HAR, JSON Lines, pcap or pcapng) against the protocol, message by
    /// message.
    ///
    /// Every websocket message is parsed, matched to its schema by Controller, Topic, Action and
    /// direction, and validated; requests are paired with replies by TransactionID on each
    /// connection. Credentials never appear in the output.
    ///
    /// Inputs: HAR 1.2 files (Chrome DevTools, mitmproxy, Playwright): each websocket entry is a
    /// connection, each `_webSocketMessages` item a message. JSON Lines: each line is a bare
    /// message or a HAR-style item {"type", "time", "opcode", "data"} with an optional "conn".
    /// pcap and pcapng: plain ws:// traffic, TCP reassembled, the upgrade read, frames unmasked,
    /// put together and inflated; connections are named `client -> server`. Binary messages
    /// (ZenithMsgPack, ZenithBson) are decoded and checked as the JSON they stand for.
    ///
    /// Exit codes: 0 no errors (warnings allowed unless --deny-warnings or --strict), 1 protocol
    /// errors (with --deny-warnings or --strict, also warnings), 2 unreadable input or
    /// usage error, 3 a capture without any websocket message.
    Check(check::CheckArgs),
    /// Write a copy of a capture with every credential replaced, and nothing else changed.
    ///
    /// The exact bytes of each credential are replaced; every other byte is written as it was
    /// read. Replaced, in any JSON of the capture (HAR or JSON Lines, any shape, any depth,
    /// JSON embedded in strings too): values of properties named like a credential (Password,
    /// ClientSecret, AuthGrant, AccessToken, their misspellings, anything named like a password,
    /// PIN, one-time code, secret, token, grant or API key): strings become <redacted>, numbers
    /// 0, objects {} and arrays []; the values of headers, cookies and query or form parameters
    /// named like one (Authorization keeps its scheme); in other strings and in property names,
    /// values after a credential name and = or : (URLs, fragments, form bodies, log lines, also
    /// percent-encoded or JSON-escaped), Bearer/Basic credentials and passwords in URLs; and
    /// copies of every credential found, in any string value.
    ///
    /// The capture is read twice (standard input or a named pipe is first copied to a temporary
    /// file). A capture with parts that cannot be redacted with certainty (lines that are not
    /// JSON or UTF-8, binary messages) is refused and nothing is written, unless --force is
    /// given: then those parts are written as found and listed. With -o, OUT is written whole or
    /// not at all: to a temporary file beside it, renamed over it when complete (so OUT may be
    /// IN); interrupted (SIGINT, SIGTERM, SIGHUP), zenith removes the temporary file, leaves OUT
    /// as it was and ends by the signal (the shell shows 130, 143 or 129). Standard output may
    /// not be IN itself (`>> IN`).
    ///
    /// Exit codes: 0 written (or its reader closed the pipe early, as `| head` does), 2 refused,
    /// unreadable input, output that cannot be written (standard output closed or full) or usage
    /// error.
    Redact(redact::RedactArgs),
    /// Write any capture (HAR, JSON Lines, pcap or pcapng) as HAR-style JSON Lines: one
    /// message per line, {"conn", "type", "time", "opcode", "data"}, in capture order.
    ///
    /// Binary (BSON, MessagePack) messages are written as the JSON they decode to, with an
    /// "encoding" key; one that does not decode is written as base64 with its opcode; a frame
    /// that cannot be read is written as an error item with the reason. Connections of packet
    /// captures are named by their endpoints (`client -> server`). Credentials are written as
    /// they are: redact the result before sharing it.
    ///
    /// With -o, OUT is written whole or not at all, as by `redact`: to a temporary file beside
    /// it, renamed over it when complete (so OUT may be IN; a new OUT is readable by its owner
    /// only); interrupted, zenith removes the temporary file, leaves OUT as it was and ends by the
    /// signal. Standard output may not be IN itself (`>> IN`).
    ///
    /// Exit codes: 0 written (or its reader closed the pipe early, as `| head` does), 2
    /// unreadable input, output that cannot be written (standard output closed or full) or usage
    /// error.
    Export(export::ExportArgs),
    /// Print the state of one subscription at a point in a capture, as its client would have
    /// built it.
    ///
    /// The data pushed on the topic is applied in order: change records by the rules of their
    /// schema (keyed records added, updated, removed and cleared; balances set; a list's members
    /// inserted, replaced and removed by position), other data by setting its fields. The table shows the records (an order book by side and price, holdings,
    /// balances, watchlist members, orders) or the fields; `--format json` writes the state as
    /// one JSON object. Credentials are replaced, as everywhere.
    ///
    /// Exit codes: 0 printed, 1 no data for the topic up to that point, 2 unreadable input or
    /// usage error.
    Replay(replay::ReplayArgs),
    /// Show what a topic's messages look like: what the topic is for, the permissions it
    /// needs, its arguments, each message's fields with their types and whether they are
    /// required, its reply topics and an example.
    ///
    /// Name a topic as `Market/Depth`, or `Depth` when one controller has it (arguments, as in
    /// `Depth!BHP.ASX`, are ignored). `-` reads one message from standard input and says which
    /// message it is, whether its schema accepts it, and the topic it belongs to. A misspelt
    /// topic gets a suggestion. Credentials in examples are replaced.
    ///
    /// Exit codes: 0 explained, 2 unknown topic, unreadable message or usage error.
    Explain(explain::ExplainArgs),
    /// Relay a live session to its server (ws:// or wss://) and check it as it happens.
    ///
    /// Clients connect to `ws://LISTEN/...` as they would to the server. Each connection's
    /// upgrade request goes on to the upstream with its Host rewritten (and its path and query,
    /// when the upstream URL has its own); from then on every byte is relayed unchanged both ways
    /// (any subprotocol, compression, fragmentation, pings and closes). A copy of each direction
    /// is read as a packet capture's connection is, and every message is checked as by `check`:
    /// findings are shown as they happen, a request left without a reply past --reply-timeout
    /// at that moment, and each connection's summary as it closes. Credentials never appear in
    /// the output.
    ///
    /// Without --once the proxy runs until SIGINT or SIGTERM, then shows the overall summary.
    ///
    /// Exit codes: 0 no errors (warnings allowed unless --deny-warnings or --strict), 1 protocol
    /// errors (with --deny-warnings or --strict, also warnings), 2 cannot listen, bad TLS
    /// settings or usage error.
    Proxy(proxy::ProxyArgs),
    /// Serve a Zenith server made from the schemas, for client developers and tests.
    ///
    /// Clients connect to `ws://LISTEN/Zenith?version=2.0` (any path) with subprotocol
    /// ZenithJson, ZenithMsgPack or ZenithBson, sign in with AuthOwner, AuthToken or AuthCode,
    /// and get a schema-valid reply to every request under its TransactionID, built from the
    /// schemas' examples with the request's own values put in; a request its schema rejects gets
    /// an `Error` naming the problem. Sub and Unsub are confirmed when asked, and each
    /// subscription gets its full state, then changes at --rate. Without --users, the one
    /// default user: user name `demo`, password `demo`, access token `demo`, any provider and
    /// client id, every scope; it is served on loopback only.
    ///
    /// Every message a client sends is checked as `check` checks a capture: findings are shown
    /// as they happen (the mock is a conformance test of a client), and each connection's
    /// summary as it ends. It runs until SIGINT or SIGTERM, or with --once to the end of one
    /// connection.
    ///
    /// Exit codes: 0 the clients' messages had no errors (warnings allowed unless
    /// --deny-warnings), 1 they had, 2 cannot listen, bad --users or --faults, or usage error.
    Mock(mock::MockArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { Exit::Failed } else { Exit::Clean });
        }
    };
    let exit = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Redact(args) => redact::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Proxy(args) => proxy::run(&args),
        Command::Mock(args) => mock::run(&args),
    };
    ExitCode::from(exit)
}
