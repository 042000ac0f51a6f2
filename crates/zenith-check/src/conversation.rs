//! One connection's conversation: requests paired with replies by TransactionID, and
//! subscriptions with their confirmations.

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;

use zenith_protocol::{Direction, EnvelopeKeys, MessageKind};

use crate::Summary;
use crate::analyze::Place;
use crate::finding::{self, Finding, Level};

/// What the conversation needs from a message, however it was parsed.
pub struct Facts<'a> {
    pub transaction: Option<i64>,
    /// The whole topic, arguments included.
    pub topic: &'a str,
    pub confirm: bool,
    /// For `Error` messages: the codes with their documented meanings.
    pub error_text: Option<&'a str>,
}

/// A request still waiting for its reply.
#[derive(Debug)]
struct Pending {
    place: Place,
    /// Topics the reply may arrive on: the documented reply topics and the request's own.
    reply_topics: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Conversation {
    /// By TransactionID, oldest first (ids need not be unique).
    requests: HashMap<i64, VecDeque<Pending>>,
    /// Sub requests that asked for confirmation, by Controller and full Topic.
    subscriptions: HashMap<(String, String), u64>,
}

impl Conversation {
    #[allow(clippy::too_many_arguments)]
    pub fn message(
        &mut self,
        source: &str,
        place: &Place,
        direction: Direction,
        kind: Option<MessageKind>,
        keys: &EnvelopeKeys<'_>,
        facts: &Facts<'_>,
        summary: &mut Summary,
        out: &mut dyn FnMut(Finding),
    ) {
        let (transaction, confirm) = (facts.transaction, facts.confirm);
        let full_topic = facts.topic;
        match (direction, keys.action) {
            (Direction::Send, "Publish") => {
                let Some(id) = transaction else { return };
                let mut reply_topics: Vec<String> =
                    kind.map(|k| k.info().reply_topics.iter().map(|t| (*t).to_owned()).collect()).unwrap_or_default();
                reply_topics.extend(keys.topic.map(str::to_owned));
                summary.requests += 1;
                self.requests.entry(id).or_default().push_back(Pending { place: with_keys(place, keys), reply_topics });
            }
            (Direction::Send, "Sub") if confirm => {
                *self.subscriptions.entry((keys.controller.to_owned(), full_topic.to_owned())).or_default() += 1;
            }
            (Direction::Receive, "Sub") => {
                let key = (keys.controller.to_owned(), full_topic.to_owned());
                if let Some(waiting) = self.subscriptions.get_mut(&key).filter(|n| **n > 0) {
                    *waiting -= 1;
                    if confirm {
                        summary.subscriptions_confirmed += 1;
                    } else {
                        let message = format!(
                            "the subscription to `{full_topic}` failed (its confirmation has no `Confirm: true`)"
                        );
                        out(finding::new(
                            source,
                            &with_keys(place, keys),
                            Level::Info,
                            "subscription-failed",
                            &message,
                            "/Confirm",
                            "",
                            None,
                        ));
                    }
                }
            }
            (Direction::Receive, action) if action != "Unsub" => {
                let Some(id) = transaction else { return };
                let pending = match self.requests.get_mut(&id) {
                    Some(queue) => {
                        let first = queue.pop_front();
                        if queue.is_empty() {
                            self.requests.remove(&id);
                        }
                        first
                    }
                    None => None,
                };
                let Some(pending) = pending else {
                    summary.orphan_replies += 1;
                    let message =
                        format!("a reply with TransactionID {id} matches no earlier request on this connection");
                    out(finding::new(
                        source,
                        &with_keys(place, keys),
                        Level::Warning,
                        "orphan-reply",
                        &message,
                        "/TransactionID",
                        "",
                        None,
                    ));
                    return;
                };
                summary.replies += 1;
                if let (Some(sent), Some(received)) = (pending.place.time, place.time) {
                    summary.latency((received - sent) * 1000.0);
                }
                let request = describe(&pending.place);
                if action == "Error" {
                    summary.error_replies += 1;
                    let message = format!("{request} failed: {}", facts.error_text.unwrap_or("no details"));
                    out(finding::new(
                        source,
                        &with_keys(place, keys),
                        Level::Info,
                        "error-reply",
                        &message,
                        "/Data",
                        "",
                        None,
                    ));
                } else if let Some(topic) = keys.topic.filter(|t| !pending.reply_topics.iter().any(|r| r == t)) {
                    let expected = pending.reply_topics.join("` or `");
                    let message = format!("the reply to {request} arrived on `{topic}`, expected `{expected}`");
                    out(finding::new(
                        source,
                        &with_keys(place, keys),
                        Level::Warning,
                        "unexpected-reply-topic",
                        &message,
                        "/Topic",
                        "",
                        None,
                    ));
                }
            }
            _ => {}
        }
    }

    /// Reports the requests never answered.
    pub fn finish(self, source: &str, summary: &mut Summary, out: &mut dyn FnMut(Finding)) {
        let mut waiting: Vec<Pending> = self.requests.into_values().flatten().collect();
        waiting.sort_by_key(|p| p.place.index);
        for pending in waiting {
            summary.unanswered += 1;
            let message = format!("{} got no reply by the end of the capture", describe(&pending.place));
            out(finding::new(source, &pending.place, Level::Warning, "unanswered-request", &message, "", "", None));
        }
    }
}

/// The place with the envelope keys filled in (the fast path leaves them out until needed).
fn with_keys(place: &Place, keys: &EnvelopeKeys<'_>) -> Place {
    let mut place = place.clone();
    place.controller = Some(keys.controller.to_owned());
    place.topic = keys.topic.map(str::to_owned);
    place.action = Some(keys.action.to_owned());
    place
}

fn describe(place: &Place) -> String {
    let conn = match place.conn.as_str() {
        "" => String::new(),
        conn if conn.starts_with("entry:") => format!(" on {conn}"),
        conn => format!(" on conn {conn}"),
    };
    format!("the {} request (#{}{conn})", place.topic.as_deref().unwrap_or("?"), place.index)
}
