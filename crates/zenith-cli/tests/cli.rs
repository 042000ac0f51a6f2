//! `zenith check` end to end: the shipped samples, real HAR files from other tools, and every
//! class of bad input. Nothing panics, nothing is lost, no credential is printed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn zenith(args: &[&str], stdin: Option<&[u8]>) -> Run {
    zenith_fed(args, stdin, false)
}

/// Runs `zenith` with `stdin` handed over a byte, then a pause, then the rest: as a slow pipe
/// delivers it.
fn zenith_on_a_slow_pipe(args: &[&str], stdin: &[u8]) -> Run {
    zenith_fed(args, Some(stdin), true)
}

fn zenith_fed(args: &[&str], stdin: Option<&[u8]>, slowly: bool) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zenith"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.map(<[u8]>::to_vec);
    let writer = std::thread::spawn(move || {
        let Some(data) = data else { return };
        let first = if slowly { data.len().min(1) } else { data.len() };
        let _ = input.write_all(&data[..first]).and_then(|()| input.flush());
        if slowly {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let _ = input.write_all(&data[first..]);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
        code: output.status.code().unwrap(),
    }
}

/// The NDJSON records and the final summary of a `--format json` run.
fn records(run: &Run) -> (Vec<Value>, Value) {
    let mut lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = lines.pop().expect("a summary record")["summary"].clone();
    assert!(summary.is_object(), "last record is the summary: {}", run.stdout);
    (lines, summary)
}

fn assert_balanced(summary: &Value) {
    let n = |k: &str| summary[k].as_u64().unwrap();
    let states = n("valid") + n("with_warnings") + n("invalid") + n("unreadable") + n("skipped");
    assert_eq!(n("read"), states, "{summary}");
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zenith-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const KEYS: [&str; 17] = [
    "source",
    "conn",
    "index",
    "line",
    "packet",
    "time",
    "direction",
    "controller",
    "topic",
    "action",
    "severity",
    "code",
    "instance_path",
    "schema_path",
    "message",
    "excerpt",
    "related",
];

#[test]
fn human_output_on_the_jsonl_sample() {
    let run = zenith(&["check", "examples/captures/auth-session.jsonl"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn json_output_on_the_har_sample() {
    let run = zenith(&["check", "--format", "json", "examples/captures/auth-session.har"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (records, summary) = records(&run);
    for record in &records {
        let keys: Vec<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, KEYS);
    }
    assert_balanced(&summary);
    assert_eq!(summary["read"], 17);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn har_and_jsonl_samples_give_the_same_verdicts() {
    let codes = |file: &str| {
        let run = zenith(&["check", "--format", "json", file], None);
        let (records, summary) = records(&run);
        let codes: Vec<(u64, String)> =
            records.iter().map(|r| (r["index"].as_u64().unwrap(), r["code"].as_str().unwrap().to_owned())).collect();
        (codes, summary["valid"].clone(), summary["invalid"].clone())
    };
    assert_eq!(codes("examples/captures/auth-session.har"), codes("examples/captures/auth-session.jsonl"));
}

#[test]
fn secrets_never_appear_in_any_output() {
    for format in ["human", "json"] {
        for file in ["examples/captures/auth-session.har", "examples/captures/auth-session.jsonl"] {
            let run = zenith(&["check", "--format", format, file], None);
            for secret in ["Insect", "c2Vzc2lvbi10b2tlbi1mb3Itc2hvZGFu", "cmVmcmVzaGVkLXRva2VuLWZvci1zaG9kYW4="] {
                assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{format} {file} leaks {secret}");
            }
        }
    }
}

#[test]
fn real_har_files_from_other_tools_lose_nothing() {
    let dir = repo().join("../shared/fixtures/har");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: ../shared/fixtures is not beside the checkout");
        return;
    };
    let mut checked = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "har") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let har: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap();
        let entries = har["log"]["entries"].as_array().unwrap();
        let messages: usize = entries.iter().filter_map(|e| e["_webSocketMessages"].as_array()).map(Vec::len).sum();
        let websocket = entries.iter().filter(|e| e["_resourceType"] == "websocket").count();
        let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
        assert_ne!(run.code, 2, "{}: {}", path.display(), run.stderr);
        let (_, summary) = records(&run);
        assert_eq!(summary["read"], messages as u64, "{}", path.display());
        assert_eq!(summary["http_entries"], (entries.len() - websocket) as u64, "{}", path.display());
        assert_balanced(&summary);
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn lines_that_are_not_json_are_located_and_checking_continues() {
    let text = b"{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":1}\nhello there\n\n{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":1,\"Data\":{\"Result\":\"Success\"}}\n{\"Controller\":\"Auth\",\"To";
    let path = temp_file("not-json.jsonl", text);
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    assert_eq!(run.code, 1);
    let (records, summary) = records(&run);
    let unreadable: Vec<(u64, &str)> = records
        .iter()
        .filter(|r| r["code"] == "not-json")
        .map(|r| (r["line"].as_u64().unwrap(), r["message"].as_str().unwrap()))
        .collect();
    assert_eq!(unreadable.len(), 2, "{records:?}");
    assert_eq!(unreadable[0].0, 2);
    assert!(unreadable[0].1.starts_with("the message is not JSON"), "{}", unreadable[0].1);
    assert_eq!(unreadable[1].0, 5, "the truncated last line");
    assert_eq!(summary["read"], 5);
    assert_eq!(summary["valid"], 2);
    assert_eq!(summary["blank_lines"], 1);
    assert_eq!(summary["direction_inferred"], 2);
    assert_eq!(summary["replies"], 1, "the request and its reply pair up with inferred directions");
    assert_balanced(&summary);
}

#[test]
fn wrong_types_are_reported_where_they_are() {
    let text = b"{\"Controller\":5,\"Topic\":\"AuthOwner\"}\n{\"type\":\"send\",\"data\":\"{\\\"Controller\\\":\\\"Auth\\\",\\\"Topic\\\":\\\"AuthOwner\\\",\\\"Data\\\":{\\\"Provider\\\":1,\\\"ClientID\\\":\\\"c\\\",\\\"Password\\\":12345}}\"}\n[1,2]\n";
    let path = temp_file("wrong-types.jsonl", text);
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (records, summary) = records(&run);
    let found: Vec<(u64, &str, &str)> = records
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap(), r["instance_path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            (1, "bad-envelope", ""),
            (2, "wrong-type", "/Data/Provider"),
            (2, "wrong-type", "/Data/Password"),
            (3, "bad-envelope", ""),
        ]
    );
    assert!(!run.stdout.contains("12345"), "a wrong-typed password is still a password");
    assert_eq!(summary["invalid"], 3);
    assert_balanced(&summary);
}

#[test]
fn deep_nesting_is_refused_without_crashing() {
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let line = format!("{{\"Controller\":\"Auth\",\"Topic\":\"Identify\",\"Data\":{deep}}}\n");
    let as_item = serde_json::json!({"type": "receive", "time": 1.0, "opcode": 1, "data": line.trim_end()}).to_string();
    let path = temp_file("deep.jsonl", format!("{line}{as_item}\n").as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (records, summary) = records(&run);
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(records.iter().all(|r| r["message"].as_str().unwrap().contains("recursion limit")), "{records:?}");
    assert_eq!(summary["unreadable"], 2);
    assert_balanced(&summary);

    let har = format!("{{\"log\":{{\"entries\":[{deep}]}}}}");
    let path = temp_file("deep.har", har.as_bytes());
    let run = zenith(&["check", path.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("malformed at line 1"), "{}", run.stderr);
}

#[test]
fn a_fifty_megabyte_frame_is_checked_and_the_line_limit_holds() {
    let big = "x".repeat(50 * 1024 * 1024);
    let line = format!(
        "{{\"Controller\":\"Zenith\",\"Topic\":\"ServerInfo\",\"Data\":{{\"Name\":\"{big}\",\"Class\":\"FeedProxy\",\"Version\":\"1\",\"Protocol\":\"2.0\"}}}}\n"
    );
    let path = temp_file("big.jsonl", line.as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_, summary) = records(&run);
    // Valid, but pushed with no subscription seen: a warning.
    assert_eq!((summary["invalid"].as_u64(), summary["with_warnings"].as_u64()), (Some(0), Some(1)));

    let run = zenith(&["check", "--format", "json", "--max-line-bytes", "1000000", path.to_str().unwrap()], None);
    let (records, summary) = records(&run);
    assert_eq!(summary["unreadable"], 1);
    assert!(records[0]["message"].as_str().unwrap().contains("over the limit of 1000000 bytes"));
    assert_balanced(&summary);
}

#[test]
fn invalid_utf8_is_located() {
    let path = temp_file("utf8.jsonl", b"{\"Controller\":\"Zenith\",\"Topic\":\"Ser\xffverInfo\"}\n");
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (records, summary) = records(&run);
    assert_eq!(records[0]["line"], 1);
    assert!(records[0]["message"].as_str().unwrap().contains("not valid UTF-8"));
    assert_eq!(summary["unreadable"], 1);
}

#[test]
fn a_capture_without_messages_is_refused_with_its_own_exit_code() {
    for (name, bytes) in [
        ("empty.jsonl", &b""[..]),
        ("blank.jsonl", b"\n\n"),
        ("no-websocket.har", br#"{"log":{"version":"1.2","entries":[{"request":{"url":"https://x.invalid/"},"response":{"status":200}}]}}"#),
    ] {
        let path = temp_file(name, bytes);
        let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
        assert_eq!(run.code, 3, "{name}");
        assert!(run.stderr.contains("no websocket messages found: is this the right export?"), "{name}: {}", run.stderr);
        let (records, summary) = records(&run);
        assert!(records.is_empty());
        assert_eq!(summary["valid"], 0);
    }
    // Protocol errors elsewhere still say 1.
    let empty = temp_file("empty-again.jsonl", b"");
    let broken = temp_file("broken.jsonl", br#"{"Controller":"Auth","Topic":"AuthOwner","Data":{}}"#);
    let run = zenith(&["check", empty.to_str().unwrap(), broken.to_str().unwrap()], None);
    assert_eq!(run.code, 1);
}

#[test]
fn strict_fails_on_warnings() {
    let unknown = temp_file("unknown.jsonl", b"{\"Controller\":\"Notify\",\"Topic\":\"QueryScanz\"}\n");
    let warned =
        temp_file("warned.jsonl", br#"{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":1,"Extra":1}"#);
    let clean = temp_file(
        "clean.jsonl",
        br#"{"type":"send","data":"{\"Controller\":\"Auth\",\"Topic\":\"Identify\",\"Action\":\"Sub\"}"}
{"type":"receive","data":"{\"Controller\":\"Auth\",\"Topic\":\"Identify\",\"Data\":{\"Result\":\"Reject\"}}"}"#,
    );
    for (path, plain, strict) in [(&unknown, 1, 1), (&warned, 0, 1), (&clean, 0, 0)] {
        let path = path.to_str().unwrap();
        assert_eq!(zenith(&["check", path], None).code, plain, "{path}");
        assert_eq!(zenith(&["check", "--strict", "--format", "json", path], None).code, strict, "{path}");
        assert_eq!(zenith(&["check", "--deny-warnings", path], None).code, strict, "{path}");
    }
    // Every controller has its schemas: a topic none of them has is an error, not a remark.
    let run = zenith(&["check", "--format", "json", unknown.to_str().unwrap()], None);
    let (found, summary) = records(&run);
    assert_eq!((found[0]["code"].as_str(), found[0]["severity"].as_str()), (Some("unknown-topic"), Some("error")));
    assert!(found[0]["message"].as_str().unwrap().contains("did you mean `QueryScan`?"), "{}", found[0]);
    assert_eq!((summary["valid"].as_u64(), summary["invalid"].as_u64()), (Some(0), Some(1)));
    assert!(summary.get("not_covered").is_none(), "{summary}");
}

#[test]
fn every_message_is_in_exactly_one_state_and_findings_are_counted_by_code() {
    let lines = [
        r#"{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":1}"#,
        r#"{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":2,"Extra":1}"#,
        r#"{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":"x"}"#,
        r#"{"Controller":"Notify","Topic":"QueryScans","TransactionID":4}"#,
        r#"{"Controller":"Notify","Topic":7}"#,
        "not json",
        "",
    ];
    let path = temp_file("states.jsonl", (lines.join("\n") + "\n").as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (_, summary) = records(&run);
    let n = |key: &str| summary[key].as_u64().unwrap();
    assert_eq!(
        (n("read"), n("valid"), n("with_warnings"), n("invalid"), n("unreadable"), n("skipped")),
        (7, 2, 1, 2, 1, 1),
        "{summary}"
    );
    assert_balanced(&summary);
    let total: u64 = summary["findings"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert!(total >= 5, "{summary}");
    assert_eq!(summary["findings"]["not-json"], 1);
    let human = zenith(&["check", path.to_str().unwrap()], None);
    assert!(
        human.stdout.contains("7 frames read: 2 valid, 1 with warnings, 2 invalid, 1 unreadable, 1 skipped"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_har_that_is_not_har_is_refused() {
    let path = temp_file("no-entries.har", b"{\"log\": {\"version\": \"1.2\"}}");
    let run = zenith(&["check", path.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a HAR file: it has no `log.entries` array"), "{}", run.stderr);

    let path = temp_file("array.har", b"[1, 2, 3]");
    let run = zenith(&["check", "--input", "har", path.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a HAR file"), "{}", run.stderr);

    let sample = std::fs::read(repo().join("examples/captures/auth-session.har")).unwrap();
    let path = temp_file("truncated.har", &sample[..sample.len() / 2]);
    let run = zenith(&["check", path.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("malformed at line"), "{}", run.stderr);
}

#[test]
fn a_bom_is_accepted_and_stdin_works() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(repo().join("examples/captures/auth-session.har")).unwrap());
    let run = zenith(&["check", "--format", "json", "-"], Some(&bytes));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (records, summary) = records(&run);
    assert_eq!(summary["read"], 17);
    assert_eq!(records[0]["source"], "-");
}

#[test]
fn warnings_fail_only_when_denied() {
    let line =
        b"{\"Controller\":\"Auth\",\"Topic\":\"Identify\",\"Data\":{\"Result\":\"Success\",\"Region\":\"AU\"}}\n";
    let path = temp_file("warning.jsonl", line);
    assert_eq!(zenith(&["check", path.to_str().unwrap()], None).code, 0);
    assert_eq!(zenith(&["check", "--deny-warnings", path.to_str().unwrap()], None).code, 1);
}

#[test]
fn unknown_controllers_and_topics_get_suggestions() {
    let text = b"{\"Controller\":\"Auht\",\"Topic\":\"AuthOwner\"}\n{\"Controller\":\"Auth\",\"Topic\":\"AuthOwnr\",\"TransactionID\":3}\n{\"Controller\":\"Market\",\"Topic\":\"Security!BHP.ASX\",\"Action\":\"Sub\"}\n";
    let path = temp_file("unknown.jsonl", text);
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (records, summary) = records(&run);
    let messages: Vec<&str> = records.iter().map(|r| r["message"].as_str().unwrap()).collect();
    assert_eq!(messages[0], "unknown controller `Auht`: did you mean `Auth`?");
    assert_eq!(messages[1], "`Auth` has no topic `AuthOwnr`: did you mean `AuthOwner`?");
    assert_eq!(summary["valid"], 1, "a Sub on any topic of a known controller is fine");
}

#[test]
fn help_documents_the_options_and_exit_codes() {
    let run = zenith(&["check", "--help"], None);
    assert_eq!(run.code, 0);
    for needle in ["--input", "--format", "--deny-warnings", "--max-line-bytes", "Exit codes", "standard input"] {
        assert!(run.stdout.contains(needle), "--help lacks {needle}:\n{}", run.stdout);
    }
    let run = zenith(&["check"], None);
    assert_eq!(run.code, 2);
}

#[test]
fn output_does_not_depend_on_the_number_of_threads() {
    let sample = std::fs::read_to_string(repo().join("examples/captures/auth-session.jsonl")).unwrap();
    let mut capture = String::new();
    // More text (14 MB) than the threads hold at once, so they take turns many times over.
    let copies = 4_000;
    for copy in 0..copies {
        capture.push_str(&sample.replace("\"conn\":\"1\"", &format!("\"conn\":\"{}\"", copy % 7)));
        capture.push_str("not json\n\n");
    }
    let path = temp_file("threads.jsonl", capture.as_bytes());
    let one = zenith(&["check", "--format", "json", "--jobs", "1", path.to_str().unwrap()], None);
    for jobs in ["2", "3"] {
        let many = zenith(&["check", "--format", "json", "--jobs", jobs, path.to_str().unwrap()], None);
        assert_eq!(one.code, many.code);
        assert_eq!(one.stdout, many.stdout, "--jobs {jobs} differs from --jobs 1");
    }
    let (_, summary) = records(&one);
    assert_eq!(summary["read"], copies * 19);
    assert_balanced(&summary);
}

/// A HAR capture full of credentials in every awkward place.
fn capture_full_of_secrets() -> (Vec<u8>, Vec<String>) {
    let huge = format!("HUGE{}", "k".repeat(200_000));
    let secrets = vec![
        "pw-Alpha-1234".to_owned(),
        "cs-Bravo-5678".to_owned(),
        "gr-Charlie-9012".to_owned(),
        "tk-Delta-3456".to_owned(),
        "tk-Echo-7890".to_owned(),
        huge.clone(),
        "8675309".to_owned(),
    ];
    let messages = [
        (
            "send",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1, "Data": {"Provider": "P", "ClientID": "C", "ClientSecret": "cs-Bravo-5678", "Password": "pw-Alpha-1234", "Pasword": "pw-Alpha-1234", "api_token": "tk-Echo-7890"}}),
        ),
        (
            "send",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 2, "Data": {"Provider": 5, "Password": 8675309, "ClientSecret": ["cs-Bravo-5678"]}}),
        ),
        (
            "send",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthCode", "TransactionID": 3, "Data": {"Provider": "P", "ClientID": "C", "AuthGrant": {"nested": "gr-Charlie-9012"}}}),
        ),
        (
            "receive",
            serde_json::json!({"Controller": "Auth", "Topic": "Identify", "TransactionID": 1, "Data": {"Result": "Sucess", "AccessToken": huge}}),
        ),
        (
            "send",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthToken", "Data": {"Provider": "Bearer", "AccessToken": "tk-Delta-3456", "Accesstoken": "tk-Echo-7890"}}),
        ),
        (
            "receive",
            serde_json::json!({"Controller": "Auth", "Topic": "AuthToken", "Action": "Error", "TransactionID": 9, "Data": "Authority tk-Delta-3456"}),
        ),
    ];
    let items: Vec<serde_json::Value> = messages
        .iter()
        .map(|(d, m)| serde_json::json!({"type": d, "time": 1.5, "opcode": 1, "data": m.to_string()}))
        .chain([
            serde_json::json!({"type": "send", "time": 2.0, "opcode": 1, "data": "{\"Password\":\"pw-Alpha-1234\" broken"}),
            serde_json::json!({"type": "error", "time": 2.5, "opcode": 1, "data": "AccessToken tk-Delta-3456 rejected"}),
        ])
        .collect();
    let har = serde_json::json!({"log": {"entries": [{
        "request": {"url": "wss://z.example.invalid/Zenith?access_token=tk-Delta-3456", "headers": [{"name": "Authorization", "value": "Bearer tk-Delta-3456"}]},
        "_resourceType": "websocket",
        "_webSocketMessages": items
    }]}});
    (serde_json::to_vec(&har).unwrap(), secrets)
}

#[test]
fn check_never_prints_a_credential_in_any_format() {
    let (har, secrets) = capture_full_of_secrets();
    let path = temp_file("secrets.har", &har);
    for format in ["human", "json"] {
        let run = zenith(&["check", "--format", format, path.to_str().unwrap()], None);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stdout.contains("<redacted>"), "{format}: {}", run.stdout);
        for secret in &secrets {
            let shown = &secret[..secret.len().min(12)];
            assert!(
                !run.stdout.contains(shown) && !run.stderr.contains(shown),
                "{format} shows {shown}:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn redact_makes_a_capture_safe_and_keeps_its_verdicts() {
    let (har, secrets) = capture_full_of_secrets();
    let path = temp_file("to-redact.har", &har);
    let refused = zenith(&["redact", path.to_str().unwrap()], None);
    assert_eq!(refused.code, 2, "a message that is not JSON makes redaction refuse");
    assert!(refused.stderr.contains("line 1, column ") && refused.stdout.is_empty(), "{}", refused.stderr);
    assert!(refused.stderr.contains("the message is not JSON"), "{}", refused.stderr);

    let out = path.with_file_name("redacted.har");
    let forced = zenith(&["redact", "--force", path.to_str().unwrap(), "-o", out.to_str().unwrap()], None);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(forced.stderr.contains("left as found: line 1, column "), "{}", forced.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    // The broken message too: its credential is found in its free text.
    for secret in &secrets {
        assert!(!text.contains(&secret[..secret.len().min(12)]), "{secret} survived");
    }
    let before = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let after = zenith(&["check", "--format", "json", out.to_str().unwrap()], None);
    let verdicts = |run: &Run| {
        let (records, summary) = records(run);
        let codes: Vec<(u64, String)> =
            records.iter().map(|r| (r["index"].as_u64().unwrap(), r["code"].as_str().unwrap().to_owned())).collect();
        (codes, summary["valid"].clone(), summary["invalid"].clone(), summary["unreadable"].clone())
    };
    assert_eq!(verdicts(&before), verdicts(&after));
}

#[test]
fn names_of_any_length_fit_the_summary_table() {
    let long = "x".repeat(70_000);
    let lines = [
        serde_json::json!({"Controller": "Market", "Topic": long, "Action": "Sub"}),
        serde_json::json!({"Controller": long, "Topic": "AuthOwner"}),
        serde_json::json!({"Controller": "Auth", "Topic": long, "Action": long}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let path = temp_file("long-names.jsonl", text.as_bytes());
    let run = zenith(&["check", path.to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let table: Vec<&str> = run.stdout.lines().skip_while(|l| !l.starts_with("Controller")).take(4).collect();
    assert_eq!(table.len(), 4, "{}", run.stderr);
    for row in &table[1..] {
        assert!(row.chars().count() < 200, "a row is {} characters wide", row.chars().count());
        assert!(row.contains('…'), "{row}");
    }
}

#[test]
fn a_closed_stderr_ends_the_run_without_a_crash() {
    let sample = std::fs::read(repo().join("examples/captures/auth-session.jsonl")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zenith"))
        .args(["check", "-", "no/such/file.jsonl"])
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The read end goes before any input does, so every write to stderr fails.
    drop(child.stderr.take());
    let mut input = child.stdin.take().unwrap();
    input.write_all(&sample).unwrap();
    drop(input);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "the missing file, not a panic");
}

#[test]
fn a_full_stdout_is_an_error_not_a_crash() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' check examples/captures/auth-session.jsonl > /dev/full", env!("CARGO_BIN_EXE_zenith")))
        .current_dir(repo())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("writing output failed") && !stderr.contains("panicked"), "{stderr}");
}

#[test]
fn jobs_must_be_from_1_to_256() {
    let sample = "examples/captures/auth-session.jsonl";
    for jobs in ["0", "257", "20000", "18446744073709551615", "99999999999999999999999", "-1", "many"] {
        let run = zenith(&["check", &format!("--jobs={jobs}"), sample], None);
        assert_eq!(run.code, 2, "--jobs {jobs}: {}", run.stderr);
        assert!(run.stderr.contains("from 1 to 256"), "--jobs {jobs}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "--jobs {jobs}: {}", run.stderr);
    }
    for jobs in ["1", "256"] {
        assert_eq!(zenith(&["check", "--jobs", jobs, sample], None).code, 1, "--jobs {jobs}");
    }
    let help = zenith(&["check", "--help"], None);
    assert!(help.stdout.contains("1 to 256"), "{}", help.stdout);
}

/// Characters a terminal acts on: C0 controls but the end of line, DEL, C1 controls, and the
/// bidi overrides and isolates.
fn drives_a_terminal(c: char) -> bool {
    (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn capture_text_never_reaches_the_terminal_raw() {
    let (controller, topic, conn) = ("\u{1b}]0;pwned\u{7}", "\u{1b}[2J\u{9b}31m\u{7f}", "c\u{202e}1\u{2066}");
    let items = [
        serde_json::json!({"conn": conn, "type": "send", "data": serde_json::json!({"Controller": controller, "Topic": topic}).to_string()}),
        serde_json::json!({"conn": conn, "type": "send", "data": serde_json::json!({"Controller": "Auth", "Topic": topic, "TransactionID": 1}).to_string()}),
        serde_json::json!({"conn": conn, "type": "send", "data": serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "Data": {"Provider": 1, "ClientID": "c", "\u{1b}[5m": "\u{85}x"}}).to_string()}),
    ];
    let text: String = items.iter().map(|l| format!("{l}\n")).collect();
    let path = temp_file("terminal\u{1b}[1m.jsonl", text.as_bytes());
    let human = zenith(&["check", path.to_str().unwrap(), "no\u{1b}[31mfile"], None);
    assert_eq!(human.code, 2, "{}", human.stderr);
    for (stream, text) in [("stdout", &human.stdout), ("stderr", &human.stderr)] {
        assert!(!text.chars().any(drives_a_terminal), "raw control characters on {stream}:\n{text:?}");
    }
    for shown in
        ["\\u{1b}]0;pwned\\u{7}", "\\u{1b}[2J\\u{9b}31m\\u{7f}", "conn c\\u{202e}1\\u{2066}", "terminal\\u{1b}[1m"]
    {
        assert!(human.stdout.contains(shown), "{shown} is not shown:\n{}", human.stdout);
    }
    assert!(human.stderr.contains("no\\u{1b}[31mfile"), "{}", human.stderr);

    let json = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    assert!(!json.stdout.chars().any(drives_a_terminal), "raw control characters:\n{:?}", json.stdout);
    let (records, summary) = records(&json);
    assert_eq!(records[0]["controller"], controller, "the escapes decode to the same text");
    assert_eq!(records[0]["conn"], conn);
    assert!(records.iter().any(|r| r["topic"] == topic), "{records:?}");
    assert!(summary["messages"].as_array().unwrap().iter().any(|row| row["controller"] == controller));
}

/// JSON Lines items, one per line, each a message travelling in `direction` on `conn`.
fn items(messages: impl IntoIterator<Item = (&'static str, &'static str, Value)>) -> String {
    messages
        .into_iter()
        .map(|(conn, direction, message)| {
            let item = serde_json::json!({"conn": conn, "type": direction, "time": 1.0, "data": message.to_string()});
            format!("{item}\n")
        })
        .collect()
}

fn query_identify(id: u64) -> Value {
    serde_json::json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": id})
}

#[test]
fn requests_waiting_beyond_the_limit_are_reported_unanswered_at_once() {
    let limit = 4096;
    let requests = (1..=limit + 3).map(|id| ("a", "send", query_identify(id)));
    let reply = |id| {
        (
            "a",
            "receive",
            serde_json::json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": id, "Data": {"Result": "Success"}}),
        )
    };
    let text = items(requests.chain([reply(1), reply(limit + 3)]));
    let path = temp_file("many-requests.jsonl", text.as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (records, summary) = records(&run);
    let early: Vec<u64> = records
        .iter()
        .take_while(|r| r["code"] != "orphan-reply")
        .filter(|r| r["code"] == "unanswered-request")
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(early, [1, 2, 3], "the three oldest are given up as the limit is passed");
    assert!(records[0]["message"].as_str().unwrap().contains("limit of 4096 requests"), "{}", records[0]);
    let orphan: Vec<u64> =
        records.iter().filter(|r| r["code"] == "orphan-reply").map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(orphan, [limit + 4], "the reply to a request given up on matches nothing");
    let unanswered = records.iter().filter(|r| r["code"] == "unanswered-request").count() as u64;
    assert_eq!(unanswered, limit + 2, "each request is reported once");
    let n = |key: &str| summary[key].as_u64().unwrap();
    assert_eq!((n("requests"), n("replies"), n("unanswered"), n("orphan_replies")), (limit + 3, 1, limit + 2, 1));
    assert_eq!(n("requests"), n("replies") + n("unanswered"));
}

#[test]
fn subscriptions_waiting_beyond_the_limit_are_given_up() {
    let limit = 4096;
    let sub = |n: usize, direction| {
        (
            direction,
            serde_json::json!({"Controller": "Market", "Topic": format!("Security!S{n}.ASX"), "Action": "Sub", "Confirm": true}),
        )
    };
    let mut messages: Vec<(&str, &str, Value)> =
        (1..=limit + 1).map(|n| sub(n, "send")).map(|(d, m)| ("a", d, m)).collect();
    messages.extend([1, limit + 1].map(|n| sub(n, "receive")).map(|(d, m)| ("a", d, m)));
    let path = temp_file("many-subscriptions.jsonl", items(messages).as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (records, summary) = records(&run);
    let given_up: Vec<(u64, &str)> = records
        .iter()
        .filter(|r| r["code"] == "subscription-limit")
        .map(|r| (r["index"].as_u64().unwrap(), r["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(given_up, [(1, "warning")], "{records:?}");
    assert_eq!(summary["subscriptions_confirmed"], 1, "only the confirmation still waited for counts");
}

#[test]
fn connections_beyond_the_limit_are_checked_but_not_paired() {
    let limit = 100_000;
    let mut text = String::new();
    for n in 0..limit {
        text.push_str(&format!(
            "{{\"conn\":\"c{n}\",\"type\":\"send\",\"data\":\"{{\\\"Topic\\\":\\\"ServerInfo\\\",\\\"Action\\\":\\\"Sub\\\"}}\"}}\n"
        ));
    }
    let beyond = [
        ("extra", "send", query_identify(1)),
        (
            "extra",
            "receive",
            serde_json::json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 1, "Data": {"Result": "Succes"}}),
        ),
        ("c0", "send", query_identify(2)),
    ];
    text.push_str(&items(beyond));
    let path = temp_file("many-connections.jsonl", text.as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (records, summary) = records(&run);
    // Each connection's Sub is also silent; the findings here are about the limit.
    let found: Vec<(u64, &str, &str, u64)> = records
        .iter()
        .filter(|r| r["code"] != "subscription-silent")
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["conn"].as_str().unwrap(),
                r["code"].as_str().unwrap(),
                r["index"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(found.len() < 10, "{} findings", found.len());
    assert_eq!(
        found,
        [
            (limit + 1, "extra", "connection-limit", 0),
            (limit + 2, "extra", "not-in-enum", 0),
            (limit + 3, "c0", "unanswered-request", 2),
        ],
        "the schema still applies beyond the limit; pairing does not"
    );
    assert_eq!((summary["requests"].as_u64(), summary["replies"].as_u64()), (Some(1), Some(0)));
    assert_eq!(summary["read"], limit + 3);
}

#[test]
fn names_no_schema_knows_share_one_summary_row_beyond_the_limit() {
    let topics = |range: std::ops::Range<usize>| -> String {
        range.map(|n| format!("{{\"Controller\":\"Notify\",\"Topic\":\"T{n}\"}}\n")).collect()
    };
    let path = temp_file("many-topics.jsonl", topics(0..300).as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (found, summary) = records(&run);
    let remarks: Vec<(u64, &str)> = found
        .iter()
        .filter(|r| r["code"] != "unknown-topic")
        .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(remarks, [(257, "summary-limit")]);
    let rows = summary["messages"].as_array().unwrap();
    assert_eq!(rows.len(), 257);
    let last = rows.last().unwrap();
    assert_eq!(
        (&last["controller"], &last["topic"], &last["action"]),
        (&"(other)".into(), &"(other)".into(), &"(other)".into())
    );
    assert_eq!((&last["valid"], &last["invalid"]), (&Value::from(0), &Value::from(44)));

    // Two files under the limit each, over it together: the totals fold the same way.
    let a = temp_file("topics-a.jsonl", topics(0..200).as_bytes());
    let b = temp_file("topics-b.jsonl", topics(150..350).as_bytes());
    let run = zenith(&["check", "--format", "json", a.to_str().unwrap(), b.to_str().unwrap()], None);
    let (found, summary) = records(&run);
    assert!(found.iter().all(|r| r["code"] == "unknown-topic" || r.get("file").is_some()), "{found:?}");
    let rows = summary["messages"].as_array().unwrap();
    assert_eq!(rows.len(), 257);
    let counted: u64 = rows.iter().map(|r| r["invalid"].as_u64().unwrap()).sum();
    assert_eq!(counted, 400);
    // 200 topics from the first file, 50 of them again and 150 new in the second: 56 new rows
    // reach the limit, and the other 94 new topics share the last row.
    assert_eq!(rows.last().unwrap()["invalid"], 94, "{}", rows.last().unwrap());

    let human = zenith(&["check", path.to_str().unwrap()], None);
    let last = human.stdout.lines().skip_while(|l| !l.starts_with("Controller")).nth(257).unwrap_or_default();
    assert_eq!(last.split_whitespace().collect::<Vec<_>>(), ["(other)", "(other)", "(other)", "0", "0", "44"]);
}

#[test]
fn a_key_given_twice_is_an_error_where_it_is() {
    let lines = [
        // Clean but for the repeat: the fast path must not take it.
        r#"{"type":"send","data":"{\"Controller\":\"Zenith\",\"Controller\":\"Auth\",\"Topic\":\"AuthOwner\",\"Data\":{\"Provider\":\"P\",\"ClientID\":\"C\"}}"}"#,
        r#"{"type":"send","data":"{\"Controller\":\"Auth\",\"Topic\":\"AuthOwner\",\"Data\":{\"Provider\":\"P\",\"ClientID\":\"C\"},\"Data\":{\"Provider\":\"P\",\"ClientID\":\"C\"}}"}"#,
        r#"{"type":"send","data":"{\"Controller\":\"Auth\",\"Topic\":\"AuthOwner\",\"Data\":{\"Provider\":\"P\",\"ClientID\":\"C\",\"UserName\":\"u\",\"UserName\":\"v\",\"UserName\":\"w\"}}"}"#,
        r#"{"type":"send","data":"{\"Controller\":\"Market\",\"Topic\":\"Markets\",\"Action\":\"Sub\",\"Data\":{\"List\":[{\"a/b\":1,\"a/b\":2}]}}"}"#,
        // Bare lines too, with other problems besides.
        r#"{"Controller":"Auth","Topic":"Identify","Data":{"Result":"Sucess","Result":"Success"}}"#,
        r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub"}"#,
    ];
    let path = temp_file("twice.jsonl", format!("{}\n", lines.join("\n")).as_bytes());
    for jobs in ["1", "2"] {
        let run = zenith(&["check", "--format", "json", "--jobs", jobs, path.to_str().unwrap()], None);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let (records, summary) = records(&run);
        let found: Vec<(u64, &str, &str, &str)> = records
            .iter()
            .map(|r| {
                let field = |k: &str| r[k].as_str().unwrap();
                (r["line"].as_u64().unwrap(), field("severity"), field("code"), field("instance_path"))
            })
            .collect();
        assert_eq!(
            found,
            [
                (1, "error", "duplicate-key", "/Controller"),
                (2, "error", "duplicate-key", "/Data"),
                (3, "error", "duplicate-key", "/Data/UserName"),
                (4, "error", "duplicate-key", "/Data/List/0/a~1b"),
                (5, "error", "duplicate-key", "/Data/Result"),
                (5, "warning", "push-without-subscription", "/Topic"),
                (6, "warning", "subscription-silent", ""),
            ],
            "the repeat comes first; the tree keeps the last value, which is fine"
        );
        assert!(records[0]["message"].as_str().unwrap().contains("`Controller` is given more than once"));
        assert_eq!((summary["invalid"].as_u64(), summary["valid"].as_u64()), (Some(5), Some(1)));
    }
}

#[test]
fn a_transaction_id_written_with_a_fraction_pairs_with_its_reply() {
    let reply = |id: &str| {
        format!(
            r#"{{"type":"receive","data":"{{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":{id},\"Data\":{{\"Result\":\"Success\"}}}}"}}"#
        )
    };
    let lines = [
        // Clean: the fast path.
        r#"{"type":"send","data":"{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":1.0}"}"#.to_owned(),
        reply("1"),
        // With an undocumented property: the full pass.
        r#"{"type":"send","data":"{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":2e0,\"Note\":1}"}"#.to_owned(),
        reply("2"),
        r#"{"type":"send","data":"{\"Controller\":\"Auth\",\"Topic\":\"QueryIdentify\",\"TransactionID\":3}"}"#.to_owned(),
        reply("30E-1"),
    ];
    let path = temp_file("fraction.jsonl", format!("{}\n", lines.join("\n")).as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (records, summary) = records(&run);
    let codes: Vec<&str> = records.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["undocumented-property"]);
    let n = |key: &str| summary[key].as_u64().unwrap();
    assert_eq!((n("requests"), n("replies"), n("unanswered"), n("orphan_replies")), (3, 3, 0, 0));
}

#[test]
fn redact_tells_har_by_its_content_whatever_the_key_order_or_the_pipe() {
    let message = r#"{\"Controller\":\"Auth\",\"Topic\":\"AuthOwner\",\"TransactionID\":1,\"Data\":{\"Password\":\"pw-Foxtrot-42\"}}"#;
    let har = format!(
        "{{\"comment\": \"exported\",\n \"log\": {{\"entries\": [{{\"_resourceType\": \"websocket\", \"_webSocketMessages\": [{{\"type\": \"send\", \"time\": 1, \"opcode\": 1, \"data\": \"{message}\"}}]}}]}}}}\n"
    );
    let run = zenith_on_a_slow_pipe(&["redact", "-"], har.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, har.replace("pw-Foxtrot-42", "<redacted>"));
    let check = zenith_on_a_slow_pipe(&["check", "--format", "json", "-"], har.as_bytes());
    let (_, summary) = records(&check);
    assert_eq!(summary["read"], 1, "read as HAR: {}", check.stdout);
}

#[test]
fn redact_to_a_file_writes_all_or_nothing() {
    let path = temp_file("refused.jsonl", b"{\"Password\":\"pw-Golf-7\"}\nnot json\n");
    let out = path.with_file_name("refused.redacted.jsonl");
    std::fs::write(&out, b"earlier contents").unwrap();
    let refused = zenith(&["redact", path.to_str().unwrap(), "-o", out.to_str().unwrap()], None);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("line 2: not JSON"), "{}", refused.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), b"earlier contents");
    let forced = zenith(&["redact", "--force", path.to_str().unwrap(), "-o", out.to_str().unwrap()], None);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), b"{\"Password\":\"<redacted>\"}\nnot json\n");
}

#[test]
fn redact_refuses_more_credentials_than_it_can_follow() {
    let lines: String = (0..50).map(|n| format!("{{\"Password\":\"pw-Hotel-{n:03}\"}}\n")).collect();
    let path = temp_file("many-credentials.jsonl", lines.as_bytes());
    let refused = zenith(&["redact", "--max-credentials", "10", path.to_str().unwrap()], None);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("more than 10 distinct credentials") && refused.stdout.is_empty());
    assert!(refused.stderr.contains("--max-credentials"), "{}", refused.stderr);
    let forced = zenith(&["redact", "--force", "--max-credentials", "10", path.to_str().unwrap()], None);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(!forced.stdout.contains("pw-Hotel"), "every credential itself is still replaced");
    assert!(forced.stderr.contains("copies of 40 credentials were not looked for"), "{}", forced.stderr);
}

#[test]
fn redact_output_is_the_same_on_any_number_of_threads() {
    let mut capture = String::new();
    for n in 0..6_000 {
        capture.push_str(&format!(
            "{{\"conn\":\"c{}\",\"type\":\"send\",\"opcode\":1,\"data\":\"{{\\\"Controller\\\":\\\"Auth\\\",\\\"Topic\\\":\\\"AuthOwner\\\",\\\"TransactionID\\\":{n},\\\"Data\\\":{{\\\"Password\\\":\\\"pw-India-{}\\\"}}}}\"}}\n",
            n % 7,
            n % 13
        ));
        capture.push_str(&format!("{{\"Action\":\"Error\",\"Data\":\"bad pw-India-{}\"}}\n", n % 13));
    }
    let path = temp_file("redact-threads.jsonl", capture.as_bytes());
    let one = zenith(&["redact", "-j", "1", path.to_str().unwrap()], None);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(capture.len() > 1 << 20 && !one.stdout.contains("pw-India"));
    for jobs in ["2", "3"] {
        let many = zenith(&["redact", "-j", jobs, path.to_str().unwrap()], None);
        assert!(many.stdout == one.stdout, "-j {jobs} differs");
    }
}

#[test]
fn redact_into_a_closed_pipe_ends_quietly() {
    let lines: String = (0..100_000).map(|n| format!("{{\"Password\":\"pw-Juliet-{n}\",\"n\":{n}}}\n")).collect();
    let path = temp_file("closed-pipe.jsonl", lines.as_bytes());
    let bin = env!("CARGO_BIN_EXE_zenith");
    let script = format!(
        "'{bin}' redact --max-credentials 200000 '{}' | head -c 10 > /dev/null; echo \"$PIPESTATUS\"",
        path.display()
    );
    let output = Command::new("bash").args(["-c", &script]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "0", "{stderr}");
}

#[test]
fn check_hides_every_copy_of_a_credential_it_has_met() {
    let lines = [
        r#"{"conn":"c1","type":"send","data":"{\"Controller\":\"Auth\",\"Topic\":\"AuthOwner\",\"TransactionID\":1,\"Data\":{\"Provider\":\"P\",\"ClientID\":\"C\",\"UserName\":\"u\",\"Password\":\"pw-Kilo-4242\"}}"}"#,
        r#"{"conn":"c1","type":"receive","data":"{\"Controller\":\"Auth\",\"Topic\":\"AuthOwner\",\"Action\":\"Error\",\"TransactionID\":1,\"Data\":\"bad password pw-Kilo-4242\"}"}"#,
        r#"{"conn":"c1","type":"error","data":"socket closed after pw-Kilo-4242"}"#,
        r#"{"conn":"pw-Kilo-4242","type":"send","data":"{\"Controller\":\"Nope\",\"Topic\":\"pw-Kilo-4242\"}"}"#,
        r#"{"Controller":"Auth","Topic":"Identify","TransactionID":1,"Data":{"Result":"pw-Kilo-4242"}}"#,
        r#"{"Controller":"Auth","Topic":"AuthOwner","TransactionID":2,"Data":{"Provider":"P","ClientID":"C","api-key":"ak-Lima-777","Api Key":"ak-Mike-888"}}"#,
        r#"{"Controller":"Auth","Topic":"Identify","TransactionID":3,"Data":{"Result":"{\"AccessToken\":\"tk-November-999\",\"x\":1}"}}"#,
        r#"{"Controller":"Auth","Topic":"Identify","TransactionID":4,"Data":{"Result":"see wss://h/z?access_token=tk-Oscar-1234567890"}}"#,
        // A value cut short in a message, right inside a copy.
        r#"{"Controller":"Auth","Topic":"Identify","TransactionID":5,"Data":{"Result":"0123456789012345678901234567890123pw-Kilo-4242"}}"#,
    ];
    let path = temp_file("copies.jsonl", lines.join("\n").as_bytes());
    for format in ["human", "json"] {
        let run = zenith(&["check", "--format", format, path.to_str().unwrap()], None);
        assert_eq!(run.code, 1, "{}", run.stderr);
        // Six characters: no part of a credential shows, even where a value is cut short.
        for secret in ["pw-Kil", "ak-Lim", "ak-Mik", "tk-Nov", "tk-Osc"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format} shows {secret}:\n{}",
                run.stdout
            );
        }
        assert!(run.stdout.contains("capture-error") && run.stdout.contains("unknown-controller"), "{}", run.stdout);
    }
}

/// A HAR-style item travelling `direction`, holding `message`.
fn item(direction: &str, message: &Value) -> String {
    serde_json::to_string(&serde_json::json!({"conn": "1", "type": direction, "data": message.to_string()})).unwrap()
}

#[test]
fn subscriptions_to_unknown_topics_or_with_wrong_arguments_are_errors() {
    let lines = [
        r#"{"Controller":"Market","Topic":"Secrity!BHP.ASX","Action":"Sub"}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP","Action":"Sub"}"#,
        r#"{"Controller":"Market","Topic":"Depth","Action":"Unsub"}"#,
        r#"{"Controller":"Market","Topic":"Markets!ASX","Action":"Sub"}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.X.ASX","Action":"Sub"}"#,
        r#"{"Controller":"Market","Topic":"QueryMarket"}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"C"}]}"#,
    ];
    let path = temp_file("subs.jsonl", (lines.join("\n") + "\n").as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (found, summary) = records(&run);
    let errors: Vec<(u64, &str, &str)> = found
        .iter()
        .filter(|r| r["severity"] == "error")
        .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap(), r["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            (1, "unknown-topic", "`Market` has no topic `Secrity`: did you mean `Security`?"),
            (2, "bad-topic-arguments", "`BHP` does not have the form `{Code}.{Market}`: no `.`"),
            (3, "bad-topic-arguments", "the topic needs its arguments: `Depth!{Code}.{Market}`"),
            (4, "bad-topic-arguments", "`Markets` takes no arguments"),
            (6, "unknown-topic", "`Market` has no topic `QueryMarket`: did you mean `QueryMarkets`?"),
        ],
        "{}",
        run.stdout
    );
    // The data comes with no Sub to its topic seen: a warning.
    assert_eq!((summary["valid"].as_u64(), summary["with_warnings"].as_u64()), (Some(1), Some(1)));
    assert_eq!(summary["invalid"].as_u64(), Some(5));
}

#[test]
fn a_request_may_get_several_replies() {
    let request = serde_json::json!({"Controller": "Market", "Topic": "QueryMixedMarket", "TransactionID": 7,
        "Data": {"Markets": ["ASX", "CXA"]}});
    let error = serde_json::json!({"Controller": "Market", "Topic": "QueryMixedMarket", "Action": "Error", "TransactionID": 7, "Data": "Symbol.NotFound BHP.CXA"});
    let part =
        serde_json::json!({"Controller": "Market", "Topic": "QueryMixedMarket", "TransactionID": 7, "Data": "ASX+CXA"});
    let stray =
        serde_json::json!({"Controller": "Market", "Topic": "QueryMixedMarket", "TransactionID": 8, "Data": "ASX+CXA"});
    let capture = [
        item("send", &request),
        item("receive", &error),
        item("receive", &part),
        item("receive", &part),
        item("receive", &stray),
    ]
    .join("\n");
    let path = temp_file("parts.jsonl", capture.as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (found, summary) = records(&run);
    let codes: Vec<(u64, &str)> =
        found.iter().map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap())).collect();
    assert_eq!(codes, [(2, "error-reply"), (5, "orphan-reply")], "{}", run.stdout);
    let n = |key: &str| summary[key].as_u64().unwrap();
    assert_eq!(
        (n("requests"), n("replies"), n("unanswered"), n("orphan_replies"), n("error_replies")),
        (1, 1, 0, 1, 1)
    );
}

#[test]
fn output_controls_choose_what_is_shown_but_not_what_is_counted() {
    let sample = "examples/captures/auth-session.jsonl";
    let all = zenith(&["check", "--format", "json", sample], None);
    let (found, summary) = records(&all);
    assert_eq!(found.len(), 2);
    // Only errors: the info finding is counted, not shown.
    let errors = zenith(&["check", "--format", "json", "--severity", "error", sample], None);
    let (shown, same) = records(&errors);
    assert_eq!(shown.iter().map(|r| r["code"].as_str().unwrap()).collect::<Vec<_>>(), ["misspelled-property"]);
    assert_eq!((same, errors.code), (summary.clone(), all.code));
    // At most one.
    let one = zenith(&["check", "--format", "json", "--max-findings", "1", sample], None);
    assert_eq!(records(&one).0.len(), 1);
    assert!(one.stderr.contains("1 more finding(s) not shown"), "{}", one.stderr);
    // The summary only, by either flag.
    for flag in ["--summary-only", "-q"] {
        let run = zenith(&["check", "--format", "json", flag, sample], None);
        let (found, counted) = records(&run);
        assert!(found.is_empty(), "{flag}");
        assert_eq!((counted, run.code), (summary.clone(), 1), "{flag}");
    }
    // Nothing at all: only the exit code tells.
    let silent = zenith(&["check", "-qq", sample], None);
    assert_eq!((silent.stdout.as_str(), silent.code), ("", 1));
    // Colour on request, never by default when not on a terminal.
    let coloured = zenith(&["check", "--color", "always", sample], None);
    assert!(coloured.stdout.contains("\u{1b}["), "{}", coloured.stdout);
    let plain = zenith(&["check", "--color", "never", sample], None);
    assert!(!plain.stdout.contains('\u{1b}'));
    assert!(!zenith(&["check", sample], None).stdout.contains('\u{1b}'));
}

#[test]
fn an_unreadable_capture_is_a_json_error_record_with_no_summary_of_nothing() {
    let run = zenith(&["check", "--format", "json", "no/such/capture.har"], None);
    assert_eq!(run.code, 2);
    let lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let error = &lines[0]["error"];
    assert_eq!(
        (error["source"].as_str(), error["code"].as_str()),
        (Some("no/such/capture.har"), Some("unreadable-input"))
    );
    assert!(error["message"].as_str().unwrap().starts_with("cannot open:"));
    let human = zenith(&["check", "no/such/capture.har"], None);
    assert_eq!((human.stdout.as_str(), human.code), ("", 2));
    // Beside a readable capture, the summary counts that one.
    let run =
        zenith(&["check", "--format", "json", "no/such/capture.har", "examples/captures/auth-session.jsonl"], None);
    let (found, summary) = records(&run);
    assert_eq!(found[0]["error"]["code"], "unreadable-input");
    assert_eq!((summary["read"].as_u64(), run.code), (Some(17), 2));
}

#[test]
fn a_closed_pipe_does_not_hide_the_exit_code() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zenith"))
        .args(["check", "examples/captures/auth-session.jsonl"])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read nothing: the pipe closes at once, as with `| head -0`.
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn subcommands_tell_their_version() {
    for command in ["check", "redact"] {
        let run = zenith(&[command, "--version"], None);
        assert_eq!(run.code, 0, "{command}");
        assert!(run.stdout.contains(env!("CARGO_PKG_VERSION")), "{command}: {}", run.stdout);
    }
}

#[test]
fn common_mistakes_get_a_suggestion() {
    let lines = [
        r#"{"type":"sent","data":"{}"}"#,
        r#"{"type":"send","data":{"Controller":"Auth"}}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Subscribe"}"#,
        r#"{"Password":"hunter22", oops"#,
    ];
    let path = temp_file("mistakes.jsonl", (lines.join("\n") + "\n").as_bytes());
    let run = zenith(&["check", "--format", "json", path.to_str().unwrap()], None);
    let (found, _) = records(&run);
    let said = |line: u64, code: &str| -> Vec<String> {
        found
            .iter()
            .filter(|r| r["line"] == line && r["code"] == code)
            .map(|r| format!("{} | {}", r["message"].as_str().unwrap(), r["excerpt"].as_str().unwrap_or("")))
            .collect()
    };
    assert!(
        said(1, "unreadable-frame")[0].contains("unknown message item type `sent`")
            && said(1, "unreadable-frame")[0].contains("did you mean `send`?")
    );
    assert!(said(2, "unreadable-frame")[0].contains("`data` must be the message as a JSON-encoded string"));
    assert!(
        said(3, "not-in-enum")[0].contains("`Subscribe` is not one of")
            && said(3, "not-in-enum")[0].contains("did you mean `Sub`?")
    );
    let not_json = &said(4, "not-json")[0];
    assert!(not_json.contains("<redacted>") && !not_json.contains("hunter22"), "{not_json}");
    let human = zenith(&["check", path.to_str().unwrap()], None);
    assert!(human.stdout.contains("mistakes.jsonl:4:25 (#4)"), "{}", human.stdout);
    assert!(human.stdout.contains("4 frames read") && human.stdout.contains("0 requests, 0 replies"));
}

#[test]
fn counts_have_the_right_number_and_latency_a_tenth_of_a_millisecond() {
    let request = serde_json::json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 1});
    let reply = serde_json::json!({"Controller": "Auth", "Topic": "QueryIdentify", "TransactionID": 1, "Data": {"Result": "Reject"}});
    let item = |direction: &str, time: f64, message: &Value| {
        serde_json::json!({"type": direction, "time": time, "data": message.to_string()}).to_string()
    };
    let capture = [item("send", 1.0, &request), item("receive", 1.01234567, &reply)].join("\n");
    let path = temp_file("one-reply.jsonl", capture.as_bytes());
    let human = zenith(&["check", path.to_str().unwrap()], None);
    assert!(human.stdout.contains("2 frames read:") && human.stdout.contains("1 request, 1 reply, 0 unanswered, 0 orphan replies, 0 error replies, 0 subscriptions confirmed; reply latency median 12.3 ms, max 12.3 ms over 1 reply"), "{}", human.stdout);
    let (_, summary) = records(&zenith(&["check", "--format", "json", path.to_str().unwrap()], None));
    assert_eq!(summary["latency"]["median_ms"], 12.3);
}

#[test]
fn one_json_document_in_place_of_json_lines_is_read_as_such() {
    let pretty = temp_file("pretty.jsonl", b"{\n  \"Controller\": \"Auth\",\n  \"Topic\": \"QueryIdentify\"\n}\n");
    let run = zenith(&["check", "--format", "json", pretty.to_str().unwrap()], None);
    let (found, summary) = records(&run);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!((summary["read"].as_u64(), summary["valid"].as_u64(), run.code), (Some(1), Some(1), 0));
    assert!(run.stderr.contains("one JSON document (one message), not JSON Lines"), "{}", run.stderr);
    let array = temp_file(
        "array.json",
        br#"[{"Controller":"Auth","Topic":"Identify","Data":{"Result":"Reject"}},
            {"Controller":"Auth","Topic":"Identify","Data":{"Result":"Sucess"}}]"#,
    );
    let run = zenith(&["check", "--format", "json", array.to_str().unwrap()], None);
    let (found, summary) = records(&run);
    assert_eq!((summary["read"].as_u64(), summary["invalid"].as_u64()), (Some(2), Some(1)));
    let codes: Vec<(Option<u64>, Option<&str>)> =
        found.iter().map(|f| (f["line"].as_u64(), f["code"].as_str())).collect();
    assert_eq!(codes, [(Some(1), Some("push-without-subscription")), (Some(2), Some("not-in-enum"))]);
    let broken = temp_file("broken-pretty.jsonl", b"{\n  \"Controller\": \"Auth\",\n");
    let run = zenith(&["check", broken.to_str().unwrap()], None);
    assert!(run.stderr.contains("JSON Lines needs one message per line"), "{}", run.stderr);
    assert_eq!(run.code, 1);
}

#[test]
fn a_directory_checks_every_capture_in_it_with_a_summary_per_file() {
    let dir = std::env::temp_dir().join(format!("zenith-cli-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("day2")).unwrap();
    std::fs::copy(repo().join("examples/captures/auth-session.har"), dir.join("b.har")).unwrap();
    std::fs::copy(repo().join("examples/captures/auth-session.jsonl"), dir.join("day2/a.jsonl")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a capture").unwrap();
    let run = zenith(&["check", "--strict", "--format", "json", dir.to_str().unwrap()], None);
    let records: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let files: Vec<&str> = records.iter().filter_map(|r| r["file"]["source"].as_str()).collect();
    assert_eq!(files.len(), 2, "{}", run.stdout);
    assert!(files[0].ends_with("b.har") && files[1].ends_with("day2/a.jsonl"), "{files:?}");
    for record in records.iter().filter(|r| r.get("file").is_some()) {
        assert_eq!(record["file"]["summary"]["read"], 17);
    }
    let total = &records.last().unwrap()["summary"];
    assert_eq!((total["read"].as_u64(), total["invalid"].as_u64(), run.code), (Some(34), Some(2), 1));
    let human = zenith(&["check", dir.to_str().unwrap()], None);
    assert!(human.stdout.contains("b.har: 17 frames read: 16 valid, 0 with warnings, 1 invalid"), "{}", human.stdout);
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = zenith(&["check", empty.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("the directory holds no capture"), "{}", run.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn redact_writes_through_links_and_devices_without_replacing_them() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let real = temp_file("real-output.har", b"old");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = real.with_file_name("link-output.har");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let run = zenith(&["redact", "examples/captures/auth-session.har", "-o", link.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is kept");
    assert!(std::fs::read_to_string(&real).unwrap().contains("<redacted>"));
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o644);
    // A device is written to, never renamed over.
    let run = zenith(&["redact", "examples/captures/auth-session.jsonl", "-o", "/dev/null"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
}

/// A Zenith session recorded as BSON over permessage-deflate.
const BSON_SESSION: &str = "../shared/fixtures/pcap/zenith/reference-bson-deflate.pcapng";

#[test]
fn a_packet_capture_is_checked_as_its_messages() {
    let run = zenith(&["check", "--format", "json", BSON_SESSION], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (records, summary) = records(&run);
    assert_balanced(&summary);
    assert_eq!((summary["read"].as_u64(), summary["binary"].as_u64()), (Some(151), Some(151)));
    assert_eq!((summary["control_frames"].as_u64(), summary["websocket_upgrades"].as_u64()), (Some(2), Some(1)));
    let upgrade = records.iter().find(|r| r["code"] == "websocket-upgrade").expect("the upgrade is reported");
    assert_eq!(upgrade["conn"].as_str().unwrap().split(" -> ").nth(1), Some("127.0.0.1:18093"));
    assert!(upgrade["message"].as_str().unwrap().contains("GET /Zenith?version=2.0, subprotocol ZenithBson"));
    let message = records.iter().find(|r| r["code"] == "not-in-enum").expect("a schema finding");
    assert!(message["packet"].as_u64().is_some() && message["index"].as_u64() > Some(0), "{message}");
    assert!(!run.stdout.contains("mF_9.B5f-4.1JqM"), "the access token is never shown");
}

#[test]
fn export_writes_json_lines_that_check_the_same_and_redact_refuses_packet_captures() {
    let exported = temp_file("exported.jsonl", b"");
    let run = zenith(&["export", BSON_SESSION, "-o", exported.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("151 messages written (151 binary decoded to JSON"), "{}", run.stderr);
    let from_pcap = records(&zenith(&["check", "--format", "json", BSON_SESSION], None)).1;
    let from_export = records(&zenith(&["check", "--format", "json", exported.to_str().unwrap()], None)).1;
    for key in ["read", "valid", "with_warnings", "invalid", "messages"] {
        assert_eq!(from_pcap[key], from_export[key], "{key}");
    }
    let refused = zenith(&["redact", BSON_SESSION], None);
    assert_eq!(refused.code, 2);
    assert!(refused.stdout.is_empty());
    assert!(refused.stderr.contains("zenith export CAPTURE -o CAPTURE.jsonl"), "{}", refused.stderr);
}

#[test]
fn replay_rebuilds_the_sample_book_at_any_point() {
    let sample = "examples/captures/market-session.jsonl";
    let run = zenith(&["replay", sample, "--topic", "Depth!BHP.ASX"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("replay_depth_at_the_end", run.stdout);
    let run = zenith(&["replay", sample, "--topic", "Depth!BHP.ASX", "--at", "13"], None);
    insta::assert_snapshot!("replay_depth_at_13", run.stdout);
    // 10:02:02 in Sydney is before the first trade; the same point by time and by index.
    let by_time =
        zenith(&["replay", sample, "--topic", "Depth!BHP.ASX", "--time", "2026-03-20T10:02:02.3+10:00"], None);
    assert_eq!(by_time.stdout, run.stdout);
    let run = zenith(&["replay", sample, "--topic", "Security!BHP.ASX", "--format", "json"], None);
    insta::assert_snapshot!("replay_security_json", run.stdout);
    let run = zenith(&["replay", sample, "--topic", "Depth!NAB.ASX"], None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no data on `Depth!NAB.ASX` up to that point"), "{}", run.stderr);
    let run = zenith(&["replay", sample, "--topic", "Depth!BHP.ASX", "--time", "soon"], None);
    assert_eq!(run.code, 2);
}

#[test]
fn replay_never_shows_a_credential() {
    let lines = [
        item("send", &serde_json::json!({"Controller": "Auth", "Topic": "Identify", "Action": "Sub"})),
        item(
            "receive",
            &serde_json::json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "Success", "AccessToken": "c2VjcmV0LXRva2Vu", "DisplayName": "c2VjcmV0LXRva2Vu"}}),
        ),
    ];
    let path = temp_file("identify.jsonl", (lines.join("\n") + "\n").as_bytes());
    for format in ["human", "json"] {
        let run = zenith(&["replay", path.to_str().unwrap(), "--topic", "Identify", "--format", format], None);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains("c2VjcmV0LXRva2Vu"), "{}", run.stdout);
        assert!(run.stdout.contains("Success"), "{}", run.stdout);
    }
}

#[test]
fn explain_shows_a_topic_and_suggests_for_a_misspelt_one() {
    let run = zenith(&["explain", "Market/Depth"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("explain_market_depth", run.stdout);
    // The topic alone, or with its arguments, is the same topic.
    assert_eq!(zenith(&["explain", "Depth!BHP.ASX"], None).stdout, run.stdout);
    let run = zenith(&["explain", "Market/Dpeth"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no topic `Dpeth` of controller `Market`; did you mean `Depth`?"), "{}", run.stderr);
    let run = zenith(&["explain", "Nothing/AtAll"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("takes a topic such as `Market/Depth`"), "{}", run.stderr);
}

#[test]
fn explain_covers_every_message_by_its_topic_or_pasted() {
    for kind in zenith_protocol::MessageKind::ALL {
        let info = kind.info();
        let run = match (info.controller, info.topic) {
            (controller, Some(topic)) => {
                zenith(&["explain", &format!("{}/{topic}", controller.unwrap_or("*")), "--format", "json"], None)
            }
            // The envelope's own messages (Sub, Unsub, Error, ...) are told by pasting one.
            (_, None) => {
                let example = info.example.unwrap_or_else(|| panic!("{} has no example", info.name));
                zenith(&["explain", "-", "--format", "json"], Some(example.as_bytes()))
            }
        };
        assert_eq!(run.code, 0, "{}: {}", info.name, run.stderr);
        let explained: Value = serde_json::from_str(&run.stdout).unwrap();
        let messages = explained["messages"].as_array().unwrap();
        let message = messages.iter().find(|m| m["name"] == info.name);
        let message = message.unwrap_or_else(|| panic!("{} is not in {}", info.name, run.stdout));
        assert_eq!(message["schema"], info.schema_file);
        assert_eq!(message["fields"].as_array().unwrap().len(), info.fields.len(), "{}", info.name);
    }
}

#[test]
fn explain_of_a_pasted_message_says_what_it_is_and_shows_no_credential() {
    let message = r#"{"Controller":"Auth","Topic":"AuthOwner","TransactionID":1,"Data":{"Provider":"P","ClientID":"C","UserName":"u","Password":"hunter2-secret"}}"#;
    let run = zenith(&["explain", "-"], Some(message.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("The message given: AuthOwnerRequest (valid)"), "{}", run.stdout);
    assert!(!run.stdout.contains("hunter2") && !run.stdout.contains("Insect"), "{}", run.stdout);
    let json = zenith(&["explain", "-", "--format", "json"], Some(message.as_bytes()));
    let explained: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(explained["verdict"]["valid"], true);
    assert_eq!(explained["permissions"], serde_json::json!([]));
    assert!(!json.stdout.contains("Insect"), "the example's password is replaced");
    let broken = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"X"}]}"#;
    let run = zenith(&["explain", "-"], Some(broken.as_bytes()));
    assert!(run.stdout.contains("The message given: DepthPush (not valid)"), "{}", run.stdout);
    assert!(run.stdout.contains("/Data/0/O: `X` is not one of `A`, `U`, `R`, `C`"), "{}", run.stdout);
    let run = zenith(&["explain", "-"], Some(b"{not json"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("standard input is not one JSON message"), "{}", run.stderr);
}
