//! The sink a websocket conversation writes its frames, events and problems to.

use super::peer::Peer;
use crate::{Body, Code, Event, Frame, Origin, Severity, Transport, TransportEvent};

/// Where events go, and the place they are from.
pub(super) struct Out<'a> {
    pub origin: &'a Origin,
    pub time: f64,
    pub peer: Peer,
    pub sink: &'a mut dyn FnMut(Event),
}

impl Out<'_> {
    pub fn reborrow(&mut self) -> Out<'_> {
        Out { origin: self.origin, time: self.time, peer: self.peer, sink: &mut *self.sink }
    }

    pub fn frame(&mut self, body: Body) {
        let frame =
            Frame { origin: self.origin.clone(), time: Some(self.time), direction: Some(self.peer.direction()), body };
        (self.sink)(Event::Frame(frame));
    }

    pub fn unreadable(&mut self, reason: String) {
        self.frame(Body::Unreadable(reason));
    }

    pub fn event(&mut self, what: TransportEvent) {
        let direction = Some(self.peer.direction());
        (self.sink)(Event::Transport(Transport {
            origin: self.origin.clone(),
            time: Some(self.time),
            direction,
            what,
        }));
    }

    pub fn problem(&mut self, level: Severity, code: Code, message: String) {
        self.event(TransportEvent::problem(level, code, message));
    }

    /// An HTTP head, as text to be read for credentials.
    pub fn context(&mut self, json: &str) {
        let json = json.to_owned();
        (self.sink)(Event::Context(crate::Context { origin: self.origin.clone(), json, partial: false }));
    }
}
