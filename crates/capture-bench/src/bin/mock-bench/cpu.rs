//! CPU time read from /proc: one thread's (in nanoseconds), this process's threads by name, and the machine's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the calling thread's entries are, so that another thread can read its CPU time later.
pub(crate) fn this_thread() -> Option<PathBuf> {
    // `/proc/thread-self` points at `/proc/PID/task/TID` for whichever thread reads it.
    std::fs::read_link("/proc/thread-self")
        .ok()
        .map(|link| Path::new("/proc").join(link.strip_prefix("/proc").unwrap_or(&link)))
}

/// The CPU seconds a thread has used, from its `schedstat` (nanoseconds on the CPU), or its
/// `stat` (clock ticks) where the kernel keeps no schedstat.
pub(crate) fn thread_seconds(task: &Path) -> f64 {
    if let Some(ns) = std::fs::read_to_string(task.join("schedstat"))
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
    {
        return ns as f64 / 1e9;
    }
    std::fs::read_to_string(task.join("stat")).map_or(0.0, |stat| stat_ticks(&stat) / 100.0)
}

/// utime + stime of a `stat` line, in clock ticks.
fn stat_ticks(stat: &str) -> f64 {
    let Some(close) = stat.rfind(')') else { return 0.0 };
    // After the name: state is field 3 of the line, utime and stime fields 14 and 15.
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|t| t.parse::<f64>().ok()).sum())
}

/// A reading of the CPU used so far: by each of this process's threads (by name), by the whole
/// machine, and taken by the hypervisor (steal), in seconds.
#[derive(Clone, Default)]
pub(crate) struct Reading {
    threads: BTreeMap<String, f64>,
    machine: f64,
    steal: f64,
}

pub(crate) fn read() -> Reading {
    let mut reading = Reading::default();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_owned();
            *reading.threads.entry(name).or_insert(0.0) += thread_seconds(&task.path());
        }
    }
    // The first line of /proc/stat: user nice system idle iowait irq softirq steal, in ticks.
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|t| t.parse().ok()).collect();
    if ticks.len() >= 8 {
        reading.machine = (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / 100.0;
        reading.steal = ticks[7] / 100.0;
    }
    reading
}

impl Reading {
    /// Seconds a thread of this name used since `before`.
    pub(crate) fn thread_since(&self, before: &Reading, name: &str) -> f64 {
        self.threads.get(name).copied().unwrap_or(0.0) - before.threads.get(name).copied().unwrap_or(0.0)
    }

    /// Seconds other processes used since `before` (interrupts included; 10 ms resolution),
    /// and seconds the hypervisor took.
    pub(crate) fn others_since(&self, before: &Reading) -> (f64, f64) {
        let own: f64 = self.threads.keys().map(|name| self.thread_since(before, name)).sum();
        ((self.machine - before.machine - own).max(0.0), self.steal - before.steal)
    }
}

/// Waits (`limit` seconds at most) for a second in which other processes use less than a tenth
/// of a CPU second; says so when they never do.
pub(crate) fn wait_quiet(limit: f64) {
    let started = std::time::Instant::now();
    while started.elapsed().as_secs_f64() < limit {
        let before = read();
        std::thread::sleep(std::time::Duration::from_secs(1));
        if read().others_since(&before).0 < 0.1 {
            return;
        }
    }
    if limit > 0.0 {
        println!("    (other processes kept the machine busy for {limit} s: measured all the same)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_user_plus_system_ticks_even_with_spaces_in_the_name() {
        let line = "42 (a b) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100 0 0";
        assert_eq!(stat_ticks(line), 300.0);
        assert_eq!(stat_ticks("garbage"), 0.0);
    }

    #[test]
    fn this_thread_is_found_and_its_time_read() {
        let task = this_thread().expect("/proc/thread-self");
        assert!(task.starts_with("/proc"), "{task:?}");
        let mut spin = 0u64;
        for i in 0..2_000_000u64 {
            spin = spin.wrapping_add(i * i);
        }
        assert!(spin > 0);
        assert!(thread_seconds(&task) > 0.0);
    }
}
