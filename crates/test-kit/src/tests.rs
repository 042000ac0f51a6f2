//! The kit does what the tests that use it rely on: the paths, the schemas, captures and checks.

use std::process::Command;

use crate::{Capture, Check, check, events, records, root, run, schemas, scratch_file, shared};
use serde_json::{Value, json};
use zenith_capture::{Body, Event, Format};

const SUB: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Sub"}"#;

#[test]
fn the_root_is_the_workspace_and_shared_is_beside_it() {
    let root = root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("[workspace]"), "{}", root.display());
    assert!(root.join("schemas").is_dir());
    assert_eq!(shared().parent(), root.parent());
    assert_eq!(shared().file_name().unwrap(), "shared");
}

#[test]
fn a_capture_is_written_as_json_lines_in_its_order_with_what_was_set() {
    let capture = Capture::new()
        .send(SUB)
        .conn("1")
        .at(2.5)
        .receive(json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Data": []}))
        .opcode(1)
        .message("error", "closed");
    assert_eq!(capture.len(), 3);
    assert_eq!(
        capture.jsonl(),
        concat!(
            r#"{"type":"send","data":"{\"Controller\":\"Market\",\"Topic\":\"Depth!BHP.ASX\",\"Action\":\"Sub\"}"}"#,
            "\n",
            r#"{"conn":"1","type":"receive","time":2.5,"data":"{\"Controller\":\"Market\",\"Topic\":\"Depth!BHP.ASX\",\"Data\":[]}"}"#,
            "\n",
            r#"{"conn":"1","type":"error","time":2.5,"opcode":1,"data":"closed"}"#,
            "\n",
        )
    );
}

#[test]
fn a_capture_as_har_has_an_entry_per_connection_and_reads_back() {
    let capture =
        Capture::new().conn("a").send(SUB).conn("b").send(SUB).conn("a").binary("receive", &[0x81, 0xa1, 0x41]);
    let har: Value = serde_json::from_str(&capture.har()).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["_webSocketMessages"].as_array().unwrap().len(), 2);
    assert_eq!(entries[0]["_webSocketMessages"][1], json!({"type": "receive", "opcode": 2, "data": "gaFB"}));
    let read = events(capture.har());
    let bodies: Vec<&Body> = read
        .iter()
        .filter_map(|e| match e {
            Event::Frame(frame) => Some(&frame.body),
            _ => None,
        })
        .collect();
    assert_eq!(bodies.len(), 3, "{read:?}");
    assert_eq!(bodies[0], &Body::Text(SUB.to_owned()));
}

#[test]
fn check_gives_the_findings_and_the_summary() {
    let misspelt = r#"{"Controller":"Market","Topic":"Dpeth!BHP.ASX","Action":"Sub"}"#;
    let capture = Capture::new().conn("1").send(SUB).send(misspelt);
    let (findings, summary) = check(&capture);
    assert_eq!(summary.read, 2);
    let codes: Vec<(u64, &str)> = findings.iter().map(|f| (f.index, f.code.as_str())).collect();
    assert!(codes.contains(&(2, "unknown-topic")), "{findings:#?}");
    assert!(findings.iter().all(|f| f.source == "capture"));
    // The same capture from a file is named by its path; the format may be given.
    let path = scratch_file("kit", "capture.jsonl", capture.jsonl());
    let (from_file, again) = check(&path);
    assert_eq!(again.read, 2);
    assert!(from_file.iter().all(|f| f.source == path.display().to_string()));
    let (named, _) = Check::new().source("named.jsonl").format(Format::Jsonl).run(capture.jsonl());
    assert!(!named.is_empty() && named.iter().all(|f| f.source == "named.jsonl"));
}

#[test]
fn the_schemas_are_every_file_in_path_order_and_refs_resolve_across_files() {
    let schemas = schemas();
    let files: Vec<&str> = schemas.files().map(|(file, _)| file).collect();
    assert!(files.len() > 100, "{} files", files.len());
    assert!(files.windows(2).all(|w| w[0] < w[1]), "in path order");
    assert!(files.contains(&"schemas/auth/AuthOwner.request.json"));
    let audit = schemas.file("schemas/types/OrderAudit.json");
    let (file, order) = schemas.resolve("schemas/types/OrderAudit.json", &audit["properties"]["Order"]);
    assert_eq!(file, "schemas/types/Order.json");
    assert_eq!(order["title"], schemas.file("schemas/types/Order.json")["title"]);
    // A schema without `$ref` is its own answer.
    let (file, same) = schemas.resolve("schemas/types/OrderAudit.json", audit);
    assert_eq!((file.as_str(), same), ("schemas/types/OrderAudit.json", audit));
}

#[test]
fn a_run_collects_both_outputs_and_the_exit_code() {
    let done = run(Command::new("sh").args(["-c", "cat; echo oops >&2; exit 3"]), Some(b"fed"));
    assert_eq!((done.stdout.as_str(), done.stderr.as_str(), done.code), ("fed", "oops\n", 3));
}

#[test]
fn records_are_the_lines_and_the_last_ones_summary() {
    let (found, summary) = records("{\"code\":\"a\"}\n{\"summary\":{\"read\":1}}\n");
    assert_eq!(found, [json!({"code": "a"})]);
    assert_eq!(summary, json!({"read": 1}));
}

#[test]
#[should_panic(expected = "last record is the summary")]
fn records_without_a_summary_fail_the_test() {
    records("{\"code\":\"a\"}\n");
}

#[test]
fn a_capture_is_written_as_json_lines_and_checked() {
    let capture = Capture::new()
        .conn("1")
        .at(1.0)
        .send(json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Action": "Sub"}))
        .receive(json!({"Controller": "Market", "Topic": "Depth!BHP.ASX", "Data": [{"O": "C"}]}));
    assert!(capture.jsonl().starts_with(r#"{"conn":"1","type":"send","time":1.0,"data":"#));
    let (findings, summary) = check(&capture);
    assert_eq!((summary.read, summary.valid), (2, 2), "{findings:?}");
}
