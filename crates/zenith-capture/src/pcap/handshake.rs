//! The HTTP/1.1 upgrade that opens a websocket connection (RFC 6455, section 4).

use base64::Engine as _;

use crate::binary::Encoding;

/// Longest request or reply head read, with its headers.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// What the client asked for. Not `Debug`: its target and headers may hold credentials.
#[derive(Default)]
pub struct Request {
    /// The path and query, as requested.
    pub target: String,
    pub key: Option<String>,
    pub protocols: Vec<String>,
    pub upgrade: bool,
    /// The head as a HAR request, to be read for credentials (see [`crate::Context`]).
    pub context: String,
}

/// What the server answered. Not `Debug`: its headers may hold credentials.
#[derive(Default)]
pub struct Reply {
    pub status: u16,
    pub reason: String,
    pub accept: Option<String>,
    pub protocol: Option<String>,
    pub deflate: Option<Deflate>,
    /// The permessage-deflate parameters that break RFC 7692, each said in words.
    pub deflate_faults: Vec<String>,
    /// The head as a HAR reply, to be read for credentials (see [`crate::Context`]).
    pub context: String,
}

/// The permessage-deflate parameters agreed (RFC 7692).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deflate {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    /// The base-2 logarithm of the window each side compresses with (8 to 15), when the
    /// server names one; 15 otherwise.
    pub server_max_window_bits: Option<u8>,
    pub client_max_window_bits: Option<u8>,
}

impl Deflate {
    /// `permessage-deflate`, with the parameters that matter to a reader.
    pub fn describe(&self) -> String {
        let mut text = "permessage-deflate".to_owned();
        for (set, name) in [
            (self.server_no_context_takeover, "server_no_context_takeover"),
            (self.client_no_context_takeover, "client_no_context_takeover"),
        ] {
            if set {
                text.push_str("; ");
                text.push_str(name);
            }
        }
        for (bits, name) in [
            (self.server_max_window_bits, "server_max_window_bits"),
            (self.client_max_window_bits, "client_max_window_bits"),
        ] {
            if let Some(bits) = bits {
                text.push_str(&format!("; {name}={bits}"));
            }
        }
        text
    }

    /// Reads the parameters of one `permessage-deflate` offer in a reply, with the faults
    /// found in them.
    fn parse<'p>(parameters: impl Iterator<Item = &'p str>) -> (Deflate, Vec<String>) {
        let mut deflate = Deflate::default();
        let mut faults = Vec::new();
        for parameter in parameters {
            let (name, value) = match parameter.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
                None => (parameter.trim(), None),
            };
            let bits = match name {
                "server_no_context_takeover" => {
                    deflate.server_no_context_takeover = true;
                    continue;
                }
                "client_no_context_takeover" => {
                    deflate.client_no_context_takeover = true;
                    continue;
                }
                "server_max_window_bits" => &mut deflate.server_max_window_bits,
                "client_max_window_bits" => &mut deflate.client_max_window_bits,
                _ => continue,
            };
            match value.map(|v| (v, v.parse::<u8>())) {
                Some((_, Ok(value @ 8..=15))) => *bits = Some(value),
                Some((value, _)) => faults.push(format!("{name}={value} is not a window size from 8 to 15")),
                None => faults.push(format!("{name} has no value (a reply must give one, from 8 to 15)")),
            }
        }
        (deflate, faults)
    }
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
        context: crate::context::head(request.path, headers),
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
    let offer = header(headers, "Sec-WebSocket-Extensions").flat_map(|v| v.split(',')).find_map(|extension| {
        let mut parts = extension.split(';').map(str::trim);
        (parts.next() == Some("permessage-deflate")).then(|| Deflate::parse(parts))
    });
    let (deflate, deflate_faults) = match offer {
        Some((deflate, faults)) => (Some(deflate), faults),
        None => (None, Vec::new()),
    };
    Ok(Reply {
        status: response.code.unwrap_or(0),
        reason: response.reason.unwrap_or("").to_owned(),
        accept: header(headers, "Sec-WebSocket-Accept").next().map(str::to_owned),
        protocol: header(headers, "Sec-WebSocket-Protocol").next().map(str::to_owned),
        deflate,
        deflate_faults,
        context: crate::context::head(None, headers),
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
            Some(Deflate {
                server_no_context_takeover: true,
                client_no_context_takeover: false,
                server_max_window_bits: None,
                client_max_window_bits: Some(12),
            })
        );
        assert!(reply.deflate_faults.is_empty());
        let request =
            request(b"GET /Zenith?version=2.0 HTTP/1.1\r\nSec-WebSocket-Protocol: ZenithJson\r\n\r\n").unwrap();
        assert_eq!(request.target, "/Zenith?version=2.0");
        assert_eq!(encoding(&request, &reply), Some(Encoding::Bson));
    }

    #[test]
    fn window_sizes_outside_the_rfc_range_are_faults() {
        let head = b"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Extensions: permessage-deflate; \
                     server_max_window_bits=\"9\"; client_max_window_bits=16, permessage-deflate\r\n\r\n";
        let parsed = reply(head).unwrap();
        let deflate = parsed.deflate.unwrap();
        assert_eq!((deflate.server_max_window_bits, deflate.client_max_window_bits), (Some(9), None));
        assert_eq!(parsed.deflate_faults, ["client_max_window_bits=16 is not a window size from 8 to 15"]);
        let head = b"HTTP/1.1 101 OK\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits\r\n\r\n";
        let faults = reply(head).unwrap().deflate_faults;
        assert_eq!(faults, ["server_max_window_bits has no value (a reply must give one, from 8 to 15)"]);
    }
}
