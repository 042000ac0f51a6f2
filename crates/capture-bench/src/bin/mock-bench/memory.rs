//! The memory of `zenith mock` run as a process of its own: its RSS from /proc at each step, with idle, subscribed, greedy, deaf and oversized clients.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::LIMIT;
use crate::clients::{self, Ws};

/// Clients signed in, then subscribed, in steps (b) and (c).
const CONNECTIONS: usize = 100;
/// How long pushes flow to the 100 (the greedy and deaf clients' time is given).
const FLOWING: Duration = Duration::from_secs(5);
/// The greedy client's subscriptions (the mock's bound), and the deaf client's.
const GREEDY_SUBSCRIPTIONS: usize = 256;
const DEAF_SUBSCRIPTIONS: usize = 50;
/// The frame the last client sends, far past the mock's 1 MiB.
const HUGE: usize = 64 << 20;
/// How often the RSS is sampled while a step runs.
const SAMPLE: Duration = Duration::from_millis(100);

/// A process's resident memory, in KiB: now (`VmRSS`) and at its most (`VmHWM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Status {
    pub rss: u64,
    pub hwm: u64,
}

/// The `VmRSS` and `VmHWM` lines of a /proc/PID/status text; `None` when either is missing.
pub(crate) fn parse_status(text: &str) -> Option<Status> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    Some(Status { rss: field("VmRSS")?, hwm: field("VmHWM")? })
}

/// Bytes queued on a loopback TCP socket, from a /proc/net/tcp text: (waiting to be sent,
/// received and not read) on the socket from port `local` to port `remote`.
pub(crate) fn queued(table: &str, local: u16, remote: u16) -> Option<(u64, u64)> {
    let (local, remote) = (format!(":{local:04X}"), format!(":{remote:04X}"));
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 5 || !fields[1].ends_with(&local) || !fields[2].ends_with(&remote) {
            return None;
        }
        let (tx, rx) = fields[4].split_once(':')?;
        Some((u64::from_str_radix(tx, 16).ok()?, u64::from_str_radix(rx, 16).ok()?))
    })
}

/// `zenith mock` as a child process, killed when this is dropped (a panic included).
struct MockProcess {
    child: Child,
    address: SocketAddr,
    /// What it printed on standard error (its connections' summaries among it).
    lines: Arc<Mutex<Vec<String>>>,
}

impl MockProcess {
    fn start(zenith: &Path) -> Result<MockProcess, String> {
        let mut child = Command::new(zenith)
            .args(["mock", "--listen", "127.0.0.1:0", "--rate", "100", "--max-connections", "512"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!("starting {}: {e} (build it: cargo build --release -p zenith-cli)", zenith.display())
            })?;
        let stderr = child.stderr.take();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (told, listening) = std::sync::mpsc::channel();
        if let Some(stderr) = stderr {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                    let _ = told.send(line.clone());
                    let mut lines = lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if lines.len() < 10_000 {
                        lines.push(line);
                    }
                }
            });
        }
        // From here on the child is killed whatever happens.
        let mut process = MockProcess { child, address: SocketAddr::from(([127, 0, 0, 1], 0)), lines };
        let deadline = Instant::now() + LIMIT;
        process.address = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line =
                listening.recv_timeout(left).map_err(|_| "the mock said no `listening on` in time".to_owned())?;
            if let Some(rest) = line.split("listening on ws://").nth(1) {
                break rest
                    .split('/')
                    .next()
                    .and_then(|a| a.parse().ok())
                    .ok_or_else(|| format!("no address in {line:?}"))?;
            }
        };
        Ok(process)
    }

    fn status(&self) -> Result<Status, String> {
        let path = format!("/proc/{}/status", self.child.id());
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        parse_status(&text).ok_or_else(|| format!("no VmRSS/VmHWM in {path}"))
    }

    /// The highest RSS sampled in each second of `seconds`, and the status at their end.
    fn sample(&self, seconds: Duration) -> Result<(Vec<u64>, Status), String> {
        let mut series = Vec::new();
        for _ in 0..seconds.as_secs() {
            let started = Instant::now();
            let mut most = 0;
            while started.elapsed() < Duration::from_secs(1) {
                most = most.max(self.status()?.rss);
                std::thread::sleep(SAMPLE);
            }
            series.push(most);
        }
        Ok((series, self.status()?))
    }

    /// Waits (bounded) for a summary line holding `needle` and returns it.
    fn line(&self, needle: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(line) = lines.iter().find(|l| l.contains(needle)) {
                return Some(line.clone());
            }
            drop(lines);
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn send(ws: &mut Ws, message: &Value) -> Result<(), String> {
    ws.send(Message::text(message.to_string())).await.map_err(|e| format!("send: {e}"))
}

/// A client signed in.
async fn signed_in(address: SocketAddr) -> Result<Ws, String> {
    let mut ws = clients::connect(address).await?;
    clients::sign_in(&mut ws).await?;
    Ok(ws)
}

/// Reads (bounded) until a text message for which `wanted` is true; counts the others.
async fn read_until(ws: &mut Ws, mut wanted: impl FnMut(&Value) -> bool) -> Result<Value, String> {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: Value = serde_json::from_str(text.as_str()).map_err(|e| format!("not JSON: {e}"))?;
                if wanted(&message) {
                    return Ok(message);
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return Err(format!("the connection failed: {e}")),
            Ok(None) => return Err("the mock closed the connection".to_owned()),
            Err(_) => return Err("not answered in time".to_owned()),
        }
    }
}

fn sub(topic: &str) -> Value {
    json!({"Controller": "Market", "Topic": topic, "Action": "Sub", "Confirm": true})
}

/// One connection that subscribes, reads a few pushes and goes: what the first connection
/// costs once (code and tables touched for the first time) is then out of the figures.
async fn warm_up(address: SocketAddr) -> Result<(), String> {
    let mut ws = signed_in(address).await?;
    send(&mut ws, &sub("Depth!BHP.ASX")).await?;
    let mut pushes = 0;
    read_until(&mut ws, |m| {
        pushes += usize::from(m["Topic"] == "Depth!BHP.ASX" && m.get("Action").is_none());
        pushes >= 20
    })
    .await?;
    clients::close(ws, Duration::from_secs(5)).await;
    Ok(())
}

/// Reads every message until `stop`; the number of text messages read.
async fn reader(mut ws: Ws, mut stop: watch::Receiver<bool>, limit: Duration) -> Result<(Ws, u64), String> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut read = 0;
    loop {
        tokio::select! {
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return Ok((ws, read)) },
            () = tokio::time::sleep_until(deadline) => return Err("the step did not end in time".to_owned()),
            message = ws.next() => match message {
                Some(Ok(Message::Text(_))) => read += 1,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("the connection failed: {e}")),
                None => return Err("the mock closed the connection".to_owned()),
            },
        }
    }
}

/// A fresh mock, warmed up by one connection, and its RSS then.
fn fresh(zenith: &Path, runtime: &Runtime) -> Result<(MockProcess, Status), String> {
    let mock = MockProcess::start(zenith)?;
    runtime.block_on(warm_up(mock.address))?;
    std::thread::sleep(Duration::from_millis(500));
    let base = mock.status()?;
    Ok((mock, base))
}

fn kib(n: u64) -> String {
    let text = n.to_string();
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The most RSS of each second, for a person.
fn seconds(series: &[u64]) -> String {
    let each: Vec<String> = series.iter().map(|&s| kib(s)).collect();
    format!("at most, second by second: {}", each.join(" "))
}

/// Steps (a) to (c): a mock started, 100 clients signed in, then subscribed with pushes flowing.
fn connections(zenith: &Path, runtime: &Runtime) -> Result<u64, String> {
    let mock = MockProcess::start(zenith)?;
    std::thread::sleep(Duration::from_millis(500));
    let started = mock.status()?;
    println!("(a) started (pid {}, {}), no connections: RSS {} KiB", mock.child.id(), mock.address, kib(started.rss));
    runtime.block_on(warm_up(mock.address))?;
    std::thread::sleep(Duration::from_millis(500));
    let warm = mock.status()?;
    println!("    after one connection came and went (warm-up): RSS {} KiB", kib(warm.rss));
    let mut idle = runtime.block_on(async {
        let mut all = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            all.push(signed_in(mock.address).await?);
        }
        Ok::<_, String>(all)
    })?;
    std::thread::sleep(Duration::from_secs(1));
    let signed = mock.status()?;
    let per_idle = (signed.rss.saturating_sub(warm.rss)) as f64 / CONNECTIONS as f64;
    println!(
        "(b) {CONNECTIONS} connections signed in, idle: RSS {} KiB: {per_idle:.1} KiB a connection",
        kib(signed.rss)
    );
    runtime.block_on(async {
        for (i, ws) in idle.iter_mut().enumerate() {
            let topic = clients::depth_topic(i);
            send(ws, &sub(&topic)).await?;
            read_until(ws, |m| m["Topic"] == topic.as_str() && m.get("Action").is_none()).await?;
        }
        Ok::<_, String>(())
    })?;
    let (stop, stopped) = watch::channel(false);
    let readers: Vec<_> =
        idle.into_iter().map(|ws| runtime.spawn(reader(ws, stopped.clone(), FLOWING + LIMIT))).collect();
    let (series, flowing) = mock.sample(FLOWING)?;
    let _ = stop.send(true);
    let mut pushes = 0;
    let mut done = Vec::with_capacity(CONNECTIONS);
    for task in readers {
        let (ws, read) = runtime
            .block_on(async { tokio::time::timeout(LIMIT, task).await })
            .map_err(|_| "a reader did not stop in time".to_owned())?
            .map_err(|e| format!("a reader: {e}"))??;
        pushes += read;
        done.push(ws);
    }
    let per_subscribed = (flowing.rss.saturating_sub(warm.rss)) as f64 / CONNECTIONS as f64;
    println!(
        "(c) the {CONNECTIONS} each subscribed to one Depth topic, {:.0} pushes/s read for {} s: RSS {} KiB ({}): \
{per_subscribed:.1} KiB a subscribed connection",
        pushes as f64 / FLOWING.as_secs_f64(),
        FLOWING.as_secs(),
        kib(flowing.rss),
        seconds(&series),
    );
    runtime.block_on(async {
        for ws in done {
            clients::close(ws, Duration::from_secs(2)).await;
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    let closed = mock.status()?;
    println!(
        "    the {CONNECTIONS} closed: RSS {} KiB; this mock's peak (VmHWM) {} KiB",
        kib(closed.rss),
        kib(closed.hwm)
    );
    Ok(closed.hwm.max(series.iter().copied().max().unwrap_or(0)))
}

/// Step (d): one client holding the most subscriptions the mock allows, reading all they push.
fn greedy(zenith: &Path, runtime: &Runtime, hold: Duration) -> Result<u64, String> {
    let (mock, base) = fresh(zenith, runtime)?;
    let address = mock.address;
    let ws = runtime.block_on(async {
        let mut ws = signed_in(address).await?;
        for i in 0..GREEDY_SUBSCRIPTIONS {
            send(&mut ws, &sub(&format!("Depth!S{i}.ASX"))).await?;
        }
        let mut confirmed = 0;
        read_until(&mut ws, |m| {
            confirmed += usize::from(m["Action"] == "Sub");
            confirmed == GREEDY_SUBSCRIPTIONS
        })
        .await?;
        // One more than the bound: refused.
        send(&mut ws, &sub("Depth!OVER.ASX")).await?;
        let refused = read_until(&mut ws, |m| m["Topic"] == "Depth!OVER.ASX").await?;
        if refused["Action"] != "Error" || refused["Data"] != "Limited" {
            return Err(format!("subscription {} answered {refused}", GREEDY_SUBSCRIPTIONS + 1));
        }
        Ok(ws)
    })?;
    let (stop, stopped) = watch::channel(false);
    let task = runtime.spawn(reader(ws, stopped, hold + LIMIT));
    let (series, end) = mock.sample(hold)?;
    let most = series.iter().copied().max().unwrap_or(0).max(end.rss);
    let _ = stop.send(true);
    let (ws, read) = runtime
        .block_on(async { tokio::time::timeout(LIMIT, task).await })
        .map_err(|_| "the greedy client did not stop in time".to_owned())?
        .map_err(|e| format!("the greedy client: {e}"))??;
    runtime.block_on(clients::close(ws, Duration::from_secs(2)));
    std::thread::sleep(Duration::from_secs(1));
    let closed = mock.status()?;
    println!(
        "(d) a fresh mock, warmed up: RSS {} KiB; one client with {GREEDY_SUBSCRIPTIONS} Depth subscriptions (the 257th refused \
`Limited`), {:.0} pushes/s read for {} s: RSS {} KiB ({}): the client costs {} KiB; after it closed {} KiB; peak {} KiB",
        kib(base.rss),
        read as f64 / hold.as_secs_f64(),
        hold.as_secs(),
        kib(end.rss),
        seconds(&series),
        kib(most.saturating_sub(base.rss)),
        kib(closed.rss),
        kib(closed.hwm),
    );
    Ok(closed.hwm.max(most))
}

/// One client answered request after request until `stop`: how many, and the slowest (ms).
async fn answered(address: SocketAddr, mut stop: watch::Receiver<bool>) -> Result<(u64, f64), String> {
    let mut ws = signed_in(address).await?;
    let (mut count, mut slowest) = (0u64, 0f64);
    for id in 2..100_000u64 {
        if *stop.borrow() {
            break;
        }
        let started = Instant::now();
        send(&mut ws, &json!({"Controller": "Market", "Topic": "QueryMarkets", "TransactionID": id})).await?;
        let reply = read_until(&mut ws, |m| m["TransactionID"].as_u64() == Some(id))
            .await
            .map_err(|e| format!("request {id}: {e}"))?;
        if reply.get("Action").is_some() {
            return Err(format!("request {id} answered {reply}"));
        }
        count += 1;
        slowest = slowest.max(started.elapsed().as_secs_f64() * 1e3);
        let _ = tokio::time::timeout(Duration::from_millis(100), stop.changed()).await;
    }
    clients::close(ws, Duration::from_secs(2)).await;
    Ok((count, slowest))
}

/// Step (e): a client that subscribes and never reads, while another keeps being answered.
fn deaf(zenith: &Path, runtime: &Runtime, hold: Duration) -> Result<u64, String> {
    let (mock, base) = fresh(zenith, runtime)?;
    let address = mock.address;
    let (stop, stopped) = watch::channel(false);
    let other = runtime.spawn(answered(address, stopped));
    let deaf = runtime.block_on(async {
        let mut ws = signed_in(address).await?;
        for i in 0..DEAF_SUBSCRIPTIONS {
            send(&mut ws, &sub(&format!("Depth!D{i}.ASX"))).await?;
        }
        Ok::<_, String>(ws)
    })?;
    let port = deaf.get_ref().local_addr().map_err(|e| format!("the deaf client's port: {e}"))?.port();
    let (series, end) = mock.sample(hold)?;
    let most = series.iter().copied().max().unwrap_or(0).max(end.rss);
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let unsent = queued(&table, address.port(), port).map_or(0, |q| q.0);
    let unread = queued(&table, port, address.port()).map_or(0, |q| q.1);
    let _ = stop.send(true);
    let (count, slowest) = runtime
        .block_on(async { tokio::time::timeout(LIMIT, other).await })
        .map_err(|_| "the other client did not stop in time".to_owned())?
        .map_err(|e| format!("the other client: {e}"))??;
    if count < hold.as_secs() {
        return Err(format!("the other client was answered only {count} times in {} s", hold.as_secs()));
    }
    runtime.block_on(async { drop(deaf) });
    let ended = mock.line(&format!("{DEAF_SUBSCRIPTIONS} subscriptions")).unwrap_or_else(|| "(no summary)".to_owned());
    std::thread::sleep(Duration::from_secs(1));
    let closed = mock.status()?;
    println!(
        "(e) a fresh mock, warmed up: RSS {} KiB; one client subscribed to {DEAF_SUBSCRIPTIONS} Depth topics and never reading for {} s: \
RSS {} KiB ({}): the client costs {} KiB; in the kernel meanwhile {} KiB unsent by the mock, {} KiB unread \
by the client; another client answered {count} times meanwhile, all of them (slowest {slowest:.1} ms); the deaf client gone: RSS {} KiB, peak {} KiB",
        kib(base.rss),
        hold.as_secs(),
        kib(end.rss),
        seconds(&series),
        kib(most.saturating_sub(base.rss)),
        kib(unsent / 1024),
        kib(unread / 1024),
        kib(closed.rss),
        kib(closed.hwm),
    );
    println!("    the mock's summary of it: {}", ended.split(": ").skip(1).collect::<Vec<_>>().join(": "));
    Ok(closed.hwm.max(most))
}

/// Step (f): a client sending a 64 MiB text frame; the mock must close it with 1009.
fn huge(zenith: &Path, runtime: &Runtime) -> Result<u64, String> {
    let (mock, base) = fresh(zenith, runtime)?;
    let address = mock.address;
    let code = runtime.block_on(async {
        let ws = signed_in(address).await?;
        let (mut sink, mut stream) = ws.split();
        let sending = tokio::spawn(async move {
            let _ = tokio::time::timeout(LIMIT, sink.send(Message::text("x".repeat(HUGE)))).await;
        });
        let deadline = tokio::time::Instant::now() + LIMIT;
        let code = loop {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(Ok(Message::Close(Some(frame))))) => break u16::from(frame.code),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => return Err(format!("no close frame, the connection failed: {e}")),
                Ok(None) => return Err("the connection ended without a close frame".to_owned()),
                Err(_) => return Err("no close frame in time".to_owned()),
            }
        };
        sending.abort();
        Ok::<_, String>(code)
    })?;
    if code != 1009 {
        return Err(format!("the 64 MiB frame was closed with {code}, not 1009"));
    }
    let ended = mock.line("message too long").ok_or("the mock's summary does not say `message too long`")?;
    // The mock still serves.
    runtime.block_on(async {
        let ws = signed_in(address).await?;
        clients::close(ws, Duration::from_secs(2)).await;
        Ok::<_, String>(())
    })?;
    std::thread::sleep(Duration::from_millis(500));
    let after = mock.status()?;
    println!(
        "(f) a fresh mock, warmed up: RSS {} KiB; one client sending a {} MiB text frame: closed with {code}; RSS after {} KiB \
({} KiB more), peak {} KiB; a new client signed in after it",
        kib(base.rss),
        HUGE >> 20,
        kib(after.rss),
        kib(after.rss.saturating_sub(base.rss)),
        kib(after.hwm),
    );
    println!("    the mock's summary of it: {}", ended.split(": ").skip(1).collect::<Vec<_>>().join(": "));
    Ok(after.hwm)
}

/// Every step, each on the mock `zenith` (the binary) runs; an error says which step failed.
/// Every mock started is killed before this returns.
/// The greedy and deaf clients stay `hold` (whole seconds).
pub(crate) fn run(zenith: &Path, runtime: &Runtime, hold: Duration) -> Result<(), String> {
    println!(
        "memory: `{} mock --listen 127.0.0.1:0 --rate 100 --max-connections 512`, RSS (VmRSS) and peak (VmHWM) from /proc/PID/status",
        zenith.display()
    );
    let peaks = [
        connections(zenith, runtime).map_err(|e| format!("(a)-(c): {e}"))?,
        greedy(zenith, runtime, hold).map_err(|e| format!("(d): {e}"))?,
        deaf(zenith, runtime, hold).map_err(|e| format!("(e): {e}"))?,
        huge(zenith, runtime).map_err(|e| format!("(f): {e}"))?,
    ];
    // VmHWM is brought up to date lazily by the kernel: a sample may be above it.
    println!(
        "peak of the four mocks (VmHWM, or the highest RSS sampled): {} KiB",
        kib(peaks.iter().copied().max().unwrap_or(0))
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_file_gives_rss_and_its_peak_and_nothing_without_them() {
        let text = "Name:\tzenith\nVmPeak:\t  300000 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   18000 kB\nThreads:\t3\n";
        assert_eq!(parse_status(text), Some(Status { rss: 18_000, hwm: 20_480 }));
        assert_eq!(parse_status("Name:\tzenith\nVmRSS:\t1 kB\n"), None);
        assert_eq!(parse_status("VmRSS:\tmany kB\nVmHWM:\t1 kB\n"), None);
    }

    #[test]
    fn the_tcp_table_gives_the_queues_of_one_connection() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 0100007F:C350 01 00001000:00000000 00:00000000 00000000     0        0 1\n\
   1: 0100007F:C350 0100007F:1F90 01 00000000:00020000 00:00000000 00000000     0        0 2\n";
        assert_eq!(queued(table, 8080, 50000), Some((4096, 0)));
        assert_eq!(queued(table, 50000, 8080), Some((0, 131_072)));
        assert_eq!(queued(table, 8080, 1), None);
        assert_eq!(queued("garbage", 1, 2), None);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(
            (kib(0), kib(999), kib(1000), kib(1_234_567)),
            ("0".into(), "999".into(), "1,000".into(), "1,234,567".into())
        );
    }
}
