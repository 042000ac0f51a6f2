//! No credential, nor a copy of one, in anything `zenith` prints: `check` (for people and as
//! JSON), `redact`, `replay` and `explain`, whatever the capture's format and wherever in it the
//! credential sits. Each capture here holds credentials, then a message that quotes copies of
//! them (as an unknown topic, which every finding about it names).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use serde_json::{Value, json};

/// What `zenith args` printed, standard output then standard error, given `stdin`.
fn zenith(args: &[&str], stdin: &[u8]) -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let input = write(&format!("stdin-{}", RUNS.fetch_add(1, Ordering::Relaxed)), stdin);
    let mut command = Command::new(env!("CARGO_BIN_EXE_zenith"));
    let run = command.args(args).current_dir(test_kit::root()).stdin(std::fs::File::open(input).unwrap());
    let output = run.output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// A file of the test's own directory, written.
fn write(name: &str, bytes: &[u8]) -> PathBuf {
    test_kit::scratch_file("credentials", name, bytes)
}

/// A file of the test's own directory.
fn file(name: &str) -> PathBuf {
    test_kit::scratch_dir("credentials").join(name)
}

/// What `zenith check` prints of a capture, for people and as JSON.
fn check(path: &Path) -> String {
    let path = path.to_str().unwrap();
    zenith(&["check", "--color", "never", path], b"") + &zenith(&["check", "--format", "json", path], b"")
}

#[track_caller]
fn assert_hidden(output: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!output.contains(secret), "`{secret}` is shown:\n{output}");
    }
}

/// A message with copies of `secrets` in its topic, which no schema knows: every finding about
/// it quotes them.
fn quoting(secrets: &[&str]) -> String {
    json!({"Controller": "Zenith", "Topic": secrets.join(" "), "Action": "Sub", "TransactionID": 99}).to_string()
}

/// JSON Lines of HAR-style items sent by the client.
fn sent(items: &[Value]) -> Vec<u8> {
    items.iter().map(|item| format!("{item}\n")).collect::<String>().into_bytes()
}

fn item(data: &str) -> Value {
    json!({"type": "send", "opcode": 1, "data": data})
}

fn binary_item(bytes: &[u8]) -> Value {
    json!({"type": "send", "opcode": 2, "data": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

#[test]
fn check_learns_the_credentials_of_har_headers_cookies_urls_and_item_fields() {
    let secrets = ["UrlTok11", "HdrTok12", "KeyHdr13", "Cookie14", "SetCk15", "ItemTok16", "PctPw17", "PctKey18"];
    let har = json!({"log": {"entries": [
        {"request": {"url": "https://h/login?user=u&api%5Fkey=PctKey18", "headers": []}, "response": {}},
        {"_resourceType": "websocket",
         "request": {"url": "wss://h/z?access_token=UrlTok11&pass%77ord=PctPw17",
                     "headers": [{"name": "Authorization", "value": "Bearer HdrTok12"},
                                 {"name": "X-Api-Key", "value": "KeyHdr13"}],
                     "cookies": [{"name": "sid", "value": "Cookie14"}]},
         "response": {"status": 101, "headers": [{"name": "Set-Cookie", "value": "s=SetCk15; Path=/"}]},
         "_webSocketMessages": [
            {"type": "send", "time": 1, "opcode": 1, "data": "{}", "token": "ItemTok16"},
            {"type": "send", "time": 2, "opcode": 1, "data": quoting(&secrets)}]}]}});
    assert_hidden(&check(&write("entries.har", har.to_string().as_bytes())), &secrets);
}

#[test]
fn check_learns_the_credentials_of_every_other_member_of_a_har() {
    let secrets =
        ["PostText21", "PostParam22", "Comment23", "Initiator24", "Creator25", "PageTitle26", "BodyTok27", "LateTok28"];
    // A long body: its credential comes well past the part handed to the parser whole.
    let long_body = format!("{}&password=LateTok28&{}", "x=1&".repeat(400_000), "y".repeat(100));
    let har = json!({"log": {"creator": {"name": "x", "comment": "password=Creator25"},
        "pages": [{"id": "p", "title": "https://u:PageTitle26@h/"}],
        "entries": [
        {"request": {"method": "POST", "url": "https://h/login",
                     "postData": {"text": "user=a&password=PostText21", "params": [{"name": "passcode", "value": "PostParam22"}]}},
         "response": {"content": {"text": "{\"access_token\":\"BodyTok27\"}", "mimeType": "application/json"}},
         "comment": "token=Comment23", "_initiator": {"url": "https://h/?api_key=Initiator24"}},
        {"request": {"postData": {"text": long_body}}, "response": {}},
        {"_resourceType": "websocket",
         "_webSocketMessages": [{"type": "send", "time": 2, "opcode": 1, "data": quoting(&secrets)}]}]}});
    assert_hidden(&check(&write("members.har", har.to_string().as_bytes())), &secrets);
}

#[test]
fn a_credential_too_long_to_learn_whole_withholds_values_and_a_long_body_does_not() {
    let websocket = |topic: &str| {
        json!({"_resourceType": "websocket", "_webSocketMessages": [
            {"type": "send", "time": 1, "opcode": 1, "data": quoting(&[topic])}]})
    };
    // A token of 100,000 characters: only its start is learnt, so its tail could show.
    let token = format!("T0k{}", "Q".repeat(99_980)) + "EndOfTokenZ";
    let header = json!({"name": "Authorization", "value": format!("Bearer {token}")});
    let har = json!({"log": {"entries": [{"request": {"headers": [header]}}, websocket(&token[90_000..])]}});
    let output = check(&write("long-token.har", har.to_string().as_bytes()));
    assert_hidden(&output, &["EndOfTokenZ"]);
    assert!(output.contains("too many credentials in this capture"), "{output}");
    // A long script body holds no such credential: values are shown as usual.
    let script = "function f(a, b) { return a + b; }\n".repeat(20_000);
    let har = json!({"log": {"entries": [
        {"response": {"content": {"text": script, "mimeType": "text/javascript"}}}, websocket("PlainTopicZ")]}});
    let output = check(&write("long-body.har", har.to_string().as_bytes()));
    assert!(output.contains("PlainTopicZ") && !output.contains("too many credentials"), "{output}");
}

#[test]
fn check_learns_the_credentials_given_beside_a_json_lines_items_data() {
    let beside = json!({"type": "send", "data": "{}", "conn": "1", "token": "Beside21", "auth": {"pin": "Beside22"}});
    let named = json!({"type": "send", "data": "{}", "conn": "wss://u:Beside23@h"});
    let secrets = ["Beside21", "Beside22", "Beside23"];
    let lines = sent(&[beside, named, item(&quoting(&secrets))]);
    assert_hidden(&check(&write("beside.jsonl", &lines)), &secrets);
}

#[test]
fn check_learns_the_credentials_of_a_packet_captures_upgrade_request() {
    let secrets = ["QueryTok31", "HdrTok32", "Cookie33", "Subproto34", "PctKey35"];
    let path = file("upgrade.pcap");
    let mut pcap = capture_bench::PcapOut::new(std::fs::File::create(&path).unwrap());
    let mut connection = pcap.open(40001);
    let request = "GET /Zenith?version=2.0&access_token=QueryTok31&api%5Fkey=PctKey35 HTTP/1.1\r\nHost: h\r\n\
                   Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                   Authorization: Bearer HdrTok32\r\nCookie: session=Cookie33\r\n\
                   Sec-WebSocket-Protocol: ZenithJson, access_token, Subproto34\r\n\r\n";
    pcap.data(&mut connection, true, request.as_bytes());
    pcap.data(&mut connection, false, &capture_bench::upgrade_reply("ZenithJson"));
    pcap.frame(&mut connection, true, 1, quoting(&secrets).as_bytes());
    drop(pcap);
    let output = check(&path);
    assert!(output.contains("websocket-upgrade"), "{output}");
    assert_hidden(&output, &secrets);
}

/// A MessagePack string or binary value: str 8 or bin 8.
fn packed(marker: u8, bytes: &[u8]) -> Vec<u8> {
    [&[marker, bytes.len() as u8][..], bytes].concat()
}

/// A MessagePack map of entries already packed.
fn packed_map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut map = vec![0x80 | entries.len() as u8];
    for (key, value) in entries {
        map.extend_from_slice(key);
        map.extend_from_slice(value);
    }
    map
}

/// A BSON document of elements already written (type, key and value).
fn bson(elements: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = elements.concat();
    [&((body.len() + 5) as i32).to_le_bytes()[..], &body, &[0]].concat()
}

fn bson_element(kind: u8, key: &str, value: &[u8]) -> Vec<u8> {
    [&[kind][..], key.as_bytes(), &[0], value].concat()
}

fn bson_text(key: &str, text: &str) -> Vec<u8> {
    let value = [&((text.len() + 1) as i32).to_le_bytes()[..], text.as_bytes(), &[0]].concat();
    bson_element(2, key, &value)
}

#[test]
fn check_reads_binary_values_and_keys_for_credentials() {
    let text = |s: &str| packed(0xd9, s.as_bytes());
    let owner = packed_map(&[
        (text("Controller"), text("Auth")),
        (text("Topic"), text("AuthOwner")),
        (text("TransactionID"), vec![1]),
        (
            text("Data"),
            packed_map(&[
                (text("Provider"), text("P")),
                (text("ClientID"), text("C")),
                (text("UserName"), text("u")),
                (text("Password"), packed(0xc4, b"BinPw41")),
            ]),
        ),
    ]);
    let keys = packed_map(&[
        (text("Controller"), text("Market")),
        (text("Topic"), text("Security!BHP.ASX")),
        (text("Action"), text("Sub")),
        (packed(0xc4, b"Bearer BinTok42"), text("x")),
        (text("password=BinPw43"), text("y")),
        (packed(0xc4, b"Password"), text("BinPw44")),
    ]);
    let password = [&8i32.to_le_bytes()[..], &[0], b"BsonPw45"].concat();
    let data = bson(&[
        bson_text("Provider", "P"),
        bson_text("ClientID", "C"),
        bson_text("UserName", "u"),
        bson_element(5, "Password", &password),
    ]);
    let document = bson(&[
        bson_text("Controller", "Auth"),
        bson_text("Topic", "AuthOwner"),
        bson_element(0x10, "TransactionID", &2i32.to_le_bytes()),
        bson_element(3, "Data", &data),
    ]);
    let secrets = ["BinPw41", "BinTok42", "BinPw43", "BinPw44", "BsonPw45"];
    let lines = sent(&[binary_item(&owner), binary_item(&keys), binary_item(&document), item(&quoting(&secrets))]);
    let output = check(&write("binary.jsonl", &lines));
    assert!(output.contains("no-json-equivalent"), "{output}");
    assert_hidden(&output, &secrets);
}

/// An `AuthOwner` request with `more` members in its data, each reported as undocumented.
fn owner(more: Value) -> String {
    let mut data = json!({"Provider": "P", "ClientID": "C", "UserName": "u", "Password": "x"});
    data.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
    json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1, "Data": data}).to_string()
}

#[test]
fn paths_and_excerpts_hide_credentials_in_property_names() {
    let message = owner(json!({"password=PathPw51": 1, "Bearer PathTok52": 2, "https://u:PathPw53@h/x": 3}));
    let lines = sent(&[item(&message), item(&quoting(&["PathPw51", "PathTok52", "PathPw53"]))]);
    let output = check(&write("paths.jsonl", &lines));
    assert!(output.contains("/Data/password=<redacted>"), "{output}");
    assert_hidden(&output, &["PathPw51", "PathTok52", "PathPw53"]);
}

#[test]
fn credential_named_keys_of_free_form_maps_in_valid_messages_are_learned() {
    let channel = json!({"Controller": "Channel", "Topic": "CreateChannel", "TransactionID": 1, "Data": {
        "Parameters": {"Type": "Push.Web", "Settings": {"endpoint": "https://push.invalid/x", "keys": {"auth": "a", "p256dh": "b"}}},
        "Details": {"Name": "Phone", "Metadata": {"Category": "Phone", "api_key": "MetaKey61", "pin": "MetaPin62"}}}});
    let alone = write("channel.jsonl", &sent(&[item(&channel.to_string())]));
    let output = zenith(&["check", "--format", "json", alone.to_str().unwrap()], b"");
    assert!(output.contains(r#""valid":1,"#), "the channel message is valid: {output}");
    let lines = sent(&[item(&channel.to_string()), item(&quoting(&["MetaKey61", "MetaPin62"]))]);
    assert_hidden(&check(&write("metadata.jsonl", &lines)), &["MetaKey61", "MetaPin62"]);
}

#[test]
fn escaped_credentials_in_lines_that_are_not_json_are_found() {
    let line = r#"log: {"Pass\u0077ord": "EscPw71"} and https:\/\/user:EscPw72@host\/x"#;
    let path = write("escaped.jsonl", format!("{line}\n{}\n", item(&quoting(&["EscPw71", "EscPw72"]))).as_bytes());
    let output = check(&path);
    assert!(output.contains("not-json"), "{output}");
    assert_hidden(&output, &["EscPw71", "EscPw72"]);
    let redacted = zenith(&["redact", "--force", path.to_str().unwrap()], b"");
    assert!(redacted.contains("Pass\\u0077ord"), "{redacted}");
    assert_hidden(&redacted, &["EscPw71", "EscPw72"]);
}

#[test]
fn copies_of_credentials_past_the_first_thousand_are_hidden() {
    let owner = |n: usize| {
        let data = json!({"Provider": "P", "ClientID": "C", "UserName": "u", "Password": format!("Many-{n:04}-pw")});
        item(&json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": n, "Data": data}).to_string())
    };
    let mut items: Vec<Value> = (1..=1100).map(owner).collect();
    items.push(item(&quoting(&["Many-1099-pw", "Many-0001-pw"])));
    let output = check(&write("many.jsonl", &sent(&items)));
    assert!(output.contains("unknown-topic"), "{output}");
    assert_hidden(&output, &["Many-1099-pw", "Many-0001-pw"]);
}

#[test]
fn pins_and_one_time_codes_are_credentials() {
    let secrets = ["Pin81", "Pin82", "Otp83", "Pass84", "Tfa85", "Mfa86", "Ver87", "Sec88", "Totp89"];
    let owner = owner(json!({"Pin": "Pin81", "PIN": "Pin82", "OTP": "Otp83", "Passcode": "Pass84",
        "TwoFactorCode": "Tfa85", "MFACode": "Mfa86", "VerificationCode": "Ver87", "SecurityCode": "Sec88",
        "TOTP": "Totp89", "Shipping": "Ship80"}));
    let path = write("pins.jsonl", &sent(&[item(&owner), item(&quoting(&secrets))]));
    let output = check(&path);
    assert!(output.contains("/Data/Shipping"), "{output}");
    assert_hidden(&output, &secrets);
    let redacted = zenith(&["redact", path.to_str().unwrap()], b"");
    assert!(redacted.contains("Ship80"), "an ordinary word is left: {redacted}");
    assert_hidden(&redacted, &secrets);
}

#[test]
fn percent_encoded_parameter_names_are_read_decoded() {
    let note = owner(json!({"Note": "user=u&pass%77ord=PctPw91", "Url": "https://h/?api%5Fkey=PctKey92"}));
    let path = write("percent.jsonl", &sent(&[item(&note), item(&quoting(&["PctPw91", "PctKey92"]))]));
    assert_hidden(&check(&path), &["PctPw91", "PctKey92"]);
    assert_hidden(&zenith(&["redact", path.to_str().unwrap()], b""), &["PctPw91", "PctKey92"]);
}

#[test]
fn replay_hides_copies_of_every_credential_of_the_capture() {
    let owner = json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1,
        "Data": {"Provider": "P", "ClientID": "C", "UserName": "u", "Password": "ReplayPw01"}});
    let security = json!({"Controller": "Market", "Topic": "Security!BHP.ASX",
        "Data": {"Code": "BHP", "Market": "ASX", "Name": "ReplayPw01", "Class": "Market"}});
    let pushed = json!({"type": "receive", "opcode": 1, "data": security.to_string()});
    let path = write("replay.jsonl", &sent(&[item(&owner.to_string()), pushed]));
    let path = path.to_str().unwrap();
    for format in ["human", "json"] {
        let output = zenith(&["replay", path, "--topic", "Security!BHP.ASX", "--format", format], b"");
        assert!(output.contains("BHP"), "{output}");
        assert_hidden(&output, &["ReplayPw01"]);
    }
}

#[test]
fn replay_withholds_values_when_a_credential_was_too_long_to_learn_whole() {
    let token = format!("T0k{}EndOfTokenR", "R".repeat(99_980));
    let security = json!({"Controller": "Market", "Topic": "Security!BHP.ASX",
        "Data": {"Code": "BHP", "Market": "ASX", "Name": &token[90_000..], "Class": "Market"}});
    let har = json!({"log": {"entries": [
        {"request": {"headers": [{"name": "Authorization", "value": format!("Bearer {token}")}]}},
        {"_resourceType": "websocket", "_webSocketMessages": [
            {"type": "receive", "time": 1, "opcode": 1, "data": security.to_string()}]}]}});
    let path = write("replay-long-token.har", har.to_string().as_bytes());
    let output = zenith(&["replay", path.to_str().unwrap(), "--topic", "Security!BHP.ASX"], b"");
    assert!(output.contains("Name"), "{output}");
    assert_hidden(&output, &["EndOfTokenR"]);
}

#[test]
fn explain_hides_the_credentials_of_the_message_it_is_given() {
    // Each undocumented property is named in what is said of the message.
    let message = json!({"Controller": "Auth", "Topic": "AuthOwner", "TransactionID": 1, "Data": {
        "Provider": "P", "ClientID": "C", "UserName": "u", "Password": "ExplPw01",
        "ExplPw01": 1, "password=ExplPw02": 2, "Bearer ExplTok03": 3, "?access_token=ExplTok04": 4}});
    let secrets = ["ExplPw01", "ExplPw02", "ExplTok03", "ExplTok04"];
    for format in ["human", "json"] {
        let output = zenith(&["explain", "-", "--format", format], message.to_string().as_bytes());
        assert!(output.contains("AuthOwner"), "{output}");
        assert_hidden(&output, &secrets);
    }
    let unknown = json!({"Controller": "Auth", "Topic": "Bearer ExplTok06", "Data": {"Password": "ExplPw07"}});
    let output = zenith(&["explain", "-"], unknown.to_string().as_bytes());
    assert_hidden(&output, &["ExplTok06"]);
}

#[test]
fn encoded_urls_scheme_white_space_basic_passwords_and_encoded_copies_are_hidden() {
    let basic = base64::engine::general_purpose::STANDARD.encode("user:EncPw05");
    let owner = owner(json!({"Password": "EncPw06/+ =&%",
        "Next": "https://h/login?next=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3DEncTok01%26state%3D1",
        "Note": "x pass%2577ord=EncPw02", "Said": "Bearer\tEncTok03", "Link": "//u:EncPw04@h/x",
        "Auth": "Bearer\nEncTok07",
        "Header": format!("Authorization: Basic {basic}")}));
    let copies = ["EncPw06%2F%2B%20%3D%26%25", "EncPw06%2F%2B+%3D%26%25", "RW5jUHcwNi8rID0mJQ"];
    let plain = ["EncTok01", "EncPw02", "EncTok03", "EncPw04", "EncPw05", "EncTok07"];
    let quoted: Vec<&str> = plain.iter().chain(&copies).copied().collect();
    let path = write("encoded.jsonl", &sent(&[item(&owner), item(&quoting(&quoted))]));
    let output = check(&path);
    assert!(output.contains("unknown-topic"), "{output}");
    assert_hidden(&output, &quoted);
    assert_hidden(&zenith(&["redact", path.to_str().unwrap()], b""), &quoted);
    let explained = zenith(&["explain", "-"], owner.as_bytes());
    assert!(explained.contains("AuthOwner"), "{explained}");
    assert_hidden(&explained, &plain);
}

#[test]
fn check_learns_the_credentials_of_a_message_item_that_is_only_a_string() {
    let har = json!({"log": {"entries": [{"_resourceType": "websocket", "_webSocketMessages": [
        "password=ScalarPw31",
        item(&quoting(&["ScalarPw31"])),
    ]}]}});
    let output = check(&write("scalar-item.har", har.to_string().as_bytes()));
    assert!(output.contains("unknown-topic") || output.contains("error"), "{output}");
    assert_hidden(&output, &["ScalarPw31"]);
}
