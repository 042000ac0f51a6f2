//! An order book kept from the changes `Depth` pushes carry, sorted by exact decimal price.

use std::collections::HashMap;
use std::fmt;

use zenith_protocol::market::{DepthChange, DepthOrder, DepthPush};
use zenith_protocol::shared::Side;
use zenith_protocol::{Decimal, Nullable};

/// The two sides of a book. The protocol's own [`Side`] may hold a value it does not know;
/// an order in the book is always on one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BookSide {
    /// Buyers: the best price is the highest.
    Bid,
    /// Sellers: the best price is the lowest.
    Ask,
}

impl fmt::Display for BookSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BookSide::Bid => "Bid",
            BookSide::Ask => "Ask",
        })
    }
}

/// Why one change could not be applied. The book stays as it was before that change; the
/// other changes of the push are still applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// An update or removal names an order the book does not hold.
    #[error("order `{id}` is not in the book")]
    UnknownOrder { id: String },
    /// An addition leaves out something an order in the book needs.
    #[error("added order `{id}` has no `{field}`")]
    MissingField { id: String, field: &'static str },
    /// An order is on a side the protocol does not list.
    #[error("order `{id}` is on side `{side}`, which is neither Bid nor Ask")]
    UnknownSide { id: String, side: String },
    /// A change whose `O` tag this protocol version does not know.
    #[error("change `{tag}` is not one of A, U, R, C")]
    UnknownChange { tag: String },
}

/// One order resting in the book.
#[derive(Clone, Debug, PartialEq)]
pub struct RestingOrder {
    /// The order's ID, unique within the symbol.
    pub id: String,
    /// Which side it is on.
    pub side: BookSide,
    /// Its price.
    pub price: Decimal,
    /// Its place among orders of the same price: lower comes first.
    pub position: i64,
    /// Its disclosed quantity; `None` when the order does not disclose one.
    pub quantity: Option<Decimal>,
}

/// The orders at one price on one side, summed up.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// The price, as the first order at it spelt it (`42.0` and `42.00` are one level).
    pub price: Decimal,
    /// How many orders rest at this price.
    pub orders: usize,
    /// The disclosed quantities added up, when each is a whole number; `None` otherwise.
    pub quantity: Option<i64>,
    /// How many of the orders do not disclose their quantity.
    pub undisclosed: usize,
}

/// A symbol's book, order by order, as the `Depth` changes build it.
///
/// ```
/// use downstream::book::{Book, BookSide};
/// use zenith_protocol::{Direction, Message};
///
/// let push = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[
///     {"O":"A","Order":{"ID":"1","Side":"Bid","Price":42.0,"Position":1,"Quantity":1000}},
///     {"O":"A","Order":{"ID":"2","Side":"Bid","Price":42.00,"Position":2,"Quantity":400}}]}"#;
/// let Ok(Message::DepthPush(push)) = Message::parse_str(push, Direction::Receive) else { panic!() };
/// let mut book = Book::default();
/// assert!(book.apply_push(&push).is_empty());
/// let bids = book.levels(BookSide::Bid);
/// assert_eq!(bids.len(), 1, "42.0 and 42.00 are the same price");
/// assert_eq!((bids[0].orders, bids[0].quantity), (2, Some(1400)));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Book {
    orders: HashMap<String, RestingOrder>,
}

impl Book {
    /// Applies every change of a push, in order, and gives back the ones that failed.
    pub fn apply_push(&mut self, push: &DepthPush) -> Vec<BookError> {
        push.data.iter().filter_map(|change| self.apply(change).err()).collect()
    }

    /// Applies one change.
    pub fn apply(&mut self, change: &DepthChange) -> Result<(), BookError> {
        match change {
            DepthChange::DepthAdd(add) => self.add(&add.order),
            DepthChange::DepthUpdate(update) => self.update(&update.order),
            DepthChange::DepthRemove(remove) => match self.orders.remove(&remove.order.id) {
                Some(_) => Ok(()),
                None => Err(BookError::UnknownOrder { id: remove.order.id.clone() }),
            },
            DepthChange::DepthClear(_) => {
                self.orders.clear();
                Ok(())
            }
            other => Err(BookError::UnknownChange { tag: other.tag().to_owned() }),
        }
    }

    fn add(&mut self, order: &DepthOrder) -> Result<(), BookError> {
        let missing = |field| BookError::MissingField { id: order.id.clone(), field };
        let side = order.side.as_ref().ok_or_else(|| missing("Side"))?;
        let price = order.price.clone().ok_or_else(|| missing("Price"))?;
        let resting = RestingOrder {
            id: order.id.clone(),
            side: book_side(&order.id, side)?,
            price,
            position: order.position.unwrap_or(i64::MAX),
            quantity: disclosed(order.quantity.as_ref()),
        };
        // An addition of an ID already there replaces it, as a fresh snapshot would.
        self.orders.insert(order.id.clone(), resting);
        Ok(())
    }

    fn update(&mut self, order: &DepthOrder) -> Result<(), BookError> {
        let side = match &order.side {
            Some(side) => Some(book_side(&order.id, side)?),
            None => None,
        };
        let resting = self.orders.get_mut(&order.id).ok_or_else(|| BookError::UnknownOrder { id: order.id.clone() })?;
        if let Some(side) = side {
            resting.side = side;
        }
        if let Some(price) = &order.price {
            resting.price = price.clone();
        }
        if let Some(position) = order.position {
            resting.position = position;
        }
        if let Some(quantity) = &order.quantity {
            resting.quantity = disclosed(Some(quantity));
        }
        Ok(())
    }

    /// How many orders the book holds.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// True when the book holds no order.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// The order with this ID.
    pub fn order(&self, id: &str) -> Option<&RestingOrder> {
        self.orders.get(id)
    }

    /// The orders of one side in the queue's order: best price first, then by position.
    pub fn queue(&self, side: BookSide) -> Vec<&RestingOrder> {
        let mut queue: Vec<&RestingOrder> = self.orders.values().filter(|o| o.side == side).collect();
        queue.sort_by(|a, b| {
            let by_price = match side {
                BookSide::Bid => b.price.cmp(&a.price),
                BookSide::Ask => a.price.cmp(&b.price),
            };
            by_price.then(a.position.cmp(&b.position)).then_with(|| a.id.cmp(&b.id))
        });
        queue
    }

    /// The price levels of one side, best first.
    pub fn levels(&self, side: BookSide) -> Vec<Level> {
        let mut levels: Vec<Level> = Vec::new();
        for order in self.queue(side) {
            match levels.last_mut() {
                Some(level) if level.price == order.price => add_to(level, order),
                _ => {
                    let mut level = Level { price: order.price.clone(), orders: 0, quantity: Some(0), undisclosed: 0 };
                    add_to(&mut level, order);
                    levels.push(level);
                }
            }
        }
        levels
    }

    /// The best level of one side.
    pub fn best(&self, side: BookSide) -> Option<Level> {
        self.levels(side).into_iter().next()
    }

    /// The book as text, bids on the left and asks on the right, best prices on the first row.
    pub fn render(&self) -> Vec<String> {
        let bids = self.levels(BookSide::Bid);
        let asks = self.levels(BookSide::Ask);
        let mut lines = vec![format!("{:>4} {:>8} {:>8} | {:<8} {:<8} {}", "#", "qty", "bid", "ask", "qty", "#")];
        for row in 0..bids.len().max(asks.len()) {
            let (bid_count, bid_quantity, bid_price) = columns(bids.get(row));
            let (ask_count, ask_quantity, ask_price) = columns(asks.get(row));
            let line = format!(
                "{bid_count:>4} {bid_quantity:>8} {bid_price:>8} | {ask_price:<8} {ask_quantity:<8} {ask_count}"
            );
            lines.push(line.trim_end().to_owned());
        }
        if bids.is_empty() && asks.is_empty() {
            lines.push("(empty book)".to_owned());
        }
        lines
    }
}

/// The order counted into its level; a quantity that is not a whole number makes the level's
/// total unknown rather than rounded.
fn add_to(level: &mut Level, order: &RestingOrder) {
    level.orders += 1;
    match &order.quantity {
        None => level.undisclosed += 1,
        Some(quantity) => {
            level.quantity = level.quantity.zip(quantity.to_i64()).and_then(|(sum, more)| sum.checked_add(more));
        }
    }
}

/// A level's count, quantity and price as printed; blanks for a missing level.
fn columns(level: Option<&Level>) -> (String, String, String) {
    let Some(level) = level else { return Default::default() };
    let mut quantity = level.quantity.map_or_else(|| "?".to_owned(), |q| q.to_string());
    if level.undisclosed > 0 {
        quantity.push('+');
    }
    (level.orders.to_string(), quantity, level.price.to_string())
}

/// The book's side for a protocol side, refusing a value the protocol does not list.
fn book_side(id: &str, side: &Side) -> Result<BookSide, BookError> {
    match side {
        Side::Bid => Ok(BookSide::Bid),
        Side::Ask => Ok(BookSide::Ask),
        other => Err(BookError::UnknownSide { id: id.to_owned(), side: other.as_str().to_owned() }),
    }
}

/// The quantity an order discloses: `null` (or left out on an addition) means it shows none.
fn disclosed(quantity: Option<&Nullable<Decimal>>) -> Option<Decimal> {
    quantity.and_then(Nullable::value).cloned()
}
