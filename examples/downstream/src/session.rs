//! A trading session: sign in, follow a book, place orders, and pair each reply with its request.

use std::collections::HashMap;

use zenith_protocol::ERROR_CODES;
use zenith_protocol::auth::{AuthOwnerRequest, AuthOwnerRequestData, AuthResult, IdentityResult};
use zenith_protocol::market::{DepthPush, DepthTopic};
use zenith_protocol::prelude::*;
use zenith_protocol::shared::{ErrorMessage, Side, SubConfirm};
use zenith_protocol::trading::{
    EquityOrderDetails, MarketRoute, OrderActionResponse, OrderChange, OrderDetails, OrderResult, OrderRoute,
    OrderType, OrderValidity, OrdersPush, OrdersTopic, PlaceOrderRequest, PlaceOrderRequestData,
};

use crate::book::{Book, BookSide, Level};
use crate::recorded;

/// The trading account the recorded session uses.
pub const ACCOUNT: &str = "OM12345";

/// A reply paired with the request it answers, by TransactionID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pairing {
    /// The number both carry.
    pub transaction_id: TransactionId,
    /// What was sent.
    pub request: MessageKind,
    /// What came back.
    pub reply: MessageKind,
}

/// Why the session could not send a request. Problems with what the server sends never end
/// the session: they become transcript lines.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A builder was left without a required field.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A request built in code breaks its schema; it is not sent.
    #[error("the {kind} to send does not fit its schema: {report}")]
    Invalid { kind: &'static str, report: Report },
    /// A request could not be written as JSON.
    #[error("the {kind} could not be written as JSON: {source}")]
    Write { kind: &'static str, source: serde_json::Error },
    /// The book has no bid to price an order from.
    #[error("the book has no bid to price the order from")]
    NoBestBid,
}

/// Where a subscription stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subscription {
    Waiting,
    Active,
    Refused,
}

/// The client side of a session: what it sent, what it waits for, and what it saw.
#[derive(Debug)]
pub struct Trader {
    next_transaction: TransactionId,
    pending: HashMap<TransactionId, MessageKind>,
    subscriptions: HashMap<String, Subscription>,
    depth: DepthTopic,
    book: Book,
    pairings: Vec<Pairing>,
    outbox: Vec<Message>,
    transcript: Vec<String>,
}

impl Trader {
    /// A trader following the book of `depth`, with nothing sent yet.
    pub fn new(depth: DepthTopic) -> Trader {
        Trader {
            next_transaction: 1,
            pending: HashMap::new(),
            subscriptions: HashMap::new(),
            depth,
            book: Book::default(),
            pairings: Vec::new(),
            outbox: Vec::new(),
            transcript: Vec::new(),
        }
    }

    /// The book as the `Depth` pushes have built it so far.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// The symbol whose book this trader follows.
    pub fn symbol(&self) -> &DepthTopic {
        &self.depth
    }

    /// Every reply paired with its request so far, in arrival order.
    pub fn pairings(&self) -> &[Pairing] {
        &self.pairings
    }

    /// The requests still waiting for a reply, by TransactionID.
    pub fn pending(&self) -> &HashMap<TransactionId, MessageKind> {
        &self.pending
    }

    /// The messages sent, in order. Their `Debug` output hides credentials; serializing them
    /// gives the text that went on the wire, credentials included.
    pub fn outbox(&self) -> &[Message] {
        &self.outbox
    }

    /// What a user watching the session sees.
    pub fn transcript(&self) -> &[String] {
        &self.transcript
    }

    /// The transcript, taking it out of the trader.
    pub fn into_transcript(self) -> Vec<String> {
        self.transcript
    }

    fn say(&mut self, line: String) {
        self.transcript.push(line);
    }

    /// Checks a request against its schema and sends it (here: writes its text and keeps the
    /// message, as there is no socket). A `Sub` is tracked by its topic (the
    /// server's confirmation carries no TransactionID); anything else gets the next
    /// TransactionID and waits for the reply that carries it.
    pub fn send<M>(&mut self, mut request: M) -> Result<Option<TransactionId>, SessionError>
    where
        M: MessageEnvelope + Validate + serde::Serialize + Into<Message>,
    {
        let kind = request.kind();
        let name = kind.info().name;
        let transaction = (request.action() != Action::Sub).then_some(self.next_transaction);
        if let Some(id) = transaction {
            request.set_transaction_id(id);
        }
        request.check().map_err(|report| SessionError::Invalid { kind: name, report })?;
        let text = serde_json::to_string(&request).map_err(|source| SessionError::Write { kind: name, source })?;
        let topic = request.topic().map_or("", |topic| topic.as_str()).to_owned();
        match transaction {
            Some(id) => {
                self.next_transaction += 1;
                self.pending.insert(id, kind);
                let controller = request.controller();
                self.say(format!("-> #{id} {name} {}/{topic} ({} bytes)", controller.as_str(), text.len()));
            }
            None => {
                let controller = request.controller();
                self.say(format!("-> subscribe {}/{topic} ({} bytes)", controller.as_str(), text.len()));
                self.subscriptions.insert(topic, Subscription::Waiting);
            }
        }
        self.outbox.push(request.into());
        Ok(transaction)
    }

    /// Signs in with the user's own credentials.
    pub fn sign_in(&mut self, user: &str, password: Secret) -> Result<Option<TransactionId>, SessionError> {
        let credentials = AuthOwnerRequestData::builder()
            .provider("Paritech")
            .client_id("TriOptimum")
            .user_name(user)
            .password(password)
            .scope(vec!["Paritech.Zenith".to_owned()])
            .build()?;
        self.send(AuthOwnerRequest::new(credentials))
    }

    /// Subscribes to `topic` on its own controller, asking the server to confirm.
    pub fn subscribe<T: TypedTopic>(&mut self, topic: T) -> Result<Option<TransactionId>, SessionError> {
        self.send(SubRequest::for_topic(topic).confirm(true))
    }

    /// Reads one message from the server and acts on it. Nothing the server sends makes this
    /// fail: unreadable messages, schema problems and stray replies become transcript lines.
    pub fn receive(&mut self, text: &str) {
        let (message, report) = match Message::parse_checked(text, Direction::Receive) {
            Ok(parsed) => parsed,
            Err(error) => return self.say(format!("!! unreadable message: {error}")),
        };
        let name = message.kind().info().name;
        for problem in report.errors() {
            self.say(format!("!! {name} breaks its schema: {problem}"));
        }
        for problem in report.warnings() {
            self.say(format!(".. {name}: {problem}"));
        }
        let request = match message.transaction_id() {
            None => None,
            Some(id) => match self.pending.remove(&id) {
                Some(request) => {
                    self.pairings.push(Pairing { transaction_id: id, request, reply: message.kind() });
                    Some((id, request))
                }
                None => return self.say(format!("<- #{id} {name}: no request of ours is waiting for it")),
            },
        };
        if let Some((id, request)) = request {
            let info = request.info();
            let topic = message.topic().map(|topic| topic.name());
            let answers = topic.is_some_and(|topic| info.reply_topics.contains(&topic));
            if !answers && message.kind() != MessageKind::ErrorMessage {
                self.say(format!("!! #{id}: {name} does not answer {}", info.name));
            }
        }
        match &message {
            Message::IdentifyPush(push) => self.on_identity(&push.data),
            Message::SubConfirm(confirm) => self.on_confirm(confirm),
            Message::DepthPush(push) => self.on_depth(push),
            Message::OrdersPush(push) => self.on_orders(push),
            Message::PlaceOrderReply(reply) => self.on_order_reply(&reply.data, request),
            Message::ErrorMessage(error) => self.on_error(error, request),
            other => self.say(format!("<- {} ignored", other.kind().info().name)),
        }
    }

    fn on_identity(&mut self, identity: &IdentityResult) {
        let line = match &identity.result {
            AuthResult::Success => {
                let who = identity.display_name.as_deref().or(identity.user_id.as_deref()).unwrap_or("(no name)");
                let scope = identity.scope.as_deref().unwrap_or_default().join(", ");
                let token = if identity.access_token.is_some() { "; access token kept" } else { "" };
                format!("<- signed in as {who} [{scope}]{token}")
            }
            AuthResult::Reject => "<- sign-in refused".to_owned(),
            other => format!("<- sign-in answered `{other}`"),
        };
        self.say(line);
    }

    fn on_confirm(&mut self, confirm: &SubConfirm) {
        let topic = confirm.topic.as_str().to_owned();
        let line = match self.subscriptions.get_mut(&topic) {
            None => format!("<- confirmation of {topic}, which we never asked for"),
            Some(state) if confirm.confirm == Some(true) => {
                *state = Subscription::Active;
                format!("<- subscribed to {topic}")
            }
            Some(state) => {
                *state = Subscription::Refused;
                let why = confirm.data.as_ref().map(|data| data.to_string()).unwrap_or_default();
                format!("<- subscription to {topic} refused {why}")
            }
        };
        self.say(line);
    }

    fn on_depth(&mut self, push: &DepthPush) {
        match push.typed_topic() {
            Ok(topic) if topic == self.depth => {}
            Ok(topic) => return self.say(format!("<- depth of {}.{} ignored", topic.code, topic.market)),
            Err(error) => return self.say(format!("!! depth push with a bad topic: {error}")),
        }
        let problems = self.book.apply_push(push);
        for problem in problems {
            self.say(format!("!! book: {problem}"));
        }
        let line = format!(
            "<- depth {}: {}, bid {} | ask {}",
            self.depth,
            changes(push.data.len()),
            quote(self.book.best(BookSide::Bid)),
            quote(self.book.best(BookSide::Ask))
        );
        self.say(line);
    }

    fn on_orders(&mut self, push: &OrdersPush) {
        for change in &push.data {
            let line = match change {
                OrderChange::OrderAdd(add) => {
                    let status = add.order.status.as_ref().map(ToString::to_string).unwrap_or_default();
                    format!("<- order {} on {} is {status}", add.order.id, add.order.account)
                }
                OrderChange::OrderUpdate(update) => {
                    let status = update.order.status.as_ref().map(ToString::to_string).unwrap_or_default();
                    format!("<- order {} is now {status}", update.order.id)
                }
                OrderChange::OrderRemove(remove) => format!("<- order {} is gone", remove.order.id),
                OrderChange::OrderClear(_) => "<- order list cleared".to_owned(),
                other => format!("!! order change `{}` not understood", other.tag()),
            };
            self.say(line);
        }
    }

    fn on_order_reply(&mut self, response: &OrderActionResponse, request: Option<(TransactionId, MessageKind)>) {
        let id = request.map_or_else(String::new, |(id, _)| format!("#{id} "));
        let request_id = response.request_id.as_deref().unwrap_or("?");
        let line = match &response.result {
            OrderResult::Success => {
                let value = response.estimated_value.as_ref().map_or_else(|| "?".to_owned(), ToString::to_string);
                let fees: Vec<String> =
                    response.estimated_fees.iter().flatten().map(|(name, amount)| format!("{name} {amount}")).collect();
                format!("<- {id}order {request_id} accepted: value {value}, fees {}", fees.join(", "))
            }
            other => {
                let errors = response.errors.as_deref().unwrap_or_default().join(", ");
                format!("<- {id}order {request_id} {other}: {errors}")
            }
        };
        self.say(line);
    }

    fn on_error(&mut self, error: &ErrorMessage, request: Option<(TransactionId, MessageKind)>) {
        let what = match request {
            Some((id, kind)) => format!("#{id} {}", kind.info().name),
            None => error.topic.as_ref().map_or_else(|| "a request".to_owned(), |t| t.as_str().to_owned()),
        };
        let text = error.data.as_ref().map(|data| data.as_str().map_or_else(|| data.to_string(), str::to_owned));
        let text = text.unwrap_or_default();
        let code = text.split(' ').next().unwrap_or_default();
        let meaning = ERROR_CODES.iter().find(|info| info.code == code).map(|info| info.meaning).unwrap_or("");
        self.say(format!("<- {what} failed: {text} ({meaning})"));
    }
}

/// `1 change`, `2 changes`.
fn changes(count: usize) -> String {
    if count == 1 { "1 change".to_owned() } else { format!("{count} changes") }
}

/// A best level as `quantity @ price`, or `-` for an empty side.
fn quote(level: Option<Level>) -> String {
    match level {
        None => "-".to_owned(),
        Some(level) => {
            let quantity = level.quantity.map_or_else(|| "?".to_owned(), |q| q.to_string());
            format!("{quantity} @ {}", level.price)
        }
    }
}

/// A limit order for the symbol of `topic`, routed to ASX Centre Point, kept until cancelled.
pub fn limit_order(
    topic: &DepthTopic,
    account: &str,
    request_id: &str,
    side: Side,
    quantity: Decimal,
    price: Decimal,
) -> Result<PlaceOrderRequest, BuildError> {
    let details = EquityOrderDetails::builder()
        .exchange(topic.market.as_str())
        .code(topic.code.as_str())
        .side(side)
        .type_(OrderType::Limit)
        .limit_price(price)
        .quantity(quantity)
        .validity(OrderValidity::UntilCancel)
        .build()?;
    let data = PlaceOrderRequestData::builder()
        .account(account)
        .request_id(request_id)
        .details(OrderDetails::EquityOrderDetails(details))
        .route(OrderRoute::MarketRoute(MarketRoute::new("ASX::CP")))
        .build()?;
    Ok(PlaceOrderRequest::new(data))
}

/// Replays the recorded session: signs in, subscribes to the `BHP.ASX` book and to the
/// account's orders, bids at the best bid once the book is known, tries an order on an account
/// that does not exist, and follows the book to the end of the recording.
pub fn replay() -> Result<Trader, SessionError> {
    let mut trader = Trader::new(DepthTopic::new("BHP", "ASX"));
    trader.sign_in("Shodan", Secret::from("Insect"))?;
    trader.subscribe(trader.symbol().clone())?;
    trader.subscribe(OrdersTopic::new().with_account(ACCOUNT))?;
    for line in recorded::BEFORE_ORDERS {
        trader.receive(line);
    }
    let best_bid = trader.book().best(BookSide::Bid).ok_or(SessionError::NoBestBid)?;
    let quantity = Decimal::from(500u32);
    let bid = limit_order(trader.symbol(), ACCOUNT, "BHPBID0001", Side::Bid, quantity, best_bid.price.clone())?;
    trader.send(bid)?;
    let stray =
        limit_order(trader.symbol(), "OM99999", "BHPBID0002", Side::Bid, Decimal::from(100u32), best_bid.price)?;
    trader.send(stray)?;
    for line in recorded::AFTER_ORDERS {
        trader.receive(line);
    }
    let mut waiting: Vec<TransactionId> = trader.pending().keys().copied().collect();
    waiting.sort_unstable();
    let waiting: Vec<String> = waiting.iter().map(|id| format!("#{id}")).collect();
    if !waiting.is_empty() {
        trader.say(format!("!! still waiting for {}", waiting.join(", ")));
    }
    let book = trader.book().render();
    trader.say(format!("book of {}:", trader.symbol()));
    trader.transcript.extend(book.into_iter().map(|line| format!("   {line}")));
    Ok(trader)
}

/// The recorded session's transcript, as the `downstream` binary prints it.
pub fn run() -> Result<Vec<String>, SessionError> {
    replay().map(Trader::into_transcript)
}
