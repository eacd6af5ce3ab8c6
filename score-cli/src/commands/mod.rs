//! One module per subcommand.

mod generate;
mod init;
mod manage;
mod validate;

use crate::cli::{Cli, Command, Format};
use crate::report::Reporter;

/// Exit code: all good.
pub const OK: u8 = 0;
/// Exit code: the input is invalid or the run failed.
pub const FAILED: u8 = 1;

/// Run a subcommand and return the process exit code.
pub fn run(cli: Cli) -> u8 {
    let state_dir = score_core::state::StateDir::new(&cli.state_dir);
    match cli.command {
        Command::Validate {
            files,
            format,
            target,
        } => validate::run(&files, target, &state_dir, &mut Reporter::new(format)),
        Command::Init(args) => finish(init::run(&state_dir, &args)),
        Command::Generate(args) => finish(generate::run(&state_dir, &args)),
        Command::Workloads(c) => finish(manage::workloads(&state_dir, c)),
        Command::Provisioners(c) => finish(manage::provisioners(&state_dir, c)),
        Command::Resources(c) => finish(manage::resources(&state_dir, c)),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "score-rs", &mut script);
            print!("{}", String::from_utf8_lossy(&script));
            OK
        }
    }
}

/// Print the diagnostics of a failed command; warnings are printed by the commands themselves.
fn finish(result: Result<(), Vec<score_core::Diagnostic>>) -> u8 {
    match result {
        Ok(()) => OK,
        Err(diags) => {
            Reporter::new(Format::Human).diagnostics(&diags);
            FAILED
        }
    }
}
