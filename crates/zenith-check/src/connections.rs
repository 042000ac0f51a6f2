//! Connections numbered in order of first sight, and messages numbered on each connection.

use rustc_hash::FxHashMap;

#[derive(Default)]
pub struct Connections {
    numbers: FxHashMap<String, usize>,
    /// The number of the connection with the empty id.
    unnamed: Option<usize>,
    /// Each connection's id and the messages seen on it so far, by number.
    seen: Vec<(String, u64)>,
    /// The connection of the previous message: consecutive messages usually share one.
    last: Option<usize>,
}

impl Connections {
    /// The number of the connection with this id, and the 1-based index of this message on it.
    pub fn message(&mut self, id: &str) -> (usize, u64) {
        let number = match self.last.filter(|&n| same_id(&self.seen[n].0, id)) {
            Some(number) => number,
            None => self.number(id),
        };
        self.last = Some(number);
        let messages = &mut self.seen[number].1;
        *messages += 1;
        (number, *messages)
    }

    /// The id of connection `number`.
    pub fn id(&self, number: usize) -> &str {
        &self.seen[number].0
    }

    fn number(&mut self, id: &str) -> usize {
        // The map is never asked about the empty id: see `same_id`.
        let known = if id.is_empty() { self.unnamed } else { self.numbers.get(id).copied() };
        if let Some(number) = known {
            return number;
        }
        let number = self.seen.len();
        if id.is_empty() {
            self.unnamed = Some(number);
        } else {
            self.numbers.insert(id.to_owned(), number);
        }
        self.seen.push((id.to_owned(), 0));
        number
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
        let seen: Vec<(usize, u64)> = ["", "a", "a", "", "b", "a"].iter().map(|id| connections.message(id)).collect();
        assert_eq!(seen, [(0, 1), (1, 1), (1, 2), (0, 2), (2, 1), (1, 3)]);
        assert_eq!([connections.id(0), connections.id(1), connections.id(2)], ["", "a", "b"]);
    }
}
