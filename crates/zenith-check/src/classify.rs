//! Schema choice for one message: every candidate kind tried, the one with fewest problems kept.

use std::borrow::Cow;

use serde_json::Value;
use zenith_protocol::{Direction, Envelope, EnvelopeKeys, MessageKind, Report, Validate, Verdict};

use crate::finding::Place;

/// Chooses the schema (and, when the capture does not say, the direction) for a message,
/// and validates it. Unmatched messages are checked against the envelope alone.
pub(crate) fn classify(
    keys: &EnvelopeKeys<'_>,
    value: &Value,
    place: &Place,
) -> (Option<MessageKind>, Option<Direction>, Report) {
    // Each candidate with its fast verdict, which settles almost every case; full reports are
    // built only to break a tie between candidates that both have problems.
    let mut candidates: Vec<(MessageKind, Direction, Cow<'_, Value>, Verdict)> = Direction::candidates(place.direction)
        .iter()
        .filter_map(|&d| keys.kind(d).map(|k| (k, d, Cow::Borrowed(value), k.verdict(value))))
        .collect();
    // A reply may come on another request's reply topic with that request's reply shape. It is
    // held against that shape as if on that topic; the topic's own schema goes first, so it
    // wins every tie.
    if candidates.iter().all(|(_, _, _, verdict)| *verdict != Verdict::Clean) {
        for &direction in Direction::candidates(place.direction) {
            for kind in keys.reply_kinds_elsewhere(direction) {
                let mut moved = value.clone();
                moved["Topic"] = Value::from(kind.info().topic.unwrap_or_default());
                let verdict = kind.verdict(&moved);
                candidates.push((kind, direction, Cow::Owned(moved), verdict));
            }
        }
    }
    let best_verdict = candidates.iter().map(|(_, _, _, verdict)| *verdict).min();
    let mut best: Option<(MessageKind, Direction, Report)> = None;
    for (kind, direction, value, verdict) in candidates {
        if Some(verdict) != best_verdict {
            continue;
        }
        let report = if verdict == Verdict::Clean { Report::default() } else { kind.validate(&value) };
        // Fewest errors wins, then fewest warnings; a tie goes to the earlier candidate.
        let score = Report::counts;
        if best.as_ref().is_none_or(|(_, _, b)| score(&report) < score(b)) {
            best = Some((kind, direction, report));
        }
        if verdict == Verdict::Clean {
            break;
        }
    }
    match best {
        Some((kind, direction, report)) => (Some(kind), Some(direction), report),
        None => (None, None, Envelope::validate(value)),
    }
}
