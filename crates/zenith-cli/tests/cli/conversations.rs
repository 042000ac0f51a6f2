//! `zenith check` across messages: pairing, subscriptions, topics, keys, counts and the limits on each.

use serde_json::Value;
use test_kit::Capture;

use crate::common::{assert_balanced, records, temp_file, zenith};

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

/// JSON Lines items at time 1, one per line, each a message travelling in `direction` on `conn`.
fn items(messages: impl IntoIterator<Item = (&'static str, &'static str, Value)>) -> String {
    let capture = messages.into_iter().fold(Capture::new().at(1.0), |capture, (conn, direction, message)| {
        capture.conn(conn).message(direction, message)
    });
    capture.jsonl()
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
    let capture = Capture::new().conn("1").send(&request).receive(&error).receive(&part).receive(&part).receive(&stray);
    let path = temp_file("parts.jsonl", capture.jsonl().as_bytes());
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
