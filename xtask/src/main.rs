//! `cargo xtask codegen [--check]`: regenerates (or checks) every file derived from `schemas/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => run(xtask::Mode::Write),
        ["codegen", "--check"] => run(xtask::Mode::Check),
        ["gen-capture", count, shape] => gen_capture(count, shape, "auth"),
        ["gen-capture", count, shape, mix] => gen_capture(count, shape, mix),
        _ => {
            eprintln!(
                "usage: cargo xtask codegen [--check]\n       cargo xtask gen-capture COUNT bare|har|har-file [auth|market] > FILE"
            );
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

fn gen_capture(count: &str, shape: &str, mix: &str) -> ExitCode {
    let mix = match mix {
        "auth" => xtask::capture_gen::Mix::Auth,
        "market" => {
            let model = xtask::schema::SchemaSet::load(&xtask::project_root().join("schemas"))
                .and_then(|schemas| xtask::model::Model::build(&schemas))
                .map_err(|e| e.to_string())
                .and_then(|model| xtask::capture_gen::Mix::market(&model));
            match model {
                Ok(mix) => mix,
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
        _ => {
            eprintln!("the mix is `auth` or `market`, not `{mix}`");
            return ExitCode::from(2);
        }
    };
    let shape = match shape {
        "bare" => xtask::capture_gen::Shape::Bare,
        "har" => xtask::capture_gen::Shape::Har,
        "har-file" => xtask::capture_gen::Shape::HarFile,
        _ => {
            eprintln!("the shape is `bare`, `har` or `har-file`, not `{shape}`");
            return ExitCode::from(2);
        }
    };
    let Ok(count) = count.parse() else {
        eprintln!("COUNT must be a number, not `{count}`");
        return ExitCode::from(2);
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match xtask::capture_gen::write(count, shape, &mix, &mut out).and_then(|()| std::io::Write::flush(&mut out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
