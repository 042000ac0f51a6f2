//! Every topic of the reference's fact tables has its schemas: a topic added to the tables and
//! left out of the schemas fails here.

use std::collections::BTreeSet;

use serde_json::Value;
use zenith_protocol::MessageKind;

/// The (controller, topic) of every topic entry in the fact tables.
fn reference_topics() -> BTreeSet<(String, String)> {
    let dir = test_kit::shared().join("spec/zenith-api");
    let mut topics = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let table: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let (Some(controller), Some(entries)) = (table["controller"].as_str(), table["topics"].as_array()) else {
            continue;
        };
        for entry in entries {
            topics.insert((controller.to_owned(), entry["topic"].as_str().unwrap().to_owned()));
        }
    }
    topics
}

#[test]
fn every_reference_topic_has_schemas() {
    let topics = reference_topics();
    assert_eq!(topics.len(), 90, "topics (CalculateOrder's two pages are one wire topic)");
    let covered = |controller: &str, topic: &str| {
        MessageKind::ALL.iter().any(|kind| {
            let info = kind.info();
            // The common topics belong to every controller.
            let ours = info.controller.is_none_or(|c| c == controller) || controller == "Common";
            ours && info.topic == Some(topic)
        })
    };
    let missing: Vec<String> = topics
        .iter()
        .filter(|(controller, topic)| !covered(controller, topic))
        .map(|(controller, topic)| format!("{controller}/{topic}"))
        .collect();
    assert!(missing.is_empty(), "topics without schemas: {missing:?}");
}
