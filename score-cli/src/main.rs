//! `score-rs`: compile Score workloads to docker-compose, Kubernetes manifests or Terraform.
//!
//! A thin shell over the library crates: it parses arguments, calls them and prints.

// Every `print!`/`println!` below goes through these: when stdout is a pipe whose reader has
// gone (`score-rs provisioners list | head -1`), the process ends quietly with success, as
// Unix tools do, instead of panicking on the broken pipe. (SIGPIPE stays ignored: a
// `cmd://` provisioner that exits without reading its input must not kill score-rs.)
macro_rules! print {
    ($($arg:tt)*) => { $crate::stdout::print(format_args!($($arg)*)) };
}
macro_rules! println {
    () => { $crate::stdout::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::print(format_args!("{}\n", format_args!($($arg)*))) };
}

mod cli;
mod commands;
mod document;
mod report;
mod stdout;
mod targets;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let matches = with_exit_codes(cli::Cli::command()).get_matches();
    let cli = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    ExitCode::from(commands::run(cli))
}

/// List the exit codes at the end of every command's `--help`, subcommands included.
fn with_exit_codes(cmd: clap::Command) -> clap::Command {
    let help = match cmd.get_after_help() {
        Some(text) => format!("{text}\n\n{}", cli::EXIT_CODES),
        None => cli::EXIT_CODES.to_string(),
    };
    cmd.after_help(help).mut_subcommands(with_exit_codes)
}
