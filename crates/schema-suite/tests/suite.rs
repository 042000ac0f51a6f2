//! The official JSON Schema Test Suite through generated validators: every case the generator
//! accepts passes, except the ones in `skip.txt`, each with its reason; and every refused case
//! is listed there too, so the list cannot go stale.

use std::collections::BTreeMap;

use schema_suite::{CASES, REFUSED, SUITE_PRESENT};
use serde_json::Value;
use zenith_protocol::runtime::diagnostics::{Verdict, Walker};

/// `file | case description` -> reason, from `skip.txt`.
fn skip_list() -> BTreeMap<(String, String), String> {
    include_str!("../skip.txt")
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.splitn(3, " | ").collect();
            assert_eq!(parts.len(), 3, "skip.txt line needs `file | case | reason`: {line}");
            ((parts[0].to_owned(), parts[1].to_owned()), parts[2].to_owned())
        })
        .collect()
}

#[test]
fn suite_cases_pass_except_the_listed_ones() {
    if !SUITE_PRESENT {
        eprintln!("skipped: ../shared/json-schema-test-suite is not beside the checkout");
        return;
    }
    let skips = skip_list();
    let mut not_passing = BTreeMap::new();
    for (file, description, reason) in REFUSED {
        not_passing.insert((file.to_string(), description.to_string()), format!("refused: {reason}"));
    }
    let mut passed = 0;
    for case in CASES {
        let tests: Vec<Value> = serde_json::from_str(case.tests).unwrap();
        let mut failures = Vec::new();
        for test in &tests {
            let data = &test["data"];
            let mut walker = Walker::new("");
            zenith_protocol::runtime::schema::walk(case.schema, data, &mut walker, false);
            let report = walker.finish();
            let valid = report.is_schema_valid();
            let fast = zenith_protocol::runtime::stream::verdict(case.schema, data);
            let streamed = zenith_protocol::runtime::stream::check_text(case.schema, &data.to_string()).unwrap();
            assert_eq!(
                streamed, fast,
                "{}: {}: streaming and tree verdicts differ on {data}",
                case.file, case.description
            );
            let agree = (fast == Verdict::Clean) == report.problems.is_empty()
                && (fast != Verdict::Invalid) == report.is_valid();
            assert!(agree, "{}: {}: fast and full pass disagree on {data}", case.file, case.description);
            if valid != test["valid"].as_bool().unwrap() {
                failures.push(test["description"].as_str().unwrap().to_owned());
            } else {
                passed += 1;
            }
        }
        if !failures.is_empty() {
            not_passing
                .insert((case.file.to_owned(), case.description.to_owned()), format!("fails: {}", failures.join("; ")));
        }
    }
    let unexpected: Vec<_> = not_passing.iter().filter(|(key, _)| !skips.contains_key(*key)).collect();
    let stale: Vec<_> = skips.keys().filter(|key| !not_passing.contains_key(*key)).collect();
    let unexpected: Vec<String> = unexpected
        .iter()
        .map(|((file, case), why)| format!("{file} | {case} | {}", why.replace('\n', "\\n")))
        .collect();
    assert!(unexpected.is_empty(), "cases failing or refused but not in skip.txt:\n{}", unexpected.join("\n"));
    assert!(stale.is_empty(), "skip.txt lists cases that now pass:\n{stale:#?}");
    assert!(passed > 150, "only {passed} suite tests passed");
}

#[test]
fn suite_coverage_is_substantial() {
    if !SUITE_PRESENT {
        return;
    }
    let tests: usize = CASES.iter().map(|c| serde_json::from_str::<Vec<Value>>(c.tests).unwrap().len()).sum();
    assert!(CASES.len() >= 40, "only {} suite schemas built", CASES.len());
    assert!(tests >= 150, "only {tests} suite tests run");
}
