//! What the proxy is measured against and with: the in-process proxy, plain relays beside it,
//! and the CPU each thread (and the rest of the machine) used.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use capture_bench::fail;
use tokio::net::{TcpListener, TcpStream};
use zenith_capture::Limits;
use zenith_proxy::{Closed, Options, Proxy, Report, Upstream};

use crate::LIMIT;

/// CPU seconds used so far by this process's threads, by thread name, and (as `(machine)`) by
/// every process of the machine.
pub(crate) fn cpu_by_thread() -> BTreeMap<String, f64> {
    let mut used = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return used };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 a second).
        let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|t| t.parse::<f64>().ok()).sum());
        *used.entry(name).or_insert(0.0) += ticks / 100.0;
    }
    // The first line of /proc/stat: user nice system idle iowait irq softirq steal, in ticks.
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|t| t.parse().ok()).collect();
    if ticks.len() >= 8 {
        used.insert("(machine)".to_owned(), (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / 100.0);
        used.insert("(steal)".to_owned(), ticks[7] / 100.0);
    }
    used
}

/// Waits (30 s at most) for a second in which other processes use less than a tenth of
/// a CPU second, so that a phase is not measured while the machine is busy with something else.
pub(crate) fn wait_quiet() {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let before = cpu_by_thread();
        std::thread::sleep(Duration::from_secs(1));
        if others(&before, &cpu_by_thread()).0 < 0.1 {
            return;
        }
    }
    println!("    (other processes kept the machine busy for 30 s: measured all the same)");
}

/// The CPU seconds other processes used between two readings (interrupts included), and the
/// time the hypervisor took.
pub(crate) fn others(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> (f64, f64) {
    let delta = |name: &str| after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0);
    let own: f64 = after.keys().filter(|name| !name.starts_with('(')).map(|name| delta(name)).sum();
    ((delta("(machine)") - own).max(0.0), delta("(steal)"))
}

/// The CPU each thread used between two readings, and what other processes used meanwhile.
pub(crate) fn cpu_delta(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> String {
    let delta = |name: &str| after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0);
    let mut shown: Vec<String> = after
        .keys()
        .filter(|name| !name.starts_with('(') && delta(name) >= 0.01)
        .map(|name| format!("{name} {:.2} s", delta(name)))
        .collect();
    let (others, steal) = others(before, after);
    shown.push(format!("other processes {others:.2} s, steal {steal:.2} s"));
    shown.join(", ")
}

/// Where a relay copies what it reads.
#[derive(Clone)]
enum Copy {
    None,
    /// Sent on a channel to a thread that drops it, as the proxy sends it to its checker,
    /// before writing it on.
    Channel(Sender<Vec<u8>>),
    /// Queued before writing it on, and the dropping thread woken once it is written.
    WokenAfter(Arc<std::sync::Mutex<Vec<Vec<u8>>>>, std::thread::Thread),
}

/// Relays every connection to `upstream` byte for byte, as the proxy's relay does once the
/// upgrade is through (the same buffer size, a write per read), copying each chunk as `copy`
/// says.
async fn plain_relay(listener: TcpListener, upstream: SocketAddr, copy: Copy) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    async fn pipe(mut from: impl tokio::io::AsyncRead + Unpin, mut to: impl tokio::io::AsyncWrite + Unpin, copy: Copy) {
        let mut buffer = vec![0u8; zenith_proxy::RELAY_BUFFER_BYTES];
        while let Ok(read @ 1..) = from.read(&mut buffer).await {
            match &copy {
                Copy::None => {}
                Copy::Channel(sender) => {
                    let _ = sender.send(buffer[..read].to_vec());
                }
                Copy::WokenAfter(queue, _) => {
                    queue.lock().unwrap_or_else(|e| e.into_inner()).push(buffer[..read].to_vec())
                }
            }
            if to.write_all(&buffer[..read]).await.is_err() {
                break;
            }
            if let Copy::WokenAfter(_, thread) = &copy {
                thread.unpark();
            }
        }
        let _ = to.shutdown().await;
    }
    loop {
        let Ok((client, _)) = listener.accept().await else { continue };
        let copy = copy.clone();
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(upstream).await else { return };
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::join!(pipe(client_read, server_write, copy.clone()), pipe(server_read, client_write, copy));
        });
    }
}

/// The in-process proxy: its address, its reports (with when each arrived), and its stop.
pub(crate) struct InProcess {
    pub address: SocketAddr,
    /// A plain relay on the same runtime: the proxy's relay loop without the copy for the
    /// checker, to tell the cost of relaying from the cost of checking.
    pub plain: SocketAddr,
    /// The plain relay, each chunk copied to a thread that drops it: the cost of handing the
    /// copy over.
    pub copying: SocketAddr,
    /// The same, that thread woken only once the chunk is written on.
    pub woken_after: SocketAddr,
    pub reports: Receiver<(Instant, Report)>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub thread: Option<std::thread::JoinHandle<()>>,
}

impl InProcess {
    /// Runs a proxy to `upstream` on its own runtime of two workers, as `zenith proxy` does.
    pub fn start(upstream: SocketAddr) -> InProcess {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("proxy-relay")
            .enable_all()
            .build()
            .unwrap_or_else(|e| fail(format!("runtime: {e}")));
        let options = Options {
            upstream: Upstream::parse(&format!("ws://{upstream}")).unwrap_or_else(|e| fail(e)),
            tls: None,
            once: false,
            reply_timeout: Some(zenith_check::DEFAULT_REPLY_TIMEOUT),
            limits: Limits { max_line_bytes: 16 << 20 },
            record: None,
            max_connections: zenith_proxy::DEFAULT_MAX_CONNECTIONS,
            handshake_timeout: zenith_proxy::HANDSHAKE_TIMEOUT,
        };
        let proxy = runtime
            .block_on(Proxy::bind("127.0.0.1:0".parse().unwrap_or_else(|_| fail("address")), options))
            .unwrap_or_else(|e| fail(format!("bind: {e}")));
        let address = proxy.local_addr().unwrap_or_else(|e| fail(e));
        let relay = |copy: Copy| {
            let listener =
                runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap_or_else(|e| fail(format!("bind: {e}")));
            let address = listener.local_addr().unwrap_or_else(|e| fail(e));
            runtime.spawn(plain_relay(listener, upstream, copy));
            address
        };
        let plain = relay(Copy::None);
        let (copies, dropped) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::Builder::new()
            .name("bench-drop".into())
            .spawn(move || {
                while let Ok(copy) = dropped.recv() {
                    drop(copy);
                }
            })
            .unwrap_or_else(|e| fail(e));
        let copying = relay(Copy::Channel(copies));
        let queue: Arc<std::sync::Mutex<Vec<Vec<u8>>>> = Arc::default();
        let dropping = queue.clone();
        let dropper = std::thread::Builder::new()
            .name("bench-drop-after".into())
            .spawn(move || {
                // Runs as long as the benchmark does.
                loop {
                    std::thread::park_timeout(Duration::from_millis(100));
                    drop(std::mem::take(&mut *dropping.lock().unwrap_or_else(|e| e.into_inner())));
                }
            })
            .unwrap_or_else(|e| fail(e));
        let woken_after = relay(Copy::WokenAfter(queue, dropper.thread().clone()));
        let (sent, reports) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(proxy.run(
                async {
                    let _ = stopped.await;
                },
                move |report| {
                    let _ = sent.send((Instant::now(), report));
                },
            ));
        });
        InProcess { address, plain, copying, woken_after, reports, stop: Some(stop), thread: Some(thread) }
    }

    /// The next connection's close, and the codes of the findings before it.
    pub fn closed(&self) -> (Instant, Closed, BTreeMap<String, u64>) {
        let mut codes = BTreeMap::new();
        let deadline = Instant::now() + LIMIT;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.reports.recv_timeout(wait) {
                Ok((at, Report::Closed(closed))) => return (at, closed, codes),
                Ok((_, Report::Finding(finding))) => *codes.entry(finding.code).or_insert(0) += 1,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => fail("the proxy reported no close in time"),
                Err(RecvTimeoutError::Disconnected) => fail("the proxy stopped"),
            }
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
