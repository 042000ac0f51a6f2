//! The docs hold together: every link between the reference pages resolves (file and heading),
//! every example on a controller's page validates as the message it is shown under, every
//! message has its section, and every Rust snippet is compiled as a doctest.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use zenith_protocol::MessageKind;

fn reference_pages() -> Vec<PathBuf> {
    let dir = test_kit::root().join("docs/reference");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages
}

/// The anchors of a page's headings, as code hosts make them: lower case, spaces as `-`, other
/// punctuation dropped, and `-1`, `-2`... after a heading seen before; each with its level.
fn anchors(text: &str) -> Vec<(String, usize)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        let Some(heading) = line.strip_prefix('#').filter(|_| !fenced) else { continue };
        let level = 1 + heading.len() - heading.trim_start_matches('#').len();
        let heading = heading.trim_start_matches('#').trim();
        let slug: String = heading
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        let count = seen.entry(slug.clone()).or_default();
        anchors.push((if *count == 0 { slug.clone() } else { format!("{slug}-{count}") }, level));
        *count += 1;
    }
    anchors
}

/// The targets of a page's Markdown links, outside code.
fn links(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            links.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    links
}

#[test]
fn every_link_between_reference_pages_resolves() {
    let pages = reference_pages();
    let mut anchors_of: BTreeMap<PathBuf, Vec<(String, usize)>> = BTreeMap::new();
    let mut read = |path: &Path| -> Vec<(String, usize)> {
        anchors_of
            .entry(path.to_path_buf())
            .or_insert_with(|| anchors(&std::fs::read_to_string(path).unwrap_or_default()))
            .clone()
    };
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() { page.clone() } else { page.parent().unwrap().join(file) };
            assert!(target.exists(), "{}: `{link}`: no such file", page.display());
            if !anchor.is_empty() {
                let level = read(&target).iter().find(|(a, _)| a == anchor).map(|(_, level)| *level);
                assert!(level.is_some(), "{}: `{link}`: no such heading in {}", page.display(), target.display());
                // A topic's errata are its own section, not its controller's.
                if file == "errata.md" {
                    assert_eq!(level, Some(3), "{}: `{link}` is not a topic of the errata", page.display());
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} links checked");
}

/// A generated page's headings are told apart without the `-1` code hosts add to repeats, so
/// that a link to a topic or a message cannot land on another heading of the same name.
#[test]
fn headings_of_the_reference_pages_are_unique() {
    for page in reference_pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        if !text.contains("[All controllers](index.md)") && !page.ends_with("messages.md") {
            continue;
        }
        let repeated: Vec<String> = anchors(&text).into_iter().map(|(a, _)| a).filter(|a| a.ends_with("-1")).collect();
        assert!(repeated.is_empty(), "{}: headings repeated: {repeated:?}", page.display());
    }
}

#[test]
fn every_message_has_its_section_and_its_examples_validate() {
    let by_name: HashMap<&str, MessageKind> = MessageKind::ALL.iter().map(|k| (k.info().name, *k)).collect();
    let mut sections = Vec::new();
    let mut examples = 0;
    for page in reference_pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        if !text.contains("[All controllers](index.md)") {
            continue;
        }
        let mut current: Option<MessageKind> = None;
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some(name) = line.strip_prefix("### ") {
                current =
                    Some(*by_name.get(name).unwrap_or_else(|| panic!("{}: `{name}` is no message", page.display())));
                sections.push(name.to_owned());
            } else if line.starts_with("## ") {
                current = None;
            } else if line == "```json" {
                let json: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
                let value: Value = serde_json::from_str(&json.join("\n")).unwrap();
                let kind = current.unwrap_or_else(|| panic!("{}: an example outside a message", page.display()));
                let report = kind.validate(&value);
                assert!(report.is_valid(), "{}: {} example {value}: {:?}", page.display(), kind.info().name, report);
                examples += 1;
            }
        }
    }
    sections.sort();
    let mut all: Vec<String> = MessageKind::ALL.iter().map(|k| k.info().name.to_owned()).collect();
    all.sort();
    assert_eq!(sections, all, "each message has exactly one section");
    assert!(examples >= MessageKind::ALL.len(), "{examples} examples");
}

/// Every Markdown file with a Rust snippet is included in a crate's docs, so that `cargo test`
/// compiles (and runs) each snippet as a doctest.
#[test]
fn every_rust_snippet_in_the_docs_is_a_doctest() {
    let root = test_kit::root();
    let lib = std::fs::read_to_string(root.join("crates/zenith-protocol/src/lib.rs")).unwrap();
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    let mut snippets = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let count = text.lines().filter(|l| l.trim_start().starts_with("```rust")).count();
        if count == 0 {
            continue;
        }
        snippets += count;
        let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        assert!(
            lib.contains(&format!("include_str!(\"../../../{relative}\")")),
            "{relative} has Rust snippets that no doctest compiles: include it in zenith-protocol's docs"
        );
    }
    assert!(snippets >= 2, "{snippets} Rust snippets");
}
