//! The tollgate binary: parse, run, map the outcome to an exit status; nothing else.

mod cli;
mod places;
mod progress;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Outcome};
use tollgate::inert::printable_lines;

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
            // The error's causes may quote AWS or the YAML: nothing in them may act.
            eprintln!("error: {}", printable_lines(&format!("{error:#}")));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
