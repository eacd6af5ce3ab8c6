//! One module per subcommand.

mod generate;
mod init;
mod manage;
mod usage;
mod validate;

use score_core::Diagnostic;

use crate::cli::{Cli, Command, Format};
use crate::document::GenerateReport;
use crate::report::{print_document, Reporter};

/// Exit code: all good.
pub const OK: u8 = 0;
/// Exit code: the input is invalid or the run failed.
pub const FAILED: u8 = 1;
/// Exit code: the command line is wrong (clap uses it for unknown flags and values too).
pub const USAGE: u8 = 2;

/// Run a subcommand and return the process exit code.
pub fn run(cli: Cli) -> u8 {
    let state_dir = score_core::state::StateDir::new(&cli.state_dir);
    match cli.command {
        Command::Validate {
            files,
            format,
            target,
        } => match usage::format(format) {
            Ok(()) => validate::run(
                &files,
                target,
                &state_dir,
                format,
                &mut Reporter::new(format),
            ),
            Err(diags) => finish(Err(diags)),
        },
        Command::Init(args) => finish(
            usage::init(&args.provisioners, &args.patch_templates)
                .and_then(|()| init::run(&state_dir, &args)),
        ),
        Command::Generate(args) => {
            let mut reporter = Reporter::new(args.format);
            let result = usage::generate(&args)
                .and_then(|()| generate::run(&state_dir, &args, &mut reporter));
            let code = exit_code(&result);
            if let Err(diags) = &result {
                reporter.diagnostics(diags);
            }
            if args.format == Format::Json {
                let (workloads, files) = result.unwrap_or_default();
                let files = files.iter().map(|p| p.display().to_string()).collect();
                let diags = reporter.recorded();
                let target = args.target.as_str();
                print_document(&GenerateReport::new(target, workloads, files, diags, code));
            }
            code
        }
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

/// The exit code of a command's result: [`USAGE`] when any error is a usage error.
pub fn exit_code<T>(result: &Result<T, Vec<Diagnostic>>) -> u8 {
    match result {
        Ok(_) => OK,
        Err(diags) => usage_or_failed(diags),
    }
}

/// [`USAGE`] when any error is a usage error, else [`FAILED`].
fn usage_or_failed(diags: &[Diagnostic]) -> u8 {
    if diags
        .iter()
        .any(|d| d.is_error() && d.code.starts_with(usage::PREFIX))
    {
        USAGE
    } else {
        FAILED
    }
}

/// Print the diagnostics of a failed command; warnings are printed by the commands themselves.
fn finish(result: Result<(), Vec<Diagnostic>>) -> u8 {
    let code = exit_code(&result);
    if let Err(diags) = result {
        Reporter::new(Format::Human).diagnostics(&diags);
    }
    code
}
