//! `score-rs`: compile Score workloads to docker-compose, Kubernetes manifests or Terraform.
//!
//! A thin shell over the library crates: it parses arguments, calls them and prints.

mod backends;
mod cli;
mod commands;
mod report;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    ExitCode::from(commands::run(cli))
}
