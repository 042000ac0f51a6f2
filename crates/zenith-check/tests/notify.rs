//! Every topic of the reference is checked against its own schemas (nothing is left unchecked),
//! and replies that the reference sends on another topic pair with their requests: ExecuteScan's
//! on `QueryMatches`, QueryMethod's on `QueryChannel`.

use std::collections::BTreeSet;

use serde_json::Value;
use zenith_capture::Format;
use zenith_check::{Finding, Summary};

fn check(capture: &str) -> (Summary, Vec<Finding>) {
    let (findings, summary) = test_kit::Check::new().source("capture.jsonl").format(Format::Jsonl).run(capture);
    (summary, findings)
}

#[test]
fn a_capture_of_every_topic_has_no_message_left_unchecked() {
    let mut capture = String::new();
    for (_, schema) in test_kit::schemas().files() {
        let Some(meta) = schema.get("x-zenith") else { continue };
        // Each on a connection of its own: the examples are not one session.
        for example in schema["examples"].as_array().into_iter().flatten() {
            let conn = format!("c{}", capture.len());
            let item = serde_json::json!({"conn": conn, "type": meta["direction"], "data": example.to_string()});
            capture.push_str(&format!("{item}\n"));
        }
    }
    let (summary, findings) = check(&capture);
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.level == zenith_check::Level::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(summary.invalid + summary.unreadable, 0);

    // Every topic of the fact tables is among the rows, and each was checked by its schema.
    let facts = test_kit::shared().join("spec/zenith-api");
    let checked: BTreeSet<(String, String)> =
        summary.messages.iter().map(|row| (row.controller.clone(), row.topic.clone())).collect();
    let mut topics = 0;
    for entry in std::fs::read_dir(facts).unwrap() {
        let path = entry.unwrap().path();
        let table: Value = match path.extension().is_some_and(|e| e == "json") {
            true => serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap(),
            false => continue,
        };
        let (Some(controller), Some(entries)) = (table["controller"].as_str(), table["topics"].as_array()) else {
            continue;
        };
        for entry in entries {
            let topic = entry["topic"].as_str().unwrap();
            let found = checked.iter().any(|(c, t)| t == topic && (c == controller || controller == "Common"));
            assert!(found, "{controller}/{topic} is not in a capture of every schema's examples");
            topics += 1;
        }
    }
    assert_eq!(topics, 91);
}

const SCAN_SESSION: &str = r#"{"type":"send","data":"{\"Controller\":\"Notify\",\"Topic\":\"ExecuteScan\",\"TransactionID\":7,\"Data\":{\"Type\":\"Market.Search\",\"Criteria\":[\"And\",[\"Market\",\"ASX\"],[\">\",\"LastPrice\",10]],\"Target\":[\"ASX\"]}}"}
{"type":"receive","data":"{\"Controller\":\"Notify\",\"Topic\":\"QueryMatches\",\"TransactionID\":7,\"Data\":[{\"Operation\":\"Clear\"},{\"Operation\":\"Add\",\"Key\":\"BHP.ASX\"}]}"}
{"type":"send","data":"{\"Controller\":\"Channel\",\"Topic\":\"QueryMethod\",\"TransactionID\":8,\"Data\":{\"Type\":\"Push.Web\"}}"}
{"type":"receive","data":"{\"Controller\":\"Channel\",\"Topic\":\"QueryChannel\",\"TransactionID\":8,\"Data\":{\"Type\":\"Push.Web\",\"Metadata\":{\"applicationServerKey\":\"BNbx\",\"userVisibleOnly\":true}}}"}
"#;

#[test]
fn replies_on_the_topics_the_reference_uses_pair_with_their_requests() {
    let (summary, findings) = check(SCAN_SESSION);
    assert_eq!(findings, [], "a clean session");
    assert_eq!((summary.valid, summary.requests, summary.replies, summary.unanswered), (4, 2, 2, 0));
}

#[test]
fn a_reply_with_another_topics_shape_to_its_own_request_is_reported() {
    let session = SCAN_SESSION.replace(
        r#"\"Topic\":\"QueryMethod\",\"TransactionID\":8,\"Data\":{\"Type\":\"Push.Web\"}"#,
        r#"\"Topic\":\"QueryChannel\",\"TransactionID\":8,\"Data\":{\"ChannelID\":\"j5Tm6X\"}"#,
    );
    let (_, findings) = check(&session);
    let codes: Vec<(u64, &str)> = findings.iter().map(|f| (f.index, f.code.as_str())).collect();
    assert_eq!(codes, [(4, "reply-shape-mismatch")], "{findings:#?}");
    assert!(findings[0].message.contains("has the shape of a `QueryMethod` reply"), "{}", findings[0].message);
}

#[test]
fn a_malformed_criterion_is_one_finding_at_its_path() {
    let session = SCAN_SESSION.replace(r#"\"LastPrice\",10]"#, r#"\"LastPrice\",\"Banana\"]"#);
    let (summary, findings) = check(&session);
    let codes: Vec<(u64, &str, &str)> =
        findings.iter().map(|f| (f.index, f.code.as_str(), f.instance_path.as_str())).collect();
    assert_eq!(codes, [(1, "not-in-enum", "/Data/Criteria/2/2")]);
    assert_eq!(summary.invalid, 1);
}
