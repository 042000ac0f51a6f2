//! Opening the websocket: `ws://` or `wss://` (rustls, bundled roots or your own), with the
//! encoding's subprotocol.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::ServerName;
use rustls_pki_types::pem::PemObject;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_util::either::Either;

use crate::ClientError;
use crate::encoding::Encoding;

/// Whom a `wss://` connection trusts.
#[derive(Clone, Debug, Default)]
pub enum Tls {
    /// The web's public roots, bundled (webpki-roots).
    #[default]
    WebRoots,
    /// The bundled roots and the certificates of this PEM file (a private CA).
    WithCaFile(PathBuf),
}

/// A TCP stream, encrypted for `wss://`.
pub(crate) type Stream = Either<TcpStream, Box<TlsStream<TcpStream>>>;

/// A connection's receiving and sending halves.
pub(crate) type Reader = SplitStream<WebSocketStream<Stream>>;
pub(crate) type Writer = SplitSink<WebSocketStream<Stream>, Frame>;
/// The sending half while a connection is open, shared by the client's callers and its
/// connection's task.
pub(crate) type Sending = tokio::sync::Mutex<Option<Writer>>;

/// Connects to `url` within `timeout`, and completes the websocket handshake asking for
/// `encoding`.
pub async fn connect(
    url: &str,
    tls: &Tls,
    encoding: Encoding,
    timeout: Duration,
) -> Result<WebSocketStream<Stream>, ClientError> {
    let parsed = url::Url::parse(url).map_err(|e| ClientError::Url(format!("{}: {e}", shown(url))))?;
    let secure = match parsed.scheme() {
        "ws" => false,
        "wss" => true,
        other => return Err(ClientError::Url(format!("{}: the scheme must be ws or wss, not {other}", shown(url)))),
    };
    let host = parsed.host_str().ok_or_else(|| ClientError::Url(format!("{} names no host", shown(url))))?.to_owned();
    let port = parsed.port_or_known_default().unwrap_or(if secure { 443 } else { 80 });
    let opening = async {
        let tcp = TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port)).await?;
        tcp.set_nodelay(true)?;
        let stream = if secure {
            let name = ServerName::try_from(host.clone()).map_err(|e| ClientError::Url(format!("`{host}`: {e}")))?;
            let connector = TlsConnector::from(Arc::new(client_config(tls)?));
            Either::Right(Box::new(connector.connect(name, tcp).await?))
        } else {
            Either::Left(tcp)
        };
        let mut request = url.into_client_request().map_err(|e| ClientError::Url(format!("{}: {e}", shown(url))))?;
        request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static(encoding.subprotocol()));
        let (socket, _) = tokio_tungstenite::client_async(request, stream).await?;
        Ok::<_, ClientError>(socket)
    };
    tokio::time::timeout(timeout, opening).await.map_err(|_| ClientError::ConnectTimeout(timeout))?
}

/// An address as errors show it: without a user's password or the query, which may hold a
/// token.
fn shown(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            format!("`{parsed}`")
        }
        Err(_) if zenith_protocol::runtime::may_hold_free_text_credentials(url) => "the address given".to_owned(),
        Err(_) => format!("`{url}`"),
    }
}

/// rustls' settings: the roots `tls` names; session keys written to `SSLKEYLOGFILE` when set.
fn client_config(tls: &Tls) -> Result<ClientConfig, ClientError> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Tls::WithCaFile(path) = tls {
        let shown = path.display();
        let certificates = rustls_pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| ClientError::Tls(format!("cannot read the CA file {shown}: {e}")))?;
        for certificate in certificates {
            let certificate = certificate.map_err(|e| ClientError::Tls(format!("the CA file {shown}: {e}")))?;
            roots.add(certificate).map_err(|e| ClientError::Tls(format!("the CA file {shown}: {e}")))?;
        }
    }
    // ring, as the proxy uses: rustls deprecates this constructor only for want of post-quantum
    // key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.key_log = Arc::new(rustls::KeyLogFile::new());
    Ok(config)
}
