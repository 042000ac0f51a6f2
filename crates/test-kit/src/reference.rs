//! The reference's example messages as its fact tables hold them: JSON, JavaScript, or broken.

use serde_json::Value;

/// One example message of the reference, as written there.
pub struct ReferenceExample {
    /// The fact table's controller (`Auth`, `Market`, ...).
    pub controller: String,
    /// The topic whose page shows it.
    pub topic: String,
    /// `send` or `receive`.
    pub direction: String,
    /// Its text, verbatim.
    pub text: String,
}

/// What an example's text holds.
#[derive(Debug)]
pub enum ExampleText {
    /// A JSON message.
    Json(Value),
    /// A message written as JavaScript (`websocket.send(JSON.stringify({...}))`, unquoted keys,
    /// comments), read as JSON5.
    JavaScript(Value),
    /// Neither: `why` says what is wrong with it, `error` is the JSON reader's complaint.
    Broken { why: String, error: String },
}

/// The fact tables' files, in the reference's order of controllers.
pub const FACT_TABLES: &[&str] =
    &["auth", "zenith", "common", "market", "trading", "watchlist", "notify", "channel", "news", "fragments"];

/// Every example of the reference, table by table, topic by topic; `None` (the test skipped) when
/// the fact tables are not beside the checkout.
pub fn reference_examples() -> Option<Vec<ReferenceExample>> {
    let dir = crate::shared_dir("spec/zenith-api")?;
    let mut examples = Vec::new();
    for table in FACT_TABLES {
        let path = dir.join(format!("{table}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let facts: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let controller = facts["controller"].as_str().expect("each fact table names its controller");
        for topic in facts["topics"].as_array().into_iter().flatten() {
            for example in topic["examples"].as_array().into_iter().flatten() {
                examples.push(ReferenceExample {
                    controller: controller.to_owned(),
                    topic: topic["topic"].as_str().unwrap_or_default().to_owned(),
                    direction: example["direction"].as_str().unwrap_or("receive").to_owned(),
                    text: example["json"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
    }
    Some(examples)
}

/// Reads an example's text: JSON when it is JSON; the object inside when it is JavaScript; and
/// otherwise the reason it is neither.
pub fn read_example(text: &str) -> ExampleText {
    let error = match serde_json::from_str(text) {
        Ok(value) => return ExampleText::Json(value),
        Err(error) => error.to_string(),
    };
    if let Some(object) = javascript_object(text)
        && let Ok(value) = json5::from_str::<Value>(object)
    {
        return ExampleText::JavaScript(value);
    }
    ExampleText::Broken { why: why_broken(text), error }
}

/// The object literal of a JavaScript example: what `JSON.stringify(...)` is given, or the
/// whole text when it has JavaScript's comments. Any other text is meant as JSON.
fn javascript_object(text: &str) -> Option<&str> {
    let Some(at) = text.find("JSON.stringify(") else {
        let commented = text.contains("/*") || text.lines().any(|line| line.trim_start().starts_with("//"));
        return commented.then_some(text);
    };
    let body = &text[at..];
    let start = body.find('{')?;
    let end = body.rfind('}')?;
    (start < end).then(|| &body[start..=end])
}

/// Why an example is neither JSON nor readable JavaScript, in the errata's words: every reason
/// found, or the reader's complaint alone when none is recognised.
fn why_broken(text: &str) -> String {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let trimmed = text.trim_start();
    let reasons = [
        (trimmed.starts_with("GET ") || trimmed.starts_with("HTTP/"), "an HTTP upgrade head, not a message"),
        (compact.contains("..."), "abridged (`...` stands for left-out content)"),
        (compact.contains("\"Data\":\"Data\":"), "`\"Data\":` written twice"),
        (compact.contains(",,"), "a doubled comma"),
        (compact.contains(",]") || compact.contains(",}"), "a trailing comma"),
        (compact.contains("\"Data\"{"), "the colon after `\"Data\"` left out"),
        (unkeyed_object(&compact), "an object member without a name"),
        (compact.contains("}{"), "a comma left out between two records"),
        (named_array_member(&compact), "an array member written as `\"name\":value`"),
        (quoted_number_end(&compact), "a stray quote after a number"),
        (several_messages(text), "several messages in one example"),
        (
            compact.contains(":\"\"") && !compact.contains(":\"\",") && !compact.contains(":\"\"}"),
            "quotes doubled around a string",
        ),
    ];
    let found: Vec<&str> = reasons.iter().filter(|(found, _)| *found).map(|(_, why)| *why).collect();
    if found.is_empty() { "not JSON, nor JavaScript".to_owned() } else { found.join("; ") }
}

/// Whether an object appears as a member of an object with no name before it (`{"A":1,{...}}`).
fn unkeyed_object(compact: &str) -> bool {
    let bytes = compact.as_bytes();
    bytes.windows(2).enumerate().any(|(at, pair)| {
        pair == b",{" && {
            // Inside an object when the nearest open bracket before is a brace.
            let mut depth = 0i32;
            let mut inside_object = false;
            for &byte in bytes[..at].iter().rev() {
                match byte {
                    b'}' | b']' => depth += 1,
                    b'{' | b'[' if depth > 0 => depth -= 1,
                    b'{' => {
                        inside_object = true;
                        break;
                    }
                    b'[' => break,
                    _ => {}
                }
            }
            inside_object
        }
    })
}

/// Whether an array holds a `"name":value` member (`["RIC":"BHP.AX"]`).
fn named_array_member(compact: &str) -> bool {
    compact.match_indices("[\"").any(|(at, _)| {
        let rest = &compact[at + 2..];
        rest.find('"').is_some_and(|end| rest[end + 1..].starts_with(':'))
    })
}

/// Whether a number is followed by a quote that opens nothing (`"Size":0.001"}`).
fn quoted_number_end(compact: &str) -> bool {
    compact.match_indices("\":").any(|(at, _)| {
        let value = &compact[at + 2..];
        let digits = value.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        digits > 0 && value[digits..].starts_with('"')
    })
}

/// Whether the text, its comment lines left out, holds more than one top-level object.
fn several_messages(text: &str) -> bool {
    let mut depth = 0i32;
    let mut objects = 0;
    for line in text.lines().filter(|line| !line.trim_start().starts_with("//")) {
        for byte in line.bytes() {
            match byte {
                b'{' => {
                    if depth == 0 {
                        objects += 1;
                    }
                    depth += 1;
                }
                b'}' => depth -= 1,
                _ => {}
            }
        }
    }
    objects > 1
}
