//! # score-terraform
//!
//! Lowers a resolved Score project to a Terraform root module for the hashicorp/kubernetes
//! provider (3.2): `main.tf`, `variables.tf`, `outputs.tf`, `versions.tf` (or the same as
//! `*.tf.json`).
//!
//! Placeholders become Terraform references resolved at apply time: a resource's outputs are
//! Terraform template fragments (`${kubernetes_service_v1.postgres-web-db.metadata[0].name}`,
//! `${module.orders-db.db_instance_address}`), `${metadata.*}` is resolved now, and literal
//! text is escaped (`$${`, `%%{`) so Terraform does not interpolate it. Passwords are
//! `random_password` resources, so neither the state nor the generated files hold a secret.
//!
//! The module is built from Terraform JSON values ([`module::Module`]); HCL is rendered from
//! those values ([`render`]), block by block as they are made, so both formats say the same
//! thing.
//!
//! [`TerraformBackend`] is the target for score-core's pipeline ([`score_core::generate`]):
//!
//! ```
//! use score_core::generate::Generate;
//! use score_core::store::MemoryStore;
//! use score_terraform::{Options, TerraformBackend};
//!
//! let score = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main: {image: nginx:1.27}\nservice:\n  ports: {http: {port: 80}}\n";
//! let backend = TerraformBackend::new(Options::default());
//! let generated = Generate::new().score_text("score.yaml", score).run(&backend, MemoryStore::default()).unwrap();
//! let names: Vec<_> = generated.output.files.iter().map(|f| f.path.display().to_string()).collect();
//! assert_eq!(names, ["score-terraform/main.tf", "score-terraform/variables.tf", "score-terraform/outputs.tf", "score-terraform/versions.tf"]);
//! assert!(generated.output.text("score-terraform/main.tf").unwrap().contains("resource \"kubernetes_deployment_v1\" \"web\""));
//! ```
//!
//! What the provisioner engine sees of this target:
//!
//! ```
//! use score_terraform::{target, Options, TARGET};
//! let t = target(&[], &Options::default());
//! assert_eq!(t.name, TARGET);
//! assert_eq!(t.vars["namespace"], "${var.namespace}");
//! ```

#![warn(missing_docs)]

pub mod align;
mod backend;
pub mod blocks;
pub mod module;
pub mod names;
pub mod quantity;
pub mod render;
pub mod tmpl;
pub mod workload;

pub use backend::TerraformBackend;
use score_core::provision::{Resolved, Target, WorkloadInput};
use score_core::uid::ResourceUid;
use score_core::Diagnostic;
use serde_json::{json, Map, Value};

/// The default provisioners of the terraform target.
pub const DEFAULT_PROVISIONERS: &str = include_str!("../provisioners/default.provisioners.yaml");
/// The target name: selects the state section and the provisioners (`targets: [terraform]`).
pub const TARGET: &str = "terraform";
/// The template key of a provisioner's Terraform artifact.
pub const ARTIFACT_KEY: &str = "terraform";

/// Output syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Native syntax (`*.tf`), formatted like `terraform fmt`.
    #[default]
    Hcl,
    /// JSON syntax (`*.tf.json`).
    Json,
}

/// Generation options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Output syntax.
    pub format: Format,
}

/// The generated module.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// `(file name, contents)`: `main`, `variables`, `outputs`, `versions` (`.tf` or `.tf.json`).
    pub files: Vec<(String, String)>,
    /// Things the user should know (dropped probes, literal secrets, …).
    pub warnings: Vec<Diagnostic>,
}

/// Describe the target to the provisioner engine.
///
/// Template inputs it adds: `namespace` (`${var.namespace}`), `resource_names` (resource UID →
/// a name valid as a Terraform label and a Kubernetes name, e.g. `postgres-web-db`) and
/// `workload_services` (workload → `{label, service, ports}`, where `service` is the Terraform
/// reference to its Service name, or null when it has no ports).
pub fn target(workloads: &[WorkloadInput], _opts: &Options) -> Target {
    let mut resource_names = Map::new();
    let mut services = Map::new();
    for w in workloads {
        let wl = &w.workload;
        for (name, r) in &wl.resources {
            let uid = ResourceUid::of(wl.name(), name, r);
            resource_names.insert(uid.to_string(), names::resource_name(&uid).into());
        }
        let label = names::workload_name(wl.name());
        let ports: Map<String, Value> = wl
            .ports()
            .map(|(n, p)| {
                (
                    n.clone(),
                    json!({"port": p.port, "target_port": p.target(), "protocol": p.protocol.as_str()}),
                )
            })
            .collect();
        let service = if ports.is_empty() {
            Value::Null
        } else {
            workload::metadata_name("kubernetes_service_v1", &label).into()
        };
        services.insert(
            wl.name().to_string(),
            json!({"label": label, "service": service, "ports": ports}),
        );
    }
    let mut vars = Map::new();
    vars.insert("namespace".into(), tmpl::interp("var.namespace").into());
    vars.insert("resource_names".into(), Value::Object(resource_names));
    vars.insert("workload_services".into(), Value::Object(services));
    Target {
        name: TARGET.into(),
        artifact_keys: vec![ARTIFACT_KEY.into()],
        vars,
        secret_refs: false,
    }
}

/// Lower a resolved project to a Terraform module.
///
/// # Errors
/// Every problem found: clashing blocks, unreadable files, invalid annotations, bad
/// provisioner artifacts.
pub fn generate(resolved: &Resolved, opts: &Options) -> Result<Output, Vec<Diagnostic>> {
    let files = match opts.format {
        Format::Json => {
            let (module, warnings) = build(resolved, module::Module::new())?;
            let files = module.into_files().into_iter();
            let files =
                files.map(|(name, value)| (format!("{name}.tf.json"), render::to_json(&value)));
            return Ok(Output {
                files: files.collect(),
                warnings,
            });
        }
        // Blocks are rendered as they are made (see `module`).
        Format::Hcl => build(resolved, module::Module::for_hcl())?,
    };
    let (module, warnings) = files;
    let files = module.into_hcl()?.into_iter();
    let files = files.map(|(name, text)| (format!("{name}.tf"), text));
    Ok(Output {
        files: files.collect(),
        warnings,
    })
}

/// The module as Terraform JSON values by file (`main`, `variables`, `outputs`, `versions`).
///
/// # Errors
/// As [`generate`].
pub fn module_files(resolved: &Resolved) -> Result<Vec<(&'static str, Value)>, Vec<Diagnostic>> {
    Ok(build(resolved, module::Module::new())?.0.into_files())
}

/// [`module_files`] and the warnings found on the way.
///
/// # Errors
/// As [`generate`].
#[allow(clippy::type_complexity)]
pub fn module_files_and_warnings(
    resolved: &Resolved,
) -> Result<(Vec<(&'static str, Value)>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (module, warnings) = build(resolved, module::Module::new())?;
    Ok((module.into_files(), warnings))
}

fn build(
    resolved: &Resolved,
    mut m: module::Module,
) -> Result<(module::Module, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut warnings = resolved.warnings.clone();
    let namespace = json!({
        "type": "string",
        "description": "Kubernetes namespace of every object in this module",
        "default": "default",
    });
    if let Err(d) = m.add("variable", &["namespace"], namespace, "score-rs") {
        errors.push(*d);
    }
    for r in &resolved.resources {
        for key in &r.record.secret_outputs {
            if let Some(Value::String(s)) = r.record.outputs.get(key) {
                if !tmpl::is_dynamic(s) {
                    warnings.push(
                        Diagnostic::warning(
                            "score::terraform::literal-secret",
                            format!("secret output `{key}` of resource `{}` is a literal value, so it is written into the generated files", r.uid),
                        )
                        .with_help("generate secrets at apply time: a `random_password` block in the provisioner's `terraform` template, and `${random_password.<name>.result}` as the output"),
                    );
                }
            }
        }
        if let Some(a) = r.artifacts.get(ARTIFACT_KEY) {
            let origin = format!(
                "provisioner `{}` (resource `{}`)",
                r.record.provisioner, r.uid
            );
            if let Err(mut e) = m.merge_artifact(a, &origin) {
                errors.append(&mut e);
            }
        }
    }
    for w in resolved.workloads.values() {
        if let Err(mut e) = workload::lower(&mut m, resolved, w, &mut warnings) {
            errors.append(&mut e);
        }
    }
    if errors.is_empty() {
        Ok((m, warnings))
    } else {
        Err(errors)
    }
}
