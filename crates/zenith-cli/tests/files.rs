//! What `zenith` reads and writes on disk: `export` and `redact` never write over the capture
//! they read, never claim output that went nowhere, leave nothing behind when interrupted;
//! `check` walks each directory once, reads only regular files found in one (each once, through
//! links only on the directory's file system) and reports a directory it cannot read.

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any run may take: one still going then is killed and the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

const SAMPLE: &str = "examples/captures/auth-session.jsonl";

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    test_kit::fresh_dir(&format!("files-{test}"))
}

fn zenith() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zenith"));
    command.current_dir(test_kit::root()).stdin(Stdio::null());
    command
}

/// `script` run by `sh`, with `$0` the `zenith` binary and `$1`... the `args`.
fn shell(script: &str, args: &[&Path]) -> Command {
    let mut command = Command::new("sh");
    command.current_dir(test_kit::root()).stdin(Stdio::null()).arg("-c").arg(script).arg(env!("CARGO_BIN_EXE_zenith"));
    command.args(args);
    command
}

struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs `command` to its end, within [`PATIENCE`].
fn run(mut command: Command) -> Run {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait(&mut child);
    Run { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Waits for `child`, within [`PATIENCE`].
fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `lines` HAR-style JSON Lines items, each with a password of its own.
fn capture(lines: usize) -> String {
    (0..lines)
        .map(|n| {
            format!(
                "{{\"conn\":\"c{}\",\"type\":\"send\",\"time\":{n},\"opcode\":1,\"data\":\"{{\\\"Controller\\\":\\\"Auth\\\",\\\"Topic\\\":\\\"AuthOwner\\\",\\\"TransactionID\\\":{n},\\\"Data\\\":{{\\\"Provider\\\":\\\"Paritech\\\",\\\"Password\\\":\\\"pw-Kilo-{n}\\\"}}}}\"}}\n",
                n % 3
            )
        })
        .collect()
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// What `zenith COMMAND IN` writes to standard output.
fn written(command: &str, input: &Path) -> String {
    let reference = run({
        let mut c = zenith();
        c.args([command, input.to_str().unwrap()]);
        c
    });
    assert_eq!(reference.code(), Some(0), "{}", reference.stderr);
    reference.stdout
}

#[test]
fn export_and_redact_write_over_their_own_input_losing_nothing() {
    let dir = scratch("over-input");
    let original = capture(5_000);
    let pristine = dir.join("pristine.jsonl");
    std::fs::write(&pristine, &original).unwrap();
    for command in ["export", "redact"] {
        let expected = written(command, &pristine);
        assert_eq!(expected.lines().count(), 5_000);
        // OUT is IN; OUT is a link to IN; OUT is another name (hard link) of IN.
        let path = dir.join(format!("{command}.jsonl"));
        let link = dir.join(format!("{command}-link.jsonl"));
        let other_name = dir.join(format!("{command}-hard.jsonl"));
        std::fs::write(&path, &original).unwrap();
        std::os::unix::fs::symlink(&path, &link).unwrap();
        std::fs::hard_link(&path, &other_name).unwrap();
        for (input, output) in [(&path, &path), (&path, &link), (&link, &link), (&path, &other_name)] {
            std::fs::write(&path, &original).unwrap();
            let mut c = zenith();
            c.args([command, input.to_str().unwrap(), "-o", output.to_str().unwrap()]);
            let run = run(c);
            assert_eq!(run.code(), Some(0), "{command} {input:?} -o {output:?}: {}", run.stderr);
            assert!(
                text(output) == expected,
                "{command} {input:?} -o {output:?}: {} lines",
                text(output).lines().count()
            );
        }
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        // The hard link was replaced by a file of its own: the other name keeps the capture.
        assert_eq!(text(&path), original);
    }
    let leftovers: Vec<String> = names(&dir).into_iter().filter(|n| n.ends_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn standard_output_that_is_the_input_is_refused() {
    let dir = scratch("stdout-is-input");
    let original = capture(200);
    let path = dir.join("capture.jsonl");
    for (command, script) in [
        ("export", "exec \"$0\" export \"$1\" >> \"$1\""),
        ("redact", "exec \"$0\" redact \"$1\" >> \"$1\""),
        ("export -", "exec \"$0\" export - < \"$1\" >> \"$1\""),
        ("redact -", "exec \"$0\" redact - < \"$1\" >> \"$1\""),
    ] {
        std::fs::write(&path, &original).unwrap();
        let run = run(shell(script, &[&path]));
        assert_eq!(run.code(), Some(2), "{command}: {}", run.stderr);
        assert!(run.stderr.contains("standard output is the capture being read"), "{command}: {}", run.stderr);
        assert!(text(&path) == original, "{command}: the capture is untouched");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_or_full_standard_output_is_an_error_not_a_success() {
    for (redirect, error) in [(">&-", "standard output is closed"), ("> /dev/full", "No space left on device")] {
        for command in ["export", "redact"] {
            let run = run(shell(&format!("exec \"$0\" {command} {SAMPLE} {redirect}"), &[]));
            let what = format!("{command} {redirect}: {}", run.stderr);
            assert_eq!(run.code(), Some(2), "{what}");
            assert!(run.stderr.contains(error), "{what}");
            assert!(!run.stderr.contains("messages written") && !run.stderr.contains("replaced"), "{what}");
        }
    }
}

/// Makes a named pipe at `path`.
fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string, only read.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo {path:?}");
}

#[test]
fn a_pipe_closed_by_its_reader_ends_quietly_without_claiming_success() {
    let dir = scratch("closed-pipe");
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    // The shell opens the pipe at both ends, then closes the reading one, so zenith's standard
    // output is a pipe nobody reads from its start (and no other process holds the other end).
    let script = "exec 3<>\"$1\" 4>\"$1\" 3<&-; exec \"$0\" \"$2\" \"$3\" >&4 4>&-";
    for command in ["export", "redact"] {
        let run = run(shell(script, &[&fifo, Path::new(command), Path::new(SAMPLE)]));
        // As for `check`: the reader chose to stop, which is no failure of zenith's.
        assert_eq!(run.code(), Some(0), "{command}: {}", run.stderr);
        assert!(run.stderr.is_empty(), "{command}: nothing claims the capture was written: {}", run.stderr);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Starts `zenith COMMAND - -o OUT` on a pipe kept open, so that it is surely still running
/// when signalled, and waits for its temporary file to appear beside OUT. It starts with the
/// default action for SIGINT and SIGTERM, and with SIGHUP ignored if `nohup`.
fn running_into(command: &str, out: &Path, nohup: bool) -> Child {
    use std::os::unix::process::CommandExt;
    let mut zenith = zenith();
    zenith.args([command, "-", "-o", out.to_str().unwrap()]).stdin(Stdio::piped()).stdout(Stdio::null());
    let hangup = if nohup { libc::SIG_IGN } else { libc::SIG_DFL };
    // SAFETY: only async-signal-safe calls, in the child before it runs zenith.
    unsafe {
        zenith.pre_exec(move || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::signal(libc::SIGHUP, hangup);
            Ok(())
        })
    };
    let mut child = zenith.stderr(Stdio::null()).spawn().unwrap();
    child.stdin.as_mut().unwrap().write_all(capture(50).as_bytes()).unwrap();
    let dir = out.parent().unwrap();
    let deadline = Instant::now() + PATIENCE;
    let name = out.file_name().unwrap().to_str().unwrap();
    while names(dir).iter().all(|n| n == name) {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command}: no temporary file beside {out:?} after {PATIENCE:?}: {:?}", names(dir));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn an_interrupted_output_leaves_the_old_file_and_no_temporary_one() {
    let dir = scratch("interrupted");
    let out = dir.join("out.jsonl");
    for command in ["redact", "export"] {
        for signal in [libc::SIGTERM, libc::SIGINT] {
            std::fs::write(&out, "old contents\n").unwrap();
            let mut child = running_into(command, &out, false);
            // SAFETY: a signal sent to the child started here, by its id.
            assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
            let status = wait(&mut child);
            assert_eq!(status.signal(), Some(signal), "{command}: ended by the signal, as the shell reports: {status}");
            assert_eq!(names(&dir), ["out.jsonl"], "{command}, signal {signal}: no temporary file is left");
            assert_eq!(text(&out), "old contents\n", "{command}, signal {signal}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The signals set in the `field` (`SigCgt:` caught, `SigIgn:` ignored) of a process's status.
fn signals(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let mask = status.lines().find_map(|l| l.strip_prefix(field)).unwrap().trim();
    u64::from_str_radix(mask, 16).unwrap()
}

fn bit(signal: libc::c_int) -> u64 {
    1 << (signal - 1)
}

#[test]
fn a_hangup_ignored_as_under_nohup_stays_ignored() {
    let dir = scratch("nohup");
    let out = dir.join("out.jsonl");
    let mut child = running_into("redact", &out, true);
    let caught = signals(child.id(), "SigCgt:");
    assert!(caught & bit(libc::SIGTERM) != 0, "zenith watches for interruptions");
    assert!(caught & bit(libc::SIGHUP) == 0 && signals(child.id(), "SigIgn:") & bit(libc::SIGHUP) != 0);
    // SAFETY: a signal sent to the child started here, by its id.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGHUP) }, 0);
    drop(child.stdin.take());
    let status = wait(&mut child);
    assert_eq!(status.code(), Some(0), "{status}");
    assert_eq!(text(&out).matches("<redacted>").count(), 50);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The summary and the per-file records of `zenith check --format json DIR`.
fn checked(dir: &Path) -> (Run, Vec<String>, Value) {
    checked_by(zenith(), dir)
}

/// [`checked`], with `zenith` run by `c`.
fn checked_by(mut c: Command, dir: &Path) -> (Run, Vec<String>, Value) {
    c.args(["check", "--format", "json", dir.to_str().unwrap()]);
    let run = run(c);
    let records: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let files = records.iter().filter_map(|r| r["file"]["source"].as_str().map(str::to_owned)).collect();
    let summary = records.last().map(|r| r["summary"].clone()).unwrap_or_default();
    (run, files, summary)
}

#[test]
fn a_directory_is_walked_once_however_many_links_lead_back_into_it() {
    let dir = scratch("loops");
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("a.jsonl")).unwrap();
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("b/b.jsonl")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("b/itself")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("b/up")).unwrap();
    std::os::unix::fs::symlink("b", dir.join("c")).unwrap();
    let (run, files, summary) = checked(&dir);
    assert_eq!(run.code(), Some(1), "the sample's one invalid message: {}", run.stderr);
    assert_eq!(files, [format!("{}/a.jsonl", dir.display()), format!("{}/b/b.jsonl", dir.display())]);
    assert_eq!(summary["read"], 34, "each capture once");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pipes_and_devices_in_a_directory_are_skipped_with_a_warning() {
    let dir = scratch("specials");
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("a.jsonl")).unwrap();
    mkfifo(&dir.join("fifo.jsonl"));
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.jsonl")).unwrap();
    std::os::unix::fs::symlink("nowhere.jsonl", dir.join("broken.jsonl")).unwrap();
    let (run, _, summary) = checked(&dir);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert_eq!(summary["read"], 17, "the one regular capture");
    for (name, why) in [("fifo.jsonl", "a named pipe"), ("zero.jsonl", "a device"), ("broken.jsonl", "No such file")] {
        let line = run.stderr.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name}: {}", run.stderr));
        assert!(line.contains("skipped") && line.contains(why), "{line}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unreadable_subdirectory_is_reported_and_the_other_captures_checked() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = scratch("unreadable");
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("a.jsonl")).unwrap();
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("b/b.jsonl")).unwrap();
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("c.jsonl")).unwrap();
    std::fs::set_permissions(dir.join("b"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Permissions do not stop root, so as root the check runs as the unprivileged `nobody`.
    let c = if std::fs::metadata(&dir).unwrap().uid() == 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--", env!("CARGO_BIN_EXE_zenith")]).current_dir(test_kit::root()).stdin(Stdio::null());
        c
    } else {
        zenith()
    };
    let (run, files, summary) = checked_by(c, &dir);
    std::fs::set_permissions(dir.join("b"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(run.code(), Some(2), "unreadable input: {}", run.stderr);
    assert_eq!(files, [format!("{}/a.jsonl", dir.display()), format!("{}/c.jsonl", dir.display())]);
    assert_eq!(summary["read"], 34, "both readable captures");
    let warning = format!("zenith: {}/b: cannot read the directory: Permission denied (os error 13)\n", dir.display());
    assert_eq!(run.stderr, warning);
    let error = run.stdout.lines().find(|l| l.starts_with("{\"error\"")).expect("an error record");
    let error: Value = serde_json::from_str(error).unwrap();
    assert_eq!(error["error"]["code"], "unreadable-input");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn links_in_a_directory_lead_only_to_regular_files_on_its_file_system() {
    let dir = scratch("links-out");
    let elsewhere = scratch("links-out-elsewhere");
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("a.jsonl")).unwrap();
    std::fs::copy(test_kit::root().join(SAMPLE), elsewhere.join("b.jsonl")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("other")).unwrap();
    std::os::unix::fs::symlink("/proc", dir.join("proc")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", dir.join("environ.jsonl")).unwrap();
    let (run, _, summary) = checked(&dir);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert_eq!(summary["read"], 17, "a.jsonl only");
    for (name, why) in [
        ("other", "a link to a directory"),
        ("proc", "a link to a directory"),
        ("environ.jsonl", "another file system"),
    ] {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(&format!("/{name}:")))
            .unwrap_or_else(|| panic!("{name}: {}", run.stderr));
        assert!(line.contains("skipped") && line.contains(why), "{line}");
    }
    assert_eq!(run.stderr.lines().count(), 3, "{}", run.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&elsewhere).unwrap();
}

#[test]
fn a_capture_reached_through_a_link_beside_it_is_checked_once() {
    let dir = scratch("file-link");
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("x.jsonl")).unwrap();
    std::os::unix::fs::symlink("x.jsonl", dir.join("link.jsonl")).unwrap();
    let (run, files, summary) = checked(&dir);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert!(files.is_empty(), "one capture, so no per-file totals: {files:?}");
    assert_eq!(summary["read"], 17, "checked once");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_capture_named_again_or_inside_a_directory_named_is_checked_once() {
    let dir = scratch("named-twice");
    std::fs::copy(test_kit::root().join(SAMPLE), dir.join("x.jsonl")).unwrap();
    let (file, folder) = (dir.join("x.jsonl"), dir.to_str().unwrap().to_owned());
    let mut c = zenith();
    c.args(["check", "--format", "json", &folder, file.to_str().unwrap(), &folder]);
    let run = run(c);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    let last: Value = serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["read"], 17, "checked once: {}", run.stdout);
    assert!(!run.stderr.contains("holds no capture"), "{}", run.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_pipe_named_on_the_command_line_is_read_as_standard_input_is() {
    let dir = scratch("named-pipe");
    let path = dir.join("pipe.jsonl");
    mkfifo(&path);
    for command in ["check", "export", "redact"] {
        let mut feeder = Command::new("sh")
            .arg("-c")
            .arg("cat \"$0\" > \"$1\"")
            .arg(test_kit::root().join(SAMPLE))
            .arg(&path)
            .spawn()
            .unwrap();
        let mut c = zenith();
        c.args([command, path.to_str().unwrap()]);
        let run = run(c);
        let _ = feeder.kill();
        let _ = feeder.wait();
        match command {
            "check" => assert!(run.stdout.contains("17 frames read"), "{}", run.stderr),
            "export" => assert_eq!(run.stdout.lines().count(), 17, "{}", run.stderr),
            _ => assert!(run.code() == Some(0) && run.stdout.contains("<redacted>"), "{}", run.stderr),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn export_and_redact_take_one_capture_not_a_directory() {
    let dir = scratch("not-a-directory");
    for command in ["export", "redact"] {
        let mut c = zenith();
        c.args([command, dir.to_str().unwrap()]);
        let run = run(c);
        assert_eq!(run.code(), Some(2), "{}", run.stderr);
        assert!(run.stderr.contains("a directory, not a capture file"), "{command}: {}", run.stderr);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
