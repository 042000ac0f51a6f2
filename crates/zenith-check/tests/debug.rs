//! `Debug` of a finding as `analyze` makes it, before its credentials are hidden, shows none of
//! the capture's text it quotes, only sizes, codes and places.

use zenith_capture::{Body, Event, Frame, Origin};
use zenith_check::{Analysis, analyze};
use zenith_protocol::Direction;

const PASSWORD: &str = "Hunter2Zebra";

#[test]
fn debug_of_findings_before_they_are_screened_shows_no_capture_text() {
    let text = format!(r#"{{"Controller":"Market","Topic":"{PASSWORD}","Action":"Sub","{PASSWORD}":1}}"#);
    let origin = Origin::Line { line: 7, conn: Some(format!("token={PASSWORD}").into()) };
    let frame = Frame { origin, time: None, direction: Some(Direction::Send), body: Body::Text(text) };
    let Analysis::Message(checked) = analyze("capture", Event::Frame(frame)) else { panic!("not a message") };
    let quoting =
        checked.findings.iter().filter(|f| f.message.contains(PASSWORD) || f.instance_path.contains(PASSWORD));
    assert!(quoting.count() > 0, "the findings quote the password before they are screened");
    let shown = format!("{:?} {:#?} {:?}", checked.findings, checked.findings, checked.place);
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(shown.contains("line: 7") && shown.contains(&format!("{:?}", checked.findings[0].code)), "{shown}");
}
