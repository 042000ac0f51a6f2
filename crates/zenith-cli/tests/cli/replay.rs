//! `zenith replay`: a topic's state rebuilt at any point of a capture, with no credential shown.

use test_kit::Capture;

use crate::common::{temp_file, zenith};

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
    let capture = Capture::new()
        .conn("1")
        .send(serde_json::json!({"Controller": "Auth", "Topic": "Identify", "Action": "Sub"}))
        .receive(
            serde_json::json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "Success", "AccessToken": "c2VjcmV0LXRva2Vu", "DisplayName": "c2VjcmV0LXRva2Vu"}}),
        );
    let path = temp_file("identify.jsonl", capture.jsonl().as_bytes());
    for format in ["human", "json"] {
        let run = zenith(&["replay", path.to_str().unwrap(), "--topic", "Identify", "--format", format], None);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains("c2VjcmV0LXRva2Vu"), "{}", run.stdout);
        assert!(run.stdout.contains("Success"), "{}", run.stdout);
    }
}
