//! Subscription state across messages: each state finding on a crafted session, none on the
//! valid one, and random valid order books that replay to what their model holds.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use test_kit::{Capture, Check};
use zenith_capture::{Format, Limits};
use zenith_check::{Finding, Level, Replay, Until};

/// A session on one connection, each message `(direction, message)`.
fn capture(messages: &[(&str, Value)]) -> String {
    Capture::new().conn("1").messages(messages.iter().map(|(direction, message)| (direction, message))).jsonl()
}

fn check(text: &str) -> Vec<Finding> {
    Check::new().source("session.jsonl").format(Format::Jsonl).run(text).0
}

/// The findings as (index, code, level, index of the message named).
fn codes(findings: &[Finding]) -> Vec<(u64, &str, Level, Option<u64>)> {
    findings.iter().map(|f| (f.index, f.code.as_str(), f.level, f.related.as_ref().map(|r| r.index))).collect()
}

fn sub(topic: &str) -> (&'static str, Value) {
    ("send", json!({"Controller": "Market", "Topic": topic, "Action": "Sub"}))
}

fn unsub(topic: &str) -> (&'static str, Value) {
    ("send", json!({"Controller": "Market", "Topic": topic, "Action": "Unsub"}))
}

fn server_unsub(topic: &str) -> (&'static str, Value) {
    ("receive", json!({"Controller": "Market", "Topic": topic, "Action": "Unsub", "Confirm": true}))
}

fn push(topic: &str, data: Value) -> (&'static str, Value) {
    ("receive", json!({"Controller": "Market", "Topic": topic, "Data": data}))
}

const DEPTH: &str = "Depth!BHP.ASX";

fn add(id: &str, side: &str, price: f64, quantity: u64) -> Value {
    json!({"O": "A", "Order": {"ID": id, "Side": side, "Price": price, "Position": 1, "Quantity": quantity}})
}

fn update(id: &str, quantity: u64) -> Value {
    json!({"O": "U", "Order": {"ID": id, "Quantity": quantity}})
}

fn remove(id: &str) -> Value {
    json!({"O": "R", "Order": {"ID": id}})
}

#[test]
fn the_sample_session_has_one_state_error_and_replays_its_book() {
    let text = std::fs::read_to_string(test_kit::root().join("examples/captures/market-session.jsonl")).unwrap();
    let findings = check(&text);
    assert_eq!(codes(&findings), [(18, "change-for-unknown-key", Level::Error, Some(6))]);
    let mut replay = Replay::new(DEPTH, None, Until::End);
    zenith_capture::read(Format::Jsonl, text.as_bytes(), Limits::default(), &mut |e| replay.event(e)).unwrap();
    let state = replay.finish();
    let ids: Vec<&String> = state.records.as_ref().unwrap().keys().collect();
    assert_eq!(ids, ["1", "3", "4", "6"]);
    assert_eq!(state.records.unwrap()["1"]["Quantity"], 600);
}

#[test]
fn a_valid_session_has_no_state_finding() {
    let session = [
        sub(DEPTH),
        push(DEPTH, json!([{"O": "C"}, add("1", "Bid", 42.0, 100), add("2", "Ask", 42.1, 200)])),
        push(DEPTH, json!([update("1", 150), remove("2"), add("2", "Ask", 42.2, 50)])),
        push(DEPTH, json!([{"O": "C"}, add("1", "Bid", 41.0, 10)])),
        sub(DEPTH),
        unsub(DEPTH),
        push(DEPTH, json!([remove("1")])),
        unsub(DEPTH),
        server_unsub(DEPTH),
    ];
    assert_eq!(codes(&check(&capture(&session))), []);
}

#[test]
fn data_after_the_subscription_ended_is_an_error_naming_the_end() {
    let session = [sub(DEPTH), push(DEPTH, json!([{"O": "C"}])), unsub(DEPTH), push(DEPTH, json!([{"O": "C"}]))];
    assert_eq!(codes(&check(&capture(&session))), [(4, "push-without-subscription", Level::Error, Some(3))]);
    // The server's own Unsub ends it too.
    let session = [sub(DEPTH), push(DEPTH, json!([{"O": "C"}])), server_unsub(DEPTH), push(DEPTH, json!([{"O": "C"}]))];
    assert_eq!(codes(&check(&capture(&session))), [(4, "push-without-subscription", Level::Error, Some(3))]);
    // What the ended subscription held is gone: the state is unknown until a clear.
    let session = [
        sub(DEPTH),
        push(DEPTH, json!([{"O": "C"}, add("1", "Bid", 1.0, 1)])),
        unsub(DEPTH),
        push(DEPTH, json!([update("1", 2)])),
    ];
    assert_eq!(
        codes(&check(&capture(&session))),
        [(4, "push-without-subscription", Level::Error, Some(3)), (4, "change-for-unknown-key", Level::Warning, None)]
    );
    // With no Sub seen, the capture may have started after it: one warning.
    let session = [push(DEPTH, json!([{"O": "C"}])), push(DEPTH, json!([{"O": "C"}]))];
    assert_eq!(codes(&check(&capture(&session))), [(1, "push-without-subscription", Level::Warning, None)]);
}

#[test]
fn an_unsub_needs_a_sub_before_it() {
    let session = [sub(DEPTH), unsub(DEPTH), unsub(DEPTH)];
    assert_eq!(codes(&check(&capture(&session))), [(3, "unsubscribe-without-subscribe", Level::Error, Some(2))]);
    let session = [unsub(DEPTH)];
    assert_eq!(codes(&check(&capture(&session))), [(1, "unsubscribe-without-subscribe", Level::Warning, None)]);
    // Subscriptions are counted: two Subs, two Unsubs.
    let session = [sub(DEPTH), sub(DEPTH), push(DEPTH, json!([{"O": "C"}])), unsub(DEPTH), unsub(DEPTH)];
    assert_eq!(codes(&check(&capture(&session))), []);
}

#[test]
fn a_sub_that_gets_nothing_is_reported_at_the_end() {
    let session = [sub(DEPTH), sub("Trades!BHP.ASX"), push("Trades!BHP.ASX", json!([{"O": "I", "ID": 1}]))];
    assert_eq!(codes(&check(&capture(&session))), [(1, "subscription-silent", Level::Warning, None)]);
}

#[test]
fn change_records_that_cannot_apply_name_what_set_the_state() {
    let session = [
        sub(DEPTH),
        push(DEPTH, json!([{"O": "C"}, add("1", "Bid", 42.0, 100)])),
        push(DEPTH, json!([update("9", 5)])),
        push(DEPTH, json!([add("1", "Bid", 42.0, 100)])),
        push(DEPTH, json!([remove("1"), remove("1")])),
    ];
    let findings = check(&capture(&session));
    assert_eq!(
        codes(&findings),
        [
            (3, "change-for-unknown-key", Level::Error, Some(2)),
            (4, "duplicate-add", Level::Error, Some(2)),
            (5, "change-for-unknown-key", Level::Error, Some(2)),
        ]
    );
    assert_eq!(findings[1].instance_path, "/Data/0");
    assert_eq!(findings[2].instance_path, "/Data/1");
    assert_eq!(findings[1].message, "`1` is added again on `Depth!BHP.ASX`: #2 (line 2) added it");
}

#[test]
fn with_the_state_before_the_capture_unknown_one_warning_then_a_clear() {
    let session = [
        push(DEPTH, json!([update("1", 5), update("2", 5)])),
        push(DEPTH, json!([{"O": "C"}, add("3", "Bid", 1.0, 1)])),
        push(DEPTH, json!([update("1", 5)])),
    ];
    assert_eq!(
        codes(&check(&capture(&session))),
        [
            (1, "push-without-subscription", Level::Warning, None),
            (1, "change-for-unknown-key", Level::Warning, None),
            (3, "change-for-unknown-key", Level::Error, Some(2)),
        ]
    );
}

#[test]
fn trades_start_with_an_initialise_and_their_ids_go_up() {
    let trades = "Trades!BHP.ASX";
    let trade = |id: u64| json!({"O": "A", "Trade": {"ID": id, "Price": 1.0, "Quantity": 1, "Time": "2026-03-20T10:00:00+10:00"}});
    let session = [sub(trades), push(trades, json!([trade(5)])), push(trades, json!([trade(7), trade(6)]))];
    assert_eq!(
        codes(&check(&capture(&session))),
        [(2, "snapshot-missing", Level::Error, Some(1)), (3, "order-regressed", Level::Error, Some(3))]
    );
    let session = [sub(trades), push(trades, json!([{"O": "I", "ID": 4}, trade(5)])), push(trades, json!([trade(6)]))];
    assert_eq!(codes(&check(&capture(&session))), []);
}

#[test]
fn fixed_security_fields_are_set_by_the_first_data_and_never_change() {
    let security = "Security!BHP.ASX";
    let full = json!({"Code": "BHP", "Market": "ASX", "Class": "Market", "CFI": "ESVUFR", "SubscriptionData": "Asset", "Last": 1.0});
    let session = [
        sub(security),
        push(security, full.clone()),
        push(security, json!({"Last": 1.1})),
        push(security, json!({"CFI": "ESXXXX"})),
    ];
    let findings = check(&capture(&session));
    assert_eq!(codes(&findings), [(4, "fixed-field-changed", Level::Error, Some(2))]);
    assert_eq!(findings[0].instance_path, "/Data/CFI");
    let session = [sub(security), push(security, json!({"Code": "BHP", "Last": 1.0}))];
    let findings = check(&capture(&session));
    assert_eq!(codes(&findings), [(2, "snapshot-missing", Level::Error, Some(1))]);
    assert!(findings[0].message.ends_with("lacks `Class`, `CFI`, `SubscriptionData`"), "{}", findings[0].message);
}

#[test]
fn a_subscription_holds_a_bounded_number_of_keys() {
    let adds: Vec<Value> = (0..zenith_check::MAX_KEYS + 1).map(|n| add(&n.to_string(), "Bid", 1.0, 1)).collect();
    let session = [
        sub(DEPTH),
        push(DEPTH, json!(adds)),
        push(DEPTH, json!([update("0", 2)])),
        push(DEPTH, json!([{"O": "C"}])),
        push(DEPTH, json!([update("0", 2)])),
    ];
    let findings = check(&capture(&session));
    let found = codes(&findings);
    assert_eq!(
        found,
        [(2, "state-limit", Level::Warning, None), (5, "change-for-unknown-key", Level::Error, Some(4))],
        "beyond the limit the keys are dropped until the next clear"
    );
}

/// One step of a random book: an add of a new id, an update or remove of a present one, or a
/// clear.
#[derive(Clone, Debug)]
enum Step {
    Add(u8, bool, u16, u32),
    Update(usize, u32),
    Remove(usize),
    Clear,
}

fn steps() -> impl Strategy<Value = Vec<Vec<Step>>> {
    let step = prop_oneof![
        4 => (any::<u8>(), any::<bool>(), 1..500u16, 1..10_000u32).prop_map(|(id, bid, p, q)| Step::Add(id, bid, p, q)),
        3 => (any::<usize>(), 1..10_000u32).prop_map(|(i, q)| Step::Update(i, q)),
        2 => any::<usize>().prop_map(Step::Remove),
        1 => Just(Step::Clear),
    ];
    prop::collection::vec(prop::collection::vec(step, 1..6), 1..12)
}

/// The book: side, price and quantity by order id.
type Book = BTreeMap<String, (String, f64, u64)>;

/// The pushes of a valid stream, with the book they build and the ids present after each
/// push: steps that cannot apply (a change with no order present) are left out.
fn valid_stream(steps: &[Vec<Step>]) -> (Vec<Value>, Book, Vec<Vec<String>>) {
    let mut book = Book::new();
    let mut pushes = Vec::new();
    let mut present = Vec::new();
    let mut serial = 0u32;
    for message in steps {
        let mut records = Vec::new();
        for step in message {
            match *step {
                Step::Add(id, bid, price, quantity) => {
                    serial += 1;
                    let id = format!("{id}-{serial}");
                    let (side, price) = (if bid { "Bid" } else { "Ask" }, f64::from(price) / 100.0);
                    records.push(add(&id, side, price, u64::from(quantity)));
                    book.insert(id, (side.to_owned(), price, u64::from(quantity)));
                }
                Step::Update(index, quantity) if !book.is_empty() => {
                    let id = book.keys().nth(index % book.len()).unwrap().clone();
                    records.push(update(&id, u64::from(quantity)));
                    book.get_mut(&id).unwrap().2 = u64::from(quantity);
                }
                Step::Remove(index) if !book.is_empty() => {
                    let id = book.keys().nth(index % book.len()).unwrap().clone();
                    records.push(remove(&id));
                    book.remove(&id);
                }
                Step::Clear => {
                    records.push(json!({"O": "C"}));
                    book.clear();
                }
                _ => {}
            }
        }
        if !records.is_empty() {
            pushes.push(push(DEPTH, Value::Array(records)).1);
            present.push(book.keys().cloned().collect());
        }
    }
    (pushes, book, present)
}

fn session(pushes: &[Value]) -> String {
    let mut messages = vec![sub(DEPTH)];
    messages.extend(pushes.iter().map(|p| ("receive", p.clone())));
    capture(&messages)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_books_have_no_finding_and_replay_to_their_model(steps in steps()) {
        let (pushes, book, _) = valid_stream(&steps);
        prop_assume!(!pushes.is_empty());
        let text = session(&pushes);
        let findings = check(&text);
        prop_assert_eq!(codes(&findings), vec![]);
        let mut replay = Replay::new(DEPTH, None, Until::End);
        zenith_capture::read(Format::Jsonl, text.as_bytes(), Limits::default(), &mut |e| replay.event(e)).unwrap();
        let state = replay.finish();
        let replayed: Book = state
            .records
            .unwrap_or_default()
            .into_iter()
            .map(|(id, order)| {
                let side = order["Side"].as_str().unwrap().to_owned();
                (id, (side, order["Price"].as_f64().unwrap(), order["Quantity"].as_u64().unwrap()))
            })
            .collect();
        prop_assert_eq!(replayed, book);
        // A message with a warning is read into a tree rather than checked in one pass: the same state.
        let warned: Vec<Value> = pushes.iter().map(|p| {
            let mut p = p.clone();
            p["Extra"] = json!(1);
            p
        }).collect();
        let findings = check(&session(&warned));
        let state: Vec<_> = codes(&findings).into_iter().filter(|(_, code, _, _)| *code != "undocumented-property").collect();
        prop_assert_eq!(state, vec![]);
    }

    #[test]
    fn every_single_corruption_is_one_finding_at_its_message(steps in steps(), pick in any::<usize>(), kind in 0..2u8) {
        let (mut pushes, _, present) = valid_stream(&steps);
        prop_assume!(!pushes.is_empty());
        let at = pick % pushes.len();
        // An update of an id never added, or an add of an id present after the message.
        let (corruption, code) = match (kind, present[at].first()) {
            (0, _) => (update("never", 1), "change-for-unknown-key"),
            (_, Some(id)) => (add(id, "Bid", 1.0, 1), "duplicate-add"),
            (_, None) => return Ok(()),
        };
        let records = pushes[at]["Data"].as_array_mut().unwrap();
        let position = records.len();
        records.push(corruption);
        // A later clear or remove does not hide it; the message is number `at + 2` (after the Sub).
        let expected = vec![((at + 2) as u64, code, format!("/Data/{position}"))];
        let found = check(&session(&pushes));
        let found: Vec<(u64, &str, String)> = found.iter().map(|f| (f.index, f.code.as_str(), f.instance_path.clone())).collect();
        prop_assert_eq!(&found, &expected);
        // The same when the message is read into a tree (an undocumented property makes it so).
        pushes[at]["Extra"] = json!(1);
        let found = check(&session(&pushes));
        let found: Vec<(u64, &str, String)> = found
            .iter()
            .filter(|f| f.code != "undocumented-property")
            .map(|f| (f.index, f.code.as_str(), f.instance_path.clone()))
            .collect();
        prop_assert_eq!(found, expected);
    }
}

const WATCHLIST: &str = "Watchlist!W1";

fn on(controller: &str, direction: &'static str, message: Value) -> (&'static str, Value) {
    let mut message = message;
    message["Controller"] = json!(controller);
    (direction, message)
}

fn members(data: Value) -> (&'static str, Value) {
    on("Watchlist", "receive", json!({"Topic": WATCHLIST, "Data": data}))
}

fn insert(at: u64, items: &[&str]) -> Value {
    json!({"Operation": "Insert", "At": at, "Members": items})
}

fn replace(at: u64, items: &[&str]) -> Value {
    json!({"Operation": "Replace", "At": at, "Members": items})
}

fn cut(at: u64, count: u64) -> Value {
    json!({"Operation": "Remove", "At": at, "Count": count})
}

fn replayed_items(text: &str, topic: &str) -> Vec<Value> {
    let mut replay = Replay::new(topic, None, Until::End);
    zenith_capture::read(Format::Jsonl, text.as_bytes(), Limits::default(), &mut |e| replay.event(e)).unwrap();
    replay.finish().items.unwrap_or_default()
}

#[test]
fn watchlist_members_apply_by_position_within_the_list() {
    let subscribe = on("Watchlist", "send", json!({"Topic": WATCHLIST, "Action": "Sub"}));
    let valid = [
        subscribe.clone(),
        members(json!([{"Operation": "Clear"}, insert(0, &["BHP.ASX", "CBA.ASX"])])),
        members(json!([insert(2, &["TLS.ASX"]), replace(1, &["NAB.ASX", "WBC.ASX"])])),
        members(json!([cut(0, 1), insert(0, &["RIO.ASX"])])),
    ];
    let text = capture(&valid);
    assert_eq!(codes(&check(&text)), []);
    assert_eq!(replayed_items(&text, WATCHLIST), [json!("RIO.ASX"), json!("NAB.ASX"), json!("WBC.ASX")]);

    // A remove past the end (3 items since the clear), then nothing until the next clear, then
    // an insert past it.
    let mut broken = valid.to_vec();
    broken.push(members(json!([cut(2, 2)])));
    broken.push(members(json!([cut(0, 9)])));
    broken.push(members(json!([{"Operation": "Clear"}, insert(1, &["BHP.ASX"])])));
    broken.push(members(json!([replace(0, &["BHP.ASX"])])));
    let findings = check(&capture(&broken));
    assert_eq!(
        codes(&findings),
        [(5, "position-out-of-range", Level::Error, Some(2)), (7, "position-out-of-range", Level::Error, Some(7))]
    );
    assert_eq!(findings[0].instance_path, "/Data/0");
    assert!(findings[0].message.contains("needs at least 4 items, but there are 3"), "{}", findings[0].message);
    assert_eq!(findings[1].instance_path, "/Data/1");
}

#[test]
fn watchlist_members_with_the_list_unknown_warn_once() {
    let text = capture(&[members(json!([cut(0, 1)])), members(json!([insert(7, &["BHP.ASX"])]))]);
    let findings = check(&text);
    assert_eq!(
        codes(&findings),
        [(1, "push-without-subscription", Level::Warning, None), (1, "change-for-unknown-key", Level::Warning, None)]
    );
}

fn balance(account: &str, kind: &str, currency: &str, amount: f64) -> Value {
    json!({"Account": account, "Type": kind, "Currency": currency, "Amount": amount})
}

fn balances(data: Value) -> (&'static str, Value) {
    on("Trading", "receive", json!({"Topic": "Balances", "Data": data}))
}

#[test]
fn balances_clear_by_account_remove_at_zero_and_set_otherwise() {
    let text = capture(&[
        on("Trading", "send", json!({"Topic": "Balances", "Action": "Sub"})),
        balances(json!([balance("OM1", "", "", 0.0), balance("OM1", "NetBalance", "AUD", 100.0)])),
        balances(json!([balance("OM2", "", "", 0.0), balance("OM2", "NetBalance", "AUD", 7.0)])),
        balances(json!([balance("OM1", "NetBalance", "AUD", 150.5), balance("OM1", "Cash", "AUD", 5.0)])),
        // The account's clear leaves the other account's balances.
        balances(json!([balance("OM1", "", "", 0.0)])),
        balances(json!([balance("OM2", "NetBalance", "AUD", 9.0)])),
        balances(json!([balance("OM1", "Cash", "AUD", 0.0)])),
    ]);
    let findings = check(&text);
    assert_eq!(codes(&findings), [(7, "change-for-unknown-key", Level::Error, Some(1))]);
    assert!(findings[0].message.contains("`OM1.Cash.AUD` is removed on `Balances`"), "{}", findings[0].message);
    let mut replay = Replay::new("Balances", None, Until::End);
    zenith_capture::read(Format::Jsonl, text.as_bytes(), Limits::default(), &mut |e| replay.event(e)).unwrap();
    let records = replay.finish().records.unwrap();
    assert_eq!(records.keys().collect::<Vec<_>>(), ["OM2.NetBalance.AUD"]);
    assert_eq!(records["OM2.NetBalance.AUD"]["Amount"], 9.0);
}

/// One step of a watchlist: an insert, a replace or a remove at a position (taken modulo the
/// list), or a clear.
#[derive(Clone, Debug)]
enum ListStep {
    Insert(usize, u8),
    Replace(usize, u8),
    Remove(usize, u8),
    Clear,
}

fn list_steps() -> impl Strategy<Value = Vec<ListStep>> {
    let step = prop_oneof![
        4 => (any::<usize>(), 1..4u8).prop_map(|(at, n)| ListStep::Insert(at, n)),
        2 => (any::<usize>(), 1..3u8).prop_map(|(at, n)| ListStep::Replace(at, n)),
        2 => (any::<usize>(), 1..3u8).prop_map(|(at, n)| ListStep::Remove(at, n)),
        1 => Just(ListStep::Clear),
    ];
    prop::collection::vec(step, 1..24)
}

/// The pushes (one record each) of a valid watchlist stream, the list before each, and the
/// list they build; steps that cannot apply are left out.
fn valid_list(steps: &[ListStep]) -> (Vec<Value>, Vec<usize>, Vec<String>) {
    let (mut list, mut pushes, mut lengths) = (Vec::<String>::new(), Vec::new(), Vec::new());
    for (serial, step) in steps.iter().enumerate() {
        let names = |n: u8| (0..n).map(|i| format!("S{serial}{i}.ASX")).collect::<Vec<_>>();
        let before = list.len();
        let record = match *step {
            ListStep::Insert(at, n) => {
                let at = at % (list.len() + 1);
                let items = names(n);
                list.splice(at..at, items.clone());
                json!({"Operation": "Insert", "At": at, "Members": items})
            }
            ListStep::Replace(at, n) if list.len() >= usize::from(n) => {
                let at = at % (list.len() - usize::from(n) + 1);
                let items = names(n);
                list.splice(at..at + items.len(), items.clone());
                json!({"Operation": "Replace", "At": at, "Members": items})
            }
            ListStep::Remove(at, n) if list.len() >= usize::from(n) => {
                let at = at % (list.len() - usize::from(n) + 1);
                list.drain(at..at + usize::from(n));
                json!({"Operation": "Remove", "At": at, "Count": n})
            }
            ListStep::Clear => {
                list.clear();
                json!({"Operation": "Clear"})
            }
            _ => continue,
        };
        pushes.push(members(json!([record])).1);
        lengths.push(before);
    }
    (pushes, lengths, list)
}

fn list_session(pushes: &[Value]) -> String {
    let mut messages = vec![on("Watchlist", "send", json!({"Topic": WATCHLIST, "Action": "Sub"}))];
    messages.extend(pushes.iter().map(|p| ("receive", p.clone())));
    capture(&messages)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_watchlists_have_no_finding_and_replay_to_their_model(steps in list_steps()) {
        let (pushes, _, list) = valid_list(&steps);
        prop_assume!(!pushes.is_empty());
        let text = list_session(&pushes);
        let findings = check(&text);
        prop_assert_eq!(codes(&findings), vec![]);
        let replayed: Vec<String> =
            replayed_items(&text, WATCHLIST).into_iter().map(|v| v.as_str().unwrap().to_owned()).collect();
        prop_assert_eq!(replayed, list);
    }

    #[test]
    fn a_position_past_the_list_is_one_finding_at_its_message(steps in list_steps(), pick in any::<usize>()) {
        let (mut pushes, lengths, _) = valid_list(&steps);
        prop_assume!(!pushes.is_empty());
        let at = pick % pushes.len();
        // A remove of one item just past the end of the list as it stands before the message.
        pushes[at]["Data"] = json!([{"Operation": "Remove", "At": lengths[at], "Count": 1}]);
        let findings = check(&list_session(&pushes));
        let index = at as u64 + 2;
        let found: Vec<(u64, &str)> = codes(&findings).into_iter().map(|(i, code, _, _)| (i, code)).collect();
        prop_assert_eq!(found, vec![(index, "position-out-of-range")]);
    }
}
