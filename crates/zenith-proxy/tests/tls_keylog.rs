//! `key_log: true` writes NSS key log lines to the file named by SSLKEYLOGFILE.
//!
//! The environment is process-wide and changing it in a running test process is unsound, so the
//! test runs this same test binary again as a child process with SSLKEYLOGFILE set; the child
//! does one handshake and the parent inspects the file.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use zenith_proxy::tls::{Tls, TlsOptions};

const LIMIT: Duration = Duration::from_secs(10);
const TEST_NAME: &str = "key_log_writes_secrets_when_sslkeylogfile_is_set";
/// Marks the child process; its value is the PEM file to trust.
const CHILD_MARKER: &str = "ZENITH_PROXY_TLS_KEYLOG_CHILD_CA";

#[test]
fn key_log_writes_secrets_when_sslkeylogfile_is_set() {
    match std::env::var_os(CHILD_MARKER) {
        Some(ca_file) => child_handshake(PathBuf::from(ca_file)),
        None => parent(),
    }
}

fn parent() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let base = std::env::temp_dir().join(format!("zenith-proxy-keylog-{}", std::process::id()));
    let ca_file = base.with_extension("pem");
    let key_log = base.with_extension("keys");
    let key_file = base.with_extension("key.der");
    std::fs::write(&ca_file, cert.cert.pem()).expect("write ca file");
    std::fs::write(&key_file, cert.signing_key.serialize_der()).expect("write key");
    std::fs::write(base.with_extension("der"), cert.cert.der().as_ref()).expect("write cert");
    let _ = std::fs::remove_file(&key_log);

    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", TEST_NAME, "--test-threads=1", "--nocapture"])
        .env(CHILD_MARKER, &ca_file)
        .env("SSLKEYLOGFILE", &key_log)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child test");
    let mut status = None;
    for _ in 0..300 {
        if let Some(done) = child.try_wait().expect("child status") {
            status = Some(done);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("child handshake did not finish in 30 seconds");
    };

    let logged = std::fs::read_to_string(&key_log).unwrap_or_default();
    for path in [&ca_file, &key_log, &key_file, &base.with_extension("der")] {
        let _ = std::fs::remove_file(path);
    }
    assert!(status.success(), "child handshake failed: {status}");
    assert!(
        logged.lines().any(|line| line.starts_with("CLIENT_HANDSHAKE_TRAFFIC_SECRET ")
            || line.starts_with("CLIENT_RANDOM ")
            || line.starts_with("CLIENT_TRAFFIC_SECRET_0 ")),
        "no client secret line in the key log ({} lines)",
        logged.lines().count()
    );
}

/// Runs in the child process: one handshake with `key_log: true` against a local server.
fn child_handshake(ca_file: PathBuf) {
    let base = ca_file.with_extension("");
    let cert_der = std::fs::read(base.with_extension("der")).expect("read cert");
    let key_der = std::fs::read(base.with_extension("key.der")).expect("read key");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async move {
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert_der.into()], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)))
            .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let server = tokio::spawn(async move {
            let served = async {
                let (tcp, _) = listener.accept().await.ok()?;
                let mut tls = acceptor.accept(tcp).await.ok()?;
                let mut byte = [0u8; 1];
                tls.read_exact(&mut byte).await.ok()?;
                tls.write_all(&byte).await.ok()?;
                tls.shutdown().await.ok()
            };
            timeout(LIMIT, served).await.ok().flatten()
        });

        let tls = Tls::new(&TlsOptions { ca_file: Some(ca_file), insecure: false, key_log: true }).expect("tls");
        let tcp = timeout(LIMIT, TcpStream::connect(addr)).await.expect("connect in time").expect("connect");
        let mut stream = timeout(LIMIT, tls.connect("localhost", tcp)).await.expect("in time").expect("handshake");
        let round_trip = async {
            stream.write_all(b"x").await?;
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await?;
            Ok::<_, std::io::Error>(byte)
        };
        assert_eq!(timeout(LIMIT, round_trip).await.expect("echo in time").expect("echo"), *b"x");
        timeout(LIMIT, server).await.expect("server ends").expect("server task").expect("server served");
    });
}
