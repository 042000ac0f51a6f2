//! `cargo xtask codegen [--check]`: regenerates (or checks) every file derived from `schemas/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => run(xtask::Mode::Write),
        ["codegen", "--check"] => run(xtask::Mode::Check),
        _ => {
            eprintln!("usage: cargo xtask codegen [--check]");
            ExitCode::from(2)
        }
    }
}

fn run(mode: xtask::Mode) -> ExitCode {
    match xtask::codegen(&xtask::project_root(), mode) {
        Ok(report) => {
            print!("{report}");
            if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
