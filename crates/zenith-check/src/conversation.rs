//! One connection's conversation: requests paired with replies by TransactionID, and
//! subscriptions with their confirmations.

use std::collections::VecDeque;
use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap as HashMap;

use zenith_protocol::Direction;

use crate::Summary;
use crate::analyze::{Checked, Place};
use crate::finding::{self, Finding, Level};

/// A request still waiting for its reply.
#[derive(Debug)]
struct Pending {
    place: Place,
    /// The documented reply topics; the request's own topic is accepted too.
    reply_topics: &'static [&'static str],
}

impl Pending {
    fn expects(&self, topic: &str) -> bool {
        self.place.topic.as_deref() == Some(topic) || self.reply_topics.contains(&topic)
    }
}

#[derive(Debug, Default)]
pub struct Conversation {
    /// The oldest request waiting for a reply, by TransactionID.
    requests: HashMap<i64, Pending>,
    /// Later requests that reused the TransactionID of one still waiting, oldest first.
    queued: HashMap<i64, VecDeque<Pending>>,
    /// Sub requests that asked for confirmation, by Controller and full Topic.
    subscriptions: HashMap<(String, String), u64>,
}

impl Conversation {
    pub fn message(
        &mut self,
        source: &str,
        checked: &Checked,
        direction: Direction,
        summary: &mut Summary,
        out: &mut dyn FnMut(Finding),
    ) {
        let place = &checked.place;
        let (Some(controller), Some(action)) = (place.controller.as_deref(), place.action.as_deref()) else { return };
        let full_topic = &*checked.full_topic;
        match (direction, action) {
            (Direction::Send, "Publish") => {
                let Some(id) = checked.transaction else { return };
                let reply_topics = checked.kind.map_or(&[][..], |kind| kind.info().reply_topics);
                summary.requests += 1;
                let pending = Pending { place: place.clone(), reply_topics };
                match self.requests.entry(id) {
                    Entry::Vacant(slot) => {
                        slot.insert(pending);
                    }
                    Entry::Occupied(_) => self.queued.entry(id).or_default().push_back(pending),
                }
            }
            (Direction::Send, "Sub") if checked.confirm => {
                *self.subscriptions.entry((controller.to_owned(), full_topic.to_owned())).or_default() += 1;
            }
            (Direction::Receive, "Sub") => {
                let key = (controller.to_owned(), full_topic.to_owned());
                if let Some(waiting) = self.subscriptions.get_mut(&key).filter(|n| **n > 0) {
                    *waiting -= 1;
                    if checked.confirm {
                        summary.subscriptions_confirmed += 1;
                    } else {
                        let message = format!(
                            "the subscription to `{full_topic}` failed (its confirmation has no `Confirm: true`)"
                        );
                        out(finding::new(
                            source,
                            place,
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
                let Some(id) = checked.transaction else { return };
                let Some(pending) = self.answer(id) else {
                    summary.orphan_replies += 1;
                    let message =
                        format!("a reply with TransactionID {id} matches no earlier request on this connection");
                    out(finding::new(
                        source,
                        place,
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
                if action == "Error" {
                    summary.error_replies += 1;
                    let details = checked.error_text.as_deref().unwrap_or("no details");
                    let message = format!("{} failed: {details}", describe(&pending.place));
                    out(finding::new(source, place, Level::Info, "error-reply", &message, "/Data", "", None));
                } else if let Some(topic) = place.topic.as_deref().filter(|t| !pending.expects(t)) {
                    let expected = pending.reply_topics.iter().copied().chain(pending.place.topic.as_deref());
                    let expected = expected.collect::<Vec<_>>().join("` or `");
                    let message = format!(
                        "the reply to {} arrived on `{topic}`, expected `{expected}`",
                        describe(&pending.place)
                    );
                    out(finding::new(
                        source,
                        place,
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

    /// The oldest request waiting with this TransactionID, no longer waiting.
    fn answer(&mut self, id: i64) -> Option<Pending> {
        let pending = self.requests.remove(&id)?;
        if let Some(queue) = self.queued.get_mut(&id) {
            if let Some(next) = queue.pop_front() {
                self.requests.insert(id, next);
            }
            if queue.is_empty() {
                self.queued.remove(&id);
            }
        }
        Some(pending)
    }

    /// Reports the requests never answered.
    pub fn finish(self, source: &str, summary: &mut Summary, out: &mut dyn FnMut(Finding)) {
        let mut waiting: Vec<Pending> =
            self.requests.into_values().chain(self.queued.into_values().flatten()).collect();
        waiting.sort_by_key(|p| p.place.index);
        for pending in waiting {
            summary.unanswered += 1;
            let message = format!("{} got no reply by the end of the capture", describe(&pending.place));
            out(finding::new(source, &pending.place, Level::Warning, "unanswered-request", &message, "", "", None));
        }
    }
}

fn describe(place: &Place) -> String {
    let conn = match place.conn.as_str() {
        "" => String::new(),
        conn if conn.starts_with("entry:") => format!(" on {conn}"),
        conn => format!(" on conn {conn}"),
    };
    format!("the {} request (#{}{conn})", place.topic.as_deref().unwrap_or("?"), place.index)
}
