//! `zenith mock`: a Zenith server made from the schemas, for client developers and tests.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::json;
use zenith_mock::{ConnectionReport, Event, Faults, Mock, Options, Users};

use crate::exit::Exit;
use crate::render::{safe, warn};
use crate::report::{Report, ReportArgs};

#[derive(clap::Args)]
pub struct MockArgs {
    /// The address clients connect to, as `ws://ADDR/Zenith?version=2.0` (any path); port 0
    /// lets the system pick one (printed on standard error).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4800")]
    listen: SocketAddr,
    /// Users who may sign in (TOML: `[[user]]` tables with `name`, `password`, `client_ids`,
    /// `scopes`, `access_tokens`). Without it, the one default user: user name `demo`, password
    /// `demo`, access token `demo`, any provider and client id, every scope (loopback only).
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Pushes per second on each subscription.
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    rate: f64,
    /// The data served is the same for the same seed.
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed: u64,
    /// Serve one connection, then exit.
    #[arg(long)]
    once: bool,
    /// Connections served at once; more are answered 503.
    #[arg(long, default_value_t = 256, value_name = "N")]
    max_connections: usize,
    /// Longest message a client may send, in bytes; a longer one closes its connection (1009).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    max_message_bytes: usize,
    /// Misbehave on purpose, as a client must survive: comma-separated `name=value` of
    /// `retry=RATE`, `limited=RATE`, `drop=RATE` (requests answered `Retry` or `Limited`, or not
    /// at all), `unsub=RATE` (the server ends a subscription), `close=CODE@AFTER` (such as
    /// `4000@30s`, kicked off), `stall=AFTER@RATE`, `slow=DELAY` (such as `200ms`),
    /// `malformed=RATE` and `invalid=RATE` (messages not JSON, or their schema broken). A RATE is
    /// from 0 to 1; see docs/mock.md.
    #[arg(long, value_name = "SPEC", value_parser = clap::value_parser!(Faults))]
    faults: Option<Faults>,
    /// Answer as the server of a recorded session did (any capture `check` reads): each
    /// connection plays its receive side, the client's requests matched by Controller, Topic
    /// and Action in recorded order, with the client's TransactionIDs put in and the recorded
    /// timing. A message the capture does not hold is answered as the schemas say.
    #[arg(long, value_name = "CAPTURE")]
    replay: Option<PathBuf>,
    /// How much faster than recorded a --replay goes (2: twice as fast), or `max` for no waiting.
    #[arg(long, default_value = "1", value_name = "N", value_parser = speed, requires = "replay")]
    speed: f64,
    #[command(flatten)]
    report: ReportArgs,
}

/// A replay's speed: a number above 0, or `max`.
fn speed(text: &str) -> Result<f64, String> {
    match text {
        "max" => Ok(f64::INFINITY),
        _ => match text.parse::<f64>() {
            Ok(speed) if speed > 0.0 && speed.is_finite() => Ok(speed),
            _ => Err(format!("`{text}` is not a speed: a number above 0, or `max`")),
        },
    }
}

pub fn run(args: &MockArgs) -> Exit {
    match serve(args) {
        Ok(exit) => exit,
        Err(message) => {
            warn(format_args!("mock: {message}"));
            Exit::Failed
        }
    }
}

/// Serves; the exit code says whether the clients' messages had errors (with `--deny-warnings`,
/// warnings), as `check` would say of a capture of them.
fn serve(args: &MockArgs) -> Result<Exit, String> {
    let users = match &args.users {
        Some(path) => Users::read(path).map_err(|e| e.to_string())?,
        None => Users::demo(),
    };
    let options = Options {
        listen: args.listen,
        users,
        users_file: args.users.is_some(),
        rate: args.rate,
        seed: args.seed,
        once: args.once,
        max_connections: args.max_connections,
        max_message_bytes: args.max_message_bytes,
        faults: args.faults.clone().unwrap_or_default(),
        replay: args.replay.clone(),
        speed: args.speed,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async {
        let mock = Mock::bind(options).await.map_err(|e| e.to_string())?;
        let address = mock.local_addr();
        if !address.ip().is_loopback() {
            warn(format_args!("listening on {address}, not loopback: the mock speaks plain ws://, so what clients send, passwords included, crosses the network in clear text"));
        }
        warn(format_args!("a test server, not a Zenith server: listening on ws://{address}/Zenith?version=2.0"));
        let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
        let mut report = Report::new(&args.report);
        report.out.live = true;
        let report = Arc::new(Mutex::new(report));
        let shown = tokio::spawn({
            let report = Arc::clone(&report);
            async move {
                while let Some(event) = received.recv().await {
                    let mut report = report.lock().unwrap_or_else(PoisonError::into_inner);
                    match event {
                        Event::Finding(finding) => report.finding(&finding),
                        Event::Closed(closed) => show(&mut report, &closed),
                    }
                }
            }
        });
        mock.run(crate::proxy::stopped(), events).await;
        let _ = shown.await;
        let mut report = report.lock().unwrap_or_else(PoisonError::into_inner);
        report.out.live = false;
        report.finish(None);
        Ok(if report.failed() { Exit::Findings } else { Exit::Clean })
    })
}

/// One connection's summary: a JSON record on standard output with `--format json`, else a
/// line on standard error.
fn show(report: &mut Report, closed: &ConnectionReport) {
    if report.quiet > 0 {
        return;
    }
    let counts = &closed.counts;
    if report.json {
        let mut requests: Vec<(&String, &u64)> = counts.requests.iter().collect();
        requests.sort();
        let requests: serde_json::Map<String, serde_json::Value> =
            requests.into_iter().map(|(topic, count)| (topic.clone(), json!(count))).collect();
        let record = json!({"connection": {
            "id": closed.id,
            "peer": closed.peer.to_string(),
            "protocol": closed.protocol,
            "user": closed.user,
            "received": counts.received,
            "requests": requests,
            "refused": counts.refused,
            "subscribed": counts.subscribed,
            "pushes": counts.pushes,
            "faults": counts.faults,
            "errors": closed.errors,
            "warnings": closed.warnings,
            "ended": closed.ended,
        }});
        report.out.write(|out| writeln!(out, "{record}"));
        report.out.flush();
        return;
    }
    let answered: u64 = counts.requests.values().sum();
    warn(format_args!(
        "connection {} from {} ({}, {}): {} messages, {answered} requests answered, {} refused, {} subscriptions, {} pushes, {} faults; the client's messages: {} errors, {} warnings; {}",
        closed.id,
        closed.peer,
        closed.protocol,
        closed.user.as_deref().map_or_else(|| "not signed in".to_owned(), |u| format!("user {}", safe(u))),
        counts.received,
        counts.refused,
        counts.subscribed,
        counts.pushes,
        counts.faults,
        closed.errors,
        closed.warnings,
        safe(&closed.ended),
    ));
}
