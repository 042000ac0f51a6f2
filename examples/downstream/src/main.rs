//! Replays a recorded trading session and prints what a user would see.

use std::process::ExitCode;

fn main() -> ExitCode {
    match downstream::session::run() {
        Ok(transcript) => {
            for line in transcript {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("downstream: {error}");
            ExitCode::FAILURE
        }
    }
}
