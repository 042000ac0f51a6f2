//! `zenith check` on samples, real HAR files and bad input: nothing panics, is lost or shows a credential.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{BSON_SESSION, assert_balanced, capture_full_of_secrets, records, temp_file, zenith};

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
    let dir = test_kit::shared().join("fixtures/har");
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
fn a_har_that_is_not_har_is_refused() {
    let path = temp_file("no-entries.har", b"{\"log\": {\"version\": \"1.2\"}}");
    let run = zenith(&["check", path.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a HAR file: it has no `log.entries` array"), "{}", run.stderr);

    let path = temp_file("array.har", b"[1, 2, 3]");
    let run = zenith(&["check", "--input", "har", path.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a HAR file"), "{}", run.stderr);

    let sample = std::fs::read(test_kit::root().join("examples/captures/auth-session.har")).unwrap();
    let path = temp_file("truncated.har", &sample[..sample.len() / 2]);
    let run = zenith(&["check", path.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("malformed at line"), "{}", run.stderr);
}

#[test]
fn a_bom_is_accepted_and_stdin_works() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(test_kit::root().join("examples/captures/auth-session.har")).unwrap());
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
    let sample = std::fs::read_to_string(test_kit::root().join("examples/captures/auth-session.jsonl")).unwrap();
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
    let sample = std::fs::read(test_kit::root().join("examples/captures/auth-session.jsonl")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zenith"))
        .args(["check", "-", "no/such/file.jsonl"])
        .current_dir(test_kit::root())
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
        .current_dir(test_kit::root())
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
        .current_dir(test_kit::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read nothing: the pipe closes at once, as with `| head -0`.
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
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
    let dir = test_kit::fresh_dir("cli-dir");
    std::fs::create_dir_all(dir.join("day2")).unwrap();
    std::fs::copy(test_kit::root().join("examples/captures/auth-session.har"), dir.join("b.har")).unwrap();
    std::fs::copy(test_kit::root().join("examples/captures/auth-session.jsonl"), dir.join("day2/a.jsonl")).unwrap();
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
