//! The upstream server: its `ws://` or `wss://` URL, and a connection to it.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::tls::{Tls, TlsError};

/// How long connecting to the upstream (TCP and TLS) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the proxy connects, from `--upstream`.
/// `Debug` shows the scheme, host and port, never the path and query (which may hold a
/// credential).
#[derive(Clone, PartialEq, Eq)]
pub struct Upstream {
    /// `wss://`.
    pub secure: bool,
    /// The host name or IP address, as TLS checks it (no brackets).
    pub host: String,
    pub port: u16,
    /// The `Host` header: the host, and the port unless it is the scheme's own.
    pub authority: String,
    /// The path and query the upstream URL names, when it names one of its own (not just `/`).
    pub target: Option<String>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(f, "Upstream({scheme}://{})", self.address())
    }
}

/// Why `--upstream` is not a URL the proxy can use.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("not a URL ({0}): give one like ws://host:port/path or wss://host/path")]
    Malformed(url::ParseError),
    #[error("the scheme `{0}` is not ws or wss: give one like ws://host:port/path or wss://host/path")]
    Scheme(String),
    #[error("the URL names no host")]
    NoHost,
    #[error("the URL holds a user name or password: the proxy does not send them; leave them out")]
    Credentials,
}

impl Upstream {
    pub fn parse(text: &str) -> Result<Upstream, UrlError> {
        let url = url::Url::parse(text).map_err(UrlError::Malformed)?;
        let secure = match url.scheme() {
            "ws" => false,
            "wss" => true,
            other => return Err(UrlError::Scheme(other.to_owned())),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        let host = match url.host().ok_or(UrlError::NoHost)? {
            url::Host::Domain(domain) => domain.to_owned(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        let port = url.port_or_known_default().unwrap_or(if secure { 443 } else { 80 });
        let shown_host = url.host_str().unwrap_or(&host).to_owned();
        let authority = match url.port() {
            Some(port) => format!("{shown_host}:{port}"),
            None => shown_host,
        };
        let own_target = url.path() != "/" || url.query().is_some();
        let target = own_target.then(|| match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        });
        Ok(Upstream { secure, host, port, authority, target })
    }

    /// `host:port`, for connection names.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Opens a connection, through TLS for `wss://` (`tls` must then be given).
    pub async fn connect(&self, tls: Option<&Tls>) -> Result<Stream, ConnectError> {
        let connecting = async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port)).await.map_err(ConnectError::Tcp)?;
            let _ = tcp.set_nodelay(true);
            match (self.secure, tls) {
                (false, _) => Ok(Stream::Plain(tcp)),
                (true, Some(tls)) => Ok(Stream::Tls(Box::new(tls.connect(&self.host, tcp).await?))),
                (true, None) => Err(ConnectError::NoTls),
            }
        };
        tokio::time::timeout(CONNECT_TIMEOUT, connecting).await.unwrap_or(Err(ConnectError::Timeout))
    }
}

/// Why the upstream could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect: {0}")]
    Tcp(std::io::Error),
    #[error("TLS failed: {0}")]
    Tls(#[from] TlsError),
    #[error("no answer within {} s", CONNECT_TIMEOUT.as_secs())]
    Timeout,
    #[error("a wss:// upstream needs TLS settings")]
    NoTls,
}

/// A connection to the upstream, plain or through TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_authority_and_target() {
        let up = Upstream::parse("wss://zenith.example/Zenith?version=2.0").unwrap();
        assert!(up.secure);
        assert_eq!((up.host.as_str(), up.port, up.authority.as_str()), ("zenith.example", 443, "zenith.example"));
        assert_eq!(up.target.as_deref(), Some("/Zenith?version=2.0"));
        let up = Upstream::parse("ws://127.0.0.1:9000").unwrap();
        assert_eq!((up.port, up.authority.as_str(), up.target), (9000, "127.0.0.1:9000", None));
        let up = Upstream::parse("ws://[::1]:81/x").unwrap();
        assert_eq!((up.host.as_str(), up.authority.as_str(), up.address()), ("::1", "[::1]:81", "[::1]:81".to_owned()));
        assert!(matches!(Upstream::parse("http://a/"), Err(UrlError::Scheme(_))));
        assert!(matches!(Upstream::parse("ws://user:pw@a/"), Err(UrlError::Credentials)));
        assert!(matches!(Upstream::parse("zenith"), Err(UrlError::Malformed(_))));
        // The error never quotes the URL, which may hold a credential in its query.
        let error = Upstream::parse("ftp://a/?token=s3cret").unwrap_err().to_string();
        assert!(!error.contains("s3cret"), "{error}");
    }
}
