//! The walker the generated full-pass validators report through: it tracks the instance path
//! and words each problem.

use serde_json::Value;

use super::super::budget::Budget;
use super::super::drift::{Drift, DriftDecision};
use super::super::secret::REDACTED;
use super::report::{Code, Omitted, Problem, Report, Severity};
use super::text::{code_suggestion, excerpt, json_kind, near_miss, suggestion};

/// Walks a message in a full validation pass, tracking the instance path and collecting problems.
#[derive(Debug)]
pub struct Walker {
    path: String,
    report: Report,
    budget: Budget,
    /// Every problem found, those not kept included.
    found: usize,
    /// An error the real client makes on purpose, kept an error: its note, and the length of the
    /// path of the value it is about (errors there and one level below carry the note).
    note: Option<(&'static Drift, usize)>,
}

impl Walker {
    /// A walker whose paths start at `prefix` (empty for a whole message).
    pub fn new(prefix: &str) -> Walker {
        Walker { path: prefix.to_owned(), report: Report::default(), budget: Budget::default(), found: 0, note: None }
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

    /// Runs `check` with its errors, here and one level down, saying what the real client does
    /// (`note`, when there is one).
    pub fn noted(&mut self, note: Option<&'static Drift>, check: impl FnOnce(&mut Walker)) {
        let Some(note) = note else { return check(self) };
        let outer = self.note.replace((note, self.path.len()));
        check(self);
        self.note = outer;
    }

    /// A difference with the real client that the schemas accept, with its finding.
    pub fn drift(&mut self, drift: &'static Drift, subject: &str) {
        if let Some(severity) = drift.severity() {
            self.report(severity, Code::ClientDrift, drift.at, drift.finding(subject));
        }
    }

    /// The note of an error kept although the real client makes it on purpose: one given to the
    /// value being walked ([`Walker::noted`]), or one on the schema rule itself.
    fn note_for(&self, schema_path: &str) -> Option<&'static Drift> {
        if let Some((drift, len)) = self.note
            && let Some(below) = self.path.get(len..)
            && below.matches('/').count() <= 1
        {
            return Some(drift);
        }
        crate::generated::messages::CLIENT_DRIFT.iter().copied().find(|d| {
            d.decision == DriftDecision::Error
                && schema_path.strip_prefix(d.at).is_some_and(|rest| {
                    rest.is_empty() || rest.strip_prefix('/').is_some_and(|keyword| !keyword.contains('/'))
                })
        })
    }

    /// Runs `check` with the path extended by an array index.
    pub fn index(&mut self, index: usize, check: impl FnOnce(&mut Walker)) {
        let len = self.path.len();
        self.path.push('/');
        self.path.push_str(&index.to_string());
        check(self);
        self.path.truncate(len);
    }

    fn report(&mut self, severity: Severity, code: Code, schema_path: &'static str, mut message: String) {
        self.found += 1;
        if self.budget.admit(self.path.len() + message.len()) {
            // A finding the real client causes on purpose says so.
            if severity != Severity::Info
                && code != Code::ClientDrift
                && let Some(drift) = self.note_for(schema_path)
            {
                message = format!("{message} ({}; {})", drift.note(), drift.id);
            }
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
        let message = match suggestion(value, known).or_else(|| code_suggestion(value, known)) {
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
        let message = match code_suggestion(value, known) {
            Some(name) => format!("`{}` is not a documented code: did you mean `{name}`?", excerpt(value)),
            None => format!("`{}` is not a documented code", excerpt(value)),
        };
        // A misspelt code is a mistake; another code, one without its prefix included, may be
        // the server's own.
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
        let message = match code_suggestion(member, known) {
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

/// A short description of a value for messages: its kind and, unless secret, an excerpt.
pub fn describe(value: &Value, secret: bool) -> String {
    let kind = json_kind(value);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::diagnostics::Omitted;

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
}
