//! `score-rs`: compile Score workloads to docker-compose, Kubernetes manifests or Terraform.
//!
//! A thin shell over the library crates: it parses arguments, calls them and prints.

mod backends;
mod cli;
mod commands;
mod document;
mod regenerated;
mod report;

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
