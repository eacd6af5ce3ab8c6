//! One module per subcommand.

mod validate;

use crate::cli::Command;
use crate::report::Reporter;

/// Exit code: all good.
pub const OK: u8 = 0;
/// Exit code: the input is invalid.
pub const INVALID: u8 = 1;

/// Run a subcommand and return the process exit code.
pub fn run(command: Command, reporter: &mut Reporter) -> u8 {
    match command {
        Command::Validate { files } => validate::run(&files, reporter),
        Command::Completions { shell } => {
            let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "score-rs", &mut std::io::stdout());
            OK
        }
    }
}
