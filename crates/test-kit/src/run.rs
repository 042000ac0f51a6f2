//! Running a command to its end with bytes on its standard input, and reading its JSON records.

use std::io::Write;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::Value;

/// What a finished command printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// The exit code; a command killed by a signal fails the test instead.
    pub code: i32,
    pub status: ExitStatus,
}

/// Runs `command` to its end, its standard input fed `stdin` (and then closed) from another
/// thread, and its output collected. Panics when it cannot be started, prints text that is not
/// UTF-8 or is killed by a signal.
pub fn run(command: &mut Command, stdin: Option<&[u8]>) -> Run {
    fed(command, stdin, false)
}

/// [`run`], with `stdin` handed over a byte at first, then after a pause the rest: as a slow pipe
/// delivers it.
pub fn run_slowly(command: &mut Command, stdin: &[u8]) -> Run {
    fed(command, Some(stdin), true)
}

fn fed(command: &mut Command, stdin: Option<&[u8]>, slowly: bool) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
    let mut input = child.stdin.take().expect("standard input is piped");
    let data = stdin.map(<[u8]>::to_vec);
    let writer = std::thread::spawn(move || {
        let Some(data) = data else { return };
        let first = if slowly { data.len().min(1) } else { data.len() };
        // The command may stop reading early; what it did with its input is for the test to see.
        let _ = input.write_all(&data[..first]).and_then(|()| input.flush());
        if slowly {
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = input.write_all(&data[first..]);
    });
    let output = child.wait_with_output().expect("the command's output is collected");
    writer.join().expect("the writer thread ends");
    let code = output.status.code().unwrap_or_else(|| panic!("{command:?} ended by a signal: {}", output.status));
    Run {
        stdout: String::from_utf8(output.stdout).expect("standard output is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("standard error is UTF-8"),
        code,
        status: output.status,
    }
}

/// The records of `zenith check --format json` output, one JSON value a line, and the final
/// summary (the last record's `summary`). Panics when a line is not JSON or the last record is
/// not a summary.
pub fn records(stdout: &str) -> (Vec<Value>, Value) {
    let mut lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a record that is not JSON ({e}): {l}")))
        .collect();
    let summary = lines.pop().expect("a summary record")["summary"].clone();
    assert!(summary.is_object(), "last record is the summary: {stdout}");
    (lines, summary)
}
