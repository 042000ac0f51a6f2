//! The memory of a `zenith proxy` process with idle connections and with busy ones.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use capture_bench::fail;
use futures_util::{SinkExt, StreamExt};
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

use crate::Args;
use crate::mix::{Mix, Ws, close, connect};

/// A `zenith proxy` process, and its listening address.
fn spawn_proxy(zenith: &std::path::Path, upstream: SocketAddr) -> (Child, SocketAddr) {
    let mut child = Command::new(zenith)
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", &format!("ws://{upstream}"), "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| fail(format!("{}: {e}", zenith.display())));
    let stderr = child.stderr.take().unwrap_or_else(|| fail("no stderr"));
    let (found, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut found = Some(found);
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let listening = line.split("listening on ws://").nth(1).and_then(|rest| rest.split('/').next());
            if let (Some(address), Some(sender)) = (listening.and_then(|a| a.parse::<SocketAddr>().ok()), found.take())
            {
                let _ = sender.send(address);
            } else if found.is_none() {
                eprintln!("zenith proxy: {line}");
            }
        }
    });
    let address = address
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| fail("zenith proxy did not say where it listens"));
    (child, address)
}

/// The resident memory of a process, in KiB.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn stop(mut child: Child) {
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub(crate) fn memory(runtime: &Runtime, upstream: SocketAddr, mix: &Mix, args: &Args) {
    println!("## memory of a `zenith proxy` process ({})", args.zenith.display());
    let (child, address) = spawn_proxy(&args.zenith, upstream);
    // One connection first, so that what is made once (schemas, buffers) is not counted.
    busy(runtime, address, mix, args.busy_rate, 1, Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(300));
    let before = rss(child.id());
    let clients: Vec<Ws> = runtime.block_on(async {
        let mut clients = Vec::with_capacity(args.idle);
        for _ in 0..args.idle {
            clients.push(connect(address, "/idle").await);
        }
        clients
    });
    std::thread::sleep(Duration::from_secs(1));
    let idle = rss(child.id());
    println!(
        "{} idle connections: VmRSS {before} KiB before, {idle} KiB with them open: {:.1} KiB each",
        args.idle,
        idle.saturating_sub(before) as f64 / args.idle.max(1) as f64
    );
    runtime.block_on(async {
        for ws in clients {
            close(ws).await;
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    println!("    after closing them: VmRSS {} KiB", rss(child.id()));
    stop(child);

    let (child, address) = spawn_proxy(&args.zenith, upstream);
    busy(runtime, address, mix, args.busy_rate, 1, Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(300));
    let before = rss(child.id());
    let pid = child.id();
    let (busy_rss, got) = {
        let measure = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            rss(pid)
        });
        let got = busy(runtime, address, mix, args.busy_rate, args.busy, Duration::from_secs(4));
        (measure.join().unwrap_or(0), got)
    };
    println!(
        "{} busy connections, {} pushes/s each ({got} messages relayed in 4 s): VmRSS {before} KiB before, {busy_rss} KiB after 3 s: {:.1} KiB each",
        args.busy,
        args.busy_rate,
        busy_rss.saturating_sub(before) as f64 / args.busy.max(1) as f64
    );
    stop(child);
}

/// `connections` clients, each subscribing and then reading what the server pushes at `rate`
/// a second, for `time`; the messages they read.
fn busy(runtime: &Runtime, address: SocketAddr, mix: &Mix, rate: u64, connections: usize, time: Duration) -> u64 {
    let readers: Vec<_> = (0..connections)
        .map(|_| {
            let subscriptions: Vec<String> = mix.opening.iter().map(|(request, _)| request.clone()).collect();
            runtime.spawn(async move {
                let mut ws = connect(address, &format!("/busy/{rate}")).await;
                for request in subscriptions {
                    let _ = ws.send(Message::text(request)).await;
                }
                let mut got = 0u64;
                let until = Instant::now() + time;
                while let Ok(Some(Ok(_))) = tokio::time::timeout_at(until.into(), ws.next()).await {
                    got += 1;
                }
                close(ws).await;
                got
            })
        })
        .collect();
    runtime.block_on(async {
        let mut got = 0;
        for reader in readers {
            got += reader.await.unwrap_or(0);
        }
        got
    })
}
