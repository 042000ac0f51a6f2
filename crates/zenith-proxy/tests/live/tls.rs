//! Live handshakes of `zenith_proxy::tls` against tokio-rustls servers on 127.0.0.1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::client::TlsStream;
use zenith_proxy::tls::{Tls, TlsError, TlsOptions};

const LIMIT: Duration = Duration::from_secs(10);

struct TestCert {
    pem: String,
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

/// A self-signed certificate for `names` (IP strings become IP SANs), optionally long expired.
fn make_cert(names: &[&str], expired: bool) -> TestCert {
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let mut params = rcgen::CertificateParams::new(names).expect("certificate parameters");
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let key = rcgen::KeyPair::generate().expect("key pair");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    TestCert { pem: cert.pem(), der: cert.der().clone(), key_der: key.serialize_der() }
}

fn localhost_cert() -> TestCert {
    make_cert(&["localhost", "127.0.0.1"], false)
}

/// A fresh path in the system temp dir; the caller removes it.
fn temp_path(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("zenith-proxy-tls-{}-{n}-{label}", std::process::id()))
}

fn write_temp(label: &str, contents: &str) -> PathBuf {
    let path = temp_path(label);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn server_config(cert: &TestCert, alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der.clone()], key)
        .expect("server certificate");
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Arc::new(config)
}

/// A TLS server that accepts one connection, reads one line and echoes it. The task ends within
/// [`LIMIT`] whatever happens and returns the line it echoed.
async fn start_echo_server(config: Arc<rustls::ServerConfig>) -> (SocketAddr, JoinHandle<Result<String, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let acceptor = TlsAcceptor::from(config);
    let task = tokio::spawn(async move {
        let served = async {
            let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
            let mut reader = BufReader::new(tls);
            let mut line = String::new();
            (&mut reader).take(1024).read_line(&mut line).await.map_err(|e| e.to_string())?;
            let mut tls = reader.into_inner();
            tls.write_all(line.as_bytes()).await.map_err(|e| e.to_string())?;
            tls.shutdown().await.map_err(|e| e.to_string())?;
            Ok(line)
        };
        timeout(LIMIT, served).await.map_err(|_| "server timed out".to_owned())?
    });
    (addr, task)
}

/// A plain TCP server that accepts one connection and answers it with `reply` (or nothing).
async fn start_plain_server(reply: &'static [u8]) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        let served = async {
            if let Ok((mut tcp, _)) = listener.accept().await {
                let mut buf = [0u8; 512];
                let _ = tcp.read(&mut buf).await;
                let _ = tcp.write_all(reply).await;
                let _ = tcp.shutdown().await;
            }
        };
        let _ = timeout(LIMIT, served).await;
    });
    (addr, task)
}

async fn dial(tls: &Tls, addr: SocketAddr, host: &str) -> Result<TlsStream<TcpStream>, TlsError> {
    let tcp = timeout(LIMIT, TcpStream::connect(addr)).await.expect("tcp connect in time").expect("tcp connect");
    timeout(LIMIT, tls.connect(host, tcp)).await.expect("handshake in time")
}

async fn echo(stream: &mut TlsStream<TcpStream>, text: &str) -> String {
    let round_trip = async {
        stream.write_all(format!("{text}\n").as_bytes()).await.expect("write");
        let mut reply = String::new();
        (&mut *stream).take(1024).read_to_string(&mut reply).await.expect("read");
        reply
    };
    timeout(LIMIT, round_trip).await.expect("echo in time")
}

async fn finish<T>(task: JoinHandle<T>) -> T {
    timeout(LIMIT, task).await.expect("server task ends").expect("server task does not panic")
}

fn options(ca_file: Option<PathBuf>, insecure: bool) -> TlsOptions {
    TlsOptions { ca_file, insecure, key_log: false }
}

#[tokio::test]
async fn self_signed_upstream_without_ca_file_is_an_unknown_ca() {
    let cert = localhost_cert();
    let (addr, server) = start_echo_server(server_config(&cert, &[b"http/1.1"])).await;
    let tls = Tls::new(&options(None, false)).expect("tls");

    let error = dial(&tls, addr, "localhost").await.expect_err("untrusted certificate");
    assert!(matches!(error, TlsError::UnknownCa { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("--ca-file"), "{text}");
    assert!(text.contains("--insecure"), "{text}");
    assert_eq!(
        text,
        "the upstream certificate is not signed by a trusted certificate authority; \
         use --ca-file PEM for a private CA, or --insecure for a self-signed test server"
    );
    assert!(finish(server).await.is_err());
}

#[tokio::test]
async fn ca_file_trusts_the_certificate_and_echo_works() {
    let cert = localhost_cert();
    let ca_file = write_temp("ca.pem", &cert.pem);
    let tls = Tls::new(&options(Some(ca_file.clone()), false)).expect("tls");

    let (addr, server) = start_echo_server(server_config(&cert, &[b"http/1.1"])).await;
    let mut stream = dial(&tls, addr, "localhost").await.expect("trusted handshake");
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(echo(&mut stream, "hello upstream").await, "hello upstream\n");
    assert_eq!(finish(server).await.expect("server served"), "hello upstream\n");

    // The IP SAN lets the same certificate serve an IP literal host.
    let (addr, server) = start_echo_server(server_config(&cert, &[b"http/1.1"])).await;
    let mut stream = dial(&tls, addr, "127.0.0.1").await.expect("handshake by IP");
    assert_eq!(echo(&mut stream, "by ip").await, "by ip\n");
    assert_eq!(finish(server).await.expect("server served"), "by ip\n");

    std::fs::remove_file(ca_file).expect("remove temp file");
}

#[tokio::test]
async fn insecure_accepts_self_signed_wrong_name_and_expired_certificates() {
    let tls = Tls::new(&options(None, true)).expect("tls");
    assert!(tls.is_insecure());

    let cert = localhost_cert();
    let (addr, server) = start_echo_server(server_config(&cert, &[b"http/1.1"])).await;
    let mut stream = dial(&tls, addr, "localhost").await.expect("insecure handshake");
    assert_eq!(echo(&mut stream, "anything goes").await, "anything goes\n");
    assert_eq!(finish(server).await.expect("server served"), "anything goes\n");

    let bad = make_cert(&["other.example"], true);
    let (addr, server) = start_echo_server(server_config(&bad, &[b"http/1.1"])).await;
    let mut stream = dial(&tls, addr, "localhost").await.expect("insecure ignores name and dates");
    assert_eq!(echo(&mut stream, "still").await, "still\n");
    assert_eq!(finish(server).await.expect("server served"), "still\n");
}

#[tokio::test]
async fn certificate_for_another_host_is_a_wrong_host() {
    let cert = make_cert(&["other.example"], false);
    let ca_file = write_temp("other.pem", &cert.pem);
    let tls = Tls::new(&options(Some(ca_file.clone()), false)).expect("tls");
    let (addr, server) = start_echo_server(server_config(&cert, &[b"http/1.1"])).await;

    let error = dial(&tls, addr, "localhost").await.expect_err("wrong host");
    assert!(matches!(&error, TlsError::WrongHost { host } if host == "localhost"), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the upstream certificate is not valid for \"localhost\"; use a host name the certificate \
         lists in the upstream URL, or fix the server's certificate"
    );
    assert!(finish(server).await.is_err());
    std::fs::remove_file(ca_file).expect("remove temp file");
}

#[tokio::test]
async fn expired_certificate_is_reported_as_expired() {
    let cert = make_cert(&["localhost", "127.0.0.1"], true);
    let ca_file = write_temp("expired.pem", &cert.pem);
    let tls = Tls::new(&options(Some(ca_file.clone()), false)).expect("tls");
    let (addr, server) = start_echo_server(server_config(&cert, &[b"http/1.1"])).await;

    let error = dial(&tls, addr, "localhost").await.expect_err("expired");
    assert!(matches!(error, TlsError::Expired), "{error:?}");
    assert!(error.to_string().starts_with("the upstream certificate has expired; renew"), "{error}");
    assert!(finish(server).await.is_err());
    std::fs::remove_file(ca_file).expect("remove temp file");
}

#[test]
fn missing_ca_file_is_a_clear_error() {
    let path = temp_path("does-not-exist.pem");
    let error = Tls::new(&options(Some(path.clone()), false)).expect_err("missing file");
    assert!(matches!(&error, TlsError::CaFileUnreadable { path: p, .. } if *p == path), "{error:?}");
    let text = error.to_string();
    assert!(text.starts_with(&format!("cannot read the CA file {}: ", path.display())), "{text}");
    assert!(text.ends_with("; pass a readable PEM file to --ca-file"), "{text}");
}

#[test]
fn ca_file_without_certificate_is_a_clear_error() {
    // A private key block alone is not a certificate; its contents must not be echoed.
    let key_pem =
        format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", "TUlJQmFzZTY0Tm90QUNlcnRpZmljYXRl");
    for (label, contents) in
        [("empty.pem", String::new()), ("text.pem", "just words\n".to_owned()), ("key.pem", key_pem)]
    {
        let path = write_temp(label, &contents);
        let error = Tls::new(&options(Some(path.clone()), false)).expect_err("no certificate");
        assert!(matches!(&error, TlsError::CaFileEmpty { path: p } if *p == path), "{label}: {error:?}");
        let text = error.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("holds no PEM certificate"), "{text}");
        assert!(text.contains("--ca-file"), "{text}");
        assert!(!text.contains("TUlJ"), "{text}");
        std::fs::remove_file(path).expect("remove temp file");
    }
    // Insecure mode still reports a bad CA file instead of silently ignoring it.
    let path = write_temp("empty-insecure.pem", "");
    assert!(matches!(Tls::new(&options(Some(path.clone()), true)), Err(TlsError::CaFileEmpty { .. })));
    std::fs::remove_file(path).expect("remove temp file");
}

#[test]
fn malformed_ca_file_is_a_clear_error() {
    let cert = localhost_cert();
    let truncated: String = cert.pem.lines().take(3).map(|line| format!("{line}\n")).collect();
    let path = write_temp("truncated.pem", &truncated);
    let error = Tls::new(&options(Some(path.clone()), false)).expect_err("truncated");
    assert!(matches!(error, TlsError::CaFileInvalid { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "the CA file {} is not usable: a PEM block has no END line; pass a PEM file of CA certificates to --ca-file",
            path.display()
        )
    );
    std::fs::remove_file(path).expect("remove temp file");

    let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let path = write_temp("garbage.pem", garbage);
    let error = Tls::new(&options(Some(path.clone()), false)).expect_err("not a certificate");
    assert!(matches!(error, TlsError::CaFileInvalid { .. }), "{error:?}");
    assert!(error.to_string().contains("certificate number 1 cannot be a trust root"), "{error}");
    std::fs::remove_file(path).expect("remove temp file");
}

#[tokio::test]
async fn plain_http_upstream_is_reported_as_not_tls() {
    let (addr, server) = start_plain_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
    let tls = Tls::new(&options(None, false)).expect("tls");
    let error = dial(&tls, addr, "localhost").await.expect_err("not tls");
    assert!(matches!(error, TlsError::NotTls), "{error:?}");
    assert!(error.to_string().contains("use a ws:// upstream URL instead of wss://"), "{error}");
    finish(server).await;
}

#[tokio::test]
async fn upstream_closing_during_handshake_is_reported_as_closed() {
    let (addr, server) = start_plain_server(b"").await;
    let tls = Tls::new(&options(None, false)).expect("tls");
    let error = dial(&tls, addr, "localhost").await.expect_err("closed");
    assert!(matches!(error, TlsError::Closed), "{error:?}");
    assert!(error.to_string().starts_with("the upstream closed the connection during the TLS handshake"), "{error}");
    finish(server).await;
}

#[tokio::test]
async fn upstream_without_http11_alpn_is_refused_with_advice() {
    let cert = localhost_cert();
    let ca_file = write_temp("alpn.pem", &cert.pem);
    let tls = Tls::new(&options(Some(ca_file.clone()), false)).expect("tls");
    let (addr, server) = start_echo_server(server_config(&cert, &[b"h2"])).await;

    let error = dial(&tls, addr, "localhost").await.expect_err("alpn mismatch");
    assert!(matches!(error, TlsError::Refused { .. }), "{error:?}");
    assert!(error.to_string().contains("does not accept ALPN http/1.1"), "{error}");
    assert!(finish(server).await.is_err());
    std::fs::remove_file(ca_file).expect("remove temp file");
}

#[tokio::test]
async fn invalid_host_is_rejected_before_any_io() {
    let tls = Tls::new(&options(None, false)).expect("tls");
    let (client, _server) = tokio::io::duplex(64);
    let error = tls.connect("not a host", client).await.expect_err("invalid host");
    assert!(matches!(&error, TlsError::InvalidHost { host } if host == "not a host"), "{error:?}");
}

#[test]
fn debug_shows_a_summary_only() {
    let cert = localhost_cert();
    let ca_file = write_temp("debug.pem", &cert.pem);
    let plain = Tls::new(&options(None, false)).expect("tls");
    let with_ca =
        Tls::new(&TlsOptions { ca_file: Some(ca_file.clone()), insecure: false, key_log: true }).expect("tls");
    let plain_text = format!("{plain:?}");
    let with_ca_text = format!("{with_ca:?}");
    assert!(plain_text.contains("insecure: false") && plain_text.contains("key_log: false"), "{plain_text}");
    assert!(with_ca_text.contains("key_log: true"), "{with_ca_text}");
    assert_ne!(plain_text, with_ca_text, "one more trusted root");
    assert!(!with_ca_text.contains("BEGIN"), "{with_ca_text}");
    let clone = with_ca.clone();
    assert!(Arc::ptr_eq(&clone.client_config(), &with_ca.client_config()));
    std::fs::remove_file(ca_file).expect("remove temp file");
}
