//! `Debug` of what the readers find shows no text of the capture, so a credential in it never
//! reaches a log or a panic message: only sizes, numbers, codes and places.

mod common;

use base64::Engine as _;
use common::{Capture, Connection, Side, frame};
use zenith_capture::{Body, Control, Event, Format, Limits, TransportEvent};

const PASSWORD: &str = "Hunter2Zebra";

/// The capture's texts an event holds, each with what it is.
fn quoted(event: &Event) -> Vec<(&'static str, &str)> {
    let mut texts = Vec::new();
    let origin = match event {
        Event::Frame(frame) => {
            match &frame.body {
                Body::Text(text) => texts.push(("text", text.as_str())),
                Body::CaptureError(text) => texts.push(("capture error", text)),
                Body::Unreadable(reason) => texts.push(("unreadable", reason)),
                Body::Binary(_) => {}
            }
            &frame.origin
        }
        Event::Transport(transport) => {
            match &transport.what {
                TransportEvent::Upgrade { target, .. } => texts.push(("target", target.as_str())),
                TransportEvent::Problem { message, .. } => texts.push(("problem", message)),
                TransportEvent::Control(Control::Close { reason, .. }) => texts.push(("close reason", reason)),
                TransportEvent::Control(_) => {}
            }
            &transport.origin
        }
        Event::Context(context) => {
            texts.push(("context", &context.json));
            &context.origin
        }
        Event::Skipped(_) => return texts,
    };
    if let zenith_capture::Origin::Line { conn: Some(conn), .. } = origin {
        texts.push(("conn", conn));
    }
    texts
}

/// Formats every event both ways, checks the password is in neither, and returns the kinds of
/// text that held it (so that the capture is known to put it where it is meant to) and all the
/// `Debug` output.
fn debug_of(events: &[Event]) -> (Vec<&'static str>, String) {
    let mut holders = Vec::new();
    let mut all = String::new();
    for event in events {
        holders.extend(quoted(event).into_iter().filter(|(_, text)| text.contains(PASSWORD)).map(|(kind, _)| kind));
        let shown = format!("{event:?}\n{event:#?}\n");
        assert!(!shown.contains(PASSWORD), "{shown}");
        all.push_str(&shown);
    }
    holders.sort_unstable();
    holders.dedup();
    (holders, all)
}

fn read(format: Format, input: &[u8]) -> Vec<Event> {
    test_kit::Check::new().format(format).read_events(input)
}

#[test]
fn debug_shows_no_capture_text() {
    let login = format!(r#"{{\"Controller\":\"Zenith\",\"Action\":\"Login\",\"Password\":\"{PASSWORD}\"}}"#);
    let binary = base64::engine::general_purpose::STANDARD.encode(format!(r#"{{"Password":"{PASSWORD}"}}"#));

    let jsonl = format!(
        "{{\"type\":\"send\",\"opcode\":1,\"data\":\"{login}\",\"conn\":\"wss://h/?token={PASSWORD}\"}}\n\
         {{\"type\":\"error\",\"data\":\"login failed for {PASSWORD}\"}}\n\
         {{\"type\":\"{PASSWORD}\",\"data\":\"x\"}}\n\
         {{\"type\":\"receive\",\"opcode\":2,\"data\":\"{binary}\"}}\n"
    );
    let events = read(Format::Jsonl, jsonl.as_bytes());
    let (holders, shown) = debug_of(&events);
    assert_eq!(holders, ["capture error", "conn", "context", "text", "unreadable"]);
    assert!(shown.contains("line: 3") && shown.contains("Binary { opcode: 2, bytes: <"), "{shown}");
    let decoded = events.iter().find_map(|e| match e {
        Event::Frame(frame) => match &frame.body {
            Body::Binary(binary) => Some(binary.decode().unwrap()),
            _ => None,
        },
        _ => None,
    });
    let decoded = decoded.expect("the binary message");
    assert!(decoded.text.contains(PASSWORD));
    assert!(!format!("{decoded:?} {decoded:#?}").contains(PASSWORD));
    zenith_capture::chunks(jsonl.as_bytes(), Limits::default(), &mut |chunk| {
        assert!(!format!("{chunk:?} {chunk:#?}").contains(PASSWORD));
    })
    .unwrap();

    let har = format!(
        r#"{{"log": {{"entries": [{{
            "request": {{"method": "GET", "url": "wss://h/ws?access_token={PASSWORD}", "headers": []}},
            "_webSocketMessages": [
                {{"type": "send", "time": 1.0, "opcode": 1, "data": "{login}"}},
                {{"type": "error", "time": 2.0, "opcode": 1, "data": "closed: {PASSWORD}"}}
            ]
        }}]}}}}"#
    );
    let (holders, shown) = debug_of(&read(Format::Har, har.as_bytes()));
    assert_eq!(holders, ["capture error", "context", "text"]);
    assert!(shown.contains("Har { entry: 1 }"), "{shown}");

    let mut capture = Capture::default();
    let mut websocket = Connection::new(40000, 443);
    websocket.open(&mut capture);
    let (request, reply) = websocket.heads(Some("ZenithJson"), None);
    let request = String::from_utf8(request).unwrap().replace("?version=2.0", &format!("?access_token={PASSWORD}"));
    capture.push(websocket.send(Side::Client, request.as_bytes()));
    capture.push(websocket.send(Side::Server, &reply));
    let message = websocket.message(Side::Client, 1, login.replace('\\', "").as_bytes());
    capture.push(websocket.send(Side::Client, &message));
    let close = [&1000u16.to_be_bytes()[..], format!("bye {PASSWORD}").as_bytes()].concat();
    capture.push(websocket.send(Side::Server, &frame(Side::Server, 8, true, false, &close)));
    let mut http = Connection::new(40001, 80);
    http.open(&mut capture);
    let get = format!("GET /private?password={PASSWORD} HTTP/1.1\r\nHost: h\r\n\r\n");
    capture.push(http.send(Side::Client, get.as_bytes()));
    let (holders, shown) = debug_of(&capture.events());
    assert_eq!(holders, ["close reason", "context", "problem", "target", "text"]);
    assert!(shown.contains("code: \"not-websocket\"") && shown.contains("code: Some(1000)"), "{shown}");
    assert!(shown.contains("packet: 5"), "{shown}");
}
