//! `mock-bench`: pushes per second from `zenith mock` to 1, 10 and 100 subscribed clients on loopback, the mock on one core of its own, its reply latency, and its memory (see docs/performance.md, "zenith mock").

mod clients;
mod cpu;
mod memory;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use capture_bench::fail;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot, watch};
use zenith_mock::{Event, Mock, Options};

use clients::Counter;

/// The longest any single wait of the benchmark may take.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);

/// The names of the two threads measured.
const MOCK_THREAD: &str = "zenith-mock";
const CLIENT_THREAD: &str = "bench-clients";

const USAGE: &str = "usage: mock-bench [--clients N,N,..] [--warmup S] [--window S] [--rate R] \
[--requests N] [--loaded N] [--loaded-rate R] [--quiet S] [--only pushes|latency|memory] [--zenith PATH] [--hold S]";

/// What the command line asks.
#[derive(Debug)]
struct Args {
    clients: Vec<usize>,
    warmup: f64,
    window: f64,
    rate: f64,
    requests: u64,
    loaded: usize,
    loaded_rate: f64,
    quiet: f64,
    only: Option<String>,
    /// The `zenith` binary the memory phase runs (next to this one by default).
    zenith: Option<PathBuf>,
    /// How long the memory phase's greedy and deaf clients stay, in seconds.
    hold: f64,
}

/// Reads the flags (the program's name left out); an error says which is wrong.
fn parse(given: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        clients: vec![1, 10, 100],
        warmup: 1.0,
        window: 3.0,
        rate: 100_000.0,
        requests: 10_000,
        loaded: 10,
        loaded_rate: 1_000.0,
        quiet: 20.0,
        only: None,
        zenith: None,
        hold: 10.0,
    };
    let mut given = given.into_iter();
    while let Some(flag) = given.next() {
        let value = given.next().ok_or(USAGE)?;
        let seconds = || match value.parse::<f64>() {
            Ok(s) if (0.0..=600.0).contains(&s) => Ok(s),
            _ => Err(format!("{flag}: seconds from 0 to 600, not {value}")),
        };
        let rate = || match value.parse::<f64>() {
            Ok(r) if r > 0.0 && r <= 100_000.0 => Ok(r),
            _ => Err(format!("{flag}: above 0 and at most 100000 (the mock's bound), not {value}")),
        };
        let count = |most: u64| match value.parse::<u64>() {
            Ok(n) if n <= most => Ok(n),
            _ => Err(format!("{flag}: a whole number up to {most}, not {value}")),
        };
        match flag.as_str() {
            "--clients" => {
                args.clients = value
                    .split(',')
                    .map(|n| match n.trim().parse::<usize>() {
                        Ok(n @ 1..=250) => Ok(n),
                        _ => Err(format!("--clients: each from 1 to 250, not {n}")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--warmup" => args.warmup = seconds()?,
            "--window" => args.window = seconds()?.max(0.1),
            "--rate" => args.rate = rate()?,
            "--loaded-rate" => args.loaded_rate = rate()?,
            "--requests" => args.requests = count(10_000_000)?.max(1),
            "--loaded" => args.loaded = count(250)? as usize,
            "--quiet" => args.quiet = seconds()?,
            "--only" if ["pushes", "latency", "memory"].contains(&value.as_str()) => args.only = Some(value),
            "--zenith" => args.zenith = Some(PathBuf::from(value)),
            "--hold" => args.hold = seconds()?.max(1.0),
            _ => return Err(USAGE.to_owned()),
        }
    }
    Ok(args)
}

/// The mock, serving on its own OS thread in a single-threaded runtime of its own.
struct MockThread {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    events: mpsc::UnboundedReceiver<Event>,
    /// Its /proc entries, for its CPU time.
    task: PathBuf,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockThread {
    fn start(rate: f64) -> MockThread {
        let (started, starting) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(MOCK_THREAD.to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime,
                    Err(e) => return drop(started.send(Err(format!("the mock's runtime: {e}")))),
                };
                runtime.block_on(async move {
                    let mut options = Options::new(SocketAddr::from(([127, 0, 0, 1], 0)));
                    options.rate = rate;
                    let mock = match Mock::bind(options).await {
                        Ok(mock) => mock,
                        Err(e) => return drop(started.send(Err(e.to_string()))),
                    };
                    let (stop, stopped) = oneshot::channel::<()>();
                    let (events, received) = mpsc::unbounded_channel();
                    let Some(task) = cpu::this_thread() else {
                        return drop(started.send(Err("no /proc/thread-self to read the CPU time from".to_owned())));
                    };
                    let _ = started.send(Ok((mock.local_addr(), stop, received, task)));
                    mock.run(
                        async {
                            let _ = stopped.await;
                        },
                        events,
                    )
                    .await;
                });
            })
            .unwrap_or_else(|e| fail(format!("the mock's thread: {e}")));
        let (address, stop, events, task) = starting
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| fail("the mock did not start in time"))
            .unwrap_or_else(|e| fail(format!("the mock: {e}")));
        MockThread { address, stop: Some(stop), events, task, thread: Some(thread) }
    }

    fn cpu_seconds(&self) -> f64 {
        cpu::thread_seconds(&self.task)
    }

    /// Waits for `connections` connections to end, and returns the pushes the mock counted on
    /// them and the findings it made on the clients' messages meanwhile.
    fn closed(&mut self, runtime: &Runtime, connections: usize) -> (u64, u64) {
        let (mut pushes, mut findings, mut closed) = (0, 0, 0);
        runtime.block_on(async {
            while closed < connections {
                match tokio::time::timeout(LIMIT, self.events.recv()).await {
                    Ok(Some(Event::Closed(report))) => {
                        closed += 1;
                        pushes += report.counts.pushes;
                    }
                    Ok(Some(Event::Finding(_))) => findings += 1,
                    _ => fail(format!("{closed} of {connections} connections ended in time")),
                }
            }
        });
        while let Ok(event) = self.events.try_recv() {
            if let Event::Finding(_) = event {
                findings += 1;
            }
        }
        (pushes, findings)
    }
}

impl Drop for MockThread {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Clients subscribed and counting.
struct Subscribed {
    counters: Vec<Arc<Counter>>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<Result<(), String>>>,
}

impl Subscribed {
    /// Starts `n` clients, each subscribing to a Depth topic, and waits until every one has
    /// its subscription confirmed and its snapshot read.
    fn start(runtime: &Runtime, address: SocketAddr, n: usize, running: Duration) -> Subscribed {
        let counters: Vec<Arc<Counter>> = (0..n).map(|_| Arc::new(Counter::default())).collect();
        let (ready, mut readied) = mpsc::unbounded_channel();
        let (stop, stopped) = watch::channel(false);
        let tasks: Vec<_> = counters
            .iter()
            .enumerate()
            .map(|(i, counter)| {
                let topic = clients::depth_topic(i);
                runtime.spawn(clients::subscriber(
                    address,
                    topic,
                    counter.clone(),
                    ready.clone(),
                    stopped.clone(),
                    running + LIMIT,
                ))
            })
            .collect();
        drop(ready);
        let mut subscribed = Subscribed { counters, stop, tasks };
        let all_ready = runtime.block_on(async {
            for _ in 0..n {
                if !matches!(tokio::time::timeout(LIMIT, readied.recv()).await, Ok(Some(()))) {
                    return false;
                }
            }
            true
        });
        if !all_ready {
            subscribed.finish(runtime);
            fail(format!("not all {n} clients were subscribed in time"));
        }
        subscribed
    }

    /// The messages and bytes each client has received so far.
    fn counts(&self) -> Vec<(u64, u64)> {
        self.counters.iter().map(|c| (c.messages.load(Ordering::Relaxed), c.bytes.load(Ordering::Relaxed))).collect()
    }

    /// Stops the clients; fails on the first that met something unexpected.
    fn finish(&mut self, runtime: &Runtime) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            match runtime.block_on(async { tokio::time::timeout(LIMIT, task).await }) {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => fail(format!("a client: {e}")),
                Ok(Err(e)) => fail(format!("a client: {e}")),
                Err(_) => fail("a client did not stop in time"),
            }
        }
    }
}

/// What one pushes phase measured.
struct Pushes {
    clients: usize,
    seconds: f64,
    messages: u64,
    bytes: u64,
    per_client: Vec<u64>,
    mock_cpu: f64,
    client_cpu: f64,
    others: f64,
    steal: f64,
    mock_pushes: u64,
    received: u64,
    findings: u64,
}

fn pushes(runtime: &Runtime, mock: &mut MockThread, n: usize, args: &Args) -> Pushes {
    cpu::wait_quiet(args.quiet);
    let running = Duration::from_secs_f64(args.warmup + args.window);
    let mut subscribed = Subscribed::start(runtime, mock.address, n, running);
    std::thread::sleep(Duration::from_secs_f64(args.warmup));
    let (before, cpu_before, mock_before, started) =
        (subscribed.counts(), cpu::read(), mock.cpu_seconds(), Instant::now());
    std::thread::sleep(Duration::from_secs_f64(args.window));
    let (after, cpu_after, mock_after, seconds) =
        (subscribed.counts(), cpu::read(), mock.cpu_seconds(), started.elapsed().as_secs_f64());
    subscribed.finish(runtime);
    let received = subscribed.counts().iter().map(|(m, _)| m).sum::<u64>() + n as u64;
    let (mock_pushes, findings) = mock.closed(runtime, n);
    let per_client: Vec<u64> = before.iter().zip(&after).map(|(b, a)| a.0 - b.0).collect();
    let (others, steal) = cpu_after.others_since(&cpu_before);
    Pushes {
        clients: n,
        seconds,
        messages: per_client.iter().sum(),
        bytes: before.iter().zip(&after).map(|(b, a)| a.1 - b.1).sum(),
        per_client,
        mock_cpu: mock_after - mock_before,
        client_cpu: cpu_after.thread_since(&cpu_before, CLIENT_THREAD),
        others,
        steal,
        mock_pushes,
        received,
        findings,
    }
}

fn report_pushes(p: &Pushes) {
    let rate = p.messages as f64 / p.seconds;
    let mut sorted = p.per_client.clone();
    sorted.sort_unstable();
    let per = |v: u64| v as f64 / p.seconds;
    println!(
        "{:>3} clients: {:>9.0} pushes/s in all ({:.1} MB/s, {:.0} B each); per client min {:.0} / median {:.0} / max {:.0}; \
mock thread {:.2} CPU s of {:.2} s ({:.0}%): {:.0} pushes per mock CPU second; clients' thread {:.2} CPU s; \
other processes {:.2} s, steal {:.2} s",
        p.clients,
        rate,
        p.bytes as f64 / p.seconds / 1e6,
        p.bytes as f64 / p.messages.max(1) as f64,
        per(sorted[0]),
        per(sorted[sorted.len() / 2]),
        per(sorted[sorted.len() - 1]),
        p.mock_cpu,
        p.seconds,
        100.0 * p.mock_cpu / p.seconds,
        p.messages as f64 / p.mock_cpu.max(1e-3),
        p.client_cpu,
        p.others,
        p.steal,
    );
    println!(
        "    the mock counted {} pushes sent on these connections, the clients received {} (snapshots included); {} findings on the clients' messages",
        p.mock_pushes, p.received, p.findings
    );
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at] as f64 / 1000.0
}

/// Round trips of QueryMarkets requests sent one at a time, while `loaded` other clients are
/// subscribed (none for 0).
fn latency(runtime: &Runtime, mock: &mut MockThread, loaded: usize, args: &Args) {
    cpu::wait_quiet(args.quiet);
    let warm = (args.requests / 10).max(1);
    let mut subscribed = (loaded > 0).then(|| Subscribed::start(runtime, mock.address, loaded, LIMIT * 20));
    let (cpu_before, mock_before, started) = (cpu::read(), mock.cpu_seconds(), Instant::now());
    let pushed_before: u64 = subscribed.as_ref().map_or(0, |s| s.counts().iter().map(|c| c.0).sum());
    let (mut times, size) =
        runtime.block_on(clients::round_trips(mock.address, warm, args.requests)).unwrap_or_else(|e| fail(e));
    let seconds = started.elapsed().as_secs_f64();
    let pushed = subscribed.as_ref().map_or(0, |s| s.counts().iter().map(|c| c.0).sum::<u64>()) - pushed_before;
    let (cpu_after, mock_after) = (cpu::read(), mock.cpu_seconds());
    if let Some(subscribed) = subscribed.as_mut() {
        subscribed.finish(runtime);
    }
    let (_, findings) = mock.closed(runtime, loaded + 1);
    times.sort_unstable();
    let (others, steal) = cpu_after.others_since(&cpu_before);
    let load = if loaded == 0 {
        "no other clients".to_owned()
    } else {
        format!("{loaded} clients subscribed meanwhile, {:.0} pushes/s to them", pushed as f64 / seconds)
    };
    println!(
        "latency, {load}: {} QueryMarkets round trips (after {warm} not counted; replies of {size} B): \
p50 {:.1} us, p99 {:.1} us, p99.9 {:.1} us, max {:.1} us",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 0.999),
        percentile(&times, 1.0),
    );
    println!(
        "    {:.2} s; mock thread {:.2} CPU s ({:.1} us per request with its reply{}); clients' thread {:.2} CPU s; \
other processes {others:.2} s, steal {steal:.2} s; {findings} findings on the clients' messages",
        seconds,
        mock_after - mock_before,
        (mock_after - mock_before) * 1e6 / (warm + args.requests) as f64,
        if loaded > 0 { ", pushes included" } else { "" },
        cpu_after.thread_since(&cpu_before, CLIENT_THREAD),
    );
}

/// The CPU model, as /proc/cpuinfo names it.
fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find_map(|line| line.strip_prefix("model name").and_then(|rest| rest.split(':').nth(1)))
        .map_or_else(|| "unknown".to_owned(), |model| model.trim().to_owned())
}

fn main() {
    let args = parse(std::env::args().skip(1)).unwrap_or_else(|e| fail(e));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("runtime: {e}")));
    if args.only.as_deref() == Some("memory") {
        // `zenith mock` as a process of its own, so that its RSS is its own.
        let zenith = args.zenith.clone().unwrap_or_else(|| {
            std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("zenith"))).unwrap_or_default()
        });
        println!("mock-bench: {} cores ({})", std::thread::available_parallelism().map_or(0, |n| n.get()), cpu_model());
        // Every mock started is killed by then, error or not.
        let outcome = memory::run(&zenith, &runtime, Duration::from_secs(args.hold as u64));
        drop(runtime);
        return outcome.unwrap_or_else(|e| fail(e));
    }
    let mut mock = MockThread::start(args.rate);
    println!(
        "mock-bench: {} cores ({}); the mock on 1 thread of its own at {}, rate {} pushes/s per subscription; \
clients on 1 other thread; warm-up {} s, window {} s",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        mock.address,
        args.rate,
        args.warmup,
        args.window,
    );
    let wanted = |part: &str| args.only.as_deref().is_none_or(|only| only == part);
    if wanted("pushes") {
        let results: Vec<Pushes> = args
            .clients
            .iter()
            .map(|&n| {
                let p = pushes(&runtime, &mut mock, n, &args);
                report_pushes(&p);
                p
            })
            .collect();
        println!();
        println!(
            "| Clients | Pushes/s in all | Per client (median) | Mock CPU | Pushes per mock CPU s | Clients' CPU |"
        );
        println!("|---:|---:|---:|---:|---:|---:|");
        for p in &results {
            let mut sorted = p.per_client.clone();
            sorted.sort_unstable();
            println!(
                "| {} | {:.0} | {:.0} | {:.0}% | {:.0} | {:.0}% |",
                p.clients,
                p.messages as f64 / p.seconds,
                sorted[sorted.len() / 2] as f64 / p.seconds,
                100.0 * p.mock_cpu / p.seconds,
                p.messages as f64 / p.mock_cpu.max(1e-3),
                100.0 * p.client_cpu / p.seconds,
            );
        }
        println!();
    }
    if wanted("latency") {
        latency(&runtime, &mut mock, 0, &args);
        if args.loaded > 0 {
            // A mock of its own, pushing at a rate it keeps up with.
            let mut paced = MockThread::start(args.loaded_rate);
            println!("(a second mock at {}, rate {} pushes/s per subscription)", paced.address, args.loaded_rate);
            latency(&runtime, &mut paced, args.loaded, &args);
        }
    }
    drop(mock);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(flags: &[&str]) -> Result<Args, String> {
        parse(flags.iter().map(|f| f.to_string()))
    }

    #[test]
    fn flags_change_the_sizes_and_bad_values_are_refused_with_the_reason() {
        let args = given(&["--clients", "2,5", "--window", "0.5", "--rate", "500", "--only", "latency"]).unwrap();
        assert_eq!(
            (args.clients, args.window, args.rate, args.only.as_deref()),
            (vec![2, 5], 0.5, 500.0, Some("latency"))
        );
        let defaults = given(&[]).unwrap();
        assert_eq!((defaults.clients, defaults.requests), (vec![1, 10, 100], 10_000));
        assert!(given(&["--rate", "200000"]).unwrap_err().contains("at most 100000"));
        assert!(given(&["--clients", "1,0"]).unwrap_err().contains("from 1 to 250"));
        assert!(given(&["--window"]).unwrap_err().starts_with("usage"));
        assert!(given(&["--only", "everything"]).unwrap_err().starts_with("usage"));
        let memory = given(&["--only", "memory", "--zenith", "/bin/zenith", "--hold", "60"]).unwrap();
        assert_eq!(
            (memory.only.as_deref(), memory.zenith, memory.hold),
            (Some("memory"), Some(PathBuf::from("/bin/zenith")), 60.0)
        );
    }

    #[test]
    fn a_short_phase_counts_what_the_mock_pushed_and_requests_are_answered() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(CLIENT_THREAD)
            .enable_all()
            .build()
            .unwrap();
        let mut mock = MockThread::start(1_000.0);
        let mut args = given(&["--warmup", "0.1", "--window", "0.3", "--quiet", "0"]).unwrap();
        args.requests = 20;
        let p = pushes(&runtime, &mut mock, 2, &args);
        assert_eq!(p.per_client.len(), 2);
        assert!(p.per_client.iter().all(|&n| n > 0), "{:?}", p.per_client);
        assert!(p.bytes > p.messages, "pushes are not empty");
        // Every push received was counted by the mock as sent (snapshots on both sides).
        assert!(p.received <= p.mock_pushes, "{} received, {} sent", p.received, p.mock_pushes);
        assert_eq!(p.findings, 0);
        let (times, size) = runtime.block_on(clients::round_trips(mock.address, 2, args.requests)).unwrap();
        assert_eq!(times.len(), 20);
        assert!(size > 0);
        assert_eq!(mock.closed(&runtime, 1).1, 0);
    }
}
