//! Server messages recorded from a demo session on `BHP.ASX`, replayed instead of a live socket.

// The shapes follow `examples/captures/*.jsonl` and the schemas' examples. A few lines are
// deliberately odd (an order the book never saw, an unknown change, a cut-off line, a reply
// nobody asked for) to show that the client reports them and carries on.

/// The server confirms the `Depth!BHP.ASX` subscription.
pub const DEPTH_CONFIRM: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Action":"Sub","Confirm":true}"#;

/// The first push after subscribing: a clear, then every resting order.
pub const DEPTH_SNAPSHOT: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"C"},{"O":"A","Order":{"ID":"1","Side":"Bid","Price":42.0,"Position":1,"Quantity":1000}},{"O":"A","Order":{"ID":"2","Side":"Bid","Price":41.95,"Position":2,"Quantity":2500}},{"O":"A","Order":{"ID":"3","Side":"Ask","Price":42.05,"Position":1,"Quantity":800}},{"O":"A","Order":{"ID":"4","Side":"Ask","Price":42.1,"Position":2,"Quantity":1200}}]}"#;

/// A partial fill of ask 3 and a bid joining at `42.00`, which is the `42.0` level. The server
/// adds a `Sequence` property no schema documents.
pub const DEPTH_JOIN: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Sequence":2,"Data":[{"O":"U","Order":{"ID":"3","Quantity":300}},{"O":"A","Order":{"ID":"5","Side":"Bid","Price":42.00,"Position":2,"Quantity":400}}]}"#;

/// Our own bid reaching the book.
pub const DEPTH_OURS: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"A","Order":{"ID":"8","Side":"Bid","Price":42.0,"Position":3,"Quantity":500}}]}"#;

/// Bid 2 leaves; a new ask one tick further out.
pub const DEPTH_MOVE: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"R","Order":{"ID":"2"}},{"O":"A","Order":{"ID":"6","Side":"Ask","Price":42.15,"Position":3,"Quantity":2000}}]}"#;

/// An update of an order the book never held (it is in the recorded capture too).
pub const DEPTH_STRAY: &str =
    r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"U","Order":{"ID":"7","Quantity":100}}]}"#;

/// Bid 5 leaves and bid 1 shrinks.
pub const DEPTH_TRADE: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"R","Order":{"ID":"5"}},{"O":"U","Order":{"ID":"1","Quantity":600}}]}"#;

/// An iceberg ask at `42.100` that shows no quantity.
pub const DEPTH_HIDDEN: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"A","Order":{"ID":"9","Side":"Ask","Price":42.100,"Position":4,"Quantity":null}}]}"#;

/// A change tag this protocol version does not know.
pub const DEPTH_UNKNOWN: &str =
    r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"X","Order":{"ID":"1"}}]}"#;

/// A line cut off in the middle.
pub const CUT_OFF: &str = r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"R","#;

/// What the market data part of the session receives, in order.
pub const MARKET: &[&str] = &[
    DEPTH_CONFIRM,
    DEPTH_SNAPSHOT,
    DEPTH_JOIN,
    DEPTH_OURS,
    DEPTH_MOVE,
    DEPTH_STRAY,
    DEPTH_TRADE,
    DEPTH_HIDDEN,
    DEPTH_UNKNOWN,
    CUT_OFF,
];

/// The reply to the sign-in (TransactionID 1): accepted, with an access token.
#[cfg(feature = "trading")]
pub const IDENTIFY: &str = r#"{"Controller":"Auth","Topic":"Identify","TransactionID":1,"Data":{"Result":"Success","AccessToken":"c2Vzc2lvbi10b2tlbi1mb3Itc2hvZGFu","DisplayName":"SHODAN","UserID":"shodan","ExpiryDate":"2026-12-08T08:00:00Z","Scope":["Zenith/Market","Zenith/Trading"]}}"#;

/// The server confirms the `Orders!OM12345` subscription.
#[cfg(feature = "trading")]
pub const ORDERS_CONFIRM: &str = r#"{"Controller":"Trading","Topic":"Orders!OM12345","Action":"Sub","Confirm":true}"#;

/// The reply to our bid (TransactionID 2): accepted, with estimates.
#[cfg(feature = "trading")]
pub const PLACE_ACCEPTED: &str = r#"{"Controller":"Trading","Topic":"PlaceOrder","TransactionID":2,"Data":{"Result":"Success","RequestID":"BHPBID0001","EstimatedFees":{"Brokerage":19.95},"EstimatedValue":21000.00}}"#;

/// The reply to the order on an account that does not exist (TransactionID 3).
#[cfg(feature = "trading")]
pub const PLACE_FAILED: &str = r#"{"Controller":"Trading","Topic":"PlaceOrder","Action":"Error","TransactionID":3,"Data":"Account.NotFound OM99999"}"#;

/// Our bid, now on the market.
#[cfg(feature = "trading")]
pub const ORDERS_ADDED: &str = r#"{"Controller":"Trading","Topic":"Orders!OM12345","Data":[{"O":"A","Order":{"ID":"00000000-0000-0000-CDEF-123456789ABC","Account":"OM12345","Status":"OnMarket","Exchange":"ASX","TradingMarket":"ASX::CP","Currency":"AUD","EstimatedValue":21000.0,"CurrentValue":0,"CreatedDate":"2026-12-07T10:02:31+10:00","UpdatedDate":"2026-12-07T10:02:31+10:00","Style":"Market","Details":{"Exchange":"ASX","Code":"BHP","Side":"Bid","Style":"Market","Type":"Limit","LimitPrice":42.0,"Quantity":500,"Validity":"UntilCancel"},"Route":{"Algorithm":"Market","Market":"ASX::CP"},"ExecutedQuantity":0,"DepthOrderID":"8"}}]}"#;

/// A reply carrying a TransactionID no request of ours used.
#[cfg(feature = "trading")]
pub const UNSOLICITED: &str = r#"{"Controller":"Trading","Topic":"CancelOrder","TransactionID":99,"Data":{"Result":"Success","RequestID":"OTHER0001"}}"#;

/// What the session receives after signing in and subscribing, before it places its orders.
#[cfg(feature = "trading")]
pub const BEFORE_ORDERS: &[&str] = &[IDENTIFY, DEPTH_CONFIRM, ORDERS_CONFIRM, DEPTH_SNAPSHOT, DEPTH_JOIN];

/// What the session receives after placing its orders.
#[cfg(feature = "trading")]
pub const AFTER_ORDERS: &[&str] = &[
    PLACE_ACCEPTED,
    PLACE_FAILED,
    ORDERS_ADDED,
    DEPTH_OURS,
    DEPTH_MOVE,
    DEPTH_STRAY,
    DEPTH_TRADE,
    DEPTH_HIDDEN,
    UNSOLICITED,
    DEPTH_UNKNOWN,
    CUT_OFF,
];
