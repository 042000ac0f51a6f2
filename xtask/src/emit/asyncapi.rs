//! `docs/asyncapi.json`: the protocol as an AsyncAPI 3.0 document, for tools. One channel per
//! Controller and topic (its address carries the topic's arguments as parameters), one message
//! per schema (its payload the schema itself), one operation per message, and replies
//! correlated by `TransactionID`.

use serde_json::{Map, Value, json};

use crate::model::{Direction, Message, Model};

use super::{GENERATED_HEADER, summary};

/// The document, as pretty JSON with the generated marker as its first property.
pub fn emit(model: &Model) -> String {
    let mut channels = Map::new();
    let mut messages = Map::new();
    let mut operations = Map::new();
    for message in &model.messages {
        let channel = channel_id(message);
        let entry = channels.entry(channel.clone()).or_insert_with(|| new_channel(model, message));
        entry["messages"][&message.name] = json!({ "$ref": format!("#/components/messages/{}", message.name) });
        messages.insert(message.name.clone(), message_object(message));
    }
    for message in &model.messages {
        let channel = channel_id(message);
        let action = match message.direction {
            Direction::Send => "send",
            Direction::Receive => "receive",
        };
        let mut operation = json!({
            "action": action,
            "channel": { "$ref": format!("#/channels/{channel}") },
            "summary": summary(&message.doc),
            "messages": [{ "$ref": format!("#/channels/{channel}/messages/{}", message.name) }],
        });
        if let Some(reply) = reply(model, message) {
            operation["reply"] = reply;
        }
        operations.insert(format!("{action}{}", message.name), operation);
    }
    let document = json!({
        "x-generated": GENERATED_HEADER,
        "asyncapi": "3.0.0",
        "info": {
            "title": "Zenith trading websocket protocol",
            "version": "2.0",
            "description": "Every message of the Zenith protocol, generated from the JSON Schemas in `schemas/`: \
                a message's payload is its schema (draft 2020-12). All messages share one connection \
                and one envelope (`Controller`, `Topic`, `Action`, `TransactionID`, `Data`, `Confirm`); \
                a channel is a Controller and a topic, and its address the `Topic` a message carries.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "zenith": {
                "host": "{host}",
                "protocol": "wss",
                "description": "A Zenith server's websocket endpoint. The subprotocol names the encoding: \
                    `ZenithJson` (one JSON message per text frame), `ZenithMsgPack` or `ZenithBson`.",
                "variables": { "host": { "description": "The server's host name, and its port when not the default." } },
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "messageTraits": {
                "envelope": {
                    "name": "Envelope",
                    "summary": "The envelope every message travels in.",
                    "description": "Each payload schema narrows the envelope (`schemas/envelope/Envelope.json`) \
                        for one kind of message: `Controller` and `Action` take their defaults when absent, \
                        `Topic` carries the arguments, `TransactionID` pairs a request with its replies.",
                    "contentType": "application/json",
                }
            },
            "correlationIds": {
                "transaction": {
                    "description": "A request's `TransactionID`, which its replies carry back.",
                    "location": "$message.payload#/TransactionID",
                }
            },
            "channelBindings": {
                "connection": {
                    "ws": {
                        "bindingVersion": "0.1.0",
                        "query": {
                            "type": "object",
                            "properties": {
                                "version": {
                                    "type": "string",
                                    "enum": ["1.6", "2.0"],
                                    "description": "The protocol version asked for on the connection URL (`?version=`): 1.6, legacy, or 2.0, current.",
                                }
                            }
                        }
                    }
                }
            },
        },
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// A channel's name in the document: `Market.Depth`, `Any.Configure` for a topic of every
/// controller, `Any.Any` for the envelope's own messages.
fn channel_id(message: &Message) -> String {
    format!("{}.{}", message.controller.as_deref().unwrap_or("Any"), message.topic.as_deref().unwrap_or("Any"))
}

fn new_channel(model: &Model, first: &Message) -> Value {
    // The arguments of any message of the channel (its messages share them).
    let arguments =
        model.messages.iter().filter(|m| channel_id(m) == channel_id(first)).find_map(|m| m.arguments.as_ref());
    let address = match (&first.topic, arguments.and_then(|a| a.forms.first())) {
        (Some(topic), Some(form)) => Value::String(format!("{topic}!{}", form.text)),
        (Some(topic), None) => Value::String(topic.clone()),
        (None, _) => Value::Null,
    };
    let controller = first.controller.as_deref().unwrap_or("any controller");
    let mut description = match &first.topic {
        Some(topic) => format!("`{topic}` of {controller}."),
        None => "Messages of any controller and topic: subscriptions, their ends, errors and cancels.".to_owned(),
    };
    if let Some(arguments) = arguments.filter(|a| a.forms.len() > 1) {
        let forms: Vec<String> = arguments.forms.iter().map(|f| format!("`{}`", f.text)).collect();
        description.push_str(&format!(" Its arguments take one of the forms {}.", forms.join(", ")));
    }
    let mut channel = json!({
        "address": address,
        "description": description,
        "messages": {},
        "bindings": { "$ref": "#/components/channelBindings/connection" },
    });
    if let Some(arguments) = arguments.filter(|a| !a.parts.is_empty()) {
        let parameters: Map<String, Value> = arguments
            .parts
            .iter()
            .map(|part| {
                let description = part.doc.clone().unwrap_or_else(|| format!("The `{}` argument.", part.name));
                (part.name.clone(), json!({ "description": description }))
            })
            .collect();
        channel["parameters"] = Value::Object(parameters);
    }
    channel
}

fn message_object(message: &Message) -> Value {
    let mut object = json!({
        "name": message.name,
        "title": message.name,
        "summary": summary(&message.doc),
        "description": message.doc,
        "contentType": "application/json",
        "payload": {
            "schemaFormat": "application/schema+json;version=draft-2020-12",
            "schema": { "$ref": format!("../{}", message.location.file) },
        },
        "traits": [{ "$ref": "#/components/messageTraits/envelope" }],
        "examples": message.examples.iter().map(|example| json!({ "payload": example })).collect::<Vec<_>>(),
    });
    if !message.reply_topics.is_empty() || replies_to_requests(message) {
        object["correlationId"] = json!({ "$ref": "#/components/correlationIds/transaction" });
    }
    object
}

/// A message received on a topic with the action of a request sent on it: a reply.
fn replies_to_requests(message: &Message) -> bool {
    message.direction == Direction::Receive && message.action == "Publish" && message.topic.is_some()
}

/// A request's reply: on the channel of its first reply topic, the replies received there.
fn reply(model: &Model, request: &Message) -> Option<Value> {
    let topic = request.reply_topics.first()?;
    let replies: Vec<&Message> = model
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Receive && m.topic.as_ref() == Some(topic))
        .filter(|m| m.controller == request.controller && m.action == request.action)
        .collect();
    let channel = channel_id(replies.first()?);
    let messages: Vec<Value> =
        replies.iter().map(|m| json!({ "$ref": format!("#/channels/{channel}/messages/{}", m.name) })).collect();
    Some(json!({ "channel": { "$ref": format!("#/channels/{channel}") }, "messages": messages }))
}
