//! `proxy-bench`: the latency, throughput and memory of `zenith proxy` on loopback, each
//! measured with the same client and server directly and through the proxy (see
//! docs/performance.md, "zenith proxy").

mod memory;
mod mix;
mod relays;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use capture_bench::fail;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

use mix::{Mix, close, connect, server, transaction};
use relays::{InProcess, cpu_by_thread, cpu_delta, wait_quiet};

/// The longest any single wait of the benchmark may take.
pub(crate) const LIMIT: Duration = Duration::from_secs(120);

const USAGE: &str = "usage: proxy-bench [--rate N] [--seconds S] [--rounds N] [--pushes N] [--idle N] \
[--busy N] [--busy-rate N] [--paced N,N,..] [--zenith PATH] [--sample FILE] [--only latency|throughput|memory]";

/// What the command line asks.
struct Args {
    pub rate: u64,
    pub seconds: f64,
    pub rounds: u32,
    pub pushes: u64,
    pub idle: usize,
    pub busy: usize,
    pub busy_rate: u64,
    pub paced: Vec<u64>,
    pub zenith: PathBuf,
    pub sample: PathBuf,
    pub only: Option<String>,
}

fn args() -> Args {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = Args {
        rate: 10_000,
        seconds: 5.0,
        rounds: 3,
        pushes: 1_000_000,
        idle: 1_000,
        busy: 100,
        busy_rate: 100,
        paced: vec![100_000, 200_000, 400_000],
        zenith: root.join("target/release/zenith"),
        sample: root.join("examples/captures/market-session.jsonl"),
        only: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given.next().unwrap_or_else(|| fail(USAGE));
        let number = || value.parse::<u64>().unwrap_or_else(|_| fail(format!("{flag}: not a number: {value}")));
        match flag.as_str() {
            "--rate" => args.rate = number().max(1),
            "--seconds" => args.seconds = value.parse().unwrap_or_else(|_| fail(format!("--seconds: {value}"))),
            "--rounds" => args.rounds = number() as u32,
            "--pushes" => args.pushes = number(),
            "--idle" => args.idle = number() as usize,
            "--busy" => args.busy = number() as usize,
            "--busy-rate" => args.busy_rate = number(),
            "--paced" => {
                args.paced =
                    value.split(',').map(|r| r.parse().unwrap_or_else(|_| fail(format!("--paced: {r}")))).collect();
            }
            "--zenith" => args.zenith = value.into(),
            "--sample" => args.sample = value.into(),
            "--only" => args.only = Some(value),
            _ => fail(USAGE),
        }
    }
    args
}

/// The round-trip times (ns) of `seconds` of requests sent at `rate` a second, each answered at
/// once; the first half second is left out as warm-up. Returns them and the rate reached.
fn round_trips(runtime: &Runtime, address: SocketAddr, mix: &Arc<Mix>, rate: u64, seconds: f64) -> (Vec<u64>, f64) {
    let warm = rate / 2;
    let total = warm + (rate as f64 * seconds) as u64;
    let ws = runtime.block_on(connect(address, "/reply"));
    let (mut sink, mut stream) = ws.split();
    let base = Instant::now();
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let reader = {
        let sent = sent.clone();
        runtime.spawn(async move {
            let mut times = Vec::with_capacity(total as usize);
            let mut got = 0;
            while got < total {
                let Ok(Some(Ok(message))) = tokio::time::timeout(LIMIT, stream.next()).await else { break };
                let Message::Text(text) = message else { continue };
                let at = base.elapsed().as_nanos() as u64;
                got += 1;
                if let Some(id) = transaction(text.as_str()).filter(|id| *id >= warm && *id < total) {
                    times.push(at.saturating_sub(sent[id as usize].load(Ordering::Acquire)));
                }
            }
            (stream, times)
        })
    };
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    let mut measured_from = start;
    for id in 0..total {
        if id == warm {
            measured_from = Instant::now();
        }
        let due = start + interval * id as u32;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let text = mix.request(id);
        sent[id as usize].store(base.elapsed().as_nanos() as u64, Ordering::Release);
        runtime.block_on(sink.send(Message::text(text))).unwrap_or_else(|e| fail(format!("send: {e}")));
    }
    let reached = (total - warm) as f64 / measured_from.elapsed().as_secs_f64();
    let (stream, times) = runtime.block_on(reader).unwrap_or_else(|e| fail(e));
    if times.len() as u64 != total - warm {
        fail(format!("{} replies of {} arrived", times.len(), total - warm));
    }
    let ws = sink.reunite(stream).unwrap_or_else(|_| fail("reunite"));
    runtime.block_on(close(ws));
    (times, reached)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at] as f64 / 1000.0
}

/// The ways the latency is measured: directly, through a plain relay, through relays that copy
/// what they relay (the copy sent before the write, or the thread woken after it), and through
/// the proxy.
const NAMES: [&str; 5] = ["direct", "plain relay", "relay + copy", "copy, woken after", "zenith proxy"];

fn latency(runtime: &Runtime, upstream: SocketAddr, proxy: &InProcess, mix: &Arc<Mix>, args: &Args) {
    println!(
        "## latency: requests at {}/s for {} s (after 0.5 s of warm-up), direct and through the proxy, {} rounds",
        args.rate, args.seconds, args.rounds
    );
    let mut all: [Vec<u64>; 5] = Default::default();
    let mut discarded = 0;
    for round in 1..=args.rounds {
        let ways = [upstream, proxy.plain, proxy.copying, proxy.woken_after, proxy.address];
        for (way, address) in ways.into_iter().enumerate() {
            for attempt in 1..=3 {
                wait_quiet();
                let cpu = cpu_by_thread();
                let (mut times, reached) = round_trips(runtime, address, mix, args.rate, args.seconds);
                times.sort_unstable();
                print!(
                    "round {round} {:>17}: {:>7} round trips at {:>6.0}/s: p50 {:>6.1} us, p99 {:>7.1} us, p99.9 {:>7.1} us, max {:>8.1} us",
                    NAMES[way],
                    times.len(),
                    reached,
                    percentile(&times, 0.5),
                    percentile(&times, 0.99),
                    percentile(&times, 0.999),
                    percentile(&times, 1.0)
                );
                if way == 4 {
                    let (_, closed, codes) = proxy.closed();
                    let s = &closed.summary;
                    print!(
                        "; checked {} messages ({} valid, {} requests, {} replies), findings {codes:?}, unchecked {:?}",
                        s.messages(),
                        s.valid,
                        s.requests,
                        s.replies,
                        closed.unchecked
                    );
                }
                println!();
                let after = cpu_by_thread();
                println!("    cpu: {}", cpu_delta(&cpu, &after));
                let (others, steal) = relays::others(&cpu, &after);
                if (others < 0.1 * args.seconds && steal < 0.02 * args.seconds) || attempt == 3 {
                    all[way].extend(times);
                    break;
                }
                discarded += 1;
                println!("    discarded (other processes used the CPU meanwhile); again");
            }
        }
    }
    println!("{discarded} phases discarded and measured again");
    for times in &mut all {
        times.sort_unstable();
    }
    for (name, times) in NAMES.iter().zip(&all) {
        println!("all rounds, {name:>17}: p50 {:.1} us, p99 {:.1} us", percentile(times, 0.5), percentile(times, 0.99));
    }
    let [direct, plain, _, _, through] = &all;
    println!(
        "added by the proxy: p50 {:.1} us, p99 {:.1} us (by a plain relay: p50 {:.1} us, p99 {:.1} us)",
        percentile(through, 0.5) - percentile(direct, 0.5),
        percentile(through, 0.99) - percentile(direct, 0.99),
        percentile(plain, 0.5) - percentile(direct, 0.5),
        percentile(plain, 0.99) - percentile(direct, 0.99),
    );
}

/// One client subscribing, then reading `pushes` pushed as fast as the server can: the
/// seconds from the end of the opening to the last push read.
fn pushed(runtime: &Runtime, address: SocketAddr, mix: &Mix, path: &str, pushes: u64) -> (Instant, f64) {
    runtime.block_on(async {
        let mut ws = connect(address, path).await;
        let expected: u64 = mix.opening.iter().map(|(_, after)| after.len() as u64).sum::<u64>() + pushes;
        for (request, _) in &mix.opening {
            ws.send(Message::text(request.clone())).await.unwrap_or_else(|e| fail(format!("send: {e}")));
        }
        let start = Instant::now();
        let mut got = 0;
        while got < expected {
            match tokio::time::timeout(LIMIT, ws.next()).await {
                Ok(Some(Ok(Message::Text(_)))) => got += 1,
                Ok(Some(Ok(_))) => {}
                _ => fail(format!("the pushes stopped after {got} of {expected}")),
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        if let Some(last) = &mix.last {
            ws.send(Message::text(last.clone())).await.unwrap_or_else(|e| fail(format!("send: {e}")));
        }
        close(ws).await;
        (start, seconds)
    })
}

fn throughput(runtime: &Runtime, upstream: SocketAddr, proxy: &InProcess, mix: &Mix, args: &Args) {
    println!("## throughput: {} market-mix pushes to one client, as fast as the server sends them", args.pushes);
    let path = format!("/push/{}", args.pushes);
    for round in 1..=args.rounds {
        wait_quiet();
        let cpu = cpu_by_thread();
        let (_, seconds) = pushed(runtime, upstream, mix, &path, args.pushes);
        println!("round {round} direct: {:.0} messages/s ({seconds:.2} s)", args.pushes as f64 / seconds);
        println!("    cpu: {}", cpu_delta(&cpu, &cpu_by_thread()));
        checked_pushes(runtime, proxy, mix, &format!("round {round} proxy "), &path, args.pushes);
    }
    println!("## throughput: market-mix pushes at a fixed rate for {} s, through the proxy", args.seconds);
    for rate in &args.paced {
        let pushes = (*rate as f64 * args.seconds) as u64;
        checked_pushes(runtime, proxy, mix, &format!("{rate}/s"), &format!("/paced/{rate}/{pushes}"), pushes);
    }
}

/// Pushes through the proxy, and what its checker made of them.
fn checked_pushes(runtime: &Runtime, proxy: &InProcess, mix: &Mix, name: &str, path: &str, pushes: u64) {
    wait_quiet();
    let cpu = cpu_by_thread();
    let (start, seconds) = pushed(runtime, proxy.address, mix, path, pushes);
    let (at, closed, codes) = proxy.closed();
    let after = cpu_by_thread();
    let checked = closed.summary.messages();
    let checking = at.duration_since(start).as_secs_f64();
    let checker_cpu =
        after.get("zenith-proxy-ch").copied().unwrap_or(0.0) - cpu.get("zenith-proxy-ch").copied().unwrap_or(0.0);
    println!(
        "{name}: relayed {:.0} messages/s ({seconds:.2} s); checked {checked} messages ({} valid, {} invalid) by the close report {checking:.2} s after the start: {:.0} messages/s, {:.0} per checker CPU second; unchecked bytes {:?}; findings {codes:?}",
        pushes as f64 / seconds,
        closed.summary.valid,
        closed.summary.invalid,
        checked as f64 / checking,
        checked as f64 / checker_cpu.max(0.01),
        closed.unchecked,
    );
    println!("    cpu: {}", cpu_delta(&cpu, &after));
}

fn main() {
    let args = args();
    let mix = Arc::new(Mix::read(&args.sample));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-peers")
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("runtime: {e}")));
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap_or_else(|e| fail(format!("bind: {e}")));
    let upstream = listener.local_addr().unwrap_or_else(|e| fail(e));
    runtime.spawn(server(listener, mix.clone()));
    println!(
        "proxy-bench: {} cores; market mix of {} pushes cycled, {} request kinds",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        mix.cycle.len(),
        mix.topics.len()
    );
    let wanted = |part: &str| args.only.as_deref().is_none_or(|only| only == part);
    if wanted("latency") || wanted("throughput") {
        let proxy = InProcess::start(upstream);
        if wanted("latency") {
            latency(&runtime, upstream, &proxy, &mix, &args);
        }
        if wanted("throughput") {
            throughput(&runtime, upstream, &proxy, &mix, &args);
        }
    }
    if wanted("memory") {
        memory::memory(&runtime, upstream, &mix, &args);
    }
}
