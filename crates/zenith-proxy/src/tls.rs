//! TLS (rustls, ring provider) for the proxy's upstream leg when the upstream URL is `wss://`.
//!
//! [`Tls`] is built once from [`TlsOptions`] and then cloned cheaply into every upstream
//! connection. [`Tls::connect`] runs the client handshake over any byte stream and turns rustls'
//! failures into [`TlsError`] values whose messages tell the user what to change.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The advice attached to [`TlsError::UnknownCa`].
pub const UNKNOWN_CA_HINT: &str = "use --ca-file PEM for a private CA, or --insecure for a self-signed test server";

/// The ALPN protocol offered to the upstream: a websocket upgrade is an HTTP/1.1 request.
const ALPN_HTTP_1_1: &[u8] = b"http/1.1";

/// How to set up TLS towards the upstream; usually filled from command-line flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file whose certificates are trusted in addition to the bundled web roots
    /// (`--ca-file`). Every `CERTIFICATE` block in it is added; other blocks are ignored.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate, whoever issued it and whatever names it holds
    /// (`--insecure`). The handshake signature is still checked, so the peer must own the key of
    /// the certificate it shows; only the trust in that certificate is skipped. Meant for
    /// self-signed test servers, never for production.
    pub insecure: bool,
    /// Write the session secrets in NSS key log format so that Wireshark can decrypt the upstream
    /// leg. Secrets are written only when the `SSLKEYLOGFILE` environment variable names a file
    /// at the time [`Tls::new`] runs; without that variable nothing is written, so it is safe to
    /// leave this on.
    pub key_log: bool,
}

/// A ready-to-use TLS client setup for the upstream leg.
///
/// Cloning is cheap: clones share one `rustls::ClientConfig` (and therefore one session cache,
/// so reconnections to the same upstream can resume sessions).
#[derive(Clone)]
pub struct Tls {
    config: Arc<ClientConfig>,
    trusted_roots: usize,
    insecure: bool,
    key_log: bool,
}

/// Why TLS setup or the TLS handshake with the upstream failed.
///
/// The messages are written for the person running the proxy: they say what went wrong and what
/// to change. They never contain key material or certificate contents.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The `--ca-file` could not be read.
    #[error("cannot read the CA file {}: {source}; pass a readable PEM file to --ca-file", path.display())]
    CaFileUnreadable {
        /// The file named by `--ca-file`.
        path: PathBuf,
        /// The error from the operating system.
        source: io::Error,
    },
    /// The `--ca-file` holds no PEM certificate.
    #[error(
        "the CA file {} holds no PEM certificate; pass a file with at least one \
         \"-----BEGIN CERTIFICATE-----\" block to --ca-file (convert a DER file with \
         `openssl x509 -inform der -in FILE -out FILE.pem`)",
        path.display()
    )]
    CaFileEmpty {
        /// The file named by `--ca-file`.
        path: PathBuf,
    },
    /// The `--ca-file` is not well-formed PEM, or holds a certificate that cannot be a trust root.
    #[error("the CA file {} is not usable: {problem}; pass a PEM file of CA certificates to --ca-file", path.display())]
    CaFileInvalid {
        /// The file named by `--ca-file`.
        path: PathBuf,
        /// What is wrong with it, in words.
        problem: String,
    },
    /// The rustls client configuration could not be built.
    #[error("cannot set up TLS: {0}")]
    Setup(String),
    /// The upstream host is neither a DNS name nor an IP address.
    #[error("\"{host}\" is not a valid DNS name or IP address for TLS; check the host of the upstream URL")]
    InvalidHost {
        /// The host as given.
        host: String,
    },
    /// The upstream certificate chain does not lead to a trusted root.
    #[error("the upstream certificate is not signed by a trusted certificate authority; {hint}")]
    UnknownCa {
        /// What to do about it.
        hint: &'static str,
    },
    /// The upstream certificate has expired.
    #[error(
        "the upstream certificate has expired; renew the server's certificate, or check this \
         machine's clock (--insecure skips the check for a test server)"
    )]
    Expired,
    /// The upstream certificate is not valid yet.
    #[error(
        "the upstream certificate is not valid yet; check the clocks of this machine and of the \
         server (--insecure skips the check for a test server)"
    )]
    NotYetValid,
    /// The upstream certificate does not name the host that was dialled.
    #[error(
        "the upstream certificate is not valid for \"{host}\"; use a host name the certificate \
         lists in the upstream URL, or fix the server's certificate"
    )]
    WrongHost {
        /// The host that was dialled.
        host: String,
    },
    /// The upstream certificate was rejected for another reason.
    #[error(
        "the upstream certificate was rejected: {problem}; fix the server's certificate, or use --insecure for a test server"
    )]
    BadCertificate {
        /// What is wrong with it, in words.
        problem: String,
    },
    /// The upstream does not speak TLS on this port.
    #[error(
        "the upstream did not answer with TLS; if it is a plain websocket server use a ws:// \
         upstream URL instead of wss://, otherwise check the port"
    )]
    NotTls,
    /// The upstream closed the connection before the handshake finished.
    #[error(
        "the upstream closed the connection during the TLS handshake; check that the port \
         serves TLS and that the server accepts this client"
    )]
    Closed,
    /// The upstream refused the handshake with a TLS alert.
    #[error("the upstream refused the TLS handshake: {reason}")]
    Refused {
        /// The alert, in words, with what to do.
        reason: String,
    },
    /// The handshake failed for a reason not covered above.
    #[error("the TLS handshake with the upstream failed: {0}; check that the upstream URL points at a TLS server")]
    Handshake(String),
    /// Reading from or writing to the connection failed during the handshake.
    #[error("network error during the TLS handshake with the upstream: {0}")]
    Io(#[source] io::Error),
}

impl Tls {
    /// Builds the TLS client setup described by `options`.
    ///
    /// Trusted roots are the bundled web roots (webpki-roots) plus every certificate in
    /// `options.ca_file`. The file is read and checked even when `insecure` is set, so a wrong
    /// path is reported either way. ALPN offers `http/1.1`. The ring crypto provider is used
    /// explicitly, whatever process-wide default may be installed.
    ///
    /// # Errors
    /// [`TlsError::CaFileUnreadable`], [`TlsError::CaFileEmpty`] or [`TlsError::CaFileInvalid`]
    /// for a bad `ca_file`; [`TlsError::Setup`] if rustls refuses the configuration.
    pub fn new(options: &TlsOptions) -> Result<Tls, TlsError> {
        // ring keeps the build free of C toolchains beyond what ring itself needs; rustls 0.23.48
        // deprecates this constructor only because ring lacks post-quantum key exchange, which
        // the upstream leg of a debugging proxy can do without.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());

        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = &options.ca_file {
            add_ca_file(&mut roots, path)?;
        }
        let trusted_roots = roots.len();

        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|error| TlsError::Setup(error.to_string()))?;
        let mut config = if options.insecure {
            let verifier = AcceptAnyCertificate { algorithms: provider.signature_verification_algorithms };
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
        } else {
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
        if options.key_log {
            config.key_log = Arc::new(rustls::KeyLogFile::new());
        }

        Ok(Tls { config: Arc::new(config), trusted_roots, insecure: options.insecure, key_log: options.key_log })
    }

    /// Runs the TLS client handshake over `io` (normally a connected `TcpStream`) for `host`.
    ///
    /// `host` is the host part of the upstream URL: a DNS name, or an IP address literal (IPv6 may
    /// keep its URL brackets, as in `[::1]`). It is sent as SNI when it is a name and is checked
    /// against the certificate unless the setup is insecure.
    ///
    /// This function sets no timeout of its own; wrap it in `tokio::time::timeout` to bound a
    /// silent upstream.
    ///
    /// # Errors
    /// [`TlsError::InvalidHost`] for a host that is neither a name nor an address; otherwise the
    /// handshake failure, classified (unknown CA, expired, wrong host, not TLS, refused, ...).
    pub async fn connect<IO>(&self, host: &str, io: IO) -> Result<TlsStream<IO>, TlsError>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let server_name = server_name(host)?;
        TlsConnector::from(Arc::clone(&self.config))
            .connect(server_name, io)
            .await
            .map_err(|error| classify_io_error(host, error))
    }

    /// Whether certificate checks are switched off (`--insecure`); handy for a startup warning.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// The shared rustls configuration, for callers that drive rustls themselves.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.config)
    }
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Deliberately a summary: the config itself holds the key log and session cache.
        f.debug_struct("Tls")
            .field("trusted_roots", &self.trusted_roots)
            .field("insecure", &self.insecure)
            .field("key_log", &self.key_log)
            .field("alpn", &"http/1.1")
            .finish()
    }
}

/// Adds every certificate of the PEM file at `path` to `roots`.
fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<(), TlsError> {
    let bytes =
        std::fs::read(path).map_err(|source| TlsError::CaFileUnreadable { path: path.to_path_buf(), source })?;
    let mut added = 0usize;
    for (index, item) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let certificate = item.map_err(|error| TlsError::CaFileInvalid {
            path: path.to_path_buf(),
            problem: describe_pem_error(&error),
        })?;
        roots.add(certificate).map_err(|error| TlsError::CaFileInvalid {
            path: path.to_path_buf(),
            problem: format!("certificate number {} cannot be a trust root ({error})", index + 1),
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(TlsError::CaFileEmpty { path: path.to_path_buf() });
    }
    Ok(())
}

/// Words for a PEM syntax error; the file's bytes are never echoed.
fn describe_pem_error(error: &pem::Error) -> String {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a PEM block has no END line".to_owned(),
        pem::Error::IllegalSectionStart { .. } => "a PEM BEGIN line is malformed".to_owned(),
        pem::Error::Base64Decode(_) => "a PEM block is not valid base64".to_owned(),
        pem::Error::SectionTooLarge => "a PEM block is too large".to_owned(),
        pem::Error::Io(io) => format!("reading it failed ({io})"),
        _ => "it is not well-formed PEM".to_owned(),
    }
}

/// Parses the URL host into a rustls server name, accepting bracketed IPv6 literals.
fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    let bare = host.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).unwrap_or(host);
    ServerName::try_from(bare.to_owned()).map_err(|_| TlsError::InvalidHost { host: host.to_owned() })
}

/// Turns the `io::Error` tokio-rustls returns into a [`TlsError`].
fn classify_io_error(host: &str, error: io::Error) -> TlsError {
    if let Some(rustls_error) = error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        return classify_rustls_error(host, rustls_error);
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => TlsError::Closed,
        _ => TlsError::Io(error),
    }
}

/// Maps a rustls error to the variant that tells the user what to do.
fn classify_rustls_error(host: &str, error: &rustls::Error) -> TlsError {
    match error {
        rustls::Error::InvalidCertificate(certificate) => classify_certificate_error(host, certificate),
        rustls::Error::NoCertificatesPresented => {
            TlsError::BadCertificate { problem: "the server sent no certificate".to_owned() }
        }
        rustls::Error::AlertReceived(alert) => TlsError::Refused { reason: describe_alert(host, *alert) },
        rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType | rustls::InvalidMessage::UnknownProtocolVersion,
        ) => TlsError::NotTls,
        rustls::Error::PeerIncompatible(_) => TlsError::Refused {
            reason: format!(
                "the server is incompatible with this client ({error}); the proxy speaks TLS 1.2 and 1.3 \
                 with modern cipher suites"
            ),
        },
        other => TlsError::Handshake(other.to_string()),
    }
}

fn classify_certificate_error(host: &str, error: &CertificateError) -> TlsError {
    let problem = match error {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => return TlsError::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            return TlsError::NotYetValid;
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            return TlsError::WrongHost { host: host.to_owned() };
        }
        CertificateError::UnknownIssuer => return TlsError::UnknownCa { hint: UNKNOWN_CA_HINT },
        CertificateError::BadEncoding => "it is not a well-formed X.509 certificate",
        CertificateError::BadSignature => "its signature does not match its issuer's key",
        CertificateError::Revoked => "it has been revoked",
        CertificateError::UnhandledCriticalExtension => "it has a critical extension this client does not understand",
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "it is not meant for TLS server authentication"
        }
        CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "it is signed with an algorithm this client does not support"
        }
        other => return TlsError::BadCertificate { problem: other.to_string() },
    };
    TlsError::BadCertificate { problem: problem.to_owned() }
}

/// Words for a fatal alert sent by the upstream, with what to do about it.
fn describe_alert(host: &str, alert: AlertDescription) -> String {
    match alert {
        AlertDescription::NoApplicationProtocol => {
            "it does not accept ALPN http/1.1, which a websocket upgrade needs; check that the upstream \
             URL points at a websocket endpoint"
                .to_owned()
        }
        AlertDescription::HandshakeFailure
        | AlertDescription::ProtocolVersion
        | AlertDescription::InsufficientSecurity => {
            "it shares no TLS version or cipher suite with this client (TLS 1.2 and 1.3 are supported); \
             check the server's TLS settings"
                .to_owned()
        }
        AlertDescription::UnrecognisedName => {
            format!("it does not serve the name \"{host}\"; check the host of the upstream URL")
        }
        AlertDescription::CertificateRequired => {
            "it requires a client certificate, which the proxy does not send; use an endpoint without \
             client authentication"
                .to_owned()
        }
        AlertDescription::AccessDenied => "it denied access to this client; check the server's access rules".to_owned(),
        other => format!("it sent the TLS alert {other:?}; check the server's logs"),
    }
}

/// A certificate verifier that trusts any certificate but still checks handshake signatures.
///
/// Used for `--insecure`: a self-signed test server passes, yet the peer must prove it holds the
/// private key of the certificate it presents.
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for AcceptAnyCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AcceptAnyCertificate")
    }
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_accept_dns_ip_and_bracketed_ipv6() {
        assert!(matches!(server_name("example.com"), Ok(ServerName::DnsName(_))));
        assert!(matches!(server_name("127.0.0.1"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
        let error = server_name("bad host!").unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"bad host!\" is not a valid DNS name or IP address for TLS; check the host of the upstream URL"
        );
    }

    #[test]
    fn certificate_errors_map_to_actionable_variants() {
        let classify = |error: CertificateError| {
            classify_io_error(
                "example.com",
                io::Error::new(io::ErrorKind::InvalidData, rustls::Error::InvalidCertificate(error)),
            )
        };
        assert!(matches!(classify(CertificateError::Expired), TlsError::Expired));
        assert!(matches!(classify(CertificateError::NotValidYet), TlsError::NotYetValid));
        assert!(matches!(classify(CertificateError::UnknownIssuer), TlsError::UnknownCa { .. }));
        assert!(matches!(
            classify(CertificateError::NotValidForName),
            TlsError::WrongHost { host } if host == "example.com"
        ));
        let revoked = classify(CertificateError::Revoked);
        assert!(revoked.to_string().contains("it has been revoked"), "{revoked}");
    }

    #[test]
    fn alerts_and_io_errors_are_classified() {
        let alert = classify_io_error(
            "h",
            io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::AlertReceived(AlertDescription::NoApplicationProtocol),
            ),
        );
        assert!(alert.to_string().contains("ALPN http/1.1"), "{alert}");
        let eof = classify_io_error("h", io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof"));
        assert!(matches!(eof, TlsError::Closed));
        let refused = classify_io_error("h", io::Error::from(io::ErrorKind::TimedOut));
        assert!(matches!(refused, TlsError::Io(_)));
    }

    #[test]
    fn debug_is_a_summary() {
        let tls = Tls::new(&TlsOptions { ca_file: None, insecure: true, key_log: false }).unwrap();
        let text = format!("{tls:?}");
        assert!(text.starts_with("Tls { trusted_roots: "), "{text}");
        assert!(text.contains("insecure: true"), "{text}");
        assert!(tls.is_insecure());
        assert_eq!(tls.client_config().alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
