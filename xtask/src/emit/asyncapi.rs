//! `docs/asyncapi.json`: the protocol as an AsyncAPI 3.0 document, for tools. One channel per
//! Controller and topic (its address carries the topic's arguments as parameters), one message
//! per schema (its payload the schema itself), one operation per message, and replies
//! correlated by `TransactionID`.

use serde_json::{Map, Value, json};

use crate::model::{Direction, Message, Model};

use super::docs::{form_text, shown_example};
use super::tokens::{GENERATED_HEADER, summary};

/// The document, as pretty JSON with the generated marker as its first property.
pub fn emit(model: &Model) -> String {
    let mut channels = Map::new();
    let mut messages = Map::new();
    let mut operations = Map::new();
    // Replies to a request, which carry its `TransactionID` back.
    let answers: Vec<&str> =
        model.messages.iter().flat_map(|m| replies(model, m)).flat_map(|(_, r)| r).map(|m| m.name.as_str()).collect();
    for message in &model.messages {
        let channel = channel_id(message);
        let entry = channels.entry(channel.clone()).or_insert_with(|| new_channel(model, message));
        entry["messages"][&message.name] = json!({ "$ref": format!("#/components/messages/{}", message.name) });
        let correlated = !message.reply_topics.is_empty() || answers.contains(&message.name.as_str());
        messages.insert(message.name.clone(), message_object(model, message, correlated));
        let action = message.direction.as_str();
        let mut operation = json!({
            "action": action,
            "channel": { "$ref": format!("#/channels/{channel}") },
            "summary": summary(&message.doc),
            "messages": [{ "$ref": format!("#/channels/{channel}/messages/{}", message.name) }],
        });
        if let Some((channel, replies)) = replies(model, message) {
            let messages: Vec<Value> = replies
                .iter()
                .map(|m| json!({ "$ref": format!("#/channels/{channel}/messages/{}", m.name) }))
                .collect();
            operation["reply"] =
                json!({ "channel": { "$ref": format!("#/channels/{channel}") }, "messages": messages });
            if message.reply_topics.len() > 1 {
                operation["description"] = Value::String(format!(
                    "Replies come on {}; the reply below is the one on this channel.",
                    message.reply_topics.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
                ));
            }
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
    // The address carries the first form with arguments; the others are described.
    let form = arguments.and_then(|a| a.forms.iter().find(|f| !f.text.is_empty()));
    let address = match (&first.topic, form) {
        (Some(topic), Some(form)) => Value::String(form_text(topic, &form.text)),
        (Some(topic), None) => Value::String(topic.clone()),
        (None, _) => Value::Null,
    };
    let controller = first.controller.as_deref().unwrap_or("any controller");
    let mut description = match &first.topic {
        Some(topic) => format!("`{topic}` of {controller}."),
        None => "Messages of any controller and topic: subscriptions, their ends, errors and cancels.".to_owned(),
    };
    if let (Some(topic), Some(arguments)) = (&first.topic, arguments.filter(|a| a.forms.len() > 1)) {
        let forms: Vec<String> = arguments.forms.iter().map(|f| format!("`{}`", form_text(topic, &f.text))).collect();
        description.push_str(&format!(" The topic takes one of the forms {}.", forms.join(", ")));
    }
    let mut channel = json!({
        "address": address,
        "description": description,
        "messages": {},
        "bindings": { "$ref": "#/components/channelBindings/connection" },
    });
    if let (Some(arguments), Some(form)) = (arguments, form) {
        let parameters: Map<String, Value> = arguments
            .parts
            .iter()
            .filter(|part| form.parts.contains(&part.name))
            .map(|part| {
                let description = part.doc.clone().unwrap_or_else(|| format!("The `{}` argument.", part.name));
                (part.name.clone(), json!({ "description": description }))
            })
            .collect();
        channel["parameters"] = Value::Object(parameters);
    }
    channel
}

fn message_object(model: &Model, message: &Message, correlated: bool) -> Value {
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
        "examples": message
            .examples
            .iter()
            .map(|example| json!({ "payload": shown_example(model, example) }))
            .collect::<Vec<_>>(),
    });
    if correlated {
        object["correlationId"] = json!({ "$ref": "#/components/correlationIds/transaction" });
    }
    object
}

/// A request's replies: the channel of its own topic when it replies there (else of its first
/// reply topic), and the messages received there with the request's action.
fn replies<'m>(model: &'m Model, request: &Message) -> Option<(String, Vec<&'m Message>)> {
    if request.direction != Direction::Send {
        return None;
    }
    let on_topic = |topic: &String| -> Vec<&'m Message> {
        model
            .messages
            .iter()
            .filter(|m| m.direction == Direction::Receive && m.topic.as_ref() == Some(topic))
            .filter(|m| m.controller == request.controller && m.action == request.action)
            .collect()
    };
    let own = request.topic.as_ref().filter(|t| request.reply_topics.contains(t)).map(on_topic);
    let replies = own.filter(|r| !r.is_empty()).or_else(|| request.reply_topics.first().map(on_topic))?;
    Some((channel_id(replies.first()?), replies))
}
