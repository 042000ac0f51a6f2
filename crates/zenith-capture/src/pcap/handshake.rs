//! The HTTP/1.1 upgrade that opens a websocket connection (RFC 6455, section 4).

use base64::Engine as _;

use crate::binary::Encoding;

/// Longest request or reply head read, with its headers.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// What the client asked for.
#[derive(Debug, Default)]
pub struct Request {
    /// The path and query, as requested.
    pub target: String,
    pub key: Option<String>,
    pub protocols: Vec<String>,
    pub upgrade: bool,
}

/// What the server answered.
#[derive(Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub reason: String,
    pub accept: Option<String>,
    pub protocol: Option<String>,
    pub deflate: Option<Deflate>,
}

/// The permessage-deflate parameters agreed (RFC 7692).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deflate {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
}

/// The length of the head (up to and with the blank line), once it has all arrived.
pub fn head_length(bytes: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes, b"\r\n\r\n").map(|at| at + 4)
}

fn header<'h>(headers: &'h [httparse::Header<'_>], name: &str) -> impl Iterator<Item = &'h str> {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .filter_map(|h| std::str::from_utf8(h.value).ok())
        .map(str::trim)
}

pub fn request(head: &[u8]) -> Result<Request, String> {
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("the HTTP request is incomplete".into()),
        Err(error) => return Err(format!("the HTTP request is malformed: {error}")),
    }
    let headers = request.headers;
    Ok(Request {
        target: request.path.unwrap_or("").to_owned(),
        key: header(headers, "Sec-WebSocket-Key").next().map(str::to_owned),
        protocols: header(headers, "Sec-WebSocket-Protocol")
            .flat_map(|v| v.split(','))
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        upgrade: header(headers, "Upgrade").any(|v| v.eq_ignore_ascii_case("websocket")),
    })
}

pub fn reply(head: &[u8]) -> Result<Reply, String> {
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("the HTTP reply is incomplete".into()),
        Err(error) => return Err(format!("the HTTP reply is malformed: {error}")),
    }
    let headers = response.headers;
    let deflate = header(headers, "Sec-WebSocket-Extensions").flat_map(|v| v.split(',')).find_map(|extension| {
        let mut parts = extension.split(';').map(str::trim);
        (parts.next() == Some("permessage-deflate")).then(|| {
            let parameters: Vec<&str> = parts.map(|p| p.split('=').next().unwrap_or("").trim()).collect();
            Deflate {
                server_no_context_takeover: parameters.contains(&"server_no_context_takeover"),
                client_no_context_takeover: parameters.contains(&"client_no_context_takeover"),
            }
        })
    });
    Ok(Reply {
        status: response.code.unwrap_or(0),
        reason: response.reason.unwrap_or("").to_owned(),
        accept: header(headers, "Sec-WebSocket-Accept").next().map(str::to_owned),
        protocol: header(headers, "Sec-WebSocket-Protocol").next().map(str::to_owned),
        deflate,
    })
}

/// The `Sec-WebSocket-Accept` a server must send for a key.
pub fn accept_for(key: &str) -> String {
    let mut sha1 = sha1_smol::Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(sha1.digest().bytes())
}

/// The encoding agreed: the server's choice, or the client's only offer.
pub fn encoding(request: &Request, reply: &Reply) -> Option<Encoding> {
    match &reply.protocol {
        Some(protocol) => Encoding::from_subprotocol(protocol),
        None if request.protocols.len() == 1 => Encoding::from_subprotocol(&request.protocols[0]),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_value_is_the_rfc_example() {
        assert_eq!(accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn a_reply_gives_protocol_and_deflate_parameters() {
        let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: ZenithBson\r\n\
                     Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=12\r\n\r\n";
        let reply = reply(head).unwrap();
        assert_eq!((reply.status, reply.protocol.as_deref()), (101, Some("ZenithBson")));
        assert_eq!(
            reply.deflate,
            Some(Deflate { server_no_context_takeover: true, client_no_context_takeover: false })
        );
        let request =
            request(b"GET /Zenith?version=2.0 HTTP/1.1\r\nSec-WebSocket-Protocol: ZenithJson\r\n\r\n").unwrap();
        assert_eq!(request.target, "/Zenith?version=2.0");
        assert_eq!(encoding(&request, &reply), Some(Encoding::Bson));
    }
}
