//! `zenith export`: a packet capture written as JSON Lines that check the same.

use crate::common::{BSON_SESSION, records, temp_file, zenith};

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
