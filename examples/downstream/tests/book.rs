//! The order book, fed the recorded `Depth` pushes and a real capture.
#![cfg(feature = "market")]

use downstream::book::{Book, BookError, BookSide, Level};
use downstream::{capture, recorded};
use zenith_protocol::market::DepthPush;
use zenith_protocol::prelude::*;

fn price(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn push(text: &str) -> DepthPush {
    match Message::parse_str(text, Direction::Receive) {
        Ok(Message::DepthPush(push)) => *push,
        other => panic!("not a Depth push: {other:?}"),
    }
}

/// Every recorded message that parses as a Depth push, applied in order; the failures.
fn replay(lines: &[&str]) -> (Book, Vec<BookError>) {
    let mut book = Book::default();
    let mut problems = Vec::new();
    for line in lines {
        if let Ok(Message::DepthPush(push)) = Message::parse_str(line, Direction::Receive) {
            problems.extend(book.apply_push(&push));
        }
    }
    (book, problems)
}

/// A level as (price, orders, quantity, undisclosed) for short assertions.
fn summary(levels: &[Level]) -> Vec<(Decimal, usize, Option<i64>, usize)> {
    levels.iter().map(|l| (l.price.clone(), l.orders, l.quantity, l.undisclosed)).collect()
}

#[test]
fn recorded_pushes_leave_the_expected_levels() {
    let (book, problems) = replay(recorded::MARKET);
    assert_eq!(problems, [BookError::UnknownOrder { id: "7".into() }, BookError::UnknownChange { tag: "X".into() }]);
    assert_eq!(summary(&book.levels(BookSide::Bid)), [(price("42.00"), 2, Some(1100), 0)]);
    assert_eq!(
        summary(&book.levels(BookSide::Ask)),
        [(price("42.05"), 1, Some(300), 0), (price("42.10"), 2, Some(1200), 1), (price("42.15"), 1, Some(2000), 0),]
    );
    assert_eq!(book.len(), 6);
}

#[test]
fn prices_spelt_differently_share_a_level_and_keep_the_first_spelling() {
    let (book, _) = replay(recorded::MARKET);
    let asks = book.levels(BookSide::Ask);
    // Order 4 came as `42.1`, order 9 as `42.100`.
    assert_eq!(asks[1].price.as_str(), "42.1");
    assert_eq!(book.order("9").map(|o| o.price.as_str()), Some("42.100"));
    assert_eq!(asks[1].price, price("42.100"));
}

#[test]
fn the_queue_goes_by_price_then_position() {
    let (book, _) = replay(recorded::MARKET);
    let bids: Vec<&str> = book.queue(BookSide::Bid).iter().map(|o| o.id.as_str()).collect();
    assert_eq!(bids, ["1", "8"]);
    let asks: Vec<&str> = book.queue(BookSide::Ask).iter().map(|o| o.id.as_str()).collect();
    assert_eq!(asks, ["3", "4", "9", "6"]);
}

#[test]
fn prices_sort_by_value_not_by_text() {
    let mut book = Book::default();
    book.apply_push(&push(
        r#"{"Controller":"Market","Topic":"Depth!XYZ.ASX","Data":[
        {"O":"A","Order":{"ID":"a","Side":"Ask","Price":10,"Position":1,"Quantity":1}},
        {"O":"A","Order":{"ID":"b","Side":"Ask","Price":9.99,"Position":1,"Quantity":2}},
        {"O":"A","Order":{"ID":"c","Side":"Ask","Price":1e1,"Position":2,"Quantity":3}},
        {"O":"A","Order":{"ID":"d","Side":"Bid","Price":9.5,"Position":1,"Quantity":4}},
        {"O":"A","Order":{"ID":"e","Side":"Bid","Price":9.49999,"Position":1,"Quantity":5}}]}"#,
    ));
    let asks = summary(&book.levels(BookSide::Ask));
    assert_eq!(asks, [(price("9.99"), 1, Some(2), 0), (price("10"), 2, Some(4), 0)]);
    let bids = summary(&book.levels(BookSide::Bid));
    assert_eq!(bids, [(price("9.5"), 1, Some(4), 0), (price("9.49999"), 1, Some(5), 0)]);
    assert_eq!(book.best(BookSide::Ask).map(|l| l.price), Some(price("9.990")));
}

#[test]
fn a_clear_starts_the_book_afresh() {
    let (mut book, _) = replay(recorded::MARKET);
    let problems = book.apply_push(&push(r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"C"}]}"#));
    assert!(problems.is_empty());
    assert!(book.is_empty());
    assert_eq!(book.render().last().map(String::as_str), Some("(empty book)"));
}

#[test]
fn bad_changes_are_reported_and_leave_the_book_alone() {
    let (mut book, _) = replay(recorded::MARKET);
    let before = book.levels(BookSide::Bid);
    let problems = book.apply_push(&push(
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[
        {"O":"R","Order":{"ID":"nope"}},
        {"O":"A","Order":{"ID":"10","Side":"Bid","Quantity":5}},
        {"O":"A","Order":{"ID":"11","Side":"Middle","Price":1,"Quantity":5}},
        {"O":"U","Order":{"ID":"1","Side":"Sideways"}}]}"#,
    ));
    assert_eq!(
        problems,
        [
            BookError::UnknownOrder { id: "nope".into() },
            BookError::MissingField { id: "10".into(), field: "Price" },
            BookError::UnknownSide { id: "11".into(), side: "Middle".into() },
            BookError::UnknownSide { id: "1".into(), side: "Sideways".into() },
        ]
    );
    assert_eq!(book.levels(BookSide::Bid), before);
    assert_eq!(problems[1].to_string(), "added order `10` has no `Price`");
}

#[test]
fn an_update_can_move_an_order_and_hide_its_quantity() {
    let (mut book, _) = replay(recorded::MARKET);
    let problems = book.apply_push(&push(
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[
        {"O":"U","Order":{"ID":"8","Price":41.9,"Quantity":null}}]}"#,
    ));
    assert!(problems.is_empty());
    assert_eq!(summary(&book.levels(BookSide::Bid)), [(price("42"), 1, Some(600), 0), (price("41.90"), 1, Some(0), 1)]);
}

#[test]
fn the_rendered_book_puts_the_best_prices_first() {
    let (book, _) = replay(recorded::MARKET);
    assert_eq!(
        book.render(),
        [
            "   #      qty      bid | ask      qty      #",
            "   2     1100     42.0 | 42.05    300      1",
            "                       | 42.1     1200+    2",
            "                       | 42.15    2000     1",
        ]
    );
}

#[test]
fn a_real_capture_builds_the_same_book_as_its_pushes() {
    let capture = include_str!("../../captures/market-session.jsonl");
    let received = capture::received(capture).expect("the capture reads");
    assert_eq!(received.len(), 16);
    let lines: Vec<&str> = received.iter().map(String::as_str).collect();
    let (book, problems) = replay(&lines);
    assert_eq!(problems, [BookError::UnknownOrder { id: "7".into() }]);
    assert_eq!(summary(&book.levels(BookSide::Bid)), [(price("42.0"), 1, Some(600), 0)]);
    assert_eq!(
        summary(&book.levels(BookSide::Ask)),
        [(price("42.05"), 1, Some(300), 0), (price("42.1"), 1, Some(1200), 0), (price("42.15"), 1, Some(2000), 0)]
    );
}

#[test]
fn a_broken_capture_line_is_an_error_naming_the_line() {
    let error = capture::received("\n{\"type\":\"receive\",\"data\":\"{}\"}\nnot json\n").unwrap_err();
    assert!(error.to_string().starts_with("line 3 is not a captured frame"), "{error}");
}

/// Runs the `book` binary with these arguments: (succeeded, stdout, stderr).
fn book_binary(args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_book")).args(args).output().expect("book runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[test]
fn the_book_binary_prints_the_recorded_book() {
    let (ok, stdout, _) = book_binary(&[]);
    assert!(ok);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], r#"-> {"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Sub","Confirm":true}"#);
    assert_eq!(lines[1], "<- Depth!BHP.ASX confirmed");
    assert!(lines.contains(&"!! order `7` is not in the book"));
    assert!(lines.contains(&"10 messages, 0 not for this book; Depth!BHP.ASX:"));
    assert_eq!(lines.last(), Some(&"                       | 42.15    2000     1"));
}

#[test]
fn the_book_binary_reads_a_capture_for_the_symbol_named() {
    let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/../captures/market-session.jsonl");
    let (ok, stdout, _) = book_binary(&[capture, "BHP.ASX"]);
    assert!(ok);
    assert!(stdout.contains("<- SecurityPush Security!BHP.ASX skipped"), "{stdout}");
    assert!(stdout.contains("   1      600     42.0 | 42.05    300      1"), "{stdout}");
    // Another symbol's book stays empty.
    let (ok, stdout, _) = book_binary(&[capture, "CBA.ASX"]);
    assert!(ok);
    assert!(stdout.ends_with("(empty book)\n"), "{stdout}");
}

#[test]
fn the_book_binary_explains_bad_arguments() {
    let (ok, _, stderr) = book_binary(&["a", "b", "c"]);
    assert!(!ok);
    assert_eq!(stderr, "book: usage: book [CAPTURE.jsonl] [CODE.MARKET]\n");
    let (ok, _, stderr) = book_binary(&["/nonexistent/capture.jsonl"]);
    assert!(!ok);
    assert!(stderr.starts_with("book: /nonexistent/capture.jsonl: "), "{stderr}");
    let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/../captures/market-session.jsonl");
    let (ok, _, stderr) = book_binary(&[capture, "BHP"]);
    assert!(!ok);
    assert!(stderr.starts_with("book: `BHP` is not CODE.MARKET"), "{stderr}");
}
