//! With the `validate` feature: every message the server sends checked against its schema,
//! and each problem, each frame that cannot be read and each change record that does not fit
//! its subscription's state reported through `tracing`, with the codes `zenith check` gives.
//! Errors are `warn` events, warnings `info`, remarks `debug`; each carries `code`, `path`
//! (a JSON Pointer into the message, when one applies) and `about` (the message's kind or the
//! subscription's topic, when known).

use serde_json::Value;
use zenith_capture::Code as Finding;
use zenith_protocol::{Controller, Direction, EnvelopeKeys, Message, ParseError, Report, Severity, controller_topics};

use crate::state::Misfit;

/// Reports one event at the level its severity gives.
fn report(severity: Severity, code: &str, path: &str, about: &str, what: &str) {
    match severity {
        Severity::Error => tracing::warn!(code, path, about, "{what}"),
        Severity::Warning => tracing::info!(code, path, about, "{what}"),
        Severity::Info => tracing::debug!(code, path, about, "{what}"),
    }
}

/// What the schemas say of a message the server sent: `tree`, the JSON tree of `text`, when
/// it was read already.
pub(crate) fn received(text: &str, tree: Option<&Value>) {
    let read;
    let tree = match tree {
        Some(tree) => tree,
        None => match serde_json::from_str::<Value>(text) {
            Ok(tree) => {
                read = tree;
                &read
            }
            Err(error) => return unparsed(&ParseError::NotJson(error.to_string())),
        },
    };
    let keys = match EnvelopeKeys::read(tree) {
        Ok(keys) => keys,
        Err(error) => return unparsed(&error),
    };
    match keys.kind(Direction::Receive) {
        Some(kind) => problems(&kind.validate(tree), kind.info().name),
        // No schema covers it: the reading says which keys and what is near.
        None => {
            if let Err(error) = Message::validate(tree, Direction::Receive) {
                unparsed(&error);
            }
        }
    }
}

/// Each problem of a message's report; `what`: the message's kind.
fn problems(report: &Report, what: &str) {
    for problem in &report.problems {
        self::report(problem.severity, problem.code.as_str(), &problem.instance_path, what, &problem.message);
    }
}

/// A message no schema covers, or that is not even an object with an envelope.
fn unparsed(error: &ParseError) {
    let code = match error {
        ParseError::NotJson(_) => Finding::NotJson,
        ParseError::NotAnObject { .. } | ParseError::EnvelopeField { .. } => Finding::BadEnvelope,
        ParseError::NoSchema { controller, .. } if !Controller::KNOWN.contains(&controller.as_str()) => {
            Finding::UnknownController
        }
        ParseError::NoSchema { controller, topic, .. } if !controller_topics(controller).contains(&topic.as_str()) => {
            Finding::UnknownTopic
        }
        ParseError::NoSchema { .. } | ParseError::Data { .. } => Finding::UnexpectedMessage,
    };
    report(code.severity().unwrap_or(Severity::Error), code.as_str(), "", "", &error.to_string());
}

/// A frame that is no message in the connection's encoding.
pub(crate) fn unreadable(reason: &str) {
    report(Severity::Error, Finding::UnreadableFrame.as_str(), "", "", reason);
}

/// Change records of a push on `topic` that did not fit the state held.
pub(crate) fn misfits(topic: &str, misfits: &[(Misfit, String)]) {
    for (misfit, reason) in misfits {
        let code = match misfit {
            Misfit::NotHeld => Finding::ChangeForUnknownKey,
            Misfit::Again => Finding::DuplicateAdd,
            Misfit::OutOfRange => Finding::PositionOutOfRange,
        };
        report(Severity::Error, code.as_str(), "", topic, reason);
    }
}
