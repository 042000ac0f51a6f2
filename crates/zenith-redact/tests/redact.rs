//! Redaction replaces exactly the credentials and changes no other byte: random captures, with
//! random credentials in every place and shape a capture can hold them, are redacted and
//! compared byte for byte with what they must become.

use base64::Engine;
use proptest::prelude::*;
use zenith_capture::Format;
use zenith_redact::{Options, RedactError, redact};

/// A piece of a capture: literal text, or a credential spelt some way and what it must become.
#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    Secret { written: String, becomes: &'static str, value: String },
}

#[derive(Clone, Debug, Default)]
struct Doc(Vec<Piece>);

impl Doc {
    fn text(mut self, text: &str) -> Doc {
        self.0.push(Piece::Text(text.to_owned()));
        self
    }
    fn secret(mut self, value: &str, written: &str, becomes: &'static str) -> Doc {
        self.0.push(Piece::Secret { written: written.to_owned(), becomes, value: value.to_owned() });
        self
    }
    fn doc(mut self, other: Doc) -> Doc {
        self.0.extend(other.0);
        self
    }
    fn input(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Secret { written, .. } => written,
            })
            .collect()
    }
    fn expected(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Secret { becomes, .. } => becomes,
            })
            .collect()
    }
    fn values(&self) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|p| if let Piece::Secret { value, .. } = p { Some(value.clone()) } else { None })
            .collect()
    }
    /// The same document inside a JSON string.
    fn escaped(&self) -> Doc {
        Doc(self
            .0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => Piece::Text(escape(t)),
                Piece::Secret { written, becomes, value } => {
                    Piece::Secret { written: escape(written), becomes, value: value.clone() }
                }
            })
            .collect())
    }
}

fn escape(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}

/// A credential of letters and digits only (for URLs and headers), of its own family so that
/// it never runs into the text around it.
fn url_safe(secret: &str) -> String {
    let hex: String = secret.bytes().take(8).map(|b| format!("{b:02x}")).collect();
    format!("U7r{hex}")
}

/// A credential as a JSON string's content: escaped, some letters written as `\uXXXX`.
fn spelt(value: &str, unicode: bool) -> String {
    let plain = escape(value);
    if !unicode {
        return plain;
    }
    plain.chars().map(|c| if c.is_ascii_lowercase() { format!("\\u{:04x}", c as u32) } else { c.to_string() }).collect()
}

/// A string value that is a credential.
fn string(value: &str, unicode: bool) -> Doc {
    Doc::default().text("\"").secret(value, &spelt(value, unicode), "<redacted>").text("\"")
}

/// Names under which a message may carry a credential, some written with escapes.
const NAMES: &[&str] = &[
    "Password",
    "Pass\\u0077ord",
    "password",
    "ClientSecret",
    "api-key",
    "Api Key",
    "X-Api-Key",
    "refresh_token",
    "AuthGrant",
    "AccessToken",
];

/// One message holding `secret` in one of many shapes, and maybe a copy of `earlier`.
fn message(shape: u8, secret: &str, earlier: &str, number: u32, unicode: bool) -> Doc {
    let id = format!("{number}7");
    let head = format!(r#"{{"Controller":"Auth","Topic":"AuthOwner","TransactionID":{id},"#);
    let name = NAMES[number as usize % NAMES.len()];
    match shape % 8 {
        0 => Doc::default()
            .text(&head)
            .text(&format!(r#""Data":{{"UserName":"u","{name}":"#))
            .doc(string(secret, unicode))
            .text("}}"),
        // The same key twice, and the same `Data` twice.
        1 => Doc::default()
            .text(&head)
            .text(r#""Data":{"Password":"#)
            .doc(string(secret, unicode))
            .text(r#","Password":"#)
            .doc(string(earlier, false))
            .text(r#"},"Data":{"Password":"#)
            .doc(string(secret, false))
            .text("}}"),
        // A number whose digits begin the TransactionID's.
        2 => Doc::default()
            .text(&head)
            .text(r#""Data":{"Password":"#)
            .secret(&number.to_string(), &number.to_string(), "0")
            .text(r#","Note":"order "#)
            .secret(&number.to_string(), &number.to_string(), "<redacted>")
            .text(r#" placed"}}"#),
        // A credential that is a container.
        3 => {
            let container = format!(r#"["{}",{{"k":"{}"}}]"#, escape(secret), escape(secret));
            Doc::default().text(&head).text(r#""Data":{"token":"#).secret(secret, &container, "[]").text("}}")
        }
        // A copy of an earlier credential in an error text, spelt with escapes.
        4 => Doc::default()
            .text(r#"{"Controller":"Auth","Action":"Error","TransactionID":1,"Data":"rejected "#)
            .secret(earlier, &spelt(earlier, unicode), "<redacted>")
            .text(r#" for user u"}"#),
        // JSON embedded in a string value.
        5 => {
            let inner = Doc::default().text(r#"{"password":"#).doc(string(secret, unicode)).text(r#","x":1}"#);
            Doc::default().text(&head).text(r#""Data":{"Note":""#).doc(inner.escaped()).text(r#""}}"#)
        }
        // A copy in a URL's query, and a credential named in it.
        6 => {
            let url_secret = url_safe(secret);
            Doc::default()
                .text(&head)
                .text(r#""Data":{"Blob":"see "#)
                .secret(earlier, &spelt(earlier, unicode), "<redacted>")
                .text(r#"","Url":"wss://h.example/z?v=2&access_token="#)
                .secret(&url_secret, &url_secret, "<redacted>")
                .text(r#"#x=1"}}"#)
        }
        // Nested deep, with a near-miss spelling.
        _ => Doc::default()
            .text(&head)
            .text(r#""Data":{"a":[{"b":{"Pasword":"#)
            .doc(string(secret, unicode))
            .text("}}]}}"),
    }
}

/// A JSON Lines line carrying `message` in one of the item shapes.
fn line(shape: u8, message: Doc, secret: &str) -> Doc {
    match shape % 5 {
        0 => message,
        1 => Doc::default()
            .text(r#"{"conn":"c1","type":"send","time":1.5,"opcode":1,"data":""#)
            .doc(message.escaped())
            .text("\"}"),
        2 => Doc::default().text(r#"{"type":"receive","data":"#).doc(message).text("}"),
        3 => Doc::default()
            .text(r#"{"type":"send","data":""#)
            .doc(message.escaped())
            .text(r#"","Password":"#)
            .doc(string(secret, false))
            .text("}"),
        _ => Doc::default()
            .text(r#"{"type":"x","data":"y","Controller":"Auth","Topic":"AuthOwner","Data":{"Password":"#)
            .doc(string(secret, false))
            .text(r#"},"m":"#)
            .doc(message)
            .text("}"),
    }
}

/// A HAR entry with credentials in every HTTP part, and `items` as its websocket messages.
fn entry(secret: &str, items: Vec<Doc>) -> Doc {
    let plain = url_safe(secret);
    let mut doc = Doc::default()
        .text(r#"{"_resourceType":"websocket","request":{"method":"GET","url":"wss://u:"#)
        .secret(&plain, &plain, "<redacted>")
        .text("@h.example/z?api-key=")
        .secret(&plain, &plain, "<redacted>")
        .text(";access_token=")
        .secret(&plain, &plain, "<redacted>")
        .text(r#"&v=2#id_token="#)
        .secret(&plain, &plain, "<redacted>")
        .text(r#"","headers":[{"name":"Authorization","value":"Bearer "#)
        .secret(secret, &escape(secret), "<redacted>")
        .text(r#""},{"value":""#)
        .secret(secret, &escape(secret), "<redacted>")
        .text(r#"","name":"X-Api-Key"},{"name":"Cookie","value":"a="#)
        .secret(&plain, &plain, "<redacted>")
        .text("; b=")
        .secret(&plain, &plain, "<redacted>")
        .text(r#""},{"name":"Accept","value":"*/*"}],"cookies":[{"name":"theme","value":"#)
        .doc(string(secret, false))
        .text(r#","path":"/"}],"queryString":[{"name":"key","value":"#)
        .doc(string(secret, true))
        .text(r#"}],"postData":{"mimeType":"application/x-www-form-urlencoded","text":"user=u&password="#)
        .secret(&plain, &plain, "<redacted>")
        .text(r#"","params":[{"name":"password","value":"#)
        .doc(string(secret, false))
        .text(r#"}]}},"response":{"status":101,"content":{"text":""#)
        .doc(Doc::default().text(r#"{"access_token":"#).doc(string(secret, false)).text("}").escaped())
        .text(r#""},"redirectURL":"https://h.example/cb#access_token="#)
        .secret(&plain, &plain, "<redacted>")
        .text(r#"&state=s"},"_webSocketMessages":["#);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            doc = doc.text(",");
        }
        doc = doc
            .text(r#"{"type":"send","time":1.25,"opcode":1,"data":""#)
            .doc(item.escaped())
            .text(r#"","_extra":{"token":"#)
            .doc(string(secret, false))
            .text("}}");
    }
    doc.text("]}")
}

fn run(format: Format, input: &str) -> Result<String, RedactError> {
    let mut out = Vec::new();
    redact(format, std::io::Cursor::new(input.as_bytes()), &mut out, Options::default())?;
    Ok(String::from_utf8(out).expect("output stays UTF-8"))
}

/// Every way a credential could still show in the output (numbers outside strings are
/// structure, never copies).
fn assert_gone(output: &str, values: &[String]) {
    for value in values.iter().filter(|v| !v.bytes().all(|b| b.is_ascii_digit())) {
        let once = escape(value);
        let groups = &value.as_bytes()[..value.len() / 3 * 3];
        let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(groups);
        // The input holds no base64 copy, and redaction must not write one.
        for form in [value.clone(), once.clone(), escape(&once), encoded] {
            if form.len() >= 4 {
                assert!(!output.contains(&form), "`{form}` survived in {output}");
            }
        }
    }
}

fn secrets() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("S3c[A-Za-z0-9 !#$%()*+,./:;<=>?@^_`{|}~\"\\\\é€😀-]{3,14}", 8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_credentials_are_replaced_and_nothing_else(
        secrets in secrets(),
        shapes in proptest::collection::vec((0u8..8, 0u8..5, any::<bool>(), 100_000u32..10_000_000), 1..12),
    ) {
        let mut capture = Doc::default();
        for (i, (message_shape, line_shape, unicode, number)) in shapes.into_iter().enumerate() {
            let secret = &secrets[i % secrets.len()];
            let earlier = &secrets[(i + 1) % secrets.len()];
            let message = message(message_shape, secret, earlier, number, unicode);
            capture = capture.doc(line(line_shape, message, secret)).text(if i % 2 == 0 { "\n" } else { "\r\n" });
        }
        // Every credential is also sent plainly, after its copies.
        for secret in &secrets {
            capture = capture.doc(message(0, secret, secret, 1, false)).text("\n");
        }
        // A copy before the credential itself is replaced too.
        capture = Doc::default().text(r#"{"log":"seen "#).secret(&secrets[1], &escape(&secrets[1]), "<redacted>").text("\"}\n").doc(capture);
        let output = run(Format::Jsonl, &capture.input()).unwrap();
        prop_assert_eq!(&output, &capture.expected());
        assert_gone(&output, &capture.values());
    }

    #[test]
    fn har_credentials_are_replaced_and_nothing_else(
        secrets in secrets(),
        shapes in proptest::collection::vec((0u8..8, any::<bool>(), 100_000u32..10_000_000), 1..8),
        log_last in any::<bool>(),
    ) {
        let items: Vec<Doc> = shapes
            .into_iter()
            .enumerate()
            .map(|(i, (shape, unicode, number))| message(shape, &secrets[i % secrets.len()], &secrets[(i + 1) % secrets.len()], number, unicode))
            .chain(secrets.iter().map(|secret| message(0, secret, secret, 1, false)))
            .collect();
        let log = Doc::default().text(r#""log":{"version":"1.2","entries":["#).doc(entry(&secrets[0], items)).text("]}");
        let comment = Doc::default().text(r#""comment":"exported""#);
        let har = if log_last {
            Doc::default().text("{").doc(comment).text(",\n ").doc(log).text("}\n")
        } else {
            Doc::default().text("\u{feff}{ ").doc(log).text(", ").doc(comment).text(" }")
        };
        let input = har.input();
        prop_assert_eq!(zenith_capture::detect_prefix(input.as_bytes()), Format::Har);
        let output = run(Format::Har, &input).unwrap();
        prop_assert_eq!(&output, &har.expected());
        assert_gone(&output, &har.values());
    }
}

#[test]
fn short_credentials_are_replaced_where_they_stand_alone() {
    let input = concat!(
        r#"{"Controller":"Auth","Topic":"AuthOwner","Data":{"Password":"ab1"}}"#,
        "\n",
        r#"{"Action":"Error","Data":"bad password ab1; try (ab1) not xab1y"}"#,
        "\n"
    );
    let output = run(Format::Jsonl, input).unwrap();
    assert_eq!(
        output,
        concat!(
            r#"{"Controller":"Auth","Topic":"AuthOwner","Data":{"Password":"<redacted>"}}"#,
            "\n",
            r#"{"Action":"Error","Data":"bad password <redacted>; try (<redacted>) not xab1y"}"#,
            "\n"
        )
    );
}

#[test]
fn copies_are_replaced_in_values_only_never_in_keys_numbers_or_layout() {
    let input = concat!(
        "{ \"Controller\" : \"Auth\", \"Data\": {\"Password\": \"Controller\", \"n\": 1e0, \"x\": 1.10, \"big\": 123456789012345678901234567890, \"e\": \"\\u00e9\\/\"} }\n",
        "{\"Controller\":\"Auth\",\"Data\":{\"Password\":123456},\"TransactionID\":1234567,\"Note\":\"Controller\"}\n",
    );
    let output = run(Format::Jsonl, input).unwrap();
    assert_eq!(
        output,
        concat!(
            "{ \"Controller\" : \"Auth\", \"Data\": {\"Password\": \"<redacted>\", \"n\": 1e0, \"x\": 1.10, \"big\": 123456789012345678901234567890, \"e\": \"\\u00e9\\/\"} }\n",
            "{\"Controller\":\"Auth\",\"Data\":{\"Password\":0},\"TransactionID\":1234567,\"Note\":\"<redacted>\"}\n",
        )
    );
}

#[test]
fn what_cannot_be_redacted_for_certain_is_refused_unless_forced() {
    let input = concat!(
        "{\"type\":\"send\",\"opcode\":2,\"data\":\"AAEC\"}\n",
        "not json password=hunter22\n",
        "{\"type\":\"send\",\"data\":\"{\\\"Password\\\":\\\"x\"}\n",
        "\u{ff}\n"
    );
    let mut bytes = input.as_bytes().to_vec();
    bytes.pop();
    bytes.pop();
    bytes.extend_from_slice(b"\xff\n");
    let mut out = Vec::new();
    let refused = redact(Format::Jsonl, std::io::Cursor::new(&bytes), &mut out, Options::default());
    let Err(RedactError::Unreadable(parts)) = refused else { panic!("{refused:?}") };
    let lines: Vec<u64> = parts.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 2, 3, 4], "{parts:?}");
    assert!(out.is_empty());
    let forced =
        redact(Format::Jsonl, std::io::Cursor::new(&bytes), &mut out, Options { force: true, ..Options::default() });
    assert_eq!(forced.unwrap().unredacted.len(), 4);
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("hunter22") && text.contains("password=<redacted>"), "{text}");
    assert!(text.contains(r#"\"Password\\\":\\\"<redacted>"#) || !text.contains("\\\"x\""), "{text}");
}

#[test]
fn malformed_har_is_refused_with_its_line() {
    let mut out = Vec::new();
    let result = redact(
        Format::Har,
        std::io::Cursor::new(b"{\"log\": {\n\"entries\": [\n{\"a\": }]}}"),
        &mut out,
        Options::default(),
    );
    let Err(RedactError::MalformedHar { line, column, .. }) = result else { panic!("{result:?}") };
    assert_eq!((line, column), (3, 7));
    assert!(out.is_empty());
}

#[test]
fn deep_nesting_is_walked_and_too_deep_is_refused() {
    let nested = |depth: usize| format!("{}{{\"Password\":\"deep-secret\"}}{}", "[".repeat(depth), "]".repeat(depth));
    let line = format!("{}\n", nested(5_000));
    assert_eq!(run(Format::Jsonl, &line).unwrap(), line.replace("deep-secret", "<redacted>"));
    let har = format!("{{\"log\":{}}}", nested(5_000));
    assert_eq!(run(Format::Har, &har).unwrap(), har.replace("deep-secret", "<redacted>"));
    let too_deep = format!("{}\n", nested(1_000_000));
    let Err(RedactError::Unreadable(parts)) = run(Format::Jsonl, &too_deep) else { panic!() };
    assert!(parts[0].reason.contains("nested deeper than 10000 levels"), "{parts:?}");
    let Err(RedactError::MalformedHar { reason, .. }) = run(Format::Har, &format!("{{\"log\":{}}}", nested(1_000_000)))
    else {
        panic!()
    };
    assert!(reason.contains("nested deeper than 10000 levels"), "{reason}");
}

#[test]
fn copies_spelt_with_other_escapes_are_found_in_lines_with_nothing_else() {
    let nested =
        serde_json::to_string(&serde_json::to_string(&serde_json::json!({"t": "say \"hi\" now"})).unwrap()).unwrap();
    let input = format!(
        "{}\n{}\n{}\n{}\n",
        r#"{"Password":"a/b/c-secret","Token":"say \"hi\" now"}"#,
        r#"{"note":"x a\/b\/c-secret y"}"#,
        r#"{"note":"x \u0061/b/c-secret y"}"#,
        format_args!(r#"{{"data":{}}}"#, serde_json::to_string(&format!("{{\"m\":{nested}}}")).unwrap()),
    );
    let output = run(Format::Jsonl, &input).unwrap();
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines[1], r#"{"note":"x <redacted> y"}"#);
    assert_eq!(lines[2], r#"{"note":"x <redacted> y"}"#);
    assert!(!lines[3].contains("hi"), "a copy three levels down: {}", lines[3]);
}

/// The same rules walked over the whole document in memory: what streaming must produce.
fn in_memory(document: &str) -> String {
    let mut known = zenith_redact::Secrets::with_limit(usize::MAX);
    for credential in zenith_redact::credentials(document) {
        known.remember(&credential);
    }
    known.prepare();
    zenith_redact::scrub(document, &known)
}

#[test]
fn har_values_cut_out_whole_are_redacted_as_in_their_place() {
    // A `value` held back for its name, a list of cookies and a credential object: what sits
    // in them depends on what is around it, so it must not be taken on its own.
    let tricky = concat!(
        r#""t1":{"name":"a","value":[{"x":"plain"},{"Password":"held-1"}]},"#,
        r#""t2":{"value":[{"x":"hunter-copy"},{"y":1}],"name":"X-Api-Token"},"#,
        r#""cookies":[{"name":"sid","value":"cookie-1"},{"name":"b","value":"cookie-2"}],"#,
        r#""secret":[{"a":"in-secret-1"},{"b":2}],"#,
        r#""messages":[{"type":"send","time":1,"opcode":1,"data":"{\"Password\":\"hunter-copy\"}"}]"#,
    );
    // Numbers and strings of every length, so that some fall across the 64 KiB reads; a number
    // credential among them.
    let numbers: Vec<String> = (0..30_000u64).map(|n| (n * 7919 % 1_000_003).to_string()).collect();
    let strings: Vec<String> = (0..3_000).map(|n| format!(r#"{{"n":"{}","pin":{n}}}"#, "x".repeat(n % 97))).collect();
    // An item too long to be cut out whole, walked token by token, with the others inside.
    let long =
        format!(r#"{{"pad":"{}","Password":"long-1","more":[{{"token":"long-2"}}],{tricky}}}"#, "y".repeat(1_100_000));
    let document = format!(
        "{{\"log\":{{\"entries\":[{{{tricky}}},\n{},\n{long}],\"ids\":[{}],\"pin\":12345,\"note\":\"copy: hunter-copy\"}}}}\n",
        strings.join(",\n"),
        numbers.join(","),
    );
    let expected = in_memory(&document);
    assert_ne!(expected, document);
    for copy in ["held-1", "hunter-copy", "cookie-1", "cookie-2", "in-secret-1", "long-1", "long-2"] {
        assert!(!expected.contains(copy), "{copy}");
    }
    for jobs in [1, 3] {
        let mut out = Vec::new();
        let options = Options { jobs, ..Options::default() };
        redact(Format::Har, std::io::Cursor::new(document.as_bytes()), &mut out, options).unwrap();
        assert!(out == expected.as_bytes(), "with {jobs} jobs the output differs from the in-memory walk");
    }
}

#[test]
fn har_errors_are_found_at_their_place_across_reads() {
    let strings: Vec<String> = (0..5_000).map(|n| format!(r#"{{"n":"{}"}}"#, "x".repeat(n % 31))).collect();
    let body = strings.join(",\n");
    let lines = body.lines().count() as u64;
    for (broken, column) in [(r#"{"n":tru}"#, 9), (r#"{"n":"a"]"#, 9), ("{\"n\":1.}", 8)] {
        let document = format!("{{\"log\":{{\"entries\":[{body},\n{broken}]}}}}");
        let Err(RedactError::MalformedHar { line, column: at, .. }) = run(Format::Har, &document) else {
            panic!("{broken} was accepted")
        };
        assert_eq!((line, at), (lines + 1, column), "{broken}");
    }
    let Err(RedactError::MalformedHar { reason, .. }) = run(Format::Har, &format!("{{\"log\":[{body}")) else {
        panic!()
    };
    assert!(reason.contains("ends too early"), "{reason}");
    let Err(RedactError::MalformedHar { reason, .. }) = run(Format::Har, "{\"log\":{}} {}") else { panic!() };
    assert!(reason.contains("follows the end"), "{reason}");
}

#[test]
fn keys_subprotocols_pins_and_encoded_names_hold_credentials() {
    let har = concat!(
        r#"{"log":{"entries":[{"request":{"url":"wss://h/z?pass%77ord=pw1&api%5Fkey=k2","headers":["#,
        r#"{"name":"Sec-WebSocket-Protocol","value":"ZenithJson, access_token, tok3"}]},"#,
        r#""_webSocketMessages":[{"type":"send","opcode":1,"data":"{\"Data\":{\"Pin\":\"4321\",\"MFACode\":\"m5\",\"Shipping\":\"s6\",\"password=pw7\":1,\"Bearer tok8\":2}}"}]}]}}"#
    );
    assert_eq!(
        run(Format::Har, har).unwrap(),
        concat!(
            r#"{"log":{"entries":[{"request":{"url":"wss://h/z?pass%77ord=<redacted>&api%5Fkey=<redacted>","headers":["#,
            r#"{"name":"Sec-WebSocket-Protocol","value":"ZenithJson, access_token, <redacted>"}]},"#,
            r#""_webSocketMessages":[{"type":"send","opcode":1,"data":"{\"Data\":{\"Pin\":\"<redacted>\",\"MFACode\":\"<redacted>\",\"Shipping\":\"s6\",\"password=<redacted>\":0,\"Bearer <redacted>\":2}}"}]}]}}"#
        )
    );
}

#[test]
fn free_text_is_also_read_with_its_escapes_decoded() {
    let input = concat!(
        r#"log {"Pass\u0077ord": "pw-one"} and https:\/\/user:pw-two@host\/x, api\u005fkey=k-three"#,
        "\n",
        r#"{"Note":"pw-one again"}"#,
        "\n"
    );
    let mut out = Vec::new();
    let options = Options { force: true, ..Options::default() };
    redact(Format::Jsonl, std::io::Cursor::new(input.as_bytes()), &mut out, options).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        concat!(
            r#"log {"Pass\u0077ord": "<redacted>"} and https:\/\/user:<redacted>@host\/x, api\u005fkey=<redacted>"#,
            "\n",
            r#"{"Note":"<redacted> again"}"#,
            "\n"
        )
    );
}

#[test]
fn encoded_urls_scheme_white_space_and_encoded_copies_are_replaced_byte_for_byte() {
    use base64::engine::general_purpose::STANDARD;
    let basic = STANDARD.encode("user:PwBasic-8");
    let copy = STANDARD.encode("S3cret/+ =&%");
    let input = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n",
        r#"{"Password":"S3cret/+ =&%","Authorization":"Basic BASIC"}"#.replace("BASIC", &basic),
        r#"{"Note":"encoded twice: S3cret%252F%252B%2520%253D%2526%2525."}"#,
        r#"{"Note":"a S3cret%2F%2B%20%3D%26%25 b S3cret%2F%2B+%3D%26%25 c COPY d PwBasic-8"}"#.replace("COPY", &copy),
        r#"{"Topic":"https://h/login?next=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3DTokA1%26state%3D1"}"#,
        r#"{"Note":"x password%3DPwB2 token%253DTokC3 pass%2577ord=PwD4 user%3Aname=1"}"#,
        r#"{"Note":"Bearer\tTokE5, Bearer\nTokF6, see //u:PwG7@h/x"}"#,
    );
    assert_eq!(
        run(Format::Jsonl, &input).unwrap(),
        concat!(
            r#"{"Password":"<redacted>","Authorization":"<redacted>"}"#,
            "\n",
            r#"{"Note":"encoded twice: <redacted>."}"#,
            "\n",
            r#"{"Note":"a <redacted> b <redacted> c <redacted> d <redacted>"}"#,
            "\n",
            r#"{"Topic":"https://h/login?next=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3D<redacted>%26state%3D1"}"#,
            "\n",
            r#"{"Note":"x password%3D<redacted> token%253D<redacted> pass%2577ord=<redacted> user%3Aname=1"}"#,
            "\n",
            r#"{"Note":"Bearer\t<redacted>, Bearer\n<redacted>, see //u:<redacted>@h/x"}"#,
            "\n",
        )
    );
}

#[test]
fn a_long_run_of_percent_signs_is_read_in_pieces_without_failing() {
    // Free text percent-decoded in pieces: a word of nothing but `%` leaves no escape to cut
    // before, yet must still be cut somewhere.
    let word = "%".repeat(300_000);
    let input = format!("log password%3Dpw-one {word}\n{{\"Note\":\"pw-one\"}}\n");
    let mut out = Vec::new();
    let options = Options { force: true, ..Options::default() };
    redact(Format::Jsonl, std::io::Cursor::new(input.as_bytes()), &mut out, options).unwrap();
    let expected = format!("log password%3D<redacted> {word}\n{{\"Note\":\"<redacted>\"}}\n");
    assert!(String::from_utf8(out).unwrap() == expected, "only the credential and its copy change");
}
