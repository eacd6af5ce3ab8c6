//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  score-rs validate                                 check ./score.yaml
  score-rs init                                     create .score-rs/ and a sample score.yaml
  score-rs generate score.yaml                      write compose.yaml
  score-rs generate score.yaml --target k8s         write manifests.yaml
  score-rs generate a.yaml b.yaml --target terraform -o infra/
  score-rs generate --target k8s -o -               re-render every workload in state to stdout
  score-rs resources list                           show provisioned resources
  score-rs completions bash > /etc/bash_completion.d/score-rs";

/// Shown at the end of every command's `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success (warnings do not fail a run)
  1  invalid input (a Score, provisioner or state file) or a failed generation
  2  usage error: unknown flag or value, missing input file, conflicting options";

/// Compile Score workloads to docker-compose, Kubernetes manifests or Terraform.
#[derive(Debug, Parser)]
#[command(name = "score-rs", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// The state directory.
    #[arg(
        long,
        global = true,
        default_value = ".score-rs",
        env = "SCORE_RS_STATE_DIR"
    )]
    pub state_dir: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

/// Report format of `validate` and `generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Diagnostics rendered with source snippets on stderr (colour only on a terminal).
    #[default]
    Human,
    /// One JSON document on stdout (see docs/ci.md); the human diagnostics still go to stderr.
    Json,
    /// Was Terraform's HCL/JSON switch, now `--tf-format`; kept only to say so.
    #[value(hide = true)]
    Hcl,
}

/// Output targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetName {
    /// docker-compose (`compose.yaml`).
    Compose,
    /// Kubernetes manifests (`manifests.yaml`).
    K8s,
    /// A Terraform root module for hashicorp/kubernetes (`score-terraform/`).
    Terraform,
}

impl TargetName {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetName::Compose => "compose",
            TargetName::K8s => "k8s",
            TargetName::Terraform => "terraform",
        }
    }
}

/// Listing formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    /// Aligned columns.
    #[default]
    Table,
    /// JSON.
    Json,
}

/// Value formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ValueFormat {
    /// JSON.
    #[default]
    Json,
    /// YAML.
    Yaml,
}

/// Terraform output syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TfFormat {
    /// `main.tf` and friends.
    #[default]
    Hcl,
    /// `main.tf.json` and friends.
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
        /// Report format: `json` prints one JSON document to stdout.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Check `${resources.NAME.KEY}` against this target's provisioners only (default:
        /// every target; a key no target provides is an error, one some lack a warning).
        #[arg(long, short = 't', value_enum)]
        target: Option<TargetName>,
    },
    /// Create the state directory, default provisioners and a sample score.yaml.
    Init(InitArgs),
    /// Provision resources and write compose / Kubernetes / Terraform output.
    Generate(Box<GenerateArgs>),
    /// Workloads in the project state.
    #[command(subcommand)]
    Workloads(WorkloadsCommand),
    /// Installed provisioners.
    #[command(subcommand)]
    Provisioners(ProvisionersCommand),
    /// Provisioned resources.
    #[command(subcommand)]
    Resources(ResourcesCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `init` arguments.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Project name (compose project); defaults to the directory name.
    #[arg(long)]
    pub project: Option<String>,
    /// Install provisioner files: a file, a directory (its `*.provisioners.yaml`), an
    /// `http(s)://` URL, or `-` for stdin. Repeatable; later installs take precedence.
    #[arg(long = "provisioners", value_name = "FILE|DIR|URL")]
    pub provisioners: Vec<PathBuf>,
    /// Install a patch template (repeatable).
    #[arg(long = "patch-templates", value_name = "FILE")]
    pub patch_templates: Vec<PathBuf>,
    /// Do not write a sample score.yaml.
    #[arg(long)]
    pub no_sample: bool,
}

/// `generate` arguments.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Score files to add or replace in the project; none re-renders every workload in state.
    pub files: Vec<PathBuf>,
    /// What to generate.
    #[arg(long, short = 't', value_enum, default_value = "compose")]
    pub target: TargetName,
    /// Output file (directory for terraform); `-` writes to stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Write nothing: compare what would be generated with the files on disk, print a unified
    /// diff of each difference, and exit with 1 when any file differs or is missing.
    #[arg(long)]
    pub check: bool,
    /// A YAML file deep-merged into the Score file (needs exactly one Score file).
    #[arg(long, value_name = "FILE")]
    pub overrides_file: Option<PathBuf>,
    /// `path=value` override (YAML value; empty deletes; `\.` escapes a dot). Repeatable.
    #[arg(long, value_name = "PATH=VALUE")]
    pub override_property: Vec<String>,
    /// Image for containers whose image is `.`.
    #[arg(long)]
    pub image: Option<String>,
    /// compose: publish a port, `HOST_PORT:<workload>:PORT`. Repeatable.
    #[arg(long, value_name = "HOST:WORKLOAD:PORT")]
    pub publish: Vec<String>,
    /// compose: build context for image `.`, `<container>=<dir>`. Repeatable.
    #[arg(long, value_name = "CONTAINER=DIR")]
    pub build: Vec<String>,
    /// compose: write a skeleton `.env` with the variables compose will read.
    #[arg(long)]
    pub env_file: Option<PathBuf>,
    /// k8s/terraform: namespace for every object.
    #[arg(long)]
    pub namespace: Option<String>,
    /// k8s: also emit the Namespace object.
    #[arg(long)]
    pub generate_namespace: bool,
    /// terraform: write HCL (`main.tf`, the default) or Terraform JSON (`main.tf.json`).
    #[arg(long, value_enum, value_name = "SYNTAX")]
    pub tf_format: Option<TfFormat>,
    /// Report format: `json` prints one JSON document to stdout (needs `-o` other than `-`).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `workloads` subcommands.
#[derive(Debug, Subcommand)]
pub enum WorkloadsCommand {
    /// List workloads in state.
    List,
    /// Remove a workload; its resources no other workload uses are dropped on the next generate.
    Remove {
        /// Workload name.
        name: String,
    },
}

/// `provisioners` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProvisionersCommand {
    /// List provisioners in match order.
    List {
        /// Only those that serve this target.
        #[arg(long, value_enum)]
        target: Option<TargetName>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
}

/// `resources` subcommands.
#[derive(Debug, Subcommand)]
pub enum ResourcesCommand {
    /// List provisioned resources.
    List {
        /// Target whose resources to list.
        #[arg(long, value_enum, default_value = "compose")]
        target: TargetName,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
    /// Print a resource's outputs.
    GetOutputs {
        /// The resource UID, e.g. `postgres.default#web.db`.
        uid: String,
        /// Target whose state to read.
        #[arg(long, value_enum, default_value = "compose")]
        target: TargetName,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: ValueFormat,
        /// Print secret outputs (passwords, keys) instead of masking them.
        #[arg(long)]
        show_secrets: bool,
    },
}
