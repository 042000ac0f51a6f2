//! A Trading session: order requests paired with their replies, on the request's topic or a
//! documented reply topic, and an `Orders!{Account}` subscription followed like Market's.

use zenith_capture::Format;
use zenith_check::Finding;

const SESSION: &str = r#"{"type":"send","data":"{\"Controller\":\"Trading\",\"Topic\":\"Orders!1234\",\"Action\":\"Sub\",\"TransactionID\":1,\"Confirm\":true}"}
{"type":"receive","data":"{\"Controller\":\"Trading\",\"Topic\":\"Orders!1234\",\"Action\":\"Sub\",\"TransactionID\":1,\"Confirm\":true}"}
{"type":"receive","data":"{\"Controller\":\"Trading\",\"Topic\":\"Orders!1234\",\"Data\":[{\"O\":\"C\"}]}"}
{"type":"send","data":"{\"Controller\":\"Trading\",\"Topic\":\"PlaceOrder\",\"TransactionID\":5,\"Data\":{\"Account\":\"1234\",\"Details\":{\"Exchange\":\"ASX\",\"Code\":\"BHP\",\"Style\":\"Equity\",\"Side\":\"Bid\",\"Quantity\":100,\"Type\":\"Limit\",\"LimitPrice\":42.05,\"Validity\":\"UntilCancel\"},\"Route\":{\"Algorithm\":\"Market\",\"Market\":\"ASX::CP\"}}}"}
{"type":"receive","data":"{\"Controller\":\"Trading\",\"Topic\":\"PlaceOrder\",\"TransactionID\":5,\"Data\":{\"Result\":\"Success\",\"Order\":{\"ID\":\"1\",\"Account\":\"1234\"}}}"}
{"type":"send","data":"{\"Controller\":\"Trading\",\"Topic\":\"AmendOrder\",\"TransactionID\":6,\"Data\":{\"Account\":\"1234\",\"OrderID\":\"1\",\"Details\":{\"Exchange\":\"ASX\",\"Code\":\"BHP\",\"Style\":\"Equity\",\"Side\":\"Bid\",\"Quantity\":100,\"Type\":\"Limit\",\"LimitPrice\":42.1}}}"}
{"type":"receive","data":"{\"Controller\":\"Trading\",\"Topic\":\"PlaceOrder\",\"TransactionID\":6,\"Data\":{\"Result\":\"Success\",\"Order\":{\"ID\":\"1\",\"Account\":\"1234\"}}}"}
{"type":"receive","data":"{\"Controller\":\"Trading\",\"Topic\":\"Orders!1234\",\"Data\":[{\"O\":\"A\",\"Order\":{\"ID\":\"1\",\"Account\":\"1234\",\"Status\":\"OnMarket\",\"Currency\":\"AUD\",\"EstimatedValue\":4205.0,\"CurrentValue\":0,\"CreatedDate\":\"2017-11-22T14:13:55+11:00\",\"UpdatedDate\":\"2017-11-22T14:13:56+11:00\",\"Style\":\"Equity\",\"Details\":{\"Exchange\":\"ASX\",\"Code\":\"BHP\",\"Style\":\"Equity\",\"Side\":\"Bid\",\"Quantity\":100,\"Type\":\"Limit\",\"LimitPrice\":42.1,\"Validity\":\"UntilCancel\"},\"Route\":{\"Algorithm\":\"Market\",\"Market\":\"ASX::CP\"}}}]}"}
"#;

fn check(capture: &str) -> (zenith_check::Summary, Vec<Finding>) {
    let (findings, summary) = test_kit::Check::new().source("trading.jsonl").format(Format::Jsonl).run(capture);
    (summary, findings)
}

#[test]
fn orders_pair_with_their_replies_and_subscriptions_are_followed() {
    let (summary, findings) = check(SESSION);
    assert_eq!(findings, [], "a clean session");
    assert_eq!((summary.read, summary.valid), (8, 8));
    assert_eq!((summary.requests, summary.replies, summary.unanswered), (2, 2, 0));
    assert_eq!(summary.subscriptions_confirmed, 1);
}

#[test]
fn a_reply_on_an_undocumented_topic_and_a_malformed_order_are_reported() {
    let session = SESSION
        .replace(r#"\"Topic\":\"PlaceOrder\",\"TransactionID\":6"#, r#"\"Topic\":\"CancelOrder\",\"TransactionID\":6"#)
        .replace(r#"\"LimitPrice\":42.05,"#, "");
    let (_, findings) = check(&session);
    let codes: Vec<(u64, &str)> = findings.iter().map(|f| (f.index, f.code.as_str())).collect();
    assert_eq!(codes, [(4, "missing-required"), (7, "unexpected-reply-topic")], "{findings:#?}");
}

#[test]
fn an_order_added_without_its_always_fields_is_an_error_naming_each() {
    let session = SESSION
        .replace(r#"\"Currency\":\"AUD\","#, "")
        .replace(r#"\"CreatedDate\":\"2017-11-22T14:13:55+11:00\","#, "");
    let (_, findings) = check(&session);
    let said: Vec<(u64, &str, &str)> =
        findings.iter().map(|f| (f.index, f.code.as_str(), f.instance_path.as_str())).collect();
    assert_eq!(said, [(8, "missing-required", "/Data/0/Order"), (8, "missing-required", "/Data/0/Order")]);
    assert!(findings[0].message.contains("`Currency` is required when `O` is `A`"), "{}", findings[0].message);
    assert!(findings[1].message.contains("`CreatedDate` is required when `O` is `A`"), "{}", findings[1].message);
    // A removal names its key alone.
    let removal = r#"{"type":"receive","data":"{\"Controller\":\"Trading\",\"Topic\":\"Orders!1234\",\"Data\":[{\"O\":\"R\",\"Order\":{\"ID\":\"1\",\"Account\":\"1234\"}}]}"}"#;
    let (_, findings) = check(&format!("{SESSION}{removal}\n"));
    assert_eq!(findings, [], "a removal of an order added before");
}
