//! The one place that knows the three targets: each backend built from the command line's
//! options. Everything else goes through [`score_core::backend::Backend`].

use std::path::{Path, PathBuf};

use score_core::backend::Backend;
use score_core::state::{State, StateDir};

use crate::cli::{GenerateArgs, TargetName, TfFormat};

/// Every backend's default provisioners, by target name.
pub fn default_provisioners() -> [(&'static str, &'static str); 3] {
    [
        (score_compose::TARGET, score_compose::DEFAULT_PROVISIONERS),
        (score_k8s::TARGET, score_k8s::DEFAULT_PROVISIONERS),
        (
            score_terraform::TARGET,
            score_terraform::DEFAULT_PROVISIONERS,
        ),
    ]
}

/// The template keys a target's provisioners may render besides `init`/`state`/`shared`/`outputs`.
pub fn artifact_keys(target: &str) -> Vec<String> {
    match target {
        score_compose::TARGET => score_compose::ARTIFACT_KEYS
            .iter()
            .map(|k| k.to_string())
            .collect(),
        score_k8s::TARGET => vec![score_k8s::manifests::KEY.to_string()],
        _ => vec![score_terraform::ARTIFACT_KEY.to_string()],
    }
}

/// Where a target writes when `-o` is not given.
pub fn default_output(target: TargetName) -> &'static str {
    match target {
        TargetName::Compose => "compose.yaml",
        TargetName::K8s => "manifests.yaml",
        TargetName::Terraform => "score-terraform",
    }
}

/// The backend for `generate`, with its options from `args` and the project's state.
pub fn backend(args: &GenerateArgs, state: &State, dir: &StateDir) -> Box<dyn Backend> {
    // `-o -` prints the main output: the default path only names it.
    let output = args
        .output
        .clone()
        .filter(|o| o.as_os_str() != "-")
        .unwrap_or_else(|| PathBuf::from(default_output(args.target)));
    match args.target {
        TargetName::Compose => {
            let compose_dir = output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), PathBuf::from);
            let options = score_compose::Options {
                project: state.project.name.clone().unwrap_or_else(directory_name),
                publish: args.publish.clone(),
                build: args.build.clone(),
                mounts_dir: dir.mounts_dir(),
                compose_dir,
                env_file: false,
            };
            let backend = score_compose::ComposeBackend::new(options).with_file(output);
            match &args.env_file {
                Some(path) => Box::new(backend.with_env_file(path)),
                None => Box::new(backend),
            }
        }
        TargetName::K8s => {
            let options = score_k8s::Options {
                namespace: args.namespace.clone(),
                generate_namespace: args.generate_namespace,
            };
            Box::new(score_k8s::K8sBackend::new(options).with_file(output))
        }
        TargetName::Terraform => {
            let format = match args.tf_format.unwrap_or_default() {
                TfFormat::Hcl => score_terraform::Format::Hcl,
                TfFormat::Json => score_terraform::Format::Json,
            };
            let options = score_terraform::Options { format };
            Box::new(score_terraform::TerraformBackend::new(options).with_dir(output))
        }
    }
}

fn directory_name() -> String {
    std::env::current_dir()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "score".into())
}

/// Whether the default output of `target` stays inside `root` (a `score-terraform` link to
/// elsewhere does not).
pub fn default_output_inside(target: TargetName, root: &Path) -> bool {
    score_core::boundary::is_inside(root, Path::new(default_output(target)))
}
