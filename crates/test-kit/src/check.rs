//! Checking a capture in memory: the capture reader's events through a `zenith_check::Checker`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use zenith_capture::{Event, Format, Limits};
use zenith_check::{Checker, Finding, Summary};

use crate::Capture;

/// A capture to check or read: its bytes, and the name findings give it when the test names
/// none. Text (`&str`, `String`) is the capture itself; a path (`&Path`, `PathBuf`) is read.
pub trait Input {
    /// The capture's bytes.
    fn bytes(&self) -> Cow<'_, [u8]>;
    /// The name findings give the capture: the path of a file, `capture` otherwise.
    fn name(&self) -> String {
        "capture".to_owned()
    }
}

impl Input for [u8] {
    fn bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}

impl<const N: usize> Input for [u8; N] {
    fn bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}

impl Input for Vec<u8> {
    fn bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}

impl Input for str {
    fn bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.as_bytes())
    }
}

impl Input for String {
    fn bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.as_bytes())
    }
}

/// Checked as its JSON Lines.
impl Input for Capture {
    fn bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.jsonl().into_bytes())
    }
}

impl Input for Path {
    fn bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(std::fs::read(self).unwrap_or_else(|e| panic!("reading {}: {e}", self.display())))
    }
    fn name(&self) -> String {
        self.display().to_string()
    }
}

impl Input for PathBuf {
    fn bytes(&self) -> Cow<'_, [u8]> {
        self.as_path().bytes()
    }
    fn name(&self) -> String {
        self.as_path().name()
    }
}

impl<T: Input + ?Sized> Input for &T {
    fn bytes(&self) -> Cow<'_, [u8]> {
        (**self).bytes()
    }
    fn name(&self) -> String {
        (**self).name()
    }
}

/// How to check: the name findings give the capture, its format (told from its start when not
/// given, as `zenith check` tells it) and the reader's limits.
#[derive(Clone, Debug, Default)]
pub struct Check {
    source: Option<String>,
    format: Option<Format>,
    limits: Limits,
}

impl Check {
    pub fn new() -> Check {
        Check::default()
    }

    /// The name findings give the capture.
    pub fn source(mut self, source: &str) -> Check {
        self.source = Some(source.to_owned());
        self
    }

    /// The capture's format, rather than the one its start tells.
    pub fn format(mut self, format: Format) -> Check {
        self.format = Some(format);
        self
    }

    /// The capture reader's limits.
    pub fn limits(mut self, limits: Limits) -> Check {
        self.limits = limits;
        self
    }

    /// Every finding, in the order the checker reports them, and the summary. Panics when the
    /// capture cannot be read at all.
    pub fn run(&self, input: impl Input) -> (Vec<Finding>, Summary) {
        let source = self.source.clone().unwrap_or_else(|| input.name());
        let mut checker = Checker::new(&source);
        let mut findings = Vec::new();
        self.read(&input, &mut |event| checker.event(event, &mut |f| findings.push(f)));
        let summary = checker.finish(&mut |f| findings.push(f));
        (findings, summary)
    }

    /// Checks events already read (or made by the test), in order.
    pub fn events(&self, events: impl IntoIterator<Item = Event>) -> (Vec<Finding>, Summary) {
        let mut checker = Checker::new(self.source.as_deref().unwrap_or("capture"));
        let mut findings = Vec::new();
        for event in events {
            checker.event(event, &mut |f| findings.push(f));
        }
        let summary = checker.finish(&mut |f| findings.push(f));
        (findings, summary)
    }

    /// Every event the capture reader gives for `input`. Panics when it cannot be read at all.
    pub fn read_events(&self, input: impl Input) -> Vec<Event> {
        let mut events = Vec::new();
        self.read(&input, &mut |event| events.push(event));
        events
    }

    fn read(&self, input: &dyn Input, sink: &mut dyn FnMut(Event)) {
        let bytes = input.bytes();
        let format = self.format.unwrap_or_else(|| zenith_capture::detect_prefix(&bytes));
        zenith_capture::read(format, &bytes[..], self.limits, sink)
            .unwrap_or_else(|e| panic!("reading {} as {}: {e}", input.name(), format.as_str()));
    }
}

/// Checks `input` with [`Check`]'s defaults: its findings, in order, and the summary.
pub fn check(input: impl Input) -> (Vec<Finding>, Summary) {
    Check::new().run(input)
}

/// Every event the capture reader gives for `input`, its format told from its start.
pub fn events(input: impl Input) -> Vec<Event> {
    Check::new().read_events(input)
}
