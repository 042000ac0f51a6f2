//! Each difference with the real client (a row of `docs/reference/client-drift.md`, an
//! `x-zenith-drift` annotation in the schemas): its example message, in motif-core's shape, gets
//! the decided verdict and finding, from the full report and the one pass alike.

use serde_json::Value;
use zenith_protocol::{CLIENT_DRIFT, Code, DriftDecision, EnvelopeKeys, Severity, Verdict};

#[test]
fn every_drift_rows_example_gets_its_decision() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for drift in CLIENT_DRIFT {
        let Some(example) = drift.example else {
            assert_eq!(drift.decision, DriftDecision::Kept, "{}: only a kept row goes without an example", drift.id);
            continue;
        };
        let value: Value = serde_json::from_str(example).expect("examples are written from JSON");
        let kind = EnvelopeKeys::read(&value)
            .ok()
            .and_then(|keys| keys.kind(drift.direction))
            .unwrap_or_else(|| panic!("{}: the example is no {} message of the schemas", drift.id, drift.direction));
        let report = kind.validate(&value);
        let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
        let mine: Vec<_> = report
            .problems
            .iter()
            .filter(|p| p.code == Code::ClientDrift && p.message.ends_with(&format!("({})", drift.id)))
            .collect();
        let verdict = kind.verdict(&value);
        let streamed = kind.stream_verdict(&mut serde_json::Deserializer::from_str(example)).unwrap();
        let problem = match drift.severity() {
            Some(severity) => {
                let right = errors.is_empty()
                    && mine.len() == 1
                    && mine[0].severity == severity
                    && mine[0].message.contains(drift.does)
                    && verdict == Verdict::Warnings;
                (!right).then(|| format!("wanted one {severity} finding naming it and no error"))
            }
            None if drift.decision == DriftDecision::Error => {
                let noted = report.problems.iter().any(|p| {
                    p.severity != Severity::Info && p.message.contains(&drift.note()) && p.message.contains(drift.id)
                });
                (!noted || verdict == Verdict::Clean)
                    .then(|| "wanted a finding carrying the real client's note".to_owned())
            }
            None if drift.decision == DriftDecision::Accepted => {
                (!errors.is_empty() || !mine.is_empty() || verdict == Verdict::Invalid)
                    .then(|| "wanted no error and no drift finding".to_owned())
            }
            None => (!mine.is_empty()).then(|| "a kept row gives no drift finding".to_owned()),
        };
        if streamed != verdict {
            failures.push(format!("{}: the one pass says {streamed:?}, the tree {verdict:?}", drift.id));
        }
        // The full walk, which `validate` skips when the one pass finds nothing, agrees.
        let mut walker = zenith_protocol::runtime::diagnostics::Walker::new("");
        zenith_protocol::runtime::schema::walk(kind.schema(), &value, &mut walker, false);
        let full = walker.finish();
        let walked = match (full.errors().next(), full.problems.is_empty()) {
            (Some(_), _) => Verdict::Invalid,
            (None, true) => Verdict::Clean,
            (None, false) => Verdict::Warnings,
        };
        if walked != verdict {
            failures.push(format!("{}: the one pass says {verdict:?}, the full walk {walked:?}:\n{full}", drift.id));
        }
        if let Some(problem) = problem {
            failures.push(format!("{} ({}): {problem}; got:\n{report}", drift.id, drift.decision.as_str()));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 30, "only {checked} rows have examples");
}

#[test]
fn the_drift_table_lists_every_row_with_its_decision() {
    let table = std::fs::read_to_string(test_kit::root().join("docs/reference/client-drift.md")).unwrap();
    for drift in CLIENT_DRIFT {
        let row = table.lines().find(|line| line.starts_with(&format!("| `{}` |", drift.id)));
        let row = row.unwrap_or_else(|| panic!("{} is not in the drift table", drift.id));
        assert!(row.contains(&format!("**{}**", drift.decision.as_str())), "{row}");
    }
    let severities: Vec<Severity> = CLIENT_DRIFT.iter().filter_map(|d| d.severity()).collect();
    assert!(severities.contains(&Severity::Warning) && severities.contains(&Severity::Info));
}
