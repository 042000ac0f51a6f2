//! `zenith explain`: what a topic's messages look like, from the catalog the schemas generate;
//! or, for a message pasted on standard input, which message it is.

use std::io::{self, Read, Write};

use serde::Serialize;
use serde_json::Value;
use zenith_protocol::runtime::diagnostics::suggestion;
use zenith_protocol::{Direction, EnvelopeKeys, MessageInfo, MessageKind};
use zenith_redact::Screen;

use crate::exit::Exit;
use crate::render::{OutputFormat, warn};
use crate::render::{print, safe, write_grid};

/// The longest message read from standard input.
const MAX_MESSAGE_BYTES: u64 = 16 << 20;

/// One topic, as explained.
#[derive(Serialize)]
struct TopicView {
    controller: String,
    topic: String,
    description: &'static str,
    permissions: &'static [&'static str],
    arguments: Vec<Form>,
    messages: Vec<MessageView>,
    /// For a pasted message: whether its schema accepts it, and the problems found.
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
}

#[derive(Serialize)]
struct Form {
    form: String,
    parts: Vec<Part>,
}

#[derive(Serialize)]
struct Part {
    name: &'static str,
    pattern: &'static str,
    description: &'static str,
}

/// One message of the topic.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageView {
    name: &'static str,
    direction: &'static str,
    action: &'static str,
    schema: &'static str,
    reply_topics: &'static [&'static str],
    fields: Vec<Field>,
    example: Option<Value>,
}

#[derive(Serialize)]
struct Field {
    name: &'static str,
    #[serde(rename = "type")]
    type_text: &'static str,
    required: bool,
    nullable: bool,
    secret: bool,
    description: &'static str,
}

#[derive(Serialize)]
struct Verdict {
    valid: bool,
    problems: Vec<String>,
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// A topic (`Market/Depth`, `Depth`), or `-` for a message on standard input.
    #[arg(value_name = "TOPIC")]
    pub what: String,
    /// How to print the explanation.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub format: OutputFormat,
}

pub fn run(args: &ExplainArgs) -> Exit {
    let explained = if args.what == "-" { pasted() } else { named(&args.what) };
    let explained = match explained {
        Ok(explained) => explained,
        Err(reason) => {
            warn(format_args!("{reason}"));
            return Exit::Failed;
        }
    };
    match print(args.format, &explained, human) {
        Ok(()) => Exit::Clean,
        Err(code) => code,
    }
}

/// `Controller/Topic`, or a topic alone, with or without its arguments (`Depth!BHP.ASX`).
fn named(what: &str) -> Result<TopicView, String> {
    let (controller, topic) = match what.split_once('/') {
        Some((controller, topic)) => (Some(controller), topic),
        None => (None, what),
    };
    let topic = topic.split_once('!').map_or(topic, |(topic, _)| topic);
    let of_topic = || MessageKind::ALL.iter().copied().filter(|k| k.info().topic == Some(topic));
    let mut kinds: Vec<MessageKind> =
        of_topic().filter(|k| controller.is_none_or(|c| k.info().controller.unwrap_or("*") == c)).collect();
    if kinds.is_empty() {
        // A topic every controller takes (`Configure`) is the same whatever controller is named.
        kinds = of_topic().filter(|k| k.info().controller.is_none()).collect();
    }
    if kinds.is_empty()
        && let Some(other) = of_topic().next()
    {
        let owner = other.info().controller.unwrap_or("*");
        return Err(format!("`{}` is a topic of `{owner}`: try `{owner}/{}`", safe(topic), safe(topic)));
    }
    let Some(first) = kinds.first() else {
        let topics: Vec<&str> = MessageKind::ALL.iter().filter_map(|k| k.info().topic).collect();
        let hint = suggestion(topic, &topics).map_or_else(
            || " (`zenith explain` takes a topic such as `Market/Depth` or `Depth`)".to_owned(),
            |near| format!("; did you mean `{near}`?"),
        );
        let known = controller.map_or(String::new(), |c| format!(" of controller `{}`", safe(c)));
        return Err(format!("no topic `{}`{known}{hint}", safe(topic)));
    };
    let controllers: Vec<&str> = kinds.iter().map(|k| k.info().controller.unwrap_or("*")).collect();
    if controllers.iter().any(|c| *c != controllers[0]) {
        let mut names: Vec<String> = controllers.iter().map(|c| format!("`{c}/{topic}`")).collect();
        names.dedup();
        return Err(format!("`{}` is a topic of several controllers: name one, {}", safe(topic), names.join(" or ")));
    }
    Ok(explain(*first, &kinds, None))
}

/// A message on standard input: the topic of the message it is, that message first. What is
/// said of the message (its problems, or why it is none) passes the credential rules, with
/// copies of the credentials in it hidden too.
fn pasted() -> Result<TopicView, String> {
    let mut text = String::new();
    io::stdin()
        .take(MAX_MESSAGE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("standard input: {e} (paste one JSON message)"))?;
    let mut screen = Screen::default();
    screen.learn_text(&text);
    identify(&text, &mut screen).map_err(|reason| screen.text(&reason))
}

/// The message `text` is, explained, its problems screened.
fn identify(text: &str, screen: &mut Screen) -> Result<TopicView, String> {
    // A message of many values is not read into a tree: its verdict comes from one pass.
    let (value, large) =
        zenith_check::outline::tree(text).map_err(|e| format!("standard input is not one JSON message: {e}"))?;
    let keys = EnvelopeKeys::read(&value).map_err(|e| format!("standard input: {e}"))?;
    let kind = [Direction::Send, Direction::Receive].into_iter().find_map(|d| keys.kind(d)).ok_or_else(|| {
        // An unknown topic is told as for a named one, with a suggestion.
        if let Some(Err(unknown)) = keys.topic.map(|t| named(&format!("{}/{t}", keys.controller)).map(|_| ())) {
            return unknown;
        }
        let topic = keys.topic.unwrap_or("(none)");
        format!(
            "no schema takes a message with Controller `{}`, Topic `{}` and Action `{}`",
            safe(keys.controller),
            safe(topic),
            safe(keys.action)
        )
    })?;
    let info = kind.info();
    let kinds: Vec<MessageKind> = MessageKind::ALL
        .iter()
        .copied()
        .filter(|k| k.info().controller == info.controller && k.info().topic == info.topic && *k != kind)
        .collect();
    let verdict = match large {
        Some(values) => too_large(kind, text, values),
        None => validated(kind, &value, screen),
    };
    let all: Vec<MessageKind> = std::iter::once(kind).chain(kinds).collect();
    Ok(explain(kind, &all, Some(verdict)))
}

/// The verdict on a message too large to read into a tree: valid or not, its problems unlocated.
fn too_large(kind: MessageKind, text: &str, values: u64) -> Verdict {
    let verdict = zenith_check::outline::verdict(kind, text);
    let problems = match verdict {
        zenith_protocol::Verdict::Clean => Vec::new(),
        _ => vec![format!(
            "the message holds {values} JSON values, over the {} that are read to locate problems, so they are not \
             listed",
            zenith_check::outline::TREE_VALUES
        )],
    };
    Verdict { valid: verdict != zenith_protocol::Verdict::Invalid, problems }
}

/// The verdict on a message read into a tree, its problems screened.
fn validated(kind: MessageKind, value: &Value, screen: &mut Screen) -> Verdict {
    let report = kind.validate(value);
    Verdict {
        valid: report.is_valid(),
        problems: report
            .problems
            .iter()
            .map(|p| format!("{}: {}", screen.path(&p.instance_path), screen.text(&p.message)))
            .chain(
                report.omitted.iter().map(|o| format!("{} more {} {} not shown", o.count, o.severity.as_str(), o.code)),
            )
            .collect(),
    }
}

fn explain(lead: MessageKind, kinds: &[MessageKind], verdict: Option<Verdict>) -> TopicView {
    let info = lead.info();
    // What the topic is for: its request's description, else its first message's.
    let request = kinds.iter().copied().find(|k| k.info().direction == Direction::Send).unwrap_or(lead);
    let description = if verdict.is_some() { lead.docs().description } else { request.docs().description };
    let arguments = kinds
        .iter()
        .map(|k| k.info().arguments)
        .find(|a| !a.is_empty())
        .unwrap_or_default()
        .iter()
        .map(|form| Form {
            form: form_text(info, form.text),
            parts: form
                .parts
                .iter()
                .map(|p| Part { name: p.name, pattern: p.pattern.source, description: p.description })
                .collect(),
        })
        .collect();
    TopicView {
        controller: info.controller.unwrap_or("*").to_owned(),
        topic: info.topic.unwrap_or("*").to_owned(),
        description,
        permissions: info.permissions,
        arguments,
        messages: kinds.iter().map(|k| message(*k)).collect(),
        verdict,
    }
}

fn form_text(info: &MessageInfo, form: &str) -> String {
    let topic = info.topic.unwrap_or("*");
    if form.is_empty() { topic.to_owned() } else { format!("{topic}!{form}") }
}

fn message(kind: MessageKind) -> MessageView {
    let (info, docs) = (kind.info(), kind.docs());
    MessageView {
        name: info.name,
        direction: if info.direction == Direction::Send { "send" } else { "receive" },
        action: info.action,
        schema: info.schema_file,
        reply_topics: info.reply_topics,
        fields: docs
            .fields
            .iter()
            .map(|f| Field {
                name: f.wire,
                type_text: f.type_text,
                required: f.required,
                nullable: f.nullable,
                secret: f.secret,
                description: f.description,
            })
            .collect(),
        example: docs.example.and_then(shown),
    }
}

/// An example with its credentials (the reference's sample passwords too) replaced.
fn shown(example: &str) -> Option<Value> {
    let mut screen = Screen::default();
    screen.learn_text(example);
    serde_json::from_str(&screen.text(example)).ok()
}

fn human(out: &mut dyn Write, explained: &TopicView) -> io::Result<()> {
    writeln!(out, "{}/{}: {}", explained.controller, explained.topic, explained.description)?;
    let permissions =
        if explained.permissions.is_empty() { "none".to_owned() } else { explained.permissions.join(", ") };
    writeln!(out, "Permissions: {permissions}")?;
    if let Some(verdict) = &explained.verdict {
        let valid = if verdict.valid { "valid" } else { "not valid" };
        writeln!(out, "\nThe message given: {} ({valid})", explained.messages[0].name)?;
        for problem in &verdict.problems {
            writeln!(out, "  {}", safe(problem))?;
        }
    }
    for form in &explained.arguments {
        writeln!(out, "\nArguments: {}", form.form)?;
        let rows: Vec<Vec<String>> = form
            .parts
            .iter()
            .map(|p| vec![p.name.to_owned(), p.pattern.to_owned(), p.description.to_owned()])
            .collect();
        write_grid(out, &rows)?;
    }
    for message in &explained.messages {
        writeln!(out, "\n{} ({}, {}), {}", message.name, message.direction, message.action, message.schema)?;
        if !message.reply_topics.is_empty() {
            writeln!(out, "Replies on: {}", message.reply_topics.join(", "))?;
        }
        let mut rows = vec![["Field", "Type", "Required", "Description"].map(str::to_owned).to_vec()];
        for field in &message.fields {
            let mut type_text = field.type_text.to_owned();
            if field.nullable && !type_text.contains("null") {
                type_text.push_str(" or null");
            }
            let required = if field.required { "yes" } else { "no" };
            rows.push(vec![field.name.to_owned(), type_text, required.to_owned(), field.description.to_owned()]);
        }
        write_grid(out, &rows)?;
        if let Some(example) = &message.example {
            writeln!(out, "Example: {example}")?;
        }
    }
    Ok(())
}
