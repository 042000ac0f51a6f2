//! `zenith replay`: one subscription's state at a point in a capture, as a table or as JSON.

use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::{Map, Value};
use zenith_check::{Replay, State, Until};

use crate::exit::Exit;
use crate::input::{CaptureArgs, open_input};
use crate::render::{OutputFormat, warn};
use crate::render::{print, safe, write_grid};

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// The capture; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub input_file: PathBuf,
    /// The subscription's topic with its arguments, e.g. `Depth!BHP.ASX`.
    #[arg(long, value_name = "TOPIC")]
    pub topic: String,
    /// The connection (as findings name it); the first one with data for the topic by default.
    #[arg(long, value_name = "CONN")]
    pub conn: Option<String>,
    /// Stop after the message with this index on its connection (the `index` of findings).
    #[arg(long, value_name = "N", conflicts_with = "time")]
    pub at: Option<u64>,
    /// Stop after the last message at or before this time: RFC 3339
    /// (`2026-03-20T10:02:31+10:00`) or seconds since the epoch.
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub time: Option<f64>,
    /// How to print the state.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub format: OutputFormat,
    #[command(flatten)]
    pub capture: CaptureArgs,
}

pub fn run(args: &ReplayArgs) -> Exit {
    let source = args.input_file.display().to_string();
    let state = match replay(args, &source) {
        Ok(state) => state,
        Err(reason) => {
            warn(format_args!("{source}: {reason}"));
            return Exit::Failed;
        }
    };
    if state.too_large > 0 {
        warn(format_args!(
            "{source}: {} data message(s) on `{}` not applied: each holds over {} JSON values, too many to read (the \
             state shown lacks what they did)",
            state.too_large,
            safe(&args.topic),
            zenith_check::outline::TREE_VALUES
        ));
    }
    match print(args.format, &state, table) {
        Err(code) => code,
        Ok(()) if state.messages == 0 => {
            warn(format_args!("{source}: no data on `{}` up to that point", safe(&args.topic)));
            Exit::Findings
        }
        _ => Exit::Clean,
    }
}

/// `--time`: RFC 3339, or seconds since the epoch.
pub fn time(text: &str) -> Result<f64, String> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Ok(seconds);
    }
    let timestamp: jiff::Timestamp =
        text.parse().map_err(|e| format!("`{text}` is neither RFC 3339 nor seconds since the epoch: {e}"))?;
    Ok(timestamp.as_millisecond() as f64 / 1000.0)
}

fn replay(args: &ReplayArgs, source: &str) -> Result<State, String> {
    let (reader, _) = open_input(&args.input_file)?;
    let (format, reader) = args.capture.formatted(reader, source)?;
    let until = match (args.at, args.time) {
        (Some(index), _) => Until::Index(index),
        (None, Some(time)) => Until::Time(time),
        (None, None) => Until::End,
    };
    let mut replay = Replay::new(&args.topic, args.conn.as_deref(), until);
    let limits = args.capture.limits();
    zenith_capture::read(format, reader, limits, &mut |event| replay.event(event)).map_err(|e| e.to_string())?;
    Ok(replay.finish())
}

/// The state for a person: where it stands, then its items, records or fields as a table.
fn table(out: &mut dyn Write, state: &State) -> io::Result<()> {
    let conn = state
        .conn
        .as_deref()
        .map_or(String::new(), |c| if c.is_empty() { String::new() } else { format!(" on {}", safe(c)) });
    let at = match (state.index, state.time) {
        (Some(index), Some(time)) => format!(" after message #{index} ({})", crate::render::utc(time)),
        (Some(index), None) => format!(" after message #{index}"),
        _ => String::new(),
    };
    writeln!(out, "{}{conn}{at}: {} data message(s) applied", safe(&state.topic), state.messages)?;
    if let Some(items) = &state.items {
        writeln!(out, "{} item(s)", items.len())?;
        let mut grid = vec![vec!["Position".to_owned(), "Item".to_owned()]];
        grid.extend(items.iter().enumerate().map(|(position, item)| vec![position.to_string(), cell(item)]));
        return write_grid(out, &grid);
    }
    match (&state.records, &state.fields) {
        (Some(records), _) => {
            writeln!(out, "{} record(s)", records.len())?;
            let rows: Vec<(&String, &Map<String, Value>)> =
                book(records.iter().filter_map(|(key, record)| Some((key, record.as_object()?))).collect());
            let mut columns: Vec<&str> = Vec::new();
            for (_, record) in &rows {
                for name in record.keys() {
                    if !columns.contains(&name.as_str()) {
                        columns.push(name);
                    }
                }
            }
            let mut grid: Vec<Vec<String>> =
                vec![std::iter::once("Key").chain(columns.iter().copied()).map(str::to_owned).collect()];
            for (key, record) in rows {
                let mut row = vec![safe(key).into_owned()];
                row.extend(columns.iter().map(|c| record.get(*c).map_or(String::new(), cell)));
                grid.push(row);
            }
            write_grid(out, &grid)
        }
        (None, Some(fields)) => {
            let mut grid = vec![vec!["Field".to_owned(), "Value".to_owned()]];
            grid.extend(fields.iter().map(|(name, value)| vec![safe(name).into_owned(), cell(value)]));
            write_grid(out, &grid)
        }
        (None, None) => Ok(()),
    }
}

/// Records with a `Side` and a `Price` are shown as a book: bids from the highest price down,
/// then asks from the lowest up. Others keep the order they were added in.
fn book<'s>(mut rows: Vec<(&'s String, &'s Map<String, Value>)>) -> Vec<(&'s String, &'s Map<String, Value>)> {
    let side = |r: &Map<String, Value>| r.get("Side").and_then(Value::as_str).map(str::to_owned);
    let price = |r: &Map<String, Value>| r.get("Price").and_then(Value::as_f64);
    if rows.iter().all(|(_, r)| side(r).is_some() && r.contains_key("Price")) {
        rows.sort_by(|(_, a), (_, b)| {
            let rank = |r: &Map<String, Value>| if side(r).as_deref() == Some("Bid") { 0 } else { 1 };
            let (pa, pb) = (price(a).unwrap_or(f64::NAN), price(b).unwrap_or(f64::NAN));
            let by_price = if rank(a) == 0 { pb.total_cmp(&pa) } else { pa.total_cmp(&pb) };
            rank(a).cmp(&rank(b)).then(by_price)
        });
    }
    rows
}

fn cell(value: &Value) -> String {
    match value {
        Value::String(text) => safe(text).into_owned(),
        Value::Null => "null".to_owned(),
        other => safe(&other.to_string()).into_owned(),
    }
}
