//! Sessions relayed through the proxy on loopback: what each end receives, and what the proxy
//! finds, against `zenith check` on the record it writes.

use tokio_tungstenite::tungstenite::Message;
use zenith_proxy::Report;

use crate::kit::*;

#[tokio::test]
async fn a_json_session_passes_unchanged_and_live_findings_equal_check_on_the_record() {
    let (listener, url) = upstream().await;
    let (record, record_path) = record("auth.jsonl");
    let mut options = options(&url);
    options.record = Some(record);
    let mut proxy = proxy(options).await;
    let (mut client, mut server) = tokio::join!(
        connect(proxy.address, "/Zenith?version=2.0", Some("ZenithJson")),
        accept(&listener, Some("ZenithJson"))
    );
    let steps = session(&repo("examples/captures/auth-session.jsonl"));
    assert!(steps.len() > 5);
    for (send, text) in &steps {
        if *send {
            pass(&mut client, &mut server, Message::text(text.clone())).await;
        } else {
            pass(&mut server, &mut client, Message::text(text.clone())).await;
        }
    }
    close(client, server).await;
    let reports = proxy.until_closed().await;
    let Some(Report::Closed(closed)) = reports.last() else { panic!("no close") };
    assert_eq!(closed.summary.messages(), steps.len() as u64);
    // The client's close carried no code; the server answered it with one.
    assert_eq!(closed.closes[0].as_ref().map(|c| c.code), Some(None));
    assert!(closed.closes[1].is_some());
    let live: Vec<_> = findings(&reports).into_iter().map(key).collect();
    // The sample holds one message that is deliberately wrong.
    assert!(live.iter().any(|(_, _, code, _)| code == "misspelled-property"), "{live:?}");
    let (summary, _) = proxy.stop().await;
    assert_eq!(summary.messages(), steps.len() as u64);
    let (checked, _) = check_file(&record_path);
    let mut checked: Vec<_> = checked.iter().filter(|f| f.index > 0).map(key).collect();
    let mut live: Vec<_> = live.into_iter().filter(|(_, index, _, _)| *index > 0).collect();
    checked.sort();
    live.sort();
    assert_eq!(live, checked);
    // Credentials are replaced in the record.
    let recorded = std::fs::read_to_string(&record_path).unwrap();
    assert!(!recorded.contains("Insect") && recorded.contains("<redacted>"));
    std::fs::remove_file(record_path).unwrap();
}

#[tokio::test]
async fn with_once_a_port_probe_does_not_count_and_the_first_session_ends_the_proxy() {
    let (listener, url) = upstream().await;
    let mut options = options(&url);
    options.once = true;
    let mut proxy = proxy(options).await;
    // A readiness probe: connected, then closed without a byte.
    drop(tokio::net::TcpStream::connect(proxy.address).await.unwrap());
    let reports = proxy.until_closed().await;
    assert!(findings(&reports).is_empty());
    let (mut client, mut server) =
        tokio::join!(connect(proxy.address, "/", Some("ZenithJson")), accept(&listener, Some("ZenithJson")));
    let text = r#"{"Controller":"Zenith","Topic":"ServerInfo","Action":"Sub","Confirm":true}"#;
    pass(&mut client, &mut server, Message::text(text)).await;
    close(client, server).await;
    let summary = proxy.ended().await;
    assert_eq!(summary.messages(), 1);
}
