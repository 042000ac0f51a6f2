//! With the `validate` feature, against a scripted server on loopback: each problem of what the
//! server sends logged through `tracing` with its code. (A test binary of its own: `tracing`
//! caches which events are wanted across threads, so a subscriber of one test's thread is
//! only reliable with no other test running.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::scripted;
use zenith_client::{Client, Event, Options};
use zenith_protocol::market::DepthTopic;

mod support;

/// Everything `tracing` writes while it lives, as text.
struct Log {
    written: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Log {
    fn start() -> Log {
        let written = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&written);
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Writer(Arc::clone(&shared)))
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        Log { written, _guard: tracing::subscriber::set_default(subscriber) }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.written.lock().unwrap()).into_owned()
    }
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn what_no_schema_reads_is_told_on_the_stream_and_each_problem_logged_with_its_code() {
    let log = Log::start();
    let url = scripted(vec![
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"C"},{"O":"A","Order":{"ID":"1","Side":"Bid","Price":42.0,"Position":1,"Quantity":100,"Prcie":1}}]}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":"not records"}"#,
        r#"{"Controller":"Market","Topic":"Depth!BHP.ASX","Data":[{"O":"R","Order":{"ID":"9"}}]}"#,
    ])
    .await;
    let client =
        Client::connect(&url, Options { request_timeout: Duration::from_secs(5), ..Options::default() }).await.unwrap();
    let mut depth = client.subscribe(DepthTopic::new("BHP", "ASX")).await.unwrap();
    assert!(matches!(depth.next().await, Some(Event::Push(_))));
    let Some(Event::Malformed { reason }) = depth.next().await else { panic!("the unreadable push is told") };
    assert!(reason.contains("/Data"), "{reason}");
    assert!(matches!(depth.next().await, Some(Event::Push(_))));
    assert!(matches!(depth.next().await, Some(Event::Inconsistent { .. })));
    let logged = log.text();
    for expected in [
        r#"code="misspelled-property" path="/Data/1/Order/Prcie" about="DepthPush""#,
        r#"code="wrong-type" path="/Data""#,
        r#"code="change-for-unknown-key" path="" about="Depth!BHP.ASX""#,
    ] {
        assert!(logged.contains(expected), "{expected} in:\n{logged}");
    }
}
