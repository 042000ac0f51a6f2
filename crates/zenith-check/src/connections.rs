//! Connections numbered in order of first sight, and messages numbered on each connection. At
//! most [`MAX_CONNECTIONS`] are followed, so a capture of countless connections stays small.

use rustc_hash::FxHashMap;

/// The most connections followed in one capture. Messages on later ones are still checked
/// against their schemas, but not numbered (their index is 0) nor paired.
pub const MAX_CONNECTIONS: usize = 100_000;

/// Where a message sits among the connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// On a followed connection: its number, and the 1-based index of the message on it.
    Followed { number: usize, index: u64 },
    /// On a connection beyond the limit; `first` for the first such message of the capture.
    Beyond { first: bool },
}

#[derive(Default)]
pub struct Connections {
    /// The number of each connection by its id, but the empty one.
    numbers: FxHashMap<Box<str>, u32>,
    /// The number of the connection with the empty id.
    unnamed: Option<u32>,
    /// The messages seen so far on each connection, by number.
    messages: Vec<u64>,
    /// The connection of the previous message (consecutive messages usually share one).
    last: Option<(String, u32)>,
    /// True once a message came on a connection beyond the limit.
    beyond: bool,
}

impl Connections {
    /// Where the message on connection `id` sits.
    pub fn message(&mut self, id: &str) -> Seat {
        let number = match &self.last {
            Some((last, number)) if same_id(last, id) => Some(*number),
            _ => self.number(id),
        };
        let Some(number) = number else {
            let first = !self.beyond;
            self.beyond = true;
            return Seat::Beyond { first };
        };
        match &mut self.last {
            Some((last, n)) => {
                if *n != number {
                    last.clear();
                    last.push_str(id);
                    *n = number;
                }
            }
            None => self.last = Some((id.to_owned(), number)),
        }
        let messages = &mut self.messages[number as usize];
        *messages += 1;
        Seat::Followed { number: number as usize, index: *messages }
    }

    /// Every connection followed, as (id, number), sorted by id.
    pub fn by_id(&self) -> Vec<(&str, usize)> {
        let named = self.numbers.iter().map(|(id, n)| (&**id, *n as usize));
        let mut all: Vec<(&str, usize)> = self.unnamed.map(|n| ("", n as usize)).into_iter().chain(named).collect();
        all.sort_unstable();
        all
    }

    /// The number of connection `id`, numbering it if it is new and there is room.
    fn number(&mut self, id: &str) -> Option<u32> {
        // The map is never asked about the empty id: see `same_id`.
        let known = if id.is_empty() { self.unnamed } else { self.numbers.get(id).copied() };
        if known.is_some() {
            return known;
        }
        if self.messages.len() >= MAX_CONNECTIONS {
            return None;
        }
        let number = u32::try_from(self.messages.len()).ok()?;
        if id.is_empty() {
            self.unnamed = Some(number);
        } else {
            self.numbers.insert(id.into(), number);
        }
        self.messages.push(0);
        Some(number)
    }
}

/// Equal ids. The empty id (every bare JSON Lines message has it) is told by its length alone:
/// some C libraries take a hundred times longer to compare zero bytes than a few.
fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_connections_and_their_messages_in_order() {
        let mut connections = Connections::default();
        let seen: Vec<Seat> = ["", "a", "a", "", "b", "a"].iter().map(|id| connections.message(id)).collect();
        let followed = |number, index| Seat::Followed { number, index };
        assert_eq!(
            seen,
            [followed(0, 1), followed(1, 1), followed(1, 2), followed(0, 2), followed(2, 1), followed(1, 3)]
        );
        assert_eq!(connections.by_id(), [("", 0), ("a", 1), ("b", 2)]);
    }

    #[test]
    fn connections_beyond_the_limit_are_not_numbered() {
        let mut connections = Connections::default();
        for n in 0..MAX_CONNECTIONS {
            assert!(matches!(connections.message(&n.to_string()), Seat::Followed { index: 1, .. }));
        }
        assert_eq!(connections.message("new"), Seat::Beyond { first: true });
        assert_eq!(connections.message("newer"), Seat::Beyond { first: false });
        assert_eq!(connections.message("0"), Seat::Followed { number: 0, index: 2 });
    }
}
