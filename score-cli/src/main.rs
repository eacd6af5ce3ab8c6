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

mod backends;
mod cli;
mod commands;
mod report;
mod stdout;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    ExitCode::from(commands::run(cli))
}
