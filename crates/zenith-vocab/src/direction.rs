//! Which way a message travels, and the role a message plays in a conversation.

use std::fmt;

/// Which way a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Client to server.
    Send,
    /// Server to client.
    Receive,
}

impl Direction {
    /// Both directions, client to server first.
    pub const ALL: &'static [Direction] = &[Direction::Send, Direction::Receive];

    /// `send` or `receive`, as HAR files and the schemas spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Send => "send",
            Direction::Receive => "receive",
        }
    }

    /// The direction spelled `send` or `receive`; `None` for any other text.
    pub fn parse(text: &str) -> Option<Direction> {
        Direction::ALL.iter().copied().find(|direction| direction.as_str() == text)
    }

    /// The directions a message may travel in: the one the capture gives, or both (client to
    /// server first) when it does not say.
    pub fn candidates(known: Option<Direction>) -> &'static [Direction] {
        match known {
            Some(Direction::Send) => &[Direction::Send],
            Some(Direction::Receive) => &[Direction::Receive],
            None => Direction::ALL,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a message is in a conversation, by its action and direction. Which action plays which
/// role each way is a fact of the schemas (`x-zenith-roles` in `schemas/envelope/Action.json`),
/// which [`Role::of`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Client to server: asks for something, and is answered under its `TransactionID`.
    Request,
    /// Server to client: a reply to a request, or data pushed on a subscription.
    Answer,
    Subscribe,
    /// The server confirms a subscription, or says it failed.
    Confirm,
    Unsubscribe,
    /// The server ends a subscription, or confirms its end.
    Unsubscribed,
    /// A request failed.
    Error,
    /// The client cancels a request in progress.
    Cancel,
}

impl Role {
    /// Every role, in the order the schemas list them.
    pub const ALL: &'static [Role] = &[
        Role::Request,
        Role::Answer,
        Role::Subscribe,
        Role::Confirm,
        Role::Unsubscribe,
        Role::Unsubscribed,
        Role::Error,
        Role::Cancel,
    ];

    /// The role's name in `x-zenith-roles` (`request`, `answer`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Request => "request",
            Role::Answer => "answer",
            Role::Subscribe => "subscribe",
            Role::Confirm => "confirm",
            Role::Unsubscribe => "unsubscribe",
            Role::Unsubscribed => "unsubscribed",
            Role::Error => "error",
            Role::Cancel => "cancel",
        }
    }

    /// The role `x-zenith-roles` names `text`; `None` for a name it does not know.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|role| role.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_read_back_as_they_are_written() {
        for &direction in Direction::ALL {
            assert_eq!(Direction::parse(direction.as_str()), Some(direction));
            assert_eq!(direction.to_string(), direction.as_str());
        }
        assert_eq!(Direction::parse("Send"), None);
        assert_eq!(Direction::parse(""), None);
    }

    #[test]
    fn an_unknown_direction_means_both() {
        assert_eq!(Direction::candidates(None), &[Direction::Send, Direction::Receive]);
        assert_eq!(Direction::candidates(Some(Direction::Receive)), &[Direction::Receive]);
    }

    #[test]
    fn roles_read_back_as_they_are_written() {
        for &role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Request"), None);
        assert_eq!(Role::Unsubscribed.to_string(), "unsubscribed");
    }

    #[test]
    fn an_action_plays_a_role_each_way_the_schemas_say() {
        assert_eq!(Role::of("Publish", Direction::Send), Some(Role::Request));
        assert_eq!(Role::of("Error", Direction::Receive), Some(Role::Error));
        assert_eq!(Role::of("Error", Direction::Send), None);
        assert_eq!(Role::of("publish", Direction::Send), None);
    }
}
