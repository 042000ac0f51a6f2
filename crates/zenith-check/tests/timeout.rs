//! Requests that wait longer than the reply timeout: reported once, at the request, as soon as
//! the clock (a later message's time, or a live check's tick) passes the deadline; the request
//! goes on waiting, so a late reply still pairs with it.

use zenith_capture::{Body, Direction, Event, Format, Frame, Limits, Origin};
use zenith_check::{Checker, DEFAULT_REPLY_TIMEOUT, Finding, Level, MAX_WAITING_REQUESTS, Summary};

/// A QueryMethod request with TransactionID `id` on connection `conn`.
fn request(conn: &str, id: u64, time: Option<f64>) -> Event {
    let text = format!(
        r#"{{"Controller":"Channel","Topic":"QueryMethod","TransactionID":{id},"Data":{{"Type":"Push.Web"}}}}"#
    );
    frame(conn, time, Direction::Send, text)
}

/// The reply to [`request`] `id`.
fn reply(conn: &str, id: u64, time: Option<f64>) -> Event {
    let text = format!(
        r#"{{"Controller":"Channel","Topic":"QueryChannel","TransactionID":{id},"Data":{{"Type":"Push.Web","Metadata":{{"applicationServerKey":"BNbx","userVisibleOnly":true}}}}}}"#
    );
    frame(conn, time, Direction::Receive, text)
}

fn frame(conn: &str, time: Option<f64>, direction: Direction, text: String) -> Event {
    let origin = Origin::Line { line: 1, conn: Some(conn.into()) };
    Event::Frame(Frame { origin, time, direction: Some(direction), body: Body::Text(text) })
}

/// Checks the events with the default reply timeout, giving every finding and the summary.
fn check(events: impl IntoIterator<Item = Event>) -> (Vec<Finding>, Summary) {
    check_with(&mut Checker::new("capture"), events)
}

fn check_with(checker: &mut Checker, events: impl IntoIterator<Item = Event>) -> (Vec<Finding>, Summary) {
    let mut findings = Vec::new();
    for event in events {
        checker.event(event, &mut |f| findings.push(f));
    }
    let checker = std::mem::replace(checker, Checker::new("capture"));
    let summary = checker.finish(&mut |f| findings.push(f));
    (findings, summary)
}

fn codes(findings: &[Finding]) -> Vec<(&str, u64)> {
    findings.iter().map(|f| (f.code.as_str(), f.index)).collect()
}

#[test]
fn a_reply_after_the_timeout_is_reported_at_the_request_and_still_pairs() {
    let (findings, summary) = check([request("a", 8, Some(1000.0)), reply("a", 8, Some(1040.0))]);
    assert_eq!(codes(&findings), [("reply-timeout", 1)], "{findings:#?}");
    let timeout = &findings[0];
    assert_eq!(timeout.level, Level::Warning);
    assert_eq!(timeout.time, Some(1000.0));
    assert_eq!(timeout.direction, Some(Direction::Send));
    assert_eq!(timeout.topic.as_deref(), Some("QueryMethod"));
    assert_eq!(timeout.instance_path, "");
    assert_eq!(timeout.message, "the QueryMethod request (#1 on conn a) got no reply within 35 s");
    assert_eq!((summary.requests, summary.replies, summary.unanswered), (1, 1, 0));
    assert_eq!((summary.timed_out, summary.orphan_replies), (1, 0));
    assert_eq!(summary.latency.count, 1);
    assert_eq!(summary.latency.max_ms, Some(40_000.0));
    assert_eq!(summary.findings.get("reply-timeout"), Some(&1));
}

#[test]
fn a_request_never_answered_times_out_and_is_then_unanswered_at_the_end() {
    let events = [request("a", 8, Some(0.0)), request("a", 9, Some(100.0)), reply("a", 9, Some(100.5))];
    let (findings, summary) = check(events);
    assert_eq!(codes(&findings), [("reply-timeout", 1), ("unanswered-request", 1)], "{findings:#?}");
    assert_eq!((summary.requests, summary.replies, summary.unanswered, summary.timed_out), (2, 1, 1, 1));
}

#[test]
fn a_message_on_another_connection_moves_the_clock_for_all() {
    // The last time seen is past the deadline only on another connection.
    let (findings, summary) = check([request("a", 8, Some(0.0)), request("b", 1, Some(35.0))]);
    let found: Vec<_> = findings.iter().map(|f| (f.code.as_str(), f.origin.connection().into_owned())).collect();
    let expected = [("reply-timeout", "a"), ("unanswered-request", "a"), ("unanswered-request", "b")];
    assert_eq!(found, expected.map(|(code, conn)| (code, conn.to_owned())), "{findings:#?}");
    assert_eq!(summary.timed_out, 1);
}

#[test]
fn a_reply_within_the_timeout_is_not_reported() {
    let (findings, summary) = check([request("a", 8, Some(0.0)), reply("a", 8, Some(10.0))]);
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!((summary.replies, summary.timed_out), (1, 0));
}

#[test]
fn a_tick_past_the_deadline_reports_the_request_once() {
    let mut checker = Checker::new("capture");
    assert_eq!(checker.reply_timeout(), Some(DEFAULT_REPLY_TIMEOUT));
    let mut findings = Vec::new();
    checker.event(request("a", 8, Some(0.0)), &mut |f| findings.push(f));
    checker.tick(20.0, &mut |f| findings.push(f));
    assert!(findings.is_empty(), "{findings:#?}");
    checker.tick(36.0, &mut |f| findings.push(f));
    assert_eq!(codes(&findings), [("reply-timeout", 1)]);
    checker.tick(36.0, &mut |f| findings.push(f));
    checker.tick(1000.0, &mut |f| findings.push(f));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let (late, summary) = check_with(&mut checker, [reply("a", 8, Some(40.0))]);
    assert!(late.is_empty(), "{late:#?}");
    assert_eq!((summary.replies, summary.unanswered, summary.timed_out), (1, 0, 1));
    assert_eq!(summary.findings.get("reply-timeout"), Some(&1));
}

#[test]
fn a_live_check_and_a_recording_of_it_find_the_same() {
    let session = || [request("a", 8, Some(0.0)), request("b", 2, Some(30.0)), reply("a", 8, Some(50.0))];
    let (recorded, _) = check(session());
    let mut live = Checker::new("capture");
    let mut found = Vec::new();
    let [first, second, third] = session();
    live.event(first, &mut |f| found.push(f));
    live.event(second, &mut |f| found.push(f));
    live.tick(36.0, &mut |f| found.push(f));
    live.tick(45.0, &mut |f| found.push(f));
    let (rest, _) = check_with(&mut live, [third]);
    found.extend(rest);
    assert_eq!(found, recorded);
    assert_eq!(codes(&found), [("reply-timeout", 1), ("unanswered-request", 1)], "{found:#?}");
}

#[test]
fn no_timeout_means_never_and_another_timeout_is_named() {
    let mut checker = Checker::new("capture");
    checker.set_reply_timeout(None);
    let (findings, summary) = check_with(&mut checker, [request("a", 8, Some(0.0)), request("a", 9, Some(1e6))]);
    assert_eq!(codes(&findings), [("unanswered-request", 1), ("unanswered-request", 2)], "{findings:#?}");
    assert_eq!(summary.timed_out, 0);
    for odd in [f64::NAN, f64::INFINITY, -1.0] {
        checker.set_reply_timeout(Some(odd));
        assert_eq!(checker.reply_timeout(), None);
    }
    checker.set_reply_timeout(Some(0.5));
    let (findings, _) = check_with(&mut checker, [request("a", 8, Some(0.0)), reply("a", 8, Some(0.75))]);
    assert_eq!(findings[0].message, "the QueryMethod request (#1 on conn a) got no reply within 0.5 s");
}

#[test]
fn requests_without_a_time_never_time_out() {
    let mut checker = Checker::new("capture");
    let mut findings = Vec::new();
    checker.event(request("a", 8, None), &mut |f| findings.push(f));
    checker.tick(1e12, &mut |f| findings.push(f));
    let (rest, summary) = check_with(&mut checker, [reply("a", 9, Some(2e12))]);
    findings.extend(rest);
    assert_eq!(codes(&findings), [("orphan-reply", 2), ("unanswered-request", 1)], "{findings:#?}");
    assert_eq!(summary.timed_out, 0);
}

#[test]
fn each_connection_names_its_own_request() {
    let events = [request("a", 1, Some(0.0)), request("b", 1, Some(10.0)), request("c", 1, Some(50.0))];
    let (findings, summary) = check(events);
    let timeouts: Vec<&str> =
        findings.iter().filter(|f| f.code == "reply-timeout").map(|f| f.message.as_str()).collect();
    assert_eq!(
        timeouts,
        [
            "the QueryMethod request (#1 on conn a) got no reply within 35 s",
            "the QueryMethod request (#1 on conn b) got no reply within 35 s",
        ]
    );
    assert_eq!(summary.timed_out, 2);
}

#[test]
fn times_going_back_neither_fire_early_nor_panic() {
    let mut checker = Checker::new("capture");
    let mut findings = Vec::new();
    let mut step = |event: Option<Event>, tick: f64| {
        if let Some(event) = event {
            checker.event(event, &mut |f| findings.push(f));
        }
        checker.tick(tick, &mut |f| findings.push(f));
        findings.iter().map(|f| format!("{} #{}", f.code, f.index)).collect::<Vec<_>>().join(", ")
    };
    step(Some(request("a", 1, Some(100.0))), 0.0);
    assert_eq!(step(Some(reply("b", 5, Some(50.0))), 120.0), "orphan-reply #1");
    // Sent before the clock's time (120): it waits from then, not from its own time.
    assert_eq!(step(Some(request("a", 2, Some(10.0))), 0.0), "orphan-reply #1");
    assert_eq!(step(None, 135.0), "orphan-reply #1, reply-timeout #1");
    assert_eq!(step(Some(request("a", 3, Some(-1e300))), 154.0), "orphan-reply #1, reply-timeout #1");
    assert_eq!(step(None, 155.0), "orphan-reply #1, reply-timeout #1, reply-timeout #2");
    assert_eq!(step(None, 170.0), "orphan-reply #1, reply-timeout #1, reply-timeout #2, reply-timeout #3");
}

#[test]
fn times_that_are_not_finite_are_ignored() {
    let mut checker = Checker::new("capture");
    let mut findings = Vec::new();
    for (id, time) in [(1, f64::NAN), (2, f64::INFINITY), (3, f64::NEG_INFINITY)] {
        checker.event(request("a", id, Some(time)), &mut |f| findings.push(f));
        checker.tick(time, &mut |f| findings.push(f));
    }
    checker.event(request("a", 4, Some(0.0)), &mut |f| findings.push(f));
    checker.tick(f64::NAN, &mut |f| findings.push(f));
    checker.tick(f64::INFINITY, &mut |f| findings.push(f));
    assert!(findings.is_empty(), "{findings:#?}");
    checker.tick(36.0, &mut |f| findings.push(f));
    assert_eq!(codes(&findings), [("reply-timeout", 4)]);
    let (rest, summary) = check_with(&mut checker, [reply("a", 2, Some(f64::NAN))]);
    assert_eq!(codes(&rest), [("unanswered-request", 1), ("unanswered-request", 3), ("unanswered-request", 4)]);
    assert_eq!((summary.requests, summary.replies, summary.timed_out), (4, 1, 1));
}

#[test]
fn requests_given_up_by_the_waiting_limit_do_not_time_out() {
    let events = (0..=MAX_WAITING_REQUESTS as u64).map(|id| request("a", id, Some(0.0)));
    let mut checker = Checker::new("capture");
    let mut findings = Vec::new();
    for event in events {
        checker.event(event, &mut |f| findings.push(f));
    }
    assert_eq!(codes(&findings), [("unanswered-request", 1)]);
    checker.tick(100.0, &mut |f| findings.push(f));
    assert_eq!(findings.len(), 1 + MAX_WAITING_REQUESTS);
    assert!(findings[1..].iter().all(|f| f.code == "reply-timeout"));
    assert_eq!((findings[1].index, findings[MAX_WAITING_REQUESTS].index), (2, MAX_WAITING_REQUESTS as u64 + 1));
}

#[test]
fn a_recording_read_from_json_lines_times_out_the_same() {
    let capture = concat!(
        r#"{"conn":"a","type":"send","time":1000.0,"data":"{\"Controller\":\"Channel\",\"Topic\":\"QueryMethod\",\"TransactionID\":8,\"Data\":{\"Type\":\"Push.Web\"}}"}"#,
        "\n",
        r#"{"conn":"a","type":"receive","time":1040.0,"data":"{\"Controller\":\"Channel\",\"Topic\":\"QueryChannel\",\"TransactionID\":8,\"Data\":{\"Type\":\"Push.Web\",\"Metadata\":{\"applicationServerKey\":\"BNbx\",\"userVisibleOnly\":true}}}"}"#,
        "\n",
    );
    let mut events = Vec::new();
    zenith_capture::read(Format::Jsonl, capture.as_bytes(), Limits::default(), &mut |e| events.push(e)).unwrap();
    let (findings, summary) = check(events);
    assert_eq!(codes(&findings), [("reply-timeout", 1)], "{findings:#?}");
    assert!(matches!(findings[0].origin, Origin::Line { line: 1, .. }), "{findings:#?}");
    assert_eq!((summary.replies, summary.timed_out), (1, 1));
}
