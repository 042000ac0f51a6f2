//! One client's session with the mock: sign-in, requests answered, subscriptions kept.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::{Map, Value, json};
use zenith_protocol::{Direction, EnvelopeKeys, MessageKind, Role, Secret};

use crate::faults::{Answer, Dice, Faults};
use crate::feed::Feed;
use crate::reply;
use crate::users::{User, Users};

/// The most subscriptions one connection may hold; a Sub past it gets a `Limited` error.
pub const MAX_SUBSCRIPTIONS: usize = 256;

/// The most access tokens the mock remembers having issued; past it, the oldest is forgotten.
pub const MAX_TOKENS: usize = 10_000;

/// What every connection shares: the users, and the access tokens issued to them.
pub struct Shared {
    pub users: Users,
    /// Issued access tokens, oldest first, each with its user's name.
    tokens: Mutex<VecDeque<(Secret, String)>>,
    /// Makes each connection's data differ, yet the same for the same `seed`.
    pub seed: u64,
    /// The misbehaviour asked for.
    pub faults: Faults,
    /// Whom a sign-in a replayed capture's server accepted signs in: every scope.
    replayed: User,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let issued = self.tokens.lock().map_or(0, |tokens| tokens.len());
        f.debug_struct("Shared").field("users", &self.users.users.len()).field("issued", &issued).finish()
    }
}

impl Shared {
    pub fn new(users: Users, seed: u64, faults: Faults) -> Shared {
        let replayed = User {
            name: "replayed".to_owned(),
            password: None,
            client_ids: Vec::new(),
            scopes: Vec::new(),
            access_tokens: Vec::new(),
        };
        Shared { users, tokens: Mutex::new(VecDeque::new()), seed, faults, replayed }
    }

    /// A new access token for `user`, accepted by AuthToken from then on: 128 bits nobody can
    /// guess (not the seed's: tokens are credentials, not data).
    fn issue(&self, user: &User) -> String {
        let mut rng = fastrand::Rng::new();
        let token = format!("mock-{:016x}{:016x}", rng.u64(..), rng.u64(..));
        let mut tokens = self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if tokens.len() >= MAX_TOKENS {
            tokens.pop_front();
        }
        tokens.push_back((Secret::from(token.as_str()), user.name.clone()));
        token
    }

    /// The user a token names: one issued, or one from the users file.
    fn token_user(&self, token: &str) -> Option<&User> {
        let tokens = self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match tokens.iter().rev().find(|(issued, _)| issued.expose() == token) {
            Some((_, name)) => self.users.named(name),
            None => self.users.by_token(token),
        }
    }
}

/// A subscription the session holds.
struct Subscription {
    feed: Option<Feed>,
}

/// One client's session: it reads each message the client sends and says what the server sends
/// back; [`Session::tick`] gives the subscriptions' next data.
pub struct Session<'s> {
    shared: &'s Shared,
    connection: u64,
    /// The user signed in, if any.
    user: Option<&'s User>,
    /// In a set order, so that a seed repeats the pushes and the faults' dice.
    subscriptions: BTreeMap<(String, String), Subscription>,
    /// What the client did, for the summary.
    pub counts: Counts,
    /// The faults, with this connection's dice.
    pub dice: Dice,
    /// How long to stall before sending the answer just made.
    stall: Option<std::time::Duration>,
    /// The orders the client placed.
    orders: Orders,
}

/// What a connection's client did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Messages received from the client.
    pub received: u64,
    /// Requests answered, by Controller and Topic.
    pub requests: HashMap<String, u64>,
    /// Messages refused: not JSON, no schema, invalid, not allowed.
    pub refused: u64,
    /// Subscriptions made, and pushes sent for them.
    pub subscribed: u64,
    pub pushes: u64,
    /// Faults committed on purpose (`--faults`): requests answered `Retry` or `Limited` or not
    /// at all, subscriptions ended by the server.
    pub faults: u64,
}

impl<'s> Session<'s> {
    pub fn new(shared: &'s Shared, connection: u64) -> Session<'s> {
        let dice = Dice::new(shared.faults.clone(), shared.seed ^ connection.rotate_left(17));
        Session {
            shared,
            connection,
            user: None,
            subscriptions: BTreeMap::new(),
            counts: Counts::default(),
            dice,
            stall: None,
            orders: Orders::default(),
        }
    }

    /// Signs the session in as a replayed capture's server did (for the messages the capture
    /// does not hold, answered as the schemas say).
    pub fn signed_in_by_replay(&mut self) {
        self.user = Some(&self.shared.replayed);
    }

    /// How long to wait before sending what [`Session::receive`] just gave (a stall asked for).
    pub fn take_stall(&mut self) -> Option<std::time::Duration> {
        self.stall.take()
    }

    /// The user signed in on this connection.
    pub fn user(&self) -> Option<&str> {
        self.user.map(|u| u.name.as_str())
    }

    /// How many subscriptions the session holds.
    pub fn subscriptions(&self) -> usize {
        self.subscriptions.len()
    }

    /// What the server sends back for one message of the client's.
    pub fn receive(&mut self, text: &str) -> Vec<Value> {
        self.counts.received += 1;
        let message: Value = match serde_json::from_str(text) {
            Ok(message) => message,
            Err(error) => return self.refuse(None, format!("Data.Deserialise not JSON: {error}")),
        };
        let Ok(keys) = EnvelopeKeys::read(&message) else {
            return self.refuse(Some(&message), "Data.Deserialise the message has no readable envelope".to_owned());
        };
        let Some(kind) = keys.kind(Direction::Send) else {
            let known = !zenith_protocol::controller_topics(keys.controller).is_empty();
            let code = if known { "Data" } else { "Controller" };
            return self.refuse(Some(&message), format!("{code} no schema covers this message"));
        };
        // A strict server refuses what its schema rejects, saying why.
        if let Some(problem) = kind.validate(&message).errors().next() {
            let at = if problem.instance_path.is_empty() { "(message)" } else { &problem.instance_path };
            return self.refuse(Some(&message), format!("Data.Deserialise {at}: {}", problem.message));
        }
        let info = kind.info();
        let role = Role::of(info.action, Direction::Send);
        let signing_in = matches!(info.topic, Some("AuthOwner" | "AuthToken" | "AuthCode"));
        if info.controller == Some("Auth") && role == Some(Role::Request) && signing_in {
            return self.sign_in(&message, kind);
        }
        let Some(user) = self.user else {
            return self.refuse(Some(&message), "Authority".to_owned());
        };
        if !user.may(info.permissions) {
            return self.refuse(Some(&message), "Authority".to_owned());
        }
        match role {
            Some(Role::Subscribe) => self.subscribe(&message, &keys),
            Some(Role::Unsubscribe) => self.unsubscribe(&message, &keys),
            // Who the connection is signed in as.
            Some(Role::Request) if info.controller == Some("Auth") && info.topic == Some("QueryIdentify") => {
                let mut reply = envelope(&message);
                reply.insert("Data".to_owned(), identity(user, None));
                vec![Value::Object(reply)]
            }
            Some(Role::Request) => {
                self.stall = self.dice.stall();
                match self.dice.answer() {
                    Answer::Reply => {
                        let topic = format!("{}/{}", keys.controller, keys.topic.unwrap_or_default());
                        *self.counts.requests.entry(topic).or_default() += 1;
                        let mut replies = reply::answer(&message, kind);
                        let pushes = self.orders.follow(self.connection, &message, &mut replies, &self.subscriptions);
                        replies.extend(pushes);
                        replies
                    }
                    Answer::Drop => {
                        self.counts.faults += 1;
                        Vec::new()
                    }
                    fault @ (Answer::Retry | Answer::Limited) => {
                        self.counts.faults += 1;
                        vec![error(Some(&message), fault.to_string())]
                    }
                }
            }
            _ => Vec::new(),
        }
    }

    /// The subscriptions' next data, one push each; or, as the faults decide, the server's own
    /// `Unsub` ending one.
    pub fn tick(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut ended = Vec::new();
        for (key, subscription) in &mut self.subscriptions {
            let Some(feed) = subscription.feed.as_mut() else { continue };
            if self.dice.unsub() {
                ended.push(key.clone());
                out.push(json!({"Controller": key.0, "Topic": key.1, "Action": "Unsub"}));
            } else {
                out.push(feed.next());
                self.counts.pushes += 1;
            }
        }
        self.counts.faults += ended.len() as u64;
        for key in ended {
            self.subscriptions.remove(&key);
        }
        out
    }

    /// AuthOwner, AuthToken or AuthCode: the identity on the request's own topic.
    fn sign_in(&mut self, message: &Value, kind: MessageKind) -> Vec<Value> {
        let data = &message["Data"];
        let text = |name: &str| data.get(name).and_then(Value::as_str);
        let users = &self.shared.users;
        let user = match kind.info().topic {
            Some("AuthOwner") => users.by_password(
                text("UserName").unwrap_or_default(),
                text("Password").unwrap_or_default(),
                text("ClientID"),
            ),
            Some("AuthToken") => self.shared.token_user(text("AccessToken").unwrap_or_default()),
            // An authorisation grant stands for the user it was issued to, as a token does.
            Some("AuthCode") => self
                .shared
                .token_user(text("AuthGrant").unwrap_or_default())
                .filter(|u| u.allows_client(text("ClientID"))),
            _ => None,
        };
        self.user = user;
        let identity = match user {
            Some(user) => {
                let token = self.shared.issue(user);
                identity(user, Some(&token))
            }
            None => json!({"Result": "Reject"}),
        };
        let mut reply = envelope(message);
        reply.insert("Data".to_owned(), identity);
        vec![Value::Object(reply)]
    }

    fn subscribe(&mut self, message: &Value, keys: &EnvelopeKeys<'_>) -> Vec<Value> {
        // The identity in force, pushed whenever it changes; here, once.
        if keys.controller == "Auth" && keys.topic == Some("Identify") {
            let mut out = confirmation(message, "Sub");
            if let Some(user) = self.user {
                out.push(json!({"Controller": "Auth", "Topic": "Identify", "Data": identity(user, None)}));
            }
            return out;
        }
        let full_topic = full_topic(keys);
        let key = (keys.controller.to_owned(), full_topic.clone());
        if !self.subscriptions.contains_key(&key) && self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return self.refuse(Some(message), "Limited".to_owned());
        }
        let push = MessageKind::lookup(keys.controller, keys.topic, "Publish", Direction::Receive);
        let seed = self.shared.seed ^ self.connection.rotate_left(32) ^ self.counts.subscribed;
        self.counts.subscribed += 1;
        let subscription = self
            .subscriptions
            .entry(key)
            .or_insert_with(|| Subscription { feed: push.and_then(|kind| Feed::new(kind, &full_topic, seed)) });
        let mut out = confirmation(message, "Sub");
        if let Some(feed) = subscription.feed.as_mut() {
            out.push(feed.snapshot());
            self.counts.pushes += 1;
        }
        out
    }

    fn unsubscribe(&mut self, message: &Value, keys: &EnvelopeKeys<'_>) -> Vec<Value> {
        self.subscriptions.remove(&(keys.controller.to_owned(), full_topic(keys)));
        confirmation(message, "Unsub")
    }

    /// An `Error` for a message the server will not act on.
    fn refuse(&mut self, message: Option<&Value>, data: String) -> Vec<Value> {
        self.counts.refused += 1;
        vec![error(message, data)]
    }
}

/// The confirmation of a Sub or Unsub (`action`) that asked for one; nothing otherwise.
fn confirmation(message: &Value, action: &str) -> Vec<Value> {
    if message.get("Confirm") != Some(&Value::Bool(true)) {
        return Vec::new();
    }
    let mut confirm = envelope(message);
    confirm.insert("Action".to_owned(), json!(action));
    confirm.insert("Confirm".to_owned(), json!(true));
    vec![Value::Object(confirm)]
}

/// A signed-in user's identity, with a new access token when one was just issued.
fn identity(user: &User, token: Option<&str>) -> Value {
    let scope: Vec<&str> =
        if user.scopes.is_empty() { ALL_SCOPES.to_vec() } else { user.scopes.iter().map(String::as_str).collect() };
    let mut identity = json!({"Result": "Success", "DisplayName": user.name, "UserID": user.name, "Scope": scope});
    if let Some(token) = token {
        identity["AccessToken"] = json!(token);
    }
    identity
}

/// An `Error` answering `message` (or none), saying `data`.
fn error(message: Option<&Value>, data: String) -> Value {
    let mut error = message.map(envelope).unwrap_or_default();
    if !error.contains_key("Controller") {
        error.insert("Controller".to_owned(), json!("Zenith"));
    }
    error.insert("Action".to_owned(), json!("Error"));
    error.insert("Data".to_owned(), Value::String(data));
    Value::Object(error)
}

/// Every scope the default user holds.
const ALL_SCOPES: &[&str] = &["Zenith/Market", "Zenith/News", "Zenith/OrderPad", "Zenith/Trading", "Zenith/Authorise"];

/// The envelope of a reply to `message`: its Controller, Topic and TransactionID.
fn envelope(message: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for name in ["Controller", "Topic", "TransactionID"] {
        if let Some(value) = message.get(name).filter(|v| v.is_string() || v.is_number()) {
            out.insert(name.to_owned(), value.clone());
        }
    }
    out
}

/// The whole topic of a message, arguments included.
fn full_topic(keys: &EnvelopeKeys<'_>) -> String {
    match keys.topic_args {
        Some(args) => format!("{}!{args}", keys.topic.unwrap_or_default()),
        None => keys.topic.unwrap_or_default().to_owned(),
    }
}

/// The most orders placed on one connection that the mock follows.
pub const MAX_ORDERS: usize = 10_000;

/// The orders a client placed on its connection, so that its `Orders` subscriptions show them
/// as they are placed, amended, cancelled and moved.
#[derive(Debug, Default)]
struct Orders {
    /// Each order's ID, to its account.
    placed: HashMap<String, String>,
    count: u64,
}

impl Orders {
    /// For a successful order action among `replies` (a PlaceOrder, AmendOrder, CancelOrder or
    /// MoveOrder request's), gives the order a lasting ID and returns the records the
    /// subscribed `Orders` topics get.
    fn follow(
        &mut self,
        connection: u64,
        request: &Value,
        replies: &mut [Value],
        subscriptions: &BTreeMap<(String, String), Subscription>,
    ) -> Vec<Value> {
        let topic = request["Topic"].as_str().unwrap_or_default();
        if request["Controller"] != "Trading"
            || !["PlaceOrder", "AmendOrder", "CancelOrder", "MoveOrder"].contains(&topic)
        {
            return Vec::new();
        }
        let Some(order) = replies
            .first_mut()
            .filter(|reply| reply["Data"]["Result"] == "Success")
            .and_then(|reply| reply["Data"].get_mut("Order"))
            .filter(|order| order.is_object())
        else {
            return Vec::new();
        };
        let id = match topic {
            "PlaceOrder" if self.placed.len() < MAX_ORDERS => {
                self.count += 1;
                format!("mock-{connection}-{}", self.count)
            }
            "PlaceOrder" => return Vec::new(),
            _ => match request["Data"]["OrderID"].as_str().filter(|id| self.placed.contains_key(*id)) {
                Some(id) => id.to_owned(),
                // Not an order of this session's: the reply stands alone.
                None => return Vec::new(),
            },
        };
        order["ID"] = json!(id);
        // A moved order is in the account it was moved to.
        if let Some(destination) = request["Data"]["Destination"].as_str().filter(|_| topic == "MoveOrder") {
            order["Account"] = json!(destination);
        }
        let account = order["Account"].as_str().unwrap_or_default().to_owned();
        let before = self.placed.insert(id.clone(), account.clone());
        let mut records: Vec<(String, Value)> = Vec::new();
        match (topic, before) {
            ("PlaceOrder", _) => records.push((account, json!({"O": "A", "Order": order}))),
            ("MoveOrder", Some(from)) if from != account => {
                records.push((from.clone(), json!({"O": "R", "Order": {"ID": id, "Account": from}})));
                records.push((account, json!({"O": "A", "Order": order})));
            }
            _ => records.push((account, json!({"O": "U", "Order": order}))),
        }
        records
            .into_iter()
            .flat_map(|(account, record)| {
                // The account's own topic, and the topic of every account.
                [format!("Orders!{account}"), "Orders".to_owned()].into_iter().filter_map(move |topic| {
                    subscriptions
                        .contains_key(&("Trading".to_owned(), topic.clone()))
                        .then(|| json!({"Controller": "Trading", "Topic": topic, "Data": [record.clone()]}))
                })
            })
            .collect()
    }
}
