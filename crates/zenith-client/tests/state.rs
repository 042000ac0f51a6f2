//! Against a scripted server on loopback: a subscription's state kept by the schemas' change
//! rules (a record that does not fit told, never skipped), and a reply on another of the
//! request's reply topics read as its reply.

use std::time::Duration;

use serde_json::Value;
use support::scripted;
use zenith_capture::{Format, Limits};
use zenith_check::{Replay, Until};
use zenith_client::{Client, Event, Options};
use zenith_protocol::market::{DepthOrder, DepthPush, DepthTopic};
use zenith_protocol::shared::Side;

mod support;

#[tokio::test]
async fn a_depth_book_is_kept_and_a_record_that_does_not_fit_is_told() {
    let url = scripted(vec![
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"C"},{"O":"A","Order":{"ID":"1","Side":"Bid","Price":42.0,"Position":1,"Quantity":100}},{"O":"A","Order":{"ID":"2","Side":"Ask","Price":42.1,"Position":1,"Quantity":50}}]}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"U","Order":{"ID":"7","Quantity":5}},{"O":"R","Order":{"ID":"2"}}]}"#,
    ])
    .await;
    let client =
        Client::connect(&url, Options { request_timeout: Duration::from_secs(5), ..Options::default() }).await.unwrap();
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    let Some(Event::Push(snapshot)) = depth.next().await else { panic!("the snapshot") };
    let _: DepthPush = snapshot;
    assert!(matches!(depth.next().await, Some(Event::Push(_))));
    let Some(Event::Inconsistent { reason }) = depth.next().await else { panic!("the update of 7 is told") };
    assert_eq!(reason, "/Data/0: Update of `7`, which is not held");
    let held: Vec<(String, f64)> =
        depth.state().records().map(|(key, order)| (key.to_owned(), order["Price"].as_f64().unwrap())).collect();
    assert_eq!(held, [("1".to_owned(), 42.0)], "the remove after it was applied");
    let typed: Vec<DepthOrder> = depth.state().records_as().map(|(_, order)| order.unwrap()).collect();
    assert_eq!((typed[0].side.as_ref(), typed[0].price.as_ref()), (Some(&Side::Bid), Some(&"42".parse().unwrap())));
    // A stream joining the live topic holds the same state at once.
    let joined = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    assert_eq!(joined.state().records().count(), 1);
}

#[tokio::test]
async fn a_reply_on_another_reply_topic_reads_as_the_requests_reply() {
    use zenith_protocol::auth::{AuthOwnerRequest, AuthOwnerRequestData};
    let url = scripted(Vec::new()).await;
    let client =
        Client::connect(&url, Options { request_timeout: Duration::from_secs(5), ..Options::default() }).await.unwrap();
    let data =
        AuthOwnerRequestData::builder().provider("P").client_id("C").user_name("u").password("p").build().unwrap();
    let reply = client.request(AuthOwnerRequest::new(data)).await.unwrap();
    assert_eq!(reply.data.user_id.as_deref(), Some("u"));
    assert_eq!(reply.topic.as_str(), "Identify", "kept as it came");
}

#[tokio::test]
async fn the_depth_book_of_a_recorded_session_is_what_zenith_replay_rebuilds() {
    const DEPTH: &str = "Depth!BHP.ASX";
    let capture = std::fs::read_to_string(test_kit::root().join("examples/captures/market-session.jsonl")).unwrap();
    // The session's Depth pushes, as its server sent them.
    let pushes: Vec<String> = capture
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|frame| frame["type"] == "receive")
        .filter_map(|frame| frame["data"].as_str().map(str::to_owned))
        .filter(|text| {
            let message: Value = serde_json::from_str(text).unwrap();
            message["Topic"] == DEPTH && message.get("Action").is_none()
        })
        .collect();
    assert!(pushes.len() >= 4, "the session has a book: {pushes:?}");
    let url = scripted(pushes.iter().map(String::as_str).collect()).await;
    let client =
        Client::connect(&url, Options { request_timeout: Duration::from_secs(5), ..Options::default() }).await.unwrap();
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    let (mut applied, mut inconsistent) = (0, 0);
    while applied < pushes.len() {
        match tokio::time::timeout(Duration::from_secs(5), depth.next()).await.expect("every push arrives") {
            Some(Event::Push(_)) => applied += 1,
            Some(Event::Inconsistent { .. }) => inconsistent += 1,
            other => panic!("{other:?}"),
        }
    }

    let mut replay = Replay::new(DEPTH, None, Until::End);
    zenith_capture::read(Format::Jsonl, capture.as_bytes(), Limits::default(), &mut |e| replay.event(e)).unwrap();
    let replayed = replay.finish().records.expect("replay holds a book");
    let held: serde_json::Map<String, Value> =
        depth.state().records().map(|(key, order)| (key.to_owned(), order.clone())).collect();
    assert_eq!(held, replayed);
    assert_eq!(held.keys().collect::<Vec<_>>(), ["1", "3", "4", "6"]);
    assert_eq!(inconsistent, 1, "the session's one change for an unknown key is told");
}
