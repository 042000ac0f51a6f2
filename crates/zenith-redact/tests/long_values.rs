//! Long values in a HAR document (large response bodies): held at most up to the limit, so one
//! longer is refused whole, never written with its credentials; one within it is redacted in
//! its place, between the items around it, as a walk of the whole document in memory would.

use zenith_capture::Format;
use zenith_redact::{Options, RedactError, redact};

fn run(document: &str, options: Options) -> (Result<zenith_redact::Outcome, RedactError>, String) {
    let mut out = Vec::new();
    let result = redact(Format::Har, std::io::Cursor::new(document.as_bytes()), &mut out, options);
    (result, String::from_utf8(out).expect("output stays UTF-8"))
}

/// A HAR document of one entry whose response body is `body`; and where that value starts.
fn with_body(body: &str) -> (String, u64) {
    let before = r#"{"log":{"entries":[{"request":{"url":"http://h/x"},"response":{"content":{"text":"#;
    (format!("{before}\"{body}\"}}}}}}]}}}}\n"), before.len() as u64 + 1)
}

#[test]
fn a_value_over_the_limit_is_refused_forced_or_not() {
    // 110 KB against a limit of 100 KB: once read in doubling steps and walked whole.
    let body = format!("{} password=hunter2 {}", "x".repeat(60_000), "y".repeat(50_000));
    let (document, column) = with_body(&body);
    for force in [false, true] {
        let options = Options { max_bytes: 100_000, force, ..Options::default() };
        let (result, out) = run(&document, options);
        let Err(RedactError::TooLong { line, column: at, limit }) = result else { panic!("{result:?}") };
        assert_eq!((line, at, limit), (1, column, 100_000));
        assert!(out.is_empty(), "nothing is written");
    }
    // Within a limit that holds it, the same value is redacted in its place.
    let (result, out) = run(&document, Options { max_bytes: 200_000, ..Options::default() });
    assert_eq!(result.unwrap().replaced, 1);
    assert!(out == document.replace("hunter2", "<redacted>"), "only the credential changes");
}

#[test]
fn a_long_value_is_redacted_in_its_place_between_items() {
    // Messages before and after a body too long to be cut out whole: the body holds a
    // credential in free text and a copy of one that is only learnt after it.
    let message = |n: usize, data: &str| {
        format!(r#"{{"type":"send","time":{n},"opcode":1,"data":"{}"}}"#, data.replace('"', "\\\""))
    };
    let early: Vec<String> = (0..2_000).map(|n| message(n, &format!(r#"{{"Seq":{n},"Note":"early"}}"#))).collect();
    let late: Vec<String> = (0..2_000).map(|n| message(n, r#"{"Password":"late-secret"}"#)).collect();
    let body = format!("{} Bearer tok-123 {} late-secret {}", "a ".repeat(400_000), "b".repeat(400_000), "c".repeat(9));
    let document = format!(
        concat!(
            r#"{{"log":{{"entries":[{{"_webSocketMessages":[{}]}},"#,
            r#"{{"response":{{"content":{{"text":"{}"}}}}}},"#,
            r#"{{"_webSocketMessages":[{}]}}]}}}}"#
        ),
        early.join(","),
        body,
        late.join(","),
    );
    let expected = document.replace("tok-123", "<redacted>").replace("late-secret", "<redacted>");
    for jobs in [1, 3] {
        let (result, out) = run(&document, Options { jobs, ..Options::default() });
        assert_eq!(result.unwrap().replaced, 2 + 2_000);
        assert!(out == expected, "with {jobs} jobs the output differs");
    }
}

#[test]
fn a_limit_below_an_item_walks_it_rather_than_refusing() {
    // Entries of about 8 KB each, 800 KB in all, under a limit of 10 KB: each is read token
    // by token, and only what is not yet written counts against the limit.
    let entries: Vec<String> = (0..100)
        .map(|n| {
            format!(
                r#"{{"n":{n},"pad":"{}","request":{{"headers":[{{"name":"X-Api-Key","value":"k{n}"}}]}}}}"#,
                "p".repeat(8_000)
            )
        })
        .collect();
    let document = format!(r#"{{"log":{{"entries":[{}]}}}}"#, entries.join(","));
    let (result, out) = run(&document, Options { max_bytes: 10_000, ..Options::default() });
    assert_eq!(result.unwrap().replaced, 100);
    let mut expected = document.clone();
    for n in (0..100).rev() {
        expected = expected.replace(&format!("\"k{n}\""), "\"<redacted>\"");
    }
    assert!(out == expected, "every key replaced, nothing else changed");
}
