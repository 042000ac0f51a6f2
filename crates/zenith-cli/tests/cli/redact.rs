//! `zenith redact`: captures made safe to share, written all or nothing, through links and into pipes.

use std::process::Command;

use crate::common::{Run, capture_full_of_secrets, records, temp_file, zenith, zenith_on_a_slow_pipe};

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
