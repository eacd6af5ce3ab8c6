//! Usage errors found before a command runs: input files that do not exist and options that
//! conflict. They exit with [`super::USAGE`] (clap reports unknown flags and values the same way).

use std::path::{Path, PathBuf};

use score_core::Diagnostic;

use crate::cli::{Format, GenerateArgs, TargetName};

/// The code prefix of usage errors; [`super::exit_code`] maps them to exit code 2.
pub const PREFIX: &str = "score::usage::";

fn usage(code: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(format!("{PREFIX}{code}"), message)
}

/// An error for `path` when it does not exist (`-`, standard input, always does).
pub fn missing(path: &Path) -> Option<Diagnostic> {
    if path == Path::new("-") || path.symlink_metadata().is_ok() {
        return None;
    }
    Some(
        usage(
            "missing_file",
            format!("`{}` does not exist", path.display()),
        )
        .with_help(if path == Path::new("score.yaml") {
            "run `score-rs init` to write a sample score.yaml, or pass the Score files to use"
        } else {
            "check the path (relative paths start at the current directory)"
        }),
    )
}

/// Whether `arg` is an `http(s)://` URL (`init --provisioners` downloads those), not a path.
pub fn is_url(arg: &Path) -> bool {
    let text = arg.to_string_lossy();
    text.starts_with("http://") || text.starts_with("https://")
}

/// Errors for every path in `paths` that does not exist.
pub fn missing_files<'a>(paths: impl IntoIterator<Item = &'a PathBuf>) -> Vec<Diagnostic> {
    paths.into_iter().filter_map(|p| missing(p)).collect()
}

/// Refuse `--format hcl`, which selected Terraform's syntax before `--tf-format` existed.
pub fn format(format: Format) -> Result<(), Vec<Diagnostic>> {
    if format != Format::Hcl {
        return Ok(());
    }
    Err(vec![usage(
        "format",
        "`--format hcl` is not a report format",
    )
    .with_help(
        "Terraform's syntax is chosen with `--tf-format hcl|json`; `--format` is `human` or `json`",
    )])
}

/// Options of `generate` that conflict, that the target ignores, or input files that are missing.
pub fn generate(args: &GenerateArgs) -> Result<(), Vec<Diagnostic>> {
    format(args.format)?;
    let mut errors = missing_files(args.files.iter().chain(&args.overrides_file));
    let target = args.target;
    let only = |option: &str, given: bool, targets: &[TargetName]| {
        (given && !targets.contains(&target)).then(|| {
            let names: Vec<&str> = targets.iter().map(|t| t.as_str()).collect();
            usage(
                "conflict",
                format!(
                    "`{option}` applies to --target {}, not to --target {}",
                    names.join(" or "),
                    target.as_str()
                ),
            )
        })
    };
    use TargetName::{Compose, K8s, Terraform};
    errors.extend(
        [
            only("--publish", !args.publish.is_empty(), &[Compose]),
            only("--build", !args.build.is_empty(), &[Compose]),
            only("--env-file", args.env_file.is_some(), &[Compose]),
            only("--namespace", args.namespace.is_some(), &[K8s, Terraform]),
            only("--generate-namespace", args.generate_namespace, &[K8s]),
            only("--tf-format", args.tf_format.is_some(), &[Terraform]),
        ]
        .into_iter()
        .flatten(),
    );
    if args.check && args.output.as_deref() == Some(Path::new("-")) {
        errors.push(
            usage(
                "conflict",
                "`--check` compares files on disk; `-o -` writes none",
            )
            .with_help("name the file to compare with `-o FILE`, or leave `-o` out"),
        );
    }
    if args.format == Format::Json && args.output.as_deref() == Some(Path::new("-")) {
        errors.push(
            usage(
                "conflict",
                "`--format json` and `-o -` both write to stdout",
            )
            .with_help("write the output to a file (`-o FILE`) to get the JSON report on stdout"),
        );
    }
    // `--format json` used to mean Terraform JSON: refuse to guess which one is meant.
    if args.format == Format::Json && target == Terraform && args.tf_format.is_none() {
        errors.push(
            usage(
                "conflict",
                "`--format json` selects the JSON report; say which Terraform syntax to write",
            )
            .with_help("add `--tf-format hcl` (main.tf) or `--tf-format json` (main.tf.json)"),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Input files of `init` that are missing (URLs are fetched later; a failed download exits 1).
pub fn init(provisioners: &[PathBuf], patch_templates: &[PathBuf]) -> Result<(), Vec<Diagnostic>> {
    let local = provisioners.iter().filter(|p| !is_url(p));
    let errors = missing_files(local.chain(patch_templates));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
