//! The two sides of a connection.

/// Which side a segment comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    Client = 0,
    Server = 1,
}

impl Peer {
    pub fn direction(self) -> zenith_protocol::Direction {
        match self {
            Peer::Client => zenith_protocol::Direction::Send,
            Peer::Server => zenith_protocol::Direction::Receive,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Peer::Client => "client",
            Peer::Server => "server",
        }
    }

    pub fn other(self) -> Peer {
        match self {
            Peer::Client => Peer::Server,
            Peer::Server => Peer::Client,
        }
    }
}
