//! What can go wrong talking to a server, each told so that the user knows what to do.

use std::time::Duration;

use zenith_protocol::{ErrorCodeInfo, MessageKind};

/// Why a call did not give its result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("bad server address {0}")]
    Url(String),
    #[error("no connection within {0:?}: is the server running, and the address right?")]
    ConnectTimeout(Duration),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    #[error("websocket: {0}")]
    Websocket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("the connection is closed{}", .0.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Closed(Option<String>),
    #[error("no reply to the {kind} within {timeout:?}")]
    Timeout { kind: MessageKind, timeout: Duration },
    /// The server answered with an `Error`: its code and, when documented, what it means.
    #[error("the server refused the {kind}: {code}{}", .meaning.map(|m| format!(" ({m})")).unwrap_or_default())]
    Server { kind: MessageKind, code: String, meaning: Option<&'static str> },
    #[error("sign-in rejected{}", .0.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    SignInRejected(Option<String>),
    #[error("the subscription to `{topic}` was refused{}", .reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Refused { topic: String, reason: Option<String> },
    #[error("the reply to the {kind} is not one: {reason}")]
    UnexpectedReply { kind: MessageKind, reason: String },
    #[error("a request that breaks its schema is not sent: {0}")]
    Invalid(String),
    #[error(transparent)]
    Build(#[from] zenith_protocol::BuildError),
}

impl ClientError {
    /// The error of an `Error` reply whose `Data` is `code` (with its documented meaning).
    pub(crate) fn server(kind: MessageKind, code: &str) -> ClientError {
        let meaning = ErrorCodeInfo::find(code).map(|info| info.meaning);
        ClientError::Server { kind, code: code.to_owned(), meaning }
    }

    /// True for an `Error` reply that asks to try again later.
    pub fn is_retry(&self) -> bool {
        matches!(self, ClientError::Server { code, .. } if code == "Retry")
    }
}
