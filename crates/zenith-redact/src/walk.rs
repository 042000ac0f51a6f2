//! Finding the exact byte spans of credentials in JSON, at any depth and in any shape: the
//! values of properties named like credentials, the `value` of `{name, value}` pairs named
//! like one (HTTP headers, cookies, query and form parameters), and, in every other string,
//! JSON embedded in it, credentials in free text and copies of credentials met elsewhere. Keys
//! are free text too: a key holding `password=...` or `Bearer ...` has that credential replaced
//! (copies of credentials in keys only in text that is shown, whose structure need not stay).
//!
//! The walker is fed one token at a time, by a parser of text in memory ([`json`]) or of a
//! stream (the HAR reader), so both apply exactly the same rules.

use std::ops::Range;

use jiter::{Jiter, Peek};
use zenith_protocol::runtime::{is_secret_name, is_secret_parameter};

use crate::free;
use crate::scan::{Edit, Scan};
use crate::text::{self, Text};

/// JSON embedded in strings is looked into this many levels deep; deeper, it is free text.
pub const MAX_EMBEDDING: usize = 8;
/// JSON nested deeper than this is refused: what the walker keeps per level stays bounded.
pub const MAX_DEPTH: usize = 10_000;

/// A token of JSON, at input offsets.
pub enum Token<'t> {
    Open {
        at: usize,
        object: bool,
    },
    /// `end` is just after the closing bracket.
    Close {
        end: usize,
    },
    /// A key, `text` its name.
    Key(Text<'t>),
    /// A string: `start` at its opening quote, `end` after its closing one; `text` its content.
    Str {
        start: usize,
        end: usize,
        text: Text<'t>,
    },
    /// A number, `true`, `false` or `null`, as written.
    Scalar {
        start: usize,
        end: usize,
        raw: &'t str,
    },
}

/// What a property's name means to the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    /// Named like a credential.
    Secret,
    Cookies,
    Value,
    Name,
    Data,
    Opcode,
    Type,
    Other,
}

impl Key {
    fn of(name: &str) -> Key {
        match name {
            "value" => Key::Value,
            "name" => Key::Name,
            "data" => Key::Data,
            "opcode" => Key::Opcode,
            "type" => Key::Type,
            // A list of cookies: each item's value is a credential, not the list as a whole.
            "cookies" => Key::Cookies,
            _ if is_secret_name(name) => Key::Secret,
            _ => Key::Other,
        }
    }
}

/// How a `{name, value}` pair's name says to treat its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    Plain,
    Secret,
    /// `Scheme credentials`: the credentials only.
    Authorization,
    /// `a=1; b=2`: every value.
    Cookie,
    /// `a=1; Path=/`: the first value.
    SetCookie,
    /// `Sec-WebSocket-Protocol`: the subprotocols offered that name no Zenith encoding (some
    /// clients send a token there).
    Subprotocols,
}

impl Named {
    fn of(name: &str) -> Named {
        match name.to_ascii_lowercase().as_str() {
            "authorization" | "proxy-authorization" => Named::Authorization,
            "cookie" => Named::Cookie,
            "set-cookie" => Named::SetCookie,
            "sec-websocket-protocol" => Named::Subprotocols,
            _ if is_secret_parameter(name) => Named::Secret,
            _ => Named::Plain,
        }
    }
}

/// A `value` member read before its object's `name`: held back until the name tells.
struct Pending {
    span: Range<usize>,
    /// A string value's content.
    text: Option<Text<'static>>,
    /// A number's or container's placeholder.
    with: Option<&'static str>,
}

#[derive(Default)]
struct Container {
    object: bool,
    at: usize,
    /// The member being read.
    key: Option<Key>,
    /// An array under `cookies`: its items' values are cookie values.
    cookies: bool,
    /// An item of such an array.
    cookie_item: bool,
    named: Option<Named>,
    pending: Option<Box<Pending>>,
    /// The start of a `value` member whose treatment is not known yet.
    holding: Option<usize>,
    /// That member is a container still open: true for an object.
    pending_container: Option<bool>,
    /// A websocket message item's shape: its opcode when not text (1), and whether it had
    /// `data`.
    binary: Option<Box<str>>,
    has_data: bool,
    data_not_json: bool,
    /// `type` is `send` or `receive`: a websocket message item.
    message_item: bool,
}

/// How the next value is to be treated.
enum Role {
    Plain,
    Secret(Named),
    /// The `value` of a pair whose name is still to come.
    Pending,
    /// A pair's `name`.
    Name,
    /// A message item's `data`.
    Data,
    Opcode,
    Type,
}

/// A secret container being passed over: replaced whole when it closes.
struct Skip {
    at: usize,
    depth: usize,
    object: bool,
}

/// The state of one JSON value being walked, token by token.
#[derive(Default)]
pub struct Walker {
    stack: Vec<Container>,
    skip: Option<Skip>,
    /// JSON-in-string levels above this value.
    embedding: usize,
}

impl Walker {
    fn embedded(embedding: usize) -> Walker {
        Walker { embedding, ..Walker::default() }
    }

    /// The earliest input offset that a later token may still edit: output before it is final.
    pub fn hold(&self) -> Option<usize> {
        let skipping = self.skip.as_ref().map(|s| s.at);
        self.stack.iter().filter_map(|c| c.holding).chain(skipping).min()
    }

    /// Whether the next value, an item of the innermost array, is walked the same on its own:
    /// no container around it is a credential, a list of cookies, or held back for a name.
    pub fn stands_alone(&self) -> bool {
        self.skip.is_none() && self.stack.last().is_some_and(|top| !top.object && !top.cookies) && self.hold().is_none()
    }

    /// How deep the walk is.
    pub fn depth(&self) -> usize {
        self.stack.len() + self.skip.as_ref().map_or(0, |s| s.depth)
    }

    pub fn token(&mut self, token: Token<'_>, scan: &mut Scan<'_>) {
        if let Some(skip) = &mut self.skip {
            match token {
                Token::Open { .. } => skip.depth += 1,
                Token::Close { end } if skip.depth == 0 => {
                    let with = if skip.object { "{}" } else { "[]" };
                    let at = skip.at;
                    self.skip = None;
                    scan.edits.push(Edit { span: at..end, with });
                    self.value_done(at..end);
                }
                Token::Close { .. } => skip.depth -= 1,
                Token::Str { text, .. } => scan.remember(&text.text),
                Token::Scalar { raw, .. } if is_number(raw) => scan.remember(raw),
                Token::Scalar { .. } => {}
                Token::Key(name) => free::key(&name, scan),
            }
            return;
        }
        match token {
            Token::Key(name) => {
                free::key(&name, scan);
                let key = Key::of(&name.text);
                if let Some(top) = self.stack.last_mut() {
                    top.key = Some(key);
                }
            }
            Token::Open { at, object } => match self.role() {
                Role::Secret(_) => self.skip = Some(Skip { at, depth: 0, object }),
                role => {
                    let top = self.stack.last_mut();
                    let cookies = !object && top.as_ref().is_some_and(|t| t.key == Some(Key::Cookies));
                    let cookie_item = object && top.as_ref().is_some_and(|t| !t.object && t.cookies);
                    if let (Role::Pending, Some(top)) = (role, top) {
                        top.holding = Some(at);
                        top.pending_container = Some(object);
                    }
                    self.stack.push(Container { object, at, cookies, cookie_item, ..Container::default() });
                }
            },
            Token::Close { end } => {
                let Some(closed) = self.stack.pop() else { return };
                if let Some(opcode) = closed.binary.filter(|_| closed.has_data) {
                    let reason = format!("binary message (opcode {opcode}) cannot be decoded");
                    scan.doubts.push(reason);
                } else if closed.data_not_json && closed.message_item {
                    let reason = "the message is not JSON, so only credentials in its free text were found".to_owned();
                    scan.doubts.push(reason);
                }
                self.value_done(closed.at..end);
            }
            Token::Str { start, end, text } => {
                match self.role() {
                    Role::Secret(named) => secret_string(&text, named, scan),
                    Role::Pending => {
                        content(&text, self.embedding, scan);
                        if let Some(top) = self.stack.last_mut() {
                            top.holding = Some(start);
                            top.pending =
                                Some(Box::new(Pending { span: start..end, text: Some(text.into_owned()), with: None }));
                        }
                    }
                    Role::Name => {
                        content(&text, self.embedding, scan);
                        let named = Named::of(&text.text);
                        self.named(named, scan);
                    }
                    Role::Data => {
                        let json = content(&text, self.embedding, scan);
                        if let Some(top) = self.stack.last_mut() {
                            top.has_data = true;
                            top.data_not_json = !json && !text.text.trim().is_empty();
                        }
                    }
                    Role::Type => {
                        content(&text, self.embedding, scan);
                        if let Some(top) = self.stack.last_mut() {
                            top.message_item = matches!(&*text.text, "send" | "receive");
                        }
                    }
                    Role::Opcode | Role::Plain => {
                        content(&text, self.embedding, scan);
                    }
                }
                self.value_done(start..end);
            }
            Token::Scalar { start, end, raw } => {
                let number = is_number(raw);
                match self.role() {
                    Role::Secret(_) if number => {
                        scan.remember(raw);
                        if raw != "0" {
                            scan.edits.push(Edit { span: start..end, with: "0" });
                        }
                    }
                    Role::Pending if number => {
                        if let Some(top) = self.stack.last_mut() {
                            top.holding = Some(start);
                            top.pending = Some(Box::new(Pending { span: start..end, text: None, with: Some("0") }));
                        }
                    }
                    Role::Opcode => {
                        if let Some(top) = self.stack.last_mut() {
                            top.binary = (raw != "1").then(|| raw.into());
                        }
                    }
                    _ => {}
                }
                self.value_done(start..end);
            }
        }
    }

    /// How the next value of the innermost container is to be treated.
    fn role(&self) -> Role {
        let Some(top) = self.stack.last() else { return Role::Plain };
        let Some(key) = top.key.filter(|_| top.object) else { return Role::Plain };
        match (key, top.named) {
            (Key::Secret, _) => Role::Secret(Named::Secret),
            (Key::Value, _) if top.cookie_item => Role::Secret(Named::Secret),
            (Key::Value, Some(Named::Plain)) => Role::Plain,
            (Key::Value, Some(named)) => Role::Secret(named),
            (Key::Value, None) => Role::Pending,
            (Key::Name, _) => Role::Name,
            (Key::Data, _) => Role::Data,
            (Key::Opcode, _) => Role::Opcode,
            (Key::Type, _) => Role::Type,
            (Key::Cookies | Key::Other, _) => Role::Plain,
        }
    }

    /// A pair's name arrived: a value held back for it is now settled.
    fn named(&mut self, named: Named, scan: &mut Scan<'_>) {
        let Some(top) = self.stack.last_mut() else { return };
        top.named = Some(named);
        let Some(pending) = top.pending.take().map(|p| *p) else { return };
        top.holding = None;
        if named == Named::Plain {
            return;
        }
        // Replaces whatever was found inside the value before.
        scan.edits.retain(|e| e.span.start < pending.span.start || e.span.end > pending.span.end);
        match (pending.text, pending.with) {
            (Some(text), _) => secret_string(&text, named, scan),
            (None, Some(with)) => scan.edits.push(Edit { span: pending.span, with }),
            (None, None) => {}
        }
    }

    /// A value of the innermost container is complete.
    fn value_done(&mut self, span: Range<usize>) {
        let Some(top) = self.stack.last_mut() else { return };
        if let Some(object) = top.pending_container.take() {
            // A container value before its name: held back whole.
            let with = if object { "{}" } else { "[]" };
            top.pending = Some(Box::new(Pending { span, text: None, with: Some(with) }));
        }
        if top.object {
            top.key = None;
        }
    }
}

fn is_number(raw: &str) -> bool {
    raw.starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// Replaces a secret string's content, or for headers, the credentials in it.
fn secret_string(text: &Text<'_>, named: Named, scan: &mut Scan<'_>) {
    let content = &*text.text;
    match named {
        Named::Authorization => {
            let scheme =
                content.find(' ').filter(|&n| n > 0 && content[..n].bytes().all(|b| b.is_ascii_alphanumeric()));
            match scheme {
                Some(n) => {
                    let from = n + content[n..].len() - content[n..].trim_start().len();
                    scan.secret(text, from..content.len());
                }
                None => scan.secret(text, 0..content.len()),
            }
        }
        Named::Cookie | Named::SetCookie => {
            let mut offset = 0;
            for (index, pair) in content.split(';').enumerate() {
                if named == Named::Cookie || index == 0 {
                    match pair.find('=') {
                        Some(eq) => scan.secret(text, offset + eq + 1..offset + pair.len()),
                        None => scan.secret(text, offset..offset + pair.len()),
                    }
                }
                offset += pair.len() + 1;
            }
        }
        Named::Subprotocols => {
            let mut offset = 0;
            for offered in content.split(',') {
                let name = offered.trim();
                let start = offset + offered.len() - offered.trim_start().len();
                if is_token(name) {
                    scan.secret(text, start..start + name.len());
                }
                offset += offered.len() + 1;
            }
        }
        Named::Secret | Named::Plain => scan.secret(text, 0..content.len()),
    }
}

/// Whether a subprotocol offered is a credential: anything but a Zenith encoding, and but the
/// names some clients put before a token (`access_token`, `Bearer`).
fn is_token(subprotocol: &str) -> bool {
    !subprotocol.is_empty()
        && zenith_capture::Encoding::from_subprotocol(subprotocol).is_none()
        && !is_secret_parameter(subprotocol)
        && !text::is_scheme(subprotocol)
}

/// The rules for a string that is not itself a credential: JSON embedded in it is walked;
/// other text has its free-text credentials and copies of known credentials replaced. True
/// when the string held JSON.
pub fn content(text: &Text<'_>, embedding: usize, scan: &mut Scan<'_>) -> bool {
    let trimmed = text.text.trim_start();
    if embedding < MAX_EMBEDDING && (trimmed.starts_with('{') || trimmed.starts_with('[')) {
        let edits = scan.edits.len();
        let doubts = scan.doubts.len();
        if json(text, embedding + 1, scan).is_ok() {
            return true;
        }
        scan.edits.truncate(edits);
        scan.doubts.truncate(doubts);
    }
    free::text(text, scan);
    false
}

/// The rules for a whole text (a line, a message): walked as JSON; when it is not JSON, what
/// was found in it is dropped and it is read as free text, and the error says why.
pub fn document(text: &Text<'_>, scan: &mut Scan<'_>) -> Result<(), String> {
    let (edits, doubts) = (scan.edits.len(), scan.doubts.len());
    json(text, 0, scan).inspect_err(|_| {
        scan.edits.truncate(edits);
        scan.doubts.truncate(doubts);
        content(text, MAX_EMBEDDING, scan);
    })
}

/// Walks the JSON value that is the whole of `text` (parsed in memory).
pub fn json(text: &Text<'_>, embedding: usize, scan: &mut Scan<'_>) -> Result<(), String> {
    walk_json(text, embedding, scan).map_err(|error| match error {
        Walked::Syntax(error) => error.to_string(),
        Walked::TooDeep => format!("nested deeper than {MAX_DEPTH} levels"),
    })
}

enum Walked {
    Syntax(jiter::JiterError),
    TooDeep,
}

impl From<jiter::JiterError> for Walked {
    fn from(error: jiter::JiterError) -> Walked {
        Walked::Syntax(error)
    }
}

fn walk_json(text: &Text<'_>, embedding: usize, scan: &mut Scan<'_>) -> Result<(), Walked> {
    let source = &*text.text;
    let bytes = source.as_bytes();
    let at = |offset: usize| text.input_offset(offset);
    let mut parser = Jiter::new(bytes);
    let mut walker = Walker::embedded(embedding);
    // Containers open, innermost last: true for objects. Kept here, not on the call stack, so
    // depth costs memory, never the stack.
    let mut open: Vec<bool> = Vec::new();
    let mut peek = parser.peek()?;
    loop {
        let start = parser.current_index();
        let mut opened = false;
        match peek {
            Peek::Object => {
                walker.token(Token::Open { at: at(start), object: true }, scan);
                match parser.next_object_bytes()? {
                    Some(key) => {
                        walker.token(Token::Key(key_at(source, key, &at)), scan);
                        open.push(true);
                        opened = true;
                    }
                    None => walker.token(Token::Close { end: at(parser.current_index()) }, scan),
                }
            }
            Peek::Array => {
                walker.token(Token::Open { at: at(start), object: false }, scan);
                match parser.known_array()? {
                    Some(next) => {
                        open.push(false);
                        if open.len() > MAX_DEPTH {
                            return Err(Walked::TooDeep);
                        }
                        peek = next;
                        continue;
                    }
                    None => walker.token(Token::Close { end: at(parser.current_index()) }, scan),
                }
            }
            Peek::String => {
                parser.known_bytes()?;
                let end = parser.current_index();
                let raw = source.get(start + 1..end - 1).unwrap_or_default();
                let content = Text::decode(raw, &|i| at(start + 1 + i));
                walker.token(Token::Str { start: at(start), end: at(end), text: content }, scan);
            }
            Peek::Null => {
                parser.known_null()?;
                let end = parser.current_index();
                walker.token(Token::Scalar { start: at(start), end: at(end), raw: "null" }, scan);
            }
            Peek::True | Peek::False => {
                parser.known_bool(peek)?;
                let end = parser.current_index();
                let raw = source.get(start..end).unwrap_or_default();
                walker.token(Token::Scalar { start: at(start), end: at(end), raw }, scan);
            }
            _ => {
                parser.known_number_bytes(peek)?;
                let end = parser.current_index();
                let raw = source.get(start..end).unwrap_or_default();
                walker.token(Token::Scalar { start: at(start), end: at(end), raw }, scan);
            }
        }
        if open.len() > MAX_DEPTH {
            return Err(Walked::TooDeep);
        }
        if opened {
            peek = parser.peek()?;
            continue;
        }
        // Step to the next value, closing every container that ends here.
        loop {
            match open.last() {
                None => return Ok(parser.finish()?),
                Some(true) => match parser.next_key_bytes()? {
                    Some(key) => {
                        walker.token(Token::Key(key_at(source, key, &at)), scan);
                        peek = parser.peek()?;
                        break;
                    }
                    None => {
                        open.pop();
                        walker.token(Token::Close { end: at(parser.current_index()) }, scan);
                    }
                },
                Some(false) => match parser.array_step()? {
                    Some(next) => {
                        peek = next;
                        break;
                    }
                    None => {
                        open.pop();
                        walker.token(Token::Close { end: at(parser.current_index()) }, scan);
                    }
                },
            }
        }
    }
}

/// A key's name, from its raw bytes (a slice of `source`, between its quotes), decoded, with
/// where it lies in the input.
fn key_at<'a>(source: &'a str, raw: &[u8], at: &dyn Fn(usize) -> usize) -> Text<'a> {
    let start = (raw.as_ptr() as usize).saturating_sub(source.as_ptr() as usize).min(source.len());
    let raw = source.get(start..start + raw.len()).unwrap_or_default();
    Text::decode(raw, &|i| at(start + i))
}

/// Applies edits to `input`, whose first byte is at input offset `base`: overlapping edits
/// merge into the outermost. Returns the number of replacements.
pub fn apply(input: &[u8], base: usize, edits: &mut [Edit], out: &mut Vec<u8>) -> u64 {
    let Ok(count) = apply_into(input, base, edits, |bytes| {
        out.extend_from_slice(bytes);
        Ok::<(), std::convert::Infallible>(())
    });
    count
}

/// [`apply`], handing each stretch of the output to `put` as it is made.
pub fn apply_into<E>(
    input: &[u8],
    base: usize,
    edits: &mut [Edit],
    mut put: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<u64, E> {
    edits.sort_by_key(|e| (e.span.start, std::cmp::Reverse(e.span.end)));
    let mut written = base;
    let mut count = 0;
    for edit in edits.iter() {
        if edit.span.start < written {
            written = written.max(edit.span.end);
            continue;
        }
        put(&input[written - base..edit.span.start - base])?;
        put(edit.with.as_bytes())?;
        written = edit.span.end;
        count += 1;
    }
    put(&input[written - base..])?;
    Ok(count)
}
