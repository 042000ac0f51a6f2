//! `zenith` end to end, one module a subcommand, in one test binary.

mod check;
mod common;
mod conversations;
mod explain;
mod export;
mod redact;
mod replay;

use common::zenith;

#[test]
fn subcommands_tell_their_version() {
    for command in ["check", "redact"] {
        let run = zenith(&[command, "--version"], None);
        assert_eq!(run.code, 0, "{command}");
        assert!(run.stdout.contains(env!("CARGO_PKG_VERSION")), "{command}: {}", run.stdout);
    }
}
