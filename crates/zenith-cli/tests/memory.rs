//! `zenith check` on inputs shaped to cost memory or to be misread: long first lines, late
//! `log` keys, JSON documents given as JSON Lines, deep HAR items, messages with thousands of
//! problems, many small lines on several threads. What is checked and reported is asserted here;
//! the memory each takes is measured on the release build (see `docs/check.md`, "Memory bounds").

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use test_kit::Run;

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    test_kit::scratch_file("memory", name, bytes)
}

fn check(path: &Path, args: &[&str]) -> Run {
    test_kit::run(Command::new(env!("CARGO_BIN_EXE_zenith")).arg("check").arg(path).args(args), None)
}

/// The findings of a `--format json` run as (code, instance path), and the summary.
fn findings(run: &Run) -> (Vec<(String, String)>, Value) {
    let (records, summary) = test_kit::records(&run.stdout);
    let found = records
        .iter()
        .map(|r| (r["code"].as_str().unwrap().to_owned(), r["instance_path"].as_str().unwrap().to_owned()))
        .collect();
    (found, summary)
}

const SUB: &str = r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub"}"#;

#[test]
fn a_long_json_lines_line_is_checked_as_written() {
    let pad = "x".repeat(70_000);
    let line = format!(
        "{{\"Controller\":\"Zenith\",\"Controller\":\"Zenith\",\"Topic\":\"ServerInfo\",\"Action\":\"Sub\",\"Pad\":\"{pad}\"}}\n"
    );
    let run = check(&scratch("repeated.jsonl", line.as_bytes()), &["--format", "json"]);
    assert_eq!(run.stderr, "");
    let (found, summary) = findings(&run);
    assert_eq!(found[0], ("duplicate-key".into(), "/Controller".into()), "{found:?}");
    assert_eq!((run.code, summary["invalid"].as_u64()), (1, Some(1)));
    // Valid JSON Lines whose first line is long: no note about its shape.
    let lines = format!("{}\n{SUB}\n", line.replacen("\"Controller\":\"Zenith\",", "", 1));
    let run = check(&scratch("long-first.jsonl", lines.as_bytes()), &["-q"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn a_compact_har_is_har_whatever_comes_before_its_log() {
    let item = serde_json::json!({"type": "send", "time": 1.0, "opcode": 1, "data": SUB});
    let har =
        format!(r#"{{"comment":"{}","log":{{"entries":[{{"_webSocketMessages":[{item}]}}]}}}}"#, "c".repeat(70_000));
    let run = check(&scratch("late-log.har", har.as_bytes()), &["--format", "json"]);
    assert_eq!(run.stderr, "");
    let (found, summary) = findings(&run);
    assert_eq!(found, [("subscription-silent".to_owned(), String::new())]);
    assert_eq!((summary["read"].as_u64(), summary["valid"].as_u64()), (Some(1), Some(1)));
}

#[test]
fn a_har_item_nested_as_deep_as_a_message_is_read() {
    let deep = format!("{}{}", "[".repeat(124), "]".repeat(124));
    let har = format!(
        r#"{{"log":{{"entries":[{{"_resourceType":"websocket","_webSocketMessages":[{{"type":"send","opcode":1,"extra":{deep},"data":{}}}]}}]}}}}"#,
        serde_json::to_string(SUB).unwrap()
    );
    let run = check(&scratch("deep.har", har.as_bytes()), &["-q", "--format", "json"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let (_, summary) = findings(&run);
    assert_eq!(summary["valid"], 1);
}

#[test]
fn a_message_with_thousands_of_problems_reports_its_first_and_counts_the_rest() {
    let items = vec!["1"; 5_000].join(",");
    let line = format!("{{\"Controller\":\"Market\",\"Topic\":\"Depth!BHP.ASX\",\"Data\":[{items}]}}\n");
    let path = scratch("invalid-items.jsonl", line.as_bytes());
    let run = check(&path, &["--format", "json"]);
    let (found, summary) = findings(&run);
    assert_eq!(found.len(), 101, "{found:?}");
    assert!(found[..100].iter().enumerate().all(|(n, f)| *f == ("wrong-type".into(), format!("/Data/{n}"))));
    assert_eq!(found[100].0, "finding-limit");
    let record: Value = serde_json::from_str(run.stdout.lines().nth(100).unwrap()).unwrap();
    assert_eq!(record["severity"], "error");
    assert!(
        record["message"].as_str().unwrap().starts_with(
            "4901 more findings about this message not shown (1 push-without-subscription, 4900 wrong-type)"
        ),
        "{record}"
    );
    assert_eq!((run.code, summary["invalid"].as_u64()), (1, Some(1)));
    assert_eq!(check(&path, &["-q"]).code, 1);
}

#[test]
fn a_json_array_document_is_read_whole_and_the_same_on_any_number_of_threads() {
    let document = format!(
        "[\n{}\n]\n",
        vec![r#"  {"Controller": "Zenith", "Controller": "Zenith", "Topic": "ServerInfo", "Action": "Sub"}"#; 3_000]
            .join(",\n")
    );
    let path = scratch("array.json", document.as_bytes());
    let one = check(&path, &["--format", "json", "-j", "1"]);
    assert_eq!(
        one.stderr,
        format!(
            "zenith: {}: one JSON document (an array of messages), not JSON Lines: each message is numbered as a line\n",
            path.display()
        )
    );
    let (found, summary) = findings(&one);
    assert_eq!(found.iter().filter(|f| f.0 == "duplicate-key").count(), 3_000, "every repeated key is still there");
    assert_eq!(summary["read"], 3_000);
    let two = check(&path, &["--format", "json", "-j", "2"]);
    assert_eq!(two.stdout, one.stdout);
}

#[test]
fn many_small_lines_give_the_same_findings_on_any_number_of_threads() {
    let path = scratch("empty-objects.jsonl", "{}\n".repeat(20_000).as_bytes());
    let one = check(&path, &["--format", "json", "-j", "1"]);
    let (found, summary) = findings(&one);
    assert_eq!(found.len(), 20_000);
    assert!(found.iter().all(|f| f.0 == "missing-required"));
    assert_eq!(summary["invalid"], 20_000);
    for jobs in ["2", "3"] {
        assert_eq!(check(&path, &["--format", "json", "-j", jobs]).stdout, one.stdout, "with {jobs} threads");
    }
}

/// What `zenith explain -` prints of `message`.
fn explain(message: &str) -> String {
    test_kit::run(Command::new(env!("CARGO_BIN_EXE_zenith")).args(["explain", "-"]), Some(message.as_bytes())).stdout
}

#[test]
fn explain_shows_a_message_s_first_problems_and_counts_the_rest() {
    let stdout = explain(&depth_of_numbers(150));
    let problems: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  /Data/")).collect();
    assert_eq!(problems.len(), 100, "{stdout}");
    assert!(stdout.contains("\n  50 more error wrong-type not shown\n"), "{stdout}");
}

/// A Depth push of `count` numbers (each an invalid record): too many values for a tree.
fn depth_of_numbers(count: usize) -> String {
    format!("{{\"Controller\":\"Market\",\"Topic\":\"Depth!BHP.ASX\",\"Data\":[{}]}}", vec!["1"; count].join(","))
}

#[test]
fn replay_passes_over_a_message_too_large_to_read_and_says_so() {
    let sub = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Sub"}"#;
    let add = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"A","Order":{"ID":"a","Quantity":1}}]}"#;
    let lines = format!(
        "{{\"type\":\"send\",\"data\":{}}}\n{{\"type\":\"receive\",\"data\":{}}}\n{{\"type\":\"receive\",\"data\":{}}}\n",
        Value::from(sub),
        Value::from(add),
        Value::from(depth_of_numbers(300_000))
    );
    let path = scratch("replay-large.jsonl", lines.as_bytes());
    let output = Command::new(env!("CARGO_BIN_EXE_zenith"))
        .args(["replay", path.to_str().unwrap(), "--topic", "Depth!BHP.ASX", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("1 data message(s) on `Depth!BHP.ASX` not applied: each holds over 262144 JSON values"),
        "{stderr}"
    );
    let state: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((state["messages"].as_u64(), state["too_large"].as_u64()), (Some(1), Some(1)), "{state}");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn explain_tells_the_verdict_on_a_message_too_large_to_read() {
    let stdout = explain(&depth_of_numbers(300_000));
    assert!(
        stdout.contains(
            "the message holds 300007 JSON values, over the 262144 that are read to locate problems, so they are not \
             listed"
        ),
        "{stdout}"
    );
}
