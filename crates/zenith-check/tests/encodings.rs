//! The same session recorded in ZenithJson, ZenithMsgPack and ZenithBson, with and without
//! permessage-deflate, gets the same verdicts as its messages written as JSON Lines.

use std::path::PathBuf;

use serde_json::Value;
use zenith_capture::Format;
use zenith_check::Row;

fn fixtures() -> PathBuf {
    test_kit::shared().join("fixtures/pcap/zenith")
}

/// The verdicts: the summary rows, and each message finding as (index, code, path).
fn check(format: Format, bytes: &[u8]) -> (Vec<Row>, Vec<(u64, String, String)>) {
    let (findings, summary) = test_kit::Check::new().format(format).run(bytes);
    let findings = findings
        .into_iter()
        .filter(|f| !f.code.starts_with("websocket-"))
        .map(|f| (f.index, f.code, f.instance_path))
        .collect();
    (summary.messages, findings)
}

#[test]
fn every_encoding_gets_the_verdicts_of_json_lines() {
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("reference-json-plain.pcapng.truth.json")).unwrap(),
    )
    .unwrap();
    let lines: String = truth["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let item = serde_json::json!({"type": m["direction"], "data": m["message"].to_string()});
            format!("{item}\n")
        })
        .collect();
    let expected = check(Format::Jsonl, lines.as_bytes());
    assert!(expected.1.len() > 10, "the session has findings to compare: {:?}", expected.1);
    for name in [
        "reference-json-plain.pcapng",
        "reference-json-deflate.pcapng",
        "reference-msgpack-plain.pcapng",
        "reference-bson-deflate.pcapng",
    ] {
        let bytes = std::fs::read(fixtures().join(name)).unwrap();
        let found = check(Format::Pcap, &bytes);
        assert_eq!(found.0, expected.0, "{name}: summary rows");
        assert_eq!(found.1, expected.1, "{name}: findings");
    }
}
