//! A `zenith` server command (`proxy`, `mock`) run as a process: its address learnt from what it
//! prints, its output collected as it comes, and its end awaited, every wait bounded.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Run;

/// The longest any wait on a served process may take.
const LIMIT: Duration = Duration::from_secs(20);

/// A running server command.
pub struct Serving {
    pub child: Child,
    /// Where it listens, as it said on standard error (`listening on ws://ADDR/`).
    pub address: SocketAddr,
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// A thread that copies `from` into `into` line by line, telling `lines` each line too.
fn collect(
    from: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<String>>,
    lines: Option<std::sync::mpsc::Sender<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(from).lines().map_while(Result::ok) {
            into.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(lines) = &lines {
                let _ = lines.send(line);
            }
        }
    })
}

impl Serving {
    /// Starts `command` (which listens on port 0) and learns its port from its standard error.
    pub fn start(command: &mut Command) -> Serving {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
        let (stdout, stderr) = (Arc::new(Mutex::new(String::new())), Arc::new(Mutex::new(String::new())));
        let (lines, listening) = std::sync::mpsc::channel();
        let readers = vec![
            collect(child.stdout.take().expect("piped"), stdout.clone(), None),
            collect(child.stderr.take().expect("piped"), stderr.clone(), Some(lines)),
        ];
        let deadline = Instant::now() + LIMIT;
        let address = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = listening.recv_timeout(left) else {
                let _ = child.kill();
                panic!("no `listening on` line: {}", stderr.lock().unwrap());
            };
            if let Some(rest) = line.split("listening on ws://").nth(1) {
                break rest.split('/').next().unwrap().parse().expect("the listening address");
            }
        };
        Serving { child, address, stdout, stderr, readers }
    }

    /// Waits (bounded) until standard output holds `needle`.
    pub fn wait_stdout(&self, needle: &str) {
        let deadline = Instant::now() + LIMIT;
        while !self.stdout.lock().unwrap().contains(needle) {
            assert!(Instant::now() < deadline, "no {needle:?} on stdout: {}", self.stdout.lock().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on the child this test started and has not reaped yet.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    /// Waits (bounded) for the process to exit by itself.
    pub fn finish(mut self) -> Run {
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the process did not exit: {}", self.stderr.lock().unwrap());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        let text = |shared: &Arc<Mutex<String>>| shared.lock().unwrap().clone();
        Run { code: status.code().unwrap_or(-1), stdout: text(&self.stdout), stderr: text(&self.stderr), status }
    }
}
