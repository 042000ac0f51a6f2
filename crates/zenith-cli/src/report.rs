//! What `check` and `proxy` show on standard output: findings filtered by the output options
//! and counted for the exit code, summaries, as text for people or NDJSON records.

use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use zenith_check::{Finding, Severity, Summary};

use crate::render::Renderer;
use crate::render::{OutputFormat, warn};

/// The output options `check` and `proxy` share.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// `human` (default): problems and a summary table. `json`: one JSON record per problem
    /// (keys source, conn, index, line, time, direction, controller, topic, action, severity,
    /// code, instance_path, schema_path, message, excerpt), a {"file": ...} record per capture
    /// when there are several (`proxy`: a {"connection": ...} record as each one closes), an
    /// {"error": ...} record per capture that cannot be read, then one {"summary": ...} record.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub format: OutputFormat,
    /// Exit with 1 when there are warnings, even without errors; for CI.
    #[arg(long, visible_alias = "strict")]
    pub deny_warnings: bool,
    /// Show only findings of this severity or worse (all are still counted).
    #[arg(long, value_enum, default_value = "info", value_name = "LEVEL")]
    pub severity: SeverityArg,
    /// Show at most N findings (all are still counted).
    #[arg(long, value_name = "N")]
    pub max_findings: Option<u64>,
    /// Show the summary only, no findings.
    #[arg(long)]
    pub summary_only: bool,
    /// Once: the summary only (as --summary-only). Twice: nothing; only the exit code tells.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Colour in human output: `auto` (on a terminal, unless NO_COLOR is set), `always` or
    /// `never`.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorArg,
}

/// `--severity`'s values: clap reads them into this local type, which stands for the one
/// [`Severity`].
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
}

impl From<SeverityArg> for Severity {
    fn from(arg: SeverityArg) -> Severity {
        match arg {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Error => Severity::Error,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Findings and summaries on their way to standard output, counted.
pub struct Report {
    pub out: Output,
    pub renderer: Renderer,
    pub json: bool,
    /// The least serious severity shown.
    severity: Severity,
    max_findings: Option<u64>,
    show_findings: bool,
    pub quiet: u8,
    deny_warnings: bool,
    errors: u64,
    warnings: u64,
    shown: u64,
    hidden: u64,
}

impl Report {
    pub fn new(args: &ReportArgs) -> Report {
        let json = args.format == OutputFormat::Json;
        Report {
            out: Output::new(output(args.format, args.color)),
            renderer: Renderer::new(json),
            json,
            severity: args.severity.into(),
            max_findings: args.max_findings,
            show_findings: !args.summary_only && args.quiet == 0,
            quiet: args.quiet,
            deny_warnings: args.deny_warnings,
            errors: 0,
            warnings: 0,
            shown: 0,
            hidden: 0,
        }
    }

    /// Counts a finding, and shows it when the options let it through.
    pub fn finding(&mut self, finding: &Finding) {
        match finding.level {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Info => {}
        }
        if !self.show_findings || finding.level > self.severity {
            return;
        }
        if self.max_findings.is_some_and(|max| self.shown >= max) {
            self.hidden += 1;
            return;
        }
        self.shown += 1;
        let renderer = &mut self.renderer;
        self.out.write(|out| renderer.finding(out, finding));
        self.out.flush_if_live();
    }

    /// Says how many findings `--max-findings` held back, then shows the overall summary.
    pub fn finish(&mut self, summary: Option<&Summary>) {
        if self.hidden > 0 && self.quiet == 0 {
            self.out.flush();
            warn(format_args!(
                "{} more finding(s) not shown (--max-findings {})",
                self.hidden,
                self.max_findings.unwrap_or(0)
            ));
        }
        if let Some(summary) = summary.filter(|_| self.quiet < 2) {
            let renderer = &mut self.renderer;
            self.out.write(|out| renderer.summary(out, summary));
        }
        self.out.flush();
    }

    /// True when the findings call for exit code 1: errors, or warnings with `--deny-warnings`.
    pub fn failed(&self) -> bool {
        self.errors > 0 || self.deny_warnings && self.warnings > 0
    }
}

/// Standard output, until it is closed: a closed pipe (`zenith check ... | head`) stops the
/// output but not the check, so the exit code still tells. Other write errors are fatal.
pub struct Output {
    stream: anstream::AutoStream<Box<dyn Write + Send>>,
    closed: bool,
    /// Each record is flushed as it is written (a live session's findings are shown as they happen).
    pub live: bool,
}

impl Output {
    fn new(stream: anstream::AutoStream<Box<dyn Write + Send>>) -> Output {
        Output { stream, closed: false, live: false }
    }

    pub fn write(&mut self, write: impl FnOnce(&mut anstream::AutoStream<Box<dyn Write + Send>>) -> io::Result<()>) {
        if !self.closed
            && let Err(error) = write(&mut self.stream)
        {
            self.failed(error);
        }
    }

    pub fn flush(&mut self) {
        if !self.closed
            && let Err(error) = self.stream.flush()
        {
            self.failed(error);
        }
    }

    pub fn flush_if_live(&mut self) {
        if self.live {
            self.flush();
        }
    }

    fn failed(&mut self, error: io::Error) {
        if error.kind() == io::ErrorKind::BrokenPipe {
            self.closed = true;
            return;
        }
        warn(format_args!("writing output failed: {error}"));
        crate::exit::Exit::Failed.now();
    }
}

/// Standard output: line by line on a terminal, in large writes otherwise; styles only where
/// they can show (the JSON records carry none, so they pass through untouched).
fn output(format: OutputFormat, color: ColorArg) -> anstream::AutoStream<Box<dyn Write + Send>> {
    let stdout = io::stdout();
    let choice = match (format, color) {
        (OutputFormat::Json, _) => anstream::ColorChoice::AlwaysAnsi,
        (OutputFormat::Human, ColorArg::Always) => anstream::ColorChoice::Always,
        (OutputFormat::Human, ColorArg::Never) => anstream::ColorChoice::Never,
        (OutputFormat::Human, ColorArg::Auto) => anstream::AutoStream::choice(&stdout),
    };
    let raw: Box<dyn Write + Send> =
        if stdout.is_terminal() { Box::new(stdout) } else { Box::new(io::BufWriter::with_capacity(1 << 16, stdout)) };
    anstream::AutoStream::new(raw, choice)
}
