//! Validation results: problems located by instance path and schema location, and the walker
//! the generated full-pass validators report through.

use std::fmt;

use serde_json::Value;

use super::budget::Budget;
use super::secret::REDACTED;

/// How serious a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The message breaks the protocol.
    Error,
    /// The message is acceptable but has something the schema does not document.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A stable identifier for each kind of problem; `docs/diagnostics.md` documents each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    WrongType,
    MissingRequired,
    NotInEnum,
    WrongConstant,
    PatternMismatch,
    TooShort,
    TooLong,
    BadDatetime,
    BadTime,
    BadDate,
    ForbiddenProperty,
    MisspelledProperty,
    UndocumentedProperty,
    UnknownCode,
    BadFlag,
    BadTopicArguments,
    UnknownTag,
    TooFewItems,
    TooManyItems,
}

impl Code {
    /// Every code, in documentation order.
    pub const ALL: &'static [Code] = &[
        Code::WrongType,
        Code::MissingRequired,
        Code::NotInEnum,
        Code::WrongConstant,
        Code::PatternMismatch,
        Code::TooShort,
        Code::TooLong,
        Code::BadDatetime,
        Code::BadTime,
        Code::BadDate,
        Code::ForbiddenProperty,
        Code::MisspelledProperty,
        Code::UndocumentedProperty,
        Code::UnknownCode,
        Code::BadFlag,
        Code::BadTopicArguments,
        Code::UnknownTag,
        Code::TooFewItems,
        Code::TooManyItems,
    ];

    /// The kebab-case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::WrongType => "wrong-type",
            Code::MissingRequired => "missing-required",
            Code::NotInEnum => "not-in-enum",
            Code::WrongConstant => "wrong-constant",
            Code::PatternMismatch => "pattern-mismatch",
            Code::TooShort => "too-short",
            Code::TooLong => "too-long",
            Code::BadDatetime => "bad-datetime",
            Code::BadTime => "bad-time",
            Code::BadDate => "bad-date",
            Code::ForbiddenProperty => "forbidden-property",
            Code::MisspelledProperty => "misspelled-property",
            Code::UndocumentedProperty => "undocumented-property",
            Code::UnknownCode => "unknown-code",
            Code::BadFlag => "bad-flag",
            Code::BadTopicArguments => "bad-topic-arguments",
            Code::UnknownTag => "unknown-tag",
            Code::TooFewItems => "too-few-items",
            Code::TooManyItems => "too-many-items",
        }
    }

    /// False for the codes that go beyond the schema's own rules (spelling checks, undocumented
    /// properties, and the code tables' annotations, which a plain JSON Schema validator does
    /// not read).
    pub fn is_schema_rule(self) -> bool {
        !matches!(
            self,
            Code::MisspelledProperty
                | Code::UndocumentedProperty
                | Code::UnknownCode
                | Code::BadFlag
                | Code::BadTopicArguments
        )
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl serde::Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub code: Code,
    /// JSON Pointer into the whole message, e.g. `/Data/UserName`; empty for the message itself.
    pub instance_path: String,
    /// The schema rule that failed: file and JSON Pointer, e.g. `schemas/auth/IdentityResult.json#/required`.
    pub schema_path: &'static str,
    /// What is wrong, for a person. Never contains a credential.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() { "(message)" } else { &self.instance_path };
        write!(f, "{} [{}] at {at}: {}", self.severity.as_str(), self.code, self.message)
    }
}

/// Every problem found in one message: the first ones in full, as many as a [`Budget`] keeps,
/// and the rest counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub problems: Vec<Problem>,
    /// The problems found beyond those kept: how many of each severity and code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<Omitted>,
}

/// Problems of one severity and code that were counted but not kept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Omitted {
    pub severity: Severity,
    pub code: Code,
    pub count: u64,
}

impl Report {
    /// True when no problem is an error (warnings are allowed), those not kept included.
    pub fn is_valid(&self) -> bool {
        self.counts().0 == 0
    }

    /// How many errors and how many warnings were found, those not kept included.
    pub fn counts(&self) -> (u64, u64) {
        let count = |severity: Severity| {
            let kept = self.problems.iter().filter(|p| p.severity == severity).count() as u64;
            kept + self.omitted.iter().filter(|o| o.severity == severity).map(|o| o.count).sum::<u64>()
        };
        (count(Severity::Error), count(Severity::Warning))
    }

    /// True when no error breaks a rule of the schema itself; spelling checks aside, this is
    /// the verdict any JSON Schema validator gives.
    pub fn is_schema_valid(&self) -> bool {
        let omitted = self.omitted.iter().filter(|o| o.severity == Severity::Error).map(|o| o.code);
        self.errors().map(|p| p.code).chain(omitted).all(|code| !code.is_schema_rule())
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Warning)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        for omitted in &self.omitted {
            writeln!(f, "{} [{}]: {} more not kept", omitted.severity.as_str(), omitted.code, omitted.count)?;
        }
        Ok(())
    }
}

/// The fast pass's answer: no problem, only warnings, or at least one error. Ordered so that
/// combining two verdicts is `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    Clean,
    Warnings,
    Invalid,
}

impl Verdict {
    /// `Clean` when `ok`, else `Invalid`.
    #[inline]
    pub fn check(ok: bool) -> Verdict {
        if ok { Verdict::Clean } else { Verdict::Invalid }
    }

    /// The worst of several verdicts, stopping at the first `Invalid`.
    #[inline]
    pub fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let mut worst = Verdict::Clean;
        for verdict in verdicts {
            worst = worst.max(verdict);
            if worst == Verdict::Invalid {
                break;
            }
        }
        worst
    }

    /// A property the schema does not list: an error when it nearly matches a documented one.
    #[cold]
    pub fn unknown_property(key: &str, documented: &[&str]) -> Verdict {
        if near_miss(key, documented).is_some() { Verdict::Invalid } else { Verdict::Warnings }
    }
}

/// Walks a message in a full validation pass, tracking the instance path and collecting problems.
#[derive(Debug)]
pub struct Walker {
    path: String,
    report: Report,
    budget: Budget,
    /// Every problem found, those not kept included.
    found: usize,
}

impl Walker {
    /// A walker whose paths start at `prefix` (empty for a whole message).
    pub fn new(prefix: &str) -> Walker {
        Walker { path: prefix.to_owned(), report: Report::default(), budget: Budget::default(), found: 0 }
    }

    pub fn finish(self) -> Report {
        self.report
    }

    /// How many problems have been found so far, those not kept included.
    pub fn problems(&self) -> usize {
        self.found
    }

    /// Runs `check` with the path extended by an object key.
    pub fn key(&mut self, key: &str, check: impl FnOnce(&mut Walker)) {
        let len = self.path.len();
        self.path.push('/');
        push_escaped(&mut self.path, key);
        check(self);
        self.path.truncate(len);
    }

    /// Runs `check` with the path extended by an array index.
    pub fn index(&mut self, index: usize, check: impl FnOnce(&mut Walker)) {
        let len = self.path.len();
        self.path.push('/');
        self.path.push_str(&index.to_string());
        check(self);
        self.path.truncate(len);
    }

    fn report(&mut self, severity: Severity, code: Code, schema_path: &'static str, message: String) {
        self.found += 1;
        if self.budget.admit(self.path.len() + message.len()) {
            let instance_path = self.path.clone();
            self.report.problems.push(Problem { severity, code, instance_path, schema_path, message });
            return;
        }
        let omitted = &mut self.report.omitted;
        match omitted.iter_mut().find(|o| o.severity == severity && o.code == code) {
            Some(counted) => counted.count += 1,
            None => omitted.push(Omitted { severity, code, count: 1 }),
        }
    }

    pub fn wrong_type(&mut self, schema_path: &'static str, expected: &str, value: &Value, secret: bool) {
        let found = describe(value, secret);
        self.report(Severity::Error, Code::WrongType, schema_path, format!("expected {expected}, found {found}"));
    }

    /// A required property is absent; a present key that nearly matches it is named.
    pub fn missing(&mut self, schema_path: &'static str, name: &str, object: &serde_json::Map<String, Value>) {
        let near = object.keys().find(|key| near_miss(key, &[name]).is_some());
        let message = match near {
            Some(key) => format!("required property `{name}` is missing; `{key}` is there: did you mean `{name}`?"),
            None => format!("required property `{name}` is missing"),
        };
        self.report(Severity::Error, Code::MissingRequired, schema_path, message);
    }

    /// A property the schema does not list: an error when it nearly matches a documented one,
    /// otherwise a warning (servers add fields).
    pub fn extra(
        &mut self,
        schema_path: &'static str,
        key: &str,
        object: &serde_json::Map<String, Value>,
        documented: &[&str],
        required: &[&str],
    ) {
        match near_miss(key, documented) {
            // A near miss of a missing required property was already reported there.
            Some(name) if required.contains(&name) && !object.contains_key(name) => {}
            Some(name) => self.key(key, |w| {
                w.report(
                    Severity::Error,
                    Code::MisspelledProperty,
                    schema_path,
                    format!("`{key}` is not a documented property: did you mean `{name}`?"),
                )
            }),
            None => self.key(key, |w| {
                w.report(
                    Severity::Warning,
                    Code::UndocumentedProperty,
                    schema_path,
                    format!("`{key}` is not a documented property"),
                )
            }),
        }
    }

    pub fn not_in_enum(&mut self, schema_path: &'static str, value: &str, known: &[&str], secret: bool) {
        let listed = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        let shown = if secret { REDACTED.to_owned() } else { excerpt(value) };
        let message = match suggestion(value, known) {
            Some(name) if !secret => {
                format!("`{shown}` is not one of {listed}: did you mean `{name}`?")
            }
            _ => format!("`{shown}` is not one of {listed}"),
        };
        self.report(Severity::Error, Code::NotInEnum, schema_path, message);
    }

    /// A property a variant of a tagged union requires is absent.
    pub fn missing_in_variant(
        &mut self,
        schema_path: &'static str,
        name: &str,
        tag: &str,
        value: &str,
        object: &serde_json::Map<String, Value>,
    ) {
        let near = object.keys().find(|key| near_miss(key, &[name]).is_some());
        let value = excerpt(value);
        let message = match near {
            Some(key) => {
                format!("`{name}` is required when `{tag}` is `{value}`; `{key}` is there: did you mean `{name}`?")
            }
            None => format!("`{name}` is required when `{tag}` is `{value}`"),
        };
        self.report(Severity::Error, Code::MissingRequired, schema_path, message);
    }

    /// A value where the schema allows none (the schema `false`).
    pub fn nothing_allowed(&mut self, schema_path: &'static str) {
        self.report(Severity::Error, Code::ForbiddenProperty, schema_path, "no value is allowed here".to_owned());
    }

    /// A property a variant of a tagged union forbids is present.
    pub fn forbidden_in_variant(&mut self, schema_path: &'static str, name: &str, tag: &str, value: &str) {
        let message = format!("`{name}` must not appear when `{tag}` is `{}`", excerpt(value));
        self.report(Severity::Error, Code::ForbiddenProperty, schema_path, message);
    }

    /// A value an open code table does not list: servers may send new codes.
    pub fn unknown_code(&mut self, schema_path: &'static str, value: &str, known: &[&str]) {
        let message = match near_miss(value, known) {
            Some(name) => format!("`{}` is not a documented code: did you mean `{name}`?", excerpt(value)),
            None => format!("`{}` is not a documented code", excerpt(value)),
        };
        let severity = if near_miss(value, known).is_some() { Severity::Error } else { Severity::Warning };
        self.report(severity, Code::UnknownCode, schema_path, message);
    }

    /// A topic whose arguments are missing or have none of the topic's forms.
    pub fn bad_topic_arguments(&mut self, schema_path: &'static str, reason: String) {
        self.report(Severity::Error, Code::BadTopicArguments, schema_path, reason);
    }

    /// A member of a flag set that its closed code table does not list.
    pub fn bad_flag(&mut self, schema_path: &'static str, member: &str, known: &[&str]) {
        let listed = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        let message = match near_miss(member, known) {
            Some(name) => format!("`{}` is not one of {listed}: did you mean `{name}`?", excerpt(member)),
            None => format!("`{}` is not one of {listed}", excerpt(member)),
        };
        self.report(Severity::Error, Code::BadFlag, schema_path, message);
    }

    pub fn wrong_constant(&mut self, schema_path: &'static str, expected: &str, value: &Value, secret: bool) {
        let found = describe(value, secret);
        self.report(Severity::Error, Code::WrongConstant, schema_path, format!("must be `{expected}`, found {found}"));
    }

    pub fn pattern(&mut self, schema_path: &'static str, pattern: &str, value: &str, secret: bool) {
        let shown = if secret { REDACTED.to_owned() } else { format!("`{}`", excerpt(value)) };
        self.report(Severity::Error, Code::PatternMismatch, schema_path, format!("{shown} does not match `{pattern}`"));
    }

    pub fn length(&mut self, schema_path: &'static str, code: Code, limit: u64, value: &str) {
        let count = value.chars().count();
        let word = if code == Code::TooShort { "at least" } else { "at most" };
        self.report(Severity::Error, code, schema_path, format!("must have {word} {limit} characters, has {count}"));
    }

    /// A string that breaks a protocol format (`what` names the format, `reason` the fault).
    pub fn format(
        &mut self,
        schema_path: &'static str,
        code: Code,
        value: &str,
        secret: bool,
        what: &str,
        reason: &str,
    ) {
        let shown = if secret { REDACTED.to_owned() } else { format!("`{}`", excerpt(value)) };
        self.report(Severity::Error, code, schema_path, format!("{shown} is not {what}: {reason}"));
    }

    /// An array's item 0 names none of a union's tagged arrays.
    pub fn unknown_tag(&mut self, schema_path: &'static str, union: &str, found: &Value, tags: &[&str]) {
        let message = match found.as_str() {
            Some(tag) => match suggestion(tag, tags) {
                Some(name) => format!("`{}` is not a tag of {union}: did you mean `{name}`?", excerpt(tag)),
                None => format!("`{}` is not a tag of {union}", excerpt(tag)),
            },
            None => format!(
                "expected a tag of {union} (a string such as `{}`), found {}",
                tags.first().unwrap_or(&""),
                describe(found, false)
            ),
        };
        self.report(Severity::Error, Code::UnknownTag, schema_path, message);
    }

    /// An empty array where a union's tagged array belongs.
    pub fn missing_tag(&mut self, schema_path: &'static str, union: &str) {
        let message = format!("an empty array: item 0 must be a tag of {union}");
        self.report(Severity::Error, Code::UnknownTag, schema_path, message);
    }

    /// A tagged array with fewer items than its tag needs.
    pub fn too_few_items(&mut self, schema_path: &'static str, tag: &str, least: usize, found: usize, signature: &str) {
        let message = format!("`{tag}` takes at least {}, found {found}: {signature}", items(least));
        self.report(Severity::Error, Code::TooFewItems, schema_path, message);
    }

    /// A tagged array with more items than its tag takes.
    pub fn too_many_items(&mut self, schema_path: &'static str, tag: &str, most: usize, found: usize, signature: &str) {
        let message = format!("`{tag}` takes at most {}, found {found}: {signature}", items(most));
        self.report(Severity::Error, Code::TooManyItems, schema_path, message);
    }

    /// A property the schema forbids (`additionalProperties: false`).
    pub fn forbidden(&mut self, schema_path: &'static str, key: &str, documented: &[&str]) {
        let message = match near_miss(key, documented) {
            Some(name) => format!("`{key}` is not allowed here: did you mean `{name}`?"),
            None => format!("`{key}` is not allowed here"),
        };
        self.report(Severity::Error, Code::ForbiddenProperty, schema_path, message);
    }
}

/// `1 item after the tag`, `2 items after the tag`.
fn items(count: usize) -> String {
    format!("{count} item{} after the tag", if count == 1 { "" } else { "s" })
}

fn push_escaped(path: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// The listed value a wrong one most likely meant: a near miss, or a listed value it spells out
/// in full (`Subscribe` for `Sub`, `Unsubscribe` for `Unsub`).
pub fn suggestion<'a>(value: &str, known: &[&'a str]) -> Option<&'a str> {
    near_miss(value, known).or_else(|| {
        let lower = value.to_ascii_lowercase();
        known
            .iter()
            .filter(|k| k.len() >= 3 && lower.starts_with(&k.to_ascii_lowercase()))
            .max_by_key(|k| k.len())
            .copied()
    })
}

/// A short description of a value for messages: its kind and, unless secret, an excerpt.
pub fn describe(value: &Value, secret: bool) -> String {
    let kind = crate::json_kind(value);
    if secret {
        return format!("{kind} ({REDACTED})");
    }
    match value {
        Value::Null => kind.to_owned(),
        Value::Bool(b) => format!("{kind} `{b}`"),
        Value::Number(n) => format!("{kind} `{n}`"),
        Value::String(s) => format!("{kind} `{}`", excerpt(s)),
        Value::Array(a) => format!("{kind} of {} items", a.len()),
        Value::Object(o) => format!("{kind} with {} properties", o.len()),
    }
}

/// At most 40 characters of `text`, marked when cut.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The documented name `word` is a near miss of: equal ignoring case, or one or two edits
/// (insertions, deletions, substitutions, swaps of neighbours) away, ignoring case.
pub fn near_miss<'a>(word: &str, documented: &[&'a str]) -> Option<&'a str> {
    if let Some(exact) = documented.iter().find(|d| d.eq_ignore_ascii_case(word)) {
        return Some(exact);
    }
    // Very short names are too easy to confuse by accident.
    let length = word.chars().count();
    if length < 4 {
        return None;
    }
    // A name more than two bytes longer or shorter than every documented one is no near miss;
    // leaving it out early also keeps the letter counts below small.
    if documented.iter().all(|d| d.len().abs_diff(word.len()) > 2) {
        return None;
    }
    let counts = letter_counts(word);
    documented
        .iter()
        .filter(|d| d.len().abs_diff(word.len()) <= 2 && letters_close(&counts, d))
        .map(|d| (edit_distance(word, d), *d))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, d)| d)
}

/// Letter counts (folded into 32 buckets), for a cheap necessary condition on edit distance:
/// each edit changes the counts by at most two, so two edits by at most four in all.
fn letter_counts(text: &str) -> [i16; 32] {
    let mut counts = [0i16; 32];
    for byte in text.bytes() {
        counts[usize::from(byte.to_ascii_lowercase() % 32)] += 1;
    }
    counts
}

fn letters_close(word: &[i16; 32], other: &str) -> bool {
    let mut counts = *word;
    for byte in other.bytes() {
        counts[usize::from(byte.to_ascii_lowercase() % 32)] -= 1;
    }
    counts.iter().map(|c| c.unsigned_abs()).sum::<u16>() <= 4
}

/// Optimal string alignment distance, ignoring case.
fn edit_distance(a: &str, b: &str) -> usize {
    if a.is_ascii() && b.is_ascii() && a.len() < 32 && b.len() < 32 {
        return ascii_edit_distance(a.as_bytes(), b.as_bytes());
    }
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let width = b.len() + 1;
    // Rows i-2, i-1 and i of the table, one after another.
    let mut rows = vec![0usize; 3 * width];
    for (j, cell) in rows[width..2 * width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows.copy_within(width.., 0);
        let (older, current) = rows.split_at_mut(2 * width);
        let (before, previous) = older.split_at(width);
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
    }
    rows[3 * width - 1]
}

/// [`edit_distance`] for short ASCII names (property names), on the stack. Gives up (returning
/// 3) as soon as every alignment is more than two edits away.
fn ascii_edit_distance(a: &[u8], b: &[u8]) -> usize {
    const W: usize = 32;
    let mut x = [0u8; W];
    let mut y = [0u8; W];
    for (to, from) in x.iter_mut().zip(a) {
        *to = from.to_ascii_lowercase();
    }
    for (to, from) in y.iter_mut().zip(b) {
        *to = from.to_ascii_lowercase();
    }
    let (n, m) = (a.len(), b.len());
    // Rows i-2, i-1 and i live at (i % 3) * W.
    let mut rows = [0u8; 3 * W];
    for (j, cell) in rows.iter_mut().take(m + 1).enumerate() {
        *cell = j as u8;
    }
    for i in 1..=n {
        let (cur, prev, before) = ((i % 3) * W, ((i - 1) % 3) * W, ((i + 1) % 3) * W);
        rows[cur] = i as u8;
        let mut row_min = rows[cur];
        for j in 1..=m {
            let cost = u8::from(x[i - 1] != y[j - 1]);
            let mut best = (rows[prev + j] + 1).min(rows[cur + j - 1] + 1).min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
                best = best.min(rows[before + j - 2] + 1);
            }
            rows[cur + j] = best;
            row_min = row_min.min(best);
        }
        if row_min > 2 {
            return 3;
        }
    }
    usize::from(rows[(n % 3) * W + m])
}

/// True for a JSON number with no fractional part, which JSON Schema counts as an integer.
pub fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

/// Length in Unicode code points, as JSON Schema counts it.
pub fn length(text: &str) -> u64 {
    text.chars().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses() {
        let documented = ["UserName", "Password", "ClientID", "Scope"];
        assert_eq!(near_miss("Usrname", &documented), Some("UserName"));
        assert_eq!(near_miss("username", &documented), Some("UserName"));
        assert_eq!(near_miss("ClientId", &documented), Some("ClientID"));
        assert_eq!(near_miss("Pasword", &documented), Some("Password"));
        assert_eq!(near_miss("scope", &documented), Some("Scope"));
        assert_eq!(near_miss("Vendor", &documented), None);
        assert_eq!(near_miss("Sco", &documented), None);
    }

    #[test]
    fn a_message_keeps_its_first_problems_and_counts_the_rest() {
        let mut walker = Walker::new("");
        for n in 0..250 {
            walker.index(n, |w| w.wrong_type("#/items/type", "an object", &Value::from(1), false));
        }
        walker.key("Extra", |w| w.nothing_allowed("#/properties/Extra"));
        assert_eq!(walker.problems(), 251);
        let report = walker.finish();
        assert_eq!(report.problems.len(), Budget::MAX_KEPT);
        assert_eq!(report.problems.last().unwrap().instance_path, "/99");
        let omitted = [
            Omitted { severity: Severity::Error, code: Code::WrongType, count: 150 },
            Omitted { severity: Severity::Error, code: Code::ForbiddenProperty, count: 1 },
        ];
        assert_eq!(report.omitted, omitted);
        assert_eq!(report.counts(), (251, 0));
        assert!(!report.is_valid() && !report.is_schema_valid());
    }

    #[test]
    fn excerpts_are_cut_on_character_boundaries() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(50);
        assert_eq!(excerpt(&long).chars().count(), 41);
    }
}
