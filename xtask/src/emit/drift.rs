//! `docs/reference/client-drift.md`: the differences with the real client, as the schemas decide them.

use std::fmt::Write as _;

use super::tokens::GENERATED_HEADER;
use crate::model::{Direction, DriftDecision, Model};

/// The controllers' sections, by the prefix of the drift ids.
const SECTIONS: &[(&str, &str)] = &[
    ("envelope", "Envelope"),
    ("auth", "Auth"),
    ("market", "Market"),
    ("trading", "Trading"),
    ("watchlist", "Watchlist"),
    ("notify", "Notify"),
    ("channel", "Channel"),
    ("news", "News"),
    ("fragments", "Fragments"),
    ("zenith", "Zenith"),
    ("common", "Common"),
];

const DECISIONS: &[(DriftDecision, &str)] = &[
    (DriftDecision::Warning, "accepted, with a `client-drift` warning that names the row"),
    (DriftDecision::Info, "accepted, with an informational `client-drift` finding"),
    (
        DriftDecision::Accepted,
        "accepted without a finding: the reference was unclear, or the rule was the schemas' own",
    ),
    (
        DriftDecision::Error,
        "still reported as the rule says (an error, or a warning where the rule warns), its message saying what the real client does",
    ),
    (DriftDecision::Kept, "nothing changed: the real client is stricter than the reference, or the evidence is weak"),
];

pub fn emit(model: &Model) -> String {
    let mut out = format!(
        "<!-- {GENERATED_HEADER} -->\n# The real client against the reference\n\n\
         The schemas follow the reference. The one real client, motif-core (the public repository \
         `plxtra/motif-core`, its Zenith messages under \
         `src/code/adi/publishers/zenith/physical-message/`), is the best evidence of what real \
         servers do: whatever it reads, a server sends; whatever it sends, a server takes. This \
         table lists every difference found between the two, topic by topic, and what the schemas \
         decided. Each row is an `x-zenith-drift` annotation on the schema it names (this page is \
         generated from them), and a test holds each row's example message to its decision.\n\n\
         | Decision | Meaning | Rows |\n|---|---|---:|\n"
    );
    for (decision, meaning) in DECISIONS {
        let count = model.drift.iter().filter(|d| d.decision == *decision).count();
        let _ = writeln!(out, "| {} | {meaning} | {count} |", decision.as_str());
    }
    let _ = writeln!(out, "| **All** | | {} |", model.drift.len());
    out.push_str(
        "\nIn the tables, *reads* means motif-core reads it from the server, *sends* that it sends \
         it; the file is under motif-core's `physical-message/` folder unless a path says otherwise.\n",
    );
    for (prefix, title) in SECTIONS {
        let rows: Vec<_> = model.drift.iter().filter(|d| d.id.split('-').next() == Some(prefix)).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n## {title}\n\n| Id | Schema | motif-core | Way | What motif-core does | Decision | Why |\n\
             |---|---|---|---|---|---|---|\n"
        );
        for drift in rows {
            let way = match drift.direction {
                Direction::Receive => "reads",
                Direction::Send => "sends",
            };
            let pointer =
                if drift.location.pointer.is_empty() { String::new() } else { format!("#{}", drift.location.pointer) };
            let _ = writeln!(
                out,
                "| `{}` | [`{}{pointer}`](../../{}) | `{}` | {way} | {} | **{}** | {} |",
                drift.id,
                drift.location.file.strip_prefix("schemas/").unwrap_or(&drift.location.file),
                drift.location.file,
                cell(&drift.client),
                cell(&drift.does),
                drift.decision.as_str(),
                cell(&drift.why),
            );
        }
    }
    out
}

/// Text fit for a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
