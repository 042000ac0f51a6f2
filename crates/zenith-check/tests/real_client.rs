//! Sessions conducted as the real client, motif-core, conducts them (`docs/reference/client-drift.md`):
//! a Sub carrying a TransactionID, answered by an `Error` carrying it; an Unsub sent with
//! `Confirm: false` and not awaited, then a subscription the server ends of its own accord.

use serde_json::{Value, json};
use test_kit::{Capture, Check};
use zenith_capture::Format;
use zenith_check::{Finding, Level};

fn check(messages: &[(&str, Value)]) -> (Vec<Finding>, zenith_check::Summary) {
    let text =
        Capture::new().conn("1").messages(messages.iter().map(|(direction, message)| (direction, message))).jsonl();
    Check::new().source("motif.jsonl").format(Format::Jsonl).run(text)
}

fn codes(findings: &[Finding]) -> Vec<(u64, &str, Level)> {
    findings.iter().map(|f| (f.index, f.code.as_str(), f.level)).collect()
}

fn feeds_push() -> (&'static str, Value) {
    (
        "receive",
        json!({"Controller": "Zenith", "Topic": "Feeds", "Data": [{"Class": "Market", "Name": "ASX[Demo]", "Status": "Active"}]}),
    )
}

#[test]
fn an_error_answering_a_sub_by_its_transaction_id_is_the_subs_failure_not_an_orphan() {
    let (findings, summary) = check(&[
        (
            "send",
            json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Sub", "TransactionID": 7, "Confirm": true}),
        ),
        (
            "receive",
            json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Error", "TransactionID": 7, "Data": "Not authorised"}),
        ),
        feeds_push(),
    ]);
    // The Error pairs with the Sub; the subscription failed, so it waits for nothing and the
    // data after it has no subscription.
    assert_eq!(
        codes(&findings),
        [(2, "error-reply", Level::Info), (3, "push-without-subscription", Level::Error)],
        "{findings:#?}"
    );
    assert!(findings[0].message.contains("Not authorised"), "{}", findings[0].message);
    assert_eq!(summary.orphan_replies, 0);
}

#[test]
fn a_sub_with_a_transaction_id_that_succeeds_is_followed_as_any_other() {
    let (findings, _) = check(&[
        (
            "send",
            json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Sub", "TransactionID": 7, "Confirm": true}),
        ),
        feeds_push(),
        (
            "receive",
            json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Sub", "TransactionID": 7, "Confirm": true}),
        ),
    ]);
    assert_eq!(codes(&findings), [], "{findings:#?}");
}

#[test]
fn an_unsub_without_confirm_awaits_nothing_so_a_later_server_unsub_ends_the_subscription() {
    let sub = || ("send", json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Sub", "Confirm": true}));
    let (findings, _) = check(&[
        // Subscribed twice: one Unsub leaves one subscription.
        sub(),
        sub(),
        feeds_push(),
        ("send", json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Unsub", "Confirm": false})),
        feeds_push(),
        // The server ends the subscription of its own accord (not a confirmation: none was asked).
        ("receive", json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Unsub"})),
        feeds_push(),
    ]);
    assert_eq!(codes(&findings), [(7, "push-without-subscription", Level::Error)], "{findings:#?}");
    assert!(findings[0].message.contains("after its subscription ended"), "{}", findings[0].message);
}

#[test]
fn watchlist_members_inserted_and_replaced_with_a_count_are_a_drift_warning_and_apply_cleanly() {
    let topic = "Watchlist!123ABC";
    let (findings, _) = check(&[
        ("send", json!({"Controller": "Watchlist", "Topic": topic, "Action": "Sub"})),
        (
            "receive",
            json!({"Controller": "Watchlist", "Topic": topic, "Data": [
                {"Operation": "Clear"},
                {"Operation": "Insert", "At": 0, "Count": 3, "Members": ["BHP.ASX", "CBA.ASX", "NAB.ASX"]},
                {"Operation": "Replace", "At": 1, "Count": 1, "Members": ["TLS.ASX"]},
                {"Operation": "Remove", "At": 2, "Count": 1}
            ]}),
        ),
        // Positions follow the list as the records left it: two members now.
        (
            "receive",
            json!({"Controller": "Watchlist", "Topic": topic, "Data": [{"Operation": "Replace", "At": 1, "Count": 1, "Members": ["WBC.ASX"]}]}),
        ),
    ]);
    let said: Vec<(u64, &str, Level, &str)> =
        findings.iter().map(|f| (f.index, f.code.as_str(), f.level, f.instance_path.as_str())).collect();
    assert_eq!(
        said,
        [
            (2, "client-drift", Level::Warning, "/Data/1/Count"),
            (2, "client-drift", Level::Warning, "/Data/2/Count"),
            (3, "client-drift", Level::Warning, "/Data/0/Count"),
        ],
        "{findings:#?}"
    );
    assert!(findings[0].message.contains("watchlist-insert-count"), "{}", findings[0].message);
}

#[test]
fn an_error_answering_a_second_sub_leaves_the_first_subscription_live() {
    let sub =
        |id: i64| ("send", json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Sub", "TransactionID": id}));
    let mut session = vec![sub(1), feeds_push()];
    // Many other Subs in between do not crowd out the one answered.
    for id in 0..10 {
        session.push(("send", json!({"Controller": "Market", "Topic": format!("Security!T{id}.ASX"), "Action": "Sub", "TransactionID": 100 + id})));
    }
    session.push(sub(2));
    session.push((
        "receive",
        json!({"Controller": "Zenith", "Topic": "Feeds", "Action": "Error", "TransactionID": 2, "Data": "Limited"}),
    ));
    session.push(feeds_push());
    let (findings, summary) = check(&session);
    let said: Vec<_> = codes(&findings).into_iter().filter(|(_, code, _)| *code != "subscription-silent").collect();
    assert_eq!(said, [(14, "error-reply", Level::Info)], "{findings:#?}");
    assert_eq!(summary.orphan_replies, 0);
}
