//! The HTTP heads of the websocket upgrade: the client's request read and rewritten for the
//! upstream, the upstream's reply read, and the proxy's own answers when it cannot relay.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::upstream::Upstream;

/// The longest HTTP head read, from either side.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most headers a head may have.
const MAX_HEADERS: usize = 128;

/// A head read off a connection: its bytes, and the bytes that came after it in the same reads.
pub struct Head {
    pub head: Vec<u8>,
    pub after: Vec<u8>,
}

/// Why a head could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("the connection closed after {0} bytes, before its HTTP head ended")]
    Closed(usize),
    #[error("the HTTP head is longer than {MAX_HEAD_BYTES} bytes")]
    TooLong,
    #[error("reading failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads up to the blank line that ends an HTTP head.
pub async fn read(io: &mut (impl AsyncRead + Unpin)) -> Result<Head, HeadError> {
    let mut bytes = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let read = io.read(&mut chunk).await?;
        if read == 0 {
            return Err(HeadError::Closed(bytes.len()));
        }
        // Look again only where the end could be: across the last chunk's edge too.
        let from = bytes.len().saturating_sub(3);
        bytes.extend_from_slice(&chunk[..read]);
        if let Some(end) = memchr_end(&bytes[from..]) {
            let end = from + end;
            if end > MAX_HEAD_BYTES {
                return Err(HeadError::TooLong);
            }
            let after = bytes.split_off(end);
            return Ok(Head { head: bytes, after });
        }
        if bytes.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLong);
        }
    }
}

/// The offset just past the first `\r\n\r\n`.
fn memchr_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4)
}

/// Why a client's request is not relayed: the status the proxy answers with, and why, in words
/// that name no header value (they may hold credentials).
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: String,
}

/// The client's upgrade request, rewritten for the upstream: `Host`, and the path and query when
/// the upstream URL has its own; every other header as the client sent it, in its order.
pub fn rewrite(head: &[u8], upstream: &Upstream) -> Result<Vec<u8>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let refuse = |reason: &str| Refusal { status: 400, reason: reason.to_owned() };
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(refuse("the HTTP request head is incomplete")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(refuse(&format!("the HTTP request has more than {MAX_HEADERS} headers")));
        }
        Err(error) => return Err(refuse(&format!("the HTTP request is malformed ({error})"))),
    }
    let (Some(method), Some(target)) = (request.method, request.path) else {
        return Err(refuse("the HTTP request is malformed"));
    };
    let has = |name: &str, word: &str| {
        request.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case(name)
                && String::from_utf8_lossy(h.value).split(',').any(|v| v.trim().eq_ignore_ascii_case(word))
        })
    };
    if method != "GET" || !has("upgrade", "websocket") || !has("connection", "upgrade") {
        let reason = format!(
            "a {method} request that is not a websocket upgrade (it needs GET with `Upgrade: websocket` and \
             `Connection: Upgrade`): point a websocket client at the proxy"
        );
        return Err(Refusal { status: 400, reason });
    }
    let target = upstream.target.as_deref().unwrap_or(target);
    let mut out = Vec::with_capacity(head.len() + 64);
    out.extend_from_slice(format!("GET {target} HTTP/1.1\r\nHost: {}\r\n", upstream.authority).as_bytes());
    for header in request.headers.iter().filter(|h| !h.name.eq_ignore_ascii_case("host")) {
        out.extend_from_slice(header.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(header.value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// The status of an HTTP reply head, when it is one.
pub fn status(head: &[u8]) -> Option<u16> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(head) {
        Ok(httparse::Status::Complete(_)) => response.code,
        _ => None,
    }
}

/// A short plain-text HTTP answer from the proxy itself, closing the connection.
pub fn answer(status: u16, reason: &str) -> Vec<u8> {
    let phrase = match status {
        400 => "Bad Request",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let body = format!("zenith proxy: {reason}\n");
    format!(
        "HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &[u8] = b"GET /ws?version=2.0 HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Protocol: ZenithJson\r\n\r\n";

    #[test]
    fn host_is_rewritten_and_the_target_kept_unless_the_upstream_has_its_own() {
        let plain = Upstream::parse("ws://upstream.example:9000").unwrap();
        let out = String::from_utf8(rewrite(REQUEST, &plain).unwrap()).unwrap();
        assert!(out.starts_with("GET /ws?version=2.0 HTTP/1.1\r\nHost: upstream.example:9000\r\n"), "{out}");
        assert!(out.contains("Sec-WebSocket-Protocol: ZenithJson\r\n") && !out.contains("127.0.0.1:5000"));
        assert!(out.ends_with("\r\n\r\n"));
        let own = Upstream::parse("wss://zenith.example/Zenith?version=2.0").unwrap();
        let out = String::from_utf8(rewrite(REQUEST, &own).unwrap()).unwrap();
        assert!(out.starts_with("GET /Zenith?version=2.0 HTTP/1.1\r\nHost: zenith.example\r\n"), "{out}");
    }

    #[test]
    fn requests_that_are_not_upgrades_are_refused_with_400() {
        let up = Upstream::parse("ws://a:1").unwrap();
        let refusal = rewrite(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &up).unwrap_err();
        assert_eq!(refusal.status, 400);
        assert!(refusal.reason.contains("not a websocket upgrade"));
        assert_eq!(rewrite(b"\x16\x03\x01garbage\r\n\r\n", &up).unwrap_err().status, 400);
        let body = String::from_utf8(answer(502, "the upstream is down")).unwrap();
        assert!(body.starts_with("HTTP/1.1 502 Bad Gateway\r\n") && body.ends_with("the upstream is down\n"));
    }

    #[tokio::test]
    async fn heads_end_at_the_blank_line_and_keep_what_follows() {
        let mut input: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi";
        let head = read(&mut input).await.unwrap();
        assert_eq!(status(&head.head), Some(101));
        assert_eq!(head.after, b"\x81\x02hi");
        let mut short: &[u8] = b"HTTP/1.1 101";
        assert!(matches!(read(&mut short).await, Err(HeadError::Closed(12))));
        let long = vec![b'a'; MAX_HEAD_BYTES + 10];
        assert!(matches!(read(&mut &long[..]).await, Err(HeadError::TooLong)));
    }
}
