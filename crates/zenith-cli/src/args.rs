//! Values of options that several commands share: thread counts and durations.

/// The most threads `--jobs` accepts: enough for any machine, few enough to start them all.
pub const MAX_JOBS: usize = 256;

/// The number of CPUs, within the bounds of `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from).min(MAX_JOBS)
}

/// Parses `--jobs`.
pub fn jobs(text: &str) -> Result<usize, String> {
    let jobs = text.parse::<usize>().ok().filter(|n| (1..=MAX_JOBS).contains(n));
    jobs.ok_or_else(|| format!("the number of threads must be a whole number from 1 to {MAX_JOBS}"))
}

/// Parses a number of seconds, 0 or more.
pub fn seconds(text: &str) -> Result<f64, String> {
    let seconds = text.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0);
    seconds.ok_or_else(|| "give a number of seconds, 0 or more (0: never)".to_owned())
}
