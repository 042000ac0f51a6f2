//! Every finding code the capture readers, the checker and the proxy give, in one enum.

use std::fmt;
use std::str::FromStr;

use zenith_protocol::Severity;

/// Declares [`Code`]: each variant with its one-line meaning, its stable text, and its
/// severity (`varies` when the finding's case decides it).
macro_rules! codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $text:literal, $severity:ident;)+) => {
        /// A stable identifier for each kind of finding that is not a schema problem (those
        /// have [`zenith_protocol::Code`]), as `zenith check` and `zenith proxy` report it.
        ///
        /// This is the one list of them: `docs/check.md` documents each in its tables, and a
        /// test holds the tables and [`Code::ALL`] to each other, severities included. The text
        /// of a code ([`Code::as_str`]) is part of the output's contract: a code is never
        /// renamed or given another meaning; new ones may be added.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Code {
            /// Every code, in the order `docs/check.md` documents them.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// The kebab-case text used in every output.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)+
                }
            }

            /// The severity the code always has, or `None` when the case decides it (such as
            /// `push-without-subscription`: an error after an `Unsub`, a warning when no `Sub`
            /// was seen).
            pub const fn severity(self) -> Option<Severity> {
                match self {
                    $(Code::$variant => codes!(@severity $severity),)+
                }
            }
        }
    };
    (@severity error) => { Some(Severity::Error) };
    (@severity warning) => { Some(Severity::Warning) };
    (@severity info) => { Some(Severity::Info) };
    (@severity varies) => { None };
}

codes! {
    // Subscription state.
    /// Data on a topic with no live subscription on its connection.
    PushWithoutSubscription = "push-without-subscription", varies;
    /// An `Unsub` with no subscription left.
    UnsubscribeWithoutSubscribe = "unsubscribe-without-subscribe", varies;
    /// A `Sub` that got neither a confirmation nor data by the end of the capture.
    SubscriptionSilent = "subscription-silent", warning;
    /// An update or remove of a key not added since the `Sub` or the last clear.
    ChangeForUnknownKey = "change-for-unknown-key", varies;
    /// A positional record at a position the list does not have.
    PositionOutOfRange = "position-out-of-range", error;
    /// An add of a key already there.
    DuplicateAdd = "duplicate-add", error;
    /// An add whose key does not come after the last one added, where keys are ordered.
    OrderRegressed = "order-regressed", error;
    /// A property fixed for the life of a subscription that changed.
    FixedFieldChanged = "fixed-field-changed", error;
    /// The first data after a `Sub` is not the full state.
    SnapshotMissing = "snapshot-missing", error;
    /// A subscription or connection reached the limit of state followed.
    StateLimit = "state-limit", warning;

    // Messages.
    /// A message that is not JSON.
    NotJson = "not-json", error;
    /// A frame that cannot be read: not UTF-8, too long, or without a usable `type`/`data`.
    UnreadableFrame = "unreadable-frame", error;
    /// A key given more than once in one object.
    DuplicateKey = "duplicate-key", error;
    /// Not a JSON object, or `Controller`/`Topic`/`Action` not strings.
    BadEnvelope = "bad-envelope", error;
    /// A message too large to read into a tree that its schema does not accept cleanly.
    TooLargeForDetail = "too-large-for-detail", varies;
    /// A controller the protocol does not have.
    UnknownController = "unknown-controller", error;
    /// A topic the controller does not have.
    UnknownTopic = "unknown-topic", error;
    /// A known topic with an action or direction no schema describes.
    UnexpectedMessage = "unexpected-message", error;

    // Conversations.
    /// A reply on a topic that is neither a documented reply topic nor the request's.
    UnexpectedReplyTopic = "unexpected-reply-topic", warning;
    /// A reply with the shape of another request's reply, that its own topic's schema rejects.
    ReplyShapeMismatch = "reply-shape-mismatch", warning;
    /// A reply whose TransactionID matches no earlier request on its connection.
    OrphanReply = "orphan-reply", warning;
    /// A request with no reply within the reply timeout.
    ReplyTimeout = "reply-timeout", warning;
    /// A request with no reply by the end of the capture, or given up on.
    UnansweredRequest = "unanswered-request", warning;
    /// A `Sub` still waiting for its confirmation when too many were waiting.
    SubscriptionLimit = "subscription-limit", warning;
    /// The first message on a connection beyond those followed.
    ConnectionLimit = "connection-limit", warning;
    /// The first unknown Controller/Topic/Action once the summary has its most rows.
    SummaryLimit = "summary-limit", info;
    /// How many findings about a message were left out, at the severity of the worst of them.
    FindingLimit = "finding-limit", varies;
    /// An `Error` reply to a request, with the code's documented meaning.
    ErrorReply = "error-reply", info;
    /// A `Sub` confirmation without `Confirm: true`.
    SubscriptionFailed = "subscription-failed", info;

    // Binary messages.
    /// A binary message in no known encoding, or not valid in the connection's.
    UndecodableBinary = "undecodable-binary", error;
    /// A value of a binary message that JSON cannot carry.
    NoJsonEquivalent = "no-json-equivalent", warning;

    // Websocket connections.
    /// A connection's websocket upgrade.
    WebsocketUpgrade = "websocket-upgrade", info;
    /// A close frame: a warning for codes other than 1000 and 1001.
    WebsocketClose = "websocket-close", varies;
    /// The server's `Sec-WebSocket-Accept` is not the one the client's key calls for.
    WebsocketAcceptMismatch = "websocket-accept-mismatch", warning;
    /// The server answered the upgrade with a status other than 101.
    WebsocketUpgradeRefused = "websocket-upgrade-refused", warning;
    /// A malformed HTTP request or reply head, or one too long.
    BadWebsocketUpgrade = "bad-websocket-upgrade", error;
    /// A connection that does not start with an HTTP request.
    NoWebsocketUpgrade = "no-websocket-upgrade", warning;
    /// An HTTP connection that is not a websocket upgrade (an error from `zenith proxy`).
    NotWebsocket = "not-websocket", varies;
    /// The connection ends inside the upgrade, or before it completed.
    WebsocketUpgradeCutOff = "websocket-upgrade-cut-off", warning;
    /// A side sent too much after its upgrade head while the other's was awaited.
    WebsocketEarlyDataLimit = "websocket-early-data-limit", error;
    /// Bytes a side sent after its frames stopped being readable.
    WebsocketBytesNotRead = "websocket-bytes-not-read", warning;
    /// A frame header whose 64-bit length has its top bit set.
    WebsocketBadFrameLength = "websocket-bad-frame-length", error;
    /// A permessage-deflate window size outside 8 to 15, or without a value.
    WebsocketBadDeflateParameter = "websocket-bad-deflate-parameter", warning;
    /// A client frame that is not masked, or a server frame that is.
    WebsocketMasking = "websocket-masking", warning;
    /// A control frame with more than 125 bytes of payload.
    WebsocketOversizedControlFrame = "websocket-oversized-control-frame", error;
    /// A control frame without FIN.
    WebsocketFragmentedControlFrame = "websocket-fragmented-control-frame", error;
    /// The connection ends inside a control frame.
    WebsocketFrameCutOff = "websocket-frame-cut-off", warning;

    // TCP.
    /// Bytes of a TCP direction the capture does not have.
    TcpSegmentMissing = "tcp-segment-missing", error;
    /// A connection beyond those open at once (an info finding counts them at the end).
    TcpConnectionLimit = "tcp-connection-limit", varies;
    /// A TCP reset whose sequence number is far from the next byte expected.
    TcpResetOutOfWindow = "tcp-reset-out-of-window", warning;

    // The proxy.
    /// The checker's copy of a side's bytes passed its bound; later messages are not checked.
    CheckerFellBehind = "checker-fell-behind", error;
    /// A client sent no complete upgrade request in time.
    ClientUpgradeTimeout = "client-upgrade-timeout", error;
    /// The upstream could not be reached.
    UpstreamUnreachable = "upstream-unreachable", error;
    /// The upstream's reply to the upgrade did not come in time, or cannot be read.
    UpstreamBadReply = "upstream-bad-reply", error;
    /// A client beyond the connections the proxy serves at once.
    ProxyBusy = "proxy-busy", error;

    // Captures.
    /// An error item the capture tool recorded.
    CaptureError = "capture-error", info;
}

impl Code {
    /// The code whose text is `text`, if any.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|code| code.as_str() == text)
    }
}

/// Why a text is not a [`Code`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a finding code")]
pub struct UnknownCode;

impl FromStr for Code {
    type Err = UnknownCode;

    fn from_str(text: &str) -> Result<Code, UnknownCode> {
        Code::parse(text).ok_or(UnknownCode)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl From<Code> for &'static str {
    fn from(code: Code) -> &'static str {
        code.as_str()
    }
}

/// A code shows as its text, as every output writes it.
impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_kebab_case_distinct_and_reads_back() {
        let mut seen = std::collections::HashSet::new();
        for &code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "`{text}` is given twice");
            let kebab = text.split('-').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()));
            assert!(kebab && text.contains('-'), "`{text}` is not kebab-case");
            assert_eq!(text.parse::<Code>(), Ok(code));
            assert_eq!(code.to_string(), text);
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{text}\""));
        }
        assert_eq!("Orphan-Reply".parse::<Code>(), Err(UnknownCode));
        assert_eq!(Code::parse(""), None);
    }

    #[test]
    fn no_code_is_also_a_schema_problem_code() {
        for &code in zenith_protocol::Code::ALL {
            assert_eq!(Code::parse(code.as_str()), None, "`{code}` is in both lists");
        }
    }

    #[test]
    fn fixed_severities_are_given_and_cases_that_vary_are_marked() {
        assert_eq!(Code::OrphanReply.severity(), Some(Severity::Warning));
        assert_eq!(Code::TcpSegmentMissing.severity(), Some(Severity::Error));
        assert_eq!(Code::SummaryLimit.severity(), Some(Severity::Info));
        assert_eq!(Code::NotWebsocket.severity(), None);
        assert_eq!(Code::FindingLimit.severity(), None);
    }
}
