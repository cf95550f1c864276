//! The tollgate binary: parse, run, map the outcome to an exit status; nothing else.

/// `println!` whose text is made inert line by line ([`tollgate::inert::printable_lines`]):
/// the binary's own lines (counts, diagnostics, errors) may quote the YAML, a path or AWS, and
/// none of that may act on a terminal or on the CI runner that reads the log. It shadows std's
/// in every module of the binary. The views, which carry tollgate's own colours and workflow
/// commands, are written with `print!` from text their renderers made inert value by value.
macro_rules! println {
    ($($arg:tt)*) => {
        std::println!("{}", tollgate::inert::printable_lines(&format!($($arg)*)))
    };
}

/// `eprintln!` whose text is made inert line by line, as [`println!`]'s is.
macro_rules! eprintln {
    ($($arg:tt)*) => {
        std::eprintln!("{}", tollgate::inert::printable_lines(&format!($($arg)*)))
    };
}

mod cli;
mod places;
mod progress;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Outcome};

/// Exit statuses, as `terraform plan -detailed-exitcode` uses them.
const EXIT_ERROR: u8 = 1;
const EXIT_CHANGES: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // Help and version are successes; a usage error is an error (1, not clap's 2).
            return if error.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Changes) => ExitCode::from(EXIT_CHANGES),
        Ok(Outcome::Failed) => ExitCode::from(EXIT_ERROR),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
