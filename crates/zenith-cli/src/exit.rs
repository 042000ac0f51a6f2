//! The exit codes of every command, decided in one place.

use std::process::ExitCode;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done, and nothing wrong was found (0).
    Clean,
    /// Done, and the findings call for attention (1): protocol errors (with `--strict`,
    /// warnings too), or `replay` found no data.
    Findings,
    /// Could not be done (2): unreadable input, output that cannot be written, a refused
    /// redaction, a usage error.
    Failed,
    /// `check`: a capture without any websocket message (3).
    Empty,
}

impl Exit {
    /// The process's exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::Failed => 2,
            Exit::Empty => 3,
        }
    }

    /// Ends the process now, as `self` says (for a failure deep in an output path).
    pub fn now(self) -> ! {
        std::process::exit(i32::from(self.code()))
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}
