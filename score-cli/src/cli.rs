//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  score-rs validate                       check ./score.yaml
  score-rs validate a.yaml b.yaml         check several files
  cat score.yaml | score-rs validate -    check standard input
  score-rs validate --format json         one JSON object per diagnostic, for CI
  score-rs completions bash > /etc/bash_completion.d/score-rs";

/// Compile Score workloads to docker-compose, Kubernetes manifests or Terraform.
#[derive(Debug, Parser)]
#[command(name = "score-rs", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// How to print diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(subcommand)]
    pub command: Command,
}

/// Diagnostic output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Rendered with source snippets (colour only on a terminal).
    Human,
    /// One JSON object per line: file, line, column, code, severity, message.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check Score files against the schema and the semantic rules.
    Validate {
        /// Score files (YAML or JSON); `-` reads standard input.
        #[arg(default_value = "score.yaml")]
        files: Vec<PathBuf>,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}
