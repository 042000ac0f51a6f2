//! Facts about the messages as a whole, worked out once so that emitters only write them down.

use super::ir::{Direction, Message, RepliesElsewhere};

/// Each controller, in order of its first message, with the topics of its messages that have
/// one, in message order (a topic comes once per message).
pub(super) fn controller_topics(messages: &[Message]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for message in messages {
        let Some(controller) = &message.controller else { continue };
        let index = match out.iter().position(|(c, _)| c == controller) {
            Some(index) => index,
            None => {
                out.push((controller.clone(), Vec::new()));
                out.len() - 1
            }
        };
        out[index].1.extend(message.topic.clone());
    }
    out
}

/// Each topic that takes arguments, with the first of its messages that states their forms.
pub(super) fn topic_arguments(messages: &[Message]) -> Vec<(String, String, usize)> {
    let mut out: Vec<(String, String, usize)> = Vec::new();
    for (index, message) in messages.iter().enumerate().filter(|(_, m)| m.arguments.is_some()) {
        let (Some(controller), Some(topic)) = (&message.controller, &message.topic) else { continue };
        if !out.iter().any(|(c, t, _)| c == controller && t == topic) {
            out.push((controller.clone(), topic.clone(), index));
        }
    }
    out
}

/// Every topic on which replies of other topics may arrive, by controller and action: a request
/// sent on another topic of the controller lists the topic among its `replyTopics`, so the
/// received messages of the request's topic with that action may come here.
pub(super) fn replies_elsewhere(messages: &[Message]) -> Vec<RepliesElsewhere> {
    let direction = Direction::Receive;
    let mut out: Vec<RepliesElsewhere> = Vec::new();
    let requests = messages.iter().filter(|m| m.direction == Direction::Send);
    for request in requests.clone() {
        let Some(controller) = &request.controller else { continue };
        for here in &request.reply_topics {
            if out.iter().any(|r| &r.controller == controller && &r.topic == here) {
                continue;
            }
            // The topics whose requests may be answered here.
            let answered_here: Vec<&String> = requests
                .clone()
                .filter(|m| m.controller.as_ref() == Some(controller) && m.topic.as_ref() != Some(here))
                .filter(|m| m.reply_topics.contains(here))
                .filter_map(|m| m.topic.as_ref())
                .collect();
            let replies = messages.iter().enumerate().filter(|(_, m)| {
                m.direction == direction
                    && m.controller.as_ref() == Some(controller)
                    && m.topic.as_ref().is_some_and(|t| answered_here.contains(&t))
            });
            let first = out.len();
            for (index, reply) in replies {
                match out[first..].iter_mut().find(|r| r.action == reply.action) {
                    Some(entry) => entry.messages.push(index),
                    None => out.push(RepliesElsewhere {
                        direction,
                        controller: controller.clone(),
                        topic: here.clone(),
                        action: reply.action.clone(),
                        messages: vec![index],
                    }),
                }
            }
        }
    }
    out
}
