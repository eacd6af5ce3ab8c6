//! Dispatch to the backend crates and shape their results for writing.

use std::path::PathBuf;

use serde_json::{Map, Value};

use score_core::ir::Workload;
use score_core::output::Deferred;
use score_core::project::Project;
use score_core::provision::{Resolved, WorkloadInput};
use score_core::Diagnostic;

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

/// The parse cache of each target's default provisioner file, made by `build.rs` (empty when
/// it could not be made). Keyed like [`default_provisioners`].
pub fn default_provisioner_caches() -> [(&'static str, &'static str); 3] {
    macro_rules! cache {
        ($target:literal) => {
            include_str!(concat!(
                env!("OUT_DIR"),
                "/zz-default-",
                $target,
                ".provisioners.yaml.jsonl"
            ))
        };
    }
    [
        ("compose", cache!("compose")),
        ("k8s", cache!("k8s")),
        ("terraform", cache!("terraform")),
    ]
}

/// A file written beside the main output (compose mounts, `.env`).
pub struct SideFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub mode: Option<u32>,
}

/// The main output: one file or a directory of files, with the permission bits to give
/// them (`0o600` when they hold secrets).
pub enum Main {
    File {
        default: &'static str,
        text: String,
        mode: Option<u32>,
    },
    Dir {
        default: &'static str,
        files: Vec<(String, String)>,
        mode: Option<u32>,
    },
}

/// Everything to write.
pub struct Written {
    pub main: Main,
    pub side_files: Vec<SideFile>,
    /// Writing that runs once the state is saved (compose's mounts directory).
    pub deferred: Option<Deferred>,
}

/// A generated result and its warnings.
pub struct Generated {
    pub written: Written,
    pub warnings: Vec<Diagnostic>,
}

/// Provision and lower for the chosen target.
pub fn generate(
    project: &mut Project,
    inputs: Vec<WorkloadInput>,
    args: &GenerateArgs,
) -> Result<Generated, Vec<Diagnostic>> {
    let generated = match args.target {
        TargetName::Compose => compose(project, &inputs, args),
        TargetName::K8s => return k8s(project, inputs, args),
        TargetName::Terraform => terraform(project, &inputs, args),
    };
    // Exiting soon: freeing every workload one by one would only cost time.
    std::mem::forget(inputs);
    generated
}

fn compose(
    project: &mut Project,
    inputs: &[WorkloadInput],
    args: &GenerateArgs,
) -> Result<Generated, Vec<Diagnostic>> {
    let compose_file = args
        .output
        .clone()
        .filter(|o| o.as_os_str() != "-")
        .unwrap_or_else(|| PathBuf::from("compose.yaml"));
    let compose_dir = compose_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let opts = score_compose::Options {
        project: project
            .state
            .project
            .name
            .clone()
            .unwrap_or_else(directory_name),
        publish: args.publish.clone(),
        build: args.build.clone(),
        mounts_dir: project.dir().mounts_dir(),
        compose_dir,
        env_file: args.env_file.is_some(),
    };
    let target = score_compose::target(inputs, &opts);
    // On a first run the mounts directory does not exist: nothing in it can be stale, and the
    // directories of container files can be created on another core while resources are
    // provisioned (the kernel spends longer on them than we do on everything else). Once the
    // files are known, writing them (on both cores) makes whatever directories are left.
    // (Not `exists()`: a dangling `mounts` link is not a fresh directory.)
    let fresh = std::fs::symlink_metadata(&opts.mounts_dir).is_err();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let premade = fresh.then(|| {
        let (mounts_dir, dirs) = (opts.mounts_dir.clone(), score_compose::planned_dirs(inputs));
        let stop = stop.clone();
        std::thread::spawn(move || score_compose::make_dirs(&mounts_dir, &dirs, &stop))
    });
    let lowered = (|| -> Result<score_compose::Output, Vec<Diagnostic>> {
        let resolved = project.provision(&target, inputs)?;
        let mut out = score_compose::generate(&resolved, &opts)?;
        apply_patches(project, &mut out.document, workloads(inputs), "compose")?;
        // Exiting soon: freeing every provisioned resource would only cost time.
        std::mem::forget(resolved);
        Ok(out)
    })();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    // Until the mounts are written, the directories made early are removed again if the run
    // fails (including when the state cannot be saved).
    let premade = PremadeDirs {
        created: premade.map(|h| h.join().unwrap_or_default()),
        mounts_dir: opts.mounts_dir.clone(),
    };
    let mut out = lowered?;
    for line in &out.info_logs {
        eprintln!("{line}");
    }
    // Mounted files (and secret env files, created 0600) go under the mounts dir once the
    // state is saved; files from earlier runs that no workload produces any more are removed.
    let files = std::mem::take(&mut out.files);
    let directories = std::mem::take(&mut out.directories);
    let deferred: Deferred = Box::new(move || -> Result<(), Vec<Diagnostic>> {
        let mut premade = premade;
        // Provisioners' `directories` (kept ones are not searched for stale files).
        let keep: Vec<PathBuf> = directories
            .iter()
            .filter(|(_, make)| **make)
            .map(|(d, _)| d.clone())
            .collect();
        let synced = score_compose::sync_files_keeping(&files, &keep, &premade.mounts_dir, fresh);
        if let Some(created) = premade.created.take() {
            score_compose::remove_unused_dirs(&created, &premade.mounts_dir, &files);
        }
        std::mem::forget(files);
        synced?;
        score_compose::sync_directories(&directories, &premade.mounts_dir)
    });
    let mut side_files = Vec::new();
    if let (Some(path), Some(text)) = (&args.env_file, out.env_file) {
        side_files.push(SideFile {
            path: path.clone(),
            bytes: text.into_bytes(),
            mode: Some(0o600),
        });
    }
    let text = score_compose::to_yaml(&out.document);
    std::mem::forget(out.document);
    Ok(Generated {
        written: Written {
            main: Main::File {
                default: "compose.yaml",
                text,
                // Secret values are moved to 0600 env files: compose.yaml holds none.
                mode: None,
            },
            side_files,
            deferred: Some(deferred),
        },
        warnings: out.warnings,
    })
}

/// Directories of the mounts tree made while provisioning (see `compose`): removed on drop
/// unless the files were written.
struct PremadeDirs {
    created: Option<Vec<PathBuf>>,
    mounts_dir: PathBuf,
}

impl Drop for PremadeDirs {
    fn drop(&mut self) {
        if let Some(created) = &self.created {
            score_compose::remove_unused_dirs(created, &self.mounts_dir, &[]);
            let _ = std::fs::remove_dir(&self.mounts_dir);
        }
    }
}

fn k8s(
    project: &mut Project,
    inputs: Vec<WorkloadInput>,
    args: &GenerateArgs,
) -> Result<Generated, Vec<Diagnostic>> {
    let opts = score_k8s::Options {
        namespace: args.namespace.clone(),
        generate_namespace: args.generate_namespace,
    };
    let target = score_k8s::target(&inputs, &opts);
    // Without patch templates nothing needs all objects at once: each resource's manifests are
    // written as YAML as soon as it is provisioned, each workload's objects once it is lowered.
    let unpatched = matches!(project.patch_templates(), Ok(t) if t.is_empty());
    let (resolved, (text, warnings)) = if unpatched {
        let mut writer = score_k8s::YamlWriter::new(&opts);
        let resolved = project.provision_owned(&target, inputs, |r| writer.resource(r))?;
        let out = writer.finish(&resolved)?;
        (resolved, (out.text, out.warnings))
    } else {
        let resolved = project.provision_owned(&target, inputs, |_| {})?;
        let out = patched_k8s(project, &resolved, &opts)?;
        (resolved, out)
    };
    // Exiting soon: freeing every provisioned resource one by one would only cost time.
    std::mem::forget(resolved);
    Ok(Generated {
        written: Written {
            main: Main::File {
                default: "manifests.yaml",
                text,
                // It holds the Secret objects.
                mode: Some(0o600),
            },
            side_files: Vec::new(),
            deferred: None,
        },
        warnings,
    })
}

/// The manifests after the patch templates ran over all of them, and the warnings.
fn patched_k8s(
    project: &Project,
    resolved: &Resolved,
    opts: &score_k8s::Options,
) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    let out = score_k8s::generate(resolved, opts)?;
    let mut doc = Value::Array(out.documents);
    let workloads = resolved.workloads.values().map(|w| &w.workload);
    apply_patches(project, &mut doc, workloads, "k8s")?;
    let documents = match doc {
        Value::Array(d) => d,
        other => vec![other],
    };
    let text = score_k8s::to_yaml(&documents);
    // Exiting soon: freeing every manifest object one by one would only cost time.
    std::mem::forget(documents);
    Ok((text, out.warnings))
}

fn terraform(
    project: &mut Project,
    inputs: &[WorkloadInput],
    args: &GenerateArgs,
) -> Result<Generated, Vec<Diagnostic>> {
    let format = match args.format {
        TfFormat::Hcl => score_terraform::Format::Hcl,
        TfFormat::Json => score_terraform::Format::Json,
    };
    let opts = score_terraform::Options { format };
    let format = opts.format;
    let target = score_terraform::target(inputs, &opts);
    let resolved = project.provision(&target, inputs)?;
    let mut out = score_terraform::generate(&resolved, &opts)?;
    if !project.patch_templates()?.is_empty() {
        // Patch the module as Terraform JSON (`main`, `variables`, …), then render it again.
        let files = score_terraform::module_files(&resolved)?;
        let mut doc = Value::Object(files.into_iter().map(|(n, v)| (n.to_string(), v)).collect());
        apply_patches(project, &mut doc, workloads(inputs), "terraform")?;
        out.files = render_terraform(&doc, format)?;
    }
    // The default provisioners generate secrets at apply time; a custom one may write a
    // literal secret (it is warned about), and then the module is owner-only.
    let secrets = resolved.secret_values();
    let holds_secret = out.files.iter().any(|(_, text)| {
        secrets
            .iter()
            .any(|s| s.len() >= MIN_SECRET_LEN && text.contains(s.as_str()))
    });
    Ok(Generated {
        written: Written {
            main: Main::Dir {
                default: "score-terraform",
                files: out.files,
                mode: holds_secret.then_some(0o600),
            },
            side_files: Vec::new(),
            deferred: None,
        },
        warnings: out.warnings,
    })
}

/// Secret values shorter than this are not looked for in output (they match by accident).
const MIN_SECRET_LEN: usize = 4;

fn render_terraform(
    doc: &Value,
    format: score_terraform::Format,
) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let Value::Object(files) = doc else {
        return Ok(Vec::new());
    };
    files
        .iter()
        .map(|(name, v)| match format {
            score_terraform::Format::Json => Ok((
                format!("{name}.tf.json"),
                score_terraform::render::to_json(v),
            )),
            score_terraform::Format::Hcl => score_terraform::render::to_hcl(v)
                .map(|text| (format!("{name}.tf"), text))
                .map_err(|e| {
                    vec![Diagnostic::error(
                        "score::terraform::render",
                        format!("cannot render `{name}.tf` after patching: {e}"),
                    )]
                }),
        })
        .collect()
}

/// The workloads of `inputs`.
fn workloads(inputs: &[WorkloadInput]) -> impl Iterator<Item = &Workload> {
    inputs.iter().map(|w| &w.workload)
}

/// Run the installed patch templates over the output document.
fn apply_patches<'w>(
    project: &Project,
    doc: &mut Value,
    workloads: impl Iterator<Item = &'w Workload>,
    target: &str,
) -> Result<(), Vec<Diagnostic>> {
    let templates = project.patch_templates()?;
    if templates.is_empty() {
        return Ok(());
    }
    let workloads: Map<String, Value> = workloads
        .map(|w| {
            (
                w.name().to_string(),
                serde_json::to_value(w).unwrap_or_default(),
            )
        })
        .collect();
    for t in &templates {
        let mut ctx = Map::new();
        ctx.insert("workloads".into(), Value::Object(workloads.clone()));
        ctx.insert("target".into(), target.into());
        score_core::patch::apply_template(t, doc, ctx).map_err(|d| vec![*d])?;
    }
    Ok(())
}

fn directory_name() -> String {
    std::env::current_dir()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "score".into())
}
