//! `zenith proxy`: a live session relayed to its server and checked as it happens, with what
//! `check` shows (findings, summaries, exit code) as each connection goes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::json;
use zenith_capture::{Limits, close_code_meaning};
use zenith_proxy::{Closed, Options, Proxy, Record, Report as Event, Tls, TlsOptions, Upstream};

use crate::args::seconds;
use crate::exit::Exit;
use crate::render::warn;
use crate::render::{self, safe};
use crate::report::{Report, ReportArgs};

#[derive(clap::Args)]
pub struct ProxyArgs {
    /// The address clients connect to, as `ws://ADDR/...` (any path and query), such as
    /// `127.0.0.1:8080`; port 0 lets the system pick one (printed on standard error).
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The server: `ws://host:port/path` or `wss://host/path?query`. When it has a path or
    /// query of its own, it replaces the client's.
    #[arg(long, value_name = "URL")]
    upstream: String,
    /// Serve one client connection, then print the summary and exit with `check`'s exit codes.
    #[arg(long)]
    once: bool,
    /// Seconds a request may wait for its reply before a `reply-timeout` warning, shown at
    /// that moment; 0 turns it off.
    #[arg(long, default_value_t = zenith_check::DEFAULT_REPLY_TIMEOUT, value_name = "SECONDS", value_parser = seconds)]
    reply_timeout: f64,
    /// Write the session, as it is relayed, to FILE in the JSON Lines form `zenith export`
    /// writes, credentials replaced; `zenith check FILE` gives the same message findings.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Keep credentials in the record as they were sent (with a warning).
    #[arg(long, requires = "record")]
    record_secrets: bool,
    /// Trust the CA certificates in this PEM file too, for a wss:// upstream with a private CA.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Accept any certificate from a wss:// upstream (a self-signed test server), with a warning.
    #[arg(long)]
    insecure: bool,
    /// Connections served at once; more are answered 503.
    #[arg(long, default_value_t = zenith_proxy::DEFAULT_MAX_CONNECTIONS, value_name = "N")]
    max_connections: usize,
    /// Longest websocket message read for checking, in bytes (longer ones are relayed all the
    /// same, and reported unreadable).
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    max_message_bytes: usize,
    #[command(flatten)]
    report: ReportArgs,
}

pub fn run(args: &ProxyArgs) -> Exit {
    match serve(args) {
        Ok(code) => code,
        Err(message) => {
            warn(format_args!("proxy: {message}"));
            Exit::Failed
        }
    }
}

fn serve(args: &ProxyArgs) -> Result<Exit, String> {
    let upstream = Upstream::parse(&args.upstream).map_err(|e| format!("--upstream: {e}"))?;
    let tls = if upstream.secure || args.ca_file.is_some() || args.insecure {
        let options = TlsOptions { ca_file: args.ca_file.clone(), insecure: args.insecure, key_log: true };
        Some(Tls::new(&options).map_err(|e| e.to_string())?)
    } else {
        None
    };
    if tls.is_some() && std::env::var_os("SSLKEYLOGFILE").is_some() {
        warn(format_args!("SSLKEYLOGFILE is set: the upstream leg's TLS session keys are written to that file"));
    }
    if args.insecure {
        warn(format_args!("--insecure: the upstream's certificate is not checked; use it with test servers only"));
    }
    if !args.listen.ip().is_loopback() {
        warn(format_args!(
            "listening on {}, not loopback: what clients send, credentials included, crosses the network in clear text",
            args.listen
        ));
    }
    let record = match &args.record {
        Some(path) => {
            Some(Record::create(path, args.record_secrets).map_err(|e| format!("--record {}: {e}", path.display()))?)
        }
        None => None,
    };
    if args.record_secrets {
        warn(format_args!("--record-secrets: the record holds credentials as they were sent; do not share it"));
    }
    let options = Options {
        upstream,
        tls,
        once: args.once,
        reply_timeout: Some(args.reply_timeout).filter(|s| *s > 0.0),
        limits: Limits { max_line_bytes: args.max_message_bytes },
        record,
        max_connections: args.max_connections,
        handshake_timeout: zenith_proxy::HANDSHAKE_TIMEOUT,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let mut report = Report::new(&args.report);
    report.out.live = true;
    let report = Arc::new(Mutex::new(report));
    let summary = runtime.block_on(async {
        let proxy =
            Proxy::bind(args.listen, options).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let address = proxy.local_addr().map_err(|e| e.to_string())?;
        warn(format_args!("listening on ws://{address}/, relaying to {}", args.upstream_shown()));
        let shown = report.clone();
        let summary = proxy
            .run(stopped(), move |event| show(&mut shown.lock().unwrap_or_else(PoisonError::into_inner), event))
            .await;
        Ok::<_, String>(summary)
    })?;
    let mut report = report.lock().unwrap_or_else(PoisonError::into_inner);
    report.out.live = false;
    report.finish(Some(&summary));
    Ok(if report.failed() { Exit::Findings } else { Exit::Clean })
}

impl ProxyArgs {
    /// The upstream as messages name it: scheme, host and port (the path and query may hold a
    /// credential).
    fn upstream_shown(&self) -> String {
        match Upstream::parse(&self.upstream) {
            Ok(upstream) => format!("{}://{}", if upstream.secure { "wss" } else { "ws" }, upstream.address()),
            Err(_) => "the upstream".to_owned(),
        }
    }
}

/// Completes on SIGINT or SIGTERM.
pub(crate) async fn stopped() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// Shows one thing the proxy tells.
fn show(report: &mut Report, event: Event) {
    match event {
        Event::Finding(finding) => report.finding(&finding),
        Event::Opened { conn } => {
            if report.quiet == 0 && !report.json {
                warn(format_args!("{} connected", safe(&conn)));
            }
        }
        Event::Closed(closed) => {
            if report.quiet == 0 {
                let json = report.json;
                report
                    .out
                    .write(|out| if json { connection_record(out, &closed) } else { connection_line(out, &closed) });
                report.out.flush();
            }
        }
        Event::Notice(message) => warn(format_args!("{message}")),
    }
}

/// A close frame in words: `1000 (normal closure) "bye"`.
fn close_words(close: &zenith_proxy::CloseFrame) -> String {
    let reason = if close.reason.is_empty() { String::new() } else { format!(" {:?}", close.reason) };
    match close.code {
        Some(code) => format!("{code} ({}){reason}", close_code_meaning(code)),
        None => format!("no code{reason}"),
    }
}

fn connection_line(out: &mut dyn std::io::Write, closed: &Closed) -> std::io::Result<()> {
    let s = &closed.summary;
    let closes = [("client", &closed.closes[0]), ("server", &closed.closes[1])]
        .iter()
        .map(|(who, close)| match close {
            Some(close) => format!("{who} closed with {}", close_words(close)),
            None => format!("no close frame from the {who}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let unchecked = closed.unchecked[0] + closed.unchecked[1];
    let unchecked = if unchecked > 0 { format!("; {unchecked} bytes relayed but not checked") } else { String::new() };
    writeln!(
        out,
        "{} closed after {:.1} s ({}): {} messages ({} valid, {} with warnings, {} invalid, {} unreadable), {} requests, {} replies, {} unanswered, {} timed out; {closes}; {} bytes from the client, {} from the server{unchecked}",
        safe(&closed.conn),
        closed.seconds,
        safe(&closed.why),
        s.messages(),
        s.valid,
        s.with_warnings,
        s.invalid,
        s.unreadable,
        s.requests,
        s.replies,
        s.unanswered,
        s.timed_out,
        closed.relayed[0],
        closed.relayed[1],
    )
}

fn connection_record(out: &mut dyn std::io::Write, closed: &Closed) -> std::io::Result<()> {
    let close = |close: &Option<zenith_proxy::CloseFrame>| {
        close.as_ref().map(|c| json!({ "code": c.code, "meaning": c.code.map(close_code_meaning), "reason": c.reason }))
    };
    let record = json!({ "connection": {
        "conn": closed.conn,
        "why": closed.why,
        "seconds": closed.seconds,
        "client_close": close(&closed.closes[0]),
        "server_close": close(&closed.closes[1]),
        "client_bytes": closed.relayed[0],
        "server_bytes": closed.relayed[1],
        "unchecked_bytes": closed.unchecked[0] + closed.unchecked[1],
        "summary": closed.summary,
    }});
    render::json_record(out, &record)
}
