//! Replies made from the schemas' examples, with the request's own values put in.
//!
//! [`answer`] is pure: it reads the request and the schema tables and returns the messages a
//! server would send back, without any IO. The server around it decides when to send them.

use serde_json::{Map, Value};
use zenith_protocol::{DEFAULT_CONTROLLER, Direction, EnvelopeKeys, MessageKind, SECRET_PROPERTIES};

/// The action of every request and of every reply.
const PUBLISH: &str = "Publish";

/// How deep the walks through `Data` go; deeper values are left as they are.
const MAX_DEPTH: usize = 32;

/// The replies a server sends to `request`, a send message of `kind` (a request: Action
/// Publish, with a TransactionID), each a receive message that the schemas accept without error.
///
/// The reply is the example of the schema that documents the answer to `kind`, with:
/// - `TransactionID` set to the request's (removed when the request has no integer one);
/// - `Controller` set to the request's, for a kind valid on every controller (`Configure`);
/// - every scalar of the reply's `Data`, at any depth, whose property has the name of a scalar
///   of the request's `Data` (at any depth outside arrays) replaced by the request's value, so
///   a client can follow its own account, symbol, order, scan, watchlist or channel. An `ID`
///   inside an object named `Order` (or `Scan`, ...) follows the request's `OrderID` (or
///   `ScanID`, ...). When the request has several properties of that name, the one whose
///   enclosing property names match best wins. A value is left alone when the two examples
///   show it is not the request's (the new watchlist's `WatchlistID` in a `CopyWatchlist`
///   reply, the destination account of a moved order), when the property is a secret, or
///   when the request's value would make the reply break its schema.
///
/// The reply comes on the first of the request's reply topics on which the schemas accept it,
/// as the reference shows the real server doing (an `AmendOrder` is answered on `PlaceOrder`,
/// an `ExecuteScan` on `QueryMatches`), otherwise on the request's own topic.
///
/// The result is empty when there is nothing to answer here: `kind` is not a request (not a
/// send message with action Publish), the request is for the `Auth` controller (sign-in and
/// identity are handled by the session, not from examples), no schema documents a reply, or no
/// reply the schemas accept can be built. Any other input, however malformed (no `Data`, values
/// of the wrong type, not an object at all), gets the example's values where its own are
/// missing or unusable; this function never panics.
pub fn answer(request: &Value, kind: MessageKind) -> Vec<Value> {
    let info = kind.info();
    if info.direction != Direction::Send || info.action != PUBLISH {
        return Vec::new();
    }
    let Some(own_topic) = info.topic else { return Vec::new() };
    let controller = match info.controller {
        Some(controller) => controller,
        None => request.get("Controller").and_then(Value::as_str).unwrap_or(DEFAULT_CONTROLLER),
    };
    if controller == "Auth" {
        return Vec::new();
    }
    let Some(source) = std::iter::once(own_topic)
        .chain(info.reply_topics.iter().copied())
        .find_map(|topic| reply_kind(controller, topic))
    else {
        return Vec::new();
    };
    let Some(mut reply) = starting_reply(source, controller) else { return Vec::new() };
    set_envelope(&mut reply, request, source, controller);
    follow_request(&mut reply, request, kind, source);
    choose_topic(&mut reply, controller, info.reply_topics, source);
    if is_accepted(&reply) { vec![reply] } else { Vec::new() }
}

/// The receive message documented on `topic` of `controller` with action Publish, if any.
fn reply_kind(controller: &str, topic: &str) -> Option<MessageKind> {
    MessageKind::lookup(controller, Some(topic), PUBLISH, Direction::Receive).filter(|kind| {
        let info = kind.info();
        info.topic == Some(topic) && info.direction == Direction::Receive && info.action == PUBLISH
    })
}

/// The reply schema's example, or a bare envelope when the schema has none.
fn starting_reply(source: MessageKind, controller: &str) -> Option<Value> {
    let info = source.info();
    let example =
        source.docs().example.and_then(|text| serde_json::from_str::<Value>(text).ok()).filter(Value::is_object);
    example.or_else(|| {
        let mut envelope = Map::new();
        envelope.insert("Controller".into(), Value::from(info.controller.unwrap_or(controller)));
        envelope.insert("Topic".into(), Value::from(info.topic?));
        Some(Value::Object(envelope))
    })
}

/// Puts the request's TransactionID (or none) and, for a reply valid on every controller, the
/// request's controller into the reply, each only if the schema still accepts the reply.
fn set_envelope(reply: &mut Value, request: &Value, source: MessageKind, controller: &str) {
    let Some(envelope) = reply.as_object_mut() else { return };
    if source.info().controller.is_none() {
        let before = envelope.insert("Controller".into(), Value::from(controller));
        if !source.is_valid(reply) {
            restore(reply, "Controller", before);
        }
    }
    let Some(envelope) = reply.as_object_mut() else { return };
    let before = match request.get("TransactionID").filter(|id| id.is_i64() || id.is_u64()) {
        Some(id) => envelope.insert("TransactionID".into(), id.clone()),
        None => envelope.remove("TransactionID"),
    };
    if !source.is_valid(reply) {
        restore(reply, "TransactionID", before);
    }
}

/// Puts back a property of the envelope as it was (absent when `before` is `None`).
fn restore(reply: &mut Value, key: &str, before: Option<Value>) {
    if let Some(envelope) = reply.as_object_mut() {
        match before {
            Some(value) => envelope.insert(key.into(), value),
            None => envelope.remove(key),
        };
    }
}

/// A scalar of the request's `Data`: the property names that lead to it, and its value.
struct Given<'a> {
    path: Vec<&'a str>,
    value: &'a Value,
}

/// A scalar of the reply's `Data` that a request's value may replace.
struct Target {
    /// Where it is, as a JSON Pointer from the reply's root.
    pointer: String,
    /// The property names that lead to it, array positions left out.
    names: Vec<String>,
    /// The name of the object holding it, when that object is a property's value (not an
    /// array item).
    holder: Option<String>,
    /// The example's value.
    value: Value,
}

/// Collects the request's scalars, skipping arrays, nulls and secrets.
fn givens<'a>(value: &'a Value, path: &mut Vec<&'a str>, out: &mut Vec<Given<'a>>) {
    let Some(object) = value.as_object() else { return };
    if path.len() >= MAX_DEPTH {
        return;
    }
    for (name, child) in object {
        if SECRET_PROPERTIES.contains(&name.as_str()) {
            continue;
        }
        path.push(name);
        match child {
            Value::Object(_) => givens(child, path, out),
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                out.push(Given { path: path.clone(), value: child })
            }
            Value::Null | Value::Array(_) => {}
        }
        path.pop();
    }
}

/// Collects the reply's scalars under `pointer`, inside objects and arrays alike.
fn targets(value: &Value, pointer: &str, names: &mut Vec<String>, holder: Option<&str>, out: &mut Vec<Target>) {
    if names.len() >= MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(object) => {
            for (name, child) in object {
                let child_pointer = format!("{pointer}/{}", escape(name));
                names.push(name.clone());
                match child {
                    Value::String(_) | Value::Number(_) | Value::Bool(_) => out.push(Target {
                        pointer: child_pointer,
                        names: names.clone(),
                        holder: holder.map(str::to_owned),
                        value: child.clone(),
                    }),
                    Value::Object(_) => targets(child, &child_pointer, names, Some(name), out),
                    Value::Array(_) => targets(child, &child_pointer, names, None, out),
                    Value::Null => {}
                }
                names.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                targets(item, &format!("{pointer}/{index}"), names, None, out);
            }
        }
        _ => {}
    }
}

/// A property name as a JSON Pointer token.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The request's scalar that best matches `target`: one of the same name before an `XID`
/// standing for the `ID` of an object named `X`, then the most enclosing names in common,
/// then the shallowest.
fn best_given<'g, 'a>(target: &Target, givens: &'g [Given<'a>]) -> Option<&'g Given<'a>> {
    let name = target.names.last()?;
    let ancestors = &target.names[..target.names.len() - 1];
    let mut best: Option<((u8, usize, usize), &Given<'a>)> = None;
    for given in givens {
        let Some(&given_name) = given.path.last() else { continue };
        let rank = if given_name == name {
            2
        } else if name == "ID" && target.holder.as_deref().is_some_and(|holder| given_name == format!("{holder}ID")) {
            1
        } else {
            continue;
        };
        let given_ancestors = &given.path[..given.path.len() - 1];
        let common = ancestors.iter().rev().zip(given_ancestors.iter().rev()).take_while(|(a, b)| a == *b).count();
        let score = (rank, common, usize::MAX - given.path.len());
        if best.as_ref().is_none_or(|(best_score, _)| score > *best_score) {
            best = Some((score, given));
        }
    }
    best.map(|(_, given)| given)
}

/// The value at `path` (property names) under the `Data` of `message`.
fn data_at<'v>(message: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(message.get("Data")?, |value, name| value.get(*name))
}

/// Replaces the reply's values with the request's where they follow it (see [`answer`]).
fn follow_request(reply: &mut Value, request: &Value, kind: MessageKind, source: MessageKind) {
    let (Some(data), Some(reply_data)) = (request.get("Data"), reply.get("Data")) else { return };
    let mut given = Vec::new();
    givens(data, &mut Vec::new(), &mut given);
    if given.is_empty() {
        return;
    }
    let mut found = Vec::new();
    targets(reply_data, "/Data", &mut Vec::new(), None, &mut found);
    let request_example = kind.docs().example.and_then(|text| serde_json::from_str::<Value>(text).ok());
    let changes: Vec<(String, Value)> = found
        .iter()
        .filter_map(|target| {
            let chosen = best_given(target, &given)?;
            // The examples of the two schemas go together: a value that differs between them
            // is not the request's echo (a new identifier, a destination).
            let example = request_example.as_ref().and_then(|example| data_at(example, &chosen.path));
            if example.is_some_and(|example| *example != target.value) || *chosen.value == target.value {
                return None;
            }
            Some((target.pointer.clone(), chosen.value.clone()))
        })
        .collect();
    if changes.is_empty() {
        return;
    }
    let originals: Vec<Value> = changes.iter().map(|(pointer, _)| replace(reply, pointer, None)).collect();
    for (pointer, value) in &changes {
        replace(reply, pointer, Some(value.clone()));
    }
    if source.is_valid(reply) {
        return;
    }
    // Some value breaks the schema: start again from the example and keep each value that
    // the schema accepts on its own.
    for ((pointer, _), original) in changes.iter().zip(&originals) {
        replace(reply, pointer, Some(original.clone()));
    }
    for (pointer, value) in changes {
        let original = replace(reply, &pointer, Some(value));
        if !source.is_valid(reply) {
            replace(reply, &pointer, Some(original));
        }
    }
}

/// Puts `value` at `pointer` (when given) and returns what was there (null when nothing).
fn replace(reply: &mut Value, pointer: &str, value: Option<Value>) -> Value {
    match reply.pointer_mut(pointer) {
        Some(slot) => match value {
            Some(value) => std::mem::replace(slot, value),
            None => slot.clone(),
        },
        None => Value::Null,
    }
}

/// Moves the reply to the first of `reply_topics` where the schemas accept it, stopping at
/// the topic it already has.
fn choose_topic(reply: &mut Value, controller: &str, reply_topics: &[&str], source: MessageKind) {
    let Some(own) = source.info().topic else { return };
    for &topic in reply_topics {
        if topic == own {
            return;
        }
        let Some(kind) = reply_kind(controller, topic) else { continue };
        let mut moved = reply.clone();
        if let Some(envelope) = moved.as_object_mut() {
            envelope.insert("Topic".into(), Value::from(topic));
        }
        if kind.is_valid(&moved) {
            *reply = moved;
            return;
        }
    }
}

/// Whether the schema that a client would pick from the reply's envelope accepts it.
fn is_accepted(reply: &Value) -> bool {
    EnvelopeKeys::read(reply)
        .ok()
        .and_then(|keys| keys.kind(Direction::Receive))
        .is_some_and(|kind| kind.is_valid(reply))
}
