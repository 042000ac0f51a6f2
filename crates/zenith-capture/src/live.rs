//! A websocket connection read as it is relayed (by `zenith proxy`): each side's bytes, in
//! order and as they come, through the same upgrade, framing, inflating and decoding that reads
//! packet captures, so that a live session and a capture of it read alike.

use std::sync::Arc;

use crate::pcap::peer::Peer;
use crate::pcap::websocket::{Conversation, MAX_EARLY_BYTES};
use crate::{Code, Direction, Event, Limits, Origin, Severity, Transport, TransportEvent};

/// One relayed connection, from the client's upgrade request on.
pub struct Live {
    conversation: Conversation,
    origin: Origin,
    /// Bytes of each side (the client's, then the server's) not read because a copy fell behind.
    lost: [u64; 2],
}

impl Live {
    /// A connection named `conn` (`client -> upstream`), its messages at most
    /// `limits.max_line_bytes` long.
    pub fn new(conn: &str, limits: Limits) -> Live {
        Live { conversation: Conversation::new(limits), origin: Origin::Live { conn: Arc::from(conn) }, lost: [0; 2] }
    }

    /// Where this connection's events come from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The next bytes one side sent (`Send`: the client), at `time` (seconds since the epoch).
    pub fn bytes(&mut self, direction: Direction, bytes: &[u8], time: f64, sink: &mut dyn FnMut(Event)) {
        let peer = peer(direction);
        self.conversation.bytes(peer, bytes, 2 * MAX_EARLY_BYTES, &self.origin, time, sink);
    }

    /// `bytes` one side sent that were relayed but never reached this reader: reported (the
    /// first time only), after which that side's messages are no longer read, since no frame
    /// boundary can be trusted after bytes left out.
    pub fn lost(&mut self, direction: Direction, bytes: u64, time: f64, sink: &mut dyn FnMut(Event)) {
        let peer = peer(direction);
        if bytes == 0 {
            return;
        }
        let cause = "the checker's copy fell behind the relay";
        if self.lost[peer as usize] == 0 {
            let message = format!(
                "the checker's copy of the {}'s bytes fell behind the relay, which never waits for it: {bytes} bytes \
                 were relayed but not checked, and the {}'s later messages are relayed but not checked either",
                peer.name(),
                peer.name()
            );
            let what = TransportEvent::problem(Severity::Error, Code::CheckerFellBehind, message);
            sink(Event::Transport(Transport {
                origin: self.origin.clone(),
                time: Some(time),
                direction: Some(direction),
                what,
            }));
        }
        self.lost[peer as usize] += bytes;
        self.conversation.lose(peer, bytes, cause, &self.origin, time, sink);
    }

    /// The bytes of each side (the client's, then the server's) relayed but not checked.
    pub fn lost_bytes(&self) -> [u64; 2] {
        self.lost
    }

    /// The connection is over: a message or upgrade left unfinished is reported.
    pub fn close(&mut self, time: f64, sink: &mut dyn FnMut(Event)) {
        self.conversation.close(&self.origin, time, sink);
    }
}

fn peer(direction: Direction) -> Peer {
    match direction {
        Direction::Send => Peer::Client,
        Direction::Receive => Peer::Server,
    }
}
