//! Sub and Unsub requests made from a typed topic, which knows its controller.

use crate::generated::types::{Controller, SubRequest, UnsubRequest};
use crate::runtime::{Topic, TypedTopic};

impl SubRequest {
    /// A `Sub` of `topic`, to its own controller.
    pub fn for_topic<T: TypedTopic>(topic: T) -> SubRequest {
        let mut sub = SubRequest::new(Topic::from(topic.to_string()));
        sub.controller = Some(Controller::from(T::CONTROLLER));
        sub
    }

    /// The same `Sub`, asking the server to confirm it (or not).
    pub fn confirm(mut self, confirm: bool) -> SubRequest {
        self.confirm = Some(confirm);
        self
    }
}

impl UnsubRequest {
    /// An `Unsub` of `topic`, to its own controller.
    pub fn for_topic<T: TypedTopic>(topic: T) -> UnsubRequest {
        let mut unsub = UnsubRequest::new(Topic::from(topic.to_string()));
        unsub.controller = Some(Controller::from(T::CONTROLLER));
        unsub
    }

    /// The same `Unsub`, asking the server to confirm it (or not).
    pub fn confirm(mut self, confirm: bool) -> UnsubRequest {
        self.confirm = Some(confirm);
        self
    }
}
