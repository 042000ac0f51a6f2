//! The Notify controller: scan criteria are checked as the expression trees they are (operators
//! and operand types), a malformed criterion is one error at its exact path, and criteria built
//! or parsed as Rust types write back the same JSON.

use serde_json::{Value, json};
use zenith_protocol::{
    Code, ExecuteScanRequest, MessageKind, ScanAndCriterion, ScanBoolean, ScanBooleanOperand, ScanCalculation,
    ScanField, ScanGreaterCriterion, ScanMarketCriterion, ScanNumeric, Validate, Verdict,
};

/// The one error of a criterion, as (code, path, message); its fast verdict says invalid too.
fn one_error(criterion: &Value) -> (Code, String, String) {
    let report = ScanBoolean::validate(criterion);
    let errors: Vec<_> = report.errors().collect();
    assert_eq!(errors.len(), 1, "{criterion}: {report}");
    let text = criterion.to_string();
    let streamed = zenith_protocol::runtime::stream::check_text(ScanBoolean::SCHEMA, &text).unwrap();
    assert_eq!(streamed, Verdict::Invalid, "{criterion}");
    (errors[0].code, errors[0].instance_path.clone(), errors[0].message.clone())
}

#[test]
fn a_malformed_criterion_is_one_error_at_its_path() {
    use Code::*;
    let cases = [
        (json!(["And", ["Market", "ASX"], [">", "LastPrice", "Banana"]]), NotInEnum, "/2/2"),
        (json!(["Frobnicate", 1]), UnknownTag, "/0"),
        (json!(["And", ["Market", "ASX"], ["Frobnicate"]]), UnknownTag, "/2/0"),
        (json!(["LastPrice", "cheap"]), WrongType, "/1"),
        (json!(["Not", ["IsIndex"], ["LastPrice"]]), TooManyItems, ""),
        (json!(["Xor", ["IsIndex"]]), TooFewItems, ""),
        (json!(["Category"]), TooFewItems, ""),
        (json!(["=", "LastPrice"]), TooFewItems, ""),
        (json!(["Or", ["Name", "BHP", {"As": "Sometimes"}]]), NotInEnum, "/1/2/As"),
        (json!(["And", "IsIndex", "Bogus"]), NotInEnum, "/2"),
        (json!(["And", "All"]), NotInEnum, "/1"),
        (json!([">", "LastPrice", ["*", "PreviousClose", "two"]]), NotInEnum, "/2/2"),
        (json!([">", ["If", ["Market", "ASX"], ["+", "LastPrice", true], 0], 1]), WrongType, "/1/2/2"),
        (json!([">", ["If", ["Market", "ASX"], ["Frobnicate", 1], 0], 1]), UnknownTag, "/1/2/0"),
        (json!([">", ["Abs"], 1]), TooFewItems, "/1"),
        (json!(["Price", "Reference", {"Min": "low"}]), WrongType, "/2/Min"),
        (json!(["ExpiryDate", "2024-13"]), BadDate, "/1"),
        (json!(["Market", "ASX", "MYX.BI"]), PatternMismatch, "/2"),
        (json!(["CallOrPut", "Straddle"]), NotInEnum, "/1"),
        (json!(["AltCode", "ISIN", "AU000", "Sideways"]), NotInEnum, "/3"),
        (json!(["Watchlist", "ASX"]), UnknownTag, "/0"),
        (json!(["And", ["Market", "ASX"], ["Market", 7]]), WrongType, "/2/1"),
        (json!(["IsIndex", "yes"]), WrongType, "/1"),
        (json!([]), UnknownTag, ""),
        (json!("IsIndex"), WrongType, ""),
        (json!([7, "ASX"]), UnknownTag, "/0"),
        (json!(["And", ["Or", ["Not", ["Date", "Dividend", {"At": 20240101}]]]]), WrongType, "/1/1/1/2/At"),
    ];
    for (criterion, code, path) in cases {
        let (found, at, message) = one_error(&criterion);
        assert_eq!((found, at.as_str()), (code, path), "{criterion}: {message}");
    }
}

#[test]
fn the_error_names_what_the_operator_takes() {
    let (_, _, message) = one_error(&json!(["Xor", ["IsIndex"]]));
    assert_eq!(
        message,
        "`Xor` takes at least 2 items after the tag, found 1: [\"Xor\", ScanBooleanOperand, ScanBooleanOperand]"
    );
    let (_, _, message) = one_error(&json!(["Not", ["IsIndex"], ["LastPrice"]]));
    assert_eq!(message, "`Not` takes at most 1 item after the tag, found 2: [\"Not\", ScanBooleanOperand]");
    let (_, _, message) = one_error(&json!(["And", ["Market", "ASX"], ["Markt", "ASX"]]));
    assert_eq!(message, "`Markt` is not a tag of ScanBooleanOperand: did you mean `Market`?");
    let (_, _, message) = one_error(&json!([]));
    assert_eq!(message, "an empty array: item 0 must be a tag of ScanBoolean");
}

#[test]
fn a_malformed_criterion_in_a_message_is_located_in_the_message() {
    let message = json!({
        "Controller": "Notify", "Topic": "ExecuteScan", "TransactionID": 3,
        "Data": {"Type": "Market.Search", "Target": ["ASX"],
                 "Criteria": ["And", ["Market", "ASX"], [">", "LastPrice", "Banana"]]}
    });
    let report = execute_scan().validate(&message);
    let errors: Vec<_> = report.errors().collect();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!((errors[0].code, errors[0].instance_path.as_str()), (Code::NotInEnum, "/Data/Criteria/2/2"));
    assert!(errors[0].message.starts_with("`Banana` is not one of `"), "{}", errors[0].message);
}

fn execute_scan() -> MessageKind {
    MessageKind::ALL.iter().copied().find(|k| k.info().name == "ExecuteScanRequest").unwrap()
}

/// The JSON values of the examples in an appendix of the fact tables, by section, comments
/// and placeholders (`["And",...]`) left out.
fn appendix_examples(name: &str) -> Vec<(String, Value)> {
    let path = test_kit::shared().join(format!("spec/zenith-api/{name}.json"));
    let table: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for example in table["examples"].as_array().unwrap() {
        let section = example["section"].as_str().unwrap().to_owned();
        for line in example["json"].as_str().unwrap().lines().map(str::trim) {
            if line.is_empty() || line.starts_with("//") || line.starts_with("/*") || line.contains("...") {
                continue;
            }
            out.push((section.clone(), serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"))));
        }
    }
    out
}

#[test]
fn every_criterion_of_the_reference_validates_and_round_trips() {
    let mut examples = appendix_examples("appendix-j1");
    examples.extend(appendix_examples("appendix-j2"));
    let (mut criteria, mut calculations, mut targets) = (0, 0, 0);
    for (section, value) in &examples {
        if let Some(target) = value.get("Target") {
            let message = json!({"Controller": "Notify", "Topic": "ExecuteScan",
                "Data": {"Type": "Market.Search", "Criteria": ["All"], "Target": target}});
            assert!(execute_scan().is_valid(&message), "{value}: {}", execute_scan().validate(&message));
            targets += 1;
        } else if section.contains("Calculation") {
            assert!(ScanCalculation::is_clean(value), "{value}: {}", ScanCalculation::validate(value));
            let parsed: ScanCalculation = serde_json::from_value(value.clone()).unwrap();
            assert!(!matches!(parsed, ScanCalculation::Unrecognized(_)), "{value}");
            assert_eq!(&serde_json::to_value(&parsed).unwrap(), value);
            calculations += 1;
        } else {
            assert!(ScanBoolean::is_clean(value), "{value}: {}", ScanBoolean::validate(value));
            let parsed: ScanBoolean = serde_json::from_value(value.clone()).unwrap();
            assert!(!matches!(parsed, ScanBoolean::Unrecognized(_)), "{value}");
            assert_eq!(&serde_json::to_value(&parsed).unwrap(), value);
            criteria += 1;
        }
    }
    assert!(criteria >= 50 && calculations >= 10 && targets == 3, "{criteria} {calculations} {targets}");
}

#[test]
fn a_criterion_built_with_the_types_is_the_reference_json() {
    let market = ScanBoolean::ScanMarketCriterion(ScanMarketCriterion("ASX".to_owned(), Vec::new()));
    let above = ScanBoolean::ScanGreaterCriterion(ScanGreaterCriterion(
        Box::new(ScanNumeric::ScanFieldValue(ScanField::LastPrice)),
        Box::new(ScanNumeric::ScanNumberLiteral("10".parse().unwrap())),
    ));
    let criteria = ScanBoolean::ScanAndCriterion(ScanAndCriterion(vec![
        ScanBooleanOperand::ScanNestedCriterion(market),
        ScanBooleanOperand::ScanNestedCriterion(above),
    ]));
    let text = serde_json::to_string(&criteria).unwrap();
    assert_eq!(text, r#"["And",["Market","ASX"],[">","LastPrice",10]]"#);
    assert!(ScanBoolean::is_clean(&serde_json::from_str(&text).unwrap()));
    assert_eq!(serde_json::from_str::<ScanBoolean>(&text).unwrap(), criteria);
}

#[test]
fn an_unknown_criterion_is_kept_as_sent() {
    let text = r#"["And",["Frobnicate",1,{"x":true}],["IsIndex"]]"#;
    let parsed: ScanBoolean = serde_json::from_str(text).unwrap();
    let ScanBoolean::ScanAndCriterion(ScanAndCriterion(operands)) = &parsed else { panic!("{parsed:?}") };
    assert!(matches!(&operands[0], ScanBooleanOperand::Unrecognized(_)));
    assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
    // A known tag with the wrong items is an error, not a guess.
    assert!(serde_json::from_str::<ScanBoolean>(r#"["Not",["IsIndex"],["IsIndex"]]"#).is_err());
}

#[test]
fn an_execute_scan_request_parses_into_its_type() {
    let message = json!({
        "Controller": "Notify", "Topic": "ExecuteScan", "TransactionID": 3,
        "Data": {"Type": "Market.Search", "Target": ["ASX"], "Criteria": ["And", ["Market", "ASX"], [">", "LastPrice", 10]]}
    });
    let request: ExecuteScanRequest = serde_json::from_value(message.clone()).unwrap();
    assert!(matches!(request.data.criteria, ScanBoolean::ScanAndCriterion(_)));
    assert_eq!(serde_json::to_value(&request).unwrap(), message);
}
