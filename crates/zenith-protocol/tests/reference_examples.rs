//! Every example message of the reference, classified by the schemas: a valid one validates and comes back unchanged through its Rust type; any other
//! keeps the finding the schemas give it; one that is not JSON is counted as such. The
//! classification, with the quirks the fact tables record for each topic, is
//! `docs/reference/errata.md`: this test compares the two, and rewrites the file when
//! `ZENITH_BLESS=1` is set.

use std::fmt::Write as _;

use serde_json::Value;
use zenith_protocol::{Direction, EnvelopeKeys, Message, MessageKind, Severity};

/// The fact tables covered, as files of `../shared/spec/zenith-api/`.
const FACT_TABLES: &[&str] =
    &["auth", "zenith", "common", "market", "trading", "watchlist", "notify", "channel", "news", "fragments"];

const ERRATA: &str = "docs/reference/errata.md";

/// What the schemas say of one example.
enum Verdict {
    Valid { kind: MessageKind, warnings: usize },
    Invalid { kind: Option<MessageKind>, finding: String },
    NotJson(String),
}

fn classify(text: &str, direction: Direction) -> Verdict {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => return Verdict::NotJson(error.to_string()),
    };
    let keys = match EnvelopeKeys::read(&value) {
        Ok(keys) => keys,
        Err(error) => return Verdict::Invalid { kind: None, finding: error.to_string() },
    };
    let Some(kind) = keys.kind(direction) else {
        let finding = Message::parse(&value, direction).err().map(|e| e.to_string()).unwrap_or_default();
        return Verdict::Invalid { kind: None, finding };
    };
    let report = kind.validate(&value);
    match report.errors().next() {
        Some(problem) => {
            let path = if problem.instance_path.is_empty() { "(message)" } else { &problem.instance_path };
            Verdict::Invalid {
                kind: Some(kind),
                finding: format!("`{}` at `{path}`: {}", problem.code, problem.message),
            }
        }
        None => {
            let message = Message::from_value_as(kind, &value).unwrap_or_else(|e| panic!("{text}: {e}"));
            let warnings = report.problems.iter().filter(|p| p.severity == Severity::Warning).count();
            // Only undocumented properties (warnings) are not kept by the Rust type.
            if warnings == 0 {
                assert_eq!(message.to_value(), value, "{} does not round-trip", kind.info().name);
            }
            assert!(kind.is_valid(&value));
            Verdict::Valid { kind, warnings }
        }
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[test]
fn every_reference_example_is_classified_as_the_errata_say() {
    let facts = test_kit::shared().join("spec/zenith-api");
    if !facts.is_dir() {
        eprintln!("the fact tables are not beside the checkout; nothing to classify");
        return;
    }
    let mut body = String::new();
    let mut totals = String::new();
    let (mut all, mut all_valid, mut all_invalid, mut all_not_json) = (0, 0, 0, 0);
    for table in FACT_TABLES {
        let text = std::fs::read_to_string(facts.join(format!("{table}.json"))).unwrap();
        let facts: Value = serde_json::from_str(&text).unwrap();
        let controller = facts["controller"].as_str().unwrap();
        let (mut valid, mut invalid, mut not_json) = (0, 0, 0);
        let _ = writeln!(body, "## {controller} controller\n");
        for topic in facts["topics"].as_array().unwrap() {
            let examples = topic["examples"].as_array().map(Vec::as_slice).unwrap_or_default();
            let name = topic["topic"].as_str().unwrap();
            let _ = writeln!(body, "### {name}\n");
            let quirks: Vec<&str> =
                topic["quirks"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            if !quirks.is_empty() {
                let _ = writeln!(body, "Quirks the fact tables record for this topic:\n");
                for quirk in &quirks {
                    let _ = writeln!(body, "- {quirk}");
                }
                body.push('\n');
            }
            if examples.is_empty() {
                let _ = writeln!(body, "The reference has no example for this topic.\n");
                continue;
            }
            let _ = writeln!(body, "| # | Direction | Verdict | Schema or finding |\n|---:|---|---|---|");
            for (index, example) in examples.iter().enumerate() {
                let direction = match example["direction"].as_str() {
                    Some("send") => Direction::Send,
                    _ => Direction::Receive,
                };
                let (verdict, detail) = match classify(example["json"].as_str().unwrap(), direction) {
                    Verdict::Valid { kind, warnings: 0 } => {
                        valid += 1;
                        ("valid".to_owned(), format!("`{}`", kind.info().name))
                    }
                    Verdict::Valid { kind, warnings } => {
                        valid += 1;
                        (format!("valid, {warnings} warning(s)"), format!("`{}`", kind.info().name))
                    }
                    Verdict::Invalid { kind, finding } => {
                        invalid += 1;
                        let schema = kind.map(|k| format!("`{}`: ", k.info().name)).unwrap_or_default();
                        ("**invalid**".to_owned(), format!("{schema}{}", cell(&finding)))
                    }
                    Verdict::NotJson(error) => {
                        not_json += 1;
                        ("not JSON".to_owned(), cell(&error))
                    }
                };
                let _ = writeln!(body, "| {} | {} | {verdict} | {detail} |", index + 1, direction.as_str());
            }
            body.push('\n');
        }
        let count = valid + invalid + not_json;
        let _ = writeln!(totals, "| {controller} | {count} | {valid} | {invalid} | {not_json} |");
        (all, all_valid, all_invalid, all_not_json) =
            (all + count, all_valid + valid, all_invalid + invalid, all_not_json + not_json);
    }
    let errata = format!(
        "<!-- @generated by `ZENITH_BLESS=1 cargo test -p zenith-protocol --test reference_examples`; do not edit -->\n\
         # Errata: the reference's own examples\n\n\
         Every example message of the reference, and what the schemas make of it. Examples the\n\
         schemas reject are kept here as counterexamples, with the finding; the quirks the fact tables record for each topic say where the reference contradicts\n\
         itself, and the schemas' `$comment`s say which way each was decided and why. Many examples\n\
         are JavaScript rather than JSON (unquoted keys, a `websocket.send(...)` wrapper): those are\n\
         counted as not JSON.\n\n\
         | Controller | Examples | Valid | Invalid | Not JSON |\n|---|---:|---:|---:|---:|\n{totals}\
         | **All** | {all} | {all_valid} | {all_invalid} | {all_not_json} |\n\n{body}"
    );
    let path = test_kit::root().join(ERRATA);
    if std::env::var_os("ZENITH_BLESS").is_some() {
        std::fs::write(&path, &errata).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == errata,
        "{ERRATA} is stale: the schemas now classify the reference's examples differently. Review the change, \
         then rewrite it with `ZENITH_BLESS=1 cargo test -p zenith-protocol --test reference_examples`"
    );
    assert_eq!(all, 208, "every example of the reference is classified");
}
