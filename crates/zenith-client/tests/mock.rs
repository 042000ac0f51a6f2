//! The client against `zenith mock`, in-process on loopback: sign-in, typed requests and
//! replies, subscriptions, and the server's refusals, faults and silences.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::mpsc;
use zenith_client::{Client, ClientError, Encoding, Event, Options, Reconnect};
use zenith_mock::{Mock, Options as MockOptions, Running};
use zenith_protocol::auth::{AuthOwnerRequest, AuthOwnerRequestData, AuthTokenRequest, AuthTokenRequestData};
use zenith_protocol::market::{
    DepthPush, DepthTopic, MarketsPush, MarketsTopic, QuerySecurityRequest, QuerySecurityRequestData,
};
use zenith_protocol::prelude::*;
use zenith_protocol::shared::Side;
use zenith_protocol::trading::{EquityOrderDetails, MarketRoute, OrderType, PlaceOrderRequest, PlaceOrderRequestData};

/// A mock on 127.0.0.1 with port 0, with `faults` and `rate` pushes a second per subscription;
/// it stops when dropped.
async fn mock(faults: &str, rate: f64) -> Running {
    let mut options = MockOptions::new("127.0.0.1:0".parse::<SocketAddr>().unwrap());
    options.faults = faults.parse().unwrap();
    options.rate = rate;
    Mock::bind(options).await.expect("the mock binds").spawn()
}

fn quick() -> Options {
    Options {
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        retry_delays: vec![Duration::from_millis(10), Duration::from_millis(10)],
        ..Options::default()
    }
}

async fn signed_in(url: &str, options: Options) -> Client {
    let client = Client::connect(url, options).await.expect("the client connects");
    let data = AuthOwnerRequestData::builder()
        .provider("Paritech")
        .client_id("demo")
        .user_name("demo")
        .password("demo")
        .build()
        .unwrap();
    client.sign_in(AuthOwnerRequest::new(data)).await.expect("demo signs in");
    client
}

/// The report of the mock's first connection to end.
async fn closed_report(events: &mut mpsc::UnboundedReceiver<zenith_mock::Event>) -> zenith_mock::ConnectionReport {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.expect("the mock reports");
        if let Some(zenith_mock::Event::Closed(report)) = event {
            return report;
        }
    }
}

#[tokio::test]
async fn signing_in_gives_the_identity_and_its_token_works_again() {
    let served = mock("", 1.0).await;
    let url = served.url();
    let client = Client::connect(&url, quick()).await.unwrap();
    let data =
        AuthOwnerRequestData::builder().provider("Paritech").client_id("demo").user_name("demo").password("demo");
    let identity = client.sign_in(AuthOwnerRequest::new(data.build().unwrap())).await.unwrap();
    assert_eq!(identity.user_id.as_deref(), Some("demo"));
    let token = identity.access_token.expect("a token is issued");
    assert!(!format!("{token:?}").contains(token.expose()), "the token never shows in Debug");

    let again = Client::connect(&url, quick()).await.unwrap();
    let data = AuthTokenRequestData::new("Paritech", token);
    let identity = again.sign_in(AuthTokenRequest::new(data)).await.unwrap();
    assert_eq!(identity.user_id.as_deref(), Some("demo"));
}

#[tokio::test]
async fn a_wrong_password_is_a_rejected_sign_in() {
    let served = mock("", 1.0).await;
    let url = served.url();
    let client = Client::connect(&url, quick()).await.unwrap();
    let data =
        AuthOwnerRequestData::builder().provider("Paritech").client_id("demo").user_name("demo").password("nope");
    let error = client.sign_in(AuthOwnerRequest::new(data.build().unwrap())).await.unwrap_err();
    assert!(matches!(error, ClientError::SignInRejected(_)), "{error}");
    assert!(!error.to_string().contains("nope"));
}

#[tokio::test]
async fn a_request_is_answered_by_its_typed_reply() {
    let served = mock("", 1.0).await;
    let url = served.url();
    let client = signed_in(&url, quick()).await;
    let reply = client.request(QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"))).await.unwrap();
    assert!(reply.transaction_id().is_some());
    assert_eq!(reply.kind(), MessageKind::QuerySecurityReply);
}

#[tokio::test]
async fn an_error_reply_is_a_typed_error_with_its_meaning() {
    let served = mock("limited=1", 1.0).await;
    let url = served.url();
    let client = signed_in(&url, quick()).await;
    let error =
        client.request(QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"))).await.unwrap_err();
    let ClientError::Server { kind, code, .. } = &error else { panic!("{error}") };
    assert_eq!((*kind, code.as_str()), (MessageKind::QuerySecurityRequest, "Limited"));
}

#[tokio::test]
async fn retry_is_tried_again_but_never_for_an_order() {
    let mut served = mock("retry=1", 1.0).await;
    let url = served.url();
    let client = signed_in(&url, quick()).await;
    let error =
        client.request(QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"))).await.unwrap_err();
    assert!(error.is_retry(), "{error}");
    let details = EquityOrderDetails::builder()
        .exchange("ASX")
        .code("BHP")
        .side(Side::Bid)
        .type_(OrderType::Limit)
        .quantity(100)
        .limit_price("42.05".parse::<Decimal>().unwrap())
        .build()
        .unwrap();
    let data = PlaceOrderRequestData::builder().account("1234").details(details).route(MarketRoute::new("ASX::CP"));
    let error = client.request(PlaceOrderRequest::new(data.build().unwrap())).await.unwrap_err();
    assert!(error.is_retry(), "{error}");
    client.close();
    let report = closed_report(&mut served.events).await;
    // One sign-in, three tries of the query (two retries), one of the order.
    assert_eq!(report.counts.faults, 4, "{report:?}");
}

#[tokio::test]
async fn an_unanswered_request_times_out() {
    let served = mock("drop=1", 1.0).await;
    let url = served.url();
    let options = Options { request_timeout: Duration::from_millis(300), ..quick() };
    let client = signed_in(&url, options).await;
    let error =
        client.request(QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"))).await.unwrap_err();
    assert!(matches!(error, ClientError::Timeout { kind: MessageKind::QuerySecurityRequest, .. }), "{error}");
}

#[tokio::test]
async fn a_subscription_streams_typed_pushes_and_shares_one_server_subscription() {
    let mut served = mock("", 50.0).await;
    let url = served.url();
    let client = signed_in(&url, quick()).await;
    let mut first = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    let Some(Event::Push(snapshot)) = first.next().await else { panic!("a snapshot first") };
    let snapshot: DepthPush = snapshot;
    assert_eq!(snapshot.typed_topic().unwrap(), DepthTopic::new("BHP", "ASX"));
    let mut second = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    assert!(matches!(second.next().await, Some(Event::Push(_))), "the shared subscription's pushes reach both");
    drop(first);
    drop(second);
    // The last stream gone, the next subscription is a new one, with its own snapshot.
    let mut third = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    assert!(matches!(third.next().await, Some(Event::Push(_))));
    drop(third);
    client.close();
    let report = closed_report(&mut served.events).await;
    assert_eq!(report.counts.subscribed, 2, "one Sub for the two shared streams, one after the Unsub: {report:?}");
}

#[tokio::test]
async fn the_servers_unsub_ends_the_stream_with_its_reason() {
    let served = mock("unsub=1", 50.0).await;
    let url = served.url();
    let client = signed_in(&url, quick()).await;
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    let mut ended = None;
    for _ in 0..10 {
        match tokio::time::timeout(Duration::from_secs(5), depth.next()).await.expect("an event") {
            Some(Event::Ended { reason }) => {
                ended = Some(reason);
                break;
            }
            Some(_) => continue,
            None => break,
        }
    }
    assert!(ended.expect("the stream ends").contains("server ended the subscription"));
    assert!(depth.next().await.is_none(), "nothing after the end");
}

#[tokio::test]
async fn a_slow_consumer_is_told_what_it_missed() {
    let served = mock("", 2000.0).await;
    let url = served.url();
    let options = Options { stream_buffer: 4, ..quick() };
    let client = signed_in(&url, options).await;
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut missed = 0;
    for _ in 0..20 {
        if let Some(Event::Lagged { missed: count }) = depth.next().await {
            missed = count;
            break;
        }
    }
    assert!(missed > 0, "the lag is told");
}

#[tokio::test]
async fn a_closed_connection_ends_calls_and_streams() {
    let served = mock("close=4000@300ms", 1.0).await;
    let url = served.url();
    let client = signed_in(&url, quick()).await;
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    let mut reason = None;
    for _ in 0..20 {
        match tokio::time::timeout(Duration::from_secs(5), depth.next()).await.expect("an event") {
            Some(Event::Ended { reason: why }) => {
                reason = Some(why);
                break;
            }
            Some(_) => continue,
            None => break,
        }
    }
    assert!(reason.expect("the stream ends").contains("4000"));
    let error =
        client.request(QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"))).await.unwrap_err();
    assert!(matches!(error, ClientError::Closed(_)), "{error}");
}

#[tokio::test]
async fn no_server_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let error = Client::connect(&format!("ws://{address}/"), quick()).await.err().expect("nothing listens");
    assert!(matches!(error, ClientError::Io(_)), "{error}");
    let error = Client::connect("http://127.0.0.1/", quick()).await.err().unwrap();
    assert!(error.to_string().contains("ws or wss"), "{error}");
}

#[tokio::test]
async fn a_dropped_connection_is_made_again_signed_in_and_each_stream_resynced() {
    let served = mock("close=1001@500ms", 50.0).await;
    let url = served.url();
    let reconnect = Reconnect {
        failures: vec![Duration::from_millis(20)],
        after_failures: Duration::from_millis(20),
        ..Reconnect::default()
    };
    let client = signed_in(&url, Options { reconnect, ..quick() }).await;
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..500 {
        let event = tokio::time::timeout(Duration::from_secs(5), depth.next()).await.expect("an event").expect("open");
        assert!(!matches!(event, Event::Ended { .. }), "{event:?}");
        let resynced = matches!(event, Event::Resynced);
        seen.push(resynced);
        if seen.len() > 1 && !resynced && seen[seen.len() - 2] {
            break;
        }
    }
    assert!(seen.windows(2).any(|w| w == [true, false]), "a push follows the resync: {seen:?}");
    // Signed in again: a request on the new connection is answered.
    let mut answered = false;
    for _ in 0..50 {
        match client.request(QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"))).await {
            Ok(_) => {
                answered = true;
                break;
            }
            Err(ClientError::Closed(_)) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(error) => panic!("{error}"),
        }
    }
    assert!(answered);
}

#[test]
fn the_reconnection_delays_are_the_real_clients() {
    let reconnect = Reconnect::default();
    let delays: Vec<u128> = (0..11).map(|failures| reconnect.delay(failures).as_millis()).collect();
    assert_eq!(delays, [8000, 50, 2000, 2000, 2000, 2000, 10000, 10000, 10000, 15000, 15000]);
}

#[tokio::test]
async fn an_address_in_an_error_shows_no_credentials() {
    let error = Client::connect("http://user:hunter2@127.0.0.1/?token=t0ps3cret", quick()).await.err().unwrap();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter2") && !shown.contains("t0ps3cret"), "{shown}");
}

#[tokio::test]
async fn a_topic_without_arguments_is_subscribed_as_the_others() {
    let served = mock("", 50.0).await;
    let client = signed_in(&served.url(), quick()).await;
    let mut markets = client.subscribe(MarketsTopic).await.unwrap();
    let Some(Event::Push(push)) = markets.next().await else { panic!("the markets first") };
    let push: MarketsPush = push;
    assert!(!push.data.is_empty());
}

#[tokio::test]
async fn messagepack_and_bson_sign_in_query_and_stream_as_json_does() {
    let mut served = mock("", 50.0).await;
    for encoding in [Encoding::Json, Encoding::MsgPack, Encoding::Bson] {
        let client = signed_in(&served.url(), Options { encoding, ..quick() }).await;
        let query = QuerySecurityRequest::new(QuerySecurityRequestData::new("ASX", "BHP"));
        assert_eq!(client.request(query).await.unwrap().kind(), MessageKind::QuerySecurityReply, "{encoding:?}");
        let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
        let Some(Event::Push(push)) = depth.next().await else { panic!("a push on {encoding:?}") };
        let _: DepthPush = push;
        assert!(depth.state().records().count() > 0, "{encoding:?}");
        client.close();
        let report = closed_report(&mut served.events).await;
        assert_eq!(report.protocol, encoding.subprotocol(), "{report:?}");
        assert_eq!(report.errors, 0, "{report:?}");
    }
}
