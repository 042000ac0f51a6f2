//! What the generated validators tell a person about broken messages.

use serde_json::json;
use zenith_protocol::{AuthOwnerRequest, Code, IdentifyPush, MessageKind, Severity, Validate};

fn auth_owner(data: serde_json::Value) -> serde_json::Value {
    json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1, "Data": data})
}

#[test]
fn valid_messages_have_no_problems() {
    let message = auth_owner(
        json!({"Provider": "Paritech", "ClientID": "TriOptimum", "UserName": "Shodan", "Password": "Insect"}),
    );
    assert!(AuthOwnerRequest::is_clean(&message));
    assert!(AuthOwnerRequest::validate(&message).problems.is_empty());
}

#[test]
fn misspelled_property_is_one_error_with_the_documented_spelling() {
    let message = auth_owner(json!({"Provider": "Paritech", "ClientID": "TriOptimum", "Usrname": "Shodan"}));
    let report = AuthOwnerRequest::validate(&message);
    assert_eq!(report.problems.len(), 1, "{report}");
    let problem = &report.problems[0];
    assert_eq!(problem.severity, Severity::Error);
    assert_eq!(problem.code, Code::MisspelledProperty);
    assert_eq!(problem.instance_path, "/Data/Usrname");
    assert_eq!(problem.schema_path, "schemas/auth/AuthOwner.request.json#/properties/Data/additionalProperties");
    // The real client's own misspelling of `UserName` is noted on every error about it.
    assert_eq!(
        problem.message,
        "`Usrname` is not a documented property: did you mean `UserName`? (the real client, motif-core, sends the \
         user name as `Username` (lower-case `n`) in its `AuthOwner` request; auth-authowner-username-spelling)"
    );
    assert!(!report.is_valid());
    assert!(report.is_schema_valid(), "a plain JSON Schema validator accepts it");
}

#[test]
fn wrong_cased_enum_value_is_one_error_with_the_documented_spelling() {
    let message = json!({"Controller": "Auth", "Topic": "Identify", "Data": {"Result": "success"}});
    let report = IdentifyPush::validate(&message);
    assert_eq!(report.problems.len(), 1, "{report}");
    let problem = &report.problems[0];
    assert_eq!(problem.code, Code::NotInEnum);
    assert_eq!(problem.instance_path, "/Data/Result");
    assert_eq!(problem.schema_path, "schemas/auth/IdentityResult.json#/properties/Result/enum");
    assert_eq!(problem.message, "`success` is not one of `Success`, `Reject`, `Rejected`: did you mean `Success`?");
}

#[test]
fn wrong_type_is_one_error_at_the_exact_path() {
    let message = auth_owner(json!({"Provider": "Paritech", "ClientID": 42}));
    let report = AuthOwnerRequest::validate(&message);
    assert_eq!(report.problems.len(), 1, "{report}");
    let problem = &report.problems[0];
    assert_eq!(problem.code, Code::WrongType);
    assert_eq!(problem.instance_path, "/Data/ClientID");
    assert_eq!(problem.schema_path, "schemas/auth/AuthOwner.request.json#/properties/Data/properties/ClientID/type");
    assert_eq!(problem.message, "expected a string, found a number `42`");
}

#[test]
fn misspelled_required_property_is_reported_once_where_it_is_missing() {
    let message = auth_owner(json!({"Provider": "Paritech", "ClientId": "TriOptimum"}));
    let report = AuthOwnerRequest::validate(&message);
    assert_eq!(report.problems.len(), 1, "{report}");
    assert_eq!(report.problems[0].code, Code::MissingRequired);
    assert_eq!(report.problems[0].instance_path, "/Data");
    assert_eq!(
        report.problems[0].message,
        "required property `ClientID` is missing; `ClientId` is there: did you mean `ClientID`?"
    );
}

#[test]
fn unknown_extra_property_is_a_warning() {
    let message = auth_owner(json!({"Provider": "Paritech", "ClientID": "TriOptimum", "DeviceName": "kiosk-7"}));
    assert!(!AuthOwnerRequest::is_clean(&message));
    let report = AuthOwnerRequest::validate(&message);
    assert!(report.is_valid());
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].severity, Severity::Warning);
    assert_eq!(report.problems[0].code, Code::UndocumentedProperty);
    assert_eq!(report.problems[0].instance_path, "/Data/DeviceName");
}

#[test]
fn every_problem_is_collected() {
    let message = json!({"Controller": "Auth", "Topic": "Identify", "Action": "Publish", "Data": {
        "Result": 1, "ExpiryDate": "2012-13-30T10:02:30Z", "Scope": ["a", 2], "UserID": null
    }});
    let report = IdentifyPush::validate(&message);
    let found: Vec<(&str, &str)> =
        report.problems.iter().map(|p| (p.instance_path.as_str(), p.code.as_str())).collect();
    assert_eq!(
        found,
        [
            ("/Data/Result", "wrong-type"),
            ("/Data/ExpiryDate", "bad-datetime"),
            ("/Data/Scope/1", "wrong-type"),
            ("/Data/UserID", "wrong-type"),
        ]
    );
    assert!(report.problems[1].message.contains("the month is out of range"), "{}", report.problems[1].message);
}

#[test]
fn secret_values_never_appear_in_problems() {
    let secret = "hunter2-XYZZY-credential";
    let messages = [
        auth_owner(json!({"Provider": "P", "ClientID": "C", "Password": 918273645})),
        auth_owner(json!({"Provider": "P", "ClientID": "C", "Password": [secret]})),
        auth_owner(json!({"Provider": "P", "ClientID": "C", "ClientSecret": {"v": secret}})),
        json!({"Controller": "Auth", "Topic": "AuthToken", "Data": {"Provider": "Bearer", "AccessToken": true}}),
    ];
    for message in messages {
        let kind = MessageKind::ALL
            .iter()
            .find(|k| {
                k.info().topic == message["Topic"].as_str() && k.info().direction == zenith_protocol::Direction::Send
            })
            .unwrap();
        let report = kind.validate(&message);
        assert!(!report.is_valid());
        let text = report.to_string();
        assert!(!text.contains(secret) && !text.contains("918273645"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
}

#[test]
fn fast_path_and_full_pass_agree() {
    for &kind in MessageKind::ALL {
        let info = kind.info();
        let schema = test_kit::schemas().file(info.schema_file);
        for example in schema["examples"].as_array().unwrap() {
            assert!(kind.validate(example).problems.is_empty(), "{}: {}", info.name, kind.validate(example));
            assert!(kind.is_valid(example));
        }
    }
}

#[test]
fn every_code_is_documented() {
    let docs = std::fs::read_to_string(test_kit::root().join("docs/diagnostics.md")).unwrap();
    for code in Code::ALL {
        assert!(docs.contains(&format!("| `{}` |", code.as_str())), "docs/diagnostics.md does not document {code}");
    }
}

#[test]
fn a_report_is_an_error_to_pass_up() {
    fn check(message: &serde_json::Value) -> Result<(), Box<dyn std::error::Error>> {
        let report = AuthOwnerRequest::validate(message);
        if report.is_valid() { Ok(()) } else { Err(Box::new(report)) }
    }
    let error = check(&auth_owner(json!({"Provider": "P", "ClientId": "C"}))).unwrap_err();
    assert!(error.to_string().contains("required property `ClientID` is missing"), "{error}");
}
